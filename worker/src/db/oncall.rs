//! SQL of on-call: schedules and overrides, escalation policies, running escalations and the
//! notification outbox.

use serde::Deserialize;
use tocsin_domain::api::oncall::FeedKind;

use super::{args, changes, Claimed, Db, PageDispatch, PendingPages};
use crate::error::ApiResult;

#[derive(Debug, Clone, Deserialize)]
pub struct ScheduleRow {
    pub id: String,
    pub name: String,
    pub time_zone: String,
    pub layers: String,
}

/// A person as escalation sees them.
#[derive(Debug, Clone, Deserialize)]
pub struct PersonRow {
    pub id: String,
    pub name: String,
    /// 1 unless deactivated.
    pub active: i64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct OverrideRow {
    pub schedule_id: String,
    pub user_id: String,
    pub starts_at: i64,
    pub ends_at: i64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct PolicyRow {
    pub id: String,
    pub name: String,
    pub policy: String,
}

/// A running escalation with its incident's status.
#[derive(Debug, Clone, Deserialize)]
pub struct EscalationRow {
    pub incident_id: String,
    pub org_id: String,
    pub policy: String,
    pub round: i64,
    pub cycle: i64,
    pub level: i64,
    pub next_at: Option<i64>,
    pub status: String,
    pub number: i64,
    /// The incident's title, severity and service's name (what a page says).
    pub title: String,
    pub severity: String,
    pub service_name: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct OutboxRow {
    pub id: String,
    pub incident_id: String,
    pub user_id: String,
    pub cycle: i64,
    pub level: i64,
    pub reason: String,
    pub state: String,
    pub created_at: i64,
    pub user_name: Option<String>,
    pub next_repeat_at: Option<i64>,
}

/// One decided notification, to write to the outbox.
pub struct NewNotification<'a> {
    pub id: String,
    pub user_id: &'a str,
    pub reason: String,
}

/// An incident's pages (`outbox_of`) and the overrides who-is-on-call reads (`overrides`); named
/// so tests/tests/plans.rs checks their query plans.
pub const OUTBOX_OF: &str = "SELECT o.id, o.incident_id, o.user_id, o.cycle, o.level, o.reason, o.state, o.created_at, u.name AS user_name, o.next_repeat_at
             FROM notification_outbox o LEFT JOIN users u ON u.id = o.user_id
             WHERE o.org_id = ? AND o.incident_id = ? ORDER BY o.created_at, o.rowid";
pub const OVERRIDES_SINCE: &str = "SELECT schedule_id, user_id, starts_at, ends_at FROM schedule_overrides WHERE org_id = ? AND ends_at > ?";

/// What an escalation step needs to know of its organisation: schedules, overrides, people.
pub type EscalationContext = (Vec<ScheduleRow>, Vec<OverrideRow>, Vec<PersonRow>);

/// [`EscalationContext`] from the answers to [`Db::escalation_context_stmts`].
pub fn escalation_context_of(res: &[super::D1Result]) -> ApiResult<EscalationContext> {
    Ok((super::rows(&res[0])?, super::rows(&res[1])?, super::rows(&res[2])?))
}

pub const ESCALATION_SELECT: &str = "SELECT e.incident_id, e.org_id, e.policy, e.round, e.cycle, e.level, e.next_at, i.status, i.number,
       i.title, i.severity, (SELECT name FROM services WHERE id = i.service_id) AS service_name
     FROM incident_escalations e JOIN incidents i ON i.id = e.incident_id";

/// What a step's batch does with the pages it writes ([`Db::record_step`]).
pub enum StepPages<'a> {
    /// Leaves them pending, for the pump.
    Leave,
    /// Reads them back, with their people's preferences and devices ([`Db::pages_by_id`]): the
    /// request that ran the step dispatches them after its response.
    Read,
    /// Dispatches them as planned (one per page, in order: [`Db::dispatch_page_stmts`]), their
    /// deliveries written claimed — at `claimed_at`, leased for `lease_ms` — for the request to
    /// send after its response; reads back, as `Read`, any left pending (an older page to the
    /// same person about the incident was).
    Dispatch { pages: &'a [PageDispatch<'a>], claimed_at: i64, lease_ms: i64 },
}

