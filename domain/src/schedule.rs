//! On-call schedules: layers of rotations (with optional time-of-day or weekday restrictions),
//! a higher layer winning where it applies, and overrides winning over all layers. Turns are
//! counted on the schedule's wall clock, so handoffs stay at their local time across DST.
//!
//! DST rules: a handoff whose local time does not exist (it falls in a spring-forward gap) happens
//! at the first valid instant after the gap (02:30 on 2026-03-29 in Europe/Berlin → 03:00 CEST);
//! a handoff whose local time occurs twice (fall-back) happens at the first occurrence.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::ids::UserId;

/// How long one participant's turn lasts, in wall-clock terms.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Turn {
    Daily,
    Weekly,
    /// N wall-clock hours (1–168).
    Hours { hours: u32 },
}

impl Turn {
    fn local(self) -> Duration {
        match self {
            Turn::Daily => Duration::days(1),
            Turn::Weekly => Duration::weeks(1),
            Turn::Hours { hours } => Duration::hours(i64::from(hours.clamp(1, 168))),
        }
    }
}

/// When a layer applies, in the schedule's local time. Empty restrictions: always.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Restriction {
    /// Every day from `start` to `end` (wrapping past midnight when `end <= start`).
    Daily { start: NaiveTime, end: NaiveTime },
    /// Every week from `start_day` `start` to `end_day` `end` (wrapping past Sunday).
    Weekly {
        /// `Mon` … `Sun`.
        #[cfg_attr(feature = "openapi", schemars(with = "String"))]
        start_day: Weekday,
        start: NaiveTime,
        #[cfg_attr(feature = "openapi", schemars(with = "String"))]
        end_day: Weekday,
        end: NaiveTime,
    },
}

impl Restriction {
    /// Whether the local time `t` falls in the window.
    pub fn contains(self, t: NaiveDateTime) -> bool {
        match self {
            Restriction::Daily { start, end } => {
                let x = t.time();
                if start < end {
                    start <= x && x < end
                } else {
                    x >= start || x < end
                }
            }
            Restriction::Weekly { start_day, start, end_day, end } => {
                let minute_of_week = |d: Weekday, tm: NaiveTime| i64::from(d.num_days_from_monday()) * 1440 + i64::from(tm.hour_min());
                let (s, e) = (minute_of_week(start_day, start), minute_of_week(end_day, end));
                let x = minute_of_week(t.weekday(), t.time());
                if s < e {
                    s <= x && x < e
                } else {
                    x >= s || x < e
                }
            }
        }
    }

    /// Local times on `day` where the window opens or closes.
    fn edges_on(self, day: NaiveDate) -> Vec<NaiveDateTime> {
        match self {
            Restriction::Daily { start, end } => vec![day.and_time(start), day.and_time(end)],
            Restriction::Weekly { start_day, start, end_day, end } => {
                let mut v = Vec::new();
                if day.weekday() == start_day {
                    v.push(day.and_time(start));
                }
                if day.weekday() == end_day {
                    v.push(day.and_time(end));
                }
                v
            }
        }
    }
}

trait HourMin {
    fn hour_min(self) -> u32;
}
impl HourMin for NaiveTime {
    fn hour_min(self) -> u32 {
        use chrono::Timelike;
        self.hour() * 60 + self.minute()
    }
}

/// One rotation: participants take turns from `start` (local), each for one `turn`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct Layer {
    pub name: String,
    pub participants: Vec<UserId>,
    /// The first handoff, in the schedule's local time; also sets the daily handoff time.
    pub start: NaiveDateTime,
    pub turn: Turn,
    #[serde(default)]
    pub restrictions: Vec<Restriction>,
}

/// Someone covers a span, whatever the layers say.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct Override {
    pub user: UserId,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct Schedule {
    #[cfg_attr(feature = "openapi", schemars(with = "String"))]
    pub time_zone: Tz,
    /// Lowest priority first: a later layer wins where it applies.
    pub layers: Vec<Layer>,
    #[serde(default)]
    pub overrides: Vec<Override>,
}

