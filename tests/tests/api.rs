//! API tests against a real `wrangler dev` with a fresh local D1 (one instance per run).
//! Each test makes its own services, users and incidents, so any order works; the one that
//! needs a never-set-up instance starts its own.

use serde_json::{json, Value};
use std::sync::OnceLock;
use tocsin_tests::{instance::wrangler, Api, Instance};

const ADMIN_EMAIL: &str = "ana@example.com";
const ADMIN_PASSWORD: &str = "correct horse battery";

struct Ctx {
    inst: Instance,
    admin: OnceLock<Api>,
}

impl Ctx {
    fn api(&self) -> Api {
        Api::new(&self.inst.base)
    }

    /// The first admin, created by the first-run setup on first use.
    fn admin(&self) -> &Api {
        self.admin.get_or_init(|| Api::setup(&self.inst.base, "Acme", ADMIN_EMAIL, ADMIN_PASSWORD, "Ana Admin"))
    }

    /// A new service whose name starts with `name` (made unique, so tests can run alone or again).
    fn service(&self, name: &str) -> Value {
        let r = self.admin().post("/api/services", json!({"name": tocsin_tests::unique(name), "runbook_url": "https://runbooks.example.com/x"}));
        assert_eq!(r.status, 201, "{}", r.text);
        r.json
    }

    /// A logged-in user with `role`.
    fn user(&self, email: &str, role: &str) -> Api {
        let r = self.admin().post("/api/users", json!({"email": email, "name": role, "role": role, "password": "a long enough pw"}));
        assert_eq!(r.status, 201, "{}", r.text);
        let api = self.api();
        let r = api.post("/api/auth/login", json!({"email": email, "password": "a long enough pw"}));
        assert_eq!(r.status, 200, "{}", r.text);
        api
    }

    fn hook(&self, key: &str, body: Value) -> tocsin_tests::Reply {
        self.api().post(&format!("/webhooks/generic/{key}"), body)
    }
}

type Test = fn(&Ctx);

fn main() {
    let tests: &[(&str, Test)] = &[
        ("healthz_queries_d1", healthz_queries_d1),
        ("setup_rejects_bad_input", setup_rejects_bad_input),
        ("setup_creates_admin_and_logs_in", setup_creates_admin_and_logs_in),
        ("setup_again_is_409", setup_again_is_409),
        ("webhook_alert_opens_the_next_numbered_incident", webhook_alert_opens_the_next_numbered_incident),
        ("webhook_same_dedup_key_counts_on_open_alert", webhook_same_dedup_key_counts_on_open_alert),
        ("webhook_resolve_resolves_alert_and_incident", webhook_resolve_resolves_alert_and_incident),
        ("webhook_bad_input_400_404_413", webhook_bad_input_400_404_413),
        ("concurrent_duplicate_alerts_open_one_incident", concurrent_duplicate_alerts_open_one_incident),
        ("login_good_bad_and_logout_revokes", login_good_bad_and_logout_revokes),
        ("repeated_login_failures_are_slowed_down", repeated_login_failures_are_slowed_down),
        ("api_tokens_bearer_and_role_cap", api_tokens_bearer_and_role_cap),
        ("invite_link_sets_password_once", invite_link_sets_password_once),
        ("services_create_edit_rotate", services_create_edit_rotate),
        ("incident_acknowledge_resolve_idempotent_409", incident_acknowledge_resolve_idempotent_409),
        ("incident_list_filters_and_cursor_pages", incident_list_filters_and_cursor_pages),
        ("timeline_rows_are_numbered_and_read_after_the_last_seen", timeline_after_seq),
        ("live_record_sends_every_change_once_and_catches_up", live_record),
        ("incident_title_summary_and_severity_are_edited_on_the_record", incident_edits),
        ("unknown_routes_and_methods", unknown_routes_and_methods),
        ("deploy_dry_run_bundles_offline", deploy_dry_run_bundles_offline),
    ];
    let ctx = Ctx { inst: Instance::start("api"), admin: OnceLock::new() };
    tocsin_tests::run_suite(ctx, tests, |c| eprintln!("--- wrangler log ---\n{}", c.inst.log()))
}

fn healthz_queries_d1(c: &Ctx) {
    let r = c.api().get("/healthz");
    assert_eq!(r.status, 200);
    assert_eq!(r.json["status"], "ok");
    assert_eq!(r.json["db"], "ok");
    assert_eq!(r.json["version"], env!("CARGO_PKG_VERSION"));
}

fn setup_rejects_bad_input(_: &Ctx) {
    // First-run setup needs an instance nobody has set up yet: this test has its own.
    let fresh = Instance::start("api-first-run");
    let api = Api::new(&fresh.base);
    assert_eq!(api.get("/api/setup").json, json!({"needs_setup": true}));
    let good = json!({"organization": "Acme", "email": "x@example.com", "password": "0123456789", "name": "X"});
    let with = |k: &str, v: Value| {
        let mut b = good.clone();
        b[k] = v;
        b
    };
    for (body, field) in [
        (with("password", json!("short")), "password"),
        (with("email", json!("not-an-email")), "email"),
        (with("organization", json!("  ")), "organization"),
        (json!({"organization": "Acme", "email": "x@example.com", "password": "0123456789"}), "name"),
    ] {
        let r = api.post("/api/setup", body.clone());
        assert_eq!((r.status, r.field()), (400, field), "{body} → {}", r.text);
        assert_eq!(r.code(), "invalid_request");
    }
    let r = api.post_raw("/api/setup", b"{\"organization\":".to_vec());
    assert_eq!((r.status, r.field()), (400, "body"), "{}", r.text);
    assert!(r.json["error"]["message"].as_str().unwrap().contains("not valid JSON"));
    assert_eq!(api.get("/api/setup").json, json!({"needs_setup": true}), "nothing was created");
}

