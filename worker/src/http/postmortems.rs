//! Postmortems over HTTP, addressed by any incident they cover: create (while the incident runs or
//! after), read (with the record's key times, highlights and — `?timeline=all` — the rest),
//! autosave-style section saves guarded by version (a stale one is 409 with the newer text, never
//! an overwrite; every answer carries the blameless hints), status moves, review comments, Markdown
//! and print-ready HTML exports, publishing the customer-facing text on the status page, and the
//! organisation's template.
//!
//! Roles: observers read; responders write, comment and ask for review; publishing, reopening and
//! publishing to the status page are for admins and the incident's commander — the commander owns
//! the incident's account and its follow-up (as incident.io's incident lead does), and admins cover
//! when the commander is gone.

use tocsin_domain::api::postmortems::*;
use tocsin_domain::api::{ErrorDetail, Person};
use tocsin_domain::audit::Action;
use tocsin_domain::auth::{allows, Permission};
use tocsin_domain::key_times::KeyTimes;
use tocsin_domain::postmortem::{self as pm, export, fill, hints, template, timeline, PostmortemStatus};
use worker::Response;

use super::{json, views, Cx};
use crate::crypto::new_id;
use crate::db::{CommentRow, NewPostmortem, NewTimeline, PostmortemRow, PublicPostmortem, RecordRows, SectionRow};
use crate::error::{ApiError, ApiResult};

use super::views::person;

fn section_view(s: &SectionRow) -> PostmortemSection {
    PostmortemSection {
        key: s.key.clone(),
        title: s.title.clone(),
        prompt: s.prompt.clone(),
        body: s.body.clone(),
        version: s.version,
        updated_at: views::time(s.updated_at),
        updated_by: person(s.updated_by.as_ref(), s.updated_by_name.as_ref()),
    }
}

fn comment_view(c: &CommentRow) -> PostmortemComment {
    PostmortemComment {
        id: c.id.clone(),
        section: c.section_key.clone(),
        author: Person { id: c.author_id.clone().into(), name: c.author_name.clone().unwrap_or_default() },
        at: views::time(c.at),
        body: c.body.clone(),
        resolved: c.resolved != 0,
        resolved_by: person(c.resolved_by.as_ref(), c.resolved_by_name.as_ref()),
        resolved_at: c.resolved_at.map(views::time),
    }
}

/// The key times of the incidents, combined.
fn key_times(r: &RecordRows) -> KeyTimes {
    let all: Vec<KeyTimes> = r
        .incidents
        .iter()
        .map(|i| KeyTimes {
            impact_started_at: i.impact_started_at,
            detected_at: i.detected_at,
            opened_at: i.created_at,
            first_acknowledged_at: i.first_acknowledged_at,
            mitigated_at: i.mitigated_at,
            resolved_at: i.resolved_at,
        })
        .collect();
    timeline::combine(&all).unwrap_or_default()
}

fn facts(r: &RecordRows) -> fill::Facts {
    let number = |id: &str| r.incidents.iter().find(|i| i.id == id).map_or(0, |i| i.number);
    fill::Facts {
        incidents: r.incidents.iter().map(|i| fill::IncidentFacts { number: i.number, title: i.title.clone(), severity: i.severity.clone() }).collect(),
        key_times: key_times(r),
        services: r.services.iter().map(|s| s.name.clone()).collect(),
        components: r.components.iter().map(|s| s.name.clone()).collect(),
        customer_facing: !r.public_incident_ids.is_empty(),
        rows: r
            .rows
            .iter()
            .map(|t| timeline::RecordRow { incident_number: number(&t.incident_id), seq: t.seq.unwrap_or(0), at_ms: t.at, kind: t.kind.clone(), message: t.message.clone(), highlighted: t.highlighted != 0 })
            .collect(),
        action_items: Vec::new(),
        time_zone: r.time_zone.clone(),
    }
}

/// A postmortem and everything read with it.
struct Loaded {
    pm: PostmortemRow,
    sections: Vec<SectionRow>,
    comments: Vec<CommentRow>,
    incident_ids: Vec<String>,
}

async fn load(cx: &Cx, org_id: &str, incident_id: &str) -> ApiResult<Loaded> {
    // The postmortem read is org-scoped already; the incident is read only to say which is
    // missing (an autosave costs one round trip less).
    let Some(pm) = cx.db.postmortem_for_incident(org_id, incident_id).await? else {
        cx.db.incident(org_id, incident_id).await?.ok_or(ApiError::NotFound("incident"))?;
        return Err(ApiError::NotFound("postmortem"));
    };
    let (sections, comments, incident_ids) = cx.db.postmortem_parts(org_id, &pm).await?;
    Ok(Loaded { pm, sections, comments, incident_ids })
}

