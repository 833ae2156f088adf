//! Structured status updates in D1: posting one (with its timeline row and, when published, the
//! public status page's incident and update, all in one batch), reading them, and the cron's
//! overdue reminder — marked, recorded on the timeline and queued as a push in one batch, and
//! only by the run whose mark stuck, so it is never sent twice.

use serde::Deserialize;

use super::{args, changes, Audit, Db, NewTimeline, PublicIncidentRow, UpdateRow};
use crate::error::ApiResult;

#[derive(Debug, Clone, Deserialize)]
pub struct StatusUpdateRow {
    pub id: String,
    pub status: String,
    pub message: String,
    pub posted_by: String,
    pub posted_by_name: Option<String>,
    pub posted_at: i64,
    pub next_update_at: Option<i64>,
    pub public_incident_id: Option<String>,
    pub reminded_at: Option<i64>,
}

/// An update to write.
pub struct NewStatusUpdate<'a> {
    pub id: &'a str,
    pub org_id: &'a str,
    pub incident_id: &'a str,
    pub status: &'a str,
    pub message: &'a str,
    pub posted_by: &'a str,
    pub next_update_at: Option<i64>,
    pub public_incident_id: Option<&'a str>,
}

/// What publishing writes on the public page in the same batch.
pub struct PublicWrite<'a> {
    pub row: &'a PublicIncidentRow,
    pub insert: bool,
    pub update: &'a UpdateRow,
    pub component_changes: &'a [(String, String)],
    pub audit: &'a Audit,
}

/// An update whose promised next one may be overdue (the latest of a running incident).
#[derive(Debug, Clone, Deserialize)]
pub struct DueUpdateRow {
    pub id: String,
    pub org_id: String,
    pub incident_id: String,
    pub posted_by: String,
    pub poster_name: String,
    pub next_update_at: i64,
    pub reminded_at: Option<i64>,
    pub number: i64,
    pub severity: String,
    pub incident_status: String,
    /// The incident's communications lead (an active person), if it has one.
    pub lead_id: Option<String>,
    pub lead_name: Option<String>,
}

const UPDATE_SELECT: &str = "SELECT u.id, u.status, u.message, u.posted_by, p.name AS posted_by_name, u.posted_at, u.next_update_at,
     u.public_incident_id, u.reminded_at FROM status_updates u LEFT JOIN users p ON p.id = u.posted_by";

/// "No newer update of the same incident" for the update aliased `u`.
const IS_LATEST: &str = "NOT EXISTS (SELECT 1 FROM status_updates n WHERE n.incident_id = u.incident_id
     AND (n.posted_at > u.posted_at OR (n.posted_at = u.posted_at AND n.id > u.id)))";

impl Db {
    /// An incident's updates, newest first.
    pub async fn status_updates(&self, org_id: &str, incident_id: &str) -> ApiResult<Vec<StatusUpdateRow>> {
        self.all(&format!("{UPDATE_SELECT} WHERE u.org_id = ? AND u.incident_id = ? ORDER BY u.posted_at DESC, u.id DESC"), args![org_id, incident_id]).await
    }

    /// Updates by id (for the webhook events of their timeline rows).
    pub async fn status_updates_by_id(&self, ids: &[&str]) -> ApiResult<Vec<StatusUpdateRow>> {
        self.all_in(&format!("{UPDATE_SELECT} WHERE u.id IN ({{in}})"), ids).await
    }

    /// The public status page incident published from this incident (the latest, if several).
    pub async fn linked_public_incident(&self, org_id: &str, incident_id: &str) -> ApiResult<Option<PublicIncidentRow>> {
        self.first("SELECT * FROM public_incidents WHERE org_id = ? AND incident_id = ? ORDER BY created_at DESC LIMIT 1", args![org_id, incident_id]).await
    }

