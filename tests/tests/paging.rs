//! Paging end to end against wrangler dev: a local push service on 127.0.0.1 receives Web Push
//! requests, which the test decrypts with the subscription's private key (RFC 8291) and whose
//! VAPID header it verifies (RFC 8292); the payload's action token acknowledges the incident
//! without a session; 404/410 remove a subscription; 429, 5xx and no answer in time are retried
//! with backoff (a longer `Retry-After` honoured) and bounded; repeats until acknowledged, one
//! chain per person; a webhook receiver checks Slack, Teams and signed generic bodies.
//!
//! Each test makes its own people, policy, services, devices, destinations and receiver paths,
//! and asserts only about those: the tests pass alone and in any order. Times are read from the
//! API (`next_attempt_at`, `next_repeat_at`, the escalation's `next_at`) and the cron is fired at
//! exactly those instants (and one millisecond before, for "not yet"). The cron handler has sent
//! everything it queued when it answers; "nothing arrived" is checked only once something that
//! certainly comes after it (the delivery log, another message of the same dispatch) is there.

use serde_json::{json, Value};
use std::sync::OnceLock;
use std::time::Duration;
use tocsin_tests::receiver::{check_vapid, Received, Receiver, Scripted, TestSubscription};
use tocsin_tests::{now_ms, rfc3339_ms, unique, wait_for, Api, Instance, Reply};

const WAIT: Duration = Duration::from_secs(15);

struct Ctx {
    inst: Instance,
    rx: Receiver,
    /// The organisation's first admin: set up by whichever test comes first.
    admin: OnceLock<Api>,
}

/// A responder of the organisation, logged in with a session of their own.
struct Person {
    api: Api,
    id: String,
    name: String,
}

/// A service paging through an escalation policy of its own.
struct Service {
    id: String,
    key: String,
    name: String,
}

impl Ctx {
    fn admin(&self) -> &Api {
        self.admin.get_or_init(|| Api::setup(&self.inst.base, "Acme", "admin@example.com", "paging password", "Admin"))
    }

    /// A new responder (unique name and e-mail), logged in.
    fn person(&self, first: &str) -> Person {
        let name = unique(first);
        let email = format!("{}@example.com", name.to_ascii_lowercase());
        let r = self.admin().post("/api/users", json!({"email": email, "name": name, "role": "responder", "password": "responder password"}));
        assert_eq!(r.status, 201, "{}", r.text);
        let id = r.json["user"]["id"].as_str().unwrap().to_string();
        let api = Api::new(&self.inst.base);
        let l = api.post("/api/auth/login", json!({"email": email, "password": "responder password"}));
        assert_eq!(l.status, 200, "{}", l.text);
        Person { api, id, name }
    }

    /// A new escalation policy with these levels, run once (no repeats).
    fn policy(&self, levels: Value) -> String {
        let p = self.admin().post("/api/escalation-policies", json!({"name": unique("Policy"), "repeats": 0, "levels": levels}));
        assert_eq!(p.status, 201, "{}", p.text);
        p.json["id"].as_str().unwrap().to_string()
    }

    /// A new service (unique name) escalating through `policy_id`.
    fn service(&self, label: &str, policy_id: &str) -> Service {
        let name = unique(label);
        let svc = self.admin().post("/api/services", json!({"name": name}));
        assert_eq!(svc.status, 201, "{}", svc.text);
        let id = svc.json["id"].as_str().unwrap().to_string();
        let r = self.admin().send("PUT", &format!("/api/services/{id}/escalation-policy"), Some(json!({"policy_id": policy_id}).to_string().into_bytes()), &[]);
        assert_eq!(r.status, 200, "{}", r.text);
        Service { id, key: svc.json["integration_key"].as_str().unwrap().to_string(), name }
    }

    /// A new person paged at once by a new service (level 1 of a policy of their own; nothing
    /// else happens for 30 minutes).
    fn on_call(&self, first: &str, service: &str) -> (Person, Service) {
        let p = self.person(first);
        let policy = self.policy(json!([{"targets": [{"type": "user", "id": p.id}], "delay_minutes": 30}]));
        let s = self.service(service, &policy);
        (p, s)
    }

    fn fire(&self, key: &str, dedup: &str, severity: &str) -> String {
        let r = Api::new(&self.inst.base).post(&format!("/webhooks/generic/{key}"), json!({"summary": format!("Problem {dedup}"), "severity": severity, "dedup_key": dedup}));
        assert_eq!(r.status, 202, "{}", r.text);
        r.json["incident_id"].as_str().unwrap().to_string()
    }

    fn resolve(&self, incident: &str) {
        self.admin().post(&format!("/api/incidents/{incident}/resolve"), json!({}));
    }

    /// Fires the scheduled handler with `at_ms` as its clock; it answers once everything it
    /// queued has been sent and logged.
    fn cron(&self, at_ms: i64) {
        tocsin_tests::cron(&self.inst.base, at_ms);
    }

    fn subscribe(&self, who: &Person, name: &str) -> (TestSubscription, String) {
        let s = TestSubscription::new(&self.rx, name);
        let r = who.api.post("/api/push/subscriptions", s.json(name));
        assert_eq!(r.status, 201, "{}", r.text);
        let id = r.json["id"].as_str().unwrap().to_string();
        (s, id)
    }

    fn unsubscribe(&self, who: &Person, id: &str) {
        let r = who.api.send("DELETE", &format!("/api/push/subscriptions/{id}"), None, &[]);
        assert!(r.status == 204 || r.status == 404, "{}", r.text);
    }

    /// A person's push deliveries about one incident, newest first.
    fn push_deliveries(&self, who: &Person, incident: &str) -> Vec<Value> {
        let d = who.api.get("/api/push/deliveries");
        assert_eq!(d.status, 200, "{}", d.text);
        d.json["deliveries"].as_array().unwrap().iter().filter(|x| x["incident_id"] == incident).cloned().collect()
    }

    /// The one push delivery of a page.
    fn page_delivery(&self, who: &Person, incident: &str) -> Value {
        let rows = self.push_deliveries(who, incident);
        assert_eq!(rows.len(), 1, "one push delivery about {incident}: {rows:?}");
        rows[0].clone()
    }

    /// A person's push deliveries about an incident once at least `n` exist and none is pending
    /// (each answer logged, so no cron can claim one again while it is on its way).
    fn settled(&self, who: &Person, incident: &str, n: usize) -> Vec<Value> {
        wait_for(&format!("{n} push deliveries about {incident} to be logged"), WAIT, || {
            let rows = self.push_deliveries(who, incident);
            (rows.len() >= n && rows.iter().all(|r| r["state"] != "pending")).then_some(rows)
        })
    }

    /// The page's push delivery once it has `n` attempts logged.
    fn attempted(&self, who: &Person, incident: &str, n: usize) -> Value {
        wait_for(&format!("attempt {n} of the page to be logged"), WAIT, || {
            let rows = self.push_deliveries(who, incident);
            rows.iter().find(|r| r["attempts"].as_array().unwrap().len() >= n).cloned()
        })
    }

    /// `GET /api/incidents/{id}/notifications`.
    fn notifications(&self, incident: &str) -> Value {
        let n = self.admin().get(&format!("/api/incidents/{incident}/notifications"));
        assert_eq!(n.status, 200, "{}", n.text);
        n.json
    }

    /// When the incident's one page repeats next (its notification's `next_repeat_at`).
    fn next_repeat(&self, incident: &str) -> Option<i64> {
        let n = self.notifications(incident);
        let list = n["notifications"].as_array().unwrap();
        assert_eq!(list.len(), 1, "one page: {n}");
        assert!(list[0].get("next_repeat_at").is_some(), "the notification says when it repeats: {n}");
        list[0]["next_repeat_at"].as_str().map(rfc3339_ms)
    }

    /// Messages at `path` that mention `id` (an incident: every kind of body links to it).
    fn about(&self, path: &str, id: &str) -> Vec<Received> {
        self.rx.received(path).into_iter().filter(|r| String::from_utf8_lossy(&r.body).contains(id)).collect()
    }

    fn wait_about(&self, path: &str, id: &str, n: usize) -> Vec<Received> {
        wait_for(&format!("{n} message(s) about {id} at {path}"), WAIT, || {
            let r = self.about(path, id);
            (r.len() >= n).then_some(r)
        })
    }

    /// A destination's delivery log once nothing in it is pending and it matches what its
    /// receiver path got one for one (by `Tocsin-Delivery`, or by count for chat kinds), with
    /// what the path got at that moment.
    fn settled_log(&self, destination: &str, path: &str) -> (Vec<Value>, Vec<Received>) {
        wait_for(&format!("the log of {destination} to settle and match {path}"), WAIT, || {
            let l = self.admin().get(&format!("/api/webhook-destinations/{destination}/deliveries"));
            assert_eq!(l.status, 200, "{}", l.text);
            let rows = l.json["deliveries"].as_array().unwrap().clone();
            let got = self.rx.received(path);
            if rows.iter().any(|d| d["state"] == "pending") || rows.len() != got.len() {
                return None;
            }
            let mut logged: Vec<String> = rows.iter().map(|d| d["id"].as_str().unwrap().to_string()).collect();
            let mut sent: Vec<String> = got.iter().filter_map(|r| r.header("tocsin-delivery")).map(str::to_string).collect();
            logged.sort();
            sent.sort();
            (sent.is_empty() || sent == logged).then_some((rows, got))
        })
    }

