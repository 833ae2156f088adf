//! Responders, expertise and teams against wrangler dev: expertise tags normalised on people and
//! services; suggestions ranked on call first, then matching tags, never deactivated people; a
//! request writes a `responder.requested` timeline row, pages the person's phone through the
//! delivery pipeline with **Join** / **Decline** (decrypted by the test, as the browser would)
//! and sends `responder.requested` to webhook destinations; joining with the notification's
//! action token lands on the timeline; a request nobody answers becomes `no_answer` when the
//! cron runs at exactly ten minutes; retries page nobody twice; bad input never acts.
//!
//! Each test makes its own people, services, schedules, policies, teams, devices and incidents
//! and asserts only about those (the organisation is shared), so tests pass alone and in any order.

use serde_json::{json, Value};
use std::sync::OnceLock;
use std::time::Duration;
use tocsin_tests::receiver::{Receiver, TestSubscription};
use tocsin_tests::http::Person;
use tocsin_tests::{rfc3339_ms, unique, Api, Instance};

const WAIT: Duration = Duration::from_secs(15);

struct Ctx {
    inst: Instance,
    rx: Receiver,
    admin: OnceLock<Api>,
}


impl Ctx {
    fn admin(&self) -> &Api {
        self.admin.get_or_init(|| Api::setup(&self.inst.base, "Acme", "admin@example.com", "responders password", "Admin"))
    }

    fn person_as(&self, first: &str, role: &str) -> Person {
        Person::add(self.admin(), &self.inst.base, first, role)
    }

    fn person(&self, first: &str) -> Person {
        self.person_as(first, "responder")
    }

    fn expertise(&self, who: &Person, tags: Value) {
        let r = who.api.patch("/api/users/me", json!({"expertise": tags}));
        assert_eq!(r.status, 200, "{}", r.text);
    }

    fn service(&self, expertise: Value) -> String {
        let r = self.admin().post("/api/services", json!({"name": unique("Service"), "expertise": expertise}));
        assert_eq!(r.status, 201, "{}", r.text);
        r.json["id"].as_str().unwrap().to_string()
    }

    fn incident(&self, service: &str) -> String {
        let r = self.admin().post("/api/incidents", json!({"title": unique("Database slow"), "severity": "SEV2", "service_id": service}));
        assert_eq!(r.status, 201, "{}", r.text);
        r.json["incident"]["id"].as_str().unwrap().to_string()
    }

    /// A schedule where `who` alone is always on call.
    fn schedule(&self, who: &Person) -> (String, String) {
        let name = unique("Primary");
        let r = self.admin().post("/api/schedules", json!({"name": name, "time_zone": "UTC", "layers": [
            {"name": "Always", "participants": [who.id], "start": "2026-01-01T00:00:00", "turn": {"type": "weekly"}}]}));
        assert_eq!(r.status, 201, "{}", r.text);
        (r.json["id"].as_str().unwrap().to_string(), name)
    }

    fn subscribe(&self, who: &Person, name: &str) -> TestSubscription {
        let s = TestSubscription::new(&self.rx, name);
        let r = who.api.post("/api/push/subscriptions", s.json(name));
        assert_eq!(r.status, 201, "{}", r.text);
        s
    }

    fn detail(&self, incident: &str) -> Value {
        let r = self.admin().get(&format!("/api/incidents/{incident}"));
        assert_eq!(r.status, 200, "{}", r.text);
        r.json
    }

    fn timeline_of(&self, incident: &str, kind: &str) -> Vec<Value> {
        self.detail(incident)["timeline"].as_array().unwrap().iter().filter(|t| t["kind"] == kind).cloned().collect()
    }

    fn responder(&self, incident: &str, who: &str) -> Value {
        let r = self.admin().get(&format!("/api/incidents/{incident}/responders"));
        assert_eq!(r.status, 200, "{}", r.text);
        r.json["responders"].as_array().unwrap().iter().find(|x| x["user"]["id"] == who).cloned().unwrap_or_else(|| panic!("{who} among the responders: {}", r.text))
    }

