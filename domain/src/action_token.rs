//! Action tokens: what a push notification carries so that its Acknowledge button works from the
//! lock screen without a session. A token names one purpose, one incident and one person, expires
//! soon, and is signed (HMAC-SHA256) with the organisation's action key. It is no login: it can do
//! its one action and nothing else.
//!
//! Format: `v1.<base64url(JSON claims)>.<base64url(HMAC of "v1.<claims>")>`.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::vendors::signature::constant_time_eq;

/// How long a page's Acknowledge button works. Repeats and escalations send fresh tokens.
pub const LIFETIME_SECS: i64 = 2 * 3600;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Purpose {
    #[serde(rename = "ack")]
    Acknowledge,
    /// Answer a responder request (join or decline) as the person asked.
    #[serde(rename = "resp")]
    Respond,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    #[serde(rename = "p")]
    pub purpose: Purpose,
    #[serde(rename = "o")]
    pub org_id: String,
    #[serde(rename = "i")]
    pub incident_id: String,
    #[serde(rename = "u")]
    pub user_id: String,
    /// Expiry, Unix seconds.
    #[serde(rename = "e")]
    pub expires_at: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the action token is malformed")]
    Malformed,
    #[error("the action token's signature is not valid")]
    BadSignature,
    #[error("the action token has expired; open the incident in Tocsin instead")]
    Expired,
    #[error("the action token is not for this action")]
    WrongPurpose,
}

fn mac(key: &[u8], signed: &str) -> Vec<u8> {
    let mut m = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    m.update(signed.as_bytes());
    m.finalize().into_bytes().to_vec()
}

pub fn issue(key: &[u8], claims: &Claims) -> String {
    let body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).expect("claims serialise"));
    let signed = format!("v1.{body}");
    let sig = URL_SAFE_NO_PAD.encode(mac(key, &signed));
    format!("{signed}.{sig}")
}

/// Reads the claims without checking anything, to find the organisation whose key signs them.
pub fn unverified_org(token: &str) -> Result<String, TokenError> {
    Ok(parts(token)?.1.org_id)
}

fn parts(token: &str) -> Result<(String, Claims, Vec<u8>), TokenError> {
    let mut it = token.trim().split('.');
    let (Some("v1"), Some(body), Some(sig), None) = (it.next(), it.next(), it.next(), it.next()) else {
        return Err(TokenError::Malformed);
    };
    let json = URL_SAFE_NO_PAD.decode(body).map_err(|_| TokenError::Malformed)?;
    let claims: Claims = serde_json::from_slice(&json).map_err(|_| TokenError::Malformed)?;
    let sig = URL_SAFE_NO_PAD.decode(sig).map_err(|_| TokenError::Malformed)?;
    Ok((format!("v1.{body}"), claims, sig))
}

/// Checks signature, expiry and purpose; returns the claims.
pub fn verify(key: &[u8], token: &str, purpose: Purpose, now_secs: i64) -> Result<Claims, TokenError> {
    let (signed, claims, sig) = parts(token)?;
    if !constant_time_eq(&mac(key, &signed), &sig) {
        return Err(TokenError::BadSignature);
    }
    if claims.expires_at <= now_secs {
        return Err(TokenError::Expired);
    }
    if claims.purpose != purpose {
        return Err(TokenError::WrongPurpose);
    }
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims() -> Claims {
        Claims { purpose: Purpose::Acknowledge, org_id: "org".into(), incident_id: "inc".into(), user_id: "usr".into(), expires_at: 1_000 }
    }

    #[test]
    fn a_token_verifies_only_with_its_key_before_expiry() {
        let t = issue(b"key-1", &claims());
        assert_eq!(verify(b"key-1", &t, Purpose::Acknowledge, 999), Ok(claims()));
        assert_eq!(verify(b"key-2", &t, Purpose::Acknowledge, 999), Err(TokenError::BadSignature));
        assert_eq!(verify(b"key-1", &t, Purpose::Acknowledge, 1_000), Err(TokenError::Expired));
        assert_eq!(unverified_org(&t), Ok("org".into()));
        assert_eq!(verify(b"key-1", &t, Purpose::Respond, 999), Err(TokenError::WrongPurpose), "an acknowledge token cannot answer a responder request");
        let r = issue(b"key-1", &Claims { purpose: Purpose::Respond, ..claims() });
        assert_eq!(verify(b"key-1", &r, Purpose::Acknowledge, 999), Err(TokenError::WrongPurpose));
        assert!(verify(b"key-1", &r, Purpose::Respond, 999).is_ok());
    }

    #[test]
    fn tampered_claims_are_refused() {
        let t = issue(b"key-1", &claims());
        let mut other = claims();
        other.incident_id = "another".into();
        let forged_body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&other).unwrap());
        let sig = t.rsplit('.').next().unwrap();
        assert_eq!(verify(b"key-1", &format!("v1.{forged_body}.{sig}"), Purpose::Acknowledge, 0), Err(TokenError::BadSignature));
        for bad in ["", "v1", "v1.x", "v2.a.b", "v1.!!.b", &format!("{t}.extra")] {
            assert_eq!(verify(b"key-1", bad, Purpose::Acknowledge, 0), Err(TokenError::Malformed), "{bad}");
        }
    }
}
