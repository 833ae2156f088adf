//! Ticket systems an action item can be sent to (Jira Cloud, GitHub Issues): the request that
//! opens a ticket, reading the vendor's answer into a key and a link, and reading the vendor's
//! webhook (after checking its signature) into "this ticket is done". Plain data in and out:
//! the worker sends the request and stores what comes back.

pub mod github;
pub mod jira;

use crate::action_items::TicketSystem;
use crate::validation::{http_url, FieldError};
use crate::vendors::signature::verify_hmac_sha256_hex;

/// A request to send: method POST, the full URL, headers (credentials included: never log
/// them) and the JSON body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TicketRequest {
    pub url: String,
    pub headers: Vec<(&'static str, String)>,
    pub body: String,
}

/// What an action item says in the ticket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TicketItem<'a> {
    pub title: &'a str,
    pub priority: &'a str,
    pub kind: &'a str,
    pub owner: Option<&'a str>,
    pub due_day: Option<&'a str>,
    /// A link back to the item (or its incident) in Tocsin, when the app's address is known.
    pub link: Option<String>,
    /// "Incident #12: Checkout down", when the item came from one.
    pub incident: Option<String>,
}

impl TicketItem<'_> {
    /// The description's lines (plain text; each vendor formats them its own way).
    pub fn lines(&self) -> Vec<String> {
        let mut out = vec![format!("Action item from Tocsin ({} priority, {}).", self.priority, self.kind)];
        if let Some(i) = &self.incident {
            out.push(format!("Incident: {i}"));
        }
        if let Some(o) = self.owner {
            out.push(format!("Owner: {o}"));
        }
        if let Some(d) = self.due_day {
            out.push(format!("Due: {d}"));
        }
        if let Some(l) = &self.link {
            out.push(format!("In Tocsin: {l}"));
        }
        out
    }
}

/// A ticket the vendor opened: its key (`OPS-7`, `acme/api#12`) and where people see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CreatedTicket {
    pub key: String,
    pub url: String,
}

/// Why a ticket was not opened.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TicketError {
    /// The vendor answered with something other than 201 (or not at all: `status` None).
    #[error("{} answered {}{}", .system.label(), status_words(*.status), detail_words(.detail))]
    Vendor { system: TicketSystem, status: Option<u16>, detail: Option<String> },
    /// It answered 201 with a body this version cannot read.
    #[error("{} answered 201 without {missing}", .system.label())]
    Unreadable { system: TicketSystem, missing: &'static str },
}

fn status_words(status: Option<u16>) -> String {
    status.map(|s| format!("HTTP {s}")).unwrap_or_else(|| "nothing (no connection or timed out)".into())
}

fn detail_words(d: &Option<String>) -> String {
    d.as_ref().map(|d| format!(": {d}")).unwrap_or_default()
}

/// What an inbound webhook means for the item behind a ticket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Inbound {
    /// The ticket `key` is done (at `at`, epoch ms, by the vendor's clock): close its item,
    /// unless the item changed (was reopened) since then.
    Done { key: String, at: Option<i64> },
    /// Anything else (another event, a ticket not yet done).
    Ignored,
}

/// Why an inbound webhook was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HookError {
    #[error("the signature header is missing")]
    Unsigned,
    #[error("the signature does not match the body")]
    BadSignature,
    #[error("the body is not the vendor's JSON: {0}")]
    BadBody(String),
}

/// Checks `header` (`sha256=<hex>`, the HMAC-SHA256 of the raw body under `secret`) in
/// constant time. Both Jira's `X-Hub-Signature` and GitHub's `X-Hub-Signature-256` are this.
pub fn check_signature(secret: &str, body: &[u8], header: Option<&str>) -> Result<(), HookError> {
    let h = header.map(str::trim).filter(|h| !h.is_empty()).ok_or(HookError::Unsigned)?;
    let hex = h.strip_prefix("sha256=").ok_or(HookError::BadSignature)?;
    if verify_hmac_sha256_hex(secret.as_bytes(), body, hex) {
        Ok(())
    } else {
        Err(HookError::BadSignature)
    }
}

/// A short, printable excerpt of a vendor's error body (its own words, no credentials of ours).
pub fn excerpt(body: &str) -> Option<String> {
    let one: String = body.split_whitespace().collect::<Vec<_>>().join(" ");
    let cut: String = one.chars().filter(|c| !c.is_control()).take(200).collect();
    (!cut.is_empty()).then_some(cut)
}

