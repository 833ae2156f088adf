//! SQL of the metrics (`tocsin_domain::metrics`): the incidents opened in a range, read per
//! service from the covering index `incidents_metrics` (migration 0015) — each service one
//! index seek returning its incidents' precomputed durations as a few comma-separated columns
//! (one row per service: no per-row marshalling, no sort, no table lookup) — and the pages per
//! person for the on-call load.

use serde::Deserialize;

use super::{args, rows, Db};
use crate::error::{ApiError, ApiResult};
use tocsin_domain::incident::Severity;
use tocsin_domain::key_times::KeyTimes;
use tocsin_domain::metrics::oncall_load::{PageSlot, SLOT_MS};
use tocsin_domain::metrics::IncidentFacts;

/// A service as the metrics label and group it.
#[derive(Debug, Clone, Deserialize)]
pub struct MetricsServiceRow {
    pub id: String,
    pub name: String,
    pub team_id: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct NameRow {
    pub id: String,
    pub name: String,
}

/// What a metrics request needs before reading incidents: the organisation's time zone (its
/// status page's), its services and its teams.
pub struct MetricsContext {
    pub time_zone: Option<String>,
    pub services: Vec<MetricsServiceRow>,
    pub teams: Vec<NameRow>,
}

/// One service's incidents of the range, column by column (same order in every column).
#[derive(Debug, Deserialize)]
struct Packed {
    n: i64,
    t: Option<String>,
    sev: Option<String>,
    f: Option<String>,
    st: Option<String>,
    d: Option<String>,
    a: Option<String>,
    r: Option<String>,
}

/// The per-service read (`?3` cast: D1 binds numbers as REAL). `?2` is the service (NULL: incidents without one — `IS` matches
/// both). Columns: opened (ms after `?3`), severity, flags (1 noise, 2 merged), impact start
/// (ms after opened), then the three precomputed durations (empty when not measured). Every
/// value goes through COALESCE so that no column skips a row.
pub const INCIDENTS_OF_SERVICE: &str = "SELECT COUNT(*) AS n,
       group_concat(i.created_at - CAST(?3 AS INTEGER)) AS t,
       group_concat(i.severity) AS sev,
       group_concat(i.noise + 2 * (i.merged_into IS NOT NULL)) AS f,
       group_concat(COALESCE(i.impact_started_at - i.created_at, 0)) AS st,
       group_concat(COALESCE(i.mttd_ms, '')) AS d,
       group_concat(COALESCE(i.mtta_ms, '')) AS a,
       group_concat(COALESCE(i.mttr_ms, '')) AS r
     FROM incidents i WHERE i.org_id = ?1 AND i.service_id IS ?2 AND i.created_at >= ?3 AND i.created_at < ?4";

/// Pages per person per 15-minute slot of the range (`oncall_load`).
pub const PAGES_BY_SLOT: &str = "SELECT o.user_id, o.created_at / CAST(?4 AS INTEGER) AS slot, COUNT(*) AS pages
     FROM notification_outbox o WHERE o.org_id = ?1 AND o.created_at >= ?2 AND o.created_at < ?3
     GROUP BY o.user_id, slot";

fn split(col: &Option<String>) -> Vec<&str> {
    col.as_deref().map(|s| s.split(',').collect()).unwrap_or_default()
}

fn int(s: &str) -> ApiResult<Option<i64>> {
    if s.is_empty() {
        return Ok(None);
    }
    // D1 may hand back a whole number computed with a bound parameter as `123.0`.
    s.parse::<i64>()
        .or_else(|_| s.parse::<f64>().map(|f| f.round() as i64))
        .map(Some)
        .map_err(|_| ApiError::Internal(format!("metrics: bad number {s:?}")))
}

/// Rebuilds each incident's key times from its packed columns.
fn unpack(p: &Packed, service: Option<&MetricsServiceRow>, from_ms: i64, out: &mut Vec<IncidentFacts>) -> ApiResult<()> {
    let cols = [split(&p.t), split(&p.sev), split(&p.f), split(&p.st), split(&p.d), split(&p.a), split(&p.r)];
    let n = usize::try_from(p.n).unwrap_or(0);
    if cols.iter().any(|c| c.len() != n) {
        return Err(ApiError::Internal("metrics: columns of unequal length".into()));
    }
    for k in 0..n {
        let opened = from_ms + int(cols[0][k])?.unwrap_or(0);
        let severity: Severity = cols[1][k].parse()?;
        let flags = int(cols[2][k])?.unwrap_or(0);
        let impact = opened + int(cols[3][k])?.unwrap_or(0);
        let (mttd, mtta, mttr) = (int(cols[4][k])?, int(cols[5][k])?, int(cols[6][k])?);
        out.push(IncidentFacts {
            times: KeyTimes {
                impact_started_at: Some(impact),
                detected_at: mttd.map(|d| impact + d),
                opened_at: opened,
                first_acknowledged_at: mtta.map(|a| opened + a),
                mitigated_at: None,
                resolved_at: mttr.map(|r| impact + r),
            },
            service_id: service.map(|s| s.id.clone()),
            team_id: service.and_then(|s| s.team_id.clone()),
            severity,
            noise: flags & 1 != 0,
            merged: flags & 2 != 0,
        });
    }
    Ok(())
}

#[derive(Debug, Deserialize)]
struct TzRow {
    time_zone: String,
}

#[derive(Debug, Deserialize)]
struct SlotRow {
    user_id: String,
    slot: i64,
    pages: i64,
}

impl Db {
    pub async fn metrics_context(&self, org_id: &str) -> ApiResult<MetricsContext> {
        let res = self
            .batch(vec![
                self.stmt("SELECT time_zone FROM status_pages WHERE org_id = ?", args![org_id])?,
                self.stmt("SELECT id, name, team_id FROM services WHERE org_id = ? ORDER BY id", args![org_id])?,
                self.stmt("SELECT id, name FROM teams WHERE org_id = ? ORDER BY id", args![org_id])?,
            ])
            .await?;
        Ok(MetricsContext {
            time_zone: rows::<TzRow>(&res[0])?.into_iter().next().map(|r| r.time_zone),
            services: rows(&res[1])?,
            teams: rows(&res[2])?,
        })
    }

