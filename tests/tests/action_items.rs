//! Action items and tickets, end to end against wrangler dev: items created on an incident
//! (with its timeline row) and on their own, edited and ticked with who and when, and the
//! org-wide list's filters (mine, overdue, service, team, status); a due date ends at midnight in
//! the organisation's time zone. Sending an item to Jira and GitHub goes to a local stand-in
//! speaking their documented request and answer shapes (method, path, credentials and body are
//! checked there); the key and link are stored once (a second send opens nothing), a vendor
//! failure is a 502 naming it with nothing stored; Jira's signed `jira:issue_updated` and
//! GitHub's signed `issues` `closed` webhooks close the item, a bad signature is 401 and changes
//! nothing. The cron sends an owner of overdue items one summary push a day. A phone ticks
//! an item done on /action-items.
//!
//! Each test makes its own people, services, incidents and items.

use serde_json::{json, Value};
use std::sync::OnceLock;
use std::time::Duration;
use tocsin_domain::vendors::signature::hmac_sha256_hex;
use tocsin_tests::browser::Browser;
use tocsin_tests::http::Person;
use tocsin_tests::receiver::{Receiver, TestSubscription};
use tocsin_tests::tickets::{Accepts, Tickets};
use tocsin_tests::{ms_rfc3339, now_ms, rfc3339_ms, unique, wait_for, zone_offset, Api, Instance};

const WAIT: Duration = Duration::from_secs(15);
const EMAIL: &str = "admin@action-items.example.com";
const PASSWORD: &str = "action items password";
const JIRA_EMAIL: &str = "bot@acme.example.com";
const JIRA_TOKEN: &str = "ATATT3xFfGF0-jira-token";
const GITHUB_TOKEN: &str = "ghp_standin0123456789";

struct Ctx {
    inst: Instance,
    rx: Receiver,
    vendors: Tickets,
    admin: OnceLock<Api>,
}

impl Ctx {
    fn admin(&self) -> &Api {
        self.admin.get_or_init(|| Api::setup(&self.inst.base, "Acme", EMAIL, PASSWORD, "Admin"))
    }

    fn person(&self, first: &str, role: &str) -> Person {
        Person::add(self.admin(), &self.inst.base, first, role)
    }

    fn service(&self, team: Option<&str>) -> String {
        let r = self.admin().post("/api/services", json!({"name": unique("Service"), "team_id": team}));
        assert_eq!(r.status, 201, "{}", r.text);
        r.json["id"].as_str().unwrap().to_string()
    }

    fn declare(&self, service: Option<&str>) -> String {
        let r = self.admin().post("/api/incidents", json!({"title": unique("Incident"), "severity": "SEV3", "service_id": service}));
        assert_eq!(r.status, 201, "{}", r.text);
        r.json["incident"]["id"].as_str().unwrap().to_string()
    }

    fn timeline(&self, incident: &str, kind: &str) -> Vec<Value> {
        let r = self.admin().get(&format!("/api/incidents/{incident}"));
        assert_eq!(r.status, 200, "{}", r.text);
        r.json["timeline"].as_array().unwrap().iter().filter(|t| t["kind"] == kind).cloned().collect()
    }

    fn item(&self, id: &str) -> Value {
        let r = self.admin().get(&format!("/api/action-items/{id}"));
        assert_eq!(r.status, 200, "{}", r.text);
        r.json
    }

    fn put(&self, path: &str, body: Value) -> tocsin_tests::Reply {
        self.admin().send("PUT", path, Some(body.to_string().into_bytes()), &[])
    }
}

/// The day `days` from now (UTC), `YYYY-MM-DD`.
fn day(days: i64) -> String {
    ms_rfc3339(now_ms() + days * 86_400_000)[..10].to_string()
}

fn ids(list: &Value) -> Vec<String> {
    list["items"].as_array().unwrap_or_else(|| panic!("no items: {list}")).iter().map(|i| i["id"].as_str().unwrap().to_string()).collect()
}

fn main() {
    let accepts = Accepts { jira_email: JIRA_EMAIL.into(), jira_token: JIRA_TOKEN.into(), github_token: GITHUB_TOKEN.into() };
    let ctx = Ctx { inst: Instance::start("action_items"), rx: Receiver::start(), vendors: Tickets::start(accepts), admin: OnceLock::new() };
    let tests: &[(&str, fn(&Ctx))] = &[
        ("items_are_created_edited_and_ticked_with_who_and_when", crud),
        ("the_list_filters_mine_overdue_service_team_and_status", filters),
        ("a_due_date_ends_at_midnight_in_the_orgs_time_zone", due_in_org_zone),
        ("jira_opens_once_and_its_signed_webhook_closes_the_item", jira),
        ("github_opens_once_and_only_a_signed_closed_event_closes_it", github),
        ("ticketing_secrets_are_never_shown_again", secrets_hidden),
        ("an_overdue_owner_is_reminded_at_most_once_a_day", reminder),
        ("a_phone_ticks_an_item_done", phone),
    ];
    tocsin_tests::run_suite(ctx, tests, |c| eprintln!("--- wrangler log ---\n{}", c.inst.log()))
}

