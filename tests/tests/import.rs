//! Moving from PagerDuty and Opsgenie (`POST /api/import/{pagerduty,opsgenie}`) end to end, with
//! exports in the vendors' documented shapes (tests/fixtures/import/, see its README): a dry run
//! writes nothing; applying creates people, schedules, overrides, policies and services in one
//! step; the imported schedules put the same people on call as the vendor's own rendering of
//! them, minute by minute for 30 days (read back through the schedule timeline and spot-checked
//! with who-is-on-call); the integration URL given for a service takes an event in the vendor's
//! own format; applying again creates nothing; only admins may import; bad input names the field.
//!
//! The rendered entries in the fixtures (PagerDuty's `final_schedule`, Opsgenie's
//! `finalTimeline`) were written by hand from the schedules' rules as the vendors document them,
//! not produced by Tocsin: see tests/fixtures/import/README.md. They lie in March 2030 (after
//! both summer-time changes of that month), so overrides stay in the future for years.

use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use tocsin_tests::{ms_rfc3339, rfc3339_ms, Api, Instance};

const FROM: &str = "2030-03-04T00:00:00Z";
const DAYS: i64 = 30;

struct Ctx {
    inst: Instance,
    admin: OnceLock<Arc<Api>>,
}

impl Ctx {
    /// The shared instance's admin (it never applies an import: the refusal tests read it empty).
    fn admin(&self) -> Arc<Api> {
        self.admin.get_or_init(|| Arc::new(Api::setup(&self.inst.base, "Acme", "admin@import.example.com", "import password!", "Admin"))).clone()
    }
}

fn fixture(name: &str) -> Value {
    let path = tocsin_tests::instance::root().join("tests/fixtures/import").join(name);
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))).unwrap()
}

/// A never-used instance with its admin: what an import creates is checked against empty lists.
fn fresh(label: &str) -> (Instance, Api) {
    let inst = Instance::start(label);
    let api = Api::setup(&inst.base, "Acme", "admin@import.example.com", "import password!", "Admin");
    (inst, api)
}

fn import(api: &Api, vendor: &str, apply: bool, body: &Value) -> tocsin_tests::Reply {
    api.post(&format!("/api/import/{vendor}{}", if apply { "?apply=true" } else { "" }), body.clone())
}

fn list_len(api: &Api, path: &str, key: &str) -> usize {
    let r = api.get(path);
    assert_eq!(r.status, 200, "{path}: {}", r.text);
    r.json[key].as_array().unwrap_or_else(|| panic!("{path}: no {key}")).len()
}

/// The import-made things as lists of the instance: (schedules, policies, services).
fn counts(api: &Api) -> (usize, usize, usize) {
    (list_len(api, "/api/schedules", "schedules"), list_len(api, "/api/escalation-policies", "escalation_policies"), list_len(api, "/api/services", "services"))
}

/// Who is on call, minute by minute over the 30 days, from spans (start ms, end ms, person).
fn by_minute(spans: &[(i64, i64, String)]) -> Vec<Vec<String>> {
    let from = rfc3339_ms(FROM);
    (0..DAYS * 1440)
        .map(|m| {
            let t = from + m * 60_000;
            let mut who: Vec<String> = spans.iter().filter(|(a, b, _)| *a <= t && t < *b).map(|(_, _, p)| p.clone()).collect();
            who.sort();
            who.dedup();
            who
        })
        .collect()
}

/// Minutes where the two disagree (the first few, with the count).
fn mismatches(expected: &[Vec<String>], actual: &[Vec<String>]) -> (usize, Vec<String>) {
    assert_eq!(expected.len(), actual.len());
    let from = rfc3339_ms(FROM);
    let bad: Vec<usize> = (0..expected.len()).filter(|i| expected[*i] != actual[*i]).collect();
    let sample = bad.iter().take(5).map(|i| format!("{}: vendor {:?}, Tocsin {:?}", ms_rfc3339(from + *i as i64 * 60_000), expected[*i], actual[*i])).collect();
    (bad.len(), sample)
}

