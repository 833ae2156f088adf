//! Schedules and escalation end to end against wrangler dev: the policy snapshot on a new
//! incident, level 1 in the outbox at once, the cron trigger (driven with explicit times) firing
//! level 2 exactly once, acknowledge stopping it, overrides, "escalate now".

use serde_json::{json, Value};
use std::sync::{Arc, OnceLock};
use tocsin_tests::{Api, Instance};

struct Ctx {
    inst: Instance,
    admin: OnceLock<Arc<Api>>,
}

/// What one test works with, made by that test alone: two responders (Ana and Bo, with
/// addresses no other test uses), a weekly "Primary" schedule with Ana on it, a two-level policy
/// (the schedule, then Bo and the schedule) and a service using it.
#[derive(Clone)]
struct World {
    admin: Arc<Api>,
    key: String,
    service_id: String,
    ana: String,
    bo: String,
    bo_email: String,
    ana_email: String,
    schedule: String,
    policy: String,
}

impl Ctx {
    fn admin(&self) -> Arc<Api> {
        self.admin.get_or_init(|| Arc::new(Api::setup(&self.inst.base, "Acme", "admin@example.com", "on-call password", "Admin"))).clone()
    }

    fn world(&self) -> World {
        self.world_with_repeats(0)
    }

    fn world_with_repeats(&self, repeats: u32) -> World {
        let admin = self.admin();
        let tag = tocsin_tests::unique("oc");
        let user = |email: &str, name: &str| {
            let r = admin.post("/api/users", json!({"email": email, "name": name, "role": "responder", "password": "responder password"}));
            assert_eq!(r.status, 201, "{}", r.text);
            r.json["user"]["id"].as_str().unwrap().to_string()
        };
        let (ana_email, bo_email) = (format!("ana-{tag}@example.com"), format!("bo-{tag}@example.com"));
        let (ana, bo) = (user(&ana_email, "Ana"), user(&bo_email, "Bo"));
        let s = admin.post("/api/schedules", json!({"name": "Primary", "time_zone": "Europe/Berlin", "layers": [
            {"name": "Week", "participants": [ana], "start": "2026-01-01T09:00:00", "turn": {"type": "weekly"}}]}));
        assert_eq!(s.status, 201, "{}", s.text);
        let schedule = s.json["id"].as_str().unwrap().to_string();
        let p = admin.post("/api/escalation-policies", json!({"name": format!("Checkout {tag}"), "repeats": repeats, "levels": [
            {"targets": [{"type": "schedule", "id": schedule}], "delay_minutes": 5},
            {"targets": [{"type": "user", "id": bo}, {"type": "schedule", "id": schedule}], "delay_minutes": 5}]}));
        assert_eq!(p.status, 201, "{}", p.text);
        let policy = p.json["id"].as_str().unwrap().to_string();
        let svc = admin.post("/api/services", json!({"name": format!("Checkout {tag}")}));
        assert_eq!(svc.status, 201, "{}", svc.text);
        let sid = svc.json["id"].as_str().unwrap().to_string();
        let r = admin.send("PUT", &format!("/api/services/{sid}/escalation-policy"), Some(json!({"policy_id": policy}).to_string().into_bytes()), &[]);
        assert_eq!(r.status, 200, "{}", r.text);
        World { admin, key: svc.json["integration_key"].as_str().unwrap().into(), service_id: sid, ana, bo, bo_email, ana_email, schedule, policy }
    }

    fn fire(&self, w: &World, dedup: &str) -> String {
        let r = w.admin.post(&format!("/webhooks/generic/{}", w.key), json!({"summary": format!("Problem {dedup}"), "severity": "critical", "dedup_key": dedup}));
        assert_eq!(r.status, 202, "{}", r.text);
        r.json["incident_id"].as_str().unwrap().to_string()
    }

    fn notifications(&self, w: &World, incident: &str) -> Vec<Value> {
        w.admin.get(&format!("/api/incidents/{incident}/notifications")).json["notifications"].as_array().cloned().unwrap_or_default()
    }

    /// When the incident's next escalation step is due (read from the API), in ms.
    fn next_at(&self, w: &World, incident: &str) -> Option<i64> {
        let r = w.admin.get(&format!("/api/incidents/{incident}/notifications"));
        r.json["escalation"]["next_at"].as_str().map(tocsin_tests::rfc3339_ms)
    }

    fn cron(&self, at_ms: i64) {
        tocsin_tests::cron(&self.inst.base, at_ms);
    }

