//! Sheets over the workspace, opened from the action bar: "Add responders" (suggestions by
//! expertise and on-call, or anyone found by name; paged through the usual channels) and
//! "Post update" (status, what's happening, when the next update comes, publish).

use leptos::prelude::*;
use tocsin_domain::api::responders::{RequestRespondersRequest, ResponderSuggestions};
use tocsin_domain::api::status_updates::{StatusUpdateRequest, UpdateState};
use tocsin_domain::ids::UserId;

use super::people::available;
use super::{Sheet, Ws};
use crate::api::{self, ApiError};

/// A bottom sheet: a dialog within thumb reach; tapping outside closes it.
#[component]
fn BottomSheet(ws: Ws, id: &'static str, title: &'static str, children: Children) -> impl IntoView {
    let (head, head_ref) = (format!("{id}-h"), format!("{id}-h"));
    view! {
        <div class="sheet-backdrop" on:click=move |_| ws.sheet.set(Sheet::Closed)></div>
        <section class="sheet" id=id role="dialog" aria-modal="true" aria-labelledby=head_ref>
            <div class="row spread">
                <h2 id=head>{title}</h2>
                <button class="link-btn" on:click=move |_| ws.sheet.set(Sheet::Closed)>"Close"</button>
            </div>
            {children()}
        </section>
    }
}

