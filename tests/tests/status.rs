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

/// The shared, read-only scenario: an internal incident full of private details and a page
/// with 20 components. Tests never change it; each publishes (and resolves) its own incidents
/// on components of its own, so they pass alone and in any order.
#[derive(Clone)]
struct World {
    api_component: String,
    internal_incident: String,
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

    /// Makes the shared scenario once: an internal incident full of private details and a page
    /// with 20 components (the first, "API", in a group and fed by the private service).
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
                World { api_component, internal_incident: internal }
            })
            .clone()
    }

    fn trigger_cron(&self, at_ms: i64) {
        tocsin_tests::cron(&self.inst.base, at_ms);
    }

    /// A component of the test's own (so that changing it touches nobody else's checks).
    fn component(&self, name: &str) -> String {
        let r = self.admin().post("/api/status/components", json!({"name": name, "position": 90}));
        assert_eq!(r.status, 201, "{}", r.text);
        r.json["id"].as_str().unwrap().to_string()
    }

    /// Publishes the scenario's internal incident as a public one (with HTML in it) on `component`.
    fn publish(&self, w: &World, component: &str) -> String {
        let published = self.admin().post(
            "/api/status/incidents",
            json!({"incident_id": w.internal_incident, "name": "Checkout errors <script>alert(1)</script>", "impact": "major",
                "body": "We are investigating <b>elevated</b> errors & timeouts.", "component_ids": [component], "component_status": "partial_outage"}),
        );
        assert_eq!(published.status, 201, "{}", published.text);
        published.json["id"].as_str().unwrap().to_string()
    }

    /// Resolves a public incident (its components go back to operational).
    fn resolve(&self, public_incident: &str) {
        let r = self.admin().post(&format!("/api/status/incidents/{public_incident}/updates"), json!({"status": "resolved", "body": "Resolved."}));
        assert_eq!(r.status, 201, "{}", r.text);
    }

    /// The page's overall indicator; tests that assert it first check it starts at `none`
    /// (every test resolves what it published, so this holds in any order).
    fn indicator(&self) -> String {
        self.public("/api/v2/status.json").json["status"]["indicator"].as_str().unwrap_or_default().to_string()
    }
}

/// A public incident by id in a Statuspage document's `incidents`.
fn incident_in(doc: &Value, id: &str) -> Option<Value> {
    doc["incidents"].as_array()?.iter().find(|i| i["id"] == id).cloned()
}

fn now_ms() -> i64 {
    tocsin_tests::now_ms()
}

fn rfc3339(ms: i64) -> String {
    tocsin_tests::ms_rfc3339(ms)
}

/// What `rfc3339` keeps of a time: whole seconds.
fn start_ms_whole_seconds(ms: i64) -> i64 {
    ms.div_euclid(1000) * 1000
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
        ("a_published_update_is_corrected_everywhere", correct_update),
        ("editing_needs_the_right_role_and_valid_input", validation),
        ("phone_without_javascript_renders_the_page", phone_no_js),
        ("own_domain_root_serves_the_page", own_domain_root),
        ("history_pages_newer_and_older", history_pages),
        ("offsets_follow_summer_time", offsets_follow_summer_time),
        ("head_answers_as_get_without_the_body", head_like_get),
    ];
    tocsin_tests::run_suite(ctx, tests, |c| eprintln!("--- wrangler log ---\n{}", c.inst.log()))
}

