//! HTTP routing and the helpers every handler uses. Handlers stay short: authenticate, parse,
//! ask the domain, persist through `db`, answer.

mod action_items;
mod app_files;
mod audit;
mod auth;
mod command;
mod checklists;
mod destinations;
mod health;
mod import;
mod incidents;
mod metrics;
mod oncall;
mod openapi;
mod postmortems;
mod opsgenie;
mod pagerduty;
mod push;
mod readiness;
mod req;
mod responders;
mod runtime;
mod secrets;
mod services;
mod status_admin;
mod status_updates;
pub mod status_page;
mod teams;
mod ticket_hooks;
pub(crate) mod ticketing;
mod users;
mod views;
mod webhooks;

use serde::Serialize;
use tocsin_domain::alert::EventAction;
use tocsin_domain::api::oncall::FeedKind;
use tocsin_domain::web_security::{self, AnswerKind, CsrfRefusal};
use worker::{Env, Method, Response};

pub use req::Req;

use crate::auth::{caller, Caller};
use crate::db::Db;
use crate::error::{ApiError, ApiResult};

/// Where a service's webhook secret is sealed (for the cron's re-seal of older ones).
pub fn service_secret_place(service_id: &str) -> String {
    services::secret_place(service_id)
}

/// A timeline row as the API shows it (the live record sends the same).
pub fn timeline_view(t: &crate::db::TimelineRow) -> tocsin_domain::api::TimelineEntry {
    views::timeline(t)
}

/// An incident as the list shows it (the live list sends the same).
pub fn incident_view(r: &crate::db::IncidentRow) -> ApiResult<tocsin_domain::api::Incident> {
    views::incident(r)
}

/// The cron's status-update work: overdue next updates remind the communications lead once.
pub async fn status_updates_sweep(db: &Db, now: i64) -> ApiResult<usize> {
    status_updates::remind_overdue(db, now).await
}

/// The cron's action item work: owners of overdue items are reminded, at most once a day each.
pub async fn action_items_sweep(db: &Db, now: i64) -> ApiResult<usize> {
    action_items::remind_overdue(db, now).await
}

/// The cron's responder work: unanswered requests become "no answer".
pub async fn responders_sweep(db: &Db, now: i64) -> ApiResult<usize> {
    responders::sweep_no_answer(db, now).await
}

/// What a handler gets: the request, the database, and the request's "now".
/// The cron's status-page work (maintenance transitions).
pub async fn status_page_sweep(db: &Db, now: i64) -> ApiResult<usize> {
    status_admin::sweep_maintenance(db, now).await
}

pub struct Cx {
    pub req: Req,
    pub db: Db,
    pub now: i64,
    pub env: Env,
    /// What this request's work leaves for after its response.
    pub after: crate::effects::Effects,
}

/// How much of a streamed body past its limit is read and dropped before the 413 is sent.
const DRAIN_BYTES: usize = 8 * 1024 * 1024;

impl Cx {
    pub async fn caller(&self) -> ApiResult<Caller> {
        caller(&self.req, &self.db, self.now, crate::auth::session_idle_ms(self.var("SESSION_IDLE_HOURS"))).await
    }

