//! Action items and the organisation's ticket systems in D1: creating, listing with filters,
//! guarded edits (`version`), claiming and storing a ticket (one per item, ever), closing an
//! item when its ticket is done, and the overdue reminder (one summary a day per owner). Each
//! change to an item linked to an incident writes its timeline row in the change's own batch.

use serde::Deserialize;
use worker::D1PreparedStatement;

use super::{args, changes, Arg, Audit, Db, NewTimeline};
use crate::error::ApiResult;

#[derive(Debug, Clone, Deserialize)]
pub struct ActionItemRow {
    pub id: String,
    pub org_id: String,
    pub incident_id: Option<String>,
    pub incident_number: Option<i64>,
    pub incident_title: Option<String>,
    pub postmortem_id: Option<String>,
    pub service_id: Option<String>,
    pub service_name: Option<String>,
    pub title: String,
    pub owner_id: Option<String>,
    pub owner_name: Option<String>,
    pub due_at: Option<i64>,
    pub due_date: Option<String>,
    pub priority: String,
    pub kind: String,
    pub status: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub done_at: Option<i64>,
    pub done_by: Option<String>,
    pub done_by_name: Option<String>,
    pub ticket_system: Option<String>,
    pub ticket_key: Option<String>,
    pub ticket_url: Option<String>,
    pub reminded_at: Option<i64>,
    pub version: i64,
}

const ITEM_SELECT: &str = "SELECT a.id, a.org_id, a.incident_id, i.number AS incident_number, i.title AS incident_title, a.postmortem_id,
     a.service_id, s.name AS service_name, a.title, a.owner_id, o.name AS owner_name, a.due_at, a.due_date, a.priority, a.kind,
     a.status, a.created_at, a.updated_at, a.done_at, a.done_by, d.name AS done_by_name, a.ticket_system, a.ticket_key,
     a.ticket_url, a.reminded_at, a.version
     FROM action_items a LEFT JOIN incidents i ON i.id = a.incident_id LEFT JOIN services s ON s.id = a.service_id
     LEFT JOIN users o ON o.id = a.owner_id LEFT JOIN users d ON d.id = a.done_by";

/// Open items first (soonest due first, undated last), then done ones, newest first.
const ITEM_ORDER: &str = "ORDER BY a.status = 'done', CASE WHEN a.status = 'open' THEN COALESCE(a.due_at, 9e15) ELSE -a.done_at END, a.created_at DESC";

/// A new item, as stored.
pub struct NewActionItem<'a> {
    pub id: &'a str,
    pub org_id: &'a str,
    pub incident_id: Option<&'a str>,
    pub postmortem_id: Option<&'a str>,
    pub service_id: Option<&'a str>,
    pub title: &'a str,
    pub owner_id: Option<&'a str>,
    pub due_at: Option<i64>,
    pub due_date: Option<&'a str>,
    pub priority: &'a str,
    pub kind: &'a str,
    pub created_by: &'a str,
}

/// An item's editable fields after an edit (the whole set is written, guarded by `version`).
pub struct ItemEdit<'a> {
    pub title: &'a str,
    pub owner_id: Option<&'a str>,
    pub due_at: Option<i64>,
    pub due_date: Option<&'a str>,
    pub priority: &'a str,
    pub kind: &'a str,
    pub service_id: Option<&'a str>,
    pub status: &'a str,
    pub done_at: Option<i64>,
    pub done_by: Option<&'a str>,
    /// `reminded_at` is cleared when the due date moves (a new due date earns a new reminder).
    pub reset_reminder: bool,
}