    /// Who is on call now in the world's own schedule (names).
    fn on_call(&self, w: &World, at: Option<&str>) -> Vec<Value> {
        let path = at.map(|t| format!("/api/oncall?at={t}")).unwrap_or_else(|| "/api/oncall".into());
        let r = w.admin.get(&path);
        let schedules = r.json["schedules"].as_array().cloned().unwrap_or_default();
        let mine = schedules.iter().find(|s| s["id"] == w.schedule.as_str() || s["schedule_id"] == w.schedule.as_str());
        mine.unwrap_or_else(|| panic!("schedule {} in /api/oncall: {}", w.schedule, r.text))["on_call"].as_array().cloned().unwrap_or_default()
    }

    fn login(&self, email: &str) -> Api {
        let api = Api::new(&self.inst.base);
        let r = api.post("/api/auth/login", json!({"email": email, "password": "responder password"}));
        assert_eq!(r.status, 200, "{}", r.text);
        api
    }
}

fn now_ms() -> i64 {
    tocsin_tests::now_ms()
}

fn main() {
    let ctx = Ctx { inst: Instance::start("oncall"), admin: OnceLock::new() };
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
        ("policy_repeats_run_the_levels_again", policy_repeats),
        ("a_late_run_pages_one_level_and_gives_it_its_minutes", late_run),
        ("a_deactivated_person_on_call_is_not_paged_and_their_shift_is_uncovered", deactivated_on_call),
        ("a_lapsed_acknowledgement_after_a_reassignment_pages_the_assignee", reassigned_then_lapsed),
        ("a_deactivated_persons_override_ends_and_the_rotation_is_paged", deactivated_override),
    ];
    tocsin_tests::run_suite(ctx, tests, |c| eprintln!("--- wrangler log ---\n{}", c.inst.log()))
}

fn two_levels(c: &Ctx) {
    let w = c.world();
    let incident = c.fire(&w, "two-levels");
    let n = c.notifications(&w, &incident);
    assert_eq!(n.len(), 1, "level 1 at once: {n:?}");
    assert_eq!((n[0]["user_id"].as_str(), n[0]["level"].as_i64()), (Some(w.ana.as_str()), Some(1)));
    assert_eq!(n[0]["reason"], "level 1: on call in Primary");
    let d = w.admin.get(&format!("/api/incidents/{incident}"));
    assert!(d.text.contains("Escalated to level 1: notified Ana (on call in Primary)"), "{}", d.text);
    // Level 2 is due five minutes after the incident opened, as the API says; the cron is
    // driven to one millisecond before that, then to that instant.
    let due = c.next_at(&w, &incident).expect("level 2 is scheduled");
    let opened = tocsin_tests::rfc3339_ms(d.json["incident"]["created_at"].as_str().unwrap());
    assert_eq!(due - opened, 5 * 60_000, "the level's delay");
    c.cron(due - 1);
    assert_eq!(c.notifications(&w, &incident).len(), 1, "not yet");
    c.cron(due);
    let n = c.notifications(&w, &incident);
    let level2: Vec<&str> = n.iter().filter(|x| x["level"] == 2).map(|x| x["user_id"].as_str().unwrap()).collect();
    assert_eq!(level2, [w.bo.as_str(), w.ana.as_str()], "level 2: Bo, and Ana via the schedule — each once");
    c.cron(due);
    assert_eq!(c.notifications(&w, &incident).len(), 3, "the same scheduled time again: nothing new");
    c.cron(due + 60 * 60_000);
    assert_eq!(c.notifications(&w, &incident).len(), 3, "no repeats configured: done");
    assert_eq!(c.next_at(&w, &incident), None, "nothing further is scheduled");
    let d = w.admin.get(&format!("/api/incidents/{incident}"));
    let escalations = d.json["timeline"].as_array().unwrap().iter().filter(|t| t["kind"] == "incident.escalated").count();
    assert_eq!(escalations, 2, "one timeline entry per step");
}

