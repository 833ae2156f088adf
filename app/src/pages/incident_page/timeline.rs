//! The Timeline tab: the record in order, filtered (all / people / automatic / highlights),
//! rows marked as highlights with one tap, and the note form.

use leptos::prelude::*;
use tocsin_domain::api::{NoteRequest, TimelineEntry};
use tocsin_domain::workspace::TimelineFilter;

use super::Ws;
use crate::api::{self, ApiError};
use crate::components::{clock, lazy_part, Field, Markdown};

#[component]
pub(super) fn TimelineTab(ws: Ws) -> impl IntoView {
    let filter = RwSignal::new(TimelineFilter::All);
    let rows = move || {
        let f = filter.get();
        ws.with(|d| d.timeline.iter().filter(|r| f.shows(r, &d.highlights)).map(|r| (r.clone(), d.highlights.contains(&r.seq))).collect::<Vec<_>>())
    };
    view! {
        <div class="tab-panel" role="tabpanel" aria-labelledby="tab-timeline">
            <div class="filters" role="group" aria-label="Show">
                {TimelineFilter::ALL.into_iter().map(|f| view! {
                    <button class="chip" data-filter=f.label().to_ascii_lowercase() aria-pressed=move || (filter.get() == f).to_string() on:click=move |_| filter.set(f)>{f.label()}</button>
                }).collect_view()}
            </div>
            {move || {
                let rows = rows();
                if rows.is_empty() {
                    view! { <p class="muted empty-filter">"Nothing here yet."</p> }.into_any()
                } else {
                    view! {
                        <ol class="timeline">
                            {rows.into_iter().map(|(entry, hl)| view! { <Row ws=ws entry=entry highlighted=hl/> }).collect_view()}
                        </ol>
                    }.into_any()
                }
            }}
            <Show when=move || ws.can_respond.get()>
                {lazy_part(super::on_demand::incident_note_form(ws))}
            </Show>
        </div>
    }
}

#[component]
fn Row(ws: Ws, entry: TimelineEntry, highlighted: bool) -> impl IntoView {
    let busy = RwSignal::new(false);
    let seq = entry.seq;
    let toggle = move |_| {
        let id = ws.id.get_untracked();
        ws.write(busy, async move { api::set_highlight(&id, seq, !highlighted).await }, |_| ());
    };
    let person = entry.actor.kind == tocsin_domain::api::ActorKind::User;
    let class = format!("tl-row{}{}", if highlighted { " highlight" } else { "" }, if person { " by-person" } else { " automatic" });
    view! {
        <li class=class data-seq=seq.to_string() data-kind=entry.kind.clone()>
            <div class="tl-head">
                <time datetime=entry.at.to_rfc3339()>{clock(entry.at)}</time>
                <span class="tl-actor">{entry.actor.name.clone()}</span>
                <Show when=move || ws.can_respond.get()>
                    <button class="hl-btn" aria-pressed=highlighted.to_string() disabled=move || busy.get() on:click=toggle
                        title=if highlighted { "Remove the highlight" } else { "Mark as a highlight" }>
                        <span aria-hidden="true">{if highlighted { "★" } else { "☆" }}</span>
                        <span class="sr-only">"Highlight"</span>
                    </button>
                </Show>
            </div>
            // Notes, and rows quoting a step or an update, carry Markdown (rendered safely).
            {if entry.kind == "note" || entry.kind.starts_with("checklist.") || entry.kind.starts_with("status_update.") {
                view! { <Markdown text=entry.message.clone() class="tl-msg"/> }.into_any()
            } else {
                view! { <span class="tl-msg">{entry.message.clone()}</span> }.into_any()
            }}
        </li>
    }
}

/// "Add a note" under the timeline: what was tried, what was learned (chat destinations hear it).
/// Created once with the tab, so a live update never clears what is being typed; its code arrives
/// just after the timeline's (`on_demand::incident_note_form`).
#[component]
pub(super) fn NoteForm(ws: Ws) -> impl IntoView {
    let body = RwSignal::new(String::new());
    let error: RwSignal<Option<ApiError>> = RwSignal::new(None);
    let busy = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let text = body.get_untracked().trim().to_string();
        if text.is_empty() {
            error.set(Some(ApiError { status: 400, message: "Write the note first.".into(), field: Some("body".into()) }));
            return;
        }
        let id = ws.id.get_untracked();
        busy.set(true);
        leptos::task::spawn_local(async move {
            match api::add_note(&id, &NoteRequest { body: text }).await {
                Ok(entry) => {
                    body.set(String::new());
                    error.set(None);
                    ws.detail.update(|d| {
                        if let Some(d) = d {
                            tocsin_domain::workspace::merge_rows(&mut d.timeline, vec![entry]);
                        }
                    });
                }
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };
    view! {
        <form class="panel note-form" on:submit=submit novalidate aria-label="Add a note">
            <Field name="body" id="note-body" label="Add a note" kind="textarea" hint="Markdown: **bold**, *italic*, `code`, lists, [links](https://…)" value=body error=error/>
            {move || error.get().filter(|e| e.field.is_none()).map(|e| view! { <p class="error-note" role="alert">{e.message}</p> })}
            <button class="btn" type="submit" disabled=move || busy.get()>"Add note"</button>
        </form>
    }
}