    fn push_deliveries(&self, who: &Person, incident: &str) -> Vec<Value> {
        let d = who.api.get("/api/push/deliveries");
        assert_eq!(d.status, 200, "{}", d.text);
        d.json["deliveries"].as_array().unwrap().iter().filter(|x| x["incident_id"] == incident).cloned().collect()
    }
}

fn expertise_is_normalised(c: &Ctx) {
    let ana = c.person("Ana");
    let r = ana.api.patch("/api/users/me", json!({"expertise": ["Postgres ", "K8s", "postgres", "Site  Reliability"]}));
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["expertise"], json!(["postgres", "k8s", "site-reliability"]));
    let listed = c.admin().get("/api/users");
    let me = listed.json["users"].as_array().unwrap().iter().find(|u| u["id"] == ana.id.as_str()).cloned().unwrap();
    assert_eq!(me["expertise"], json!(["postgres", "k8s", "site-reliability"]), "{me}");

    let r = ana.api.patch("/api/users/me", json!({"expertise": ["ok", "<script>"]}));
    assert_eq!((r.status, r.field()), (400, "expertise[1]"), "{}", r.text);
    let many: Vec<String> = (0..21).map(|i| format!("t{i}")).collect();
    let r = ana.api.patch("/api/users/me", json!({"expertise": many}));
    assert_eq!((r.status, r.field()), (400, "expertise"), "{}", r.text);
    assert_eq!(c.admin().get("/api/users").json["users"].as_array().unwrap().iter().find(|u| u["id"] == ana.id.as_str()).unwrap()["expertise"], json!(["postgres", "k8s", "site-reliability"]), "refused edits change nothing");

    let bo = c.person("Bo");
    let r = bo.api.patch(&format!("/api/users/{}", ana.id), json!({"expertise": ["java"]}));
    assert_eq!(r.status, 403, "only admins edit other people's expertise: {}", r.text);
    let r = c.admin().patch(&format!("/api/users/{}", ana.id), json!({"expertise": ["Java"]}));
    assert_eq!((r.status, &r.json["expertise"]), (200, &json!(["java"])), "{}", r.text);

    let svc = c.service(json!(["Payments", "POSTGRES"]));
    let s = c.admin().get(&format!("/api/services/{svc}"));
    assert_eq!(s.json["expertise"], json!(["payments", "postgres"]), "{}", s.text);
    let r = c.admin().patch(&format!("/api/services/{svc}"), json!({"expertise": ["fine", "not fine!"]}));
    assert_eq!((r.status, r.field()), (400, "expertise[1]"), "{}", r.text);
    let r = c.admin().patch(&format!("/api/services/{svc}"), json!({"description": "kept"}));
    assert_eq!(r.json["expertise"], json!(["payments", "postgres"]), "absent keeps: {}", r.text);
    let r = c.admin().patch(&format!("/api/services/{svc}"), json!({"team_id": "no-such-team"}));
    assert_eq!((r.status, r.field()), (400, "team_id"), "{}", r.text);
}

