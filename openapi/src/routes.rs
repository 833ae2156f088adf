//! The route table: one entry per `([...], Method) =>` arm of `handle` in
//! worker/src/http/mod.rs, with who may call it (as tests/tests/authz.rs expects), what it takes
//! and what it answers, in the domain's wire types. Adding a route is one line here, e.g.
//!
//! ```text
//! post("/api/things", Admin, "Create a thing").body::<ThingRequest>().ok::<Thing>(201),
//! ```
//!
//! Error answers (400/401/403/404/409/413/415/429/503 in the `Error` shape) are added from the
//! route's shape; name only the successes. `tests/tests/openapi.rs` fails while a route of
//! mod.rs is missing here or a path here is not a route.

use crate::Who::*;
use crate::{delete, get, patch, post, put, Content, JsonObject, Op};
use serde_json::json;
use tocsin_domain::api::ingest::{GenericAlertRequest, OpsgenieAnswer, PagerDutyAnswer, SnsAnswer, VendorPayload};
use tocsin_domain::api::oncall::*;
use tocsin_domain::api::services::{ServiceCreate, ServicePatch};
use tocsin_domain::api::status::*;
use tocsin_domain::api::*;
use tocsin_domain::audit::AuditPage;
use tocsin_domain::import::ImportAnswer;
use tocsin_domain::people::{Deactivated, PatchUserRequest, UserList};

const HTML: &str = "text/html";
const ATOM: &str = "application/atom+xml";
const RSS: &str = "application/rss+xml";
const ICS: &str = "text/calendar";

/// The Statuspage v2 documents served under `/api/v2/` (Statuspage's own names and shapes).
pub const STATUSPAGE_DOCUMENTS: [&str; 8] = [
    "summary.json",
    "status.json",
    "components.json",
    "incidents.json",
    "incidents/unresolved.json",
    "scheduled-maintenances.json",
    "scheduled-maintenances/upcoming.json",
    "scheduled-maintenances/active.json",
];

