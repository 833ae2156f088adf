//! Paging a person's devices: the VAPID public key, push subscriptions (store, list, remove,
//! send a test), the push delivery log, contact preferences, and the one action a notification
//! can take without a session — acknowledge, with its signed action token.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use tocsin_domain::action_token::{self, Purpose, TokenError};
use tocsin_domain::audit::Action;
use tocsin_domain::api::*;
use tocsin_domain::auth::{allows, Permission, Role};
use tocsin_domain::incident::IncidentAction;
use tocsin_domain::notification::{test_payload, RepeatRule};
use tocsin_domain::outbound::{url_hint, DestinationKind};
use tocsin_domain::validation::http_url;
use tocsin_domain::webpush;
use worker::Response;

use super::auth::line;
use super::{json, views, Cx};
use crate::auth::Caller;
use crate::crypto::{new_id, new_secret, open, seal};
use crate::db::{DeliveryRow, NewDelivery, SubscriptionRow};
use crate::deliver::{ensure_keys, repeat_rule};
use crate::error::{ApiError, ApiResult};

/// The organisation's keys, made on first use by any of its people.
pub async fn org_keys(cx: &Cx, caller: &Caller) -> ApiResult<crate::db::OrgKeysRow> {
    let subject = cx.var("VAPID_SUBJECT").unwrap_or_else(|| format!("mailto:{}", caller.user.email));
    ensure_keys(&cx.db, caller.org_id(), &subject, &cx.origin(), cx.now).await
}

pub async fn vapid_public_key(cx: &Cx) -> ApiResult<Response> {
    let caller = cx.caller().await?;
    let keys = org_keys(cx, &caller).await?;
    json(200, &VapidPublicKey { public_key: keys.vapid_public })
}

fn device_view(s: &SubscriptionRow) -> PushDevice {
    PushDevice {
        id: s.id.clone(),
        device: s.device.clone(),
        push_service: webpush::endpoint_origin(&s.endpoint).unwrap_or_default(),
        created_at: views::time(s.created_at),
        last_success_at: s.last_success_at.map(views::time),
        last_failure: s.last_failure.clone(),
    }
}

pub async fn subscribe(cx: &mut Cx) -> ApiResult<Response> {
    let caller = cx.caller().await?;
    // A device receives every page with its acknowledge link, whatever becomes of a token.
    caller.require_signed_in("an API token cannot add a device: the app adds one for a person signed in")?;
    let r: PushSubscriptionRequest = cx.json().await?;
    let endpoint = r.endpoint.trim();
    // Push services speak https; plain http only to this machine (a local push service).
    let loopback = ["http://127.0.0.1:", "http://127.0.0.1/", "http://localhost:", "http://[::1]:"].iter().any(|p| endpoint.starts_with(p));
    if !endpoint.starts_with("https://") && !loopback {
        return Err(ApiError::field("endpoint", "must be the https:// URL of a push service (PushSubscription.endpoint)"));
    }
    if endpoint.len() > 2048 || webpush::endpoint_origin(endpoint).is_none() {
        return Err(ApiError::field("endpoint", "is not a push service URL"));
    }
    webpush::check_subscription_keys(&r.keys.p256dh, &r.keys.auth).map_err(|e| match e {
        webpush::PushError::BadAuthSecret => ApiError::field("keys.auth", e.to_string()),
        _ => ApiError::field("keys.p256dh", e.to_string()),
    })?;
    let ua = cx.header("User-Agent").unwrap_or_default();
    let device = match r.device.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
        Some(d) => line("device", d, 80)?,
        None => tocsin_domain::notification::device_name(&ua, false),
    };
    org_keys(cx, &caller).await?;
    let (p256dh, auth) = (r.keys.p256dh.trim_end_matches('='), r.keys.auth.trim_end_matches('='));
    let id = new_id(cx.now);
    let audit = cx.audit(&caller, Action::DeviceSubscribed, Some(&id)).after(serde_json::json!({"device": device, "user_id": caller.user.id}));
    let (row, new) = cx.db.upsert_subscription(&id, caller.org_id(), &caller.user.id, endpoint, p256dh, auth, &device, cx.now, &audit).await?;
    json(if new { 201 } else { 200 }, &device_view(&row))
}

pub async fn list_subscriptions(cx: &Cx) -> ApiResult<Response> {
    let caller = cx.caller().await?;
    let devices = cx.db.subscriptions_of(caller.org_id(), &caller.user.id).await?.iter().map(device_view).collect();
    json(200, &PushDeviceList { devices })
}

