//! Running an incident, end to end against wrangler dev: incident roles (built-in and the
//! organisation's own) and hand-overs recorded on the timeline, links, affected services,
//! merging an incident into another (alerts move and keep deduplicating into the target, the
//! record is copied onto the end of the target's, the source resolves pointing at it), marking
//! highlights, and notes up to 16 KB. Every change is a timeline row with the next sequence
//! number; repeating a change writes nothing; bad input names the field and changes nothing;
//! observers get 403.
//!
//! Each test makes its own people, services and incidents.

use serde_json::{json, Value};
use std::sync::OnceLock;
use std::time::Duration;
use tocsin_tests::http::Person;
use tocsin_tests::{unique, wait_for, Api, Instance, Reply};

struct Ctx {
    inst: Instance,
    admin: OnceLock<Api>,
}


impl Ctx {
    fn admin(&self) -> &Api {
        self.admin.get_or_init(|| Api::setup(&self.inst.base, "Acme", "admin@command.example.com", "command password", "Ada Admin"))
    }

    fn person(&self, first: &str, role: &str) -> Person {
        Person::add(self.admin(), &self.inst.base, first, role)
    }

    /// A new service: (id, name, integration key).
    fn service(&self) -> (String, String, String) {
        let name = unique("Service");
        let r = self.admin().post("/api/services", json!({"name": name}));
        assert_eq!(r.status, 201, "{}", r.text);
        (r.json["id"].as_str().unwrap().to_string(), name, r.json["integration_key"].as_str().unwrap().to_string())
    }

    fn declare(&self, service: Option<&str>) -> String {
        let r = self.admin().post("/api/incidents", json!({"title": unique("Incident"), "severity": "SEV3", "service_id": service}));
        assert_eq!(r.status, 201, "{}", r.text);
        r.json["incident"]["id"].as_str().unwrap().to_string()
    }

    fn detail(&self, incident: &str) -> Value {
        let r = self.admin().get(&format!("/api/incidents/{incident}"));
        assert_eq!(r.status, 200, "{}", r.text);
        r.json
    }

    fn fire(&self, key: &str, dedup_key: &str) -> Reply {
        let r = Api::new(&self.inst.base).post(&format!("/webhooks/generic/{key}"), json!({"summary": format!("Alert {dedup_key}"), "severity": "critical", "dedup_key": dedup_key}));
        assert_eq!(r.status, 202, "{}", r.text);
        r
    }
}

fn send(api: &Api, method: &str, path: &str, body: Value) -> Reply {
    api.send(method, path, Some(body.to_string().into_bytes()), &[])
}

fn timeline(d: &Value) -> Vec<Value> {
    d["timeline"].as_array().unwrap().clone()
}

/// The record numbers its rows 1, 2, 3, … without gaps or doubles.
fn assert_consecutive(d: &Value) {
    let seqs: Vec<i64> = timeline(d).iter().map(|t| t["seq"].as_i64().unwrap()).collect();
    assert!(!seqs.is_empty());
    assert_eq!(seqs, (1..=seqs.len() as i64).collect::<Vec<_>>(), "{d}");
}

fn last(d: &Value) -> Value {
    timeline(d).last().cloned().unwrap()
}

fn assert_refused(r: &Reply, status: u16, field: Option<&str>) {
    assert_eq!(r.status, status, "{}", r.text);
    if let Some(f) = field {
        assert_eq!(r.field(), f, "{}", r.text);
    }
}

fn main() {
    let ctx = Ctx { inst: Instance::start("command"), admin: OnceLock::new() };
    let tests: &[(&str, fn(&Ctx))] = &[
        ("admins_define_incident_roles_and_built_ins_stay", define_roles),
        ("hand_overs_are_recorded_and_repeats_change_nothing", hand_over),
        ("bad_role_assignments_are_refused_naming_the_field", bad_assignments),
        ("links_are_added_and_removed_on_the_record", links),
        ("affected_services_replace_the_set_and_keep_the_own_service", services),
        ("merging_moves_alerts_and_the_record_and_resolves_the_source", merge),
        ("merges_that_cannot_be_done_are_refused", bad_merges),
        ("a_merge_moves_the_public_incident_and_asks_nobody_on_the_source", merge_public_and_requests),
        ("identical_service_changes_at_once_write_one_row", concurrent_services),
        ("highlights_are_marked_and_unmarked_once", highlights),
        ("notes_hold_up_to_16_kb", notes),
    ];
    tocsin_tests::run_suite(ctx, tests, |c| eprintln!("--- wrangler log ---\n{}", c.inst.log()))
}

