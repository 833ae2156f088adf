//! Running the public status page from a phone: the indicator, component statuses (with the
//! status linked services suggest, applied in one tap), publishing an incident (prefilled from an
//! internal one), posting updates from templates, correcting a published update's text,
//! scheduling maintenance, and adding components.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_query_map;
use serde_json::json;
use tocsin_domain::api::{AdminComponent, StatusAdmin};
use tocsin_domain::auth::Role;
use tocsin_domain::status_page::{ComponentStatus, PublicIncident, Update as PublicUpdate, UpdateStatus};

use crate::api::{self, ApiError};
use crate::components::{clock, ErrorNote, Field};
use crate::state::{handle_error, session, Session};

fn select_options<T: Copy + 'static>(all: &'static [T], text: fn(T) -> &'static str, label: fn(T) -> &'static str) -> impl IntoView {
    all.iter().map(move |v| view! { <option value=text(*v)>{label(*v)}</option> }).collect_view()
}

#[component]
pub fn StatusAdminPage() -> impl IntoView {
    let session = session();
    let state: RwSignal<Option<StatusAdmin>> = RwSignal::new(None);
    let error: RwSignal<Option<ApiError>> = RwSignal::new(None);
    let load = move || {
        spawn_local(async move {
            match api::status_admin().await {
                Ok(s) => state.set(Some(s)),
                Err(e) => {
                    handle_error(session, &e);
                    error.set(Some(e));
                }
            }
        })
    };
    load();
    let is_admin = move || matches!(session.get(), Session::LoggedIn(me) if me.role == Role::Admin);
    let can_edit = move || matches!(session.get(), Session::LoggedIn(me) if me.role >= Role::Responder);
    view! {
        <h1 class="page-title">"Status page"</h1>
        <p><a class="btn" href="/status" target="_blank" rel="noopener">"Open the public page ↗"</a></p>
        <ErrorNote error=error/>
        {move || state.get().map(|s| {
            let indicator = s.indicator;
            let (for_publish, for_maintenance) = (s.components.clone(), s.components.clone());
            let groups = s.groups.clone();
            view! {
                <p class=format!("banner-small i-{}", indicator.as_str()) role="status">{indicator.description()}</p>
                <Show when=can_edit>
                    <PublishForm components=for_publish.clone() on_done=move || load()/>
                </Show>
                <section aria-labelledby="pi-h">
                    <h2 id="pi-h">"Public incidents"</h2>
                    {if s.incidents.is_empty() {
                        view! { <p class="muted">"Nothing published."</p> }.into_any()
                    } else {
                        view! { <ul class="events">{s.incidents.iter().cloned().map(|i| view! { <PublicIncidentItem incident=i can_edit=can_edit() on_done=move || load()/> }).collect_view()}</ul> }.into_any()
                    }}
                </section>
                <section aria-labelledby="cm-h">
                    <h2 id="cm-h">"Components"</h2>
                    <ul class="events">{s.components.iter().cloned().map(|c| view! { <ComponentItem component=c state=state/> }).collect_view()}</ul>
                </section>
                <Show when=can_edit>
                    <MaintenanceForm components=for_maintenance.clone() on_done=move || load()/>
                </Show>
                <section aria-labelledby="mt-h">
                    <h2 id="mt-h">"Maintenance"</h2>
                    <ul class="events">
                        {s.maintenances.iter().map(|m| view! {
                            <li>
                                <div class="alert-summary">{m.name.clone()}</div>
                                <div class="card-meta">{m.status.label()}" · "{clock(m.scheduled_for)}" – "{clock(m.scheduled_until)}</div>
                                <UpdateList updates=m.updates.clone() can_edit=can_edit()/>
                            </li>
                        }).collect_view()}
                    </ul>
                </section>
                <Show when=is_admin>
                    <NewComponentForm groups=groups.clone() on_done=move || load()/>
                </Show>
            }
        })}
    }
}

