//! SQL of alert ingestion. A trigger is applied by one batch whose statements are guarded so
//! that the batch itself decides, atomically, between "new alert" and "repeat of the open alert"
//! (D1 runs a batch as one transaction): concurrent copies of a new alert give exactly one alert.

use serde::Deserialize;
use tocsin_domain::alert::{EventAction, EventResult};
use worker::D1PreparedStatement;

use super::{args, changes, rows, Arg, Db, OpenIncidentRow};
use crate::error::{ApiError, ApiResult};

/// The event log row written with every event.
pub struct EventLog<'a> {
    pub id: &'a str,
    pub org_id: &'a str,
    pub service_id: &'a str,
    pub vendor: &'a str,
    pub action: Option<&'a str>,
    pub dedup_key: Option<&'a str>,
    pub raw: &'a str,
}

/// A new alert as the trigger batch writes it.
pub struct TriggerAlert<'a> {
    pub alert_id: &'a str,
    pub dedup_key: &'a str,
    pub summary: &'a str,
    pub severity: &'a str,
    pub incident_severity: &'a str,
    pub source: Option<&'a str>,
    pub details: &'a str,
    pub links: &'a str,
    pub started_at: Option<i64>,
    /// When the source observed the firing (`AlertEvent::source_changed_at`): judged against the
    /// source's last resolve of the key (`alert::late_copy`).
    pub source_changed_at: Option<i64>,
    pub vendor: &'a str,
}

/// A repeat that may raise its alert's severity (PagerDuty: the same dedup key "can change the
/// severity"): the alert takes the repeat's severity; when that is higher than the alert had,
/// its open incident is raised to match (never lowered, so a responder's own lowering stands
/// until the source escalates again), with a timeline row saying so.
pub struct Repeat<'a> {
    pub dedup_key: &'a str,
    pub summary: &'a str,
    pub details: &'a str,
    pub links: &'a str,
    pub severity: &'a str,
    pub incident_severity: &'a str,
    /// The raise's timeline row: id, actor (JSON) and message.
    pub timeline_id: &'a str,
    pub actor: &'a str,
    pub message: &'a str,
    /// When the source observed this firing (`AlertEvent::source_changed_at`): the alert keeps
    /// the latest, which a resolve must not precede.
    pub source_changed_at: Option<i64>,
}

/// SQL for the rank of an alert severity (`expr`: a column or a placeholder), in the domain's
/// order: a lower rank is more severe.
fn severity_rank(expr: &str) -> String {
    let order: String = tocsin_domain::alert::AlertSeverity::ALL.iter().map(|s| format!(",{}", s.as_str())).collect::<String>() + ",";
    format!("instr('{order}', ',' || {expr} || ',')")
}

/// Where a new alert goes: a new incident, or an open one (grouping).
pub enum Target<'a> {
    /// `guard`: the open incidents the decision to open a new one assumed absent (grouping): the
    /// incident is only opened if none exists, else nothing is written and the caller decides again.
    NewIncident { id: &'a str, title: &'a str, group_value: Option<&'a str>, guard: Option<&'a tocsin_domain::grouping::OpenGuard>, timeline_id: &'a str, actor: &'a str, message: &'a str },
    Existing { id: &'a str, timeline_id: &'a str, actor: &'a str, message: &'a str },
}

/// What a trigger batch did: the alert firing for its key (None: none any more), and, when
/// asked for, the escalation it started with its first step's context and the contacts of the
/// people it may page.
pub struct Triggered {
    pub firing: Option<FiringAlert>,
    /// Nothing was written because the trigger is a late copy, observed before the source's
    /// last resolve of its key (`tocsin_domain::alert::late_copy`), as its log row says.
    pub stale: Option<StaleCopy>,
    pub escalation: Option<(super::EscalationRow, super::EscalationContext, super::Contacts)>,
}

/// The firing alert for a key after a trigger batch, and whether this batch created it.
#[derive(Debug, Deserialize)]
pub struct FiringAlert {
    pub id: String,
    pub incident_id: String,
    pub mine: i64,
}

/// A late trigger's log row: the key's last resolved alert, if it had one (an OK delivered
/// before its ALARM resolved nothing).
#[derive(Debug, Deserialize)]
pub struct StaleCopy {
    pub id: Option<String>,
    pub incident_id: Option<String>,
}

/// The guard of a trigger's inserts: the source's last resolve of the key (`?svc`, `?key`) was
/// not observed after the firing (`?at`): see `tocsin_domain::alert::late_copy`.
const NOT_STALE: &str = "NOT EXISTS (SELECT 1 FROM source_resolves WHERE service_id = ?svc AND dedup_key = ?key AND ended_at > ?at)";

