//! Insights: MTTA/MTTR/MTTD/MTBF over the last 30, 90 or 365 days (`GET /api/metrics`), as
//! trend charts drawn here as inline SVG (a few bars, no chart library) and as an accessible
//! table with the same numbers; beside them the on-call load per person
//! (`GET /api/metrics/oncall-load`). The definitions are in the README's "Metrics" section.

use leptos::prelude::*;
use leptos::task::spawn_local;
use tocsin_domain::api::metrics::{MetricsGroup, MetricsReport, OnCallLoadReport, Stat};

use crate::api::{self, ApiError};
use crate::components::ErrorNote;
use crate::state::{handle_error, session};

/// Seconds as a person reads a duration: `45s`, `4m`, `1h 4m`, `2d 3h`.
fn duration(s: Option<i64>) -> String {
    let Some(s) = s else { return "–".into() };
    let m = (s + 30) / 60;
    match s {
        ..=59 => format!("{s}s"),
        60..=3599 => format!("{m}m"),
        3600..=86_399 => match m % 60 {
            0 => format!("{}h", m / 60),
            r => format!("{}h {r}m", m / 60),
        },
        _ => match (s + 1800) / 3600 % 24 {
            0 => format!("{}d", (s + 1800) / 86_400),
            h => format!("{}d {h}h", (s + 1800) / 86_400),
        },
    }
}

