//! Amazon SNS HTTP(S) deliveries of CloudWatch alarms. The SNS envelope is either a
//! `SubscriptionConfirmation` (recorded; the admin or Tocsin visits the SubscribeURL), a
//! `Notification` whose `Message` is the alarm JSON (ALARM → trigger, OK → resolve, keyed by the
//! alarm ARN), or an `UnsubscribeConfirmation`. Every envelope is signed by SNS: [`verify`]
//! checks the RSA signature (SignatureVersion 1: SHA1, 2: SHA256) against the certificate, which
//! may only come from an `sns.<region>.amazonaws.com` host ([`cert_url_allowed`]).

use super::s;
use crate::alert::{clip, AlertEvent, AlertSeverity, EventAction, Link, MAX_SUMMARY_CHARS};
use crate::validation::{parse_json, FieldError};
use base64::Engine;
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::pkcs8::DecodePublicKey;
use rsa::signature::Verifier;
use rsa::RsaPublicKey;
use serde_json::{Map, Value};
use x509_cert::der::{DecodePem, Encode};
use x509_cert::Certificate;

/// The signed fields of an SNS envelope.
#[derive(Clone, Debug, PartialEq)]
pub struct Envelope {
    pub kind: String,
    pub message_id: String,
    pub topic_arn: String,
    pub subject: Option<String>,
    pub message: String,
    pub timestamp: String,
    pub token: Option<String>,
    pub subscribe_url: Option<String>,
    pub signature_version: String,
    pub signature: String,
    pub signing_cert_url: String,
}

#[derive(Clone, Debug, PartialEq)]
pub enum SnsMessage {
    SubscriptionConfirmation { envelope: Envelope },
    Notification { envelope: Envelope, events: Vec<AlertEvent> },
    UnsubscribeConfirmation { envelope: Envelope },
}

impl SnsMessage {
    pub fn envelope(&self) -> &Envelope {
        match self {
            Self::SubscriptionConfirmation { envelope }
            | Self::Notification { envelope, .. }
            | Self::UnsubscribeConfirmation { envelope } => envelope,
        }
    }
}

pub fn parse(body: &[u8]) -> Result<SnsMessage, FieldError> {
    let v = parse_json(body)?;
    let req = |k: &str| s(&v, &[k]).ok_or_else(|| FieldError::new(k, "is required in an SNS message"));
    let envelope = Envelope {
        kind: req("Type")?,
        message_id: req("MessageId")?,
        topic_arn: req("TopicArn")?,
        subject: s(&v, &["Subject"]),
        message: v.get("Message").and_then(Value::as_str).map(str::to_string).ok_or_else(|| FieldError::new("Message", "is required"))?,
        timestamp: req("Timestamp")?,
        token: s(&v, &["Token"]),
        subscribe_url: s(&v, &["SubscribeURL"]),
        signature_version: req("SignatureVersion")?,
        signature: req("Signature")?,
        signing_cert_url: req("SigningCertURL")?,
    };
    match envelope.kind.as_str() {
        "SubscriptionConfirmation" => {
            if envelope.subscribe_url.is_none() || envelope.token.is_none() {
                return Err(FieldError::new("SubscribeURL", "is required in a SubscriptionConfirmation"));
            }
            Ok(SnsMessage::SubscriptionConfirmation { envelope })
        }
        "UnsubscribeConfirmation" => Ok(SnsMessage::UnsubscribeConfirmation { envelope }),
        "Notification" => {
            let events = alarm(&envelope.message)?.into_iter().collect();
            Ok(SnsMessage::Notification { envelope, events })
        }
        other => Err(FieldError::new("Type", format!("unknown SNS message type {other:?}"))),
    }
}

