//! Alerts: the normalised event every monitoring source is turned into, the generic webhook
//! format, the dedup rule (one open alert per service and dedup key) and severity mapping.

use crate::incident::{Severity, UnknownValue};
use crate::validation::{parse_json, FieldError, Fields};
use serde::{Deserialize, Serialize};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

/// Largest webhook body accepted, in bytes (PagerDuty's limit too).
pub const MAX_BODY_BYTES: usize = 512 * 1024;
/// A raw payload as it may be stored and shown to every member: the integration key (PagerDuty's
/// `routing_key` carries it) becomes `…`, and SNS's capability URLs (`SubscribeURL`,
/// `UnsubscribeURL`, which confirm or cancel the subscription) and `Token` are dropped.
pub fn scrub_raw(raw: &str, integration_key: &str) -> String {
    let mut out = if integration_key.is_empty() { raw.to_string() } else { raw.replace(integration_key, "…") };
    if let Ok(serde_json::Value::Object(mut m)) = serde_json::from_str::<serde_json::Value>(&out) {
        let mut changed = false;
        for k in ["SubscribeURL", "UnsubscribeURL", "Token"] {
            changed |= m.remove(k).is_some();
        }
        if changed {
            out = serde_json::Value::Object(m).to_string();
        }
    }
    out
}

/// Alerts applied from one payload (an Alertmanager or Grafana group), so one request cannot
/// write thousands of rows; the rest are dropped and logged (see [`applying_order`]).
/// Alertmanager: `max_alerts: 100`; Grafana: "Max alerts" 100.
pub const MAX_ALERTS_PER_PAYLOAD: usize = 100;

/// The alerts of one payload in the order they are applied, at most [`MAX_ALERTS_PER_PAYLOAD`],
/// with how many were dropped.
///
/// Firing alerts come first (each kind keeps its order). Alertmanager orders a group by labels,
/// not status: applied as sent, `[A resolved, B firing]` resolved A's incident first (its last
/// firing alert) and then opened a new incident for B, paging again, where B belonged with A.
/// Over the cap, firing alerts are the ones kept: a page lost costs more than a resolve, which
/// the source sends again. Only when every alert has its own key (one key's events keep their
/// order).
pub fn applying_order(mut events: Vec<AlertEvent>) -> (Vec<AlertEvent>, usize) {
    let mut keys: Vec<&str> = events.iter().map(|e| e.dedup_key.as_str()).collect();
    keys.sort_unstable();
    let distinct = keys.windows(2).all(|w| w[0] != w[1]);
    if distinct {
        events.sort_by_key(|e| e.action != EventAction::Trigger);
    }
    let dropped = events.len().saturating_sub(MAX_ALERTS_PER_PAYLOAD);
    events.truncate(MAX_ALERTS_PER_PAYLOAD);
    (events, dropped)
}
/// Days raw payloads are kept in the event log (`RAW_PAYLOAD_RETENTION_DAYS`); older ones are
/// cleared by the cron, the outcome rows stay.
pub const DEFAULT_RAW_RETENTION_DAYS: i64 = 30;

/// Days the event log (one row per received event: its outcome, without the payload after
/// [`DEFAULT_RAW_RETENTION_DAYS`]) is kept unless `EVENT_LOG_RETENTION_DAYS` says otherwise.
/// Alerts and incidents keep their own counts and times, so metrics do not need the rows.
pub const DEFAULT_EVENT_LOG_RETENTION_DAYS: i64 = 90;

/// The instant before which a retention sweep clears, from a configured day count (`None`, zero,
/// negative or unparsable: `default_days`). Clamped to 100 years, so a huge "keep forever" cannot
/// overflow into a cutoff in the future, which would clear everything.
pub fn retention_cutoff(now_ms: i64, configured: Option<&str>, default_days: i64) -> i64 {
    let days = configured.and_then(|v| v.trim().parse::<i64>().ok()).filter(|d| *d > 0).unwrap_or(default_days);
    now_ms - days.min(36_500) * 86_400_000
}

#[cfg(test)]
mod retention_tests {
    use super::retention_cutoff;

