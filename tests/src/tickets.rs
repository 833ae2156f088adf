//! A local stand-in for Jira Cloud and GitHub on 127.0.0.1, speaking their documented shapes:
//! Jira REST v3 `POST /rest/api/3/issue` (Basic auth with e-mail and API token; the body's
//! `fields.project.key`, `fields.issuetype.name`, `fields.summary` and an Atlassian Document
//! Format `fields.description`) answering 201 `{"id","key","self"}`; GitHub
//! `POST /repos/{owner}/{repo}/issues` (`Authorization: Bearer`, `Accept:
//! application/vnd.github+json`, `X-GitHub-Api-Version`, a `User-Agent`; body `title`, `body`)
//! answering 201 with `number` and `html_url` (the repository's canonical, lower-case name,
//! whatever case the request used). Wrong credentials get the vendor's 401 body, a
//! malformed request its 400 body; [`Tickets::fail_next`] makes the next request fail with a
//! chosen status. Every request is recorded with its headers and body.

use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, Mutex};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{json, Value};

/// One request the stand-in received.
#[derive(Debug, Clone)]
pub struct TicketCall {
    pub method: String,
    pub path: String,
    /// Header names in lower case.
    pub headers: HashMap<String, String>,
    pub body: Value,
    /// What the stand-in answered.
    pub status: u16,
}

impl TicketCall {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(&name.to_ascii_lowercase()).map(String::as_str)
    }
}

#[derive(Default)]
struct State {
    calls: Vec<TicketCall>,
    fail_next: Option<u16>,
    jira_next: u32,
    github_next: i64,
}

/// The credentials the stand-in accepts.
#[derive(Clone)]
pub struct Accepts {
    pub jira_email: String,
    pub jira_token: String,
    pub github_token: String,
}

pub struct Tickets {
    pub base: String,
    state: Arc<Mutex<State>>,
}

/// What a request gets: a status and a JSON body.
fn answer(base: &str, a: &Accepts, st: &mut State, method: &str, path: &str, headers: &HashMap<String, String>, body: &Value) -> (u16, Value) {
    if let Some(status) = st.fail_next.take() {
        return (status, json!({"errorMessages": ["The stand-in was told to fail"], "message": "Service unavailable"}));
    }
    let h = |n: &str| headers.get(n).map(String::as_str).unwrap_or("");
    if method == "POST" && path == "/rest/api/3/issue" {
        let want = format!("Basic {}", STANDARD.encode(format!("{}:{}", a.jira_email, a.jira_token)));
        if h("authorization") != want {
            return (401, json!({"errorMessages": ["You do not have permission to create issues in this project."], "errors": {}}));
        }
        let f = &body["fields"];
        let mut errors = serde_json::Map::new();
        if f["project"]["key"].as_str().unwrap_or("").is_empty() {
            errors.insert("project".into(), json!("Specify a valid project ID or key"));
        }
        if f["issuetype"]["name"].as_str().unwrap_or("").is_empty() {
            errors.insert("issuetype".into(), json!("Specify an issue type"));
        }
        if f["summary"].as_str().unwrap_or("").is_empty() {
            errors.insert("summary".into(), json!("You must specify a summary of the issue."));
        }
        if f["description"]["type"] != "doc" || f["description"]["version"] != 1 || !f["description"]["content"].is_array() {
            errors.insert("description".into(), json!("Operation value must be an Atlassian Document (see the Atlassian Document Format)"));
        }
        if !errors.is_empty() {
            return (400, json!({"errorMessages": [], "errors": errors}));
        }
        st.jira_next += 1;
        let id = 10000 + st.jira_next;
        let key = format!("{}-{}", f["project"]["key"].as_str().unwrap(), st.jira_next);
        return (201, json!({"id": id.to_string(), "key": key, "self": format!("{base}/rest/api/3/issue/{id}")}));
    }
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    if method == "POST" && parts.len() == 4 && parts[0] == "repos" && parts[3] == "issues" {
        if h("authorization") != format!("Bearer {}", a.github_token) {
            return (401, json!({"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest", "status": "401"}));
        }
        if h("accept") != "application/vnd.github+json" || h("x-github-api-version").is_empty() || h("user-agent").is_empty() {
            return (400, json!({"message": "Accept, X-GitHub-Api-Version and User-Agent are required"}));
        }
        if body["title"].as_str().unwrap_or("").is_empty() {
            return (422, json!({"message": "Validation Failed", "errors": [{"resource": "Issue", "code": "missing_field", "field": "title"}]}));
        }
        st.github_next += 1;
        let n = 1346 + st.github_next;
        // GitHub's names are case-insensitive; its answers use the canonical spelling (here:
        // lower case), whatever case the request used.
        let (owner, repo) = (parts[1].to_ascii_lowercase(), parts[2].to_ascii_lowercase());
        return (
            201,
            json!({
                "id": 1_000_000 + n, "node_id": "MDU6SXNzdWUx", "number": n, "state": "open", "title": body["title"], "body": body["body"],
                "url": format!("{base}/repos/{owner}/{repo}/issues/{n}"),
                "html_url": format!("https://github.com/{owner}/{repo}/issues/{n}"),
                "user": {"login": "tocsin-bot"}, "labels": [], "comments": 0
            }),
        );
    }
    (404, json!({"message": "Not Found"}))
}

impl Tickets {
    pub fn start(accepts: Accepts) -> Tickets {
        let state = Arc::new(Mutex::new(State::default()));
        let st = state.clone();
        // The handler needs the base URL it answers with ("self", "url"): set once it is known.
        let own = Arc::new(std::sync::OnceLock::<String>::new());
        let b = own.clone();
        let base = crate::serve::spawn(move |req, stream| {
            let crate::serve::Request { method, path, headers, body: raw } = req;
            let body: Value = serde_json::from_slice(&raw).unwrap_or(Value::Null);
            let (status, reply) = {
                let mut s = st.lock().unwrap();
                let (status, reply) = answer(b.get().map(String::as_str).unwrap_or(""), &accepts, &mut s, &method, &path, &headers, &body);
                s.calls.push(TicketCall { method, path, headers, body, status });
                (status, reply)
            };
            let text = reply.to_string();
            let mut s = stream;
            let _ = write!(s, "HTTP/1.1 {status} Stand-in\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}", text.len());
        });
        own.set(base.clone()).unwrap();
        Tickets { base, state }
    }

    /// The next request (whatever it is) is answered with `status`.
    pub fn fail_next(&self, status: u16) {
        self.state.lock().unwrap().fail_next = Some(status);
    }

    /// Every request so far whose path starts with `prefix`.
    pub fn calls(&self, prefix: &str) -> Vec<TicketCall> {
        self.state.lock().unwrap().calls.iter().filter(|c| c.path.starts_with(prefix)).cloned().collect()
    }
}
