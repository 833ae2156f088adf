//! Editing the status page: settings, components and groups (linked to services), publishing
//! incidents and posting their updates, scheduling maintenance. Every change purges the public
//! cache.

use tocsin_domain::audit::Action;
use serde_json::Value;
use tocsin_domain::api::{AdminComponent, StatusAdmin, StatusPageSettings};
use tocsin_domain::auth::Permission;
use tocsin_domain::incident::Severity;
use tocsin_domain::status_page::{self as sp, maintenance_transition_text, ComponentStatus, Impact, MaintenanceStatus, UpdateStatus};
use tocsin_domain::validation::{http_url, time_zone, FieldError, Fields};
use worker::Response;

use super::status_page::{purge, snapshot};
use super::{json, Cx};
use crate::crypto::new_id;
use crate::db::{MaintenanceRow, PublicIncidentRow, UpdateRow};
use crate::error::{ApiError, ApiResult};

const DAY_MS: i64 = 86_400_000;


fn parse_enum<T: std::str::FromStr<Err = tocsin_domain::incident::UnknownValue>>(f: &Fields<'_>, field: &str) -> ApiResult<Option<T>> {
    match f.opt_str(field, 40)? {
        None => Ok(None),
        Some(s) => s.parse::<T>().map(Some).map_err(|e| ApiError::Invalid(FieldError::new(field, e.to_string()))),
    }
}

/// A list position: an integer within ±1 000 000 (larger ones do not survive D1's numbers and
/// would break every read of the status page); absent: `default`.
fn position(v: &Value, default: i64) -> ApiResult<i64> {
    match v.get("position") {
        None | Some(Value::Null) => Ok(default),
        Some(p) => p.as_i64().filter(|p| p.abs() <= tocsin_domain::api::status::MAX_POSITION).ok_or_else(|| ApiError::field("position", "must be an integer from -1000000 to 1000000")),
    }
}

fn string_list(v: &Value, field: &str) -> ApiResult<Option<Vec<String>>> {
    match v.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| i.as_str().map(str::to_string).ok_or_else(|| ApiError::field(field, "must be a list of ids")))
            .collect::<ApiResult<Vec<_>>>()
            .map(Some),
        Some(_) => Err(ApiError::field(field, "must be a list of ids")),
    }
}

fn time_field(f: &Fields<'_>, field: &str) -> ApiResult<i64> {
    let raw = f.req_str(field, 40)?;
    chrono::DateTime::parse_from_rfc3339(&raw)
        .map(|t| t.timestamp_millis())
        .map_err(|_| ApiError::field(field, "must be an RFC 3339 time such as 2026-12-01T02:00:00Z"))
}

pub async fn get(cx: &Cx) -> ApiResult<Response> {
    let caller = cx.caller().await?;
    let org = caller.org_id();
    let rows = cx.db.status_snapshot(org, cx.now - 91 * DAY_MS, cx.now - 30 * DAY_MS, 20, 0).await?.ok_or(ApiError::NotFound("organisation"))?;
    let s = snapshot(rows, cx.now, &cx.origin());
    let admin_rows = cx.db.components_admin(org).await?;
    let components = s
        .components
        .iter()
        .map(|c| {
            let row = admin_rows.iter().find(|r| r.id == c.id);
            let split = |v: Option<&String>| v.map(|x| x.split(',').map(str::to_string).collect::<Vec<_>>()).unwrap_or_default();
            let severities: Vec<Severity> = split(row.and_then(|r| r.open_severities.as_ref())).iter().filter_map(|x| x.parse().ok()).collect();
            AdminComponent {
                component: c.clone(),
                service_ids: split(row.and_then(|r| r.service_ids.as_ref())),
                suggested_status: sp::suggested_status(&severities),
            }
        })
        .collect();
    let indicator = s.indicator();
    let maintenances = s.effective_maintenances();
    json(
        200,
        &StatusAdmin {
            page: StatusPageSettings { name: s.page.name.clone(), time_zone: s.page.time_zone.clone(), url: s.page.url.clone() },
            groups: s.groups,
            components,
            incidents: s.incidents,
            maintenances,
            indicator,
        },
    )
}

pub async fn put_page(cx: &mut Cx) -> ApiResult<Response> {
    let caller = cx.caller().await?;
    caller.require(Permission::Administer)?;
    let v = cx.json_value().await?;
    let f = Fields::new(&v)?;
    let name = f.req_line("name", 100)?;
    let tz = time_zone("time_zone", f.opt_str("time_zone", 64)?)?;
    let url = f.opt_str("url", 300)?.map(|u| http_url("url", &u)).transpose()?;
    let audit = cx.audit(&caller, Action::StatusPageUpdated, None).after(serde_json::json!({"name": name, "time_zone": tz, "page_url": url}));
    cx.db.upsert_status_page(caller.org_id(), &name, &tz, url.as_deref(), cx.now, &audit).await?;
    super::status_page::forget_page_host();
    purge().await;
    get(cx).await
}

