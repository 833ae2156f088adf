//! Runbook checklists and structured status updates, end to end against wrangler dev: a
//! service's template is copied into each new incident (declared by hand and opened by an alert)
//! in the batch that opens it, and later template edits leave running incidents alone; ticking,
//! unticking and ad hoc steps record who and when with their timeline rows (a double tick is a
//! no-op); a status update reaches a webhook destination as `incident.status_update` (a real
//! HTTP receiver), `publish` shows only the update's words on the public Statuspage v2 JSON and
//! keeps the link for the next one; an overdue next update reminds the communications lead once,
//! by push, with the cron driven to exactly the promised instant.
//!
//! Each test makes its own people, services, incidents, destinations and receiver paths.

use serde_json::{json, Value};
use std::sync::OnceLock;
use std::time::Duration;
use tocsin_domain::api::checklists::{ChecklistTemplate, TemplateStep};
use tocsin_domain::checklist;
use tocsin_tests::receiver::{Receiver, TestSubscription};
use tocsin_tests::http::Person;
use tocsin_tests::{rfc3339_ms, unique, wait_for, Api, Instance, Reply};

const WAIT: Duration = Duration::from_secs(15);

struct Ctx {
    inst: Instance,
    rx: Receiver,
    admin: OnceLock<Api>,
}


impl Ctx {
    fn admin(&self) -> &Api {
        self.admin.get_or_init(|| Api::setup(&self.inst.base, "Acme", "admin@checklists.example.com", "checklists password", "Admin"))
    }

    fn person(&self, first: &str, role: &str) -> Person {
        Person::add(self.admin(), &self.inst.base, first, role)
    }

    /// A new service: (id, integration key).
    fn service(&self) -> (String, String) {
        let r = self.admin().post("/api/services", json!({"name": unique("Service"), "runbook_url": "https://runbooks.example.com/checkout"}));
        assert_eq!(r.status, 201, "{}", r.text);
        (r.json["id"].as_str().unwrap().to_string(), r.json["integration_key"].as_str().unwrap().to_string())
    }

