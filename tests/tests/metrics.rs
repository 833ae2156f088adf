//! Metrics end to end against wrangler dev: the key times the worker writes at each transition
//! (an Alertmanager alert whose `startsAt` is earlier than its arrival, a second alert joining
//! with an even earlier start, acknowledge, a `monitoring` update, resolve; noise set with
//! PATCH; a merge), `GET /api/metrics` on a history with hand-computed answers (the same
//! fixture as `tocsin_domain::metrics` unit tests), the CSV read by Python's `csv` module, the
//! parameter errors, the query plans of the metrics reads (index seeks, no scan of incidents or
//! alerts), the on-call load, and the Insights page at 390×844.
//!
//! The API cannot backdate: histories months in the past (and pages at chosen instants) are
//! written straight into the local D1 with `Instance::d1`, with the key times and durations the
//! worker would have written. Each test makes its own services (metrics are read per service,
//! so tests do not see each other's incidents) and uses its own time range where it checks
//! organisation-wide totals.

use serde_json::{json, Value};
use std::sync::OnceLock;
use std::time::Duration;
use tocsin_tests::browser::Browser;
use tocsin_tests::http::Person;
use tocsin_tests::{ms_rfc3339, now_ms, run_suite, unique, wait_for, Api, Instance};

const WAIT: Duration = Duration::from_secs(15);
const EMAIL: &str = "admin@metrics.example.com";
const PASSWORD: &str = "metrics password 1";
const M: i64 = 60_000;
const DAY: i64 = 86_400_000;

struct Ctx {
    inst: Instance,
    admin: OnceLock<Api>,
}

impl Ctx {
    fn admin(&self) -> &Api {
        self.admin.get_or_init(|| Api::setup(&self.inst.base, "Metrics Org", EMAIL, PASSWORD, "Admin"))
    }

    fn org(&self) -> String {
        self.admin().get("/api/me").json["organization"]["id"].as_str().unwrap().to_string()
    }

    /// A new service: (id, name, integration key).
    fn service(&self, extra: Value) -> (String, String, String) {
        let name = unique("Service");
        let mut body = json!({"name": name});
        body.as_object_mut().unwrap().extend(extra.as_object().cloned().unwrap_or_default());
        let r = self.admin().post("/api/services", body);
        assert_eq!(r.status, 201, "{}", r.text);
        (r.json["id"].as_str().unwrap().to_string(), name, r.json["integration_key"].as_str().unwrap().to_string())
    }

    fn metrics(&self, query: &str) -> Value {
        let r = self.admin().get(&format!("/api/metrics?{query}"));
        assert_eq!(r.status, 200, "{}", r.text);
        r.json
    }

    fn row(&self, incident: &str) -> Value {
        self.inst.d1(&format!(
            "SELECT created_at, impact_started_at, detected_at, first_acknowledged_at, mitigated_at, resolved_at, noise, mttd_ms, mtta_ms, mttr_ms FROM incidents WHERE id = '{incident}'"
        ))[0]
            .clone()
    }
}

/// A group of a report by its key.
fn group<'a>(report: &'a Value, key: &str) -> &'a Value {
    report["groups"].as_array().unwrap().iter().find(|g| g["key"] == key).unwrap_or_else(|| panic!("no group {key} in {report}"))
}

fn stat(count: u64, mean: i64, p50: i64, p90: i64) -> Value {
    json!({"count": count, "mean_seconds": mean, "p50_seconds": p50, "p90_seconds": p90})
}

