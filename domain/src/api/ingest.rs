//! Alert ingestion wire types: Tocsin's generic webhook body, and the answers of the
//! PagerDuty- and Opsgenie-compatible endpoints (in those vendors' own shapes).

use crate::alert::{AlertSeverity, AlertStatus};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// `POST /webhooks/generic/{key}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct GenericAlertRequest {
    pub summary: String,
    /// Required when firing.
    #[serde(default)]
    pub severity: Option<AlertSeverity>,
    #[serde(default)]
    pub dedup_key: Option<String>,
    /// `firing` (default) or `resolved`.
    #[serde(default)]
    pub status: Option<AlertStatus>,
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub details: Option<Map<String, Value>>,
}

/// A vendor's own payload (Alertmanager, Grafana, Datadog, SNS, Sentry, PagerDuty Events v2,
/// Opsgenie Alert API): read as the vendor documents it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(transparent)]
pub struct VendorPayload(pub Map<String, Value>);

/// Amazon SNS subscription answers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct SnsAnswer {
    /// `confirmed`, `pending` or `unsubscribed`.
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic_arn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// PagerDuty Events API v2 answers (success and errors alike).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct PagerDutyAnswer {
    /// `success`, `invalid event`, `throttle event` or `forbidden`.
    pub status: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dedup_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<String>>,
}

/// Opsgenie Alert API answers: every one carries `took` and `requestId`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct OpsgenieAnswer {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Field → what is wrong with it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errors: Option<Map<String, Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<OpsgenieRequestStatus>,
    /// Seconds.
    pub took: f64,
    #[serde(rename = "requestId")]
    pub request_id: String,
}

/// `GET /v2/alerts/requests/{id}`: what became of a request.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct OpsgenieRequestStatus {
    pub success: bool,
    pub action: String,
    pub processed_at: String,
    pub integration_id: String,
    pub is_success: bool,
    pub status: String,
    pub alert_id: String,
    pub alias: String,
}