fn setup_creates_admin_and_logs_in(c: &Ctx) {
    let admin = c.admin();
    let cookie = admin.cookie().expect("setup sets a session cookie");
    assert!(cookie.starts_with("tocsin_session=tcs_"));
    let me = admin.get("/api/me");
    assert_eq!(me.status, 200, "{}", me.text);
    assert_eq!(me.json["user"]["email"], ADMIN_EMAIL);
    assert_eq!(me.json["role"], "admin");
    assert_eq!(me.json["organization"]["name"], "Acme");
    // Cookie attributes, checked on a fresh login.
    let r = c.api().post("/api/auth/login", json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}));
    let sc = r.set_cookie.expect("login sets a cookie");
    for attr in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(sc.contains(attr), "{sc} lacks {attr}");
    }
    assert!(!sc.contains("Secure"), "no Secure flag on plain http (local dev)");
    assert_eq!(c.api().get("/api/setup").json, json!({"needs_setup": false}));
}

fn setup_again_is_409(c: &Ctx) {
    c.admin();
    let r = c.api().post("/api/setup", json!({"organization": "Evil", "email": "e@example.com", "password": "0123456789", "name": "E"}));
    assert_eq!(r.status, 409, "{}", r.text);
    assert_eq!(r.code(), "conflict");
    let r = c.api().post("/api/auth/login", json!({"email": "e@example.com", "password": "0123456789"}));
    assert_eq!(r.status, 401, "the second setup created no user");
}

fn webhook_alert_opens_the_next_numbered_incident(c: &Ctx) {
    // Numbers count up per organisation: the next one is the newest's plus one.
    let newest = c.admin().get("/api/incidents?limit=1").json["incidents"][0]["number"].as_i64().unwrap_or(0);
    let svc = c.service("Checkout");
    let key = svc["integration_key"].as_str().unwrap();
    assert!(key.len() >= 32, "integration key has at least 128 bits: {key}");
    let r = c.hook(key, json!({"summary": "Checkout 5xx above 5%", "severity": "critical", "dedup_key": "5xx", "source": "prom"}));
    assert_eq!(r.status, 202, "{}", r.text);
    assert_eq!(r.json["status"], "accepted");
    assert_eq!(r.json["dedup_key"], "5xx");
    let id = r.json["incident_id"].as_str().unwrap();
    let d = c.admin().get(&format!("/api/incidents/{id}"));
    assert_eq!(d.status, 200);
    let inc = &d.json["incident"];
    assert_eq!(inc["number"], newest + 1);
    assert_eq!(inc["status"], "triggered");
    assert_eq!(inc["severity"], "SEV1");
    assert_eq!(inc["title"], "Checkout 5xx above 5%");
    assert_eq!(inc["service"]["name"], svc["name"]);
    assert_eq!(inc["service"]["runbook_url"], "https://runbooks.example.com/x");
    assert_eq!(d.json["alerts"][0]["dedup_key"], "5xx");
    assert_eq!(d.json["alerts"][0]["source"], "prom");
    assert_eq!(d.json["timeline"][0]["kind"], "incident.triggered");
    assert_eq!(d.json["timeline"][0]["actor"]["type"], "integration");
}

fn webhook_same_dedup_key_counts_on_open_alert(c: &Ctx) {
    let svc = c.service("Search");
    let key = svc["integration_key"].as_str().unwrap();
    let body = json!({"summary": "Search latency high", "severity": "warning", "dedup_key": "lat"});
    let first = c.hook(key, body.clone());
    let second = c.hook(key, body.clone());
    assert_eq!((first.status, second.status), (202, 202));
    assert_eq!(first.json["incident_id"], second.json["incident_id"]);
    assert_eq!(first.json["alert_id"], second.json["alert_id"]);
    let list = c.admin().get(&format!("/api/incidents?service_id={}", svc["id"].as_str().unwrap()));
    assert_eq!(list.json["incidents"].as_array().unwrap().len(), 1, "one incident, not two");
    let d = c.admin().get(&format!("/api/incidents/{}", first.json["incident_id"].as_str().unwrap()));
    assert_eq!(d.json["alerts"].as_array().unwrap().len(), 1);
    assert_eq!(d.json["alerts"][0]["event_count"], 2);
    assert_eq!(d.json["incident"]["severity"], "SEV3", "warning → SEV3");
    // Without a dedup_key, a retried delivery is still recognised (key derived from content).
    let a = c.hook(key, json!({"summary": "Index build failed", "severity": "error", "source": "cron"}));
    let b = c.hook(key, json!({"summary": "Index build failed", "severity": "error", "source": "cron"}));
    assert_eq!(a.json["incident_id"], b.json["incident_id"]);
    assert!(a.json["dedup_key"].as_str().unwrap().starts_with("auto-"));
}

