//! Outbound webhook destinations (admin): Slack, Teams and generic receivers, chosen per event
//! type and service; their URL and signing secret are never shown again after creation.

use tocsin_domain::api::*;
use tocsin_domain::audit::Action;
use tocsin_domain::auth::Permission;
use tocsin_domain::outbound::body::{render, OutboundEvent};
use tocsin_domain::outbound::{url_hint, DestinationKind};
use tocsin_domain::validation::http_url;
use worker::Response;

use super::auth::line;
use super::{json, views, Cx};
use crate::auth::Caller;
use crate::crypto::{new_id, new_secret, open, seal};
use crate::db::{DestinationRow, NewDelivery};
use crate::error::{ApiError, ApiResult};

/// URL and secret are stored sealed, bound to the destination (see `tocsin_domain::sealed`).
fn url_place(id: &str) -> String {
    format!("dest-url:{id}")
}

fn secret_place(id: &str) -> String {
    format!("dest-secret:{id}")
}

fn view(d: &DestinationRow) -> ApiResult<Destination> {
    Ok(Destination {
        id: d.id.clone(),
        name: d.name.clone(),
        kind: d.kind.parse().unwrap_or(DestinationKind::Generic),
        url_hint: url_hint(&open(&d.url, &url_place(&d.id))?),
        events: serde_json::from_str(&d.events).unwrap_or_default(),
        service_ids: serde_json::from_str(&d.service_ids).unwrap_or_default(),
        enabled: d.enabled != 0,
        created_at: views::time(d.created_at),
    })
}

async fn admin(cx: &Cx) -> ApiResult<Caller> {
    let caller = cx.caller().await?;
    caller.require(Permission::Administer)?;
    Ok(caller)
}

/// Checks a request and the services it names; `url` is the new URL when one is given.
async fn checked(cx: &Cx, caller: &Caller, r: &DestinationRequest) -> ApiResult<(String, Option<String>)> {
    let name = line("name", &r.name, 100)?;
    let url = r.url.as_deref().map(|u| http_url("url", u)).transpose()?;
    if r.events.is_empty() {
        return Err(ApiError::field("events", "choose at least one event"));
    }
    for s in &r.service_ids {
        cx.db.service(caller.org_id(), s.as_str()).await?.ok_or_else(|| ApiError::field("service_ids", format!("no such service: {s}")))?;
    }
    Ok((name, url))
}

fn events_json(r: &DestinationRequest) -> ApiResult<String> {
    let mut ev = r.events.clone();
    ev.sort();
    ev.dedup();
    Ok(serde_json::to_string(&ev)?)
}

pub async fn list(cx: &Cx) -> ApiResult<Response> {
    let caller = admin(cx).await?;
    let destinations = cx.db.destinations(caller.org_id()).await?.iter().map(view).collect::<ApiResult<_>>()?;
    json(200, &DestinationList { destinations })
}

pub async fn create(cx: &mut Cx) -> ApiResult<Response> {
    let caller = admin(cx).await?;
    // An address that receives every incident's events outlives the token.
    caller.require_signed_in("an API token cannot add a webhook destination: sign in to add one")?;
    let r: DestinationRequest = cx.json().await?;
    let (name, url) = checked(cx, &caller, &r).await?;
    let url = url.ok_or_else(|| ApiError::field("url", "is required"))?;
    super::push::org_keys(cx, &caller).await?; // the app's address, for links in messages
    let secret = (r.kind == DestinationKind::Generic).then(|| new_secret("whsec_"));
    let id = new_id(cx.now);
    let row = DestinationRow {
        org_id: caller.org_id().to_string(),
        name,
        kind: r.kind.as_str().to_string(),
        url: seal(&url, &url_place(&id))?,
        secret: secret.as_deref().map(|s| seal(s, &secret_place(&id))).transpose()?,
        id,
        events: events_json(&r)?,
        service_ids: serde_json::to_string(&r.service_ids)?,
        enabled: r.enabled as i64,
        created_at: cx.now,
    };
    let audit = cx.audit(&caller, Action::DestinationCreated, Some(&row.id)).after(serde_json::to_value(view(&row)?)?);
    cx.db.insert_destination(&row, cx.now, &audit).await?;
    json(201, &CreatedDestination { destination: view(&row)?, signing_secret: secret })
}

