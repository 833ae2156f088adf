-- An incident's page deliveries (db/paging.rs page_deliveries_of, the notifications panel of the
-- incident page) by incident: without it every delivery ever made was scanned (bench-scale: p95
-- 14 ms at 1 000 alerts, 43 ms at 1 000 000). tests/tests/plans.rs checks the plan.
CREATE INDEX outbound_deliveries_incident ON outbound_deliveries(incident_id, created_at);
