//! Jira Cloud: opening an issue with REST API v3 (`POST {base}/rest/api/3/issue`, Basic auth
//! with the account's e-mail and an API token, the description in Atlassian Document Format),
//! reading its 201 answer (`id`, `key`, `self`) into the key and the browse link
//! `{base}/browse/{key}`, and reading the `jira:issue_updated` webhook of an admin webhook
//! registered with a secret (Jira signs the raw body: `X-Hub-Signature: sha256=<hex>`): the
//! issue is done when its status category is `done`.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{json, Value};

use super::{base, check_signature, excerpt, CreatedTicket, HookError, Inbound, TicketError, TicketItem, TicketRequest};
use crate::action_items::TicketSystem;

/// Where and as what issues are opened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JiraConfig<'a> {
    /// `https://<site>.atlassian.net`.
    pub base_url: &'a str,
    pub email: &'a str,
    pub project_key: &'a str,
    /// `Task`, `Bug`, …
    pub issue_type: &'a str,
}

/// `Authorization: Basic base64(email:api_token)`.
pub fn basic_auth(email: &str, api_token: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{email}:{api_token}")))
}

/// An Atlassian Document Format document: one paragraph per line of plain text.
pub fn adf(lines: &[String]) -> Value {
    let content: Vec<Value> = lines.iter().map(|l| json!({"type": "paragraph", "content": [{"type": "text", "text": l}]})).collect();
    json!({"type": "doc", "version": 1, "content": content})
}

/// The request body of `POST /rest/api/3/issue`.
pub fn issue_body(cfg: &JiraConfig<'_>, item: &TicketItem<'_>) -> Value {
    json!({
        "fields": {
            "project": {"key": cfg.project_key},
            "issuetype": {"name": cfg.issue_type},
            "summary": item.title,
            "description": adf(&item.lines()),
            "labels": ["tocsin"],
        }
    })
}

/// The whole request (`api_token` goes into the header only).
pub fn create_request(cfg: &JiraConfig<'_>, api_token: &str, item: &TicketItem<'_>) -> TicketRequest {
    TicketRequest {
        url: format!("{}/rest/api/3/issue", base(cfg.base_url)),
        headers: vec![
            ("Authorization", basic_auth(cfg.email, api_token)),
            ("Accept", "application/json".into()),
            ("Content-Type", "application/json".into()),
        ],
        body: issue_body(cfg, item).to_string(),
    }
}

/// Reads Jira's answer: 201 with `{"id","key","self"}` → the key and `{base}/browse/{key}`.
pub fn parse_created(base_url: &str, status: Option<u16>, body: &str) -> Result<CreatedTicket, TicketError> {
    if status != Some(201) {
        // Jira's errors: {"errorMessages":[…],"errors":{"field":"message"}}.
        let detail = serde_json::from_str::<Value>(body)
            .ok()
            .and_then(|v| {
                let mut words: Vec<String> = v["errorMessages"].as_array().into_iter().flatten().filter_map(|m| m.as_str().map(str::to_string)).collect();
                if let Some(errs) = v["errors"].as_object() {
                    words.extend(errs.iter().map(|(k, m)| format!("{k}: {}", m.as_str().unwrap_or_default())));
                }
                excerpt(&words.join("; "))
            }); // only Jira's own error fields (capped), never the raw body
        return Err(TicketError::Vendor { system: TicketSystem::Jira, status, detail });
    }
    let v: Value = serde_json::from_str(body).map_err(|_| TicketError::Unreadable { system: TicketSystem::Jira, missing: "a JSON body" })?;
    let key = v["key"].as_str().filter(|k| valid_key(k)).ok_or(TicketError::Unreadable { system: TicketSystem::Jira, missing: "an issue key" })?;
    Ok(CreatedTicket { key: key.to_string(), url: format!("{}/browse/{key}", base(base_url)) })
}

/// A Jira issue key: `PROJECT-123` (letters, digits, underscores; a dash; digits).
fn valid_key(k: &str) -> bool {
    let Some((p, n)) = k.rsplit_once('-') else { return false };
    !p.is_empty() && p.len() <= 64 && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') && !n.is_empty() && n.len() <= 12 && n.chars().all(|c| c.is_ascii_digit())
}

