//! Browser tests: real headless Chromium emulating a 390×844 phone, against a fresh instance.
//! Screenshots land in target/screenshots/ for people to look at.
//!
//! Every test builds its own fixtures (services, schedules, policies, incidents, people) with
//! unique names, through the API as the first admin (set up on first use), and logs the shared
//! phone in itself: the tests pass alone and in any order. The first-run setup through the
//! browser needs a never-set-up instance, so that test starts its own (and its own phone).

use serde_json::{json, Value};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use tocsin_tests::browser::{Browser, Element};
use tocsin_tests::receiver::{Receiver, TestSubscription};
use tocsin_tests::{unique, wait_for, Api, Instance};

const EMAIL: &str = "rosa@example.com";
const PASSWORD: &str = "pager duty at 3am";
const ADMIN_NAME: &str = "Rosa Responder";

struct Ctx {
    inst: Instance,
    browser: Browser,
    /// A local push service and webhook receiver.
    rx: Receiver,
    /// The phone's network to the instance, which tests can cut.
    link: Link,
    admin: OnceLock<Api>,
}

impl Ctx {
    /// The first admin (Rosa), created by the first-run setup through the API on first use.
    fn admin(&self) -> &Api {
        self.admin.get_or_init(|| Api::setup(&self.inst.base, "Acme Ops", EMAIL, PASSWORD, ADMIN_NAME))
    }

    /// The shared phone, on the app at the instance's origin, logged in as the admin.
    fn phone(&self) -> &Browser {
        self.login(&self.browser, &self.inst.url(""));
        &self.browser
    }

    /// Opens the app at `origin` in `b`, logging in as the admin if needed.
    fn login(&self, b: &Browser, origin: &str) {
        self.admin();
        ensure_logged_in(b, origin);
    }

    /// The admin's user id.
    fn admin_id(&self) -> String {
        let me = self.admin().get("/api/me");
        me.json["user"]["id"].as_str().unwrap_or_else(|| panic!("no user id: {}", me.text)).to_string()
    }

    /// A new service (the API's answer: id, integration_key, …).
    fn service(&self, name: &str) -> Value {
        let r = self.admin().post("/api/services", json!({"name": name}));
        assert_eq!(r.status, 201, "{}", r.text);
        r.json
    }

    /// A new service whose escalation policy pages the admin directly.
    fn service_paging_admin(&self, name: &str) -> Value {
        let api = self.admin();
        let p = api.post("/api/escalation-policies", json!({"name": format!("{name}: Rosa directly"), "repeats": 0, "levels": [
            {"targets": [{"type": "user", "id": self.admin_id()}], "delay_minutes": 30}]}));
        assert_eq!(p.status, 201, "{}", p.text);
        let svc = self.service(name);
        let sid = svc["id"].as_str().unwrap();
        let r = api.send("PUT", &format!("/api/services/{sid}/escalation-policy"), Some(json!({"policy_id": p.json["id"]}).to_string().into_bytes()), &[]);
        assert_eq!(r.status, 200, "{}", r.text);
        svc
    }

    /// Posts an alert to a service's generic webhook, as monitoring would; returns the incident's id.
    fn alert(&self, service: &Value, summary: &str, severity: &str) -> String {
        let key = service["integration_key"].as_str().unwrap();
        let r = Api::new(&self.inst.base).post(&format!("/webhooks/generic/{key}"), json!({"summary": summary, "severity": severity, "dedup_key": unique("dedup")}));
        assert_eq!(r.status, 202, "{}", r.text);
        r.json["incident_id"].as_str().unwrap_or_else(|| panic!("no incident: {}", r.text)).to_string()
    }
}

fn main() {
    let inst = Instance::start("browser");
    let link = Link::start(inst.port);
    let ctx = Ctx { inst, browser: Browser::phone(), rx: Receiver::start(), link, admin: OnceLock::new() };
    let tests: &[(&str, fn(&Ctx))] = &[
        ("phone_setup_service_alert_acknowledge", phone_setup_service_alert_acknowledge),
        ("phone_forms_are_labelled_and_tappable", phone_forms_are_labelled_and_tappable),
        ("phone_login_error_then_login", phone_login_error_then_login),
        ("phone_service_integrations_settings_and_events", phone_service_integrations),
        ("phone_publish_to_status_page_and_resolve", phone_status_page),
        ("phone_on_call_card_and_two_tap_override", phone_on_call),
        ("phone_policy_editor_and_service_policy", phone_policy),
        ("pwa_manifest_icons_and_service_worker", pwa_manifest_and_service_worker),
        ("phone_offline_shows_cached_incidents_marked_stale", phone_offline),
        ("phone_acknowledge_from_the_notification", phone_acknowledge_from_notification),
        ("phone_me_screen_devices_preferences_deliveries", phone_me_screen),
        ("iphone_in_safari_is_told_to_add_to_home_screen", iphone_home_screen),
        ("phone_chat_and_webhooks_screen", phone_webhooks_screen),
        ("phone_audit_log_screen", phone_audit_log),
        ("phone_incident_page_is_live", phone_incident_live),
        ("phone_incidents_list_is_live", phone_incidents_list_is_live),
        ("phone_signed_out_elsewhere_shows_login", phone_signed_out_elsewhere_shows_login),
        ("phone_cold_start_reads_once", phone_cold_start_reads_once),
        ("phone_first_load_arrives_zstd_compressed", phone_first_load_zstd),
        ("phone_incident_workspace_two_phones", phone_incident_workspace_two_phones),
        ("phone_workspace_links_services_merge", phone_workspace_links_services_merge),
    ];
    tocsin_tests::run_suite(ctx, tests, |c| {
        let _ = c.browser.screenshot("failure");
        eprintln!("--- wrangler log ---\n{}", c.inst.log());
    })
}

/// The walking skeleton end to end, as a responder on a phone would do it: first-run setup on
/// a never-set-up instance of its own, with a phone of its own (cookies do not tell ports apart:
/// a session on this instance would replace the shared phone's).
fn phone_setup_service_alert_acknowledge(_: &Ctx) {
    let inst = Instance::start("browser-setup");
    let b = Browser::phone();
    let story = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| setup_story(&inst, &b)));
    if let Err(panic) = story {
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| b.screenshot("failure-setup")));
        eprintln!("--- wrangler log (setup instance) ---\n{}", inst.log());
        std::panic::resume_unwind(panic);
    }
}

fn setup_story(inst: &Instance, b: &Browser) {
    b.goto(&inst.url("/"));
    b.find_text("h1", "Welcome to Tocsin", Duration::from_secs(15));
    b.find("#organization").type_text("Acme Ops");
    b.find("#name").type_text(ADMIN_NAME);
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
    assert!(url.starts_with(&inst.url("/webhooks/generic/")), "{url}");
    b.screenshot("03-services");

    // To the incident list, which is empty.
    b.find("nav a[href='/']").click();
    b.find_text(".empty", "No open incidents", Duration::from_secs(10));

    // Monitoring posts an alert (plain HTTP, as curl would); the list shows it without a reload.
    let agent = ureq::agent();
    let mut resp = agent
        .post(&url)
        .header("Content-Type", "application/json")
        .send(json!({"summary": "Checkout 5xx rate above 5%", "severity": "critical", "dedup_key": "5xx"}).to_string())
        .expect("post alert");
    assert_eq!(resp.status(), 202);
    let accepted: Value = resp.body_mut().read_json().expect("JSON answer to the alert");
    let incident_id = accepted["incident_id"].as_str().unwrap_or_else(|| panic!("no incident: {accepted}")).to_string();
    let api = Api::new(&inst.base);
    assert_eq!(api.post("/api/auth/login", json!({"email": EMAIL, "password": PASSWORD})).status, 200);
    let number = api.get(&format!("/api/incidents/{incident_id}")).json["incident"]["number"].as_i64().expect("the incident's number");
    let card = b.find_text(&format!(".incident-card[href='/incidents/{incident_id}']"), "Checkout 5xx rate above 5%", Duration::from_secs(8));
    let text = card.text();
    assert!(text.contains("SEV1") && text.contains("Triggered") && text.contains(&format!("#{number}")), "{text}");
    b.screenshot("04-incidents");

    // Open it and acknowledge with one tap.
    card.click();
    b.find_text("h1.incident-title", "Checkout 5xx rate above 5%", Duration::from_secs(10));
    assert!(b.find("a.runbook").attr("href").unwrap().contains("runbooks.example.com/checkout"));
    b.screenshot("05-incident");
    b.find("button.ack").click();
    b.find_text(".incident .status", "Acknowledged", Duration::from_secs(10));
    assert!(b.try_find("button.ack").is_none(), "no Acknowledge button once acknowledged");
    b.find_text(".timeline", &format!("Acknowledged by {ADMIN_NAME}"), Duration::from_secs(5));
    b.screenshot("06-acknowledged");

    // And the API agrees.
    let detail = api.get(&format!("/api/incidents/{incident_id}"));
    let inc = &detail.json["incident"];
    assert_eq!(inc["status"], "acknowledged", "{}", detail.text);
    assert_eq!(inc["acknowledged_by"]["name"], ADMIN_NAME);
}

/// Every input has a label, and buttons and links are big enough to tap (44 CSS px).
fn phone_forms_are_labelled_and_tappable(c: &Ctx) {
    // A service, so that the list's cards (their inputs, buttons and links) are checked too.
    let name = unique("Forms");
    c.service(&name);
    let b = c.phone();
    b.goto(&c.inst.url("/services"));
    b.find(&format!("article.service-card[aria-label='{name}']"));
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
        const counts = { inputs: document.querySelectorAll('input, select, textarea').length,
                         tappable: [...document.querySelectorAll('button, .btn, nav a')].filter(el => el.offsetParent !== null).length };
        return { unlabelled, small, overflow, counts, width: window.innerWidth };
        "#,
    );
    assert_eq!(report["width"], 390, "phone viewport");
    // Something was checked: the new-service form and the service's card.
    assert!(report["counts"]["inputs"].as_i64().unwrap_or(0) >= 4, "{report}");
    assert!(report["counts"]["tappable"].as_i64().unwrap_or(0) >= 6, "{report}");
    assert_eq!(report["unlabelled"], json!([]), "{report}");
    assert_eq!(report["small"], json!([]), "{report}");
    assert_eq!(report["overflow"], false, "no sideways scrolling at 390 px: {report}");
}

fn phone_login_error_then_login(c: &Ctx) {
    let title = unique("Checkout 5xx");
    let r = c.admin().post("/api/incidents", json!({"title": title, "severity": "SEV1"}));
    assert_eq!(r.status, 201, "{}", r.text);
    // Ends logged in again (and every test logs the phone in first anyway).
    let b = c.phone();
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
    b.find_text(".incident-card", &title, Duration::from_secs(10));
}

