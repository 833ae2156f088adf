//! Tocsin as monitoring users meet it: a real Prometheus Alertmanager (Debian's package) with
//! `webhook_configs` and `pagerduty_configs` pointed at Tocsin, PagerDuty's official Python client
//! and Opsgenie's official Python SDK, all against a fresh instance served over https.
//! `./tocsin test` installs them (TOCSIN_ALERTMANAGER, TOCSIN_PYTHON).

use serde_json::{json, Value};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;
use tocsin_tests::{free_port, wait_for, Api, Instance};

struct Ctx {
    inst: Instance,
    admin: OnceLock<Api>,
}

impl Ctx {
    fn admin(&self) -> &Api {
        self.admin.get_or_init(|| Api::setup(&self.inst.base, "Real tools", "sre@example.com", "real tools password", "SRE"))
    }

    fn service(&self, name: &str) -> (String, String) {
        let r = self.admin().post("/api/services", json!({"name": tocsin_tests::unique(name)}));
        assert_eq!(r.status, 201, "{}", r.text);
        (r.json["id"].as_str().unwrap().into(), r.json["integration_key"].as_str().unwrap().into())
    }

    fn incidents_of(&self, sid: &str) -> Vec<Value> {
        self.admin().get(&format!("/api/incidents?service_id={sid}")).json["incidents"].as_array().cloned().unwrap_or_default()
    }

    fn cert(&self) -> String {
        self.inst.tls_cert.as_ref().unwrap().display().to_string()
    }
}

fn tool(var: &str) -> String {
    std::env::var(var).unwrap_or_else(|_| panic!("{var} is not set: run the suite with ./tocsin test, which installs the real tools"))
}

fn main() {
    let ctx = Ctx { inst: Instance::start_https("realtools"), admin: OnceLock::new() };
    let tests: &[(&str, fn(&Ctx))] = &[
        ("https_sessions_get_secure_cookies", https_secure_cookie),
        ("alertmanager_webhook_and_pagerduty_receivers", alertmanager),
        ("pagerduty_official_python_client", pagerduty_client),
        ("opsgenie_official_python_sdk", opsgenie_sdk),
    ];
    tocsin_tests::run_suite(ctx, tests, |c| eprintln!("--- wrangler log ---\n{}", c.inst.log()))
}

fn https_secure_cookie(c: &Ctx) {
    c.admin();
    let r = Api::new(&c.inst.base).post("/api/auth/login", json!({"email": "sre@example.com", "password": "real tools password"}));
    assert_eq!(r.status, 200);
    let cookie = r.set_cookie.unwrap();
    assert!(cookie.contains("; Secure"), "{cookie}");
}

struct Alertmanager {
    child: Child,
    base: String,
    _dir: std::path::PathBuf,
}

impl Drop for Alertmanager {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_alertmanager(c: &Ctx, webhook_key: &str, pd_key: &str) -> Alertmanager {
    let dir = c.inst.state.join("alertmanager");
    std::fs::create_dir_all(&dir).unwrap();
    let config = format!(
        r#"route:
  receiver: tocsin
  group_by: ['alertname']
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
  routes:
    - matchers: ['via="pagerduty"']
      receiver: tocsin-pagerduty
receivers:
  - name: tocsin
    webhook_configs:
      - url: {base}/webhooks/alertmanager/{webhook_key}
        send_resolved: true
        http_config:
          tls_config:
            ca_file: {cert}
  - name: tocsin-pagerduty
    pagerduty_configs:
      - routing_key: {pd_key}
        url: {base}/v2/enqueue
        send_resolved: true
        http_config:
          tls_config:
            ca_file: {cert}
"#,
        base = c.inst.base,
        cert = c.cert()
    );
    std::fs::write(dir.join("alertmanager.yml"), config).unwrap();
    let port = free_port();
    let child = Command::new(tool("TOCSIN_ALERTMANAGER"))
        .arg(format!("--config.file={}", dir.join("alertmanager.yml").display()))
        .arg(format!("--storage.path={}", dir.join("data").display()))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .arg("--cluster.listen-address=")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.join("alertmanager.log")).unwrap())
        .spawn()
        .expect("start alertmanager");
    let base = format!("http://127.0.0.1:{port}");
    let agent = ureq::agent();
    wait_for("Alertmanager to be ready", Duration::from_secs(20), || agent.get(&format!("{base}/-/ready")).call().ok());
    Alertmanager { child, base, _dir: dir }
}

fn post_alerts(am: &Alertmanager, alerts: Value) {
    let r = ureq::post(&format!("{}/api/v2/alerts", am.base)).send_json(alerts).expect("post to Alertmanager");
    assert_eq!(r.status(), 200);
}