#[component]
pub(super) fn AddRespondersSheet(ws: Ws) -> impl IntoView {
    let suggestions: RwSignal<Option<ResponderSuggestions>> = RwSignal::new(None);
    let chosen: RwSignal<Vec<String>> = RwSignal::new(Vec::new());
    let search = RwSignal::new(String::new());
    let message = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let error: RwSignal<Option<ApiError>> = RwSignal::new(None);
    ws.load_users();
    {
        let id = ws.id.get_untracked();
        leptos::task::spawn_local(async move {
            match api::responder_suggestions(&id).await {
                Ok(s) => suggestions.set(Some(s)),
                Err(e) => error.set(Some(e)),
            }
        });
    }
    let toggle = move |uid: String| chosen.update(|c| if let Some(i) = c.iter().position(|x| *x == uid) { c.remove(i); } else { c.push(uid); });
    let responding = move |uid: &str| ws.with(|d| d.responders.iter().any(|r| r.user.id.as_str() == uid && r.state.is_responding()));
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let ids = chosen.get_untracked();
        if ids.is_empty() {
            error.set(Some(ApiError { status: 400, message: "Choose someone first.".into(), field: Some("user_ids".into()) }));
            return;
        }
        let msg = message.get_untracked().trim().to_string();
        let body = RequestRespondersRequest { user_ids: Some(ids.into_iter().map(UserId).collect()), message: (!msg.is_empty()).then_some(msg), ..Default::default() };
        let id = ws.id.get_untracked();
        busy.set(true);
        leptos::task::spawn_local(async move {
            match api::request_responders(&id, &body).await {
                Ok(_) => {
                    ws.sheet.set(Sheet::Closed);
                    ws.tab.set(super::Tab::Responders);
                    ws.reload.run(());
                }
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };
    let person = move |uid: String, name: String, why: String| {
        let pressed = { let uid = uid.clone(); move || chosen.with(|c| c.contains(&uid)).to_string() };
        let already = responding(&uid);
        view! {
            <li>
                <button type="button" class="person" data-user=uid.clone() aria-pressed=pressed disabled=already on:click=move |_| toggle(uid.clone())>
                    <span class="alert-summary">{name}</span>
                    <span class="card-meta">{if already { "Already asked".to_string() } else { why }}</span>
                </button>
            </li>
        }
    };
    view! {
        <BottomSheet ws=ws id="add-responders" title="Add responders">
            <form on:submit=submit novalidate>
                {move || suggestions.get().map(|s| view! {
                    <h3>{if s.expertise.is_empty() { "Suggested".to_string() } else { format!("Suggested for {}", s.expertise.join(", ")) }}</h3>
                    {if s.suggestions.is_empty() {
                        view! { <p class="muted">"No suggestions: find people by name below."</p> }.into_any()
                    } else {
                        view! {
                            <ul class="people suggestions">
                                {s.suggestions.into_iter().map(|x| person(x.user.id.to_string(), x.user.name, x.reasons.join(" · "))).collect_view()}
                            </ul>
                        }.into_any()
                    }}
                })}
                <label for="responder-search" class="small-label">"Find anyone"</label>
                <input id="responder-search" type="search" placeholder="Name…" prop:value=move || search.get() on:input=move |e| search.set(event_target_value(&e))/>
                <ul class="people">
                    {move || {
                        let q = search.get().to_lowercase();
                        if q.is_empty() {
                            return Vec::new();
                        }
                        ws.users.with(|u| u.as_deref().map(available).unwrap_or_default())
                            .into_iter()
                            .filter(|u| u.name.to_lowercase().contains(&q))
                            .take(8)
                            .map(|u| person(u.id.to_string(), u.name.clone(), u.expertise.join(", ")))
                            .collect::<Vec<_>>()
                    }}
                </ul>
                <label for="responder-message" class="small-label">"Message (optional)"</label>
                <input id="responder-message" name="message" maxlength="500" placeholder="What you need from them" prop:value=move || message.get() on:input=move |e| message.set(event_target_value(&e))/>
                {move || error.get().map(|e| view! { <p class="error-note" role="alert">{e.message}</p> })}
                <button class="btn primary wide" type="submit" disabled=move || busy.get()>
                    {move || match chosen.with(Vec::len) { 0 => "Page".to_string(), 1 => "Page 1 person".to_string(), n => format!("Page {n} people") }}
                </button>
            </form>
        </BottomSheet>
    }
}

#[component]
pub(super) fn PostUpdateSheet(ws: Ws) -> impl IntoView {
    // Start from where the last update left things.
    let status = RwSignal::new(ws.with(|d| d.updates.first().map(|u| u.status)).unwrap_or(UpdateState::Investigating));
    let message = RwSignal::new(String::new());
    let next = RwSignal::new("30".to_string());
    let publish = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let error: RwSignal<Option<ApiError>> = RwSignal::new(None);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let text = message.get_untracked().trim().to_string();
        if text.is_empty() {
            error.set(Some(ApiError { status: 400, message: "Say what's happening.".into(), field: Some("message".into()) }));
            return;
        }
        let minutes = next.get_untracked().trim().to_string();
        let next_update_minutes = if minutes.is_empty() {
            None
        } else {
            match minutes.parse::<i64>() {
                Ok(m) => Some(m),
                Err(_) => {
                    error.set(Some(ApiError { status: 400, message: "Next update: a number of minutes, or empty.".into(), field: Some("next_update_minutes".into()) }));
                    return;
                }
            }
        };
        let body = StatusUpdateRequest { status: status.get_untracked(), message: text, next_update_minutes, publish: publish.get_untracked() };
        let id = ws.id.get_untracked();
        busy.set(true);
        leptos::task::spawn_local(async move {
            match api::post_update(&id, &body).await {
                Ok(_) => {
                    ws.sheet.set(Sheet::Closed);
                    ws.reload.run(());
                }
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };
    let field_error = move |f: &'static str| error.get().filter(|e| e.field.as_deref() == Some(f)).map(|e| view! { <p class="field-error" role="alert">{e.message}</p> });
    view! {
        <BottomSheet ws=ws id="post-update" title="Post update">
            <form on:submit=submit novalidate>
                <div class="filters" role="radiogroup" aria-label="Status">
                    {UpdateState::ALL.iter().copied().map(|s| view! {
                        <button type="button" class="chip" role="radio" data-status=s.as_str() aria-checked=move || (status.get() == s).to_string() on:click=move |_| status.set(s)>{s.label()}</button>
                    }).collect_view()}
                </div>
                <label for="update-message">"What's happening"</label>
                <textarea id="update-message" name="message" rows="4" prop:value=move || message.get() on:input=move |e| message.set(event_target_value(&e))></textarea>
                {move || field_error("message")}
                <label for="update-next" class="small-label">"Next update in (minutes)"</label>
                <input id="update-next" name="next_update_minutes" inputmode="numeric" prop:value=move || next.get() on:input=move |e| next.set(event_target_value(&e))/>
                {move || field_error("next_update_minutes")}
                <div class="field check">
                    <input id="update-publish" type="checkbox" prop:checked=move || publish.get() on:change=move |e| publish.set(event_target_checked(&e))/>
                    <label for="update-publish">"Also publish on the status page"</label>
                </div>
                {move || error.get().filter(|e| !matches!(e.field.as_deref(), Some("message" | "next_update_minutes"))).map(|e| view! { <p class="error-note" role="alert">{e.message}</p> })}
                <button class="btn primary wide" type="submit" disabled=move || busy.get()>"Post update"</button>
            </form>
        </BottomSheet>
    }
}
