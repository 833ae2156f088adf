//! Action items in the app: one item's row ([`ActionItemRow`]: a checkbox to tick it done,
//! owner, due date (overdue marked), priority, kind, its ticket link, and sending it to Jira or
//! GitHub), and [`ActionItemsPanel`], an incident's items with a quick add (on the incident page
//! and in the postmortem editor).

use leptos::prelude::*;
use leptos::task::spawn_local;
use tocsin_domain::action_items::{Kind, Priority, TicketSystem};
use tocsin_domain::api::action_items::{ActionItem, ActionItemPatch, NewActionItem};
use tocsin_domain::auth::Role;

use crate::api::{self, ApiError};
use crate::components::ErrorNote;
use crate::state::{handle_error, session, Session};

/// Whether the person using the app may create, edit and tick items.
pub fn can_respond() -> Signal<bool> {
    let s = session();
    Signal::derive(move || matches!(s.get(), Session::LoggedIn(me) if me.role >= Role::Responder))
}

/// "high" → "High" (the words are the ASCII names of priorities and kinds).
fn capital(word: &str) -> String {
    let mut s = word.to_string();
    if let Some(f) = s.get_mut(0..1) {
        f.make_ascii_uppercase();
    }
    s
}

/// One item. `on_change` gets the item as the server has it after a change.
#[component]
pub fn ActionItemRow(item: ActionItem, on_change: Callback<ActionItem>, error: RwSignal<Option<ApiError>>, #[prop(optional)] show_incident: bool) -> impl IntoView {
    let session = session();
    let may = can_respond();
    let busy = RwSignal::new(false);
    let done = item.status == tocsin_domain::action_items::ItemStatus::Done;
    let id = item.id.clone();
    let run = move |fut: std::pin::Pin<Box<dyn std::future::Future<Output = Result<ActionItem, ApiError>>>>| {
        busy.set(true);
        spawn_local(async move {
            match fut.await {
                Ok(a) => {
                    error.set(None);
                    on_change.run(a);
                }
                Err(e) => {
                    handle_error(session, &e);
                    error.set(Some(e));
                }
            }
            busy.set(false);
        });
    };
    let tick = {
        let id = id.clone();
        move |_| {
            let id = id.clone();
            let status = if done { tocsin_domain::action_items::ItemStatus::Open } else { tocsin_domain::action_items::ItemStatus::Done };
            let body = ActionItemPatch { status: Some(status), ..Default::default() };
            run(Box::pin(async move { api::patch_action_item(&id, &body).await }))
        }
    };
    let send = {
        let id = id.clone();
        move |system: TicketSystem| {
            let id = id.clone();
            run(Box::pin(async move { api::send_to_tickets(&id, system).await }))
        }
    };
    let (send_jira, send_github) = (send.clone(), send);
    let label_id = format!("ai-{}", item.id);
    let due = item.due_date.clone().map(|d| if item.overdue { format!("Overdue · due {d}") } else if done { format!("Due {d}") } else { format!("Due {d}") });
    let done_meta = item.done_at.map(|at| match &item.done_by {
        Some(p) => format!("Done by {} · {}", p.name, crate::components::clock(at)),
        None => format!("Closed by its ticket · {}", crate::components::clock(at)),
    });
    let class = if done { "action-item done" } else if item.overdue { "action-item overdue" } else { "action-item" };
    let priority_class = format!("badge prio-{}", item.priority.as_str());
    view! {
        <li class=class data-id=item.id.clone()>
            <input type="checkbox" class="ai-tick" id=format!("{label_id}-tick") aria-labelledby=label_id.clone()
                prop:checked=done disabled=move || busy.get() || !may.get() on:change=tick/>
            <div class="ai-body">
                <label id=label_id.clone() for=format!("{label_id}-tick") class="ai-title">{item.title.clone()}</label>
                <p class="ai-meta">
                    <span class=priority_class>{capital(item.priority.as_str())}</span>
                    <span class="badge kind">{capital(item.kind.as_str())}</span>
                    {due.map(|d| view! { <span class=if item.overdue { "due overdue" } else { "due" }>{d}</span> })}
                    <span class="owner">{item.owner.clone().map(|o| o.name).unwrap_or_else(|| "No owner".into())}</span>
                </p>
                {show_incident.then(|| item.incident_id.clone().map(|i| view! {
                    <p class="ai-meta"><a href=format!("/incidents/{i}")>{format!("Incident #{}", item.incident_number.unwrap_or_default())}</a>
                        " "{item.incident_title.clone().unwrap_or_default()}</p>
                }))}
                {item.service_name.clone().map(|s| view! { <p class="ai-meta muted">{s}</p> })}
                {done_meta.map(|m| view! { <p class="ai-meta muted">{m}</p> })}
                {match item.ticket.clone() {
                    Some(t) => view! {
                        <p class="ai-meta"><a class="ticket" href=t.url target="_blank" rel="noopener noreferrer">{format!("{} {}", t.system.label(), t.key)}</a></p>
                    }.into_any(),
                    None if !done => view! {
                        <Show when=move || may.get()>
                            <details class="ai-send">
                                <summary>"Send to ticket system"</summary>
                                <div class="row">
                                    <button class="btn small" disabled=move || busy.get() on:click={ let s = send_jira.clone(); move |_| s(TicketSystem::Jira) }>"Jira"</button>
                                    <button class="btn small" disabled=move || busy.get() on:click={ let s = send_github.clone(); move |_| s(TicketSystem::Github) }>"GitHub"</button>
                                </div>
                            </details>
                        </Show>
                    }.into_any(),
                    None => ().into_any(),
                }}
            </div>
        </li>
    }
}

