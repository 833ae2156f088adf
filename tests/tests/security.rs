//! Regression tests for the holes a security review found (issue "Trust"), each named after the
//! hole, against a real `wrangler dev` + D1. Each builds its own fixtures.

use serde_json::{json, Value};
use std::sync::OnceLock;
use tocsin_tests::{unique, Api, Instance, Reply};

struct Ctx {
    inst: Instance,
    admin: OnceLock<Api>,
}

impl Ctx {
    fn admin(&self) -> &Api {
        self.admin.get_or_init(|| Api::setup(&self.inst.base, "Acme", "admin@example.com", "security password", "Admin"))
    }

    /// A logged-in member with `role` and a fresh address; returns (client, user id).
    fn member(&self, role: &str) -> (Api, String) {
        let email = format!("{}@example.com", unique(role));
        let r = self.admin().post("/api/users", json!({"email": email, "name": format!("{role} person"), "role": role, "password": "member password"}));
        assert_eq!(r.status, 201, "{}", r.text);
        let api = Api::new(&self.inst.base);
        assert_eq!(api.post("/api/auth/login", json!({"email": email, "password": "member password"})).status, 200);
        (api, r.json["user"]["id"].as_str().unwrap().to_string())
    }

    fn service(&self) -> Value {
        let r = self.admin().post("/api/services", json!({"name": unique("svc")}));
        assert_eq!(r.status, 201, "{}", r.text);
        r.json
    }

    fn public(&self, path: &str) -> Reply {
        Api::new(&self.inst.base).get(path)
    }
}

fn main() {
    let ctx = Ctx { inst: Instance::start("security"), admin: OnceLock::new() };
    let tests: &[(&str, fn(&Ctx))] = &[
        ("hole_1_integration_keys_are_for_admins_only", integration_keys_for_admins),
        ("hole_5_stored_xss_on_the_status_page", stored_xss),
        ("hole_9_invalid_input_does_not_act", invalid_input_does_not_act),
        ("hole_9_calendar_feeds_are_revoked_by_owners_or_admins", calendar_feed_revocation),
        ("hole_12_public_cache_ignores_stray_queries_and_purges_incident_pages", status_cache),
        ("hole_2_a_webhook_secret_is_not_bypassed_by_other_routes", secret_not_bypassed),
        ("hole_3_an_incident_stored_without_escalation_is_paged_by_the_sweep", sweep_starts_escalation),
        ("hole_8_old_signed_deliveries_are_refused", replays_refused),
        ("hole_10_guessing_from_elsewhere_does_not_lock_the_owner_out", no_lockout_from_elsewhere),
        ("hole_10_parallel_guesses_are_counted_before_they_are_checked", parallel_guesses),
        ("hole_10_ipv6_addresses_are_throttled_by_their_64", ipv6_by_prefix),
        ("hole_6_security_headers_and_csrf", headers_and_csrf),
        ("hole_4_tokens_are_listed_expire_and_are_revoked", token_lifecycle),
        ("hole_4_sessions_idle_out_log_out_everywhere_and_password_change", session_lifecycle),
        ("hole_7_raw_payloads_are_kept_for_the_retention_only", raw_retention),
        ("hole_7_a_body_without_length_is_refused_while_it_streams", chunked_body_capped),
        ("hole_11_service_webhook_secrets_are_sealed_at_rest", webhook_secrets_sealed),
        ("hole_11_queued_pages_hold_no_usable_action_token_in_the_clear", queued_tokens),
        ("hole_11_the_sealing_key_rotates_and_everything_is_resealed", key_rotation),
        ("audit_log_records_who_what_before_after_and_where", audit_log),
        ("audit_log_is_filtered_paged_and_append_only", audit_log_queries),
        ("people_are_listed_edited_and_deactivated", people_lifecycle),
    ];
    tocsin_tests::run_suite(ctx, tests, |c| eprintln!("--- wrangler log ---\n{}", c.inst.log()))
}

fn integration_keys_for_admins(c: &Ctx) {
    let svc = c.service();
    let (sid, key) = (svc["id"].as_str().unwrap().to_string(), svc["integration_key"].as_str().expect("admins get the key").to_string());
    // PagerDuty's body carries the key as routing_key: it lands in the raw event log.
    let r = Api::new(&c.inst.base).post("/v2/enqueue", json!({"routing_key": key, "event_action": "trigger", "dedup_key": "k1",
        "payload": {"summary": "disk full", "source": "db-1", "severity": "critical"}}));
    assert_eq!(r.status, 202, "{}", r.text);
    for role in ["observer", "responder"] {
        let (api, _) = c.member(role);
        for path in ["/api/services".to_string(), format!("/api/services/{sid}"), format!("/api/services/{sid}/integrations")] {
            let r = api.get(&path);
            assert_eq!(r.status, 200, "{role} reads {path}: {}", r.text);
            assert!(!r.text.contains(&key), "{role} must not see the integration key in {path}: {}", r.text);
        }
        let list = api.get("/api/services");
        let mine = list.json["services"].as_array().unwrap().iter().find(|s| s["id"] == sid.as_str()).cloned().expect("the service is listed");
        assert!(mine.get("integration_key").is_none(), "{mine}");
        let panel = api.get(&format!("/api/services/{sid}/integrations")).json;
        assert_eq!(panel["key_hidden"], true);
        let endpoints = panel["endpoints"].as_array().unwrap();
        assert!(endpoints.len() >= 8, "every integration is shown to exist: {panel}");
        // The key is in the URL, or (PagerDuty, Opsgenie) in the snippet's routing key / header.
        assert!(endpoints.iter().all(|e| e["url"].as_str().unwrap().contains('…') || e["snippet"].as_str().unwrap().contains('…')), "{panel}");
        let events = panel["recent_events"].as_array().unwrap();
        assert!(!events.is_empty(), "the event arrived: {panel}");
        // Nor through the incident, whose alert shows the raw payload to every member.
        let list = api.get(&format!("/api/incidents?service_id={sid}"));
        let incident = list.json["incidents"][0]["id"].as_str().unwrap_or_else(|| panic!("the incident: {}", list.text)).to_string();
        let d = api.get(&format!("/api/incidents/{incident}"));
        assert_eq!(d.status, 200);
        assert!(d.text.contains("routing_key"), "the raw payload is shown: {}", d.text);
        assert!(!d.text.contains(&key), "{role} must not see the key in the incident's raw payload");
    }
    // Admins still get everything, and the key works.
    let panel = c.admin().get(&format!("/api/services/{sid}/integrations"));
    assert_eq!(panel.json["key_hidden"], false);
    assert!(panel.text.contains(&key));
    assert_eq!(c.admin().get(&format!("/api/services/{sid}")).json["integration_key"], key.as_str());
}

fn stored_xss(c: &Ctx) {
    let a = c.admin();
    // A URL that would close the href attribute is refused, naming the field; nothing changes.
    let before = a.get("/api/status").json["page"].clone();
    for url in ["https://x.io/\"><script>alert(1)</script>", "https://x.io/'onmouseover='alert(1)'<", "javascript:alert(1)", "https://x.io/a b"] {
        let r = a.send("PUT", "/api/status/page", Some(json!({"name": "Acme Status", "url": url}).to_string().into_bytes()), &[]);
        assert_eq!((r.status, r.field()), (400, "url"), "{url}: {}", r.text);
    }
    assert_eq!(a.get("/api/status").json["page"], before, "refused input changed nothing");
    for (field, url) in [("runbook_url", "https://x.io/\"><img src=x onerror=alert(1)>")] {
        let r = a.post("/api/services", json!({"name": unique("x"), field: url}));
        assert_eq!((r.status, r.field()), (400, field), "{}", r.text);
    }
    // Hostile text in every field that reaches HTML, Atom and RSS comes out as text.
    let evil = "\"><script>alert(1)</script><img src=x onerror=alert(2)>";
    let r = a.send("PUT", "/api/status/page", Some(json!({"name": format!("Acme {evil}"), "time_zone": "UTC"}).to_string().into_bytes()), &[]);
    assert_eq!(r.status, 200, "{}", r.text);
    let comp = a.post("/api/status/components", json!({"name": format!("API {evil}"), "description": evil}));
    assert_eq!(comp.status, 201, "{}", comp.text);
    let inc = a.post("/api/status/incidents", json!({"name": format!("Outage {evil}"), "impact": "minor", "body": evil, "component_ids": [comp.json["id"]], "component_status": "degraded_performance"}));
    assert_eq!(inc.status, 201, "{}", inc.text);
    let id = inc.json["id"].as_str().unwrap().to_string();
    let now = tocsin_tests::now_ms();
    let m = a.post("/api/status/maintenances", json!({"name": format!("Upgrade {evil}"), "body": evil,
        "scheduled_for": tocsin_tests::ms_rfc3339(now + 3_600_000), "scheduled_until": tocsin_tests::ms_rfc3339(now + 7_200_000)}));
    assert_eq!(m.status, 201, "{}", m.text);
    for path in ["/status".to_string(), "/status/history".into(), format!("/status/incidents/{id}"), "/history.atom".into(), "/history.rss".into()] {
        let r = c.public(&path);
        assert_eq!(r.status, 200, "{path}");
        assert!(r.text.contains("Outage"), "{path} shows the incident");
        assert!(!r.text.contains("<script") && !r.text.contains("<img"), "{path} has live markup: {}", r.text);
    }
    for path in ["/api/v2/summary.json", "/api/v2/incidents.json"] {
        let r = c.public(path);
        assert_eq!(r.json["page"]["name"], format!("Acme {evil}"), "JSON carries the text as it was typed");
    }
    let r = a.post(&format!("/api/status/incidents/{id}/updates"), json!({"status": "resolved", "body": "done"}));
    assert_eq!(r.status, 201);
    let r = a.send("PUT", "/api/status/page", Some(json!({"name": "Acme Status", "time_zone": "UTC"}).to_string().into_bytes()), &[]);
    assert_eq!(r.status, 200);
}

