//! Services: what monitoring sends alerts to. Admins create them and copy the integration URL.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use tocsin_domain::api::Service;
use tocsin_domain::auth::Role;

use crate::api::{self, ApiError, NewService};
use crate::components::{ErrorNote, Field};
use crate::state::{handle_error, session, Session};

#[component]
pub fn ServicesPage() -> impl IntoView {
    let session = session();
    let services: RwSignal<Option<Vec<Service>>> = RwSignal::new(None);
    let error: RwSignal<Option<ApiError>> = RwSignal::new(None);
    let load = move || {
        spawn_local(async move {
            match api::services().await {
                Ok(list) => services.set(Some(list.services)),
                Err(e) => {
                    handle_error(session, &e);
                    error.set(Some(e));
                }
            }
        })
    };
    load();
    let is_admin = move || matches!(session.get(), Session::LoggedIn(me) if me.role == Role::Admin);
    view! {
        <h1 class="page-title">"Services"</h1>
        <ErrorNote error=error/>
        <Show when=is_admin>
            <NewServiceForm on_created=move |_| load()/>
        </Show>
        {move || match services.get() {
            None => view! { <p class="muted">"Loading…"</p> }.into_any(),
            Some(list) if list.is_empty() => view! {
                <p class="empty">"No services yet. Create one, then point your monitoring at its integration URL."</p>
            }
            .into_any(),
            Some(list) => view! {
                <ul class="service-list">
                    {list.into_iter().map(|s| view! { <li><ServiceCard service=s admin=is_admin() on_change=move || load()/></li> }).collect_view()}
                </ul>
            }
            .into_any(),
        }}
    }
}

#[component]
fn NewServiceForm(on_created: impl Fn(Service) + Copy + Send + Sync + 'static) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let runbook_url = RwSignal::new(String::new());
    let error: RwSignal<Option<ApiError>> = RwSignal::new(None);
    let open = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = NewService { name: name.get(), description: description.get(), runbook_url: runbook_url.get() };
        spawn_local(async move {
            match api::create_service(&body).await {
                Ok(s) => {
                    name.set(String::new());
                    description.set(String::new());
                    runbook_url.set(String::new());
                    error.set(None);
                    open.set(false);
                    on_created(s);
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    view! {
        <Show
            when=move || open.get()
            fallback=move || view! { <button class="btn primary" on:click=move |_| open.set(true)>"New service"</button> }
        >
            <form class="panel" on:submit=submit novalidate aria-label="New service">
                <Field name="name" label="Service name" required=true value=name error=error/>
                <Field name="description" label="Description" value=description error=error/>
                <Field name="runbook_url" label="Runbook URL" kind="url" hint="Where responders find how to fix it (https://…)" value=runbook_url error=error/>
                <ErrorNote error=error/>
                <div class="row">
                    <button class="btn primary" type="submit">"Create service"</button>
                    <button class="btn" type="button" on:click=move |_| open.set(false)>"Cancel"</button>
                </div>
            </form>
        </Show>
    }
}

#[component]
fn ServiceCard(service: Service, admin: bool, on_change: impl Fn() + Copy + 'static) -> impl IntoView {
    let origin = window().location().origin().unwrap_or_default();
    // Only admins are given the key; others see that the integration exists.
    let key = service.integration_key.clone();
    let url = format!("{origin}/webhooks/generic/{}", key.as_deref().unwrap_or("…"));
    let curl = format!(
        "curl -X POST '{url}' \\\n  -H 'Content-Type: application/json' \\\n  -d '{{\"summary\":\"Disk almost full on db-1\",\"severity\":\"critical\",\"dedup_key\":\"db-1-disk\"}}'"
    );
    let copied = RwSignal::new(false);
    let copy = {
        let url = url.clone();
        move |_| {
            let _ = window().navigator().clipboard().write_text(&url);
            copied.set(true);
        }
    };
    let id = service.id.to_string();
    let rotate = move |_| {
        let ok = window()
            .confirm_with_message("Rotate the integration key? Monitoring tools using the old URL stop working at once.")
            .unwrap_or(false);
        if ok {
            let id = id.clone();
            spawn_local(async move {
                if api::rotate_key(&id).await.is_ok() {
                    on_change();
                }
            });
        }
    };
    let (page, title) = (format!("/services/{}", service.id), service.name.clone());
    view! {
        <article class="service-card" aria-label=service.name.clone()>
            <h2><A href=page.clone()>{title}</A></h2>
            {(!service.description.is_empty()).then(|| view! { <p>{service.description.clone()}</p> })}
            <p class="card-meta">
                {format!("{} open incident{}", service.open_incidents, if service.open_incidents == 1 { "" } else { "s" })}
                {service.runbook_url.clone().map(|u| view! { " · " <a href=u target="_blank" rel="noopener noreferrer">"Runbook ↗"</a> })}
            </p>
            {match key {
                Some(_) => view! {
                    <label class="small-label" for=format!("url-{}", service.id)>"Integration URL (generic JSON webhook)"</label>
                    <div class="copy-row">
                        <input class="mono" id=format!("url-{}", service.id) readonly value=url.clone()/>
                        <button class="btn" on:click=copy>{move || if copied.get() { "Copied" } else { "Copy" }}</button>
                    </div>
                    <details>
                        <summary>"Send a test alert with curl"</summary>
                        <pre class="mono">{curl}</pre>
                    </details>
                }.into_any(),
                None => view! { <p class="muted">"Integration set up · its URL is shown to admins"</p> }.into_any(),
            }}
            <div class="row">
                <A href=page attr:class="btn">"Integrations and events"</A>
                {admin.then(|| view! { <button class="link-btn danger" on:click=rotate.clone()>"Rotate key"</button> })}
            </div>
        </article>
    }
}
