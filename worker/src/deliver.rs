//! Delivery: turns decided pages (the notification outbox) and recorded events (timeline rows,
//! public updates) into queued deliveries, then sends what is due — Web Push requests encrypted
//! per RFC 8291 with VAPID (RFC 8292), and webhooks to chat and ticketing — logging each attempt
//! and retrying per the domain's rule. Runs after the response (`wait_until`), from the cron,
//! and from the escalation clock; every step is idempotent, so overlapping runs are safe.

use std::cell::RefCell;
use std::collections::HashMap;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::DateTime;
use tocsin_domain::action_token::{self, Claims, Purpose};
use tocsin_domain::api::Actor;
use tocsin_domain::incident::{IncidentStatus, Severity};
use tocsin_domain::notification::{self, next_repeat, NotWanted, PageSubject, RepeatRule};
use tocsin_domain::outbound::body::{render, EventIncident, EventStatusUpdate, OutboundEvent};
use tocsin_domain::outbound::retry::{self, Next};
use tocsin_domain::outbound::{self as out, DestinationKind, EventKind};
use tocsin_domain::webpush;

use crate::effects::OneRun;
use crate::crypto::{new_id, open, random_bytes, seal};
use crate::db::{Db, DeliveryRow, Dispatched, NewDelivery, OrgKeysRow, OutboxPageRow, PendingPages, PreferencesRow, SubscriptionRow};
use crate::error::{ApiError, ApiResult};
use crate::outbound::{post, Answer};
use worker::{Context, Env};

/// How long one send may take before it counts as "no answer".
const SEND_TIMEOUT_MS: u64 = 10_000;
/// A claimed delivery is left alone by other runners for this long.
const LEASE_MS: i64 = 60_000;
const BATCH: i64 = 25;
/// Under a burst, the running pump goes round again at most this often.
const COALESCE_MS: u64 = 100;

thread_local! {
    /// The request-triggered pump.
    static PUMP: OneRun = const { OneRun::new() };
    static KEYS: RefCell<HashMap<String, OrgKeysRow>> = RefCell::new(HashMap::new());
    /// VAPID authorisations made lately, by (organisation's public key, subject, push service
    /// origin) → (signed at, in seconds; the header): one ES256 signature per push service every
    /// `webpush::VAPID_REUSE_SECS`, not one per message. Per isolate, like the keys above.
    static VAPID: RefCell<HashMap<VapidFor, (i64, String)>> = RefCell::new(HashMap::new());
}

/// Whom a VAPID authorisation is for: (organisation's public key, subject, push service origin).
type VapidFor = (String, String, String);

fn time(ms: i64) -> DateTime<chrono::Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

/// The organisation's keys, generated on first use (setup does it first).
pub async fn ensure_keys(db: &Db, org_id: &str, subject: &str, app_url: &str, now: i64) -> ApiResult<OrgKeysRow> {
    if let Some(k) = KEYS.with(|c| c.borrow().get(org_id).cloned()).filter(|k| !k.app_url.is_empty() || app_url.is_empty()) {
        return Ok(k);
    }
    let private = loop {
        let candidate: [u8; 32] = random_bytes();
        if let Ok(public) = webpush::public_key_of(&candidate) {
            break (candidate, public);
        }
    };
    // Both private keys are stored sealed (see `tocsin_domain::sealed`).
    let fresh = OrgKeysRow {
        org_id: org_id.to_string(),
        vapid_private: seal(&URL_SAFE_NO_PAD.encode(private.0), &format!("vapid:{org_id}"))?,
        vapid_public: URL_SAFE_NO_PAD.encode(private.1),
        vapid_subject: subject.to_string(),
        action_key: seal(&URL_SAFE_NO_PAD.encode(random_bytes::<32>()), &format!("action:{org_id}"))?,
        app_url: app_url.to_string(),
    };
    let stored = opened(db.ensure_org_keys(&fresh, now).await?)?;
    KEYS.with(|c| c.borrow_mut().insert(org_id.to_string(), stored.clone()));
    Ok(stored)
}