    /// The incidents opened in `[from_ms, to_ms)`, every service's (and those without one), in
    /// one round trip: one statement per service, each a seek on `incidents_metrics`.
    pub async fn metrics_incidents(&self, org_id: &str, services: &[MetricsServiceRow], from_ms: i64, to_ms: i64) -> ApiResult<Vec<IncidentFacts>> {
        let mut stmts = Vec::with_capacity(services.len() + 1);
        for s in services.iter().map(Some).chain([None]) {
            stmts.push(self.stmt(INCIDENTS_OF_SERVICE, args![org_id, s.map(|s| s.id.as_str()), from_ms, to_ms])?);
        }
        let res = self.batch(stmts).await?;
        let mut out = Vec::new();
        for (r, s) in res.iter().zip(services.iter().map(Some).chain([None])) {
            if let Some(p) = rows::<Packed>(r)?.first() {
                unpack(p, s, from_ms, &mut out)?;
            }
        }
        Ok(out)
    }

    /// Pages per person per 15-minute slot in `[from_ms, to_ms)`.
    pub async fn page_slots(&self, org_id: &str, from_ms: i64, to_ms: i64) -> ApiResult<Vec<PageSlot>> {
        let rows: Vec<SlotRow> = self.all(PAGES_BY_SLOT, args![org_id, from_ms, to_ms, SLOT_MS]).await?;
        Ok(rows.into_iter().map(|r| PageSlot { user_id: r.user_id, slot: r.slot, pages: r.pages.max(0) as u64 }).collect())
    }
}
