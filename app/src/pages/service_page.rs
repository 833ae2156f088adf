//! One service: its integrations (every endpoint with a ready-to-paste snippet), ingestion
//! settings (grouping, auto-resolve, webhook secret) and the last events received with what
//! became of each.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;
use serde_json::json;
use tocsin_domain::api::{AlertEventLog, IntegrationEndpoint, Service, ServiceIntegrations};
use tocsin_domain::auth::Role;
use tocsin_domain::grouping::GroupingRule;

use super::poll;
use crate::api::{self, ApiError};
use crate::components::{ago, now_ms, ErrorNote, Field};
use crate::state::{handle_error, session, Session};

#[component]
pub fn ServicePage() -> impl IntoView {
    let session = session();
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").unwrap_or_default());
    let service: RwSignal<Option<Service>> = RwSignal::new(None);
    let integrations: RwSignal<Option<ServiceIntegrations>> = RwSignal::new(None);
    let error: RwSignal<Option<ApiError>> = RwSignal::new(None);
    // The service (and its settings form) loads once; the event log refreshes every 5 s.
    spawn_local(async move {
        match api::service(&id()).await {
            Ok(s) => service.set(Some(s)),
            Err(e) => {
                handle_error(session, &e);
                error.set(Some(e));
            }
        }
    });
    let load = move || {
        let id = id();
        spawn_local(async move {
            match api::integrations(&id).await {
                Ok(i) => {
                    integrations.set(Some(i));
                    error.set(None);
                }
                Err(e) => {
                    handle_error(session, &e);
                    error.set(Some(e));
                }
            }
        })
    };
    poll(load, 5);
    let loaded = Memo::new(move |_| service.with(Option::is_some));
    let is_admin = move || matches!(session.get(), Session::LoggedIn(me) if me.role == Role::Admin);
    view! {
        <p class="back"><A href="/services">"‹ Services"</A></p>
        <ErrorNote error=error/>
        {move || loaded.get().then(|| service.get_untracked()).flatten().map(|s| view! {
            <h1>{s.name.clone()}</h1>
            {(!s.description.is_empty()).then(|| view! { <p class="muted">{s.description.clone()}</p> })}
            <Show when=is_admin>
                <Settings service=s.clone() on_saved=move |saved| service.set(Some(saved))/>
            </Show>
            <super::readiness_page::RunbookReview service_id=id() is_admin=Signal::derive(is_admin)/>
        })}
        {move || integrations.get().map(|i| {
            let now = now_ms();
            view! {
                <section aria-labelledby="events-h">
                    <h2 id="events-h">"Last events received"</h2>
                    {if i.recent_events.is_empty() {
                        view! { <p class="muted">"Nothing received yet. Point a monitoring tool at one of the endpoints below."</p> }.into_any()
                    } else {
                        view! { <ul class="events">{i.recent_events.into_iter().map(|e| view! { <EventItem event=e now=now/> }).collect_view()}</ul> }.into_any()
                    }}
                </section>
                {(!i.recent_changes.is_empty()).then(|| view! {
                    <section aria-labelledby="changes-h">
                        <h2 id="changes-h">"Recent changes"</h2>
                        <ul class="events">
                            {i.recent_changes.into_iter().map(|ch| view! {
                                <li>
                                    <div class="alert-summary">{ch.summary}</div>
                                    <div class="card-meta">{ch.source.unwrap_or_default()}" · "{ago(ch.at, now)}</div>
                                </li>
                            }).collect_view()}
                        </ul>
                    </section>
                })}
                {(!i.sns_subscriptions.is_empty()).then(|| view! {
                    <section aria-labelledby="sns-h">
                        <h2 id="sns-h">"SNS subscriptions"</h2>
                        <ul class="events">
                            {i.sns_subscriptions.into_iter().map(|s| view! {
                                <li>
                                    <div class="mono">{s.topic_arn}</div>
                                    <div class="card-meta">{s.status.clone()}</div>
                                    {(s.status == "pending" && !s.subscribe_url.is_empty()).then(|| view! {
                                        <a href=s.subscribe_url target="_blank" rel="noopener noreferrer">"Confirm the subscription ↗"</a>
                                    })}
                                </li>
                            }).collect_view()}
                        </ul>
                    </section>
                })}
                <section aria-labelledby="int-h">
                    <h2 id="int-h">"Integrations"</h2>
                    {i.endpoints.into_iter().map(|e| view! { <EndpointCard endpoint=e/> }).collect_view()}
                </section>
            }
        })}
    }
}

