//! SQL of imports from PagerDuty and Opsgenie (rules: `tocsin_domain::import`): what the
//! organisation already has, and the one batch that writes an import.

use serde::Deserialize;
use tocsin_domain::import::{Existing, Imported, Writes};

use super::{args, Db};
use crate::error::ApiResult;

/// A created person's one-time invitation (its secret's hash) for the import batch.
pub struct ImportInvite {
    pub user_id: String,
    pub token_hash: String,
    pub expires_at: i64,
}

impl Db {
    /// People (by e-mail), services, what earlier imports from `source` made (and whether it
    /// still exists), and which of `keys` some service anywhere already uses.
    pub async fn import_state(&self, org_id: &str, source: &str, keys: &[&str]) -> ApiResult<Existing> {
        #[derive(Deserialize)]
        struct U {
            id: String,
            email: String,
        }
        #[derive(Deserialize)]
        struct S {
            id: String,
            name: String,
            integration_key: String,
        }
        #[derive(Deserialize)]
        struct M {
            kind: String,
            source_id: String,
            tocsin_id: String,
            alive: i64,
        }
        #[derive(Deserialize)]
        struct K {
            integration_key: String,
        }
        let users: Vec<U> = self.all("SELECT id, email FROM users WHERE org_id = ?", args![org_id]).await?;
        let services: Vec<S> = self.all("SELECT id, name, integration_key FROM services WHERE org_id = ?", args![org_id]).await?;
        let memory: Vec<M> = self
            .all(
                "SELECT m.kind, m.source_id, m.tocsin_id, CASE m.kind
                   WHEN 'user' THEN EXISTS (SELECT 1 FROM users x WHERE x.id = m.tocsin_id AND x.org_id = m.org_id)
                   WHEN 'schedule' THEN EXISTS (SELECT 1 FROM schedules x WHERE x.id = m.tocsin_id AND x.org_id = m.org_id)
                   WHEN 'escalation_policy' THEN EXISTS (SELECT 1 FROM escalation_policies x WHERE x.id = m.tocsin_id AND x.org_id = m.org_id)
                   ELSE EXISTS (SELECT 1 FROM services x WHERE x.id = m.tocsin_id AND x.org_id = m.org_id) END AS alive
                 FROM import_sources m WHERE m.org_id = ? AND m.source = ? ORDER BY m.rowid",
                args![org_id, source],
            )
            .await?;
        let mut keys_in_use = Vec::new();
        for chunk in keys.chunks(90) {
            let found: Vec<K> = self.all_in("SELECT integration_key FROM services WHERE integration_key IN ({in})", chunk).await?;
            keys_in_use.extend(found.into_iter().map(|k| k.integration_key));
        }
        Ok(Existing {
            users: users.into_iter().map(|u| (u.id, u.email)).collect(),
            imported: memory
                .into_iter()
                .filter_map(|m| Some(Imported { kind: m.kind.parse().ok()?, source_id: m.source_id, tocsin_id: m.tocsin_id, alive: m.alive != 0 }))
                .collect(),
            services: services.into_iter().map(|s| (s.id, s.name, s.integration_key)).collect(),
            keys_in_use,
        })
    }

    /// Writes everything an import creates in one batch (one transaction): people with their
    /// invitations, schedules, overrides, policies, services (with `keys`: service id → key) and
    /// the memory of what each was made from. A concurrent import of the same things makes the
    /// batch fail on a unique key (the memory's or an e-mail), so nothing is made twice.
    #[allow(clippy::too_many_arguments)]
    pub async fn apply_import(&self, org_id: &str, source: &str, w: &Writes, keys: &[(String, String)], invites: &[ImportInvite], created_by: &str, now: i64, audit: &super::Audit) -> ApiResult<()> {
        let remember = |kind: &str, source_id: &str, id: &str| {
            self.stmt(
                "INSERT INTO import_sources (org_id, source, kind, source_id, tocsin_id, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                args![org_id, source, kind, source_id, id, now],
            )
        };
        let mut stmts = Vec::new();
        for (kind, source_id, old) in &w.forget {
            stmts.push(self.stmt(
                "DELETE FROM import_sources WHERE org_id = ? AND source = ? AND kind = ? AND source_id = ? AND tocsin_id = ?",
                args![org_id, source, kind.as_str(), source_id.as_str(), old.as_str()],
            )?);
        }
        for u in &w.users {
            stmts.push(self.stmt(
                "INSERT INTO users (id, org_id, email, name, role, password_hash, created_at) VALUES (?, ?, ?, ?, ?, NULL, ?)",
                args![&u.id, org_id, &u.email, &u.name, u.role.as_str(), now],
            )?);
            if let Some(i) = invites.iter().find(|i| i.user_id == u.id) {
                stmts.push(self.stmt(
                    "INSERT INTO invites (token_hash, org_id, user_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
                    args![&i.token_hash, org_id, &u.id, now, i.expires_at],
                )?);
            }
            stmts.push(remember("user", &u.source_id, &u.id)?);
        }
        for s in &w.schedules {
            let layers = serde_json::to_string(&s.layers)?;
            stmts.push(self.stmt(
                "INSERT INTO schedules (id, org_id, name, time_zone, layers, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                args![&s.id, org_id, &s.name, &s.time_zone, &layers, now, now],
            )?);
            stmts.push(remember("schedule", &s.source_id, &s.id)?);
        }
        for o in &w.overrides {
            stmts.push(self.stmt(
                "INSERT INTO schedule_overrides (id, org_id, schedule_id, user_id, starts_at, ends_at, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                args![&o.id, org_id, &o.schedule_id, &o.user_id, o.start.timestamp_millis(), o.end.timestamp_millis(), created_by, now],
            )?);
        }
        for p in &w.policies {
            let policy = serde_json::to_string(&p.policy)?;
            stmts.push(self.stmt(
                "INSERT INTO escalation_policies (id, org_id, name, policy, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
                args![&p.id, org_id, &p.name, &policy, now, now],
            )?);
            stmts.push(remember("escalation_policy", &p.source_id, &p.id)?);
        }
        for s in &w.services {
            let key = keys.iter().find(|(id, _)| *id == s.id).map(|(_, k)| k.as_str()).unwrap_or_default();
            stmts.push(self.stmt(
                "INSERT INTO services (id, org_id, name, description, integration_key, escalation_policy_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                args![&s.id, org_id, &s.name, &s.description, key, s.policy_id.as_deref(), now, now],
            )?);
            stmts.push(remember("service", &s.source_id, &s.id)?);
        }
        if stmts.is_empty() {
            return Ok(());
        }
        super::forget_keys();
        // The last statement remembers a source id: it always inserts, so the audit row follows.
        self.batch_audited(stmts, audit).await?;
        Ok(())
    }
}