    fn create_destination(&self, body: Value) -> Reply {
        let r = self.admin().post("/api/webhook-destinations", body);
        assert_eq!(r.status, 201, "{}", r.text);
        r
    }

    fn delete_destination(&self, id: &str) {
        let r = self.admin().send("DELETE", &format!("/api/webhook-destinations/{id}"), None, &[]);
        assert_eq!(r.status, 204, "{}", r.text);
    }
}


/// An RFC 3339 time in a JSON answer → milliseconds since the epoch.
fn ms(v: &Value) -> i64 {
    rfc3339_ms(v.as_str().unwrap_or_else(|| panic!("not a time: {v}")))
}

/// When a pending delivery is tried next, checked to be exactly `wait_ms` after its last attempt.
fn next_attempt(row: &Value, wait_ms: i64, why: &str) -> i64 {
    assert_eq!(row["state"], "pending", "{why}: {row}");
    let last = row["attempts"].as_array().unwrap().last().cloned().expect("an attempt");
    let next = ms(&row["next_attempt_at"]);
    assert_eq!(next - ms(&last["at"]), wait_ms, "{why}: {row}");
    next
}

fn statuses(row: &Value) -> Vec<Option<i64>> {
    row["attempts"].as_array().unwrap().iter().map(|a| a["status"].as_i64()).collect()
}

/// Runs one of tests/clients/*.py (independent implementations) with `input` on stdin.
fn python(script: &str, args: &[&str], input: &Value) -> Value {
    use std::io::Write;
    let py = std::env::var("TOCSIN_PYTHON").expect("TOCSIN_PYTHON is not set: run the suite with ./tocsin test, which installs the Python clients");
    let path = tocsin_tests::instance::root().join("tests/clients").join(script);
    let mut child = std::process::Command::new(py)
        .arg(path)
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run python");
    child.stdin.take().unwrap().write_all(input.to_string().as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{script} failed:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_str(stdout.lines().last().unwrap_or("")).unwrap_or_else(|_| panic!("no JSON from {script}: {stdout}"))
}

fn main() {
    let rx = Receiver::start();
    let ctx = Ctx { inst: Instance::start("paging"), rx, admin: OnceLock::new() };
    let tests: &[(&str, fn(&Ctx))] = &[
        ("vapid_key_and_subscriptions_are_validated", subscriptions),
        ("a_page_reaches_the_phone_encrypted_and_signed", page_reaches_phone),
        ("mozillas_http_ece_decrypts_and_cryptography_verifies_vapid", independent_reader),
        ("the_action_token_acknowledges_without_a_session", action_token),
        ("gone_subscriptions_are_removed", gone),
        ("a_404_from_the_push_service_removes_the_subscription_too", not_found_is_gone),
        ("server_errors_are_retried_with_backoff_and_bounded", retries),
        ("a_longer_retry_after_is_honoured", retry_after),
        ("a_redirect_is_not_followed", redirect_not_followed),
        ("a_push_service_that_never_answers_is_retried_later", no_answer),
        ("retries_stop_once_the_incident_is_acknowledged", retries_stop_on_ack),
        ("pages_repeat_until_acknowledged", repeats),
        ("one_repeat_chain_per_person_when_a_policy_names_them_twice", one_chain),
        ("test_notification_reaches_the_device", test_notification),
        ("webhooks_to_slack_teams_and_signed_generic", webhooks),
        ("the_escalated_event_reaches_a_subscribed_destination", escalated_event),
        ("teams_gets_an_adaptive_card_1_4", teams_card),
        ("contact_preferences_and_a_personal_webhook", preferences),
        ("without_the_sealing_secret_setup_works_and_paging_says_what_is_missing", unsealed),
        ("a_page_claimed_by_a_runner_that_stopped_is_sent_once_its_lease_has_passed", stopped_runner),
        ("an_incident_opened_and_resolved_by_one_payload_pushes_nothing", opened_and_resolved_at_once),
    ];
    tocsin_tests::run_suite(ctx, tests, |c| eprintln!("--- wrangler log ---\n{}", c.inst.log()))
}

fn subscriptions(c: &Ctx) {
    let ana = c.person("Ana");
    let bo = c.person("Bo");
    let k1 = ana.api.get("/api/push/vapid-public-key");
    assert_eq!(k1.status, 200, "{}", k1.text);
    let key = k1.json["public_key"].as_str().unwrap();
    let raw = base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, key).unwrap();
    assert_eq!((raw.len(), raw[0]), (65, 4), "an uncompressed P-256 point");
    assert_eq!(c.admin().get("/api/push/vapid-public-key").json["public_key"], key, "one key pair per organisation");
    assert_eq!(bo.api.get("/api/push/vapid-public-key").json["public_key"], key, "one key pair per organisation");
    assert_eq!(Api::new(&c.inst.base).get("/api/push/vapid-public-key").status, 401);

    let s = TestSubscription::new(&c.rx, "validate");
    let r = ana.api.post("/api/push/subscriptions", s.json("Pixel 9"));
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json["device"], "Pixel 9");
    assert_eq!(r.json["push_service"], c.rx.base);
    let again = ana.api.post("/api/push/subscriptions", s.json("Pixel 9 (renamed)"));
    assert_eq!((again.status, &again.json["id"]), (200, &r.json["id"]), "the same endpoint again is the same device: {}", again.text);
    let list = ana.api.get("/api/push/subscriptions");
    assert_eq!(list.json["devices"].as_array().unwrap().len(), 1, "{}", list.text);
    assert_eq!(list.json["devices"][0]["device"], "Pixel 9 (renamed)");
    assert!(!list.text.contains(&s.path), "the endpoint (a capability URL) is never shown back: {}", list.text);
    let dev = list.json["devices"][0]["id"].as_str().unwrap();
    assert_eq!(bo.api.get("/api/push/subscriptions").json["devices"].as_array().unwrap().len(), 0, "devices are per person");
    let admins = c.admin().get("/api/push/subscriptions");
    assert_eq!(admins.status, 200, "{}", admins.text);
    assert!(!admins.json["devices"].as_array().unwrap().iter().any(|d| d["id"] == dev), "devices are per person: {}", admins.text);

    let mut bad = s.json("x");
    bad["keys"]["p256dh"] = json!("AAAA");
    let r = ana.api.post("/api/push/subscriptions", bad);
    assert_eq!((r.status, r.field()), (400, "keys.p256dh"), "{}", r.text);
    let mut bad = s.json("x");
    bad["keys"]["auth"] = json!("c2hvcnQ");
    let r = ana.api.post("/api/push/subscriptions", bad);
    assert_eq!((r.status, r.field()), (400, "keys.auth"), "{}", r.text);
    let mut bad = s.json("x");
    bad["endpoint"] = json!("http://push.example.com/x");
    let r = ana.api.post("/api/push/subscriptions", bad);
    assert_eq!((r.status, r.field()), (400, "endpoint"), "plain http to another host is refused: {}", r.text);
    let r = ana.api.post("/api/push/subscriptions", json!({"endpoint": s.endpoint}));
    assert_eq!((r.status, r.field()), (400, "keys"), "{}", r.text);

    assert_eq!(c.admin().send("DELETE", &format!("/api/push/subscriptions/{dev}"), None, &[]).status, 404, "not someone else's device");
    assert_eq!(bo.api.send("DELETE", &format!("/api/push/subscriptions/{dev}"), None, &[]).status, 404, "not someone else's device");
    assert_eq!(ana.api.send("DELETE", &format!("/api/push/subscriptions/{dev}"), None, &[]).status, 204);
    assert_eq!(ana.api.send("DELETE", &format!("/api/push/subscriptions/{dev}"), None, &[]).status, 404);
}

