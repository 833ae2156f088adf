//! Readiness in D1: everything `GET /api/readiness` looks at, read in one batch (one round trip
//! whatever the number of services: each service's last event is a correlated `max()` answered
//! by an index seek on `alert_events(service_id, received_at DESC)` and
//! `change_events(service_id, received_at DESC)`), and a service's runbook checklist review
//! ("last reviewed at/by", set by saving the template or by "mark reviewed", audited).

use serde::Deserialize;
use worker::D1PreparedStatement;

use super::{args, rows, Audit, Db};
use crate::error::ApiResult;

#[derive(Debug, Clone, Deserialize)]
pub struct ReadinessServiceRow {
    pub id: String,
    pub name: String,
    pub escalation_policy_id: Option<String>,
    pub steps: i64,
    pub checklist_reviewed_at: Option<i64>,
    pub last_alert_at: Option<i64>,
    pub last_change_at: Option<i64>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ReadinessPolicyRow {
    pub id: String,
    pub name: String,
    pub policy: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ReadinessScheduleRow {
    pub id: String,
    pub name: String,
    pub time_zone: String,
    pub layers: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ReadinessOverrideRow {
    pub schedule_id: String,
    pub user_id: String,
    pub starts_at: i64,
    pub ends_at: i64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ReadinessPersonRow {
    pub id: String,
    pub name: String,
    pub active: i64,
    pub push: i64,
    pub webhook: i64,
    pub devices: i64,
    pub failing: i64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ReadinessActionItemRow {
    pub id: String,
    pub title: String,
    pub due_at: Option<i64>,
    pub owner: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
struct TimeZoneRow {
    time_zone: String,
}

/// What readiness reads, as rows.
pub struct ReadinessRows {
    pub time_zone: String,
    pub services: Vec<ReadinessServiceRow>,
    pub policies: Vec<ReadinessPolicyRow>,
    pub schedules: Vec<ReadinessScheduleRow>,
    pub overrides: Vec<ReadinessOverrideRow>,
    pub people: Vec<ReadinessPersonRow>,
    pub overdue: Vec<ReadinessActionItemRow>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ChecklistReviewRow {
    pub steps: i64,
    pub checklist_reviewed_at: Option<i64>,
    pub checklist_reviewed_by: Option<String>,
    pub reviewer_name: Option<String>,
}

impl Db {
    /// Everything readiness needs about an organisation at `now`, in one D1 batch of seven reads.
    pub async fn readiness_rows(&self, org_id: &str, now: i64) -> ApiResult<ReadinessRows> {
        let res = self
            .batch(vec![
                self.stmt("SELECT time_zone FROM status_pages WHERE org_id = ?", args![org_id])?,
                self.stmt(
                    "SELECT s.id, s.name, s.escalation_policy_id, s.checklist_reviewed_at,
                            (SELECT COUNT(*) FROM service_checklist_steps c WHERE c.service_id = s.id) AS steps,
                            (SELECT MAX(e.received_at) FROM alert_events e WHERE e.service_id = s.id) AS last_alert_at,
                            (SELECT MAX(c.received_at) FROM change_events c WHERE c.service_id = s.id) AS last_change_at
                     FROM services s WHERE s.org_id = ?",
                    args![org_id],
                )?,
                self.stmt("SELECT id, name, policy FROM escalation_policies WHERE org_id = ?", args![org_id])?,
                self.stmt("SELECT id, name, time_zone, layers FROM schedules WHERE org_id = ?", args![org_id])?,
                self.stmt("SELECT schedule_id, user_id, starts_at, ends_at FROM schedule_overrides WHERE org_id = ? AND ends_at > ?", args![org_id, now])?,
                self.stmt(
                    "SELECT u.id, u.name, (u.deactivated_at IS NULL) AS active, COALESCE(cp.push, 1) AS push,
                            (COALESCE(cp.webhook_url, '') <> '') AS webhook,
                            (SELECT COUNT(*) FROM push_subscriptions p WHERE p.user_id = u.id) AS devices,
                            (SELECT COUNT(*) FROM push_subscriptions p WHERE p.user_id = u.id AND p.last_failure IS NOT NULL) AS failing
                     FROM users u LEFT JOIN contact_preferences cp ON cp.user_id = u.id WHERE u.org_id = ?",
                    args![org_id],
                )?,
                // Open and past due: a range of the (org_id, status, due_at) index.
                self.stmt(
                    "SELECT a.id, a.title, a.due_at, o.name AS owner FROM action_items a LEFT JOIN users o ON o.id = a.owner_id
                     WHERE a.org_id = ? AND a.status = 'open' AND a.due_at < ?",
                    args![org_id, now],
                )?,
            ])
            .await?;
        Ok(ReadinessRows {
            time_zone: rows::<TimeZoneRow>(&res[0])?.into_iter().next().map_or_else(|| "UTC".to_string(), |r| r.time_zone),
            services: rows(&res[1])?,
            policies: rows(&res[2])?,
            schedules: rows(&res[3])?,
            overrides: rows(&res[4])?,
            people: rows(&res[5])?,
            overdue: rows(&res[6])?,
        })
    }

    /// The statement that records a review of a service's runbook checklist (for the batch that
    /// saves the template).
    pub fn checklist_reviewed_stmt(&self, org_id: &str, service_id: &str, user_id: &str, now: i64) -> ApiResult<D1PreparedStatement> {
        self.stmt("UPDATE services SET checklist_reviewed_at = ?, checklist_reviewed_by = ? WHERE org_id = ? AND id = ?", args![now, user_id, org_id, service_id])
    }

    /// "Mark reviewed", with its audit row; false when there is no such service.
    pub async fn mark_checklist_reviewed(&self, org_id: &str, service_id: &str, user_id: &str, now: i64, audit: &Audit) -> ApiResult<bool> {
        let n = self
            .run_audited(
                "UPDATE services SET checklist_reviewed_at = ?, checklist_reviewed_by = ? WHERE org_id = ? AND id = ?",
                args![now, user_id, org_id, service_id],
                audit,
            )
            .await?;
        Ok(n == 1)
    }

    /// A service's template size and last review; `None` when there is no such service.
    pub async fn checklist_review(&self, org_id: &str, service_id: &str) -> ApiResult<Option<ChecklistReviewRow>> {
        self.first(
            "SELECT (SELECT COUNT(*) FROM service_checklist_steps c WHERE c.service_id = s.id) AS steps,
                    s.checklist_reviewed_at, s.checklist_reviewed_by, u.name AS reviewer_name
             FROM services s LEFT JOIN users u ON u.id = s.checklist_reviewed_by WHERE s.org_id = ? AND s.id = ?",
            args![org_id, service_id],
        )
        .await
    }
}
