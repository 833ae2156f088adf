//! Responders of an incident: suggestions by expertise and on-call, requests (people, whoever is
//! on call on a schedule, a policy's first level) paged through the delivery pipeline with
//! **Join** / **Decline**, the answers (with a session or the notification's action token), and
//! the cron's "no answer" after `NO_ANSWER_MINUTES`.

use std::collections::HashMap;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use tocsin_domain::action_token::{self, Purpose, TokenError};
use tocsin_domain::api::responders::{
    PersonRef, RequestRespondersRequest, Responder, ResponderAnswerRequest, ResponderAnswered, ResponderList, ResponderSuggestion, ResponderSuggestions, RespondersRequested,
};
use tocsin_domain::api::{Actor, ActorKind};
use tocsin_domain::auth::Permission;
use tocsin_domain::escalation::{Policy, Target};
use tocsin_domain::ids::UserId;
use tocsin_domain::incident::Severity;
use tocsin_domain::notification::PageSubject;
use tocsin_domain::responders::{self as rules, Answer, Candidate, ResponderState};
use tocsin_domain::schedule::on_call;
use worker::Response;

use super::auth::text;
use super::{json, views, Cx};
use crate::crypto::new_id;
use crate::db::{Db, IncidentRow, NewDelivery, NewRequest, ResponderRow, UserRow};
use crate::error::{ApiError, ApiResult};

pub fn responder_view(r: &ResponderRow) -> Responder {
    Responder {
        user: PersonRef { id: UserId(r.user_id.clone()), name: r.name.clone() },
        state: r.state.parse().unwrap_or(ResponderState::Requested),
        requested_by: serde_json::from_str(&r.requested_by).unwrap_or(Actor { kind: ActorKind::System, id: None, name: "Tocsin".into() }),
        requested_at: views::time(r.requested_at),
        answered_at: r.answered_at.map(views::time),
        message: r.message.clone(),
    }
}

/// The incident's responders, for its detail.
pub async fn list_of(db: &Db, org_id: &str, incident_id: &str) -> ApiResult<Vec<Responder>> {
    Ok(db.responders(org_id, incident_id).await?.iter().map(responder_view).collect())
}

/// `GET /api/incidents/{id}/responders`.
pub async fn list(cx: &Cx, id: &str) -> ApiResult<Response> {
    let caller = cx.caller().await?;
    cx.db.incident(caller.org_id(), id).await?.ok_or(ApiError::NotFound("incident"))?;
    json(200, &ResponderList { responders: list_of(&cx.db, caller.org_id(), id).await? })
}

/// Who is on call now, per person: the names of their schedules.
async fn on_call_now(db: &Db, org_id: &str, now: i64) -> ApiResult<HashMap<String, Vec<String>>> {
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    for (_, (name, s)) in crate::escalate::load_schedules(db, org_id, now).await? {
        for u in on_call(&s, views::time(now)) {
            out.entry(u.0).or_default().push(name.clone());
        }
    }
    Ok(out)
}

/// `GET /api/incidents/{id}/responder-suggestions`: ranked by the domain (on call now first,
/// then matching expertise, then name); never deactivated people or those already responding.
pub async fn suggestions(cx: &Cx, id: &str) -> ApiResult<Response> {
    let caller = cx.caller().await?;
    let org = caller.org_id();
    cx.db.incident(org, id).await?.ok_or(ApiError::NotFound("incident"))?;
    let expertise = cx.db.incident_expertise(org, id).await?;
    let responding: HashMap<String, ResponderState> = cx.db.responders(org, id).await?.into_iter().filter_map(|r| Some((r.user_id, r.state.parse().ok()?))).collect();
    let on_call = on_call_now(&cx.db, org, cx.now).await?;
    let candidates: Vec<Candidate> = cx
        .db
        .candidates(org)
        .await?
        .into_iter()
        .map(|u| Candidate {
            responding: responding.get(&u.id).is_some_and(|s| s.is_responding()),
            on_call: on_call.get(&u.id).cloned().unwrap_or_default(),
            expertise: tocsin_domain::expertise::parse_stored(&u.expertise),
            // Invited people who never set a password cannot answer either.
            deactivated: u.deactivated_at.is_some() || u.password_hash_set == 0,
            user_id: u.id,
            name: u.name,
        })
        .collect();
    let suggestions = rules::suggest(&expertise, &candidates)
        .into_iter()
        .map(|s| ResponderSuggestion { user: PersonRef { id: UserId(s.user_id), name: s.name }, on_call: s.on_call, matches: s.matches, reasons: s.reasons })
        .collect();
    json(200, &ResponderSuggestions { expertise, suggestions })
}