/// One stretch of the final timeline: who is on call from `start` to `end`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct Shift {
    pub users: Vec<UserId>,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// The UTC instant of a local time, by the DST rules above.
pub fn resolve_local(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    if let Some(t) = tz.from_local_datetime(&local).earliest() {
        return t.with_timezone(&Utc);
    }
    // In a gap: walk forward minute by minute to the first valid local time (gaps are < 3 h).
    let mut probe = local;
    for _ in 0..180 {
        probe += Duration::minutes(1);
        if let Some(t) = tz.from_local_datetime(&probe).earliest() {
            return t.with_timezone(&Utc);
        }
    }
    Utc.from_utc_datetime(&local)
}

impl Layer {
    /// The instant turn `k` starts.
    fn boundary(&self, tz: Tz, k: i64) -> DateTime<Utc> {
        resolve_local(tz, self.start + self.turn.local() * (k as i32))
    }

    /// The turn in progress at `at` (`None` before the rotation starts).
    fn turn_at(&self, tz: Tz, at: DateTime<Utc>) -> Option<i64> {
        if self.participants.is_empty() || at < self.boundary(tz, 0) {
            return None;
        }
        let local = at.with_timezone(&tz).naive_local();
        let len = self.turn.local().num_seconds();
        let mut k = (local - self.start).num_seconds().div_euclid(len);
        // Wall-clock arithmetic can be one turn off around DST changes: settle on the right one.
        while k > 0 && self.boundary(tz, k) > at {
            k -= 1;
        }
        while self.boundary(tz, k + 1) <= at {
            k += 1;
        }
        Some(k)
    }

    fn applies(&self, local: NaiveDateTime) -> bool {
        self.restrictions.is_empty() || self.restrictions.iter().any(|r| r.contains(local))
    }

    /// Who this layer puts on call at `at`, if it applies then.
    pub fn on_call(&self, tz: Tz, at: DateTime<Utc>) -> Option<&UserId> {
        let k = self.turn_at(tz, at)?;
        if !self.applies(at.with_timezone(&tz).naive_local()) {
            return None;
        }
        self.participants.get(k.rem_euclid(self.participants.len() as i64) as usize)
    }
}

/// Who is on call at `at`: the overrides covering it, else the highest layer that applies.
pub fn on_call(s: &Schedule, at: DateTime<Utc>) -> Vec<UserId> {
    let mut covering: Vec<UserId> = Vec::new();
    for o in s.overrides.iter().filter(|o| o.start <= at && at < o.end) {
        // Each person once, however many of their overrides overlap (not only adjacent ones).
        if !covering.contains(&o.user) {
            covering.push(o.user.clone());
        }
    }
    if !covering.is_empty() {
        return covering;
    }
    s.layers.iter().rev().find_map(|l| l.on_call(s.time_zone, at)).map(|u| vec![u.clone()]).unwrap_or_default()
}

