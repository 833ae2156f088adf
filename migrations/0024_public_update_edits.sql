-- When a published update's text was last corrected (PATCH /api/status/updates/{id}); NULL until
-- then. The Statuspage JSON's incident_updates[].updated_at shows it, so clients that compare
-- update times see a correction.
ALTER TABLE public_updates ADD COLUMN edited_at INTEGER;