/// The integrations panel: every endpoint with its snippet, settings that take effect, and the
/// event log updating as monitoring sends.
fn phone_service_integrations(c: &Ctx) {
    let api = c.admin();
    let name = unique("Checkout API");
    let svc = c.service(&name);
    let sid = svc["id"].as_str().unwrap().to_string();
    let incident_id = c.alert(&svc, "Checkout 5xx rate above 5%", "critical");
    let b = c.phone();
    b.goto(&c.inst.url("/services"));
    let link = format!("article.service-card[aria-label='{name}'] a.btn[href='/services/{sid}']");
    b.find_text(&link, "Integrations and events", Duration::from_secs(10)).click();
    b.find_text("h1", &name, Duration::from_secs(10));
    // The heading shows before the integrations have loaded: wait for the cards themselves.
    let names: Vec<String> = wait_for("the integration cards", Duration::from_secs(10), || {
        let names: Vec<String> = b.find_all(".service-card h3").iter().map(|e| e.text()).collect();
        (!names.is_empty()).then_some(names)
    });
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
    let service = api.get(&format!("/api/services/{sid}"));
    assert_eq!(service.json["grouping"], json!({"type": "time_window", "minutes": 15}), "{}", service.text);
    assert!(service.json.get("sns_topic_arn").is_none(), "an empty field sets no topic: {}", service.text);
    // The expected SNS topic: a wrong ARN is refused at the field, with why; a right one is kept.
    let topic = b.find("input[name='sns_topic_arn']");
    topic.type_text("arn:aws:sqs:eu-west-1:123456789012:alarms");
    b.find_text("button[type=submit]", "Save settings", Duration::from_secs(5)).click();
    b.find_text("#sns_topic_arn-error", "SNS", Duration::from_secs(10));
    assert_eq!(b.find("input[name='sns_topic_arn']").attr("aria-invalid").as_deref(), Some("true"));
    assert!(b.find_all("form[aria-label='Alert settings'] [role=status]").is_empty(), "no \"Saved.\" beside the error");
    b.screenshot("09b-settings-sns-topic-refused");
    b.script("document.querySelector(\"input[name='sns_topic_arn']\").value = ''");
    b.find("input[name='sns_topic_arn']").type_text("arn:aws:sns:eu-west-1:123456789012:checkout-alarms");
    b.find_text("button[type=submit]", "Save settings", Duration::from_secs(5)).click();
    let kept = wait_for("the topic saved", Duration::from_secs(10), || {
        let s = api.get(&format!("/api/services/{sid}"));
        s.json["sns_topic_arn"].as_str().map(str::to_string)
    });
    assert_eq!(kept, "arn:aws:sns:eu-west-1:123456789012:checkout-alarms");

    // A PagerDuty-format event joins the open incident, and shows up in the log without a reload.
    let key = service.json["integration_key"].as_str().unwrap();
    let r = api.post("/v2/enqueue", json!({"routing_key": key, "event_action": "trigger", "dedup_key": "p99",
        "payload": {"summary": "Checkout p99 above 2s", "source": "prometheus", "severity": "error"}}));
    assert_eq!(r.status, 202, "{}", r.text);
    b.find_text(".events .badge", "grouped", Duration::from_secs(15));
    b.screenshot("10-event-log");
    let list = api.get(&format!("/api/incidents?service_id={sid}"));
    let incidents = list.json["incidents"].as_array().unwrap_or_else(|| panic!("{}", list.text));
    assert_eq!(incidents.len(), 1, "grouped into the open incident: {}", list.text);
    assert_eq!(incidents[0]["id"], incident_id.as_str());
    assert_eq!(incidents[0]["alert_count"], 2);
}

/// The first element matching `inner` inside the first `items` element whose text contains
/// `text` (`items` are siblings: it picks them by position). Waits for it.
fn within<'a>(b: &'a Browser, items: &str, text: &str, inner: &str) -> Element<'a> {
    wait_for(&format!("{inner} in the {items} with {text:?}"), WAIT, || {
        let n = b.find_all(items).iter().position(|e| e.try_text().is_some_and(|t| t.contains(text)))?;
        b.find_all(&format!("{items}:nth-child({}) {inner}", n + 1)).into_iter().next()
    })
}

/// From an internal incident to the public page and back to green, on a phone.
fn phone_status_page(c: &Ctx) {
    let api = c.admin();
    let svc = c.service(&unique("Checkout API"));
    let sid = svc["id"].as_str().unwrap().to_string();
    let title = format!("Checkout 5xx rate above 5% ({})", unique("sev1"));
    let incident_id = c.alert(&svc, &title, "critical");
    let (component, group) = (unique("Checkout"), unique("Shop"));
    let public_title = format!("Checkout is failing for some customers ({})", unique("pub"));

    let b = c.phone();
    b.goto(&c.inst.url("/status-admin"));
    b.find_text("h1", "Status page", Duration::from_secs(10));
    b.find("#component-name").type_text(&component);
    b.find("#component-new-group").type_text(&group);
    b.find(&format!("label[for='ls-{sid}']")).click();
    b.find_text("button", "Add component", Duration::from_secs(5)).click();
    let component_id = wait_for("the component created", Duration::from_secs(10), || {
        let v = api.get("/api/v2/components.json").json;
        v["components"].as_array()?.iter().find(|x| x["name"] == component.as_str()).and_then(|x| x["id"].as_str().map(str::to_string))
    });
    // Linked to a service with an open SEV1 incident: Tocsin suggests a major outage; one tap applies it.
    let suggest = format!("li:has(> select[id='cs-{component_id}']) > button.suggest");
    b.find_text(&suggest, "Apply suggested: Major outage", Duration::from_secs(10)).click();
    let comps = wait_for("the suggested status applied", Duration::from_secs(10), || {
        let v = api.get("/api/v2/components.json").json;
        v["components"].as_array().filter(|cs| cs.iter().any(|c| c["name"] == component.as_str() && c["status"] == "major_outage")).cloned()
    });
    let shop = comps.iter().find(|c| c["name"] == group.as_str() && c["group"] == true).unwrap_or_else(|| panic!("the group: {comps:?}"));
    assert_eq!(shop["components"], json!([component_id]), "{comps:?}");
    // Publish from the internal incident: the form opens prefilled with its title.
    b.find("nav a[href='/']").click();
    b.find_text(&format!(".incident-card[href='/incidents/{incident_id}']"), &title, Duration::from_secs(10)).click();
    b.find("button[data-tab=details]").click();
    b.find_text("a.btn", "Publish to status page", Duration::from_secs(10)).click();
    let name = b.find("#publish-name");
    assert_eq!(name.prop("value"), json!(title.as_str()));
    b.script("document.getElementById('publish-name').value = ''");
    name.type_text(&public_title);
    b.find(&format!("input[type=checkbox][id='pc-{component_id}']")).click();
    b.screenshot("11-publish");
    b.find_text("button[type=submit]", "Publish", Duration::from_secs(5)).click();
    b.find_text(".events .alert-summary", &public_title, Duration::from_secs(10));
    let summary = api.get("/api/v2/summary.json");
    let published = summary.json["incidents"].as_array().and_then(|l| l.iter().find(|i| i["name"] == public_title.as_str()));
    assert!(published.is_some(), "the published incident: {}", summary.text);
    assert_eq!(summary.json["status"]["indicator"], "major", "{}", summary.text);
    b.goto(&c.inst.url("/status"));
    b.find_text("p.banner", "Partial System Outage", Duration::from_secs(10));
    b.screenshot("12-public-page");
    // A wrong detail in public words, corrected from the phone: the page shows the new text.
    b.goto(&c.inst.url("/status-admin"));
    let public_items = "section[aria-labelledby=pi-h] > ul > li";
    within(b, public_items, &public_title, "details.public-updates > summary").click();
    within(b, public_items, &public_title, "li.public-update button").click();
    let corrected = format!("Card payments fail for some customers in the EU; we are investigating ({}).", unique("fix"));
    let text = within(b, public_items, &public_title, "textarea[id^=ub-]");
    b.script("document.querySelector(\"textarea[id^='ub-']\").value = ''; return null");
    text.type_text(&corrected);
    b.screenshot("12b-correct-public-update");
    within(b, public_items, &public_title, "form[aria-label='Correct this update'] button[type=submit]").click();
    wait_for("the corrected text in the public JSON", Duration::from_secs(10), || {
        let v = Api::new(&c.inst.base).get("/api/v2/incidents.json").json;
        let i = v["incidents"].as_array()?.iter().find(|i| i["name"] == public_title.as_str())?.clone();
        (i["incident_updates"][0]["body"] == corrected.as_str()).then_some(())
    });
    wait_for("the new text on the screen, the list still open", WAIT, || {
        within(b, public_items, &public_title, "details.public-updates[open] p.update-body").try_text().filter(|t| t.contains(&corrected)).map(|_| ())
    });
    // Resolve from the template.
    within(b, public_items, &public_title, "button").click();
    within(b, public_items, &public_title, "select[id^=us-] option[value=resolved]").click();
    let body = b.find("#update-body").prop("value");
    assert!(body.as_str().unwrap().contains("resolved"), "the template fills the message: {body}");
    b.find_text("form[aria-label='Post update'] button[type=submit]", "Post update", Duration::from_secs(5)).click();
    wait_for("the public incident shown resolved", Duration::from_secs(10), || {
        b.find_all(public_items).iter().filter_map(|e| e.try_text()).find(|t| t.contains(&public_title) && t.contains("Resolved"))
    });
    b.goto(&c.inst.url("/status"));
    b.find_text("p.banner", "All Systems Operational", Duration::from_secs(10));
    b.screenshot("13-public-resolved");
}

/// The home screen says who is on call; taking over is two taps.
fn phone_on_call(c: &Ctx) {
    let api = c.admin();
    let sam = api.post("/api/users", json!({"email": format!("{}@example.com", unique("sam")), "name": "Sam Night", "role": "responder", "password": "sam's password"}));
    assert_eq!(sam.status, 201, "{}", sam.text);
    let sam_id = sam.json["user"]["id"].as_str().unwrap().to_string();
    let schedule = unique("Primary");
    let r = api.post("/api/schedules", json!({"name": schedule, "time_zone": "Europe/Berlin",
        "layers": [{"name": "Week", "participants": [sam_id], "start": "2026-01-01T09:00:00", "turn": {"type": "weekly"}}]}));
    assert_eq!(r.status, 201, "{}", r.text);
    let schedule_id = r.json["id"].as_str().unwrap().to_string();
    let b = c.phone();
    b.goto(&c.inst.url("/"));
    // This schedule's entry in the card (other schedules may be listed too).
    let entry = format!(".oncall li:has(a[href='/schedules/{schedule_id}'])");
    b.find_text(&entry, "Sam Night", Duration::from_secs(10));
    b.find_text(&format!("{entry} button"), "Take over", Duration::from_secs(5)).click();
    b.find_text(&format!("{entry} .take button"), "1 hour", Duration::from_secs(5)).click();
    b.find_text(&format!("{entry} .oncall-who"), ADMIN_NAME, Duration::from_secs(10));
    b.screenshot("14-on-call");
    // The schedule's two weeks: the final rota shows the take-over, then Sam again.
    b.find_text(&format!("{entry} a"), &schedule, Duration::from_secs(5)).click();
    let final_row = b.find_text(".timeline-row.final", ADMIN_NAME, Duration::from_secs(10));
    assert!(final_row.text().contains("Sam Night"), "{}", final_row.text());
    b.find_text(".timeline-row h2", "Week", Duration::from_secs(5));
    b.screenshot("15-schedule");
    let now = api.get("/api/oncall");
    let mine = now.json["schedules"].as_array().and_then(|l| l.iter().find(|s| s["schedule_id"] == schedule_id.as_str()));
    let mine = mine.unwrap_or_else(|| panic!("the schedule in /api/oncall: {}", now.text));
    assert_eq!(mine["on_call"][0]["name"], ADMIN_NAME, "{}", now.text);
}

/// Build a policy on the phone and give it to a service.
fn phone_policy(c: &Ctx) {
    let api = c.admin();
    let schedule = unique("Primary");
    let r = api.post("/api/schedules", json!({"name": schedule, "time_zone": "Europe/Berlin",
        "layers": [{"name": "Week", "participants": [c.admin_id()], "start": "2026-01-01T09:00:00", "turn": {"type": "weekly"}}]}));
    assert_eq!(r.status, 201, "{}", r.text);
    let schedule_id = r.json["id"].as_str().unwrap().to_string();
    let policy_name = unique("Checkout on-call");
    let svc = c.service(&unique("Checkout API"));
    let sid = svc["id"].as_str().unwrap().to_string();

    let b = c.phone();
    b.goto(&c.inst.url("/escalation-policies"));
    b.find("#policy-name").type_text(&policy_name);
    b.find_text("label", &format!("Whoever is on call in {schedule}"), Duration::from_secs(10)).click();
    b.find_text("button[type=submit]", "Create policy", Duration::from_secs(5)).click();
    b.find_text(".levels li", &format!("on call in {schedule}"), Duration::from_secs(10));
    b.screenshot("16-policies");
    let policies = api.get("/api/escalation-policies");
    let policy = policies.json["escalation_policies"].as_array().and_then(|l| l.iter().find(|p| p["name"] == policy_name.as_str()));
    let policy = policy.unwrap_or_else(|| panic!("the new policy: {}", policies.text));
    assert_eq!(policy["policy"]["levels"][0]["targets"][0]["type"], "schedule", "{}", policies.text);
    assert_eq!(policy["policy"]["levels"][0]["targets"][0]["id"], schedule_id.as_str(), "{}", policies.text);
    assert_eq!(policy["policy"]["levels"][0]["delay_minutes"], 5);
    let policy_id = policy["id"].as_str().unwrap().to_string();
    // Give it to the service from its page.
    b.goto(&c.inst.url(&format!("/services/{sid}")));
    b.find_text("summary", "Alert settings", Duration::from_secs(10)).click();
    b.find_text("#escalation_policy option", &policy_name, Duration::from_secs(10)).click();
    wait_for("the service's policy saved", Duration::from_secs(10), || {
        api.get(&format!("/api/services/{sid}")).json["escalation_policy_id"].as_str().filter(|p| *p == policy_id).map(str::to_string)
    });
}

