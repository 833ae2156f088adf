//! Readiness over HTTP: `GET /api/readiness` (everyone in the organisation) loads the facts in
//! one D1 batch and lets `tocsin_domain::readiness` decide; a service's runbook checklist review
//! (`GET /api/services/{id}/checklist/review`, everyone; `POST …`, admins: "mark reviewed").

use chrono::Duration;
use tocsin_domain::api::readiness::ChecklistReview;
use tocsin_domain::api::Person;
use tocsin_domain::audit::Action;
use tocsin_domain::auth::Permission;
use tocsin_domain::escalation::Policy;
use tocsin_domain::ids::UserId;
use tocsin_domain::readiness::{report as readiness_report, ActionItemFacts, Facts, PersonFacts, PolicyFacts, ScheduleFacts, ServiceFacts, REVIEW_MAX_AGE_DAYS};
use tocsin_domain::schedule::{Layer, Override, Schedule};
use tocsin_domain::status_page::uptime::tz_or_utc;
use worker::Response;

use super::{json, views, Cx};
use crate::db::ReadinessRows;
use crate::error::{ApiError, ApiResult};

/// Rows → the domain's facts. A policy or schedule whose stored JSON no longer parses is left out
/// (a policy: its services then show as without one; a schedule: a gap in its policies).
fn facts(r: ReadinessRows, now: i64) -> Facts {
    let services = r
        .services
        .into_iter()
        .map(|s| ServiceFacts {
            id: s.id,
            name: s.name,
            policy_id: s.escalation_policy_id,
            checklist_steps: usize::try_from(s.steps).unwrap_or(0),
            checklist_reviewed_at: s.checklist_reviewed_at.map(views::time),
            last_event_at: s.last_alert_at.max(s.last_change_at).map(views::time),
        })
        .collect();
    let policies = r
        .policies
        .into_iter()
        .filter_map(|p| Some(PolicyFacts { policy: serde_json::from_str::<Policy>(&p.policy).ok()?, id: p.id, name: p.name }))
        .collect();
    let overrides = &r.overrides;
    let schedules = r
        .schedules
        .into_iter()
        .map(|s| {
            let layers: Vec<Layer> = serde_json::from_str(&s.layers).unwrap_or_default();
            let ovr = overrides
                .iter()
                .filter(|o| o.schedule_id == s.id)
                .map(|o| Override { user: UserId(o.user_id.clone()), start: views::time(o.starts_at), end: views::time(o.ends_at) })
                .collect();
            ScheduleFacts { schedule: Schedule { time_zone: tz_or_utc(&s.time_zone), layers, overrides: ovr }, id: s.id, name: s.name }
        })
        .collect();
    let people = r
        .people
        .into_iter()
        .map(|p| PersonFacts {
            id: UserId(p.id),
            name: p.name,
            active: p.active != 0,
            push_enabled: p.push != 0,
            devices: usize::try_from(p.devices).unwrap_or(0),
            failing_devices: usize::try_from(p.failing).unwrap_or(0),
            webhook: p.webhook != 0,
        })
        .collect();
    let action_items = r
        .overdue
        .into_iter()
        .map(|a| ActionItemFacts { id: a.id, title: a.title, open: true, due_at: a.due_at.map(views::time), owner: a.owner })
        .collect();
    Facts { now: views::time(now), time_zone: tz_or_utc(&r.time_zone), services, policies, schedules, people, action_items }
}

/// `GET /api/readiness`.
pub async fn report(cx: &Cx) -> ApiResult<Response> {
    let caller = cx.caller().await?;
    caller.require(Permission::Read)?;
    let rows = cx.db.readiness_rows(caller.org_id(), cx.now).await?;
    json(200, &readiness_report(&facts(rows, cx.now)))
}

async fn review(cx: &Cx, org_id: &str, service_id: &str) -> ApiResult<ChecklistReview> {
    let r = cx.db.checklist_review(org_id, service_id).await?.ok_or(ApiError::NotFound("service"))?;
    Ok(ChecklistReview {
        steps: usize::try_from(r.steps).unwrap_or(0),
        reviewed_at: r.checklist_reviewed_at.map(views::time),
        reviewed_by: r.checklist_reviewed_by.map(|id| Person { id: UserId(id), name: r.reviewer_name.unwrap_or_default() }),
        review_due_at: r.checklist_reviewed_at.map(|t| views::time(t) + Duration::days(REVIEW_MAX_AGE_DAYS)),
    })
}

/// `GET /api/services/{id}/checklist/review`.
pub async fn get_review(cx: &Cx, service_id: &str) -> ApiResult<Response> {
    let caller = cx.caller().await?;
    json(200, &review(cx, caller.org_id(), service_id).await?)
}

/// `POST /api/services/{id}/checklist/review` (admins): "mark reviewed" — the template was read
/// and still holds. Audited as `service.checklist_reviewed`.
pub async fn mark_reviewed(cx: &Cx, service_id: &str) -> ApiResult<Response> {
    let caller = cx.caller().await?;
    caller.require(Permission::Administer)?;
    let audit = cx.audit(&caller, Action::ServiceChecklistReviewed, Some(service_id)).after(serde_json::json!({"reviewed_at": views::time(cx.now)}));
    if !cx.db.mark_checklist_reviewed(caller.org_id(), service_id, &caller.user.id, cx.now, &audit).await? {
        return Err(ApiError::NotFound("service"));
    }
    json(200, &review(cx, caller.org_id(), service_id).await?)
}
