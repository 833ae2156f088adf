//! Paging and outbound webhooks: the outbox of decided pages, dispatching pages and events into
//! deliveries, and the delivery log (one row per message to send, one per attempt). Whom and
//! where to page is in `contacts`.

use serde::Deserialize;
use worker::D1PreparedStatement;

use super::contacts::SUBSCRIPTION_COLS;
use super::{args, rows, Db, DestinationRow, PreferencesRow, SubscriptionRow};
use crate::error::ApiResult;

/// Someone's contact preferences with whose they are.
#[derive(Debug, Clone, Deserialize)]
struct PersonPreferencesRow {
    user_id: String,
    #[serde(flatten)]
    preferences: PreferencesRow,
}

/// What a page's dispatch wrote and read: the deliveries it wrote, claimed (empty when another
/// dispatcher was first), and, as of the write, its incident's status and its person's devices.
#[derive(Default)]
pub struct Dispatched {
    /// Whether the page's state was written by this batch (it was still pending).
    pub written: bool,
    pub deliveries: Vec<DeliveryRow>,
    pub status: Option<String>,
    pub devices: Vec<SubscriptionRow>,
}

/// One page's dispatch as decided (`deliver::plan_page`): the state it moves to, when it next
/// repeats, and the deliveries it makes.
pub struct PageDispatch<'a> {
    pub page_id: &'a str,
    /// `dispatched`, `skipped` or `expired`.
    pub state: &'static str,
    pub next_repeat_at: Option<i64>,
    pub deliveries: Vec<NewDelivery<'a>>,
}

impl PageDispatch<'_> {
    /// How many statements [`Db::dispatch_page_stmts`] makes of it.
    pub fn statements(&self) -> usize {
        2 + self.deliveries.len() + if self.deliveries.is_empty() { 0 } else { 2 }
    }
}

/// What [`Db::dispatch_page_stmts`] of `d` did, from their results (`res`: exactly those).
pub fn dispatched_from(res: &[super::D1Result], d: &PageDispatch<'_>) -> ApiResult<Dispatched> {
    let n = d.deliveries.len();
    let mut out = Dispatched { written: super::changes(&res[1]) == 1, ..Dispatched::default() };
    for r in &res[2..2 + n] {
        out.deliveries.extend(super::rows::<DeliveryRow>(r)?);
    }
    if n > 0 {
        out.status = super::rows::<serde_json::Value>(&res[2 + n])?.first().and_then(|r| r["status"].as_str().map(str::to_string));
        out.devices = super::rows(&res[3 + n])?;
    }
    Ok(out)
}

/// Deliveries written claimed by dispatches, with the devices (by id) and incident statuses
/// their batches read as of the write: what the dispatcher sends at once.
#[derive(Debug, Clone, Default)]
pub struct Claimed {
    pub deliveries: Vec<DeliveryRow>,
    pub devices: std::collections::HashMap<String, SubscriptionRow>,
    pub statuses: std::collections::HashMap<String, String>,
    /// When the earliest of them was claimed, when a request claimed them before its response
    /// (its lease runs from then: see `deliver::pages_now`).
    pub claimed_at: Option<i64>,
}

impl Claimed {
    pub fn add(&mut self, incident_id: &str, d: Dispatched) {
        if d.deliveries.is_empty() {
            return;
        }
        self.deliveries.extend(d.deliveries);
        self.devices.extend(d.devices.into_iter().map(|s| (s.id.clone(), s)));
        if let Some(status) = d.status {
            self.statuses.insert(incident_id.to_string(), status);
        }
    }

