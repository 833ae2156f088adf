-- For sources whose events carry the time the source observed the change (CloudWatch's
-- StateChangeTime), the latest time each key's source said its problem ended: written by every
-- such resolve, whether or not an alert was firing (SNS may deliver the OK before its ALARM).
-- A later trigger for the key observed before this time is a late copy and is ignored
-- (tocsin_domain::alert::late_copy). One row per key; swept after RETRY_ANSWER_RETENTION_DAYS.
CREATE TABLE source_resolves (
  service_id TEXT NOT NULL,
  dedup_key  TEXT NOT NULL,
  ended_at   INTEGER NOT NULL,
  PRIMARY KEY (service_id, dedup_key)
) WITHOUT ROWID;
CREATE INDEX source_resolves_ended ON source_resolves(ended_at);
-- The latest change into firing the source observed for an alert (its first trigger's, raised by
-- each repeat's): a resolve observed before it is a late copy and resolves nothing.
ALTER TABLE alerts ADD COLUMN source_changed_at INTEGER;
-- When the source observed the end of an alert's firing (the resolve's own time): a late copy's
-- log row names the alert whose firing, from started_at to this, it falls in.
ALTER TABLE alerts ADD COLUMN source_ended_at INTEGER;
