//! Paging end to end against wrangler dev: a local push service on 127.0.0.1 receives Web Push
//! requests, which the test decrypts with the subscription's private key (RFC 8291) and whose
//! VAPID header it verifies (RFC 8292); the payload's action token acknowledges the incident
//! without a session; 410 removes a subscription, 5xx is retried with backoff; repeats until
//! acknowledged; a webhook receiver checks Slack, Teams and signed generic bodies.

use serde_json::{json, Value};
use std::sync::OnceLock;
use std::time::Duration;
use tocsin_tests::receiver::{check_vapid, Receiver, TestSubscription};
use tocsin_tests::{Api, Instance};

const WAIT: Duration = Duration::from_secs(15);

struct Ctx {
    inst: Instance,
    rx: Receiver,
    world: OnceLock<World>,
}

#[derive(Clone)]
struct World {
    admin: std::sync::Arc<Api>,
    ana: std::sync::Arc<Api>,
    ana_id: String,
    key: String,
    service_id: String,
    other_key: String,
    other_service_id: String,
}

fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64
}

impl Ctx {
    fn world(&self) -> World {
        self.world
            .get_or_init(|| {
                let admin = Api::setup(&self.inst.base, "Acme", "admin@example.com", "paging password", "Admin");
                let r = admin.post("/api/users", json!({"email": "ana@example.com", "name": "Ana", "role": "responder", "password": "responder password"}));
                assert_eq!(r.status, 201, "{}", r.text);
                let ana_id = r.json["user"]["id"].as_str().unwrap().to_string();
                let ana = Api::new(&self.inst.base);
                assert_eq!(ana.post("/api/auth/login", json!({"email": "ana@example.com", "password": "responder password"})).status, 200);
                let p = admin.post("/api/escalation-policies", json!({"name": "Ana first", "repeats": 0, "levels": [
                    {"targets": [{"type": "user", "id": ana_id}], "delay_minutes": 30}]}));
                assert_eq!(p.status, 201, "{}", p.text);
                let service = |name: &str| {
                    let svc = admin.post("/api/services", json!({"name": name}));
                    assert_eq!(svc.status, 201, "{}", svc.text);
                    let sid = svc.json["id"].as_str().unwrap().to_string();
                    let r = admin.send("PUT", &format!("/api/services/{sid}/escalation-policy"), Some(json!({"policy_id": p.json["id"]}).to_string().into_bytes()), &[]);
                    assert_eq!(r.status, 200, "{}", r.text);
                    (sid, svc.json["integration_key"].as_str().unwrap().to_string())
                };
                let (service_id, key) = service("Checkout API");
                let (other_service_id, other_key) = service("Search");
                World { admin: admin.into(), ana: ana.into(), ana_id, key, service_id, other_key, other_service_id }
            })
            .clone()
    }

    fn fire(&self, key: &str, dedup: &str, severity: &str) -> String {
        let r = Api::new(&self.inst.base).post(&format!("/webhooks/generic/{key}"), json!({"summary": format!("Problem {dedup}"), "severity": severity, "dedup_key": dedup}));
        assert_eq!(r.status, 202, "{}", r.text);
        r.json["incident_id"].as_str().unwrap().to_string()
    }

    fn cron(&self, at_ms: i64) {
        let r = Api::new(&self.inst.base).get(&format!("/cdn-cgi/handler/scheduled?cron=*+*+*+*+*&time={at_ms}"));
        assert!(r.status < 300, "{} {}", r.status, r.text);
    }

    fn subscribe(&self, w: &World, name: &str) -> (TestSubscription, String) {
        let s = TestSubscription::new(&self.rx, name);
        let r = w.ana.post("/api/push/subscriptions", s.json(name));
        assert_eq!(r.status, 201, "{}", r.text);
        let id = r.json["id"].as_str().unwrap().to_string();
        (s, id)
    }

