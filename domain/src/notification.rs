//! Paging a person: what a push message says (and how urgently it travels), and the person's
//! notification rule — page at once, then repeat every N minutes until someone acknowledges.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

use crate::incident::{IncidentStatus, Severity};

/// Repeat a page every `every_minutes` until acknowledged, for incidents at least as severe as
/// `min_severity` (SEV1 is the most severe).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct RepeatRule {
    pub every_minutes: u32,
    pub min_severity: Severity,
}

impl RepeatRule {
    /// The rule a person has until they choose: repeat SEV1 pages every 5 minutes.
    pub const DEFAULT: RepeatRule = RepeatRule { every_minutes: 5, min_severity: Severity::Sev1 };
    /// At most this many repeats of one page (an hour at the default rate).
    pub const MAX_REPEATS: u32 = 12;

    pub fn validate(&self) -> Result<(), crate::validation::FieldError> {
        if !(1..=120).contains(&self.every_minutes) {
            return Err(crate::validation::FieldError::new("repeat.every_minutes", "must be between 1 and 120 minutes"));
        }
        Ok(())
    }

    pub fn applies_to(&self, severity: Severity) -> bool {
        severity <= self.min_severity
    }
}

/// A person's rule as stored: no preferences row yet means the default; a row without minutes
/// means "page once".
pub fn stored_repeat_rule(has_preferences: bool, every_minutes: Option<i64>, min_severity: &str) -> Option<RepeatRule> {
    if !has_preferences {
        return Some(RepeatRule::DEFAULT);
    }
    every_minutes.map(|m| RepeatRule {
        every_minutes: u32::try_from(m).unwrap_or(RepeatRule::DEFAULT.every_minutes),
        min_severity: min_severity.parse().unwrap_or(Severity::Sev1),
    })
}

/// Why a decided page (or its retry or repeat) should not go out any more.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotWanted {
    /// Someone acknowledged (or resolved) it first.
    Incident(IncidentStatus),
    IncidentGone,
    /// Older than [`PUSH_TTL_SECS`]: escalation has moved on.
    TooOld,
}

impl fmt::Display for NotWanted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Incident(s) => write!(f, "not sent: the incident is {}", s.as_str()),
            Self::IncidentGone => f.write_str("not sent: the incident is gone"),
            Self::TooOld => f.write_str("not sent: more than an hour old"),
        }
    }
}

/// Whether a page decided at `decided_at` is still worth sending at `now`: only for a triggered
/// incident, and only while fresh.
pub fn page_wanted(status: Option<IncidentStatus>, decided_at: DateTime<Utc>, now: DateTime<Utc>) -> Result<(), NotWanted> {
    match status {
        None => Err(NotWanted::IncidentGone),
        Some(s) if s != IncidentStatus::Triggered => Err(NotWanted::Incident(s)),
        _ if decided_at < now - Duration::seconds(i64::from(PUSH_TTL_SECS)) => Err(NotWanted::TooOld),
        _ => Ok(()),
    }
}

/// When the next repeat of a page is due, if any: N minutes after the last time it went out
/// (so missed repeats after an outage do not arrive in a burst), while the incident is still
/// triggered, the rule covers its severity, and fewer than [`RepeatRule::MAX_REPEATS`] repeats
/// were sent. `repeats_sent` counts repeats only (not the first page).
pub fn next_repeat(rule: Option<RepeatRule>, severity: Severity, status: IncidentStatus, last_paged_at: DateTime<Utc>, repeats_sent: u32) -> Option<DateTime<Utc>> {
    let rule = rule?;
    if status != IncidentStatus::Triggered || !rule.applies_to(severity) || repeats_sent >= RepeatRule::MAX_REPEATS {
        return None;
    }
    Some(last_paged_at + Duration::minutes(i64::from(rule.every_minutes)))
}

/// What a push message carries. The service worker shows it and acts on it; `token` lets the
/// Acknowledge action work from the lock screen without a session.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct PushPayload {
    /// `page` for incidents, `test` for "send test notification".
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub body: String,
    /// Notifications with the same tag replace each other (one per incident).
    pub tag: String,
    /// Where "Open" goes, relative to the app.
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incident_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// Repeats of a page ask the phone to make a sound again.
    #[serde(default)]
    pub renotify: bool,
}

