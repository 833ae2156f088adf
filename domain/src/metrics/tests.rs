//! Hand-computed fixtures for the metric definitions (the numbers in the comments are worked
//! out by hand, not by the code under test).

use super::buckets::buckets;
use super::query::parse;
use super::*;
use crate::api::metrics::Stat;
use chrono::DateTime;
use chrono_tz::Tz;

const M: i64 = 60_000;

#[allow(clippy::too_many_arguments)]
fn inc(service: Option<&str>, team: Option<&str>, sev: Severity, impact: i64, detected: i64, opened: i64, ack: Option<i64>, resolved: Option<i64>) -> IncidentFacts {
    IncidentFacts {
        times: KeyTimes {
            impact_started_at: Some(impact * M),
            detected_at: Some(detected * M),
            opened_at: opened * M,
            first_acknowledged_at: ack.map(|a| a * M),
            mitigated_at: resolved.map(|r| r * M),
            resolved_at: resolved.map(|r| r * M),
        },
        service_id: service.map(Into::into),
        team_id: team.map(Into::into),
        severity: sev,
        noise: false,
        merged: false,
    }
}

fn stat(count: u64, mean: i64, p50: i64, p90: i64) -> Stat {
    Stat { count, mean_seconds: Some(mean), p50_seconds: Some(p50), p90_seconds: Some(p90) }
}

/// Nine incidents in minutes from 0 (times in minutes: impact, detected, opened, ack, resolved).
fn history() -> Vec<IncidentFacts> {
    use Severity::*;
    let mut noise = inc(Some("api"), Some("t1"), Sev3, 140, 140, 140, None, Some(145));
    noise.noise = true;
    let mut merged = inc(Some("api"), Some("t1"), Sev2, 210, 210, 210, None, Some(215));
    merged.merged = true;
    vec![
        inc(Some("api"), Some("t1"), Sev1, 0, 2, 2, Some(5), Some(32)),       // I1 mttd 120 s, mtta 180 s, mttr 1920 s
        inc(Some("api"), Some("t1"), Sev2, 100, 101, 101, Some(111), Some(131)), // I2 60, 600, 1860; uptime 100−32 = 68 min
        noise,                                                                  // I3 noise
        inc(Some("api"), Some("t1"), Sev1, 200, 200, 200, None, None),          // I4 open: mttd 0; uptime 200−131 = 69 min
        merged,                                                                 // I5 merged
        inc(Some("db"), None, Sev2, 50, 50, 50, Some(51), Some(80)),            // I6 0, 60, 1800
        inc(Some("db"), None, Sev3, 60, 60, 60, None, Some(90)),                // I7 began during I6: no uptime; 0, –, 1800
        inc(Some("db"), None, Sev2, 120, 120, 120, Some(121), Some(150)),       // I8 uptime 120 − max(80, 90) = 30 min
        inc(None, None, Sev4, 300, 300, 300, Some(310), Some(400)),             // I9 no service: 0, 600, 6000
    ]
}

#[test]
fn nearest_rank_percentiles() {
    assert_eq!([1, 2, 3, 4, 10].map(|n| nearest_rank(50, n)), [1, 1, 2, 2, 5]);
    assert_eq!([1, 2, 3, 7, 10].map(|n| nearest_rank(90, n)), [1, 2, 3, 7, 9]);
    let r = Ranked::of(&mut [1_400, 600, 1_000]);
    assert_eq!(r, Ranked { n: 3, sum_ms: 3_000, p50_ms: 1_000, p90_ms: 1_400 });
    // Mean 1 000 ms = 1 s; 1.5 s rounds up to 2 s.
    assert_eq!(r.stat(), stat(3, 1, 1, 1));
    assert_eq!(Ranked::of(&mut [1_000, 2_000]).stat().mean_seconds, Some(2));
}

#[test]
fn by_service_with_noise_merged_and_open_incidents() {
    let (groups, total) = summarize(&history(), GroupBy::Service, &[]);
    let api = &groups[&Some("api".to_string())];
    assert_eq!(api.counts, Counts { total: 5, noise: 1, merged: 1, open: 1 });
    let g = api.group("api".into(), "API".into(), None);
    assert_eq!(g.incidents, 3);
    assert_eq!(g.mttd, stat(3, 60, 60, 120)); // [0, 60, 120]
    assert_eq!(g.mtta, stat(2, 390, 180, 600)); // [180, 600]; the open one is not acknowledged
    assert_eq!(g.mttr, stat(2, 1_890, 1_860, 1_920)); // the open one is not in MTTR
    assert_eq!(g.mtbf, stat(2, 4_110, 4_080, 4_140)); // 68 and 69 minutes

    let db = groups[&Some("db".to_string())].group("db".into(), "db".into(), None);
    assert_eq!((db.incidents, db.open), (3, 0));
    assert_eq!(db.mtta, stat(2, 60, 60, 60));
    assert_eq!(db.mttr, stat(3, 1_800, 1_800, 1_800));
    assert_eq!(db.mtbf, stat(1, 1_800, 1_800, 1_800), "I7 began while I6 ran: one gap only");

    let none = groups[&None].group(String::new(), "(no service)".into(), None);
    assert_eq!(none.mtbf, Stat::default(), "MTBF is per service");
    assert_eq!(none.mttr, stat(1, 6_000, 6_000, 6_000));

    let t = total.group(String::new(), "Total".into(), None);
    assert_eq!((t.incidents, t.open, t.noise, t.merged), (7, 1, 1, 1));
    assert_eq!(t.mttd, stat(7, 26, 0, 120)); // 180 s / 7 = 25.7 → 26
    assert_eq!(t.mtta, stat(5, 300, 180, 600)); // [60, 60, 180, 600, 600]
    assert_eq!(t.mttr, stat(6, 2_530, 1_800, 6_000)); // [1800 ×3, 1860, 1920, 6000]
    assert_eq!(t.mtbf, stat(3, 3_340, 4_080, 4_140)); // [1800, 4080, 4140]
}