    fn unsubscribe(&self, w: &World, id: &str) {
        let r = w.ana.send("DELETE", &format!("/api/push/subscriptions/{id}"), None, &[]);
        assert!(r.status == 204 || r.status == 404, "{}", r.text);
    }
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
    let ctx = Ctx { inst: Instance::start("paging"), rx, world: OnceLock::new() };
    let tests: &[(&str, fn(&Ctx))] = &[
        ("vapid_key_and_subscriptions_are_validated", subscriptions),
        ("a_page_reaches_the_phone_encrypted_and_signed", page_reaches_phone),
        ("mozillas_http_ece_decrypts_and_cryptography_verifies_vapid", independent_reader),
        ("the_action_token_acknowledges_without_a_session", action_token),
        ("gone_subscriptions_are_removed", gone),
        ("server_errors_are_retried_with_backoff_and_bounded", retries),
        ("retries_stop_once_the_incident_is_acknowledged", retries_stop_on_ack),
        ("pages_repeat_until_acknowledged", repeats),
        ("test_notification_reaches_the_device", test_notification),
        ("webhooks_to_slack_teams_and_signed_generic", webhooks),
        ("contact_preferences_and_a_personal_webhook", preferences),
        ("without_the_sealing_secret_setup_works_and_paging_says_what_is_missing", unsealed),
    ];
    tocsin_tests::run_suite(ctx, tests, |c| eprintln!("--- wrangler log ---\n{}", c.inst.log()))
}

fn subscriptions(c: &Ctx) {
    let w = c.world();
    let k1 = w.ana.get("/api/push/vapid-public-key");
    assert_eq!(k1.status, 200, "{}", k1.text);
    let key = k1.json["public_key"].as_str().unwrap();
    let raw = base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, key).unwrap();
    assert_eq!((raw.len(), raw[0]), (65, 4), "an uncompressed P-256 point");
    assert_eq!(w.admin.get("/api/push/vapid-public-key").json["public_key"], key, "one key pair per organisation");
    assert_eq!(Api::new(&c.inst.base).get("/api/push/vapid-public-key").status, 401);

    let s = TestSubscription::new(&c.rx, "validate");
    let r = w.ana.post("/api/push/subscriptions", s.json("Pixel 9"));
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json["device"], "Pixel 9");
    assert_eq!(r.json["push_service"], c.rx.base);
    let again = w.ana.post("/api/push/subscriptions", s.json("Pixel 9 (renamed)"));
    assert_eq!((again.status, &again.json["id"]), (200, &r.json["id"]), "the same endpoint again is the same device: {}", again.text);
    let list = w.ana.get("/api/push/subscriptions");
    assert_eq!(list.json["devices"].as_array().unwrap().len(), 1, "{}", list.text);
    assert_eq!(list.json["devices"][0]["device"], "Pixel 9 (renamed)");
    assert!(!list.text.contains(&s.path), "the endpoint (a capability URL) is never shown back: {}", list.text);
    assert_eq!(w.admin.get("/api/push/subscriptions").json["devices"].as_array().unwrap().len(), 0, "devices are per person");

    let mut bad = s.json("x");
    bad["keys"]["p256dh"] = json!("AAAA");
    let r = w.ana.post("/api/push/subscriptions", bad);
    assert_eq!((r.status, r.field()), (400, "keys.p256dh"), "{}", r.text);
    let mut bad = s.json("x");
    bad["keys"]["auth"] = json!("c2hvcnQ");
    let r = w.ana.post("/api/push/subscriptions", bad);
    assert_eq!((r.status, r.field()), (400, "keys.auth"), "{}", r.text);
    let mut bad = s.json("x");
    bad["endpoint"] = json!("http://push.example.com/x");
    let r = w.ana.post("/api/push/subscriptions", bad);
    assert_eq!((r.status, r.field()), (400, "endpoint"), "plain http to another host is refused: {}", r.text);
    let r = w.ana.post("/api/push/subscriptions", json!({"endpoint": s.endpoint}));
    assert_eq!((r.status, r.field()), (400, "keys"), "{}", r.text);

    let dev = list.json["devices"][0]["id"].as_str().unwrap();
    assert_eq!(w.admin.send("DELETE", &format!("/api/push/subscriptions/{dev}"), None, &[]).status, 404, "not someone else's device");
    assert_eq!(w.ana.send("DELETE", &format!("/api/push/subscriptions/{dev}"), None, &[]).status, 204);
    assert_eq!(w.ana.send("DELETE", &format!("/api/push/subscriptions/{dev}"), None, &[]).status, 404);
}