fn webhook_resolve_resolves_alert_and_incident(c: &Ctx) {
    let svc = c.service("Billing");
    let key = svc["integration_key"].as_str().unwrap();
    let fired = c.hook(key, json!({"summary": "Invoices stuck", "severity": "error", "dedup_key": "inv"}));
    let id = fired.json["incident_id"].as_str().unwrap().to_string();
    let r = c.hook(key, json!({"summary": "Invoices stuck", "status": "resolved", "dedup_key": "inv"}));
    assert_eq!(r.status, 202, "{}", r.text);
    assert_eq!(r.json["incident_id"], id.as_str());
    let d = c.admin().get(&format!("/api/incidents/{id}"));
    assert_eq!(d.json["incident"]["status"], "resolved");
    assert_eq!(d.json["incident"]["resolved_by"]["type"], "integration");
    assert_eq!(d.json["alerts"][0]["status"], "resolved");
    let kinds: Vec<&str> = d.json["timeline"].as_array().unwrap().iter().map(|t| t["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["incident.triggered", "alert.resolved", "incident.resolved"]);
    // Resolving again, or something never seen: accepted as a no-op, nothing changes.
    let again = c.hook(key, json!({"summary": "Invoices stuck", "status": "resolved", "dedup_key": "inv"}));
    assert_eq!((again.status, again.json["status"].as_str()), (202, Some("ignored")));
    // The same problem firing again later is a new incident.
    let refire = c.hook(key, json!({"summary": "Invoices stuck", "severity": "error", "dedup_key": "inv"}));
    assert_ne!(refire.json["incident_id"], id.as_str());
}

fn webhook_bad_input_400_404_413(c: &Ctx) {
    let svc = c.service("Edge");
    let key = svc["integration_key"].as_str().unwrap();
    let path = format!("/webhooks/generic/{key}");
    let api = c.api();
    let r = api.post_raw(&path, b"{not json".to_vec());
    assert_eq!((r.status, r.field()), (400, "body"), "{}", r.text);
    for (body, field) in [
        (json!({"severity": "critical"}), "summary"),
        (json!({"summary": "x", "severity": "fatal"}), "severity"),
        (json!({"summary": "x"}), "severity"),
        (json!({"summary": "x", "severity": "info", "status": "open"}), "status"),
        (json!({"summary": "x", "severity": "info", "details": [1]}), "details"),
    ] {
        let r = api.post(&path, body.clone());
        assert_eq!((r.status, r.field()), (400, field), "{body} → {}", r.text);
        assert!(r.json["error"]["message"].as_str().unwrap().starts_with(field), "{}", r.text);
    }
    let r = api.post("/webhooks/generic/0123456789abcdef0123456789abcdef", json!({"summary": "x", "severity": "info"}));
    assert_eq!((r.status, r.code()), (404, "not_found"), "{}", r.text);
    let big = format!("{{\"summary\":\"x\",\"severity\":\"info\",\"details\":{{\"blob\":\"{}\"}}}}", "a".repeat(600 * 1024));
    let r = api.post_raw(&path, big.into_bytes());
    assert_eq!((r.status, r.code()), (413, "payload_too_large"), "{}", r.text);
    let list = c.admin().get(&format!("/api/incidents?service_id={}", svc["id"].as_str().unwrap()));
    assert_eq!(list.json["incidents"], json!([]), "no bad request created anything");
}

fn concurrent_duplicate_alerts_open_one_incident(c: &Ctx) {
    let svc = c.service("Queue");
    let key = svc["integration_key"].as_str().unwrap().to_string();
    let base = c.inst.base.clone();
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let (key, base) = (key.clone(), base.clone());
            std::thread::spawn(move || {
                Api::new(&base).post(
                    &format!("/webhooks/generic/{key}"),
                    json!({"summary": "Queue depth", "severity": "critical", "dedup_key": "depth"}),
                )
            })
        })
        .collect();
    let replies: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert!(replies.iter().all(|r| r.status == 202), "{replies:?}");
    let list = c.admin().get(&format!("/api/incidents?service_id={}", svc["id"].as_str().unwrap()));
    let incidents = list.json["incidents"].as_array().unwrap();
    assert_eq!(incidents.len(), 1, "eight simultaneous deliveries open one incident: {incidents:?}");
    let d = c.admin().get(&format!("/api/incidents/{}", incidents[0]["id"].as_str().unwrap()));
    assert_eq!(d.json["alerts"][0]["event_count"], 8);
}

fn login_good_bad_and_logout_revokes(c: &Ctx) {
    c.admin();
    let api = c.api();
    let wrong_pw = api.post("/api/auth/login", json!({"email": ADMIN_EMAIL, "password": "not the password"}));
    let no_user = api.post("/api/auth/login", json!({"email": "nobody@example.com", "password": "not the password"}));
    assert_eq!((wrong_pw.status, no_user.status), (401, 401));
    assert_eq!(wrong_pw.json, no_user.json, "the answer does not say which part was wrong");
    assert_eq!(api.get("/api/me").status, 401);
    let ok = api.post("/api/auth/login", json!({"email": "ANA@example.com ", "password": ADMIN_PASSWORD}));
    assert_eq!(ok.status, 200, "{}", ok.text);
    let cookie = api.cookie().unwrap();
    assert_eq!(api.get("/api/me").status, 200);
    let out = api.post("/api/auth/logout", json!({}));
    assert_eq!(out.status, 204);
    // The old cookie no longer works, even if a client kept it: the session was revoked server-side.
    let replay = c.api().send("GET", "/api/me", None, &[("Cookie", &cookie)]);
    assert_eq!(replay.status, 401);
}