/// The CloudWatch alarm inside a notification. `INSUFFICIENT_DATA` carries no alert.
fn alarm(message: &str) -> Result<Option<AlertEvent>, FieldError> {
    let a: Value = serde_json::from_str(message)
        .map_err(|_| FieldError::new("Message", "is not a CloudWatch alarm (expected the alarm as JSON)"))?;
    let arn = s(&a, &["AlarmArn"]).ok_or_else(|| FieldError::new("Message.AlarmArn", "is required"))?;
    let name = s(&a, &["AlarmName"]).unwrap_or_else(|| arn.clone());
    let action = match s(&a, &["NewStateValue"]).as_deref() {
        Some("ALARM") => EventAction::Trigger,
        Some("OK") => EventAction::Resolve,
        Some("INSUFFICIENT_DATA") => return Ok(None),
        _ => return Err(FieldError::new("Message.NewStateValue", "must be ALARM, OK or INSUFFICIENT_DATA")),
    };
    let summary = match s(&a, &["AlarmDescription"]) {
        Some(d) => format!("{name}: {d}"),
        None => name.clone(),
    };
    let mut details = Map::new();
    for key in ["NewStateReason", "StateChangeTime", "Region", "AWSAccountId", "OldStateValue", "Trigger"] {
        if let Some(val) = a.get(key).filter(|x| !x.is_null()) {
            details.insert(key.into(), val.clone());
        }
    }
    let changed = s(&a, &["StateChangeTime"]).and_then(|t| state_change_time(&t));
    let region_link = s(&a, &["Region"]).and(arn.split(':').nth(3).map(str::to_string)).map(|region| Link {
        href: format!("https://console.aws.amazon.com/cloudwatch/home?region={region}#alarmsV2:alarm/{}", url_component(&name)),
        text: "CloudWatch alarm".into(),
    });
    Ok(Some(AlertEvent {
        alert_id: None,
        action,
        summary: clip(&summary, MAX_SUMMARY_CHARS),
        severity: Some(AlertSeverity::Error),
        dedup_key: crate::alert::key_within(&arn, crate::alert::MAX_DEDUP_KEY_CHARS),
        dedup_key_derived: false,
        source: Some(s(&a, &["AWSAccountId"]).map(|acct| format!("aws:{acct}")).unwrap_or_else(|| "cloudwatch".into())),
        details,
        // When the alarm entered this state: also the firing's start.
        started_at: changed.filter(|_| action == EventAction::Trigger),
        source_changed_at: changed,
        links: region_link.into_iter().collect(),
        fields: Default::default(),
    }))
}

/// CloudWatch writes `StateChangeTime` as `2026-11-24T10:01:12.345+0000` (an offset without a
/// colon, not RFC 3339); RFC 3339 is taken too.
fn state_change_time(t: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S%.f%z")
        .or_else(|_| chrono::DateTime::parse_from_rfc3339(t))
        .ok()
        .map(|t| t.with_timezone(&chrono::Utc))
}

fn url_component(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The text SNS signs: selected fields as `Name\nvalue\n`, in this order.
/// Signature versions SNS uses (1: SHA1withRSA, 2: SHA256withRSA). Anything else is refused
/// before any certificate is fetched.
pub fn supported_signature_version(v: &str) -> bool {
    matches!(v, "1" | "2")
}

/// The topic pin: which SNS topics may deliver to a service (a correctly signed message from
/// another AWS account's topic is still refused).
///
/// With the service's expected topic set (`sns_topic_arn`), that topic and no other: nothing
/// is left to whoever subscribes first.
///
/// Without it, trust on first use: the first confirmed subscription fixes the topic. A
/// confirmation for a new topic is accepted only while nothing is confirmed; a notification only
/// from a confirmed topic. A subscription confirmed by hand (the panel's link, or the AWS
/// console) stays `pending` here: while nothing is confirmed, a notification from a pending topic
/// is accepted, and its verified signature confirms (pins) that topic.
pub fn topic_allowed(is_confirmation: bool, topic: &str, expected: Option<&str>, confirmed: &[&str], pending: &[&str]) -> bool {
    match expected {
        Some(e) => topic == e,
        None if is_confirmation => confirmed.is_empty() || confirmed.contains(&topic),
        None => confirmed.contains(&topic) || confirmed.is_empty() && pending.contains(&topic),
    }
}

/// A service's expected topic as an admin types it: an SNS topic ARN,
/// `arn:<partition>:sns:<region>:<12-digit account>:<name>` (names as SNS allows them: 1–256
/// letters, digits, `-` and `_`, `.fifo` at the end of a FIFO topic's). The error names what
/// is wrong.
pub fn topic_arn(value: &str) -> Result<String, &'static str> {
    let v = value.trim();
    let parts: Vec<&str> = v.splitn(6, ':').collect();
    let [arn, partition, service, region, account, name] = parts[..] else {
        return Err("must be an SNS topic ARN: arn:aws:sns:<region>:<account>:<topic>");
    };
    if arn != "arn" || !partition.starts_with("aws") || !partition.chars().all(|c| c.is_ascii_lowercase() || c == '-') {
        return Err("must start with arn:aws (or another AWS partition, e.g. arn:aws-cn)");
    }
    if service != "sns" {
        return Err("must be an SNS topic's ARN (arn:aws:sns:…)");
    }
    if region.is_empty() || !region.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-') {
        return Err("has no valid region (e.g. eu-west-1)");
    }
    if account.len() != 12 || !account.chars().all(|c| c.is_ascii_digit()) {
        return Err("must hold the 12-digit AWS account id");
    }
    let base = name.strip_suffix(".fifo").unwrap_or(name);
    if base.is_empty() || name.len() > 256 || !base.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        return Err("has no valid topic name (1–256 letters, digits, - and _)");
    }
    Ok(v.to_string())
}

