//! Responders of an incident: the states of a request (requested → joined / declined / no
//! answer), how long a request waits for an answer, which people a new request really asks
//! (nobody twice), and the ranking of suggestions ("on call now" first, then matching expertise,
//! then name; never deactivated people, never those already responding).

use serde::{Deserialize, Serialize};

/// A request with no answer after this many minutes is marked `no_answer` (by the cron).
pub const NO_ANSWER_MINUTES: i64 = 10;
/// Most people one request may ask.
pub const MAX_PER_REQUEST: usize = 50;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ResponderState {
    Requested,
    Joined,
    Declined,
    NoAnswer,
}

impl ResponderState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Requested => "requested",
            Self::Joined => "joined",
            Self::Declined => "declined",
            Self::NoAnswer => "no_answer",
        }
    }

    /// Asked and not (yet) out: a new request for them changes nothing and pages nobody.
    pub fn is_responding(self) -> bool {
        matches!(self, Self::Requested | Self::Joined)
    }
}

impl std::str::FromStr for ResponderState {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "requested" => Ok(Self::Requested),
            "joined" => Ok(Self::Joined),
            "declined" => Ok(Self::Declined),
            "no_answer" => Ok(Self::NoAnswer),
            _ => Err(format!("unknown responder state {s}")),
        }
    }
}

/// A person's answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    Join,
    Decline,
}

impl Answer {
    pub fn state(self) -> ResponderState {
        match self {
            Self::Join => ResponderState::Joined,
            Self::Decline => ResponderState::Declined,
        }
    }
    pub fn timeline_kind(self) -> &'static str {
        match self {
            Self::Join => "responder.joined",
            Self::Decline => "responder.declined",
        }
    }
}

/// Why an answer is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AnswerRefusal {
    /// Nobody asked this person on this incident.
    NotRequested,
}

/// What an answer does to a request in `current` state: `Ok(true)` changes it, `Ok(false)` is
/// the same answer again (a retried tap: nothing written). A person may change their mind
/// (declined → joined), and may still answer after "no answer" was recorded.
pub fn answer(current: Option<ResponderState>, a: Answer) -> Result<bool, AnswerRefusal> {
    match current {
        None => Err(AnswerRefusal::NotRequested),
        Some(s) => Ok(s != a.state()),
    }
}

/// Whether a request made at `requested_at` (ms) has run out at `now` (ms).
pub fn no_answer_due(requested_at: i64, now: i64) -> bool {
    now >= no_answer_at(requested_at)
}

pub fn no_answer_at(requested_at: i64) -> i64 {
    requested_at + NO_ANSWER_MINUTES * 60_000
}

/// Which of `wanted` a request really asks: in order, without duplicates, leaving out those
/// already responding (`current` state per person). Returns (ask, already).
pub fn plan_request<'a>(wanted: &'a [String], current: impl Fn(&str) -> Option<ResponderState>) -> (Vec<&'a str>, Vec<&'a str>) {
    let (mut ask, mut already): (Vec<&str>, Vec<&str>) = (Vec::new(), Vec::new());
    for w in wanted {
        if ask.contains(&w.as_str()) || already.contains(&w.as_str()) {
            continue;
        }
        if current(w).is_some_and(ResponderState::is_responding) {
            already.push(w);
        } else {
            ask.push(w);
        }
    }
    (ask, already)
}

/// A person who might be suggested.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    pub user_id: String,
    pub name: String,
    pub deactivated: bool,
    /// Their expertise tags (normalised).
    pub expertise: Vec<String>,
    /// Names of the schedules they are on call for now.
    pub on_call: Vec<String>,
    /// Already requested or joined on this incident.
    pub responding: bool,
}

/// A ranked suggestion.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Suggestion {
    pub user_id: String,
    pub name: String,
    pub on_call: Vec<String>,
    pub matches: Vec<String>,
    pub reasons: Vec<String>,
}

