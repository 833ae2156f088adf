//! Merging an incident into another: when it is refused, and the plan of what moves — the
//! source's alerts (so later events with their dedup keys join the target), its timeline rows
//! copied onto the end of the target's record (prefixed with the source's number, under a
//! `merged.` kind so they are not announced again as the target's own events), the merge
//! recorded on both, and the source resolved pointing at the target.

use super::Person;
use crate::incident::IncidentStatus;

pub const MERGED: &str = "incident.merged";
pub const RESOLVED: &str = "incident.resolved";
/// Copied rows get this in front of their kind (`merged.note`), once.
pub const COPIED_KIND_PREFIX: &str = "merged.";

/// One side of a merge as it is now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Side<'a> {
    pub id: &'a str,
    pub number: i64,
    pub title: &'a str,
    pub status: IncidentStatus,
    pub merged_into: Option<&'a str>,
}

/// Why a merge is refused: `Invalid` is bad input (400 naming `into`), `Conflict` a state that
/// does not allow it (409).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    Invalid(&'static str, String),
    Conflict(String),
}

/// The rows and texts a merge writes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    /// Put in front of each copied row's message.
    pub copy_prefix: String,
    /// On the target: what was merged into it.
    pub target_message: String,
    /// On the source: where it went.
    pub source_message: String,
    /// On the source: its resolution.
    pub resolved_message: String,
}

impl Plan {
    /// A source row as it is copied onto the target: (kind, message).
    pub fn copy(&self, kind: &str, message: &str) -> (String, String) {
        (copied_kind(kind), format!("{}{message}", self.copy_prefix))
    }
}

/// `merged.<kind>`, without stacking the prefix when a row is copied again.
pub fn copied_kind(kind: &str) -> String {
    if kind.starts_with(COPIED_KIND_PREFIX) {
        kind.to_string()
    } else {
        format!("{COPIED_KIND_PREFIX}{kind}")
    }
}

/// Checks the merge of `source` into `target` (`None`: no such incident) and plans it.
pub fn plan(by: Person<'_>, source: &Side<'_>, target: Option<&Side<'_>>) -> Result<Plan, Refusal> {
    let target = target.ok_or_else(|| Refusal::Invalid("into", "no such incident".into()))?;
    if target.id == source.id {
        return Err(Refusal::Invalid("into", "an incident cannot be merged into itself".into()));
    }
    if let Some(m) = source.merged_into {
        return Err(Refusal::Conflict(format!("#{} is already merged (into {m})", source.number)));
    }
    if source.status == IncidentStatus::Resolved {
        return Err(Refusal::Conflict(format!("#{} is resolved; only an open incident can be merged", source.number)));
    }
    if target.merged_into.is_some() {
        return Err(Refusal::Conflict(format!("#{} was itself merged into another incident; merge into that one", target.number)));
    }
    if target.status == IncidentStatus::Resolved {
        return Err(Refusal::Conflict(format!("#{} is resolved; merge into an open incident", target.number)));
    }
    Ok(Plan {
        copy_prefix: format!("From #{}: ", source.number),
        target_message: format!("{} merged #{} ({}) into this incident: its alerts and record moved here", by.name, source.number, source.title),
        source_message: format!("{} merged this incident into #{} ({})", by.name, target.number, target.title),
        resolved_message: format!("Resolved by {}: merged into #{}", by.name, target.number),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ANN: Person<'static> = Person { id: "u1", name: "Ann" };

    fn side(id: &'static str, number: i64, status: IncidentStatus) -> Side<'static> {
        Side { id, number, title: "Checkout down", status, merged_into: None }
    }

    #[test]
    fn plans_the_texts_and_the_copies() {
        let p = plan(ANN, &side("a", 12, IncidentStatus::Triggered), Some(&side("b", 13, IncidentStatus::Acknowledged))).unwrap();
        assert_eq!(p.copy("note", "Ann: restarted the pods"), ("merged.note".to_string(), "From #12: Ann: restarted the pods".to_string()));
        // A row copied once keeps one prefix on its kind; the message says both hops.
        assert_eq!(p.copy("merged.note", "From #9: x"), ("merged.note".to_string(), "From #12: From #9: x".to_string()));
        assert_eq!(p.target_message, "Ann merged #12 (Checkout down) into this incident: its alerts and record moved here");
        assert_eq!(p.source_message, "Ann merged this incident into #13 (Checkout down)");
        assert_eq!(p.resolved_message, "Resolved by Ann: merged into #13");
    }

    #[test]
    fn refuses_what_cannot_be_merged() {
        let open = side("a", 1, IncidentStatus::Triggered);
        let other = side("b", 2, IncidentStatus::Triggered);
        assert!(matches!(plan(ANN, &open, None), Err(Refusal::Invalid("into", _))));
        assert!(matches!(plan(ANN, &open, Some(&open.clone())), Err(Refusal::Invalid("into", _))));
        let merged = Side { merged_into: Some("c"), status: IncidentStatus::Resolved, ..open.clone() };
        assert!(matches!(plan(ANN, &merged, Some(&other)), Err(Refusal::Conflict(_))));
        let resolved_source = side("a", 1, IncidentStatus::Resolved);
        assert!(matches!(plan(ANN, &resolved_source, Some(&other)), Err(Refusal::Conflict(_))));
        let resolved_target = side("b", 2, IncidentStatus::Resolved);
        assert!(matches!(plan(ANN, &open, Some(&resolved_target)), Err(Refusal::Conflict(_))));
        let merged_target = Side { merged_into: Some("c"), ..other.clone() };
        assert!(matches!(plan(ANN, &open, Some(&merged_target)), Err(Refusal::Conflict(_))));
        assert!(plan(ANN, &open, Some(&other)).is_ok());
    }
}