fn invalid_input_does_not_act(c: &Ctx) {
    let a = c.admin();
    let (_, responder) = c.member("responder");
    let svc = c.service();
    let r = a.post("/api/escalation-policies", json!({"name": unique("p"), "levels": [{"targets": [{"type": "user", "id": responder}], "delay_minutes": 30}]}));
    assert_eq!(r.status, 201, "{}", r.text);
    let sid = svc["id"].as_str().unwrap();
    assert_eq!(a.send("PUT", &format!("/api/services/{sid}/escalation-policy"), Some(json!({"policy_id": r.json["id"]}).to_string().into_bytes()), &[]).status, 200);
    let fired = Api::new(&c.inst.base).post(&format!("/webhooks/generic/{}", svc["integration_key"].as_str().unwrap()), json!({"summary": "x", "severity": "critical", "dedup_key": "r"}));
    let incident = fired.json["incident_id"].as_str().unwrap().to_string();
    assert_eq!(a.post(&format!("/api/incidents/{incident}/acknowledge"), json!({})).status, 200);
    let pages = |c: &Ctx| c.admin().get(&format!("/api/incidents/{incident}/notifications")).json["notifications"].as_array().map(Vec::len).unwrap_or(0);
    let before = pages(c);
    assert_eq!(before, 1, "the first page");
    for body in [json!({"user_id": "nobody"}), json!({"policy_id": "nothing"}), json!({})] {
        let r = a.post(&format!("/api/incidents/{incident}/reassign"), body.clone());
        assert_eq!(r.status, 400, "{body}: {}", r.text);
        let d = a.get(&format!("/api/incidents/{incident}"));
        assert_eq!(d.json["incident"]["status"], "acknowledged", "a refused reassign leaves it acknowledged ({body})");
        assert_eq!(pages(c), before, "and pages nobody");
    }
    // Overrides for someone who does not exist are refused (the schedule would page nobody).
    let s = a.post("/api/schedules", json!({"name": unique("s"), "layers": [{"name": "l", "participants": [responder], "start": "2026-01-01T00:00:00", "turn": {"type": "daily"}}]}));
    let schedule = s.json["id"].as_str().unwrap();
    let now = tocsin_tests::now_ms();
    let r = a.post(&format!("/api/schedules/{schedule}/overrides"), json!({"user_id": "ghost", "start": tocsin_tests::ms_rfc3339(now), "end": tocsin_tests::ms_rfc3339(now + 3_600_000)}));
    assert_eq!((r.status, r.field()), (400, "user_id"), "{}", r.text);
    let oncall = a.get(&format!("/api/oncall"));
    let mine = oncall.json["schedules"].as_array().unwrap().iter().find(|x| x["schedule_id"] == schedule).cloned().unwrap();
    assert_eq!(mine["on_call"][0]["id"], responder.as_str(), "still the rotation");
}

fn calendar_feed_revocation(c: &Ctx) {
    let (ana, _) = c.member("responder");
    let (bo, _) = c.member("responder");
    let mine = ana.post("/api/users/me/calendar-feed", json!({}));
    assert_eq!(mine.status, 201, "{}", mine.text);
    let id = mine.json["id"].as_str().unwrap();
    let url = mine.json["url"].as_str().unwrap().trim_start_matches(&c.inst.base).to_string();
    let r = bo.send("DELETE", &format!("/api/calendar-feeds/{id}"), None, &[]);
    assert_eq!((r.status, r.code()), (403, "forbidden"), "someone else's feed: {}", r.text);
    assert_eq!(c.public(&url).status, 200, "still works");
    assert_eq!(ana.send("DELETE", &format!("/api/calendar-feeds/{id}"), None, &[]).status, 204, "the owner may");
    assert_eq!(c.public(&url).status, 404);
    // An admin may revoke anyone's.
    let again = bo.post("/api/users/me/calendar-feed", json!({}));
    assert_eq!(c.admin().send("DELETE", &format!("/api/calendar-feeds/{}", again.json["id"].as_str().unwrap()), None, &[]).status, 204);
}

fn status_cache(c: &Ctx) {
    let a = c.admin();
    let cache = |r: &Reply| r.header("x-tocsin-cache").unwrap_or_default().to_string();
    // A stray query string does not make a new cache entry (and a D1 read) per value.
    let first = c.public(&format!("/api/v2/status.json?x={}", unique("q")));
    assert_eq!(first.status, 200);
    let second = c.public(&format!("/api/v2/status.json?x={}", unique("q")));
    assert_eq!(cache(&second), "hit", "another ?x= is the same answer");
    // An incident's own page is purged when that incident changes.
    let inc = a.post("/api/status/incidents", json!({"name": unique("Slow checkout"), "impact": "minor", "body": "Looking into it."}));
    assert_eq!(inc.status, 201, "{}", inc.text);
    let id = inc.json["id"].as_str().unwrap().to_string();
    let page = format!("/status/incidents/{id}");
    assert!(c.public(&page).text.contains("Looking into it."));
    assert_eq!(cache(&c.public(&page)), "hit", "cached");
    let r = a.post(&format!("/api/status/incidents/{id}/updates"), json!({"status": "resolved", "body": "Fixed for good."}));
    assert_eq!(r.status, 201, "{}", r.text);
    let after = c.public(&page);
    assert!(after.text.contains("Fixed for good."), "the incident page shows the new update at once: {}", after.text);
    // History pages beyond the first are purged too.
    let h2 = c.public("/status/history?page=2");
    assert_eq!(h2.status, 200);
    assert_eq!(cache(&c.public("/status/history?page=2&utm=1")), "hit", "the same page, whatever else the query says");
}

fn secret_not_bypassed(c: &Ctx) {
    let a = c.admin();
    let secret = "a-long-enough-webhook-secret";
    let r = a.post("/api/services", json!({"name": unique("guarded"), "webhook_secret": secret}));
    assert_eq!(r.status, 201, "{}", r.text);
    let (sid, key) = (r.json["id"].as_str().unwrap().to_string(), r.json["integration_key"].as_str().unwrap().to_string());
    let anon = Api::new(&c.inst.base);
    let pd = |dedup: &str| anon.post("/v2/enqueue", json!({"routing_key": key, "event_action": "trigger", "dedup_key": dedup,
        "payload": {"summary": "bypass?", "source": "x", "severity": "critical"}}));
    let incidents = |c: &Ctx| c.admin().get(&format!("/api/incidents?service_id={sid}")).json["incidents"].as_array().map(Vec::len).unwrap_or(0);
    // The bare key on PagerDuty's and Opsgenie's routes no longer gets past the secret.
    let r = pd("b1");
    assert_eq!(r.status, 403, "{}", r.text);
    let r = anon.post("/v2/change/enqueue", json!({"routing_key": key, "payload": {"summary": "deploy", "timestamp": "2026-12-01T00:00:00Z"}}));
    assert_eq!(r.status, 403, "change events too: {}", r.text);
    let og = anon.send("POST", "/v2/alerts", Some(json!({"message": "bypass?"}).to_string().into_bytes()), &[("Authorization", &format!("GenieKey {key}"))]);
    assert_eq!(og.status, 403, "{}", og.text);
    assert_eq!(incidents(c), 0, "nothing was opened");
    // Senders that prove the secret still work.
    let hook = |secret_header: Option<&str>| {
        let mut h = vec![];
        if let Some(s) = secret_header {
            h.push(("X-Tocsin-Webhook-Secret", s));
        }
        anon.send("POST", &format!("/webhooks/generic/{key}"), Some(json!({"summary": "real", "severity": "info", "dedup_key": "g"}).to_string().into_bytes()), &h)
    };
    assert_eq!(hook(None).status, 401);
    assert_eq!(hook(Some(secret)).status, 202);
    // An admin can name the senders: then the list decides alone.
    let r = a.patch(&format!("/api/services/{sid}"), json!({"allowed_senders": ["pagerduty", "irc"]}));
    assert_eq!((r.status, r.field()), (400, "allowed_senders[1]"), "{}", r.text);
    let r = a.patch(&format!("/api/services/{sid}"), json!({"allowed_senders": ["pagerduty"]}));
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["allowed_senders"], json!(["pagerduty"]));
    assert_eq!(pd("b2").status, 202, "PagerDuty is now allowed");
    assert_eq!(hook(Some(secret)).status, 403, "and generic is not listed");
    let r = a.patch(&format!("/api/services/{sid}"), json!({"allowed_senders": null}));
    assert!(r.json.get("allowed_senders").is_none(), "{}", r.text);
}