fn page_reaches_phone(c: &Ctx) {
    let w = c.world();
    let (s, sub_id) = c.subscribe(&w, "phone");
    let vapid = w.ana.get("/api/push/vapid-public-key").json["public_key"].as_str().unwrap().to_string();
    let incident = c.fire(&w.key, "db-down", "critical");
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
    assert_eq!(p["service"], "Checkout API");
    assert_eq!(p["url"], format!("/incidents/{incident}"));
    assert!(p["title"].as_str().unwrap().contains("Problem db-down"), "{p}");
    let number = w.admin.get(&format!("/api/incidents/{incident}")).json["incident"]["number"].clone();
    assert_eq!(p["number"], number);
    assert!(p["token"].as_str().unwrap().starts_with("v1."), "{p}");

    // A SEV3 page may wait for a good moment.
    let low = c.fire(&w.key, "disk-80", "warning");
    let got = c.rx.wait_for(&s.path, 2, WAIT);
    let p = s.decrypt(&got[1]);
    assert_eq!(p["incident_id"], low);
    assert_eq!(got[1].header("urgency"), Some("normal"));

    // The delivery log has each attempt with the push service's answer.
    let d = w.ana.get("/api/push/deliveries");
    let rows = d.json["deliveries"].as_array().unwrap();
    let sent: Vec<&Value> = rows.iter().filter(|x| x["event"] == "page" && x["state"] == "sent").collect();
    assert!(sent.len() >= 2, "{}", d.text);
    assert_eq!(sent[0]["attempts"][0]["status"], 201);
    // The incident says whom it paged and that it reached the device.
    let n = w.admin.get(&format!("/api/incidents/{incident}/notifications"));
    let page = &n.json["notifications"][0];
    assert_eq!((page["user_name"].as_str(), page["state"].as_str()), (Some("Ana"), Some("dispatched")), "{}", n.text);
    assert_eq!(page["deliveries"][0]["device"], "phone", "{}", n.text);
    assert_eq!((page["deliveries"][0]["state"].as_str(), page["deliveries"][0]["status"].as_i64()), (Some("sent"), Some(201)));
    let dev = w.ana.get("/api/push/subscriptions");
    assert!(dev.json["devices"].as_array().unwrap().iter().any(|x| x["id"] == sub_id.as_str() && x["last_success_at"].is_string()), "{}", dev.text);
    w.admin.post(&format!("/api/incidents/{incident}/resolve"), json!({}));
    w.admin.post(&format!("/api/incidents/{low}/resolve"), json!({}));
    c.unsubscribe(&w, &sub_id);
}

/// The same page read by independent code (Mozilla's http_ece, the cryptography library).
fn independent_reader(c: &Ctx) {
    use base64::Engine;
    let b64 = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
    let w = c.world();
    let (s, sub_id) = c.subscribe(&w, "independent");
    let vapid = w.ana.get("/api/push/vapid-public-key").json["public_key"].as_str().unwrap().to_string();
    let incident = c.fire(&w.key, "independent-1", "critical");
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
    w.admin.post(&format!("/api/incidents/{incident}/resolve"), json!({}));
    c.unsubscribe(&w, &sub_id);
}

fn action_token(c: &Ctx) {
    let w = c.world();
    let (s, sub_id) = c.subscribe(&w, "lockscreen");
    let incident = c.fire(&w.key, "payments-5xx", "error");
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
    assert_eq!(w.admin.get(&format!("/api/incidents/{incident}")).json["incident"]["status"], "triggered");

    let r = anonymous.post("/api/actions/acknowledge", json!({"token": token}));
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!((r.json["changed"].as_bool(), r.json["incident"]["status"].as_str()), (Some(true), Some("acknowledged")));
    let d = w.admin.get(&format!("/api/incidents/{incident}"));
    assert_eq!(d.json["incident"]["acknowledged_by"]["name"], "Ana", "{}", d.text);
    assert_eq!(d.json["incident"]["acknowledged_by"]["id"], w.ana_id.as_str());
    assert!(d.text.contains("Acknowledged by Ana from a notification"), "{}", d.text);
    let again = anonymous.post("/api/actions/acknowledge", json!({"token": token}));
    assert_eq!((again.status, again.json["changed"].as_bool()), (200, Some(false)), "a retried tap is harmless: {}", again.text);
    w.admin.post(&format!("/api/incidents/{incident}/resolve"), json!({}));
    let late = anonymous.post("/api/actions/acknowledge", json!({"token": token}));
    assert_eq!(late.status, 409, "resolved already: {}", late.text);
    c.unsubscribe(&w, &sub_id);
}

