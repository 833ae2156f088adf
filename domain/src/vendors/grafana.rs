//! Grafana unified alerting webhook contact point. The shape is Alertmanager's, with per-alert
//! `values`, `dashboardURL`, `panelURL`, `silenceURL` and `imageURL`; each alert is keyed by its
//! fingerprint. An optional HMAC-SHA256 signature is checked by [`verify`].

use super::alertmanager;
use super::signature::verify_hmac_sha256_hex;
use super::{link, s};
use crate::alert::AlertEvent;
use crate::validation::{parse_json, FieldError};
use serde_json::Value;

/// Header Grafana puts the hex HMAC-SHA256 in (the contact point's "HMAC signature" setting).
pub const SIGNATURE_HEADER: &str = "X-Grafana-Alerting-Signature";
/// When the contact point also sets a timestamp header, the signed text is `"{timestamp}:{body}"`.
pub const TIMESTAMP_HEADER: &str = "X-Grafana-Alerting-Signature-Timestamp";

pub fn verify(secret: &str, body: &[u8], signature: Option<&str>, timestamp: Option<&str>) -> bool {
    let Some(sig) = signature else { return false };
    match timestamp {
        Some(ts) => {
            let mut msg = format!("{ts}:").into_bytes();
            msg.extend_from_slice(body);
            verify_hmac_sha256_hex(secret.as_bytes(), &msg, sig)
        }
        None => verify_hmac_sha256_hex(secret.as_bytes(), body, sig),
    }
}

pub fn parse(body: &[u8]) -> Result<Vec<AlertEvent>, FieldError> {
    let v = parse_json(body)?;
    let alerts = v
        .get("alerts")
        .and_then(Value::as_array)
        .ok_or_else(|| FieldError::new("alerts", "is required: a Grafana webhook has an alerts array"))?;
    let external = s(&v, &["externalURL"]);
    let mut out = Vec::with_capacity(alerts.len());
    for (i, a) in alerts.iter().enumerate() {
        let mut e = alertmanager::alert(a, i, None, &v)?;
        e.links.clear();
        e.links.extend(link(s(a, &["dashboardURL"]), "Dashboard"));
        e.links.extend(link(s(a, &["panelURL"]), "Panel"));
        e.links.extend(link(s(a, &["generatorURL"]), "Alert rule"));
        e.links.extend(link(s(a, &["silenceURL"]), "Silence"));
        e.links.extend(link(s(a, &["imageURL"]), "Image"));
        if e.links.is_empty() {
            e.links.extend(link(external.clone(), "Grafana"));
        }
        for key in ["values", "valueString"] {
            if let Some(val) = a.get(key).filter(|v| !v.is_null()) {
                e.details.insert(key.into(), val.clone());
            }
        }
        if e.source.is_none() {
            e.source = Some("grafana".into());
        }
        out.push(e);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::{AlertSeverity, EventAction};
    use crate::vendors::signature::hmac_sha256_hex;

    const FIXTURE: &str = include_str!("../../../tests/fixtures/grafana.json");

    #[test]
    fn parses_grafana_alerts_with_links_and_values() {
        let events = parse(FIXTURE.as_bytes()).unwrap();
        assert_eq!(events.len(), 1);
        let e = &events[0];
        assert_eq!(e.action, EventAction::Trigger);
        assert_eq!(e.dedup_key, "57c6d9296de2ad39");
        assert_eq!(e.summary, "CPU on web-1 above 90%");
        assert_eq!(e.severity, Some(AlertSeverity::Warning));
        assert_eq!(e.details["values"]["B"], 92.3);
        let texts: Vec<&str> = e.links.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(texts, ["Dashboard", "Panel", "Alert rule", "Silence"]);
    }

    #[test]
    fn signatures_with_and_without_timestamp() {
        let body = FIXTURE.as_bytes();
        let sig = hmac_sha256_hex(b"grafana-secret", body);
        assert!(verify("grafana-secret", body, Some(&sig), None));
        assert!(!verify("wrong", body, Some(&sig), None));
        assert!(!verify("grafana-secret", body, None, None));
        let mut signed = b"1732440000:".to_vec();
        signed.extend_from_slice(body);
        let sig_ts = hmac_sha256_hex(b"grafana-secret", &signed);
        assert!(verify("grafana-secret", body, Some(&sig_ts), Some("1732440000")));
        assert!(!verify("grafana-secret", body, Some(&sig_ts), None));
    }
}
