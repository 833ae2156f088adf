//! Teams (`teams`, `team_members`), what they own (`team_id` on services, schedules and
//! policies), and a person's expertise and memberships. Every change is audited in its batch.

use serde::Deserialize;

use super::{args, Audit, Db};
use crate::error::ApiResult;

#[derive(Debug, Clone, Deserialize)]
pub struct TeamRow {
    pub id: String,
    pub name: String,
    pub description: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct MemberRow {
    pub team_id: String,
    pub team_name: String,
    pub user_id: String,
    pub name: String,
}

impl Db {
    pub async fn teams(&self, org_id: &str) -> ApiResult<Vec<TeamRow>> {
        self.all("SELECT id, name, description, created_at FROM teams WHERE org_id = ? ORDER BY name COLLATE NOCASE, id", args![org_id]).await
    }

    pub async fn team(&self, org_id: &str, id: &str) -> ApiResult<Option<TeamRow>> {
        self.first("SELECT id, name, description, created_at FROM teams WHERE org_id = ? AND id = ?", args![org_id, id]).await
    }

    /// Every membership of the organisation (team and person named).
    pub async fn team_members(&self, org_id: &str) -> ApiResult<Vec<MemberRow>> {
        self.all(
            "SELECT m.team_id, t.name AS team_name, m.user_id, u.name FROM team_members m JOIN teams t ON t.id = m.team_id JOIN users u ON u.id = m.user_id
             WHERE m.org_id = ? ORDER BY t.name COLLATE NOCASE, u.name COLLATE NOCASE",
            args![org_id],
        )
        .await
    }

    pub async fn insert_team(&self, id: &str, org_id: &str, name: &str, description: &str, now: i64, audit: &Audit) -> ApiResult<()> {
        self.run_audited("INSERT INTO teams (id, org_id, name, description, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)", args![id, org_id, name, description, now, now], audit).await?;
        Ok(())
    }

    pub async fn update_team(&self, org_id: &str, id: &str, name: &str, description: &str, now: i64, audit: &Audit) -> ApiResult<bool> {
        Ok(self
            .run_audited(
                "UPDATE teams SET name = ?, description = ?, updated_at = ? WHERE org_id = ? AND id = ? AND (name != ?1 OR description != ?2)",
                args![name, description, now, org_id, id],
                audit,
            )
            .await?
            == 1)
    }

    /// Deletes a team: its memberships end and what it owned belongs to no team any more, in
    /// the same batch.
    pub async fn delete_team(&self, org_id: &str, id: &str, audit: &Audit) -> ApiResult<bool> {
        let res = self
            .batch_audited(
                vec![
                    self.stmt("DELETE FROM team_members WHERE org_id = ? AND team_id = ?", args![org_id, id])?,
                    self.stmt("UPDATE services SET team_id = NULL WHERE org_id = ? AND team_id = ?", args![org_id, id])?,
                    self.stmt("UPDATE schedules SET team_id = NULL WHERE org_id = ? AND team_id = ?", args![org_id, id])?,
                    self.stmt("UPDATE escalation_policies SET team_id = NULL WHERE org_id = ? AND team_id = ?", args![org_id, id])?,
                    self.stmt("DELETE FROM teams WHERE org_id = ? AND id = ?", args![org_id, id])?,
                ],
                audit,
            )
            .await?;
        Ok(res.last().map(super::changes) == Some(1))
    }

    /// Sets a person's expertise and (when given) their teams, in one audited batch.
    pub async fn set_user_expertise_teams(&self, org_id: &str, user_id: &str, expertise: &str, teams: Option<&[String]>, audit: &Audit) -> ApiResult<()> {
        let mut stmts = vec![self.stmt("UPDATE users SET expertise = ? WHERE org_id = ? AND id = ?", args![expertise, org_id, user_id])?];
        if let Some(teams) = teams {
            stmts.push(self.stmt("DELETE FROM team_members WHERE org_id = ? AND user_id = ?", args![org_id, user_id])?);
            for t in teams {
                stmts.push(self.stmt(
                    "INSERT OR IGNORE INTO team_members (team_id, user_id, org_id) SELECT id, ?, ? FROM teams WHERE org_id = ?2 AND id = ?",
                    args![user_id, org_id, t.as_str()],
                )?);
            }
        }
        self.batch_audited(stmts, audit).await?;
        Ok(())
    }

    /// Sets which team owns a service, schedule or policy (`table` is one of those three).
    pub async fn set_owner_team(&self, table: OwnedBy, org_id: &str, id: &str, team_id: Option<&str>, audit: &Audit) -> ApiResult<bool> {
        let sql = format!("UPDATE {} SET team_id = ? WHERE org_id = ? AND id = ? AND team_id IS NOT ?1", table.table());
        Ok(self.run_audited(&sql, args![team_id, org_id, id], audit).await? == 1)
    }

    /// The team owning a service, schedule or policy.
    pub async fn owner_team(&self, table: OwnedBy, org_id: &str, id: &str) -> ApiResult<Option<String>> {
        #[derive(Deserialize)]
        struct R {
            team_id: Option<String>,
        }
        let r: Option<R> = self.first(&format!("SELECT team_id FROM {} WHERE org_id = ? AND id = ?", table.table()), args![org_id, id]).await?;
        Ok(r.and_then(|r| r.team_id))
    }
}

/// What a team can own besides services (whose `team_id` is one of their settings).
#[derive(Clone, Copy, Debug)]
pub enum OwnedBy {
    Schedule,
    Policy,
}

impl OwnedBy {
    fn table(self) -> &'static str {
        match self {
            Self::Schedule => "schedules",
            Self::Policy => "escalation_policies",
        }
    }
}
