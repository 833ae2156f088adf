//! The public status page end to end: publishing from an internal incident, every Statuspage
//! JSON document, Atom/RSS read by a real feed parser (feedparser), nothing private leaking,
//! HTML escaped, maintenance moved by the cron trigger, caching, and the page in a phone
//! browser with JavaScript off.

use serde_json::{json, Value};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;
use tocsin_tests::browser::Browser;
use tocsin_tests::{Api, Instance};

/// Planted in every private field; must never appear on a public endpoint.
const MARKER: &str = "PRIVATE-7f3a9c";

struct Ctx {
    inst: Instance,
    admin: OnceLock<Api>,
    world: OnceLock<World>,
}

/// What the first test publishes, for the others to look at.
#[derive(Clone)]
struct World {
    api_component: String,
    public_incident: String,
}

const PUBLIC_PATHS: &[&str] = &[
    "/status",
    "/status/history",
    "/history.atom",
    "/history.rss",
    "/api/v2/summary.json",
    "/api/v2/status.json",
    "/api/v2/components.json",
    "/api/v2/incidents.json",
    "/api/v2/incidents/unresolved.json",
    "/api/v2/scheduled-maintenances.json",
    "/api/v2/scheduled-maintenances/upcoming.json",
    "/api/v2/scheduled-maintenances/active.json",
];

impl Ctx {
    fn admin(&self) -> &Api {
        self.admin.get_or_init(|| Api::setup(&self.inst.base, "Acme", "ops@example.com", "status page password", "Ops"))
    }

    fn public(&self, path: &str) -> tocsin_tests::Reply {
        Api::new(&self.inst.base).get(path)
    }

    /// Publishes the shared scenario once: an internal incident full of private details, a page
    /// with 20 components, and a public incident (with HTML in it) published from it.
    fn world(&self) -> World {
        self.world
            .get_or_init(|| {
                let a = self.admin();
                assert_eq!(a.send("PUT", "/api/status/page", Some(json!({"name": "Acme Status", "time_zone": "Europe/Berlin"}).to_string().into_bytes()), &[]).status, 200);
                let svc = a.post("/api/services", json!({"name": format!("svc {MARKER}"), "description": MARKER, "runbook_url": format!("https://wiki.internal/{MARKER}")}));
                let key = svc.json["integration_key"].as_str().unwrap().to_string();
                let sid = svc.json["id"].as_str().unwrap().to_string();
                let fired = a.post(&format!("/webhooks/generic/{key}"), json!({"summary": format!("db-7 down {MARKER}"), "severity": "critical", "source": MARKER, "details": {"note": MARKER}}));
                let internal = fired.json["incident_id"].as_str().unwrap().to_string();
                let group = a.post("/api/status/groups", json!({"name": "Checkout", "position": 1})).json["id"].as_str().unwrap().to_string();
                let mut api_component = String::new();
                for n in 0..20 {
                    let body = if n == 0 {
                        json!({"name": "API", "group_id": group, "position": 2, "service_ids": [sid]})
                    } else {
                        json!({"name": format!("Component {n:02}"), "description": "Public description", "position": 10 + n})
                    };
                    let r = a.post("/api/status/components", body);
                    assert_eq!(r.status, 201, "{}", r.text);
                    if n == 0 {
                        api_component = r.json["id"].as_str().unwrap().into();
                    }
                }
                let published = a.post(
                    "/api/status/incidents",
                    json!({"incident_id": internal, "name": "Checkout errors <script>alert(1)</script>", "impact": "major",
                        "body": "We are investigating <b>elevated</b> errors & timeouts.", "component_ids": [api_component], "component_status": "partial_outage"}),
                );
                assert_eq!(published.status, 201, "{}", published.text);
                World { api_component, public_incident: published.json["id"].as_str().unwrap().into() }
            })
            .clone()
    }