#[test]
fn by_team_and_severity() {
    let (groups, _) = summarize(&history(), GroupBy::Team, &[]);
    assert_eq!(groups[&Some("t1".to_string())].counts.total, 5);
    assert_eq!(groups[&None].counts.total, 4, "db and the serviceless incident have no team");

    let (sev, _) = summarize(&history(), GroupBy::Severity, &[]);
    let s2 = sev[&Some("SEV2".to_string())].group("SEV2".into(), "SEV2".into(), None);
    // SEV2 measured: I2, I6, I8 (I5 merged). MTTR [1860, 1800, 1800].
    assert_eq!((s2.incidents, s2.merged), (3, 1));
    assert_eq!(s2.mttr, stat(3, 1_820, 1_800, 1_860));
    // Uptime before I2 (68 min) and I8 (30 min) are SEV2 incidents' own.
    assert_eq!(s2.mtbf, stat(2, 2_940, 1_800, 4_080));
}

#[test]
fn zero_incidents() {
    let q = parse(Some("2026-03-01"), Some("2026-03-15"), Some("week"), None, None, 0).unwrap();
    let b = buckets(q.group_by, q.time_zone, q.from_ms, q.to_ms);
    let (groups, total) = summarize(&[], q.group_by, &b);
    let r = assemble(&q, &b, &|_| None, groups, total);
    assert_eq!(r.total.incidents, 0);
    assert_eq!(r.total.mttr, Stat::default());
    // 1 March 2026 is a Sunday: its week (from 23 Feb), then the weeks of 2 and 9 March.
    assert_eq!(r.groups.iter().map(|g| g.key.as_str()).collect::<Vec<_>>(), ["2026-W09", "2026-W10", "2026-W11"]);
    assert!(r.groups.iter().all(|g| g.incidents == 0 && g.mtta.count == 0));
}

fn at(s: &str) -> i64 {
    DateTime::parse_from_rfc3339(s).unwrap().timestamp_millis() / M
}

#[test]
fn dst_week_and_an_incident_spanning_two_weeks_belong_to_their_opening_week() {
    let tz: Tz = "Europe/Berlin".parse().unwrap();
    let q = parse(Some("2026-03-23"), Some("2026-04-06"), Some("week"), Some("Europe/Berlin"), None, 0).unwrap();
    let b = buckets(q.group_by, tz, q.from_ms, q.to_ms);
    // Sunday 29 March 23:30 CEST (21:30Z) — still the DST week — resolved Monday 01:30 CEST.
    let late = inc(Some("api"), None, Severity::Sev1, at("2026-03-29T21:30:00Z"), at("2026-03-29T21:30:00Z"), at("2026-03-29T21:30:00Z"), None, Some(at("2026-03-29T23:30:00Z")));
    // Monday 30 March 00:30 CEST (29 March 22:30Z): the next week, though the same UTC date.
    let next = inc(Some("api"), None, Severity::Sev1, at("2026-03-29T22:30:00Z"), at("2026-03-29T22:30:00Z"), at("2026-03-29T22:30:00Z"), None, Some(at("2026-03-29T22:40:00Z")));
    let (groups, total) = summarize(&[late, next], q.group_by, &b);
    let r = assemble(&q, &b, &|_| None, groups, total);
    assert_eq!(r.groups.len(), 2);
    assert_eq!(r.groups[0].key, "2026-W13");
    assert_eq!(r.groups[0].end.unwrap() - r.groups[0].start.unwrap(), chrono::Duration::hours(167));
    assert_eq!((r.groups[0].incidents, r.groups[1].incidents), (1, 1));
    assert_eq!(r.groups[0].mttr, stat(1, 7_200, 7_200, 7_200), "its whole two hours count in the week it opened");
    assert_eq!(r.groups[1].mttr, stat(1, 600, 600, 600));
    // The second began while the first still ran: no operating time between them.
    assert_eq!(r.total.mtbf, Stat::default());
}

#[test]
fn assemble_labels_and_orders_groups() {
    let q = parse(None, None, Some("service"), None, None, 1_000 * M).unwrap();
    let (groups, total) = summarize(&history(), GroupBy::Service, &[]);
    let names = |id: &str| match id {
        "api" => Some("Web API".to_string()),
        "db" => Some("database".to_string()),
        _ => None,
    };
    let r = assemble(&q, &[], &names, groups, total);
    let labels: Vec<&str> = r.groups.iter().map(|g| g.label.as_str()).collect();
    assert_eq!(labels, ["database", "Web API", "(no service)"]);
    assert_eq!(r.total.label, "Total");
    let csv = super::csv::report(&r);
    let lines: Vec<&str> = csv.split("\r\n").collect();
    assert_eq!(lines[0], super::csv::HEADER.join(","));
    assert!(lines[2].starts_with("service,api,Web API,,,3,1,1,1,3,60,60,120,2,390,180,600,2,1890,1860,1920,2,4110,4080,4140"), "{}", lines[2]);
    assert!(lines[4].starts_with("service,,Total,"), "{}", lines[4]);
    assert_eq!(lines.len(), 6, "header, three groups, total, and the final line end");
}
