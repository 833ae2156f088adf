-- The answers kept for senders that number their deliveries (Sentry's Request-ID: a retry gets
-- the first answer) are forgotten after a while by the cron (Db::clear_old_retry_answers), oldest
-- first: read from this index instead of scanning the table.
CREATE INDEX deliveries_created ON deliveries(created_at);