fn sweep_starts_escalation(_: &Ctx) {
    // An instance whose worker fails right after the trigger batch, before escalation starts.
    let inst = Instance::start_with("security-fault", &[("TOCSIN_TEST_FAULT", "after_trigger")]);
    let a = Api::setup(&inst.base, "Acme", "admin@example.com", "security password", "Admin");
    let u = a.post("/api/users", json!({"email": "oncall@example.com", "name": "On Call", "role": "responder", "password": "member password"}));
    let user = u.json["user"]["id"].as_str().unwrap().to_string();
    let p = a.post("/api/escalation-policies", json!({"name": "p", "levels": [{"targets": [{"type": "user", "id": user}], "delay_minutes": 10}]}));
    let svc = a.post("/api/services", json!({"name": "svc"}));
    let sid = svc.json["id"].as_str().unwrap();
    assert_eq!(a.send("PUT", &format!("/api/services/{sid}/escalation-policy"), Some(json!({"policy_id": p.json["id"]}).to_string().into_bytes()), &[]).status, 200);
    let url = format!("/webhooks/generic/{}", svc.json["integration_key"].as_str().unwrap());
    let alert = json!({"summary": "db down", "severity": "critical", "dedup_key": "db"});
    let first = Api::new(&inst.base).post(&url, alert.clone());
    assert_eq!(first.status, 500, "the injected failure: {}", first.text);
    // The sender retries: deduplicated onto the stored alert, so the request path pages nobody.
    let retry = Api::new(&inst.base).post(&url, alert);
    assert_eq!((retry.status, retry.json["result"].as_str()), (202, Some("deduplicated")), "{}", retry.text);
    let incident = retry.json["incident_id"].as_str().unwrap().to_string();
    let pages = || a.get(&format!("/api/incidents/{incident}/notifications")).json["notifications"].as_array().cloned().unwrap_or_default();
    assert!(pages().is_empty(), "stored, not yet paged");
    // The next cron tick finds it and starts its escalation: level 1 pages at once.
    tocsin_tests::cron(&inst.base, tocsin_tests::now_ms());
    let n = pages();
    assert_eq!(n.len(), 1, "{n:?}");
    assert_eq!(n[0]["user_id"], user.as_str());
    tocsin_tests::cron(&inst.base, tocsin_tests::now_ms());
    assert_eq!(pages().len(), 1, "started once");
}

fn replays_refused(c: &Ctx) {
    use tocsin_domain::vendors::signature::hmac_sha256_hex;
    let secret = "grafana-and-sentry-secret";
    let a = c.admin();
    let r = a.post("/api/services", json!({"name": unique("signed"), "webhook_secret": secret}));
    let key = r.json["integration_key"].as_str().unwrap().to_string();
    let anon = Api::new(&c.inst.base);
    let body = std::fs::read_to_string(tocsin_tests::instance::root().join("tests/fixtures/grafana.json")).unwrap();
    let grafana = |ts: i64| {
        let ts = ts.to_string();
        let sig = hmac_sha256_hex(secret.as_bytes(), format!("{ts}:{body}").as_bytes());
        anon.send("POST", &format!("/webhooks/grafana/{key}"), Some(body.clone().into_bytes()),
            &[("X-Grafana-Alerting-Signature", &sig), ("X-Grafana-Alerting-Signature-Timestamp", &ts)])
    };
    let now = tocsin_tests::now_ms() / 1000;
    let old = grafana(now - 301);
    assert_eq!(old.status, 401, "a correctly signed delivery from over 5 minutes ago: {}", old.text);
    assert!(old.text.contains("5 minutes"), "{}", old.text);
    assert_eq!(grafana(now + 400).status, 401, "or from the future");
    assert_eq!(grafana(now).status, 202, "a fresh one is accepted");
    let sentry = std::fs::read_to_string(tocsin_tests::instance::root().join("tests/fixtures/sentry_event_alert.json")).unwrap();
    let sig = hmac_sha256_hex(secret.as_bytes(), sentry.as_bytes());
    let send = |ts: i64, id: &str| anon.send("POST", &format!("/webhooks/sentry/{key}"), Some(sentry.clone().into_bytes()),
        &[("Sentry-Hook-Resource", "event_alert"), ("Sentry-Hook-Signature", &sig), ("Sentry-Hook-Timestamp", &ts.to_string()), ("Request-ID", id)]);
    assert_eq!(send(now - 3600, "r1").status, 401, "an hour-old Sentry delivery");
    assert_eq!(send(now, "r2").status, 202);
}

fn login_from(c: &Ctx, email: &str, password: &str, addr: &str) -> Reply {
    Api::new(&c.inst.base).send("POST", "/api/auth/login", Some(json!({"email": email, "password": password}).to_string().into_bytes()), &[("CF-Connecting-IP", addr)])
}

fn no_lockout_from_elsewhere(c: &Ctx) {
    let email = format!("{}@example.com", unique("owner"));
    let r = c.admin().post("/api/users", json!({"email": email, "name": "Owner", "role": "responder", "password": "member password"}));
    assert_eq!(r.status, 201);
    let attacker = format!("198.51.100.{}", tocsin_tests::now_ms() % 200 + 1);
    let mut throttled = false;
    for _ in 0..8 {
        let r = login_from(c, &email, "a wrong guess!!", &attacker);
        assert!(r.status == 401 || r.status == 429, "{}", r.text);
        throttled |= r.status == 429;
    }
    assert!(throttled, "the guesser is slowed down");
    // The owner, on their own phone's address, logs in at once.
    let owner = login_from(c, &email, "member password", "203.0.113.7");
    assert_eq!(owner.status, 200, "not locked out by someone else's guesses: {}", owner.text);
}

/// IPv6 guessing from many addresses of one /64 counts as one address.
fn ipv6_by_prefix(c: &Ctx) {
    let mut seen_429 = false;
    let prefix = format!("2001:db8:77:{:x}", tocsin_tests::now_ms() % 0xffff);
    for i in 0..24 {
        let email = format!("{}@example.com", unique("nobody"));
        let r = login_from(c, &email, "a wrong guess!!", &format!("{prefix}:{:x}::{:x}", i + 1, i + 7));
        assert!(r.status == 401 || r.status == 429, "{}", r.text);
        seen_429 |= r.status == 429;
    }
    assert!(seen_429, "24 failures from one /64 (20 free per address) are slowed down");
}

fn parallel_guesses(c: &Ctx) {
    let email = format!("{}@example.com", unique("target"));
    assert_eq!(c.admin().post("/api/users", json!({"email": email, "name": "T", "role": "responder", "password": "member password"})).status, 201);
    let addr = format!("192.0.2.{}", tocsin_tests::now_ms() % 200 + 1);
    let base = c.inst.base.clone();
    let handles: Vec<_> = (0..12)
        .map(|i| {
            let (base, email, addr) = (base.clone(), email.clone(), addr.clone());
            std::thread::spawn(move || {
                Api::new(&base)
                    .send("POST", "/api/auth/login", Some(json!({"email": email, "password": format!("guess number {i}")}).to_string().into_bytes()), &[("CF-Connecting-IP", &addr)])
                    .status
            })
        })
        .collect();
    let statuses: Vec<u16> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let checked = statuses.iter().filter(|s| **s == 401).count();
    assert!(statuses.iter().all(|s| *s == 401 || *s == 429), "{statuses:?}");
    assert!(checked <= 5, "at most the 5 free guesses were checked, however many arrived at once: {statuses:?}");
}

