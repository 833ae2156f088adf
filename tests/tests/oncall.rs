//! Schedules and escalation end to end against wrangler dev: the policy snapshot on a new
//! incident, level 1 in the outbox at once, the cron trigger (driven with explicit times) firing
//! level 2 exactly once, acknowledge stopping it, overrides, "escalate now".

use serde_json::{json, Value};
use std::sync::OnceLock;
use tocsin_tests::{Api, Instance};

struct Ctx {
    inst: Instance,
    world: OnceLock<World>,
}

#[derive(Clone)]
struct World {
    admin: std::sync::Arc<Api>,
    key: String,
    ana: String,
    bo: String,
    schedule: String,
}

impl Ctx {
    fn world(&self) -> World {
        self.world
            .get_or_init(|| {
                let admin = Api::setup(&self.inst.base, "Acme", "admin@example.com", "on-call password", "Admin");
                let user = |email: &str, name: &str| {
                    let r = admin.post("/api/users", json!({"email": email, "name": name, "role": "responder", "password": "responder password"}));
                    assert_eq!(r.status, 201, "{}", r.text);
                    r.json["user"]["id"].as_str().unwrap().to_string()
                };
                let (ana, bo) = (user("ana@example.com", "Ana"), user("bo@example.com", "Bo"));
                let s = admin.post("/api/schedules", json!({"name": "Primary", "time_zone": "Europe/Berlin", "layers": [
                    {"name": "Week", "participants": [ana], "start": "2026-01-01T09:00:00", "turn": {"type": "weekly"}}]}));
                assert_eq!(s.status, 201, "{}", s.text);
                let schedule = s.json["id"].as_str().unwrap().to_string();
                let p = admin.post("/api/escalation-policies", json!({"name": "Checkout", "repeats": 0, "levels": [
                    {"targets": [{"type": "schedule", "id": schedule}], "delay_minutes": 5},
                    {"targets": [{"type": "user", "id": bo}, {"type": "schedule", "id": schedule}], "delay_minutes": 5}]}));
                assert_eq!(p.status, 201, "{}", p.text);
                let svc = admin.post("/api/services", json!({"name": "Checkout"}));
                let sid = svc.json["id"].as_str().unwrap();
                let r = admin.send("PUT", &format!("/api/services/{sid}/escalation-policy"), Some(json!({"policy_id": p.json["id"]}).to_string().into_bytes()), &[]);
                assert_eq!(r.status, 200, "{}", r.text);
                World { admin: std::sync::Arc::new(admin), key: svc.json["integration_key"].as_str().unwrap().into(), ana, bo, schedule }
            })
            .clone()
    }

    fn fire(&self, w: &World, dedup: &str) -> String {
        let r = w.admin.post(&format!("/webhooks/generic/{}", w.key), json!({"summary": format!("Problem {dedup}"), "severity": "critical", "dedup_key": dedup}));
        assert_eq!(r.status, 202, "{}", r.text);
        r.json["incident_id"].as_str().unwrap().to_string()
    }

    fn notifications(&self, w: &World, incident: &str) -> Vec<Value> {
        w.admin.get(&format!("/api/incidents/{incident}/notifications")).json["notifications"].as_array().cloned().unwrap_or_default()
    }