    /// Writes the update, its timeline row (same id) and, when published, the public incident
    /// (created or moved), its update, component statuses, the page's time and the audit row —
    /// one batch. Returns false when the incident is not there.
    pub async fn post_status_update(&self, u: &NewStatusUpdate<'_>, t: &NewTimeline<'_>, public: Option<PublicWrite<'_>>, now: i64) -> ApiResult<bool> {
        let mut stmts = vec![
            self.stmt(
                "INSERT INTO status_updates (id, org_id, incident_id, status, message, posted_by, posted_at, next_update_at, public_incident_id)
                 SELECT ?, ?, ?, ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM incidents WHERE id = ?3 AND org_id = ?2)",
                args![u.id, u.org_id, u.incident_id, u.status, u.message, u.posted_by, now, u.next_update_at, u.public_incident_id],
            )?,
            self.stmt(
                "INSERT INTO timeline (id, org_id, incident_id, at, kind, actor, message, seq)
                 SELECT ?, ?, ?, ?, ?, ?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM timeline WHERE incident_id = ?3) WHERE changes() = 1",
                args![t.id, u.org_id, u.incident_id, now, t.kind, t.actor, t.message],
            )?,
        ];
        // The first `monitoring` update is when the incident was mitigated (key times, 0015).
        if u.status == "monitoring" {
            stmts.push(self.stmt(
                &format!("UPDATE incidents SET {} WHERE id = ? AND org_id = ? AND EXISTS (SELECT 1 FROM status_updates WHERE id = ?)", super::key_times::monitoring(now)),
                args![u.incident_id, u.org_id, u.id],
            )?);
        }
        let res = match public {
            None => self.batch(stmts).await?,
            Some(p) => {
                let r = p.row;
                // The public rows are written only if the update was (its row is there).
                let guard = "EXISTS (SELECT 1 FROM status_updates WHERE id = ?)";
                stmts.push(if p.insert {
                    self.stmt(
                        &format!(
                            "INSERT INTO public_incidents (id, org_id, incident_id, name, status, impact, component_ids, created_at, updated_at, monitoring_at, resolved_at)
                             SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? WHERE {guard}"
                        ),
                        args![&r.id, u.org_id, r.incident_id.as_deref(), &r.name, &r.status, &r.impact, &r.component_ids, r.created_at, r.updated_at, r.monitoring_at, r.resolved_at, u.id],
                    )?
                } else {
                    self.stmt(
                        &format!("UPDATE public_incidents SET status = ?, updated_at = ?, monitoring_at = ?, resolved_at = ? WHERE org_id = ? AND id = ? AND {guard}"),
                        args![&r.status, r.updated_at, r.monitoring_at, r.resolved_at, u.org_id, &r.id, u.id],
                    )?
                });
                let w = p.update;
                stmts.push(self.stmt(
                    &format!("INSERT INTO public_updates (id, org_id, parent_id, status, body, affected, created_at) SELECT ?, ?, ?, ?, ?, ?, ? WHERE {guard}"),
                    args![&w.id, u.org_id, &w.parent_id, &w.status, &w.body, &w.affected, w.created_at, u.id],
                )?);
                stmts.extend(self.component_status_stmts(u.org_id, p.component_changes, now)?);
                stmts.push(self.touch_page_stmt(u.org_id, now)?);
                self.batch_audited(stmts, p.audit).await?
            }
        };
        Ok(changes(&res[0]) == 1)
    }

    /// Updates whose promised next update is due at `now` and not yet reminded: the latest of
    /// each running incident, oldest due first.
    pub async fn due_status_updates(&self, now: i64, limit: i64) -> ApiResult<Vec<DueUpdateRow>> {
        self.all(
            &format!(
                "SELECT u.id, u.org_id, u.incident_id, u.posted_by, p.name AS poster_name, u.next_update_at, u.reminded_at,
                        i.number, i.severity, i.status AS incident_status, lu.id AS lead_id, lu.name AS lead_name
                 FROM status_updates u JOIN incidents i ON i.id = u.incident_id JOIN users p ON p.id = u.posted_by
                 LEFT JOIN incident_role_holders l ON l.incident_id = u.incident_id AND l.role_id = 'communications'
                 LEFT JOIN users lu ON lu.id = l.user_id AND lu.deactivated_at IS NULL AND lu.role != 'observer'
                 WHERE u.next_update_at IS NOT NULL AND u.next_update_at <= ? AND u.reminded_at IS NULL AND i.status != 'resolved' AND {IS_LATEST}
                 ORDER BY u.next_update_at LIMIT ?"
            ),
            args![now, limit],
        )
        .await
    }

    /// Marks the update reminded (if nobody did and it is still the latest), and only then
    /// writes the timeline row and queues the push to each of `user_id`'s devices (unless they
    /// turned push off). Returns whether this run sent the reminder.
    #[allow(clippy::too_many_arguments)]
    pub async fn remind_status_update(&self, d: &DueUpdateRow, run_id: &str, user_id: &str, t: &NewTimeline<'_>, payload: &str, now: i64) -> ApiResult<bool> {
        let res = self
            .batch(vec![
                self.stmt(
                    &format!("UPDATE status_updates AS u SET reminded_at = ?, reminder_id = ? WHERE u.id = ? AND u.reminded_at IS NULL AND {IS_LATEST}"),
                    args![now, run_id, &d.id],
                )?,
                self.stmt(
                    "INSERT INTO timeline (id, org_id, incident_id, at, kind, actor, message, seq)
                     SELECT ?, ?, ?, ?, ?, ?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM timeline WHERE incident_id = ?3) WHERE changes() = 1",
                    args![t.id, &d.org_id, &d.incident_id, now, t.kind, t.actor, t.message],
                )?,
                self.stmt(
                    "INSERT OR IGNORE INTO outbound_deliveries (id, org_id, channel, target_id, user_id, incident_id, source, event, payload, state, attempts, next_attempt_at, created_at)
                     SELECT ?1 || '.' || s.id, ?2, 'push', s.id, ?3, ?4, 'reminder:' || ?5, 'update_due', ?6, 'pending', 0, ?7, ?7
                     FROM push_subscriptions s
                     WHERE s.org_id = ?2 AND s.user_id = ?3
                       AND NOT EXISTS (SELECT 1 FROM contact_preferences c WHERE c.user_id = ?3 AND c.push = 0)
                       AND EXISTS (SELECT 1 FROM status_updates WHERE id = ?5 AND reminder_id = ?1)",
                    args![run_id, &d.org_id, user_id, &d.incident_id, &d.id, payload, now],
                )?,
            ])
            .await?;
        Ok(changes(&res[0]) == 1)
    }
}
