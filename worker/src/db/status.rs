//! SQL of the public status page: the snapshot the public endpoints render (one batch), and
//! the admin writes (components, groups, publishing, updates, maintenance).

use serde::Deserialize;

use super::{args, rows, Db};
use crate::error::ApiResult;

#[derive(Debug, Clone, Deserialize)]
pub struct PageRow {
    pub org_id: String,
    pub name: String,
    pub time_zone: String,
    pub url: Option<String>,
    pub updated_at: i64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct GroupRow {
    pub id: String,
    pub name: String,
    pub position: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ComponentRow {
    pub id: String,
    pub group_id: Option<String>,
    pub name: String,
    pub description: String,
    pub status: String,
    pub position: i64,
    pub created_at: i64,
    pub updated_at: i64,
    /// Comma-separated ids of linked services (admin view).
    #[serde(default)]
    pub service_ids: Option<String>,
    /// Comma-separated severities of the linked services' open incidents (admin view).
    #[serde(default)]
    pub open_severities: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct StatusChangeRow {
    pub component_id: String,
    pub status: String,
    pub at: i64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct PublicIncidentRow {
    pub id: String,
    pub incident_id: Option<String>,
    pub name: String,
    pub status: String,
    pub impact: String,
    pub component_ids: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub monitoring_at: Option<i64>,
    pub resolved_at: Option<i64>,
    /// Statuspage's postmortem fields (migration 0016), written by `db::postmortems`.
    #[serde(default)]
    pub postmortem_body: Option<String>,
    #[serde(default)]
    pub postmortem_published_at: Option<i64>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct MaintenanceRow {
    pub id: String,
    pub org_id: String,
    pub name: String,
    pub status: String,
    pub impact: String,
    pub component_ids: String,
    pub scheduled_for: i64,
    pub scheduled_until: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct UpdateRow {
    pub id: String,
    pub parent_id: String,
    pub status: String,
    pub body: String,
    pub affected: String,
    pub created_at: i64,
    /// When its text was last corrected (`None`: as posted).
    #[serde(default)]
    pub edited_at: Option<i64>,
}

pub struct SnapshotRows {
    pub page: PageRow,
    pub groups: Vec<GroupRow>,
    pub components: Vec<ComponentRow>,
    pub changes: Vec<StatusChangeRow>,
    pub incidents: Vec<PublicIncidentRow>,
    pub maintenances: Vec<MaintenanceRow>,
    pub updates: Vec<UpdateRow>,
}

/// The public page's incidents and maintenances (`status_snapshot`; tests/tests/plans.rs checks their plans).
pub const STATUS_INCIDENTS: &str = "SELECT * FROM public_incidents WHERE org_id = ?1 AND (status NOT IN ('resolved', 'postmortem') OR id IN
             (SELECT id FROM public_incidents WHERE org_id = ?1 ORDER BY created_at DESC LIMIT ?2 OFFSET ?3)) ORDER BY created_at DESC";
pub const STATUS_MAINTENANCES: &str = "SELECT * FROM maintenances WHERE org_id = ?1 AND (status != 'completed' OR scheduled_until >= ?2) ORDER BY scheduled_for LIMIT 50";

const PAGE_SELECT: &str = "SELECT o.id AS org_id, COALESCE(p.name, o.name) AS name, COALESCE(p.time_zone, 'UTC') AS time_zone, p.url,
     COALESCE(p.updated_at, o.created_at) AS updated_at FROM organizations o LEFT JOIN status_pages p ON p.org_id = o.id";

impl Db {
    /// The organisation whose page is public on this instance (the first one set up).
    pub async fn public_org(&self) -> ApiResult<Option<String>> {
        self.first_text("SELECT id FROM organizations ORDER BY created_at LIMIT 1", &[], "id").await
    }

    /// Everything public, in one round trip. Incidents: the unresolved ones and the newest
    /// `limit` (offset `skip`); status history from `history_since` (plus the status each
    /// component had then).
    pub async fn status_snapshot(&self, org_id: &str, history_since: i64, recent_since: i64, limit: i64, skip: i64) -> ApiResult<Option<SnapshotRows>> {
        let (incidents_sql, maint_sql) = (STATUS_INCIDENTS, STATUS_MAINTENANCES);
        let res = self
            .batch(vec![
                self.stmt(&format!("{PAGE_SELECT} WHERE o.id = ?"), args![org_id])?,
                self.stmt("SELECT id, name, position, created_at, updated_at FROM component_groups WHERE org_id = ? ORDER BY position, name", args![org_id])?,
                self.stmt(
                    "SELECT id, group_id, name, description, status, position, created_at, updated_at FROM components WHERE org_id = ? ORDER BY position, name",
                    args![org_id],
                )?,
                self.stmt(
                    "SELECT c.component_id, c.status, c.at FROM component_status_changes c JOIN components k ON k.id = c.component_id
                     WHERE k.org_id = ?1 AND (c.at >= ?2 OR c.rowid IN (SELECT MAX(rowid) FROM component_status_changes x
                       WHERE x.component_id = c.component_id AND x.at < ?2)) ORDER BY c.component_id, c.at, c.rowid",
                    args![org_id, history_since],
                )?,
                self.stmt(incidents_sql, args![org_id, limit, skip])?,
                self.stmt(maint_sql, args![org_id, recent_since])?,
                self.stmt(
                    &format!(
                        "SELECT id, parent_id, status, body, affected, created_at, edited_at FROM public_updates WHERE org_id = ?1 AND
                         (parent_id IN (SELECT id FROM ({})) OR parent_id IN (SELECT id FROM ({}))) ORDER BY created_at DESC, rowid DESC",
                        incidents_sql.replace("?2", "?4").replace("?3", "?5"),
                        maint_sql.replace("?2", "?6")
                    ),
                    args![org_id, 0, 0, limit, skip, recent_since],
                )?,
            ])
            .await?;
        let Some(page) = rows::<PageRow>(&res[0])?.into_iter().next() else { return Ok(None) };
        Ok(Some(SnapshotRows {
            page,
            groups: rows(&res[1])?,
            components: rows(&res[2])?,
            changes: rows(&res[3])?,
            incidents: rows(&res[4])?,
            maintenances: rows(&res[5])?,
            updates: rows(&res[6])?,
        }))
    }

    /// Components with their linked services and those services' open incidents (admin view).
    pub async fn components_admin(&self, org_id: &str) -> ApiResult<Vec<ComponentRow>> {
        self.all(
            "SELECT c.id, c.group_id, c.name, c.description, c.status, c.position, c.created_at, c.updated_at,
                    (SELECT GROUP_CONCAT(service_id) FROM component_services WHERE component_id = c.id) AS service_ids,
                    (SELECT GROUP_CONCAT(i.severity) FROM incidents i JOIN component_services cs ON cs.service_id = i.service_id
                      WHERE cs.component_id = c.id AND i.status != 'resolved') AS open_severities
             FROM components c WHERE c.org_id = ? ORDER BY c.position, c.name",
            args![org_id],
        )
        .await
    }

    pub async fn status_page_url(&self, org_id: &str) -> ApiResult<Option<String>> {
        Ok(self.first::<serde_json::Value>("SELECT url FROM status_pages WHERE org_id = ?", args![org_id]).await?.and_then(|v| v["url"].as_str().map(str::to_string)))
    }

    pub async fn upsert_status_page(&self, org_id: &str, name: &str, time_zone: &str, url: Option<&str>, now: i64, audit: &super::Audit) -> ApiResult<()> {
        self.run_audited(
            "INSERT INTO status_pages (org_id, name, time_zone, url, updated_at) VALUES (?, ?, ?, ?, ?)
             ON CONFLICT (org_id) DO UPDATE SET name = excluded.name, time_zone = excluded.time_zone, url = excluded.url, updated_at = excluded.updated_at",
            args![org_id, name, time_zone, url, now],
            audit,
        )
        .await?;
        Ok(())
    }

    /// Marks the page changed (for Last-Modified).
    pub fn touch_page_stmt(&self, org_id: &str, now: i64) -> ApiResult<worker::D1PreparedStatement> {
        self.stmt(
            "INSERT INTO status_pages (org_id, name, updated_at) SELECT id, name, ? FROM organizations WHERE id = ?
             ON CONFLICT (org_id) DO UPDATE SET updated_at = excluded.updated_at",
            args![now, org_id],
        )
    }

    pub async fn insert_group(&self, id: &str, org_id: &str, name: &str, position: i64, now: i64, audit: &super::Audit) -> ApiResult<()> {
        self.batch_audited(vec![
            self.stmt(
                "INSERT INTO component_groups (id, org_id, name, position, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
                args![id, org_id, name, position, now, now],
            )?,
            self.touch_page_stmt(org_id, now)?,
        ], audit)
        .await?;
        Ok(())
    }

    pub async fn group_exists(&self, org_id: &str, id: &str) -> ApiResult<bool> {
        Ok(self.first::<serde_json::Value>("SELECT 1 AS one FROM component_groups WHERE org_id = ? AND id = ?", args![org_id, id]).await?.is_some())
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn insert_component(&self, id: &str, org_id: &str, name: &str, description: &str, group_id: Option<&str>, position: i64, service_ids: &[String], now: i64, audit: &super::Audit) -> ApiResult<()> {
        let mut stmts = vec![
            self.stmt(
                "INSERT INTO components (id, org_id, group_id, name, description, status, position, created_at, updated_at)
                 VALUES (?, ?, ?, ?, ?, 'operational', ?, ?, ?)",
                args![id, org_id, group_id, name, description, position, now, now],
            )?,
            self.stmt("INSERT INTO component_status_changes (component_id, status, at) VALUES (?, 'operational', ?)", args![id, now])?,
        ];
        stmts.extend(self.link_services_stmts(org_id, id, service_ids)?);
        // The page's timestamp goes last: it always changes, so the audit row is written.
        stmts.push(self.touch_page_stmt(org_id, now)?);
        self.batch_audited(stmts, audit).await?;
        Ok(())
    }

    /// Links a component to services of the same organisation (others are ignored).
    fn link_services_stmts(&self, org_id: &str, component_id: &str, service_ids: &[String]) -> ApiResult<Vec<worker::D1PreparedStatement>> {
        service_ids
            .iter()
            .map(|s| {
                self.stmt(
                    "INSERT INTO component_services (component_id, service_id) SELECT ?, id FROM services WHERE id = ? AND org_id = ?",
                    args![component_id, s, org_id],
                )
            })
            .collect()
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn update_component(&self, org_id: &str, id: &str, name: &str, description: &str, group_id: Option<&str>, position: i64, service_ids: Option<&[String]>, now: i64, audit: &super::Audit) -> ApiResult<()> {
        let mut stmts = vec![
            self.stmt(
                "UPDATE components SET name = ?, description = ?, group_id = ?, position = ?, updated_at = ? WHERE org_id = ? AND id = ?",
                args![name, description, group_id, position, now, org_id, id],
            )?,
        ];
        if let Some(ids) = service_ids {
            stmts.push(self.stmt("DELETE FROM component_services WHERE component_id = ?", args![id])?);
            stmts.extend(self.link_services_stmts(org_id, id, ids)?);
        }
        stmts.push(self.touch_page_stmt(org_id, now)?);
        self.batch_audited(stmts, audit).await?;
        Ok(())
    }

    /// Statements that set components' statuses and record the changes (for uptime).
    pub fn component_status_stmts(&self, org_id: &str, changes: &[(String, String)], now: i64) -> ApiResult<Vec<worker::D1PreparedStatement>> {
        let mut out = Vec::new();
        for (id, status) in changes {
            out.push(self.stmt(
                "INSERT INTO component_status_changes (component_id, status, at)
                 SELECT id, ?, ? FROM components WHERE org_id = ? AND id = ? AND status != ?",
                args![status, now, org_id, id, status],
            )?);
            out.push(self.stmt(
                "UPDATE components SET status = ?, updated_at = ? WHERE org_id = ? AND id = ? AND status != ?",
                args![status, now, org_id, id, status],
            )?);
        }
        Ok(out)
    }

    pub async fn set_component_statuses(&self, org_id: &str, changes: &[(String, String)], now: i64, audit: &super::Audit) -> ApiResult<()> {
        let mut stmts = self.component_status_stmts(org_id, changes, now)?;
        stmts.push(self.touch_page_stmt(org_id, now)?);
        self.batch_audited(stmts, audit).await?;
        Ok(())
    }

    pub async fn public_incident(&self, org_id: &str, id: &str) -> ApiResult<Option<PublicIncidentRow>> {
        self.first("SELECT * FROM public_incidents WHERE org_id = ? AND id = ?", args![org_id, id]).await
    }

    pub async fn maintenance(&self, org_id: &str, id: &str) -> ApiResult<Option<MaintenanceRow>> {
        self.first("SELECT * FROM maintenances WHERE org_id = ? AND id = ?", args![org_id, id]).await
    }

    /// Publishes an incident or adds an update to one: the incident row (insert or update),
    /// its update, component status changes and the page's timestamp, in one transaction.
    #[allow(clippy::too_many_arguments)]
    pub async fn write_public_incident(&self, org_id: &str, row: &PublicIncidentRow, insert: bool, update: &UpdateRow, statuses: &[(String, String)], now: i64, audit: &super::Audit) -> ApiResult<()> {
        let mut stmts = vec![if insert {
            self.stmt(
                "INSERT INTO public_incidents (id, org_id, incident_id, name, status, impact, component_ids, created_at, updated_at, monitoring_at, resolved_at)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                args![&row.id, org_id, row.incident_id.as_deref(), &row.name, &row.status, &row.impact, &row.component_ids, row.created_at, row.updated_at, row.monitoring_at, row.resolved_at],
            )?
        } else {
            self.stmt(
                "UPDATE public_incidents SET name = ?, status = ?, impact = ?, component_ids = ?, updated_at = ?, monitoring_at = ?, resolved_at = ?
                 WHERE org_id = ? AND id = ?",
                args![&row.name, &row.status, &row.impact, &row.component_ids, row.updated_at, row.monitoring_at, row.resolved_at, org_id, &row.id],
            )?
        }];
        stmts.push(self.update_stmt(org_id, update)?);
        stmts.extend(self.component_status_stmts(org_id, statuses, now)?);
        stmts.push(self.touch_page_stmt(org_id, now)?);
        self.batch_audited(stmts, audit).await?;
        Ok(())
    }

    /// One published update (of a public incident or a maintenance).
    pub async fn public_update(&self, org_id: &str, id: &str) -> ApiResult<Option<UpdateRow>> {
        self.first("SELECT id, parent_id, status, body, affected, created_at, edited_at FROM public_updates WHERE org_id = ? AND id = ?", args![org_id, id]).await
    }

    /// Corrects a published update's text, in one transaction with its parent's and the page's
    /// `updated_at` (feed readers see the entry updated; validators change). Every write is guarded
    /// on the text still being `u.body`, the one read: of two corrections at once, one is written
    /// and audited with what it replaced, the other changes nothing (`false`: the caller answers
    /// 409). The text's write comes last, so the audit row follows it (`batch_audited`).
    pub async fn edit_public_update(&self, org_id: &str, u: &UpdateRow, body: &str, now: i64, audit: &super::Audit) -> ApiResult<bool> {
        const UNCHANGED: &str = "EXISTS (SELECT 1 FROM public_updates WHERE org_id = ?2 AND id = ?3 AND body = ?4)";
        let stmts = vec![
            self.stmt(&format!("UPDATE public_incidents SET updated_at = ?1 WHERE org_id = ?2 AND id = ?5 AND {UNCHANGED}"), args![now, org_id, &u.id, &u.body, &u.parent_id])?,
            self.stmt(&format!("UPDATE maintenances SET updated_at = ?1 WHERE org_id = ?2 AND id = ?5 AND {UNCHANGED}"), args![now, org_id, &u.id, &u.body, &u.parent_id])?,
            self.stmt(&format!("UPDATE status_pages SET updated_at = ?1 WHERE org_id = ?2 AND {UNCHANGED}"), args![now, org_id, &u.id, &u.body])?,
            self.stmt("UPDATE public_updates SET body = ?5, edited_at = ?1 WHERE org_id = ?2 AND id = ?3 AND body = ?4", args![now, org_id, &u.id, &u.body, body])?,
        ];
        Ok(super::changes(&self.batch_audited(stmts, audit).await?[3]) == 1)
    }

    fn update_stmt(&self, org_id: &str, u: &UpdateRow) -> ApiResult<worker::D1PreparedStatement> {
        self.stmt(
            "INSERT INTO public_updates (id, org_id, parent_id, status, body, affected, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            args![&u.id, org_id, &u.parent_id, &u.status, &u.body, &u.affected, u.created_at],
        )
    }

    /// Creates or moves a maintenance, with its update, component statuses and page timestamp.
    pub async fn write_maintenance(&self, m: &MaintenanceRow, insert: bool, update: Option<&UpdateRow>, statuses: &[(String, String)], now: i64, audit: &super::Audit) -> ApiResult<()> {
        let mut stmts = vec![if insert {
            self.stmt(
                "INSERT INTO maintenances (id, org_id, name, status, impact, component_ids, scheduled_for, scheduled_until, created_at, updated_at)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                args![&m.id, &m.org_id, &m.name, &m.status, &m.impact, &m.component_ids, m.scheduled_for, m.scheduled_until, m.created_at, m.updated_at],
            )?
        } else {
            self.stmt(
                "UPDATE maintenances SET status = ?, updated_at = ? WHERE org_id = ? AND id = ?",
                args![&m.status, m.updated_at, &m.org_id, &m.id],
            )?
        }];
        if let Some(u) = update {
            stmts.push(self.update_stmt(&m.org_id, u)?);
        }
        stmts.extend(self.component_status_stmts(&m.org_id, statuses, now)?);
        stmts.push(self.touch_page_stmt(&m.org_id, now)?);
        self.batch_audited(stmts, audit).await?;
        Ok(())
    }

    /// Maintenance that may need to move (not completed), across organisations, for the cron sweep.
    pub async fn open_maintenances(&self, limit: i64) -> ApiResult<Vec<MaintenanceRow>> {
        self.all("SELECT * FROM maintenances WHERE status != 'completed' ORDER BY scheduled_for LIMIT ?", args![limit]).await
    }

    pub async fn component_names(&self, org_id: &str) -> ApiResult<Vec<(String, String, String)>> {
        #[derive(Deserialize)]
        struct R {
            id: String,
            name: String,
            status: String,
        }
        let r: Vec<R> = self.all("SELECT id, name, status FROM components WHERE org_id = ?", args![org_id]).await?;
        Ok(r.into_iter().map(|r| (r.id, r.name, r.status)).collect())
    }
}
