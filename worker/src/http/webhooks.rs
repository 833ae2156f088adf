//! Alert webhooks from monitoring tools: `POST /webhooks/{vendor}/{integration_key}`.
//! Authenticity is checked per vendor (HMAC for Grafana and Sentry, a shared header for
//! Datadog, SNS signatures for CloudWatch); the payload is parsed by the vendor's domain module
//! and every alert in it is applied by `ingest`.

use tocsin_domain::alert::{AlertEvent, EventResult, MAX_BODY_BYTES};
use tocsin_domain::api::{AlertAccepted, AlertsAccepted};
use tocsin_domain::ids::{AlertId, IncidentId};
use tocsin_domain::vendors::signature::constant_time_eq;
use tocsin_domain::vendors::{self, cloudwatch, datadog, grafana, replay, sentry, Vendor};
use worker::Response;

use super::{json, Cx};
use crate::crypto::new_id;
use crate::db::ServiceRow;
use crate::error::{ApiError, ApiResult};
use crate::ingest::{apply_event, raw_text, reject, Applied};
use crate::outbound;

/// Why a sender the service does not accept is refused.
pub const NOT_ALLOWED: &str = "this service does not accept this sender (a webhook secret is set, or its allowed_senders do not list it)";

pub fn accepted(a: &Applied) -> AlertAccepted {
    AlertAccepted {
        status: if a.result == EventResult::Ignored { "ignored" } else { "accepted" }.into(),
        result: a.result.as_str().into(),
        alert_id: a.alert_id.clone().map(AlertId),
        incident_id: a.incident_id.clone().map(IncidentId),
        dedup_key: a.dedup_key.clone(),
        message: a.message.clone(),
    }
}

pub async fn receive(cx: &mut Cx, vendor: &str, key: &str) -> ApiResult<Response> {
    let vendor: Vendor = vendor
        .parse()
        .ok()
        .filter(|v| Vendor::WEBHOOKS.contains(v))
        .ok_or(ApiError::NotFound("integration type (use generic, alertmanager, grafana, datadog, cloudwatch or sentry)"))?;
    let body = cx.body(MAX_BODY_BYTES).await?;
    let service = cx.db.service_by_key(key, cx.now).await?.ok_or(ApiError::NotFound("integration key"))?;
    cx.admit_event(key).map_err(|secs| ApiError::RateLimited { retry_after_secs: secs })?;
    let raw = raw_text(&body);
    if !service.accepts(vendor) {
        reject(&cx.db, cx.now, &service, vendor, NOT_ALLOWED, &raw).await?;
        return Err(ApiError::Forbidden(NOT_ALLOWED));
    }
    if let Err(reason) = authentic(cx, &service, vendor, &body) {
        reject(&cx.db, cx.now, &service, vendor, reason, &raw).await?;
        return Err(ApiError::Unauthenticated(reason));
    }
    // Senders that number their deliveries get the first answer again on a retry.
    let delivery_id = match vendor {
        Vendor::Sentry => cx.header(sentry::REQUEST_ID_HEADER).filter(|d| !d.is_empty() && d.len() <= 200),
        _ => None,
    };
    if let Some(id) = &delivery_id {
        if let Some(stored) = cx.db.delivery(&service.id, id).await? {
            let mut resp = Response::ok(stored)?.with_status(202);
            resp.headers_mut().set("Content-Type", "application/json")?;
            return Ok(resp);
        }
    }
    let events = match parse(cx, &service, vendor, &body).await {
        Ok(Parsed::Events(events)) => events,
        Ok(Parsed::Answer(resp)) => return Ok(resp),
        Err(e) => {
            reject(&cx.db, cx.now, &service, vendor, &e.to_string(), &raw).await?;
            return Err(e);
        }
    };
    // Firing alerts first; a flood in one request is capped (the firing ones kept, the rest
    // logged as dropped, answered 202 so the group's later notifications still arrive), and
    // every alert counts against the key's limit.
    let (events, dropped) = tocsin_domain::alert::applying_order(events);
    if events.len() > 1 {
        cx.admit_events(key, events.len() as u32 - 1).map_err(|secs| ApiError::RateLimited { retry_after_secs: secs })?;
    }
    let mut applied = Vec::with_capacity(events.len());
    for e in &events {
        let a = apply_event(&cx.db, cx.now, &service, vendor, e, &raw, &cx.after, &new_id(cx.now), crate::app_url(&cx.env).as_deref()).await?;
        // What it wrote is delivered even if a later alert of the payload fails.
        cx.after.deliver();
        applied.push(accepted(&a));
    }
    // Logged after the applied ones, so the panel's newest row says what was dropped.
    if dropped > 0 {
        let msg = format!(
            "{} alerts in one payload: {} applied (firing ones first), {dropped} dropped (Alertmanager: set max_alerts: {}; Grafana: Max alerts)",
            events.len() + dropped,
            events.len(),
            tocsin_domain::alert::MAX_ALERTS_PER_PAYLOAD
        );
        reject(&cx.db, cx.now, &service, vendor, &msg, &raw).await?;
    }
    let body = match (vendor, applied.len()) {
        (Vendor::Generic | Vendor::Datadog | Vendor::Sentry, 1) => serde_json::to_string(&applied[0])?,
        _ => serde_json::to_string(&AlertsAccepted { status: "accepted".into(), alerts: applied, dropped: (dropped > 0).then_some(dropped as u32) })?,
    };
    if let Some(id) = &delivery_id {
        cx.db.record_delivery(&service.id, id, &body, cx.now).await?;
    }
    let mut resp = Response::ok(body)?.with_status(202);
    resp.headers_mut().set("Content-Type", "application/json")?;
    Ok(resp)
}