    fn cron(&self, at_ms: i64) {
        let r = Api::new(&self.inst.base).get(&format!("/cdn-cgi/handler/scheduled?cron=*+*+*+*+*&time={at_ms}"));
        assert!(r.status < 300, "{} {}", r.status, r.text);
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64
}

fn main() {
    let ctx = Ctx { inst: Instance::start("oncall"), world: OnceLock::new() };
    let tests: &[(&str, fn(&Ctx))] = &[
        ("level_one_at_once_level_two_once_after_the_timeout", two_levels),
        ("acknowledge_stops_escalation", acknowledge_stops),
        ("overrides_change_who_is_on_call", overrides),
        ("escalate_now_runs_the_next_level", escalate_now),
        ("policies_and_schedules_are_validated", validation),
        ("calendar_feeds_read_by_a_calendar_library", calendars),
        ("acknowledgement_times_out_and_escalation_restarts", unack_timeout),
        ("reassign_to_a_person_or_a_policy", reassign),
        ("editing_a_policy_leaves_running_escalations_alone", snapshot_and_crud),
    ];
    tocsin_tests::run_suite(ctx, tests, |c| eprintln!("--- wrangler log ---\n{}", c.inst.log()))
}

fn two_levels(c: &Ctx) {
    let w = c.world();
    let opened = now_ms();
    let incident = c.fire(&w, "two-levels");
    let n = c.notifications(&w, &incident);
    assert_eq!(n.len(), 1, "level 1 at once: {n:?}");
    assert_eq!((n[0]["user_id"].as_str(), n[0]["level"].as_i64()), (Some(w.ana.as_str()), Some(1)));
    assert_eq!(n[0]["reason"], "level 1: on call in Primary");
    let d = w.admin.get(&format!("/api/incidents/{incident}"));
    assert!(d.text.contains("Escalated to level 1: notified Ana (on call in Primary)"), "{}", d.text);
    c.cron(opened + 4 * 60_000);
    assert_eq!(c.notifications(&w, &incident).len(), 1, "not yet");
    c.cron(opened + 5 * 60_000 + 2_000);
    let n = c.notifications(&w, &incident);
    let level2: Vec<&str> = n.iter().filter(|x| x["level"] == 2).map(|x| x["user_id"].as_str().unwrap()).collect();
    assert_eq!(level2, [w.bo.as_str(), w.ana.as_str()], "level 2: Bo, and Ana via the schedule — each once");
    c.cron(opened + 5 * 60_000 + 2_000);
    assert_eq!(c.notifications(&w, &incident).len(), 3, "the same scheduled time again: nothing new");
    c.cron(opened + 60 * 60_000);
    assert_eq!(c.notifications(&w, &incident).len(), 3, "no repeats configured: done");
    let d = w.admin.get(&format!("/api/incidents/{incident}"));
    let escalations = d.json["timeline"].as_array().unwrap().iter().filter(|t| t["kind"] == "incident.escalated").count();
    assert_eq!(escalations, 2, "one timeline entry per step");
}

fn acknowledge_stops(c: &Ctx) {
    let w = c.world();
    let opened = now_ms();
    let incident = c.fire(&w, "acked");
    assert_eq!(c.notifications(&w, &incident).len(), 1);
    assert_eq!(w.admin.post(&format!("/api/incidents/{incident}/acknowledge"), json!({})).status, 200);
    c.cron(opened + 30 * 60_000);
    assert_eq!(c.notifications(&w, &incident).len(), 1, "acknowledged: no further steps");
    let esc = &w.admin.get(&format!("/api/incidents/{incident}/notifications")).json["escalation"];
    assert!(esc["next_at"].is_null(), "{esc}");
}

fn overrides(c: &Ctx) {
    let w = c.world();
    let who = |c: &Ctx| -> Vec<String> {
        let r = w.admin.get("/api/oncall");
        r.json["schedules"][0]["on_call"].as_array().unwrap().iter().map(|u| u["name"].as_str().unwrap().to_string()).collect()
    };
    let _ = c;
    assert_eq!(who(c), ["Ana"]);
    // Bo covers the next hour himself, in two taps' worth of API.
    let bo = Api::new(&c.inst.base);
    assert_eq!(bo.post("/api/auth/login", json!({"email": "bo@example.com", "password": "responder password"})).status, 200);
    let start = now_ms() - 1_000;
    let iso = |ms: i64| chrono_like(ms);
    let r = bo.post(&format!("/api/schedules/{}/overrides", w.schedule), json!({"start": iso(start), "end": iso(start + 3_600_000)}));
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(who(c), ["Bo"]);
    let r = bo.post(&format!("/api/schedules/{}/overrides", w.schedule), json!({"user_id": w.ana, "start": iso(start), "end": iso(start + 60_000)}));
    assert_eq!(r.status, 403, "responders put only themselves on call");
    let later = w.admin.get(&format!("/api/oncall?at={}", iso(start + 2 * 3_600_000)));
    assert_eq!(later.json["schedules"][0]["on_call"][0]["name"], "Ana", "after the override, the rotation again");
}

fn escalate_now(c: &Ctx) {
    let w = c.world();
    let incident = c.fire(&w, "escalate-now");
    assert_eq!(c.notifications(&w, &incident).len(), 1);
    let r = w.admin.post(&format!("/api/incidents/{incident}/escalate"), json!({}));
    assert_eq!(r.status, 200, "{}", r.text);
    let n = c.notifications(&w, &incident);
    assert!(n.iter().any(|x| x["level"] == 2), "{n:?}");
}

fn validation(c: &Ctx) {
    let w = c.world();
    let r = w.admin.post("/api/escalation-policies", json!({"name": "x", "levels": [{"targets": [], "delay_minutes": 5}]}));
    assert_eq!((r.status, r.field()), (400, "levels[0].targets"), "{}", r.text);
    let r = w.admin.post("/api/escalation-policies", json!({"name": "x", "levels": [{"targets": [{"type": "user", "id": "nobody"}], "delay_minutes": 5}]}));
    assert_eq!((r.status, r.field()), (400, "levels[0].targets"));
    let r = w.admin.post("/api/schedules", json!({"name": "x", "time_zone": "Nowhere/Land", "layers": []}));
    assert_eq!((r.status, r.field()), (400, "time_zone"));
    let r = w.admin.post("/api/schedules", json!({"name": "x", "layers": [{"name": "l", "participants": [], "start": "2026-01-01T00:00:00", "turn": {"type": "daily"}}]}));
    assert_eq!(r.status, 400, "{}", r.text);
}

/// Milliseconds since the epoch → RFC 3339 UTC (via `date`, to stay independent of the code under test).
fn chrono_like(ms: i64) -> String {
    let out = std::process::Command::new("date").args(["-u", "-d", &format!("@{}", ms / 1000), "+%Y-%m-%dT%H:%M:%SZ"]).output().unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

fn read_calendar(url: &str) -> Value {
    let python = std::env::var("TOCSIN_PYTHON").expect("TOCSIN_PYTHON: run with ./tocsin test");
    let out = std::process::Command::new(python)
        .arg(tocsin_tests::instance::root().join("tests/clients/read_calendar.py"))
        .arg(url)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn calendars(c: &Ctx) {
    let w = c.world();
    let r = w.admin.post(&format!("/api/schedules/{}/calendar-feed", w.schedule), json!({}));
    assert_eq!(r.status, 201, "{}", r.text);
    let url = r.json["url"].as_str().unwrap().to_string();
    assert!(url.contains("token=tcf_"));
    let cal = read_calendar(&url);
    assert_eq!(cal["name"], "Primary");
    assert_eq!(cal["version"], "2.0");
    let events = cal["events"].as_array().unwrap();
    // The feed covers whole UTC days from today: Ana's rotation (one person: her weeks merge into
    // one shift), Bo's one-hour override (from the overrides test) cutting into it, then Ana for
    // the rest of the 60 days.
    let who: Vec<&str> = events.iter().map(|e| e["summary"].as_str().unwrap()).collect();
    let bo = who.iter().position(|w| *w == "On call: Bo (Primary)").unwrap_or_else(|| panic!("Bo's override: {events:?}"));
    assert_eq!(who.iter().filter(|w| **w == "On call: Bo (Primary)").count(), 1, "{events:?}");
    assert!(who.iter().enumerate().all(|(i, w)| i == bo || *w == "On call: Ana (Primary)"), "{events:?}");
    assert_eq!(who.last(), Some(&"On call: Ana (Primary)"));
    for pair in events.windows(2) {
        assert_eq!(pair[0]["end"], pair[1]["start"], "back to back: {events:?}");
    }
    assert!(events[0]["start"].as_str().unwrap().ends_with("T00:00:00+00:00"), "whole UTC days: {}", events[0]["start"]);
    assert!(events[bo + 1]["start"].as_str().unwrap().ends_with("+00:00"), "UTC times: {}", events[bo + 1]["start"]);
    let again = read_calendar(&url);
    assert_eq!(again["events"], cal["events"], "stable UIDs and times between fetches");
    // Revoked links stop working.
    let id = r.json["id"].as_str().unwrap();
    assert_eq!(w.admin.send("DELETE", &format!("/api/calendar-feeds/{id}"), None, &[]).status, 204);
    assert_eq!(Api::new(&c.inst.base).get(url.trim_start_matches(&c.inst.base)).status, 404);
    // A person's own shifts across schedules.
    let ana = Api::new(&c.inst.base);
    ana.post("/api/auth/login", json!({"email": "ana@example.com", "password": "responder password"}));
    let mine = ana.post("/api/users/me/calendar-feed", json!({}));
    let cal = read_calendar(mine.json["url"].as_str().unwrap());
    assert!(cal["events"].as_array().unwrap().iter().all(|e| e["summary"].as_str().unwrap().contains("Ana")));
    assert_eq!(Api::new(&c.inst.base).get(&format!("/api/users/{}/oncall.ics?token=wrong", w.ana)).status, 404);
}

fn service_with_policy(w: &World, name: &str, settings: Value) -> (String, String) {
    let svc = w.admin.post("/api/services", json!({"name": name}));
    let sid = svc.json["id"].as_str().unwrap().to_string();
    let policy = w.admin.get("/api/escalation-policies").json["escalation_policies"][0]["id"].as_str().unwrap().to_string();
    w.admin.send("PUT", &format!("/api/services/{sid}/escalation-policy"), Some(json!({"policy_id": policy}).to_string().into_bytes()), &[]);
    if !settings.is_null() {
        assert_eq!(w.admin.patch(&format!("/api/services/{sid}"), settings).status, 200);
    }
    (sid, svc.json["integration_key"].as_str().unwrap().to_string())
}

fn unack_timeout(c: &Ctx) {
    let w = c.world();
    let bad = w.admin.post("/api/services", json!({"name": "bad timeout", "unack_timeout_minutes": 0}));
    assert_eq!((bad.status, bad.field()), (400, "unack_timeout_minutes"));
    let (_, key) = service_with_policy(&w, "Unack", json!({"unack_timeout_minutes": 10}));
    let r = w.admin.post(&format!("/webhooks/generic/{key}"), json!({"summary": "lapses", "severity": "critical", "dedup_key": "u1"}));
    let incident = r.json["incident_id"].as_str().unwrap().to_string();
    let acked = w.admin.post(&format!("/api/incidents/{incident}/acknowledge"), json!({}));
    let acked_at = acked.json["incident"]["acknowledged_at"].as_str().unwrap().to_string();
    let ack_ms = chrono_ms(&acked_at);
    c.cron(ack_ms + 9 * 60_000);
    assert_eq!(w.admin.get(&format!("/api/incidents/{incident}")).json["incident"]["status"], "acknowledged", "not yet");
    c.cron(ack_ms + 10 * 60_000 + 1_000);
    let d = w.admin.get(&format!("/api/incidents/{incident}"));
    assert_eq!(d.json["incident"]["status"], "triggered", "{}", d.text);
    assert!(d.text.contains("Acknowledgement timed out after 10 minutes"));
    let n = c.notifications(&w, &incident);
    assert_eq!(n.iter().filter(|x| x["level"] == 1).count(), 2, "level 1 paged again in a new round: {n:?}");
    c.cron(ack_ms + 10 * 60_000 + 1_000);
    assert_eq!(c.notifications(&w, &incident).len(), n.len(), "and only once");
}

fn reassign(c: &Ctx) {
    let w = c.world();
    let incident = c.fire(&w, "reassign");
    w.admin.post(&format!("/api/incidents/{incident}/acknowledge"), json!({}));
    let r = w.admin.post(&format!("/api/incidents/{incident}/reassign"), json!({"user_id": w.bo}));
    assert_eq!(r.status, 200, "{}", r.text);
    let d = w.admin.get(&format!("/api/incidents/{incident}"));
    assert_eq!(d.json["incident"]["status"], "triggered", "the new assignee acknowledges");
    assert!(d.text.contains("Reassigned to Bo by Admin"));
    let n = c.notifications(&w, &incident);
    assert_eq!(n.last().unwrap()["user_id"], w.bo.as_str(), "{n:?}");
    assert!(r.json["escalation"]["next_at"].is_null(), "nothing further after a person: {}", r.json);
    let policy = w.admin.get("/api/escalation-policies").json["escalation_policies"][0]["id"].as_str().unwrap().to_string();
    let r = w.admin.post(&format!("/api/incidents/{incident}/reassign"), json!({"policy_id": policy}));
    assert_eq!(r.status, 200, "{}", r.text);
    let n2 = c.notifications(&w, &incident);
    assert_eq!(n2.len(), n.len() + 1, "the policy's level 1 at once");
    let on_call_now = w.admin.get("/api/oncall").json["schedules"][0]["on_call"][0]["id"].clone();
    assert_eq!(n2.last().unwrap()["user_id"], on_call_now, "whoever is on call in Primary now (an override may be running)");
    assert_eq!(w.admin.post(&format!("/api/incidents/{incident}/reassign"), json!({})).status, 400);
}

fn snapshot_and_crud(c: &Ctx) {
    let w = c.world();
    let opened = now_ms();
    let incident = c.fire(&w, "snapshot");
    let list = w.admin.get("/api/escalation-policies");
    let p = &list.json["escalation_policies"][0];
    let pid = p["id"].as_str().unwrap().to_string();
    // The policy now pages only Ana at level 2 instead of Bo: the running escalation keeps Bo.
    let r = w.admin.send("PUT", &format!("/api/escalation-policies/{pid}"), Some(json!({"name": "Checkout v2", "levels": [
        {"targets": [{"type": "schedule", "id": w.schedule}], "delay_minutes": 5},
        {"targets": [{"type": "user", "id": w.ana}], "delay_minutes": 5}]}).to_string().into_bytes()), &[]);
    assert_eq!(r.status, 200, "{}", r.text);
    c.cron(opened + 5 * 60_000 + 2_000);
    let level2: Vec<String> = c.notifications(&w, &incident).iter().filter(|x| x["level"] == 2).map(|x| x["user_id"].as_str().unwrap().to_string()).collect();
    assert!(level2.contains(&w.bo), "the snapshot taken at opening still pages Bo: {level2:?}");
    // Schedules: list, replace, delete; overrides: delete.
    let scheds = w.admin.get("/api/schedules");
    assert_eq!(scheds.json["schedules"][0]["layers"][0]["turn"]["type"], "weekly");
    let extra = w.admin.post("/api/schedules", json!({"name": "Temp", "layers": [{"name": "l", "participants": [w.bo], "start": "2026-01-01T00:00:00", "turn": {"type": "daily"}}]}));
    let tid = extra.json["id"].as_str().unwrap().to_string();
    let put = w.admin.send("PUT", &format!("/api/schedules/{tid}"), Some(json!({"name": "Temp 2", "time_zone": "Asia/Tokyo",
        "layers": [{"name": "l", "participants": [w.ana], "start": "2026-01-01T00:00:00", "turn": {"type": "hours", "hours": 8}}]}).to_string().into_bytes()), &[]);
    assert_eq!(put.status, 200, "{}", put.text);
    let o = w.admin.post(&format!("/api/schedules/{tid}/overrides"), json!({"user_id": w.bo, "start": "2026-12-01T00:00:00Z", "end": "2026-12-02T00:00:00Z"}));
    let oid = o.json["id"].as_str().unwrap();
    assert_eq!(w.admin.send("DELETE", &format!("/api/schedules/{tid}/overrides/{oid}"), None, &[]).status, 204);
    assert_eq!(w.admin.send("DELETE", &format!("/api/schedules/{tid}"), None, &[]).status, 204);
    assert_eq!(w.admin.send("DELETE", &format!("/api/schedules/{tid}"), None, &[]).status, 404);
    let temp_policy = w.admin.post("/api/escalation-policies", json!({"name": "temp", "levels": [{"targets": [{"type": "user", "id": w.bo}], "delay_minutes": 1}]}));
    let tp = temp_policy.json["id"].as_str().unwrap();
    assert_eq!(w.admin.send("DELETE", &format!("/api/escalation-policies/{tp}"), None, &[]).status, 204);
}

fn chrono_ms(s: &str) -> i64 {
    let out = std::process::Command::new("date").args(["-u", "-d", s, "+%s%3N"]).output().unwrap();
    String::from_utf8(out.stdout).unwrap().trim().parse().unwrap()
}
