//! Query plans of the hot reads and writes: the SQL the worker runs on the incidents list, an
//! incident's page, ingestion (repeat, new alert, resolve), the public status page, who is on
//! call and the cron sweep, each through `EXPLAIN QUERY PLAN` on a migrated local D1. None may
//! `SCAN` a table that grows with history (alerts, incidents, timeline, the event log, pages,
//! deliveries, public incidents, overrides): a scan is a latency that grows with a year of
//! alerts (`./tocsin bench-scale` measures the latencies themselves).
//!
//! The SQL is the worker's own: `pub const`s read from the worker's source (as
//! tests/tests/metrics.rs does), or, for code another module owns, a copy checked to still be
//! in that source verbatim (whitespace aside), so a changed query fails here until its copy (and
//! its plan) is looked at again.

use tocsin_tests::{run_suite, Instance};

const INCIDENTS_RS: &str = include_str!("../../worker/src/db/incidents.rs");
const INGEST_RS: &str = include_str!("../../worker/src/db/ingest.rs");
const ONCALL_RS: &str = include_str!("../../worker/src/db/oncall.rs");
const STATUS_RS: &str = include_str!("../../worker/src/db/status.rs");
const PAGING_RS: &str = include_str!("../../worker/src/db/paging.rs");

/// Tables whose row count grows with history.
const BIG: &[&str] = &[
    "alerts",
    "incidents",
    "timeline",
    "alert_events",
    "notification_outbox",
    "outbound_deliveries",
    "delivery_attempts",
    "deliveries",
    "public_incidents",
    "public_updates",
    "schedule_overrides",
    "change_events",
    "incident_escalations",
];

struct Ctx {
    inst: Instance,
    /// The schema's partial indexes, read once: every query launches `wrangler d1 execute`.
    partial: std::sync::OnceLock<Vec<String>>,
}

/// The SQL of `pub const NAME: &str = "…";` in a worker source file.
fn worker_const(src: &str, name: &str) -> String {
    let head = format!("pub const {name}: &str = \"");
    let start = src
        .find(&head)
        .unwrap_or_else(|| panic!("pub const {name} not found"))
        + head.len();
    src[start..].split("\";").next().unwrap().to_string()
}

fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A copy of SQL written inline in a worker function, checked to still be there.
fn copied(src: &str, file: &str, sql: &str) -> String {
    assert!(squash(src).contains(&squash(sql)), "this SQL is no longer in worker/src/db/{file}: update the copy and look at its plan again:\n{sql}");
    sql.to_string()
}

/// Replaces the placeholders (`?` and `?N`, numbered as SQLite numbers them) with literals.
fn bind(sql: &str, values: &[&str]) -> String {
    let (mut out, mut next, mut chars) = (String::new(), 0usize, sql.chars().peekable());
    while let Some(c) = chars.next() {
        if c != '?' {
            out.push(c);
            continue;
        }
        let mut digits = String::new();
        while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
            digits.push(*d);
            chars.next();
        }
        let n = if digits.is_empty() {
            next + 1
        } else {
            digits.parse().unwrap()
        };
        next = next.max(n);
        out.push_str(
            values
                .get(n - 1)
                .unwrap_or_else(|| panic!("no value for ?{n} in {sql}")),
        );
    }
    out
}

/// Names the big tables go by in `sql` (themselves and their aliases).
fn big_names(sql: &str) -> Vec<String> {
    let words: Vec<&str> = sql
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .collect();
    let keyword = |w: &str| {
        [
            "WHERE",
            "JOIN",
            "LEFT",
            "ON",
            "ORDER",
            "GROUP",
            "LIMIT",
            "SET",
            "AS",
            "USING",
            "VALUES",
            "SELECT",
            "INNER",
            "WITH",
            "RETURNING",
        ]
        .contains(&w.to_ascii_uppercase().as_str())
    };
    let mut names: Vec<String> = BIG.iter().map(|t| t.to_string()).collect();
    for (i, w) in words.iter().enumerate() {
        if BIG.contains(w) {
            let mut j = i + 1;
            if words.get(j).is_some_and(|a| a.eq_ignore_ascii_case("AS")) {
                j += 1;
            }
            if let Some(a) = words.get(j).filter(|a| !keyword(a)) {
                names.push(a.to_string());
            }
        }
    }
    names
}

