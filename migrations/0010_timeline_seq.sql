-- Every timeline row gets a per-incident sequence number (1, 2, 3, … with no gaps), so a client
-- that saw row N asks for exactly the rows after it. Each INSERT computes its number itself
-- (MAX + 1 of its incident, in the same statement, inside the batch of the change): D1 runs one
-- writer at a time, so two rows of one incident never share a number, and the unique index would
-- refuse it if they did. (Not a trigger: D1 counts a trigger's writes in the statement's
-- `changes`, which the guarded writes read.)
ALTER TABLE timeline ADD COLUMN seq INTEGER;
UPDATE timeline SET seq = (
  SELECT n FROM (SELECT id AS tid, ROW_NUMBER() OVER (PARTITION BY incident_id ORDER BY at, rowid) AS n FROM timeline) WHERE tid = timeline.id
);
CREATE UNIQUE INDEX timeline_incident_seq ON timeline(incident_id, seq);
-- Rows a worker of the previous version writes while this migration applies have no number; the
-- cron numbers them (this partial index holds only those, so looking costs nothing).
CREATE INDEX timeline_unnumbered ON timeline(at) WHERE seq IS NULL;