/// The keys as stored, opened for use (kept per isolate, never written back).
fn opened(mut k: OrgKeysRow) -> ApiResult<OrgKeysRow> {
    k.vapid_private = open(&k.vapid_private, &format!("vapid:{}", k.org_id))?;
    k.action_key = open(&k.action_key, &format!("action:{}", k.org_id))?;
    Ok(k)
}

/// The organisation's keys (opened), if it has any yet.
pub async fn keys(db: &Db, org_id: &str) -> ApiResult<Option<OrgKeysRow>> {
    if let Some(k) = KEYS.with(|c| c.borrow().get(org_id).cloned()) {
        return Ok(Some(k));
    }
    let Some(k) = db.org_keys(org_id).await? else { return Ok(None) };
    let k = opened(k)?;
    KEYS.with(|c| c.borrow_mut().insert(org_id.to_string(), k.clone()));
    Ok(Some(k))
}

fn decode(b64: &str) -> ApiResult<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(b64.trim_end_matches('=')).map_err(|_| ApiError::Internal("stored key is not base64url".into()))
}

/// A person's rule as stored, or the default when they never chose.
pub fn repeat_rule(p: Option<&PreferencesRow>) -> Option<RepeatRule> {
    notification::stored_repeat_rule(p.is_some(), p.and_then(|p| p.repeat_minutes), p.map(|p| p.repeat_severity.as_str()).unwrap_or("SEV1"))
}

/// After a response: runs the pump, but only one at a time per isolate — concurrent requests
/// (an alert storm) ask the running one to go round again instead of each running their own.
pub async fn pump_after_request(env: &Env, ctx: &Context, app_url_var: Option<String>) {
    let Ok(d1) = env.d1("DB") else { return };
    let db = &Db::new(d1);
    let now = || worker::Date::now().as_millis() as i64;
    let started = now();
    if !PUMP.with(|r| r.begin(started)) {
        return;
    }
    loop {
        pump(db, app_url_var.clone(), &now, Some((ctx, env)), Some(env)).await;
        if !PUMP.with(OneRun::again) || now() - started >= 20_000 {
            break;
        }
        // More arrived meanwhile: let a storm gather for a moment, then take it in one round.
        worker::Delay::from(std::time::Duration::from_millis(COALESCE_MS)).await;
    }
    PUMP.with(OneRun::end);
}

/// After a response whose request queued pages (an escalation step fell due): those pages, and
/// only those, are dispatched and sent at once — read (with their people's preferences and
/// devices) by the step's own batch when it could (`read`), else here in one batch by id — so
/// one round trip, at most two, from the response to the push request, whatever else this
/// isolate is doing: not after the pump's current round of other work and its pause, nor behind
/// another request's pages (each request sends its own, so none reads another's). Safe beside
/// the pump, the cron and other isolates: a page is marked dispatched by a guarded write (a page
/// read before another runner dispatched it is not dispatched twice), its deliveries are unique
/// per page and device and written claimed by the dispatcher that wrote them, so each is sent
/// once; a page this misses (its request's work cut short) is still pending, and the pump takes
/// it up.
pub async fn pages_now(env: &Env, ctx: &Context, app_url_var: Option<String>, pages: &[String], read: Option<PendingPages>) {
    let Ok(d1) = env.d1("DB") else { return };
    let db = &Db::new(d1);
    let now = || worker::Date::now().as_millis() as i64;
    let sent = async {
        let found = match read {
            Some(r) => r,
            None => db.pages_by_id(pages).await?,
        };
        dispatch(db, found, app_url_var.as_deref(), now(), &now, Some((ctx, env))).await
    };
    if let Err(e) = sent.await {
        worker::console_error!("delivery (pages): {e}");
    }
}