    fn put_template(&self, service: &str, texts: &[&str]) -> Reply {
        let body = json!({"steps": texts.iter().map(|t| json!({"text": t})).collect::<Vec<_>>()});
        self.admin().send("PUT", &format!("/api/services/{service}/checklist"), Some(body.to_string().into_bytes()), &[])
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

    /// The incident's timeline rows of `kind`.
    fn rows_of(&self, incident: &str, kind: &str) -> Vec<Value> {
        self.detail(incident)["timeline"].as_array().unwrap().iter().filter(|t| t["kind"] == kind).cloned().collect()
    }

    fn cron(&self, at_ms: i64) {
        tocsin_tests::cron(&self.inst.base, at_ms);
    }
}

fn texts(steps: &Value) -> Vec<String> {
    steps.as_array().unwrap_or_else(|| panic!("not a list: {steps}")).iter().map(|s| s["text"].as_str().unwrap().to_string()).collect()
}

fn main() {
    let ctx = Ctx { inst: Instance::start("checklists"), rx: Receiver::start(), admin: OnceLock::new() };
    let tests: &[(&str, fn(&Ctx))] = &[
        ("a_services_template_is_copied_into_each_new_incident", template_copied),
        ("bad_templates_are_refused_naming_the_step", bad_templates),
        ("ticks_and_ad_hoc_steps_record_who_and_when_on_the_timeline", ticks),
        ("a_status_update_reaches_webhook_destinations", update_webhook),
        ("bad_status_updates_are_refused_naming_the_field", bad_updates),
        ("publishing_shows_only_the_update_on_the_public_page", publish),
        ("an_overdue_update_reminds_the_communications_lead_once", overdue),
        ("an_incidents_checklist_holds_at_most_200_steps", checklist_cap),
    ];
    tocsin_tests::run_suite(ctx, tests, |c| eprintln!("--- wrangler log ---\n{}", c.inst.log()))
}

fn template_copied(c: &Ctx) {
    let (service, key) = c.service();
    let first = ["Check the **checkout** dashboard", "Roll back the last deploy", "Tell #payments"];
    let r = c.put_template(&service, &first);
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(texts(&r.json["steps"]), first);
    let observer = c.person("Olga", "observer");
    let read = observer.api.get(&format!("/api/services/{service}/checklist"));
    assert_eq!(read.status, 200, "members read the template: {}", read.text);
    assert_eq!(texts(&read.json["steps"]), first);
    // The service keeps its runbook URL.
    assert_eq!(c.admin().get(&format!("/api/services/{service}")).json["runbook_url"], "https://runbooks.example.com/checkout");

    // Declared by hand, and opened by an alert: each gets its own copy, as the domain's rule says.
    let declared = c.declare(Some(&service));
    let r = Api::new(&c.inst.base).post(&format!("/webhooks/generic/{key}"), json!({"summary": "Checkout errors", "severity": "warning", "dedup_key": unique("k")}));
    assert_eq!(r.status, 202, "{}", r.text);
    let alerted = r.json["incident_id"].as_str().unwrap().to_string();
    let template = ChecklistTemplate { steps: first.iter().map(|t| TemplateStep { text: t.to_string() }).collect() };
    for incident in [&declared, &alerted] {
        let steps = c.detail(incident)["checklist"].clone();
        let expected = checklist::instantiate(incident, &template);
        let got: Vec<(String, i64, String)> = steps
            .as_array()
            .unwrap()
            .iter()
            .map(|s| (s["id"].as_str().unwrap().to_string(), s["position"].as_i64().unwrap(), s["text"].as_str().unwrap().to_string()))
            .collect();
        assert_eq!(got, expected.iter().map(|s| (s.id.clone(), s.position, s.text.clone())).collect::<Vec<_>>(), "{steps}");
        for s in steps.as_array().unwrap() {
            assert_eq!(s["ad_hoc"], false);
            assert!(s.get("done_at").is_none() && s.get("added_by").is_none(), "{s}");
        }
        let own = observer.api.get(&format!("/api/incidents/{incident}/checklist"));
        assert_eq!(own.status, 200, "{}", own.text);
        assert_eq!(own.json["steps"], steps);
    }
    // The copies are independent of each other.
    let d: Vec<Value> = c.detail(&declared)["checklist"].as_array().unwrap().clone();
    let a: Vec<Value> = c.detail(&alerted)["checklist"].as_array().unwrap().clone();
    assert!(d.iter().all(|x| a.iter().all(|y| x["id"] != y["id"])));

    // A later edit of the template leaves running incidents alone; the next incident gets it.
    let second = ["Only this now"];
    assert_eq!(c.put_template(&service, &second).status, 200);
    assert_eq!(texts(&c.detail(&declared)["checklist"]), first);
    assert_eq!(texts(&c.detail(&alerted)["checklist"]), first);
    assert_eq!(texts(&c.detail(&c.declare(Some(&service)))["checklist"]), second);
    // No service, no checklist; an empty template clears it.
    assert_eq!(c.detail(&c.declare(None))["checklist"], json!([]));
    assert_eq!(c.put_template(&service, &[]).json["steps"], json!([]));
    assert_eq!(c.detail(&c.declare(Some(&service)))["checklist"], json!([]));
}

fn bad_templates(c: &Ctx) {
    let (service, _) = c.service();
    assert_eq!(c.put_template(&service, &["Keep me"]).status, 200);
    let long = "x".repeat(2001);
    for (steps, field) in [
        (vec!["a", "b", "c", "   "], "steps[3].text"),
        (vec!["a", long.as_str()], "steps[1].text"),
        ((0..51).map(|_| "step").collect::<Vec<_>>(), "steps"),
    ] {
        let r = c.put_template(&service, &steps);
        assert_eq!((r.status, r.field()), (400, field), "{}", r.text);
    }
    let r = c.admin().send("PUT", &format!("/api/services/{service}/checklist"), Some(br#"{"steps":[{"txt":"typo"}]}"#.to_vec()), &[]);
    assert_eq!(r.status, 400, "{}", r.text);
    assert!(r.field().starts_with("steps[0]"), "{}", r.text);
    // Exactly at the limits is fine.
    let fifty: Vec<String> = (0..50).map(|i| format!("step {i}")).collect();
    let at_limit = "é".repeat(2000);
    let mut refs: Vec<&str> = fifty.iter().map(String::as_str).collect();
    refs[0] = &at_limit;
    let ok = c.put_template(&service, &refs);
    assert_eq!(ok.status, 200, "{}", ok.text);
    assert_eq!(ok.json["steps"].as_array().unwrap().len(), 50);
    assert_eq!(c.put_template(&service, &["Keep me"]).status, 200);
    // Responders and observers may not change it; nothing changed.
    for role in ["responder", "observer"] {
        let p = c.person("Pia", role);
        let r = p.api.send("PUT", &format!("/api/services/{service}/checklist"), Some(json!({"steps": [{"text": "mine"}]}).to_string().into_bytes()), &[]);
        assert_eq!(r.status, 403, "{role}: {}", r.text);
    }
    assert_eq!(texts(&c.admin().get(&format!("/api/services/{service}/checklist")).json["steps"]), ["Keep me"]);
    assert_eq!(c.put_template("no-such-service", &["x"]).status, 404);
    // The change is audited.
    let audit = c.admin().get(&format!("/api/audit?action=service.checklist_updated&target={service}"));
    assert_eq!(audit.status, 200, "{}", audit.text);
    assert!(!audit.json["events"].as_array().unwrap().is_empty(), "{}", audit.text);
}

fn ticks(c: &Ctx) {
    let (service, _) = c.service();
    assert_eq!(c.put_template(&service, &["One", "Two", "Three"]).status, 200);
    let incident = c.declare(Some(&service));
    let rex = c.person("Rex", "responder");
    let steps = c.detail(&incident)["checklist"].clone();
    let two = steps[1]["id"].as_str().unwrap().to_string();
    let tick = |who: &Api, step: &str, what: &str| who.post(&format!("/api/incidents/{incident}/checklist/{step}/{what}"), json!({}));

    let r = tick(&rex.api, &two, "tick");
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["done_by"], json!({"id": rex.id, "name": rex.name}));
    let done_at = r.json["done_at"].as_str().expect("done_at").to_string();
    let ticked = c.rows_of(&incident, "checklist.ticked");
    assert_eq!(ticked.len(), 1, "{ticked:?}");
    assert_eq!(ticked[0]["actor"]["id"], rex.id.as_str());
    assert_eq!(rfc3339_ms(ticked[0]["at"].as_str().unwrap()), rfc3339_ms(&done_at), "the row is written with the tick");
    assert!(ticked[0]["message"].as_str().unwrap().contains("Two"), "{}", ticked[0]);
    // Ticking a ticked step (anyone) changes nothing and writes no row.
    let again = tick(c.admin(), &two, "tick");
    assert_eq!(again.status, 200, "{}", again.text);
    assert_eq!((again.json["done_at"].as_str(), &again.json["done_by"]["id"]), (Some(done_at.as_str()), &json!(rex.id)));
    assert_eq!(c.rows_of(&incident, "checklist.ticked").len(), 1);
    // The others stay open.
    let now = c.detail(&incident)["checklist"].clone();
    assert!(now[0].get("done_at").is_none() && now[2].get("done_at").is_none(), "{now}");

    // Untick, twice.
    let r = tick(c.admin(), &two, "untick");
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.json.get("done_at").is_none() && r.json.get("done_by").is_none(), "{}", r.text);
    assert_eq!(c.rows_of(&incident, "checklist.unticked").len(), 1);
    assert_eq!(tick(c.admin(), &two, "untick").status, 200);
    assert_eq!(c.rows_of(&incident, "checklist.unticked").len(), 1, "unticking an open step writes no row");

    // An ad hoc step goes at the end, by whoever added it.
    let r = rex.api.post(&format!("/api/incidents/{incident}/checklist"), json!({"text": "  Drain the **EU** queue  "}));
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!((r.json["position"].as_i64(), r.json["ad_hoc"].as_bool(), r.json["text"].as_str()), (Some(4), Some(true), Some("Drain the **EU** queue")));
    assert_eq!(r.json["added_by"], json!({"id": rex.id, "name": rex.name}));
    assert_eq!(r.json["id"], checklist::step_id(&incident, 4));
    let added = c.rows_of(&incident, "checklist.added");
    assert_eq!(added.len(), 1);
    assert!(added[0]["message"].as_str().unwrap().contains("Drain the **EU** queue"));
    assert_eq!(texts(&c.detail(&incident)["checklist"]), ["One", "Two", "Three", "Drain the **EU** queue"]);
    // The rows are part of the sequence-numbered record.
    let seqs: Vec<i64> = c.detail(&incident)["timeline"].as_array().unwrap().iter().map(|t| t["seq"].as_i64().unwrap()).collect();
    assert_eq!(seqs, (1..=seqs.len() as i64).collect::<Vec<_>>());

    // An incident without a template takes ad hoc steps too.
    let bare = c.declare(None);
    let r = rex.api.post(&format!("/api/incidents/{bare}/checklist"), json!({"text": "First thing"}));
    assert_eq!((r.status, r.json["position"].as_i64()), (201, Some(1)), "{}", r.text);

    // Refusals: bad text, observers, unknown step or incident; nothing changed.
    for body in [json!({"text": "  "}), json!({"text": "y".repeat(2001)}), json!({})] {
        let r = rex.api.post(&format!("/api/incidents/{incident}/checklist"), body);
        assert_eq!((r.status, r.field()), (400, "text"), "{}", r.text);
    }
    let olga = c.person("Olga", "observer");
    assert_eq!(olga.api.post(&format!("/api/incidents/{incident}/checklist"), json!({"text": "no"})).status, 403);
    assert_eq!(tick(&olga.api, &two, "tick").status, 403);
    assert_eq!(tick(&rex.api, "nope", "tick").status, 404);
    assert_eq!(rex.api.post("/api/incidents/nope/checklist", json!({"text": "x"})).status, 404);
    // A step of another incident is not found through this one.
    let other = c.declare(Some(&service));
    let foreign = c.detail(&other)["checklist"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(tick(&rex.api, &foreign, "tick").status, 404);
    assert_eq!(c.detail(&incident)["checklist"].as_array().unwrap().len(), 4);
    assert!(c.detail(&incident)["checklist"].as_array().unwrap().iter().all(|s| s.get("done_at").is_none()));
}

/// A generic destination for `events` at a fresh receiver path: (destination id, path).
fn destination(c: &Ctx, events: Value) -> (String, String) {
    let path = format!("/hooks/{}", unique("updates"));
    let r = c.admin().post("/api/webhook-destinations", json!({"name": unique("Ticketing"), "kind": "generic", "url": c.rx.url(&path), "events": events}));
    assert_eq!(r.status, 201, "{}", r.text);
    (r.json["destination"]["id"].as_str().unwrap().to_string(), path)
}

fn about<'a>(got: &'a [tocsin_tests::receiver::Received], incident: &str) -> Vec<&'a tocsin_tests::receiver::Received> {
    got.iter().filter(|r| r.json()["incident"]["id"] == incident).collect()
}

