//! On-call API: schedules and overrides, escalation policies, who is on call, and an incident's
//! escalation (escalate now, the notifications decided for it).

use tocsin_domain::ics::FeedShift;
use serde_json::{json, Value};
use tocsin_domain::api::oncall::FeedKind;
use tocsin_domain::api::{EscalationState, IncidentNotifications, Notification, OnCallNow, PageDelivery, OnCallSchedule};
use tocsin_domain::coverage::on_call_people;
use tocsin_domain::audit::Action;
use tocsin_domain::auth::{Permission, Role};
use tocsin_domain::ids::IncidentId;
use tocsin_domain::escalation::{Policy, Target};
use tocsin_domain::ids::UserId;
use tocsin_domain::schedule::{on_call, Layer};
use tocsin_domain::validation::{time_zone, FieldError, Fields};
use worker::Response;

use super::{json, views, Cx};
use crate::crypto::new_id;
use crate::error::{ApiError, ApiResult};
use crate::escalate::{load_schedules, run_incident};


fn parse<T: serde::de::DeserializeOwned>(v: &Value, field: &str) -> ApiResult<T> {
    serde_json::from_value(v.get(field).cloned().unwrap_or(Value::Null)).map_err(|e| ApiError::Invalid(FieldError::new(field, e.to_string())))
}

pub async fn create_schedule(cx: &mut Cx) -> ApiResult<Response> {
    let caller = cx.caller().await?;
    caller.require(Permission::Administer)?;
    let v = cx.json_value().await?;
    let f = Fields::new(&v)?;
    let name = f.req_line("name", 100)?;
    let tz = time_zone("time_zone", f.opt_str("time_zone", 64)?)?;
    let layers: Vec<Layer> = parse(&v, "layers")?;
    check_layers(cx, caller.org_id(), &layers).await?;
    let id = new_id(cx.now);
    let audit = cx.audit(&caller, Action::ScheduleCreated, Some(&id)).after(json!({"name": name, "time_zone": tz, "layers": layers}));
    cx.db.insert_schedule(&id, caller.org_id(), &name, &tz, &serde_json::to_string(&layers)?, cx.now, &audit).await?;
    json(201, &json!({"id": id, "name": name}))
}

/// `GET /api/oncall?at=…` (default now): who is on call in every schedule.
pub async fn who_is_on_call(cx: &Cx) -> ApiResult<Response> {
    let caller = cx.caller().await?;
    let at = match cx.query("at") {
        Some(a) => chrono::DateTime::parse_from_rfc3339(&a).map(|t| t.timestamp_millis()).map_err(|_| ApiError::field("at", "must be an RFC 3339 time"))?,
        None => cx.now,
    };
    let names: std::collections::HashMap<String, String> = cx.db.user_names(caller.org_id()).await?.into_iter().collect();
    let active: std::collections::HashSet<String> = cx.db.active_user_ids(caller.org_id()).await?.into_iter().collect();
    let mut schedules: Vec<OnCallSchedule> = load_schedules(&cx.db, caller.org_id(), at)
        .await?
        .into_iter()
        .map(|(id, (name, s))| {
            let (on_call, uncovered) = on_call_people(on_call(&s, views::time(at)), |u| names.get(u.as_str()).cloned().unwrap_or_default(), |u| active.contains(u.as_str()));
            OnCallSchedule { schedule_id: id, name, on_call, uncovered }
        })
        .collect();
    schedules.sort_by(|a, b| a.name.cmp(&b.name));
    json(200, &OnCallNow { at: views::time(at), schedules })
}