fn published_everywhere(c: &Ctx) {
    let w = c.world();
    assert_eq!(c.indicator(), "none", "nothing else left open on the page");
    let public_incident = c.publish(&w, &w.api_component);
    let summary = c.public("/api/v2/summary.json");
    assert_eq!(summary.status, 200, "{}", summary.text);
    let s = &summary.json;
    assert_eq!(s["page"]["name"], "Acme Status");
    assert_eq!(s["page"]["time_zone"], "Europe/Berlin");
    assert_eq!(s["status"], json!({"indicator": "major", "description": "Partial System Outage"}));
    let i = incident_in(s, &public_incident).unwrap_or_else(|| panic!("the published incident in summary.json: {}", summary.text));
    assert_eq!(i["status"], "investigating");
    assert_eq!(i["impact"], "major");
    assert_eq!(i["incident_updates"][0]["affected_components"][0]["new_status"], "partial_outage");
    assert_eq!(i["components"][0]["name"], "API");
    // The page's zone decides the offset (+01:00 in winter, +02:00 in summer): the expectation
    // comes from the system's zoneinfo for the same instant, not from the code under test.
    let created = i["created_at"].as_str().unwrap();
    let utc_ms = tocsin_tests::rfc3339_ms(created);
    let offset = tocsin_tests::zone_offset("Europe/Berlin", utc_ms);
    assert!(created.ends_with(&offset), "offset of the page's zone at that instant ({offset}): {created}");
    assert!((utc_ms - now_ms()).abs() < 120_000, "published just now: {created}");
    // Every component the admin configured, and nothing else (no private service), in each document.
    let configured: std::collections::BTreeSet<String> =
        c.admin().get("/api/status").json["components"].as_array().unwrap().iter().map(|x| x["id"].as_str().unwrap().to_string()).collect();
    let listed = |doc: &Value| -> std::collections::BTreeSet<String> {
        doc["components"].as_array().unwrap().iter().filter(|x| x["group"] != true).map(|x| x["id"].as_str().unwrap().to_string()).collect()
    };
    assert!(configured.len() >= 20, "the scenario's 20 components at least: {configured:?}");
    assert_eq!(listed(s), configured, "summary.json lists exactly the configured components");
    let comps = s["components"].as_array().unwrap();
    assert_eq!(comps.iter().filter(|x| x["group"] == true).count(), 1, "and the one group");
    assert!(comps.iter().any(|c| c["group"] == true && c["components"] == json!([w.api_component])));
    for doc in ["/api/v2/incidents.json", "/api/v2/incidents/unresolved.json"] {
        let r = c.public(doc);
        assert!(incident_in(&r.json, &public_incident).is_some(), "{doc}: {}", r.text);
        assert_eq!(r.json["page"]["id"], s["page"]["id"], "{doc}");
    }
    let r = c.public("/api/v2/components.json");
    assert_eq!(listed(&r.json), configured, "components.json: {}", r.text);
    assert_eq!(r.json["page"]["id"], s["page"]["id"]);
    assert_eq!(c.public("/api/v2/status.json").json["status"]["indicator"], "major");
    for doc in ["/api/v2/scheduled-maintenances.json", "/api/v2/scheduled-maintenances/upcoming.json", "/api/v2/scheduled-maintenances/active.json"] {
        assert!(c.public(doc).json["scheduled_maintenances"].is_array(), "{doc}");
    }
    assert_eq!(c.public("/api/v2/nothing.json").status, 404);
    let page = c.public(&format!("/status/incidents/{public_incident}"));
    assert_eq!(page.status, 200);
    assert!(page.text.contains("We are investigating"));
    c.resolve(&public_incident);
}

fn feeds_parse(c: &Ctx) {
    let w = c.world();
    let component = c.component(&tocsin_tests::unique("Feeds"));
    let public_incident = c.publish(&w, &component);
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
        let link = format!("/status/incidents/{public_incident}");
        let entries = feed["entries"].as_array().unwrap();
        assert!(!entries.is_empty(), "{feed}");
        let e = entries.iter().find(|e| e["link"].as_str().is_some_and(|l| l.ends_with(&link))).unwrap_or_else(|| panic!("an entry for {link}: {feed}"));
        assert_eq!(e["title"], "Checkout errors <script>alert(1)</script>", "the reader sees the title as text");
        assert!(e["summary"].as_str().unwrap().contains("elevated"), "{e}");
        // Every entry's link is a page a reader can open (incidents and maintenance alike).
        for e in entries {
            let link = e["link"].as_str().unwrap_or_else(|| panic!("a link: {e}"));
            let path = &link[link.find("/status/").unwrap_or_else(|| panic!("under /status/: {link}"))..];
            let r = c.public(path);
            assert_eq!(r.status, 200, "{link} opens: {}", r.text);
        }
    }
    // The status page names its feeds where feed readers look for them, at their real address.
    let page = c.public("/status");
    for kind in ["application/atom+xml", "application/rss+xml"] {
        let tag = format!("<link rel=\"alternate\" type=\"{kind}\" href=\"");
        let at = page.text.find(&tag).unwrap_or_else(|| panic!("{kind} named in the page")) + tag.len();
        let href = &page.text[at..at + page.text[at..].find('"').unwrap()];
        let path = &href[href.find("/history.").unwrap_or_else(|| panic!("{href}"))..];
        assert!(href.ends_with(path) && !href.contains("/status/history."), "{href}");
        let feed = c.public(path);
        assert_eq!(feed.status, 200, "{href}");
        assert!(feed.text.starts_with("<?xml"), "{href}");
    }
    let raw = c.public("/history.atom");
    assert!(raw.text.contains("&lt;script&gt;") && !raw.text.contains("<script>"), "escaped in the XML");
    c.resolve(&public_incident);
}