    /// Reads the body, refusing more than `limit` bytes: at once when `Content-Length` says so,
    /// else while it streams in (a chunked body is never buffered past the limit).
    pub async fn body(&mut self, limit: usize) -> ApiResult<Vec<u8>> {
        use futures_util::StreamExt;
        if let Some(len) = self.req.headers().get("Content-Length").ok().flatten() {
            match len.trim().parse::<usize>() {
                Ok(n) if n > limit => return Err(ApiError::TooLarge { limit }),
                // A length within the limit frames the body: read it in one piece (a stream
                // reader costs a JS round per chunk, on every webhook of a storm).
                Ok(_) => {
                    let bytes = self.req.bytes().await.map_err(|e| ApiError::field("body", format!("could not be read: {e}")))?;
                    return if bytes.len() > limit { Err(ApiError::TooLarge { limit }) } else { Ok(bytes) };
                }
                Err(_) => {}
            }
        }
        let Ok(mut stream) = self.req.to_worker().stream() else { return Ok(Vec::new()) };
        let mut bytes = Vec::new();
        let mut over = 0usize;
        while let Some(chunk) = stream.next().await {
            let chunk = match chunk {
                Ok(chunk) => chunk,
                Err(_) if over > 0 => return Err(ApiError::TooLarge { limit }),
                Err(e) => return Err(ApiError::field("body", format!("could not be read: {e}"))),
            };
            if over > 0 || bytes.len() + chunk.len() > limit {
                // Over the limit: nothing more is kept, but the rest is read and dropped (up to
                // DRAIN_BYTES), so a sender that writes its whole body before it reads the answer
                // gets the 413 rather than a reset connection.
                over += chunk.len();
                if over > DRAIN_BYTES {
                    break;
                }
                continue;
            }
            bytes.extend_from_slice(&chunk);
        }
        if over > 0 {
            return Err(ApiError::TooLarge { limit });
        }
        Ok(bytes)
    }

    /// Reads a JSON body into a wire type; the error names the field at fault.
    pub async fn json<T: serde::de::DeserializeOwned>(&mut self) -> ApiResult<T> {
        let bytes = self.body(64 * 1024).await?;
        let value = tocsin_domain::validation::parse_json(&bytes)?;
        serde_path_to_error::deserialize(value).map_err(|e| {
            // The path names the field at fault ("kind", "keys.p256dh", "events[0]"); a missing
            // field is named by serde's message ("missing field `x`").
            let path = e.path().to_string();
            let msg = e.inner().to_string();
            let missing = msg.split('`').nth(1).filter(|_| msg.starts_with("missing field"));
            let field = match (path.as_str(), missing) {
                (".", Some(m)) => m.to_string(),
                (".", None) => "body".to_string(),
                (p, Some(m)) => format!("{p}.{m}"),
                (p, None) => p.to_string(),
            };
            ApiError::field(&field, msg)
        })
    }

    /// Reads a JSON body as a value (for handlers that read fields one by one).
    pub async fn json_value(&mut self) -> ApiResult<serde_json::Value> {
        Ok(tocsin_domain::validation::parse_json(&self.body(256 * 1024).await?)?)
    }

    pub fn query(&self, name: &str) -> Option<String> {
        let url = self.req.url().ok()?;
        url.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.req.headers().get(name).ok().flatten()
    }

    /// A plain-text variable from wrangler.toml `[vars]` or `--var`.
    pub fn var(&self, name: &str) -> Option<String> {
        self.env.var(name).ok().map(|v| v.to_string()).filter(|v| !v.is_empty())
    }

    /// Counts an event for an integration key against its per-minute limit.
    pub fn admit_event(&self, key: &str) -> Result<(), i64> {
        self.admit_events(key, 1)
    }

    /// Counts `n` alerts (the rest of a multi-alert payload) against the key's limit.
    pub fn admit_events(&self, key: &str, n: u32) -> Result<(), i64> {
        let limit = self.var("EVENTS_PER_MINUTE_PER_KEY").and_then(|v| v.parse().ok()).unwrap_or(crate::ingest::DEFAULT_EVENTS_PER_MINUTE);
        crate::ingest::admit(key, limit, n, self.now)
    }

    /// An audit row for a change `caller` makes (written with the change: `db::Db::run_audited`).
    pub fn audit(&self, caller: &Caller, action: tocsin_domain::audit::Action, target_id: Option<&str>) -> crate::db::Audit {
        self.audit_by(caller.org_id(), caller.actor(), action, target_id)
    }

