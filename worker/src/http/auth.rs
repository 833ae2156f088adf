//! First-run setup, login and logout, invitations, and `GET /api/me`.

use tocsin_domain::audit::{Action, Actor};
use tocsin_domain::api::{AcceptInviteRequest, LoginRequest, SetupRequest, SetupState};
use tocsin_domain::auth::{check_password, login_gate, Failures, LoginGate, Role, FAILURE_WINDOW_MS};
use tocsin_domain::validation::{email, FieldError};
use worker::Response;

use super::{json, views, Cx};
use crate::auth::{client_ip, cookie, session_cookie, SESSION_COOKIE, SESSION_TTL_MS};
use crate::crypto::{burn_password_check, hash_password, new_id, new_secret, sha256_hex, verify_password};
use crate::db::{NewUser, UserRow};
use crate::error::{ApiError, ApiResult};

/// A required, trimmed, length-limited one-line field (a name, a title): no line breaks or
/// control characters (`tocsin_domain::validation::one_line`).
pub fn line(field: &str, value: &str, max: usize) -> ApiResult<String> {
    Ok(tocsin_domain::validation::one_line(field, value, max)?)
}

/// A required, trimmed, length-limited text field (may span lines).
pub fn text(field: &str, value: &str, max: usize) -> ApiResult<String> {
    let v = value.trim();
    if v.is_empty() {
        Err(ApiError::field(field, "is required"))
    } else if v.chars().count() > max {
        Err(ApiError::field(field, format!("must be at most {max} characters")))
    } else {
        Ok(v.to_string())
    }
}

pub async fn setup_state(cx: &Cx) -> ApiResult<Response> {
    json(200, &SetupState { needs_setup: cx.db.user_count().await? == 0 })
}

pub async fn setup(cx: &mut Cx) -> ApiResult<Response> {
    let already = || ApiError::Conflict("Tocsin is already set up; log in instead".into());
    if cx.db.user_count().await? > 0 {
        return Err(already());
    }
    let r: SetupRequest = cx.json().await?;
    let org_name = line("organization", &r.organization, 100)?;
    let name = line("name", &r.name, 100)?;
    let email = email("email", &r.email)?;
    check_password(&r.password)?;
    let hash = hash_password(&r.password)?;
    let (org_id, user_id) = (new_id(cx.now), new_id(cx.now));
    let admin = NewUser {
        id: &user_id,
        org_id: &org_id,
        email: &email,
        name: &name,
        role: Role::Admin.as_str(),
        password_hash: Some(&hash),
    };
    let actor = Actor::User { user_id: user_id.clone(), name: name.clone() };
    let audit = cx.audit_by(&org_id, actor, Action::OrganizationCreated, Some(&org_id)).after(serde_json::json!({"organization": org_name, "admin": {"email": email, "name": name}}));
    if !cx.db.create_first_org(&org_id, &org_name, &admin, cx.now, &audit).await? {
        return Err(already());
    }
    // The organisation's VAPID key pair and action-token key are made now, kept server-side.
    let subject = cx.var("VAPID_SUBJECT").unwrap_or_else(|| format!("mailto:{email}"));
    // Without the sealing secret setup still completes; paging answers 503 saying what is missing.
    match crate::deliver::ensure_keys(&cx.db, &org_id, &subject, &cx.origin(), cx.now).await {
        Err(ApiError::Misconfigured(why)) => worker::console_error!("setup: {why}"),
        other => {
            other?;
        }
    }
    let user = cx.db.user_by_id(&org_id, &user_id).await?.ok_or(ApiError::Internal("admin vanished after setup".into()))?;
    start_session(cx, &user, 201).await
}

async fn start_session(cx: &Cx, user: &UserRow, status: u16) -> ApiResult<Response> {
    let secret = new_secret("tcs_");
    let actor = Actor::User { user_id: user.id.clone(), name: user.name.clone() };
    let audit = cx.audit_by(&user.org_id, actor, Action::SessionCreated, Some(&user.id));
    cx.db.insert_session(&sha256_hex(&secret), user, cx.now, cx.now + SESSION_TTL_MS, &audit).await?;
    let mut resp = json(status, &views::me(user, user.role.parse()?)?)?;
    resp.headers_mut().set("Set-Cookie", &session_cookie(&secret, cx.is_https(), SESSION_TTL_MS / 1000))?;
    Ok(resp)
}

pub async fn login(cx: &mut Cx) -> ApiResult<Response> {
    let r: LoginRequest = cx.json().await?;
    let email = r.email.trim().to_ascii_lowercase();
    if email.is_empty() {
        return Err(ApiError::field("email", "is required"));
    }
    // Slowed down per address, and per account *from that address*: a stranger guessing at
    // someone's account elsewhere cannot lock them out of their own phone at 3 a.m.
    // (IPv6 by its /64; and a high per-account limit from anywhere against spread-out guessing.)
    let ip = tocsin_domain::auth::client_key(&client_ip(&cx.req));
    let account_key = format!("account-ip:{email}|{ip}");
    let ip_key = format!("ip:{ip}");
    let anywhere_key = format!("account:{email}");
    let since = cx.now - FAILURE_WINDOW_MS;
    let failures = |(count, last_at_ms): (u32, i64)| Failures { count, last_at_ms };
    let (seen, reserved) = cx.db.reserve_login_attempt(&[&account_key, &ip_key, &anywhere_key], cx.now, since).await?;
    let gate = tocsin_domain::auth::stricter(login_gate(failures(seen[0]), failures(seen[1]), cx.now), tocsin_domain::auth::account_gate(failures(seen[2]), cx.now));
    if let LoginGate::RetryAfter { secs } = gate {
        // Not checked, so not counted: waiting as told is enough.
        cx.db.forget_login_attempt(&reserved).await?;
        return Err(ApiError::RateLimited { retry_after_secs: secs });
    }
    // A deactivated person is refused exactly like a wrong password (same time, same answer).
    let user = cx.db.user_by_email(&email).await?.filter(|u| u.deactivated_at.is_none());
    let ok = match user.as_ref().and_then(|u| u.password_hash.as_deref()) {
        Some(hash) => verify_password(&r.password, hash),
        None => {
            burn_password_check(&r.password);
            false
        }
    };
    match (ok, user) {
        (true, Some(user)) => {
            cx.db.login_succeeded(&[&account_key, &anywhere_key], &reserved).await?;
            start_session(cx, &user, 200).await
        }
        // The attempt was recorded as a failure before it was checked.
        _ => Err(ApiError::Unauthenticated("e-mail or password is incorrect")),
    }
}

