//! `./tocsin bench-soak [SECONDS] [C]`: a soak of the ingestion path. Starts a fresh local
//! Tocsin (wrangler dev + D1) with five services — generic JSON, PagerDuty Events v2, Opsgenie,
//! Alertmanager and Grafana — each with an escalation policy, then for SECONDS (default 600)
//! C senders (default 16) alternate quiet phases (about one request per sender per second) and
//! bursts (as fast as the server answers). Each sender owns a set of problems (dedup keys) and
//! moves them through their lives: trigger, repeats, acknowledge and resolve — from the vendor's
//! side (PagerDuty/Opsgenie acknowledge, every format's resolve) and through the REST API as a
//! responder with an API token. 20 % of the sends are retries of the key's previous request
//! (same payload), some requests go out as 2–4 identical copies at the same instant, and the
//! scheduled handler (cron) is fired every 5 s with the real clock.
//!
//! The bench keeps its own model of what must exist — every alert of every key in order, firing
//! or resolved, its repeat count, its incident's status — and at the end compares it with D1
//! (every alert row) and the API (every open incident). The workerd process's RSS is sampled
//! every 10 s. It prints tables and exits non-zero when any alert is lost, doubled or in the wrong
//! state, or when any request got a 5xx, a 429, another unexpected status or no answer.

use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};
use tocsin_tests::{Api, Instance};

/// The per-key limit the instance runs with: far above what the bench can send, so every 429
/// would be a bug (the default, 12 000 a minute per key, can be reached in a burst locally).
const RATE_LIMIT: &str = "100000000";
const QUIET_SECS: u64 = 12;
const BURST_SECS: u64 = 8;
const RETRY_SHARE: f64 = 0.20;
const COPIES_CHANCE: f64 = 0.08;
const CRON_EVERY: Duration = Duration::from_secs(5);
const RSS_EVERY: Duration = Duration::from_secs(10);
/// Problems (dedup keys) per sender; with the default 16 senders, ~38 per service.
const KEYS_PER_SENDER: usize = 12;

/// Alert events sent so far (for the progress lines).
static SENT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Format {
    Generic,
    PagerDuty,
    Opsgenie,
    Alertmanager,
    Grafana,
}

const FORMATS: [Format; 5] = [Format::Generic, Format::PagerDuty, Format::Opsgenie, Format::Alertmanager, Format::Grafana];