#[component]
fn ComponentItem(component: AdminComponent, state: RwSignal<Option<StatusAdmin>>) -> impl IntoView {
    let id = component.component.id.clone();
    let status = component.component.status;
    let suggested = component.suggested_status;
    let error: RwSignal<Option<ApiError>> = RwSignal::new(None);
    let set = move |to: String| {
        let id = id.clone();
        spawn_local(async move {
            match api::status_component(&id, &json!({"status": to})).await {
                Ok(s) => state.set(Some(s)),
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let set2 = set.clone();
    let select_id = format!("cs-{}", component.component.id);
    view! {
        <li>
            <label for=select_id.clone()>{component.component.name.clone()}</label>
            <select id=select_id prop:value=status.as_str() on:change=move |ev| set(event_target_value(&ev))>
                {select_options(ComponentStatus::ALL, ComponentStatus::as_str, ComponentStatus::label)}
            </select>
            {(suggested != status && !component.service_ids.is_empty()).then(|| view! {
                <button class="btn suggest" on:click=move |_| set2(suggested.as_str().to_string())>
                    {format!("Apply suggested: {}", suggested.label())}
                </button>
            })}
            <ErrorNote error=error/>
        </li>
    }
}

#[component]
fn PublicIncidentItem(incident: PublicIncident, can_edit: bool, on_done: impl Fn() + Copy + Send + Sync + 'static) -> impl IntoView {
    let open = RwSignal::new(false);
    let status = RwSignal::new(UpdateStatus::Identified.as_str().to_string());
    let body = RwSignal::new(UpdateStatus::Identified.template().to_string());
    let error: RwSignal<Option<ApiError>> = RwSignal::new(None);
    let id = incident.id.clone();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (id, payload) = (id.clone(), json!({"status": status.get(), "body": body.get()}));
        spawn_local(async move {
            match api::status_post(&format!("incidents/{id}/updates"), &payload).await {
                Ok(_) => {
                    open.set(false);
                    on_done();
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let resolved = incident.status.is_resolved();
    let select_id = format!("us-{}", incident.id);
    view! {
        <li>
            <div class="alert-summary">{incident.name.clone()}</div>
            <div class="card-meta">{incident.status.label()}" · impact "{incident.impact.as_str()}" · "{clock(incident.updated_at)}</div>
            {(!resolved && can_edit).then(|| view! {
                <Show when=move || open.get() fallback=move || view! { <button class="btn" on:click=move |_| open.set(true)>"Post update"</button> }>
                    <form on:submit=submit.clone() aria-label="Post update">
                        <div class="field">
                            <label for=select_id.clone()>"State"</label>
                            <select id=select_id.clone() prop:value=move || status.get() on:change=move |ev| {
                                let v = event_target_value(&ev);
                                if let Ok(s) = v.parse::<UpdateStatus>() {
                                    body.set(s.template().to_string());
                                }
                                status.set(v);
                            }>
                                {select_options(UpdateStatus::ALL, UpdateStatus::as_str, UpdateStatus::label)}
                            </select>
                        </div>
                        <Field name="body" id="update-body" label="Message" kind="textarea" value=body error=error/>
                        <ErrorNote error=error/>
                        <button class="btn primary" type="submit">"Post update"</button>
                    </form>
                </Show>
            })}
            <UpdateList updates=incident.updates.clone() can_edit=can_edit/>
        </li>
    }
}

/// A public incident's or maintenance's updates as the page shows them (newest first), folded;
/// a responder can correct each one's text (a typo or a wrong detail in public words).
#[component]
fn UpdateList(updates: Vec<PublicUpdate>, can_edit: bool) -> impl IntoView {
    (!updates.is_empty()).then(|| {
        view! {
            <details class="public-updates">
                <summary>{format!("Published updates ({})", updates.len())}</summary>
                <ul class="events">{updates.into_iter().map(|u| view! { <UpdateItem update=u can_edit=can_edit/> }).collect_view()}</ul>
            </details>
        }
    })
}

/// One published update; "Correct" edits its text in place (the list stays open: nothing else of
/// the page changes with a correction).
#[component]
fn UpdateItem(update: PublicUpdate, can_edit: bool) -> impl IntoView {
    let session = session();
    let editing = RwSignal::new(false);
    // The text as published now, and the one being edited.
    let shown = RwSignal::new(update.body.clone());
    let body = RwSignal::new(update.body.clone());
    let error: RwSignal<Option<ApiError>> = RwSignal::new(None);
    let id = update.id.clone();
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let id = id.clone();
        spawn_local(async move {
            match api::status_edit_update(&id, &body.get_untracked(), &shown.get_untracked()).await {
                Ok(done) => {
                    shown.set(done.body);
                    error.set(None);
                    editing.set(false);
                }
                Err(e) => {
                    handle_error(session, &e);
                    error.set(Some(e));
                }
            }
        });
    };
    let cancel = move |_| {
        body.set(shown.get_untracked());
        error.set(None);
        editing.set(false);
    };
    let when = format!("{} · {}", update.status, clock(update.created_at));
    let label = format!("Correct the update of {when}");
    let field_id = format!("ub-{}", update.id);
    view! {
        <li class="public-update">
            <div class="card-meta">{when}</div>
            <Show when=move || editing.get() fallback=move || view! {
                <p class="update-body">{move || shown.get()}</p>
                {can_edit.then(|| view! { <button class="link-btn" type="button" aria-label=label.clone() on:click=move |_| editing.set(true)>"Correct"</button> })}
            }>
                <form on:submit=save.clone() aria-label="Correct this update">
                    <Field name="body" id=field_id.clone() label="Published text" kind="textarea" value=body error=error/>
                    <ErrorNote error=error/>
                    <button class="btn primary" type="submit">"Save correction"</button>
                    " "
                    <button class="btn" type="button" on:click=cancel>"Cancel"</button>
                </form>
            </Show>
        </li>
    }
}

#[component]
fn PublishForm(components: Vec<AdminComponent>, on_done: impl Fn() + Copy + Send + Sync + 'static) -> impl IntoView {
    // Prefilled when opened from an internal incident: /status-admin?incident=<id>&title=<title>
    let query = use_query_map();
    let incident_id = query.with_untracked(|q| q.get("incident"));
    let name = RwSignal::new(query.with_untracked(|q| q.get("title")).unwrap_or_default());
    let body = RwSignal::new(UpdateStatus::Investigating.template().to_string());
    let impact = RwSignal::new("minor".to_string());
    let comp_status = RwSignal::new("partial_outage".to_string());
    let chosen: RwSignal<Vec<String>> = RwSignal::new(Vec::new());
    let error: RwSignal<Option<ApiError>> = RwSignal::new(None);
    let open = RwSignal::new(incident_id.is_some());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let payload = json!({"incident_id": incident_id.clone(), "name": name.get(), "body": body.get(), "impact": impact.get(),
            "component_ids": chosen.get(), "component_status": comp_status.get()});
        spawn_local(async move {
            match api::status_post("incidents", &payload).await {
                Ok(_) => {
                    open.set(false);
                    error.set(None);
                    on_done();
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    view! {
        <Show when=move || open.get() fallback=move || view! { <button class="btn primary" on:click=move |_| open.set(true)>"Publish an incident"</button> }>
            <form class="panel" on:submit=submit.clone() aria-label="Publish an incident">
                <Field name="name" id="publish-name" label="Public title" value=name error=error hint="Say what customers see, not what broke inside."/>
                <Field name="body" id="publish-body" label="First update" kind="textarea" value=body error=error/>
                <div class="field">
                    <label for="impact">"Impact"</label>
                    <select id="impact" prop:value=move || impact.get() on:change=move |ev| impact.set(event_target_value(&ev))>
                        <option value="none">"None"</option><option value="minor">"Minor"</option>
                        <option value="major">"Major"</option><option value="critical">"Critical"</option>
                    </select>
                </div>
                <fieldset class="field">
                    <legend>"Affected components"</legend>
                    {components.iter().map(|c| {
                        let id = c.component.id.clone();
                        let id2 = id.clone();
                        let box_id = format!("pc-{id}");
                        view! {
                            <div class="field check">
                                <input type="checkbox" id=box_id.clone() on:change=move |ev| {
                                    let on = event_target_checked(&ev);
                                    chosen.update(|v| { v.retain(|x| x != &id); if on { v.push(id.clone()); } });
                                } prop:checked=move || chosen.with(|v| v.contains(&id2))/>
                                <label for=box_id>{c.component.name.clone()}</label>
                            </div>
                        }
                    }).collect_view()}
                </fieldset>
                <div class="field">
                    <label for="comp-status">"Set them to"</label>
                    <select id="comp-status" prop:value=move || comp_status.get() on:change=move |ev| comp_status.set(event_target_value(&ev))>
                        {select_options(ComponentStatus::ALL, ComponentStatus::as_str, ComponentStatus::label)}
                    </select>
                </div>
                <ErrorNote error=error/>
                <button class="btn primary" type="submit">"Publish"</button>
            </form>
        </Show>
    }
}

/// `datetime-local` input text (browser's zone) → RFC 3339 UTC.
fn local_to_rfc3339(v: &str) -> String {
    let ms = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(v)).get_time();
    if ms.is_nan() {
        return v.to_string();
    }
    String::from(js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms)).to_iso_string())
}

#[component]
fn MaintenanceForm(components: Vec<AdminComponent>, on_done: impl Fn() + Copy + Send + Sync + 'static) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let body = RwSignal::new(String::new());
    let from = RwSignal::new(String::new());
    let until = RwSignal::new(String::new());
    let chosen: RwSignal<Vec<String>> = RwSignal::new(Vec::new());
    let error: RwSignal<Option<ApiError>> = RwSignal::new(None);
    let open = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let payload = json!({"name": name.get(), "body": if body.get().is_empty() { None } else { Some(body.get()) },
            "scheduled_for": local_to_rfc3339(&from.get()), "scheduled_until": local_to_rfc3339(&until.get()), "component_ids": chosen.get()});
        spawn_local(async move {
            match api::status_post("maintenances", &payload).await {
                Ok(_) => {
                    open.set(false);
                    on_done();
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    view! {
        <Show when=move || open.get() fallback=move || view! { <button class="btn" on:click=move |_| open.set(true)>"Schedule maintenance"</button> }>
            <form class="panel" on:submit=submit.clone() aria-label="Schedule maintenance">
                <Field name="name" id="maintenance-name" label="Title" value=name error=error/>
                <Field name="body" id="maintenance-body" label="Details" kind="textarea" value=body error=error/>
                <Field name="scheduled_for" label="Starts" kind="datetime-local" value=from error=error/>
                <Field name="scheduled_until" label="Ends" kind="datetime-local" value=until error=error/>
                <fieldset class="field">
                    <legend>"Components"</legend>
                    {components.iter().map(|c| {
                        let id = c.component.id.clone();
                        let box_id = format!("mc-{id}");
                        view! {
                            <div class="field check">
                                <input type="checkbox" id=box_id.clone() on:change=move |ev| {
                                    let on = event_target_checked(&ev);
                                    chosen.update(|v| { v.retain(|x| x != &id); if on { v.push(id.clone()); } });
                                }/>
                                <label for=box_id>{c.component.name.clone()}</label>
                            </div>
                        }
                    }).collect_view()}
                </fieldset>
                <ErrorNote error=error/>
                <button class="btn primary" type="submit">"Schedule"</button>
            </form>
        </Show>
    }
}

#[component]
fn NewComponentForm(groups: Vec<tocsin_domain::status_page::Group>, on_done: impl Fn() + Copy + Send + Sync + 'static) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let group = RwSignal::new(String::new());
    let new_group = RwSignal::new(String::new());
    let linked: RwSignal<Vec<String>> = RwSignal::new(Vec::new());
    let services: RwSignal<Vec<tocsin_domain::api::Service>> = RwSignal::new(Vec::new());
    spawn_local(async move {
        if let Ok(list) = api::services().await {
            services.set(list.services);
        }
    });
    let error: RwSignal<Option<ApiError>> = RwSignal::new(None);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        spawn_local(async move {
            // A new group first, when one is named.
            let mut group_id = group.get_untracked();
            if !new_group.get_untracked().trim().is_empty() {
                match api::status_post("groups", &json!({"name": new_group.get_untracked()})).await {
                    Ok(g) => group_id = g["id"].as_str().unwrap_or_default().to_string(),
                    Err(e) => return error.set(Some(e)),
                }
            }
            let payload = json!({"name": name.get_untracked(), "description": description.get_untracked(),
                "group_id": if group_id.is_empty() { None } else { Some(group_id) }, "service_ids": linked.get_untracked()});
            match api::status_post("components", &payload).await {
                Ok(_) => {
                    name.set(String::new());
                    description.set(String::new());
                    new_group.set(String::new());
                    linked.set(Vec::new());
                    error.set(None);
                    on_done();
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    view! {
        <form class="panel" on:submit=submit aria-label="Add a component">
            <h2>"Add a component"</h2>
            <Field name="name" id="component-name" label="Public name" value=name error=error/>
            <Field name="description" id="component-description" label="Description" value=description error=error/>
            <div class="field">
                <label for="component-group">"Group"</label>
                <select id="component-group" on:change=move |ev| group.set(event_target_value(&ev))>
                    <option value="">"No group"</option>
                    {groups.into_iter().map(|g| view! { <option value=g.id.clone()>{g.name.clone()}</option> }).collect_view()}
                </select>
            </div>
            <Field name="group_name" id="component-new-group" label="…or a new group" value=new_group error=error/>
            <fieldset class="field">
                <legend>"Services whose incidents suggest its status"</legend>
                {move || services.get().into_iter().map(|s| {
                    let id = s.id.to_string();
                    let box_id = format!("ls-{id}");
                    view! {
                        <div class="field check">
                            <input type="checkbox" id=box_id.clone() on:change=move |ev| {
                                let on = event_target_checked(&ev);
                                linked.update(|v| { v.retain(|x| x != &id); if on { v.push(id.clone()); } });
                            }/>
                            <label for=box_id>{s.name.clone()}</label>
                        </div>
                    }
                }).collect_view()}
            </fieldset>
            <ErrorNote error=error/>
            <button class="btn" type="submit">"Add component"</button>
        </form>
    }
}
