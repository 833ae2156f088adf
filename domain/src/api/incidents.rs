//! Wire types of incidents, their alerts and timeline rows, declaring and noting.

#[allow(unused_imports)]
use super::*;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct Incident {
    pub id: IncidentId,
    /// Per-organisation number: #1, #2, …
    pub number: i64,
    pub title: String,
    /// "What we know now" (Markdown; empty until someone writes it).
    #[serde(default)]
    pub summary: String,
    pub status: IncidentStatus,
    pub severity: Severity,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<ServiceRef>,
    pub created_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acknowledged_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acknowledged_by: Option<Actor>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved_by: Option<Actor>,
    pub updated_at: DateTime<Utc>,
    /// Number of alerts grouped on the incident.
    #[serde(default)]
    pub alert_count: u64,
    /// Set when this incident was merged into another (it is then resolved).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merged_into: Option<IncidentRef>,
    /// Marked as noise (`PATCH {"noise":true}`): left out of the metrics.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub noise: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ServiceRef {
    pub id: ServiceId,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runbook_url: Option<String>,
}

/// Who or what did something: a person, an integration (by service), or Tocsin itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct Actor {
    #[serde(rename = "type")]
    pub kind: ActorKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub name: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum ActorKind {
    User,
    Integration,
    System,
}

impl ActorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Integration => "integration",
            Self::System => "system",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct IncidentList {
    pub incidents: Vec<Incident>,
    /// Pass as `cursor` to get the next (older) page; absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct IncidentDetail {
    pub incident: Incident,
    pub alerts: Vec<Alert>,
    pub timeline: Vec<TimelineEntry>,
    /// Changes to the incident's service in the hour before it opened.
    #[serde(default)]
    pub recent_changes: Vec<ChangeEvent>,
    /// People asked to help, and their answers (oldest request first).
    #[serde(default)]
    pub responders: Vec<super::responders::Responder>,
    /// Every defined incident role (built-in first), with its holder when someone holds it.
    #[serde(default)]
    pub roles: Vec<RoleHolder>,
    /// Chat channel, video call, ticket, … (oldest first).
    #[serde(default)]
    pub links: Vec<IncidentLink>,
    /// The affected services: the incident's own service first, then the others by name.
    #[serde(default)]
    pub services: Vec<ServiceRef>,
    /// Sequence numbers of the timeline rows marked as highlights, ascending.
    #[serde(default)]
    pub highlights: Vec<i64>,
    /// The incident's runbook checklist (copied from its service's template when it opened,
    /// plus ad hoc steps), in order.
    #[serde(default)]
    pub checklist: Vec<super::checklists::ChecklistStep>,
    /// Structured status updates, newest first.
    #[serde(default)]
    pub updates: Vec<super::status_updates::StatusUpdate>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct Alert {
    pub id: AlertId,
    pub status: AlertStatus,
    pub summary: String,
    pub severity: AlertSeverity,
    pub dedup_key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    pub details: Map<String, Value>,
    /// How many events were received for this alert (repeats are counted, not duplicated).
    pub event_count: i64,
    pub first_seen_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved_at: Option<DateTime<Utc>>,
    /// Which integration sent it.
    #[serde(default)]
    pub vendor: String,
    /// When the problem started according to the source.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub links: Vec<Link>,
    /// The latest events received for this alert, newest first, with their raw payloads.
    #[serde(default)]
    pub events: Vec<AlertEventLog>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct TimelineEntry {
    pub id: String,
    /// The row's place in its incident's record: 1, 2, 3, … without gaps
    /// (`GET /api/incidents/{id}/timeline?after=N` gives the rows after N).
    #[serde(default)]
    pub seq: i64,
    pub at: DateTime<Utc>,
    /// What happened, e.g. `incident.triggered`, `incident.acknowledged`, `alert.repeated`.
    pub kind: String,
    pub actor: Actor,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct DeclareIncidentRequest {
    pub title: String,
    pub severity: Severity,
    #[serde(default)]
    pub service_id: Option<ServiceId>,
}

/// `202` answer to an alert webhook (one per alert for payloads that carry several).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct AlertAccepted {
    /// `accepted`, or `ignored` for a resolve that matched no open alert.
    pub status: String,
    /// What happened: `opened`, `grouped`, `deduplicated`, `acknowledged`, `resolved`, `ignored`.
    #[serde(default)]
    pub result: String,
    pub alert_id: Option<AlertId>,
    pub incident_id: Option<IncidentId>,
    pub dedup_key: String,
    pub message: String,
}

/// `202` answer to a webhook whose payload carries several alerts (Alertmanager, Grafana, SNS).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct AlertsAccepted {
    pub status: String,
    pub alerts: Vec<AlertAccepted>,
    /// Alerts of the payload past the per-payload cap (100), not applied (firing ones are kept
    /// first); absent when none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dropped: Option<u32>,
}


/// `POST /api/incidents/{id}/notes`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct NoteRequest {
    pub body: String,
}