    pub fn extend(&mut self, other: Claimed) {
        self.claimed_at = match (self.claimed_at, other.claimed_at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.deliveries.extend(other.deliveries);
        self.devices.extend(other.devices);
        self.statuses.extend(other.statuses);
    }

    pub fn is_empty(&self) -> bool {
        self.deliveries.is_empty()
    }
}

/// The contact preferences and push devices of the people an escalation may page, read by the
/// batch that opens an incident (see [`Db::contacts_stmts`]), so that its first step can
/// dispatch its pages in the batch that writes them.
#[derive(Debug, Clone, Default)]
pub struct Contacts {
    /// Whose contacts were read (a person not here is dispatched after the response, as before).
    pub people: std::collections::HashSet<String>,
    pub preferences: std::collections::HashMap<String, PreferencesRow>,
    /// Oldest first.
    pub devices: Vec<SubscriptionRow>,
}

/// A person's preferences, if they chose any, beside whose they are.
#[derive(Debug, Deserialize)]
struct MaybePreferencesRow {
    user_id: String,
    push: Option<i64>,
    webhook_kind: Option<String>,
    webhook_url: Option<String>,
    webhook_secret: Option<String>,
    repeat_minutes: Option<i64>,
    repeat_severity: Option<String>,
}

/// [`Contacts`] from the results of [`Db::contacts_stmts`] (the last two of a batch).
pub fn contacts_from(res: &[super::D1Result]) -> ApiResult<Contacts> {
    let [people, devices] = &res[res.len().saturating_sub(2)..] else {
        return Err(crate::error::ApiError::Internal("the contact reads' results are missing".into()));
    };
    let mut out = Contacts { devices: rows(devices)?, ..Contacts::default() };
    for p in rows::<MaybePreferencesRow>(people)? {
        if let (Some(push), Some(repeat_severity)) = (p.push, p.repeat_severity) {
            let prefs = PreferencesRow { push, webhook_kind: p.webhook_kind, webhook_url: p.webhook_url, webhook_secret: p.webhook_secret, repeat_minutes: p.repeat_minutes, repeat_severity };
            out.preferences.insert(p.user_id.clone(), prefs);
        }
        out.people.insert(p.user_id);
    }
    Ok(out)
}

/// The people of an organisation (`?1`) whom the escalation of incident `?2` may page: active,
/// and named (a JSON string) in its policy, in a layer of one of the organisation's schedules,
/// or in an override ending after `?3` — a superset of whom a step can page. Each document is
/// walked once (`json_tree`, linear in the schedules' size, which the step reads anyway), each
/// name looked up by key; a document that is not JSON names nobody rather than failing the batch.
pub const MAY_BE_PAGED: &str = "WITH named AS (
         SELECT j.value AS id FROM schedules s, json_tree(CASE WHEN json_valid(s.layers) THEN s.layers ELSE '[]' END) j WHERE s.org_id = ?1 AND j.type = 'text'
         UNION SELECT j.value FROM json_tree((SELECT CASE WHEN json_valid(policy) THEN policy ELSE '[]' END FROM incident_escalations WHERE incident_id = ?2)) j WHERE j.type = 'text'
         UNION SELECT user_id FROM schedule_overrides WHERE org_id = ?1 AND ends_at > ?3),
       c AS (SELECT u.id FROM users u WHERE u.id IN (SELECT id FROM named) AND u.org_id = ?1 AND u.deactivated_at IS NULL)";

/// Pending pages and, for the people they page, their preferences (by person; absent: never
/// chosen) and push devices (oldest first).
#[derive(Debug, Clone, Default)]
pub struct PendingPages {
    pub pages: Vec<OutboxPageRow>,
    pub preferences: std::collections::HashMap<String, PreferencesRow>,
    pub devices: Vec<SubscriptionRow>,
}

/// [`PendingPages`] from the results of the three page reads (the last three of a batch).
pub fn pending_pages_from(res: &[super::D1Result]) -> ApiResult<PendingPages> {
    let [pages, prefs, devices] = &res[res.len().saturating_sub(3)..] else {
        return Err(crate::error::ApiError::Internal("the page reads' results are missing".into()));
    };
    let prefs: Vec<PersonPreferencesRow> = rows(prefs)?;
    Ok(PendingPages { pages: rows(pages)?, preferences: prefs.into_iter().map(|p| (p.user_id, p.preferences)).collect(), devices: rows(devices)? })
}

