//! Action items: what a team agreed to do after an incident (a fix, monitoring, a runbook, a
//! process change), owned by one person, due on a day, tracked from open to done. This module
//! owns their vocabulary (kind, priority, status, list filter), validation of what people type,
//! the due-day rule (a due date means "by the end of that day in the organisation's time zone"),
//! the overdue rule, the "remind the owner at most once a day" rule and the daily summary push.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::notification::PushPayload;
use crate::validation::FieldError;

/// The longest title, in characters.
pub const MAX_TITLE: usize = 300;
/// The longest a list answer gets (newest first beyond it is cut).
pub const MAX_LIST: i64 = 500;
/// The shortest time between two overdue reminders about one item.
pub const REMIND_EVERY_MS: i64 = 86_400_000;

macro_rules! word_enum {
    ($(#[$doc:meta])* $name:ident, $field:literal { $($variant:ident => $word:literal),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),* }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $word),* }
            }
        }

        impl std::str::FromStr for $name {
            type Err = FieldError;
            fn from_str(s: &str) -> Result<Self, FieldError> {
                match s {
                    $($word => Ok($name::$variant),)*
                    _ => Err(FieldError::new($field, format!("must be one of: {}", [$($word),*].join(", ")))),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str(self.as_str()) }
        }
    };
}

word_enum!(
    /// How urgent the item is.
    Priority, "priority" { High => "high", Medium => "medium", Low => "low" }
);
word_enum!(
    /// What sort of work it is.
    Kind, "kind" { Fix => "fix", Monitoring => "monitoring", Runbook => "runbook", Process => "process" }
);
word_enum!(
    /// Open until someone ticks it (or its ticket is closed); done can be reopened.
    ItemStatus, "status" { Open => "open", Done => "done" }
);
word_enum!(
    /// The org-wide list's quick filter: everything, the caller's own open items, or open items
    /// past due.
    ListFilter, "filter" { All => "all", Mine => "mine", Overdue => "overdue" }
);
word_enum!(
    /// A ticket system an item can be sent to.
    TicketSystem, "system" { Jira => "jira", Github => "github" }
);

impl TicketSystem {
    /// The vendor's name as people write it (in errors and the UI).
    pub fn label(self) -> &'static str {
        match self {
            TicketSystem::Jira => "Jira",
            TicketSystem::Github => "GitHub",
        }
    }
}

/// A title: trimmed, 1–300 characters, one line.
pub fn title(field: &str, raw: &str) -> Result<String, FieldError> {
    let t = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    if t.is_empty() {
        return Err(FieldError::new(field, "is required"));
    }
    if t.chars().count() > MAX_TITLE {
        return Err(FieldError::new(field, format!("must be at most {MAX_TITLE} characters")));
    }
    Ok(t)
}

/// A due date as typed: `YYYY-MM-DD`.
pub fn due_date(field: &str, raw: &str) -> Result<NaiveDate, FieldError> {
    NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d").map_err(|_| FieldError::new(field, "must be a date written YYYY-MM-DD"))
}

/// The instant an item due on `day` becomes overdue: the last millisecond of that day in `tz`
/// (the start of the next day there, minus 1 ms). Days that start in a DST gap start at the
/// first instant that exists.
pub fn due_at(day: NaiveDate, tz: Tz) -> i64 {
    let next = day.succ_opt().unwrap_or(day);
    let midnight = next.and_hms_opt(0, 0, 0).expect("midnight exists");
    let start = match tz.from_local_datetime(&midnight) {
        chrono::LocalResult::Single(t) => t.with_timezone(&Utc),
        chrono::LocalResult::Ambiguous(early, _) => early.with_timezone(&Utc),
        // A gap at midnight (some zones change at 00:00): the day starts an hour later.
        chrono::LocalResult::None => {
            let later = midnight + Duration::hours(1);
            tz.from_local_datetime(&later).earliest().map(|t| t.with_timezone(&Utc)).unwrap_or_else(|| Utc.from_utc_datetime(&midnight))
        }
    };
    start.timestamp_millis() - 1
}

/// The organisation's time zone from its stored name (UTC when unknown).
pub fn org_tz(name: &str) -> Tz {
    name.parse().unwrap_or(Tz::UTC)
}

/// Open and past its due instant at `now`.
pub fn is_overdue(status: ItemStatus, due_at: Option<i64>, now: i64) -> bool {
    status == ItemStatus::Open && due_at.is_some_and(|d| now > d)
}

