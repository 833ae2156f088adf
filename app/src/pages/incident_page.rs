//! One incident on a phone screen: what, how bad, which service and runbook, its alerts and
//! timeline, and Acknowledge / Resolve within thumb reach.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;
use tocsin_domain::api::{Alert, IncidentDetail, NoteRequest, TimelineEntry};
use tocsin_domain::incident::{apply, IncidentAction};

use super::poll;
use crate::api::{self, ApiError};
use crate::components::{ago, clock, now_ms, Field, PageReach, SeverityBadge, StatusBadge};
use crate::state::{handle_error, session, Session};

#[component]
pub fn IncidentPage() -> impl IntoView {
    let session = session();
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").unwrap_or_default());
    let detail: RwSignal<Option<IncidentDetail>> = RwSignal::new(None);
    let error: RwSignal<Option<ApiError>> = RwSignal::new(None);
    let busy = RwSignal::new(false);
    // Every answer (a refresh or an action) replaces the page's data or shows the error.
    let show = move |result: Result<IncidentDetail, ApiError>| match result {
        Ok(d) => {
            detail.set(Some(d));
            error.set(None);
        }
        Err(e) => {
            handle_error(session, &e);
            error.set(Some(e));
        }
    };
    let load = move || {
        let id = id();
        spawn_local(async move { show(api::incident(&id).await) })
    };
    let escalation: RwSignal<Option<tocsin_domain::api::IncidentNotifications>> = RwSignal::new(None);
    let load_escalation = move || {
        let id = id();
        spawn_local(async move {
            if let Ok(n) = api::notifications(&id).await {
                escalation.set(Some(n));
            }
        })
    };
    // Changes arrive over the live record; a slow refresh stays as the safety net.
    let live = crate::live::watch(id(), move || {
        load();
        load_escalation();
    });
    poll(move || { load(); load_escalation(); }, 30);
    let escalate = move |_| {
        let id = id();
        spawn_local(async move {
            match api::escalate_now(&id).await {
                Ok(_) => load_escalation(),
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let can_respond = move || matches!(session.get(), Session::LoggedIn(me) if me.role >= tocsin_domain::auth::Role::Responder);
    let act = move |action: IncidentAction| {
        let id = id();
        busy.set(true);
        spawn_local(async move {
            show(match action {
                IncidentAction::Acknowledge => api::acknowledge(&id).await,
                IncidentAction::Resolve => api::resolve(&id).await,
                // Not offered here: it happens when an acknowledgement times out or on reassignment.
                IncidentAction::Unacknowledge => {
                    busy.set(false);
                    return;
                }
            });
            busy.set(false);
        });
    };
    view! {
        <p class="back"><A href="/">"‹ Incidents"</A></p>
        <p class="live-state" role="status" data-state=move || format!("{:?}", live.get()).to_lowercase()>
            {move || match live.get() {
                crate::live::Live::Connecting => "Connecting to the live record…",
                crate::live::Live::Live => "● Live: changes appear as they happen",
                crate::live::Live::Lost => "Live updates lost — reconnecting; this page refreshes every 30 s meanwhile",
            }}
        </p>
        {move || error.get().map(|e| view! { <p class="error-note" role="alert">{e.message}</p> })}
        {move || match detail.get() {
            None => view! { <p class="muted">"Loading…"</p> }.into_any(),
            Some(d) => {
                let i = d.incident.clone();
                let now = now_ms();
                // The domain's status machine says which actions make sense now.
                let can = |a| matches!(apply(i.status, a), Ok(tocsin_domain::incident::Transition::Changed { .. }));
                let (can_ack, can_resolve) = (can(IncidentAction::Acknowledge), can(IncidentAction::Resolve));
                view! {
                    <article class="incident">
                        <div class="card-top">
                            <SeverityBadge severity=i.severity/>
                            <StatusBadge status=i.status/>
                            <span class="num">"#"{i.number}</span>
                        </div>
                        <h1 class="incident-title">{i.title.clone()}</h1>
                        <dl class="facts">
                            <dt>"Service"</dt>
                            <dd>{i.service.as_ref().map(|s| s.name.clone()).unwrap_or_else(|| "—".into())}</dd>
                            <dt>"Opened"</dt>
                            <dd>{ago(i.created_at, now)}" ("{clock(i.created_at)}")"</dd>
                            {i.acknowledged_by.clone().map(|a| view! {
                                <dt>"Acknowledged"</dt>
                                <dd>{a.name}" · "{i.acknowledged_at.map(clock).unwrap_or_default()}</dd>
                            })}
                            {i.resolved_by.clone().map(|a| view! {
                                <dt>"Resolved"</dt>
                                <dd>{a.name}" · "{i.resolved_at.map(clock).unwrap_or_default()}</dd>
                            })}
                        </dl>
                        <p>
                            <A href=format!("/status-admin?incident={}&title={}", i.id, js_sys::encode_uri_component(&i.title)) attr:class="btn">
                                "Publish to status page"
                            </A>
                        </p>
                        {i.service.as_ref().and_then(|s| s.runbook_url.clone()).map(|url| view! {
                            <a class="btn runbook" href=url target="_blank" rel="noopener noreferrer">"Open runbook ↗"</a>
                        })}
                        {move || escalation.get().and_then(|n| n.escalation.map(|e| (e, n.notifications))).map(|(e, pages)| view! {
                            <section class="panel escalation" aria-labelledby="esc-h">
                                <h2 id="esc-h">"Escalation"</h2>
                                <p>{format!("{} {}", pages.len(), if pages.len() == 1 { "page" } else { "pages" })}</p>
                                <PageReach notifications=pages/>
                                {match e.next_at {
                                    Some(at) => view! {
                                        <p>"Next: level "{e.level}" at "{clock(at)}</p>
                                        <button class="btn" on:click=escalate>"Escalate now"</button>
                                    }.into_any(),
                                    None => view! { <p class="muted">"No further steps."</p> }.into_any(),
                                }}
                            </section>
                        })}
                        <section aria-labelledby="alerts-h">
                            <h2 id="alerts-h">"Alerts ("{d.alerts.len()}")"</h2>
                            {if d.alerts.is_empty() {
                                view! { <p class="muted">"Declared by hand; no alerts."</p> }.into_any()
                            } else {
                                view! { <ul class="alerts">{d.alerts.into_iter().map(|a| view! { <AlertItem alert=a now=now/> }).collect_view()}</ul> }.into_any()
                            }}
                        </section>
                        {(!d.recent_changes.is_empty()).then(|| view! {
                            <section aria-labelledby="changes-h">
                                <h2 id="changes-h">"Changes in the hour before"</h2>
                                <ul class="events">
                                    {d.recent_changes.iter().map(|c| view! {
                                        <li>
                                            <div class="alert-summary">{c.summary.clone()}</div>
                                            <div class="card-meta">{c.source.clone().unwrap_or_default()}" · "{clock(c.at)}</div>
                                        </li>
                                    }).collect_view()}
                                </ul>
                            </section>
                        })}
                        <section aria-labelledby="timeline-h">
                            <h2 id="timeline-h">"Timeline"</h2>
                            <ol class="timeline">{d.timeline.into_iter().map(|t| view! { <TimelineItem entry=t/> }).collect_view()}</ol>
                        </section>
                        <Show when=can_respond>
                            <NoteForm incident_id=i.id.to_string() on_added=load/>
                        </Show>
                    </article>
                    <Show when=move || can_respond() && (can_ack || can_resolve)>
                        <div class="actionbar">
                            {can_ack.then(|| view! {
                                <button class="btn ack" disabled=move || busy.get() on:click=move |_| act(IncidentAction::Acknowledge)>"Acknowledge"</button>
                            })}
                            {can_resolve.then(|| view! {
                                <button class="btn resolve" disabled=move || busy.get() on:click=move |_| act(IncidentAction::Resolve)>"Resolve"</button>
                            })}
                        </div>
                    </Show>
                }
                .into_any()
            }
        }}
    }
}

#[component]
fn AlertItem(alert: Alert, now: i64) -> impl IntoView {
    let repeats = (alert.event_count > 1).then(|| format!(" · ×{}", alert.event_count));
    view! {
        <li class=format!("alert {}", alert.status.as_str())>
            <div class="alert-summary">{alert.summary.clone()}</div>
            <div class="card-meta">
                {alert.status.as_str()}" · "{alert.severity.as_str()}" · "{alert.vendor.clone()}
                {alert.source.clone().map(|s| format!(" · {s}"))}
                {repeats}
                " · last "{ago(alert.last_seen_at, now)}
            </div>
            {(!alert.links.is_empty()).then(|| view! {
                <p class="links">
                    {alert.links.iter().map(|l| view! {
                        <a href=l.href.clone() target="_blank" rel="noopener noreferrer">
                            {if l.text.is_empty() { "Link".to_string() } else { l.text.clone() }}" ↗"
                        </a>
                    }).collect_view()}
                </p>
            })}
            {(!alert.events.is_empty()).then(|| view! {
                <details>
                    <summary>{format!("Received events ({})", alert.events.len())}</summary>
                    <ul class="events">
                        {alert.events.iter().map(|e| view! {
                            <li>
                                <div class="card-meta">{e.result.clone()}" · "{e.action.clone().unwrap_or_default()}" · "{ago(e.received_at, now)}</div>
                                <pre class="mono">{e.raw.clone()}</pre>
                            </li>
                        }).collect_view()}
                    </ul>
                </details>
            })}
        </li>
    }
}

#[component]
fn TimelineItem(entry: TimelineEntry) -> impl IntoView {
    view! {
        <li>
            <time datetime=entry.at.to_rfc3339()>{clock(entry.at)}</time>
            <span class="tl-msg">{entry.message}</span>
        </li>
    }
}

/// "Add a note" under the timeline: what was tried, what was learned (chat destinations hear it).
#[component]
fn NoteForm(incident_id: String, on_added: impl Fn() + Copy + Send + Sync + 'static) -> impl IntoView {
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
        let id = incident_id.clone();
        busy.set(true);
        spawn_local(async move {
            match api::add_note(&id, &NoteRequest { body: text }).await {
                Ok(_) => {
                    body.set(String::new());
                    error.set(None);
                    on_added();
                }
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };
    view! {
        <form class="panel note-form" on:submit=submit novalidate aria-label="Add a note">
            <Field name="body" id="note-body" label="Add a note" kind="textarea" value=body error=error/>
            {move || error.get().filter(|e| e.field.is_none()).map(|e| view! { <p class="error-note" role="alert">{e.message}</p> })}
            <button class="btn" type="submit" disabled=move || busy.get()>"Add note"</button>
        </form>
    }
}
