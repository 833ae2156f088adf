//! Escalation: who is paged, and who next when nobody acknowledges. A policy (snapshotted on the
//! incident when it opens) has ordered levels; each notifies its targets — users, or schedules
//! resolved to whoever is on call at that moment — then waits before the next level; the whole
//! policy repeats up to R times. [`next_step`] is the one decision, given the state and "now".
//! Deactivated people are never paged: a schedule where only they are on call counts as empty
//! (the level falls through as for an empty schedule). [`step_message`] is the timeline's line.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::UserId;
use crate::incident::IncidentStatus;
use crate::schedule::{on_call, Schedule};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(tag = "type", content = "id", rename_all = "snake_case")]
pub enum Target {
    User(UserId),
    Schedule(String),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct Level {
    pub targets: Vec<Target>,
    /// Minutes to wait for an acknowledgement before the next level (at least 1).
    pub delay_minutes: u32,
}

/// A policy as it was when the incident opened: later edits do not change a running escalation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct Policy {
    pub levels: Vec<Level>,
    /// How many more times the whole policy runs after the first pass.
    pub repeats: u32,
}

impl Policy {
    /// A reassignment's policy: the assignee alone, once. Stored as the incident's escalation,
    /// so a lapsed acknowledgement (which restarts the escalation) pages the assignee again, as
    /// PagerDuty and Opsgenie do, not the level 1 of the policy it was reassigned away from.
    pub fn assignee(user: UserId) -> Policy {
        Policy { levels: vec![Level { targets: vec![Target::User(user)], delay_minutes: 5 }], repeats: 0 }
    }

    pub fn validate(&self) -> Result<(), crate::validation::FieldError> {
        use crate::validation::FieldError;
        if self.levels.is_empty() {
            return Err(FieldError::new("levels", "a policy needs at least one level"));
        }
        for (i, l) in self.levels.iter().enumerate() {
            if l.targets.is_empty() {
                return Err(FieldError::new(format!("levels[{i}].targets"), "needs at least one user or schedule"));
            }
            if l.delay_minutes < 1 {
                return Err(FieldError::new(format!("levels[{i}].delay_minutes"), "must be at least 1"));
            }
        }
        if self.repeats > 9 {
            return Err(FieldError::new("repeats", "must be from 0 to 9"));
        }
        Ok(())
    }
}

/// Where an escalation is: the step due next.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct Position {
    /// 0 for the first pass, 1 for the first repeat, …
    pub cycle: u32,
    pub level: usize,
    pub due_at: DateTime<Utc>,
}

/// The first step: level 1 at once.
pub fn start(policy: &Policy, opened_at: DateTime<Utc>) -> Option<Position> {
    (!policy.levels.is_empty()).then_some(Position { cycle: 0, level: 0, due_at: opened_at })
}