/// Checks that a delivery comes from the configured sender. SNS is always checked (in `parse`);
/// the others when the service has a webhook secret.
fn authentic(cx: &Cx, service: &ServiceRow, vendor: Vendor, body: &[u8]) -> Result<(), &'static str> {
    let Some(stored) = service.webhook_secret.as_deref().filter(|s| !s.is_empty()) else { return Ok(()) };
    // Sealed at rest; one stored by an earlier version is read as it is until the cron seals it.
    let opened = if tocsin_domain::sealed::is_sealed(stored) { crate::crypto::open(stored, &super::services::secret_place(&service.id)).ok() } else { Some(stored.to_string()) };
    let Some(secret) = opened else {
        worker::console_error!("the webhook secret of service {} cannot be opened (TOCSIN_SECRET_KEY changed or missing?)", service.id);
        return Err("the service's webhook secret cannot be read on the server; an admin should set it again");
    };
    let secret = secret.as_str();
    // Replays: a signed send time more than five minutes away is refused.
    let stale = |header: &str| cx.header(header).is_some_and(|t| !replay::fresh_unix(&t, cx.now));
    if matches!(vendor, Vendor::Grafana) && stale(grafana::TIMESTAMP_HEADER) || matches!(vendor, Vendor::Sentry) && stale(sentry::TIMESTAMP_HEADER) {
        return Err("the delivery's timestamp is more than 5 minutes from now (a replay?)");
    }
    let ok = match vendor {
        Vendor::Grafana => grafana::verify(
            secret,
            body,
            cx.header(grafana::SIGNATURE_HEADER).as_deref(),
            cx.header(grafana::TIMESTAMP_HEADER).as_deref(),
        ),
        Vendor::Sentry => sentry::verify(secret, body, cx.header(sentry::SIGNATURE_HEADER).as_deref()),
        Vendor::Cloudwatch => true,
        // Datadog, Alertmanager and generic senders present the secret itself, as a header or bearer token.
        _ => {
            let given = cx
                .header(datadog::SECRET_HEADER)
                .or_else(|| cx.header("Authorization").and_then(|h| h.strip_prefix("Bearer ").map(str::to_string)))
                .unwrap_or_default();
            constant_time_eq(given.trim().as_bytes(), secret.as_bytes())
        }
    };
    if ok {
        Ok(())
    } else {
        Err(match vendor {
            Vendor::Grafana | Vendor::Sentry => "the webhook signature is missing or does not match the service's webhook secret",
            _ => "the webhook secret is missing or wrong",
        })
    }
}

enum Parsed {
    Events(Vec<AlertEvent>),
    /// A delivery answered without alerts (SNS subscription handshakes).
    Answer(Response),
}

async fn parse(cx: &Cx, service: &ServiceRow, vendor: Vendor, body: &[u8]) -> ApiResult<Parsed> {
    match vendor {
        Vendor::Sentry => {
            let resource = cx.header(sentry::RESOURCE_HEADER);
            Ok(Parsed::Events(sentry::parse(body, resource.as_deref())?.into_iter().collect()))
        }
        Vendor::Cloudwatch => sns(cx, service, body).await,
        other => Ok(Parsed::Events(vendors::parse_webhook(other, body)?)),
    }
}