fn crud(c: &Ctx) {
    let rex = c.person("Rex", "responder");
    let olive = c.person("Olive", "observer");
    let service = c.service(None);
    let incident = c.declare(Some(&service));
    let path = format!("/api/incidents/{incident}/action-items");

    // Observers read but do not write; bad input names the field.
    assert_eq!(olive.api.post(&path, json!({"title": "x"})).status, 403);
    for (body, field) in [
        (json!({"title": "  "}), "title"),
        (json!({"title": "x", "priority": "urgent"}), "priority"),
        (json!({"title": "x", "kind": "bug"}), "kind"),
        (json!({"title": "x", "due_date": "next week"}), "due_date"),
        (json!({"title": "x", "owner_id": "nobody"}), "owner_id"),
        (json!({"title": "x", "service_id": "nothing"}), "service_id"),
        (json!({"title": "x", "colour": "red"}), "colour"),
    ] {
        let r = rex.api.post(&path, body.clone());
        assert_eq!(r.status, 400, "{body}: {}", r.text);
        assert!(r.json["error"]["field"].as_str().is_some_and(|f| f.contains(field)), "{body}: {}", r.text);
    }
    assert_eq!(rex.api.post("/api/incidents/nope/action-items", json!({"title": "x"})).status, 404);

    // On the incident: defaults, the incident's service, a timeline row there.
    let r = rex.api.post(&path, json!({"title": "  Alert on   connection pool ", "owner_id": olive.id, "due_date": day(7), "kind": "monitoring", "priority": "high"}));
    assert_eq!(r.status, 201, "{}", r.text);
    let a = r.json.clone();
    let id = a["id"].as_str().unwrap().to_string();
    assert_eq!(a["title"], "Alert on connection pool");
    assert_eq!((a["status"].as_str(), a["kind"].as_str(), a["priority"].as_str()), (Some("open"), Some("monitoring"), Some("high")));
    assert_eq!(a["owner"]["id"], olive.id.as_str());
    assert_eq!(a["incident_id"], incident.as_str());
    assert_eq!(a["service_id"], service.as_str());
    assert_eq!(a["due_date"], day(7).as_str());
    assert_eq!(a["overdue"], false);
    let created = c.timeline(&incident, "action_item.created");
    assert_eq!(created.len(), 1);
    assert!(created[0]["message"].as_str().unwrap().contains("Alert on connection pool"), "{}", created[0]);
    // Standalone, with defaults, and in a postmortem.
    let r = rex.api.post("/api/action-items", json!({"title": "Review on-call handover"}));
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!((r.json["priority"].as_str(), r.json["kind"].as_str()), (Some("medium"), Some("fix")));
    assert!(r.json.get("incident_id").is_none() && r.json.get("owner").is_none(), "{}", r.text);
    let r = rex.api.post(&format!("/api/incidents/{incident}/postmortem"), json!({}));
    assert_eq!(r.status, 201, "{}", r.text);
    let pm = r.json["id"].as_str().unwrap().to_string();
    let r = rex.api.post(&path, json!({"title": "From the postmortem", "postmortem_id": pm}));
    assert_eq!((r.status, r.json["postmortem_id"].as_str()), (201, Some(pm.as_str())), "{}", r.text);
    // A postmortem of another incident, or none at all, is refused.
    let elsewhere = format!("/api/incidents/{}/action-items", c.declare(None));
    for (p, body) in [(&elsewhere, json!({"title": "x", "postmortem_id": pm})), (&path, json!({"title": "x", "postmortem_id": "pm-1"}))] {
        let r = rex.api.post(p, body.clone());
        assert_eq!((r.status, r.json["error"]["field"].as_str()), (400, Some("postmortem_id")), "{body}: {}", r.text);
    }
    let listed = rex.api.get(&path);
    assert_eq!(listed.status, 200);
    assert_eq!(ids(&listed.json).len(), 2, "the incident's two items: {}", listed.text);

    // Edit: only the given fields; no change → no new row.
    let item_path = format!("/api/action-items/{id}");
    let r = rex.api.patch(&item_path, json!({"title": "Alert on DB connection pool", "priority": "low", "owner_id": rex.id}));
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!((r.json["title"].as_str(), r.json["priority"].as_str(), r.json["kind"].as_str()), (Some("Alert on DB connection pool"), Some("low"), Some("monitoring")));
    assert_eq!(r.json["owner"]["id"], rex.id.as_str());
    assert_eq!(c.timeline(&incident, "action_item.edited").len(), 1);
    assert_eq!(rex.api.patch(&item_path, json!({"priority": "low"})).status, 200);
    assert_eq!(c.timeline(&incident, "action_item.edited").len(), 1, "nothing changed, no row");
    assert_eq!(olive.api.patch(&item_path, json!({"status": "done"})).status, 403);
    // Clear the due date and owner.
    let r = rex.api.patch(&item_path, json!({"due_date": "", "owner_id": ""}));
    assert!(r.json.get("due_date").is_none() && r.json.get("owner").is_none(), "{}", r.text);

    // Tick done: who and when, a timeline row; again: nothing new; reopen clears it.
    let before = now_ms();
    let r = rex.api.patch(&item_path, json!({"status": "done"}));
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["status"], "done");
    assert_eq!(r.json["done_by"]["id"], rex.id.as_str());
    assert_eq!(r.json["done_by"]["name"], rex.name.as_str());
    assert!(rfc3339_ms(r.json["done_at"].as_str().unwrap()) >= before - 1000);
    assert_eq!(rex.api.patch(&item_path, json!({"status": "done"})).json["done_by"]["id"], rex.id.as_str());
    let done_rows = c.timeline(&incident, "action_item.done");
    assert_eq!(done_rows.len(), 1, "one tick, one row");
    assert!(done_rows[0]["message"].as_str().unwrap().contains(&rex.name));
    let r = rex.api.patch(&item_path, json!({"status": "open"}));
    assert_eq!(r.json["status"], "open");
    assert!(r.json.get("done_at").is_none() && r.json.get("done_by").is_none(), "{}", r.text);
    assert_eq!(c.timeline(&incident, "action_item.reopened").len(), 1);
    assert_eq!(rex.api.patch("/api/action-items/nope", json!({"status": "done"})).status, 404);
}

