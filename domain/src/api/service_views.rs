//! Wire types of services as the app shows them: settings, integrations, received events, changes.

#[allow(unused_imports)]
use super::*;

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
    /// The expertise an incident on this service needs (normalised tags), for responder
    /// suggestions.
    #[serde(default)]
    pub expertise: Vec<String>,
    /// The team that owns the service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team_id: Option<String>,
    /// The only SNS topic CloudWatch alarms may come from; absent: the first confirmed
    /// subscription's topic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sns_topic_arn: Option<String>,
}

pub(crate) fn yes() -> bool {
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
    /// The link that confirms the subscription at SNS; only for those who see the integration
    /// key (admins), empty (absent) for others.
    #[serde(default, skip_serializing_if = "String::is_empty")]
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
