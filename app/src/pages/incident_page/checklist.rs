//! The Checklist tab: the incident's runbook steps, ticked or unticked with one tap (who and
//! when is shown), and a step added at the end.

use leptos::prelude::*;
use tocsin_domain::api::checklists::{AddStepRequest, ChecklistStep};

use super::Ws;
use crate::api;
use crate::components::{clock, Markdown};

#[component]
pub(super) fn ChecklistTab(ws: Ws) -> impl IntoView {
    let rest = ws.rest();
    let text = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = AddStepRequest { text: text.get_untracked().trim().to_string() };
        let id = ws.id.get_untracked();
        ws.write(busy, async move { api::add_step(&id, &body).await }, move |_| text.set(String::new()));
    };
    view! {
        <div class="tab-panel" role="tabpanel" aria-labelledby="tab-checklist">
            {move || {
                let steps = rest.with(|r| r.checklist.clone());
                if steps.is_empty() {
                    return view! { <p class="muted">"No checklist: the service has no runbook checklist. Add a step below."</p> }.into_any();
                }
                let done = steps.iter().filter(|s| s.done_at.is_some()).count();
                view! {
                    <p class="progress" aria-live="polite">{format!("{done} of {} done", steps.len())}</p>
                    <ol class="checklist">{steps.into_iter().map(|s| view! { <Step ws=ws step=s/> }).collect_view()}</ol>
                }.into_any()
            }}
            <Show when=move || ws.can_respond.get()>
                <form class="row add-step" on:submit=add novalidate aria-label="Add a step">
                    <label for="step-text" class="sr-only">"New step"</label>
                    <input id="step-text" name="text" placeholder="Add a step…" prop:value=move || text.get() on:input=move |e| text.set(event_target_value(&e))/>
                    <button class="btn" type="submit" disabled=move || busy.get() || text.with(|t| t.trim().is_empty())>"Add"</button>
                </form>
            </Show>
        </div>
    }
}

#[component]
fn Step(ws: Ws, step: ChecklistStep) -> impl IntoView {
    let busy = RwSignal::new(false);
    let done = step.done_at.is_some();
    let sid = step.id.clone();
    let tick = move |_| {
        let (id, sid) = (ws.id.get_untracked(), sid.clone());
        ws.write(busy, async move { api::tick_step(&id, &sid, !done).await }, |_| ());
    };
    let meta = match (&step.done_by, step.done_at) {
        (Some(p), Some(at)) => Some(format!("Done by {} · {}", p.name, clock(at))),
        (None, Some(at)) => Some(format!("Done · {}", clock(at))),
        _ => step.added_by.as_ref().map(|p| format!("Added by {}", p.name)),
    };
    let label_id = format!("step-{}", step.id);
    view! {
        <li class=if done { "step done" } else { "step" } data-step=step.id.clone()>
            <button class="tick" role="checkbox" aria-checked=done.to_string() aria-labelledby=label_id.clone()
                disabled=move || busy.get() || !ws.can_respond.get() on:click=tick>
                <span aria-hidden="true">{if done { "✓" } else { "" }}</span>
            </button>
            <div class="step-body">
                <div id=label_id><Markdown text=step.text.clone()/></div>
                {meta.map(|m| view! { <p class="card-meta">{m}</p> })}
            </div>
        </li>
    }
}