fn headers_and_csrf(c: &Ctx) {
    let anon = Api::new(&c.inst.base);
    c.admin();
    // The app shell: its own files and WebAssembly only, nothing inline, never framed.
    let app = anon.send("GET", "/", None, &[("Accept", "text/html")]);
    let csp = app.header("content-security-policy").expect("CSP on the app").to_string();
    assert!(csp.contains("script-src 'self' 'wasm-unsafe-eval'") && !csp.contains("unsafe-inline") && csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(!app.text.contains("<script>") && !app.text.contains("<script type=\"module\">"), "no inline script in the shell: {}", app.text);
    for (path, kind) in [("/api/me", "data"), ("/healthz", "data"), ("/status", "status"), ("/api/v2/summary.json", "data"), ("/boot.js", "asset")] {
        let r = anon.get(path);
        assert_eq!(r.header("x-content-type-options"), Some("nosniff"), "{path}");
        assert_eq!(r.header("referrer-policy"), Some("strict-origin-when-cross-origin"), "{path}");
        let csp = r.header("content-security-policy").unwrap_or_else(|| panic!("CSP on {path}")).to_string();
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        if kind == "status" {
            assert!(csp.contains("default-src 'none'") && csp.contains("style-src 'sha256-"), "{csp}");
        }
        assert_eq!(r.header("strict-transport-security"), None, "no HSTS on plain http");
    }
    // CSRF: a cookie-authenticated write must be JSON and from this origin.
    let a = c.admin();
    let cookie = a.cookie().unwrap();
    let body = Some(json!({"title": "csrf", "severity": "SEV4"}).to_string().into_bytes());
    let raw = |headers: &[(&str, &str)]| {
        let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
        let mut req = ureq::http::Request::builder().method("POST").uri(c.inst.url("/api/incidents")).header("Cookie", &cookie);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        agent.run(req.body(body.clone().unwrap()).unwrap()).unwrap().status().as_u16()
    };
    assert_eq!(raw(&[("Content-Type", "text/plain")]), 415, "a form-like body");
    assert_eq!(raw(&[("Content-Type", "application/json"), ("Origin", "https://evil.example")]), 403);
    assert_eq!(raw(&[("Content-Type", "application/json"), ("Sec-Fetch-Site", "cross-site")]), 403);
    assert_eq!(raw(&[("Content-Type", "application/json"), ("Origin", &c.inst.base), ("Sec-Fetch-Site", "same-origin")]), 201);
    // Login is covered too (a login CSRF would sign the victim into the attacker's account).
    let r = anon.send("POST", "/api/auth/login", Some(b"{}".to_vec()), &[("Origin", "https://evil.example")]);
    assert_eq!(r.status, 403, "{}", r.text);
}

fn token_lifecycle(c: &Ctx) {
    let (ana, _) = c.member("responder");
    let (bo, _) = c.member("responder");
    let r = ana.post("/api/tokens", json!({"name": "ci", "expires_in_days": 0}));
    assert_eq!((r.status, r.field()), (400, "expires_in_days"), "{}", r.text);
    let r = ana.post("/api/tokens", json!({"name": "ci", "expires_in_days": 30}));
    assert_eq!(r.status, 201, "{}", r.text);
    let (id, secret) = (r.json["id"].as_str().unwrap().to_string(), r.json["secret"].as_str().unwrap().to_string());
    let expires = tocsin_tests::rfc3339_ms(r.json["expires_at"].as_str().expect("an expiry"));
    assert!((expires - tocsin_tests::now_ms() - 30 * 86_400_000).abs() < 120_000, "30 days from now");
    let bot = Api::with_bearer(&c.inst.base, &secret);
    assert_eq!(bot.get("/api/me").status, 200);
    // Listed with when it was last used; never with its secret.
    let list = ana.get("/api/tokens");
    assert_eq!(list.status, 200, "{}", list.text);
    let mine = list.json["tokens"].as_array().unwrap().iter().find(|t| t["id"] == id.as_str()).cloned().expect("listed");
    assert!(mine["last_used_at"].is_string(), "{mine}");
    assert!(!list.text.contains(&secret));
    assert!(!bo.get("/api/tokens").text.contains(&id), "not in someone else's list");
    assert!(c.admin().get("/api/tokens").text.contains(&id), "admins see every token");
    // Someone else cannot revoke it; its owner can, and it stops at once.
    assert_eq!(bo.send("DELETE", &format!("/api/tokens/{id}"), None, &[]).status, 404);
    assert_eq!(bot.get("/api/me").status, 200);
    assert_eq!(ana.send("DELETE", &format!("/api/tokens/{id}"), None, &[]).status, 204);
    assert_eq!(bot.get("/api/me").status, 401, "revoked");
    // An expired token stops by itself (expiry moved into the past in D1).
    let r = ana.post("/api/tokens", json!({"name": "short", "expires_in_days": 1}));
    let (id2, secret2) = (r.json["id"].as_str().unwrap().to_string(), r.json["secret"].as_str().unwrap().to_string());
    let bot = Api::with_bearer(&c.inst.base, &secret2);
    assert_eq!(bot.get("/api/me").status, 200);
    c.inst.d1(&format!("UPDATE api_tokens SET expires_at = {} WHERE id = '{id2}'", tocsin_tests::now_ms() - 1000));
    assert_eq!(bot.get("/api/me").status, 401, "expired");
    assert!(!ana.get("/api/tokens").text.contains(&id2), "expired tokens are not listed as live");
    // An admin may revoke anyone's.
    let r = bo.post("/api/tokens", json!({"name": "bo's"}));
    let bid = r.json["id"].as_str().unwrap();
    assert_eq!(c.admin().send("DELETE", &format!("/api/tokens/{bid}"), None, &[]).status, 204);
}

fn session_lifecycle(c: &Ctx) {
    let email = format!("{}@example.com", unique("sess"));
    assert_eq!(c.admin().post("/api/users", json!({"email": email, "name": "S", "role": "responder", "password": "member password"})).status, 201);
    let login = |pw: &str| {
        let api = Api::new(&c.inst.base);
        let r = api.post("/api/auth/login", json!({"email": email, "password": pw}));
        (api, r.status)
    };
    // Idle: a session unused for longer than the idle limit (7 days by default) ends.
    let (phone, s) = login("member password");
    assert_eq!(s, 200);
    let hash = c.inst.d1(&format!("SELECT token_hash FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.email = '{email}' AND s.revoked_at IS NULL"));
    assert_eq!(hash.len(), 1, "{hash:?}");
    let h = hash[0]["token_hash"].as_str().unwrap();
    c.inst.d1(&format!("UPDATE sessions SET last_seen_at = {} WHERE token_hash = '{h}'", tocsin_tests::now_ms() - 8 * 86_400_000));
    assert_eq!(phone.get("/api/me").status, 401, "idle for 8 days");
    // Log out everywhere ends every session.
    let (a, _) = login("member password");
    let (b, _) = login("member password");
    assert_eq!(a.post("/api/auth/logout-everywhere", json!({})).status, 204);
    assert_eq!((a.get("/api/me").status, b.get("/api/me").status), (401, 401));
    // A password change needs the current one and ends the other sessions, not this one.
    let (here, _) = login("member password");
    let (there, _) = login("member password");
    let r = here.post("/api/users/me/password", json!({"current_password": "not it at all", "new_password": "a brand new password"}));
    assert_eq!((r.status, r.field()), (400, "current_password"), "{}", r.text);
    let r = here.post("/api/users/me/password", json!({"current_password": "member password", "new_password": "short"}));
    assert_eq!((r.status, r.field()), (400, "new_password"), "{}", r.text);
    let r = here.post("/api/users/me/password", json!({"current_password": "member password", "new_password": "a brand new password"}));
    assert_eq!(r.status, 204, "{}", r.text);
    assert_eq!(here.get("/api/me").status, 200, "this session goes on");
    assert_eq!(there.get("/api/me").status, 401, "the others end");
    assert_eq!(login("member password").1, 401);
    assert_eq!(login("a brand new password").1, 200);
}

fn raw_retention(c: &Ctx) {
    let svc = c.service();
    let (sid, key) = (svc["id"].as_str().unwrap(), svc["integration_key"].as_str().unwrap());
    let r = Api::new(&c.inst.base).post(&format!("/webhooks/generic/{key}"), json!({"summary": "kept a while", "severity": "info", "dedup_key": "raw"}));
    assert_eq!(r.status, 202);
    let raw = |c: &Ctx| c.admin().get(&format!("/api/services/{sid}/integrations")).json["recent_events"][0].clone();
    assert!(raw(c)["raw"].as_str().unwrap().contains("kept a while"));
    let now = tocsin_tests::now_ms();
    tocsin_tests::cron(&c.inst.base, now + 29 * 86_400_000);
    assert!(raw(c)["raw"].as_str().unwrap().contains("kept a while"), "29 days on: still there");
    tocsin_tests::cron(&c.inst.base, now + 30 * 86_400_000 + 60_000);
    let e = raw(c);
    assert_eq!(e["raw"], "", "30 days on: the payload is gone: {e}");
    assert_eq!(e["result"], "opened", "the outcome stays");
    // The event log itself goes after 90 days, all but the service's newest row (readiness
    // shows when a service last heard from its monitoring); the alert keeps its outcome.
    let r = Api::new(&c.inst.base).post(&format!("/webhooks/generic/{key}"), json!({"summary": "kept a while", "severity": "info", "dedup_key": "raw"}));
    assert_eq!(r.status, 202);
    let events = |c: &Ctx| c.inst.d1(&format!("SELECT COUNT(*) AS n FROM alert_events WHERE service_id = '{sid}'"))[0]["n"].as_i64().unwrap();
    assert_eq!(events(c), 2);
    tocsin_tests::cron(&c.inst.base, now + 89 * 86_400_000);
    assert_eq!(events(c), 2, "89 days on: both rows stay");
    tocsin_tests::cron(&c.inst.base, now + 91 * 86_400_000);
    assert_eq!(events(c), 1, "91 days on: only the newest row is left");
    let left = raw(c);
    assert_eq!(left["result"], "deduplicated", "the newest stays: {left}");
    let alert = c.inst.d1(&format!("SELECT event_count FROM alerts WHERE service_id = '{sid}'"));
    assert_eq!(alert[0]["event_count"], 2, "the alert still counts both: {alert:?}");
    // The first answer kept for a numbered delivery (Sentry's Request-ID: a retry gets it
    // again) is forgotten after a week, so the table does not grow for ever.
    let sentry = std::fs::read_to_string(tocsin_tests::instance::root().join("tests/fixtures/sentry_event_alert.json")).unwrap();
    let send = || {
        let headers = [("Content-Type", "application/json"), ("Sentry-Hook-Resource", "event_alert"), ("Request-ID", "retention-1")];
        Api::new(&c.inst.base).send("POST", &format!("/webhooks/sentry/{key}"), Some(sentry.clone().into_bytes()), &headers)
    };
    let first = send();
    assert_eq!(first.status, 202, "{}", first.text);
    let sent = tocsin_tests::now_ms();
    let kept = |c: &Ctx| c.inst.d1(&format!("SELECT COUNT(*) AS n FROM deliveries WHERE service_id = '{sid}'"))[0]["n"].as_i64().unwrap();
    assert_eq!(kept(c), 1);
    assert_eq!(send().text, first.text, "a retry gets the first answer");
    tocsin_tests::cron(&c.inst.base, sent + 6 * 86_400_000);
    assert_eq!(kept(c), 1, "6 days on: still kept");
    tocsin_tests::cron(&c.inst.base, sent + 7 * 86_400_000 + 60_000);
    assert_eq!(kept(c), 0, "a week on: forgotten");
}

fn chunked_body_capped(c: &Ctx) {
    let svc = c.service();
    let url = c.inst.url(&format!("/webhooks/generic/{}", svc["integration_key"].as_str().unwrap()));
    let file = c.inst.state.join("big-body.json");
    std::fs::write(&file, format!("{{\"summary\":\"x\",\"severity\":\"info\",\"details\":{{\"blob\":\"{}\"}}}}", "a".repeat(2 * 1024 * 1024))).unwrap();
    // curl sends a file piped through stdin as chunks, without Content-Length. Several at once:
    // each must get its 413, not a connection reset while it is still writing.
    let senders: Vec<_> = (0..6)
        .map(|_| {
            std::process::Command::new("sh")
                .arg("-c")
                .arg(format!("cat '{}' | curl -sS -o /dev/null -w '%{{http_code}}' -H 'Transfer-Encoding: chunked' -H 'Content-Type: application/json' --data-binary @- '{url}'", file.display()))
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("curl")
        })
        .collect();
    for sender in senders {
        let out = sender.wait_with_output().expect("curl");
        assert_eq!(String::from_utf8_lossy(&out.stdout), "413", "{}", String::from_utf8_lossy(&out.stderr));
    }
    let list = c.admin().get(&format!("/api/incidents?service_id={}", svc["id"].as_str().unwrap()));
    assert_eq!(list.json["incidents"], json!([]), "nothing created");
}

fn webhook_secrets_sealed(c: &Ctx) {
    let secret = "datadog-secret-sealed-at-rest";
    let r = c.admin().post("/api/services", json!({"name": unique("sealed"), "webhook_secret": secret}));
    assert_eq!(r.status, 201, "{}", r.text);
    let (sid, key) = (r.json["id"].as_str().unwrap().to_string(), r.json["integration_key"].as_str().unwrap().to_string());
    let stored = |c: &Ctx| c.inst.d1(&format!("SELECT webhook_secret FROM services WHERE id = '{sid}'"))[0]["webhook_secret"].as_str().unwrap().to_string();
    let at_rest = stored(c);
    assert!(at_rest.starts_with("s2.") && !at_rest.contains(secret), "stored sealed: {at_rest}");
    let body = std::fs::read_to_string(tocsin_tests::instance::root().join("tests/fixtures/datadog.json")).unwrap();
    let send = |s: &str| Api::new(&c.inst.base).send("POST", &format!("/webhooks/datadog/{key}"), Some(body.clone().into_bytes()), &[("X-Tocsin-Webhook-Secret", s)]).status;
    assert_eq!(send("not-the-secret-at-all"), 401);
    assert_eq!(send(secret), 202, "the sealed secret is still checked");
    // A secret stored in the clear by an earlier version works, and the cron seals it.
    let legacy = "a-legacy-plaintext-secret";
    c.inst.d1(&format!("UPDATE services SET webhook_secret = '{legacy}' WHERE id = '{sid}'"));
    tocsin_tests::cron(&c.inst.base, tocsin_tests::now_ms());
    let resealed = stored(c);
    assert!(resealed.starts_with("s2.") && !resealed.contains(legacy), "sealed by the cron: {resealed}");
    assert_eq!(send(secret), 401, "the old secret no longer applies");
    assert_eq!(send(legacy), 202, "the re-sealed one does");
}

/// The admin's audit rows (newest first), with filters as a query string.
fn audit(c: &Ctx, query: &str) -> Vec<Value> {
    let r = c.admin().get(&format!("/api/audit?{query}"));
    assert_eq!(r.status, 200, "{}", r.text);
    r.json["events"].as_array().cloned().unwrap()
}

/// The newest audit row about `target` with `action`.
fn audit_row(c: &Ctx, action: &str, target: &str) -> Value {
    audit(c, &format!("action={action}&target={target}")).into_iter().next().unwrap_or_else(|| panic!("no {action} row for {target}"))
}

fn audit_log(c: &Ctx) {
    let admin_id = c.admin().get("/api/me").json["user"]["id"].as_str().unwrap().to_string();
    let send = |method: &str, path: &str, body: Value, addr: &str| c.admin().send(method, path, Some(body.to_string().into_bytes()), &[("CF-Connecting-IP", addr)]);
    // A service with a webhook secret: created, edited, its key rotated.
    let secret = "the-webhook-secret-0123456789";
    let r = send("POST", "/api/services", json!({"name": unique("Audited"), "description": "before", "webhook_secret": secret}), "203.0.113.7");
    assert_eq!(r.status, 201, "{}", r.text);
    let (id, old_key) = (r.json["id"].as_str().unwrap().to_string(), r.json["integration_key"].as_str().unwrap().to_string());
    let created = audit_row(c, "service.created", &id);
    assert_eq!(created["actor"], json!({"kind": "user", "id": admin_id, "user_id": admin_id, "name": "Admin"}));
    assert_eq!(created["address"], "203.0.113.7");
    assert_eq!(created["target_kind"], "service");
    assert_eq!(created["after"]["description"], "before");
    assert_eq!(created["after"]["has_webhook_secret"], true, "whether a secret is set is recorded");
    assert!(created["before"].is_null());
    let r = send("PATCH", &format!("/api/services/{id}"), json!({"description": "after"}), "198.51.100.2");
    assert_eq!(r.status, 200, "{}", r.text);
    let updated = audit_row(c, "service.updated", &id);
    assert_eq!((updated["before"]["description"].as_str(), updated["after"]["description"].as_str()), (Some("before"), Some("after")));
    assert_eq!(updated["address"], "198.51.100.2");
    let r = c.admin().post(&format!("/api/services/{id}/rotate-key"), json!({}));
    assert_eq!(r.status, 200, "{}", r.text);
    let new_key = r.json["integration_key"].as_str().unwrap().to_string();
    audit_row(c, "service.key_rotated", &id);
    // A chat destination (its URL carries the credential) and a generic one (signing secret).
    let hook = format!("https://hooks.slack.com/services/T000/B000/{}", unique("xoxsecret"));
    let r = c.admin().post("/api/webhook-destinations", json!({"name": unique("Chat"), "kind": "slack", "url": hook, "events": ["incident.opened"]}));
    assert_eq!(r.status, 201, "{}", r.text);
    let dest = r.json["destination"]["id"].as_str().unwrap().to_string();
    audit_row(c, "webhook_destination.created", &dest);
    // A change made with an API token is attributed to the token and its user.
    let t = c.admin().post("/api/tokens", json!({"name": "deploy bot"}));
    assert_eq!(t.status, 201, "{}", t.text);
    let token_id = t.json["id"].as_str().unwrap().to_string();
    audit_row(c, "token.created", &token_id);
    let bot = Api::with_bearer(&c.inst.base, t.json["secret"].as_str().unwrap());
    let s = bot.post("/api/schedules", json!({"name": unique("Bot schedule"), "time_zone": "UTC", "layers": []}));
    assert_eq!(s.status, 201, "{}", s.text);
    let by_bot = audit_row(c, "schedule.created", s.json["id"].as_str().unwrap());
    assert_eq!(by_bot["actor"], json!({"kind": "token", "id": token_id, "user_id": admin_id, "name": "deploy bot (token of Admin)"}));
    // No secret reaches the log, whatever the row.
    let everything = c.admin().get("/api/audit?limit=200").text;
    for leaked in [secret, old_key.as_str(), new_key.as_str(), hook.as_str(), t.json["secret"].as_str().unwrap()] {
        assert!(!everything.contains(leaked), "{leaked} is in the audit log");
    }
    assert!(!c.inst.d1("SELECT before_json || after_json AS j FROM audit_log WHERE j IS NOT NULL").iter().any(|r| r["j"].as_str().is_some_and(|j| j.contains(secret))));
    // Refused and no-op changes leave no row: an observer's edit, a token that is not there.
    let count_now = || c.inst.d1("SELECT COUNT(*) AS n FROM audit_log")[0]["n"].as_u64().unwrap();
    let before = count_now();
    let (observer, _) = c.member("observer");
    let after_member = count_now();
    assert_eq!(after_member, before + 2, "the member's creation and login are recorded");
    assert_eq!(observer.patch(&format!("/api/services/{id}"), json!({"description": "sneaky"})).status, 403);
    assert_eq!(c.admin().send("DELETE", "/api/tokens/0190c8a2-8e1b-7c3d-9a4b-1c2d3e4f5a6b", None, &[]).status, 404);
    assert_eq!(count_now(), after_member, "refused or empty changes are not recorded");
    // Deleting and revoking are recorded too.
    assert_eq!(c.admin().send("DELETE", &format!("/api/webhook-destinations/{dest}"), None, &[]).status, 204);
    audit_row(c, "webhook_destination.deleted", &dest);
    assert_eq!(c.admin().send("DELETE", &format!("/api/tokens/{token_id}"), None, &[]).status, 204);
    audit_row(c, "token.revoked", &token_id);
}

fn audit_log_queries(c: &Ctx) {
    // Five schedules: paged two at a time, newest first, no row twice, none skipped.
    let ids: Vec<String> = (0..5)
        .map(|_| c.admin().post("/api/schedules", json!({"name": unique("Paged"), "time_zone": "UTC", "layers": []})).json["id"].as_str().unwrap().to_string())
        .collect();
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let r = c.admin().get(&format!("/api/audit?action=schedule.created&limit=2{cursor}"));
        assert_eq!(r.status, 200, "{}", r.text);
        let page = r.json["events"].as_array().unwrap();
        assert!(page.len() <= 2);
        assert!(page.iter().all(|e| e["action"] == "schedule.created"));
        seen.extend(page.iter().map(|e| e["target_id"].as_str().unwrap().to_string()));
        match r.json["next_cursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => break,
        }
    }
    let mine: Vec<&String> = seen.iter().filter(|s| ids.contains(s)).collect();
    assert_eq!(mine.iter().rev().cloned().cloned().collect::<Vec<_>>(), ids, "all five, newest first");
    let mut unique_seen = seen.clone();
    unique_seen.sort();
    unique_seen.dedup();
    assert_eq!(unique_seen.len(), seen.len(), "no row on two pages");
    // Filters: a kind of thing, an actor, a time range.
    let kinds = audit(c, "action=schedule&limit=200");
    assert!(!kinds.is_empty() && kinds.iter().all(|e| e["target_kind"] == "schedule"));
    let (member, member_id) = c.member("responder");
    let _ = member.post("/api/tokens", json!({"name": "mine"}));
    let theirs = audit(c, &format!("actor={member_id}"));
    assert!(theirs.iter().any(|e| e["action"] == "token.created") && theirs.iter().all(|e| e["actor"]["user_id"] == member_id.as_str()), "{theirs:?}");
    assert!(audit(c, "from=2099-01-01T00:00:00Z").is_empty(), "nothing in the future");
    // Bad filters are named.
    for (q, field) in [("limit=0", "limit"), ("limit=500", "limit"), ("action=service.exploded", "action"), ("actor_kind=robot", "actor_kind"), ("from=yesterday", "from"), ("cursor=1%27%20OR%201%3D1", "cursor")] {
        let r = c.admin().get(&format!("/api/audit?{q}"));
        assert_eq!((r.status, r.field()), (400, field), "{q}: {}", r.text);
    }
    // Append-only, even for someone with the database in hand.
    for sql in ["UPDATE audit_log SET action = 'nothing.happened'", "DELETE FROM audit_log"] {
        let refused = c.inst.try_d1(sql).expect_err(sql);
        assert!(refused.contains("append-only"), "{sql}: {refused}");
    }
    assert!(!audit(c, "limit=1").is_empty());
}

