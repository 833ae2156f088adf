//! Monitoring vendors' payloads → [`AlertEvent`]s. One module per vendor; every parser takes
//! untrusted bytes and returns events or a field error, and never panics.

pub mod alertmanager;
pub mod cloudwatch;
pub mod datadog;
pub mod grafana;
pub mod integrations;
pub mod opsgenie;
pub mod pagerduty;
pub mod replay;
pub mod sentry;
pub mod signature;

use crate::alert::{AlertEvent, Link};
use crate::validation::FieldError;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

/// The webhook formats accepted at `POST /webhooks/{vendor}/{integration_key}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Vendor {
    Generic,
    Alertmanager,
    Grafana,
    Datadog,
    Cloudwatch,
    Sentry,
    PagerDuty,
    Opsgenie,
}

impl Vendor {
    pub const WEBHOOKS: [Vendor; 6] =
        [Self::Generic, Self::Alertmanager, Self::Grafana, Self::Datadog, Self::Cloudwatch, Self::Sentry];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Generic => "generic",
            Self::Alertmanager => "alertmanager",
            Self::Grafana => "grafana",
            Self::Datadog => "datadog",
            Self::Cloudwatch => "cloudwatch",
            Self::Sentry => "sentry",
            Self::PagerDuty => "pagerduty",
            Self::Opsgenie => "opsgenie",
        }
    }

    /// How the vendor is named on timelines ("Resolved by Grafana").
    pub fn display_name(self) -> &'static str {
        match self {
            Self::Generic => "Webhook",
            Self::Alertmanager => "Alertmanager",
            Self::Grafana => "Grafana",
            Self::Datadog => "Datadog",
            Self::Cloudwatch => "CloudWatch",
            Self::Sentry => "Sentry",
            Self::PagerDuty => "PagerDuty Events API",
            Self::Opsgenie => "Opsgenie API",
        }
    }
}

impl Vendor {
    /// Senders that can prove a service's webhook secret: an HMAC over the body (Grafana, Sentry)
    /// or the secret itself in a header / bearer token (Datadog, Alertmanager, generic JSON).
    /// PagerDuty's and Opsgenie's APIs carry only the integration key; SNS is signed by AWS.
    pub fn proves_secret(self) -> bool {
        matches!(self, Self::Grafana | Self::Sentry | Self::Datadog | Self::Alertmanager | Self::Generic)
    }

    /// Every sender, for listing and validating a service's `allowed_senders`.
    pub const ALL: [Vendor; 8] = [Self::Generic, Self::Alertmanager, Self::Grafana, Self::Datadog, Self::Cloudwatch, Self::Sentry, Self::PagerDuty, Self::Opsgenie];
}

/// Whether a service accepts a delivery from `vendor`. An explicit list decides alone; without
/// one, a service with a webhook secret accepts only senders that prove it (so the bare
/// integration key on `/v2/enqueue` or `/v2/alerts` cannot bypass the secret), and a service
/// without a secret accepts every sender.
pub fn sender_allowed(vendor: Vendor, secret_set: bool, allowed: Option<&[Vendor]>) -> bool {
    match allowed {
        Some(list) => list.contains(&vendor),
        None => !secret_set || vendor.proves_secret(),
    }
}

impl fmt::Display for Vendor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Vendor {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        Self::ALL.into_iter().find(|v| v.as_str() == s).ok_or(())
    }
}

#[cfg(test)]
mod sender_tests {
    use super::*;

    #[test]
    fn a_secret_shuts_out_senders_that_cannot_prove_it_unless_listed() {
        for v in Vendor::ALL {
            assert!(sender_allowed(v, false, None), "no secret, no list: everyone ({v})");
        }
        assert!(sender_allowed(Vendor::Grafana, true, None));
        assert!(sender_allowed(Vendor::Datadog, true, None));
        assert!(!sender_allowed(Vendor::PagerDuty, true, None), "the bare key must not bypass the secret");
        assert!(!sender_allowed(Vendor::Opsgenie, true, None));
        assert!(!sender_allowed(Vendor::Cloudwatch, true, None));
        let list = [Vendor::Grafana, Vendor::PagerDuty];
        assert!(sender_allowed(Vendor::PagerDuty, true, Some(&list)), "listed by an admin");
        assert!(!sender_allowed(Vendor::Generic, false, Some(&list)), "a list decides alone");
        assert!(!sender_allowed(Vendor::Opsgenie, false, Some(&[])), "an empty list accepts nobody");
    }
}

