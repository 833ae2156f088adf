//! Opsgenie Alert API v2 at Opsgenie's paths (`/v2/alerts…`), authenticated with
//! `Authorization: GenieKey <integration key>`. Like Opsgenie, requests are answered 202 with a
//! `requestId` whose outcome `GET /v2/alerts/requests/{id}` reports.

use serde_json::{json, Value};
use tocsin_domain::alert::{AlertEvent, EventAction, MAX_BODY_BYTES};
use tocsin_domain::vendors::opsgenie::{self, IdentifierType};
use tocsin_domain::vendors::Vendor;
use worker::{Date, Response};

use super::{json as json_response, views, Cx};
use crate::crypto::new_id;
use crate::db::ServiceRow;
use crate::error::{ApiError, ApiResult};
use crate::ingest::{apply_event, ignore, raw_text, reject};

/// An Opsgenie-shaped answer: every body carries `took` (seconds) and `requestId`.
fn answer(cx: &Cx, status: u16, mut body: Value, request_id: &str) -> ApiResult<Response> {
    let took = ((Date::now().as_millis() as i64 - cx.now).max(0) as f64) / 1000.0;
    body["took"] = json!(took);
    body["requestId"] = json!(request_id);
    json_response(status, &body)
}

async fn service(cx: &Cx, request_id: &str) -> ApiResult<Result<ServiceRow, Response>> {
    let key = cx.header("Authorization");
    let found = match opsgenie::genie_key(key.as_deref()) {
        Some(k) => cx.db.service_by_key(k, cx.now).await?,
        None => None,
    };
    // Counted against the key's limit before anything is written, refusals included: a leaked key
    // cannot fill the event log with refused requests faster than with accepted ones.
    match found {
        Some(s) if cx.admit_event(&s.integration_key).is_err() => {
            Ok(Err(answer(cx, 429, json!({"message": "You are making too many requests! To avoid errors, we recommend you limit requests."}), request_id)?))
        }
        Some(s) if !s.accepts(Vendor::Opsgenie) => {
            reject(&cx.db, cx.now, &s, Vendor::Opsgenie, super::webhooks::NOT_ALLOWED, "").await?;
            Ok(Err(answer(cx, 403, json!({"message": super::webhooks::NOT_ALLOWED}), request_id)?))
        }
        Some(s) => Ok(Ok(s)),
        None => Ok(Err(answer(cx, 401, json!({"message": "Could not authenticate"}), request_id)?)),
    }
}

pub async fn create(cx: &mut Cx) -> ApiResult<Response> {
    let request_id = new_id(cx.now);
    let service = match service(cx, &request_id).await? {
        Ok(s) => s,
        Err(resp) => return Ok(resp),
    };
    let body = match cx.body(MAX_BODY_BYTES).await {
        Ok(b) => b,
        Err(ApiError::TooLarge { .. }) => return answer(cx, 413, json!({"message": "Request entity too large"}), &request_id),
        Err(e) => return Err(e),
    };
    let raw = raw_text(&body);
    let event = match opsgenie::parse_create(&body) {
        Ok(e) => e,
        Err(e) => {
            reject(&cx.db, cx.now, &service, Vendor::Opsgenie, &e.message, &raw).await?;
            let mut errors = serde_json::Map::new();
            errors.insert(e.field.clone(), json!(e.message));
            return answer(cx, 422, json!({"message": "Request body is not processable. Please check the errors.", "errors": errors}), &request_id);
        }
    };
    // The request id is the event's row in the event log, written with its outcome: what
    // `request_status` reports.
    apply_event(&cx.db, cx.now, &service, Vendor::Opsgenie, &event, &raw, &cx.after, &request_id, crate::app_url(&cx.env).as_deref()).await?;
    answer(cx, 202, json!({"result": "Request will be processed"}), &request_id)
}

/// `POST /v2/alerts/{identifier}/close|acknowledge?identifierType=id|alias`.
pub async fn act(cx: &mut Cx, identifier: &str, action: EventAction) -> ApiResult<Response> {
    let request_id = new_id(cx.now);
    let service = match service(cx, &request_id).await? {
        Ok(s) => s,
        Err(resp) => return Ok(resp),
    };
    let kind = match opsgenie::identifier_type(cx.query("identifierType").as_deref()) {
        Ok(k) => k,
        Err(e) => return answer(cx, 422, json!({"message": e.message}), &request_id),
    };
    let body = cx.body(64 * 1024).await.unwrap_or_default();
    if let Err(e) = opsgenie::parse_action_body(&body) {
        return answer(cx, 422, json!({"message": "Request body is not processable. Please check the errors.", "errors": {"body": e.message}}), &request_id);
    }
    let raw = raw_text(&body);
    let dedup_key = match kind {
        IdentifierType::Alias => Some(identifier.to_string()),
        IdentifierType::Id => cx.db.alert_dedup_key(&service.id, identifier).await?,
        IdentifierType::Tiny => None,
    };
    match dedup_key {
        Some(dedup_key) => {
            // By id: the action applies to that alert only, not to a newer alert that took its
            // alias meanwhile (a close checks the id in its own transaction; an acknowledge
            // compares it with the alert it read and writes only to that one).
            let alert_id = (kind == IdentifierType::Id).then(|| identifier.to_string());
            let event = AlertEvent { action, dedup_key, alert_id, ..Default::default() };
            apply_event(&cx.db, cx.now, &service, Vendor::Opsgenie, &event, &raw, &cx.after, &request_id, crate::app_url(&cx.env).as_deref()).await?;
        }
        None => ignore(&cx.db, cx.now, &service, Vendor::Opsgenie, action, &format!("no open alert of this service has the {} {identifier:?}", kind.as_str()), &raw, &request_id).await?,
    }
    answer(cx, 202, json!({"result": "Request will be processed"}), &request_id)
}

pub async fn request_status(cx: &Cx, id: &str) -> ApiResult<Response> {
    let request_id = new_id(cx.now);
    let service = match service(cx, &request_id).await? {
        Ok(s) => s,
        Err(resp) => return Ok(resp),
    };
    // Requests are rows of the event log (see `create`); a request that was refused (401, 422,
    // 429…) wrote none and is "not found", as in Opsgenie.
    let Some(r) = cx.db.opsgenie_request(&service.id, id).await? else {
        return answer(cx, 404, json!({"message": "Request not found. It might not be processed, yet."}), &request_id);
    };
    let outcome = opsgenie::request_outcome(r.action, r.result);
    let data = json!({
        "success": outcome.success,
        "action": outcome.action,
        "processedAt": views::time(r.received_at).to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "integrationId": service.id,
        "isSuccess": outcome.success,
        "status": outcome.status,
        "alertId": r.alert_id.unwrap_or_default(),
        "alias": r.dedup_key.unwrap_or_default(),
    });
    answer(cx, 200, json!({"data": data}), &request_id)
}
