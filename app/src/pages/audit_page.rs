//! The audit log (admins): who changed what in the organisation, newest first, filtered by kind
//! of thing, with each change's before and after (secrets already redacted by the server).

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use tocsin_domain::audit::{AuditEvent, AuditPage as Page};

use crate::api::{self, ApiError};
use crate::components::{clock, ErrorNote};
use crate::state::{handle_error, session};

/// The kinds of thing offered as filters (a subset of `tocsin_domain::audit::Action`'s prefixes).
const KINDS: [(&str, &str); 9] = [
    ("", "Everything"),
    ("user", "People"),
    ("token", "API tokens"),
    ("session", "Sessions"),
    ("service", "Services"),
    ("schedule", "Schedules"),
    ("escalation_policy", "Escalation policies"),
    ("webhook_destination", "Webhooks"),
    ("status_page", "Status page"),
];

#[component]
pub fn AuditPage() -> impl IntoView {
    let session = session();
    let events: RwSignal<Vec<AuditEvent>> = RwSignal::new(Vec::new());
    let cursor: RwSignal<Option<String>> = RwSignal::new(None);
    let kind = RwSignal::new(String::new());
    let error: RwSignal<Option<ApiError>> = RwSignal::new(None);
    let loading = RwSignal::new(false);
    let load = move |more: bool| {
        let after = if more { cursor.get_untracked() } else { None };
        loading.set(true);
        spawn_local(async move {
            match api::audit(&kind.get_untracked(), after.as_deref()).await {
                Ok(Page { events: page, next_cursor }) => {
                    events.update(|all| {
                        if !more {
                            all.clear();
                        }
                        all.extend(page);
                    });
                    cursor.set(next_cursor);
                    error.set(None);
                }
                Err(e) => {
                    handle_error(session, &e);
                    error.set(Some(e));
                }
            }
            loading.set(false);
        });
    };
    load(false);
    view! {
        <p class="back"><A href="/me">"‹ Me"</A></p>
        <h1 class="page-title">"Audit log"</h1>
        <p class="muted">"Every change to people, credentials, services, on-call and the status page. Incident activity is on each incident's timeline."</p>
        <label class="field">
            <span>"Show"</span>
            <select on:change=move |ev| { kind.set(event_target_value(&ev)); load(false); }>
                {KINDS.iter().map(|(k, label)| view! { <option value=*k>{*label}</option> }).collect_view()}
            </select>
        </label>
        <ErrorNote error=error/>
        <ol class="audit-list" aria-live="polite">
            {move || events.get().into_iter().map(|e| view! { <Row e=e/> }).collect_view()}
        </ol>
        {move || (events.with(Vec::is_empty) && !loading.get() && error.get().is_none()).then(|| view! { <p class="muted">"Nothing recorded yet."</p> })}
        {move || cursor.get().map(|_| view! {
            <button class="btn" disabled=move || loading.get() on:click=move |_| load(true)>"Older"</button>
        })}
    }
}

#[component]
fn Row(e: AuditEvent) -> impl IntoView {
    let changes = e.before.is_some() || e.after.is_some();
    let pretty = |v: &Option<serde_json::Value>| v.as_ref().map(|v| serde_json::to_string_pretty(v).unwrap_or_default()).unwrap_or_else(|| "—".into());
    let (before, after) = (pretty(&e.before), pretty(&e.after));
    view! {
        <li class="panel audit-row">
            <p><strong>{e.actor.name.clone()}</strong>" "<code>{e.action.clone()}</code></p>
            <p class="card-meta">
                {clock(e.at)}
                {e.target_id.clone().map(|t| format!(" · {} {}", e.target_kind, short(&t)))}
                {e.address.clone().map(|a| format!(" · from {a}"))}
            </p>
            {changes.then(|| view! {
                <details>
                    <summary>"Changes"</summary>
                    <div class="audit-diff">
                        <div><h3>"Before"</h3><pre>{before}</pre></div>
                        <div><h3>"After"</h3><pre>{after}</pre></div>
                    </div>
                </details>
            })}
        </li>
    }
}

/// The start of an id: enough to tell rows apart on a phone.
fn short(id: &str) -> &str {
    id.get(..8).unwrap_or(id)
}