fn nothing_private(c: &Ctx) {
    let w = c.world();
    // The internal incident exists (with the marker) but was never published as such.
    let internal = c.admin().get(&format!("/api/incidents/{}", w.internal_incident));
    assert!(internal.text.contains(MARKER));
    let component = c.component(&tocsin_tests::unique("Private"));
    let public_incident = c.publish(&w, &component);
    for p in PUBLIC_PATHS.iter().map(|p| p.to_string()).chain([format!("/status/incidents/{public_incident}")]) {
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
    c.resolve(&public_incident);
}

fn updates_resolve(c: &Ctx) {
    let w = c.world();
    let a = c.admin();
    assert_eq!(c.indicator(), "none", "nothing else left open on the page");
    let name = tocsin_tests::unique("Resolving");
    let component = c.component(&name);
    let public_incident = c.publish(&w, &component);
    assert_eq!(c.indicator(), "major");
    let r = a.post(&format!("/api/status/incidents/{public_incident}/updates"), json!({"status": "monitoring", "body": "A fix is deployed."}));
    assert_eq!(r.status, 201, "{}", r.text);
    let i = incident_in(&c.public("/api/v2/incidents.json").json, &public_incident).expect("in incidents.json");
    assert_eq!(i["status"], "monitoring");
    assert!(i["monitoring_at"].is_string());
    assert_eq!(i["incident_updates"].as_array().unwrap().len(), 2);
    let r = a.post(&format!("/api/status/incidents/{public_incident}/updates"), json!({"status": "resolved", "body": "All good now."}));
    assert_eq!(r.status, 201);
    assert!(incident_in(&c.public("/api/v2/incidents/unresolved.json").json, &public_incident).is_none(), "no longer unresolved");
    let s = c.public("/api/v2/summary.json").json;
    assert_eq!(s["status"]["indicator"], "none", "the component went back to operational: {}", s["status"]);
    let mine = s["components"].as_array().unwrap().iter().find(|c| c["name"] == name.as_str()).unwrap().clone();
    assert_eq!(mine["status"], "operational");
    let i = incident_in(&c.public("/api/v2/incidents.json").json, &public_incident).expect("in incidents.json");
    assert_eq!(i["status"], "resolved");
    assert!(i["resolved_at"].is_string());
    assert_eq!(i["incident_updates"][0]["affected_components"][0]["new_status"], "operational");
}

fn maintenance_cron(c: &Ctx) {
    c.world();
    let a = c.admin();
    assert_eq!(c.indicator(), "none", "nothing else left open on the page");
    let name = tocsin_tests::unique("Database");
    let component = c.component(&name);
    let now = now_ms();
    let (start, end) = (now + 3_600_000, now + 7_200_000);
    let r = a.post("/api/status/maintenances", json!({"name": "Database upgrade", "body": "Upgrading Postgres to 17.",
        "scheduled_for": rfc3339(start), "scheduled_until": rfc3339(end), "component_ids": [component]}));
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json["status"], "scheduled");
    let id = r.json["id"].as_str().unwrap().to_string();
    let find = |doc: &str| -> Option<Value> {
        c.public(doc).json["scheduled_maintenances"].as_array()?.iter().find(|m| m["id"] == id.as_str()).cloned()
    };
    // Its page, where the feeds' entry and the JSON's shortlink lead.
    let shortlink = find("/api/v2/scheduled-maintenances.json").expect("listed")["shortlink"].as_str().unwrap().to_string();
    assert!(shortlink.ends_with(&format!("/status/maintenance/{id}")), "{shortlink}");
    let own = c.public(&format!("/status/maintenance/{id}"));
    assert_eq!(own.status, 200, "{}", own.text);
    assert!(own.text.contains("Database upgrade") && own.text.contains("Upgrading Postgres to 17.") && own.text.contains(&name), "name, update, affected component");
    assert_eq!(c.public("/status/maintenance/no-such-id").status, 404);
    let upcoming = find("/api/v2/scheduled-maintenances/upcoming.json").expect("upcoming");
    assert_eq!(upcoming["name"], "Database upgrade");
    // The cron fires at the start (read back from the public document): in progress, components
    // under maintenance, an update posted. One millisecond before: not yet.
    let start = tocsin_tests::rfc3339_ms(upcoming["scheduled_for"].as_str().unwrap());
    assert_eq!(start, start_ms_whole_seconds(now + 3_600_000), "the start as scheduled");
    c.trigger_cron(start - 1);
    assert_eq!(find("/api/v2/scheduled-maintenances/upcoming.json").expect("still upcoming")["status"], "scheduled");
    c.trigger_cron(start);
    let m = find("/api/v2/scheduled-maintenances/active.json").expect("active at its start");
    assert_eq!(m["status"], "in_progress", "{m}");
    assert_eq!(m["incident_updates"][0]["status"], "in_progress");
    assert_eq!(m["scheduled_for"].as_str().unwrap().len(), 29, "RFC 3339 with offset: {}", m["scheduled_for"]);
    let summary = c.public("/api/v2/summary.json").json;
    let mine = summary["components"].as_array().unwrap().iter().find(|c| c["name"] == name.as_str()).unwrap().clone();
    assert_eq!(mine["status"], "under_maintenance");
    assert_eq!(summary["status"]["indicator"], "maintenance");
    // Firing twice is harmless.
    c.trigger_cron(start + 1);
    let m = find("/api/v2/scheduled-maintenances/active.json").expect("still active");
    assert_eq!(m["incident_updates"].as_array().unwrap().len(), 2, "one update for one transition");
    // And at the end: completed, components operational again.
    let end = tocsin_tests::rfc3339_ms(m["scheduled_until"].as_str().unwrap());
    c.trigger_cron(end);
    let done = find("/api/v2/scheduled-maintenances.json").expect("listed");
    assert_eq!(done["status"], "completed", "{done}");
    let summary = c.public("/api/v2/summary.json").json;
    assert_eq!(summary["status"]["indicator"], "none");
}