pub async fn create_group(cx: &mut Cx) -> ApiResult<Response> {
    let caller = cx.caller().await?;
    caller.require(Permission::Administer)?;
    let v = cx.json_value().await?;
    let f = Fields::new(&v)?;
    let name = f.req_line("name", 100)?;
    let position = position(&v, 0)?;
    let id = new_id(cx.now);
    let audit = cx.audit(&caller, Action::StatusGroupCreated, Some(&id)).after(serde_json::json!({"name": name, "position": position}));
    cx.db.insert_group(&id, caller.org_id(), &name, position, cx.now, &audit).await?;
    purge().await;
    json(201, &serde_json::json!({"id": id, "name": name, "position": position}))
}

pub async fn create_component(cx: &mut Cx) -> ApiResult<Response> {
    let caller = cx.caller().await?;
    caller.require(Permission::Administer)?;
    let v = cx.json_value().await?;
    let f = Fields::new(&v)?;
    let name = f.req_line("name", 100)?;
    let description = f.opt_str("description", 500)?.unwrap_or_default();
    let group_id = f.opt_str("group_id", 64)?;
    if let Some(g) = &group_id {
        if !cx.db.group_exists(caller.org_id(), g).await? {
            return Err(ApiError::field("group_id", "no such group"));
        }
    }
    let position = position(&v, 0)?;
    let services = string_list(&v, "service_ids")?.unwrap_or_default();
    let id = new_id(cx.now);
    let audit = cx
        .audit(&caller, Action::StatusComponentCreated, Some(&id))
        .after(serde_json::json!({"name": name, "description": description, "group_id": group_id, "position": position, "service_ids": services}));
    cx.db.insert_component(&id, caller.org_id(), &name, &description, group_id.as_deref(), position, &services, cx.now, &audit).await?;
    purge().await;
    json(201, &serde_json::json!({"id": id, "name": name}))
}

/// Edits a component. Its status may be set by responders (one tap on a suggestion); the rest
/// is for admins.
pub async fn patch_component(cx: &mut Cx, id: &str) -> ApiResult<Response> {
    let caller = cx.caller().await?;
    caller.require(Permission::Respond)?;
    let v = cx.json_value().await?;
    let f = Fields::new(&v)?;
    let current = cx.db.components_admin(caller.org_id()).await?.into_iter().find(|c| c.id == id).ok_or(ApiError::NotFound("component"))?;
    let structural = ["name", "description", "group_id", "position", "service_ids"].iter().any(|k| v.get(*k).is_some());
    if structural {
        caller.require(Permission::Administer)?;
        let name = f.opt_line("name", 100)?.unwrap_or(current.name.clone());
        let description = if v.get("description").is_some() { f.opt_str("description", 500)?.unwrap_or_default() } else { current.description.clone() };
        let group_id = if v.get("group_id").is_some() { f.opt_str("group_id", 64)? } else { current.group_id.clone() };
        if let Some(g) = &group_id {
            if !cx.db.group_exists(caller.org_id(), g).await? {
                return Err(ApiError::field("group_id", "no such group"));
            }
        }
        let position = position(&v, current.position)?;
        let services = string_list(&v, "service_ids")?;
        let audit = cx
            .audit(&caller, Action::StatusComponentUpdated, Some(id))
            .before(serde_json::json!({"name": current.name, "description": current.description, "group_id": current.group_id, "position": current.position}))
            .after(serde_json::json!({"name": name, "description": description, "group_id": group_id, "position": position, "service_ids": services}));
        cx.db.update_component(caller.org_id(), id, &name, &description, group_id.as_deref(), position, services.as_deref(), cx.now, &audit).await?;
    }
    if let Some(status) = parse_enum::<ComponentStatus>(&f, "status")?.filter(|s| s.as_str() != current.status) {
        let audit = cx.audit(&caller, Action::StatusComponentUpdated, Some(id)).before(serde_json::json!({"status": current.status})).after(serde_json::json!({"status": status.as_str()}));
        cx.db.set_component_statuses(caller.org_id(), &[(id.to_string(), status.as_str().to_string())], cx.now, &audit).await?;
    }
    purge().await;
    get(cx).await
}

