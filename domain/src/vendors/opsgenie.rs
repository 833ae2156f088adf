//! Opsgenie Alert API v2, so tools and scripts that create, acknowledge and close Opsgenie
//! alerts keep working against Tocsin (Opsgenie's API ends in April 2027). The integration key
//! travels as `Authorization: GenieKey <key>`; `alias` is the dedup key.

use super::s;
use crate::alert::{clip, derived_dedup_key, AlertEvent, AlertSeverity, EventAction, EventResult};
use crate::validation::FieldError;
use serde_json::{Map, Value};

pub const MAX_MESSAGE_CHARS: usize = 130;
pub const MAX_ALIAS_CHARS: usize = 512;

/// The key from `Authorization: GenieKey <key>`.
pub fn genie_key(authorization: Option<&str>) -> Option<&str> {
    let h = authorization?.trim();
    let (scheme, key) = h.split_once(' ')?;
    scheme.eq_ignore_ascii_case("GenieKey").then(|| key.trim()).filter(|k| !k.is_empty())
}

/// P1 → critical … P4/P5 → info; P3 is Opsgenie's default.
pub fn priority_severity(p: &str) -> Option<AlertSeverity> {
    match p {
        "P1" => Some(AlertSeverity::Critical),
        "P2" => Some(AlertSeverity::Error),
        "P3" => Some(AlertSeverity::Warning),
        "P4" | "P5" => Some(AlertSeverity::Info),
        _ => None,
    }
}

/// `POST /v2/alerts`. Without an alias, one is derived from the message so that a retried
/// request does not open a second incident.
pub fn parse_create(body: &[u8]) -> Result<AlertEvent, FieldError> {
    let v: Value = serde_json::from_slice(body).map_err(|e| FieldError::new("body", format!("is not valid JSON: {e}")))?;
    if !v.is_object() {
        return Err(FieldError::new("body", "must be a JSON object"));
    }
    let message = match v.get("message") {
        Some(Value::String(m)) if !m.trim().is_empty() => m.trim().to_string(),
        Some(Value::String(_)) | None | Some(Value::Null) => return Err(FieldError::new("message", "Message can not be empty.")),
        Some(_) => return Err(FieldError::new("message", "Message must be a string.")),
    };
    if message.chars().count() > MAX_MESSAGE_CHARS {
        return Err(FieldError::new("message", format!("Message can not be longer than {MAX_MESSAGE_CHARS} characters.")));
    }
    let alias = s(&v, &["alias"]);
    if alias.as_ref().is_some_and(|a| a.chars().count() > MAX_ALIAS_CHARS) {
        return Err(FieldError::new("alias", format!("Alias can not be longer than {MAX_ALIAS_CHARS} characters.")));
    }
    let severity = match s(&v, &["priority"]) {
        None => AlertSeverity::Warning,
        Some(p) => priority_severity(&p).ok_or_else(|| FieldError::new("priority", "Priority should be one of [P1, P2, P3, P4, P5]."))?,
    };
    let source = s(&v, &["source"]).map(|x| clip(&x, 100));
    let mut details = Map::new();
    let mut fields = std::collections::BTreeMap::new();
    match v.get("details") {
        Some(Value::Object(m)) => {
            for (k, val) in m {
                if let Some(text) = val.as_str() {
                    fields.insert(k.clone(), text.to_string());
                }
                details.insert(k.clone(), val.clone());
            }
        }
        Some(Value::Null) | None => {}
        Some(_) => return Err(FieldError::new("details", "Details should be a map of strings.")),
    }
    for key in ["description", "entity", "user", "note", "responders", "visibleTo", "actions"] {
        if let Some(val) = v.get(key).filter(|x| !x.is_null()) {
            details.insert(key.into(), val.clone());
        }
    }
    if let Some(tags) = v.get("tags").filter(|t| !t.is_null()) {
        let list = tags.as_array().ok_or_else(|| FieldError::new("tags", "Tags should be a list of strings."))?;
        for t in list.iter().filter_map(Value::as_str) {
            let (k, val) = t.split_once(':').unwrap_or((t, ""));
            fields.insert(k.to_string(), val.to_string());
        }
        details.insert("tags".into(), tags.clone());
    }
    let (dedup_key, derived) = match alias {
        Some(a) => (a, false),
        None => (derived_dedup_key(source.as_deref(), &message), true),
    };
    Ok(AlertEvent {
        alert_id: None,
        action: EventAction::Trigger,
        summary: message,
        severity: Some(severity),
        dedup_key,
        dedup_key_derived: derived,
        source,
        details,
        started_at: None,
        source_changed_at: None,
        links: Vec::new(),
        fields,
    })
}

/// How `/v2/alerts/{identifier}/…` names the alert (`?identifierType=`, default `id`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IdentifierType {
    Id,
    Alias,
    Tiny,
}

impl IdentifierType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Id => "id",
            Self::Alias => "alias",
            Self::Tiny => "tiny",
        }
    }
}

pub fn identifier_type(raw: Option<&str>) -> Result<IdentifierType, FieldError> {
    match raw.unwrap_or("id") {
        "id" => Ok(IdentifierType::Id),
        "alias" => Ok(IdentifierType::Alias),
        "tiny" => Ok(IdentifierType::Tiny),
        other => Err(FieldError::new("identifierType", format!("Invalid identifier type {other:?}; use id, alias or tiny."))),
    }
}