/// A page's deliveries are written claimed by the runner that dispatched it, which sends them at
/// once (a new incident's first page: the alert's request, whose step batch dispatched it). On
/// an instance whose runner stops right after its dispatch batch (`TOCSIN_TEST_FAULT`),
/// the page is not sent and no other runner takes it while the claim holds (60 s); the first
/// cron after that sends it, once.
fn stopped_runner(_: &Ctx) {
    let f = Ctx { inst: Instance::start_with("paging-stopped-runner", &[("TOCSIN_TEST_FAULT", "after_dispatch")]), rx: Receiver::start(), admin: OnceLock::new() };
    let (ana, svc) = f.on_call("Ana", "Stopped runner");
    let (s, _) = f.subscribe(&ana, "phone");
    let incident = f.fire(&svc.key, "db-down", "critical");
    // A new incident's first page is dispatched by the step's own batch, before the alert's
    // response: its delivery is there, claimed, as soon as the alert is answered.
    let claimed = f.push_deliveries(&ana, &incident).into_iter().next().expect("the page's delivery, written before the alert's response");
    assert_eq!(claimed["state"], "pending", "{claimed}");
    assert_eq!(claimed["attempts"], json!([]), "{claimed}");
    let written = ms(&claimed["created_at"]);
    // Another runner within the claim leaves it alone.
    f.cron(written + 59_000);
    let d = f.page_delivery(&ana, &incident);
    assert_eq!((d["state"].as_str(), d["attempts"].as_array().map(Vec::len)), (Some("pending"), Some(0)), "{d}");
    assert!(f.rx.received(&s.path).is_empty(), "sent while claimed");
    // After it, the cron sends it (and has logged it when it answers).
    f.cron(written + 61_000);
    let d = f.page_delivery(&ana, &incident);
    assert_eq!((d["state"].as_str(), d["attempts"].as_array().map(Vec::len)), (Some("sent"), Some(1)), "{d}");
    let got = f.rx.wait_for(&s.path, 1, WAIT);
    assert_eq!(s.decrypt(&got[0])["incident_id"], incident.as_str());
    f.cron(written + 62_000);
    assert_eq!(f.page_delivery(&ana, &incident)["attempts"].as_array().map(Vec::len), Some(1), "sent once");
    assert_eq!(f.rx.received(&s.path).len(), 1, "sent once");
    // A page dispatched after the response (a reassignment's, read by id then) is claimed the
    // same way by the runner that dispatched it, and left alone by others while the claim holds.
    let bo = f.person("Bo");
    let (bs, _) = f.subscribe(&bo, "phone");
    let r = f.admin().post(&format!("/api/incidents/{incident}/reassign"), json!({"user_id": bo.id}));
    assert_eq!(r.status, 200, "{}", r.text);
    let claimed = wait_for("Bo's page's delivery, claimed", WAIT, || f.push_deliveries(&bo, &incident).into_iter().next());
    assert_eq!((claimed["state"].as_str(), claimed["attempts"].as_array().map(Vec::len)), (Some("pending"), Some(0)), "{claimed}");
    let written = ms(&claimed["created_at"]);
    f.cron(written + 59_000);
    assert_eq!(f.page_delivery(&bo, &incident)["attempts"].as_array().map(Vec::len), Some(0), "not sent while claimed");
    assert!(f.rx.received(&bs.path).is_empty(), "sent while claimed");
    f.cron(written + 61_000);
    assert_eq!(f.page_delivery(&bo, &incident)["state"], "sent");
    assert_eq!(bs.decrypt(&f.rx.wait_for(&bs.path, 1, WAIT)[0])["incident_id"], incident.as_str());
}

fn page_reaches_phone(c: &Ctx) {
    let (ana, svc) = c.on_call("Ana", "Checkout API");
    let (s, sub_id) = c.subscribe(&ana, "phone");
    let vapid = ana.api.get("/api/push/vapid-public-key").json["public_key"].as_str().unwrap().to_string();
    let incident = c.fire(&svc.key, "db-down", "critical");
    let got = c.rx.wait_for(&s.path, 1, WAIT);
    let r = &got[0];
    assert_eq!(r.method, "POST");
    let claims = check_vapid(r, &vapid, &c.rx.base);
    assert_eq!(claims["sub"], "mailto:admin@example.com", "the organisation's contact (the admin who set it up)");
    assert_eq!(r.header("urgency"), Some("high"), "SEV1 wakes the phone");
    assert_eq!(r.header("ttl"), Some("3600"));
    assert_eq!(r.header("content-type"), Some("application/octet-stream"));
    assert_eq!(r.header("topic").map(str::len), Some(32));
    let p = s.decrypt(r);
    assert_eq!(p["type"], "page");
    assert_eq!(p["incident_id"], incident);
    assert_eq!(p["severity"], "SEV1");
    assert_eq!(p["service"], svc.name.as_str());
    assert_eq!(p["url"], format!("/incidents/{incident}"));
    assert!(p["title"].as_str().unwrap().contains("Problem db-down"), "{p}");
    let number = c.admin().get(&format!("/api/incidents/{incident}")).json["incident"]["number"].clone();
    assert!(number.is_i64(), "{number}");
    assert_eq!(p["number"], number);
    assert!(p["token"].as_str().unwrap().starts_with("v1."), "{p}");

    // A SEV3 page may wait for a good moment.
    let low = c.fire(&svc.key, "disk-80", "warning");
    let got = c.rx.wait_for(&s.path, 2, WAIT);
    let p = s.decrypt(&got[1]);
    assert_eq!(p["incident_id"], low);
    assert_eq!(got[1].header("urgency"), Some("normal"));

    // The delivery log has each attempt with the push service's answer (logged once the answer
    // is in, so wait until nothing about these pages is pending).
    for i in [&incident, &low] {
        let rows = c.settled(&ana, i, 1);
        assert_eq!(rows.len(), 1, "one delivery per page and device: {rows:?}");
        assert_eq!((rows[0]["event"].as_str(), rows[0]["state"].as_str()), (Some("page"), Some("sent")), "{rows:?}");
        assert_eq!(rows[0]["attempts"][0]["status"], 201, "{rows:?}");
    }
    // The record says it reached the phone: one row, naming the person and the device.
    let rows = page_rows(c, &incident);
    assert_eq!(rows, vec![("page.delivered".to_string(), format!("{}: page delivered (push to phone)", ana.name))], "{rows:?}");
    // The incident says whom it paged and that it reached the device.
    let n = c.notifications(&incident);
    let pages = n["notifications"].as_array().unwrap();
    assert_eq!(pages.len(), 1, "{n}");
    let page = &pages[0];
    assert_eq!((page["user_name"].as_str(), page["state"].as_str()), (Some(ana.name.as_str()), Some("dispatched")), "{n}");
    assert_eq!(page["deliveries"].as_array().unwrap().len(), 1, "{n}");
    assert_eq!(page["deliveries"][0]["device"], "phone", "{n}");
    assert_eq!((page["deliveries"][0]["state"].as_str(), page["deliveries"][0]["status"].as_i64()), (Some("sent"), Some(201)));
    let dev = ana.api.get("/api/push/subscriptions");
    let devices = dev.json["devices"].as_array().unwrap();
    assert!(!devices.is_empty(), "{}", dev.text);
    assert!(devices.iter().any(|x| x["id"] == sub_id.as_str() && x["last_success_at"].is_string()), "{}", dev.text);
    c.resolve(&incident);
    c.resolve(&low);
    c.unsubscribe(&ana, &sub_id);
}

/// The same page read by independent code (Mozilla's http_ece, the cryptography library).
fn independent_reader(c: &Ctx) {
    use base64::Engine;
    let b64 = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
    let (ana, svc) = c.on_call("Ana", "Checkout API");
    let (s, sub_id) = c.subscribe(&ana, "independent");
    let vapid = ana.api.get("/api/push/vapid-public-key").json["public_key"].as_str().unwrap().to_string();
    let incident = c.fire(&svc.key, "independent-1", "critical");
    let r = &c.rx.wait_for(&s.path, 1, WAIT)[0];
    let out = python(
        "webpush_receive.py",
        &[],
        &json!({"body": b64(&r.body), "private_key": b64(s.private_key()), "auth": b64(&s.auth),
                "authorization": r.header("authorization").unwrap(), "audience": c.rx.base}),
    );
    assert_eq!(out["payload"]["incident_id"], incident, "{out}");
    assert_eq!(out["payload"]["type"], "page");
    assert_eq!(out["k"], vapid);
    assert_eq!(out["payload"], s.decrypt(r), "both readings agree");
    c.resolve(&incident);
    c.unsubscribe(&ana, &sub_id);
}

fn action_token(c: &Ctx) {
    let (ana, svc) = c.on_call("Ana", "Checkout API");
    let (s, sub_id) = c.subscribe(&ana, "lockscreen");
    let incident = c.fire(&svc.key, "payments-5xx", "error");
    let p = s.decrypt(&c.rx.wait_for(&s.path, 1, WAIT)[0]);
    let token = p["token"].as_str().unwrap().to_string();
    let anonymous = Api::new(&c.inst.base);

    let mut forged = token.clone();
    forged.pop();
    forged.push(if token.ends_with('A') { 'B' } else { 'A' });
    let r = anonymous.post("/api/actions/acknowledge", json!({"token": forged}));
    assert_eq!(r.status, 401, "{}", r.text);
    let r = anonymous.post("/api/actions/acknowledge", json!({"token": "v1.e30.AAAA"}));
    assert_eq!(r.status, 401, "{}", r.text);
    let r = anonymous.post("/api/actions/acknowledge", json!({}));
    assert_eq!((r.status, r.field()), (400, "token"), "{}", r.text);
    assert_eq!(c.admin().get(&format!("/api/incidents/{incident}")).json["incident"]["status"], "triggered");

    let r = anonymous.post("/api/actions/acknowledge", json!({"token": token}));
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!((r.json["changed"].as_bool(), r.json["incident"]["status"].as_str()), (Some(true), Some("acknowledged")));
    let d = c.admin().get(&format!("/api/incidents/{incident}"));
    assert_eq!(d.json["incident"]["acknowledged_by"]["name"], ana.name.as_str(), "{}", d.text);
    assert_eq!(d.json["incident"]["acknowledged_by"]["id"], ana.id.as_str());
    assert!(d.text.contains(&format!("Acknowledged by {} from a notification", ana.name)), "{}", d.text);
    let again = anonymous.post("/api/actions/acknowledge", json!({"token": token}));
    assert_eq!((again.status, again.json["changed"].as_bool()), (200, Some(false)), "a retried tap is harmless: {}", again.text);
    c.resolve(&incident);
    let late = anonymous.post("/api/actions/acknowledge", json!({"token": token}));
    assert_eq!(late.status, 409, "resolved already: {}", late.text);
    c.unsubscribe(&ana, &sub_id);
}

