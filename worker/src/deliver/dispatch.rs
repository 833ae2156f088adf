//! Dispatching: pending pages, their repeats and recorded events (timeline rows, public
//! updates) become deliveries, written claimed when they are to be sent at once.

use super::*;
use super::send::send_with;

fn subject(p: &OutboxPageRow) -> PageSubject<'_> {
    PageSubject {
        incident_id: &p.incident_id,
        number: p.number,
        title: &p.title,
        severity: p.severity.parse().unwrap_or(Severity::Sev1),
        service: p.service_name.as_deref(),
    }
}

/// The deliveries one page (or one repeat of it) makes: each push device of the person, and
/// their personal webhook.
#[allow(clippy::too_many_arguments)]
async fn page_deliveries<'a>(
    db: &Db,
    p: &'a OutboxPageRow,
    prefs: Option<&'a PreferencesRow>,
    devices: &[&SubscriptionRow],
    source: &str,
    repeat: bool,
    app_url_var: Option<&str>,
    now: i64,
) -> ApiResult<Vec<NewDelivery<'a>>> {
    let keys = keys(db, &p.org_id).await?;
    let mut out = Vec::new();
    let push_on = prefs.map(|x| x.push != 0).unwrap_or(true);
    if let (true, Some(_)) = (push_on, &keys) {
        // Queued without its action token: a usable token never rests in D1. The sender mints
        // one for the delivery's person and incident when it sends (see `with_action_token`).
        let payload = serde_json::to_string(&notification::page_payload(&subject(p), None, &p.reason, repeat))?;
        for s in devices {
            out.push(NewDelivery {
                id: new_id(now),
                org_id: &p.org_id,
                channel: "push",
                target_id: s.id.clone(),
                user_id: Some(&p.user_id),
                incident_id: Some(&p.incident_id),
                source: source.to_string(),
                event: "page",
                payload: payload.clone(),
            });
        }
    }
    if let Some(kind) = prefs.and_then(|x| x.webhook_kind.as_deref()).and_then(|k| k.parse::<DestinationKind>().ok()) {
        let e = OutboundEvent {
            id: source.to_string(),
            kind: Some(EventKind::IncidentEscalated),
            at: time(now),
            message: format!("You are paged ({}){}", p.reason, if repeat { ", again: nobody has acknowledged yet" } else { "" }),
            actor: None,
            incident: Some(EventIncident {
                id: p.incident_id.clone(),
                number: p.number,
                title: p.title.clone(),
                status: IncidentStatus::Triggered,
                severity: p.severity.parse().unwrap_or(Severity::Sev1),
                service: p.service_name.clone().map(|n| (String::new(), n)),
            }),
            status_update: None,
            app_url: app_url(keys.as_ref(), app_url_var),
        };
        out.push(NewDelivery {
            id: new_id(now),
            org_id: &p.org_id,
            channel: "personal_webhook",
            target_id: p.user_id.clone(),
            user_id: Some(&p.user_id),
            incident_id: Some(&p.incident_id),
            source: source.to_string(),
            event: "page",
            payload: render(kind, &e).to_string(),
        });
    }
    Ok(out)
}

/// Pending pages become deliveries. Pages to different people or about different incidents are
/// independent, so they are worked on together: a page waits for its own few round trips however
/// many others are pending (a storm's pages do not queue one behind another). One person's pages
/// about one incident go in the order they were made: the newest takes over repeating. The first
/// failure is returned once all ran.
///
/// A page's deliveries are sent as soon as its dispatch is written, claimed by it (see
/// [`Db::dispatch_page`]), with the devices and incident status its batch read as of the write:
/// from the request that queued a page, one or two round trips after its response (one when
/// the step's batch read the page, see `pages_now`) before its push request leaves. With
/// `spawn`, the sends run as their own `waitUntil` task; without it they are awaited.
pub(super) async fn dispatch_pages(db: &Db, app_url_var: Option<&str>, now: i64, clock: &impl Fn() -> i64, spawn: Option<(&Context, &Env)>) -> ApiResult<()> {
    dispatch(db, db.pending_pages(BATCH).await?, app_url_var, now, clock, spawn).await
}

