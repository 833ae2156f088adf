//! Running an incident: incident roles (the organisation's own, defined by admins) and who
//! holds them on an incident, links, affected services, merging an incident into another, and
//! highlighted timeline rows. Each change to an incident is a timeline row written in the same
//! batch (`db::command`); repeats change nothing and write no row. Incident changes answer with
//! the incident's `IncidentDetail` (the target's, for a merge).

use serde_json::json;
use tocsin_domain::api::{
    AddLinkRequest, AssignRoleRequest, CreateIncidentRole, IncidentLink, IncidentRole, IncidentRoleList, LinkKind, MergeRequest, RoleHolder,
    ServiceRef, SetServicesRequest,
};
use tocsin_domain::audit::Action;
use tocsin_domain::auth::Permission;
use tocsin_domain::command::{highlights, links, merge, roles, services, Person};
use tocsin_domain::ids::ServiceId;
use worker::Response;

use super::incidents::detail;
use super::{json, views, Cx};
use crate::auth::Caller;
use crate::crypto::new_id;
use crate::db::{is_unique_violation, IncidentRow, MergeWrite, NewTimeline};
use crate::error::{ApiError, ApiResult};

fn person(c: &Caller) -> Person<'_> {
    Person { id: &c.user.id, name: &c.user.name }
}

/// The built-in roles, then the organisation's.
async fn all_roles(cx: &Cx, org_id: &str) -> ApiResult<Vec<IncidentRole>> {
    let mut all = roles::built_in();
    all.extend(cx.db.incident_roles(org_id).await?.into_iter().map(|r| IncidentRole { id: r.id, name: r.name, description: r.description, built_in: false }));
    Ok(all)
}

/// A responder acting on an incident of their organisation (404 otherwise).
async fn responder_on(cx: &Cx, id: &str) -> ApiResult<(Caller, IncidentRow)> {
    let caller = cx.caller().await?;
    caller.require(Permission::Respond)?;
    let row = cx.db.incident(caller.org_id(), id).await?.ok_or(ApiError::NotFound("incident"))?;
    Ok((caller, row))
}

/// The incident page's share of running the incident: every role slot, links, affected
/// services (its own first), highlighted rows.
pub async fn parts(cx: &Cx, org_id: &str, i: &IncidentRow) -> ApiResult<(Vec<RoleHolder>, Vec<IncidentLink>, Vec<ServiceRef>, Vec<i64>)> {
    let c = cx.db.command_rows(org_id, &i.id).await?;
    let mut defined = roles::built_in();
    defined.extend(c.roles.into_iter().map(|r| IncidentRole { id: r.id, name: r.name, description: r.description, built_in: false }));
    let holders: Vec<_> = c.holders.into_iter().map(|h| (h.role_id, h.user_id, h.name, views::time(h.since))).collect();
    let links = c
        .links
        .into_iter()
        .filter_map(|l| {
            Some(IncidentLink {
                id: l.id,
                kind: LinkKind::parse(&l.kind)?,
                url: l.url,
                label: l.label,
                added_by: serde_json::from_str(&l.added_by).ok()?,
                added_at: views::time(l.added_at),
            })
        })
        .collect();
    let mut svcs = Vec::new();
    if let (Some(id), Some(name)) = (&i.service_id, &i.service_name) {
        svcs.push(ServiceRef { id: ServiceId(id.clone()), name: name.clone(), runbook_url: i.runbook_url.clone() });
    }
    svcs.extend(c.services.into_iter().map(|s| ServiceRef { id: ServiceId(s.id), name: s.name, runbook_url: s.runbook_url }));
    Ok((roles::slots(&defined, &holders), links, svcs, c.highlights))
}

/// `GET /api/incident-roles` (anyone of the organisation).
pub async fn list_roles(cx: &Cx) -> ApiResult<Response> {
    let caller = cx.caller().await?;
    json(200, &IncidentRoleList { roles: all_roles(cx, caller.org_id()).await? })
}

