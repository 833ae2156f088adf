-- Which incidents have someone watching their live record (a WebSocket open on the incident's
-- IncidentLive object). The object adds its row when a socket connects and removes it when it is
-- told of a change with no socket left, so the delivery pump wakes only objects that have
-- someone to tell: during an alert storm most new incidents have no watcher yet.
CREATE TABLE live_watchers (
  incident_id TEXT PRIMARY KEY,
  since INTEGER NOT NULL
);