impl Ctx {
    /// The plan's detail lines.
    fn plan(&self, sql: &str) -> Vec<String> {
        let rows = self.inst.d1(&format!("EXPLAIN QUERY PLAN {sql}"));
        let p: Vec<String> = rows
            .iter()
            .map(|r| r["detail"].as_str().unwrap().to_string())
            .collect();
        assert!(!p.is_empty(), "no plan for {sql}");
        p
    }

    /// Partial indexes (`CREATE INDEX … WHERE …`): scanning one reads only the rows it holds
    /// (what is pending or undispatched), not the history. The migrated schema does not change
    /// while the suite runs, so they are read once.
    fn partial_indexes(&self) -> &[String] {
        self.partial.get_or_init(|| {
            let rows = self
                .inst
                .d1("SELECT name FROM sqlite_master WHERE type = 'index' AND sql LIKE '% WHERE %'");
            rows.iter()
                .filter_map(|r| r["name"].as_str().map(str::to_string))
                .collect()
        })
    }

    /// Asserts that no step of the plan scans a big table (other than through a partial index);
    /// returns the plan.
    fn no_big_scan(&self, what: &str, sql: &str) -> Vec<String> {
        let p = self.plan(sql);
        let names = big_names(sql);
        let partial = self.partial_indexes();
        assert!(
            partial.iter().any(|i| i == "timeline_undispatched"),
            "{partial:?}"
        );
        for d in &p {
            if let Some(rest) = d.trim().strip_prefix("SCAN ") {
                let mut words = rest.split_whitespace();
                let name = words.next().unwrap_or("");
                let index = words.skip_while(|w| *w != "INDEX").nth(1).unwrap_or("");
                let bounded = partial.iter().any(|i| i == index);
                assert!(
                    bounded || !names.iter().any(|n| n == name),
                    "{what} scans {name} (a table that grows with history):\n{}\n{sql}",
                    p.join("\n")
                );
            }
        }
        p
    }
}

const ORG: &str = "'org-1'";
const ID: &str = "'id-1'";
const NOW: &str = "1780000000000";

fn incidents_list(c: &Ctx) {
    // `Db::incidents` builds the list from INCIDENT_SELECT and these clauses.
    let select = worker_const(INCIDENTS_RS, "INCIDENT_SELECT");
    let [org, status, before, order] = [
        " WHERE i.org_id = ?\"",
        " AND i.status IN ({})",
        " AND (i.created_at, i.id) < (?, ?)",
        " ORDER BY i.created_at DESC, i.id DESC LIMIT ?",
    ];
    for part in [org, status, before, order] {
        assert!(
            INCIDENTS_RS.contains(part),
            "Db::incidents no longer writes {part}: update this test"
        );
    }
    let org = org.trim_end_matches('"');
    let first = format!("{select}{org}{order}");
    let p = c.no_big_scan("the first page", &bind(&first, &[ORG, "26"]));
    assert!(
        p.iter()
            .any(|d| d.contains("USING INDEX incidents_org_created")
                || d.contains("USING COVERING INDEX incidents_org_created")),
        "{p:?}"
    );
    assert!(
        !p.iter().any(|d| d.contains("TEMP B-TREE")),
        "the first page must come in index order, not sorted: {p:?}"
    );
    let deep = format!("{select}{org}{before}{order}");
    let p = c.no_big_scan("a cursor page", &bind(&deep, &[ORG, NOW, ID, "26"]));
    assert!(
        p.iter()
            .any(|d| d.contains("incidents_org_created (org_id=? AND (created_at,id)<(?,?))")),
        "a cursor page starts at the cursor: {p:?}"
    );
    let open = format!("{select}{org}{}{order}", status.replace("{}", "?, ?"));
    c.no_big_scan(
        "the open incidents",
        &bind(&open, &[ORG, "'triggered'", "'acknowledged'", "26"]),
    );
}

