//! People (adding them with a password or a one-time invitation link, listing, editing,
//! deactivating) and API tokens. Every change is audited in the batch that makes it.

use tocsin_domain::api::{ApiToken, CreateTokenRequest, CreateUserRequest, CreatedToken, CreatedUser};
use serde_json::json;
use tocsin_domain::audit::Action;
use tocsin_domain::auth::{check_password, Permission, Role};
use tocsin_domain::people::{self, Deactivated, PatchUserRequest, Target, UserList};
use tocsin_domain::ids::TokenId;
use tocsin_domain::validation::email;
use worker::Response;

use super::auth::line;
use super::{json, views, Cx};
use crate::crypto::{hash_password, new_id, new_secret, sha256_hex};
use crate::db::{is_unique_violation, NewUser};
use crate::error::{ApiError, ApiResult};

const INVITE_TTL_MS: i64 = 7 * 24 * 3600 * 1000;

pub async fn create(cx: &mut Cx) -> ApiResult<Response> {
    let caller = cx.caller().await?;
    caller.require(Permission::Administer)?;
    // A new person (with a password, or an invitation link in the answer) outlives the token.
    caller.require_signed_in("an API token cannot add people: sign in to add or invite someone")?;
    let r: CreateUserRequest = cx.json().await?;
    let email = email("email", &r.email)?;
    let name = line("name", &r.name, 100)?;
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
    let after = json!({"email": email, "name": name, "role": r.role.as_str()});
    let (invite_url, invite_expires_at) = if password_hash.is_some() {
        let audit = cx.audit(&caller, Action::UserCreated, Some(&id)).after(after);
        cx.db.insert_user(&u, cx.now, &audit).await.map_err(duplicate)?;
        (None, None)
    } else {
        let secret = new_secret("tci_");
        let expires = cx.now + INVITE_TTL_MS;
        let audit = cx.audit(&caller, Action::UserInvited, Some(&id)).after(after);
        cx.db.insert_invited_user(&u, &sha256_hex(&secret), expires, cx.now, &audit).await.map_err(duplicate)?;
        // The secret travels in the fragment, so it never reaches server or proxy logs.
        (Some(format!("{}/invite#{secret}", cx.origin())), Some(views::time(expires)))
    };
    let user = cx.db.user_by_id(caller.org_id(), &id).await?.ok_or(ApiError::Internal("user vanished".into()))?;
    json(201, &CreatedUser { user: views::user(&user)?, invite_url, invite_expires_at })
}

pub async fn create_token(cx: &mut Cx) -> ApiResult<Response> {
    let caller = cx.caller().await?;
    // A token made by a token could outlive the one that made it (its expiry, its revocation).
    caller.require_signed_in("an API token cannot create API tokens: sign in to create one")?;
    let r: CreateTokenRequest = cx.json().await?;
    let name = line("name", &r.name, 100)?;
    let role = r.role.unwrap_or(caller.role);
    if !caller.role.may_grant(role) {
        return Err(ApiError::Forbidden("a token cannot have more power than the role that creates it"));
    }
    let expires_at = tocsin_domain::auth::token_expiry(cx.now, r.expires_in_days).map_err(|m| ApiError::field("expires_in_days", m))?;
    let id = new_id(cx.now);
    let secret = new_secret("tct_");
    let audit = cx.audit(&caller, Action::TokenCreated, Some(&id)).after(json!({"name": name, "role": role.as_str(), "user_id": caller.user.id, "expires_at": expires_at}));
    cx.db.insert_token(&id, caller.org_id(), &caller.user.id, &name, role.as_str(), &sha256_hex(&secret), cx.now, expires_at, &audit).await?;
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
    let audit = cx.audit(&caller, Action::TokenRevoked, Some(id));
    if !cx.db.revoke_token(caller.org_id(), id, only, cx.now, &audit).await? {
        return Err(ApiError::NotFound("token"));
    }
    Ok(Response::empty()?.with_status(204))
}

/// `GET /api/users`: everyone in the organisation (any member: people are picked as responders,
/// override takers and escalation targets); e-mail addresses only for admins.
pub async fn list(cx: &Cx) -> ApiResult<Response> {
    let caller = cx.caller().await?;
    let admin = caller.role == Role::Admin;
    let mut teams = super::teams::teams_by_user(&cx.db, caller.org_id()).await?;
    let users = cx
        .db
        .org_users(caller.org_id())
        .await?
        .iter()
        .map(|u| {
            let mut v = views::user(u)?;
            v.teams = teams.remove(&u.id).unwrap_or_default();
            if !admin && u.id != caller.user.id {
                v.email = String::new();
            }
            Ok(v)
        })
        .collect::<ApiResult<Vec<_>>>()?;
    json(200, &UserList { users })
}

fn refused(r: people::Refusal) -> ApiError {
    match r {
        people::Refusal::NotAllowed => ApiError::Forbidden(r.message()),
        people::Refusal::LastAdmin | people::Refusal::Deactivated => ApiError::Conflict(r.message().into()),
    }
}

