//! The only code that writes SQL. One function per query, typed rows in and out; multi-statement
//! writes go in one D1 `batch` (one round trip, one transaction).

mod action_items;
mod audit;
mod command;
mod checklists;
mod import;
mod incidents;
mod ingest;
mod key_times;
mod live;
mod metrics;
mod oncall;
mod contacts;
mod paging;
mod postmortems;
mod readiness;
mod responders;
mod secrets;
mod services;
mod status;
mod status_updates;
mod teams;
mod users;

pub use action_items::*;
pub use audit::*;
pub use command::*;
pub use checklists::*;
pub use import::*;
pub use incidents::*;
pub use ingest::*;
pub use oncall::*;
pub use contacts::*;
pub use paging::*;
pub use postmortems::*;
pub use readiness::*;
pub use responders::*;
pub use secrets::*;
pub use services::*;
pub use status::*;
pub use status_updates::*;
pub use teams::*;
pub use users::*;

use serde::de::DeserializeOwned;
use wasm_bindgen::JsValue;
use wasm_bindgen::JsCast;
use worker::{D1Database, D1PreparedStatement};

use crate::error::{ApiError, ApiResult};

pub struct Db {
    d1: D1Database,
}

/// A value bound to a `?` placeholder.
#[derive(Clone)]
pub enum Arg<'a> {
    Text(&'a str),
    Int(i64),
    Null,
}

impl<'a> From<&'a str> for Arg<'a> {
    fn from(s: &'a str) -> Self {
        Arg::Text(s)
    }
}
impl<'a> From<&'a String> for Arg<'a> {
    fn from(s: &'a String) -> Self {
        Arg::Text(s)
    }
}
impl From<i64> for Arg<'_> {
    fn from(i: i64) -> Self {
        Arg::Int(i)
    }
}
impl<'a, T: Into<Arg<'a>>> From<Option<T>> for Arg<'a> {
    fn from(o: Option<T>) -> Self {
        o.map(Into::into).unwrap_or(Arg::Null)
    }
}

impl Arg<'_> {
    fn to_js(&self) -> JsValue {
        match self {
            Arg::Text(s) => JsValue::from_str(s),
            // D1 takes JS numbers; millisecond timestamps and counters fit in 53 bits.
            Arg::Int(i) => JsValue::from_f64(*i as f64),
            Arg::Null => JsValue::NULL,
        }
    }
}

macro_rules! args {
    ($($a:expr),* $(,)?) => { &[$($crate::db::Arg::from($a)),*] };
}
pub(crate) use args;

/// True when a write failed because a UNIQUE index already holds the value.
pub fn is_unique_violation(e: &ApiError) -> bool {
    matches!(e, ApiError::Db(m) | ApiError::Internal(m) if m.contains("UNIQUE constraint failed"))
}

impl Db {
    pub fn new(d1: D1Database) -> Self {
        Self { d1 }
    }

