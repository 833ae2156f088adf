-- Tocsin schema, part 3: the public status page.

-- One page per organisation (name, time zone for days and times, public URL).
CREATE TABLE status_pages (
  org_id      TEXT PRIMARY KEY REFERENCES organizations(id),
  name        TEXT NOT NULL,
  time_zone   TEXT NOT NULL DEFAULT 'UTC',
  url         TEXT,
  updated_at  INTEGER NOT NULL
);

CREATE TABLE component_groups (
  id          TEXT PRIMARY KEY,
  org_id      TEXT NOT NULL,
  name        TEXT NOT NULL,
  position    INTEGER NOT NULL DEFAULT 0,
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
);

CREATE TABLE components (
  id           TEXT PRIMARY KEY,
  org_id       TEXT NOT NULL,
  group_id     TEXT REFERENCES component_groups(id),
  name         TEXT NOT NULL,
  description  TEXT NOT NULL DEFAULT '',
  status       TEXT NOT NULL DEFAULT 'operational'
               CHECK (status IN ('operational', 'degraded_performance', 'partial_outage', 'major_outage', 'under_maintenance')),
  position     INTEGER NOT NULL DEFAULT 0,
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL
);
CREATE INDEX components_org ON components(org_id, position);

-- Internal services whose open incidents suggest a component's status.
CREATE TABLE component_services (
  component_id  TEXT NOT NULL REFERENCES components(id),
  service_id    TEXT NOT NULL REFERENCES services(id),
  PRIMARY KEY (component_id, service_id)
);

-- Every status a component entered, for uptime.
CREATE TABLE component_status_changes (
  component_id  TEXT NOT NULL,
  status        TEXT NOT NULL,
  at            INTEGER NOT NULL
);
CREATE INDEX component_status_changes_at ON component_status_changes(component_id, at);

-- Incidents published on purpose, with their own public wording.
CREATE TABLE public_incidents (
  id             TEXT PRIMARY KEY,
  org_id         TEXT NOT NULL,
  incident_id    TEXT REFERENCES incidents(id),   -- the internal incident it was published from
  name           TEXT NOT NULL,
  status         TEXT NOT NULL CHECK (status IN ('investigating', 'identified', 'monitoring', 'resolved', 'postmortem')),
  impact         TEXT NOT NULL CHECK (impact IN ('none', 'minor', 'major', 'critical')),
  component_ids  TEXT NOT NULL DEFAULT '[]',
  created_at     INTEGER NOT NULL,
  updated_at     INTEGER NOT NULL,
  monitoring_at  INTEGER,
  resolved_at    INTEGER
);
CREATE INDEX public_incidents_org ON public_incidents(org_id, created_at DESC);

CREATE TABLE maintenances (
  id               TEXT PRIMARY KEY,
  org_id           TEXT NOT NULL,
  name             TEXT NOT NULL,
  status           TEXT NOT NULL CHECK (status IN ('scheduled', 'in_progress', 'verifying', 'completed')),
  impact           TEXT NOT NULL DEFAULT 'none',
  component_ids    TEXT NOT NULL DEFAULT '[]',
  scheduled_for    INTEGER NOT NULL,
  scheduled_until  INTEGER NOT NULL,
  created_at       INTEGER NOT NULL,
  updated_at       INTEGER NOT NULL
);
CREATE INDEX maintenances_org ON maintenances(org_id, scheduled_for);
CREATE INDEX maintenances_open ON maintenances(status, scheduled_until);

-- Updates of public incidents and of maintenance.
CREATE TABLE public_updates (
  id           TEXT PRIMARY KEY,
  org_id       TEXT NOT NULL,
  parent_id    TEXT NOT NULL,
  status       TEXT NOT NULL,
  body         TEXT NOT NULL,
  affected     TEXT NOT NULL DEFAULT '[]',
  created_at   INTEGER NOT NULL
);
CREATE INDEX public_updates_parent ON public_updates(parent_id, created_at DESC);