/// Whether the owner should be reminded now: overdue, owned, and not reminded in the last day.
pub fn should_remind(status: ItemStatus, due_at: Option<i64>, owner: Option<&str>, reminded_at: Option<i64>, now: i64) -> bool {
    is_overdue(status, due_at, now) && owner.is_some() && reminded_at.is_none_or(|r| now - r >= REMIND_EVERY_MS)
}

/// The latest `reminded_at` that still allows a reminder at `now` (for the guarded write).
pub fn remind_before(now: i64) -> i64 {
    now - REMIND_EVERY_MS
}

/// How many titles an overdue summary lists before "and N more".
pub const SUMMARY_TITLES: usize = 3;

/// The one push an owner gets a day about their overdue items (`titles`, most overdue first;
/// opens the action items list, their items).
pub fn reminder_payload(titles: &[&str]) -> PushPayload {
    let n = titles.len();
    let mut listed = titles.iter().take(SUMMARY_TITLES).copied().collect::<Vec<_>>().join("; ");
    if n > SUMMARY_TITLES {
        listed.push_str(&format!("; and {} more", n - SUMMARY_TITLES));
    }
    PushPayload {
        kind: "action_item_overdue".into(),
        title: if n == 1 { "1 action item overdue".into() } else { format!("{n} action items overdue") },
        body: format!("{listed}. Tick them when done, or move their due dates."),
        tag: "action-items-overdue".into(),
        url: "/action-items?filter=mine".into(),
        incident_id: None,
        number: None,
        severity: None,
        service: None,
        token: None,
        renotify: false,
    }
}

/// The timeline line on the linked incident for a change to an item.
pub fn timeline_message(who: &str, change: &Change, title: &str) -> String {
    match change {
        Change::Created => format!("{who} added an action item: {title}"),
        Change::Done => format!("{who} marked an action item done: {title}"),
        Change::Reopened => format!("{who} reopened an action item: {title}"),
        Change::Edited => format!("{who} edited an action item: {title}"),
        Change::Ticket { system, key } => format!("{who} sent an action item to {} as {key}: {title}", system.label()),
        Change::ClosedByTicket { system, key } => format!("{} ticket {key} was closed, so its action item is done: {title}", system.label()),
    }
}

/// What happened to an item (for its timeline row's kind and words).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    Created,
    Edited,
    Done,
    Reopened,
    Ticket { system: TicketSystem, key: String },
    ClosedByTicket { system: TicketSystem, key: String },
}

impl Change {
    /// The timeline row's kind.
    pub fn kind(&self) -> &'static str {
        match self {
            Change::Created => "action_item.created",
            Change::Edited => "action_item.edited",
            Change::Done => "action_item.done",
            Change::Reopened => "action_item.reopened",
            Change::Ticket { .. } => "action_item.ticket",
            Change::ClosedByTicket { .. } => "action_item.done",
        }
    }
}

/// The status an edit asks for, as a change (`None`: the status stays).
pub fn status_change(from: ItemStatus, to: Option<ItemStatus>) -> Option<Change> {
    match (from, to?) {
        (ItemStatus::Open, ItemStatus::Done) => Some(Change::Done),
        (ItemStatus::Done, ItemStatus::Open) => Some(Change::Reopened),
        _ => None,
    }
}

