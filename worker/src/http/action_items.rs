//! Action items over HTTP: created on an incident (or in its postmortem) or on their own,
//! listed org-wide with filters (mine, overdue, service, team, status) or per incident, edited
//! and ticked done by responders (each change to an item linked to an incident is a timeline
//! row there), and the cron's overdue reminder to owners (one summary push a day per owner).
//! Sending an item to Jira or GitHub is in `super::ticketing`.

use tocsin_domain::action_items::{self as ai, Change, ItemStatus, Kind, ListFilter, Priority};
use tocsin_domain::api::action_items::{ActionItem, ActionItemList, ActionItemPatch, NewActionItem, Ticket};
use tocsin_domain::auth::Permission;
use worker::Response;

use super::{json, views, Cx};
use crate::auth::Caller;
use crate::crypto::new_id;
use crate::db::{self, ActionItemRow, Db, ItemEdit, ItemQuery, NewTimeline};
use crate::error::{ApiError, ApiResult};

use super::views::person;

/// An item as the API shows it at `now`.
pub fn item_view(r: &ActionItemRow, now: i64) -> ActionItem {
    let status: ItemStatus = r.status.parse().unwrap_or(ItemStatus::Open);
    ActionItem {
        id: r.id.clone(),
        title: r.title.clone(),
        priority: r.priority.parse().unwrap_or(Priority::Medium),
        kind: r.kind.parse().unwrap_or(Kind::Fix),
        status,
        owner: person(r.owner_id.as_ref(), r.owner_name.as_ref()),
        due_date: r.due_date.clone(),
        due_at: r.due_at.map(views::time),
        overdue: ai::is_overdue(status, r.due_at, now),
        incident_id: r.incident_id.clone(),
        incident_number: r.incident_number,
        incident_title: r.incident_title.clone(),
        postmortem_id: r.postmortem_id.clone(),
        service_id: r.service_id.clone(),
        service_name: r.service_name.clone(),
        created_at: views::time(r.created_at),
        updated_at: views::time(r.updated_at),
        done_at: r.done_at.map(views::time),
        done_by: r.done_at.and(person(r.done_by.as_ref(), r.done_by_name.as_ref())),
        ticket: match (r.ticket_system.as_deref().and_then(|s| s.parse().ok()), &r.ticket_key, &r.ticket_url) {
            (Some(system), Some(key), Some(url)) => Some(Ticket { system, key: key.clone(), url: url.clone() }),
            _ => None,
        },
        reminded_at: r.reminded_at.map(views::time),
    }
}

/// An incident's items (for lane P's postmortem export, and the incident page).
pub async fn incident_items(db: &Db, org_id: &str, incident_id: &str, now: i64) -> ApiResult<Vec<ActionItem>> {
    let q = ItemQuery { incident_id: Some(incident_id), ..Default::default() };
    Ok(db.action_items(org_id, &q, ai::MAX_LIST).await?.iter().map(|r| item_view(r, now)).collect())
}

async fn responder(cx: &Cx) -> ApiResult<Caller> {
    let caller = cx.caller().await?;
    caller.require(Permission::Respond)?;
    Ok(caller)
}

/// An owner must be an active person of the organisation.
async fn checked_owner(cx: &Cx, org_id: &str, id: &str) -> ApiResult<String> {
    let u = cx.db.user_by_id(org_id, id).await?.filter(|u| u.deactivated_at.is_none());
    Ok(u.ok_or_else(|| ApiError::field("owner_id", format!("no such active person: {id}")))?.id)
}

async fn checked_service(cx: &Cx, org_id: &str, id: &str) -> ApiResult<String> {
    Ok(cx.db.service(org_id, id).await?.ok_or_else(|| ApiError::field("service_id", format!("no such service: {id}")))?.id)
}

/// A due day → (the day as text, the instant it ends in the organisation's time zone).
async fn due(cx: &Cx, org_id: &str, raw: &str) -> ApiResult<(String, i64)> {
    let day = ai::due_date("due_date", raw)?;
    let tz = ai::org_tz(&cx.db.org_time_zone(org_id).await?);
    Ok((day.format("%Y-%m-%d").to_string(), ai::due_at(day, tz)))
}

fn timeline<'a>(id: &'a str, actor: &'a str, change: &Change, message: &'a str) -> NewTimeline<'a> {
    NewTimeline { id, kind: change.kind(), actor, message }
}

