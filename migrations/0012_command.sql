-- Running an incident (issue 12, "command"): incident roles and their holders, links, affected
-- services, merging, highlighted timeline rows.

-- Roles an organisation defines besides the built-in ones (commander, communications, scribe:
-- those live in the code, domain::command::roles). name_key: the name compared for uniqueness.
CREATE TABLE incident_roles (
  id           TEXT PRIMARY KEY,
  org_id       TEXT NOT NULL REFERENCES organizations(id),
  name         TEXT NOT NULL,
  name_key     TEXT NOT NULL,
  description  TEXT NOT NULL DEFAULT '',
  created_at   INTEGER NOT NULL
);
CREATE UNIQUE INDEX incident_roles_org_name ON incident_roles(org_id, name_key);

-- Who holds which role on an incident: one holder per role per incident.
CREATE TABLE incident_role_holders (
  incident_id  TEXT NOT NULL REFERENCES incidents(id),
  role_id      TEXT NOT NULL,
  org_id       TEXT NOT NULL,
  user_id      TEXT NOT NULL REFERENCES users(id),
  since        INTEGER NOT NULL,
  PRIMARY KEY (incident_id, role_id)
);

-- Chat channel, video call, ticket, … shown as buttons on the incident.
CREATE TABLE incident_links (
  id           TEXT PRIMARY KEY,
  org_id       TEXT NOT NULL,
  incident_id  TEXT NOT NULL REFERENCES incidents(id),
  kind         TEXT NOT NULL CHECK (kind IN ('chat', 'video', 'ticket', 'other')),
  url          TEXT NOT NULL,
  label        TEXT NOT NULL,
  added_by     TEXT NOT NULL,  -- JSON actor
  added_at     INTEGER NOT NULL
);
CREATE INDEX incident_links_incident ON incident_links(incident_id, added_at);

-- Affected services besides the incident's own (incidents.service_id, which always counts).
CREATE TABLE incident_services (
  incident_id  TEXT NOT NULL REFERENCES incidents(id),
  service_id   TEXT NOT NULL REFERENCES services(id),
  org_id       TEXT NOT NULL,
  PRIMARY KEY (incident_id, service_id)
);

-- A merged incident is resolved and points at the one it was merged into.
ALTER TABLE incidents ADD COLUMN merged_into TEXT REFERENCES incidents(id);

-- Timeline rows marked as highlights (by sequence number).
CREATE TABLE timeline_highlights (
  incident_id  TEXT NOT NULL REFERENCES incidents(id),
  seq          INTEGER NOT NULL,
  org_id       TEXT NOT NULL,
  by_actor     TEXT NOT NULL,  -- JSON actor
  at           INTEGER NOT NULL,
  PRIMARY KEY (incident_id, seq)
);
