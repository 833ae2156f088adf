//! Secrets at rest: values the worker must read back (the VAPID private key, the action-token
//! key, webhook URLs and signing secrets) are stored sealed with AES-256-GCM under the worker
//! secret `TOCSIN_SECRET_KEY`. The associated data names the value's place (`vapid:<org id>`),
//! so a sealed value copied into another row or column does not open there.
//!
//! Format: `s1.<base64url(12-byte nonce ‖ ciphertext ‖ tag)>`. The caller supplies the nonce.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    #[error("the sealing key must be 32 bytes, base64url or base64")]
    BadKey,
    #[error("the stored value is not sealed, or was sealed for another place or with another key")]
    Unopenable,
}

/// Reads a 32-byte key written as base64url or standard base64 (`openssl rand -base64 32`).
pub fn parse_key(text: &str) -> Result<[u8; 32], SealError> {
    let t = text.trim().trim_end_matches('=');
    let bytes = URL_SAFE_NO_PAD
        .decode(t)
        .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(t))
        .map_err(|_| SealError::BadKey)?;
    bytes.try_into().map_err(|_| SealError::BadKey)
}

/// Whether a stored value is sealed (values stored before sealing was introduced are not).
pub fn is_sealed(stored: &str) -> bool {
    stored.starts_with("s1.")
}

pub fn seal(key: &[u8; 32], nonce: &[u8; 12], plaintext: &[u8], place: &str) -> String {
    let cipher = Aes256Gcm::new_from_slice(key).expect("32-byte key");
    let sealed = cipher.encrypt(Nonce::from_slice(nonce), Payload { msg: plaintext, aad: place.as_bytes() }).expect("AES-GCM seals any length we store");
    let mut out = nonce.to_vec();
    out.extend_from_slice(&sealed);
    format!("s1.{}", URL_SAFE_NO_PAD.encode(out))
}

pub fn open(key: &[u8; 32], sealed: &str, place: &str) -> Result<Vec<u8>, SealError> {
    let raw = sealed.strip_prefix("s1.").and_then(|b| URL_SAFE_NO_PAD.decode(b).ok()).ok_or(SealError::Unopenable)?;
    if raw.len() < 12 + 16 {
        return Err(SealError::Unopenable);
    }
    let (nonce, body) = raw.split_at(12);
    let cipher = Aes256Gcm::new_from_slice(key).expect("32-byte key");
    cipher.decrypt(Nonce::from_slice(nonce), Payload { msg: body, aad: place.as_bytes() }).map_err(|_| SealError::Unopenable)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: [u8; 32] = [7u8; 32];

    #[test]
    fn sealed_values_open_only_in_their_place_with_their_key() {
        let s = seal(&KEY, &[1u8; 12], b"https://hooks.slack.com/services/T/B/secret", "dest-url:d1");
        assert!(s.starts_with("s1.") && !s.contains("hooks.slack.com"));
        assert_eq!(open(&KEY, &s, "dest-url:d1").unwrap(), b"https://hooks.slack.com/services/T/B/secret");
        assert_eq!(open(&KEY, &s, "dest-url:d2"), Err(SealError::Unopenable), "bound to its place");
        assert_eq!(open(&[8u8; 32], &s, "dest-url:d1"), Err(SealError::Unopenable), "and to its key");
        assert_eq!(open(&KEY, "https://plain.example", "dest-url:d1"), Err(SealError::Unopenable));
        let mut tampered = s.clone();
        tampered.pop();
        tampered.push(if s.ends_with('A') { 'B' } else { 'A' });
        assert_eq!(open(&KEY, &tampered, "dest-url:d1"), Err(SealError::Unopenable));
        assert_ne!(seal(&KEY, &[2u8; 12], b"x", "p"), seal(&KEY, &[3u8; 12], b"x", "p"), "fresh nonces, different texts");
    }

    #[test]
    fn keys_are_read_from_either_base64() {
        let std = base64::engine::general_purpose::STANDARD.encode([0xfbu8; 32]);
        assert!(std.contains('+') || std.contains('/'));
        assert_eq!(parse_key(&std).unwrap(), [0xfbu8; 32]);
        assert_eq!(parse_key(&URL_SAFE_NO_PAD.encode([0xfbu8; 32])).unwrap(), [0xfbu8; 32]);
        assert_eq!(parse_key("c2hvcnQ"), Err(SealError::BadKey));
        assert_eq!(parse_key("not base64!"), Err(SealError::BadKey));
    }
}