#[component]
fn EventItem(event: AlertEventLog, now: i64) -> impl IntoView {
    let class = format!("badge result result-{}", event.result);
    view! {
        <li>
            <div class="card-top">
                <span class=class>{event.result.clone()}</span>
                <span class="card-meta">{event.vendor.clone()}{event.action.clone().map(|a| format!(" · {a}"))}</span>
                <span class="num">{ago(event.received_at, now)}</span>
            </div>
            <div class="event-msg">{event.message.clone()}</div>
            {event.dedup_key.clone().map(|k| view! { <div class="card-meta mono">"dedup key: "{k}</div> })}
            {(!event.raw.is_empty()).then(|| view! {
                <details>
                    <summary>"Payload"</summary>
                    <pre class="mono">{event.raw.clone()}</pre>
                </details>
            })}
        </li>
    }
}

#[component]
fn EndpointCard(endpoint: IntegrationEndpoint) -> impl IntoView {
    let copied = RwSignal::new(false);
    let url = endpoint.url.clone();
    let copy = move |_| {
        let _ = window().navigator().clipboard().write_text(&url);
        copied.set(true);
    };
    let input_id = format!("ep-{}", endpoint.vendor);
    view! {
        <article class="service-card" aria-label=endpoint.name.clone()>
            <h3>{endpoint.name.clone()}</h3>
            <p class="card-meta">{endpoint.help.clone()}</p>
            <label class="small-label" for=input_id.clone()>"URL"</label>
            <div class="copy-row">
                <input class="mono" id=input_id readonly value=endpoint.url.clone()/>
                <button class="btn" on:click=copy>{move || if copied.get() { "Copied" } else { "Copy" }}</button>
            </div>
            <details>
                <summary>"Configuration"</summary>
                <pre class="mono">{endpoint.snippet.clone()}</pre>
            </details>
        </article>
    }
}

