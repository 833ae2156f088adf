//! Links on an incident (chat channel, video call, ticket, other): validation and the
//! sentences their adding and removing leave on the timeline.

use super::Person;
use crate::api::{AddLinkRequest, LinkKind};
use crate::validation::{http_url, FieldError};

pub const MAX_LABEL: usize = 100;
/// At most this many links on one incident.
pub const MAX_LINKS: usize = 30;

pub const ADDED: &str = "link.added";
pub const REMOVED: &str = "link.removed";

/// A link ready to store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewLink {
    pub kind: LinkKind,
    pub url: String,
    pub label: String,
}

/// Only absolute http(s) URLs; the label is trimmed and defaults from the kind.
pub fn validate(r: &AddLinkRequest) -> Result<NewLink, FieldError> {
    let url = http_url("url", &r.url)?;
    let label = r.label.as_deref().map(|l| l.split_whitespace().collect::<Vec<_>>().join(" ")).unwrap_or_default();
    if label.chars().count() > MAX_LABEL {
        return Err(FieldError::new("label", format!("must be at most {MAX_LABEL} characters")));
    }
    if label.chars().any(char::is_control) {
        return Err(FieldError::new("label", "must not contain control characters"));
    }
    let label = if label.is_empty() { r.kind.default_label().to_string() } else { label };
    Ok(NewLink { kind: r.kind, url, label })
}

pub fn added_message(by: Person<'_>, label: &str, url: &str) -> String {
    format!("{} added a link: {label} ({url})", by.name)
}

pub fn removed_message(by: Person<'_>, label: &str, url: &str) -> String {
    format!("{} removed the link {label} ({url})", by.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(kind: LinkKind, url: &str, label: Option<&str>) -> AddLinkRequest {
        AddLinkRequest { kind, url: url.into(), label: label.map(Into::into) }
    }

    #[test]
    fn only_http_urls_and_labels_default_from_the_kind() {
        let l = validate(&req(LinkKind::Chat, " https://chat.example.com/c/inc-12 ", None)).unwrap();
        assert_eq!(l, NewLink { kind: LinkKind::Chat, url: "https://chat.example.com/c/inc-12".into(), label: "Chat channel".into() });
        assert_eq!(validate(&req(LinkKind::Video, "http://meet.example.com/x", Some("  "))).unwrap().label, "Video call");
        assert_eq!(validate(&req(LinkKind::Ticket, "https://t.example.com/1", Some(" JIRA   OPS-1 "))).unwrap().label, "JIRA OPS-1");
        for bad in ["javascript:alert(1)", "ftp://x.example.com", "https://", "https://a b.example.com", "https://user:pw@example.com/", "/relative", "data:text/html,x", "https://x.example.com/\"><script>"] {
            assert_eq!(validate(&req(LinkKind::Other, bad, None)).unwrap_err().field, "url", "{bad}");
        }
        assert_eq!(validate(&req(LinkKind::Other, "https://x.example.com", Some(&"l".repeat(MAX_LABEL + 1)))).unwrap_err().field, "label");
        assert_eq!(validate(&req(LinkKind::Other, "https://x.example.com", Some("a\u{0}b"))).unwrap_err().field, "label");
    }

    #[test]
    fn messages_name_who_and_what() {
        let ann = Person { id: "u1", name: "Ann" };
        assert_eq!(added_message(ann, "Ticket", "https://t.example.com/1"), "Ann added a link: Ticket (https://t.example.com/1)");
        assert_eq!(removed_message(ann, "Ticket", "https://t.example.com/1"), "Ann removed the link Ticket (https://t.example.com/1)");
        assert_eq!(LinkKind::parse("video"), Some(LinkKind::Video));
        assert_eq!(LinkKind::parse("fax"), None);
    }
}
