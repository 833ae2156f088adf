//! Sentry integration-platform webhooks: issue alerts (`event_alert`), metric alerts
//! (`metric_alert`) and issue state changes (`issue`). The resource comes from the
//! `Sentry-Hook-Resource` header (inferred from the body when absent); `Sentry-Hook-Signature` is
//! the hex HMAC-SHA256 of the body with the integration's client secret; `Request-ID` identifies a
//! delivery so that Sentry's retries are applied once.

use super::{link, s, time};
use crate::alert::{clip, severity_from_word, AlertEvent, AlertSeverity, EventAction, MAX_SUMMARY_CHARS};
use crate::validation::{parse_json, FieldError};
use serde_json::{Map, Value};

pub const RESOURCE_HEADER: &str = "Sentry-Hook-Resource";
pub const SIGNATURE_HEADER: &str = "Sentry-Hook-Signature";
pub const REQUEST_ID_HEADER: &str = "Request-ID";
/// When Sentry sent the delivery (Unix seconds).
pub const TIMESTAMP_HEADER: &str = "Sentry-Hook-Timestamp";

pub fn verify(client_secret: &str, body: &[u8], signature: Option<&str>) -> bool {
    signature.is_some_and(|sig| super::signature::verify_hmac_sha256_hex(client_secret.as_bytes(), body, sig))
}

/// `Ok(None)` for deliveries that carry no alert (installation, comments, assignment…).
pub fn parse(body: &[u8], resource: Option<&str>) -> Result<Option<AlertEvent>, FieldError> {
    let v = parse_json(body)?;
    let data = v.get("data").filter(|d| d.is_object()).ok_or_else(|| FieldError::new("data", "is required"))?;
    let action = s(&v, &["action"]).ok_or_else(|| FieldError::new("action", "is required"))?;
    let resource = resource.map(str::to_string).unwrap_or_else(|| {
        if data.get("metric_alert").is_some() {
            "metric_alert".into()
        } else if data.get("event").is_some() {
            "event_alert".into()
        } else if data.get("issue").is_some() {
            "issue".into()
        } else {
            "unknown".into()
        }
    });
    match resource.as_str() {
        "event_alert" => event_alert(data).map(Some),
        "metric_alert" => metric_alert(data, &action),
        "issue" => issue(data, &action),
        _ => Ok(None),
    }
}

fn event_alert(data: &Value) -> Result<AlertEvent, FieldError> {
    let event = data.get("event").filter(|e| e.is_object()).ok_or_else(|| FieldError::new("data.event", "is required"))?;
    let issue_id = s(event, &["issue_id"]).ok_or_else(|| FieldError::new("data.event.issue_id", "is required"))?;
    let title = s(event, &["title"]).unwrap_or_else(|| format!("Sentry issue {issue_id}"));
    let mut details = Map::new();
    for key in ["culprit", "level", "platform", "project", "event_id", "environment", "release"] {
        if let Some(val) = event.get(key).filter(|x| !x.is_null()) {
            details.insert(key.into(), val.clone());
        }
    }
    if let Some(rule) = data.get("triggered_rule") {
        details.insert("triggered_rule".into(), rule.clone());
    }
    Ok(AlertEvent {
        alert_id: None,
        action: EventAction::Trigger,
        summary: clip(&title, MAX_SUMMARY_CHARS),
        severity: Some(s(event, &["level"]).and_then(|l| severity_from_word(&l)).unwrap_or(AlertSeverity::Error)),
        dedup_key: format!("sentry-issue-{issue_id}"),
        dedup_key_derived: false,
        source: Some("sentry".into()),
        details,
        started_at: time(event, "datetime"),
        source_changed_at: None,
        links: link(s(event, &["web_url"]), "Sentry issue").into_iter().collect(),
        fields: Default::default(),
    })
}