/// What a step's batch wrote and read of its pages (see [`StepPages`]).
#[derive(Debug, Default)]
pub struct StepWritten {
    /// The pages it dispatched.
    pub dispatched: Vec<String>,
    /// Their deliveries, claimed, with the devices and status read as of the write.
    pub claimed: Claimed,
    /// The pages still pending, read back (with `Read`, or `Dispatch`).
    pub read: PendingPages,
}

/// The timeline row of an acknowledged incident going back to triggered (a reassignment).
pub struct Back<'a> {
    pub timeline_id: &'a str,
    pub actor: &'a str,
    pub message: &'a str,
}

impl Db {
    pub async fn insert_schedule(&self, id: &str, org_id: &str, name: &str, tz: &str, layers: &str, now: i64, audit: &super::Audit) -> ApiResult<()> {
        self.run_audited(
            "INSERT INTO schedules (id, org_id, name, time_zone, layers, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            args![id, org_id, name, tz, layers, now, now],
            audit,
        )
        .await?;
        Ok(())
    }

    pub async fn schedules(&self, org_id: &str) -> ApiResult<Vec<ScheduleRow>> {
        self.all("SELECT id, name, time_zone, layers FROM schedules WHERE org_id = ? ORDER BY name", args![org_id]).await
    }

    /// Everything an escalation step reads about its organisation, in one round trip: the
    /// schedules, their overrides ending after `since`, and every person (id, name, active).
    pub async fn escalation_context(&self, org_id: &str, since: i64) -> ApiResult<EscalationContext> {
        let res = self.batch(self.escalation_context_stmts(org_id, since)?).await?;
        escalation_context_of(&res)
    }

    /// The three reads of [`Db::escalation_context`], for a batch that also does other work.
    pub fn escalation_context_stmts(&self, org_id: &str, since: i64) -> ApiResult<Vec<worker::D1PreparedStatement>> {
        Ok(vec![
            self.stmt("SELECT id, name, time_zone, layers FROM schedules WHERE org_id = ? ORDER BY name", args![org_id])?,
            self.stmt(OVERRIDES_SINCE, args![org_id, since])?,
            self.stmt("SELECT id, name, deactivated_at IS NULL AS active FROM users WHERE org_id = ?", args![org_id])?,
        ])
    }