fn gone(c: &Ctx) {
    let w = c.world();
    let (s, sub_id) = c.subscribe(&w, "expired");
    c.rx.answer(&s.path, &[410]);
    let incident = c.fire(&w.key, "gone-1", "critical");
    c.rx.wait_for(&s.path, 1, WAIT);
    tocsin_tests::wait_for("the subscription to be removed", WAIT, || {
        let l = w.ana.get("/api/push/subscriptions");
        (!l.json["devices"].as_array().unwrap().iter().any(|d| d["id"] == sub_id.as_str())).then_some(())
    });
    let d = w.ana.get("/api/push/deliveries");
    let row = d.json["deliveries"].as_array().unwrap().iter().find(|x| x["incident_id"] == incident.as_str()).cloned().unwrap();
    assert_eq!(row["state"], "gone", "{row}");
    assert_eq!(row["attempts"][0]["status"], 410);
    w.admin.post(&format!("/api/incidents/{incident}/resolve"), json!({}));
}

fn retries(c: &Ctx) {
    let w = c.world();
    let (s, sub_id) = c.subscribe(&w, "flaky");
    c.rx.answer(&s.path, &[503, 429]);
    let incident = c.fire(&w.key, "flaky-1", "error");
    c.rx.wait_for(&s.path, 1, WAIT);
    let state = || w.ana.get("/api/push/deliveries").json["deliveries"].as_array().unwrap().iter().find(|x| x["incident_id"] == incident.as_str()).cloned().unwrap();
    tocsin_tests::wait_for("the first attempt to be logged", WAIT, || (state()["attempts"].as_array().unwrap().len() == 1).then_some(()));
    assert_eq!(state()["state"], "pending", "a 503 is retried");
    let t0 = now_ms();
    c.cron(t0 + 10_000);
    assert_eq!(c.rx.received(&s.path).len(), 1, "not before the backoff (30 s)");
    c.cron(t0 + 31_000);
    c.rx.wait_for(&s.path, 2, WAIT);
    assert_eq!(state()["state"], "pending", "a 429 is retried too");
    c.cron(t0 + 31_000 + 121_000);
    c.rx.wait_for(&s.path, 3, WAIT);
    let row = state();
    assert_eq!(row["state"], "sent", "{row}");
    let statuses: Vec<i64> = row["attempts"].as_array().unwrap().iter().map(|a| a["status"].as_i64().unwrap()).collect();
    assert_eq!(statuses, [503, 429, 201]);
    // The same message each time: the decrypted payloads agree.
    let got = c.rx.received(&s.path);
    assert_eq!(s.decrypt(&got[0]), s.decrypt(&got[2]));
    w.admin.post(&format!("/api/incidents/{incident}/resolve"), json!({}));

    // Bounded: a push service that always fails is given up after 5 attempts.
    c.rx.answer(&s.path, &[500, 500, 500, 500, 500, 500]);
    let incident = c.fire(&w.key, "flaky-2", "error");
    c.rx.wait_for(&s.path, 4, WAIT);
    // The cron at each backoff step (30 s, 2 min, 10 min, 30 min): all within a page's hour.
    let mut t = now_ms();
    for wait in [31_000, 121_000, 601_000, 1_801_000, 1_801_000] {
        t += wait;
        c.cron(t);
    }
    let row = w.ana.get("/api/push/deliveries").json["deliveries"].as_array().unwrap().iter().find(|x| x["incident_id"] == incident.as_str()).cloned().unwrap();
    assert_eq!(row["state"], "failed", "{row}");
    assert_eq!(row["attempts"].as_array().unwrap().len(), 5, "{row}");
    assert_eq!(c.rx.received(&s.path).len(), 3 + 5);
    w.admin.post(&format!("/api/incidents/{incident}/resolve"), json!({}));
    c.unsubscribe(&w, &sub_id);
}

