//! The incident's record as a postmortem timeline: every row with its absolute time in the
//! organisation's time zone and its time relative to the start of impact (`T+0:04`, `T-0:02`
//! before it, `T+1d 02:03` past a day), highlighted rows first, the rest on demand; and the key
//! timestamps (impact started, detected, opened, acknowledged, mitigated, resolved).

use chrono::{DateTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::key_times::KeyTimes;

/// A row of an incident's record, as the worker reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordRow {
    /// The incident's number (rows of several incidents are told apart by it).
    pub incident_number: i64,
    pub seq: i64,
    pub at_ms: i64,
    pub kind: String,
    pub message: String,
    pub highlighted: bool,
}

/// A row as the postmortem shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct TimelineItem {
    pub incident_number: i64,
    pub seq: i64,
    pub at: DateTime<Utc>,
    /// In the organisation's time zone: `2026-12-02 14:03`.
    pub absolute: String,
    /// Relative to the start of impact: `T+0:04`.
    pub relative: String,
    pub kind: String,
    pub message: String,
    pub highlighted: bool,
}

/// One key timestamp.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct KeyTime {
    /// `impact_started`, `detected`, `opened`, `acknowledged`, `mitigated`, `resolved`.
    pub key: String,
    pub label: String,
    /// Absent while not reached (or unknown).
    pub at: Option<DateTime<Utc>>,
    pub absolute: Option<String>,
    pub relative: Option<String>,
}

/// Relative time `at - t0` as people read it in postmortems: `T+0:04` (hours:minutes),
/// `T+1d 02:03` from a day on, `T-0:02` before the start of impact. Seconds are dropped
/// (towards zero), so 59 s after the start is still `T+0:00`.
pub fn relative(at_ms: i64, t0_ms: i64) -> String {
    let delta = at_ms - t0_ms;
    let sign = if delta < 0 { '-' } else { '+' };
    let minutes = delta.unsigned_abs() / 60_000;
    let (days, hours, mins) = (minutes / 1_440, minutes % 1_440 / 60, minutes % 60);
    if days > 0 {
        format!("T{sign}{days}d {hours:02}:{mins:02}")
    } else {
        format!("T{sign}{hours}:{mins:02}")
    }
}

/// `2026-12-02 14:03` in `tz`.
pub fn absolute(at_ms: i64, tz: Tz) -> String {
    match Utc.timestamp_millis_opt(at_ms).single() {
        Some(t) => t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string(),
        None => String::from("?"),
    }
}

/// The zone abbreviation at `at_ms` (`CET`, `CEST`, `UTC`), for headings.
pub fn zone_name(at_ms: i64, tz: Tz) -> String {
    Utc.timestamp_millis_opt(at_ms).single().map(|t| t.with_timezone(&tz).format("%Z").to_string()).unwrap_or_default()
}

/// A time-zone name, or UTC when it is not one.
pub fn tz_or_utc(name: &str) -> Tz {
    name.parse().unwrap_or(chrono_tz::UTC)
}

/// The start every relative time counts from: impact started, else detected, else opened.
pub fn t0(k: &KeyTimes) -> i64 {
    k.impact_started_at.or(k.detected_at).unwrap_or(k.opened_at)
}

/// Key times of several related incidents as one: the earliest start, detection, opening and
/// acknowledgement; mitigated and resolved only when every incident is (then the latest).
pub fn combine(all: &[KeyTimes]) -> Option<KeyTimes> {
    let first = all.first()?;
    let min = |f: fn(&KeyTimes) -> Option<i64>| all.iter().filter_map(f).min();
    let max_all = |f: fn(&KeyTimes) -> Option<i64>| all.iter().map(f).collect::<Option<Vec<i64>>>().and_then(|v| v.into_iter().max());
    Some(KeyTimes {
        impact_started_at: min(|k| k.impact_started_at),
        detected_at: min(|k| k.detected_at),
        opened_at: all.iter().map(|k| k.opened_at).min().unwrap_or(first.opened_at),
        first_acknowledged_at: min(|k| k.first_acknowledged_at),
        mitigated_at: max_all(|k| k.mitigated_at),
        resolved_at: max_all(|k| k.resolved_at),
    })
}

