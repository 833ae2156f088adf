//! Incidents, their alerts and their timeline. Every state change writes its timeline row in the
//! same batch as the change.

use serde::Deserialize;
use worker::D1PreparedStatement;

use super::{args, changes, rows, Db};
use crate::error::ApiResult;

#[derive(Debug, Clone, Deserialize)]
pub struct IncidentRow {
    pub id: String,
    pub number: i64,
    pub title: String,
    #[serde(default)]
    pub summary: String,
    pub status: String,
    pub severity: String,
    pub service_id: Option<String>,
    pub service_name: Option<String>,
    pub runbook_url: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub acknowledged_at: Option<i64>,
    pub acknowledged_by: Option<String>,
    pub resolved_at: Option<i64>,
    pub resolved_by: Option<String>,
    pub alert_count: i64,
    /// Set once merged into another incident (`db::command`), with that one's number.
    #[serde(default)]
    pub merged_into: Option<String>,
    #[serde(default)]
    pub merged_into_number: Option<i64>,
    /// Marked as noise (migration 0015).
    #[serde(default)]
    pub noise: i64,
}

pub const INCIDENT_SELECT: &str = "SELECT i.id, i.org_id, i.number, i.title, i.summary, i.status, i.severity, i.service_id,
     s.name AS service_name, s.runbook_url, i.created_at, i.updated_at, i.acknowledged_at, i.acknowledged_by,
     i.resolved_at, i.resolved_by, (SELECT COUNT(*) FROM alerts a WHERE a.incident_id = i.id) AS alert_count,
     i.merged_into, (SELECT m.number FROM incidents m WHERE m.id = i.merged_into) AS merged_into_number, i.noise
     FROM incidents i LEFT JOIN services s ON s.id = i.service_id";

/// Whether a timeline row waits for its number (`Db::number_unnumbered_timeline`, every minute).
pub const UNNUMBERED_WAITING: &str = "SELECT 1 AS n FROM timeline WHERE seq IS NULL ORDER BY at LIMIT 1";

/// The reads of `incident_detail` (named so tests/tests/plans.rs checks their query plans).
pub const INCIDENT_ALERTS: &str = "SELECT * FROM alerts WHERE org_id = ? AND incident_id = ? ORDER BY first_seen_at, id";
pub const INCIDENT_TIMELINE: &str = "SELECT id, seq, at, kind, actor, message FROM timeline WHERE org_id = ? AND incident_id = ? ORDER BY seq";
pub const INCIDENT_EVENTS: &str = "SELECT * FROM (SELECT e.*, ROW_NUMBER() OVER (PARTITION BY e.alert_id ORDER BY e.received_at DESC, e.rowid DESC) AS n
                       FROM alert_events e WHERE e.org_id = ? AND e.incident_id = ?) WHERE n <= 5 ORDER BY received_at DESC";
pub const INCIDENT_CHANGES: &str = "SELECT c.id, c.summary, c.source, c.details, c.links, c.at FROM change_events c JOIN incidents i ON i.service_id = c.service_id
                     WHERE i.org_id = ? AND i.id = ? AND c.at BETWEEN i.created_at - 3600000 AND i.created_at ORDER BY c.at DESC LIMIT 20";

