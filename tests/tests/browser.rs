//! Browser tests: real headless Chromium emulating a 390×844 phone, against a fresh instance.
//! Screenshots land in target/screenshots/ for people to look at.

use serde_json::json;
use std::time::Duration;
use tocsin_tests::browser::Browser;
use tocsin_tests::{Api, Instance};

const EMAIL: &str = "rosa@example.com";
const PASSWORD: &str = "pager duty at 3am";

struct Ctx {
    inst: Instance,
    browser: Browser,
}

fn main() {
    let ctx = Ctx { inst: Instance::start("browser"), browser: Browser::phone() };
    let tests: &[(&str, fn(&Ctx))] = &[
        ("phone_setup_service_alert_acknowledge", phone_setup_service_alert_acknowledge),
        ("phone_forms_are_labelled_and_tappable", phone_forms_are_labelled_and_tappable),
        ("phone_login_error_then_login", phone_login_error_then_login),
        ("phone_service_integrations_settings_and_events", phone_service_integrations),
        ("phone_publish_to_status_page_and_resolve", phone_status_page),
        ("phone_on_call_card_and_two_tap_override", phone_on_call),
        ("phone_policy_editor_and_service_policy", phone_policy),
    ];
    tocsin_tests::run_suite(ctx, tests, |c| {
        let _ = c.browser.screenshot("failure");
        eprintln!("--- wrangler log ---\n{}", c.inst.log());
    })
}

/// The walking skeleton end to end, as a responder on a phone would do it.
fn phone_setup_service_alert_acknowledge(c: &Ctx) {
    let b = &c.browser;
    b.goto(&c.inst.url("/"));
    b.find_text("h1", "Welcome to Tocsin", Duration::from_secs(15));
    b.find("#organization").type_text("Acme Ops");
    b.find("#name").type_text("Rosa Responder");
    b.find("#email").type_text(EMAIL);
    b.find("#password").type_text(PASSWORD);
    b.screenshot("01-setup");
    b.find("button[type=submit]").click();

    // After setup the admin lands on Services and creates one.
    b.find_text("button", "New service", Duration::from_secs(10)).click();
    b.find("#name").type_text("Checkout API");
    b.find("#runbook_url").type_text("https://runbooks.example.com/checkout");
    b.screenshot("02-new-service");
    b.find_text("button[type=submit]", "Create service", Duration::from_secs(5)).click();
    b.find_text(".service-card h2", "Checkout API", Duration::from_secs(10));
    let url = b.find(".service-card input.mono").prop("value").as_str().unwrap().to_string();
    assert!(url.starts_with(&c.inst.url("/webhooks/generic/")), "{url}");
    b.screenshot("03-services");

    // To the incident list, which is empty.
    b.find("nav a[href='/']").click();
    b.find_text(".empty", "No open incidents", Duration::from_secs(10));

    // Monitoring posts an alert (plain HTTP, as curl would); the list shows it without a reload.
    let agent = ureq::agent();
    let resp = agent
        .post(&url)
        .header("Content-Type", "application/json")
        .send(json!({"summary": "Checkout 5xx rate above 5%", "severity": "critical", "dedup_key": "5xx"}).to_string())
        .expect("post alert");
    assert_eq!(resp.status(), 202);
    let card = b.find_text(".incident-card", "Checkout 5xx rate above 5%", Duration::from_secs(8));
    let text = card.text();
    assert!(text.contains("SEV1") && text.contains("Triggered") && text.contains("#1"), "{text}");
    b.screenshot("04-incidents");

    // Open it and acknowledge with one tap.
    card.click();
    b.find_text("h1.incident-title", "Checkout 5xx rate above 5%", Duration::from_secs(10));
    assert!(b.find("a.runbook").attr("href").unwrap().contains("runbooks.example.com/checkout"));
    b.screenshot("05-incident");
    b.find("button.ack").click();
    b.find_text(".incident .status", "Acknowledged", Duration::from_secs(10));
    assert!(b.try_find("button.ack").is_none(), "no Acknowledge button once acknowledged");
    b.find_text(".timeline", "Acknowledged by Rosa Responder", Duration::from_secs(5));
    b.screenshot("06-acknowledged");

    // And the API agrees.
    let api = Api::new(&c.inst.base);
    assert_eq!(api.post("/api/auth/login", json!({"email": EMAIL, "password": PASSWORD})).status, 200);
    let list = api.get("/api/incidents");
    let inc = &list.json["incidents"][0];
    assert_eq!(inc["status"], "acknowledged", "{}", list.text);
    assert_eq!(inc["acknowledged_by"]["name"], "Rosa Responder");
}