fn define_roles(c: &Ctx) {
    let observer = c.person("Olga", "observer");
    let responder = c.person("Rita", "responder");
    let list = observer.api.get("/api/incident-roles");
    assert_eq!(list.status, 200, "{}", list.text);
    let ids: Vec<&str> = list.json["roles"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids[..3], ["commander", "communications", "scribe"]);
    assert_eq!(list.json["roles"][0]["name"], "Incident commander");

    let name = unique("Customer liaison");
    for who in [&observer.api, &responder.api] {
        assert_refused(&who.post("/api/incident-roles", json!({"name": name})), 403, None);
    }
    let r = c.admin().post("/api/incident-roles", json!({"name": format!("  {name} "), "description": "Talks to the customers we affect"}));
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!((r.json["name"].as_str().unwrap(), r.json["built_in"].as_bool().unwrap()), (name.as_str(), false));
    let id = r.json["id"].as_str().unwrap().to_string();
    // Names are unique in any case, built-in names included; bad ones name the field.
    assert_refused(&c.admin().post("/api/incident-roles", json!({"name": name.to_uppercase()})), 409, None);
    assert_refused(&c.admin().post("/api/incident-roles", json!({"name": "incident Commander"})), 409, None);
    assert_refused(&c.admin().post("/api/incident-roles", json!({"name": "  "})), 400, Some("name"));
    assert_refused(&c.admin().post("/api/incident-roles", json!({"name": "x".repeat(61)})), 400, Some("name"));
    assert_refused(&c.admin().post("/api/incident-roles", json!({"name": unique("R"), "description": "d".repeat(501)})), 400, Some("description"));
    assert_refused(&c.admin().post("/api/incident-roles", json!({})), 400, Some("name"));

    // A new incident shows every role as a slot, the new one included, all empty.
    let incident = c.declare(None);
    let d = c.detail(&incident);
    let slots = d["roles"].as_array().unwrap();
    assert!(slots.iter().any(|s| s["role_id"] == id.as_str() && s["role_name"] == name.as_str()), "{d}");
    assert!(slots.iter().all(|s| s["holder"].is_null()), "{d}");

    // Built-in roles stay; observers and responders cannot delete; admins can (audited).
    assert_refused(&c.admin().send("DELETE", "/api/incident-roles/commander", None, &[]), 409, None);
    assert_refused(&responder.api.send("DELETE", &format!("/api/incident-roles/{id}"), None, &[]), 403, None);
    let r = c.admin().send("DELETE", &format!("/api/incident-roles/{id}"), None, &[]);
    assert_eq!(r.status, 204, "{}", r.text);
    assert_refused(&c.admin().send("DELETE", &format!("/api/incident-roles/{id}"), None, &[]), 404, None);
    let list = c.admin().get("/api/incident-roles");
    assert!(!list.json["roles"].as_array().unwrap().iter().any(|r| r["id"] == id.as_str()));
    for action in ["incident_role.created", "incident_role.deleted"] {
        let audit = c.admin().get(&format!("/api/audit?action={action}&target={id}"));
        assert_eq!(audit.status, 200, "{}", audit.text);
        assert_eq!(audit.json["events"].as_array().map(Vec::len), Some(1), "{action}: {}", audit.text);
    }
}