/// What a resolve batch did, read back from its own event-log row.
#[derive(Debug, Deserialize)]
pub struct ResolveOutcome {
    /// `resolved`, or `ignored` when no alert was firing for the key.
    pub result: String,
    pub alert_id: Option<String>,
    pub incident_id: Option<String>,
    /// What the log row says happened (an ignored resolve says why).
    pub message: String,
    /// Whether the incident resolved with this alert (set from the batch, not a column).
    #[serde(default)]
    pub incident_resolved: bool,
}

/// The open alert for a key with its incident's status (for acknowledge).
#[derive(Debug, Clone, Deserialize)]
pub struct OpenAlertRow {
    pub id: String,
    pub incident_id: String,
    pub incident_status: String,
}

impl Db {
    fn event_log_stmt(&self, e: &EventLog<'_>, alert_id: Option<&str>, incident_id: Option<&str>, result: &str, message: &str, now: i64) -> ApiResult<D1PreparedStatement> {
        self.stmt(
            "INSERT INTO alert_events (id, org_id, service_id, vendor, action, dedup_key, alert_id, incident_id, result, message, raw, received_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            args![e.id, e.org_id, e.service_id, e.vendor, e.action, e.dedup_key, alert_id, incident_id, result, message, e.raw, now],
        )
    }

    /// Records an event that changed nothing (ignored or rejected), with why.
    pub async fn log_event(&self, e: &EventLog<'_>, result: &str, message: &str, alert_id: Option<&str>, incident_id: Option<&str>, now: i64) -> ApiResult<()> {
        self.batch(vec![self.event_log_stmt(e, alert_id, incident_id, result, message, now)?]).await?;
        Ok(())
    }

    /// Open incidents of a service, newest first (for grouping).
    /// The service's newest open incidents (`limit` at most); with `group_value`, only those
    /// holding it (grouping by field), so the one an alert joins is never beyond the limit.
    pub async fn open_incidents_of(&self, service_id: &str, group_value: Option<&str>, limit: i64) -> ApiResult<Vec<OpenIncidentRow>> {
        self.all(
            "SELECT id, created_at, group_value FROM incidents WHERE service_id = ?1 AND status != 'resolved' AND (?2 IS NULL OR group_value = ?2)
             ORDER BY created_at DESC LIMIT ?3",
            args![service_id, group_value, limit],
        )
        .await
    }

    pub async fn open_alert_with_incident(&self, service_id: &str, dedup_key: &str) -> ApiResult<Option<OpenAlertRow>> {
        self.first(
            "SELECT a.id, a.incident_id, i.status AS incident_status FROM alerts a JOIN incidents i ON i.id = a.incident_id
             WHERE a.service_id = ? AND a.dedup_key = ? AND a.status = 'firing'",
            args![service_id, dedup_key],
        )
        .await
    }