/// [`dispatch_pages`] for pages already read, with their people's preferences and devices.
pub(super) async fn dispatch(db: &Db, pending: PendingPages, app_url_var: Option<&str>, now: i64, clock: &impl Fn() -> i64, spawn: Option<(&Context, &Env)>) -> ApiResult<()> {
    let (preferences, devices) = (&pending.preferences, &pending.devices);
    let mut chains: Vec<((String, String), Vec<&OutboxPageRow>)> = Vec::new();
    for p in &pending.pages {
        let key = (p.incident_id.clone(), p.user_id.clone());
        match chains.iter_mut().find(|(k, _)| *k == key) {
            Some((_, pages)) => pages.push(p),
            None => chains.push((key, vec![p])),
        }
    }
    // Each chain hands back what it wrote, also when a later page of it failed: those rows are
    // claimed, and only this runner sends them before the lease passes.
    let results = futures_util::future::join_all(chains.into_iter().map(|(_, pages)| async move {
        let mut claimed = Claimed::default();
        for p in pages {
            let theirs: Vec<&SubscriptionRow> = devices.iter().filter(|d| d.user_id == p.user_id).collect();
            match dispatch_one_page(db, p, preferences.get(&p.user_id), &theirs, app_url_var, now).await {
                Ok(d) => claimed.add(&p.incident_id, d),
                Err(e) => return (claimed, Err(e)),
            }
        }
        (claimed, Ok(()))
    }))
    .await;
    let mut claimed = Claimed::default();
    let mut failed = Ok(());
    for (c, r) in results {
        claimed.deliveries.extend(c.deliveries);
        claimed.devices.extend(c.devices);
        claimed.statuses.extend(c.statuses);
        failed = failed.and(r);
    }
    // A test's stand-in for a runner stopped between its dispatch batch and its sends: the
    // deliveries stay claimed until their lease has passed, then any runner sends them.
    if crate::faults::at("after_dispatch") {
        return failed;
    }
    if !claimed.deliveries.is_empty() {
        match spawn {
            None => send_with(db, &claimed.deliveries, &claimed.devices, &claimed.statuses, clock).await,
            Some((ctx, env)) => {
                let env = env.clone();
                ctx.wait_until(async move {
                    let Ok(d1) = env.d1("DB") else { return };
                    send_with(&Db::new(d1), &claimed.deliveries, &claimed.devices, &claimed.statuses, &|| worker::Date::now().as_millis() as i64).await;
                });
            }
        }
    }
    failed
}

/// One page: its deliveries written (and returned, claimed), or the page skipped when no
/// longer wanted.
async fn dispatch_one_page(db: &Db, p: &OutboxPageRow, prefs: Option<&PreferencesRow>, devices: &[&SubscriptionRow], app_url_var: Option<&str>, now: i64) -> ApiResult<Dispatched> {
    db.dispatch_page(&plan_page(db, p, prefs, devices, app_url_var, now).await?, now, LEASE_MS).await
}

/// What dispatching a page at `now` writes: skipped (or expired) when no longer wanted, else
/// its deliveries (each device of the person, their personal webhook) and when it repeats.
/// `devices`: the person's push devices.
pub(crate) async fn plan_page<'a>(db: &Db, p: &'a OutboxPageRow, prefs: Option<&'a PreferencesRow>, devices: &[&SubscriptionRow], app_url_var: Option<&str>, now: i64) -> ApiResult<PageDispatch<'a>> {
    let status: IncidentStatus = p.status.parse().unwrap_or(IncidentStatus::Triggered);
    if let Err(why) = notification::page_wanted(Some(status), time(p.created_at), time(now)) {
        let state = if why == NotWanted::TooOld { "expired" } else { "skipped" };
        return Ok(PageDispatch { page_id: &p.id, state, next_repeat_at: None, deliveries: Vec::new() });
    }
    let deliveries = page_deliveries(db, p, prefs, devices, &format!("outbox:{}", p.id), false, app_url_var, now).await?;
    let next_repeat_at = next_repeat(repeat_rule(prefs), subject(p).severity, status, time(now), 0).map(|t| t.timestamp_millis());
    Ok(PageDispatch { page_id: &p.id, state: "dispatched", next_repeat_at, deliveries })
}

pub(super) async fn dispatch_repeats(db: &Db, app_url_var: Option<&str>, now: i64) -> ApiResult<()> {
    for p in db.due_repeats(now, BATCH).await? {
        let Some(was_due) = p.next_repeat_at else { continue };
        let status: IncidentStatus = p.status.parse().unwrap_or(IncidentStatus::Resolved);
        let prefs = db.preferences(&p.user_id).await?;
        let rule = repeat_rule(prefs.as_ref());
        let sent = u32::try_from(p.repeats).unwrap_or(u32::MAX);
        // Still due by the rule as it is now (acknowledged, resolved or rule changed: stop).
        if next_repeat(rule, subject(&p).severity, status, time(now), sent).is_none() {
            db.record_repeat(&p.id, was_due, p.repeats, None, &[], now).await?;
            continue;
        }
        let n = p.repeats + 1;
        let devices = db.subscriptions_of(&p.org_id, &p.user_id).await?;
        let devices: Vec<&SubscriptionRow> = devices.iter().collect();
        let ds = page_deliveries(db, &p, prefs.as_ref(), &devices, &format!("repeat:{}:{n}", p.id), true, app_url_var, now).await?;
        let next = next_repeat(rule, subject(&p).severity, status, time(now), sent + 1).map(|t| t.timestamp_millis());
        db.record_repeat(&p.id, was_due, n, next, &ds, now).await?;
    }
    Ok(())
}