fn hand_over(c: &Ctx) {
    let bob = c.person("Bob", "responder");
    let cara = c.person("Cara", "responder");
    let observer = c.person("Otto", "observer");
    let incident = c.declare(None);
    let path = format!("/api/incidents/{incident}/roles/commander");

    // Bob takes command himself.
    let r = send(&bob.api, "PUT", &path, json!({"user_id": bob.id}));
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["roles"][0]["holder"]["user_id"], bob.id.as_str());
    assert_eq!(r.json["roles"][0]["holder"]["name"], bob.name.as_str());
    assert!(r.json["roles"][0]["holder"]["since"].is_string());
    let row = last(&r.json);
    assert_eq!((row["kind"].as_str().unwrap(), row["message"].as_str().unwrap()), ("role.assigned", format!("{} took Incident commander", bob.name).as_str()));
    let rows = timeline(&r.json).len();

    // The admin hands it from Bob to Cara; a retry changes nothing and writes no row.
    for _ in 0..2 {
        let r = send(c.admin(), "PUT", &path, json!({"user_id": cara.id}));
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.json["roles"][0]["holder"]["user_id"], cara.id.as_str());
        assert_eq!(timeline(&r.json).len(), rows + 1, "{}", r.text);
        assert_eq!(last(&r.json)["message"], format!("Ada Admin handed Incident commander from {} to {}", bob.name, cara.name));
    }
    // Another role for someone else, then Cara steps down.
    let r = send(&cara.api, "PUT", &format!("/api/incidents/{incident}/roles/scribe"), json!({"user_id": bob.id}));
    assert_eq!(last(&r.json)["message"], format!("{} made {} Scribe", cara.name, bob.name));
    assert_eq!(r.json["roles"][2]["holder"]["user_id"], bob.id.as_str());
    let r = cara.api.send("DELETE", &path, None, &[]);
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.json["roles"][0]["holder"].is_null(), "{}", r.text);
    assert_eq!((last(&r.json)["kind"].as_str().unwrap(), last(&r.json)["message"].as_str().unwrap()), ("role.unassigned", format!("{} stepped down as Incident commander", cara.name).as_str()));
    let n = timeline(&r.json).len();
    let again = cara.api.send("DELETE", &path, None, &[]);
    assert_eq!(again.status, 200, "{}", again.text);
    assert_eq!(timeline(&again.json).len(), n);

    // Observers cannot assign or unassign, and nothing changes.
    assert_refused(&send(&observer.api, "PUT", &path, json!({"user_id": observer.id})), 403, None);
    assert_refused(&observer.api.send("DELETE", &format!("/api/incidents/{incident}/roles/scribe"), None, &[]), 403, None);
    let d = c.detail(&incident);
    assert_eq!(timeline(&d).len(), n);
    assert!(d["roles"][0]["holder"].is_null());
    assert_eq!(d["roles"][2]["holder"]["user_id"], bob.id.as_str());
    assert_consecutive(&d);
}

fn bad_assignments(c: &Ctx) {
    let bob = c.person("Bob", "responder");
    let gone = c.person("Gus", "responder");
    let r = c.admin().post(&format!("/api/users/{}/deactivate", gone.id), json!({}));
    assert_eq!(r.status, 200, "{}", r.text);
    let observer = c.person("Olga", "observer");
    let invited = c.admin().post("/api/users", json!({"email": format!("{}@example.com", unique("ivy").to_ascii_lowercase()), "name": unique("Ivy"), "role": "responder"}));
    assert_eq!(invited.status, 201, "{}", invited.text);
    let invited = invited.json["user"]["id"].as_str().unwrap().to_string();
    let incident = c.declare(None);
    let before = c.detail(&incident);
    let put = |role: &str, body: Value| send(c.admin(), "PUT", &format!("/api/incidents/{incident}/roles/{role}"), body);
    // Only people who can act on the incident hold a role: not observers (read-only), not
    // someone who never accepted their invitation.
    let r = put("commander", json!({"user_id": observer.id}));
    assert_refused(&r, 409, None);
    assert!(r.text.contains("observer"), "{}", r.text);
    let r = put("communications", json!({"user_id": invited}));
    assert_refused(&r, 409, None);
    assert!(r.text.contains("invitation"), "{}", r.text);
    assert_refused(&put("chef", json!({"user_id": bob.id})), 400, Some("role"));
    assert_refused(&put("commander", json!({"user_id": "no-such-user"})), 400, Some("user_id"));
    assert_refused(&put("commander", json!({})), 400, Some("user_id"));
    assert_refused(&put("commander", json!({"user_id": 7})), 400, Some("user_id"));
    assert_refused(&put("commander", json!({"user_id": gone.id})), 409, None);
    assert_refused(&c.admin().send("DELETE", &format!("/api/incidents/{incident}/roles/chef"), None, &[]), 400, Some("role"));
    assert_refused(&send(c.admin(), "PUT", "/api/incidents/no-such-incident/roles/commander", json!({"user_id": bob.id})), 404, None);
    assert_eq!(c.detail(&incident), before, "a refused assignment changes nothing");
}

