//! Escalation: who is paged, and who next when nobody acknowledges. A policy (snapshotted on the
//! incident when it opens) has ordered levels; each notifies its targets — users, or schedules
//! resolved to whoever is on call at that moment — then waits before the next level; the whole
//! policy repeats up to R times. [`next_step`] is the one decision, given the state and "now".

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
    /// Schedules of this level with nobody on call (or unknown).
    pub empty_schedules: Vec<String>,
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

/// What to do at `now`. Steps are decided at their due time (not at `now`), so a sweep that runs
/// late fires every missed step, in order, each exactly once: call again with the stored `next`
/// until the answer is `Wait` or `Stop`.
pub fn next_step<'a>(
    policy: &Policy,
    status: IncidentStatus,
    position: Option<Position>,
    schedules: impl Fn(&str) -> Option<&'a Schedule>,
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
    let mut pages: Vec<Page> = Vec::new();
    let mut empty_schedules = Vec::new();
    for t in &level.targets {
        match t {
            Target::User(u) => {
                if !pages.iter().any(|p| &p.user == u) {
                    pages.push(Page { user: u.clone(), via_schedule: None });
                }
            }
            Target::Schedule(id) => {
                let users = schedules(id).map(|s| on_call(s, pos.due_at)).unwrap_or_default();
                if users.is_empty() {
                    empty_schedules.push(id.clone());
                }
                for u in users {
                    if !pages.iter().any(|p| p.user == u) {
                        pages.push(Page { user: u, via_schedule: Some(id.clone()) });
                    }
                }
            }
        }
    }
    let fell_through = pages.is_empty();
    let wait = if fell_through { Duration::zero() } else { Duration::minutes(i64::from(level.delay_minutes.max(1))) };
    let due = pos.due_at + wait;
    let next = if pos.level + 1 < policy.levels.len() {
        Some(Position { cycle: pos.cycle, level: pos.level + 1, due_at: due })
    } else if pos.cycle < policy.repeats {
        // A pass where nobody at all could be paged does not loop forever at one instant.
        Some(Position { cycle: pos.cycle + 1, level: 0, due_at: if fell_through { pos.due_at + Duration::minutes(1) } else { due } })
    } else {
        None
    };
    Decision::Notify(Step { position: pos, pages, empty_schedules, fell_through, next })
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
    fn step(d: Decision) -> Step {
        match d {
            Decision::Notify(s) => s,
            other => panic!("expected a step, got {other:?}"),
        }
    }
    fn users(s: &Step) -> Vec<&str> {
        s.pages.iter().map(|p| p.user.as_str()).collect()
    }

    #[test]
    fn levels_in_order_with_their_delays_then_repeats_then_done() {
        let p = policy(vec![(vec![user("ana")], 5), (vec![user("bo"), user("cy")], 10)], 1);
        let open = t("2026-11-24T10:00:00Z");
        let first = step(next_step(&p, IncidentStatus::Triggered, start(&p, open), no_schedules, open));
        assert_eq!(users(&first), ["ana"]);
        assert_eq!(first.next.unwrap().due_at, t("2026-11-24T10:05:00Z"));
        assert_eq!(next_step(&p, IncidentStatus::Triggered, first.next, no_schedules, t("2026-11-24T10:04:59Z")), Decision::Wait { until: t("2026-11-24T10:05:00Z") });
        let second = step(next_step(&p, IncidentStatus::Triggered, first.next, no_schedules, t("2026-11-24T10:05:00Z")));
        assert_eq!(users(&second), ["bo", "cy"]);
        let repeat = second.next.unwrap();
        assert_eq!((repeat.cycle, repeat.level, repeat.due_at), (1, 0, t("2026-11-24T10:15:00Z")));
        let again = step(next_step(&p, IncidentStatus::Triggered, Some(repeat), no_schedules, repeat.due_at));
        let last = step(next_step(&p, IncidentStatus::Triggered, again.next, no_schedules, again.next.unwrap().due_at));
        assert_eq!(last.next, None, "one repeat, then no more");
        assert_eq!(next_step(&p, IncidentStatus::Triggered, last.next, no_schedules, t("2026-11-24T12:00:00Z")), Decision::Stop(StopReason::Exhausted));
    }

    #[test]
    fn acknowledge_and_resolve_stop_it() {
        let p = policy(vec![(vec![user("ana")], 5)], 0);
        let pos = start(&p, t("2026-11-24T10:00:00Z"));
        assert_eq!(next_step(&p, IncidentStatus::Acknowledged, pos, no_schedules, t("2026-11-24T11:00:00Z")), Decision::Stop(StopReason::Acknowledged));
        assert_eq!(next_step(&p, IncidentStatus::Resolved, pos, no_schedules, t("2026-11-24T11:00:00Z")), Decision::Stop(StopReason::Resolved));
    }

    #[test]
    fn schedules_resolve_to_whoever_is_on_call_at_the_step() {
        let sched = Schedule {
            time_zone: chrono_tz::UTC,
            layers: vec![Layer {
                name: "primary".into(),
                participants: vec![u("day"), u("night")],
                start: chrono::NaiveDate::from_ymd_opt(2026, 11, 24).unwrap().and_hms_opt(8, 0, 0).unwrap(),
                turn: Turn::Hours { hours: 12 },
                restrictions: vec![],
            }],
            overrides: vec![],
        };
        let lookup = |id: &str| (id == "primary").then_some(&sched);
        let p = policy(vec![(vec![Target::Schedule("primary".into()), user("day")], 30)], 0);
        let s = step(next_step(&p, IncidentStatus::Triggered, start(&p, t("2026-11-24T19:50:00Z")), lookup, t("2026-11-24T19:50:00Z")));
        assert_eq!(s.pages, vec![Page { user: u("day"), via_schedule: Some("primary".into()) }], "named twice, paged once");
        let late = step(next_step(&p, IncidentStatus::Triggered, start(&p, t("2026-11-24T20:10:00Z")), lookup, t("2026-11-24T20:10:00Z")));
        assert_eq!(users(&late), ["night", "day"]);
    }

    #[test]
    fn an_empty_schedule_falls_through_to_the_next_level_and_is_flagged() {
        let empty = Schedule { time_zone: chrono_tz::UTC, layers: vec![], overrides: vec![] };
        let lookup = |id: &str| (id == "empty").then_some(&empty);
        let p = policy(vec![(vec![Target::Schedule("empty".into())], 10), (vec![user("boss")], 10)], 0);
        let open = t("2026-11-24T10:00:00Z");
        let s = step(next_step(&p, IncidentStatus::Triggered, start(&p, open), lookup, open));
        assert!(s.fell_through && s.pages.is_empty());
        assert_eq!(s.empty_schedules, ["empty"]);
        assert_eq!(s.next.unwrap().due_at, open, "the next level at once");
        let s2 = step(next_step(&p, IncidentStatus::Triggered, s.next, lookup, open));
        assert_eq!(users(&s2), ["boss"]);
    }

    #[test]
    fn a_late_sweep_fires_every_missed_step_once_in_order() {
        let p = policy(vec![(vec![user("a")], 1), (vec![user("b")], 1), (vec![user("c")], 1)], 0);
        let open = t("2026-11-24T10:00:00Z");
        let now = t("2026-11-24T10:30:00Z");
        let mut pos = start(&p, open);
        let mut fired = Vec::new();
        loop {
            match next_step(&p, IncidentStatus::Triggered, pos, no_schedules, now) {
                Decision::Notify(s) => {
                    fired.push((users(&s)[0].to_string(), s.position.due_at));
                    pos = s.next;
                }
                Decision::Stop(StopReason::Exhausted) => break,
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(
            fired,
            [("a".into(), open), ("b".into(), t("2026-11-24T10:01:00Z")), ("c".into(), t("2026-11-24T10:02:00Z"))],
            "due times come from the policy, not from when the sweep ran"
        );
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
