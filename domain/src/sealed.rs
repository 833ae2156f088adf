//! Secrets at rest: values the worker must read back (the VAPID private key, the action-token
//! key, webhook URLs and signing secrets) are stored sealed with AES-256-GCM under the worker
//! secret `TOCSIN_SECRET_KEY`. The associated data names the value's place (`vapid:<org id>`),
//! so a sealed value copied into another row or column does not open there.
//!
//! Format: `s2.<key id>.<base64url(12-byte nonce ‖ ciphertext ‖ tag)>`, where the key id is the
//! first 4 bytes (8 hex digits) of SHA-256 over a label and the key: it names the key without
//! configuration and reveals nothing usable about it. Values sealed by earlier versions,
//! `s1.<base64url(nonce ‖ ciphertext ‖ tag)>`, carry no key id and are still read (tried with
//! each key). The caller supplies the nonce.
//!
//! Rotation: a [`Keyring`] holds the current key (seals and opens) and optionally the previous
//! one (opens only). A value sealed under anything but the current key — the previous key, or
//! the legacy `s1` format — is due for re-sealing ([`Keyring::reseal`]); a value naming a key
//! the ring does not hold is refused with an error naming both key ids.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sha2::{Digest, Sha256};

/// The prefix of values sealed by this version.
pub const PREFIX: &str = "s2.";
/// The prefix of values sealed before key ids (no key id).
pub const LEGACY_PREFIX: &str = "s1.";

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    #[error("the sealing key must be 32 bytes, base64url or base64")]
    BadKey,
    #[error("the stored value is not sealed, or was sealed for another place or with another key")]
    Unopenable,
    #[error(
        "the stored value was sealed with key {found}, which this deployment does not hold (TOCSIN_SECRET_KEY is key {current}{}): set the key it was sealed with as TOCSIN_SECRET_KEY_PREVIOUS",
        previous_note(.previous)
    )]
    UnknownKey { found: String, current: String, previous: Option<String> },
}

fn previous_note(previous: &Option<String>) -> String {
    match previous {
        Some(p) => format!(", TOCSIN_SECRET_KEY_PREVIOUS is key {p}"),
        None => ", TOCSIN_SECRET_KEY_PREVIOUS is not set".to_string(),
    }
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

/// A key's public name: 8 hex digits of SHA-256 over a label and the key.
pub fn key_id(key: &[u8; 32]) -> String {
    let mut h = Sha256::new();
    h.update(b"tocsin sealing key id\0");
    h.update(key);
    h.finalize()[..4].iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether a stored value is sealed (values stored before sealing was introduced are not).
pub fn is_sealed(stored: &str) -> bool {
    stored.starts_with(PREFIX) || stored.starts_with(LEGACY_PREFIX)
}

/// The key id a sealed value names (`None` for legacy `s1` values and for plain text).
pub fn sealed_with(stored: &str) -> Option<&str> {
    let rest = stored.strip_prefix(PREFIX)?;
    let (id, _) = rest.split_once('.')?;
    Some(id)
}

/// One sealing key with its id.
#[derive(Clone, PartialEq, Eq)]
pub struct SealingKey {
    bytes: [u8; 32],
    id: String,
}

impl SealingKey {
    pub fn new(bytes: [u8; 32]) -> Self {
        SealingKey { id: key_id(&bytes), bytes }
    }

    /// Reads one written as base64url or standard base64.
    pub fn parse(text: &str) -> Result<Self, SealError> {
        parse_key(text).map(Self::new)
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    fn cipher(&self) -> Aes256Gcm {
        Aes256Gcm::new_from_slice(&self.bytes).expect("32-byte key")
    }
}

/// Never prints the key itself.
impl std::fmt::Debug for SealingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SealingKey({})", self.id)
    }
}

/// The keys a deployment holds: the current one seals; the previous one (during a rotation)
/// only opens.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Keyring {
    current: SealingKey,
    previous: Option<SealingKey>,
}

impl Keyring {
    /// A previous key equal to the current one is dropped (it adds nothing).
    pub fn new(current: SealingKey, previous: Option<SealingKey>) -> Self {
        let previous = previous.filter(|p| p.bytes != current.bytes);
        Keyring { current, previous }
    }

    pub fn current_id(&self) -> &str {
        self.current.id()
    }

    pub fn previous_id(&self) -> Option<&str> {
        self.previous.as_ref().map(SealingKey::id)
    }

    /// Seals under the current key, for `place`.
    pub fn seal(&self, nonce: &[u8; 12], plaintext: &[u8], place: &str) -> String {
        let sealed = self.current.cipher().encrypt(Nonce::from_slice(nonce), Payload { msg: plaintext, aad: place.as_bytes() }).expect("AES-GCM seals any length we store");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        format!("{PREFIX}{}.{}", self.current.id, URL_SAFE_NO_PAD.encode(out))
    }