fn repeated_login_failures_are_slowed_down(c: &Ctx) {
    let email = format!("{}@example.com", tocsin_tests::unique("slow"));
    c.user(&email, "responder");
    let api = c.api();
    let bad = json!({"email": email, "password": "wrong password!"});
    for i in 0..5 {
        assert_eq!(api.post("/api/auth/login", bad.clone()).status, 401, "attempt {i}");
    }
    let r = api.post("/api/auth/login", bad);
    assert_eq!(r.status, 429, "{}", r.text);
    let wait = r.retry_after.as_deref().and_then(|s| s.parse::<u64>().ok()).unwrap_or(0);
    assert!(wait >= 1, "{r:?}");
    // Even the right password waits while the account is slowed down.
    let right = api.post("/api/auth/login", json!({"email": email, "password": "a long enough pw"}));
    assert_eq!(right.status, 429);
    // Retry-After is a promise: after that many seconds the right password works.
    std::thread::sleep(std::time::Duration::from_secs(wait));
    let right = api.post("/api/auth/login", json!({"email": email, "password": "a long enough pw"}));
    assert_eq!(right.status, 200, "after the wait, the right password works: {}", right.text);
}

fn api_tokens_bearer_and_role_cap(c: &Ctx) {
    let r = c.admin().post("/api/tokens", json!({"name": "ci", "role": "responder"}));
    assert_eq!(r.status, 201, "{}", r.text);
    let secret = r.json["secret"].as_str().unwrap();
    assert!(secret.starts_with("tct_") && secret.len() > 40);
    assert_eq!(r.json["role"], "responder");
    let bot = Api::with_bearer(&c.inst.base, secret);
    let me = bot.get("/api/me");
    assert_eq!((me.status, me.json["role"].as_str()), (200, Some("responder")), "{}", me.text);
    let declared = bot.post("/api/incidents", json!({"title": "Declared by a script", "severity": "SEV2"}));
    assert_eq!(declared.status, 201, "{}", declared.text);
    assert_eq!(bot.post("/api/services", json!({"name": "nope"})).status, 403, "a responder token cannot administer");
    // A token cannot make tokens (one that could would outlive its own expiry and revocation),
    // not even with its own role; a person signed in makes them, never above their own role.
    for body in [json!({"name": "more", "role": "admin"}), json!({"name": "same"}), json!({"name": "lasting", "role": "observer"})] {
        let r = bot.post("/api/tokens", body.clone());
        assert_eq!(r.status, 403, "{body}: {}", r.text);
        assert!(r.text.contains("cannot create API tokens"), "{}", r.text);
    }
    let responder = c.user(&format!("{}@example.com", tocsin_tests::unique("maker")), "responder");
    assert_eq!(responder.post("/api/tokens", json!({"name": "more", "role": "admin"})).status, 403, "no token with more power than its creator");
    let bad = Api::with_bearer(&c.inst.base, "tct_not-a-real-token");
    assert_eq!(bad.get("/api/me").status, 401);
}

fn invite_link_sets_password_once(c: &Ctx) {
    let r = c.admin().post("/api/users", json!({"email": "new@example.com", "name": "Newbie", "role": "responder"}));
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json["user"]["active"], false);
    let url = r.json["invite_url"].as_str().unwrap();
    let token = url.split_once("/invite#").expect("invite link carries its token in the fragment").1;
    let dup = c.admin().post("/api/users", json!({"email": "NEW@example.com", "name": "Again", "role": "observer"}));
    assert_eq!(dup.status, 409, "{}", dup.text);
    let api = c.api();
    let short = api.post("/api/invites/accept", json!({"token": token, "password": "short"}));
    assert_eq!((short.status, short.field()), (400, "password"));
    let ok = api.post("/api/invites/accept", json!({"token": token, "password": "my new password"}));
    assert_eq!(ok.status, 200, "{}", ok.text);
    assert_eq!(api.get("/api/me").json["user"]["active"], true);
    let again = c.api().post("/api/invites/accept", json!({"token": token, "password": "another password"}));
    assert_eq!((again.status, again.field()), (400, "token"), "single use: {}", again.text);
    let login = c.api().post("/api/auth/login", json!({"email": "new@example.com", "password": "my new password"}));
    assert_eq!(login.status, 200);
}

fn services_create_edit_rotate(c: &Ctx) {
    let admin = c.admin();
    let r = admin.post("/api/services", json!({"name": "Auth", "description": "Login service", "runbook_url": "ftp://x"}));
    assert_eq!((r.status, r.field()), (400, "runbook_url"));
    assert_eq!(admin.post("/api/services", json!({"description": "no name"})).field(), "name");
    let svc = c.service("Auth");
    let name = svc["name"].as_str().unwrap().to_string();
    assert_eq!(admin.post("/api/services", json!({"name": name.to_lowercase()})).status, 409, "names are unique per organisation");
    let id = svc["id"].as_str().unwrap();
    let p = admin.patch(&format!("/api/services/{id}"), json!({"description": "Sessions and SSO", "runbook_url": null}));
    assert_eq!(p.status, 200, "{}", p.text);
    assert_eq!(p.json["name"], name.as_str(), "absent fields are kept");
    assert_eq!(p.json["description"], "Sessions and SSO");
    assert!(p.json.get("runbook_url").is_none(), "null clears the runbook");
    assert_eq!(admin.get(&format!("/api/services/{id}")).json["description"], "Sessions and SSO");
    assert_eq!(admin.get("/api/services/does-not-exist").status, 404);
    let old_key = svc["integration_key"].as_str().unwrap();
    let rotated = admin.post(&format!("/api/services/{id}/rotate-key"), json!({}));
    let new_key = rotated.json["integration_key"].as_str().unwrap();
    assert_ne!(old_key, new_key);
    let alert = json!({"summary": "x", "severity": "info", "dedup_key": "rot"});
    assert_eq!(c.hook(old_key, alert.clone()).status, 404, "the old key stops working at once");
    assert_eq!(c.hook(new_key, alert).status, 202);
    let names: Vec<String> =
        admin.get("/api/services").json["services"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap().to_string()).collect();
    assert!(names.contains(&name));
}