    /// Applies a trigger in one transaction: opens the alert (into a new or an existing incident)
    /// unless one is already firing for the key, in which case the repeat is counted on it.
    /// Returns the firing alert afterwards, or `None` when the chosen incident was resolved
    /// meanwhile (the caller decides again).
    /// With `escalation_since` (a new incident of a service with a policy), the same batch also
    /// reads the escalation it started and what its first step needs (schedules, overrides since
    /// then, people): the step runs without a read of its own.
    #[allow(clippy::too_many_arguments)]
    pub async fn apply_trigger(
        &self,
        org_id: &str,
        service_id: &str,
        a: &TriggerAlert<'_>,
        target: &Target<'_>,
        repeat: &Repeat<'_>,
        log: &EventLog<'_>,
        escalation_since: Option<i64>,
        now: i64,
    ) -> ApiResult<Triggered> {
        let firing = "SELECT 1 FROM alerts WHERE service_id = ? AND dedup_key = ? AND status = 'firing'";
        let mut stmts = Vec::with_capacity(7);
        let (incident_id, opened_result, opened_message) = match target {
            Target::NewIncident { id, title, group_value, guard, timeline_id, actor, message } => {
                // Key times (migration 0015) in the same row: detected now, impact from the source.
                let (kt_cols, kt_vals) = super::key_times::opened_columns(tocsin_domain::key_times::impact_start(a.started_at, now), now);
                // Alerts of one group arriving together each decide before any incident exists:
                // only the first write opens it (D1 runs one batch at a time), the others write
                // nothing and decide again, joining it.
                let mut args: Vec<Arg<'_>> = args![*id, org_id, org_id, *title, a.incident_severity, service_id, now, now, *group_value, service_id, a.dedup_key].to_vec();
                let mut grouped = String::new();
                if let Some(g) = guard {
                    grouped.push_str(" AND NOT EXISTS (SELECT 1 FROM incidents WHERE service_id = ? AND status != 'resolved'");
                    args.push(Arg::Text(service_id));
                    if let Some(since) = g.since_ms {
                        grouped.push_str(" AND created_at >= ?");
                        args.push(Arg::Int(since));
                    }
                    if let Some(v) = g.group_value.as_deref() {
                        grouped.push_str(" AND group_value = ?");
                        args.push(Arg::Text(v));
                    }
                    grouped.push(')');
                }
                if let Some(at) = a.source_changed_at {
                    grouped.push_str(" AND ");
                    grouped.push_str(&NOT_STALE.replace("?svc", "?").replace("?key", "?").replace("?at", "?"));
                    args.extend([Arg::Text(service_id), Arg::Text(a.dedup_key), Arg::Int(at)]);
                }
                stmts.push(self.stmt(
                    &format!(
                        "INSERT INTO incidents (id, org_id, number, title, status, severity, service_id, created_at, updated_at, group_value{kt_cols})
                         SELECT ?, ?, (SELECT COALESCE(MAX(number), 0) + 1 FROM incidents WHERE org_id = ?), ?, 'triggered', ?, ?, ?, ?, ?{kt_vals}
                         WHERE NOT EXISTS ({firing}){grouped}"
                    ),
                    &args,
                )?);
                stmts.push(self.alert_insert(org_id, service_id, a, id, &format!("EXISTS (SELECT 1 FROM incidents WHERE id = '{}')", sql_id(id)), now)?);
                stmts.push(self.guarded_timeline(org_id, id, timeline_id, "incident.triggered", actor, message, a.alert_id, now)?);
                // Its own copy of the service's runbook checklist (only if the incident was inserted).
                stmts.push(self.checklist_copy_stmt(org_id, id, service_id, now)?);
                // Its escalation starts in the same transaction (the policy as it is now; no row
                // when the service has none): no incident is stored without it, and it costs no
                // extra round trip. The first step is due now; the caller runs it.
                stmts.push(self.stmt(
                    "INSERT INTO incident_escalations (incident_id, org_id, policy, cycle, level, next_at, updated_at)
                     SELECT ?1, s.org_id, p.policy, 0, 0, ?2, ?2 FROM services s JOIN escalation_policies p ON p.id = s.escalation_policy_id
                     WHERE s.id = ?3 AND EXISTS (SELECT 1 FROM incidents WHERE id = ?1) ON CONFLICT (incident_id) DO NOTHING",
                    args![*id, now, service_id],
                )?);
                (*id, "opened", "incident opened")
            }
            Target::Existing { id, timeline_id, actor, message } => {
                let mut guard = format!("NOT EXISTS ({firing_sql}) AND EXISTS (SELECT 1 FROM incidents WHERE id = '{inc}' AND status != 'resolved')",
                    firing_sql = "SELECT 1 FROM alerts WHERE service_id = ?9 AND dedup_key = ?10 AND status = 'firing'", inc = sql_id(id));
                if a.source_changed_at.is_some() {
                    guard.push_str(" AND ");
                    guard.push_str(&NOT_STALE.replace("?svc", "?9").replace("?key", "?10").replace("?at", "?14"));
                }
                stmts.push(self.alert_insert(org_id, service_id, a, id, &guard, now)?);
                stmts.push(self.guarded_timeline(org_id, id, timeline_id, "alert.grouped", actor, message, a.alert_id, now)?);
                let kt = super::key_times::alert_joined(now, tocsin_domain::key_times::impact_start(a.started_at, now));
                stmts.push(self.stmt(
                    &format!("UPDATE incidents SET updated_at = ?, severity = MIN(severity, ?), {kt} WHERE id = ? AND EXISTS (SELECT 1 FROM alerts WHERE id = ?)"),
                    args![now, a.incident_severity, *id, a.alert_id],
                )?);
                (*id, "grouped", "alert added to an open incident")
            }
        };
        let _ = incident_id;
        stmts.extend(self.repeat_stmts(org_id, service_id, repeat, Some(a.alert_id), now)?);
        // A late copy wrote nothing above: its log row names the resolved alert it copies.
        let stale_at = match a.source_changed_at {
            Some(at) => {
                stmts.push(self.stmt(
                    "INSERT INTO alert_events (id, org_id, service_id, vendor, action, dedup_key, alert_id, incident_id, result, message, raw, received_at)
                     SELECT ?1, ?2, ?3, ?4, ?5, ?6, r.id, r.incident_id, 'ignored', 'a late copy: the source resolved this alert after this firing began', ?7, ?8
                     FROM source_resolves s LEFT JOIN (SELECT id, incident_id FROM alerts WHERE service_id = ?3 AND dedup_key = ?6 AND status = 'resolved'
                       AND started_at <= ?9 AND source_ended_at > ?9 ORDER BY resolved_at DESC LIMIT 1) r
                     WHERE s.service_id = ?3 AND s.dedup_key = ?6 AND s.ended_at > ?9
                       AND NOT EXISTS (SELECT 1 FROM alerts WHERE service_id = ?3 AND dedup_key = ?6 AND status = 'firing')
                     RETURNING alert_id AS id, incident_id",
                    args![log.id, log.org_id, service_id, log.vendor, log.action, a.dedup_key, log.raw, now, at],
                )?);
                Some(stmts.len() - 1)
            }
            None => None,
        };
        // The log row says what happened, and RETURNING hands it back: no extra read.
        stmts.push(self.stmt(
            "INSERT INTO alert_events (id, org_id, service_id, vendor, action, dedup_key, alert_id, incident_id, result, message, raw, received_at)
             SELECT ?, ?, ?, ?, ?, ?, a.id, a.incident_id,
                    CASE WHEN a.id = ? THEN ? ELSE 'deduplicated' END,
                    CASE WHEN a.id = ? THEN ? ELSE 'repeat counted on the open alert' END, ?, ?
             FROM alerts a WHERE a.service_id = ? AND a.dedup_key = ? AND a.status = 'firing'
             RETURNING alert_id AS id, incident_id, result != 'deduplicated' AS mine",
            args![log.id, log.org_id, log.service_id, log.vendor, log.action, log.dedup_key, a.alert_id, opened_result, a.alert_id, opened_message, log.raw, now, service_id, a.dedup_key],
        )?);
        let n = stmts.len();
        if let (Some(since), Target::NewIncident { id, .. }) = (escalation_since, target) {
            stmts.push(self.stmt(&format!("{} WHERE e.incident_id = ?", super::ESCALATION_SELECT), args![*id])?);
            stmts.extend(self.escalation_context_stmts(org_id, since)?);
            stmts.extend(self.contacts_stmts(org_id, id, since)?);
        }
        let res = self.batch(stmts).await?;
        let firing = rows::<FiringAlert>(&res[n - 1])?.into_iter().next();
        let stale = match stale_at {
            Some(i) => rows::<StaleCopy>(&res[i])?.into_iter().next(),
            None => None,
        };
        let escalation = match res.get(n) {
            Some(e) => rows::<super::EscalationRow>(e)?
                .into_iter()
                .next()
                .map(|e| Ok::<_, ApiError>((e, super::escalation_context_of(&res[n + 1..])?, super::contacts_from(&res)?)))
                .transpose()?,
            None => None,
        };
        Ok(Triggered { firing, stale, escalation })
    }

