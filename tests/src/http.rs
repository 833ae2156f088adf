//! A small JSON client for the API that keeps a session cookie like a browser would.

use serde_json::Value;
use std::sync::Mutex;
use ureq::Agent;

pub struct Api {
    base: String,
    agent: Agent,
    cookie: Mutex<Option<String>>,
    bearer: Mutex<Option<String>>,
}

/// An answer: status, headers we care about, and the body as JSON (Null when not JSON).
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub json: Value,
    pub text: String,
    pub set_cookie: Option<String>,
    pub retry_after: Option<String>,
    /// Every response header, names in lower case.
    pub headers: Vec<(String, String)>,
}

impl Reply {
    /// `error.field` of an error answer.
    /// A response header by (case-insensitive) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers.iter().find(|(k, _)| *k == name).map(|(_, v)| v.as_str())
    }

    pub fn field(&self) -> &str {
        self.json["error"]["field"].as_str().unwrap_or("")
    }
    pub fn code(&self) -> &str {
        self.json["error"]["code"].as_str().unwrap_or("")
    }
}

/// The tests' HTTP agent. For https test instances (self-signed certificates) it does not verify
/// the certificate; the vendors' clients under test do, with the instance's certificate.
pub fn agent(https: bool) -> Agent {
    let tls = ureq::tls::TlsConfig::builder().disable_verification(https).build();
    Agent::config_builder().http_status_as_error(false).max_redirects(0).tls_config(tls).build().into()
}

impl Api {
    pub fn new(base: &str) -> Api {
        Api { base: base.to_string(), agent: agent(base.starts_with("https://")), cookie: Mutex::new(None), bearer: Mutex::new(None) }
    }

    pub fn with_bearer(base: &str, token: &str) -> Api {
        let api = Api::new(base);
        *api.bearer.lock().unwrap() = Some(token.to_string());
        api
    }

    pub fn cookie(&self) -> Option<String> {
        self.cookie.lock().unwrap().clone()
    }

    pub fn get(&self, path: &str) -> Reply {
        self.send("GET", path, None, &[])
    }

    pub fn post(&self, path: &str, body: Value) -> Reply {
        self.send("POST", path, Some(body.to_string().into_bytes()), &[])
    }

    pub fn post_raw(&self, path: &str, body: Vec<u8>) -> Reply {
        self.send("POST", path, Some(body), &[])
    }

    pub fn patch(&self, path: &str, body: Value) -> Reply {
        self.send("PATCH", path, Some(body.to_string().into_bytes()), &[])
    }

    pub fn send(&self, method: &str, path: &str, body: Option<Vec<u8>>, headers: &[(&str, &str)]) -> Reply {
        let url = format!("{}{path}", self.base);
        let mut req = ureq::http::Request::builder().method(method).uri(&url);
        if let Some(c) = self.cookie() {
            req = req.header("Cookie", c);
        }
        if let Some(b) = self.bearer.lock().unwrap().clone() {
            req = req.header("Authorization", format!("Bearer {b}"));
        }
        // As the app does: every write is JSON (cookie-authenticated writes must be), body or not.
        if body.is_some() || method != "GET" {
            req = req.header("Content-Type", "application/json");
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let req = req.body(body.unwrap_or_default()).unwrap();
        let mut resp = self.agent.run(req).unwrap_or_else(|e| panic!("{method} {url}: {e}"));
        let status = resp.status().as_u16();
        let header = |name: &str| resp.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
        let set_cookie = header("set-cookie");
        let retry_after = header("retry-after");
        let headers = resp.headers().iter().map(|(k, v)| (k.as_str().to_ascii_lowercase(), v.to_str().unwrap_or("").to_string())).collect();
        if let Some(sc) = &set_cookie {
            let pair = sc.split(';').next().unwrap_or("").to_string();
            *self.cookie.lock().unwrap() = if pair.ends_with('=') { None } else { Some(pair) };
        }
        let text = resp.body_mut().read_to_string().unwrap_or_default();
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Reply { status, json, text, set_cookie, retry_after, headers }
    }
}

/// Someone of the organisation with a session of their own (see [`Person::add`]).
pub struct Person {
    pub api: Api,
    pub id: String,
    pub name: String,
}

impl Person {
    /// A new person of `role`, named `first` plus a unique suffix, created by `admin` with a
    /// password and logged in on `base`.
    pub fn add(admin: &Api, base: &str, first: &str, role: &str) -> Person {
        let name = crate::unique(first);
        let email = format!("{}@example.com", name.to_ascii_lowercase());
        let r = admin.post("/api/users", serde_json::json!({"email": email, "name": name, "role": role, "password": "a long password"}));
        assert_eq!(r.status, 201, "{}", r.text);
        let api = Api::new(base);
        let l = api.post("/api/auth/login", serde_json::json!({"email": email, "password": "a long password"}));
        assert_eq!(l.status, 200, "{}", l.text);
        Person { api, id: r.json["user"]["id"].as_str().unwrap().to_string(), name }
    }
}
