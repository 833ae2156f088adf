//! Per-key rate limiting for alert ingestion: a fixed one-minute window per integration key.

/// A key's count in its current window.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Window {
    pub started_at_ms: i64,
    pub count: u32,
}

pub const WINDOW_MS: i64 = 60_000;

/// Counts one event against `limit` per minute. Returns the updated window and, when the event is
/// over the limit, how many seconds until the window ends (for `Retry-After`).
pub fn admit(w: Window, limit: u32, now_ms: i64) -> (Window, Option<i64>) {
    admit_n(w, limit, 1, now_ms)
}

/// Counts `n` alerts at once (a payload with several): all are admitted, or none (with the
/// seconds until the window ends).
pub fn admit_n(w: Window, limit: u32, n: u32, now_ms: i64) -> (Window, Option<i64>) {
    let w = if now_ms - w.started_at_ms >= WINDOW_MS || now_ms < w.started_at_ms {
        Window { started_at_ms: now_ms, count: 0 }
    } else {
        w
    };
    if w.count.saturating_add(n) > limit {
        let retry = (w.started_at_ms + WINDOW_MS - now_ms + 999) / 1000;
        (w, Some(retry.max(1)))
    } else {
        (Window { count: w.count + n, ..w }, None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_payload_counts_each_of_its_alerts() {
        let t0 = 5_000_000;
        let (w, refused) = admit_n(Window::default(), 10, 8, t0);
        assert_eq!((w.count, refused), (8, None));
        let (w2, refused) = admit_n(w, 10, 3, t0 + 1);
        assert_eq!(w2, w, "all or none: 8 + 3 > 10");
        assert_eq!(refused, Some(60));
        assert_eq!(admit_n(w, 10, 2, t0 + 2).0.count, 10, "exactly the limit is fine");
    }

    #[test]
    fn counts_within_the_minute_then_refuses_until_it_ends() {
        let mut w = Window::default();
        let t0 = 1_000_000;
        for i in 0..3 {
            let (next, refused) = admit(w, 3, t0 + i);
            assert_eq!(refused, None, "event {i}");
            w = next;
        }
        let (w, refused) = admit(w, 3, t0 + 20_000);
        assert_eq!(refused, Some(40));
        let (w, refused) = admit(w, 3, t0 + 59_999);
        assert_eq!(refused, Some(1));
        let (w, refused) = admit(w, 3, t0 + 60_000);
        assert_eq!((refused, w.count), (None, 1), "a new window starts");
        assert_eq!(admit(w, 0, t0 + 60_001).1, Some(60), "a zero limit refuses everything");
    }
}
