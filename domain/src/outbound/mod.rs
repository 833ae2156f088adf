//! Outbound webhooks to chat and ticketing: which events exist, which destination wants which,
//! the bodies each kind of receiver expects (`slack`, `teams`, `generic`), Tocsin's signature on
//! generic ones, and the retry rule every outbound delivery (webhook or Web Push) follows.

pub mod body;
pub mod retry;
#[cfg(feature = "vendors")]
pub mod signature;

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

use crate::incident::UnknownValue;

/// What a destination can subscribe to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub enum EventKind {
    #[serde(rename = "incident.opened")]
    IncidentOpened,
    #[serde(rename = "incident.acknowledged")]
    IncidentAcknowledged,
    #[serde(rename = "incident.escalated")]
    IncidentEscalated,
    #[serde(rename = "incident.resolved")]
    IncidentResolved,
    #[serde(rename = "incident.note_added")]
    NoteAdded,
    #[serde(rename = "status_update.published")]
    StatusUpdatePublished,
    /// A structured status update posted on an incident (`POST /api/incidents/{id}/updates`).
    #[serde(rename = "incident.status_update")]
    IncidentStatusUpdate,
    /// Someone was asked to help on an incident (`POST /api/incidents/{id}/responders`).
    #[serde(rename = "responder.requested")]
    ResponderRequested,
}

impl EventKind {
    pub const ALL: [EventKind; 8] = [
        Self::IncidentOpened,
        Self::IncidentAcknowledged,
        Self::IncidentEscalated,
        Self::IncidentResolved,
        Self::NoteAdded,
        Self::StatusUpdatePublished,
        Self::IncidentStatusUpdate,
        Self::ResponderRequested,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::IncidentOpened => "incident.opened",
            Self::IncidentAcknowledged => "incident.acknowledged",
            Self::IncidentEscalated => "incident.escalated",
            Self::IncidentResolved => "incident.resolved",
            Self::NoteAdded => "incident.note_added",
            Self::StatusUpdatePublished => "status_update.published",
            Self::IncidentStatusUpdate => "incident.status_update",
            Self::ResponderRequested => "responder.requested",
        }
    }

    /// For people choosing events in a form.
    pub fn label(self) -> &'static str {
        match self {
            Self::IncidentOpened => "Incident opened",
            Self::IncidentAcknowledged => "Acknowledged",
            Self::IncidentEscalated => "Escalated",
            Self::IncidentResolved => "Resolved",
            Self::NoteAdded => "Note added",
            Self::StatusUpdatePublished => "Status update published",
            Self::IncidentStatusUpdate => "Incident status update",
            Self::ResponderRequested => "Responder requested",
        }
    }

    /// The incident's status right after this event (what a message about it should show, even
    /// when it is sent after later changes).
    pub fn status_after(self) -> Option<crate::incident::IncidentStatus> {
        use crate::incident::IncidentStatus::*;
        match self {
            Self::IncidentOpened => Some(Triggered),
            Self::IncidentAcknowledged => Some(Acknowledged),
            Self::IncidentResolved => Some(Resolved),
            _ => None,
        }
    }

    /// The event a timeline entry of this kind announces, if any. The timeline is written in
    /// the same transaction as every change, so it is the outbox events are read from.
    pub fn from_timeline(kind: &str) -> Option<EventKind> {
        match kind {
            "incident.triggered" | "incident.declared" => Some(Self::IncidentOpened),
            "incident.acknowledged" => Some(Self::IncidentAcknowledged),
            "incident.escalated" => Some(Self::IncidentEscalated),
            "incident.resolved" => Some(Self::IncidentResolved),
            "note" => Some(Self::NoteAdded),
            "status_update.posted" => Some(Self::IncidentStatusUpdate),
            "responder.requested" => Some(Self::ResponderRequested),
            _ => None,
        }
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for EventKind {
    type Err = UnknownValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|k| k.as_str() == s).ok_or_else(|| {
            UnknownValue::new(
                "events",
                s,
                "incident.opened, incident.acknowledged, incident.escalated, incident.resolved, incident.note_added, status_update.published, incident.status_update, responder.requested",
            )
        })
    }
}

