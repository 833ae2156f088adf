-- Runbook checklists and structured status updates (issue 12).

-- A service's runbook checklist template: ordered steps (positions 1..n), Markdown text.
-- Replaced as a whole by PUT /api/services/{id}/checklist.
CREATE TABLE service_checklist_steps (
  org_id      TEXT NOT NULL,
  service_id  TEXT NOT NULL REFERENCES services(id),
  position    INTEGER NOT NULL CHECK (position >= 1),
  text        TEXT NOT NULL,
  PRIMARY KEY (service_id, position)
);

-- An incident's own checklist: a copy of its service's template made in the batch that opened
-- the incident (ids '<incident id>.<position>', see domain::checklist), plus ad hoc steps.
CREATE TABLE incident_checklist_steps (
  id           TEXT PRIMARY KEY,
  org_id       TEXT NOT NULL,
  incident_id  TEXT NOT NULL REFERENCES incidents(id),
  position     INTEGER NOT NULL CHECK (position >= 1),
  text         TEXT NOT NULL,
  ad_hoc       INTEGER NOT NULL DEFAULT 0,
  added_by     TEXT REFERENCES users(id),
  added_at     INTEGER NOT NULL,
  done_at      INTEGER,
  done_by      TEXT REFERENCES users(id),
  UNIQUE (incident_id, position)
);

-- Structured status updates on an incident. The id is also the id of its timeline row
-- (status_update.posted), so the webhook event can carry the update.
CREATE TABLE status_updates (
  id                  TEXT PRIMARY KEY,
  org_id              TEXT NOT NULL,
  incident_id         TEXT NOT NULL REFERENCES incidents(id),
  status              TEXT NOT NULL CHECK (status IN ('investigating', 'identified', 'monitoring', 'resolved')),
  message             TEXT NOT NULL,
  posted_by           TEXT NOT NULL REFERENCES users(id),
  posted_at           INTEGER NOT NULL,
  next_update_at      INTEGER,
  public_incident_id  TEXT,  -- public_incidents.id (written in the same batch, after this row)
  -- The overdue reminder: sent once (reminded_at), by the cron run that set reminder_id.
  reminded_at         INTEGER,
  reminder_id         TEXT
);
CREATE INDEX status_updates_incident ON status_updates(incident_id, posted_at DESC);
CREATE INDEX status_updates_due ON status_updates(next_update_at) WHERE next_update_at IS NOT NULL AND reminded_at IS NULL;
