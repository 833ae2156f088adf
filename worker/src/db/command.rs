//! Running an incident (`http::command`): organisation-defined incident roles, who holds which
//! role on an incident, links, affected services, merging, highlighted timeline rows. Every
//! change to an incident writes its timeline row in the same batch, numbered inline; a row that
//! must only exist when the change happened is guarded by `changes() = 1`.

use serde::Deserialize;
use worker::D1PreparedStatement;

use super::{args, changes, rows, Db, NewTimeline};
use crate::error::ApiResult;

#[derive(Debug, Clone, Deserialize)]
pub struct RoleRow {
    pub id: String,
    pub name: String,
    pub description: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct HolderRow {
    pub role_id: String,
    pub user_id: String,
    pub name: String,
    pub since: i64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct LinkRow {
    pub id: String,
    pub kind: String,
    pub url: String,
    pub label: String,
    pub added_by: String,
    pub added_at: i64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ServiceNameRow {
    pub id: String,
    pub name: String,
    pub runbook_url: Option<String>,
}

/// What the incident page shows of running the incident, read in one round trip.
pub struct CommandRows {
    pub roles: Vec<RoleRow>,
    pub holders: Vec<HolderRow>,
    pub links: Vec<LinkRow>,
    pub services: Vec<ServiceNameRow>,
    pub highlights: Vec<i64>,
}

/// Everything a merge writes besides the rows the domain plans.
pub struct MergeWrite<'a> {
    pub org_id: &'a str,
    pub source: &'a str,
    pub target: &'a str,
    /// The source's status and last sequence number when read: the merge happens only if
    /// neither changed meanwhile (so no row of the source is left behind).
    pub source_status: &'a str,
    pub source_last_seq: i64,
    pub actor: &'a str,
    /// Ids of copied rows: this, a colon and the source row's number.
    pub copy_id_prefix: &'a str,
    pub copy_prefix: &'a str,
    pub copied_kind_prefix: &'a str,
    pub target_row: NewTimeline<'a>,
    pub source_row: NewTimeline<'a>,
    pub resolved_row: NewTimeline<'a>,
}

impl Db {
    fn guarded_timeline_stmt(&self, org_id: &str, incident_id: &str, t: &NewTimeline<'_>, now: i64) -> ApiResult<D1PreparedStatement> {
        self.stmt(
            "INSERT INTO timeline (id, org_id, incident_id, at, kind, actor, message, seq) SELECT ?, ?, ?, ?, ?, ?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM timeline WHERE incident_id = ?3) WHERE changes() = 1",
            args![t.id, org_id, incident_id, now, t.kind, t.actor, t.message],
        )
    }

    pub async fn incident_roles(&self, org_id: &str) -> ApiResult<Vec<RoleRow>> {
        self.all("SELECT id, name, description FROM incident_roles WHERE org_id = ? ORDER BY name COLLATE NOCASE, id", args![org_id]).await
    }

    pub async fn insert_incident_role(&self, id: &str, org_id: &str, name: &str, name_key: &str, description: &str, now: i64, audit: &super::Audit) -> ApiResult<()> {
        self.run_audited(
            "INSERT INTO incident_roles (id, org_id, name, name_key, description, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            args![id, org_id, name, name_key, description, now],
            audit,
        )
        .await?;
        Ok(())
    }

    /// Deletes an organisation-defined role and every holding of it (the timeline keeps who
    /// held it). Returns whether it existed.
    pub async fn delete_incident_role(&self, org_id: &str, id: &str, audit: &super::Audit) -> ApiResult<bool> {
        let res = self
            .batch_audited(
                vec![
                    self.stmt("DELETE FROM incident_role_holders WHERE org_id = ? AND role_id = ?", args![org_id, id])?,
                    self.stmt("DELETE FROM incident_roles WHERE org_id = ? AND id = ?", args![org_id, id])?,
                ],
                audit,
            )
            .await?;
        Ok(changes(&res[1]) == 1)
    }

    pub async fn role_holder(&self, incident_id: &str, role_id: &str) -> ApiResult<Option<HolderRow>> {
        self.first(
            "SELECT h.role_id, h.user_id, u.name, h.since FROM incident_role_holders h JOIN users u ON u.id = h.user_id WHERE h.incident_id = ? AND h.role_id = ?",
            args![incident_id, role_id],
        )
        .await
    }

    /// Gives the role to `user_id` if `previous` (None: nobody) still holds it and it is not
    /// already theirs, with the timeline row. Returns whether it changed.
    pub async fn assign_role(&self, org_id: &str, incident_id: &str, role_id: &str, user_id: &str, previous: Option<&str>, t: &NewTimeline<'_>, now: i64) -> ApiResult<bool> {
        let write = match previous {
            None => self.stmt(
                "INSERT INTO incident_role_holders (incident_id, role_id, org_id, user_id, since) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                args![incident_id, role_id, org_id, user_id, now],
            )?,
            Some(p) => self.stmt(
                "UPDATE incident_role_holders SET user_id = ?, since = ? WHERE incident_id = ? AND role_id = ? AND user_id = ? AND user_id != ?1",
                args![user_id, now, incident_id, role_id, p],
            )?,
        };
        let res = self
            .batch(vec![
                write,
                self.guarded_timeline_stmt(org_id, incident_id, t, now)?,
                self.stmt("UPDATE incidents SET updated_at = ? WHERE id = ? AND EXISTS (SELECT 1 FROM timeline WHERE id = ?)", args![now, incident_id, t.id])?,
            ])
            .await?;
        Ok(changes(&res[0]) == 1)
    }

    /// Leaves the role empty if `previous` still holds it, with the timeline row.
    pub async fn unassign_role(&self, org_id: &str, incident_id: &str, role_id: &str, previous: &str, t: &NewTimeline<'_>, now: i64) -> ApiResult<bool> {
        let res = self
            .batch(vec![
                self.stmt("DELETE FROM incident_role_holders WHERE incident_id = ? AND role_id = ? AND user_id = ?", args![incident_id, role_id, previous])?,
                self.guarded_timeline_stmt(org_id, incident_id, t, now)?,
            ])
            .await?;
        Ok(changes(&res[0]) == 1)
    }

    pub async fn incident_links(&self, incident_id: &str) -> ApiResult<Vec<LinkRow>> {
        self.all("SELECT id, kind, url, label, added_by, added_at FROM incident_links WHERE incident_id = ? ORDER BY added_at, id", args![incident_id]).await
    }

    /// Adds a link unless the incident already has one to the same URL, or `max` links.
    /// Returns whether it was added.
    #[allow(clippy::too_many_arguments)]
    pub async fn add_link(&self, org_id: &str, incident_id: &str, id: &str, kind: &str, url: &str, label: &str, actor: &str, max: i64, t: &NewTimeline<'_>, now: i64) -> ApiResult<bool> {
        let res = self
            .batch(vec![
                self.stmt(
                    "INSERT INTO incident_links (id, org_id, incident_id, kind, url, label, added_by, added_at)
                     SELECT ?, ?, ?, ?, ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM incident_links WHERE incident_id = ?3 AND url = ?5)
                       AND (SELECT COUNT(*) FROM incident_links WHERE incident_id = ?3) < ?",
                    args![id, org_id, incident_id, kind, url, label, actor, now, max],
                )?,
                self.guarded_timeline_stmt(org_id, incident_id, t, now)?,
            ])
            .await?;
        Ok(changes(&res[0]) == 1)
    }

    pub async fn remove_link(&self, org_id: &str, incident_id: &str, link_id: &str, t: &NewTimeline<'_>, now: i64) -> ApiResult<bool> {
        let res = self
            .batch(vec![
                self.stmt("DELETE FROM incident_links WHERE incident_id = ? AND id = ?", args![incident_id, link_id])?,
                self.guarded_timeline_stmt(org_id, incident_id, t, now)?,
            ])
            .await?;
        Ok(changes(&res[0]) == 1)
    }

    /// The services besides the incident's own.
    pub async fn other_services(&self, incident_id: &str) -> ApiResult<Vec<ServiceNameRow>> {
        self.all(
            "SELECT s.id, s.name, s.runbook_url FROM incident_services x JOIN services s ON s.id = x.service_id WHERE x.incident_id = ? ORDER BY s.name COLLATE NOCASE, s.id",
            args![incident_id],
        )
        .await
    }

    /// The organisation's services among `ids`.
    pub async fn services_named(&self, org_id: &str, ids: &[&str]) -> ApiResult<Vec<ServiceNameRow>> {
        let mut found = Vec::new();
        for chunk in ids.chunks(90) {
            let mut values = vec![org_id];
            values.extend_from_slice(chunk);
            let marks = vec!["?"; chunk.len()].join(", ");
            let a: Vec<super::Arg<'_>> = values.iter().map(|v| super::Arg::Text(v)).collect();
            found.extend(self.all::<ServiceNameRow>(&format!("SELECT id, name, runbook_url FROM services WHERE org_id = ? AND id IN ({marks})"), &a).await?);
        }
        Ok(found)
    }

    /// Replaces the other services — removes `removed`, adds `added`, with the timeline row —
    /// only if they are still `current` (the set the change was planned against). The first
    /// statement is the compare-and-set (the incident is touched only if the sorted ids still
    /// match), the timeline row follows only if it happened, and the removals and additions
    /// only if that row exists. Returns whether it happened (false: the set moved meanwhile).
    #[allow(clippy::too_many_arguments)]
    pub async fn set_other_services(&self, org_id: &str, incident_id: &str, current: &[String], added: &[String], removed: &[String], t: &NewTimeline<'_>, now: i64) -> ApiResult<bool> {
        let mut sorted: Vec<&str> = current.iter().map(String::as_str).collect();
        sorted.sort_unstable();
        let fingerprint = sorted.join(",");
        let mut stmts = vec![
            self.stmt(
                "UPDATE incidents SET updated_at = ?1 WHERE id = ?2 AND org_id = ?3
                   AND (SELECT COALESCE(group_concat(service_id, ','), '') FROM (SELECT service_id FROM incident_services WHERE incident_id = ?2 ORDER BY service_id)) = ?4",
                args![now, incident_id, org_id, fingerprint.as_str()],
            )?,
            self.guarded_timeline_stmt(org_id, incident_id, t, now)?,
        ];
        for s in removed {
            stmts.push(self.stmt(
                "DELETE FROM incident_services WHERE incident_id = ? AND service_id = ? AND EXISTS (SELECT 1 FROM timeline WHERE id = ?)",
                args![incident_id, s, t.id],
            )?);
        }
        for s in added {
            stmts.push(self.stmt(
                "INSERT INTO incident_services (incident_id, service_id, org_id) SELECT ?, ?, ? WHERE EXISTS (SELECT 1 FROM timeline WHERE id = ?) ON CONFLICT DO NOTHING",
                args![incident_id, s, org_id, t.id],
            )?);
        }
        let res = self.batch(stmts).await?;
        Ok(changes(&res[0]) == 1)
    }

    /// The message of a timeline row, by its number.
    pub async fn timeline_message(&self, org_id: &str, incident_id: &str, seq: i64) -> ApiResult<Option<String>> {
        Ok(self.first::<serde_json::Value>("SELECT message FROM timeline WHERE org_id = ? AND incident_id = ? AND seq = ?", args![org_id, incident_id, seq]).await?.and_then(|v| v["message"].as_str().map(str::to_string)))
    }

    /// Marks (`on`) or unmarks a row as a highlight, with the timeline row when it changed.
    pub async fn set_highlight(&self, org_id: &str, incident_id: &str, seq: i64, on: bool, t: &NewTimeline<'_>, now: i64) -> ApiResult<bool> {
        let write = if on {
            self.stmt(
                "INSERT INTO timeline_highlights (incident_id, seq, org_id, by_actor, at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                args![incident_id, seq, org_id, t.actor, now],
            )?
        } else {
            self.stmt("DELETE FROM timeline_highlights WHERE incident_id = ? AND seq = ?", args![incident_id, seq])?
        };
        let res = self.batch(vec![write, self.guarded_timeline_stmt(org_id, incident_id, t, now)?]).await?;
        Ok(changes(&res[0]) == 1)
    }

    /// The last sequence number of an incident's record.
    pub async fn last_seq(&self, incident_id: &str) -> ApiResult<i64> {
        let n: Option<i64> = self.first_n("SELECT COALESCE(MAX(seq), 0) AS n FROM timeline WHERE incident_id = ?", args![incident_id]).await?;
        Ok(n.unwrap_or(0))
    }

    /// The merge, in one batch: the source resolves pointing at the target (only if it is still
    /// as read and the target still open), and only then its alerts and their events move, its
    /// record is copied onto the end of the target's, both records say so, its escalation stops
    /// and its services become affected services of the target. Returns whether it happened.
    pub async fn merge_incident(&self, m: &MergeWrite<'_>, now: i64) -> ApiResult<bool> {
        // Everything after the first statement happens only if it did.
        let done = "EXISTS (SELECT 1 FROM incidents WHERE id = ?1 AND merged_into = ?2 AND resolved_at = ?3)";
        let stmts = vec![
            self.stmt(
                &format!(
                "UPDATE incidents SET status = 'resolved', merged_into = ?1, resolved_at = ?2, resolved_by = ?3, updated_at = ?2, {}
                 WHERE org_id = ?4 AND id = ?5 AND status = ?6 AND merged_into IS NULL
                   AND (SELECT COALESCE(MAX(seq), 0) FROM timeline WHERE incident_id = ?5) = ?7
                   AND EXISTS (SELECT 1 FROM incidents WHERE org_id = ?4 AND id = ?1 AND status != 'resolved' AND merged_into IS NULL)",
                    super::key_times::resolved(now)
                ),
                args![m.target, now, m.actor, m.org_id, m.source, m.source_status, m.source_last_seq],
            )?,
            self.stmt(&format!("UPDATE alerts SET incident_id = ?2 WHERE incident_id = ?1 AND {done}"), args![m.source, m.target, now])?,
            self.stmt(&format!("UPDATE alert_events SET incident_id = ?2 WHERE incident_id = ?1 AND {done}"), args![m.source, m.target, now])?,
            // The copies, in the source's order, after the target's last row.
            self.stmt(
                &format!(
                    "INSERT INTO timeline (id, org_id, incident_id, at, kind, actor, message, seq)
                     SELECT ?4 || ':' || t.seq, t.org_id, ?2, t.at,
                            CASE WHEN t.kind LIKE ?6 || '%' THEN t.kind ELSE ?6 || t.kind END, t.actor, ?5 || t.message,
                            b.base + ROW_NUMBER() OVER (ORDER BY t.seq)
                     FROM timeline t, (SELECT COALESCE(MAX(seq), 0) AS base FROM timeline WHERE incident_id = ?2) b
                     WHERE t.incident_id = ?1 AND {done} ORDER BY t.seq"
                ),
                args![m.source, m.target, now, m.copy_id_prefix, m.copy_prefix, m.copied_kind_prefix],
            )?,
            self.merge_row(m.org_id, m.target, &m.target_row, m, now)?,
            self.merge_row(m.org_id, m.source, &m.source_row, m, now)?,
            self.merge_row(m.org_id, m.source, &m.resolved_row, m, now)?,
            self.stmt(&format!("UPDATE incident_escalations SET next_at = NULL, updated_at = ?3 WHERE incident_id = ?1 AND {done}"), args![m.source, m.target, now])?,
            // The source's public status-page incident now follows the target, unless the target
            // has its own: then both stay as they are (a merge resolves nothing on the page).
            self.stmt(
                &format!(
                    "UPDATE public_incidents SET incident_id = ?2 WHERE org_id = ?4 AND incident_id = ?1
                       AND NOT EXISTS (SELECT 1 FROM public_incidents WHERE org_id = ?4 AND incident_id = ?2) AND {done}"
                ),
                args![m.source, m.target, now, m.org_id],
            )?,
            self.stmt(
                &format!(
                    "INSERT INTO incident_services (incident_id, service_id, org_id)
                     SELECT ?2, s.service_id, ?4 FROM (SELECT service_id FROM incidents WHERE id = ?1 AND service_id IS NOT NULL
                                                      UNION SELECT service_id FROM incident_services WHERE incident_id = ?1) s
                     WHERE s.service_id IS NOT (SELECT service_id FROM incidents WHERE id = ?2) AND {done}
                     ON CONFLICT DO NOTHING"
                ),
                args![m.source, m.target, now, m.org_id],
            )?,
            // The target holds the source's alerts now: its key times take the earlier of both.
            self.stmt(&format!("UPDATE incidents SET updated_at = ?3, {} WHERE id = ?2 AND {done}", super::key_times::merged_from("?1")), args![m.source, m.target, now])?,
        ];
        let res = self.batch(stmts).await?;
        Ok(changes(&res[0]) == 1)
    }

    fn merge_row(&self, org_id: &str, incident_id: &str, t: &NewTimeline<'_>, m: &MergeWrite<'_>, now: i64) -> ApiResult<D1PreparedStatement> {
        self.stmt(
            "INSERT INTO timeline (id, org_id, incident_id, at, kind, actor, message, seq)
             SELECT ?, ?, ?3, ?, ?, ?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM timeline WHERE incident_id = ?3)
             WHERE EXISTS (SELECT 1 FROM incidents WHERE id = ? AND merged_into = ? AND resolved_at = ?4)",
            args![t.id, org_id, incident_id, now, t.kind, t.actor, t.message, m.source, m.target],
        )
    }

