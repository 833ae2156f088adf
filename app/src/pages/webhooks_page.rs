//! Chat & webhooks (admin): destinations that hear about incidents — Slack, Microsoft Teams, or
//! signed JSON to your own systems — which events and services each gets, tests and delivery log.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use tocsin_domain::api::{Destination, DestinationRequest, DeliveryView, Service};
use tocsin_domain::auth::Role;
use tocsin_domain::ids::ServiceId;
use tocsin_domain::outbound::{DestinationKind, EventKind};

use crate::api::{self, ApiError};
use crate::components::{clock, DeliveryList, ErrorNote, Field, SecretOnce};
use crate::state::{handle_error, session, Session};

#[component]
pub fn WebhooksPage() -> impl IntoView {
    let session = session();
    let is_admin = move || matches!(session.get(), Session::LoggedIn(me) if me.role == Role::Admin);
    let destinations: RwSignal<Option<Vec<Destination>>> = RwSignal::new(None);
    let services: RwSignal<Vec<Service>> = RwSignal::new(Vec::new());
    let error: RwSignal<Option<ApiError>> = RwSignal::new(None);
    let load = move || {
        spawn_local(async move {
            match api::destinations().await {
                Ok(list) => {
                    destinations.set(Some(list.destinations));
                    error.set(None);
                }
                Err(e) => {
                    handle_error(session, &e);
                    error.set(Some(e));
                }
            }
        })
    };
    load();
    spawn_local(async move {
        if let Ok(list) = api::services().await {
            services.set(list.services);
        }
    });
    view! {
        <p class="back"><A href="/me">"‹ Me"</A></p>
        <h1 class="page-title">"Chat & webhooks"</h1>
        <Show when=is_admin fallback=|| view! { <p class="muted">"Only admins manage chat and webhook destinations."</p> }>
            <p class="card-meta">"Tocsin posts incident events here as they happen, and retries for a while when a destination is down."</p>
            <NewDestination services=services on_created=move || load()/>
            <ErrorNote error=error/>
            {move || match destinations.get() {
                None => view! { <p class="muted">"Loading…"</p> }.into_any(),
                Some(list) if list.is_empty() => view! { <p class="empty">"No destinations yet."</p> }.into_any(),
                Some(list) => view! {
                    <ul class="service-list">
                        {list.into_iter().map(|d| view! { <li><DestinationCard destination=d services=services on_change=move || load()/></li> }).collect_view()}
                    </ul>
                }
                .into_any(),
            }}
            <SignatureHelp/>
        </Show>
    }
}

