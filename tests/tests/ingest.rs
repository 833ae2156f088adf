//! Alert ingestion end to end against a real `wrangler dev` + D1: PagerDuty Events v2, Opsgenie,
//! Alertmanager, Grafana, Datadog, CloudWatch via SNS and Sentry payloads shaped as their
//! documentation shows (tests/fixtures), with real signatures.

use base64::Engine;
use rsa::pkcs1v15::SigningKey;
use rsa::pkcs8::DecodePrivateKey;
use rsa::signature::{SignatureEncoding, Signer};
use serde_json::{json, Value};
use std::sync::{Arc, OnceLock};
use tocsin_domain::vendors::signature::hmac_sha256_hex;
use tocsin_tests::peer::Peer;
use tocsin_tests::{Api, Instance, Reply};

const CERT: &str = include_str!("../fixtures/sns/test-cert.pem");
const KEY: &str = include_str!("../fixtures/sns/test-key.pem");

struct Ctx {
    inst: Instance,
    peer: Peer,
    admin: OnceLock<Api>,
}

impl Ctx {
    fn admin(&self) -> &Api {
        self.admin.get_or_init(|| Api::setup(&self.inst.base, "Ingest", "ops@example.com", "ingest password", "Ops"))
    }

    /// A new service (its name made unique, so a test can run again or alone); returns (id,
    /// integration key).
    fn service(&self, name: &str, settings: Value) -> (String, String) {
        let mut body = settings;
        body["name"] = json!(tocsin_tests::unique(name));
        let r = self.admin().post("/api/services", body);
        assert_eq!(r.status, 201, "{}", r.text);
        (r.json["id"].as_str().unwrap().into(), r.json["integration_key"].as_str().unwrap().into())
    }

    fn post(&self, path: &str, body: &[u8], headers: &[(&str, &str)]) -> Reply {
        Api::new(&self.inst.base).send("POST", path, Some(body.to_vec()), headers)
    }

    fn incident(&self, id: &str) -> Value {
        let r = self.admin().get(&format!("/api/incidents/{id}"));
        assert_eq!(r.status, 200, "{}", r.text);
        r.json
    }

    fn incidents_of(&self, service_id: &str) -> Vec<Value> {
        self.admin().get(&format!("/api/incidents?service_id={service_id}&limit=100")).json["incidents"].as_array().unwrap().clone()
    }

    fn events_of(&self, service_id: &str) -> Vec<Value> {
        let r = self.admin().get(&format!("/api/services/{service_id}/integrations"));
        assert_eq!(r.status, 200, "{}", r.text);
        r.json["recent_events"].as_array().unwrap().clone()
    }
}

