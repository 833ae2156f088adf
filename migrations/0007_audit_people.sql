-- People can be deactivated: they can no longer log in or use API tokens; their history stays.
ALTER TABLE users ADD COLUMN deactivated_at INTEGER;

-- The audit log: one append-only row per change that is not an incident timeline row, written
-- in the same D1 batch as the change (worker/src/db/audit.rs; vocabulary in domain/src/audit.rs).
CREATE TABLE audit_log (
  id TEXT PRIMARY KEY,            -- UUIDv7: sorts by time
  org_id TEXT NOT NULL REFERENCES organizations(id),
  at INTEGER NOT NULL,            -- ms since the epoch
  actor_kind TEXT NOT NULL CHECK (actor_kind IN ('user', 'token', 'integration', 'system')),
  actor_id TEXT,                  -- user, token or service id
  actor_user_id TEXT,             -- the user a token acts for (or the user)
  actor_name TEXT NOT NULL,
  action TEXT NOT NULL,           -- e.g. service.key_rotated
  target_kind TEXT NOT NULL,      -- e.g. service
  target_id TEXT,
  before_json TEXT,               -- redacted
  after_json TEXT,                -- redacted
  address TEXT                    -- CF-Connecting-IP
);
CREATE INDEX audit_log_org ON audit_log(org_id, id);
CREATE INDEX audit_log_actor ON audit_log(org_id, actor_user_id, id);
CREATE INDEX audit_log_target ON audit_log(org_id, target_id, id);
CREATE TRIGGER audit_log_append_only_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_append_only_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