/// The people a request names, validated: unknown → 400 naming the field, deactivated → 409.
async fn wanted(cx: &Cx, org: &str, r: &RequestRespondersRequest) -> ApiResult<(Vec<String>, String)> {
    let given = [r.user_ids.is_some(), r.schedule_id.is_some(), r.policy_id.is_some()].iter().filter(|b| **b).count();
    if given != 1 {
        return Err(ApiError::field("user_ids", "give exactly one of user_ids, schedule_id or policy_id"));
    }
    let users: HashMap<String, UserRow> = cx.db.org_users(org).await?.into_iter().map(|u| (u.id.clone(), u)).collect();
    if let Some(ids) = &r.user_ids {
        if ids.is_empty() || ids.len() > rules::MAX_PER_REQUEST {
            return Err(ApiError::field("user_ids", format!("must name 1 to {} people", rules::MAX_PER_REQUEST)));
        }
        for (i, u) in ids.iter().enumerate() {
            match users.get(u.as_str()) {
                None => return Err(ApiError::field(&format!("user_ids[{i}]"), "no such user in this organisation")),
                Some(row) if row.deactivated_at.is_some() => return Err(ApiError::Conflict(format!("user_ids[{i}]: {} is deactivated and cannot be asked to respond", row.name))),
                Some(row) if row.role == "observer" => return Err(ApiError::Conflict(format!("user_ids[{i}]: {} is an observer (read-only) and cannot respond", row.name))),
                Some(_) => {}
            }
        }
        return Ok((ids.iter().map(|u| u.0.clone()).collect(), "by name".into()));
    }
    let schedules = crate::escalate::load_schedules(&cx.db, org, cx.now).await?;
    let now = views::time(cx.now);
    // Deactivated people and observers on a schedule or policy are left out (they cannot respond).
    let active = |ids: Vec<UserId>| -> Vec<String> { ids.into_iter().map(|u| u.0).filter(|u| users.get(u).is_some_and(|r| r.deactivated_at.is_none() && r.role != "observer")).collect() };
    if let Some(sid) = &r.schedule_id {
        let (name, s) = schedules.get(sid).ok_or_else(|| ApiError::field("schedule_id", "no such schedule"))?;
        let people = active(on_call(s, now));
        if people.is_empty() {
            return Err(ApiError::Conflict(format!("schedule_id: nobody is on call on {name} now")));
        }
        return Ok((people, format!("on call on {name}")));
    }
    let pid = r.policy_id.as_deref().unwrap_or_default();
    let row = cx.db.policy(org, pid).await?.ok_or_else(|| ApiError::field("policy_id", "no such escalation policy"))?;
    let policy: Policy = serde_json::from_str(&row.policy).map_err(|e| ApiError::Internal(format!("stored policy: {e}")))?;
    let mut people = Vec::new();
    for t in policy.levels.first().map(|l| l.targets.clone()).unwrap_or_default() {
        let ids = match t {
            Target::User(u) => vec![u],
            Target::Schedule(s) => schedules.get(&s).map(|(_, s)| on_call(s, now)).unwrap_or_default(),
        };
        for u in active(ids) {
            if !people.contains(&u) {
                people.push(u);
            }
        }
    }
    if people.is_empty() {
        return Err(ApiError::Conflict(format!("policy_id: nobody on the first level of {} can be paged now", row.name)));
    }
    Ok((people, format!("first level of {}", row.name)))
}

