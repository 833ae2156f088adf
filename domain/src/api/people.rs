//! Wire types of setup, login, people, invitations and API tokens.

#[allow(unused_imports)]
use super::*;

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
    /// Expertise tags (normalised: `postgres`, `k8s`), for responder suggestions.
    #[serde(default)]
    pub expertise: Vec<String>,
    /// The teams the person belongs to.
    #[serde(default)]
    pub teams: Vec<super::teams::TeamRef>,
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
