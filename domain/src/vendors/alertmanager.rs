//! Prometheus Alertmanager webhook (payload version 4). Each alert in a notification is its own
//! Tocsin alert keyed by its fingerprint, so a group where one alert resolves while another keeps
//! firing is exact. `startsAt` is when the problem started; `endsAt` of year 1 means still firing.

use super::{labels, link, obj, s, time};
use crate::alert::{clip, severity_from_word, AlertEvent, AlertSeverity, EventAction, MAX_SUMMARY_CHARS};
use crate::validation::{parse_json, FieldError};
use serde_json::Value;

pub fn parse(body: &[u8]) -> Result<Vec<AlertEvent>, FieldError> {
    let v = parse_json(body)?;
    let alerts = v
        .get("alerts")
        .and_then(Value::as_array)
        .ok_or_else(|| FieldError::new("alerts", "is required: an Alertmanager webhook (version 4) has an alerts array"))?;
    if let Some(ver) = s(&v, &["version"]) {
        if ver != "4" {
            return Err(FieldError::new("version", format!("payload version {ver} is not supported; Alertmanager sends 4")));
        }
    }
    let external = s(&v, &["externalURL"]);
    alerts.iter().enumerate().map(|(i, a)| alert(a, i, external.as_deref(), &v)).collect()
}

/// One alert of an Alertmanager-shaped payload (Grafana reuses this with its own extras).
pub(crate) fn alert(a: &Value, i: usize, external_url: Option<&str>, group: &Value) -> Result<AlertEvent, FieldError> {
    let field = |name: &str| format!("alerts[{i}].{name}");
    if !a.is_object() {
        return Err(FieldError::new(format!("alerts[{i}]"), "must be an object"));
    }
    let labels = labels(a, "labels");
    let annotations = labels_of(a, "annotations");
    let fingerprint = s(a, &["fingerprint"]).ok_or_else(|| FieldError::new(field("fingerprint"), "is required"))?;
    let action = match s(a, &["status"]).as_deref() {
        Some("firing") => EventAction::Trigger,
        Some("resolved") => EventAction::Resolve,
        Some(other) => return Err(FieldError::new(field("status"), format!("unknown value {other:?}; expected firing or resolved"))),
        None => return Err(FieldError::new(field("status"), "is required")),
    };
    let name = labels.get("alertname").cloned();
    let summary = annotations
        .get("summary")
        .or_else(|| annotations.get("title"))
        .or_else(|| annotations.get("description"))
        .cloned()
        .or_else(|| name.clone())
        .or_else(|| s(group, &["title"]))
        .unwrap_or_else(|| format!("Alert {fingerprint}"));
    let severity = labels
        .get("severity")
        .or_else(|| labels.get("priority"))
        .and_then(|w| severity_from_word(w))
        .or(Some(AlertSeverity::Error));
    let mut details = obj(a, "labels");
    if !annotations.is_empty() {
        details.insert("annotations".into(), Value::Object(obj(a, "annotations")));
    }
    let mut links = Vec::new();
    links.extend(link(s(a, &["generatorURL"]), "Source"));
    links.extend(link(external_url.map(str::to_string), "Alertmanager"));
    Ok(AlertEvent {
        alert_id: None,
        action,
        summary: clip(&summary, MAX_SUMMARY_CHARS),
        severity,
        dedup_key: crate::alert::key_within(&fingerprint, crate::alert::MAX_DEDUP_KEY_CHARS),
        dedup_key_derived: false,
        source: labels.get("instance").or_else(|| labels.get("job")).cloned().or(name),
        details,
        started_at: time(a, "startsAt"),
        // Not judged for late copies: a resolve's `endsAt` may be Alertmanager's estimate (see
        // `alert::late_copy`).
        source_changed_at: None,
        links,
        fields: labels,
    })
}

fn labels_of(v: &Value, key: &str) -> std::collections::BTreeMap<String, String> {
    labels(v, key)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURE: &str = include_str!("../../../tests/fixtures/alertmanager.json");

    #[test]
    fn each_alert_is_its_own_event() {
        let events = parse(FIXTURE.as_bytes()).unwrap();
        assert_eq!(events.len(), 2);
        let (firing, resolved) = (&events[0], &events[1]);
        assert_eq!(firing.action, EventAction::Trigger);
        assert_eq!(firing.dedup_key, "b1c0ad3b5a9f1c2e");
        assert_eq!(firing.summary, "Disk on db-1 is 95% full");
        assert_eq!(firing.severity, Some(AlertSeverity::Critical));
        assert_eq!(firing.source.as_deref(), Some("db-1:9100"));
        assert_eq!(firing.started_at.unwrap().to_rfc3339(), "2026-11-24T10:00:00+00:00");
        assert_eq!(firing.fields["team"], "storage");
        assert_eq!(firing.links[0].href, "http://prometheus:9090/graph?g0.expr=disk");
        assert_eq!(resolved.action, EventAction::Resolve);
        assert_eq!(resolved.dedup_key, "7d9e2f40c3b1a655");
        assert_eq!(resolved.severity, Some(AlertSeverity::Warning));
        assert_eq!((firing.source_changed_at, resolved.source_changed_at), (None, None), "not judged for late copies");
    }

    #[test]
    fn rejects_what_is_not_alertmanager() {
        assert_eq!(parse(b"{}").unwrap_err().field, "alerts");
        assert_eq!(parse(br#"{"version":"3","alerts":[]}"#).unwrap_err().field, "version");
        let no_fp = br#"{"version":"4","alerts":[{"status":"firing","labels":{}}]}"#;
        assert_eq!(parse(no_fp).unwrap_err().field, "alerts[0].fingerprint");
        let bad_status = br#"{"alerts":[{"status":"pending","fingerprint":"x"}]}"#;
        assert_eq!(parse(bad_status).unwrap_err().field, "alerts[0].status");
        assert!(parse(br#"{"version":"4","alerts":[]}"#).unwrap().is_empty());
    }
}