/// `PATCH /api/users/{id}`: a person renames themself; admins rename anyone and change roles.
pub async fn patch(cx: &mut Cx, id: &str) -> ApiResult<Response> {
    let caller = cx.caller().await?;
    caller.require(Permission::Read)?;
    let r: PatchUserRequest = cx.json().await?;
    // `me` stands for the caller.
    let id = if id == "me" { caller.user.id.clone() } else { id.to_string() };
    let id = id.as_str();
    let name = r.name.as_deref().map(|n| line("name", n, 100)).transpose()?;
    let target = cx.db.user_by_id(caller.org_id(), id).await?.ok_or(ApiError::NotFound("user"))?;
    let current: Role = target.role.parse()?;
    let t = Target { role: current, deactivated: target.deactivated_at.is_some(), is_caller: target.id == caller.user.id, can_log_in: target.password_hash.is_some() };
    let renames = name.as_ref().is_some_and(|n| *n != target.name);
    // Expertise and teams: normalised and checked before anything is written.
    let old_expertise = target.expertise.as_deref().map(tocsin_domain::expertise::parse_stored).unwrap_or_default();
    let expertise = r.expertise.as_deref().map(|e| tocsin_domain::expertise::normalize_tags("expertise", e)).transpose()?;
    let new_expertise = expertise.clone().unwrap_or_else(|| old_expertise.clone());
    let team_rows = cx.db.teams(caller.org_id()).await?;
    let by_user = super::teams::teams_by_user(&cx.db, caller.org_id()).await?;
    let old_teams: Vec<String> = by_user.get(id).map(|ts| ts.iter().map(|t| t.id.clone()).collect()).unwrap_or_default();
    let new_teams = match &r.teams {
        None => None,
        Some(ts) => {
            let mut out: Vec<String> = Vec::new();
            for (i, t) in ts.iter().enumerate() {
                if !team_rows.iter().any(|row| row.id == *t) {
                    return Err(ApiError::field(&format!("teams[{i}]"), "no such team"));
                }
                if !out.contains(t) {
                    out.push(t.clone());
                }
            }
            Some(out)
        }
    };
    let sorted = |v: &[String]| {
        let mut v = v.to_vec();
        v.sort();
        v
    };
    let changes_teams = new_teams.as_ref().is_some_and(|n| sorted(n) != sorted(&old_teams));
    let changes_expertise = new_expertise != old_expertise;
    people::check_edit(caller.role, t, r.role, renames || changes_expertise, cx.db.active_admins(caller.org_id()).await?).map_err(refused)?;
    if changes_teams && caller.role != Role::Admin {
        return Err(refused(people::Refusal::NotAllowed));
    }
    let new_name = name.unwrap_or_else(|| target.name.clone());
    let new_role = r.role.unwrap_or(current);
    let shown = |u: &crate::db::UserRow, teams: &std::collections::HashMap<String, Vec<tocsin_domain::api::teams::TeamRef>>| -> ApiResult<tocsin_domain::api::User> {
        let mut v = views::user(u)?;
        v.teams = teams.get(&u.id).cloned().unwrap_or_default();
        if caller.role != Role::Admin && u.id != caller.user.id {
            v.email = String::new();
        }
        Ok(v)
    };
    // The guarded name/role change first: when it loses the last-admin race, nothing of the
    // request has been written (expertise and teams included).
    if new_name != target.name || new_role != current {
        let audit = cx
            .audit(&caller, Action::UserUpdated, Some(id))
            .before(json!({"name": target.name, "role": current.as_str()}))
            .after(json!({"name": new_name, "role": new_role.as_str()}));
        if !cx.db.update_user(caller.org_id(), id, &new_name, new_role.as_str(), &audit).await? {
            // Someone else changed the organisation in between (the last other admin went).
            return Err(refused(people::Refusal::LastAdmin));
        }
    }
    if changes_expertise || changes_teams {
        let audit = cx
            .audit(&caller, Action::UserUpdated, Some(id))
            .before(json!({"expertise": old_expertise, "teams": old_teams}))
            .after(json!({"expertise": new_expertise, "teams": new_teams.clone().unwrap_or_else(|| old_teams.clone())}));
        let teams = if changes_teams { new_teams.as_deref() } else { None };
        cx.db.set_user_expertise_teams(caller.org_id(), id, &serde_json::to_string(&new_expertise)?, teams, &audit).await?;
    }
    let user = cx.db.user_by_id(caller.org_id(), id).await?.ok_or(ApiError::NotFound("user"))?;
    json(200, &shown(&user, &super::teams::teams_by_user(&cx.db, caller.org_id()).await?)?)
}

/// `POST /api/users/{id}/deactivate` (admins): the person can no longer log in; their sessions,
/// tokens and pending invitation end at once, in the same batch; their history stays.
pub async fn deactivate(cx: &Cx, id: &str) -> ApiResult<Response> {
    let caller = cx.caller().await?;
    caller.require(Permission::Administer)?;
    let target = cx.db.user_by_id(caller.org_id(), id).await?.ok_or(ApiError::NotFound("user"))?;
    let t = Target { role: target.role.parse()?, deactivated: target.deactivated_at.is_some(), is_caller: target.id == caller.user.id, can_log_in: target.password_hash.is_some() };
    people::check_deactivate(caller.role, t, cx.db.active_admins(caller.org_id()).await?).map_err(refused)?;
    let audit = cx.audit(&caller, Action::UserDeactivated, Some(id)).before(json!({"name": target.name, "role": target.role}));
    let (sessions, tokens) = cx.db.deactivate_user(caller.org_id(), id, cx.now, &audit).await?.ok_or_else(|| refused(people::Refusal::LastAdmin))?;
    let user = cx.db.user_by_id(caller.org_id(), id).await?.ok_or(ApiError::NotFound("user"))?;
    json(200, &Deactivated { user: views::user(&user)?, sessions_revoked: sessions, tokens_revoked: tokens })
}