/// Runs everything due, a few rounds at most. Errors are logged; the cron retries. With
/// `spawn`, sends run as their own `waitUntil` tasks, so a slow receiver never holds up the
/// next round; without it (cron, escalation clock) they are awaited.
/// `live`: the environment whose live-record objects hear of grown incident records.
pub async fn pump(db: &Db, app_url_var: Option<String>, now: impl Fn() -> i64, spawn: Option<(&Context, &Env)>, live: Option<&Env>) {
    for _ in 0..3 {
        let t = now();
        let work = match db.delivery_work(t).await {
            Ok(w) if w.any() => w,
            Ok(_) => return,
            Err(e) => {
                worker::console_error!("delivery: {e}");
                return;
            }
        };
        // Each step on its own: one that fails (and is logged) does not stop the others.
        let log = |step: &str, r: ApiResult<()>| {
            if let Err(e) = r {
                worker::console_error!("delivery ({step}): {e}");
            }
        };
        if work.pages != 0 {
            log("pages", dispatch_pages(db, app_url_var.as_deref(), t, &now, spawn).await);
        }
        if work.repeats != 0 {
            log("repeats", dispatch_repeats(db, app_url_var.as_deref(), t).await);
        }
        let grown = if work.events != 0 && work.destinations == 0 {
            db.dispatch_all_events_to_nobody().await
        } else if work.events != 0 {
            dispatch_events(db, app_url_var.as_deref(), t).await
        } else {
            Ok(Vec::new())
        };
        match grown {
            Ok(rows) if !rows.is_empty() => {
                if let Some(env) = live {
                    tell_watchers(env, db, &rows).await;
                }
            }
            Ok(_) => {}
            Err(e) => log("events", Err(e)),
        }
        // Pages and events just dispatched are due at once.
        if work.sends != 0 || work.pages != 0 || work.repeats != 0 || (work.events != 0 && work.destinations != 0) {
            log("sending", send_due(db, &now, spawn).await.map(|_| ()));
        }
    }
}

/// The timeline rows just marked — (organisation, incident, kind) — reach their watchers: each
/// incident's live record, and its organisation's live list when the list shows the change.
async fn tell_watchers(env: &Env, db: &Db, rows: &[(String, String, String)]) {
    let mut records: Vec<String> = rows.iter().map(|(_, i, _)| i.clone()).collect();
    records.sort_unstable();
    records.dedup();
    // Only the objects with someone to tell are woken: one read for the round instead of one
    // object call per changed incident (an alert storm opens hundreds nobody watches yet). A
    // watcher that connects meanwhile reads the rows itself after marking itself watched.
    let records = db.live_watched(&records).await.unwrap_or_else(|e| {
        worker::console_error!("live: reading watchers: {e}");
        records
    });
    let lists: Vec<(String, String)> = rows.iter().filter(|(_, _, k)| tocsin_domain::api::incidents_live::changes_list(k)).map(|(o, i, _)| (o.clone(), i.clone())).collect();
    futures_util::future::join(crate::live::changed(env, &records), crate::live_list::changed(env, &lists)).await;
}

fn app_url(keys: Option<&OrgKeysRow>, var: Option<&str>) -> String {
    var.map(str::to_string).or_else(|| keys.map(|k| k.app_url.clone())).unwrap_or_default()
}

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
async fn dispatch_pages(db: &Db, app_url_var: Option<&str>, now: i64, clock: &impl Fn() -> i64, spawn: Option<(&Context, &Env)>) -> ApiResult<()> {
    dispatch(db, db.pending_pages(BATCH).await?, app_url_var, now, clock, spawn).await
}