fn retries_stop_on_ack(c: &Ctx) {
    let w = c.world();
    let (s, sub_id) = c.subscribe(&w, "late");
    c.rx.answer(&s.path, &[503]);
    let incident = c.fire(&w.key, "late-1", "error");
    c.rx.wait_for(&s.path, 1, WAIT);
    let row = || w.ana.get("/api/push/deliveries").json["deliveries"].as_array().unwrap().iter().find(|x| x["incident_id"] == incident.as_str()).cloned().unwrap();
    tocsin_tests::wait_for("the failed attempt", WAIT, || (row()["state"] == "pending").then_some(()));
    assert_eq!(w.ana.post(&format!("/api/incidents/{incident}/acknowledge"), json!({})).status, 200);
    c.cron(now_ms() + 31_000);
    let r = row();
    assert_eq!(r["state"], "skipped", "a page is not retried once someone acknowledged: {r}");
    assert_eq!(r["attempts"][1]["outcome"], "not sent: the incident is acknowledged", "{r}");
    assert_eq!(c.rx.received(&s.path).len(), 1, "the phone does not ring again");
    w.admin.post(&format!("/api/incidents/{incident}/resolve"), json!({}));
    c.unsubscribe(&w, &sub_id);
}

fn repeats(c: &Ctx) {
    let w = c.world();
    let (s, sub_id) = c.subscribe(&w, "repeat");
    let opened = now_ms();
    let incident = c.fire(&w.key, "repeat-1", "critical");
    let first = s.decrypt(&c.rx.wait_for(&s.path, 1, WAIT)[0]);
    assert_eq!(first["renotify"], false);
    c.cron(opened + 4 * 60_000);
    assert_eq!(c.rx.received(&s.path).len(), 1, "SEV1 repeats every 5 minutes by default, not sooner");
    c.cron(opened + 5 * 60_000 + 1_000);
    let again = s.decrypt(&c.rx.wait_for(&s.path, 2, WAIT)[1]);
    assert_eq!((again["incident_id"].as_str(), again["renotify"].as_bool()), (Some(incident.as_str()), Some(true)));
    c.cron(opened + 5 * 60_000 + 1_000);
    assert_eq!(c.rx.received(&s.path).len(), 2, "the same minute again sends nothing new");
    let r = w.ana.post(&format!("/api/incidents/{incident}/acknowledge"), json!({}));
    assert_eq!(r.status, 200);
    c.cron(opened + 10 * 60_000 + 1_000);
    c.cron(opened + 15 * 60_000 + 1_000);
    assert_eq!(c.rx.received(&s.path).len(), 2, "acknowledged: no more repeats");
    // A SEV3 page is not repeated under the default rule.
    let low_at = now_ms();
    let low = c.fire(&w.key, "repeat-2", "warning");
    c.rx.wait_for(&s.path, 3, WAIT);
    c.cron(low_at + 20 * 60_000);
    assert_eq!(c.rx.received(&s.path).len(), 3);
    for i in [&incident, &low] {
        w.admin.post(&format!("/api/incidents/{i}/resolve"), json!({}));
    }
    c.unsubscribe(&w, &sub_id);
}

