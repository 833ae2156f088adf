//! Web Push message encryption (RFC 8291, `aes128gcm` of RFC 8188, one record) and VAPID
//! authorisation (RFC 8292, an ES256 JWT). Pure: the caller supplies the ephemeral key, the salt
//! and the time, so the RFC's test vector can be reproduced byte for byte.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes128Gcm, Nonce};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hkdf::Hkdf;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::{PublicKey, SecretKey};
use sha2::Sha256;

/// Record size written in the header; one record carries the whole (small) message.
const RECORD_SIZE: u32 = 4096;
/// Push services accept at most 4096 bytes of body; the header and tag take 103 of them.
pub const MAX_PLAINTEXT: usize = 3993;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PushError {
    #[error("the subscription's p256dh key is not a P-256 public key")]
    BadUserAgentKey,
    #[error("the subscription's auth secret must be 16 bytes")]
    BadAuthSecret,
    #[error("the application server key is not a P-256 private key")]
    BadServerKey,
    #[error("the message is too long for one push record")]
    TooLong,
    #[error("the message could not be decrypted")]
    Undecryptable,
}

fn hkdf(salt: &[u8], ikm: &[u8], info: &[u8], len: usize) -> Vec<u8> {
    let mut out = vec![0u8; len];
    Hkdf::<Sha256>::new(Some(salt), ikm).expand(info, &mut out).expect("lengths within HKDF limits");
    out
}

/// The content key and nonce both sides derive (RFC 8291 §3.4, RFC 8188 §2.2).
fn keys(ecdh_secret: &[u8], auth: &[u8], ua_public: &[u8], as_public: &[u8], salt: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let mut key_info = b"WebPush: info\0".to_vec();
    key_info.extend_from_slice(ua_public);
    key_info.extend_from_slice(as_public);
    let ikm = hkdf(auth, ecdh_secret, &key_info, 32);
    let cek = hkdf(salt, &ikm, b"Content-Encoding: aes128gcm\0", 16);
    let nonce = hkdf(salt, &ikm, b"Content-Encoding: nonce\0", 12);
    (cek, nonce)
}

/// Encrypts `plaintext` for a subscription (`ua_public` = p256dh, 65 bytes; `auth`, 16 bytes),
/// with the application server's ephemeral key `as_private` (32 bytes) and a random 16-byte
/// `salt`. Returns the request body.
pub fn encrypt(plaintext: &[u8], ua_public: &[u8], auth: &[u8], as_private: &[u8], salt: &[u8; 16]) -> Result<Vec<u8>, PushError> {
    let ua = PublicKey::from_sec1_bytes(ua_public).map_err(|_| PushError::BadUserAgentKey)?;
    let secret = SecretKey::from_slice(as_private).map_err(|_| PushError::BadServerKey)?;
    let as_public = secret.public_key().to_encoded_point(false);
    let shared = p256::ecdh::diffie_hellman(secret.to_nonzero_scalar(), ua.as_affine());
    encrypt_agreed(plaintext, ua.to_encoded_point(false).as_bytes(), auth, as_public.as_bytes(), shared.raw_secret_bytes(), salt)
}

/// [`encrypt`] after the key agreement, for a caller that made it elsewhere (the worker uses
/// the runtime's native ECDH): `as_public` is the ephemeral key's uncompressed point (65
/// bytes), `ecdh_secret` its shared secret with `ua_public` (32 bytes, the x coordinate).
pub fn encrypt_agreed(plaintext: &[u8], ua_public: &[u8], auth: &[u8], as_public: &[u8], ecdh_secret: &[u8], salt: &[u8; 16]) -> Result<Vec<u8>, PushError> {
    if plaintext.len() > MAX_PLAINTEXT {
        return Err(PushError::TooLong);
    }
    if auth.len() != 16 {
        return Err(PushError::BadAuthSecret);
    }
    if ua_public.len() != 65 || ua_public[0] != 4 {
        return Err(PushError::BadUserAgentKey);
    }
    if as_public.len() != 65 || as_public[0] != 4 || ecdh_secret.len() != 32 {
        return Err(PushError::BadServerKey);
    }
    let (cek, nonce) = keys(ecdh_secret, auth, ua_public, as_public, salt);
    let mut padded = plaintext.to_vec();
    padded.push(2); // last-record delimiter, no padding
    let cipher = Aes128Gcm::new_from_slice(&cek).expect("16-byte key");
    let sealed = cipher.encrypt(Nonce::from_slice(&nonce), padded.as_slice()).map_err(|_| PushError::TooLong)?;
    let mut body = Vec::with_capacity(86 + sealed.len());
    body.extend_from_slice(salt);
    body.extend_from_slice(&RECORD_SIZE.to_be_bytes());
    body.push(65);
    body.extend_from_slice(as_public);
    body.extend_from_slice(&sealed);
    Ok(body)
}