pub async fn unsubscribe(cx: &Cx, id: &str) -> ApiResult<Response> {
    let caller = cx.caller().await?;
    let audit = cx.audit(&caller, Action::DeviceRemoved, Some(id));
    if !cx.db.delete_subscription(caller.org_id(), &caller.user.id, id, &audit).await? {
        return Err(ApiError::NotFound("push subscription"));
    }
    Ok(Response::empty()?.with_status(204))
}

pub async fn test(cx: &Cx, id: &str) -> ApiResult<Response> {
    let caller = cx.caller().await?;
    let sub = cx.db.subscription(caller.org_id(), id).await?.filter(|s| s.user_id == caller.user.id).ok_or(ApiError::NotFound("push subscription"))?;
    let d = NewDelivery {
        id: new_id(cx.now),
        org_id: caller.org_id(),
        channel: "push",
        target_id: sub.id.clone(),
        user_id: Some(&caller.user.id),
        incident_id: None,
        source: format!("test:{}", new_id(cx.now)),
        event: "test",
        payload: serde_json::to_string(&test_payload(&sub.device))?,
    };
    cx.db.queue_deliveries(std::slice::from_ref(&d), cx.now).await?;
    cx.after.deliver();
    json(202, &TestQueued { delivery_id: d.id })
}

/// Deliveries with their attempts, as the logs show them.
pub async fn delivery_log(cx: &Cx, rows: Vec<DeliveryRow>) -> ApiResult<DeliveryLog> {
    let ids: Vec<&str> = rows.iter().map(|d| d.id.as_str()).collect();
    let attempts = cx.db.attempts_of(&ids).await?;
    Ok(DeliveryLog {
        deliveries: rows
            .iter()
            .map(|d| DeliveryView {
                id: d.id.clone(),
                event: d.event.clone(),
                incident_id: d.incident_id.clone().map(Into::into),
                state: d.state.clone(),
                attempts: attempts
                    .iter()
                    .filter(|a| a.delivery_id == d.id)
                    .map(|a| DeliveryAttempt {
                        at: views::time(a.at),
                        status: a.status.and_then(|s| u16::try_from(s).ok()),
                        outcome: a.outcome.clone(),
                        duration_ms: a.duration_ms,
                    })
                    .collect(),
                created_at: views::time(d.created_at),
                next_attempt_at: d.next_attempt_at.filter(|_| d.state == "pending").map(views::time),
            })
            .collect(),
    })
}

pub async fn deliveries(cx: &Cx) -> ApiResult<Response> {
    let caller = cx.caller().await?;
    let rows = cx.db.deliveries_of_user(caller.org_id(), &caller.user.id, 30).await?;
    json(200, &delivery_log(cx, rows).await?)
}

/// `POST /api/actions/acknowledge`: the notification's Acknowledge button.
pub async fn acknowledge_action(cx: &mut Cx) -> ApiResult<Response> {
    let r: ActionRequest = cx.json().await?;
    let unauthorised = |e: TokenError| match e {
        TokenError::Expired => ApiError::Unauthenticated("the action token has expired; open the incident in Tocsin instead"),
        TokenError::WrongPurpose => ApiError::Forbidden("the action token is not for this action"),
        _ => ApiError::Unauthenticated("the action token is not valid"),
    };
    let org_id = action_token::unverified_org(&r.token).map_err(unauthorised)?;
    let keys = crate::deliver::keys(&cx.db, &org_id).await?.ok_or(ApiError::Unauthenticated("the action token is not valid"))?;
    let key = URL_SAFE_NO_PAD.decode(&keys.action_key).map_err(|_| ApiError::Internal("stored action key is not base64url".into()))?;
    let claims = action_token::verify(&key, &r.token, Purpose::Acknowledge, cx.now / 1000).map_err(unauthorised)?;
    let user = cx
        .db
        .user_by_id(&claims.org_id, &claims.user_id)
        .await?
        .filter(|u| u.deactivated_at.is_none())
        .ok_or(ApiError::Unauthenticated("the person this token was issued to no longer exists or was deactivated"))?;
    let role: Role = user.role.parse()?;
    if !allows(role, Permission::Respond) {
        return Err(ApiError::Forbidden("your role is read-only (observer)"));
    }
    let changed = super::incidents::act_as(cx, &user, &claims.incident_id, IncidentAction::Acknowledge, " from a notification").await?;
    let row = cx.db.incident(&claims.org_id, &claims.incident_id).await?.ok_or(ApiError::NotFound("incident"))?;
    json(200, &ActionDone { incident: views::incident(&row)?, changed })
}