    /// A repeat's statements, for the key's firing alert (but `new_alert`, just inserted by the
    /// same batch): the incident raised if the repeat is more severe than the alert was, its
    /// timeline row, then the alert counted and updated.
    fn repeat_stmts(&self, org_id: &str, service_id: &str, r: &Repeat<'_>, new_alert: Option<&str>, now: i64) -> ApiResult<Vec<D1PreparedStatement>> {
        let not_new = "(?4 IS NULL OR id != ?4)";
        Ok(vec![
            self.stmt(
                &format!(
                    "UPDATE incidents SET severity = ?6, updated_at = ?1
                     WHERE id = (SELECT incident_id FROM alerts WHERE service_id = ?2 AND dedup_key = ?3 AND status = 'firing' AND {not_new} AND {} > {})
                       AND status != 'resolved' AND severity > ?6",
                    severity_rank("severity"),
                    severity_rank("?5")
                ),
                args![now, service_id, r.dedup_key, new_alert, r.severity, r.incident_severity],
            )?,
            self.stmt(
                "INSERT INTO timeline (id, org_id, incident_id, at, kind, actor, message, seq)
                 SELECT ?1, ?2, a.incident_id, ?3, 'incident.severity_changed', ?4, ?5, (SELECT COALESCE(MAX(seq), 0) + 1 FROM timeline WHERE incident_id = a.incident_id)
                 FROM alerts a WHERE changes() = 1 AND a.service_id = ?6 AND a.dedup_key = ?7 AND a.status = 'firing' AND (?8 IS NULL OR a.id != ?8)",
                args![r.timeline_id, org_id, now, r.actor, r.message, service_id, r.dedup_key, new_alert],
            )?,
            self.stmt(
                &format!(
                    "UPDATE alerts SET event_count = event_count + 1, last_seen_at = ?1, summary = ?5, details = ?6, links = ?7, severity = ?8{changed}
                     WHERE service_id = ?2 AND dedup_key = ?3 AND status = 'firing' AND {not_new}",
                    // Only from sources that give it (the storm's usual repeat binds nothing more).
                    changed = if r.source_changed_at.is_some() { ", source_changed_at = MAX(COALESCE(source_changed_at, ?9), ?9)" } else { "" }
                ),
                &args![now, service_id, r.dedup_key, new_alert, r.summary, r.details, r.links, r.severity, r.source_changed_at][..if r.source_changed_at.is_some() { 9 } else { 8 }],
            )?,
        ])
    }

