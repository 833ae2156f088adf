//! Applying normalised alert events (from any vendor) to a service: the domain's dedup and
//! grouping rules decide, `db` writes each outcome in one batch together with the event's log
//! row (and raw payload), so what the integrations panel shows is what happened.

use tocsin_domain::alert::{clip, dedup, AlertEvent, AlertSeverity, DedupDecision, EventAction, EventResult};
use tocsin_domain::api::{Actor, ActorKind};
use tocsin_domain::grouping::{choose_incident, GroupingRule, OpenIncident};
use tocsin_domain::incident::{apply, IncidentAction, Transition};
use tocsin_domain::vendors::Vendor;

use crate::crypto::new_id;
use crate::db::{Db, EventLog, Repeat, ServiceRow, Target, TriggerAlert};
use crate::error::{ApiError, ApiResult};

/// Raw payloads are kept for debugging, cut at this many bytes.
pub const MAX_RAW_BYTES: usize = 16 * 1024;

/// What applying one event did.
#[derive(Debug, Clone)]
pub struct Applied {
    pub result: EventResult,
    pub alert_id: Option<String>,
    pub incident_id: Option<String>,
    pub dedup_key: String,
    pub message: String,
}

enum Hint {
    Check,
    Remember,
    Forget,
}

thread_local! {
    /// (service, dedup key) pairs this isolate last saw firing. Only a hint for choosing the
    /// cheaper batch; the database's guards make every outcome exact whatever it says.
    static OPEN_HINTS: std::cell::RefCell<std::collections::HashSet<String>> = Default::default();
}

fn open_hint(key: &str, op: Hint) -> bool {
    OPEN_HINTS.with(|h| {
        let mut h = h.borrow_mut();
        match op {
            Hint::Check => h.contains(key),
            Hint::Remember => {
                if h.len() >= 50_000 {
                    h.clear();
                }
                h.insert(key.to_string())
            }
            Hint::Forget => h.remove(key),
        }
    })
}

/// Events accepted per integration key per minute unless `EVENTS_PER_MINUTE_PER_KEY` says
/// otherwise. Counted per isolate: a bound against floods, not an exact global quota.
pub const DEFAULT_EVENTS_PER_MINUTE: u32 = 12_000;

thread_local! {
    static WINDOWS: std::cell::RefCell<std::collections::HashMap<String, tocsin_domain::rate_limit::Window>> = Default::default();
}

/// Counts one delivery for `key`; `Err(retry_after_secs)` when the key is over its limit.
pub fn admit(key: &str, limit: u32, n: u32, now: i64) -> Result<(), i64> {
    WINDOWS.with(|w| {
        let mut w = w.borrow_mut();
        if w.len() > 10_000 {
            w.clear();
        }
        let current = w.get(key).copied().unwrap_or_default();
        let (next, refused) = tocsin_domain::rate_limit::admit_n(current, limit, n, now);
        w.insert(key.to_string(), next);
        refused.map_or(Ok(()), Err)
    })
}

pub fn raw_text(body: &[u8]) -> String {
    let cut = body.len().min(MAX_RAW_BYTES);
    String::from_utf8_lossy(&body[..cut]).into_owned()
}

pub fn vendor_actor(service: &ServiceRow, vendor: Vendor) -> Actor {
    Actor { kind: ActorKind::Integration, id: Some(service.id.clone()), name: format!("{} ({})", vendor.display_name(), service.name) }
}

fn actor_json(a: &Actor) -> String {
    serde_json::to_string(a).unwrap_or_default()
}

/// Records a payload that was refused (bad format, bad signature), so admins can see why.
pub async fn reject(db: &Db, now: i64, service: &ServiceRow, vendor: Vendor, reason: &str, raw: &str) -> ApiResult<()> {
    let raw = &tocsin_domain::alert::scrub_raw(raw, &service.integration_key);
    let log = EventLog { id: &new_id(now), org_id: &service.org_id, service_id: &service.id, vendor: vendor.as_str(), action: None, dedup_key: None, raw };
    db.log_event(&log, EventResult::Rejected.as_str(), &clip(reason, 500), None, None, now).await
}