/// Every input has a label, and buttons and links are big enough to tap (44 CSS px).
fn phone_forms_are_labelled_and_tappable(c: &Ctx) {
    let b = &c.browser;
    b.goto(&c.inst.url("/services"));
    b.find_text("button", "New service", Duration::from_secs(10)).click();
    b.find("#runbook_url");
    let report = b.script(
        r#"
        const unlabelled = [...document.querySelectorAll('input, select, textarea')]
          .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label'))
          .map(el => el.outerHTML);
        const small = [...document.querySelectorAll('button, .btn, nav a')]
          .filter(el => el.offsetParent !== null)
          .filter(el => el.getBoundingClientRect().height < 44)
          .map(el => el.outerHTML.slice(0, 80));
        const overflow = document.documentElement.scrollWidth > window.innerWidth;
        return { unlabelled, small, overflow, width: window.innerWidth };
        "#,
    );
    assert_eq!(report["width"], 390, "phone viewport");
    assert_eq!(report["unlabelled"], json!([]), "{report}");
    assert_eq!(report["small"], json!([]), "{report}");
    assert_eq!(report["overflow"], false, "no sideways scrolling at 390 px: {report}");
}

fn phone_login_error_then_login(c: &Ctx) {
    let b = &c.browser;
    b.goto(&c.inst.url("/"));
    b.find_text("button", "Log out", Duration::from_secs(10)).click();
    b.find_text("h1", "Log in to Tocsin", Duration::from_secs(10));
    b.find("#email").type_text(EMAIL);
    b.find("#password").type_text("wrong password");
    b.find("button[type=submit]").click();
    let alert = b.find_text("[role=alert]", "incorrect", Duration::from_secs(10));
    assert!(alert.text().contains("e-mail or password is incorrect"));
    b.screenshot("07-login-error");
    let pw = b.find("#password");
    b.script("document.getElementById('password').value = ''");
    pw.type_text(PASSWORD);
    b.find("button[type=submit]").click();
    b.find_text("h1", "Incidents", Duration::from_secs(10));
    b.find_text(".incident-card", "Checkout 5xx", Duration::from_secs(10));
}

