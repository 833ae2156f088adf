//! Group commit for ingestion and the work a storm starts after its responses (deliveries, the
//! escalation clock's re-arm): while one of this isolate's grouped D1 round trips is in flight,
//! the statements of other requests wait in a queue, and the next round trip carries all of them
//! as one D1 batch (one transaction, in arrival order). Idle, nothing waits; in an alert storm,
//! dozens of events share one round trip (D1's client costs the isolate about 1.5 ms of CPU per
//! round trip, more than the event itself).
//!
//! Why it stays exact: every statement a grouped handle sends decides for itself (guards,
//! `ON CONFLICT`, `RETURNING`) and no batch starts by reading `changes()`, so several requests'
//! batches run one after another inside one transaction give what they give one after another in
//! separate transactions: a serial order D1 could have chosen anyway. When a group fails, D1 rolled
//! all of it back and every member runs its own batch alone, so a bad event fails only its own
//! request. With many isolates (production), each groups its own requests and the guards decide
//! between isolates, exactly as without grouping.
//!
//! Why it is safe in workerd, which ties I/O to the request that started it: a request only
//! awaits promises it made itself. A waiter makes its own JS promise; whoever carries its
//! statements resolves it, and workerd runs the continuation in the waiter's own request. The
//! round trip is made by the request that leads; when its answer is in, it passes the lead to the
//! first waiter. A waiter that hears nothing for [`PATIENCE_MS`] while still queued (its leader's
//! request was cancelled) leaves the queue and leads or runs alone; one whose statements are in
//! flight waits for their answer, and gives up with an error only after [`GIVE_UP_MS`].

use std::cell::RefCell;
use std::collections::VecDeque;
use std::time::Duration;

use futures_util::future::{select, Either};
use js_sys::{Array, Function, Promise};
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;

use super::Db;
use crate::error::{ApiError, ApiResult};

/// Statements one round trip carries at most (the leader's own batch always goes).
const MAX_STATEMENTS: u32 = 240;
/// How long a queued waiter (or a lead nobody took up) is trusted before it is taken over.
const PATIENCE_MS: f64 = 3_000.0;
/// How long a waiter whose statements are in flight waits for their answer.
const GIVE_UP_MS: f64 = 30_000.0;

const LEAD: &str = "lead";
const ALONE: &str = "alone";

struct Waiter {
    id: u64,
    stmts: Array,
    resolve: Function,
}

#[derive(Default)]
struct Queue {
    /// When the current lead started (0: nobody leads).
    lead_since: f64,
    next_id: u64,
    waiting: VecDeque<Waiter>,
    /// Round trips made for groups, and the batches they carried (for the runtime figures).
    trips: u64,
    batches: u64,
}

thread_local! {
    static QUEUE: RefCell<Queue> = RefCell::default();
}

/// (grouped round trips, batches they carried) in this isolate since it started.
pub fn group_figures() -> (u64, u64) {
    QUEUE.with(|q| {
        let q = q.borrow();
        (q.trips, q.batches)
    })
}

enum Turn {
    Lead,
    Wait(u64, Promise),
}

enum Heard {
    Results(Array),
    Lead,
    Alone,
}

impl Db {
    /// One batch's results, its statements carried in this isolate's next group round trip.
    pub(super) async fn grouped_batch(&self, stmts: Array) -> ApiResult<Array> {
        let turn = QUEUE.with(|q| {
            let mut q = q.borrow_mut();
            let now = js_sys::Date::now();
            if q.lead_since == 0.0 || now - q.lead_since > PATIENCE_MS {
                q.lead_since = now;
                return Turn::Lead;
            }
            q.next_id += 1;
            let id = q.next_id;
            let mut resolve = None;
            let promise = Promise::new(&mut |r, _| resolve = Some(r));
            let resolve = resolve.expect("a Promise runs its executor at once");
            q.waiting.push_back(Waiter {
                id,
                stmts: stmts.clone(),
                resolve,
            });
            Turn::Wait(id, promise)
        });
        if let Turn::Wait(id, promise) = turn {
            match wait(id, promise).await? {
                Heard::Results(results) => return Ok(results),
                Heard::Alone => return self.send(&stmts).await,
                Heard::Lead => {}
            }
        }
        self.lead(stmts).await
    }

