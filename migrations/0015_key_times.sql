-- Tocsin schema, part 15: an incident's key times, its precomputed durations and the noise flag
-- (issue 14, metrics). All times are epoch milliseconds, NULL = not yet / unknown. The worker
-- writes them in the D1 statement that makes each transition (guarded with COALESCE/MIN so a
-- retry or a race keeps the first value); `tocsin_domain::key_times` documents each one.

-- When the problem began: the earliest source timestamp of the incident's alerts (the vendor's
-- `started_at`, else the alert's `first_seen_at`), never later than `detected_at`; a declared
-- incident without alerts: its `created_at`. Moves earlier when an earlier alert joins.
ALTER TABLE incidents ADD COLUMN impact_started_at INTEGER;
-- When Tocsin first heard of it: the first alert received (min `alerts.first_seen_at`), or
-- `created_at` when declared by hand.
ALTER TABLE incidents ADD COLUMN detected_at INTEGER;
-- The first acknowledgement ever (from any path); unlike `acknowledged_at` never cleared by a
-- reassignment or an escalation.
ALTER TABLE incidents ADD COLUMN first_acknowledged_at INTEGER;
-- The first status update with status `monitoring`, else the resolution.
ALTER TABLE incidents ADD COLUMN mitigated_at INTEGER;
-- Marked as noise (PATCH /api/incidents/{id} {"noise":true}): left out of the metrics, counted apart.
ALTER TABLE incidents ADD COLUMN noise INTEGER NOT NULL DEFAULT 0;

-- Precomputed durations (ms), rewritten with the key times they derive from, so a year of
-- metrics reads a covering index instead of computing from the alerts:
--   mttd_ms = detected_at - impact_started_at
--   mtta_ms = first_acknowledged_at - created_at
--   mttr_ms = resolved_at - COALESCE(impact_started_at, created_at)
ALTER TABLE incidents ADD COLUMN mttd_ms INTEGER;
ALTER TABLE incidents ADD COLUMN mtta_ms INTEGER;
ALTER TABLE incidents ADD COLUMN mttr_ms INTEGER;

-- Backfill. Detection and impact from the alerts the incident holds (a merged source keeps none:
-- its own creation time), acknowledgement from the record, mitigation from the status updates.
UPDATE incidents SET
  detected_at = COALESCE((SELECT MIN(a.first_seen_at) FROM alerts a WHERE a.incident_id = incidents.id), created_at);
UPDATE incidents SET
  impact_started_at = MIN(detected_at, COALESCE(
    (SELECT MIN(MAX(MIN(COALESCE(a.started_at, a.first_seen_at), a.first_seen_at), a.first_seen_at - 86400000)) FROM alerts a WHERE a.incident_id = incidents.id),  -- key_times::impact_start: at most 24 h before it was seen
    detected_at));
UPDATE incidents SET
  first_acknowledged_at = COALESCE(
    (SELECT MIN(t.at) FROM timeline t WHERE t.incident_id = incidents.id AND t.kind = 'incident.acknowledged'),
    acknowledged_at);
UPDATE incidents SET
  mitigated_at = COALESCE(
    (SELECT MIN(u.posted_at) FROM status_updates u WHERE u.incident_id = incidents.id AND u.status = 'monitoring'),
    resolved_at);
UPDATE incidents SET
  mttd_ms = detected_at - impact_started_at,
  mtta_ms = first_acknowledged_at - created_at,
  mttr_ms = resolved_at - COALESCE(impact_started_at, created_at);

-- The metrics read, per service of the organisation (and once for incidents without one), the
-- incidents opened in a range: a seek on this index that also holds every column they read, so
-- a year of 100 000 incidents needs no table lookups, no sort and no scan of incidents or alerts.
CREATE INDEX incidents_metrics ON incidents(
  org_id, service_id, created_at, severity, noise, merged_into, impact_started_at, mttd_ms, mtta_ms, mttr_ms);

-- On-call load: a person's pages over a range (the outbox holds one row per page decision).
CREATE INDEX notification_outbox_org_created ON notification_outbox(org_id, created_at, user_id);
