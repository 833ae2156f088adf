//! The retry rule for every outbound delivery (Web Push requests and webhooks): what an answer
//! means, and when to try again. Bounded: a delivery is given up after [`MAX_ATTEMPTS`].

use chrono::{DateTime, Duration, Utc};

/// Attempts per delivery, the first included.
pub const MAX_ATTEMPTS: u32 = 5;

/// What one attempt's answer (`None`: no answer — refused, reset, timed out) means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// 2xx: done.
    Delivered,
    /// 404/410: the receiver is gone for good (a push subscription that expired or was
    /// revoked); forget it.
    Gone,
    /// 429, 5xx, no answer: try again later.
    Retry,
    /// Any other 4xx, or a 3xx (redirects are not followed: the place one names was never
    /// checked): the request itself is refused; retrying will not help.
    Refused,
}

pub fn classify(status: Option<u16>) -> Outcome {
    match status {
        Some(200..=299) => Outcome::Delivered,
        Some(404 | 410) => Outcome::Gone,
        Some(429) | Some(500..=599) | None => Outcome::Retry,
        Some(_) => Outcome::Refused,
    }
}

/// The decision after attempt number `attempt` (1-based) ended with `outcome`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Next {
    Done,
    RetryAt(DateTime<Utc>),
    GiveUp,
    Forget,
}

/// Waits 30 s, 2 min, 10 min, 30 min between attempts; a `Retry-After` (seconds) from the
/// receiver is honoured when it asks for longer, up to an hour.
pub fn after_attempt(outcome: Outcome, attempt: u32, retry_after_secs: Option<i64>, now: DateTime<Utc>) -> Next {
    match outcome {
        Outcome::Delivered => Next::Done,
        Outcome::Gone => Next::Forget,
        Outcome::Refused => Next::GiveUp,
        Outcome::Retry if attempt >= MAX_ATTEMPTS => Next::GiveUp,
        Outcome::Retry => {
            let base = match attempt {
                0 | 1 => 30,
                2 => 120,
                3 => 600,
                _ => 1800,
            };
            let wait = retry_after_secs.map(|r| r.clamp(0, 3600)).unwrap_or(0).max(base);
            Next::RetryAt(now + Duration::seconds(wait))
        }
    }
}

/// Words for a delivery log.
pub fn describe(status: Option<u16>) -> String {
    match (status, classify(status)) {
        (None, _) => "no answer (connection failed or timed out); will retry".into(),
        (Some(s), Outcome::Delivered) => format!("{s}: delivered"),
        (Some(s), Outcome::Gone) => format!("{s}: the receiver is gone"),
        (Some(s), Outcome::Retry) => format!("{s}: temporary failure; will retry"),
        (Some(s), Outcome::Refused) => format!("{s}: refused"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn answers_are_classified() {
        assert_eq!(classify(Some(201)), Outcome::Delivered);
        assert_eq!(classify(Some(410)), Outcome::Gone);
        assert_eq!(classify(Some(404)), Outcome::Gone);
        assert_eq!(classify(Some(429)), Outcome::Retry);
        assert_eq!(classify(Some(503)), Outcome::Retry);
        assert_eq!(classify(None), Outcome::Retry);
        assert_eq!(classify(Some(400)), Outcome::Refused);
        assert_eq!(classify(Some(413)), Outcome::Refused);
    }

    #[test]
    fn retries_back_off_and_stop() {
        let now = Utc.with_ymd_and_hms(2026, 12, 1, 3, 0, 0).unwrap();
        assert_eq!(after_attempt(Outcome::Retry, 1, None, now), Next::RetryAt(now + Duration::seconds(30)));
        assert_eq!(after_attempt(Outcome::Retry, 2, None, now), Next::RetryAt(now + Duration::seconds(120)));
        assert_eq!(after_attempt(Outcome::Retry, 4, None, now), Next::RetryAt(now + Duration::seconds(1800)));
        assert_eq!(after_attempt(Outcome::Retry, MAX_ATTEMPTS, None, now), Next::GiveUp);
        assert_eq!(after_attempt(Outcome::Retry, 1, Some(90), now), Next::RetryAt(now + Duration::seconds(90)));
        assert_eq!(after_attempt(Outcome::Retry, 1, Some(86_400), now), Next::RetryAt(now + Duration::seconds(3600)));
        assert_eq!(after_attempt(Outcome::Retry, 2, Some(5), now), Next::RetryAt(now + Duration::seconds(120)));
        assert_eq!(after_attempt(Outcome::Gone, 1, None, now), Next::Forget);
        assert_eq!(after_attempt(Outcome::Refused, 1, None, now), Next::GiveUp);
        assert_eq!(after_attempt(Outcome::Delivered, 3, None, now), Next::Done);
    }
}