fn incident_page(c: &Ctx) {
    let select = worker_const(INCIDENTS_RS, "INCIDENT_SELECT");
    assert!(INCIDENTS_RS.contains("{INCIDENT_SELECT} WHERE i.org_id = ? AND i.id = ?"));
    c.no_big_scan(
        "the incident",
        &bind(
            &format!("{select} WHERE i.org_id = ? AND i.id = ?"),
            &[ORG, ID],
        ),
    );
    for name in [
        "INCIDENT_ALERTS",
        "INCIDENT_TIMELINE",
        "INCIDENT_EVENTS",
        "INCIDENT_CHANGES",
    ] {
        c.no_big_scan(name, &bind(&worker_const(INCIDENTS_RS, name), &[ORG, ID]));
    }
    let p = c.no_big_scan(
        "its event log",
        &bind(&worker_const(INCIDENTS_RS, "INCIDENT_EVENTS"), &[ORG, ID]),
    );
    assert!(
        p.iter().any(|d| d.contains("alert_events_incident")),
        "the event log of an incident is read from its index: {p:?}"
    );
    let p = c.no_big_scan(
        "its pages",
        &bind(&worker_const(ONCALL_RS, "OUTBOX_OF"), &[ORG, ID]),
    );
    assert!(
        p.iter().any(|d| d.contains("incident_id=?")),
        "an incident's pages are found by incident, not among all of the organisation's: {p:?}"
    );
    // `Db::page_deliveries_of`: the deliveries of its pages (the notifications panel).
    let deliveries = copied(
        PAGING_RS,
        "paging.rs",
        "SELECT d.source, d.channel, d.state, d.created_at, p.device,
               (SELECT a.status FROM delivery_attempts a WHERE a.delivery_id = d.id ORDER BY a.attempt DESC LIMIT 1) AS status,
               (SELECT a.at FROM delivery_attempts a WHERE a.delivery_id = d.id ORDER BY a.attempt DESC LIMIT 1) AS last_at
             FROM outbound_deliveries d LEFT JOIN push_subscriptions p ON p.id = d.target_id AND d.channel = 'push'
             WHERE d.org_id = ? AND d.incident_id = ? AND d.channel IN ('push', 'personal_webhook') ORDER BY d.created_at LIMIT 500",
    );
    let p = c.no_big_scan("its page deliveries", &bind(&deliveries, &[ORG, ID]));
    assert!(p.iter().any(|d| d.contains("outbound_deliveries_incident")), "an incident's deliveries are found by incident: {p:?}");
    // `Db::timeline_after`: the live record's catch-up.
    let after = copied(INCIDENTS_RS, "incidents.rs", "SELECT id, seq, at, kind, actor, message FROM timeline WHERE org_id = ? AND incident_id = ? AND seq > ? ORDER BY seq LIMIT ?");
    c.no_big_scan(
        "the timeline after N",
        &bind(&after, &[ORG, ID, "5", "100"]),
    );
}

