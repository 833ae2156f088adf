//! A minimal W3C WebDriver client for chromedriver + headless Chromium, emulating a phone
//! (390×844 CSS pixels). Enough to tap, type, read text and take screenshots.

use base64::Engine;
use serde_json::{json, Value};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use ureq::Agent;

use crate::{free_port, wait_for};

const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";
const ANDROID_UA: &str = "Mozilla/5.0 (Linux; Android 15; Pixel 9) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Mobile Safari/537.36";

pub struct Browser {
    driver: Child,
    base: String,
    session: String,
    agent: Agent,
    profile: PathBuf,
}

pub struct Element<'a> {
    browser: &'a Browser,
    id: String,
}

fn find_binary(env: &str, candidates: &[&str]) -> String {
    if let Ok(p) = std::env::var(env) {
        return p;
    }
    candidates
        .iter()
        .find(|c| std::path::Path::new(c).exists())
        .map(|s| s.to_string())
        .unwrap_or_else(|| panic!("none of {candidates:?} exists; install chromium and chromium-driver (./tocsin test does)"))
}

impl Browser {
    /// Starts chromedriver and a headless Chromium emulating a 390×844 phone.
    pub fn phone() -> Browser {
        Self::launch(true, ANDROID_UA)
    }

    /// The same phone with JavaScript switched off (pages that must work without it).
    pub fn phone_without_javascript() -> Browser {
        Self::launch(false, ANDROID_UA)
    }

    /// A 390×844 phone that says it is another one (e.g. an iPhone's Safari).
    pub fn phone_with_user_agent(user_agent: &str) -> Browser {
        Self::launch(true, user_agent)
    }