    /// An audit row for a change made by someone other than a logged-in caller (setup, login).
    pub fn audit_by(&self, org_id: &str, actor: tocsin_domain::audit::Actor, action: tocsin_domain::audit::Action, target_id: Option<&str>) -> crate::db::Audit {
        crate::db::Audit {
            id: crate::crypto::new_id(self.now),
            org_id: org_id.to_string(),
            at: self.now,
            address: self.header("CF-Connecting-IP"),
            entry: tocsin_domain::audit::Entry::new(actor, action, target_id),
        }
    }

    pub fn is_https(&self) -> bool {
        self.req.url().map(|u| u.scheme() == "https").unwrap_or(false)
    }

    pub fn origin(&self) -> String {
        self.req.url().map(|u| u.origin().ascii_serialization()).unwrap_or_default()
    }
}

pub fn json<T: Serialize>(status: u16, body: &T) -> ApiResult<Response> {
    let mut resp = Response::from_json(body)?.with_status(status);
    resp.headers_mut().set("Cache-Control", "no-store")?;
    Ok(resp)
}

pub async fn handle(req: Req, db: Db, env: Env, now: i64) -> (Response, crate::effects::After) {
    let method = req.method();
    let path = req.path();
    let segs: Vec<String> = path.trim_matches('/').split('/').map(percent_decode).collect();
    let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
    let mut cx = Cx { req, db, now, env, after: Default::default() };
    use Method::*;
    let wrong = || ApiError::MethodNotAllowed { method: method.to_string() };
    let https = cx.is_https();
    // CSRF: a write a browser could send with the session cookie must be JSON from this origin.
    if !matches!(method, Get | Head | Options) && segs.first() == Some(&"api") {
        let bearer = crate::auth::bearer(&cx.req).is_some_and(|t| !t.is_empty());
        let checked = web_security::check_write(bearer, cx.header("Content-Type").as_deref(), cx.header("Origin").as_deref(), cx.header("Sec-Fetch-Site").as_deref(), &cx.origin());
        if let Err(refusal) = checked {
            let e = match refusal {
                CsrfRefusal::NotJson => ApiError::UnsupportedMediaType("send the request body as Content-Type: application/json"),
                CsrfRefusal::CrossSite => ApiError::Forbidden("cross-site request refused (Origin is not this site)"),
            };
            return (secured(e.into_response(), https), cx.after.get());
        }
    }
    // HEAD is GET without the body (RFC 9110 §9.3.2: uptime monitors, feed readers and link
    // checkers send it): the same handler, whose body the runtime leaves out of the answer.
    let routed = if method == Head { Get } else { method.clone() };
    let result = match (segs.as_slice(), &routed) {
        (["healthz"], Get) => health::get(&cx).await,
        // The app's first-load modules (their Zstandard copies; wrangler.toml keeps the chunks static).
        (["pkg", build, file], Get) => app_files::get(&cx, build, file).await,
        (["api", "openapi.json"], Get) => openapi::get(),
        // The public status page (no login); at the root of its own domain when one is set.
        ([""], Get) => status_page::root(&cx).await,
        (["status"], Get) => status_page::serve(&cx, "/status").await,
        (["status", "history"], Get) => status_page::serve(&cx, "/status/history").await,
        (["status", "incidents", id], Get) => status_page::serve(&cx, &format!("/status/incidents/{id}")).await,
        (["status", "maintenance", id], Get) => status_page::serve(&cx, &format!("/status/maintenance/{id}")).await,
        (["history.atom"], Get) => status_page::serve(&cx, "/history.atom").await,
        (["history.rss"], Get) => status_page::serve(&cx, "/history.rss").await,
        (["api", "v2", doc @ ..], Get) if !doc.is_empty() && doc.last().is_some_and(|d| d.ends_with(".json")) => {
            status_page::serve(&cx, &format!("/api/v2/{}", doc.join("/"))).await
        }
        // Editing it.
        (["api", "status"], Get) => status_admin::get(&cx).await,
        (["api", "status", "page"], Put) => status_admin::put_page(&mut cx).await,
        (["api", "status", "groups"], Post) => status_admin::create_group(&mut cx).await,
        (["api", "status", "components"], Post) => status_admin::create_component(&mut cx).await,
        (["api", "status", "components", id], Patch) => status_admin::patch_component(&mut cx, id).await,
        (["api", "status", "incidents"], Post) => status_admin::publish_incident(&mut cx).await,
        (["api", "status", "incidents", id, "updates"], Post) => status_admin::post_incident_update(&mut cx, id).await,
        (["api", "status", "maintenances"], Post) => status_admin::schedule_maintenance(&mut cx).await,
        (["api", "status", "maintenances", id, "updates"], Post) => status_admin::post_maintenance_update(&mut cx, id).await,
        (["api", "status", "updates", id], Patch) => status_admin::edit_update(&mut cx, id).await,
        (["api", "setup"], Get) => auth::setup_state(&cx).await,
        (["api", "setup"], Post) => auth::setup(&mut cx).await,
        (["api", "auth", "login"], Post) => auth::login(&mut cx).await,
        (["api", "auth", "logout"], Post) => auth::logout(&cx).await,
        (["api", "invites", "accept"], Post) => auth::accept_invite(&mut cx).await,
        (["api", "me"], Get) => auth::me(&cx).await,
        (["api", "users"], Post) => users::create(&mut cx).await,
        (["api", "users"], Get) => users::list(&cx).await,
        (["api", "users", id], Patch) => users::patch(&mut cx, id).await,
        (["api", "users", id, "deactivate"], Post) => users::deactivate(&cx, id).await,
        (["api", "audit"], Get) => audit::list(&cx).await,
        (["api", "metrics"], Get) => metrics::get(&cx).await,
        (["api", "metrics.csv"], Get) => metrics::csv(&cx).await,
        (["api", "metrics", "oncall-load"], Get) => metrics::oncall_load(&cx).await,
        (["api", "tokens"], Post) => users::create_token(&mut cx).await,
        (["api", "tokens"], Get) => users::list_tokens(&cx).await,
        (["api", "tokens", id], Delete) => users::revoke_token(&cx, id).await,
        (["api", "auth", "logout-everywhere"], Post) => auth::logout_everywhere(&cx).await,
        (["api", "users", "me", "password"], Post) => auth::change_password(&mut cx).await,
        (["api", "services"], Get) => services::list(&cx).await,
        (["api", "services"], Post) => services::create(&mut cx).await,
        (["api", "services", id], Get) => services::get(&cx, id).await,
        (["api", "services", id], Patch) => services::patch(&mut cx, id).await,
        (["api", "services", id, "rotate-key"], Post) => services::rotate_key(&cx, id).await,
        (["api", "services", id, "integrations"], Get) => services::integrations(&cx, id).await,
        (["api", "incidents"], Get) => incidents::list(&cx).await,
        (["api", "incidents"], Post) => incidents::declare(&mut cx).await,
        (["api", "incidents", "live"], Get) => incidents::live_list(&cx).await,
        (["api", "incidents", id], Get) => incidents::get(&cx, id).await,
        (["api", "incidents", id], Patch) if *id != "live" => incidents::edit(&mut cx, id).await,
        (["api", "incidents", id, "acknowledge"], Post) => incidents::acknowledge(&cx, id).await,
        (["api", "incidents", id, "resolve"], Post) => incidents::resolve(&cx, id).await,
        (["api", "incidents", id, "escalate"], Post) => oncall::escalate_now(&cx, id).await,
        (["api", "incidents", id, "notifications"], Get) => oncall::notifications(&cx, id).await,
        (["api", "incidents", id, "timeline"], Get) => incidents::timeline(&cx, id).await,
        (["api", "incidents", id, "live"], Get) => incidents::live(&cx, id).await,
        (["api", "schedules"], Post) => oncall::create_schedule(&mut cx).await,
        (["api", "schedules"], Get) => oncall::list_schedules(&cx).await,
        (["api", "schedules", id], Put) => oncall::update_schedule(&mut cx, id).await,
        (["api", "schedules", id], Delete) => oncall::delete_schedule(&cx, id).await,
        (["api", "schedules", sid, "overrides", id], Delete) => oncall::delete_override(&cx, sid, id).await,
        (["api", "escalation-policies", id], Put) => oncall::update_policy(&mut cx, id).await,
        (["api", "escalation-policies", id], Delete) => oncall::delete_policy(&cx, id).await,
        (["api", "incidents", id, "reassign"], Post) => oncall::reassign(&mut cx, id).await,
        (["api", "schedules", id, "overrides"], Post) => oncall::create_override(&mut cx, id).await,
        (["api", "oncall"], Get) => oncall::who_is_on_call(&cx).await,
        (["api", "schedules", id, "timeline"], Get) => oncall::timeline(&cx, id).await,
        (["api", "schedules", id, "calendar-feed"], Post) => oncall::create_calendar_feed(&cx, FeedKind::Schedule, Some(id)).await,
        (["api", "users", "me", "calendar-feed"], Post) => oncall::create_calendar_feed(&cx, FeedKind::User, None).await,
        (["api", "calendar-feeds"], Get) => oncall::list_calendar_feeds(&cx).await,
        (["api", "calendar-feeds", id], Delete) => oncall::revoke_calendar_feed(&cx, id).await,
        (["api", "schedules", id, "calendar.ics"], Get) => oncall::calendar(&cx, FeedKind::Schedule, id).await,
        (["api", "users", id, "oncall.ics"], Get) => oncall::calendar(&cx, FeedKind::User, id).await,
        (["api", "escalation-policies"], Post) => oncall::create_policy(&mut cx).await,
        (["api", "escalation-policies"], Get) => oncall::list_policies(&cx).await,
        (["api", "services", id, "escalation-policy"], Put) => oncall::set_service_policy(&mut cx, id).await,
        (["api", "incidents", id, "notes"], Post) => incidents::add_note(&mut cx, id).await,
        (["api", "incident-roles"], Get) => command::list_roles(&cx).await,
        (["api", "incident-roles"], Post) => command::create_role(&mut cx).await,
        (["api", "incident-roles", id], Delete) => command::delete_role(&cx, id).await,
        (["api", "incidents", id, "roles", role], Put) => command::assign_role(&mut cx, id, role).await,
        (["api", "incidents", id, "roles", role], Delete) => command::unassign_role(&cx, id, role).await,
        (["api", "incidents", id, "links"], Post) => command::add_link(&mut cx, id).await,
        (["api", "incidents", id, "links", link], Delete) => command::remove_link(&cx, id, link).await,
        (["api", "incidents", id, "services"], Put) => command::set_services(&mut cx, id).await,
        (["api", "incidents", id, "merge"], Post) => command::merge(&mut cx, id).await,
        (["api", "incidents", id, "highlights", seq], Put) => command::highlight(&cx, id, seq, true).await,
        (["api", "incidents", id, "highlights", seq], Delete) => command::highlight(&cx, id, seq, false).await,
        (["api", "services", id, "checklist"], Get) => checklists::get_template(&cx, id).await,
        (["api", "services", id, "checklist"], Put) => checklists::put_template(&mut cx, id).await,
        (["api", "services", id, "checklist", "review"], Get) => readiness::get_review(&cx, id).await,
        (["api", "services", id, "checklist", "review"], Post) => readiness::mark_reviewed(&cx, id).await,
        (["api", "readiness"], Get) => readiness::report(&cx).await,
        (["api", "incidents", id, "checklist"], Get) => checklists::get_incident(&cx, id).await,
        (["api", "incidents", id, "checklist"], Post) => checklists::add_step(&mut cx, id).await,
        (["api", "incidents", id, "checklist", step, "tick"], Post) => checklists::tick(&cx, id, step, true).await,
        (["api", "incidents", id, "checklist", step, "untick"], Post) => checklists::tick(&cx, id, step, false).await,
        (["api", "incidents", id, "postmortem"], Get) => postmortems::get(&cx, id).await,
        (["api", "incidents", id, "postmortem"], Post) => postmortems::create(&mut cx, id).await,
        (["api", "incidents", id, "postmortem.md"], Get) => postmortems::export(&cx, id, false).await,
        (["api", "incidents", id, "postmortem.html"], Get) => postmortems::export(&cx, id, true).await,
        (["api", "incidents", id, "postmortem", "sections", key], Put) => postmortems::save_section(&mut cx, id, key).await,
        (["api", "incidents", id, "postmortem", "public"], Put) => postmortems::save_public(&mut cx, id).await,
        (["api", "incidents", id, "postmortem", "status"], Post) => postmortems::change_status(&mut cx, id).await,
        (["api", "incidents", id, "postmortem", "comments"], Post) => postmortems::add_comment(&mut cx, id).await,
        (["api", "incidents", id, "postmortem", "comments", c, "resolve"], Post) => postmortems::resolve_comment(&cx, id, c, true).await,
        (["api", "incidents", id, "postmortem", "comments", c, "reopen"], Post) => postmortems::resolve_comment(&cx, id, c, false).await,
        (["api", "incidents", id, "postmortem", "publish-public"], Post) => postmortems::publish_public(&cx, id).await,
        (["api", "postmortem-template"], Get) => postmortems::get_template(&cx).await,
        (["api", "postmortem-template"], Put) => postmortems::put_template(&mut cx).await,
        (["api", "incidents", id, "updates"], Get) => status_updates::list(&cx, id).await,
        (["api", "incidents", id, "updates"], Post) => status_updates::post(&mut cx, id).await,
        (["api", "incidents", id, "responders"], Get) => responders::list(&cx, id).await,
        (["api", "incidents", id, "responders"], Post) => responders::request(&mut cx, id).await,
        (["api", "incidents", id, "responder-suggestions"], Get) => responders::suggestions(&cx, id).await,
        (["api", "incidents", id, "responders", uid, "join"], Post) => responders::answer(&mut cx, id, uid, tocsin_domain::responders::Answer::Join).await,
        (["api", "incidents", id, "responders", uid, "decline"], Post) => responders::answer(&mut cx, id, uid, tocsin_domain::responders::Answer::Decline).await,
        (["api", "teams"], Get) => teams::list(&cx).await,
        (["api", "teams"], Post) => teams::create(&mut cx).await,
        (["api", "teams", id], Patch) => teams::patch(&mut cx, id).await,
        (["api", "teams", id], Delete) => teams::delete(&cx, id).await,
        (["api", "push", "vapid-public-key"], Get) => push::vapid_public_key(&cx).await,
        (["api", "push", "subscriptions"], Get) => push::list_subscriptions(&cx).await,
        (["api", "push", "subscriptions"], Post) => push::subscribe(&mut cx).await,
        (["api", "push", "subscriptions", id], Delete) => push::unsubscribe(&cx, id).await,
        (["api", "push", "subscriptions", id, "test"], Post) => push::test(&cx, id).await,
        (["api", "push", "deliveries"], Get) => push::deliveries(&cx).await,
        (["api", "actions", "acknowledge"], Post) => push::acknowledge_action(&mut cx).await,
        (["api", "users", "me", "contact-preferences"], Get) => push::get_preferences(&cx).await,
        (["api", "users", "me", "contact-preferences"], Put) => push::put_preferences(&mut cx).await,
        (["api", "webhook-destinations"], Get) => destinations::list(&cx).await,
        (["api", "webhook-destinations"], Post) => destinations::create(&mut cx).await,
        (["api", "webhook-destinations", id], Put) => destinations::update(&mut cx, id).await,
        (["api", "webhook-destinations", id], Delete) => destinations::delete(&cx, id).await,
        (["api", "webhook-destinations", id, "test"], Post) => destinations::test(&cx, id).await,
        (["api", "webhook-destinations", id, "deliveries"], Get) => destinations::deliveries(&cx, id).await,
        (["api", "import", "pagerduty"], Post) => import::import(&mut cx, tocsin_domain::import::Source::Pagerduty).await,
        (["api", "import", "opsgenie"], Post) => import::import(&mut cx, tocsin_domain::import::Source::Opsgenie).await,
        (["api", "admin", "reseal"], Post) => secrets::reseal(&cx).await,
        (["api", "admin", "runtime"], Get) => runtime::get(&cx).await,
        // Action items and ticket systems (issue 14).
        (["api", "action-items"], Get) => action_items::list(&cx).await,
        (["api", "action-items"], Post) => action_items::create(&mut cx, None).await,
        (["api", "action-items", id], Get) => action_items::get(&cx, id).await,
        (["api", "action-items", id], Patch) => action_items::patch(&mut cx, id).await,
        (["api", "action-items", id, "ticket"], Post) => ticketing::send_item(&mut cx, id).await,
        (["api", "incidents", id, "action-items"], Get) => action_items::list_incident(&cx, id).await,
        (["api", "incidents", id, "action-items"], Post) => action_items::create(&mut cx, Some(id)).await,
        (["api", "ticketing"], Get) => ticketing::list(&cx).await,
        (["api", "ticketing", system], Put) => ticketing::put(&mut cx, system).await,
        (["api", "ticketing", system], Delete) => ticketing::delete(&cx, system).await,
        (["hooks", "jira", id], Post) => ticket_hooks::receive(&mut cx, "jira", id).await,
        (["hooks", "github", id], Post) => ticket_hooks::receive(&mut cx, "github", id).await,
        (["webhooks", vendor, key], Post) => webhooks::receive(&mut cx, vendor, key).await,
        (["v2", "enqueue"], Post) => pagerduty::enqueue(&mut cx).await,
        (["v2", "change", "enqueue"], Post) => pagerduty::change_enqueue(&mut cx).await,
        (["v2", "alerts"], Post) => opsgenie::create(&mut cx).await,
        (["v2", "alerts", "requests", id], Get) => opsgenie::request_status(&cx, id).await,
        (["v2", "alerts", id, "close"], Post) => opsgenie::act(&mut cx, id, EventAction::Resolve).await,
        (["v2", "alerts", id, "acknowledge"], Post) => opsgenie::act(&mut cx, id, EventAction::Acknowledge).await,
        // Known paths with another method.
        (
            ["healthz"] | ["api", "openapi.json"] | ["api", "setup" | "me" | "users" | "tokens" | "services" | "incidents"] | ["api", "auth", _] | ["api", "invites", "accept"] | ["api", "tokens", _] | ["api", "users", "me", "password"]
            | ["api", "services", _] | ["api", "services", _, "rotate-key" | "integrations"] | ["api", "incidents", _]
            | ["api", "incidents", _, "acknowledge" | "resolve" | "escalate" | "notifications" | "reassign" | "notes" | "timeline" | "live"]
            | ["api", "incident-roles"] | ["api", "incident-roles", _] | ["api", "incidents", _, "links" | "services" | "merge"]
            | ["api", "incidents", _, "roles" | "links" | "highlights", _]
            | ["api", "services", _, "checklist"] | ["api", "services", _, "checklist", "review"] | ["api", "readiness"] | ["api", "incidents", _, "checklist" | "updates"] | ["api", "incidents", _, "checklist", _, "tick" | "untick"]
            | ["api", "push", "vapid-public-key" | "subscriptions" | "deliveries"] | ["api", "push", "subscriptions", _] | ["api", "push", "subscriptions", _, "test"]
            | ["api", "actions", "acknowledge"] | ["api", "users", "me", "contact-preferences"] | ["api", "webhook-destinations"]
            | ["api", "webhook-destinations", _] | ["api", "webhook-destinations", _, "test" | "deliveries"]
            | ["api", "import", "pagerduty" | "opsgenie"]
            | ["api", "incidents", _, "postmortem" | "postmortem.md" | "postmortem.html"] | ["api", "postmortem-template"]
            | ["api", "incidents", _, "postmortem", "sections", _] | ["api", "incidents", _, "postmortem", "public" | "status" | "comments" | "publish-public"]
            | ["api", "incidents", _, "postmortem", "comments", _, "resolve" | "reopen"]
            | ["api", "admin", "reseal" | "runtime"]
            | ["api", "metrics" | "metrics.csv"] | ["api", "metrics", "oncall-load"]
            | ["api", "action-items"] | ["api", "action-items", _] | ["api", "action-items", _, "ticket"] | ["api", "incidents", _, "action-items"]
            | ["api", "ticketing"] | ["api", "ticketing", _] | ["hooks", "jira" | "github", _]
            | ["api", "teams"] | ["api", "teams", _] | ["api", "incidents", _, "responders" | "responder-suggestions"] | ["api", "incidents", _, "responders", _, "join" | "decline"]
            | ["api", "schedules" | "escalation-policies", _] | ["api", "schedules", _, "overrides", _] | ["api", "schedules" | "oncall" | "escalation-policies"]
            | ["api", "schedules", _, "overrides" | "calendar-feed" | "calendar.ics" | "timeline"] | ["api", "services", _, "escalation-policy"]
            | ["api", "users", _, "calendar-feed" | "oncall.ics" | "deactivate"] | ["api", "users", _] | ["api", "audit"] | ["api", "calendar-feeds"] | ["api", "calendar-feeds", _] | ["webhooks", _, _] | ["v2", "enqueue"] | ["v2", "change", "enqueue"]
            | ["v2", "alerts"] | ["v2", "alerts", _, _] | ["status"] | ["status", "history"] | ["status", "incidents" | "maintenance", _]
            | ["history.atom" | "history.rss"] | ["api", "status"] | ["api", "status", "page" | "groups" | "components" | "incidents" | "maintenances"]
            | ["api", "status", "components" | "updates", _] | ["api", "status", "incidents" | "maintenances", _, "updates"],
            _,
        ) => Err(wrong()),
        _ => Err(ApiError::NotFound("route")),
    };
    // A successful change may have written something to deliver (a timeline row, a page, a
    // public update): the delivery pump runs after the response.
    // Ingestion too: a repeat or a resolve from a monitoring tool is a row of the live record.
    if routed != Get && result.as_ref().is_ok_and(|r| r.status_code() < 300) && matches!(segs.first(), Some(&"api" | &"webhooks" | &"v2")) {
        cx.after.deliver();
    }
    (secured(result.unwrap_or_else(ApiError::into_response), https), cx.after.get())
}

/// Adds the security headers (domain::web_security) to an answer: the status page sets its own
/// Content-Security-Policy; other HTML is the app shell; everything else is data.
fn secured(resp: Response, https: bool) -> Response {
    let headers = resp.headers().clone();
    let html = headers.get("Content-Type").ok().flatten().is_some_and(|t| t.starts_with("text/html"));
    let has_csp = headers.has("Content-Security-Policy").unwrap_or(false);
    let kind = if html { AnswerKind::App } else { AnswerKind::Data };
    for (name, value) in web_security::headers(kind, https, "", "") {
        if name == "Content-Security-Policy" && has_csp || name == "X-Frame-Options" && has_csp {
            continue;
        }
        let _ = headers.set(name, &value);
    }
    resp.with_headers(headers)
}

/// Decodes `%XX` escapes in one path segment (identifiers such as Opsgenie aliases may hold
/// spaces); invalid escapes are kept as they are.
fn percent_decode(seg: &str) -> String {
    let bytes = seg.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1).copied().and_then(hex), bytes.get(i + 2).copied().and_then(hex)) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap_or_else(|_| seg.to_string())
}