fn people_lifecycle(c: &Ctx) {
    let (observer, observer_id) = c.member("observer");
    let (responder, responder_id) = c.member("responder");
    let device = responder.post(
        "/api/push/subscriptions",
        json!({"endpoint": "https://push.example.com/send/leaver", "keys": {"p256dh": "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM", "auth": "tBHItJI5svbpez7KI4CCXg"}, "device": "Leaver's phone"}),
    );
    let feed = responder.post("/api/users/me/calendar-feed", json!({}));
    assert_eq!((device.status, feed.status), (201, 201), "{} {}", device.text, feed.text);
    let feed_path = feed.json["url"].as_str().unwrap().split_once("/api/").map(|(_, p)| format!("/api/{p}")).unwrap();
    assert_eq!(c.public(&feed_path).status, 200);
    let token = responder.post("/api/tokens", json!({"name": "responder's token"}));
    assert_eq!(token.status, 201, "{}", token.text);
    let responder_token = Api::with_bearer(&c.inst.base, token.json["secret"].as_str().unwrap());
    // Everyone sees the people; e-mail addresses are for admins (and one's own).
    let list = observer.get("/api/users");
    assert_eq!(list.status, 200, "{}", list.text);
    let users = list.json["users"].as_array().unwrap();
    let find = |users: &[Value], id: &str| users.iter().find(|u| u["id"] == id).cloned().unwrap();
    assert_eq!(find(users, &responder_id)["email"], "", "an observer does not see others' addresses");
    assert!(find(users, &observer_id)["email"].as_str().unwrap().contains('@'), "but their own");
    assert!(c.admin().get("/api/users").json["users"].as_array().unwrap().iter().all(|u| u["email"].as_str().unwrap().contains('@')));
    // Names: one's own; roles: admins only; the last admin stays.
    let r = observer.patch(&format!("/api/users/{observer_id}"), json!({"name": "Olive Observer"}));
    assert_eq!((r.status, r.json["name"].as_str()), (200, Some("Olive Observer")), "{}", r.text);
    assert_eq!(observer.patch("/api/users/me", json!({"role": "admin"})).status, 403, "no promoting oneself");
    assert_eq!(observer.patch(&format!("/api/users/{responder_id}"), json!({"name": "Renamed"})).status, 403);
    let r = c.admin().patch(&format!("/api/users/{observer_id}"), json!({"role": "responder"}));
    assert_eq!((r.status, r.json["role"].as_str()), (200, Some("responder")), "{}", r.text);
    assert_eq!(c.admin().patch(&format!("/api/users/{observer_id}"), json!({"role": "root"})).field(), "role");
    assert_eq!(c.admin().patch(&format!("/api/users/{observer_id}"), json!({"name": ""})).field(), "name");
    let admin_id = c.admin().get("/api/me").json["user"]["id"].as_str().unwrap().to_string();
    let others_admins = c.admin().get("/api/users").json["users"].as_array().unwrap().iter().filter(|u| u["role"] == "admin" && u["deactivated_at"].is_null() && u["id"] != admin_id.as_str()).count();
    if others_admins == 0 {
        let r = c.admin().patch("/api/users/me", json!({"role": "observer"}));
        assert_eq!(r.status, 409, "the last admin cannot step down: {}", r.text);
        assert_eq!(c.admin().post(&format!("/api/users/{admin_id}/deactivate"), json!({})).status, 409);
    }
    let audit_rows = audit(c, &format!("action=user.updated&target={observer_id}"));
    assert!(audit_rows.iter().any(|e| e["before"]["role"] == "observer" && e["after"]["role"] == "responder"), "{audit_rows:?}");
    // Deactivation ends the session and the token at once and refuses the login like a wrong password.
    assert_eq!(responder.get("/api/me").status, 200);
    assert_eq!(observer.post(&format!("/api/users/{responder_id}/deactivate"), json!({})).status, 403);
    let r = c.admin().post(&format!("/api/users/{responder_id}/deactivate"), json!({}));
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!((r.json["sessions_revoked"].as_u64(), r.json["tokens_revoked"].as_u64()), (Some(1), Some(1)), "{}", r.text);
    assert!(r.json["user"]["deactivated_at"].is_string());
    assert_eq!(responder.get("/api/me").status, 401, "the session ended");
    assert_eq!(responder_token.get("/api/me").status, 401, "the token ended");
    let devices = c.inst.d1(&format!("SELECT COUNT(*) AS n FROM push_subscriptions WHERE user_id = '{responder_id}'"));
    assert_eq!(devices[0]["n"], 0, "their phone is paged no more");
    assert_eq!(c.public(&feed_path).status, 404, "their calendar feed stopped");
    let email = find(c.admin().get("/api/users").json["users"].as_array().unwrap(), &responder_id)["email"].as_str().unwrap().to_string();
    let login = Api::new(&c.inst.base).post("/api/auth/login", json!({"email": email, "password": "member password"}));
    let wrong = Api::new(&c.inst.base).post("/api/auth/login", json!({"email": email, "password": "not the password"}));
    assert_eq!((login.status, login.json["error"]["message"].clone()), (wrong.status, wrong.json["error"]["message"].clone()), "no telling deactivated from wrong");
    assert_eq!(login.status, 401);
    assert_eq!(c.admin().post(&format!("/api/users/{responder_id}/deactivate"), json!({})).status, 409, "once");
    assert_eq!(c.admin().patch(&format!("/api/users/{responder_id}"), json!({"role": "admin"})).status, 409, "history is not edited back into power");
    assert_eq!(c.admin().post("/api/users/0190c8a2-8e1b-7c3d-9a4b-1c2d3e4f5a6b/deactivate", json!({})).status, 404);
    // The record stays: listed with the date, and in the audit log.
    assert!(find(c.admin().get("/api/users").json["users"].as_array().unwrap(), &responder_id)["deactivated_at"].is_string());
    let row = audit_row(c, "user.deactivated", &responder_id);
    assert_eq!(row["before"]["role"], "responder");
    // An invitation of someone deactivated before they accepted it no longer works.
    let invited = c.admin().post("/api/users", json!({"email": format!("{}@example.com", unique("invitee")), "name": "Invitee", "role": "responder"}));
    assert_eq!(invited.status, 201, "{}", invited.text);
    let invite_token = invited.json["invite_url"].as_str().unwrap().split_once("/invite#").unwrap().1.to_string();
    assert_eq!(c.admin().post(&format!("/api/users/{}/deactivate", invited.json["user"]["id"].as_str().unwrap()), json!({})).status, 200);
    let r = Api::new(&c.inst.base).post("/api/invites/accept", json!({"token": invite_token, "password": "invitee's password"}));
    assert_eq!((r.status, r.field()), (400, "token"), "{}", r.text);
}

