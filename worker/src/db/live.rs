//! Who watches which incident's live record: one row per incident with an open WebSocket on its
//! `IncidentLive` object, written by the object itself and read by the delivery pump.

use super::{args, Db};
use crate::error::ApiResult;

#[derive(serde::Deserialize)]
struct Watched {
    incident_id: String,
}

impl Db {
    /// Marks the incident watched (its object just accepted a socket).
    pub async fn live_watch(&self, incident_id: &str, now: i64) -> ApiResult<()> {
        self.run("INSERT INTO live_watchers (incident_id, since) VALUES (?, ?) ON CONFLICT (incident_id) DO NOTHING", args![incident_id, now]).await.map(|_| ())
    }

    /// The incident's object has no socket left.
    pub async fn live_unwatch(&self, incident_id: &str) -> ApiResult<()> {
        self.run("DELETE FROM live_watchers WHERE incident_id = ?", args![incident_id]).await.map(|_| ())
    }

    /// Which of these incidents are watched (one statement whatever their number).
    pub async fn live_watched(&self, incident_ids: &[String]) -> ApiResult<Vec<String>> {
        if incident_ids.is_empty() {
            return Ok(Vec::new());
        }
        let ids = serde_json::to_string(incident_ids).unwrap_or_default();
        let rows: Vec<Watched> = self.all("SELECT incident_id FROM live_watchers WHERE incident_id IN (SELECT value FROM json_each(?))", args![ids.as_str()]).await?;
        Ok(rows.into_iter().map(|r| r.incident_id).collect())
    }
}