fn links(c: &Ctx) {
    let rita = c.person("Rita", "responder");
    let observer = c.person("Otto", "observer");
    let incident = c.declare(None);
    let path = format!("/api/incidents/{incident}/links");
    let url = format!("https://chat.example.com/c/{}", unique("inc"));
    let r = rita.api.post(&path, json!({"kind": "chat", "url": url}));
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json["links"].as_array().unwrap().len(), 1);
    let link = r.json["links"][0].clone();
    assert_eq!((link["kind"].as_str().unwrap(), link["url"].as_str().unwrap(), link["label"].as_str().unwrap()), ("chat", url.as_str(), "Chat channel"));
    assert_eq!(link["added_by"]["name"], rita.name.as_str());
    assert_eq!((last(&r.json)["kind"].as_str().unwrap(), last(&r.json)["message"].as_str().unwrap()), ("link.added", format!("{} added a link: Chat channel ({url})", rita.name).as_str()));
    let rows = timeline(&r.json).len();
    // The same URL again (a retry): nothing new.
    let again = rita.api.post(&path, json!({"kind": "chat", "url": url}));
    assert_eq!(again.status, 200, "{}", again.text);
    assert_eq!((again.json["links"].as_array().unwrap().len(), timeline(&again.json).len()), (1, rows));
    let r = rita.api.post(&path, json!({"kind": "video", "url": "https://meet.example.com/abc-def", "label": "War room"}));
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json["links"][1]["label"], "War room");

    // Bad input names the field and adds nothing.
    for bad in ["javascript:alert(1)", "ftp://files.example.com/x", "chat.example.com", "https://user:pw@example.com/", ""] {
        assert_refused(&rita.api.post(&path, json!({"kind": "other", "url": bad})), 400, Some("url"));
    }
    assert_refused(&rita.api.post(&path, json!({"kind": "fax", "url": "https://x.example.com"})), 400, Some("kind"));
    assert_refused(&rita.api.post(&path, json!({"kind": "other", "url": "https://x.example.com", "label": "l".repeat(101)})), 400, Some("label"));
    assert_refused(&observer.api.post(&path, json!({"kind": "other", "url": "https://x.example.com"})), 403, None);
    let d = c.detail(&incident);
    assert_eq!(d["links"].as_array().unwrap().len(), 2);

    let link_id = d["links"][0]["id"].as_str().unwrap().to_string();
    assert_refused(&observer.api.send("DELETE", &format!("{path}/{link_id}"), None, &[]), 403, None);
    let r = rita.api.send("DELETE", &format!("{path}/{link_id}"), None, &[]);
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["links"].as_array().unwrap().len(), 1);
    assert_eq!((last(&r.json)["kind"].as_str().unwrap(), last(&r.json)["message"].as_str().unwrap()), ("link.removed", format!("{} removed the link Chat channel ({url})", rita.name).as_str()));
    assert_refused(&rita.api.send("DELETE", &format!("{path}/{link_id}"), None, &[]), 404, None);
    assert_consecutive(&c.detail(&incident));
}

