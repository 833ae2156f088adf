//! Datadog webhooks. Tocsin's integration panel gives the payload template to paste into the
//! Datadog webhook (the variables are Datadog's: `$ALERT_ID`, `$ALERT_TRANSITION`,
//! `$AGGREG_KEY`, …); `$AGGREG_KEY` (else `$ALERT_ID`) is the dedup key and a `Recovered`
//! transition resolves. A shared secret, when configured, arrives in [`SECRET_HEADER`].

use super::{link, s};
use crate::alert::{clip, derived_dedup_key, severity_from_word, AlertEvent, AlertSeverity, EventAction, MAX_SUMMARY_CHARS};
use crate::validation::{parse_json, FieldError};
use serde_json::Map;

pub const SECRET_HEADER: &str = "X-Tocsin-Webhook-Secret";

/// The payload to configure in Datadog (Integrations → Webhooks → Payload).
pub const PAYLOAD_TEMPLATE: &str = r#"{
  "alert_id": "$ALERT_ID",
  "alert_transition": "$ALERT_TRANSITION",
  "aggreg_key": "$AGGREG_KEY",
  "alert_type": "$ALERT_TYPE",
  "priority": "$ALERT_PRIORITY",
  "title": "$EVENT_TITLE",
  "body": "$EVENT_MSG",
  "date": "$DATE",
  "hostname": "$HOSTNAME",
  "tags": "$TAGS",
  "link": "$LINK",
  "org": {"id": "$ORG_ID", "name": "$ORG_NAME"},
  "id": "$ID"
}"#;

pub fn parse(body: &[u8]) -> Result<AlertEvent, FieldError> {
    let v = parse_json(body)?;
    if !v.is_object() {
        return Err(FieldError::new("body", "must be a JSON object"));
    }
    let title = s(&v, &["title"]).or_else(|| s(&v, &["body"])).ok_or_else(|| FieldError::new("title", "is required ($EVENT_TITLE)"))?;
    let transition = s(&v, &["alert_transition"]).unwrap_or_else(|| "Triggered".into());
    let action = match transition.to_ascii_lowercase().as_str() {
        "recovered" | "resolved" => EventAction::Resolve,
        _ => EventAction::Trigger,
    };
    let severity = match (s(&v, &["priority"]), transition.as_str(), s(&v, &["alert_type"])) {
        (Some(p), _, _) if p.eq_ignore_ascii_case("p1") => AlertSeverity::Critical,
        (_, "Warn" | "Re-Warn" | "No Data", _) => AlertSeverity::Warning,
        (_, _, Some(t)) => match t.as_str() {
            "success" => AlertSeverity::Info,
            other => severity_from_word(other).unwrap_or(AlertSeverity::Error),
        },
        _ => AlertSeverity::Error,
    };
    let source = s(&v, &["hostname"]).or_else(|| Some("datadog".into()));
    let (dedup_key, derived) = match s(&v, &["aggreg_key"]).or_else(|| s(&v, &["alert_id"])) {
        Some(k) => (crate::alert::key_within(&k, crate::alert::MAX_DEDUP_KEY_CHARS), false),
        None => (derived_dedup_key(source.as_deref(), &title), true),
    };
    let fields = s(&v, &["tags"])
        .map(|t| {
            t.split(',')
                .filter_map(|tag| {
                    let tag = tag.trim();
                    let (k, val) = tag.split_once(':').unwrap_or((tag, ""));
                    (!k.is_empty()).then(|| (k.to_string(), val.to_string()))
                })
                .collect()
        })
        .unwrap_or_default();
    let mut details = Map::new();
    for key in ["body", "alert_type", "priority", "alert_transition", "date", "tags", "alert_id", "id"] {
        if let Some(val) = v.get(key).filter(|x| !x.is_null()) {
            details.insert(key.into(), val.clone());
        }
    }
    if let Some(org) = v.get("org").filter(|o| o.is_object()) {
        details.insert("org".into(), org.clone());
    }
    Ok(AlertEvent {
        alert_id: None,
        action,
        summary: clip(&title, MAX_SUMMARY_CHARS),
        severity: Some(severity),
        dedup_key,
        dedup_key_derived: derived,
        source,
        details,
        started_at: None,
        source_changed_at: None,
        links: link(s(&v, &["link"]), "Datadog").into_iter().collect(),
        fields,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    const FIXTURE: &str = include_str!("../../../tests/fixtures/datadog.json");

    #[test]
    fn triggered_and_recovered() {
        let e = parse(FIXTURE.as_bytes()).unwrap();
        assert_eq!(e.action, EventAction::Trigger);
        assert_eq!(e.dedup_key, "b2c4e6f8a0");
        assert_eq!(e.summary, "[Triggered] High error rate on checkout");
        assert_eq!(e.severity, Some(AlertSeverity::Error));
        assert_eq!(e.fields["env"], "prod");
        assert_eq!(e.links[0].href, "https://app.datadoghq.com/monitors/1234567");
        let mut v: Value = serde_json::from_str(FIXTURE).unwrap();
        v["alert_transition"] = json!("Recovered");
        let r = parse(v.to_string().as_bytes()).unwrap();
        assert_eq!((r.action, r.dedup_key.as_str()), (EventAction::Resolve, "b2c4e6f8a0"));
        v["alert_transition"] = json!("Warn");
        assert_eq!(parse(v.to_string().as_bytes()).unwrap().severity, Some(AlertSeverity::Warning));
    }

    #[test]
    fn without_aggregation_key_falls_back() {
        let e = parse(br#"{"alert_id":"42","title":"x"}"#).unwrap();
        assert_eq!(e.dedup_key, "42");
        let e = parse(br#"{"title":"x","hostname":"h"}"#).unwrap();
        assert!(e.dedup_key_derived);
        assert_eq!(parse(br#"{"alert_id":"1"}"#).unwrap_err().field, "title");
    }
}
