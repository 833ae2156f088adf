//! `./tocsin bench-ingest [N] [C] [--mix classic|storm|storm-grouped] [--memory-events M] [--escalate-all]`:
//! alert ingestion under load. Starts a fresh local Tocsin (wrangler dev + D1), sends N events
//! (default 20 000) with C concurrent senders (default 32), then checks the stored state in D1
//! against what was sent: exactly the expected alerts and incidents, none lost, none doubled.
//!
//! Mixes: `classic` (default) — new alerts, duplicates and resolves across 4 services in 4
//! formats (generic, PagerDuty Events v2, Alertmanager, Opsgenie), each sender's alerts
//! round-robin; `storm` — the worst case: 50 % new alerts, 35 % exact duplicates, 15 % resolves,
//! interleaved all along the run, over 10 services whose grouping is `none` (every new alert
//! opens an incident, with its timeline rows and its escalation) in the same 4 formats;
//! `storm-grouped` — the same with the services grouping by a 10-minute time window (the paged
//! service 0 stays ungrouped, so each of its alerts still pages).
//!
//! The same run first measures the runtime's own ceiling: a no-op worker (a few lines of JS
//! answering 404) under the same pinned `wrangler dev`, with the same client, concurrency and
//! request bodies, the same behind assets routing, and a JS worker making one D1 write per
//! request (what any design that writes each event before answering costs at least); then
//! Tocsin's cheapest route (an unknown path). During a storm it also
//! measures alert → push request latency (service 0's policy pages a person with one device on a
//! local push service that keeps connections open as real ones do, or closes each after its
//! answer with `TOCSIN_RX_CLOSE=1`; `--escalate-all` gives the other 9 services a policy too), escalation lateness (level 2 due 60 s after each of service 0's
//! incidents opened), and the worker's wasm linear memory before and after
//! (`GET /api/admin/runtime`), after rendering a big incident (1 000 alerts grouped into one,
//! its detail read three times), and after M events in all when `--memory-events M` is given.

use serde_json::{json, Value};
use std::collections::HashMap;
use std::process::{Child, Stdio};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant, SystemTime};
use tocsin_tests::receiver::{Receiver, TestSubscription};
use tocsin_tests::{Api, Instance};

const FORMATS: [&str; 4] = ["generic", "pagerduty", "alertmanager", "opsgenie"];

#[derive(Clone, Copy, PartialEq)]
enum Mix {
    Classic,
    Storm,
    StormGrouped,
}

impl Mix {
    fn services(self) -> usize {
        if self == Mix::Classic { 4 } else { 10 }
    }
    fn name(self) -> &'static str {
        match self {
            Mix::Classic => "classic",
            Mix::Storm => "storm",
            Mix::StormGrouped => "storm-grouped",
        }
    }
}

/// One problem's life: fires, repeats `dups` times, and resolves when `resolves`.
struct Problem {
    service: usize,
    format: &'static str,
    key: String,
    dups: usize,
    resolves: bool,
}

impl Problem {
    fn events(&self) -> usize {
        1 + self.dups + usize::from(self.resolves)
    }
    fn action(&self, i: usize) -> &'static str {
        if self.resolves && i == self.events() - 1 { "resolve" } else { "trigger" }
    }
}

fn plan(n: usize, mix: Mix, prefix: &str) -> Vec<Problem> {
    let mut out = Vec::new();
    let mut total = 0;
    let mut i = 0;
    while total < n {
        let p = match mix {
            Mix::Classic => Problem { service: i % 4, format: FORMATS[(i / 4) % 4], key: format!("{prefix}-{i}"), dups: i % 4, resolves: i % 2 == 0 },
            // Per 10 problems: 10 new alerts, 7 repeats, 3 resolves (50 / 35 / 15 % of 20 events).
            // Service 0 is paged and speaks the generic format (its answer names the incident).
            _ => {
                let k = (i / 10) % 10;
                let service = i % 10;
                let format = if service == 0 { "generic" } else { FORMATS[(i / 10) % 4] };
                Problem { service, format, key: format!("{prefix}-{i}"), dups: usize::from(k < 7), resolves: matches!(k, 1 | 4 | 8) }
            }
        };
        let take = p.events().min(n - total);
        // Keep the plan exact: the last problem may be cut short (no resolve, fewer repeats).
        let p = Problem { dups: p.dups.min(take - 1), resolves: p.resolves && take == p.events(), ..p };
        total += p.events();
        out.push(p);
        i += 1;
    }
    out
}

/// The (problem, event index) pairs one sender sends, in order. Classic: round-robin across its
/// problems (all first events, then all second events, …). Storm: a problem's k-th event comes
/// 5·k places after its first, so new alerts, repeats and resolves stay mixed all along the run;
/// one alert's events stay in order either way.
fn schedule(problems: &[Problem], w: usize, c: usize, mix: Mix) -> Vec<(usize, usize)> {
    let mine: Vec<usize> = (w..problems.len()).step_by(c).collect();
    let mut out: Vec<(usize, usize, usize)> = Vec::new();
    for (j, &p) in mine.iter().enumerate() {
        for e in 0..problems[p].events() {
            let slot = if mix == Mix::Classic { e * mine.len() + j } else { j + 5 * e };
            out.push((slot, e, p));
        }
    }
    out.sort();
    out.into_iter().map(|(_, e, p)| (p, e)).collect()
}