/// A delivery as the sender claims it.
#[derive(Debug, Clone, Deserialize)]
pub struct DeliveryRow {
    pub id: String,
    pub org_id: String,
    pub channel: String,
    pub target_id: String,
    /// Whose page it is (push, personal webhook).
    pub user_id: Option<String>,
    pub incident_id: Option<String>,
    pub event: String,
    pub payload: String,
    pub state: String,
    pub attempts: i64,
    pub created_at: i64,
    pub next_attempt_at: Option<i64>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct PageDeliveryRow {
    /// `outbox:<id>` or `repeat:<id>:<n>`.
    pub source: String,
    pub channel: String,
    pub state: String,
    pub created_at: i64,
    pub device: Option<String>,
    pub status: Option<i64>,
    pub last_at: Option<i64>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct AttemptRow {
    pub delivery_id: String,
    pub at: i64,
    pub status: Option<i64>,
    pub outcome: String,
    pub duration_ms: i64,
}

/// An outbox entry (a decided page) with what the message needs.
#[derive(Debug, Clone, Deserialize)]
pub struct OutboxPageRow {
    pub id: String,
    pub org_id: String,
    pub incident_id: String,
    pub user_id: String,
    pub reason: String,
    pub created_at: i64,
    pub repeats: i64,
    pub next_repeat_at: Option<i64>,
    pub number: i64,
    pub title: String,
    pub status: String,
    pub severity: String,
    pub service_name: Option<String>,
}

/// A timeline row or public update not yet dispatched to webhooks, with its incident.
#[derive(Debug, Clone, Deserialize)]
pub struct EventSourceRow {
    pub id: String,
    pub org_id: String,
    pub kind: String,
    pub at: i64,
    pub actor: Option<String>,
    pub message: String,
    pub incident_id: Option<String>,
    pub number: Option<i64>,
    pub title: Option<String>,
    pub status: Option<String>,
    pub severity: Option<String>,
    pub service_id: Option<String>,
    pub service_name: Option<String>,
}

/// Which kinds of delivery work wait (each flag 0 or 1).
#[derive(Debug, Clone, Copy, Default, Deserialize)]
pub struct DeliveryWork {
    pub pages: i64,
    pub repeats: i64,
    pub events: i64,
    pub sends: i64,
    /// Whether any organisation has an enabled webhook destination at all.
    pub destinations: i64,
}

impl DeliveryWork {
    pub fn any(&self) -> bool {
        self.pages + self.repeats + self.events + self.sends > 0
    }
}

/// One message to queue.
pub struct NewDelivery<'a> {
    pub id: String,
    pub org_id: &'a str,
    pub channel: &'a str,
    pub target_id: String,
    pub user_id: Option<&'a str>,
    pub incident_id: Option<&'a str>,
    pub source: String,
    pub event: &'a str,
    pub payload: String,
}

const DELIVERY_COLS: &str = "id, org_id, channel, target_id, user_id, incident_id, event, payload, state, attempts, created_at, next_attempt_at";

/// The people the oldest pending pages are for (as [`Db::pending_pages`] selects the pages).
pub const PENDING_PAGE_PEOPLE: &str = "SELECT o.user_id FROM notification_outbox o WHERE o.state = 'pending' ORDER BY o.created_at, o.id LIMIT ?1";
/// The pages of [`Db::pages_by_id`]: those listed (a JSON array) and every other page to the same
/// person about the same incident, still pending — one person's pages about one incident are
/// dispatched in the order they were made, whoever dispatches them (an older page dispatched
/// after a newer one would take over its repeating). Found through the listed pages' ids and
/// the incident index (`+` keeps SQLite from walking every pending page of a storm by the state
/// index instead).
pub const PAGES_CHOSEN_BY_ID: &str = "(o.org_id, o.incident_id, o.user_id) IN
     (SELECT org_id, incident_id, user_id FROM notification_outbox WHERE id IN (SELECT value FROM json_each(?1)))
   AND +o.state = 'pending'";

const PAGE_SELECT: &str = "SELECT o.id, o.org_id, o.incident_id, o.user_id, o.reason, o.created_at, o.repeats, o.next_repeat_at,
       i.number, i.title, i.status, i.severity, s.name AS service_name
     FROM notification_outbox o JOIN incidents i ON i.id = o.incident_id LEFT JOIN services s ON s.id = i.service_id";

impl Db {
    // ---- dispatching: outboxes → deliveries ----

    fn delivery_insert(&self, d: &NewDelivery<'_>, now: i64) -> ApiResult<D1PreparedStatement> {
        self.stmt(
            "INSERT OR IGNORE INTO outbound_deliveries (id, org_id, channel, target_id, user_id, incident_id, source, event, payload, state, attempts, next_attempt_at, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?)",
            args![&d.id, d.org_id, d.channel, &d.target_id, d.user_id, d.incident_id, &d.source, d.event, &d.payload, now, now],
        )
    }

