//! What happened to outbound messages (push pages, chat and webhook posts): each delivery and
//! its attempts, newest first; and a secret shown once with a copy button.

use leptos::prelude::*;
use tocsin_domain::api::{DeliveryView, Notification};
use tocsin_domain::outbound::EventKind;

use super::clock;

fn state_label(state: &str) -> &str {
    match state {
        "pending" => "Retrying",
        "sent" => "Delivered",
        "failed" => "Failed",
        "gone" => "Gone (receiver no longer exists)",
        "skipped" => "Not sent (no longer needed)",
        other => other,
    }
}

fn event_label(event: &str) -> String {
    match event {
        "page" => "Page".into(),
        "test" => "Test message".into(),
        e => e.parse::<EventKind>().map(|k| k.label().to_string()).unwrap_or_else(|_| e.to_string()),
    }
}

#[component]
pub fn DeliveryList(deliveries: Vec<DeliveryView>, #[prop(into)] empty: String) -> impl IntoView {
    if deliveries.is_empty() {
        return view! { <p class="muted">{empty}</p> }.into_any();
    }
    view! {
        <ul class="events deliveries">
            {deliveries.into_iter().map(|d| view! {
                <li data-state=d.state.clone()>
                    <div class="row spread">
                        <span class="alert-summary" data-event=d.event.clone()>{event_label(&d.event)}</span>
                        <span class=format!("badge delivery-{}", d.state)>{state_label(&d.state).to_string()}</span>
                    </div>
                    <div class="card-meta">"Queued "{clock(d.created_at)}</div>
                    {if d.attempts.is_empty() {
                        view! { <p class="card-meta">"No attempt yet."</p> }.into_any()
                    } else {
                        view! {
                            <ol class="attempts">
                                {d.attempts.iter().map(|a| view! {
                                    <li>
                                        <time datetime=a.at.to_rfc3339()>{clock(a.at)}</time>
                                        " · "{a.status.map(|s| format!("HTTP {s}")).unwrap_or_else(|| "no answer".into())}
                                        " · "{match a.status {
                                            // "201: delivered" after "HTTP 201" says the status twice.
                                            Some(s) => a.outcome.strip_prefix(&format!("{s}: ")).unwrap_or(&a.outcome).to_string(),
                                            None => a.outcome.clone(),
                                        }}
                                        <span class="muted">{format!(" · {} ms", a.duration_ms)}</span>
                                    </li>
                                }).collect_view()}
                            </ol>
                        }.into_any()
                    }}
                </li>
            }).collect_view()}
        </ul>
    }
    .into_any()
}

/// Who an escalation paged and whether it reached them: each page with its messages (push
/// devices, personal webhook), so a responder sees at once when a page went nowhere.
#[component]
pub fn PageReach(notifications: Vec<Notification>) -> impl IntoView {
    view! {
        <ul class="events pages">
            {notifications.into_iter().map(|n| {
                let reached = n.deliveries.iter().any(|d| d.state == "sent");
                let nowhere = n.deliveries.is_empty() && n.state == "dispatched";
                view! {
                    <li data-user=n.user_id.to_string() data-reached=reached.to_string()>
                        <div class="row spread">
                            <span class="alert-summary">{n.user_name.clone()}</span>
                            <span class="card-meta">{format!("level {} · {}", n.level, clock(n.created_at))}</span>
                        </div>
                        {match n.state.as_str() {
                            "pending" => view! { <p class="card-meta">"Sending…"</p> }.into_any(),
                            "skipped" => view! { <p class="card-meta">"Not sent: acknowledged first"</p> }.into_any(),
                            "expired" => view! { <p class="card-meta">"Not sent: too old by the time it could go"</p> }.into_any(),
                            _ if nowhere => view! {
                                <p class="card-meta warn" role="note">"No device or webhook to page them: they can enable notifications on Me"</p>
                            }.into_any(),
                            _ => view! {
                                <ul class="attempts">
                                    {n.deliveries.iter().map(|d| view! {
                                        <li data-state=d.state.clone()>
                                            {match (d.channel.as_str(), &d.device) {
                                                ("push", Some(name)) => name.clone(),
                                                ("push", None) => "A removed device".into(),
                                                _ => "Personal webhook".into(),
                                            }}
                                            {if d.repeat { " (repeat)" } else { "" }}
                                            " — "{state_label(&d.state).to_string()}
                                            {d.status.filter(|_| d.state != "sent").map(|s| format!(" (HTTP {s})"))}
                                            " · "<time datetime=d.at.to_rfc3339()>{clock(d.at)}</time>
                                        </li>
                                    }).collect_view()}
                                </ul>
                            }.into_any(),
                        }}
                    </li>
                }
            }).collect_view()}
        </ul>
    }
}

/// A secret the server shows once: a read-only field, a Copy button and the warning.
#[component]
pub fn SecretOnce(#[prop(into)] id: String, #[prop(into)] label: String, secret: String) -> impl IntoView {
    let copied = RwSignal::new(false);
    let copy = {
        let secret = secret.clone();
        move |_| {
            let _ = window().navigator().clipboard().write_text(&secret);
            copied.set(true);
        }
    };
    view! {
        <div class="secret-once" role="status">
            <label class="small-label" for=id.clone()>{label}</label>
            <div class="copy-row">
                <input class="mono" id=id readonly value=secret/>
                <button class="btn" type="button" on:click=copy>{move || if copied.get() { "Copied" } else { "Copy" }}</button>
            </div>
            <p class="hint"><strong>"Shown once."</strong>" Copy it now: Tocsin keeps it encrypted and never shows it again."</p>
        </div>
    }
}