/// (path, body, extra header) of one event.
fn request(p: &Problem, key: &str, action: &str) -> (String, Value, Option<(String, String)>) {
    let summary = format!("Load test {} on service {}", p.key, p.service);
    match (p.format, action) {
        ("generic", "trigger") => (format!("/webhooks/generic/{key}"), json!({"summary": summary, "severity": "error", "dedup_key": p.key}), None),
        ("generic", _) => (format!("/webhooks/generic/{key}"), json!({"summary": summary, "status": "resolved", "dedup_key": p.key}), None),
        ("pagerduty", "trigger") => ("/v2/enqueue".into(), json!({"routing_key": key, "event_action": "trigger", "dedup_key": p.key,
            "payload": {"summary": summary, "source": "bench", "severity": "warning"}}), None),
        ("pagerduty", _) => ("/v2/enqueue".into(), json!({"routing_key": key, "event_action": "resolve", "dedup_key": p.key}), None),
        ("alertmanager", a) => (format!("/webhooks/alertmanager/{key}"), json!({"version": "4", "status": if a == "trigger" { "firing" } else { "resolved" },
            "alerts": [{"status": if a == "trigger" { "firing" } else { "resolved" }, "fingerprint": p.key,
                "labels": {"alertname": "LoadTest", "instance": p.key, "severity": "critical"}, "annotations": {"summary": summary},
                "startsAt": "2026-11-24T10:00:00Z", "endsAt": "0001-01-01T00:00:00Z"}]}), None),
        ("opsgenie", "trigger") => ("/v2/alerts".into(), json!({"message": format!("Load test {}", p.key), "alias": p.key, "priority": "P2"}),
            Some(("Authorization".into(), format!("GenieKey {key}")))),
        (_, _) => (format!("/v2/alerts/{}/close?identifierType=alias", p.key), json!({}), Some(("Authorization".into(), format!("GenieKey {key}")))),
    }
}

/// What a load run measured.
#[derive(Default)]
struct Run {
    lat: Vec<f64>,
    wall: f64,
    failures: Vec<String>,
    /// Incidents service 0's new alerts opened: id → (when its event was sent, whether it resolves,
    /// how long its answer took in ms).
    opened: HashMap<String, (Instant, bool, f64)>,
    /// Answer latency (ms) by kind of event: a new alert of the paged service 0, a new alert of
    /// another service, a repeat, a resolve.
    kinds: [Vec<f64>; 4],
}

impl Run {
    fn rate(&self) -> f64 {
        self.lat.len() as f64 / self.wall
    }
    fn p(&self, q: f64) -> f64 {
        pct(&self.lat, q)
    }
}

/// Sends the problems' events to `base` with `c` senders (each owns the problems i ≡ w mod c),
/// at most `limit` events in all; `path_override` sends every body to that path instead (the
/// no-op and unknown-path runs, where any answer counts as done).
fn load(base: &str, problems: &Arc<Vec<Problem>>, keys: &Arc<Vec<String>>, c: usize, mix: Mix, limit: usize, path_override: Option<&str>) -> Run {
    let total: usize = problems.iter().map(Problem::events).sum();
    let per = if limit >= total { usize::MAX } else { limit.div_ceil(c) };
    let start = Instant::now();
    let handles: Vec<_> = (0..c)
        .map(|w| {
            let (problems, keys, base, over) = (problems.clone(), keys.clone(), base.to_string(), path_override.map(str::to_string));
            std::thread::spawn(move || {
                let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
                let mut run = Run::default();
                for (pi, e) in schedule(&problems, w, c, mix).into_iter().take(per) {
                    let p = &problems[pi];
                    let (path, body, header) = request(p, &keys[p.service], p.action(e));
                    let path = over.clone().unwrap_or(path);
                    let mut req = agent.post(format!("{base}{path}")).header("Content-Type", "application/json");
                    if let Some((k, v)) = &header {
                        req = req.header(k.as_str(), v.as_str());
                    }
                    let t = Instant::now();
                    let resp = req.send(body.to_string());
                    let ms = t.elapsed().as_secs_f64() * 1000.0;
                    run.lat.push(ms);
                    let kind = match (e, p.action(e)) {
                        (0, _) if p.service == 0 => 0,
                        (0, _) => 1,
                        (_, "trigger") => 2,
                        _ => 3,
                    };
                    run.kinds[kind].push(ms);
                    match resp {
                        Ok(_) if over.is_some() => {}
                        Ok(mut r) if (200..300).contains(&r.status().as_u16()) => {
                            if p.service == 0 && mix != Mix::Classic && e == 0 {
                                let v: Value = r.body_mut().read_json().unwrap_or(Value::Null);
                                if let (Some(id), "opened") = (v["incident_id"].as_str(), v["result"].as_str().unwrap_or("")) {
                                    run.opened.insert(id.to_string(), (t, p.resolves, ms));
                                }
                            }
                        }
                        Ok(r) => run.failures.push(format!("{path}: {}", r.status())),
                        Err(e) => run.failures.push(format!("{path}: {e}")),
                    }
                }
                run
            })
        })
        .collect();
    let mut all = Run::default();
    for h in handles {
        let r = h.join().unwrap();
        all.lat.extend(r.lat);
        all.failures.extend(r.failures);
        all.opened.extend(r.opened);
        for (k, v) in all.kinds.iter_mut().zip(r.kinds) {
            k.extend(v);
        }
    }
    for k in &mut all.kinds {
        k.sort_by(|a, b| a.partial_cmp(b).unwrap());
    }
    all.wall = start.elapsed().as_secs_f64();
    all.lat.sort_by(|a, b| a.partial_cmp(b).unwrap());
    all
}

