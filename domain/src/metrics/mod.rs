//! Incident metrics: the definitions of MTTD, MTTA, MTTR and MTBF, how incidents are counted and
//! grouped, and how a group's figures (count, mean, p50, p90) are made: [`summarize`] over the
//! incidents of a range, [`assemble`] into the answer. The worker reads each incident's
//! precomputed durations (migration 0015) from one covering index and calls these.
//!
//! Definitions (times from [`crate::key_times`], durations in milliseconds, answered in seconds):
//! - **MTTD** (time to detect) = detected − impact started;
//! - **MTTA** (time to acknowledge) = first acknowledged − opened; unacknowledged incidents are
//!   not measured;
//! - **MTTR** (time to resolve) = resolved − impact started (else opened); open incidents are
//!   not measured, they are counted as `open`;
//! - **MTBF** (time between failures, per service): for each incident of a service, the time
//!   the service ran without an incident before it = its impact start − the latest end among the
//!   service's earlier incidents of the range (ordered by impact start). Measured only when
//!   positive: the service's first incident of the range, one that started while another was
//!   still running, and anything after a still-open incident have none. A group's MTBF averages
//!   the operating times before its incidents, so per service it is the mean gap between one
//!   incident's end and the next one's start.
//!
//! Which incidents: those *opened* (`created_at`) in `[from, to)`; an incident belongs to the
//! bucket (week/month) it was opened in, even when it runs into the next one. Incidents marked
//! as noise, and incidents merged into another (their alerts and record live on in the target),
//! are left out of every figure and counted apart (`noise`, `merged`).
//!
//! Figures of a group: `count`, `mean` (sum / count), `p50` and `p90` by nearest rank: the
//! value at position ⌈p/100 · n⌉ of the sorted values (1-based), so always a value that occurred.

pub mod buckets;
pub mod csv;
pub mod oncall_load;
pub mod query;

use std::collections::BTreeMap;

use crate::api::metrics::{GroupBy, MetricsGroup, MetricsReport, Stat};
use crate::incident::Severity;
use crate::key_times::KeyTimes;
use buckets::Bucket;
use query::Query;

/// The four duration metrics.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Metric {
    Mttd,
    Mtta,
    Mttr,
    Mtbf,
}

impl Metric {
    pub const ALL: [Metric; 4] = [Metric::Mttd, Metric::Mtta, Metric::Mttr, Metric::Mtbf];

    pub fn as_str(self) -> &'static str {
        match self {
            Metric::Mttd => "mttd",
            Metric::Mtta => "mtta",
            Metric::Mttr => "mttr",
            Metric::Mtbf => "mtbf",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == s)
    }
}

/// The 1-based rank of the `p`th percentile among `n` sorted values (nearest rank: ⌈p·n/100⌉,
/// at least 1). The SQL uses the same integer formula: `(p*n + 99) / 100`.
pub fn nearest_rank(p: u64, n: u64) -> u64 {
    ((p * n).div_ceil(100)).max(1)
}

/// Sufficient figures of one metric over one group: how many values, their sum, and the values
/// at the p50 and p90 ranks (ms). What the SQL returns per (metric, group).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Ranked {
    pub n: u64,
    pub sum_ms: i64,
    pub p50_ms: i64,
    pub p90_ms: i64,
}

impl Ranked {
    /// From the values themselves (the reference computation).
    pub fn of(values: &mut [i64]) -> Self {
        if values.is_empty() {
            return Self::default();
        }
        values.sort_unstable();
        let n = values.len() as u64;
        let at = |p| values[(nearest_rank(p, n) - 1) as usize];
        Self { n, sum_ms: values.iter().sum(), p50_ms: at(50), p90_ms: at(90) }
    }

    pub fn stat(&self) -> Stat {
        if self.n == 0 {
            return Stat::default();
        }
        let n = i128::from(self.n);
        // Mean in seconds, rounded half up: floor((sum + n·500) / (n·1000)).
        let mean = (i128::from(self.sum_ms) + n * 500).div_euclid(n * 1000) as i64;
        Stat { count: self.n, mean_seconds: Some(mean), p50_seconds: Some(seconds(self.p50_ms)), p90_seconds: Some(seconds(self.p90_ms)) }
    }
}

/// Milliseconds to whole seconds, rounded half up.
pub fn seconds(ms: i64) -> i64 {
    (ms + 500).div_euclid(1000)
}

/// How many incidents of a group were seen, measured, still open, or left out.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Every incident opened in the group.
    pub total: u64,
    pub noise: u64,
    /// Merged into another and not noise.
    pub merged: u64,
    /// Measured (neither noise nor merged) and not resolved.
    pub open: u64,
}

/// Everything known about one group before it is labelled.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Figures {
    pub counts: Counts,
    pub ranked: BTreeMap<Metric, Ranked>,
}

impl Figures {
    fn group(&self, key: String, label: String, bucket: Option<&Bucket>) -> MetricsGroup {
        let c = self.counts;
        let stat = |m| self.ranked.get(&m).map(Ranked::stat).unwrap_or_default();
        MetricsGroup {
            key,
            label,
            start: bucket.map(|b| crate::metrics::buckets::utc(b.start_ms)),
            end: bucket.map(|b| crate::metrics::buckets::utc(b.end_ms)),
            incidents: c.total - c.noise - c.merged,
            open: c.open,
            noise: c.noise,
            merged: c.merged,
            mttd: stat(Metric::Mttd),
            mtta: stat(Metric::Mtta),
            mttr: stat(Metric::Mttr),
            mtbf: stat(Metric::Mtbf),
        }
    }
}