/// `POST /api/incident-roles` (admins; audited).
pub async fn create_role(cx: &mut Cx) -> ApiResult<Response> {
    let caller = cx.caller().await?;
    caller.require(Permission::Administer)?;
    let r: CreateIncidentRole = cx.json().await?;
    let (name, description) = roles::validate_new(&r)?;
    let existing = cx.db.incident_roles(caller.org_id()).await?;
    let names: Vec<&str> = existing.iter().map(|r| r.name.as_str()).collect();
    if roles::name_taken(&name, &names) {
        return Err(ApiError::Conflict(format!("an incident role named {name} exists already")));
    }
    if existing.len() >= roles::MAX_CUSTOM {
        return Err(ApiError::Conflict(format!("an organisation can define at most {} incident roles", roles::MAX_CUSTOM)));
    }
    let id = new_id(cx.now);
    let audit = cx.audit(&caller, Action::IncidentRoleCreated, Some(&id)).after(json!({"name": name, "description": description}));
    match cx.db.insert_incident_role(&id, caller.org_id(), &name, &roles::name_key(&name), &description, cx.now, &audit).await {
        Err(e) if is_unique_violation(&e) => return Err(ApiError::Conflict(format!("an incident role named {name} exists already"))),
        other => other?,
    }
    json(201, &IncidentRole { id, name, description, built_in: false })
}

/// `DELETE /api/incident-roles/{id}` (admins; audited): built-in roles stay (409).
pub async fn delete_role(cx: &Cx, id: &str) -> ApiResult<Response> {
    let caller = cx.caller().await?;
    caller.require(Permission::Administer)?;
    if roles::is_built_in(id) {
        return Err(ApiError::Conflict(format!("{id} is a built-in role and cannot be deleted")));
    }
    let existing = cx.db.incident_roles(caller.org_id()).await?;
    let role = existing.iter().find(|r| r.id == id).ok_or(ApiError::NotFound("incident role"))?;
    let audit = cx.audit(&caller, Action::IncidentRoleDeleted, Some(id)).before(json!({"name": role.name, "description": role.description}));
    if !cx.db.delete_incident_role(caller.org_id(), id, &audit).await? {
        return Err(ApiError::NotFound("incident role"));
    }
    Ok(Response::empty()?.with_status(204))
}

/// `PUT /api/incidents/{id}/roles/{role}` `{"user_id"}`: assign or hand over.
pub async fn assign_role(cx: &mut Cx, id: &str, role_id: &str) -> ApiResult<Response> {
    let (caller, incident) = responder_on(cx, id).await?;
    let r: AssignRoleRequest = cx.json().await?;
    let role = all_roles(cx, caller.org_id()).await?.into_iter().find(|x| x.id == role_id).ok_or_else(|| ApiError::field("role", format!("no incident role {role_id}")))?;
    if roles::handover_needs_admin(&role.id, incident.status == "resolved") {
        caller.require(Permission::Administer)?;
    }
    let user = cx.db.user_by_id(caller.org_id(), r.user_id.as_str()).await?.ok_or_else(|| ApiError::field("user_id", "no such person in this organisation"))?;
    // Only someone who can act on the incident holds a role on it.
    if user.deactivated_at.is_some() {
        return Err(ApiError::Conflict(format!("{} is deactivated and cannot take a role", user.name)));
    }
    if user.role == "observer" {
        return Err(ApiError::Conflict(format!("{} is an observer (read-only) and cannot take a role", user.name)));
    }
    if user.password_hash.is_none() {
        return Err(ApiError::Conflict(format!("{} has not accepted their invitation yet and cannot take a role", user.name)));
    }
    let actor = views::actor_json(&views::user_actor(&caller.user));
    for _ in 0..3 {
        let holder = cx.db.role_holder(&incident.id, &role.id).await?;
        if holder.as_ref().is_some_and(|h| h.user_id == user.id) {
            return json(200, &detail(cx, caller.org_id(), id).await?);
        }
        let from = holder.as_ref().map(|h| Person { id: &h.user_id, name: &h.name });
        let message = roles::assigned_message(person(&caller), &role.name, from, Person { id: &user.id, name: &user.name });
        let t = NewTimeline { id: &new_id(cx.now), kind: roles::ASSIGNED, actor: &actor, message: &message };
        if cx.db.assign_role(caller.org_id(), &incident.id, &role.id, &user.id, holder.as_ref().map(|h| h.user_id.as_str()), &t, cx.now).await? {
            cx.after.deliver();
            return json(200, &detail(cx, caller.org_id(), id).await?);
        }
    }
    Err(ApiError::Conflict("the role kept changing hands while we tried; reload and try again".into()))
}

