//! `./tocsin bench-escalation [N]`: how late escalation steps fire. Opens N incidents (default
//! 20) on a service whose policy waits 1 minute before level 2, then measures, for each, when
//! level 2 was decided minus when it was due — once with the Durable Object alarm (sub-minute
//! precision) and once with only the every-minute cron sweep (driven here every 60 s, as the
//! run command's ticker does).

use serde_json::json;
use std::time::{Duration, Instant};
use tocsin_tests::{Api, Instance};

fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64
}

fn report(label: &str, mut late: Vec<f64>) {
    late.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let p = |q: f64| late[((late.len() as f64 - 1.0) * q).round() as usize];
    println!("{label:<34} n={:<3} p50={:>6.2} s  p95={:>6.2} s  max={:>6.2} s", late.len(), p(0.5), p(0.95), late[late.len() - 1]);
}

fn run(label: &str, vars: &[(&str, &str)], n: usize, tick: bool) {
    let inst = Instance::start_with(label, vars);
    let admin = Api::setup(&inst.base, "Bench", "b@example.com", "benchmark password", "B");
    let other = admin.post("/api/users", json!({"email": "l2@example.com", "name": "Level Two", "role": "responder", "password": "level two password"}));
    let me = admin.get("/api/me").json["user"]["id"].as_str().unwrap().to_string();
    let p = admin.post("/api/escalation-policies", json!({"name": "fast", "repeats": 0, "levels": [
        {"targets": [{"type": "user", "id": me}], "delay_minutes": 1},
        {"targets": [{"type": "user", "id": other.json["user"]["id"]}], "delay_minutes": 1}]}));
    let svc = admin.post("/api/services", json!({"name": "Bench"}));
    let sid = svc.json["id"].as_str().unwrap();
    admin.send("PUT", &format!("/api/services/{sid}/escalation-policy"), Some(json!({"policy_id": p.json["id"]}).to_string().into_bytes()), &[]);
    let key = svc.json["integration_key"].as_str().unwrap().to_string();
    let mut incidents = Vec::new();
    for i in 0..n {
        let r = admin.post(&format!("/webhooks/generic/{key}"), json!({"summary": format!("bench {i}"), "severity": "critical", "dedup_key": format!("b{i}")}));
        incidents.push(r.json["incident_id"].as_str().unwrap().to_string());
        std::thread::sleep(Duration::from_millis(1500));
    }
    let started = Instant::now();
    let mut last_tick = Instant::now();
    let late = loop {
        if tick && last_tick.elapsed() >= Duration::from_secs(60) {
            Api::new(&inst.base).get(&format!("/cdn-cgi/handler/scheduled?cron=*+*+*+*+*&time={}", now_ms()));
            last_tick = Instant::now();
        }
        let mut late = Vec::new();
        for id in &incidents {
            let d = admin.get(&format!("/api/incidents/{id}"));
            let opened = chrono_ms(d.json["incident"]["created_at"].as_str().unwrap());
            let n = admin.get(&format!("/api/incidents/{id}/notifications")).json;
            if let Some(l2) = n["notifications"].as_array().unwrap().iter().find(|x| x["level"] == 2) {
                late.push((chrono_ms(l2["created_at"].as_str().unwrap()) - (opened + 60_000)) as f64 / 1000.0);
            }
        }
        if late.len() == incidents.len() || started.elapsed() > Duration::from_secs(240) {
            break late;
        }
        std::thread::sleep(Duration::from_millis(1000));
    };
    report(label, late);
}

/// RFC 3339 (as the API writes it, UTC with Z) → ms, without pulling in a date crate.
fn chrono_ms(s: &str) -> i64 {
    let out = std::process::Command::new("date").args(["-u", "-d", s, "+%s%3N"]).output().unwrap();
    String::from_utf8(out.stdout).unwrap().trim().parse().unwrap()
}

fn main() {
    let n: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(20);
    println!("escalation lateness: {n} incidents, level 2 due 60 s after each opened");
    run("Durable Object alarm (+ cron)", &[], n, false);
    run("cron sweep only, every 60 s", &[("ESCALATION_CLOCK", "off")], n, true);
}
