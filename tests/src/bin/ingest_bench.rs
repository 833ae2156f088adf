//! `./tocsin bench-ingest [N] [C]`: alert ingestion under load. Starts a fresh local Tocsin
//! (wrangler dev + D1), sends N events (default 20 000) with C concurrent senders (default 32) —
//! new alerts, duplicates and resolves across 4 services in 4 formats (generic, PagerDuty Events
//! v2, Alertmanager, Opsgenie) — then checks the stored state in D1 against what was sent:
//! exactly the expected alerts and incidents, none lost, none doubled.

use serde_json::{json, Value};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tocsin_tests::{Api, Instance};

const FORMATS: [&str; 4] = ["generic", "pagerduty", "alertmanager", "opsgenie"];

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
}

fn plan(n: usize) -> Vec<Problem> {
    let mut out = Vec::new();
    let mut total = 0;
    let mut i = 0;
    while total < n {
        let p = Problem {
            service: i % 4,
            format: FORMATS[(i / 4) % 4],
            key: format!("problem-{i}"),
            dups: i % 4,
            resolves: i % 2 == 0,
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

/// (method path, body, extra header) of one event.
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

fn pct(sorted: &[f64], q: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * q).round() as usize]
}

fn d1(inst: &Instance, sql: &str) -> Value {
    inst.d1(sql).into_iter().next().unwrap_or(Value::Null)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(20_000);
    let c: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(32);
    let inst = Instance::start("ingest-bench");
    let admin = Api::new(&inst.base);
    assert_eq!(admin.post("/api/setup", json!({"organization": "Bench", "email": "b@example.com", "password": "benchmark password", "name": "B"})).status, 201);
    let keys: Vec<String> = (0..4)
        .map(|s| admin.post("/api/services", json!({"name": format!("Service {s}")})).json["integration_key"].as_str().unwrap().to_string())
        .collect();
    let problems = Arc::new(plan(n));
    let keys = Arc::new(keys);
    println!("ingestion benchmark: {n} events, {c} concurrent senders, {} problems, 4 services × 4 formats", problems.len());
    let start = Instant::now();
    let handles: Vec<_> = (0..c)
        .map(|w| {
            let (problems, keys, base) = (problems.clone(), keys.clone(), inst.base.clone());
            std::thread::spawn(move || {
                let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
                let mut lat = Vec::new();
                let mut failures = Vec::new();
                // Each sender owns the problems i ≡ w (mod c) and sends each problem's events in order,
                // round-robin across its problems so repeats interleave with other alerts.
                let mine: Vec<&Problem> = problems.iter().skip(w).step_by(c).collect();
                let rounds = mine.iter().map(|p| p.events()).max().unwrap_or(0);
                for round in 0..rounds {
                    for p in &mine {
                        if round >= p.events() {
                            continue;
                        }
                        let action = if p.resolves && round == p.events() - 1 { "resolve" } else { "trigger" };
                        let (path, body, header) = request(p, &keys[p.service], action);
                        let mut req = agent.post(format!("{base}{path}")).header("Content-Type", "application/json");
                        if let Some((k, v)) = &header {
                            req = req.header(k.as_str(), v.as_str());
                        }
                        let t = Instant::now();
                        let resp = req.send(body.to_string());
                        lat.push(t.elapsed().as_secs_f64() * 1000.0);
                        match resp {
                            Ok(r) if (200..300).contains(&r.status().as_u16()) => {}
                            Ok(r) => failures.push(format!("{path}: {}", r.status())),
                            Err(e) => failures.push(format!("{path}: {e}")),
                        }
                    }
                }
                (lat, failures)
            })
        })
        .collect();
    let mut lat = Vec::new();
    let mut failures = Vec::new();
    for h in handles {
        let (l, f) = h.join().unwrap();
        lat.extend(l);
        failures.extend(f);
    }
    let wall = start.elapsed();
    lat.sort_by(|a, b| a.partial_cmp(b).unwrap());
    println!(
        "sent {} events in {:.2} s: {:.0} events/s; latency p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms, max {:.1} ms; {} non-2xx",
        lat.len(),
        wall.as_secs_f64(),
        lat.len() as f64 / wall.as_secs_f64(),
        pct(&lat, 0.5),
        pct(&lat, 0.95),
        pct(&lat, 0.99),
        lat[lat.len() - 1],
        failures.len()
    );
    for f in failures.iter().take(5) {
        println!("  failed: {f}");
    }
    std::thread::sleep(Duration::from_millis(200));
    // The stored state, read straight from D1.
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
                (SELECT COUNT(*) FROM alert_events) AS event_rows, (SELECT COUNT(*) FROM timeline) AS timeline_rows,
                (SELECT COUNT(*) FROM opsgenie_requests) AS opsgenie_requests",
    );
    println!("D1 rows: {got}");
    let checks = [
        ("alerts", got["alerts"].as_u64(), want_alerts),
        ("incidents", got["incidents"].as_u64(), want_alerts),
        ("resolved alerts", got["resolved_alerts"].as_u64(), want_resolved),
        ("resolved incidents", got["resolved_incidents"].as_u64(), want_resolved),
        ("repeats counted", got["repeats"].as_u64(), want_repeats),
        ("doubled alerts", got["doubled"].as_u64(), 0),
        ("event log rows", got["event_rows"].as_u64(), n),
    ];
    let mut exact = failures.is_empty();
    for (what, got, want) in checks {
        let ok = got == Some(want as u64);
        exact &= ok;
        println!("  {:<20} stored {:>7}  expected {:>7}  {}", what, got.map(|g| g.to_string()).unwrap_or("?".into()), want, if ok { "ok" } else { "MISMATCH" });
    }
    println!("stored state: {}", if exact { "EXACT" } else { "NOT EXACT" });
    drop(inst);
    std::process::exit(if exact { 0 } else { 1 });
}
