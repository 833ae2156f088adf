//! Alert grouping: whether a new alert joins one of its service's open incidents or opens a new
//! one, per the service's rule.

use crate::alert::AlertEvent;
use serde::{Deserialize, Serialize};

pub const MAX_WINDOW_MINUTES: u32 = 24 * 60;

/// A service's grouping rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum GroupingRule {
    /// Every new alert opens its own incident.
    #[default]
    None,
    /// A new alert joins the newest open incident opened within the last `minutes`.
    TimeWindow { minutes: u32 },
    /// A new alert joins the open incident whose alerts share its value of `field`
    /// (an Alertmanager label, a tag, a PagerDuty component/group/class).
    ByField { field: String },
}

impl GroupingRule {
    pub fn validate(&self) -> Result<(), crate::validation::FieldError> {
        use crate::validation::FieldError;
        match self {
            Self::None => Ok(()),
            Self::TimeWindow { minutes } if (1..=MAX_WINDOW_MINUTES).contains(minutes) => Ok(()),
            Self::TimeWindow { .. } => {
                Err(FieldError::new("grouping.minutes", format!("must be from 1 to {MAX_WINDOW_MINUTES}")))
            }
            Self::ByField { field } if !field.trim().is_empty() && field.len() <= 100 => Ok(()),
            Self::ByField { .. } => Err(FieldError::new("grouping.field", "must name a label, 1 to 100 characters")),
        }
    }

    /// The value stored on an incident opened under this rule, for later alerts to match.
    pub fn group_value(&self, event: &AlertEvent) -> Option<String> {
        match self {
            Self::ByField { field } => event.fields.get(field).cloned(),
            _ => None,
        }
    }
}

/// An open incident of the service, as grouping needs to see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenIncident {
    pub id: String,
    pub created_at_ms: i64,
    pub group_value: Option<String>,
}

/// Which open incidents a decision to open a new incident assumed were absent: any open incident
/// of the service opened since `since_ms` (a time window) or holding `group_value` (by field).
/// The opening write is guarded by it, so alerts arriving together — each deciding before any
/// incident exists — open one incident: the others find it when they decide again.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenGuard {
    pub since_ms: Option<i64>,
    pub group_value: Option<String>,
}

/// The guard for opening a new incident for `event` at `now_ms` under `rule`; `None` when the
/// rule never groups it (every such alert opens its own incident).
pub fn open_guard(rule: &GroupingRule, event: &AlertEvent, now_ms: i64) -> Option<OpenGuard> {
    match rule {
        GroupingRule::None => None,
        GroupingRule::TimeWindow { minutes } => Some(OpenGuard { since_ms: Some(now_ms - i64::from(*minutes) * 60_000), group_value: None }),
        GroupingRule::ByField { field } => event.fields.get(field).map(|v| OpenGuard { since_ms: None, group_value: Some(v.clone()) }),
    }
}

