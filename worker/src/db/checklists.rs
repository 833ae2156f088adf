//! Runbook checklists in D1: a service's template (replaced as a whole, audited), the copy an
//! incident gets in the batch that opens it, ad hoc steps and ticks — each change to an
//! incident's checklist with its timeline row in the same batch, guarded by `changes()`.

use serde::Deserialize;
use worker::D1PreparedStatement;

use super::{args, changes, rows, Audit, Db, NewTimeline};
use crate::error::ApiResult;

#[derive(Debug, Clone, Deserialize)]
pub struct TemplateStepRow {
    pub text: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ChecklistStepRow {
    pub id: String,
    pub position: i64,
    pub text: String,
    pub ad_hoc: i64,
    pub added_by: Option<String>,
    pub added_by_name: Option<String>,
    pub done_at: Option<i64>,
    pub done_by: Option<String>,
    pub done_by_name: Option<String>,
}

/// A tick or an untick.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tick<'a> {
    Done { by: &'a str },
    Open,
}

const STEP_SELECT: &str = "SELECT c.id, c.position, c.text, c.ad_hoc, c.added_by, a.name AS added_by_name, c.done_at, c.done_by, d.name AS done_by_name
     FROM incident_checklist_steps c LEFT JOIN users a ON a.id = c.added_by LEFT JOIN users d ON d.id = c.done_by";

fn timeline_guarded(db: &Db, org_id: &str, incident_id: &str, t: &NewTimeline<'_>, now: i64) -> ApiResult<D1PreparedStatement> {
    db.stmt(
        "INSERT INTO timeline (id, org_id, incident_id, at, kind, actor, message, seq)
         SELECT ?, ?, ?, ?, ?, ?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM timeline WHERE incident_id = ?3) WHERE changes() = 1",
        args![t.id, org_id, incident_id, now, t.kind, t.actor, t.message],
    )
}

impl Db {
    pub async fn checklist_template(&self, org_id: &str, service_id: &str) -> ApiResult<Vec<TemplateStepRow>> {
        self.all("SELECT text FROM service_checklist_steps WHERE org_id = ? AND service_id = ? ORDER BY position", args![org_id, service_id]).await
    }

    /// Replaces a service's template (positions 1..n) with its audit row, atomically; saving it
    /// counts as reviewing it (`reviewer`: who, when — readiness).
    pub async fn put_checklist_template(&self, org_id: &str, service_id: &str, steps: &[String], reviewer: (&str, i64), audit: &Audit) -> ApiResult<()> {
        let mut stmts = vec![
            self.checklist_reviewed_stmt(org_id, service_id, reviewer.0, reviewer.1)?,
            self.stmt("DELETE FROM service_checklist_steps WHERE org_id = ? AND service_id = ?", args![org_id, service_id])?,
        ];
        for (text, position) in steps.iter().zip(1_i64..) {
            stmts.push(self.stmt(
                "INSERT INTO service_checklist_steps (org_id, service_id, position, text) VALUES (?, ?, ?, ?)",
                args![org_id, service_id, position, text.as_str()],
            )?);
        }
        self.batch_audited(stmts, audit).await?;
        Ok(())
    }

    /// The statement that gives a new incident its copy of the service's template, for the
    /// batch that inserts the incident (after that insert): steps `<incident id>.<position>` at
    /// the template's positions (`tocsin_domain::checklist::instantiate`), written only when the
    /// incident row is there.
    pub fn checklist_copy_stmt(&self, org_id: &str, incident_id: &str, service_id: &str, now: i64) -> ApiResult<D1PreparedStatement> {
        self.stmt(
            "INSERT OR IGNORE INTO incident_checklist_steps (id, org_id, incident_id, position, text, ad_hoc, added_at)
             SELECT ?1 || '.' || t.position, ?2, ?1, t.position, t.text, 0, ?3 FROM service_checklist_steps t
             WHERE t.org_id = ?2 AND t.service_id = ?4 AND EXISTS (SELECT 1 FROM incidents WHERE id = ?1 AND org_id = ?2)",
            args![incident_id, org_id, now, service_id],
        )
    }

    pub async fn incident_checklist(&self, org_id: &str, incident_id: &str) -> ApiResult<Vec<ChecklistStepRow>> {
        self.all(&format!("{STEP_SELECT} WHERE c.org_id = ? AND c.incident_id = ? ORDER BY c.position"), args![org_id, incident_id]).await
    }

    pub async fn checklist_step(&self, org_id: &str, incident_id: &str, step_id: &str) -> ApiResult<Option<ChecklistStepRow>> {
        self.first(&format!("{STEP_SELECT} WHERE c.org_id = ? AND c.incident_id = ? AND c.id = ?"), args![org_id, incident_id, step_id]).await
    }

    /// An ad hoc step after the incident's last one, with its timeline row; returns the step's
    /// id (`None` when the incident is not there or already has `max` steps).
    #[allow(clippy::too_many_arguments)]
    pub async fn add_checklist_step(&self, org_id: &str, incident_id: &str, text: &str, user_id: &str, max: i64, t: &NewTimeline<'_>, now: i64) -> ApiResult<Option<String>> {
        let res = self
            .batch(vec![
                self.stmt(
                    "INSERT INTO incident_checklist_steps (id, org_id, incident_id, position, text, ad_hoc, added_by, added_at)
                     SELECT ?1 || '.' || n.p, ?2, ?1, n.p, ?3, 1, ?4, ?5
                     FROM (SELECT COALESCE(MAX(position), 0) + 1 AS p FROM incident_checklist_steps WHERE incident_id = ?1) n
                     WHERE EXISTS (SELECT 1 FROM incidents WHERE id = ?1 AND org_id = ?2)
                       AND (SELECT COUNT(*) FROM incident_checklist_steps WHERE incident_id = ?1) < ?6
                     RETURNING id",
                    args![incident_id, org_id, text, user_id, now, max],
                )?,
                timeline_guarded(self, org_id, incident_id, t, now)?,
            ])
            .await?;
        Ok(rows::<serde_json::Value>(&res[0])?.first().and_then(|v| v["id"].as_str().map(str::to_string)))
    }

    /// Ticks or unticks a step with its timeline row; a step already in that state is left as
    /// it is (no row). Returns whether it changed.
    pub async fn tick_checklist_step(&self, org_id: &str, incident_id: &str, step_id: &str, tick: Tick<'_>, t: &NewTimeline<'_>, now: i64) -> ApiResult<bool> {
        let change = match tick {
            Tick::Done { by } => self.stmt(
                "UPDATE incident_checklist_steps SET done_at = ?, done_by = ? WHERE org_id = ? AND incident_id = ? AND id = ? AND done_at IS NULL",
                args![now, by, org_id, incident_id, step_id],
            )?,
            Tick::Open => self.stmt(
                "UPDATE incident_checklist_steps SET done_at = NULL, done_by = NULL WHERE org_id = ? AND incident_id = ? AND id = ? AND done_at IS NOT NULL",
                args![org_id, incident_id, step_id],
            )?,
        };
        let res = self.batch(vec![change, timeline_guarded(self, org_id, incident_id, t, now)?]).await?;
        Ok(changes(&res[0]) == 1)
    }
}