/// Overrides: responders may cover a span themselves; admins may put anyone on call.
pub async fn create_override(cx: &mut Cx, schedule_id: &str) -> ApiResult<Response> {
    let caller = cx.caller().await?;
    caller.require(Permission::Respond)?;
    let v = cx.json_value().await?;
    let f = Fields::new(&v)?;
    let user = f.opt_str("user_id", 64)?.unwrap_or_else(|| caller.user.id.clone());
    if user != caller.user.id && caller.role != Role::Admin {
        return Err(ApiError::Forbidden("responders may only put themselves on call"));
    }
    // An override for someone who does not exist would silently page nobody.
    if !cx.db.active_user_ids(caller.org_id()).await?.contains(&user) {
        return Err(ApiError::field("user_id", "no such user in this organisation"));
    }
    let time = |k: &str| -> ApiResult<i64> {
        let raw = f.req_str(k, 40)?;
        chrono::DateTime::parse_from_rfc3339(&raw).map(|t| t.timestamp_millis()).map_err(|_| ApiError::field(k, "must be an RFC 3339 time"))
    };
    let (start, end) = (time("start")?, time("end")?);
    if end <= start {
        return Err(ApiError::field("end", "must be after start"));
    }
    if !cx.db.schedules(caller.org_id()).await?.iter().any(|s| s.id == schedule_id) {
        return Err(ApiError::NotFound("schedule"));
    }
    let id = new_id(cx.now);
    let audit = cx.audit(&caller, Action::OverrideCreated, Some(&id)).after(json!({"schedule_id": schedule_id, "user_id": user, "start": f.req_str("start", 40)?, "end": f.req_str("end", 40)?}));
    cx.db.insert_override(&id, caller.org_id(), schedule_id, &user, start, end, &caller.user.id, cx.now, &audit).await?;
    json(201, &json!({"id": id, "user_id": user}))
}

pub async fn create_policy(cx: &mut Cx) -> ApiResult<Response> {
    let caller = cx.caller().await?;
    caller.require(Permission::Administer)?;
    let v = cx.json_value().await?;
    let (name, policy) = policy_from(cx, caller.org_id(), &v).await?;
    let id = new_id(cx.now);
    let audit = cx.audit(&caller, Action::PolicyCreated, Some(&id)).after(json!({"name": name, "policy": policy}));
    cx.db.insert_policy(&id, caller.org_id(), &name, &serde_json::to_string(&policy)?, cx.now, &audit).await?;
    json(201, &json!({"id": id, "name": name}))
}

pub async fn list_policies(cx: &Cx) -> ApiResult<Response> {
    let caller = cx.caller().await?;
    let escalation_policies = cx
        .db
        .policies(caller.org_id())
        .await?
        .into_iter()
        .filter_map(|p| Some(tocsin_domain::api::PolicyView { policy: serde_json::from_str(&p.policy).ok()?, id: p.id, name: p.name }))
        .collect();
    json(200, &tocsin_domain::api::PolicyList { escalation_policies })
}

/// `PUT /api/services/{id}/escalation-policy` `{"policy_id": "…" | null}`.
pub async fn set_service_policy(cx: &mut Cx, service_id: &str) -> ApiResult<Response> {
    let caller = cx.caller().await?;
    caller.require(Permission::Administer)?;
    let v = cx.json_value().await?;
    let policy = Fields::new(&v)?.opt_str("policy_id", 64)?;
    let audit = cx.audit(&caller, Action::ServicePolicySet, Some(service_id)).after(json!({"escalation_policy_id": policy}));
    if !cx.db.set_service_policy(caller.org_id(), service_id, policy.as_deref(), cx.now, &audit).await? {
        return Err(ApiError::NotFound("service or escalation policy"));
    }
    json(200, &json!({"service_id": service_id, "policy_id": policy}))
}

pub async fn escalate_now(cx: &Cx, incident_id: &str) -> ApiResult<Response> {
    let caller = cx.caller().await?;
    caller.require(Permission::Respond)?;
    if !cx.db.escalate_now(caller.org_id(), incident_id, cx.now).await? {
        return Err(ApiError::Conflict("this incident has no escalation step left to run".into()));
    }
    cx.after.escalation_due();
    let stepped = run_incident(&cx.db, incident_id, cx.now).await?;
    let steps = stepped.steps;
    cx.after.paged(stepped);
    json(200, &json!({"steps": steps}))
}

