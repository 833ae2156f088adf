//! Blameless postmortems, end to end against wrangler dev: the lifecycle (create from a running
//! incident, autosave-style saves with blameless hints in the answer, the 409 edit conflict
//! between two editors that never overwrites, review with comments, publishing by the commander
//! only), the timeline filled from the record (highlights first, the rest on demand, absolute
//! times in the organisation's time zone and T+ from the start of impact as the vendor reported
//! it), the Markdown and print-ready HTML exports (everything escaped, no scripts), publishing the
//! customer-facing text to the public status page (Statuspage `postmortem` status and
//! `postmortem_body`, nothing private), related incidents in one postmortem, and the editor in
//! headless Chromium at 390×844.
//!
//! Each test makes its own people, services and incidents.

use serde_json::{json, Value};
use std::sync::OnceLock;
use std::time::Duration;
use tocsin_tests::browser::Browser;
use tocsin_tests::http::Person;
use tocsin_tests::{ms_rfc3339, now_ms, rfc3339_ms, unique, wait_for, Api, Instance, Reply};

const WAIT: Duration = Duration::from_secs(15);
const EMAIL: &str = "admin@postmortems.example.com";
const PASSWORD: &str = "postmortems password";
const ZONE: &str = "America/New_York";

struct Ctx {
    inst: Instance,
    admin: OnceLock<Api>,
}

impl Ctx {
    /// The admin, with the status page's time zone (the organisation's) set once.
    fn admin(&self) -> &Api {
        self.admin.get_or_init(|| {
            let api = Api::setup(&self.inst.base, "Acme", EMAIL, PASSWORD, "Admin");
            let r = api.send("PUT", "/api/status/page", Some(json!({"name": "Acme status", "time_zone": ZONE}).to_string().into_bytes()), &[]);
            assert_eq!(r.status, 200, "{}", r.text);
            api
        })
    }

    fn person(&self, first: &str, role: &str) -> Person {
        Person::add(self.admin(), &self.inst.base, first, role)
    }

    /// A new service's integration key.
    fn service_key(&self) -> String {
        let r = self.admin().post("/api/services", json!({"name": unique("Service")}));
        assert_eq!(r.status, 201, "{}", r.text);
        r.json["integration_key"].as_str().unwrap().to_string()
    }

    /// An incident opened by a PagerDuty event whose source says it started `ago_ms` before now.
    fn alert_incident(&self, summary: &str, ago_ms: i64) -> String {
        let ts = ms_rfc3339(now_ms() - ago_ms);
        let body = json!({"routing_key": self.service_key(), "event_action": "trigger", "dedup_key": unique("pm"),
            "payload": {"summary": summary, "source": "checkout-1", "severity": "critical", "timestamp": ts}});
        let r = Api::new(&self.inst.base).post("/v2/enqueue", body);
        assert_eq!(r.status, 202, "{}", r.text);
        let dedup = r.json["dedup_key"].as_str().unwrap().to_string();
        wait_for("the incident", WAIT, || {
            let rows = self.inst.d1(&format!("SELECT incident_id FROM alerts WHERE dedup_key = '{dedup}'"));
            rows.first().and_then(|r| r["incident_id"].as_str().map(str::to_string))
        })
    }

    fn declare(&self, title: &str) -> String {
        let r = self.admin().post("/api/incidents", json!({"title": title, "severity": "SEV2"}));
        assert_eq!(r.status, 201, "{}", r.text);
        r.json["incident"]["id"].as_str().unwrap().to_string()
    }

    fn put(&self, api: &Api, path: &str, body: Value) -> Reply {
        api.send("PUT", path, Some(body.to_string().into_bytes()), &[])
    }

    fn pm(&self, incident: &str) -> Value {
        let r = self.admin().get(&format!("/api/incidents/{incident}/postmortem"));
        assert_eq!(r.status, 200, "{}", r.text);
        r.json
    }