#[cfg(test)]
mod pin_tests {
    use super::*;

    #[test]
    fn the_first_confirmed_topic_is_pinned() {
        assert!(topic_allowed(true, "arn:a", None, &[], &[]), "the first confirmation");
        assert!(!topic_allowed(false, "arn:a", None, &[], &[]), "no notification before a subscription");
        assert!(topic_allowed(false, "arn:a", None, &["arn:a"], &[]));
        assert!(!topic_allowed(false, "arn:evil", None, &["arn:a"], &[]), "another account's topic");
        assert!(!topic_allowed(true, "arn:evil", None, &["arn:a"], &[]), "cannot re-pin by confirming another topic");
        assert!(topic_allowed(true, "arn:a", None, &["arn:a"], &[]), "SNS may resend the confirmation");
        assert!(topic_allowed(false, "arn:a", None, &[], &["arn:a"]), "confirmed by hand: the first notification pins it");
        assert!(!topic_allowed(false, "arn:b", None, &["arn:a"], &["arn:b"]), "not once another topic is pinned");
        assert!(supported_signature_version("1") && supported_signature_version("2"));
        assert!(!supported_signature_version("3") && !supported_signature_version(""));
    }

    #[test]
    fn an_expected_topic_admits_that_topic_only() {
        let arn = "arn:aws:sns:eu-west-1:123456789012:alarms";
        let e = Some(arn);
        assert!(topic_allowed(true, arn, e, &[], &[]), "its confirmation");
        assert!(!topic_allowed(true, "arn:aws:sns:eu-west-1:999999999999:alarms", e, &[], &[]), "not another account's, even first");
        assert!(!topic_allowed(false, "arn:evil", e, &["arn:evil"], &[]), "not a topic pinned before the setting");
        assert!(topic_allowed(false, arn, e, &["arn:evil"], &[]), "the expected one, whatever was pinned");
        assert!(topic_allowed(false, arn, e, &[], &[]), "confirmed by hand");
    }

    #[test]
    fn topic_arns_are_checked() {
        assert_eq!(topic_arn(" arn:aws:sns:eu-west-1:123456789012:alarms ").as_deref(), Ok("arn:aws:sns:eu-west-1:123456789012:alarms"));
        assert!(topic_arn("arn:aws-cn:sns:cn-north-1:123456789012:a_b-c.fifo").is_ok());
        for bad in [
            "",
            "alarms",
            "arn:aws:sqs:eu-west-1:123456789012:q",
            "arn:aws:sns:eu-west-1:1234:alarms",
            "arn:aws:sns::123456789012:alarms",
            "arn:aws:sns:eu-west-1:123456789012:",
            "arn:aws:sns:eu-west-1:123456789012:a b",
            "arn:gcp:sns:eu-west-1:123456789012:a",
            "arn:aws:sns:eu-west-1:123456789012:a:b",
            "arn:aws:sns:eu-west-1:123456789012:.fifo",
        ] {
            assert!(topic_arn(bad).is_err(), "{bad}");
        }
    }
}

pub fn string_to_sign(e: &Envelope) -> String {
    let mut out = String::new();
    let mut add = |k: &str, v: &str| {
        out.push_str(k);
        out.push('\n');
        out.push_str(v);
        out.push('\n');
    };
    add("Message", &e.message);
    add("MessageId", &e.message_id);
    if e.kind == "Notification" {
        if let Some(subj) = &e.subject {
            add("Subject", subj);
        }
    } else {
        add("SubscribeURL", e.subscribe_url.as_deref().unwrap_or(""));
    }
    add("Timestamp", &e.timestamp);
    if e.kind != "Notification" {
        add("Token", e.token.as_deref().unwrap_or(""));
    }
    add("TopicArn", &e.topic_arn);
    add("Type", &e.kind);
    out
}

