-- Latency that does not grow with history (issue 15, part 3; tests/tests/plans.rs checks the plans).

-- An incident's page reads its event log by incident (db/incidents.rs INCIDENT_EVENTS): without
-- this it scanned every event ever received. (The incident alone: the event log is the largest
-- table, and the page sorts an incident's own rows anyway.)
CREATE INDEX alert_events_incident ON alert_events(incident_id);

-- Grouping reads a service's open incidents (db/ingest.rs open_incidents_of): only those, not the
-- service's whole resolved history.
CREATE INDEX incidents_service_unresolved ON incidents(service_id, created_at DESC) WHERE status != 'resolved';

-- A resolve finds again the alert it just resolved (db/ingest.rs resolve_by_key): by key, not by
-- scanning every alert.
CREATE INDEX alerts_service_key_resolved ON alerts(service_id, dedup_key, resolved_at) WHERE status = 'resolved';

-- Who is on call reads the overrides that have not ended yet (db/oncall.rs OVERRIDES_SINCE).
CREATE INDEX schedule_overrides_org_ends ON schedule_overrides(org_id, ends_at);

-- The cron sweep asks every minute for acknowledged incidents whose acknowledgement lapsed and for
-- recent triggered incidents without an escalation (db/oncall.rs lapsed_acknowledgements,
-- incidents_without_escalation): by status, not by scanning every incident ever opened.
CREATE INDEX incidents_status_created ON incidents(status, created_at);

-- An incident's pages (db/oncall.rs OUTBOX_OF, the incident page's notifications): by incident,
-- not every page of the organisation in time order (34 ms at 100 000 incidents, 0.04 ms with it).
CREATE INDEX notification_outbox_incident ON notification_outbox(org_id, incident_id, created_at);

-- Inbound ticket webhooks look their item up case-insensitively (GitHub's owner/repo and Jira's
-- project keys are case-insensitive): the index must carry the same collation to be used.
DROP INDEX IF EXISTS action_items_ticket;
CREATE INDEX action_items_ticket ON action_items(ticket_system, ticket_key COLLATE NOCASE) WHERE ticket_key IS NOT NULL;
