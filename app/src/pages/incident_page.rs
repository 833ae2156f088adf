//! The incident workspace on a phone: a live header (status, severity, time running, commander,
//! links), "what we know now", the latest update, tabs (Timeline, Checklist, Responders, Roles,
//! Details) and the one-thumb action bar (Acknowledge / Resolve / Add responders / Post update).
//!
//! The page holds the incident's detail; live rows join its timeline as they arrive (by
//! sequence number: no gaps, no doubles) and a row that changes anything else re-reads the
//! incident (debounced), so every tab is current without a reload.

mod checklist;
mod command;
mod people;
mod on_demand;
mod sheets;
mod timeline;

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;
use tocsin_domain::api::{Alert, IncidentNotifications, TimelineEntry, User};
use tocsin_domain::auth::Role;
use tocsin_domain::incident::{apply, IncidentAction, Transition};
use tocsin_domain::incident_edit::IncidentEdit;
use tocsin_domain::workspace::{changes_state, elapsed, merge_rows};

use super::poll;
use crate::api::{self, ApiError};
use crate::incident_record::{Record, Rest};
use crate::components::{ago, clock, lazy_part, next_task, now_ms, Markdown, PageReach, SeverityBadge, StatusBadge};
use crate::live::Live;
use crate::state::{handle_error, session, Session};

/// The workspace's sections.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tab {
    Timeline,
    Checklist,
    Responders,
    Roles,
    Details,
}

impl Tab {
    const ALL: [Tab; 5] = [Tab::Timeline, Tab::Checklist, Tab::Responders, Tab::Roles, Tab::Details];

    fn key(self) -> &'static str {
        match self {
            Tab::Timeline => "timeline",
            Tab::Checklist => "checklist",
            Tab::Responders => "responders",
            Tab::Roles => "roles",
            Tab::Details => "details",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Tab::Timeline => "Timeline",
            Tab::Checklist => "Checklist",
            Tab::Responders => "Responders",
            Tab::Roles => "Roles",
            Tab::Details => "Details",
        }
    }
}

/// A sheet over the page (from the action bar).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Sheet {
    Closed,
    AddResponders,
    PostUpdate,
    Links,
}

/// What every part of the workspace shares.
#[derive(Clone, Copy)]
struct Ws {
    id: Memo<String>,
    detail: RwSignal<Option<Record>>,
    error: RwSignal<Option<ApiError>>,
    /// Re-reads the incident.
    reload: Callback<()>,
    /// How many times the incident was read: parts with data of their own (the escalation in
    /// Details) read it again each time.
    loads: RwSignal<u64>,
    can_respond: Signal<bool>,
    /// The signed-in person's id.
    me: Signal<String>,
    tab: RwSignal<Tab>,
    sheet: RwSignal<Sheet>,
    /// Everyone in the organisation, loaded when first needed (pickers).
    users: RwSignal<Option<Vec<User>>>,
}

impl Ws {
    /// Reads the detail (the workspace is only shown once it is loaded).
    fn with<T: Default>(&self, f: impl FnOnce(&Record) -> T) -> T {
        self.detail.with(|d| d.as_ref().map(f).unwrap_or_default())
    }

    /// What only tabs and sheets show, decoded again when a new answer arrives (a re-read), not
    /// when a live row joins the timeline. Called from their code only, so its decoders arrive
    /// with them (see `incident_record`).
    fn rest(self) -> Memo<Rest> {
        let answer = Memo::new(move |_| self.detail.with(|d| d.as_ref().map(|d| crate::incident_record::Answer(d.text.clone()))));
        Memo::new(move |_| answer.with(|a| a.as_ref().map(|a| Record::rest_of(&a.0)).unwrap_or_default()))
    }

