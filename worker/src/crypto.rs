//! Randomness, ids, secret tokens and password hashing: the worker's only sources of entropy.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sha2::{Digest, Sha256};

use crate::error::{ApiError, ApiResult};

pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    if N > POOL_BYTES {
        getrandom::getrandom(&mut buf).expect("the platform CSPRNG is available in Workers");
        return buf;
    }
    // Taken from a pool the CSPRNG refills 4 KB at a time: one call into JS per ~250 ids instead
    // of one per id (a storm event makes half a dozen). Each byte is handed out once.
    POOL.with(|p| {
        let (pool, used) = &mut *p.borrow_mut();
        if *used + N > POOL_BYTES {
            getrandom::getrandom(pool).expect("the platform CSPRNG is available in Workers");
            *used = 0;
        }
        buf.copy_from_slice(&pool[*used..*used + N]);
        pool[*used..*used + N].fill(0);
        *used += N;
    });
    buf
}

const POOL_BYTES: usize = 4096;

thread_local! {
    /// CSPRNG bytes not yet handed out, and how many of the pool are used (starts empty).
    static POOL: std::cell::RefCell<([u8; POOL_BYTES], usize)> = const { std::cell::RefCell::new(([0; POOL_BYTES], POOL_BYTES)) };
}

/// A UUIDv7 (RFC 9562): 48 bits of milliseconds then random bits, so ids sort by creation time.
pub fn new_id(now_ms: i64) -> String {
    let mut b: [u8; 16] = random_bytes();
    let ms = (now_ms as u64).to_be_bytes();
    b[..6].copy_from_slice(&ms[2..]);
    b[6] = (b[6] & 0x0f) | 0x70;
    b[8] = (b[8] & 0x3f) | 0x80;
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut id = String::with_capacity(36);
    for (i, x) in b.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            id.push('-');
        }
        id.push(HEX[usize::from(x >> 4)] as char);
        id.push(HEX[usize::from(x & 0x0f)] as char);
    }
    id
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

use tocsin_domain::sealed::{Keyring, SealError, SealingKey};

/// This isolate's sealing keys, or why there are none.
type Ring = Result<Keyring, &'static str>;

thread_local! {
    static KEYRING: std::cell::RefCell<Ring> = const { std::cell::RefCell::new(Err(MISSING)) };
}

const MISSING: &str = "Tocsin is not fully configured: the worker secret TOCSIN_SECRET_KEY is missing or not 32 bytes of base64 (openssl rand -base64 32 | wrangler secret put TOCSIN_SECRET_KEY)";
const BAD_PREVIOUS: &str = "Tocsin is not fully configured: the worker secret TOCSIN_SECRET_KEY_PREVIOUS is set but not 32 bytes of base64 (it must be the key TOCSIN_SECRET_KEY was before the rotation)";

/// Reads the worker secrets `TOCSIN_SECRET_KEY` (32 random bytes, base64: seals and opens) and,
/// during a rotation, `TOCSIN_SECRET_KEY_PREVIOUS` (the key before it: opens only).
pub fn load_sealing_key(env: &worker::Env) {
    let var = |name: &str| env.var(name).ok().map(|v| v.to_string()).filter(|v| !v.trim().is_empty());
    let current = var("TOCSIN_SECRET_KEY").map(|v| SealingKey::parse(&v));
    let previous = var("TOCSIN_SECRET_KEY_PREVIOUS").map(|v| SealingKey::parse(&v));
    let ring = match (current, previous) {
        (Some(Ok(c)), None) => Ok(Keyring::new(c, None)),
        (Some(Ok(c)), Some(Ok(p))) => Ok(Keyring::new(c, Some(p))),
        // A typo in the previous key must not stop paging and intake: run on the current key
        // (values still under the previous one answer 503 naming the key ids) and say why.
        (Some(Ok(c)), Some(Err(_))) => {
            worker::console_error!("{BAD_PREVIOUS}");
            Ok(Keyring::new(c, None))
        }
        (Some(Err(e)), _) => {
            worker::console_error!("TOCSIN_SECRET_KEY: {e}");
            Err(MISSING)
        }
        (None, _) => Err(MISSING),
    };
    KEYRING.with(|k| *k.borrow_mut() = ring);
}

fn with_ring<T>(f: impl FnOnce(&Keyring) -> ApiResult<T>) -> ApiResult<T> {
    KEYRING.with(|k| match &*k.borrow() {
        Ok(ring) => f(ring),
        Err(why) => Err(ApiError::Misconfigured(why)),
    })
}

/// What a value that will not open means: a key the deployment lacks is a misconfiguration
/// (503, naming the key ids); a legacy value no key opens most likely too; a value naming a
/// key we hold that still fails was damaged or moved (500).
fn open_error(place: &str, stored: &str, e: SealError) -> ApiError {
    match e {
        SealError::UnknownKey { .. } => {
            worker::console_error!("{place}: {e}");
            ApiError::SealingKey(e.to_string())
        }
        SealError::Unopenable if stored.starts_with(tocsin_domain::sealed::LEGACY_PREFIX) => {
            worker::console_error!("{place}: {e}");
            ApiError::SealingKey("a stored secret opens with neither TOCSIN_SECRET_KEY nor TOCSIN_SECRET_KEY_PREVIOUS: set the key it was sealed with as TOCSIN_SECRET_KEY_PREVIOUS".into())
        }
        other => ApiError::Internal(format!("{place}: {other}")),
    }
}

/// Seals a secret for storage at `place` (e.g. `vapid:<org id>`), under the current key.
pub fn seal(plaintext: &str, place: &str) -> ApiResult<String> {
    with_ring(|r| Ok(r.seal(&random_bytes::<12>(), plaintext.as_bytes(), place)))
}

/// Opens what [`seal`] stored at `place` (under the current or the previous key).
pub fn open(sealed: &str, place: &str) -> ApiResult<String> {
    let plain = with_ring(|r| r.open(sealed, place).map_err(|e| open_error(place, sealed, e)))?;
    String::from_utf8(plain).map_err(|_| ApiError::Internal(format!("{place}: not text")))
}

/// The value sealed again under the current key, or `None` when it already is.
pub fn reseal(stored: &str, place: &str) -> ApiResult<Option<String>> {
    with_ring(|r| r.reseal(&random_bytes::<12>(), stored, place).map_err(|e| open_error(place, stored, e)))
}

/// The ids of the current and the previous key.
pub fn key_ids() -> ApiResult<(String, Option<String>)> {
    with_ring(|r| Ok((r.current_id().to_string(), r.previous_id().map(str::to_string))))
}
