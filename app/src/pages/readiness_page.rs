//! Readiness: what the next incident will trip over (`GET /api/readiness`), grouped by kind with
//! blocking groups first, each row a link to the page where it is fixed; "Ready" when there is
//! nothing. Also [`RunbookReview`], the runbook checklist's "last reviewed" and "Mark reviewed"
//! on a service's page (where its template lives).

use leptos::prelude::*;
use leptos::task::spawn_local;
use tocsin_domain::api::readiness::{ChecklistReview, Finding, FindingKind, FindingSeverity, ReadinessReport};

use crate::api::{self, ApiError};
use crate::components::ErrorNote;
use crate::state::{handle_error, session};

/// The wire name of a kind (`schedule_gap`), for `data-kind`.
fn kind_name(k: FindingKind) -> String {
    serde_json::to_value(k).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
}

/// Groups in display order: kinds with a blocking finding first, then the rest, each in the
/// kinds' own order; within a group blocking rows first (the server's order).
fn groups(findings: &[Finding]) -> Vec<(FindingKind, bool, Vec<Finding>)> {
    let mut out: Vec<(FindingKind, bool, Vec<Finding>)> = FindingKind::ALL
        .iter()
        .map(|k| {
            let rows: Vec<Finding> = findings.iter().filter(|f| f.kind == *k).cloned().collect();
            (*k, rows.iter().any(|f| f.severity == FindingSeverity::Blocking), rows)
        })
        .filter(|(_, _, rows)| !rows.is_empty())
        .collect();
    out.sort_by_key(|(k, blocking, _)| (!*blocking, *k));
    out
}

#[component]
pub fn ReadinessPage() -> impl IntoView {
    let session = session();
    let report: RwSignal<Option<ReadinessReport>> = RwSignal::new(None);
    let error: RwSignal<Option<ApiError>> = RwSignal::new(None);
    let loading = RwSignal::new(false);
    let load = move || {
        loading.set(true);
        spawn_local(async move {
            match api::readiness().await {
                Ok(r) => {
                    report.set(Some(r));
                    error.set(None);
                }
                Err(e) => {
                    handle_error(session, &e);
                    error.set(Some(e));
                }
            }
            loading.set(false);
        });
    };
    load();
    view! {
        <crate::components::LearnNav/>
        <h1 class="page-title">"Readiness"</h1>
        <ErrorNote error=error/>
        {move || report.get().map(|r| {
            if r.findings.is_empty() {
                return view! {
                    <section class="panel ready" aria-labelledby="ready-h">
                        <h2 id="ready-h">"Ready"</h2>
                        <p>"Nothing the next incident will trip over: every service has a policy, every schedule is covered for the next 14 days by someone who can be reached, runbooks are reviewed, no action item is overdue, every integration has been heard from in the last 30 days."</p>
                    </section>
                }
                .into_any();
            }
            let summary = format!(
                "{} blocking · {} {} · times in {}",
                r.blocking,
                r.warnings,
                if r.warnings == 1 { "warning" } else { "warnings" },
                r.time_zone
            );
            view! {
                <p class="readiness-summary" role="status">{summary}</p>
                {groups(&r.findings).into_iter().map(|(kind, _, rows)| {
                    let id = format!("kind-{}", kind_name(kind));
                    let label = id.clone();
                    view! {
                        <section class="finding-group" aria-labelledby=label>
                            <h2 id=id>{kind.title()}" ("{rows.len()}")"</h2>
                            <ul class="findings">
                                {rows.into_iter().map(|f| view! { <li><FindingRow finding=f/></li> }).collect_view()}
                            </ul>
                        </section>
                    }
                }).collect_view()}
            }
            .into_any()
        })}
        <button class="btn wide" on:click=move |_| load() disabled=move || loading.get()>
            {move || if loading.get() { "Checking…" } else { "Check again" }}
        </button>
    }
}