#[derive(Debug, Clone, Deserialize)]
pub struct AlertRow {
    pub id: String,
    pub status: String,
    pub summary: String,
    pub severity: String,
    pub dedup_key: String,
    pub source: Option<String>,
    pub details: String,
    pub event_count: i64,
    pub first_seen_at: i64,
    pub last_seen_at: i64,
    pub resolved_at: Option<i64>,
    pub vendor: String,
    pub started_at: Option<i64>,
    pub links: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct AlertEventRow {
    pub id: String,
    pub received_at: i64,
    pub vendor: String,
    pub action: Option<String>,
    pub dedup_key: Option<String>,
    pub result: String,
    pub message: String,
    pub alert_id: Option<String>,
    pub incident_id: Option<String>,
    pub raw: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ChangeEventRow {
    pub id: String,
    pub summary: String,
    pub source: Option<String>,
    pub details: String,
    pub links: String,
    pub at: i64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct TimelineRow {
    pub id: String,
    #[serde(default)]
    pub seq: Option<i64>,
    pub at: i64,
    pub kind: String,
    pub actor: String,
    pub message: String,
}

/// One timeline row to write with a change.
pub struct NewTimeline<'a> {
    pub id: &'a str,
    pub kind: &'a str,
    /// JSON of an `api::Actor`.
    pub actor: &'a str,
    pub message: &'a str,
}

pub struct NewIncident<'a> {
    pub id: &'a str,
    pub org_id: &'a str,
    pub title: &'a str,
    pub severity: &'a str,
    pub service_id: Option<&'a str>,
}

/// An open incident as grouping sees it.
#[derive(Debug, Clone, Deserialize)]
pub struct OpenIncidentRow {
    pub id: String,
    pub created_at: i64,
    pub group_value: Option<String>,
}

pub struct IncidentDetailRows {
    pub incident: IncidentRow,
    pub alerts: Vec<AlertRow>,
    pub timeline: Vec<TimelineRow>,
    pub events: Vec<AlertEventRow>,
    pub changes: Vec<ChangeEventRow>,
}

/// Filters and position for the incident list (newest first).
pub struct IncidentQuery<'a> {
    pub statuses: Vec<&'static str>,
    pub service_id: Option<&'a str>,
    pub before: Option<(i64, &'a str)>,
    pub limit: i64,
}

impl Db {
    fn timeline_stmt(&self, org_id: &str, incident_id: &str, t: &NewTimeline<'_>, now: i64) -> ApiResult<D1PreparedStatement> {
        self.stmt(
            "INSERT INTO timeline (id, org_id, incident_id, at, kind, actor, message, seq) VALUES (?, ?, ?, ?, ?, ?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM timeline WHERE incident_id = ?3))",
            args![t.id, org_id, incident_id, now, t.kind, t.actor, t.message],
        )
    }

    /// The incident insert; its number is the organisation's next, taken inside the statement
    /// (SQLite runs one statement at a time, and a unique index backs it up).
    fn incident_stmt(&self, i: &NewIncident<'_>, now: i64) -> ApiResult<D1PreparedStatement> {
        // Declared by hand: impact and detection are the declaration (key times, migration 0015).
        let (kt_cols, kt_vals) = super::key_times::opened_columns(now, now);
        self.stmt(
            &format!(
                "INSERT INTO incidents (id, org_id, number, title, status, severity, service_id, created_at, updated_at{kt_cols})
                 SELECT ?, ?, COALESCE(MAX(number), 0) + 1, ?, 'triggered', ?, ?, ?, ?{kt_vals} FROM incidents WHERE org_id = ?"
            ),
            args![i.id, i.org_id, i.title, i.severity, i.service_id, now, now, i.org_id],
        )
    }

    /// A hand-declared incident and its first timeline row.
    pub async fn declare_incident(&self, i: &NewIncident<'_>, t: &NewTimeline<'_>, now: i64) -> ApiResult<()> {
        let mut stmts = vec![self.incident_stmt(i, now)?, self.timeline_stmt(i.org_id, i.id, t, now)?];
        // Its own copy of the service's runbook checklist, in the same batch.
        if let Some(sid) = i.service_id {
            stmts.push(self.checklist_copy_stmt(i.org_id, i.id, sid, now)?);
        }
        self.batch(stmts).await?;
        Ok(())
    }