fn alertmanager(c: &Ctx) {
    let (sid, key) = c.service("Prometheus via webhook");
    let (pd_sid, pd_key) = c.service("Prometheus via PagerDuty receiver");
    let am = start_alertmanager(c, &key, &pd_key);
    let now = chrono_now();
    let alert = |instance: &str, ends: Option<&str>| {
        let mut a = json!({"labels": {"alertname": "DiskFull", "instance": instance, "severity": "critical"},
            "annotations": {"summary": format!("Disk full on {instance}")}, "startsAt": now, "generatorURL": "http://prometheus:9090/graph"});
        if let Some(e) = ends {
            a["endsAt"] = json!(e);
        }
        a
    };
    post_alerts(&am, json!([alert("db-1", None), alert("db-2", None)]));
    let incidents = wait_for("two incidents from Alertmanager", Duration::from_secs(20), || {
        Some(c.incidents_of(&sid)).filter(|v| v.len() == 2)
    });
    assert!(incidents.iter().all(|i| i["status"] == "triggered" && i["severity"] == "SEV1"), "{incidents:?}");
    // db-1 recovers while db-2 keeps firing: only db-1's incident resolves.
    post_alerts(&am, json!([alert("db-1", Some(&chrono_now()))]));
    let incidents = wait_for("db-1 resolved by Alertmanager", Duration::from_secs(20), || {
        let v = c.incidents_of(&sid);
        v.iter().any(|i| i["title"] == "Disk full on db-1" && i["status"] == "resolved").then_some(v)
    });
    let db2 = incidents.iter().find(|i| i["title"] == "Disk full on db-2").unwrap();
    assert_eq!(db2["status"], "triggered");
    let d = c.admin().get(&format!("/api/incidents/{}", db2["id"].as_str().unwrap()));
    assert_eq!(d.json["alerts"][0]["vendor"], "alertmanager");
    assert!(d.json["alerts"][0]["started_at"].is_string());

    // The same Alertmanager's PagerDuty receiver, pointed at Tocsin's Events API.
    let mut pd_alert = alert("web-1", None);
    pd_alert["labels"]["via"] = json!("pagerduty");
    pd_alert["labels"]["alertname"] = json!("HighLatency");
    post_alerts(&am, json!([pd_alert.clone()]));
    let inc = wait_for("an incident via pagerduty_configs", Duration::from_secs(20), || c.incidents_of(&pd_sid).into_iter().next());
    assert_eq!(inc["status"], "triggered");
    let d = c.admin().get(&format!("/api/incidents/{}", inc["id"].as_str().unwrap()));
    assert_eq!(d.json["alerts"][0]["vendor"], "pagerduty");
    assert!(d.json["alerts"][0]["details"].to_string().contains("HighLatency"), "{}", d.json["alerts"][0]);
    pd_alert["endsAt"] = json!(chrono_now());
    post_alerts(&am, json!([pd_alert]));
    wait_for("resolved via pagerduty_configs", Duration::from_secs(20), || {
        c.incidents_of(&pd_sid).into_iter().next().filter(|i| i["status"] == "resolved")
    });
}

fn python(c: &Ctx, script: &str, key: &str) -> Value {
    let path = tocsin_tests::instance::root().join("tests/clients").join(script);
    let out = Command::new(tool("TOCSIN_PYTHON"))
        .arg(path)
        .arg(&c.inst.base)
        .arg(key)
        .env("SSL_CERT_FILE", c.cert())
        .env("TOCSIN_CA_FILE", c.cert())
        .output()
        .expect("run python");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{script} failed:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_str(stdout.lines().last().unwrap_or("")).unwrap_or_else(|_| panic!("no JSON from {script}: {stdout}"))
}

fn pagerduty_client(c: &Ctx) {
    let (sid, key) = c.service("PagerDuty client");
    let out = python(c, "pagerduty_events.py", &key);
    assert_eq!(out["trigger_dedup_key"], "pd-client-1");
    assert!(out["generated_dedup_key"].as_str().is_some_and(|k| !k.is_empty()), "{out}");
    let incidents = c.incidents_of(&sid);
    assert_eq!(incidents.len(), 2);
    let first = incidents.iter().find(|i| i["title"] == "Checkout 5xx above 5%").unwrap();
    assert_eq!(first["status"], "resolved");
    let d = c.admin().get(&format!("/api/incidents/{}", first["id"].as_str().unwrap()));
    let kinds: Vec<&str> = d.json["timeline"].as_array().unwrap().iter().map(|t| t["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["incident.triggered", "incident.acknowledged", "alert.resolved", "incident.resolved"]);
    assert_eq!(d.json["alerts"][0]["details"]["rate"], "7.2%");
    let panel = c.admin().get(&format!("/api/services/{sid}/integrations"));
    assert_eq!(panel.json["recent_changes"][0]["summary"], "Deployed checkout v2.15.0");
}

fn opsgenie_sdk(c: &Ctx) {
    let (sid, key) = c.service("Opsgenie SDK");
    let out = python(c, "opsgenie_alerts.py", &key);
    assert_eq!(out["create_result"], "Request will be processed");
    assert_eq!(out["create_status"]["success"], true, "{out}");
    assert_eq!(out["create_status"]["status"], "Created alert");
    assert_eq!(out["create_status"]["alias"], "og-sdk-1");
    assert_eq!(out["close_status"], "Closed alert");
    let incidents = c.incidents_of(&sid);
    assert_eq!(incidents.len(), 1);
    assert_eq!(incidents[0]["status"], "resolved");
    assert_eq!(incidents[0]["severity"], "SEV2", "P2 → SEV2");
    let d = c.admin().get(&format!("/api/incidents/{}", incidents[0]["id"].as_str().unwrap()));
    let kinds: Vec<&str> = d.json["timeline"].as_array().unwrap().iter().map(|t| t["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["incident.triggered", "incident.acknowledged", "alert.resolved", "incident.resolved"]);
}

/// Now as RFC 3339 (UTC), from the system clock.
fn chrono_now() -> String {
    let d = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap();
    let secs = d.as_secs() as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z", rem / 3600, rem % 3600 / 60, rem % 60, d.subsec_millis())
}
