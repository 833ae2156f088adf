//! GitHub Issues: opening an issue (`POST {api}/repos/{owner}/{repo}/issues`, a token as
//! `Authorization: Bearer`, the REST API's media type, version header and a User-Agent),
//! reading its 201 answer (`number`, `html_url`) into the key `owner/repo#number` and its link,
//! and reading the `issues` webhook (`X-GitHub-Event: issues`, signed
//! `X-Hub-Signature-256: sha256=<hex>`): action `closed` closes the item.

use serde_json::{json, Value};

use super::{base, check_signature, excerpt, CreatedTicket, HookError, Inbound, TicketError, TicketItem, TicketRequest};
use crate::action_items::TicketSystem;

/// The public REST API's root.
pub const DEFAULT_API: &str = "https://api.github.com";
/// The REST API version requested.
pub const API_VERSION: &str = "2022-11-28";

/// The repository issues are opened in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GithubConfig<'a> {
    /// `https://api.github.com` (or a GitHub Enterprise Server's `https://HOST/api/v3`).
    pub api_url: &'a str,
    pub owner: &'a str,
    pub repo: &'a str,
}

/// An owner or repository name as GitHub allows them (letters, digits, `-`, `_`, `.`).
pub fn valid_name(s: &str) -> bool {
    !s.is_empty() && s.len() <= 100 && s != "." && s != ".." && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// `s` as a Markdown code span: nothing inside is formatting, a link, an `@` mention or an
/// `#123` reference. The fence is one backtick longer than the longest run inside; control
/// characters become spaces.
pub fn code_span(s: &str) -> String {
    let s: String = s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    let longest = s.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let pad = if s.starts_with('`') || s.ends_with('`') || (s.starts_with(' ') && s.ends_with(' ')) { " " } else { "" };
    format!("{fence}{pad}{s}{pad}{fence}")
}

/// The issue body: Markdown, one line per fact; the free text (incident, owner) in code spans.
pub fn issue_body(item: &TicketItem<'_>) -> Value {
    let safe = TicketItem { incident: item.incident.as_deref().map(code_span), ..item.clone() };
    let owner = item.owner.map(code_span);
    let safe = TicketItem { owner: owner.as_deref(), ..safe };
    json!({"title": item.title, "body": safe.lines().join("\n\n"), "labels": ["tocsin"]})
}

pub fn create_request(cfg: &GithubConfig<'_>, token: &str, item: &TicketItem<'_>) -> TicketRequest {
    TicketRequest {
        url: format!("{}/repos/{}/{}/issues", base(cfg.api_url), cfg.owner, cfg.repo),
        headers: vec![
            ("Authorization", format!("Bearer {token}")),
            ("Accept", "application/vnd.github+json".into()),
            ("X-GitHub-Api-Version", API_VERSION.into()),
            ("User-Agent", "Tocsin".into()),
            ("Content-Type", "application/json".into()),
        ],
        body: issue_body(item).to_string(),
    }
}

/// The key of issue `number` in `owner/repo`.
pub fn key(owner: &str, repo: &str, number: i64) -> String {
    format!("{owner}/{repo}#{number}")
}

/// The canonical `owner/repo` in an issue's `html_url` (`https://HOST/owner/repo/issues/N`).
fn canonical_repo(html_url: &str, number: i64) -> Option<(String, String)> {
    let parts: Vec<&str> = html_url.trim_end_matches('/').rsplit('/').take(4).collect();
    match parts[..] {
        [n, "issues", repo, owner] if n == number.to_string() && valid_name(owner) && valid_name(repo) => Some((owner.to_string(), repo.to_string())),
        _ => None,
    }
}

/// Reads GitHub's answer: 201 with `number` and `html_url`. The key uses the repository's
/// canonical owner/repo from `html_url` (webhooks name it so), not the configuration's spelling.
pub fn parse_created(cfg: &GithubConfig<'_>, status: Option<u16>, body: &str) -> Result<CreatedTicket, TicketError> {
    if status != Some(201) {
        // Only GitHub's own `message` field (capped), never the raw body.
        let detail = serde_json::from_str::<Value>(body).ok().and_then(|v| v["message"].as_str().and_then(excerpt));
        return Err(TicketError::Vendor { system: TicketSystem::Github, status, detail });
    }
    let v: Value = serde_json::from_str(body).map_err(|_| TicketError::Unreadable { system: TicketSystem::Github, missing: "a JSON body" })?;
    let number = v["number"].as_i64().filter(|n| *n > 0).ok_or(TicketError::Unreadable { system: TicketSystem::Github, missing: "the issue number" })?;
    let url = v["html_url"]
        .as_str()
        .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
        .ok_or(TicketError::Unreadable { system: TicketSystem::Github, missing: "html_url" })?;
    let (owner, repo) = canonical_repo(url, number).unwrap_or_else(|| (cfg.owner.to_string(), cfg.repo.to_string()));
    Ok(CreatedTicket { key: key(&owner, &repo, number), url: url.to_string() })
}

/// Reads a webhook GitHub sent: the signature first, then the event. An `issues` event with
/// action `closed` closes the item of `full_name#number`, as of `issue.closed_at` (else
/// `issue.updated_at`). GitHub stamps those to the second, so a stamp without a fraction is read
/// as the last millisecond of its second: the close then counts as after anything Tocsin did to
/// the item within that second (storing the ticket a moment before), while a reopen in a later
/// second still wins.
pub fn read_webhook(secret: &str, event: Option<&str>, body: &[u8], signature: Option<&str>) -> Result<Inbound, HookError> {
    check_signature(secret, body, signature)?;
    if event != Some("issues") {
        return Ok(Inbound::Ignored); // `ping` when the hook is created, and anything else
    }
    let v: Value = serde_json::from_slice(body).map_err(|e| HookError::BadBody(e.to_string()))?;
    if v["action"].as_str() != Some("closed") {
        return Ok(Inbound::Ignored);
    }
    let number = v["issue"]["number"].as_i64().ok_or_else(|| HookError::BadBody("issue.number is missing".into()))?;
    let full = v["repository"]["full_name"].as_str().ok_or_else(|| HookError::BadBody("repository.full_name is missing".into()))?;
    let at = ["closed_at", "updated_at"]
        .iter()
        .find_map(|f| v["issue"][f].as_str().and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok()))
        .map(|t| if t.timestamp_subsec_millis() == 0 { t.timestamp_millis() + 999 } else { t.timestamp_millis() });
    Ok(Inbound::Done { key: format!("{full}#{number}"), at })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vendors::signature::hmac_sha256_hex;

    fn cfg() -> GithubConfig<'static> {
        GithubConfig { api_url: DEFAULT_API, owner: "octocat", repo: "Hello-World" }
    }

    #[test]
    fn the_request_is_create_an_issue() {
        let item = TicketItem { title: "Runbook for failover", priority: "low", kind: "runbook", owner: None, due_day: Some("2026-07-01"), link: None, incident: None };
        let r = create_request(&cfg(), "ghp_x", &item);
        assert_eq!(r.url, "https://api.github.com/repos/octocat/Hello-World/issues");
        let h = |n: &str| r.headers.iter().find(|(k, _)| *k == n).map(|(_, v)| v.as_str());
        assert_eq!(h("Authorization"), Some("Bearer ghp_x"));
        assert_eq!(h("Accept"), Some("application/vnd.github+json"));
        assert_eq!(h("X-GitHub-Api-Version"), Some("2022-11-28"));
        assert_eq!(h("User-Agent"), Some("Tocsin"));
        let body: Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(body["title"], "Runbook for failover");
        assert_eq!(body["body"], "Action item from Tocsin (low priority, runbook).\n\nDue: 2026-07-01");
        assert!(valid_name("Hello-World") && valid_name("my.repo_2"));
        assert!(!valid_name("a/b") && !valid_name("..") && !valid_name(""));
    }

    #[test]
    fn free_text_in_the_body_is_inert_markdown() {
        assert_eq!(code_span("Checkout down"), "`Checkout down`");
        assert_eq!(code_span("a `b` c"), "``a `b` c``");
        assert_eq!(code_span("`x``"), "``` `x`` ```");
        assert_eq!(code_span("two\nlines"), "`two lines`");
        let item = TicketItem {
            title: "Fix it",
            priority: "high",
            kind: "fix",
            owner: Some("@here *Eve*"),
            due_day: None,
            link: None,
            incident: Some("Incident #12: @octo-org/admins [click](https://evil.io) ![x](https://evil.io/p.png) `".into()),
        };
        let body = issue_body(&item)["body"].as_str().unwrap().to_string();
        assert_eq!(
            body,
            "Action item from Tocsin (high priority, fix).\n\nIncident: `` Incident #12: @octo-org/admins [click](https://evil.io) ![x](https://evil.io/p.png) ` ``\n\nOwner: `@here *Eve*`"
        );
    }

    #[test]
    fn the_201_answer_gives_number_and_link() {
        // From GitHub's documented example answer (trimmed).
        let body = r#"{"id":1,"node_id":"MDU6SXNzdWUx","url":"https://api.github.com/repos/octocat/Hello-World/issues/1347","number":1347,"state":"open","title":"Found a bug","html_url":"https://github.com/octocat/Hello-World/issues/1347"}"#;
        let t = parse_created(&cfg(), Some(201), body).unwrap();
        assert_eq!(t, CreatedTicket { key: "octocat/Hello-World#1347".into(), url: "https://github.com/octocat/Hello-World/issues/1347".into() });
        // Typed in another case: the key is the canonical name GitHub answers with.
        let typed = GithubConfig { api_url: DEFAULT_API, owner: "OCTOCAT", repo: "hello-world" };
        assert_eq!(parse_created(&typed, Some(201), body).unwrap().key, "octocat/Hello-World#1347");
        // Only the message field is echoed, never the raw body.
        let e = parse_created(&cfg(), Some(502), "<html>secret upstream page</html>").unwrap_err();
        assert_eq!(e.to_string(), "GitHub answered HTTP 502");
        let e = parse_created(&cfg(), Some(401), r#"{"message":"Bad credentials","documentation_url":"https://docs.github.com/rest"}"#).unwrap_err();
        assert_eq!(e.to_string(), "GitHub answered HTTP 401: Bad credentials");
        assert!(matches!(parse_created(&cfg(), Some(201), r#"{"number":3,"html_url":"javascript:x"}"#), Err(TicketError::Unreadable { .. })));
    }

    fn closed() -> String {
        json!({
            "action": "closed",
            "issue": {"url": "https://api.github.com/repos/octocat/Hello-World/issues/1347", "html_url": "https://github.com/octocat/Hello-World/issues/1347", "number": 1347, "state": "closed", "state_reason": "completed", "updated_at": "2026-06-15T10:00:05Z", "closed_at": "2026-06-15T10:00:04Z"},
            "repository": {"id": 1296269, "name": "Hello-World", "full_name": "octocat/Hello-World"},
            "sender": {"login": "octocat"}
        })
        .to_string()
    }

    #[test]
    fn a_signed_closed_event_closes_the_item() {
        let body = closed();
        let sig = format!("sha256={}", hmac_sha256_hex(b"ghsecret", body.as_bytes()));
        assert_eq!(read_webhook("ghsecret", Some("issues"), body.as_bytes(), Some(&sig)), Ok(Inbound::Done { key: "octocat/Hello-World#1347".into(), at: Some(1_781_517_604_999) }), "a whole-second stamp reads as the end of its second");
        assert_eq!(read_webhook("ghsecret", Some("ping"), body.as_bytes(), Some(&sig)), Ok(Inbound::Ignored));
        assert_eq!(read_webhook("wrong", Some("issues"), body.as_bytes(), Some(&sig)), Err(HookError::BadSignature));
        let tampered = body.replace("1347", "1348");
        assert_eq!(read_webhook("ghsecret", Some("issues"), tampered.as_bytes(), Some(&sig)), Err(HookError::BadSignature));
        let reopened = body.replace("\"closed\"", "\"reopened\"");
        let sig = format!("sha256={}", hmac_sha256_hex(b"ghsecret", reopened.as_bytes()));
        assert_eq!(read_webhook("ghsecret", Some("issues"), reopened.as_bytes(), Some(&sig)), Ok(Inbound::Ignored));
    }
}
