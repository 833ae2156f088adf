-- Tocsin schema, part 17: action items agreed after an incident, tracked to done, optionally
-- sent to a ticket system (Jira, GitHub Issues) whose webhook closes them (issue 14).

CREATE TABLE action_items (
  id            TEXT PRIMARY KEY,
  org_id        TEXT NOT NULL REFERENCES organizations(id),
  incident_id   TEXT REFERENCES incidents(id),     -- the incident it came from (NULL: created on its own)
  postmortem_id TEXT,                              -- set when created in a postmortem
  service_id    TEXT REFERENCES services(id),
  title         TEXT NOT NULL,
  owner_id      TEXT REFERENCES users(id),
  due_at        INTEGER,                           -- epoch ms: end of the due day in the org's time zone
  priority      TEXT NOT NULL CHECK (priority IN ('high','medium','low')),
  kind          TEXT NOT NULL CHECK (kind IN ('fix','monitoring','runbook','process')),
  status        TEXT NOT NULL CHECK (status IN ('open','done')),
  created_at    INTEGER NOT NULL, updated_at INTEGER NOT NULL,
  done_at       INTEGER, done_by TEXT,
  ticket_system TEXT, ticket_key TEXT, ticket_url TEXT,
  reminded_at   INTEGER,
  -- Lane A's additions (issue 14):
  due_date      TEXT,                              -- the due day as entered (YYYY-MM-DD), shown back
  created_by    TEXT,                              -- users.id of whoever created it
  version       INTEGER NOT NULL DEFAULT 1,        -- bumped by every change (guards races)
  ticket_claimed_at INTEGER,                       -- a send to a ticket system is in flight since
  reminder_id   TEXT                               -- the cron run that sent the last overdue reminder
);
CREATE INDEX action_items_org_status_due ON action_items(org_id, status, due_at);
CREATE INDEX action_items_incident ON action_items(incident_id);
CREATE INDEX action_items_owner ON action_items(owner_id, status);
-- The cron's overdue sweep (all organisations): open items by due instant.
CREATE INDEX action_items_open_due ON action_items(due_at) WHERE status = 'open' AND due_at IS NOT NULL;
-- Inbound ticket webhooks find their item by (system, key).
CREATE INDEX action_items_ticket ON action_items(ticket_system, ticket_key) WHERE ticket_key IS NOT NULL;

-- An organisation's ticket systems: at most one Jira and one GitHub configuration. The id is the
-- opaque path segment of the inbound webhook URL (/hooks/jira/{id}, /hooks/github/{id}).
-- Credentials and the inbound secret are sealed (domain::sealed, place 'ticketing:<id>:<column>')
-- and never returned after they are set.
CREATE TABLE ticketing_configs (
  id              TEXT PRIMARY KEY,
  org_id          TEXT NOT NULL REFERENCES organizations(id),
  system          TEXT NOT NULL CHECK (system IN ('jira','github')),
  -- Jira Cloud: https://<site>.atlassian.net, the account's e-mail, project key, issue type name.
  -- GitHub: base_url is the REST API root (https://api.github.com, or GitHub Enterprise's).
  base_url        TEXT,
  email           TEXT,
  project_key     TEXT,
  issue_type      TEXT,
  -- GitHub: the repository issues are opened in.
  owner           TEXT,
  repo            TEXT,
  -- Sealed: the Jira API token or GitHub token, and the inbound webhook secret.
  api_token       TEXT NOT NULL,
  webhook_secret  TEXT NOT NULL,
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL,
  UNIQUE (org_id, system)
);
