//! Wire types of paging: Web Push devices, action tokens, contact preferences, outbound webhooks.

#[allow(unused_imports)]
use super::*;

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
    #[serde(default = "super::service_views::yes")]
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
