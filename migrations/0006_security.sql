-- Who made each calendar feed, so that only they (or an admin) can revoke it. Feeds made before
-- this migration have no recorded maker: admins revoke those, and people their own personal feeds.
ALTER TABLE calendar_feeds ADD COLUMN created_by TEXT;