    /// Runs a write; its failure is shown at the top, its success re-reads the incident.
    fn write<T: 'static>(self, busy: RwSignal<bool>, call: impl std::future::Future<Output = Result<T, ApiError>> + 'static, done: impl FnOnce(T) + 'static) {
        busy.set(true);
        spawn_local(async move {
            match call.await {
                Ok(v) => {
                    self.error.set(None);
                    done(v);
                    self.reload.run(());
                }
                Err(e) => {
                    handle_error(session(), &e);
                    self.error.set(Some(e));
                }
            }
            busy.set(false);
        });
    }

    fn load_users(self) {
        if self.users.get_untracked().is_some() {
            return;
        }
        spawn_local(async move {
            if let Ok(list) = api::users().await {
                self.users.set(Some(list.users));
            }
        });
    }
}

#[component]
pub fn IncidentPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id").unwrap_or_default()));
    // Another incident (the "Merged into #N" link) is a new workspace: its own record and socket.
    move || {
        let id = id.get();
        view! { <Workspace id=id/> }
    }
}

#[component]
fn Workspace(id: String) -> impl IntoView {
    let session = session();
    let id = Memo::new(move |_| id.clone());
    let detail: RwSignal<Option<Record>> = RwSignal::new(None);
    let error: RwSignal<Option<ApiError>> = RwSignal::new(None);
    let loads = RwSignal::new(0u64);
    // The open tab (the timeline) is drawn in the task after the rest of the record: the first
    // draw is then two shorter tasks, with the browser free to paint and take a tap in between,
    // instead of one long one. Nothing moves: the tab is last in the record, the action bar fixed.
    let tab_drawn = RwSignal::new(false);
    // Every row the live record sent: an answer read before they arrived still shows them.
    let live_rows: StoredValue<Vec<TimelineEntry>> = StoredValue::new(Vec::new());
    let show = move |result: Result<Record, ApiError>| match result {
        // The page went while the answer was on its way (its signals with it).
        _ if detail.is_disposed() => {}
        Ok(mut d) => {
            live_rows.with_value(|rows| merge_rows(&mut d.timeline, rows.clone()));
            // An answer equal to what is shown (the re-read a live row asked for, or the poll)
            // redraws nothing.
            let first = detail.with_untracked(Option::is_none);
            if detail.with_untracked(|cur| cur.as_ref() != Some(&d)) {
                detail.set(Some(d));
            }
            if first {
                spawn_local(async move {
                    next_task().await;
                    // The page may have gone meanwhile (the signal with it).
                    let _ = tab_drawn.try_set(true);
                });
            }
            if error.with_untracked(Option::is_some) {
                error.set(None);
            }
        }
        Err(e) => {
            handle_error(session, &e);
            error.set(Some(e));
        }
    };
    let load = move || {
        let id = id.get_untracked();
        spawn_local(async move {
            show(api::incident(&id).await);
            let _ = loads.try_update(|n| *n += 1);
        })
    };
    let reload = Callback::new(move |()| load());
    // Several rows in a burst (a hand-over, a merge) cause one re-read.
    let pending: StoredValue<Option<gloo_timers::callback::Timeout>, LocalStorage> = StoredValue::new_local(None);
    let reload_soon = move || {
        let t = gloo_timers::callback::Timeout::new(150, move || load());
        pending.update_value(|p| *p = Some(t));
    };
    let live = crate::live::watch(id.get_untracked(), move |rows: Vec<TimelineEntry>| {
        live_rows.update_value(|all| {
            merge_rows(all, rows.clone());
        });
        // Rows the shown record already holds (the whole record arrives first on connecting)
        // change nothing: no redraw, no re-read.
        let rows: Vec<TimelineEntry> = detail.with_untracked(|d| match d {
            Some(d) => rows.into_iter().filter(|r| !d.timeline.iter().any(|t| t.seq == r.seq)).collect(),
            None => rows,
        });
        let state = rows.iter().any(|r| changes_state(&r.kind));
        if !rows.is_empty() && detail.with_untracked(Option::is_some) {
            detail.update(|d| {
                if let Some(d) = d {
                    merge_rows(&mut d.timeline, rows);
                }
            });
        }
        if state {
            reload_soon();
        }
    });
    // The live record carries changes; a slow refresh stays as the safety net.
    poll(load, 30);
    let me = Signal::derive(move || match session.get() {
        Session::LoggedIn(me) => me.user.id.to_string(),
        _ => String::new(),
    });
    let can_respond = Signal::derive(move || matches!(session.get(), Session::LoggedIn(me) if me.role >= Role::Responder));
    let ws = Ws {
        id,
        detail,
        error,
        reload,
        loads,
        can_respond,
        me,
        tab: RwSignal::new(Tab::Timeline),
        sheet: RwSignal::new(Sheet::Closed),
        users: RwSignal::new(None),
    };
    view! {
        <p class="back"><A href="/">"‹ Incidents"</A></p>
        <p class="live-state" role="status" data-state=move || live.get().data_state()>
            {move || match live.get() {
                Live::Connecting => "Connecting to the live record…",
                Live::Live => "● Live: changes appear as they happen",
                Live::CaughtUp => "● Live again: caught up with every change made meanwhile",
                Live::Lost => "Live updates lost — reconnecting; this page refreshes every 30 s meanwhile",
            }}
        </p>
        {move || error.get().map(|e| view! { <p class="error-note" role="alert">{e.message}</p> })}
        <Show when=move || detail.with(|d| d.is_some()) fallback=|| view! { <p class="muted">"Loading…"</p> }>
            <article class="incident workspace">
                <Header ws=ws/>
                <Summary ws=ws/>
                <LatestUpdate ws=ws/>
                <Tabs ws=ws/>
                {move || tab_drawn.get().then(|| match ws.tab.get() {
                    Tab::Timeline => view! { <timeline::TimelineTab ws=ws/> }.into_any(),
                    Tab::Checklist => lazy_part(on_demand::incident_checklist_tab(ws)),
                    Tab::Responders => lazy_part(on_demand::incident_responders_tab(ws)),
                    Tab::Roles => lazy_part(on_demand::incident_roles_tab(ws)),
                    Tab::Details => lazy_part(on_demand::incident_details_tab(ws)),
                })}
            </article>
            <ActionBar ws=ws/>
            {move || match ws.sheet.get() {
                Sheet::Closed => ().into_any(),
                Sheet::AddResponders => lazy_part(on_demand::incident_add_responders_sheet(ws)),
                Sheet::PostUpdate => lazy_part(on_demand::incident_post_update_sheet(ws)),
                Sheet::Links => lazy_part(on_demand::incident_links_sheet(ws)),
            }}
        </Show>
    }
}

