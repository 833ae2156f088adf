//! Running the incident from the workspace: the links sheet (add a chat / video / ticket / other
//! link, remove one), editing the affected services, and merging this incident into another
//! open one (Details tab). Every write goes through `Ws::write`: its error is shown as the API
//! names it, its success re-reads the incident.

use leptos::prelude::*;
use tocsin_domain::api::{AddLinkRequest, Incident, LinkKind, MergeRequest, Service, SetServicesRequest};
use tocsin_domain::ids::ServiceId;
use tocsin_domain::incident::IncidentStatus;

use super::sheets::BottomSheet;
use super::{link_icon, Sheet, Ws};
use crate::api::{self, ApiError};

/// The links sheet: the incident's links, each removable, and a form to add one.
#[component]
pub(super) fn LinksSheet(ws: Ws) -> impl IntoView {
    let kind = RwSignal::new(LinkKind::Chat);
    let url = RwSignal::new(String::new());
    let label = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let error: RwSignal<Option<ApiError>> = RwSignal::new(None);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let u = url.get_untracked().trim().to_string();
        if u.is_empty() {
            error.set(Some(ApiError { status: 400, message: "url: paste the link's address (https://…).".into(), field: Some("url".into()) }));
            return;
        }
        let l = label.get_untracked().trim().to_string();
        let body = AddLinkRequest { kind: kind.get_untracked(), url: u, label: (!l.is_empty()).then_some(l) };
        let id = ws.id.get_untracked();
        busy.set(true);
        leptos::task::spawn_local(async move {
            match api::add_link(&id, &body).await {
                Ok(()) => {
                    error.set(None);
                    url.set(String::new());
                    label.set(String::new());
                    ws.sheet.set(Sheet::Closed);
                    ws.reload.run(());
                }
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };
    let remove = move |link_id: String| {
        let id = ws.id.get_untracked();
        busy.set(true);
        leptos::task::spawn_local(async move {
            match api::remove_link(&id, &link_id).await {
                Ok(()) => {
                    error.set(None);
                    ws.reload.run(());
                }
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };
    view! {
        <BottomSheet ws=ws id="links-sheet" title="Links">
            <ul class="people link-list">
                {move || ws.with(|d| d.links.clone()).into_iter().map(|l| {
                    let lid = l.id.clone();
                    view! {
                        <li class="row spread" data-link=l.id.clone()>
                            <span class="alert-summary">{link_icon(l.kind)}" "{l.label.clone()}</span>
                            <button type="button" class="link-btn danger" aria-label=format!("Remove link {}", l.label)
                                disabled=move || busy.get() on:click=move |_| remove(lid.clone())>"Remove"</button>
                        </li>
                    }
                }).collect_view()}
            </ul>
            <form on:submit=submit novalidate>
                <h3>"Add a link"</h3>
                <div class="filters" role="radiogroup" aria-label="Kind of link">
                    {LinkKind::ALL.into_iter().map(|k| view! {
                        <button type="button" class="chip" role="radio" data-kind=k.as_str() aria-checked=move || (kind.get() == k).to_string() on:click=move |_| kind.set(k)>
                            {link_icon(k)}" "{k.default_label()}
                        </button>
                    }).collect_view()}
                </div>
                <label for="link-url">"Address"</label>
                <input id="link-url" name="url" type="url" inputmode="url" placeholder="https://…" prop:value=move || url.get() on:input=move |e| url.set(event_target_value(&e))/>
                <label for="link-label" class="small-label">"Label (optional)"</label>
                <input id="link-label" name="label" maxlength="100" placeholder=move || kind.get().default_label() prop:value=move || label.get() on:input=move |e| label.set(event_target_value(&e))/>
                {move || error.get().map(|e| view! { <p class="error-note" role="alert">{e.message}</p> })}
                <button class="btn primary wide" type="submit" disabled=move || busy.get()>"Add link"</button>
            </form>
        </BottomSheet>
    }
}

/// The affected services: tap to edit, tap services on and off, save. The incident's own
/// service stays (the API keeps it first).
#[component]
pub(super) fn ServicesEditor(ws: Ws) -> impl IntoView {
    let rest = ws.rest();
    let all: RwSignal<Option<Vec<Service>>> = RwSignal::new(None);
    let chosen: RwSignal<Vec<String>> = RwSignal::new(Vec::new());
    let editing = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let own = move || ws.with(|d| d.incident.service.as_ref().map(|s| s.id.to_string()));
    let start = move |_| {
        chosen.set(rest.with_untracked(|r| r.services.iter().map(|s| s.id.to_string()).collect()));
        editing.set(true);
        if all.get_untracked().is_none() {
            leptos::task::spawn_local(async move {
                match api::services().await {
                    Ok(l) => all.set(Some(l.services)),
                    Err(e) => ws.error.set(Some(e)),
                }
            });
        }
    };
    let toggle = move |sid: String| chosen.update(|c| if let Some(i) = c.iter().position(|x| *x == sid) { c.remove(i); } else { c.push(sid); });
    let save = move |_| {
        let body = SetServicesRequest { service_ids: chosen.get_untracked().into_iter().map(ServiceId).collect() };
        let id = ws.id.get_untracked();
        ws.write(busy, async move { api::set_services(&id, &body).await }, move |_| editing.set(false));
    };
    view! {
        <Show when=move || ws.can_respond.get() && !editing.get()>
            <button class="btn edit-services" on:click=start>"Edit affected services"</button>
        </Show>
        <Show when=move || editing.get()>
            <section class="panel services-editor" aria-labelledby="services-edit-h">
                <h2 id="services-edit-h">"Affected services"</h2>
                {move || match all.get() {
                    None => view! { <p class="muted">"Loading services…"</p> }.into_any(),
                    Some(list) => view! {
                        <ul class="people">
                            {list.into_iter().map(|s| {
                                let sid = s.id.to_string();
                                let is_own = own().as_deref() == Some(sid.as_str());
                                let pressed = { let sid = sid.clone(); move || (is_own || chosen.with(|c| c.contains(&sid))).to_string() };
                                view! {
                                    <li>
                                        <button type="button" class="person" data-service=sid.clone() aria-pressed=pressed disabled=is_own
                                            on:click=move |_| toggle(sid.clone())>
                                            <span class="alert-summary">{s.name.clone()}</span>
                                            {is_own.then(|| view! { <span class="card-meta">"The incident's own service (always affected)"</span> })}
                                        </button>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }.into_any(),
                }}
                <div class="row">
                    <button class="btn primary save-services" disabled=move || busy.get() on:click=save>"Save services"</button>
                    <button class="btn" type="button" on:click=move |_| editing.set(false)>"Cancel"</button>
                </div>
            </section>
        </Show>
    }
}

/// "Merge into…": pick another open incident, confirm, merge. Hidden once resolved or merged.
#[component]
pub(super) fn MergeInto(ws: Ws) -> impl IntoView {
    let open: RwSignal<Option<Vec<Incident>>> = RwSignal::new(None);
    let target: RwSignal<Option<Incident>> = RwSignal::new(None);
    let busy = RwSignal::new(false);
    let choosing = RwSignal::new(false);
    let mergeable = move || ws.with(|d| d.incident.merged_into.is_none() && d.incident.status != IncidentStatus::Resolved);
    let start = move |_| {
        choosing.set(true);
        target.set(None);
        leptos::task::spawn_local(async move {
            match api::incidents("open").await {
                Ok(l) => open.set(Some(l.incidents)),
                Err(e) => ws.error.set(Some(e)),
            }
        });
    };
    let confirm = move |_| {
        let Some(into) = target.get_untracked() else { return };
        let id = ws.id.get_untracked();
        let body = MergeRequest { into: into.id };
        ws.write(busy, async move { api::merge(&id, &body).await }, move |_| choosing.set(false));
    };
    view! {
        <Show when=move || ws.can_respond.get() && mergeable()>
            <Show when=move || choosing.get() fallback=move || view! { <button class="btn merge-start" on:click=start>"Merge into…"</button> }>
                <section class="panel merge" aria-labelledby="merge-h">
                    <h2 id="merge-h">"Merge into another incident"</h2>
                    <p class="muted">"Its alerts and record move there; this one is resolved, pointing at it."</p>
                    {move || {
                        let me = ws.id.get();
                        match open.get() {
                            None => view! { <p class="muted">"Loading open incidents…"</p> }.into_any(),
                            Some(list) => {
                                let others: Vec<Incident> = list.into_iter().filter(|i| i.id.as_str() != me && i.merged_into.is_none()).collect();
                                if others.is_empty() {
                                    return view! { <p class="muted">"No other open incident."</p> }.into_any();
                                }
                                view! {
                                    <ul class="people">
                                        {others.into_iter().map(|i| {
                                            let iid = i.id.to_string();
                                            let pressed = { let iid = iid.clone(); move || target.with(|t| t.as_ref().is_some_and(|t| t.id.as_str() == iid)).to_string() };
                                            let pick = i.clone();
                                            view! {
                                                <li>
                                                    <button type="button" class="person" data-incident=iid aria-pressed=pressed on:click=move |_| target.set(Some(pick.clone()))>
                                                        <span class="alert-summary">{format!("#{} {}", i.number, i.title)}</span>
                                                        <span class="card-meta">{i.status.as_str()}" · "{i.severity.as_str()}</span>
                                                    </button>
                                                </li>
                                            }
                                        }).collect_view()}
                                    </ul>
                                }.into_any()
                            }
                        }
                    }}
                    <div class="row">
                        <button class="btn primary merge-confirm" disabled=move || busy.get() || target.with(Option::is_none) on:click=confirm>
                            {move || match target.get() {
                                Some(t) => format!("Merge into #{}", t.number),
                                None => "Pick an incident".to_string(),
                            }}
                        </button>
                        <button class="btn" type="button" on:click=move |_| choosing.set(false)>"Cancel"</button>
                    </div>
                </section>
            </Show>
        </Show>
    }
}
