//! `./tocsin bench-push [N] [C]`: how long from an alert reaching Tocsin to the push request
//! reaching the person's push service. Opens N incidents (default 200) with C concurrent senders
//! (default 4) on a service whose policy pages one person with one device on a local push
//! service; each push is decrypted to match it to its alert. Then the same with a push service
//! that takes 2 s to answer, to show that ingestion does not wait for delivery.

use serde_json::json;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tocsin_tests::receiver::{Receiver, TestSubscription};
use tocsin_tests::{Api, Instance};

fn pct(mut v: Vec<f64>, q: f64) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[((v.len() as f64 - 1.0) * q).round() as usize]
}

fn run(inst: &Instance, rx: &Receiver, key: &str, sub: &TestSubscription, label: &str, n: usize, c: usize) {
    let before = rx.received(&sub.path).len();
    let sent: Arc<std::sync::Mutex<HashMap<String, (Instant, f64)>>> = Default::default();
    let per = n.div_ceil(c);
    let threads: Vec<_> = (0..c)
        .map(|t| {
            let (base, key, sent, label) = (inst.base.clone(), key.to_string(), sent.clone(), label.to_string());
            std::thread::spawn(move || {
                let api = Api::new(&base);
                for i in 0..per {
                    let start = Instant::now();
                    let r = api.post(&format!("/webhooks/generic/{key}"), json!({"summary": format!("{label} {t}-{i}"), "severity": "critical", "dedup_key": format!("{label}-{t}-{i}")}));
                    let took = start.elapsed().as_secs_f64() * 1000.0;
                    assert_eq!(r.status, 202, "{}", r.text);
                    sent.lock().unwrap().insert(r.json["incident_id"].as_str().unwrap().to_string(), (start, took));
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let total = per * c;
    let got = rx.wait_for(&sub.path, before + total, Duration::from_secs(120));
    let sent = sent.lock().unwrap();
    let mut latency = Vec::new();
    for r in &got[before..] {
        let p = sub.decrypt(r);
        if let Some((start, _)) = sent.get(p["incident_id"].as_str().unwrap_or("")) {
            latency.push(r.at.duration_since(*start).as_secs_f64() * 1000.0);
        }
    }
    assert_eq!(latency.len(), total, "every alert paged exactly once");
    let ingest: Vec<f64> = sent.values().map(|(_, t)| *t).collect();
    println!(
        "{label:<28} n={total:<4} c={c:<2} alert→push request  p50={:>7.1} ms  p95={:>7.1} ms  max={:>7.1} ms | webhook answered p50={:>6.1} ms p95={:>6.1} ms",
        pct(latency.clone(), 0.5),
        pct(latency.clone(), 0.95),
        pct(latency, 1.0),
        pct(ingest.clone(), 0.5),
        pct(ingest, 0.95)
    );
}

fn main() {
    let args: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let n = args.first().copied().unwrap_or(200);
    let c = args.get(1).copied().unwrap_or(4);
    // Connections kept open, as real push services do; `TOCSIN_RX_CLOSE=1`: one per message.
    let rx = Receiver::for_bench();
    let inst = Instance::start("push-bench");
    let admin = Api::setup(&inst.base, "Bench", "b@example.com", "benchmark password", "B");
    let me = admin.get("/api/me").json["user"]["id"].as_str().unwrap().to_string();
    let p = admin.post("/api/escalation-policies", json!({"name": "me", "repeats": 0, "levels": [{"targets": [{"type": "user", "id": me}], "delay_minutes": 30}]}));
    let svc = admin.post("/api/services", json!({"name": "Bench"}));
    let sid = svc.json["id"].as_str().unwrap();
    admin.send("PUT", &format!("/api/services/{sid}/escalation-policy"), Some(json!({"policy_id": p.json["id"]}).to_string().into_bytes()), &[]);
    let key = svc.json["integration_key"].as_str().unwrap().to_string();
    let sub = TestSubscription::new(&rx, "bench");
    assert_eq!(admin.post("/api/push/subscriptions", sub.json("bench")).status, 201);
    run(&inst, &rx, &key, &sub, "warm-up", 10, 1);
    run(&inst, &rx, &key, &sub, "sequential", n / 2, 1);
    run(&inst, &rx, &key, &sub, "concurrent", n, c);
    rx.slow_down(Duration::from_secs(2));
    run(&inst, &rx, &key, &sub, "push service answers in 2 s", n / 4, c);
    println!("local push service: {}", rx.connection_policy());
}
