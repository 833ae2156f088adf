-- Tocsin schema, part 2: alert ingestion from monitoring vendors.

-- Per-service ingestion settings. grouping is JSON of domain::grouping::GroupingRule.
ALTER TABLE services ADD COLUMN grouping TEXT NOT NULL DEFAULT '{"type":"none"}';
ALTER TABLE services ADD COLUMN auto_resolve INTEGER NOT NULL DEFAULT 1;
-- Shared secret for signed webhooks (Grafana HMAC, Sentry client secret, Datadog header). Never returned.
ALTER TABLE services ADD COLUMN webhook_secret TEXT;

-- The grouping value an incident was opened with (for by-field grouping).
ALTER TABLE incidents ADD COLUMN group_value TEXT;
CREATE INDEX incidents_service_open ON incidents(service_id, status, created_at DESC);

ALTER TABLE alerts ADD COLUMN vendor TEXT NOT NULL DEFAULT 'generic';
-- When the problem started according to the source (Alertmanager startsAt, PagerDuty timestamp).
ALTER TABLE alerts ADD COLUMN started_at INTEGER;
ALTER TABLE alerts ADD COLUMN links TEXT NOT NULL DEFAULT '[]';
ALTER TABLE alerts ADD COLUMN acknowledged_at INTEGER;

-- Every event received for a service, with its outcome and (bounded) raw payload.
CREATE TABLE alert_events (
  id           TEXT PRIMARY KEY,
  org_id       TEXT NOT NULL,
  service_id   TEXT NOT NULL REFERENCES services(id),
  vendor       TEXT NOT NULL,
  action       TEXT,
  dedup_key    TEXT,
  alert_id     TEXT,
  incident_id  TEXT,
  -- opened | grouped | deduplicated | acknowledged | resolved | ignored | rejected
  result       TEXT NOT NULL,
  message      TEXT NOT NULL DEFAULT '',
  raw          TEXT NOT NULL DEFAULT '',
  received_at  INTEGER NOT NULL
);
CREATE INDEX alert_events_service ON alert_events(service_id, received_at DESC);
CREATE INDEX alert_events_alert ON alert_events(alert_id, received_at DESC);

-- Deliveries already applied, for senders that identify them (Sentry Request-ID): a retry
-- gets the first answer again instead of being applied twice.
CREATE TABLE deliveries (
  service_id   TEXT NOT NULL,
  delivery_id  TEXT NOT NULL,
  response     TEXT NOT NULL,
  created_at   INTEGER NOT NULL,
  PRIMARY KEY (service_id, delivery_id)
);

-- Change events (deploys, config changes) from PagerDuty's change events API.
CREATE TABLE change_events (
  id           TEXT PRIMARY KEY,
  org_id       TEXT NOT NULL,
  service_id   TEXT NOT NULL REFERENCES services(id),
  summary      TEXT NOT NULL,
  source       TEXT,
  details      TEXT NOT NULL DEFAULT '{}',
  links        TEXT NOT NULL DEFAULT '[]',
  at           INTEGER NOT NULL,
  received_at  INTEGER NOT NULL
);
CREATE INDEX change_events_service ON change_events(service_id, at DESC);

-- Opsgenie answers 202 with a requestId; GET /v2/alerts/requests/{id} reports the outcome.
CREATE TABLE opsgenie_requests (
  request_id   TEXT PRIMARY KEY,
  service_id   TEXT NOT NULL,
  action       TEXT NOT NULL,
  success      INTEGER NOT NULL,
  status       TEXT NOT NULL,
  alert_id     TEXT,
  alias        TEXT,
  created_at   INTEGER NOT NULL
);

-- SNS topics subscribed to a service's CloudWatch endpoint.
CREATE TABLE sns_subscriptions (
  service_id     TEXT NOT NULL,
  topic_arn      TEXT NOT NULL,
  subscribe_url  TEXT NOT NULL,
  status         TEXT NOT NULL,  -- pending | confirmed | unsubscribed
  created_at     INTEGER NOT NULL,
  updated_at     INTEGER NOT NULL,
  PRIMARY KEY (service_id, topic_arn)
);