fn suggestions_rank_on_call_first(c: &Ctx) {
    let tag = unique("pg").to_ascii_lowercase();
    let other = unique("pay").to_ascii_lowercase();
    let svc = c.service(json!([tag, other]));
    let both = c.person("Both");
    c.expertise(&both, json!([tag, other]));
    let one = c.person("One");
    c.expertise(&one, json!([tag]));
    let oncall = c.person("OnCall");
    let (_, sched_name) = c.schedule(&oncall);
    let gone = c.person("Gone");
    c.expertise(&gone, json!([tag, other]));
    let r = c.admin().post(&format!("/api/users/{}/deactivate", gone.id), json!({}));
    assert_eq!(r.status, 200, "{}", r.text);
    let nobody = c.person("Nobody");
    c.expertise(&nobody, json!(["unrelated"]));
    let incident = c.incident(&svc);

    let r = one.api.get(&format!("/api/incidents/{incident}/responder-suggestions"));
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["expertise"], json!([tag, other]));
    let ours: Vec<&str> = [&both, &one, &oncall, &gone, &nobody].iter().map(|p| p.id.as_str()).collect();
    let got: Vec<Value> = r.json["suggestions"].as_array().unwrap().iter().filter(|s| ours.contains(&s["user"]["id"].as_str().unwrap())).cloned().collect();
    let order: Vec<&str> = got.iter().map(|s| s["user"]["id"].as_str().unwrap()).collect();
    assert_eq!(order, vec![oncall.id.as_str(), both.id.as_str(), one.id.as_str()], "on call first, then more matching tags; never the deactivated or unmatched: {}", r.text);
    assert_eq!(got[0]["on_call"], json!([sched_name]));
    assert!(got[0]["reasons"].as_array().unwrap().contains(&json!(format!("on call for {sched_name}"))), "{}", got[0]);
    assert_eq!(got[1]["matches"], json!([tag, other]));
    assert!(got[2]["reasons"].as_array().unwrap().contains(&json!(format!("matches \"{tag}\""))), "{}", got[2]);
    // Someone already asked is not suggested again.
    let a = c.admin().post(&format!("/api/incidents/{incident}/responders"), json!({"user_ids": [both.id]}));
    assert_eq!(a.status, 200, "{}", a.text);
    let r = one.api.get(&format!("/api/incidents/{incident}/responder-suggestions"));
    assert!(!r.json["suggestions"].as_array().unwrap().iter().any(|s| s["user"]["id"] == both.id.as_str()), "{}", r.text);
    assert!(r.json["suggestions"].as_array().unwrap().iter().any(|s| s["user"]["id"] == one.id.as_str()), "{}", r.text);
}