pub fn routes() -> Vec<Op> {
    let mut r = vec![
        // ---- Health, the public status page and its feeds ----
        get("/healthz", Anyone, "Health: a real D1 query").ok::<Health>(200).answer(503, "The database is not answering", Content::Json(|g| g.subschema_for::<Health>())),
        get("/", Anyone, "The app (or the status page, on the status page's own domain)").text(200, HTML),
        get("/pkg/{build}/{file}", Anyone, "The app's first-load modules (the main WebAssembly module, its JavaScript glue, the split loader, a screen's bundle), Zstandard-encoded for a browser that accepts `zstd`")
            .text(200, "application/wasm"),
        get("/status", Anyone, "The public status page (no JavaScript)").text(200, HTML).answer(304, "Not modified", Content::Empty),
        get("/status/history", Anyone, "Past public incidents, 20 a page")
            .query::<u32>("page", "1–25; others read as 1")
            .text(200, HTML)
            .answer(304, "Not modified", Content::Empty),
        get("/status/incidents/{id}", Anyone, "One public incident").text(200, HTML).answer(304, "Not modified", Content::Empty),
        get("/status/maintenance/{id}", Anyone, "One scheduled maintenance (while the page shows it)").text(200, HTML).answer(304, "Not modified", Content::Empty),
        get("/history.atom", Anyone, "Public incidents as Atom").text(200, ATOM).answer(304, "Not modified", Content::Empty),
        get("/history.rss", Anyone, "Public incidents as RSS").text(200, RSS).answer(304, "Not modified", Content::Empty),
        get("/api/openapi.json", Anyone, "This document").answer(200, "OpenAPI 3.1", Content::Json(|g| g.subschema_for::<JsonObject>())),
        // ---- Status page editing ----
        get("/api/status", Observer, "The status page as its editors see it").ok::<StatusAdmin>(200),
        put("/api/status/page", Admin, "Name, time zone and public address").body::<StatusPageRequest>().ok::<StatusAdmin>(200),
        post("/api/status/groups", Admin, "Add a component group").body::<GroupRequest>().ok::<GroupCreated>(201),
        post("/api/status/components", Admin, "Add a component").body::<ComponentRequest>().ok::<Named>(201).links(&["patch_api_status_components_id"], "id", "$response.body#/id"),
        patch("/api/status/components/{id}", Responder, "Set a component's status (responders) or edit it (admins)")
            .note("`status` alone: responders and admins; any other field: admins.")
            .body::<ComponentPatch>()
            .ok::<StatusAdmin>(200),
        post("/api/status/incidents", Responder, "Publish an incident")
            .body::<PublicIncidentRequest>()
            .ok::<Published>(201)
            .links(&["post_api_status_incidents_id_updates", "get_status_incidents_id"], "id", "$response.body#/id"),
        post("/api/status/incidents/{id}/updates", Responder, "Post an update to a public incident").body::<PublicIncidentUpdateRequest>().ok::<UpdatePosted>(201),
        post("/api/status/maintenances", Responder, "Schedule maintenance").body::<MaintenanceRequest>().ok::<UpdatePosted>(201).links(&["post_api_status_maintenances_id_updates"], "id", "$response.body#/id"),
        post("/api/status/maintenances/{id}/updates", Responder, "Post an update to maintenance").body::<MaintenanceUpdateRequest>().ok::<UpdatePosted>(201),
        patch("/api/status/updates/{id}", Responder, "Correct a published update's text (of a public incident or maintenance)")
            .note("The audit log keeps the replaced text; the page, its feeds and caches show the new one at once.")
            .body::<PublicUpdateEdit>()
            .ok::<PublicUpdateEdited>(200),
        // ---- First run, sessions, people, tokens ----
        get("/api/setup", Anyone, "Whether the first-run screen applies").ok::<SetupState>(200),
        post("/api/setup", Anyone, "First run: create the organisation and its admin, and log in")
            .note("Only while no user exists (409 after). Sets the session cookie.")
            .body::<SetupRequest>()
            .ok::<Me>(201),
        post("/api/auth/login", Anyone, "Log in (sets the session cookie)").body::<LoginRequest>().ok::<Me>(200),
        post("/api/auth/logout", Anyone, "End the session the request carries").no_content(),
        post("/api/auth/logout-everywhere", Observer, "End every session of the caller").no_content(),
        post("/api/invites/accept", Anyone, "Accept an invitation: set the password and log in").body::<AcceptInviteRequest>().ok::<Me>(200),
        get("/api/me", Observer, "Who the caller is, in which organisation, with which role").ok::<Me>(200),
        post("/api/users", Admin, "Add a person (with a password, or an invitation link)").body::<CreateUserRequest>().ok::<CreatedUser>(201),
        get("/api/users", Observer, "Everyone in the organisation").ok::<UserList>(200),
        patch("/api/users/{id}", Observer, "Edit a person: one's own name (anyone), others' name and role (admins)").body::<PatchUserRequest>().ok::<User>(200),
        post("/api/users/{id}/deactivate", Admin, "Deactivate a person: sessions and tokens end").ok::<Deactivated>(200),
        post("/api/users/me/password", Observer, "Change one's password; every other session ends").body::<ChangePasswordRequest>().no_content(),
        get("/api/audit", Admin, "The audit log, newest first, in cursor pages")
            .query::<String>("cursor", "From the previous page's `next_cursor`")
            .query::<u32>("limit", "Rows a page")
            .query::<String>("actor", "Only this actor's changes")
            .query::<String>("action", "Only this kind of change")
            .query::<String>("target", "Only changes to this id")
            .ok::<AuditPage>(200),
        post("/api/tokens", Observer, "Create an API token (secret shown once); never more than the creator's role; by a signed-in person (a token cannot create tokens: 403)")
            .body::<CreateTokenRequest>()
            .ok::<CreatedToken>(201)
            .links(&["delete_api_tokens_id"], "id", "$response.body#/id"),
        get("/api/tokens", Observer, "Live API tokens: one's own (admins: everyone's)").ok::<TokenList>(200),
        delete("/api/tokens/{id}", Observer, "Revoke a token (one's own; admins: any)").no_content(),
        post("/api/import/pagerduty", Admin, "Moving from PagerDuty: a plan from its REST API's JSON (dry run), or applied with ?apply=true")
            .query::<bool>("apply", "true applies the plan atomically; absent or false: dry run")
            .body::<VendorPayload>()
            .ok::<ImportAnswer>(200),
        post("/api/import/opsgenie", Admin, "Moving from Opsgenie: a plan from its REST API's JSON (dry run), or applied with ?apply=true")
            .query::<bool>("apply", "true applies the plan atomically; absent or false: dry run")
            .body::<VendorPayload>()
            .ok::<ImportAnswer>(200),
        // ---- Services ----
        get("/api/services", Observer, "Services (integration keys for admins only)").ok::<ServiceList>(200),
        post("/api/services", Admin, "Create a service")
            .body::<ServiceCreate>()
            .ok::<Service>(201)
            .links(&["get_api_services_id", "patch_api_services_id", "post_api_services_id_rotate_key", "get_api_services_id_integrations", "put_api_services_id_escalation_policy"], "id", "$response.body#/id")
            .links(&["post_webhooks_vendor_key"], "key", "$response.body#/integration_key"),
        get("/api/services/{id}", Observer, "One service").ok::<Service>(200),
        patch("/api/services/{id}", Admin, "Edit a service (absent fields are kept; null clears)").body::<ServicePatch>().ok::<Service>(200),
        post("/api/services/{id}/rotate-key", Admin, "Replace the integration key").ok::<Service>(200),
        get("/api/services/{id}/integrations", Observer, "Where each tool sends, how to configure it, and what arrived lately").ok::<ServiceIntegrations>(200),
        put("/api/services/{id}/escalation-policy", Admin, "Set or clear the service's escalation policy").body::<ServicePolicyRequest>().ok::<ServicePolicy>(200),
        // ---- Incidents ----
        get("/api/incidents", Observer, "Incidents, newest first, in cursor pages")
            .query::<String>("status", "Comma-separated: `open` or any of triggered, acknowledged, resolved")
            .query::<String>("service_id", "Only this service's")
            .query::<u32>("limit", "1–100")
            .query::<String>("cursor", "From the previous page's `next_cursor`")
            .ok::<IncidentList>(200),
        post("/api/incidents", Responder, "Declare an incident by hand")
            .body::<DeclareIncidentRequest>()
            .ok::<IncidentDetail>(201)
            .links(
                &["get_api_incidents_id", "post_api_incidents_id_acknowledge", "post_api_incidents_id_resolve", "post_api_incidents_id_escalate", "get_api_incidents_id_notifications", "get_api_incidents_id_timeline", "post_api_incidents_id_reassign", "post_api_incidents_id_notes"],
                "id",
                "$response.body#/incident/id",
            ),
        get("/api/incidents/{id}", Observer, "An incident with its alerts and timeline").ok::<IncidentDetail>(200),
        post("/api/incidents/{id}/acknowledge", Responder, "Acknowledge (idempotent)").ok::<IncidentDetail>(200),
        post("/api/incidents/{id}/resolve", Responder, "Resolve (idempotent)").ok::<IncidentDetail>(200),
        post("/api/incidents/{id}/escalate", Responder, "Run the next escalation level now").ok::<EscalationRun>(200),
        get("/api/incidents/{id}/notifications", Observer, "The escalation's position and the pages it decided").ok::<IncidentNotifications>(200),
        patch("/api/incidents/{id}", Responder, "Edit title, summary (Markdown) and severity (with a reason); each change is a timeline row")
            .body::<tocsin_domain::incident_edit::IncidentEdit>()
            .ok::<IncidentDetail>(200),
        get("/api/incidents/{id}/timeline", Observer, "The record's rows after the last one the caller saw, in order")
            .query::<u64>("after", "The last sequence number seen (0: from the start)")
            .query::<u32>("limit", "Rows at most (1–500)")
            .ok::<tocsin_domain::api::timeline::TimelinePage>(200),
        get("/api/incidents/live", Observer, "The incidents list, live: a WebSocket sending `{\"type\":\"incidents\",\"incidents\":[…]}` with each incident of the organisation that was opened or changed (status, severity, title, alerts); fetch `GET /api/incidents` whenever it opens; `{\"type\":\"ping\"}` gets a pong, other frames are ignored")
            .answer(101, "Switching Protocols (with `Upgrade: websocket`; without it: 400)", Content::Empty),
        get("/api/incidents/{id}/live", Observer, "The live record: a WebSocket sending `{\"type\":\"timeline\",\"entries\":[…],\"last_seq\":N,\"more\":false}` for every change; send `{\"after\":N}` to catch up")
            .query::<u64>("after", "The last sequence number seen (0: from the start)")
            .answer(101, "Switching Protocols (with `Upgrade: websocket`; without it: 400)", Content::Empty),
        post("/api/incidents/{id}/reassign", Responder, "Page a person, or run a policy from level 1").body::<ReassignRequest>().ok::<IncidentNotifications>(200),
        post("/api/incidents/{id}/notes", Responder, "Add a note (Markdown, at most 16 KB: over it 413 naming `body`) to the timeline").body::<NoteRequest>().ok::<TimelineEntry>(201),
        // ---- Responders and teams ----
        get("/api/incidents/{id}/responders", Observer, "Who was asked to help and their answers (requested, joined, declined, no_answer)")
            .ok::<tocsin_domain::api::responders::ResponderList>(200),
        post("/api/incidents/{id}/responders", Responder, "Ask people to help: `user_ids`, whoever is on call on `schedule_id` now, or the first level of `policy_id`; each person asked gets a `responder.requested` timeline row and a push with Join / Decline; someone already requested or joined is not asked again (listed in `already`); unknown ids: 400 naming the field; a deactivated person or an observer: 409")
            .body::<tocsin_domain::api::responders::RequestRespondersRequest>()
            .ok::<tocsin_domain::api::responders::RespondersRequested>(200),
        get("/api/incidents/{id}/responder-suggestions", Observer, "People for the expertise the incident's service declares: on call now first, then by matching tags, then name; never deactivated people or those already responding")
            .ok::<tocsin_domain::api::responders::ResponderSuggestions>(200),
        post("/api/incidents/{id}/responders/{uid}/join", Responder, "The person asked joins (`me` for oneself; from a notification: its action token in `token`, no session needed); the same answer again changes nothing")
            .body::<tocsin_domain::api::responders::ResponderAnswerRequest>()
            .ok::<tocsin_domain::api::responders::ResponderAnswered>(200),
        post("/api/incidents/{id}/responders/{uid}/decline", Responder, "The person asked declines (as for join)")
            .body::<tocsin_domain::api::responders::ResponderAnswerRequest>()
            .ok::<tocsin_domain::api::responders::ResponderAnswered>(200),
        get("/api/teams", Observer, "Teams with their members").ok::<tocsin_domain::api::teams::TeamList>(200),
        post("/api/teams", Admin, "Create a team (name unique in any case; audited)")
            .body::<tocsin_domain::api::teams::CreateTeamRequest>()
            .ok::<tocsin_domain::api::teams::Team>(201)
            .links(&["patch_api_teams_id", "delete_api_teams_id"], "id", "$response.body#/id"),
        patch("/api/teams/{id}", Admin, "Rename or describe a team (audited)").body::<tocsin_domain::api::teams::PatchTeamRequest>().ok::<tocsin_domain::api::teams::Team>(200),
        delete("/api/teams/{id}", Admin, "Delete a team: its memberships end and what it owned (services, schedules, policies) belongs to no team (audited)").no_content(),
        // ---- Command: roles, links, affected services, merge, highlights ----
        get("/api/incident-roles", Observer, "Incident roles: the built-in ones (commander, communications, scribe), then the organisation's").ok::<IncidentRoleList>(200),
        post("/api/incident-roles", Admin, "Define an incident role (name unique in any case; audited)")
            .body::<CreateIncidentRole>()
            .ok::<IncidentRole>(201)
            .links(&["delete_api_incident_roles_id"], "id", "$response.body#/id"),
        delete("/api/incident-roles/{id}", Admin, "Delete an organisation-defined role and its holdings (built-in roles: 409; audited)").no_content(),
        put("/api/incidents/{id}/roles/{role}", Responder, "Give a role to a person (a hand-over when someone holds it: timeline row `role.assigned`); the same person again changes nothing; a deactivated person: 409")
            .body::<AssignRoleRequest>()
            .ok::<IncidentDetail>(200),
        delete("/api/incidents/{id}/roles/{role}", Responder, "Leave a role empty (`role.unassigned`); an empty role stays as it is")
            .ok::<IncidentDetail>(200)
            .answer(400, "No such role (`field`: `role`)", Content::Json(crate::schema_of::<ErrorBody>)),
        post("/api/incidents/{id}/links", Responder, "Add a link (chat, video, ticket, other; http(s) only; `link.added`); 200 and no change when the incident already links that URL")
            .body::<AddLinkRequest>()
            .ok::<IncidentDetail>(201)
            .ok::<IncidentDetail>(200),
        delete("/api/incidents/{id}/links/{link}", Responder, "Remove a link (`link.removed`)").ok::<IncidentDetail>(200),
        put("/api/incidents/{id}/services", Responder, "Set the affected services (the incident's own service always stays, first; `services.changed`)")
            .body::<SetServicesRequest>()
            .ok::<IncidentDetail>(200),
        post("/api/incidents/{id}/merge", Responder, "Merge into another open incident: alerts move, the record is copied onto the end of the target's (`From #N: …`), `incident.merged` on both, this one resolves pointing at the target; answers with the target")
            .body::<MergeRequest>()
            .ok::<IncidentDetail>(200),
        put("/api/incidents/{id}/highlights/{seq}", Responder, "Mark a timeline row as a highlight (`highlight.added`; again: no change)").ok::<IncidentDetail>(200),
        delete("/api/incidents/{id}/highlights/{seq}", Responder, "Unmark a highlight (`highlight.removed`; not marked: no change)").ok::<IncidentDetail>(200),
        // ---- Runbook checklists and status updates ----
        get("/api/services/{id}/checklist", Observer, "A service's runbook checklist template (ordered Markdown steps)").ok::<tocsin_domain::api::checklists::ChecklistTemplate>(200),
        put("/api/services/{id}/checklist", Admin, "Replace the template (at most 50 steps of 1–2000 characters); incidents opened afterwards get a copy, running ones keep theirs")
            .body::<tocsin_domain::api::checklists::ChecklistTemplate>()
            .ok::<tocsin_domain::api::checklists::ChecklistTemplate>(200),
        // ---- Metrics (issue 14) ----
        get("/api/metrics", Observer, "MTTD, MTTA, MTTR and MTBF (count, mean, p50, p90 in seconds) of the incidents opened in [from, to), per service, team, severity, week or month (weeks and months in the organisation's time zone), with the total; noise and merged incidents left out and counted apart (definitions: README \"Metrics\")")
            .query::<String>("from", "RFC 3339 time or date (default: 30 days before `to`)")
            .query::<String>("to", "RFC 3339 time or date (default: now); at most 400 days after `from`")
            .query::<String>("group_by", "service, team, severity, week (default) or month")
            .query::<String>("tz", "IANA time zone for weeks and months (default: the organisation's)")
            .ok::<tocsin_domain::api::metrics::MetricsReport>(200),
        get("/api/metrics.csv", Observer, "The same query as CSV (RFC 4180): a header row, one row per group, then the total; durations in seconds")
            .query::<String>("from", "As for /api/metrics")
            .query::<String>("to", "As for /api/metrics")
            .query::<String>("group_by", "As for /api/metrics")
            .query::<String>("tz", "As for /api/metrics")
            .text(200, "text/csv"),
        get("/api/metrics/oncall-load", Observer, "Per person over [from, to): pages received, those outside 09:00–18:00 Monday–Friday in the organisation's time zone, and hours on call by the schedules; busiest first")
            .query::<String>("from", "As for /api/metrics")
            .query::<String>("to", "As for /api/metrics")
            .query::<String>("tz", "As for /api/metrics")
            .ok::<tocsin_domain::api::metrics::OnCallLoadReport>(200),
        // ---- Readiness ----
        get("/api/readiness", Observer, "What the next incident will trip over: services without a policy, schedule gaps in the next 14 days, people on call who cannot be reached, stale runbook checklists, overdue action items, quiet integrations — each with its subject and the app page where it is fixed; blocking first; counts by kind").ok::<tocsin_domain::api::readiness::ReadinessReport>(200),
        get("/api/services/{id}/checklist/review", Observer, "When the service's runbook checklist was last reviewed (saved or marked reviewed), and by whom").ok::<tocsin_domain::api::readiness::ChecklistReview>(200),
        post("/api/services/{id}/checklist/review", Admin, "Mark the runbook checklist reviewed now (audited `service.checklist_reviewed`)").ok::<tocsin_domain::api::readiness::ChecklistReview>(200),
        get("/api/incidents/{id}/checklist", Observer, "The incident's own checklist, in order").ok::<tocsin_domain::api::checklists::IncidentChecklist>(200),
        post("/api/incidents/{id}/checklist", Responder, "Add an ad hoc step at the end (timeline row `checklist.added`)")
            .body::<tocsin_domain::api::checklists::AddStepRequest>()
            .ok::<tocsin_domain::api::checklists::ChecklistStep>(201),
        post("/api/incidents/{id}/checklist/{step}/tick", Responder, "Tick a step: who and when (`checklist.ticked`); ticking a ticked step changes nothing").ok::<tocsin_domain::api::checklists::ChecklistStep>(200),
        post("/api/incidents/{id}/checklist/{step}/untick", Responder, "Untick a step (`checklist.unticked`); an open step stays as it is").ok::<tocsin_domain::api::checklists::ChecklistStep>(200),
        get("/api/incidents/{id}/updates", Observer, "Structured status updates, newest first").ok::<tocsin_domain::api::status_updates::StatusUpdateList>(200),
        post("/api/incidents/{id}/updates", Responder, "Post a status update (webhook event `incident.status_update`; `publish` also posts it to the linked public status page incident, created on first publish). `resolved` does not resolve the incident itself. A promised next update that passes reminds the communications lead (else the poster) once by push")
            .body::<tocsin_domain::api::status_updates::StatusUpdateRequest>()
            .ok::<tocsin_domain::api::status_updates::StatusUpdate>(201),
        // ---- Postmortems (issue 14) ----
        get("/api/incidents/{id}/postmortem", Observer, "The postmortem covering the incident: sections, hints, review comments, and the record's key times and highlights in the organisation's time zone with T+ times")
            .query::<String>("timeline", "`all` adds every other row of the record (`timeline.rest`)")
            .ok::<tocsin_domain::api::postmortems::Postmortem>(200),
        post("/api/incidents/{id}/postmortem", Responder, "Start the postmortem (running or resolved incident) from the organisation's template, else the built-in blameless one, filled from the record; `related_incident_ids` groups related incidents; timeline row `postmortem.created`; 409 when one exists")
            .body::<tocsin_domain::api::postmortems::CreatePostmortem>()
            .ok::<tocsin_domain::api::postmortems::Postmortem>(201),
        put("/api/incidents/{id}/postmortem/sections/{key}", Responder, "Save a section (autosave) with the version it was based on; the answer carries the blameless hints. A stale version: 409 with the newer text, nothing written")
            .body::<tocsin_domain::api::postmortems::SaveSection>()
            .ok::<tocsin_domain::api::postmortems::SectionSaved>(200)
            .answer(409, "Someone saved the section since `version` (the answer has their text), or the postmortem is published", Content::Json(|g| g.subschema_for::<tocsin_domain::api::postmortems::SectionConflict>())),
        put("/api/incidents/{id}/postmortem/public", Responder, "Save the customer-facing text with its `public_version`; a stale one: 409 with the newer text")
            .body::<tocsin_domain::api::postmortems::SavePublicText>()
            .ok::<tocsin_domain::api::postmortems::PublicTextSaved>(200)
            .answer(409, "Someone saved it since `version` (the answer has their text), or the postmortem is published", Content::Json(|g| g.subschema_for::<tocsin_domain::api::postmortems::PublicTextSaved>())),
        post("/api/incidents/{id}/postmortem/status", Responder, "draft → in_review → published (back to draft from review; reopen a published one); publishing and reopening: admins and the incident commander; timeline rows `postmortem.*`")
            .body::<tocsin_domain::api::postmortems::ChangeStatus>()
            .ok::<tocsin_domain::api::postmortems::Postmortem>(200),
        post("/api/incidents/{id}/postmortem/comments", Responder, "A review comment on a section").body::<tocsin_domain::api::postmortems::NewComment>().ok::<tocsin_domain::api::postmortems::CommentAnswer>(201),
        post("/api/incidents/{id}/postmortem/comments/{comment}/resolve", Responder, "Mark a comment resolved").ok::<tocsin_domain::api::postmortems::CommentAnswer>(200),
        post("/api/incidents/{id}/postmortem/comments/{comment}/reopen", Responder, "Open a resolved comment again").ok::<tocsin_domain::api::postmortems::CommentAnswer>(200),
        post("/api/incidents/{id}/postmortem/publish-public", Admin, "Publish the customer-facing text on the status page: the public incident gets status `postmortem` and `postmortem_body` in the Statuspage JSON, the incident page and the feeds")
            .note("Admins, and the incident's commander (a responder). Needs a published postmortem, a customer-facing text, resolved incidents and a public incident (409 otherwise).")
            .ok::<tocsin_domain::api::postmortems::PublicPublished>(200),
        get("/api/incidents/{id}/postmortem.md", Observer, "The postmortem as Markdown (`?timeline=all` appends the full record)")
            .query::<String>("timeline", "`all` appends the full record")
            .text(200, "text/markdown"),
        get("/api/incidents/{id}/postmortem.html", Observer, "The postmortem as a print-ready HTML page (no scripts, everything escaped)")
            .query::<String>("timeline", "`all` appends the full record")
            .text(200, HTML),
        get("/api/postmortem-template", Observer, "The template new postmortems start from (the organisation's, else the built-in blameless one)").ok::<tocsin_domain::postmortem::template::Template>(200),
        put("/api/postmortem-template", Admin, "Store the organisation's template (audited `postmortem_template.updated`)")
            .body::<tocsin_domain::postmortem::template::Template>()
            .ok::<tocsin_domain::postmortem::template::Template>(200),
        // ---- On call ----
        post("/api/schedules", Admin, "Create a schedule")
            .body::<ScheduleRequest>()
            .ok::<Named>(201)
            .links(&["put_api_schedules_id", "post_api_schedules_id_overrides", "get_api_schedules_id_timeline", "post_api_schedules_id_calendar_feed", "delete_api_schedules_id"], "id", "$response.body#/id"),
        get("/api/schedules", Observer, "Schedules").ok::<ScheduleList>(200),
        put("/api/schedules/{id}", Admin, "Replace a schedule's name, time zone and layers").body::<ScheduleRequest>().ok::<Named>(200),
        delete("/api/schedules/{id}", Admin, "Delete a schedule").no_content(),
        post("/api/schedules/{id}/overrides", Responder, "Cover a span (responders: themselves; admins: anyone)").body::<OverrideRequest>().ok::<OverrideCreated>(201),
        delete("/api/schedules/{sid}/overrides/{id}", Responder, "Remove an override (one's own; admins: any)").no_content(),
        get("/api/schedules/{id}/timeline", Observer, "Each layer's turns and the final rota")
            .query::<u32>("days", "1–60 (default 14)")
            .ok::<ScheduleTimeline>(200),
        post("/api/schedules/{id}/calendar-feed", Observer, "A calendar subscription for a schedule (token shown once); by a person signed in (an API token gets 403)").ok::<CalendarFeed>(201),
        post("/api/users/me/calendar-feed", Observer, "A calendar subscription for one's own shifts (token shown once); by a person signed in (an API token gets 403)").ok::<CalendarFeed>(201),
        get("/api/calendar-feeds", Observer, "Live calendar feeds one may revoke: those one made and one's own (admins: all); never their links").ok::<CalendarFeedList>(200),
        delete("/api/calendar-feeds/{id}", Observer, "Revoke a calendar feed (its maker, the person it is for, or an admin)").no_content(),
        get("/api/schedules/{id}/calendar.ics", Anyone, "A schedule's shifts as iCalendar (the feed's token is the credential)")
            .query::<String>("token", "The feed's token, from its URL")
            .text(200, ICS),
        get("/api/users/{id}/oncall.ics", Anyone, "A person's shifts as iCalendar (the feed's token is the credential)")
            .query::<String>("token", "The feed's token, from its URL")
            .text(200, ICS),
        get("/api/oncall", Observer, "Who is on call in every schedule")
            .query::<String>("at", "RFC 3339 time (default now)")
            .ok::<OnCallNow>(200),
        post("/api/escalation-policies", Admin, "Create an escalation policy")
            .body::<PolicyRequest>()
            .ok::<Named>(201)
            .links(&["put_api_escalation_policies_id", "delete_api_escalation_policies_id"], "id", "$response.body#/id"),
        get("/api/escalation-policies", Observer, "Escalation policies").ok::<PolicyList>(200),
        put("/api/escalation-policies/{id}", Admin, "Replace a policy (running escalations keep theirs)").body::<PolicyRequest>().ok::<Named>(200),
        delete("/api/escalation-policies/{id}", Admin, "Delete a policy").no_content(),
        // ---- Paging ----
        get("/api/push/vapid-public-key", Observer, "The VAPID public key for pushManager.subscribe").ok::<VapidPublicKey>(200),
        get("/api/push/subscriptions", Observer, "One's own push devices").ok::<PushDeviceList>(200),
        post("/api/push/subscriptions", Observer, "Register a push device (200 when it was known); by a person signed in (an API token gets 403)").body::<PushSubscriptionRequest>()
            .ok::<PushDevice>(201)
            .ok::<PushDevice>(200)
            .links(&["post_api_push_subscriptions_id_test", "delete_api_push_subscriptions_id"], "id", "$response.body#/id"),
        delete("/api/push/subscriptions/{id}", Observer, "Remove one's own device").no_content(),
        post("/api/push/subscriptions/{id}/test", Observer, "Send a test page to one's own device").ok::<TestQueued>(202),
        get("/api/push/deliveries", Observer, "One's own recent push deliveries").ok::<DeliveryLog>(200),
        post("/api/actions/acknowledge", Anyone, "Acknowledge from a notification (its action token is the credential)")
            .note("403 when the token's person may not acknowledge (an observer); 401 for a forged or expired token.")
            .body::<ActionRequest>()
            .ok::<ActionDone>(200),
        get("/api/users/me/contact-preferences", Observer, "How one is paged").ok::<ContactPreferences>(200),
        put("/api/users/me/contact-preferences", Observer, "Set how one is paged (a new generic webhook's signing secret is shown once); a new webhook address only by a person signed in (an API token gets 403)")
            .body::<ContactPreferences>()
            .ok::<ContactPreferences>(200),
        get("/api/webhook-destinations", Admin, "Chat and webhook destinations").ok::<DestinationList>(200),
        post("/api/webhook-destinations", Admin, "Add a destination (a generic one's signing secret is shown once)")
            .body::<DestinationRequest>()
            .ok::<CreatedDestination>(201)
            .links(
                &["put_api_webhook_destinations_id", "post_api_webhook_destinations_id_test", "get_api_webhook_destinations_id_deliveries", "delete_api_webhook_destinations_id"],
                "id",
                "$response.body#/destination/id",
            ),
        put("/api/webhook-destinations/{id}", Admin, "Replace a destination (absent url keeps the stored one)").body::<DestinationRequest>().ok::<CreatedDestination>(200),
        delete("/api/webhook-destinations/{id}", Admin, "Delete a destination").no_content(),
        post("/api/webhook-destinations/{id}/test", Admin, "Send a test message").ok::<TestQueued>(202),
        get("/api/webhook-destinations/{id}/deliveries", Admin, "A destination's recent deliveries").ok::<DeliveryLog>(200),
        post("/api/admin/reseal", Admin, "Re-seal a batch of stored secrets under the current TOCSIN_SECRET_KEY (after a rotation); repeat until remaining is 0")
            .ok::<tocsin_domain::api::secrets::ResealReport>(200),
        get("/api/admin/runtime", Admin, "Figures about the isolate that answered (its wasm linear memory), for the benches").ok::<tocsin_domain::api::runtime::RuntimeFigures>(200),
        // ---- Action items and ticket systems (issue 14) ----
        get("/api/action-items", Observer, "The organisation's action items: open first (soonest due first), then done")
            .note("Query: `filter` = `all` (default) | `mine` (the caller's) | `overdue` (open and past the end of the due day); `status` = `open` | `done`; `service` (id); `team` (id: the item's service is the team's, or its owner is a member).")
            .ok::<tocsin_domain::api::action_items::ActionItemList>(200),
        post("/api/action-items", Responder, "Create an action item on its own (or naming an incident with `incident_id`); a timeline row `action_item.created` on the incident")
            .body::<tocsin_domain::api::action_items::NewActionItem>()
            .ok::<tocsin_domain::api::action_items::ActionItem>(201),
        get("/api/action-items/{id}", Observer, "One action item").ok::<tocsin_domain::api::action_items::ActionItem>(200),
        patch("/api/action-items/{id}", Responder, "Edit title, owner, due date, priority, kind, service; `status` done/open records who and when (timeline row on the incident); a concurrent edit → 409")
            .body::<tocsin_domain::api::action_items::ActionItemPatch>()
            .ok::<tocsin_domain::api::action_items::ActionItem>(200),
        post("/api/action-items/{id}/ticket", Responder, "Open a Jira issue or GitHub issue for the item and store its key and URL; once only")
            .body::<tocsin_domain::api::action_items::TicketRequest>()
            .ok::<tocsin_domain::api::action_items::ActionItem>(201)
            .answer(200, "The item already has a ticket: the stored one (no second ticket is opened)", Content::Json(|g| g.subschema_for::<tocsin_domain::api::action_items::ActionItem>()))
            .answer(502, "The ticket system refused or did not answer: the message names the vendor and its HTTP status; nothing is stored", Content::Json(|g| g.subschema_for::<ErrorBody>())),
        get("/api/incidents/{id}/action-items", Observer, "An incident's action items").ok::<tocsin_domain::api::action_items::ActionItemList>(200),
        post("/api/incidents/{id}/action-items", Responder, "Create an action item on the incident (optionally in its postmortem: `postmortem_id`); service defaults to the incident's")
            .body::<tocsin_domain::api::action_items::NewActionItem>()
            .ok::<tocsin_domain::api::action_items::ActionItem>(201),
        get("/api/ticketing", Admin, "The organisation's ticket systems (never their tokens or webhook secrets)").ok::<tocsin_domain::api::action_items::TicketingList>(200),
        put("/api/ticketing/{system}", Admin, "Configure Jira or GitHub (token and webhook secret sealed at rest; a generated webhook secret is shown once)")
            .path_enum("system", &["jira", "github"])
            .body::<tocsin_domain::api::action_items::TicketingConfigRequest>()
            .ok::<tocsin_domain::api::action_items::SavedTicketing>(200),
        delete("/api/ticketing/{system}", Admin, "Remove a ticket system (items keep their ticket links)").path_enum("system", &["jira", "github"]).no_content(),
        post("/hooks/jira/{id}", Anyone, "Jira's `jira:issue_updated` webhook: an issue whose status category is done closes its action item")
            .note("`id` is the configuration's id (`webhook_path` of `GET /api/ticketing`). Authenticated by `X-Hub-Signature: sha256=<HMAC-SHA256 of the raw body under the webhook secret>` (Jira Cloud admin webhooks with a secret); a missing or wrong signature → 401 and nothing changes.")
            .security(json!([]))
            .answer(200, "The item was closed", Content::Json(|g| g.subschema_for::<tocsin_domain::api::action_items::HookOutcome>()))
            .answer(202, "Nothing to do: another event, a ticket not done, an unknown ticket, or an item already done", Content::Json(|g| g.subschema_for::<tocsin_domain::api::action_items::HookOutcome>())),
        post("/hooks/github/{id}", Anyone, "GitHub's `issues` webhook: action `closed` closes the issue's action item")
            .note("`id` is the configuration's id. Authenticated by `X-Hub-Signature-256: sha256=<HMAC-SHA256 of the raw body under the webhook secret>`; a missing or wrong signature → 401 and nothing changes. `X-GitHub-Event` other than `issues` (e.g. `ping`) is accepted and ignored.")
            .security(json!([]))
            .answer(200, "The item was closed", Content::Json(|g| g.subschema_for::<tocsin_domain::api::action_items::HookOutcome>()))
            .answer(202, "Nothing to do: another event or action, an unknown ticket, or an item already done", Content::Json(|g| g.subschema_for::<tocsin_domain::api::action_items::HookOutcome>())),
        // ---- Alert ingestion ----
        post("/webhooks/{vendor}/{key}", Integration, "An alert webhook from a monitoring tool")
            .note("`key` is the service's integration key. `generic` takes `GenericAlertRequest`; the others take the vendor's own payload. A webhook secret, when set, is proven per vendor (see the README).")
            .path_enum("vendor", &["generic", "alertmanager", "grafana", "datadog", "cloudwatch", "sentry"])
            .security(json!([]))
            .answer(
                202,
                "Accepted: one answer per alert (generic, Datadog, Sentry: the alert's own when there is one)",
                Content::JsonOneOf(vec![|g| g.subschema_for::<AlertAccepted>(), |g| g.subschema_for::<AlertsAccepted>()]),
            )
            .answer(200, "Amazon SNS subscription handled", Content::Json(|g| g.subschema_for::<SnsAnswer>())),
        post("/v2/enqueue", Integration, "PagerDuty Events API v2: an alert event (routing_key = integration key)")
            .security(json!([]))
            .errors_as::<PagerDutyAnswer>()
            .answer(202, "Accepted", Content::Json(|g| g.subschema_for::<PagerDutyAnswer>()))
            .answer(400, "Invalid event (PagerDuty's shape)", Content::Json(|g| g.subschema_for::<PagerDutyAnswer>())),
        post("/v2/change/enqueue", Integration, "PagerDuty Events API v2: a change event")
            .security(json!([]))
            .errors_as::<PagerDutyAnswer>()
            .answer(202, "Accepted", Content::Json(|g| g.subschema_for::<PagerDutyAnswer>()))
            .answer(400, "Invalid event (PagerDuty's shape)", Content::Json(|g| g.subschema_for::<PagerDutyAnswer>())),
        post("/v2/alerts", Integration, "Opsgenie Alert API: create an alert")
            .security(json!([{"genieKey": []}]))
            .errors_as::<OpsgenieAnswer>()
            .answer(202, "Request will be processed", Content::Json(|g| g.subschema_for::<OpsgenieAnswer>()))
            .answer(422, "Not processable (Opsgenie's shape)", Content::Json(|g| g.subschema_for::<OpsgenieAnswer>())),
        get("/v2/alerts/requests/{id}", Integration, "Opsgenie Alert API: what became of a request")
            .security(json!([{"genieKey": []}]))
            .errors_as::<OpsgenieAnswer>()
            .answer(200, "The request's outcome", Content::Json(|g| g.subschema_for::<OpsgenieAnswer>())),
        post("/v2/alerts/{id}/close", Integration, "Opsgenie Alert API: close an alert")
            .security(json!([{"genieKey": []}]))
            .errors_as::<OpsgenieAnswer>()
            .query::<String>("identifierType", "id (default) or alias")
            .answer(202, "Request will be processed", Content::Json(|g| g.subschema_for::<OpsgenieAnswer>()))
            .answer(422, "Not processable (Opsgenie's shape)", Content::Json(|g| g.subschema_for::<OpsgenieAnswer>())),
        post("/v2/alerts/{id}/acknowledge", Integration, "Opsgenie Alert API: acknowledge an alert")
            .security(json!([{"genieKey": []}]))
            .errors_as::<OpsgenieAnswer>()
            .query::<String>("identifierType", "id (default) or alias")
            .answer(202, "Request will be processed", Content::Json(|g| g.subschema_for::<OpsgenieAnswer>()))
            .answer(422, "Not processable (Opsgenie's shape)", Content::Json(|g| g.subschema_for::<OpsgenieAnswer>())),
    ];
    // Request bodies of the ingestion routes: Tocsin's own, or the vendor's documented payload.
    for o in r.iter_mut() {
        match o.path {
            "/webhooks/{vendor}/{key}" => o.body = Some(Content::JsonOneOf(vec![|g| g.subschema_for::<GenericAlertRequest>(), |g| g.subschema_for::<VendorPayload>()])),
            "/v2/enqueue" | "/v2/change/enqueue" | "/v2/alerts" => o.body = Some(Content::Json(|g| g.subschema_for::<VendorPayload>())),
            _ => {}
        }
    }
    // The Statuspage v2 documents (one route of mod.rs, `/api/v2/{doc..}`).
    for doc in STATUSPAGE_DOCUMENTS {
        let path: &'static str = Box::leak(format!("/api/v2/{doc}").into_boxed_str());
        r.push(
            get(path, Anyone, "Statuspage v2 document (Statuspage's own shape; CORS open)")
                .answer(200, "The document", Content::Json(|g| g.subschema_for::<JsonObject>()))
                .answer(304, "Not modified", Content::Empty),
        );
    }
    r
}
