//! SQL of on-call: schedules and overrides, escalation policies, running escalations and the
//! notification outbox.

use serde::Deserialize;

use super::{args, changes, Db};
use crate::error::ApiResult;

#[derive(Debug, Clone, Deserialize)]
pub struct ScheduleRow {
    pub id: String,
    pub name: String,
    pub time_zone: String,
    pub layers: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct OverrideRow {
    pub schedule_id: String,
    pub user_id: String,
    pub starts_at: i64,
    pub ends_at: i64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct PolicyRow {
    pub id: String,
    pub name: String,
    pub policy: String,
}

/// A running escalation with its incident's status.
#[derive(Debug, Clone, Deserialize)]
pub struct EscalationRow {
    pub incident_id: String,
    pub org_id: String,
    pub policy: String,
    pub cycle: i64,
    pub level: i64,
    pub next_at: Option<i64>,
    pub status: String,
    pub number: i64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct OutboxRow {
    pub id: String,
    pub incident_id: String,
    pub user_id: String,
    pub cycle: i64,
    pub level: i64,
    pub reason: String,
    pub state: String,
    pub created_at: i64,
}

/// One decided notification, to write to the outbox.
pub struct NewNotification<'a> {
    pub id: String,
    pub user_id: &'a str,
    pub reason: String,
}

const ESCALATION_SELECT: &str = "SELECT e.incident_id, e.org_id, e.policy, e.cycle, e.level, e.next_at, i.status, i.number
     FROM incident_escalations e JOIN incidents i ON i.id = e.incident_id";

impl Db {
    pub async fn insert_schedule(&self, id: &str, org_id: &str, name: &str, tz: &str, layers: &str, now: i64) -> ApiResult<()> {
        self.run(
            "INSERT INTO schedules (id, org_id, name, time_zone, layers, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            args![id, org_id, name, tz, layers, now, now],
        )
        .await?;
        Ok(())
    }

    pub async fn schedules(&self, org_id: &str) -> ApiResult<Vec<ScheduleRow>> {
        self.all("SELECT id, name, time_zone, layers FROM schedules WHERE org_id = ? ORDER BY name", args![org_id]).await
    }

    /// Overrides of the organisation's schedules that end after `since`.
    pub async fn overrides(&self, org_id: &str, since: i64) -> ApiResult<Vec<OverrideRow>> {
        self.all("SELECT schedule_id, user_id, starts_at, ends_at FROM schedule_overrides WHERE org_id = ? AND ends_at > ?", args![org_id, since]).await
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn insert_override(&self, id: &str, org_id: &str, schedule_id: &str, user_id: &str, starts: i64, ends: i64, by: &str, now: i64) -> ApiResult<()> {
        self.run(
            "INSERT INTO schedule_overrides (id, org_id, schedule_id, user_id, starts_at, ends_at, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            args![id, org_id, schedule_id, user_id, starts, ends, by, now],
        )
        .await?;
        Ok(())
    }

    pub async fn insert_policy(&self, id: &str, org_id: &str, name: &str, policy: &str, now: i64) -> ApiResult<()> {
        self.run(
            "INSERT INTO escalation_policies (id, org_id, name, policy, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
            args![id, org_id, name, policy, now, now],
        )
        .await?;
        Ok(())
    }

    pub async fn policies(&self, org_id: &str) -> ApiResult<Vec<PolicyRow>> {
        self.all("SELECT id, name, policy FROM escalation_policies WHERE org_id = ? ORDER BY name", args![org_id]).await
    }

    pub async fn set_service_policy(&self, org_id: &str, service_id: &str, policy_id: Option<&str>, now: i64) -> ApiResult<bool> {
        super::forget_keys();
        let n = self
            .run(
                "UPDATE services SET escalation_policy_id = ?, updated_at = ? WHERE org_id = ? AND id = ?
                 AND (? IS NULL OR EXISTS (SELECT 1 FROM escalation_policies WHERE id = ? AND org_id = ?))",
                args![policy_id, now, org_id, service_id, policy_id, policy_id, org_id],
            )
            .await?;
        Ok(n == 1)
    }

    /// Snapshots the service's policy on a newly opened incident, first step due at once.
    /// Returns false when the service has no policy (or the incident already has one).
    pub async fn start_escalation(&self, incident_id: &str, service_id: &str, now: i64) -> ApiResult<bool> {
        let n = self
            .run(
                "INSERT INTO incident_escalations (incident_id, org_id, policy, cycle, level, next_at, updated_at)
                 SELECT ?, s.org_id, p.policy, 0, 0, ?, ? FROM services s JOIN escalation_policies p ON p.id = s.escalation_policy_id
                 WHERE s.id = ? ON CONFLICT (incident_id) DO NOTHING",
                args![incident_id, now, now, service_id],
            )
            .await?;
        Ok(n == 1)
    }

    pub async fn escalation(&self, incident_id: &str) -> ApiResult<Option<EscalationRow>> {
        self.first(&format!("{ESCALATION_SELECT} WHERE e.incident_id = ?"), args![incident_id]).await
    }

    /// Escalations with a step due at or before `now`, oldest first, bounded.
    pub async fn due_escalations(&self, now: i64, limit: i64) -> ApiResult<Vec<EscalationRow>> {
        self.all(&format!("{ESCALATION_SELECT} WHERE e.next_at IS NOT NULL AND e.next_at <= ? ORDER BY e.next_at LIMIT ?"), args![now, limit]).await
    }

    /// Records a step: moves the escalation from the position it was read at to the next one
    /// (if another runner moved it first, nothing is written), writes the timeline row and the
    /// outbox rows (unique per incident, pass, level and person). Returns whether this runner won.
    #[allow(clippy::too_many_arguments)]
    pub async fn record_step(
        &self,
        e: &EscalationRow,
        next: Option<(i64, i64, i64)>,
        timeline: Option<(&str, &str, &str)>,
        pages: &[NewNotification<'_>],
        now: i64,
    ) -> ApiResult<bool> {
        let (cycle, level, next_at) = match next {
            Some((c, l, at)) => (c, l, Some(at)),
            None => (e.cycle, e.level, None),
        };
        let mut stmts = vec![self.stmt(
            "UPDATE incident_escalations SET cycle = ?, level = ?, next_at = ?, updated_at = ?
             WHERE incident_id = ? AND cycle = ? AND level = ? AND next_at IS ?",
            args![cycle, level, next_at, now, &e.incident_id, e.cycle, e.level, e.next_at],
        )?];
        if let Some((id, actor, message)) = timeline {
            stmts.push(self.stmt(
                "INSERT INTO timeline (id, org_id, incident_id, at, kind, actor, message) SELECT ?, ?, ?, ?, 'incident.escalated', ?, ? WHERE changes() = 1",
                args![id, &e.org_id, &e.incident_id, now, actor, message],
            )?);
        }
        for p in pages {
            stmts.push(self.stmt(
                "INSERT INTO notification_outbox (id, org_id, incident_id, user_id, cycle, level, reason, state, created_at)
                 VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?) ON CONFLICT DO NOTHING",
                args![&p.id, &e.org_id, &e.incident_id, p.user_id, e.cycle, e.level, &p.reason, now],
            )?);
        }
        let res = self.batch(stmts).await?;
        Ok(changes(&res[0]) == 1)
    }

    /// "Escalate now": the current step becomes due at once.
    pub async fn escalate_now(&self, org_id: &str, incident_id: &str, now: i64) -> ApiResult<bool> {
        let n = self
            .run(
                "UPDATE incident_escalations SET next_at = ?, updated_at = ? WHERE org_id = ? AND incident_id = ? AND next_at IS NOT NULL",
                args![now, now, org_id, incident_id],
            )
            .await?;
        Ok(n == 1)
    }

    pub async fn outbox_of(&self, org_id: &str, incident_id: &str) -> ApiResult<Vec<OutboxRow>> {
        self.all(
            "SELECT id, incident_id, user_id, cycle, level, reason, state, created_at FROM notification_outbox
             WHERE org_id = ? AND incident_id = ? ORDER BY created_at, rowid",
            args![org_id, incident_id],
        )
        .await
    }

    pub async fn user_names(&self, org_id: &str) -> ApiResult<Vec<(String, String)>> {
        #[derive(Deserialize)]
        struct R {
            id: String,
            name: String,
        }
        let r: Vec<R> = self.all("SELECT id, name FROM users WHERE org_id = ?", args![org_id]).await?;
        Ok(r.into_iter().map(|r| (r.id, r.name)).collect())
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct CalendarFeedRow {
    pub org_id: String,
    pub kind: String,
    pub subject_id: String,
}

impl Db {
    pub async fn insert_calendar_feed(&self, id: &str, org_id: &str, kind: &str, subject: &str, token_hash: &str, now: i64) -> ApiResult<()> {
        self.run(
            "INSERT INTO calendar_feeds (id, org_id, kind, subject_id, token_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            args![id, org_id, kind, subject, token_hash, now],
        )
        .await?;
        Ok(())
    }

    pub async fn calendar_feed(&self, token_hash: &str) -> ApiResult<Option<CalendarFeedRow>> {
        self.first("SELECT org_id, kind, subject_id FROM calendar_feeds WHERE token_hash = ? AND revoked_at IS NULL", args![token_hash]).await
    }

    pub async fn revoke_calendar_feed(&self, org_id: &str, id: &str, now: i64) -> ApiResult<bool> {
        Ok(self.run("UPDATE calendar_feeds SET revoked_at = ? WHERE org_id = ? AND id = ? AND revoked_at IS NULL", args![now, org_id, id]).await? == 1)
    }
}

impl Db {
    /// The earliest due step of any running escalation.
    pub async fn earliest_escalation(&self) -> ApiResult<Option<i64>> {
        Ok(self.first::<serde_json::Value>("SELECT MIN(next_at) AS at FROM incident_escalations WHERE next_at IS NOT NULL", &[]).await?.and_then(|v| v["at"].as_i64()))
    }
}