    /// The incident page's share of running the incident, in one round trip.
    pub async fn command_rows(&self, org_id: &str, incident_id: &str) -> ApiResult<CommandRows> {
        let res = self
            .batch(vec![
                self.stmt("SELECT id, name, description FROM incident_roles WHERE org_id = ? ORDER BY name COLLATE NOCASE, id", args![org_id])?,
                self.stmt(
                    "SELECT h.role_id, h.user_id, u.name, h.since FROM incident_role_holders h JOIN users u ON u.id = h.user_id WHERE h.incident_id = ? AND h.org_id = ?",
                    args![incident_id, org_id],
                )?,
                self.stmt("SELECT id, kind, url, label, added_by, added_at FROM incident_links WHERE incident_id = ? AND org_id = ? ORDER BY added_at, id", args![incident_id, org_id])?,
                self.stmt(
                    "SELECT s.id, s.name, s.runbook_url FROM incident_services x JOIN services s ON s.id = x.service_id WHERE x.incident_id = ? AND x.org_id = ? ORDER BY s.name COLLATE NOCASE, s.id",
                    args![incident_id, org_id],
                )?,
                self.stmt("SELECT seq FROM timeline_highlights WHERE incident_id = ? AND org_id = ? ORDER BY seq", args![incident_id, org_id])?,
            ])
            .await?;
        let highlights = rows::<serde_json::Value>(&res[4])?.iter().filter_map(|v| v["seq"].as_i64()).collect();
        Ok(CommandRows { roles: rows(&res[0])?, holders: rows(&res[1])?, links: rows(&res[2])?, services: rows(&res[3])?, highlights })
    }
}