    pub async fn queue_deliveries(&self, ds: &[NewDelivery<'_>], now: i64) -> ApiResult<()> {
        if ds.is_empty() {
            return Ok(());
        }
        let stmts = ds.iter().map(|d| self.delivery_insert(d, now)).collect::<ApiResult<Vec<_>>>()?;
        self.batch(stmts).await?;
        Ok(())
    }

    /// What waits: decided pages, due repeats, undispatched events, due deliveries.
    pub async fn delivery_work(&self, now: i64) -> ApiResult<DeliveryWork> {
        Ok(self
            .first(
                "SELECT EXISTS (SELECT 1 FROM notification_outbox WHERE state = 'pending') AS pages,
                        EXISTS (SELECT 1 FROM notification_outbox WHERE next_repeat_at <= ?1) AS repeats,
                        EXISTS (SELECT 1 FROM timeline WHERE dispatched = 0) OR EXISTS (SELECT 1 FROM public_updates WHERE dispatched = 0) AS events,
                        EXISTS (SELECT 1 FROM outbound_deliveries WHERE state = 'pending' AND next_attempt_at <= ?1
                                AND (lease_until IS NULL OR lease_until < ?1)) AS sends,
                        EXISTS (SELECT 1 FROM webhook_destinations WHERE enabled = 1 AND deleted_at IS NULL) AS destinations",
                args![now],
            )
            .await?
            .unwrap_or_default())
    }

    /// The oldest pending pages (at most `limit`) with what dispatching them needs of their
    /// people — contact preferences and push devices — in one round trip: one batch, so one
    /// transaction, and the three reads select the same pages.
    pub async fn pending_pages(&self, limit: i64) -> ApiResult<PendingPages> {
        // The same order as PENDING_PAGE_PEOPLE, ties broken alike: the same pages.
        self.pages_with_people("WHERE o.state = 'pending' ORDER BY o.created_at, o.id LIMIT ?1", PENDING_PAGE_PEOPLE, args![limit]).await
    }

    /// These pages (by id), with any other page to the same person about the same incident, if
    /// still pending, in the order they were made, with their people's preferences and devices:
    /// what one request queued (`deliver::pages_now`), when the step that queued them did not
    /// read them in its own batch ([`Db::record_step`]).
    pub async fn pages_by_id(&self, ids: &[String]) -> ApiResult<PendingPages> {
        let res = self.batch(self.pages_by_id_reads(&serde_json::to_string(ids)?)?).await?;
        pending_pages_from(&res)
    }

    /// The three reads of [`Db::pages_by_id`] (`ids`: a JSON array), for a batch that also
    /// writes those pages; [`pending_pages_from`] turns their results into [`PendingPages`].
    pub fn pages_by_id_reads(&self, ids: &str) -> ApiResult<Vec<D1PreparedStatement>> {
        let people = format!("SELECT o.user_id FROM notification_outbox o WHERE {PAGES_CHOSEN_BY_ID}");
        self.page_reads(&format!("WHERE {PAGES_CHOSEN_BY_ID} ORDER BY o.created_at, o.id"), &people, args![ids])
    }

    /// Pages chosen by `pages_where` (after the join) with the preferences and devices of the
    /// people `people` selects, in one batch (one transaction: the three reads agree). Both
    /// take the same arguments.
    async fn pages_with_people(&self, pages_where: &str, people: &str, a: &[super::Arg<'_>]) -> ApiResult<PendingPages> {
        pending_pages_from(&self.batch(self.page_reads(pages_where, people, a)?).await?)
    }

    fn page_reads(&self, pages_where: &str, people: &str, a: &[super::Arg<'_>]) -> ApiResult<Vec<D1PreparedStatement>> {
        Ok(vec![
            self.stmt(&format!("{PAGE_SELECT} {pages_where}"), a)?,
            self.stmt(
                &format!(
                    "SELECT user_id, push, webhook_kind, webhook_url, webhook_secret, repeat_minutes, repeat_severity FROM contact_preferences
                     WHERE user_id IN (SELECT user_id FROM ({people}))"
                ),
                a,
            )?,
            self.stmt(&format!("SELECT {SUBSCRIPTION_COLS} FROM push_subscriptions WHERE user_id IN (SELECT user_id FROM ({people})) ORDER BY created_at"), a)?,
        ])
    }

    /// The two reads of [`Contacts`] for the escalation of `incident_id` in `org_id`: the people
    /// it may page with their preferences, and their push devices. `since`: overrides that
    /// ended before it are not counted. For the batch that opens the incident.
    pub fn contacts_stmts(&self, org_id: &str, incident_id: &str, since: i64) -> ApiResult<Vec<D1PreparedStatement>> {
        Ok(vec![
            self.stmt(
                &format!(
                    "{MAY_BE_PAGED} SELECT c.id AS user_id, p.push, p.webhook_kind, p.webhook_url, p.webhook_secret, p.repeat_minutes, p.repeat_severity
                     FROM c LEFT JOIN contact_preferences p ON p.user_id = c.id"
                ),
                args![org_id, incident_id, since],
            )?,
            self.stmt(
                &format!("{MAY_BE_PAGED} SELECT {SUBSCRIPTION_COLS} FROM push_subscriptions WHERE user_id IN (SELECT id FROM c) ORDER BY created_at"),
                args![org_id, incident_id, since],
            )?,
        ])
    }

    pub async fn due_repeats(&self, now: i64, limit: i64) -> ApiResult<Vec<OutboxPageRow>> {
        self.all(&format!("{PAGE_SELECT} WHERE o.next_repeat_at <= ? ORDER BY o.next_repeat_at LIMIT ?"), args![now, limit]).await
    }

    /// Marks a page handled (`dispatched`, `skipped`, `expired`) with its deliveries, in one
    /// batch guarded on the page still being pending: two dispatchers cannot both queue it.
    /// The deliveries are written claimed by this dispatcher (leased until `now + lease_ms`,
    /// as [`Db::claim_deliveries`] would) and returned — only those this batch wrote, none when
    /// another dispatcher was first — so that it sends them at once, without a round trip to
    /// claim them; one it fails to send is taken up by any runner once the lease has passed.
    /// With deliveries, the same batch reads the incident's status and the person's devices as
    /// of the write, for the sends.
    pub async fn dispatch_page(&self, d: &PageDispatch<'_>, now: i64, lease_ms: i64) -> ApiResult<Dispatched> {
        let res = self.batch(self.dispatch_page_stmts(d, now, now + lease_ms, false)?).await?;
        dispatched_from(&res, d)
    }

    /// The statements of [`Db::dispatch_page`] (the deliveries leased until `lease_until`), for
    /// a batch that may do more. `alone`: only if
    /// no other page to the same person about the same incident is pending (a batch that writes
    /// a page and dispatches it at once leaves it pending behind an older one, which must go
    /// first: see [`PAGES_CHOSEN_BY_ID`]). [`dispatched_from`] reads their results.
    pub fn dispatch_page_stmts(&self, d: &PageDispatch<'_>, now: i64, lease_until: i64, alone: bool) -> ApiResult<Vec<D1PreparedStatement>> {
        let page_id = d.page_id;
        let alone = if alone {
            " AND NOT EXISTS (SELECT 1 FROM notification_outbox p WHERE p.org_id = notification_outbox.org_id AND p.incident_id = notification_outbox.incident_id
                AND p.user_id = notification_outbox.user_id AND p.state = 'pending' AND p.id != notification_outbox.id)"
        } else {
            ""
        };
        let mut stmts = vec![
            // A newer page to the same person about the same incident takes over repeating: one
            // repeat chain per person and incident, however many levels or passes paged them.
            self.stmt(
                &format!(
                    "UPDATE notification_outbox SET next_repeat_at = NULL
                     WHERE id != ?1 AND next_repeat_at IS NOT NULL
                       AND (incident_id, user_id) = (SELECT incident_id, user_id FROM notification_outbox WHERE id = ?1 AND state = 'pending'{alone})
                       AND round <= (SELECT round FROM notification_outbox WHERE id = ?1)"
                ),
                args![page_id],
            )?,
            // A page of an earlier round (still pending when the incident was reassigned) is sent
            // once, but does not repeat: its person is no longer the one expected to answer.
            self.stmt(
                &format!(
                    "UPDATE notification_outbox SET state = ?,
                       next_repeat_at = CASE WHEN round >= COALESCE((SELECT e.round FROM incident_escalations e WHERE e.incident_id = notification_outbox.incident_id), round) THEN ? END
                     WHERE id = ? AND state = 'pending'{alone}"
                ),
                args![d.state, d.next_repeat_at, page_id],
            )?,
        ];
        for x in &d.deliveries {
            stmts.push(self.stmt(
                &format!(
                    "INSERT OR IGNORE INTO outbound_deliveries (id, org_id, channel, target_id, user_id, incident_id, source, event, payload, state, attempts, next_attempt_at, created_at, lease_until)
                     SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?, ? WHERE EXISTS (SELECT 1 FROM notification_outbox WHERE id = ? AND state = ?)
                     RETURNING {DELIVERY_COLS}"
                ),
                args![&x.id, x.org_id, x.channel, &x.target_id, x.user_id, x.incident_id, &x.source, x.event, &x.payload, now, now, lease_until, page_id, d.state],
            )?);
        }
        if !d.deliveries.is_empty() {
            stmts.push(self.stmt("SELECT status FROM incidents WHERE id = (SELECT incident_id FROM notification_outbox WHERE id = ?)", args![page_id])?);
            stmts.push(self.stmt(&format!("SELECT {SUBSCRIPTION_COLS} FROM push_subscriptions WHERE user_id = (SELECT user_id FROM notification_outbox WHERE id = ?)"), args![page_id])?);
        }
        Ok(stmts)
    }

    /// Records a repeat (or that repeating stopped) with its deliveries, guarded on the repeat
    /// still being due as read.
    pub async fn record_repeat(&self, page_id: &str, was_due: i64, repeats: i64, next_repeat_at: Option<i64>, ds: &[NewDelivery<'_>], now: i64) -> ApiResult<()> {
        let mut stmts = vec![self.stmt(
            "UPDATE notification_outbox SET repeats = ?, next_repeat_at = ? WHERE id = ? AND next_repeat_at = ?",
            args![repeats, next_repeat_at, page_id, was_due],
        )?];
        for d in ds {
            stmts.push(self.delivery_insert(d, now)?);
        }
        // Inserts are idempotent by (source, channel, target): a replay writes nothing twice.
        self.batch(stmts).await?;
        Ok(())
    }

    pub async fn undispatched_events(&self, limit: i64) -> ApiResult<Vec<EventSourceRow>> {
        self.all(
            "SELECT * FROM (
               SELECT t.id, t.org_id, t.kind, t.at, t.actor, t.message, t.incident_id, i.number, i.title, i.status, i.severity,
                      i.service_id, s.name AS service_name
               FROM timeline t JOIN incidents i ON i.id = t.incident_id LEFT JOIN services s ON s.id = i.service_id
               WHERE t.dispatched = 0
               UNION ALL
               SELECT u.id, u.org_id, 'public_update' AS kind, u.created_at AS at, NULL AS actor, u.body AS message, u.parent_id AS incident_id,
                      NULL AS number, COALESCE(p.name, m.name) AS title, u.status, NULL AS severity, NULL AS service_id, NULL AS service_name
               FROM public_updates u LEFT JOIN public_incidents p ON p.id = u.parent_id LEFT JOIN maintenances m ON m.id = u.parent_id
               WHERE u.dispatched = 0
             ) ORDER BY at LIMIT ?",
            args![limit],
        )
        .await
    }

    /// Marks events dispatched together with the deliveries they produced.
    pub async fn dispatch_events(&self, timeline_ids: &[&str], update_ids: &[&str], ds: &[NewDelivery<'_>], now: i64) -> ApiResult<()> {
        let mut stmts = Vec::new();
        for d in ds {
            stmts.push(self.delivery_insert(d, now)?);
        }
        if !timeline_ids.is_empty() {
            stmts.push(self.stmt_in("UPDATE timeline SET dispatched = 1 WHERE id IN ({in})", timeline_ids)?);
        }
        if !update_ids.is_empty() {
            stmts.push(self.stmt_in("UPDATE public_updates SET dispatched = 1 WHERE id IN ({in})", update_ids)?);
        }
        if !stmts.is_empty() {
            self.batch(stmts).await?;
        }
        Ok(())
    }

    /// With no destination anywhere, events have nobody to go to: mark them all at once.
    /// Returns (organisation, incident, kind) of each timeline row marked (each row is marked
    /// once, by one isolate).
    pub async fn dispatch_all_events_to_nobody(&self) -> ApiResult<Vec<(String, String, String)>> {
        let res = self
            .batch(vec![
                self.stmt("UPDATE timeline SET dispatched = 1 WHERE dispatched = 0 RETURNING org_id, incident_id, kind", &[])?,
                self.stmt("UPDATE public_updates SET dispatched = 1 WHERE dispatched = 0", &[])?,
            ])
            .await?;
        let text = |r: &serde_json::Value, k: &str| r[k].as_str().map(str::to_string);
        Ok(super::rows::<serde_json::Value>(&res[0])?.iter().filter_map(|r| Some((text(r, "org_id")?, text(r, "incident_id")?, text(r, "kind")?))).collect())
    }

    pub async fn destinations_of_orgs(&self, org_ids: &[&str]) -> ApiResult<Vec<DestinationRow>> {
        self.all_in(
            "SELECT id, org_id, name, kind, url, secret, events, service_ids, enabled, created_at FROM webhook_destinations
             WHERE org_id IN ({in}) AND deleted_at IS NULL AND enabled = 1",
            org_ids,
        )
        .await
    }

    // ---- sending ----

    /// Claims up to `limit` due deliveries for `lease_ms` (other runners skip them meanwhile).
    pub async fn claim_deliveries(&self, now: i64, lease_ms: i64, limit: i64) -> ApiResult<Vec<DeliveryRow>> {
        self.all(
            &format!(
                "UPDATE outbound_deliveries SET lease_until = ?1 + ?2
                 WHERE id IN (SELECT id FROM outbound_deliveries WHERE state = 'pending' AND next_attempt_at <= ?1
                              AND (lease_until IS NULL OR lease_until < ?1) ORDER BY next_attempt_at LIMIT ?3)
                 RETURNING {DELIVERY_COLS}"
            ),
            args![now, lease_ms, limit],
        )
        .await
    }

    pub async fn subscriptions_by_id(&self, ids: &[&str]) -> ApiResult<Vec<SubscriptionRow>> {
        self.all_in(
            &format!("SELECT {SUBSCRIPTION_COLS} FROM push_subscriptions WHERE id IN ({{in}})"),
            ids,
        )
        .await
    }

    /// Writes one attempt's result: the attempt row, the delivery's new state, and what it
    /// means for a push subscription (success noted, failure described, gone → removed).
    #[allow(clippy::too_many_arguments)]
    pub async fn record_attempt(
        &self,
        d: &DeliveryRow,
        attempt_id: &str,
        status: Option<u16>,
        outcome: &str,
        duration_ms: i64,
        state: &str,
        next_attempt_at: Option<i64>,
        now: i64,
    ) -> ApiResult<()> {
        let attempt = d.attempts + 1;
        let mut stmts = vec![
            self.stmt(
                "INSERT INTO delivery_attempts (id, delivery_id, org_id, attempt, at, status, outcome, duration_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                args![attempt_id, &d.id, &d.org_id, attempt, now, status.map(i64::from), outcome, duration_ms],
            )?,
            self.stmt(
                "UPDATE outbound_deliveries SET attempts = ?, state = ?, next_attempt_at = ?, lease_until = NULL WHERE id = ?",
                args![attempt, state, next_attempt_at, &d.id],
            )?,
        ];
        // A page's final outcome goes on its incident's record (once: the row's id is the
        // delivery's, so a second runner recording the same delivery adds nothing). Written
        // before the device row may be removed, so the device's name can still be read.
        if let (Some(incident), Some(user)) = (&d.incident_id, &d.user_id) {
            const DEVICE: &str = "\u{1}";
            let device = (d.channel == "push").then_some(DEVICE);
            if let Some((kind, text)) = tocsin_domain::notification::page_outcome(&d.event, &d.channel, state, device, outcome) {
                // The person's name and the device's are read by the statement itself.
                let (before, after) = text.split_once(DEVICE).map(|(a, b)| (a.to_string(), b.to_string())).unwrap_or((text.clone(), String::new()));
                let device_name = if device.is_some() { "COALESCE((SELECT device FROM push_subscriptions WHERE id = ?), 'a device')" } else { "substr(?, 1, 0)" };
                let row_id = format!("delivery:{}", d.id);
                let system = serde_json::to_string(&tocsin_domain::api::Actor { kind: tocsin_domain::api::ActorKind::System, id: None, name: "Tocsin".into() })?;
                stmts.push(self.stmt(
                    &format!(
                        "INSERT OR IGNORE INTO timeline (id, org_id, incident_id, at, kind, actor, message, seq)
                         SELECT ?, ?, ?, ?, ?, ?, COALESCE((SELECT name FROM users WHERE id = ?), 'Someone') || ? || {device_name} || ?,
                                (SELECT COALESCE(MAX(seq), 0) + 1 FROM timeline WHERE incident_id = ?3)
                         WHERE EXISTS (SELECT 1 FROM incidents WHERE id = ?3 AND org_id = ?2)"
                    ),
                    args![&row_id, &d.org_id, incident, now, kind, &system, user, &before, &d.target_id, &after],
                )?);
            }
        }
        if d.channel == "push" {
            stmts.push(match state {
                "sent" => self.stmt("UPDATE push_subscriptions SET last_success_at = ?, last_failure = NULL WHERE id = ?", args![now, &d.target_id])?,
                "gone" => self.stmt("DELETE FROM push_subscriptions WHERE id = ?", args![&d.target_id])?,
                _ => self.stmt("UPDATE push_subscriptions SET last_failure = ? WHERE id = ?", args![outcome, &d.target_id])?,
            });
            if state == "gone" {
                // Nothing else can reach a removed device.
                stmts.push(self.stmt(
                    "UPDATE outbound_deliveries SET state = 'gone', lease_until = NULL WHERE target_id = ? AND channel = 'push' AND state = 'pending'",
                    args![&d.target_id],
                )?);
            }
        }
        self.batch(stmts).await?;
        Ok(())
    }

    /// A claimed delivery that is not sent (its incident was acknowledged, its target is gone,
    /// it could not be prepared): the reason goes in its log as an attempt without an answer.
    pub async fn not_sent(&self, d: &DeliveryRow, attempt_id: &str, state: &str, reason: &str, now: i64) -> ApiResult<()> {
        self.batch(vec![
            self.stmt(
                "INSERT INTO delivery_attempts (id, delivery_id, org_id, attempt, at, status, outcome, duration_ms) VALUES (?, ?, ?, ?, ?, NULL, ?, 0)",
                args![attempt_id, &d.id, &d.org_id, d.attempts + 1, now, reason],
            )?,
            self.stmt("UPDATE outbound_deliveries SET state = ?, lease_until = NULL, next_attempt_at = NULL WHERE id = ?", args![state, &d.id])?,
        ])
        .await?;
        Ok(())
    }

    /// `(id, status)` of incidents.
    pub async fn incident_statuses(&self, ids: &[&str]) -> ApiResult<Vec<(String, String)>> {
        #[derive(Deserialize)]
        struct Row {
            id: String,
            status: String,
        }
        Ok(self.all_in::<Row>("SELECT id, status FROM incidents WHERE id IN ({in})", ids).await?.into_iter().map(|r| (r.id, r.status)).collect())
    }

    // ---- reading the log ----

    /// A destination's deliveries, newest first.
    pub async fn deliveries_of_target(&self, org_id: &str, target_id: &str, limit: i64) -> ApiResult<Vec<DeliveryRow>> {
        self.all(
            &format!("SELECT {DELIVERY_COLS} FROM outbound_deliveries WHERE org_id = ? AND target_id = ? AND channel = 'webhook' ORDER BY created_at DESC LIMIT ?"),
            args![org_id, target_id, limit],
        )
            .await
    }

    /// A person's own deliveries (their push devices and personal webhook), newest first.
    pub async fn deliveries_of_user(&self, org_id: &str, user_id: &str, limit: i64) -> ApiResult<Vec<DeliveryRow>> {
        self.all(&format!("SELECT {DELIVERY_COLS} FROM outbound_deliveries WHERE org_id = ? AND user_id = ? ORDER BY created_at DESC LIMIT ?"), args![org_id, user_id, limit])
            .await
    }

    pub async fn attempts_of(&self, delivery_ids: &[&str]) -> ApiResult<Vec<AttemptRow>> {
        self.all_in("SELECT delivery_id, at, status, outcome, duration_ms FROM delivery_attempts WHERE delivery_id IN ({in}) ORDER BY attempt", delivery_ids).await
    }

    /// The page deliveries of an incident, with each one's outbox entry (from its source).
    pub async fn page_deliveries_of(&self, org_id: &str, incident_id: &str) -> ApiResult<Vec<PageDeliveryRow>> {
        self.all(
            "SELECT d.source, d.channel, d.state, d.created_at, p.device,
               (SELECT a.status FROM delivery_attempts a WHERE a.delivery_id = d.id ORDER BY a.attempt DESC LIMIT 1) AS status,
               (SELECT a.at FROM delivery_attempts a WHERE a.delivery_id = d.id ORDER BY a.attempt DESC LIMIT 1) AS last_at
             FROM outbound_deliveries d LEFT JOIN push_subscriptions p ON p.id = d.target_id AND d.channel = 'push'
             WHERE d.org_id = ? AND d.incident_id = ? AND d.channel IN ('push', 'personal_webhook') ORDER BY d.created_at LIMIT 500",
            args![org_id, incident_id],
        )
        .await
    }

    // ---- notes ----

    pub async fn add_note(&self, org_id: &str, incident_id: &str, id: &str, actor: &str, body: &str, now: i64) -> ApiResult<bool> {
        Ok(self
            .run(
                "INSERT INTO timeline (id, org_id, incident_id, at, kind, actor, message, seq)
                 SELECT ?, ?, ?, ?, 'note', ?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM timeline WHERE incident_id = ?3) WHERE EXISTS (SELECT 1 FROM incidents WHERE id = ? AND org_id = ?)",
                args![id, org_id, incident_id, now, actor, body, incident_id, org_id],
            )
            .await?
            == 1)
    }
}