/// Trims a configured base URL's trailing slashes.
pub fn base(url: &str) -> String {
    url.trim().trim_end_matches('/').to_string()
}

/// A vendor's base URL as configured: an http(s) URL without query or fragment (paths are
/// appended to it), https unless the host is this machine (`localhost`, `127.0.0.1`: a local
/// stand-in); trailing slashes trimmed.
pub fn base_url(field: &str, raw: &str) -> Result<String, FieldError> {
    let u = http_url(field, raw)?;
    if u.contains(['?', '#']) {
        return Err(FieldError::new(field, "must not have a query (?) or fragment (#)"));
    }
    if let Some(rest) = u.strip_prefix("http://") {
        let authority = rest.split('/').next().unwrap_or_default();
        let host = authority.rsplit_once(':').map_or(authority, |(h, _)| h);
        if !matches!(host.to_ascii_lowercase().as_str(), "localhost" | "127.0.0.1") {
            return Err(FieldError::new(field, "must be an https:// URL"));
        }
    }
    Ok(base(&u))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vendors::signature::hmac_sha256_hex;

    #[test]
    fn signatures_are_checked() {
        let body = br#"{"action":"closed"}"#;
        let good = format!("sha256={}", hmac_sha256_hex(b"s3cret", body));
        assert_eq!(check_signature("s3cret", body, Some(&good)), Ok(()));
        assert_eq!(check_signature("other", body, Some(&good)), Err(HookError::BadSignature));
        assert_eq!(check_signature("s3cret", b"{\"action\":\"opened\"}", Some(&good)), Err(HookError::BadSignature));
        assert_eq!(check_signature("s3cret", body, Some(good.trim_start_matches("sha256="))), Err(HookError::BadSignature));
        assert_eq!(check_signature("s3cret", body, None), Err(HookError::Unsigned));
        assert_eq!(check_signature("s3cret", body, Some("sha256=zz")), Err(HookError::BadSignature));
    }

    #[test]
    fn errors_name_the_vendor_and_status() {
        let e = TicketError::Vendor { system: TicketSystem::Jira, status: Some(400), detail: Some("project is required".into()) };
        assert_eq!(e.to_string(), "Jira answered HTTP 400: project is required");
        let e = TicketError::Vendor { system: TicketSystem::Github, status: None, detail: None };
        assert_eq!(e.to_string(), "GitHub answered nothing (no connection or timed out)");
        assert_eq!(excerpt("  {\"message\":\n \"Bad credentials\"} "), Some("{\"message\": \"Bad credentials\"}".into()));
        assert_eq!(excerpt(" \n"), None);
        assert_eq!(base("https://acme.atlassian.net//"), "https://acme.atlassian.net");
    }

    #[test]
    fn base_urls_are_https_without_query_or_fragment() {
        assert_eq!(base_url("base_url", "https://acme.atlassian.net/").unwrap(), "https://acme.atlassian.net");
        assert_eq!(base_url("base_url", "https://ghe.acme.io/api/v3").unwrap(), "https://ghe.acme.io/api/v3");
        assert_eq!(base_url("base_url", "http://127.0.0.1:8123").unwrap(), "http://127.0.0.1:8123");
        assert_eq!(base_url("base_url", "http://localhost/").unwrap(), "http://localhost");
        for bad in ["http://acme.atlassian.net", "http://127.0.0.1.evil.io", "https://evil.io/x?", "https://evil.io/#", "https://a.io/p?x=1", "ftp://a.io"] {
            assert_eq!(base_url("base_url", bad).map_err(|e| e.field), Err("base_url".to_string()), "{bad}");
        }
    }

    #[test]
    fn descriptions_say_what_the_item_is() {
        let item = TicketItem {
            title: "Alert on DB connections",
            priority: "high",
            kind: "monitoring",
            owner: Some("Ana"),
            due_day: Some("2026-06-15"),
            link: Some("https://tocsin.example/action-items".into()),
            incident: Some("Incident #12: Checkout down".into()),
        };
        assert_eq!(
            item.lines(),
            vec![
                "Action item from Tocsin (high priority, monitoring).",
                "Incident: Incident #12: Checkout down",
                "Owner: Ana",
                "Due: 2026-06-15",
                "In Tocsin: https://tocsin.example/action-items"
            ]
        );
    }
}
