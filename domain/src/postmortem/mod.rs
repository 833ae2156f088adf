//! Blameless postmortems: the document's status machine and limits (here), the built-in template
//! (`template`), blameless-language hints (`hints`), the record turned into a timeline with
//! absolute and relative times (`timeline`), filling a new document from the incident (`fill`)
//! and exports to Markdown and print-ready HTML (`export`).
//!
//! Rules decided here:
//! - status moves `draft → in_review → published`; `in_review → draft` sends it back for changes
//!   and `published → draft` reopens it; skipping review (`draft → published`) is refused;
//! - sections are edited in `draft` and `in_review` only (a published document is reopened first);
//! - every save names the version it was based on; a stale one never overwrites (409 upstream).

use serde::{Deserialize, Serialize};

use crate::incident::UnknownValue;
use crate::validation::FieldError;

pub mod export;
pub mod fill;
pub mod hints;
pub mod template;
pub mod timeline;

/// Longest section body (characters): a long postmortem, not a data dump.
pub const MAX_SECTION_CHARS: usize = 50_000;
/// Longest customer-facing text (characters).
pub const MAX_PUBLIC_CHARS: usize = 20_000;
/// Longest review comment (characters).
pub const MAX_COMMENT_CHARS: usize = 4_000;
/// At most this many incidents in one postmortem (the primary one included).
pub const MAX_INCIDENTS: usize = 20;
/// At most this many sections in a template.
pub const MAX_SECTIONS: usize = 30;

/// Where a postmortem is in its review.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum PostmortemStatus {
    Draft,
    InReview,
    Published,
}

impl PostmortemStatus {
    pub const ALL: &'static [PostmortemStatus] = &[Self::Draft, Self::InReview, Self::Published];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::InReview => "in_review",
            Self::Published => "published",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Draft => "Draft",
            Self::InReview => "In review",
            Self::Published => "Published",
        }
    }

    /// Sections and the public text may be changed.
    pub fn editable(self) -> bool {
        !matches!(self, Self::Published)
    }
}

impl std::fmt::Display for PostmortemStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for PostmortemStatus {
    type Err = UnknownValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "draft" => Ok(Self::Draft),
            "in_review" => Ok(Self::InReview),
            "published" => Ok(Self::Published),
            _ => Err(UnknownValue::new("status", s, "draft in_review published")),
        }
    }
}

/// What a status change means (for the incident's timeline row and who may do it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Move {
    /// draft → in_review
    RequestReview,
    /// in_review → draft
    BackToDraft,
    /// in_review → published
    Publish,
    /// published → draft
    Reopen,
}

impl Move {
    /// The incident timeline row's kind.
    pub fn kind(self) -> &'static str {
        match self {
            Self::RequestReview => "postmortem.in_review",
            Self::BackToDraft => "postmortem.back_to_draft",
            Self::Publish => "postmortem.published",
            Self::Reopen => "postmortem.reopened",
        }
    }

    /// "Ann asked for a review of the postmortem".
    pub fn sentence(self, who: &str) -> String {
        match self {
            Self::RequestReview => format!("{who} asked for a review of the postmortem"),
            Self::BackToDraft => format!("{who} moved the postmortem back to draft"),
            Self::Publish => format!("{who} published the postmortem"),
            Self::Reopen => format!("{who} reopened the postmortem"),
        }
    }

    /// Publishing and reopening a published document are the owner's decision (an admin or
    /// the incident commander); asking for review and sending back are any responder's.
    pub fn needs_owner(self) -> bool {
        matches!(self, Self::Publish | Self::Reopen)
    }
}

/// A status change that is not allowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("a postmortem cannot go from {from} to {to}{}", hint(*.from, *.to))]
pub struct InvalidMove {
    pub from: PostmortemStatus,
    pub to: PostmortemStatus,
}

fn hint(from: PostmortemStatus, to: PostmortemStatus) -> &'static str {
    match (from, to) {
        (PostmortemStatus::Draft, PostmortemStatus::Published) => " (ask for a review first: draft → in_review → published)",
        _ => "",
    }
}