/// Admins, and the commander of the postmortem's primary incident (with at least a responder's
/// role on this request).
async fn owns(cx: &Cx, caller: &crate::auth::Caller, pm: &PostmortemRow) -> ApiResult<bool> {
    if allows(caller.role, Permission::Administer) {
        return Ok(true);
    }
    if !allows(caller.role, Permission::Respond) {
        return Ok(false);
    }
    Ok(cx.db.role_holder(&pm.incident_id, tocsin_domain::command::roles::COMMANDER).await?.is_some_and(|h| h.user_id == caller.user.id))
}

fn all_hints(l: &Loaded) -> Vec<hints::Hint> {
    let mut h = hints::find_all(l.sections.iter().map(|s| (s.key.as_str(), s.body.as_str())));
    h.extend(hints::find("public", &l.pm.public_text));
    h
}

async fn view(cx: &Cx, caller: &crate::auth::Caller, l: &Loaded, all_rows: bool) -> ApiResult<Postmortem> {
    let org = caller.org_id();
    let record = cx.db.postmortem_record(org, &l.incident_ids).await?;
    let f = facts(&record);
    let tz = timeline::tz_or_utc(&f.time_zone);
    let t0 = timeline::t0(&f.key_times);
    let (highlights, rest) = timeline::items(&f.rows, t0, tz);
    let template_name = match &l.pm.template_id {
        Some(_) => cx.db.postmortem_template(org).await?.map(|t| t.name).unwrap_or_else(|| "Organisation template".into()),
        None => template::blameless().name,
    };
    Ok(Postmortem {
        id: l.pm.id.clone(),
        incident_id: l.pm.incident_id.clone(),
        incidents: record.incidents.iter().map(|i| PostmortemIncident { id: i.id.clone(), number: i.number, title: i.title.clone(), status: i.status.clone() }).collect(),
        title: l.pm.title.clone(),
        status: l.pm.status.parse()?,
        version: l.pm.version,
        template: template_name,
        sections: l.sections.iter().map(section_view).collect(),
        hints: all_hints(l),
        comments: l.comments.iter().map(comment_view).collect(),
        public_text: l.pm.public_text.clone(),
        public_version: l.pm.public_version,
        public_incident_id: l.pm.public_incident_id.clone().or_else(|| record.public_incident_ids.first().cloned()),
        public_published_at: l.pm.public_published_at.map(views::time),
        created_by: Person { id: l.pm.created_by.clone().into(), name: l.pm.created_by_name.clone().unwrap_or_default() },
        created_at: views::time(l.pm.created_at),
        updated_at: views::time(l.pm.updated_at),
        status_changed_at: l.pm.status_changed_at.map(views::time),
        status_changed_by: person(l.pm.status_changed_by.as_ref(), l.pm.status_changed_by_name.as_ref()),
        published_at: l.pm.published_at.map(views::time),
        timeline: PostmortemTimeline {
            time_zone: f.time_zone.clone(),
            t0: views::time(t0),
            key_times: timeline::key_times(&f.key_times, tz),
            rest_count: rest.len(),
            highlights,
            rest: all_rows.then_some(rest),
            suggested: fill::timeline_section(&f),
        },
        can_publish: owns(cx, caller, &l.pm).await?,
        can_edit: allows(caller.role, Permission::Respond),
    })
}

fn wants_all(cx: &Cx) -> bool {
    cx.query("timeline").as_deref() == Some("all")
}

/// `GET /api/incidents/{id}/postmortem[?timeline=all]`.
pub async fn get(cx: &Cx, incident_id: &str) -> ApiResult<Response> {
    let caller = cx.caller().await?;
    let l = load(cx, caller.org_id(), incident_id).await?;
    json(200, &view(cx, &caller, &l, wants_all(cx)).await?)
}