    fn kinds(&self, incident: &str) -> Vec<String> {
        let r = self.admin().get(&format!("/api/incidents/{incident}"));
        r.json["timeline"].as_array().unwrap().iter().map(|t| t["kind"].as_str().unwrap().to_string()).collect()
    }
}

/// `YYYY-MM-DD HH:MM` of `ms` in `zone`, by the system's `date` (not chrono-tz).
fn local(ms: i64, zone: &str) -> String {
    let out = std::process::Command::new("date").env("TZ", zone).args(["-d", &format!("@{}", ms.div_euclid(1000)), "+%Y-%m-%d %H:%M"]).output().expect("date");
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// `T+h:mm` (whole minutes towards zero; `T+1d hh:mm` from a day).
fn rel(delta_ms: i64) -> String {
    let sign = if delta_ms < 0 { '-' } else { '+' };
    let m = delta_ms.abs() / 60_000;
    if m >= 1_440 {
        format!("T{sign}{}d {:02}:{:02}", m / 1_440, m % 1_440 / 60, m % 60)
    } else {
        format!("T{sign}{}:{:02}", m / 60, m % 60)
    }
}

fn section<'a>(pm: &'a Value, key: &str) -> &'a Value {
    pm["sections"].as_array().unwrap().iter().find(|s| s["key"] == key).unwrap_or_else(|| panic!("no section {key}: {pm}"))
}

fn main() {
    let ctx = Ctx { inst: Instance::start("postmortems"), admin: OnceLock::new() };
    let tests: &[(&str, fn(&Ctx))] = &[
        ("lifecycle_hints_conflicts_review_and_publishing", lifecycle),
        ("the_timeline_is_filled_from_the_record", timeline_filled),
        ("exports_escape_everything", exports),
        ("publishing_to_the_status_page_shows_only_the_public_text", public_publish),
        ("related_incidents_share_one_postmortem", related),
        ("write_and_publish_in_the_browser", browser),
    ];
    tocsin_tests::run_suite(ctx, tests, |c| eprintln!("--- wrangler log ---\n{}", c.inst.log()))
}