/// `repeats: 1` runs the whole policy once more after its last level; then it stops.
fn policy_repeats(c: &Ctx) {
    let w = c.world_with_repeats(1);
    let incident = c.fire(&w, "repeats");
    assert_eq!(c.notifications(&w, &incident).len(), 1, "level 1 at once");
    let due = c.next_at(&w, &incident).expect("level 2 due");
    c.cron(due);
    assert_eq!(c.notifications(&w, &incident).len(), 3, "level 2: Bo and Ana");
    // After the last level's delay, the policy starts again at level 1 (cycle 2).
    let again = c.next_at(&w, &incident).expect("the repeat is scheduled");
    assert_eq!(again - due, 5 * 60_000, "after level 2's delay");
    c.cron(again - 1);
    assert_eq!(c.notifications(&w, &incident).len(), 3, "not yet");
    c.cron(again);
    let n = c.notifications(&w, &incident);
    let cycle2: Vec<(i64, &str)> = n.iter().filter(|x| x["cycle"].as_i64() != n[0]["cycle"].as_i64()).map(|x| (x["level"].as_i64().unwrap(), x["user_id"].as_str().unwrap())).collect();
    assert_eq!(cycle2, [(1, w.ana.as_str())], "the second round's level 1: {n:?}");
    let due2 = c.next_at(&w, &incident).expect("round 2 level 2");
    c.cron(due2);
    let n = c.notifications(&w, &incident);
    assert_eq!(n.len(), 6, "round 2 level 2: Bo and Ana again: {n:?}");
    // One repeat only: nothing after the second round.
    assert_eq!(c.next_at(&w, &incident), None, "stopped after one repeat");
    c.cron(due2 + 60 * 60_000);
    assert_eq!(c.notifications(&w, &incident).len(), 6);
    let r = w.admin.post(&format!("/api/incidents/{incident}/resolve"), json!({}));
    assert_eq!(r.status, 200);
}

/// The escalation clock and the cron were down for half an hour past level 2's time: the run
/// after the outage pages level 2 only, and the repeat waits level 2's five minutes from then
/// (before, the run paged level 2, then the repeat's level 1 and 2 at once).
fn late_run(c: &Ctx) {
    let w = c.world_with_repeats(1);
    let incident = c.fire(&w, "late-run");
    assert_eq!(c.notifications(&w, &incident).len(), 1, "level 1 at once");
    let due = c.next_at(&w, &incident).expect("level 2 due");
    let late = due + 30 * 60_000;
    c.cron(late);
    let n = c.notifications(&w, &incident);
    let levels: Vec<(i64, i64)> = n.iter().map(|x| (x["cycle"].as_i64().unwrap(), x["level"].as_i64().unwrap())).collect();
    assert_eq!(n.len(), 3, "level 2 (Bo and Ana), not the repeat's levels too: {levels:?}");
    assert!(n.iter().all(|x| x["cycle"] == n[0]["cycle"]), "{levels:?}");
    assert_eq!(c.next_at(&w, &incident), Some(late + 5 * 60_000), "level 2's wait counts from the late page");
    c.cron(late);
    assert_eq!(c.notifications(&w, &incident).len(), 3, "the same run again: nothing new");
    c.cron(late + 5 * 60_000);
    assert_eq!(c.notifications(&w, &incident).len(), 4, "then the repeat's level 1");
    let r = w.admin.post(&format!("/api/incidents/{incident}/resolve"), json!({}));
    assert_eq!(r.status, 200);
}

fn acknowledge_stops(c: &Ctx) {
    let w = c.world();
    let incident = c.fire(&w, "acked");
    assert_eq!(c.notifications(&w, &incident).len(), 1);
    let due = c.next_at(&w, &incident).expect("level 2 due");
    assert_eq!(w.admin.post(&format!("/api/incidents/{incident}/acknowledge"), json!({})).status, 200);
    c.cron(due);
    c.cron(due + 30 * 60_000);
    assert_eq!(c.notifications(&w, &incident).len(), 1, "acknowledged: no further steps");
    let esc = &w.admin.get(&format!("/api/incidents/{incident}/notifications")).json["escalation"];
    assert!(esc["next_at"].is_null(), "{esc}");
}

fn overrides(c: &Ctx) {
    let w = c.world();
    let names = |v: Vec<Value>| -> Vec<String> { v.iter().map(|u| u["name"].as_str().unwrap().to_string()).collect() };
    assert_eq!(names(c.on_call(&w, None)), ["Ana"]);
    // Bo covers the next hour himself, in two taps' worth of API.
    let bo = c.login(&w.bo_email);
    let start = now_ms() - 1_000;
    let iso = tocsin_tests::ms_rfc3339;
    let r = bo.post(&format!("/api/schedules/{}/overrides", w.schedule), json!({"start": iso(start), "end": iso(start + 3_600_000)}));
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(names(c.on_call(&w, None)), ["Bo"]);
    let r = bo.post(&format!("/api/schedules/{}/overrides", w.schedule), json!({"user_id": w.ana, "start": iso(start), "end": iso(start + 60_000)}));
    assert_eq!(r.status, 403, "responders put only themselves on call");
    let later = c.on_call(&w, Some(&iso(start + 2 * 3_600_000)));
    assert_eq!(names(later), ["Ana"], "after the override, the rotation again");
}