fn filters(c: &Ctx) {
    let mia = c.person("Mia", "responder");
    let ned = c.person("Ned", "responder");
    let r = c.admin().post("/api/teams", json!({"name": unique("Payments")}));
    assert_eq!(r.status, 201, "{}", r.text);
    let team = r.json["id"].as_str().unwrap().to_string();
    let r = c.admin().patch(&format!("/api/users/{}", ned.id), json!({"teams": [team]}));
    assert_eq!(r.status, 200, "{}", r.text);
    let team_service = c.service(Some(&team));
    let other_service = c.service(None);
    let mk = |who: &Person, body: Value| -> String {
        let r = who.api.post("/api/action-items", body);
        assert_eq!(r.status, 201, "{}", r.text);
        r.json["id"].as_str().unwrap().to_string()
    };
    let mine_overdue = mk(&mia, json!({"title": unique("Overdue"), "owner_id": mia.id, "due_date": day(-3), "service_id": team_service}));
    let mine_later = mk(&mia, json!({"title": unique("Later"), "owner_id": mia.id, "due_date": day(10), "service_id": other_service}));
    let neds = mk(&mia, json!({"title": unique("Ned's"), "owner_id": ned.id, "due_date": day(-1), "service_id": other_service}));
    let done = mk(&mia, json!({"title": unique("Done"), "owner_id": mia.id, "due_date": day(-5), "service_id": team_service}));
    assert_eq!(mia.api.patch(&format!("/api/action-items/{done}"), json!({"status": "done"})).status, 200);

    let list = |who: &Person, q: &str| -> Vec<String> {
        let r = who.api.get(&format!("/api/action-items{q}"));
        assert_eq!(r.status, 200, "{q}: {}", r.text);
        ids(&r.json)
    };
    // Mine: Mia's, open first (soonest due), then done.
    assert_eq!(list(&mia, "?filter=mine"), vec![mine_overdue.clone(), mine_later.clone(), done.clone()]);
    assert_eq!(list(&ned, "?filter=mine"), vec![neds.clone()]);
    // Overdue: open and past due, anyone's (done ones are not overdue).
    let overdue = list(&mia, "?filter=overdue");
    assert!(overdue.contains(&mine_overdue) && overdue.contains(&neds), "{overdue:?}");
    assert!(!overdue.contains(&mine_later) && !overdue.contains(&done), "{overdue:?}");
    let r = mia.api.get(&format!("/api/action-items/{mine_overdue}"));
    assert_eq!(r.json["overdue"], true);
    // By service, by status.
    assert_eq!(list(&mia, &format!("?service={team_service}")), vec![mine_overdue.clone(), done.clone()]);
    assert_eq!(list(&mia, &format!("?service={team_service}&status=open")), vec![mine_overdue.clone()]);
    assert_eq!(list(&mia, &format!("?service={other_service}&status=done")), Vec::<String>::new());
    // By team: the team's services' items (and items its members own).
    let by_team = list(&mia, &format!("?team={team}"));
    assert!(by_team.contains(&mine_overdue) && by_team.contains(&done) && !by_team.contains(&mine_later), "{by_team:?}");
    assert!(by_team.contains(&neds), "Ned is in the team, so his item is: {by_team:?}");
    // Bad filters name the parameter.
    let r = mia.api.get("/api/action-items?filter=everything");
    assert_eq!((r.status, r.json["error"]["field"].as_str()), (400, Some("filter")), "{}", r.text);
    let r = mia.api.get("/api/action-items?status=closed");
    assert_eq!((r.status, r.json["error"]["field"].as_str()), (400, Some("status")), "{}", r.text);
}

fn due_in_org_zone(c: &Ctx) {
    // Auckland: the due day ends at local midnight, 11 or 13 hours before UTC's.
    let r = c.put("/api/status/page", json!({"name": "Acme", "time_zone": "Pacific/Auckland"}));
    assert_eq!(r.status, 200, "{}", r.text);
    let d = day(20);
    let r = c.admin().post("/api/action-items", json!({"title": unique("Zone"), "due_date": d}));
    let restore = c.put("/api/status/page", json!({"name": "Acme", "time_zone": "UTC"}));
    assert_eq!(restore.status, 200, "{}", restore.text);
    assert_eq!(r.status, 201, "{}", r.text);
    let due = rfc3339_ms(r.json["due_at"].as_str().unwrap());
    // The next day's midnight in Auckland, from the system's zoneinfo, minus 1 ms.
    let next_day = ms_rfc3339(rfc3339_ms(&format!("{d}T12:00:00Z")) + 86_400_000)[..10].to_string();
    let next = rfc3339_ms(&format!("{next_day}T00:00:00Z"));
    let offset = zone_offset("Pacific/Auckland", next);
    let sign = if offset.starts_with('-') { -1 } else { 1 };
    let (h, m): (i64, i64) = (offset[1..3].parse().unwrap(), offset[4..6].parse().unwrap());
    assert_eq!(due, next - sign * (h * 3_600_000 + m * 60_000) - 1, "{offset}");
}

