//! Alert webhooks from monitoring tools, keyed by a service's integration key.
//! `POST /webhooks/generic/{key}`: Tocsin's own JSON format (see `tocsin_domain::alert`).

use tocsin_domain::alert::{dedup, parse_generic, AlertEvent, DedupDecision, MAX_BODY_BYTES};
use tocsin_domain::api::AlertAccepted;
use tocsin_domain::ids::{AlertId, IncidentId};
use worker::Response;

use super::{json, views, Cx};
use crate::crypto::new_id;
use crate::db::{is_unique_violation, NewAlert, NewIncident, NewTimeline, ServiceRow};
use crate::error::{ApiError, ApiResult};

pub async fn generic(cx: &mut Cx, key: &str) -> ApiResult<Response> {
    let body = cx.body(MAX_BODY_BYTES).await?;
    let service = cx.db.service_by_key(key).await?.ok_or(ApiError::NotFound("integration key"))?;
    let event = parse_generic(&body)?;
    let accepted = ingest(cx, &service, &event).await?;
    json(202, &accepted)
}

/// Applies one normalised event to a service: the domain's dedup rule decides, the database
/// enforces it (a unique index on firing alerts), and a lost race is retried as a repeat.
pub async fn ingest(cx: &Cx, service: &ServiceRow, event: &AlertEvent) -> ApiResult<AlertAccepted> {
    let actor = views::actor_json(&views::integration_actor(service, event.source.as_deref()));
    let details = serde_json::to_string(&event.details)?;
    for _ in 0..3 {
        let open = cx.db.open_alert(&service.id, &event.dedup_key).await?;
        let answer = |alert_id: Option<&str>, incident_id: Option<&str>, status: &str, message: &str| AlertAccepted {
            status: status.into(),
            alert_id: alert_id.map(|a| AlertId(a.into())),
            incident_id: incident_id.map(|i| IncidentId(i.into())),
            dedup_key: event.dedup_key.clone(),
            message: message.into(),
        };
        match (dedup(event.status, open.is_some()), open) {
            (DedupDecision::OpenIncident, _) => {
                let Some(severity) = event.severity else {
                    return Err(ApiError::field("severity", "is required for a firing alert"));
                };
                let (incident_id, alert_id) = (new_id(cx.now), new_id(cx.now));
                let incident = NewIncident {
                    id: &incident_id,
                    org_id: &service.org_id,
                    title: &truncate(&event.summary, 255),
                    severity: severity.incident_severity().as_str(),
                    service_id: Some(&service.id),
                };
                let alert = NewAlert {
                    id: &alert_id,
                    service_id: &service.id,
                    dedup_key: &event.dedup_key,
                    summary: &event.summary,
                    severity: severity.as_str(),
                    source: event.source.as_deref(),
                    details: &details,
                };
                let message = format!("Triggered by {}: {}", views::integration_actor(service, event.source.as_deref()).name, truncate(&event.summary, 200));
                let t = NewTimeline { id: &new_id(cx.now), kind: "incident.triggered", actor: &actor, message: &message };
                match cx.db.open_incident_with_alert(&incident, &alert, &t, cx.now).await {
                    Ok(()) => return Ok(answer(Some(&alert_id), Some(&incident_id), "accepted", "incident opened")),
                    Err(e) if is_unique_violation(&e) => continue, // another delivery opened it first
                    Err(e) => return Err(e),
                }
            }
            (DedupDecision::CountRepeat, Some(alert)) => {
                if cx.db.count_alert_repeat(&alert.id, &event.summary, &details, cx.now).await? {
                    return Ok(answer(Some(&alert.id), Some(&alert.incident_id), "accepted", "repeat counted on the open alert"));
                }
            }
            (DedupDecision::ResolveAlert, Some(alert)) => {
                let alert_msg = format!("Alert resolved by source: {}", truncate(&alert.summary, 200));
                let alert_entry = NewTimeline { id: &new_id(cx.now), kind: "alert.resolved", actor: &actor, message: &alert_msg };
                let inc_entry = NewTimeline {
                    id: &new_id(cx.now),
                    kind: "incident.resolved",
                    actor: &actor,
                    message: "Resolved automatically: all of its alerts have resolved",
                };
                let (alert_done, incident_done) = cx.db.resolve_alert(&service.org_id, &alert, &alert_entry, &inc_entry, cx.now).await?;
                if alert_done {
                    let msg = if incident_done { "alert and incident resolved" } else { "alert resolved; the incident has other firing alerts" };
                    return Ok(answer(Some(&alert.id), Some(&alert.incident_id), "accepted", msg));
                }
            }
            (DedupDecision::NothingToResolve, _) => {
                return Ok(answer(None, None, "ignored", "no firing alert has this dedup_key; nothing to resolve"));
            }
            (DedupDecision::CountRepeat | DedupDecision::ResolveAlert, None) => unreachable!("dedup() saw an open alert"),
        }
    }
    Err(ApiError::Conflict("the alert kept changing while we processed the event; retry it".into()))
}

fn truncate(s: &str, max_chars: usize) -> String {
    if s.chars().count() <= max_chars {
        s.to_string()
    } else {
        s.chars().take(max_chars - 1).collect::<String>() + "…"
    }
}