impl Format {
    fn name(self) -> &'static str {
        match self {
            Format::Generic => "generic",
            Format::PagerDuty => "pagerduty",
            Format::Opsgenie => "opsgenie",
            Format::Alertmanager => "alertmanager",
            Format::Grafana => "grafana",
        }
    }
    /// Whether the vendor's own API can acknowledge.
    fn vendor_ack(self) -> bool {
        matches!(self, Format::PagerDuty | Format::Opsgenie)
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Kind {
    TriggerNew,
    TriggerRepeat,
    AckVendor,
    AckRest,
    ResolveVendor,
    ResolveRest,
    Lookup,
    Cron,
}

const KINDS: [Kind; 8] = [Kind::TriggerNew, Kind::TriggerRepeat, Kind::AckVendor, Kind::AckRest, Kind::ResolveVendor, Kind::ResolveRest, Kind::Lookup, Kind::Cron];

impl Kind {
    fn label(self) -> &'static str {
        match self {
            Kind::TriggerNew => "trigger, new alert",
            Kind::TriggerRepeat => "trigger, repeat",
            Kind::AckVendor => "acknowledge, vendor",
            Kind::AckRest => "acknowledge, REST",
            Kind::ResolveVendor => "resolve, vendor",
            Kind::ResolveRest => "resolve, REST",
            Kind::Lookup => "REST list (find incident)",
            Kind::Cron => "cron tick",
        }
    }
    /// An event about an alert (as opposed to the bench's own lookups and the cron).
    fn is_event(self) -> bool {
        !matches!(self, Kind::Lookup | Kind::Cron)
    }
    fn is_trigger(self) -> bool {
        matches!(self, Kind::TriggerNew | Kind::TriggerRepeat)
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum IncState {
    Triggered,
    Acknowledged,
    Resolved,
}

impl IncState {
    fn as_str(self) -> &'static str {
        match self {
            IncState::Triggered => "triggered",
            IncState::Acknowledged => "acknowledged",
            IncState::Resolved => "resolved",
        }
    }
}

/// One alert of a key, as the model expects it (one alert = one incident: grouping `none`).
struct Gen {
    count: u64,
    resolved: bool,
    incident: IncState,
    incident_id: Option<String>,
}

#[derive(Clone)]
struct Request {
    method: &'static str,
    path: String,
    body: String,
    auth: String,
}

/// One problem: a dedup key on one service, its alerts in order and the last request sent.
struct Key {
    service: usize,
    format: Format,
    dedup: String,
    summary: String,
    severity: &'static str,
    gens: Vec<Gen>,
    last: Option<(Kind, Request)>,
    /// A request about it failed (non-2xx or no answer): what it did is unknown, so its counts
    /// are not compared (only "at most one firing alert") and it gets no more traffic.
    tainted: bool,
}

impl Key {
    fn open(&mut self) -> Option<&mut Gen> {
        self.gens.last_mut().filter(|g| !g.resolved)
    }
}

#[derive(Default, Clone)]
struct KindStats {
    sent: u64,
    ok: u64,
    retries: u64,
    copies: u64,
    s429: u64,
    s5xx: u64,
    other: u64,
    transport: u64,
    lat: Vec<f64>,
}

#[derive(Default)]
struct Stats {
    kinds: HashMap<Kind, KindStats>,
    by_format: HashMap<&'static str, (u64, u64)>,
    vendor_accepted: u64,
    quiet_sent: u64,
    burst_sent: u64,
    failures: Vec<String>,
}

impl Stats {
    fn record(&mut self, kind: Kind, outcome: &Outcome, ms: f64, retry: bool, copy: bool) {
        let k = self.kinds.entry(kind).or_default();
        k.sent += 1;
        k.retries += u64::from(retry);
        k.copies += u64::from(copy);
        k.lat.push(ms);
        match outcome {
            Ok((s, _)) if (200..300).contains(s) => k.ok += 1,
            Ok((429, _)) => k.s429 += 1,
            Ok((s, _)) if *s >= 500 => k.s5xx += 1,
            Ok(_) => k.other += 1,
            Err(_) => k.transport += 1,
        }
        if let Some(f) = failure(kind, outcome) {
            if self.failures.len() < 10 {
                self.failures.push(f);
            }
        }
    }
    fn merge(&mut self, o: Stats) {
        for (kind, s) in o.kinds {
            let k = self.kinds.entry(kind).or_default();
            k.sent += s.sent;
            k.ok += s.ok;
            k.retries += s.retries;
            k.copies += s.copies;
            k.s429 += s.s429;
            k.s5xx += s.s5xx;
            k.other += s.other;
            k.transport += s.transport;
            k.lat.extend(s.lat);
        }
        for (f, (sent, ok)) in o.by_format {
            let e = self.by_format.entry(f).or_default();
            e.0 += sent;
            e.1 += ok;
        }
        self.vendor_accepted += o.vendor_accepted;
        self.quiet_sent += o.quiet_sent;
        self.burst_sent += o.burst_sent;
        for f in o.failures {
            if self.failures.len() < 10 {
                self.failures.push(f);
            }
        }
    }
}

/// Status and body, or why there was no answer.
type Outcome = Result<(u16, String), String>;

fn is_ok(o: &Outcome) -> bool {
    matches!(o, Ok((s, _)) if (200..300).contains(s))
}

fn failure(kind: Kind, o: &Outcome) -> Option<String> {
    match o {
        Ok((s, _)) if (200..300).contains(s) => None,
        Ok((s, body)) => Some(format!("{}: {s} {}", kind.label(), body.chars().take(200).collect::<String>())),
        Err(e) => Some(format!("{}: no answer: {e}", kind.label())),
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into()
}

fn call(agent: &ureq::Agent, base: &str, r: &Request) -> (Outcome, f64) {
    let mut req = ureq::http::Request::builder().method(r.method).uri(format!("{base}{}", r.path));
    if r.method != "GET" {
        req = req.header("Content-Type", "application/json");
    }
    if !r.auth.is_empty() {
        req = req.header("Authorization", r.auth.as_str());
    }
    let req = req.body(r.body.clone().into_bytes()).expect("a request");
    let t = Instant::now();
    let out = match agent.run(req) {
        Ok(mut resp) => {
            let status = resp.status().as_u16();
            Ok((status, resp.body_mut().read_to_string().unwrap_or_default()))
        }
        Err(e) => Err(e.to_string()),
    };
    (out, t.elapsed().as_secs_f64() * 1000.0)
}

/// SplitMix64: a small seeded generator, so a run can be replayed with `TOCSIN_SOAK_SEED`.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

struct Service {
    id: String,
    key: String,
}

struct Ctx {
    base: String,
    services: Vec<Service>,
    /// `Bearer …` of a responder's API token.
    responder: String,
    started_at: String,
    start: Instant,
    duration: Duration,
}

impl Ctx {
    fn bursting(&self) -> bool {
        self.start.elapsed().as_secs() % (QUIET_SECS + BURST_SECS) >= QUIET_SECS
    }
}

/// The vendor request for `action` on `key` ("trigger", "acknowledge" or "resolve").
fn vendor_request(ctx: &Ctx, key: &Key, action: &str) -> Request {
    let ik = &ctx.services[key.service].key;
    let (d, summary, sev) = (&key.dedup, &key.summary, key.severity);
    let post = |path: String, body: Value, auth: String| Request { method: "POST", path, body: body.to_string(), auth };
    let firing = action == "trigger";
    let am_status = if firing { "firing" } else { "resolved" };
    let ends_at = if firing { "0001-01-01T00:00:00Z" } else { ctx.started_at.as_str() };
    match key.format {
        Format::Generic if firing => post(format!("/webhooks/generic/{ik}"), json!({"summary": summary, "severity": sev, "dedup_key": d, "source": "soak"}), String::new()),
        Format::Generic => post(format!("/webhooks/generic/{ik}"), json!({"summary": summary, "status": "resolved", "dedup_key": d}), String::new()),
        Format::PagerDuty if firing => post(
            "/v2/enqueue".into(),
            json!({"routing_key": ik, "event_action": "trigger", "dedup_key": d, "payload": {"summary": summary, "source": "soak", "severity": sev}}),
            String::new(),
        ),
        Format::PagerDuty => post("/v2/enqueue".into(), json!({"routing_key": ik, "event_action": action, "dedup_key": d}), String::new()),
        Format::Opsgenie if firing => {
            let priority = match sev {
                "critical" => "P1",
                "error" => "P2",
                _ => "P3",
            };
            post("/v2/alerts".into(), json!({"message": summary, "alias": d, "priority": priority, "source": "soak"}), format!("GenieKey {ik}"))
        }
        Format::Opsgenie => {
            let verb = if action == "resolve" { "close" } else { "acknowledge" };
            post(format!("/v2/alerts/{d}/{verb}?identifierType=alias"), json!({"source": "soak", "note": "soak"}), format!("GenieKey {ik}"))
        }
        Format::Alertmanager => post(
            format!("/webhooks/alertmanager/{ik}"),
            json!({"version": "4", "status": am_status, "receiver": "tocsin", "groupKey": format!("{{}}:{{alertname=\"{d}\"}}"),
                "groupLabels": {"alertname": d}, "commonLabels": {"alertname": d, "severity": sev}, "externalURL": "http://alertmanager.example:9093",
                "alerts": [{"status": am_status, "fingerprint": d, "labels": {"alertname": d, "instance": "soak", "severity": sev},
                    "annotations": {"summary": summary}, "startsAt": ctx.started_at, "endsAt": ends_at, "generatorURL": "http://prometheus.example:9090/graph"}]}),
            String::new(),
        ),
        Format::Grafana => post(
            format!("/webhooks/grafana/{ik}"),
            json!({"receiver": "tocsin", "status": am_status, "orgId": 1, "state": if firing { "alerting" } else { "ok" }, "title": summary, "message": summary,
                "groupLabels": {"alertname": d}, "commonLabels": {"alertname": d}, "externalURL": "http://grafana.example:3000/",
                "alerts": [{"status": am_status, "fingerprint": d, "labels": {"alertname": d, "severity": sev}, "annotations": {"summary": summary},
                    "startsAt": ctx.started_at, "endsAt": ends_at, "dashboardURL": "http://grafana.example:3000/d/soak", "values": {"A": 1}}]}),
            String::new(),
        ),
    }
}

/// Sends `r` as `copies` identical requests released at the same instant; every copy's outcome.
fn send_copies(agent: &ureq::Agent, base: &str, r: &Request, copies: usize) -> Vec<(Outcome, f64)> {
    if copies == 1 {
        return vec![call(agent, base, r)];
    }
    let barrier = Barrier::new(copies);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..copies)
            .map(|_| {
                let (agent, barrier) = (agent.clone(), &barrier);
                s.spawn(move || {
                    barrier.wait();
                    call(&agent, base, r)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("a copy's thread")).collect()
    })
}

/// The open incident of `key` as a responder finds it: the service's open incidents, by title.
fn find_incident(ctx: &Ctx, agent: &ureq::Agent, key: &Key, stats: &mut Stats) -> Option<String> {
    let sid = &ctx.services[key.service].id;
    let mut cursor = String::new();
    for _ in 0..20 {
        let r = Request { method: "GET", path: format!("/api/incidents?status=open&service_id={sid}&limit=100{cursor}"), body: String::new(), auth: ctx.responder.clone() };
        let (out, ms) = call(agent, &ctx.base, &r);
        stats.record(Kind::Lookup, &out, ms, false, false);
        let Ok((200, body)) = out else { return None };
        let v: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
        let list = v["incidents"].as_array().cloned().unwrap_or_default();
        if let Some(i) = list.iter().find(|i| i["title"] == key.summary.as_str()) {
            return i["id"].as_str().map(str::to_string);
        }
        match v["next_cursor"].as_str() {
            Some(c) => cursor = format!("&cursor={c}"),
            None => break,
        }
    }
    None
}

/// One sender: owns `keys` alone, so the model's order of events per key is the server's.
fn sender(ctx: Arc<Ctx>, stop: Arc<AtomicBool>, mut keys: Vec<Key>, seed: u64) -> (Stats, Vec<Key>) {
    let agent = agent();
    let mut rng = Rng(seed);
    let mut stats = Stats::default();
    let (mut event_sends, mut retries) = (0u64, 0u64);
    while ctx.start.elapsed() < ctx.duration && !stop.load(Ordering::Relaxed) {
        let burst = ctx.bursting();
        let live: Vec<usize> = (0..keys.len()).filter(|&i| !keys[i].tainted).collect();
        if live.is_empty() {
            break;
        }
        let ki = live[rng.below(live.len())];
        let retry = keys[ki].last.is_some() && (retries as f64) < RETRY_SHARE * (event_sends + 1) as f64 && rng.unit() < 0.5;
        let (kind, req, copies) = if retry {
            let (kind, req) = keys[ki].last.clone().expect("a previous request");
            (kind, req, 1)
        } else {
            let key = &mut keys[ki];
            let format = key.format;
            let open = key.open().map(|g| g.incident);
            let r = rng.unit();
            let (kind, req) = match open {
                None => (Kind::TriggerNew, vendor_request(&ctx, key, "trigger")),
                Some(_) if r < 0.60 => (Kind::TriggerRepeat, vendor_request(&ctx, key, "trigger")),
                Some(_) if r < 0.75 && format.vendor_ack() && rng.unit() < 0.5 => (Kind::AckVendor, vendor_request(&ctx, key, "acknowledge")),
                Some(_) if r >= 0.75 && rng.unit() < 0.6 => (Kind::ResolveVendor, vendor_request(&ctx, key, "resolve")),
                Some(_) => {
                    let kind = if r < 0.75 { Kind::AckRest } else { Kind::ResolveRest };
                    let known = key.open().and_then(|g| g.incident_id.clone());
                    let id = match known {
                        Some(id) => id,
                        None => match find_incident(&ctx, &agent, &keys[ki], &mut stats) {
                            Some(id) => {
                                keys[ki].open().expect("open").incident_id = Some(id.clone());
                                id
                            }
                            None => {
                                let msg = format!("the open incident of {} ({}) is not in the API's list", keys[ki].dedup, format.name());
                                if stats.failures.len() < 10 {
                                    stats.failures.push(msg);
                                }
                                keys[ki].tainted = true;
                                continue;
                            }
                        },
                    };
                    let verb = if kind == Kind::AckRest { "acknowledge" } else { "resolve" };
                    (kind, Request { method: "POST", path: format!("/api/incidents/{id}/{verb}"), body: String::new(), auth: ctx.responder.clone() })
                }
            };
            let copies = if rng.unit() < COPIES_CHANCE { 2 + rng.below(3) } else { 1 };
            (kind, req, copies)
        };
        let outs = send_copies(&agent, &ctx.base, &req, copies);
        for (i, (out, ms)) in outs.iter().enumerate() {
            stats.record(kind, out, *ms, retry, i > 0);
            if !matches!(kind, Kind::AckRest | Kind::ResolveRest) {
                let f = stats.by_format.entry(keys[ki].format.name()).or_default();
                f.0 += 1;
                f.1 += u64::from(is_ok(out));
                stats.vendor_accepted += u64::from(is_ok(out));
            }
        }
        event_sends += outs.len() as u64;
        SENT.fetch_add(outs.len() as u64, Ordering::Relaxed);
        retries += u64::from(retry);
        if burst {
            stats.burst_sent += outs.len() as u64;
        } else {
            stats.quiet_sent += outs.len() as u64;
        }
        let key = &mut keys[ki];
        key.last = Some((kind, req));
        if !outs.iter().all(|(o, _)| is_ok(o)) {
            key.tainted = true;
            continue;
        }
        let n = outs.len() as u64;
        // The model: what these requests must have done.
        match (kind, retry) {
            (k, true) if k.is_trigger() => key.open().expect("a trigger leaves its alert open").count += 1,
            (_, true) => {} // a retried acknowledge or resolve changes nothing
            (Kind::TriggerNew, false) => {
                // The generic webhook answers with the incident; every copy must name the same one.
                let ids: Vec<String> = outs.iter().filter_map(|(o, _)| o.as_ref().ok()).filter_map(|(_, b)| serde_json::from_str::<Value>(b).ok()?["incident_id"].as_str().map(str::to_string)).collect();
                if ids.windows(2).any(|w| w[0] != w[1]) && stats.failures.len() < 10 {
                    stats.failures.push(format!("concurrent copies of a new alert {} were answered with different incidents: {ids:?}", key.dedup));
                }
                key.gens.push(Gen { count: n, resolved: false, incident: IncState::Triggered, incident_id: ids.into_iter().next() });
            }
            (Kind::TriggerRepeat, false) => key.open().expect("open").count += n,
            (Kind::AckVendor | Kind::AckRest, false) => {
                let g = key.open().expect("open");
                if g.incident == IncState::Triggered {
                    g.incident = IncState::Acknowledged;
                }
            }
            (Kind::ResolveVendor | Kind::ResolveRest, false) => {
                let g = key.open().expect("open");
                g.resolved = true;
                g.incident = IncState::Resolved;
            }
            (Kind::Lookup | Kind::Cron, _) => unreachable!("not an event"),
        }
        if !burst {
            std::thread::sleep(Duration::from_millis(300 + rng.below(1400) as u64));
        }
    }
    (stats, keys)
}

/// Resident memory (KiB) of each workerd process in the instance's process group (wrangler dev
/// runs two: its own proxy and the worker's runtime), by pid.
fn workerd_rss(group: u32) -> Vec<(u32, u64)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else { continue };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { continue };
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else { continue };
        let comm = &stat[open + 1..close];
        // After "pid (comm)": state ppid pgrp …
        let pgrp = stat[close + 1..].split_whitespace().nth(2).and_then(|p| p.parse::<u32>().ok());
        if comm == "workerd" && pgrp == Some(group) {
            let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
            let kb = status.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)).and_then(|v| v.parse::<u64>().ok());
            out.push((pid, kb.unwrap_or(0)));
        }
    }
    out.sort();
    out
}

