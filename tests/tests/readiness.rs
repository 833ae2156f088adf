//! Readiness end to end against wrangler dev: an organisation with every gap present — a service
//! without an escalation policy, a schedule with nightly gaps, someone on call with no device, no
//! runbook checklists, quiet integrations, an overdue action item — sees each finding with its
//! subject and the page where it is fixed; fixing each (policy, schedule, a push subscription of a
//! test device, saving / reviewing the runbook, an alert and a change event, closing the item)
//! makes it disappear. A second organisation sees none of the first's findings. "Mark reviewed"
//! has its roles and audit row. A phone at 390×844 lists the rows and each link opens the page.
//!
//! Each test makes its own people, services, schedules and policies.

use serde_json::{json, Value};
use std::sync::OnceLock;
use std::time::Duration;
use tocsin_tests::browser::Browser;
use tocsin_tests::http::Person;
use tocsin_tests::receiver::{Receiver, TestSubscription};
use tocsin_tests::{now_ms, unique, wait_for, Api, Instance, Reply};

const EMAIL: &str = "admin@readiness.example.com";
const PASSWORD: &str = "readiness password";
const OTHER_PASSWORD: &str = "another long password";
const DAY: i64 = 86_400_000;

struct Ctx {
    inst: Instance,
    rx: Receiver,
    admin: OnceLock<Api>,
}

/// One organisation's gaps, as the test made them.
struct Org {
    pat: Person,
    schedule: String,
    schedule_name: String,
    policy: String,
    bare: (String, String),
    covered: (String, String),
    item: String,
}

impl Ctx {
    fn admin(&self) -> &Api {
        self.admin.get_or_init(|| Api::setup(&self.inst.base, "Acme", EMAIL, PASSWORD, "Admin"))
    }

    fn person(&self, first: &str, role: &str) -> Person {
        Person::add(self.admin(), &self.inst.base, first, role)
    }

    /// A new service of `api`'s organisation: (id, integration key).
    fn service(&self, api: &Api) -> (String, String) {
        let r = api.post("/api/services", json!({"name": unique("Service")}));
        assert_eq!(r.status, 201, "{}", r.text);
        (r.json["id"].as_str().unwrap().to_string(), r.json["integration_key"].as_str().unwrap().to_string())
    }

    fn put(&self, path: &str, body: Value) -> Reply {
        self.admin().send("PUT", path, Some(body.to_string().into_bytes()), &[])
    }

    fn report(&self, api: &Api) -> Value {
        let r = api.get("/api/readiness");
        assert_eq!(r.status, 200, "{}", r.text);
        r.json
    }

    /// Every gap present, each on its own subject.
    fn org_with_every_gap(&self) -> Org {
        let admin = self.admin();
        let pat = self.person("Pat", "responder");
        let schedule_name = unique("Office hours");
        let s = admin.post("/api/schedules", json!({"name": schedule_name, "time_zone": "Europe/Berlin", "layers": [office_hours(&pat.id, true)]}));
        assert_eq!(s.status, 201, "{}", s.text);
        let schedule = s.json["id"].as_str().unwrap().to_string();
        let p = admin.post("/api/escalation-policies", json!({"name": unique("Policy"), "repeats": 0, "levels": [
            {"targets": [{"type": "schedule", "id": schedule}], "delay_minutes": 5}]}));
        assert_eq!(p.status, 201, "{}", p.text);
        let policy = p.json["id"].as_str().unwrap().to_string();
        let bare = self.service(admin);
        let covered = self.service(admin);
        let r = self.put(&format!("/api/services/{}/escalation-policy", covered.0), json!({"policy_id": policy}));
        assert_eq!(r.status, 200, "{}", r.text);
        let due = tocsin_tests::ms_rfc3339(now_ms() - 3 * DAY)[..10].to_string();
        let a = admin.post("/api/action-items", json!({"title": unique("Add a disk alert"), "due_date": due, "owner_id": pat.id}));
        assert_eq!(a.status, 201, "{}", a.text);
        let item = a.json["id"].as_str().unwrap().to_string();
        Org { pat, schedule, schedule_name, policy, bare, covered, item }
    }
}