    pub fn stmt(&self, sql: &str, args: &[Arg<'_>]) -> ApiResult<D1PreparedStatement> {
        let values: Vec<JsValue> = args.iter().map(Arg::to_js).collect();
        Ok(self.d1.prepare(sql).bind(&values)?)
    }

    pub async fn first<T: DeserializeOwned>(&self, sql: &str, args: &[Arg<'_>]) -> ApiResult<Option<T>> {
        let row = call(self.stmt(sql, args)?.inner().first(None), 1, sql).await?;
        if row.is_null() || row.is_undefined() {
            return Ok(None);
        }
        decode(&row).map(Some)
    }

    pub async fn all<T: DeserializeOwned>(&self, sql: &str, args: &[Arg<'_>]) -> ApiResult<Vec<T>> {
        let res = D1Result(call(self.stmt(sql, args)?.inner().all(), 1, sql).await?);
        check(&res)?;
        rows(&res)
    }

    /// The `n` column of a query's first row (counts, maxima).
    pub async fn first_n(&self, sql: &str, args: &[Arg<'_>]) -> ApiResult<Option<i64>> {
        Ok(self.first::<serde_json::Value>(sql, args).await?.and_then(|v| v["n"].as_i64()))
    }

    /// One text column of a query's first row.
    pub async fn first_text(&self, sql: &str, args: &[Arg<'_>], column: &str) -> ApiResult<Option<String>> {
        Ok(self.first::<serde_json::Value>(sql, args).await?.and_then(|v| v[column].as_str().map(str::to_string)))
    }

    /// A statement with `{in}` standing for `?, ?, …`, one per value (D1 binds at most 100).
    pub fn stmt_in(&self, sql: &str, values: &[&str]) -> ApiResult<D1PreparedStatement> {
        let marks = vec!["?"; values.len()].join(", ");
        let args: Vec<Arg<'_>> = values.iter().map(|v| Arg::Text(v)).collect();
        self.stmt(&sql.replace("{in}", &marks), &args)
    }

    /// Rows of a query with `{in}` (see [`Db::stmt_in`]); no values, no rows.
    pub async fn all_in<T: DeserializeOwned>(&self, sql: &str, values: &[&str]) -> ApiResult<Vec<T>> {
        if values.is_empty() {
            return Ok(Vec::new());
        }
        let res = D1Result(call(self.stmt_in(sql, values)?.inner().all(), 1, sql).await?);
        check(&res)?;
        rows(&res)
    }

    /// Runs one write and returns how many rows it changed.
    pub async fn run(&self, sql: &str, args: &[Arg<'_>]) -> ApiResult<usize> {
        let res = D1Result(call(self.stmt(sql, args)?.inner().run(), 1, sql).await?);
        check(&res)?;
        Ok(changes(&res))
    }

    /// Runs statements atomically, in order, in one round trip.
    pub async fn batch(&self, stmts: Vec<D1PreparedStatement>) -> ApiResult<Vec<D1Result>> {
        let n = stmts.len() as u64;
        let label = stmts.first().and_then(|s| js_sys::Reflect::get(s.inner(), &JsValue::from_str("statement")).ok()).and_then(|v| v.as_string()).unwrap_or_default();
        let list: js_sys::Array = stmts.iter().map(|s| JsValue::from(s.inner().clone())).collect();
        let d1: &worker::worker_sys::D1Database = self.d1.as_ref().unchecked_ref();
        let results = call(d1.batch(list), n, &format!("batch of {n}: {label}")).await?;
        let results: Vec<D1Result> = js_sys::Array::from(&results).iter().map(D1Result).collect();
        for r in &results {
            check(r)?;
        }
        Ok(results)
    }

    pub async fn ping(&self) -> ApiResult<()> {
        let one: Option<serde_json::Value> = self.first("SELECT 1 AS one", &[]).await?;
        match one.and_then(|v| v["one"].as_i64()) {
            Some(1) => Ok(()),
            _ => Err(ApiError::Db("SELECT 1 returned no row".into())),
        }
    }
}

/// One statement's outcome as D1 answered it: its rows, `meta.changes` and `error`, read from the
/// JS object only when asked (see [`rows`], [`changes`]).
pub struct D1Result(JsValue);

thread_local! {
    /// Round trips to D1 and statements sent, by this isolate since it started (for
    /// `GET /api/admin/runtime`: the benches divide them by the events they sent).
    static CALLS: std::cell::Cell<(u64, u64)> = const { std::cell::Cell::new((0, 0)) };
    /// Round trips by the start of their (first) statement, for finding where they come from:
    /// (round trips, milliseconds awaited in all).
    static BY_SQL: std::cell::RefCell<std::collections::HashMap<String, (u64, f64)>> = Default::default();
}

/// (round trips, statements) this isolate has sent to D1.
pub fn d1_calls() -> (u64, u64) {
    CALLS.with(|c| c.get())
}

/// The statements this isolate sent (start of the SQL, round trips, milliseconds awaited), the
/// `n` sent most often, or awaited longest in all when `by_time`.
pub fn d1_top(n: usize, by_time: bool) -> Vec<(String, u64, u64)> {
    let mut all: Vec<(String, u64, f64)> = BY_SQL.with(|b| b.borrow().iter().map(|(k, v)| (k.clone(), v.0, v.1)).collect());
    if by_time {
        all.sort_by(|a, b| b.2.total_cmp(&a.2));
    } else {
        all.sort_by(|a, b| b.1.cmp(&a.1));
    }
    all.into_iter().take(n).map(|(sql, calls, ms)| (sql, calls, ms.round() as u64)).collect()
}

/// Awaits one D1 round trip of `statements` statements; a refusal becomes `ApiError::Db` with
/// D1's own message (its `cause` when it has one).
async fn call(promise: Result<js_sys::Promise, JsValue>, statements: u64, sql: &str) -> ApiResult<JsValue> {
    CALLS.with(|c| {
        let (calls, stmts) = c.get();
        c.set((calls + 1, stmts + statements));
    });
    let key = statement_key(sql);
    let started = js_sys::Date::now();
    let answer = match promise {
        Ok(p) => wasm_bindgen_futures::JsFuture::from(p).await.map_err(|e| ApiError::Db(js_message(&e))),
        Err(e) => Err(ApiError::Db(js_message(&e))),
    };
    let waited = js_sys::Date::now() - started;
    BY_SQL.with(|b| {
        let mut b = b.borrow_mut();
        // Bounded: new statements stop being listed after 500, known ones keep counting.
        if let Some((n, ms)) = b.get_mut(&key) {
            *n += 1;
            *ms += waited;
        } else if b.len() < 500 {
            b.insert(key, (1, waited));
        }
    });
    answer
}

/// A statement's name in the figures: its start, whitespace squashed and each run of digits as
/// `#` (a literal time or number written into the SQL must not make every call a new name).
fn statement_key(sql: &str) -> String {
    let mut key = String::new();
    for c in sql.split_whitespace().collect::<Vec<_>>().join(" ").chars() {
        if c.is_ascii_digit() {
            if !key.ends_with('#') {
                key.push('#');
            }
        } else {
            key.push(c);
        }
        if key.chars().count() >= 90 {
            break;
        }
    }
    key
}

fn js_message(e: &JsValue) -> String {
    let get = |v: &JsValue, k: &str| js_sys::Reflect::get(v, &JsValue::from_str(k)).ok().filter(|x| !x.is_undefined() && !x.is_null());
    let of = |v: &JsValue| get(v, "message").and_then(|m| m.as_string()).or_else(|| v.as_string());
    get(e, "cause").and_then(|c| of(&c)).or_else(|| of(e)).unwrap_or_else(|| "D1 refused the query".into())
}

/// A D1 value in Rust: one `JSON.stringify` in JS and one parse here, rather than a crossing of
/// the JS boundary per field (the rows D1 hands back are plain JSON values).
fn decode<T: DeserializeOwned>(v: &JsValue) -> ApiResult<T> {
    let text: String = js_sys::JSON::stringify(v).map_err(|e| ApiError::Internal(format!("D1 rows: {}", js_message(&e))))?.into();
    serde_json::from_str(&text).map_err(|e| ApiError::Internal(format!("D1 rows: {e}")))
}

fn field(r: &D1Result, k: &str) -> Option<JsValue> {
    js_sys::Reflect::get(&r.0, &JsValue::from_str(k)).ok().filter(|v| !v.is_undefined() && !v.is_null())
}

fn check(r: &D1Result) -> ApiResult<()> {
    match field(r, "error").and_then(|e| e.as_string()) {
        Some(e) => Err(ApiError::Db(e)),
        None => Ok(()),
    }
}

pub fn changes(r: &D1Result) -> usize {
    field(r, "meta").and_then(|m| js_sys::Reflect::get(&m, &JsValue::from_str("changes")).ok()).and_then(|c| c.as_f64()).unwrap_or(0.0) as usize
}

pub fn rows<T: DeserializeOwned>(r: &D1Result) -> ApiResult<Vec<T>> {
    match field(r, "results") {
        Some(list) => decode(&list),
        None => Ok(Vec::new()),
    }
}