fn preferences_view(user_id: &str, p: Option<&crate::db::PreferencesRow>) -> ApiResult<ContactPreferences> {
    let webhook = match p.and_then(|p| Some((p.webhook_kind.as_deref()?.parse::<DestinationKind>().ok()?, p.webhook_url.as_deref()?))) {
        Some((kind, sealed)) => Some(PersonalWebhook { kind, url: None, url_hint: Some(url_hint(&open(sealed, &format!("pref-url:{user_id}"))?)) }),
        None => None,
    };
    Ok(ContactPreferences { push: p.map(|p| p.push != 0).unwrap_or(true), webhook, repeat: repeat_rule(p) })
}

pub async fn get_preferences(cx: &Cx) -> ApiResult<Response> {
    let caller = cx.caller().await?;
    let p = cx.db.preferences(&caller.user.id).await?;
    json(200, &preferences_view(&caller.user.id, p.as_ref())?)
}

/// `PUT`: the whole preferences. A personal webhook without `url` keeps the stored URL (it is
/// never shown back); `webhook: null` removes it. Answers with the signing secret once when a
/// generic personal webhook is first set.
pub async fn put_preferences(cx: &mut Cx) -> ApiResult<Response> {
    let caller = cx.caller().await?;
    let r: ContactPreferences = cx.json().await?;
    if let Some(rule) = &r.repeat {
        rule.validate()?;
    }
    let old = cx.db.preferences(&caller.user.id).await?;
    let mut new_secret_shown = None;
    let webhook = match &r.webhook {
        None => None,
        Some(w) => {
            // A new address receives every page with its acknowledge link, whatever becomes of
            // a token: set by a person signed in (a token may keep the one there).
            if w.url.is_some() {
                caller.require_signed_in("an API token cannot set a personal webhook's address: sign in to set it")?;
            }
            // Nor a new kind: one that becomes generic would show the token a new signing secret.
            if old.as_ref().and_then(|o| o.webhook_kind.as_deref()) != Some(w.kind.as_str()) {
                caller.require_signed_in("an API token cannot change a personal webhook's kind: sign in to change it")?;
            }
            // Stored sealed; an absent URL keeps the stored one.
            let me = &caller.user.id;
            let url = match (&w.url, old.as_ref().and_then(|o| o.webhook_url.clone())) {
                (Some(u), _) => seal(&http_url("webhook.url", u)?, &format!("pref-url:{me}"))?,
                (None, Some(sealed)) => sealed,
                (None, None) => return Err(ApiError::field("webhook.url", "is required")),
            };
            let secret = match (w.kind, old.as_ref().and_then(|o| o.webhook_secret.clone())) {
                (DestinationKind::Generic, Some(sealed)) => Some(sealed),
                (DestinationKind::Generic, None) => {
                    let s = new_secret("whsec_");
                    new_secret_shown = Some(s.clone());
                    Some(seal(&s, &format!("pref-secret:{me}"))?)
                }
                _ => None,
            };
            Some((w.kind.as_str(), url, secret))
        }
    };
    let repeat = r.repeat.map(|x: RepeatRule| (i64::from(x.every_minutes), x.min_severity.as_str()));
    // As far as it can be read: a URL sealed under a lost key must not block its removal.
    let before = preferences_view(&caller.user.id, old.as_ref()).ok().and_then(|v| serde_json::to_value(v).ok()).unwrap_or_else(|| serde_json::json!({"webhook": "[unreadable]"}));
    let after = serde_json::json!({"push": r.push, "webhook": webhook.as_ref().map(|(k, _, _)| *k), "repeat": repeat.map(|(m, s)| serde_json::json!({"every_minutes": m, "min_severity": s}))});
    let audit = cx.audit(&caller, Action::ContactPreferencesUpdated, Some(&caller.user.id)).before(before).after(after);
    cx.db
        .put_preferences(caller.org_id(), &caller.user.id, r.push, webhook.as_ref().map(|(k, u, s)| (*k, u.as_str(), s.as_deref())), repeat, cx.now, &audit)
        .await?;
    let p = cx.db.preferences(&caller.user.id).await?;
    let mut body = serde_json::to_value(preferences_view(&caller.user.id, p.as_ref())?)?;
    if let Some(s) = new_secret_shown {
        body["webhook"]["signing_secret"] = s.into();
    }
    json(200, &body)
}