// ---- Paging on the phone: the installable app, offline, notifications, Me, webhooks ----

const WAIT: Duration = Duration::from_secs(15);

/// Opens the app and logs in through the form if the browser has no session (the admin must
/// exist: use `Ctx::login` or `Ctx::phone`).
fn ensure_logged_in(b: &Browser, origin: &str) {
    b.goto(&format!("{origin}/"));
    let screen = wait_for("the incidents list or the login form", WAIT, || {
        b.try_find("nav.tabbar").map(|_| "app").or_else(|| b.try_find("#password").map(|_| "login"))
    });
    if screen == "login" {
        b.find("#email").type_text(EMAIL);
        b.find("#password").type_text(PASSWORD);
        b.find("button[type=submit]").click();
        b.find("nav.tabbar");
    }
}

/// Waits until the service worker is active and controls the page.
fn wait_controlled(b: &Browser) {
    let v = b.script_async(
        "const reg = await navigator.serviceWorker.ready;
         if (!navigator.serviceWorker.controller) {
           await new Promise((ok, fail) => {
             navigator.serviceWorker.addEventListener('controllerchange', ok, {once: true});
             setTimeout(() => fail(new Error('no controller after 10 s')), 10000);
           });
         }
         return navigator.serviceWorker.controller.scriptURL;",
    );
    assert!(v.as_str().is_some_and(|u| u.ends_with("/sw.js")), "controlled by {v}");
}

/// A TCP relay to the instance that can go offline: then it closes every open connection and
/// refuses new ones, so every request from the browser fails — the service worker's too.
/// (Chromium's DevTools offline emulation applies to the page only, not to its service worker.)
struct Link {
    base: String,
    offline: Arc<AtomicBool>,
    open: Arc<Mutex<Vec<TcpStream>>>,
}

impl Link {
    fn start(upstream: u16) -> Link {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let offline = Arc::new(AtomicBool::new(false));
        let open: Arc<Mutex<Vec<TcpStream>>> = Arc::default();
        let (off, conns) = (offline.clone(), open.clone());
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                if off.load(Ordering::SeqCst) {
                    let _ = client.shutdown(Shutdown::Both);
                    continue;
                }
                let Ok(server) = TcpStream::connect(("127.0.0.1", upstream)) else { continue };
                let mut list = conns.lock().unwrap();
                list.extend([client.try_clone().unwrap(), server.try_clone().unwrap()]);
                drop(list);
                for (mut from, mut to) in [(client.try_clone().unwrap(), server.try_clone().unwrap()), (server, client)] {
                    std::thread::spawn(move || {
                        let _ = std::io::copy(&mut from, &mut to);
                        let _ = to.shutdown(Shutdown::Write);
                    });
                }
            }
        });
        Link { base, offline, open }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Cuts the link until the returned guard is dropped (also when a test fails meanwhile).
    fn cut(&self) -> Offline<'_> {
        self.set_offline(true);
        Offline(self)
    }

    fn set_offline(&self, offline: bool) {
        self.offline.store(offline, Ordering::SeqCst);
        let mut open = self.open.lock().unwrap();
        if offline {
            for s in open.drain(..) {
                let _ = s.shutdown(Shutdown::Both);
            }
        }
    }
}

/// The link cut; dropping it brings the network back.
#[must_use = "the link comes back when this is dropped"]
struct Offline<'a>(&'a Link);

impl Drop for Offline<'_> {
    fn drop(&mut self) {
        self.0.set_offline(false);
    }
}

/// What a fetch from the page gets, through the service worker (which passes /healthz on).
fn probe_network(b: &Browser) -> String {
    b.script_async("try { const r = await fetch('/healthz', {cache: 'no-store'}); return 'online ' + r.status; } catch (e) { return 'offline'; }")
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// Posts a notification action to the service worker the way its test hook expects; returns
/// the worker's `{ok, status, text}`.
fn notification_action(b: &Browser, action: &str, payload: &Value) -> Value {
    b.script_async(&format!(
        "const reg = await navigator.serviceWorker.ready;
         const ch = new MessageChannel();
         const answer = new Promise((ok) => ch.port1.onmessage = (e) => ok(e.data));
         (navigator.serviceWorker.controller || reg.active).postMessage(
           {{type: 'tocsin-notification-action', action: {action}, payload: {payload}}}, [ch.port2]);
         return await answer;",
        action = json!(action),
        payload = payload
    ))
}

fn sw_message(b: &Browser, msg: &Value) -> Value {
    b.script_async(&format!(
        "const reg = await navigator.serviceWorker.ready;
         const ch = new MessageChannel();
         const answer = new Promise((ok) => ch.port1.onmessage = (e) => ok(e.data));
         (navigator.serviceWorker.controller || reg.active).postMessage({msg}, [ch.port2]);
         return await answer;"
    ))
}

/// Width and height of a PNG, from its IHDR chunk.
fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert!(bytes.len() > 24 && bytes.starts_with(b"\x89PNG\r\n\x1a\n") && &bytes[12..16] == b"IHDR", "not a PNG");
    let be = |i: usize| u32::from_be_bytes(bytes[i..i + 4].try_into().unwrap());
    (be(16), be(20))
}

/// `(status, content type, body)` of a plain GET.
fn fetch(c: &Ctx, path: &str) -> (u16, String, Vec<u8>) {
    let agent = tocsin_tests::http::agent(false);
    let mut r = agent.get(&c.inst.url(path)).call().unwrap_or_else(|e| panic!("GET {path}: {e}"));
    let ct = r.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let body = r.body_mut().with_config().limit(10 << 20).read_to_vec().unwrap();
    (r.status().as_u16(), ct, body)
}

fn between<'a>(s: &'a str, start: &str, end: &str) -> &'a str {
    let i = s.find(start).unwrap_or_else(|| panic!("{start:?} not in {s}")) + start.len();
    let j = s[i..].find(end).unwrap() + i;
    &s[i..j]
}