/// What a browser does on receipt: used by tests and by the test push service.
pub fn decrypt(body: &[u8], ua_private: &[u8], auth: &[u8]) -> Result<Vec<u8>, PushError> {
    if body.len() < 86 + 17 || body[20] != 65 {
        return Err(PushError::Undecryptable);
    }
    let (salt, as_public, sealed) = (&body[..16], &body[21..86], &body[86..]);
    let secret = SecretKey::from_slice(ua_private).map_err(|_| PushError::BadUserAgentKey)?;
    let server = PublicKey::from_sec1_bytes(as_public).map_err(|_| PushError::Undecryptable)?;
    let shared = p256::ecdh::diffie_hellman(secret.to_nonzero_scalar(), server.as_affine());
    let ua_public = secret.public_key().to_encoded_point(false);
    let (cek, nonce) = keys(shared.raw_secret_bytes(), auth, ua_public.as_bytes(), as_public, salt);
    let cipher = Aes128Gcm::new_from_slice(&cek).expect("16-byte key");
    let mut padded = cipher.decrypt(Nonce::from_slice(&nonce), sealed).map_err(|_| PushError::Undecryptable)?;
    // Strip padding: trailing zeros, then the delimiter.
    while padded.last() == Some(&0) {
        padded.pop();
    }
    match padded.pop() {
        Some(2) => Ok(padded),
        _ => Err(PushError::Undecryptable),
    }
}

/// The uncompressed public point (65 bytes) of a P-256 private key (32 bytes); an error when
/// the bytes are not a valid key (zero, or not below the curve order).
pub fn public_key_of(private: &[u8]) -> Result<Vec<u8>, PushError> {
    let secret = SecretKey::from_slice(private).map_err(|_| PushError::BadServerKey)?;
    Ok(secret.public_key().to_encoded_point(false).as_bytes().to_vec())
}

/// A subscription's `p256dh` as the uncompressed point (65 bytes) `encrypt_agreed` takes: checked
/// to be on the curve, and decompressed when it came compressed (33 bytes).
pub fn uncompressed_key(ua_public: &[u8]) -> Result<Vec<u8>, PushError> {
    let key = PublicKey::from_sec1_bytes(ua_public).map_err(|_| PushError::BadUserAgentKey)?;
    Ok(key.to_encoded_point(false).as_bytes().to_vec())
}

/// How long a sender reuses one VAPID authorisation for the same push service. Each is valid
/// for 12 hours (RFC 8292 allows reuse until `exp`), but a push service may refuse a token
/// issued long ago (Apple's: after an hour), so it is signed afresh every 10 minutes rather
/// than once per message (an ES256 signature per message was most of a page's CPU).
pub const VAPID_REUSE_SECS: i64 = 10 * 60;

/// Whether an authorisation made at `issued_secs` may still be sent at `now_secs`.
pub fn vapid_reusable(issued_secs: i64, now_secs: i64) -> bool {
    (0..VAPID_REUSE_SECS).contains(&(now_secs - issued_secs))
}

/// Checks a subscription's keys as the browser sent them (base64url): `p256dh` must be a
/// P-256 point, `auth` 16 bytes.
pub fn check_subscription_keys(p256dh: &str, auth: &str) -> Result<(), PushError> {
    let point = URL_SAFE_NO_PAD.decode(p256dh.trim_end_matches('=')).map_err(|_| PushError::BadUserAgentKey)?;
    PublicKey::from_sec1_bytes(&point).map_err(|_| PushError::BadUserAgentKey)?;
    let secret = URL_SAFE_NO_PAD.decode(auth.trim_end_matches('=')).map_err(|_| PushError::BadAuthSecret)?;
    if secret.len() != 16 {
        return Err(PushError::BadAuthSecret);
    }
    Ok(())
}