fn request_pages_with_join_and_decline(c: &Ctx) {
    let svc = c.service(json!([]));
    let ana = c.person("Ana");
    let phone = c.subscribe(&ana, "ana-phone");
    let hook = format!("/hooks/{}", unique("responders"));
    let d = c.admin().post("/api/webhook-destinations", json!({"name": unique("Ops"), "kind": "generic", "url": c.rx.url(&hook), "events": ["responder.requested"], "service_ids": [svc]}));
    assert_eq!(d.status, 201, "{}", d.text);
    let incident = c.incident(&svc);
    let bo = c.person("Bo");

    let r = bo.api.post(&format!("/api/incidents/{incident}/responders"), json!({"user_ids": [ana.id], "message": "Replica lag on db-2"}));
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["requested"][0]["id"], ana.id.as_str(), "{}", r.text);
    assert_eq!(r.json["already"], json!([]));
    let rows = c.timeline_of(&incident, "responder.requested");
    assert_eq!(rows.len(), 1, "{rows:?}");
    let msg = rows[0]["message"].as_str().unwrap();
    assert!(msg.contains(&bo.name) && msg.contains(&ana.name) && msg.contains("Replica lag on db-2"), "{msg}");
    assert_eq!(c.responder(&incident, &ana.id)["state"], "requested");
    assert_eq!(c.detail(&incident)["responders"].as_array().unwrap().len(), 1, "the incident's detail lists its responders");

    // The page: a real Web Push, decrypted as the browser would.
    let got = c.rx.wait_for(&phone.path, 1, WAIT);
    let p = phone.decrypt(&got[0]);
    assert_eq!(p["type"], "responder", "{p}");
    assert_eq!(p["incident_id"], incident.as_str());
    assert_eq!(p["user_id"], ana.id.as_str());
    assert_eq!(p["actions"], json!([{"action": "join", "title": "Join"}, {"action": "decline", "title": "Decline"}]), "{p}");
    assert!(p["body"].as_str().unwrap().contains("Replica lag on db-2"), "{p}");
    let token = p["token"].as_str().expect("an action token").to_string();

    // The webhook event.
    let hooks = c.rx.wait_for(&hook, 1, WAIT);
    assert_eq!(hooks[0].header("tocsin-event"), Some("responder.requested"));
    let body: Value = serde_json::from_slice(&hooks[0].body).unwrap();
    assert_eq!(body["type"], "responder.requested", "{body}");
    assert!(body.to_string().contains(&ana.name), "{body}");

    // Asked again: nothing happens, nobody is paged twice.
    let again = bo.api.post(&format!("/api/incidents/{incident}/responders"), json!({"user_ids": [ana.id, ana.id]}));
    assert_eq!(again.status, 200, "{}", again.text);
    assert_eq!((again.json["requested"].as_array().unwrap().len(), &again.json["already"][0]["id"]), (0, &json!(ana.id)), "{}", again.text);
    assert_eq!(c.timeline_of(&incident, "responder.requested").len(), 1);
    assert_eq!(c.push_deliveries(&ana, &incident).len(), 1, "one page for one request");

    // The token answers only as Ana, only on this incident, only this kind of action.
    let anon = Api::new(&c.inst.base);
    let r = anon.post(&format!("/api/incidents/{incident}/responders/{}/join", bo.id), json!({"token": token}));
    assert_eq!(r.status, 403, "{}", r.text);
    let r = anon.post("/api/actions/acknowledge", json!({"token": token}));
    assert_eq!(r.status, 403, "a responder token does not acknowledge: {}", r.text);
    let r = anon.post(&format!("/api/incidents/{incident}/responders/{}/join", ana.id), json!({"token": "v1.bogus.token"}));
    assert_eq!(r.status, 401, "{}", r.text);
    assert_eq!(c.responder(&incident, &ana.id)["state"], "requested", "refused answers change nothing");

    // Join from the notification (no session).
    let r = anon.post(&format!("/api/incidents/{incident}/responders/{}/join", ana.id), json!({"token": token}));
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!((&r.json["responder"]["state"], &r.json["changed"]), (&json!("joined"), &json!(true)), "{}", r.text);
    assert!(r.json["responder"]["answered_at"].is_string());
    let joined = c.timeline_of(&incident, "responder.joined");
    assert_eq!(joined.len(), 1);
    assert!(joined[0]["message"].as_str().unwrap().contains(&ana.name) && joined[0]["message"].as_str().unwrap().contains("from a notification"), "{joined:?}");
    let r = anon.post(&format!("/api/incidents/{incident}/responders/{}/join", ana.id), json!({"token": token}));
    assert_eq!((r.status, &r.json["changed"]), (200, &json!(false)), "a retried tap: {}", r.text);
    assert_eq!(c.timeline_of(&incident, "responder.joined").len(), 1, "written once");

    // Decline with one's own session; nobody declines for someone else.
    let cy = c.person("Cy");
    assert_eq!(bo.api.post(&format!("/api/incidents/{incident}/responders"), json!({"user_ids": [cy.id]})).status, 200);
    let r = bo.api.post(&format!("/api/incidents/{incident}/responders/{}/decline", cy.id), json!({}));
    assert_eq!(r.status, 403, "{}", r.text);
    let r = cy.api.post(&format!("/api/incidents/{incident}/responders/me/decline"), json!({}));
    assert_eq!((r.status, &r.json["responder"]["state"]), (200, &json!("declined")), "{}", r.text);
    assert_eq!(c.timeline_of(&incident, "responder.declined").len(), 1);
    // A declined person may be asked again (and is paged again).
    let r = bo.api.post(&format!("/api/incidents/{incident}/responders"), json!({"user_ids": [cy.id]}));
    assert_eq!(r.json["requested"][0]["id"], cy.id.as_str(), "{}", r.text);
    assert_eq!(c.responder(&incident, &cy.id)["state"], "requested");
    // Someone never asked cannot answer.
    let dee = c.person("Dee");
    let r = dee.api.post(&format!("/api/incidents/{incident}/responders/me/join"), json!({}));
    assert_eq!(r.status, 409, "{}", r.text);
}