    #[test]
    fn cutoff_is_days_back_defaulted_and_clamped() {
        let now = 1_800_000_000_000;
        assert_eq!(retention_cutoff(now, Some("30"), 90), now - 30 * 86_400_000);
        for bad in [None, Some(""), Some("0"), Some("-5"), Some("forever")] {
            assert_eq!(retention_cutoff(now, bad, 90), now - 90 * 86_400_000, "{bad:?}");
        }
        let huge = retention_cutoff(now, Some("999999999999"), 90);
        assert_eq!(huge, now - 36_500 * 86_400_000);
        assert!(huge < now, "never a cutoff in the future");
    }
}

/// Days the first answer to a numbered delivery (Sentry's `Request-ID`) is kept for its retries,
/// unless `RETRY_ANSWER_RETENTION_DAYS` says otherwise: a sender retries within minutes or
/// hours, so a week is ample; after it the row is forgotten (bounded storage).
pub const DEFAULT_RETRY_ANSWER_RETENTION_DAYS: i64 = 7;

/// Kept retry answers forgotten per cron tick (bounded work; a backlog clears over ticks).
pub const RETRY_ANSWER_SWEEP: i64 = 5_000;

/// Event-log rows deleted per service per cron tick (bounded work; a backlog clears over ticks).
pub const EVENT_LOG_SWEEP_PER_SERVICE: i64 = 2_000;
pub const MAX_SUMMARY_CHARS: usize = 1024;
pub const MAX_DEDUP_KEY_CHARS: usize = 255;
pub const MAX_SOURCE_CHARS: usize = 255;

/// Severity as monitoring tools say it (PagerDuty's vocabulary).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum AlertSeverity {
    Critical,
    Error,
    Warning,
    Info,
}

impl AlertSeverity {
    pub const ALL: [AlertSeverity; 4] = [Self::Critical, Self::Error, Self::Warning, Self::Info];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Critical => "critical",
            Self::Error => "error",
            Self::Warning => "warning",
            Self::Info => "info",
        }
    }

    /// critical → SEV1, error → SEV2, warning → SEV3, info → SEV4.
    pub fn incident_severity(self) -> Severity {
        match self {
            Self::Critical => Severity::Sev1,
            Self::Error => Severity::Sev2,
            Self::Warning => Severity::Sev3,
            Self::Info => Severity::Sev4,
        }
    }
}

impl fmt::Display for AlertSeverity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AlertSeverity {
    type Err = UnknownValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| UnknownValue::new("severity", s, "critical, error, warning, info"))
    }
}

/// Whether the source says the problem is happening or is over.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum AlertStatus {
    Firing,
    Resolved,
}

impl AlertStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Firing => "firing",
            Self::Resolved => "resolved",
        }
    }
}

impl FromStr for AlertStatus {
    type Err = UnknownValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "firing" => Ok(Self::Firing),
            "resolved" => Ok(Self::Resolved),
            _ => Err(UnknownValue::new("status", s, "firing, resolved")),
        }
    }
}

/// What a monitoring source asks for with one event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum EventAction {
    /// The problem is happening (new, or still).
    Trigger,
    /// Someone at the source has seen it (PagerDuty/Opsgenie acknowledge).
    Acknowledge,
    /// The problem is over.
    Resolve,
}

impl EventAction {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Trigger => "trigger",
            Self::Acknowledge => "acknowledge",
            Self::Resolve => "resolve",
        }
    }
}

/// A link shown with an alert (dashboard, panel, runbook, source page).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct Link {
    pub href: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub text: String,
}

