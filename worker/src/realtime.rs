//! Durable Objects. `EscalationClock` gives escalation sub-minute precision: it keeps one alarm
//! at the earliest due step of any running escalation, runs what is due when it fires, and
//! re-arms. The every-minute cron sweep stays as the safety net (both are idempotent: a step is
//! written once, whichever runs it).

use worker::{durable_object, DurableObject, Env, Method, Request, RequestInit, Response, Result, State};

use crate::db::Db;

pub const BINDING: &str = "ESCALATION_CLOCK";

#[durable_object]
pub struct EscalationClock {
    state: State,
    env: Env,
}

impl DurableObject for EscalationClock {
    fn new(state: State, env: Env) -> Self {
        Self { state, env }
    }

    /// `POST` with `{"at": <ms>}`: make sure the alarm fires no later than `at`.
    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let at = req.json::<serde_json::Value>().await.ok().and_then(|v| v["at"].as_i64());
        if let Some(at) = at {
            let storage = self.state.storage();
            let current = storage.get_alarm().await?;
            if current.is_none_or(|c| at < c) {
                storage.set_alarm(chrono::DateTime::from_timestamp_millis(at).unwrap_or_default()).await?;
            }
        }
        Response::ok("armed")
    }

    async fn alarm(&self) -> Result<Response> {
        let now = worker::Date::now().as_millis() as i64;
        crate::crypto::load_sealing_key(&self.env);
        let db = Db::new(self.env.d1("DB")?);
        if let Err(e) = crate::escalate::run_due(&db, now).await {
            worker::console_error!("escalation clock: {e}");
        }
        // Re-arm first, so slow receivers cannot hold up the next escalation step. Only ever
        // earlier: a `fetch` arriving while this ran (its step written after the read above)
        // may have set an earlier alarm, which a later one must not replace.
        if let Ok(Some(next)) = db.earliest_escalation().await {
            let storage = self.state.storage();
            let next = next.max(now + 250);
            if storage.get_alarm().await?.is_none_or(|current| next < current) {
                storage.set_alarm(chrono::DateTime::from_timestamp_millis(next).unwrap_or_default()).await?;
            }
        }
        // Send the pages it just decided.
        crate::deliver::pump(&db, crate::app_url(&self.env), || worker::Date::now().as_millis() as i64, None, Some(&self.env)).await;
        Response::ok("ran")
    }
}

/// Tells the clock about the earliest due step (after an incident opens or a step is written).
/// Best effort: if it fails, the cron sweep still runs the step within a minute.
pub async fn arm(env: &Env, db: &Db) {
    // `--var ESCALATION_CLOCK:off` leaves only the cron sweep (for measuring it).
    if env.var("ESCALATION_CLOCK").map(|v| v.to_string() == "off").unwrap_or(false) {
        return;
    }
    let Ok(Some(at)) = db.earliest_escalation().await else { return };
    let Ok(ns) = env.durable_object(BINDING) else { return };
    let Ok(stub) = ns.id_from_name("escalations").and_then(|id| id.get_stub()) else { return };
    let mut init = RequestInit::new();
    init.with_method(Method::Post).with_body(Some(serde_json::json!({"at": at}).to_string().into()));
    if let Ok(req) = Request::new_with_init("https://escalation-clock/arm", &init) {
        let _ = stub.fetch_with_request(req).await;
    }
}
