//! Ticket systems over HTTP: the organisation's Jira and GitHub configurations (admins; tokens
//! and webhook secrets sealed at rest, never shown again — the generated webhook secret once),
//! and sending an action item to one (responders): one ticket per item, ever — a repeat returns
//! the stored ticket; a vendor refusal is a 502 naming the vendor and its status, nothing stored.

use tocsin_domain::action_items::{self as ai, Change, TicketSystem};
use tocsin_domain::api::action_items::{SavedTicketing, TicketRequest as SendRequest, TicketingConfig, TicketingConfigRequest, TicketingList};
use tocsin_domain::api::{ErrorBody, ErrorDetail};
use tocsin_domain::audit::Action;
use tocsin_domain::auth::Permission;
use tocsin_domain::ticketing::github::{self, GithubConfig};
use tocsin_domain::ticketing::jira::{self, JiraConfig};
use tocsin_domain::ticketing::{base_url, CreatedTicket, TicketError, TicketItem, TicketRequest};
use tocsin_domain::validation::email;
use worker::Response;

use super::{json, views, Cx};
use crate::auth::Caller;
use crate::crypto::{new_id, new_secret, open, seal};
use crate::db::{NewTimeline, TicketingRow};
use crate::error::{ApiError, ApiResult};

/// Where a configuration's token is sealed.
pub fn token_place(id: &str) -> String {
    format!("ticketing:{id}:token")
}

/// Where a configuration's inbound webhook secret is sealed.
pub fn secret_place(id: &str) -> String {
    format!("ticketing:{id}:webhook")
}

/// How long a vendor has to answer.
const TIMEOUT_MS: u64 = 10_000;

fn view(r: &TicketingRow) -> TicketingConfig {
    let system: TicketSystem = r.system.parse().unwrap_or(TicketSystem::Jira);
    TicketingConfig {
        id: r.id.clone(),
        system,
        base_url: r.base_url.clone().unwrap_or_default(),
        email: r.email.clone(),
        project_key: r.project_key.clone(),
        issue_type: r.issue_type.clone(),
        owner: r.owner.clone(),
        repo: r.repo.clone(),
        webhook_path: format!("/hooks/{}/{}", system.as_str(), r.id),
        updated_at: views::time(r.updated_at),
    }
}

async fn admin(cx: &Cx) -> ApiResult<Caller> {
    let caller = cx.caller().await?;
    caller.require(Permission::Administer)?;
    Ok(caller)
}

fn system_of(raw: &str) -> ApiResult<TicketSystem> {
    raw.parse::<TicketSystem>().map_err(|_| ApiError::NotFound("ticket system"))
}

fn required(field: &str, v: &Option<String>, max: usize) -> ApiResult<String> {
    let t = v.as_deref().map(str::trim).unwrap_or_default();
    if t.is_empty() {
        return Err(ApiError::field(field, "is required"));
    }
    if t.chars().count() > max || t.chars().any(char::is_control) {
        return Err(ApiError::field(field, format!("must be one line of at most {max} characters")));
    }
    Ok(t.to_string())
}

/// `GET /api/ticketing` (admins).
pub async fn list(cx: &Cx) -> ApiResult<Response> {
    let caller = admin(cx).await?;
    let configs = cx.db.ticketing_configs(caller.org_id()).await?.iter().map(view).collect();
    json(200, &TicketingList { configs })
}

