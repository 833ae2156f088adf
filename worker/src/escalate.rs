//! Running escalations: the domain's `next_step` decides, this writes each decision (timeline
//! and outbox) idempotently. Called right after an incident opens, by "escalate now", and by the
//! cron sweep with the event's scheduled time as "now" (a late step is decided as of then: see
//! `next_step`).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use tocsin_domain::api::{Actor, ActorKind};
use tocsin_domain::escalation::{next_step, step_message, Decision, Policy, Position};
use tocsin_domain::ids::UserId;
use tocsin_domain::schedule::{Layer, Override, Schedule};
use tocsin_domain::status_page::uptime::tz_or_utc;

use crate::crypto::new_id;
use crate::db::{Claimed, Contacts, Db, EscalationContext, EscalationRow, NewNotification, OutboxPageRow, OverrideRow, PendingPages, ScheduleRow, StepPages, SubscriptionRow};
use crate::error::ApiResult;

fn time(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

/// The organisation's schedules with their overrides, as the domain sees them, and their names.
pub async fn load_schedules(db: &Db, org_id: &str, now: i64) -> ApiResult<HashMap<String, (String, Schedule)>> {
    let overrides = db.overrides(org_id, now - 86_400_000).await?;
    Ok(schedules_from(db.schedules(org_id).await?, &overrides))
}

fn schedules_from(rows: Vec<ScheduleRow>, overrides: &[OverrideRow]) -> HashMap<String, (String, Schedule)> {
    rows.into_iter()
        .map(|s| {
            let layers: Vec<Layer> = serde_json::from_str(&s.layers).unwrap_or_default();
            let ovr = overrides
                .iter()
                .filter(|o| o.schedule_id == s.id)
                .map(|o| Override { user: UserId(o.user_id.clone()), start: time(o.starts_at), end: time(o.ends_at) })
                .collect();
            (s.id.clone(), (s.name.clone(), Schedule { time_zone: tz_or_utc(&s.time_zone), layers, overrides: ovr }))
        })
        .collect()
}

/// What running an escalation wrote: how many steps; the deliveries of the pages its batches
/// dispatched, claimed (a request sends them right after its response, `deliver::pages_now`);
/// and the ids of the pages they queued but left pending (the request dispatches those after
/// its response), with those pages as the step's own batch read them when one step left them
/// all (several steps: read again by id after the response, so one read sees every page).
#[derive(Debug, Default)]
pub struct Stepped {
    pub steps: usize,
    pub pages: Vec<String>,
    pub read: Option<PendingPages>,
    pub claimed: Claimed,
}

/// What a request that runs a step knows of the people it may page: their contact preferences
/// and devices, read by the batch that opened the incident, and the app's address (a personal
/// webhook's link). With it, the step's batch dispatches the pages it writes: their push
/// requests leave right after the response, with no round trip between.
#[derive(Clone, Copy)]
pub struct Reach<'a> {
    pub contacts: &'a Contacts,
    pub app_url: Option<&'a str>,
}

/// Who sends the pages a step queues: the request that ran the step, right after its response
/// (so the step's own batch reads them too: [`Stepped::read`]), or the pump that runs after the
/// cron and the escalation clock (which reads pending pages itself).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sender {
    Request,
    Pump,
}

/// Runs every step of one escalation that is due at `now`.
pub async fn advance(db: &Db, e: EscalationRow, now: i64, sender: Sender) -> ApiResult<Stepped> {
    if serde_json::from_str::<Policy>(&e.policy).is_err() {
        return Ok(Stepped::default());
    }
    // One round trip for the schedules, overrides and people (a page waits for it).
    let context = db.escalation_context(&e.org_id, context_since(now)).await?;
    advance_in(db, e, context, now, sender, None).await
}

/// Overrides that ended before this are no longer read for a step.
pub fn context_since(now: i64) -> i64 {
    now - 86_400_000
}

