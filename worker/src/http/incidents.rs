//! Incidents: list (newest first, cursor pages), read with alerts and timeline, declare by hand,
//! acknowledge and resolve.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use tocsin_domain::api::{DeclareIncidentRequest, IncidentDetail, IncidentList, NoteRequest};
use tocsin_domain::auth::Permission;
use tocsin_domain::incident::{apply, IncidentAction, IncidentStatus, Transition};
use worker::Response;

use super::auth::line;
use super::{json, views, Cx};
use crate::crypto::new_id;
use crate::db::{IncidentQuery, NewIncident, NewTimeline, UserRow};
use crate::error::{ApiError, ApiResult};
use tocsin_domain::validation::FieldError;

const DEFAULT_LIMIT: i64 = 25;
const MAX_LIMIT: i64 = 100;

fn encode_cursor(created_at: i64, id: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{created_at}:{id}"))
}

fn decode_cursor(c: &str) -> ApiResult<(i64, String)> {
    let bad = || ApiError::field("cursor", "is not a cursor this API returned");
    let raw = String::from_utf8(URL_SAFE_NO_PAD.decode(c).map_err(|_| bad())?).map_err(|_| bad())?;
    let (at, id) = raw.split_once(':').ok_or_else(bad)?;
    Ok((at.parse().map_err(|_| bad())?, id.to_string()))
}

/// `status=triggered,acknowledged` (or `open`); empty means all.
fn statuses(raw: Option<String>) -> ApiResult<Vec<&'static str>> {
    let mut out = Vec::new();
    for part in raw.iter().flat_map(|r| r.split(',')).map(str::trim).filter(|p| !p.is_empty()) {
        if part == "open" {
            out.extend(IncidentStatus::ALL.iter().filter(|s| s.is_open()).map(|s| s.as_str()));
        } else {
            out.push(part.parse::<IncidentStatus>()?.as_str());
        }
    }
    out.dedup();
    Ok(out)
}

pub async fn list(cx: &Cx) -> ApiResult<Response> {
    let caller = cx.caller().await?;
    let limit = match cx.query("limit") {
        None => DEFAULT_LIMIT,
        Some(l) => l
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=MAX_LIMIT).contains(n))
            .ok_or_else(|| ApiError::field("limit", format!("must be a whole number from 1 to {MAX_LIMIT}")))?,
    };
    let cursor = cx.query("cursor").filter(|c| !c.is_empty()).map(|c| decode_cursor(&c)).transpose()?;
    let service_id = cx.query("service_id").filter(|s| !s.is_empty());
    let q = IncidentQuery {
        statuses: statuses(cx.query("status"))?,
        service_id: service_id.as_deref(),
        before: cursor.as_ref().map(|(at, id)| (*at, id.as_str())),
        limit: limit + 1,
    };
    let mut rows = cx.db.incidents(caller.org_id(), &q).await?;
    let next_cursor = if rows.len() as i64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|r| encode_cursor(r.created_at, &r.id))
    } else {
        None
    };
    let incidents = rows.iter().map(views::incident).collect::<ApiResult<_>>()?;
    json(200, &IncidentList { incidents, next_cursor })
}

pub async fn get(cx: &Cx, id: &str) -> ApiResult<Response> {
    let caller = cx.caller().await?;
    json(200, &detail(cx, caller.org_id(), id).await?)
}

/// `PATCH /api/incidents/{id}` (responders): title, summary, severity with a reason, noise; each change
/// is a timeline row written in the same batch (and so reaches the live record).
pub async fn edit(cx: &mut Cx, id: &str) -> ApiResult<Response> {
    use tocsin_domain::incident_edit::{self, Editable, IncidentEdit};
    let caller = cx.caller().await?;
    caller.require(Permission::Respond)?;
    let r: IncidentEdit = cx.json().await?;
    let row = cx.db.incident(caller.org_id(), id).await?.ok_or(ApiError::NotFound("incident"))?;
    let now_state = Editable { title: row.title.clone(), summary: row.summary.clone(), severity: row.severity.parse()?, noise: row.noise != 0 };
    let (next, changes) = incident_edit::edit(&now_state, &r).map_err(|(field, msg)| ApiError::field(field, msg))?;
    if !changes.is_empty() {
        let actor = views::actor_json(&views::user_actor(&caller.user));
        let texts: Vec<(String, String)> = changes.iter().map(|c| (new_id(cx.now), c.message(&caller.user.name))).collect();
        let rows: Vec<NewTimeline> = changes.iter().zip(&texts).map(|(c, (tid, m))| NewTimeline { id: tid, kind: c.kind(), actor: &actor, message: m }).collect();
        if !cx.db.edit_incident(caller.org_id(), id, &next.title, &next.summary, next.severity.as_str(), next.noise, &rows, cx.now).await? {
            return Err(ApiError::NotFound("incident"));
        }
    }
    json(200, &detail(cx, caller.org_id(), id).await?)
}

