//! Wire types of action items (`/api/action-items…`, `/api/incidents/{id}/action-items`) and of
//! the organisation's ticket systems (`/api/ticketing…`). The rules live in
//! `crate::action_items`; the vendor requests in `crate::ticketing`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::Person;
use crate::action_items::{ItemStatus, Kind, Priority, TicketSystem};

/// The ticket an item was sent to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct Ticket {
    pub system: TicketSystem,
    /// `OPS-7` (Jira) or `owner/repo#12` (GitHub).
    pub key: String,
    pub url: String,
}

/// One action item.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ActionItem {
    pub id: String,
    pub title: String,
    pub priority: Priority,
    pub kind: Kind,
    pub status: ItemStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<Person>,
    /// The due day as entered (`YYYY-MM-DD`, in the organisation's time zone).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_date: Option<String>,
    /// The end of the due day: overdue after this instant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_at: Option<DateTime<Utc>>,
    /// Open and past `due_at` now.
    pub overdue: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incident_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incident_number: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incident_title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postmortem_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_name: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub done_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub done_by: Option<Person>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket: Option<Ticket>,
    /// The last overdue reminder sent to the owner.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reminded_at: Option<DateTime<Utc>>,
}

/// `GET /api/action-items` and `GET /api/incidents/{id}/action-items`: open items first (by due
/// date, undated last), then done ones (newest first).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ActionItemList {
    pub items: Vec<ActionItem>,
}

/// `POST /api/incidents/{id}/action-items` and `POST /api/action-items` (standalone, or naming
/// an incident with `incident_id`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct NewActionItem {
    /// 1–300 characters.
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_id: Option<String>,
    /// `YYYY-MM-DD`: due by the end of that day in the organisation's time zone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_date: Option<String>,
    /// Default `medium`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<Priority>,
    /// Default `fix`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<Kind>,
    /// Defaults to the incident's service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_id: Option<String>,
    /// Set when it is created in a postmortem.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postmortem_id: Option<String>,
    /// Only on `POST /api/action-items`: the incident it came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incident_id: Option<String>,
}

/// `PATCH /api/action-items/{id}`: only the fields given change. `owner_id`, `due_date` and
/// `service_id` set to `""` clear them. `status` `done` records who and when; `open` reopens.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ActionItemPatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<Priority>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<Kind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<ItemStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_id: Option<String>,
}

/// `POST /api/action-items/{id}/ticket`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct TicketRequest {
    pub system: TicketSystem,
}

/// An organisation's ticket system as admins see it: never its token or webhook secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct TicketingConfig {
    pub id: String,
    pub system: TicketSystem,
    /// Jira: the site (`https://acme.atlassian.net`); GitHub: the REST API root.
    pub base_url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issue_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repo: Option<String>,
    /// Where the vendor's webhook is sent: `/hooks/jira/{id}` or `/hooks/github/{id}`.
    pub webhook_path: String,
    pub updated_at: DateTime<Utc>,
}

/// `GET /api/ticketing`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct TicketingList {
    pub configs: Vec<TicketingConfig>,
}

/// `PUT /api/ticketing/{jira|github}` (admins). Jira needs `base_url`, `email`, `project_key`,
/// `issue_type` (default `Task`); GitHub needs `owner`, `repo` (`base_url` defaults to
/// `https://api.github.com`). `api_token` is required the first time and kept when left out
/// later. The webhook secret is generated on first save (shown once) unless given.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct TicketingConfigRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issue_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repo: Option<String>,
    /// Write-only: the Jira API token or the GitHub token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_token: Option<String>,
    /// Write-only: the secret the vendor signs its webhooks with (generated when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_secret: Option<String>,
}

/// The answer to a save: the config, and the webhook secret when it was just generated (the
/// only time it is shown).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct SavedTicketing {
    pub config: TicketingConfig,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_secret: Option<String>,
}

/// What an inbound ticket webhook did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct HookOutcome {
    /// `closed` (an item was marked done), `already_done`, `unknown_ticket` or `ignored`.
    pub outcome: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action_item_id: Option<String>,
}
