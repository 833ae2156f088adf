//! Metrics over HTTP: `GET /api/metrics` (JSON), `GET /api/metrics.csv` (the same rows as CSV)
//! and `GET /api/metrics/oncall-load` (pages, after-hours pages, hours on call per person).
//! Definitions and grouping live in `tocsin_domain::metrics`; the reads in `db::metrics`.
//!
//! Who: everyone of the organisation, observers included. The figures are aggregates of
//! incidents and pages every member can already read one by one (`GET /api/incidents` is open
//! to observers), and the people who read reports — managers, stakeholders — are often observers.

use std::collections::BTreeMap;

use tocsin_domain::api::metrics::{MetricsReport, OnCallLoadReport};
use tocsin_domain::ids::UserId;
use tocsin_domain::metrics::{self, buckets, oncall_load, query};
use tocsin_domain::schedule::{Layer, Override, Schedule};
use worker::Response;

use super::{json, views, Cx};
use crate::error::{ApiError, ApiResult};

fn parse_query(cx: &Cx, org_tz: Option<&str>) -> ApiResult<query::Query> {
    let q = |n: &str| cx.query(n);
    query::parse(q("from").as_deref(), q("to").as_deref(), q("group_by").as_deref(), q("tz").as_deref(), org_tz, cx.now).map_err(|e| ApiError::field(&e.field, e.message))
}

async fn report(cx: &Cx) -> ApiResult<MetricsReport> {
    let caller = cx.caller().await?;
    let org = caller.org_id();
    let ctx = cx.db.metrics_context(org).await?;
    let q = parse_query(cx, ctx.time_zone.as_deref())?;
    let incidents = cx.db.metrics_incidents(org, &ctx.services, q.from_ms, q.to_ms).await?;
    let b = buckets::buckets(q.group_by, q.time_zone, q.from_ms, q.to_ms);
    let (groups, total) = metrics::summarize(&incidents, q.group_by, &b);
    let names: BTreeMap<&str, &str> = ctx.services.iter().map(|s| (s.id.as_str(), s.name.as_str())).chain(ctx.teams.iter().map(|t| (t.id.as_str(), t.name.as_str()))).collect();
    Ok(metrics::assemble(&q, &b, &|id| names.get(id).map(|n| n.to_string()), groups, total))
}

/// `GET /api/metrics?from=&to=&group_by=&tz=`.
pub async fn get(cx: &Cx) -> ApiResult<Response> {
    json(200, &report(cx).await?)
}

/// `GET /api/metrics.csv?…`: the same query as CSV (RFC 4180), a download.
pub async fn csv(cx: &Cx) -> ApiResult<Response> {
    let r = report(cx).await?;
    let mut resp = Response::ok(metrics::csv::report(&r))?;
    let h = resp.headers_mut();
    h.set("Content-Type", "text/csv; charset=utf-8; header=present")?;
    // Only digits and dashes go into the file name (dates we formatted ourselves).
    let day = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%d").to_string();
    h.set("Content-Disposition", &format!("attachment; filename=\"tocsin-metrics-{}-{}-{}.csv\"", r.group_by.as_str(), day(r.from), day(r.to)))?;
    h.set("Cache-Control", "no-store")?;
    Ok(resp)
}

/// `GET /api/metrics/oncall-load?from=&to=&tz=`: each person's pages (and those after hours)
/// and hours on call over the range, busiest first.
pub async fn oncall_load(cx: &Cx) -> ApiResult<Response> {
    let caller = cx.caller().await?;
    let org = caller.org_id();
    let ctx = cx.db.metrics_context(org).await?;
    let q = parse_query(cx, ctx.time_zone.as_deref())?;
    let pages = cx.db.page_slots(org, q.from_ms, q.to_ms).await?;
    let overrides = cx.db.overrides(org, q.from_ms).await?;
    let schedules: Vec<Schedule> = cx
        .db
        .schedules(org)
        .await?
        .into_iter()
        .map(|s| Schedule {
            time_zone: tocsin_domain::status_page::uptime::tz_or_utc(&s.time_zone),
            layers: serde_json::from_str::<Vec<Layer>>(&s.layers).unwrap_or_default(),
            overrides: overrides
                .iter()
                .filter(|o| o.schedule_id == s.id)
                .map(|o| Override { user: UserId(o.user_id.clone()), start: views::time(o.starts_at), end: views::time(o.ends_at) })
                .collect(),
        })
        .collect();
    let on_call = oncall_load::on_call_ms(&schedules, q.from_ms, q.to_ms);
    let names: BTreeMap<String, String> = cx.db.user_names(org).await?.into_iter().collect();
    json(
        200,
        &OnCallLoadReport {
            from: views::time(q.from_ms),
            to: views::time(q.to_ms),
            time_zone: q.time_zone.name().to_string(),
            people: oncall_load::load(&names, &pages, &on_call, q.time_zone),
        },
    )
}