/// Turns new timeline rows and public updates into webhook deliveries and marks them
/// dispatched; returns the incidents whose records grew (for the live record).
pub(super) async fn dispatch_events(db: &Db, app_url_var: Option<&str>, now: i64) -> ApiResult<Vec<(String, String, String)>> {
    let events = db.undispatched_events(50).await?;
    if events.is_empty() {
        return Ok(Vec::new());
    }
    let grown: Vec<(String, String, String)> =
        events.iter().filter(|e| e.kind != "public_update").filter_map(|e| Some((e.org_id.clone(), e.incident_id.clone()?, e.kind.clone()))).collect();
    let mut orgs: Vec<&str> = events.iter().map(|e| e.org_id.as_str()).collect();
    orgs.sort_unstable();
    orgs.dedup();
    let destinations = db.destinations_of_orgs(&orgs).await?;
    let mut org_urls = HashMap::new();
    for o in &orgs {
        org_urls.insert(*o, app_url(keys(db, o).await?.as_ref(), app_url_var));
    }
    // Structured status updates carry their state and words (the timeline row has the update's id).
    let posted_ids: Vec<&str> = events.iter().filter(|e| e.kind == "status_update.posted").map(|e| e.id.as_str()).collect();
    let posted: HashMap<String, crate::db::StatusUpdateRow> = db.status_updates_by_id(&posted_ids).await?.into_iter().map(|u| (u.id.clone(), u)).collect();
    let (mut timeline_ids, mut update_ids, mut ds) = (Vec::new(), Vec::new(), Vec::new());
    for e in &events {
        let kind = if e.kind == "public_update" {
            update_ids.push(e.id.as_str());
            Some(EventKind::StatusUpdatePublished)
        } else {
            timeline_ids.push(e.id.as_str());
            EventKind::from_timeline(&e.kind)
        };
        let Some(kind) = kind else { continue };
        let actor = e.actor.as_deref().and_then(|a| serde_json::from_str::<Actor>(a).ok()).map(|a| a.name);
        let event = OutboundEvent {
            id: e.id.clone(),
            kind: Some(kind),
            at: time(e.at),
            message: e.message.clone(),
            actor,
            incident: match (kind, &e.incident_id, e.number) {
                (EventKind::StatusUpdatePublished, _, _) | (_, None, _) | (_, _, None) => None,
                (_, Some(id), Some(number)) => Some(EventIncident {
                    id: id.clone(),
                    number,
                    title: e.title.clone().unwrap_or_default(),
                    status: kind.status_after().or_else(|| e.status.as_deref().and_then(|s| s.parse().ok())).unwrap_or(IncidentStatus::Triggered),
                    severity: e.severity.as_deref().and_then(|s| s.parse().ok()).unwrap_or(Severity::Sev1),
                    service: e.service_id.clone().zip(e.service_name.clone()),
                }),
            },
            status_update: match kind {
                EventKind::StatusUpdatePublished => Some(EventStatusUpdate {
                    status_incident_id: e.incident_id.clone().unwrap_or_default(),
                    title: e.title.clone().unwrap_or_default(),
                    status: e.status.clone().unwrap_or_default(),
                    body: e.message.clone(),
                }),
                EventKind::IncidentStatusUpdate => posted.get(&e.id).map(|u| EventStatusUpdate {
                    status_incident_id: u.public_incident_id.clone().unwrap_or_default(),
                    title: String::new(),
                    status: u.status.clone(),
                    body: u.message.clone(),
                }),
                _ => None,
            },
            app_url: org_urls.get(e.org_id.as_str()).cloned().unwrap_or_default(),
        };
        for d in destinations.iter().filter(|d| d.org_id == e.org_id) {
            let events: Vec<EventKind> = serde_json::from_str(&d.events).unwrap_or_default();
            let services: Vec<String> = serde_json::from_str(&d.service_ids).unwrap_or_default();
            if !out::wants(&events, &services, kind, e.service_id.as_deref()) {
                continue;
            }
            let Ok(dk) = d.kind.parse::<DestinationKind>() else { continue };
            ds.push(NewDelivery {
                id: new_id(now),
                org_id: &e.org_id,
                channel: "webhook",
                target_id: d.id.clone(),
                user_id: None,
                incident_id: e.incident_id.as_deref().filter(|_| kind != EventKind::StatusUpdatePublished),
                source: format!("event:{}", e.id),
                event: kind.as_str(),
                payload: render(dk, &event).to_string(),
            });
        }
    }
    db.dispatch_events(&timeline_ids, &update_ids, &ds, now).await?;
    Ok(grown)
}