fn incident_acknowledge_resolve_idempotent_409(c: &Ctx) {
    let admin = c.admin();
    let r = admin.post("/api/incidents", json!({"title": "Manual incident", "severity": "SEV2"}));
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.json["incident"]["id"].as_str().unwrap();
    let bad = admin.post("/api/incidents", json!({"title": "x", "severity": "SEV9"}));
    assert_eq!(bad.status, 400, "{}", bad.text);
    let bad = admin.post("/api/incidents", json!({"title": "x", "severity": "SEV2", "service_id": "nope"}));
    assert_eq!((bad.status, bad.field()), (400, "service_id"));
    let ack = admin.post(&format!("/api/incidents/{id}/acknowledge"), json!({}));
    assert_eq!(ack.status, 200, "{}", ack.text);
    assert_eq!(ack.json["incident"]["status"], "acknowledged");
    assert_eq!(ack.json["incident"]["acknowledged_by"]["name"], "Ana Admin");
    let again = admin.post(&format!("/api/incidents/{id}/acknowledge"), json!({}));
    assert_eq!(again.status, 200, "acknowledging twice is fine");
    assert_eq!(again.json["incident"]["acknowledged_at"], ack.json["incident"]["acknowledged_at"]);
    let res = admin.post(&format!("/api/incidents/{id}/resolve"), json!({}));
    assert_eq!(res.json["incident"]["status"], "resolved");
    assert_eq!(admin.post(&format!("/api/incidents/{id}/resolve"), json!({})).status, 200);
    let late = admin.post(&format!("/api/incidents/{id}/acknowledge"), json!({}));
    assert_eq!((late.status, late.code()), (409, "conflict"), "{}", late.text);
    let d = admin.get(&format!("/api/incidents/{id}"));
    let kinds: Vec<&str> = d.json["timeline"].as_array().unwrap().iter().map(|t| t["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["incident.declared", "incident.acknowledged", "incident.resolved"], "one entry per real change");
    assert_eq!(admin.post("/api/incidents/nope/acknowledge", json!({})).status, 404);
}

fn incident_list_filters_and_cursor_pages(c: &Ctx) {
    let svc = c.service("Paged");
    let key = svc["integration_key"].as_str().unwrap();
    let sid = svc["id"].as_str().unwrap();
    let mut ids = Vec::new();
    for n in 0..5 {
        let r = c.hook(key, json!({"summary": format!("problem {n}"), "severity": "info", "dedup_key": format!("p{n}")}));
        ids.push(r.json["incident_id"].as_str().unwrap().to_string());
    }
    c.admin().post(&format!("/api/incidents/{}/acknowledge", ids[1]), json!({}));
    c.admin().post(&format!("/api/incidents/{}/resolve", ids[2]), json!({}));
    let mut seen = Vec::new();
    let mut path = format!("/api/incidents?service_id={sid}&limit=2");
    loop {
        let page = c.admin().get(&path);
        assert_eq!(page.status, 200, "{}", page.text);
        let items = page.json["incidents"].as_array().unwrap();
        assert!(items.len() <= 2);
        seen.extend(items.iter().map(|i| i["id"].as_str().unwrap().to_string()));
        match page.json["next_cursor"].as_str() {
            Some(cur) => path = format!("/api/incidents?service_id={sid}&limit=2&cursor={cur}"),
            None => break,
        }
    }
    let newest_first: Vec<String> = ids.iter().rev().cloned().collect();
    assert_eq!(seen, newest_first, "every incident once, newest first");
    let count = |q: &str| c.admin().get(&format!("/api/incidents?service_id={sid}&status={q}")).json["incidents"].as_array().unwrap().len();
    assert_eq!(count("triggered"), 3);
    assert_eq!(count("acknowledged"), 1);
    assert_eq!(count("resolved"), 1);
    assert_eq!(count("open"), 4);
    assert_eq!(count("triggered,resolved"), 4);
    for (q, field) in [("limit=0", "limit"), ("limit=abc", "limit"), ("status=closed", "status"), ("cursor=!!", "cursor")] {
        let r = c.admin().get(&format!("/api/incidents?{q}"));
        assert_eq!((r.status, r.field()), (400, field), "{q}: {}", r.text);
    }
}

fn unknown_routes_and_methods(c: &Ctx) {
    let api = c.api();
    assert_eq!(api.get("/api/nothing-here").status, 404);
    let r = api.send("DELETE", "/api/incidents", None, &[]);
    assert_eq!((r.status, r.code()), (405, "method_not_allowed"));
    assert_eq!(api.get("/api/incidents").status, 401, "reading needs a login");
    // The app shell is served for any other path (client-side routing).
    let page = api.send("GET", "/incidents/some-id", None, &[("Accept", "text/html"), ("Sec-Fetch-Mode", "navigate")]);
    assert_eq!(page.status, 200);
    assert!(page.text.contains("/tocsin_app.js\""), "{}", page.text);
}

fn deploy_dry_run_bundles_offline(c: &Ctx) {
    let out_dir = c.inst.state.join("deploy-dry-run");
    let out = wrangler(&c.inst.state).args(["deploy", "--dry-run", "--outdir"]).arg(&out_dir).output().expect("run wrangler");
    let log = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "wrangler deploy --dry-run failed:\n{log}");
    assert!(log.contains("env.DB"), "the D1 binding is part of the deploy: {log}");
    assert!(out_dir.join("entry.js").exists() || std::fs::read_dir(&out_dir).map(|d| d.count() > 0).unwrap_or(false));
}

/// Every row of an incident's record has the next number; a client asks for the rows after the
/// last one it saw and gets exactly those, also while rows arrive from many writers at once.
fn timeline_after_seq(c: &Ctx) {
    let svc = c.service("Numbered");
    let key = svc["integration_key"].as_str().unwrap().to_string();
    let r = c.hook(&key, json!({"summary": "Disk full", "severity": "critical", "dedup_key": "disk"}));
    assert_eq!(r.status, 202, "{}", r.text);
    let id = r.json["incident_id"].as_str().unwrap().to_string();
    // Writers at once: repeats of the alert, notes, an acknowledgement.
    let base = c.inst.base.clone();
    let cookie = c.admin().cookie().unwrap();
    let mut handles = Vec::new();
    for i in 0..6 {
        let (base, key) = (base.clone(), key.clone());
        handles.push(std::thread::spawn(move || {
            Api::new(&base).post(&format!("/webhooks/generic/{key}"), json!({"summary": "Disk full", "severity": "critical", "dedup_key": "disk", "details": {"n": i}})).status
        }));
    }
    for i in 0..6 {
        let (base, id, cookie) = (base.clone(), id.clone(), cookie.clone());
        handles.push(std::thread::spawn(move || {
            Api::new(&base).send("POST", &format!("/api/incidents/{id}/notes"), Some(json!({"body": format!("note {i}")}).to_string().into_bytes()), &[("Cookie", cookie.as_str())]).status
        }));
    }
    let statuses: Vec<u16> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert!(statuses.iter().all(|s| *s == 202 || *s == 201), "{statuses:?}");
    assert_eq!(c.admin().post(&format!("/api/incidents/{id}/acknowledge"), json!({})).status, 200);
    let detail = c.admin().get(&format!("/api/incidents/{id}"));
    let seqs: Vec<i64> = detail.json["timeline"].as_array().unwrap().iter().map(|t| t["seq"].as_i64().unwrap()).collect();
    assert!(seqs.len() >= 8, "{}", detail.text);
    assert_eq!(seqs, (1..=seqs.len() as i64).collect::<Vec<_>>(), "1, 2, 3, … without gaps or doubles");
    let n = seqs.len() as i64;
    // After N: exactly the rest, in order.
    let page = c.admin().get(&format!("/api/incidents/{id}/timeline?after=3"));
    assert_eq!(page.status, 200, "{}", page.text);
    let got: Vec<i64> = page.json["entries"].as_array().unwrap().iter().map(|t| t["seq"].as_i64().unwrap()).collect();
    assert_eq!(got, (4..=n).collect::<Vec<_>>());
    assert_eq!((page.json["last_seq"].as_i64(), page.json["more"].as_bool()), (Some(n), Some(false)));
    assert_eq!(page.json["entries"][0], detail.json["timeline"][3], "the same row as the record shows");
    // Caught up: nothing; in small pages: `more` until the end.
    let none = c.admin().get(&format!("/api/incidents/{id}/timeline?after={n}"));
    assert_eq!((none.json["entries"].as_array().map(Vec::len), none.json["more"].as_bool()), (Some(0), Some(false)));
    let mut seen = Vec::new();
    let mut after = 0;
    loop {
        let p = c.admin().get(&format!("/api/incidents/{id}/timeline?after={after}&limit=3"));
        let entries = p.json["entries"].as_array().unwrap();
        assert!(entries.len() <= 3);
        seen.extend(entries.iter().map(|t| t["seq"].as_i64().unwrap()));
        after = *seen.last().unwrap_or(&after);
        if !p.json["more"].as_bool().unwrap() {
            break;
        }
    }
    assert_eq!(seen, seqs, "paging by `after` gives every row once");
    // A new row gets the next number.
    assert_eq!(c.admin().post(&format!("/api/incidents/{id}/notes"), json!({"body": "later"})).status, 201);
    let next = c.admin().get(&format!("/api/incidents/{id}/timeline?after={n}"));
    assert_eq!(next.json["entries"][0]["seq"].as_i64(), Some(n + 1), "{}", next.text);
    assert_eq!(next.json["entries"][0]["message"].as_str().map(|m| m.contains("later")), Some(true), "{}", next.text);
    // Bad input is named; an unknown incident is 404.
    for (q, field) in [("after=-1", "after"), ("after=x", "after"), ("limit=0", "limit"), ("limit=9999", "limit")] {
        let r = c.admin().get(&format!("/api/incidents/{id}/timeline?{q}"));
        assert_eq!((r.status, r.field()), (400, field), "{q}: {}", r.text);
    }
    assert_eq!(c.admin().get("/api/incidents/0190c8a2-8e1b-7c3d-9a4b-1c2d3e4f5a6b/timeline").status, 404);
}

type Socket = tungstenite::WebSocket<std::net::TcpStream>;

/// A WebSocket to an incident's live record, as a browser opens it (with its session cookie).
fn watch(c: &Ctx, id: &str, after: i64, cookie: Option<&str>) -> Result<Socket, u16> {
    let url = format!("{}/api/incidents/{id}/live?after={after}", c.inst.base.replace("http://", "ws://"));
    let mut req = tungstenite::client::IntoClientRequest::into_client_request(url.as_str()).unwrap();
    if let Some(cookie) = cookie {
        req.headers_mut().insert("Cookie", cookie.parse().unwrap());
    }
    let host = c.inst.base.trim_start_matches("http://").to_string();
    let stream = std::net::TcpStream::connect(&host).unwrap();
    stream.set_read_timeout(Some(std::time::Duration::from_secs(15))).unwrap();
    match tungstenite::client::client(req, stream) {
        Ok((ws, resp)) => {
            assert_eq!(resp.status().as_u16(), 101);
            Ok(ws)
        }
        Err(tungstenite::HandshakeError::Failure(tungstenite::Error::Http(resp))) => Err(resp.status().as_u16()),
        Err(e) => panic!("WebSocket handshake: {e}"),
    }
}

/// Reads timeline messages until row `upto` arrived; every row's number, in arrival order.
fn read_until(ws: &mut Socket, upto: i64) -> Vec<(i64, String)> {
    let mut got = Vec::new();
    while got.last().map(|(s, _): &(i64, String)| *s).unwrap_or(0) < upto {
        let msg = ws.read().expect("a message before the timeout");
        let tungstenite::Message::Text(text) = msg else { continue };
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["type"], "timeline", "{v}");
        for e in v["entries"].as_array().unwrap() {
            got.push((e["seq"].as_i64().unwrap(), e["kind"].as_str().unwrap().to_string()));
        }
    }
    got
}

