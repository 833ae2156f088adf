-- Blameless postmortems (issue 14, lane P).

-- An organisation's own postmortem templates (the built-in blameless template lives in the domain,
-- `tocsin_domain::postmortem::template`, and is used when the organisation stores none).
-- `sections` is JSON: [{"key":"summary","title":"Summary","prompt":"…"}, …] in order.
CREATE TABLE postmortem_templates (
  id          TEXT PRIMARY KEY,
  org_id      TEXT NOT NULL REFERENCES organizations(id),
  name        TEXT NOT NULL,
  sections    TEXT NOT NULL,
  is_default  INTEGER NOT NULL DEFAULT 0,
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
);
CREATE UNIQUE INDEX postmortem_templates_org_name ON postmortem_templates(org_id, name COLLATE NOCASE);

-- One postmortem per incident, or one for a group of related incidents (postmortem_incidents).
-- `incident_id` is the primary incident (the one it was created from); `version` grows by one with
-- every change to the document (sections, status, public text) — the edit-conflict rule of
-- whole-document saves.
CREATE TABLE postmortems (
  id                   TEXT PRIMARY KEY,
  org_id               TEXT NOT NULL REFERENCES organizations(id),
  incident_id          TEXT NOT NULL REFERENCES incidents(id),
  title                TEXT NOT NULL,
  status               TEXT NOT NULL CHECK (status IN ('draft', 'in_review', 'published')),
  version              INTEGER NOT NULL DEFAULT 1,
  template_id          TEXT,                 -- NULL: the built-in blameless template
  created_by           TEXT NOT NULL REFERENCES users(id),
  created_at           INTEGER NOT NULL,
  updated_at           INTEGER NOT NULL,
  updated_by           TEXT,
  status_changed_at    INTEGER,
  status_changed_by    TEXT,
  published_at         INTEGER,              -- first reached 'published'
  -- The customer-facing version (Markdown): only this ever reaches the public status page.
  public_text          TEXT NOT NULL DEFAULT '',
  public_version       INTEGER NOT NULL DEFAULT 1,   -- edit-conflict rule of the public text
  public_incident_id   TEXT,                 -- public_incidents.id it was published to
  public_published_at  INTEGER
);
CREATE UNIQUE INDEX postmortems_incident ON postmortems(incident_id);
CREATE INDEX postmortems_org ON postmortems(org_id, updated_at DESC);

-- Every incident a postmortem covers (the primary one included); an incident is in at most one.
CREATE TABLE postmortem_incidents (
  postmortem_id  TEXT NOT NULL REFERENCES postmortems(id),
  incident_id    TEXT NOT NULL REFERENCES incidents(id),
  org_id         TEXT NOT NULL,
  PRIMARY KEY (postmortem_id, incident_id)
);
CREATE UNIQUE INDEX postmortem_incidents_incident ON postmortem_incidents(incident_id);

-- The document: ordered sections (key unique per postmortem), Markdown bodies. Each section has
-- its own `version` so two people writing different sections never conflict; a save names the
-- version it was based on and a stale one is refused (409 with the newer text).
CREATE TABLE postmortem_sections (
  postmortem_id  TEXT NOT NULL REFERENCES postmortems(id),
  org_id         TEXT NOT NULL,
  key            TEXT NOT NULL,
  position       INTEGER NOT NULL,
  title          TEXT NOT NULL,
  prompt         TEXT NOT NULL DEFAULT '',  -- the template's guidance, shown as a placeholder
  body           TEXT NOT NULL DEFAULT '',
  version        INTEGER NOT NULL DEFAULT 1,
  updated_at     INTEGER NOT NULL,
  updated_by     TEXT,
  PRIMARY KEY (postmortem_id, key)
);

-- Reviewers' comments on a section.
CREATE TABLE postmortem_comments (
  id             TEXT PRIMARY KEY,
  org_id         TEXT NOT NULL,
  postmortem_id  TEXT NOT NULL REFERENCES postmortems(id),
  section_key    TEXT NOT NULL,
  author_id      TEXT NOT NULL REFERENCES users(id),
  at             INTEGER NOT NULL,
  body           TEXT NOT NULL,
  resolved       INTEGER NOT NULL DEFAULT 0,
  resolved_by    TEXT,
  resolved_at    INTEGER
);
CREATE INDEX postmortem_comments_pm ON postmortem_comments(postmortem_id, at);

-- Statuspage's postmortem fields on a public incident (v2 JSON `postmortem_body`,
-- `postmortem_published_at`; the incident's status becomes 'postmortem').
ALTER TABLE public_incidents ADD COLUMN postmortem_body TEXT;
ALTER TABLE public_incidents ADD COLUMN postmortem_published_at INTEGER;