/// Status, severity, how long it has run, who commands, and the links as buttons.
#[component]
fn Header(ws: Ws) -> impl IntoView {
    let now = RwSignal::new(now_ms());
    if let Ok(h) = set_interval_with_handle(move || now.set(now_ms()), std::time::Duration::from_secs(1)) {
        on_cleanup(move || h.clear());
    }
    let running = move || {
        ws.with(|d| {
            let i = &d.incident;
            let until = i.resolved_at.map(|t| t.timestamp_millis()).unwrap_or_else(|| now.get());
            let took = elapsed((until - i.created_at.timestamp_millis()) / 1000);
            if i.resolved_at.is_some() { format!("Resolved after {took}") } else { format!("Running {took}") }
        })
    };
    let commander = move || ws.with(|d| d.roles.iter().find(|r| r.role_id == "commander").and_then(|r| r.holder.as_ref()).map(|h| h.name.clone()));
    view! {
        <header class="ws-head">
            {move || ws.with(|d| {
                let i = d.incident.clone();
                Some(view! {
                    <div class="card-top">
                        <SeverityBadge severity=i.severity/>
                        <StatusBadge status=i.status/>
                        <span class="num">"#"{i.number}</span>
                    </div>
                    <h1 class="incident-title">{i.title.clone()}</h1>
                    {i.merged_into.clone().map(|m| view! {
                        <p class="notice">"Merged into "<A href=format!("/incidents/{}", m.id)>{format!("#{}", m.number)}</A></p>
                    })}
                })
            })}
            <p class="ws-meta">
                <span class="elapsed" role="timer">{running}</span>
                " · "
                <span class="commander">
                    {move || match commander() {
                        Some(name) => view! { "Commander: "<strong>{name}</strong> }.into_any(),
                        None => view! {
                            <button class="link-btn" on:click=move |_| ws.tab.set(Tab::Roles)>"No commander — assign"</button>
                        }.into_any(),
                    }}
                </span>
            </p>
            <div class="ws-links">
                {move || ws.with(|d| {
                    let runbook = d.incident.service.as_ref().and_then(|s| s.runbook_url.clone());
                    let links = d.links.clone();
                    Some(view! {
                        {links.into_iter().map(|l| view! {
                            <a class=format!("btn link-btn-{}", l.kind.as_str()) href=l.url target="_blank" rel="noopener noreferrer">
                                {link_icon(l.kind)}" "{l.label}
                            </a>
                        }).collect_view()}
                        {runbook.map(|url| view! { <a class="btn runbook" href=url target="_blank" rel="noopener noreferrer">"Runbook ↗"</a> })}
                        <A href=format!("/incidents/{}/postmortem", d.incident.id) attr:class="btn postmortem-link">"Postmortem"</A>
                    })
                })}
                <Show when=move || ws.can_respond.get()>
                    <button class="btn links-edit" aria-label="Add or remove links" on:click=move |_| ws.sheet.set(Sheet::Links)>
                        {move || if ws.with(|d| d.links.is_empty()) { "+ Link" } else { "Links…" }}
                    </button>
                </Show>
            </div>
        </header>
    }
}