fn live_record(c: &Ctx) {
    let svc = c.service("Live");
    let key = svc["integration_key"].as_str().unwrap().to_string();
    let r = c.hook(&key, json!({"summary": "Checkout 500s", "severity": "critical", "dedup_key": "live"}));
    assert_eq!(r.status, 202, "{}", r.text);
    let id = r.json["incident_id"].as_str().unwrap().to_string();
    let first = c.admin().get(&format!("/api/incidents/{id}/timeline")).json["last_seq"].as_i64().unwrap();
    assert!(first >= 1);
    let cookie = c.admin().cookie().unwrap();
    // Nobody watches yet, so the pump has no object to wake for it.
    let watched = |c: &Ctx| c.inst.d1(&format!("SELECT COUNT(*) AS n FROM live_watchers WHERE incident_id = '{id}'"))[0]["n"].as_i64() == Some(1);
    assert!(!watched(c), "an incident nobody opened is not watched");
    // Two watchers: the admin from the start, an observer who joins later.
    let mut admin = watch(c, &id, 0, Some(&cookie)).expect("the admin watches");
    assert!(watched(c), "a socket marks its incident watched");
    let caught_up = read_until(&mut admin, first);
    assert_eq!(caught_up.iter().map(|(s, _)| *s).collect::<Vec<_>>(), (1..=first).collect::<Vec<_>>(), "the record so far");
    let observer = c.user(&format!("{}@example.com", tocsin_tests::unique("watcher")), "observer");
    let mut watcher = watch(c, &id, first, Some(&observer.cookie().unwrap())).expect("observers may watch");
    // Changes by people (a note, an acknowledgement); a monitoring tool's resolve follows below.
    assert_eq!(c.admin().post(&format!("/api/incidents/{id}/notes"), json!({"body": "Rolling back"})).status, 201);
    assert_eq!(c.admin().post(&format!("/api/incidents/{id}/acknowledge"), json!({})).status, 200);
    let last = c.admin().get(&format!("/api/incidents/{id}/timeline")).json["last_seq"].as_i64().unwrap();
    assert_eq!(last, first + 2, "a note and an acknowledgement");
    let live: Vec<i64> = read_until(&mut admin, last).into_iter().map(|(s, _)| s).collect();
    assert_eq!(live, ((first + 1)..=last).collect::<Vec<_>>(), "each change once, in order");
    let theirs = read_until(&mut watcher, last);
    assert_eq!(theirs.iter().map(|(s, _)| *s).collect::<Vec<_>>(), ((first + 1)..=last).collect::<Vec<_>>());
    assert!(theirs.iter().any(|(_, k)| k == "note") && theirs.iter().any(|(_, k)| k == "incident.acknowledged"), "{theirs:?}");
    // A client that lost its connection names the last row it saw and gets exactly the rest.
    drop(watcher);
    let mut back = watch(c, &id, first + 1, Some(&cookie)).unwrap();
    assert_eq!(read_until(&mut back, last).into_iter().map(|(s, _)| s).collect::<Vec<_>>(), ((first + 2)..=last).collect::<Vec<_>>());
    // A monitoring tool's resolve (written by ingestion) reaches the open socket too.
    assert_eq!(c.hook(&key, json!({"summary": "Checkout 500s", "dedup_key": "live", "status": "resolved"})).status, 202);
    let resolved = c.admin().get(&format!("/api/incidents/{id}/timeline")).json["last_seq"].as_i64().unwrap();
    assert!(resolved > last, "the resolve wrote rows");
    let from_tool = read_until(&mut back, resolved);
    assert_eq!(from_tool.iter().map(|(s, _)| *s).collect::<Vec<_>>(), ((last + 1)..=resolved).collect::<Vec<_>>());
    assert!(from_tool.iter().any(|(_, k)| k == "alert.resolved"), "{from_tool:?}");
    let last = resolved;
    // Or asks on the open socket.
    back.send(tungstenite::Message::Text(json!({"after": last - 1}).to_string())).unwrap();
    assert_eq!(read_until(&mut back, last).into_iter().map(|(s, _)| s).collect::<Vec<_>>(), vec![last]);
    // Everyone leaves: the next change finds no socket and unmarks the incident; a new watcher
    // marks it again and still gets every row.
    drop((admin, back));
    tocsin_tests::wait_for("the incident unmarked", std::time::Duration::from_secs(20), || {
        assert_eq!(c.admin().post(&format!("/api/incidents/{id}/notes"), json!({"body": "anyone?"})).status, 201);
        std::thread::sleep(std::time::Duration::from_millis(300));
        (!watched(c)).then_some(())
    });
    let now_last = c.admin().get(&format!("/api/incidents/{id}/timeline")).json["last_seq"].as_i64().unwrap();
    let mut again = watch(c, &id, last, Some(&cookie)).unwrap();
    assert!(watched(c));
    assert_eq!(c.admin().post(&format!("/api/incidents/{id}/notes"), json!({"body": "back"})).status, 201);
    let rest: Vec<i64> = read_until(&mut again, now_last + 1).into_iter().map(|(s, _)| s).collect();
    assert_eq!(rest, ((last + 1)..=(now_last + 1)).collect::<Vec<_>>(), "what was missed, then the new row, once each");
    // A watcher who logs out is sent nothing more: the next change closes the socket (4401).
    let leaving = c.user(&format!("{}@example.com", tocsin_tests::unique("leaving")), "observer");
    let mut gone = watch(c, &id, now_last + 1, Some(&leaving.cookie().unwrap())).unwrap();
    assert_eq!(leaving.post("/api/auth/logout", json!({})).status, 204);
    assert_eq!(c.admin().post(&format!("/api/incidents/{id}/notes"), json!({"body": "after the logout"})).status, 201);
    // Pages sent before the logout (the catch-up on connecting) may still be unread; no row
    // written after it may come.
    loop {
        match gone.read().expect("a close before the timeout") {
            tungstenite::Message::Text(t) => {
                let v: Value = serde_json::from_str(&t).unwrap();
                let late: Vec<&Value> = v["entries"].as_array().map(|e| e.iter().filter(|e| e["seq"].as_i64() > Some(now_last + 1)).collect()).unwrap_or_default();
                assert!(late.is_empty(), "sent after the logout: {t}");
            }
            tungstenite::Message::Close(frame) => {
                assert_eq!(frame.map(|f| u16::from(f.code)), Some(4401), "closed as signed out");
                break;
            }
            _ => {}
        }
    }
    assert!(read_until(&mut again, now_last + 2).iter().any(|(_, k)| k == "note"), "who is still signed in hears on");
    // Refused before the upgrade: no credentials, another organisation's or no such incident, no upgrade.
    assert_eq!(watch(c, &id, 0, None).err(), Some(401));
    assert_eq!(watch(c, "0190c8a2-8e1b-7c3d-9a4b-1c2d3e4f5a6b", 0, Some(&cookie)).err(), Some(404));
    let plain = c.admin().get(&format!("/api/incidents/{id}/live"));
    assert_eq!((plain.status, plain.field()), (400, "Upgrade"), "{}", plain.text);
}

