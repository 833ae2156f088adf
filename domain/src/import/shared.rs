//! What reading either vendor's JSON needs: turn lengths and windows in Tocsin's terms, size
//! limits, and errors that name the exact field at fault.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Weekday};

use super::{MAX_POLICIES, MAX_SCHEDULES, MAX_SERVICES, MAX_USERS};
use crate::schedule::{Layer, Restriction, Turn};
use crate::validation::FieldError;

/// A turn length in seconds as Tocsin counts turns (wall-clock days, weeks or whole hours).
pub(crate) fn turn_of_seconds(secs: i64) -> Result<Turn, String> {
    match secs {
        86_400 => Ok(Turn::Daily),
        604_800 => Ok(Turn::Weekly),
        s if s > 0 && s % 3600 == 0 && s / 3600 <= 168 => Ok(Turn::Hours { hours: (s / 3600) as u32 }),
        s => Err(format!("turns of {s} seconds: Tocsin turns are whole hours up to a week (or a day, or a week)")),
    }
}

/// A window of `minutes` from `start` (on `day` for weekly windows) as a restriction; `None`
/// when it covers the whole day (or week), i.e. does not restrict.
pub(crate) fn window(day: Option<Weekday>, start: NaiveTime, minutes: i64) -> Result<Option<Restriction>, String> {
    if minutes <= 0 {
        return Err(format!("a window of {minutes} minutes"));
    }
    let whole = if day.is_some() { 7 * 1440 } else { 1440 };
    if minutes >= whole {
        return Ok(None);
    }
    // Any Monday serves as the reference week.
    let monday = NaiveDate::from_ymd_opt(2024, 1, 1).expect("a date");
    let from = (monday + Duration::days(i64::from(day.map_or(0, |d| d.num_days_from_monday())))).and_time(start);
    let to = from + Duration::minutes(minutes);
    Ok(Some(match day {
        None => Restriction::Daily { start, end: to.time() },
        Some(d) => Restriction::Weekly { start_day: d, start, end_day: to.weekday(), end: to.time() },
    }))
}

/// Where two layers both apply (every half hour of a reference week): the first such local time.
pub(crate) fn overlap(a: &Layer, b: &Layer) -> Option<NaiveDateTime> {
    let applies = |l: &Layer, t: NaiveDateTime| l.restrictions.is_empty() || l.restrictions.iter().any(|r| r.contains(t));
    let monday = NaiveDate::from_ymd_opt(2024, 1, 1).expect("a date").and_hms_opt(0, 0, 0).expect("a time");
    (0..7 * 48).map(|i| monday + Duration::minutes(30 * i)).find(|t| applies(a, *t) && applies(b, *t))
}

/// Validates the sizes of an export's lists.
pub(crate) fn check_sizes(users: usize, schedules: usize, policies: usize, services: usize, policies_field: &str) -> Result<(), FieldError> {
    for (n, max, field) in [(users, MAX_USERS, "users"), (schedules, MAX_SCHEDULES, "schedules"), (policies, MAX_POLICIES, policies_field), (services, MAX_SERVICES, "services")] {
        if n > max {
            return Err(FieldError::new(field, format!("at most {max} per import (this has {n}): import in parts")));
        }
    }
    Ok(())
}

/// Deserializes one value, naming the exact field at fault (`schedules[0].schedule_layers[1].users`).
pub(crate) fn parse<T: serde::de::DeserializeOwned>(v: &serde_json::Value, at: &str) -> Result<T, FieldError> {
    serde_path_to_error::deserialize(v).map_err(|e| {
        let path = e.path().to_string();
        let msg = e.inner().to_string();
        let missing = msg.split('`').nth(1).filter(|_| msg.starts_with("missing field"));
        let inner = match (path.as_str(), missing) {
            (".", Some(m)) => m.to_string(),
            (".", None) => String::new(),
            (p, Some(m)) => format!("{p}.{m}"),
            (p, None) => p.to_string(),
        };
        let field = match (at, inner.as_str()) {
            ("", i) => i.to_string(),
            (a, "") => a.to_string(),
            (a, i) if i.starts_with('[') => format!("{a}{i}"),
            (a, i) => format!("{a}.{i}"),
        };
        FieldError::new(field, msg)
    })
}

/// The body must be an object holding only the vendor's lists, each a JSON array.
pub(crate) fn check_top_level(body: &serde_json::Value, known: &[&str]) -> Result<(), FieldError> {
    let obj = body.as_object().ok_or_else(|| FieldError::new("body", "must be a JSON object holding the vendor's lists"))?;
    for (k, v) in obj {
        if !known.contains(&k.as_str()) {
            return Err(FieldError::new(k.clone(), format!("is not one of {}", known.join(", "))));
        }
        if !v.is_array() && !v.is_null() {
            return Err(FieldError::new(k.clone(), "must be a JSON array (the vendor's list as its API returns it)"));
        }
    }
    if obj.values().all(|v| v.as_array().is_none_or(|a| a.is_empty())) {
        return Err(FieldError::new("body", format!("nothing to import: give at least one of {}", known.join(", "))));
    }
    Ok(())
}

/// The elements of a top-level list (absent or null: none).
pub(crate) fn list<'a>(body: &'a serde_json::Value, field: &str) -> &'a [serde_json::Value] {
    body.get(field).and_then(|v| v.as_array()).map(Vec::as_slice).unwrap_or(&[])
}