/// `POST /api/incidents/{id}/action-items` (`incident` given) and `POST /api/action-items`
/// (responders) → 201 the item.
pub async fn create(cx: &mut Cx, incident: Option<&str>) -> ApiResult<Response> {
    let caller = responder(cx).await?;
    let r: NewActionItem = cx.json().await?;
    let org = caller.org_id().to_string();
    let title = ai::title("title", &r.title)?;
    let incident_id = match (incident, r.incident_id.as_deref()) {
        (Some(_), Some(_)) => return Err(ApiError::field("incident_id", "is given by the path here; leave it out")),
        (Some(i), None) => Some(i.to_string()),
        (None, Some(i)) => Some(i.to_string()),
        (None, None) => None,
    };
    let incident_row = match &incident_id {
        Some(i) => Some(cx.db.incident(&org, i).await?.ok_or(if incident.is_some() { ApiError::NotFound("incident") } else { ApiError::field("incident_id", format!("no such incident: {i}")) })?),
        None => None,
    };
    let owner_id = match r.owner_id.as_deref().filter(|o| !o.is_empty()) {
        Some(o) => Some(checked_owner(cx, &org, o).await?),
        None => None,
    };
    let service_id = match r.service_id.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => Some(checked_service(cx, &org, s).await?),
        None => incident_row.as_ref().and_then(|i| i.service_id.clone()),
    };
    let due = match r.due_date.as_deref().filter(|d| !d.trim().is_empty()) {
        Some(d) => Some(due(cx, &org, d).await?),
        None => None,
    };
    let postmortem_id = r.postmortem_id.as_deref().map(str::trim).filter(|p| !p.is_empty());
    if postmortem_id.is_some_and(|p| p.len() > 100) {
        return Err(ApiError::field("postmortem_id", "must be at most 100 characters"));
    }
    if let Some(pm) = postmortem_id {
        if !cx.db.postmortem_fits(&org, pm, incident_id.as_deref()).await? {
            return Err(ApiError::field("postmortem_id", format!("no such postmortem{}: {pm}", if incident_id.is_some() { " of this incident" } else { "" })));
        }
    }
    let id = new_id(cx.now);
    let n = db::NewActionItem {
        id: &id,
        org_id: &org,
        incident_id: incident_id.as_deref(),
        postmortem_id,
        service_id: service_id.as_deref(),
        title: &title,
        owner_id: owner_id.as_deref(),
        due_at: due.as_ref().map(|d| d.1),
        due_date: due.as_ref().map(|d| d.0.as_str()),
        priority: r.priority.unwrap_or(Priority::Medium).as_str(),
        kind: r.kind.unwrap_or(Kind::Fix).as_str(),
        created_by: &caller.user.id,
    };
    let actor = views::actor_json(&views::user_actor(&caller.user));
    let message = ai::timeline_message(&caller.user.name, &Change::Created, &title);
    let tid = new_id(cx.now);
    let t = timeline(&tid, &actor, &Change::Created, &message);
    if !cx.db.insert_action_item(&n, Some(&t), cx.now).await? {
        return Err(ApiError::NotFound("incident"));
    }
    cx.after.deliver();
    let row = cx.db.action_item(&org, &id).await?.ok_or_else(|| ApiError::Internal("action item vanished".into()))?;
    json(201, &item_view(&row, cx.now))
}

/// `GET /api/action-items?filter=all|mine|overdue&status=open|done&service=&team=`.
pub async fn list(cx: &Cx) -> ApiResult<Response> {
    let caller = cx.caller().await?;
    let filter: ListFilter = match cx.query("filter").filter(|f| !f.is_empty()) {
        Some(f) => f.parse()?,
        None => ListFilter::All,
    };
    let status = match cx.query("status").filter(|s| !s.is_empty()) {
        Some(s) => Some(s.parse::<ItemStatus>()?),
        None => None,
    };
    let service = cx.query("service").filter(|s| !s.is_empty());
    let team = cx.query("team").filter(|s| !s.is_empty());
    let q = ItemQuery {
        owner_id: (filter == ListFilter::Mine).then_some(caller.user.id.as_str()),
        overdue_at: (filter == ListFilter::Overdue).then_some(cx.now),
        status: status.map(ItemStatus::as_str),
        service_id: service.as_deref(),
        team_id: team.as_deref(),
        incident_id: None,
    };
    let rows = cx.db.action_items(caller.org_id(), &q, ai::MAX_LIST).await?;
    json(200, &ActionItemList { items: rows.iter().map(|r| item_view(r, cx.now)).collect() })
}

/// `GET /api/incidents/{id}/action-items`.
pub async fn list_incident(cx: &Cx, incident_id: &str) -> ApiResult<Response> {
    let caller = cx.caller().await?;
    cx.db.incident(caller.org_id(), incident_id).await?.ok_or(ApiError::NotFound("incident"))?;
    json(200, &ActionItemList { items: incident_items(&cx.db, caller.org_id(), incident_id, cx.now).await? })
}

/// `GET /api/action-items/{id}`.
pub async fn get(cx: &Cx, id: &str) -> ApiResult<Response> {
    let caller = cx.caller().await?;
    let row = cx.db.action_item(caller.org_id(), id).await?.ok_or(ApiError::NotFound("action item"))?;
    json(200, &item_view(&row, cx.now))
}

