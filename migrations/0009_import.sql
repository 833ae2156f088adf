-- Tocsin schema, part 9: what imports from PagerDuty and Opsgenie made, by the vendor's id, so that
-- importing the same export again finds it and creates nothing twice (people are matched by
-- e-mail as well). A row is written in the same batch as what it remembers; its primary key makes
-- two concurrent imports of the same thing fail as a whole instead of creating it twice.

CREATE TABLE import_sources (
  org_id      TEXT NOT NULL REFERENCES organizations(id),
  source      TEXT NOT NULL CHECK (source IN ('pagerduty', 'opsgenie')),
  kind        TEXT NOT NULL CHECK (kind IN ('user', 'schedule', 'escalation_policy', 'service')),
  source_id   TEXT NOT NULL,
  tocsin_id   TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  PRIMARY KEY (org_id, source, kind, source_id)
);
