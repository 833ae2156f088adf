//! Field-level validation shared by every input path, so each error names the field that is wrong.

use serde_json::{Map, Value};

/// One input field that is missing or wrong, with a message a person can act on.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into() }
    }
}

/// Reads typed fields out of a JSON object and says precisely which one is wrong.
pub struct Fields<'a> {
    obj: &'a Map<String, Value>,
}

impl<'a> Fields<'a> {
    pub fn new(v: &'a Value) -> Result<Self, FieldError> {
        v.as_object()
            .map(|obj| Self { obj })
            .ok_or_else(|| FieldError::new("body", "must be a JSON object"))
    }

    /// A string field; `None` when absent or null. Trimmed; empty counts as absent.
    pub fn opt_str(&self, field: &str, max_chars: usize) -> Result<Option<String>, FieldError> {
        match self.obj.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => {
                let s = s.trim();
                if s.is_empty() {
                    Ok(None)
                } else if s.chars().count() > max_chars {
                    Err(FieldError::new(field, format!("must be at most {max_chars} characters")))
                } else {
                    Ok(Some(s.to_string()))
                }
            }
            Some(_) => Err(FieldError::new(field, "must be a string")),
        }
    }

    pub fn req_str(&self, field: &str, max_chars: usize) -> Result<String, FieldError> {
        self.opt_str(field, max_chars)?.ok_or_else(|| FieldError::new(field, "is required"))
    }

    /// [`Fields::opt_str`] that must also be one line ([`one_line`]): names and titles.
    pub fn opt_line(&self, field: &str, max_chars: usize) -> Result<Option<String>, FieldError> {
        self.opt_str(field, max_chars)?.map(|s| one_line(field, &s, max_chars)).transpose()
    }

    /// [`Fields::req_str`] that must also be one line ([`one_line`]): names and titles.
    pub fn req_line(&self, field: &str, max_chars: usize) -> Result<String, FieldError> {
        self.opt_line(field, max_chars)?.ok_or_else(|| FieldError::new(field, "is required"))
    }

    /// [`Fields::opt_str`] that may span lines but holds no other control character ([`text`]):
    /// messages and bodies that are published (status page, feeds).
    pub fn opt_text(&self, field: &str, max_chars: usize) -> Result<Option<String>, FieldError> {
        self.opt_str(field, max_chars)?.map(|s| text(field, s)).transpose()
    }

    /// [`Fields::req_str`] that may span lines but holds no other control character ([`text`]).
    pub fn req_text(&self, field: &str, max_chars: usize) -> Result<String, FieldError> {
        self.opt_text(field, max_chars)?.ok_or_else(|| FieldError::new(field, "is required"))
    }

    /// A JSON object field (free-form details); `None` when absent or null.
    pub fn opt_object(&self, field: &str) -> Result<Option<Map<String, Value>>, FieldError> {
        match self.obj.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Object(m)) => Ok(Some(m.clone())),
            Some(_) => Err(FieldError::new(field, "must be a JSON object")),
        }
    }

    pub fn opt_bool(&self, field: &str) -> Result<Option<bool>, FieldError> {
        match self.obj.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(FieldError::new(field, "must be true or false")),
        }
    }
}

/// Parses a JSON request body, turning syntax errors into a message with line and column.
pub fn parse_json(body: &[u8]) -> Result<Value, FieldError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(FieldError::new("body", "is empty; expected a JSON object"));
    }
    serde_json::from_slice(body).map_err(|e| FieldError::new("body", format!("is not valid JSON: {e}")))
}

/// A character a one-line text may not hold: a control character (line breaks included) or a
/// Unicode line or paragraph separator.
pub fn not_in_a_line(c: char) -> bool {
    c.is_control() || c == '\u{2028}' || c == '\u{2029}'
}

/// A one-line text (a name, a title): trimmed, required, at most `max_chars`, and without control
/// characters or line separators — a name is written into calendar feeds, headers of messages and
/// one-line views, where a line break would start something else.
pub fn one_line(field: &str, raw: &str, max_chars: usize) -> Result<String, FieldError> {
    let v = raw.trim();
    if v.is_empty() {
        Err(FieldError::new(field, "is required"))
    } else if v.chars().count() > max_chars {
        Err(FieldError::new(field, format!("must be at most {max_chars} characters")))
    } else if v.chars().any(not_in_a_line) {
        Err(FieldError::new(field, "must be one line, without control characters"))
    } else {
        Ok(v.to_string())
    }
}