/// The integrations panel: every endpoint with its snippet, settings that take effect, and the
/// event log updating as monitoring sends.
fn phone_service_integrations(c: &Ctx) {
    let b = &c.browser;
    b.goto(&c.inst.url("/services"));
    b.find_text("a.btn", "Integrations and events", Duration::from_secs(10)).click();
    b.find_text("h1", "Checkout API", Duration::from_secs(10));
    let names: Vec<String> = b.find_all(".service-card h3").iter().map(|e| e.text()).collect();
    assert_eq!(
        names,
        ["Generic JSON webhook", "Prometheus Alertmanager", "Grafana alerting", "Datadog", "Amazon CloudWatch (SNS)", "Sentry",
         "PagerDuty Events API v2", "Opsgenie Alert API"]
    );
    b.find_text(".events .badge", "opened", Duration::from_secs(5));
    b.screenshot("08-integrations");

    // Group new alerts into the open incident of the last 15 minutes.
    b.find_text("summary", "Alert settings", Duration::from_secs(5)).click();
    b.find("#grouping option[value=time_window]").click();
    let minutes = b.find("input[name='grouping.minutes']");
    b.script("document.querySelector(\"input[name='grouping.minutes']\").value = ''");
    minutes.type_text("15");
    b.find_text("button[type=submit]", "Save settings", Duration::from_secs(5)).click();
    b.find_text("[role=status]", "Saved", Duration::from_secs(10));
    b.screenshot("09-settings");
    let api = Api::new(&c.inst.base);
    assert_eq!(api.post("/api/auth/login", json!({"email": EMAIL, "password": PASSWORD})).status, 200);
    let services = api.get("/api/services");
    let svc = &services.json["services"][0];
    assert_eq!(svc["grouping"], json!({"type": "time_window", "minutes": 15}), "{}", services.text);

    // A PagerDuty-format event joins the open incident, and shows up in the log without a reload.
    let key = svc["integration_key"].as_str().unwrap();
    let r = api.post("/v2/enqueue", json!({"routing_key": key, "event_action": "trigger", "dedup_key": "p99",
        "payload": {"summary": "Checkout p99 above 2s", "source": "prometheus", "severity": "error"}}));
    assert_eq!(r.status, 202, "{}", r.text);
    b.find_text(".events .badge", "grouped", Duration::from_secs(15));
    b.screenshot("10-event-log");
    let list = api.get("/api/incidents");
    assert_eq!(list.json["incidents"].as_array().unwrap().len(), 1, "grouped into the open incident");
    assert_eq!(list.json["incidents"][0]["alert_count"], 2);
}

/// From an internal incident to the public page and back to green, on a phone.
fn phone_status_page(c: &Ctx) {
    let b = &c.browser;
    b.goto(&c.inst.url("/status-admin"));
    b.find_text("h1", "Status page", Duration::from_secs(10));
    b.find("#component-name").type_text("Checkout");
    b.find("#component-new-group").type_text("Shop");
    b.find_text("label", "Checkout API", Duration::from_secs(10)).click();
    b.find_text("button", "Add component", Duration::from_secs(5)).click();
    // Linked to a service with an open SEV1 incident: Tocsin suggests a major outage; one tap applies it.
    b.find_text("button.suggest", "Apply suggested: Major outage", Duration::from_secs(10)).click();
    let api = Api::new(&c.inst.base);
    let comps = tocsin_tests::wait_for("the suggested status applied", Duration::from_secs(10), || {
        let v = api.get("/api/v2/components.json").json;
        v["components"].as_array().filter(|cs| cs.iter().any(|c| c["name"] == "Checkout" && c["status"] == "major_outage")).cloned()
    });
    assert!(comps.iter().any(|c| c["name"] == "Shop" && c["group"] == true), "{comps:?}");
    // Publish from the internal incident: the form opens prefilled with its title.
    b.find("nav a[href='/']").click();
    b.find(".incident-card").click();
    b.find_text("a.btn", "Publish to status page", Duration::from_secs(10)).click();
    let title = b.find("#publish-name");
    assert_eq!(title.prop("value"), json!("Checkout 5xx rate above 5%"));
    b.script("document.getElementById('publish-name').value = ''");
    title.type_text("Checkout is failing for some customers");
    b.find("input[type=checkbox][id^=pc-]").click();
    b.screenshot("11-publish");
    b.find_text("button[type=submit]", "Publish", Duration::from_secs(5)).click();
    b.find_text(".events .alert-summary", "Checkout is failing for some customers", Duration::from_secs(10));
    let summary = api.get("/api/v2/summary.json");
    assert_eq!(summary.json["incidents"][0]["name"], "Checkout is failing for some customers");
    assert_eq!(summary.json["status"]["indicator"], "major", "{}", summary.text);
    b.goto(&c.inst.url("/status"));
    b.find_text("p.banner", "Partial System Outage", Duration::from_secs(10));
    b.screenshot("12-public-page");
    // Resolve from the template.
    b.goto(&c.inst.url("/status-admin"));
    b.find_text("button", "Post update", Duration::from_secs(10)).click();
    b.find("select[id^=us-] option[value=resolved]").click();
    let body = b.find("#update-body").prop("value");
    assert!(body.as_str().unwrap().contains("resolved"), "the template fills the message: {body}");
    b.find_text("button[type=submit]", "Post update", Duration::from_secs(5)).click();
    b.find_text(".card-meta", "Resolved", Duration::from_secs(10));
    b.goto(&c.inst.url("/status"));
    b.find_text("p.banner", "All Systems Operational", Duration::from_secs(10));
    b.screenshot("13-public-resolved");
}