fn services(c: &Ctx) {
    let (own, own_name, _) = c.service();
    let (b, b_name, _) = c.service();
    let (x, x_name, _) = c.service();
    let observer = c.person("Otto", "observer");
    let incident = c.declare(Some(&own));
    let path = format!("/api/incidents/{incident}/services");
    let names = |d: &Value| d["services"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap().to_string()).collect::<Vec<_>>();
    assert_eq!(names(&c.detail(&incident)), [own_name.clone()]);

    // Without the own service in the request, it stays first.
    let r = send(c.admin(), "PUT", &path, json!({"service_ids": [x, b, x]}));
    assert_eq!(r.status, 200, "{}", r.text);
    let mut others = vec![b_name.clone(), x_name.clone()];
    others.sort_by_key(|n| n.to_lowercase());
    assert_eq!(names(&r.json), [vec![own_name.clone()], others.clone()].concat());
    let row = last(&r.json);
    assert_eq!(row["kind"], "services.changed");
    let msg = row["message"].as_str().unwrap();
    assert!(msg.starts_with("Ada Admin added affected services: ") && msg.contains(&b_name) && msg.contains(&x_name), "{msg}");
    let rows = timeline(&r.json).len();
    // The same set again changes nothing.
    let again = send(c.admin(), "PUT", &path, json!({"service_ids": [own, b, x]}));
    assert_eq!((again.status, timeline(&again.json).len()), (200, rows));

    // Unknown ids and observers change nothing.
    assert_refused(&send(c.admin(), "PUT", &path, json!({"service_ids": [b, "no-such-service"]})), 400, Some("service_ids"));
    assert_refused(&send(c.admin(), "PUT", &path, json!({"service_ids": "x"})), 400, Some("service_ids"));
    assert_refused(&send(&observer.api, "PUT", &path, json!({"service_ids": []})), 403, None);
    assert_eq!(names(&c.detail(&incident)).len(), 3);

    let r = send(c.admin(), "PUT", &path, json!({"service_ids": [b]}));
    assert_eq!(names(&r.json), [own_name.clone(), b_name.clone()]);
    assert_eq!(last(&r.json)["message"], format!("Ada Admin removed affected services: {x_name}"));
    let r = send(c.admin(), "PUT", &path, json!({"service_ids": [x]}));
    assert_eq!(last(&r.json)["message"], format!("Ada Admin changed the affected services: added {x_name}; removed {b_name}"));
    assert_consecutive(&r.json);
}