// ---- hole 11: secrets at rest (queued action tokens, key rotation) ----

const WAIT: std::time::Duration = std::time::Duration::from_secs(15);

/// A responder paged at once by a new service through a policy of their own, with a push device
/// on `rx`: (their client, their id, the service's integration key, the device, its id).
fn paged_person(base: &str, admin: &Api, rx: &tocsin_tests::receiver::Receiver) -> (Api, String, String, tocsin_tests::receiver::TestSubscription, String) {
    let email = format!("{}@example.com", unique("paged"));
    let u = admin.post("/api/users", json!({"email": email, "name": unique("Paged"), "role": "responder", "password": "member password"}));
    assert_eq!(u.status, 201, "{}", u.text);
    let uid = u.json["user"]["id"].as_str().unwrap().to_string();
    let person = Api::new(base);
    assert_eq!(person.post("/api/auth/login", json!({"email": email, "password": "member password"})).status, 200);
    let p = admin.post("/api/escalation-policies", json!({"name": unique("Policy"), "repeats": 0, "levels": [{"targets": [{"type": "user", "id": uid}], "delay_minutes": 30}]}));
    assert_eq!(p.status, 201, "{}", p.text);
    let svc = admin.post("/api/services", json!({"name": unique("Paging")}));
    assert_eq!(svc.status, 201, "{}", svc.text);
    let sid = svc.json["id"].as_str().unwrap();
    let r = admin.send("PUT", &format!("/api/services/{sid}/escalation-policy"), Some(json!({"policy_id": p.json["id"]}).to_string().into_bytes()), &[]);
    assert_eq!(r.status, 200, "{}", r.text);
    let sub = tocsin_tests::receiver::TestSubscription::new(rx, "phone");
    let r = person.post("/api/push/subscriptions", sub.json("Phone"));
    assert_eq!(r.status, 201, "{}", r.text);
    let sub_id = r.json["id"].as_str().unwrap().to_string();
    (person, uid, svc.json["integration_key"].as_str().unwrap().to_string(), sub, sub_id)
}