fn schedule_and_policy_requests(c: &Ctx) {
    let svc = c.service(json!([]));
    let incident = c.incident(&svc);
    let ana = c.person("Ana");
    let (schedule, name) = c.schedule(&ana);
    let r = c.admin().post(&format!("/api/incidents/{incident}/responders"), json!({"schedule_id": schedule}));
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["requested"], json!([{"id": ana.id, "name": ana.name}]), "{}", r.text);
    assert!(c.timeline_of(&incident, "responder.requested")[0]["message"].as_str().unwrap().contains(&name));

    let bo = c.person("Bo");
    let cy = c.person("Cy");
    let (cys, _) = c.schedule(&cy);
    let p = c.admin().post("/api/escalation-policies", json!({"name": unique("Policy"), "repeats": 0, "levels": [
        {"targets": [{"type": "user", "id": bo.id}, {"type": "schedule", "id": cys}], "delay_minutes": 5},
        {"targets": [{"type": "user", "id": ana.id}], "delay_minutes": 5}]}));
    assert_eq!(p.status, 201, "{}", p.text);
    let pid = p.json["id"].as_str().unwrap();
    let r = c.admin().post(&format!("/api/incidents/{incident}/responders"), json!({"policy_id": pid}));
    assert_eq!(r.status, 200, "{}", r.text);
    let asked: Vec<&str> = r.json["requested"].as_array().unwrap().iter().map(|p| p["id"].as_str().unwrap()).collect();
    assert_eq!(asked, vec![bo.id.as_str(), cy.id.as_str()], "the first level only: {}", r.text);
}

fn no_answer_after_ten_minutes(c: &Ctx) {
    let svc = c.service(json!([]));
    let incident = c.incident(&svc);
    let ana = c.person("Ana");
    let r = c.admin().post(&format!("/api/incidents/{incident}/responders"), json!({"user_ids": [ana.id]}));
    assert_eq!(r.status, 200, "{}", r.text);
    let at = rfc3339_ms(c.responder(&incident, &ana.id)["requested_at"].as_str().unwrap());
    tocsin_tests::cron(&c.inst.base, at + 10 * 60_000 - 1);
    assert_eq!(c.responder(&incident, &ana.id)["state"], "requested", "not yet");
    assert!(c.timeline_of(&incident, "responder.no_answer").is_empty());
    tocsin_tests::cron(&c.inst.base, at + 10 * 60_000);
    let r = c.responder(&incident, &ana.id);
    assert_eq!(r["state"], "no_answer", "{r}");
    let rows = c.timeline_of(&incident, "responder.no_answer");
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert!(rows[0]["message"].as_str().unwrap().contains(&ana.name));
    tocsin_tests::cron(&c.inst.base, at + 11 * 60_000);
    assert_eq!(c.timeline_of(&incident, "responder.no_answer").len(), 1, "marked once");
    // A late answer still counts.
    let j = ana.api.post(&format!("/api/incidents/{incident}/responders/me/join"), json!({}));
    assert_eq!((j.status, &j.json["responder"]["state"]), (200, &json!("joined")), "{}", j.text);
}