/// `GET /api/incidents/{id}/timeline?after=N&limit=M`: the record's rows after the last one
/// the caller saw (a reconnecting client gets exactly what it missed: no gaps, no doubles).
pub async fn timeline(cx: &Cx, id: &str) -> ApiResult<Response> {
    let caller = cx.caller().await?;
    let (after, limit) = tocsin_domain::api::timeline::timeline_query(cx.query("after").as_deref(), cx.query("limit").as_deref())
        .map_err(|(field, msg)| ApiError::field(field, msg))?;
    cx.db.incident(caller.org_id(), id).await?.ok_or(ApiError::NotFound("incident"))?;
    let (rows, last_seq) = cx.db.timeline_after(caller.org_id(), id, after, limit).await?;
    let more = rows.last().is_some_and(|r| r.seq.unwrap_or_default() < last_seq);
    json(200, &tocsin_domain::api::timeline::TimelinePage { entries: rows.iter().map(views::timeline).collect(), last_seq, more })
}

/// A handshake from a page of another origin is refused (403) before anything is read: the
/// session cookie would go with it (`web_security::check_socket`).
fn same_origin_socket(cx: &Cx) -> ApiResult<()> {
    let bearer = crate::auth::bearer(&cx.req).is_some_and(|t| !t.is_empty());
    tocsin_domain::web_security::check_socket(bearer, cx.header("Origin").as_deref(), &cx.origin())
        .map_err(|_| ApiError::Forbidden("cross-site WebSocket refused (Origin is not this site)"))
}

/// `GET /api/incidents/{id}/live` (WebSocket): the live record, served by the incident's
/// Durable Object (`crate::live`). Who may watch is checked here, before the upgrade: anyone
/// of the organisation (observers too); 401/404 otherwise. `?after=N`: the last row seen.
pub async fn live(cx: &Cx, id: &str) -> ApiResult<Response> {
    let caller = cx.caller().await?;
    same_origin_socket(cx)?;
    let (after, _) = tocsin_domain::api::timeline::timeline_query(cx.query("after").as_deref(), None).map_err(|(field, msg)| ApiError::field(field, msg))?;
    cx.db.incident(caller.org_id(), id).await?.ok_or(ApiError::NotFound("incident"))?;
    if !cx.header("Upgrade").is_some_and(|u| u.eq_ignore_ascii_case("websocket")) {
        return Err(ApiError::field("Upgrade", "this is a WebSocket: connect with Upgrade: websocket (or read GET /api/incidents/{id}/timeline?after=N)"));
    }
    Ok(crate::live::connect(&cx.env, caller.org_id(), id, after, &caller.credential).await?)
}

/// `GET /api/incidents/live` (WebSocket): the incidents list, live, served by the organisation's
/// Durable Object (`crate::live_list`). Anyone of the organisation may watch (observers too);
/// 401 before the upgrade otherwise.
pub async fn live_list(cx: &Cx) -> ApiResult<Response> {
    let caller = cx.caller().await?;
    same_origin_socket(cx)?;
    if !cx.header("Upgrade").is_some_and(|u| u.eq_ignore_ascii_case("websocket")) {
        return Err(ApiError::field("Upgrade", "this is a WebSocket: connect with Upgrade: websocket (or read GET /api/incidents)"));
    }
    Ok(crate::live_list::connect(&cx.env, caller.org_id(), &caller.credential).await?)
}

pub(super) async fn detail(cx: &Cx, org_id: &str, id: &str) -> ApiResult<IncidentDetail> {
    let d = cx.db.incident_detail(org_id, id).await?.ok_or(ApiError::NotFound("incident"))?;
    let (roles, links, services, highlights) = super::command::parts(cx, org_id, &d.incident).await?;
    Ok(IncidentDetail {
        incident: views::incident(&d.incident)?,
        alerts: d.alerts.iter().map(|a| views::alert(a, &d.events)).collect::<ApiResult<_>>()?,
        timeline: d.timeline.iter().map(views::timeline).collect(),
        recent_changes: d.changes.iter().map(views::change).collect(),
        roles,
        links,
        services,
        highlights,
        responders: super::responders::list_of(&cx.db, org_id, id).await?,
        checklist: super::checklists::incident_steps(&cx.db, org_id, id).await?,
        updates: super::status_updates::incident_updates(&cx.db, org_id, id).await?,
    })
}