    /// The fast path for a repeat of an alert believed open: count it (raising its severity as
    /// [`Repeat`] says) and log it, in one batch. `None` when no alert is firing for the key any
    /// more.
    pub async fn count_repeat(&self, org_id: &str, service_id: &str, r: &Repeat<'_>, log: &EventLog<'_>, now: i64) -> ApiResult<Option<FiringAlert>> {
        let mut stmts = self.repeat_stmts(org_id, service_id, r, None, now)?;
        stmts.push(self.stmt(
                    "INSERT INTO alert_events (id, org_id, service_id, vendor, action, dedup_key, alert_id, incident_id, result, message, raw, received_at)
                     SELECT ?, ?, ?, ?, ?, ?, a.id, a.incident_id, 'deduplicated', 'repeat counted on the open alert', ?, ?
                     FROM alerts a WHERE a.service_id = ? AND a.dedup_key = ? AND a.status = 'firing'
                     RETURNING alert_id AS id, incident_id, 0 AS mine",
                    args![log.id, log.org_id, log.service_id, log.vendor, log.action, log.dedup_key, log.raw, now, service_id, r.dedup_key],
                )?);
        let res = self.batch(stmts).await?;
        Ok(rows::<FiringAlert>(res.last().ok_or_else(|| ApiError::Internal("an empty batch answer".into()))?)?.into_iter().next())
    }

