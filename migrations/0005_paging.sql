-- Tocsin schema, part 5: paging that reaches a phone (Web Push), outbound webhooks to chat and
-- ticketing, contact preferences, and one delivery log for both.

-- Per organisation: the VAPID key pair (P-256; the private key never leaves the worker), the key
-- that signs notification action tokens, and the app's address for links in messages.
CREATE TABLE org_keys (
  org_id         TEXT PRIMARY KEY REFERENCES organizations(id),
  vapid_private  TEXT NOT NULL,   -- base64url, 32 bytes
  vapid_public   TEXT NOT NULL,   -- base64url, uncompressed point (65 bytes)
  vapid_subject  TEXT NOT NULL,   -- mailto: or https: contact for push services (RFC 8292)
  action_key     TEXT NOT NULL,   -- base64url, 32 bytes
  app_url        TEXT NOT NULL DEFAULT '',
  created_at     INTEGER NOT NULL
);

-- A device that receives one person's pages. The endpoint is a capability URL: never shown back.
CREATE TABLE push_subscriptions (
  id               TEXT PRIMARY KEY,
  org_id           TEXT NOT NULL,
  user_id          TEXT NOT NULL REFERENCES users(id),
  endpoint         TEXT NOT NULL UNIQUE,
  p256dh           TEXT NOT NULL,
  auth             TEXT NOT NULL,
  device           TEXT NOT NULL,
  created_at       INTEGER NOT NULL,
  last_success_at  INTEGER,
  last_failure     TEXT
);
CREATE INDEX push_subscriptions_user ON push_subscriptions(user_id);

-- Which channels page a person, and how often (no row: push on, SEV1 repeats every 5 minutes).
CREATE TABLE contact_preferences (
  user_id          TEXT PRIMARY KEY REFERENCES users(id),
  org_id           TEXT NOT NULL,
  push             INTEGER NOT NULL DEFAULT 1,
  webhook_kind     TEXT CHECK (webhook_kind IN ('slack', 'teams', 'generic')),
  webhook_url      TEXT,
  webhook_secret   TEXT,
  repeat_minutes   INTEGER,          -- NULL: page once
  repeat_severity  TEXT NOT NULL DEFAULT 'SEV1',
  updated_at       INTEGER NOT NULL
);

-- Chat and ticketing destinations of an organisation.
CREATE TABLE webhook_destinations (
  id           TEXT PRIMARY KEY,
  org_id       TEXT NOT NULL REFERENCES organizations(id),
  name         TEXT NOT NULL,
  kind         TEXT NOT NULL CHECK (kind IN ('slack', 'teams', 'generic')),
  url          TEXT NOT NULL,
  secret       TEXT,                 -- generic: the signing secret
  events       TEXT NOT NULL,        -- JSON array of event kinds
  service_ids  TEXT NOT NULL DEFAULT '[]',
  enabled      INTEGER NOT NULL DEFAULT 1,
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL,
  deleted_at   INTEGER
);
CREATE INDEX webhook_destinations_org ON webhook_destinations(org_id) WHERE deleted_at IS NULL;

-- Every message to send, decided before any attempt (written with what caused it, or by the
-- dispatcher in one batch with marking its source done): a push to one device, or a webhook
-- to one destination. Unique per source and target, so replays cannot send twice.
CREATE TABLE outbound_deliveries (
  id               TEXT PRIMARY KEY,
  org_id           TEXT NOT NULL,
  channel          TEXT NOT NULL CHECK (channel IN ('push', 'webhook', 'personal_webhook')),
  target_id        TEXT NOT NULL,    -- push_subscriptions.id, webhook_destinations.id or users.id
  user_id          TEXT,             -- whose page it is (push, personal webhook)
  incident_id      TEXT,
  source           TEXT NOT NULL,    -- 'outbox:<id>', 'repeat:<outbox id>:<n>', 'timeline:<id>', 'update:<id>', 'test:<id>'
  event            TEXT NOT NULL,    -- 'page', 'test', or an event kind
  payload          TEXT NOT NULL,    -- JSON: the push payload or the webhook body
  state            TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'failed', 'gone', 'skipped')),
  attempts         INTEGER NOT NULL DEFAULT 0,
  next_attempt_at  INTEGER,
  lease_until      INTEGER,
  created_at       INTEGER NOT NULL,
  UNIQUE (source, channel, target_id)
);
CREATE INDEX outbound_deliveries_due ON outbound_deliveries(next_attempt_at) WHERE state = 'pending';
CREATE INDEX outbound_deliveries_target ON outbound_deliveries(target_id, created_at DESC);
CREATE INDEX outbound_deliveries_user ON outbound_deliveries(user_id, created_at DESC);

-- Every attempt, with the receiver's answer.
CREATE TABLE delivery_attempts (
  id           TEXT PRIMARY KEY,
  delivery_id  TEXT NOT NULL REFERENCES outbound_deliveries(id),
  org_id       TEXT NOT NULL,
  attempt      INTEGER NOT NULL,
  at           INTEGER NOT NULL,
  status       INTEGER,
  outcome      TEXT NOT NULL,
  duration_ms  INTEGER NOT NULL
);
CREATE INDEX delivery_attempts_delivery ON delivery_attempts(delivery_id, attempt);

-- Pages repeat until acknowledged: when the next repeat of an outbox entry is due.
ALTER TABLE notification_outbox ADD COLUMN repeats INTEGER NOT NULL DEFAULT 0;
ALTER TABLE notification_outbox ADD COLUMN next_repeat_at INTEGER;
CREATE INDEX notification_outbox_repeat ON notification_outbox(next_repeat_at) WHERE next_repeat_at IS NOT NULL;
CREATE INDEX notification_outbox_pending ON notification_outbox(created_at) WHERE state = 'pending';

-- The timeline (written in the same batch as every change) and public updates are the outboxes
-- of events: each row is dispatched to webhooks once. Rows from before this migration are not.
ALTER TABLE timeline ADD COLUMN dispatched INTEGER NOT NULL DEFAULT 0;
UPDATE timeline SET dispatched = 1;
CREATE INDEX timeline_undispatched ON timeline(at) WHERE dispatched = 0;
ALTER TABLE public_updates ADD COLUMN dispatched INTEGER NOT NULL DEFAULT 0;
UPDATE public_updates SET dispatched = 1;
CREATE INDEX public_updates_undispatched ON public_updates(created_at) WHERE dispatched = 0;