/// The home screen says who is on call; taking over is two taps.
fn phone_on_call(c: &Ctx) {
    let api = Api::new(&c.inst.base);
    assert_eq!(api.post("/api/auth/login", json!({"email": EMAIL, "password": PASSWORD})).status, 200);
    let sam = api.post("/api/users", json!({"email": "sam@example.com", "name": "Sam Night", "role": "responder", "password": "sam's password"}));
    let sam_id = sam.json["user"]["id"].as_str().unwrap().to_string();
    let r = api.post("/api/schedules", json!({"name": "Primary", "time_zone": "Europe/Berlin",
        "layers": [{"name": "Week", "participants": [sam_id], "start": "2026-01-01T09:00:00", "turn": {"type": "weekly"}}]}));
    assert_eq!(r.status, 201, "{}", r.text);
    let b = &c.browser;
    b.goto(&c.inst.url("/"));
    b.find_text(".oncall li", "Sam Night", Duration::from_secs(10));
    b.find_text(".oncall button", "Take over", Duration::from_secs(5)).click();
    b.find_text(".oncall .take button", "1 hour", Duration::from_secs(5)).click();
    b.find_text(".oncall-who", "Rosa Responder", Duration::from_secs(10));
    b.screenshot("14-on-call");
    // The schedule's two weeks: the final rota shows the take-over, then Sam again.
    b.find_text(".oncall a", "Primary", Duration::from_secs(5)).click();
    let final_row = b.find_text(".timeline-row.final", "Rosa Responder", Duration::from_secs(10));
    assert!(final_row.text().contains("Sam Night"), "{}", final_row.text());
    b.find_text(".timeline-row h2", "Week", Duration::from_secs(5));
    b.screenshot("15-schedule");
    let now = api.get("/api/oncall");
    assert_eq!(now.json["schedules"][0]["on_call"][0]["name"], "Rosa Responder", "{}", now.text);
}

/// Build a policy on the phone and give it to a service.
fn phone_policy(c: &Ctx) {
    let b = &c.browser;
    b.goto(&c.inst.url("/escalation-policies"));
    b.find("#policy-name").type_text("Checkout on-call");
    b.find_text("label", "Whoever is on call in Primary", Duration::from_secs(10)).click();
    b.find_text("button[type=submit]", "Create policy", Duration::from_secs(5)).click();
    b.find_text(".levels li", "on call in Primary", Duration::from_secs(10));
    b.screenshot("16-policies");
    let api = Api::new(&c.inst.base);
    assert_eq!(api.post("/api/auth/login", json!({"email": EMAIL, "password": PASSWORD})).status, 200);
    let policies = api.get("/api/escalation-policies");
    let policy = &policies.json["escalation_policies"][0];
    assert_eq!(policy["policy"]["levels"][0]["targets"][0]["type"], "schedule", "{}", policies.text);
    assert_eq!(policy["policy"]["levels"][0]["delay_minutes"], 5);
    // Give it to the service from its page.
    let sid = api.get("/api/services").json["services"][0]["id"].as_str().unwrap().to_string();
    b.goto(&c.inst.url(&format!("/services/{sid}")));
    b.find_text("summary", "Alert settings", Duration::from_secs(10)).click();
    b.find_text("#escalation_policy option", "Checkout on-call", Duration::from_secs(10)).click();
    tocsin_tests::wait_for("the service's policy saved", Duration::from_secs(10), || {
        api.get(&format!("/api/services/{sid}")).json["escalation_policy_id"].as_str().map(str::to_string)
    });
}