fn merge(c: &Ctx) {
    let (service, _, key) = c.service();
    let observer = c.person("Otto", "observer");
    // The service escalates to Bob: level 2 is due five minutes after level 1.
    let bob = c.person("Bob", "responder");
    let level = json!({"targets": [{"type": "user", "id": bob.id}], "delay_minutes": 5});
    let p = c.admin().post("/api/escalation-policies", json!({"name": unique("Policy"), "levels": [level, level]}));
    assert_eq!(p.status, 201, "{}", p.text);
    let r = send(c.admin(), "PUT", &format!("/api/services/{service}/escalation-policy"), json!({"policy_id": p.json["id"]}));
    assert_eq!(r.status, 200, "{}", r.text);
    let moved_key = unique("moved");
    let fired = c.fire(&key, &moved_key);
    let source = fired.json["incident_id"].as_str().unwrap().to_string();
    let escalation = |id: &str| c.admin().get(&format!("/api/incidents/{id}/notifications")).json;
    let due = wait_for("the source's escalation to wait for level 2", Duration::from_secs(15), || {
        escalation(&source)["escalation"]["next_at"].as_str().map(tocsin_tests::rfc3339_ms)
    });
    let paged = escalation(&source)["notifications"].as_array().unwrap().len();
    assert!(paged > 0);
    let note = c.admin().post(&format!("/api/incidents/{source}/notes"), json!({"body": "Restarted the **pods**"}));
    assert_eq!(note.status, 201, "{}", note.text);
    let target = c.declare(None);
    let before_source = c.detail(&source);
    let before_target = c.detail(&target);
    let (sn, tn) = (before_source["incident"]["number"].as_i64().unwrap(), before_target["incident"]["number"].as_i64().unwrap());
    let path = format!("/api/incidents/{source}/merge");

    assert_refused(&observer.api.post(&path, json!({"into": target})), 403, None);
    assert_eq!(c.detail(&source), before_source);

    let r = c.admin().post(&path, json!({"into": target}));
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["incident"]["id"], target.as_str(), "the answer is the target");
    // The alert moved.
    let alerts: Vec<&str> = r.json["alerts"].as_array().unwrap().iter().map(|a| a["dedup_key"].as_str().unwrap()).collect();
    assert_eq!(alerts, [moved_key.as_str()]);
    // The source's record is copied onto the end of the target's, in order, then the merge row.
    let t = timeline(&r.json);
    let old = timeline(&before_target).len();
    let src = timeline(&before_source);
    assert_eq!(t.len(), old + src.len() + 1, "{}", r.text);
    for (copy, orig) in t[old..old + src.len()].iter().zip(&src) {
        assert_eq!(copy["message"], format!("From #{sn}: {}", orig["message"].as_str().unwrap()));
        assert_eq!(copy["kind"], format!("merged.{}", orig["kind"].as_str().unwrap()));
        assert_eq!(copy["actor"], orig["actor"]);
    }
    assert!(t.iter().any(|x| x["message"] == format!("From #{sn}: Restarted the **pods**")));
    assert_eq!(last(&r.json)["kind"], "incident.merged");
    assert!(last(&r.json)["message"].as_str().unwrap().starts_with(&format!("Ada Admin merged #{sn} (")), "{}", last(&r.json));
    assert_consecutive(&r.json);
    assert!(r.json["services"].as_array().unwrap().iter().any(|s| s["id"] == service.as_str()), "the source's service is now affected: {}", r.text);

    // The source resolved pointing at the target, its record says so.
    let s = c.detail(&source);
    assert_eq!(s["incident"]["status"], "resolved");
    assert_eq!(s["incident"]["merged_into"], json!({"id": target, "number": tn}));
    assert_eq!(s["alerts"].as_array().unwrap().len(), 0);
    let st = timeline(&s);
    assert_eq!(st.len(), src.len() + 2);
    assert_eq!((st[src.len()]["kind"].as_str().unwrap(), st[src.len() + 1]["kind"].as_str().unwrap()), ("incident.merged", "incident.resolved"));
    assert_eq!(st[src.len() + 1]["message"], format!("Resolved by Ada Admin: merged into #{tn}"));
    assert_consecutive(&s);
    let listed = c.admin().get(&format!("/api/incidents?status=resolved&service_id={service}"));
    assert!(listed.json["incidents"].as_array().unwrap().iter().any(|i| i["id"] == source.as_str() && i["merged_into"]["number"] == tn), "{}", listed.text);

    // Its escalation stopped: nothing is due, and the moment level 2 was due pages no one.
    assert!(escalation(&source)["escalation"]["next_at"].is_null(), "{}", escalation(&source));
    tocsin_tests::cron(&c.inst.base, due);
    assert_eq!(escalation(&source)["notifications"].as_array().unwrap().len(), paged);

    // A later event with the moved dedup key lands on the target (counted on the moved alert).
    let again = c.fire(&key, &moved_key);
    assert_eq!(again.json["incident_id"], target.as_str(), "{}", again.text);
    let d = c.detail(&target);
    assert_eq!(d["alerts"].as_array().unwrap().len(), 1);
    assert_eq!(d["alerts"][0]["event_count"], 2);
    assert_eq!(c.detail(&source)["alerts"].as_array().unwrap().len(), 0);

    // Merging again is refused.
    assert_refused(&c.admin().post(&path, json!({"into": target})), 409, None);
}