fn subject(i: &IncidentRow) -> PageSubject<'_> {
    PageSubject { incident_id: &i.id, number: i.number, title: &i.title, severity: i.severity.parse().unwrap_or(Severity::Sev1), service: i.service_name.as_deref() }
}

/// `POST /api/incidents/{id}/responders` (responders): asks people to help. Each person really
/// asked gets a row (`requested`), a `responder.requested` timeline row and a page to each of
/// their devices, in one batch; asking someone already requested or joined does nothing.
pub async fn request(cx: &mut Cx, id: &str) -> ApiResult<Response> {
    let caller = cx.caller().await?;
    caller.require(Permission::Respond)?;
    let r: RequestRespondersRequest = cx.json().await?;
    let org = caller.org_id().to_string();
    let message = r.message.as_deref().map(str::trim).filter(|m| !m.is_empty()).map(|m| text("message", m, 500)).transpose()?;
    let incident = cx.db.incident(&org, id).await?.ok_or(ApiError::NotFound("incident"))?;
    let (people, how) = wanted(cx, &org, &r).await?;
    if incident.status == "resolved" {
        return Err(ApiError::Conflict("the incident is resolved; nobody is asked to join it".into()));
    }
    let current: HashMap<String, ResponderState> = cx.db.responders(&org, id).await?.into_iter().filter_map(|r| Some((r.user_id, r.state.parse().ok()?))).collect();
    let (ask, already) = rules::plan_request(&people, |u| current.get(u).copied());
    let names: HashMap<String, String> = cx.db.user_names(&org).await?.into_iter().collect();
    let name = |u: &str| names.get(u).cloned().unwrap_or_else(|| u.to_string());
    let actor = views::actor_json(&views::user_actor(&caller.user));
    let keys = crate::deliver::keys(&cx.db, &org).await?;
    let mut reqs = Vec::new();
    for u in &ask {
        let timeline_id = new_id(cx.now);
        let said = message.as_deref().map(|m| format!(": “{m}”")).unwrap_or_default();
        let timeline_message = format!("{} asked {} to respond ({how}){said}", caller.user.name, name(u));
        let mut deliveries = Vec::new();
        let push_on = cx.db.preferences(u).await?.map(|p| p.push != 0).unwrap_or(true);
        if let (true, Some(_)) = (push_on, &keys) {
            let payload = serde_json::to_string(&rules::request_push(&subject(&incident), u, &caller.user.name, message.as_deref()))?;
            for s in cx.db.subscriptions_of(&org, u).await? {
                deliveries.push(NewDelivery {
                    id: new_id(cx.now),
                    org_id: &org,
                    channel: "push",
                    target_id: s.id.clone(),
                    user_id: Some(u),
                    incident_id: Some(id),
                    source: format!("responder:{timeline_id}"),
                    event: "responder",
                    payload: payload.clone(),
                });
            }
        }
        reqs.push(NewRequest { user_id: u, timeline_id, timeline_message, deliveries });
    }
    let asked = cx.db.request_responders(&org, id, &actor, message.as_deref(), &reqs, cx.now).await?;
    cx.after.deliver();
    let person = |u: &str| PersonRef { id: UserId(u.to_string()), name: name(u) };
    // Someone another request asked in between counts as already asked.
    let (requested, mut late): (Vec<&str>, Vec<&str>) = ask.iter().partition(|u| asked.iter().any(|a| a == *u));
    late.extend(already);
    json(
        200,
        &RespondersRequested {
            requested: requested.into_iter().map(person).collect(),
            already: late.into_iter().map(person).collect(),
            responders: list_of(&cx.db, &org, id).await?,
        },
    )
}

