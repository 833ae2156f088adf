//! `GET /api/audit`: the organisation's audit log for admins, newest first, filtered, in cursor
//! pages (`tocsin_domain::audit` holds the filters' rules; rows are written by `db::audit`).

use tocsin_domain::audit::{self, AuditActor, AuditEvent, AuditPage};
use tocsin_domain::auth::Permission;
use worker::Response;

use super::{json, views, Cx};
use crate::error::{ApiError, ApiResult};

fn time_param(cx: &Cx, name: &'static str) -> ApiResult<Option<i64>> {
    cx.query(name)
        .map(|raw| chrono::DateTime::parse_from_rfc3339(&raw).map(|t| t.timestamp_millis()).map_err(|_| ApiError::field(name, "must be an RFC 3339 time")))
        .transpose()
}

pub async fn list(cx: &Cx) -> ApiResult<Response> {
    let caller = cx.caller().await?;
    caller.require(Permission::Administer)?;
    let nonempty = |n: &str| cx.query(n).filter(|v| !v.is_empty());
    let limit = nonempty("limit");
    let q = audit::query(
        nonempty("actor"),
        nonempty("actor_kind"),
        nonempty("action"),
        nonempty("target"),
        time_param(cx, "from")?,
        time_param(cx, "to")?,
        nonempty("cursor"),
        limit.as_deref(),
    )
    .map_err(|(field, msg)| ApiError::field(field, msg))?;
    let mut rows = cx.db.audit_page(caller.org_id(), &q).await?;
    let more = rows.len() > q.limit as usize;
    rows.truncate(q.limit as usize);
    let next_cursor = more.then(|| rows.last().map(|r| r.id.clone())).flatten();
    let parse = |j: Option<String>| j.and_then(|t| serde_json::from_str(&t).ok());
    let events = rows
        .into_iter()
        .map(|r| AuditEvent {
            id: r.id,
            at: views::time(r.at),
            actor: AuditActor { kind: r.actor_kind, id: r.actor_id, user_id: r.actor_user_id, name: r.actor_name },
            action: r.action,
            target_kind: r.target_kind,
            target_id: r.target_id,
            before: parse(r.before_json),
            after: parse(r.after_json),
            address: r.address,
        })
        .collect();
    json(200, &AuditPage { events, next_cursor })
}