fn caching(c: &Ctx) {
    c.world();
    let r1 = reqwest_like(c, "/api/v2/status.json", None);
    let r2 = reqwest_like(c, "/api/v2/status.json", None);
    assert_eq!(r2.0, 200);
    assert_eq!(r2.1.get("x-tocsin-cache").map(String::as_str), Some("hit"), "{:?}", r2.1);
    let etag = r1.1.get("etag").cloned().expect("ETag");
    assert!(r1.1.get("last-modified").is_some() && r1.1.get("cache-control").is_some_and(|v| v.contains("public")));
    assert_eq!(r1.1.get("access-control-allow-origin").map(String::as_str), Some("*"));
    assert_eq!(reqwest_like(c, "/api/v2/status.json", Some(&etag)).0, 304, "conditional request");
    // A change purges: the next read is fresh and shows it.
    assert_eq!(c.indicator(), "none", "nothing else left open on the page");
    let id = c.component(&tocsin_tests::unique("Cached"));
    let etag = reqwest_like(c, "/api/v2/status.json", None).1.get("etag").cloned().expect("ETag");
    let r = c.admin().patch(&format!("/api/status/components/{id}"), json!({"status": "degraded_performance"}));
    assert_eq!(r.status, 200, "{}", r.text);
    let after = reqwest_like(c, "/api/v2/status.json", Some(&etag));
    assert_eq!(after.0, 200, "changed, so not 304");
    assert_eq!(after.1.get("x-tocsin-cache").map(String::as_str), Some("miss"));
    assert_eq!(c.public("/api/v2/status.json").json["status"]["indicator"], "minor");
    assert_eq!(c.admin().patch(&format!("/api/status/components/{id}"), json!({"status": "operational"})).status, 200);
}