fn bad_merges(c: &Ctx) {
    let a = c.declare(None);
    let b = c.declare(None);
    let before = (c.detail(&a), c.detail(&b));
    let merge = |from: &str, into: Value| c.admin().post(&format!("/api/incidents/{from}/merge"), json!({"into": into}));
    assert_refused(&merge(&a, json!(a)), 400, Some("into"));
    assert_refused(&merge(&a, json!("no-such-incident")), 400, Some("into"));
    assert_refused(&merge(&a, json!(null)), 400, Some("into"));
    assert_refused(&c.admin().post(&format!("/api/incidents/{a}/merge"), json!({})), 400, Some("into"));
    assert_refused(&merge("no-such-incident", json!(b)), 404, None);
    assert_eq!((c.detail(&a), c.detail(&b)), before, "refused merges change nothing");

    // Into a resolved incident, or one merged elsewhere: 409.
    let resolved = c.declare(None);
    assert_eq!(c.admin().post(&format!("/api/incidents/{resolved}/resolve"), json!({})).status, 200);
    assert_refused(&merge(&a, json!(resolved)), 409, None);
    let merged = c.declare(None);
    assert_eq!(merge(&merged, json!(b)).status, 200);
    assert_refused(&merge(&a, json!(merged)), 409, None);
    // A resolved source cannot be merged either.
    assert_refused(&merge(&resolved, json!(b)), 409, None);
    assert_eq!(c.detail(&a), before.0);
}

fn highlights(c: &Ctx) {
    let rita = c.person("Rita", "responder");
    let observer = c.person("Otto", "observer");
    let incident = c.declare(None);
    let note = rita.api.post(&format!("/api/incidents/{incident}/notes"), json!({"body": "Rolled back\nthe deploy of checkout v42"}));
    let seq = note.json["seq"].as_i64().unwrap();
    let path = format!("/api/incidents/{incident}/highlights/{seq}");

    let r = send(&rita.api, "PUT", &path, json!({}));
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["highlights"], json!([seq]));
    assert_eq!((last(&r.json)["kind"].as_str().unwrap(), last(&r.json)["message"].as_str().unwrap()), ("highlight.added", format!("{} highlighted #{seq}: “Rolled back the deploy of checkout v42”", rita.name).as_str()));
    let rows = timeline(&r.json).len();
    let again = send(&rita.api, "PUT", &path, json!({}));
    assert_eq!((again.status, timeline(&again.json).len()), (200, rows));

    assert_refused(&send(&observer.api, "PUT", &format!("/api/incidents/{incident}/highlights/1"), json!({})), 403, None);
    assert_refused(&observer.api.send("DELETE", &path, None, &[]), 403, None);
    assert_refused(&send(&rita.api, "PUT", &format!("/api/incidents/{incident}/highlights/999"), json!({})), 404, None);
    assert_refused(&send(&rita.api, "PUT", &format!("/api/incidents/{incident}/highlights/abc"), json!({})), 404, None);
    assert_eq!(c.detail(&incident)["highlights"], json!([seq]));

    let r = rita.api.send("DELETE", &path, None, &[]);
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["highlights"], json!([]));
    assert_eq!(last(&r.json)["kind"], "highlight.removed");
    let rows = timeline(&r.json).len();
    let again = rita.api.send("DELETE", &path, None, &[]);
    assert_eq!((again.status, timeline(&again.json).len()), (200, rows));
    assert_consecutive(&again.json);
}

fn notes(c: &Ctx) {
    let incident = c.declare(None);
    let path = format!("/api/incidents/{incident}/notes");
    let fits = "n".repeat(16 * 1024);
    let r = c.admin().post(&path, json!({"body": fits}));
    assert_eq!(r.status, 201, "{}", &r.text[..200.min(r.text.len())]);
    assert_eq!(r.json["message"].as_str().map(str::len), Some(16 * 1024));
    let rows = timeline(&c.detail(&incident)).len();
    for over in ["n".repeat(16 * 1024 + 1), "é".repeat(8 * 1024 + 1), "n".repeat(70 * 1024)] {
        let r = c.admin().post(&path, json!({"body": over}));
        assert_refused(&r, 413, Some("body"));
        assert_eq!(r.code(), "payload_too_large");
    }
    assert_refused(&c.admin().post(&path, json!({"body": "  "})), 400, Some("body"));
    assert_eq!(timeline(&c.detail(&incident)).len(), rows, "refused notes add nothing");
}

