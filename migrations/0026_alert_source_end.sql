-- When the source said an alert's problem ended (Alertmanager's and Grafana's endsAt,
-- CloudWatch's StateChangeTime into OK), set by the source's own resolve. A later trigger for the
-- key that began before this time is a late copy (SNS reorders and retries; a lagging
-- Alertmanager peer) and is ignored rather than opening an incident nothing would resolve.
-- Read through alerts_service_key_resolved (service, key) among resolved alerts.
ALTER TABLE alerts ADD COLUMN source_ended_at INTEGER;