/// A published update's text corrected (`PATCH /api/status/updates/{id}`): the page, its
/// JSON, its feeds (entry updated) and the cached answers show the new words at once; the audit
/// log keeps the old ones; bad input and unknown ids are refused and change nothing.
fn correct_update(c: &Ctx) {
    let w = c.world();
    let a = c.admin();
    let component = c.component(&tocsin_tests::unique("Corrected"));
    let public_incident = c.publish(&w, &component);
    let update_of = || -> Value {
        let v = c.public("/api/v2/incidents.json").json;
        v["incidents"].as_array().unwrap().iter().find(|i| i["id"] == public_incident.as_str()).unwrap()["incident_updates"][0].clone()
    };
    let before = update_of();
    let id = before["id"].as_str().unwrap().to_string();
    let etag = reqwest_like(c, "/history.atom", None).1.get("etag").cloned().expect("ETag");
    let atom_updated = |atom: &str| -> String {
        let entry = &atom[atom.find(&format!("/status/incidents/{public_incident}</id>")).unwrap()..];
        entry[entry.find("<updated>").unwrap() + 9..entry.find("</updated>").unwrap()].to_string()
    };
    let updated_before = atom_updated(&c.public("/history.atom").text);
    std::thread::sleep(std::time::Duration::from_millis(1100));

    let fixed = "We are investigating elevated errors at checkout in the EU (corrected).";
    let r = a.patch(&format!("/api/status/updates/{id}"), json!({"body": fixed}));
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!((r.json["id"].as_str(), r.json["parent_id"].as_str(), r.json["body"].as_str()), (Some(id.as_str()), Some(public_incident.as_str()), Some(fixed)));
    let after = update_of();
    assert_eq!(after["body"], fixed);
    assert_eq!((&after["id"], &after["status"], &after["created_at"]), (&before["id"], &before["status"], &before["created_at"]), "the same update, only its words");
    assert!(after["updated_at"].as_str() > before["updated_at"].as_str(), "its updated_at moved: {} → {}", before["updated_at"], after["updated_at"]);
    let page = c.public(&format!("/status/incidents/{public_incident}"));
    assert!(page.text.contains(fixed) && !page.text.contains("&lt;b&gt;elevated"), "the page shows the new words only");
    let atom = reqwest_like(c, "/history.atom", Some(&etag));
    assert_eq!(atom.0, 200, "the feed changed, so not 304");
    let atom = c.public("/history.atom").text;
    assert!(atom.contains("(corrected)"), "{atom}");
    assert!(atom_updated(&atom) > updated_before, "the entry is marked updated for feed readers: {} → {}", updated_before, atom_updated(&atom));
    let audit = a.get(&format!("/api/audit?action=public_update.edited&target={id}"));
    assert_eq!(audit.status, 200, "{}", audit.text);
    let e = &audit.json["events"][0];
    assert_eq!(e["before"]["body"], before["body"], "the replaced words are kept: {e}");
    assert_eq!(e["before"]["body"], "We are investigating <b>elevated</b> errors & timeouts.");
    assert_eq!(e["after"]["body"], fixed, "{e}");

    // Corrections at once: each one written is audited with the words it really replaced (none
    // lost unannounced: one whose read went stale gets 409 and changes nothing).
    let path = format!("/api/status/updates/{id}");
    let path = path.as_str();
    let answers: Vec<u16> = std::thread::scope(|sc| {
        let hs: Vec<_> = (0..8).map(|n| sc.spawn(move || a.patch(path, json!({"body": format!("Concurrent correction {n}.")})).status)).collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(answers.iter().all(|s| *s == 200 || *s == 409), "{answers:?}");
    let events = a.get(&format!("/api/audit?action=public_update.edited&target={id}")).json["events"].as_array().unwrap().clone();
    let written = answers.iter().filter(|s| **s == 200).count();
    assert_eq!(events.len(), 1 + written, "one audit row per correction written: {answers:?}");
    let befores: std::collections::HashSet<String> = events.iter().map(|e| e["before"]["body"].to_string()).collect();
    assert_eq!(befores.len(), events.len(), "no two corrections replaced the same words: {events:?}");
    let shown = update_of()["body"].as_str().unwrap().to_string();
    assert!(events.iter().any(|e| e["after"]["body"] == shown.as_str()), "an audit row says what the page shows: {shown}");
    let fixed = shown.as_str();

    // A form left open on older words does not replace a newer correction: 409 saying what the
    // update reads now, nothing changed. The same words again change nothing either.
    let r = a.patch(path, json!({"body": "From a stale form.", "previous": before["body"]}));
    assert_eq!(r.status, 409, "{}", r.text);
    assert!(r.text.contains(&fixed[..20]), "says what it reads now: {}", r.text);
    let updated = update_of()["updated_at"].clone();
    let r = a.patch(path, json!({"body": fixed, "previous": fixed}));
    assert_eq!((r.status, r.json["body"].as_str()), (200, Some(fixed)), "{}", r.text);
    let r = a.patch(path, json!({"body": format!("{fixed} "), "previous": fixed}));
    assert_eq!(r.status, 200, "the same words (trimmed) again: {}", r.text);
    assert_eq!(update_of()["updated_at"], updated, "the same words move nothing (and the audit count below is unchanged)");

    let r = a.patch(&format!("/api/status/updates/{id}"), json!({"body": "bad \u{1b}[0m"}));
    assert_eq!((r.status, r.field()), (400, "body"), "{}", r.text);
    let r = a.patch(&format!("/api/status/updates/{id}"), json!({"body": "  "}));
    assert_eq!((r.status, r.field()), (400, "body"), "{}", r.text);
    assert_eq!(a.patch("/api/status/updates/no-such-update", json!({"body": "x"})).status, 404);
    assert_eq!(a.get(&format!("/api/audit?action=public_update.edited&target={id}")).json["events"].as_array().map(Vec::len), Some(1 + written), "refusals are not audited");
    assert_eq!(update_of()["body"], fixed, "refused edits changed nothing");
    c.resolve(&public_incident);
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
    // A component that is not the page's is refused whether or not its status is to change, and
    // nothing is published.
    let before = a.get("/api/status").text.matches("\"Ghost component\"").count();
    for extra in [json!({}), json!({"component_status": "degraded_performance"})] {
        let mut body = json!({"name": "Ghost component", "body": "y", "component_ids": ["not-a-component"]});
        body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        let r = a.post("/api/status/incidents", body);
        assert_eq!((r.status, r.field()), (400, "component_ids"), "{}", r.text);
        assert!(r.text.contains("not-a-component"), "names the id: {}", r.text);
    }
    assert_eq!(a.get("/api/status").text.matches("\"Ghost component\"").count(), before, "nothing published");
    // XML cannot carry control characters: one would break every reader's copy of the feeds.
    let r = a.post("/api/status/incidents", json!({"name": "x", "body": "Deploy log: \u{1b}[31mERROR\u{1b}[0m"}));
    assert_eq!((r.status, r.field()), (400, "body"), "{}", r.text);
    assert!(r.text.contains("U+001B"), "names the character: {}", r.text);
    let r = a.post("/api/status/maintenances", json!({"name": "m", "body": "page\u{c}break", "scheduled_for": "2026-12-01T01:00:00Z", "scheduled_until": "2026-12-01T02:00:00Z"}));
    assert_eq!((r.status, r.field()), (400, "body"), "{}", r.text);
    let email = format!("{}@example.com", tocsin_tests::unique("watch"));
    assert_eq!(a.post("/api/users", json!({"email": email, "name": "Watcher", "role": "observer", "password": "observer password"})).status, 201);
    let obs = Api::new(&c.inst.base);
    assert_eq!(obs.post("/api/auth/login", json!({"email": email, "password": "observer password"})).status, 200);
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
    assert!(app.text.contains("/tocsin_app.js\""), "the app elsewhere");
    let summary = Api::new(&own).get("/api/v2/summary.json");
    assert_eq!(summary.json["page"]["url"], own.as_str());
}

/// `/status/history?page=N`: 20 incidents a page, newest first, with Newer/Older links that
/// lead to each other; an out-of-range page number is the first page.
fn history_pages(c: &Ctx) {
    c.world();
    let a = c.admin();
    let tag = tocsin_tests::unique("hist");
    let names: Vec<String> = (0..21).map(|n| format!("{tag} incident {n:02}")).collect();
    for name in &names {
        let r = a.post("/api/status/incidents", json!({"name": name, "impact": "minor", "status": "resolved", "body": "Over already."}));
        assert_eq!(r.status, 201, "{}", r.text);
    }
    // These 21 are the newest: page 1 holds the last 20 published, page 2 starts with the first.
    let first = c.public("/status/history");
    assert_eq!(first.status, 200);
    for name in &names[1..] {
        assert!(first.text.contains(name.as_str()), "page 1 has {name}");
    }
    assert!(!first.text.contains(&names[0]), "the oldest of them is on page 2");
    assert!(first.text.find(&names[20]) < first.text.find(&names[1]), "newest first");
    assert!(first.text.contains("href=\"/status/history?page=2\">Older"), "a link to older ones");
    assert!(!first.text.contains(">Newer<"), "nothing newer than page 1");
    let second = c.public("/status/history?page=2");
    assert_eq!(second.status, 200);
    assert!(second.text.contains(&names[0]), "page 2 begins where page 1 ended");
    assert!(!second.text.contains(&names[1]));
    assert!(second.text.contains("href=\"/status/history?page=1\">Newer"));
    for bad in ["0", "-1", "abc", "100000"] {
        let r = c.public(&format!("/status/history?page={bad}"));
        assert_eq!(r.status, 200, "page={bad}");
        assert!(r.text.contains(&names[20]), "page={bad} is the first page");
    }
}

/// The page's zone decides each time's offset by the date of that time, not of today: a
/// maintenance next January is written `+01:00` and one next July `+02:00` (Europe/Berlin),
/// whatever the season this runs in. The expectation is read from the system's zoneinfo and
/// agrees with the known CET/CEST offsets.
fn offsets_follow_summer_time(c: &Ctx) {
    c.world();
    let a = c.admin();
    let year: i32 = tocsin_tests::ms_rfc3339(now_ms())[..4].parse().unwrap();
    for (month, known) in [("01", "+01:00"), ("07", "+02:00")] {
        let start = format!("{}-{month}-15T10:00:00Z", year + 1);
        let end = format!("{}-{month}-15T11:00:00Z", year + 1);
        let r = a.post("/api/status/maintenances", json!({"name": tocsin_tests::unique("Offset check"), "body": "b", "scheduled_for": start, "scheduled_until": end}));
        assert_eq!(r.status, 201, "{}", r.text);
        let id = r.json["id"].as_str().unwrap().to_string();
        let all = c.public("/api/v2/scheduled-maintenances.json").json;
        let m = all["scheduled_maintenances"].as_array().unwrap().iter().find(|m| m["id"] == id.as_str()).cloned().expect("listed");
        let shown = m["scheduled_for"].as_str().unwrap().to_string();
        let expected = tocsin_tests::zone_offset("Europe/Berlin", tocsin_tests::rfc3339_ms(&start));
        assert_eq!(expected, known, "the system's zoneinfo agrees with CET/CEST");
        assert!(shown.ends_with(&expected), "{start} is shown as {shown}, expected the offset {expected}");
        assert_eq!(tocsin_tests::rfc3339_ms(&shown), tocsin_tests::rfc3339_ms(&start), "the same instant");
    }
}

/// `HEAD` (what uptime monitors, feed readers and link checkers send) answers as `GET` does —
/// status, type, validators, caching (the runtime leaves the body out: `curl -I` reads none);
/// a path without `GET` still refuses it.
fn head_like_get(c: &Ctx) {
    c.world();
    let curl = |method: &str, path: &str| {
        let mut args = vec!["-sS", "-D", "-", "-o", "/dev/null", "-w", "%{size_download}"];
        if method == "HEAD" {
            args.push("-I");
        }
        let out = std::process::Command::new("curl").args(&args).arg(c.inst.url(path)).output().expect("curl");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let text = String::from_utf8_lossy(&out.stdout).to_ascii_lowercase();
        let status: u16 = text.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
        let header = |name: &str| text.lines().find_map(|l| l.strip_prefix(&format!("{name}:")).map(|v| v.trim().to_string()));
        let downloaded: u64 = text.lines().last().unwrap_or("").trim().parse().unwrap_or(u64::MAX);
        (status, header("content-type"), header("etag").is_some(), header("cache-control"), downloaded)
    };
    for path in ["/status", "/status/history", "/history.atom", "/history.rss", "/api/v2/status.json", "/api/v2/summary.json", "/healthz"] {
        let (get_status, get_type, _, get_cache, _) = curl("GET", path);
        let (status, ctype, _, cache, _) = curl("HEAD", path);
        assert_eq!((status, get_status), (200, 200), "{path}");
        assert_eq!(ctype, get_type, "{path}: the same type");
        assert_eq!(cache, get_cache, "{path}: the same caching");
    }
    let (_, _, etag, _, _) = curl("HEAD", "/api/v2/status.json");
    assert!(etag, "a validator for a monitor that compares");
    // Only where GET is: a POST-only path refuses it, an unknown one is not found (as GET).
    assert_eq!(curl("HEAD", "/v2/enqueue").0, 405);
    assert_eq!((curl("HEAD", "/api/no-such-thing").0, curl("GET", "/api/no-such-thing").0), (404, 404));
}
