//! Wire types of teams: named groups of people that own services, schedules and escalation
//! policies.

#[allow(unused_imports)]
use super::*;
use super::responders::PersonRef;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct Team {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub members: Vec<PersonRef>,
    pub created_at: DateTime<Utc>,
}

/// A team as a person's record names it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct TeamRef {
    pub id: String,
    pub name: String,
}

/// `GET /api/teams`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct TeamList {
    pub teams: Vec<Team>,
}

/// `POST /api/teams`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateTeamRequest {
    /// 1–100 characters, unique in the organisation.
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
}

/// `PATCH /api/teams/{id}`: what is absent stays.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct PatchTeamRequest {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
}
