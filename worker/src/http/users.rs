//! Adding people (with a password or by a one-time invitation link) and API tokens.

use tocsin_domain::api::{ApiToken, CreateTokenRequest, CreateUserRequest, CreatedToken, CreatedUser};
use tocsin_domain::auth::{check_password, Permission};
use tocsin_domain::ids::TokenId;
use tocsin_domain::validation::email;
use worker::Response;

use super::auth::text;
use super::{json, views, Cx};
use crate::crypto::{hash_password, new_id, new_secret, sha256_hex};
use crate::db::{is_unique_violation, NewUser};
use crate::error::{ApiError, ApiResult};

const INVITE_TTL_MS: i64 = 7 * 24 * 3600 * 1000;

pub async fn create(cx: &mut Cx) -> ApiResult<Response> {
    let caller = cx.caller().await?;
    caller.require(Permission::Administer)?;
    let r: CreateUserRequest = cx.json().await?;
    let email = email("email", &r.email)?;
    let name = text("name", &r.name, 100)?;
    let password_hash = match r.password.as_deref() {
        Some(pw) => {
            check_password(pw)?;
            Some(hash_password(pw)?)
        }
        None => None,
    };
    let id = new_id(cx.now);
    let u = NewUser {
        id: &id,
        org_id: caller.org_id(),
        email: &email,
        name: &name,
        role: r.role.as_str(),
        password_hash: password_hash.as_deref(),
    };
    let duplicate = |e: ApiError| {
        if is_unique_violation(&e) {
            ApiError::Conflict(format!("a user with e-mail {email} already exists"))
        } else {
            e
        }
    };
    let (invite_url, invite_expires_at) = if password_hash.is_some() {
        cx.db.insert_user(&u, cx.now).await.map_err(duplicate)?;
        (None, None)
    } else {
        let secret = new_secret("tci_");
        let expires = cx.now + INVITE_TTL_MS;
        cx.db.insert_invited_user(&u, &sha256_hex(&secret), expires, cx.now).await.map_err(duplicate)?;
        // The secret travels in the fragment, so it never reaches server or proxy logs.
        (Some(format!("{}/invite#{secret}", cx.origin())), Some(views::time(expires)))
    };
    let user = cx.db.user_by_id(caller.org_id(), &id).await?.ok_or(ApiError::Internal("user vanished".into()))?;
    json(201, &CreatedUser { user: views::user(&user)?, invite_url, invite_expires_at })
}

pub async fn create_token(cx: &mut Cx) -> ApiResult<Response> {
    let caller = cx.caller().await?;
    let r: CreateTokenRequest = cx.json().await?;
    let name = text("name", &r.name, 100)?;
    let role = r.role.unwrap_or(caller.role);
    if !caller.role.may_grant(role) {
        return Err(ApiError::Forbidden("a token cannot have more power than the role that creates it"));
    }
    let expires_at = tocsin_domain::auth::token_expiry(cx.now, r.expires_in_days).map_err(|m| ApiError::field("expires_in_days", m))?;
    let id = new_id(cx.now);
    let secret = new_secret("tct_");
    cx.db.insert_token(&id, caller.org_id(), &caller.user.id, &name, role.as_str(), &sha256_hex(&secret), cx.now, expires_at).await?;
    let token = ApiToken { id: TokenId(id), name, role, created_at: views::time(cx.now), last_used_at: None, expires_at: expires_at.map(views::time), user_name: Some(caller.user.name.clone()) };
    json(201, &CreatedToken { token, secret })
}

/// `GET /api/tokens`: your live tokens; an admin sees everyone's in the organisation.
pub async fn list_tokens(cx: &Cx) -> ApiResult<Response> {
    let caller = cx.caller().await?;
    let only = (caller.role != tocsin_domain::auth::Role::Admin).then_some(caller.user.id.as_str());
    let tokens = cx
        .db
        .tokens(caller.org_id(), only)
        .await?
        .into_iter()
        .filter(|t| tocsin_domain::auth::token_alive(t.expires_at, cx.now))
        .map(|t| {
            Ok(ApiToken {
                id: TokenId(t.id),
                name: t.name,
                role: t.role.parse()?,
                created_at: views::time(t.created_at),
                last_used_at: t.last_used_at.map(views::time),
                expires_at: t.expires_at.map(views::time),
                user_name: Some(t.user_name),
            })
        })
        .collect::<ApiResult<Vec<_>>>()?;
    json(200, &tocsin_domain::api::TokenList { tokens })
}

/// `DELETE /api/tokens/{id}`: your own token, or (admins) anyone's; it stops working at once.
pub async fn revoke_token(cx: &Cx, id: &str) -> ApiResult<Response> {
    let caller = cx.caller().await?;
    let only = (caller.role != tocsin_domain::auth::Role::Admin).then_some(caller.user.id.as_str());
    if !cx.db.revoke_token(caller.org_id(), id, only, cx.now).await? {
        return Err(ApiError::NotFound("token"));
    }
    Ok(Response::empty()?.with_status(204))
}
