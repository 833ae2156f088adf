-- Who made each calendar feed, so that only they (or an admin) can revoke it. Feeds made before
-- this migration have no recorded maker: admins revoke those, and people their own personal feeds.
ALTER TABLE calendar_feeds ADD COLUMN created_by TEXT;

-- Which senders a service accepts (JSON array of vendor names, e.g. ["grafana","pagerduty"]);
-- NULL: every sender when no webhook secret is set, only those that prove the secret when one is.
ALTER TABLE services ADD COLUMN allowed_senders TEXT;

-- Credentials end: API tokens may expire; sessions also end after an idle period.
ALTER TABLE api_tokens ADD COLUMN expires_at INTEGER;
ALTER TABLE sessions ADD COLUMN last_seen_at INTEGER;
-- Live sessions count as seen at the upgrade (not at login: that would end most of them at once).
UPDATE sessions SET last_seen_at = CAST(strftime('%s', 'now') AS INTEGER) * 1000 WHERE revoked_at IS NULL;
CREATE INDEX api_tokens_user ON api_tokens(user_id);