/// Configures `system` on the stand-in with a known webhook secret; the configuration's JSON.
fn configure(c: &Ctx, system: &str, secret: &str) -> Value {
    let body = match system {
        "jira" => json!({"base_url": format!("{}/", c.vendors.base), "email": JIRA_EMAIL, "api_token": JIRA_TOKEN, "project_key": "OPS", "issue_type": "Task", "webhook_secret": secret}),
        _ => json!({"base_url": c.vendors.base, "owner": "acme", "repo": "api", "api_token": GITHUB_TOKEN, "webhook_secret": secret}),
    };
    let r = c.put(&format!("/api/ticketing/{system}"), body);
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.json.get("webhook_secret").is_none(), "a given secret is not echoed: {}", r.text);
    r.json["config"].clone()
}

fn hook(c: &Ctx, path: &str, body: &str, headers: &[(&str, &str)]) -> tocsin_tests::Reply {
    Api::new(&c.inst.base).send("POST", path, Some(body.as_bytes().to_vec()), headers)
}

fn jira_update(key: &str, category: &str) -> String {
    json!({
        "timestamp": now_ms(), "webhookEvent": "jira:issue_updated", "issue_event_type_name": "issue_generic",
        "user": {"accountId": "5b10a2844c20165700ede21g", "displayName": "Ana"},
        "issue": {"id": "10001", "self": "https://acme.atlassian.net/rest/api/2/10001", "key": key,
            "fields": {"summary": "x", "status": {"name": "Done", "id": "10001", "statusCategory": {"id": 3, "key": category, "name": "Done"}}}},
        "changelog": {"id": "10002", "items": [{"field": "status", "fieldtype": "jira", "fromString": "In Progress", "toString": "Done"}]}
    })
    .to_string()
}

fn jira(c: &Ctx) {
    let secret = "jira-webhook-secret-0123456789";
    let cfg = configure(c, "jira", secret);
    let rex = c.person("Rex", "responder");
    let incident = c.declare(None);
    let r = rex.api.post(&format!("/api/incidents/{incident}/action-items"), json!({"title": "Add a circuit breaker", "kind": "fix", "priority": "high", "owner_id": rex.id}));
    let id = r.json["id"].as_str().unwrap().to_string();
    let send = format!("/api/action-items/{id}/ticket");
    let before = c.vendors.calls("/rest/api/3/issue").len();

    // A vendor failure: 502 naming Jira and its status; nothing stored.
    c.vendors.fail_next(503);
    let r = rex.api.post(&send, json!({"system": "jira"}));
    assert_eq!(r.status, 502, "{}", r.text);
    let msg = r.json["error"]["message"].as_str().unwrap();
    assert!(msg.contains("Jira") && msg.contains("503"), "{msg}");
    assert!(!msg.contains('{') && !msg.contains("errorMessages"), "only Jira's parsed error words, not its raw body: {msg}");
    assert!(c.item(&id).get("ticket").is_none());
    assert_eq!(c.d1(&format!("SELECT ticket_key, ticket_claimed_at FROM action_items WHERE id = '{id}'"))[0], json!({"ticket_key": null, "ticket_claimed_at": null}));

    // Opened: the stand-in saw REST v3 create issue with Basic auth and an ADF description.
    let r = rex.api.post(&send, json!({"system": "jira"}));
    assert_eq!(r.status, 201, "{}", r.text);
    let calls = c.vendors.calls("/rest/api/3/issue");
    assert_eq!(calls.len(), before + 2, "the failed try and this one");
    let call = calls.last().unwrap();
    assert_eq!((call.method.as_str(), call.status), ("POST", 201));
    assert_eq!(call.header("authorization"), Some(format!("Basic {}", base64_of(&format!("{JIRA_EMAIL}:{JIRA_TOKEN}"))).as_str()));
    assert_eq!(call.body["fields"]["project"]["key"], "OPS");
    assert_eq!(call.body["fields"]["issuetype"]["name"], "Task");
    assert_eq!(call.body["fields"]["summary"], "Add a circuit breaker");
    assert_eq!(call.body["fields"]["description"]["type"], "doc");
    let text = call.body["fields"]["description"].to_string();
    assert!(text.contains("high priority, fix") && text.contains(&rex.name), "{text}");
    let key = r.json["ticket"]["key"].as_str().unwrap().to_string();
    assert!(key.starts_with("OPS-"), "{}", r.text);
    assert_eq!(r.json["ticket"]["system"], "jira");
    assert_eq!(r.json["ticket"]["url"], format!("{}/browse/{key}", c.vendors.base));
    assert_eq!(c.timeline(&incident, "action_item.ticket").len(), 1);
    // Idempotent: the stored ticket, no second issue (whichever system is asked).
    for system in ["jira", "github"] {
        let again = rex.api.post(&send, json!({"system": system}));
        assert_eq!(again.status, 200, "{}", again.text);
        assert_eq!(again.json["ticket"]["key"], key.as_str());
    }
    assert_eq!(c.vendors.calls("/rest/api/3/issue").len(), before + 2);

    // Inbound: the config's webhook path, signed with X-Hub-Signature.
    let path = cfg["webhook_path"].as_str().unwrap().to_string();
    let sign = |b: &str| format!("sha256={}", hmac_sha256_hex(secret.as_bytes(), b.as_bytes()));
    let progress = jira_update(&key, "indeterminate");
    let r = hook(c, &path, &progress, &[("X-Hub-Signature", &sign(&progress))]);
    assert_eq!((r.status, r.json["outcome"].as_str()), (202, Some("ignored")), "{}", r.text);
    let done = jira_update(&key, "done");
    // Nothing changes: the whole item (status, version, updated_at, done_at…; a timeline row is
    // only ever written in the batch that changes it).
    let untouched = c.item(&id);
    for bad in [None, Some("sha256=0000".to_string()), Some(format!("sha256={}", hmac_sha256_hex(b"wrong secret", done.as_bytes())))] {
        let h: Vec<(&str, &str)> = bad.as_deref().map(|s| vec![("X-Hub-Signature", s)]).unwrap_or_default();
        assert_eq!(hook(c, &path, &done, &h).status, 401);
        assert_eq!(c.item(&id), untouched, "a bad signature changes nothing");
    }
    let r = hook(c, &path, &done, &[("X-Hub-Signature", &sign(&done))]);
    assert_eq!((r.status, r.json["outcome"].as_str(), r.json["action_item_id"].as_str()), (200, Some("closed"), Some(id.as_str())), "{}", r.text);
    let item = c.item(&id);
    assert_eq!(item["status"], "done");
    assert!(item.get("done_at").is_some() && item.get("done_by").is_none(), "closed by Jira, not a person: {item}");
    let rows = c.timeline(&incident, "action_item.done");
    assert_eq!(rows.len(), 1);
    assert!(rows[0]["message"].as_str().unwrap().contains(&key), "{}", rows[0]);
    // Repeats are safe; an unknown ticket is ignored; an unknown config is refused like a bad signature.
    let r = hook(c, &path, &done, &[("X-Hub-Signature", &sign(&done))]);
    assert_eq!((r.status, r.json["outcome"].as_str()), (202, Some("already_done")));
    assert_eq!(c.timeline(&incident, "action_item.done").len(), 1);
    // A person reopens it: the same (re-delivered) webhook does not close it again.
    let r = rex.api.patch(&format!("/api/action-items/{id}"), json!({"status": "open"}));
    assert_eq!((r.status, r.json["status"].as_str()), (200, Some("open")), "{}", r.text);
    let r = hook(c, &path, &done, &[("X-Hub-Signature", &sign(&done))]);
    assert_eq!((r.status, r.json["outcome"].as_str()), (202, Some("stale")), "{}", r.text);
    assert_eq!(c.item(&id)["status"], "open", "the reopen wins over a replayed close");
    // A later close does close it.
    let later = jira_update(&key, "done");
    let r = hook(c, &path, &later, &[("X-Hub-Signature", &sign(&later))]);
    assert_eq!((r.status, r.json["outcome"].as_str()), (200, Some("closed")), "{}", r.text);
    let other = jira_update("OPS-99999", "done");
    let r = hook(c, &path, &other, &[("X-Hub-Signature", &sign(&other))]);
    assert_eq!((r.status, r.json["outcome"].as_str()), (202, Some("unknown_ticket")));
    assert_eq!(hook(c, "/hooks/jira/not-a-config", &done, &[("X-Hub-Signature", &sign(&done))]).status, 401);
}