/// A big incident: `n` distinct alerts sent by `c` senders to a new service that groups them all
/// into one incident, then its detail (every alert with its received events) read three times as
/// the app reads it. Returns the incident's id, how many alerts the detail held and its size.
fn big_incident(base: &str, admin: &Api, n: usize, c: usize) -> (String, usize, usize) {
    let r = admin.post("/api/services", json!({"name": "Big incident", "grouping": {"type": "time_window", "minutes": 60}}));
    assert_eq!(r.status, 201, "{}", r.text);
    let key = r.json["integration_key"].as_str().unwrap().to_string();
    // The first alert opens the incident alone: concurrent first alerts of a time-window group
    // each open their own incident (nothing guards the group in the opening batch; see README).
    let send = |agent: &ureq::Agent, i: usize| -> Option<String> {
        let body = json!({"summary": format!("Big incident part {i}: disk full on node-{i}"), "severity": "error", "dedup_key": format!("big-{i}")});
        let mut r = agent.post(format!("{base}/webhooks/generic/{key}")).header("Content-Type", "application/json").send(body.to_string()).expect("sending a big incident's alert");
        assert!((200..300).contains(&r.status().as_u16()), "big incident alert {i}: {}", r.status());
        let v: Value = r.body_mut().read_json().unwrap_or(Value::Null);
        v["incident_id"].as_str().map(str::to_string)
    };
    let first = send(&ureq::Agent::config_builder().http_status_as_error(false).build().into(), 0);
    let mut ids: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..c)
            .map(|w| {
                let send = &send;
                scope.spawn(move || {
                    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
                    (1 + w..n).step_by(c).filter_map(|i| send(&agent, i)).collect::<Vec<_>>()
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap()).chain(first).collect()
    });
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 1, "the big incident's alerts were grouped into {} incidents", ids.len());
    let id = ids.remove(0);
    let mut shown = (0, 0);
    for _ in 0..3 {
        let r = admin.get(&format!("/api/incidents/{id}"));
        assert_eq!(r.status, 200, "{}", r.text);
        shown = (r.json["alerts"].as_array().map_or(0, Vec::len), r.text.len());
    }
    (id, shown.0, shown.1)
}

fn pct(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 - 1.0) * q).round() as usize]
}

fn d1(inst: &Instance, sql: &str) -> Value {
    inst.d1(sql).into_iter().next().unwrap_or(Value::Null)
}

fn now_ms() -> i64 {
    SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap().as_millis() as i64
}

/// CPU seconds used so far by the threads of process group `pgid` (wrangler's node and its
/// workerd), by process and thread name, and by this process (the load generator), from /proc.
fn cpu(pgid: u32) -> HashMap<String, f64> {
    let ticks = 100.0; // USER_HZ
    let mut out: HashMap<String, f64> = HashMap::new();
    let read = |path: &std::path::Path| -> Option<(String, u32, f64)> {
        let text = std::fs::read_to_string(path).ok()?;
        let (head, rest) = text.rsplit_once(')')?;
        let name = head.split_once('(')?.1.to_string();
        let f: Vec<&str> = rest.split_whitespace().collect();
        let t = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
        Some((name, f.get(2)?.parse().ok()?, t / ticks))
    };
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        if let Some((name, _, _)) = read(&entry.path().join("stat")).filter(|(_, g, _)| *g == pgid) {
            // Per thread (named by the runtime), so the busiest thread shows.
            let pid = entry.file_name().to_string_lossy().into_owned();
            for task in std::fs::read_dir(entry.path().join("task")).into_iter().flatten().flatten() {
                if let Some((thread, _, secs)) = read(&task.path().join("stat")) {
                    *out.entry(format!("{name}[{pid}] {thread}")).or_default() += secs;
                }
            }
        }
    }
    if let Some((_, _, secs)) = read(std::path::Path::new("/proc/self/stat")) {
        out.insert("load generator".into(), secs);
    }
    out
}

