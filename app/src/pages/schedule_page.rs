//! A schedule's next 14 days as a readable timeline: one row per layer, then the final rota
//! (what actually applies, overrides included), each shift with its local start and end.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;
use tocsin_domain::api::{ScheduleTimeline, TimelineRow};

use crate::api::{self, ApiError};
use crate::components::{clock, ErrorNote};
use crate::state::{handle_error, session};

#[component]
pub fn SchedulePage() -> impl IntoView {
    let session = session();
    let params = use_params_map();
    let data: RwSignal<Option<ScheduleTimeline>> = RwSignal::new(None);
    let error: RwSignal<Option<ApiError>> = RwSignal::new(None);
    let id = params.with_untracked(|p| p.get("id").unwrap_or_default());
    spawn_local(async move {
        match api::schedule_timeline(&id, 14).await {
            Ok(t) => data.set(Some(t)),
            Err(e) => {
                handle_error(session, &e);
                error.set(Some(e));
            }
        }
    });
    view! {
        <p class="back"><A href="/">"‹ Incidents"</A></p>
        <ErrorNote error=error/>
        {move || data.get().map(|t| view! {
            <h1>{t.name.clone()}</h1>
            <p class="muted">"Next 14 days · times in your time zone (schedule: "{t.time_zone.clone()}")"</p>
            <Row row=t.final_row.clone() strong=true/>
            {t.layers.into_iter().map(|l| view! { <Row row=l strong=false/> }).collect_view()}
        })}
    }
}

#[component]
fn Row(row: TimelineRow, strong: bool) -> impl IntoView {
    view! {
        <section class=if strong { "panel timeline-row final" } else { "panel timeline-row" } aria-label=row.name.clone()>
            <h2>{row.name.clone()}</h2>
            {if row.shifts.is_empty() {
                view! { <p class="muted">"Nobody on call."</p> }.into_any()
            } else {
                view! {
                    <ol class="shifts">
                        {row.shifts.into_iter().map(|s| view! {
                            <li>
                                <strong>{s.people.iter().map(|p| if p.deactivated { format!("{} (deactivated)", p.name) } else { p.name.clone() }).collect::<Vec<_>>().join(", ")}</strong>
                                {s.uncovered.then(|| view! { " "<span class="badge status-triggered" title="Everyone on this shift is deactivated: nobody is paged">"uncovered"</span> })}
                                <span class="card-meta">" "{clock(s.start)}" → "{clock(s.end)}</span>
                            </li>
                        }).collect_view()}
                    </ol>
                }
                .into_any()
            }}
        </section>
    }
}
