//! Postmortems in D1: the document (one per incident or group of incidents), its sections, review
//! comments, the organisation's template, what filling reads from the record, and publishing the
//! customer-facing text to the public status page. Saves are guarded by the version they were
//! based on (`WHERE … AND version = ?`), so a stale save changes nothing; status changes carry
//! their incident timeline row in the same batch, guarded by `changes()`.

use serde::Deserialize;
use worker::D1PreparedStatement;

use super::{args, changes, is_unique_violation, rows, Arg, Audit, Db, NewTimeline};
use crate::error::{ApiError, ApiResult};

#[derive(Debug, Clone, Deserialize)]
pub struct PostmortemRow {
    pub id: String,
    pub incident_id: String,
    pub title: String,
    pub status: String,
    pub version: i64,
    pub template_id: Option<String>,
    pub created_by: String,
    pub created_by_name: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub status_changed_at: Option<i64>,
    pub status_changed_by: Option<String>,
    pub status_changed_by_name: Option<String>,
    pub published_at: Option<i64>,
    pub public_text: String,
    pub public_version: i64,
    pub public_incident_id: Option<String>,
    pub public_published_at: Option<i64>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SectionRow {
    pub key: String,
    pub title: String,
    pub prompt: String,
    pub body: String,
    pub version: i64,
    pub updated_at: i64,
    pub updated_by: Option<String>,
    pub updated_by_name: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CommentRow {
    pub id: String,
    pub section_key: String,
    pub author_id: String,
    pub author_name: Option<String>,
    pub at: i64,
    pub body: String,
    pub resolved: i64,
    pub resolved_by: Option<String>,
    pub resolved_by_name: Option<String>,
    pub resolved_at: Option<i64>,
}

/// An incident as filling reads it: its key times (migration 0015) and its place in the list.
#[derive(Debug, Clone, Deserialize)]
pub struct PmIncidentRow {
    pub id: String,
    pub number: i64,
    pub title: String,
    pub status: String,
    pub severity: String,
    pub created_at: i64,
    pub impact_started_at: Option<i64>,
    pub detected_at: Option<i64>,
    pub first_acknowledged_at: Option<i64>,
    pub mitigated_at: Option<i64>,
    pub resolved_at: Option<i64>,
    /// The postmortem this incident is already in, if any.
    pub postmortem_id: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct PmRecordRow {
    pub incident_id: String,
    pub seq: Option<i64>,
    pub at: i64,
    pub kind: String,
    pub message: String,
    pub highlighted: i64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct NameRow {
    pub name: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ActionItemLineRow {
    pub title: String,
    pub owner: Option<String>,
    pub due_at: Option<i64>,
    pub priority: String,
    pub kind: String,
    pub status: String,
    pub ticket_key: Option<String>,
    pub ticket_url: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct TemplateRow {
    pub id: String,
    pub name: String,
    pub sections: String,
}

/// Everything read about the incidents a postmortem covers, in one round trip.
pub struct RecordRows {
    pub incidents: Vec<PmIncidentRow>,
    pub rows: Vec<PmRecordRow>,
    pub services: Vec<NameRow>,
    pub components: Vec<NameRow>,
    pub public_incident_ids: Vec<String>,
    pub time_zone: String,
}

/// A new postmortem to write.
pub struct NewPostmortem<'a> {
    pub id: &'a str,
    pub org_id: &'a str,
    pub incident_ids: &'a [String],
    pub title: &'a str,
    pub template_id: Option<&'a str>,
    pub created_by: &'a str,
    /// (key, title, prompt, body) in order.
    pub sections: &'a [(String, String, String, String)],
}

/// What publishing to the status page writes.
pub struct PublicPostmortem<'a> {
    pub org_id: &'a str,
    pub postmortem_id: &'a str,
    pub public_incident_id: &'a str,
    pub body: &'a str,
    /// The public update announcing it (written only the first time).
    pub update_id: &'a str,
    pub update_body: &'a str,
    pub audit: &'a Audit,
}

/// How many rows of the record a postmortem reads at most.
const MAX_RECORD_ROWS: i64 = 2_000;

const PM_SELECT: &str = "SELECT p.id, p.incident_id, p.title, p.status, p.version, p.template_id, p.created_by, cu.name AS created_by_name,
     p.created_at, p.updated_at, p.status_changed_at, p.status_changed_by, su.name AS status_changed_by_name, p.published_at,
     p.public_text, p.public_version, p.public_incident_id, p.public_published_at
     FROM postmortems p LEFT JOIN users cu ON cu.id = p.created_by LEFT JOIN users su ON su.id = p.status_changed_by";

fn marks(n: usize, first: usize) -> String {
    (first..first + n).map(|i| format!("?{i}")).collect::<Vec<_>>().join(", ")
}

impl Db {
    /// The postmortem covering `incident_id`.
    pub async fn postmortem_for_incident(&self, org_id: &str, incident_id: &str) -> ApiResult<Option<PostmortemRow>> {
        self.first(
            &format!("{PM_SELECT} JOIN postmortem_incidents pi ON pi.postmortem_id = p.id WHERE pi.org_id = ? AND pi.incident_id = ?"),
            args![org_id, incident_id],
        )
        .await
    }

    /// Sections (in order), comments (oldest first) and covered incident ids (primary first).
    pub async fn postmortem_parts(&self, org_id: &str, pm: &PostmortemRow) -> ApiResult<(Vec<SectionRow>, Vec<CommentRow>, Vec<String>)> {
        let res = self
            .batch(vec![
                self.stmt(
                    "SELECT s.key, s.title, s.prompt, s.body, s.version, s.updated_at, s.updated_by, u.name AS updated_by_name
                     FROM postmortem_sections s LEFT JOIN users u ON u.id = s.updated_by WHERE s.org_id = ? AND s.postmortem_id = ? ORDER BY s.position",
                    args![org_id, &pm.id],
                )?,
                self.stmt(
                    "SELECT c.id, c.section_key, c.author_id, a.name AS author_name, c.at, c.body, c.resolved, c.resolved_by, r.name AS resolved_by_name, c.resolved_at
                     FROM postmortem_comments c LEFT JOIN users a ON a.id = c.author_id LEFT JOIN users r ON r.id = c.resolved_by
                     WHERE c.org_id = ? AND c.postmortem_id = ? ORDER BY c.at, c.id",
                    args![org_id, &pm.id],
                )?,
                self.stmt(
                    "SELECT pi.incident_id AS name FROM postmortem_incidents pi JOIN incidents i ON i.id = pi.incident_id
                     WHERE pi.org_id = ? AND pi.postmortem_id = ? ORDER BY pi.incident_id != ?, i.number",
                    args![org_id, &pm.id, &pm.incident_id],
                )?,
            ])
            .await?;
        let ids: Vec<NameRow> = rows(&res[2])?;
        Ok((rows(&res[0])?, rows(&res[1])?, ids.into_iter().map(|r| r.name).collect()))
    }

    /// The incidents (in the order given), their record, services, components, public incidents
    /// and the organisation's time zone (the status page's; UTC without one).
    pub async fn postmortem_record(&self, org_id: &str, incident_ids: &[String]) -> ApiResult<RecordRows> {
        let n = incident_ids.len();
        let mut a: Vec<Arg<'_>> = vec![Arg::Text(org_id)];
        a.extend(incident_ids.iter().map(|i| Arg::Text(i)));
        let ids = marks(n, 2);
        let res = self
            .batch(vec![
                self.stmt(
                    &format!(
                        "SELECT i.id, i.number, i.title, i.status, i.severity, i.created_at, i.impact_started_at, i.detected_at, i.first_acknowledged_at,
                                i.mitigated_at, i.resolved_at, (SELECT postmortem_id FROM postmortem_incidents WHERE incident_id = i.id) AS postmortem_id
                         FROM incidents i WHERE i.org_id = ?1 AND i.id IN ({ids})"
                    ),
                    &a,
                )?,
                self.stmt(
                    &format!(
                        "SELECT t.incident_id, t.seq, t.at, t.kind, t.message, (h.seq IS NOT NULL) AS highlighted
                         FROM timeline t LEFT JOIN timeline_highlights h ON h.incident_id = t.incident_id AND h.seq = t.seq
                         WHERE t.org_id = ?1 AND t.incident_id IN ({ids}) AND t.kind NOT LIKE 'postmortem.%'
                         ORDER BY t.at, t.seq LIMIT {MAX_RECORD_ROWS}"
                    ),
                    &a,
                )?,
                self.stmt(
                    &format!(
                        "SELECT name FROM services WHERE org_id = ?1 AND id IN
                           (SELECT service_id FROM incidents WHERE id IN ({ids}) UNION SELECT service_id FROM incident_services WHERE incident_id IN ({ids}))
                         ORDER BY name"
                    ),
                    &a,
                )?,
                self.stmt(
                    &format!(
                        "SELECT DISTINCT c.name FROM components c WHERE c.org_id = ?1 AND (c.id IN (SELECT component_id FROM component_services WHERE service_id IN
                           (SELECT service_id FROM incidents WHERE id IN ({ids}) UNION SELECT service_id FROM incident_services WHERE incident_id IN ({ids})))
                           OR c.id IN (SELECT j.value FROM public_incidents p, json_each(p.component_ids) j WHERE p.org_id = ?1 AND p.incident_id IN ({ids})))
                         ORDER BY c.position, c.name"
                    ),
                    &a,
                )?,
                self.stmt(&format!("SELECT id AS name FROM public_incidents WHERE org_id = ?1 AND incident_id IN ({ids}) ORDER BY created_at DESC"), &a)?,
                self.stmt("SELECT COALESCE((SELECT time_zone FROM status_pages WHERE org_id = ?), 'UTC') AS name", args![org_id])?,
            ])
            .await?;
        let mut incidents: Vec<PmIncidentRow> = rows(&res[0])?;
        incidents.sort_by_key(|i| incident_ids.iter().position(|x| *x == i.id));
        let public: Vec<NameRow> = rows(&res[4])?;
        let tz: Vec<NameRow> = rows(&res[5])?;
        Ok(RecordRows {
            incidents,
            rows: rows(&res[1])?,
            services: rows(&res[2])?,
            components: rows(&res[3])?,
            public_incident_ids: public.into_iter().map(|r| r.name).collect(),
            time_zone: tz.into_iter().next().map(|r| r.name).unwrap_or_else(|| "UTC".into()),
        })
    }

    /// The action items of these incidents or this postmortem (lane A's table), oldest first.
    pub async fn postmortem_action_items(&self, org_id: &str, incident_ids: &[String], postmortem_id: Option<&str>) -> ApiResult<Vec<ActionItemLineRow>> {
        let mut a: Vec<Arg<'_>> = vec![Arg::Text(org_id), Arg::from(postmortem_id)];
        a.extend(incident_ids.iter().map(|i| Arg::Text(i)));
        self.all(
            &format!(
                "SELECT a.title, u.name AS owner, a.due_at, a.priority, a.kind, a.status, a.ticket_key, a.ticket_url
                 FROM action_items a LEFT JOIN users u ON u.id = a.owner_id
                 WHERE a.org_id = ?1 AND (a.postmortem_id = ?2 OR a.incident_id IN ({})) ORDER BY a.created_at, a.id LIMIT 200",
                marks(incident_ids.len(), 3)
            ),
            &a,
        )
        .await
    }

    /// The organisation's own template, if it stored one.
    pub async fn postmortem_template(&self, org_id: &str) -> ApiResult<Option<TemplateRow>> {
        self.first("SELECT id, name, sections FROM postmortem_templates WHERE org_id = ? AND is_default = 1 LIMIT 1", args![org_id]).await
    }

    /// Stores the organisation's template (one per organisation: `<org id>.default`), audited.
    pub async fn put_postmortem_template(&self, org_id: &str, name: &str, sections_json: &str, now: i64, audit: &Audit) -> ApiResult<()> {
        let id = format!("{org_id}.default");
        self.run_audited(
            "INSERT INTO postmortem_templates (id, org_id, name, sections, is_default, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, 1, ?5, ?5)
             ON CONFLICT (id) DO UPDATE SET name = excluded.name, sections = excluded.sections, updated_at = excluded.updated_at",
            args![&id, org_id, name, sections_json, now],
            audit,
        )
        .await?;
        Ok(())
    }

    /// Writes the postmortem, the incidents it covers, its sections and the primary incident's
    /// timeline row, in one batch. `Ok(false)` when one of the incidents already has a
    /// postmortem (the unique indexes decide a race).
    pub async fn create_postmortem(&self, p: &NewPostmortem<'_>, t: &NewTimeline<'_>, now: i64) -> ApiResult<bool> {
        let primary = p.incident_ids.first().ok_or_else(|| ApiError::Internal("a postmortem without an incident".into()))?;
        let mut stmts = vec![self.stmt(
            "INSERT INTO postmortems (id, org_id, incident_id, title, status, version, template_id, created_by, created_at, updated_at, updated_by)
             SELECT ?1, ?2, ?3, ?4, 'draft', 1, ?5, ?6, ?7, ?7, ?6 WHERE EXISTS (SELECT 1 FROM incidents WHERE id = ?3 AND org_id = ?2)",
            args![p.id, p.org_id, primary.as_str(), p.title, p.template_id, p.created_by, now],
        )?];
        stmts.push(self.stmt(
            "INSERT INTO timeline (id, org_id, incident_id, at, kind, actor, message, seq)
             SELECT ?, ?, ?, ?, ?, ?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM timeline WHERE incident_id = ?3) WHERE changes() = 1",
            args![t.id, p.org_id, primary.as_str(), now, t.kind, t.actor, t.message],
        )?);
        for i in p.incident_ids {
            stmts.push(self.stmt(
                "INSERT INTO postmortem_incidents (postmortem_id, incident_id, org_id) SELECT ?1, ?2, ?3 WHERE EXISTS (SELECT 1 FROM postmortems WHERE id = ?1)",
                args![p.id, i.as_str(), p.org_id],
            )?);
        }
        for (pos, (key, title, prompt, body)) in p.sections.iter().enumerate() {
            stmts.push(self.stmt(
                "INSERT INTO postmortem_sections (postmortem_id, org_id, key, position, title, prompt, body, version, updated_at, updated_by)
                 SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, 1, ?8, NULL WHERE EXISTS (SELECT 1 FROM postmortems WHERE id = ?1)",
                args![p.id, p.org_id, key.as_str(), pos as i64 + 1, title.as_str(), prompt.as_str(), body.as_str(), now],
            )?);
        }
        match self.batch(stmts).await {
            Ok(res) => Ok(changes(&res[0]) == 1),
            Err(e) if is_unique_violation(&e) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Saves a section if it is still at `version` and the document is editable; the document's
    /// version grows with it. Returns whether it was written.
    #[allow(clippy::too_many_arguments)]
    pub async fn save_postmortem_section(&self, org_id: &str, pm_id: &str, key: &str, body: &str, version: i64, user_id: &str, now: i64) -> ApiResult<bool> {
        let res = self
            .batch(vec![
                self.stmt(
                    "UPDATE postmortem_sections SET body = ?1, version = version + 1, updated_at = ?2, updated_by = ?3
                     WHERE org_id = ?4 AND postmortem_id = ?5 AND key = ?6 AND version = ?7
                       AND EXISTS (SELECT 1 FROM postmortems WHERE id = ?5 AND status != 'published')",
                    args![body, now, user_id, org_id, pm_id, key, version],
                )?,
                self.bump_stmt(pm_id, user_id, now)?,
            ])
            .await?;
        Ok(changes(&res[0]) == 1)
    }

    fn bump_stmt(&self, pm_id: &str, user_id: &str, now: i64) -> ApiResult<D1PreparedStatement> {
        self.stmt("UPDATE postmortems SET version = version + 1, updated_at = ?, updated_by = ? WHERE id = ? AND changes() = 1", args![now, user_id, pm_id])
    }

    /// Saves the customer-facing text if it is still at `version` and the document is editable.
    pub async fn save_postmortem_public_text(&self, org_id: &str, pm_id: &str, text: &str, version: i64, user_id: &str, now: i64) -> ApiResult<bool> {
        let n = self
            .run(
                "UPDATE postmortems SET public_text = ?1, public_version = public_version + 1, version = version + 1, updated_at = ?2, updated_by = ?3
                 WHERE org_id = ?4 AND id = ?5 AND public_version = ?6 AND status != 'published'",
                args![text, now, user_id, org_id, pm_id, version],
            )
            .await?;
        Ok(n == 1)
    }

    /// Moves the document from `from` to `to` (if still in `from`) with the primary incident's
    /// timeline row. Returns whether it moved.
    #[allow(clippy::too_many_arguments)]
    pub async fn set_postmortem_status(&self, org_id: &str, pm: &PostmortemRow, from: &str, to: &str, user_id: &str, t: &NewTimeline<'_>, now: i64) -> ApiResult<bool> {
        let res = self
            .batch(vec![
                self.stmt(
                    "UPDATE postmortems SET status = ?1, version = version + 1, updated_at = ?2, updated_by = ?3, status_changed_at = ?2, status_changed_by = ?3,
                            published_at = CASE WHEN ?1 = 'published' THEN COALESCE(published_at, ?2) ELSE published_at END
                     WHERE org_id = ?4 AND id = ?5 AND status = ?6",
                    args![to, now, user_id, org_id, &pm.id, from],
                )?,
                self.stmt(
                    "INSERT INTO timeline (id, org_id, incident_id, at, kind, actor, message, seq)
                     SELECT ?, ?, ?, ?, ?, ?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM timeline WHERE incident_id = ?3) WHERE changes() = 1",
                    args![t.id, org_id, &pm.incident_id, now, t.kind, t.actor, t.message],
                )?,
            ])
            .await?;
        Ok(changes(&res[0]) == 1)
    }

    /// A comment on an existing section; `false` when there is no such section.
    #[allow(clippy::too_many_arguments)]
    pub async fn add_postmortem_comment(&self, id: &str, org_id: &str, pm_id: &str, section: &str, author: &str, body: &str, now: i64) -> ApiResult<bool> {
        let n = self
            .run(
                "INSERT INTO postmortem_comments (id, org_id, postmortem_id, section_key, author_id, at, body, resolved)
                 SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, 0 WHERE EXISTS (SELECT 1 FROM postmortem_sections WHERE postmortem_id = ?3 AND org_id = ?2 AND key = ?4)",
                args![id, org_id, pm_id, section, author, now, body],
            )
            .await?;
        Ok(n == 1)
    }

    /// Marks a comment resolved (or open again); one already in that state is left as it is.
    pub async fn resolve_postmortem_comment(&self, org_id: &str, pm_id: &str, comment_id: &str, resolved: bool, user_id: &str, now: i64) -> ApiResult<bool> {
        let n = if resolved {
            self.run(
                "UPDATE postmortem_comments SET resolved = 1, resolved_by = ?, resolved_at = ? WHERE org_id = ? AND postmortem_id = ? AND id = ? AND resolved = 0",
                args![user_id, now, org_id, pm_id, comment_id],
            )
            .await?
        } else {
            self.run(
                "UPDATE postmortem_comments SET resolved = 0, resolved_by = NULL, resolved_at = NULL WHERE org_id = ? AND postmortem_id = ? AND id = ? AND resolved = 1",
                args![org_id, pm_id, comment_id],
            )
            .await?
        };
        Ok(n == 1)
    }

    pub async fn postmortem_comment(&self, org_id: &str, pm_id: &str, comment_id: &str) -> ApiResult<Option<CommentRow>> {
        self.first(
            "SELECT c.id, c.section_key, c.author_id, a.name AS author_name, c.at, c.body, c.resolved, c.resolved_by, r.name AS resolved_by_name, c.resolved_at
             FROM postmortem_comments c LEFT JOIN users a ON a.id = c.author_id LEFT JOIN users r ON r.id = c.resolved_by
             WHERE c.org_id = ? AND c.postmortem_id = ? AND c.id = ?",
            args![org_id, pm_id, comment_id],
        )
        .await
    }

    /// Publishes the customer-facing text on the public incident: status `postmortem`, its body
    /// and first publication time, a public update the first time (feeds and subscribers see
    /// it), the postmortem's record of it, the primary incident's timeline row, the page's time
    /// and the audit row — one batch.
    pub async fn publish_postmortem_publicly(&self, p: &PublicPostmortem<'_>, incident_id: &str, t: &NewTimeline<'_>, now: i64) -> ApiResult<()> {
        let stmts = vec![
            self.stmt(
                "INSERT INTO public_updates (id, org_id, parent_id, status, body, affected, created_at)
                 SELECT ?1, ?2, ?3, 'postmortem', ?4, '[]', ?5 WHERE NOT EXISTS (SELECT 1 FROM public_updates WHERE parent_id = ?3 AND status = 'postmortem')",
                args![p.update_id, p.org_id, p.public_incident_id, p.update_body, now],
            )?,
            self.stmt(
                "UPDATE public_incidents SET status = 'postmortem', postmortem_body = ?1, postmortem_published_at = COALESCE(postmortem_published_at, ?2),
                        updated_at = ?2, resolved_at = COALESCE(resolved_at, ?2)
                 WHERE org_id = ?3 AND id = ?4",
                args![p.body, now, p.org_id, p.public_incident_id],
            )?,
            self.stmt(
                "UPDATE postmortems SET public_incident_id = ?1, public_published_at = ?2, version = version + 1, updated_at = ?2 WHERE org_id = ?3 AND id = ?4",
                args![p.public_incident_id, now, p.org_id, p.postmortem_id],
            )?,
            self.stmt(
                "INSERT INTO timeline (id, org_id, incident_id, at, kind, actor, message, seq)
                 SELECT ?, ?, ?, ?, ?, ?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM timeline WHERE incident_id = ?3)",
                args![t.id, p.org_id, incident_id, now, t.kind, t.actor, t.message],
            )?,
            self.touch_page_stmt(p.org_id, now)?,
        ];
        self.batch_audited(stmts, p.audit).await?;
        Ok(())
    }

    /// `postmortem_published_at` of a public incident.
    pub async fn public_postmortem_published_at(&self, org_id: &str, public_incident_id: &str) -> ApiResult<Option<i64>> {
        let v: Option<serde_json::Value> = self.first("SELECT postmortem_published_at FROM public_incidents WHERE org_id = ? AND id = ?", args![org_id, public_incident_id]).await?;
        Ok(v.and_then(|v| v["postmortem_published_at"].as_i64()))
    }
}