fn escalate_now(c: &Ctx) {
    let w = c.world();
    let incident = c.fire(&w, "escalate-now");
    assert_eq!(c.notifications(&w, &incident).len(), 1);
    let r = w.admin.post(&format!("/api/incidents/{incident}/escalate"), json!({}));
    assert_eq!(r.status, 200, "{}", r.text);
    let n = c.notifications(&w, &incident);
    let level2: Vec<&str> = n.iter().filter(|x| x["level"] == 2).map(|x| x["user_id"].as_str().unwrap()).collect();
    assert_eq!(level2, [w.bo.as_str(), w.ana.as_str()], "{n:?}");
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
    // Bo takes one hour, starting in three hours (so it lies inside today's or tomorrow's UTC
    // day, wherever in the day this runs).
    let bo = c.login(&w.bo_email);
    let start = (now_ms() / 60_000 + 180) * 60_000;
    let r = bo.post(&format!("/api/schedules/{}/overrides", w.schedule),
        json!({"start": tocsin_tests::ms_rfc3339(start), "end": tocsin_tests::ms_rfc3339(start + 3_600_000)}));
    assert_eq!(r.status, 201, "{}", r.text);
    // A name is one line: a line break in it could end an event's SUMMARY in a feed and start a
    // property or an event of its own. Refused, and nothing changes.
    for name in ["Bo\rDESCRIPTION:pwned", "Bo\nEND:VEVENT", "Bo\u{2028}x"] {
        let r = bo.patch("/api/users/me", json!({"name": name}));
        assert_eq!((r.status, r.field()), (400, "name"), "{name:?}: {}", r.text);
    }
    let r = w.admin.post("/api/schedules", json!({"name": "Night\rX-INJECTED:1", "layers": []}));
    assert_eq!((r.status, r.field()), (400, "name"), "{}", r.text);
    // An override that ended two days ago (the admin records who really covered): it still
    // splits Ana's rota, so her shift under way starts where it ended, on every fetch.
    let today = now_ms() - now_ms().rem_euclid(86_400_000);
    let (past_start, past_end) = (today - 2 * 86_400_000 + 3_600_000, today - 2 * 86_400_000 + 2 * 3_600_000);
    let r = w.admin.post(&format!("/api/schedules/{}/overrides", w.schedule),
        json!({"user_id": w.bo, "start": tocsin_tests::ms_rfc3339(past_start), "end": tocsin_tests::ms_rfc3339(past_end)}));
    assert_eq!(r.status, 201, "{}", r.text);
    let r = w.admin.post(&format!("/api/schedules/{}/calendar-feed", w.schedule), json!({}));
    assert_eq!(r.status, 201, "{}", r.text);
    let url = r.json["url"].as_str().unwrap().to_string();
    assert!(url.contains("token=tcf_"));
    let cal = read_calendar(&url);
    assert_eq!(cal["name"], "Primary");
    assert_eq!(cal["version"], "2.0");
    let events = cal["events"].as_array().unwrap();
    assert!(events.len() >= 3, "Ana, Bo's hour, Ana again: {events:?}");
    // The feed covers whole UTC days from today: Ana's rotation (one person: her weeks merge into
    // one shift), Bo's one-hour override cutting into it, then Ana for the rest of the 60 days.
    let who: Vec<&str> = events.iter().map(|e| e["summary"].as_str().unwrap()).collect();
    let bo_at = who.iter().position(|w| *w == "On call: Bo (Primary)").unwrap_or_else(|| panic!("Bo's override: {events:?}"));
    assert_eq!(who.iter().filter(|w| **w == "On call: Bo (Primary)").count(), 1, "{events:?}");
    assert!(who.iter().enumerate().all(|(i, w)| i == bo_at || *w == "On call: Ana (Primary)"), "{events:?}");
    assert_eq!(who.last(), Some(&"On call: Ana (Primary)"));
    // Bo's event is exactly the override, read by the calendar library.
    assert_eq!(tocsin_tests::rfc3339_ms(events[bo_at]["start"].as_str().unwrap()), start, "{}", events[bo_at]);
    assert_eq!(tocsin_tests::rfc3339_ms(events[bo_at]["end"].as_str().unwrap()), start + 3_600_000);
    for pair in events.windows(2) {
        assert_eq!(pair[0]["end"], pair[1]["start"], "back to back: {events:?}");
    }
    // The shift under way keeps its real start, which does not move with each day's fetch (it was
    // cut at today's midnight, changing its times and UID every day); the past override ended
    // before today, so it is not an event itself.
    assert_eq!(tocsin_tests::rfc3339_ms(events[0]["start"].as_str().unwrap()), past_end, "Ana's shift began when Bo's hour ended: {}", events[0]);
    assert!(events[bo_at + 1]["start"].as_str().unwrap().ends_with("+00:00"), "UTC times: {}", events[bo_at + 1]["start"]);
    let again = read_calendar(&url);
    assert_eq!(again["events"], cal["events"], "stable UIDs and times between fetches");
    // Revoked links stop working.
    let id = r.json["id"].as_str().unwrap();
    assert_eq!(w.admin.send("DELETE", &format!("/api/calendar-feeds/{id}"), None, &[]).status, 204);
    assert_eq!(Api::new(&c.inst.base).get(url.trim_start_matches(&c.inst.base)).status, 404);
    // A person's own shifts across schedules: a second schedule with the same rota and the same
    // override has events at exactly the same times, each its own event (one UID per event),
    // named by its schedule.
    let db = w.admin.post("/api/schedules", json!({"name": "Database", "time_zone": "Europe/Berlin", "layers": [
        {"name": "Week", "participants": [w.ana], "start": "2026-01-01T09:00:00", "turn": {"type": "weekly"}}]}));
    assert_eq!(db.status, 201, "{}", db.text);
    let r = bo.post(&format!("/api/schedules/{}/overrides", db.json["id"].as_str().unwrap()),
        json!({"start": tocsin_tests::ms_rfc3339(start), "end": tocsin_tests::ms_rfc3339(start + 3_600_000)}));
    assert_eq!(r.status, 201, "{}", r.text);
    let ana = c.login(&w.ana_email);
    let mine = ana.post("/api/users/me/calendar-feed", json!({}));
    assert_eq!(mine.status, 201, "{}", mine.text);
    let cal = read_calendar(mine.json["url"].as_str().unwrap());
    let events = cal["events"].as_array().unwrap();
    assert!(!events.is_empty(), "Ana is on call in Primary: {cal}");
    assert!(events.iter().all(|e| e["summary"].as_str().unwrap().contains("Ana")), "{cal}");
    let uids: std::collections::HashSet<&str> = events.iter().map(|e| e["uid"].as_str().unwrap()).collect();
    assert_eq!(uids.len(), events.len(), "one UID per event: {cal}");
    for schedule in ["Primary", "Database"] {
        let n = events.iter().filter(|e| e["summary"] == format!("On call: Ana ({schedule})").as_str()).count();
        assert_eq!(n, 2, "Ana before and after Bo's hour in {schedule}: {cal}");
    }
    assert_eq!(Api::new(&c.inst.base).get(&format!("/api/users/{}/oncall.ics?token=wrong", w.ana)).status, 404);
    // Each person lists the feeds they may revoke (never their links); an admin lists them all.
    let schedule_feed = w.admin.post(&format!("/api/schedules/{}/calendar-feed", w.schedule), json!({}));
    assert_eq!(schedule_feed.status, 201, "{}", schedule_feed.text);
    let (mine_id, theirs_id) = (mine.json["id"].as_str().unwrap(), schedule_feed.json["id"].as_str().unwrap());
    let ids = |api: &Api| -> Vec<String> {
        let r = api.get("/api/calendar-feeds");
        assert_eq!(r.status, 200, "{}", r.text);
        assert!(!r.text.contains("token=") && !r.text.contains("tcf_"), "no link in the list: {}", r.text);
        r.json["feeds"].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap().to_string()).collect()
    };
    let all = w.admin.get("/api/calendar-feeds");
    let feed = |id: &str| all.json["feeds"].as_array().unwrap().iter().find(|f| f["id"] == id).cloned().unwrap_or_else(|| panic!("{id} listed for the admin: {}", all.text));
    assert_eq!((feed(mine_id)["kind"].as_str(), feed(mine_id)["subject_name"].as_str(), feed(mine_id)["subject_id"].as_str()), (Some("user"), Some("Ana"), Some(w.ana.as_str())));
    assert_eq!((feed(theirs_id)["kind"].as_str(), feed(theirs_id)["subject_name"].as_str()), (Some("schedule"), Some("Primary")));
    assert!(feed(theirs_id)["created_by"].is_string(), "{}", all.text);
    assert!(!ids(&w.admin).contains(&id.to_string()), "a revoked feed is not listed");
    assert_eq!(ids(&ana), vec![mine_id.to_string()], "Ana: her own feed only");
    assert!(ids(&bo).is_empty(), "Bo made none and has no personal feed");
    assert_eq!(ana.send("DELETE", &format!("/api/calendar-feeds/{mine_id}"), None, &[]).status, 204);
    assert!(ids(&ana).is_empty() && !ids(&w.admin).contains(&mine_id.to_string()), "revoked: listed no more");
}