/// A character a text of several lines may not hold: a control character other than a line break
/// (LF, CR) or a tab. XML 1.0 cannot carry them at all (not even as `&#27;`), so one in a
/// published update would break every feed reader's copy of the status history.
pub fn not_in_a_text(c: char) -> bool {
    c.is_control() && !matches!(c, '\n' | '\r' | '\t')
}

/// A text of several lines (a message, an update's body) without other control characters: pasted
/// terminal output with colour codes is refused with a message saying what to remove.
pub fn text(field: &str, v: String) -> Result<String, FieldError> {
    match v.chars().find(|c| not_in_a_text(*c)) {
        Some(c) => Err(FieldError::new(field, format!("must not hold control characters (found U+{:04X}); only line breaks and tabs are kept", c as u32))),
        None => Ok(v),
    }
}

/// A name as another system gave it, made one line: control characters and line separators
/// become spaces, and it is cut to `max_chars`.
pub fn one_line_lossy(raw: &str, max_chars: usize) -> String {
    raw.chars().map(|c| if not_in_a_line(c) { ' ' } else { c }).take(max_chars).collect::<String>().trim().to_string()
}

/// A plausible e-mail address: one `@`, something on each side, a dot in the domain, no spaces.
pub fn email(field: &str, raw: &str) -> Result<String, FieldError> {
    let e = raw.trim().to_ascii_lowercase();
    let ok = match e.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains('@')
                && !e.chars().any(char::is_whitespace)
        }
        None => false,
    };
    if ok && e.len() <= 254 {
        Ok(e)
    } else {
        Err(FieldError::new(field, "must be an e-mail address like ana@example.com"))
    }
}

/// An IANA time zone name (schedules, status pages); `UTC` when absent.
pub fn time_zone(field: &str, raw: Option<String>) -> Result<String, FieldError> {
    let tz = raw.unwrap_or_else(|| "UTC".into());
    match tz.parse::<chrono_tz::Tz>() {
        Ok(_) => Ok(tz),
        Err(_) => Err(FieldError::new(field, "must be an IANA time zone such as Europe/Berlin or UTC")),
    }
}

