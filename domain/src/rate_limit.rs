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
    let w = if now_ms - w.started_at_ms >= WINDOW_MS || now_ms < w.started_at_ms {
        Window { started_at_ms: now_ms, count: 0 }
    } else {
        w
    };
    if w.count >= limit {
        let retry = (w.started_at_ms + WINDOW_MS - now_ms + 999) / 1000;
        (w, Some(retry.max(1)))
    } else {
        (Window { count: w.count + 1, ..w }, None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