/// A second service on the world's policy, with `settings`.
fn service_with_policy(w: &World, name: &str, settings: Value) -> (String, String) {
    let svc = w.admin.post("/api/services", json!({"name": tocsin_tests::unique(name)}));
    assert_eq!(svc.status, 201, "{}", svc.text);
    let sid = svc.json["id"].as_str().unwrap().to_string();
    let r = w.admin.send("PUT", &format!("/api/services/{sid}/escalation-policy"), Some(json!({"policy_id": w.policy}).to_string().into_bytes()), &[]);
    assert_eq!(r.status, 200, "{}", r.text);
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
    let lapses = tocsin_tests::rfc3339_ms(&acked_at) + 10 * 60_000;
    c.cron(lapses - 1);
    assert_eq!(w.admin.get(&format!("/api/incidents/{incident}")).json["incident"]["status"], "acknowledged", "not yet");
    c.cron(lapses);
    let d = w.admin.get(&format!("/api/incidents/{incident}"));
    assert_eq!(d.json["incident"]["status"], "triggered", "{}", d.text);
    assert!(d.text.contains("Acknowledgement timed out after 10 minutes"));
    let n = c.notifications(&w, &incident);
    assert_eq!(n.iter().filter(|x| x["level"] == 1).count(), 2, "level 1 paged again in a new round: {n:?}");
    c.cron(lapses);
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
    assert!(d.text.contains("Back to triggered: reassigned by Admin"), "written in the reassignment's batch: {}", d.text);
    let n = c.notifications(&w, &incident);
    assert_eq!(n.last().unwrap()["user_id"], w.bo.as_str(), "{n:?}");
    assert!(r.json["escalation"]["next_at"].is_null(), "nothing further after a person: {}", r.json);
    let r = w.admin.post(&format!("/api/incidents/{incident}/reassign"), json!({"policy_id": w.policy}));
    assert_eq!(r.status, 200, "{}", r.text);
    let n2 = c.notifications(&w, &incident);
    assert_eq!(n2.len(), n.len() + 1, "the policy's level 1 at once");
    assert_eq!(n2.last().unwrap()["user_id"], w.ana.as_str(), "Ana is on call in this world's Primary (nobody overrode it)");
    assert_eq!(c.on_call(&w, None)[0]["id"], w.ana.as_str());
    assert_eq!(w.admin.post(&format!("/api/incidents/{incident}/reassign"), json!({})).status, 400);
}