pub async fn notifications(cx: &Cx, incident_id: &str) -> ApiResult<Response> {
    let caller = cx.caller().await?;
    let e = cx.db.escalation(incident_id).await?;
    let deliveries = cx.db.page_deliveries_of(caller.org_id(), incident_id).await?;
    let of_page = |outbox_id: &str| -> Vec<PageDelivery> {
        deliveries
            .iter()
            .filter(|d| d.source == format!("outbox:{outbox_id}") || d.source.starts_with(&format!("repeat:{outbox_id}:")))
            .map(|d| PageDelivery {
                channel: d.channel.clone(),
                device: d.device.clone(),
                state: d.state.clone(),
                status: d.status.and_then(|s| u16::try_from(s).ok()),
                repeat: d.source.starts_with("repeat:"),
                at: views::time(d.last_at.unwrap_or(d.created_at)),
            })
            .collect()
    };
    let notifications = cx
        .db
        .outbox_of(caller.org_id(), incident_id)
        .await?
        .into_iter()
        .map(|o| Notification {
            deliveries: of_page(&o.id),
            user_name: o.user_name.unwrap_or_else(|| o.user_id.clone()),
            id: o.id,
            incident_id: IncidentId(o.incident_id),
            user_id: UserId(o.user_id),
            cycle: o.cycle,
            level: o.level + 1,
            reason: o.reason,
            state: o.state,
            created_at: views::time(o.created_at),
            next_repeat_at: o.next_repeat_at.map(views::time),
        })
        .collect();
    let escalation = e.filter(|e| e.org_id == caller.org_id()).map(|e| EscalationState {
        cycle: e.cycle,
        level: e.level + 1,
        next_at: e.next_at.map(views::time),
        incident_number: e.number,
    });
    json(200, &IncidentNotifications { notifications, escalation })
}

const FEED_DAYS: i64 = 60;

/// `POST /api/schedules/{id}/calendar-feed` or `POST /api/users/me/calendar-feed`: a new
/// subscription URL (its token is shown once). `subject`: the schedule's id; a personal feed is
/// always the caller's own.
pub async fn create_calendar_feed(cx: &Cx, kind: FeedKind, subject: Option<&str>) -> ApiResult<Response> {
    let caller = cx.caller().await?;
    // A feed's link works until it is revoked, whatever becomes of a token.
    caller.require_signed_in("an API token cannot create a calendar feed: sign in to create one")?;
    let subject = match kind {
        FeedKind::Schedule => {
            let id = subject.unwrap_or_default();
            if !cx.db.schedules(caller.org_id()).await?.iter().any(|s| s.id == id) {
                return Err(ApiError::NotFound("schedule"));
            }
            id.to_string()
        }
        FeedKind::User => caller.user.id.clone(),
    };
    let secret = crate::crypto::new_secret("tcf_");
    let id = new_id(cx.now);
    let audit = cx.audit(&caller, Action::CalendarFeedCreated, Some(&id)).after(json!({"kind": kind, "subject_id": subject}));
    cx.db.insert_calendar_feed(&id, caller.org_id(), kind, &subject, &crate::crypto::sha256_hex(&secret), &caller.user.id, cx.now, &audit).await?;
    let path = match kind {
        FeedKind::Schedule => format!("/api/schedules/{subject}/calendar.ics"),
        FeedKind::User => format!("/api/users/{subject}/oncall.ics"),
    };
    json(201, &json!({"id": id, "url": format!("{}{path}?token={secret}", cx.origin())}))
}

/// `GET /api/calendar-feeds`: the live feeds the caller may revoke (the domain's rule for
/// revoking decides which are listed), without their links.
pub async fn list_calendar_feeds(cx: &Cx) -> ApiResult<Response> {
    use tocsin_domain::api::oncall::{CalendarFeedList, CalendarFeedView};
    let caller = cx.caller().await?;
    let feeds = cx
        .db
        .calendar_feeds(caller.org_id(), (caller.role != tocsin_domain::auth::Role::Admin).then_some(caller.user.id.as_str()))
        .await?
        .into_iter()
        .filter(|f| {
            tocsin_domain::auth::may_revoke_feed(caller.role, &caller.user.id, f.created_by.as_deref(), f.kind.personal(&f.subject_id))
        })
        .map(|f| CalendarFeedView {
            kind: f.kind,
            subject_name: f.subject_name.unwrap_or_default(),
            created_at: views::time(f.created_at),
            created_by: f.created_by_name,
            id: f.id,
            subject_id: f.subject_id,
        })
        .collect();
    json(200, &CalendarFeedList { feeds })
}