/// `PUT /api/ticketing/{jira|github}` (admins) → 200 the configuration (and the webhook
/// secret when it was generated now).
pub async fn put(cx: &mut Cx, system: &str) -> ApiResult<Response> {
    let caller = admin(cx).await?;
    let system = system_of(system)?;
    let r: TicketingConfigRequest = cx.json().await?;
    let org = caller.org_id().to_string();
    let old = cx.db.ticketing_config(&org, system.as_str()).await?;
    let id = old.as_ref().map(|o| o.id.clone()).unwrap_or_else(|| new_id(cx.now));
    let mut row = TicketingRow {
        id: id.clone(),
        org_id: org.clone(),
        system: system.as_str().into(),
        base_url: None,
        email: None,
        project_key: None,
        issue_type: None,
        owner: None,
        repo: None,
        api_token: String::new(),
        webhook_secret: String::new(),
        created_at: old.as_ref().map(|o| o.created_at).unwrap_or(cx.now),
        updated_at: cx.now,
    };
    match system {
        TicketSystem::Jira => {
            row.base_url = Some(base_url("base_url", &required("base_url", &r.base_url, 300)?)?);
            row.email = Some(email("email", &required("email", &r.email, 200)?)?);
            let key = required("project_key", &r.project_key, 20)?;
            if !key.starts_with(|c: char| c.is_ascii_uppercase()) || !key.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_') {
                return Err(ApiError::field("project_key", "must be a Jira project key such as OPS (capital letters, digits, _)"));
            }
            row.project_key = Some(key);
            row.issue_type = Some(match r.issue_type.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
                Some(_) => required("issue_type", &r.issue_type, 60)?,
                None => "Task".into(),
            });
        }
        TicketSystem::Github => {
            let base = r.base_url.as_deref().map(str::trim).filter(|b| !b.is_empty()).unwrap_or(github::DEFAULT_API);
            row.base_url = Some(base_url("base_url", base)?);
            let owner = required("owner", &r.owner, 100)?;
            let repo = required("repo", &r.repo, 100)?;
            if !github::valid_name(&owner) {
                return Err(ApiError::field("owner", "must be a GitHub user or organisation name"));
            }
            if !github::valid_name(&repo) {
                return Err(ApiError::field("repo", "must be a GitHub repository name"));
            }
            row.owner = Some(owner);
            row.repo = Some(repo);
        }
    }
    // The stored token is only kept while it keeps going where it went (same host, same account).
    let same_target = |o: &TicketingRow| o.base_url == row.base_url && o.email == row.email;
    row.api_token = match (r.api_token.as_deref().map(str::trim).filter(|t| !t.is_empty()), &old) {
        (Some(t), _) if t.len() > 2000 || t.chars().any(char::is_control) => return Err(ApiError::field("api_token", "must be one line of at most 2000 characters")),
        (Some(t), _) => seal(t, &token_place(&id))?,
        (None, Some(o)) if !same_target(o) => return Err(ApiError::field("api_token", "is required again when base_url or email changes")),
        (None, Some(o)) => o.api_token.clone(),
        (None, None) => return Err(ApiError::field("api_token", "is required")),
    };
    let mut shown = None;
    row.webhook_secret = match (r.webhook_secret.as_deref().map(str::trim).filter(|s| !s.is_empty()), &old) {
        (Some(s), _) if s.len() < 16 || s.len() > 200 => return Err(ApiError::field("webhook_secret", "must be 16 to 200 characters")),
        (Some(s), _) => seal(s, &secret_place(&id))?,
        (None, Some(o)) => o.webhook_secret.clone(),
        (None, None) => {
            let s = new_secret("tkwh_");
            let sealed = seal(&s, &secret_place(&id))?;
            shown = Some(s);
            sealed
        }
    };
    let mut audit = cx.audit(&caller, Action::TicketingConfigured, Some(&id)).after(serde_json::to_value(view(&row))?);
    if let Some(o) = &old {
        audit = audit.before(serde_json::to_value(view(o))?);
    }
    cx.db.put_ticketing_config(&row, &audit).await?;
    let saved = cx.db.ticketing_config(&org, system.as_str()).await?.ok_or_else(|| ApiError::Internal("ticketing config vanished".into()))?;
    json(200, &SavedTicketing { config: view(&saved), webhook_secret: shown })
}

/// `DELETE /api/ticketing/{jira|github}` (admins): items keep their ticket links; their
/// tickets no longer close them.
pub async fn delete(cx: &Cx, system: &str) -> ApiResult<Response> {
    let caller = admin(cx).await?;
    let system = system_of(system)?;
    let old = cx.db.ticketing_config(caller.org_id(), system.as_str()).await?.ok_or(ApiError::NotFound("ticket system"))?;
    let audit = cx.audit(&caller, Action::TicketingRemoved, Some(&old.id)).before(serde_json::to_value(view(&old))?);
    if !cx.db.delete_ticketing_config(caller.org_id(), system.as_str(), &audit).await? {
        return Err(ApiError::NotFound("ticket system"));
    }
    Ok(Response::empty()?.with_status(204))
}

/// The most of a vendor's answer read (its create answers and errors are a few KB).
const MAX_ANSWER: usize = 64 * 1024;

/// POSTs a vendor request and returns its status and body (`None`: no answer in time; the
/// body is cut at `MAX_ANSWER` bytes, read as a stream so a huge answer is never buffered).
async fn send(req: &TicketRequest) -> (Option<u16>, String) {
    use futures_util::future::{select, Either};
    let h = worker::Headers::new();
    for (k, v) in &req.headers {
        if h.set(k, v).is_err() {
            return (None, String::new());
        }
    }
    let mut init = worker::RequestInit::new();
    // Never redirected: the request carries the tracker's credentials, and the place a redirect
    // names was never checked; a 3xx is the tracker's answer (an error).
    init.with_method(worker::Method::Post).with_headers(h).with_body(Some(wasm_bindgen::JsValue::from_str(&req.body))).with_redirect(worker::RequestRedirect::Manual);
    let Ok(request) = worker::Request::new_with_init(&req.url, &init) else { return (None, String::new()) };
    let controller = worker::AbortController::default();
    let signal = controller.signal();
    let sending = Box::pin(async {
        use futures_util::StreamExt;
        let mut resp = worker::Fetch::Request(request).send_with_signal(&signal).await?;
        let mut bytes = Vec::new();
        if let Ok(mut stream) = resp.stream() {
            while let Some(Ok(chunk)) = stream.next().await {
                let room = MAX_ANSWER - bytes.len();
                bytes.extend_from_slice(&chunk[..chunk.len().min(room)]);
                if bytes.len() >= MAX_ANSWER {
                    break;
                }
            }
        }
        Ok::<_, worker::Error>((resp.status_code(), String::from_utf8_lossy(&bytes).into_owned()))
    });
    let timer = Box::pin(worker::Delay::from(std::time::Duration::from_millis(TIMEOUT_MS)));
    let raced = select(sending, timer).await;
    match raced {
        Either::Left((Ok((status, text)), _)) => (Some(status), text),
        Either::Left((Err(_), _)) => (None, String::new()),
        Either::Right(_) => {
            controller.abort();
            (None, String::new())
        }
    }
}