/// Someone paged by a step, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct Page {
    pub user: UserId,
    /// The schedule they were on call in; `None` when the level names them directly.
    pub via_schedule: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct Step {
    pub position: Position,
    /// Each user once, even when named directly and on call in a schedule of the same level.
    pub pages: Vec<Page>,
    /// Schedules of this level with nobody on call who can be paged (or unknown).
    pub empty_schedules: Vec<String>,
    /// Deactivated people this level would have paged (named directly or on call): not paged.
    #[serde(default)]
    pub skipped: Vec<Page>,
    /// Nobody could be paged at this level, so the next one follows at once.
    pub fell_through: bool,
    /// The step after this one, if any.
    pub next: Option<Position>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    Acknowledged,
    Resolved,
    /// Every level ran, with every repeat.
    Exhausted,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub enum Decision {
    /// Nothing due yet.
    Wait { until: DateTime<Utc> },
    /// Run this step now (and store `step.next` as the new position).
    Notify(Step),
    Stop(StopReason),
}

/// What to do at `now`: call again with the stored `next` until the answer is `Wait` or `Stop`.
/// A step is decided when its page goes out: at its due time, or at `now` when it runs late (the
/// escalation clock and the cron were down). Who is on call is then who is on call *now* (not
/// the person whose shift ended meanwhile), and the next level's wait starts now, as PagerDuty
/// counts an escalation timeout from the notification: a late run fires one step, then waits,
/// rather than paging every missed level at once with no time to answer. A level nobody could be
/// paged at still falls through to the next at once. `is_active` says who may be paged (not
/// deactivated).
pub fn next_step<'a>(
    policy: &Policy,
    status: IncidentStatus,
    position: Option<Position>,
    schedules: impl Fn(&str) -> Option<&'a Schedule>,
    is_active: impl Fn(&UserId) -> bool,
    now: DateTime<Utc>,
) -> Decision {
    match status {
        IncidentStatus::Acknowledged => return Decision::Stop(StopReason::Acknowledged),
        IncidentStatus::Resolved => return Decision::Stop(StopReason::Resolved),
        IncidentStatus::Triggered => {}
    }
    let Some(pos) = position else { return Decision::Stop(StopReason::Exhausted) };
    let Some(level) = policy.levels.get(pos.level) else { return Decision::Stop(StopReason::Exhausted) };
    if now < pos.due_at {
        return Decision::Wait { until: pos.due_at };
    }
    // When the page goes out (see above).
    let at = now.max(pos.due_at);
    let mut pages: Vec<Page> = Vec::new();
    let mut empty_schedules = Vec::new();
    let mut skipped: Vec<Page> = Vec::new();
    let mut add = |page: Page| {
        let list = if is_active(&page.user) { &mut pages } else { &mut skipped };
        if !list.iter().any(|p| p.user == page.user) {
            list.push(page);
        }
    };
    for t in &level.targets {
        match t {
            Target::User(u) => add(Page { user: u.clone(), via_schedule: None }),
            Target::Schedule(id) => {
                let users = schedules(id).map(|s| on_call(s, at)).unwrap_or_default();
                if crate::coverage::uncovered(&users, &is_active) {
                    empty_schedules.push(id.clone());
                }
                for u in users {
                    add(Page { user: u, via_schedule: Some(id.clone()) });
                }
            }
        }
    }
    let fell_through = pages.is_empty();
    let wait = if fell_through { Duration::zero() } else { Duration::minutes(i64::from(level.delay_minutes.max(1))) };
    let due = at + wait;
    let next = if pos.level + 1 < policy.levels.len() {
        Some(Position { cycle: pos.cycle, level: pos.level + 1, due_at: due })
    } else if pos.cycle < policy.repeats {
        // A pass where nobody at all could be paged does not loop forever at one instant.
        Some(Position { cycle: pos.cycle + 1, level: 0, due_at: if fell_through { at + Duration::minutes(1) } else { due } })
    } else {
        None
    };
    Decision::Notify(Step { position: pos, pages, empty_schedules, skipped, fell_through, next })
}

/// The timeline's sentence for a step, e.g. "Escalated to level 2: notified Bo, Ana (on call in
/// Primary)" or "Level 1: nobody on call in Primary (Ana is deactivated); going on to the next
/// level". `user` and `schedule` give display names.
pub fn step_message(step: &Step, user: impl Fn(&UserId) -> String, schedule: impl Fn(&str) -> String) -> String {
    let level = step.position.level + 1;
    let pass = if step.position.cycle > 0 { format!(" (repeat {})", step.position.cycle) } else { String::new() };
    let are = |names: &[String]| match names {
        [one] => format!("{one} is deactivated"),
        [init @ .., last] => format!("{} and {last} are deactivated", init.join(", ")),
        [] => String::new(),
    };
    let mut notes: Vec<String> = Vec::new();
    for s in &step.empty_schedules {
        let gone: Vec<String> = step.skipped.iter().filter(|p| p.via_schedule.as_deref() == Some(s.as_str())).map(|p| user(&p.user)).collect();
        notes.push(match gone.is_empty() {
            true => format!("nobody on call in {}", schedule(s)),
            false => format!("nobody on call in {} ({})", schedule(s), are(&gone)),
        });
    }
    // Deactivated people not already explained by an empty schedule (named directly, or on call
    // next to someone who was paged).
    let others: Vec<String> = step
        .skipped
        .iter()
        .filter(|p| !p.via_schedule.as_ref().is_some_and(|s| step.empty_schedules.contains(s)))
        .map(|p| user(&p.user))
        .fold(Vec::new(), |mut v, n| {
            if !v.contains(&n) {
                v.push(n);
            }
            v
        });
    if !others.is_empty() {
        notes.push(format!("{}, not notified", are(&others)));
    }
    if step.fell_through {
        let why = if notes.is_empty() { "nobody on call".to_string() } else { notes.join("; ") };
        return format!("Level {level}{pass}: {why}; going on to the next level");
    }
    let who: Vec<String> = step
        .pages
        .iter()
        .map(|p| match &p.via_schedule {
            Some(s) => format!("{} (on call in {})", user(&p.user), schedule(s)),
            None => user(&p.user),
        })
        .collect();
    let mut message = format!("Escalated to level {level}{pass}: notified {}", who.join(", "));
    if !notes.is_empty() {
        message.push_str(&format!(" — {}", notes.join("; ")));
    }
    message
}