    fn trigger_cron(&self, at_ms: i64) {
        let r = Api::new(&self.inst.base).get(&format!("/cdn-cgi/handler/scheduled?cron=*+*+*+*+*&time={at_ms}"));
        assert!(r.status < 300, "cron trigger: {} {}", r.status, r.text);
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64
}

fn rfc3339(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let out = Command::new("date").args(["-u", "-d", &format!("@{secs}"), "+%Y-%m-%dT%H:%M:%SZ"]).output().unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

fn main() {
    let ctx = Ctx { inst: Instance::start("status"), admin: OnceLock::new(), world: OnceLock::new() };
    let tests: &[(&str, fn(&Ctx))] = &[
        ("published_incident_in_every_json_document", published_everywhere),
        ("feeds_read_by_feedparser", feeds_parse),
        ("nothing_private_and_html_escaped", nothing_private),
        ("updates_resolve_and_indicator_recovers", updates_resolve),
        ("maintenance_moves_with_the_cron_trigger", maintenance_cron),
        ("answers_are_cached_validated_and_purged", caching),
        ("editing_needs_the_right_role_and_valid_input", validation),
        ("phone_without_javascript_renders_the_page", phone_no_js),
        ("own_domain_root_serves_the_page", own_domain_root),
    ];
    tocsin_tests::run_suite(ctx, tests, |c| eprintln!("--- wrangler log ---\n{}", c.inst.log()))
}

fn published_everywhere(c: &Ctx) {
    let w = c.world();
    let summary = c.public("/api/v2/summary.json");
    assert_eq!(summary.status, 200, "{}", summary.text);
    let s = &summary.json;
    assert_eq!(s["page"]["name"], "Acme Status");
    assert_eq!(s["page"]["time_zone"], "Europe/Berlin");
    assert_eq!(s["status"], json!({"indicator": "major", "description": "Partial System Outage"}));
    let i = &s["incidents"][0];
    assert_eq!(i["id"], w.public_incident.as_str());
    assert_eq!(i["status"], "investigating");
    assert_eq!(i["impact"], "major");
    assert_eq!(i["incident_updates"][0]["affected_components"][0]["new_status"], "partial_outage");
    assert_eq!(i["components"][0]["name"], "API");
    assert!(i["created_at"].as_str().unwrap().ends_with("+01:00"), "offset of the page's zone: {}", i["created_at"]);
    let comps = s["components"].as_array().unwrap();
    assert_eq!(comps.len(), 21, "20 components and their group");
    assert!(comps.iter().any(|c| c["group"] == true && c["components"] == json!([w.api_component])));
    for (doc, key, n) in [
        ("/api/v2/incidents.json", "incidents", 1),
        ("/api/v2/incidents/unresolved.json", "incidents", 1),
        ("/api/v2/components.json", "components", 21),
    ] {
        let r = c.public(doc);
        assert_eq!(r.json[key].as_array().map(Vec::len), Some(n), "{doc}: {}", r.text);
        assert_eq!(r.json["page"]["id"], s["page"]["id"], "{doc}");
    }
    assert_eq!(c.public("/api/v2/status.json").json["status"]["indicator"], "major");
    for doc in ["/api/v2/scheduled-maintenances.json", "/api/v2/scheduled-maintenances/upcoming.json", "/api/v2/scheduled-maintenances/active.json"] {
        assert!(c.public(doc).json["scheduled_maintenances"].is_array(), "{doc}");
    }
    assert_eq!(c.public("/api/v2/nothing.json").status, 404);
    let page = c.public(&format!("/status/incidents/{}", w.public_incident));
    assert_eq!(page.status, 200);
    assert!(page.text.contains("We are investigating"));
}

fn feeds_parse(c: &Ctx) {
    let w = c.world();
    let python = std::env::var("TOCSIN_PYTHON").expect("TOCSIN_PYTHON: run with ./tocsin test");
    for (path, version) in [("/history.atom", "atom10"), ("/history.rss", "rss20")] {
        let out = Command::new(&python)
            .arg(tocsin_tests::instance::root().join("tests/clients/read_feed.py"))
            .arg(c.inst.url(path))
            .output()
            .expect("run feedparser");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let feed: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(feed["version"], version, "{feed}");
        assert_eq!(feed["bozo"], false, "well-formed: {}", feed["bozo_exception"]);
        assert_eq!(feed["title"], "Acme Status status history");
        let e = &feed["entries"][0];
        assert_eq!(e["title"], "Checkout errors <script>alert(1)</script>", "the reader sees the title as text");
        assert!(e["link"].as_str().unwrap().ends_with(&format!("/status/incidents/{}", w.public_incident)));
        assert!(e["summary"].as_str().unwrap().contains("elevated"), "{e}");
    }
    let raw = c.public("/history.atom");
    assert!(raw.text.contains("&lt;script&gt;") && !raw.text.contains("<script>"), "escaped in the XML");
}

fn nothing_private(c: &Ctx) {
    c.world();
    // The internal incident exists (with the marker) but was never published as such.
    let internal = c.admin().get("/api/incidents");
    assert!(internal.text.contains(MARKER));
    let w = c.world();
    for p in PUBLIC_PATHS.iter().map(|p| p.to_string()).chain([format!("/status/incidents/{}", w.public_incident)]) {
        let r = c.public(&p);
        assert_eq!(r.status, 200, "{p}");
        assert!(!r.text.contains(MARKER), "{p} leaks a private field: {}", r.text);
        assert!(!r.text.contains("db-7 down"), "{p} shows an internal alert");
        assert!(!r.text.contains("svc "), "{p} names a service that is not a published component");
    }
    let html = c.public("/status").text;
    assert!(!html.contains("<script>alert(1)</script>"), "title escaped on the page");
    assert!(html.contains("Checkout errors &lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(html.contains("&lt;b&gt;elevated&lt;/b&gt;"), "update body escaped");
    assert!(!html.contains("<script"), "and the page has no JavaScript at all");
}

fn updates_resolve(c: &Ctx) {
    let w = c.world();
    let a = c.admin();
    let r = a.post(&format!("/api/status/incidents/{}/updates", w.public_incident), json!({"status": "monitoring", "body": "A fix is deployed."}));
    assert_eq!(r.status, 201, "{}", r.text);
    let i = &c.public("/api/v2/incidents.json").json["incidents"][0];
    assert_eq!(i["status"], "monitoring");
    assert!(i["monitoring_at"].is_string());
    assert_eq!(i["incident_updates"].as_array().unwrap().len(), 2);
    let r = a.post(&format!("/api/status/incidents/{}/updates", w.public_incident), json!({"status": "resolved", "body": "All good now."}));
    assert_eq!(r.status, 201);
    assert_eq!(c.public("/api/v2/incidents/unresolved.json").json["incidents"], json!([]));
    let s = c.public("/api/v2/summary.json").json;
    assert_eq!(s["status"]["indicator"], "none", "the API component went back to operational: {}", s["status"]);
    let api = s["components"].as_array().unwrap().iter().find(|c| c["name"] == "API").unwrap().clone();
    assert_eq!(api["status"], "operational");
    let i = &c.public("/api/v2/incidents.json").json["incidents"][0];
    assert_eq!(i["status"], "resolved");
    assert!(i["resolved_at"].is_string());
    assert_eq!(i["incident_updates"][0]["affected_components"][0]["new_status"], "operational");
}

fn maintenance_cron(c: &Ctx) {
    let w = c.world();
    let a = c.admin();
    let now = now_ms();
    let (start, end) = (now + 3_600_000, now + 7_200_000);
    let r = a.post("/api/status/maintenances", json!({"name": "Database upgrade", "body": "Upgrading Postgres to 17.",
        "scheduled_for": rfc3339(start), "scheduled_until": rfc3339(end), "component_ids": [w.api_component]}));
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json["status"], "scheduled");
    assert_eq!(c.public("/api/v2/scheduled-maintenances/upcoming.json").json["scheduled_maintenances"][0]["name"], "Database upgrade");
    // The cron fires at the start: in progress, components under maintenance, an update posted.
    c.trigger_cron(start + 1_000);
    let active = c.public("/api/v2/scheduled-maintenances/active.json").json;
    let m = &active["scheduled_maintenances"][0];
    assert_eq!(m["status"], "in_progress", "{active}");
    assert_eq!(m["incident_updates"][0]["status"], "in_progress");
    assert_eq!(m["scheduled_for"].as_str().unwrap().len(), 29, "RFC 3339 with offset: {}", m["scheduled_for"]);
    let summary = c.public("/api/v2/summary.json").json;
    let api = summary["components"].as_array().unwrap().iter().find(|c| c["name"] == "API").unwrap().clone();
    assert_eq!(api["status"], "under_maintenance");
    assert_eq!(summary["status"]["indicator"], "maintenance");
    // Firing twice is harmless.
    c.trigger_cron(start + 2_000);
    let m = &c.public("/api/v2/scheduled-maintenances/active.json").json["scheduled_maintenances"][0];
    assert_eq!(m["incident_updates"].as_array().unwrap().len(), 2, "one update for one transition");
    // And at the end: completed, components operational again.
    c.trigger_cron(end + 1_000);
    let all = c.public("/api/v2/scheduled-maintenances.json").json;
    assert_eq!(all["scheduled_maintenances"][0]["status"], "completed", "{all}");
    let summary = c.public("/api/v2/summary.json").json;
    assert_eq!(summary["status"]["indicator"], "none");
}

fn caching(c: &Ctx) {
    c.world();
    let api = Api::new(&c.inst.base);
    let first = api.send("GET", "/api/v2/status.json", None, &[]);
    let _ = first;
    let r1 = reqwest_like(c, "/api/v2/status.json", None);
    let r2 = reqwest_like(c, "/api/v2/status.json", None);
    assert_eq!(r2.0, 200);
    assert_eq!(r2.1.get("x-tocsin-cache").map(String::as_str), Some("hit"), "{:?}", r2.1);
    let etag = r1.1.get("etag").cloned().expect("ETag");
    assert!(r1.1.get("last-modified").is_some() && r1.1.get("cache-control").is_some_and(|v| v.contains("public")));
    assert_eq!(r1.1.get("access-control-allow-origin").map(String::as_str), Some("*"));
    assert_eq!(reqwest_like(c, "/api/v2/status.json", Some(&etag)).0, 304, "conditional request");
    // A change purges: the next read is fresh and shows it.
    let comps = c.admin().get("/api/status").json;
    let id = comps["components"][1]["id"].as_str().unwrap().to_string();
    let r = c.admin().patch(&format!("/api/status/components/{id}"), json!({"status": "degraded_performance"}));
    assert_eq!(r.status, 200, "{}", r.text);
    let after = reqwest_like(c, "/api/v2/status.json", Some(&etag));
    assert_eq!(after.0, 200, "changed, so not 304");
    assert_eq!(after.1.get("x-tocsin-cache").map(String::as_str), Some("miss"));
    assert_eq!(c.public("/api/v2/status.json").json["status"]["indicator"], "minor");
    c.admin().patch(&format!("/api/status/components/{id}"), json!({"status": "operational"}));
}

/// GET with an optional If-None-Match: (status, lower-cased headers).
fn reqwest_like(c: &Ctx, path: &str, etag: Option<&str>) -> (u16, std::collections::HashMap<String, String>) {
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let mut req = agent.get(&c.inst.url(path));
    if let Some(e) = etag {
        req = req.header("If-None-Match", e);
    }
    let resp = req.call().unwrap();
    let headers = resp.headers().iter().map(|(k, v)| (k.as_str().to_ascii_lowercase(), v.to_str().unwrap_or("").to_string())).collect();
    (resp.status().as_u16(), headers)
}

fn validation(c: &Ctx) {
    let a = c.admin();
    let r = a.send("PUT", "/api/status/page", Some(json!({"name": "X", "time_zone": "Mars/Olympus"}).to_string().into_bytes()), &[]);
    assert_eq!((r.status, r.field()), (400, "time_zone"));
    let r = a.post("/api/status/maintenances", json!({"name": "m", "scheduled_for": "2026-12-01T02:00:00Z", "scheduled_until": "2026-12-01T01:00:00Z"}));
    assert_eq!((r.status, r.field()), (400, "scheduled_until"));
    let r = a.post("/api/status/incidents", json!({"name": "x", "body": "y", "status": "exploded"}));
    assert_eq!((r.status, r.field()), (400, "status"));
    let r = a.post("/api/status/incidents", json!({"name": "x"}));
    assert_eq!((r.status, r.field()), (400, "body"));
    a.post("/api/users", json!({"email": "watch@example.com", "name": "Watcher", "role": "observer", "password": "observer password"}));
    let obs = Api::new(&c.inst.base);
    obs.post("/api/auth/login", json!({"email": "watch@example.com", "password": "observer password"}));
    assert_eq!(obs.post("/api/status/incidents", json!({"name": "x", "body": "y"})).status, 403);
    assert_eq!(obs.post("/api/status/components", json!({"name": "x"})).status, 403);
    assert_eq!(Api::new(&c.inst.base).get("/api/status").status, 401);
}

fn phone_no_js(c: &Ctx) {
    c.world();
    let b = Browser::phone_without_javascript();
    b.goto(&c.inst.url("/status"));
    let banner = b.find("p.banner");
    assert!(!banner.text().is_empty());
    b.find_text("h2", "Components", Duration::from_secs(5));
    b.find_text("li.c", "Component 07", Duration::from_secs(5));
    let width = b.script_value("document.documentElement.scrollWidth");
    assert_eq!(width, 390, "nothing wider than the phone");
    b.screenshot("status-page-no-js");
}

/// With the page's URL set to its own host, `/` on that host is the status page; on any other
/// host `/` stays the responder app.
fn own_domain_root(c: &Ctx) {
    c.world();
    let own = format!("http://localhost:{}", c.inst.port);
    let r = c.admin().send("PUT", "/api/status/page", Some(json!({"name": "Acme Status", "time_zone": "Europe/Berlin", "url": own}).to_string().into_bytes()), &[]);
    assert_eq!(r.status, 200, "{}", r.text);
    let page = Api::new(&own).get("/");
    assert_eq!(page.status, 200);
    assert!(page.text.contains("class=\"banner"), "the status page on its own domain: {}", &page.text[..page.text.len().min(300)]);
    let app = Api::new(&c.inst.base).get("/");
    assert!(app.text.contains("/pkg/tocsin_app.js"), "the app elsewhere");
    let summary = Api::new(&own).get("/api/v2/summary.json");
    assert_eq!(summary.json["page"]["url"], own.as_str());
}
