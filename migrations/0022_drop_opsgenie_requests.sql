-- Opsgenie requests are the rows of their events in the event log (alert_events: the request id
-- is the row's id, written by the event's own batch; GET /v2/alerts/requests/{id} reads it
-- there). This table is no longer written or read, and its rows were never swept: a request id
-- answered before this migration is "not found" afterwards, as an expired one is in Opsgenie.
DROP TABLE IF EXISTS opsgenie_requests;