fn lifecycle(c: &Ctx) {
    let ann = c.person("Ann", "responder");
    let bob = c.person("Bob", "responder");
    let olive = c.person("Olive", "observer");
    let incident = c.declare(&unique("Checkout errors"));
    let path = format!("/api/incidents/{incident}/postmortem");
    assert_eq!(ann.api.get(&path).status, 404, "none yet");
    assert_eq!(olive.api.post(&path, json!({})).status, 403, "observers read only");
    // Drafting while the incident still runs is allowed.
    let r = ann.api.post(&path, json!({}));
    assert_eq!(r.status, 201, "{}", r.text);
    let pm = r.json;
    assert_eq!(pm["status"], "draft");
    assert_eq!(pm["template"], "Blameless postmortem");
    let keys: Vec<&str> = pm["sections"].as_array().unwrap().iter().map(|s| s["key"].as_str().unwrap()).collect();
    assert_eq!(keys, ["summary", "impact", "timeline", "contributing_factors", "what_went_well", "what_was_hard", "where_we_got_lucky", "action_items"]);
    assert!(section(&pm, "impact")["body"].as_str().unwrap().contains("still open"));
    assert!(pm["title"].as_str().unwrap().starts_with("Postmortem: #"));
    assert_eq!(ann.api.post(&path, json!({})).status, 409, "one per incident");
    assert!(c.kinds(&incident).contains(&"postmortem.created".to_string()));
    // Autosave-style: Ann saves the summary three times as she types; each answer has the hints.
    let save = |who: &Person, key: &str, body: &str, version: i64| c.put(&who.api, &format!("{path}/sections/{key}"), json!({"body": body, "version": version}));
    let mut v = 1;
    for text in ["It was", "It was human error", "It was human error: Bob should have checked the deploy."] {
        let r = save(&ann, "summary", text, v);
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.json["section"]["version"], v + 1);
        v += 1;
    }
    let r = save(&ann, "summary", "It was Human Error: Bob should have checked the deploy.", v);
    let phrases: Vec<&str> = r.json["hints"].as_array().unwrap().iter().map(|h| h["phrase"].as_str().unwrap()).collect();
    assert_eq!(phrases, ["Human Error", "should have"], "{}", r.text);
    let h = &r.json["hints"][0];
    assert_eq!((h["section"].as_str(), h["start"].as_i64(), h["end"].as_i64(), h["line"].as_i64()), (Some("summary"), Some(7), Some(18), Some(1)));
    assert!(!h["suggestion"].as_str().unwrap().is_empty());
    v += 1;
    // Bob opened the document at version 1 and saves: 409 with Ann's text, nothing overwritten.
    let r = save(&bob, "summary", "Bob's summary", 1);
    assert_eq!(r.status, 409, "{}", r.text);
    assert_eq!(r.json["error"]["code"], "conflict");
    assert_eq!(r.json["current"]["body"], "It was Human Error: Bob should have checked the deploy.");
    assert_eq!(r.json["current"]["version"], v);
    assert!(r.json["current"]["updated_by"]["name"].as_str().unwrap().starts_with("Ann"));
    assert_eq!(section(&c.pm(&incident), "summary")["body"], "It was Human Error: Bob should have checked the deploy.");
    // Another section is his to write at once (per-section versions), and with the newer version he may save.
    assert_eq!(save(&bob, "what_went_well", "The alert fired within a minute.", 1).status, 200);
    let r = save(&bob, "summary", "The deploy tool let a bad config through; the alert fired 4 minutes later.", v);
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["hints"], json!([]), "blameless wording: no hints");
    assert_eq!(save(&olive, "summary", "x", v + 1).status, 403);
    assert_eq!(save(&ann, "nope", "x", 1).status, 404);
    // The customer-facing text has its own version.
    let r = c.put(&ann.api, &format!("{path}/public"), json!({"text": "We obviously broke checkout.", "version": 1}));
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["hints"][0]["phrase"], "obviously");
    let r = c.put(&bob.api, &format!("{path}/public"), json!({"text": "Other words", "version": 1}));
    assert_eq!((r.status, r.json["public_text"].as_str()), (409, Some("We obviously broke checkout.")), "{}", r.text);
    // Review: skipping it is refused; comments on a section.
    let status = |who: &Person, s: &str| who.api.post(&format!("{path}/status"), json!({"status": s}));
    assert_eq!(status(&ann, "published").status, 409, "draft → published skips review");
    let r = status(&ann, "in_review");
    assert_eq!((r.status, r.json["status"].as_str()), (200, Some("in_review")), "{}", r.text);
    let r = bob.api.post(&format!("{path}/comments"), json!({"section": "summary", "body": "Which config?"}));
    assert_eq!(r.status, 201, "{}", r.text);
    let comment = r.json["comment"]["id"].as_str().unwrap().to_string();
    assert_eq!(bob.api.post(&format!("{path}/comments"), json!({"section": "nope", "body": "x"})).field(), "section");
    assert_eq!(bob.api.post(&format!("{path}/comments"), json!({"section": "summary", "body": "  "})).field(), "body");
    assert_eq!(olive.api.post(&format!("{path}/comments"), json!({"section": "summary", "body": "x"})).status, 403);
    let r = ann.api.post(&format!("{path}/comments/{comment}/resolve"), json!({}));
    assert_eq!((r.status, &r.json["comment"]["resolved"]), (200, &json!(true)), "{}", r.text);
    let pm = c.pm(&incident);
    assert_eq!(pm["comments"][0]["body"], "Which config?");
    assert!(pm["comments"][0]["resolved_by"]["name"].as_str().unwrap().starts_with("Ann"));
    // Publishing: not for a responder who is not the commander; the commander may.
    let r = status(&ann, "published");
    assert_eq!(r.status, 403, "{}", r.text);
    assert_eq!(ann.api.get(&path).json["can_publish"], false);
    assert_eq!(c.pm(&incident)["can_publish"], true, "admins may");
    let r = c.put(c.admin(), &format!("/api/incidents/{incident}/roles/commander"), json!({"user_id": ann.id}));
    assert!(r.status < 300, "{}", r.text);
    let r = ann.api.get(&path);
    assert_eq!(r.json["can_publish"], true);
    let r = status(&ann, "published");
    assert_eq!((r.status, r.json["status"].as_str()), (200, Some("published")), "{}", r.text);
    assert!(r.json["published_at"].is_string());
    assert_eq!(status(&ann, "published").status, 200, "the same status again changes nothing");
    let kinds = c.kinds(&incident);
    for k in ["postmortem.created", "postmortem.in_review", "postmortem.published"] {
        assert_eq!(kinds.iter().filter(|x| *x == k).count(), 1, "{k} in {kinds:?}");
    }
    // Published: read-only until reopened.
    let sv = section(&c.pm(&incident), "summary")["version"].as_i64().unwrap();
    assert_eq!(save(&ann, "summary", "late edit", sv).status, 409);
    assert_eq!(status(&bob, "draft").status, 403, "reopening is the owner's");
    assert_eq!(status(&ann, "draft").status, 200);
    assert_eq!(save(&ann, "summary", "late edit", sv).status, 200);
    assert!(c.kinds(&incident).contains(&"postmortem.reopened".to_string()));
    // Observers read everything.
    assert_eq!(olive.api.get(&path).status, 200);
    assert_eq!(olive.api.get(&path).json["can_edit"], false);
}

