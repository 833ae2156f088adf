//! Services and their integration keys.

use serde::Deserialize;

use super::{Audit, args, Db};
use crate::error::ApiResult;
use std::cell::RefCell;
use std::collections::HashMap;

/// How long a looked-up integration key is trusted without asking D1 again.
pub const KEY_CACHE_TTL_MS: i64 = 5_000;

thread_local! {
    static KEY_CACHE: RefCell<HashMap<String, (i64, Option<ServiceRow>)>> = RefCell::new(HashMap::new());
}

pub(crate) fn forget_keys() {
    KEY_CACHE.with(|c| c.borrow_mut().clear());
}

#[derive(Debug, Clone, Deserialize)]
pub struct ServiceRow {
    pub id: String,
    pub org_id: String,
    pub name: String,
    pub description: String,
    pub runbook_url: Option<String>,
    pub integration_key: String,
    pub created_at: i64,
    pub updated_at: i64,
    #[serde(default)]
    pub open_incidents: i64,
    /// JSON of `GroupingRule`.
    pub grouping: String,
    pub auto_resolve: i64,
    pub webhook_secret: Option<String>,
    #[serde(default)]
    pub escalation_policy_id: Option<String>,
    #[serde(default)]
    pub unack_timeout_minutes: Option<i64>,
    /// JSON array of vendor names, or NULL (see `vendors::sender_allowed`).
    #[serde(default)]
    pub allowed_senders: Option<String>,
    /// JSON array of expertise tags.
    #[serde(default)]
    pub expertise: Option<String>,
    #[serde(default)]
    pub team_id: Option<String>,
    /// The SNS topic ARN this service expects (see `cloudwatch::topic_allowed`).
    #[serde(default)]
    pub sns_topic_arn: Option<String>,
}

impl ServiceRow {
    /// Whether this service accepts a delivery from `vendor` (the domain's rule).
    pub fn accepts(&self, vendor: tocsin_domain::vendors::Vendor) -> bool {
        let list: Option<Vec<tocsin_domain::vendors::Vendor>> = self
            .allowed_senders
            .as_deref()
            .map(|j| serde_json::from_str::<Vec<String>>(j).unwrap_or_default().iter().filter_map(|v| v.parse().ok()).collect());
        tocsin_domain::vendors::sender_allowed(vendor, self.webhook_secret.as_deref().is_some_and(|s| !s.is_empty()), list.as_deref())
    }
}

const SERVICE_COLS: &str = "s.id, s.org_id, s.name, s.description, s.runbook_url, s.integration_key, s.created_at, s.updated_at,
     s.grouping, s.auto_resolve, s.webhook_secret, s.escalation_policy_id, s.unack_timeout_minutes, s.allowed_senders, s.expertise, s.team_id, s.sns_topic_arn,
     (SELECT COUNT(*) FROM incidents i WHERE i.service_id = s.id AND i.status != 'resolved') AS open_incidents";

pub struct ServiceFields<'a> {
    pub name: &'a str,
    pub description: &'a str,
    pub runbook_url: Option<&'a str>,
    pub grouping: &'a str,
    pub auto_resolve: bool,
    pub webhook_secret: Option<&'a str>,
    pub unack_timeout_minutes: Option<i64>,
    pub allowed_senders: Option<&'a str>,
    /// JSON array of expertise tags.
    pub expertise: &'a str,
    pub team_id: Option<&'a str>,
    pub sns_topic_arn: Option<&'a str>,
}