#[component]
fn NewDestination(services: RwSignal<Vec<Service>>, on_created: impl Fn() + Copy + Send + Sync + 'static) -> impl IntoView {
    let open = RwSignal::new(false);
    let name = RwSignal::new(String::new());
    let kind = RwSignal::new(DestinationKind::Slack.as_str().to_string());
    let url = RwSignal::new(String::new());
    let events: RwSignal<Vec<EventKind>> = RwSignal::new(vec![EventKind::IncidentOpened, EventKind::IncidentAcknowledged, EventKind::IncidentResolved]);
    let chosen: RwSignal<Vec<ServiceId>> = RwSignal::new(Vec::new());
    let error: RwSignal<Option<ApiError>> = RwSignal::new(None);
    let secret: RwSignal<Option<(String, String)>> = RwSignal::new(None);
    let busy = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = DestinationRequest {
            name: name.get_untracked().trim().to_string(),
            kind: kind.get_untracked().parse().unwrap_or(DestinationKind::Slack),
            url: Some(url.get_untracked().trim().to_string()),
            // In the order Tocsin lists them, whatever order they were ticked in.
            events: EventKind::ALL.into_iter().filter(|e| events.with_untracked(|v| v.contains(e))).collect(),
            service_ids: chosen.get_untracked(),
            enabled: true,
        };
        busy.set(true);
        spawn_local(async move {
            match api::create_destination(&body).await {
                Ok(created) => {
                    secret.set(created.signing_secret.map(|s| (created.destination.name.clone(), s)));
                    name.set(String::new());
                    url.set(String::new());
                    error.set(None);
                    open.set(false);
                    on_created();
                }
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };
    view! {
        {move || secret.get().map(|(n, s)| view! {
            <section class="panel" aria-label="Signing secret">
                <SecretOnce id="new-secret" label=format!("Signing secret for {n}") secret=s/>
                <button class="link-btn" on:click=move |_| secret.set(None)>"I have saved it"</button>
            </section>
        })}
        <Show
            when=move || open.get()
            fallback=move || view! { <button class="btn primary" on:click=move |_| open.set(true)>"Add destination"</button> }
        >
            <form class="panel" on:submit=submit novalidate aria-label="New destination">
                <h2>"New destination"</h2>
                <Field name="name" id="dest-name" label="Name" hint="For example #incidents" required=true value=name error=error/>
                <div class="field">
                    <label for="dest-kind">"Kind"</label>
                    <select id="dest-kind" on:change=move |ev| kind.set(event_target_value(&ev)) prop:value=move || kind.get()>
                        {DestinationKind::ALL.into_iter().map(|k| view! { <option value=k.as_str()>{k.label()}</option> }).collect_view()}
                    </select>
                </div>
                <Field
                    name="url"
                    id="dest-url"
                    label="URL"
                    kind="url"
                    required=true
                    hint="Slack or Teams: the incoming webhook URL. Generic: your HTTPS endpoint."
                    value=url
                    error=error
                />
                <fieldset class="field">
                    <legend>"Events"</legend>
                    {EventKind::ALL.into_iter().map(|e| {
                        let id = format!("ev-{}", e.as_str().replace('.', "-"));
                        view! {
                            <div class="field check">
                                <input
                                    type="checkbox"
                                    id=id.clone()
                                    value=e.as_str()
                                    prop:checked=move || events.with(|v| v.contains(&e))
                                    on:change=move |ev| {
                                        let on = event_target_checked(&ev);
                                        events.update(|v| {
                                            v.retain(|x| *x != e);
                                            if on {
                                                v.push(e);
                                            }
                                        })
                                    }
                                />
                                <label for=id>{e.label()}</label>
                            </div>
                        }
                    }).collect_view()}
                    {move || error.get().filter(|e| e.field.as_deref() == Some("events")).map(|e| view! { <p class="field-error">{e.message}</p> })}
                </fieldset>
                <fieldset class="field">
                    <legend>"Services"</legend>
                    <p class="hint">"None ticked: every service."</p>
                    {move || services.get().into_iter().map(|s| {
                        let id = format!("ds-{}", s.id);
                        let sid = s.id.clone();
                        let sid2 = s.id.clone();
                        view! {
                            <div class="field check">
                                <input
                                    type="checkbox"
                                    id=id.clone()
                                    prop:checked=move || chosen.with(|v| v.contains(&sid))
                                    on:change=move |ev| {
                                        let on = event_target_checked(&ev);
                                        let sid = sid2.clone();
                                        chosen.update(|v| {
                                            v.retain(|x| *x != sid);
                                            if on {
                                                v.push(sid);
                                            }
                                        })
                                    }
                                />
                                <label for=id>{s.name.clone()}</label>
                            </div>
                        }
                    }).collect_view()}
                </fieldset>
                <ErrorNote error=error/>
                <div class="row">
                    <button class="btn primary" type="submit" disabled=move || busy.get()>"Add destination"</button>
                    <button class="btn" type="button" on:click=move |_| open.set(false)>"Cancel"</button>
                </div>
            </form>
        </Show>
    }
}

#[component]
fn DestinationCard(destination: Destination, services: RwSignal<Vec<Service>>, on_change: impl Fn() + Copy + Send + Sync + 'static) -> impl IntoView {
    let d = destination;
    let error: RwSignal<Option<ApiError>> = RwSignal::new(None);
    let notice: RwSignal<Option<String>> = RwSignal::new(None);
    let log: RwSignal<Option<Vec<DeliveryView>>> = RwSignal::new(None);
    let confirm_delete = RwSignal::new(false);
    let id = d.id.clone();
    let load_log = {
        let id = id.clone();
        move || {
            let id = id.clone();
            spawn_local(async move {
                match api::destination_deliveries(&id).await {
                    Ok(l) => log.set(Some(l.deliveries)),
                    Err(e) => error.set(Some(e)),
                }
            })
        }
    };
    let test = {
        let (id, load_log) = (id.clone(), load_log.clone());
        move |_| {
            let (id, load_log) = (id.clone(), load_log.clone());
            notice.set(None);
            spawn_local(async move {
                match api::test_destination(&id).await {
                    Ok(_) => {
                        notice.set(Some("Test message queued; see the delivery log below.".into()));
                        // The delivery is attempted right after the answer: show its outcome.
                        gloo_timers::future::TimeoutFuture::new(1500).await;
                        load_log();
                    }
                    Err(e) => error.set(Some(e)),
                }
            })
        }
    };
    let delete = {
        let id = id.clone();
        move |_| {
            if !confirm_delete.get_untracked() {
                confirm_delete.set(true);
                return;
            }
            let id = id.clone();
            spawn_local(async move {
                match api::delete_destination(&id).await {
                    Ok(()) => on_change(),
                    Err(e) => error.set(Some(e)),
                }
            })
        }
    };
    let toggle = {
        let d = d.clone();
        move |_| {
            let d = d.clone();
            let body = DestinationRequest { name: d.name, kind: d.kind, url: None, events: d.events, service_ids: d.service_ids, enabled: !d.enabled };
            spawn_local(async move {
                match api::update_destination(&d.id, &body).await {
                    Ok(_) => on_change(),
                    Err(e) => error.set(Some(e)),
                }
            })
        }
    };
    let events = d.events.iter().map(|e| e.label()).collect::<Vec<_>>().join(", ");
    let scope = if d.service_ids.is_empty() {
        "All services".to_string()
    } else {
        let names = services.with_untracked(|all| {
            d.service_ids.iter().map(|id| all.iter().find(|s| &s.id == id).map(|s| s.name.clone()).unwrap_or_else(|| id.to_string())).collect::<Vec<_>>()
        });
        names.join(", ")
    };
    let show_log = {
        let load_log = load_log.clone();
        move |ev: leptos::ev::Event| {
            if event_target::<web_sys::HtmlDetailsElement>(&ev).open() {
                load_log()
            }
        }
    };
    view! {
        <article class="service-card destination" aria-label=d.name.clone()>
            <div class="row spread">
                <h2>{d.name.clone()}</h2>
                <span class=if d.enabled { "badge status-resolved" } else { "badge muted" }>{if d.enabled { "Enabled" } else { "Paused" }}</span>
            </div>
            <dl class="facts">
                <dt>"Kind"</dt><dd>{d.kind.label()}</dd>
                <dt>"URL"</dt><dd class="mono">{d.url_hint.clone()}</dd>
                <dt>"Events"</dt><dd>{events}</dd>
                <dt>"Services"</dt><dd>{scope}</dd>
                <dt>"Added"</dt><dd>{clock(d.created_at)}</dd>
            </dl>
            <ErrorNote error=error/>
            {move || notice.get().map(|m| view! { <p class="notice" role="status">{m}</p> })}
            <div class="row wrap">
                <button class="btn" on:click=test>"Send test"</button>
                <button class="btn" on:click=toggle>{if d.enabled { "Pause" } else { "Enable" }}</button>
                <button class="link-btn danger" on:click=delete>{move || if confirm_delete.get() { "Tap again to delete" } else { "Delete" }}</button>
            </div>
            <details on:toggle=show_log>
                <summary>"Delivery log"</summary>
                {move || log.get().map(|l| view! { <DeliveryList deliveries=l empty="Nothing sent here yet."/> })}
            </details>
        </article>
    }
}

#[component]
fn SignatureHelp() -> impl IntoView {
    view! {
        <details class="panel signature-help">
            <summary>"Verifying generic (signed JSON) webhooks"</summary>
            <p>"Every POST carries a header:"</p>
            <pre class="mono">"Tocsin-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>"</pre>
            <p>
                "The HMAC is computed with the destination's signing secret over "<code class="mono">"t.body"</code>
                " — the timestamp, a dot, and the raw request body. Recompute it, compare in constant time, and reject messages whose "
                <code class="mono">"t"</code>" is more than five minutes old."
            </p>
            <pre class="mono">"expected = hex(hmac_sha256(secret, t + \".\" + raw_body))"</pre>
            <p>
                <code class="mono">"Tocsin-Delivery"</code>" stays the same when a delivery is retried: deduplicate on it. "
                <code class="mono">"Tocsin-Event"</code>" names the event type."
            </p>
        </details>
    }
}