/// Suggestions for an incident whose services declare `expertise`: everyone on call now or
/// holding at least one of the tags, except deactivated people and those already responding;
/// on call first, then more matching tags, then by name (case-insensitively), then id.
pub fn suggest(expertise: &[String], candidates: &[Candidate]) -> Vec<Suggestion> {
    let mut out: Vec<Suggestion> = candidates
        .iter()
        .filter(|c| !c.deactivated && !c.responding)
        .filter_map(|c| {
            let matches: Vec<String> = expertise.iter().filter(|t| c.expertise.contains(t)).cloned().collect();
            if matches.is_empty() && c.on_call.is_empty() {
                return None;
            }
            let mut on_call = c.on_call.clone();
            on_call.sort();
            on_call.dedup();
            let reasons = on_call.iter().map(|s| format!("on call for {s}")).chain(matches.iter().map(|t| format!("matches \"{t}\""))).collect();
            Some(Suggestion { user_id: c.user_id.clone(), name: c.name.clone(), on_call, matches, reasons })
        })
        .collect();
    out.sort_by(|a, b| {
        a.on_call.is_empty().cmp(&b.on_call.is_empty())
            .then(b.matches.len().cmp(&a.matches.len()))
            .then(a.name.to_lowercase().cmp(&b.name.to_lowercase()))
            .then(a.user_id.cmp(&b.user_id))
    });
    out
}

/// A notification button: `action` is what the service worker does, `title` its label.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct PushAction {
    pub action: String,
    pub title: String,
}

/// The push message asking someone to help: a page-like message (type `responder`) with the
/// buttons **Join** and **Decline** and the person it asks (the answer is theirs). The action
/// token (purpose `Respond`) is added when it is sent, like a page's.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ResponderPush {
    #[serde(flatten)]
    pub base: crate::notification::PushPayload,
    pub actions: Vec<PushAction>,
    pub user_id: String,
}

/// Longest request message kept in a push (the whole message must fit one 4 KB record).
const PUSH_MESSAGE_CHARS: usize = 300;