fn gone(c: &Ctx) {
    let (ana, svc) = c.on_call("Ana", "Checkout API");
    let (s, sub_id) = c.subscribe(&ana, "expired");
    c.rx.answer(&s.path, &[410]);
    let incident = c.fire(&svc.key, "gone-1", "critical");
    c.rx.wait_for(&s.path, 1, WAIT);
    wait_for("the subscription to be removed", WAIT, || {
        let l = ana.api.get("/api/push/subscriptions");
        (!l.json["devices"].as_array().unwrap().iter().any(|d| d["id"] == sub_id.as_str())).then_some(())
    });
    let row = c.attempted(&ana, &incident, 1);
    assert_eq!(row["state"], "gone", "{row}");
    assert_eq!(row["attempts"][0]["status"], 410);
    assert_eq!(c.page_delivery(&ana, &incident)["state"], "gone");
    let rows = page_rows(c, &incident);
    assert_eq!(
        rows,
        vec![("page.failed".to_string(), format!("{}: page NOT delivered (push to expired): the device unsubscribed and was removed", ana.name))],
        "the record says the page did not arrive: {rows:?}"
    );
    c.resolve(&incident);
}

/// The incident's timeline rows about its pages' delivery: (kind, message).
fn page_rows(c: &Ctx, incident: &str) -> Vec<(String, String)> {
    let d = c.admin().get(&format!("/api/incidents/{incident}"));
    d.json["timeline"]
        .as_array()
        .unwrap_or_else(|| panic!("{}", d.text))
        .iter()
        .filter(|t| t["kind"].as_str().is_some_and(|k| k.starts_with("page.")))
        .map(|t| (t["kind"].as_str().unwrap().to_string(), t["message"].as_str().unwrap().to_string()))
        .collect()
}

/// RFC 8030 push services answer 404 for a subscription they do not know (any more): forgotten
/// like 410, while the person's other devices keep being paged.
fn not_found_is_gone(c: &Ctx) {
    let (ana, svc) = c.on_call("Ana", "Checkout API");
    let (kept, kept_id) = c.subscribe(&ana, "kept");
    let (s, sub_id) = c.subscribe(&ana, "unsubscribed");
    c.rx.answer(&s.path, &[404]);
    let incident = c.fire(&svc.key, "not-found-1", "error");
    c.rx.wait_for(&s.path, 1, WAIT);
    c.rx.wait_for(&kept.path, 1, WAIT);
    wait_for("the subscription to be removed", WAIT, || {
        let l = ana.api.get("/api/push/subscriptions");
        (!l.json["devices"].as_array().unwrap().iter().any(|d| d["id"] == sub_id.as_str())).then_some(())
    });
    let rows = wait_for("both deliveries to be logged", WAIT, || {
        let rows = c.push_deliveries(&ana, &incident);
        (rows.len() == 2 && rows.iter().all(|r| r["state"] != "pending")).then_some(rows)
    });
    let gone: Vec<&Value> = rows.iter().filter(|r| r["attempts"][0]["status"] == 404).collect();
    assert_eq!(gone.len(), 1, "{rows:?}");
    assert_eq!(gone[0]["state"], "gone", "a 404 is gone like a 410: {rows:?}");
    assert_eq!(gone[0]["attempts"].as_array().unwrap().len(), 1, "not retried: {rows:?}");
    assert!(gone[0]["attempts"][0]["outcome"].as_str().unwrap().contains("gone"), "{rows:?}");
    assert!(rows.iter().any(|r| r["state"] == "sent" && r["attempts"][0]["status"] == 201), "the other device got it: {rows:?}");
    let l = ana.api.get("/api/push/subscriptions");
    let devices = l.json["devices"].as_array().unwrap();
    assert_eq!(devices.len(), 1, "{}", l.text);
    assert_eq!(devices[0]["id"], kept_id.as_str(), "{}", l.text);

    // The next page goes to the remaining device only: its deliveries are queued together, so
    // once the kept device has it, the removed one certainly gets nothing.
    let next = c.fire(&svc.key, "not-found-2", "error");
    c.rx.wait_for(&kept.path, 2, WAIT);
    let rows = c.push_deliveries(&ana, &next);
    assert_eq!(rows.len(), 1, "only the remaining device is paged: {rows:?}");
    assert_eq!(c.rx.received(&s.path).len(), 1, "the removed device is not paged again");
    c.resolve(&incident);
    c.resolve(&next);
    c.unsubscribe(&ana, &kept_id);
}

fn retries(c: &Ctx) {
    let (ana, svc) = c.on_call("Ana", "Checkout API");
    let (s, sub_id) = c.subscribe(&ana, "flaky");
    c.rx.answer(&s.path, &[503, 429]);
    let incident = c.fire(&svc.key, "flaky-1", "error");
    c.rx.wait_for(&s.path, 1, WAIT);
    let first = c.attempted(&ana, &incident, 1);
    assert_eq!(first["state"], "pending", "a 503 is retried: {first}");
    let due = next_attempt(&first, 30_000, "the first retry waits 30 s");
    c.cron(due - 1);
    assert_eq!(c.page_delivery(&ana, &incident)["attempts"].as_array().unwrap().len(), 1, "not before the backoff (30 s)");
    assert_eq!(c.rx.received(&s.path).len(), 1, "not before the backoff (30 s)");
    c.cron(due);
    c.rx.wait_for(&s.path, 2, WAIT);
    let second = c.attempted(&ana, &incident, 2);
    assert_eq!(second["state"], "pending", "a 429 is retried too: {second}");
    let due = next_attempt(&second, 120_000, "the second retry waits 2 min");
    c.cron(due - 1);
    assert_eq!(c.rx.received(&s.path).len(), 2, "not before the backoff (2 min)");
    c.cron(due);
    c.rx.wait_for(&s.path, 3, WAIT);
    let row = c.attempted(&ana, &incident, 3);
    assert_eq!(row["state"], "sent", "{row}");
    assert_eq!(statuses(&row), [Some(503), Some(429), Some(201)]);
    assert!(row["next_attempt_at"].is_null(), "{row}");
    // The same message each time: the decrypted payloads agree.
    let got = c.rx.received(&s.path);
    assert_eq!(s.decrypt(&got[0]), s.decrypt(&got[2]));
    c.resolve(&incident);

    // Bounded: a push service that always fails is given up after 5 attempts, each retry at
    // its backoff step (30 s, 2 min, 10 min, 30 min: all within a page's hour).
    c.rx.answer(&s.path, &[500, 500, 500, 500, 500, 500]);
    let incident = c.fire(&svc.key, "flaky-2", "error");
    c.rx.wait_for(&s.path, 4, WAIT);
    let mut row = c.attempted(&ana, &incident, 1);
    for (n, wait) in [(1, 30_000), (2, 120_000), (3, 600_000), (4, 1_800_000)] {
        assert_eq!(row["attempts"].as_array().unwrap().len(), n, "{row}");
        let due = next_attempt(&row, wait, &format!("retry {n} waits {} s", wait / 1000));
        c.cron(due - 1);
        assert_eq!(c.page_delivery(&ana, &incident)["attempts"].as_array().unwrap().len(), n, "attempt {} not before its backoff", n + 1);
        c.cron(due);
        row = c.attempted(&ana, &incident, n + 1);
    }
    assert_eq!(row["state"], "failed", "{row}");
    assert_eq!(row["attempts"].as_array().unwrap().len(), 5, "{row}");
    assert!(row["attempts"][4]["outcome"].as_str().unwrap().contains("gave up after 5 attempts"), "{row}");
    assert!(row["next_attempt_at"].is_null(), "{row}");
    assert_eq!(c.rx.received(&s.path).len(), 3 + 5);
    c.resolve(&incident);
    c.unsubscribe(&ana, &sub_id);
}

/// README: "a longer `Retry-After` is honoured" — and a shorter one does not hasten the backoff.
fn retry_after(c: &Ctx) {
    let (ana, svc) = c.on_call("Ana", "Checkout API");
    let (s, sub_id) = c.subscribe(&ana, "busy");
    c.rx.answer_with(&s.path, &[Scripted::status(503).header("Retry-After", "90"), Scripted::status(429).header("Retry-After", "5")]);
    let incident = c.fire(&svc.key, "busy-1", "error");
    c.rx.wait_for(&s.path, 1, WAIT);
    let first = c.attempted(&ana, &incident, 1);
    assert_eq!(statuses(&first), [Some(503)]);
    let due = next_attempt(&first, 90_000, "Retry-After: 90 is longer than the 30 s backoff, so it is honoured");
    c.cron(due - 1);
    assert_eq!(c.page_delivery(&ana, &incident)["attempts"].as_array().unwrap().len(), 1, "not before Retry-After");
    assert_eq!(c.rx.received(&s.path).len(), 1, "not before Retry-After");
    c.cron(due);
    c.rx.wait_for(&s.path, 2, WAIT);
    let second = c.attempted(&ana, &incident, 2);
    assert_eq!(statuses(&second), [Some(503), Some(429)]);
    let due = next_attempt(&second, 120_000, "Retry-After: 5 is shorter than the 2 min backoff, which stands");
    c.cron(due - 1);
    assert_eq!(c.rx.received(&s.path).len(), 2, "not before the backoff");
    c.cron(due);
    c.rx.wait_for(&s.path, 3, WAIT);
    let row = c.attempted(&ana, &incident, 3);
    assert_eq!(row["state"], "sent", "{row}");
    assert_eq!(statuses(&row), [Some(503), Some(429), Some(201)]);
    c.resolve(&incident);
    c.unsubscribe(&ana, &sub_id);
}