/// The incident a page is about, as the payload needs it.
pub struct PageSubject<'a> {
    pub incident_id: &'a str,
    pub number: i64,
    pub title: &'a str,
    pub severity: Severity,
    pub service: Option<&'a str>,
}

/// Longest title kept in a push message (the whole message must fit one 4 KB record).
const TITLE_CHARS: usize = 160;

pub fn page_payload(s: &PageSubject<'_>, token: Option<String>, reason: &str, repeat: bool) -> PushPayload {
    let title: String = s.title.chars().take(TITLE_CHARS).collect();
    let service = s.service.map(|n| format!(" · {n}")).unwrap_or_default();
    PushPayload {
        kind: "page".into(),
        title: format!("{} #{} {}", s.severity, s.number, title),
        body: format!("Triggered{service} — {reason}. Tap Acknowledge to take it."),
        tag: format!("incident-{}", s.incident_id),
        url: format!("/incidents/{}", s.incident_id),
        incident_id: Some(s.incident_id.to_string()),
        number: Some(s.number),
        severity: Some(s.severity),
        service: s.service.map(str::to_string),
        token,
        renotify: repeat,
    }
}

pub fn test_payload(device: &str) -> PushPayload {
    PushPayload {
        kind: "test".into(),
        title: "Tocsin test notification".into(),
        body: format!("Pages will reach {device} like this."),
        tag: "tocsin-test".into(),
        url: "/me".into(),
        incident_id: None,
        number: None,
        severity: None,
        service: None,
        token: None,
        renotify: false,
    }
}

/// A name a person recognises in their device list, from a user agent (`Android phone (Chrome)`,
/// `iPhone`). `ipad_as_mac`: iPadOS Safari reports a Mac user agent; the app, which can see
/// touch support, says when a "Mac" is really an iPad.
pub fn device_name(ua: &str, ipad_as_mac: bool) -> String {
    let has = |s: &str| ua.contains(s);
    let device = if has("iPhone") {
        "iPhone"
    } else if has("iPad") || (has("Macintosh") && ipad_as_mac) {
        "iPad"
    } else if has("Android") {
        if has("Mobile") { "Android phone" } else { "Android tablet" }
    } else if has("Windows") {
        "Windows PC"
    } else if has("Macintosh") {
        "Mac"
    } else if has("CrOS") {
        "Chromebook"
    } else if has("Linux") {
        "Linux PC"
    } else {
        "This device"
    };
    let browser = if has("Edg/") {
        "Edge"
    } else if has("Firefox/") || has("FxiOS/") {
        "Firefox"
    } else if has("Chrome/") || has("CriOS/") {
        "Chrome"
    } else if has("Safari/") {
        "Safari"
    } else {
        ""
    };
    if browser.is_empty() || (matches!(device, "iPhone" | "iPad") && browser == "Safari") {
        device.into()
    } else {
        format!("{device} ({browser})")
    }
}

/// RFC 8030 `Urgency`: SEV1–2 pages must wake the phone; the rest may wait for a good moment.
pub fn urgency(severity: Option<Severity>) -> &'static str {
    match severity {
        Some(Severity::Sev1 | Severity::Sev2) => "high",
        Some(_) => "normal",
        None => "normal",
    }
}

/// RFC 8030 `TTL` in seconds: a page older than an hour is stale (escalation has moved on).
pub const PUSH_TTL_SECS: u32 = 3600;

/// How long a dispatcher's claim on a delivery keeps every other runner off it (ms): after it,
/// any runner may send the delivery.
pub const CLAIM_LEASE_MS: i64 = 60_000;

/// Whether a request started at `request_started` may still claim deliveries before its response
/// at `now` (it sends them after the response): only in its first quarter-lease, so that what it
/// claims is sent well within the lease even if the rest of the request is slow.
pub fn may_claim_before_response(request_started: i64, now: i64) -> bool {
    now - request_started < CLAIM_LEASE_MS / 4
}