/// Reads a webhook Jira sent: checks `X-Hub-Signature` first, then the event. A
/// `jira:issue_updated` whose issue's status category is `done` closes the item.
pub fn read_webhook(secret: &str, body: &[u8], signature: Option<&str>) -> Result<Inbound, HookError> {
    check_signature(secret, body, signature)?;
    let v: Value = serde_json::from_slice(body).map_err(|e| HookError::BadBody(e.to_string()))?;
    if v["webhookEvent"].as_str() != Some("jira:issue_updated") {
        return Ok(Inbound::Ignored);
    }
    let key = v["issue"]["key"].as_str().ok_or_else(|| HookError::BadBody("issue.key is missing".into()))?;
    match v["issue"]["fields"]["status"]["statusCategory"]["key"].as_str() {
        Some("done") => Ok(Inbound::Done { key: key.to_string(), at: v["timestamp"].as_i64() }),
        _ => Ok(Inbound::Ignored),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vendors::signature::hmac_sha256_hex;

    fn cfg() -> JiraConfig<'static> {
        JiraConfig { base_url: "https://acme.atlassian.net/", email: "bot@acme.io", project_key: "OPS", issue_type: "Task" }
    }

    fn item() -> TicketItem<'static> {
        TicketItem { title: "Alert on DB connections", priority: "high", kind: "monitoring", owner: Some("Ana"), due_day: None, link: None, incident: None }
    }

    #[test]
    fn the_request_is_rest_v3_create_issue() {
        let r = create_request(&cfg(), "tok3n", &item());
        assert_eq!(r.url, "https://acme.atlassian.net/rest/api/3/issue");
        // base64("bot@acme.io:tok3n")
        assert_eq!(r.headers[0], ("Authorization", "Basic Ym90QGFjbWUuaW86dG9rM24=".to_string()));
        let body: Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(body["fields"]["project"]["key"], "OPS");
        assert_eq!(body["fields"]["issuetype"]["name"], "Task");
        assert_eq!(body["fields"]["summary"], "Alert on DB connections");
        let d = &body["fields"]["description"];
        assert_eq!((d["type"].as_str(), d["version"].as_i64()), (Some("doc"), Some(1)));
        assert_eq!(d["content"][0]["type"], "paragraph");
        assert_eq!(d["content"][0]["content"][0], json!({"type": "text", "text": "Action item from Tocsin (high priority, monitoring)."}));
        assert_eq!(d["content"][1]["content"][0]["text"], "Owner: Ana");
        assert!(!r.body.contains("tok3n"));
    }

    #[test]
    fn the_201_answer_gives_key_and_browse_link() {
        // Jira's documented example answer.
        let body = r#"{"id":"10000","key":"ED-24","self":"https://your-domain.atlassian.net/rest/api/3/issue/10000","transition":{"status":200,"errorCollection":{"errorMessages":[],"errors":{}}}}"#;
        let t = parse_created("https://acme.atlassian.net/", Some(201), body).unwrap();
        assert_eq!(t, CreatedTicket { key: "ED-24".into(), url: "https://acme.atlassian.net/browse/ED-24".into() });
        let e = parse_created("https://acme.atlassian.net", Some(400), r#"{"errorMessages":[],"errors":{"project":"Specify a valid project ID or key"}}"#).unwrap_err();
        assert_eq!(e.to_string(), "Jira answered HTTP 400: project: Specify a valid project ID or key");
        assert_eq!(parse_created("x", Some(401), "").unwrap_err().to_string(), "Jira answered HTTP 401");
        assert_eq!(parse_created("x", Some(500), "<html>upstream stack trace</html>").unwrap_err().to_string(), "Jira answered HTTP 500");
        assert!(matches!(parse_created("x", Some(201), r#"{"key":"<b>"}"#), Err(TicketError::Unreadable { .. })));
        assert!(matches!(parse_created("x", None, ""), Err(TicketError::Vendor { status: None, .. })));
    }

    fn hook(category: &str) -> String {
        // The shape of Jira Cloud's issue_updated webhook (trimmed).
        json!({
            "timestamp": 1_750_000_000_000_i64,
            "webhookEvent": "jira:issue_updated",
            "issue_event_type_name": "issue_generic",
            "user": {"accountId": "5b10a2844c20165700ede21g", "displayName": "Ana"},
            "issue": {
                "id": "10000",
                "self": "https://acme.atlassian.net/rest/api/2/10000",
                "key": "OPS-7",
                "fields": {"summary": "Alert on DB connections", "status": {"name": "Done", "id": "10001", "statusCategory": {"id": 3, "key": category, "name": "Done"}}}
            },
            "changelog": {"id": "10002", "items": [{"field": "status", "fieldtype": "jira", "from": "3", "fromString": "In Progress", "to": "10001", "toString": "Done"}]}
        })
        .to_string()
    }

    #[test]
    fn a_signed_done_update_closes_the_item() {
        let body = hook("done");
        let sig = format!("sha256={}", hmac_sha256_hex(b"jsecret", body.as_bytes()));
        assert_eq!(read_webhook("jsecret", body.as_bytes(), Some(&sig)), Ok(Inbound::Done { key: "OPS-7".into(), at: Some(1_750_000_000_000) }));
        let body = hook("indeterminate");
        let sig = format!("sha256={}", hmac_sha256_hex(b"jsecret", body.as_bytes()));
        assert_eq!(read_webhook("jsecret", body.as_bytes(), Some(&sig)), Ok(Inbound::Ignored));
        assert_eq!(read_webhook("other", body.as_bytes(), Some(&sig)), Err(HookError::BadSignature));
        assert_eq!(read_webhook("jsecret", body.as_bytes(), None), Err(HookError::Unsigned));
        let created = json!({"webhookEvent": "jira:issue_created", "issue": {"key": "OPS-8"}}).to_string();
        let sig = format!("sha256={}", hmac_sha256_hex(b"jsecret", created.as_bytes()));
        assert_eq!(read_webhook("jsecret", created.as_bytes(), Some(&sig)), Ok(Inbound::Ignored));
    }
}