/// Records a valid request that names no alert of the service (Opsgenie's close of an unknown
/// alert id), under `log_id`, as ignored: nothing else changes.
#[allow(clippy::too_many_arguments)]
pub async fn ignore(db: &Db, now: i64, service: &ServiceRow, vendor: Vendor, action: EventAction, reason: &str, raw: &str, log_id: &str) -> ApiResult<()> {
    let raw = &tocsin_domain::alert::scrub_raw(raw, &service.integration_key);
    let log = EventLog { id: log_id, org_id: &service.org_id, service_id: &service.id, vendor: vendor.as_str(), action: Some(action.as_str()), dedup_key: None, raw };
    db.log_event(&log, EventResult::Ignored.as_str(), &clip(reason, 500), None, None, now).await
}

/// `after`: what the event leaves for after the response (a new incident's first escalation step).
/// `app_url`: the app's address when configured (`APP_URL`), for the links of the pages it sends.
/// `log_id`: the id of the event's row in the event log, which is written with its outcome in
/// the same batch (Opsgenie's request id, so that the request's status is read from that row).
#[allow(clippy::too_many_arguments)]
pub async fn apply_event(db: &Db, now: i64, service: &ServiceRow, vendor: Vendor, event: &AlertEvent, raw: &str, after: &crate::effects::Effects, log_id: &str, app_url: Option<&str>) -> ApiResult<Applied> {
    // Stored payloads are shown to every member: never with the key or SNS's capability URLs.
    let raw = &tocsin_domain::alert::scrub_raw(raw, &service.integration_key);
    // What it wrote is delivered after the response: `http::handle` records that for every
    // accepted event (a repeat is a row of the live record too).
    let applied = apply_event_inner(db, now, service, vendor, event, raw, after, log_id, app_url).await?;
    if let (EventResult::Resolved | EventResult::Acknowledged, Some(i)) = (&applied.result, &applied.incident_id) {
        after.settled(i);
    }
    Ok(applied)
}

