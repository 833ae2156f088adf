//! Incidents: the status machine (triggered → acknowledged → resolved) and severity levels.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Where an incident is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum IncidentStatus {
    Triggered,
    Acknowledged,
    Resolved,
}

impl IncidentStatus {
    pub const ALL: [IncidentStatus; 3] = [Self::Triggered, Self::Acknowledged, Self::Resolved];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Triggered => "triggered",
            Self::Acknowledged => "acknowledged",
            Self::Resolved => "resolved",
        }
    }

    /// Open incidents still need someone: triggered or acknowledged.
    pub fn is_open(self) -> bool {
        !matches!(self, Self::Resolved)
    }
}

impl fmt::Display for IncidentStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for IncidentStatus {
    type Err = UnknownValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| UnknownValue::new("status", s, "triggered, acknowledged, resolved"))
    }
}

/// Incident severity, SEV1 (most severe) to SEV4.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub enum Severity {
    #[serde(rename = "SEV1")]
    Sev1,
    #[serde(rename = "SEV2")]
    Sev2,
    #[serde(rename = "SEV3")]
    Sev3,
    #[serde(rename = "SEV4")]
    Sev4,
}

impl Severity {
    pub const ALL: [Severity; 4] = [Self::Sev1, Self::Sev2, Self::Sev3, Self::Sev4];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sev1 => "SEV1",
            Self::Sev2 => "SEV2",
            Self::Sev3 => "SEV3",
            Self::Sev4 => "SEV4",
        }
    }

    /// What the level means, for people choosing one by hand.
    pub fn description(self) -> &'static str {
        match self {
            Self::Sev1 => "Critical: customers cannot use the product",
            Self::Sev2 => "Major: a core feature is broken or badly degraded",
            Self::Sev3 => "Minor: partial degradation, workaround exists",
            Self::Sev4 => "Low: no customer impact yet",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = UnknownValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|v| v.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| UnknownValue::new("severity", s, "SEV1, SEV2, SEV3, SEV4"))
    }
}

/// A text value that is not one of an enum's spellings.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown value {value:?}; expected one of {expected}")]
pub struct UnknownValue {
    pub field: &'static str,
    pub value: String,
    pub expected: &'static str,
}

impl UnknownValue {
    pub fn new(field: &'static str, value: &str, expected: &'static str) -> Self {
        let value: String = value.chars().take(64).collect();
        Self { field, value, expected }
    }
}

/// What a responder (or an integration) asks to do to an incident.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IncidentAction {
    Acknowledge,
    /// Back to triggered: the acknowledgement timed out, or the incident was reassigned.
    Unacknowledge,
    Resolve,
}

impl IncidentAction {
    pub fn verb(self) -> &'static str {
        match self {
            Self::Acknowledge => "acknowledge",
            Self::Unacknowledge => "unacknowledge",
            Self::Resolve => "resolve",
        }
    }
}

/// The outcome of applying an action: a real change, or nothing to do (actions are idempotent).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transition {
    Changed { from: IncidentStatus, to: IncidentStatus },
    Unchanged(IncidentStatus),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("cannot {} an incident that is {}", .action.verb(), .status)]
pub struct InvalidTransition {
    pub status: IncidentStatus,
    pub action: IncidentAction,
}

/// The incident status machine. Acknowledging an acknowledged incident, or resolving a resolved
/// one, is not an error (retries are safe); acknowledging a resolved incident is.
pub fn apply(status: IncidentStatus, action: IncidentAction) -> Result<Transition, InvalidTransition> {
    use IncidentAction::*;
    use IncidentStatus::*;
    let to = match (status, action) {
        (Triggered, Acknowledge) => Acknowledged,
        (Acknowledged, Acknowledge) => return Ok(Transition::Unchanged(status)),
        (Resolved, Acknowledge | Unacknowledge) => return Err(InvalidTransition { status, action }),
        (Acknowledged, Unacknowledge) => Triggered,
        (Triggered, Unacknowledge) => return Ok(Transition::Unchanged(status)),
        (Triggered | Acknowledged, Resolve) => Resolved,
        (Resolved, Resolve) => return Ok(Transition::Unchanged(status)),
    };
    Ok(Transition::Changed { from: status, to })
}

#[cfg(test)]
mod tests {
    use super::*;
    use IncidentAction::*;
    use IncidentStatus::*;

    #[test]
    fn every_transition() {
        let cases = [
            (Triggered, Acknowledge, Ok(Transition::Changed { from: Triggered, to: Acknowledged })),
            (Triggered, Resolve, Ok(Transition::Changed { from: Triggered, to: Resolved })),
            (Acknowledged, Acknowledge, Ok(Transition::Unchanged(Acknowledged))),
            (Acknowledged, Resolve, Ok(Transition::Changed { from: Acknowledged, to: Resolved })),
            (Resolved, Acknowledge, Err(InvalidTransition { status: Resolved, action: Acknowledge })),
            (Resolved, Resolve, Ok(Transition::Unchanged(Resolved))),
            (Acknowledged, Unacknowledge, Ok(Transition::Changed { from: Acknowledged, to: Triggered })),
            (Triggered, Unacknowledge, Ok(Transition::Unchanged(Triggered))),
            (Resolved, Unacknowledge, Err(InvalidTransition { status: Resolved, action: Unacknowledge })),
        ];
        for (status, action, want) in cases {
            assert_eq!(apply(status, action), want, "{status} + {action:?}");
        }
    }

    #[test]
    fn invalid_transition_message_names_both_sides() {
        let err = apply(Resolved, Acknowledge).unwrap_err();
        assert_eq!(err.to_string(), "cannot acknowledge an incident that is resolved");
    }

    #[test]
    fn status_and_severity_round_trip_through_text() {
        for s in IncidentStatus::ALL {
            assert_eq!(s.as_str().parse::<IncidentStatus>().unwrap(), s);
            assert_eq!(serde_json::to_string(&s).unwrap(), format!("\"{}\"", s.as_str()));
        }
        for s in Severity::ALL {
            assert_eq!(s.as_str().parse::<Severity>().unwrap(), s);
            assert_eq!(serde_json::to_string(&s).unwrap(), format!("\"{}\"", s.as_str()));
        }
        assert_eq!("sev2".parse::<Severity>().unwrap(), Severity::Sev2);
        assert!("SEV5".parse::<Severity>().is_err());
        assert!("open".parse::<IncidentStatus>().is_err());
    }

    #[test]
    fn severity_orders_most_severe_first() {
        assert!(Severity::Sev1 < Severity::Sev2 && Severity::Sev3 < Severity::Sev4);
    }
}