fn ingestion(c: &Ctx) {
    // Db::repeat_stmts (a repeat of an open alert, in count_repeat and apply_trigger): the
    // incident raised if the repeat is more severe, its timeline row, the alert counted. Built
    // with format!: the copies are the templates, filled in as the worker fills them.
    let not_new = copied(INGEST_RS, "ingest.rs", "(?4 IS NULL OR id != ?4)");
    let rank = |expr: &str| format!("instr(',critical,error,warning,info,', ',' || {expr} || ',')");
    let raise = copied(
        INGEST_RS,
        "ingest.rs",
        "UPDATE incidents SET severity = ?6, updated_at = ?1
                     WHERE id = (SELECT incident_id FROM alerts WHERE service_id = ?2 AND dedup_key = ?3 AND status = 'firing' AND {not_new} AND {} > {})
                       AND status != 'resolved' AND severity > ?6",
    )
    .replace("{not_new}", &not_new)
    .replacen("{}", &rank("severity"), 1)
    .replacen("{}", &rank("?5"), 1);
    let p = c.no_big_scan(
        "raising the incident of a repeat",
        &bind(&raise, &[NOW, "'svc'", "'key'", "NULL", "'critical'", "'SEV1'"]),
    );
    assert!(p.iter().any(|d| d.contains("alerts_open_dedup")), "the alert by its key: {p:?}");
    let raised_row = copied(
        INGEST_RS,
        "ingest.rs",
        "INSERT INTO timeline (id, org_id, incident_id, at, kind, actor, message, seq)
                 SELECT ?1, ?2, a.incident_id, ?3, 'incident.severity_changed', ?4, ?5, (SELECT COALESCE(MAX(seq), 0) + 1 FROM timeline WHERE incident_id = a.incident_id)
                 FROM alerts a WHERE changes() = 1 AND a.service_id = ?6 AND a.dedup_key = ?7 AND a.status = 'firing' AND (?8 IS NULL OR a.id != ?8)",
    );
    c.no_big_scan(
        "the raise's timeline row",
        &bind(&raised_row, &["'t1'", ORG, NOW, "'{}'", "'raised'", "'svc'", "'key'", "NULL"]),
    );
    let repeat = copied(
        INGEST_RS,
        "ingest.rs",
        "UPDATE alerts SET event_count = event_count + 1, last_seen_at = ?1, summary = ?5, details = ?6, links = ?7, severity = ?8{changed}
                     WHERE service_id = ?2 AND dedup_key = ?3 AND status = 'firing' AND {not_new}",
    )
    .replace("{not_new}", &not_new)
    .replace("{changed}", "");
    let p = c.no_big_scan(
        "counting a repeat",
        &bind(&repeat, &[NOW, "'svc'", "'key'", "NULL", "'s'", "'{}'", "'[]'", "'critical'"]),
    );
    assert!(p.iter().any(|d| d.contains("alerts_open_dedup")), "{p:?}");
    // Db::apply_trigger's late-copy rule (a trigger with the source's own change time): the
    // guard of its inserts and the log row naming the key's last resolved alert, each by the
    // primary key of source_resolves and the resolved-alert index, never a scan of the alerts.
    let guard = copied(
        INGEST_RS,
        "ingest.rs",
        "NOT EXISTS (SELECT 1 FROM source_resolves WHERE service_id = ?svc AND dedup_key = ?key AND ended_at > ?at)",
    );
    c.no_big_scan(
        "a trigger's late-copy guard",
        &format!("SELECT 1 WHERE {}", guard.replace("?svc", "'svc'").replace("?key", "'key'").replace("?at", NOW)),
    );
    let copy_row = copied(
        INGEST_RS,
        "ingest.rs",
        "INSERT INTO alert_events (id, org_id, service_id, vendor, action, dedup_key, alert_id, incident_id, result, message, raw, received_at)
                     SELECT ?1, ?2, ?3, ?4, ?5, ?6, r.id, r.incident_id, 'ignored', 'a late copy: the source resolved this alert after this firing began', ?7, ?8
                     FROM source_resolves s LEFT JOIN (SELECT id, incident_id FROM alerts WHERE service_id = ?3 AND dedup_key = ?6 AND status = 'resolved'
                       AND started_at <= ?9 AND source_ended_at > ?9 ORDER BY resolved_at DESC LIMIT 1) r
                     WHERE s.service_id = ?3 AND s.dedup_key = ?6 AND s.ended_at > ?9
                       AND NOT EXISTS (SELECT 1 FROM alerts WHERE service_id = ?3 AND dedup_key = ?6 AND status = 'firing')
                     RETURNING alert_id AS id, incident_id",
    );
    let p = c.no_big_scan(
        "a late copy's log row",
        &bind(&copy_row, &["'e1'", ORG, "'svc'", "'cloudwatch'", "'trigger'", "'key'", "'{}'", NOW, NOW]),
    );
    assert!(p.iter().any(|d| d.contains("alerts_service_key_resolved")), "{p:?}");
    // Db::open_alert_with_incident (acknowledge from the source).
    let open = copied(
        INGEST_RS,
        "ingest.rs",
        "SELECT a.id, a.incident_id, i.status AS incident_status FROM alerts a JOIN incidents i ON i.id = a.incident_id
         WHERE a.service_id = ? AND a.dedup_key = ? AND a.status = 'firing'",
    );
    c.no_big_scan("the open alert of a key", &bind(&open, &["'svc'", "'key'"]));
    // Db::open_incidents_of (grouping): read through the open incidents only, not the history.
    let grouping = copied(
        INGEST_RS,
        "ingest.rs",
        "SELECT id, created_at, group_value FROM incidents WHERE service_id = ?1 AND status != 'resolved' AND (?2 IS NULL OR group_value = ?2)
             ORDER BY created_at DESC LIMIT ?3",
    );
    let p = c.no_big_scan(
        "the open incidents of a service",
        &bind(&grouping, &["'svc'", "'eu-1'", "10"]),
    );
    assert!(
        p.iter().any(|d| d.contains("incidents_service_unresolved")),
        "grouping must not walk the resolved history: {p:?}"
    );
    // Db::apply_trigger: the new incident's number and the guard on a firing alert.
    let number = copied(
        INGEST_RS,
        "ingest.rs",
        "(SELECT COALESCE(MAX(number), 0) + 1 FROM incidents WHERE org_id = ?)",
    );
    c.no_big_scan(
        "the next incident number",
        &bind(&format!("SELECT {number}"), &[ORG]),
    );
    let firing = copied(
        INGEST_RS,
        "ingest.rs",
        "SELECT 1 FROM alerts WHERE service_id = ? AND dedup_key = ? AND status = 'firing'",
    );
    c.no_big_scan("the firing guard", &bind(&firing, &["'svc'", "'key'"]));
    let seq = copied(
        INGEST_RS,
        "ingest.rs",
        "(SELECT COALESCE(MAX(seq), 0) + 1 FROM timeline WHERE incident_id = ?3)",
    );
    c.no_big_scan(
        "the next timeline number",
        &bind(&format!("SELECT {seq}"), &[ORG, ORG, ID]),
    );
    // Db::resolve_by_key: the alert the resolve just resolved, found again in the same batch.
    let resolved = copied(
        INGEST_RS,
        "ingest.rs",
        "(SELECT id FROM alerts WHERE service_id = ?1 AND dedup_key = ?2 AND status = 'resolved' AND resolved_at = ?3 ORDER BY rowid DESC LIMIT 1)",
    );
    c.no_big_scan(
        "the alert a resolve resolved",
        &bind(&format!("SELECT {resolved}"), &["'svc'", "'key'", NOW]),
    );
    let auto = copied(
        INGEST_RS,
        "ingest.rs",
        "NOT EXISTS (SELECT 1 FROM alerts WHERE incident_id = incidents.id AND status = 'firing')",
    );
    c.no_big_scan(
        "the auto-resolve guard",
        &format!("SELECT id FROM incidents WHERE id = {ID} AND {auto}"),
    );
    // Db::contacts_stmts (a new incident's batch, when its service escalates): the people its
    // escalation may page, with their preferences and devices.
    let may = worker_const(PAGING_RS, "MAY_BE_PAGED");
    let people = copied(
        PAGING_RS,
        "paging.rs",
        "SELECT c.id AS user_id, p.push, p.webhook_kind, p.webhook_url, p.webhook_secret, p.repeat_minutes, p.repeat_severity
                     FROM c LEFT JOIN contact_preferences p ON p.user_id = c.id",
    );
    let p = c.no_big_scan(
        "the people a new incident's escalation may page",
        &bind(&format!("{may} {people}"), &[ORG, ID, NOW]),
    );
    assert!(p.iter().any(|d| d.contains("schedule_overrides_org_ends")), "{p:?}");
    assert!(!p.iter().any(|d| d.trim_start().starts_with("SCAN u")), "each person named, by key: {p:?}");
    let devices = copied(PAGING_RS, "paging.rs", "SELECT {SUBSCRIPTION_COLS} FROM push_subscriptions WHERE user_id IN (SELECT id FROM c) ORDER BY created_at")
        .replace("{SUBSCRIPTION_COLS}", "id");
    c.no_big_scan(
        "their devices",
        &bind(&format!("{may} {devices}"), &[ORG, ID, NOW]),
    );
    // Db::dispatch_page_stmts with `alone` (a step's batch dispatching the page it wrote):
    // no other page to the same person about the incident pending, by the incident index.
    let alone = copied(
        PAGING_RS,
        "paging.rs",
        "NOT EXISTS (SELECT 1 FROM notification_outbox p WHERE p.org_id = notification_outbox.org_id AND p.incident_id = notification_outbox.incident_id
                AND p.user_id = notification_outbox.user_id AND p.state = 'pending' AND p.id != notification_outbox.id)",
    );
    let p = c.no_big_scan(
        "a page dispatched by the batch that wrote it",
        &format!("UPDATE notification_outbox SET state = 'dispatched' WHERE id = {ID} AND state = 'pending' AND {alone}"),
    );
    assert!(p.iter().any(|d| d.contains("notification_outbox_incident")), "{p:?}");
}

