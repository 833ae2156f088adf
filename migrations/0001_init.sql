-- Tocsin schema, part 1: organisations, people and access, services, incidents, alerts, timeline.
-- Conventions: ids are UUIDv7 text; times are integer milliseconds since the Unix epoch (UTC);
-- every organisation-owned row carries org_id and every query filters on it.

CREATE TABLE organizations (
  id          TEXT PRIMARY KEY,
  name        TEXT NOT NULL,
  created_at  INTEGER NOT NULL
);

CREATE TABLE users (
  id             TEXT PRIMARY KEY,
  org_id         TEXT NOT NULL REFERENCES organizations(id),
  email          TEXT NOT NULL COLLATE NOCASE,
  name           TEXT NOT NULL,
  role           TEXT NOT NULL CHECK (role IN ('admin', 'responder', 'observer')),
  -- PHC string (argon2id); NULL while an invitation is pending.
  password_hash  TEXT,
  created_at     INTEGER NOT NULL
);
-- E-mail is the login name, so it is unique across the whole instance.
CREATE UNIQUE INDEX users_email ON users(email);
CREATE INDEX users_org ON users(org_id);

-- Server-side sessions; the cookie holds a random secret whose SHA-256 is the key.
CREATE TABLE sessions (
  token_hash  TEXT PRIMARY KEY,
  org_id      TEXT NOT NULL,
  user_id     TEXT NOT NULL REFERENCES users(id),
  created_at  INTEGER NOT NULL,
  expires_at  INTEGER NOT NULL,
  revoked_at  INTEGER
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE api_tokens (
  id            TEXT PRIMARY KEY,
  org_id        TEXT NOT NULL,
  user_id       TEXT NOT NULL REFERENCES users(id),
  name          TEXT NOT NULL,
  role          TEXT NOT NULL CHECK (role IN ('admin', 'responder', 'observer')),
  token_hash    TEXT NOT NULL UNIQUE,
  created_at    INTEGER NOT NULL,
  last_used_at  INTEGER,
  revoked_at    INTEGER
);
CREATE INDEX api_tokens_org ON api_tokens(org_id);

-- One-time links that let an invited user choose a password.
CREATE TABLE invites (
  token_hash  TEXT PRIMARY KEY,
  org_id      TEXT NOT NULL,
  user_id     TEXT NOT NULL REFERENCES users(id),
  created_at  INTEGER NOT NULL,
  expires_at  INTEGER NOT NULL,
  used_at     INTEGER
);

-- Failed logins, keyed 'account:<email>' or 'ip:<address>', for slowing down guessing.
CREATE TABLE login_failures (
  key  TEXT NOT NULL,
  at   INTEGER NOT NULL
);
CREATE INDEX login_failures_key_at ON login_failures(key, at);

CREATE TABLE services (
  id               TEXT PRIMARY KEY,
  org_id           TEXT NOT NULL REFERENCES organizations(id),
  name             TEXT NOT NULL,
  description      TEXT NOT NULL DEFAULT '',
  runbook_url      TEXT,
  integration_key  TEXT NOT NULL UNIQUE,
  created_at       INTEGER NOT NULL,
  updated_at       INTEGER NOT NULL
);
CREATE UNIQUE INDEX services_org_name ON services(org_id, name COLLATE NOCASE);

CREATE TABLE incidents (
  id                TEXT PRIMARY KEY,
  org_id            TEXT NOT NULL REFERENCES organizations(id),
  number            INTEGER NOT NULL,
  title             TEXT NOT NULL,
  status            TEXT NOT NULL CHECK (status IN ('triggered', 'acknowledged', 'resolved')),
  severity          TEXT NOT NULL CHECK (severity IN ('SEV1', 'SEV2', 'SEV3', 'SEV4')),
  service_id        TEXT REFERENCES services(id),
  created_at        INTEGER NOT NULL,
  updated_at        INTEGER NOT NULL,
  acknowledged_at   INTEGER,
  acknowledged_by   TEXT,   -- JSON actor
  resolved_at       INTEGER,
  resolved_by       TEXT    -- JSON actor
);
CREATE UNIQUE INDEX incidents_org_number ON incidents(org_id, number);
CREATE INDEX incidents_org_created ON incidents(org_id, created_at DESC, id DESC);
CREATE INDEX incidents_org_status ON incidents(org_id, status, created_at DESC);
CREATE INDEX incidents_service ON incidents(service_id, status);

CREATE TABLE alerts (
  id             TEXT PRIMARY KEY,
  org_id         TEXT NOT NULL,
  service_id     TEXT NOT NULL REFERENCES services(id),
  incident_id    TEXT NOT NULL REFERENCES incidents(id),
  dedup_key      TEXT NOT NULL,
  status         TEXT NOT NULL CHECK (status IN ('firing', 'resolved')),
  summary        TEXT NOT NULL,
  severity       TEXT NOT NULL CHECK (severity IN ('critical', 'error', 'warning', 'info')),
  source         TEXT,
  details        TEXT NOT NULL DEFAULT '{}',
  event_count    INTEGER NOT NULL DEFAULT 1,
  first_seen_at  INTEGER NOT NULL,
  last_seen_at   INTEGER NOT NULL,
  resolved_at    INTEGER
);
-- The dedup rule, enforced by the database: at most one firing alert per service and key.
CREATE UNIQUE INDEX alerts_open_dedup ON alerts(service_id, dedup_key) WHERE status = 'firing';
CREATE INDEX alerts_incident ON alerts(incident_id, status);

CREATE TABLE timeline (
  id           TEXT PRIMARY KEY,
  org_id       TEXT NOT NULL,
  incident_id  TEXT NOT NULL REFERENCES incidents(id),
  at           INTEGER NOT NULL,
  kind         TEXT NOT NULL,
  actor        TEXT NOT NULL,  -- JSON actor
  message      TEXT NOT NULL
);
CREATE INDEX timeline_incident ON timeline(incident_id, at);