fn link_icon(kind: tocsin_domain::api::LinkKind) -> &'static str {
    use tocsin_domain::api::LinkKind::*;
    match kind {
        Chat => "💬",
        Video => "📹",
        Ticket => "🎫",
        Other => "🔗",
    }
}

/// "What we know now": Markdown, with an edit form for responders (its code arrives on "Edit").
#[component]
fn Summary(ws: Ws) -> impl IntoView {
    let editing = RwSignal::new(false);
    let start = move |_| editing.set(true);
    view! {
        <section class="panel summary" aria-labelledby="summary-h">
            <div class="row spread">
                <h2 id="summary-h">"What we know now"</h2>
                <Show when=move || ws.can_respond.get() && !editing.get()>
                    <button class="link-btn" on:click=start>"Edit"</button>
                </Show>
            </div>
            <Show
                when=move || editing.get()
                fallback=move || {
                    let s = ws.with(|d| d.incident.summary.clone());
                    if s.trim().is_empty() {
                        view! { <p class="muted">"Nothing written yet."</p> }.into_any()
                    } else {
                        view! { <Markdown text=s/> }.into_any()
                    }
                }
            >
                {lazy_part(on_demand::incident_summary_form(ws, editing))}
            </Show>
        </section>
    }
}

/// The summary's edit form (a part loaded on demand, `on_demand::incident_summary_form`).
#[component]
fn SummaryForm(ws: Ws, editing: RwSignal<bool>) -> impl IntoView {
    let text = RwSignal::new(ws.with(|d| d.incident.summary.clone()));
    let busy = RwSignal::new(false);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let edit = IncidentEdit { summary: Some(text.get_untracked().trim().to_string()), ..Default::default() };
        ws.write(busy, async move { api::edit_incident(&ws.id.get_untracked(), &edit).await }, move |_| editing.set(false));
    };
    view! {
        <form on:submit=save novalidate>
            <label for="summary-text" class="sr-only">"What we know now (Markdown)"</label>
            <textarea id="summary-text" name="summary" rows="5" prop:value=move || text.get() on:input=move |e| text.set(event_target_value(&e))></textarea>
            <div class="row">
                <button class="btn primary" type="submit" disabled=move || busy.get()>"Save"</button>
                <button class="btn" type="button" on:click=move |_| editing.set(false)>"Cancel"</button>
            </div>
        </form>
    }
}