    fn alert_insert(&self, org_id: &str, service_id: &str, a: &TriggerAlert<'_>, incident_id: &str, guard: &str, now: i64) -> ApiResult<D1PreparedStatement> {
        // Numbered placeholders: ?9/?10 are reused by guards written with them.
        self.stmt(
            &format!(
                "INSERT INTO alerts (id, org_id, service_id, incident_id, dedup_key, status, summary, severity, source, details,
                   event_count, first_seen_at, last_seen_at, vendor, started_at, links, source_changed_at)
                 SELECT ?1, ?2, ?9, ?3, ?10, 'firing', ?4, ?5, ?6, ?7, 1, ?8, ?8, ?11, ?12, ?13, ?14 WHERE {guard}"
            ),
            args![a.alert_id, org_id, incident_id, a.summary, a.severity, a.source, a.details, now, service_id, a.dedup_key, a.vendor, a.started_at, a.links, a.source_changed_at],
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn guarded_timeline(&self, org_id: &str, incident_id: &str, id: &str, kind: &str, actor: &str, message: &str, alert_id: &str, now: i64) -> ApiResult<D1PreparedStatement> {
        self.stmt(
            "INSERT INTO timeline (id, org_id, incident_id, at, kind, actor, message, seq) SELECT ?, ?, ?, ?, ?, ?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM timeline WHERE incident_id = ?3) WHERE EXISTS (SELECT 1 FROM alerts WHERE id = ?)",
            args![id, org_id, incident_id, now, kind, actor, message, alert_id],
        )
    }

    /// An acknowledge from the source: marks the alert, and acknowledges its incident if it is
    /// still triggered. Returns whether the incident changed.
    #[allow(clippy::too_many_arguments)]
    pub async fn acknowledge_from_source(&self, org_id: &str, alert: &OpenAlertRow, actor: &str, timeline_id: &str, message: &str, log: &EventLog<'_>, now: i64) -> ApiResult<bool> {
        let res = self
            .batch(vec![
                self.stmt(
                    &format!(
                        "UPDATE incidents SET status = 'acknowledged', acknowledged_at = ?, acknowledged_by = ?, updated_at = ?, {}
                         WHERE id = ? AND org_id = ? AND status = 'triggered'",
                        super::key_times::acknowledged(now)
                    ),
                    args![now, actor, now, &alert.incident_id, org_id],
                )?,
                self.stmt(
                    "INSERT INTO timeline (id, org_id, incident_id, at, kind, actor, message, seq) SELECT ?, ?, ?, ?, 'incident.acknowledged', ?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM timeline WHERE incident_id = ?3) WHERE changes() = 1",
                    args![timeline_id, org_id, &alert.incident_id, now, actor, message],
                )?,
                self.stmt("UPDATE alerts SET acknowledged_at = COALESCE(acknowledged_at, ?), last_seen_at = ? WHERE id = ?", args![now, now, &alert.id])?,
                self.event_log_stmt(log, Some(&alert.id), Some(&alert.incident_id), "acknowledged", "acknowledged by the source", now)?,
            ])
            .await?;
        Ok(changes(&res[0]) == 1)
    }

    /// Applies a resolve in one transaction without reading first: resolves the key's firing
    /// alert if there is one, logs the event with the outcome, writes the timeline, and — when
    /// the service resolves incidents automatically — resolves the incident once none of its
    /// alerts is firing any more. The event-log row records the outcome for the later
    /// statements (and the answer). With `only_alert` (an alert named by its id), the key's
    /// firing alert is resolved only if it is that alert.
    #[allow(clippy::too_many_arguments)]
    pub async fn resolve_by_key(
        &self,
        service_id: &str,
        dedup_key: &str,
        only_alert: Option<&str>,
        source_changed: Option<i64>,
        auto_resolve: bool,
        actor: &str,
        alert_message_prefix: &str,
        ids: (&str, &str),
        log: &EventLog<'_>,
        now: i64,
    ) -> ApiResult<ResolveOutcome> {
        let target = "(SELECT id FROM alerts WHERE service_id = ?1 AND dedup_key = ?2 AND status = 'resolved' AND resolved_at = ?3 ORDER BY rowid DESC LIMIT 1)";
        let mut stmts = vec![
            self.stmt(
                // A resolve the source observed before the firing alert began is a late copy
                // (`alert::late_copy`): it resolves nothing.
                "UPDATE alerts SET status = 'resolved', resolved_at = ?3, last_seen_at = ?3, source_ended_at = ?5 WHERE service_id = ?1 AND dedup_key = ?2 AND status = 'firing' AND (?4 IS NULL OR id = ?4)
                 AND (?5 IS NULL OR source_changed_at IS NULL OR source_changed_at <= ?5)",
                args![service_id, dedup_key, now, only_alert, source_changed],
            )?,
            // changes() is the UPDATE's count here: it says whether an alert was resolved.
            self.stmt(
                &format!(
                    "INSERT INTO alert_events (id, org_id, service_id, vendor, action, dedup_key, alert_id, incident_id, result, message, raw, received_at)
                     SELECT ?4, ?5, ?1, ?6, ?7, ?2, t.id, (SELECT incident_id FROM alerts WHERE id = t.id),
                            CASE WHEN c = 1 THEN 'resolved' ELSE 'ignored' END,
                            CASE WHEN c = 1 THEN 'alert resolved'
                                 WHEN ?9 IS NOT NULL AND EXISTS (SELECT 1 FROM alerts WHERE service_id = ?1 AND dedup_key = ?2 AND status = 'firing')
                                   THEN 'a late copy: the alarm was last raised after the source observed this resolve'
                                 ELSE 'no open alert has this dedup key; nothing to resolve' END, ?8, ?3
                     FROM (SELECT changes() AS c) LEFT JOIN (SELECT {target} AS id) t ON c = 1
                     RETURNING result, message, alert_id, incident_id"
                ),
                args![service_id, dedup_key, now, log.id, log.org_id, log.vendor, log.action, log.raw, source_changed],
            )?,
            self.stmt(
                "INSERT INTO timeline (id, org_id, incident_id, at, kind, actor, message, seq)
                 SELECT ?1, a.org_id, a.incident_id, ?2, 'alert.resolved', ?3, ?4 || a.summary, (SELECT COALESCE(MAX(t.seq), 0) + 1 FROM timeline t WHERE t.incident_id = a.incident_id)
                 FROM alert_events e JOIN alerts a ON a.id = e.alert_id WHERE e.id = ?5 AND e.result = 'resolved'",
                args![ids.0, now, actor, alert_message_prefix, log.id],
            )?,
        ];
        if auto_resolve {
            stmts.push(self.stmt(
                &format!(
                "UPDATE incidents SET status = 'resolved', resolved_at = ?1, resolved_by = ?2, updated_at = ?1, {}
                 WHERE id = (SELECT incident_id FROM alert_events WHERE id = ?3 AND result = 'resolved') AND status != 'resolved'
                 AND NOT EXISTS (SELECT 1 FROM alerts WHERE incident_id = incidents.id AND status = 'firing')",
                    super::key_times::resolved(now)
                ),
                args![now, actor, log.id],
            )?);
            stmts.push(self.stmt(
                "INSERT INTO timeline (id, org_id, incident_id, at, kind, actor, message, seq)
                 SELECT ?1, e.org_id, e.incident_id, ?2, 'incident.resolved', ?3, 'Resolved automatically: all of its alerts have resolved', (SELECT COALESCE(MAX(t.seq), 0) + 1 FROM timeline t WHERE t.incident_id = e.incident_id)
                 FROM alert_events e WHERE e.id = ?4 AND changes() = 1",
                args![ids.1, now, actor, log.id],
            )?);
        }
        // The source's end, kept whatever happened above (an OK delivered before its ALARM
        // resolved nothing, and still makes that ALARM a late copy).
        if let Some(at) = source_changed {
            stmts.push(self.stmt(
                "INSERT INTO source_resolves (service_id, dedup_key, ended_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (service_id, dedup_key) DO UPDATE SET ended_at = MAX(ended_at, excluded.ended_at)",
                args![service_id, dedup_key, at],
            )?);
        }
        let res = self.batch(stmts).await?;
        let mut o = rows::<ResolveOutcome>(&res[1])?
            .into_iter()
            .next()
            .ok_or_else(|| crate::error::ApiError::Internal("resolve left no event row".into()))?;
        o.incident_resolved = auto_resolve && changes(&res[3]) == 1;
        Ok(o)
    }

    pub async fn insert_change_event(&self, id: &str, org_id: &str, service_id: &str, summary: &str, source: Option<&str>, details: &str, links: &str, at: i64, now: i64) -> ApiResult<()> {
        self.run(
            "INSERT INTO change_events (id, org_id, service_id, summary, source, details, links, at, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            args![id, org_id, service_id, summary, source, details, links, at, now],
        )
        .await?;
        Ok(())
    }

    /// The stored answer to a delivery already applied (Sentry's Request-ID), if any.
    pub async fn delivery(&self, service_id: &str, delivery_id: &str) -> ApiResult<Option<String>> {
        self.first_text("SELECT response FROM deliveries WHERE service_id = ? AND delivery_id = ?", args![service_id, delivery_id], "response").await
    }

    pub async fn record_delivery(&self, service_id: &str, delivery_id: &str, response: &str, now: i64) -> ApiResult<()> {
        self.run(
            "INSERT INTO deliveries (service_id, delivery_id, response, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
            args![service_id, delivery_id, response, now],
        )
        .await?;
        Ok(())
    }
}

/// Ids are generated by us (UUIDv7 text), but quote-escape anyway before inlining one.
fn sql_id(id: &str) -> String {
    id.replace('\'', "''")
}

#[derive(Debug, Deserialize)]
pub struct SnsSubscriptionRow {
    pub topic_arn: String,
    pub subscribe_url: String,
    pub status: String,
    pub updated_at: i64,
}

/// An Opsgenie request, as its event's row in the event log (whose id is the request id).
#[derive(Debug, Deserialize)]
pub struct OpsgenieRequestRow {
    /// The event's action; an Opsgenie request always has one.
    pub action: EventAction,
    pub result: EventResult,
    pub alert_id: Option<String>,
    pub dedup_key: Option<String>,
    pub received_at: i64,
}

impl Db {
    pub async fn upsert_sns_subscription(&self, service_id: &str, topic_arn: &str, subscribe_url: &str, status: &str, now: i64) -> ApiResult<()> {
        self.run(
            "INSERT INTO sns_subscriptions (service_id, topic_arn, subscribe_url, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
             ON CONFLICT (service_id, topic_arn) DO UPDATE SET subscribe_url = excluded.subscribe_url, status = excluded.status, updated_at = excluded.updated_at",
            args![service_id, topic_arn, subscribe_url, status, now, now],
        )
        .await?;
        Ok(())
    }