/// The open incident a new alert joins, or `None` to open a new incident.
pub fn choose_incident<'a>(rule: &GroupingRule, event: &AlertEvent, open: &'a [OpenIncident], now_ms: i64) -> Option<&'a OpenIncident> {
    match rule {
        GroupingRule::None => None,
        GroupingRule::TimeWindow { minutes } => {
            let since = now_ms - i64::from(*minutes) * 60_000;
            open.iter().filter(|i| i.created_at_ms >= since).max_by_key(|i| (i.created_at_ms, i.id.as_str()))
        }
        GroupingRule::ByField { field } => {
            let value = event.fields.get(field)?;
            open.iter().filter(|i| i.group_value.as_ref() == Some(value)).max_by_key(|i| (i.created_at_ms, i.id.as_str()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inc(id: &str, at: i64, group: Option<&str>) -> OpenIncident {
        OpenIncident { id: id.into(), created_at_ms: at, group_value: group.map(str::to_string) }
    }

    fn event(fields: &[(&str, &str)]) -> AlertEvent {
        AlertEvent { fields: fields.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(), ..Default::default() }
    }

    #[test]
    fn none_always_opens_a_new_incident() {
        let open = [inc("a", 0, None)];
        assert_eq!(choose_incident(&GroupingRule::None, &event(&[]), &open, 1), None);
    }

    #[test]
    fn time_window_joins_the_newest_recent_incident() {
        let now = 100 * 60_000;
        let open = [inc("old", now - 11 * 60_000, None), inc("recent", now - 9 * 60_000, None), inc("newest", now - 60_000, None)];
        let rule = GroupingRule::TimeWindow { minutes: 10 };
        assert_eq!(choose_incident(&rule, &event(&[]), &open, now).map(|i| i.id.as_str()), Some("newest"));
        assert_eq!(choose_incident(&rule, &event(&[]), &open[..1], now), None, "outside the window");
        assert_eq!(choose_incident(&rule, &event(&[]), &[], now), None);
        let edge = [inc("edge", now - 10 * 60_000, None)];
        assert_eq!(choose_incident(&rule, &event(&[]), &edge, now).map(|i| i.id.as_str()), Some("edge"), "window is inclusive");
    }

    #[test]
    fn by_field_joins_the_incident_with_the_same_value() {
        let rule = GroupingRule::ByField { field: "cluster".into() };
        let open = [inc("eu", 1, Some("eu-1")), inc("us", 2, Some("us-1"))];
        assert_eq!(choose_incident(&rule, &event(&[("cluster", "us-1")]), &open, 3).map(|i| i.id.as_str()), Some("us"));
        assert_eq!(choose_incident(&rule, &event(&[("cluster", "ap-1")]), &open, 3), None);
        assert_eq!(choose_incident(&rule, &event(&[]), &open, 3), None, "no label, no grouping");
        assert_eq!(rule.group_value(&event(&[("cluster", "eu-1")])).as_deref(), Some("eu-1"));
    }

    #[test]
    fn rules_validate_and_serialise() {
        assert!(GroupingRule::TimeWindow { minutes: 0 }.validate().is_err());
        assert!(GroupingRule::TimeWindow { minutes: 5 }.validate().is_ok());
        assert!(GroupingRule::ByField { field: " ".into() }.validate().is_err());
        let json = serde_json::to_string(&GroupingRule::TimeWindow { minutes: 5 }).unwrap();
        assert_eq!(json, r#"{"type":"time_window","minutes":5}"#);
        assert_eq!(serde_json::from_str::<GroupingRule>(r#"{"type":"none"}"#).unwrap(), GroupingRule::None);
    }

    #[test]
    fn the_open_guard_covers_exactly_what_choosing_would_join() {
        let ev = |field: Option<&str>| {
            let mut e = AlertEvent::default();
            if let Some(v) = field {
                e.fields.insert("cluster".into(), v.into());
            }
            e
        };
        let now = 10 * 60_000;
        assert_eq!(open_guard(&GroupingRule::None, &ev(None), now), None);
        let window = GroupingRule::TimeWindow { minutes: 5 };
        let g = open_guard(&window, &ev(None), now).unwrap();
        assert_eq!(g, OpenGuard { since_ms: Some(5 * 60_000), group_value: None });
        // An incident the guard covers is one choosing would have joined, and the reverse.
        for at in [4 * 60_000 - 1, 5 * 60_000, now] {
            let open = [inc("x", at, None)];
            assert_eq!(choose_incident(&window, &ev(None), &open, now).is_some(), at >= g.since_ms.unwrap(), "opened at {at}");
        }
        let by = GroupingRule::ByField { field: "cluster".into() };
        assert_eq!(open_guard(&by, &ev(None), now), None, "no value: never grouped");
        let g = open_guard(&by, &ev(Some("eu-1")), now).unwrap();
        assert_eq!(g, OpenGuard { since_ms: None, group_value: Some("eu-1".into()) });
        assert!(choose_incident(&by, &ev(Some("eu-1")), &[inc("a", 0, Some("eu-1"))], now).is_some());
        assert!(choose_incident(&by, &ev(Some("eu-1")), &[inc("a", 0, Some("us-1"))], now).is_none());
    }
}
