-- Tocsin schema, part 4: on-call schedules, escalation policies, running escalations and the
-- notification outbox.

CREATE TABLE schedules (
  id          TEXT PRIMARY KEY,
  org_id      TEXT NOT NULL REFERENCES organizations(id),
  name        TEXT NOT NULL,
  time_zone   TEXT NOT NULL,
  layers      TEXT NOT NULL DEFAULT '[]',   -- JSON of [domain::schedule::Layer]
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
);

CREATE TABLE schedule_overrides (
  id           TEXT PRIMARY KEY,
  org_id       TEXT NOT NULL,
  schedule_id  TEXT NOT NULL REFERENCES schedules(id),
  user_id      TEXT NOT NULL REFERENCES users(id),
  starts_at    INTEGER NOT NULL,
  ends_at      INTEGER NOT NULL,
  created_by   TEXT NOT NULL,
  created_at   INTEGER NOT NULL
);
CREATE INDEX schedule_overrides_schedule ON schedule_overrides(schedule_id, ends_at);

CREATE TABLE escalation_policies (
  id          TEXT PRIMARY KEY,
  org_id      TEXT NOT NULL REFERENCES organizations(id),
  name        TEXT NOT NULL,
  policy      TEXT NOT NULL,   -- JSON of domain::escalation::Policy
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
);

ALTER TABLE services ADD COLUMN escalation_policy_id TEXT REFERENCES escalation_policies(id);
-- When set, an acknowledged incident that is not resolved within this many minutes goes back to
-- triggered and escalation starts again.
ALTER TABLE services ADD COLUMN unack_timeout_minutes INTEGER;

-- One running escalation per incident: the policy as it was when the incident opened, and the
-- step due next (NULL when there is none).
CREATE TABLE incident_escalations (
  incident_id  TEXT PRIMARY KEY REFERENCES incidents(id),
  org_id       TEXT NOT NULL,
  policy       TEXT NOT NULL,
  -- Restarts (acknowledgement timed out, reassigned to a policy) begin a new round.
  round        INTEGER NOT NULL DEFAULT 0,
  cycle        INTEGER NOT NULL DEFAULT 0,
  level        INTEGER NOT NULL DEFAULT 0,
  next_at      INTEGER,
  updated_at   INTEGER NOT NULL
);
CREATE INDEX incident_escalations_due ON incident_escalations(next_at) WHERE next_at IS NOT NULL;

-- Every decision to notify someone, written before any delivery is tried, so nothing decided is
-- lost. One row per incident, round, pass, level and person: replays cannot page twice.
CREATE TABLE notification_outbox (
  id           TEXT PRIMARY KEY,
  org_id       TEXT NOT NULL,
  incident_id  TEXT NOT NULL REFERENCES incidents(id),
  user_id      TEXT NOT NULL,
  round        INTEGER NOT NULL DEFAULT 0,
  cycle        INTEGER NOT NULL,
  level        INTEGER NOT NULL,
  reason       TEXT NOT NULL,
  state        TEXT NOT NULL DEFAULT 'pending',
  created_at   INTEGER NOT NULL,
  UNIQUE (incident_id, round, cycle, level, user_id)
);
CREATE INDEX notification_outbox_state ON notification_outbox(state, created_at);

-- Calendar subscriptions (ICS) of a schedule or of one person's shifts: long random tokens,
-- stored hashed, revocable.
CREATE TABLE calendar_feeds (
  id          TEXT PRIMARY KEY,
  org_id      TEXT NOT NULL,
  kind        TEXT NOT NULL CHECK (kind IN ('schedule', 'user')),
  subject_id  TEXT NOT NULL,
  token_hash  TEXT NOT NULL UNIQUE,
  created_at  INTEGER NOT NULL,
  revoked_at  INTEGER
);