fn base64_of(s: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(s)
}

impl Ctx {
    fn d1(&self, sql: &str) -> Vec<Value> {
        self.inst.d1(sql)
    }

    fn cron(&self, at_ms: i64) {
        tocsin_tests::cron(&self.inst.base, at_ms);
    }
}

fn github(c: &Ctx) {
    let secret = "github-webhook-secret-0123456789";
    let cfg = configure(c, "github", secret);
    let rex = c.person("Rex", "responder");
    let r = rex.api.post("/api/action-items", json!({"title": "Runbook for failover", "kind": "runbook", "due_date": day(14)}));
    let id = r.json["id"].as_str().unwrap().to_string();
    let before = c.vendors.calls("/repos/").len();
    let r = rex.api.post(&format!("/api/action-items/{id}/ticket"), json!({"system": "github"}));
    assert_eq!(r.status, 201, "{}", r.text);
    let calls = c.vendors.calls("/repos/");
    assert_eq!(calls.len(), before + 1);
    let call = calls.last().unwrap();
    assert_eq!((call.method.as_str(), call.path.as_str(), call.status), ("POST", "/repos/acme/api/issues", 201));
    assert_eq!(call.header("authorization"), Some(format!("Bearer {GITHUB_TOKEN}").as_str()));
    assert_eq!(call.header("accept"), Some("application/vnd.github+json"));
    assert_eq!(call.header("x-github-api-version"), Some("2022-11-28"));
    assert!(call.header("user-agent").is_some_and(|u| u.contains("Tocsin")));
    assert_eq!(call.body["title"], "Runbook for failover");
    assert!(call.body["body"].as_str().unwrap().contains(&format!("Due: {}", day(14))), "{}", call.body);
    let number = r.json["ticket"]["key"].as_str().unwrap().rsplit('#').next().unwrap().parse::<i64>().unwrap();
    assert_eq!(r.json["ticket"]["key"], format!("acme/api#{number}"));
    assert_eq!(r.json["ticket"]["url"], format!("https://github.com/acme/api/issues/{number}"));
    let again = rex.api.post(&format!("/api/action-items/{id}/ticket"), json!({"system": "github"}));
    assert_eq!((again.status, &again.json["ticket"]), (200, &r.json["ticket"]));
    assert_eq!(c.vendors.calls("/repos/").len(), before + 1, "no second issue");

    // Inbound `issues` events, signed with X-Hub-Signature-256.
    let path = cfg["webhook_path"].as_str().unwrap().to_string();
    let event = |action: &str| {
        let at = ms_rfc3339(now_ms());
        json!({"action": action, "issue": {"number": number, "html_url": format!("https://github.com/acme/api/issues/{number}"), "state": "closed", "state_reason": "completed", "closed_at": at, "updated_at": at},
            "repository": {"id": 1296269, "name": "api", "full_name": "acme/api"}, "sender": {"login": "octocat"}})
        .to_string()
    };
    let closed = event("closed");
    let sig = format!("sha256={}", hmac_sha256_hex(secret.as_bytes(), closed.as_bytes()));
    let bad = format!("sha256={}", hmac_sha256_hex(b"not the secret", closed.as_bytes()));
    let untouched = c.item(&id);
    let r = hook(c, &path, &closed, &[("X-GitHub-Event", "issues"), ("X-Hub-Signature-256", &bad)]);
    assert_eq!(r.status, 401, "{}", r.text);
    assert_eq!(hook(c, &path, &closed, &[("X-GitHub-Event", "issues")]).status, 401, "unsigned");
    let tampered = closed.replace("octocat", "mallory");
    assert_eq!(hook(c, &path, &tampered, &[("X-GitHub-Event", "issues"), ("X-Hub-Signature-256", &sig)]).status, 401, "body changed after signing");
    let item = c.item(&id);
    assert_eq!(item, untouched, "a bad signature changes nothing");
    // A ping and a reopened event change nothing.
    let ping = json!({"zen": "Keep it logically awesome.", "hook_id": 1}).to_string();
    let r = hook(c, &path, &ping, &[("X-GitHub-Event", "ping"), ("X-Hub-Signature-256", &format!("sha256={}", hmac_sha256_hex(secret.as_bytes(), ping.as_bytes())))]);
    assert_eq!((r.status, r.json["outcome"].as_str()), (202, Some("ignored")));
    let reopened = event("reopened");
    let r = hook(c, &path, &reopened, &[("X-GitHub-Event", "issues"), ("X-Hub-Signature-256", &format!("sha256={}", hmac_sha256_hex(secret.as_bytes(), reopened.as_bytes())))]);
    assert_eq!(r.status, 202);
    assert_eq!(c.item(&id)["status"], "open");
    let r = hook(c, &path, &closed, &[("X-GitHub-Event", "issues"), ("X-Hub-Signature-256", &sig)]);
    assert_eq!((r.status, r.json["outcome"].as_str()), (200, Some("closed")), "{}", r.text);
    assert_eq!(c.item(&id)["status"], "done");
    // A GitHub failure names GitHub and the status; nothing stored.
    let r2 = rex.api.post("/api/action-items", json!({"title": "Another"}));
    let id2 = r2.json["id"].as_str().unwrap().to_string();
    c.vendors.fail_next(500);
    let r = rex.api.post(&format!("/api/action-items/{id2}/ticket"), json!({"system": "github"}));
    assert_eq!(r.status, 502, "{}", r.text);
    assert!(r.json["error"]["message"].as_str().unwrap().contains("GitHub answered HTTP 500"), "{}", r.text);
    assert!(c.item(&id2).get("ticket").is_none());

    // The repository typed in another case than GitHub's canonical name: the stored key is the
    // canonical one, so GitHub's webhook (which uses `full_name`) closes the item.
    let r = c.put("/api/ticketing/github", json!({"base_url": c.vendors.base, "owner": "Acme", "repo": "API", "api_token": GITHUB_TOKEN}));
    assert_eq!(r.status, 200, "{}", r.text);
    let r = rex.api.post(&format!("/api/action-items/{id2}/ticket"), json!({"system": "github"}));
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(c.vendors.calls("/repos/").last().unwrap().path, "/repos/Acme/API/issues", "sent as typed");
    let key = r.json["ticket"]["key"].as_str().unwrap().to_string();
    assert!(key.starts_with("acme/api#"), "{}", r.text);
    let n: i64 = key.rsplit('#').next().unwrap().parse().unwrap();
    let at = ms_rfc3339(now_ms());
    let closed = json!({"action": "closed", "issue": {"number": n, "state": "closed", "closed_at": at, "updated_at": at},
        "repository": {"name": "api", "full_name": "acme/api"}, "sender": {"login": "octocat"}})
    .to_string();
    let sig = format!("sha256={}", hmac_sha256_hex(secret.as_bytes(), closed.as_bytes()));
    let r = hook(c, &path, &closed, &[("X-GitHub-Event", "issues"), ("X-Hub-Signature-256", &sig)]);
    assert_eq!((r.status, r.json["outcome"].as_str()), (200, Some("closed")), "{}", r.text);
    assert_eq!(c.item(&id2)["status"], "done");
}