fn status_page(c: &Ctx) {
    for (name, values) in [
        ("STATUS_INCIDENTS", &[ORG, "20", "0"][..]),
        ("STATUS_MAINTENANCES", &[ORG, NOW][..]),
    ] {
        c.no_big_scan(name, &bind(&worker_const(STATUS_RS, name), values));
    }
}

fn who_is_on_call(c: &Ctx) {
    let p = c.no_big_scan(
        "overrides",
        &bind(&worker_const(ONCALL_RS, "OVERRIDES_SINCE"), &[ORG, NOW]),
    );
    assert!(
        p.iter().any(|d| d.contains("schedule_overrides_org_ends")),
        "{p:?}"
    );
}

fn cron_sweep(c: &Ctx) {
    let select = worker_const(ONCALL_RS, "ESCALATION_SELECT");
    // Db::due_escalations.
    let due = "{ESCALATION_SELECT} WHERE e.next_at IS NOT NULL AND e.next_at <= ? ORDER BY e.next_at LIMIT ?";
    assert!(
        ONCALL_RS.contains(due),
        "Db::due_escalations changed: update this test"
    );
    let p = c.no_big_scan(
        "the due escalations",
        &bind(&due.replace("{ESCALATION_SELECT}", &select), &[NOW, "100"]),
    );
    assert!(
        p.iter().any(|d| d.contains("incident_escalations_due")),
        "{p:?}"
    );
    // Db::lapsed_acknowledgements and Db::incidents_without_escalation.
    let lapsed = copied(
        ONCALL_RS,
        "oncall.rs",
        "SELECT i.id AS incident_id, i.org_id, i.acknowledged_at, s.unack_timeout_minutes AS timeout
             FROM incidents i JOIN services s ON s.id = i.service_id
             WHERE i.status = 'acknowledged' AND s.unack_timeout_minutes IS NOT NULL
               AND i.acknowledged_at + s.unack_timeout_minutes * 60000 <= ? LIMIT ?",
    );
    c.no_big_scan("lapsed acknowledgements", &bind(&lapsed, &[NOW, "100"]));
    let without = copied(
        ONCALL_RS,
        "oncall.rs",
        "SELECT i.id, i.service_id FROM incidents i JOIN services s ON s.id = i.service_id
                 WHERE i.status = 'triggered' AND s.escalation_policy_id IS NOT NULL AND i.created_at > ?
                   AND NOT EXISTS (SELECT 1 FROM incident_escalations e WHERE e.incident_id = i.id) LIMIT ?",
    );
    c.no_big_scan(
        "incidents without escalation",
        &bind(&without, &[NOW, "100"]),
    );
    // Db::number_unnumbered_timeline: whether a row waits, and the one numbered next.
    let waiting = worker_const(INCIDENTS_RS, "UNNUMBERED_WAITING");
    let p = c.no_big_scan("a timeline row waiting for its number", &waiting);
    assert!(p.iter().any(|d| d.contains("timeline_unnumbered")), "{p:?}");
    let next = copied(INCIDENTS_RS, "incidents.rs", "WHERE rowid = (SELECT rowid FROM timeline WHERE seq IS NULL ORDER BY at LIMIT 1)");
    let p = c.no_big_scan("the next timeline row to number", &format!("SELECT rowid FROM timeline {next}"));
    assert!(p.iter().any(|d| d.contains("timeline_unnumbered")), "{p:?}");
    // Db::delivery_work: what the pump has to do, asked every minute.
    let work = copied(
        PAGING_RS,
        "paging.rs",
        "SELECT EXISTS (SELECT 1 FROM notification_outbox WHERE state = 'pending') AS pages,
                        EXISTS (SELECT 1 FROM notification_outbox WHERE next_repeat_at <= ?1) AS repeats,
                        EXISTS (SELECT 1 FROM timeline WHERE dispatched = 0) OR EXISTS (SELECT 1 FROM public_updates WHERE dispatched = 0) AS events,
                        EXISTS (SELECT 1 FROM outbound_deliveries WHERE state = 'pending' AND next_attempt_at <= ?1
                                AND (lease_until IS NULL OR lease_until < ?1)) AS sends,",
    );
    let work = format!("{work} EXISTS (SELECT 1 FROM webhook_destinations WHERE enabled = 1 AND deleted_at IS NULL) AS destinations");
    c.no_big_scan("the delivery work", &bind(&work, &[NOW]));
    // Db::pending_pages (the pump) and Db::pages_by_id (the pages one request queued): pages
    // with their people's preferences and devices, in one batch.
    let people = worker_const(PAGING_RS, "PENDING_PAGE_PEOPLE");
    let p = c.no_big_scan("the people of the pending pages", &bind(&people, &["25"]));
    assert!(p.iter().any(|d| d.contains("notification_outbox_pending") || d.contains("notification_outbox_state")), "{p:?}");
    let chosen = worker_const(PAGING_RS, "PAGES_CHOSEN_BY_ID");
    let pages_where = copied(PAGING_RS, "paging.rs", "WHERE {PAGES_CHOSEN_BY_ID} ORDER BY o.created_at, o.id");
    let ids = "'[\"p1\",\"p2\"]'";
    let pages = format!("SELECT o.id FROM notification_outbox o {}", pages_where.replace("{PAGES_CHOSEN_BY_ID}", &chosen));
    let p = c.no_big_scan("one request's pages, by id, with the same people's older pages about the same incidents", &bind(&pages, &[ids]));
    assert!(p.iter().any(|d| d.contains("USING INDEX sqlite_autoindex_notification_outbox") || d.contains("PRIMARY KEY")), "{p:?}");
    assert!(p.iter().any(|d| d.contains("notification_outbox_incident")), "{p:?}");
    let by_id = copied(PAGING_RS, "paging.rs", "SELECT o.user_id FROM notification_outbox o WHERE {PAGES_CHOSEN_BY_ID}").replace("{PAGES_CHOSEN_BY_ID}", &chosen);
    let devices = copied(PAGING_RS, "paging.rs", "FROM push_subscriptions WHERE user_id IN (SELECT user_id FROM ({people})) ORDER BY created_at");
    let prefs = copied(PAGING_RS, "paging.rs", "FROM contact_preferences
                         WHERE user_id IN (SELECT user_id FROM ({people}))");
    for (whose, people, arg) in [("the pending pages' people", &people, "25"), ("one request's pages' people", &by_id, ids)] {
        let devices = format!("SELECT id {}", devices.replace("{people}", people));
        c.no_big_scan(&format!("the devices of {whose}"), &bind(&devices, &[arg]));
        let prefs = format!("SELECT push {}", prefs.replace("{people}", people));
        c.no_big_scan(&format!("the preferences of {whose}"), &bind(&prefs, &[arg]));
    }
    // Db::clear_old_raw_payloads (the raw payload retention sweep), per service.
    let retention = copied(INGEST_RS, "ingest.rs", "UPDATE alert_events SET raw = '' WHERE service_id = ? AND received_at >= ? AND received_at < ? AND raw != ''");
    c.no_big_scan(
        "the raw payload retention",
        &bind(&retention, &["'svc'", NOW, NOW]),
    );
    // Db::clear_old_event_log (the event log retention sweep), per service.
    let event_log = copied(
        INGEST_RS,
        "ingest.rs",
        "DELETE FROM alert_events WHERE rowid IN (
                   SELECT rowid FROM alert_events WHERE service_id = ?1 AND received_at < ?2
                     AND rowid != (SELECT rowid FROM alert_events WHERE service_id = ?1 ORDER BY received_at DESC LIMIT 1)
                   ORDER BY received_at LIMIT ?3)",
    );
    c.no_big_scan("the event log retention", &bind(&event_log, &["'svc'", NOW, "2000"]));
    // Db::clear_old_retry_answers (the kept answers to numbered deliveries), oldest first.
    let answers = copied(INGEST_RS, "ingest.rs", "DELETE FROM deliveries WHERE rowid IN (SELECT rowid FROM deliveries WHERE created_at < ?1 ORDER BY created_at LIMIT ?2)");
    let p = c.no_big_scan("the retry answer retention", &bind(&answers, &[NOW, "5000"]));
    assert!(p.iter().any(|d| d.contains("deliveries_created")), "{p:?}");
}