/// `DELETE /api/incidents/{id}/roles/{role}`: leave the role empty (already empty: no-op).
pub async fn unassign_role(cx: &Cx, id: &str, role_id: &str) -> ApiResult<Response> {
    let (caller, incident) = responder_on(cx, id).await?;
    let role = all_roles(cx, caller.org_id()).await?.into_iter().find(|x| x.id == role_id).ok_or_else(|| ApiError::field("role", format!("no incident role {role_id}")))?;
    let actor = views::actor_json(&views::user_actor(&caller.user));
    for _ in 0..3 {
        let Some(holder) = cx.db.role_holder(&incident.id, &role.id).await? else {
            return json(200, &detail(cx, caller.org_id(), id).await?);
        };
        let message = roles::unassigned_message(person(&caller), &role.name, Person { id: &holder.user_id, name: &holder.name });
        let t = NewTimeline { id: &new_id(cx.now), kind: roles::UNASSIGNED, actor: &actor, message: &message };
        if cx.db.unassign_role(caller.org_id(), &incident.id, &role.id, &holder.user_id, &t, cx.now).await? {
            cx.after.deliver();
            return json(200, &detail(cx, caller.org_id(), id).await?);
        }
    }
    Err(ApiError::Conflict("the role kept changing hands while we tried; reload and try again".into()))
}

/// `POST /api/incidents/{id}/links`: 201 when added; the same URL again changes nothing (200).
pub async fn add_link(cx: &mut Cx, id: &str) -> ApiResult<Response> {
    let (caller, incident) = responder_on(cx, id).await?;
    let r: AddLinkRequest = cx.json().await?;
    let link = links::validate(&r)?;
    let existing = cx.db.incident_links(&incident.id).await?;
    if existing.iter().any(|l| l.url == link.url) {
        return json(200, &detail(cx, caller.org_id(), id).await?);
    }
    if existing.len() >= links::MAX_LINKS {
        return Err(ApiError::Conflict(format!("an incident can have at most {} links", links::MAX_LINKS)));
    }
    let actor = views::actor_json(&views::user_actor(&caller.user));
    let message = links::added_message(person(&caller), &link.label, &link.url);
    let t = NewTimeline { id: &new_id(cx.now), kind: links::ADDED, actor: &actor, message: &message };
    let added = cx
        .db
        .add_link(caller.org_id(), &incident.id, &new_id(cx.now), link.kind.as_str(), &link.url, &link.label, &actor, links::MAX_LINKS as i64, &t, cx.now)
        .await?;
    if added {
        cx.after.deliver();
    }
    json(if added { 201 } else { 200 }, &detail(cx, caller.org_id(), id).await?)
}

/// `DELETE /api/incidents/{id}/links/{link_id}`.
pub async fn remove_link(cx: &Cx, id: &str, link_id: &str) -> ApiResult<Response> {
    let (caller, incident) = responder_on(cx, id).await?;
    let link = cx.db.incident_links(&incident.id).await?.into_iter().find(|l| l.id == link_id).ok_or(ApiError::NotFound("link"))?;
    let actor = views::actor_json(&views::user_actor(&caller.user));
    let message = links::removed_message(person(&caller), &link.label, &link.url);
    let t = NewTimeline { id: &new_id(cx.now), kind: links::REMOVED, actor: &actor, message: &message };
    if !cx.db.remove_link(caller.org_id(), &incident.id, link_id, &t, cx.now).await? {
        return Err(ApiError::NotFound("link"));
    }
    cx.after.deliver();
    json(200, &detail(cx, caller.org_id(), id).await?)
}

/// `PUT /api/incidents/{id}/services` `{"service_ids"}`: the affected services.
pub async fn set_services(cx: &mut Cx, id: &str) -> ApiResult<Response> {
    let (caller, incident) = responder_on(cx, id).await?;
    let r: SetServicesRequest = cx.json().await?;
    let requested: Vec<String> = r.service_ids.iter().map(|s| s.as_str().to_string()).collect();
    let actor = views::actor_json(&views::user_actor(&caller.user));
    // Planned against the set as read and written only if it is still that set; if it moved
    // meanwhile (e.g. the same PUT twice at once), read and plan again.
    for _ in 0..3 {
        let current: Vec<String> = cx.db.other_services(&incident.id).await?.into_iter().map(|s| s.id).collect();
        let plan = services::plan(incident.service_id.as_deref(), &current, &requested).map_err(|(f, m)| ApiError::field(f, m))?;
        let ids: Vec<&str> = plan.others.iter().chain(&plan.removed).map(String::as_str).collect();
        let known = cx.db.services_named(caller.org_id(), &ids).await?;
        if let Some(unknown) = plan.others.iter().find(|s| !known.iter().any(|k| &k.id == *s)) {
            return Err(ApiError::field("service_ids", format!("no such service: {unknown}")));
        }
        if !plan.is_change() {
            return json(200, &detail(cx, caller.org_id(), id).await?);
        }
        let name = |sid: &String| known.iter().find(|k| &k.id == sid).map(|k| k.name.clone()).unwrap_or_else(|| sid.clone());
        let added: Vec<String> = plan.added.iter().map(name).collect();
        let removed: Vec<String> = plan.removed.iter().map(name).collect();
        let message = services::message(person(&caller), &added.iter().map(String::as_str).collect::<Vec<_>>(), &removed.iter().map(String::as_str).collect::<Vec<_>>());
        let t = NewTimeline { id: &new_id(cx.now), kind: services::CHANGED, actor: &actor, message: &message };
        if cx.db.set_other_services(caller.org_id(), &incident.id, &current, &plan.added, &plan.removed, &t, cx.now).await? {
            cx.after.deliver();
            return json(200, &detail(cx, caller.org_id(), id).await?);
        }
    }
    Err(ApiError::Conflict("the affected services kept changing while we tried; reload and try again".into()))
}