    fn launch(javascript: bool, user_agent: &str) -> Browser {
        let chromedriver = find_binary("CHROMEDRIVER", &["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]);
        let chromium = find_binary("CHROMIUM", &["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]);
        let port = free_port();
        let driver = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let base = format!("http://127.0.0.1:{port}");
        let agent: Agent = Agent::config_builder().http_status_as_error(false).build().into();
        wait_for("chromedriver to start", Duration::from_secs(20), || {
            agent.get(&format!("{base}/status")).call().ok().filter(|r| r.status() == 200)
        });
        let profile = std::env::temp_dir().join(format!("tocsin-chromium-{}-{port}", std::process::id()));
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--disable-background-networking", "--disable-component-update", "--disable-sync",
                         "--disable-quic", "--no-first-run", "--hide-scrollbars",
                         format!("--user-data-dir={}", profile.display())],
                "prefs": {"profile.managed_default_content_settings.javascript": if javascript { 1 } else { 2 }},
                "mobileEmulation": {
                    "deviceMetrics": {"width": 390, "height": 844, "pixelRatio": 2, "touch": true, "mobile": true},
                    "userAgent": user_agent
                }
            }
        }}});
        let mut b = Browser { driver, base, session: String::new(), agent, profile };
        let v = b.call("POST", "/session", Some(caps));
        b.session = v["value"]["sessionId"].as_str().unwrap_or_else(|| panic!("no WebDriver session: {v}")).to_string();
        b
    }

    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}{path}", self.base);
        let resp = match (method, body) {
            ("GET", _) => self.agent.get(&url).call(),
            ("DELETE", _) => self.agent.delete(&url).call(),
            (_, b) => self.agent.post(&url).send_json(b.unwrap_or(json!({}))),
        };
        let mut resp = resp.unwrap_or_else(|e| panic!("WebDriver {method} {path}: {e}"));
        let v: Value = resp.body_mut().read_json().unwrap_or(Value::Null);
        if v["value"]["error"].is_string() && path != "/session" {
            return json!({"error": v["value"]["error"], "message": v["value"]["message"]});
        }
        v
    }

    fn session_call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let v = self.call(method, &format!("/session/{}{path}", self.session), body);
        if let Some(e) = v.get("error") {
            panic!("WebDriver {path}: {e} {}", v["message"]);
        }
        v["value"].clone()
    }

    pub fn goto(&self, url: &str) {
        self.session_call("POST", "/url", Some(json!({ "url": url })));
    }

    /// The first element matching a CSS selector, if any (no waiting).
    pub fn try_find(&self, css: &str) -> Option<Element<'_>> {
        let v = self.call(
            "POST",
            &format!("/session/{}/element", self.session),
            Some(json!({"using": "css selector", "value": css})),
        );
        v["value"][ELEMENT_KEY].as_str().map(|id| Element { browser: self, id: id.to_string() })
    }

    /// Waits up to 10 s for an element matching `css`.
    pub fn find(&self, css: &str) -> Element<'_> {
        wait_for(&format!("element {css}"), Duration::from_secs(10), || self.try_find(css))
    }

    /// Waits for an element matching `css` whose text contains `text`.
    pub fn find_text(&self, css: &str, text: &str, timeout: Duration) -> Element<'_> {
        wait_for(&format!("{css} containing {text:?}"), timeout, || {
            // Elements may be replaced while we look (live pages re-render): skip stale ones.
            self.find_all(css).into_iter().find(|e| e.try_text().is_some_and(|t| t.contains(text)))
        })
    }

    pub fn find_all(&self, css: &str) -> Vec<Element<'_>> {
        let v = self.call(
            "POST",
            &format!("/session/{}/elements", self.session),
            Some(json!({"using": "css selector", "value": css})),
        );
        v["value"]
            .as_array()
            .map(|a| a.iter().filter_map(|e| e[ELEMENT_KEY].as_str()).map(|id| Element { browser: self, id: id.into() }).collect())
            .unwrap_or_default()
    }

    pub fn script(&self, js: &str) -> Value {
        self.session_call("POST", "/execute/sync", Some(json!({"script": js, "args": []})))
    }

    /// Runs the body of an async function in the page and returns what it returns (WebDriver's
    /// execute/async). Panics when it throws or takes longer than 30 s.
    pub fn script_async(&self, body: &str) -> Value {
        let js = format!("const done = arguments[arguments.length - 1]; (async () => {{ {body} }})().then(done, e => done({{thrown: String(e)}}));");
        let v = self.session_call("POST", "/execute/async", Some(json!({"script": js, "args": []})));
        if let Some(t) = v.get("thrown") {
            panic!("script threw {t}: {body}");
        }
        v
    }

    /// A Chrome DevTools Protocol command on the page's target (chromedriver's goog/cdp/execute).
    pub fn cdp(&self, cmd: &str, params: Value) -> Value {
        self.session_call("POST", "/goog/cdp/execute", Some(json!({"cmd": cmd, "params": params})))
    }

    /// A number the page computes. Uses the DevTools protocol's evaluation, so it works with
    /// JavaScript switched off for the page itself.
    pub fn script_value(&self, expression: &str) -> i64 {
        let v = self.session_call(
            "POST",
            "/goog/cdp/execute",
            Some(json!({"cmd": "Runtime.evaluate", "params": {"expression": expression, "returnByValue": true}})),
        );
        v["result"]["value"].as_i64().unwrap_or_else(|| panic!("no number from {expression}: {v}"))
    }

    pub fn current_path(&self) -> String {
        self.script("return location.pathname").as_str().unwrap_or_default().to_string()
    }

    /// Saves a PNG screenshot under target/screenshots/ and returns its path.
    pub fn screenshot(&self, name: &str) -> PathBuf {
        let v = self.session_call("GET", "/screenshot", None);
        let png = base64::engine::general_purpose::STANDARD.decode(v.as_str().unwrap_or_default()).expect("base64 screenshot");
        let dir = crate::instance::root().join("target/screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).unwrap();
        path
    }
}

impl Element<'_> {
    /// Taps the element, scrolling it to the middle of the screen first as a person would
    /// (WebDriver alone does not scroll what a fixed bar covers).
    pub fn click(&self) {
        self.browser.session_call(
            "POST",
            "/execute/sync",
            Some(json!({"script": "arguments[0].scrollIntoView({block: 'center'})", "args": [{ELEMENT_KEY: self.id}]})),
        );
        self.browser.session_call("POST", &format!("/element/{}/click", self.id), Some(json!({})));
    }

    pub fn type_text(&self, text: &str) {
        self.browser.session_call("POST", &format!("/element/{}/value", self.id), Some(json!({ "text": text })));
    }

    /// The text, or `None` when the element went stale meanwhile.
    pub fn try_text(&self) -> Option<String> {
        let v = self.browser.call("GET", &format!("/session/{}/element/{}/text", self.browser.session, self.id), None);
        if v.get("error").is_some() {
            return None;
        }
        v["value"].as_str().map(str::to_string)
    }

    pub fn text(&self) -> String {
        self.browser.session_call("GET", &format!("/element/{}/text", self.id), None).as_str().unwrap_or_default().to_string()
    }

    pub fn attr(&self, name: &str) -> Option<String> {
        self.browser.session_call("GET", &format!("/element/{}/attribute/{name}", self.id), None).as_str().map(str::to_string)
    }

    pub fn prop(&self, name: &str) -> Value {
        self.browser.session_call("GET", &format!("/element/{}/property/{name}", self.id), None)
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let _ = self.call("DELETE", &format!("/session/{}", self.session), None);
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}
