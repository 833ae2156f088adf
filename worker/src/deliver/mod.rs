//! Delivery: turns decided pages (the notification outbox) and recorded events (timeline rows,
//! public updates) into queued deliveries, then sends what is due — Web Push requests encrypted
//! per RFC 8291 with VAPID (RFC 8292), and webhooks to chat and ticketing — logging each attempt
//! and retrying per the domain's rule. Runs after the response (`wait_until`), from the cron,
//! and from the escalation clock; every step is idempotent, so overlapping runs are safe.
//! Here: the rounds (the pump, a request's own pages) and the organisation's keys; `dispatch`
//! makes deliveries, `send` sends them.

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
use crate::db::{Claimed, Db, DeliveryRow, Dispatched, NewDelivery, PageDispatch, OrgKeysRow, OutboxPageRow, PendingPages, PreferencesRow, SubscriptionRow};
use crate::error::{ApiError, ApiResult};
use crate::outbound::{post, Answer};
use worker::{Context, Env};

mod dispatch;
mod send;

pub(crate) use dispatch::plan_page;
use dispatch::{dispatch, dispatch_events, dispatch_pages, dispatch_repeats};
use send::send_due;

/// How long one send may take before it counts as "no answer".
const SEND_TIMEOUT_MS: u64 = 10_000;
/// A claimed delivery is left alone by other runners for this long.
pub(crate) const LEASE_MS: i64 = notification::CLAIM_LEASE_MS;
const BATCH: i64 = 25;
/// Under a burst, the running pump goes round again at most this often.
const COALESCE_MS: u64 = 100;

thread_local! {
    /// The request-triggered pump.
    static PUMP: OneRun = const { OneRun::new() };
    static KEYS: RefCell<HashMap<String, OrgKeysRow>> = RefCell::new(HashMap::new());
}

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
/// only those, are sent at once — whatever else this isolate is doing: not after the pump's
/// current round of other work and its pause, nor behind another request's pages (each request
/// sends its own, so none reads another's).
/// - `sends`: the deliveries of the pages the step's own batch dispatched (a new incident's
///   first step, whose batch knew the people's contacts), already claimed: their push requests
///   leave with no round trip after the response.
/// - `pages`: those it left pending, read (with their people's preferences and devices) by the
///   step's own batch when it could (`read`), else here in one batch by id, then dispatched and
///   sent: one round trip, at most two, from the response to the push request.
///
/// Safe beside the pump, the cron and other isolates: a page is marked dispatched by a guarded
/// write (a page read before another runner dispatched it is not dispatched twice), its
/// deliveries are unique per page and device and written claimed by the dispatcher that wrote
/// them, so each is sent once; a page this misses (its request's work cut short) is still
/// pending, and the pump takes it up, and a claimed delivery this does not send (the same) is
/// sent by any runner once its lease has passed.
/// `settled`: incidents the request acknowledged or resolved after claiming pages about them
/// (one payload, several events): their statuses are read again before those sends.
#[allow(clippy::too_many_arguments)]
pub async fn pages_now(env: &Env, ctx: &Context, app_url_var: Option<String>, pages: &[String], read: Option<PendingPages>, sends: Option<Claimed>, settled: &[String]) {
    let Ok(d1) = env.d1("DB") else { return };
    let db = &Db::new(d1);
    let now = || worker::Date::now().as_millis() as i64;
    // A test's stand-in for a runner stopped between its dispatch batch and its sends (as in
    // `dispatch`): the deliveries stay claimed until their lease has passed.
    let sent = async {
        let Some(mut c) = sends.filter(|_| !crate::faults::at("after_dispatch")) else { return };
        let Some(claimed_at) = c.claimed_at else { return };
        // Claimed before the response, leased from then: past half the lease (a request that
        // ran very long), they are left to whichever runner takes them once it has passed,
        // never sent while another could already be sending them.
        let n = c.deliveries.len();
        let late = || {
            let late = !notification::claim_still_sendable(claimed_at, now());
            if late {
                worker::console_warn!("delivery (pages): {n} claimed deliveries left for after their lease: the request ran long");
            }
            late
        };
        if late() {
            return;
        }
        let changed: Vec<&str> = settled.iter().map(String::as_str).filter(|i| c.statuses.contains_key(*i)).collect();
        if !changed.is_empty() {
            match db.incident_statuses(&changed).await {
                Ok(now_statuses) => c.statuses.extend(now_statuses),
                Err(e) => {
                    worker::console_error!("delivery (pages): reading statuses: {e}");
                    return;
                }
            }
            // (That read may have waited long in a storm.)
            if late() {
                return;
            }
        }
        send::send_with(db, &c.deliveries, &c.devices, &c.statuses, &now).await;
    };
    let dispatched = async {
        if pages.is_empty() {
            return Ok(());
        }
        let found = match read {
            Some(r) => r,
            None => db.pages_by_id(pages).await?,
        };
        dispatch(db, found, app_url_var.as_deref(), now(), &now, Some((ctx, env))).await
    };
    let ((), r) = futures_util::future::join(sent, dispatched).await;
    if let Err(e) = r {
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