/// An absolute http(s) URL (runbooks, links).
pub fn http_url(field: &str, raw: &str) -> Result<String, FieldError> {
    let u = raw.trim();
    let bad = || FieldError::new(field, "must be an http:// or https:// URL (no spaces, quotes or angle brackets)");
    let rest = u.strip_prefix("https://").or_else(|| u.strip_prefix("http://")).ok_or_else(bad)?;
    let host_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..host_end];
    // Host: letters, digits, dots, dashes (or a bracketed IPv6 literal), optional :port; no
    // userinfo (a URL with user:password is a secret in the wrong place, and a phishing trick).
    let (host, port) = match authority.strip_prefix('[') {
        Some(v6) => match v6.split_once(']') {
            Some((h, p)) if !h.is_empty() && h.chars().all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.') => (h, p),
            _ => return Err(bad()),
        },
        None => match authority.split_once(':') {
            Some((h, _)) => (h, &authority[h.len()..]),
            None => (authority, ""),
        },
    };
    let host_ok = !host.is_empty() && (authority.starts_with('[') || host.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.'));
    let port_ok = port.is_empty() || port.strip_prefix(':').is_some_and(|p| !p.is_empty() && p.len() <= 5 && p.chars().all(|c| c.is_ascii_digit()));
    // The rest: RFC 3986 characters only (unreserved, reserved and %-escapes).
    let allowed = |c: char| c.is_ascii_alphanumeric() || "-._~:/?#[]@!$&'()*+,;=%".contains(c);
    let escapes_ok = {
        let b = u.as_bytes();
        b.iter().enumerate().all(|(i, &c)| c != b'%' || (b.get(i + 1).is_some_and(u8::is_ascii_hexdigit) && b.get(i + 2).is_some_and(u8::is_ascii_hexdigit)))
    };
    if !host_ok || !port_ok || !rest.chars().all(allowed) || !escapes_ok || u.len() > 2048 {
        return Err(bad());
    }
    Ok(u.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn one_line_refuses_line_breaks_and_control_characters() {
        assert_eq!(one_line("name", "  Ana Lima ", 100).unwrap(), "Ana Lima");
        for bad in ["Bob\rDESCRIPTION:x", "Bob\nx", "a\u{7}", "a\u{2028}b", "tab\there"] {
            assert_eq!(one_line("name", bad, 100).unwrap_err().field, "name", "{bad:?}");
        }
        assert!(one_line("name", "   ", 100).unwrap_err().message.contains("required"));
        assert!(one_line("name", &"x".repeat(101), 100).unwrap_err().message.contains("at most 100"));
        assert_eq!(one_line_lossy("Bob\rEND:VEVENT\u{2029}x", 100), "Bob END:VEVENT x");
        assert_eq!(one_line_lossy("ééé", 2), "éé");
    }

    #[test]
    fn a_text_keeps_its_lines_but_no_other_control_character() {
        let v = json!({"ok": "Line one\r\nline two\n\tindented \u{2028} ✓", "esc": "\u{1b}[31mERROR\u{1b}[0m", "ff": "page\u{c}break"});
        let f = Fields::new(&v).unwrap();
        assert_eq!(f.req_text("ok", 100).unwrap(), "Line one\r\nline two\n\tindented \u{2028} ✓");
        let e = f.req_text("esc", 100).unwrap_err();
        assert_eq!((e.field.as_str(), e.message.contains("U+001B")), ("esc", true), "{e}");
        assert_eq!(f.opt_text("ff", 100).unwrap_err().field, "ff");
        assert_eq!(f.opt_text("absent", 100).unwrap(), None);
        assert_eq!(f.req_text("absent", 100).unwrap_err().message, "is required");
    }

    #[test]
    fn fields_name_the_wrong_one() {
        let v = json!({"a": "  x ", "b": 3, "c": "", "d": {"k": 1}, "e": [1]});
        let f = Fields::new(&v).unwrap();
        assert_eq!(f.req_str("a", 10).unwrap(), "x");
        assert_eq!(f.req_str("b", 10).unwrap_err(), FieldError::new("b", "must be a string"));
        assert_eq!(f.req_str("c", 10).unwrap_err(), FieldError::new("c", "is required"));
        assert_eq!(f.req_str("zz", 10).unwrap_err().field, "zz");
        assert_eq!(f.opt_str("a", 0).unwrap_err().message, "must be at most 0 characters");
        assert!(f.opt_object("d").unwrap().is_some());
        assert_eq!(f.opt_object("e").unwrap_err().field, "e");
        assert!(Fields::new(&json!([1])).is_err());
    }

    #[test]
    fn json_errors_explain_themselves() {
        assert!(parse_json(b"  ").unwrap_err().message.contains("empty"));
        let e = parse_json(b"{\"a\":").unwrap_err();
        assert_eq!(e.field, "body");
        assert!(e.message.contains("not valid JSON"), "{e}");
    }

    #[test]
    fn emails_and_urls() {
        assert_eq!(email("email", " Ana@Example.COM ").unwrap(), "ana@example.com");
        for bad in ["", "ana", "ana@", "@x.io", "ana@localhost", "a b@x.io", "a@b@c.io", "a@.io"] {
            assert!(email("email", bad).is_err(), "{bad}");
        }
        assert!(http_url("u", "https://wiki.example.com/runbooks/db").is_ok());
        assert_eq!(time_zone("tz", None).unwrap(), "UTC");
        assert_eq!(time_zone("tz", Some("Europe/Berlin".into())).unwrap(), "Europe/Berlin");
        assert_eq!(time_zone("tz", Some("Mars/Olympus".into())).unwrap_err().field, "tz");
        for bad in ["ftp://x", "https://", "javascript:alert(1)", "https:///x", "http://a b", "https://x.io/\"><script>alert(1)</script>",
            "https://x.io/<b>", "https://x.io/a\"b", "https://x.io/`x`", "https://user:pw@x.io/", "https://x.io:port/", "https://x.io/%zz",
            "https://x.io/{a}", "https://x.io/a\\b", "https://x.io/\u{7f}", "https://x.io/é", "https://exa mple.io"] {
            assert!(http_url("u", bad).is_err(), "{bad}");
        }
        for good in ["https://status.example.com", "http://localhost:8787/status", "https://x.io/a?b=c&d=e#f", "https://[::1]:8443/x",
            "https://x.io/%E2%9C%93", "https://wiki.example.com/page_(x)!*"] {
            assert_eq!(http_url("u", good).as_deref(), Ok(good), "{good}");
        }
    }
}