fn test_notification(c: &Ctx) {
    let w = c.world();
    // With no device at all, the page goes nowhere, and the incident says so.
    let nowhere = c.fire(&w.key, "nowhere-1", "warning");
    let n = tocsin_tests::wait_for("the page to be dispatched", WAIT, || {
        let n = w.admin.get(&format!("/api/incidents/{nowhere}/notifications"));
        (n.json["notifications"][0]["state"] == "dispatched").then_some(n)
    });
    assert_eq!(n.json["notifications"][0]["deliveries"], json!([]), "{}", n.text);
    w.admin.post(&format!("/api/incidents/{nowhere}/resolve"), json!({}));
    let (s, sub_id) = c.subscribe(&w, "test-button");
    let r = w.ana.post(&format!("/api/push/subscriptions/{sub_id}/test"), json!({}));
    assert_eq!(r.status, 202, "{}", r.text);
    let p = s.decrypt(&c.rx.wait_for(&s.path, 1, WAIT)[0]);
    assert_eq!(p["type"], "test");
    assert!(p.get("token").is_none(), "a test carries no action token: {p}");
    assert_eq!(w.admin.post(&format!("/api/push/subscriptions/{sub_id}/test"), json!({})).status, 404, "only your own devices");
    c.unsubscribe(&w, &sub_id);
}