impl Db {
    pub async fn insert_service(&self, id: &str, org_id: &str, f: &ServiceFields<'_>, key: &str, now: i64, audit: &Audit) -> ApiResult<()> {
        self.run_audited(
            "INSERT INTO services (id, org_id, name, description, runbook_url, integration_key, created_at, updated_at, grouping, auto_resolve,
               webhook_secret, unack_timeout_minutes, allowed_senders, expertise, team_id, sns_topic_arn)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            args![id, org_id, f.name, f.description, f.runbook_url, key, now, now, f.grouping, f.auto_resolve as i64, f.webhook_secret, f.unack_timeout_minutes, f.allowed_senders, f.expertise, f.team_id, f.sns_topic_arn],
            audit,
        )
        .await?;
        Ok(())
    }

    pub async fn services(&self, org_id: &str) -> ApiResult<Vec<ServiceRow>> {
        self.all(&format!("SELECT {SERVICE_COLS} FROM services s WHERE s.org_id = ? ORDER BY s.name COLLATE NOCASE"), args![org_id])
            .await
    }

    pub async fn service(&self, org_id: &str, id: &str) -> ApiResult<Option<ServiceRow>> {
        self.first(&format!("SELECT {SERVICE_COLS} FROM services s WHERE s.org_id = ? AND s.id = ?"), args![org_id, id]).await
    }

    /// The service an integration key routes to (webhooks carry no other credentials).
    /// Ingestion's hot path: answers come from a per-isolate cache for up to
    /// [`KEY_CACHE_TTL_MS`]; edits and rotations made through this isolate clear it at once,
    /// other isolates see them within the TTL.
    pub async fn service_by_key(&self, key: &str, now: i64) -> ApiResult<Option<ServiceRow>> {
        if let Some(hit) = KEY_CACHE.with(|c| c.borrow().get(key).filter(|(at, _)| now - at < KEY_CACHE_TTL_MS).map(|(_, row)| row.clone())) {
            return Ok(hit);
        }
        let row: Option<ServiceRow> =
            self.first("SELECT s.*, 0 AS open_incidents FROM services s WHERE s.integration_key = ?", args![key]).await?;
        KEY_CACHE.with(|c| {
            let mut c = c.borrow_mut();
            if c.len() >= 1024 {
                c.clear();
            }
            c.insert(key.to_string(), (now, row.clone()));
        });
        Ok(row)
    }

    pub async fn update_service(&self, org_id: &str, id: &str, f: &ServiceFields<'_>, now: i64, audit: &Audit) -> ApiResult<()> {
        forget_keys();
        self.run_audited(
            "UPDATE services SET name = ?, description = ?, runbook_url = ?, grouping = ?, auto_resolve = ?, webhook_secret = ?,
             unack_timeout_minutes = ?, allowed_senders = ?, expertise = ?, team_id = ?, sns_topic_arn = ?, updated_at = ? WHERE org_id = ? AND id = ?",
            args![f.name, f.description, f.runbook_url, f.grouping, f.auto_resolve as i64, f.webhook_secret, f.unack_timeout_minutes, f.allowed_senders, f.expertise, f.team_id, f.sns_topic_arn, now, org_id, id],
            audit,
        )
        .await?;
        Ok(())
    }

    /// Services whose webhook secret was stored before secrets were sealed (bounded).
    pub async fn unsealed_service_secrets(&self, limit: i64) -> ApiResult<Vec<(String, String)>> {
        let rows: Vec<serde_json::Value> = self
            .all("SELECT id, webhook_secret FROM services WHERE webhook_secret IS NOT NULL AND webhook_secret != '' AND substr(webhook_secret, 1, 3) NOT IN ('s1.', 's2.') LIMIT ?", args![limit])
            .await?;
        Ok(rows.iter().filter_map(|r| Some((r["id"].as_str()?.to_string(), r["webhook_secret"].as_str()?.to_string()))).collect())
    }

    /// Replaces a plaintext webhook secret with its sealed form (only if it is still that plaintext).
    pub async fn seal_service_secret(&self, id: &str, plain: &str, sealed: &str) -> ApiResult<()> {
        forget_keys();
        self.run("UPDATE services SET webhook_secret = ? WHERE id = ? AND webhook_secret = ?", args![sealed, id, plain]).await?;
        Ok(())
    }

    pub async fn rotate_integration_key(&self, org_id: &str, id: &str, key: &str, now: i64, audit: &Audit) -> ApiResult<()> {
        forget_keys();
        self.run_audited(
            "UPDATE services SET integration_key = ?, updated_at = ? WHERE org_id = ? AND id = ?",
            args![key, now, org_id, id],
            audit,
        )
        .await?;
        Ok(())
    }
}

impl Db {
    /// The latest events received for a service, newest first.
    pub async fn service_events(&self, service_id: &str, limit: i64) -> ApiResult<Vec<super::AlertEventRow>> {
        self.all("SELECT * FROM alert_events WHERE service_id = ? ORDER BY received_at DESC, rowid DESC LIMIT ?", args![service_id, limit]).await
    }

    pub async fn service_changes(&self, service_id: &str, limit: i64) -> ApiResult<Vec<super::ChangeEventRow>> {
        self.all(
            "SELECT id, summary, source, details, links, at FROM change_events WHERE service_id = ? ORDER BY at DESC LIMIT ?",
            args![service_id, limit],
        )
        .await
    }
}
