//! Reading an Opsgenie export: the `data` of its REST API v2 answers in one object —
//! `{"users": [...], "teams": [...], "schedules": [...], "escalations": [...], "integrations": [...],
//! "heartbeats": [...]}`: `GET /v2/users`, `GET /v2/teams`, `GET /v2/schedules?expand=rotation`
//! (each schedule optionally with `overrides`, the `data` of `GET /v2/schedules/{id}/overrides`),
//! `GET /v2/escalations`, `GET /v2/integrations` (each optionally with its `apiKey`, from
//! `GET /v2/integrations/{id}`) and `data.heartbeats` of `GET /v2/heartbeats`.
//!
//! Opsgenie's rules as mapped here: a rotation's turns (`daily`, `weekly`, `hourly` × `length`)
//! are counted from its `startDate` in the schedule's time zone; a `timeRestriction` limits when
//! it applies (`time-of-day`, or `weekday-and-time-of-day` windows); where several rotations
//! apply at once Opsgenie pages all of them, which Tocsin (one layer wins) cannot, so the plan
//! says where that happens. An override without `rotations` covers the whole schedule. An
//! escalation rule's `delay` counts from the alert's creation; rules with the same delay form
//! one level; `repeat.waitInterval` is the wait after the last rule before the next pass.
//! Alerts reach a team's escalation through the integration's team: an integration's service
//! gets the escalation of its team, when that team has exactly one.

use chrono::{DateTime, FixedOffset, NaiveTime, Utc, Weekday};
use chrono_tz::Tz;
use serde::Deserialize;
use serde_json::Value;

use super::{check_sizes, check_top_level, list, overlap, parse, window, Export, NotMapped, SourcePolicy, SourceSchedule, SourceService, SourceUser};
use crate::auth::Role;
use crate::escalation::{Level, Policy, Target};
use crate::ids::UserId;
use crate::schedule::{Layer, Override, Turn};
use crate::validation::FieldError;

const LISTS: [&str; 6] = ["users", "teams", "schedules", "escalations", "integrations", "heartbeats"];

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct User {
    id: String,
    username: String,
    #[serde(default)]
    full_name: Option<String>,
    #[serde(default)]
    role: Option<Named>,
}

#[derive(Deserialize)]
struct Named {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    name: Option<String>,
}