/// One incident written as the worker would have (times in minutes after `t0`).
#[allow(clippy::too_many_arguments)]
fn insert(c: &Ctx, org: &str, id: &str, service: Option<&str>, sev: &str, t0: i64, t: (i64, i64, i64, Option<i64>, Option<i64>), noise: bool, merged_into: Option<&str>) {
    let (impact, detected, opened, ack, resolved) = (t0 + t.0 * M, t0 + t.1 * M, t0 + t.2 * M, t.3.map(|a| t0 + a * M), t.4.map(|r| t0 + r * M));
    let sql_opt = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_else(|| "NULL".into());
    let status = if resolved.is_some() { "resolved" } else if ack.is_some() { "acknowledged" } else { "triggered" };
    c.inst.d1(&format!(
        "INSERT INTO incidents (id, org_id, number, title, status, severity, service_id, created_at, updated_at, acknowledged_at, resolved_at,
           impact_started_at, detected_at, first_acknowledged_at, mitigated_at, noise, merged_into, mttd_ms, mtta_ms, mttr_ms)
         VALUES ('{id}', '{org}', (SELECT COALESCE(MAX(number), 0) + 1 FROM incidents WHERE org_id = '{org}'), 'History {id}', '{status}', '{sev}', {svc},
           {opened}, {opened}, {ack}, {res}, {impact}, {detected}, {ack}, {res}, {noise}, {merged}, {mttd}, {mtta}, {mttr})",
        svc = service.map(|s| format!("'{s}'")).unwrap_or_else(|| "NULL".into()),
        ack = sql_opt(ack),
        res = sql_opt(resolved),
        noise = noise as i64,
        merged = merged_into.map(|m| format!("'{m}'")).unwrap_or_else(|| "NULL".into()),
        mttd = detected - impact,
        mtta = sql_opt(ack.map(|a| a - opened)),
        mttr = sql_opt(resolved.map(|r| r - impact)),
    ));
}

/// The domain fixture (`domain/src/metrics/tests.rs`), opened `t0` onwards: 9 incidents on two
/// services and none, one noise, one merged, one open.
fn history(c: &Ctx, t0: i64) -> (String, String, String) {
    let org = c.org();
    let (api, api_name, _) = c.service(json!({}));
    let (db, _, _) = c.service(json!({}));
    let p = unique("h").to_lowercase();
    let id = |n: u32| format!("{p}-i{n}");
    insert(c, &org, &id(1), Some(&api), "SEV1", t0, (0, 2, 2, Some(5), Some(32)), false, None);
    insert(c, &org, &id(2), Some(&api), "SEV2", t0, (100, 101, 101, Some(111), Some(131)), false, None);
    insert(c, &org, &id(3), Some(&api), "SEV3", t0, (140, 140, 140, None, Some(145)), true, None);
    insert(c, &org, &id(4), Some(&api), "SEV1", t0, (200, 200, 200, None, None), false, None);
    insert(c, &org, &id(5), Some(&api), "SEV2", t0, (210, 210, 210, None, Some(215)), false, Some(&id(4)));
    insert(c, &org, &id(6), Some(&db), "SEV2", t0, (50, 50, 50, Some(51), Some(80)), false, None);
    insert(c, &org, &id(7), Some(&db), "SEV3", t0, (60, 60, 60, None, Some(90)), false, None);
    insert(c, &org, &id(8), Some(&db), "SEV2", t0, (120, 120, 120, Some(121), Some(150)), false, None);
    insert(c, &org, &id(9), None, "SEV4", t0, (300, 300, 300, Some(310), Some(400)), false, None);
    (api, api_name, db)
}

/// A Monday 00:00 UTC about `weeks_ago` weeks back (each test its own).
fn monday(weeks_ago: i64) -> i64 {
    let now = now_ms();
    let days = now.div_euclid(DAY);
    // 1970-01-01 was a Thursday: days since a Monday = (days + 3) % 7.
    (days - (days + 3).rem_euclid(7) - 7 * weeks_ago) * DAY
}