fn secrets_hidden(c: &Ctx) {
    // A generated webhook secret is shown once; tokens and secrets never again, and are sealed.
    c.put("/api/ticketing/github", json!({"base_url": c.vendors.base, "owner": "acme", "repo": "api", "api_token": GITHUB_TOKEN, "webhook_secret": "github-webhook-secret-0123456789"}));
    let r = c.admin().send("DELETE", "/api/ticketing/jira", None, &[]);
    assert!(r.status == 204 || r.status == 404, "{}", r.text);
    let r = c.put("/api/ticketing/jira", json!({"base_url": c.vendors.base, "email": JIRA_EMAIL, "api_token": JIRA_TOKEN, "project_key": "OPS"}));
    assert_eq!(r.status, 200, "{}", r.text);
    let shown = r.json["webhook_secret"].as_str().expect("generated secret shown once").to_string();
    assert_eq!(r.json["config"]["issue_type"], "Task");
    // Kept when left out; never in a later answer.
    let r = c.put("/api/ticketing/jira", json!({"base_url": c.vendors.base, "email": JIRA_EMAIL, "project_key": "OPS", "issue_type": "Bug"}));
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.json.get("webhook_secret").is_none());
    let list = c.admin().get("/api/ticketing");
    assert_eq!(list.status, 200);
    for secret in [JIRA_TOKEN, GITHUB_TOKEN, shown.as_str(), "github-webhook-secret"] {
        assert!(!list.text.contains(secret) && !r.text.contains(secret), "{secret} leaked: {}", list.text);
    }
    let rows = c.d1("SELECT api_token, webhook_secret FROM ticketing_configs");
    for row in &rows {
        for v in [&row["api_token"], &row["webhook_secret"]] {
            let v = v.as_str().unwrap();
            assert!(v.starts_with("s2.") && !v.contains(JIRA_TOKEN) && !v.contains(GITHUB_TOKEN), "sealed at rest: {v}");
        }
    }
    // The generated secret is the one checked (and the kept token still opens issues).
    let cfg = &list.json["configs"].as_array().unwrap().iter().find(|x| x["system"] == "jira").unwrap().clone();
    let body = jira_update("OPS-424242", "done");
    let r = hook(c, cfg["webhook_path"].as_str().unwrap(), &body, &[("X-Hub-Signature", &format!("sha256={}", hmac_sha256_hex(shown.as_bytes(), body.as_bytes())))]);
    assert_eq!((r.status, r.json["outcome"].as_str()), (202, Some("unknown_ticket")), "{}", r.text);
    // Bad configuration input names the field; responders cannot configure.
    for (body, field) in [
        (json!({"base_url": "ftp://x", "email": JIRA_EMAIL, "project_key": "OPS", "api_token": "t"}), "base_url"),
        (json!({"base_url": c.vendors.base, "email": "nope", "project_key": "OPS", "api_token": "t"}), "email"),
        (json!({"base_url": c.vendors.base, "email": JIRA_EMAIL, "project_key": "ops key", "api_token": "t"}), "project_key"),
        (json!({"base_url": c.vendors.base, "email": JIRA_EMAIL, "project_key": "OPS", "webhook_secret": "short"}), "webhook_secret"),
    ] {
        let r = c.put("/api/ticketing/jira", body.clone());
        assert_eq!((r.status, r.json["error"]["field"].as_str()), (400, Some(field)), "{body}: {}", r.text);
    }
    // The kept token never follows a new host or account; base URLs are https, no query/fragment.
    for (body, field) in [
        (json!({"base_url": "https://jira.evil.example.com", "email": JIRA_EMAIL, "project_key": "OPS"}), "api_token"),
        (json!({"base_url": c.vendors.base, "email": "someone@evil.example.com", "project_key": "OPS"}), "api_token"),
        (json!({"base_url": "http://jira.example.com", "email": JIRA_EMAIL, "project_key": "OPS", "api_token": "t"}), "base_url"),
        (json!({"base_url": format!("{}/x?y=", c.vendors.base), "email": JIRA_EMAIL, "project_key": "OPS", "api_token": "t"}), "base_url"),
        (json!({"base_url": "https://jira.example.com/#x", "email": JIRA_EMAIL, "project_key": "OPS", "api_token": "t"}), "base_url"),
    ] {
        let r = c.put("/api/ticketing/jira", body.clone());
        assert_eq!((r.status, r.json["error"]["field"].as_str()), (400, Some(field)), "{body}: {}", r.text);
    }
    let r = c.put("/api/ticketing/github", json!({"base_url": "https://api.evil.example.com", "owner": "acme", "repo": "api"}));
    assert_eq!((r.status, r.json["error"]["field"].as_str()), (400, Some("api_token")), "{}", r.text);
    let jira_now = c.admin().get("/api/ticketing").json["configs"].as_array().unwrap().iter().find(|x| x["system"] == "jira").unwrap().clone();
    assert_eq!((jira_now["base_url"].as_str(), jira_now["email"].as_str()), (Some(c.vendors.base.as_str()), Some(JIRA_EMAIL)), "nothing changed");
    let r = c.put("/api/ticketing/github", json!({"owner": "a/b", "repo": "api", "api_token": "t"}));
    assert_eq!((r.status, r.json["error"]["field"].as_str()), (400, Some("owner")), "{}", r.text);
    let rex = c.person("Rex", "responder");
    let r = rex.api.send("PUT", "/api/ticketing/jira", Some(json!({"base_url": c.vendors.base}).to_string().into_bytes()), &[]);
    assert_eq!(r.status, 403);
    assert_eq!(c.put("/api/ticketing/trello", json!({})).status, 404);
}

