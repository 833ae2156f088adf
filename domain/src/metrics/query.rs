//! The metrics query string (`from`, `to`, `group_by`, `tz`) checked into a [`Query`]; each
//! error names its parameter.
//!
//! - `from`, `to`: RFC 3339 times, or dates (`2026-03-01`: that day's 00:00 in the time zone);
//!   the range is `[from, to)`. Defaults: `to` = now, `from` = 30 days before `to`. At most
//!   [`MAX_RANGE_DAYS`] days; `from` before `to`.
//! - `group_by`: `service`, `team`, `severity`, `week` (default) or `month`.
//! - `tz`: an IANA time zone for weeks, months and working hours; default the organisation's
//!   (its status page's), else UTC.

use chrono::{DateTime, NaiveDate};
use chrono_tz::Tz;

use crate::api::metrics::GroupBy;
use crate::schedule::resolve_local;
use crate::validation::FieldError;

/// The longest range one request may ask for (a year and a bit, so "the last 365 days" from any
/// time of day fits).
pub const MAX_RANGE_DAYS: i64 = 400;
pub const DEFAULT_RANGE_DAYS: i64 = 30;
const DAY_MS: i64 = 86_400_000;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Query {
    pub from_ms: i64,
    pub to_ms: i64,
    pub group_by: GroupBy,
    pub time_zone: Tz,
}

fn time(name: &str, raw: &str, tz: Tz) -> Result<i64, FieldError> {
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return Ok(t.timestamp_millis());
    }
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| resolve_local(tz, d).timestamp_millis())
        .ok_or_else(|| FieldError::new(name, "must be an RFC 3339 time or a date (YYYY-MM-DD)"))
}

fn present(v: Option<&str>) -> Option<&str> {
    v.map(str::trim).filter(|v| !v.is_empty())
}

/// Reads the parameters (absent or empty = default). `org_tz` is the organisation's time zone
/// name (unknown names fall back to UTC); `now_ms` the request's time.
pub fn parse(from: Option<&str>, to: Option<&str>, group_by: Option<&str>, tz: Option<&str>, org_tz: Option<&str>, now_ms: i64) -> Result<Query, FieldError> {
    let time_zone: Tz = match present(tz) {
        Some(name) => name.parse().map_err(|_| FieldError::new("tz", "must be an IANA time zone such as Europe/Berlin"))?,
        None => org_tz.and_then(|n| n.parse().ok()).unwrap_or(Tz::UTC),
    };
    let group_by = match present(group_by) {
        Some(g) => GroupBy::parse(g).ok_or_else(|| FieldError::new("group_by", "must be one of service, team, severity, week, month"))?,
        None => GroupBy::Week,
    };
    let to_ms = present(to).map(|v| time("to", v, time_zone)).transpose()?.unwrap_or(now_ms);
    let from_ms = present(from).map(|v| time("from", v, time_zone)).transpose()?.unwrap_or(to_ms - DEFAULT_RANGE_DAYS * DAY_MS);
    if from_ms >= to_ms {
        return Err(FieldError::new("from", "must be before `to`"));
    }
    if to_ms - from_ms > MAX_RANGE_DAYS * DAY_MS {
        return Err(FieldError::new("to", format!("the range can be at most {MAX_RANGE_DAYS} days")));
    }
    Ok(Query { from_ms, to_ms, group_by, time_zone })
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_780_000_000_000;

    #[test]
    fn defaults_are_the_last_30_days_by_week_in_the_org_zone() {
        let q = parse(None, Some(""), None, None, Some("Europe/Berlin"), NOW).unwrap();
        assert_eq!((q.from_ms, q.to_ms, q.group_by), (NOW - 30 * DAY_MS, NOW, GroupBy::Week));
        assert_eq!(q.time_zone.name(), "Europe/Berlin");
        assert_eq!(parse(None, None, None, None, Some("Mars/Olympus"), NOW).unwrap().time_zone, Tz::UTC);
    }

    #[test]
    fn dates_are_local_midnights() {
        let q = parse(Some("2026-03-01"), Some("2026-04-01T00:00:00Z"), Some("month"), Some("Europe/Berlin"), None, NOW).unwrap();
        assert_eq!(q.from_ms, DateTime::parse_from_rfc3339("2026-02-28T23:00:00Z").unwrap().timestamp_millis());
    }

    #[test]
    fn each_error_names_its_parameter() {
        let field = |r: Result<Query, FieldError>| r.unwrap_err().field;
        assert_eq!(field(parse(Some("yesterday"), None, None, None, None, NOW)), "from");
        assert_eq!(field(parse(None, Some("2026-13-01"), None, None, None, NOW)), "to");
        assert_eq!(field(parse(None, None, Some("weekly"), None, None, NOW)), "group_by");
        assert_eq!(field(parse(None, None, None, Some("Nowhere/City"), None, NOW)), "tz");
        assert_eq!(field(parse(Some("2026-05-01"), Some("2026-04-01"), None, None, None, NOW)), "from");
        assert_eq!(field(parse(Some("2025-01-01"), Some("2026-04-01"), None, None, None, NOW)), "to");
        assert!(parse(Some("2025-03-01"), Some("2026-04-01"), None, None, None, NOW).is_ok(), "396 days is fine");
    }
}