/// What each process spent between two [`cpu`] samples, per event, as one line.
fn cpu_line(before: &HashMap<String, f64>, after: &HashMap<String, f64>, events: usize, wall: f64) -> String {
    let mut parts: Vec<(String, f64)> = after.iter().map(|(k, v)| (k.clone(), v - before.get(k).copied().unwrap_or(0.0))).filter(|(_, d)| *d > 0.0).collect();
    parts.sort_by(|a, b| b.1.partial_cmp(&a.1).unwrap());
    parts
        .iter()
        .take(6)
        .map(|(k, d)| format!("{k} {d:.1} s ({:.0} % of a core, {:.2} ms/event)", 100.0 * d / wall, 1000.0 * d / events as f64))
        .collect::<Vec<_>>()
        .join("; ")
}

/// The no-op worker: `wrangler dev` (the same pinned wrangler and workerd as Tocsin's) serving
/// a few lines of JS that answer 404 to everything; or, as [`Reference::D1Write`], the least any
/// design that writes each event before answering it can do: a few lines of JS making one local
/// D1 round trip (one insert) per request.
struct Noop {
    base: String,
    dir: std::path::PathBuf,
    child: Child,
}

/// Which reference worker [`Noop::start`] runs.
#[derive(Clone, Copy, PartialEq)]
enum Reference {
    /// Answers 404 to everything: the runtime's own ceiling.
    NoOp,
    /// The same behind static assets with `run_worker_first`, as Tocsin's `wrangler.toml` has
    /// (wrangler then routes every request through its asset router first).
    BehindAssets,
    /// Inserts one row into a local D1 table per request (one round trip), then answers 404.
    D1Write,
}

/// The reference worker with a D1 binding: the table is made by the readiness probe and the
/// warm-up requests (every path but the measured one).
const D1_WRITE_JS: &str = "export default {\n  async fetch(request, env) {\n    if (new URL(request.url).pathname !== \"/v2/not-here\") await env.DB.exec(\"CREATE TABLE IF NOT EXISTS e (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)\");\n    await env.DB.prepare(\"INSERT INTO e (n) VALUES (?1)\").bind(Number(request.headers.get(\"content-length\") || 0)).run();\n    return new Response(\"not found\", { status: 404 });\n  },\n};\n";