fn merge_public_and_requests(c: &Ctx) {
    let ana = c.person("Ana", "responder");
    let publish = |incident: &str, message: &str| {
        let r = c.admin().post(&format!("/api/incidents/{incident}/updates"), json!({"status": "investigating", "message": message, "publish": true}));
        assert_eq!(r.status, 201, "{}", r.text);
        r.json["public_incident_id"].as_str().expect("published").to_string()
    };
    let unresolved = |public: &str| {
        let r = Api::new(&c.inst.base).get("/api/v2/incidents/unresolved.json");
        assert_eq!(r.status, 200, "{}", r.text);
        r.json["incidents"].as_array().unwrap().iter().any(|i| i["id"] == public)
    };

    // The source is on the public page and waits for Ana's answer; the target is internal only.
    let (source, target) = (c.declare(None), c.declare(None));
    let public = publish(&source, "Payments are slow.");
    let r = c.admin().post(&format!("/api/incidents/{source}/responders"), json!({"user_ids": [ana.id]}));
    assert_eq!(r.status, 200, "{}", r.text);
    let asked = |incident: &str| {
        let r = c.admin().get(&format!("/api/incidents/{incident}/responders"));
        assert_eq!(r.status, 200, "{}", r.text);
        r.json["responders"].as_array().unwrap().iter().find(|x| x["user"]["id"] == ana.id.as_str()).cloned().unwrap()
    };
    let requested_at = tocsin_tests::rfc3339_ms(asked(&source)["requested_at"].as_str().unwrap());
    let r = c.admin().post(&format!("/api/incidents/{source}/merge"), json!({"into": target}));
    assert_eq!(r.status, 200, "{}", r.text);
    // The public incident now follows the target: its next published update continues it.
    assert_eq!(publish(&target, "We found the cause."), public, "the source's public incident moved to the target");
    assert!(unresolved(&public));
    // Nobody is marked "no answer" on the resolved source.
    tocsin_tests::cron(&c.inst.base, requested_at + 10 * 60_000);
    assert_eq!(asked(&source)["state"], "requested", "{}", asked(&source));
    assert!(!timeline(&c.detail(&source)).iter().any(|t| t["kind"] == "responder.no_answer"), "{}", c.detail(&source));

    // When the target has its own public incident, the source's is left as it was (still
    // linked to the source, not resolved: the page's editors decide), and the target keeps its own.
    let (source, target) = (c.declare(None), c.declare(None));
    let (theirs, ours) = (publish(&source, "Logins fail."), publish(&target, "Checkout fails."));
    let r = c.admin().post(&format!("/api/incidents/{source}/merge"), json!({"into": target}));
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(publish(&target, "Still on it."), ours);
    assert!(unresolved(&theirs) && unresolved(&ours));
}

fn concurrent_services(c: &Ctx) {
    let (b, _, _) = c.service();
    let (x, _, _) = c.service();
    // Rounds of identical PUTs sent at once: the first changes the set, the others find it
    // changed and write nothing.
    for _ in 0..3 {
        let incident = c.declare(None);
        let path = format!("/api/incidents/{incident}/services");
        let barrier = std::sync::Barrier::new(6);
        std::thread::scope(|s| {
            let sent: Vec<_> = (0..6)
                .map(|_| {
                    s.spawn(|| {
                        barrier.wait();
                        send(c.admin(), "PUT", &path, json!({"service_ids": [b, x]}))
                    })
                })
                .collect();
            for h in sent {
                let r = h.join().unwrap();
                assert_eq!(r.status, 200, "{}", r.text);
                assert_eq!(r.json["services"].as_array().unwrap().len(), 2, "{}", r.text);
            }
        });
        let d = c.detail(&incident);
        assert_eq!(timeline(&d).iter().filter(|t| t["kind"] == "services.changed").count(), 1, "{d}");
        assert_eq!(d["services"].as_array().unwrap().len(), 2);
        assert_consecutive(&d);
    }
}