/// Whether deliveries claimed at `claimed_at` may still be sent by their claimer at `now`: within
/// half the lease (a send takes at most a few seconds), never when another runner could already
/// have taken them — later, they are left to whichever runner does once the lease has passed.
pub fn claim_still_sendable(claimed_at: i64, now: i64) -> bool {
    now - claimed_at < CLAIM_LEASE_MS / 2
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, 3, 0, 0).unwrap()
    }

    #[test]
    fn a_claim_is_made_early_and_sent_well_within_its_lease() {
        assert!(may_claim_before_response(1_000, 1_000));
        assert!(may_claim_before_response(1_000, 1_000 + 14_999));
        assert!(!may_claim_before_response(1_000, 1_000 + 15_000));
        assert!(claim_still_sendable(5_000, 5_000 + 29_999));
        assert!(!claim_still_sendable(5_000, 5_000 + 30_000));
        // The latest claim still sendable plus the longest send stays inside the lease.
        assert!(CLAIM_LEASE_MS / 2 + 10_000 < CLAIM_LEASE_MS);
    }

    #[test]
    fn repeats_until_acknowledged_for_covered_severities() {
        let r = Some(RepeatRule::DEFAULT);
        assert_eq!(next_repeat(r, Severity::Sev1, IncidentStatus::Triggered, t0(), 0), Some(t0() + Duration::minutes(5)));
        // Counted from the last page: a repeat sent late (the cron was down) does not bunch up.
        let late = t0() + Duration::minutes(47);
        assert_eq!(next_repeat(r, Severity::Sev1, IncidentStatus::Triggered, late, 2), Some(late + Duration::minutes(5)));
        assert_eq!(next_repeat(r, Severity::Sev2, IncidentStatus::Triggered, t0(), 0), None, "default covers SEV1 only");
        assert_eq!(next_repeat(r, Severity::Sev1, IncidentStatus::Acknowledged, t0(), 0), None);
        assert_eq!(next_repeat(r, Severity::Sev1, IncidentStatus::Resolved, t0(), 0), None);
        assert_eq!(next_repeat(r, Severity::Sev1, IncidentStatus::Triggered, t0(), RepeatRule::MAX_REPEATS), None);
        assert_eq!(next_repeat(None, Severity::Sev1, IncidentStatus::Triggered, t0(), 0), None);
        let wide = Some(RepeatRule { every_minutes: 2, min_severity: Severity::Sev3 });
        assert_eq!(next_repeat(wide, Severity::Sev2, IncidentStatus::Triggered, t0(), 0), Some(t0() + Duration::minutes(2)));
        assert_eq!(next_repeat(wide, Severity::Sev4, IncidentStatus::Triggered, t0(), 0), None);
    }

    #[test]
    fn devices_are_named_from_their_user_agent() {
        let pixel = "Mozilla/5.0 (Linux; Android 15; Pixel 9) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Mobile Safari/537.36";
        assert_eq!(device_name(pixel, false), "Android phone (Chrome)");
        let iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1";
        assert_eq!(device_name(iphone, false), "iPhone");
        let mac = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15";
        assert_eq!(device_name(mac, false), "Mac (Safari)");
        assert_eq!(device_name(mac, true), "iPad");
        assert_eq!(device_name("Mozilla/5.0 (Windows NT 10.0; Win64; x64) Gecko/20100101 Firefox/140.0", false), "Windows PC (Firefox)");
        assert_eq!(device_name("curl/8.0", false), "This device");
    }

    #[test]
    fn pages_go_out_only_while_triggered_and_fresh() {
        let t = t0();
        assert_eq!(page_wanted(Some(IncidentStatus::Triggered), t, t + Duration::minutes(59)), Ok(()));
        assert_eq!(page_wanted(Some(IncidentStatus::Triggered), t, t + Duration::minutes(61)), Err(NotWanted::TooOld));
        assert_eq!(page_wanted(Some(IncidentStatus::Acknowledged), t, t), Err(NotWanted::Incident(IncidentStatus::Acknowledged)));
        assert_eq!(page_wanted(Some(IncidentStatus::Resolved), t, t + Duration::hours(5)), Err(NotWanted::Incident(IncidentStatus::Resolved)));
        assert_eq!(page_wanted(None, t, t), Err(NotWanted::IncidentGone));
        assert_eq!(NotWanted::Incident(IncidentStatus::Acknowledged).to_string(), "not sent: the incident is acknowledged");
    }

    #[test]
    fn stored_rules_default_until_chosen() {
        assert_eq!(stored_repeat_rule(false, None, "SEV1"), Some(RepeatRule::DEFAULT));
        assert_eq!(stored_repeat_rule(true, None, "SEV1"), None, "chose to be paged once");
        assert_eq!(stored_repeat_rule(true, Some(10), "SEV2"), Some(RepeatRule { every_minutes: 10, min_severity: Severity::Sev2 }));
    }

    #[test]
    fn rules_are_validated() {
        assert!(RepeatRule { every_minutes: 0, min_severity: Severity::Sev1 }.validate().is_err());
        assert!(RepeatRule { every_minutes: 121, min_severity: Severity::Sev1 }.validate().is_err());
        assert!(RepeatRule::DEFAULT.validate().is_ok());
    }

    #[test]
    fn payloads_fit_one_record_and_carry_what_the_service_worker_needs() {
        let long = "x".repeat(10_000);
        let s = PageSubject { incident_id: "0190-abc", number: 42, title: &long, severity: Severity::Sev1, service: Some("Checkout API") };
        let p = page_payload(&s, Some("tok".into()), "level 1", false);
        let json = serde_json::to_string(&p).unwrap();
        assert!(json.len() < 1000, "{}", json.len());
        assert_eq!(p.url, "/incidents/0190-abc");
        assert_eq!(p.tag, "incident-0190-abc");
        assert!(p.title.starts_with("SEV1 #42 "));
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["type"], "page");
        assert_eq!(v["token"], "tok");
        assert_eq!(v["severity"], "SEV1");
        assert_eq!(urgency(Some(Severity::Sev1)), "high");
        assert_eq!(urgency(Some(Severity::Sev2)), "high");
        assert_eq!(urgency(Some(Severity::Sev3)), "normal");
        assert_eq!(urgency(None), "normal");
    }
}