pub fn request_push(s: &crate::notification::PageSubject<'_>, user_id: &str, requested_by: &str, message: Option<&str>) -> ResponderPush {
    let title: String = s.title.chars().take(160).collect();
    let said = message.map(|m| format!(": “{}”", m.chars().take(PUSH_MESSAGE_CHARS).collect::<String>())).unwrap_or_default();
    ResponderPush {
        base: crate::notification::PushPayload {
            kind: "responder".into(),
            title: format!("Can you help? {} #{} {}", s.severity, s.number, title),
            body: format!("{requested_by} asks you to join{said}"),
            tag: format!("responder-{}", s.incident_id),
            url: format!("/incidents/{}", s.incident_id),
            incident_id: Some(s.incident_id.to_string()),
            number: Some(s.number),
            severity: Some(s.severity),
            service: s.service.map(str::to_string),
            token: None,
            renotify: false,
        },
        actions: vec![PushAction { action: "join".into(), title: "Join".into() }, PushAction { action: "decline".into(), title: "Decline".into() }],
        user_id: user_id.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(id: &str, name: &str, tags: &[&str], on_call: &[&str]) -> Candidate {
        Candidate {
            user_id: id.into(),
            name: name.into(),
            deactivated: false,
            expertise: tags.iter().map(|s| s.to_string()).collect(),
            on_call: on_call.iter().map(|s| s.to_string()).collect(),
            responding: false,
        }
    }

    fn ids(s: &[Suggestion]) -> Vec<&str> {
        s.iter().map(|x| x.user_id.as_str()).collect()
    }

    #[test]
    fn on_call_first_then_matching_tags_then_name() {
        let want = vec!["postgres".to_string(), "payments".to_string()];
        let people = vec![
            c("both", "Zed", &["postgres", "payments"], &[]),
            c("one-b", "bob", &["postgres"], &[]),
            c("one-a", "Alice", &["payments", "k8s"], &[]),
            c("oncall-none", "Yan", &[], &["Primary"]),
            c("oncall-one", "Xi", &["postgres"], &["Primary", "DB"]),
            c("nothing", "Nobody", &["k8s"], &[]),
        ];
        let s = suggest(&want, &people);
        assert_eq!(ids(&s), vec!["oncall-one", "oncall-none", "both", "one-a", "one-b"]);
        assert_eq!(s[0].reasons, vec!["on call for DB", "on call for Primary", "matches \"postgres\""]);
        assert_eq!(s[2].matches, vec!["postgres", "payments"]);
        assert!(s[1].matches.is_empty());
    }

    #[test]
    fn never_deactivated_people_nor_those_already_responding() {
        let want = vec!["postgres".to_string()];
        let mut gone = c("gone", "Gone", &["postgres"], &["Primary"]);
        gone.deactivated = true;
        let mut busy = c("busy", "Busy", &["postgres"], &[]);
        busy.responding = true;
        let s = suggest(&want, &[gone, busy, c("ok", "Ok", &["postgres"], &[])]);
        assert_eq!(ids(&s), vec!["ok"]);
    }

    #[test]
    fn without_declared_expertise_only_on_call_people_are_suggested() {
        let s = suggest(&[], &[c("a", "A", &["postgres"], &[]), c("b", "B", &[], &["Primary"])]);
        assert_eq!(ids(&s), vec!["b"]);
    }

    #[test]
    fn a_request_asks_nobody_twice() {
        let wanted: Vec<String> = ["a", "b", "a", "c", "d"].iter().map(|s| s.to_string()).collect();
        let state = |u: &str| match u {
            "b" => Some(ResponderState::Requested),
            "c" => Some(ResponderState::Joined),
            "d" => Some(ResponderState::Declined),
            _ => None,
        };
        let (ask, already) = plan_request(&wanted, state);
        assert_eq!(ask, vec!["a", "d"], "a declined person may be asked again");
        assert_eq!(already, vec!["b", "c"]);
    }

    #[test]
    fn answers_change_state_once() {
        assert_eq!(answer(None, Answer::Join), Err(AnswerRefusal::NotRequested));
        assert_eq!(answer(Some(ResponderState::Requested), Answer::Join), Ok(true));
        assert_eq!(answer(Some(ResponderState::Joined), Answer::Join), Ok(false), "a retried tap writes nothing");
        assert_eq!(answer(Some(ResponderState::Declined), Answer::Join), Ok(true), "changed their mind");
        assert_eq!(answer(Some(ResponderState::NoAnswer), Answer::Decline), Ok(true));
    }

    #[test]
    fn a_request_push_carries_join_and_decline_and_fits_one_record() {
        let long = "x".repeat(10_000);
        let subj = crate::notification::PageSubject { incident_id: "inc-1", number: 7, title: &long, severity: crate::incident::Severity::Sev2, service: Some("DB") };
        let p = request_push(&subj, "u-1", "Ada", Some(&long));
        let v = serde_json::to_value(&p).unwrap();
        assert_eq!(v["type"], "responder");
        assert_eq!(v["user_id"], "u-1");
        assert_eq!(v["incident_id"], "inc-1");
        assert_eq!(v["actions"][0]["action"], "join");
        assert_eq!(v["actions"][1]["title"], "Decline");
        assert!(serde_json::to_string(&p).unwrap().len() < 2000);
        assert!(p.base.body.starts_with("Ada asks you to join: “"));
        let back: ResponderPush = serde_json::from_value(v).unwrap();
        assert_eq!(back, p);
    }

    #[test]
    fn no_answer_after_ten_minutes_exactly() {
        let t = 1_000_000;
        assert!(!no_answer_due(t, t + NO_ANSWER_MINUTES * 60_000 - 1));
        assert!(no_answer_due(t, t + NO_ANSWER_MINUTES * 60_000));
        for s in ["requested", "joined", "declined", "no_answer"] {
            assert_eq!(s.parse::<ResponderState>().unwrap().as_str(), s);
        }
    }
}