fn incident_edits(c: &Ctx) {
    let r = c.admin().post("/api/incidents", json!({"title": "Checkout errors", "severity": "SEV3"}));
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.json["incident"]["id"].as_str().or(r.json["id"].as_str()).unwrap().to_string();
    let path = format!("/api/incidents/{id}");
    let before = c.admin().get(&format!("{path}/timeline")).json["last_seq"].as_i64().unwrap();
    let r = c.admin().patch(&path, json!({"title": "Checkout 500s", "summary": "Deploy 142 broke **card payments**", "severity": "SEV1", "reason": "customers cannot pay"}));
    assert_eq!(r.status, 200, "{}", r.text);
    let i = &r.json["incident"];
    assert_eq!((i["title"].as_str(), i["summary"].as_str(), i["severity"].as_str()), (Some("Checkout 500s"), Some("Deploy 142 broke **card payments**"), Some("SEV1")));
    let rows = c.admin().get(&format!("{path}/timeline?after={before}")).json["entries"].as_array().cloned().unwrap();
    let kinds: Vec<&str> = rows.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["incident.title_changed", "incident.summary_updated", "incident.severity_changed"]);
    assert!(rows[2]["message"].as_str().unwrap().contains("SEV3 → SEV1: customers cannot pay"), "{rows:?}");
    assert_eq!(rows[0]["actor"]["name"], "Ana Admin");
    // The same values again change nothing and add no row.
    let again = c.admin().patch(&path, json!({"title": "Checkout 500s", "severity": "SEV1"}));
    assert_eq!(again.status, 200);
    assert_eq!(c.admin().get(&format!("{path}/timeline")).json["last_seq"].as_i64(), Some(before + 3));
    // Bad input names the field and changes nothing; observers may not edit; unknown is 404.
    for (body, field) in [(json!({"severity": "SEV2"}), "reason"), (json!({"title": " "}), "title"), (json!({"summary": "x".repeat(4001)}), "summary"), (json!({"colour": "red"}), "colour"), (json!({"severity": "SEV9", "reason": "x"}), "severity")] {
        let r = c.admin().patch(&path, body.clone());
        assert_eq!((r.status, r.field()), (400, field), "{body}: {}", r.text);
    }
    assert_eq!(c.admin().get(&path).json["incident"]["severity"], "SEV1");
    let observer = c.user(&format!("{}@example.com", tocsin_tests::unique("editor")), "observer");
    assert_eq!(observer.patch(&path, json!({"summary": "sneaky"})).status, 403);
    assert_eq!(c.admin().patch("/api/incidents/0190c8a2-8e1b-7c3d-9a4b-1c2d3e4f5a6b", json!({"summary": "x"})).status, 404);
}