/// The newest status update, and when the next one is due.
#[component]
fn LatestUpdate(ws: Ws) -> impl IntoView {
    move || {
        ws.with(|d| d.updates.first().cloned()).map(|u| {
            let overdue = u.next_update_at.is_some_and(|t| t.timestamp_millis() < now_ms()) && ws.with(|d| d.incident.resolved_at.is_none());
            view! {
                <section class="panel latest-update" aria-labelledby="update-h" data-status=u.status.as_str()>
                    <h2 id="update-h">"Latest update · "<span class="update-status">{u.status.label()}</span></h2>
                    <Markdown text=u.message.clone()/>
                    <p class="card-meta">
                        {u.posted_by.name.clone()}" · "{clock(u.posted_at)}
                        {u.next_update_at.map(|t| format!(" · next update by {}", clock(t)))}
                        {overdue.then(|| view! { <strong class="warn">" · overdue"</strong> })}
                    </p>
                </section>
            }
        })
    }
}

#[component]
fn Tabs(ws: Ws) -> impl IntoView {
    let count = move |t: Tab| {
        ws.with(|d| match t {
            Tab::Timeline => Some(d.timeline.len().to_string()),
            Tab::Checklist if d.checklist_count().1 > 0 => Some(format!("{}/{}", d.checklist_count().0, d.checklist_count().1)),
            Tab::Responders if d.responders_count() > 0 => Some(d.responders_count().to_string()),
            _ => None,
        })
    };
    view! {
        <div class="ws-tabs" role="tablist" aria-label="Incident sections">
            {Tab::ALL.into_iter().map(|t| view! {
                <button role="tab" id=format!("tab-{}", t.key()) data-tab=t.key()
                    aria-selected=move || (ws.tab.get() == t).to_string()
                    on:click=move |_| ws.tab.set(t)>
                    {t.label()}
                    {move || count(t).map(|c| view! { <span class="count">{c}</span> })}
                </button>
            }).collect_view()}
        </div>
    }
}

/// Acknowledge / Resolve (as the status machine allows), Add responders, Post update.
#[component]
fn ActionBar(ws: Ws) -> impl IntoView {
    let busy = RwSignal::new(false);
    let can = move |a| ws.with(|d| matches!(apply(d.incident.status, a), Ok(Transition::Changed { .. })));
    let act = move |a: IncidentAction| {
        let id = ws.id.get_untracked();
        ws.write(
            busy,
            async move {
                match a {
                    IncidentAction::Resolve => api::resolve(&id).await,
                    _ => api::acknowledge(&id).await,
                }
            },
            move |d| ws.detail.update(|cur| {
                if let Some(cur) = cur {
                    cur.incident = d.incident;
                }
            }),
        );
    };
    view! {
        <Show when=move || ws.can_respond.get()>
            <div class="actionbar ws-actions" role="toolbar" aria-label="Incident actions">
                <Show when=move || can(IncidentAction::Acknowledge)>
                    <button class="btn ack" disabled=move || busy.get() on:click=move |_| act(IncidentAction::Acknowledge)>"Acknowledge"</button>
                </Show>
                <Show when=move || can(IncidentAction::Resolve)>
                    <button class="btn resolve" disabled=move || busy.get() on:click=move |_| act(IncidentAction::Resolve)>"Resolve"</button>
                </Show>
                <button class="btn add-responders" on:click=move |_| ws.sheet.set(Sheet::AddResponders)>"Add responders"</button>
                <button class="btn post-update" on:click=move |_| ws.sheet.set(Sheet::PostUpdate)>"Post update"</button>
            </div>
        </Show>
    }
}

