//! Status page editing wire types: settings, groups, components, public incidents and
//! maintenance (request bodies and the answers the handlers build).

use crate::status_page::{ComponentStatus, Impact, MaintenanceStatus, UpdateStatus};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The largest list position (either sign) of a group or component.
pub const MAX_POSITION: i64 = 1_000_000;

/// `PUT /api/status/page`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct StatusPageRequest {
    pub name: String,
    #[serde(default)]
    pub time_zone: Option<String>,
    /// Public http(s) address of the page.
    #[serde(default)]
    pub url: Option<String>,
}

/// `POST /api/status/groups`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct GroupRequest {
    pub name: String,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schemars(range(min = -1_000_000, max = 1_000_000)))]
    pub position: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct GroupCreated {
    pub id: String,
    pub name: String,
    pub position: i64,
}

/// `POST /api/status/components`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ComponentRequest {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub group_id: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schemars(range(min = -1_000_000, max = 1_000_000)))]
    pub position: i64,
    /// Services whose open incidents suggest this component's status.
    #[serde(default)]
    pub service_ids: Option<Vec<String>>,
}

/// `PATCH /api/status/components/{id}`: `status` alone is for responders; any other field is
/// a change of structure, for admins.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ComponentPatch {
    #[serde(default)]
    pub status: Option<ComponentStatus>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub group_id: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schemars(range(min = -1_000_000, max = 1_000_000)))]
    pub position: Option<i64>,
    #[serde(default)]
    pub service_ids: Option<Vec<String>>,
}

/// `POST /api/status/incidents`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct PublicIncidentRequest {
    pub name: String,
    /// The first update's text.
    pub body: String,
    #[serde(default)]
    pub status: Option<UpdateStatus>,
    #[serde(default)]
    pub impact: Option<Impact>,
    /// The private incident it is about.
    #[serde(default)]
    pub incident_id: Option<String>,
    #[serde(default)]
    pub component_ids: Option<Vec<String>>,
    /// What the affected components become.
    #[serde(default)]
    pub component_status: Option<ComponentStatus>,
}

/// A published incident and its public address.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct Published {
    pub id: String,
    pub url: String,
}

/// `POST /api/status/incidents/{id}/updates`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct PublicIncidentUpdateRequest {
    pub status: UpdateStatus,
    pub body: String,
    #[serde(default)]
    pub impact: Option<Impact>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub component_status: Option<ComponentStatus>,
}

/// `PATCH /api/status/updates/{id}`: a published update's corrected text.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct PublicUpdateEdit {
    pub body: String,
    /// The text being corrected, as the editor read it: when someone has corrected it since,
    /// the answer is 409 and nothing changes (a form left open does not silently replace a newer
    /// correction).
    #[serde(default)]
    pub previous: Option<String>,
}

/// A published update after its text was corrected.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct PublicUpdateEdited {
    pub id: String,
    /// The public incident or maintenance it belongs to.
    pub parent_id: String,
    /// As posted (unchanged by an edit).
    pub status: String,
    pub body: String,
}

/// The update that was posted (maintenance: with the status it moved to).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct UpdatePosted {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<MaintenanceStatus>,
}

/// `POST /api/status/maintenances`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct MaintenanceRequest {
    pub name: String,
    #[serde(default)]
    pub body: Option<String>,
    pub scheduled_for: DateTime<Utc>,
    /// After `scheduled_for`.
    pub scheduled_until: DateTime<Utc>,
    #[serde(default)]
    pub impact: Option<Impact>,
    #[serde(default)]
    pub component_ids: Option<Vec<String>>,
}

/// `POST /api/status/maintenances/{id}/updates`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct MaintenanceUpdateRequest {
    #[serde(default)]
    pub status: Option<MaintenanceStatus>,
    #[serde(default)]
    pub body: Option<String>,
}