/// Fires a new critical alert at a service; returns the incident's id.
fn fire(base: &str, key: &str) -> String {
    let r = Api::new(base).post(&format!("/webhooks/generic/{key}"), json!({"summary": "Database down", "severity": "critical", "dedup_key": unique("db")}));
    assert_eq!(r.status, 202, "{}", r.text);
    r.json["incident_id"].as_str().unwrap().to_string()
}

fn acknowledge_with(base: &str, token: &str) -> Reply {
    Api::new(base).post("/api/actions/acknowledge", json!({"token": token}))
}

fn queued_tokens(c: &Ctx) {
    let rx = tocsin_tests::receiver::Receiver::start();
    let base = &c.inst.base;
    let (person, uid, key, sub, sub_id) = paged_person(base, c.admin(), &rx);
    let incident = fire(base, &key);
    let first = sub.decrypt(&rx.wait_for(&sub.path, 1, WAIT)[0]);
    let token = first["token"].as_str().expect("the page carries an action token").to_string();
    // The page's queued payloads hold no token: not the one sent, not any other.
    let stored = c.inst.d1(&format!("SELECT id, channel, payload FROM outbound_deliveries WHERE incident_id = '{incident}'"));
    assert!(!stored.is_empty(), "the page was queued");
    for row in &stored {
        let payload = row["payload"].as_str().unwrap();
        assert!(!payload.contains(&token) && !payload.contains("\"token\""), "a usable token rests in D1 in the clear: {payload}");
    }
    // Nor does any log the API shows.
    let log = person.get("/api/push/deliveries");
    assert_eq!(log.status, 200, "{}", log.text);
    assert!(log.text.contains(&incident) && !log.text.contains(&token), "{}", log.text);
    let n = c.admin().get(&format!("/api/incidents/{incident}/notifications"));
    assert!(n.status == 200 && !n.text.contains(&token), "{}", n.text);

    // A page an earlier version queued with the token in the clear is still sent, and its
    // token does not stay in D1.
    let legacy = unique("legacy");
    let payload = first.to_string().replace('\'', "''");
    assert!(payload.contains(&token));
    let now = tocsin_tests::now_ms();
    c.inst.d1(&format!(
        "INSERT INTO outbound_deliveries (id, org_id, channel, target_id, user_id, incident_id, source, event, payload, state, attempts, next_attempt_at, created_at)
         SELECT '{legacy}', org_id, 'push', '{sub_id}', '{uid}', id, 'outbox:{legacy}', 'page', '{payload}', 'pending', 0, {now}, {now} FROM incidents WHERE id = '{incident}'"
    ));
    assert_eq!(c.inst.d1(&format!("SELECT COUNT(*) AS n FROM outbound_deliveries WHERE id = '{legacy}'"))[0]["n"], 1);
    tocsin_tests::cron(base, now);
    let got = rx.wait_for(&sub.path, 2, WAIT);
    assert_eq!(got.len(), 2, "the queued page was sent once");
    let second = sub.decrypt(&got[1]);
    assert_eq!(second["incident_id"], incident.as_str(), "{second}");
    let row = c.inst.d1(&format!("SELECT state, payload FROM outbound_deliveries WHERE id = '{legacy}'"));
    assert_eq!(row[0]["state"], "sent", "{row:?}");
    let at_rest = row[0]["payload"].as_str().unwrap();
    assert!(!at_rest.contains(&token) && !at_rest.contains("\"token\""), "the cron cleared it: {at_rest}");
    // What the phone got works.
    let fresh = second["token"].as_str().expect("sent with a working token");
    let r = acknowledge_with(base, fresh);
    assert_eq!((r.status, r.json["changed"].as_bool()), (200, Some(true)), "{}", r.text);
}

/// Every sealed value of the instance's D1, with where it is.
fn sealed_values(inst: &Instance) -> Vec<(String, String)> {
    let queries = [
        ("org_keys.vapid_private", "SELECT vapid_private AS v FROM org_keys"),
        ("org_keys.action_key", "SELECT action_key AS v FROM org_keys"),
        ("webhook_destinations.url", "SELECT url AS v FROM webhook_destinations"),
        ("webhook_destinations.secret", "SELECT secret AS v FROM webhook_destinations WHERE secret IS NOT NULL"),
        ("contact_preferences.webhook_url", "SELECT webhook_url AS v FROM contact_preferences WHERE webhook_url IS NOT NULL"),
        ("contact_preferences.webhook_secret", "SELECT webhook_secret AS v FROM contact_preferences WHERE webhook_secret IS NOT NULL"),
        ("services.webhook_secret", "SELECT webhook_secret AS v FROM services WHERE webhook_secret IS NOT NULL"),
    ];
    queries.iter().flat_map(|(what, sql)| inst.d1(sql).into_iter().map(|r| (what.to_string(), r["v"].as_str().unwrap().to_string()))).collect()
}

/// The key id every sealed value names (they must all name the same one), checking that each
/// column is represented.
fn only_key_id(inst: &Instance) -> String {
    let values = sealed_values(inst);
    for column in ["org_keys.vapid_private", "org_keys.action_key", "webhook_destinations.url", "webhook_destinations.secret", "contact_preferences.webhook_url", "contact_preferences.webhook_secret", "services.webhook_secret"] {
        assert!(values.iter().any(|(w, _)| w == column), "the fixtures seal something in {column}");
    }
    let ids: std::collections::BTreeSet<String> = values
        .iter()
        .map(|(what, v)| {
            let mut parts = v.splitn(3, '.');
            let (Some("s2"), Some(id), Some(_)) = (parts.next(), parts.next(), parts.next()) else { panic!("{what} is not sealed with a key id: {v}") };
            id.to_string()
        })
        .collect();
    assert_eq!(ids.len(), 1, "every value sealed under one key: {values:?}");
    ids.into_iter().next().unwrap()
}

/// What must keep working across a rotation: a page reaches the phone signed with the
/// organisation's VAPID key and its token acknowledges; a destination's test message is signed
/// with its secret; the personal webhook is signed with its secret; the service's webhook
/// secret is checked.
struct Sealed {
    person: Api,
    key: String,
    sub: tocsin_tests::receiver::TestSubscription,
    vapid: String,
    destination: String,
    destination_path: String,
    destination_secret: String,
    personal_path: String,
    personal_secret: String,
    datadog_key: String,
    datadog_secret: String,
}

