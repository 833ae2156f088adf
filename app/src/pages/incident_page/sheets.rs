//! Sheets over the workspace, opened from the action bar: "Add responders" (suggestions by
//! expertise and on-call, or anyone found by name, or whoever is on call in a schedule or the
//! first level of an escalation policy; paged through the usual channels) and
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
pub(super) fn BottomSheet(ws: Ws, id: &'static str, title: &'static str, children: Children) -> impl IntoView {
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

/// Whom the "Add responders" sheet pages: people picked by name, or whoever is on call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PageBy {
    People,
    Schedule,
    Policy,
}

impl PageBy {
    const ALL: [PageBy; 3] = [PageBy::People, PageBy::Schedule, PageBy::Policy];

    fn key(self) -> &'static str {
        match self {
            Self::People => "people",
            Self::Schedule => "schedule",
            Self::Policy => "policy",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Self::People => "People",
            Self::Schedule => "On call in a schedule",
            Self::Policy => "Escalation policy",
        }
    }
}

#[component]
pub(super) fn AddRespondersSheet(ws: Ws) -> impl IntoView {
    let by = RwSignal::new(PageBy::People);
    let error: RwSignal<Option<ApiError>> = RwSignal::new(None);
    // Schedules and policies (id, name), loaded when first chosen.
    let schedules: RwSignal<Option<Vec<(String, String)>>> = RwSignal::new(None);
    let policies: RwSignal<Option<Vec<(String, String)>>> = RwSignal::new(None);
    let schedule = RwSignal::new(String::new());
    let policy = RwSignal::new(String::new());
    let choose = move |b: PageBy| {
        by.set(b);
        error.set(None);
        match b {
            PageBy::Schedule if schedules.get_untracked().is_none() => leptos::task::spawn_local(async move {
                match api::schedule_names().await {
                    Ok(l) => {
                        if let Some(first) = l.first() {
                            schedule.set(first.id.clone());
                        }
                        schedules.set(Some(l.into_iter().map(|n| (n.id, n.name)).collect()));
                    }
                    Err(e) => error.set(Some(e)),
                }
            }),
            PageBy::Policy if policies.get_untracked().is_none() => leptos::task::spawn_local(async move {
                match api::policies().await {
                    Ok(l) => {
                        if let Some(first) = l.escalation_policies.first() {
                            policy.set(first.id.clone());
                        }
                        policies.set(Some(l.escalation_policies.into_iter().map(|p| (p.id, p.name)).collect()));
                    }
                    Err(e) => error.set(Some(e)),
                }
            }),
            _ => {}
        }
    };
    let suggestions: RwSignal<Option<ResponderSuggestions>> = RwSignal::new(None);
    let chosen: RwSignal<Vec<String>> = RwSignal::new(Vec::new());
    let search = RwSignal::new(String::new());
    let message = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
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
    let rest = ws.rest();
    let toggle = move |uid: String| chosen.update(|c| if let Some(i) = c.iter().position(|x| *x == uid) { c.remove(i); } else { c.push(uid); });
    let responding = move |uid: &str| rest.with(|rest| rest.responders.iter().any(|r| r.user.id.as_str() == uid && r.state.is_responding()));
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let msg = message.get_untracked().trim().to_string();
        let mut body = RequestRespondersRequest { message: (!msg.is_empty()).then_some(msg), ..Default::default() };
        let missing = |field: &str, what: &str| Some(ApiError { status: 400, message: format!("{field}: {what}"), field: Some(field.into()) });
        match by.get_untracked() {
            PageBy::People => {
                let ids = chosen.get_untracked();
                if ids.is_empty() {
                    error.set(missing("user_ids", "choose someone first."));
                    return;
                }
                body.user_ids = Some(ids.into_iter().map(UserId).collect());
            }
            PageBy::Schedule => {
                let s = schedule.get_untracked();
                if s.is_empty() {
                    error.set(missing("schedule_id", "choose a schedule."));
                    return;
                }
                body.schedule_id = Some(s);
            }
            PageBy::Policy => {
                let p = policy.get_untracked();
                if p.is_empty() {
                    error.set(missing("policy_id", "choose an escalation policy."));
                    return;
                }
                body.policy_id = Some(p);
            }
        }
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
                <div class="filters page-by" role="radiogroup" aria-label="Whom to page">
                    {PageBy::ALL.into_iter().map(|b| view! {
                        <button type="button" class="chip" role="radio" data-by=b.key() aria-checked=move || (by.get() == b).to_string() on:click=move |_| choose(b)>{b.label()}</button>
                    }).collect_view()}
                </div>
                <Show when=move || by.get() == PageBy::Schedule>
                    <label for="responder-schedule">"Page whoever is on call now in"</label>
                    {move || match schedules.get() {
                        None => view! { <p class="muted">"Loading schedules…"</p> }.into_any(),
                        Some(l) if l.is_empty() => view! { <p class="muted">"No schedules yet."</p> }.into_any(),
                        Some(l) => view! {
                            <select id="responder-schedule" name="schedule_id" on:change=move |e| schedule.set(event_target_value(&e))>
                                {l.into_iter().map(|(id, name)| { let sel = schedule.get_untracked() == id; view! { <option value=id selected=sel>{name}</option> } }).collect_view()}
                            </select>
                        }.into_any(),
                    }}
                </Show>
                <Show when=move || by.get() == PageBy::Policy>
                    <label for="responder-policy">"Page the first level of"</label>
                    {move || match policies.get() {
                        None => view! { <p class="muted">"Loading policies…"</p> }.into_any(),
                        Some(l) if l.is_empty() => view! { <p class="muted">"No escalation policies yet."</p> }.into_any(),
                        Some(l) => view! {
                            <select id="responder-policy" name="policy_id" on:change=move |e| policy.set(event_target_value(&e))>
                                {l.into_iter().map(|(id, name)| { let sel = policy.get_untracked() == id; view! { <option value=id selected=sel>{name}</option> } }).collect_view()}
                            </select>
                        }.into_any(),
                    }}
                </Show>
                <Show when=move || by.get() == PageBy::People>
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
                        let q = crate::components::lower(&search.get());
                        if q.is_empty() {
                            return Vec::new();
                        }
                        ws.users.with(|u| u.as_deref().map(available).unwrap_or_default())
                            .into_iter()
                            .filter(|u| crate::components::name_matches(&u.name, &q))
                            .take(8)
                            .map(|u| person(u.id.to_string(), u.name.clone(), u.expertise.join(", ")))
                            .collect::<Vec<_>>()
                    }}
                </ul>
                </Show>
                <label for="responder-message" class="small-label">"Message (optional)"</label>
                <input id="responder-message" name="message" maxlength="500" placeholder="What you need from them" prop:value=move || message.get() on:input=move |e| message.set(event_target_value(&e))/>
                {move || error.get().map(|e| view! { <p class="error-note" role="alert">{e.message}</p> })}
                <button class="btn primary wide" type="submit" disabled=move || busy.get()>
                    {move || match (by.get(), chosen.with(Vec::len)) {
                        (PageBy::Schedule | PageBy::Policy, _) => "Page who is on call".to_string(),
                        (_, 0) => "Page".to_string(),
                        (_, 1) => "Page 1 person".to_string(),
                        (_, n) => format!("Page {n} people"),
                    }}
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