fn known_history(c: &Ctx) {
    let t0 = monday(30);
    let (api, api_name, db) = history(c, t0);
    let range = format!("from={}&to={}", ms_rfc3339(t0 - 60 * M), ms_rfc3339(t0 + DAY));
    let r = c.metrics(&format!("{range}&group_by=service"));
    let a = group(&r, &api);
    assert_eq!(a["label"], api_name.as_str());
    assert_eq!((a["incidents"].as_u64(), a["open"].as_u64(), a["noise"].as_u64(), a["merged"].as_u64()), (Some(3), Some(1), Some(1), Some(1)));
    assert_eq!(a["mttd"], stat(3, 60, 60, 120));
    assert_eq!(a["mtta"], stat(2, 390, 180, 600));
    assert_eq!(a["mttr"], stat(2, 1890, 1860, 1920), "the open incident is not in MTTR");
    assert_eq!(a["mtbf"], stat(2, 4110, 4080, 4140));
    let d = group(&r, &db);
    assert_eq!(d["mtbf"], stat(1, 1800, 1800, 1800), "an incident that began during another has no operating time before it");
    assert_eq!(d["mttr"], stat(3, 1800, 1800, 1800));
    let none = group(&r, "");
    assert_eq!(none["label"], "(no service)");
    let t = &r["total"];
    assert_eq!((t["incidents"].as_u64(), t["open"].as_u64(), t["noise"].as_u64(), t["merged"].as_u64()), (Some(7), Some(1), Some(1), Some(1)));
    assert_eq!(t["mttd"], stat(7, 26, 0, 120));
    assert_eq!(t["mtta"], stat(5, 300, 180, 600));
    assert_eq!(t["mttr"], stat(6, 2530, 1800, 6000));
    assert_eq!(t["mtbf"], stat(3, 3340, 4080, 4140));

    let sev = c.metrics(&format!("{range}&group_by=severity"));
    assert_eq!(sev["groups"].as_array().unwrap().iter().map(|g| g["key"].as_str().unwrap()).collect::<Vec<_>>(), ["SEV1", "SEV2", "SEV3", "SEV4"]);
    assert_eq!(group(&sev, "SEV2")["mttr"], stat(3, 1820, 1800, 1860));

    // Weeks in UTC: the range starts on the Sunday before, so two weeks, the second holding all.
    let weeks = c.metrics(&format!("{range}&group_by=week&tz=UTC"));
    let g = weeks["groups"].as_array().unwrap();
    assert_eq!(g.len(), 2, "{weeks}");
    assert_eq!((g[0]["incidents"].as_u64(), g[1]["incidents"].as_u64()), (Some(0), Some(7)));
    assert_eq!(g[1]["start"], ms_rfc3339(t0).replace(".000Z", "Z"));
    assert_eq!(g[1]["mttr"], t["mttr"]);
}

fn csv(c: &Ctx) {
    let t0 = monday(34);
    let (api, _, _) = history(c, t0);
    // A name with a comma, quotes and a leading "=": quoted as CSV, guarded against formulas.
    let name = unique("=Checkout, \"EU\"");
    let r = c.admin().patch(&format!("/api/services/{api}"), json!({"name": name}));
    assert_eq!(r.status, 200, "{}", r.text);
    let q = format!("from={}&to={}&group_by=service", ms_rfc3339(t0 - 60 * M), ms_rfc3339(t0 + DAY));
    let r = c.admin().get(&format!("/api/metrics.csv?{q}"));
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.header("content-type").unwrap_or_default().starts_with("text/csv"), "{:?}", r.header("content-type"));
    assert!(r.header("content-disposition").unwrap_or_default().starts_with("attachment; filename=\"tocsin-metrics-service-"));
    let mut py = std::process::Command::new("python3")
        .args(["-c", "import csv, json, sys; print(json.dumps(list(csv.DictReader(sys.stdin))))"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3");
    use std::io::Write;
    py.stdin.take().unwrap().write_all(r.text.as_bytes()).unwrap();
    let out = py.wait_with_output().unwrap();
    assert!(out.status.success());
    let rows: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rows.len(), 4, "three groups and the total: {rows:?}");
    let a = rows.iter().find(|row| row["key"] == api.as_str()).unwrap();
    assert_eq!(a["label"], format!("'{name}"), "one cell, quotes kept, a formula made text: {}", r.text);
    for (col, want) in [("incidents", "3"), ("open", "1"), ("noise", "1"), ("merged", "1"), ("mttr_count", "2"), ("mttr_mean_seconds", "1890"), ("mttr_p90_seconds", "1920"), ("mtbf_mean_seconds", "4110"), ("mtta_p50_seconds", "180")] {
        assert_eq!(a[col], want, "{col} in {a}");
    }
    let total = rows.last().unwrap();
    assert_eq!((total["label"].as_str(), total["incidents"].as_str(), total["mttr_mean_seconds"].as_str()), (Some("Total"), Some("7"), Some("2530")));
    assert_eq!(rows.iter().find(|row| row["key"] == "").unwrap()["mtbf_mean_seconds"], "", "nothing measured: an empty cell");
}