/// The organisation's components (id, name, status) when `ids` names any, after checking each
/// is one of them (400 naming `component_ids`): one read serves the check and the changes.
async fn known_components(cx: &Cx, org: &str, ids: &[String]) -> ApiResult<Vec<(String, String, String)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let known = cx.db.component_names(org).await?;
    match ids.iter().find(|id| !known.iter().any(|(k, _, _)| k == *id)) {
        Some(bad) => Err(ApiError::field("component_ids", format!("no such component: {bad}"))),
        None => Ok(known),
    }
}

/// The component status changes an update asks for, with what they were (for the update's record).
pub(super) async fn status_changes(cx: &Cx, org: &str, ids: &[String], to: Option<ComponentStatus>) -> ApiResult<(Vec<(String, String)>, String)> {
    let Some(to) = to else { return Ok((vec![], "[]".into())) };
    changes_against(&cx.db.component_names(org).await?, ids, Some(to))
}

/// [`status_changes`] against components already read.
fn changes_against(all: &[(String, String, String)], ids: &[String], to: Option<ComponentStatus>) -> ApiResult<(Vec<(String, String)>, String)> {
    let Some(to) = to else { return Ok((vec![], "[]".into())) };
    let mut changes = Vec::new();
    let mut affected = Vec::new();
    for id in ids {
        let (_, name, old) = all.iter().find(|(cid, _, _)| cid == id).ok_or_else(|| ApiError::field("component_ids", format!("no such component: {id}")))?;
        if old != to.as_str() {
            changes.push((id.clone(), to.as_str().to_string()));
            affected.push(sp::AffectedComponent { code: id.clone(), name: name.clone(), old_status: old.parse().unwrap_or(ComponentStatus::Operational), new_status: to });
        }
    }
    Ok((changes, serde_json::to_string(&affected)?))
}

pub async fn publish_incident(cx: &mut Cx) -> ApiResult<Response> {
    let caller = cx.caller().await?;
    caller.require(Permission::Respond)?;
    let v = cx.json_value().await?;
    let f = Fields::new(&v)?;
    let name = f.req_line("name", 255)?;
    let body_text = f.req_text("body", 10_000)?;
    let status = parse_enum::<UpdateStatus>(&f, "status")?.unwrap_or(UpdateStatus::Investigating);
    let impact = parse_enum::<Impact>(&f, "impact")?.unwrap_or(Impact::Minor);
    let incident_id = f.opt_str("incident_id", 64)?;
    if let Some(i) = &incident_id {
        cx.db.incident(caller.org_id(), i).await?.ok_or_else(|| ApiError::field("incident_id", "no such incident"))?;
    }
    let component_ids = string_list(&v, "component_ids")?.unwrap_or_default();
    // Checked whether or not their status changes: the incident keeps the list.
    let known = known_components(cx, caller.org_id(), &component_ids).await?;
    let (changes, affected) = changes_against(&known, &component_ids, parse_enum(&f, "component_status")?)?;
    let id = new_id(cx.now);
    let row = PublicIncidentRow {
        id: id.clone(),
        incident_id,
        name,
        status: status.as_str().into(),
        impact: impact.as_str().into(),
        component_ids: serde_json::to_string(&component_ids)?,
        created_at: cx.now,
        updated_at: cx.now,
        monitoring_at: (status == UpdateStatus::Monitoring).then_some(cx.now),
        resolved_at: status.is_resolved().then_some(cx.now),
        postmortem_body: None,
        postmortem_published_at: None,
    };
    let update = UpdateRow { id: new_id(cx.now), parent_id: id.clone(), status: status.as_str().into(), body: body_text, affected, created_at: cx.now, edited_at: None };
    let audit = cx.audit(&caller, Action::StatusIncidentPublished, Some(&row.id)).after(serde_json::json!({"name": row.name, "status": row.status, "impact": row.impact, "body": update.body}));
    cx.db.write_public_incident(caller.org_id(), &row, true, &update, &changes, cx.now, &audit).await?;
    super::status_page::purge_with(&[row.id.as_str()]).await;
    json(201, &serde_json::json!({"id": id, "url": format!("{}/status/incidents/{id}", cx.origin())}))
}