/// `PATCH /api/action-items/{id}` (responders): the fields given; `status` done/open records
/// who and when. A change to an item of an incident writes a timeline row there. Two edits at
/// once: the later one is refused with 409 (nothing overwritten silently).
pub async fn patch(cx: &mut Cx, id: &str) -> ApiResult<Response> {
    let caller = responder(cx).await?;
    let p: ActionItemPatch = cx.json().await?;
    let org = caller.org_id().to_string();
    let row = cx.db.action_item(&org, id).await?.ok_or(ApiError::NotFound("action item"))?;
    let title = match &p.title {
        Some(t) => ai::title("title", t)?,
        None => row.title.clone(),
    };
    let owner_id = match p.owner_id.as_deref() {
        Some("") => None,
        Some(o) if Some(o) == row.owner_id.as_deref() => Some(o.to_string()),
        Some(o) => Some(checked_owner(cx, &org, o).await?),
        None => row.owner_id.clone(),
    };
    let service_id = match p.service_id.as_deref() {
        Some("") => None,
        Some(s) if Some(s) == row.service_id.as_deref() => Some(s.to_string()),
        Some(s) => Some(checked_service(cx, &org, s).await?),
        None => row.service_id.clone(),
    };
    let (due_date, due_at) = match p.due_date.as_deref() {
        Some(d) if d.trim().is_empty() => (None, None),
        Some(d) => {
            let (day, at) = due(cx, &org, d).await?;
            (Some(day), Some(at))
        }
        None => (row.due_date.clone(), row.due_at),
    };
    let from: ItemStatus = row.status.parse().unwrap_or(ItemStatus::Open);
    let status_change = ai::status_change(from, p.status);
    let (status, done_at, done_by) = match status_change {
        Some(Change::Done) => (ItemStatus::Done, Some(cx.now), Some(caller.user.id.clone())),
        Some(_) => (ItemStatus::Open, None, None),
        None => (from, row.done_at, row.done_by.clone()),
    };
    let priority = p.priority.map(Priority::as_str).unwrap_or(&row.priority).to_string();
    let kind = p.kind.map(Kind::as_str).unwrap_or(&row.kind).to_string();
    let edited = title != row.title || owner_id != row.owner_id || service_id != row.service_id || due_at != row.due_at || priority != row.priority || kind != row.kind;
    let change = status_change.or(edited.then_some(Change::Edited));
    let Some(change) = change else {
        return json(200, &item_view(&row, cx.now)); // nothing to change: no row, no timeline
    };
    let e = ItemEdit {
        title: &title,
        owner_id: owner_id.as_deref(),
        due_at,
        due_date: due_date.as_deref(),
        priority: &priority,
        kind: &kind,
        service_id: service_id.as_deref(),
        status: status.as_str(),
        done_at,
        done_by: done_by.as_deref(),
        reset_reminder: due_at != row.due_at || owner_id != row.owner_id,
    };
    let actor = views::actor_json(&views::user_actor(&caller.user));
    let message = ai::timeline_message(&caller.user.name, &change, &title);
    let tid = new_id(cx.now);
    let t = timeline(&tid, &actor, &change, &message);
    if !cx.db.update_action_item(&row, &e, Some(&t), cx.now).await? {
        return Err(ApiError::Conflict("the action item was changed by someone else meanwhile; reload it and try again".into()));
    }
    cx.after.deliver();
    let now_row = cx.db.action_item(&org, id).await?.ok_or(ApiError::NotFound("action item"))?;
    json(200, &item_view(&now_row, cx.now))
}

/// The cron's sweep: owners of open items past due get one summary push a day (how many, and
/// the first titles). Returns how many summaries this run sent.
pub async fn remind_overdue(db: &Db, now: i64) -> ApiResult<usize> {
    let before = ai::remind_before(now);
    // (org, owner) → their remindable items, most overdue first (the query's order).
    let mut owners: std::collections::BTreeMap<(String, String), Vec<db::DueItemRow>> = Default::default();
    for d in db.due_action_item_reminders(now, before, 200).await? {
        let status: ItemStatus = d.status.parse().unwrap_or(ItemStatus::Open);
        let Some(owner) = d.owner_id.clone() else { continue };
        if ai::should_remind(status, d.due_at, Some(&owner), d.reminded_at, now) {
            owners.entry((d.org_id.clone(), owner)).or_default().push(d);
        }
    }
    let mut sent = 0;
    for ((org, owner), items) in owners.into_iter().take(50) {
        let titles: Vec<&str> = items.iter().map(|d| d.title.as_str()).collect();
        let ids: Vec<&str> = items.iter().map(|d| d.id.as_str()).collect();
        let payload = serde_json::to_string(&ai::reminder_payload(&titles))?;
        // One id per owner and run: it names the push rows this summary queues.
        if db.remind_owner(&org, &owner, &ids, &new_id(now), before, &payload, now).await? {
            sent += 1;
        }
    }
    Ok(sent)
}
