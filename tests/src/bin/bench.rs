//! `./tocsin bench`: figures, not pass/fail. Starts a fresh instance and reports request
//! latencies (p50/p95/p99) for the password hash (setup, login), alert ingestion (new and
//! repeated), the incident list and the health check.

use serde_json::json;
use std::time::Instant;
use tocsin_tests::{Api, Instance};


fn percentiles(label: &str, mut ms: Vec<f64>) {
    ms.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let p = |q: f64| ms[((ms.len() as f64 - 1.0) * q).round() as usize];
    let total: f64 = ms.iter().sum();
    println!(
        "{label:<44} n={:<4} p50={:>7.1} ms  p95={:>7.1} ms  p99={:>7.1} ms  max={:>7.1} ms  ({:.0} req/s sequential)",
        ms.len(),
        p(0.5),
        p(0.95),
        p(0.99),
        ms[ms.len() - 1],
        ms.len() as f64 / (total / 1000.0)
    );
}

fn timed<T>(f: impl FnOnce() -> T) -> (f64, T) {
    let t = Instant::now();
    let v = f();
    (t.elapsed().as_secs_f64() * 1000.0, v)
}

fn main() {
    let inst = Instance::start("bench");
    let admin = Api::new(&inst.base);
    let (setup_ms, r) = timed(|| {
        admin.post("/api/setup", json!({"organization": "Bench", "email": "b@example.com", "password": "benchmark password", "name": "B"}))
    });
    assert_eq!(r.status, 201);
    println!("{:<44} {setup_ms:.1} ms (argon2id hash + 4 D1 round trips)", "POST /api/setup");

    let logins: Vec<f64> = (0..20)
        .map(|_| {
            let (ms, r) = timed(|| Api::new(&inst.base).post("/api/auth/login", json!({"email": "b@example.com", "password": "benchmark password"})));
            assert_eq!(r.status, 200);
            ms
        })
        .collect();
    percentiles("POST /api/auth/login (argon2id verify)", logins);

    let svc = admin.post("/api/services", json!({"name": "Bench"}));
    let key = svc.json["integration_key"].as_str().unwrap().to_string();
    let hook = Api::new(&inst.base);
    let path = format!("/webhooks/generic/{key}");
    let new: Vec<f64> = (0..200)
        .map(|n| {
            let (ms, r) = timed(|| hook.post(&path, json!({"summary": format!("problem {n}"), "severity": "error", "dedup_key": format!("k{n}")})));
            assert_eq!(r.status, 202);
            ms
        })
        .collect();
    percentiles("webhook: new alert → new incident", new);
    let repeats: Vec<f64> = (0..300)
        .map(|n| {
            let (ms, r) = timed(|| hook.post(&path, json!({"summary": "problem", "severity": "error", "dedup_key": format!("k{}", n % 50)})));
            assert_eq!(r.status, 202);
            ms
        })
        .collect();
    percentiles("webhook: repeat of an open alert", repeats);
    let list: Vec<f64> = (0..100)
        .map(|_| {
            let (ms, r) = timed(|| admin.get("/api/incidents?status=open&limit=50"));
            assert_eq!(r.status, 200);
            ms
        })
        .collect();
    percentiles("GET /api/incidents (50 of 200 open)", list);
    let health: Vec<f64> = (0..100).map(|_| timed(|| admin.get("/healthz")).0).collect();
    percentiles("GET /healthz", health);
    status_page(&inst, &admin);
}

/// The public page with 20 components and 5 recent incidents: its gzipped size, and how fast it
/// is served from the cache (warm) and built from D1 (cold: a query string the cache has not seen).
fn status_page(inst: &Instance, admin: &Api) {
    for n in 0..20 {
        admin.post("/api/status/components", json!({"name": format!("Component {n:02}"), "description": "Public description", "position": n}));
    }
    let ids: Vec<String> = admin.get("/api/status").json["components"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_string()).collect();
    for n in 0..5 {
        let r = admin.post("/api/status/incidents", json!({"name": format!("Incident number {n} with a realistic title"), "impact": "minor",
            "body": "We are investigating reports of elevated error rates for some customers.", "component_ids": [ids[n]], "component_status": "degraded_performance"}));
        let id = r.json["id"].as_str().unwrap().to_string();
        admin.post(&format!("/api/status/incidents/{id}/updates"), json!({"status": "identified", "body": "The cause is a misconfigured load balancer; a fix is rolling out."}));
        if n < 4 {
            admin.post(&format!("/api/status/incidents/{id}/updates"), json!({"status": "resolved", "body": "This incident has been resolved."}));
        }
    }
    let page = Api::new(&inst.base).get("/status").text;
    let gz = {
        use std::io::Write;
        let mut child = std::process::Command::new("gzip").arg("-9c").stdin(std::process::Stdio::piped()).stdout(std::process::Stdio::piped()).spawn().unwrap();
        child.stdin.take().unwrap().write_all(page.as_bytes()).unwrap();
        child.wait_with_output().unwrap().stdout.len()
    };
    println!("{:<44} {} bytes raw, {} bytes gzip -9 (20 components, 5 incidents)", "GET /status size", page.len(), gz);
    for path in ["/status", "/api/v2/summary.json"] {
        let api = Api::new(&inst.base);
        let warm: Vec<f64> = (0..300).map(|_| timed(|| api.get(path)).0).collect();
        percentiles(&format!("{path} warm (cache hit)"), warm);
        let cold: Vec<f64> = (0..100).map(|n| timed(|| api.get(&format!("{path}?cold={n}"))).0).collect();
        percentiles(&format!("{path} cold (built from D1)"), cold);
    }
}
