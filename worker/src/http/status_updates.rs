//! Structured status updates over HTTP: posting one (responders; optionally published to the
//! public status page's incident linked to this one, created on first publish) and reading
//! them; and the cron's reminder when a promised next update is overdue. Posting `resolved`
//! does not resolve the internal incident (see `tocsin_domain::status_update`).

use tocsin_domain::api::status_updates::{StatusUpdate, StatusUpdateList, StatusUpdateRequest, UpdateState};
use tocsin_domain::api::{Actor, ActorKind, Person};
use tocsin_domain::audit::Action;
use tocsin_domain::auth::Permission;
use tocsin_domain::incident::Severity;
use tocsin_domain::status_page as sp;
use tocsin_domain::status_update::{self as su, Latest};
use worker::Response;

use super::{json, views, Cx};
use crate::crypto::new_id;
use crate::db::{Db, NewStatusUpdate, NewTimeline, PublicIncidentRow, PublicWrite, StatusUpdateRow, UpdateRow};
use crate::error::{ApiError, ApiResult};

pub fn update_view(r: &StatusUpdateRow) -> StatusUpdate {
    StatusUpdate {
        id: r.id.clone(),
        status: r.status.parse().unwrap_or(UpdateState::Investigating),
        message: r.message.clone(),
        posted_by: Person { id: r.posted_by.clone().into(), name: r.posted_by_name.clone().unwrap_or_default() },
        posted_at: views::time(r.posted_at),
        next_update_at: r.next_update_at.map(views::time),
        public_incident_id: r.public_incident_id.clone(),
        reminded_at: r.reminded_at.map(views::time),
    }
}

/// An incident's updates, newest first (for `IncidentDetail` too).
pub async fn incident_updates(db: &Db, org_id: &str, incident_id: &str) -> ApiResult<Vec<StatusUpdate>> {
    Ok(db.status_updates(org_id, incident_id).await?.iter().map(update_view).collect())
}

/// `GET /api/incidents/{id}/updates`.
pub async fn list(cx: &Cx, incident_id: &str) -> ApiResult<Response> {
    let caller = cx.caller().await?;
    cx.db.incident(caller.org_id(), incident_id).await?.ok_or(ApiError::NotFound("incident"))?;
    json(200, &StatusUpdateList { updates: incident_updates(&cx.db, caller.org_id(), incident_id).await? })
}

