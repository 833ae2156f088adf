//! The app's one API client: typed calls over the wire types in `tocsin_domain::api`.

use chrono::{DateTime, Utc};
use gloo_net::http::{Request, RequestBuilder, Response};
use leptos::prelude::{GetUntracked, RwSignal, Set};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tocsin_domain::api::*;

/// An API failure as the UI needs it: what to say, and which field to point at.
#[derive(Clone, Debug, PartialEq)]
pub struct ApiError {
    /// HTTP status; 0 when the server could not be reached.
    pub status: u16,
    pub message: String,
    pub field: Option<String>,
}

impl ApiError {
    pub fn is_unauthenticated(&self) -> bool {
        self.status == 401
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

fn network(e: gloo_net::Error) -> ApiError {
    ApiError { status: 0, message: format!("Cannot reach Tocsin ({e}). Check your connection; retrying."), field: None }
}

thread_local! {
    static STALE: RwSignal<Option<DateTime<Utc>>> = RwSignal::new(None);
}

/// When the app is offline and shows what the service worker stored: the time that copy was
/// stored (public/sw.js answers cached reads with `X-Tocsin-Stale: <RFC 3339>`). `None` while
/// answers come from the server.
pub fn stale() -> RwSignal<Option<DateTime<Utc>>> {
    STALE.with(|s| *s)
}

/// The cache the service worker keeps API reads in (public/sw.js `API_CACHE`).
const API_CACHE: &str = "tocsin-api";

/// Deletes the offline copies of API answers (on logout: a shared phone keeps nothing).
pub async fn forget_offline_copies() {
    if let Some(caches) = web_sys::window().and_then(|w| w.caches().ok()) {
        let _ = wasm_bindgen_futures::JsFuture::from(caches.delete(API_CACHE)).await;
    }
    stale().set(None);
}

/// A 2xx answer's status and body, or the error the answer carries. Not generic, so that the
/// wasm holds one copy of it rather than one per answer type.
async fn answer(resp: Response) -> ApiResult<(u16, String)> {
    let status = resp.status();
    let ok = (200..300).contains(&status);
    let stored = if ok { resp.headers().get("x-tocsin-stale").and_then(|v| DateTime::parse_from_rfc3339(&v).ok()).map(|t| t.with_timezone(&Utc)) } else { None };
    let text = resp.text().await.map_err(|e| ApiError { status, message: format!("Unexpected answer: {e}"), field: None })?;
    // What the caller does with the answer (decode, draw) runs in a task of its own, not in
    // whichever task the body arrived in (at a cold start: the main module's start, the session,
    // the screen's bundle would otherwise run as one long task).
    crate::components::next_task().await;
    // The offline mark changes in the same task as the answer it describes is shown.
    if ok && stale().get_untracked() != stored {
        stale().set(stored);
    }
    if ok {
        return Ok((status, text));
    }
    match tocsin_domain::json_maps::from_str::<ErrorBody>(&text) {
        Ok(b) => Err(ApiError { status, message: b.error.message, field: b.error.field }),
        Err(_) => Err(ApiError { status, message: format!("The server answered {status}."), field: None }),
    }
}

/// Sends a request (with a JSON body when given) and reads the answer.
async fn exchange(req: RequestBuilder, json: Option<String>) -> ApiResult<(u16, String)> {
    let req = match json {
        Some(body) => req.header("Content-Type", "application/json").body(body),
        // Writes without a body are still marked JSON: the server refuses cookie-authenticated
        // writes that are not (a cross-site form could send them otherwise).
        None => req.header("Content-Type", "application/json").build(),
    }
    .map_err(network)?;
    if req.method() == gloo_net::http::Method::GET {
        if let Some(resp) = prefetched(&req.url()).await {
            return answer(resp).await;
        }
    }
    answer(req.send().await.map_err(network)?).await
}

/// The answer to a read that app/boot.js began before the app had loaded (the first screen's
/// reads, so that they travel while the main module downloads), taken once, by absolute URL.
/// `None` (so the read goes to the network) for any other read, a second read of the same URL,
/// or a prefetch the network failed.
async fn prefetched(url: &str) -> Option<Response> {
    use wasm_bindgen::JsCast;
    let raw = wasm_bindgen_futures::JsFuture::from(take_prefetched(url)?).await.ok()?;
    Some(Response::from(raw.unchecked_into::<web_sys::Response>()))
}

#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    /// app/boot.js: the promise of the prefetched answer for this URL, removed as it is taken.
    #[wasm_bindgen(js_name = __tocsinTake)]
    fn take_prefetched(url: &str) -> Option<js_sys::Promise>;
    /// app/boot.js: drops every prefetched answer (the session changed).
    #[wasm_bindgen(js_name = __tocsinForget)]
    fn forget_prefetched();
}

fn parse<T: DeserializeOwned>((status, text): (u16, String)) -> ApiResult<T> {
    tocsin_domain::json_maps::from_str(&text).map_err(|e| ApiError { status, message: format!("Unexpected answer: {e}"), field: None })
}

async fn send<T: DeserializeOwned>(req: RequestBuilder) -> ApiResult<T> {
    parse(exchange(req, None).await?)
}

async fn send_json<T: DeserializeOwned, B: Serialize>(req: RequestBuilder, body: &B) -> ApiResult<T> {
    let json = serde_json::to_string(body).map_err(|e| ApiError { status: 0, message: format!("Cannot encode the request: {e}"), field: None })?;
    parse(exchange(req, Some(json)).await?)
}

/// For answers without a body we need (204, 202).
async fn send_empty(req: RequestBuilder) -> ApiResult<()> {
    exchange(req, None).await.map(|_| ())
}

pub async fn setup_state() -> ApiResult<SetupState> {
    send(Request::get("/api/setup")).await
}

pub async fn setup(body: &SetupRequest) -> ApiResult<Me> {
    forget_prefetched();
    send_json(Request::post("/api/setup"), body).await
}

pub async fn login(body: &LoginRequest) -> ApiResult<Me> {
    forget_prefetched();
    send_json(Request::post("/api/auth/login"), body).await
}

pub async fn accept_invite(body: &AcceptInviteRequest) -> ApiResult<Me> {
    forget_prefetched();
    send_json(Request::post("/api/invites/accept"), body).await
}

/// Ends this browser's session. Only the server can (the cookie is HttpOnly): when the request
/// fails (offline, a 5xx) the session still lets this browser in, so the offline copies are kept
/// and the error is for the caller to say; a 401 means it had already ended.
pub async fn logout() -> ApiResult<()> {
    forget_prefetched();
    let result = send_empty(Request::post("/api/auth/logout")).await;
    let ended = match &result {
        Ok(()) => true,
        Err(e) => e.is_unauthenticated(),
    };
    if ended {
        // After the session ended: no read in flight can store a copy afterwards, since the
        // service worker stores nothing from a 401.
        forget_offline_copies().await;
    }
    result
}

pub async fn me() -> ApiResult<Me> {
    send(Request::get("/api/me")).await
}

/// `status`: comma-separated statuses or `open`; empty for all.
pub async fn incidents(status: &str) -> ApiResult<IncidentList> {
    send(Request::get("/api/incidents").query([("status", status), ("limit", "50")])).await
}

/// The incident for its workspace (see `incident_record`).
pub async fn incident(id: &str) -> ApiResult<crate::incident_record::Record> {
    let (status, text) = exchange(Request::get(&format!("/api/incidents/{id}")), None).await?;
    crate::incident_record::Record::from_text(text).map_err(|e| ApiError { status, message: format!("Unexpected answer: {e}"), field: None })
}

/// What an acknowledge or resolve answers (an `IncidentDetail`), as the action bar reads it.
#[derive(Deserialize)]
pub struct Changed {
    pub incident: tocsin_domain::api::Incident,
}

pub async fn acknowledge(id: &str) -> ApiResult<Changed> {
    send(Request::post(&format!("/api/incidents/{id}/acknowledge"))).await
}

pub async fn resolve(id: &str) -> ApiResult<Changed> {
    send(Request::post(&format!("/api/incidents/{id}/resolve"))).await
}

pub async fn services() -> ApiResult<ServiceList> {
    send(Request::get("/api/services")).await
}

#[derive(Serialize)]
pub struct NewService {
    pub name: String,
    pub description: String,
    pub runbook_url: String,
}

pub async fn create_service(body: &NewService) -> ApiResult<Service> {
    send_json(Request::post("/api/services"), body).await
}

pub async fn rotate_key(id: &str) -> ApiResult<Service> {
    send(Request::post(&format!("/api/services/{id}/rotate-key"))).await
}

pub async fn service(id: &str) -> ApiResult<Service> {
    send(Request::get(&format!("/api/services/{id}"))).await
}

pub async fn integrations(id: &str) -> ApiResult<ServiceIntegrations> {
    send(Request::get(&format!("/api/services/{id}/integrations"))).await
}

/// Partial update: only the fields present in `body` change.
pub async fn patch_service(id: &str, body: &serde_json::Value) -> ApiResult<Service> {
    send_json(Request::patch(&format!("/api/services/{id}")), body).await
}

pub async fn status_admin() -> ApiResult<StatusAdmin> {
    send(Request::get("/api/status")).await
}

/// `POST /api/status/…` with a JSON body; answers `{"id": …}`.
pub async fn status_post(path: &str, body: &serde_json::Value) -> ApiResult<serde_json::Value> {
    send_json(Request::post(&format!("/api/status/{path}")), body).await
}

/// `PATCH /api/status/updates/{id}`: corrects a published update's text.
/// `previous`: the text as the editor shows it (409 when someone corrected it since).
pub async fn status_edit_update(id: &str, body: &str, previous: &str) -> ApiResult<status::PublicUpdateEdited> {
    send_json(Request::patch(&format!("/api/status/updates/{id}")), &status::PublicUpdateEdit { body: body.to_string(), previous: Some(previous.to_string()) }).await
}

pub async fn status_component(id: &str, body: &serde_json::Value) -> ApiResult<StatusAdmin> {
    send_json(Request::patch(&format!("/api/status/components/{id}")), body).await
}

pub async fn on_call_now() -> ApiResult<OnCallNow> {
    send(Request::get("/api/oncall")).await
}

/// Puts the caller on call in a schedule from now for `hours`.
pub async fn cover(schedule_id: &str, start: &str, end: &str) -> ApiResult<serde_json::Value> {
    send_json(Request::post(&format!("/api/schedules/{schedule_id}/overrides")), &serde_json::json!({"start": start, "end": end})).await
}

pub async fn notifications(incident_id: &str) -> ApiResult<IncidentNotifications> {
    send(Request::get(&format!("/api/incidents/{incident_id}/notifications"))).await
}

pub async fn escalate_now(incident_id: &str) -> ApiResult<serde_json::Value> {
    send(Request::post(&format!("/api/incidents/{incident_id}/escalate"))).await
}

pub async fn schedule_timeline(id: &str, days: u32) -> ApiResult<ScheduleTimeline> {
    send(Request::get(&format!("/api/schedules/{id}/timeline")).query([("days", days.to_string())])).await
}

pub async fn policies() -> ApiResult<PolicyList> {
    send(Request::get("/api/escalation-policies")).await
}

pub async fn create_policy(body: &serde_json::Value) -> ApiResult<serde_json::Value> {
    send_json(Request::post("/api/escalation-policies"), body).await
}

pub async fn set_service_policy(service_id: &str, policy_id: Option<&str>) -> ApiResult<serde_json::Value> {
    send_json(Request::put(&format!("/api/services/{service_id}/escalation-policy")), &serde_json::json!({"policy_id": policy_id})).await
}

pub async fn add_note(incident_id: &str, body: &NoteRequest) -> ApiResult<TimelineEntry> {
    send_json(Request::post(&format!("/api/incidents/{incident_id}/notes")), body).await
}

// ---- Paging: push devices, contact preferences, outbound webhooks ----

pub async fn vapid_public_key() -> ApiResult<VapidPublicKey> {
    send(Request::get("/api/push/vapid-public-key")).await
}

pub async fn push_devices() -> ApiResult<PushDeviceList> {
    send(Request::get("/api/push/subscriptions")).await
}

/// Registers this browser's subscription (the same endpoint again answers the existing device).
pub async fn add_push_device(body: &PushSubscriptionRequest) -> ApiResult<PushDevice> {
    send_json(Request::post("/api/push/subscriptions"), body).await
}

pub async fn remove_push_device(id: &str) -> ApiResult<()> {
    send_empty(Request::delete(&format!("/api/push/subscriptions/{id}"))).await
}

pub async fn test_push_device(id: &str) -> ApiResult<TestQueued> {
    send(Request::post(&format!("/api/push/subscriptions/{id}/test"))).await
}

pub async fn push_deliveries() -> ApiResult<DeliveryLog> {
    send(Request::get("/api/push/deliveries")).await
}

pub async fn contact_preferences() -> ApiResult<ContactPreferences> {
    send(Request::get("/api/users/me/contact-preferences")).await
}

/// Saves the preferences; the second value is a generic personal webhook's signing secret,
/// present once, when it is first set.
pub async fn put_contact_preferences(body: &ContactPreferences) -> ApiResult<(ContactPreferences, Option<String>)> {
    let v: serde_json::Value = send_json(Request::put("/api/users/me/contact-preferences"), body).await?;
    let secret = v["webhook"]["signing_secret"].as_str().map(str::to_string);
    let prefs = tocsin_domain::json_maps::from_value(v).map_err(|e| ApiError { status: 200, message: format!("Unexpected answer: {e}"), field: None })?;
    Ok((prefs, secret))
}

pub async fn destinations() -> ApiResult<DestinationList> {
    send(Request::get("/api/webhook-destinations")).await
}

pub async fn create_destination(body: &DestinationRequest) -> ApiResult<CreatedDestination> {
    send_json(Request::post("/api/webhook-destinations"), body).await
}

pub async fn update_destination(id: &str, body: &DestinationRequest) -> ApiResult<Destination> {
    send_json(Request::put(&format!("/api/webhook-destinations/{id}")), body).await
}

pub async fn delete_destination(id: &str) -> ApiResult<()> {
    send_empty(Request::delete(&format!("/api/webhook-destinations/{id}"))).await
}

pub async fn test_destination(id: &str) -> ApiResult<TestQueued> {
    send(Request::post(&format!("/api/webhook-destinations/{id}/test"))).await
}

pub async fn destination_deliveries(id: &str) -> ApiResult<DeliveryLog> {
    send(Request::get(&format!("/api/webhook-destinations/{id}/deliveries"))).await
}

/// `kind`: a kind of thing (`service`) or empty for everything; `cursor`: the previous page's.
pub async fn audit(kind: &str, cursor: Option<&str>) -> ApiResult<tocsin_domain::audit::AuditPage> {
    let mut q = vec![("limit", "50")];
    if !kind.is_empty() {
        q.push(("action", kind));
    }
    if let Some(c) = cursor {
        q.push(("cursor", c));
    }
    send(Request::get("/api/audit").query(q)).await
}

// ---- The incident workspace: edits, roles, responders, checklist, updates, highlights ----
// The page re-reads the incident after a write (the live record also says so), so these only
// say whether the write worked.

/// A write with a JSON body whose answer the caller does not need.
async fn write_json<B: Serialize>(req: RequestBuilder, body: &B) -> ApiResult<()> {
    let json = serde_json::to_string(body).map_err(|e| ApiError { status: 0, message: format!("Cannot encode the request: {e}"), field: None })?;
    exchange(req, Some(json)).await.map(|_| ())
}

pub async fn edit_incident(id: &str, body: &tocsin_domain::incident_edit::IncidentEdit) -> ApiResult<()> {
    write_json(Request::patch(&format!("/api/incidents/{id}")), body).await
}

/// Everyone in the organisation (for picking a role holder or a responder).
pub async fn users() -> ApiResult<tocsin_domain::people::UserList> {
    send(Request::get("/api/users")).await
}

pub async fn assign_role(incident_id: &str, role: &str, body: &AssignRoleRequest) -> ApiResult<()> {
    write_json(Request::put(&format!("/api/incidents/{incident_id}/roles/{}", js_sys::encode_uri_component(role))), body).await
}

pub async fn unassign_role(incident_id: &str, role: &str) -> ApiResult<()> {
    send_empty(Request::delete(&format!("/api/incidents/{incident_id}/roles/{}", js_sys::encode_uri_component(role)))).await
}

pub async fn set_highlight(incident_id: &str, seq: i64, on: bool) -> ApiResult<()> {
    let url = format!("/api/incidents/{incident_id}/highlights/{seq}");
    send_empty(if on { Request::put(&url) } else { Request::delete(&url) }).await
}

pub async fn add_step(incident_id: &str, body: &checklists::AddStepRequest) -> ApiResult<()> {
    write_json(Request::post(&format!("/api/incidents/{incident_id}/checklist")), body).await
}

/// Ticks (`done`) or unticks a checklist step.
pub async fn tick_step(incident_id: &str, step_id: &str, done: bool) -> ApiResult<()> {
    let verb = if done { "tick" } else { "untick" };
    send_empty(Request::post(&format!("/api/incidents/{incident_id}/checklist/{step_id}/{verb}"))).await
}

pub async fn post_update(incident_id: &str, body: &status_updates::StatusUpdateRequest) -> ApiResult<()> {
    write_json(Request::post(&format!("/api/incidents/{incident_id}/updates")), body).await
}

pub async fn responder_suggestions(incident_id: &str) -> ApiResult<responders::ResponderSuggestions> {
    send(Request::get(&format!("/api/incidents/{incident_id}/responder-suggestions"))).await
}

pub async fn request_responders(incident_id: &str, body: &responders::RequestRespondersRequest) -> ApiResult<()> {
    write_json(Request::post(&format!("/api/incidents/{incident_id}/responders")), body).await
}

/// The signed-in person answers a request to help (`join` true) or declines it.
pub async fn answer_request(incident_id: &str, user_id: &str, join: bool) -> ApiResult<()> {
    let verb = if join { "join" } else { "decline" };
    write_json(Request::post(&format!("/api/incidents/{incident_id}/responders/{user_id}/{verb}")), &responders::ResponderAnswerRequest::default()).await
}

pub async fn add_link(incident_id: &str, body: &AddLinkRequest) -> ApiResult<()> {
    write_json(Request::post(&format!("/api/incidents/{incident_id}/links")), body).await
}

pub async fn remove_link(incident_id: &str, link_id: &str) -> ApiResult<()> {
    send_empty(Request::delete(&format!("/api/incidents/{incident_id}/links/{}", js_sys::encode_uri_component(link_id)))).await
}

pub async fn set_services(incident_id: &str, body: &SetServicesRequest) -> ApiResult<()> {
    write_json(Request::put(&format!("/api/incidents/{incident_id}/services")), body).await
}

/// Merges incident `incident_id` into `body.into` (this one is resolved, pointing there).
pub async fn merge(incident_id: &str, body: &MergeRequest) -> ApiResult<()> {
    write_json(Request::post(&format!("/api/incidents/{incident_id}/merge")), body).await
}

/// Something picked by name (a schedule): only what a picker needs of the answer.
#[derive(Clone, Debug, PartialEq, serde::Deserialize)]
pub struct Named {
    pub id: String,
    pub name: String,
}

#[derive(serde::Deserialize)]
struct NamedSchedules {
    schedules: Vec<Named>,
}

/// The schedules, by id and name.
pub async fn schedule_names() -> ApiResult<Vec<Named>> {
    send::<NamedSchedules>(Request::get("/api/schedules")).await.map(|l| l.schedules)
}

// ---- Readiness (issue 14, lane R) ----

pub async fn readiness() -> ApiResult<readiness::ReadinessReport> {
    send(Request::get("/api/readiness")).await
}

pub async fn checklist_template(service_id: &str) -> ApiResult<checklists::ChecklistTemplate> {
    send(Request::get(&format!("/api/services/{service_id}/checklist"))).await
}

pub async fn checklist_review(service_id: &str) -> ApiResult<readiness::ChecklistReview> {
    send(Request::get(&format!("/api/services/{service_id}/checklist/review"))).await
}

/// "Mark reviewed": the runbook checklist still holds, as of now.
pub async fn mark_checklist_reviewed(service_id: &str) -> ApiResult<readiness::ChecklistReview> {
    send_json(Request::post(&format!("/api/services/{service_id}/checklist/review")), &serde_json::json!({})).await
}

// ---- Action items and tickets (issue 14, lane A) ----

/// `GET /api/action-items` with the query already built (`?filter=mine&service=…`).
pub async fn action_items(query: &str) -> ApiResult<action_items::ActionItemList> {
    send(Request::get(&format!("/api/action-items{query}"))).await
}

pub async fn incident_action_items(incident_id: &str) -> ApiResult<action_items::ActionItemList> {
    send(Request::get(&format!("/api/incidents/{incident_id}/action-items"))).await
}

pub async fn create_action_item(incident_id: &str, body: &action_items::NewActionItem) -> ApiResult<action_items::ActionItem> {
    send_json(Request::post(&format!("/api/incidents/{incident_id}/action-items")), body).await
}

pub async fn patch_action_item(id: &str, body: &action_items::ActionItemPatch) -> ApiResult<action_items::ActionItem> {
    send_json(Request::patch(&format!("/api/action-items/{id}")), body).await
}

pub async fn send_to_tickets(id: &str, system: tocsin_domain::action_items::TicketSystem) -> ApiResult<action_items::ActionItem> {
    send_json(Request::post(&format!("/api/action-items/{id}/ticket")), &action_items::TicketRequest { system }).await
}

pub async fn team_list() -> ApiResult<teams::TeamList> {
    send(Request::get("/api/teams")).await
}

// ---- Postmortems (issue 14, lane P) ----

/// `None` when the incident has no postmortem yet (404).
pub async fn postmortem(incident_id: &str, all_rows: bool) -> ApiResult<Option<postmortems::Postmortem>> {
    let mut req = Request::get(&format!("/api/incidents/{incident_id}/postmortem"));
    if all_rows {
        req = req.query([("timeline", "all")]);
    }
    match send(req).await {
        Ok(p) => Ok(Some(p)),
        Err(e) if e.status == 404 && e.message.contains("postmortem") => Ok(None),
        Err(e) => Err(e),
    }
}

pub async fn create_postmortem(incident_id: &str) -> ApiResult<postmortems::Postmortem> {
    send_json(Request::post(&format!("/api/incidents/{incident_id}/postmortem")), &postmortems::CreatePostmortem::default()).await
}

/// A save whose 409 carries the newer text: `Ok(Err(newer))` then, never an overwrite.
async fn save_versioned<T: DeserializeOwned, C: DeserializeOwned, B: Serialize>(path: &str, body: &B) -> ApiResult<Result<T, C>> {
    let json = serde_json::to_string(body).map_err(|e| ApiError { status: 0, message: format!("Cannot encode the request: {e}"), field: None })?;
    let req = Request::put(path).header("Content-Type", "application/json").body(json).map_err(network)?;
    let resp = req.send().await.map_err(network)?;
    if resp.status() == 409 {
        let text = resp.text().await.unwrap_or_default();
        if let Ok(c) = tocsin_domain::json_maps::from_str::<C>(&text) {
            return Ok(Err(c));
        }
        let message = tocsin_domain::json_maps::from_str::<ErrorBody>(&text).map(|b| b.error.message).unwrap_or_else(|_| "Conflict.".into());
        return Err(ApiError { status: 409, message, field: None });
    }
    parse(answer(resp).await?).map(Ok)
}

pub async fn save_pm_section(incident_id: &str, key: &str, body: &postmortems::SaveSection) -> ApiResult<Result<postmortems::SectionSaved, postmortems::SectionConflict>> {
    save_versioned(&format!("/api/incidents/{incident_id}/postmortem/sections/{key}"), body).await
}

pub async fn save_pm_public(incident_id: &str, body: &postmortems::SavePublicText) -> ApiResult<Result<postmortems::PublicTextSaved, postmortems::PublicTextSaved>> {
    save_versioned(&format!("/api/incidents/{incident_id}/postmortem/public"), body).await
}

pub async fn pm_status(incident_id: &str, status: tocsin_domain::postmortem::PostmortemStatus) -> ApiResult<postmortems::Postmortem> {
    send_json(Request::post(&format!("/api/incidents/{incident_id}/postmortem/status")), &postmortems::ChangeStatus { status }).await
}

pub async fn pm_comment(incident_id: &str, body: &postmortems::NewComment) -> ApiResult<postmortems::CommentAnswer> {
    send_json(Request::post(&format!("/api/incidents/{incident_id}/postmortem/comments")), body).await
}

pub async fn pm_resolve_comment(incident_id: &str, comment_id: &str, resolved: bool) -> ApiResult<postmortems::CommentAnswer> {
    let verb = if resolved { "resolve" } else { "reopen" };
    send(Request::post(&format!("/api/incidents/{incident_id}/postmortem/comments/{comment_id}/{verb}"))).await
}

pub async fn pm_publish_public(incident_id: &str) -> ApiResult<postmortems::PublicPublished> {
    send(Request::post(&format!("/api/incidents/{incident_id}/postmortem/publish-public"))).await
}

// ---- Metrics and on-call load (issue 14, lane M) ----

/// `GET /api/metrics?from=&to=&group_by=` (`from`/`to` RFC 3339).
pub async fn metrics(from: &str, to: &str, group_by: &str) -> ApiResult<metrics::MetricsReport> {
    send(Request::get("/api/metrics").query([("from", from), ("to", to), ("group_by", group_by)])).await
}

/// `GET /api/metrics/oncall-load?from=&to=`.
pub async fn oncall_load(from: &str, to: &str) -> ApiResult<metrics::OnCallLoadReport> {
    send(Request::get("/api/metrics/oncall-load").query([("from", from), ("to", to)])).await
}