/// Compares an imported schedule with the vendor's rendering: the timeline over the 30 days
/// minute by minute, then who-is-on-call at every vendor handoff and the minute before it.
/// `vendor_of` maps a Tocsin user id to the vendor's.
fn compare(api: &Api, schedule_id: &str, rendered: &[(i64, i64, String)], vendor_of: &HashMap<String, String>) {
    assert!(rendered.len() > 10, "the fixture renders the schedule");
    let t = api.get(&format!("/api/schedules/{schedule_id}/timeline?from={FROM}&days={DAYS}"));
    assert_eq!(t.status, 200, "{}", t.text);
    let shifts: Vec<(i64, i64, String)> = t.json["final"]["shifts"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| {
            let (a, b) = (rfc3339_ms(s["start"].as_str().unwrap()), rfc3339_ms(s["end"].as_str().unwrap()));
            s["people"].as_array().unwrap().iter().map(move |p| (a, b, p["id"].as_str().unwrap().to_string())).collect::<Vec<_>>()
        })
        .map(|(a, b, id)| (a, b, vendor_of.get(&id).cloned().unwrap_or_else(|| format!("not imported: {id}"))))
        .collect();
    assert!(!shifts.is_empty(), "Tocsin renders the imported schedule: {}", t.text);
    let expected = by_minute(rendered);
    let (n, sample) = mismatches(&expected, &by_minute(&shifts));
    assert_eq!(n, 0, "{n} minutes differ from the vendor's rendering, e.g. {sample:#?}");

    // The comparison can fail: the same check against a rendering with one handoff moved by an
    // hour and one turn given to someone else must find exactly those minutes.
    let mut wrong = rendered.to_vec();
    wrong[3].0 += 3_600_000;
    wrong[2].1 += 3_600_000;
    let other = wrong.iter().map(|x| x.2.clone()).find(|p| *p != wrong[6].2).unwrap();
    let turn = ((wrong[6].1 - wrong[6].0) / 60_000) as usize;
    wrong[6].2 = other;
    let (n, _) = mismatches(&by_minute(&wrong), &by_minute(&shifts));
    assert_eq!(n, 60 + turn, "a wrong rendering is caught minute for minute");

    // Who is on call, asked at each handoff and the minute before it.
    let from = rfc3339_ms(FROM);
    for (a, _, _) in rendered.iter().skip(1) {
        for at in [*a - 60_000, *a] {
            let r = api.get(&format!("/api/oncall?at={}", ms_rfc3339(at)));
            assert_eq!(r.status, 200, "{}", r.text);
            let s = r.json["schedules"].as_array().unwrap().iter().find(|s| s["schedule_id"] == schedule_id).expect("the schedule is listed").clone();
            let mut who: Vec<String> = s["on_call"].as_array().unwrap().iter().map(|p| vendor_of[p["id"].as_str().unwrap()].clone()).collect();
            who.sort();
            assert_eq!(who, expected[((at - from) / 60_000) as usize], "on call at {}", ms_rfc3339(at));
        }
    }
}

/// Tocsin user id → the vendor's, from an applied plan.
fn vendor_ids(plan: &Value) -> HashMap<String, String> {
    plan["users"].as_array().unwrap().iter().map(|u| (u["tocsin_id"].as_str().unwrap().to_string(), u["source_id"].as_str().unwrap().to_string())).collect()
}

fn planned<'a>(plan: &'a Value, list: &str, source_id: &str) -> &'a Value {
    plan[list].as_array().unwrap().iter().find(|x| x["source_id"] == source_id).unwrap_or_else(|| panic!("{list} {source_id} in the plan: {plan:#}"))
}

fn not_mapped(plan: &Value) -> Vec<(String, String)> {
    plan["not_mapped"].as_array().unwrap().iter().map(|n| (n["kind"].as_str().unwrap().to_string(), n["source_id"].as_str().unwrap().to_string())).collect()
}