/// A page's final delivery outcome, as its incident's timeline row: `(kind, text after the
/// person's name)`, or `None` while it is still being retried (and for deliveries that are not
/// pages: tests, events to chat). `channel` is the delivery's (`push`, `personal_webhook`),
/// `device` the push device's name when known, `outcome` the last attempt's description.
pub fn page_outcome(event: &str, channel: &str, state: &str, device: Option<&str>, outcome: &str) -> Option<(&'static str, String)> {
    if event != "page" {
        return None;
    }
    let via = match (channel, device) {
        ("push", Some(d)) => format!("push to {d}"),
        ("push", None) => "push".to_string(),
        _ => "their webhook".to_string(),
    };
    match state {
        "sent" => Some(("page.delivered", format!(": page delivered ({via})"))),
        "failed" => Some(("page.failed", format!(": page NOT delivered ({via}): {outcome}"))),
        "gone" => Some(("page.failed", format!(": page NOT delivered ({via}): the device unsubscribed and was removed"))),
        _ => None,
    }
}

#[cfg(test)]
mod page_outcome_tests {
    use super::page_outcome;

    #[test]
    fn only_a_pages_final_state_goes_on_the_record() {
        assert_eq!(page_outcome("page", "push", "sent", Some("Pixel 8"), "201"), Some(("page.delivered", ": page delivered (push to Pixel 8)".into())));
        assert_eq!(
            page_outcome("page", "personal_webhook", "failed", None, "HTTP 500 after 5 attempts"),
            Some(("page.failed", ": page NOT delivered (their webhook): HTTP 500 after 5 attempts".into()))
        );
        assert_eq!(page_outcome("page", "push", "gone", None, "410").map(|p| p.0), Some("page.failed"));
        assert_eq!(page_outcome("page", "push", "pending", Some("Pixel"), "503, retrying"), None, "still being retried");
        assert_eq!(page_outcome("test", "push", "sent", Some("Pixel"), "201"), None);
        assert_eq!(page_outcome("incident.opened", "webhook", "failed", None, "500"), None);
    }
}
