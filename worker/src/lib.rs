//! Tocsin's Cloudflare Worker: the IO shell around `tocsin_domain`.
//!
//! `http` routes requests, `auth` resolves callers, `ingest` applies alert events, `db` is the
//! only code that speaks SQL, `crypto` owns randomness and hashing, `outbound` makes requests. Business rules live in the domain crate.

mod auth;
mod crypto;
mod db;
mod deliver;
mod effects;
mod error;
mod escalate;
mod faults;
mod http;
mod ingest;
mod live;
mod live_list;
mod outbound;
mod realtime;
mod reseal;
mod webcrypto;

use worker::{event, Context, Date, Env, Response, Result, ScheduleContext, ScheduledEvent};

#[event(fetch)]
async fn fetch(req: worker::web_sys::Request, env: Env, ctx: Context) -> Result<Response> {
    let now = Date::now().as_millis() as i64;
    crypto::load_sealing_key(&env);
    faults::load(&env);
    let db = match env.d1("DB") {
        Ok(d1) => db::Db::new(d1),
        Err(e) => return Ok(error::ApiError::Internal(format!("D1 binding DB missing: {e}")).into_response()),
    };
    // What the request's work asked for after its response (effects::After), carried out here.
    let (resp, after) = http::handle(http::Req::new(req), db, env.clone(), now).await;
    if after == effects::After::default() {
        return Ok(resp);
    }
    let ctx = std::rc::Rc::new(ctx);
    // When the request started or moved an escalation, the clock learns the earliest due step —
    // after the response (the step just written is due a level's delay from now; the cron sweep
    // stays the safety net), and once for the many requests of a storm (see `arm_after_request`).
    if after.rearm {
        let env = env.clone();
        ctx.wait_until(async move { arm_after_request(&env).await });
    }
    // Pages and events are sent after the response: ingestion and escalation never wait. The
    // pages this request queued go first, on their own: during an alert storm the pump's rounds
    // are busy with every new incident's timeline rows and events, and a page must not queue
    // behind them, nor behind other requests' pages (deliver::pages_now).
    if !after.pages.is_empty() || after.sends.is_some() {
        let (env, inner, app_url, pages) = (env.clone(), ctx.clone(), app_url(&env), after.pages);
        let (read, sends) = (after.pages_read.map(effects::Shared::take), after.sends.map(effects::Shared::take));
        let settled = after.settled;
        ctx.wait_until(async move { deliver::pages_now(&env, &inner, app_url, &pages, read, sends, &settled).await });
    }
    if after.deliver {
        let (inner, app_url) = (ctx.clone(), app_url(&env));
        ctx.wait_until(async move { deliver::pump_after_request(&env, &inner, app_url).await });
    }
    Ok(resp)
}

thread_local! {
    /// This isolate's running re-arm, if any (another request moving an escalation meanwhile asks
    /// it to go round again).
    static ARMING: effects::OneRun = const { effects::OneRun::new() };
}

/// Arms the escalation clock after a request changed an escalation. Requests that change one
/// while a re-arm runs in this isolate only ask it to run once more: that run reads the earliest
/// due step after their writes, so none is missed, and a storm costs one read and one clock call
/// per round instead of one per alert. (The clock only ever moves its alarm earlier, so arms from
/// several isolates in any order are safe.)
async fn arm_after_request(env: &Env) {
    let started = Date::now().as_millis() as i64;
    if !ARMING.with(|a| a.begin(started)) {
        return;
    }
    if let Ok(d1) = env.d1("DB") {
        let db = db::Db::new(d1);
        for _ in 0..100 {
            realtime::arm(env, &db).await;
            if !ARMING.with(effects::OneRun::again) {
                break;
            }
        }
    }
    ARMING.with(effects::OneRun::end);
}