fn webhooks(c: &Ctx) {
    let w = c.world();
    let events = json!(["incident.opened", "incident.acknowledged", "incident.resolved", "incident.note_added", "status_update.published"]);
    let create = |name: &str, kind: &str, path: &str, services: Value| {
        let r = w.admin.post("/api/webhook-destinations", json!({"name": name, "kind": kind, "url": c.rx.url(path), "events": events, "service_ids": services}));
        assert_eq!(r.status, 201, "{}", r.text);
        r
    };
    let slack = create("#incidents", "slack", "/hooks/slack/T000/B000/secretpart", json!([]));
    let teams = create("Ops channel", "teams", "/hooks/teams/workflow", json!([w.service_id]));
    let generic = create("Ticketing", "generic", "/hooks/generic", json!([]));
    let secret = generic.json["signing_secret"].as_str().unwrap().to_string();
    assert!(secret.len() > 30);
    assert!(slack.json.get("signing_secret").is_none(), "Slack destinations have no signing secret");
    assert_eq!(slack.json["destination"]["url_hint"], format!("{}/…part", c.rx.base));
    let list = w.admin.get("/api/webhook-destinations");
    assert_eq!(list.json["destinations"].as_array().unwrap().len(), 3);
    assert!(!list.text.contains(&secret) && !list.text.contains("secretpart") && !list.text.contains("/hooks/"), "secrets and URLs are never shown again: {}", list.text);
    assert_eq!(w.ana.get("/api/webhook-destinations").status, 403, "admins only");
    let r = w.admin.post("/api/webhook-destinations", json!({"name": "x", "kind": "irc", "url": "https://x.example", "events": events}));
    assert_eq!((r.status, r.field()), (400, "kind"), "{}", r.text);
    let r = w.admin.post("/api/webhook-destinations", json!({"name": "x", "kind": "slack", "url": "not a url", "events": events}));
    assert_eq!((r.status, r.field()), (400, "url"), "{}", r.text);
    let r = w.admin.post("/api/webhook-destinations", json!({"name": "x", "kind": "slack", "url": "https://x.example", "events": []}));
    assert_eq!((r.status, r.field()), (400, "events"), "{}", r.text);
    let r = w.admin.post("/api/webhook-destinations", json!({"name": "x", "kind": "slack", "url": "https://x.example", "events": events, "service_ids": ["nope"]}));
    assert_eq!((r.status, r.field()), (400, "service_ids"), "{}", r.text);

    // An incident on Checkout: opened → all three; a note; acknowledged; resolved.
    let incident = c.fire(&w.key, "hooks-1", "critical");
    let s = c.rx.wait_for("/hooks/slack", 1, WAIT);
    let body = s[0].json();
    assert_eq!(s[0].header("content-type"), Some("application/json"));
    assert!(body["text"].as_str().unwrap().contains("Problem hooks-1"), "{body}");
    assert_eq!(body["blocks"][0]["type"], "header");
    assert_eq!(body["blocks"][2]["elements"][0]["url"], c.inst.url(&format!("/incidents/{incident}")));
    let t = c.rx.wait_for("/hooks/teams", 1, WAIT);
    let card = &t[0].json()["attachments"][0];
    assert_eq!(card["contentType"], "application/vnd.microsoft.card.adaptive");
    assert_eq!(card["content"]["type"], "AdaptiveCard");
    let g = c.rx.wait_for("/hooks/generic", 1, WAIT);
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
    let r = w.ana.post(&format!("/api/incidents/{incident}/notes"), json!({"body": "Rolled back deploy 4821"}));
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(w.ana.post(&format!("/api/incidents/{incident}/notes"), json!({"body": "  "})).field(), "body");
    w.ana.post(&format!("/api/incidents/{incident}/acknowledge"), json!({}));
    w.ana.post(&format!("/api/incidents/{incident}/resolve"), json!({}));
    let g = c.rx.wait_for("/hooks/generic", 4, WAIT);
    let mine = |r: &&tocsin_tests::receiver::Received| r.json()["incident"]["id"] == incident.as_str();
    let kinds: Vec<String> = g.iter().filter(mine).map(|r| r.json()["type"].as_str().unwrap().to_string()).collect();
    for k in ["incident.opened", "incident.note_added", "incident.acknowledged", "incident.resolved"] {
        assert_eq!(kinds.iter().filter(|x| *x == k).count(), 1, "{k} exactly once: {kinds:?}");
    }
    let note = g.iter().map(|r| r.json()).find(|e| e["type"] == "incident.note_added").unwrap();
    assert_eq!((note["message"].as_str(), note["actor"].as_str()), (Some("Rolled back deploy 4821"), Some("Ana")));
    c.rx.wait_for("/hooks/slack", 4, WAIT);
    c.rx.wait_for("/hooks/teams", 4, WAIT);

    // Teams only wants Checkout: a Search incident goes to Slack and generic only.
    let search = c.fire(&w.other_key, "hooks-2", "warning");
    c.rx.wait_for("/hooks/generic", 5, WAIT);
    c.rx.wait_for("/hooks/slack", 5, WAIT);
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(c.rx.received("/hooks/teams").len(), 4, "the Teams destination is for Checkout only");
    let _ = &w.other_service_id;

    // A published status update.
    let r = w.admin.post("/api/status/incidents", json!({"name": "Search is slow", "impact": "minor", "body": "We are looking into slow searches."}));
    assert_eq!(r.status, 201, "{}", r.text);
    let upd = tocsin_tests::wait_for("the status update at the generic receiver", WAIT, || {
        c.rx.received("/hooks/generic").iter().map(|r| r.json()).find(|e| e["type"] == "status_update.published")
    });
    assert_eq!(upd["type"], "status_update.published", "{upd}");
    assert_eq!(upd["status_update"]["body"], "We are looking into slow searches.");

    // Send test; the delivery log shows the receivers' answers.
    let gid = generic.json["destination"]["id"].as_str().unwrap();
    let r = w.admin.post(&format!("/api/webhook-destinations/{gid}/test"), json!({}));
    assert_eq!(r.status, 202, "{}", r.text);
    let test = tocsin_tests::wait_for("the test message", WAIT, || c.rx.received("/hooks/generic").iter().map(|r| r.json()).find(|e| e["type"] == "test"));
    assert!(test["message"].as_str().unwrap().contains("sent by Admin"), "{test}");
    let log = tocsin_tests::wait_for("the test in the delivery log", WAIT, || {
        let l = w.admin.get(&format!("/api/webhook-destinations/{gid}/deliveries"));
        l.json["deliveries"].as_array().unwrap().iter().any(|d| d["event"] == "test" && d["state"] == "sent").then_some(l)
    });
    let rows = log.json["deliveries"].as_array().unwrap();
    assert_eq!(rows.len(), c.rx.received("/hooks/generic").len(), "one logged delivery per message received: {}", log.text);
    assert!(rows.iter().all(|r| r["state"] == "sent" && r["attempts"][0]["status"] == 201), "{}", log.text);
    assert!(!log.text.contains(&secret), "no secret in the log");
    let r = w.admin.get(&format!("/api/webhook-destinations/{}/deliveries", w.ana_id));
    assert_eq!(r.status, 404, "only destinations have a destination log (not a person's own deliveries): {}", r.text);

    // A deleted destination gets nothing more.
    let tid = teams.json["destination"]["id"].as_str().unwrap();
    assert_eq!(w.admin.send("DELETE", &format!("/api/webhook-destinations/{tid}"), None, &[]).status, 204);
    let before = c.rx.received("/hooks/generic").len();
    let another = c.fire(&w.key, "hooks-3", "warning");
    c.rx.wait_for("/hooks/generic", before + 1, WAIT);
    std::thread::sleep(Duration::from_millis(1000));
    assert_eq!(c.rx.received("/hooks/teams").len(), 4);
    for i in [&search, &another] {
        w.admin.post(&format!("/api/incidents/{i}/resolve"), json!({}));
    }
    assert!(!c.inst.log().contains(&secret), "the signing secret never reaches the logs");
    // Stored sealed: D1 holds neither the URLs nor the secrets nor the VAPID private key.
    for row in c.inst.d1("SELECT url, secret FROM webhook_destinations").into_iter().chain(c.inst.d1("SELECT vapid_private AS url, action_key AS secret FROM org_keys")) {
        for v in [&row["url"], &row["secret"]].into_iter().filter_map(|v| v.as_str()) {
            assert!(v.starts_with("s1.") && !v.contains("/hooks/") && !v.contains(&secret), "stored as {v}");
        }
    }
}

