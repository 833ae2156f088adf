//! On-call load per person over a range: pages received, the pages that came outside working
//! hours, and hours on call by the schedules.
//!
//! - A **page** is one decision to notify a person about an incident (a row of the notification
//!   outbox: an escalation step, "page now", a responder request), however many devices and
//!   repeats carried it.
//! - **After hours** is outside 09:00–18:00, Monday to Friday, in the organisation's time zone.
//!   The worker counts pages per person per 15-minute UTC slot; every time zone's offset is a
//!   multiple of 15 minutes, so a slot lies wholly inside or outside working hours.
//! - **Hours on call**: the time a schedule's final timeline (layers, restrictions, overrides)
//!   puts the person on call within the range; overlapping schedules count once.

use std::collections::BTreeMap;

use chrono::{Datelike, Timelike, Weekday};
use chrono_tz::Tz;

use super::buckets::utc;
use crate::api::metrics::OnCallLoad;
use crate::api::Person;
use crate::ids::UserId;
use crate::schedule::{shifts, Schedule};

/// The width of the slots pages are counted in (ms).
pub const SLOT_MS: i64 = 15 * 60_000;

/// Whether `at_ms` is outside working hours (09:00–18:00 Monday–Friday) in `tz`.
pub fn is_after_hours(at_ms: i64, tz: Tz) -> bool {
    let local = utc(at_ms).with_timezone(&tz);
    matches!(local.weekday(), Weekday::Sat | Weekday::Sun) || !(9..18).contains(&local.hour())
}

/// Pages of one person in one slot (`slot` = epoch ms / [`SLOT_MS`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PageSlot {
    pub user_id: String,
    pub slot: i64,
    pub pages: u64,
}

/// Milliseconds each person is on call in `[from_ms, to_ms)` across `schedules` (overlaps once).
pub fn on_call_ms(schedules: &[Schedule], from_ms: i64, to_ms: i64) -> BTreeMap<UserId, i64> {
    let mut spans: BTreeMap<UserId, Vec<(i64, i64)>> = BTreeMap::new();
    for s in schedules {
        for sh in shifts(s, utc(from_ms), utc(to_ms)) {
            for u in sh.users {
                spans.entry(u).or_default().push((sh.start.timestamp_millis(), sh.end.timestamp_millis()));
            }
        }
    }
    spans
        .into_iter()
        .map(|(u, mut v)| {
            v.sort_unstable();
            let (mut total, mut reach) = (0, i64::MIN);
            for (a, b) in v {
                let a = a.max(reach);
                if b > a {
                    total += b - a;
                }
                reach = reach.max(b);
            }
            (u, total)
        })
        .collect()
}