/// One event from a monitoring source, normalised. Every vendor format parses into this.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct AlertEvent {
    pub action: EventAction,
    /// What is wrong, in one line. May be empty on acknowledge/resolve events.
    pub summary: String,
    /// `None` when the source did not say (resolve/acknowledge events need not).
    pub severity: Option<AlertSeverity>,
    pub dedup_key: String,
    /// The stored alert a resolve or acknowledge is about, when the sender named it by its id
    /// (Opsgenie's `identifierType=id`): it then applies to that alert only, checked in the
    /// same transaction, never to a newer alert that took the same dedup key meanwhile.
    pub alert_id: Option<String>,
    /// True when the sender gave no dedup key and one was derived from the content.
    pub dedup_key_derived: bool,
    pub source: Option<String>,
    pub details: Map<String, Value>,
    /// When the problem started according to the source (used for time-to-detect).
    pub started_at: Option<DateTime<Utc>>,
    /// When the source observed the change this event reports, for a source whose events of one
    /// key are ordered by it but may be delivered out of order: CloudWatch's `StateChangeTime`
    /// (SNS neither orders nor de-duplicates deliveries, and retries). See [`late_copy`].
    pub source_changed_at: Option<DateTime<Utc>>,
    pub links: Vec<Link>,
    /// Flat key/value labels (Alertmanager labels, tags) that grouping rules can use.
    pub fields: BTreeMap<String, String>,
}

impl Default for EventAction {
    fn default() -> Self {
        Self::Trigger
    }
}

impl AlertEvent {
    /// The status a stored alert gets from this event, when it changes it.
    pub fn is_trigger(&self) -> bool {
        self.action == EventAction::Trigger
    }
}

/// Derives a stable dedup key from what identifies the problem, so that a sender that retries
/// a webhook without a key does not open a second incident.
pub fn derived_dedup_key(source: Option<&str>, summary: &str) -> String {
    let mut h = Sha256::new();
    h.update(source.unwrap_or("").as_bytes());
    h.update([0u8]);
    h.update(summary.as_bytes());
    let digest = h.finalize();
    let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!("auto-{hex}")
}

/// A source's own key kept within `max` characters without merging alerts: a longer key keeps
/// its beginning and ends with a hash of the whole (`~` and 32 hex digits), so two long keys
/// that share a prefix stay two alerts (clipping made them one: the second counted as a repeat
/// of the first, and one resolve ended both).
pub fn key_within(key: &str, max: usize) -> String {
    if key.chars().count() <= max {
        return key.to_string();
    }
    let digest = Sha256::digest(key.as_bytes());
    let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    key.chars().take(max.saturating_sub(33)).collect::<String>() + "~" + &hex
}

/// Cuts a string to at most `max` characters (on a character boundary), marking the cut.
pub fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        s.chars().take(max.saturating_sub(1)).collect::<String>() + "…"
    }
}

/// Maps the many ways sources spell severity onto Tocsin's four.
pub fn severity_from_word(word: &str) -> Option<AlertSeverity> {
    match word.trim().to_ascii_lowercase().as_str() {
        "critical" | "crit" | "page" | "fatal" | "emergency" | "alert" | "disaster" | "p1" | "sev1" => Some(AlertSeverity::Critical),
        "error" | "err" | "high" | "major" | "p2" | "sev2" => Some(AlertSeverity::Error),
        "warning" | "warn" | "average" | "medium" | "minor" | "p3" | "sev3" => Some(AlertSeverity::Warning),
        "info" | "information" | "informational" | "low" | "none" | "debug" | "ok" | "p4" | "p5" | "sev4" => Some(AlertSeverity::Info),
        _ => None,
    }
}

/// Parses Tocsin's generic webhook body:
/// `{"summary","severity","dedup_key"?,"status":"firing|resolved"?,"source"?,"details"?}`.
pub fn parse_generic(body: &[u8]) -> Result<AlertEvent, FieldError> {
    let v = parse_json(body)?;
    let f = Fields::new(&v)?;
    let status = match f.opt_str("status", 16)? {
        None => AlertStatus::Firing,
        Some(s) => s.parse().map_err(|e: UnknownValue| FieldError::new("status", e.to_string()))?,
    };
    let summary = f.req_str("summary", MAX_SUMMARY_CHARS)?;
    let severity = match f.opt_str("severity", 16)? {
        Some(s) => Some(s.parse().map_err(|e: UnknownValue| FieldError::new("severity", e.to_string()))?),
        None if status == AlertStatus::Firing => {
            return Err(FieldError::new("severity", "is required: one of critical, error, warning, info"))
        }
        None => None,
    };
    let source = f.opt_str("source", MAX_SOURCE_CHARS)?;
    let (dedup_key, dedup_key_derived) = match f.opt_str("dedup_key", MAX_DEDUP_KEY_CHARS)? {
        Some(k) => (k, false),
        None => (derived_dedup_key(source.as_deref(), &summary), true),
    };
    let details = f.opt_object("details")?.unwrap_or_default();
    let fields = details.iter().filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string()))).collect();
    let action = match status {
        AlertStatus::Firing => EventAction::Trigger,
        AlertStatus::Resolved => EventAction::Resolve,
    };
    Ok(AlertEvent { action, summary, severity, dedup_key, dedup_key_derived, source, details, fields, ..Default::default() })
}

