-- Readiness (issue 14): what the next incident will trip over.

-- When a service's runbook checklist template was last reviewed, and by whom (users.id). Set when
-- the template is saved (PUT /api/services/{id}/checklist) and by "mark reviewed"
-- (POST /api/services/{id}/checklist/review). NULL: never reviewed since this migration (a
-- template saved before it has no known review date, so readiness asks for one).
ALTER TABLE services ADD COLUMN checklist_reviewed_at INTEGER;
ALTER TABLE services ADD COLUMN checklist_reviewed_by TEXT;

-- "Last event received per integration" is read with one correlated max() per service, each an
-- index seek: alert_events already has (service_id, received_at DESC); change events are indexed
-- by their own timestamp (at), so they get the same index on received_at. No new column and no
-- extra D1 round trip on the ingest path (an index is maintained inside the same INSERT).
CREATE INDEX change_events_service_received ON change_events(service_id, received_at DESC);