/// What the org-wide list is narrowed to (all `None`: everything).
#[derive(Default)]
pub struct ItemQuery<'a> {
    pub owner_id: Option<&'a str>,
    /// Open and due before this instant.
    pub overdue_at: Option<i64>,
    pub status: Option<&'a str>,
    pub service_id: Option<&'a str>,
    /// The item's service is the team's, or its owner is in the team.
    pub team_id: Option<&'a str>,
    pub incident_id: Option<&'a str>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct TicketingRow {
    pub id: String,
    pub org_id: String,
    pub system: String,
    pub base_url: Option<String>,
    pub email: Option<String>,
    pub project_key: Option<String>,
    pub issue_type: Option<String>,
    pub owner: Option<String>,
    pub repo: Option<String>,
    /// Sealed.
    pub api_token: String,
    /// Sealed.
    pub webhook_secret: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// An overdue item whose owner may be reminded.
#[derive(Debug, Clone, Deserialize)]
pub struct DueItemRow {
    pub id: String,
    pub org_id: String,
    pub title: String,
    pub owner_id: Option<String>,
    pub due_at: Option<i64>,
    pub status: String,
    pub reminded_at: Option<i64>,
}

fn timeline_guarded(db: &Db, org_id: &str, incident_id: &str, t: &NewTimeline<'_>, now: i64) -> ApiResult<D1PreparedStatement> {
    db.stmt(
        "INSERT INTO timeline (id, org_id, incident_id, at, kind, actor, message, seq)
         SELECT ?, ?, ?, ?, ?, ?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM timeline WHERE incident_id = ?3) WHERE changes() = 1",
        args![t.id, org_id, incident_id, now, t.kind, t.actor, t.message],
    )
}

impl Db {
    /// The organisation's time zone (its status page's; UTC when none is set).
    pub async fn org_time_zone(&self, org_id: &str) -> ApiResult<String> {
        let v: Option<serde_json::Value> = self.first("SELECT time_zone FROM status_pages WHERE org_id = ?", args![org_id]).await?;
        Ok(v.and_then(|v| v["time_zone"].as_str().map(str::to_string)).unwrap_or_else(|| "UTC".into()))
    }

    pub async fn action_item(&self, org_id: &str, id: &str) -> ApiResult<Option<ActionItemRow>> {
        self.first(&format!("{ITEM_SELECT} WHERE a.org_id = ? AND a.id = ?"), args![org_id, id]).await
    }

    /// The organisation's items narrowed by `q`, in list order, at most `limit`.
    pub async fn action_items(&self, org_id: &str, q: &ItemQuery<'_>, limit: i64) -> ApiResult<Vec<ActionItemRow>> {
        let mut sql = format!("{ITEM_SELECT} WHERE a.org_id = ?");
        let mut a: Vec<Arg<'_>> = vec![Arg::Text(org_id)];
        if let Some(o) = q.owner_id {
            sql.push_str(" AND a.owner_id = ?");
            a.push(Arg::Text(o));
        }
        if let Some(at) = q.overdue_at {
            sql.push_str(" AND a.status = 'open' AND a.due_at IS NOT NULL AND a.due_at < ?");
            a.push(Arg::Int(at));
        }
        if let Some(s) = q.status {
            sql.push_str(" AND a.status = ?");
            a.push(Arg::Text(s));
        }
        if let Some(s) = q.service_id {
            sql.push_str(" AND a.service_id = ?");
            a.push(Arg::Text(s));
        }
        if let Some(t) = q.team_id {
            sql.push_str(" AND (s.team_id = ? OR EXISTS (SELECT 1 FROM team_members m WHERE m.team_id = ? AND m.user_id = a.owner_id))");
            a.push(Arg::Text(t));
            a.push(Arg::Text(t));
        }
        if let Some(i) = q.incident_id {
            sql.push_str(" AND a.incident_id = ?");
            a.push(Arg::Text(i));
        }
        sql.push_str(&format!(" {ITEM_ORDER} LIMIT ?"));
        a.push(Arg::Int(limit));
        self.all(&sql, &a).await
    }