fn bad_requests_never_act(c: &Ctx) {
    let svc = c.service(json!([]));
    let incident = c.incident(&svc);
    let ana = c.person("Ana");
    let obs = c.person_as("Olga", "observer");
    let path = format!("/api/incidents/{incident}/responders");
    let r = obs.api.post(&path, json!({"user_ids": [ana.id]}));
    assert_eq!(r.status, 403, "observers do not ask: {}", r.text);
    assert_eq!(obs.api.get(&format!("/api/incidents/{incident}/responder-suggestions")).status, 200, "observers may look");
    let cases = [
        (json!({}), "user_ids"),
        (json!({"user_ids": [ana.id], "schedule_id": "x"}), "user_ids"),
        (json!({"user_ids": []}), "user_ids"),
        (json!({"user_ids": [ana.id, "nobody"]}), "user_ids[1]"),
        (json!({"schedule_id": "nope"}), "schedule_id"),
        (json!({"policy_id": "nope"}), "policy_id"),
        (json!({"user_ids": [ana.id], "message": "x".repeat(501)}), "message"),
        (json!({"user_ids": [ana.id], "colour": "red"}), "body"),
    ];
    for (body, field) in cases {
        let r = c.admin().post(&path, body.clone());
        assert_eq!(r.status, 400, "{body}: {}", r.text);
        if field != "body" {
            assert_eq!(r.field(), field, "{body}: {}", r.text);
        }
    }
    let gone = c.person("Gone");
    assert_eq!(c.admin().post(&format!("/api/users/{}/deactivate", gone.id), json!({})).status, 200);
    let r = c.admin().post(&path, json!({"user_ids": [ana.id, gone.id]}));
    assert_eq!(r.status, 409, "{}", r.text);
    assert_eq!(c.admin().get(&path).json["responders"], json!([]), "nothing was written");
    assert!(c.timeline_of(&incident, "responder.requested").is_empty());
    assert_eq!(c.admin().post("/api/incidents/nope/responders", json!({"user_ids": [ana.id]})).status, 404);
    assert_eq!(Api::new(&c.inst.base).post(&path, json!({"user_ids": [ana.id]})).status, 401);
}

fn teams(c: &Ctx) {
    let name = unique("Payments");
    let r = c.admin().post("/api/teams", json!({"name": name, "description": "Money moves"}));
    assert_eq!(r.status, 201, "{}", r.text);
    let team = r.json["id"].as_str().unwrap().to_string();
    assert_eq!(c.admin().post("/api/teams", json!({"name": name})).status, 409, "names are unique");
    assert_eq!(c.admin().post("/api/teams", json!({"name": " "})).field(), "name");
    let ana = c.person("Ana");
    assert_eq!(ana.api.post("/api/teams", json!({"name": unique("Mine")})).status, 403);
    let r = ana.api.patch("/api/users/me", json!({"teams": [team]}));
    assert_eq!(r.status, 403, "only admins change teams: {}", r.text);
    let r = c.admin().patch(&format!("/api/users/{}", ana.id), json!({"teams": [team, "nope"]}));
    assert_eq!((r.status, r.field()), (400, "teams[1]"), "{}", r.text);
    let r = c.admin().patch(&format!("/api/users/{}", ana.id), json!({"teams": [team]}));
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["teams"], json!([{"id": team, "name": name}]));
    let list = ana.api.get("/api/teams");
    let t = list.json["teams"].as_array().unwrap().iter().find(|t| t["id"] == team.as_str()).cloned().unwrap();
    assert_eq!(t["members"], json!([{"id": ana.id, "name": ana.name}]));
    assert_eq!(t["description"], "Money moves");
    let r = c.admin().patch(&format!("/api/teams/{team}"), json!({"description": "Payments and billing"}));
    assert_eq!((r.status, &r.json["description"]), (200, &json!("Payments and billing")), "{}", r.text);
    let svc = c.service(json!([]));
    let r = c.admin().patch(&format!("/api/services/{svc}"), json!({"team_id": team}));
    assert_eq!((r.status, &r.json["team_id"]), (200, &json!(team)), "{}", r.text);
    let sched = c.schedule(&ana).0;
    let sbody = |team: Value| json!({"name": unique("Sched"), "time_zone": "UTC", "team_id": team, "layers": [
        {"name": "Always", "participants": [ana.id], "start": "2026-01-01T00:00:00", "turn": {"type": "weekly"}}]});
    let r = c.admin().send("PUT", &format!("/api/schedules/{sched}"), Some(sbody(json!("nope")).to_string().into_bytes()), &[]);
    assert_eq!((r.status, r.field()), (400, "team_id"), "{}", r.text);
    let r = c.admin().send("PUT", &format!("/api/schedules/{sched}"), Some(sbody(json!(team)).to_string().into_bytes()), &[]);
    assert_eq!(r.status, 200, "{}", r.text);
    let sa = c.admin().get(&format!("/api/audit?target={sched}"));
    assert!(sa.text.contains(&team), "the schedule's new team is audited: {}", sa.text);
    let audit = c.admin().get(&format!("/api/audit?target={team}"));
    assert!(audit.text.contains("team.created") && audit.text.contains("team.updated"), "{}", audit.text);

    assert_eq!(ana.api.send("DELETE", &format!("/api/teams/{team}"), None, &[]).status, 403);
    assert_eq!(c.admin().send("DELETE", &format!("/api/teams/{team}"), None, &[]).status, 204);
    assert!(c.admin().get(&format!("/api/services/{svc}")).json.get("team_id").is_none_or(Value::is_null), "what it owned belongs to no team");
    let me = c.admin().get("/api/users");
    assert_eq!(me.json["users"].as_array().unwrap().iter().find(|u| u["id"] == ana.id.as_str()).unwrap()["teams"], json!([]));
    assert_eq!(c.admin().send("DELETE", &format!("/api/teams/{team}"), None, &[]).status, 404);
}

