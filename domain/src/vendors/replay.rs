//! Replay window for signed deliveries: a message whose own send time is more than five minutes
//! from now (either way) is refused, so a captured, correctly signed delivery cannot be replayed
//! later to open or resolve incidents.

use chrono::DateTime;

/// How far a delivery's send time may be from the receiver's clock.
pub const MAX_SKEW_SECS: i64 = 300;

/// A send time in Unix seconds (or milliseconds, told apart by size) → whether it is fresh.
pub fn fresh_unix(sent: &str, now_ms: i64) -> bool {
    let Ok(n) = sent.trim().parse::<i64>() else { return false };
    let secs = if n > 100_000_000_000 { n / 1000 } else { n };
    (now_ms.div_euclid(1000) - secs).abs() <= MAX_SKEW_SECS
}

/// An RFC 3339 send time (SNS's `Timestamp`) → whether it is fresh.
pub fn fresh_rfc3339(sent: &str, now_ms: i64) -> bool {
    DateTime::parse_from_rfc3339(sent.trim()).is_ok_and(|t| (now_ms - t.timestamp_millis()).abs() <= MAX_SKEW_SECS * 1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_minutes_either_way() {
        let now = 1_790_000_000_000;
        assert!(fresh_unix("1790000000", now));
        assert!(fresh_unix("1789999700", now), "exactly five minutes old");
        assert!(!fresh_unix("1789999699", now), "a second more");
        assert!(!fresh_unix("1790000301", now), "from the future");
        assert!(fresh_unix("1790000000123", now), "milliseconds");
        assert!(!fresh_unix("yesterday", now) && !fresh_unix("", now));
        assert!(fresh_rfc3339("2026-09-21T14:13:20.000Z", 1_790_000_000_000));
        assert!(!fresh_rfc3339("2026-09-21T14:00:00Z", 1_790_000_000_000), "13 minutes old");
        assert!(!fresh_rfc3339("not a time", now));
    }
}