/// `POST /api/incidents/{id}/updates` (responders) → 201 the update.
pub async fn post(cx: &mut Cx, incident_id: &str) -> ApiResult<Response> {
    let caller = cx.caller().await?;
    caller.require(Permission::Respond)?;
    let r: StatusUpdateRequest = cx.json().await?;
    let u = su::validate(&r)?;
    let org = caller.org_id().to_string();
    let incident = cx.db.incident(&org, incident_id).await?.ok_or(ApiError::NotFound("incident"))?;
    let now = cx.now;
    let id = new_id(now);
    let next_update_at = su::next_update_at(views::time(now), u.next_update_minutes).map(|t| t.timestamp_millis());

    // Publishing: the linked public incident (created on first publish), moved like an update
    // posted on the status page would move it. Only the update's own words go public.
    let mut public: Option<(PublicIncidentRow, bool, UpdateRow, Vec<(String, String)>)> = None;
    if u.publish {
        let status = su::public_status(u.status);
        let (mut row, insert) = match cx.db.linked_public_incident(&org, incident_id).await? {
            Some(row) => (row, false),
            None => {
                let severity: Severity = incident.severity.parse()?;
                let row = PublicIncidentRow {
                    id: new_id(now),
                    incident_id: Some(incident_id.to_string()),
                    name: su::public_name(&u.message),
                    status: status.as_str().into(),
                    impact: su::public_impact(severity).as_str().into(),
                    component_ids: "[]".into(),
                    created_at: now,
                    updated_at: now,
                    monitoring_at: None,
                    resolved_at: None,
                    postmortem_body: None,
                    postmortem_published_at: None,
                };
                (row, true)
            }
        };
        let ids: Vec<String> = serde_json::from_str(&row.component_ids).unwrap_or_default();
        let (changes, affected) = super::status_admin::status_changes(cx, &org, &ids, sp::update_component_status(status, None)).await?;
        row.status = status.as_str().into();
        row.updated_at = now;
        if status == sp::UpdateStatus::Monitoring && row.monitoring_at.is_none() {
            row.monitoring_at = Some(now);
        }
        row.resolved_at = if status.is_resolved() { row.resolved_at.or(Some(now)) } else { None };
        let update = UpdateRow { id: new_id(now), parent_id: row.id.clone(), status: status.as_str().into(), body: u.message.clone(), affected, created_at: now, edited_at: None };
        public = Some((row, insert, update, changes));
    }
    let audit = public.as_ref().map(|(row, insert, update, _)| {
        let action = if *insert { Action::StatusIncidentPublished } else { Action::StatusIncidentUpdated };
        cx.audit(&caller, action, Some(&row.id)).after(serde_json::json!({"name": row.name, "status": row.status, "impact": row.impact, "body": update.body}))
    });
    let actor = views::actor_json(&views::user_actor(&caller.user));
    let message = su::posted_message(&caller.user.name, &u);
    let t = NewTimeline { id: &id, kind: "status_update.posted", actor: &actor, message: &message };
    let new = NewStatusUpdate {
        id: &id,
        org_id: &org,
        incident_id,
        status: u.status.as_str(),
        message: &u.message,
        posted_by: &caller.user.id,
        next_update_at,
        public_incident_id: public.as_ref().map(|(row, ..)| row.id.as_str()),
    };
    let write = match (&public, &audit) {
        (Some((row, insert, update, changes)), Some(audit)) => Some(PublicWrite { row, insert: *insert, update, component_changes: changes, audit }),
        _ => None,
    };
    if !cx.db.post_status_update(&new, &t, write, now).await? {
        return Err(ApiError::NotFound("incident"));
    }
    if let Some((row, ..)) = &public {
        super::status_page::purge_with(&[row.id.as_str()]).await;
    }
    cx.after.deliver();
    let posted = cx.db.status_updates(&org, incident_id).await?.into_iter().find(|x| x.id == id).ok_or_else(|| ApiError::Internal("update vanished".into()))?;
    json(201, &update_view(&posted))
}

/// The cron's sweep: reminds the communications lead (else the poster) of each overdue update,
/// once. Returns how many reminders this run sent.
pub async fn remind_overdue(db: &Db, now: i64) -> ApiResult<usize> {
    let mut sent = 0;
    for d in db.due_status_updates(now, 25).await? {
        let latest = Latest { next_update_at: Some(views::time(d.next_update_at)), reminded: d.reminded_at.is_some(), incident_resolved: d.incident_status == "resolved" };
        if !su::overdue(&latest, views::time(now)) {
            continue;
        }
        let whom = su::remind_whom(d.lead_id.as_deref(), &d.posted_by);
        let whom_name = if Some(whom) == d.lead_id.as_deref() { d.lead_name.clone().unwrap_or_default() } else { d.poster_name.clone() };
        let actor = views::actor_json(&Actor { kind: ActorKind::System, id: None, name: "Tocsin".into() });
        let message = su::overdue_message(&whom_name, views::time(d.next_update_at));
        let t = NewTimeline { id: &new_id(now), kind: "status_update.overdue", actor: &actor, message: &message };
        let severity: Severity = d.severity.parse().unwrap_or(Severity::Sev1);
        let payload = serde_json::to_string(&su::reminder_payload(&d.incident_id, d.number, severity, views::time(d.next_update_at)))?;
        if db.remind_status_update(&d, &new_id(now), whom, &t, &payload, now).await? {
            sent += 1;
        }
    }
    Ok(sent)
}