/// `POST /api/incidents/{id}/responders/{user_id}/join|decline`: the person asked answers, with
/// their session, or from the notification with its action token (no session needed).
pub async fn answer(cx: &mut Cx, id: &str, user_id: &str, a: Answer) -> ApiResult<Response> {
    let bytes = cx.body(16 * 1024).await?;
    let r: ResponderAnswerRequest = if bytes.iter().all(u8::is_ascii_whitespace) {
        ResponderAnswerRequest::default()
    } else {
        serde_json::from_value(tocsin_domain::validation::parse_json(&bytes)?).map_err(|e| ApiError::field("token", e.to_string()))?
    };
    let (user, via) = match r.token.as_deref() {
        Some(token) => (by_token(cx, token, id, user_id).await?, " from a notification"),
        None => {
            let caller = cx.caller().await?;
            caller.require(Permission::Respond)?;
            let me = if user_id == "me" { caller.user.id.as_str() } else { user_id };
            if me != caller.user.id {
                return Err(ApiError::Forbidden("only the person asked can answer for themself"));
            }
            (caller.user.clone(), "")
        }
    };
    let org = user.org_id.clone();
    cx.db.incident(&org, id).await?.ok_or(ApiError::NotFound("incident"))?;
    let current = cx.db.responder(&org, id, &user.id).await?;
    let changes = rules::answer(current.as_ref().and_then(|c| c.state.parse().ok()), a).map_err(|_| ApiError::Conflict(format!("{} was not asked to respond to this incident", user.name)))?;
    let mut changed = false;
    if changes {
        let actor = views::actor_json(&views::user_actor(&user));
        let verb = match a {
            Answer::Join => "joined as a responder",
            Answer::Decline => "declined to respond",
        };
        let message = format!("{} {verb}{via}", user.name);
        changed = cx.db.answer_responder(&org, id, &user.id, a.state().as_str(), a.timeline_kind(), &new_id(cx.now), &actor, &message, cx.now).await?;
        cx.after.deliver();
    }
    let row = cx.db.responder(&org, id, &user.id).await?.ok_or(ApiError::Internal("responder vanished".into()))?;
    json(200, &ResponderAnswered { responder: responder_view(&row), changed })
}

/// The person an action token of purpose `Respond` stands for, checked against the route.
async fn by_token(cx: &Cx, token: &str, incident_id: &str, user_id: &str) -> ApiResult<UserRow> {
    let unauthorised = |e: TokenError| match e {
        TokenError::Expired => ApiError::Unauthenticated("the action token has expired; open the incident in Tocsin instead"),
        TokenError::WrongPurpose => ApiError::Forbidden("the action token is not for this action"),
        _ => ApiError::Unauthenticated("the action token is not valid"),
    };
    let org_id = action_token::unverified_org(token).map_err(unauthorised)?;
    let keys = crate::deliver::keys(&cx.db, &org_id).await?.ok_or(ApiError::Unauthenticated("the action token is not valid"))?;
    let key = URL_SAFE_NO_PAD.decode(&keys.action_key).map_err(|_| ApiError::Internal("stored action key is not base64url".into()))?;
    let claims = action_token::verify(&key, token, Purpose::Respond, cx.now / 1000).map_err(unauthorised)?;
    if claims.incident_id != incident_id || claims.user_id != user_id {
        return Err(ApiError::Forbidden("the action token is for another incident or person"));
    }
    let user = cx
        .db
        .user_by_id(&claims.org_id, &claims.user_id)
        .await?
        .filter(|u| u.deactivated_at.is_none())
        .ok_or(ApiError::Unauthenticated("the person this token was issued to no longer exists or was deactivated"))?;
    if user.role == "observer" {
        return Err(ApiError::Forbidden("your role is read-only (observer)"));
    }
    Ok(user)
}

/// The cron: requests unanswered for `NO_ANSWER_MINUTES` become `no_answer`, each with its
/// timeline row. Returns how many.
pub async fn sweep_no_answer(db: &Db, now: i64) -> ApiResult<usize> {
    let due = db.unanswered_requests(now - rules::NO_ANSWER_MINUTES * 60_000, 100).await?;
    let system = views::actor_json(&Actor { kind: ActorKind::System, id: None, name: "Tocsin".into() });
    let mut n = 0;
    for r in due.iter().filter(|r| rules::no_answer_due(r.requested_at, now)) {
        let message = format!("No answer from {} after {} minutes", r.name, rules::NO_ANSWER_MINUTES);
        if db.mark_no_answer(r, &new_id(now), &system, &message, now).await? {
            n += 1;
        }
    }
    Ok(n)
}