#[derive(Deserialize)]
struct Team {
    id: String,
    #[serde(default)]
    name: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Schedule {
    id: String,
    name: String,
    #[serde(default)]
    timezone: Option<String>,
    #[serde(default = "yes")]
    enabled: bool,
    #[serde(default)]
    rotations: Vec<Rotation>,
    #[serde(default)]
    overrides: Vec<ScheduleOverride>,
}

fn yes() -> bool {
    true
}
fn one() -> u32 {
    1
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Rotation {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    name: Option<String>,
    start_date: DateTime<FixedOffset>,
    #[serde(default)]
    end_date: Option<DateTime<FixedOffset>>,
    #[serde(rename = "type")]
    kind: String,
    #[serde(default = "one")]
    length: u32,
    participants: Vec<Recipient>,
    #[serde(default)]
    time_restriction: Option<TimeRestriction>,
}

#[derive(Deserialize)]
struct Recipient {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    name: Option<String>,
}

#[derive(Deserialize)]
struct TimeRestriction {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    restriction: Option<Window>,
    #[serde(default)]
    restrictions: Option<Vec<Window>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Window {
    #[serde(default)]
    start_day: Option<String>,
    start_hour: u32,
    #[serde(default)]
    start_min: u32,
    #[serde(default)]
    end_day: Option<String>,
    end_hour: u32,
    #[serde(default)]
    end_min: u32,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ScheduleOverride {
    #[serde(default)]
    alias: Option<String>,
    user: Recipient,
    start_date: DateTime<FixedOffset>,
    end_date: DateTime<FixedOffset>,
    #[serde(default)]
    rotations: Vec<Named>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Escalation {
    id: String,
    name: String,
    rules: Vec<Rule>,
    #[serde(default)]
    owner_team: Option<Named>,
    #[serde(default)]
    repeat: Option<Repeat>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Rule {
    #[serde(default)]
    condition: Option<String>,
    #[serde(default)]
    notify_type: Option<String>,
    delay: Delay,
    recipient: Recipient,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Delay {
    time_amount: u64,
    #[serde(default)]
    time_unit: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Repeat {
    #[serde(default)]
    wait_interval: u32,
    #[serde(default)]
    count: u32,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Integration {
    id: String,
    name: String,
    #[serde(rename = "type")]
    kind: String,
    #[serde(default = "yes")]
    enabled: bool,
    #[serde(default)]
    team_id: Option<String>,
    #[serde(default)]
    api_key: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Heartbeat {
    name: String,
    #[serde(default)]
    interval: Option<u64>,
    #[serde(default)]
    interval_unit: Option<String>,
}

/// Opsgenie roles in Tocsin's three; a custom role gets the least power.
fn role(r: Option<&Named>) -> (Role, Option<String>) {
    let name = r.and_then(|r| r.name.clone().or_else(|| r.id.clone())).unwrap_or_else(|| "User".into());
    match name.to_ascii_lowercase().as_str() {
        "owner" | "admin" => (Role::Admin, None),
        "user" => (Role::Responder, None),
        "observer" | "stakeholder" => (Role::Observer, None),
        _ => (Role::Observer, Some(format!("Opsgenie role {name:?} is imported as observer (the least power); change it if needed"))),
    }
}

/// Reads the export (shape errors name the field); what cannot be mapped is listed, not refused.
pub fn read(body: &Value, now: DateTime<Utc>) -> Result<Export, FieldError> {
    check_top_level(body, &LISTS)?;
    let users: Vec<User> = items(body, "users")?;
    let teams: Vec<Team> = items(body, "teams")?;
    let schedules: Vec<Schedule> = items(body, "schedules")?;
    let escalations: Vec<Escalation> = items(body, "escalations")?;
    let integrations: Vec<Integration> = items(body, "integrations")?;
    let heartbeats: Vec<Heartbeat> = items(body, "heartbeats")?;
    check_sizes(users.len(), schedules.len(), escalations.len(), integrations.len(), "escalations")?;
    let mut out = Export::default();

    for (i, u) in users.iter().enumerate() {
        let email = crate::validation::email(&format!("users[{i}].username"), &u.username)?;
        let (role, note) = role(u.role.as_ref());
        let name = u.full_name.clone().filter(|n| !n.trim().is_empty()).unwrap_or_else(|| email.clone());
        out.users.push(SourceUser { id: u.id.clone(), email, name: crate::validation::one_line_lossy(&name, 100), role, notes: note.into_iter().collect() });
    }
    // Opsgenie names people by id or by username (their e-mail): both lead to the user's id.
    let user_id = |r: &Recipient| -> Option<String> {
        if r.kind != "user" {
            return None;
        }
        r.id.clone().filter(|id| out.users.iter().any(|u| u.id == *id)).or_else(|| {
            let name = r.username.as_deref().or(r.name.as_deref())?;
            out.users.iter().find(|u| u.email.eq_ignore_ascii_case(name)).map(|u| u.id.clone())
        })
    };

    for t in &teams {
        out.not_mapped.push(NotMapped::new("team", &t.id, t.name.as_deref().unwrap_or(""), "Tocsin has no teams yet: its members are imported as people; its escalation goes to the services of its integrations"));
    }
    let mut mapped_schedules = Vec::new();
    for s in &schedules {
        match schedule(s, now, &user_id) {
            Ok(m) => mapped_schedules.push(m),
            Err(reason) => out.not_mapped.push(NotMapped::new("schedule", &s.id, &s.name, reason)),
        }
    }
    for e in &escalations {
        match escalation(e, &user_id) {
            Ok(p) => out.policies.push(p),
            Err(reason) => out.not_mapped.push(NotMapped::new("escalation_policy", &e.id, &e.name, reason)),
        }
    }
    for i in &integrations {
        if !i.enabled {
            out.not_mapped.push(NotMapped::new("service", &i.id, &i.name, "the integration is disabled in Opsgenie"));
            continue;
        }
        let mut notes = Vec::new();
        if i.kind != "API" {
            notes.push(format!(
                "Opsgenie integration type {:?}: if that tool posts to Opsgenie's Alert API only the URL changes; otherwise point it at this service's endpoint for it (the service's Integrations page)",
                i.kind
            ));
        }
        if i.api_key.is_none() {
            notes.push("the export has no apiKey for it (GET /v2/integrations/{id} gives it): a new key is generated".into());
        }
        let team_policies: Vec<&Escalation> = escalations.iter().filter(|e| e.owner_team.as_ref().and_then(|t| t.id.as_ref()).is_some_and(|t| Some(t) == i.team_id.as_ref())).collect();
        let policy = match (i.team_id.as_ref(), team_policies.as_slice()) {
            (Some(_), [one]) => Some(one.id.clone()),
            (Some(_), []) | (None, _) => {
                notes.push("no escalation of the integration's team: the service pages nobody until it gets a policy".into());
                None
            }
            (Some(_), _) => {
                notes.push("its team has several escalations (Opsgenie chooses by routing rules): give the service its policy by hand".into());
                None
            }
        };
        out.services.push(SourceService { id: i.id.clone(), name: crate::validation::one_line_lossy(&i.name, 100), description: String::new(), policy, key: i.api_key.clone(), notes });
    }
    for h in &heartbeats {
        let every = match (h.interval, h.interval_unit.as_deref()) {
            (Some(n), Some(u)) => format!(" (every {n} {u})"),
            _ => String::new(),
        };
        out.not_mapped.push(NotMapped::new(
            "heartbeat",
            &h.name,
            &h.name,
            format!("Tocsin has no heartbeat monitoring{every}: keep a dead man's switch in your monitoring (e.g. Prometheus' always-firing Watchdog through a heartbeat service) that alerts Tocsin when the pings stop"),
        ));
    }
    out.schedules = mapped_schedules;
    Ok(out)
}

fn items<T: serde::de::DeserializeOwned>(body: &Value, field: &str) -> Result<Vec<T>, FieldError> {
    list(body, field).iter().enumerate().map(|(i, v)| parse(v, &format!("{field}[{i}]"))).collect()
}

fn day(name: &str) -> Option<Weekday> {
    Some(match name.to_ascii_lowercase().as_str() {
        "monday" => Weekday::Mon,
        "tuesday" => Weekday::Tue,
        "wednesday" => Weekday::Wed,
        "thursday" => Weekday::Thu,
        "friday" => Weekday::Fri,
        "saturday" => Weekday::Sat,
        "sunday" => Weekday::Sun,
        _ => return None,
    })
}

fn time(h: u32, m: u32) -> Option<NaiveTime> {
    NaiveTime::from_hms_opt(h, m, 0)
}

fn schedule(s: &Schedule, now: DateTime<Utc>, user_id: &dyn Fn(&Recipient) -> Option<String>) -> Result<SourceSchedule, String> {
    if !s.enabled {
        return Err("the schedule is disabled in Opsgenie".into());
    }
    let zone = s.timezone.clone().unwrap_or_else(|| "UTC".into());
    let tz: Tz = zone.parse().map_err(|_| format!("time zone {zone:?} is not an IANA time zone Tocsin knows"))?;
    let mut notes = Vec::new();
    let mut layers: Vec<Layer> = Vec::new();
    for (i, r) in s.rotations.iter().enumerate() {
        let name = r.name.clone().unwrap_or_else(|| format!("Rotation {}", i + 1));
        if let Some(end) = r.end_date {
            if end.with_timezone(&Utc) <= now {
                notes.push(format!("rotation {name:?} ended {end}: left out"));
                continue;
            }
            notes.push(format!("rotation {name:?} ends {end} in Opsgenie; Tocsin layers do not end: remove it then"));
        }
        let turn = match (r.kind.as_str(), r.length.max(1)) {
            ("daily", 1) => Turn::Daily,
            ("weekly", 1) => Turn::Weekly,
            ("daily", n) if n <= 7 => Turn::Hours { hours: 24 * n },
            ("hourly", n) if n <= 168 => Turn::Hours { hours: n },
            (kind, n) => return Err(format!("rotation {name:?}: {kind} turns of length {n}: Tocsin turns are at most a week")),
        };
        let mut participants = Vec::new();
        for p in &r.participants {
            match user_id(p) {
                Some(id) => participants.push(UserId(id)),
                None if p.kind == "none" => return Err(format!("rotation {name:?} has a \"none\" turn (nobody on call): Tocsin rotations take turns among people only")),
                None if p.kind == "user" => return Err(format!("rotation {name:?} names user {:?}, who is not among the users of the export", p.id.clone().or(p.username.clone()).unwrap_or_default())),
                None => return Err(format!("rotation {name:?} has a {} among its participants: Tocsin rotations take turns among people only", p.kind)),
            }
        }
        if participants.is_empty() {
            notes.push(format!("rotation {name:?} has nobody on it: left out"));
            continue;
        }
        let mut restrictions = Vec::new();
        let mut always = false;
        if let Some(tr) = &r.time_restriction {
            let windows: Vec<&Window> = match tr.kind.as_str() {
                "time-of-day" => tr.restriction.iter().collect(),
                "weekday-and-time-of-day" => tr.restrictions.iter().flatten().collect(),
                other => return Err(format!("rotation {name:?}: time restriction type {other:?} is not time-of-day or weekday-and-time-of-day")),
            };
            for w in windows {
                let bad = || format!("rotation {name:?}: a time restriction with an impossible time or day");
                let (start, end) = (time(w.start_hour, w.start_min).ok_or_else(bad)?, time(w.end_hour, w.end_min).ok_or_else(bad)?);
                let minutes = |from: i64, to: i64, whole: i64| if to > from { to - from } else { to - from + whole };
                let (d, span) = match tr.kind.as_str() {
                    "time-of-day" => (None, minutes(i64::from(start.hour_min()), i64::from(end.hour_min()), 1440)),
                    _ => {
                        let (sd, ed) = (w.start_day.as_deref().and_then(day).ok_or_else(bad)?, w.end_day.as_deref().and_then(day).ok_or_else(bad)?);
                        let at = |d: Weekday, t: NaiveTime| i64::from(d.num_days_from_monday()) * 1440 + i64::from(t.hour_min());
                        (Some(sd), minutes(at(sd, start), at(ed, end), 7 * 1440))
                    }
                };
                match window(d, start, span).map_err(|e| format!("rotation {name:?}: {e}"))? {
                    Some(x) => restrictions.push(x),
                    None => always = true,
                }
            }
        }
        if always {
            restrictions.clear();
        }
        let layer = Layer { name: crate::validation::one_line_lossy(&name, 100), participants, start: r.start_date.with_timezone(&tz).naive_local(), turn, restrictions };
        for earlier in &layers {
            if let Some(t) = overlap(earlier, &layer) {
                notes.push(format!(
                    "rotations {:?} and {:?} both apply at times (e.g. {} {}): Opsgenie pages both, Tocsin only {:?} (the later one)",
                    earlier.name,
                    layer.name,
                    chrono::Datelike::weekday(&t),
                    t.format("%H:%M"),
                    layer.name
                ));
            }
        }
        layers.push(layer);
    }
    let mut overrides = Vec::new();
    for o in &s.overrides {
        let label = o.alias.clone().unwrap_or_else(|| format!("{} – {}", o.start_date, o.end_date));
        if o.end_date.with_timezone(&Utc) <= now || o.end_date <= o.start_date {
            continue;
        }
        let all: Vec<&str> = s.rotations.iter().filter_map(|r| r.id.as_deref()).collect();
        let named: Vec<&str> = o.rotations.iter().filter_map(|r| r.id.as_deref()).collect();
        if !named.is_empty() && !all.iter().all(|r| named.contains(r)) {
            notes.push(format!("override {label:?} covers only some rotations; Tocsin overrides cover the whole schedule: left out, add it by hand"));
            continue;
        }
        match user_id(&o.user) {
            Some(id) => overrides.push(Override { user: UserId(id), start: o.start_date.with_timezone(&Utc), end: o.end_date.with_timezone(&Utc) }),
            None => notes.push(format!("override {label:?} is for a {} Tocsin does not import: left out", o.user.kind)),
        }
    }
    Ok(SourceSchedule { id: s.id.clone(), name: crate::validation::one_line_lossy(&s.name, 100), time_zone: tz, layers, overrides, notes })
}

trait HourMin {
    fn hour_min(self) -> u32;
}
impl HourMin for NaiveTime {
    fn hour_min(self) -> u32 {
        use chrono::Timelike;
        self.hour() * 60 + self.minute()
    }
}

fn minutes(d: &Delay) -> Option<u64> {
    let per = match d.time_unit.as_deref().unwrap_or("minutes") {
        "minutes" => 1,
        "hours" => 60,
        "days" => 1440,
        "weeks" => 10_080,
        _ => return None,
    };
    d.time_amount.checked_mul(per)
}

fn escalation(e: &Escalation, user_id: &dyn Fn(&Recipient) -> Option<String>) -> Result<SourcePolicy, String> {
    let mut notes = Vec::new();
    // (delay from the alert's creation, target)
    let mut steps: Vec<(u64, Target)> = Vec::new();
    for (i, r) in e.rules.iter().enumerate() {
        let n = i + 1;
        let at = minutes(&r.delay).ok_or_else(|| format!("rule {n}: a delay in {:?}; Tocsin counts whole minutes", r.delay.time_unit.as_deref().unwrap_or("")))?;
        if r.condition.as_deref().unwrap_or("if-not-acked") == "if-not-closed" {
            notes.push(format!("rule {n} pages until the alert is closed; Tocsin stops escalating once someone acknowledges"));
        }
        let notify = r.notify_type.as_deref().unwrap_or("default");
        let target = match (r.recipient.kind.as_str(), notify) {
            ("user", _) => user_id(&r.recipient).map(|u| Target::User(UserId(u))),
            ("schedule", "default") => r.recipient.id.clone().map(Target::Schedule),
            ("schedule", other) => {
                notes.push(format!("rule {n}: the schedule's {other:?} on-call person left out: Tocsin pages whoever is on call now"));
                None
            }
            (other, _) => {
                notes.push(format!("rule {n}: a {other} left out: Tocsin has no teams yet"));
                None
            }
        };
        if let Some(t) = target {
            steps.push((at, t));
        } else if r.recipient.kind == "user" {
            notes.push(format!("rule {n}: user {:?} left out: not among the users of the export", r.recipient.id.clone().or(r.recipient.username.clone()).unwrap_or_default()));
        }
    }
    steps.sort_by_key(|(at, _)| *at);
    if steps.first().is_some_and(|(at, _)| *at > 0) {
        notes.push(format!("Opsgenie waits {} minutes before its first rule; Tocsin pages level 1 at once", steps[0].0));
    }
    let mut levels: Vec<(u64, Level)> = Vec::new();
    for (at, t) in steps {
        match levels.last_mut() {
            Some((a, l)) if *a == at => l.targets.push(t),
            _ => levels.push((at, Level { targets: vec![t], delay_minutes: 1 })),
        }
    }
    let repeat = e.repeat.as_ref().filter(|r| r.count > 0);
    for i in 0..levels.len() {
        let wait = match levels.get(i + 1) {
            Some((next, _)) => next - levels[i].0,
            None => repeat.map_or(1, |r| u64::from(r.wait_interval)),
        };
        levels[i].1.delay_minutes = u32::try_from(wait.max(1)).unwrap_or(u32::MAX);
    }
    let repeats = repeat.map_or(0, |r| r.count.min(9));
    if repeat.is_some_and(|r| r.count > 9) {
        notes.push("it repeats more than 9 times; Tocsin repeats a policy at most 9 times".into());
    }
    Ok(SourcePolicy { id: e.id.clone(), name: crate::validation::one_line_lossy(&e.name, 100), policy: Policy { levels: levels.into_iter().map(|(_, l)| l).collect(), repeats }, notes })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::{on_call, Restriction};
    use serde_json::json;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2030-03-01T00:00:00Z").unwrap().with_timezone(&Utc)
    }

    fn user(id: &str, email: &str, role: &str) -> Value {
        json!({"id": id, "username": email, "fullName": id, "role": {"id": role, "name": role}})
    }

    fn body() -> Value {
        let weekday = |d: &&str| json!({"startDay": d, "startHour": 9, "startMin": 0, "endDay": d, "endHour": 18, "endMin": 0});
        let weekdays: Vec<Value> = ["monday", "tuesday", "wednesday", "thursday", "friday"].iter().map(weekday).collect();
        json!({
            "users": [user("u1", "a@example.com", "Admin"), user("u2", "b@example.com", "User"), user("u3", "c@example.com", "Stakeholder")],
            "teams": [{"id": "t1", "name": "Platform"}],
            "schedules": [{
                "id": "s1", "name": "Platform", "timezone": "Europe/Berlin", "enabled": true,
                "rotations": [
                    {"id": "r1", "name": "Business hours", "startDate": "2030-01-07T08:00:00Z", "type": "daily", "length": 1,
                     "participants": [{"type": "user", "id": "u1", "username": "a@example.com"}, {"type": "user", "username": "b@example.com"}],
                     "timeRestriction": {"type": "weekday-and-time-of-day", "restrictions": weekdays}},
                    {"id": "r2", "name": "Nights", "startDate": "2030-01-07T08:00:00Z", "type": "weekly", "length": 1,
                     "participants": [{"type": "user", "id": "u2"}],
                     "timeRestriction": {"type": "time-of-day", "restriction": {"startHour": 17, "startMin": 30, "endHour": 9, "endMin": 0}}}
                ],
                "overrides": [
                    {"alias": "cover", "user": {"type": "user", "id": "u3", "username": "c@example.com"}, "startDate": "2030-03-27T17:00:00Z", "endDate": "2030-03-28T07:00:00Z", "rotations": []},
                    {"alias": "partial", "user": {"type": "user", "id": "u3"}, "startDate": "2030-03-29T17:00:00Z", "endDate": "2030-03-30T07:00:00Z", "rotations": [{"id": "r2", "name": "Nights"}]}
                ]
            }, {
                "id": "s2", "name": "Gaps", "timezone": "UTC", "enabled": true,
                "rotations": [{"startDate": "2030-01-01T00:00:00Z", "type": "daily", "participants": [{"type": "none"}]}]
            }],
            "escalations": [{
                "id": "e1", "name": "Platform escalation", "ownerTeam": {"id": "t1", "name": "Platform"},
                "rules": [
                    {"condition": "if-not-acked", "notifyType": "default", "delay": {"timeAmount": 10, "timeUnit": "minutes"}, "recipient": {"type": "user", "id": "u1"}},
                    {"condition": "if-not-acked", "notifyType": "default", "delay": {"timeAmount": 0, "timeUnit": "minutes"}, "recipient": {"type": "schedule", "id": "s1", "name": "Platform"}},
                    {"condition": "if-not-acked", "notifyType": "default", "delay": {"timeAmount": 10, "timeUnit": "minutes"}, "recipient": {"type": "team", "id": "t1"}},
                    {"condition": "if-not-closed", "notifyType": "next", "delay": {"timeAmount": 1, "timeUnit": "hours"}, "recipient": {"type": "schedule", "id": "s1"}},
                    {"condition": "if-not-acked", "notifyType": "default", "delay": {"timeAmount": 1, "timeUnit": "hours"}, "recipient": {"type": "user", "id": "u2"}}
                ],
                "repeat": {"waitInterval": 15, "count": 2, "resetRecipientStates": false, "closeAlertAfterAll": false}
            }],
            "integrations": [
                {"id": "i1", "name": "Platform API", "type": "API", "enabled": true, "teamId": "t1", "version": "v2", "apiKey": "eb243592-faa2-4ba2-a551-1afdf565c889"},
                {"id": "i2", "name": "Old", "type": "API", "enabled": false}
            ],
            "heartbeats": [{"name": "nightly-backup", "description": "", "interval": 24, "intervalUnit": "hours", "enabled": true, "expired": false}]
        })
    }

    #[test]
    fn rotations_restrictions_and_overrides() {
        let e = read(&body(), now()).unwrap();
        assert_eq!(e.users.iter().map(|u| u.role).collect::<Vec<_>>(), [Role::Admin, Role::Responder, Role::Observer]);
        let s = &e.schedules[0];
        assert_eq!(s.layers[0].participants, [UserId("u1".into()), UserId("u2".into())], "a participant named by username");
        assert_eq!(s.layers[0].start.to_string(), "2030-01-07 09:00:00", "09:00 in Berlin");
        assert_eq!(s.layers[0].restrictions.len(), 5);
        let t = |h, m| NaiveTime::from_hms_opt(h, m, 0).unwrap();
        assert_eq!(s.layers[1].restrictions, [Restriction::Daily { start: t(17, 30), end: t(9, 0) }]);
        assert!(s.notes.iter().any(|n| n.contains("both apply") && n.contains("Mon 17:30")), "{:?}", s.notes);
        assert_eq!(s.overrides.len(), 1);
        assert!(s.notes.iter().any(|n| n.contains("\"partial\"")));
        let sched = crate::schedule::Schedule { time_zone: s.time_zone, layers: s.layers.clone(), overrides: s.overrides.clone() };
        let at = |x: &str| on_call(&sched, DateTime::parse_from_rfc3339(x).unwrap().with_timezone(&Utc));
        // Monday 2030-03-04 is day 56 of the daily rotation from Jan 7: 56 mod 2 = 0, u1.
        assert_eq!(at("2030-03-04T09:00:00Z"), [UserId("u1".into())], "10:00 CET");
        assert_eq!(at("2030-03-04T16:45:00Z"), [UserId("u2".into())], "17:45 CET: both apply, the later rotation wins");
        assert_eq!(at("2030-03-27T20:00:00Z"), [UserId("u3".into())], "the whole-schedule override");
    }

    #[test]
    fn not_mapped_and_services() {
        let e = read(&body(), now()).unwrap();
        let kinds: Vec<(&str, &str)> = e.not_mapped.iter().map(|n| (n.kind.as_str(), n.source_id.as_str())).collect();
        assert_eq!(kinds, [("team", "t1"), ("schedule", "s2"), ("service", "i2"), ("heartbeat", "nightly-backup")]);
        assert!(e.not_mapped[1].reason.contains("\"none\""));
        assert!(e.not_mapped[3].reason.contains("heartbeat"));
        let svc = &e.services[0];
        assert_eq!((svc.policy.as_deref(), svc.key.as_deref()), (Some("e1"), Some("eb243592-faa2-4ba2-a551-1afdf565c889")));
    }

    #[test]
    fn escalation_rules_become_levels_by_delay() {
        let e = read(&body(), now()).unwrap();
        let p = &e.policies[0].policy;
        let shape: Vec<(u32, usize)> = p.levels.iter().map(|l| (l.delay_minutes, l.targets.len())).collect();
        // 0: the schedule; 10: u1 (the team left out); 60: u2 (the "next" on-call left out); then 15 before repeating.
        assert_eq!(shape, [(10, 1), (50, 1), (15, 1)]);
        assert_eq!(p.levels[0].targets, [Target::Schedule("s1".into())]);
        assert_eq!(p.repeats, 2);
        let notes = &e.policies[0].notes;
        assert!(notes.iter().any(|n| n.contains("team")) && notes.iter().any(|n| n.contains("\"next\"")) && notes.iter().any(|n| n.contains("closed")), "{notes:?}");
    }

    #[test]
    fn shape_errors_name_the_field() {
        let mut b = body();
        b["schedules"][0]["rotations"][1].as_object_mut().unwrap().remove("startDate");
        assert_eq!(read(&b, now()).unwrap_err().field, "schedules[0].rotations[1].startDate");
        let mut b = body();
        b["escalations"][0]["rules"][2]["delay"]["timeAmount"] = json!("ten");
        assert_eq!(read(&b, now()).unwrap_err().field, "escalations[0].rules[2].delay.timeAmount");
        assert_eq!(read(&json!({"escalation_policies": [{}]}), now()).unwrap_err().field, "escalation_policies");
    }
}
