//! iCalendar (RFC 5545) feeds of on-call shifts, for calendar apps to subscribe to: times in UTC,
//! stable UIDs (the same shift keeps its UID between fetches), escaped text, folded lines, CRLF.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::schedule::Shift;

fn stamp(t: DateTime<Utc>) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

/// TEXT escaping (RFC 5545 §3.3.11). A line break of any kind (CRLF, LF, a lone CR or a Unicode
/// line separator, which some readers also take as the end of a line) becomes `\n`; other
/// control characters, which TEXT may not hold, are dropped — so no value can end its line and start a property or an
/// event of its own.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\r' => {
                chars.next_if_eq(&'\n');
                out.push_str("\\n");
            }
            '\n' | '\u{2028}' | '\u{2029}' => out.push_str("\\n"),
            '\t' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Folds a content line at 75 octets (continuation lines start with a space), on char boundaries.
fn fold(line: &str, out: &mut String) {
    let mut width = 0;
    for c in line.chars() {
        let len = c.len_utf8();
        if width + len > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += len;
    }
    out.push_str("\r\n");
}

/// One event of a feed: a shift of one schedule.
pub struct FeedShift<'a> {
    pub schedule_id: &'a str,
    /// Named in the event's summary ("On call: Ana (Primary)").
    pub schedule_name: &'a str,
    pub shift: Shift,
}

/// The window of shifts a feed shows, from `now`: shifts that end after the start of today
/// (UTC), up to `days` ahead, computed from a start that moves only every 28 days (`from`), so
/// a shift under way keeps its real start rather than one cut at today's midnight, and its UID
/// stays put from one day's fetch to the next. Returns (from, today, to).
pub fn window(now: DateTime<Utc>, days: i64) -> (DateTime<Utc>, DateTime<Utc>, DateTime<Utc>) {
    const DAY: i64 = 86_400;
    let today = now.timestamp() - now.timestamp().rem_euclid(DAY);
    let from = today - today.rem_euclid(28 * DAY) - 28 * DAY;
    let at = |s: i64| DateTime::from_timestamp(s, 0).unwrap_or_default();
    (at(from), at(today), at(today + (days + 1) * DAY))
}