/// Admin settings: how alerts group into incidents, auto-resolve, and the webhook secret.
#[component]
fn Settings(service: Service, on_saved: impl Fn(Service) + Copy + Send + Sync + 'static) -> impl IntoView {
    let (kind, minutes, field) = match &service.grouping {
        GroupingRule::None => ("none", 10, String::new()),
        GroupingRule::TimeWindow { minutes } => ("time_window", *minutes, String::new()),
        GroupingRule::ByField { field } => ("by_field", 10, field.clone()),
    };
    let kind = RwSignal::new(kind.to_string());
    let minutes = RwSignal::new(minutes.to_string());
    let field = RwSignal::new(field);
    let auto_resolve = RwSignal::new(service.auto_resolve);
    let unack = RwSignal::new(service.unack_timeout_minutes.map(|m| m.to_string()).unwrap_or_default());
    let secret = RwSignal::new(String::new());
    let topic = RwSignal::new(service.sns_topic_arn.clone().unwrap_or_default());
    let error: RwSignal<Option<ApiError>> = RwSignal::new(None);
    let saved = RwSignal::new(false);
    let id = service.id.to_string();
    let secret_set = service.webhook_secret_set;
    let policies: RwSignal<Vec<tocsin_domain::api::PolicyView>> = RwSignal::new(Vec::new());
    spawn_local(async move {
        if let Ok(p) = api::policies().await {
            policies.set(p.escalation_policies);
        }
    });
    let current_policy = service.escalation_policy_id.clone().unwrap_or_default();
    let policy_service = id.clone();
    let choose_policy = move |ev: leptos::ev::Event| {
        let value = event_target_value(&ev);
        let sid = policy_service.clone();
        spawn_local(async move {
            let chosen = (!value.is_empty()).then_some(value);
            if let Err(e) = api::set_service_policy(&sid, chosen.as_deref()).await {
                error.set(Some(e));
            }
        });
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let grouping = match kind.get().as_str() {
            "time_window" => json!({"type": "time_window", "minutes": minutes.get().trim().parse::<u32>().unwrap_or(0)}),
            "by_field" => json!({"type": "by_field", "field": field.get()}),
            _ => json!({"type": "none"}),
        };
        let unack_value = unack.get().trim().parse::<i64>().ok();
        let mut body = json!({"grouping": grouping, "auto_resolve": auto_resolve.get(), "unack_timeout_minutes": unack_value, "sns_topic_arn": topic.get()});
        if !secret.get().is_empty() {
            body["webhook_secret"] = json!(secret.get());
        }
        let id = id.clone();
        // A "Saved." from an earlier save must not stand beside this one's error.
        saved.set(false);
        spawn_local(async move {
            match api::patch_service(&id, &body).await {
                Ok(s) => {
                    error.set(None);
                    secret.set(String::new());
                    saved.set(true);
                    on_saved(s);
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    view! {
        <details class="panel">
            <summary>"Alert settings"</summary>
            <form on:submit=submit novalidate aria-label="Alert settings">
                <div class="field">
                    <label for="grouping">"Group new alerts"</label>
                    <select id="grouping" prop:value=move || kind.get() on:change=move |ev| kind.set(event_target_value(&ev))>
                        <option value="none">"Each alert opens its own incident"</option>
                        <option value="time_window">"Into the open incident of the last N minutes"</option>
                        <option value="by_field">"Into the open incident with the same label value"</option>
                    </select>
                </div>
                <Show when=move || kind.get() == "time_window">
                    <Field name="grouping.minutes" label="Minutes" kind="number" value=minutes error=error/>
                </Show>
                <Show when=move || kind.get() == "by_field">
                    <Field name="grouping.field" label="Label (e.g. cluster, alertname)" value=field error=error/>
                </Show>
                <div class="field">
                    <label for="escalation_policy">"Escalation policy"</label>
                    <select id="escalation_policy" on:change=choose_policy>
                        <option value="">"Nobody is paged"</option>
                        {move || policies.get().into_iter().map(|p| {
                            let selected = p.id == current_policy;
                            view! { <option value=p.id.clone() selected=selected>{p.name.clone()}</option> }
                        }).collect_view()}
                    </select>
                </div>
                <div class="field check">
                    <input id="auto_resolve" type="checkbox" prop:checked=move || auto_resolve.get()
                        on:change=move |ev| auto_resolve.set(event_target_checked(&ev))/>
                    <label for="auto_resolve">"Resolve the incident when all its alerts resolve"</label>
                </div>
                <Field name="unack_timeout_minutes" label="Un-acknowledge after (minutes)" kind="number"
                    hint="Optional: an acknowledged incident not resolved by then goes back to triggered and pages again." value=unack error=error/>
                <Field name="webhook_secret" label="Webhook secret" kind="password" autocomplete="off"
                    hint=if secret_set { "A secret is set. Type a new one to replace it." } else { "Optional, 16+ characters: Grafana HMAC, Sentry client secret, Datadog header." }
                    value=secret error=error/>
                <Field name="sns_topic_arn" label="SNS topic (CloudWatch)" autocomplete="off"
                    hint="Optional: arn:aws:sns:region:account:topic. Only this topic's alarms are accepted. Empty: the first topic confirmed is kept."
                    value=topic error=error/>
                <ErrorNote error=error/>
                <button class="btn primary" type="submit">"Save settings"</button>
                {move || saved.get().then(|| view! { <p class="muted" role="status">"Saved."</p> })}
            </form>
        </details>
    }
}