/// Certificates come only from SNS itself: `https://sns.<region>.amazonaws.com[.cn]/….pem`.
/// `allowed_test_prefix` lets a test configuration name one extra URL prefix (a local server).
pub fn cert_url_allowed(url: &str, allowed_test_prefix: Option<&str>) -> bool {
    if let Some(prefix) = allowed_test_prefix.filter(|p| !p.is_empty()) {
        if url.starts_with(prefix) {
            return true;
        }
    }
    let Some(rest) = url.strip_prefix("https://") else { return false };
    let host = rest.split('/').next().unwrap_or("");
    let region_ok = |r: &str| !r.is_empty() && r.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    let ok_host = host
        .strip_prefix("sns.")
        .and_then(|h| h.strip_suffix(".amazonaws.com").or_else(|| h.strip_suffix(".amazonaws.com.cn")))
        .is_some_and(region_ok);
    ok_host && url.ends_with(".pem")
}

/// Tocsin visits a SubscribeURL only on an SNS host (or the test prefix), never elsewhere.
pub fn subscribe_url_allowed(url: &str, allowed_test_prefix: Option<&str>) -> bool {
    if allowed_test_prefix.is_some_and(|p| !p.is_empty() && url.starts_with(p)) {
        return true;
    }
    let host = url.strip_prefix("https://").map(|r| r.split(['/', '?']).next().unwrap_or(""));
    host.and_then(|h| h.strip_prefix("sns."))
        .and_then(|h| h.strip_suffix(".amazonaws.com").or_else(|| h.strip_suffix(".amazonaws.com.cn")))
        .is_some_and(|r| !r.is_empty() && r.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'))
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("SignatureVersion {0:?} is not supported (1 or 2)")]
    UnsupportedVersion(String),
    #[error("the signing certificate is not a PEM X.509 certificate with an RSA key")]
    BadCertificate,
    #[error("the signature is not valid base64")]
    BadEncoding,
    #[error("the signature does not match the message")]
    Mismatch,
}