/// SNS: verify the signature with the certificate from an SNS host, then handle the handshake
/// or hand the alarm on.
async fn sns(cx: &Cx, service: &ServiceRow, body: &[u8]) -> ApiResult<Parsed> {
    let msg = cloudwatch::parse(body)?;
    let env = msg.envelope();
    let test_prefix = cx.var("SNS_TEST_URL_PREFIX");
    // Cheap refusals first: no certificate is fetched for a version SNS does not use, or for a
    // topic this service is not pinned to.
    if !cloudwatch::supported_signature_version(&env.signature_version) {
        return Err(ApiError::Unauthenticated("unsupported SNS SignatureVersion (1 or 2)"));
    }
    if !replay::fresh_rfc3339(&env.timestamp, cx.now) {
        return Err(ApiError::Unauthenticated("the SNS message's Timestamp is more than 5 minutes from now (a replay?)"));
    }
    let subs = cx.db.sns_subscriptions(&service.id).await?;
    let confirmed: Vec<&str> = subs.iter().filter(|s| s.status == "confirmed").map(|s| s.topic_arn.as_str()).collect();
    let pending: Vec<&str> = subs.iter().filter(|s| s.status == "pending").map(|s| s.topic_arn.as_str()).collect();
    let is_confirmation = matches!(msg, cloudwatch::SnsMessage::SubscriptionConfirmation { .. });
    let known = subs.iter().any(|s| s.topic_arn == env.topic_arn);
    let unsubscribe = matches!(msg, cloudwatch::SnsMessage::UnsubscribeConfirmation { .. });
    if !(cloudwatch::topic_allowed(is_confirmation, &env.topic_arn, service.sns_topic_arn.as_deref(), &confirmed, &pending) || unsubscribe && known) {
        return Err(ApiError::Forbidden(if service.sns_topic_arn.is_some() {
            "this SNS topic is not the one this service expects (its sns_topic_arn setting)"
        } else {
            "this SNS topic is not the one confirmed for this service"
        }));
    }
    if !cloudwatch::cert_url_allowed(&env.signing_cert_url, test_prefix.as_deref()) {
        return Err(ApiError::Unauthenticated("SigningCertURL is not an Amazon SNS certificate URL"));
    }
    let pem = outbound::sns_certificate(&env.signing_cert_url).await?;
    if let Err(e) = cloudwatch::verify(env, &pem) {
        return Err(ApiError::Unauthenticated(match e {
            cloudwatch::SignatureError::Mismatch => "the SNS signature does not match the message",
            _ => "the SNS signature could not be checked",
        }));
    }
    match msg {
        cloudwatch::SnsMessage::Notification { events, envelope } => {
            // Confirmed by hand: this verified notification pins the topic.
            if confirmed.is_empty() {
                cx.db.set_sns_status(&service.id, &envelope.topic_arn, "confirmed", cx.now).await?;
            }
            Ok(Parsed::Events(events))
        }
        cloudwatch::SnsMessage::SubscriptionConfirmation { envelope } => {
            let url = envelope.subscribe_url.clone().unwrap_or_default();
            cx.db.upsert_sns_subscription(&service.id, &envelope.topic_arn, &url, "pending", cx.now).await?;
            let confirmed = cloudwatch::subscribe_url_allowed(&url, test_prefix.as_deref()) && outbound::visit(&url).await;
            if confirmed {
                cx.db.set_sns_status(&service.id, &envelope.topic_arn, "confirmed", cx.now).await?;
            }
            let answer = serde_json::json!({
                "status": if confirmed { "confirmed" } else { "pending" },
                "topic_arn": envelope.topic_arn,
                "message": if confirmed { "subscription confirmed" } else { "subscription recorded; confirm it from the service's integrations panel" },
            });
            Ok(Parsed::Answer(json(200, &answer)?))
        }
        cloudwatch::SnsMessage::UnsubscribeConfirmation { envelope } => {
            cx.db.set_sns_status(&service.id, &envelope.topic_arn, "unsubscribed", cx.now).await?;
            Ok(Parsed::Answer(json(200, &serde_json::json!({"status": "unsubscribed"}))?))
        }
    }
}