impl Noop {
    fn start(reference: Reference) -> Noop {
        let port = tocsin_tests::free_port();
        let dir = std::env::temp_dir().join(format!("tocsin-noop-{}-{port}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let js = if reference == Reference::D1Write { D1_WRITE_JS } else { "export default {\n  async fetch() {\n    return new Response(\"not found\", { status: 404 });\n  },\n};\n" };
        std::fs::write(dir.join("noop.js"), js).unwrap();
        let mut config = "name = \"noop\"\nmain = \"noop.js\"\ncompatibility_date = \"2026-11-01\"\n".to_string();
        if reference == Reference::D1Write {
            config.push_str("\n[[d1_databases]]\nbinding = \"DB\"\ndatabase_name = \"noop\"\ndatabase_id = \"00000000-0000-0000-0000-000000000000\"\n");
        }
        if reference == Reference::BehindAssets {
            std::fs::create_dir_all(dir.join("public")).unwrap();
            std::fs::write(dir.join("public/index.html"), "<!doctype html><title>noop</title>").unwrap();
            config.push_str("\n[assets]\ndirectory = \"public\"\nnot_found_handling = \"single-page-application\"\nrun_worker_first = [\"/v2/*\", \"/webhooks/*\"]\n");
        }
        std::fs::write(dir.join("wrangler.toml"), config).unwrap();
        let log = std::fs::File::create(dir.join("wrangler.log")).unwrap();
        let mut cmd = tocsin_tests::instance::wrangler(&dir);
        cmd.current_dir(&dir)
            .args(["dev", "--ip", "127.0.0.1", "--port", &port.to_string(), "--persist-to"])
            .arg(dir.join("state"))
            .args(["--show-interactive-dev-session=false", "--log-level", "warn"])
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log);
        {
            use std::os::unix::process::CommandExt;
            cmd.process_group(0);
        }
        let child = cmd.spawn().expect("start wrangler dev for the no-op worker");
        let base = format!("http://127.0.0.1:{port}");
        let agent = tocsin_tests::http::agent(false);
        let probe = format!("{base}/v2/ready");
        tocsin_tests::wait_for("the no-op worker to answer", Duration::from_secs(60), || agent.get(&probe).call().ok().filter(|r| r.status() == 404));
        Noop { base, dir, child }
    }
}

impl Drop for Noop {
    fn drop(&mut self) {
        let pid = self.child.id() as i32;
        let _ = std::process::Command::new("kill").args(["-TERM", "--", &format!("-{pid}")]).status();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The answering isolate's wasm linear memory, in MB.
fn wasm_mb(admin: &Api) -> f64 {
    admin.get("/api/admin/runtime").json["wasm_memory_bytes"].as_f64().unwrap_or(f64::NAN) / 1_048_576.0
}

/// The answering isolate's D1 round trips and statements so far (one isolate under `wrangler dev`).
fn d1_calls(admin: &Api) -> (f64, f64) {
    let r = admin.get("/api/admin/runtime").json;
    (r["d1_round_trips"].as_f64().unwrap_or(f64::NAN), r["d1_statements"].as_f64().unwrap_or(f64::NAN))
}

/// Paging for the storm: service 0's policy pages the admin's one device at once (level 1)
/// and a second person a minute later (level 2). With `escalate_all`, the other services'
/// policy pages the second person (who has no device) at once too: every new alert then also
/// runs its first escalation step.
struct Paging {
    rx: Receiver,
    sub: TestSubscription,
    level2_user: String,
}

fn set_up_paging(admin: &Api, service_ids: &[String], escalate_all: bool) -> Paging {
    // The local push service keeps connections open, as real ones do (FCM, APNs and Mozilla's
    // autopush all reuse them); `TOCSIN_RX_CLOSE=1` closes each after its answer instead (a TCP
    // handshake per message, the benches' behaviour before 2026-12-05's fourth stop).
    let rx = Receiver::for_bench();
    let other = admin.post("/api/users", json!({"email": "l2@example.com", "name": "Level Two", "role": "responder", "password": "level two password"}));
    let level2_user = other.json["user"]["id"].as_str().unwrap().to_string();
    let me = admin.get("/api/me").json["user"]["id"].as_str().unwrap().to_string();
    let paged = admin.post("/api/escalation-policies", json!({"name": "paged", "repeats": 0, "levels": [
        {"targets": [{"type": "user", "id": me}], "delay_minutes": 1},
        {"targets": [{"type": "user", "id": level2_user}], "delay_minutes": 1}]}));
    let quiet = admin.post("/api/escalation-policies", json!({"name": "quiet", "repeats": 0, "levels": [
        {"targets": [{"type": "user", "id": level2_user}], "delay_minutes": 30}]}));
    for (i, sid) in service_ids.iter().enumerate().take(if escalate_all { service_ids.len() } else { 1 }) {
        let policy = if i == 0 { &paged.json["id"] } else { &quiet.json["id"] };
        let r = admin.send("PUT", &format!("/api/services/{sid}/escalation-policy"), Some(json!({"policy_id": policy}).to_string().into_bytes()), &[]);
        assert_eq!(r.status, 200, "{}", r.text);
    }
    let sub = TestSubscription::new(&rx, "storm");
    assert_eq!(admin.post("/api/push/subscriptions", sub.json("storm phone")).status, 201);
    Paging { rx, sub, level2_user }
}

/// Alert → push request for each incident service 0's new alerts opened (ms, sorted), and the
/// push request's time after the alert's own answer (ms, sorted; negative when it came first).
fn push_latency(paging: &Paging, run: &Run) -> (Vec<f64>, Vec<f64>) {
    let got = paging.rx.wait_for(&paging.sub.path, run.opened.len(), Duration::from_secs(180));
    let mut first: HashMap<String, Instant> = HashMap::new();
    for r in &got {
        let p = paging.sub.decrypt(r);
        if let Some(id) = p["incident_id"].as_str() {
            first.entry(id.to_string()).or_insert(r.at);
        }
    }
    let since = |at: &Instant, sent: &Instant| at.duration_since(*sent).as_secs_f64() * 1000.0;
    let mut lat: Vec<f64> = run.opened.iter().filter_map(|(id, (sent, _, _))| first.get(id).map(|at| since(at, sent))).collect();
    let mut after: Vec<f64> = run.opened.iter().filter_map(|(id, (sent, _, answered))| first.get(id).map(|at| since(at, sent) - answered)).collect();
    lat.sort_by(|a, b| a.partial_cmp(b).unwrap());
    after.sort_by(|a, b| a.partial_cmp(b).unwrap());
    (lat, after)
}

/// Level-2 lateness (s) of service 0's incidents whose level 2 fell due during the storm and
/// that stayed open; and how many of those never got their level 2.
fn escalation_lateness(inst: &Instance, paging: &Paging, service_0: &str, run: &Run, storm_end_ms: i64) -> (Vec<f64>, usize) {
    let rows = inst.d1(&format!(
        "SELECT i.id, i.created_at AS opened, (SELECT MIN(n.created_at) FROM notification_outbox n WHERE n.incident_id = i.id AND n.user_id = '{}') AS l2
         FROM incidents i WHERE i.service_id = '{service_0}' AND i.status != 'resolved'",
        paging.level2_user
    ));
    let (mut late, mut missing) = (Vec::new(), 0);
    for r in rows {
        let Some((_, resolves, _)) = r["id"].as_str().and_then(|id| run.opened.get(id)) else { continue };
        let due = r["opened"].as_i64().unwrap_or(0) + 60_000;
        if *resolves || due > storm_end_ms {
            continue;
        }
        match r["l2"].as_i64() {
            Some(at) => late.push((at - due) as f64 / 1000.0),
            None => missing += 1,
        }
    }
    late.sort_by(|a, b| a.partial_cmp(b).unwrap());
    (late, missing)
}

/// Concurrent copies of new alerts: `k` alerts, each sent by 4 senders at the same moment.
/// Returns (alerts stored, events counted) for them: exact is (k, 4k).
fn copies(inst: &Instance, key: &str, k: usize) -> (u64, u64) {
    for i in 0..k {
        let barrier = Arc::new(Barrier::new(4));
        let hs: Vec<_> = (0..4)
            .map(|_| {
                let (b, base, key) = (barrier.clone(), inst.base.clone(), key.to_string());
                std::thread::spawn(move || {
                    let api = Api::new(&base);
                    b.wait();
                    api.post(&format!("/webhooks/generic/{key}"), json!({"summary": "copy", "severity": "error", "dedup_key": format!("copy-{i}")})).status
                })
            })
            .collect();
        for h in hs {
            assert_eq!(h.join().unwrap(), 202);
        }
    }
    let got = d1(inst, "SELECT COUNT(*) AS alerts, COALESCE(SUM(event_count), 0) AS events FROM alerts WHERE dedup_key LIKE 'copy-%'");
    (got["alerts"].as_u64().unwrap_or(0), got["events"].as_u64().unwrap_or(0))
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flag = |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned();
    let positional: Vec<usize> = args.iter().enumerate().filter(|(i, _)| *i == 0 || !args[i - 1].starts_with("--")).filter_map(|(_, a)| a.parse().ok()).collect();
    let n = positional.first().copied().unwrap_or(20_000);
    let c = positional.get(1).copied().unwrap_or(32);
    let mix = match flag("--mix").as_deref() {
        None | Some("classic") => Mix::Classic,
        Some("storm") => Mix::Storm,
        Some("storm-grouped") => Mix::StormGrouped,
        Some(other) => panic!("--mix {other}: use classic, storm or storm-grouped"),
    };
    let escalate_all = args.iter().any(|a| a == "--escalate-all");
    let memory_events: Option<usize> = flag("--memory-events").and_then(|m| m.parse().ok());
    let problems = Arc::new(plan(n, mix, "problem"));
    let ceiling_n = n.min(10_000);
    println!("ingestion benchmark ({}): {n} events, {c} concurrent senders, {} problems, {} services × 4 formats", mix.name(), problems.len(), mix.services());

    // 1. The runtime's ceiling: the no-op worker, same client, same concurrency, same bodies.
    let dummy_keys = Arc::new(vec!["0".repeat(32); mix.services()]);
    let noop_run = |reference: Reference| {
        let noop = Noop::start(reference);
        load(&noop.base, &problems, &dummy_keys, c, mix, ceiling_n.min(1_000), Some("/v2/warm-up"));
        let before = cpu(noop.child.id());
        let run = load(&noop.base, &problems, &dummy_keys, c, mix, ceiling_n, Some("/v2/not-here"));
        println!(
            "{:<25}{:>6} requests in {:>6.2} s: {:>5.0} req/s; p50 {:>6.1} ms, p99 {:>6.1} ms",
            match reference {
                Reference::NoOp => "no-op worker (404):",
                Reference::BehindAssets => "no-op behind assets:",
                Reference::D1Write => "JS, one D1 write each:",
            },
            run.lat.len(),
            run.wall,
            run.rate(),
            run.p(0.5),
            run.p(0.99)
        );
        println!("  CPU: {}", cpu_line(&before, &cpu(noop.child.id()), run.lat.len(), run.wall));
        run
    };
    let ceiling = noop_run(Reference::NoOp);
    let behind_assets = noop_run(Reference::BehindAssets);
    let d1_write = noop_run(Reference::D1Write);

    let inst = Instance::start("ingest-bench");
    let admin = Api::setup(&inst.base, "Bench", "b@example.com", "benchmark password", "B");
    let grouping = if mix == Mix::StormGrouped { json!({"type": "time_window", "minutes": 10}) } else { json!({"type": "none"}) };
    let services: Vec<Value> = (0..mix.services())
        .map(|s| {
            let g = if s == 0 && mix != Mix::Classic { json!({"type": "none"}) } else { grouping.clone() };
            let r = admin.post("/api/services", json!({"name": format!("Service {s}"), "grouping": g}));
            assert_eq!(r.status, 201, "{}", r.text);
            r.json
        })
        .collect();
    let keys: Arc<Vec<String>> = Arc::new(services.iter().map(|s| s["integration_key"].as_str().unwrap().to_string()).collect());
    let ids: Vec<String> = services.iter().map(|s| s["id"].as_str().unwrap().to_string()).collect();
    let paging = (mix != Mix::Classic).then(|| set_up_paging(&admin, &ids, escalate_all));

    // 2. Tocsin's cheapest route: an unknown path (404 from the worker, no D1).
    load(&inst.base, &problems, &keys, c, mix, ceiling_n.min(1_000), Some("/v2/not-here"));
    let floor = load(&inst.base, &problems, &keys, c, mix, ceiling_n, Some("/v2/not-here"));
    println!("Tocsin unknown path:     {:>6} requests in {:>6.2} s: {:>5.0} req/s; p50 {:>6.1} ms, p99 {:>6.1} ms", floor.lat.len(), floor.wall, floor.rate(), floor.p(0.5), floor.p(0.99));

    // 3. The mix itself.
    let mem_before = wasm_mb(&admin);
    let d1_before = d1_calls(&admin);
    let cpu_before = cpu(inst.pid());
    let run = load(&inst.base, &problems, &keys, c, mix, n, None);
    let storm_end_ms = now_ms();
    let cpu_run = cpu_line(&cpu_before, &cpu(inst.pid()), run.lat.len(), run.wall);
    let mem_after = wasm_mb(&admin);
    println!(
        "Tocsin {:<16} {:>6} events   in {:>6.2} s: {:>5.0} ev/s;  p50 {:>6.1} ms, p99 {:>6.1} ms, max {:.1} ms; {} non-2xx",
        format!("{}:", mix.name()),
        run.lat.len(),
        run.wall,
        run.rate(),
        run.p(0.5),
        run.p(0.99),
        run.p(1.0),
        run.failures.len()
    );
    println!("  CPU: {cpu_run}");
    for f in run.failures.iter().take(5) {
        println!("  failed: {f}");
    }
    std::thread::sleep(Duration::from_millis(200));
    // Work after the responses (deliveries, live records, the escalation clock) counts too: it
    // has settled once two readings a second apart agree.
    let mut d1_after = d1_calls(&admin);
    for _ in 0..30 {
        std::thread::sleep(Duration::from_secs(1));
        let again = d1_calls(&admin);
        if again.0 - d1_after.0 <= 2.0 {
            break;
        }
        d1_after = again;
    }
    let per_event = |i: usize, before: (f64, f64)| {
        let (a, b) = (if i == 0 { d1_after.0 } else { d1_after.1 }, if i == 0 { before.0 } else { before.1 });
        (a - b) / run.lat.len() as f64
    };
    let d1_line = format!("{:.2} round trips, {:.2} statements", per_event(0, d1_before), per_event(1, d1_before));
    println!("  D1 per event: {d1_line}; most sent (since start, whole isolate):");
    for top in admin.get("/api/admin/runtime").json["d1_top"].as_array().into_iter().flatten().take(12) {
        println!("    {:>7}  {}", top["round_trips"], top["sql"].as_str().unwrap_or(""));
    }

    // 4. The stored state, read straight from D1.
    let want_alerts = problems.len();
    let want_resolved = problems.iter().filter(|p| p.resolves).count();
    let want_repeats: usize = problems.iter().map(|p| p.dups).sum();
    let got = d1(
        &inst,
        "SELECT (SELECT COUNT(*) FROM alerts) AS alerts, (SELECT COUNT(*) FROM incidents) AS incidents,
                (SELECT COUNT(*) FROM alerts WHERE status = 'resolved') AS resolved_alerts,
                (SELECT COUNT(*) FROM incidents WHERE status = 'resolved') AS resolved_incidents,
                (SELECT COALESCE(SUM(event_count - 1), 0) FROM alerts) AS repeats,
                (SELECT COUNT(*) FROM (SELECT service_id, dedup_key FROM alerts GROUP BY service_id, dedup_key HAVING COUNT(*) > 1)) AS doubled,
                (SELECT COUNT(*) FROM alerts a WHERE NOT EXISTS (SELECT 1 FROM incidents i WHERE i.id = a.incident_id)) AS orphans,
                (SELECT COUNT(*) FROM alert_events) AS event_rows, (SELECT COUNT(*) FROM timeline) AS timeline_rows,
                (SELECT COUNT(*) FROM incident_escalations) AS escalations,
                (SELECT COUNT(*) FROM alert_events WHERE vendor = 'opsgenie') AS opsgenie_requests",
    );
    println!("D1 rows: {got}");
    let mut checks = vec![
        ("alerts", got["alerts"].as_u64(), want_alerts),
        ("resolved alerts", got["resolved_alerts"].as_u64(), want_resolved),
        ("repeats counted", got["repeats"].as_u64(), want_repeats),
        ("doubled alerts", got["doubled"].as_u64(), 0),
        ("alerts w/o incident", got["orphans"].as_u64(), 0),
        ("event log rows", got["event_rows"].as_u64(), n),
    ];
    if mix != Mix::StormGrouped {
        checks.push(("incidents", got["incidents"].as_u64(), want_alerts));
        checks.push(("resolved incidents", got["resolved_incidents"].as_u64(), want_resolved));
    }
    if mix == Mix::Storm {
        let escalated = if escalate_all { want_alerts } else { problems.iter().filter(|p| p.service == 0).count() };
        checks.push(("escalations started", got["escalations"].as_u64(), escalated));
    }
    let mut exact = run.failures.is_empty();
    for (what, got, want) in checks {
        let ok = got == Some(want as u64);
        exact &= ok;
        println!("  {:<20} stored {:>7}  expected {:>7}  {}", what, got.map(|g| g.to_string()).unwrap_or("?".into()), want, if ok { "ok" } else { "MISMATCH" });
    }
    let (copy_alerts, copy_events) = copies(&inst, &keys[1], 50);
    let ok = (copy_alerts, copy_events) == (50, 200);
    exact &= ok;
    println!("  {:<20} stored {:>7}  expected {:>7}  {} ({copy_events} events counted, expected 200)", "concurrent copies", copy_alerts, 50, if ok { "ok" } else { "MISMATCH" });
    println!("stored state: {}", if exact { "EXACT" } else { "NOT EXACT" });

    // 5. Paging during the storm.
    let (mut push, mut push_after) = (Vec::new(), Vec::new());
    let mut late = (Vec::new(), 0);
    if let Some(paging) = &paging {
        (push, push_after) = push_latency(paging, &run);
        late = escalation_lateness(&inst, paging, &ids[0], &run, storm_end_ms);
    }

    // 6. Memory after rendering a big incident (1 000 alerts in one).
    let (big_id, big_alerts, big_bytes) = big_incident(&inst.base, &admin, 1_000, c);
    let mem_big = wasm_mb(&admin);

    // 7. Memory after more events in all.
    let mut mem_more = None;
    if let Some(m) = memory_events.filter(|m| *m > n) {
        let more = Arc::new(plan(m - n, mix, "more"));
        let r = load(&inst.base, &more, &keys, c, mix, m - n, None);
        mem_more = Some((m, wasm_mb(&admin), r.rate(), r.failures.len()));
    }

    // The table.
    let p99_target = 100f64.max(1.5 * ceiling.p(0.99));
    let ratio = run.rate() / ceiling.rate();
    println!();
    println!("{:<44} {}", "figure", "value");
    println!("{:<44} {:.0} req/s, p99 {:.1} ms", "no-op worker ceiling (same wrangler dev)", ceiling.rate(), ceiling.p(0.99));
    // Each reference as a share of the ceiling: what any design pays before its own work.
    for (name, r) in [("no-op worker behind assets routing", &behind_assets), ("Tocsin unknown path (404, no D1)", &floor), ("JS worker, one D1 write per request", &d1_write)] {
        println!("{:<44} {:.0} req/s, p99 {:.1} ms: {:.0} % of the ceiling", name, r.rate(), r.p(0.99), 100.0 * r.rate() / ceiling.rate());
    }
    println!("{:<44} {:.0} events/s, p50 {:.1} ms, p99 {:.1} ms", format!("Tocsin {} ingestion", mix.name()), run.rate(), run.p(0.5), run.p(0.99));
    if mix != Mix::Classic {
        for (name, k) in ["new alert, paged (service 0)", "new alert, other service", "repeat", "resolve"].iter().zip(&run.kinds) {
            println!("{:<44} n={} p50 {:.1} ms, p95 {:.1} ms", format!("  answered: {name}"), k.len(), pct(k, 0.5), pct(k, 0.95));
        }
    }
    println!("{:<44} {:.0} %  (target ≥ 75 %)", "ingestion / ceiling", ratio * 100.0);
    println!("{:<44} {:.1} ms (target ≤ {:.1} ms: {})", "ingestion p99", run.p(0.99), p99_target, if run.p(0.99) <= p99_target { "met" } else { "missed" });
    if let Some(p) = &paging {
        println!("{:<44} n={} p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms (target p95 ≤ 250 ms)", "alert → push request during the run", push.len(), pct(&push, 0.5), pct(&push, 0.95), pct(&push, 1.0));
        println!("{:<44} p50 {:.1} ms, p95 {:.1} ms", "  push request after the alert's own answer", pct(&push_after, 0.5), pct(&push_after, 0.95));
        println!("{:<44} {}", "  local push service", p.rx.connection_policy());
        if late.0.is_empty() {
            println!("{:<44} not measured: no level 2 fell due during the run (shorter than 60 s?)", "escalation lateness during the run");
        } else {
            println!("{:<44} n={} p50 {:.2} s, p95 {:.2} s, max {:.2} s; {} never fired (target ≤ 1 s)", "escalation lateness during the run", late.0.len(), pct(&late.0, 0.5), pct(&late.0, 0.95), pct(&late.0, 1.0), late.1);
        }
    }
    println!("{:<44} {d1_line} (the answering isolate, work after responses included)", "D1 per event");
    println!("{:<44} before {:.1} MB, after {:.1} MB (target < 32 MB)", "wasm linear memory", mem_before, mem_after);
    println!("{:<44} {:.1} MB (incident {big_id}: {big_alerts} alerts, detail {} KB, read 3 times)", "wasm linear memory after a big incident", mem_big, big_bytes / 1024);
    if let Some((m, mb, rate, failed)) = mem_more {
        println!("{:<44} {:.1} MB ({} → {} events: {:.0} events/s, {failed} non-2xx)", format!("wasm linear memory after {m} events"), mb, n, m, rate);
    }
    println!("{:<44} {}", "stored state", if exact { "EXACT" } else { "NOT EXACT" });
    drop(inst);
    std::process::exit(if exact { 0 } else { 1 });
}