/// A calendar of `shifts`; `names` gives a person's display name for a user id. An event's UID
/// comes from the feed (`scope`: its kind and subject, so the same shift in a schedule's feed and
/// a person's feed are two UIDs, as RFC 5545 wants them unique), its schedule, start and people,
/// not its end: the last shift of the window, cut
/// where the window ends, moves its end every day and stays one event; two schedules with the
/// same times in one person's feed stay two events.
pub fn calendar(title: &str, scope: &str, shifts: &[FeedShift], names: impl Fn(&str) -> String, now: DateTime<Utc>) -> String {
    let mut out = String::new();
    let mut line = |s: &str| fold(s, &mut out);
    line("BEGIN:VCALENDAR");
    line("VERSION:2.0");
    line("PRODID:-//Tocsin//On-call//EN");
    line("CALSCALE:GREGORIAN");
    line("METHOD:PUBLISH");
    line(&format!("X-WR-CALNAME:{}", escape(title)));
    for f in shifts {
        let s = &f.shift;
        let who: Vec<String> = s.users.iter().map(|u| names(u.as_str())).collect();
        let key = format!("{scope}|{}|{}|{}", f.schedule_id, s.start.timestamp(), s.users.iter().map(|u| u.as_str()).collect::<Vec<_>>().join(","));
        let uid: String = Sha256::digest(key.as_bytes()).iter().take(16).map(|b| format!("{b:02x}")).collect();
        line("BEGIN:VEVENT");
        line(&format!("UID:{uid}@tocsin"));
        line(&format!("DTSTAMP:{}", stamp(now)));
        line(&format!("DTSTART:{}", stamp(s.start)));
        line(&format!("DTEND:{}", stamp(s.end)));
        line(&format!("SUMMARY:{}", escape(&format!("On call: {} ({})", who.join(", "), f.schedule_name))));
        line("TRANSP:TRANSPARENT");
        line("END:VEVENT");
    }
    line("END:VCALENDAR");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::UserId;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn valid_stable_and_escaped() {
        let shifts = vec![feed("sched1", "Primary, EU", "2026-11-24T09:00:00Z", "2026-11-25T09:00:00Z")];
        let name = |_: &str| "Ana; the, \\boss".to_string();
        let a = calendar("Primary, EU", "schedule:sched1", &shifts, name, t("2026-11-24T00:00:00Z"));
        let b = calendar("Primary, EU", "schedule:sched1", &shifts, name, t("2026-11-25T00:00:00Z"));
        assert!(a.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n") && a.ends_with("END:VCALENDAR\r\n"));
        assert!(a.contains("DTSTART:20261124T090000Z\r\nDTEND:20261125T090000Z\r\n"));
        assert!(a.contains("SUMMARY:On call: Ana\\; the\\, \\\\boss (Primary\\, EU)"));
        let uid = |s: &str| s.lines().find(|l| l.starts_with("UID:")).unwrap().to_string();
        assert_eq!(uid(&a), uid(&b), "the same shift keeps its UID");
        assert!(a.split("\r\n").all(|l| l.len() <= 75), "folded");
        assert!(!a.replace("\r\n", "").contains('\n'), "CRLF only");
    }

    fn feed<'a>(schedule_id: &'a str, schedule_name: &'a str, start: &str, end: &str) -> FeedShift<'a> {
        FeedShift { schedule_id, schedule_name, shift: Shift { users: vec![UserId("u1".into())], start: t(start), end: t(end) } }
    }

    #[test]
    fn uids_follow_the_schedule_start_and_people_not_the_cut_end() {
        let uids = |c: &str| c.lines().filter(|l| l.starts_with("UID:")).map(str::to_string).collect::<Vec<_>>();
        let today = calendar("Ana on call", "user:ana", &[feed("s1", "Primary", "2026-11-23T08:00:00Z", "2027-01-24T00:00:00Z")], |_| "Ana".into(), t("2026-11-24T00:00:00Z"));
        let tomorrow = calendar("Ana on call", "user:ana", &[feed("s1", "Primary", "2026-11-23T08:00:00Z", "2027-01-25T00:00:00Z")], |_| "Ana".into(), t("2026-11-25T00:00:00Z"));
        assert_eq!(uids(&today), uids(&tomorrow), "the window's end moved; the event is the same");
        let both = calendar("Ana on call", "user:ana", &[feed("s1", "Primary", "2026-11-23T08:00:00Z", "2026-11-30T08:00:00Z"), feed("s2", "Database", "2026-11-23T08:00:00Z", "2026-11-30T08:00:00Z")], |_| "Ana".into(), t("2026-11-24T00:00:00Z"));
        let u = uids(&both);
        assert_ne!(u[0], u[1], "one UID per event (RFC 5545), also for two schedules at the same times");
        let in_schedule_feed = calendar("Primary", "schedule:s1", &[feed("s1", "Primary", "2026-11-23T08:00:00Z", "2026-11-30T08:00:00Z")], |_| "Ana".into(), t("2026-11-24T00:00:00Z"));
        assert_ne!(uids(&in_schedule_feed)[0], u[0], "the same shift in the schedule's feed and in the person's: two UIDs");
        assert!(both.contains("SUMMARY:On call: Ana (Primary)") && both.contains("SUMMARY:On call: Ana (Database)"), "{both}");
    }

    #[test]
    fn the_window_starts_on_a_28_day_grid() {
        let (from, today, to) = window(t("2026-11-24T15:30:00Z"), 60);
        assert_eq!(today, t("2026-11-24T00:00:00Z"));
        assert_eq!(to, t("2027-01-24T00:00:00Z"));
        assert!(from <= today - chrono::Duration::days(28) && from > today - chrono::Duration::days(56), "{from}");
        assert_eq!(window(t("2026-11-25T01:00:00Z"), 60).0, from, "the next day: the same start, so a shift under way keeps its times");
        assert_eq!(from.timestamp() % 86_400, 0);
    }

    #[test]
    fn no_value_can_break_its_line() {
        assert_eq!(escape("a\r\nb\nc\rd\u{2028}e"), "a\\nb\\nc\\nd\\ne");
        assert_eq!(escape("Bob\rEND:VEVENT\rBEGIN:VEVENT\u{7}\u{85}\tx"), "Bob\\nEND:VEVENT\\nBEGIN:VEVENT x");
        let shifts = vec![feed("s", "Primary", "2026-11-24T09:00:00Z", "2026-11-25T09:00:00Z")];
        let a = calendar("Primary", "schedule:s", &shifts, |_| "Bob\rDESCRIPTION:pwned\rEND:VEVENT".to_string(), t("2026-11-24T00:00:00Z"));
        assert!(!a.replace("\r\n", "").contains(['\r', '\n']), "CRLF only, and only between lines: {a:?}");
        assert_eq!(a.matches("BEGIN:VEVENT").count(), 1);
        assert!(!a.split("\r\n").any(|l| l.starts_with("DESCRIPTION:")));
    }

    #[test]
    fn long_lines_fold_on_character_boundaries() {
        let mut out = String::new();
        fold(&format!("SUMMARY:{}", "é".repeat(60)), &mut out);
        let lines: Vec<&str> = out.trim_end_matches("\r\n").split("\r\n").collect();
        assert!(lines.len() > 1 && lines.iter().all(|l| l.len() <= 75));
        assert!(lines[1..].iter().all(|l| l.starts_with(' ')));
        let unfolded: String = lines.iter().enumerate().map(|(i, l)| if i == 0 { *l } else { &l[1..] }).collect();
        assert_eq!(unfolded, format!("SUMMARY:{}", "é".repeat(60)));
    }
}
