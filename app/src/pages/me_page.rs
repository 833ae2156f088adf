//! Me: pages on this device (Web Push), the person's devices, how Tocsin contacts them (push,
//! a personal webhook, repeats until acknowledged), and what was sent to them lately.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use tocsin_domain::api::{ContactPreferences, DeliveryView, PersonalWebhook, PushDevice};
use tocsin_domain::auth::Role;
use tocsin_domain::incident::Severity;
use tocsin_domain::notification::RepeatRule;
use tocsin_domain::outbound::DestinationKind;

use super::poll;
use crate::api::{self, ApiError};
use crate::components::{clock, DeliveryList, ErrorNote, Field, SecretOnce};
use crate::push::{self, DeviceState};
use crate::state::{handle_error, session, Session};

pub const IOS_HOME_SCREEN: &str =
    "On iPhone and iPad, add Tocsin to your Home Screen (Share → Add to Home Screen) and open it from there to enable notifications.";

#[component]
pub fn MePage() -> impl IntoView {
    let session = session();
    let me = move || match session.get() {
        Session::LoggedIn(me) => Some(me),
        _ => None,
    };
    let is_admin = move || me().is_some_and(|m| m.role == Role::Admin);
    view! {
        <h1 class="page-title">"Me"</h1>
        {move || me().map(|m| view! {
            <p class="card-meta">{m.user.name.clone()}" · "{m.user.email.clone()}" · "{m.role.as_str()}</p>
        })}
        <Devices/>
        <Preferences/>
        <PushDeliveries/>
        <Show when=is_admin>
            <section class="panel" aria-labelledby="admin-h">
                <h2 id="admin-h">"Organisation"</h2>
                <p>"Post incidents to Slack, Microsoft Teams or your own systems."</p>
                <A href="/settings/webhooks" attr:class="btn">"Chat & webhooks"</A>
                " "
                <A href="/settings/audit" attr:class="btn">"Audit log"</A>
            </section>
        </Show>
    }
}

fn state_text(s: DeviceState) -> &'static str {
    match s {
        DeviceState::Unsupported => "Not supported: this browser cannot receive push notifications. Use Chrome, Edge, Firefox, or Tocsin from the Home Screen on iPhone (iOS 16.4 or later).",
        DeviceState::IosNeedsHomeScreen => IOS_HOME_SCREEN,
        DeviceState::Blocked => "Blocked by the browser: allow notifications for this site in the browser's site settings, then enable them here.",
        DeviceState::Off => "Off: pages do not reach this device yet.",
        DeviceState::On => "On: pages reach this device, with Acknowledge on the notification.",
    }
}

fn state_key(s: DeviceState) -> &'static str {
    match s {
        DeviceState::Unsupported => "unsupported",
        DeviceState::IosNeedsHomeScreen => "ios-home-screen",
        DeviceState::Blocked => "blocked",
        DeviceState::Off => "off",
        DeviceState::On => "on",
    }
}