fn timeline_filled(c: &Ctx) {
    let ann = c.person("Ann", "responder");
    // Impact started 10 minutes before the alert reached Tocsin (the vendor's own timestamp).
    let incident = c.alert_incident(&unique("Checkout latency"), 10 * 60_000);
    let note = |text: &str| {
        let r = ann.api.post(&format!("/api/incidents/{incident}/notes"), json!({"body": text}));
        assert_eq!(r.status, 201, "{}", r.text);
        r.json["seq"].as_i64().unwrap()
    };
    let first = note("Looked at the dashboards");
    let rolled = note("Rolled back deploy 42");
    for seq in [rolled, first] {
        let r = ann.api.send("PUT", &format!("/api/incidents/{incident}/highlights/{seq}"), Some(b"{}".to_vec()), &[]);
        assert!(r.status < 300, "{}", r.text);
    }
    note("Coffee");
    let r = ann.api.post(&format!("/api/incidents/{incident}/acknowledge"), json!({}));
    assert_eq!(r.status, 200, "{}", r.text);
    let r = ann.api.post(&format!("/api/incidents/{incident}/resolve"), json!({}));
    assert_eq!(r.status, 200, "{}", r.text);
    let r = ann.api.post(&format!("/api/incidents/{incident}/postmortem"), json!({}));
    assert_eq!(r.status, 201, "{}", r.text);
    let pm = r.json;
    let kt = &c.inst.d1(&format!("SELECT impact_started_at, detected_at, resolved_at FROM incidents WHERE id = '{incident}'"))[0];
    let t0 = kt["impact_started_at"].as_i64().expect("impact start from the alert's timestamp");
    let detected = kt["detected_at"].as_i64().unwrap();
    assert!((detected - t0 - 600_000).abs() < 60_000, "the vendor's timestamp is the start: {kt}");
    let tl = &pm["timeline"];
    assert_eq!(tl["time_zone"], ZONE);
    assert_eq!(rfc3339_ms(tl["t0"].as_str().unwrap()) / 1000, t0 / 1000);
    let key = |k: &str| tl["key_times"].as_array().unwrap().iter().find(|x| x["key"] == k).cloned().unwrap();
    assert_eq!(key("impact_started")["relative"], "T+0:00");
    assert_eq!(key("detected")["relative"], rel(detected - t0));
    assert_eq!(key("detected")["absolute"], local(detected, ZONE), "the organisation's time zone");
    assert!(key("acknowledged")["relative"].is_string() && key("resolved")["relative"].is_string());
    // Highlights first, each with its own times; the rest only on demand.
    let hl: Vec<&str> = tl["highlights"].as_array().unwrap().iter().map(|h| h["message"].as_str().unwrap()).collect();
    assert_eq!(hl.len(), 2, "{tl}");
    assert!(hl[0].contains("Looked at the dashboards") && hl[1].contains("Rolled back deploy 42"), "{hl:?}");
    let h0 = &tl["highlights"][0];
    let at = rfc3339_ms(h0["at"].as_str().unwrap());
    assert_eq!(h0["absolute"], local(at, ZONE));
    assert_eq!(h0["relative"], rel(at - t0));
    assert!(tl["rest"].is_null(), "the rest only with ?timeline=all");
    let rest_count = tl["rest_count"].as_u64().unwrap();
    assert!(rest_count >= 3, "{tl}");
    let all = ann.api.get(&format!("/api/incidents/{incident}/postmortem?timeline=all"));
    let rest = all.json["timeline"]["rest"].as_array().unwrap();
    assert_eq!(rest.len() as u64, rest_count);
    assert!(rest.iter().any(|r| r["message"].as_str().unwrap().contains("Coffee")));
    assert!(rest.iter().all(|r| !r["kind"].as_str().unwrap().starts_with("postmortem.")), "the postmortem's own rows are not its timeline");
    // The stored timeline section: key timestamps, then the highlights in order, in the zone.
    let body = section(&pm, "timeline")["body"].as_str().unwrap().to_string();
    assert!(body.starts_with(&format!("Times in {} (E", ZONE.replace('_', "\\_"))), "the zone, Markdown-escaped: {body}");
    assert!(body.contains(&format!("- Detected: **{}** ({})", local(detected, ZONE), rel(detected - t0))), "{body}");
    let highlights = body.split("**Highlights**").nth(1).expect("a highlights part");
    let lines: Vec<&str> = highlights.trim().lines().collect();
    assert_eq!(lines.len(), 2, "{body}");
    assert!(lines[0].starts_with(&format!("- **{}** ({})", local(at, ZONE), rel(at - t0))), "{body}");
    assert!(lines[1].contains("Rolled back deploy 42") && !body.contains("Coffee"), "{body}");
    let impact = section(&pm, "impact")["body"].as_str().unwrap();
    assert!(impact.contains("**Duration:**") && impact.contains("**Customer-facing:** no"), "{impact}");
    assert!(!pm["timeline"]["suggested"].as_str().unwrap().is_empty());
}

