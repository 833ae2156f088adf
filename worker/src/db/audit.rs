//! The audit log's table (rules and vocabulary: `tocsin_domain::audit`). A change and its audit
//! row go to D1 in one batch: [`Db::run_audited`] for one statement, [`Db::batch_audited`] for
//! several. The row is written only when the change changed something (SQLite's `changes()` of
//! the statement before it), so a refused or repeated write leaves no row claiming it happened.

use serde::Deserialize;
use tocsin_domain::audit::{Entry, Query};
use worker::D1PreparedStatement;

use super::D1Result;

use super::{args, changes, Db};
use crate::error::ApiResult;

/// An audit entry with what the shell adds: its id, organisation, time and address.
#[derive(Clone, Debug)]
pub struct Audit {
    pub id: String,
    pub org_id: String,
    pub at: i64,
    pub address: Option<String>,
    pub entry: Entry,
}

impl Audit {
    pub fn before(mut self, v: serde_json::Value) -> Self {
        self.entry = self.entry.before(v);
        self
    }

    pub fn after(mut self, v: serde_json::Value) -> Self {
        self.entry = self.entry.after(v);
        self
    }
}

#[derive(Debug, Deserialize)]
pub struct AuditRow {
    pub id: String,
    pub at: i64,
    pub actor_kind: String,
    pub actor_id: Option<String>,
    pub actor_user_id: Option<String>,
    pub actor_name: String,
    pub action: String,
    pub target_kind: String,
    pub target_id: Option<String>,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
    pub address: Option<String>,
}

const INSERT: &str = "INSERT INTO audit_log (id, org_id, at, actor_kind, actor_id, actor_user_id, actor_name, action, target_kind, target_id, before_json, after_json, address)";

impl Db {
    /// The audit row's statement: written only when the statement before it in the batch
    /// changed at least one row.
    fn audit_stmt(&self, a: &Audit) -> ApiResult<D1PreparedStatement> {
        let e = &a.entry;
        let before = e.before.as_ref().map(|v| v.to_string());
        let after = e.after.as_ref().map(|v| v.to_string());
        self.stmt(
            &format!("{INSERT} SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? WHERE changes() > 0"),
            args![
                &a.id,
                &a.org_id,
                a.at,
                e.actor.kind(),
                e.actor.id(),
                e.actor.user_id(),
                &e.actor.label(),
                e.action.as_str(),
                e.action.target_kind(),
                e.target_id.as_deref(),
                before.as_deref(),
                after.as_deref(),
                a.address.as_deref()
            ],
        )
    }

    /// An audit row on its own, for work made of many small guarded writes (a re-seal step),
    /// written after them when they changed something.
    pub async fn record_audit(&self, a: &Audit) -> ApiResult<()> {
        let e = &a.entry;
        let after = e.after.as_ref().map(|v| v.to_string());
        self.run(
            &format!("{INSERT} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?)"),
            args![&a.id, &a.org_id, a.at, e.actor.kind(), e.actor.id(), e.actor.user_id(), &e.actor.label(), e.action.as_str(), e.action.target_kind(), e.target_id.as_deref(), after.as_deref(), a.address.as_deref()],
        )
        .await?;
        Ok(())
    }

    /// One write and its audit row, atomically; returns how many rows the write changed.
    pub async fn run_audited(&self, sql: &str, args: &[super::Arg<'_>], audit: &Audit) -> ApiResult<usize> {
        let res = self.batch(vec![self.stmt(sql, args)?, self.audit_stmt(audit)?]).await?;
        Ok(changes(&res[0]))
    }

    /// Several writes and their audit row (recorded when the last write changed something),
    /// atomically. The audit row's result is not returned.
    pub async fn batch_audited(&self, mut stmts: Vec<D1PreparedStatement>, audit: &Audit) -> ApiResult<Vec<D1Result>> {
        stmts.push(self.audit_stmt(audit)?);
        let mut res = self.batch(stmts).await?;
        res.pop();
        Ok(res)
    }

    /// A page of the organisation's audit log, newest first.
    pub async fn audit_page(&self, org_id: &str, q: &Query) -> ApiResult<Vec<AuditRow>> {
        let action_exact = q.action.as_deref().filter(|a| a.contains('.'));
        let action_kind = q.action.as_deref().filter(|a| !a.contains('.'));
        self.all(
            "SELECT id, at, actor_kind, actor_id, actor_user_id, actor_name, action, target_kind, target_id, before_json, after_json, address
             FROM audit_log WHERE org_id = ?
               AND (?2 IS NULL OR actor_user_id = ?2) AND (?3 IS NULL OR actor_kind = ?3)
               AND (?4 IS NULL OR action = ?4) AND (?5 IS NULL OR target_kind = ?5) AND (?6 IS NULL OR target_id = ?6)
               AND (?7 IS NULL OR at >= ?7) AND (?8 IS NULL OR at <= ?8) AND (?9 IS NULL OR id < ?9)
             ORDER BY id DESC LIMIT ?10",
            args![
                org_id,
                q.actor_user_id.as_deref(),
                q.actor_kind.as_deref(),
                action_exact,
                action_kind,
                q.target_id.as_deref(),
                q.from_ms,
                q.to_ms,
                q.before_id.as_deref(),
                q.limit as i64 + 1
            ],
        )
        .await
    }
}