fn metric_alert(data: &Value, action: &str) -> Result<Option<AlertEvent>, FieldError> {
    let alert = data.get("metric_alert").filter(|e| e.is_object()).ok_or_else(|| FieldError::new("data.metric_alert", "is required"))?;
    let id = s(alert, &["id"]).ok_or_else(|| FieldError::new("data.metric_alert.id", "is required"))?;
    let (action, severity) = match action {
        "critical" => (EventAction::Trigger, AlertSeverity::Critical),
        "warning" => (EventAction::Trigger, AlertSeverity::Warning),
        "resolved" => (EventAction::Resolve, AlertSeverity::Info),
        _ => return Ok(None),
    };
    let title = s(data, &["description_title"])
        .or_else(|| s(alert, &["title"]))
        .or_else(|| s(alert, &["alert_rule", "name"]))
        .unwrap_or_else(|| format!("Sentry metric alert {id}"));
    let mut details = Map::new();
    if let Some(text) = data.get("description_text") {
        details.insert("description".into(), text.clone());
    }
    if let Some(rule) = alert.get("alert_rule") {
        details.insert("alert_rule".into(), rule.clone());
    }
    Ok(Some(AlertEvent {
        alert_id: None,
        action,
        summary: clip(&title, MAX_SUMMARY_CHARS),
        severity: Some(severity),
        dedup_key: format!("sentry-metric-{id}"),
        dedup_key_derived: false,
        source: Some("sentry".into()),
        details,
        started_at: time(alert, "date_started"),
        source_changed_at: None,
        links: link(s(data, &["web_url"]), "Sentry alert").into_iter().collect(),
        fields: Default::default(),
    }))
}

fn issue(data: &Value, action: &str) -> Result<Option<AlertEvent>, FieldError> {
    let issue = data.get("issue").filter(|e| e.is_object()).ok_or_else(|| FieldError::new("data.issue", "is required"))?;
    let id = s(issue, &["id"]).ok_or_else(|| FieldError::new("data.issue.id", "is required"))?;
    let action = match action {
        "created" | "unresolved" => EventAction::Trigger,
        "resolved" => EventAction::Resolve,
        _ => return Ok(None),
    };
    let title = s(issue, &["title"]).unwrap_or_else(|| format!("Sentry issue {id}"));
    Ok(Some(AlertEvent {
        alert_id: None,
        action,
        summary: clip(&title, MAX_SUMMARY_CHARS),
        severity: Some(s(issue, &["level"]).and_then(|l| severity_from_word(&l)).unwrap_or(AlertSeverity::Error)),
        dedup_key: format!("sentry-issue-{id}"),
        dedup_key_derived: false,
        source: Some("sentry".into()),
        details: Map::new(),
        started_at: time(issue, "firstSeen"),
        source_changed_at: None,
        links: link(s(issue, &["web_url"]).or_else(|| s(issue, &["permalink"])), "Sentry issue").into_iter().collect(),
        fields: Default::default(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    const EVENT_ALERT: &str = include_str!("../../../tests/fixtures/sentry_event_alert.json");
    const METRIC_ALERT: &str = include_str!("../../../tests/fixtures/sentry_metric_alert.json");

    #[test]
    fn issue_alert() {
        let e = parse(EVENT_ALERT.as_bytes(), Some("event_alert")).unwrap().unwrap();
        assert_eq!(e.dedup_key, "sentry-issue-1170820242");
        assert_eq!(e.summary, "TypeError: Cannot read properties of undefined (reading 'total')");
        assert_eq!(e.severity, Some(AlertSeverity::Error));
        assert_eq!(e.links[0].text, "Sentry issue");
        // Same result when the header is missing.
        assert_eq!(parse(EVENT_ALERT.as_bytes(), None).unwrap().unwrap(), e);
    }

    #[test]
    fn metric_alert_critical_and_resolved() {
        let e = parse(METRIC_ALERT.as_bytes(), Some("metric_alert")).unwrap().unwrap();
        assert_eq!((e.action, e.severity), (EventAction::Trigger, Some(AlertSeverity::Critical)));
        assert_eq!(e.dedup_key, "sentry-metric-8321");
        assert_eq!(e.summary, "Critical: p95 transaction duration above 2s");
        let resolved = METRIC_ALERT.replace("\"action\": \"critical\"", "\"action\": \"resolved\"");
        let r = parse(resolved.as_bytes(), Some("metric_alert")).unwrap().unwrap();
        assert_eq!((r.action, r.dedup_key.as_str()), (EventAction::Resolve, "sentry-metric-8321"));
    }

    #[test]
    fn other_resources_carry_no_alert() {
        assert_eq!(parse(br#"{"action":"created","data":{"installation":{}}}"#, Some("installation")).unwrap(), None);
        assert_eq!(parse(br#"{"action":"x"}"#, None).unwrap_err().field, "data");
    }
}