pub async fn logout(cx: &Cx) -> ApiResult<Response> {
    if let Some(secret) = cookie(&cx.req, SESSION_COOKIE) {
        cx.db.revoke_session(&sha256_hex(&secret), cx.now).await?;
    }
    let mut resp = Response::empty()?.with_status(204);
    resp.headers_mut().set("Set-Cookie", &session_cookie("", cx.is_https(), 0))?;
    Ok(resp)
}

/// `POST /api/auth/logout-everywhere`: ends every session of the caller (this one included).
pub async fn logout_everywhere(cx: &Cx) -> ApiResult<Response> {
    let caller = cx.caller().await?;
    let audit = cx.audit(&caller, Action::SessionsRevoked, Some(&caller.user.id));
    cx.db.revoke_sessions_of(&caller.user.id, None, cx.now, &audit).await?;
    let mut resp = Response::empty()?.with_status(204);
    resp.headers_mut().set("Set-Cookie", &session_cookie("", cx.is_https(), 0))?;
    Ok(resp)
}

/// `POST /api/users/me/password`: needs the current password; every other session ends.
pub async fn change_password(cx: &mut Cx) -> ApiResult<Response> {
    let caller = cx.caller().await?;
    let r: tocsin_domain::api::ChangePasswordRequest = cx.json().await?;
    check_password(&r.new_password).map_err(|e| ApiError::field("new_password", e.to_string()))?;
    // Guessing the current password with a stolen session is slowed down like logins.
    let key = format!("password:{}", caller.user.id);
    let (seen, reserved) = cx.db.reserve_login_attempt(&[&key], cx.now, cx.now - FAILURE_WINDOW_MS).await?;
    if let LoginGate::RetryAfter { secs } = login_gate(Failures { count: seen[0].0, last_at_ms: seen[0].1 }, Failures::default(), cx.now) {
        cx.db.forget_login_attempt(&reserved).await?;
        return Err(ApiError::RateLimited { retry_after_secs: secs });
    }
    let current_ok = caller.user.password_hash.as_deref().is_some_and(|h| verify_password(&r.current_password, h));
    if !current_ok {
        return Err(ApiError::field("current_password", "is not your current password"));
    }
    cx.db.clear_login_failures(&key).await?;
    let hash = hash_password(&r.new_password)?;
    let keep = cookie(&cx.req, SESSION_COOKIE).map(|s| sha256_hex(&s));
    let audit = cx.audit(&caller, Action::UserPasswordChanged, Some(&caller.user.id));
    cx.db.set_password_ending_other_sessions(&caller.user.id, &hash, keep.as_deref(), cx.now, &audit).await?;
    Ok(Response::empty()?.with_status(204))
}

pub async fn me(cx: &Cx) -> ApiResult<Response> {
    let caller = cx.caller().await?;
    json(200, &views::me(&caller.user, caller.role)?)
}

pub async fn accept_invite(cx: &mut Cx) -> ApiResult<Response> {
    let r: AcceptInviteRequest = cx.json().await?;
    check_password(&r.password)?;
    // Throttled per address like logins, and the token is checked before the (deliberately
    // slow) password hash is computed: a flood of made-up tokens costs a lookup each.
    let ip_key = format!("invite-ip:{}", tocsin_domain::auth::client_key(&client_ip(&cx.req)));
    let since = cx.now - FAILURE_WINDOW_MS;
    let (seen, reserved) = cx.db.reserve_login_attempt(&[&ip_key], cx.now, since).await?;
    let none = Failures::default();
    if let LoginGate::RetryAfter { secs } = login_gate(none, Failures { count: seen[0].0, last_at_ms: seen[0].1 }, cx.now) {
        cx.db.forget_login_attempt(&reserved).await?;
        return Err(ApiError::RateLimited { retry_after_secs: secs });
    }
    let invalid = || ApiError::Invalid(FieldError::new("token", "this invitation link is invalid, expired or already used"));
    if !cx.db.invite_is_open(&sha256_hex(r.token.trim()), cx.now).await? {
        return Err(invalid());
    }
    cx.db.forget_login_attempt(&reserved).await?;
    let hash = hash_password(&r.password)?;
    let user = cx
        .db
        .accept_invite(&sha256_hex(r.token.trim()), &hash, cx.now, |user_id, org_id, name| {
            cx.audit_by(org_id, Actor::User { user_id: user_id.into(), name: name.into() }, Action::UserInviteAccepted, Some(user_id))
        })
        .await?
        .ok_or_else(|| ApiError::Invalid(FieldError::new("token", "this invitation link is invalid, expired or already used")))?;
    start_session(cx, &user, 200).await
}