/// `POST /api/incidents/{id}/postmortem` (responders): a draft from the organisation's template
/// (else the built-in blameless one), filled from the record → 201. The incident may still be
/// running (drafting during an incident is allowed; the timeline can be refilled later). One
/// postmortem per incident: 409 when it (or a related incident) already has one.
pub async fn create(cx: &mut Cx, incident_id: &str) -> ApiResult<Response> {
    let caller = cx.caller().await?;
    caller.require(Permission::Respond)?;
    let req: CreatePostmortem = cx.json().await?;
    let org = caller.org_id().to_string();
    let incident = cx.db.incident(&org, incident_id).await?.ok_or(ApiError::NotFound("incident"))?;
    let mut ids = vec![incident_id.to_string()];
    if req.related_incident_ids.len() + 1 > pm::MAX_INCIDENTS {
        return Err(ApiError::field("related_incident_ids", format!("at most {} related incidents", pm::MAX_INCIDENTS - 1)));
    }
    for (n, r) in req.related_incident_ids.iter().enumerate() {
        if ids.contains(r) {
            return Err(ApiError::field(&format!("related_incident_ids[{n}]"), "is listed twice (or is the incident itself)"));
        }
        ids.push(r.clone());
    }
    let title = match req.title.as_deref().map(str::trim) {
        Some(t) if t.is_empty() || t.chars().count() > 200 => return Err(ApiError::field("title", "must be 1–200 characters")),
        Some(t) => t.to_string(),
        None => format!("Postmortem: #{} {}", incident.number, incident.title),
    };
    let record = cx.db.postmortem_record(&org, &ids).await?;
    for (n, id) in ids.iter().enumerate().skip(1) {
        if !record.incidents.iter().any(|i| i.id == *id) {
            return Err(ApiError::field(&format!("related_incident_ids[{}]", n - 1), "no such incident"));
        }
    }
    if let Some(taken) = record.incidents.iter().find(|i| i.postmortem_id.is_some()) {
        return Err(ApiError::Conflict(format!("incident #{} already has a postmortem", taken.number)));
    }
    let (template_id, tpl) = match cx.db.postmortem_template(&org).await? {
        Some(t) => (Some(t.id), serde_json::from_str(&t.sections).map(|sections| template::Template { name: t.name, sections, built_in: false }).unwrap_or_else(|_| template::blameless())),
        None => (None, template::blameless()),
    };
    let filled: Vec<(String, String, String, String)> = fill::fill(&tpl, &facts(&record)).into_iter().map(|s| (s.key, s.title, s.prompt, s.body)).collect();
    let id = new_id(cx.now);
    let actor = views::actor_json(&views::user_actor(&caller.user));
    let others: Vec<String> = record.incidents.iter().skip(1).map(|i| format!("#{}", i.number)).collect();
    let message = if others.is_empty() {
        format!("{} started the postmortem", caller.user.name)
    } else {
        format!("{} started the postmortem (also covering {})", caller.user.name, others.join(", "))
    };
    let t = NewTimeline { id: &new_id(cx.now), kind: "postmortem.created", actor: &actor, message: &message };
    let new = NewPostmortem { id: &id, org_id: &org, incident_ids: &ids, title: &title, template_id: template_id.as_deref(), created_by: &caller.user.id, sections: &filled };
    if !cx.db.create_postmortem(&new, &t, cx.now).await? {
        return Err(ApiError::Conflict("this incident (or a related one) already has a postmortem".into()));
    }
    cx.after.deliver();
    let l = load(cx, &org, incident_id).await?;
    json(201, &view(cx, &caller, &l, false).await?)
}

/// `PUT /api/incidents/{id}/postmortem/sections/{key}` (responders) `{body, version}` → the saved
/// section, the document's version and the section's hints; a stale version → 409 with the
/// stored text (`SectionConflict`), nothing written. A published document is reopened first (409).
pub async fn save_section(cx: &mut Cx, incident_id: &str, key: &str) -> ApiResult<Response> {
    let caller = cx.caller().await?;
    caller.require(Permission::Respond)?;
    let req: SaveSection = cx.json().await?;
    let body = pm::text("body", &req.body, pm::MAX_SECTION_CHARS)?;
    let org = caller.org_id().to_string();
    let l = load(cx, &org, incident_id).await?;
    let current = l.sections.iter().find(|s| s.key == key).ok_or(ApiError::NotFound("section"))?;
    let status: PostmortemStatus = l.pm.status.parse()?;
    if !status.editable() {
        return Err(ApiError::Conflict("the postmortem is published; reopen it to edit".into()));
    }
    if current.version != req.version || !cx.db.save_postmortem_section(&org, &l.pm.id, key, &body, req.version, &caller.user.id, cx.now).await? {
        let fresh = load(cx, &org, incident_id).await?;
        let now = fresh.sections.into_iter().find(|s| s.key == key).ok_or(ApiError::NotFound("section"))?;
        let who = now.updated_by_name.clone().unwrap_or_else(|| "someone".into());
        let conflict = SectionConflict {
            error: ErrorDetail { code: "conflict".into(), message: format!("{who} saved this section since version {}; here is their text (version {})", req.version, now.version), field: Some("version".into()) },
            hints: hints::find(key, &now.body),
            current: section_view(&now),
        };
        return json(409, &conflict);
    }
    let l = load(cx, &org, incident_id).await?;
    let saved = l.sections.iter().find(|s| s.key == key).ok_or(ApiError::NotFound("section"))?;
    json(200, &SectionSaved { section: section_view(saved), version: l.pm.version, hints: hints::find(key, &saved.body) })
}