    /// Moves an incident from `from` to `to` if it is still in `from` (optimistic concurrency),
    /// with its timeline row. Resolving also resolves its firing alerts. Returns false when the
    /// incident was no longer in `from`.
    pub async fn transition_incident(
        &self,
        org_id: &str,
        id: &str,
        from: &str,
        to: &str,
        actor_json: &str,
        t: &NewTimeline<'_>,
        now: i64,
    ) -> ApiResult<bool> {
        // With the key times of the transition (migration 0015).
        let update = match to {
            "acknowledged" => format!(
                "UPDATE incidents SET status = 'acknowledged', acknowledged_at = ?, acknowledged_by = ?, updated_at = ?, {}
                 WHERE org_id = ? AND id = ? AND status = ?",
                super::key_times::acknowledged(now)
            ),
            _ => format!(
                "UPDATE incidents SET status = 'resolved', resolved_at = ?, resolved_by = ?, updated_at = ?, {}
                 WHERE org_id = ? AND id = ? AND status = ?",
                super::key_times::resolved(now)
            ),
        };
        let mut stmts = vec![
            self.stmt(&update, args![now, actor_json, now, org_id, id, from])?,
            self.stmt(
                "INSERT INTO timeline (id, org_id, incident_id, at, kind, actor, message, seq) SELECT ?, ?, ?, ?, ?, ?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM timeline WHERE incident_id = ?3) WHERE changes() = 1",
                args![t.id, org_id, id, now, t.kind, t.actor, t.message],
            )?,
        ];
        if to == "resolved" {
            stmts.push(self.stmt(
                "UPDATE alerts SET status = 'resolved', resolved_at = ? WHERE incident_id = ? AND status = 'firing'
                 AND EXISTS (SELECT 1 FROM incidents WHERE id = ? AND status = 'resolved' AND resolved_at = ?)",
                args![now, id, id, now],
            )?);
        }
        let res = self.batch(stmts).await?;
        Ok(changes(&res[0]) == 1)
    }

    pub async fn incident(&self, org_id: &str, id: &str) -> ApiResult<Option<IncidentRow>> {
        self.first(&format!("{INCIDENT_SELECT} WHERE i.org_id = ? AND i.id = ?"), args![org_id, id]).await
    }

    /// These incidents of the organisation, as the list shows them (unknown and other
    /// organisations' ids are left out).
    pub async fn incidents_by_id(&self, org_id: &str, ids: &[&str]) -> ApiResult<Vec<IncidentRow>> {
        // D1 binds at most 100 parameters per statement: an alert storm can name more incidents.
        let mut found = Vec::new();
        for chunk in ids.chunks(90) {
            let sql = format!("{INCIDENT_SELECT} WHERE i.org_id = ? AND i.id IN ({})", vec!["?"; chunk.len()].join(", "));
            let mut a: Vec<super::Arg<'_>> = vec![org_id.into()];
            a.extend(chunk.iter().map(|i| super::Arg::Text(i)));
            found.extend(self.all::<IncidentRow>(&sql, &a).await?);
        }
        Ok(found)
    }

    /// The incident with its alerts, their latest events, its timeline and the service's changes
    /// in the hour before it opened, in one round trip.
    pub async fn incident_detail(&self, org_id: &str, id: &str) -> ApiResult<Option<IncidentDetailRows>> {
        let res = self
            .batch(vec![
                self.stmt(&format!("{INCIDENT_SELECT} WHERE i.org_id = ? AND i.id = ?"), args![org_id, id])?,
                self.stmt(INCIDENT_ALERTS, args![org_id, id])?,
                self.stmt(INCIDENT_TIMELINE, args![org_id, id])?,
                self.stmt(INCIDENT_EVENTS, args![org_id, id])?,
                self.stmt(INCIDENT_CHANGES, args![org_id, id])?,
            ])
            .await?;
        let Some(incident) = rows::<IncidentRow>(&res[0])?.into_iter().next() else { return Ok(None) };
        Ok(Some(IncidentDetailRows { incident, alerts: rows(&res[1])?, timeline: rows(&res[2])?, events: rows(&res[3])?, changes: rows(&res[4])? }))
    }

