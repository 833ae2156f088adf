//! Who is calling: session cookies and API tokens, resolved to a [`Caller`] by one guard used by
//! every authenticated route, and the cookie format.

use tocsin_domain::auth::{allows, Permission, Role};
use crate::http::Req as Request;

use crate::crypto::sha256_hex;
use crate::db::{AuthRow, Db, UserRow};
use crate::error::{ApiError, ApiResult};

pub const SESSION_COOKIE: &str = "tocsin_session";
pub const SESSION_TTL_MS: i64 = 30 * 24 * 3600 * 1000;

/// The authenticated user of a request and the role the request acts with.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user: UserRow,
    pub role: Role,
    /// The API token the request came with: (id, name); None for a session.
    pub token: Option<(String, String)>,
    /// The session or token itself, by its stored hash: what a live socket opened with it keeps
    /// and re-checks before each thing it is sent (`Db::credentials_alive`).
    pub credential: Credential,
}

/// A session or an API token, by the hash D1 stores of its secret (never the secret itself).
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", content = "hash", rename_all = "lowercase")]
pub enum Credential {
    Session(String),
    Token(String),
}

impl Credential {
    /// `session:<hash>` / `token:<hash>`: how the worker names it to a live object.
    pub fn to_param(&self) -> String {
        match self {
            Credential::Session(h) => format!("session:{h}"),
            Credential::Token(h) => format!("token:{h}"),
        }
    }

    pub fn from_param(p: &str) -> Option<Self> {
        match p.split_once(':')? {
            ("session", h) if !h.is_empty() => Some(Credential::Session(h.to_string())),
            ("token", h) if !h.is_empty() => Some(Credential::Token(h.to_string())),
            _ => None,
        }
    }
}

impl Caller {
    /// Who the audit log says made a change.
    pub fn actor(&self) -> tocsin_domain::audit::Actor {
        use tocsin_domain::audit::Actor;
        match &self.token {
            Some((id, name)) => Actor::Token { token_id: id.clone(), token_name: name.clone(), user_id: self.user.id.clone(), user_name: self.user.name.clone() },
            None => Actor::User { user_id: self.user.id.clone(), name: self.user.name.clone() },
        }
    }

    pub fn org_id(&self) -> &str {
        &self.user.org_id
    }

    /// Refuses a request made with an API token (403 saying `why`). What would outlive the
    /// token — another token, a device or a personal webhook that receives pages with their
    /// acknowledge links, a calendar feed — is made by a person signed in, so a leaked token
    /// cannot leave one behind that its expiry or revocation does not end.
    pub fn require_signed_in(&self, why: &'static str) -> ApiResult<()> {
        match self.token {
            Some(_) => Err(ApiError::Forbidden(why)),
            None => Ok(()),
        }
    }

    pub fn require(&self, needed: Permission) -> ApiResult<()> {
        if allows(self.role, needed) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(match needed {
                Permission::Administer => "only admins can do this",
                _ => "your role is read-only (observer)",
            }))
        }
    }
}

pub fn cookie(req: &Request, name: &str) -> Option<String> {
    let header = req.headers().get("Cookie").ok().flatten()?;
    header.split(';').find_map(|kv| {
        let (k, v) = kv.trim().split_once('=')?;
        (k == name).then(|| v.to_string())
    })
}

/// The token of `Authorization: Bearer <token>` (the one parser: routing's CSRF check uses it too).
pub fn bearer(req: &Request) -> Option<String> {
    let h = req.headers().get("Authorization").ok().flatten()?;
    let (scheme, token) = h.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_string())
}

/// Resolves the caller from `Authorization: Bearer <token>` or the session cookie; 401 otherwise.
/// `idle_ms`: how long a session may go unused (`SESSION_IDLE_HOURS`).
pub async fn caller(req: &Request, db: &Db, now: i64, idle_ms: i64) -> ApiResult<Caller> {
    // Cross-site writes with the cookie are refused before routing (http::handle, web_security).
    // An Authorization header that is not a usable Bearer token never falls back to the cookie.
    let has_authorization = req.headers().get("Authorization").ok().flatten().is_some();
    let (row, credential): (Option<AuthRow>, Credential) = if let Some(token) = bearer(req).filter(|t| !t.is_empty()) {
        let hash = sha256_hex(&token);
        (db.token_user(&hash, now).await?.filter(|r| tocsin_domain::auth::token_alive(r.cred_expires_at, now)), Credential::Token(hash))
    } else if has_authorization {
        return Err(ApiError::Unauthenticated("the Authorization header is not Bearer <token>"));
    } else if let Some(session) = cookie(req, SESSION_COOKIE) {
        let hash = sha256_hex(&session);
        let row = db.session_user(&hash, now).await?.filter(|r| {
            tocsin_domain::auth::session_alive(r.cred_expires_at.unwrap_or(0), r.cred_last_seen_at.unwrap_or(0), idle_ms, false, now)
        });
        if row.as_ref().is_some_and(|r| now - r.cred_last_seen_at.unwrap_or(0) >= tocsin_domain::auth::SESSION_TOUCH_EVERY_MS) {
            db.touch_session(&hash, now).await?;
        }
        (row, Credential::Session(hash))
    } else {
        return Err(ApiError::Unauthenticated("log in, or send an API token as Authorization: Bearer <token>"));
    };
    let row = row.ok_or(ApiError::Unauthenticated("your session or token is invalid, expired or revoked"))?;
    let user_role: Role = row.user.role.parse()?;
    let token_role: Role = row.acting_role.parse()?;
    let token = row.cred_id.zip(row.cred_name);
    Ok(Caller { role: user_role.min(token_role), user: row.user, token, credential })
}

/// How long a session may go unused: `SESSION_IDLE_HOURS` (a positive number of hours) or the
/// default. Requests and live sockets read it the same way.
pub fn session_idle_ms(var: Option<String>) -> i64 {
    var.and_then(|h| h.parse::<i64>().ok()).filter(|h| *h > 0).unwrap_or(tocsin_domain::auth::DEFAULT_SESSION_IDLE_HOURS) * 3_600_000
}

pub fn session_cookie(value: &str, secure: bool, max_age_secs: i64) -> String {
    format!(
        "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{}",
        if secure { "; Secure" } else { "" }
    )
}

/// The address a request came from, for slowing down password guessing. Only Cloudflare's own
/// header is trusted (X-Forwarded-For is client-controlled).
pub fn client_ip(req: &Request) -> String {
    req.headers().get("CF-Connecting-IP").ok().flatten().unwrap_or_else(|| "unknown".to_string())
}