pub async fn post_incident_update(cx: &mut Cx, id: &str) -> ApiResult<Response> {
    let caller = cx.caller().await?;
    caller.require(Permission::Respond)?;
    let mut row = cx.db.public_incident(caller.org_id(), id).await?.ok_or(ApiError::NotFound("public incident"))?;
    let v = cx.json_value().await?;
    let f = Fields::new(&v)?;
    let status = parse_enum::<UpdateStatus>(&f, "status")?.ok_or_else(|| ApiError::field("status", "is required"))?;
    let body_text = f.req_text("body", 10_000)?;
    if let Some(impact) = parse_enum::<Impact>(&f, "impact")? {
        row.impact = impact.as_str().into();
    }
    if let Some(name) = f.opt_line("name", 255)? {
        row.name = name;
    }
    // Resolving sets the affected components back to operational unless told otherwise.
    let to = sp::update_component_status(status, parse_enum::<ComponentStatus>(&f, "component_status")?);
    let ids: Vec<String> = serde_json::from_str(&row.component_ids).unwrap_or_default();
    let (changes, affected) = status_changes(cx, caller.org_id(), &ids, to).await?;
    row.status = status.as_str().into();
    row.updated_at = cx.now;
    if status == UpdateStatus::Monitoring && row.monitoring_at.is_none() {
        row.monitoring_at = Some(cx.now);
    }
    row.resolved_at = if status.is_resolved() { row.resolved_at.or(Some(cx.now)) } else { None };
    let update = UpdateRow { id: new_id(cx.now), parent_id: row.id.clone(), status: status.as_str().into(), body: body_text, affected, created_at: cx.now, edited_at: None };
    let audit = cx.audit(&caller, Action::StatusIncidentUpdated, Some(&row.id)).after(serde_json::json!({"status": row.status, "impact": row.impact, "body": update.body}));
    cx.db.write_public_incident(caller.org_id(), &row, false, &update, &changes, cx.now, &audit).await?;
    super::status_page::purge_with(&[row.id.as_str()]).await;
    json(201, &serde_json::json!({"id": update.id}))
}

pub async fn schedule_maintenance(cx: &mut Cx) -> ApiResult<Response> {
    let caller = cx.caller().await?;
    caller.require(Permission::Respond)?;
    let v = cx.json_value().await?;
    let f = Fields::new(&v)?;
    let name = f.req_line("name", 255)?;
    let body_text = f.opt_text("body", 10_000)?.unwrap_or_else(|| maintenance_transition_text(MaintenanceStatus::Scheduled).into());
    let (from, until) = (time_field(&f, "scheduled_for")?, time_field(&f, "scheduled_until")?);
    if until <= from {
        return Err(ApiError::field("scheduled_until", "must be after scheduled_for"));
    }
    let impact = parse_enum::<Impact>(&f, "impact")?.unwrap_or(Impact::None);
    let component_ids = string_list(&v, "component_ids")?.unwrap_or_default();
    known_components(cx, caller.org_id(), &component_ids).await?;
    let id = new_id(cx.now);
    let status = sp::maintenance_status(MaintenanceStatus::Scheduled, from, until, cx.now);
    let m = MaintenanceRow {
        id: id.clone(),
        org_id: caller.org_id().into(),
        name,
        status: status.as_str().into(),
        impact: impact.as_str().into(),
        component_ids: serde_json::to_string(&component_ids)?,
        scheduled_for: from,
        scheduled_until: until,
        created_at: cx.now,
        updated_at: cx.now,
    };
    let update = UpdateRow { id: new_id(cx.now), parent_id: id.clone(), status: "scheduled".into(), body: body_text, affected: "[]".into(), created_at: cx.now, edited_at: None };
    let audit = cx.audit(&caller, Action::MaintenanceScheduled, Some(&m.id)).after(serde_json::json!({"name": m.name, "status": m.status, "scheduled_for": m.scheduled_for, "scheduled_until": m.scheduled_until}));
    cx.db.write_maintenance(&m, true, Some(&update), &[], cx.now, &audit).await?;
    super::status_page::purge_with(&[m.id.as_str()]).await;
    json(201, &serde_json::json!({"id": id, "status": status.as_str()}))
}

pub async fn post_maintenance_update(cx: &mut Cx, id: &str) -> ApiResult<Response> {
    let caller = cx.caller().await?;
    caller.require(Permission::Respond)?;
    let mut m = cx.db.maintenance(caller.org_id(), id).await?.ok_or(ApiError::NotFound("maintenance"))?;
    let v = cx.json_value().await?;
    let f = Fields::new(&v)?;
    let status = parse_enum::<MaintenanceStatus>(&f, "status")?.unwrap_or(m.status.parse().unwrap_or(MaintenanceStatus::Scheduled));
    let body_text = f.opt_text("body", 10_000)?.unwrap_or_else(|| maintenance_transition_text(status).into());
    m.status = status.as_str().into();
    m.updated_at = cx.now;
    let update = UpdateRow { id: new_id(cx.now), parent_id: m.id.clone(), status: status.as_str().into(), body: body_text, affected: "[]".into(), created_at: cx.now, edited_at: None };
    let audit = cx.audit(&caller, Action::MaintenanceUpdated, Some(&m.id)).after(serde_json::json!({"status": m.status, "body": update.body}));
    cx.db.write_maintenance(&m, false, Some(&update), &[], cx.now, &audit).await?;
    super::status_page::purge_with(&[m.id.as_str()]).await;
    json(201, &serde_json::json!({"id": update.id, "status": status.as_str()}))
}