/// `PUT /api/incidents/{id}/postmortem/public` (responders) `{text, version}`: the customer-facing
/// text, with the same conflict rule (409 carries the newer text).
pub async fn save_public(cx: &mut Cx, incident_id: &str) -> ApiResult<Response> {
    let caller = cx.caller().await?;
    caller.require(Permission::Respond)?;
    let req: SavePublicText = cx.json().await?;
    let text = pm::text("text", &req.text, pm::MAX_PUBLIC_CHARS)?;
    let org = caller.org_id().to_string();
    let l = load(cx, &org, incident_id).await?;
    if !l.pm.status.parse::<PostmortemStatus>()?.editable() {
        return Err(ApiError::Conflict("the postmortem is published; reopen it to edit".into()));
    }
    let ok = l.pm.public_version == req.version && cx.db.save_postmortem_public_text(&org, &l.pm.id, &text, req.version, &caller.user.id, cx.now).await?;
    let now = load(cx, &org, incident_id).await?.pm;
    let answer = |error| PublicTextSaved { error, hints: hints::find("public", &now.public_text), public_text: now.public_text.clone(), public_version: now.public_version };
    if ok {
        json(200, &answer(None))
    } else {
        let message = format!("the customer-facing text was saved by someone else since version {}; here is theirs (version {})", req.version, now.public_version);
        json(409, &answer(Some(ErrorDetail { code: "conflict".into(), message, field: Some("version".into()) })))
    }
}

/// `POST /api/incidents/{id}/postmortem/status` `{status}`: draft → in_review → published (see
/// `domain::postmortem::transition`), with a `postmortem.*` row on the incident's timeline.
pub async fn change_status(cx: &mut Cx, incident_id: &str) -> ApiResult<Response> {
    let caller = cx.caller().await?;
    caller.require(Permission::Respond)?;
    let req: ChangeStatus = cx.json().await?;
    let org = caller.org_id().to_string();
    let l = load(cx, &org, incident_id).await?;
    let from: PostmortemStatus = l.pm.status.parse()?;
    let step = pm::transition(from, req.status).map_err(|e| ApiError::Conflict(e.to_string()))?;
    if let Some(step) = step {
        if step.needs_owner() && !owns(cx, &caller, &l.pm).await? {
            return Err(ApiError::Forbidden("only an admin or the incident commander may publish or reopen a postmortem"));
        }
        let actor = views::actor_json(&views::user_actor(&caller.user));
        let message = step.sentence(&caller.user.name);
        let t = NewTimeline { id: &new_id(cx.now), kind: step.kind(), actor: &actor, message: &message };
        if !cx.db.set_postmortem_status(&org, &l.pm, from.as_str(), req.status.as_str(), &caller.user.id, &t, cx.now).await? {
            return Err(ApiError::Conflict("the postmortem's status changed meanwhile; reload".into()));
        }
        cx.after.deliver();
    }
    let l = load(cx, &org, incident_id).await?;
    json(200, &view(cx, &caller, &l, false).await?)
}

/// `POST /api/incidents/{id}/postmortem/comments` (responders) `{section, body}` → 201.
pub async fn add_comment(cx: &mut Cx, incident_id: &str) -> ApiResult<Response> {
    let caller = cx.caller().await?;
    caller.require(Permission::Respond)?;
    let req: NewComment = cx.json().await?;
    let section = pm::section_key("section", &req.section)?;
    let body = pm::comment("body", &req.body)?;
    let org = caller.org_id().to_string();
    let l = load(cx, &org, incident_id).await?;
    let id = new_id(cx.now);
    if !cx.db.add_postmortem_comment(&id, &org, &l.pm.id, &section, &caller.user.id, &body, cx.now).await? {
        return Err(ApiError::field("section", "no such section in this postmortem"));
    }
    let c = cx.db.postmortem_comment(&org, &l.pm.id, &id).await?.ok_or_else(|| ApiError::Internal("comment vanished".into()))?;
    json(201, &CommentAnswer { comment: comment_view(&c) })
}