    /// Inserts an item (only when its incident, if any, is the organisation's) with its
    /// timeline row on the incident. Returns whether it was written.
    pub async fn insert_action_item(&self, n: &NewActionItem<'_>, t: Option<&NewTimeline<'_>>, now: i64) -> ApiResult<bool> {
        let mut stmts = vec![self.stmt(
            "INSERT INTO action_items (id, org_id, incident_id, postmortem_id, service_id, title, owner_id, due_at, due_date, priority, kind, status,
                                       created_at, updated_at, created_by, version)
             SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 'open', ?12, ?12, ?13, 1
             WHERE ?3 IS NULL OR EXISTS (SELECT 1 FROM incidents WHERE id = ?3 AND org_id = ?2)",
            args![n.id, n.org_id, n.incident_id, n.postmortem_id, n.service_id, n.title, n.owner_id, n.due_at, n.due_date, n.priority, n.kind, now, n.created_by],
        )?];
        if let (Some(t), Some(incident_id)) = (t, n.incident_id) {
            stmts.push(timeline_guarded(self, n.org_id, incident_id, t, now)?);
        }
        let res = self.batch(stmts).await?;
        Ok(changes(&res[0]) == 1)
    }

    /// Writes an edit if the item is still at `version` (with the incident's timeline row when
    /// `t` is given). Returns whether it was written.
    pub async fn update_action_item(&self, row: &ActionItemRow, e: &ItemEdit<'_>, t: Option<&NewTimeline<'_>>, now: i64) -> ApiResult<bool> {
        let mut stmts = vec![self.stmt(
            "UPDATE action_items SET title = ?, owner_id = ?, due_at = ?, due_date = ?, priority = ?, kind = ?, service_id = ?, status = ?,
                    done_at = ?, done_by = ?, reminded_at = CASE WHEN ? THEN NULL ELSE reminded_at END, updated_at = ?, version = version + 1
             WHERE org_id = ? AND id = ? AND version = ?",
            args![
                e.title,
                e.owner_id,
                e.due_at,
                e.due_date,
                e.priority,
                e.kind,
                e.service_id,
                e.status,
                e.done_at,
                e.done_by,
                e.reset_reminder as i64,
                now,
                &row.org_id,
                &row.id,
                row.version
            ],
        )?];
        if let (Some(t), Some(incident_id)) = (t, row.incident_id.as_deref()) {
            stmts.push(timeline_guarded(self, &row.org_id, incident_id, t, now)?);
        }
        let res = self.batch(stmts).await?;
        Ok(changes(&res[0]) == 1)
    }

    /// Claims the right to open the item's ticket: no ticket yet, and no other send in flight
    /// in the last minute. Returns whether this request holds the claim.
    pub async fn claim_ticket(&self, org_id: &str, id: &str, now: i64) -> ApiResult<bool> {
        let n = self
            .run(
                "UPDATE action_items SET ticket_claimed_at = ? WHERE org_id = ? AND id = ? AND ticket_key IS NULL
                   AND (ticket_claimed_at IS NULL OR ticket_claimed_at < ?)",
                args![now, org_id, id, now - 60_000],
            )
            .await?;
        Ok(n == 1)
    }

    /// Gives the claim back (the vendor refused: nothing is stored).
    pub async fn release_ticket_claim(&self, org_id: &str, id: &str, claimed_at: i64) -> ApiResult<()> {
        self.run("UPDATE action_items SET ticket_claimed_at = NULL WHERE org_id = ? AND id = ? AND ticket_claimed_at = ?", args![org_id, id, claimed_at]).await?;
        Ok(())
    }

    /// Stores the ticket the vendor opened (once), with the incident's timeline row.
    #[allow(clippy::too_many_arguments)]
    pub async fn store_ticket(&self, row: &ActionItemRow, system: &str, key: &str, url: &str, t: Option<&NewTimeline<'_>>, now: i64) -> ApiResult<bool> {
        let mut stmts = vec![self.stmt(
            "UPDATE action_items SET ticket_system = ?, ticket_key = ?, ticket_url = ?, ticket_claimed_at = NULL, updated_at = ?, version = version + 1
             WHERE org_id = ? AND id = ? AND ticket_key IS NULL",
            args![system, key, url, now, &row.org_id, &row.id],
        )?];
        if let (Some(t), Some(incident_id)) = (t, row.incident_id.as_deref()) {
            stmts.push(timeline_guarded(self, &row.org_id, incident_id, t, now)?);
        }
        let res = self.batch(stmts).await?;
        Ok(changes(&res[0]) == 1)
    }

    /// The organisation's item behind a ticket, the key in any case (GitHub's owner/repo and
    /// Jira's project keys are case-insensitive); seeks `action_items_ticket` (COLLATE NOCASE).
    pub async fn action_item_by_ticket(&self, org_id: &str, system: &str, key: &str) -> ApiResult<Option<ActionItemRow>> {
        self.first(&format!("{ITEM_SELECT} WHERE a.ticket_system = ? AND a.ticket_key = ? COLLATE NOCASE AND a.ticket_key IS NOT NULL AND a.org_id = ?"), args![system, key, org_id]).await
    }

    /// Whether postmortem `pm` is the organisation's and, when `incident_id` is given, covers it.
    pub async fn postmortem_fits(&self, org_id: &str, pm: &str, incident_id: Option<&str>) -> ApiResult<bool> {
        let v: Option<serde_json::Value> = self
            .first(
                "SELECT 1 AS ok FROM postmortems p WHERE p.id = ?1 AND p.org_id = ?2
                   AND (?3 IS NULL OR p.incident_id = ?3 OR EXISTS (SELECT 1 FROM postmortem_incidents x WHERE x.postmortem_id = p.id AND x.incident_id = ?3))",
                args![pm, org_id, incident_id],
            )
            .await?;
        Ok(v.is_some())
    }

    /// Marks an open item done because its ticket was closed at `at` (nobody in Tocsin did it),
    /// with the incident's timeline row — only if the item did not change since `at` (a reopen
    /// wins). Returns whether it changed (a repeat changes nothing).
    pub async fn close_by_ticket(&self, row: &ActionItemRow, at: i64, t: Option<&NewTimeline<'_>>, now: i64) -> ApiResult<bool> {
        let mut stmts = vec![self.stmt(
            "UPDATE action_items SET status = 'done', done_at = ?, done_by = NULL, updated_at = ?, version = version + 1
             WHERE org_id = ? AND id = ? AND status = 'open' AND updated_at < ?",
            args![now, now, &row.org_id, &row.id, at],
        )?];
        if let (Some(t), Some(incident_id)) = (t, row.incident_id.as_deref()) {
            stmts.push(timeline_guarded(self, &row.org_id, incident_id, t, now)?);
        }
        let res = self.batch(stmts).await?;
        Ok(changes(&res[0]) == 1)
    }

    /// Open owned items past due and not reminded in the last day (`reminded_before`), most
    /// overdue first, across organisations.
    pub async fn due_action_item_reminders(&self, now: i64, reminded_before: i64, limit: i64) -> ApiResult<Vec<DueItemRow>> {
        self.all(
            "SELECT id, org_id, title, owner_id, due_at, status, reminded_at FROM action_items
             WHERE status = 'open' AND due_at IS NOT NULL AND due_at < ? AND owner_id IS NOT NULL
               AND (reminded_at IS NULL OR reminded_at <= ?)
             ORDER BY due_at LIMIT ?",
            args![now, reminded_before, limit],
        )
        .await
    }

    /// Marks the owner's items `ids` reminded by run `run_id` (those no other run reminded within
    /// the day, and only if the owner got no summary within the day) and only then queues one
    /// push to each of the owner's devices (unless they turned push off). Returns whether this
    /// run sent the owner's summary.
    #[allow(clippy::too_many_arguments)]
    pub async fn remind_owner(&self, org_id: &str, owner_id: &str, ids: &[&str], run_id: &str, reminded_before: i64, payload: &str, now: i64) -> ApiResult<bool> {
        let ids: Vec<&str> = ids.iter().take(90).copied().collect(); // D1's bound-parameter limit
        let marks = vec!["?"; ids.len()].join(", ");
        let mut a: Vec<Arg<'_>> = vec![Arg::Int(now), Arg::Text(run_id), Arg::Text(owner_id), Arg::Int(reminded_before)];
        a.extend(ids.iter().map(|i| Arg::Text(i)));
        let res = self
            .batch(vec![
                self.stmt(
                    &format!(
                        "UPDATE action_items SET reminded_at = ?1, reminder_id = ?2 WHERE status = 'open' AND owner_id = ?3
                           AND (reminded_at IS NULL OR reminded_at <= ?4)
                           AND NOT EXISTS (SELECT 1 FROM action_items x WHERE x.owner_id = ?3 AND x.reminded_at > ?4 AND COALESCE(x.reminder_id, '') != ?2)
                           AND id IN ({marks})"
                    ),
                    &a,
                )?,
                self.stmt(
                    "INSERT OR IGNORE INTO outbound_deliveries (id, org_id, channel, target_id, user_id, incident_id, source, event, payload, state, attempts, next_attempt_at, created_at)
                     SELECT ?1 || '.' || s.id, ?2, 'push', s.id, ?3, NULL, 'action-items:' || ?3 || ':' || ?1, 'action_item_overdue', ?4, 'pending', 0, ?5, ?5
                     FROM push_subscriptions s
                     WHERE s.org_id = ?2 AND s.user_id = ?3
                       AND NOT EXISTS (SELECT 1 FROM contact_preferences c WHERE c.user_id = ?3 AND c.push = 0)
                       AND EXISTS (SELECT 1 FROM action_items WHERE owner_id = ?3 AND reminder_id = ?1)",
                    args![run_id, org_id, owner_id, payload, now],
                )?,
            ])
            .await?;
        Ok(changes(&res[0]) > 0)
    }

    pub async fn ticketing_configs(&self, org_id: &str) -> ApiResult<Vec<TicketingRow>> {
        self.all("SELECT * FROM ticketing_configs WHERE org_id = ? ORDER BY system", args![org_id]).await
    }

    pub async fn ticketing_config(&self, org_id: &str, system: &str) -> ApiResult<Option<TicketingRow>> {
        self.first("SELECT * FROM ticketing_configs WHERE org_id = ? AND system = ?", args![org_id, system]).await
    }

    /// A configuration by its id (the inbound webhook's path names it).
    pub async fn ticketing_config_by_id(&self, system: &str, id: &str) -> ApiResult<Option<TicketingRow>> {
        self.first("SELECT * FROM ticketing_configs WHERE id = ? AND system = ?", args![id, system]).await
    }

    /// Inserts or replaces the organisation's configuration of `r.system`, with its audit row.
    pub async fn put_ticketing_config(&self, r: &TicketingRow, audit: &Audit) -> ApiResult<()> {
        self.run_audited(
            "INSERT INTO ticketing_configs (id, org_id, system, base_url, email, project_key, issue_type, owner, repo, api_token, webhook_secret, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (org_id, system) DO UPDATE SET base_url = excluded.base_url, email = excluded.email, project_key = excluded.project_key,
               issue_type = excluded.issue_type, owner = excluded.owner, repo = excluded.repo, api_token = excluded.api_token,
               webhook_secret = excluded.webhook_secret, updated_at = excluded.updated_at",
            args![
                &r.id,
                &r.org_id,
                &r.system,
                r.base_url.as_deref(),
                r.email.as_deref(),
                r.project_key.as_deref(),
                r.issue_type.as_deref(),
                r.owner.as_deref(),
                r.repo.as_deref(),
                &r.api_token,
                &r.webhook_secret,
                r.created_at,
                r.updated_at
            ],
            audit,
        )
        .await?;
        Ok(())
    }

    pub async fn delete_ticketing_config(&self, org_id: &str, system: &str, audit: &Audit) -> ApiResult<bool> {
        Ok(self.run_audited("DELETE FROM ticketing_configs WHERE org_id = ? AND system = ?", args![org_id, system], audit).await? == 1)
    }
}