/// When an acknowledgement lapses, for services that un-acknowledge after a timeout.
pub fn acknowledgement_expires(acknowledged_at: DateTime<Utc>, timeout_minutes: Option<u32>) -> Option<DateTime<Utc>> {
    timeout_minutes.filter(|m| *m >= 1).map(|m| acknowledged_at + Duration::minutes(i64::from(m)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::{Layer, Turn};

    fn u(s: &str) -> UserId {
        UserId(s.into())
    }
    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }
    fn user(s: &str) -> Target {
        Target::User(u(s))
    }
    fn policy(levels: Vec<(Vec<Target>, u32)>, repeats: u32) -> Policy {
        Policy { levels: levels.into_iter().map(|(targets, delay_minutes)| Level { targets, delay_minutes }).collect(), repeats }
    }
    fn no_schedules(_: &str) -> Option<&'static Schedule> {
        None
    }
    fn everyone(_: &UserId) -> bool {
        true
    }
    fn step(d: Decision) -> Step {
        match d {
            Decision::Notify(s) => s,
            other => panic!("expected a step, got {other:?}"),
        }
    }
    /// Two people in 12-hour turns (UTC) from November `start.0`, 2026 at `start.1` o'clock.
    fn twelve_hour_rota(name: &str, people: [&str; 2], start: (u32, u32)) -> Schedule {
        Schedule {
            time_zone: chrono_tz::UTC,
            layers: vec![Layer {
                name: name.into(),
                participants: people.iter().map(|p| u(p)).collect(),
                start: chrono::NaiveDate::from_ymd_opt(2026, 11, start.0).unwrap().and_hms_opt(start.1, 0, 0).unwrap(),
                turn: Turn::Hours { hours: 12 },
                restrictions: vec![],
            }],
            overrides: vec![],
        }
    }
    fn users(s: &Step) -> Vec<&str> {
        s.pages.iter().map(|p| p.user.as_str()).collect()
    }

    #[test]
    fn levels_in_order_with_their_delays_then_repeats_then_done() {
        let p = policy(vec![(vec![user("ana")], 5), (vec![user("bo"), user("cy")], 10)], 1);
        let open = t("2026-11-24T10:00:00Z");
        let first = step(next_step(&p, IncidentStatus::Triggered, start(&p, open), no_schedules, everyone, open));
        assert_eq!(users(&first), ["ana"]);
        assert_eq!(first.next.unwrap().due_at, t("2026-11-24T10:05:00Z"));
        assert_eq!(next_step(&p, IncidentStatus::Triggered, first.next, no_schedules, everyone, t("2026-11-24T10:04:59Z")), Decision::Wait { until: t("2026-11-24T10:05:00Z") });
        let second = step(next_step(&p, IncidentStatus::Triggered, first.next, no_schedules, everyone, t("2026-11-24T10:05:00Z")));
        assert_eq!(users(&second), ["bo", "cy"]);
        let repeat = second.next.unwrap();
        assert_eq!((repeat.cycle, repeat.level, repeat.due_at), (1, 0, t("2026-11-24T10:15:00Z")));
        let again = step(next_step(&p, IncidentStatus::Triggered, Some(repeat), no_schedules, everyone, repeat.due_at));
        let last = step(next_step(&p, IncidentStatus::Triggered, again.next, no_schedules, everyone, again.next.unwrap().due_at));
        assert_eq!(last.next, None, "one repeat, then no more");
        assert_eq!(next_step(&p, IncidentStatus::Triggered, last.next, no_schedules, everyone, t("2026-11-24T12:00:00Z")), Decision::Stop(StopReason::Exhausted));
    }

    #[test]
    fn a_reassignment_restarted_pages_the_assignee_once() {
        let p = Policy::assignee(u("bo"));
        assert_eq!(p, serde_json::from_str(&serde_json::to_string(&p).unwrap()).unwrap(), "stored as JSON and read back");
        let lapsed = t("2026-11-24T03:35:00Z");
        let s = step(next_step(&p, IncidentStatus::Triggered, start(&p, lapsed), no_schedules, everyone, lapsed));
        assert_eq!(users(&s), ["bo"], "the assignee, not the old level 1");
        assert_eq!(s.next, None, "and nothing further");
    }

    #[test]
    fn acknowledge_and_resolve_stop_it() {
        let p = policy(vec![(vec![user("ana")], 5)], 0);
        let pos = start(&p, t("2026-11-24T10:00:00Z"));
        assert_eq!(next_step(&p, IncidentStatus::Acknowledged, pos, no_schedules, everyone, t("2026-11-24T11:00:00Z")), Decision::Stop(StopReason::Acknowledged));
        assert_eq!(next_step(&p, IncidentStatus::Resolved, pos, no_schedules, everyone, t("2026-11-24T11:00:00Z")), Decision::Stop(StopReason::Resolved));
    }

    #[test]
    fn schedules_resolve_to_whoever_is_on_call_at_the_step() {
        let sched = twelve_hour_rota("primary", ["day", "night"], (24, 8));
        let lookup = |id: &str| (id == "primary").then_some(&sched);
        let p = policy(vec![(vec![Target::Schedule("primary".into()), user("day")], 30)], 0);
        let s = step(next_step(&p, IncidentStatus::Triggered, start(&p, t("2026-11-24T19:50:00Z")), lookup, everyone, t("2026-11-24T19:50:00Z")));
        assert_eq!(s.pages, vec![Page { user: u("day"), via_schedule: Some("primary".into()) }], "named twice, paged once");
        let late = step(next_step(&p, IncidentStatus::Triggered, start(&p, t("2026-11-24T20:10:00Z")), lookup, everyone, t("2026-11-24T20:10:00Z")));
        assert_eq!(users(&late), ["night", "day"]);
    }

    #[test]
    fn an_empty_schedule_falls_through_to_the_next_level_and_is_flagged() {
        let empty = Schedule { time_zone: chrono_tz::UTC, layers: vec![], overrides: vec![] };
        let lookup = |id: &str| (id == "empty").then_some(&empty);
        let p = policy(vec![(vec![Target::Schedule("empty".into())], 10), (vec![user("boss")], 10)], 0);
        let open = t("2026-11-24T10:00:00Z");
        let s = step(next_step(&p, IncidentStatus::Triggered, start(&p, open), lookup, everyone, open));
        assert!(s.fell_through && s.pages.is_empty());
        assert_eq!(s.empty_schedules, ["empty"]);
        assert_eq!(s.next.unwrap().due_at, open, "the next level at once");
        let s2 = step(next_step(&p, IncidentStatus::Triggered, s.next, lookup, everyone, open));
        assert_eq!(users(&s2), ["boss"]);
    }

    fn rota(people: &[&str]) -> Schedule {
        Schedule {
            time_zone: chrono_tz::UTC,
            layers: vec![Layer {
                name: "week".into(),
                participants: people.iter().map(|p| u(p)).collect(),
                start: chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap().and_hms_opt(9, 0, 0).unwrap(),
                turn: Turn::Weekly,
                restrictions: vec![],
            }],
            overrides: vec![],
        }
    }

    #[test]
    fn a_schedule_where_only_deactivated_people_are_on_call_is_empty_and_falls_through() {
        let primary = rota(&["ana"]);
        let lookup = |id: &str| (id == "primary").then_some(&primary);
        let active = |x: &UserId| x.as_str() != "ana";
        let p = policy(vec![(vec![Target::Schedule("primary".into())], 10), (vec![user("bo"), Target::Schedule("primary".into())], 10)], 0);
        let open = t("2026-11-24T10:00:00Z");
        let s = step(next_step(&p, IncidentStatus::Triggered, start(&p, open), lookup, active, open));
        assert!(s.fell_through && s.pages.is_empty(), "Ana is not paged: {s:?}");
        assert_eq!(s.empty_schedules, ["primary"]);
        assert_eq!(s.skipped, [Page { user: u("ana"), via_schedule: Some("primary".into()) }]);
        assert_eq!(s.next.unwrap().due_at, open, "the next level at once, as for an empty schedule");
        let s2 = step(next_step(&p, IncidentStatus::Triggered, s.next, lookup, active, open));
        assert_eq!(users(&s2), ["bo"], "Bo, and not Ana through the schedule");
        // The same schedule with everyone active pages Ana.
        let s3 = step(next_step(&p, IncidentStatus::Triggered, start(&p, open), lookup, everyone, open));
        assert_eq!(users(&s3), ["ana"]);
        assert!(s3.skipped.is_empty() && s3.empty_schedules.is_empty());
    }

    #[test]
    fn a_deactivated_person_named_directly_is_never_paged() {
        let active = |x: &UserId| x.as_str() != "gone";
        let p = policy(vec![(vec![user("gone")], 5), (vec![user("gone"), user("cy")], 5)], 0);
        let open = t("2026-11-24T10:00:00Z");
        let s = step(next_step(&p, IncidentStatus::Triggered, start(&p, open), no_schedules, active, open));
        assert!(s.fell_through && s.pages.is_empty());
        assert!(s.empty_schedules.is_empty());
        let s2 = step(next_step(&p, IncidentStatus::Triggered, s.next, no_schedules, active, open));
        assert_eq!(users(&s2), ["cy"]);
        assert!(!s2.fell_through);
        assert_eq!(s2.next, None);
    }

    #[test]
    fn someone_still_active_on_the_same_schedule_is_paged_and_the_schedule_is_not_empty() {
        let mut both = rota(&["ana"]);
        both.overrides = vec![
            crate::schedule::Override { user: u("ana"), start: t("2026-11-24T09:00:00Z"), end: t("2026-11-24T11:00:00Z") },
            crate::schedule::Override { user: u("dee"), start: t("2026-11-24T09:00:00Z"), end: t("2026-11-24T11:00:00Z") },
        ];
        let lookup = |id: &str| (id == "primary").then_some(&both);
        let p = policy(vec![(vec![Target::Schedule("primary".into())], 10)], 0);
        let open = t("2026-11-24T10:00:00Z");
        let s = step(next_step(&p, IncidentStatus::Triggered, start(&p, open), lookup, |x: &UserId| x.as_str() != "ana", open));
        assert_eq!(users(&s), ["dee"]);
        assert!(s.empty_schedules.is_empty() && !s.fell_through);
        assert_eq!(s.skipped.len(), 1);
    }

    #[test]
    fn step_messages_name_people_and_schedules_and_say_who_is_deactivated() {
        let names = |x: &UserId| match x.as_str() {
            "ana" => "Ana Ruiz".to_string(),
            "bo" => "Bo".to_string(),
            "cy" => "Cy".to_string(),
            other => other.to_string(),
        };
        let sched = |s: &str| if s == "p1" { "Payments primary".to_string() } else { s.to_string() };
        let pos = |cycle, level| Position { cycle, level, due_at: t("2026-11-24T10:00:00Z") };
        let page = |x: &str, via: Option<&str>| Page { user: u(x), via_schedule: via.map(String::from) };
        let mk = |position, pages: Vec<Page>, empty: Vec<&str>, skipped: Vec<Page>| Step {
            position,
            fell_through: pages.is_empty(),
            pages,
            empty_schedules: empty.into_iter().map(String::from).collect(),
            skipped,
            next: None,
        };
        assert_eq!(
            step_message(&mk(pos(0, 0), vec![page("bo", None), page("ana", Some("p1"))], vec![], vec![]), names, sched),
            "Escalated to level 1: notified Bo, Ana Ruiz (on call in Payments primary)"
        );
        assert_eq!(step_message(&mk(pos(1, 1), vec![], vec!["p1"], vec![]), names, sched), "Level 2 (repeat 1): nobody on call in Payments primary; going on to the next level");
        assert_eq!(
            step_message(&mk(pos(0, 0), vec![], vec!["p1"], vec![page("ana", Some("p1"))]), names, sched),
            "Level 1: nobody on call in Payments primary (Ana Ruiz is deactivated); going on to the next level"
        );
        assert_eq!(
            step_message(&mk(pos(0, 1), vec![page("bo", None)], vec!["p1"], vec![page("ana", Some("p1")), page("cy", None)]), names, sched),
            "Escalated to level 2: notified Bo — nobody on call in Payments primary (Ana Ruiz is deactivated); Cy is deactivated, not notified"
        );
        assert_eq!(
            step_message(&mk(pos(0, 0), vec![], vec![], vec![page("ana", None), page("cy", None)]), names, sched),
            "Level 1: Ana Ruiz and Cy are deactivated, not notified; going on to the next level"
        );
    }

    /// Runs `next_step` at `now` until it waits or stops: who each step paged, and the wait.
    fn run_at(p: &Policy, mut pos: Option<Position>, schedules: &dyn Fn(&str) -> Option<&'static Schedule>, now: DateTime<Utc>) -> (Vec<Vec<String>>, Decision) {
        let mut fired = Vec::new();
        loop {
            match next_step(p, IncidentStatus::Triggered, pos, schedules, everyone, now) {
                Decision::Notify(s) => {
                    fired.push(users(&s).into_iter().map(String::from).collect());
                    pos = s.next;
                }
                other => return (fired, other),
            }
        }
    }

    #[test]
    fn a_late_run_fires_one_step_and_the_next_level_waits_from_then() {
        let p = policy(vec![(vec![user("a")], 5), (vec![user("b")], 5), (vec![user("c")], 5)], 0);
        let open = t("2026-11-24T10:00:00Z");
        // On time: level 1 now, level 2 five minutes later.
        let (fired, then) = run_at(&p, start(&p, open), &no_schedules, open);
        assert_eq!((fired, then), (vec![vec!["a".to_string()]], Decision::Wait { until: t("2026-11-24T10:05:00Z") }));
        // The clock and the cron were down for half an hour: level 1 goes out now, and level 2
        // (due at 10:05 by the policy) waits its five minutes from now, not paged at once.
        let late = t("2026-11-24T10:30:00Z");
        let (fired, then) = run_at(&p, start(&p, open), &no_schedules, late);
        assert_eq!(fired, vec![vec!["a".to_string()]]);
        assert_eq!(then, Decision::Wait { until: t("2026-11-24T10:35:00Z") });
        // A level nobody can be paged at still falls through at once, late or not.
        let p = policy(vec![(vec![Target::Schedule("unknown".into())], 5), (vec![user("b")], 5), (vec![user("c")], 5)], 0);
        let (fired, then) = run_at(&p, start(&p, open), &no_schedules, late);
        assert_eq!(fired, vec![vec![], vec!["b".to_string()]]);
        assert_eq!(then, Decision::Wait { until: t("2026-11-24T10:35:00Z") });
    }

    #[test]
    fn a_late_step_pages_who_is_on_call_when_it_runs() {
        // Night until 08:00, then day; level 2 was due at 07:55 but the run came at 08:10.
        let p = policy(vec![(vec![user("x")], 5), (vec![Target::Schedule("rota".into())], 5)], 0);
        let s: &'static Schedule = Box::leak(Box::new(twelve_hour_rota("rota", ["night", "day"], (23, 20))));
        let lookup = move |id: &str| (id == "rota").then_some(s);
        let pos = Some(Position { cycle: 0, level: 1, due_at: t("2026-11-24T07:55:00Z") });
        let (fired, _) = run_at(&p, pos, &lookup, t("2026-11-24T07:55:00Z"));
        assert_eq!(fired, vec![vec!["night".to_string()]], "on time: the night shift");
        let (fired, _) = run_at(&p, pos, &lookup, t("2026-11-24T08:10:00Z"));
        assert_eq!(fired, vec![vec!["day".to_string()]], "late: whoever is on call now, not who went off at 08:00");
    }

    #[test]
    fn acknowledgements_lapse_only_when_the_service_says_so() {
        let at = t("2026-11-24T10:00:00Z");
        assert_eq!(acknowledgement_expires(at, None), None);
        assert_eq!(acknowledgement_expires(at, Some(0)), None);
        assert_eq!(acknowledgement_expires(at, Some(30)), Some(t("2026-11-24T10:30:00Z")));
    }

    #[test]
    fn policies_validate() {
        assert!(policy(vec![], 0).validate().is_err());
        assert_eq!(policy(vec![(vec![], 5)], 0).validate().unwrap_err().field, "levels[0].targets");
        assert_eq!(policy(vec![(vec![user("a")], 0)], 0).validate().unwrap_err().field, "levels[0].delay_minutes");
        assert!(policy(vec![(vec![user("a")], 5)], 2).validate().is_ok());
    }
}
