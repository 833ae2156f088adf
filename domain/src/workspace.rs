//! The incident workspace's reading rules (the app's incident page): which timeline rows a
//! filter shows, which live rows change the page's other sections, how a new batch of live rows
//! joins the record the page holds, and how long an incident has been running.

use crate::api::{ActorKind, TimelineEntry};

/// The timeline's filter chips.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimelineFilter {
    All,
    /// Rows a person wrote or caused (notes, acknowledgements, hand-overs, …).
    People,
    /// Rows integrations and Tocsin itself wrote (alerts, escalation, pages, reminders).
    Automatic,
    /// Rows marked as highlights.
    Highlights,
}

impl TimelineFilter {
    pub const ALL: [TimelineFilter; 4] = [Self::All, Self::People, Self::Automatic, Self::Highlights];

    pub fn label(self) -> &'static str {
        match self {
            Self::All => "All",
            Self::People => "People",
            Self::Automatic => "Automatic",
            Self::Highlights => "Highlights",
        }
    }

    /// Whether the filter shows `row`; `highlights` are the highlighted sequence numbers.
    pub fn shows(self, row: &TimelineEntry, highlights: &[i64]) -> bool {
        match self {
            Self::All => true,
            Self::People => row.actor.kind == ActorKind::User,
            Self::Automatic => row.actor.kind != ActorKind::User,
            Self::Highlights => highlights.contains(&row.seq),
        }
    }
}

/// Kinds of rows whose change shows elsewhere on the page than the timeline (header, checklist,
/// responders, roles, links, updates, highlights, alerts): the page re-reads the incident.
const STATE_KINDS: [&str; 10] = ["incident.", "role.", "responder.", "checklist.", "status_update.", "link.", "services.", "highlight.", "alert.", "escalation."];

/// Whether a live row means the page's other sections may be out of date.
pub fn changes_state(kind: &str) -> bool {
    STATE_KINDS.iter().any(|p| kind.starts_with(p))
}

/// Joins rows that arrived live onto the record the page holds: rows it already has (by
/// sequence number) are dropped, the rest are kept in order. Returns whether anything was added.
pub fn merge_rows(record: &mut Vec<TimelineEntry>, arrived: Vec<TimelineEntry>) -> bool {
    let before = record.len();
    for row in arrived {
        if !record.iter().any(|r| r.seq == row.seq) {
            record.push(row);
        }
    }
    if record.len() == before {
        return false;
    }
    record.sort_by_key(|r| r.seq);
    true
}

/// How long an incident has been running, for the header: `45 s`, `12 min`, `2 h 05 min`,
/// `3 d 4 h`.
pub fn elapsed(secs: i64) -> String {
    let s = secs.max(0);
    match s {
        0..=59 => format!("{s} s"),
        60..=3599 => format!("{} min", s / 60),
        3600..=86_399 => format!("{} h {:02} min", s / 3600, s % 3600 / 60),
        _ => format!("{} d {} h", s / 86_400, s % 86_400 / 3600),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::Actor;

    fn row(seq: i64, kind: ActorKind) -> TimelineEntry {
        TimelineEntry {
            id: format!("t{seq}"),
            seq,
            at: chrono::DateTime::from_timestamp(1_700_000_000 + seq, 0).unwrap(),
            kind: "note.added".into(),
            actor: Actor { kind, id: None, name: "x".into() },
            message: format!("row {seq}"),
        }
    }

    #[test]
    fn filters_split_people_from_automatic() {
        let rows = [row(1, ActorKind::Integration), row(2, ActorKind::User), row(3, ActorKind::System)];
        let seqs = |f: TimelineFilter| rows.iter().filter(|r| f.shows(r, &[3])).map(|r| r.seq).collect::<Vec<_>>();
        assert_eq!(seqs(TimelineFilter::All), [1, 2, 3]);
        assert_eq!(seqs(TimelineFilter::People), [2]);
        assert_eq!(seqs(TimelineFilter::Automatic), [1, 3]);
        assert_eq!(seqs(TimelineFilter::Highlights), [3]);
    }

    #[test]
    fn which_rows_change_the_rest_of_the_page() {
        for k in ["role.assigned", "responder.joined", "checklist.ticked", "status_update.posted", "link.added", "services.changed", "incident.acknowledged", "highlight.added"] {
            assert!(changes_state(k), "{k}");
        }
        for k in ["note.added", "page.sent", "roles", ""] {
            assert!(!changes_state(k), "{k}");
        }
    }

    #[test]
    fn live_rows_join_without_doubles_in_order() {
        let mut record = vec![row(1, ActorKind::User), row(2, ActorKind::User)];
        assert!(merge_rows(&mut record, vec![row(4, ActorKind::User), row(2, ActorKind::User), row(3, ActorKind::User)]));
        assert_eq!(record.iter().map(|r| r.seq).collect::<Vec<_>>(), [1, 2, 3, 4]);
        assert!(!merge_rows(&mut record, vec![row(3, ActorKind::User)]), "a repeated batch adds nothing");
        assert_eq!(record.len(), 4);
    }

    #[test]
    fn elapsed_reads_like_a_clock() {
        assert_eq!(elapsed(-5), "0 s");
        assert_eq!(elapsed(59), "59 s");
        assert_eq!(elapsed(60), "1 min");
        assert_eq!(elapsed(3599), "59 min");
        assert_eq!(elapsed(3600 + 5 * 60 + 9), "1 h 05 min");
        assert_eq!(elapsed(86_400 * 3 + 3600 * 4 + 1), "3 d 4 h");
    }
}