/// A receiver that answers with a redirect is not followed (the URL it names could be anywhere,
/// an internal address too): the delivery fails with the 3xx at once, and nothing is sent there.
fn redirect_not_followed(c: &Ctx) {
    let (ana, svc) = c.on_call("Ana", "Checkout API");
    let (s, sub_id) = c.subscribe(&ana, "moved");
    let elsewhere = format!("/elsewhere{}", s.path);
    c.rx.answer_with(&s.path, &[Scripted::status(307).header("Location", &c.rx.url(&elsewhere))]);
    let incident = c.fire(&svc.key, "moved-1", "error");
    c.rx.wait_for(&s.path, 1, WAIT);
    let row = c.attempted(&ana, &incident, 1);
    assert_eq!(statuses(&row), [Some(307)], "{row}");
    assert_eq!(row["state"], "failed", "a redirect is not retried either: {row}");
    assert!(row["next_attempt_at"].is_null(), "{row}");
    std::thread::sleep(Duration::from_millis(500));
    assert!(c.rx.received(&elsewhere).is_empty(), "the redirect was followed");
    c.resolve(&incident);
    c.unsubscribe(&ana, &sub_id);
}

/// README: timeouts are retried like 5xx. The push service takes the request and never answers
/// within the send time limit (10 s).
fn no_answer(c: &Ctx) {
    let (ana, svc) = c.on_call("Ana", "Checkout API");
    let (s, sub_id) = c.subscribe(&ana, "asleep");
    c.rx.answer_with(&s.path, &[Scripted::status(201).after(Duration::from_secs(40))]);
    let incident = c.fire(&svc.key, "asleep-1", "error");
    c.rx.wait_for(&s.path, 1, WAIT);
    let first = wait_for("the unanswered attempt to be logged", Duration::from_secs(35), || {
        let rows = c.push_deliveries(&ana, &incident);
        rows.iter().find(|r| !r["attempts"].as_array().unwrap().is_empty()).cloned()
    });
    assert_eq!(statuses(&first), [None], "no answer, no status: {first}");
    let outcome = first["attempts"][0]["outcome"].as_str().unwrap();
    assert!(outcome.contains("no answer within 10 s") && outcome.contains("will retry"), "{first}");
    let took = first["attempts"][0]["duration_ms"].as_i64().unwrap();
    assert!((9_000..40_000).contains(&took), "given up at the time limit, not at the late answer: {first}");
    let dev = ana.api.get("/api/push/subscriptions");
    let devices = dev.json["devices"].as_array().unwrap();
    assert!(!devices.is_empty(), "{}", dev.text);
    assert!(devices.iter().any(|d| d["id"] == sub_id.as_str() && d["last_failure"].as_str().is_some_and(|f| f.contains("no answer"))), "the device shows why: {}", dev.text);
    let due = next_attempt(&first, 30_000, "an unanswered send is retried after 30 s");
    c.cron(due - 1);
    assert_eq!(c.page_delivery(&ana, &incident)["attempts"].as_array().unwrap().len(), 1, "not before the backoff");
    assert_eq!(c.rx.received(&s.path).len(), 1, "not before the backoff");
    c.cron(due);
    let got = c.rx.wait_for(&s.path, 2, WAIT);
    let row = c.attempted(&ana, &incident, 2);
    assert_eq!(row["state"], "sent", "{row}");
    assert_eq!(statuses(&row), [None, Some(201)]);
    assert_eq!(s.decrypt(&got[0]), s.decrypt(&got[1]), "the same message again");
    c.resolve(&incident);
    c.unsubscribe(&ana, &sub_id);
}

fn retries_stop_on_ack(c: &Ctx) {
    let (ana, svc) = c.on_call("Ana", "Checkout API");
    let (s, sub_id) = c.subscribe(&ana, "late");
    c.rx.answer(&s.path, &[503]);
    let incident = c.fire(&svc.key, "late-1", "error");
    c.rx.wait_for(&s.path, 1, WAIT);
    let first = c.attempted(&ana, &incident, 1);
    assert_eq!(first["state"], "pending", "{first}");
    let due = next_attempt(&first, 30_000, "a 503 is retried after 30 s");
    assert_eq!(ana.api.post(&format!("/api/incidents/{incident}/acknowledge"), json!({})).status, 200);
    c.cron(due);
    let r = c.attempted(&ana, &incident, 2);
    assert_eq!(r["state"], "skipped", "a page is not retried once someone acknowledged: {r}");
    assert_eq!(r["attempts"][1]["outcome"], "not sent: the incident is acknowledged", "{r}");
    assert_eq!(c.rx.received(&s.path).len(), 1, "the phone does not ring again");
    c.resolve(&incident);
    c.unsubscribe(&ana, &sub_id);
}

fn repeats(c: &Ctx) {
    let (ana, svc) = c.on_call("Ana", "Checkout API");
    let (s, sub_id) = c.subscribe(&ana, "repeat");
    let incident = c.fire(&svc.key, "repeat-1", "critical");
    let first = s.decrypt(&c.rx.wait_for(&s.path, 1, WAIT)[0]);
    assert_eq!(first["renotify"], false);
    // The page's delivery was queued when it was dispatched; the repeat counts from then.
    let rows = c.settled(&ana, &incident, 1);
    assert_eq!((rows.len(), rows[0]["state"].as_str()), (1, Some("sent")), "{rows:?}");
    let paged_at = ms(&rows[0]["created_at"]);
    let due = c.next_repeat(&incident).expect("a SEV1 page repeats by default");
    assert_eq!(due - paged_at, 5 * 60_000, "SEV1 repeats every 5 minutes by default");
    c.cron(due - 1);
    assert_eq!(c.rx.received(&s.path).len(), 1, "SEV1 repeats every 5 minutes by default, not sooner");
    assert_eq!(c.next_repeat(&incident), Some(due), "still due");
    c.cron(due);
    let again = s.decrypt(&c.rx.wait_for(&s.path, 2, WAIT)[1]);
    assert_eq!((again["incident_id"].as_str(), again["renotify"].as_bool()), (Some(incident.as_str()), Some(true)));
    let next = c.next_repeat(&incident).expect("repeats until acknowledged");
    assert_eq!(next - due, 5 * 60_000, "counted from the last page");
    c.cron(due);
    assert_eq!(c.rx.received(&s.path).len(), 2, "the same minute again sends nothing new");
    assert_eq!(c.next_repeat(&incident), Some(next));
    let r = ana.api.post(&format!("/api/incidents/{incident}/acknowledge"), json!({}));
    assert_eq!(r.status, 200);
    c.cron(next);
    assert_eq!(c.next_repeat(&incident), None, "acknowledged: the repeat chain ends");
    c.cron(next + 5 * 60_000);
    assert_eq!(c.rx.received(&s.path).len(), 2, "acknowledged: no more repeats");
    let n = c.notifications(&incident);
    let ds = n["notifications"][0]["deliveries"].as_array().unwrap();
    let repeat_flags: Vec<bool> = ds.iter().map(|d| d["repeat"].as_bool().unwrap()).collect();
    assert_eq!(repeat_flags, [false, true], "the page and one repeat: {n}");
    assert!(ds.iter().all(|d| d["state"] == "sent"), "{n}");
    // A SEV3 page is not repeated under the default rule.
    let low_at = now_ms();
    let low = c.fire(&svc.key, "repeat-2", "warning");
    c.rx.wait_for(&s.path, 3, WAIT);
    assert_eq!(c.settled(&ana, &low, 1).len(), 1);
    assert_eq!(c.next_repeat(&low), None, "SEV3 is not covered by the default rule");
    c.cron(low_at + 20 * 60_000);
    assert_eq!(c.rx.received(&s.path).len(), 3);
    for i in [&incident, &low] {
        c.resolve(i);
    }
    c.unsubscribe(&ana, &sub_id);
}

