//! An incident's key times (impact started, detected, opened, first acknowledged, mitigated,
//! resolved) and the durations the metrics are made of. Stored on the incident row (migration
//! 0015) and written by the worker in the statement of each transition; these are the rules.
//!
//! All times are epoch milliseconds (UTC).
//!
//! - **impact started**: the earliest source timestamp of the incident's alerts — the vendor's own
//!   start time where it sends one (Alertmanager `startsAt`, PagerDuty `timestamp`, …), else the
//!   time Tocsin first saw the alert — never later than *detected* (a vendor clock ahead of ours
//!   does not make detection negative). A declared incident without alerts: its opening time.
//!   Moves earlier when an alert with an earlier start joins (or is merged in).
//! - **detected**: the first alert received (the earliest `first_seen_at`), else the opening time
//!   of an incident declared by hand.
//! - **opened**: when the incident was created (`created_at`).
//! - **first acknowledged**: the first acknowledgement ever, from any path (app, API, push action,
//!   vendor acknowledge); a later reassignment or escalation that clears `acknowledged_at` does not
//!   clear it.
//! - **mitigated**: the first status update posted with status `monitoring`; else the resolution.
//! - **resolved**: when it was resolved (by hand, by its alerts, or by merging into another).

use serde::{Deserialize, Serialize};

/// The key timestamps of one incident (epoch ms; `None` = not yet, or unknown).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct KeyTimes {
    pub impact_started_at: Option<i64>,
    pub detected_at: Option<i64>,
    pub opened_at: i64,
    pub first_acknowledged_at: Option<i64>,
    pub mitigated_at: Option<i64>,
    pub resolved_at: Option<i64>,
}

impl KeyTimes {
    /// Time to detect: impact started → detected (ms). `None` while either is unknown.
    pub fn mttd_ms(&self) -> Option<i64> {
        Some(self.detected_at? - self.impact_started_at?)
    }

    /// Time to acknowledge: opened → first acknowledged (ms). `None` until acknowledged.
    pub fn mtta_ms(&self) -> Option<i64> {
        Some(self.first_acknowledged_at? - self.opened_at)
    }

    /// Time to resolve: impact started (else opened) → resolved (ms). `None` while open.
    pub fn mttr_ms(&self) -> Option<i64> {
        Some(self.resolved_at? - self.impact_started_at.unwrap_or(self.opened_at))
    }

    /// The start of the incident's impact for gaps between incidents (MTBF): impact started,
    /// else opened.
    pub fn start(&self) -> i64 {
        self.impact_started_at.unwrap_or(self.opened_at)
    }

    /// Key times of an incident opened now by an alert first seen at `first_seen_at` whose source
    /// says it started at `source_started_at`.
    pub fn opened_by_alert(opened_at: i64, first_seen_at: i64, source_started_at: Option<i64>) -> Self {
        Self {
            impact_started_at: Some(impact_start(source_started_at, first_seen_at)),
            detected_at: Some(first_seen_at),
            opened_at,
            ..Self::default()
        }
    }

    /// Key times of an incident declared by hand at `opened_at`.
    pub fn declared(opened_at: i64) -> Self {
        Self { impact_started_at: Some(opened_at), detected_at: Some(opened_at), opened_at, ..Self::default() }
    }

    /// An alert (first seen at `first_seen_at`, source start `source_started_at`) joins: detection
    /// and impact start can only move earlier.
    pub fn alert_joined(mut self, first_seen_at: i64, source_started_at: Option<i64>) -> Self {
        let start = impact_start(source_started_at, first_seen_at);
        self.detected_at = Some(self.detected_at.map_or(first_seen_at, |d| d.min(first_seen_at)));
        self.impact_started_at = Some(self.impact_started_at.map_or(start, |s| s.min(start)));
        self
    }

    /// Acknowledged at `at`: only the first one counts.
    pub fn acknowledged(mut self, at: i64) -> Self {
        self.first_acknowledged_at.get_or_insert(at);
        self
    }

    /// A status update with status `monitoring` posted at `at`: only the first one counts.
    pub fn monitoring(mut self, at: i64) -> Self {
        self.mitigated_at.get_or_insert(at);
        self
    }

    /// Resolved at `at`: mitigated then too unless a `monitoring` update said so earlier.
    pub fn resolved(mut self, at: i64) -> Self {
        self.resolved_at.get_or_insert(at);
        self.mitigated_at.get_or_insert(at);
        self
    }
}

/// How far before Tocsin first saw an alert its source's start time may reach (24 hours). A
/// vendor's start can be far older than the impact: Sentry sends an issue's first sighting months
/// ago when it regresses, Alertmanager re-notifies a long-firing alert after a manual resolve, a
/// broken exporter sends epoch 0; unbounded, one such alert would swamp every mean.
pub const IMPACT_LOOKBACK_MS: i64 = 24 * 3_600_000;

/// An alert's impact start: the source's own start time, never later than when Tocsin saw it and
/// never more than [`IMPACT_LOOKBACK_MS`] before.
pub fn impact_start(source_started_at: Option<i64>, first_seen_at: i64) -> i64 {
    source_started_at.map_or(first_seen_at, |s| s.clamp(first_seen_at - IMPACT_LOOKBACK_MS, first_seen_at))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opened_by_an_alert_whose_vendor_says_it_started_earlier() {
        let k = KeyTimes::opened_by_alert(1_000, 1_000, Some(400));
        assert_eq!(k.impact_started_at, Some(400));
        assert_eq!(k.mttd_ms(), Some(600));
        assert_eq!(k.mtta_ms(), None);
        assert_eq!(k.mttr_ms(), None);
    }

    #[test]
    fn a_source_start_older_than_a_day_counts_from_a_day_before_detection() {
        let seen = 400 * 86_400_000;
        assert_eq!(impact_start(Some(0), seen), seen - IMPACT_LOOKBACK_MS);
        assert_eq!(impact_start(Some(seen - IMPACT_LOOKBACK_MS), seen), seen - IMPACT_LOOKBACK_MS);
        assert_eq!(impact_start(Some(seen - 60_000), seen), seen - 60_000);
        assert_eq!(KeyTimes::opened_by_alert(seen, seen, Some(1)).mttd_ms(), Some(IMPACT_LOOKBACK_MS));
    }

    #[test]
    fn a_vendor_clock_ahead_of_ours_never_makes_detection_negative() {
        let k = KeyTimes::opened_by_alert(1_000, 1_000, Some(5_000));
        assert_eq!(k.mttd_ms(), Some(0));
    }

    #[test]
    fn joining_alerts_move_impact_earlier_never_later() {
        let k = KeyTimes::opened_by_alert(1_000, 1_000, None).alert_joined(2_000, Some(100)).alert_joined(3_000, Some(900));
        assert_eq!(k.impact_started_at, Some(100));
        assert_eq!(k.detected_at, Some(1_000));
        assert_eq!(k.mttd_ms(), Some(900));
    }

    #[test]
    fn first_acknowledgement_and_resolution_are_kept() {
        let k = KeyTimes::declared(1_000).acknowledged(1_500).acknowledged(9_000).resolved(4_000).resolved(8_000);
        assert_eq!(k.mtta_ms(), Some(500));
        assert_eq!(k.mttr_ms(), Some(3_000));
        assert_eq!(k.mitigated_at, Some(4_000));
        let m = KeyTimes::declared(0).monitoring(2_000).resolved(3_000);
        assert_eq!(m.mitigated_at, Some(2_000));
    }
}