    /// Opens a value sealed at `place` under either key (or in the legacy format).
    pub fn open(&self, stored: &str, place: &str) -> Result<Vec<u8>, SealError> {
        if let Some(rest) = stored.strip_prefix(PREFIX) {
            let (id, body) = rest.split_once('.').ok_or(SealError::Unopenable)?;
            let candidates: Vec<&SealingKey> = self.keys().filter(|k| k.id == id).collect();
            if candidates.is_empty() {
                return Err(SealError::UnknownKey { found: id.to_string(), current: self.current.id.clone(), previous: self.previous_id().map(str::to_string) });
            }
            // Two keys share an id only by a 1-in-4-billion accident: both are tried.
            return candidates.into_iter().find_map(|k| open_raw(k, body, place).ok()).ok_or(SealError::Unopenable);
        }
        let body = stored.strip_prefix(LEGACY_PREFIX).ok_or(SealError::Unopenable)?;
        self.keys().find_map(|k| open_raw(k, body, place).ok()).ok_or(SealError::Unopenable)
    }

    /// Whether a stored value is sealed under something other than the current key.
    pub fn needs_reseal(&self, stored: &str) -> bool {
        is_sealed(stored) && sealed_with(stored) != Some(self.current.id.as_str())
    }

    /// The value sealed again under the current key, or `None` when it already is.
    pub fn reseal(&self, nonce: &[u8; 12], stored: &str, place: &str) -> Result<Option<String>, SealError> {
        if !self.needs_reseal(stored) {
            return if is_sealed(stored) { Ok(None) } else { Err(SealError::Unopenable) };
        }
        let plain = self.open(stored, place)?;
        Ok(Some(self.seal(nonce, &plain, place)))
    }

    fn keys(&self) -> impl Iterator<Item = &SealingKey> {
        std::iter::once(&self.current).chain(self.previous.as_ref())
    }
}