fn still_works(inst: &Instance, admin: &Api, rx: &tocsin_tests::receiver::Receiver, s: &Sealed, when: &str) {
    let base = &inst.base;
    let verify = |secret: &str, r: &tocsin_tests::receiver::Received| {
        let sig = r.header("tocsin-signature").unwrap_or_else(|| panic!("{when}: no Tocsin-Signature"));
        assert_eq!(tocsin_domain::outbound::signature::verify(secret, sig, &r.body, tocsin_tests::now_ms() / 1000, 300), Ok(()), "{when}: signed with the same secret");
    };
    // The VAPID key pair is the same one.
    let k = s.person.get("/api/push/vapid-public-key");
    assert_eq!((k.status, k.json["public_key"].as_str()), (200, Some(s.vapid.as_str())), "{when}: {}", k.text);
    // A page: push (VAPID-signed, with a working token) and the personal webhook (signed).
    let (pushes, personal) = (rx.received(&s.sub.path).len(), rx.received(&s.personal_path).len());
    let incident = fire(base, &s.key);
    let got = rx.wait_for(&s.sub.path, pushes + 1, WAIT);
    tocsin_tests::receiver::check_vapid(&got[pushes], &s.vapid, &rx.base);
    let page = s.sub.decrypt(&got[pushes]);
    assert_eq!(page["incident_id"], incident.as_str(), "{when}: {page}");
    let hooks = rx.wait_for(&s.personal_path, personal + 1, WAIT);
    verify(&s.personal_secret, &hooks[personal]);
    let r = acknowledge_with(base, page["token"].as_str().unwrap());
    assert_eq!((r.status, r.json["changed"].as_bool()), (200, Some(true)), "{when}: {}", r.text);
    // A destination's test message, signed with its secret.
    let sent = rx.received(&s.destination_path).len();
    let t = admin.post(&format!("/api/webhook-destinations/{}/test", s.destination), json!({}));
    assert_eq!(t.status, 202, "{when}: {}", t.text);
    let got = rx.wait_for(&s.destination_path, sent + 1, WAIT);
    verify(&s.destination_secret, &got[sent]);
    // Ingestion checks the service's webhook secret.
    let body = std::fs::read_to_string(tocsin_tests::instance::root().join("tests/fixtures/datadog.json")).unwrap();
    let send = |secret: &str| Api::new(base).send("POST", &format!("/webhooks/datadog/{}", s.datadog_key), Some(body.clone().into_bytes()), &[("X-Tocsin-Webhook-Secret", secret)]);
    assert_eq!(send("not-the-secret-at-all").status, 401, "{when}");
    let r = send(&s.datadog_secret);
    assert_eq!(r.status, 202, "{when}: {}", r.text);
}

/// `./tocsin reseal BASE_URL` with an admin API token: its last line of output.
fn reseal_command(base: &str, token: &str) -> String {
    let out = std::process::Command::new("bash")
        .arg(tocsin_tests::instance::root().join("tocsin"))
        .args(["reseal", base])
        .env("TOCSIN_ADMIN_TOKEN", token)
        .output()
        .expect("run ./tocsin reseal");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "./tocsin reseal failed:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    stdout.lines().last().unwrap_or("").to_string()
}

fn key_rotation(_: &Ctx) {
    use tocsin_tests::instance::sealing_key;
    let (key_a, key_b, key_c) = (sealing_key(), sealing_key(), sealing_key());
    let mut inst = Instance::start_with("security-rotation", &[("TOCSIN_SECRET_KEY", &key_a)]);
    let base = inst.base.clone();
    let rx = tocsin_tests::receiver::Receiver::start();
    let admin = Api::setup(&base, "Acme", "admin@example.com", "security password", "Admin");
    let t = admin.post("/api/tokens", json!({"name": "reseal", "role": "admin"}));
    assert_eq!(t.status, 201, "{}", t.text);
    let admin_token = t.json["secret"].as_str().unwrap().to_string();
    // Sealed things of every kind: org keys, a destination with a secret, a personal webhook,
    // a service webhook secret.
    let (person, _uid, key, sub, _sub_id) = paged_person(&base, &admin, &rx);
    let vapid = person.get("/api/push/vapid-public-key").json["public_key"].as_str().unwrap().to_string();
    let destination_path = format!("/hooks/{}/generic", unique("rotation"));
    let d = admin.post("/api/webhook-destinations", json!({"name": unique("Ticketing"), "kind": "generic", "url": rx.url(&destination_path), "events": ["incident.opened"]}));
    assert_eq!(d.status, 201, "{}", d.text);
    let personal_path = format!("/personal/{}", unique("rotation"));
    let p = person.send("PUT", "/api/users/me/contact-preferences", Some(json!({"push": true, "webhook": {"kind": "generic", "url": rx.url(&personal_path)}, "repeat": null}).to_string().into_bytes()), &[]);
    assert_eq!(p.status, 200, "{}", p.text);
    let datadog_secret = "datadog-secret-across-rotation".to_string();
    let svc = admin.post("/api/services", json!({"name": unique("Datadog"), "webhook_secret": datadog_secret}));
    assert_eq!(svc.status, 201, "{}", svc.text);
    let s = Sealed {
        person,
        key,
        sub,
        vapid,
        destination: d.json["destination"]["id"].as_str().unwrap().to_string(),
        destination_path,
        destination_secret: d.json["signing_secret"].as_str().unwrap().to_string(),
        personal_path,
        personal_secret: p.json["webhook"]["signing_secret"].as_str().unwrap().to_string(),
        datadog_key: svc.json["integration_key"].as_str().unwrap().to_string(),
        datadog_secret,
    };
    still_works(&inst, &admin, &rx, &s, "under key A");
    let id_a = only_key_id(&inst);
    let before = sealed_values(&inst);

    // Rotation: B is current, A previous. Everything still opens; new values are sealed under B.
    inst.restart_with(&[("TOCSIN_SECRET_KEY", &key_b), ("TOCSIN_SECRET_KEY_PREVIOUS", &key_a)]);
    still_works(&inst, &admin, &rx, &s, "B current, A previous");
    let extra_path = format!("/hooks/{}/extra", unique("rotation"));
    let extra = admin.post("/api/webhook-destinations", json!({"name": unique("Extra"), "kind": "slack", "url": rx.url(&extra_path), "events": ["incident.opened"]}));
    assert_eq!(extra.status, 201, "{}", extra.text);
    let extra_id = extra.json["destination"]["id"].as_str().unwrap();
    let extra_url = inst.d1(&format!("SELECT url FROM webhook_destinations WHERE id = '{extra_id}'"))[0]["url"].as_str().unwrap().to_string();
    let id_b = extra_url.split('.').nth(1).unwrap().to_string();
    assert!(extra_url.starts_with("s2.") && id_b != id_a, "new values under the new key: {extra_url} (A is {id_a})");
    // Re-seal: only admins; the command runs it to completion.
    let (observer, _) = {
        let email = format!("{}@example.com", unique("observer"));
        assert_eq!(admin.post("/api/users", json!({"email": email, "name": "Observer", "role": "observer", "password": "member password"})).status, 201);
        let api = Api::new(&base);
        assert_eq!(api.post("/api/auth/login", json!({"email": email, "password": "member password"})).status, 200);
        (api, ())
    };
    assert_eq!(observer.post("/api/admin/reseal", json!({})).status, 403);
    assert_eq!(Api::new(&base).post("/api/admin/reseal", json!({})).status, 401);
    assert!(sealed_values(&inst).iter().any(|(_, v)| v.starts_with(&format!("s2.{id_a}."))), "still under A before the re-seal");
    let last = reseal_command(&base, &admin_token);
    let resealed = before.len();
    assert!(last.contains("remaining=0") && last.contains("failed=0") && last.contains(&format!("key_id={id_b}")), "{last}");
    let n: usize = last.split_whitespace().find_map(|w| w.strip_prefix("resealed=")).unwrap().parse().unwrap();
    assert_eq!(n, resealed, "every value sealed under A was re-sealed, nothing else: {last}");
    assert_eq!(only_key_id(&inst), id_b, "nothing sealed under A remains");
    let again = Api::with_bearer(&base, &admin_token).post("/api/admin/reseal", json!({}));
    assert_eq!((again.status, &again.json["resealed"], &again.json["remaining"]), (200, &json!(0), &json!(0)), "{}", again.text);
    // The re-seal is in the audit log (its step with values; the empty one leaves no row).
    let rows = admin.get("/api/audit?action=secrets.resealed");
    let rows = rows.json["events"].as_array().cloned().unwrap_or_else(|| panic!("{}", rows.text));
    assert!(!rows.is_empty() && rows.iter().all(|r| r["after"]["new_key_id"] == id_b.as_str() && r["actor"]["kind"] == "token"), "{rows:?}");
    assert_eq!(rows.iter().map(|r| r["after"]["resealed"].as_u64().unwrap() as usize).sum::<usize>(), resealed);

    // Only B: everything still works.
    inst.restart_with(&[("TOCSIN_SECRET_KEY", &key_b)]);
    still_works(&inst, &admin, &rx, &s, "only B");
    // A typo in the previous key does not stop paging or intake: Tocsin runs on the current one.
    inst.restart_with(&[("TOCSIN_SECRET_KEY", &key_b), ("TOCSIN_SECRET_KEY_PREVIOUS", "not-a-key")]);
    still_works(&inst, &admin, &rx, &s, "B with a mistyped previous key");

    // Only a wrong key: paging says clearly what is wrong instead of sending garbage.
    inst.restart_with(&[("TOCSIN_SECRET_KEY", &key_c)]);
    for path in ["/api/push/vapid-public-key", "/api/users/me/contact-preferences"] {
        let r = s.person.get(path);
        assert_eq!((r.status, r.code()), (503, "not_configured"), "{path}: {}", r.text);
        let msg = r.json["error"]["message"].as_str().unwrap();
        assert!(msg.contains(&id_b) && msg.contains("TOCSIN_SECRET_KEY_PREVIOUS"), "names the key it needs: {msg}");
    }
    let r = Api::with_bearer(&base, &admin_token).post("/api/admin/reseal", json!({}));
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!((&r.json["resealed"], &r.json["remaining"]), (&json!(0), &json!(0)), "{}", r.text);
    assert!(r.json["failed"].as_u64().unwrap() >= resealed as u64, "values under a key it does not hold are reported: {}", r.text);
}
