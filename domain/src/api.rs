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

pub mod ingest;
pub mod oncall;
pub mod secrets;
pub mod services;
pub mod status;
pub mod timeline;

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

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct SetupRequest {
    pub organization: String,
    pub email: String,
    pub password: String,
    pub name: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct Organization {
    pub id: OrgId,
    pub name: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct User {
    pub id: UserId,
    pub email: String,
    pub name: String,
    pub role: Role,
    /// False while an invitation is pending.
    pub active: bool,
    pub created_at: DateTime<Utc>,
    /// Set once the person is deactivated: they can no longer log in or use tokens; their
    /// history (timeline, shifts) keeps their name.
    #[serde(default)]
    pub deactivated_at: Option<DateTime<Utc>>,
}

/// `GET /api/me`, and the answer to setup and login.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct Me {
    pub user: User,
    pub organization: Organization,
    /// The role this request acts with (a token may carry less than its user's role).
    pub role: Role,
}

/// `GET /api/setup`: whether the first-run screen applies.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct SetupState {
    pub needs_setup: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct CreateUserRequest {
    pub email: String,
    pub name: String,
    pub role: Role,
    #[serde(default)]
    pub password: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct CreatedUser {
    pub user: User,
    /// Present when no password was given: a one-time link to set one (shown once).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invite_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invite_expires_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct AcceptInviteRequest {
    pub token: String,
    pub password: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct CreateTokenRequest {
    pub name: String,
    /// Defaults to the creator's role; may not exceed it.
    #[serde(default)]
    pub role: Option<Role>,
    /// Days until it expires by itself (1–365); absent: until revoked.
    #[serde(default)]
    pub expires_in_days: Option<u32>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ApiToken {
    pub id: TokenId,
    pub name: String,
    pub role: Role,
    pub created_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_used_at: Option<DateTime<Utc>>,
    /// When it stops working by itself; absent: until revoked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<DateTime<Utc>>,
    /// Whose token it is (admins list everyone's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
}

/// `GET /api/tokens`: your live tokens (an admin sees the organisation's).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct TokenList {
    pub tokens: Vec<ApiToken>,
}

/// `POST /api/users/me/password`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ChangePasswordRequest {
    pub current_password: String,
    pub new_password: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct CreatedToken {
    #[serde(flatten)]
    pub token: ApiToken,
    /// The secret, shown only in this answer. Send it as `Authorization: Bearer <secret>`.
    pub secret: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct Service {
    pub id: ServiceId,
    pub name: String,
    pub description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runbook_url: Option<String>,
    /// The secret part of the integration URL: whoever holds it can open, resolve and page
    /// through the service's alerts, so only admins see it (others get `None`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub integration_key: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Incidents of this service that are not resolved.
    #[serde(default)]
    pub open_incidents: u64,
    /// How new alerts are grouped into incidents.
    #[serde(default)]
    pub grouping: GroupingRule,
    /// Resolve the incident when all of its alerts have resolved.
    #[serde(default = "yes")]
    pub auto_resolve: bool,
    /// Whether a webhook secret (Grafana HMAC, Sentry client secret, Datadog header) is set.
    /// The secret itself is never returned.
    #[serde(default)]
    pub webhook_secret_set: bool,
    /// Who is paged when it opens an incident.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escalation_policy_id: Option<String>,
    /// Acknowledged incidents go back to triggered after this many minutes (when set).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unack_timeout_minutes: Option<i64>,
    /// Senders this service accepts (vendor names); absent: every sender without a webhook
    /// secret, only those that prove it with one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_senders: Option<Vec<String>>,
}

fn yes() -> bool {
    true
}

/// `GET /api/services/{id}/integrations`: where each monitoring tool sends, how to configure
/// it, and what arrived lately.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ServiceIntegrations {
    /// Every endpoint; for callers who may not see the integration key, with the key replaced
    /// by `…` in URLs and snippets (`key_hidden`).
    pub endpoints: Vec<IntegrationEndpoint>,
    #[serde(default)]
    pub key_hidden: bool,
    pub recent_events: Vec<AlertEventLog>,
    #[serde(default)]
    pub sns_subscriptions: Vec<SnsSubscription>,
    #[serde(default)]
    pub recent_changes: Vec<ChangeEvent>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct IntegrationEndpoint {
    /// `generic`, `alertmanager`, `grafana`, `datadog`, `cloudwatch`, `sentry`, `pagerduty`, `opsgenie`.
    pub vendor: String,
    pub name: String,
    pub url: String,
    /// What to paste into the tool (YAML, JSON, settings), with the URL and key filled in.
    pub snippet: String,
    pub help: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct SnsSubscription {
    pub topic_arn: String,
    pub subscribe_url: String,
    pub status: String,
    pub updated_at: DateTime<Utc>,
}

/// One event received for a service, with what Tocsin did with it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct AlertEventLog {
    pub id: String,
    pub received_at: DateTime<Utc>,
    pub vendor: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dedup_key: Option<String>,
    /// `opened`, `grouped`, `deduplicated`, `acknowledged`, `resolved`, `ignored` or `rejected`.
    pub result: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alert_id: Option<AlertId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incident_id: Option<IncidentId>,
    /// The payload as received (cut at 64 KB).
    #[serde(default)]
    pub raw: String,
}

/// A change (deploy, configuration) reported for a service.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ChangeEvent {
    pub id: String,
    pub summary: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    pub at: DateTime<Utc>,
    #[serde(default)]
    pub details: Map<String, Value>,
    #[serde(default)]
    pub links: Vec<Link>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ServiceList {
    pub services: Vec<Service>,
}

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
    pub on_call: Vec<Person>,
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
    pub people: Vec<Person>,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
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

// ---- Paging: Web Push devices, action tokens, contact preferences, outbound webhooks ----

/// `GET /api/push/vapid-public-key`: the organisation's VAPID public key (base64url, the
/// uncompressed P-256 point), for `pushManager.subscribe({applicationServerKey})`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct VapidPublicKey {
    pub public_key: String,
}

/// `POST /api/push/subscriptions`: what `PushSubscription.toJSON()` gives, plus a device name.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct PushSubscriptionRequest {
    pub endpoint: String,
    pub keys: PushKeys,
    /// A name the person recognises ("Pixel 9", "Work iPhone"); defaults from the user agent.
    #[serde(default)]
    pub device: Option<String>,
    #[serde(default, rename = "expirationTime")]
    pub expiration_time: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct PushKeys {
    pub p256dh: String,
    pub auth: String,
}

/// One device that receives this person's pages (the endpoint itself is never shown back).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct PushDevice {
    pub id: String,
    pub device: String,
    /// The push service's origin, e.g. `https://fcm.googleapis.com`.
    pub push_service: String,
    pub created_at: DateTime<Utc>,
    pub last_success_at: Option<DateTime<Utc>>,
    /// The last failed attempt, in words (status code and what it means).
    pub last_failure: Option<String>,
}

/// `GET /api/push/subscriptions`: the caller's devices.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct PushDeviceList {
    pub devices: Vec<PushDevice>,
}

/// `POST /api/push/subscriptions/{id}/test` and `POST /api/webhook-destinations/{id}/test`:
/// the delivery that was queued (sent right after the answer).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct TestQueued {
    pub delivery_id: String,
}

