//! Teams: list (any member), create, rename/describe and delete (admins). Deleting a team ends
//! its memberships and leaves what it owned (services, schedules, policies) without a team, in
//! the same batch — nothing stops paging because a team went away. Membership is edited on the
//! person (`PATCH /api/users/{id}` with `teams`).

use serde_json::json;
use tocsin_domain::api::responders::PersonRef;
use tocsin_domain::api::teams::{CreateTeamRequest, PatchTeamRequest, Team, TeamList, TeamRef};
use tocsin_domain::audit::Action;
use tocsin_domain::auth::Permission;
use tocsin_domain::ids::UserId;
use worker::Response;

use super::auth::{line, text};
use super::{json, views, Cx};
use crate::crypto::new_id;
use crate::db::{is_unique_violation, Db, MemberRow, TeamRow};
use crate::error::{ApiError, ApiResult};

fn view(t: &TeamRow, members: &[MemberRow]) -> Team {
    Team {
        id: t.id.clone(),
        name: t.name.clone(),
        description: t.description.clone(),
        members: members.iter().filter(|m| m.team_id == t.id).map(|m| PersonRef { id: UserId(m.user_id.clone()), name: m.name.clone() }).collect(),
        created_at: views::time(t.created_at),
    }
}

/// Each person's teams (for `User.teams`).
pub async fn teams_by_user(db: &Db, org_id: &str) -> ApiResult<std::collections::HashMap<String, Vec<TeamRef>>> {
    let mut out: std::collections::HashMap<String, Vec<TeamRef>> = std::collections::HashMap::new();
    for m in db.team_members(org_id).await? {
        out.entry(m.user_id).or_default().push(TeamRef { id: m.team_id, name: m.team_name });
    }
    Ok(out)
}

fn name_taken(name: &str) -> impl Fn(ApiError) -> ApiError + '_ {
    move |e| if is_unique_violation(&e) { ApiError::Conflict(format!("a team named {name:?} already exists")) } else { e }
}

fn description(d: Option<&str>) -> ApiResult<String> {
    match d.map(str::trim).filter(|d| !d.is_empty()) {
        None => Ok(String::new()),
        Some(d) => text("description", d, 2000),
    }
}

pub async fn list(cx: &Cx) -> ApiResult<Response> {
    let caller = cx.caller().await?;
    let members = cx.db.team_members(caller.org_id()).await?;
    let teams = cx.db.teams(caller.org_id()).await?.iter().map(|t| view(t, &members)).collect();
    json(200, &TeamList { teams })
}

async fn one(cx: &Cx, org_id: &str, id: &str) -> ApiResult<Team> {
    let t = cx.db.team(org_id, id).await?.ok_or(ApiError::NotFound("team"))?;
    Ok(view(&t, &cx.db.team_members(org_id).await?))
}

pub async fn create(cx: &mut Cx) -> ApiResult<Response> {
    let caller = cx.caller().await?;
    caller.require(Permission::Administer)?;
    let r: CreateTeamRequest = cx.json().await?;
    let name = line("name", &r.name, 100)?;
    let description = description(r.description.as_deref())?;
    let id = new_id(cx.now);
    let audit = cx.audit(&caller, Action::TeamCreated, Some(&id)).after(json!({"name": name, "description": description}));
    cx.db.insert_team(&id, caller.org_id(), &name, &description, cx.now, &audit).await.map_err(name_taken(&name))?;
    json(201, &one(cx, caller.org_id(), &id).await?)
}

pub async fn patch(cx: &mut Cx, id: &str) -> ApiResult<Response> {
    let caller = cx.caller().await?;
    caller.require(Permission::Administer)?;
    let r: PatchTeamRequest = cx.json().await?;
    let current = cx.db.team(caller.org_id(), id).await?.ok_or(ApiError::NotFound("team"))?;
    let name = r.name.as_deref().map(|n| line("name", n, 100)).transpose()?.unwrap_or_else(|| current.name.clone());
    let description = match r.description.as_deref() {
        Some(d) => description(Some(d))?,
        None => current.description.clone(),
    };
    let audit = cx
        .audit(&caller, Action::TeamUpdated, Some(id))
        .before(json!({"name": current.name, "description": current.description}))
        .after(json!({"name": name, "description": description}));
    cx.db.update_team(caller.org_id(), id, &name, &description, cx.now, &audit).await.map_err(name_taken(&name))?;
    json(200, &one(cx, caller.org_id(), id).await?)
}

pub async fn delete(cx: &Cx, id: &str) -> ApiResult<Response> {
    let caller = cx.caller().await?;
    caller.require(Permission::Administer)?;
    let current = cx.db.team(caller.org_id(), id).await?.ok_or(ApiError::NotFound("team"))?;
    let audit = cx.audit(&caller, Action::TeamDeleted, Some(id)).before(json!({"name": current.name, "description": current.description}));
    if !cx.db.delete_team(caller.org_id(), id, &audit).await? {
        return Err(ApiError::NotFound("team"));
    }
    Ok(Response::empty()?.with_status(204))
}