/// The key timestamps in order, with absolute and relative times.
pub fn key_times(k: &KeyTimes, tz: Tz) -> Vec<KeyTime> {
    let t0 = t0(k);
    [
        ("impact_started", "Impact started", k.impact_started_at),
        ("detected", "Detected", k.detected_at),
        ("opened", "Incident opened", Some(k.opened_at)),
        ("acknowledged", "Acknowledged", k.first_acknowledged_at),
        ("mitigated", "Mitigated", k.mitigated_at),
        ("resolved", "Resolved", k.resolved_at),
    ]
    .into_iter()
    .map(|(key, label, at)| KeyTime {
        key: key.into(),
        label: label.into(),
        at: at.and_then(|ms| Utc.timestamp_millis_opt(ms).single()),
        absolute: at.map(|ms| absolute(ms, tz)),
        relative: at.map(|ms| relative(ms, t0)),
    })
    .collect()
}

/// The rows as items, highlighted ones first (each part in time order, then by incident and
/// sequence number).
pub fn items(rows: &[RecordRow], t0_ms: i64, tz: Tz) -> (Vec<TimelineItem>, Vec<TimelineItem>) {
    let mut sorted: Vec<&RecordRow> = rows.iter().collect();
    sorted.sort_by_key(|r| (r.at_ms, r.incident_number, r.seq));
    let item = |r: &RecordRow| TimelineItem {
        incident_number: r.incident_number,
        seq: r.seq,
        at: Utc.timestamp_millis_opt(r.at_ms).single().unwrap_or_default(),
        absolute: absolute(r.at_ms, tz),
        relative: relative(r.at_ms, t0_ms),
        kind: r.kind.clone(),
        message: r.message.clone(),
        highlighted: r.highlighted,
    };
    let highlights = sorted.iter().filter(|r| r.highlighted).map(|r| item(r)).collect();
    let rest = sorted.iter().filter(|r| !r.highlighted).map(|r| item(r)).collect();
    (highlights, rest)
}

/// Rows worth a line in the timeline when nobody highlighted any: the incident's own moves,
/// status updates, roles handed over, merges.
pub fn is_milestone(kind: &str) -> bool {
    kind.starts_with("incident.") || kind.starts_with("status_update.posted") || kind.starts_with("role.") || kind == "acknowledged" || kind == "resolved" || kind == "opened"
}