/// `POST /api/incidents/{id}/postmortem/comments/{comment}/resolve` and `…/reopen` (responders).
pub async fn resolve_comment(cx: &Cx, incident_id: &str, comment_id: &str, resolved: bool) -> ApiResult<Response> {
    let caller = cx.caller().await?;
    caller.require(Permission::Respond)?;
    let org = caller.org_id().to_string();
    let l = load(cx, &org, incident_id).await?;
    cx.db.postmortem_comment(&org, &l.pm.id, comment_id).await?.ok_or(ApiError::NotFound("comment"))?;
    cx.db.resolve_postmortem_comment(&org, &l.pm.id, comment_id, resolved, &caller.user.id, cx.now).await?;
    let c = cx.db.postmortem_comment(&org, &l.pm.id, comment_id).await?.ok_or(ApiError::NotFound("comment"))?;
    json(200, &CommentAnswer { comment: comment_view(&c) })
}

/// The export's document: sections as written, the tracked action items listed live under
/// `action_items`, and the full record with `?timeline=all`.
async fn document(cx: &Cx, caller: &crate::auth::Caller, l: &Loaded) -> ApiResult<(export::Document, i64)> {
    let org = caller.org_id();
    let record = cx.db.postmortem_record(org, &l.incident_ids).await?;
    let f = facts(&record);
    let items: Vec<fill::ActionItemLine> = cx
        .db
        .postmortem_action_items(org, &l.incident_ids, Some(&l.pm.id))
        .await?
        .into_iter()
        .map(|a| fill::ActionItemLine { title: a.title, owner: a.owner, due_at_ms: a.due_at, priority: a.priority, kind: a.kind, done: a.status == "done", ticket_key: a.ticket_key, ticket_url: a.ticket_url })
        .collect();
    let listed = fill::action_items(&items, &f.time_zone);
    let sections = l
        .sections
        .iter()
        .map(|s| {
            let body = if s.key == "action_items" && !listed.is_empty() { format!("{}\n\n**Tracked action items**\n\n{listed}", s.body.trim()) } else { s.body.clone() };
            (s.title.clone(), body)
        })
        .collect();
    let tz = timeline::tz_or_utc(&f.time_zone);
    let appendix = wants_all(cx).then(|| {
        let (mut h, rest) = timeline::items(&f.rows, timeline::t0(&f.key_times), tz);
        h.extend(rest);
        h.sort_by_key(|i| (i.at, i.incident_number, i.seq));
        h
    });
    let status: PostmortemStatus = l.pm.status.parse()?;
    let number = record.incidents.first().map_or(0, |i| i.number);
    let doc = export::Document {
        title: l.pm.title.clone(),
        status: status.label().into(),
        incidents: record.incidents.iter().map(|i| format!("#{} {}", i.number, i.title)).collect(),
        time_zone: f.time_zone.clone(),
        sections,
        appendix,
    };
    Ok((doc, number))
}

/// `GET /api/incidents/{id}/postmortem.md` and `…/postmortem.html` (everyone who reads).
pub async fn export(cx: &Cx, incident_id: &str, html: bool) -> ApiResult<Response> {
    let caller = cx.caller().await?;
    let l = load(cx, caller.org_id(), incident_id).await?;
    let (doc, number) = document(cx, &caller, &l).await?;
    let mut resp = if html { Response::ok(export::to_html(&doc))? } else { Response::ok(export::to_markdown(&doc))? };
    let h = resp.headers_mut();
    h.set("Cache-Control", "no-store")?;
    if html {
        h.set("Content-Type", "text/html; charset=utf-8")?;
        // No scripts at all; the one stylesheet by its hash; never framed.
        for (name, value) in tocsin_domain::web_security::headers(tocsin_domain::web_security::AnswerKind::StatusPage, false, &css_hash(), "") {
            if name == "Content-Security-Policy" || name == "X-Frame-Options" {
                h.set(name, &value)?;
            }
        }
    } else {
        h.set("Content-Type", "text/markdown; charset=utf-8")?;
        h.set("Content-Disposition", &format!("inline; filename=\"postmortem-{number}.md\""))?;
    }
    Ok(resp)
}