/// [`advance`] with the organisation's schedules, overrides and people already read (by the
/// batch that opened the incident: a new incident's first page waits for no read of its own),
/// and, with `reach` (a request), its pages dispatched by the batch that writes them.
pub async fn advance_in(db: &Db, mut e: EscalationRow, (schedule_rows, overrides, people): EscalationContext, now: i64, sender: Sender, reach: Option<Reach<'_>>) -> ApiResult<Stepped> {
    let Ok(policy) = serde_json::from_str::<Policy>(&e.policy) else { return Ok(Stepped::default()) };
    let schedules = schedules_from(schedule_rows, &overrides);
    // Deactivated people stay on schedules (named, flagged uncovered) but are never paged.
    let active: std::collections::HashSet<String> = people.iter().filter(|p| p.active != 0).map(|p| p.id.clone()).collect();
    let names: HashMap<String, String> = people.into_iter().map(|p| (p.id, p.name)).collect();
    let status = e.status.parse().unwrap_or(tocsin_domain::incident::IncidentStatus::Triggered);
    let system = serde_json::to_string(&Actor { kind: ActorKind::System, id: None, name: "Escalation".into() })?;
    let mut written = Stepped::default();
    // Bounded: a policy has at most 10 passes of its levels.
    for _ in 0..200 {
        let pos = e.next_at.map(|at| Position { cycle: e.cycle as u32, level: e.level as usize, due_at: time(at) });
        match next_step(&policy, status, pos, |id| schedules.get(id).map(|(_, s)| s), |u| active.contains(u.as_str()), time(now)) {
            Decision::Wait { .. } => break,
            Decision::Stop(_) => {
                if e.next_at.is_some() {
                    db.record_step(&e, None, None, &[], StepPages::Leave, now).await?;
                }
                break;
            }
            Decision::Notify(step) => {
                let level = step.position.level + 1;
                let message = step_message(
                    &step,
                    |u| names.get(u.as_str()).cloned().unwrap_or_else(|| u.to_string()),
                    |s| schedules.get(s).map(|(n, _)| n.clone()).unwrap_or_else(|| s.to_string()),
                );
                let pages: Vec<NewNotification<'_>> = step
                    .pages
                    .iter()
                    .map(|p| NewNotification {
                        id: new_id(now),
                        user_id: p.user.as_str(),
                        reason: match &p.via_schedule {
                            Some(s) => format!("level {level}: on call in {}", schedules.get(s).map(|(n, _)| n.as_str()).unwrap_or(s)),
                            None => format!("level {level}"),
                        },
                    })
                    .collect();
                let next = step.next.map(|n| (i64::from(n.cycle), n.level as i64, n.due_at.timestamp_millis()));
                let t_id = new_id(now);
                // Dispatched in the step's batch when the request knows whom it pages, and early
                // in its life: what it claims is sent after its response, within the lease.
                let claimed_at = worker::Date::now().as_millis() as i64;
                let young = tocsin_domain::notification::may_claim_before_response(now, claimed_at);
                let mut reach = reach.filter(|r| young && sender == Sender::Request && pages.iter().all(|p| r.contacts.people.contains(p.user_id)));
                let rows: Vec<OutboxPageRow> = match reach {
                    Some(_) => pages.iter().map(|p| page_row(&e, p, now)).collect(),
                    None => Vec::new(),
                };
                let mut planned = Vec::new();
                if let Some(r) = reach {
                    for row in &rows {
                        let devices: Vec<&SubscriptionRow> = r.contacts.devices.iter().filter(|d| d.user_id == row.user_id).collect();
                        match crate::deliver::plan_page(db, row, r.contacts.preferences.get(&row.user_id), &devices, r.app_url, now).await {
                            Ok(p) => planned.push(p),
                            // (The organisation's keys would not open, say.) The step is written
                            // all the same; its pages are dispatched after the response, as before.
                            Err(err) => {
                                worker::console_warn!("escalation: pages left to dispatch after the response: {err}");
                                reach = None;
                                break;
                            }
                        }
                    }
                }
                let then = match (sender, reach) {
                    (Sender::Pump, _) => StepPages::Leave,
                    (Sender::Request, Some(_)) => StepPages::Dispatch { pages: &planned, claimed_at, lease_ms: crate::deliver::LEASE_MS },
                    (Sender::Request, None) => StepPages::Read,
                };
                let Some(w) = db.record_step(&e, next, Some((&t_id, &system, &message)), &pages, then, now).await? else {
                    break; // another runner took this step
                };
                written.steps += 1;
                written.claimed.extend(w.claimed);
                let left: Vec<String> = pages.into_iter().map(|p| p.id).filter(|id| !w.dispatched.contains(id)).collect();
                if !left.is_empty() && sender == Sender::Request {
                    written.read = written.pages.is_empty().then_some(w.read);
                }
                written.pages.extend(left);
                match next {
                    Some((c, l, at)) => {
                        e.cycle = c;
                        e.level = l;
                        e.next_at = Some(at);
                    }
                    None => break,
                }
            }
        }
    }
    Ok(written)
}

/// A page as the outbox will hold it once the step's batch wrote it (what dispatching it reads).
fn page_row(e: &EscalationRow, p: &NewNotification<'_>, now: i64) -> OutboxPageRow {
    OutboxPageRow {
        id: p.id.clone(),
        org_id: e.org_id.clone(),
        incident_id: e.incident_id.clone(),
        user_id: p.user_id.to_string(),
        reason: p.reason.clone(),
        created_at: now,
        repeats: 0,
        next_repeat_at: None,
        number: e.number,
        title: e.title.clone(),
        status: e.status.clone(),
        severity: e.severity.clone(),
        service_name: e.service_name.clone(),
    }
}

/// The cron sweep: acknowledgements that lapsed go back to triggered (a new round of escalation),
/// then every escalation with a due step runs, in bounded batches.
pub async fn run_due(db: &Db, now: i64) -> ApiResult<usize> {
    let mut total = 0;
    let system = serde_json::to_string(&Actor { kind: ActorKind::System, id: None, name: "Escalation".into() })?;
    for lapsed in db.lapsed_acknowledgements(now, 100).await? {
        let due = tocsin_domain::escalation::acknowledgement_expires(time(lapsed.acknowledged_at), u32::try_from(lapsed.timeout).ok());
        if due.is_some_and(|d| d <= time(now)) {
            let message = format!("Acknowledgement timed out after {} minutes: back to triggered, escalating again", lapsed.timeout);
            db.unacknowledge(&lapsed.org_id, &lapsed.incident_id, Some(lapsed.acknowledged_at), &new_id(now), &system, &message, now).await?;
        }
    }
    // An incident stored without its escalation (the request failed between the two writes,
    // and a retried delivery is deduplicated, so nothing else would start it) starts here.
    for (incident_id, service_id) in db.incidents_without_escalation(now - 15 * 60_000, 100).await? {
        if db.start_escalation(&incident_id, &service_id, now).await? {
            worker::console_warn!("escalation started late by the sweep for incident {incident_id}");
        }
    }
    for e in db.due_escalations(now, 100).await? {
        total += advance(db, e, now, Sender::Pump).await?.steps;
    }
    Ok(total)
}

/// Right after an incident opens (or "escalate now"), by the request that did it.
pub async fn run_incident(db: &Db, incident_id: &str, now: i64) -> ApiResult<Stepped> {
    match db.escalation(incident_id).await? {
        Some(e) => advance(db, e, now, Sender::Request).await,
        None => Ok(Stepped::default()),
    }
}