fn snapshot_and_crud(c: &Ctx) {
    let w = c.world();
    let incident = c.fire(&w, "snapshot");
    // The policy now pages only Ana at level 2 instead of Bo: the running escalation keeps Bo.
    let r = w.admin.send("PUT", &format!("/api/escalation-policies/{}", w.policy), Some(json!({"name": tocsin_tests::unique("Checkout v2"), "levels": [
        {"targets": [{"type": "schedule", "id": w.schedule}], "delay_minutes": 5},
        {"targets": [{"type": "user", "id": w.ana}], "delay_minutes": 5}]}).to_string().into_bytes()), &[]);
    assert_eq!(r.status, 200, "{}", r.text);
    let due = c.next_at(&w, &incident).expect("level 2 due");
    c.cron(due);
    let level2: Vec<String> = c.notifications(&w, &incident).iter().filter(|x| x["level"] == 2).map(|x| x["user_id"].as_str().unwrap().to_string()).collect();
    assert!(level2.contains(&w.bo), "the snapshot taken at opening still pages Bo: {level2:?}");
    // Schedules: list, replace, delete; overrides: delete.
    let scheds = w.admin.get("/api/schedules");
    let mine = scheds.json["schedules"].as_array().unwrap().iter().find(|s| s["id"] == w.schedule.as_str()).cloned().unwrap_or_else(|| panic!("{}", scheds.text));
    assert_eq!(mine["layers"][0]["turn"]["type"], "weekly");
    let extra = w.admin.post("/api/schedules", json!({"name": "Temp", "layers": [{"name": "l", "participants": [w.bo], "start": "2026-01-01T00:00:00", "turn": {"type": "daily"}}]}));
    let tid = extra.json["id"].as_str().unwrap().to_string();
    let put = w.admin.send("PUT", &format!("/api/schedules/{tid}"), Some(json!({"name": "Temp 2", "time_zone": "Asia/Tokyo",
        "layers": [{"name": "l", "participants": [w.ana], "start": "2026-01-01T00:00:00", "turn": {"type": "hours", "hours": 8}}]}).to_string().into_bytes()), &[]);
    assert_eq!(put.status, 200, "{}", put.text);
    let o = w.admin.post(&format!("/api/schedules/{tid}/overrides"), json!({"user_id": w.bo, "start": "2026-12-01T00:00:00Z", "end": "2026-12-02T00:00:00Z"}));
    assert_eq!(o.status, 201, "{}", o.text);
    let oid = o.json["id"].as_str().unwrap();
    assert_eq!(w.admin.send("DELETE", &format!("/api/schedules/{tid}/overrides/{oid}"), None, &[]).status, 204);
    assert_eq!(w.admin.send("DELETE", &format!("/api/schedules/{tid}"), None, &[]).status, 204);
    assert_eq!(w.admin.send("DELETE", &format!("/api/schedules/{tid}"), None, &[]).status, 404);
    let temp_policy = w.admin.post("/api/escalation-policies", json!({"name": "temp", "levels": [{"targets": [{"type": "user", "id": w.bo}], "delay_minutes": 1}]}));
    let tp = temp_policy.json["id"].as_str().unwrap();
    assert_eq!(w.admin.send("DELETE", &format!("/api/escalation-policies/{tp}"), None, &[]).status, 204);
    let _ = &w.service_id;
}

