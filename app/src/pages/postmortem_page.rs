//! `/incidents/:id/postmortem`: the blameless postmortem of an incident on a phone — start it
//! (during the incident or after), write each section in Markdown with a preview (saved after a
//! pause, conflicts shown with the other person's text), see blameless hints under each
//! section, the record's key times and highlights (the full record on demand), review comments,
//! status buttons (draft → in review → published), exports, and publishing the customer-facing
//! text to the status page.

mod editor;
mod on_demand;
mod review;

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;
use tocsin_domain::api::postmortems::{Postmortem, PostmortemSection};
use tocsin_domain::postmortem::timeline::TimelineItem;
use tocsin_domain::postmortem::PostmortemStatus;

use crate::api;
use crate::components::lazy_part;
use crate::state::{handle_error, session};

#[component]
pub fn PostmortemPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id").unwrap_or_default()));
    move || {
        let id = id.get();
        view! { <Document id=id/> }
    }
}

#[component]
fn Document(id: String) -> impl IntoView {
    let session = session();
    let pm: RwSignal<Option<Postmortem>> = RwSignal::new(None);
    // The sections as first read: the editors are made once and keep their own state.
    let sections: RwSignal<Option<Vec<PostmortemSection>>> = RwSignal::new(None);
    let missing = RwSignal::new(false);
    let error: RwSignal<Option<String>> = RwSignal::new(None);
    let busy = RwSignal::new(false);
    let iid = StoredValue::new(id.clone());
    let show = move |p: Postmortem| {
        if sections.with_untracked(Option::is_none) {
            sections.set(Some(p.sections.clone()));
        }
        missing.set(false);
        pm.set(Some(p));
    };
    let load = move || {
        spawn_local(async move {
            match api::postmortem(&iid.get_value(), false).await {
                Ok(Some(p)) => show(p),
                Ok(None) => missing.set(true),
                Err(e) => {
                    handle_error(session, &e);
                    error.set(Some(e.message));
                }
            }
        })
    };
    load();
    let reload = Callback::new(move |()| load());
    let create = move |_| {
        busy.set(true);
        spawn_local(async move {
            match api::create_postmortem(&iid.get_value()).await {
                Ok(p) => show(p),
                Err(e) => error.set(Some(e.message)),
            }
            busy.set(false);
        });
    };
    let editable = Signal::derive(move || pm.with(|p| p.as_ref().is_some_and(|p| p.can_edit && p.status != PostmortemStatus::Published)));
    let suggested = Signal::derive(move || pm.with(|p| p.as_ref().map(|p| p.timeline.suggested.clone()).unwrap_or_default()));
    view! {
        <div class="page postmortem-page">
            <p class="back"><A href=format!("/incidents/{id}")>"← Incident"</A></p>
            <h1>"Postmortem"</h1>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            <Show when=move || missing.get()>
                <section class="panel">
                    <p>"This incident has no postmortem yet. Start one from the blameless template: it is filled from the incident's record (key times, highlighted rows), and you can start while the incident still runs."</p>
                    <button class="btn primary pm-create" disabled=move || busy.get() on:click=create>"Start the postmortem"</button>
                </section>
            </Show>
            {move || pm.get().map(|p| view! { <Head pm=p doc=pm busy=busy error=error/> })}
            {move || pm.with(|p| p.as_ref().map(|p| p.timeline.clone())).map(|t| view! { <Record incident_id=iid.get_value() timeline=t/> })}
            {move || sections.get().map(|sections| lazy_part(on_demand::postmortem_body(on_demand::Body {
                incident_id: iid.get_value(), sections, pm, editable, suggested, reload,
            })))}
        </div>
    }
}