/// The web app manifest is complete and every icon it names is there, at its stated size and
/// type; the service worker registers, activates, controls the page and caches this build.
fn pwa_manifest_and_service_worker(c: &Ctx) {
    let (status, _, index) = fetch(c, "/");
    assert_eq!(status, 200);
    let index = String::from_utf8(index).unwrap();
    assert!(index.contains(r#"<link rel="manifest" href="/manifest.webmanifest">"#), "{index}");
    assert!(index.contains(r#"<link rel="apple-touch-icon" href="/apple-touch-icon.png">"#));
    assert!(index.contains(r#"<meta name="apple-mobile-web-app-capable" content="yes">"#));
    let version = between(&index, "/tocsin.css?v=", "\"").to_string();
    assert_eq!(version.len(), 12, "{version}");
    let theme = between(&index, r#"<meta name="theme-color" content=""#, "\"").to_string();

    let (status, ct, body) = fetch(c, "/manifest.webmanifest");
    assert_eq!(status, 200);
    assert!(ct.contains("json"), "manifest content type {ct}");
    let m: Value = serde_json::from_slice(&body).expect("the manifest is JSON");
    assert_eq!(m["name"], "Tocsin");
    assert!(m["short_name"].as_str().is_some_and(|s| !s.is_empty() && s.len() <= 12), "{m}");
    assert!(m["description"].as_str().is_some_and(|s| !s.is_empty()));
    for (k, v) in [("start_url", "/"), ("scope", "/"), ("id", "/"), ("display", "standalone")] {
        assert_eq!(m[k], v, "{k}");
    }
    assert_eq!(m["theme_color"], theme.as_str(), "the manifest's theme matches index.html");
    assert!(m["background_color"].as_str().is_some_and(|s| s.starts_with('#')));
    let icons = m["icons"].as_array().expect("icons");
    let mut have = Vec::new();
    for icon in icons {
        let (src, sizes, kind) = (icon["src"].as_str().unwrap(), icon["sizes"].as_str().unwrap(), icon["type"].as_str().unwrap());
        let purpose = icon["purpose"].as_str().unwrap_or("any");
        let (status, ct, body) = fetch(c, src);
        assert_eq!(status, 200, "{src}");
        assert!(ct.starts_with(kind), "{src}: served as {ct}, manifest says {kind}");
        if kind == "image/png" {
            let (w, h) = png_size(&body);
            assert_eq!(format!("{w}x{h}"), sizes, "{src}");
            have.extend(purpose.split(' ').map(|p| format!("{sizes} {p}")));
        } else {
            assert_eq!(kind, "image/svg+xml");
            assert!(String::from_utf8_lossy(&body).contains("<svg"), "{src}");
        }
    }
    for need in ["192x192 any", "512x512 any", "512x512 maskable"] {
        assert!(have.iter().any(|h| h == need), "a {need} icon: {have:?}");
    }
    let (status, ct, body) = fetch(c, "/apple-touch-icon.png");
    assert_eq!((status, ct.as_str(), png_size(&body)), (200, "image/png", (180, 180)));

    // The service worker of this build.
    let (status, ct, sw) = fetch(c, "/sw.js");
    assert_eq!(status, 200);
    assert!(ct.contains("javascript"), "{ct}");
    let sw = String::from_utf8(sw).unwrap();
    assert!(sw.contains(&format!("const VERSION = \"{version}\"")) && !sw.contains("__VERSION__"), "build.sh stamps the version");

    let b = c.phone();
    b.find("nav.tabbar");
    wait_controlled(b);
    let v = b.script_async(
        "const reg = await navigator.serviceWorker.ready;
         const w = reg.active;
         if (w.state !== 'activated') await new Promise((ok) => w.addEventListener('statechange', () => w.state === 'activated' && ok()));
         const names = await caches.keys();
         const shell = names.filter((n) => n.startsWith('tocsin-shell-'));
         const keys = shell.length ? (await (await caches.open(shell[0])).keys()).map((r) => { const u = new URL(r.url); return u.pathname + u.search; }) : [];
         return {scope: reg.scope, state: w.state, script: w.scriptURL, shell, keys,
                 manifest: document.querySelector('link[rel=manifest]').href};",
    );
    assert_eq!(v["scope"], c.inst.url("/"), "{v}");
    assert_eq!(v["state"], "activated");
    assert_eq!(v["script"], c.inst.url("/sw.js"));
    assert_eq!(v["manifest"], c.inst.url("/manifest.webmanifest"));
    assert_eq!(v["shell"], json!([format!("tocsin-shell-{version}")]), "one shell cache, this build's");
    let keys: Vec<&str> = v["keys"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    for k in ["/".to_string(), "/index.html".into(), format!("/tocsin.css?v={version}"), format!("/pkg/{version}/tocsin_app.js"),
              format!("/pkg/{version}/tocsin_app_bg.wasm"), format!("/pkg/{version}/__wasm_split.js"), "/manifest.webmanifest".into(), "/icon-192.png".into()] {
        assert!(keys.contains(&k.as_str()), "the shell cache holds {k}: {keys:?}");
    }
}

/// Offline, the app still opens from the service worker's cache and shows the incidents it saw
/// last, saying clearly that they are stale; "Log out" offline says the session could not be
/// ended; back online the banner goes; logging out deletes the copies.
fn phone_offline(c: &Ctx) {
    let title = &unique("Payments queue backed up");
    let r = c.admin().post("/api/incidents", json!({"title": title, "severity": "SEV2"}));
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.json["incident"]["id"].as_str().unwrap().to_string();
    let b = &c.browser;
    c.login(b, &c.link.url(""));
    wait_controlled(b);
    b.goto(&c.link.url(&format!("/incidents/{id}")));
    b.find_text(".incident-title", title, WAIT);
    b.goto(&c.link.url("/"));
    b.find_text(".incident-card", title, WAIT);
    assert!(b.try_find(".offline-banner").is_none(), "online: no banner");
    assert!(probe_network(b).starts_with("online"), "online before");

    let offline = c.link.cut();
    // The service worker's own requests fail too: what follows really is offline.
    assert_eq!(probe_network(b), "offline");
    b.goto(&c.link.url("/"));
    let banner = b.find_text(".offline-banner", "Offline", WAIT);
    let text = banner.text();
    assert!(text.contains("showing incidents as of "), "{text}");
    let at = between(&text, "as of ", ".");
    assert!(at.len() == 5 && at.as_bytes()[2] == b':', "a time of day: {text}");
    b.find_text(".incident-card", title, WAIT);
    b.screenshot("20-offline-incidents");
    b.find_text(".incident-card", title, WAIT).click();
    b.find_text(".incident-title", title, WAIT);
    b.find_text(".offline-banner", "showing this incident as of", WAIT);
    // Only the server can end the session (its cookie is HttpOnly): offline, "Log out" says the
    // phone is still signed in rather than show a login screen over a session that still works.
    b.find_text("button", "Log out", WAIT).click();
    let said = b.find_text(".logout-failed[role=alert]", "Not logged out", WAIT).text();
    assert!(said.contains("still signed in"), "{said}");
    assert!(b.try_find("#password").is_none(), "no login screen while the session lives");
    b.find_text(".incident-title", title, WAIT);
    b.screenshot("21-offline-logout-refused");

    drop(offline);
    b.goto(&c.link.url("/"));
    b.find_text(".incident-card", title, WAIT);
    wait_for("the offline banner to go", WAIT, || b.try_find(".offline-banner").is_none().then_some(()));

    // Logging out deletes the copies (a shared phone keeps nothing of the organisation).
    assert_eq!(b.script_async("return await caches.has('tocsin-api');"), json!(true));
    b.find_text("button", "Log out", WAIT).click();
    b.find_text("h1", "Log in to Tocsin", WAIT);
    wait_for("the API cache deleted", WAIT, || {
        (b.script_async("return await caches.has('tocsin-api');") == json!(false)).then_some(())
    });
    ensure_logged_in(b, &c.link.url(""));
}

/// Monitoring fires, the page reaches the phone's push service encrypted; the service worker
/// shows it with Acknowledge and Open; tapping Acknowledge offline queues it, back online it is
/// sent and the incident is acknowledged by the person, without a session.
fn phone_acknowledge_from_notification(c: &Ctx) {
    let api = c.admin();
    let svc = c.service_paging_admin(&unique("Payments"));
    // The phone's subscription (real keys, on the local push service), as the app posts it.
    let device = format!("Rosa's Pixel ({})", unique("ack"));
    let sub = TestSubscription::new(&c.rx, "rosa-pixel");
    let r = api.post("/api/push/subscriptions", sub.json(&device));
    assert_eq!(r.status, 201, "{}", r.text);

    let title = format!("Card payments failing ({})", unique("cards"));
    let incident_id = c.alert(&svc, &title, "critical");
    let payload = wait_for_page(c, &sub, &incident_id);
    assert_eq!(payload["type"], "page", "{payload}");
    assert_eq!(payload["incident_id"], incident_id.as_str());
    assert!(payload["token"].as_str().is_some_and(|t| t.len() > 20), "{payload}");

    let b = &c.browser;
    c.login(b, &c.link.url(""));
    wait_controlled(b);
    let origin = c.link.url("");
    b.cdp("Browser.grantPermissions", json!({"origin": origin, "permissions": ["notifications"]}));
    // The service worker shows the page as the push event would.
    let shown = sw_message(b, &json!({"type": "tocsin-push", "data": payload.to_string()}));
    assert_eq!(shown["ok"], true, "{shown}");
    let tag = payload["tag"].as_str().unwrap().to_string();
    let notes = |b: &Browser| {
        b.script_async(&format!(
            "const reg = await navigator.serviceWorker.ready;
             return (await reg.getNotifications({{tag: {tag}}})).map((n) => ({{title: n.title, body: n.body, requireInteraction: n.requireInteraction,
               actions: n.actions.map((a) => a.action), data: n.data}}));",
            tag = json!(tag)
        ))
    };
    let shown = notes(b);
    assert_eq!(shown[0]["title"], payload["title"], "{shown}");
    assert_eq!(shown[0]["actions"], json!(["ack", "open"]));
    assert_eq!(shown[0]["requireInteraction"], true);
    assert_eq!(shown[0]["data"]["token"], payload["token"]);

    // Acknowledge while offline: queued, nothing sent yet.
    let offline = c.link.cut();
    let res = notification_action(b, "ack", &payload);
    assert_eq!(res["status"], 0, "{res}");
    assert!(res["text"].as_str().unwrap().starts_with("queued"), "{res}");
    assert_eq!(b.script_async("return (await (await caches.open('tocsin-ack-queue')).keys()).length;"), json!(1));
    assert_eq!(notes(b)[0]["title"], "Will acknowledge when back online");
    let status = |api: &Api| api.get(&format!("/api/incidents/{incident_id}")).json["incident"]["status"].as_str().unwrap_or("").to_string();
    assert_eq!(status(api), "triggered");

    // Back online: the queued acknowledgement goes out.
    drop(offline);
    assert_eq!(sw_message(b, &json!({"type": "tocsin-flush-acks"})), json!({"queued": 0}));
    let detail = api.get(&format!("/api/incidents/{incident_id}"));
    assert_eq!(detail.json["incident"]["status"], "acknowledged", "{}", detail.text);
    assert_eq!(detail.json["incident"]["acknowledged_by"]["name"], ADMIN_NAME);
    let after = notes(b);
    let number = detail.json["incident"]["number"].as_i64().unwrap();
    assert_eq!(after[0]["title"], format!("Acknowledged — #{number} {title}"), "{after}");

    // Tapping Acknowledge again (another device was quicker, or a retry) says so.
    let again = notification_action(b, "ack", &payload);
    assert_eq!(again["status"], 200, "{again}");
    let body: Value = serde_json::from_str(again["text"].as_str().unwrap()).unwrap();
    assert_eq!(body["changed"], false);
    assert!(notes(b)[0]["body"].as_str().unwrap().contains("already acknowledged"));
    // A forged token does nothing.
    let forged = notification_action(b, "ack", &json!({"tag": "x", "number": number, "token": "not-a-token"}));
    assert_eq!(forged["status"], 401, "{forged}");

    // Open goes to the incident in the open window; the app shows it acknowledged.
    b.goto(&c.link.url("/me"));
    b.find_text("h1", "Me", WAIT);
    b.script(&format!(
        "navigator.serviceWorker.controller.postMessage({{type: 'tocsin-notification-action', action: 'open', payload: {payload}}})"
    ));
    wait_for("Open to navigate to the incident", WAIT, || (b.current_path() == format!("/incidents/{incident_id}")).then_some(()));
    b.find_text(".badge.status", "Acknowledged", WAIT);
    b.screenshot("21-acknowledged-from-notification");
    // The escalation panel (under Details) says whom it paged and that the page reached the phone.
    b.find("button[data-tab=details]").click();
    b.find_text(".pages li", ADMIN_NAME, WAIT);
    b.find_text(".pages .attempts li", &format!("{device} — Delivered"), WAIT);
    b.script("document.querySelector('.escalation').scrollIntoView()");
    b.screenshot("21b-page-reached-the-phone");
}

/// Waits for the page about `incident_id` at a subscription's push endpoint, decrypted (any other
/// message that reaches the device meanwhile, e.g. another incident's repeat, is not it).
fn wait_for_page(c: &Ctx, sub: &TestSubscription, incident_id: &str) -> Value {
    wait_for(&format!("the page for {incident_id} at {}", sub.path), Duration::from_secs(30), || {
        c.rx.received(&sub.path).iter().map(|r| sub.decrypt(r)).find(|p| p["incident_id"] == incident_id)
    })
}

/// The Me screen: this device's notification state and the Enable button (headless Chromium has
/// no push service, so the browser refuses and the screen says why), the person's devices with
/// a test notification that arrives, contact preferences that save, and the delivery log.
fn phone_me_screen(c: &Ctx) {
    let api = c.admin();
    let tag = unique("me");
    let (pixel_name, tablet_name) = (format!("Rosa's Pixel ({tag})"), format!("Rosa's tablet ({tag})"));
    // A phone that has been paged once (the page is acknowledged, so no repeat follows it).
    let pixel = TestSubscription::new(&c.rx, "rosa-pixel");
    let r = api.post("/api/push/subscriptions", pixel.json(&pixel_name));
    assert_eq!(r.status, 201, "{}", r.text);
    let svc = c.service_paging_admin(&unique("Payments"));
    let incident_id = c.alert(&svc, &format!("Card payments failing ({tag})"), "critical");
    assert_eq!(wait_for_page(c, &pixel, &incident_id)["type"], "page");
    wait_for("the page logged as delivered", Duration::from_secs(30), || {
        let log = api.get("/api/push/deliveries").json;
        log["deliveries"].as_array()?.iter().find(|d| d["event"] == "page" && d["incident_id"] == incident_id.as_str() && d["state"] == "sent").cloned()
    });
    let r = api.post(&format!("/api/incidents/{incident_id}/acknowledge"), json!({}));
    assert_eq!(r.status, 200, "{}", r.text);
    // And a tablet that has received nothing yet.
    let tablet = TestSubscription::new(&c.rx, "rosa-tablet");
    let r = api.post("/api/push/subscriptions", tablet.json(&tablet_name));
    assert_eq!(r.status, 201, "{}", r.text);
    let b = c.phone();
    b.find("nav a[href='/me']").click();
    b.find_text("h1", "Me", WAIT);
    let state = b.find_text(".device-state", "", WAIT);
    assert_eq!(state.attr("data-state").as_deref(), Some("off"), "{}", state.text());
    assert_eq!(b.find("#device-name").prop("value"), json!("Android phone (Chrome)"));
    b.find_text(".devices li", &pixel_name, WAIT);
    let tablet_item = b.find_text(".devices li", &tablet_name, WAIT);
    assert!(tablet_item.text().contains("127.0.0.1"), "the push service's host: {}", tablet_item.text());
    assert!(tablet_item.text().contains("Nothing delivered yet"), "{}", tablet_item.text());
    b.screenshot("22-me-top");

    // Enable: permission is granted, but there is no push service in headless Chromium.
    b.cdp("Browser.grantPermissions", json!({"origin": c.inst.url(""), "permissions": ["notifications"]}));
    b.find_text("button", "Enable notifications on this device", WAIT).click();
    // Chromium either refuses at once or never answers; the app gives up after 20 s.
    let msg = wait_for("a readable reason", Duration::from_secs(40), || {
        b.try_find(".enable-error").and_then(|e| e.try_text()).filter(|t| t.len() > 20)
    });
    assert!(msg.contains("push service"), "{msg}");
    b.screenshot("23-me-enable-error");

    // Send a test notification to the tablet: it arrives, encrypted, and says what it is.
    let before = c.rx.received(&tablet.path).len();
    let item = b.find_text(".devices li", &tablet_name, WAIT);
    let button = item_button(b, &tablet_name, "Send test notification");
    drop(item);
    button.click();
    b.find_text(".notice", &format!("Test notification sent to {tablet_name}"), WAIT);
    let got = c.rx.wait_for(&tablet.path, before + 1, Duration::from_secs(30));
    let test = tablet.decrypt(&got[before]);
    assert_eq!(test["type"], "test", "{test}");
    assert_eq!(test["url"], "/me");

    // Contact preferences: the server's default first, then repeat every 10 minutes for SEV2
    // or worse, and a personal Slack webhook (write-only: a hint comes back).
    assert_eq!(b.find("#pref-push").prop("checked"), json!(true));
    assert_eq!(b.find("#pref-repeat").prop("checked"), json!(true));
    assert_eq!(b.find("#pref-every").prop("value"), json!("5"));
    assert_eq!(b.find("#pref-severity").prop("value"), json!("SEV1"));
    b.script("document.getElementById('pref-every').value = ''");
    b.find("#pref-every").type_text("10");
    b.find("#pref-severity option[value=SEV2]").click();
    b.find("#pref-webhook-kind option[value=slack]").click();
    let hook = c.rx.url("/slack/rosa-dm");
    b.find("#pref-webhook-url").type_text(&hook);
    b.screenshot("24-me-preferences");
    b.find_text("button[type=submit]", "Save preferences", WAIT).click();
    b.find_text(".notice", "Saved.", WAIT);
    let prefs = api.get("/api/users/me/contact-preferences");
    assert_eq!(prefs.json["repeat"], json!({"every_minutes": 10, "min_severity": "SEV2"}), "{}", prefs.text);
    assert_eq!(prefs.json["webhook"]["kind"], "slack");
    assert!(prefs.json["webhook"].get("url").is_none_or(Value::is_null), "the URL is never shown back: {}", prefs.text);
    let hint = b.find_text(".field .hint", "Set: ", WAIT).text();
    assert!(hint.contains("127.0.0.1"), "{hint}");
    // An invalid repeat is refused next to its field.
    b.script("document.getElementById('pref-every').value = ''");
    b.find("#pref-every").type_text("0");
    b.find_text("button[type=submit]", "Save preferences", WAIT).click();
    b.find_text("#pref-every-error", "minutes", WAIT);

    // Recent push deliveries: the page and the test, each delivered (the push service said 201).
    // The list does not name the incident or device: it must show every delivered page and test
    // the API lists (this test's among them).
    b.goto(&c.inst.url("/me"));
    wait_for("the page and the test shown delivered", Duration::from_secs(25), || {
        let log = api.get("/api/push/deliveries").json;
        let log = log["deliveries"].as_array()?.clone();
        let ours = log.iter().any(|d| d["event"] == "page" && d["incident_id"] == incident_id.as_str() && d["state"] == "sent");
        let sent = |event: &str| {
            log.iter()
                .filter(|d| d["event"] == event && d["state"] == "sent")
                .filter(|d| d["attempts"].as_array().is_some_and(|a| a.iter().any(|a| a["status"] == 201)))
                .count()
        };
        let items: Vec<String> = b.find_all(".deliveries > li").iter().filter_map(|e| e.try_text()).collect();
        let shown = |label: &str| items.iter().filter(|t| t.starts_with(label) && t.contains("Delivered") && t.contains("HTTP 201")).count();
        let (pages, tests) = (sent("page"), sent("test"));
        (ours && pages >= 1 && tests >= 1 && shown("Page") == pages && shown("Test message") == tests).then_some(())
    });
    b.script("document.getElementById('pd-h').scrollIntoView({block: 'start'})");
    b.screenshot("25-me-deliveries");
    // The same screen in dark mode, for people to check contrast.
    b.cdp("Emulation.setEmulatedMedia", json!({"features": [{"name": "prefers-color-scheme", "value": "dark"}]}));
    b.script("window.scrollTo(0, 0)");
    b.screenshot("25b-me-dark");
    b.cdp("Emulation.setEmulatedMedia", json!({"features": [{"name": "prefers-color-scheme", "value": "light"}]}));

    // Remove the tablet: it leaves the list (the phone stays) and the server.
    item_button(b, &tablet_name, "Remove").click();
    wait_for("the tablet removed", WAIT, || {
        let items: Vec<String> = b.find_all(".devices li").iter().filter_map(|e| e.try_text()).collect();
        (items.iter().any(|t| t.contains(&pixel_name)) && !items.iter().any(|t| t.contains(&tablet_name))).then_some(())
    });
    let devices = api.get("/api/push/subscriptions");
    assert!(!devices.text.contains(&tablet_name) && devices.text.contains(&pixel_name), "{}", devices.text);
}

/// The button labelled `label` inside the device list entry that mentions `device`.
fn item_button<'a>(b: &'a Browser, device: &str, label: &str) -> Element<'a> {
    let items = b.find_all(".devices li");
    let n = items.iter().position(|e| e.try_text().is_some_and(|t| t.contains(device))).unwrap_or_else(|| panic!("no device {device}"));
    let buttons = b.find_all(&format!(".devices li:nth-child({}) button", n + 1));
    buttons.into_iter().find(|e| e.text() == label).unwrap_or_else(|| panic!("no {label} button for {device}"))
}

/// On an iPhone in Safari (not installed), the Me screen explains that pages need the Home
/// Screen app, and offers no Enable button that could not work.
fn iphone_home_screen(c: &Ctx) {
    let b = Browser::phone_with_user_agent(
        "Mozilla/5.0 (iPhone; CPU iPhone OS 19_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/19.1 Mobile/15E148 Safari/604.1",
    );
    c.login(&b, &c.inst.url(""));
    b.goto(&c.inst.url("/me"));
    let state = b.find_text(".device-state", "Home Screen", WAIT);
    assert_eq!(
        state.text(),
        "On iPhone and iPad, add Tocsin to your Home Screen (Share → Add to Home Screen) and open it from there to enable notifications."
    );
    assert!(b.try_find("#device-name").is_none(), "no Enable form in Safari");
    b.screenshot("26-me-iphone-safari");
}

/// Chat & webhooks (admin): add a signed generic destination for one service and two events,
/// see its secret once, send a test that arrives signed, see the delivery log, get a note added
/// on the phone, then delete it.
fn phone_webhooks_screen(c: &Ctx) {
    use hmac::{Hmac, Mac};
    let api = c.admin();
    let service_name = unique("Payments");
    let svc = c.service(&service_name);
    let sid = svc["id"].as_str().unwrap().to_string();
    let iid = c.alert(&svc, "Card payments failing", "critical");
    let (dest_name, hook) = ("Ops automation", format!("/hooks/{}", unique("ops")));
    let b = c.phone();
    open_me_screen(b, "/settings/webhooks");
    b.find_text("a.btn", "Chat & webhooks", WAIT).click();
    b.find_text("h1", "Chat & webhooks", WAIT);
    b.find_text(".empty", "No destinations yet", WAIT);
    b.find_text("button", "Add destination", WAIT).click();
    b.find("#dest-name").type_text(dest_name);
    b.find("#dest-kind option[value=generic]").click();
    b.find("#dest-url").type_text(&c.rx.url(&hook));
    // Defaults: opened, acknowledged, resolved. Add "Note added", drop "Acknowledged".
    assert_eq!(b.find("#ev-incident-opened").prop("checked"), json!(true));
    b.find("label[for=ev-incident-note_added]").click();
    b.find("label[for=ev-incident-acknowledged]").click();
    b.find_text(&format!("label[for='ds-{sid}']"), &service_name, WAIT).click();
    b.screenshot("27-webhooks-form");
    b.find_text("button[type=submit]", "Add destination", WAIT).click();
    let secret_box = b.find_text(".secret-once", "Shown once", WAIT);
    drop(secret_box);
    let secret = b.find("#new-secret").prop("value").as_str().unwrap().to_string();
    assert!(secret.len() >= 16, "{secret}");
    let card = b.find_text(".destination", dest_name, WAIT);
    let text = card.text();
    assert!(text.contains("Generic (signed JSON)") && text.contains("127.0.0.1") && text.contains("Note added") && text.contains(&service_name), "{text}");
    assert!(!text.contains("Acknowledged"), "{text}");
    b.screenshot("28-webhooks-secret");
    let list = api.get("/api/webhook-destinations");
    let all = list.json["destinations"].as_array().unwrap_or_else(|| panic!("{}", list.text));
    assert_eq!(all.len(), 1, "{}", list.text);
    let d = &all[0];
    assert_eq!(d["name"], dest_name);
    assert_eq!(d["events"], json!(["incident.opened", "incident.resolved", "incident.note_added"]), "{}", list.text);
    assert_eq!(d["service_ids"], json!([sid]), "{}", list.text);

    // Send test: it arrives signed with the secret the screen showed.
    b.find_text(".destination button", "Send test", WAIT).click();
    let got = c.rx.wait_for(&hook, 1, Duration::from_secs(30));
    let sig = got[0].header("tocsin-signature").expect("Tocsin-Signature").to_string();
    let (t, v1) = sig.strip_prefix("t=").and_then(|r| r.split_once(",v1=")).unwrap_or_else(|| panic!("{sig}"));
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.").as_bytes());
    mac.update(&got[0].body);
    let expected: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(v1, expected, "the signature verifies with the secret shown once");
    b.find_text(".notice", "Test message queued", WAIT);
    b.find_text(".destination summary", "Delivery log", WAIT).click();
    wait_for("the delivery log showing the test", WAIT, || {
        let t = b.find(".destination details").text();
        (t.contains("Test message") && t.contains("Delivered") && t.contains("HTTP 201")).then_some(())
    });
    b.find(".destination details").click();
    b.script("document.querySelector('.destination details').scrollIntoView({block: 'start'})");
    b.screenshot("29-webhooks-log");

    // A note added on the phone reaches the destination (Payments, "Note added").
    b.goto(&c.inst.url(&format!("/incidents/{iid}")));
    b.find("#note-body").type_text("Card processor confirms an outage on their side.");
    b.find_text("button[type=submit]", "Add note", WAIT).click();
    b.find_text(".timeline li", "Card processor confirms an outage", WAIT);
    b.screenshot("30-incident-note");
    let note = wait_for("the note at the destination", Duration::from_secs(30), || {
        c.rx.received(&hook).into_iter().find(|r| r.json()["type"] == "incident.note_added")
    });
    assert_eq!(note.json()["incident"]["id"], iid.as_str(), "{}", String::from_utf8_lossy(&note.body));

    // Delete takes two taps.
    b.goto(&c.inst.url("/settings/webhooks"));
    b.find_text(".destination button", "Delete", WAIT).click();
    b.find_text(".destination button", "Tap again to delete", WAIT).click();
    b.find_text(".empty", "No destinations yet", WAIT);
    assert_eq!(api.get("/api/webhook-destinations").json["destinations"], json!([]));
}

/// An admin finds who changed a service, from the Me screen, filtered to services, with the
/// change's before and after and no secret in sight.
fn phone_audit_log(c: &Ctx) {
    let api = c.admin();
    let name = unique("Audited service");
    let svc = c.service(&name);
    let sid = svc["id"].as_str().unwrap().to_string();
    let secret = unique("a-webhook-secret-for-the-audit");
    let r = api.patch(&format!("/api/services/{sid}"), json!({"description": "Charges cards", "webhook_secret": secret}));
    assert_eq!(r.status, 200, "{}", r.text);
    let b = c.phone();
    open_me_screen(b, "/settings/audit");
    b.find_text("a.btn", "Audit log", WAIT).click();
    b.find_text("h1", "Audit log", WAIT);
    b.find("select option[value=service]").click();
    let row = b.find_text(".audit-row", "service.updated", WAIT);
    let text = row.text();
    assert!(text.contains(ADMIN_NAME), "{text}");
    drop(row);
    wait_for("only service rows", WAIT, || b.find_all(".audit-row").iter().all(|r| r.try_text().is_some_and(|t| t.contains("service."))).then_some(()));
    b.find(".audit-row details summary").click();
    let diff = b.find(".audit-row .audit-diff").text();
    assert!(diff.contains("Charges cards") && diff.contains("\"has_webhook_secret\": true"), "{diff}");
    assert!(!b.find("main").text().contains(&secret), "the secret is not on the screen");
    b.screenshot("30-audit-log");
}

/// The incident page shows a change made elsewhere without a reload, over the live record (the
/// page's own refresh is every 30 s, so a note seen within seconds came over the WebSocket).
fn phone_incident_live(c: &Ctx) {
    let svc = c.service(&unique("Live checkout"));
    let iid = c.alert(&svc, "Checkout latency", "critical");
    let b = c.phone();
    b.goto(&c.inst.url(&format!("/incidents/{iid}")));
    b.find_text("h1", "Checkout latency", WAIT);
    wait_for("the live record connected", WAIT, || (b.find(".live-state").attr("data-state").as_deref() == Some("live")).then_some(()));
    let note = unique("Rolled back the deploy");
    let r = c.admin().post(&format!("/api/incidents/{iid}/notes"), json!({"body": note}));
    assert_eq!(r.status, 201, "{}", r.text);
    wait_for("the note on the page (well before the 30 s refresh)", Duration::from_secs(10), || b.find("main").try_text().filter(|t| t.contains(&note)).map(|_| ()));
    let r = c.admin().post(&format!("/api/incidents/{iid}/acknowledge"), json!({}));
    assert_eq!(r.status, 200, "{}", r.text);
    b.find_text(".status", "Acknowledged", Duration::from_secs(10));
    b.screenshot("31-incident-live");
}

/// The home screen (the incidents list) follows the organisation's live list: a new incident
/// appears and then changes status without a reload. While live the list does not poll, so only
/// the socket can bring them.
fn phone_incidents_list_is_live(c: &Ctx) {
    let svc = c.service(&unique("Live list"));
    let b = c.phone();
    b.goto(&c.inst.url("/"));
    let live = || b.script("const e = document.querySelector('.live-note'); return e ? e.dataset.live : null");
    wait_for("the live list connected", WAIT, || (live() == json!("live")).then_some(()));
    b.find(".incident-list, p.empty");
    b.script("window.__sameDocument = true; return null");
    let summary = unique("Payments queue stuck");
    let iid = c.alert(&svc, &summary, "critical");
    // (title, status) of the incident's card, when the list shows it.
    let card = || {
        let v = b.script(&format!(
            "const e = document.querySelector(\".incident-card[href='/incidents/{iid}']\"); \
             return e ? [e.querySelector('.card-title').innerText, e.querySelector('.status').dataset.status] : null"
        ));
        v.as_array().map(|a| (a[0].as_str().unwrap_or_default().to_string(), a[1].as_str().unwrap_or_default().to_string()))
    };
    let shown = wait_for("the new incident on the home screen", Duration::from_secs(5), card);
    assert_eq!(shown, (summary.clone(), "triggered".to_string()));
    let r = c.admin().post(&format!("/api/incidents/{iid}/acknowledge"), json!({}));
    assert_eq!(r.status, 200, "{}", r.text);
    wait_for("its new status on the home screen", Duration::from_secs(5), || card().filter(|(_, s)| s == "acknowledged"));
    assert_eq!(b.script("return window.__sameDocument === true"), json!(true), "the page was not reloaded");
    assert_eq!(live(), json!("live"));
    b.screenshot("32-incidents-list-live");
}

/// A phone whose session ends behind the app's back ("log out everywhere" or a password change
/// on another device; here its own session, ended by a request the app did not make) shows the
/// login screen as soon as a live socket is closed for it (4401), on the incident page and on the
/// list, and does not reconnect. (Before, it reconnected every few seconds, saying "live updates
/// lost", until the page's next 30 s refresh met the 401; the list, while live, never refreshes.)
fn phone_signed_out_elsewhere_shows_login(c: &Ctx) {
    let svc = c.service(&unique("Signed out elsewhere"));
    let iid = c.alert(&svc, "Disk full on db-3", "critical");
    let b = c.phone();
    // Counts the app's WebSocket connections from now on (the glue looks `WebSocket` up at each call).
    let count_sockets = || {
        b.script(
            "window.__sockets = 0; if (!window.__counted) { const W = window.WebSocket; \
             window.WebSocket = new Proxy(W, {construct(t, a) { window.__sockets++; return Reflect.construct(t, a); }}); \
             window.__counted = true; } return null",
        );
    };
    let end_session = || {
        let v = b.script_async("const r = await fetch('/api/auth/logout', {method: 'POST', headers: {'Content-Type': 'application/json'}}); return r.status;");
        assert!(v.as_u64().is_some_and(|s| (200..300).contains(&s)), "logout answered {v}");
    };
    let on_login_screen = |what: &str| {
        wait_for(what, Duration::from_secs(10), || b.try_find("#password").map(|_| ()));
        std::thread::sleep(Duration::from_secs(3));
        assert_eq!(b.script("return window.__sockets"), json!(0), "no reconnect after the socket was closed as signed out");
    };

    // The incident page: the socket is closed at the record's next change.
    b.goto(&c.inst.url(&format!("/incidents/{iid}")));
    b.find_text("h1", "Disk full on db-3", WAIT);
    wait_for("the live record connected", WAIT, || (b.find(".live-state").attr("data-state").as_deref() == Some("live")).then_some(()));
    count_sockets();
    end_session();
    let r = c.admin().post(&format!("/api/incidents/{iid}/notes"), json!({"body": "Freed 20 GB"}));
    assert_eq!(r.status, 201, "{}", r.text);
    on_login_screen("the login screen after the record's socket was closed (well before the 30 s refresh)");
    b.screenshot("33-signed-out-elsewhere");

    // The list: the socket is closed at the organisation's next change.
    let b = c.phone();
    let live = || b.script("const e = document.querySelector('.live-note'); return e ? e.dataset.live : null");
    wait_for("the live list connected", WAIT, || (live() == json!("live")).then_some(()));
    count_sockets();
    end_session();
    c.alert(&svc, &unique("Disk full on db-4"), "critical");
    on_login_screen("the login screen after the list's socket was closed");
}

/// A cold start of the app (a reload, or a page notification opening it) asks for what its first
/// screen shows once each: app/boot.js begins those reads while the main module downloads, and
/// the app takes their answers (app/src/api.rs `prefetched`) instead of asking again. Every
/// `fetch` of the page is counted from before its first script runs, boot.js's apart from the
/// app's: each read is made ahead once, the app does not ask again (but for the live
/// connections' catch-up reads), and none is left untaken (a URL that differs from the one the
/// app asks for would be).
fn phone_cold_start_reads_once(c: &Ctx) {
    let svc = c.service(&unique("Cold start"));
    let iid = c.alert(&svc, &unique("Cold start incident"), "critical");
    let b = c.phone();
    // Each fetch as (path, by boot.js): boot.js passes a URL string, the app's client a Request.
    let counting = b.cdp(
        "Page.addScriptToEvaluateOnNewDocument",
        json!({"source": "window.__reads = []; const f = window.fetch; \
            window.fetch = function (input) { const u = new URL(input.url ?? input, location.href); __reads.push([u.pathname + u.search, typeof input === 'string']); return f.apply(this, arguments); };"}),
    );
    let id = counting["identifier"].clone();
    assert!(id.is_string(), "{counting}");
    // (read ahead by boot.js, asked again by the app, boot.js's reads not taken by the app)
    let reads = |path: &str| {
        let v = b.script(&format!(
            "return [__reads.filter(([p, s]) => p === {path:?} && s).length, __reads.filter(([p, s]) => p === {path:?} && !s).length, __tocsinWaiting()]"
        ));
        (v[0].as_u64().unwrap_or(99), v[1].as_u64().unwrap_or(99), v[2].clone())
    };
    b.goto(&c.inst.url("/"));
    b.find(".incident-list");
    b.find("section.oncall");
    let cold_list: Vec<_> = ["/api/me", "/api/setup", "/api/oncall", "/api/incidents?status=open&limit=50"].into_iter().map(|p| (p, reads(p))).collect();
    b.goto(&c.inst.url(&format!("/incidents/{iid}")));
    b.find("li.tl-row");
    let path = format!("/api/incidents/{iid}");
    let cold_incident: Vec<_> = ["/api/me", "/api/setup", path.as_str()].into_iter().map(|p| (p.to_string(), reads(p))).collect();
    b.cdp("Page.removeScriptToEvaluateOnNewDocument", json!({"identifier": id}));
    for (path, (ahead, again, waiting)) in cold_list {
        assert_eq!(ahead, 1, "{path} read ahead by boot.js on a cold start of the incidents list");
        // The list is read again when its live connection opens (the catch-up read).
        if path != "/api/incidents?status=open&limit=50" {
            assert_eq!(again, 0, "{path} asked again by the app on a cold start of the incidents list");
        }
        assert_eq!(waiting, json!([]), "boot.js's reads all taken by the app");
    }
    for (path, (ahead, again, waiting)) in cold_incident {
        assert_eq!(ahead, 1, "{path} read ahead by boot.js on a cold start of an incident page");
        if !path.starts_with("/api/incidents/") {
            assert_eq!(again, 0, "{path} asked again by the app on a cold start of an incident page");
        }
        assert_eq!(waiting, json!([]), "boot.js's reads all taken by the app");
    }
}

/// The first load's big pieces come as the build's Zstandard copies (worker/src/http/app_files.rs):
/// Chromium receives exactly the `.zst` file's bytes, decodes them to the module and runs it; curl
/// gets the same, a client without `zstd` (or refusing it with q=0) the file as before.
fn phone_first_load_zstd(c: &Ctx) {
    let svc = c.service(&unique("Zstd"));
    let iid = c.alert(&svc, &unique("Zstd incident"), "critical");
    let root = tocsin_tests::instance::root();
    let build = std::fs::read_to_string(root.join("dist/app/pkg/.current")).unwrap().trim().to_string();
    let pkg = root.join("dist/app/pkg").join(&build);
    let size = |f: &str| std::fs::metadata(pkg.join(f)).unwrap_or_else(|e| panic!("{f}: {e}")).len();
    // A phone of its own, logged in by its cookie: the incident page is the first it opens, with
    // nothing of the app in its caches (nor a service worker) yet.
    let b = Browser::phone();
    let cookie = c.admin().cookie().expect("the admin's session");
    let (name, value) = cookie.split_once('=').unwrap();
    let set = b.cdp("Network.setCookie", json!({"name": name, "value": value, "url": c.inst.url("/"), "httpOnly": true}));
    assert_eq!(set["success"], json!(true), "{set}");
    b.goto(&c.inst.url(&format!("/incidents/{iid}")));
    b.find("li.tl-row");
    let entries = b.script(
        "return performance.getEntriesByType('resource').filter((e) => e.name.includes('/pkg/'))\
           .map((e) => [new URL(e.name).pathname.split('/').pop(), e.encodedBodySize, e.decodedBodySize])",
    );
    let entries = entries.as_array().cloned().unwrap_or_default();
    let bundle = std::fs::read_dir(&pkg).unwrap().filter_map(|e| e.ok()?.file_name().into_string().ok())
        .find(|f| f.starts_with("bundle_split___incident_screen_view_") && f.ends_with(".wasm")).expect("the incident screen's bundle");
    for file in ["tocsin_app_bg.wasm", "tocsin_app.js", "__wasm_split.js", bundle.as_str()] {
        let e = entries.iter().find(|e| e[0] == file).unwrap_or_else(|| panic!("{file} not loaded: {entries:?}"));
        assert_eq!(e[1].as_u64(), Some(size(&format!("{file}.zst"))), "{file} arrived as its Zstandard copy: {e}");
        assert_eq!(e[2].as_u64(), Some(size(file)), "{file} decoded to the file: {e}");
    }
    let url = c.inst.url(&format!("/pkg/{build}/tocsin_app_bg.wasm"));
    let curl = |args: &[&str]| {
        let out = std::process::Command::new("curl").args(["-sS", "-D", "-", "-o", "/dev/null", "-w", "%{size_download}"]).args(args).arg(&url).output().expect("curl");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let text = String::from_utf8_lossy(&out.stdout).to_ascii_lowercase();
        let downloaded: u64 = text.lines().last().unwrap_or("").trim().parse().unwrap_or(0);
        (text, downloaded)
    };
    let (headers, n) = curl(&["-H", "Accept-Encoding: gzip, deflate, br, zstd"]);
    assert!(headers.starts_with("http/1.1 200") && headers.contains("content-encoding: zstd") && headers.contains("content-type: application/wasm"), "{headers}");
    assert!(headers.contains("vary: accept-encoding") && headers.contains("x-content-type-options: nosniff"), "{headers}");
    assert_eq!(n, size("tocsin_app_bg.wasm.zst"), "{headers}");
    // Its own ETag: a browser (or the service worker's no-cache install) holding it gets 304.
    let etag = headers.lines().find_map(|l| l.strip_prefix("etag:")).map(str::trim).expect("an ETag").to_string();
    let (again, n) = curl(&["-H", "Accept-Encoding: gzip, deflate, br, zstd", "-H", &format!("If-None-Match: {etag}")]);
    assert!(again.starts_with("http/1.1 304") && n == 0, "{again}");
    // HEAD (link checkers, `curl -I`) answers as GET without the body.
    let (head, _) = curl(&["-I", "-H", "Accept-Encoding: gzip, deflate, br, zstd"]);
    assert!(head.starts_with("http/1.1 200") && head.contains("content-encoding: zstd") && head.contains(&format!("etag: {etag}")), "{head}");
    for refused in ["gzip, br", "zstd;q=0, gzip", "zstd;Q=0", "identity"] {
        let (headers, _) = curl(&["-H", &format!("Accept-Encoding: {refused}")]);
        assert!(headers.starts_with("http/1.1 200") && !headers.contains("content-encoding: zstd"), "{refused}: {headers}");
        assert!(headers.contains("vary: accept-encoding") && headers.contains("content-type: application/wasm"), "{refused}: {headers}");
    }
    // A file the build does not have is not found (rather than the app's page under a module's name).
    let out = std::process::Command::new("curl").args(["-sS", "-o", "/dev/null", "-w", "%{http_code}"]).arg(c.inst.url(&format!("/pkg/{build}/bundle_nothing.wasm"))).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "404");
    // The loader's small chunks have no copy: the static file, as before.
    let chunk = std::fs::read_dir(&pkg).unwrap().filter_map(|e| e.ok()?.file_name().into_string().ok()).find(|f| f.starts_with("chunk_") && f.ends_with(".wasm")).unwrap();
    let out = std::process::Command::new("curl").args(["-sS", "-D", "-", "-o", "/dev/null", "-H", "Accept-Encoding: zstd"]).arg(c.inst.url(&format!("/pkg/{build}/{chunk}"))).output().unwrap();
    let headers = String::from_utf8_lossy(&out.stdout).to_ascii_lowercase();
    assert!(headers.starts_with("http/1.1 200") && headers.contains("content-type: application/wasm") && !headers.contains("content-encoding: zstd"), "{chunk}: {headers}");
}

/// Opens the Me screen, lets it finish loading (its sections arrive one by one and move the
/// links below them), then brings the link to `href` above the bottom tab bar, as a thumb would.
fn open_me_screen(b: &Browser, href: &str) {
    b.find("nav a[href='/me']").click();
    b.find(".device-state");
    b.find("#pref-push");
    wait_for("the device list loaded", WAIT, || {
        let empty = b.find_all("section[aria-labelledby=device-h] p.muted").iter().any(|e| e.try_text().is_some_and(|t| t.starts_with("No devices yet")));
        (empty || b.try_find(".devices li").is_some()).then_some(())
    });
    b.find("section[aria-labelledby=pd-h] .deliveries li, section[aria-labelledby=pd-h] p.muted");
    b.find(&format!("a[href='{href}']"));
    b.script(&format!("document.querySelector(\"a[href='{href}']\").scrollIntoView({{block: 'center'}})"));
}

/// Logs `b` in at `origin` as someone other than the admin (a fresh browser, no session).
fn login_as(b: &Browser, origin: &str, email: &str, password: &str) {
    b.goto(&format!("{origin}/"));
    b.find("#email").type_text(email);
    b.find("#password").type_text(password);
    b.find("button[type=submit]").click();
    b.find("nav.tabbar");
}

/// Waits up to `within` for `b`'s page to satisfy `check` (a change made on the other phone).
fn sees(b: &Browser, what: &str, within: Duration, check: impl Fn(&Browser) -> bool) {
    wait_for(what, within, || check(b).then_some(()));
}

/// The text of the first element matching `css`, or "" (none yet, or replaced meanwhile).
fn text_of(b: &Browser, css: &str) -> String {
    b.try_find(css).and_then(|e| e.try_text()).unwrap_or_default()
}

/// The timeline rows `b` shows: (seq, text), in page order.
fn timeline_rows(b: &Browser) -> Vec<(i64, String)> {
    let v = b.script("return [...document.querySelectorAll('.timeline li[data-seq]')].map(li => [Number(li.dataset.seq), li.dataset.kind + ' ' + li.innerText])");
    v.as_array().unwrap().iter().map(|r| (r[0].as_i64().unwrap(), r[1].as_str().unwrap_or_default().to_string())).collect()
}

/// The incident workspace on two phones at once: Rosa acknowledges, takes command, ticks a
/// runbook step and posts an update on hers; Sam's phone shows each within a second, without a
/// reload. Then Sam's network goes; three changes are made meanwhile; when it comes back Sam's
/// timeline shows exactly those three rows, in order, once each. Notes and updates are Markdown,
/// rendered without any HTML of their own. Screenshots of every tab at 390×844.
fn phone_incident_workspace_two_phones(c: &Ctx) {
    const SECOND: Duration = Duration::from_secs(1);
    let api = c.admin();
    let rosa = c.admin_id();
    // Sam: a responder, on a phone of his own that reaches Tocsin through the cuttable link.
    let sam_email = format!("{}@example.com", unique("sam"));
    let sam_password = "sam's long passphrase";
    let r = api.post("/api/users", json!({"email": sam_email, "name": "Sam Okafor", "role": "responder", "password": sam_password}));
    assert_eq!(r.status, 201, "{}", r.text);
    let sam = r.json["user"]["id"].as_str().or(r.json["id"].as_str()).unwrap_or_else(|| panic!("no user id: {}", r.text)).to_string();
    // A service with a runbook checklist; the incident declared on it gets its copy.
    let svc = c.service(&unique("Payments API"));
    let sid = svc["id"].as_str().unwrap();
    let r = api.send("PUT", &format!("/api/services/{sid}/checklist"), Some(json!({"steps": [
        {"text": "Check the **error rate** on the dashboard"},
        {"text": "Roll back the last deploy (`deployctl rollback`)"},
        {"text": "Tell support"}]}).to_string().into_bytes()), &[]);
    assert_eq!(r.status, 200, "{}", r.text);
    let title = unique("Card payments failing");
    let r = api.post("/api/incidents", json!({"title": title, "severity": "SEV2", "service_id": sid}));
    assert_eq!(r.status, 201, "{}", r.text);
    let iid = r.json["incident"]["id"].as_str().or(r.json["id"].as_str()).unwrap().to_string();
    let steps = api.get(&format!("/api/incidents/{iid}")).json["checklist"].clone();
    assert_eq!(steps.as_array().map(Vec::len), Some(3), "the incident has its copy of the checklist: {steps}");
    let (step1, step2) = (steps[0]["id"].as_str().unwrap().to_string(), steps[1]["id"].as_str().unwrap().to_string());

    let a = c.phone();
    let b = Browser::phone();
    let story = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        login_as(&b, &c.link.url(""), &sam_email, sam_password);
        for (phone, origin) in [(a, c.inst.url("")), (&b, c.link.url(""))] {
            phone.goto(&format!("{origin}/incidents/{iid}"));
            phone.find_text("h1", &title, WAIT);
            wait_for("the live record connected", WAIT, || (phone.find(".live-state").attr("data-state").as_deref() == Some("live")).then_some(()));
        }

        // 1. Acknowledge (all four actions fit the thumb bar at 390 px: none is cut off).
        b.find("button.ack");
        let bar = a.script(
            "const b = [...document.querySelectorAll('.ws-actions .btn')]; \
             return {count: b.length, right: Math.max(...b.map(e => e.getBoundingClientRect().right)), width: window.innerWidth, \
                     clipped: b.filter(e => e.scrollWidth > e.clientWidth).map(e => e.textContent + ' ' + e.scrollWidth + '/' + e.clientWidth)};",
        );
        assert!(
            bar["count"] == 4 && bar["right"].as_f64() <= bar["width"].as_f64() && bar["clipped"] == serde_json::json!([]),
            "action bar overflows: {bar}"
        );
        a.screenshot("31a-workspace-triggered");
        a.find("button.ack").click();
        a.find_text(".incident .status", "Acknowledged", WAIT);
        sees(&b, "Sam's phone shows the acknowledgement", SECOND, |b| text_of(b, ".incident .status").contains("Acknowledged"));

        // 2. Take command in two taps: the role, then the person.
        a.find("button[data-tab=roles]").click();
        a.find("button.role-slot[data-role=commander]").click();
        a.find(&format!("button.person[data-user='{rosa}']")).click();
        a.find_text("button.role-slot[data-role=commander] .holder", ADMIN_NAME, WAIT);
        sees(&b, "Sam's header names the commander", SECOND, |b| text_of(b, ".commander").contains(ADMIN_NAME));
        a.screenshot("32-workspace-roles");

        // 3. Tick the first step (Sam looks at the checklist).
        b.find("button[data-tab=checklist]").click();
        b.find(&format!(".step[data-step='{step1}'] .tick[aria-checked=false]"));
        a.find("button[data-tab=checklist]").click();
        a.find(&format!(".step[data-step='{step1}'] button.tick")).click();
        a.find(&format!(".step[data-step='{step1}'] .tick[aria-checked=true]"));
        sees(&b, "Sam's checklist shows the tick", SECOND, |b| b.try_find(&format!(".step[data-step='{step1}'] .tick[aria-checked=true]")).is_some());
        let who = text_of(&b, &format!(".step[data-step='{step1}'] .card-meta"));
        assert!(who.contains(ADMIN_NAME), "who ticked it: {who}");
        assert_eq!(text_of(&b, ".progress"), "1 of 3 done");
        assert_eq!(text_of(&b, &format!(".step[data-step='{step1}'] strong")), "error rate", "step text is Markdown");
        b.screenshot("33-workspace-checklist");

        // 4. Post an update from the action bar.
        a.find("button.post-update").click();
        a.find("#post-update button[data-status=identified]").click();
        a.find("#update-message").type_text("**Root cause:** a bad deploy. See [the dashboard](https://grafana.example/d/pay) <script>alert(1)</script>");
        assert_eq!(a.find("#update-next").prop("value"), json!("30"), "the next update is promised in 30 min unless changed");
        a.screenshot("34-workspace-post-update");
        a.find_text("#post-update button[type=submit]", "Post update", WAIT).click();
        a.find_text(".latest-update", "Root cause:", WAIT);
        sees(&b, "Sam sees the update", SECOND, |b| text_of(b, ".latest-update").contains("a bad deploy"));
        assert_eq!(text_of(&b, ".latest-update .update-status"), "Identified");
        assert_eq!(text_of(&b, ".latest-update strong"), "Root cause:");
        let link = b.find(".latest-update a");
        assert_eq!(link.attr("href").as_deref(), Some("https://grafana.example/d/pay"));
        assert!(text_of(&b, ".latest-update").contains("<script>alert(1)</script>"), "raw HTML is shown as text");
        assert_eq!(b.script_value("document.querySelectorAll('.latest-update script').length"), 0);

        // A responder request: Sam answers Join on his phone; Rosa sees it.
        let r = api.post(&format!("/api/incidents/{iid}/responders"), json!({"user_ids": [sam], "message": "Need you on the rollback"}));
        assert!(r.status == 200 || r.status == 201, "{}", r.text);
        b.find("button[data-tab=responders]").click();
        b.find_text(&format!(".responder[data-user='{sam}'] button"), "Join", WAIT).click();
        b.find(&format!(".responder[data-user='{sam}'][data-state=joined]"));
        a.find("button[data-tab=responders]").click();
        sees(a, "Rosa sees Sam joined", SECOND * 3, |a| a.try_find(&format!(".responder[data-user='{sam}'][data-state=joined]")).is_some());
        a.screenshot("35-workspace-responders");
        a.find("button.add-responders").click();
        a.find("#add-responders h2");
        a.screenshot("36-workspace-add-responders");
        a.find("#add-responders .link-btn").click();
        a.find("button[data-tab=details]").click();
        a.find("#alerts-h");
        a.screenshot("37-workspace-details");

        // 5. Sam loses his connection; three changes happen meanwhile.
        b.find("button[data-tab=timeline]").click();
        b.find(".timeline li[data-seq]");
        let before = timeline_rows(&b);
        assert!(!before.is_empty());
        let last = before.last().unwrap().0;
        {
            let _off = c.link.cut();
            wait_for("Sam's phone says the live record is lost", WAIT, || (b.find(".live-state").attr("data-state").as_deref() == Some("lost")).then_some(()));
            let note1 = "First: **payments** recovering";
            let r = api.post(&format!("/api/incidents/{iid}/notes"), json!({"body": note1}));
            assert_eq!(r.status, 201, "{}", r.text);
            let r = api.post(&format!("/api/incidents/{iid}/checklist/{step2}/tick"), json!({}));
            assert!(r.status < 300, "{}", r.text);
            let r = api.post(&format!("/api/incidents/{iid}/notes"), json!({"body": "Third: see [x](javascript:alert(1))"}));
            assert_eq!(r.status, 201, "{}", r.text);
            b.screenshot("38-workspace-offline");
        }
        // Back: the page catches up over the live record (its reconnect backs off up to 30 s).
        wait_for("Sam's phone caught up", Duration::from_secs(45), || {
            (b.find(".live-state").attr("data-state").as_deref() == Some("live") && timeline_rows(&b).len() >= before.len() + 3).then_some(())
        });
        assert!(text_of(&b, ".live-state").contains("caught up"), "{}", text_of(&b, ".live-state"));
        sees(&b, "the caught-up message goes away by itself", WAIT, |b| text_of(b, ".live-state").contains("changes appear as they happen"));
        assert_eq!(b.find(".live-state").attr("data-state").as_deref(), Some("live"));
        std::thread::sleep(Duration::from_millis(500)); // nothing more may arrive: no doubles
        let after = timeline_rows(&b);
        assert_eq!(after.len(), before.len() + 3, "exactly three new rows: {after:?}");
        assert_eq!(&after[..before.len()], &before[..], "the rows before are unchanged");
        let new: Vec<&(i64, String)> = after[before.len()..].iter().collect();
        assert_eq!(new.iter().map(|r| r.0).collect::<Vec<_>>(), vec![last + 1, last + 2, last + 3], "in order, without gaps: {new:?}");
        assert!(new[0].1.contains("First: payments recovering"), "{new:?}");
        assert!(new[1].1.starts_with("checklist.ticked"), "the tick: {new:?}");
        assert!(new[2].1.contains("Third: see [x](javascript:alert(1))"), "an unsafe link stays text: {new:?}");
        assert_eq!(b.script_value("document.querySelectorAll('.timeline a[href^=\"javascript\"]').length"), 0);
        assert_eq!(text_of(&b, &format!(".timeline li[data-seq='{}'] strong", last + 1)), "payments");

        // Highlights: star the first note, filter to it.
        b.find(&format!(".timeline li[data-seq='{}'] .hl-btn", last + 1)).click();
        b.find(&format!(".timeline li[data-seq='{}'].highlight", last + 1));
        b.find("button[data-filter=highlights]").click();
        wait_for("only the highlight", WAIT, || (timeline_rows(&b).iter().map(|r| r.0).collect::<Vec<_>>() == vec![last + 1]).then_some(()));
        b.find("button[data-filter=all]").click();
        b.find("button[data-filter=automatic]").click();
        wait_for("no people's rows under Automatic", WAIT, || (!timeline_rows(&b).iter().any(|r| r.1.contains("First: payments"))).then_some(()));
        b.find("button[data-filter=people]").click();
        b.find_text(".timeline li", "First: payments", WAIT);
        b.screenshot("39-workspace-timeline-people");
        b.find("button[data-filter=all]").click();
        b.script("window.scrollTo(0, 0)");
        b.screenshot("31b-workspace-top");
    }));
    if let Err(panic) = story {
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| b.screenshot("failure-second-phone")));
        std::panic::resume_unwind(panic);
    }
}