/// Optional `{user, source, note}` of close/acknowledge requests (bodies may be empty).
pub fn parse_action_body(body: &[u8]) -> Result<(Option<String>, Option<String>), FieldError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok((None, None));
    }
    let v: Value = serde_json::from_slice(body).map_err(|e| FieldError::new("body", format!("is not valid JSON: {e}")))?;
    Ok((s(&v, &["user"]).or_else(|| s(&v, &["source"])), s(&v, &["note"])))
}

/// What `GET /v2/alerts/requests/{id}` reports for one request: Opsgenie's `action`, `success`
/// and `status`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RequestOutcome {
    pub action: &'static str,
    pub success: bool,
    pub status: &'static str,
}

/// A request's outcome from what became of its event (the event log row written with the
/// event, whose id is the request's id): nothing else needs writing per request.
pub fn request_outcome(action: EventAction, result: EventResult) -> RequestOutcome {
    use EventResult::*;
    let (action, success, status) = match (action, result) {
        (EventAction::Trigger, Deduplicated) => ("Create", true, "Alert is deduplicated"),
        (EventAction::Trigger, Opened | Grouped) => ("Create", true, "Created alert"),
        (EventAction::Trigger, _) => ("Create", false, "Alert was not created"),
        (EventAction::Resolve, Resolved) => ("Close", true, "Closed alert"),
        (EventAction::Resolve, _) => ("Close", false, "Alert does not exist or is already closed"),
        (EventAction::Acknowledge, Acknowledged) => ("Acknowledge", true, "Acknowledged alert"),
        (EventAction::Acknowledge, _) => ("Acknowledge", false, "Alert does not exist or is already closed"),
    };
    RequestOutcome { action, success, status }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CREATE: &str = include_str!("../../../tests/fixtures/opsgenie_create.json");

    #[test]
    fn request_outcomes_as_opsgenie_words_them() {
        let o = |a, r| {
            let o = request_outcome(a, r);
            (o.action, o.success, o.status)
        };
        assert_eq!(o(EventAction::Trigger, EventResult::Opened), ("Create", true, "Created alert"));
        assert_eq!(o(EventAction::Trigger, EventResult::Grouped), ("Create", true, "Created alert"));
        assert_eq!(o(EventAction::Trigger, EventResult::Deduplicated), ("Create", true, "Alert is deduplicated"));
        assert_eq!(o(EventAction::Trigger, EventResult::Ignored).1, false);
        assert_eq!(o(EventAction::Resolve, EventResult::Resolved), ("Close", true, "Closed alert"));
        assert_eq!(o(EventAction::Resolve, EventResult::Ignored), ("Close", false, "Alert does not exist or is already closed"));
        assert_eq!(o(EventAction::Acknowledge, EventResult::Acknowledged), ("Acknowledge", true, "Acknowledged alert"));
        assert_eq!(o(EventAction::Acknowledge, EventResult::Ignored).1, false);
    }

    #[test]
    fn documented_create_example() {
        let e = parse_create(CREATE.as_bytes()).unwrap();
        assert_eq!(e.summary, "An example alert message");
        assert_eq!(e.dedup_key, "Life is too short for no alias");
        assert_eq!(e.severity, Some(AlertSeverity::Critical));
        assert_eq!(e.source.as_deref(), Some("Airport"));
        assert_eq!(e.fields["key1"], "value1");
        assert!(e.fields.contains_key("OverwriteQuietHours"));
        assert_eq!(e.details["entity"], "An example entity");
    }

    #[test]
    fn errors_use_opsgenie_wording() {
        assert_eq!(parse_create(br#"{"alias":"x"}"#).unwrap_err().message, "Message can not be empty.");
        let long = format!(r#"{{"message":"{}"}}"#, "m".repeat(131));
        assert_eq!(parse_create(long.as_bytes()).unwrap_err().field, "message");
        assert_eq!(parse_create(br#"{"message":"m","priority":"P9"}"#).unwrap_err().field, "priority");
        assert_eq!(parse_create(br#"{"message":"m","tags":"a"}"#).unwrap_err().field, "tags");
        let e = parse_create(br#"{"message":"m"}"#).unwrap();
        assert!(e.dedup_key_derived);
        assert_eq!(e.severity, Some(AlertSeverity::Warning), "P3 by default");
    }

    #[test]
    fn keys_and_identifiers() {
        assert_eq!(genie_key(Some("GenieKey abc-123")), Some("abc-123"));
        assert_eq!(genie_key(Some("geniekey  abc ")), Some("abc"));
        assert_eq!(genie_key(Some("Bearer abc")), None);
        assert_eq!(genie_key(None), None);
        assert_eq!(identifier_type(None), Ok(IdentifierType::Id));
        assert_eq!(identifier_type(Some("alias")), Ok(IdentifierType::Alias));
        assert!(identifier_type(Some("name")).is_err());
        assert_eq!(parse_action_body(b"").unwrap(), (None, None));
        assert_eq!(parse_action_body(br#"{"user":"Monitoring Script","note":"fixed"}"#).unwrap().1.as_deref(), Some("fixed"));
    }
}