    pub async fn set_sns_status(&self, service_id: &str, topic_arn: &str, status: &str, now: i64) -> ApiResult<()> {
        self.run(
            "UPDATE sns_subscriptions SET status = ?, updated_at = ? WHERE service_id = ? AND topic_arn = ?",
            args![status, now, service_id, topic_arn],
        )
        .await?;
        Ok(())
    }

    /// Clears raw payloads that came in during the two days before `cutoff` (the cron runs every
    /// minute, so older ones were cleared by earlier runs): each service's range is read from its
    /// `(service_id, received_at)` index, so the sweep costs the same after a year as after a day.
    /// Returns how many were cleared.
    pub async fn clear_old_raw_payloads(&self, cutoff: i64) -> ApiResult<usize> {
        let services: Vec<serde_json::Value> = self.all("SELECT id FROM services", &[]).await?;
        let from = cutoff - 2 * 86_400_000;
        let mut stmts = Vec::new();
        for s in services.iter().filter_map(|s| s["id"].as_str()) {
            stmts.push(self.stmt(
                "UPDATE alert_events SET raw = '' WHERE service_id = ? AND received_at >= ? AND received_at < ? AND raw != ''",
                args![s, from, cutoff],
            )?);
        }
        if stmts.is_empty() {
            return Ok(0);
        }
        let res = self.batch(stmts).await?;
        Ok(res.iter().map(super::changes).sum())
    }