/// README: "one repeat chain per person and incident, however many levels paged them". Level 1
/// names Ana directly and through a schedule she is on call in (paged once); level 2 names her
/// again (paged again, taking over the repeats): each repeat rings her phone once, not twice.
fn one_chain(c: &Ctx) {
    let ana = c.person("Ana");
    let sched = c.admin().post("/api/schedules", json!({"name": unique("Ana's rota"), "time_zone": "UTC", "layers": [
        {"name": "Always Ana", "participants": [ana.id], "start": "2026-01-01T00:00:00", "turn": {"type": "daily"}}]}));
    assert_eq!(sched.status, 201, "{}", sched.text);
    let schedule = sched.json["id"].as_str().unwrap().to_string();
    let policy = c.policy(json!([
        {"targets": [{"type": "user", "id": ana.id}, {"type": "schedule", "id": schedule}], "delay_minutes": 4},
        {"targets": [{"type": "user", "id": ana.id}], "delay_minutes": 30}]));
    let svc = c.service("Checkout API", &policy);
    let (s, sub_id) = c.subscribe(&ana, "named-twice");
    let incident = c.fire(&svc.key, "twice-1", "critical");
    c.rx.wait_for(&s.path, 1, WAIT);
    let n = wait_for("level 1's page to be sent", WAIT, || {
        let n = c.notifications(&incident);
        let ds = n["notifications"][0]["deliveries"].as_array().cloned().unwrap_or_default();
        (!ds.is_empty() && ds.iter().all(|d| d["state"] == "sent")).then_some(n)
    });
    let pages = n["notifications"].as_array().unwrap();
    assert_eq!(pages.len(), 1, "level 1 pages Ana once, though it names her twice: {n}");
    assert_eq!(pages[0]["deliveries"].as_array().unwrap().len(), 1, "{n}");
    assert_eq!(c.rx.received(&s.path).len(), 1, "one message for level 1");
    let level1_repeat = ms(&pages[0]["next_repeat_at"]);
    assert_eq!(n["escalation"]["level"], 2, "{n}");
    let level2_at = ms(&n["escalation"]["next_at"]);
    assert!(level2_at < level1_repeat, "level 2 comes before level 1's first repeat: {n}");

    c.cron(level2_at - 1);
    assert_eq!(c.notifications(&incident)["notifications"].as_array().unwrap().len(), 1, "level 2 not before its time");
    c.cron(level2_at);
    c.rx.wait_for(&s.path, 2, WAIT);
    let n = c.notifications(&incident);
    let pages = n["notifications"].as_array().unwrap();
    assert_eq!(pages.len(), 2, "level 2 pages Ana again: {n}");
    assert_eq!((pages[0]["level"].as_i64(), pages[1]["level"].as_i64()), (Some(1), Some(2)), "{n}");
    assert!(pages[0]["next_repeat_at"].is_null(), "level 2's page took over repeating: {n}");
    let due = ms(&pages[1]["next_repeat_at"]);
    assert_eq!(due - level2_at, 5 * 60_000, "counted from level 2's page: {n}");
    assert!(level1_repeat < due, "{n}");

    // Level 1's own chain would have rung by now.
    c.cron(due - 1);
    assert_eq!(c.rx.received(&s.path).len(), 2, "level 1's repeat chain was handed over, not kept");
    c.cron(due);
    c.rx.wait_for(&s.path, 3, WAIT);
    let repeats_logged = |n: &Value| -> usize {
        n["notifications"].as_array().unwrap().iter().flat_map(|p| p["deliveries"].as_array().unwrap().iter()).filter(|d| d["repeat"] == true).count()
    };
    let n = c.notifications(&incident);
    assert_eq!(repeats_logged(&n), 1, "one repeat, not one per level: {n}");
    assert_eq!(c.rx.received(&s.path).len(), 3, "the phone rings once per repeat, not once per level");
    let chains: Vec<i64> = n["notifications"].as_array().unwrap().iter().filter_map(|p| p["next_repeat_at"].as_str()).map(rfc3339_ms).collect();
    assert_eq!(chains, [due + 5 * 60_000], "one chain goes on: {n}");
    c.cron(chains[0]);
    c.rx.wait_for(&s.path, 4, WAIT);
    let n = c.notifications(&incident);
    assert_eq!(repeats_logged(&n), 2, "{n}");
    assert_eq!(c.rx.received(&s.path).len(), 4, "the phone rings once per repeat, not once per level");
    let r = ana.api.post(&format!("/api/incidents/{incident}/acknowledge"), json!({}));
    assert_eq!(r.status, 200, "{}", r.text);
    c.resolve(&incident);
    c.unsubscribe(&ana, &sub_id);
}

fn test_notification(c: &Ctx) {
    let (ana, svc) = c.on_call("Ana", "Checkout API");
    // With no device at all, the page goes nowhere, and the incident says so.
    let nowhere = c.fire(&svc.key, "nowhere-1", "warning");
    let n = wait_for("the page to be dispatched", WAIT, || {
        let n = c.notifications(&nowhere);
        (n["notifications"][0]["state"] == "dispatched").then_some(n)
    });
    assert_eq!(n["notifications"].as_array().unwrap().len(), 1, "{n}");
    assert_eq!(n["notifications"][0]["deliveries"], json!([]), "{n}");
    c.resolve(&nowhere);
    let (s, sub_id) = c.subscribe(&ana, "test-button");
    let r = ana.api.post(&format!("/api/push/subscriptions/{sub_id}/test"), json!({}));
    assert_eq!(r.status, 202, "{}", r.text);
    let p = s.decrypt(&c.rx.wait_for(&s.path, 1, WAIT)[0]);
    assert_eq!(p["type"], "test");
    assert!(p.get("token").is_none(), "a test carries no action token: {p}");
    assert_eq!(c.admin().post(&format!("/api/push/subscriptions/{sub_id}/test"), json!({})).status, 404, "only your own devices");
    c.unsubscribe(&ana, &sub_id);
}

