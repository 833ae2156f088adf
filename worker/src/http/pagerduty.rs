//! PagerDuty Events API v2 at the same paths PagerDuty uses, so clients only change the host:
//! `POST /v2/enqueue` (alerts) and `POST /v2/change/enqueue` (change events). Answers use
//! PagerDuty's shapes: 202 `{"status":"success",…}`, 400 `{"status":"invalid event",…}`.

use serde_json::{json, Value};
use tocsin_domain::alert::MAX_BODY_BYTES;
use tocsin_domain::vendors::{pagerduty, Vendor};
use worker::Response;

use super::{json, Cx};
use crate::crypto::new_id;
use crate::db::ServiceRow;
use crate::error::{ApiError, ApiResult};
use crate::ingest::{apply_event, raw_text, reject};

fn invalid(errors: Vec<String>) -> ApiResult<Response> {
    json(400, &json!({"status": "invalid event", "message": "Event object is invalid", "errors": errors}))
}

/// PagerDuty's answer when a routing key sends too fast.
fn throttled(retry_after_secs: i64) -> ApiResult<Response> {
    let mut resp = json(429, &json!({"status": "throttle event", "message": "Requests for this service are arriving too quickly.  Please retry later."}))?;
    resp.headers_mut().set("Retry-After", &retry_after_secs.to_string())?;
    Ok(resp)
}

async fn read(cx: &mut Cx) -> ApiResult<Result<Vec<u8>, Response>> {
    match cx.body(MAX_BODY_BYTES).await {
        Ok(b) => Ok(Ok(b)),
        Err(ApiError::TooLarge { limit }) => Ok(Err(json(
            413,
            &json!({"status": "invalid event", "message": "Request entity too large", "errors": [format!("the event is larger than {limit} bytes")]}),
        )?)),
        Err(e) => Err(e),
    }
}

/// The service a routing key names.
async fn service_named(cx: &Cx, key: &str) -> ApiResult<Option<ServiceRow>> {
    match key {
        "" => Ok(None),
        k => cx.db.service_by_key(k, cx.now).await,
    }
}

/// The service a refused event's routing key names, for logging it against that service (the
/// body is read again only for events that failed to parse).
async fn service_of(cx: &Cx, body: &[u8]) -> ApiResult<Option<ServiceRow>> {
    let key = serde_json::from_slice::<Value>(body).ok().and_then(|v| v.get("routing_key").and_then(Value::as_str).map(|k| k.trim().to_string()));
    service_named(cx, key.as_deref().unwrap_or("")).await
}

/// The Events API's answer for a routing key whose service does not accept PagerDuty senders.
fn refused() -> ApiResult<Response> {
    json(403, &json!({"status": "forbidden", "message": super::webhooks::NOT_ALLOWED, "errors": [super::webhooks::NOT_ALLOWED]}))
}

pub async fn enqueue(cx: &mut Cx) -> ApiResult<Response> {
    let body = match read(cx).await? {
        Ok(b) => b,
        Err(resp) => return Ok(resp),
    };
    let raw = raw_text(&body);
    // One parse: the event and its routing key.
    let (routing_key, event) = match pagerduty::parse(&body) {
        Ok(parsed) => parsed,
        Err(errors) => {
            if let Some(service) = service_of(cx, &body).await? {
                // Counted like any event before it is logged: refusals cannot flood the log.
                if let Err(secs) = cx.admit_event(&service.integration_key) {
                    return throttled(secs);
                }
                reject(&cx.db, cx.now, &service, Vendor::PagerDuty, &errors.join("; "), &raw).await?;
            }
            return invalid(errors);
        }
    };
    let Some(service) = service_named(cx, &routing_key).await? else {
        return invalid(vec!["Invalid routing key".into()]);
    };
    if let Err(secs) = cx.admit_event(&service.integration_key) {
        return throttled(secs);
    }
    if !service.accepts(Vendor::PagerDuty) {
        reject(&cx.db, cx.now, &service, Vendor::PagerDuty, super::webhooks::NOT_ALLOWED, &raw).await?;
        return refused();
    }
    let applied = apply_event(&cx.db, cx.now, &service, Vendor::PagerDuty, &event, &raw, &cx.after, &new_id(cx.now), crate::app_url(&cx.env).as_deref()).await?;
    json(202, &json!({"status": "success", "message": "Event processed", "dedup_key": applied.dedup_key}))
}

pub async fn change_enqueue(cx: &mut Cx) -> ApiResult<Response> {
    let body = match read(cx).await? {
        Ok(b) => b,
        Err(resp) => return Ok(resp),
    };
    let change = match pagerduty::parse_change(&body) {
        Ok(c) => c,
        Err(errors) => return invalid(errors),
    };
    let Some(service) = cx.db.service_by_key(&change.routing_key, cx.now).await? else {
        return invalid(vec!["Invalid routing key".into()]);
    };
    if let Err(secs) = cx.admit_event(&service.integration_key) {
        return throttled(secs);
    }
    if !service.accepts(Vendor::PagerDuty) {
        reject(&cx.db, cx.now, &service, Vendor::PagerDuty, super::webhooks::NOT_ALLOWED, &raw_text(&body)).await?;
        return refused();
    }
    let at = change.timestamp.map(|t| t.timestamp_millis()).unwrap_or(cx.now);
    cx.db
        .insert_change_event(
            &new_id(cx.now),
            &service.org_id,
            &service.id,
            &change.summary,
            change.source.as_deref(),
            &serde_json::to_string(&change.details)?,
            &serde_json::to_string(&change.links)?,
            at,
            cx.now,
        )
        .await?;
    json(202, &json!({"status": "success", "message": "Change event processed"}))
}