fn iso(ms: f64) -> String {
    chrono::DateTime::from_timestamp_millis(ms as i64).unwrap_or_default().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// One bar chart: a value per group, labelled below. The SVG has an accessible name that says
/// what it shows; the numbers are in the table below it too.
fn chart(title: &'static str, groups: &[MetricsGroup], value: fn(&MetricsGroup) -> Option<i64>, show: fn(Option<i64>) -> String) -> impl IntoView {
    let (w, h, top, bottom) = (340.0_f64, 150.0_f64, 16.0_f64, 22.0_f64);
    let max = groups.iter().filter_map(value).max().unwrap_or(0).max(1) as f64;
    let n = groups.len().max(1) as f64;
    let slot = w / n;
    let bars: Vec<_> = groups
        .iter()
        .enumerate()
        .map(|(i, g)| {
            let v = value(g);
            let bh = v.map(|v| (v as f64 / max) * (h - top - bottom)).unwrap_or(0.0).max(if v.is_some() { 1.0 } else { 0.0 });
            let x = i as f64 * slot + slot * 0.15;
            view! {
                <rect x=format!("{x:.1}") y=format!("{:.1}", h - bottom - bh) width=format!("{:.1}", slot * 0.7) height=format!("{bh:.1}") class="bar"
                    data-label=g.label.clone() data-value=show(v)></rect>
            }
        })
        .collect();
    // At most 6 labels along the axis, so they never overlap on a phone.
    let every = (groups.len() / 6).max(1);
    let labels: Vec<_> = groups
        .iter()
        .enumerate()
        .filter(|(i, _)| i % every == 0)
        .map(|(i, g)| {
            let short = axis_label(&g.label);
            view! { <text x=format!("{:.1}", i as f64 * slot + slot / 2.0) y=format!("{:.1}", h - 6.0) text-anchor="middle" class="axis">{short}</text> }
        })
        .collect();
    let summary = {
        let shown: Vec<String> = groups.iter().filter(|g| value(g).is_some()).map(|g| format!("{} {}", g.label, show(value(g)))).collect();
        if shown.is_empty() { format!("{title}: no data in this range") } else { format!("{title}: {}", shown.join(", ")) }
    };
    view! {
        <figure class="chart">
            <figcaption>{title}</figcaption>
            <svg class="trend" role="img" aria-label=summary viewBox=format!("0 0 {w} {h}") preserveAspectRatio="none">
                <line x1="0" x2=w.to_string() y1=format!("{:.1}", h - bottom) y2=format!("{:.1}", h - bottom) class="axis-line"/>
                {bars}
                {labels}
                <text x="2" y="11" class="axis">{show(Some(max as i64))}</text>
            </svg>
        </figure>
    }
}

fn count(n: Option<i64>) -> String {
    n.map(|n| n.to_string()).unwrap_or_else(|| "–".into())
}

/// A bucket's label short enough for the axis: a week or month drops its year ("2 Nov 2026" →
/// "2 Nov"), anything else longer than 9 characters ends in "…" (the table has the full label).
fn axis_label(label: &str) -> String {
    if let Some((head, year)) = label.rsplit_once(' ') {
        if year.len() == 4 && year.chars().all(|c| c.is_ascii_digit()) {
            return head.to_string();
        }
    }
    if label.chars().count() > 9 { format!("{}…", label.chars().take(8).collect::<String>()) } else { label.to_string() }
}

fn table(r: &MetricsReport) -> impl IntoView {
    let head = match r.group_by.as_str() {
        "week" => "Week of",
        "month" => "Month",
        "service" => "Service",
        "team" => "Team",
        _ => "Severity",
    };
    let row = |g: &MetricsGroup, total: bool| {
        let mean = |s: &Stat| duration(s.mean_seconds);
        view! {
            <tr data-key=g.key.clone() class:total=total>
                <th scope="row">{g.label.clone()}</th>
                <td>{g.incidents}</td>
                <td>{mean(&g.mtta)}</td>
                <td>{mean(&g.mttr)}</td>
                <td>{duration(g.mttr.p90_seconds)}</td>
                <td>{mean(&g.mttd)}</td>
                <td>{mean(&g.mtbf)}</td>
                <td>{g.open}</td>
                <td>{g.noise + g.merged}</td>
            </tr>
        }
    };
    let rows: Vec<_> = r.groups.iter().map(|g| row(g, false)).collect();
    view! {
        <div class="table-scroll" tabindex="0" role="region" aria-labelledby="metrics-table-caption">
            <table class="metrics-table">
                <caption id="metrics-table-caption">{format!("Means (and MTTR p90) by {}, times in {}", r.group_by.as_str(), r.time_zone)}</caption>
                <thead><tr>
                    <th scope="col">{head}</th><th scope="col">"Incidents"</th><th scope="col">"MTTA"</th><th scope="col">"MTTR"</th>
                    <th scope="col">"MTTR p90"</th><th scope="col">"MTTD"</th><th scope="col">"MTBF"</th><th scope="col">"Open"</th>
                    <th scope="col"><abbr title="noise or merged: not counted">"Left out"</abbr></th>
                </tr></thead>
                <tbody>{rows}</tbody>
                <tfoot>{row(&r.total, true)}</tfoot>
            </table>
        </div>
    }
}

fn load_table(l: &OnCallLoadReport) -> impl IntoView {
    if l.people.is_empty() {
        return view! { <p class="muted">"Nobody was paged or on call in this range."</p> }.into_any();
    }
    let rows: Vec<_> = l
        .people
        .iter()
        .map(|p| view! { <tr><th scope="row">{p.user.name.clone()}</th><td>{p.pages}</td><td>{p.after_hours_pages}</td><td>{format!("{:.1}", p.hours_on_call)}</td></tr> })
        .collect();
    view! {
        <div class="table-scroll" tabindex="0" role="region" aria-labelledby="load-table-caption">
            <table class="metrics-table load-table">
                <caption id="load-table-caption">{format!("After hours: outside 09:00–18:00 Monday–Friday ({})", l.time_zone)}</caption>
                <thead><tr><th scope="col">"Person"</th><th scope="col">"Pages"</th><th scope="col">"After hours"</th><th scope="col">"Hours on call"</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
    .into_any()
}

#[component]
pub fn InsightsPage() -> impl IntoView {
    let session = session();
    let days = RwSignal::new(30_i64);
    let group_by = RwSignal::new("week".to_string());
    let report: RwSignal<Option<MetricsReport>> = RwSignal::new(None);
    let load: RwSignal<Option<OnCallLoadReport>> = RwSignal::new(None);
    let error: RwSignal<Option<ApiError>> = RwSignal::new(None);
    Effect::new(move |_| {
        let (d, g) = (days.get(), group_by.get());
        let now = js_sys::Date::now();
        let (from, to) = (iso(now - d as f64 * 86_400_000.0), iso(now));
        spawn_local(async move {
            match api::metrics(&from, &to, &g).await {
                Ok(r) => {
                    report.set(Some(r));
                    error.set(None);
                }
                Err(e) => {
                    handle_error(session, &e);
                    error.set(Some(e));
                }
            }
            if let Ok(l) = api::oncall_load(&from, &to).await {
                load.set(Some(l));
            }
        });
    });
    view! {
        <crate::components::LearnNav/>
        <h1 class="page-title">"Insights"</h1>
        <div class="insights-pickers">
            <label>"Range"
                <select id="insights-range" on:change=move |ev| days.set(event_target_value(&ev).parse().unwrap_or(30))>
                    <option value="30" selected=true>"Last 30 days"</option>
                    <option value="90">"Last 90 days"</option>
                    <option value="365">"Last 365 days"</option>
                </select>
            </label>
            <label>"Group by"
                <select id="insights-group" on:change=move |ev| group_by.set(event_target_value(&ev))>
                    <option value="week" selected=true>"Week"</option>
                    <option value="month">"Month"</option>
                    <option value="service">"Service"</option>
                    <option value="team">"Team"</option>
                    <option value="severity">"Severity"</option>
                </select>
            </label>
        </div>
        <ErrorNote error=error/>
        {move || report.get().map(|r| {
            let t = &r.total;
            let summary = format!(
                "{} incidents · MTTA {} · MTTR {} (p90 {}) · {} open · {} left out (noise or merged)",
                t.incidents, duration(t.mtta.mean_seconds), duration(t.mttr.mean_seconds), duration(t.mttr.p90_seconds), t.open, t.noise + t.merged
            );
            view! {
                <p class="insights-summary" role="status">{summary}</p>
                <section class="panel" aria-labelledby="trends-h">
                    <h2 id="trends-h">"Trends"</h2>
                    {chart("MTTR (mean)", &r.groups, |g| g.mttr.mean_seconds, duration)}
                    {chart("MTTA (mean)", &r.groups, |g| g.mtta.mean_seconds, duration)}
                    {chart("Incidents", &r.groups, |g| Some(g.incidents as i64), count)}
                </section>
                <section class="panel" aria-labelledby="numbers-h">
                    <h2 id="numbers-h">"Numbers"</h2>
                    {table(&r)}
                </section>
            }
        })}
        <section class="panel" aria-labelledby="load-h">
            <h2 id="load-h">"On-call load"</h2>
            {move || load.get().map(|l| load_table(&l))}
        </section>
    }
}