fn update_webhook(c: &Ctx) {
    let (dest, path) = destination(c, json!(["incident.status_update"]));
    let incident = c.declare(None);
    let rex = c.person("Rex", "responder");
    let r = rex.api.post(
        &format!("/api/incidents/{incident}/updates"),
        json!({"status": "identified", "message": "A bad deploy of *checkout*; rolling back.", "next_update_minutes": 30}),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    let posted_at = rfc3339_ms(r.json["posted_at"].as_str().unwrap());
    assert_eq!(rfc3339_ms(r.json["next_update_at"].as_str().unwrap()), posted_at + 30 * 60_000);
    assert_eq!(r.json["posted_by"], json!({"id": rex.id, "name": rex.name}));
    assert!(r.json.get("public_incident_id").is_none(), "not published: {}", r.text);
    let update_id = r.json["id"].as_str().unwrap().to_string();

    // On the incident: in its updates and as a timeline row.
    let d = c.detail(&incident);
    assert_eq!(d["updates"][0]["id"], update_id.as_str());
    let listed = rex.api.get(&format!("/api/incidents/{incident}/updates"));
    assert_eq!(listed.json["updates"], d["updates"]);
    let rows = c.rows_of(&incident, "status_update.posted");
    assert_eq!(rows.len(), 1);
    assert!(rows[0]["message"].as_str().unwrap().contains("A bad deploy of *checkout*; rolling back."), "{}", rows[0]);
    // The incident itself is untouched by the update's state.
    assert_eq!(d["incident"]["status"], "triggered");

    // The destination gets the event, with the update's state and words.
    let got = wait_for("the status update event", WAIT, || {
        let got = c.rx.received(&path);
        (!about(&got, &incident).is_empty()).then_some(got)
    });
    let mine = about(&got, &incident);
    assert_eq!(mine.len(), 1);
    let body = mine[0].json();
    assert_eq!(mine[0].header("tocsin-event"), Some("incident.status_update"));
    assert_eq!(body["type"], "incident.status_update");
    assert_eq!(body["status_update"]["status"], "identified");
    assert_eq!(body["status_update"]["body"], "A bad deploy of *checkout*; rolling back.");
    assert_eq!(body["actor"], rex.name.as_str());

    // A second update, newest first; `resolved` does not resolve the incident.
    let r = rex.api.post(&format!("/api/incidents/{incident}/updates"), json!({"status": "resolved", "message": "Rolled back; errors are gone."}));
    assert_eq!(r.status, 201, "{}", r.text);
    let d = c.detail(&incident);
    assert_eq!(d["updates"].as_array().unwrap().len(), 2);
    assert_eq!(d["updates"][0]["status"], "resolved");
    assert_eq!(d["incident"]["status"], "triggered", "posting resolved announces; it does not resolve");
    wait_for("the second event", WAIT, || (about(&c.rx.received(&path), &incident).len() == 2).then_some(()));
    let r = c.admin().send("DELETE", &format!("/api/webhook-destinations/{dest}"), None, &[]);
    assert_eq!(r.status, 204, "{}", r.text);
}

fn bad_updates(c: &Ctx) {
    let incident = c.declare(None);
    let rex = c.person("Rex", "responder");
    let post = |body: Value| rex.api.post(&format!("/api/incidents/{incident}/updates"), body);
    for (body, field) in [
        (json!({"status": "fixed", "message": "x"}), "status"),
        (json!({"message": "x"}), "status"),
        (json!({"status": "monitoring", "message": "   "}), "message"),
        (json!({"status": "monitoring", "message": "z".repeat(4001)}), "message"),
        (json!({"status": "monitoring", "message": "x", "next_update_minutes": 0}), "next_update_minutes"),
        (json!({"status": "monitoring", "message": "x", "next_update_minutes": 1441}), "next_update_minutes"),
        (json!({"status": "monitoring", "message": "x", "next_update_minutes": "soon"}), "next_update_minutes"),
        (json!({"status": "monitoring", "message": "x", "publish": "yes"}), "publish"),
    ] {
        let r = post(body.clone());
        assert_eq!((r.status, r.field()), (400, field), "{body}: {}", r.text);
    }
    let olga = c.person("Olga", "observer");
    let r = olga.api.post(&format!("/api/incidents/{incident}/updates"), json!({"status": "monitoring", "message": "x"}));
    assert_eq!(r.status, 403, "{}", r.text);
    assert_eq!(olga.api.get(&format!("/api/incidents/{incident}/updates")).status, 200, "observers read them");
    assert_eq!(rex.api.post("/api/incidents/nope/updates", json!({"status": "monitoring", "message": "x"})).status, 404);
    // Nothing was posted.
    let d = c.detail(&incident);
    assert_eq!(d["updates"], json!([]));
    assert!(c.rows_of(&incident, "status_update.posted").is_empty());
    // The limits themselves are fine.
    assert_eq!(post(json!({"status": "monitoring", "message": "z".repeat(4000), "next_update_minutes": 1440})).status, 201);
    assert_eq!(post(json!({"status": "monitoring", "message": "ok", "next_update_minutes": 1})).status, 201);
}

fn public_incident(c: &Ctx, doc: &str, id: &str) -> Option<Value> {
    let r = Api::new(&c.inst.base).get(doc);
    assert_eq!(r.status, 200, "{}", r.text);
    r.json["incidents"].as_array().unwrap().iter().find(|i| i["id"] == id).cloned()
}

fn publish(c: &Ctx) {
    let secret_title = unique("Private: pg-7 credentials leaked");
    let r = c.admin().post("/api/incidents", json!({"title": secret_title, "severity": "SEV2"}));
    assert_eq!(r.status, 201, "{}", r.text);
    let incident = r.json["incident"]["id"].as_str().unwrap().to_string();
    let note = unique("internal note about pg-7");
    assert_eq!(c.admin().post(&format!("/api/incidents/{incident}/notes"), json!({"body": note})).status, 201);

    let message = "## Checkout is slow\nSome payments take longer than usual. We are investigating.";
    let r = c.admin().post(&format!("/api/incidents/{incident}/updates"), json!({"status": "investigating", "message": message, "publish": true}));
    assert_eq!(r.status, 201, "{}", r.text);
    let public = r.json["public_incident_id"].as_str().expect("published").to_string();

    let doc = Api::new(&c.inst.base).get("/api/v2/incidents.json");
    assert!(!doc.text.contains(&secret_title) && !doc.text.contains(&note), "nothing private on the page");
    let p = public_incident(c, "/api/v2/incidents.json", &public).expect("the public incident is listed");
    assert_eq!(p["name"], "Checkout is slow", "named after the update's own first line");
    assert_eq!(p["status"], "investigating");
    assert_eq!(p["impact"], "major", "from SEV2");
    assert_eq!(p["incident_updates"].as_array().unwrap().len(), 1);
    assert_eq!(p["incident_updates"][0]["body"], message);
    assert_eq!(p["incident_updates"][0]["status"], "investigating");
    assert!(public_incident(c, "/api/v2/incidents/unresolved.json", &public).is_some());
    // The status page's editors see it linked to the internal incident.
    let admin_view = c.admin().get("/api/status");
    assert!(admin_view.json["incidents"].as_array().unwrap().iter().any(|i| i["id"] == public.as_str()), "{}", admin_view.text);

    // An internal-only update does not go public.
    let r = c.admin().post(&format!("/api/incidents/{incident}/updates"), json!({"status": "identified", "message": "pg-7 replica lag, internal only"}));
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(public_incident(c, "/api/v2/incidents.json", &public).unwrap()["incident_updates"].as_array().unwrap().len(), 1);
    assert!(!Api::new(&c.inst.base).get("/api/v2/incidents.json").text.contains("internal only"));

    // The next published update goes to the same public incident (the link is kept).
    let r = c.admin().post(&format!("/api/incidents/{incident}/updates"), json!({"status": "resolved", "message": "Payments are back to normal.", "publish": true}));
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json["public_incident_id"], public.as_str());
    let p = public_incident(c, "/api/v2/incidents.json", &public).unwrap();
    assert_eq!(p["status"], "resolved");
    assert_eq!(p["name"], "Checkout is slow", "the name stays");
    assert_eq!(p["incident_updates"].as_array().unwrap().len(), 2);
    assert_eq!(p["incident_updates"][0]["body"], "Payments are back to normal.");
    assert!(public_incident(c, "/api/v2/incidents/unresolved.json", &public).is_none(), "resolved on the page");
    assert_eq!(c.detail(&incident)["incident"]["status"], "triggered", "the internal incident is resolved by responders");
    let rows = c.rows_of(&incident, "status_update.posted");
    assert_eq!(rows.len(), 3);
    assert!(rows[2]["message"].as_str().unwrap().contains("public status page"), "{}", rows[2]);
}

