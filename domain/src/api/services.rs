//! Service editing wire types: the settings `POST /api/services` and
//! `PATCH /api/services/{id}` take (absent fields keep their value when editing; `null` clears
//! the optional ones).

use crate::grouping::GroupingRule;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ServiceSettings {
    #[serde(default)]
    pub description: Option<String>,
    /// An http(s) URL.
    #[serde(default)]
    pub runbook_url: Option<String>,
    #[serde(default)]
    pub grouping: Option<GroupingRule>,
    #[serde(default)]
    pub auto_resolve: Option<bool>,
    /// At least 16 characters; write-only (answers say `webhook_secret_set`).
    #[serde(default)]
    pub webhook_secret: Option<String>,
    /// 1–1440.
    #[serde(default)]
    pub unack_timeout_minutes: Option<i64>,
    /// Sender names: generic, alertmanager, grafana, datadog, cloudwatch, sentry, pagerduty, opsgenie.
    #[serde(default)]
    pub allowed_senders: Option<Vec<String>>,
    /// Expertise tags an incident on the service needs (normalised; at most 20).
    #[serde(default)]
    pub expertise: Option<Vec<String>>,
    /// The owning team's id; `null` clears it.
    #[serde(default)]
    pub team_id: Option<String>,
    /// The SNS topic ARN CloudWatch alarms must come from (`arn:aws:sns:<region>:<account>:<topic>`);
    /// `null` or `""` clears it (the first confirmed subscription's topic is then pinned).
    #[serde(default)]
    pub sns_topic_arn: Option<String>,
}

/// `POST /api/services`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ServiceCreate {
    /// 1–100 characters, unique in the organisation.
    pub name: String,
    #[serde(flatten)]
    pub settings: ServiceSettings,
}

/// `PATCH /api/services/{id}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ServicePatch {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(flatten)]
    pub settings: ServiceSettings,
}
