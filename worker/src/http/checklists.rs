//! Runbook checklists over HTTP: a service's template (read by everyone, replaced by admins,
//! audited) and an incident's own copy — read, ad hoc steps, tick and untick (responders). Each
//! change to an incident's checklist is a timeline row in the change's batch (live watchers and
//! the record see it); ticking a ticked step changes nothing and writes no row.

use tocsin_domain::api::checklists::{AddStepRequest, ChecklistStep, ChecklistTemplate, IncidentChecklist, TemplateStep};
use tocsin_domain::audit::Action;
use tocsin_domain::auth::Permission;
use tocsin_domain::checklist;
use worker::Response;

use super::{json, views, Cx};
use crate::crypto::new_id;
use crate::db::{ChecklistStepRow, Db, NewTimeline, Tick};
use crate::error::{ApiError, ApiResult};

use super::views::person;

pub fn step_view(r: &ChecklistStepRow) -> ChecklistStep {
    ChecklistStep {
        id: r.id.clone(),
        position: r.position,
        text: r.text.clone(),
        done_at: r.done_at.map(views::time),
        done_by: r.done_at.and(person(r.done_by.as_ref(), r.done_by_name.as_ref())),
        added_by: person(r.added_by.as_ref(), r.added_by_name.as_ref()),
        ad_hoc: r.ad_hoc != 0,
    }
}

/// An incident's checklist in order (for `IncidentDetail` too).
pub async fn incident_steps(db: &Db, org_id: &str, incident_id: &str) -> ApiResult<Vec<ChecklistStep>> {
    Ok(db.incident_checklist(org_id, incident_id).await?.iter().map(step_view).collect())
}

async fn template(cx: &Cx, org_id: &str, service_id: &str) -> ApiResult<ChecklistTemplate> {
    let steps = cx.db.checklist_template(org_id, service_id).await?;
    Ok(ChecklistTemplate { steps: steps.into_iter().map(|s| TemplateStep { text: s.text }).collect() })
}

/// `GET /api/services/{id}/checklist`.
pub async fn get_template(cx: &Cx, service_id: &str) -> ApiResult<Response> {
    let caller = cx.caller().await?;
    cx.db.service(caller.org_id(), service_id).await?.ok_or(ApiError::NotFound("service"))?;
    json(200, &template(cx, caller.org_id(), service_id).await?)
}

/// `PUT /api/services/{id}/checklist` (admins): replaces the template; running incidents keep
/// their copies.
pub async fn put_template(cx: &mut Cx, service_id: &str) -> ApiResult<Response> {
    let caller = cx.caller().await?;
    caller.require(Permission::Administer)?;
    let body: ChecklistTemplate = cx.json().await?;
    let valid = checklist::validate_template(&body)?;
    cx.db.service(caller.org_id(), service_id).await?.ok_or(ApiError::NotFound("service"))?;
    let before = template(cx, caller.org_id(), service_id).await?;
    if before != valid {
        let texts: Vec<String> = valid.steps.iter().map(|s| s.text.clone()).collect();
        let audit = cx
            .audit(&caller, Action::ServiceChecklistUpdated, Some(service_id))
            .before(serde_json::json!({"steps": before.steps.len()}))
            .after(serde_json::json!({"steps": texts.len()}));
        cx.db.put_checklist_template(caller.org_id(), service_id, &texts, (&caller.user.id, cx.now), &audit).await?;
    } else {
        // Saved unchanged: still a review (readiness), audited as one.
        let audit = cx.audit(&caller, Action::ServiceChecklistReviewed, Some(service_id)).after(serde_json::json!({"steps": valid.steps.len()}));
        cx.db.mark_checklist_reviewed(caller.org_id(), service_id, &caller.user.id, cx.now, &audit).await?;
    }
    json(200, &template(cx, caller.org_id(), service_id).await?)
}

/// `GET /api/incidents/{id}/checklist`.
pub async fn get_incident(cx: &Cx, incident_id: &str) -> ApiResult<Response> {
    let caller = cx.caller().await?;
    cx.db.incident(caller.org_id(), incident_id).await?.ok_or(ApiError::NotFound("incident"))?;
    json(200, &IncidentChecklist { steps: incident_steps(&cx.db, caller.org_id(), incident_id).await? })
}

/// `POST /api/incidents/{id}/checklist` (responders): an ad hoc step at the end → 201 the step;
/// a checklist already at `MAX_INCIDENT_STEPS` → 409, nothing written.
pub async fn add_step(cx: &mut Cx, incident_id: &str) -> ApiResult<Response> {
    let caller = cx.caller().await?;
    caller.require(Permission::Respond)?;
    let r: AddStepRequest = cx.json().await?;
    let text = checklist::step_text("text", &r.text)?;
    cx.db.incident(caller.org_id(), incident_id).await?.ok_or(ApiError::NotFound("incident"))?;
    let actor = views::actor_json(&views::user_actor(&caller.user));
    let message = format!("{} added a checklist step: {text}", caller.user.name);
    let t = NewTimeline { id: &new_id(cx.now), kind: "checklist.added", actor: &actor, message: &message };
    let full = || ApiError::Conflict(format!("checklist full: an incident's checklist can have at most {} steps", checklist::MAX_INCIDENT_STEPS));
    // The incident is there (read above), so nothing written means the checklist is full.
    let step_id = cx
        .db
        .add_checklist_step(caller.org_id(), incident_id, &text, &caller.user.id, checklist::MAX_INCIDENT_STEPS as i64, &t, cx.now)
        .await?
        .ok_or_else(full)?;
    cx.after.deliver();
    let step = cx.db.checklist_step(caller.org_id(), incident_id, &step_id).await?.ok_or_else(|| ApiError::Internal("step vanished".into()))?;
    json(201, &step_view(&step))
}

/// `POST /api/incidents/{id}/checklist/{step}/tick` and `…/untick` (responders): records who
/// and when; a step already in that state is answered as it is (200, no timeline row).
pub async fn tick(cx: &Cx, incident_id: &str, step_id: &str, done: bool) -> ApiResult<Response> {
    let caller = cx.caller().await?;
    caller.require(Permission::Respond)?;
    cx.db.incident(caller.org_id(), incident_id).await?.ok_or(ApiError::NotFound("incident"))?;
    let step = cx.db.checklist_step(caller.org_id(), incident_id, step_id).await?.ok_or(ApiError::NotFound("checklist step"))?;
    let actor = views::actor_json(&views::user_actor(&caller.user));
    let (kind, verb, how) = if done {
        ("checklist.ticked", "ticked", Tick::Done { by: &caller.user.id })
    } else {
        ("checklist.unticked", "unticked", Tick::Open)
    };
    let message = format!("{} {verb} step {}: {}", caller.user.name, step.position, step.text);
    let t = NewTimeline { id: &new_id(cx.now), kind, actor: &actor, message: &message };
    if cx.db.tick_checklist_step(caller.org_id(), incident_id, step_id, how, &t, cx.now).await? {
        cx.after.deliver();
    }
    let now = cx.db.checklist_step(caller.org_id(), incident_id, step_id).await?.ok_or(ApiError::NotFound("checklist step"))?;
    json(200, &step_view(&now))
}