fn exports(c: &Ctx) {
    let ann = c.person("Ann", "responder");
    let incident = c.declare("Payments <script>alert('title')</script>");
    let r = ann.api.post(&format!("/api/incidents/{incident}/notes"), json!({"body": "<script>alert('note')</script> restarted"}));
    assert_eq!(r.status, 201, "{}", r.text);
    let seq = r.json["seq"].as_i64().unwrap();
    ann.api.send("PUT", &format!("/api/incidents/{incident}/highlights/{seq}"), Some(b"{}".to_vec()), &[]);
    let path = format!("/api/incidents/{incident}/postmortem");
    assert_eq!(ann.api.post(&path, json!({})).status, 201);
    let body = "We **rolled back**.\n\n<script>alert('section')</script>\n\n<img src=x onerror=alert(1)>\n\n[bad](javascript:alert(1)) [runbook](https://runbooks.example.com/pay)";
    assert_eq!(c.put(&ann.api, &format!("{path}/sections/summary"), json!({"body": body, "version": 1})).status, 200);
    let md = ann.api.get(&format!("{path}.md"));
    assert_eq!(md.status, 200, "{}", md.text);
    assert!(md.header("content-type").unwrap().starts_with("text/markdown"), "{:?}", md.header("content-type"));
    assert!(md.text.starts_with("# Postmortem: #"), "{}", md.text);
    assert!(md.text.contains("## Summary\n\nWe **rolled back**."), "{}", md.text);
    assert!(md.text.contains("## Timeline") && md.text.contains("restarted"));
    assert!(!md.text.contains("## Full record"));
    let md_all = ann.api.get(&format!("{path}.md?timeline=all"));
    assert!(md_all.text.contains("## Full record"), "{}", md_all.text);
    let html = ann.api.get(&format!("{path}.html?timeline=all"));
    assert_eq!(html.status, 200, "{}", html.text);
    assert!(html.header("content-type").unwrap().starts_with("text/html"));
    let csp = html.header("content-security-policy").expect("a CSP").to_string();
    assert!(csp.contains("default-src 'none'") && csp.contains("style-src 'sha256-") && !csp.contains("script-src") && !csp.contains("unsafe"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    let page = &html.text;
    assert!(!page.to_lowercase().contains("<script"), "no script element from any value:\n{page}");
    assert!(!page.contains("<img") && !page.contains("href=\"javascript"), "{page}");
    assert!(page.contains("&lt;script&gt;alert(&#39;section&#39;)&lt;/script&gt;"), "{page}");
    assert!(page.contains("&lt;script&gt;alert(&#39;title&#39;)&lt;/script&gt;"), "the incident's title, escaped");
    assert!(page.contains("&lt;script&gt;alert(&#39;note&#39;)&lt;/script&gt; restarted"), "the note, escaped");
    assert!(page.contains("<strong>rolled back</strong>") && page.contains("href=\"https://runbooks.example.com/pay\""));
    assert!(page.contains("@media print"));
    let olive = c.person("Olive", "observer");
    assert_eq!(olive.api.get(&format!("{path}.html")).status, 200, "observers read exports");
    assert_eq!(Api::new(&c.inst.base).get(&format!("{path}.md")).status, 401);
}

fn public_publish(c: &Ctx) {
    let ann = c.person("Ann", "responder");
    let incident = c.declare(&unique("Internal-only title"));
    let path = format!("/api/incidents/{incident}/postmortem");
    let r = ann.api.post(&format!("/api/incidents/{incident}/updates"), json!({"status": "investigating", "message": "Checkout is slow for some customers.", "publish": true}));
    assert_eq!(r.status, 201, "{}", r.text);
    let public_id = r.json["public_incident_id"].as_str().map(str::to_string).unwrap_or_default();
    assert_eq!(ann.api.post(&path, json!({})).status, 201);
    let secret = unique("PRIVATE-db-password-rotation");
    assert_eq!(c.put(&ann.api, &format!("{path}/sections/contributing_factors"), json!({"body": secret, "version": 1})).status, 200);
    let public_text = "Between 14:02 and 14:40 **checkout** was slow. We changed the deploy checks.";
    assert_eq!(c.put(&ann.api, &format!("{path}/public"), json!({"text": public_text, "version": 1})).status, 200);
    let publish = || c.admin().post(&format!("{path}/publish-public"), json!({}));
    assert_eq!(publish().status, 409, "the postmortem itself is not published yet");
    c.admin().post(&format!("{path}/status"), json!({"status": "in_review"}));
    assert_eq!(c.admin().post(&format!("{path}/status"), json!({"status": "published"})).status, 200);
    let r = publish();
    assert_eq!(r.status, 409, "the incident is still open: {}", r.text);
    assert_eq!(c.admin().post(&format!("/api/incidents/{incident}/resolve"), json!({})).status, 200);
    assert_eq!(ann.api.post(&format!("{path}/publish-public"), json!({})).status, 403, "not the commander");
    let r = publish();
    assert_eq!(r.status, 200, "{}", r.text);
    let pid = r.json["public_incident_id"].as_str().unwrap().to_string();
    if !public_id.is_empty() {
        assert_eq!(pid, public_id);
    }
    assert!(r.json["url"].as_str().unwrap().ends_with(&format!("/status/incidents/{pid}")));
    let doc = Api::new(&c.inst.base).get("/api/v2/incidents.json");
    assert_eq!(doc.status, 200);
    let inc = doc.json["incidents"].as_array().unwrap().iter().find(|i| i["id"] == pid).cloned().expect("the public incident");
    assert_eq!(inc["status"], "postmortem");
    assert_eq!(inc["postmortem_body"], public_text);
    assert!(inc["postmortem_published_at"].is_string(), "{inc}");
    assert!(inc["incident_updates"].as_array().unwrap().iter().any(|u| u["status"] == "postmortem"));
    assert!(!doc.text.contains(&secret) && !doc.text.contains("Internal-only title"), "nothing private on the public page");
    let page = Api::new(&c.inst.base).get(&format!("/status/incidents/{pid}"));
    assert!(page.text.contains("Postmortem</h2>") && page.text.contains("<strong>checkout</strong>"), "{}", page.text);
    assert!(!page.text.contains(&secret));
    let atom = Api::new(&c.inst.base).get("/history.atom");
    assert!(atom.text.contains("postmortem"), "the feeds announce it");
    let unresolved = Api::new(&c.inst.base).get("/api/v2/incidents/unresolved.json");
    assert!(!unresolved.text.contains(&pid));
    assert!(c.kinds(&incident).contains(&"postmortem.public_published".to_string()));
    // Publishing again replaces the body and keeps the first publication time.
    let first_at = inc["postmortem_published_at"].clone();
    c.admin().post(&format!("{path}/status"), json!({"status": "draft"}));
    let v = c.pm(&incident)["public_version"].as_i64().unwrap();
    assert_eq!(c.put(c.admin(), &format!("{path}/public"), json!({"text": "Updated words.", "version": v})).status, 200);
    c.admin().post(&format!("{path}/status"), json!({"status": "in_review"}));
    c.admin().post(&format!("{path}/status"), json!({"status": "published"}));
    assert_eq!(publish().status, 200);
    let doc = Api::new(&c.inst.base).get("/api/v2/incidents.json");
    let inc = doc.json["incidents"].as_array().unwrap().iter().find(|i| i["id"] == pid).cloned().unwrap();
    assert_eq!((inc["postmortem_body"].as_str(), &inc["postmortem_published_at"]), (Some("Updated words."), &first_at));
    assert_eq!(inc["incident_updates"].as_array().unwrap().iter().filter(|u| u["status"] == "postmortem").count(), 1, "announced once");
    // An incident never on the status page cannot be published there.
    let quiet = c.declare(&unique("Quiet"));
    let qp = format!("/api/incidents/{quiet}/postmortem");
    c.admin().post(&qp, json!({}));
    c.put(c.admin(), &format!("{qp}/public"), json!({"text": "x", "version": 1}));
    c.admin().post(&format!("{qp}/status"), json!({"status": "in_review"}));
    c.admin().post(&format!("{qp}/status"), json!({"status": "published"}));
    c.admin().post(&format!("/api/incidents/{quiet}/resolve"), json!({}));
    let r = c.admin().post(&format!("{qp}/publish-public"), json!({}));
    assert_eq!(r.status, 409, "{}", r.text);
}

fn related(c: &Ctx) {
    let a = c.declare(&unique("Checkout"));
    let b = c.declare(&unique("Payments"));
    let r = c.admin().post(&format!("/api/incidents/{a}/postmortem"), json!({"related_incident_ids": ["nope"]}));
    assert_eq!((r.status, r.field()), (400, "related_incident_ids[0]"), "{}", r.text);
    let r = c.admin().post(&format!("/api/incidents/{a}/postmortem"), json!({"related_incident_ids": [a]}));
    assert_eq!((r.status, r.field()), (400, "related_incident_ids[0]"));
    let r = c.admin().post(&format!("/api/incidents/{a}/postmortem"), json!({"related_incident_ids": [b], "title": "Checkout and payments, Tuesday"}));
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json["incidents"].as_array().unwrap().len(), 2);
    assert_eq!(r.json["incidents"][0]["id"], a.as_str(), "the primary first");
    let via_b = c.pm(&b);
    assert_eq!(via_b["id"], r.json["id"], "found through either incident");
    assert_eq!(via_b["title"], "Checkout and payments, Tuesday");
    assert!(section(&via_b, "impact")["body"].as_str().unwrap().contains("#"), "both incidents listed");
    let r = c.admin().post(&format!("/api/incidents/{b}/postmortem"), json!({}));
    assert_eq!(r.status, 409, "{}", r.text);
    assert_eq!(c.admin().post(&format!("/api/incidents/{a}/postmortem"), json!({"title": ""})).field(), "title");
}

fn browser(c: &Ctx) {
    c.admin();
    let incident = c.declare(&unique("Search outage"));
    let b = Browser::phone();
    let origin = c.inst.base.trim_end_matches('/');
    b.goto(&format!("{origin}/"));
    b.find("#email").type_text(EMAIL);
    b.find("#password").type_text(PASSWORD);
    b.find("button[type=submit]").click();
    b.find("nav.tabbar");
    // From the incident page.
    b.goto(&format!("{origin}/incidents/{incident}"));
    b.find_text("a.postmortem-link", "Postmortem", WAIT).click();
    wait_for("the postmortem page", WAIT, || (b.current_path() == format!("/incidents/{incident}/postmortem")).then_some(()));
    b.find_text("button.pm-create", "Start the postmortem", WAIT).click();
    b.find_text("h1", "Postmortem", WAIT);
    let area = "textarea#pm-summary";
    wait_for("the summary editor", WAIT, || b.try_find(area).map(|_| ()));
    b.find(area).click();
    b.find(area).type_text("The search cluster ran out of disk; it was human error.");
    // Autosave after a pause: the API has the text, and the hint shows under the section.
    wait_for("the autosave", WAIT, || (section(&c.pm(&incident), "summary")["body"].as_str().unwrap().contains("human error")).then_some(()));
    b.find_text("section#pm-section-summary .pm-hints li", "human error", WAIT);
    b.screenshot("postmortem-01-hint");
    b.find("section#pm-section-summary button.pm-preview-toggle").click();
    b.find_text("section#pm-section-summary .pm-preview", "The search cluster ran out of disk", WAIT);
    b.screenshot("postmortem-02-preview");
    // Someone else saves meanwhile: the page says so and offers their text.
    let v = section(&c.pm(&incident), "summary")["version"].as_i64().unwrap();
    let r = c.put(c.admin(), &format!("/api/incidents/{incident}/postmortem/sections/summary"), json!({"body": "Admin's words", "version": v}));
    assert_eq!(r.status, 200, "{}", r.text);
    b.find("section#pm-section-summary button.pm-preview-toggle").click();
    b.find(area).click();
    b.find(area).type_text(" More.");
    b.find_text("section#pm-section-summary .pm-conflict", "Someone else saved", WAIT);
    b.screenshot("postmortem-03-conflict");
    assert_eq!(section(&c.pm(&incident), "summary")["body"], "Admin's words", "never silently overwritten");
    b.find("section#pm-section-summary .pm-conflict button.pm-take-theirs").click();
    wait_for("their text in the editor", WAIT, || (b.find(area).prop("value") == json!("Admin's words")).then_some(()));
    // Review and publish (the admin may).
    b.find("button.pm-status-in_review").click();
    wait_for("in review", WAIT, || (c.pm(&incident)["status"] == "in_review").then_some(()));
    b.find_text("button.pm-status-published", "Publish", WAIT).click();
    wait_for("published", WAIT, || (c.pm(&incident)["status"] == "published").then_some(()));
    b.find_text(".pm-status-badge", "Published", WAIT);
    b.script("window.scrollTo(0, 0)");
    b.screenshot("postmortem-04-published");
}
