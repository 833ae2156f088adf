//! `./tocsin bench-live [N] [W] [MS] [IDLE]`: how fast a change reaches everyone watching an
//! incident's live record. Starts a fresh local Tocsin (wrangler dev + D1, the release build),
//! declares one incident, opens W watcher WebSockets on it (default 50, each with its own
//! reading thread), then one writer adds N notes (default 200) through the API, one every MS
//! milliseconds (default 100). For each change: from the writer's HTTP answer (the change is
//! accepted) to the moment the last watcher received its row; p50/p95/max over the changes, and
//! how many rows any watcher missed or got twice (both must be 0). Then memory: the RSS of the
//! instance's workerd processes (wrangler dev runs two: its proxy and the runtime) before and
//! after opening IDLE more sockets (default 500) that then stay idle, divided by IDLE.

use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tocsin_tests::{Api, Instance};

type Socket = tungstenite::WebSocket<std::net::TcpStream>;

fn open(base: &str, id: &str, after: i64, cookie: &str) -> Socket {
    let url = format!("{}/api/incidents/{id}/live?after={after}", base.replace("http://", "ws://"));
    let mut req = tungstenite::client::IntoClientRequest::into_client_request(url.as_str()).unwrap();
    req.headers_mut().insert("Cookie", cookie.parse().unwrap());
    let stream = std::net::TcpStream::connect(base.trim_start_matches("http://")).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    stream.set_nodelay(true).unwrap();
    let (ws, resp) = tungstenite::client::client(req, stream).unwrap_or_else(|e| panic!("WebSocket handshake: {e}"));
    assert_eq!(resp.status().as_u16(), 101);
    // Readers poll, so they notice the end of the run.
    ws.get_ref().set_read_timeout(Some(Duration::from_millis(100))).unwrap();
    ws
}

/// The timeline rows in one message: their sequence numbers.
fn seqs(text: &str) -> Vec<i64> {
    let v: Value = serde_json::from_str(text).unwrap_or(Value::Null);
    v["entries"].as_array().map(|e| e.iter().filter_map(|e| e["seq"].as_i64()).collect()).unwrap_or_default()
}

/// Resident memory (KiB) of the processes named `name` in process group `group`.
fn rss(group: u32, name: &str) -> u64 {
    let mut total = 0;
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else { continue };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { continue };
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else { continue };
        let pgrp = stat[close + 1..].split_whitespace().nth(2).and_then(|p| p.parse::<u32>().ok());
        if &stat[open + 1..close] == name && pgrp == Some(group) {
            let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
            total += status.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
        }
    }
    total
}

fn pct(sorted: &[f64], q: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * q).round() as usize]
}