fn reminder(c: &Ctx) {
    let owner = c.person("Oscar", "responder");
    let phone = TestSubscription::new(&c.rx, &owner.name.to_ascii_lowercase());
    let r = owner.api.post("/api/push/subscriptions", phone.json("Phone"));
    assert_eq!(r.status, 201, "{}", r.text);
    let mk = |title: &str, due: String| -> String {
        let r = c.admin().post("/api/action-items", json!({"title": title, "owner_id": owner.id, "due_date": due}));
        assert_eq!(r.status, 201, "{}", r.text);
        r.json["id"].as_str().unwrap().to_string()
    };
    let overdue = mk("Rotate the database credentials", day(-2));
    let overdue2 = mk("Write the failover runbook", day(-1));
    let later = mk("Not due yet", day(5));
    let done = mk("Done already", day(-2));
    assert_eq!(c.admin().patch(&format!("/api/action-items/{done}"), json!({"status": "done"})).status, 200);

    // Two cron runs at once: one summary push for both overdue items, not one per item.
    let t = now_ms();
    let runs: Vec<_> = (0..2)
        .map(|_| {
            let base = c.inst.base.clone();
            std::thread::spawn(move || tocsin_tests::cron(&base, t))
        })
        .collect();
    runs.into_iter().for_each(|r| r.join().unwrap());
    let got = c.rx.wait_for(&phone.path, 1, WAIT);
    let push = phone.decrypt(&got[0]);
    assert_eq!(push["type"], "action_item_overdue", "{push}");
    assert_eq!(push["title"], "2 action items overdue", "{push}");
    let body = push["body"].as_str().unwrap();
    assert!(body.contains("Rotate the database credentials") && body.contains("Write the failover runbook") && !body.contains("Not due yet"), "{push}");
    assert_eq!(push["url"], "/action-items?filter=mine");
    for id in [&overdue, &overdue2] {
        assert_eq!(rfc3339_ms(c.item(id)["reminded_at"].as_str().unwrap()), t);
    }
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(c.rx.received(&phone.path).len(), 1, "two concurrent runs send one summary");
    // Later the same day: nothing more, however often the cron runs.
    c.cron(t + 60_000);
    c.cron(t + 6 * 3_600_000);
    c.cron(t + 86_400_000 - 1);
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(c.rx.received(&phone.path).len(), 1, "at most once a day");
    // A day later: one more summary (only the overdue, open items).
    c.cron(t + 86_400_000);
    let got = c.rx.wait_for(&phone.path, 2, WAIT);
    assert_eq!(got.len(), 2);
    let push = phone.decrypt(&got[1]);
    assert_eq!(push["title"], "2 action items overdue", "{push}");
    // (D1 refuses LIKE patterns past 50 bytes: compare the prefix instead.)
    let prefix = format!("action-items:{}:", owner.id);
    let rows = c.d1(&format!("SELECT COUNT(*) AS n FROM outbound_deliveries WHERE substr(source, 1, {}) = '{prefix}'", prefix.len()));
    assert_eq!(rows[0]["n"], 2, "one push row per summary (one device)");
    let rows = c.d1(&format!("SELECT COUNT(*) AS n FROM action_items WHERE id IN ('{done}', '{later}') AND reminded_at IS NOT NULL"));
    assert_eq!(rows[0]["n"], 0, "no reminder for done or not-yet-due items");
    // Ticked done: no more reminders.
    for id in [&overdue, &overdue2] {
        assert_eq!(owner.api.patch(&format!("/api/action-items/{id}"), json!({"status": "done"})).status, 200);
    }
    c.cron(t + 3 * 86_400_000);
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(c.rx.received(&phone.path).len(), 2);
}