/// The rest of the workspace on a phone: a chat link added from the header (a button there, and
/// removable), the affected services edited in Details, whoever is on call in a schedule paged
/// from "Add responders", and a second incident merged into the first ("Merged into #N").
/// Also: a status-update reminder push shows without Acknowledge and opens the incident.
fn phone_workspace_links_services_merge(c: &Ctx) {
    let api = c.admin();
    // Uma is on call in a schedule of her own.
    let r = api.post("/api/users", json!({"email": format!("{}@example.com", unique("uma")), "name": "Uma Oncall", "role": "responder", "password": "uma's long passphrase"}));
    assert_eq!(r.status, 201, "{}", r.text);
    let uma = r.json["user"]["id"].as_str().unwrap().to_string();
    let schedule = unique("Database rota");
    let r = api.post("/api/schedules", json!({"name": schedule, "time_zone": "UTC",
        "layers": [{"name": "Week", "participants": [uma], "start": "2026-01-01T09:00:00", "turn": {"type": "weekly"}}]}));
    assert_eq!(r.status, 201, "{}", r.text);
    let schedule_id = r.json["id"].as_str().unwrap().to_string();
    let (svc, other) = (c.service(&unique("Checkout")), c.service(&unique("Search")));
    let (sid, other_id) = (svc["id"].as_str().unwrap().to_string(), other["id"].as_str().unwrap().to_string());
    let declare = |title: &str| {
        let r = api.post("/api/incidents", json!({"title": title, "severity": "SEV2", "service_id": sid}));
        assert_eq!(r.status, 201, "{}", r.text);
        let i = if r.json["incident"].is_object() { &r.json["incident"] } else { &r.json };
        (i["id"].as_str().unwrap().to_string(), i["number"].as_i64().unwrap())
    };
    let title = unique("Checkout slow");
    let (iid, number) = declare(&title);
    let dup_title = unique("Checkout errors");
    let (dup, _) = declare(&dup_title);

    let b = c.phone();
    b.goto(&c.inst.url(&format!("/incidents/{iid}")));
    b.find_text("h1", &title, WAIT);

    // 1. A link: a bad address is refused as the API says; a good one becomes a header button.
    b.find("button.links-edit").click();
    b.find("#links-sheet button[data-kind=chat]").click();
    b.find("#link-url").type_text("slack://not-a-web-address");
    b.find_text("#links-sheet button[type=submit]", "Add link", WAIT).click();
    let err = b.find_text("#links-sheet .error-note", "url", WAIT).text();
    assert!(api.get(&format!("/api/incidents/{iid}")).json["links"].as_array().is_some_and(Vec::is_empty), "refused: nothing added ({err})");
    b.script("document.querySelector('#link-url').value = ''");
    b.find("#link-url").type_text("https://chat.example/c/checkout");
    b.find("#link-label").type_text("#inc-checkout");
    b.screenshot("40-workspace-add-link");
    b.find("#links-sheet button[type=submit]").click();
    let link = b.find_text(".ws-links a.link-btn-chat", "#inc-checkout", WAIT);
    assert_eq!(link.attr("href").as_deref(), Some("https://chat.example/c/checkout"));
    assert_eq!(link.attr("rel").as_deref(), Some("noopener noreferrer"));
    // A second link, then removed again from the sheet.
    let r = api.post(&format!("/api/incidents/{iid}/links"), json!({"kind": "video", "url": "https://meet.example/x"}));
    assert!(r.status < 300, "{}", r.text);
    b.find_text(".ws-links a.link-btn-video", "Video call", WAIT);
    b.find("button.links-edit").click();
    b.find("#links-sheet button[aria-label='Remove link Video call']").click();
    sees(b, "the video link is gone", WAIT, |b| b.try_find(".ws-links a.link-btn-video").is_none());
    assert!(b.try_find(".ws-links a.link-btn-chat").is_some(), "the chat link stays");
    b.find("#links-sheet .link-btn:not(.danger)").click();

    // 2. Affected services: add Search to Checkout (which stays, and cannot be removed).
    b.find("button[data-tab=details]").click();
    b.find("button.edit-services").click();
    b.find(&format!("button.person[data-service='{sid}'][aria-pressed=true][disabled]"));
    b.find(&format!("button.person[data-service='{other_id}'][aria-pressed=false]")).click();
    b.find(&format!("button.person[data-service='{other_id}'][aria-pressed=true]"));
    b.screenshot("41-workspace-services");
    b.find("button.save-services").click();
    sees(b, "Details lists both services", WAIT, |b| {
        let t = text_of(b, "dd.services");
        t.contains(svc["name"].as_str().unwrap()) && t.contains(other["name"].as_str().unwrap())
    });
    let services = api.get(&format!("/api/incidents/{iid}")).json["services"].clone();
    assert_eq!(services.as_array().map(Vec::len), Some(2), "{services}");

    // 3. Page whoever is on call in the schedule: Uma shows as requested.
    b.find("button.add-responders").click();
    b.find("#add-responders button[data-by=schedule]").click();
    b.find(&format!("#responder-schedule option[value='{schedule_id}']"));
    b.script(&format!(
        "const s = document.querySelector('#responder-schedule'); s.value = {v}; s.dispatchEvent(new Event('change', {{bubbles: true}}));",
        v = json!(schedule_id)
    ));
    b.screenshot("42-workspace-page-schedule");
    b.find_text("#add-responders button[type=submit]", "Page who is on call", WAIT).click();
    b.find(&format!(".responder[data-user='{uma}'][data-state=requested]"));
    assert!(text_of(b, &format!(".responder[data-user='{uma}']")).contains("Uma Oncall"));
    b.screenshot("43-workspace-responders-schedule");

    // 4. Merge the second incident into the first, from the second's Details tab.
    b.goto(&c.inst.url(&format!("/incidents/{dup}")));
    b.find_text("h1", &dup_title, WAIT);
    b.find("button[data-tab=details]").click();
    b.find("button.merge-start").click();
    assert!(b.find("button.merge-confirm").attr("disabled").is_some(), "nothing to merge into before picking");
    assert!(b.try_find(&format!("button.person[data-incident='{dup}']")).is_none(), "not into itself");
    b.find(&format!("button.person[data-incident='{iid}']")).click();
    b.find_text("button.merge-confirm", &format!("Merge into #{number}"), WAIT);
    b.screenshot("44-workspace-merge");
    b.find("button.merge-confirm").click();
    let note = b.find_text(".ws-head .notice", &format!("Merged into #{number}"), WAIT);
    assert_eq!(b.find(".ws-head .notice a").attr("href").as_deref(), Some(format!("/incidents/{iid}").as_str()), "{}", note.text());
    b.find_text(".incident .status", "Resolved", WAIT);
    assert!(b.try_find("button.merge-start").is_none(), "a merged incident offers no merge");
    b.script("window.scrollTo(0, 0)");
    b.screenshot("45-workspace-merged");
    b.find(".ws-head .notice a").click();
    b.find_text("h1", &title, WAIT);

    // 5. A status-update reminder push: not a page (no Acknowledge); its button opens the incident.
    wait_controlled(b);
    b.cdp("Browser.grantPermissions", json!({"origin": c.inst.url(""), "permissions": ["notifications"]}));
    let payload = json!({"type": "update_due", "title": format!("SEV2 #{number}: status update overdue"), "body": "The next status update was due at 10:00 UTC.",
        "tag": format!("update-due-{iid}"), "incident_id": iid, "number": number, "severity": "SEV2", "renotify": false});
    let shown = sw_message(b, &json!({"type": "tocsin-push", "data": payload.to_string()}));
    assert_eq!(shown["ok"], true, "{shown}");
    let notes = b.script_async(&format!(
        "const reg = await navigator.serviceWorker.ready;
         return (await reg.getNotifications({{tag: {tag}}})).map((n) => ({{title: n.title, requireInteraction: n.requireInteraction,
           actions: n.actions.map((a) => a.action + ':' + a.title), url: n.data.url}}));",
        tag = json!(format!("update-due-{iid}"))
    ));
    assert_eq!(notes[0]["title"], payload["title"], "{notes}");
    assert_eq!(notes[0]["actions"], json!(["open:Post update"]), "{notes}");
    assert_eq!(notes[0]["requireInteraction"], false, "{notes}");
    assert_eq!(notes[0]["url"], format!("/incidents/{iid}"), "without a url it opens the incident: {notes}");
    b.goto(&c.inst.url("/"));
    b.find("nav.tabbar");
    // Its button, as a tap would run it (this window is the one it navigates: no answer awaited).
    b.script(&format!(
        "navigator.serviceWorker.controller.postMessage({{type: 'tocsin-notification-action', action: 'open', payload: {p}}})",
        p = json!({"type": "update_due", "incident_id": iid, "url": notes[0]["url"]})
    ));
    b.find_text("h1", &title, WAIT);
    assert_eq!(b.current_path(), format!("/incidents/{iid}"));
}
