//! The Responders tab (who was asked to help and their answers; the signed-in person joins or
//! declines here) and the Roles tab (each role with its holder; tap a role, then a person).

use leptos::prelude::*;
use tocsin_domain::api::responders::{Responder, ResponderState};
use tocsin_domain::api::{AssignRoleRequest, RoleHolder, User};

use super::{Sheet, Ws};
use crate::api;
use crate::components::clock;

fn state_label(s: ResponderState) -> &'static str {
    match s {
        ResponderState::Requested => "Requested",
        ResponderState::Joined => "Joined",
        ResponderState::Declined => "Declined",
        ResponderState::NoAnswer => "No answer",
    }
}

#[component]
pub(super) fn RespondersTab(ws: Ws) -> impl IntoView {
    let rest = ws.rest();
    view! {
        <div class="tab-panel" role="tabpanel" aria-labelledby="tab-responders">
            {move || {
                let list = rest.with(|r| r.responders.clone());
                if list.is_empty() {
                    return view! { <p class="muted">"Nobody asked to help yet."</p> }.into_any();
                }
                view! { <ul class="responders">{list.into_iter().map(|r| view! { <ResponderRow ws=ws r=r/> }).collect_view()}</ul> }.into_any()
            }}
            <Show when=move || ws.can_respond.get()>
                <button class="btn wide" on:click=move |_| ws.sheet.set(Sheet::AddResponders)>"Add responders"</button>
            </Show>
        </div>
    }
}

#[component]
fn ResponderRow(ws: Ws, r: Responder) -> impl IntoView {
    let busy = RwSignal::new(false);
    let uid = r.user.id.to_string();
    let mine = move || ws.me.get() == uid;
    let asked = r.state == ResponderState::Requested;
    let answer = {
        let uid = r.user.id.to_string();
        move |join: bool| {
            let (id, uid) = (ws.id.get_untracked(), uid.clone());
            ws.write(busy, async move { api::answer_request(&id, &uid, join).await }, |_| ());
        }
    };
    let answer2 = answer.clone();
    view! {
        <li class="responder" data-state=r.state.as_str() data-user=r.user.id.to_string()>
            <div class="row spread">
                <span class="alert-summary">{r.user.name.clone()}</span>
                <span class=format!("badge rs-{}", r.state.as_str())>{state_label(r.state)}</span>
            </div>
            <p class="card-meta">
                "Asked by "{r.requested_by.name.clone()}" · "{clock(r.requested_at)}
                {r.answered_at.map(|t| format!(" · answered {}", clock(t)))}
            </p>
            {r.message.clone().map(|m| view! { <p class="rs-msg">{m}</p> })}
            <Show when=move || asked && mine()>
                <div class="row">
                    <button class="btn primary" disabled=move || busy.get() on:click={ let a = answer.clone(); move |_| a(true) }>"Join"</button>
                    <button class="btn" disabled=move || busy.get() on:click={ let a = answer2.clone(); move |_| a(false) }>"Decline"</button>
                </div>
            </Show>
        </li>
    }
}

/// People who can take a role or be asked: active, not deactivated.
pub(super) fn available(users: &[User]) -> Vec<User> {
    let mut v: Vec<User> = users.iter().filter(|u| u.active && u.deactivated_at.is_none()).cloned().collect();
    v.sort_by_cached_key(|u| crate::components::lower(&u.name));
    v
}

#[component]
pub(super) fn RolesTab(ws: Ws) -> impl IntoView {
    let picking: RwSignal<Option<RoleHolder>> = RwSignal::new(None);
    let busy = RwSignal::new(false);
    let search = RwSignal::new(String::new());
    ws.load_users();
    let assign = move |user_id: String| {
        let Some(role) = picking.get_untracked() else { return };
        let id = ws.id.get_untracked();
        let body = AssignRoleRequest { user_id: tocsin_domain::ids::UserId(user_id) };
        ws.write(busy, async move { api::assign_role(&id, &role.role_id, &body).await }, move |_| {
            picking.set(None);
            search.set(String::new());
        });
    };
    let unassign = move |_| {
        let Some(role) = picking.get_untracked() else { return };
        let id = ws.id.get_untracked();
        ws.write(busy, async move { api::unassign_role(&id, &role.role_id).await }, move |_| picking.set(None));
    };
    view! {
        <div class="tab-panel" role="tabpanel" aria-labelledby="tab-roles">
            {move || {
                let roles = ws.with(|d| d.roles.clone());
                if roles.is_empty() {
                    return view! { <p class="muted">"No roles defined."</p> }.into_any();
                }
                view! {
                    <ul class="roles">
                        {roles.into_iter().map(|r| {
                            let key = r.role_id.clone();
                            let open = { let key = key.clone(); move || picking.with(|p| p.as_ref().is_some_and(|p| p.role_id == key)) };
                            let r2 = r.clone();
                            view! {
                                <li>
                                    <button class="role-slot" data-role=key.clone() aria-expanded=move || open().to_string()
                                        disabled=move || !ws.can_respond.get()
                                        on:click=move |_| picking.update(|p| *p = if p.as_ref().is_some_and(|p| p.role_id == r2.role_id) { None } else { Some(r2.clone()) })>
                                        <span class="role-name">{r.role_name.clone()}</span>
                                        <span class=if r.holder.is_some() { "holder" } else { "holder vacant" }>
                                            {r.holder.as_ref().map(|h| h.name.clone()).unwrap_or_else(|| "Unassigned".into())}
                                        </span>
                                        {r.holder.as_ref().map(|h| view! { <span class="card-meta">"since "{clock(h.since)}</span> })}
                                    </button>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
            {move || picking.get().map(|role| {
                let held_by = role.holder.as_ref().map(|h| h.user_id.to_string());
                view! {
                    <section class="panel picker" aria-labelledby="picker-h">
                        <h2 id="picker-h">{format!("Who is {}?", role.role_name)}</h2>
                        <label for="person-search" class="sr-only">"Find a person"</label>
                        <input id="person-search" type="search" placeholder="Find a person…" prop:value=move || search.get() on:input=move |e| search.set(event_target_value(&e))/>
                        <ul class="people">
                            {move || {
                                let q = crate::components::lower(&search.get());
                                let mut people = ws.users.with(|u| u.as_deref().map(available).unwrap_or_default());
                                people.retain(|u| crate::components::name_matches(&u.name, &q));
                                // Me first: taking a role oneself is the common case.
                                let me = ws.me.get_untracked();
                                people.sort_by_key(|u| u.id.to_string() != me);
                                people.into_iter().map(|u| {
                                    let uid = u.id.to_string();
                                    let current = held_by.as_deref() == Some(uid.as_str());
                                    view! {
                                        <li>
                                            <button class="person" data-user=uid.clone() aria-current=current.to_string() disabled=move || busy.get()
                                                on:click=move |_| assign(uid.clone())>
                                                {u.name.clone()}{(u.id.to_string() == me).then_some(" (me)")}
                                                {current.then_some(" — holds it")}
                                            </button>
                                        </li>
                                    }
                                }).collect_view()
                            }}
                        </ul>
                        <div class="row">
                            {role.holder.is_some().then(|| view! { <button class="btn" disabled=move || busy.get() on:click=unassign>"Unassign"</button> })}
                            <button class="btn" on:click=move |_| picking.set(None)>"Cancel"</button>
                        </div>
                    </section>
                }
            })}
        </div>
    }
}