fn phone(c: &Ctx) {
    let incident = c.declare(None);
    let title = unique("Add a dashboard for checkout latency");
    let r = c.admin().post(&format!("/api/incidents/{incident}/action-items"), json!({"title": title, "priority": "high", "kind": "monitoring", "due_date": day(-1)}));
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.json["id"].as_str().unwrap().to_string();
    let b = Browser::phone();
    let origin = c.inst.base.trim_end_matches('/');
    b.goto(&format!("{origin}/"));
    b.find("#email").type_text(EMAIL);
    b.find("#password").type_text(PASSWORD);
    b.find("button[type=submit]").click();
    b.find("nav.tabbar");
    b.goto(&format!("{origin}/action-items?filter=overdue"));
    b.find_text("h1", "Action items", WAIT);
    assert!(b.try_find("nav.subnav a[aria-current=page]").is_some_and(|a| a.text() == "Action items"));
    let row = format!("li.action-item[data-id='{id}']");
    wait_for("the overdue item", WAIT, || b.try_find(&row).map(|_| ()));
    let text = b.find(&row).text();
    assert!(text.contains(&title) && text.contains("Overdue") && text.contains("High"), "{text}");
    b.screenshot("action-items-01-overdue");
    b.find(&format!("{row} input[type=checkbox]")).click();
    wait_for("the item done in the API", WAIT, || (c.item(&id)["status"] == "done").then_some(()));
    b.goto(&format!("{origin}/action-items?filter=all"));
    wait_for("the done item", WAIT, || b.try_find(&format!("{row}.done")).map(|_| ()));
    b.script(&format!("document.querySelector(\"{row}\").scrollIntoView({{block: 'center'}})"));
    b.screenshot("action-items-02-done");
    assert_eq!(c.item(&id)["done_by"]["name"], "Admin");
    // On the incident page: the panel lists it.
    b.goto(&format!("{origin}/incidents/{incident}"));
    b.find("#tab-details").click();
    wait_for("the incident's action items panel", WAIT, || b.try_find(&format!("section.action-items-panel li.action-item[data-id='{id}']")).map(|_| ()));
    b.script("document.querySelector('section.action-items-panel').scrollIntoView()");
    b.screenshot("action-items-03-incident-panel");
}