pub async fn update(cx: &mut Cx, id: &str) -> ApiResult<Response> {
    let caller = admin(cx).await?;
    let r: DestinationRequest = cx.json().await?;
    let old = cx.db.destination(caller.org_id(), id).await?.ok_or(ApiError::NotFound("webhook destination"))?;
    let old_view = old.clone();
    let (name, url) = checked(cx, &caller, &r).await?;
    if url.is_some() || old.kind != r.kind.as_str() {
        caller.require_signed_in("an API token cannot change a webhook destination's address or kind: sign in to change them")?;
    }
    // A generic destination keeps its secret; one that becomes generic gets one (shown once).
    let mut shown = None;
    let secret = match (r.kind, old.secret.clone()) {
        (DestinationKind::Generic, Some(s)) => Some(s),
        (DestinationKind::Generic, None) => {
            let s = new_secret("whsec_");
            shown = Some(s.clone());
            Some(seal(&s, &secret_place(&old.id))?)
        }
        _ => None,
    };
    let url = match url {
        Some(u) => seal(&u, &url_place(&old.id))?,
        None => old.url.clone(),
    };
    let row = DestinationRow {
        name,
        kind: r.kind.as_str().to_string(),
        url,
        secret,
        events: events_json(&r)?,
        service_ids: serde_json::to_string(&r.service_ids)?,
        enabled: r.enabled as i64,
        ..old
    };
    // The old state as far as it can be read (a URL sealed under a lost key must not block its
    // replacement).
    let before = view(&old_view).ok().and_then(|v| serde_json::to_value(v).ok()).unwrap_or_else(|| serde_json::json!({"name": old_view.name, "kind": old_view.kind, "url_hint": "[unreadable]"}));
    let audit = cx.audit(&caller, Action::DestinationUpdated, Some(&row.id)).before(before).after(serde_json::to_value(view(&row)?)?);
    if !cx.db.update_destination(&row, cx.now, &audit).await? {
        return Err(ApiError::NotFound("webhook destination"));
    }
    json(200, &CreatedDestination { destination: view(&row)?, signing_secret: shown })
}

pub async fn delete(cx: &Cx, id: &str) -> ApiResult<Response> {
    let caller = admin(cx).await?;
    let audit = cx.audit(&caller, Action::DestinationDeleted, Some(id));
    if !cx.db.delete_destination(caller.org_id(), id, cx.now, &audit).await? {
        return Err(ApiError::NotFound("webhook destination"));
    }
    Ok(Response::empty()?.with_status(204))
}

pub async fn test(cx: &Cx, id: &str) -> ApiResult<Response> {
    let caller = admin(cx).await?;
    let d = cx.db.destination(caller.org_id(), id).await?.ok_or(ApiError::NotFound("webhook destination"))?;
    let keys = super::push::org_keys(cx, &caller).await?;
    let delivery_id = new_id(cx.now);
    let event = OutboundEvent {
        id: delivery_id.clone(),
        kind: None,
        at: views::time(cx.now),
        message: format!("Test message from Tocsin, sent by {}", caller.user.name),
        actor: Some(caller.user.name.clone()),
        incident: None,
        status_update: None,
        app_url: cx.var("APP_URL").unwrap_or(keys.app_url),
    };
    let kind = d.kind.parse().unwrap_or(DestinationKind::Generic);
    let nd = NewDelivery {
        id: delivery_id.clone(),
        org_id: caller.org_id(),
        channel: "webhook",
        target_id: d.id.clone(),
        user_id: None,
        incident_id: None,
        source: format!("test:{delivery_id}"),
        event: "test",
        payload: render(kind, &event).to_string(),
    };
    cx.db.queue_deliveries(std::slice::from_ref(&nd), cx.now).await?;
    cx.after.deliver();
    json(202, &TestQueued { delivery_id })
}

pub async fn deliveries(cx: &Cx, id: &str) -> ApiResult<Response> {
    let caller = admin(cx).await?;
    cx.db.destination(caller.org_id(), id).await?.ok_or(ApiError::NotFound("webhook destination"))?;
    let rows = cx.db.deliveries_of_target(caller.org_id(), id, 50).await?;
    json(200, &super::push::delivery_log(cx, rows).await?)
}