/// Revoking a feed: whoever made it, the person whose own feed it is, or an admin.
pub async fn revoke_calendar_feed(cx: &Cx, id: &str) -> ApiResult<Response> {
    let caller = cx.caller().await?;
    let feed = cx.db.calendar_feed_by_id(caller.org_id(), id).await?.ok_or(ApiError::NotFound("calendar feed"))?;
    if !tocsin_domain::auth::may_revoke_feed(caller.role, &caller.user.id, feed.created_by.as_deref(), feed.kind.personal(&feed.subject_id)) {
        return Err(ApiError::Forbidden("only the feed's owner or an admin may revoke it"));
    }
    let audit = cx.audit(&caller, Action::CalendarFeedRevoked, Some(id)).before(json!({"kind": feed.kind, "subject_id": feed.subject_id}));
    if !cx.db.revoke_calendar_feed(caller.org_id(), id, cx.now, &audit).await? {
        return Err(ApiError::NotFound("calendar feed"));
    }
    Ok(Response::empty()?.with_status(204))
}

/// The ICS document for a subscription: calendar apps fetch it without a session, with the token.
pub async fn calendar(cx: &Cx, kind: FeedKind, subject: &str) -> ApiResult<Response> {
    let token = cx.query("token").unwrap_or_default();
    let feed = cx
        .db
        .calendar_feed(&crate::crypto::sha256_hex(&token))
        .await?
        .filter(|f| f.kind == kind && f.subject_id == subject)
        .ok_or(ApiError::NotFound("calendar (the link is wrong or was revoked)"))?;
    // Shifts ending after today's start, each with its real start (see `ics::window`): the same
    // events, times and UIDs on every fetch, so calendar apps see no new event each refresh.
    let (from, today, to) = tocsin_domain::ics::window(views::time(cx.now), FEED_DAYS);
    // With every override since the window's start: one that ended yesterday still splits the
    // shift under way (without it, the shift would merge and change its start and UID).
    let schedules = load_schedules(&cx.db, &feed.org_id, from.timestamp_millis() + 86_400_000).await?;
    let names: std::collections::HashMap<String, String> = cx.db.user_names(&feed.org_id).await?.into_iter().collect();
    let of = |id: &'_ str| -> Vec<tocsin_domain::schedule::Shift> {
        schedules.get(id).map(|(_, s)| tocsin_domain::schedule::shifts(s, from, to)).unwrap_or_default().into_iter().filter(|sh| sh.end > today).collect()
    };
    let (title, shifts) = match kind {
        FeedKind::Schedule => {
            let (name, _) = schedules.get(subject).ok_or(ApiError::NotFound("schedule"))?;
            let shifts = of(subject).into_iter().map(|shift| FeedShift { schedule_id: subject, schedule_name: name, shift }).collect();
            (name.clone(), shifts)
        }
        FeedKind::User => {
            let me = UserId(subject.to_string());
            let mut all: Vec<FeedShift> = schedules
                .iter()
                .flat_map(|(id, (name, _))| {
                    of(id).into_iter().filter(|sh| sh.users.contains(&me)).map(|sh| FeedShift {
                        schedule_id: id,
                        schedule_name: name,
                        shift: tocsin_domain::schedule::Shift { users: vec![me.clone()], ..sh },
                    })
                })
                .collect();
            all.sort_by(|a, b| (a.shift.start, a.schedule_name).cmp(&(b.shift.start, b.schedule_name)));
            (format!("{} on call", names.get(subject).cloned().unwrap_or_default()), all)
        }
    };
    let body = tocsin_domain::ics::calendar(&title, &format!("{}:{subject}", kind.as_str()), &shifts, |u| names.get(u).cloned().unwrap_or_else(|| u.to_string()), views::time(cx.now));
    let mut resp = Response::ok(body)?;
    resp.headers_mut().set("Content-Type", "text/calendar; charset=utf-8")?;
    resp.headers_mut().set("Cache-Control", "private, max-age=300")?;
    Ok(resp)
}

