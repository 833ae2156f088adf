-- Tocsin schema, part 8: no usable secret rests in D1 in the clear.
-- Push payloads used to be queued with the page's action token inside; the sender now mints the
-- token when it sends. Tokens already queued are removed (a pending page still goes out, with a
-- fresh token). Sealed columns need no change: values without a key id (`s1.`) are still read
-- and are re-sealed in the versioned format (`s2.<key id>.`) by the cron and `./tocsin reseal`.
UPDATE outbound_deliveries SET payload = json_remove(payload, '$.token')
 WHERE channel = 'push' AND json_valid(payload) AND json_extract(payload, '$.token') IS NOT NULL;
-- The cron clears tokens that an earlier version still running during the upgrade queued after
-- this migration: it looks at recent push rows only.
CREATE INDEX outbound_deliveries_push_created ON outbound_deliveries(created_at) WHERE channel = 'push';
