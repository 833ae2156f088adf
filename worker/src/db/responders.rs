//! Responders of incidents (table `incident_responders`): who was asked, their answers, and the
//! requests that ran out. Every change writes its timeline row in the same batch, guarded so
//! that a replay (a retried request, a second tap) writes nothing and pages nobody.

use serde::Deserialize;

use super::{args, Db, NewDelivery};
use crate::error::ApiResult;

#[derive(Debug, Clone, Deserialize)]
pub struct ResponderRow {
    pub org_id: String,
    pub incident_id: String,
    pub user_id: String,
    pub name: String,
    pub state: String,
    pub requested_by: String,
    pub requested_at: i64,
    pub answered_at: Option<i64>,
    pub message: Option<String>,
}

/// A person a request asks, with the timeline row and the pages it writes.
pub struct NewRequest<'a> {
    pub user_id: &'a str,
    pub timeline_id: String,
    pub timeline_message: String,
    pub deliveries: Vec<NewDelivery<'a>>,
}

/// A person who may be suggested: their tags and whether they can be paged.
#[derive(Debug, Clone, Deserialize)]
pub struct CandidateRow {
    pub id: String,
    pub name: String,
    pub expertise: String,
    pub deactivated_at: Option<i64>,
    pub password_hash_set: i64,
}

const SELECT: &str = "SELECT r.org_id, r.incident_id, r.user_id, u.name, r.state, r.requested_by, r.requested_at, r.answered_at, r.message
     FROM incident_responders r JOIN users u ON u.id = r.user_id";

impl Db {
    pub async fn responders(&self, org_id: &str, incident_id: &str) -> ApiResult<Vec<ResponderRow>> {
        self.all(&format!("{SELECT} WHERE r.org_id = ? AND r.incident_id = ? ORDER BY r.requested_at, u.name"), args![org_id, incident_id]).await
    }

    pub async fn responder(&self, org_id: &str, incident_id: &str, user_id: &str) -> ApiResult<Option<ResponderRow>> {
        self.first(&format!("{SELECT} WHERE r.org_id = ? AND r.incident_id = ? AND r.user_id = ?"), args![org_id, incident_id, user_id]).await
    }

    /// Everyone of the organisation with their expertise (for suggestions).
    pub async fn candidates(&self, org_id: &str) -> ApiResult<Vec<CandidateRow>> {
        self.all(
            "SELECT id, name, expertise, deactivated_at, password_hash IS NOT NULL AS password_hash_set FROM users WHERE org_id = ? ORDER BY name LIMIT 1000",
            args![org_id],
        )
        .await
    }