/// Each layer's turns and the final rota for `days` (default 14, at most 60) from `from` (default now).
pub async fn timeline(cx: &Cx, id: &str) -> ApiResult<Response> {
    use tocsin_domain::api::{ScheduleTimeline, TimelineRow, TimelineShift};
    use tocsin_domain::schedule::{shifts, Schedule};
    let caller = cx.caller().await?;
    let days: i64 = cx.query("days").and_then(|d| d.parse().ok()).filter(|d| (1..=60).contains(d)).unwrap_or(14);
    let names: std::collections::HashMap<String, String> = cx.db.user_names(caller.org_id()).await?.into_iter().collect();
    let active: std::collections::HashSet<String> = cx.db.active_user_ids(caller.org_id()).await?.into_iter().collect();
    // `from` (RFC 3339, default now): render another stretch, e.g. to compare with an imported
    // schedule's own rendering.
    let start = match cx.query("from") {
        Some(f) => chrono::DateTime::parse_from_rfc3339(&f).map(|t| t.timestamp_millis()).map_err(|_| ApiError::field("from", "must be an RFC 3339 time"))?,
        None => cx.now,
    };
    // Overrides since the rendered start (a past stretch shows the overrides that were in it).
    let schedules = load_schedules(&cx.db, caller.org_id(), start.min(cx.now) + 86_400_000).await?;
    let (name, s) = schedules.get(id).ok_or(ApiError::NotFound("schedule"))?;
    let (from, to) = (views::time(start), views::time(start + days * 86_400_000));
    let row = |label: String, list: Vec<tocsin_domain::schedule::Shift>| TimelineRow {
        name: label,
        shifts: list
            .into_iter()
            .map(|sh| {
                let (people, uncovered) = on_call_people(sh.users, |u| names.get(u.as_str()).cloned().unwrap_or_default(), |u| active.contains(u.as_str()));
                TimelineShift { people, start: sh.start, end: sh.end, uncovered }
            })
            .collect(),
    };
    let layers = s
        .layers
        .iter()
        .map(|l| row(l.name.clone(), shifts(&Schedule { time_zone: s.time_zone, layers: vec![l.clone()], overrides: vec![] }, from, to)))
        .collect();
    json(
        200,
        &ScheduleTimeline {
            schedule_id: id.to_string(),
            name: name.clone(),
            time_zone: s.time_zone.name().to_string(),
            from,
            to,
            layers,
            final_row: row("Final".into(), shifts(s, from, to)),
        },
    )
}

pub async fn list_schedules(cx: &Cx) -> ApiResult<Response> {
    let caller = cx.caller().await?;
    let list: Vec<Value> = cx
        .db
        .schedules(caller.org_id())
        .await?
        .into_iter()
        .map(|s| json!({"id": s.id, "name": s.name, "time_zone": s.time_zone, "layers": serde_json::from_str::<Value>(&s.layers).unwrap_or(Value::Null)}))
        .collect();
    json(200, &json!({"schedules": list}))
}

/// `PUT /api/schedules/{id}`: replaces name, time zone and layers.
pub async fn update_schedule(cx: &mut Cx, id: &str) -> ApiResult<Response> {
    let caller = cx.caller().await?;
    caller.require(Permission::Administer)?;
    let v = cx.json_value().await?;
    let f = Fields::new(&v)?;
    let name = f.req_line("name", 100)?;
    let tz = time_zone("time_zone", f.opt_str("time_zone", 64)?)?;
    let layers: Vec<Layer> = parse(&v, "layers")?;
    check_layers(cx, caller.org_id(), &layers).await?;
    let before = cx.db.schedules(caller.org_id()).await?.into_iter().find(|s| s.id == id).ok_or(ApiError::NotFound("schedule"))?;
    let team = owner_team(cx, caller.org_id(), &v).await?;
    let audit = cx
        .audit(&caller, Action::ScheduleUpdated, Some(id))
        .before(json!({"name": before.name, "time_zone": before.time_zone, "layers": serde_json::from_str::<Value>(&before.layers).unwrap_or(Value::Null)}))
        .after(json!({"name": name, "time_zone": tz, "layers": layers}));
    if !cx.db.update_schedule(caller.org_id(), id, &name, &tz, &serde_json::to_string(&layers)?, cx.now, &audit).await? {
        return Err(ApiError::NotFound("schedule"));
    }
    set_team(cx, &caller, crate::db::OwnedBy::Schedule, Action::ScheduleUpdated, id, team).await?;
    json(200, &json!({"id": id, "name": name}))
}

pub async fn delete_schedule(cx: &Cx, id: &str) -> ApiResult<Response> {
    let caller = cx.caller().await?;
    caller.require(Permission::Administer)?;
    let audit = cx.audit(&caller, Action::ScheduleDeleted, Some(id));
    if !cx.db.delete_schedule(caller.org_id(), id, &audit).await? {
        return Err(ApiError::NotFound("schedule"));
    }
    Ok(Response::empty()?.with_status(204))
}

