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
use worker::{D1Database, D1PreparedStatement, D1Result};

use crate::error::{ApiError, ApiResult};

pub struct Db {
    d1: D1Database,
}

/// A value bound to a `?` placeholder.
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
        Ok(self.stmt(sql, args)?.first::<T>(None).await?)
    }

    pub async fn all<T: DeserializeOwned>(&self, sql: &str, args: &[Arg<'_>]) -> ApiResult<Vec<T>> {
        let res = self.stmt(sql, args)?.all().await?;
        check(&res)?;
        Ok(res.results::<T>()?)
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
        let res = self.stmt_in(sql, values)?.all().await?;
        check(&res)?;
        Ok(res.results::<T>()?)
    }

    /// Runs one write and returns how many rows it changed.
    pub async fn run(&self, sql: &str, args: &[Arg<'_>]) -> ApiResult<usize> {
        let res = self.stmt(sql, args)?.run().await?;
        check(&res)?;
        Ok(changes(&res))
    }

    /// Runs statements atomically, in order, in one round trip.
    pub async fn batch(&self, stmts: Vec<D1PreparedStatement>) -> ApiResult<Vec<D1Result>> {
        let results = self.d1.batch(stmts).await.map_err(|e| match e {
            worker::Error::D1(d1) => ApiError::Db(d1.cause()),
            other => ApiError::Db(other.to_string()),
        })?;
        for r in &results {
            check(r)?;
        }
        Ok(results)
    }

    pub async fn ping(&self) -> ApiResult<()> {
        let one: Option<i64> = self.stmt("SELECT 1 AS one", &[])?.first(Some("one")).await?;
        match one {
            Some(1) => Ok(()),
            _ => Err(ApiError::Db("SELECT 1 returned no row".into())),
        }
    }
}

fn check(r: &D1Result) -> ApiResult<()> {
    match r.error() {
        Some(e) => Err(ApiError::Db(e)),
        None => Ok(()),
    }
}

pub fn changes(r: &D1Result) -> usize {
    r.meta().ok().flatten().and_then(|m| m.changes).unwrap_or(0)
}

pub fn rows<T: DeserializeOwned>(r: &D1Result) -> ApiResult<Vec<T>> {
    Ok(r.results::<T>()?)
}