/// What happened to one received event (shown in the integrations panel and stored per event).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum EventResult {
    /// A new alert opened a new incident.
    Opened,
    /// A new alert joined an open incident (grouping).
    Grouped,
    /// A repeat of an open alert was counted on it.
    Deduplicated,
    Acknowledged,
    Resolved,
    /// Valid, but nothing to do (e.g. resolve of an alert that is not open).
    Ignored,
    /// Invalid or unauthorised; nothing was changed.
    Rejected,
}

impl EventResult {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Opened => "opened",
            Self::Grouped => "grouped",
            Self::Deduplicated => "deduplicated",
            Self::Acknowledged => "acknowledged",
            Self::Resolved => "resolved",
            Self::Ignored => "ignored",
            Self::Rejected => "rejected",
        }
    }
}

/// What to do with an incoming event, given whether the service already has an open (firing)
/// alert with the same dedup key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DedupDecision {
    /// New problem: create an alert (and group it into an incident).
    OpenAlert,
    /// Same problem still firing: count the repeat on the existing alert.
    CountRepeat,
    /// The source acknowledged it: acknowledge the alert's incident.
    AcknowledgeAlert,
    /// The source says it is over: resolve the open alert (and its incident if it was the last).
    ResolveAlert,
    /// An acknowledge or resolve for something not open: nothing to change.
    NothingOpen,
}

/// Whether an event is a late copy: it reports a change the source observed (`changed_at`)
/// before the key's last change the other way (`other_way_at`). A trigger is compared with the
/// source's last resolve of its key; a resolve, with the latest change into firing of the alert
/// firing now (its first trigger's, or a later repeat's). SNS does
/// not keep order and retries for up to an hour, so a CloudWatch ALARM can arrive after its OK —
/// which used to open an incident nothing would resolve — and an OK can arrive after a newer
/// ALARM — which used to resolve an alarm still on. A late copy is logged as ignored and
/// changes nothing. A change at the same instant or after is new; either time unknown: not a
/// copy. Only sources that give `AlertEvent::source_changed_at` are judged (not Alertmanager:
/// when Prometheus stops reaching it, it resolves an alert with an estimated `endsAt`, and
/// Prometheus's later resends of the still-firing alert carry the original `startsAt`; taking
/// those for copies would lose a real outage). The ingestion batch applies this rule as guards in
/// SQL (`db::ingest`), in the transaction it protects.
pub fn late_copy(changed_at_ms: Option<i64>, other_way_at_ms: Option<i64>) -> bool {
    matches!((changed_at_ms, other_way_at_ms), (Some(at), Some(other)) if at < other)
}