/// One incident as the metrics see it (the reference computation's input).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IncidentFacts {
    pub times: KeyTimes,
    pub service_id: Option<String>,
    /// The team owning its service (now).
    pub team_id: Option<String>,
    pub severity: Severity,
    pub noise: bool,
    pub merged: bool,
}

impl IncidentFacts {
    pub fn measured(&self) -> bool {
        !self.noise && !self.merged
    }
}

/// Operating time before each incident (MTBF), by index into `incidents` (`None`: not
/// measured): per service, over the measured incidents, ordered by impact start (then opened).
pub fn uptime_before(incidents: &[IncidentFacts]) -> Vec<Option<i64>> {
    let mut out = vec![None; incidents.len()];
    let mut idx: Vec<usize> = (0..incidents.len()).filter(|&i| incidents[i].measured() && incidents[i].service_id.is_some()).collect();
    idx.sort_by(|&a, &b| {
        let (x, y) = (&incidents[a], &incidents[b]);
        x.service_id.cmp(&y.service_id).then(x.times.start().cmp(&y.times.start())).then(x.times.opened_at.cmp(&y.times.opened_at))
    });
    // The latest end so far within the service; an open incident never ends (i64::MAX).
    let mut latest_end: Option<i64> = None;
    let mut service: Option<&str> = None;
    for i in idx {
        let f = &incidents[i];
        if f.service_id.as_deref() != service {
            service = f.service_id.as_deref();
            latest_end = None;
        }
        let t = &f.times;
        if let Some(end) = latest_end {
            if t.start() > end {
                out[i] = Some(t.start() - end);
            }
        }
        let end = t.resolved_at.unwrap_or(i64::MAX);
        latest_end = Some(latest_end.map_or(end, |e| e.max(end)));
    }
    out
}

/// The group an incident belongs to: the service/team id, the severity, or the index of its
/// bucket (`None`: no service / no team; for periods, opened outside every bucket).
pub fn group_key(f: &IncidentFacts, by: GroupBy, buckets: &[Bucket]) -> Option<String> {
    match by {
        GroupBy::Service => f.service_id.clone(),
        GroupBy::Team => f.team_id.clone(),
        GroupBy::Severity => Some(f.severity.as_str().to_string()),
        GroupBy::Week | GroupBy::Month => buckets::index_of(buckets, f.times.opened_at).map(|i| i.to_string()),
    }
}

#[derive(Default)]
struct Acc {
    counts: Counts,
    values: [Vec<i64>; 4],
}

impl Acc {
    fn add(&mut self, f: &IncidentFacts, uptime: Option<i64>) {
        let c = &mut self.counts;
        c.total += 1;
        c.noise += u64::from(f.noise);
        c.merged += u64::from(f.merged && !f.noise);
        c.open += u64::from(f.measured() && f.times.resolved_at.is_none());
        if f.measured() {
            let t = &f.times;
            for (slot, v) in self.values.iter_mut().zip([t.mttd_ms(), t.mtta_ms(), t.mttr_ms(), uptime]) {
                slot.extend(v);
            }
        }
    }

    fn figures(mut self) -> Figures {
        let ranked = Metric::ALL.into_iter().zip(self.values.iter_mut()).filter(|(_, v)| !v.is_empty()).map(|(m, v)| (m, Ranked::of(v))).collect();
        Figures { counts: self.counts, ranked }
    }
}

/// The figures of every group and of the whole range, from the incidents opened in the query's
/// range (any order).
pub fn summarize(incidents: &[IncidentFacts], by: GroupBy, buckets: &[Bucket]) -> (BTreeMap<Option<String>, Figures>, Figures) {
    let uptime = uptime_before(incidents);
    let mut groups: std::collections::HashMap<Option<String>, Acc> = std::collections::HashMap::new();
    let mut total = Acc::default();
    for (f, u) in incidents.iter().zip(uptime) {
        groups.entry(group_key(f, by, buckets)).or_default().add(f, u);
        total.add(f, u);
    }
    (groups.into_iter().map(|(g, a)| (g, a.figures())).collect(), total.figures())
}

/// The answer: every group labelled and in order — periods in time order, all of them, empty
/// ones too; severities SEV1 first; services and teams by name, "none" last. `name` gives a
/// service's or team's name by id.
pub fn assemble(q: &Query, buckets: &[Bucket], name: &dyn Fn(&str) -> Option<String>, groups: BTreeMap<Option<String>, Figures>, total: Figures) -> MetricsReport {
    let mut out: Vec<MetricsGroup> = Vec::new();
    if q.group_by.is_time() {
        for (i, b) in buckets.iter().enumerate() {
            let f = groups.get(&Some(i.to_string())).cloned().unwrap_or_default();
            out.push(f.group(b.key.clone(), b.label.clone(), Some(b)));
        }
    } else {
        let none = match q.group_by {
            GroupBy::Team => "(no team)",
            _ => "(no service)",
        };
        for (g, f) in groups {
            let label = match (&g, q.group_by) {
                (Some(k), GroupBy::Severity) => k.clone(),
                (Some(k), _) => name(k).unwrap_or_else(|| k.clone()),
                (None, _) => none.to_string(),
            };
            out.push(f.group(g.unwrap_or_default(), label, None));
        }
        if q.group_by != GroupBy::Severity {
            out.sort_by_cached_key(|g| (g.key.is_empty(), g.label.to_lowercase(), g.key.clone()));
        }
    }
    MetricsReport {
        from: buckets::utc(q.from_ms),
        to: buckets::utc(q.to_ms),
        group_by: q.group_by,
        time_zone: q.time_zone.name().to_string(),
        total: total.group(String::new(), "Total".into(), None),
        groups: out,
    }
}

#[cfg(test)]
mod tests;