/// [`dispatch_pages`] for pages already read, with their people's preferences and devices.
async fn dispatch(db: &Db, pending: PendingPages, app_url_var: Option<&str>, now: i64, clock: &impl Fn() -> i64, spawn: Option<(&Context, &Env)>) -> ApiResult<()> {
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

/// Deliveries written claimed by dispatches, with the devices (by id) and incident statuses
/// their batches read as of the write.
#[derive(Default)]
struct Claimed {
    deliveries: Vec<DeliveryRow>,
    devices: HashMap<String, SubscriptionRow>,
    statuses: HashMap<String, String>,
}

impl Claimed {
    fn add(&mut self, incident_id: &str, d: Dispatched) {
        if d.deliveries.is_empty() {
            return;
        }
        self.deliveries.extend(d.deliveries);
        self.devices.extend(d.devices.into_iter().map(|s| (s.id.clone(), s)));
        if let Some(status) = d.status {
            self.statuses.insert(incident_id.to_string(), status);
        }
    }
}

/// One page: its deliveries written (and returned, claimed), or the page skipped when no
/// longer wanted.
async fn dispatch_one_page(db: &Db, p: &OutboxPageRow, prefs: Option<&PreferencesRow>, devices: &[&SubscriptionRow], app_url_var: Option<&str>, now: i64) -> ApiResult<Dispatched> {
    let status: IncidentStatus = p.status.parse().unwrap_or(IncidentStatus::Triggered);
    if let Err(why) = notification::page_wanted(Some(status), time(p.created_at), time(now)) {
        let state = if why == NotWanted::TooOld { "expired" } else { "skipped" };
        return db.dispatch_page(&p.id, state, None, &[], now, LEASE_MS).await;
    }
    let ds = page_deliveries(db, p, prefs, devices, &format!("outbox:{}", p.id), false, app_url_var, now).await?;
    let next = next_repeat(repeat_rule(prefs), subject(p).severity, status, time(now), 0).map(|t| t.timestamp_millis());
    db.dispatch_page(&p.id, "dispatched", next, &ds, now, LEASE_MS).await
}

async fn dispatch_repeats(db: &Db, app_url_var: Option<&str>, now: i64) -> ApiResult<()> {
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
async fn dispatch_events(db: &Db, app_url_var: Option<&str>, now: i64) -> ApiResult<Vec<(String, String, String)>> {
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

/// Claims the due deliveries and sends them (concurrently), recording the outcomes — awaited,
/// or in a task of its own (`spawn`). Returns how many were claimed.
async fn send_due(db: &Db, now: &impl Fn() -> i64, spawn: Option<(&Context, &Env)>) -> ApiResult<usize> {
    let claimed = db.claim_deliveries(now(), LEASE_MS, BATCH).await?;
    let n = claimed.len();
    match (n, spawn) {
        (0, _) => {}
        (_, None) => send_claimed(db, claimed, now).await?,
        (_, Some((ctx, env))) => {
            let env = env.clone();
            ctx.wait_until(async move {
                let Ok(d1) = env.d1("DB") else { return };
                if let Err(e) = send_claimed(&Db::new(d1), claimed, &|| worker::Date::now().as_millis() as i64).await {
                    worker::console_error!("delivery: {e}");
                }
            });
        }
    }
    Ok(n)
}

async fn send_claimed(db: &Db, claimed: Vec<DeliveryRow>, now: &impl Fn() -> i64) -> ApiResult<()> {
    let push_ids: Vec<&str> = claimed.iter().filter(|d| d.channel == "push").map(|d| d.target_id.as_str()).collect();
    let page_incidents: Vec<&str> = claimed.iter().filter(|d| d.event == "page").filter_map(|d| d.incident_id.as_deref()).collect();
    // Both reads at once: a page waits for one round trip, not two.
    let (subs, statuses) = futures_util::future::join(db.subscriptions_by_id(&push_ids), db.incident_statuses(&page_incidents)).await;
    let subs: HashMap<String, SubscriptionRow> = subs?.into_iter().map(|s| (s.id.clone(), s)).collect();
    let statuses: HashMap<String, String> = statuses?.into_iter().collect();
    send_with(db, &claimed, &subs, &statuses, now).await;
    Ok(())
}

/// Sends claimed deliveries, all at once, given their push devices (by id) and the status of
/// the incidents they page about; each outcome is recorded, failures logged.
async fn send_with(db: &Db, claimed: &[DeliveryRow], subs: &HashMap<String, SubscriptionRow>, statuses: &HashMap<String, String>, now: &impl Fn() -> i64) {
    let sends = claimed.iter().map(|d| send_one(db, d, subs, statuses, now));
    let results = futures_util::future::join_all(sends).await;
    for r in results {
        if let Err(e) = r {
            worker::console_error!("delivery: {e}");
        }
    }
}

/// Why a claimed delivery was not sent, and the state it ends in.
struct NotSent {
    state: &'static str,
    reason: String,
}

impl NotSent {
    fn failed(reason: impl Into<String>) -> Self {
        NotSent { state: "failed", reason: reason.into() }
    }
}

/// Anything that stops a send from being prepared (a key that will not open, say) ends the
/// delivery with the reason in its log, never leaving it claimed and pending.
impl From<ApiError> for NotSent {
    fn from(e: ApiError) -> Self {
        NotSent::failed(format!("could not be prepared: {e}"))
    }
}

async fn send_one(db: &Db, d: &DeliveryRow, subs: &HashMap<String, SubscriptionRow>, statuses: &HashMap<String, String>, now: &impl Fn() -> i64) -> ApiResult<()> {
    let started = now();
    match attempt(db, d, subs, statuses, started).await {
        Ok(answer) => {
            let finished = now();
            record(db, d, answer, started, finished).await
        }
        Err(n) => db.not_sent(d, &new_id(started), n.state, &n.reason, started).await,
    }
}

async fn attempt(db: &Db, d: &DeliveryRow, subs: &HashMap<String, crate::db::SubscriptionRow>, statuses: &HashMap<String, String>, now: i64) -> Result<Answer, NotSent> {
    if d.event == "page" {
        // A page is for a triggered incident, while it is fresh: retries and repeats stop too.
        let status = d.incident_id.as_ref().and_then(|i| statuses.get(i)).and_then(|s| s.parse::<IncidentStatus>().ok());
        notification::page_wanted(status, time(d.created_at), time(now)).map_err(|why| NotSent { state: "skipped", reason: why.to_string() })?;
    }
    match d.channel.as_str() {
        "push" => {
            let sub = subs.get(&d.target_id).ok_or(NotSent { state: "gone", reason: "the device was removed".into() })?;
            let keys = keys(db, &d.org_id).await?.ok_or_else(|| NotSent::failed("the organisation has no push keys"))?;
            send_push(&keys, sub, d, now).await
        }
        "webhook" => {
            let dest = db.destination(&d.org_id, &d.target_id).await?.ok_or_else(|| NotSent::failed("not sent: the destination was deleted"))?;
            if dest.enabled == 0 {
                return Err(NotSent::failed("not sent: the destination is paused"));
            }
            let kind = dest.kind.parse::<DestinationKind>().unwrap_or(DestinationKind::Generic);
            let url = open(&dest.url, &format!("dest-url:{}", dest.id))?;
            let secret = dest.secret.as_deref().map(|s| open(s, &format!("dest-secret:{}", dest.id))).transpose()?;
            Ok(send_webhook(kind, &url, secret.as_deref(), d, now).await)
        }
        _ => {
            let prefs = db.preferences(&d.target_id).await?;
            let (kind, url) = prefs
                .as_ref()
                .and_then(|p| Some((p.webhook_kind.as_deref()?.parse::<DestinationKind>().ok()?, p.webhook_url.clone()?)))
                .ok_or_else(|| NotSent::failed("not sent: the personal webhook was removed"))?;
            let url = open(&url, &format!("pref-url:{}", d.target_id))?;
            let secret = prefs.as_ref().and_then(|p| p.webhook_secret.as_deref()).map(|s| open(s, &format!("pref-secret:{}", d.target_id))).transpose()?;
            Ok(send_webhook(kind, &url, secret.as_deref(), d, now).await)
        }
    }
}

/// Writes what an answer means under the retry rule.
async fn record(db: &Db, d: &DeliveryRow, answer: Answer, started: i64, finished: i64) -> ApiResult<()> {
    let attempt = u32::try_from(d.attempts + 1).unwrap_or(u32::MAX);
    let outcome = retry::classify(answer.status);
    let (state, next) = match retry::after_attempt(outcome, attempt, answer.retry_after_secs, time(finished)) {
        Next::Done => ("sent", None),
        Next::RetryAt(at) => ("pending", Some(at.timestamp_millis())),
        Next::GiveUp => ("failed", None),
        Next::Forget => (if d.channel == "push" { "gone" } else { "failed" }, None),
    };
    let words = match (&answer.error, state) {
        (Some(e), "pending") => format!("{e}; will retry"),
        (Some(e), _) => format!("{e}; gave up after {attempt} attempts"),
        (None, "failed") if outcome == retry::Outcome::Retry => format!("{}; gave up after {attempt} attempts", answer.status.unwrap_or(0)),
        (None, "gone") => format!("{}: the push service says this subscription is gone; removed", answer.status.unwrap_or(0)),
        (None, _) => retry::describe(answer.status),
    };
    db.record_attempt(d, &new_id(finished), answer.status, &words, finished - started, state, next, finished).await
}

/// A page's payload with its action token for the delivery's person and incident, minted at
/// send time (a token in a payload queued by an earlier version is replaced too). It expires
/// `LIFETIME_SECS` after the page was queued, so every retry sends the same message.
fn with_action_token(keys: &OrgKeysRow, d: &DeliveryRow, mut payload: notification::PushPayload) -> Result<notification::PushPayload, NotSent> {
    if payload.kind != "page" {
        return Ok(payload);
    }
    let (Some(incident_id), Some(user_id)) = (d.incident_id.clone(), d.user_id.clone()) else {
        return Err(NotSent::failed("the stored page names no incident or person"));
    };
    let claims = Claims { purpose: Purpose::Acknowledge, org_id: d.org_id.clone(), incident_id, user_id, expires_at: d.created_at / 1000 + action_token::LIFETIME_SECS };
    payload.token = Some(action_token::issue(&decode(&keys.action_key)?, &claims));
    Ok(payload)
}

/// A responder request's push with its action token (purpose `Respond`, for the person asked
/// and the incident), minted at send time like a page's: Join and Decline work from the lock
/// screen without a session.
fn responder_with_token(keys: &OrgKeysRow, d: &DeliveryRow) -> Result<tocsin_domain::responders::ResponderPush, NotSent> {
    let mut p: tocsin_domain::responders::ResponderPush = serde_json::from_str(&d.payload).map_err(|_| NotSent::failed("the stored message is not a responder request"))?;
    let (Some(incident_id), Some(user_id)) = (d.incident_id.clone(), d.user_id.clone()) else {
        return Err(NotSent::failed("the stored request names no incident or person"));
    };
    let claims = Claims { purpose: Purpose::Respond, org_id: d.org_id.clone(), incident_id, user_id, expires_at: d.created_at / 1000 + action_token::LIFETIME_SECS };
    p.base.token = Some(action_token::issue(&decode(&keys.action_key)?, &claims));
    Ok(p)
}

async fn send_push(keys: &OrgKeysRow, sub: &crate::db::SubscriptionRow, d: &DeliveryRow, now: i64) -> Result<Answer, NotSent> {
    // What cannot be sent now never can: these fail at once rather than retry.
    let (payload, plaintext) = if d.event == "responder" {
        let p = responder_with_token(keys, d)?;
        let bytes = serde_json::to_vec(&p).map_err(|e| NotSent::failed(e.to_string()))?;
        (p.base, bytes)
    } else {
        let payload: notification::PushPayload = serde_json::from_str(&d.payload).map_err(|_| NotSent::failed("the stored message is not a push payload"))?;
        let payload = with_action_token(keys, d, payload)?;
        let bytes = serde_json::to_vec(&payload).map_err(|e| NotSent::failed(e.to_string()))?;
        (payload, bytes)
    };
    let origin = webpush::endpoint_origin(&sub.endpoint).ok_or_else(|| NotSent::failed("the subscription's endpoint is not an http(s) URL"))?;
    // A compressed p256dh (accepted when subscribing) is sent as the point it names.
    let ua_public = webpush::uncompressed_key(&decode(&sub.p256dh)?).map_err(|e| NotSent::failed(e.to_string()))?;
    let auth = decode(&sub.auth)?;
    // The key agreement natively (a fresh key pair per message), the rest in the domain. The
    // runtime failing is not the message's fault: answered like a network failure, so retried.
    let agreed = match crate::webcrypto::ephemeral_ecdh(&ua_public).await {
        Ok(a) => a,
        Err(e) => return Ok(Answer { status: None, retry_after_secs: None, error: Some(format!("key agreement: {e}")) }),
    };
    let salt: [u8; 16] = random_bytes();
    let body = webpush::encrypt_agreed(&plaintext, &ua_public, &auth, &agreed.public, &agreed.secret, &salt).map_err(|e| NotSent::failed(e.to_string()))?;
    let authorization = vapid_authorization(keys, origin, now / 1000)?;
    // Topic: a newer message about the same incident replaces an undelivered older one.
    let topic: String = payload.incident_id.as_deref().unwrap_or("tocsin-test").chars().filter(|c| c.is_ascii_alphanumeric()).take(32).collect();
    let headers = [
        ("Authorization", authorization),
        ("Content-Encoding", "aes128gcm".to_string()),
        ("Content-Type", "application/octet-stream".to_string()),
        ("TTL", notification::PUSH_TTL_SECS.to_string()),
        ("Urgency", notification::urgency(payload.severity).to_string()),
        ("Topic", topic),
    ];
    Ok(post(&sub.endpoint, &headers, body, SEND_TIMEOUT_MS).await)
}

/// The `Authorization` header for a push service: the one signed for it in the last
/// `webpush::VAPID_REUSE_SECS` on this isolate, else a fresh one.
fn vapid_authorization(keys: &OrgKeysRow, origin: String, now_secs: i64) -> Result<String, NotSent> {
    let key = (keys.vapid_public.clone(), keys.vapid_subject.clone(), origin);
    let reuse = VAPID.with(|c| c.borrow().get(&key).filter(|(at, _)| webpush::vapid_reusable(*at, now_secs)).map(|(_, h)| h.clone()));
    if let Some(header) = reuse {
        return Ok(header);
    }
    let header = webpush::vapid_authorization(&key.2, &keys.vapid_subject, &decode(&keys.vapid_private)?, now_secs).map_err(|e| NotSent::failed(e.to_string()))?;
    VAPID.with(|c| {
        let mut c = c.borrow_mut();
        // Stale entries go with the next new one; a handful of push services per organisation.
        c.retain(|_, (at, _)| webpush::vapid_reusable(*at, now_secs));
        c.insert(key, (now_secs, header.clone()));
    });
    Ok(header)
}

async fn send_webhook(kind: DestinationKind, url: &str, secret: Option<&str>, d: &DeliveryRow, now: i64) -> Answer {
    let body = d.payload.clone().into_bytes();
    let mut headers = vec![
        ("Content-Type", "application/json".to_string()),
        ("User-Agent", format!("Tocsin-Webhooks/{}", env!("CARGO_PKG_VERSION"))),
    ];
    if kind == DestinationKind::Generic {
        headers.push(("Tocsin-Event", d.event.clone()));
        headers.push(("Tocsin-Delivery", d.id.clone()));
        if let Some(s) = secret {
            headers.push((out::signature::HEADER, out::signature::sign(s, now / 1000, &body)));
        }
    }
    post(url, &headers, body, SEND_TIMEOUT_MS).await
}