/// Parses a webhook body of a vendor whose payload alone determines the events.
/// (CloudWatch's SNS envelope and Sentry's resource header need more: see their modules.)
pub fn parse_webhook(vendor: Vendor, body: &[u8]) -> Result<Vec<AlertEvent>, FieldError> {
    match vendor {
        Vendor::Generic => crate::alert::parse_generic(body).map(|e| vec![e]),
        Vendor::Alertmanager => alertmanager::parse(body),
        Vendor::Grafana => grafana::parse(body),
        Vendor::Datadog => datadog::parse(body).map(|e| vec![e]),
        Vendor::Sentry => sentry::parse(body, None).map(|e| e.into_iter().collect()),
        Vendor::Cloudwatch => match cloudwatch::parse(body)? {
            cloudwatch::SnsMessage::Notification { events, .. } => Ok(events),
            _ => Ok(vec![]),
        },
        Vendor::PagerDuty => pagerduty::parse(body).map(|(_, e)| vec![e]).map_err(|e| FieldError::new("body", e.join("; "))),
        Vendor::Opsgenie => opsgenie::parse_create(body).map(|e| vec![e]),
    }
}

// Small readers over untrusted JSON: never panic, treat wrong types as absent.

pub(crate) fn s(v: &Value, path: &[&str]) -> Option<String> {
    let mut cur = v;
    for p in path {
        cur = cur.get(p)?;
    }
    match cur {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

pub(crate) fn obj(v: &Value, key: &str) -> Map<String, Value> {
    v.get(key).and_then(Value::as_object).cloned().unwrap_or_default()
}

/// A JSON object of labels as flat strings (non-string values are rendered as JSON).
pub(crate) fn labels(v: &Value, key: &str) -> BTreeMap<String, String> {
    obj(v, key)
        .into_iter()
        .map(|(k, v)| {
            let s = match v {
                Value::String(s) => s,
                other => other.to_string(),
            };
            (k, s)
        })
        .collect()
}

pub(crate) fn link(href: Option<String>, text: &str) -> Option<Link> {
    href.filter(|h| h.starts_with("http://") || h.starts_with("https://"))
        .map(|href| Link { href, text: text.to_string() })
}

pub(crate) fn time(v: &Value, key: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    let raw = v.get(key)?.as_str()?;
    let t = chrono::DateTime::parse_from_rfc3339(raw).ok()?.with_timezone(&chrono::Utc);
    // Alertmanager's "zero time" (0001-01-01) and other placeholders mean "not set".
    (t.timestamp() > 0).then_some(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vendor_names_round_trip() {
        for v in Vendor::WEBHOOKS {
            assert_eq!(v.as_str().parse::<Vendor>(), Ok(v));
        }
        assert!("nagios".parse::<Vendor>().is_err());
    }

    #[test]
    fn readers_tolerate_wrong_types() {
        let v = serde_json::json!({"a": {"b": 3}, "c": [1], "d": "  ", "t": "0001-01-01T00:00:00Z", "u": "2026-01-02T03:04:05Z"});
        assert_eq!(s(&v, &["a", "b"]).as_deref(), Some("3"));
        assert_eq!(s(&v, &["c"]), None);
        assert_eq!(s(&v, &["d"]), None);
        assert_eq!(s(&v, &["a", "b", "c"]), None);
        assert!(obj(&v, "c").is_empty());
        assert_eq!(time(&v, "t"), None);
        assert!(time(&v, "u").is_some());
    }
}