fn main() {
    let rx = Receiver::start();
    let ctx = Ctx { inst: Instance::start("responders"), rx, admin: OnceLock::new() };
    let tests: &[(&str, fn(&Ctx))] = &[
        ("expertise_is_normalised", expertise_is_normalised),
        ("suggestions_rank_on_call_first", suggestions_rank_on_call_first),
        ("request_pages_with_join_and_decline", request_pages_with_join_and_decline),
        ("schedule_and_policy_requests", schedule_and_policy_requests),
        ("no_answer_after_ten_minutes", no_answer_after_ten_minutes),
        ("bad_requests_never_act", bad_requests_never_act),
        ("teams", teams),
        ("suggestions_use_every_affected_service", suggestions_use_every_affected_service),
    ];
    tocsin_tests::run_suite(ctx, tests, |c| eprintln!("--- wrangler log ---\n{}", c.inst.log()))
}

/// The expertise of every affected service counts, not only the incident's own service's: a
/// person whose tag only another affected service declares is suggested once it is added.
fn suggestions_use_every_affected_service(c: &Ctx) {
    let own_tag = unique("api").to_ascii_lowercase();
    let other_tag = unique("ledger").to_ascii_lowercase();
    let own = c.service(json!([own_tag]));
    let other = c.service(json!([other_tag]));
    let expert = c.person("Ledger");
    c.expertise(&expert, json!([other_tag]));
    let incident = c.incident(&own);
    let suggested = |r: &tocsin_tests::Reply| r.json["suggestions"].as_array().unwrap().iter().find(|s| s["user"]["id"] == expert.id.as_str()).cloned();

    let r = c.admin().get(&format!("/api/incidents/{incident}/responder-suggestions"));
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["expertise"], json!([own_tag]), "only the own service affected yet");
    assert!(suggested(&r).is_none(), "no affected service asks for {other_tag} yet: {}", r.text);

    let put = c.admin().send("PUT", &format!("/api/incidents/{incident}/services"), Some(json!({"service_ids": [other]}).to_string().into_bytes()), &[]);
    assert_eq!(put.status, 200, "{}", put.text);
    let r = c.admin().get(&format!("/api/incidents/{incident}/responder-suggestions"));
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["expertise"], json!([own_tag, other_tag]), "the own service's tags first, then the other affected service's");
    let s = suggested(&r).unwrap_or_else(|| panic!("{} suggested for the affected service's expertise: {}", expert.name, r.text));
    assert_eq!(s["matches"], json!([other_tag]), "{s}");
}
