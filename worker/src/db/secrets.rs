//! Sealed columns as a whole: finding values sealed under an older key or format (for the
//! re-seal after a key rotation), replacing them, counting what is left, and clearing action
//! tokens that payloads queued by earlier versions hold in the clear.

use serde::Deserialize;

use super::{args, rows, Db};
use crate::error::ApiResult;

/// Every column that holds a sealed value, with the column naming its row (the place a value
/// is sealed for is derived from it: see `crate::reseal`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SealedColumn {
    VapidPrivate,
    ActionKey,
    DestinationUrl,
    DestinationSecret,
    PreferenceUrl,
    PreferenceSecret,
    ServiceSecret,
    TicketingToken,
    TicketingSecret,
}

impl SealedColumn {
    pub const ALL: [SealedColumn; 9] = [
        SealedColumn::VapidPrivate,
        SealedColumn::ActionKey,
        SealedColumn::DestinationUrl,
        SealedColumn::DestinationSecret,
        SealedColumn::PreferenceUrl,
        SealedColumn::PreferenceSecret,
        SealedColumn::ServiceSecret,
        SealedColumn::TicketingToken,
        SealedColumn::TicketingSecret,
    ];

    /// (table, column, the row's key column). Fixed names only: never from input.
    fn sql(self) -> (&'static str, &'static str, &'static str) {
        match self {
            SealedColumn::VapidPrivate => ("org_keys", "vapid_private", "org_id"),
            SealedColumn::ActionKey => ("org_keys", "action_key", "org_id"),
            SealedColumn::DestinationUrl => ("webhook_destinations", "url", "id"),
            SealedColumn::DestinationSecret => ("webhook_destinations", "secret", "id"),
            SealedColumn::PreferenceUrl => ("contact_preferences", "webhook_url", "user_id"),
            SealedColumn::PreferenceSecret => ("contact_preferences", "webhook_secret", "user_id"),
            SealedColumn::ServiceSecret => ("services", "webhook_secret", "id"),
            SealedColumn::TicketingToken => ("ticketing_configs", "api_token", "id"),
            SealedColumn::TicketingSecret => ("ticketing_configs", "webhook_secret", "id"),
        }
    }
}

/// One stored sealed value: its row's key and the value as stored.
#[derive(Debug, Clone, Deserialize)]
pub struct SealedCell {
    pub row_key: String,
    pub value: String,
}

/// How many sealed values are under the previous key or the legacy format (to re-seal), and
/// how many name a key the deployment does not hold.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
pub struct SealedCounts {
    pub stale: i64,
    pub unknown: i64,
}

/// The condition "sealed under the legacy format or the previous key" on `col`; binds `?1`
/// (`s2.<previous key id>.`, or a value no column holds when there is no previous key).
fn stale(col: &str) -> String {
    format!("({col} IS NOT NULL AND (substr({col}, 1, 3) = 's1.' OR substr({col}, 1, length(?1)) = ?1))")
}

/// "Sealed in the versioned format under neither key" on `col`; binds `?1` and `?2` (the
/// current key's prefix).
fn unknown(col: &str) -> String {
    format!("({col} IS NOT NULL AND substr({col}, 1, 3) = 's2.' AND substr({col}, 1, length(?1)) != ?1 AND substr({col}, 1, length(?2)) != ?2)")
}

impl Db {
    /// Up to `limit` values (in all) sealed under the legacy format or the previous key
    /// (`previous_prefix`: `s2.<id>.`), with their columns: one statement per column, in one batch.
    pub async fn stale_sealed(&self, previous_prefix: Option<&str>, limit: i64) -> ApiResult<Vec<(SealedColumn, SealedCell)>> {
        let prev = previous_prefix.unwrap_or("\u{0}none");
        let stmts = SealedColumn::ALL
            .iter()
            .map(|c| {
                let (table, col, key) = c.sql();
                self.stmt(&format!("SELECT {key} AS row_key, {col} AS value FROM {table} WHERE {} ORDER BY {key} LIMIT ?2", stale(col)), args![prev, limit])
            })
            .collect::<ApiResult<Vec<_>>>()?;
        let mut out = Vec::new();
        for (column, res) in SealedColumn::ALL.iter().zip(self.batch(stmts).await?) {
            out.extend(rows::<SealedCell>(&res)?.into_iter().map(|cell| (*column, cell)));
        }
        out.truncate(usize::try_from(limit).unwrap_or(0));
        Ok(out)
    }

    /// Replaces a sealed value with its re-sealed form, only if it is still the value read (a
    /// concurrent change wins). Returns whether it was replaced.
    pub async fn replace_sealed(&self, column: SealedColumn, row: &str, old: &str, new: &str) -> ApiResult<bool> {
        let (table, col, key) = column.sql();
        if column == SealedColumn::ServiceSecret {
            super::services::forget_keys();
        }
        Ok(self.run(&format!("UPDATE {table} SET {col} = ?1 WHERE {key} = ?2 AND {col} = ?3"), args![new, row, old]).await? == 1)
    }

    /// Counts, over every sealed column, the values still to re-seal and those under a key the
    /// deployment does not hold.
    pub async fn count_sealed(&self, current_prefix: &str, previous_prefix: Option<&str>) -> ApiResult<SealedCounts> {
        let prev = previous_prefix.unwrap_or("\u{0}none");
        // One statement per column, in one batch (D1 allows few terms in a compound SELECT).
        let stmts = SealedColumn::ALL
            .iter()
            .map(|c| {
                let (table, col, _) = c.sql();
                let sql = format!("SELECT COALESCE(SUM({}), 0) AS stale, COALESCE(SUM({}), 0) AS unknown FROM {table}", stale(col), unknown(col));
                self.stmt(&sql, args![prev, current_prefix])
            })
            .collect::<ApiResult<Vec<_>>>()?;
        let mut total = SealedCounts::default();
        for res in self.batch(stmts).await? {
            for c in rows::<SealedCounts>(&res)? {
                total.stale += c.stale;
                total.unknown += c.unknown;
            }
        }
        Ok(total)
    }

    /// Removes the action token from push payloads queued in the clear by earlier versions (the
    /// sender mints a fresh one at send time). Only rows since `since` can hold a token that
    /// still works; older ones were cleared by migration 0008. Returns how many were cleared.
    pub async fn clear_queued_tokens(&self, since: i64) -> ApiResult<usize> {
        self.run(
            "UPDATE outbound_deliveries SET payload = json_remove(payload, '$.token')
             WHERE channel = 'push' AND created_at >= ? AND json_valid(payload) AND json_extract(payload, '$.token') IS NOT NULL",
            args![since],
        )
        .await
    }
}