fn open_raw(key: &SealingKey, body_b64: &str, place: &str) -> Result<Vec<u8>, SealError> {
    let raw = URL_SAFE_NO_PAD.decode(body_b64).map_err(|_| SealError::Unopenable)?;
    if raw.len() < 12 + 16 {
        return Err(SealError::Unopenable);
    }
    let (nonce, body) = raw.split_at(12);
    key.cipher().decrypt(Nonce::from_slice(nonce), Payload { msg: body, aad: place.as_bytes() }).map_err(|_| SealError::Unopenable)
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: [u8; 32] = [7u8; 32];
    const B: [u8; 32] = [8u8; 32];

    fn ring(current: [u8; 32], previous: Option<[u8; 32]>) -> Keyring {
        Keyring::new(SealingKey::new(current), previous.map(SealingKey::new))
    }

    /// A value in the legacy `s1` format, as the previous version wrote it (built here by hand,
    /// independently of [`Keyring::seal`]).
    fn legacy_seal(key: &[u8; 32], nonce: &[u8; 12], plaintext: &[u8], place: &str) -> String {
        let ct = Aes256Gcm::new_from_slice(key).unwrap().encrypt(Nonce::from_slice(nonce), Payload { msg: plaintext, aad: place.as_bytes() }).unwrap();
        format!("s1.{}", URL_SAFE_NO_PAD.encode([nonce.as_slice(), &ct].concat()))
    }

    #[test]
    fn sealed_values_open_only_in_their_place_with_their_key() {
        let r = ring(A, None);
        let s = r.seal(&[1u8; 12], b"https://hooks.slack.com/services/T/B/secret", "dest-url:d1");
        assert!(s.starts_with(&format!("s2.{}.", key_id(&A))) && !s.contains("hooks.slack.com"), "{s}");
        assert_eq!(r.open(&s, "dest-url:d1").unwrap(), b"https://hooks.slack.com/services/T/B/secret");
        assert_eq!(r.open(&s, "dest-url:d2"), Err(SealError::Unopenable), "bound to its place");
        assert_eq!(r.open("https://plain.example", "dest-url:d1"), Err(SealError::Unopenable));
        let mut tampered = s.clone();
        tampered.pop();
        tampered.push(if s.ends_with('A') { 'B' } else { 'A' });
        assert_eq!(r.open(&tampered, "dest-url:d1"), Err(SealError::Unopenable));
        assert_eq!(r.open(&format!("s2.{}.AAAA", key_id(&A)), "dest-url:d1"), Err(SealError::Unopenable), "too short");
        assert_ne!(r.seal(&[2u8; 12], b"x", "p"), r.seal(&[3u8; 12], b"x", "p"), "fresh nonces, different texts");
    }

    #[test]
    fn key_ids_name_keys_without_revealing_them() {
        assert_eq!(key_id(&A).len(), 8);
        assert!(key_id(&A).chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
        assert_ne!(key_id(&A), key_id(&B));
        assert_eq!(key_id(&A), key_id(&[7u8; 32]), "derived from the key alone");
        // Label-separated: not simply the key's own SHA-256.
        let plain: String = Sha256::digest(A)[..4].iter().map(|b| format!("{b:02x}")).collect();
        assert_ne!(key_id(&A), plain);
        assert!(!format!("{:?}", SealingKey::new(A)).contains("7, 7"), "Debug shows the id, not the key");
    }

    #[test]
    fn an_unknown_key_is_refused_by_name() {
        let s = ring(A, None).seal(&[1u8; 12], b"secret", "p");
        let err = ring(B, None).open(&s, "p").unwrap_err();
        assert_eq!(err, SealError::UnknownKey { found: key_id(&A), current: key_id(&B), previous: None });
        let msg = err.to_string();
        assert!(msg.contains(&key_id(&A)) && msg.contains(&key_id(&B)) && msg.contains("TOCSIN_SECRET_KEY_PREVIOUS is not set"), "{msg}");
        let c = [9u8; 32];
        let msg = ring(B, Some(c)).open(&s, "p").unwrap_err().to_string();
        assert!(msg.contains(&format!("TOCSIN_SECRET_KEY_PREVIOUS is key {}", key_id(&c))), "{msg}");
    }

    #[test]
    fn rotation_opens_with_the_previous_key_and_reseals_under_the_current() {
        let old = ring(A, None).seal(&[1u8; 12], b"whsec_abc", "dest-secret:d1");
        let rotating = ring(B, Some(A));
        assert_eq!(rotating.open(&old, "dest-secret:d1").unwrap(), b"whsec_abc", "the previous key opens");
        assert!(rotating.needs_reseal(&old));
        let new = rotating.reseal(&[2u8; 12], &old, "dest-secret:d1").unwrap().expect("re-sealed");
        assert_eq!(sealed_with(&new), Some(key_id(&B).as_str()));
        assert!(!rotating.needs_reseal(&new));
        assert_eq!(rotating.reseal(&[3u8; 12], &new, "dest-secret:d1"), Ok(None), "already current: left as it is");
        assert_eq!(ring(B, None).open(&new, "dest-secret:d1").unwrap(), b"whsec_abc", "the previous key is no longer needed");
        assert!(matches!(ring(B, None).open(&old, "dest-secret:d1"), Err(SealError::UnknownKey { .. })));
        // New values are sealed under the current key only.
        let fresh = rotating.seal(&[4u8; 12], b"x", "p");
        assert_eq!(sealed_with(&fresh), Some(key_id(&B).as_str()));
        assert!(matches!(ring(A, None).open(&fresh, "p"), Err(SealError::UnknownKey { .. })), "the previous key never opens new values");
        // Re-sealing is bound to the place too, and refuses what it cannot open.
        assert_eq!(rotating.reseal(&[5u8; 12], &old, "dest-secret:d2"), Err(SealError::Unopenable));
        assert_eq!(rotating.reseal(&[5u8; 12], "plain text", "p"), Err(SealError::Unopenable));
        assert_eq!(ring(A, Some(A)).previous_id(), None, "the same key twice is one key");
    }

    #[test]
    fn legacy_values_without_a_key_id_are_still_read_and_resealed() {
        let s1 = legacy_seal(&A, &[1u8; 12], b"https://hooks.example/x", "pref-url:u1");
        assert!(is_sealed(&s1) && sealed_with(&s1).is_none());
        assert_eq!(ring(A, None).open(&s1, "pref-url:u1").unwrap(), b"https://hooks.example/x", "with the key as current");
        assert_eq!(ring(B, Some(A)).open(&s1, "pref-url:u1").unwrap(), b"https://hooks.example/x", "or as previous");
        assert_eq!(ring(B, None).open(&s1, "pref-url:u1"), Err(SealError::Unopenable), "not with another key");
        assert_eq!(ring(A, None).open(&s1, "pref-url:u2"), Err(SealError::Unopenable), "nor in another place");
        assert!(ring(A, None).needs_reseal(&s1), "legacy values move to the versioned format");
        let s2 = ring(A, None).reseal(&[2u8; 12], &s1, "pref-url:u1").unwrap().unwrap();
        assert!(s2.starts_with("s2."));
        assert_eq!(ring(A, None).open(&s2, "pref-url:u1").unwrap(), b"https://hooks.example/x");
        let mut tampered = s1.clone();
        tampered.pop();
        tampered.push(if s1.ends_with('A') { 'B' } else { 'A' });
        assert_eq!(ring(A, None).open(&tampered, "pref-url:u1"), Err(SealError::Unopenable));
    }

    #[test]
    fn keys_are_read_from_either_base64() {
        let std = base64::engine::general_purpose::STANDARD.encode([0xfbu8; 32]);
        assert!(std.contains('+') || std.contains('/'));
        assert_eq!(parse_key(&std).unwrap(), [0xfbu8; 32]);
        assert_eq!(parse_key(&URL_SAFE_NO_PAD.encode([0xfbu8; 32])).unwrap(), [0xfbu8; 32]);
        assert_eq!(parse_key("c2hvcnQ"), Err(SealError::BadKey));
        assert_eq!(parse_key("not base64!"), Err(SealError::BadKey));
        assert_eq!(SealingKey::parse(&std).unwrap().id(), key_id(&[0xfbu8; 32]));
    }
}
