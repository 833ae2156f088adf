//! PagerDuty Events API v2 (`POST /v2/enqueue`) and change events (`POST /v2/change/enqueue`),
//! so that PagerDuty's client libraries and Alertmanager's `pagerduty_configs` work against
//! Tocsin by changing only the URL. Validation messages follow PagerDuty's style.

use super::{link, obj, s};
use crate::alert::{clip, AlertEvent, AlertSeverity, EventAction, Link, MAX_DEDUP_KEY_CHARS, MAX_SUMMARY_CHARS};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

/// A parsed trigger/acknowledge/resolve event. An empty `dedup_key` on a trigger means "none was
/// given": the caller generates a fresh one and returns it, as PagerDuty does.
pub fn parse(body: &[u8]) -> Result<(String, AlertEvent), Vec<String>> {
    let v: Value = serde_json::from_slice(body).map_err(|e| vec![format!("Event is not valid JSON: {e}")])?;
    if !v.is_object() {
        return Err(vec!["Event object is invalid".into()]);
    }
    let mut errors = Vec::new();
    let routing_key = s(&v, &["routing_key"]).unwrap_or_default();
    if routing_key.is_empty() {
        errors.push("'routing_key' is missing or blank".into());
    }
    let action = match s(&v, &["event_action"]).as_deref() {
        Some("trigger") => Some(EventAction::Trigger),
        Some("acknowledge") => Some(EventAction::Acknowledge),
        Some("resolve") => Some(EventAction::Resolve),
        Some(_) => {
            errors.push("'event_action' is invalid (must be one of: trigger, acknowledge, resolve)".into());
            None
        }
        None => {
            errors.push("'event_action' is missing or blank".into());
            None
        }
    };
    let dedup_key = s(&v, &["dedup_key"]).unwrap_or_default();
    if dedup_key.chars().count() > MAX_DEDUP_KEY_CHARS {
        errors.push(format!("'dedup_key' is too long (maximum is {MAX_DEDUP_KEY_CHARS} characters)"));
    }
    if matches!(action, Some(EventAction::Acknowledge | EventAction::Resolve)) && dedup_key.is_empty() {
        errors.push("'dedup_key' is missing or blank (required to acknowledge or resolve)".into());
    }
    let payload = v.get("payload");
    let mut summary = String::new();
    let mut severity = None;
    let mut source = None;
    let mut started_at = None;
    let mut details = Map::new();
    let mut fields = std::collections::BTreeMap::new();
    if action == Some(EventAction::Trigger) {
        match payload.filter(|p| p.is_object()) {
            None => errors.push("'payload' is missing or is not an object".into()),
            Some(p) => {
                match s(p, &["summary"]) {
                    None => errors.push("'payload.summary' is missing or blank".into()),
                    Some(sm) if sm.chars().count() > MAX_SUMMARY_CHARS => {
                        errors.push(format!("'payload.summary' is too long (maximum is {MAX_SUMMARY_CHARS} characters)"))
                    }
                    Some(sm) => summary = sm,
                }
                match s(p, &["source"]) {
                    None => errors.push("'payload.source' is missing or blank".into()),
                    Some(src) => source = Some(clip(&src, crate::alert::MAX_SOURCE_CHARS)),
                }
                match s(p, &["severity"]).as_deref() {
                    Some("critical") => severity = Some(AlertSeverity::Critical),
                    Some("error") => severity = Some(AlertSeverity::Error),
                    Some("warning") => severity = Some(AlertSeverity::Warning),
                    Some("info") => severity = Some(AlertSeverity::Info),
                    Some(_) => errors.push("'payload.severity' is invalid (must be one of: critical, error, warning, info)".into()),
                    None => errors.push("'payload.severity' is missing or blank".into()),
                }
                if let Some(ts) = p.get("timestamp").filter(|t| !t.is_null()) {
                    match ts.as_str().and_then(parse_timestamp) {
                        Some(t) => started_at = Some(t),
                        None => errors.push("'payload.timestamp' is invalid (must be ISO 8601)".into()),
                    }
                }
                match p.get("custom_details") {
                    Some(Value::Object(m)) => details = m.clone(),
                    Some(Value::Null) | None => {}
                    Some(other) => {
                        details.insert("custom_details".into(), other.clone());
                    }
                }
                for key in ["component", "group", "class"] {
                    if let Some(val) = s(p, &[key]) {
                        fields.insert(key.to_string(), val.clone());
                        details.insert(key.into(), Value::String(val));
                    }
                }
            }
        }
    } else if let Some(p) = payload.filter(|p| p.is_object()) {
        summary = s(p, &["summary"]).map(|x| clip(&x, MAX_SUMMARY_CHARS)).unwrap_or_default();
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut links: Vec<Link> = Vec::new();
    for l in v.get("links").and_then(Value::as_array).into_iter().flatten() {
        links.extend(link(s(l, &["href"]), &s(l, &["text"]).unwrap_or_default()));
    }
    for img in v.get("images").and_then(Value::as_array).into_iter().flatten() {
        links.extend(link(s(img, &["href"]).or_else(|| s(img, &["src"])), &s(img, &["alt"]).unwrap_or_else(|| "Image".into())));
    }
    links.extend(link(s(&v, &["client_url"]), &s(&v, &["client"]).unwrap_or_else(|| "Source".into())));
    if let Some(client) = s(&v, &["client"]) {
        details.entry("client").or_insert(Value::String(client));
    }
    let derived = dedup_key.is_empty();
    let event = AlertEvent {
        alert_id: None,
        action: action.unwrap_or_default(),
        summary,
        severity,
        dedup_key,
        dedup_key_derived: derived,
        source,
        details,
        started_at,
        source_changed_at: None,
        links,
        fields,
    };
    Ok((routing_key, event))
}

/// PagerDuty accepts ISO 8601 with or without a colon in the offset (`+0000`).
fn parse_timestamp(raw: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(raw)
        .or_else(|_| DateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S%.f%z"))
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// A change event: something was deployed or changed (shown on the service and on incidents
/// that open soon after).
#[derive(Clone, Debug, PartialEq)]
pub struct ChangeEvent {
    pub routing_key: String,
    pub summary: String,
    pub source: Option<String>,
    pub timestamp: Option<DateTime<Utc>>,
    pub details: Map<String, Value>,
    pub links: Vec<Link>,
}

pub fn parse_change(body: &[u8]) -> Result<ChangeEvent, Vec<String>> {
    let v: Value = serde_json::from_slice(body).map_err(|e| vec![format!("Event is not valid JSON: {e}")])?;
    let mut errors = Vec::new();
    let routing_key = s(&v, &["routing_key"]).unwrap_or_default();
    if routing_key.is_empty() {
        errors.push("'routing_key' is missing or blank".to_string());
    }
    let p = v.get("payload").filter(|p| p.is_object());
    let summary = p.and_then(|p| s(p, &["summary"])).unwrap_or_default();
    if p.is_none() {
        errors.push("'payload' is missing or is not an object".into());
    } else if summary.is_empty() {
        errors.push("'payload.summary' is missing or blank".into());
    } else if summary.chars().count() > MAX_SUMMARY_CHARS {
        errors.push(format!("'payload.summary' is too long (maximum is {MAX_SUMMARY_CHARS} characters)"));
    }
    let timestamp = match p.and_then(|p| p.get("timestamp")).filter(|t| !t.is_null()) {
        None => None,
        Some(t) => match t.as_str().and_then(parse_timestamp) {
            Some(t) => Some(t),
            None => {
                errors.push("'payload.timestamp' is invalid (must be ISO 8601)".into());
                None
            }
        },
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    let links = v
        .get("links")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|l| link(s(l, &["href"]), &s(l, &["text"]).unwrap_or_default()))
        .collect();
    Ok(ChangeEvent {
        routing_key,
        summary,
        source: p.and_then(|p| s(p, &["source"])),
        timestamp,
        details: p.map(|p| obj(p, "custom_details")).unwrap_or_default(),
        links,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const TRIGGER: &str = include_str!("../../../tests/fixtures/pagerduty_trigger.json");

    #[test]
    fn documented_trigger_example() {
        let (key, e) = parse(TRIGGER.as_bytes()).unwrap();
        assert_eq!(key, "samplekeyhere0123456789abcdef012");
        assert_eq!(e.action, EventAction::Trigger);
        assert_eq!(e.dedup_key, "samplekeyhere");
        assert_eq!(e.summary, "Example alert on host1.example.com");
        assert_eq!(e.source.as_deref(), Some("monitoringtool:cloudvendor:central-region-dc-01:852559987:cluster/api-stats-prod-003"));
        assert_eq!(e.severity, Some(AlertSeverity::Info));
        assert_eq!(e.started_at.unwrap().to_rfc3339(), "2015-07-17T08:42:58.315+00:00");
        assert_eq!(e.fields["component"], "postgres");
        assert_eq!(e.details["ping time"], "1500ms");
        let texts: Vec<&str> = e.links.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(texts, ["Link text", "Example text", "Sample Monitoring Service"]);
    }

    #[test]
    fn acknowledge_and_resolve_need_only_the_key() {
        let (_, e) = parse(br#"{"routing_key":"k","event_action":"resolve","dedup_key":"d"}"#).unwrap();
        assert_eq!((e.action, e.dedup_key.as_str()), (EventAction::Resolve, "d"));
        let errs = parse(br#"{"routing_key":"k","event_action":"acknowledge"}"#).unwrap_err();
        assert!(errs[0].contains("'dedup_key' is missing"), "{errs:?}");
    }

    #[test]
    fn trigger_without_key_asks_for_one() {
        let body = json!({"routing_key":"k","event_action":"trigger","payload":{"summary":"s","source":"h","severity":"error"}});
        let (_, e) = parse(body.to_string().as_bytes()).unwrap();
        assert!(e.dedup_key.is_empty() && e.dedup_key_derived);
    }

    #[test]
    fn every_problem_is_listed() {
        let errs = parse(br#"{"event_action":"trigger","payload":{"severity":"fatal","timestamp":"yesterday"}}"#).unwrap_err();
        assert_eq!(errs.len(), 5, "{errs:?}");
        assert!(errs.iter().any(|e| e.starts_with("'routing_key'")));
        assert!(errs.iter().any(|e| e.starts_with("'payload.summary'")));
        assert!(errs.iter().any(|e| e.starts_with("'payload.source'")));
        assert!(errs.iter().any(|e| e.starts_with("'payload.severity' is invalid")));
        assert!(errs.iter().any(|e| e.starts_with("'payload.timestamp'")));
        assert!(parse(br#"{"routing_key":"k","event_action":"explode"}"#).unwrap_err()[0].contains("event_action"));
        assert!(parse(b"[]").is_err());
        let long = json!({"routing_key":"k","event_action":"trigger","dedup_key":"x".repeat(256),
            "payload":{"summary":"y".repeat(1025),"source":"h","severity":"info"}});
        assert_eq!(parse(long.to_string().as_bytes()).unwrap_err().len(), 2);
    }

    #[test]
    fn change_events() {
        let c = parse_change(br#"{"routing_key":"k","payload":{"summary":"Deployed v2.3","source":"ci","timestamp":"2026-11-24T10:00:00Z","custom_details":{"sha":"abc"}},"links":[{"href":"https://ci.example.com/1","text":"Build"}]}"#).unwrap();
        assert_eq!(c.summary, "Deployed v2.3");
        assert_eq!(c.details["sha"], "abc");
        assert_eq!(c.links.len(), 1);
        assert!(parse_change(br#"{"routing_key":"k","payload":{}}"#).is_err());
    }
}
