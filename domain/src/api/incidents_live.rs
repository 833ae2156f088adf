//! The incidents list, live (`GET /api/incidents/live`, a WebSocket per watcher): what the
//! server sends, what a client may send, and which changes to an incident the list shows.
//!
//! The channel carries no history: a client fetches the list (`GET /api/incidents`) whenever its
//! socket opens — the first time and after every reconnect — and from then on applies what the
//! socket sends. A change committed before the socket opened is in that fetch; one committed
//! after reaches the socket. Nothing falls in between.

use serde::{Deserialize, Serialize};

use super::Incident;

/// The close code of either live socket (this list's, an incident record's) whose session or API
/// token no longer lets its person in: the client stops reconnecting and asks them to sign in.
pub const SIGNED_OUT: u16 = 4401;

/// What the server sends.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ListMessage {
    /// `{"type":"incidents","incidents":[…]}`: incidents of the organisation that were just
    /// opened or changed, as the list shows them now (newest state; apply by `id`).
    Incidents { incidents: Vec<Incident> },
    /// `{"type":"pong"}`: the answer to a ping.
    Pong,
}

/// What a client may send: only `{"type":"ping"}` (answered with a pong, to keep a connection
/// through idle proxies). Every other frame is ignored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ListClientMessage {
    Ping,
}

impl ListClientMessage {
    /// Reads a client frame; `None` (ignore it) for anything that is not a documented message.
    pub fn parse(text: &str) -> Option<Self> {
        serde_json::from_str(text).ok()
    }
}

/// Whether a timeline row of this kind changes what the incidents list shows about its incident
/// (opened, status, severity, title, summary, service, alerts). Notes, roles, checklists,
/// responders and updates are the incident page's business, not the list's.
pub fn changes_list(kind: &str) -> bool {
    kind.starts_with("incident.") || kind.starts_with("alert.")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_hears_of_what_it_shows() {
        for kind in ["incident.triggered", "incident.declared", "incident.acknowledged", "incident.unacknowledged", "incident.resolved", "incident.title_changed", "incident.severity_changed", "alert.grouped", "alert.resolved"] {
            assert!(changes_list(kind), "{kind}");
        }
        for kind in ["note", "role.assigned", "checklist.ticked", "responder.requested", "status_update.posted", "incidentally", ""] {
            assert!(!changes_list(kind), "{kind}");
        }
    }

    #[test]
    fn only_documented_client_frames_are_read() {
        assert_eq!(ListClientMessage::parse(r#"{"type":"ping"}"#), Some(ListClientMessage::Ping));
        for frame in [r#"{"type":"pong"}"#, r#"{"after":3}"#, "ping", "", r#"{"type":"incidents","incidents":[]}"#, "[]"] {
            assert_eq!(ListClientMessage::parse(frame), None, "{frame}");
        }
    }

    #[test]
    fn server_messages_have_their_documented_shape() {
        let v = serde_json::to_value(ListMessage::Incidents { incidents: vec![] }).unwrap();
        assert_eq!(v, serde_json::json!({"type": "incidents", "incidents": []}));
        assert_eq!(serde_json::to_value(ListMessage::Pong).unwrap(), serde_json::json!({"type": "pong"}));
    }
}