/// Markdown-safe text for one line: backslash-escapes the characters that would start markup
/// (`#` only where it could open a heading), so a message reads as written.
pub fn md_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for (i, c) in s.chars().enumerate() {
        match c {
            '#' if i > 0 => out.push(c),
            '\\' | '*' | '_' | '`' | '[' | ']' | '#' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// One Markdown list line: `- **2026-12-02 14:03** (T+0:04) · #12 Ann acknowledged`.
pub fn item_line(i: &TimelineItem, several_incidents: bool) -> String {
    let from = if several_incidents { format!("#{} ", i.incident_number) } else { String::new() };
    format!("- **{}** ({}) · {from}{}", i.absolute, i.relative, md_escape(&i.message))
}

/// The key timestamps as Markdown list lines.
pub fn key_time_lines(k: &[KeyTime]) -> Vec<String> {
    k.iter()
        .map(|k| match (&k.absolute, &k.relative) {
            (Some(a), Some(r)) => format!("- {}: **{a}** ({r})", k.label),
            _ => format!("- {}: not yet", k.label),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000;
    const T0: i64 = 1_764_684_000_000; // 2025-12-02 14:00:00 UTC

    #[test]
    fn relative_times() {
        assert_eq!(relative(T0, T0), "T+0:00");
        assert_eq!(relative(T0 + 4 * MIN, T0), "T+0:04");
        assert_eq!(relative(T0 + 59_999, T0), "T+0:00", "seconds are dropped");
        assert_eq!(relative(T0 + 75 * MIN, T0), "T+1:15");
        assert_eq!(relative(T0 + 23 * 60 * MIN + 59 * MIN, T0), "T+23:59");
        assert_eq!(relative(T0 + 24 * 60 * MIN, T0), "T+1d 00:00");
        assert_eq!(relative(T0 + 26 * 60 * MIN + 3 * MIN, T0), "T+1d 02:03");
        assert_eq!(relative(T0 + 50 * 24 * 60 * MIN + 5 * MIN, T0), "T+50d 00:05");
        assert_eq!(relative(T0 - 2 * MIN, T0), "T-0:02", "before the impact started");
        assert_eq!(relative(T0 - 30_000, T0), "T-0:00");
        assert_eq!(relative(T0 - 25 * 60 * MIN, T0), "T-1d 01:00");
    }

    #[test]
    fn absolute_times_in_the_zone() {
        let berlin: Tz = "Europe/Berlin".parse().unwrap();
        assert_eq!(absolute(T0, berlin), "2025-12-02 15:00");
        assert_eq!(zone_name(T0, berlin), "CET");
        assert_eq!(absolute(T0, chrono_tz::UTC), "2025-12-02 14:00");
        let summer = 1_751_464_800_000; // 2025-07-02 14:00 UTC
        assert_eq!(absolute(summer, berlin), "2025-07-02 16:00");
        assert_eq!(zone_name(summer, berlin), "CEST");
        assert_eq!(tz_or_utc("Mars/Olympus"), chrono_tz::UTC);
    }

    fn kt() -> KeyTimes {
        KeyTimes {
            impact_started_at: Some(T0),
            detected_at: Some(T0 + 2 * MIN),
            opened_at: T0 + 2 * MIN,
            first_acknowledged_at: Some(T0 + 4 * MIN),
            mitigated_at: None,
            resolved_at: None,
        }
    }

    #[test]
    fn key_timestamps() {
        let k = key_times(&kt(), chrono_tz::UTC);
        let keys: Vec<&str> = k.iter().map(|k| k.key.as_str()).collect();
        assert_eq!(keys, ["impact_started", "detected", "opened", "acknowledged", "mitigated", "resolved"]);
        assert_eq!(k[0].relative.as_deref(), Some("T+0:00"));
        assert_eq!(k[3].relative.as_deref(), Some("T+0:04"));
        assert_eq!(k[3].absolute.as_deref(), Some("2025-12-02 14:04"));
        assert_eq!((k[4].at, k[4].relative.as_deref()), (None, None));
        let lines = key_time_lines(&k);
        assert_eq!(lines[3], "- Acknowledged: **2025-12-02 14:04** (T+0:04)");
        assert_eq!(lines[5], "- Resolved: not yet");
        assert_eq!(t0(&KeyTimes { impact_started_at: None, ..kt() }), T0 + 2 * MIN, "detected when the start is unknown");
    }

    #[test]
    fn combining_related_incidents() {
        let a = KeyTimes { resolved_at: Some(T0 + 60 * MIN), mitigated_at: Some(T0 + 50 * MIN), ..kt() };
        let b = KeyTimes {
            impact_started_at: Some(T0 - 5 * MIN),
            detected_at: Some(T0 + 10 * MIN),
            opened_at: T0 + 10 * MIN,
            first_acknowledged_at: None,
            mitigated_at: Some(T0 + 70 * MIN),
            resolved_at: Some(T0 + 90 * MIN),
        };
        let c = combine(&[a, b]).unwrap();
        assert_eq!(c.impact_started_at, Some(T0 - 5 * MIN));
        assert_eq!(c.detected_at, Some(T0 + 2 * MIN));
        assert_eq!(c.first_acknowledged_at, Some(T0 + 4 * MIN));
        assert_eq!((c.mitigated_at, c.resolved_at), (Some(T0 + 70 * MIN), Some(T0 + 90 * MIN)));
        let open = combine(&[a, KeyTimes { resolved_at: None, ..b }]).unwrap();
        assert_eq!(open.resolved_at, None, "not resolved while one of them is open");
        assert!(combine(&[]).is_none());
    }

    #[test]
    fn highlights_first_each_in_time_order() {
        let row = |seq: i64, min: i64, h: bool| RecordRow { incident_number: 7, seq, at_ms: T0 + min * MIN, kind: "note".into(), message: format!("row {seq}"), highlighted: h };
        let rows = [row(3, 9, true), row(1, -3, false), row(2, 4, true), row(4, 30, false)];
        let (h, rest) = items(&rows, T0, chrono_tz::UTC);
        assert_eq!(h.iter().map(|i| i.seq).collect::<Vec<_>>(), [2, 3]);
        assert_eq!(rest.iter().map(|i| i.seq).collect::<Vec<_>>(), [1, 4]);
        assert_eq!(h[0].relative, "T+0:04");
        assert_eq!(rest[0].relative, "T-0:03", "a row before the impact started");
        assert_eq!(item_line(&h[0], false), "- **2025-12-02 14:04** (T+0:04) · row 2");
        assert_eq!(item_line(&h[0], true), "- **2025-12-02 14:04** (T+0:04) · #7 row 2");
    }

    #[test]
    fn messages_stay_text_in_markdown() {
        assert_eq!(md_escape("a *b* [c](d) `e`\n# f"), "a \\*b\\* \\[c\\](d) \\`e\\` # f");
        assert_eq!(md_escape("# not a heading"), "\\# not a heading");
        assert!(is_milestone("incident.opened") && is_milestone("status_update.posted") && !is_milestone("note.added"));
    }
}