#[component]
fn FindingRow(finding: Finding) -> impl IntoView {
    let blocking = finding.severity == FindingSeverity::Blocking;
    let related = finding.related.as_ref().map(|r| format!(" · {}", r.name));
    view! {
        <a
            class=if blocking { "finding blocking" } else { "finding warning" }
            href=finding.fix_path.clone()
            data-kind=kind_name(finding.kind)
            data-subject=finding.subject.id.clone()
        >
            <span class="finding-top">
                <span class=if blocking { "badge sev-blocking" } else { "badge sev-warning" }>{if blocking { "Blocking" } else { "Warning" }}</span>
                <strong class="finding-subject">{finding.subject.name.clone()}{related}</strong>
            </span>
            <span class="finding-message">{finding.message.clone()}</span>
            <span class="finding-fix">"Fix it ›"</span>
        </a>
    }
}

/// "10 Mar 2026" in the browser's time zone.
fn day(t: chrono::DateTime<chrono::Utc>) -> String {
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(t.timestamp_millis() as f64));
    format!("{} {} {}", d.get_date(), MONTHS[(d.get_month() as usize).min(11)], d.get_full_year())
}

/// On a service's page: its runbook checklist's steps, when it was last reviewed and by whom,
/// and (admins) "Mark reviewed".
#[component]
pub fn RunbookReview(#[prop(into)] service_id: String, is_admin: Signal<bool>) -> impl IntoView {
    let session = session();
    let review: RwSignal<Option<ChecklistReview>> = RwSignal::new(None);
    let steps: RwSignal<Vec<String>> = RwSignal::new(Vec::new());
    let error: RwSignal<Option<ApiError>> = RwSignal::new(None);
    let busy = RwSignal::new(false);
    let id = StoredValue::new(service_id);
    spawn_local(async move {
        let sid = id.get_value();
        match (api::checklist_review(&sid).await, api::checklist_template(&sid).await) {
            (Ok(r), Ok(t)) => {
                review.set(Some(r));
                steps.set(t.steps.into_iter().map(|s| s.text).collect());
            }
            (Err(e), _) | (_, Err(e)) => {
                handle_error(session, &e);
                error.set(Some(e));
            }
        }
    });
    let mark = move |_| {
        busy.set(true);
        spawn_local(async move {
            match api::mark_checklist_reviewed(&id.get_value()).await {
                Ok(r) => {
                    review.set(Some(r));
                    error.set(None);
                }
                Err(e) => {
                    handle_error(session, &e);
                    error.set(Some(e));
                }
            }
            busy.set(false);
        });
    };
    view! {
        <section id="runbook" class="panel" aria-labelledby="runbook-h">
            <h2 id="runbook-h">"Runbook checklist"</h2>
            <ErrorNote error=error/>
            {move || {
                let s = steps.get();
                if s.is_empty() {
                    view! { <p class="muted">"No steps yet: incidents on this service start with an empty checklist."</p> }.into_any()
                } else {
                    view! { <ol class="runbook-steps">{s.into_iter().map(|t| view! { <li>{t}</li> }).collect_view()}</ol> }.into_any()
                }
            }}
            {move || review.get().map(|r| {
                let stale = r.review_due_at.is_some_and(|d| d.timestamp_millis() < crate::components::now_ms());
                let text = match (&r.reviewed_at, &r.reviewed_by) {
                    (Some(at), Some(by)) => format!("Last reviewed {} by {}", day(*at), by.name),
                    (Some(at), None) => format!("Last reviewed {}", day(*at)),
                    _ => "Never reviewed".to_string(),
                };
                view! {
                    <p class=if stale || r.reviewed_at.is_none() { "reviewed card-meta warn" } else { "reviewed card-meta" }>
                        {text}{stale.then_some(" — over 90 days ago")}
                    </p>
                }
            })}
            <Show when=move || is_admin.get()>
                <button class="btn mark-reviewed" on:click=mark disabled=move || busy.get()>"Mark reviewed"</button>
                <p class="hint">"Saving the checklist counts as a review too."</p>
            </Show>
        </section>
    }
}