/// A daily rotation of one person, from 09:00 to 17:00 Berlin time only when `office`.
fn office_hours(user: &str, office: bool) -> Value {
    let restrictions = if office { json!([{"type": "daily", "start": "09:00:00", "end": "17:00:00"}]) } else { json!([]) };
    json!({"name": "Days", "participants": [user], "start": "2026-01-01T09:00:00", "turn": {"type": "daily"}, "restrictions": restrictions})
}

/// The wall clock (`HH:MM`) in Berlin at `ms`, from the system's zoneinfo.
fn berlin_clock(ms: i64) -> String {
    let out = std::process::Command::new("date").env("TZ", "Europe/Berlin").args(["-d", &format!("@{}", ms.div_euclid(1000)), "+%H:%M"]).output().expect("date");
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// The findings of `kind` about `subject`.
fn about(report: &Value, kind: &str, subject: &str) -> Vec<Value> {
    report["findings"].as_array().unwrap().iter().filter(|f| f["kind"] == kind && f["subject"]["id"] == subject).cloned().collect()
}

fn one(report: &Value, kind: &str, subject: &str) -> Value {
    let found = about(report, kind, subject);
    assert_eq!(found.len(), 1, "one {kind} finding about {subject}: {}", report["findings"]);
    found[0].clone()
}

fn none(report: &Value, kind: &str, subject: &str) {
    assert!(about(report, kind, subject).is_empty(), "no {kind} finding about {subject} any more: {}", report["findings"]);
}

fn main() {
    let ctx = Ctx { inst: Instance::start("readiness"), rx: Receiver::start(), admin: OnceLock::new() };
    let tests: &[(&str, fn(&Ctx))] = &[
        ("each_gap_is_listed_with_its_subject_and_link_then_gone_when_fixed", each_gap_then_fixed),
        ("another_organisation_sees_none_of_the_findings", another_organisation),
        ("mark_reviewed_is_for_admins_audited_and_read_back", mark_reviewed),
        ("phone_readiness_rows_link_to_where_each_is_fixed", phone_readiness),
    ];
    tocsin_tests::run_suite(ctx, tests, |c| eprintln!("--- wrangler log ---\n{}", c.inst.log()))
}

fn each_gap_then_fixed(c: &Ctx) {
    let o = c.org_with_every_gap();
    let observer = c.person("Olga", "observer");
    // Everyone in the organisation reads it (observers too).
    let r = c.report(&observer.api);
    let (bare, covered) = (&o.bare.0, &o.covered.0);

    let f = one(&r, "service_without_policy", bare);
    assert_eq!((f["severity"].as_str(), f["subject"]["kind"].as_str(), f["fix_path"].as_str()), (Some("blocking"), Some("service"), Some(format!("/services/{bare}").as_str())));
    none(&r, "service_without_policy", covered);

    let f = one(&r, "schedule_gap", &o.policy);
    assert_eq!(f["subject"]["kind"], "policy");
    assert_eq!((f["related"]["kind"].as_str(), f["related"]["id"].as_str(), f["related"]["name"].as_str()), (Some("schedule"), Some(o.schedule.as_str()), Some(o.schedule_name.as_str())));
    assert_eq!(f["fix_path"], format!("/schedules/{}", o.schedule));
    assert_eq!(f["severity"], "blocking");
    // The first gap is at 17:00 Berlin time (or now, at night), and ends at 09:00 Berlin time.
    let until = tocsin_tests::rfc3339_ms(f["until"].as_str().unwrap());
    assert_eq!(berlin_clock(until), "09:00", "{f}");
    let since = tocsin_tests::rfc3339_ms(f["since"].as_str().unwrap());
    assert!(berlin_clock(since) == "17:00" || since <= now_ms(), "{f}");
    assert!(f["message"].as_str().unwrap().contains(&format!("({} time)", r["time_zone"].as_str().unwrap())), "{f}");

    let f = one(&r, "person_unreachable", &o.pat.id);
    assert_eq!((f["subject"]["kind"].as_str(), f["subject"]["name"].as_str(), f["fix_path"].as_str()), (Some("person"), Some(o.pat.name.as_str()), Some("/me")));
    assert!(f["message"].as_str().unwrap().contains("no device"), "{f}");

    for s in [bare, covered] {
        let f = one(&r, "runbook_stale", s);
        assert_eq!((f["severity"].as_str(), f["fix_path"].as_str()), (Some("warning"), Some(format!("/services/{s}#runbook").as_str())));
        let f = one(&r, "integration_silent", s);
        assert_eq!((f["subject"]["kind"].as_str(), f["fix_path"].as_str()), (Some("integration"), Some(format!("/services/{s}#int-h").as_str())));
        assert!(f["message"].as_str().unwrap().contains("never received"), "{f}");
    }
    let f = one(&r, "action_item_overdue", &o.item);
    assert_eq!((f["subject"]["kind"].as_str(), f["fix_path"].as_str()), (Some("action_item"), Some("/action-items")));
    assert!(f["message"].as_str().unwrap().contains(&o.pat.name), "the owner is named: {f}");
    // Blocking first; the counts add up.
    let sev: Vec<&str> = r["findings"].as_array().unwrap().iter().map(|f| f["severity"].as_str().unwrap()).collect();
    assert!(sev.windows(2).all(|w| !(w[0] == "warning" && w[1] == "blocking")), "{sev:?}");
    let total: u64 = r["counts"].as_array().unwrap().iter().map(|k| k["count"].as_u64().unwrap()).sum();
    assert_eq!(total as usize, sev.len());
    assert_eq!(r["blocking"].as_u64().unwrap() as usize, sev.iter().filter(|s| **s == "blocking").count());

    // Fix each, one at a time, and watch its finding go.
    let r = c.put(&format!("/api/services/{bare}/escalation-policy"), json!({"policy_id": o.policy}));
    assert_eq!(r.status, 200, "{}", r.text);
    none(&c.report(c.admin()), "service_without_policy", bare);

    let r = c.put(&format!("/api/schedules/{}", o.schedule), json!({"name": o.schedule_name, "time_zone": "Europe/Berlin", "layers": [office_hours(&o.pat.id, false)]}));
    assert_eq!(r.status, 200, "{}", r.text);
    none(&c.report(c.admin()), "schedule_gap", &o.policy);

    let device = TestSubscription::new(&c.rx, "pat");
    let r = o.pat.api.post("/api/push/subscriptions", device.json("Phone"));
    assert_eq!(r.status, 201, "{}", r.text);
    none(&c.report(c.admin()), "person_unreachable", &o.pat.id);

    // Saving a template counts as a review; one reviewed over 90 days ago is flagged again until
    // someone marks it reviewed.
    for s in [bare, covered] {
        let r = c.put(&format!("/api/services/{s}/checklist"), json!({"steps": [{"text": "Check the dashboard"}, {"text": "Roll back"}]}));
        assert_eq!(r.status, 200, "{}", r.text);
    }
    let after_save = c.report(c.admin());
    none(&after_save, "runbook_stale", bare);
    none(&after_save, "runbook_stale", covered);
    let old = now_ms() - 91 * DAY;
    c.inst.d1(&format!("UPDATE services SET checklist_reviewed_at = {old} WHERE id = '{covered}'"));
    let f = one(&c.report(c.admin()), "runbook_stale", covered);
    assert!(f["message"].as_str().unwrap().contains("over 90 days ago"), "{f}");
    let r = c.admin().post(&format!("/api/services/{covered}/checklist/review"), json!({}));
    assert_eq!(r.status, 200, "{}", r.text);
    none(&c.report(c.admin()), "runbook_stale", covered);

    // An alert on one integration, a change event on the other; one quiet for 31 days is flagged.
    let r = Api::new(&c.inst.base).post(&format!("/webhooks/generic/{}", o.covered.1), json!({"summary": "Disk almost full", "severity": "info", "dedup_key": unique("k")}));
    assert_eq!(r.status, 202, "{}", r.text);
    let r = Api::new(&c.inst.base).post("/v2/change/enqueue", json!({"routing_key": o.bare.1, "payload": {"summary": "Deployed v2", "source": "ci"}}));
    assert_eq!(r.status, 202, "{}", r.text);
    let fresh = c.report(c.admin());
    none(&fresh, "integration_silent", bare);
    none(&fresh, "integration_silent", covered);
    c.inst.d1(&format!("UPDATE alert_events SET received_at = received_at - {} WHERE service_id = '{covered}'", 31 * DAY));
    let f = one(&c.report(c.admin()), "integration_silent", covered);
    assert!(f["message"].as_str().unwrap().contains("has not received an event since"), "{f}");
    let r = Api::new(&c.inst.base).post(&format!("/webhooks/generic/{}", o.covered.1), json!({"summary": "Disk almost full", "severity": "info", "status": "resolved", "dedup_key": unique("k")}));
    assert!(r.status < 300, "{}", r.text);
    none(&c.report(c.admin()), "integration_silent", covered);

    let r = o.pat.api.patch(&format!("/api/action-items/{}", o.item), json!({"status": "done"}));
    assert_eq!(r.status, 200, "{}", r.text);
    let done = c.report(c.admin());
    none(&done, "action_item_overdue", &o.item);

    // Nothing about this organisation's subjects is left.
    let mine = [bare, covered, &o.policy, &o.schedule, &o.pat.id, &o.item];
    let left: Vec<&Value> = done["findings"].as_array().unwrap().iter().filter(|f| mine.iter().any(|m| f["subject"]["id"] == m.as_str())).collect();
    assert!(left.is_empty(), "{left:?}");
}

/// The admin of a new, empty organisation (setup runs once per instance, so: a fresh admin of
/// the first, moved into a new organisation row before logging in) → (e-mail, logged-in client).
fn other_org_admin(c: &Ctx) -> (String, Api) {
    let org = unique("org");
    c.inst.d1(&format!("INSERT INTO organizations (id, name, created_at) VALUES ('{org}', 'Other Co', {})", now_ms()));
    let email = format!("{}@other.example.com", unique("boss").to_ascii_lowercase());
    let r = c.admin().post("/api/users", json!({"email": email, "name": "Other Boss", "role": "admin", "password": OTHER_PASSWORD}));
    assert_eq!(r.status, 201, "{}", r.text);
    let boss_id = r.json["user"]["id"].as_str().unwrap().to_string();
    c.inst.d1(&format!("UPDATE users SET org_id = '{org}' WHERE id = '{boss_id}'"));
    let boss = Api::new(&c.inst.base);
    assert_eq!(boss.post("/api/auth/login", json!({"email": email, "password": OTHER_PASSWORD})).status, 200);
    (email, boss)
}

/// A second organisation sees only its own findings.
fn another_organisation(c: &Ctx) {
    let o = c.org_with_every_gap();
    let first = c.report(c.admin());
    let theirs: Vec<String> = first["findings"].as_array().unwrap().iter().map(|f| f["subject"]["id"].as_str().unwrap().to_string()).collect();
    assert!(theirs.contains(&o.bare.0) && theirs.contains(&o.pat.id));

    let (_, boss) = other_org_admin(c);
    let empty = c.report(&boss);
    assert_eq!((empty["findings"].as_array().map(Vec::len), empty["blocking"].as_u64(), empty["warnings"].as_u64()), (Some(0), Some(0), Some(0)), "{empty}");
    let own = c.service(&boss);

    let r = c.report(&boss);
    let ids: Vec<&str> = r["findings"].as_array().unwrap().iter().map(|f| f["subject"]["id"].as_str().unwrap()).collect();
    assert!(ids.iter().all(|i| *i == own.0), "only its own service: {ids:?}");
    let kinds: Vec<&str> = r["findings"].as_array().unwrap().iter().map(|f| f["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["service_without_policy", "runbook_stale", "integration_silent"]);
    for t in &theirs {
        assert!(!ids.contains(&t.as_str()), "{t} belongs to the first organisation");
    }
    // Nor can it read or mark the first's runbook reviews.
    assert_eq!(boss.get(&format!("/api/services/{}/checklist/review", o.bare.0)).status, 404);
    assert_eq!(boss.post(&format!("/api/services/{}/checklist/review", o.bare.0), json!({})).status, 404);
    assert!(c.admin().get(&format!("/api/services/{}/checklist/review", o.bare.0)).json.get("reviewed_at").is_none());
}

fn mark_reviewed(c: &Ctx) {
    let (service, _) = c.service(c.admin());
    let path = format!("/api/services/{service}/checklist/review");
    let observer = c.person("Oskar", "observer");
    let responder = c.person("Rita", "responder");
    let r = observer.api.get(&path);
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json, json!({"steps": 0}), "never reviewed, no steps");
    assert_eq!(observer.api.post(&path, json!({})).status, 403);
    assert_eq!(responder.api.post(&path, json!({})).status, 403);
    assert_eq!(c.admin().post("/api/services/0190c8a2-8e1b-7c3d-9a4b-1c2d3e4f5a6b/checklist/review", json!({})).status, 404);
    assert_eq!(c.admin().send("DELETE", &path, None, &[]).status, 405);

    let before = now_ms();
    let r = c.admin().post(&path, json!({}));
    assert_eq!(r.status, 200, "{}", r.text);
    let at = tocsin_tests::rfc3339_ms(r.json["reviewed_at"].as_str().unwrap());
    assert!(at >= before - 1000 && at <= now_ms() + 1000, "{}", r.text);
    assert_eq!(r.json["reviewed_by"]["name"], "Admin");
    assert_eq!(tocsin_tests::rfc3339_ms(r.json["review_due_at"].as_str().unwrap()), at + 90 * DAY);
    assert_eq!(observer.api.get(&path).json, r.json, "read back as it was answered");
    let stored = c.inst.d1(&format!("SELECT checklist_reviewed_at, checklist_reviewed_by FROM services WHERE id = '{service}'"));
    assert_eq!(stored[0]["checklist_reviewed_at"].as_i64(), Some(at));

    let audit = c.admin().get(&format!("/api/audit?action=service.checklist_reviewed&target={service}"));
    assert_eq!(audit.status, 200, "{}", audit.text);
    assert_eq!(audit.json["events"].as_array().map(Vec::len), Some(1), "{}", audit.text);
    // Saving an unchanged template is a review too (audited as one); a changed one as an update.
    let r = c.put(&format!("/api/services/{service}/checklist"), json!({"steps": []}));
    assert_eq!(r.status, 200, "{}", r.text);
    let audit = c.admin().get(&format!("/api/audit?action=service.checklist_reviewed&target={service}"));
    assert_eq!(audit.json["events"].as_array().map(Vec::len), Some(2), "{}", audit.text);
}

fn phone_readiness(c: &Ctx) {
    let o = c.org_with_every_gap();
    let b = Browser::phone();
    let origin = c.inst.base.trim_end_matches('/');
    b.goto(&format!("{origin}/"));
    b.find("#email").type_text(EMAIL);
    b.find("#password").type_text(PASSWORD);
    b.find("button[type=submit]").click();
    b.find("nav.tabbar");
    let open_readiness = || {
        b.goto(&format!("{origin}/readiness"));
        b.find_text("h1", "Readiness", Duration::from_secs(15));
        wait_for("the readiness rows", Duration::from_secs(15), || b.try_find(&format!("a.finding[data-subject='{}']", o.bare.0)).map(|_| ()));
    };
    open_readiness();
    // Grouped by kind, blocking first, with the Learn sub-navigation.
    assert!(b.try_find("nav.subnav a[aria-current=page]").is_some_and(|a| a.text() == "Readiness"));
    let groups: Vec<String> = b.find_all("section.finding-group h2").iter().map(|h| h.text()).collect();
    assert!(groups.first().is_some_and(|g| g.starts_with("Services without an escalation policy")), "{groups:?}");
    b.screenshot("readiness-01-list");
    b.script("window.scrollTo(0, document.body.scrollHeight)");
    b.screenshot("readiness-02-list-end");
    b.cdp("Emulation.setEmulatedMedia", json!({"features": [{"name": "prefers-color-scheme", "value": "dark"}]}));
    b.script("window.scrollTo(0, 0)");
    b.screenshot("readiness-05-list-dark");
    b.cdp("Emulation.setEmulatedMedia", json!({"features": [{"name": "prefers-color-scheme", "value": "light"}]}));

    let cases = [
        (format!("a.finding[data-kind=service_without_policy][data-subject='{}']", o.bare.0), format!("/services/{}", o.bare.0), "select#escalation_policy"),
        (format!("a.finding[data-kind=schedule_gap][data-subject='{}']", o.policy), format!("/schedules/{}", o.schedule), "h1"),
        (format!("a.finding[data-kind=person_unreachable][data-subject='{}']", o.pat.id), "/me".to_string(), "#device-h"),
        (format!("a.finding[data-kind=runbook_stale][data-subject='{}']", o.covered.0), format!("/services/{}", o.covered.0), "#runbook button.mark-reviewed"),
        (format!("a.finding[data-kind=integration_silent][data-subject='{}']", o.covered.0), format!("/services/{}", o.covered.0), "#int-h"),
        (format!("a.finding[data-kind=action_item_overdue][data-subject='{}']", o.item), "/action-items".to_string(), "body"),
    ];
    for (link, path, landmark) in &cases {
        open_readiness();
        b.script(&format!("document.querySelector(\"{}\").scrollIntoView({{block: 'center'}})", link.replace('"', "\\\"")));
        b.find(link).click();
        wait_for(&format!("{path} after tapping {link}"), Duration::from_secs(15), || (b.current_path() == *path).then_some(()));
        wait_for(&format!("{landmark} on {path}"), Duration::from_secs(15), || b.try_find(landmark).map(|_| ()));
    }
    // On the service page: the runbook section with the review, marked reviewed from the phone.
    b.goto(&format!("{origin}/services/{}", o.covered.0));
    let button = b.find_text("#runbook button.mark-reviewed", "Mark reviewed", Duration::from_secs(15));
    b.script("document.querySelector('#runbook').scrollIntoView()");
    b.screenshot("readiness-03-runbook-before");
    button.click();
    b.find_text("#runbook .reviewed", "Admin", Duration::from_secs(15));
    b.screenshot("readiness-04-runbook-reviewed");
    let r = c.admin().get(&format!("/api/services/{}/checklist/review", o.covered.0));
    assert_eq!(r.json["reviewed_by"]["name"], "Admin", "{}", r.text);

    // An organisation with nothing to fix reads "Ready", plainly.
    let (email, _) = other_org_admin(c);
    b.find(".topbar button.link-btn").click();
    b.find("#password");
    b.find("#email").type_text(&email);
    b.find("#password").type_text(OTHER_PASSWORD);
    b.find("button[type=submit]").click();
    b.find("nav.tabbar");
    b.goto(&format!("{origin}/readiness"));
    b.find_text("section.ready h2", "Ready", Duration::from_secs(15));
    assert!(b.try_find("a.finding").is_none());
    b.screenshot("readiness-06-ready");
}