/// Cron trigger (every minute): uses the event's scheduled time as "now" and applies what is
/// due: escalation steps (a late one decided as of now: see `escalation::next_step`) and
/// maintenance transitions.
#[event(scheduled)]
async fn scheduled(event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    let now = event.schedule() as i64;
    crypto::load_sealing_key(&env);
    let Ok(d1) = env.d1("DB") else {
        worker::console_error!("scheduled: D1 binding DB missing");
        return;
    };
    let db = db::Db::new(d1);
    if let Err(e) = escalate::run_due(&db, now).await {
        worker::console_error!("scheduled: escalation sweep failed: {e}");
    }
    if let Err(e) = db.number_unnumbered_timeline(20).await {
        worker::console_error!("scheduled: numbering timeline rows failed: {e}");
    }
    realtime::arm(&env, &db).await;
    if let Err(e) = http::status_page_sweep(&db, now).await {
        worker::console_error!("scheduled: maintenance sweep failed: {e}");
    }
    // Responder requests nobody answered become "no answer" (with their timeline rows).
    if let Err(e) = http::responders_sweep(&db, now).await {
        worker::console_error!("scheduled: responder sweep failed: {e}");
    }
    // Promised status updates that are overdue: the communications lead is reminded once.
    if let Err(e) = http::status_updates_sweep(&db, now).await {
        worker::console_error!("scheduled: status update reminder sweep failed: {e}");
    }
    // Action items past due: their owners get a push, at most once a day per item.
    if let Err(e) = http::action_items_sweep(&db, now).await {
        worker::console_error!("scheduled: action item reminder sweep failed: {e}");
    }
    // Secrets at rest: what earlier versions stored in the clear is sealed (or, for queued
    // action tokens, cleared), and values under the previous key are re-sealed, a few a tick.
    reseal::sweep(&db, now).await;
    // Raw payloads are kept for a bounded time (outcomes stay in the event log).
    let cutoff = |var: &str, default: i64| tocsin_domain::alert::retention_cutoff(now, env.var(var).ok().map(|v| v.to_string()).as_deref(), default);
    if let Err(e) = db.clear_old_raw_payloads(cutoff("RAW_PAYLOAD_RETENTION_DAYS", tocsin_domain::alert::DEFAULT_RAW_RETENTION_DAYS)).await {
        worker::console_error!("scheduled: raw payload retention sweep failed: {e}");
    }
    // And the event log itself after longer (each service's newest row stays: readiness shows it).
    let event_log_cutoff = cutoff("EVENT_LOG_RETENTION_DAYS", tocsin_domain::alert::DEFAULT_EVENT_LOG_RETENTION_DAYS);
    if let Err(e) = db.clear_old_event_log(event_log_cutoff, tocsin_domain::alert::EVENT_LOG_SWEEP_PER_SERVICE).await {
        worker::console_error!("scheduled: event log retention sweep failed: {e}");
    }
    // The first answers kept for senders' retries (Sentry's Request-ID), after a week.
    let answers = cutoff("RETRY_ANSWER_RETENTION_DAYS", tocsin_domain::alert::DEFAULT_RETRY_ANSWER_RETENTION_DAYS);
    if let Err(e) = db.clear_old_retry_answers(answers, tocsin_domain::alert::RETRY_ANSWER_SWEEP).await {
        worker::console_error!("scheduled: retry answer retention sweep failed: {e}");
    }
    // The sources' resolve times kept to recognise late copies, after as long.
    if let Err(e) = db.clear_old_source_resolves(answers, tocsin_domain::alert::RETRY_ANSWER_SWEEP).await {
        worker::console_error!("scheduled: source resolve retention sweep failed: {e}");
    }
    // Retries, repeats and anything a request's own run left behind.
    deliver::pump(&db, app_url(&env), || now, None, Some(&env)).await;
}

/// `APP_URL` (the app's public address, for links in messages) when set.
pub(crate) fn app_url(env: &Env) -> Option<String> {
    env.var("APP_URL").ok().map(|v| v.to_string()).filter(|v| !v.is_empty())
}

pub use realtime::EscalationClock;