    /// Overrides of the organisation's schedules that end after `since`.
    pub async fn overrides(&self, org_id: &str, since: i64) -> ApiResult<Vec<OverrideRow>> {
        self.all(OVERRIDES_SINCE, args![org_id, since]).await
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn insert_override(&self, id: &str, org_id: &str, schedule_id: &str, user_id: &str, starts: i64, ends: i64, by: &str, now: i64, audit: &super::Audit) -> ApiResult<()> {
        self.run_audited(
            "INSERT INTO schedule_overrides (id, org_id, schedule_id, user_id, starts_at, ends_at, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            args![id, org_id, schedule_id, user_id, starts, ends, by, now],
            audit,
        )
        .await?;
        Ok(())
    }

    pub async fn insert_policy(&self, id: &str, org_id: &str, name: &str, policy: &str, now: i64, audit: &super::Audit) -> ApiResult<()> {
        self.run_audited(
            "INSERT INTO escalation_policies (id, org_id, name, policy, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
            args![id, org_id, name, policy, now, now],
            audit,
        )
        .await?;
        Ok(())
    }

    pub async fn policies(&self, org_id: &str) -> ApiResult<Vec<PolicyRow>> {
        self.all("SELECT id, name, policy FROM escalation_policies WHERE org_id = ? ORDER BY name", args![org_id]).await
    }

    pub async fn set_service_policy(&self, org_id: &str, service_id: &str, policy_id: Option<&str>, now: i64, audit: &super::Audit) -> ApiResult<bool> {
        super::forget_keys();
        let n = self
            .run_audited(
                "UPDATE services SET escalation_policy_id = ?, updated_at = ? WHERE org_id = ? AND id = ?
                 AND (? IS NULL OR EXISTS (SELECT 1 FROM escalation_policies WHERE id = ? AND org_id = ?))",
                args![policy_id, now, org_id, service_id, policy_id, policy_id, org_id],
                audit,
            )
            .await?;
        Ok(n == 1)
    }

    /// Snapshots the service's policy on a newly opened incident, first step due at once.
    /// Returns false when the service has no policy (or the incident already has one).
    pub async fn start_escalation(&self, incident_id: &str, service_id: &str, now: i64) -> ApiResult<bool> {
        let n = self
            .run(
                "INSERT INTO incident_escalations (incident_id, org_id, policy, cycle, level, next_at, updated_at)
                 SELECT ?, s.org_id, p.policy, 0, 0, ?, ? FROM services s JOIN escalation_policies p ON p.id = s.escalation_policy_id
                 WHERE s.id = ? ON CONFLICT (incident_id) DO NOTHING",
                args![incident_id, now, now, service_id],
            )
            .await?;
        Ok(n == 1)
    }

    /// Triggered incidents of services with a policy that have no escalation state (bounded):
    /// what the cron's sweep starts.
    /// Only incidents opened since `since`: giving an old service a policy must not page its
    /// whole backlog.
    pub async fn incidents_without_escalation(&self, since: i64, limit: i64) -> ApiResult<Vec<(String, String)>> {
        let rows: Vec<serde_json::Value> = self
            .all(
                "SELECT i.id, i.service_id FROM incidents i JOIN services s ON s.id = i.service_id
                 WHERE i.status = 'triggered' AND s.escalation_policy_id IS NOT NULL AND i.created_at > ?
                   AND NOT EXISTS (SELECT 1 FROM incident_escalations e WHERE e.incident_id = i.id) LIMIT ?",
                args![since, limit],
            )
            .await?;
        Ok(rows.iter().filter_map(|r| Some((r["id"].as_str()?.to_string(), r["service_id"].as_str()?.to_string()))).collect())
    }

    pub async fn escalation(&self, incident_id: &str) -> ApiResult<Option<EscalationRow>> {
        self.first(&format!("{ESCALATION_SELECT} WHERE e.incident_id = ?"), args![incident_id]).await
    }

    /// Escalations with a step due at or before `now`, oldest first, bounded.
    pub async fn due_escalations(&self, now: i64, limit: i64) -> ApiResult<Vec<EscalationRow>> {
        self.all(&format!("{ESCALATION_SELECT} WHERE e.next_at IS NOT NULL AND e.next_at <= ? ORDER BY e.next_at LIMIT ?"), args![now, limit]).await
    }

    /// Records a step: moves the escalation from the position it was read at to the next one
    /// (if another runner moved it first, nothing is written), writes the timeline row and the
    /// outbox rows (unique per incident, pass, level and person). `None` when another runner
    /// moved it first; else what the same batch (one transaction) did with the pages as `then`
    /// asks: left pending, read back as [`Db::pages_by_id`] does — with their people's
    /// preferences and devices — so the request that wrote them dispatches them after its
    /// response without a read of its own, or dispatched (see [`StepPages::Dispatch`]).
    #[allow(clippy::too_many_arguments)]
    pub async fn record_step(
        &self,
        e: &EscalationRow,
        next: Option<(i64, i64, i64)>,
        timeline: Option<(&str, &str, &str)>,
        pages: &[NewNotification<'_>],
        then: StepPages<'_>,
        now: i64,
    ) -> ApiResult<Option<StepWritten>> {
        let (cycle, level, next_at) = match next {
            Some((c, l, at)) => (c, l, Some(at)),
            None => (e.cycle, e.level, None),
        };
        let mut stmts = vec![self.stmt(
            "UPDATE incident_escalations SET cycle = ?, level = ?, next_at = ?, updated_at = ?
             WHERE incident_id = ? AND round = ? AND cycle = ? AND level = ? AND next_at IS ?",
            args![cycle, level, next_at, now, &e.incident_id, e.round, e.cycle, e.level, e.next_at],
        )?];
        if let Some((id, actor, message)) = timeline {
            stmts.push(self.stmt(
                "INSERT INTO timeline (id, org_id, incident_id, at, kind, actor, message, seq) SELECT ?, ?, ?, ?, 'incident.escalated', ?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM timeline WHERE incident_id = ?3) WHERE changes() = 1",
                args![id, &e.org_id, &e.incident_id, now, actor, message],
            )?);
        }
        for p in pages {
            // Only if the step was written (a reassignment meanwhile started another round: the
            // old policy's level must not page).
            stmts.push(self.stmt(
                "INSERT INTO notification_outbox (id, org_id, incident_id, user_id, round, cycle, level, reason, state, created_at)
                 SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'pending', ?9
                 WHERE EXISTS (SELECT 1 FROM incident_escalations WHERE incident_id = ?3 AND round = ?5 AND updated_at = ?9)
                 ON CONFLICT DO NOTHING",
                args![&p.id, &e.org_id, &e.incident_id, p.user_id, e.round, e.cycle, e.level, &p.reason, now],
            )?);
        }
        // Each page dispatched right after its insert (so only if it was written), unless an
        // older page to the same person about the incident is still pending.
        let mut dispatches = Vec::new();
        let mut claimed_at = None;
        if let StepPages::Dispatch { pages: planned, claimed_at: at, lease_ms } = then {
            claimed_at = Some(at);
            for d in planned {
                dispatches.push((stmts.len(), d));
                stmts.extend(self.dispatch_page_stmts(d, now, at + lease_ms, true)?);
            }
        }
        // The reads come last: those still pending after the dispatches above.
        let read = !pages.is_empty() && !matches!(then, StepPages::Leave);
        if read {
            let ids = serde_json::to_string(&pages.iter().map(|p| p.id.as_str()).collect::<Vec<_>>())?;
            stmts.extend(self.pages_by_id_reads(&ids)?);
        }
        let res = self.batch(stmts).await?;
        if changes(&res[0]) != 1 {
            return Ok(None);
        }
        let mut out = StepWritten::default();
        for (at, d) in dispatches {
            let x = super::dispatched_from(&res[at..at + d.statements()], d)?;
            if x.written {
                out.dispatched.push(d.page_id.to_string());
            }
            out.claimed.add(&e.incident_id, x);
        }
        if !out.claimed.is_empty() {
            out.claimed.claimed_at = claimed_at;
        }
        if read {
            out.read = super::pending_pages_from(&res)?;
        }
        Ok(Some(out))
    }

    /// "Escalate now": the current step becomes due at once.
    pub async fn escalate_now(&self, org_id: &str, incident_id: &str, now: i64) -> ApiResult<bool> {
        let n = self
            .run(
                "UPDATE incident_escalations SET next_at = ?, updated_at = ? WHERE org_id = ? AND incident_id = ? AND next_at IS NOT NULL",
                args![now, now, org_id, incident_id],
            )
            .await?;
        Ok(n == 1)
    }

    pub async fn outbox_of(&self, org_id: &str, incident_id: &str) -> ApiResult<Vec<OutboxRow>> {
        self.all(OUTBOX_OF, args![org_id, incident_id]).await
    }

    /// People who may be put on call or paged from now on (not deactivated).
    pub async fn active_user_ids(&self, org_id: &str) -> ApiResult<Vec<String>> {
        Ok(self.user_names_where(org_id, "AND deactivated_at IS NULL").await?.into_iter().map(|(id, _)| id).collect())
    }

    pub async fn user_names(&self, org_id: &str) -> ApiResult<Vec<(String, String)>> {
        self.user_names_where(org_id, "").await
    }

    async fn user_names_where(&self, org_id: &str, and: &str) -> ApiResult<Vec<(String, String)>> {
        #[derive(Deserialize)]
        struct R {
            id: String,
            name: String,
        }
        let r: Vec<R> = self.all(&format!("SELECT id, name FROM users WHERE org_id = ? {and}"), args![org_id]).await?;
        Ok(r.into_iter().map(|r| (r.id, r.name)).collect())
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct CalendarFeedRow {
    pub org_id: String,
    pub kind: FeedKind,
    pub subject_id: String,
    #[serde(default)]
    pub created_by: Option<String>,
}

/// A live feed as its list shows it (the subject's and the maker's names read with it).
#[derive(Deserialize, Debug)]
pub struct CalendarFeedListRow {
    pub id: String,
    pub kind: FeedKind,
    pub subject_id: String,
    #[serde(default)]
    pub subject_name: Option<String>,
    pub created_at: i64,
    #[serde(default)]
    pub created_by: Option<String>,
    #[serde(default)]
    pub created_by_name: Option<String>,
}

impl Db {
    #[allow(clippy::too_many_arguments)]
    pub async fn insert_calendar_feed(&self, id: &str, org_id: &str, kind: FeedKind, subject: &str, token_hash: &str, created_by: &str, now: i64, audit: &super::Audit) -> ApiResult<()> {
        self.run_audited(
            "INSERT INTO calendar_feeds (id, org_id, kind, subject_id, token_hash, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?)",
            args![id, org_id, kind.as_str(), subject, token_hash, now, created_by],
            audit,
        )
        .await?;
        Ok(())
    }

    pub async fn calendar_feed(&self, token_hash: &str) -> ApiResult<Option<CalendarFeedRow>> {
        self.first("SELECT org_id, kind, subject_id, created_by FROM calendar_feeds WHERE token_hash = ? AND revoked_at IS NULL", args![token_hash]).await
    }

    /// The organisation's live feeds, newest first; with `only` (a person who is not an admin),
    /// those they made and those of their own shifts.
    pub async fn calendar_feeds(&self, org_id: &str, only: Option<&str>) -> ApiResult<Vec<CalendarFeedListRow>> {
        self.all(
            "SELECT f.id, f.kind, f.subject_id, COALESCE(sc.name, su.name) AS subject_name, f.created_at, f.created_by, mk.name AS created_by_name
             FROM calendar_feeds f
             LEFT JOIN schedules sc ON f.kind = 'schedule' AND sc.id = f.subject_id AND sc.org_id = f.org_id
             LEFT JOIN users su ON f.kind = 'user' AND su.id = f.subject_id AND su.org_id = f.org_id
             LEFT JOIN users mk ON mk.id = f.created_by AND mk.org_id = f.org_id
             WHERE f.org_id = ?1 AND f.revoked_at IS NULL AND (?2 IS NULL OR f.created_by = ?2 OR (f.kind = 'user' AND f.subject_id = ?2))
             ORDER BY f.created_at DESC LIMIT 1000",
            args![org_id, only],
        )
        .await
    }

    /// A live feed by id (for deciding who may revoke it).
    pub async fn calendar_feed_by_id(&self, org_id: &str, id: &str) -> ApiResult<Option<CalendarFeedRow>> {
        self.first("SELECT org_id, kind, subject_id, created_by FROM calendar_feeds WHERE org_id = ? AND id = ? AND revoked_at IS NULL", args![org_id, id]).await
    }

    pub async fn revoke_calendar_feed(&self, org_id: &str, id: &str, now: i64, audit: &super::Audit) -> ApiResult<bool> {
        Ok(self.run_audited("UPDATE calendar_feeds SET revoked_at = ? WHERE org_id = ? AND id = ? AND revoked_at IS NULL", args![now, org_id, id], audit).await? == 1)
    }
}

impl Db {
    /// The earliest due step of any running escalation.
    pub async fn earliest_escalation(&self) -> ApiResult<Option<i64>> {
        Ok(self.first::<serde_json::Value>("SELECT MIN(next_at) AS at FROM incident_escalations WHERE next_at IS NOT NULL", &[]).await?.and_then(|v| v["at"].as_i64()))
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct LapsedAckRow {
    pub incident_id: String,
    pub org_id: String,
    pub acknowledged_at: i64,
    pub timeout: i64,
}

impl Db {
    /// Acknowledged incidents of services with an acknowledgement timeout that has passed.
    pub async fn lapsed_acknowledgements(&self, now: i64, limit: i64) -> ApiResult<Vec<LapsedAckRow>> {
        self.all(
            "SELECT i.id AS incident_id, i.org_id, i.acknowledged_at, s.unack_timeout_minutes AS timeout
             FROM incidents i JOIN services s ON s.id = i.service_id
             WHERE i.status = 'acknowledged' AND s.unack_timeout_minutes IS NOT NULL
               AND i.acknowledged_at + s.unack_timeout_minutes * 60000 <= ? LIMIT ?",
            args![now, limit],
        )
        .await
    }

    /// Puts an acknowledged incident back to triggered (if it still is acknowledged as read) and
    /// starts a new round of its escalation at level 1. Returns whether it happened.
    #[allow(clippy::too_many_arguments)]
    pub async fn unacknowledge(&self, org_id: &str, incident_id: &str, acknowledged_at: Option<i64>, timeline_id: &str, actor: &str, message: &str, now: i64) -> ApiResult<bool> {
        let back = Back { timeline_id, actor, message };
        let mut stmts = self.back_to_triggered(org_id, incident_id, acknowledged_at, &back, now)?;
        stmts.push(self.stmt(
            "UPDATE incident_escalations SET round = round + 1, cycle = 0, level = 0, next_at = ?1, updated_at = ?1
             WHERE incident_id = ?2 AND EXISTS (SELECT 1 FROM incidents WHERE id = ?2 AND status = 'triggered' AND updated_at = ?1)",
            args![now, incident_id],
        )?);
        let res = self.batch(stmts).await?;
        Ok(changes(&res[0]) == 1)
    }

    /// An acknowledged incident back to triggered (if it still is acknowledged as read, or with
    /// `None`, at all), with its timeline row.
    fn back_to_triggered(&self, org_id: &str, incident_id: &str, acknowledged_at: Option<i64>, back: &Back<'_>, now: i64) -> ApiResult<Vec<worker::D1PreparedStatement>> {
        Ok(vec![
            self.stmt(
                "UPDATE incidents SET status = 'triggered', acknowledged_at = NULL, acknowledged_by = NULL, updated_at = ?
                 WHERE org_id = ? AND id = ? AND status = 'acknowledged' AND (? IS NULL OR acknowledged_at = ?)",
                args![now, org_id, incident_id, acknowledged_at, acknowledged_at],
            )?,
            self.stmt(
                "INSERT INTO timeline (id, org_id, incident_id, at, kind, actor, message, seq) SELECT ?, ?, ?, ?, 'incident.unacknowledged', ?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM timeline WHERE incident_id = ?3) WHERE changes() = 1",
                args![back.timeline_id, org_id, incident_id, now, back.actor, back.message],
            )?,
        ])
    }

    /// Replaces an incident's escalation with `policy` (a new round from level 1, due now).
    /// The people paged in earlier rounds are paged again no more (their repeats stop). With
    /// `back`, an acknowledged incident goes back to triggered in the same batch (a reassignment):
    /// it is never left triggered with the old policy's step due, or with none.
    pub async fn restart_escalation(&self, org_id: &str, incident_id: &str, policy: &str, back: Option<&Back<'_>>, now: i64) -> ApiResult<()> {
        let mut stmts = match back {
            Some(b) => self.back_to_triggered(org_id, incident_id, None, b, now)?,
            None => Vec::new(),
        };
        stmts.extend([
            self.stmt(
                "INSERT INTO incident_escalations (incident_id, org_id, policy, round, cycle, level, next_at, updated_at) VALUES (?, ?, ?, 0, 0, 0, ?, ?)
                 ON CONFLICT (incident_id) DO UPDATE SET policy = excluded.policy, round = incident_escalations.round + 1, cycle = 0, level = 0,
                   next_at = excluded.next_at, updated_at = excluded.updated_at",
                args![incident_id, org_id, policy, now, now],
            )?,
            self.earlier_repeats_stop(incident_id)?,
        ]);
        self.batch(stmts).await?;
        Ok(())
    }

    /// Ends the repeat chains of pages from earlier rounds of an incident's escalation: after a
    /// reassignment, those people are no longer the ones expected to answer.
    fn earlier_repeats_stop(&self, incident_id: &str) -> ApiResult<worker::D1PreparedStatement> {
        self.stmt(
            "UPDATE notification_outbox SET next_repeat_at = NULL
             WHERE incident_id = ?1 AND next_repeat_at IS NOT NULL AND round < (SELECT round FROM incident_escalations WHERE incident_id = ?1)",
            args![incident_id],
        )
    }

    pub async fn policy(&self, org_id: &str, id: &str) -> ApiResult<Option<PolicyRow>> {
        self.first("SELECT id, name, policy FROM escalation_policies WHERE org_id = ? AND id = ?", args![org_id, id]).await
    }

    pub async fn update_policy(&self, org_id: &str, id: &str, name: &str, policy: &str, now: i64, audit: &super::Audit) -> ApiResult<bool> {
        Ok(self.run_audited("UPDATE escalation_policies SET name = ?, policy = ?, updated_at = ? WHERE org_id = ? AND id = ?", args![name, policy, now, org_id, id], audit).await? == 1)
    }

    /// Deletes a policy; services using it page nobody until they get another one. Running
    /// escalations keep their snapshot.
    pub async fn delete_policy(&self, org_id: &str, id: &str, now: i64, audit: &super::Audit) -> ApiResult<bool> {
        super::forget_keys();
        let res = self
            .batch_audited(vec![
                self.stmt("UPDATE services SET escalation_policy_id = NULL, updated_at = ? WHERE org_id = ? AND escalation_policy_id = ?", args![now, org_id, id])?,
                self.stmt("DELETE FROM escalation_policies WHERE org_id = ? AND id = ?", args![org_id, id])?,
            ], audit)
            .await?;
        Ok(changes(&res[1]) == 1)
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn update_schedule(&self, org_id: &str, id: &str, name: &str, tz: &str, layers: &str, now: i64, audit: &super::Audit) -> ApiResult<bool> {
        Ok(self
            .run_audited("UPDATE schedules SET name = ?, time_zone = ?, layers = ?, updated_at = ? WHERE org_id = ? AND id = ?", args![name, tz, layers, now, org_id, id], audit)
            .await?
            == 1)
    }

    /// Deletes a schedule and its overrides and feeds. Policies naming it find nobody there
    /// (their steps fall through to the next level, flagged).
    pub async fn delete_schedule(&self, org_id: &str, id: &str, audit: &super::Audit) -> ApiResult<bool> {
        let res = self
            .batch_audited(vec![
                self.stmt("DELETE FROM schedule_overrides WHERE org_id = ? AND schedule_id = ?", args![org_id, id])?,
                self.stmt("DELETE FROM calendar_feeds WHERE org_id = ? AND kind = 'schedule' AND subject_id = ?", args![org_id, id])?,
                self.stmt("DELETE FROM schedules WHERE org_id = ? AND id = ?", args![org_id, id])?,
            ], audit)
            .await?;
        Ok(changes(&res[2]) == 1)
    }

    pub async fn delete_override(&self, org_id: &str, schedule_id: &str, id: &str, user_id: Option<&str>, audit: &super::Audit) -> ApiResult<bool> {
        Ok(self
            .run_audited(
                "DELETE FROM schedule_overrides WHERE org_id = ? AND schedule_id = ? AND id = ? AND (? IS NULL OR user_id = ?)",
                args![org_id, schedule_id, id, user_id, user_id],
                audit,
            )
            .await?
            == 1)
    }

    /// Pages one person now for an incident (reassignment), in a new round of its escalation
    /// whose policy is that person alone (`policy`, see `escalation::Policy::assignee`) and that
    /// does nothing further: a lapsed acknowledgement restarts it and pages them again, not the
    /// old policy's level 1. Earlier rounds' repeats stop. With `back`, an acknowledged incident
    /// goes back to triggered in the same batch.
    #[allow(clippy::too_many_arguments)]
    pub async fn reassign_to_user(&self, org_id: &str, incident_id: &str, user_id: &str, policy: &str, outbox_id: &str, reason: &str, back: Option<&Back<'_>>, timeline_id: &str, actor: &str, message: &str, now: i64) -> ApiResult<()> {
        let mut stmts = match back {
            Some(b) => self.back_to_triggered(org_id, incident_id, None, b, now)?,
            None => Vec::new(),
        };
        stmts.extend([
            self.stmt(
                "INSERT INTO incident_escalations (incident_id, org_id, policy, round, cycle, level, next_at, updated_at)
                 VALUES (?, ?, ?, 0, 0, 0, NULL, ?)
                 ON CONFLICT (incident_id) DO UPDATE SET policy = excluded.policy, round = incident_escalations.round + 1, cycle = 0, level = 0, next_at = NULL,
                   updated_at = excluded.updated_at",
                args![incident_id, org_id, policy, now],
            )?,
            self.earlier_repeats_stop(incident_id)?,
            self.stmt(
                "INSERT INTO notification_outbox (id, org_id, incident_id, user_id, round, cycle, level, reason, state, created_at)
                 SELECT ?, ?, ?, ?, round, 0, 0, ?, 'pending', ? FROM incident_escalations WHERE incident_id = ? ON CONFLICT DO NOTHING",
                args![outbox_id, org_id, incident_id, user_id, reason, now, incident_id],
            )?,
            self.stmt(
                "INSERT INTO timeline (id, org_id, incident_id, at, kind, actor, message, seq) VALUES (?, ?, ?, ?, 'incident.reassigned', ?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM timeline WHERE incident_id = ?3))",
                args![timeline_id, org_id, incident_id, now, actor, message],
            )?,
        ]);
        self.batch(stmts).await?;
        Ok(())
    }
}