#[allow(clippy::too_many_arguments)]
async fn apply_event_inner(db: &Db, now: i64, service: &ServiceRow, vendor: Vendor, event: &AlertEvent, raw: &str, after: &crate::effects::Effects, log_id: &str, app_url: Option<&str>) -> ApiResult<Applied> {
    // PagerDuty semantics: a trigger without a dedup key gets a fresh one (returned to the sender).
    let dedup_key = if event.dedup_key.is_empty() { new_id(now) } else { event.dedup_key.clone() };
    let log = EventLog {
        id: log_id,
        org_id: &service.org_id,
        service_id: &service.id,
        vendor: vendor.as_str(),
        action: Some(event.action.as_str()),
        dedup_key: Some(&dedup_key),
        raw,
    };
    let actor = vendor_actor(service, vendor);
    let actor_json = actor_json(&actor);
    match event.action {
        EventAction::Trigger => trigger(db, now, service, vendor, event, &dedup_key, &actor, &actor_json, &log, after, app_url).await,
        EventAction::Resolve => {
            // One batch decides (see `Db::resolve_by_key`); the domain's rule that an incident
            // resolves with its last alert is applied there, under the service's switch.
            let prefix = format!("Alert resolved by {}: ", actor.name);
            let (a_id, i_id) = (new_id(now), new_id(now));
            open_hint(&format!("{}\u{0}{dedup_key}", service.id), Hint::Forget);
            let o = db.resolve_by_key(&service.id, &dedup_key, event.alert_id.as_deref(), event.source_changed_at.map(|t| t.timestamp_millis()), service.auto_resolve != 0, &actor_json, &prefix, (&a_id, &i_id), &log, now).await?;
            let (result, message) = match (o.result.as_str(), o.incident_resolved) {
                ("resolved", true) => (EventResult::Resolved, "alert and incident resolved".to_string()),
                ("resolved", _) => (EventResult::Resolved, "alert resolved; the incident stays open".to_string()),
                // Why, as its log row says (nothing open, or a late copy).
                _ => (EventResult::Ignored, o.message.clone()),
            };
            Ok(Applied { result, alert_id: o.alert_id, incident_id: o.incident_id, dedup_key, message })
        }
        EventAction::Acknowledge => {
            // Named by id: only that alert (a newer one under the same key is not it).
            let open = db.open_alert_with_incident(&service.id, &dedup_key).await?.filter(|a| event.alert_id.as_ref().is_none_or(|id| *id == a.id));
            let done = |result: EventResult, alert: Option<&crate::db::OpenAlertRow>, message: &str| Applied {
                result,
                alert_id: alert.map(|a| a.id.clone()),
                incident_id: alert.map(|a| a.incident_id.clone()),
                dedup_key: dedup_key.clone(),
                message: message.into(),
            };
            match (dedup(event.action, open.is_some()), open) {
                (DedupDecision::AcknowledgeAlert, Some(alert)) => {
                    let message = format!("Acknowledged by {}", actor.name);
                    // The status machine says whether the incident moves (a triggered one does).
                    let changes = matches!(apply(alert.incident_status.parse()?, IncidentAction::Acknowledge), Ok(Transition::Changed { .. }));
                    let t_id = new_id(now);
                    let moved = changes && db.acknowledge_from_source(&service.org_id, &alert, &actor_json, &t_id, &message, &log, now).await?;
                    if !changes {
                        db.log_event(&log, EventResult::Acknowledged.as_str(), "already acknowledged", Some(&alert.id), Some(&alert.incident_id), now).await?;
                    }
                    Ok(done(EventResult::Acknowledged, Some(&alert), if moved { "incident acknowledged" } else { "alert acknowledged" }))
                }
                _ => {
                    let msg = format!("no open alert has this dedup key; nothing to {}", event.action.as_str());
                    db.log_event(&log, EventResult::Ignored.as_str(), &msg, None, None, now).await?;
                    Ok(done(EventResult::Ignored, None, &msg))
                }
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn trigger(
    db: &Db,
    now: i64,
    service: &ServiceRow,
    vendor: Vendor,
    event: &AlertEvent,
    dedup_key: &str,
    actor: &Actor,
    actor_json: &str,
    log: &EventLog<'_>,
    after: &crate::effects::Effects,
    app_url: Option<&str>,
) -> ApiResult<Applied> {
    let rule: GroupingRule = serde_json::from_str(&service.grouping).unwrap_or_default();
    let severity = event.severity.unwrap_or(AlertSeverity::Error);
    let details = serde_json::to_string(&event.details)?;
    let links = serde_json::to_string(&event.links)?;
    let summary = if event.summary.is_empty() { format!("Alert {dedup_key}") } else { event.summary.clone() };
    let raise_message = format!("Severity raised to {} by {}: a repeat of \"{}\" came as {severity}", severity.incident_severity().as_str(), actor.name, clip(&summary, 200));
    let raise_id = new_id(now);
    let repeat = Repeat {
        dedup_key,
        summary: &summary,
        details: &details,
        links: &links,
        severity: severity.as_str(),
        incident_severity: severity.incident_severity().as_str(),
        timeline_id: &raise_id,
        actor: actor_json,
        message: &raise_message,
        source_changed_at: event.source_changed_at.map(|t| t.timestamp_millis()),
    };
    // Repeats are the bulk of traffic: when this isolate saw the alert open, try the short
    // repeat batch first (the database still decides; a miss falls through to the full batch).
    let hint = format!("{}\u{0}{dedup_key}", service.id);
    if open_hint(&hint, Hint::Check) {
        if let Some(f) = db.count_repeat(&service.org_id, &service.id, &repeat, log, now).await? {
            return Ok(Applied {
                result: EventResult::Deduplicated,
                alert_id: Some(f.id),
                incident_id: Some(f.incident_id),
                dedup_key: dedup_key.to_string(),
                message: "repeat counted on the open alert".into(),
            });
        }
        open_hint(&hint, Hint::Forget);
    }
    for _ in 0..3 {
        let open: Vec<OpenIncident> = if rule == GroupingRule::None {
            Vec::new()
        } else {
            db.open_incidents_of(&service.id, rule.group_value(event).as_deref(), 50)
                .await?
                .into_iter()
                .map(|r| OpenIncident { id: r.id, created_at_ms: r.created_at, group_value: r.group_value })
                .collect()
        };
        let chosen = choose_incident(&rule, event, &open, now);
        let (alert_id, incident_id, timeline_id) = (new_id(now), new_id(now), new_id(now));
        let alert = TriggerAlert {
            alert_id: &alert_id,
            dedup_key,
            summary: &summary,
            severity: severity.as_str(),
            incident_severity: severity.incident_severity().as_str(),
            source: event.source.as_deref(),
            details: &details,
            links: &links,
            started_at: event.started_at.map(|t| t.timestamp_millis()),
            source_changed_at: event.source_changed_at.map(|t| t.timestamp_millis()),
            vendor: vendor.as_str(),
        };
        let title = clip(&summary, 255);
        let opened_msg = format!("Triggered by {}: {}", actor.name, clip(&summary, 200));
        let grouped_msg = format!("Alert added by {}: {}", actor.name, clip(&summary, 200));
        let group_value = rule.group_value(event);
        let guard = tocsin_domain::grouping::open_guard(&rule, event, now);
        let target = match chosen {
            None => Target::NewIncident {
                id: &incident_id,
                title: &title,
                group_value: group_value.as_deref(),
                guard: guard.as_ref(),
                timeline_id: &timeline_id,
                actor: actor_json,
                message: &opened_msg,
            },
            Some(i) => Target::Existing { id: &i.id, timeline_id: &timeline_id, actor: actor_json, message: &grouped_msg },
        };
        // A new incident of a service with a policy: the batch also reads what its first step needs.
        let escalates = chosen.is_none() && service.escalation_policy_id.is_some();
        let since = escalates.then(|| crate::escalate::context_since(now));
        let triggered = db.apply_trigger(&service.org_id, &service.id, &alert, &target, &repeat, log, since, now).await?;
        if let Some(f) = triggered.firing {
            open_hint(&hint, Hint::Remember);
            // The batch started the new incident's escalation; its first step runs now.
            if f.mine == 1 && escalates {
                if crate::faults::at("after_trigger") {
                    return Err(ApiError::Internal("injected fault between the trigger batch and the first escalation step (TOCSIN_TEST_FAULT)".into()));
                }
                after.escalation_due();
                let stepped = match triggered.escalation {
                    Some((e, context, contacts)) => {
                        let reach = crate::escalate::Reach { contacts: &contacts, app_url };
                        crate::escalate::advance_in(db, e, context, now, crate::escalate::Sender::Request, Some(reach)).await?
                    }
                    None => crate::escalate::run_incident(db, &f.incident_id, now).await?,
                };
                after.paged(stepped);
            }
            let (result, message) = match (f.mine == 1, chosen.is_some()) {
                (true, false) => (EventResult::Opened, "incident opened"),
                (true, true) => (EventResult::Grouped, "alert added to an open incident"),
                (false, _) => (EventResult::Deduplicated, "repeat counted on the open alert"),
            };
            return Ok(Applied { result, alert_id: Some(f.id), incident_id: Some(f.incident_id), dedup_key: dedup_key.to_string(), message: message.into() });
        }
        if let Some(copy) = triggered.stale {
            return Ok(Applied {
                result: EventResult::Ignored,
                alert_id: copy.id,
                incident_id: copy.incident_id,
                dedup_key: dedup_key.to_string(),
                message: "a late copy: the source resolved this alert after this firing began".into(),
            });
        }
        // The incident chosen for grouping was resolved meanwhile, or another alert of the group
        // opened one first: decide again.
    }
    // A 5xx, which every sender retries (Alertmanager, Grafana and Datadog drop a 4xx for good).
    Err(ApiError::Busy("the service's incidents kept changing while the alert was processed; retry it".into()))
}
