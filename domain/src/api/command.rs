//! Wire types of running an incident: incident roles and who holds them, links (chat, video,
//! ticket), affected services, merging one incident into another, and highlighted timeline rows.

#[allow(unused_imports)]
use super::*;

/// An incident role: a built-in one (`commander`, `communications`, `scribe`) or one the
/// organisation defined.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct IncidentRole {
    /// `commander`, `communications`, `scribe`, or the id of an organisation-defined role.
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Built-in roles cannot be deleted.
    #[serde(default)]
    pub built_in: bool,
}

/// `GET /api/incident-roles`: the built-in roles first, then the organisation's, by name.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct IncidentRoleList {
    pub roles: Vec<IncidentRole>,
}

/// `POST /api/incident-roles` (admins).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateIncidentRole {
    /// 1 to 60 characters, unique in the organisation (built-in names included, any case).
    pub name: String,
    /// At most 500 characters.
    #[serde(default)]
    pub description: String,
}

/// `PUT /api/incidents/{id}/roles/{role}`: give the role to this person (a hand-over when
/// someone else holds it; the same person again changes nothing).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct AssignRoleRequest {
    pub user_id: UserId,
}

/// One role on an incident, with its holder when someone holds it (every defined role is
/// listed, so empty slots can be shown).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct RoleHolder {
    pub role_id: String,
    pub role_name: String,
    #[serde(default)]
    pub built_in: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holder: Option<RoleHolderUser>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct RoleHolderUser {
    pub user_id: UserId,
    pub name: String,
    /// When they took the role.
    pub since: DateTime<Utc>,
}

/// What a link on an incident points at (shown as a button).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum LinkKind {
    Chat,
    Video,
    Ticket,
    Other,
}

impl LinkKind {
    pub const ALL: [LinkKind; 4] = [LinkKind::Chat, LinkKind::Video, LinkKind::Ticket, LinkKind::Other];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Chat => "chat",
            Self::Video => "video",
            Self::Ticket => "ticket",
            Self::Other => "other",
        }
    }

    /// The label a link of this kind gets when none is given.
    pub fn default_label(self) -> &'static str {
        match self {
            Self::Chat => "Chat channel",
            Self::Video => "Video call",
            Self::Ticket => "Ticket",
            Self::Other => "Link",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// `POST /api/incidents/{id}/links`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct AddLinkRequest {
    pub kind: LinkKind,
    /// An absolute http:// or https:// URL.
    pub url: String,
    /// At most 100 characters; defaults from the kind ("Chat channel", "Video call", …).
    #[serde(default)]
    pub label: Option<String>,
}

/// A link on an incident.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct IncidentLink {
    pub id: String,
    pub kind: LinkKind,
    pub url: String,
    pub label: String,
    pub added_by: Actor,
    pub added_at: DateTime<Utc>,
}

/// `PUT /api/incidents/{id}/services`: the affected services (replaces the set; the incident's
/// own service is always kept, first).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct SetServicesRequest {
    pub service_ids: Vec<ServiceId>,
}

/// `POST /api/incidents/{id}/merge`: moves this incident's alerts and record into `into` and
/// resolves this one pointing at it. The answer is the target's `IncidentDetail`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct MergeRequest {
    pub into: IncidentId,
}

/// Another incident, by id and number (#12).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct IncidentRef {
    pub id: IncidentId,
    pub number: i64,
}