/// Removing an override: your own, or anyone's as an admin.
pub async fn delete_override(cx: &Cx, schedule_id: &str, id: &str) -> ApiResult<Response> {
    let caller = cx.caller().await?;
    caller.require(Permission::Respond)?;
    let only_mine = (caller.role != Role::Admin).then_some(caller.user.id.as_str());
    let audit = cx.audit(&caller, Action::OverrideDeleted, Some(id)).before(json!({"schedule_id": schedule_id}));
    if !cx.db.delete_override(caller.org_id(), schedule_id, id, only_mine, &audit).await? {
        return Err(ApiError::NotFound("override (or it is someone else's)"));
    }
    Ok(Response::empty()?.with_status(204))
}

async fn policy_from(cx: &Cx, org: &str, v: &Value) -> ApiResult<(String, Policy)> {
    let name = Fields::new(v)?.req_line("name", 100)?;
    let policy = Policy { levels: parse(v, "levels")?, repeats: v.get("repeats").and_then(Value::as_u64).unwrap_or(0) as u32 };
    policy.validate()?;
    let users = cx.db.active_user_ids(org).await?;
    let schedules: Vec<String> = cx.db.schedules(org).await?.into_iter().map(|s| s.id).collect();
    for (i, l) in policy.levels.iter().enumerate() {
        for t in &l.targets {
            let known = match t {
                Target::User(UserId(u)) => users.contains(u),
                Target::Schedule(s) => schedules.contains(s),
            };
            if !known {
                return Err(ApiError::field(&format!("levels[{i}].targets"), format!("no such user or schedule: {t:?}")));
            }
        }
    }
    Ok((name, policy))
}

/// `PUT /api/escalation-policies/{id}`: later incidents use the new version; running escalations
/// keep the snapshot they started with.
pub async fn update_policy(cx: &mut Cx, id: &str) -> ApiResult<Response> {
    let caller = cx.caller().await?;
    caller.require(Permission::Administer)?;
    let v = cx.json_value().await?;
    let (name, policy) = policy_from(cx, caller.org_id(), &v).await?;
    let before = cx.db.policy(caller.org_id(), id).await?.ok_or(ApiError::NotFound("escalation policy"))?;
    let team = owner_team(cx, caller.org_id(), &v).await?;
    let audit = cx
        .audit(&caller, Action::PolicyUpdated, Some(id))
        .before(json!({"name": before.name, "policy": serde_json::from_str::<Value>(&before.policy).unwrap_or(Value::Null)}))
        .after(json!({"name": name, "policy": policy}));
    if !cx.db.update_policy(caller.org_id(), id, &name, &serde_json::to_string(&policy)?, cx.now, &audit).await? {
        return Err(ApiError::NotFound("escalation policy"));
    }
    set_team(cx, &caller, crate::db::OwnedBy::Policy, Action::PolicyUpdated, id, team).await?;
    json(200, &json!({"id": id, "name": name}))
}

/// `team_id` in a schedule's or policy's body: absent → keep (None), `null` → clear, an id →
/// that team (400 naming `team_id` when it is not one of the organisation's).
async fn owner_team(cx: &Cx, org_id: &str, v: &Value) -> ApiResult<Option<Option<String>>> {
    match v.get("team_id") {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(Value::String(t)) => {
            super::services::known_team(cx, org_id, Some(t)).await?;
            Ok(Some(Some(t.clone())))
        }
        Some(_) => Err(ApiError::field("team_id", "must be a team id, or null")),
    }
}

/// Writes a changed owning team (audited; nothing when it is the same).
async fn set_team(cx: &Cx, caller: &crate::auth::Caller, what: crate::db::OwnedBy, action: Action, id: &str, team: Option<Option<String>>) -> ApiResult<()> {
    let Some(team) = team else { return Ok(()) };
    let before = cx.db.owner_team(what, caller.org_id(), id).await?;
    let audit = cx.audit(caller, action, Some(id)).before(json!({"team_id": before})).after(json!({"team_id": team}));
    cx.db.set_owner_team(what, caller.org_id(), id, team.as_deref(), &audit).await?;
    Ok(())
}

