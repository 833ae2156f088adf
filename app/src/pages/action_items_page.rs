//! The organisation's action items (`/action-items`): mine / overdue / all, narrowed by service
//! and team, open ones first (soonest due first); tick one done with one tap. The filter comes
//! from the address (`?filter=overdue`, as the overdue reminder's link opens it).

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_query_map;
use tocsin_domain::api::action_items::ActionItem;

use crate::api::{self, ApiError};
use crate::components::action_items::ActionItemRow;
use crate::components::ErrorNote;
use crate::state::{handle_error, session};

/// The list's query string for the chosen filters.
fn query(filter: &str, service: &str, team: &str, status: &str) -> String {
    let mut q = vec![format!("filter={filter}")];
    for (k, v) in [("service", service), ("team", team), ("status", status)] {
        if !v.is_empty() {
            q.push(format!("{k}={}", js_sys::encode_uri_component(v)));
        }
    }
    format!("?{}", q.join("&"))
}

#[component]
pub fn ActionItemsPage() -> impl IntoView {
    let session = session();
    let q = use_query_map();
    let filter = RwSignal::new(q.with_untracked(|q| q.get("filter")).filter(|f| ["all", "mine", "overdue"].contains(&f.as_str())).unwrap_or_else(|| "mine".into()));
    let service = RwSignal::new(q.with_untracked(|q| q.get("service")).unwrap_or_default());
    let team = RwSignal::new(q.with_untracked(|q| q.get("team")).unwrap_or_default());
    let status = RwSignal::new(String::new());
    let items: RwSignal<Option<Vec<ActionItem>>> = RwSignal::new(None);
    let error: RwSignal<Option<ApiError>> = RwSignal::new(None);
    let services: RwSignal<Vec<(String, String)>> = RwSignal::new(Vec::new());
    let teams: RwSignal<Vec<(String, String)>> = RwSignal::new(Vec::new());
    spawn_local(async move {
        if let Ok(l) = api::services().await {
            services.set(l.services.into_iter().map(|s| (s.id.to_string(), s.name)).collect());
        }
        if let Ok(l) = api::team_list().await {
            teams.set(l.teams.into_iter().map(|t| (t.id, t.name)).collect());
        }
    });
    Effect::new(move |_| {
        let qs = query(&filter.get(), &service.get(), &team.get(), &status.get());
        spawn_local(async move {
            match api::action_items(&qs).await {
                Ok(l) => {
                    items.set(Some(l.items));
                    error.set(None);
                }
                Err(e) => {
                    handle_error(session, &e);
                    error.set(Some(e));
                }
            }
        });
    });
    let on_change = Callback::new(move |a: ActionItem| items.update(|l| l.iter_mut().flatten().filter(|x| x.id == a.id).for_each(|x| *x = a.clone())));
    let tab = move |value: &'static str, label: &'static str| {
        view! {
            <button type="button" role="radio" class="chip" aria-checked=move || (filter.get() == value).to_string() on:click=move |_| filter.set(value.to_string())>{label}</button>
        }
    };
    view! {
        <crate::components::LearnNav/>
        <h1 class="page-title">"Action items"</h1>
        <div class="filters" role="radiogroup" aria-label="Show">
            {tab("mine", "Mine")}
            {tab("overdue", "Overdue")}
            {tab("all", "All")}
        </div>
        <div class="row ai-filters">
            <label>"Service"
                <select name="service" on:change=move |e| service.set(event_target_value(&e)) prop:value=move || service.get()>
                    <option value="">"Any"</option>
                    {move || services.get().into_iter().map(|(id, name)| view! { <option value=id>{name}</option> }).collect_view()}
                </select>
            </label>
            <label>"Team"
                <select name="team" on:change=move |e| team.set(event_target_value(&e)) prop:value=move || team.get()>
                    <option value="">"Any"</option>
                    {move || teams.get().into_iter().map(|(id, name)| view! { <option value=id>{name}</option> }).collect_view()}
                </select>
            </label>
            <label>"Status"
                <select name="status" on:change=move |e| status.set(event_target_value(&e)) prop:value=move || status.get()>
                    <option value="">"Any"</option>
                    <option value="open">"Open"</option>
                    <option value="done">"Done"</option>
                </select>
            </label>
        </div>
        <ErrorNote error=error/>
        {move || items.get().map(|list| {
            if list.is_empty() {
                let words = match filter.get().as_str() {
                    "mine" => "Nothing of yours here. Items you own show up here.",
                    "overdue" => "Nothing overdue.",
                    _ => "No action items yet. Add them on an incident or in its postmortem.",
                };
                return view! { <p class="muted empty">{words}</p> }.into_any();
            }
            let open = list.iter().filter(|a| a.status == tocsin_domain::action_items::ItemStatus::Open).count();
            let overdue = list.iter().filter(|a| a.overdue).count();
            view! {
                <p class="progress" role="status">{format!("{open} open · {overdue} overdue · {} in all", list.len())}</p>
                <ul class="action-items">
                    {list.into_iter().map(|a| view! { <ActionItemRow item=a on_change=on_change error=error show_incident=true/> }).collect_view()}
                </ul>
            }.into_any()
        })}
    }
}
