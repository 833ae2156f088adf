//! `Tocsin-Signature` on generic webhooks: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">`
//! with the destination's signing secret. A receiver recomputes the HMAC over the timestamp, a
//! dot and the raw body, compares in constant time, and refuses old timestamps (replays).

use crate::vendors::signature::{constant_time_eq, hmac_sha256_hex};

pub const HEADER: &str = "Tocsin-Signature";

pub fn sign(secret: &str, unix_secs: i64, body: &[u8]) -> String {
    let mut msg = format!("{unix_secs}.").into_bytes();
    msg.extend_from_slice(body);
    format!("t={unix_secs},v1={}", hmac_sha256_hex(secret.as_bytes(), &msg))
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the Tocsin-Signature header is malformed")]
    Malformed,
    #[error("the signature is more than {0} seconds old")]
    TooOld(i64),
    #[error("the signature does not match the body")]
    Mismatch,
}

/// What a receiver does (and what Tocsin's tests do): accepts any `v1` that matches.
pub fn verify(secret: &str, header: &str, body: &[u8], now_secs: i64, tolerance_secs: i64) -> Result<(), SignatureError> {
    let mut t = None;
    let mut sigs = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) => t = v.parse::<i64>().ok(),
            Some(("v1", v)) => sigs.push(v.to_string()),
            _ => {}
        }
    }
    let t = t.ok_or(SignatureError::Malformed)?;
    if sigs.is_empty() {
        return Err(SignatureError::Malformed);
    }
    if (now_secs - t).abs() > tolerance_secs {
        return Err(SignatureError::TooOld(tolerance_secs));
    }
    let want = sign(secret, t, body);
    let want = want.split_once(",v1=").map(|(_, h)| h).unwrap_or_default();
    if sigs.iter().any(|s| constant_time_eq(s.as_bytes(), want.as_bytes())) {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_is_the_hmac_of_timestamp_dot_body() {
        // Independent computation: HMAC-SHA256("whsec_test", "1764558000.{\"a\":1}").
        let h = sign("whsec_test", 1_764_558_000, br#"{"a":1}"#);
        let expected = hmac_sha256_hex(b"whsec_test", br#"1764558000.{"a":1}"#);
        assert_eq!(h, format!("t=1764558000,v1={expected}"));
        assert_eq!(expected.len(), 64);
        assert_eq!(verify("whsec_test", &h, br#"{"a":1}"#, 1_764_558_100, 300), Ok(()));
        assert_eq!(verify("whsec_test", &h, br#"{"a":2}"#, 1_764_558_100, 300), Err(SignatureError::Mismatch));
        assert_eq!(verify("other", &h, br#"{"a":1}"#, 1_764_558_100, 300), Err(SignatureError::Mismatch));
        assert_eq!(verify("whsec_test", &h, br#"{"a":1}"#, 1_764_559_000, 300), Err(SignatureError::TooOld(300)));
        assert_eq!(verify("whsec_test", "v1=abc", b"", 0, 300), Err(SignatureError::Malformed));
    }
}