/// The kind of receiver, which decides the body's shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum DestinationKind {
    /// A Slack incoming webhook: `{"text", "blocks"}`.
    Slack,
    /// A Microsoft Teams Workflows (Power Automate) webhook: a message with an Adaptive Card.
    Teams,
    /// Tocsin's own JSON event, signed with `Tocsin-Signature`.
    Generic,
}

impl DestinationKind {
    pub const ALL: [DestinationKind; 3] = [Self::Slack, Self::Teams, Self::Generic];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Slack => "slack",
            Self::Teams => "teams",
            Self::Generic => "generic",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Slack => "Slack",
            Self::Teams => "Microsoft Teams",
            Self::Generic => "Generic (signed JSON)",
        }
    }
}

impl FromStr for DestinationKind {
    type Err = UnknownValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|k| k.as_str() == s).ok_or_else(|| UnknownValue::new("kind", s, "slack, teams, generic"))
    }
}

/// Whether a destination with these subscriptions wants an event about an incident of
/// `service` (`None` for incidents declared without a service, and for status updates).
/// An empty service list means every service.
pub fn wants(events: &[EventKind], service_ids: &[String], event: EventKind, service: Option<&str>) -> bool {
    events.contains(&event) && (service_ids.is_empty() || service.is_some_and(|s| service_ids.iter().any(|x| x == s)))
}

/// What a person sees of a stored URL: scheme, host, and the last four characters of the rest
/// (never a `user:password@` part).
pub fn url_hint(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = authority.rsplit('@').next().unwrap_or("");
    let tail: Vec<char> = rest[authority.len()..].chars().collect();
    if tail.len() > 4 {
        format!("{scheme}://{host}/…{}", tail[tail.len() - 4..].iter().collect::<String>())
    } else {
        format!("{scheme}://{host}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_kinds_round_trip_and_come_from_the_timeline() {
        for k in EventKind::ALL {
            assert_eq!(k.as_str().parse::<EventKind>().unwrap(), k);
            assert_eq!(serde_json::to_value(k).unwrap(), k.as_str());
        }
        assert!("incident.exploded".parse::<EventKind>().is_err());
        assert_eq!(EventKind::from_timeline("incident.triggered"), Some(EventKind::IncidentOpened));
        assert_eq!(EventKind::from_timeline("incident.declared"), Some(EventKind::IncidentOpened));
        assert_eq!(EventKind::from_timeline("incident.escalated"), Some(EventKind::IncidentEscalated));
        assert_eq!(EventKind::from_timeline("note"), Some(EventKind::NoteAdded));
        assert_eq!(EventKind::from_timeline("alert.grouped"), None);
    }

    #[test]
    fn destinations_filter_by_event_and_service() {
        let ev = [EventKind::IncidentOpened, EventKind::IncidentResolved];
        assert!(wants(&ev, &[], EventKind::IncidentOpened, Some("s1")));
        assert!(wants(&ev, &[], EventKind::IncidentOpened, None));
        assert!(!wants(&ev, &[], EventKind::IncidentAcknowledged, Some("s1")));
        let only = ["s2".to_string()];
        assert!(!wants(&ev, &only, EventKind::IncidentOpened, Some("s1")));
        assert!(wants(&ev, &only, EventKind::IncidentOpened, Some("s2")));
        assert!(!wants(&ev, &only, EventKind::IncidentOpened, None));
    }

    #[test]
    fn url_hints_hide_the_secret_part() {
        assert_eq!(url_hint("https://hooks.slack.com/services/T000/B000/XXXXabcd"), "https://hooks.slack.com/…abcd");
        assert_eq!(url_hint("https://example.com"), "https://example.com");
        assert!(!url_hint("https://hooks.slack.com/services/T000/B000/XXXXabcd").contains("B000"));
        assert_eq!(url_hint("https://bot:hunter2@tickets.example.com/hook/abcd"), "https://tickets.example.com/…abcd");
        assert_eq!(url_hint("https://a/😀😀😀😀😀"), "https://a/…😀😀😀😀");
        assert_eq!(url_hint("https://a/😀"), "https://a");
    }
}