fn webhooks(c: &Ctx) {
    let admin = c.admin();
    let (ana, checkout) = c.on_call("Ana", "Checkout API");
    let search = c.service("Search", &c.policy(json!([{"targets": [{"type": "user", "id": ana.id}], "delay_minutes": 30}])));
    let base = format!("/hooks/{}", unique("webhooks"));
    let (slack_path, teams_path, generic_path) = (format!("{base}/slack/T000/B000/secretpart"), format!("{base}/teams/workflow"), format!("{base}/generic"));
    let events = json!(["incident.opened", "incident.acknowledged", "incident.resolved", "incident.note_added", "status_update.published"]);
    let create = |name: &str, kind: &str, path: &str, services: Value| {
        c.create_destination(json!({"name": unique(name), "kind": kind, "url": c.rx.url(path), "events": events, "service_ids": services}))
    };
    let slack = create("#incidents", "slack", &slack_path, json!([]));
    let teams = create("Ops channel", "teams", &teams_path, json!([checkout.id]));
    let generic = create("Ticketing", "generic", &generic_path, json!([]));
    let id = |r: &Reply| r.json["destination"]["id"].as_str().unwrap().to_string();
    let (sid, tid, gid) = (id(&slack), id(&teams), id(&generic));
    let secret = generic.json["signing_secret"].as_str().unwrap().to_string();
    assert!(secret.len() > 30);
    assert!(slack.json.get("signing_secret").is_none(), "Slack destinations have no signing secret");
    assert_eq!(slack.json["destination"]["url_hint"], format!("{}/…part", c.rx.base));
    let list = admin.get("/api/webhook-destinations");
    let listed = list.json["destinations"].as_array().unwrap();
    for (d, kind) in [(&sid, "slack"), (&tid, "teams"), (&gid, "generic")] {
        let mine: Vec<&Value> = listed.iter().filter(|x| x["id"] == d.as_str()).collect();
        assert_eq!(mine.len(), 1, "each destination made is listed once: {}", list.text);
        assert_eq!(mine[0]["kind"], kind, "{}", list.text);
    }
    assert!(!list.text.contains(&secret) && !list.text.contains("secretpart") && !list.text.contains("/hooks/"), "secrets and URLs are never shown again: {}", list.text);
    assert_eq!(ana.api.get("/api/webhook-destinations").status, 403, "admins only");
    let r = admin.post("/api/webhook-destinations", json!({"name": "x", "kind": "irc", "url": "https://x.example", "events": events}));
    assert_eq!((r.status, r.field()), (400, "kind"), "{}", r.text);
    let r = admin.post("/api/webhook-destinations", json!({"name": "x", "kind": "slack", "url": "not a url", "events": events}));
    assert_eq!((r.status, r.field()), (400, "url"), "{}", r.text);
    let r = admin.post("/api/webhook-destinations", json!({"name": "x", "kind": "slack", "url": "https://x.example", "events": []}));
    assert_eq!((r.status, r.field()), (400, "events"), "{}", r.text);
    let r = admin.post("/api/webhook-destinations", json!({"name": "x", "kind": "slack", "url": "https://x.example", "events": events, "service_ids": ["nope"]}));
    assert_eq!((r.status, r.field()), (400, "service_ids"), "{}", r.text);

    // An incident on Checkout: opened → all three; a note; acknowledged; resolved.
    let incident = c.fire(&checkout.key, "hooks-1", "critical");
    let s = c.wait_about(&slack_path, &incident, 1);
    let body = s[0].json();
    assert_eq!(s[0].header("content-type"), Some("application/json"));
    assert!(body["text"].as_str().unwrap().contains("Problem hooks-1"), "{body}");
    assert_eq!(body["blocks"][0]["type"], "header");
    assert_eq!(body["blocks"][2]["elements"][0]["url"], c.inst.url(&format!("/incidents/{incident}")));
    let t = c.wait_about(&teams_path, &incident, 1);
    let msg = t[0].json();
    let card = &msg["attachments"][0];
    assert_eq!(card["contentType"], "application/vnd.microsoft.card.adaptive");
    assert_eq!(card["content"]["type"], "AdaptiveCard");
    assert_eq!((card["content"]["version"].as_str(), card["content"]["$schema"].as_str()), (Some("1.4"), Some("http://adaptivecards.io/schemas/adaptive-card.json")), "{msg}");
    let g = c.wait_about(&generic_path, &incident, 1);
    let sig = g[0].header("tocsin-signature").expect("Tocsin-Signature").to_string();
    let now_s = now_ms() / 1000;
    assert_eq!(tocsin_domain::outbound::signature::verify(&secret, &sig, &g[0].body, now_s, 300), Ok(()), "{sig}");
    assert!(tocsin_domain::outbound::signature::verify("wrong", &sig, &g[0].body, now_s, 300).is_err());
    // The README's Python receiver (standard library only) agrees.
    let req = json!({"header": sig, "body": String::from_utf8(g[0].body.clone()).unwrap()});
    assert_eq!(python("verify_signature.py", &[&secret], &req)["valid"], true);
    assert_eq!(python("verify_signature.py", &["whsec_wrong"], &req)["valid"], false);
    let ev = g[0].json();
    assert_eq!((ev["type"].as_str(), ev["incident"]["id"].as_str(), ev["incident"]["status"].as_str()), (Some("incident.opened"), Some(incident.as_str()), Some("triggered")));
    assert_eq!(g[0].header("tocsin-event"), Some("incident.opened"));
    let r = ana.api.post(&format!("/api/incidents/{incident}/notes"), json!({"body": "Rolled back deploy 4821"}));
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(ana.api.post(&format!("/api/incidents/{incident}/notes"), json!({"body": "  "})).field(), "body");
    ana.api.post(&format!("/api/incidents/{incident}/acknowledge"), json!({}));
    ana.api.post(&format!("/api/incidents/{incident}/resolve"), json!({}));
    let g = c.wait_about(&generic_path, &incident, 4);
    let mine = |r: &&Received| r.json()["incident"]["id"] == incident.as_str();
    let kinds: Vec<String> = g.iter().filter(mine).map(|r| r.json()["type"].as_str().unwrap().to_string()).collect();
    for k in ["incident.opened", "incident.note_added", "incident.acknowledged", "incident.resolved"] {
        assert_eq!(kinds.iter().filter(|x| *x == k).count(), 1, "{k} exactly once: {kinds:?}");
    }
    let note = g.iter().map(|r| r.json()).find(|e| e["type"] == "incident.note_added").unwrap();
    assert_eq!((note["message"].as_str(), note["actor"].as_str()), (Some("Rolled back deploy 4821"), Some(ana.name.as_str())));
    c.wait_about(&slack_path, &incident, 4);
    c.wait_about(&teams_path, &incident, 4);

    // Teams only wants Checkout: a Search incident goes to Slack and generic only. An event is
    // queued for every destination at once, so once generic has it, Teams' log is final for it.
    let other = c.fire(&search.key, "hooks-2", "warning");
    c.wait_about(&generic_path, &other, 1);
    c.wait_about(&slack_path, &other, 1);
    let tlog = admin.get(&format!("/api/webhook-destinations/{tid}/deliveries"));
    let trows = tlog.json["deliveries"].as_array().unwrap();
    assert_eq!(trows.len(), 4, "the Teams destination is for Checkout only: {}", tlog.text);
    assert!(trows.iter().all(|d| d["incident_id"] == incident.as_str()), "the Teams destination is for Checkout only: {}", tlog.text);
    assert_eq!(c.rx.received(&teams_path).len(), 4, "the Teams destination is for Checkout only");
    assert!(c.about(&teams_path, &other).is_empty());

    // A published status update.
    let words = format!("We are looking into slow searches ({}).", unique("update"));
    let r = admin.post("/api/status/incidents", json!({"name": unique("Search is slow"), "impact": "minor", "body": words}));
    assert_eq!(r.status, 201, "{}", r.text);
    let upd = wait_for("the status update at the generic receiver", WAIT, || {
        c.rx.received(&generic_path).iter().map(|r| r.json()).find(|e| e["type"] == "status_update.published" && e["status_update"]["body"] == words.as_str())
    });
    assert_eq!(upd["type"], "status_update.published", "{upd}");
    assert_eq!(upd["status_update"]["body"], words.as_str());

    // Send test; the delivery log shows the receivers' answers.
    let r = admin.post(&format!("/api/webhook-destinations/{gid}/test"), json!({}));
    assert_eq!(r.status, 202, "{}", r.text);
    let test = wait_for("the test message", WAIT, || c.rx.received(&generic_path).iter().map(|r| r.json()).find(|e| e["type"] == "test"));
    assert!(test["message"].as_str().unwrap().contains("sent by Admin"), "{test}");
    let (rows, got) = c.settled_log(&gid, &generic_path);
    assert!(rows.iter().any(|d| d["event"] == "test" && d["state"] == "sent"), "{rows:?}");
    assert_eq!(rows.len(), got.len(), "one logged delivery per message received: {rows:?}");
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|r| r["state"] == "sent" && r["attempts"][0]["status"] == 201), "{rows:?}");
    let log = admin.get(&format!("/api/webhook-destinations/{gid}/deliveries"));
    assert!(!log.text.contains(&secret), "no secret in the log");
    let r = admin.get(&format!("/api/webhook-destinations/{}/deliveries", ana.id));
    assert_eq!(r.status, 404, "only destinations have a destination log (not a person's own deliveries): {}", r.text);

    // A deleted destination gets nothing more: once generic has the next Checkout incident, it
    // was dispatched without Teams.
    c.delete_destination(&tid);
    let another = c.fire(&checkout.key, "hooks-3", "warning");
    c.wait_about(&generic_path, &another, 1);
    assert_eq!(c.rx.received(&teams_path).len(), 4);
    assert!(c.about(&teams_path, &another).is_empty());
    for i in [&other, &another] {
        c.resolve(i);
    }
    assert!(!c.inst.log().contains(&secret), "the signing secret never reaches the logs");
    // Stored sealed: D1 holds neither the URLs nor the secrets nor the VAPID private key.
    let stored = c.inst.d1("SELECT id, url, secret FROM webhook_destinations");
    for d in [&sid, &tid, &gid] {
        assert_eq!(stored.iter().filter(|r| r["id"] == d.as_str()).count(), 1, "{stored:?}");
    }
    let keys = c.inst.d1("SELECT vapid_private AS url, action_key AS secret FROM org_keys");
    assert!(!keys.is_empty());
    for row in stored.into_iter().chain(keys) {
        for v in [&row["url"], &row["secret"]].into_iter().filter_map(|v| v.as_str()) {
            assert!(v.starts_with("s2.") && !v.contains("/hooks/") && !v.contains(&secret), "stored as {v}");
        }
    }
    c.delete_destination(&sid);
    c.delete_destination(&gid);
}

/// An `incident.escalated` event reaches a generic destination subscribed to it (and nothing
/// it did not subscribe to).
fn escalated_event(c: &Ctx) {
    let first = c.person("Ana");
    let second = c.person("Bo");
    let policy = c.policy(json!([
        {"targets": [{"type": "user", "id": first.id}], "delay_minutes": 30},
        {"targets": [{"type": "user", "id": second.id}], "delay_minutes": 30}]));
    let svc = c.service("Checkout API", &policy);
    let path = format!("/hooks/{}/escalations", unique("escalated"));
    let d = c.create_destination(json!({"name": unique("Escalations"), "kind": "generic", "url": c.rx.url(&path), "events": ["incident.escalated"], "service_ids": [svc.id]}));
    let did = d.json["destination"]["id"].as_str().unwrap().to_string();
    let secret = d.json["signing_secret"].as_str().unwrap().to_string();
    let incident = c.fire(&svc.key, "escalated-1", "critical");
    let r = first.api.post(&format!("/api/incidents/{incident}/escalate"), json!({}));
    assert_eq!(r.status, 200, "{}", r.text);
    let level2 = wait_for("the escalation to level 2 at the receiver", WAIT, || {
        c.rx.received(&path).into_iter().find(|r| r.json()["message"].as_str().is_some_and(|m| m.contains("level 2")))
    });
    let ev = level2.json();
    assert_eq!(ev["type"], "incident.escalated", "{ev}");
    assert_eq!(level2.header("tocsin-event"), Some("incident.escalated"));
    assert_eq!((ev["incident"]["id"].as_str(), ev["incident"]["status"].as_str()), (Some(incident.as_str()), Some("triggered")), "{ev}");
    assert_eq!(ev["incident"]["service"]["id"], svc.id.as_str(), "{ev}");
    assert!(ev["message"].as_str().unwrap().contains(&second.name), "says whom it paged: {ev}");
    let sig = level2.header("tocsin-signature").expect("Tocsin-Signature");
    assert_eq!(tocsin_domain::outbound::signature::verify(&secret, sig, &level2.body, now_ms() / 1000, 300), Ok(()), "{sig}");
    // Events are dispatched in timeline order: the opening was dispatched before level 2 (and
    // not to this destination, which did not subscribe to it).
    let got = c.rx.received(&path);
    assert!(!got.is_empty());
    assert!(got.iter().all(|r| r.json()["type"] == "incident.escalated" && r.json()["incident"]["id"] == incident.as_str()), "only what it subscribed to");
    let mut messages: Vec<String> = got.iter().map(|r| r.json()["message"].as_str().unwrap().to_string()).collect();
    let all = messages.len();
    messages.sort();
    messages.dedup();
    assert_eq!(messages.len(), all, "each escalation once: {messages:?}");
    let (rows, got) = c.settled_log(&did, &path);
    assert_eq!(rows.len(), got.len(), "one logged delivery per message received: {rows:?}");
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|r| r["event"] == "incident.escalated" && r["state"] == "sent"), "{rows:?}");
    c.resolve(&incident);
    c.delete_destination(&did);
}