    /// The expertise declared by the services an incident affects: its own service first, then
    /// the other affected services (`incident_services`) by name; each tag once.
    pub async fn incident_expertise(&self, org_id: &str, incident_id: &str) -> ApiResult<Vec<String>> {
        let rows: Vec<ExpertiseRow> = self
            .all(
                "SELECT s.expertise FROM (
                   SELECT 0 AS k, service_id FROM incidents WHERE org_id = ?1 AND id = ?2
                   UNION ALL SELECT 1, service_id FROM incident_services WHERE org_id = ?1 AND incident_id = ?2
                 ) x JOIN services s ON s.id = x.service_id AND s.org_id = ?1
                 ORDER BY x.k, s.name COLLATE NOCASE, s.id",
                args![org_id, incident_id],
            )
            .await?;
        let mut out: Vec<String> = Vec::new();
        for r in rows {
            for t in tocsin_domain::expertise::parse_stored(&r.expertise) {
                if !out.contains(&t) {
                    out.push(t);
                }
            }
        }
        Ok(out)
    }

    /// Asks each person in one batch: the request row (new, or a declined / unanswered one asked
    /// again), its timeline row only when the row changed, and its pages only when that timeline
    /// row was written. Returns the user ids really asked.
    pub async fn request_responders(&self, org_id: &str, incident_id: &str, actor: &str, message: Option<&str>, reqs: &[NewRequest<'_>], now: i64) -> ApiResult<Vec<String>> {
        let mut stmts = Vec::new();
        for r in reqs {
            stmts.push(self.stmt(
                "INSERT INTO incident_responders (incident_id, user_id, org_id, state, requested_by, requested_at, answered_at, message)
                 SELECT ?1, ?2, ?3, 'requested', ?4, ?5, NULL, ?6 WHERE EXISTS (SELECT 1 FROM incidents WHERE id = ?1 AND org_id = ?3)
                 ON CONFLICT (incident_id, user_id) DO UPDATE SET state = 'requested', requested_by = excluded.requested_by,
                   requested_at = excluded.requested_at, answered_at = NULL, message = excluded.message
                 WHERE incident_responders.state NOT IN ('requested', 'joined')",
                args![incident_id, r.user_id, org_id, actor, now, message],
            )?);
            stmts.push(self.stmt(
                "INSERT INTO timeline (id, org_id, incident_id, at, kind, actor, message, seq)
                 SELECT ?, ?, ?, ?, 'responder.requested', ?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM timeline WHERE incident_id = ?3) WHERE changes() = 1",
                args![&r.timeline_id, org_id, incident_id, now, actor, &r.timeline_message],
            )?);
            for d in &r.deliveries {
                stmts.push(self.stmt(
                    "INSERT OR IGNORE INTO outbound_deliveries (id, org_id, channel, target_id, user_id, incident_id, source, event, payload, state, attempts, next_attempt_at, created_at)
                     SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ? WHERE EXISTS (SELECT 1 FROM timeline WHERE id = ?)",
                    args![&d.id, d.org_id, d.channel, &d.target_id, d.user_id, d.incident_id, &d.source, d.event, &d.payload, now, now, &r.timeline_id],
                )?);
            }
        }
        if stmts.is_empty() {
            return Ok(Vec::new());
        }
        self.batch(stmts).await?;
        let ids: Vec<&str> = reqs.iter().map(|r| r.timeline_id.as_str()).collect();
        let written: Vec<IdRow> = self.all_in("SELECT id FROM timeline WHERE id IN ({in})", &ids).await?;
        Ok(reqs.iter().filter(|r| written.iter().any(|w| w.id == r.timeline_id)).map(|r| r.user_id.to_string()).collect())
    }

    /// Records an answer unless it is already the state; the timeline row only when it changed.
    /// Returns whether it changed.
    #[allow(clippy::too_many_arguments)]
    pub async fn answer_responder(&self, org_id: &str, incident_id: &str, user_id: &str, state: &str, kind: &str, timeline_id: &str, actor: &str, message: &str, now: i64) -> ApiResult<bool> {
        let res = self
            .batch(vec![
                self.stmt(
                    "UPDATE incident_responders SET state = ?, answered_at = ? WHERE org_id = ? AND incident_id = ? AND user_id = ? AND state != ?1",
                    args![state, now, org_id, incident_id, user_id],
                )?,
                self.stmt(
                    "INSERT INTO timeline (id, org_id, incident_id, at, kind, actor, message, seq)
                     SELECT ?, ?, ?, ?, ?, ?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM timeline WHERE incident_id = ?3) WHERE changes() = 1",
                    args![timeline_id, org_id, incident_id, now, kind, actor, message],
                )?,
            ])
            .await?;
        Ok(super::changes(&res[0]) == 1)
    }

    /// Requests still unanswered that were made at or before `before` (all organisations), on
    /// incidents still running: nobody is marked "no answer" on a resolved (or merged) incident.
    pub async fn unanswered_requests(&self, before: i64, limit: i64) -> ApiResult<Vec<ResponderRow>> {
        self.all(
            &format!(
                "{SELECT} WHERE r.state = 'requested' AND r.requested_at <= ?
                   AND EXISTS (SELECT 1 FROM incidents i WHERE i.id = r.incident_id AND i.status != 'resolved')
                 ORDER BY r.requested_at LIMIT ?"
            ),
            args![before, limit],
        )
        .await
    }

    /// Marks one request `no_answer` if it is still the same unanswered request, with its
    /// timeline row in the same batch. Returns whether it changed.
    pub async fn mark_no_answer(&self, r: &ResponderRow, timeline_id: &str, actor: &str, message: &str, now: i64) -> ApiResult<bool> {
        let res = self
            .batch(vec![
                self.stmt(
                    "UPDATE incident_responders SET state = 'no_answer', answered_at = ? WHERE incident_id = ? AND user_id = ? AND state = 'requested' AND requested_at = ?
                       AND EXISTS (SELECT 1 FROM incidents WHERE id = ?2 AND status != 'resolved')",
                    args![now, &r.incident_id, &r.user_id, r.requested_at],
                )?,
                self.stmt(
                    "INSERT INTO timeline (id, org_id, incident_id, at, kind, actor, message, seq)
                     SELECT ?, ?, ?, ?, 'responder.no_answer', ?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM timeline WHERE incident_id = ?3) WHERE changes() = 1",
                    args![timeline_id, &r.org_id, &r.incident_id, now, actor, message],
                )?,
            ])
            .await?;
        Ok(super::changes(&res[0]) == 1)
    }
}

#[derive(Debug, Deserialize)]
struct ExpertiseRow {
    expertise: String,
}

#[derive(Debug, Deserialize)]
struct IdRow {
    id: String,
}