fn overdue(c: &Ctx) {
    let cleo = c.person("Cleo", "responder");
    let dana = c.person("Dana", "responder");
    let subscribe = |p: &Person| {
        let s = TestSubscription::new(&c.rx, &p.name.to_ascii_lowercase());
        let r = p.api.post("/api/push/subscriptions", s.json("Phone"));
        assert_eq!(r.status, 201, "{}", r.text);
        s
    };
    let (cleo_phone, dana_phone) = (subscribe(&cleo), subscribe(&dana));
    let incident = c.declare(None);
    // Dana is the communications lead; Cleo posts.
    let r = c.admin().send("PUT", &format!("/api/incidents/{incident}/roles/communications"), Some(json!({"user_id": dana.id}).to_string().into_bytes()), &[]);
    assert!(r.status < 300, "{}", r.text);
    let r = cleo.api.post(&format!("/api/incidents/{incident}/updates"), json!({"status": "investigating", "message": "Looking", "next_update_minutes": 5}));
    assert_eq!(r.status, 201, "{}", r.text);
    let due = rfc3339_ms(r.json["next_update_at"].as_str().unwrap());

    c.cron(due - 1);
    assert!(c.rows_of(&incident, "status_update.overdue").is_empty(), "not yet");
    assert!(c.detail(&incident)["updates"][0].get("reminded_at").is_none());
    c.cron(due);
    let rows = c.rows_of(&incident, "status_update.overdue");
    assert_eq!(rows.len(), 1, "reminded at the promised instant");
    assert!(rows[0]["message"].as_str().unwrap().contains(&dana.name), "{}", rows[0]);
    assert_eq!(rfc3339_ms(c.detail(&incident)["updates"][0]["reminded_at"].as_str().unwrap()), due);
    let got = c.rx.wait_for(&dana_phone.path, 1, WAIT);
    let push = dana_phone.decrypt(&got[0]);
    assert_eq!(push["type"], "update_due");
    assert_eq!(push["url"], format!("/incidents/{incident}"));
    assert!(push.get("token").is_none(), "a reminder carries no action token: {push}");
    // Never twice, and not to the poster.
    c.cron(due + 60_000);
    c.cron(due + 600_000);
    assert_eq!(c.rows_of(&incident, "status_update.overdue").len(), 1);
    assert_eq!(c.rx.received(&dana_phone.path).len(), 1);
    assert!(c.rx.received(&cleo_phone.path).is_empty(), "the lead is reminded, not the poster");

    // Only the latest update counts: a newer one (without a promise) cancels the reminder; and
    // without a lead, the poster is reminded.
    let other = c.declare(None);
    let r = cleo.api.post(&format!("/api/incidents/{other}/updates"), json!({"status": "identified", "message": "Found it", "next_update_minutes": 10}));
    let first_due = rfc3339_ms(r.json["next_update_at"].as_str().unwrap());
    let r = cleo.api.post(&format!("/api/incidents/{other}/updates"), json!({"status": "monitoring", "message": "Fixed, watching"}));
    assert_eq!(r.status, 201, "{}", r.text);
    c.cron(first_due);
    assert!(c.rows_of(&other, "status_update.overdue").is_empty(), "a newer update was posted");
    let r = cleo.api.post(&format!("/api/incidents/{other}/updates"), json!({"status": "monitoring", "message": "Still watching", "next_update_minutes": 1}));
    let due = rfc3339_ms(r.json["next_update_at"].as_str().unwrap());
    c.cron(due);
    let rows = c.rows_of(&other, "status_update.overdue");
    assert_eq!(rows.len(), 1);
    assert!(rows[0]["message"].as_str().unwrap().contains(&cleo.name), "{}", rows[0]);
    let got = c.rx.wait_for(&cleo_phone.path, 1, WAIT);
    assert_eq!(cleo_phone.decrypt(&got[0])["incident_id"], other.as_str());
    // A resolved incident is not chased.
    let third = c.declare(None);
    let r = cleo.api.post(&format!("/api/incidents/{third}/updates"), json!({"status": "resolved", "message": "Done", "next_update_minutes": 1}));
    let due = rfc3339_ms(r.json["next_update_at"].as_str().unwrap());
    assert_eq!(c.admin().post(&format!("/api/incidents/{third}/resolve"), json!({})).status, 200);
    c.cron(due);
    assert!(c.rows_of(&third, "status_update.overdue").is_empty());

    // A lead who has since become an observer (read-only) is not chased: the poster is.
    let olga = c.person("Olga", "responder");
    let fourth = c.declare(None);
    let r = c.admin().send("PUT", &format!("/api/incidents/{fourth}/roles/communications"), Some(json!({"user_id": olga.id}).to_string().into_bytes()), &[]);
    assert!(r.status < 300, "{}", r.text);
    let r = c.admin().patch(&format!("/api/users/{}", olga.id), json!({"role": "observer"}));
    assert_eq!(r.status, 200, "{}", r.text);
    let r = cleo.api.post(&format!("/api/incidents/{fourth}/updates"), json!({"status": "identified", "message": "Found it", "next_update_minutes": 1}));
    let due = rfc3339_ms(r.json["next_update_at"].as_str().unwrap());
    c.cron(due);
    let rows = c.rows_of(&fourth, "status_update.overdue");
    assert_eq!(rows.len(), 1);
    assert!(rows[0]["message"].as_str().unwrap().contains(&cleo.name) && !rows[0]["message"].as_str().unwrap().contains(&olga.name), "{}", rows[0]);
}

fn checklist_cap(c: &Ctx) {
    let incident = c.declare(None);
    let path = format!("/api/incidents/{incident}/checklist");
    for i in 1..=200 {
        let r = c.admin().post(&path, json!({"text": format!("Step {i}")}));
        assert_eq!(r.status, 201, "{}", r.text);
    }
    let rows = c.rows_of(&incident, "checklist.added").len();
    let r = c.admin().post(&path, json!({"text": "One too many"}));
    assert_eq!(r.status, 409, "{}", r.text);
    assert!(r.text.contains("200"), "the error names the limit: {}", r.text);
    let steps = c.admin().get(&path);
    assert_eq!(steps.json["steps"].as_array().unwrap().len(), 200);
    assert_eq!(c.rows_of(&incident, "checklist.added").len(), rows, "a refused step writes no row");
}
