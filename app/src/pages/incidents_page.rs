//! The incident list: open incidents first, filter by status, big tap targets. It follows the
//! organisation's live list (`crate::live_list`): a new or changed incident shows at once; while
//! the live connection is down the list refreshes every 5 s instead.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use tocsin_domain::api::Incident;

use super::poll;
use crate::api::{self, ApiError};
use crate::components::{ago, now_ms, OnCallCard, SeverityBadge, StatusBadge};
use crate::live::Live;
use crate::live_list;
use crate::state::{handle_error, session};

/// Whether `incident` belongs in the list under the filter `status` (the API's parameter).
fn shown_under(status: &str, incident: &Incident) -> bool {
    match status {
        "" => true,
        "open" => incident.status.is_open(),
        s => incident.status.as_str() == s,
    }
}

/// Filter tabs: label and the API's `status` parameter.
const FILTERS: [(&str, &str); 5] = [
    ("Open", "open"),
    ("Triggered", "triggered"),
    ("Acknowledged", "acknowledged"),
    ("Resolved", "resolved"),
    ("All", ""),
];

#[component]
pub fn IncidentsPage() -> impl IntoView {
    let session = session();
    let filter = RwSignal::new("open");
    let incidents: RwSignal<Option<Vec<Incident>>> = RwSignal::new(None);
    let error: RwSignal<Option<ApiError>> = RwSignal::new(None);
    // What the live list sent since the last fetch began: applied again on top of the fetched
    // list, so a fetch that read the database before a change cannot undo it.
    let since_fetch: StoredValue<Vec<Incident>, LocalStorage> = StoredValue::new_local(Vec::new());
    let load = move || {
        let status = filter.get_untracked();
        since_fetch.set_value(Vec::new());
        spawn_local(async move {
            let answer = api::incidents(status).await;
            // The page went while the answer was on its way (its signals with it).
            if filter.is_disposed() {
                return;
            }
            match answer {
                Ok(mut list) => {
                    if filter.get_untracked() != status {
                        return; // a newer filter was chosen meanwhile
                    }
                    // Open incidents first, newest first within each group.
                    list.incidents.sort_by_key(|i| !i.status.is_open());
                    for i in since_fetch.get_value() {
                        let shown = shown_under(status, &i);
                        live_list::apply(&mut list.incidents, i, shown);
                    }
                    // The same list again (the re-read when the live list connects, the poll)
                    // redraws nothing.
                    if incidents.with_untracked(|cur| cur.as_ref() != Some(&list.incidents)) {
                        incidents.set(Some(list.incidents));
                    }
                    if error.with_untracked(Option::is_some) {
                        error.set(None);
                    }
                }
                Err(e) => {
                    handle_error(session, &e);
                    error.set(Some(e));
                }
            }
        })
    };
    let live = live_list::watch_list(load, move |changed: Vec<Incident>| {
        let status = filter.get_untracked();
        since_fetch.update_value(|s| s.extend(changed.iter().cloned()));
        incidents.update(|list| {
            if let Some(list) = list {
                for i in changed {
                    let shown = shown_under(status, &i);
                    live_list::apply(list, i, shown);
                }
            }
        });
    });
    // The safety net: while the live list is not connected, refresh every 5 s.
    poll(move || if live.get_untracked() != Live::Live { load() }, 5);
    let choose = move |status: &'static str| {
        filter.set(status);
        incidents.set(None);
        load();
    };
    let oncall_loaded = RwSignal::new(false);
    // A stalled on-call answer (a weak network) must never hide the incidents: after a moment
    // the list shows anyway (a late card then shifts it, which is the lesser harm).
    spawn_local(async move {
        gloo_timers::future::TimeoutFuture::new(1_500).await;
        // The page may have gone meanwhile (the signal with it).
        let _ = oncall_loaded.try_set(true);
    });
    view! {
        <OnCallCard loaded=oncall_loaded/>
        // The rest appears once the on-call card above has its rows: it grows as they arrive,
        // which would push whatever is below it down (a layout shift).
        <Show when=move || oncall_loaded.get()>
        <h1 class="page-title">"Incidents"</h1>
        <p class="live-note muted" data-live=move || if live.get() == Live::Live { "live" } else { "polling" }>
            {move || if live.get() == Live::Live { "● Live" } else { "Refreshing every 5 s" }}
        </p>
        <div class="filters" role="group" aria-label="Filter by status">
            {FILTERS
                .into_iter()
                .map(|(label, status)| {
                    view! {
                        <button
                            class="chip"
                            aria-pressed=move || if filter.get() == status { "true" } else { "false" }
                            on:click=move |_| choose(status)
                        >
                            {label}
                        </button>
                    }
                })
                .collect_view()}
        </div>
        {move || error.get().map(|e| view! { <p class="error-note" role="alert">{e.message}</p> })}
        <div aria-live="polite">
            {move || match incidents.get() {
                None => view! { <p class="muted">"Loading incidents…"</p> }.into_any(),
                Some(list) if list.is_empty() => view! {
                    <p class="empty">{if filter.get() == "open" { "No open incidents. All quiet." } else { "No incidents here." }}</p>
                }
                .into_any(),
                Some(list) => {
                    let now = now_ms();
                    view! {
                        <ul class="incident-list">
                            {list.into_iter().map(|i| view! { <li><IncidentCard incident=i now=now/></li> }).collect_view()}
                        </ul>
                    }
                    .into_any()
                }
            }}
        </div>
        </Show>
    }
}

#[component]
fn IncidentCard(incident: Incident, now: i64) -> impl IntoView {
    let href = format!("/incidents/{}", incident.id);
    let service = incident.service.as_ref().map(|s| s.name.clone()).unwrap_or_else(|| "No service".into());
    view! {
        <A href=href attr:class=format!("incident-card {}", incident.status.as_str())>
            <div class="card-top">
                <SeverityBadge severity=incident.severity/>
                <StatusBadge status=incident.status/>
                <span class="num">"#"{incident.number}</span>
            </div>
            <div class="card-title">{incident.title.clone()}</div>
            <div class="card-meta">{service}" · "{ago(incident.created_at, now)}</div>
        </A>
    }
}
