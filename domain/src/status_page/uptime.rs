//! Daily uptime per component: for each of the last N days in the page's time zone, the share of
//! the day (from the component's creation, up to now) not spent in partial or major outage.
//! Days follow the wall clock, so a spring-forward day has 23 hours and a fall-back day 25.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;

use super::ComponentStatus;

/// A component entered `status` at `at_ms`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StatusChange {
    pub at_ms: i64,
    pub status: ComponentStatus,
}

pub fn parse_tz(name: &str) -> Option<Tz> {
    name.parse().ok()
}

/// The page's zone, UTC when the name is not a known one.
pub fn tz_or_utc(name: &str) -> Tz {
    parse_tz(name).unwrap_or(chrono_tz::UTC)
}

/// The UTC instant a local day starts (the first valid instant when midnight falls in a gap).
pub fn day_start(tz: Tz, day: NaiveDate) -> i64 {
    let mut local = day.and_hms_opt(0, 0, 0).expect("midnight exists");
    for _ in 0..4 {
        if let Some(t) = tz.from_local_datetime(&local).earliest() {
            return t.timestamp_millis();
        }
        local += Duration::minutes(30);
    }
    Utc.from_utc_datetime(&day.and_hms_opt(0, 0, 0).expect("midnight exists")).timestamp_millis()
}

/// Milliseconds of outage within [from, to), given changes sorted by time (operational before
/// the first change).
fn outage_ms(history: &[StatusChange], from: i64, to: i64) -> i64 {
    let mut total = 0;
    for (i, c) in history.iter().enumerate() {
        let seg_end = history.get(i + 1).map_or(i64::MAX, |n| n.at_ms);
        if c.status.is_outage() {
            let (a, b) = (c.at_ms.max(from), seg_end.min(to));
            if b > a {
                total += b - a;
            }
        }
    }
    total
}

/// Uptime for the `days` days ending today (in `tz`), oldest first. `None` marks days with no
/// time to count (before the component existed).
pub fn daily(created_ms: i64, history: &[StatusChange], tz: Tz, now: DateTime<Utc>, days: u32) -> Vec<Option<f64>> {
    let now_ms = now.timestamp_millis();
    let today = now.with_timezone(&tz).date_naive();
    (0..days)
        .rev()
        .map(|back| {
            let day = today - Duration::days(i64::from(back));
            let (start, end) = (day_start(tz, day), day_start(tz, day + Duration::days(1)));
            let (from, to) = (start.max(created_ms), end.min(now_ms));
            (to > from).then(|| 1.0 - outage_ms(history, from, to) as f64 / (to - from) as f64)
        })
        .collect()
}

/// The share of the whole period that was up, weighting days by their counted length.
pub fn overall(created_ms: i64, history: &[StatusChange], now_ms: i64, since_ms: i64) -> Option<f64> {
    let from = since_ms.max(created_ms);
    (now_ms > from).then(|| 1.0 - outage_ms(history, from, now_ms) as f64 / (now_ms - from) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ComponentStatus::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }
    fn ms(s: &str) -> i64 {
        utc(s).timestamp_millis()
    }
    fn ch(at: &str, status: ComponentStatus) -> StatusChange {
        StatusChange { at_ms: ms(at), status }
    }

    #[test]
    fn an_hour_of_major_outage_in_a_utc_day() {
        let h = [ch("2026-11-20T10:00:00Z", MajorOutage), ch("2026-11-20T11:00:00Z", Operational)];
        let days = daily(ms("2026-01-01T00:00:00Z"), &h, chrono_tz::UTC, utc("2026-11-22T12:00:00Z"), 3);
        assert_eq!(days.len(), 3);
        assert!((days[0].unwrap() - 23.0 / 24.0).abs() < 1e-9, "{days:?}");
        assert_eq!(days[1], Some(1.0));
        assert_eq!(days[2], Some(1.0), "today counts up to now");
    }

    #[test]
    fn degraded_and_maintenance_do_not_count_as_down() {
        let h = [ch("2026-11-20T00:00:00Z", DegradedPerformance), ch("2026-11-20T06:00:00Z", UnderMaintenance), ch("2026-11-20T12:00:00Z", PartialOutage)];
        let days = daily(0, &h, chrono_tz::UTC, utc("2026-11-21T00:00:00Z"), 2);
        assert!((days[0].unwrap() - 0.5).abs() < 1e-9, "partial outage from noon: {days:?}");
    }

    #[test]
    fn days_follow_the_page_time_zone() {
        // 23:30–00:30 in Berlin (UTC+1 in November) straddles two local days: 30 minutes each.
        let h = [ch("2026-11-20T22:30:00Z", MajorOutage), ch("2026-11-20T23:30:00Z", Operational)];
        let tz: Tz = "Europe/Berlin".parse().unwrap();
        let days = daily(0, &h, tz, utc("2026-11-22T12:00:00Z"), 3);
        let half_hour = 1.0 - 30.0 / (24.0 * 60.0);
        assert!((days[0].unwrap() - half_hour).abs() < 1e-9, "Nov 20 local: {days:?}");
        assert!((days[1].unwrap() - half_hour).abs() < 1e-9, "Nov 21 local: {days:?}");
        // The same history in UTC is one day with a full hour down.
        let utc_days = daily(0, &h, chrono_tz::UTC, utc("2026-11-22T12:00:00Z"), 3);
        assert!((utc_days[0].unwrap() - 23.0 / 24.0).abs() < 1e-9);
    }

    #[test]
    fn spring_forward_and_fall_back_days_have_23_and_25_hours() {
        let tz: Tz = "Europe/Berlin".parse().unwrap();
        let spring = NaiveDate::from_ymd_opt(2026, 3, 29).unwrap();
        let autumn = NaiveDate::from_ymd_opt(2026, 10, 25).unwrap();
        let hours = |d: NaiveDate| (day_start(tz, d + Duration::days(1)) - day_start(tz, d)) / 3_600_000;
        assert_eq!((hours(spring), hours(autumn)), (23, 25));
        // One hour down on the 23-hour day is 1/23 of it.
        let h = [ch("2026-03-29T10:00:00Z", MajorOutage), ch("2026-03-29T11:00:00Z", Operational)];
        let days = daily(0, &h, tz, utc("2026-03-30T12:00:00Z"), 2);
        assert!((days[0].unwrap() - 22.0 / 23.0).abs() < 1e-9, "{days:?}");
    }

    #[test]
    fn days_before_creation_are_not_counted() {
        let created = ms("2026-11-21T12:00:00Z");
        let h = [ch("2026-11-21T12:00:00Z", Operational), ch("2026-11-21T18:00:00Z", MajorOutage)];
        let days = daily(created, &h, chrono_tz::UTC, utc("2026-11-22T00:00:00Z"), 3);
        assert_eq!(days[0], None);
        assert!((days[1].unwrap() - 0.5).abs() < 1e-9, "counted from creation: {days:?}");
        assert_eq!(days[2], None, "today has not started yet");
        assert!((overall(created, &h, ms("2026-11-22T00:00:00Z"), 0).unwrap() - 0.5).abs() < 1e-9);
    }
}