/// Deactivating Ana, on call in Primary now: she stays named on the rota, flagged, and her shifts
/// are uncovered; a new incident's level 1 (only Primary) pages nobody and falls through at
/// once to level 2, which pages Bo and not Ana through the schedule. Someone covering an hour
/// makes that hour covered again.
fn deactivated_on_call(c: &Ctx) {
    let w = c.world();
    let before = c.on_call(&w, None);
    assert_eq!(before.iter().map(|p| (p["id"].as_str().unwrap(), p["deactivated"].as_bool())).collect::<Vec<_>>(), [(w.ana.as_str(), Some(false))]);
    let r = w.admin.post(&format!("/api/users/{}/deactivate", w.ana), json!({}));
    assert_eq!(r.status, 200, "{}", r.text);
    let mine = |at: Option<String>| -> Value {
        let r = w.admin.get(&at.map(|t| format!("/api/oncall?at={t}")).unwrap_or_else(|| "/api/oncall".into()));
        assert_eq!(r.status, 200, "{}", r.text);
        r.json["schedules"].as_array().unwrap().iter().find(|s| s["schedule_id"] == w.schedule.as_str()).cloned().unwrap_or_else(|| panic!("{}", r.text))
    };

    let now = mine(None);
    assert_eq!(now["uncovered"], true, "{now}");
    assert_eq!(now["on_call"], json!([{"id": w.ana, "name": "Ana", "deactivated": true}]), "still named: {now}");
    let t = w.admin.get(&format!("/api/schedules/{}/timeline?days=21", w.schedule));
    assert_eq!(t.status, 200, "{}", t.text);
    let shifts = t.json["final"]["shifts"].as_array().cloned().unwrap_or_default();
    assert!(!shifts.is_empty(), "three weeks of Ana's turns: {}", t.text);
    for sh in &shifts {
        assert_eq!(sh["uncovered"], true, "{sh}");
        assert_eq!(sh["people"], json!([{"id": w.ana, "name": "Ana", "deactivated": true}]), "{sh}");
    }

    let incident = c.fire(&w, "deactivated-on-call");
    let n = c.notifications(&w, &incident);
    let paged: Vec<(i64, &str)> = n.iter().map(|x| (x["level"].as_i64().unwrap(), x["user_id"].as_str().unwrap())).collect();
    assert_eq!(paged, [(2, w.bo.as_str())], "level 1 fell through at once; level 2 pages Bo, never Ana: {n:?}");
    assert_eq!(c.next_at(&w, &incident), None, "level 2 was the last");
    let d = w.admin.get(&format!("/api/incidents/{incident}"));
    let steps: Vec<&str> = d.json["timeline"].as_array().unwrap().iter().filter(|t| t["kind"] == "incident.escalated").map(|t| t["message"].as_str().unwrap()).collect();
    assert_eq!(
        steps,
        [
            "Level 1: nobody on call in Primary (Ana is deactivated); going on to the next level",
            "Escalated to level 2: notified Bo — nobody on call in Primary (Ana is deactivated)",
        ],
        "{}",
        d.text
    );
    assert_eq!(w.admin.post(&format!("/api/incidents/{incident}/resolve"), json!({})).status, 200);

    // Bo covering the next hour makes that hour covered, and only that hour.
    let bo = c.login(&w.bo_email);
    let start = now_ms() - 1_000;
    let iso = tocsin_tests::ms_rfc3339;
    let o = bo.post(&format!("/api/schedules/{}/overrides", w.schedule), json!({"start": iso(start), "end": iso(start + 3_600_000)}));
    assert_eq!(o.status, 201, "{}", o.text);
    let covered = mine(Some(iso(start + 60_000)));
    assert_eq!(covered["uncovered"], false, "{covered}");
    assert_eq!(covered["on_call"], json!([{"id": w.bo, "name": "Bo", "deactivated": false}]), "{covered}");
    let later = mine(Some(iso(start + 2 * 3_600_000)));
    assert_eq!(later["uncovered"], true, "after Bo's hour, Ana's turn again: {later}");
}