/// Checks an envelope's signature with the PEM certificate fetched from its SigningCertURL.
pub fn verify(e: &Envelope, cert_pem: &str) -> Result<(), SignatureError> {
    let cert = Certificate::from_pem(cert_pem.trim().as_bytes()).map_err(|_| SignatureError::BadCertificate)?;
    let spki = cert.tbs_certificate.subject_public_key_info.to_der().map_err(|_| SignatureError::BadCertificate)?;
    let key = RsaPublicKey::from_public_key_der(&spki).map_err(|_| SignatureError::BadCertificate)?;
    let sig = base64::engine::general_purpose::STANDARD.decode(e.signature.trim()).map_err(|_| SignatureError::BadEncoding)?;
    let sig = Signature::try_from(sig.as_slice()).map_err(|_| SignatureError::BadEncoding)?;
    let text = string_to_sign(e);
    let ok = match e.signature_version.as_str() {
        "1" => VerifyingKey::<sha1::Sha1>::new(key).verify(text.as_bytes(), &sig).is_ok(),
        "2" => VerifyingKey::<sha2::Sha256>::new(key).verify(text.as_bytes(), &sig).is_ok(),
        other => return Err(SignatureError::UnsupportedVersion(other.to_string())),
    };
    if ok {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rsa::pkcs1v15::SigningKey;
    use rsa::pkcs8::DecodePrivateKey;
    use rsa::signature::{SignatureEncoding, Signer};

    const NOTIFICATION: &str = include_str!("../../../tests/fixtures/sns_notification.json");
    const CERT: &str = include_str!("../../../tests/fixtures/sns/test-cert.pem");
    const KEY: &str = include_str!("../../../tests/fixtures/sns/test-key.pem");

    fn signed(mut e: Envelope, version: &str) -> Envelope {
        let key = rsa::RsaPrivateKey::from_pkcs8_pem(KEY).unwrap();
        e.signature_version = version.into();
        let text = string_to_sign(&e);
        let sig = match version {
            "1" => SigningKey::<sha1::Sha1>::new(key).sign(text.as_bytes()).to_vec(),
            _ => SigningKey::<sha2::Sha256>::new(key).sign(text.as_bytes()).to_vec(),
        };
        e.signature = base64::engine::general_purpose::STANDARD.encode(sig);
        e
    }

    #[test]
    fn notification_carries_the_alarm() {
        let SnsMessage::Notification { envelope, events } = parse(NOTIFICATION.as_bytes()).unwrap() else { panic!("not a notification") };
        assert_eq!(envelope.topic_arn, "arn:aws:sns:eu-west-1:123456789012:tocsin-alarms");
        let e = &events[0];
        assert_eq!(e.action, EventAction::Trigger);
        assert_eq!(e.dedup_key, "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:checkout-5xx");
        assert_eq!(e.summary, "checkout-5xx: 5xx rate of the checkout ALB above 5%");
        assert_eq!(e.source.as_deref(), Some("aws:123456789012"));
        assert!(e.links[0].href.contains("region=eu-west-1"));
        assert_eq!((e.started_at.map(|t| t.timestamp_millis()), e.source_changed_at.map(|t| t.timestamp_millis())), (Some(1_795_514_472_345), Some(1_795_514_472_345)), "ALARM since StateChangeTime (+0000)");
        let ok = NOTIFICATION.replace(r#"\"NewStateValue\":\"ALARM\""#, r#"\"NewStateValue\":\"OK\""#);
        let SnsMessage::Notification { events, .. } = parse(ok.as_bytes()).unwrap() else { panic!() };
        assert_eq!(events[0].action, EventAction::Resolve);
        assert_eq!((events[0].started_at, events[0].source_changed_at.map(|t| t.timestamp_millis())), (None, Some(1_795_514_472_345)), "OK since StateChangeTime");
        assert_eq!(state_change_time("2026-11-24T10:01:12Z").map(|t| t.timestamp()), Some(1_795_514_472), "RFC 3339 too");
        assert_eq!(state_change_time("yesterday"), None);
    }

    #[test]
    fn signatures_v1_and_v2() {
        let SnsMessage::Notification { envelope, .. } = parse(NOTIFICATION.as_bytes()).unwrap() else { panic!() };
        for version in ["1", "2"] {
            let e = signed(envelope.clone(), version);
            assert_eq!(verify(&e, CERT), Ok(()), "v{version}");
            let mut tampered = e.clone();
            tampered.message = tampered.message.replace("ALARM", "OK");
            assert_eq!(verify(&tampered, CERT), Err(SignatureError::Mismatch));
        }
        let mut e = signed(envelope.clone(), "2");
        e.signature_version = "3".into();
        assert!(matches!(verify(&e, CERT), Err(SignatureError::UnsupportedVersion(_))));
        assert_eq!(verify(&signed(envelope, "1"), "not a cert"), Err(SignatureError::BadCertificate));
    }

    #[test]
    fn certificate_hosts() {
        assert!(cert_url_allowed("https://sns.us-east-1.amazonaws.com/SimpleNotificationService-abc.pem", None));
        assert!(cert_url_allowed("https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-abc.pem", None));
        for bad in [
            "http://sns.us-east-1.amazonaws.com/x.pem",
            "https://sns.us-east-1.amazonaws.com.evil.com/x.pem",
            "https://evil.com/sns.us-east-1.amazonaws.com/x.pem",
            "https://sns..amazonaws.com/x.pem",
            "https://sns.us-east-1.amazonaws.com/x.txt",
            "http://127.0.0.1:9999/cert.pem",
        ] {
            assert!(!cert_url_allowed(bad, None), "{bad}");
        }
        assert!(cert_url_allowed("http://127.0.0.1:9999/cert.pem", Some("http://127.0.0.1:9999/")));
        assert!(subscribe_url_allowed("https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&Token=x", None));
        assert!(!subscribe_url_allowed("https://sns.eu-west-1.amazonaws.com.evil.io/?Action=ConfirmSubscription", None));
        assert!(!subscribe_url_allowed("http://10.0.0.1/confirm", None));
    }

    #[test]
    fn string_to_sign_for_subscription() {
        let e = Envelope {
            kind: "SubscriptionConfirmation".into(),
            message_id: "m".into(),
            topic_arn: "t".into(),
            subject: None,
            message: "msg".into(),
            timestamp: "ts".into(),
            token: Some("tok".into()),
            subscribe_url: Some("https://sns/confirm".into()),
            signature_version: "1".into(),
            signature: String::new(),
            signing_cert_url: String::new(),
        };
        assert_eq!(
            string_to_sign(&e),
            "Message\nmsg\nMessageId\nm\nSubscribeURL\nhttps://sns/confirm\nTimestamp\nts\nToken\ntok\nTopicArn\nt\nType\nSubscriptionConfirmation\n"
        );
    }
}
