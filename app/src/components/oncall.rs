//! "Who's on call" card: each schedule and who is on call in it now, with a two-tap "I'll take
//! it" (tap Take over, tap for how long).

use leptos::prelude::*;
use leptos::task::spawn_local;
use tocsin_domain::api::OnCallNow;

use crate::api::{self, ApiError};

fn iso(ms: f64) -> String {
    String::from(js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms)).to_iso_string())
}

/// `loaded` turns true once the first answer (or error) is shown: the page below can wait for it
/// so that the card growing does not push what it shows down (a layout shift).
#[component]
pub fn OnCallCard(loaded: RwSignal<bool>) -> impl IntoView {
    let data: RwSignal<Option<OnCallNow>> = RwSignal::new(None);
    let error: RwSignal<Option<ApiError>> = RwSignal::new(None);
    let load = move || {
        spawn_local(async move {
            match api::on_call_now().await {
                Ok(d) => data.set(Some(d)),
                Err(e) => error.set(Some(e)),
            }
            if !loaded.get_untracked() {
                loaded.set(true);
            }
        })
    };
    load();
    let choosing: RwSignal<Option<String>> = RwSignal::new(None);
    let take = move |schedule: String, hours: f64| {
        spawn_local(async move {
            let now = js_sys::Date::now();
            match api::cover(&schedule, &iso(now - 1000.0), &iso(now + hours * 3_600_000.0)).await {
                Ok(_) => {
                    choosing.set(None);
                    load();
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    view! {
        <section class="oncall" aria-labelledby="oncall-h">
            <h2 id="oncall-h">"Who's on call" <leptos_router::components::A href="/escalation-policies" attr:class="small-link">"Escalation policies"</leptos_router::components::A></h2>
            {move || error.get().map(|e| view! { <p class="error-note" role="alert">{e.message}</p> })}
            {move || data.get().map(|d| {
                if d.schedules.is_empty() {
                    return view! { <p class="muted">"No schedules yet."</p> }.into_any();
                }
                view! {
                    <ul class="events">
                        {d.schedules.into_iter().map(|s| {
                            let who = if s.on_call.is_empty() { "Nobody".to_string() } else { s.on_call.iter().map(|p| if p.deactivated { format!("{} (deactivated)", p.name) } else { p.name.clone() }).collect::<Vec<_>>().join(", ") };
                            // Everyone on call is deactivated: nobody would be paged.
                            let uncovered = s.uncovered && !s.on_call.is_empty();
                            let id = s.schedule_id.clone();
                            let id2 = id.clone();
                            view! {
                                <li>
                                    <div class="row">
                                        <span>
                                            <leptos_router::components::A href=format!("/schedules/{}", s.schedule_id)>{s.name.clone()}</leptos_router::components::A>
                                            ": "<strong class="oncall-who">{who}</strong>
                                            {uncovered.then(|| view! { " "<span class="badge status-triggered" title="Everyone on call is deactivated: nobody is paged">"uncovered"</span> })}
                                        </span>
                                        <button class="btn" on:click=move |_| choosing.set(Some(id.clone()))>"Take over"</button>
                                    </div>
                                    <Show when=move || choosing.get().as_deref() == Some(id2.as_str())>
                                        <div class="row take" role="group" aria-label="For how long">
                                            {[(1.0, "1 hour"), (4.0, "4 hours"), (12.0, "12 hours")].into_iter().map(|(h, label)| {
                                                let sid = s.schedule_id.clone();
                                                view! { <button class="btn primary" on:click=move |_| take(sid.clone(), h)>{label}</button> }
                                            }).collect_view()}
                                        </div>
                                    </Show>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }
                .into_any()
            })}
        </section>
    }
}