fn preferences(c: &Ctx) {
    let w = c.world();
    let p = w.ana.get("/api/users/me/contact-preferences");
    assert_eq!(p.status, 200, "{}", p.text);
    assert_eq!(p.json, json!({"push": true, "webhook": null, "repeat": {"every_minutes": 5, "min_severity": "SEV1"}}), "defaults: push, SEV1 repeats every 5 min");
    let put = |body: Value| w.ana.send("PUT", "/api/users/me/contact-preferences", Some(body.to_string().into_bytes()), &[]);
    let r = put(json!({"push": true, "repeat": {"every_minutes": 0, "min_severity": "SEV1"}}));
    assert_eq!((r.status, r.field()), (400, "repeat.every_minutes"), "{}", r.text);
    let r = put(json!({"push": true, "webhook": {"kind": "generic", "url": "nope"}}));
    assert_eq!((r.status, r.field()), (400, "webhook.url"), "{}", r.text);
    let r = put(json!({"push": false, "webhook": {"kind": "generic", "url": c.rx.url("/personal/ana")}, "repeat": null}));
    assert_eq!(r.status, 200, "{}", r.text);
    let secret = r.json["webhook"]["signing_secret"].as_str().expect("the personal webhook's secret, shown once").to_string();
    assert_eq!(r.json["webhook"]["url_hint"], format!("{}/…/ana", c.rx.base));
    let stored = c.inst.d1("SELECT webhook_url, webhook_secret FROM contact_preferences");
    assert!(stored.iter().all(|r| r["webhook_url"].as_str().is_some_and(|u| u.starts_with("s1.") && !u.contains("/personal/"))), "{stored:?}");
    assert!(stored.iter().all(|r| r["webhook_secret"].as_str().is_some_and(|u| !u.contains(&secret))), "{stored:?}");
    let again = w.ana.get("/api/users/me/contact-preferences");
    assert!(!again.text.contains(&secret) && !again.text.contains("/personal/"), "{}", again.text);
    assert_eq!(again.json["repeat"], Value::Null);

    let (s, sub_id) = c.subscribe(&w, "muted");
    let incident = c.fire(&w.key, "personal-1", "critical");
    let got = c.rx.wait_for("/personal/ana", 1, WAIT);
    assert_eq!(tocsin_domain::outbound::signature::verify(&secret, got[0].header("tocsin-signature").unwrap(), &got[0].body, now_ms() / 1000, 300), Ok(()));
    let ev = got[0].json();
    assert_eq!(ev["incident"]["id"], incident);
    assert!(ev["message"].as_str().unwrap().starts_with("You are paged"), "{ev}");
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(c.rx.received(&s.path).len(), 0, "push switched off: the device is not paged");
    // Back to push only; the stored URL is kept when only the kind is sent.
    let r = put(json!({"push": true, "webhook": null, "repeat": {"every_minutes": 10, "min_severity": "SEV2"}}));
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["webhook"], Value::Null);
    w.admin.post(&format!("/api/incidents/{incident}/resolve"), json!({}));
    c.unsubscribe(&w, &sub_id);
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
