-- Who made each calendar feed, so that only they (or an admin) can revoke it. Feeds made before
-- this migration have no recorded maker: admins revoke those, and people their own personal feeds.
ALTER TABLE calendar_feeds ADD COLUMN created_by TEXT;

-- Which senders a service accepts (JSON array of vendor names, e.g. ["grafana","pagerduty"]);
-- NULL: every sender when no webhook secret is set, only those that prove the secret when one is.
ALTER TABLE services ADD COLUMN allowed_senders TEXT;