/// Services, alerts, escalation, changes before it opened, every update, the status page.
#[component]
fn Details(ws: Ws) -> impl IntoView {
    // The escalation and its pages: read here (the tab's own code), when the tab opens and after
    // every read of the incident (a live change, an action, the poll).
    let escalation: RwSignal<Option<IncidentNotifications>> = RwSignal::new(None);
    // Reads can overlap (a burst of live changes): only the newest one's answer is shown.
    let latest = StoredValue::new(0u64);
    Effect::new(move |_| {
        let read = ws.loads.get();
        latest.set_value(read);
        let id = ws.id.get_untracked();
        spawn_local(async move {
            if let Ok(n) = api::notifications(&id).await {
                if latest.get_value() == read && escalation.with_untracked(|cur| cur.as_ref() != Some(&n)) {
                    escalation.set(Some(n));
                }
            }
        });
    });
    let escalate = move |_| {
        let id = ws.id.get_untracked();
        spawn_local(async move {
            match api::escalate_now(&id).await {
                Ok(_) => ws.reload.run(()),
                Err(e) => ws.error.set(Some(e)),
            }
        });
    };
    let rest = ws.rest();
    view! {
        <div class="tab-panel" role="tabpanel" aria-labelledby="tab-details">
            {move || ws.with(|d| {
                let i = d.incident.clone();
                let now = now_ms();
                let r = rest.get();
                let services = if r.services.is_empty() { i.service.clone().into_iter().collect() } else { r.services.clone() };
                Some(view! {
                    <dl class="facts">
                        <dt>"Services"</dt>
                        <dd class="services">{if services.is_empty() { "—".to_string() } else { services.iter().map(|s| s.name.clone()).collect::<Vec<_>>().join(", ") }}</dd>
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
                    <section aria-labelledby="alerts-h">
                        <h2 id="alerts-h">"Alerts ("{r.alerts.len()}")"</h2>
                        {if r.alerts.is_empty() {
                            view! { <p class="muted">"Declared by hand; no alerts."</p> }.into_any()
                        } else {
                            view! { <ul class="alerts">{r.alerts.iter().cloned().map(|a| view! { <AlertItem alert=a now=now/> }).collect_view()}</ul> }.into_any()
                        }}
                    </section>
                    {(!r.recent_changes.is_empty()).then(|| view! {
                        <section aria-labelledby="changes-h">
                            <h2 id="changes-h">"Changes in the hour before"</h2>
                            <ul class="events">
                                {r.recent_changes.iter().map(|c| view! {
                                    <li>
                                        <div class="alert-summary">{c.summary.clone()}</div>
                                        <div class="card-meta">{c.source.clone().unwrap_or_default()}" · "{clock(c.at)}</div>
                                    </li>
                                }).collect_view()}
                            </ul>
                        </section>
                    })}
                    {(!d.updates.is_empty()).then(|| view! {
                        <section aria-labelledby="updates-h">
                            <h2 id="updates-h">"Status updates"</h2>
                            <ul class="events updates">
                                {d.updates.iter().map(|u| view! {
                                    <li>
                                        <div class="alert-summary">{u.status.label()}</div>
                                        <Markdown text=u.message.clone()/>
                                        <div class="card-meta">{u.posted_by.name.clone()}" · "{clock(u.posted_at)}{u.public_incident_id.as_ref().map(|_| " · on the status page")}</div>
                                    </li>
                                }).collect_view()}
                            </ul>
                        </section>
                    })}
                })
            })}
            <command::ServicesEditor ws=ws/>
            <command::MergeInto ws=ws/>
            <crate::components::action_items::ActionItemsPanel incident_id=ws.id.get_untracked()/>
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
        </div>
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