/// "Notifications on this device" and the list of the person's devices.
#[component]
fn Devices() -> impl IntoView {
    let session = session();
    let state: RwSignal<Option<DeviceState>> = RwSignal::new(None);
    let devices: RwSignal<Option<Vec<PushDevice>>> = RwSignal::new(None);
    let error: RwSignal<Option<ApiError>> = RwSignal::new(None);
    let enable_error: RwSignal<Option<String>> = RwSignal::new(None);
    let notice: RwSignal<Option<String>> = RwSignal::new(None);
    let busy = RwSignal::new(false);
    let device_name = RwSignal::new(push::default_device_name());
    let check = move || spawn_local(async move { state.set(Some(push::state().await)) });
    let load = move || {
        spawn_local(async move {
            match api::push_devices().await {
                Ok(list) => devices.set(Some(list.devices)),
                Err(e) => {
                    handle_error(session, &e);
                    error.set(Some(e));
                }
            }
        })
    };
    check();
    load();
    let enable = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        busy.set(true);
        enable_error.set(None);
        notice.set(None);
        spawn_local(async move {
            match push::enable(device_name.get_untracked()).await {
                Ok(d) => {
                    notice.set(Some(format!("Notifications are on for {}. Send a test to check.", d.device)));
                    load();
                }
                Err(m) => enable_error.set(Some(m)),
            }
            busy.set(false);
            check();
        });
    };
    let test = move |id: String, name: String| {
        notice.set(None);
        spawn_local(async move {
            match api::test_push_device(&id).await {
                Ok(_) => notice.set(Some(format!("Test notification sent to {name}. It should arrive within seconds."))),
                Err(e) => error.set(Some(e)),
            }
        })
    };
    let remove = move |id: String| {
        spawn_local(async move {
            match api::remove_push_device(&id).await {
                Ok(()) => load(),
                Err(e) => error.set(Some(e)),
            }
        })
    };
    let offer_enable = move || !matches!(state.get(), None | Some(DeviceState::Unsupported | DeviceState::IosNeedsHomeScreen));
    view! {
        <section class="panel" aria-labelledby="device-h">
            <h2 id="device-h">"Notifications on this device"</h2>
            {move || match state.get() {
                None => view! { <p class="muted">"Checking this browser…"</p> }.into_any(),
                Some(s) => view! { <p class="device-state" data-state=state_key(s)>{state_text(s)}</p> }.into_any(),
            }}
            <Show when=offer_enable>
                <form on:submit=enable novalidate aria-label="Enable notifications">
                    <Field name="device" id="device-name" label="Name of this device" hint="How it appears in your device list" value=device_name error=error/>
                    <button class="btn primary wide" type="submit" disabled=move || busy.get()>
                        {move || if busy.get() {
                            "Enabling…"
                        } else if state.get() == Some(DeviceState::On) {
                            "Register this device again"
                        } else {
                            "Enable notifications on this device"
                        }}
                    </button>
                </form>
            </Show>
            {move || enable_error.get().map(|m| view! { <p class="error-note enable-error" role="alert">{m}</p> })}
            {move || notice.get().map(|m| view! { <p class="notice" role="status">{m}</p> })}
            <ErrorNote error=error/>
            <h3 class="sub">"Your devices"</h3>
            {move || match devices.get() {
                None => view! { <p class="muted">"Loading…"</p> }.into_any(),
                Some(list) if list.is_empty() => view! { <p class="muted">"No devices yet: pages reach you on no phone."</p> }.into_any(),
                Some(list) => view! {
                    <ul class="events devices">
                        {list.into_iter().map(|d| {
                            let host = d.push_service.trim_start_matches("https://").trim_start_matches("http://").to_string();
                            let (id1, id2, name) = (d.id.clone(), d.id.clone(), d.device.clone());
                            view! {
                                <li class="device">
                                    <div class="alert-summary">{d.device.clone()}</div>
                                    <div class="card-meta">{host}" · added "{clock(d.created_at)}</div>
                                    <div class="card-meta">
                                        {match d.last_success_at {
                                            Some(t) => format!("Last delivered {}", clock(t)),
                                            None => "Nothing delivered yet".into(),
                                        }}
                                    </div>
                                    {d.last_failure.clone().map(|f| view! { <div class="field-error">"Last failure: "{f}</div> })}
                                    <div class="row">
                                        <button class="btn" on:click=move |_| test(id1.clone(), name.clone())>"Send test notification"</button>
                                        <button class="link-btn danger" on:click=move |_| remove(id2.clone())>"Remove"</button>
                                    </div>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }
                .into_any(),
            }}
        </section>
    }
}

const SEVERITY_CHOICES: [(Severity, &str); 4] = [
    (Severity::Sev1, "SEV1 only"),
    (Severity::Sev2, "SEV2 or worse"),
    (Severity::Sev3, "SEV3 or worse"),
    (Severity::Sev4, "Every severity"),
];

#[component]
fn Preferences() -> impl IntoView {
    let session = session();
    let loaded = RwSignal::new(false);
    let push_on = RwSignal::new(true);
    let kind = RwSignal::new(String::new());
    let url = RwSignal::new(String::new());
    let hint: RwSignal<Option<String>> = RwSignal::new(None);
    let repeat_on = RwSignal::new(true);
    let every = RwSignal::new(RepeatRule::DEFAULT.every_minutes.to_string());
    let min_sev = RwSignal::new(RepeatRule::DEFAULT.min_severity.as_str().to_string());
    let error: RwSignal<Option<ApiError>> = RwSignal::new(None);
    let saved = RwSignal::new(false);
    let secret: RwSignal<Option<String>> = RwSignal::new(None);
    let fill = move |p: ContactPreferences| {
        push_on.set(p.push);
        kind.set(p.webhook.as_ref().map(|w| w.kind.as_str().to_string()).unwrap_or_default());
        hint.set(p.webhook.and_then(|w| w.url_hint));
        url.set(String::new());
        repeat_on.set(p.repeat.is_some());
        let r = p.repeat.unwrap_or(RepeatRule::DEFAULT);
        every.set(r.every_minutes.to_string());
        min_sev.set(r.min_severity.as_str().to_string());
        loaded.set(true);
    };
    spawn_local(async move {
        match api::contact_preferences().await {
            Ok(p) => fill(p),
            Err(e) => {
                handle_error(session, &e);
                error.set(Some(e));
            }
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        saved.set(false);
        secret.set(None);
        let field_error = |field: &str, message: &str| ApiError { status: 400, message: message.into(), field: Some(field.into()) };
        let webhook = match kind.get_untracked().parse::<DestinationKind>() {
            Ok(k) => {
                let u = url.get_untracked().trim().to_string();
                Some(PersonalWebhook { kind: k, url: (!u.is_empty()).then_some(u), url_hint: None })
            }
            Err(_) => None,
        };
        let repeat = if repeat_on.get_untracked() {
            let Ok(every_minutes) = every.get_untracked().trim().parse::<u32>() else {
                error.set(Some(field_error("repeat.every_minutes", "must be a whole number of minutes")));
                return;
            };
            let min_severity = min_sev.get_untracked().parse::<Severity>().unwrap_or(Severity::Sev1);
            Some(RepeatRule { every_minutes, min_severity })
        } else {
            None
        };
        let body = ContactPreferences { push: push_on.get_untracked(), webhook, repeat };
        spawn_local(async move {
            match api::put_contact_preferences(&body).await {
                Ok((p, s)) => {
                    fill(p);
                    secret.set(s);
                    error.set(None);
                    saved.set(true);
                }
                Err(e) => {
                    handle_error(session, &e);
                    error.set(Some(e));
                }
            }
        });
    };
    view! {
        <section class="panel" aria-labelledby="prefs-h">
            <h2 id="prefs-h">"How Tocsin reaches you"</h2>
            <Show when=move || loaded.get() fallback=|| view! { <p class="muted">"Loading…"</p> }>
                <form on:submit=submit novalidate aria-label="Contact preferences">
                    <div class="field check">
                        <input type="checkbox" id="pref-push" prop:checked=move || push_on.get() on:change=move |ev| push_on.set(event_target_checked(&ev))/>
                        <label for="pref-push">"Page me with push notifications on my devices"</label>
                    </div>
                    <fieldset>
                        <legend>"Personal webhook"</legend>
                        <div class="field">
                            <label for="pref-webhook-kind">"Kind"</label>
                            <select id="pref-webhook-kind" on:change=move |ev| kind.set(event_target_value(&ev)) prop:value=move || kind.get()>
                                <option value="">"None"</option>
                                {DestinationKind::ALL.into_iter().map(|k| view! { <option value=k.as_str()>{k.label()}</option> }).collect_view()}
                            </select>
                        </div>
                        {move || (!kind.get().is_empty()).then(|| view! {
                            <Field
                                name="webhook.url"
                                id="pref-webhook-url"
                                label="Webhook URL"
                                kind="url"
                                hint=hint.get().map(|h| format!("Set: {h}. Leave empty to keep it.")).unwrap_or_else(|| "For example a Slack incoming webhook that posts to you".into())
                                value=url
                                error=error
                            />
                        })}
                    </fieldset>
                    <div class="field check">
                        <input type="checkbox" id="pref-repeat" prop:checked=move || repeat_on.get() on:change=move |ev| repeat_on.set(event_target_checked(&ev))/>
                        <label for="pref-repeat">"Repeat pages until someone acknowledges"</label>
                    </div>
                    <Show when=move || repeat_on.get()>
                        <div class="row two">
                            <Field name="repeat.every_minutes" id="pref-every" label="Every (minutes)" kind="number" value=every error=error/>
                            <div class="field">
                                <label for="pref-severity">"For incidents of"</label>
                                <select id="pref-severity" on:change=move |ev| min_sev.set(event_target_value(&ev)) prop:value=move || min_sev.get()>
                                    {SEVERITY_CHOICES.into_iter().map(|(s, label)| view! { <option value=s.as_str()>{label}</option> }).collect_view()}
                                </select>
                            </div>
                        </div>
                    </Show>
                    <ErrorNote error=error/>
                    <button class="btn primary wide" type="submit">"Save preferences"</button>
                    {move || saved.get().then(|| view! { <p class="notice" role="status">"Saved."</p> })}
                    {move || secret.get().map(|s| view! {
                        <SecretOnce id="pref-secret" label="Signing secret of your webhook" secret=s/>
                    })}
                </form>
            </Show>
        </section>
    }
}

#[component]
fn PushDeliveries() -> impl IntoView {
    let deliveries: RwSignal<Option<Vec<DeliveryView>>> = RwSignal::new(None);
    let error: RwSignal<Option<ApiError>> = RwSignal::new(None);
    let load = move || {
        spawn_local(async move {
            match api::push_deliveries().await {
                Ok(log) => {
                    deliveries.set(Some(log.deliveries));
                    error.set(None);
                }
                Err(e) => error.set(Some(e)),
            }
        })
    };
    poll(load, 10);
    view! {
        <section class="panel" aria-labelledby="pd-h">
            <h2 id="pd-h">"Recent push deliveries"</h2>
            <ErrorNote error=error/>
            {move || deliveries.get().map(|d| view! { <DeliveryList deliveries=d empty="Nothing sent to your devices yet."/> })}
        </section>
    }
}