/// The status machine. The same status again is `Ok(None)` (a retried request changes nothing).
pub fn transition(from: PostmortemStatus, to: PostmortemStatus) -> Result<Option<Move>, InvalidMove> {
    use PostmortemStatus::*;
    match (from, to) {
        (a, b) if a == b => Ok(None),
        (Draft, InReview) => Ok(Some(Move::RequestReview)),
        (InReview, Draft) => Ok(Some(Move::BackToDraft)),
        (InReview, Published) => Ok(Some(Move::Publish)),
        (Published, Draft) => Ok(Some(Move::Reopen)),
        _ => Err(InvalidMove { from, to }),
    }
}

/// A section key: 1–40 of `a-z 0-9 _`, starting with a letter.
pub fn section_key(field: &str, raw: &str) -> Result<String, FieldError> {
    let ok = !raw.is_empty()
        && raw.len() <= 40
        && raw.starts_with(|c: char| c.is_ascii_lowercase())
        && raw.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok {
        Ok(raw.to_string())
    } else {
        Err(FieldError::new(field, "must be 1–40 of a-z, 0-9 and _, starting with a letter"))
    }
}

/// A text of at most `max` characters (Markdown; may be empty).
pub fn text(field: &str, raw: &str, max: usize) -> Result<String, FieldError> {
    if raw.chars().count() > max {
        return Err(FieldError::new(field, format!("must be at most {max} characters")));
    }
    Ok(raw.replace("\r\n", "\n"))
}

/// A review comment: trimmed, not empty, at most [`MAX_COMMENT_CHARS`].
pub fn comment(field: &str, raw: &str) -> Result<String, FieldError> {
    let t = raw.trim();
    if t.is_empty() {
        return Err(FieldError::new(field, "must not be empty"));
    }
    text(field, t, MAX_COMMENT_CHARS)
}

#[cfg(test)]
mod tests {
    use super::PostmortemStatus::*;
    use super::*;

    #[test]
    fn transitions() {
        let cases = [
            (Draft, InReview, Ok(Some(Move::RequestReview))),
            (InReview, Draft, Ok(Some(Move::BackToDraft))),
            (InReview, Published, Ok(Some(Move::Publish))),
            (Published, Draft, Ok(Some(Move::Reopen))),
            (Draft, Draft, Ok(None)),
            (Published, Published, Ok(None)),
            (Draft, Published, Err(InvalidMove { from: Draft, to: Published })),
            (Published, InReview, Err(InvalidMove { from: Published, to: InReview })),
        ];
        for (from, to, want) in cases {
            assert_eq!(transition(from, to), want, "{from} → {to}");
        }
        let e = transition(Draft, Published).unwrap_err().to_string();
        assert!(e.contains("review first"), "{e}");
        assert!(Move::Publish.needs_owner() && Move::Reopen.needs_owner());
        assert!(!Move::RequestReview.needs_owner() && !Move::BackToDraft.needs_owner());
        assert!(Draft.editable() && InReview.editable() && !Published.editable());
    }

    #[test]
    fn statuses_round_trip() {
        for s in PostmortemStatus::ALL {
            assert_eq!(s.as_str().parse::<PostmortemStatus>().unwrap(), *s);
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
        let e = "done".parse::<PostmortemStatus>().unwrap_err();
        assert_eq!(e.field, "status");
    }

    #[test]
    fn keys_and_texts() {
        assert_eq!(section_key("key", "what_went_well").unwrap(), "what_went_well");
        for bad in ["", "Summary", "1st", "a-b", "x".repeat(41).as_str()] {
            assert!(section_key("key", bad).is_err(), "{bad}");
        }
        assert_eq!(text("body", "a\r\nb", 10).unwrap(), "a\nb");
        assert_eq!(text("body", &"é".repeat(11), 10).unwrap_err().field, "body");
        assert_eq!(comment("body", "  ok  ").unwrap(), "ok");
        assert!(comment("body", "   ").is_err());
    }
}