fn css_hash() -> String {
    use base64::Engine;
    use sha2::Digest;
    base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(export::CSS.as_bytes()))
}

/// `POST /api/incidents/{id}/postmortem/publish-public` (admins and the commander): the
/// customer-facing text becomes the public incident's `postmortem_body` (status `postmortem`).
/// Needs a published postmortem, a non-empty public text, resolved incidents and a public
/// incident published from one of them; nothing private is sent.
pub async fn publish_public(cx: &Cx, incident_id: &str) -> ApiResult<Response> {
    let caller = cx.caller().await?;
    caller.require(Permission::Respond)?;
    let org = caller.org_id().to_string();
    let l = load(cx, &org, incident_id).await?;
    if !owns(cx, &caller, &l.pm).await? {
        return Err(ApiError::Forbidden("only an admin or the incident commander may publish to the status page"));
    }
    if l.pm.status.parse::<PostmortemStatus>()? != PostmortemStatus::Published {
        return Err(ApiError::Conflict("publish the postmortem (after its review) before putting it on the status page".into()));
    }
    let body = l.pm.public_text.trim().to_string();
    if body.is_empty() {
        return Err(ApiError::Conflict("write the customer-facing text first (PUT …/postmortem/public)".into()));
    }
    let record = cx.db.postmortem_record(&org, &l.incident_ids).await?;
    if let Some(open) = record.incidents.iter().find(|i| i.status != "resolved") {
        return Err(ApiError::Conflict(format!("incident #{} is not resolved yet", open.number)));
    }
    let public_id = l
        .pm
        .public_incident_id
        .clone()
        .or_else(|| record.public_incident_ids.first().cloned())
        .ok_or_else(|| ApiError::Conflict("none of these incidents is on the status page; publish a status update to it first".into()))?;
    let audit = cx.audit(&caller, Action::StatusIncidentUpdated, Some(&public_id)).after(serde_json::json!({"status": "postmortem", "postmortem_body": body}));
    let actor = views::actor_json(&views::user_actor(&caller.user));
    let message = format!("{} published the postmortem on the status page", caller.user.name);
    let t = NewTimeline { id: &new_id(cx.now), kind: "postmortem.public_published", actor: &actor, message: &message };
    let update_id = new_id(cx.now);
    let p = PublicPostmortem {
        org_id: &org,
        postmortem_id: &l.pm.id,
        public_incident_id: &public_id,
        body: &body,
        update_id: &update_id,
        update_body: tocsin_domain::status_page::UpdateStatus::Postmortem.template(),
        audit: &audit,
    };
    cx.db.publish_postmortem_publicly(&p, &l.pm.incident_id, &t, cx.now).await?;
    super::status_page::purge_with(&[public_id.as_str()]).await;
    cx.after.deliver();
    let at = cx.db.public_postmortem_published_at(&org, &public_id).await?.unwrap_or(cx.now);
    let base = cx.db.status_page_url(&org).await?.filter(|u| !u.is_empty()).unwrap_or_else(|| format!("{}/status", cx.origin()));
    let url = format!("{}/status/incidents/{public_id}", base.trim_end_matches('/').trim_end_matches("/status"));
    json(200, &PublicPublished { public_incident_id: public_id, postmortem_published_at: views::time(at), url })
}

/// `GET /api/postmortem-template`: the organisation's template, else the built-in one.
pub async fn get_template(cx: &Cx) -> ApiResult<Response> {
    let caller = cx.caller().await?;
    let t = match cx.db.postmortem_template(caller.org_id()).await? {
        Some(t) => template::Template { name: t.name, sections: serde_json::from_str(&t.sections)?, built_in: false },
        None => template::blameless(),
    };
    json(200, &t)
}

/// `PUT /api/postmortem-template` (admins): the template new postmortems start from (existing
/// ones keep their sections); audited.
pub async fn put_template(cx: &mut Cx) -> ApiResult<Response> {
    let caller = cx.caller().await?;
    caller.require(Permission::Administer)?;
    let t: template::Template = cx.json().await?;
    let valid = template::validate(&t)?;
    let sections = serde_json::to_string(&valid.sections)?;
    let audit = cx.audit(&caller, Action::PostmortemTemplateUpdated, None).after(serde_json::json!({"name": valid.name, "sections": valid.sections.len()}));
    cx.db.put_postmortem_template(caller.org_id(), &valid.name, &sections, cx.now, &audit).await?;
    json(200, &valid)
}