fn key_times_at_each_transition(c: &Ctx) {
    let (sid, _, key) = c.service(json!({"grouping": {"type": "time_window", "minutes": 30}}));
    let now = now_ms();
    // startsAt carries whole seconds.
    let (s1, s2) = ((now - 10 * M) / 1000 * 1000, (now - 30 * M) / 1000 * 1000);
    let am = |fp: &str, started: i64| json!({"version": "4", "status": "firing", "alerts": [{"status": "firing", "fingerprint": fp,
        "labels": {"alertname": format!("Alert {fp}")}, "startsAt": ms_rfc3339(started)}]});
    let post = |body: Value| {
        let r = c.admin().post_raw(&format!("/webhooks/alertmanager/{key}"), body.to_string().into_bytes());
        assert_eq!(r.status, 202, "{}", r.text);
        r.json["alerts"][0]["incident_id"].as_str().unwrap().to_string()
    };
    let incident = post(am(&unique("fp"), s1));
    let k = c.row(&incident);
    let created = k["created_at"].as_i64().unwrap();
    assert_eq!(k["impact_started_at"].as_i64(), Some(s1), "the vendor's startsAt: {k}");
    assert_eq!(k["detected_at"].as_i64(), Some(created));
    assert_eq!(k["mttd_ms"].as_i64(), Some(created - s1));
    // A second alert joins, its problem began earlier still: impact start moves, detection stays.
    assert_eq!(post(am(&unique("fp"), s2)), incident);
    let k = c.row(&incident);
    assert_eq!(k["impact_started_at"].as_i64(), Some(s2));
    assert_eq!(k["detected_at"].as_i64(), Some(created));
    assert_eq!(k["mttd_ms"].as_i64(), Some(created - s2));

    assert_eq!(c.admin().post(&format!("/api/incidents/{incident}/acknowledge"), json!({})).status, 200);
    let k = c.row(&incident);
    let acked = k["first_acknowledged_at"].as_i64().expect("first acknowledged");
    assert_eq!(k["mtta_ms"].as_i64(), Some(acked - created));
    let u = c.admin().post(&format!("/api/incidents/{incident}/updates"), json!({"status": "monitoring", "message": "Fix deployed, watching"}));
    assert_eq!(u.status, 201, "{}", u.text);
    let mitigated = c.row(&incident)["mitigated_at"].as_i64().expect("mitigated at the monitoring update");
    assert_eq!(c.admin().post(&format!("/api/incidents/{incident}/resolve"), json!({})).status, 200);
    let k = c.row(&incident);
    let resolved = k["resolved_at"].as_i64().unwrap();
    assert_eq!(k["mitigated_at"].as_i64(), Some(mitigated), "the first monitoring update, not the resolution");
    assert_eq!(k["mttr_ms"].as_i64(), Some(resolved - s2));
    assert_eq!(k["first_acknowledged_at"].as_i64(), Some(acked));

    // A declared incident, marked as noise through the API; another merged into a third.
    let declare = || {
        let r = c.admin().post("/api/incidents", json!({"title": unique("Declared"), "severity": "SEV3", "service_id": sid}));
        assert_eq!(r.status, 201, "{}", r.text);
        r.json["incident"]["id"].as_str().unwrap().to_string()
    };
    let noisy = declare();
    let p = c.admin().patch(&format!("/api/incidents/{noisy}"), json!({"noise": true}));
    assert_eq!(p.status, 200, "{}", p.text);
    assert_eq!(p.json["incident"]["noise"], true);
    assert!(p.json["timeline"].as_array().unwrap().iter().any(|t| t["kind"] == "incident.noise_marked"));
    assert_eq!(c.admin().patch(&format!("/api/incidents/{noisy}"), json!({"noise": "yes"})).status, 400);
    let (source, target) = (declare(), declare());
    let m = c.admin().post(&format!("/api/incidents/{source}/merge"), json!({"into": target}));
    assert!(m.status < 300, "{}", m.text);
    let k = c.row(&source);
    assert!(k["mttr_ms"].as_i64().is_some() && k["mitigated_at"].as_i64().is_some(), "a merge resolves: {k}");

    let r = c.metrics(&format!("from={}&to={}&group_by=service", ms_rfc3339(now - DAY), ms_rfc3339(now_ms() + M)));
    let g = group(&r, &sid);
    assert_eq!((g["incidents"].as_u64(), g["noise"].as_u64(), g["merged"].as_u64(), g["open"].as_u64()), (Some(2), Some(1), Some(1), Some(1)), "{g}");
    assert_eq!(g["mttr"]["count"], 1);
    assert_eq!(g["mttr"]["mean_seconds"].as_i64(), Some((resolved - s2 + 500).div_euclid(1000)));
    assert_eq!(g["mtta"]["p50_seconds"].as_i64(), Some((acked - created + 500).div_euclid(1000)));
}

