//! Randomness, ids, secret tokens and password hashing: the worker's only sources of entropy.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sha2::{Digest, Sha256};

use crate::error::{ApiError, ApiResult};

pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    getrandom::getrandom(&mut buf).expect("the platform CSPRNG is available in Workers");
    buf
}

/// A UUIDv7 (RFC 9562): 48 bits of milliseconds then random bits, so ids sort by creation time.
pub fn new_id(now_ms: i64) -> String {
    let mut b: [u8; 16] = random_bytes();
    let ms = (now_ms as u64).to_be_bytes();
    b[..6].copy_from_slice(&ms[2..]);
    b[6] = (b[6] & 0x0f) | 0x70;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..])
}

/// A secret with 256 bits of entropy, URL-safe, with a prefix saying what it is
/// (`tcs_` session, `tct_` API token, `tci_` invite, none for integration keys).
pub fn new_secret(prefix: &str) -> String {
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(random_bytes::<32>()))
}

/// An integration key: 128 random bits as 32 hex characters (the shape PagerDuty keys have).
pub fn new_integration_key() -> String {
    random_bytes::<16>().iter().map(|x| format!("{x:02x}")).collect()
}

/// Secrets are stored as their SHA-256: a database leak does not reveal usable tokens.
pub fn sha256_hex(s: &str) -> String {
    Sha256::digest(s.as_bytes()).iter().map(|x| format!("{x:02x}")).collect()
}

/// argon2id with 19 MiB, 2 passes, 1 lane: OWASP's minimum recommendation. Measured cost per
/// hash is reported by `./tocsin bench` (it must fit in a Worker request's CPU budget).
fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

pub fn hash_password(password: &str) -> ApiResult<String> {
    let salt = SaltString::encode_b64(&random_bytes::<16>()).map_err(|e| ApiError::Internal(e.to_string()))?;
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ApiError::Internal(format!("hashing password: {e}")))
}

pub fn verify_password(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => argon2().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
}

/// Verifies against a fixed dummy hash, so an unknown e-mail costs the same time as a known one.
pub fn burn_password_check(password: &str) {
    thread_local! {
        static DUMMY: String = hash_password("dummy password for timing").unwrap_or_default();
    }
    DUMMY.with(|d| {
        let _ = verify_password(password, d);
    });
}

// ---- secrets at rest ----

thread_local! {
    static SEALING_KEY: std::cell::Cell<Option<[u8; 32]>> = const { std::cell::Cell::new(None) };
}

/// Reads the worker secret `TOCSIN_SECRET_KEY` (32 random bytes, base64) for this isolate.
pub fn load_sealing_key(env: &worker::Env) {
    let Ok(v) = env.var("TOCSIN_SECRET_KEY") else { return };
    match tocsin_domain::sealed::parse_key(&v.to_string()) {
        Ok(k) => SEALING_KEY.with(|c| c.set(Some(k))),
        Err(e) => worker::console_error!("TOCSIN_SECRET_KEY: {e}"),
    }
}

fn sealing_key() -> ApiResult<[u8; 32]> {
    SEALING_KEY.with(|c| c.get()).ok_or(ApiError::Misconfigured(
        "Tocsin is not fully configured: the worker secret TOCSIN_SECRET_KEY is missing or not 32 bytes of base64 (openssl rand -base64 32 | wrangler secret put TOCSIN_SECRET_KEY)",
    ))
}

/// Seals a secret for storage at `place` (e.g. `vapid:<org id>`).
pub fn seal(plaintext: &str, place: &str) -> ApiResult<String> {
    Ok(tocsin_domain::sealed::seal(&sealing_key()?, &random_bytes::<12>(), plaintext.as_bytes(), place))
}

/// Opens what [`seal`] stored at `place`.
pub fn open(sealed: &str, place: &str) -> ApiResult<String> {
    let plain = tocsin_domain::sealed::open(&sealing_key()?, sealed, place).map_err(|e| ApiError::Internal(format!("{place}: {e}")))?;
    String::from_utf8(plain).map_err(|_| ApiError::Internal(format!("{place}: not text")))
}