pub async fn declare(cx: &mut Cx) -> ApiResult<Response> {
    let caller = cx.caller().await?;
    caller.require(Permission::Respond)?;
    let r: DeclareIncidentRequest = cx.json().await?;
    let title = line("title", &r.title, 255)?;
    if let Some(sid) = &r.service_id {
        cx.db.service(caller.org_id(), sid.as_str()).await?.ok_or_else(|| ApiError::field("service_id", "no such service"))?;
    }
    let id = new_id(cx.now);
    let actor = views::actor_json(&views::user_actor(&caller.user));
    let message = format!("Declared by {} as {}", caller.user.name, r.severity);
    let t = NewTimeline { id: &new_id(cx.now), kind: "incident.declared", actor: &actor, message: &message };
    let i = NewIncident {
        id: &id,
        org_id: caller.org_id(),
        title: &title,
        severity: r.severity.as_str(),
        service_id: r.service_id.as_ref().map(|s| s.as_str()),
    };
    cx.db.declare_incident(&i, &t, cx.now).await?;
    if let Some(sid) = &r.service_id {
        if cx.db.start_escalation(&id, sid.as_str(), cx.now).await? {
            cx.after.escalation_due();
            let stepped = crate::escalate::run_incident(&cx.db, &id, cx.now).await?;
            cx.after.paged(stepped);
        }
    }
    json(201, &detail(cx, caller.org_id(), &id).await?)
}

pub async fn acknowledge(cx: &Cx, id: &str) -> ApiResult<Response> {
    act(cx, id, IncidentAction::Acknowledge).await
}

pub async fn resolve(cx: &Cx, id: &str) -> ApiResult<Response> {
    act(cx, id, IncidentAction::Resolve).await
}

/// Applies a responder's action through the domain's status machine. Repeats are no-ops;
/// a concurrent change is re-read and the action re-applied to the new state.
async fn act(cx: &Cx, id: &str, action: IncidentAction) -> ApiResult<Response> {
    let caller = cx.caller().await?;
    caller.require(Permission::Respond)?;
    act_as(cx, &caller.user, id, action, "").await?;
    json(200, &detail(cx, caller.org_id(), id).await?)
}

/// The action on behalf of `user` (already allowed to respond); `via` is appended to the
/// timeline message (" from a notification"). Returns whether the incident changed.
pub async fn act_as(cx: &Cx, user: &UserRow, id: &str, action: IncidentAction, via: &str) -> ApiResult<bool> {
    let actor = views::actor_json(&views::user_actor(user));
    for _ in 0..3 {
        let row = cx.db.incident(&user.org_id, id).await?.ok_or(ApiError::NotFound("incident"))?;
        match apply(row.status.parse()?, action)? {
            Transition::Unchanged(_) => return Ok(false),
            Transition::Changed { from, to } => {
                let (kind, message) = match to {
                    IncidentStatus::Acknowledged => ("incident.acknowledged", format!("Acknowledged by {}{via}", user.name)),
                    _ => ("incident.resolved", format!("Resolved by {}{via}", user.name)),
                };
                let t = NewTimeline { id: &new_id(cx.now), kind, actor: &actor, message: &message };
                if cx.db.transition_incident(&user.org_id, id, from.as_str(), to.as_str(), &actor, &t, cx.now).await? {
                    cx.after.deliver();
                    return Ok(true);
                }
            }
        }
    }
    Err(ApiError::Conflict("the incident kept changing while we tried; reload and try again".into()))
}

/// `POST /api/incidents/{id}/notes`: a note on the shared record (and to chat, if subscribed).
pub async fn add_note(cx: &mut Cx, id: &str) -> ApiResult<Response> {
    let caller = cx.caller().await?;
    caller.require(Permission::Respond)?;
    // A note is at most 16 KB: over it (or a body over the JSON limit) is 413 naming `body`.
    let r: NoteRequest = cx.json().await.map_err(|e| match e {
        ApiError::TooLarge { limit } => ApiError::FieldTooLarge(FieldError::new("body", format!("the request is over {limit} bytes; a note holds at most 16 KB"))),
        e => e,
    })?;
    let body = tocsin_domain::command::notes::body(&r.body).map_err(|p| match p {
        tocsin_domain::command::notes::NoteProblem::Invalid(f) => ApiError::Invalid(f),
        tocsin_domain::command::notes::NoteProblem::TooLarge(f) => ApiError::FieldTooLarge(f),
    })?;
    let actor = views::actor_json(&views::user_actor(&caller.user));
    let note_id = new_id(cx.now);
    if !cx.db.add_note(caller.org_id(), id, &note_id, &actor, &body, cx.now).await? {
        return Err(ApiError::NotFound("incident"));
    }
    cx.after.deliver();
    let d = detail(cx, caller.org_id(), id).await?;
    let entry = d.timeline.into_iter().find(|t| t.id == note_id).ok_or(ApiError::Internal("note vanished".into()))?;
    json(201, &entry)
}
