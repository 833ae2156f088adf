//! Wire types of structured status updates on an incident (`/api/incidents/{id}/updates`).
//! The rules (limits, when the next update is overdue, whom to remind) live in
//! `crate::status_update`.

use serde::{Deserialize, Serialize};

use super::Person;
use chrono::{DateTime, Utc};

/// Where the response stands, as the update announces it (Statuspage's words).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum UpdateState {
    Investigating,
    Identified,
    Monitoring,
    Resolved,
}

impl UpdateState {
    pub const ALL: &'static [UpdateState] = &[Self::Investigating, Self::Identified, Self::Monitoring, Self::Resolved];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Investigating => "investigating",
            Self::Identified => "identified",
            Self::Monitoring => "monitoring",
            Self::Resolved => "resolved",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Investigating => "Investigating",
            Self::Identified => "Identified",
            Self::Monitoring => "Monitoring",
            Self::Resolved => "Resolved",
        }
    }
}

impl std::str::FromStr for UpdateState {
    type Err = crate::incident::UnknownValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .iter()
            .copied()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| crate::incident::UnknownValue::new("status", s, "investigating identified monitoring resolved"))
    }
}

/// `POST /api/incidents/{id}/updates`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct StatusUpdateRequest {
    pub status: UpdateState,
    /// "What's happening" (Markdown, 1–4000 characters). This text — and only this — is what
    /// `publish` shows on the public status page.
    pub message: String,
    /// When the next update is promised, in minutes (1–1440); the communications lead is
    /// reminded once by push when it passes without a newer update.
    #[serde(default)]
    pub next_update_minutes: Option<i64>,
    /// Also post it to the public status page incident linked to this incident (one is
    /// created, named after the update's message, when there is none yet).
    #[serde(default)]
    pub publish: bool,
}

/// One posted status update.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct StatusUpdate {
    pub id: String,
    pub status: UpdateState,
    pub message: String,
    pub posted_by: Person,
    pub posted_at: DateTime<Utc>,
    /// When the next update is due (absent when none was promised).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_update_at: Option<DateTime<Utc>>,
    /// The public status page incident it was posted to, when published.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_incident_id: Option<String>,
    /// When the reminder for an overdue next update was sent (once).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reminded_at: Option<DateTime<Utc>>,
}

/// `GET /api/incidents/{id}/updates`: newest first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct StatusUpdateList {
    pub updates: Vec<StatusUpdate>,
}
