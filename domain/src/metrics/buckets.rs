//! Weeks and months of a range, cut in a time zone: a week runs from Monday 00:00 to the next
//! Monday 00:00 local time (ISO weeks), a month from the 1st 00:00 to the next 1st — so a week
//! with a DST change is 167 or 169 hours long, and every bucket boundary is a local midnight.
//! The first bucket is the one holding the range's start, the last the one holding its end.

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;

use crate::api::metrics::GroupBy;
use crate::schedule::resolve_local;

/// One period: `[start_ms, end_ms)` in UTC epoch ms.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bucket {
    /// `2026-W10` (ISO week) or `2026-03`.
    pub key: String,
    /// `2 Mar 2026` (the week's Monday) or `Mar 2026`.
    pub label: String,
    pub start_ms: i64,
    pub end_ms: i64,
}

pub fn utc(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}

fn midnight(tz: Tz, d: NaiveDate) -> i64 {
    resolve_local(tz, d.and_hms_opt(0, 0, 0).unwrap_or_default()).timestamp_millis()
}

fn first_of_next_month(d: NaiveDate) -> NaiveDate {
    let (y, m) = if d.month() == 12 { (d.year() + 1, 1) } else { (d.year(), d.month() + 1) };
    NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(d)
}

/// The periods covering `[from_ms, to_ms)` for a time grouping (none for the others).
pub fn buckets(by: GroupBy, tz: Tz, from_ms: i64, to_ms: i64) -> Vec<Bucket> {
    if !by.is_time() || to_ms <= from_ms {
        return Vec::new();
    }
    let first = utc(from_ms).with_timezone(&tz).date_naive();
    let mut day = match by {
        GroupBy::Week => first - Duration::days(i64::from(first.weekday().num_days_from_monday())),
        _ => first.with_day(1).unwrap_or(first),
    };
    let mut out = Vec::new();
    // A local midnight can resolve a little after the range start is read; the loop bound is
    // generous (a 400-day range has at most 59 weeks).
    while out.len() < 1000 {
        let next = match by {
            GroupBy::Week => day + Duration::days(7),
            _ => first_of_next_month(day),
        };
        let (start_ms, end_ms) = (midnight(tz, day), midnight(tz, next));
        if start_ms >= to_ms {
            break;
        }
        let (key, label) = match by {
            GroupBy::Week => (day.format("%G-W%V").to_string(), day.format("%-d %b %Y").to_string()),
            _ => (day.format("%Y-%m").to_string(), day.format("%b %Y").to_string()),
        };
        out.push(Bucket { key, label, start_ms, end_ms });
        day = next;
    }
    out
}

/// The index of the bucket holding `t` (buckets are contiguous and in order).
pub fn index_of(buckets: &[Bucket], t: i64) -> Option<usize> {
    let i = buckets.partition_point(|b| b.end_ms <= t);
    buckets.get(i).filter(|b| b.start_ms <= t).map(|_| i)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(s: &str) -> i64 {
        DateTime::parse_from_rfc3339(s).unwrap().timestamp_millis()
    }

    #[test]
    fn a_berlin_week_with_the_spring_dst_change_is_167_hours() {
        let tz: Tz = "Europe/Berlin".parse().unwrap();
        let b = buckets(GroupBy::Week, tz, ms("2026-03-25T12:00:00Z"), ms("2026-04-01T00:00:00Z"));
        assert_eq!(b.len(), 2);
        assert_eq!(b[0].key, "2026-W13");
        assert_eq!(b[0].label, "23 Mar 2026");
        // Monday 23 March 00:00 CET = 22 March 23:00Z; Monday 30 March 00:00 CEST = 29 March 22:00Z.
        assert_eq!(b[0].start_ms, ms("2026-03-22T23:00:00Z"));
        assert_eq!(b[0].end_ms, ms("2026-03-29T22:00:00Z"));
        assert_eq!(b[0].end_ms - b[0].start_ms, 167 * 3_600_000);
        assert_eq!(b[1].start_ms, b[0].end_ms);
        // 29 March 22:30Z is already Monday 00:30 CEST: the next week.
        assert_eq!(index_of(&b, ms("2026-03-29T22:30:00Z")), Some(1));
        assert_eq!(index_of(&b, ms("2026-03-29T21:30:00Z")), Some(0));
        assert_eq!(index_of(&b, ms("2026-03-22T22:59:59Z")), None);
    }

    #[test]
    fn months_in_new_york_and_the_year_boundary() {
        let tz: Tz = "America/New_York".parse().unwrap();
        let b = buckets(GroupBy::Month, tz, ms("2025-12-15T00:00:00Z"), ms("2026-02-01T05:00:00Z"));
        let keys: Vec<&str> = b.iter().map(|b| b.key.as_str()).collect();
        assert_eq!(keys, ["2025-12", "2026-01"], "Feb 1 00:00 EST is 05:00Z: the range ends there");
        assert_eq!(b[1].start_ms, ms("2026-01-01T05:00:00Z"));
        assert_eq!(b[1].label, "Jan 2026");
    }

    #[test]
    fn no_buckets_for_other_groupings_or_an_empty_range() {
        let tz: Tz = "UTC".parse().unwrap();
        assert!(buckets(GroupBy::Service, tz, 0, 10).is_empty());
        assert!(buckets(GroupBy::Week, tz, 10, 10).is_empty());
    }
}