/// The due day an instant falls on in `tz` (to show `due_at` back when no date was kept).
pub fn day_of(at: i64, tz: Tz) -> Option<NaiveDate> {
    DateTime::from_timestamp_millis(at).map(|t| t.with_timezone(&tz).date_naive())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(s: &str) -> i64 {
        DateTime::parse_from_rfc3339(s).unwrap().timestamp_millis()
    }

    #[test]
    fn words_round_trip_and_name_the_field() {
        for p in Priority::ALL {
            assert_eq!(p.as_str().parse::<Priority>().unwrap(), *p);
        }
        for k in Kind::ALL {
            assert_eq!(k.as_str().parse::<Kind>().unwrap(), *k);
        }
        assert_eq!("urgent".parse::<Priority>().unwrap_err().field, "priority");
        assert!("bug".parse::<Kind>().unwrap_err().message.contains("fix, monitoring, runbook, process"));
        assert_eq!("closed".parse::<ItemStatus>().unwrap_err().field, "status");
        assert_eq!("github".parse::<TicketSystem>().unwrap(), TicketSystem::Github);
        assert_eq!(serde_json::to_string(&Kind::Monitoring).unwrap(), "\"monitoring\"");
    }

    #[test]
    fn titles_are_one_trimmed_line() {
        assert_eq!(title("title", "  Add  a\nDB alert ").unwrap(), "Add a DB alert");
        assert_eq!(title("title", "  ").unwrap_err().message, "is required");
        assert!(title("title", &"x".repeat(301)).is_err());
        assert!(title("title", &"é".repeat(300)).is_ok());
    }

    #[test]
    fn due_dates_parse_strictly() {
        assert_eq!(due_date("due_date", "2026-03-09").unwrap(), NaiveDate::from_ymd_opt(2026, 3, 9).unwrap());
        for bad in ["", "2026-3-9x", "09/03/2026", "2026-02-30", "tomorrow"] {
            assert_eq!(due_date("due_date", bad).unwrap_err().field, "due_date", "{bad}");
        }
    }

    #[test]
    fn due_is_the_end_of_the_day_in_the_org_zone() {
        let d = NaiveDate::from_ymd_opt(2026, 6, 15).unwrap();
        assert_eq!(due_at(d, Tz::UTC), ms("2026-06-16T00:00:00Z") - 1);
        // Berlin in summer is UTC+2: the day ends at 22:00 UTC.
        assert_eq!(due_at(d, chrono_tz::Europe::Berlin), ms("2026-06-15T22:00:00Z") - 1);
        // New York on the day clocks go back (1 Nov 2026): the day ends at 05:00 UTC next day.
        let fall = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
        assert_eq!(due_at(fall, chrono_tz::America::New_York), ms("2026-11-02T05:00:00Z") - 1);
        // A zone whose clocks jump at midnight (Santiago, 6 Sep 2026 00:00 → 01:00).
        let gap = NaiveDate::from_ymd_opt(2026, 9, 5).unwrap();
        assert_eq!(due_at(gap, chrono_tz::America::Santiago), ms("2026-09-06T01:00:00-03:00") - 1);
        assert_eq!(day_of(due_at(d, chrono_tz::Asia::Tokyo), chrono_tz::Asia::Tokyo), Some(d));
        assert_eq!(org_tz("Mars/Olympus"), Tz::UTC);
    }

    #[test]
    fn overdue_means_open_and_past_the_due_instant() {
        let due = ms("2026-06-16T00:00:00Z") - 1;
        assert!(!is_overdue(ItemStatus::Open, Some(due), due));
        assert!(is_overdue(ItemStatus::Open, Some(due), due + 1));
        assert!(!is_overdue(ItemStatus::Done, Some(due), due + 1));
        assert!(!is_overdue(ItemStatus::Open, None, due + 1));
    }

    #[test]
    fn owners_are_reminded_at_most_once_a_day() {
        let due = ms("2026-06-16T00:00:00Z") - 1;
        let now = due + 3_600_000;
        assert!(should_remind(ItemStatus::Open, Some(due), Some("u1"), None, now));
        assert!(!should_remind(ItemStatus::Open, Some(due), None, None, now), "nobody to remind");
        assert!(!should_remind(ItemStatus::Open, Some(due), Some("u1"), Some(now - 60_000), now), "reminded a minute ago");
        assert!(!should_remind(ItemStatus::Open, Some(due), Some("u1"), Some(now - REMIND_EVERY_MS + 1), now));
        assert!(should_remind(ItemStatus::Open, Some(due), Some("u1"), Some(now - REMIND_EVERY_MS), now), "a day later");
        assert!(!should_remind(ItemStatus::Done, Some(due), Some("u1"), None, now));
        assert!(!should_remind(ItemStatus::Open, Some(now + 1), Some("u1"), None, now), "not due yet");
        assert_eq!(remind_before(now), now - REMIND_EVERY_MS);
    }

    #[test]
    fn status_changes_and_messages() {
        assert_eq!(status_change(ItemStatus::Open, Some(ItemStatus::Done)), Some(Change::Done));
        assert_eq!(status_change(ItemStatus::Done, Some(ItemStatus::Open)), Some(Change::Reopened));
        assert_eq!(status_change(ItemStatus::Done, Some(ItemStatus::Done)), None);
        assert_eq!(status_change(ItemStatus::Open, None), None);
        let c = Change::Ticket { system: TicketSystem::Jira, key: "OPS-7".into() };
        assert_eq!(timeline_message("Ana", &c, "Add alert"), "Ana sent an action item to Jira as OPS-7: Add alert");
        assert_eq!(c.kind(), "action_item.ticket");
        let p = reminder_payload(&["Add alert"]);
        assert_eq!((p.title.as_str(), p.body.as_str()), ("1 action item overdue", "Add alert. Tick them when done, or move their due dates."));
        assert_eq!(p.tag, "action-items-overdue");
        let p = reminder_payload(&["a", "b", "c", "d", "e"]);
        assert_eq!((p.title.as_str(), p.body.as_str()), ("5 action items overdue", "a; b; c; and 2 more. Tick them when done, or move their due dates."));
    }
}
