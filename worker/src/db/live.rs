//! Who watches which incident's live record: one row per incident with an open WebSocket on its
//! `IncidentLive` object, written by the object itself and read by the delivery pump.

use std::collections::HashSet;

use super::{args, Db};
use crate::auth::Credential;
use crate::error::ApiResult;

#[derive(serde::Deserialize)]
struct Watched {
    incident_id: String,
}

#[derive(serde::Deserialize)]
struct Held {
    kind: String,
    hash: String,
    expires_at: Option<i64>,
    last_seen: Option<i64>,
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

    /// Which of these sessions and tokens still let their person in, by the same rules as a
    /// request's (`tocsin_domain::auth::session_alive` with `idle_ms`, `token_alive`): not
    /// revoked, not expired, a session not idle too long, the person not deactivated. One
    /// statement whatever their number. A live socket is sent nothing more once its credential is
    /// not among them.
    pub async fn credentials_alive(&self, creds: &[&Credential], now: i64, idle_ms: i64) -> ApiResult<HashSet<Credential>> {
        let of = |session: bool| {
            let hashes: Vec<&str> = creds
                .iter()
                .filter_map(|c| match (c, session) {
                    (Credential::Session(h), true) | (Credential::Token(h), false) => Some(h.as_str()),
                    _ => None,
                })
                .collect();
            serde_json::to_string(&hashes).unwrap_or_default()
        };
        let (sessions, tokens) = (of(true), of(false));
        let rows: Vec<Held> = self
            .all(
                "SELECT 'session' AS kind, s.token_hash AS hash, s.expires_at, COALESCE(s.last_seen_at, s.created_at) AS last_seen
                   FROM sessions s JOIN users u ON u.id = s.user_id
                  WHERE s.token_hash IN (SELECT value FROM json_each(?1)) AND s.revoked_at IS NULL AND u.deactivated_at IS NULL
                 UNION ALL
                 SELECT 'token', t.token_hash, t.expires_at, NULL FROM api_tokens t JOIN users u ON u.id = t.user_id
                  WHERE t.token_hash IN (SELECT value FROM json_each(?2)) AND t.revoked_at IS NULL AND u.deactivated_at IS NULL",
                args![sessions.as_str(), tokens.as_str()],
            )
            .await?;
        use tocsin_domain::auth::{session_alive, token_alive};
        Ok(rows
            .into_iter()
            .filter_map(|r| match r.kind.as_str() {
                "session" if session_alive(r.expires_at.unwrap_or(0), r.last_seen.unwrap_or(0), idle_ms, false, now) => Some(Credential::Session(r.hash)),
                "token" if token_alive(r.expires_at, now) => Some(Credential::Token(r.hash)),
                _ => None,
            })
            .collect())
    }
}
