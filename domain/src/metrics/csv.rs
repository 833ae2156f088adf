//! The metrics report as CSV (RFC 4180): a header row, one row per group in the JSON's order,
//! then the total (key empty, label `Total`). Durations in seconds; empty cell = nothing measured.
//! Fields holding a comma, quote, CR or LF are quoted with inner quotes doubled; text that a
//! spreadsheet would take for a formula (`=`, `+`, `-`, `@`, tab, CR first) gets a leading `'`.

use crate::api::metrics::{MetricsGroup, MetricsReport, Stat};

pub const HEADER: [&str; 25] = [
    "group_by", "key", "label", "start", "end", "incidents", "open", "noise", "merged",
    "mttd_count", "mttd_mean_seconds", "mttd_p50_seconds", "mttd_p90_seconds",
    "mtta_count", "mtta_mean_seconds", "mtta_p50_seconds", "mtta_p90_seconds",
    "mttr_count", "mttr_mean_seconds", "mttr_p50_seconds", "mttr_p90_seconds",
    "mtbf_count", "mtbf_mean_seconds", "mtbf_p50_seconds", "mtbf_p90_seconds",
];

/// One field, quoted when it must be.
pub fn field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{s}") } else { s.to_string() };
    if s.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

fn opt(v: Option<i64>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

fn stat(s: &Stat, out: &mut Vec<String>) {
    out.extend([s.count.to_string(), opt(s.mean_seconds), opt(s.p50_seconds), opt(s.p90_seconds)]);
}

fn row(group_by: &str, g: &MetricsGroup) -> String {
    let time = |t: Option<chrono::DateTime<chrono::Utc>>| t.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)).unwrap_or_default();
    let mut cells = vec![group_by.to_string(), field(&g.key), field(&g.label), time(g.start), time(g.end)];
    cells.extend([g.incidents, g.open, g.noise, g.merged].map(|n| n.to_string()));
    for s in [&g.mttd, &g.mtta, &g.mttr, &g.mtbf] {
        stat(s, &mut cells);
    }
    cells.join(",")
}

/// The whole document, CRLF line ends as RFC 4180 says.
pub fn report(r: &MetricsReport) -> String {
    let mut lines = vec![HEADER.join(",")];
    lines.extend(r.groups.iter().map(|g| row(r.group_by.as_str(), g)));
    lines.push(row(r.group_by.as_str(), &r.total));
    lines.join("\r\n") + "\r\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_and_formula_guard() {
        assert_eq!(field("api"), "api");
        assert_eq!(field("db, primary"), "\"db, primary\"");
        assert_eq!(field("the \"big\" one"), "\"the \"\"big\"\" one\"");
        assert_eq!(field("two\nlines"), "\"two\nlines\"");
        assert_eq!(field("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(field("-1,2"), "\"'-1,2\"");
    }
}