/// The final timeline between `from` and `to`: consecutive stretches with the same people merged;
/// stretches with nobody on call are left out.
pub fn shifts(s: &Schedule, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<Shift> {
    if to <= from {
        return Vec::new();
    }
    let tz = s.time_zone;
    let mut points = vec![from, to];
    for o in &s.overrides {
        points.extend([o.start, o.end]);
    }
    for l in &s.layers {
        if let (Some(k0), Some(k1)) = (l.turn_at(tz, from).or(Some(-1)), l.turn_at(tz, to)) {
            for k in k0.max(-1) + 1..=k1 {
                points.push(l.boundary(tz, k));
            }
        }
        points.push(l.boundary(tz, 0));
        let (d0, d1) = (from.with_timezone(&tz).date_naive() - Duration::days(1), to.with_timezone(&tz).date_naive());
        let mut d = d0;
        while d <= d1 {
            for r in &l.restrictions {
                points.extend(r.edges_on(d).into_iter().map(|t| resolve_local(tz, t)));
            }
            d += Duration::days(1);
        }
    }
    points.retain(|p| *p >= from && *p <= to);
    points.sort();
    points.dedup();
    let mut out: Vec<Shift> = Vec::new();
    for w in points.windows(2) {
        let users = on_call(s, w[0]);
        if users.is_empty() {
            continue;
        }
        match out.last_mut() {
            Some(last) if last.end == w[0] && last.users == users => last.end = w[1],
            _ => out.push(Shift { users, start: w[0], end: w[1] }),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(s: &str) -> UserId {
        UserId(s.into())
    }
    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }
    fn local(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }
    fn layer(people: &[&str], start: &str, turn: Turn) -> Layer {
        Layer { name: "L".into(), participants: people.iter().map(|p| u(p)).collect(), start: local(start), turn, restrictions: vec![] }
    }
    fn berlin() -> Tz {
        "Europe/Berlin".parse().unwrap()
    }
    fn new_york() -> Tz {
        "America/New_York".parse().unwrap()
    }

    #[test]
    fn overlapping_overrides_name_each_person_once() {
        let o = |who: &str, start: &str, end: &str| Override { user: u(who), start: utc(start), end: utc(end) };
        let s = Schedule {
            time_zone: berlin(),
            layers: vec![layer(&["c"], "2026-03-01 09:00", Turn::Daily)],
            overrides: vec![o("ana", "2026-11-24T08:00:00Z", "2026-11-24T12:00:00Z"), o("bo", "2026-11-24T09:00:00Z", "2026-11-24T10:00:00Z"), o("ana", "2026-11-24T08:30:00Z", "2026-11-24T11:00:00Z")],
        };
        assert_eq!(on_call(&s, utc("2026-11-24T09:30:00Z")), vec![u("ana"), u("bo")]);
        let sh = shifts(&s, utc("2026-11-24T08:00:00Z"), utc("2026-11-24T12:00:00Z"));
        assert_eq!(sh.iter().map(|x| x.users.len()).collect::<Vec<_>>(), [1, 2, 1], "{sh:?}");
    }

    #[test]
    fn daily_0900_berlin_handoff_stays_at_0900_across_both_dst_changes() {
        let s = Schedule { time_zone: berlin(), layers: vec![layer(&["a", "b", "c"], "2026-03-01 09:00", Turn::Daily)], overrides: vec![] };
        // Spring forward (2026-03-29): 09:00 CEST is 07:00Z; the day before it was 08:00Z.
        assert_eq!(on_call(&s, utc("2026-03-28T07:59:00Z")), vec![u("c")], "Mar 27's person until 09:00 CET");
        assert_eq!(on_call(&s, utc("2026-03-28T08:00:00Z")), vec![u("a")]);
        assert_eq!(on_call(&s, utc("2026-03-29T06:59:00Z")), vec![u("a")]);
        assert_eq!(on_call(&s, utc("2026-03-29T07:00:00Z")), vec![u("b")], "09:00 CEST");
        // Fall back (2026-10-25): 09:00 CET is 08:00Z, the day before (CEST) 07:00Z.
        let sh = shifts(&s, utc("2026-10-24T00:00:00Z"), utc("2026-10-27T00:00:00Z"));
        let starts: Vec<String> = sh.iter().skip(1).map(|x| x.start.to_rfc3339()).collect();
        assert_eq!(starts, ["2026-10-24T07:00:00+00:00", "2026-10-25T08:00:00+00:00", "2026-10-26T08:00:00+00:00"]);
        for x in &sh {
            assert_eq!(x.start.with_timezone(&berlin()).format("%H:%M").to_string() == "09:00", x.start != utc("2026-10-24T00:00:00Z"));
        }
    }

    #[test]
    fn twelve_hour_new_york_rotation_keeps_wall_clock_handoffs_on_2026_11_01() {
        let s = Schedule { time_zone: new_york(), layers: vec![layer(&["day", "night"], "2026-10-30 08:00", Turn::Hours { hours: 12 })], overrides: vec![] };
        let sh = shifts(&s, utc("2026-10-31T12:00:00Z"), utc("2026-11-02T14:00:00Z"));
        let local: Vec<String> = sh.iter().map(|x| format!("{} {}", x.start.with_timezone(&new_york()).format("%d %H:%M %Z"), x.users[0])).collect();
        assert_eq!(local, ["31 08:00 EDT day", "31 20:00 EDT night", "01 08:00 EST day", "01 20:00 EST night", "02 08:00 EST day"]);
        // The night of the change has 13 hours (the clock repeats 01:00–02:00).
        let night = &sh[1];
        assert_eq!((night.end - night.start).num_hours(), 13);
    }

    #[test]
    fn a_handoff_in_the_spring_forward_gap_moves_to_the_end_of_the_gap() {
        let s = Schedule { time_zone: berlin(), layers: vec![layer(&["a", "b"], "2026-03-27 02:30", Turn::Daily)], overrides: vec![] };
        let sh = shifts(&s, utc("2026-03-28T12:00:00Z"), utc("2026-03-30T12:00:00Z"));
        let starts: Vec<String> = sh.iter().map(|x| x.start.with_timezone(&berlin()).format("%m-%d %H:%M").to_string()).collect();
        assert_eq!(starts, ["03-28 13:00", "03-29 03:00", "03-30 02:30"], "02:30 does not exist on Mar 29: 03:00");
        assert_eq!(resolve_local(berlin(), local("2026-10-25 02:30")), utc("2026-10-25T00:30:00Z"), "ambiguous: the first 02:30 (CEST)");
    }

    #[test]
    fn weekly_rotation_and_layers_and_restrictions() {
        let base = layer(&["a", "b"], "2026-01-05 09:00", Turn::Weekly);
        let mut nights = layer(&["n1"], "2026-01-01 00:00", Turn::Daily);
        nights.restrictions = vec![Restriction::Daily { start: NaiveTime::from_hms_opt(18, 0, 0).unwrap(), end: NaiveTime::from_hms_opt(8, 0, 0).unwrap() }];
        let s = Schedule { time_zone: chrono_tz::UTC, layers: vec![base, nights], overrides: vec![] };
        assert_eq!(on_call(&s, utc("2026-01-05T09:00:00Z")), vec![u("a")]);
        assert_eq!(on_call(&s, utc("2026-01-12T08:59:00Z")), vec![u("a")]);
        assert_eq!(on_call(&s, utc("2026-01-12T09:00:00Z")), vec![u("b")], "weekly handoff");
        assert_eq!(on_call(&s, utc("2026-01-12T19:00:00Z")), vec![u("n1")], "the higher layer wins where it applies");
        assert_eq!(on_call(&s, utc("2026-01-13T07:59:00Z")), vec![u("n1")], "the window wraps past midnight");
        assert_eq!(on_call(&s, utc("2026-01-13T08:00:00Z")), vec![u("b")]);
        assert_eq!(on_call(&s, utc("2026-01-01T12:00:00Z")), vec![], "before the base rotation starts, outside the night window: nobody");
        let weekend = Restriction::Weekly { start_day: Weekday::Fri, start: NaiveTime::from_hms_opt(18, 0, 0).unwrap(), end_day: Weekday::Mon, end: NaiveTime::from_hms_opt(8, 0, 0).unwrap() };
        assert!(weekend.contains(local("2026-01-10 12:00")), "Saturday");
        assert!(weekend.contains(local("2026-01-12 07:59")), "Monday early");
        assert!(!weekend.contains(local("2026-01-12 08:00")));
        assert!(!weekend.contains(local("2026-01-09 17:59")));
    }

    #[test]
    fn overrides_win_over_all_layers() {
        let mut s = Schedule { time_zone: chrono_tz::UTC, layers: vec![layer(&["a"], "2026-01-01 00:00", Turn::Daily)], overrides: vec![] };
        s.overrides.push(Override { user: u("cover"), start: utc("2026-02-01T10:00:00Z"), end: utc("2026-02-01T12:00:00Z") });
        assert_eq!(on_call(&s, utc("2026-02-01T09:59:00Z")), vec![u("a")]);
        assert_eq!(on_call(&s, utc("2026-02-01T10:00:00Z")), vec![u("cover")]);
        assert_eq!(on_call(&s, utc("2026-02-01T12:00:00Z")), vec![u("a")], "end is exclusive");
        let sh = shifts(&s, utc("2026-02-01T00:00:00Z"), utc("2026-02-02T00:00:00Z"));
        let who: Vec<&str> = sh.iter().map(|x| x.users[0].as_str()).collect();
        assert_eq!(who, ["a", "cover", "a"]);
    }

    /// Every minute of 2026, the schedule says exactly what an independent calendar reading says,
    /// and the rendered timeline agrees with both.
    #[test]
    fn a_whole_year_minute_by_minute() {
        let people = ["a", "b", "c"];
        let cases: Vec<(Schedule, Box<dyn Fn(DateTime<Utc>) -> Option<&'static str>>)> = vec![
            (
                Schedule { time_zone: berlin(), layers: vec![layer(&people, "2026-01-01 09:00", Turn::Daily)], overrides: vec![] },
                Box::new(|t: DateTime<Utc>| {
                    // The person for local calendar day D takes over at 09:00 of D.
                    let l = t.with_timezone(&berlin()).naive_local();
                    let day = if l.time() < NaiveTime::from_hms_opt(9, 0, 0).unwrap() { l.date() - Duration::days(1) } else { l.date() };
                    let n = (day - NaiveDate::from_ymd_opt(2026, 1, 1).unwrap()).num_days();
                    (n >= 0).then(|| ["a", "b", "c"][n.rem_euclid(3) as usize])
                }),
            ),
            (
                Schedule { time_zone: new_york(), layers: vec![layer(&people, "2026-01-01 08:00", Turn::Hours { hours: 12 })], overrides: vec![] },
                Box::new(|t: DateTime<Utc>| {
                    // Halves of the local day: [08:00, 20:00) and [20:00, 08:00 next day).
                    let l = t.with_timezone(&new_york()).naive_local();
                    let h = chrono::Timelike::hour(&l.time());
                    let (day, half) = match h {
                        0..=7 => (l.date() - Duration::days(1), 1),
                        8..=19 => (l.date(), 0),
                        _ => (l.date(), 1),
                    };
                    let n = (day - NaiveDate::from_ymd_opt(2026, 1, 1).unwrap()).num_days() * 2 + half;
                    (n >= 0).then(|| ["a", "b", "c"][n.rem_euclid(3) as usize])
                }),
            ),
        ];
        let start = utc("2026-01-01T00:00:00Z");
        let end = utc("2027-01-01T00:00:00Z");
        for (s, expected) in &cases {
            let timeline = shifts(s, start, end);
            let mut shift_i = 0;
            let mut t = start;
            let mut checked = 0;
            while t < end {
                let want: Vec<UserId> = expected(t).map(|p| vec![u(p)]).unwrap_or_default();
                assert_eq!(on_call(s, t), want, "{} at {t}", s.time_zone);
                while shift_i < timeline.len() && timeline[shift_i].end <= t {
                    shift_i += 1;
                }
                let from_timeline = timeline.get(shift_i).filter(|x| x.start <= t).map(|x| x.users.clone()).unwrap_or_default();
                assert_eq!(from_timeline, want, "timeline at {t}");
                t += Duration::minutes(1);
                checked += 1;
            }
            assert_eq!(checked, 525_600);
        }
    }
}