/// PagerDuty and Opsgenie re-notify the assignee when an acknowledgement lapses: after a
/// reassignment to Bo, the lapse pages Bo again, not the old policy's level 1 (Ana), and Ana's
/// page stops repeating at the reassignment.
fn reassigned_then_lapsed(c: &Ctx) {
    let w = c.world();
    let (_, key) = service_with_policy(&w, "Reassigned lapse", json!({"unack_timeout_minutes": 10}));
    let r = w.admin.post(&format!("/webhooks/generic/{key}"), json!({"summary": "reassigned then lapsed", "severity": "critical", "dedup_key": "rl"}));
    let incident = r.json["incident_id"].as_str().unwrap().to_string();
    // Ana's page is dispatched right after the response, with its repeat scheduled (SEV1).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let ana_page = loop {
        let n = c.notifications(&w, &incident);
        if let Some(p) = n.iter().find(|x| x["user_id"] == w.ana.as_str() && !x["next_repeat_at"].is_null()) {
            break p["id"].clone();
        }
        assert!(std::time::Instant::now() < deadline, "Ana's page with its repeat: {n:?}");
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    let r = w.admin.post(&format!("/api/incidents/{incident}/reassign"), json!({"user_id": w.bo}));
    assert_eq!(r.status, 200, "{}", r.text);
    let n = c.notifications(&w, &incident);
    let ana = n.iter().find(|x| x["id"] == ana_page).unwrap();
    assert!(ana["next_repeat_at"].is_null(), "Ana is no longer the one expected to answer: {ana}");
    let acked = w.admin.post(&format!("/api/incidents/{incident}/acknowledge"), json!({}));
    assert_eq!(acked.status, 200, "{}", acked.text);
    let lapses = tocsin_tests::rfc3339_ms(acked.json["incident"]["acknowledged_at"].as_str().unwrap()) + 10 * 60_000;
    let before = c.notifications(&w, &incident).len();
    c.cron(lapses);
    let d = w.admin.get(&format!("/api/incidents/{incident}"));
    assert_eq!(d.json["incident"]["status"], "triggered", "{}", d.text);
    let n = c.notifications(&w, &incident);
    let new: Vec<&str> = n[before..].iter().map(|x| x["user_id"].as_str().unwrap()).collect();
    assert_eq!(new, [w.bo.as_str()], "the assignee is paged again, nobody else: {n:?}");
    assert_eq!(c.next_at(&w, &incident), None, "and nothing further");
}

/// An override wins over the rotation: one left in place for a person deactivated would leave
/// the schedule with nobody to page. Deactivating ends their current override and removes their
/// future ones (as PagerDuty does), so the rotation (Ana) is paged again.
fn deactivated_override(c: &Ctx) {
    let w = c.world();
    let iso = tocsin_tests::ms_rfc3339;
    let start = now_ms() - 1_000;
    let bo = c.login(&w.bo_email);
    for (from, to) in [(start, start + 3_600_000), (start + 86_400_000, start + 2 * 86_400_000)] {
        let r = bo.post(&format!("/api/schedules/{}/overrides", w.schedule), json!({"start": iso(from), "end": iso(to)}));
        assert_eq!(r.status, 201, "{}", r.text);
    }
    let names = |v: Vec<Value>| -> Vec<String> { v.iter().map(|u| u["name"].as_str().unwrap().to_string()).collect() };
    assert_eq!(names(c.on_call(&w, None)), ["Bo"]);
    let r = w.admin.post(&format!("/api/users/{}/deactivate", w.bo), json!({}));
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(names(c.on_call(&w, None)), ["Ana"], "Bo's override ended with him");
    assert_eq!(names(c.on_call(&w, Some(&iso(start + 86_400_000 + 60_000)))), ["Ana"], "and tomorrow's is gone");
    let incident = c.fire(&w, "deactivated-override");
    let n = c.notifications(&w, &incident);
    assert_eq!(n.iter().map(|x| x["user_id"].as_str().unwrap()).collect::<Vec<_>>(), [w.ana.as_str()], "the rotation is paged: {n:?}");
}
