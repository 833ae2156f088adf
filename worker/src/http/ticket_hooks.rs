//! Inbound ticket webhooks (no session): `POST /hooks/jira/{config id}` and
//! `POST /hooks/github/{config id}`. Each is authenticated by the HMAC-SHA256 signature of the
//! raw body under the configuration's webhook secret (Jira: `X-Hub-Signature`, GitHub:
//! `X-Hub-Signature-256`); a missing or bad signature is 401 and changes nothing. A ticket that
//! is done closes its action item (with a timeline row on its incident); an unknown ticket or
//! another event is 202 and ignored; repeats change nothing, and an event not later than the
//! item's last change (a reopen) is 202 `stale`: a re-delivered close never undoes a reopen.

use tocsin_domain::action_items::{self as ai, Change, TicketSystem};
use tocsin_domain::api::action_items::HookOutcome;
use tocsin_domain::api::{Actor, ActorKind};
use tocsin_domain::ticketing::{github, jira, HookError, Inbound};
use worker::Response;

use super::{json, views, Cx};
use crate::crypto::{new_id, open};
use crate::db::NewTimeline;
use crate::error::{ApiError, ApiResult};

/// The largest body read (vendors' issue events are a few tens of KB).
const MAX_BODY: usize = 1024 * 1024;

fn outcome(kind: &str, id: Option<String>) -> ApiResult<Response> {
    json(if kind == "closed" { 200 } else { 202 }, &HookOutcome { outcome: kind.into(), action_item_id: id })
}

/// `POST /hooks/{jira|github}/{id}`.
pub async fn receive(cx: &mut Cx, system: &str, config_id: &str) -> ApiResult<Response> {
    let system: TicketSystem = system.parse().map_err(|_| ApiError::NotFound("route"))?;
    // An unknown configuration answers like a bad signature: nothing tells a prober which ids exist.
    let unauthenticated = ApiError::Unauthenticated("the webhook signature is missing or does not match");
    let Some(cfg) = cx.db.ticketing_config_by_id(system.as_str(), config_id).await? else {
        return Err(unauthenticated);
    };
    let body = cx.body(MAX_BODY).await?;
    let secret = open(&cfg.webhook_secret, &super::ticketing::secret_place(&cfg.id))?;
    let read = match system {
        TicketSystem::Jira => jira::read_webhook(&secret, &body, cx.header("X-Hub-Signature").as_deref()),
        TicketSystem::Github => github::read_webhook(&secret, cx.header("X-GitHub-Event").as_deref(), &body, cx.header("X-Hub-Signature-256").as_deref()),
    };
    let (key, at) = match read {
        Ok(Inbound::Done { key, at }) => (key, at),
        Ok(Inbound::Ignored) => return outcome("ignored", None),
        Err(HookError::Unsigned | HookError::BadSignature) => return Err(unauthenticated),
        Err(HookError::BadBody(m)) => return Err(ApiError::field("body", m)),
    };
    let Some(row) = cx.db.action_item_by_ticket(&cfg.org_id, system.as_str(), &key).await? else {
        return outcome("unknown_ticket", None);
    };
    if row.status == "done" {
        return outcome("already_done", Some(row.id));
    }
    // A replay, or an event older than the item's last change (a person reopened it): the
    // person wins. An event without the vendor's time is treated the same.
    let Some(at) = at.filter(|at| *at > row.updated_at) else {
        return outcome("stale", Some(row.id));
    };
    let change = Change::ClosedByTicket { system, key };
    let actor = views::actor_json(&Actor { kind: ActorKind::System, id: None, name: system.label().into() });
    let message = ai::timeline_message("", &change, &row.title);
    let tid = new_id(cx.now);
    let t = NewTimeline { id: &tid, kind: change.kind(), actor: &actor, message: &message };
    if cx.db.close_by_ticket(&row, at, Some(&t), cx.now).await? {
        cx.after.deliver();
        outcome("closed", Some(row.id))
    } else {
        outcome("already_done", Some(row.id))
    }
}