/// Title, status and its buttons, incidents covered, exports, status-page publication.
#[component]
fn Head(pm: Postmortem, doc: RwSignal<Option<Postmortem>>, busy: RwSignal<bool>, error: RwSignal<Option<String>>) -> impl IntoView {
    let iid = StoredValue::new(pm.incident_id.clone());
    let notice: RwSignal<Option<(String, String)>> = RwSignal::new(None);
    let move_to = move |to: PostmortemStatus| {
        busy.set(true);
        spawn_local(async move {
            match api::pm_status(&iid.get_value(), to).await {
                Ok(p) => {
                    doc.set(Some(p));
                    error.set(None);
                }
                Err(e) => error.set(Some(e.message)),
            }
            busy.set(false);
        });
    };
    let publish_public = move |_| {
        busy.set(true);
        spawn_local(async move {
            match api::pm_publish_public(&iid.get_value()).await {
                Ok(r) => {
                    notice.set(Some(("Published on the status page: ".into(), r.url)));
                    error.set(None);
                }
                Err(e) => error.set(Some(e.message)),
            }
            busy.set(false);
        });
    };
    let status = pm.status;
    let button = move |to: PostmortemStatus, label: &'static str, primary: bool| {
        view! {
            <button class=format!("btn {}pm-status-{}", if primary { "primary " } else { "" }, to.as_str()) disabled=move || busy.get() on:click=move |_| move_to(to)>
                {label}
            </button>
        }
    };
    let base = format!("/api/incidents/{}/postmortem", pm.incident_id);
    view! {
        <section class="panel pm-head" aria-label="About this postmortem">
            <p class="pm-title"><strong>{pm.title.clone()}</strong></p>
            <p class="card-meta">
                <span class=format!("badge pm-status-badge pm-{}", status.as_str())>{status.label()}</span>
                {format!(" · {} · by {}", pm.template, pm.created_by.name)}
            </p>
            <p class="card-meta pm-incidents">
                "Covers "
                {pm.incidents.iter().map(|i| view! { <A href=format!("/incidents/{}", i.id)>{format!("#{} {}", i.number, i.title)}</A>" " }).collect_view()}
            </p>
            <div class="row pm-actions" role="toolbar" aria-label="Review">
                {(pm.can_edit && status == PostmortemStatus::Draft).then(|| button(PostmortemStatus::InReview, "Ask for review", true))}
                {(pm.can_edit && status == PostmortemStatus::InReview).then(|| button(PostmortemStatus::Draft, "Back to draft", false))}
                {(pm.can_publish && status == PostmortemStatus::InReview).then(|| button(PostmortemStatus::Published, "Publish", true))}
                {(pm.can_publish && status == PostmortemStatus::Published).then(|| button(PostmortemStatus::Draft, "Reopen", false))}
                {(pm.can_publish && status == PostmortemStatus::Published && !pm.public_text.trim().is_empty()).then(|| view! {
                    <button class="btn pm-publish-public" disabled=move || busy.get() on:click=publish_public>
                        {if pm.public_published_at.is_some() { "Update on status page" } else { "Publish on status page" }}
                    </button>
                })}
            </div>
            {move || notice.get().map(|(text, url)| view! { <p class="notice" role="status">{text}<a href=url.clone() target="_blank" rel="noopener noreferrer">{url.clone()}</a></p> })}
            <p class="row pm-exports">
                <a class="btn" href=format!("{base}.md") target="_blank" rel="noopener">"Markdown"</a>
                <a class="btn" href=format!("{base}.html") target="_blank" rel="noopener">"Print (HTML)"</a>
            </p>
        </section>
    }
}

/// The record's key times and highlights; every other row on demand.
#[component]
fn Record(incident_id: String, timeline: tocsin_domain::api::postmortems::PostmortemTimeline) -> impl IntoView {
    let rest: RwSignal<Option<Vec<TimelineItem>>> = RwSignal::new(None);
    let iid = StoredValue::new(incident_id);
    let more = move |_| {
        spawn_local(async move {
            if let Ok(Some(p)) = api::postmortem(&iid.get_value(), true).await {
                rest.set(p.timeline.rest);
            }
        })
    };
    let row = |i: TimelineItem| view! { <li><span class="pm-time">{i.absolute}" "<span class="muted">{format!("({})", i.relative)}</span></span>" "{i.message}</li> };
    let count = timeline.rest_count;
    view! {
        <section class="panel pm-record" aria-labelledby="pm-record-h">
            <h2 id="pm-record-h">"From the record"</h2>
            <p class="card-meta">{format!("Times in {}; T+ counts from the start of impact.", timeline.time_zone)}</p>
            <dl class="pm-key-times">
                {timeline.key_times.into_iter().map(|k| view! {
                    <dt>{k.label}</dt>
                    <dd>{match (k.absolute, k.relative) { (Some(a), Some(r)) => format!("{a} ({r})"), _ => "not yet".to_string() }}</dd>
                }).collect_view()}
            </dl>
            <h3>"Highlights"</h3>
            {if timeline.highlights.is_empty() {
                view! { <p class="muted">"No rows highlighted on the incident's timeline."</p> }.into_any()
            } else {
                view! { <ul class="pm-rows">{timeline.highlights.into_iter().map(row).collect_view()}</ul> }.into_any()
            }}
            {move || match rest.get() {
                Some(list) => view! { <h3>"The rest of the record"</h3><ul class="pm-rows">{list.into_iter().map(row).collect_view()}</ul> }.into_any(),
                None => (count > 0).then(|| view! { <button class="link-btn pm-more" type="button" on:click=more>{if count == 1 { "Show the other row".to_string() } else { format!("Show the other {count} rows") }}</button> }).into_any(),
            }}
        </section>
    }
}