fn bad_parameters(c: &Ctx) {
    for (q, field) in [
        ("group_by=weekly", "group_by"),
        ("from=yesterday", "from"),
        ("from=2026-05-01&to=2026-04-01", "from"),
        ("from=2024-01-01&to=2026-01-01", "to"),
        ("tz=Mars%2FOlympus", "tz"),
    ] {
        for path in ["/api/metrics", "/api/metrics.csv", "/api/metrics/oncall-load"] {
            let r = c.admin().get(&format!("{path}?{q}"));
            assert_eq!((r.status, r.field()), (400, field), "{path}?{q}: {}", r.text);
        }
    }
    assert_eq!(c.admin().send("POST", "/api/metrics", Some(b"{}".to_vec()), &[]).status, 405);
    assert_eq!(Api::new(&c.inst.base).get("/api/metrics").status, 401);
    let observer = Person::add(c.admin(), &c.inst.base, "Olive", "observer");
    assert_eq!(observer.api.get("/api/metrics?group_by=team").status, 200, "observers read the metrics");
}

/// The SQL of a `pub const` in worker/src/db/metrics.rs (so the plan checked is the one run).
fn worker_sql(name: &str) -> String {
    let src = include_str!("../../worker/src/db/metrics.rs");
    let start = src.find(&format!("pub const {name}: &str = \"")).unwrap_or_else(|| panic!("{name} not in db/metrics.rs")) + name.len() + 20;
    src[start..].split("\";").next().unwrap().to_string()
}

fn query_plans(c: &Ctx) {
    let org = c.org();
    let (sid, _, _) = c.service(json!({}));
    let bind = |sql: &str, args: &[&str]| args.iter().enumerate().rev().fold(sql.to_string(), |s, (i, a)| s.replace(&format!("?{}", i + 1), a));
    let plan = |sql: String| -> Vec<String> { c.inst.d1(&format!("EXPLAIN QUERY PLAN {sql}")).iter().map(|r| r["detail"].as_str().unwrap().to_string()).collect() };
    let (from, to) = ((now_ms() - 365 * DAY).to_string(), now_ms().to_string());
    for service in [format!("'{sid}'"), "NULL".to_string()] {
        let p = plan(bind(&worker_sql("INCIDENTS_OF_SERVICE"), &[&format!("'{org}'"), &service, &from, &to]));
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(p[0].starts_with("SEARCH i USING COVERING INDEX incidents_metrics (org_id=? AND service_id=? AND created_at>? AND created_at<?)"), "{p:?}");
    }
    let p = plan(bind(&worker_sql("PAGES_BY_SLOT"), &[&format!("'{org}'"), &from, &to, "900000"]));
    assert!(p.iter().any(|d| d.starts_with("SEARCH o USING COVERING INDEX notification_outbox_org_created (org_id=? AND created_at>? AND created_at<?)")), "{p:?}");
    for d in &p {
        assert!(!d.contains("SCAN o") && !d.contains("SCAN notification_outbox") && !d.contains("SCAN incidents") && !d.contains("SCAN alerts"), "{p:?}");
    }
}

fn oncall_load(c: &Ctx) {
    let org = c.org();
    let ann = Person::add(c.admin(), &c.inst.base, "Ann", "responder");
    let ann_id = ann.id.clone();
    // A schedule with Ann on call all day, every day.
    let s = c.admin().post(
        "/api/schedules",
        json!({"name": unique("Rota"), "time_zone": "UTC", "layers": [{"name": "Ann", "participants": [ann_id], "start": "2025-01-01T00:00:00", "turn": {"type": "daily"}}]}),
    );
    assert_eq!(s.status, 201, "{}", s.text);
    // Pages at chosen instants (the API cannot backdate them): a Monday at 10:00 UTC (working
    // hours), the same Monday at 20:00 and the Saturday at 11:00 (after hours).
    let t0 = monday(40);
    let (incident, p) = (unique("pages").to_lowercase(), unique("o").to_lowercase());
    insert(c, &org, &incident, None, "SEV3", t0, (600, 600, 600, Some(601), Some(602)), false, None);
    for (n, at) in [(1, t0 + 10 * 60 * M), (2, t0 + 20 * 60 * M), (3, t0 + 5 * DAY + 11 * 60 * M)] {
        c.inst.d1(&format!(
            "INSERT INTO notification_outbox (id, org_id, incident_id, user_id, cycle, level, reason, created_at) VALUES ('{p}-{n}', '{org}', '{incident}', '{ann_id}', {n}, 1, 'test', {at})"
        ));
    }
    let r = c.admin().get(&format!("/api/metrics/oncall-load?from={}&to={}&tz=UTC", ms_rfc3339(t0), ms_rfc3339(t0 + 7 * DAY)));
    assert_eq!(r.status, 200, "{}", r.text);
    let me = r.json["people"].as_array().unwrap().iter().find(|p| p["user"]["id"] == ann_id.as_str()).unwrap_or_else(|| panic!("{}", r.text)).clone();
    assert_eq!((me["pages"].as_u64(), me["after_hours_pages"].as_u64()), (Some(3), Some(2)), "{me}");
    assert_eq!(me["hours_on_call"].as_f64(), Some(168.0), "{me}");
    assert_eq!(me["user"]["name"], ann.name.as_str());
}

