//! Reading an incident's record incrementally: the rows after the last one a client saw.

use serde::{Deserialize, Serialize};

use super::TimelineEntry;

/// At most this many rows per answer of `GET /api/incidents/{id}/timeline`.
pub const MAX_TIMELINE_PAGE: u32 = 500;

/// `GET /api/incidents/{id}/timeline?after=N&limit=M`: the rows with `seq > N`, in order.
/// `last_seq` is the highest number in the record now (a client is caught up when it has seen
/// it); `more` says another request is needed to catch up.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct TimelinePage {
    pub entries: Vec<TimelineEntry>,
    pub last_seq: i64,
    pub more: bool,
}

/// Reads `after` and `limit`; the error names the parameter.
pub fn timeline_query(after: Option<&str>, limit: Option<&str>) -> Result<(i64, u32), (&'static str, String)> {
    let after = match after {
        None | Some("") => 0,
        Some(a) => a.parse::<i64>().ok().filter(|n| *n >= 0).ok_or(("after", format!("must be a sequence number (0 or more), not {a:?}")))?,
    };
    let limit = match limit {
        None | Some("") => MAX_TIMELINE_PAGE,
        Some(l) => l.parse::<u32>().ok().filter(|n| (1..=MAX_TIMELINE_PAGE).contains(n)).ok_or(("limit", format!("must be from 1 to {MAX_TIMELINE_PAGE}")))?,
    };
    Ok((after, limit))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn after_and_limit_are_checked() {
        assert_eq!(timeline_query(None, None), Ok((0, MAX_TIMELINE_PAGE)));
        assert_eq!(timeline_query(Some("17"), Some("5")), Ok((17, 5)));
        assert_eq!(timeline_query(Some("-1"), None).unwrap_err().0, "after");
        assert_eq!(timeline_query(Some("x"), None).unwrap_err().0, "after");
        assert_eq!(timeline_query(None, Some("0")).unwrap_err().0, "limit");
        assert_eq!(timeline_query(None, Some("501")).unwrap_err().0, "limit");
    }
}
