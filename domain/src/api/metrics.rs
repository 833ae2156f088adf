//! Wire types of the metrics: `GET /api/metrics` (MTTD/MTTA/MTTR/MTBF per group, see
//! `crate::metrics` for every definition), `GET /api/metrics.csv` (the same rows as CSV) and
//! `GET /api/metrics/oncall-load` (pages, after-hours pages and hours on call per person).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::Person;

/// How the incidents of the range are grouped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum GroupBy {
    Service,
    Team,
    Severity,
    Week,
    Month,
}

impl GroupBy {
    pub const ALL: [GroupBy; 5] = [GroupBy::Service, GroupBy::Team, GroupBy::Severity, GroupBy::Week, GroupBy::Month];

    pub fn as_str(self) -> &'static str {
        match self {
            GroupBy::Service => "service",
            GroupBy::Team => "team",
            GroupBy::Severity => "severity",
            GroupBy::Week => "week",
            GroupBy::Month => "month",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|g| g.as_str() == s)
    }

    /// Whether the groups are periods of time (every period of the range is listed, empty or not).
    pub fn is_time(self) -> bool {
        matches!(self, GroupBy::Week | GroupBy::Month)
    }
}

/// One duration metric over a group: how many incidents it was measured on, the mean, and the
/// median and 90th percentile (nearest rank), all in whole seconds (rounded half up). `None`
/// when there was nothing to measure.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct Stat {
    pub count: u64,
    pub mean_seconds: Option<i64>,
    pub p50_seconds: Option<i64>,
    pub p90_seconds: Option<i64>,
}

/// The figures of one group (a service, a team, a severity, a week or a month) or of the whole
/// range (`total`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct MetricsGroup {
    /// The service/team id, the severity (`SEV1`), the ISO week (`2026-W10`) or the month
    /// (`2026-03`); empty for "no service"/"no team" and for the total.
    pub key: String,
    pub label: String,
    /// The period (weeks and months only), in UTC: `[start, end)`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<DateTime<Utc>>,
    /// Incidents measured: opened in the group, not noise, not merged into another.
    pub incidents: u64,
    /// Of those, still open (not in MTTR).
    pub open: u64,
    /// Left out: marked as noise / merged into another incident (a merged noise incident counts as noise).
    pub noise: u64,
    pub merged: u64,
    pub mttd: Stat,
    pub mtta: Stat,
    pub mttr: Stat,
    pub mtbf: Stat,
}

/// `GET /api/metrics` answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct MetricsReport {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub group_by: GroupBy,
    /// The IANA time zone weeks and months are cut in.
    pub time_zone: String,
    pub total: MetricsGroup,
    pub groups: Vec<MetricsGroup>,
}

/// One person's on-call load over the range.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct OnCallLoad {
    pub user: Person,
    /// Pages: each decision to notify this person about an incident (escalation steps, "page
    /// now", responder requests), however many devices it went to.
    pub pages: u64,
    /// Of those, outside working hours (09:00–18:00 Monday to Friday in the time zone).
    pub after_hours_pages: u64,
    /// Hours on call by the schedules (overlapping schedules counted once), one decimal.
    pub hours_on_call: f64,
}

/// `GET /api/metrics/oncall-load` answer, busiest first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct OnCallLoadReport {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub time_zone: String,
    pub people: Vec<OnCallLoad>,
}