/// The `aud` claim for an endpoint: its origin (`https://fcm.googleapis.com`).
pub fn endpoint_origin(endpoint: &str) -> Option<String> {
    let (scheme, rest) = endpoint.split_once("://")?;
    let host = rest.split(['/', '?', '#']).next()?.rsplit('@').next()?;
    (!host.is_empty() && (scheme == "https" || scheme == "http")).then(|| format!("{scheme}://{host}"))
}

/// `Authorization: vapid t=<JWT>, k=<public key>` for a push endpoint's origin (RFC 8292).
/// `vapid_private` is the organisation's 32-byte P-256 key; the token is valid for 12 hours.
pub fn vapid_authorization(endpoint_origin: &str, subject: &str, vapid_private: &[u8], now_secs: i64) -> Result<String, PushError> {
    let key = SigningKey::from_slice(vapid_private).map_err(|_| PushError::BadServerKey)?;
    let public = key.verifying_key().to_encoded_point(false);
    let header = URL_SAFE_NO_PAD.encode(br#"{"typ":"JWT","alg":"ES256"}"#);
    let claims = serde_json::json!({"aud": endpoint_origin, "exp": now_secs + 12 * 3600, "sub": subject});
    let body = URL_SAFE_NO_PAD.encode(claims.to_string());
    let signing_input = format!("{header}.{body}");
    let sig: Signature = key.sign(signing_input.as_bytes());
    let jwt = format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(sig.to_bytes()));
    Ok(format!("vapid t={jwt}, k={}", URL_SAFE_NO_PAD.encode(public.as_bytes())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::ecdsa::signature::Verifier;
    use p256::ecdsa::VerifyingKey;

    fn b64(s: &str) -> Vec<u8> {
        URL_SAFE_NO_PAD.decode(s).unwrap()
    }

    // RFC 8291 §5 and Appendix A.
    const UA_PUBLIC: &str = "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4";
    const UA_PRIVATE: &str = "q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94";
    const AS_PRIVATE: &str = "yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw";
    const AUTH: &str = "BTBZMqHH6r4Tts7J_aSIgg";
    const SALT: &str = "DGv6ra1nlYgDCS1FRnbzlw";
    const BODY: &str = "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN";

    #[test]
    fn rfc8291_example_byte_for_byte() {
        let salt: [u8; 16] = b64(SALT).try_into().unwrap();
        let body = encrypt(b"When I grow up, I want to be a watermelon", &b64(UA_PUBLIC), &b64(AUTH), &b64(AS_PRIVATE), &salt).unwrap();
        assert_eq!(URL_SAFE_NO_PAD.encode(&body), BODY);
        assert_eq!(decrypt(&body, &b64(UA_PRIVATE), &b64(AUTH)).unwrap(), b"When I grow up, I want to be a watermelon");
    }

    #[test]
    fn an_agreement_made_elsewhere_gives_the_same_body() {
        // As the worker does it: the key agreement outside (here p256, there the runtime's ECDH).
        let salt: [u8; 16] = b64(SALT).try_into().unwrap();
        let secret = SecretKey::from_slice(&b64(AS_PRIVATE)).unwrap();
        let ua = PublicKey::from_sec1_bytes(&b64(UA_PUBLIC)).unwrap();
        let shared = p256::ecdh::diffie_hellman(secret.to_nonzero_scalar(), ua.as_affine());
        let as_public = public_key_of(&b64(AS_PRIVATE)).unwrap();
        let plain = b"When I grow up, I want to be a watermelon";
        let body = encrypt_agreed(plain, &b64(UA_PUBLIC), &b64(AUTH), &as_public, shared.raw_secret_bytes(), &salt).unwrap();
        assert_eq!(URL_SAFE_NO_PAD.encode(&body), BODY);
        let s = shared.raw_secret_bytes();
        let compressed = ua.to_encoded_point(true);
        assert_eq!(uncompressed_key(compressed.as_bytes()).unwrap(), b64(UA_PUBLIC), "a compressed p256dh is sent as its point");
        assert_eq!(uncompressed_key(&b64(UA_PUBLIC)).unwrap(), b64(UA_PUBLIC));
        assert_eq!(uncompressed_key(&[4u8; 65]), Err(PushError::BadUserAgentKey), "not on the curve");
        assert_eq!(encrypt_agreed(plain, &b64(UA_PUBLIC)[..33], &b64(AUTH), &as_public, s, &salt), Err(PushError::BadUserAgentKey), "a compressed point is not what p256dh holds");
        assert_eq!(encrypt_agreed(plain, &b64(UA_PUBLIC), &b64(AUTH), &as_public[..64], s, &salt), Err(PushError::BadServerKey));
        assert_eq!(encrypt_agreed(plain, &b64(UA_PUBLIC), &b64(AUTH), &as_public, &s[..31], &salt), Err(PushError::BadServerKey));
        assert_eq!(encrypt_agreed(plain, &b64(UA_PUBLIC), b"short", &as_public, s, &salt), Err(PushError::BadAuthSecret));
    }

    #[test]
    fn tampering_and_bad_keys_are_refused() {
        let mut body = b64(BODY);
        let last = body.len() - 1;
        body[last] ^= 1;
        assert_eq!(decrypt(&body, &b64(UA_PRIVATE), &b64(AUTH)), Err(PushError::Undecryptable));
        let salt = [0u8; 16];
        assert_eq!(encrypt(b"x", b"not a key", &b64(AUTH), &b64(AS_PRIVATE), &salt), Err(PushError::BadUserAgentKey));
        assert_eq!(encrypt(b"x", &b64(UA_PUBLIC), b"short", &b64(AS_PRIVATE), &salt), Err(PushError::BadAuthSecret));
        assert_eq!(encrypt(&vec![0u8; MAX_PLAINTEXT + 1], &b64(UA_PUBLIC), &b64(AUTH), &b64(AS_PRIVATE), &salt), Err(PushError::TooLong));
    }

    #[test]
    fn keys_and_origins() {
        assert_eq!(URL_SAFE_NO_PAD.encode(public_key_of(&b64(UA_PRIVATE)).unwrap()), UA_PUBLIC);
        assert_eq!(public_key_of(&[0u8; 32]), Err(PushError::BadServerKey));
        assert_eq!(check_subscription_keys(UA_PUBLIC, AUTH), Ok(()));
        assert_eq!(check_subscription_keys("AAAA", AUTH), Err(PushError::BadUserAgentKey));
        assert_eq!(check_subscription_keys(UA_PUBLIC, "AAAA"), Err(PushError::BadAuthSecret));
        assert_eq!(endpoint_origin("https://fcm.googleapis.com/fcm/send/abc").as_deref(), Some("https://fcm.googleapis.com"));
        assert_eq!(endpoint_origin("http://127.0.0.1:9000/push/1").as_deref(), Some("http://127.0.0.1:9000"));
        assert_eq!(endpoint_origin("ftp://x/y"), None);
        assert_eq!(endpoint_origin("not a url"), None);
    }

    #[test]
    fn token_reuse() {
        assert!(vapid_reusable(1_000, 1_000));
        assert!(vapid_reusable(1_000, 1_000 + VAPID_REUSE_SECS - 1));
        assert!(!vapid_reusable(1_000, 1_000 + VAPID_REUSE_SECS), "signed again after the window");
        assert!(!vapid_reusable(1_000, 999), "a clock that went back signs again");
    }

    #[test]
    fn vapid_jwt_verifies_with_the_public_key() {
        let header = vapid_authorization("https://push.example.net", "mailto:ops@example.com", &b64(AS_PRIVATE), 1_764_000_000).unwrap();
        let (t, k) = header.strip_prefix("vapid t=").unwrap().split_once(", k=").unwrap();
        let parts: Vec<&str> = t.split('.').collect();
        assert_eq!(parts.len(), 3);
        let claims: serde_json::Value = serde_json::from_slice(&b64(parts[1])).unwrap();
        assert_eq!(claims["aud"], "https://push.example.net");
        assert_eq!(claims["exp"], 1_764_000_000 + 43_200);
        let key = VerifyingKey::from_sec1_bytes(&b64(k)).unwrap();
        let sig = Signature::from_slice(&b64(parts[2])).unwrap();
        assert!(key.verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &sig).is_ok());
        assert_eq!(k, "BP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A8", "k is the public key");
    }
}