fn side(i: &IncidentRow) -> ApiResult<merge::Side<'_>> {
    Ok(merge::Side { id: &i.id, number: i.number, title: &i.title, status: i.status.parse()?, merged_into: i.merged_into.as_deref() })
}

/// `POST /api/incidents/{id}/merge` `{"into"}`: answers with the target's detail.
pub async fn merge(cx: &mut Cx, id: &str) -> ApiResult<Response> {
    let (caller, source) = responder_on(cx, id).await?;
    let r: MergeRequest = cx.json().await?;
    let target = if r.into.as_str() == source.id { Some(source.clone()) } else { cx.db.incident(caller.org_id(), r.into.as_str()).await? };
    let target_side = target.as_ref().map(side).transpose()?;
    let plan = merge::plan(person(&caller), &side(&source)?, target_side.as_ref()).map_err(|e| match e {
        merge::Refusal::Invalid(f, m) => ApiError::field(f, m),
        merge::Refusal::Conflict(m) => ApiError::Conflict(m),
    })?;
    let target = target.ok_or_else(|| ApiError::field("into", "no such incident"))?;
    let actor = views::actor_json(&views::user_actor(&caller.user));
    let last_seq = cx.db.last_seq(&source.id).await?;
    let copy_id_prefix = new_id(cx.now);
    let (t1, t2, t3) = (new_id(cx.now), new_id(cx.now), new_id(cx.now));
    let m = MergeWrite {
        org_id: caller.org_id(),
        source: &source.id,
        target: &target.id,
        source_status: &source.status,
        source_last_seq: last_seq,
        actor: &actor,
        copy_id_prefix: &copy_id_prefix,
        copy_prefix: &plan.copy_prefix,
        copied_kind_prefix: merge::COPIED_KIND_PREFIX,
        target_row: NewTimeline { id: &t1, kind: merge::MERGED, actor: &actor, message: &plan.target_message },
        source_row: NewTimeline { id: &t2, kind: merge::MERGED, actor: &actor, message: &plan.source_message },
        resolved_row: NewTimeline { id: &t3, kind: merge::RESOLVED, actor: &actor, message: &plan.resolved_message },
    };
    if !cx.db.merge_incident(&m, cx.now).await? {
        return Err(ApiError::Conflict("one of the incidents changed while merging; reload and try again".into()));
    }
    cx.after.deliver();
    json(200, &detail(cx, caller.org_id(), &target.id).await?)
}

/// `PUT` / `DELETE /api/incidents/{id}/highlights/{seq}`: mark or unmark a timeline row.
pub async fn highlight(cx: &Cx, id: &str, seq: &str, on: bool) -> ApiResult<Response> {
    let (caller, incident) = responder_on(cx, id).await?;
    // Not a number: no such row either.
    let seq: i64 = seq.parse().ok().filter(|n| *n > 0).ok_or(ApiError::NotFound("timeline row"))?;
    let text = cx.db.timeline_message(caller.org_id(), &incident.id, seq).await?.ok_or(ApiError::NotFound("timeline row"))?;
    let actor = views::actor_json(&views::user_actor(&caller.user));
    let message = highlights::message(person(&caller), on, seq, &text);
    let t = NewTimeline { id: &new_id(cx.now), kind: if on { highlights::ADDED } else { highlights::REMOVED }, actor: &actor, message: &message };
    if cx.db.set_highlight(caller.org_id(), &incident.id, seq, on, &t, cx.now).await? {
        cx.after.deliver();
    }
    json(200, &detail(cx, caller.org_id(), id).await?)
}
