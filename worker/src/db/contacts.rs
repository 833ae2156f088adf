//! Who and where to page: the organisation's keys, push subscriptions, contact preferences
//! and webhook destinations.

use serde::Deserialize;

use super::{args, changes, rows, Db};
use crate::error::ApiResult;

#[derive(Debug, Clone, Deserialize)]
pub struct OrgKeysRow {
    pub org_id: String,
    pub vapid_private: String,
    pub vapid_public: String,
    pub vapid_subject: String,
    pub action_key: String,
    pub app_url: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SubscriptionRow {
    pub id: String,
    pub user_id: String,
    pub endpoint: String,
    pub p256dh: String,
    pub auth: String,
    pub device: String,
    pub created_at: i64,
    pub last_success_at: Option<i64>,
    pub last_failure: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct PreferencesRow {
    pub push: i64,
    pub webhook_kind: Option<String>,
    pub webhook_url: Option<String>,
    pub webhook_secret: Option<String>,
    pub repeat_minutes: Option<i64>,
    pub repeat_severity: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DestinationRow {
    pub id: String,
    pub org_id: String,
    pub name: String,
    pub kind: String,
    pub url: String,
    pub secret: Option<String>,
    pub events: String,
    pub service_ids: String,
    pub enabled: i64,
    pub created_at: i64,
}

/// The columns of a [`SubscriptionRow`].
pub(super) const SUBSCRIPTION_COLS: &str = "id, user_id, endpoint, p256dh, auth, device, created_at, last_success_at, last_failure";

impl Db {
    // ---- organisation keys ----

    /// Stores the organisation's keys unless it has them already; returns the stored ones.
    pub async fn ensure_org_keys(&self, k: &OrgKeysRow, now: i64) -> ApiResult<OrgKeysRow> {
        let res = self
            .batch(vec![
                self.stmt(
                    "INSERT OR IGNORE INTO org_keys (org_id, vapid_private, vapid_public, vapid_subject, action_key, app_url, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    args![&k.org_id, &k.vapid_private, &k.vapid_public, &k.vapid_subject, &k.action_key, &k.app_url, now],
                )?,
                // Learn the app's address when it was not known yet.
                self.stmt("UPDATE org_keys SET app_url = ? WHERE org_id = ? AND app_url = '' AND ? != ''", args![&k.app_url, &k.org_id, &k.app_url])?,
                self.stmt("SELECT org_id, vapid_private, vapid_public, vapid_subject, action_key, app_url FROM org_keys WHERE org_id = ?", args![&k.org_id])?,
            ])
            .await?;
        rows::<OrgKeysRow>(&res[2])?.into_iter().next().ok_or_else(|| crate::error::ApiError::Internal("organisation keys missing after insert".into()))
    }

    pub async fn org_keys(&self, org_id: &str) -> ApiResult<Option<OrgKeysRow>> {
        self.first("SELECT org_id, vapid_private, vapid_public, vapid_subject, action_key, app_url FROM org_keys WHERE org_id = ?", args![org_id]).await
    }

    // ---- push subscriptions ----

    /// Stores a subscription, or moves an existing endpoint to this user with fresh keys.
    /// Returns the row and whether it was new.
    #[allow(clippy::too_many_arguments)]
    #[allow(clippy::too_many_arguments)]
    pub async fn upsert_subscription(&self, id: &str, org_id: &str, user_id: &str, endpoint: &str, p256dh: &str, auth: &str, device: &str, now: i64, audit: &super::Audit) -> ApiResult<(SubscriptionRow, bool)> {
        let res = self
            .batch_audited(vec![
                self.stmt(
                    // The same browser again (perhaps another person of the organisation on it):
                    // the device moves to the caller. Never across organisations.
                    "INSERT INTO push_subscriptions (id, org_id, user_id, endpoint, p256dh, auth, device, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                     ON CONFLICT (endpoint) DO UPDATE SET user_id = ?3, p256dh = ?5, auth = ?6, device = ?7, last_failure = NULL WHERE org_id = ?2",
                    args![id, org_id, user_id, endpoint, p256dh, auth, device, now],
                )?,
                self.stmt(
                    &format!("SELECT {SUBSCRIPTION_COLS} FROM push_subscriptions WHERE endpoint = ?"),
                    args![endpoint],
                )?,
            ], audit)
            .await?;
        let row = rows::<SubscriptionRow>(&res[1])?.into_iter().next().ok_or_else(|| crate::error::ApiError::Internal("subscription missing after insert".into()))?;
        if row.user_id != user_id {
            return Err(crate::error::ApiError::Conflict("this push endpoint belongs to another organisation's device".into()));
        }
        let new = row.id == id;
        Ok((row, new))
    }

    pub async fn subscriptions_of(&self, org_id: &str, user_id: &str) -> ApiResult<Vec<SubscriptionRow>> {
        self.all(
            &format!("SELECT {SUBSCRIPTION_COLS} FROM push_subscriptions WHERE org_id = ? AND user_id = ? ORDER BY created_at"),
            args![org_id, user_id],
        )
        .await
    }

    pub async fn subscription(&self, org_id: &str, id: &str) -> ApiResult<Option<SubscriptionRow>> {
        self.first(
            &format!("SELECT {SUBSCRIPTION_COLS} FROM push_subscriptions WHERE org_id = ? AND id = ?"),
            args![org_id, id],
        )
        .await
    }

    pub async fn delete_subscription(&self, org_id: &str, user_id: &str, id: &str, audit: &super::Audit) -> ApiResult<bool> {
        Ok(self.run_audited("DELETE FROM push_subscriptions WHERE org_id = ? AND user_id = ? AND id = ?", args![org_id, user_id, id], audit).await? == 1)
    }

    // ---- contact preferences ----

    pub async fn preferences(&self, user_id: &str) -> ApiResult<Option<PreferencesRow>> {
        self.first(
            "SELECT push, webhook_kind, webhook_url, webhook_secret, repeat_minutes, repeat_severity FROM contact_preferences WHERE user_id = ?",
            args![user_id],
        )
        .await
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn put_preferences(&self, org_id: &str, user_id: &str, push: bool, webhook: Option<(&str, &str, Option<&str>)>, repeat: Option<(i64, &str)>, now: i64, audit: &super::Audit) -> ApiResult<()> {
        let (kind, url, secret) = match webhook {
            Some((k, u, s)) => (Some(k), Some(u), s),
            None => (None, None, None),
        };
        self.run_audited(
            "INSERT INTO contact_preferences (user_id, org_id, push, webhook_kind, webhook_url, webhook_secret, repeat_minutes, repeat_severity, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
             ON CONFLICT (user_id) DO UPDATE SET push = ?3, webhook_kind = ?4, webhook_url = ?5, webhook_secret = ?6, repeat_minutes = ?7,
               repeat_severity = ?8, updated_at = ?9",
            args![user_id, org_id, push as i64, kind, url, secret, repeat.map(|r| r.0), repeat.map(|r| r.1).unwrap_or("SEV1"), now],
            audit,
        )
        .await?;
        Ok(())
    }

    // ---- webhook destinations ----

    #[allow(clippy::too_many_arguments)]
    pub async fn insert_destination(&self, d: &DestinationRow, now: i64, audit: &super::Audit) -> ApiResult<()> {
        self.run_audited(
            "INSERT INTO webhook_destinations (id, org_id, name, kind, url, secret, events, service_ids, enabled, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            args![&d.id, &d.org_id, &d.name, &d.kind, &d.url, d.secret.as_deref(), &d.events, &d.service_ids, d.enabled, now, now],
            audit,
        )
        .await?;
        Ok(())
    }

    pub async fn update_destination(&self, d: &DestinationRow, now: i64, audit: &super::Audit) -> ApiResult<bool> {
        Ok(self
            .run_audited(
                "UPDATE webhook_destinations SET name = ?, kind = ?, url = ?, secret = ?, events = ?, service_ids = ?, enabled = ?, updated_at = ?
                 WHERE id = ? AND org_id = ? AND deleted_at IS NULL",
                args![&d.name, &d.kind, &d.url, d.secret.as_deref(), &d.events, &d.service_ids, d.enabled, now, &d.id, &d.org_id],
                audit,
            )
            .await?
            == 1)
    }

    /// Soft delete: its delivery log stays readable for the record; nothing more is sent.
    pub async fn delete_destination(&self, org_id: &str, id: &str, now: i64, audit: &super::Audit) -> ApiResult<bool> {
        // The soft delete goes last: the audit row is written when it changed the destination.
        let res = self
            .batch_audited(vec![
                self.stmt(
                    "UPDATE outbound_deliveries SET state = 'failed' WHERE target_id = ?1 AND org_id = ?2 AND state = 'pending' AND channel = 'webhook'
                       AND EXISTS (SELECT 1 FROM webhook_destinations WHERE id = ?1 AND org_id = ?2 AND deleted_at IS NULL)",
                    args![id, org_id],
                )?,
                self.stmt("UPDATE webhook_destinations SET deleted_at = ? WHERE id = ? AND org_id = ? AND deleted_at IS NULL", args![now, id, org_id])?,
            ], audit)
            .await?;
        Ok(changes(&res[1]) == 1)
    }

    pub async fn destinations(&self, org_id: &str) -> ApiResult<Vec<DestinationRow>> {
        self.all(
            "SELECT id, org_id, name, kind, url, secret, events, service_ids, enabled, created_at FROM webhook_destinations
             WHERE org_id = ? AND deleted_at IS NULL ORDER BY created_at",
            args![org_id],
        )
        .await
    }

    pub async fn destination(&self, org_id: &str, id: &str) -> ApiResult<Option<DestinationRow>> {
        self.first(
            "SELECT id, org_id, name, kind, url, secret, events, service_ids, enabled, created_at FROM webhook_destinations
             WHERE org_id = ? AND id = ? AND deleted_at IS NULL",
            args![org_id, id],
        )
        .await
    }

}