/// A vendor's refusal: 502 naming the vendor, its status and at most its own (parsed, capped)
/// error message fields — never its raw body.
fn bad_gateway(e: &TicketError) -> ApiResult<Response> {
    json(502, &ErrorBody { error: ErrorDetail { code: "ticket_system_error".into(), message: e.to_string(), field: None } })
}

/// `POST /api/action-items/{id}/ticket` `{"system":"jira"|"github"}` (responders) → 201 the
/// item with its new ticket; 200 the item as it is when it already has one (whichever system).
pub async fn send_item(cx: &mut Cx, id: &str) -> ApiResult<Response> {
    let caller = cx.caller().await?;
    caller.require(Permission::Respond)?;
    let r: SendRequest = cx.json().await?;
    let org = caller.org_id().to_string();
    let row = cx.db.action_item(&org, id).await?.ok_or(ApiError::NotFound("action item"))?;
    if row.ticket_key.is_some() {
        return json(200, &super::action_items::item_view(&row, cx.now));
    }
    let cfg = cx
        .db
        .ticketing_config(&org, r.system.as_str())
        .await?
        .ok_or_else(|| ApiError::field("system", format!("{} is not configured for this organisation (an admin sets it up: PUT /api/ticketing/{})", r.system.label(), r.system.as_str())))?;
    let token = open(&cfg.api_token, &token_place(&cfg.id))?;
    if !cx.db.claim_ticket(&org, id, cx.now).await? {
        // Another request is opening it (or just did): answer what is stored now.
        let now_row = cx.db.action_item(&org, id).await?.ok_or(ApiError::NotFound("action item"))?;
        if now_row.ticket_key.is_some() {
            return json(200, &super::action_items::item_view(&now_row, cx.now));
        }
        return Err(ApiError::Conflict("a ticket for this action item is being opened right now; try again in a minute".into()));
    }
    let app = cx.var("APP_URL").unwrap_or_else(|| cx.origin());
    let incident = row.incident_number.map(|n| format!("Incident #{n}: {}", row.incident_title.clone().unwrap_or_default()));
    let item = TicketItem {
        title: &row.title,
        priority: &row.priority,
        kind: &row.kind,
        owner: row.owner_name.as_deref(),
        due_day: row.due_date.as_deref(),
        link: Some(format!("{}/action-items", app.trim_end_matches('/'))),
        incident,
    };
    let base = cfg.base_url.clone().unwrap_or_default();
    let created: Result<CreatedTicket, TicketError> = match r.system {
        TicketSystem::Jira => {
            let jc = JiraConfig {
                base_url: &base,
                email: cfg.email.as_deref().unwrap_or_default(),
                project_key: cfg.project_key.as_deref().unwrap_or_default(),
                issue_type: cfg.issue_type.as_deref().unwrap_or("Task"),
            };
            let (status, body) = send(&jira::create_request(&jc, &token, &item)).await;
            jira::parse_created(&base, status, &body)
        }
        TicketSystem::Github => {
            let gc = GithubConfig { api_url: &base, owner: cfg.owner.as_deref().unwrap_or_default(), repo: cfg.repo.as_deref().unwrap_or_default() };
            let (status, body) = send(&github::create_request(&gc, &token, &item)).await;
            github::parse_created(&gc, status, &body)
        }
    };
    let ticket = match created {
        Ok(t) => t,
        Err(e) => {
            cx.db.release_ticket_claim(&org, id, cx.now).await?;
            return bad_gateway(&e);
        }
    };
    let change = Change::Ticket { system: r.system, key: ticket.key.clone() };
    let actor = views::actor_json(&views::user_actor(&caller.user));
    let message = ai::timeline_message(&caller.user.name, &change, &row.title);
    let tid = new_id(cx.now);
    let t = NewTimeline { id: &tid, kind: change.kind(), actor: &actor, message: &message };
    cx.db.store_ticket(&row, r.system.as_str(), &ticket.key, &ticket.url, Some(&t), cx.now).await?;
    cx.after.deliver();
    let now_row = cx.db.action_item(&org, id).await?.ok_or(ApiError::NotFound("action item"))?;
    json(201, &super::action_items::item_view(&now_row, cx.now))
}