/// `PATCH /api/status/updates/{id}` `{body}`: corrects the text of a published update (of a
/// public incident or a maintenance), as Statuspage lets one edit an update: a typo or a wrong
/// detail in public words during an outage. The audit log keeps the words it replaced; the page,
/// its feeds (the entry's `updated`) and caches show the new ones at once.
pub async fn edit_update(cx: &mut Cx, id: &str) -> ApiResult<Response> {
    let caller = cx.caller().await?;
    caller.require(Permission::Respond)?;
    let v = cx.json_value().await?;
    let f = Fields::new(&v)?;
    let body = f.req_text("body", 10_000)?;
    let previous = f.opt_str("previous", 10_000)?;
    let u = cx.db.public_update(caller.org_id(), id).await?.ok_or(ApiError::NotFound("public update"))?;
    let edited = |u: UpdateRow, body: String| tocsin_domain::api::status::PublicUpdateEdited { id: u.id, parent_id: u.parent_id, status: u.status, body };
    match sp::correction(&u.body, previous.as_deref(), &body) {
        sp::Correction::Stale(m) => return Err(ApiError::Conflict(m)),
        // Nothing to correct: no write, no audit row, no new `edited_at`.
        sp::Correction::Unchanged => return json(200, &edited(u, body)),
        sp::Correction::Write => {}
    }
    let audit = cx.audit(&caller, Action::PublicUpdateEdited, Some(id)).before(serde_json::json!({"body": u.body})).after(serde_json::json!({"body": body}));
    if !cx.db.edit_public_update(caller.org_id(), &u, &body, cx.now, &audit).await? {
        let now = cx.db.public_update(caller.org_id(), id).await?.map(|n| n.body).unwrap_or_default();
        return Err(ApiError::Conflict(sp::stale_correction(&now)));
    }
    super::status_page::purge_with(&[u.parent_id.as_str()]).await;
    json(200, &edited(u, body))
}

/// The cron sweep: moves maintenance into progress and to completion at its times, marks its
/// components under maintenance meanwhile, and writes the update that says so.
pub async fn sweep_maintenance(db: &crate::db::Db, now: i64) -> ApiResult<usize> {
    let mut moved: Vec<String> = Vec::new();
    for mut m in db.open_maintenances(200).await? {
        let stored: MaintenanceStatus = m.status.parse().unwrap_or(MaintenanceStatus::Scheduled);
        let to = sp::maintenance_status(stored, m.scheduled_for, m.scheduled_until, now);
        if to == stored {
            continue;
        }
        let ids: Vec<String> = serde_json::from_str(&m.component_ids).unwrap_or_default();
        let current = db.component_names(&m.org_id).await?;
        let statuses: Vec<(String, String)> = ids
            .iter()
            .filter_map(|id| current.iter().find(|(c, _, _)| c == id))
            .filter_map(|(id, _, status)| {
                let current = status.parse::<ComponentStatus>().ok()?;
                sp::maintenance_component_status(to, current).map(|next| (id.clone(), next.as_str().to_string()))
            })
            .collect();
        m.status = to.as_str().into();
        m.updated_at = now;
        let update = UpdateRow { id: new_id(now), parent_id: m.id.clone(), status: to.as_str().into(), body: maintenance_transition_text(to).into(), affected: "[]".into(), created_at: now, edited_at: None };
        let audit = crate::db::Audit {
            id: new_id(now),
            org_id: m.org_id.clone(),
            at: now,
            address: None,
            entry: tocsin_domain::audit::Entry::new(tocsin_domain::audit::Actor::System, Action::MaintenanceUpdated, Some(&m.id)).after(serde_json::json!({"status": m.status})),
        };
        db.write_maintenance(&m, false, Some(&update), &statuses, now, &audit).await?;
        moved.push(m.id);
    }
    if !moved.is_empty() {
        super::status_page::purge_with(&moved.iter().map(String::as_str).collect::<Vec<_>>()).await;
    }
    Ok(moved.len())
}