    pub async fn incidents(&self, org_id: &str, q: &IncidentQuery<'_>) -> ApiResult<Vec<IncidentRow>> {
        let mut sql = format!("{INCIDENT_SELECT} WHERE i.org_id = ?");
        let mut a: Vec<super::Arg<'_>> = vec![org_id.into()];
        if !q.statuses.is_empty() {
            sql.push_str(&format!(" AND i.status IN ({})", vec!["?"; q.statuses.len()].join(", ")));
            a.extend(q.statuses.iter().map(|s| super::Arg::Text(s)));
        }
        if let Some(s) = q.service_id {
            sql.push_str(" AND i.service_id = ?");
            a.push(s.into());
        }
        if let Some((at, id)) = q.before {
            // A row value, which SQLite seeks to in `incidents_org_created`. The same condition
            // written with OR is sought only when the values are literals: with bound values
            // it walked the index from the newest incident down to the cursor (bench-scale:
            // 13.5 ms per page 90 % deep into 110 000 incidents, 0.1 ms as a row value).
            sql.push_str(" AND (i.created_at, i.id) < (?, ?)");
            a.extend([at.into(), id.into()]);
        }
        sql.push_str(" ORDER BY i.created_at DESC, i.id DESC LIMIT ?");
        a.push(q.limit.into());
        self.all(&sql, &a).await
    }
}

impl Db {
    /// Up to `limit` timeline rows of an incident after sequence number `after`, in order, and
    /// the highest number the incident has now (read in the same batch, so they agree).
    pub async fn timeline_after(&self, org_id: &str, incident_id: &str, after: i64, limit: u32) -> ApiResult<(Vec<TimelineRow>, i64)> {
        let res = self
            .batch(vec![
                self.stmt(
                    "SELECT id, seq, at, kind, actor, message FROM timeline WHERE org_id = ? AND incident_id = ? AND seq > ? ORDER BY seq LIMIT ?",
                    args![org_id, incident_id, after, limit as i64],
                )?,
                self.stmt("SELECT COALESCE(MAX(seq), 0) AS n FROM timeline WHERE org_id = ? AND incident_id = ?", args![org_id, incident_id])?,
            ])
            .await?;
        let found = rows::<TimelineRow>(&res[0])?;
        let last = rows::<serde_json::Value>(&res[1])?.first().and_then(|v| v["n"].as_i64()).unwrap_or(0);
        Ok((found, last))
    }
}

impl Db {
    /// Numbers timeline rows written without a sequence number (by a worker of the previous
    /// version still running while migration 0010 applied), a few at a time, each in its own
    /// statement so each sees the number before it. Returns how many it numbered.
    pub async fn number_unnumbered_timeline(&self, limit: usize) -> ApiResult<usize> {
        // Whether any row waits, through the partial index of waiting rows (`ORDER BY at` picks
        // it: a COUNT(*) was answered from the whole `(incident_id, seq)` index instead, a scan
        // of every timeline row every minute — 55 ms at a million alerts).
        if self.first_n(UNNUMBERED_WAITING, &[]).await?.is_none() {
            return Ok(0);
        }
        let stmts = (0..limit)
            .map(|_| {
                self.stmt(
                    "UPDATE timeline SET seq = (SELECT COALESCE(MAX(t.seq), 0) + 1 FROM timeline t WHERE t.incident_id = timeline.incident_id)
                     WHERE rowid = (SELECT rowid FROM timeline WHERE seq IS NULL ORDER BY at LIMIT 1)",
                    &[],
                )
            })
            .collect::<ApiResult<Vec<_>>>()?;
        Ok(self.batch(stmts).await?.iter().map(changes).sum())
    }
}

impl Db {
    /// An edit of title, summary and severity with its timeline rows, in one batch.
    #[allow(clippy::too_many_arguments)]
    pub async fn edit_incident(&self, org_id: &str, id: &str, title: &str, summary: &str, severity: &str, noise: bool, rows: &[NewTimeline<'_>], now: i64) -> ApiResult<bool> {
        let mut stmts = vec![self.stmt(
            "UPDATE incidents SET title = ?, summary = ?, severity = ?, noise = ?, updated_at = ? WHERE org_id = ? AND id = ?",
            args![title, summary, severity, noise as i64, now, org_id, id],
        )?];
        for t in rows {
            stmts.push(self.timeline_stmt(org_id, id, t, now)?);
        }
        let res = self.batch(stmts).await?;
        Ok(changes(&res[0]) == 1)
    }
}
