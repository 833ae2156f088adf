-- Tocsin schema, part 13: expertise tags on people and services, teams (that own services,
-- schedules and escalation policies), and the responders asked to help on an incident.

-- Expertise tags, a JSON array of normalised tags (domain::expertise).
ALTER TABLE users ADD COLUMN expertise TEXT NOT NULL DEFAULT '[]';
ALTER TABLE services ADD COLUMN expertise TEXT NOT NULL DEFAULT '[]';

CREATE TABLE teams (
  id           TEXT PRIMARY KEY,
  org_id       TEXT NOT NULL REFERENCES organizations(id),
  name         TEXT NOT NULL,
  description  TEXT NOT NULL DEFAULT '',
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL
);
CREATE UNIQUE INDEX teams_org_name ON teams(org_id, name COLLATE NOCASE);

CREATE TABLE team_members (
  team_id  TEXT NOT NULL REFERENCES teams(id),
  user_id  TEXT NOT NULL REFERENCES users(id),
  org_id   TEXT NOT NULL,
  PRIMARY KEY (team_id, user_id)
);
CREATE INDEX team_members_user ON team_members(user_id);

-- What a team owns (NULL: nobody in particular).
ALTER TABLE services ADD COLUMN team_id TEXT REFERENCES teams(id);
ALTER TABLE schedules ADD COLUMN team_id TEXT REFERENCES teams(id);
ALTER TABLE escalation_policies ADD COLUMN team_id TEXT REFERENCES teams(id);

-- One row per person asked to help on an incident; asked again while requested or joined: no
-- new row, no second page (the primary key makes a replay write nothing).
CREATE TABLE incident_responders (
  incident_id   TEXT NOT NULL REFERENCES incidents(id),
  user_id       TEXT NOT NULL REFERENCES users(id),
  org_id        TEXT NOT NULL,
  state         TEXT NOT NULL CHECK (state IN ('requested', 'joined', 'declined', 'no_answer')),
  requested_by  TEXT NOT NULL,   -- JSON actor
  requested_at  INTEGER NOT NULL,
  answered_at   INTEGER,
  message       TEXT,
  PRIMARY KEY (incident_id, user_id)
);
CREATE INDEX incident_responders_waiting ON incident_responders(requested_at) WHERE state = 'requested';