pub fn dedup(action: EventAction, open_alert_exists: bool) -> DedupDecision {
    match (action, open_alert_exists) {
        (EventAction::Trigger, false) => DedupDecision::OpenAlert,
        (EventAction::Trigger, true) => DedupDecision::CountRepeat,
        (EventAction::Acknowledge, true) => DedupDecision::AcknowledgeAlert,
        (EventAction::Resolve, true) => DedupDecision::ResolveAlert,
        (EventAction::Acknowledge | EventAction::Resolve, false) => DedupDecision::NothingOpen,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_change_observed_before_the_last_one_the_other_way_is_a_late_copy() {
        use super::late_copy;
        assert!(late_copy(Some(100), Some(200)), "an ALARM observed before the OK already applied");
        assert!(!late_copy(Some(200), Some(200)), "at the same instant: new");
        assert!(!late_copy(Some(300), Some(200)), "after: a new change");
        assert!(!late_copy(None, Some(200)) && !late_copy(Some(100), None), "a time unknown: never a copy");
    }

    #[test]
    fn raw_payloads_lose_keys_and_capability_urls() {
        let key = "0123456789abcdef0123456789abcdef";
        let pd = format!("{{\"routing_key\":\"{key}\",\"event_action\":\"trigger\"}}");
        assert_eq!(scrub_raw(&pd, key), "{\"routing_key\":\"…\",\"event_action\":\"trigger\"}");
        let sns = r#"{"Type":"Notification","Message":"m","UnsubscribeURL":"https://sns.x/?Action=Unsubscribe&SubscriptionArn=a"}"#;
        let out = scrub_raw(sns, key);
        assert!(!out.contains("Unsubscribe") && out.contains("\"Message\":\"m\""), "{out}");
        assert_eq!(scrub_raw("{\"cut\": \"trunc", key), "{\"cut\": \"trunc", "not JSON (truncated): kept, key replaced");
    }

    use super::*;

    fn parse(v: serde_json::Value) -> Result<AlertEvent, FieldError> {
        parse_generic(v.to_string().as_bytes())
    }

    #[test]
    fn minimal_firing_event() {
        let e = parse(serde_json::json!({"summary": "DB down", "severity": "critical", "dedup_key": "db-1"})).unwrap();
        assert_eq!(e.action, EventAction::Trigger);
        assert_eq!(e.severity, Some(AlertSeverity::Critical));
        assert_eq!(e.dedup_key, "db-1");
        assert!(!e.dedup_key_derived);
        assert!(e.details.is_empty());
    }

    #[test]
    fn full_event_keeps_source_and_details() {
        let e = parse(serde_json::json!({
            "summary": "p99 > 2s", "severity": "warning", "status": "firing",
            "source": "prom-1", "details": {"value": 2.4}
        }))
        .unwrap();
        assert_eq!(e.source.as_deref(), Some("prom-1"));
        assert_eq!(e.details["value"], 2.4);
        assert!(e.dedup_key_derived);
        assert_eq!(e.dedup_key, derived_dedup_key(Some("prom-1"), "p99 > 2s"));
    }

    #[test]
    fn a_payload_applies_firing_alerts_first_and_at_most_the_cap() {
        let ev = |key: &str, action| AlertEvent { dedup_key: key.into(), action, ..Default::default() };
        let order = |es: &[AlertEvent]| es.iter().map(|e| e.dedup_key.clone()).collect::<Vec<_>>();
        let (es, dropped) = applying_order(vec![ev("a", EventAction::Resolve), ev("b", EventAction::Trigger), ev("c", EventAction::Resolve), ev("d", EventAction::Trigger)]);
        assert_eq!((order(&es), dropped), (vec!["b".to_string(), "d".into(), "a".into(), "c".into()], 0));
        let (es, _) = applying_order(vec![ev("a", EventAction::Resolve), ev("a", EventAction::Trigger)]);
        assert_eq!(es[0].action, EventAction::Resolve, "one key's events keep their order");
        let many: Vec<_> = (0..150).map(|i| ev(&format!("k{i}"), if i < 100 { EventAction::Resolve } else { EventAction::Trigger })).collect();
        let (es, dropped) = applying_order(many);
        assert_eq!((es.len(), dropped), (MAX_ALERTS_PER_PAYLOAD, 50));
        assert_eq!(es.iter().filter(|e| e.action == EventAction::Trigger).count(), 50, "every firing alert kept");
    }

    #[test]
    fn long_source_keys_stay_distinct_and_within_the_limit() {
        let arn = |name: &str| format!("arn:aws:cloudwatch:eu-west-1:123456789012:alarm:{}{name}", "checkout-service-".repeat(14));
        let (a, b) = (key_within(&arn("latency"), MAX_DEDUP_KEY_CHARS), key_within(&arn("errors"), MAX_DEDUP_KEY_CHARS));
        assert_ne!(a, b, "two alarms sharing a long prefix");
        assert_eq!(a, key_within(&arn("latency"), MAX_DEDUP_KEY_CHARS), "stable");
        assert_eq!((a.chars().count(), b.chars().count()), (MAX_DEDUP_KEY_CHARS, MAX_DEDUP_KEY_CHARS));
        assert!(a.starts_with("arn:aws:cloudwatch:eu-west-1:123456789012:alarm:checkout-service-"));
        assert_eq!(key_within("short", MAX_DEDUP_KEY_CHARS), "short");
        let wide = "é".repeat(300);
        assert_eq!(key_within(&wide, MAX_DEDUP_KEY_CHARS).chars().count(), MAX_DEDUP_KEY_CHARS, "counted in characters");
    }

    #[test]
    fn derived_keys_are_stable_and_distinct() {
        let a = derived_dedup_key(Some("s"), "x");
        assert_eq!(a, derived_dedup_key(Some("s"), "x"));
        assert_ne!(a, derived_dedup_key(Some("s"), "y"));
        assert_ne!(derived_dedup_key(Some("ab"), "c"), derived_dedup_key(Some("a"), "bc"));
        assert!(a.starts_with("auto-") && a.len() == 37);
    }

    #[test]
    fn errors_name_the_field() {
        let cases = [
            (serde_json::json!({"severity": "critical"}), "summary"),
            (serde_json::json!({"summary": "x"}), "severity"),
            (serde_json::json!({"summary": "x", "severity": "fatal"}), "severity"),
            (serde_json::json!({"summary": 5, "severity": "info"}), "summary"),
            (serde_json::json!({"summary": "x", "severity": "info", "status": "open"}), "status"),
            (serde_json::json!({"summary": "x", "severity": "info", "details": "no"}), "details"),
            (serde_json::json!({"summary": "x", "severity": "info", "dedup_key": "k".repeat(256)}), "dedup_key"),
            (serde_json::json!({"summary": "x".repeat(1025), "severity": "info"}), "summary"),
            (serde_json::json!([1, 2]), "body"),
        ];
        for (body, field) in cases {
            let err = parse(body.clone()).unwrap_err();
            assert_eq!(err.field, field, "{body} → {err}");
        }
        assert_eq!(parse_generic(b"{not json").unwrap_err().field, "body");
        let sev = parse(serde_json::json!({"summary": "x", "severity": "fatal"})).unwrap_err();
        assert!(sev.message.contains("critical, error, warning, info"), "{sev}");
    }

    #[test]
    fn resolve_events_need_no_severity() {
        let e = parse(serde_json::json!({"summary": "x", "status": "resolved", "dedup_key": "k"})).unwrap();
        assert_eq!(e.action, EventAction::Resolve);
        assert_eq!(e.severity, None);
    }

    #[test]
    fn severity_maps_to_sev_levels() {
        use crate::incident::Severity::*;
        let got: Vec<_> = AlertSeverity::ALL.iter().map(|s| s.incident_severity()).collect();
        assert_eq!(got, vec![Sev1, Sev2, Sev3, Sev4]);
    }

    #[test]
    fn dedup_rule() {
        use DedupDecision::*;
        use EventAction::*;
        assert_eq!(dedup(Trigger, false), OpenAlert);
        assert_eq!(dedup(Trigger, true), CountRepeat);
        assert_eq!(dedup(Acknowledge, true), AcknowledgeAlert);
        assert_eq!(dedup(Acknowledge, false), NothingOpen);
        assert_eq!(dedup(Resolve, true), ResolveAlert);
        assert_eq!(dedup(Resolve, false), NothingOpen);
    }

    #[test]
    fn severity_words_and_clipping() {
        assert_eq!(severity_from_word("CRITICAL"), Some(AlertSeverity::Critical));
        assert_eq!(severity_from_word(" warn "), Some(AlertSeverity::Warning));
        assert_eq!(severity_from_word("P4"), Some(AlertSeverity::Info));
        assert_eq!(severity_from_word("purple"), None);
        assert_eq!(clip("héllo", 10), "héllo");
        assert_eq!(clip("héllo wörld", 5), "héll…");
    }
}