/// An incident's action items with a quick add. In a postmortem, `postmortem_id` marks new
/// items as made there.
#[component]
pub fn ActionItemsPanel(incident_id: String, #[prop(optional, into)] postmortem_id: Option<String>) -> impl IntoView {
    let session = session();
    let may = can_respond();
    let items: RwSignal<Vec<ActionItem>> = RwSignal::new(Vec::new());
    let error: RwSignal<Option<ApiError>> = RwSignal::new(None);
    let title = RwSignal::new(String::new());
    let due = RwSignal::new(String::new());
    let priority = RwSignal::new("medium".to_string());
    let kind = RwSignal::new("fix".to_string());
    let busy = RwSignal::new(false);
    let load = {
        let incident_id = incident_id.clone();
        move || {
            let id = incident_id.clone();
            spawn_local(async move {
                match api::incident_action_items(&id).await {
                    Ok(l) => items.set(l.items),
                    Err(e) => {
                        handle_error(session, &e);
                        error.set(Some(e));
                    }
                }
            });
        }
    };
    load();
    let on_change = Callback::new(move |a: ActionItem| items.update(|l| l.iter_mut().filter(|x| x.id == a.id).for_each(|x| *x = a.clone())));
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = NewActionItem {
            title: title.get_untracked().trim().to_string(),
            due_date: Some(due.get_untracked()).filter(|d| !d.is_empty()),
            priority: priority.get_untracked().parse::<Priority>().ok(),
            kind: kind.get_untracked().parse::<Kind>().ok(),
            postmortem_id: postmortem_id.clone(),
            ..Default::default()
        };
        let id = incident_id.clone();
        busy.set(true);
        spawn_local(async move {
            match api::create_action_item(&id, &body).await {
                Ok(a) => {
                    items.update(|l| l.insert(0, a));
                    title.set(String::new());
                    due.set(String::new());
                    error.set(None);
                }
                Err(e) => {
                    handle_error(session, &e);
                    error.set(Some(e));
                }
            }
            busy.set(false);
        });
    };
    view! {
        <section class="panel action-items-panel" aria-labelledby="ai-panel-h">
            <h2 id="ai-panel-h">"Action items"</h2>
            <ErrorNote error=error/>
            {move || {
                let list = items.get();
                if list.is_empty() {
                    return view! { <p class="muted">"No action items yet."</p> }.into_any();
                }
                let open = list.iter().filter(|a| a.status == tocsin_domain::action_items::ItemStatus::Open).count();
                view! {
                    <p class="progress" aria-live="polite">{format!("{open} open of {}", list.len())}</p>
                    <ul class="action-items">
                        {list.into_iter().map(|a| view! { <ActionItemRow item=a on_change=on_change error=error/> }).collect_view()}
                    </ul>
                }.into_any()
            }}
            <Show when=move || may.get()>
                <form class="ai-add" on:submit=add.clone() novalidate aria-label="Add an action item">
                    <label for="ai-new-title">"New action item"</label>
                    <input id="ai-new-title" name="title" placeholder="What should change?" prop:value=move || title.get() on:input=move |e| title.set(event_target_value(&e))/>
                    <div class="row ai-add-options">
                        <label>"Due"<input type="date" name="due_date" prop:value=move || due.get() on:input=move |e| due.set(event_target_value(&e))/></label>
                        <label>"Priority"
                            <select name="priority" on:change=move |e| priority.set(event_target_value(&e)) prop:value=move || priority.get()>
                                {Priority::ALL.iter().map(|p| view! { <option value=p.as_str()>{capital(p.as_str())}</option> }).collect_view()}
                            </select>
                        </label>
                        <label>"Kind"
                            <select name="kind" on:change=move |e| kind.set(event_target_value(&e)) prop:value=move || kind.get()>
                                {Kind::ALL.iter().map(|k| view! { <option value=k.as_str()>{capital(k.as_str())}</option> }).collect_view()}
                            </select>
                        </label>
                    </div>
                    <button class="btn" type="submit" disabled=move || busy.get() || title.with(|t| t.trim().is_empty())>"Add"</button>
                </form>
            </Show>
        </section>
    }
}