    /// Deletes each service's event-log rows received before `cutoff`, at most `limit` per
    /// service per call (oldest first, read from the `(service_id, received_at)` index), but never
    /// a service's newest row: readiness shows when a service last heard from its monitoring.
    /// The outcomes stay on the alerts and incidents themselves. Returns how many were deleted.
    pub async fn clear_old_event_log(&self, cutoff: i64, limit: i64) -> ApiResult<usize> {
        let services: Vec<serde_json::Value> = self.all("SELECT id FROM services", &[]).await?;
        let mut stmts = Vec::new();
        for s in services.iter().filter_map(|s| s["id"].as_str()) {
            stmts.push(self.stmt(
                "DELETE FROM alert_events WHERE rowid IN (
                   SELECT rowid FROM alert_events WHERE service_id = ?1 AND received_at < ?2
                     AND rowid != (SELECT rowid FROM alert_events WHERE service_id = ?1 ORDER BY received_at DESC LIMIT 1)
                   ORDER BY received_at LIMIT ?3)",
                args![s, cutoff, limit],
            )?);
        }
        // Ten services per transaction: a first sweep over a long backlog stays small per batch.
        let mut deleted = 0;
        let mut stmts = stmts.into_iter().peekable();
        while stmts.peek().is_some() {
            let chunk: Vec<_> = stmts.by_ref().take(10).collect();
            deleted += self.batch(chunk).await?.iter().map(super::changes).sum::<usize>();
        }
        Ok(deleted)
    }

    /// Forgets the answers kept for senders' retries (`deliveries`) recorded before `cutoff`, at
    /// most `limit` a call, oldest first (read from the `created_at` index). Returns how many.
    pub async fn clear_old_retry_answers(&self, cutoff: i64, limit: i64) -> ApiResult<usize> {
        self.run(
            "DELETE FROM deliveries WHERE rowid IN (SELECT rowid FROM deliveries WHERE created_at < ?1 ORDER BY created_at LIMIT ?2)",
            args![cutoff, limit],
        )
        .await
    }

    /// Forgets the sources' resolve times (`source_resolves`) observed before `cutoff`, at most
    /// `limit` a call (by the `ended_at` index): a copy that late is no longer delivered (SNS
    /// retries for an hour at most).
    pub async fn clear_old_source_resolves(&self, cutoff: i64, limit: i64) -> ApiResult<usize> {
        self.run(
            "DELETE FROM source_resolves WHERE (service_id, dedup_key) IN (SELECT service_id, dedup_key FROM source_resolves WHERE ended_at < ?1 ORDER BY ended_at LIMIT ?2)",
            args![cutoff, limit],
        )
        .await
    }

    pub async fn sns_subscriptions(&self, service_id: &str) -> ApiResult<Vec<SnsSubscriptionRow>> {
        self.all(
            "SELECT topic_arn, subscribe_url, status, updated_at FROM sns_subscriptions WHERE service_id = ? ORDER BY updated_at DESC",
            args![service_id],
        )
        .await
    }

    pub async fn opsgenie_request(&self, service_id: &str, request_id: &str) -> ApiResult<Option<OpsgenieRequestRow>> {
        self.first(
            "SELECT action, result, alert_id, dedup_key, received_at FROM alert_events
             WHERE id = ?2 AND service_id = ?1 AND vendor = 'opsgenie' AND action IS NOT NULL",
            args![service_id, request_id],
        )
        .await
    }

    /// The dedup key of a service's alert still firing, by the alert's id: a resolved alert's
    /// key may already belong to a newer alert, which an action on the old one must not touch.
    /// (The test fault `stale_alert_lookup` reads the key whatever the alert's status: a lookup
    /// made just before the alert resolved and a newer one took its key, which the action's own
    /// transaction must then refuse.)
    pub async fn alert_dedup_key(&self, service_id: &str, alert_id: &str) -> ApiResult<Option<String>> {
        let sql = if crate::faults::at("stale_alert_lookup") {
            "SELECT dedup_key FROM alerts WHERE service_id = ? AND id = ?"
        } else {
            "SELECT dedup_key FROM alerts WHERE service_id = ? AND id = ? AND status = 'firing'"
        };
        self.first_text(sql, args![service_id, alert_id], "dedup_key").await
    }
}