fn fixture(name: &str) -> Value {
    let path = tocsin_tests::instance::root().join("tests/fixtures").join(name);
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn main() {
    let peer = Peer::start(vec![("/cert.pem".into(), CERT.into()), ("/confirm".into(), "<ConfirmSubscriptionResponse/>".into())]);
    let inst = Instance::start_with("ingest", &[("SNS_TEST_URL_PREFIX", &peer.base), ("EVENTS_PER_MINUTE_PER_KEY", "120")]);
    let ctx = Ctx { inst, peer, admin: OnceLock::new() };
    let tests: &[(&str, fn(&Ctx))] = &[
        ("pagerduty_documented_trigger_then_acknowledge_and_resolve", pagerduty_lifecycle),
        ("pagerduty_trigger_without_dedup_key_gets_one", pagerduty_generates_key),
        ("pagerduty_invalid_events_unknown_key_and_too_large", pagerduty_errors),
        ("pagerduty_change_events_show_on_incidents", pagerduty_change_events),
        ("a_repeat_at_a_higher_severity_raises_the_incident", severity_raised_by_repeat),
        ("concurrent_identical_new_alerts_give_one_alert_and_incident", concurrent_identical),
        ("opsgenie_create_acknowledge_close_and_request_status", opsgenie_lifecycle),
        ("opsgenie_auth_and_validation", opsgenie_errors),
        ("alertmanager_each_alert_keyed_by_fingerprint", alertmanager_per_alert),
        ("grafana_signature_checked_when_secret_set", grafana_signed),
        ("datadog_template_secret_and_recovery", datadog_flow),
        ("sentry_signature_and_request_id_retries", sentry_flow),
        ("cloudwatch_sns_subscription_signature_and_alarms", cloudwatch_flow),
        ("cloudwatch_expected_topic_admits_only_that_topic", cloudwatch_expected_topic),
        ("grouping_time_window_and_by_field", grouping_rules),
        ("auto_resolve_can_be_switched_off", auto_resolve_off),
        ("integrations_panel_endpoints_and_event_log", integrations_panel),
        ("per_key_rate_limit_answers_429", rate_limited),
        ("refusals_count_against_the_rate_limit", refusals_rate_limited),
        ("sns_string_to_sign_follows_awss_documentation", aws_documented_string_to_sign),
        ("every_alert_in_a_payload_counts_and_payloads_are_capped", alerts_counted_and_capped),
        ("a_group_resolving_and_firing_at_once_keeps_its_incident", mixed_group_keeps_its_incident),
        ("opsgenie_action_by_id_applies_to_that_alert_only", opsgenie_by_id_in_the_transaction),
        ("cloudwatch_events_delivered_out_of_order_are_late_copies", late_copies),
    ];
    tocsin_tests::run_suite(ctx, tests, |c| eprintln!("--- wrangler log ---\n{}", c.inst.log()))
}

fn pd(c: &Ctx, body: Value) -> Reply {
    c.post("/v2/enqueue", body.to_string().as_bytes(), &[("Content-Type", "application/json")])
}

fn pagerduty_lifecycle(c: &Ctx) {
    let (sid, key) = c.service("PD service", json!({}));
    let mut trigger = fixture("pagerduty_trigger.json");
    trigger["routing_key"] = json!(key);
    let r = pd(c, trigger.clone());
    assert_eq!(r.status, 202, "{}", r.text);
    assert_eq!(r.json, json!({"status": "success", "message": "Event processed", "dedup_key": "samplekeyhere"}));
    let incidents = c.incidents_of(&sid);
    assert_eq!(incidents.len(), 1);
    let id = incidents[0]["id"].as_str().unwrap();
    let d = c.incident(id);
    assert_eq!(d["incident"]["severity"], "SEV4", "info → SEV4");
    let alert = &d["alerts"][0];
    assert_eq!(alert["vendor"], "pagerduty");
    assert_eq!(alert["source"], "monitoringtool:cloudvendor:central-region-dc-01:852559987:cluster/api-stats-prod-003");
    assert_eq!(alert["started_at"], "2015-07-17T08:42:58.315Z");
    assert_eq!(alert["details"]["ping time"], "1500ms");
    assert_eq!(alert["links"][0]["href"], "https://example.com/");
    assert!(alert["events"][0]["raw"].as_str().unwrap().contains("Example alert on host1.example.com"), "raw payload kept");
    // Retried delivery: counted, not duplicated.
    assert_eq!(pd(c, trigger).status, 202);
    assert_eq!(c.incidents_of(&sid).len(), 1);
    let ack = pd(c, json!({"routing_key": key, "event_action": "acknowledge", "dedup_key": "samplekeyhere"}));
    assert_eq!(ack.status, 202, "{}", ack.text);
    let d = c.incident(id);
    assert_eq!(d["incident"]["status"], "acknowledged");
    assert!(d["incident"]["acknowledged_by"]["name"].as_str().unwrap().starts_with("PagerDuty Events API (PD service"), "{}", d["incident"]["acknowledged_by"]);
    let res = pd(c, json!({"routing_key": key, "event_action": "resolve", "dedup_key": "samplekeyhere"}));
    assert_eq!(res.json["status"], "success");
    let d = c.incident(id);
    assert_eq!(d["incident"]["status"], "resolved");
    assert_eq!(d["alerts"][0]["event_count"], 2);
    let kinds: Vec<&str> = d["timeline"].as_array().unwrap().iter().map(|t| t["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["incident.triggered", "incident.acknowledged", "alert.resolved", "incident.resolved"]);
}

/// PagerDuty: the same dedup key "can change the severity of previous messages". A repeat at a
/// higher severity raises the alert and its incident (with a timeline row); a repeat at a lower
/// one lowers the alert only, and a responder's own lowering of the incident stands until the
/// source escalates again.
fn severity_raised_by_repeat(c: &Ctx) {
    let (sid, key) = c.service("Escalating source", json!({}));
    let event = |severity: &str| {
        json!({"routing_key": key, "event_action": "trigger", "dedup_key": "disk-db-7",
            "payload": {"summary": "Disk on db-7 filling", "source": "db-7", "severity": severity}})
    };
    let r = pd(c, event("warning"));
    assert_eq!(r.status, 202, "{}", r.text);
    let id = c.incidents_of(&sid)[0]["id"].as_str().unwrap().to_string();
    let state = || {
        let d = c.incident(&id);
        let raised = d["timeline"].as_array().unwrap().iter().filter(|t| t["kind"] == "incident.severity_changed" && t["message"].as_str().unwrap_or_default().starts_with("Severity raised")).count();
        (d["incident"]["severity"].as_str().unwrap().to_string(), d["alerts"][0]["severity"].as_str().unwrap().to_string(), raised, d)
    };
    assert_eq!(state().0, "SEV3");
    assert_eq!(pd(c, event("critical")).status, 202);
    let (incident, alert, raised, d) = state();
    assert_eq!((incident.as_str(), alert.as_str(), raised), ("SEV1", "critical", 1), "{d}");
    assert!(d.to_string().contains("Severity raised to SEV1"), "{d}");
    assert_eq!(pd(c, event("critical")).status, 202);
    assert_eq!(state().2, 1, "the same severity again raises nothing");
    assert_eq!(pd(c, event("warning")).status, 202);
    let (incident, alert, raised, _) = state();
    assert_eq!((incident.as_str(), alert.as_str(), raised), ("SEV1", "warning", 1), "a lower repeat lowers the alert, not the incident");
    let r = c.admin().patch(&format!("/api/incidents/{id}"), json!({"severity": "SEV4", "reason": "a warning on one disk, not an outage"}));
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(pd(c, event("warning")).status, 202);
    assert_eq!(state().0, "SEV4", "a responder's lowering stands while the source does not escalate");
    assert_eq!(pd(c, event("error")).status, 202);
    let (incident, _, raised, _) = state();
    assert_eq!((incident.as_str(), raised), ("SEV2", 2), "the source escalating raises it again");
}

fn pagerduty_generates_key(c: &Ctx) {
    let (sid, key) = c.service("PD keyless", json!({}));
    let body = json!({"routing_key": key, "event_action": "trigger", "payload": {"summary": "Queue stuck", "source": "worker-1", "severity": "error"}});
    let a = pd(c, body.clone());
    let b = pd(c, body);
    let (ka, kb) = (a.json["dedup_key"].as_str().unwrap(), b.json["dedup_key"].as_str().unwrap());
    assert!(!ka.is_empty() && ka != kb, "each keyless trigger is a new alert, as with PagerDuty");
    assert_eq!(c.incidents_of(&sid).len(), 2);
    let r = pd(c, json!({"routing_key": key, "event_action": "resolve", "dedup_key": ka}));
    assert_eq!(r.status, 202);
    let open: Vec<_> = c.incidents_of(&sid).into_iter().filter(|i| i["status"] != "resolved").collect();
    assert_eq!(open.len(), 1);
}

fn pagerduty_errors(c: &Ctx) {
    let (sid, key) = c.service("PD errors", json!({}));
    let r = pd(c, json!({"routing_key": key, "event_action": "trigger", "payload": {"summary": "x", "severity": "fatal"}}));
    assert_eq!(r.status, 400);
    assert_eq!(r.json["status"], "invalid event");
    assert_eq!(r.json["message"], "Event object is invalid");
    let errors: Vec<&str> = r.json["errors"].as_array().unwrap().iter().map(|e| e.as_str().unwrap()).collect();
    assert!(errors.iter().any(|e| e.starts_with("'payload.source'")), "{errors:?}");
    assert!(errors.iter().any(|e| e.starts_with("'payload.severity' is invalid")), "{errors:?}");
    let bad_key = pd(c, json!({"routing_key": "0000000000000000000000000000dead", "event_action": "trigger",
        "payload": {"summary": "x", "source": "y", "severity": "info"}}));
    assert_eq!((bad_key.status, bad_key.json["errors"][0].as_str()), (400, Some("Invalid routing key")));
    let big = format!(r#"{{"routing_key":"{key}","event_action":"trigger","payload":{{"summary":"x","source":"y","severity":"info","custom_details":{{"b":"{}"}}}}}}"#, "a".repeat(520 * 1024));
    let r = c.post("/v2/enqueue", big.as_bytes(), &[]);
    assert_eq!(r.status, 413, "{}", r.text);
    assert_eq!(r.json["status"], "invalid event");
    assert!(c.incidents_of(&sid).is_empty());
    let log = c.events_of(&sid);
    assert_eq!(log[0]["result"], "rejected", "refused events are logged with why: {log:?}");
    assert!(log[0]["message"].as_str().unwrap().contains("payload.severity"));
}

fn pagerduty_change_events(c: &Ctx) {
    let (sid, key) = c.service("PD changes", json!({}));
    let r = c.post(
        "/v2/change/enqueue",
        json!({"routing_key": key, "payload": {"summary": "Deployed checkout v2.14.0", "source": "github-actions",
            "custom_details": {"commit": "4f2a9c1"}}, "links": [{"href": "https://ci.example.com/runs/812", "text": "CI run"}]}).to_string().as_bytes(),
        &[],
    );
    assert_eq!(r.status, 202, "{}", r.text);
    assert_eq!(r.json, json!({"status": "success", "message": "Change event processed"}));
    let fired = pd(c, json!({"routing_key": key, "event_action": "trigger", "dedup_key": "after-deploy",
        "payload": {"summary": "Checkout errors after deploy", "source": "prom", "severity": "critical"}}));
    assert_eq!(fired.status, 202);
    let id = c.incidents_of(&sid)[0]["id"].as_str().unwrap().to_string();
    let d = c.incident(&id);
    assert_eq!(d["recent_changes"][0]["summary"], "Deployed checkout v2.14.0");
    assert_eq!(d["recent_changes"][0]["links"][0]["text"], "CI run");
    let panel = c.admin().get(&format!("/api/services/{sid}/integrations"));
    assert_eq!(panel.json["recent_changes"][0]["details"]["commit"], "4f2a9c1");
}

fn concurrent_identical(c: &Ctx) {
    let (sid, key) = c.service("Concurrent", json!({}));
    let body = json!({"routing_key": key, "event_action": "trigger", "dedup_key": "same-instant",
        "payload": {"summary": "Everything is on fire", "source": "prom", "severity": "critical"}})
    .to_string();
    let replies = enqueue_at_once(c, vec![body; 8]);
    assert!(replies.iter().all(|r| r.status == 202), "all eight get a 2xx: {replies:?}");
    let incidents = c.incidents_of(&sid);
    assert_eq!(incidents.len(), 1, "exactly one incident");
    let d = c.incident(incidents[0]["id"].as_str().unwrap());
    assert_eq!(d["alerts"].as_array().unwrap().len(), 1, "exactly one alert");
    assert_eq!(d["alerts"][0]["event_count"], 8);
    let mut results: Vec<String> = c.events_of(&sid).iter().map(|e| e["result"].as_str().unwrap().to_string()).collect();
    results.sort();
    let mut want = vec!["deduplicated".to_string(); 7];
    want.push("opened".into());
    assert_eq!(results, want, "one opened it, seven were counted on it");

    // A burst of different alerts and each one's repeat, all at once: each key one alert and
    // one incident, every repeat counted.
    let (sid, key) = c.service("Burst", json!({}));
    let bodies = (0..24)
        .map(|i| {
            json!({"routing_key": key, "event_action": "trigger", "dedup_key": format!("burst-{}", i % 12),
                "payload": {"summary": format!("Burst {}", i % 12), "source": "prom", "severity": "error"}})
            .to_string()
        })
        .collect();
    let replies = enqueue_at_once(c, bodies);
    assert!(replies.iter().all(|r| r.status == 202), "{replies:?}");
    let incidents = c.incidents_of(&sid);
    assert_eq!(incidents.len(), 12, "one incident per dedup key");
    for i in &incidents {
        let d = c.incident(i["id"].as_str().unwrap());
        assert_eq!((d["alerts"].as_array().unwrap().len(), &d["alerts"][0]["event_count"]), (1, &json!(2)), "one alert, its repeat counted: {d}");
    }
}

/// Sends each body to `/v2/enqueue` from its own thread, all released at the same instant.
fn enqueue_at_once(c: &Ctx, bodies: Vec<String>) -> Vec<Reply> {
    let barrier = Arc::new(std::sync::Barrier::new(bodies.len()));
    let handles: Vec<_> = bodies
        .into_iter()
        .map(|body| {
            let (base, barrier) = (c.inst.base.clone(), barrier.clone());
            std::thread::spawn(move || {
                let api = Api::new(&base);
                barrier.wait();
                api.send("POST", "/v2/enqueue", Some(body.into_bytes()), &[])
            })
        })
        .collect();
    handles.into_iter().map(|h| h.join().unwrap()).collect()
}

fn og(c: &Ctx, method: &str, path: &str, key: &str, body: Option<Value>) -> Reply {
    let auth = format!("GenieKey {key}");
    Api::new(&c.inst.base).send(method, path, body.map(|b| b.to_string().into_bytes()), &[("Authorization", &auth)])
}

fn opsgenie_lifecycle(c: &Ctx) {
    let (sid, key) = c.service("Opsgenie service", json!({}));
    let r = og(c, "POST", "/v2/alerts", &key, Some(fixture("opsgenie_create.json")));
    assert_eq!(r.status, 202, "{}", r.text);
    assert_eq!(r.json["result"], "Request will be processed");
    assert!(r.json["took"].is_number());
    let request_id = r.json["requestId"].as_str().unwrap();
    let status = og(c, "GET", &format!("/v2/alerts/requests/{request_id}"), &key, None);
    assert_eq!(status.status, 200, "{}", status.text);
    let data = &status.json["data"];
    assert_eq!((data["success"].as_bool(), data["action"].as_str(), data["status"].as_str()), (Some(true), Some("Create"), Some("Created alert")));
    assert_eq!(data["alias"], "Life is too short for no alias");
    assert_eq!(data["integrationId"], sid.as_str());
    let alert_id = data["alertId"].as_str().unwrap().to_string();
    let incidents = c.incidents_of(&sid);
    assert_eq!(incidents[0]["severity"], "SEV1", "P1 → SEV1");
    let iid = incidents[0]["id"].as_str().unwrap().to_string();
    let ack = og(c, "POST", "/v2/alerts/Life%20is%20too%20short%20for%20no%20alias/acknowledge?identifierType=alias", &key, Some(json!({"user": "Monitoring Script", "note": "on it"})));
    assert_eq!(ack.status, 202, "{}", ack.text);
    assert_eq!(c.incident(&iid)["incident"]["status"], "acknowledged");
    let close = og(c, "POST", &format!("/v2/alerts/{alert_id}/close"), &key, None);
    assert_eq!(close.status, 202);
    let closed = og(c, "GET", &format!("/v2/alerts/requests/{}", close.json["requestId"].as_str().unwrap()), &key, None);
    assert_eq!(closed.json["data"]["status"], "Closed alert");
    assert_eq!(c.incident(&iid)["incident"]["status"], "resolved");
    let again = og(c, "POST", &format!("/v2/alerts/{alert_id}/close"), &key, None);
    let again = og(c, "GET", &format!("/v2/alerts/requests/{}", again.json["requestId"].as_str().unwrap()), &key, None);
    assert_eq!(again.json["data"]["success"], false, "closing a closed alert is reported, not applied twice");
    // The alias fires again: a new alert. Closing the old one by its id leaves the new one open.
    let reopened = og(c, "POST", "/v2/alerts", &key, Some(fixture("opsgenie_create.json")));
    let reopened = og(c, "GET", &format!("/v2/alerts/requests/{}", reopened.json["requestId"].as_str().unwrap()), &key, None);
    assert_ne!(reopened.json["data"]["alertId"].as_str(), Some(alert_id.as_str()), "{}", reopened.text);
    let stale = og(c, "POST", &format!("/v2/alerts/{alert_id}/close"), &key, None);
    let stale = og(c, "GET", &format!("/v2/alerts/requests/{}", stale.json["requestId"].as_str().unwrap()), &key, None);
    assert_eq!(stale.json["data"]["success"], false, "{}", stale.text);
    let open: Vec<Value> = c.incidents_of(&sid).into_iter().filter(|i| i["status"] == "triggered").collect();
    assert_eq!(open.len(), 1, "the newer alert's incident stays open: {open:?}");
    let acked = og(c, "GET", &format!("/v2/alerts/requests/{}", ack.json["requestId"].as_str().unwrap()), &key, None);
    let data = &acked.json["data"];
    assert_eq!((data["success"].as_bool(), data["action"].as_str(), data["status"].as_str()), (Some(true), Some("Acknowledge"), Some("Acknowledged alert")), "{}", acked.text);
    assert_eq!((data["alertId"].as_str(), data["alias"].as_str()), (Some(alert_id.as_str()), Some("Life is too short for no alias")));
    // An id that names no alert of the service: accepted, reported as failed, and on the
    // service's event log as ignored.
    let unknown = og(c, "POST", "/v2/alerts/no-such-alert/close", &key, None);
    assert_eq!(unknown.status, 202, "{}", unknown.text);
    let unknown = og(c, "GET", &format!("/v2/alerts/requests/{}", unknown.json["requestId"].as_str().unwrap()), &key, None);
    let data = &unknown.json["data"];
    assert_eq!((data["success"].as_bool(), data["action"].as_str(), data["alertId"].as_str()), (Some(false), Some("Close"), Some("")), "{}", unknown.text);
    // Another service's key does not see this service's requests.
    let (_, other_key) = c.service("Opsgenie other", json!({}));
    assert_eq!(og(c, "GET", &format!("/v2/alerts/requests/{request_id}"), &other_key, None).status, 404);
}

fn opsgenie_errors(c: &Ctx) {
    let (_, key) = c.service("Opsgenie errors", json!({}));
    let r = og(c, "POST", "/v2/alerts", "not-a-key", Some(json!({"message": "x"})));
    assert_eq!(r.status, 401);
    assert!(r.json["requestId"].is_string() && r.json["took"].is_number());
    let r = Api::new(&c.inst.base).post("/v2/alerts", json!({"message": "x"}));
    assert_eq!(r.status, 401, "no GenieKey header");
    let r = og(c, "POST", "/v2/alerts", &key, Some(json!({"alias": "no message"})));
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(r.json["errors"]["message"], "Message can not be empty.");
    let r = og(c, "GET", "/v2/alerts/requests/unknown", &key, None);
    assert_eq!(r.status, 404);
    let r = og(c, "POST", "/v2/alerts/x/close?identifierType=name", &key, None);
    assert_eq!(r.status, 422);
}

fn alertmanager_per_alert(c: &Ctx) {
    let (sid, key) = c.service("Prometheus", json!({}));
    let path = format!("/webhooks/alertmanager/{key}");
    let mut payload = fixture("alertmanager.json");
    // First both alerts fire in one group notification.
    payload["alerts"][1]["status"] = json!("firing");
    payload["alerts"][1]["endsAt"] = json!("0001-01-01T00:00:00Z");
    let r = c.post(&path, payload.to_string().as_bytes(), &[]);
    assert_eq!(r.status, 202, "{}", r.text);
    let results: Vec<&str> = r.json["alerts"].as_array().unwrap().iter().map(|a| a["result"].as_str().unwrap()).collect();
    assert_eq!(results, ["opened", "opened"]);
    assert_eq!(c.incidents_of(&sid).len(), 2, "two alerts (grouping none) → two incidents");
    // Then the group notification says db-2 resolved while db-1 keeps firing.
    let r = c.post(&path, fixture("alertmanager.json").to_string().as_bytes(), &[]);
    let results: Vec<&str> = r.json["alerts"].as_array().unwrap().iter().map(|a| a["result"].as_str().unwrap()).collect();
    assert_eq!(results, ["deduplicated", "resolved"]);
    let incidents = c.incidents_of(&sid);
    let status_of = |title: &str| incidents.iter().find(|i| i["title"] == title).unwrap()["status"].as_str().unwrap().to_string();
    assert_eq!(status_of("Disk on db-1 is 95% full"), "triggered");
    assert_eq!(status_of("Disk on db-2 is 85% full"), "resolved");
    let firing = incidents.iter().find(|i| i["title"] == "Disk on db-1 is 95% full").unwrap();
    let d = c.incident(firing["id"].as_str().unwrap());
    assert_eq!(d["alerts"][0]["dedup_key"], "b1c0ad3b5a9f1c2e");
    assert_eq!(d["alerts"][0]["started_at"], "2026-11-24T10:00:00Z", "startsAt kept for time-to-detect");
    assert_eq!(d["alerts"][0]["event_count"], 2);
    assert_eq!(d["incident"]["severity"], "SEV1");
    let bad = c.post(&path, br#"{"version":"4","alerts":[{"status":"firing"}]}"#, &[]);
    assert_eq!((bad.status, bad.field()), (400, "alerts[0].fingerprint"), "{}", bad.text);
}

fn grafana_signed(c: &Ctx) {
    let secret = "grafana-shared-secret-123";
    let (sid, key) = c.service("Grafana", json!({"webhook_secret": secret}));
    let svc = c.admin().get(&format!("/api/services/{sid}"));
    assert_eq!(svc.json["webhook_secret_set"], true);
    assert!(!svc.text.contains(secret), "the secret is never returned");
    let path = format!("/webhooks/grafana/{key}");
    let body = fixture("grafana.json").to_string();
    let r = c.post(&path, body.as_bytes(), &[]);
    assert_eq!(r.status, 401, "unsigned → 401: {}", r.text);
    let r = c.post(&path, body.as_bytes(), &[("X-Grafana-Alerting-Signature", &hmac_sha256_hex(b"wrong-secret-000000", body.as_bytes()))]);
    assert_eq!(r.status, 401, "wrong signature → 401");
    assert!(c.incidents_of(&sid).is_empty());
    let sig = hmac_sha256_hex(secret.as_bytes(), body.as_bytes());
    let r = c.post(&path, body.as_bytes(), &[("X-Grafana-Alerting-Signature", &sig)]);
    assert_eq!(r.status, 202, "{}", r.text);
    let id = c.incidents_of(&sid)[0]["id"].as_str().unwrap().to_string();
    let d = c.incident(&id);
    assert_eq!(d["alerts"][0]["details"]["values"]["B"], 92.3);
    let links: Vec<&str> = d["alerts"][0]["links"].as_array().unwrap().iter().map(|l| l["text"].as_str().unwrap()).collect();
    assert_eq!(links, ["Dashboard", "Panel", "Alert rule", "Silence"]);
    let results: Vec<String> = c.events_of(&sid).iter().map(|e| e["result"].as_str().unwrap().to_string()).collect();
    assert_eq!(results, ["opened", "rejected", "rejected"]);
}

fn datadog_flow(c: &Ctx) {
    let secret = "datadog-header-secret-42";
    let (sid, key) = c.service("Datadog", json!({"webhook_secret": secret}));
    let path = format!("/webhooks/datadog/{key}");
    let body = fixture("datadog.json");
    assert_eq!(c.post(&path, body.to_string().as_bytes(), &[]).status, 401);
    let r = c.post(&path, body.to_string().as_bytes(), &[("X-Tocsin-Webhook-Secret", "datadog-header-secret-43")]);
    assert_eq!((r.status, r.code()), (401, "unauthenticated"), "a wrong secret is refused: {}", r.text);
    assert!(c.incidents_of(&sid).is_empty(), "and opened nothing");
    let rejected: Vec<String> = c.events_of(&sid).iter().map(|e| e["result"].as_str().unwrap().to_string()).collect();
    assert_eq!(rejected, ["rejected", "rejected"], "both refusals are in the event log");
    let r = c.post(&path, body.to_string().as_bytes(), &[("X-Tocsin-Webhook-Secret", secret)]);
    assert_eq!(r.status, 202, "{}", r.text);
    assert_eq!(r.json["result"], "opened");
    let mut recovered = body.clone();
    recovered["alert_transition"] = json!("Recovered");
    let r = c.post(&path, recovered.to_string().as_bytes(), &[("X-Tocsin-Webhook-Secret", secret)]);
    assert_eq!(r.json["result"], "resolved", "{}", r.text);
    assert_eq!(c.incidents_of(&sid)[0]["status"], "resolved");
}

fn sentry_flow(c: &Ctx) {
    let secret = "sentry-client-secret-abcdef";
    let (sid, key) = c.service("Sentry", json!({"webhook_secret": secret}));
    let path = format!("/webhooks/sentry/{key}");
    let body = fixture("sentry_event_alert.json").to_string();
    let sig = hmac_sha256_hex(secret.as_bytes(), body.as_bytes());
    let headers = [("Sentry-Hook-Resource", "event_alert"), ("Sentry-Hook-Signature", sig.as_str()), ("Request-ID", "req-0001")];
    let first = c.post(&path, body.as_bytes(), &headers);
    assert_eq!(first.status, 202, "{}", first.text);
    let retry = c.post(&path, body.as_bytes(), &headers);
    assert_eq!((retry.status, &retry.json), (202, &first.json), "a retry gets the first answer");
    let id = c.incidents_of(&sid)[0]["id"].as_str().unwrap().to_string();
    assert_eq!(c.incident(&id)["alerts"][0]["event_count"], 1, "and is not applied twice");
    let bad = c.post(&path, body.as_bytes(), &[("Sentry-Hook-Resource", "event_alert"), ("Sentry-Hook-Signature", "00ff")]);
    assert_eq!(bad.status, 401);
    let metric = fixture("sentry_metric_alert.json").to_string();
    let sig = hmac_sha256_hex(secret.as_bytes(), metric.as_bytes());
    let r = c.post(&path, metric.as_bytes(), &[("Sentry-Hook-Resource", "metric_alert"), ("Sentry-Hook-Signature", &sig)]);
    assert_eq!(r.json["result"], "opened", "{}", r.text);
    let resolved = metric.replace("\"action\":\"critical\"", "\"action\":\"resolved\"");
    let sig = hmac_sha256_hex(secret.as_bytes(), resolved.as_bytes());
    let r = c.post(&path, resolved.as_bytes(), &[("Sentry-Hook-Resource", "metric_alert"), ("Sentry-Hook-Signature", &sig)]);
    assert_eq!(r.json["result"], "resolved", "{}", r.text);
}

/// The string SNS signs, built as AWS documents it ("Verifying the signatures of Amazon SNS
/// messages"): for a Notification the fields Message, MessageId, Subject (only when present),
/// Timestamp, TopicArn, Type; for (Un)SubscriptionConfirmation Message, MessageId, SubscribeURL,
/// Timestamp, Token, TopicArn, Type — each as "name\nvalue\n", in that byte order. Written here
/// from the documentation, independently of `cloudwatch::string_to_sign`, so that the worker's
/// verification is checked against AWS's rule and not against itself.
fn aws_string_to_sign(msg: &Value) -> String {
    let fields: &[&str] = if msg["Type"] == "Notification" {
        &["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"]
    } else {
        &["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"]
    };
    fields
        .iter()
        .filter_map(|f| msg[*f].as_str().map(|v| format!("{f}\n{v}\n")))
        .collect()
}

/// The independent string-to-sign above against AWS's layout, written out by hand.
fn aws_documented_string_to_sign(_: &Ctx) {
    // The AWS documentation's own layout, written out by hand for a Notification with and
    // without a Subject.
    let with = json!({"Type": "Notification", "MessageId": "m-1", "TopicArn": "arn:t", "Subject": "S", "Message": "hello", "Timestamp": "2026-01-01T00:00:00.000Z"});
    assert_eq!(aws_string_to_sign(&with), "Message\nhello\nMessageId\nm-1\nSubject\nS\nTimestamp\n2026-01-01T00:00:00.000Z\nTopicArn\narn:t\nType\nNotification\n");
    let mut without = with.clone();
    without.as_object_mut().unwrap().remove("Subject");
    assert_eq!(aws_string_to_sign(&without), "Message\nhello\nMessageId\nm-1\nTimestamp\n2026-01-01T00:00:00.000Z\nTopicArn\narn:t\nType\nNotification\n");
}

/// Signs an SNS envelope the way SNS does (AWS's documented string to sign), with the test
/// certificate's key.
fn sns_sign(mut msg: Value, version: &str, cert_url: &str) -> String {
    // Sent now (SNS messages older than 5 minutes are refused as replays).
    msg["Timestamp"] = json!(tocsin_tests::ms_rfc3339(tocsin_tests::now_ms()));
    sns_sign_as_is(msg, version, cert_url)
}

/// Signs an SNS envelope keeping its `Timestamp`.
fn sns_sign_as_is(mut msg: Value, version: &str, cert_url: &str) -> String {
    msg["SignatureVersion"] = json!(version);
    msg["SigningCertURL"] = json!(cert_url);
    msg["Signature"] = json!("unsigned");
    let text = aws_string_to_sign(&msg);
    let key = rsa::RsaPrivateKey::from_pkcs8_pem(KEY).unwrap();
    let sig = match version {
        "1" => SigningKey::<sha1::Sha1>::new(key).sign(text.as_bytes()).to_vec(),
        _ => SigningKey::<sha2::Sha256>::new(key).sign(text.as_bytes()).to_vec(),
    };
    msg["Signature"] = json!(base64::engine::general_purpose::STANDARD.encode(sig));
    msg.to_string()
}

fn cloudwatch_flow(c: &Ctx) {
    let (sid, key) = c.service("AWS", json!({}));
    let path = format!("/webhooks/cloudwatch/{key}");
    let cert_url = format!("{}cert.pem", c.peer.base);
    let confirm_url = format!("{}confirm?Action=ConfirmSubscription&Token=tok123", c.peer.base);
    let sub = json!({"Type": "SubscriptionConfirmation", "MessageId": "165545c9-2a5c-472c-8df2-7ff2be2b3b1b", "Token": "tok123",
        "TopicArn": "arn:aws:sns:eu-west-1:123456789012:tocsin-alarms",
        "Message": "You have chosen to subscribe to the topic arn:aws:sns:eu-west-1:123456789012:tocsin-alarms.",
        "SubscribeURL": confirm_url, "Timestamp": "2026-11-24T09:00:00.000Z"});
    let r = c.post(&path, sns_sign(sub, "1", &cert_url).as_bytes(), &[("x-amz-sns-message-type", "SubscriptionConfirmation")]);
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["status"], "confirmed");
    assert!(c.peer.hits().iter().any(|h| h.starts_with("/confirm?Action=ConfirmSubscription&Token=tok123")), "{:?}", c.peer.hits());
    let panel = c.admin().get(&format!("/api/services/{sid}/integrations"));
    assert_eq!(panel.json["sns_subscriptions"][0]["status"], "confirmed");
    let alarm = fixture("sns_notification.json");
    let r = c.post(&path, sns_sign(alarm.clone(), "1", &cert_url).as_bytes(), &[]);
    assert_eq!(r.status, 202, "{}", r.text);
    assert_eq!(r.json["alerts"][0]["result"], "opened");
    let mut tampered: Value = serde_json::from_str(&sns_sign(alarm.clone(), "2", &cert_url)).unwrap();
    tampered["Message"] = json!(tampered["Message"].as_str().unwrap().replace("\"NewStateValue\":\"ALARM\"", "\"NewStateValue\":\"OK\""));
    let r = c.post(&path, tampered.to_string().as_bytes(), &[]);
    assert_eq!(r.status, 401, "a tampered message is refused: {}", r.text);
    let foreign = sns_sign(alarm.clone(), "1", "https://evil.example.com/cert.pem");
    assert_eq!(c.post(&path, foreign.as_bytes(), &[]).status, 401, "certificates only from SNS hosts");
    let mut ok = alarm;
    ok["Message"] = json!(ok["Message"].as_str().unwrap().replace("\"NewStateValue\":\"ALARM\"", "\"NewStateValue\":\"OK\""));
    let r = c.post(&path, sns_sign(ok, "2", &cert_url).as_bytes(), &[]);
    assert_eq!(r.json["alerts"][0]["result"], "resolved", "{}", r.text);
    let incidents = c.incidents_of(&sid);
    assert_eq!(incidents.len(), 1);
    assert_eq!(incidents[0]["status"], "resolved");
    // SNS leaves Subject out when the publisher gave none: the string to sign has no Subject line.
    let mut no_subject = fixture("sns_notification.json");
    no_subject.as_object_mut().unwrap().remove("Subject");
    no_subject["MessageId"] = json!("0c8a7d1e-no-subject");
    no_subject["Message"] = json!(no_subject["Message"].as_str().unwrap().replace("checkout-5xx", "checkout-latency"));
    let r = c.post(&path, sns_sign(no_subject.clone(), "2", &cert_url).as_bytes(), &[]);
    assert_eq!(r.status, 202, "a Notification without Subject, signed as AWS documents: {}", r.text);
    assert_eq!(r.json["alerts"][0]["result"], "opened", "{}", r.text);
    // And one signed over a string that (wrongly) includes an empty Subject is refused.
    let mut wrong: Value = serde_json::from_str(&sns_sign(no_subject.clone(), "2", &cert_url)).unwrap();
    wrong["MessageId"] = json!("0c8a7d1e-wrong-string");
    let mut text = aws_string_to_sign(&wrong);
    text = text.replacen("Timestamp\n", "Subject\n\nTimestamp\n", 1);
    let key = rsa::RsaPrivateKey::from_pkcs8_pem(KEY).unwrap();
    wrong["Signature"] = json!(base64::engine::general_purpose::STANDARD.encode(SigningKey::<sha2::Sha256>::new(key).sign(text.as_bytes()).to_vec()));
    assert_eq!(c.post(&path, wrong.to_string().as_bytes(), &[]).status, 401, "signed over another string");
    // Replays: a correctly signed message sent over 5 minutes ago is refused.
    let mut old = fixture("sns_notification.json");
    old["MessageId"] = json!("0c8a7d1e-old");
    old["Timestamp"] = json!(tocsin_tests::ms_rfc3339(tocsin_tests::now_ms() - 6 * 60_000));
    let r = c.post(&path, sns_sign_as_is(old, "2", &cert_url).as_bytes(), &[]);
    assert_eq!(r.status, 401, "a 6-minute-old message: {}", r.text);
    // The topic is pinned: a correctly signed message from another account's topic is refused,
    // and so is a confirmation that would add it.
    // Certificates are cached per URL: these use URLs never fetched, so a fetch would show.
    let fresh_cert = format!("{}cert.pem?never-fetched={}", c.peer.base, tocsin_tests::unique("c"));
    let hits = c.peer.hits().len();
    let mut foreign = fixture("sns_notification.json");
    foreign["TopicArn"] = json!("arn:aws:sns:eu-west-1:999999999999:someone-else");
    foreign["MessageId"] = json!("0c8a7d1e-foreign");
    let r = c.post(&path, sns_sign(foreign, "2", &fresh_cert).as_bytes(), &[]);
    assert_eq!(r.status, 403, "another topic: {}", r.text);
    let other_sub = json!({"Type": "SubscriptionConfirmation", "MessageId": "9a1", "Token": "tok999",
        "TopicArn": "arn:aws:sns:eu-west-1:999999999999:someone-else", "Message": "subscribe",
        "SubscribeURL": format!("{}confirm?Action=ConfirmSubscription&Token=tok999", c.peer.base)});
    let r = c.post(&path, sns_sign(other_sub, "1", &fresh_cert).as_bytes(), &[]);
    assert_eq!(r.status, 403, "cannot re-pin: {}", r.text);
    assert_eq!(c.peer.hits().len(), hits, "no certificate fetched and no subscription visited for a foreign topic");
    // A subscription confirmed by hand (Tocsin could not reach the SubscribeURL): pending until
    // its first verified notification, which pins it.
    let (sid2, key2) = c.service("AWS by hand", json!({}));
    let path2 = format!("/webhooks/cloudwatch/{key2}");
    let hand = json!({"Type": "SubscriptionConfirmation", "MessageId": "h1", "Token": "tokhand",
        "TopicArn": "arn:aws:sns:eu-west-1:123456789012:by-hand", "Message": "subscribe",
        "SubscribeURL": format!("{}unreachable?Action=ConfirmSubscription&Token=tokhand", c.peer.base)});
    let r = c.post(&path2, sns_sign(hand, "1", &cert_url).as_bytes(), &[]);
    assert_eq!((r.status, r.json["status"].as_str()), (200, Some("pending")), "{}", r.text);
    let mut alarm = fixture("sns_notification.json");
    alarm["TopicArn"] = json!("arn:aws:sns:eu-west-1:123456789012:by-hand");
    let r = c.post(&path2, sns_sign(alarm, "2", &cert_url).as_bytes(), &[]);
    assert_eq!(r.status, 202, "the hand-confirmed topic's alarm arrives: {}", r.text);
    let panel = c.admin().get(&format!("/api/services/{sid2}/integrations"));
    assert_eq!(panel.json["sns_subscriptions"][0]["status"], "confirmed", "and is pinned: {}", panel.text);
    // An unsupported SignatureVersion is refused before any certificate is fetched.
    let hits = c.peer.hits().len();
    let mut v3: Value = serde_json::from_str(&sns_sign(fixture("sns_notification.json"), "2", &fresh_cert)).unwrap();
    v3["SignatureVersion"] = json!("3");
    let r = c.post(&path, v3.to_string().as_bytes(), &[]);
    assert_eq!(r.status, 401, "{}", r.text);
    assert_eq!(c.peer.hits().len(), hits, "no certificate fetched for version 3");
}

/// With the service's `sns_topic_arn` set, only that topic is heard: someone holding the key
/// cannot pin their own topic before the owner subscribes (trust on first use is not needed).
fn cloudwatch_expected_topic(c: &Ctx) {
    let ours = "arn:aws:sns:eu-west-1:123456789012:expected-alarms";
    let bad = c.admin().post("/api/services", json!({"name": "AWS expected bad", "sns_topic_arn": "arn:aws:sqs:eu-west-1:123456789012:q"}));
    assert_eq!((bad.status, bad.json["error"]["field"].as_str()), (400, Some("sns_topic_arn")), "{}", bad.text);
    assert!(bad.json["error"]["message"].as_str().unwrap_or_default().contains("SNS"), "the message says what is wrong: {}", bad.text);
    let (sid, key) = c.service("AWS expected", json!({"sns_topic_arn": ours}));
    assert_eq!(c.admin().get(&format!("/api/services/{sid}")).json["sns_topic_arn"], ours);
    let path = format!("/webhooks/cloudwatch/{key}");
    let cert_url = format!("{}cert.pem?expected={}", c.peer.base, tocsin_tests::unique("c"));
    let subscription = |topic: &str, token: &str| {
        json!({"Type": "SubscriptionConfirmation", "MessageId": tocsin_tests::unique("m"), "Token": token, "TopicArn": topic,
            "Message": "subscribe", "SubscribeURL": format!("{}confirm?Action=ConfirmSubscription&Token={token}", c.peer.base)})
    };
    // Someone else's topic subscribes first: refused, before any certificate is fetched or any
    // subscription visited, and nothing is recorded.
    let hits = c.peer.hits().len();
    let r = c.post(&path, sns_sign(subscription("arn:aws:sns:eu-west-1:999999999999:theirs", "tok-theirs"), "2", &cert_url).as_bytes(), &[]);
    assert_eq!(r.status, 403, "a foreign topic first: {}", r.text);
    assert!(r.text.contains("sns_topic_arn"), "the refusal names the setting: {}", r.text);
    assert_eq!(c.peer.hits().len(), hits, "nothing fetched or visited for it");
    let panel = c.admin().get(&format!("/api/services/{sid}/integrations"));
    assert_eq!(panel.json["sns_subscriptions"].as_array().map(Vec::len), Some(0), "{}", panel.text);
    // The expected topic subscribes and its alarm opens an incident.
    let r = c.post(&path, sns_sign(subscription(ours, "tok-ours"), "2", &cert_url).as_bytes(), &[]);
    assert_eq!((r.status, r.json["status"].as_str()), (200, Some("confirmed")), "{}", r.text);
    let mut alarm = fixture("sns_notification.json");
    alarm["TopicArn"] = json!(ours);
    alarm["MessageId"] = json!(tocsin_tests::unique("m"));
    let r = c.post(&path, sns_sign(alarm.clone(), "2", &cert_url).as_bytes(), &[]);
    assert_eq!((r.status, r.json["alerts"][0]["result"].as_str()), (202, Some("opened")), "{}", r.text);
    // Cleared, the first confirmed topic (ours) stays pinned; set to another, ours is refused.
    let cleared = c.admin().patch(&format!("/api/services/{sid}"), json!({"sns_topic_arn": null}));
    assert_eq!(cleared.status, 200, "{}", cleared.text);
    assert!(cleared.json.get("sns_topic_arn").is_none(), "{}", cleared.text);
    let moved = c.admin().patch(&format!("/api/services/{sid}"), json!({"sns_topic_arn": "arn:aws:sns:eu-west-1:123456789012:newer"}));
    assert_eq!(moved.status, 200, "{}", moved.text);
    alarm["MessageId"] = json!(tocsin_tests::unique("m"));
    let r = c.post(&path, sns_sign(alarm, "2", &cert_url).as_bytes(), &[]);
    assert_eq!(r.status, 403, "the old topic, once another is expected: {}", r.text);
}

fn grouping_rules(c: &Ctx) {
    let (sid, key) = c.service("Grouped by time", json!({"grouping": {"type": "time_window", "minutes": 10}}));
    let hook = |k: &str, body: Value| c.post(&format!("/webhooks/generic/{k}"), body.to_string().as_bytes(), &[]);
    let a = hook(&key, json!({"summary": "API latency high", "severity": "warning", "dedup_key": "lat"}));
    let b = hook(&key, json!({"summary": "API errors high", "severity": "critical", "dedup_key": "err"}));
    assert_eq!((a.json["result"].as_str(), b.json["result"].as_str()), (Some("opened"), Some("grouped")));
    assert_eq!(a.json["incident_id"], b.json["incident_id"]);
    let d = c.incident(a.json["incident_id"].as_str().unwrap());
    assert_eq!(d["alerts"].as_array().unwrap().len(), 2);
    assert_eq!(d["incident"]["severity"], "SEV1", "the incident takes its most severe alert's severity");
    assert_eq!(d["incident"]["alert_count"], 2);
    // The incident resolves only when both alerts have.
    hook(&key, json!({"summary": "x", "status": "resolved", "dedup_key": "lat"}));
    assert_eq!(c.incident(a.json["incident_id"].as_str().unwrap())["incident"]["status"], "triggered");
    hook(&key, json!({"summary": "x", "status": "resolved", "dedup_key": "err"}));
    assert_eq!(c.incident(a.json["incident_id"].as_str().unwrap())["incident"]["status"], "resolved");
    assert_eq!(c.incidents_of(&sid).len(), 1);

    let (_, key2) = c.service("Grouped by cluster", json!({"grouping": {"type": "by_field", "field": "cluster"}}));
    let am = |fp: &str, cluster: &str| {
        json!({"version": "4", "status": "firing", "alerts": [{"status": "firing", "fingerprint": fp,
            "labels": {"alertname": format!("Alert {fp}"), "cluster": cluster}, "startsAt": "2026-11-24T10:00:00Z"}]})
    };
    let post_am = |body: Value| c.post(&format!("/webhooks/alertmanager/{key2}"), body.to_string().as_bytes(), &[]).json["alerts"][0].clone();
    let e1 = post_am(am("f1", "eu-1"));
    let e2 = post_am(am("f2", "us-1"));
    let e3 = post_am(am("f3", "eu-1"));
    assert_eq!(e3["incident_id"], e1["incident_id"], "same cluster → same incident");
    assert_ne!(e2["incident_id"], e1["incident_id"]);

    // Alerts of one group arriving at once (a storm's first second) open one incident, not one
    // each: every alert lands on it, once.
    let burst = |key: &str, group: &dyn Fn(usize) -> &'static str| {
        let bodies = (0..16)
            .map(|i| json!({"routing_key": key, "event_action": "trigger", "dedup_key": format!("g-{i}"),
                "payload": {"summary": format!("Node {i} down"), "source": "prom", "severity": "error", "group": group(i)}}).to_string())
            .collect();
        let replies = enqueue_at_once(c, bodies);
        assert!(replies.iter().all(|r| r.status == 202), "{replies:?}");
    };
    let (sid3, key3) = c.service("Burst by time", json!({"grouping": {"type": "time_window", "minutes": 10}}));
    burst(&key3, &|_| "web");
    let incidents = c.incidents_of(&sid3);
    assert_eq!(incidents.len(), 1, "16 alerts at once in one time window: one incident");
    assert_eq!(c.incident(incidents[0]["id"].as_str().unwrap())["alerts"].as_array().unwrap().len(), 16);
    let (sid4, key4) = c.service("Burst by group", json!({"grouping": {"type": "by_field", "field": "group"}}));
    burst(&key4, &|i| if i % 2 == 0 { "web" } else { "db" });
    let incidents = c.incidents_of(&sid4);
    assert_eq!(incidents.len(), 2, "16 alerts at once in two groups: two incidents");
    for i in &incidents {
        assert_eq!(c.incident(i["id"].as_str().unwrap())["alerts"].as_array().unwrap().len(), 8, "{i}");
    }

    let bad = c.admin().patch(&format!("/api/services/{sid}"), json!({"grouping": {"type": "time_window", "minutes": 0}}));
    assert_eq!((bad.status, bad.field()), (400, "grouping.minutes"), "{}", bad.text);
}

fn auto_resolve_off(c: &Ctx) {
    let (sid, key) = c.service("Manual resolve", json!({"auto_resolve": false}));
    let hook = |body: Value| c.post(&format!("/webhooks/generic/{key}"), body.to_string().as_bytes(), &[]);
    hook(json!({"summary": "Replica lag", "severity": "error", "dedup_key": "lag"}));
    let r = hook(json!({"summary": "Replica lag", "status": "resolved", "dedup_key": "lag"}));
    assert_eq!(r.json["result"], "resolved");
    let incidents = c.incidents_of(&sid);
    assert_eq!(incidents[0]["status"], "triggered", "a person resolves it");
    let d = c.incident(incidents[0]["id"].as_str().unwrap());
    assert_eq!(d["alerts"][0]["status"], "resolved");
}

fn integrations_panel(c: &Ctx) {
    let (sid, key) = c.service("Panel", json!({}));
    let r = c.admin().get(&format!("/api/services/{sid}/integrations"));
    let endpoints = r.json["endpoints"].as_array().unwrap();
    let vendors: Vec<&str> = endpoints.iter().map(|e| e["vendor"].as_str().unwrap()).collect();
    assert_eq!(vendors, ["generic", "alertmanager", "grafana", "datadog", "cloudwatch", "sentry", "pagerduty", "opsgenie"]);
    for e in endpoints {
        assert!(e["url"].as_str().unwrap().starts_with(&c.inst.base), "{e}");
        assert!(e["snippet"].as_str().unwrap().contains(&key) || e["url"].as_str().unwrap().contains(&key), "{e}");
    }
    let hook = |body: &str| c.post(&format!("/webhooks/generic/{key}"), body.as_bytes(), &[]);
    hook(r#"{"summary":"A","severity":"info","dedup_key":"a"}"#);
    hook(r#"{"summary":"A","severity":"info","dedup_key":"a"}"#);
    hook(r#"{"summary":"A","severity":"nope"}"#);
    hook(r#"{"summary":"B","status":"resolved","dedup_key":"b"}"#);
    let log = c.events_of(&sid);
    let got: Vec<(&str, &str)> = log.iter().map(|e| (e["result"].as_str().unwrap(), e["vendor"].as_str().unwrap())).collect();
    assert_eq!(got, [("ignored", "generic"), ("rejected", "generic"), ("deduplicated", "generic"), ("opened", "generic")]);
    assert!(log[1]["message"].as_str().unwrap().contains("severity"));
    assert_eq!(log[3]["raw"], r#"{"summary":"A","severity":"info","dedup_key":"a"}"#);
    let obs = Api::new(&c.inst.base);
    assert_eq!(obs.get(&format!("/api/services/{sid}/integrations")).status, 401);
}

fn rate_limited(c: &Ctx) {
    let (_, key) = c.service("Noisy", json!({}));
    let (_, other) = c.service("Quiet", json!({}));
    let body = |n: usize| json!({"routing_key": key, "event_action": "trigger", "dedup_key": format!("n{n}"),
        "payload": {"summary": "flood", "source": "loop", "severity": "info"}});
    for n in 0..120 {
        assert_eq!(pd(c, body(n)).status, 202, "event {n} is within the limit (120 per minute in this test instance)");
    }
    let r = pd(c, body(120));
    assert_eq!(r.status, 429, "{}", r.text);
    assert_eq!(r.json["status"], "throttle event");
    assert!(r.retry_after.as_deref().and_then(|s| s.parse::<u32>().ok()).is_some_and(|s| (1..=60).contains(&s)), "{r:?}");
    let hook = c.post(&format!("/webhooks/generic/{key}"), br#"{"summary":"x","severity":"info"}"#, &[]);
    assert_eq!((hook.status, hook.code()), (429, "rate_limited"), "the limit is per key, for every format");
    let og = og(c, "POST", "/v2/alerts", &key, Some(json!({"message": "x"})));
    assert_eq!(og.status, 429);
    let quiet = c.post(&format!("/webhooks/generic/{other}"), br#"{"summary":"x","severity":"info"}"#, &[]);
    assert_eq!(quiet.status, 202, "other keys are not affected");
}

/// Refused requests count against the key's limit before they are logged: someone holding a
/// leaked key of a service that takes only some senders cannot fill its event log with refusals
/// (an Events API body that does not parse, an Opsgenie request to a service that refuses
/// Opsgenie) faster than with accepted events.
fn refusals_rate_limited(c: &Ctx) {
    let (sid, key) = c.service("Refusing", json!({}));
    let r = c.admin().patch(&format!("/api/services/{sid}"), json!({"allowed_senders": ["alertmanager"]}));
    assert_eq!(r.status, 200, "{}", r.text);
    let malformed = json!({"routing_key": key, "event_action": "explode"});
    for n in 0..60 {
        assert_eq!(pd(c, malformed.clone()).status, 400, "refusal {n} is within the limit");
        assert_eq!(og(c, "POST", "/v2/alerts", &key, Some(json!({"message": "x"}))).status, 403, "refusal {n} is within the limit");
    }
    let log = c.events_of(&sid);
    assert!(!log.is_empty() && log.iter().all(|e| e["result"] == "rejected"), "refusals are logged: {log:?}");
    let r = pd(c, malformed.clone());
    assert_eq!((r.status, r.json["status"].as_str()), (429, Some("throttle event")), "the 121st refusal in a minute: {}", r.text);
    assert_eq!(og(c, "POST", "/v2/alerts", &key, Some(json!({"message": "x"}))).status, 429);
    assert_eq!(og(c, "GET", "/v2/alerts/requests/nope", &key, None).status, 429, "the request-status route too");
}

/// An Alertmanager group of `n` alerts (fingerprints made unique by `tag`).
fn alertmanager_group(tag: &str, n: usize) -> Value {
    let mut body = fixture("alertmanager.json");
    let template = body["alerts"][0].clone();
    body["alerts"] = json!((0..n)
        .map(|i| {
            let mut a = template.clone();
            a["fingerprint"] = json!(format!("{tag}-{i:04}"));
            a["labels"]["instance"] = json!(format!("host-{i}"));
            a
        })
        .collect::<Vec<_>>());
    body
}

/// The per-key limit (120 a minute in this instance) counts alerts, not requests; one payload
/// applies at most 100, the firing ones first, and says how many it dropped.
fn alerts_counted_and_capped(c: &Ctx) {
    let (sid, key) = c.service("Flood", json!({}));
    let path = format!("/webhooks/alertmanager/{key}");
    let r = c.post(&path, alertmanager_group("a", 90).to_string().as_bytes(), &[]);
    assert_eq!(r.status, 202, "90 alerts fit: {}", r.text);
    assert!(r.json.get("dropped").is_none(), "{}", r.text);
    let r = c.post(&path, alertmanager_group("b", 40).to_string().as_bytes(), &[]);
    assert_eq!((r.status, r.code()), (429, "rate_limited"), "90 + 40 alerts > 120 a minute, though only 2 requests: {}", r.text);
    let open = c.incidents_of(&sid).len();
    assert_eq!(open, 90, "none of the refused payload's alerts was applied");
    // A group over the cap (Alertmanager's default sends them all): applied as far as the cap,
    // every firing alert among them, not refused (a 4xx would lose the whole group for good:
    // Alertmanager and Grafana retry only 5xx).
    let (sid2, key2) = c.service("Huge group", json!({}));
    let mut body = alertmanager_group("c", 101);
    for (i, a) in body["alerts"].as_array_mut().unwrap().iter_mut().enumerate() {
        if i % 3 != 2 {
            a["status"] = json!("resolved");
            a["endsAt"] = json!("2026-11-24T10:05:00Z");
        }
    }
    let r = c.post(&format!("/webhooks/alertmanager/{key2}"), body.to_string().as_bytes(), &[]);
    assert_eq!(r.status, 202, "{}", r.text);
    assert_eq!((r.json["dropped"].as_u64(), r.json["alerts"].as_array().map(Vec::len)), (Some(1), Some(100)), "{}", r.text);
    let firing = (0..101).filter(|i| i % 3 == 2).count();
    assert_eq!(c.incidents_of(&sid2).len(), firing, "every firing alert of the group opened its incident");
    let log = c.events_of(&sid2);
    assert!(log.iter().any(|e| e["result"] == "rejected" && e["message"].as_str().unwrap_or_default().contains("1 dropped")), "the drop is logged: {log:?}");
}

/// CloudWatch's alarms through SNS, which neither orders nor de-duplicates deliveries: an event
/// the source observed (`StateChangeTime`) before the key's last change the other way is a late
/// copy, logged as ignored and changing nothing — an ALARM's retry after its OK, an ALARM after
/// an OK delivered first, an OK after a newer ALARM; also when the service groups alerts.
/// Alertmanager is not judged so: a resend of a still-firing alert after Alertmanager resolved it
/// by timeout carries its original `startsAt`, and opens an incident again.
fn late_copies(c: &Ctx) {
    let cert_url = format!("{}cert.pem", c.peer.base);
    let topic = "arn:aws:sns:eu-west-1:123456789012:out-of-order";
    let subscribe = |path: &str| {
        let sub = json!({"Type": "SubscriptionConfirmation", "MessageId": tocsin_tests::unique("m"), "Token": "tokooo", "TopicArn": topic,
            "Message": "subscribe", "SubscribeURL": format!("{}confirm?Action=ConfirmSubscription&Token=tokooo", c.peer.base)});
        assert_eq!(c.post(path, sns_sign(sub, "1", &cert_url).as_bytes(), &[]).status, 200);
    };
    let alarm = |name: &str, state: &str, at: &str| {
        let mut m = fixture("sns_notification.json");
        m["TopicArn"] = json!(topic);
        m["MessageId"] = json!(tocsin_tests::unique("m"));
        let text = m["Message"].as_str().unwrap().replace("\"NewStateValue\":\"ALARM\"", &format!("\"NewStateValue\":\"{state}\""));
        m["Message"] = json!(text.replace("2026-11-24T10:01:12.345+0000", at).replace("checkout-5xx", name));
        sns_sign(m, "2", &cert_url)
    };
    let send = |path: &str, body: String| {
        let r = c.post(path, body.as_bytes(), &[]);
        assert_eq!(r.status, 202, "{}", r.text);
        (r.json["alerts"][0]["result"].as_str().unwrap().to_string(), r.json["alerts"][0]["incident_id"].clone())
    };
    let (sid, key) = c.service("AWS out of order", json!({}));
    let path = format!("/webhooks/cloudwatch/{key}");
    subscribe(&path);
    // The ALARM's retry, delivered after its OK.
    assert_eq!(send(&path, alarm("a", "ALARM", "2026-11-24T10:01:12.345+0000")).0, "opened");
    assert_eq!(send(&path, alarm("a", "OK", "2026-11-24T10:09:00.000+0000")).0, "resolved");
    let (result, incident) = send(&path, alarm("a", "ALARM", "2026-11-24T10:01:12.345+0000"));
    assert_eq!(result, "ignored", "the ALARM's retry, delivered after the OK");
    let inc = c.incidents_of(&sid);
    assert_eq!((inc.len(), inc[0]["status"].as_str()), (1, Some("resolved")), "{inc:?}");
    assert_eq!(incident, inc[0]["id"], "the copy names the incident it copies");
    let log = c.events_of(&sid);
    assert!(log.iter().any(|e| e["result"] == "ignored" && e["message"].as_str().unwrap_or_default().contains("late copy")), "{log:?}");
    // The alarm fires again later: a new incident.
    assert_eq!(send(&path, alarm("a", "ALARM", "2026-11-24T10:30:00.000+0000")).0, "opened");
    // An OK observed before that ALARM, delivered after it, resolves nothing.
    assert_eq!(send(&path, alarm("a", "OK", "2026-11-24T10:20:00.000+0000")).0, "ignored");
    let open: Vec<Value> = c.incidents_of(&sid).into_iter().filter(|i| i["status"] == "triggered").collect();
    assert_eq!(open.len(), 1, "the alarm that is on stays on");
    let log = c.events_of(&sid);
    assert!(log.iter().any(|e| e["action"] == "resolve" && e["message"].as_str().unwrap_or_default().contains("late copy")), "{log:?}");
    assert_eq!(send(&path, alarm("a", "OK", "2026-11-24T10:40:00.000+0000")).0, "resolved", "its own OK resolves it");
    // A copy names the alarm period it falls in: none between the two, the first for its ALARM.
    let first_incident = incident.clone();
    let (result, named) = send(&path, alarm("a", "ALARM", "2026-11-24T10:15:00.000+0000"));
    assert_eq!((result.as_str(), named.is_null()), ("ignored", true), "between the two periods: {named}");
    let (result, named) = send(&path, alarm("a", "ALARM", "2026-11-24T10:01:12.345+0000"));
    assert_eq!((result.as_str(), &named), ("ignored", &first_incident), "the first period's ALARM, again");
    // ALARM (t1), OK (t2) delayed, ALARM (t3) counted on the alert still open, then the OK:
    // the alarm has been on since t3, so the OK is a late copy too.
    assert_eq!(send(&path, alarm("e", "ALARM", "2026-11-24T12:00:00.000+0000")).0, "opened");
    assert_eq!(send(&path, alarm("e", "ALARM", "2026-11-24T12:10:00.000+0000")).0, "deduplicated");
    let r = c.post(&path, alarm("e", "OK", "2026-11-24T12:05:00.000+0000").as_bytes(), &[]);
    assert_eq!(r.json["alerts"][0]["result"], "ignored", "{}", r.text);
    assert!(r.json["alerts"][0]["message"].as_str().unwrap_or_default().contains("late copy"), "the sender is told why: {}", r.text);
    assert_eq!(send(&path, alarm("e", "OK", "2026-11-24T12:15:00.000+0000")).0, "resolved");
    // An OK delivered before its ALARM: the ALARM then opens nothing.
    assert_eq!(send(&path, alarm("b", "OK", "2026-11-24T11:05:00.000+0000")).0, "ignored", "nothing to resolve yet");
    let (result, incident) = send(&path, alarm("b", "ALARM", "2026-11-24T11:00:00.000+0000"));
    assert_eq!(result, "ignored", "observed before the OK");
    assert!(incident.is_null(), "no incident of another alarm period is named: {incident}");
    assert_eq!(c.incidents_of(&sid).len(), 3, "no incident for b");

    // A service that groups: the copy joins no open incident either.
    let (gsid, gkey) = c.service("AWS out of order, grouped", json!({"grouping": {"type": "time_window", "minutes": 10}}));
    let gpath = format!("/webhooks/cloudwatch/{gkey}");
    subscribe(&gpath);
    assert_eq!(send(&gpath, alarm("c", "ALARM", "2026-11-24T10:01:00.000+0000")).0, "opened");
    assert_eq!(send(&gpath, alarm("d", "ALARM", "2026-11-24T10:02:00.000+0000")).0, "grouped");
    assert_eq!(send(&gpath, alarm("c", "OK", "2026-11-24T10:03:00.000+0000")).0, "resolved");
    assert_eq!(send(&gpath, alarm("c", "ALARM", "2026-11-24T10:01:00.000+0000")).0, "ignored");
    let inc = c.incidents_of(&gsid);
    assert_eq!(inc.len(), 1, "{inc:?}");
    let d = c.incident(inc[0]["id"].as_str().unwrap());
    let firing = d["alerts"].as_array().unwrap().iter().filter(|a| a["status"] == "firing").count();
    assert_eq!(firing, 1, "only d fires: {}", d["alerts"]);

    // Alertmanager: resolved by its timeout (Prometheus could not reach it), then Prometheus
    // resends the alert, still firing, with its original startsAt: an incident again.
    let (asid, akey) = c.service("Alertmanager timeout", json!({}));
    let apath = format!("/webhooks/alertmanager/{akey}");
    let firing = alertmanager_group("timeout", 1);
    assert_eq!(c.post(&apath, firing.to_string().as_bytes(), &[]).json["alerts"][0]["result"], "opened");
    let mut timed_out = firing.clone();
    timed_out["alerts"][0]["status"] = json!("resolved");
    timed_out["alerts"][0]["endsAt"] = json!("2026-11-24T10:05:00Z");
    assert_eq!(c.post(&apath, timed_out.to_string().as_bytes(), &[]).json["alerts"][0]["result"], "resolved");
    let r = c.post(&apath, firing.to_string().as_bytes(), &[]);
    assert_eq!(r.json["alerts"][0]["result"], "opened", "still firing: paged again: {}", r.text);
    assert_eq!(c.incidents_of(&asid).len(), 2);
}

/// A group whose alerts resolve and fire in one notification (Alertmanager orders a group by
/// labels, not status): the firing alert joins the open incident before the resolve could close
/// it, so nobody is paged for a new incident.
fn mixed_group_keeps_its_incident(c: &Ctx) {
    let (sid, key) = c.service("Mixed group", json!({"grouping": {"type": "time_window", "minutes": 10}}));
    let path = format!("/webhooks/alertmanager/{key}");
    let first = alertmanager_group("mix", 1);
    let r = c.post(&path, first.to_string().as_bytes(), &[]);
    assert_eq!(r.json["alerts"][0]["result"], "opened", "{}", r.text);
    let incident = r.json["alerts"][0]["incident_id"].clone();
    let mut both = alertmanager_group("mix", 2);
    both["alerts"][0]["status"] = json!("resolved");
    both["alerts"][0]["endsAt"] = json!("2026-11-24T10:05:00Z");
    let r = c.post(&path, both.to_string().as_bytes(), &[]);
    assert_eq!(r.status, 202, "{}", r.text);
    let incidents = c.incidents_of(&sid);
    assert_eq!(incidents.len(), 1, "no second incident: {}", r.text);
    assert_eq!((incidents[0]["id"].clone(), incidents[0]["status"].as_str()), (incident, Some("triggered")), "the new alert keeps it open");
}

/// A close or acknowledge by alert id whose lookup raced a newer alert taking the same alias
/// (the fault makes the lookup return a resolved alert's alias, as a read made a moment before
/// the alert resolved would): the action's own transaction refuses it, so the newer alert's
/// incident stays open and unacknowledged.
fn opsgenie_by_id_in_the_transaction(_: &Ctx) {
    let inst = Instance::start_with("ingest-stale-lookup", &[("TOCSIN_TEST_FAULT", "stale_alert_lookup")]);
    let a = Api::setup(&inst.base, "Acme", "admin@example.com", "ingest password", "Admin");
    let svc = a.post("/api/services", json!({"name": "Opsgenie by id"}));
    let (sid, key) = (svc.json["id"].as_str().unwrap().to_string(), svc.json["integration_key"].as_str().unwrap().to_string());
    let og = |method: &str, path: &str, body: Option<Value>| {
        Api::new(&inst.base).send(method, path, body.map(|b| b.to_string().into_bytes()), &[("Authorization", &format!("GenieKey {key}"))])
    };
    let status = |r: &Reply| og("GET", &format!("/v2/alerts/requests/{}", r.json["requestId"].as_str().unwrap()), None).json["data"].clone();
    let old = status(&og("POST", "/v2/alerts", Some(fixture("opsgenie_create.json"))));
    let old_id = old["alertId"].as_str().unwrap().to_string();
    let alias = "Life%20is%20too%20short%20for%20no%20alias";
    assert_eq!(status(&og("POST", &format!("/v2/alerts/{alias}/close?identifierType=alias"), None))["success"], true);
    let newer = status(&og("POST", "/v2/alerts", Some(fixture("opsgenie_create.json"))));
    assert_ne!(newer["alertId"].as_str(), Some(old_id.as_str()), "a new alert: {newer}");
    let open = || -> Vec<Value> {
        let all = a.get(&format!("/api/incidents?service_id={sid}&limit=100")).json["incidents"].as_array().unwrap().clone();
        all.into_iter().filter(|i| i["status"] != "resolved").collect()
    };
    let ack = status(&og("POST", &format!("/v2/alerts/{old_id}/acknowledge"), Some(json!({"user": "Monitoring Script"}))));
    assert_eq!(ack["success"], false, "{ack}");
    let close = status(&og("POST", &format!("/v2/alerts/{old_id}/close"), None));
    assert_eq!(close["success"], false, "{close}");
    let still = open();
    assert_eq!(still.len(), 1, "{still:?}");
    assert_eq!(still[0]["status"], "triggered", "neither acknowledged nor resolved by the old alert's id");
    // By alias, the newer alert is closed as before.
    assert_eq!(status(&og("POST", &format!("/v2/alerts/{alias}/close?identifierType=alias"), None))["success"], true);
    assert!(open().is_empty());
}