pub async fn delete_policy(cx: &Cx, id: &str) -> ApiResult<Response> {
    let caller = cx.caller().await?;
    caller.require(Permission::Administer)?;
    let audit = cx.audit(&caller, Action::PolicyDeleted, Some(id));
    if !cx.db.delete_policy(caller.org_id(), id, cx.now, &audit).await? {
        return Err(ApiError::NotFound("escalation policy"));
    }
    Ok(Response::empty()?.with_status(204))
}

/// `POST /api/incidents/{id}/reassign` `{"user_id"}` (page that person now, nothing further) or
/// `{"policy_id"}` (run that policy from level 1). An acknowledged incident goes back to
/// triggered, so the new assignee acknowledges it.
pub async fn reassign(cx: &mut Cx, incident_id: &str) -> ApiResult<Response> {
    let caller = cx.caller().await?;
    caller.require(Permission::Respond)?;
    let org = caller.org_id().to_string();
    let incident = cx.db.incident(&org, incident_id).await?.ok_or(ApiError::NotFound("incident"))?;
    let status: tocsin_domain::incident::IncidentStatus = incident.status.parse()?;
    let transition = tocsin_domain::incident::apply(status, tocsin_domain::incident::IncidentAction::Unacknowledge)?;
    let v = cx.json_value().await?;
    let f = Fields::new(&v)?;
    let actor = views::actor_json(&views::user_actor(&caller.user));
    let names: std::collections::HashMap<String, String> = cx.db.user_names(&org).await?.into_iter().collect();
    // Validate first: an unknown person or policy changes nothing (no un-acknowledge, no page).
    enum To {
        User(String, String),
        Policy(crate::db::PolicyRow),
    }
    let to = match (f.opt_str("user_id", 64)?, f.opt_str("policy_id", 64)?) {
        (Some(user), None) => {
            let name = names.get(&user).cloned().ok_or_else(|| ApiError::field("user_id", "no such user"))?;
            if !cx.db.active_user_ids(&org).await?.contains(&user) {
                return Err(ApiError::field("user_id", "this person is deactivated"));
            }
            To::User(user, name)
        }
        (None, Some(policy_id)) => To::Policy(cx.db.policy(&org, &policy_id).await?.ok_or_else(|| ApiError::field("policy_id", "no such escalation policy"))?),
        _ => return Err(ApiError::field("body", "give either user_id or policy_id")),
    };
    // Back to triggered in the reassignment's own batch: never triggered with the old policy's
    // step due, nor with none.
    let (back_id, back_message) = (new_id(cx.now), format!("Back to triggered: reassigned by {}", caller.user.name));
    let back = matches!(transition, tocsin_domain::incident::Transition::Changed { .. })
        .then(|| crate::db::Back { timeline_id: &back_id, actor: &actor, message: &back_message });
    match to {
        To::User(user, name) => {
            let message = format!("Reassigned to {name} by {}", caller.user.name);
            let page = new_id(cx.now);
            let policy = serde_json::to_string(&tocsin_domain::escalation::Policy::assignee(tocsin_domain::ids::UserId(user.clone())))?;
            cx.db.reassign_to_user(&org, incident_id, &user, &policy, &page, "reassigned", back.as_ref(), &new_id(cx.now), &actor, &message, cx.now).await?;
            // The page to the new assignee goes out right after the response, as an escalation's.
            cx.after.deliver();
            cx.after.paged(crate::escalate::Stepped { pages: vec![page], ..Default::default() });
        }
        To::Policy(p) => {
            cx.db.restart_escalation(&org, incident_id, &p.policy, back.as_ref(), cx.now).await?;
            cx.after.escalation_due();
            let stepped = run_incident(&cx.db, incident_id, cx.now).await?;
            cx.after.paged(stepped);
        }
    }
    notifications(cx, incident_id).await
}

async fn check_layers(cx: &Cx, org: &str, layers: &[Layer]) -> ApiResult<()> {
    let users = cx.db.active_user_ids(org).await?;
    for (i, l) in layers.iter().enumerate() {
        if l.participants.is_empty() {
            return Err(ApiError::field(&format!("layers[{i}].participants"), "needs at least one person"));
        }
        if let Some(p) = l.participants.iter().find(|p| !users.contains(&p.0)) {
            return Err(ApiError::field(&format!("layers[{i}].participants"), format!("no such user: {p}")));
        }
    }
    Ok(())
}
