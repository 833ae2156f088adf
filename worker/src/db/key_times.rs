//! The SQL that keeps an incident's key times and precomputed durations (migration 0015,
//! `tocsin_domain::key_times`) up to date. Each piece is a `SET` fragment folded into the
//! statement that already makes the transition (no extra statement, no extra round trip), and
//! each keeps the first value (COALESCE) or the earliest (MIN), so a retry or a race changes
//! nothing that was already recorded. In an UPDATE, SQLite evaluates every right-hand side on the
//! row as it was, so a duration is computed from the key time's new value spelled out again.
//!
//! Times are inlined as integer literals (they are `i64`s we computed, never user text), which
//! keeps the placeholder numbering of the statements they join untouched.

/// The smaller of two nullable SQL expressions; NULL only when both are.
fn min_of(a: &str, b: &str) -> String {
    format!("MIN(COALESCE({a}, {b}), COALESCE({b}, {a}))")
}

/// Columns and values for an incident inserted now, opened by an alert first seen at `now` whose
/// source says it started at `impact` (`tocsin_domain::key_times::impact_start`).
pub fn opened_columns(impact: i64, detected: i64) -> (&'static str, String) {
    (
        ", impact_started_at, detected_at, mttd_ms",
        format!(", {impact}, {detected}, {}", detected - impact),
    )
}

/// An acknowledgement at `now`: the first one stays.
pub fn acknowledged(now: i64) -> String {
    format!("first_acknowledged_at = COALESCE(first_acknowledged_at, {now}), mtta_ms = COALESCE(first_acknowledged_at, {now}) - created_at")
}

/// A resolution at `now` (by hand, by the alerts, by a merge): mitigated then too unless a
/// `monitoring` update said so earlier; time to resolve from the impact start.
pub fn resolved(now: i64) -> String {
    format!("mitigated_at = COALESCE(mitigated_at, {now}), mttr_ms = {now} - COALESCE(impact_started_at, created_at)")
}

/// An alert first seen at `first_seen` with impact start `impact` joined: detection and impact
/// start only move earlier; the durations that depend on them follow.
pub fn alert_joined(first_seen: i64, impact: i64) -> String {
    let detected = min_of("detected_at", &first_seen.to_string());
    let start = min_of("impact_started_at", &impact.to_string());
    format!(
        "detected_at = {detected}, impact_started_at = {start}, mttd_ms = {detected} - {start}, mttr_ms = resolved_at - COALESCE({start}, created_at)"
    )
}

/// The target of a merge takes the source's alerts: its detection and impact start become the
/// earlier of both. `source` is an SQL expression naming the source's id (a placeholder).
pub fn merged_from(source: &str) -> String {
    let of = |col: &str| format!("(SELECT s.{col} FROM incidents s WHERE s.id = {source})");
    let detected = min_of("detected_at", &of("detected_at"));
    let start = min_of("impact_started_at", &of("impact_started_at"));
    format!(
        "detected_at = {detected}, impact_started_at = {start}, mttd_ms = {detected} - {start}, mttr_ms = resolved_at - COALESCE({start}, created_at)"
    )
}

/// A status update with status `monitoring` at `now`: the first one is when it was mitigated.
pub fn monitoring(now: i64) -> String {
    format!("mitigated_at = COALESCE(mitigated_at, {now})")
}
