//! The JSON wire format between the worker and its clients (the app, scripts, tests).
//! Both sides use these types, so the two cannot drift apart.

use crate::alert::{AlertSeverity, AlertStatus, Link};
use crate::grouping::GroupingRule;
use crate::auth::Role;
use crate::ids::{AlertId, IncidentId, OrgId, ServiceId, TokenId, UserId};
use crate::incident::{IncidentStatus, Severity};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub mod action_items;
pub mod checklists;
pub mod command;
pub mod incidents;
pub mod incidents_live;
pub mod ingest;
pub mod metrics;
pub mod oncall;
pub mod paging;
pub mod people;
pub mod postmortems;
pub mod readiness;
pub mod responders;
pub mod runtime;
pub mod secrets;
pub mod service_views;
pub mod services;
pub mod status;
pub mod status_updates;
pub mod teams;
pub mod timeline;

pub use command::*;
pub use incidents::*;
pub use paging::*;
pub use people::*;
pub use service_views::*;

/// Every error answer: `{"error":{"code":"…","message":"…"}}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ErrorDetail {
    /// Stable machine-readable code, e.g. `invalid_request`, `not_found`, `conflict`.
    pub code: String,
    pub message: String,
    /// The input field at fault, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct Health {
    pub status: String,
    pub version: String,
    pub db: String,
}

/// `GET /api/status`: the status page as its editors see it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct StatusAdmin {
    pub page: StatusPageSettings,
    pub groups: Vec<crate::status_page::Group>,
    pub components: Vec<AdminComponent>,
    /// Newest first (unresolved ones and the latest 20).
    pub incidents: Vec<crate::status_page::PublicIncident>,
    pub maintenances: Vec<crate::status_page::Maintenance>,
    pub indicator: crate::status_page::Indicator,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct StatusPageSettings {
    pub name: String,
    pub time_zone: String,
    /// Public address; defaults to this instance's `/status`.
    pub url: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct AdminComponent {
    #[serde(flatten)]
    pub component: crate::status_page::Component,
    pub service_ids: Vec<String>,
    /// What the linked services' open incidents suggest; confirm it with one tap.
    pub suggested_status: crate::status_page::ComponentStatus,
}

/// `GET /api/oncall`: who is on call in every schedule at `at`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct OnCallNow {
    pub at: DateTime<Utc>,
    pub schedules: Vec<OnCallSchedule>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct OnCallSchedule {
    pub schedule_id: String,
    pub name: String,
    /// Deactivated people stay named here, flagged `deactivated`.
    pub on_call: Vec<oncall::OnCallPerson>,
    /// Nobody on call can be paged (everyone on call is deactivated, or nobody is on call).
    #[serde(default)]
    pub uncovered: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct Person {
    pub id: UserId,
    pub name: String,
}

/// `GET /api/incidents/{id}/notifications`: the escalation's position and what it decided.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct IncidentNotifications {
    pub notifications: Vec<Notification>,
    pub escalation: Option<EscalationState>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct Notification {
    pub id: String,
    pub incident_id: IncidentId,
    pub user_id: UserId,
    #[serde(default)]
    pub user_name: String,
    pub cycle: i64,
    /// 1-based, as people count levels.
    pub level: i64,
    pub reason: String,
    /// `pending` (decided, not yet sent), `dispatched`, `skipped` (acknowledged before it was
    /// sent) or `expired`.
    pub state: String,
    pub created_at: DateTime<Utc>,
    /// What became of it on each channel (first page and repeats), oldest first.
    #[serde(default)]
    pub deliveries: Vec<PageDelivery>,
    /// When this page is repeated next (the person's repeat rule); absent when it will not be
    /// (acknowledged, not covered by the rule, or a later page to the same person took over).
    #[serde(default)]
    pub next_repeat_at: Option<DateTime<Utc>>,
}

/// One message of a page: to a push device or the person's webhook.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct PageDelivery {
    /// `push` or `personal_webhook`.
    pub channel: String,
    /// The device's name; absent for webhooks and removed devices.
    pub device: Option<String>,
    /// `pending`, `sent`, `failed` or `gone`.
    pub state: String,
    /// The last attempt's HTTP status.
    pub status: Option<u16>,
    pub repeat: bool,
    pub at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct EscalationState {
    pub cycle: i64,
    /// The level due next (1-based).
    pub level: i64,
    /// When it is due; absent when the escalation has stopped.
    pub next_at: Option<DateTime<Utc>>,
    pub incident_number: i64,
}

/// `GET /api/schedules/{id}/timeline?days=N`: each layer's turns and the final rota.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ScheduleTimeline {
    pub schedule_id: String,
    pub name: String,
    pub time_zone: String,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub layers: Vec<TimelineRow>,
    /// What actually applies: layers combined, restrictions and overrides included.
    #[serde(rename = "final")]
    pub final_row: TimelineRow,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct TimelineRow {
    pub name: String,
    pub shifts: Vec<TimelineShift>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct TimelineShift {
    /// Deactivated people stay named here, flagged `deactivated`.
    pub people: Vec<oncall::OnCallPerson>,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// Everyone on this shift is deactivated: it pages nobody.
    #[serde(default)]
    pub uncovered: bool,
}

/// `GET /api/escalation-policies`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct PolicyList {
    pub escalation_policies: Vec<PolicyView>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct PolicyView {
    pub id: String,
    pub name: String,
    pub policy: crate::escalation::Policy,
}