    /// Sends its own statements and as many waiting ones as fit, hands each waiter its slice of
    /// the answer, and passes the lead on.
    async fn lead(&self, own: Array) -> ApiResult<Array> {
        let mine = own.length();
        let all = own.slice(0, mine);
        let mut carried = Vec::new();
        QUEUE.with(|q| {
            let mut q = q.borrow_mut();
            while let Some(w) = q.waiting.front() {
                if all.length() + w.stmts.length() > MAX_STATEMENTS {
                    break;
                }
                let w = q.waiting.pop_front().expect("front was Some");
                for s in w.stmts.iter() {
                    all.push(&s);
                }
                carried.push(w);
            }
            q.trips += 1;
            q.batches += 1 + carried.len() as u64;
        });
        let answer = if !carried.is_empty() && crate::faults::at("group_commit") {
            Err(ApiError::Db(
                "injected failure of a group round trip (TOCSIN_TEST_FAULT)".into(),
            ))
        } else {
            self.send(&all).await
        };
        let alone = match &answer {
            Ok(results) => {
                let mut at = mine;
                for w in &carried {
                    let end = at + w.stmts.length();
                    let _ = w.resolve.call1(&JsValue::NULL, &results.slice(at, end));
                    at = end;
                }
                false
            }
            // D1 rolled the whole group back: each member runs its own batch alone.
            Err(_) => {
                for w in &carried {
                    let _ = w.resolve.call1(&JsValue::NULL, &JsValue::from_str(ALONE));
                }
                !carried.is_empty()
            }
        };
        pass_lead();
        match answer {
            Ok(results) => Ok(results.slice(0, mine)),
            Err(_) if alone => self.send(&own).await,
            Err(e) => Err(e),
        }
    }
}

/// The lead goes to the first waiter, or to nobody.
fn pass_lead() {
    QUEUE.with(|q| {
        let mut q = q.borrow_mut();
        match q.waiting.pop_front() {
            Some(w) => {
                q.lead_since = js_sys::Date::now();
                // The waiter's statements go with it: it leads with them.
                let _ = w.resolve.call1(&JsValue::NULL, &JsValue::from_str(LEAD));
            }
            None => q.lead_since = 0.0,
        }
    });
}

/// Waits for a queued batch's answer (its results, the lead, or "alone").
async fn wait(id: u64, promise: Promise) -> ApiResult<Heard> {
    let started = js_sys::Date::now();
    let mut answer = JsFuture::from(promise);
    loop {
        let timer = worker::Delay::from(Duration::from_millis(PATIENCE_MS as u64));
        match select(&mut answer, timer).await {
            Either::Left((Ok(v), _)) => {
                return Ok(match v.as_string().as_deref() {
                    Some(LEAD) => Heard::Lead,
                    Some(ALONE) => Heard::Alone,
                    _ => Heard::Results(Array::from(&v)),
                })
            }
            Either::Left((Err(_), _)) => return Ok(Heard::Alone),
            Either::Right(_) => {
                // Still queued means nobody carries these statements: leave, and lead if the lead
                // is stale (its request was cancelled), else run alone.
                let left = QUEUE.with(|q| {
                    let mut q = q.borrow_mut();
                    let pos = q.waiting.iter().position(|w| w.id == id)?;
                    q.waiting.remove(pos);
                    let now = js_sys::Date::now();
                    if now - q.lead_since > PATIENCE_MS {
                        q.lead_since = now;
                        Some(Heard::Lead)
                    } else {
                        Some(Heard::Alone)
                    }
                });
                if let Some(heard) = left {
                    return Ok(heard);
                }
                if js_sys::Date::now() - started > GIVE_UP_MS {
                    return Err(ApiError::Db(format!(
                        "no answer from D1 for this request's statements within {} s; they may or may not have been applied: retry (a repeat is counted, never doubled)",
                        GIVE_UP_MS as u64 / 1000
                    )));
                }
            }
        }
    }
}