fn pagerduty_import_puts_the_same_people_on_call(_: &Ctx) {
    let (inst, admin) = fresh("import-pd");
    let body = fixture("pagerduty.json");

    let dry = import(&admin, "pagerduty", false, &body);
    assert_eq!(dry.status, 200, "{}", dry.text);
    assert_eq!(dry.json["applied"], false);
    let plan = &dry.json["plan"];
    assert_eq!(plan["summary"]["create"], json!({"users": 5, "schedules": 2, "overrides": 1, "escalation_policies": 1, "services": 2}));
    assert_eq!(
        not_mapped(plan),
        [("team".into(), "PTCHK01".into()), ("schedule".into(), "PSLEG03".into()), ("escalation_policy".into(), "PEPLEG1".into())] as [(String, String); 3]
    );
    assert!(plan["not_mapped"][1]["reason"].as_str().unwrap().contains("5400 seconds"), "{}", plan["not_mapped"][1]);
    let checkout = planned(plan, "services", "PSVC001");
    assert_eq!(checkout["integration"]["url"], format!("{}/v2/enqueue", inst.base));
    assert_eq!((checkout["integration"]["key"].as_str(), checkout["integration"]["key_kept"].as_bool()), (Some("8f2c3a9d41e64b0c9a7d5e1f2b3c4d5e"), Some(true)));
    assert!(checkout["notes"].to_string().contains("e-mail"), "the e-mail integration is said: {checkout}");
    assert_eq!(planned(plan, "users", "PANA001")["role"], "admin");
    assert_eq!(planned(plan, "users", "PEVE005")["role"], "observer");
    let again = import(&admin, "pagerduty", false, &body);
    assert_eq!(again.json["plan"], dry.json["plan"], "the plan is deterministic");
    assert_eq!(counts(&admin), (0, 0, 0), "a dry run writes nothing");

    let done = import(&admin, "pagerduty", true, &body);
    assert_eq!(done.status, 200, "{}", done.text);
    assert_eq!(done.json["applied"], true);
    assert_eq!(done.json["created"], plan["summary"]["create"]);
    assert_eq!(done.json["invites"].as_array().unwrap().len(), 5);
    assert!(done.json["invites"][0]["invite_url"].as_str().unwrap().starts_with(&format!("{}/invite#", inst.base)));
    assert_eq!(counts(&admin), (2, 1, 2));
    let audited = admin.get("/api/audit?action=import.applied");
    assert_eq!(audited.json["events"].as_array().map(Vec::len), Some(1), "one audit row, with the import: {}", audited.text);
    assert_eq!(audited.json["events"][0]["after"]["created"], done.json["created"]);
    let after = &done.json["plan"];
    assert_eq!(after["summary"]["create"], json!({"users": 0, "schedules": 0, "overrides": 0, "escalation_policies": 0, "services": 0}));
    let vendor_of = vendor_ids(after);

    for schedule in body["schedules"].as_array().unwrap().iter().filter(|s| s["id"] != "PSLEG03") {
        let rendered: Vec<(i64, i64, String)> = schedule["final_schedule"]["rendered_schedule_entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| (rfc3339_ms(e["start"].as_str().unwrap()), rfc3339_ms(e["end"].as_str().unwrap()), e["user"]["id"].as_str().unwrap().to_string()))
            .collect();
        let id = planned(after, "schedules", schedule["id"].as_str().unwrap())["tocsin_id"].as_str().unwrap().to_string();
        compare(&admin, &id, &rendered, &vendor_of);
    }

    // The policy pages the imported schedules and people.
    let tocsin = |list: &str, id: &str| planned(after, list, id)["tocsin_id"].as_str().unwrap().to_string();
    let policies = admin.get("/api/escalation-policies");
    let p = policies.json["escalation_policies"].as_array().unwrap().iter().find(|p| p["id"] == tocsin("escalation_policies", "PEPCHK1")).unwrap().clone();
    assert_eq!(
        p["policy"],
        json!({"repeats": 2, "levels": [
            {"delay_minutes": 15, "targets": [{"type": "schedule", "id": tocsin("schedules", "PSCHK01")}]},
            {"delay_minutes": 30, "targets": [{"type": "schedule", "id": tocsin("schedules", "PSCHK02")}, {"type": "user", "id": tocsin("users", "PANA001")}]}]})
    );

    // Switching a sender is one URL change: the same routing key, sent to Tocsin's URL.
    let service = tocsin("services", "PSVC001");
    let svc = admin.get(&format!("/api/services/{service}"));
    assert_eq!(svc.json["escalation_policy_id"], tocsin("escalation_policies", "PEPCHK1"));
    let url = checkout["integration"]["url"].as_str().unwrap().strip_prefix(&inst.base).unwrap().to_string();
    let event = json!({"routing_key": "8f2c3a9d41e64b0c9a7d5e1f2b3c4d5e", "event_action": "trigger", "dedup_key": "checkout-5xx",
        "payload": {"summary": "Checkout 5xx above 2%", "source": "prometheus", "severity": "critical"}});
    let r = Api::new(&inst.base).post(&url, event);
    assert_eq!(r.status, 202, "{}", r.text);
    let incidents = admin.get(&format!("/api/incidents?service_id={service}"));
    let list = incidents.json["incidents"].as_array().unwrap();
    assert_eq!(list.len(), 1, "{}", incidents.text);
    assert_eq!(list[0]["title"], "Checkout 5xx above 2%");
}

fn opsgenie_import_puts_the_same_people_on_call(_: &Ctx) {
    let (inst, admin) = fresh("import-og");
    let body = fixture("opsgenie.json");
    let dry = import(&admin, "opsgenie", false, &body);
    assert_eq!(dry.status, 200, "{}", dry.text);
    let plan = &dry.json["plan"];
    assert_eq!(plan["summary"]["create"], json!({"users": 6, "schedules": 1, "overrides": 1, "escalation_policies": 1, "services": 1}));
    let kinds: Vec<String> = not_mapped(plan).into_iter().map(|(k, _)| k).collect();
    assert_eq!(kinds, ["team", "service", "heartbeat"], "{plan:#}");
    assert!(plan["not_mapped"][2]["reason"].as_str().unwrap().contains("heartbeat"));
    let svc = &plan["services"][0];
    assert_eq!(svc["integration"]["url"], format!("{}/v2/alerts", inst.base));
    assert_eq!(svc["integration"]["key_kept"], true);
    let policy = &plan["escalation_policies"][0];
    assert_eq!(policy["levels"].as_array().unwrap().iter().map(|l| l["delay_minutes"].as_u64().unwrap()).collect::<Vec<_>>(), [5, 10, 10]);
    assert!(policy["notes"].to_string().contains("team"), "the team rule is said: {policy}");
    assert_eq!(counts(&admin), (0, 0, 0), "a dry run writes nothing");

    let done = import(&admin, "opsgenie", true, &body);
    assert_eq!(done.status, 200, "{}", done.text);
    assert_eq!(counts(&admin), (1, 1, 1));
    let after = &done.json["plan"];
    let vendor_of = vendor_ids(after);
    for answer in fixture("opsgenie_timeline.json").as_array().unwrap() {
        let data = &answer["data"];
        assert_eq!((data["startDate"].as_str(), data["endDate"].as_str()), (Some(FROM), Some("2030-04-03T00:00:00Z")));
        let mut rendered: Vec<(i64, i64, String)> = data["finalTimeline"]["rotations"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|r| r["periods"].as_array().unwrap().iter())
            .map(|p| (rfc3339_ms(p["startDate"].as_str().unwrap()), rfc3339_ms(p["endDate"].as_str().unwrap()), p["recipient"]["id"].as_str().unwrap().to_string()))
            .collect();
        rendered.sort();
        let id = planned(after, "schedules", data["_parent"]["id"].as_str().unwrap())["tocsin_id"].as_str().unwrap().to_string();
        compare(&admin, &id, &rendered, &vendor_of);
    }

    // Switching a sender: the same GenieKey, sent to Tocsin's URL.
    let key = "5f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0";
    let url = svc["integration"]["url"].as_str().unwrap().strip_prefix(&inst.base).unwrap().to_string();
    let alert = json!({"message": "Disk almost full on db-1", "alias": "db-1-disk", "priority": "P1", "source": "opsgenie-sdk"});
    let auth = format!("GenieKey {key}");
    let r = Api::new(&inst.base).send("POST", &url, Some(alert.to_string().into_bytes()), &[("Authorization", &auth)]);
    assert_eq!(r.status, 202, "{}", r.text);
    let service = after["services"][0]["tocsin_id"].as_str().unwrap();
    let incidents = admin.get(&format!("/api/incidents?service_id={service}"));
    assert_eq!(incidents.json["incidents"].as_array().unwrap().len(), 1, "{}", incidents.text);
}

fn applying_twice_creates_nothing_the_second_time(_: &Ctx) {
    let (_inst, admin) = fresh("import-twice");
    for (vendor, file, lists) in [("pagerduty", "pagerduty.json", (2, 1, 2)), ("opsgenie", "opsgenie.json", (3, 2, 3))] {
        let body = fixture(file);
        let first = import(&admin, vendor, true, &body);
        assert_eq!(first.status, 200, "{}", first.text);
        assert!(first.json["created"]["schedules"].as_u64().unwrap() > 0);
        let second = import(&admin, vendor, true, &body);
        assert_eq!(second.status, 200, "{}", second.text);
        assert_eq!(second.json["created"], json!({"users": 0, "schedules": 0, "overrides": 0, "escalation_policies": 0, "services": 0}), "{vendor}");
        assert!(second.json.get("invites").is_none(), "no new invitations: {}", second.json["invites"]);
        assert_eq!(second.json["plan"], first.json["plan"], "{vendor}: the same state, the same plan");
        assert_eq!(counts(&admin), lists, "{vendor}");
    }
}

fn only_admins_may_import(c: &Ctx) {
    let admin = c.admin();
    let person = |role: &str| {
        let email = format!("{}@import.example.com", tocsin_tests::unique(role));
        let r = admin.post("/api/users", json!({"email": email, "name": role, "role": role, "password": "a long password"}));
        assert_eq!(r.status, 201, "{}", r.text);
        let api = Api::new(&c.inst.base);
        assert_eq!(api.post("/api/auth/login", json!({"email": email, "password": "a long password"})).status, 200);
        api
    };
    let (observer, responder, anonymous) = (person("observer"), person("responder"), Api::new(&c.inst.base));
    for (vendor, file) in [("pagerduty", "pagerduty.json"), ("opsgenie", "opsgenie.json")] {
        let body = fixture(file);
        for apply in [false, true] {
            assert_eq!(import(&observer, vendor, apply, &body).status, 403, "observer");
            assert_eq!(import(&responder, vendor, apply, &body).status, 403, "responder");
            assert_eq!(import(&anonymous, vendor, apply, &body).status, 401, "anonymous");
        }
    }
    let names: Vec<String> = admin.get("/api/schedules").json["schedules"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap().to_string()).collect();
    assert!(!names.iter().any(|n| n.starts_with("Checkout") || n.starts_with("Platform")), "nothing was imported: {names:?}");
}

fn bad_input_is_refused_naming_the_field(c: &Ctx) {
    let admin = c.admin();
    let refused = |vendor: &str, apply: bool, body: Vec<u8>, field: &str| {
        let r = admin.post_raw(&format!("/api/import/{vendor}{}", if apply { "?apply=true" } else { "" }), body);
        assert_eq!((r.status, r.field()), (400, field), "{}", r.text);
    };
    refused("pagerduty", true, b"{not json".to_vec(), "body");
    refused("pagerduty", true, b"{}".to_vec(), "body");
    refused("pagerduty", true, json!({"users": [], "schedule": []}).to_string().into_bytes(), "schedule");
    let mut pd = fixture("pagerduty.json");
    pd["schedules"][0]["schedule_layers"][1].as_object_mut().unwrap().remove("rotation_turn_length_seconds");
    refused("pagerduty", true, pd.to_string().into_bytes(), "schedules[0].schedule_layers[1].rotation_turn_length_seconds");
    let mut pd = fixture("pagerduty.json");
    pd["users"][2]["email"] = json!("nobody");
    refused("pagerduty", true, pd.to_string().into_bytes(), "users[2].email");
    let mut og = fixture("opsgenie.json");
    og["escalations"][0]["rules"][1].as_object_mut().unwrap().remove("delay");
    refused("opsgenie", true, og.to_string().into_bytes(), "escalations[0].rules[1].delay");
    refused("opsgenie", true, json!({"escalation_policies": [{}]}).to_string().into_bytes(), "escalation_policies");
    let r = admin.post("/api/import/pagerduty?apply=yes", fixture("pagerduty.json"));
    assert_eq!((r.status, r.field()), (400, "apply"), "{}", r.text);
    let r = admin.get("/api/import/opsgenie");
    assert_eq!(r.status, 405, "{}", r.text);
    assert!(admin.get("/api/schedules").json["schedules"].as_array().unwrap().iter().all(|s| s["name"] != "Checkout primary"), "nothing was imported");
}

fn main() {
    let ctx = Ctx { inst: Instance::start("import"), admin: OnceLock::new() };
    let tests: &[(&str, fn(&Ctx))] = &[
        ("pagerduty_import_puts_the_same_people_on_call_as_pagerduty_renders", pagerduty_import_puts_the_same_people_on_call),
        ("opsgenie_import_puts_the_same_people_on_call_as_opsgenie_renders", opsgenie_import_puts_the_same_people_on_call),
        ("applying_twice_creates_nothing_the_second_time", applying_twice_creates_nothing_the_second_time),
        ("only_admins_may_import", only_admins_may_import),
        ("bad_input_is_refused_naming_the_field", bad_input_is_refused_naming_the_field),
    ];
    tocsin_tests::run_suite(ctx, tests, |c| eprintln!("--- wrangler log ---\n{}", c.inst.log()))
}
