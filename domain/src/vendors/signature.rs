//! Webhook signatures: HMAC-SHA256 as Grafana, Sentry and Tocsin's own outbound webhooks use it,
//! compared in constant time.

use hmac::{Hmac, Mac};
use sha2::Sha256;

pub fn hmac_sha256_hex(secret: &[u8], message: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(message);
    mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
}

/// True when `given_hex` (case-insensitive, optional `sha256=` prefix) is the HMAC of `message`.
pub fn verify_hmac_sha256_hex(secret: &[u8], message: &[u8], given_hex: &str) -> bool {
    let given = given_hex.trim();
    let given = given.strip_prefix("sha256=").unwrap_or(given).to_ascii_lowercase();
    let want = hmac_sha256_hex(secret, message);
    constant_time_eq(want.as_bytes(), given.as_bytes())
}

pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc4231_test_case_2() {
        // RFC 4231 §4.3: key "Jefe", data "what do ya want for nothing?"
        assert_eq!(
            hmac_sha256_hex(b"Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn verification() {
        let sig = hmac_sha256_hex(b"s3cret", b"{\"a\":1}");
        assert!(verify_hmac_sha256_hex(b"s3cret", b"{\"a\":1}", &sig));
        assert!(verify_hmac_sha256_hex(b"s3cret", b"{\"a\":1}", &sig.to_uppercase()));
        assert!(verify_hmac_sha256_hex(b"s3cret", b"{\"a\":1}", &format!("sha256={sig}")));
        assert!(!verify_hmac_sha256_hex(b"other", b"{\"a\":1}", &sig));
        assert!(!verify_hmac_sha256_hex(b"s3cret", b"{\"a\":2}", &sig));
        assert!(!verify_hmac_sha256_hex(b"s3cret", b"{\"a\":1}", ""));
    }
}