/// Least-squares slope of (seconds, KiB) samples, in MiB per minute.
fn slope_mib_per_min(samples: &[(f64, u64)]) -> f64 {
    if samples.len() < 2 {
        return 0.0;
    }
    let n = samples.len() as f64;
    let mx = samples.iter().map(|s| s.0).sum::<f64>() / n;
    let my = samples.iter().map(|s| s.1 as f64).sum::<f64>() / n;
    let sxy: f64 = samples.iter().map(|s| (s.0 - mx) * (s.1 as f64 - my)).sum();
    let sxx: f64 = samples.iter().map(|s| (s.0 - mx).powi(2)).sum();
    if sxx == 0.0 {
        0.0
    } else {
        sxy / sxx * 60.0 / 1024.0
    }
}

fn pct(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 - 1.0) * q).round() as usize]
}

fn mib(kb: u64) -> String {
    format!("{:.0} MiB", kb as f64 / 1024.0)
}

fn main() {
    let args: Vec<u64> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let seconds = args.first().copied().unwrap_or(600).max(1);
    let c = args.get(1).copied().unwrap_or(16).max(1) as usize;
    let seed = std::env::var("TOCSIN_SOAK_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| tocsin_tests::now_ms() as u64);

    let inst = Instance::start_with("soak-bench", &[("EVENTS_PER_MINUTE_PER_KEY", RATE_LIMIT)]);
    let admin = Api::setup(&inst.base, "Soak", "soak@example.com", "soak benchmark password", "Soak Admin");
    let me = admin.get("/api/me").json["user"]["id"].as_str().expect("my id").to_string();
    let resp = admin.post("/api/users", json!({"email": "rosa@example.com", "name": "Rosa", "role": "responder", "password": "responder soak password"}));
    assert_eq!(resp.status, 201, "responder: {}", resp.text);
    let rosa = Api::new(&inst.base);
    assert_eq!(rosa.post("/api/auth/login", json!({"email": "rosa@example.com", "password": "responder soak password"})).status, 200);
    let token = rosa.post("/api/tokens", json!({"name": "soak", "role": "responder"}));
    assert_eq!(token.status, 201, "token: {}", token.text);
    let responder = format!("Bearer {}", token.json["secret"].as_str().expect("token secret"));
    // Every new incident starts escalating (level 1 at once, level 2 a minute later, repeated),
    // so the cron ticks have real work.
    let policy = admin.post("/api/escalation-policies", json!({"name": "soak", "repeats": 2, "levels": [
        {"targets": [{"type": "user", "id": me}], "delay_minutes": 1},
        {"targets": [{"type": "user", "id": resp.json["user"]["id"]}], "delay_minutes": 1}]}));
    assert_eq!(policy.status, 201, "policy: {}", policy.text);
    let services: Vec<Service> = FORMATS
        .iter()
        .map(|f| {
            let s = admin.post("/api/services", json!({"name": format!("Soak {}", f.name())}));
            assert_eq!(s.status, 201, "service: {}", s.text);
            let id = s.json["id"].as_str().expect("service id").to_string();
            let p = admin.send("PUT", &format!("/api/services/{id}/escalation-policy"), Some(json!({"policy_id": policy.json["id"]}).to_string().into_bytes()), &[]);
            assert!(p.status < 300, "policy on service: {}", p.text);
            Service { id, key: s.json["integration_key"].as_str().expect("integration key").to_string() }
        })
        .collect();

    let group = inst.pid();
    let ctx = Arc::new(Ctx {
        base: inst.base.clone(),
        services,
        responder,
        started_at: tocsin_tests::ms_rfc3339(tocsin_tests::now_ms()),
        start: Instant::now(),
        duration: Duration::from_secs(seconds),
    });
    println!(
        "soak: {seconds} s, {c} senders, seed {seed}; phases {QUIET_SECS} s quiet (~1 request/sender/s) / {BURST_SECS} s burst; \
         {:.0} % retries; EVENTS_PER_MINUTE_PER_KEY={RATE_LIMIT} (the default 12 000/min per key is reachable in a local burst)",
        RETRY_SHARE * 100.0
    );

    let stop = Arc::new(AtomicBool::new(false));
    // Memory: workerd's RSS every 10 s, from before the load until after it.
    let rss = {
        let (stop, start) = (stop.clone(), ctx.start);
        std::thread::spawn(move || {
            let mut samples = Vec::new();
            loop {
                samples.push((start.elapsed().as_secs_f64(), workerd_rss(group)));
                let next = Instant::now() + RSS_EVERY;
                while Instant::now() < next {
                    if stop.load(Ordering::Relaxed) {
                        samples.push((start.elapsed().as_secs_f64(), workerd_rss(group)));
                        return samples;
                    }
                    std::thread::sleep(Duration::from_millis(100));
                }
            }
        })
    };
    let cron = {
        let (stop, base) = (stop.clone(), ctx.base.clone());
        std::thread::spawn(move || {
            let agent = agent();
            let mut stats = Stats::default();
            while !stop.load(Ordering::Relaxed) {
                let r = Request { method: "GET", path: format!("/cdn-cgi/handler/scheduled?cron=*+*+*+*+*&time={}", tocsin_tests::now_ms()), body: String::new(), auth: String::new() };
                let (out, ms) = call(&agent, &base, &r);
                stats.record(Kind::Cron, &out, ms, false, false);
                let next = Instant::now() + CRON_EVERY;
                while Instant::now() < next && !stop.load(Ordering::Relaxed) {
                    std::thread::sleep(Duration::from_millis(100));
                }
            }
            stats
        })
    };
    let senders: Vec<_> = (0..c)
        .map(|w| {
            let keys = (0..KEYS_PER_SENDER)
                .map(|j| {
                    let n = w * KEYS_PER_SENDER + j;
                    let format = FORMATS[n % FORMATS.len()];
                    Key {
                        service: n % FORMATS.len(),
                        format,
                        dedup: format!("soak-{}-{n}", format.name()),
                        summary: format!("Soak problem {n} ({})", format.name()),
                        severity: ["critical", "error", "warning"][n % 3],
                        gens: Vec::new(),
                        last: None,
                        tainted: false,
                    }
                })
                .collect();
            let (ctx, stop) = (ctx.clone(), stop.clone());
            let seed = seed ^ (w as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
            std::thread::spawn(move || sender(ctx, stop, keys, seed))
        })
        .collect();
    // Progress, once a minute.
    let mut stats = Stats::default();
    let mut keys = Vec::new();
    let mut handles = senders;
    let mut last_print = Instant::now();
    while handles.iter().any(|h| !h.is_finished()) {
        std::thread::sleep(Duration::from_millis(200));
        if last_print.elapsed() >= Duration::from_secs(60) {
            last_print = Instant::now();
            let kb: u64 = workerd_rss(group).iter().map(|p| p.1).sum();
            println!("  … {:>4.0} s, {} alert events sent, workerd RSS {}", ctx.start.elapsed().as_secs_f64(), SENT.load(Ordering::Relaxed), mib(kb));
        }
    }
    let load_secs = ctx.start.elapsed().as_secs_f64();
    for h in handles.drain(..) {
        let (s, k) = h.join().expect("a sender");
        stats.merge(s);
        keys.extend(k);
    }
    stop.store(true, Ordering::Relaxed);
    stats.merge(cron.join().expect("the cron ticker"));
    let samples = rss.join().expect("the RSS sampler");
    std::thread::sleep(Duration::from_millis(300));

    // What D1 holds: every alert with its incident's status, in insertion order.
    let service_index: HashMap<&str, usize> = ctx.services.iter().enumerate().map(|(i, s)| (s.id.as_str(), i)).collect();
    let mut stored: HashMap<(usize, String), Vec<(String, u64, String)>> = HashMap::new();
    let mut stored_total = 0usize;
    let mut last_row = 0i64;
    loop {
        let rows = inst.d1(&format!(
            "SELECT a.rowid AS r, a.service_id AS s, a.dedup_key AS k, a.status AS st, a.event_count AS n, i.status AS ist
             FROM alerts a JOIN incidents i ON i.id = a.incident_id WHERE a.rowid > {last_row} ORDER BY a.rowid LIMIT 5000"
        ));
        if rows.is_empty() {
            break;
        }
        for r in &rows {
            last_row = r["r"].as_i64().unwrap_or(last_row);
            let s = service_index.get(r["s"].as_str().unwrap_or("")).copied().unwrap_or(usize::MAX);
            stored.entry((s, r["k"].as_str().unwrap_or("").to_string())).or_default().push((
                r["st"].as_str().unwrap_or("").to_string(),
                r["n"].as_u64().unwrap_or(0),
                r["ist"].as_str().unwrap_or("").to_string(),
            ));
            stored_total += 1;
        }
    }
    let counts = inst.d1(
        "SELECT (SELECT COUNT(*) FROM alerts) AS alerts, (SELECT COUNT(*) FROM incidents) AS incidents,
                (SELECT COUNT(*) FROM alert_events) AS events, (SELECT COUNT(*) FROM notification_outbox) AS pages,
                (SELECT COUNT(*) FROM incident_escalations) AS escalations",
    );
    let counts = counts.first().cloned().unwrap_or(Value::Null);

    let (mut lost, mut doubled, mut wrong, mut expected_alerts, mut tainted) = (0usize, 0usize, 0usize, 0usize, 0usize);
    let mut examples = Vec::new();
    for key in &keys {
        let got = stored.remove(&(key.service, key.dedup.clone())).unwrap_or_default();
        let firing = got.iter().filter(|g| g.0 == "firing").count();
        doubled += firing.saturating_sub(1);
        if key.tainted {
            tainted += 1;
            continue;
        }
        expected_alerts += key.gens.len();
        lost += key.gens.len().saturating_sub(got.len());
        doubled += got.len().saturating_sub(key.gens.len());
        for (i, (want, have)) in key.gens.iter().zip(&got).enumerate() {
            let want_status = if want.resolved { "resolved" } else { "firing" };
            if want_status != have.0 || want.count != have.1 || want.incident.as_str() != have.2 {
                wrong += 1;
                if examples.len() < 5 {
                    examples.push(format!(
                        "{} alert #{}: expected {want_status}, {} event(s), incident {}; stored {}, {}, {}",
                        key.dedup, i + 1, want.count, want.incident.as_str(), have.0, have.1, have.2
                    ));
                }
            }
        }
        if key.gens.len() != got.len() && examples.len() < 5 {
            examples.push(format!("{}: expected {} alert(s), stored {}", key.dedup, key.gens.len(), got.len()));
        }
    }
    // Rows for keys the bench never sent are doubled too (nothing else writes alerts here).
    let strays: usize = stored.values().map(Vec::len).sum();
    doubled += strays;

    // What the API says is open: every open incident, by service and title.
    let mut api_open: HashMap<(String, String), Vec<String>> = HashMap::new();
    let mut cursor = String::new();
    let reader = Api::with_bearer(&inst.base, ctx.responder.trim_start_matches("Bearer "));
    loop {
        let r = reader.get(&format!("/api/incidents?status=open&limit=100{cursor}"));
        assert_eq!(r.status, 200, "incident list: {}", r.text);
        for i in r.json["incidents"].as_array().cloned().unwrap_or_default() {
            let sid = i["service"]["id"].as_str().unwrap_or("").to_string();
            api_open.entry((sid, i["title"].as_str().unwrap_or("").to_string())).or_default().push(i["status"].as_str().unwrap_or("").to_string());
        }
        match r.json["next_cursor"].as_str() {
            Some(c) => cursor = format!("&cursor={c}"),
            None => break,
        }
    }
    let (mut expected_open, mut api_wrong, mut api_listed) = (0usize, 0usize, 0usize);
    for key in keys.iter().filter(|k| !k.tainted) {
        let listed = api_open.remove(&(ctx.services[key.service].id.clone(), key.summary.clone())).unwrap_or_default();
        api_listed += listed.len();
        let want = key.gens.last().filter(|g| !g.resolved).map(|g| g.incident.as_str());
        expected_open += usize::from(want.is_some());
        match want {
            Some(w) if listed.len() == 1 && listed[0] == w => {}
            None if listed.is_empty() => {}
            _ => {
                api_wrong += 1;
                if examples.len() < 8 {
                    examples.push(format!("API: {} open incident(s) of {}: {listed:?}, expected {want:?}", listed.len(), key.dedup));
                }
            }
        }
    }

    // The tables.
    let mut total = KindStats::default();
    println!();
    println!("| requests | sent | 2xx | retries | concurrent copies | 429 | 5xx | other status | no answer | p50 ms | p95 ms | p99 ms |");
    println!("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
    for kind in KINDS {
        let Some(s) = stats.kinds.get_mut(&kind) else { continue };
        s.lat.sort_by(|a, b| a.partial_cmp(b).unwrap());
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {:.1} | {:.1} | {:.1} |",
            kind.label(), s.sent, s.ok, s.retries, s.copies, s.s429, s.s5xx, s.other, s.transport, pct(&s.lat, 0.5), pct(&s.lat, 0.95), pct(&s.lat, 0.99)
        );
        if kind.is_event() {
            total.sent += s.sent;
            total.ok += s.ok;
            total.retries += s.retries;
            total.copies += s.copies;
            total.lat.extend(s.lat.iter().copied());
        }
        total.s429 += s.s429;
        total.s5xx += s.s5xx;
        total.other += s.other;
        total.transport += s.transport;
    }
    total.lat.sort_by(|a, b| a.partial_cmp(b).unwrap());
    println!(
        "| **alert events** | {} | {} | {} ({:.1} %) | {} | {} | {} | {} | {} | {:.1} | {:.1} | {:.1} |",
        total.sent, total.ok, total.retries, 100.0 * total.retries as f64 / total.sent.max(1) as f64, total.copies,
        total.s429, total.s5xx, total.other, total.transport, pct(&total.lat, 0.5), pct(&total.lat, 0.95), pct(&total.lat, 0.99)
    );
    println!(
        "\n{:.0} alert events/s overall; quiet phases {} requests, bursts {} requests; vendor requests by format: {}",
        total.sent as f64 / load_secs,
        stats.quiet_sent,
        stats.burst_sent,
        FORMATS.iter().map(|f| { let (s, ok) = stats.by_format.get(f.name()).copied().unwrap_or_default(); format!("{} {ok}/{s}", f.name()) }).collect::<Vec<_>>().join(", ")
    );
    println!("(429, 5xx, other and no-answer columns include the lookups and cron ticks; retries and copies are counted in the row of the request they repeat)");

    let event_rows = counts["events"].as_u64().unwrap_or(0);
    let checks: Vec<(&str, String, String, bool)> = vec![
        ("alerts stored (D1)", expected_alerts.to_string(), stored_total.to_string(), expected_alerts == stored_total || tainted > 0),
        ("lost alerts", "0".into(), lost.to_string(), lost == 0),
        ("doubled alerts", "0".into(), doubled.to_string(), doubled == 0),
        ("alerts in a wrong state or repeat count", "0".into(), wrong.to_string(), wrong == 0),
        ("open incidents listed by the API", expected_open.to_string(), api_listed.to_string(), api_wrong == 0),
        ("open incidents in a wrong state (API)", "0".into(), api_wrong.to_string(), api_wrong == 0),
        ("event log rows (D1) = vendor events accepted", stats.vendor_accepted.to_string(), event_rows.to_string(), event_rows == stats.vendor_accepted),
        ("keys left out after a failed request", "0".into(), tainted.to_string(), tainted == 0),
    ];
    println!("\n| check | expected | found | |\n|---|--:|--:|---|");
    for (what, want, got, ok) in &checks {
        println!("| {what} | {want} | {got} | {} |", if *ok { "ok" } else { "FAIL" });
    }
    println!(
        "\nD1: {} incidents, {} escalations started, {} pages decided (escalation steps run by the cron and the alarm); {} cron ticks",
        counts["incidents"], counts["escalations"], counts["pages"], stats.kinds.get(&Kind::Cron).map(|k| k.sent).unwrap_or(0)
    );

    // One row per workerd process, and their sum.
    let mut pids: Vec<u32> = samples.iter().flat_map(|(_, p)| p.iter().map(|x| x.0)).collect();
    pids.sort();
    pids.dedup();
    let series: Vec<(String, Vec<(f64, u64)>)> = pids
        .iter()
        .map(|pid| (format!("workerd pid {pid}"), samples.iter().filter_map(|(t, p)| p.iter().find(|x| x.0 == *pid).map(|x| (*t, x.1))).collect()))
        .chain(std::iter::once(("all workerd".to_string(), samples.iter().map(|(t, p)| (*t, p.iter().map(|x| x.1).sum())).collect())))
        .collect();
    println!("\n| RSS (every {} s) | start | mid | end | max | slope, whole run | slope, second half |\n|---|--:|--:|--:|--:|--:|--:|", RSS_EVERY.as_secs());
    for (label, during) in &series {
        let at = |i: usize| during.get(i).map(|s| s.1).unwrap_or(0);
        let max_kb = during.iter().map(|s| s.1).max().unwrap_or(0);
        println!(
            "| {label} | {} | {} | {} | {} | {:+.1} MiB/min | {:+.1} MiB/min |",
            mib(at(0)), mib(at(during.len() / 2)), mib(at(during.len().saturating_sub(1))), mib(max_kb),
            slope_mib_per_min(during), slope_mib_per_min(&during[during.len() / 2..])
        );
    }
    if series.len() < 2 {
        println!("  (no workerd process found in the process group of wrangler dev: RSS not measured)");
    }

    for f in &stats.failures {
        println!("  failed request: {f}");
    }
    for e in &examples {
        println!("  mismatch: {e}");
    }
    let clean = lost == 0 && doubled == 0 && wrong == 0 && api_wrong == 0 && total.s5xx == 0 && total.s429 == 0 && total.other == 0 && total.transport == 0 && tainted == 0
        && event_rows == stats.vendor_accepted;
    println!("\nsoak: {}", if clean { "CLEAN — no alert lost, doubled or wrong; no 5xx, 429 or unexpected status" } else { "NOT CLEAN" });
    if !clean {
        let log = inst.log();
        let tail: Vec<&str> = log.lines().rev().take(30).collect();
        println!("wrangler log (last lines):\n{}", tail.into_iter().rev().collect::<Vec<_>>().join("\n"));
    }
    drop(inst);
    std::process::exit(if clean { 0 } else { 1 });
}