fn main() {
    let args: Vec<u64> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let n = args.first().copied().unwrap_or(200).max(1) as usize;
    let w = args.get(1).copied().unwrap_or(50).max(1) as usize;
    let pace = Duration::from_millis(args.get(2).copied().unwrap_or(100));
    let idle = args.get(3).copied().unwrap_or(500) as usize;

    let inst = Instance::start("live-bench");
    // Release builds abort on panic, which skips the instance's Drop: stop wrangler dev (its
    // process group) first, so nothing is left running (holding ports and the build lock).
    let group = inst.pid();
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        default_hook(info);
        let _ = std::process::Command::new("kill").args(["--", &format!("-{group}")]).status();
    }));
    let admin = Api::setup(&inst.base, "Live bench", "live@example.com", "live benchmark password", "Live Admin");
    let cookie = admin.cookie().expect("a session");
    let r = admin.post("/api/incidents", json!({"title": "Live bench", "severity": "SEV2"}));
    assert_eq!(r.status, 201, "declare: {}", r.text);
    let id = r.json["incident"]["id"].as_str().or(r.json["id"].as_str()).expect("incident id").to_string();
    let start_seq = admin.get(&format!("/api/incidents/{id}/timeline")).json["last_seq"].as_i64().expect("last_seq");

    // W watchers, each on its own thread, recording when each row arrived.
    let stop = Arc::new(AtomicBool::new(false));
    let newest: Arc<Vec<AtomicI64>> = Arc::new((0..w).map(|_| AtomicI64::new(0)).collect());
    let t0 = Instant::now();
    let watchers: Vec<_> = (0..w)
        .map(|k| {
            let mut ws = open(&inst.base, &id, start_seq, &cookie);
            let (stop, newest) = (stop.clone(), newest.clone());
            std::thread::spawn(move || {
                let mut got: Vec<(i64, Duration)> = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    match ws.read() {
                        Ok(tungstenite::Message::Text(t)) => {
                            let at = t0.elapsed();
                            got.extend(seqs(&t).into_iter().map(|s| (s, at)));
                            newest[k].fetch_max(got.iter().map(|g| g.0).max().unwrap_or(0), Ordering::Relaxed);
                        }
                        Ok(_) => {}
                        Err(tungstenite::Error::Io(e)) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {}
                        Err(e) => panic!("a watcher's socket failed: {e}"),
                    }
                }
                got
            })
        })
        .collect();
    println!("live bench: {w} watchers on one incident, {n} notes by one writer, one every {} ms", pace.as_millis());

    // The writer: a steady pace; each change's sequence number and when it was accepted.
    let accepted: Arc<Mutex<HashMap<i64, Duration>>> = Default::default();
    let mut http_ms = Vec::new();
    let mut sent_at: HashMap<i64, Duration> = HashMap::new();
    let begin = Instant::now();
    for i in 0..n {
        let due = begin + pace * i as u32;
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        let (sent, sent_t) = (Instant::now(), t0.elapsed());
        let r = admin.post(&format!("/api/incidents/{id}/notes"), json!({"body": format!("Change {i}")}));
        let at = t0.elapsed();
        assert_eq!(r.status, 201, "note {i}: {}", r.text);
        http_ms.push(sent.elapsed().as_secs_f64() * 1000.0);
        let seq = r.json["seq"].as_i64().expect("the note's seq");
        accepted.lock().unwrap().insert(seq, at);
        sent_at.insert(seq, sent_t);
    }
    let last_seq = admin.get(&format!("/api/incidents/{id}/timeline")).json["last_seq"].as_i64().unwrap();
    assert_eq!(last_seq, start_seq + n as i64, "one row per note");
    // Let the last rows arrive (up to 10 s), and a moment more for doubles, then stop the readers.
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline && newest.iter().any(|s| s.load(Ordering::Relaxed) < last_seq) {
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_secs(1));
    stop.store(true, Ordering::Relaxed);
    let results: Vec<Vec<(i64, Duration)>> = watchers.into_iter().map(|t| t.join().expect("a watcher")).collect();

    let accepted = accepted.lock().unwrap();
    let (mut missed, mut doubled) = (0usize, 0usize);
    let mut last_arrival: HashMap<i64, Duration> = HashMap::new();
    for got in &results {
        let mut seen: HashMap<i64, usize> = HashMap::new();
        for (s, at) in got {
            *seen.entry(*s).or_default() += 1;
            let e = last_arrival.entry(*s).or_insert(*at);
            *e = (*e).max(*at);
        }
        for s in (start_seq + 1)..=last_seq {
            match seen.get(&s).copied().unwrap_or(0) {
                0 => missed += 1,
                1 => {}
                k => doubled += k - 1,
            }
        }
        doubled += seen.keys().filter(|s| **s <= start_seq || **s > last_seq).count();
    }
    // Signed: a watcher can have the row before the writer has its answer (the answer travels
    // back through wrangler's local proxy while the row is fanned out).
    let ms = |from: &Duration, to: &Duration| (to.as_secs_f64() - from.as_secs_f64()) * 1000.0;
    let mut lat: Vec<f64> = accepted.iter().filter_map(|(s, acc)| last_arrival.get(s).map(|arr| ms(acc, arr))).collect();
    lat.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let mut from_sent: Vec<f64> = sent_at.iter().filter_map(|(s, sent)| last_arrival.get(s).map(|arr| ms(sent, arr))).collect();
    from_sent.sort_by(|a, b| a.partial_cmp(b).unwrap());
    http_ms.sort_by(|a, b| a.partial_cmp(b).unwrap());
    println!("\n| {n} changes × {w} watchers | p50 | p95 | max |\n|---|--:|--:|--:|");
    println!("| note accepted (HTTP answer) → received by every watcher | {:.0} ms | {:.0} ms | {:.0} ms |", pct(&lat, 0.5), pct(&lat, 0.95), lat.last().unwrap());
    println!("| note sent (request leaves the writer) → received by every watcher | {:.0} ms | {:.0} ms | {:.0} ms |", pct(&from_sent, 0.5), pct(&from_sent, 0.95), from_sent.last().unwrap());
    println!("| the note's HTTP round trip | {:.0} ms | {:.0} ms | {:.0} ms |", pct(&http_ms, 0.5), pct(&http_ms, 0.95), http_ms.last().unwrap());
    println!("\nrows missed by a watcher: {missed}; rows a watcher got twice: {doubled} (both must be 0); changes measured: {} of {n}", lat.len());

    // Memory per idle connection: workerd's RSS before and after IDLE more sockets on the incident.
    let settle = || std::thread::sleep(Duration::from_secs(3));
    settle();
    let (before, node_before) = (rss(group, "workerd"), rss(group, "node"));
    let mut held: Vec<Socket> = Vec::with_capacity(idle);
    for _ in 0..idle {
        held.push(open(&inst.base, &id, last_seq, &cookie));
    }
    settle();
    let (after, node_after) = (rss(group, "workerd"), rss(group, "node"));
    let per = |b: u64, a: u64| if idle == 0 { 0.0 } else { (a as f64 - b as f64) / idle as f64 };
    println!(
        "\nmemory: {idle} idle sockets on the incident (each caught up, then silent); VmRSS of the instance's processes from /proc, \
         3 s after the last socket opened, minus 3 s before the first:\n  workerd (runtime + proxy): {} → {} KiB = {:.1} KiB per idle connection\n  \
         wrangler's node (local dev proxy only; not part of a deployment): {} → {} KiB = {:.1} KiB per idle connection",
        before,
        after,
        per(before, after),
        node_before,
        node_after,
        per(node_before, node_after)
    );
    drop(held);
    if missed != 0 || doubled != 0 {
        drop(inst);
        std::process::exit(1);
    }
}