/// `POST /api/actions/acknowledge`: a notification's action token is the only credential.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ActionRequest {
    pub token: String,
}

/// The answer to an action: the incident as it now is.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ActionDone {
    pub incident: Incident,
    /// False when the incident was already in the asked state (a retry, or someone was quicker).
    pub changed: bool,
}

/// `GET/PUT /api/users/me/contact-preferences`: which channels page this person, and how often.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ContactPreferences {
    /// Page this person's push devices.
    pub push: bool,
    /// A personal webhook (e.g. a Slack DM incoming webhook, or the person's own automation).
    #[serde(default)]
    pub webhook: Option<PersonalWebhook>,
    /// Repeat the page every N minutes until someone acknowledges; `None` pages once.
    #[serde(default)]
    pub repeat: Option<crate::notification::RepeatRule>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct PersonalWebhook {
    pub kind: crate::outbound::DestinationKind,
    /// Write-only: answers show [`Destination::url_hint`]-style text instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url_hint: Option<String>,
}

/// `POST /api/webhook-destinations`, `PUT /api/webhook-destinations/{id}` (admin).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct DestinationRequest {
    pub name: String,
    pub kind: crate::outbound::DestinationKind,
    /// Required when creating; on `PUT`, absent keeps the stored URL.
    #[serde(default)]
    pub url: Option<String>,
    pub events: Vec<crate::outbound::EventKind>,
    /// Only incidents of these services; empty means every service.
    #[serde(default)]
    pub service_ids: Vec<ServiceId>,
    #[serde(default = "yes")]
    pub enabled: bool,
}

/// A chat or ticketing destination. Its URL (which holds the destination's own secret for Slack
/// and Teams) and signing secret are never shown again: `url_hint` is enough to recognise it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct Destination {
    pub id: String,
    pub name: String,
    pub kind: crate::outbound::DestinationKind,
    /// Scheme, host and the last four characters of the URL.
    pub url_hint: String,
    pub events: Vec<crate::outbound::EventKind>,
    pub service_ids: Vec<ServiceId>,
    pub enabled: bool,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct DestinationList {
    pub destinations: Vec<Destination>,
}

/// The answer to creating a destination: for `generic` ones, the signing secret, shown once.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct CreatedDestination {
    pub destination: Destination,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signing_secret: Option<String>,
}

/// `GET /api/webhook-destinations/{id}/deliveries` and `GET /api/push/deliveries`: newest first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct DeliveryLog {
    pub deliveries: Vec<DeliveryView>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct DeliveryView {
    pub id: String,
    /// `incident.opened`, …, `page`, or `test`.
    pub event: String,
    pub incident_id: Option<IncidentId>,
    /// `pending` (waiting for its next attempt), `sent`, `failed` (gave up) or `gone`.
    pub state: String,
    pub attempts: Vec<DeliveryAttempt>,
    pub created_at: DateTime<Utc>,
    /// When a pending delivery is tried next (after the retry rule's wait).
    #[serde(default)]
    pub next_attempt_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct DeliveryAttempt {
    pub at: DateTime<Utc>,
    /// The receiver's HTTP status; absent when it could not be reached.
    pub status: Option<u16>,
    pub outcome: String,
    pub duration_ms: i64,
}

/// `POST /api/incidents/{id}/notes`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct NoteRequest {
    pub body: String,
}