fn insights_page(c: &Ctx) {
    // Incidents of one service 3 and 10 days ago: the default range (30 days) holds them.
    let org = c.org();
    let (sid, name, _) = c.service(json!({}));
    let p = unique("ins").to_lowercase();
    let day0 = now_ms().div_euclid(M) * M - 10 * DAY;
    insert(c, &org, &format!("{p}-1"), Some(&sid), "SEV2", day0, (0, 4, 4, Some(9), Some(64)), false, None);
    insert(c, &org, &format!("{p}-2"), Some(&sid), "SEV2", day0 + 7 * DAY, (0, 2, 2, Some(5), Some(32)), false, None);
    let b = Browser::phone();
    let origin = c.inst.base.trim_end_matches('/');
    b.goto(&format!("{origin}/"));
    b.find("#email").type_text(EMAIL);
    b.find("#password").type_text(PASSWORD);
    b.find("button[type=submit]").click();
    b.find("nav.tabbar");
    b.goto(&format!("{origin}/insights"));
    b.find_text("h1", "Insights", WAIT);
    assert!(b.try_find("nav.subnav a[aria-current=page]").is_some_and(|a| a.text() == "Insights"));
    // The trend chart: inline SVG with an accessible name.
    let chart = wait_for("the MTTR chart", WAIT, || b.try_find("svg.trend[role=img]").map(|_| ()));
    let _ = chart;
    let label = b.find("svg.trend[role=img]").attr("aria-label").unwrap_or_default();
    assert!(label.contains("MTTR"), "{label}");
    b.screenshot("insights-01-trends");
    // By service: the table row of ours, with the known numbers (MTTR 64 and 32 min: mean 48 min).
    b.find("#insights-group").click();
    b.script("const s = document.querySelector('#insights-group'); s.value = 'service'; s.dispatchEvent(new Event('change', {bubbles: true}));");
    let row = format!("table.metrics-table tr[data-key='{sid}']");
    wait_for("our service's row", WAIT, || b.try_find(&row).map(|_| ()));
    let text = b.find(&row).text();
    assert!(text.contains(&name), "{text}");
    let cells: Vec<String> = b.find_all(&format!("{row} td")).iter().map(|td| td.text()).collect();
    // Incidents, MTTA mean (5 and 3 min), MTTR mean (64 and 32 min), MTTR p90, MTTD mean (4 and 2 min).
    assert_eq!(cells[..5], ["2", "4m", "48m", "1h 4m", "3m"], "{cells:?}");
    b.script(&format!("document.querySelector(\"{row}\").scrollIntoView({{block: 'center'}})"));
    b.screenshot("insights-02-by-service");
}

fn main() {
    let ctx = Ctx { inst: Instance::start("metrics"), admin: OnceLock::new() };
    let tests: &[(&str, fn(&Ctx))] = &[
        ("a_history_with_known_answers", known_history),
        ("the_csv_parses_with_pythons_csv_module", csv),
        ("key_times_are_written_at_each_transition", key_times_at_each_transition),
        ("bad_parameters_are_400_naming_the_parameter", bad_parameters),
        ("the_metrics_reads_seek_indexes_and_scan_nothing", query_plans),
        ("oncall_load_counts_pages_after_hours_and_hours_on_call", oncall_load),
        ("the_insights_page_at_390x844", insights_page),
    ];
    run_suite(ctx, tests, |c| eprintln!("{}", c.inst.log()));
}