/// The load of everyone with a page or an hour on call, busiest first (pages, then hours, then
/// name). `names` maps user ids to names (people not in it are shown by id).
pub fn load(names: &BTreeMap<String, String>, pages: &[PageSlot], on_call: &BTreeMap<UserId, i64>, tz: Tz) -> Vec<OnCallLoad> {
    let mut by_user: BTreeMap<String, (u64, u64, i64)> = BTreeMap::new();
    for p in pages {
        let e = by_user.entry(p.user_id.clone()).or_default();
        e.0 += p.pages;
        if is_after_hours(p.slot * SLOT_MS, tz) {
            e.1 += p.pages;
        }
    }
    for (u, ms) in on_call {
        by_user.entry(u.0.clone()).or_default().2 += ms;
    }
    let mut out: Vec<OnCallLoad> = by_user
        .into_iter()
        .filter(|(_, (p, _, ms))| *p > 0 || *ms > 0)
        .map(|(id, (pages, after, ms))| OnCallLoad {
            user: Person { name: names.get(&id).cloned().unwrap_or_else(|| id.clone()), id: UserId(id) },
            pages,
            after_hours_pages: after,
            hours_on_call: (ms as f64 / 360_000.0).round() / 10.0,
        })
        .collect();
    out.sort_by(|a, b| b.pages.cmp(&a.pages).then(b.hours_on_call.total_cmp(&a.hours_on_call)).then_with(|| a.user.name.cmp(&b.user.name)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::{Layer, Override, Turn};
    use chrono::{DateTime, NaiveDateTime};

    fn ms(s: &str) -> i64 {
        DateTime::parse_from_rfc3339(s).unwrap().timestamp_millis()
    }

    #[test]
    fn working_hours_are_local_weekdays_nine_to_six() {
        let berlin: Tz = "Europe/Berlin".parse().unwrap();
        assert!(!is_after_hours(ms("2026-03-02T08:00:00Z"), berlin), "Monday 09:00 CET");
        assert!(is_after_hours(ms("2026-03-02T07:59:59Z"), berlin), "Monday 08:59 CET");
        assert!(is_after_hours(ms("2026-03-02T17:00:00Z"), berlin), "Monday 18:00 CET");
        assert!(!is_after_hours(ms("2026-07-06T15:59:00Z"), berlin), "Monday 17:59 CEST");
        assert!(is_after_hours(ms("2026-07-06T16:00:00Z"), berlin), "Monday 18:00 CEST");
    }

    #[test]
    fn weekends_are_after_hours_all_day() {
        let kolkata: Tz = "Asia/Kolkata".parse().unwrap();
        assert!(is_after_hours(ms("2026-03-07T06:00:00Z"), kolkata), "Saturday 11:30 IST");
        assert!(!is_after_hours(ms("2026-03-06T03:30:00Z"), kolkata), "Friday 09:00 IST");
        assert!(is_after_hours(ms("2026-03-06T03:15:00Z"), kolkata), "Friday 08:45 IST (a 15-minute slot)");
    }

    #[test]
    fn pages_and_hours_per_person_busiest_first() {
        let tz = Tz::UTC;
        let names = BTreeMap::from([("a".to_string(), "Ann".to_string()), ("b".to_string(), "Bob".to_string())]);
        let slot = |s: &str| ms(s) / SLOT_MS;
        let pages = vec![
            PageSlot { user_id: "a".into(), slot: slot("2026-03-02T10:00:00Z"), pages: 2 },
            PageSlot { user_id: "a".into(), slot: slot("2026-03-02T22:15:00Z"), pages: 1 },
            PageSlot { user_id: "b".into(), slot: slot("2026-03-07T10:00:00Z"), pages: 4 },
        ];
        let on_call = BTreeMap::from([(UserId("a".into()), 36_000_000), (UserId("c".into()), 0)]);
        let l = load(&names, &pages, &on_call, tz);
        assert_eq!(l.iter().map(|l| (l.user.name.as_str(), l.pages, l.after_hours_pages, l.hours_on_call)).collect::<Vec<_>>(), [("Bob", 4, 4, 0.0), ("Ann", 3, 1, 10.0)]);
    }

    #[test]
    fn hours_on_call_count_overlapping_schedules_once() {
        let tz = Tz::UTC;
        let layer = |who: &str| Layer {
            name: "L".into(),
            participants: vec![UserId(who.into())],
            start: NaiveDateTime::parse_from_str("2026-03-01 00:00", "%Y-%m-%d %H:%M").unwrap(),
            turn: Turn::Daily,
            restrictions: vec![],
        };
        let a = Schedule { time_zone: tz, layers: vec![layer("a")], overrides: vec![] };
        // A second schedule puts "a" on call for 6 of the same hours, "b" on the rest of the day.
        let b = Schedule {
            time_zone: tz,
            layers: vec![layer("b")],
            overrides: vec![Override { user: UserId("a".into()), start: DateTime::parse_from_rfc3339("2026-03-02T00:00:00Z").unwrap().into(), end: DateTime::parse_from_rfc3339("2026-03-02T06:00:00Z").unwrap().into() }],
        };
        let h = on_call_ms(&[a, b], ms("2026-03-02T00:00:00Z"), ms("2026-03-03T00:00:00Z"));
        assert_eq!(h[&UserId("a".into())], 24 * 3_600_000);
        assert_eq!(h[&UserId("b".into())], 18 * 3_600_000);
    }
}