/// The checker itself: a query that does scan a big table is caught (so a pass means something).
fn the_check_catches_a_scan(c: &Ctx) {
    let sql = "SELECT a.id FROM alerts a WHERE a.summary = 'x'";
    let p = c.plan(sql);
    assert!(p.iter().any(|d| d.starts_with("SCAN a")), "{p:?}");
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        c.no_big_scan("a summary search", sql)
    }));
    assert!(caught.is_err(), "a scan of alerts went unnoticed");
    assert_eq!(
        bind(
            "a = ?1 AND b = ? AND c = ?3 AND d = ?",
            &["1", "2", "3", "4"]
        ),
        "a = 1 AND b = 2 AND c = 3 AND d = 4"
    );
}

fn main() {
    let ctx = Ctx {
        inst: Instance::start("plans"),
        partial: std::sync::OnceLock::new(),
    };
    let tests: &[(&str, fn(&Ctx))] = &[
        ("the_incidents_list_pages_through_an_index", incidents_list),
        ("an_incident_page_reads_only_its_own_rows", incident_page),
        (
            "ingestion_finds_open_alerts_and_numbers_by_index",
            ingestion,
        ),
        ("the_public_status_page_reads_by_index", status_page),
        (
            "who_is_on_call_reads_current_overrides_by_index",
            who_is_on_call,
        ),
        ("the_cron_sweep_reads_what_is_due_by_index", cron_sweep),
        ("a_scan_of_a_big_table_is_caught", the_check_catches_a_scan),
    ];
    run_suite(ctx, tests, |c| eprintln!("{}", c.inst.log()));
}