/// README: Teams gets "a message with an Adaptive Card 1.4".
fn teams_card(c: &Ctx) {
    let (_ana, svc) = c.on_call("Ana", "Checkout API");
    let path = format!("/hooks/{}/teams", unique("teams"));
    let d = c.create_destination(json!({"name": unique("Teams"), "kind": "teams", "url": c.rx.url(&path), "events": ["incident.opened"], "service_ids": [svc.id]}));
    assert!(d.json.get("signing_secret").is_none(), "Teams destinations have no signing secret");
    let did = d.json["destination"]["id"].as_str().unwrap().to_string();
    let incident = c.fire(&svc.key, "teams-1", "critical");
    let got = c.rx.wait_for(&path, 1, WAIT);
    let r = &got[0];
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert!(r.header("tocsin-signature").is_none(), "only generic bodies are signed");
    let msg = r.json();
    assert_eq!(msg["type"], "message", "{msg}");
    let attachments = msg["attachments"].as_array().unwrap();
    assert_eq!(attachments.len(), 1, "{msg}");
    assert_eq!(attachments[0]["contentType"], "application/vnd.microsoft.card.adaptive", "{msg}");
    let card = &attachments[0]["content"];
    assert_eq!(card["$schema"], "http://adaptivecards.io/schemas/adaptive-card.json", "{msg}");
    assert_eq!(card["type"], "AdaptiveCard", "{msg}");
    assert_eq!(card["version"], "1.4", "{msg}");
    let body = card["body"].as_array().unwrap();
    assert!(!body.is_empty(), "{msg}");
    assert!(body.iter().any(|b| b["type"] == "TextBlock" && b["text"].as_str().is_some_and(|t| t.contains("Problem teams-1"))), "{msg}");
    let actions = card["actions"].as_array().unwrap();
    assert!(!actions.is_empty(), "{msg}");
    assert_eq!((actions[0]["type"].as_str(), actions[0]["url"].as_str()), (Some("Action.OpenUrl"), Some(c.inst.url(&format!("/incidents/{incident}")).as_str())), "{msg}");
    c.resolve(&incident);
    c.delete_destination(&did);
}

fn preferences(c: &Ctx) {
    let (ana, svc) = c.on_call("Ana", "Checkout API");
    let p = ana.api.get("/api/users/me/contact-preferences");
    assert_eq!(p.status, 200, "{}", p.text);
    assert_eq!(p.json, json!({"push": true, "webhook": null, "repeat": {"every_minutes": 5, "min_severity": "SEV1"}}), "defaults: push, SEV1 repeats every 5 min");
    let put = |body: Value| ana.api.send("PUT", "/api/users/me/contact-preferences", Some(body.to_string().into_bytes()), &[]);
    let r = put(json!({"push": true, "repeat": {"every_minutes": 0, "min_severity": "SEV1"}}));
    assert_eq!((r.status, r.field()), (400, "repeat.every_minutes"), "{}", r.text);
    let r = put(json!({"push": true, "webhook": {"kind": "generic", "url": "nope"}}));
    assert_eq!((r.status, r.field()), (400, "webhook.url"), "{}", r.text);
    let hook = format!("/personal/{}/ana", unique("prefs"));
    let r = put(json!({"push": false, "webhook": {"kind": "generic", "url": c.rx.url(&hook)}, "repeat": null}));
    assert_eq!(r.status, 200, "{}", r.text);
    let secret = r.json["webhook"]["signing_secret"].as_str().expect("the personal webhook's secret, shown once").to_string();
    assert_eq!(r.json["webhook"]["url_hint"], format!("{}/…/ana", c.rx.base));
    let stored = c.inst.d1(&format!("SELECT webhook_url, webhook_secret FROM contact_preferences WHERE user_id = '{}'", ana.id));
    assert_eq!(stored.len(), 1, "{stored:?}");
    assert!(stored.iter().all(|r| r["webhook_url"].as_str().is_some_and(|u| u.starts_with("s2.") && !u.contains("/personal/"))), "{stored:?}");
    assert!(stored.iter().all(|r| r["webhook_secret"].as_str().is_some_and(|u| !u.contains(&secret))), "{stored:?}");
    let again = ana.api.get("/api/users/me/contact-preferences");
    assert!(!again.text.contains(&secret) && !again.text.contains("/personal/"), "{}", again.text);
    assert_eq!(again.json["repeat"], Value::Null);

    let (s, sub_id) = c.subscribe(&ana, "muted");
    let incident = c.fire(&svc.key, "personal-1", "critical");
    let got = c.rx.wait_for(&hook, 1, WAIT);
    assert_eq!(tocsin_domain::outbound::signature::verify(&secret, got[0].header("tocsin-signature").unwrap(), &got[0].body, now_ms() / 1000, 300), Ok(()));
    let ev = got[0].json();
    assert_eq!(ev["incident"]["id"], incident);
    assert!(ev["message"].as_str().unwrap().starts_with("You are paged"), "{ev}");
    // A page's messages (every device, the webhook) are queued together: with the webhook's
    // here, the page's deliveries are all known.
    let n = c.notifications(&incident);
    let channels: Vec<&str> = n["notifications"].as_array().unwrap().iter().flat_map(|p| p["deliveries"].as_array().unwrap().iter()).map(|d| d["channel"].as_str().unwrap()).collect();
    assert_eq!(channels, ["personal_webhook"], "push switched off: the device is not paged: {n}");
    assert_eq!(c.rx.received(&s.path).len(), 0, "push switched off: the device is not paged");
    // Back to push only; the stored URL is kept when only the kind is sent.
    let r = put(json!({"push": true, "webhook": null, "repeat": {"every_minutes": 10, "min_severity": "SEV2"}}));
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["webhook"], Value::Null);
    c.resolve(&incident);
    c.unsubscribe(&ana, &sub_id);
}

fn unsealed(_: &Ctx) {
    let inst = Instance::start_without_sealing_key("paging-unsealed");
    let admin = Api::setup(&inst.base, "Acme", "admin@example.com", "paging password", "Admin");
    let r = admin.get("/api/push/vapid-public-key");
    assert_eq!((r.status, r.code()), (503, "not_configured"), "{}", r.text);
    assert!(r.json["error"]["message"].as_str().unwrap().contains("TOCSIN_SECRET_KEY"), "{}", r.text);
    let r = admin.post("/api/webhook-destinations", json!({"name": "x", "kind": "slack", "url": "https://hooks.example.com/x", "events": ["incident.opened"]}));
    assert_eq!(r.status, 503, "nothing is stored in the clear instead: {}", r.text);
    assert_eq!(inst.d1("SELECT COUNT(*) AS n FROM webhook_destinations")[0]["n"], 0);
    // Incidents still work.
    let r = admin.post("/api/incidents", json!({"title": "Still works", "severity": "SEV3"}));
    assert_eq!(r.status, 201, "{}", r.text);
}

/// One Alertmanager notification whose group holds an alert firing and then the same alert
/// resolved (its order kept): the incident opens, its first step dispatches the page in its own
/// batch, and the payload's next alert resolves it. The claimed push is sent as of the
/// incident's status after the whole payload, so nobody is woken for it.
fn opened_and_resolved_at_once(c: &Ctx) {
    let (ana, svc) = c.on_call("Ana", "Flapping");
    let (s, _) = c.subscribe(&ana, "phone");
    let alert = |status: &str, ends: &str| {
        json!({"status": status, "fingerprint": "flap-1", "labels": {"alertname": "Flapping disk"}, "startsAt": "2026-12-05T10:00:00Z", "endsAt": ends})
    };
    let body = json!({"version": "4", "status": "resolved", "alerts": [alert("firing", "0001-01-01T00:00:00Z"), alert("resolved", "2026-12-05T10:01:00Z")]});
    let r = Api::new(&c.inst.base).post(&format!("/webhooks/alertmanager/{}", svc.key), body);
    assert_eq!(r.status, 202, "{}", r.text);
    let incident = r.json["alerts"][0]["incident_id"].as_str().expect("the incident it opened").to_string();
    assert_eq!(r.json["alerts"][1]["incident_id"], incident.as_str(), "{}", r.text);
    assert_eq!(c.admin().get(&format!("/api/incidents/{incident}")).json["incident"]["status"], "resolved");
    // The page's delivery, claimed by the step's batch before the payload's resolve, ends unsent
    // ("skipped": the incident was resolved).
    let rows = wait_for("the page's delivery settled", WAIT, || {
        let rows = c.push_deliveries(&ana, &incident);
        (!rows.is_empty() && rows.iter().all(|d| d["state"] != "pending")).then_some(rows)
    });
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["state"], "skipped", "{rows:?}");
    std::thread::sleep(Duration::from_millis(500));
    assert!(c.rx.received(&s.path).is_empty(), "a push for an incident resolved by the same payload");
}
