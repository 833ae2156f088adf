//! A new postmortem filled from the incident's record: the template's sections in order, with
//! `impact` (duration, services, components, customer-facing or not), `timeline` (key
//! timestamps, then the highlighted rows — or, when nobody highlighted any, the milestones) written
//! out; the others start empty with the template's prompt. The action items are tracked in their
//! own table and listed live under the `action_items` section by the exports ([`action_items`]).

use chrono_tz::Tz;

use super::template::Template;
use super::timeline::{self, md_escape, RecordRow};
use crate::key_times::KeyTimes;

/// One incident the postmortem covers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IncidentFacts {
    pub number: i64,
    pub title: String,
    pub severity: String,
}

/// An action item as the postmortem lists it (from lane A's `action_items` table).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActionItemLine {
    pub title: String,
    pub owner: Option<String>,
    pub due_at_ms: Option<i64>,
    pub priority: String,
    pub kind: String,
    pub done: bool,
    pub ticket_key: Option<String>,
    pub ticket_url: Option<String>,
}

/// Everything the filling reads.
#[derive(Clone, Debug)]
pub struct Facts {
    pub incidents: Vec<IncidentFacts>,
    /// Combined over the incidents (`timeline::combine`).
    pub key_times: KeyTimes,
    pub services: Vec<String>,
    pub components: Vec<String>,
    /// A public status-page incident was published for it.
    pub customer_facing: bool,
    pub rows: Vec<RecordRow>,
    pub action_items: Vec<ActionItemLine>,
    pub time_zone: String,
}

/// A filled section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FilledSection {
    pub key: String,
    pub title: String,
    pub prompt: String,
    pub body: String,
}

/// `1 h 15 min`, `45 min`, `2 d 3 h`, `0 min` (whole minutes, towards zero).
pub fn duration(ms: i64) -> String {
    let m = ms.max(0) / 60_000;
    match (m / 1_440, m % 1_440 / 60, m % 60) {
        (0, 0, min) => format!("{min} min"),
        (0, h, 0) => format!("{h} h"),
        (0, h, min) => format!("{h} h {min} min"),
        (d, 0, _) => format!("{d} d"),
        (d, h, _) => format!("{d} d {h} h"),
    }
}

fn list_or(items: &[String], none: &str) -> String {
    if items.is_empty() {
        none.to_string()
    } else {
        items.iter().map(|s| md_escape(s)).collect::<Vec<_>>().join(", ")
    }
}

/// The impact section.
pub fn impact(f: &Facts) -> String {
    let k = &f.key_times;
    let start = timeline::t0(k);
    let length = match k.resolved_at {
        Some(end) => format!("{} (impact started → resolved)", duration(end - start)),
        None => "still open".to_string(),
    };
    let mitigation = k.mitigated_at.map(|m| format!("\n- **Time to mitigate:** {}", duration(m - start))).unwrap_or_default();
    let incidents: Vec<String> = f.incidents.iter().map(|i| format!("#{} {} ({})", i.number, md_escape(&i.title), md_escape(&i.severity))).collect();
    format!(
        "- **Duration:** {length}{mitigation}\n- **Incidents:** {}\n- **Affected services:** {}\n- **Affected components:** {}\n- **Customer-facing:** {}",
        if incidents.is_empty() { "none".to_string() } else { incidents.join(", ") },
        list_or(&f.services, "none recorded"),
        list_or(&f.components, "none recorded"),
        if f.customer_facing { "yes (published on the status page)" } else { "no (never published on the status page)" }
    )
}

/// The timeline section: the key timestamps, then the highlights (or the milestones).
pub fn timeline_section(f: &Facts) -> String {
    let tz: Tz = timeline::tz_or_utc(&f.time_zone);
    let t0 = timeline::t0(&f.key_times);
    let several = f.incidents.len() > 1;
    let mut out = format!(
        "Times in {} ({}); T+ counts from the start of impact.\n\n**Key timestamps**\n\n{}",
        md_escape(&f.time_zone),
        timeline::zone_name(t0, tz),
        timeline::key_time_lines(&timeline::key_times(&f.key_times, tz)).join("\n")
    );
    let (highlights, rest) = timeline::items(&f.rows, t0, tz);
    if highlights.is_empty() {
        let milestones: Vec<String> = rest.iter().filter(|i| timeline::is_milestone(&i.kind)).map(|i| timeline::item_line(i, several)).collect();
        if !milestones.is_empty() {
            out.push_str("\n\n**Milestones** (no rows were highlighted on the incident)\n\n");
            out.push_str(&milestones.join("\n"));
        }
    } else {
        out.push_str("\n\n**Highlights**\n\n");
        out.push_str(&highlights.iter().map(|i| timeline::item_line(i, several)).collect::<Vec<_>>().join("\n"));
    }
    out
}

/// One action item as a Markdown list line.
pub fn action_item_line(a: &ActionItemLine, tz: Tz) -> String {
    let mut line = format!("- {} {} ({}, {})", if a.done { "Done:" } else { "Open:" }, md_escape(&a.title), md_escape(&a.priority), md_escape(&a.kind));
    if let Some(o) = &a.owner {
        line.push_str(&format!(" · owner {}", md_escape(o)));
    }
    if let Some(d) = a.due_at_ms {
        line.push_str(&format!(" · due {}", timeline::absolute(d, tz).split(' ').next().unwrap_or_default()));
    }
    match (&a.ticket_key, &a.ticket_url) {
        (Some(k), Some(u)) if crate::markdown::is_safe_href(u) && !u.contains([')', ' ']) => line.push_str(&format!(" · [{}]({u})", md_escape(k))),
        (Some(k), _) => line.push_str(&format!(" · {}", md_escape(k))),
        _ => {}
    }
    line
}

/// The action items as Markdown lines (empty when there are none).
pub fn action_items(items: &[ActionItemLine], time_zone: &str) -> String {
    let tz = timeline::tz_or_utc(time_zone);
    items.iter().map(|a| action_item_line(a, tz)).collect::<Vec<_>>().join("\n")
}

/// The template's sections, filled from the record where the key says how.
pub fn fill(template: &Template, f: &Facts) -> Vec<FilledSection> {
    template
        .sections
        .iter()
        .map(|s| FilledSection {
            key: s.key.clone(),
            title: s.title.clone(),
            prompt: s.prompt.clone(),
            body: match s.key.as_str() {
                "impact" => impact(f),
                "timeline" => timeline_section(f),
                _ => String::new(),
            },
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::postmortem::template;

    const MIN: i64 = 60_000;
    const T0: i64 = 1_764_684_000_000; // 2025-12-02 14:00:00 UTC = 15:00 CET

    fn facts() -> Facts {
        let row = |seq: i64, min: i64, kind: &str, msg: &str, h: bool| RecordRow { incident_number: 12, seq, at_ms: T0 + min * MIN, kind: kind.into(), message: msg.into(), highlighted: h };
        Facts {
            incidents: vec![IncidentFacts { number: 12, title: "Checkout errors".into(), severity: "SEV1".into() }],
            key_times: KeyTimes {
                impact_started_at: Some(T0),
                detected_at: Some(T0 + 2 * MIN),
                opened_at: T0 + 2 * MIN,
                first_acknowledged_at: Some(T0 + 4 * MIN),
                mitigated_at: Some(T0 + 40 * MIN),
                resolved_at: Some(T0 + 75 * MIN),
            },
            services: vec!["checkout".into(), "payments".into()],
            components: vec!["API".into()],
            customer_facing: true,
            rows: vec![
                row(1, 2, "incident.triggered", "Opened by an alert", false),
                row(2, 4, "incident.acknowledged", "Ann acknowledged", false),
                row(3, 9, "note.added", "Rolled back *deploy* 42", true),
                row(4, 6, "note.added", "Looked at dashboards", true),
                row(5, 75, "incident.resolved", "Resolved", false),
            ],
            action_items: vec![ActionItemLine {
                title: "Add a canary".into(),
                owner: Some("Ann".into()),
                due_at_ms: Some(T0 + 7 * 1_440 * MIN),
                priority: "high".into(),
                kind: "fix".into(),
                done: false,
                ticket_key: Some("OPS-7".into()),
                ticket_url: Some("https://jira.example/browse/OPS-7".into()),
            }],
            time_zone: "Europe/Berlin".into(),
        }
    }

    #[test]
    fn durations() {
        assert_eq!(duration(0), "0 min");
        assert_eq!(duration(45 * MIN + 59_000), "45 min");
        assert_eq!(duration(60 * MIN), "1 h");
        assert_eq!(duration(75 * MIN), "1 h 15 min");
        assert_eq!(duration(2 * 1_440 * MIN + 3 * 60 * MIN + 7 * MIN), "2 d 3 h");
        assert_eq!(duration(1_440 * MIN), "1 d");
        assert_eq!(duration(-5), "0 min");
    }

    #[test]
    fn fills_the_blameless_template_from_the_record() {
        let s = fill(&template::blameless(), &facts());
        assert_eq!(s.len(), 8);
        let body = |k: &str| s.iter().find(|x| x.key == k).unwrap().body.clone();
        let impact = body("impact");
        assert!(impact.contains("**Duration:** 1 h 15 min"), "{impact}");
        assert!(impact.contains("**Time to mitigate:** 40 min"), "{impact}");
        assert!(impact.contains("checkout, payments") && impact.contains("API"), "{impact}");
        assert!(impact.contains("**Customer-facing:** yes"), "{impact}");
        assert!(impact.contains("#12 Checkout errors (SEV1)"), "{impact}");
        let tl = body("timeline");
        assert!(tl.starts_with("Times in Europe/Berlin (CET)"), "{tl}");
        assert!(tl.contains("- Impact started: **2025-12-02 15:00** (T+0:00)"), "{tl}");
        assert!(tl.contains("- Acknowledged: **2025-12-02 15:04** (T+0:04)"), "{tl}");
        assert!(tl.contains("- Resolved: **2025-12-02 16:15** (T+1:15)"), "{tl}");
        let hl = tl.split("**Highlights**").nth(1).expect("highlights part");
        let lines: Vec<&str> = hl.trim().lines().collect();
        assert_eq!(lines, ["- **2025-12-02 15:06** (T+0:06) · Looked at dashboards", "- **2025-12-02 15:09** (T+0:09) · Rolled back \\*deploy\\* 42"]);
        assert!(!tl.contains("Ann acknowledged"), "only highlights, the rest on demand");
        assert_eq!(body("action_items"), "", "listed live by the exports, never copied");
        let items = action_items(&facts().action_items, "Europe/Berlin");
        assert_eq!(items, "- Open: Add a canary (high, fix) · owner Ann · due 2025-12-09 · [OPS-7](https://jira.example/browse/OPS-7)");
        assert_eq!(body("contributing_factors"), "");
        assert!(!s[3].prompt.is_empty());
    }

    #[test]
    fn milestones_when_nothing_is_highlighted_and_open_incidents() {
        let mut f = facts();
        f.rows.iter_mut().for_each(|r| r.highlighted = false);
        f.key_times.resolved_at = None;
        f.key_times.mitigated_at = None;
        f.customer_facing = false;
        let tl = timeline_section(&f);
        assert!(tl.contains("**Milestones**"), "{tl}");
        assert!(tl.contains("Ann acknowledged") && !tl.contains("dashboards"), "{tl}");
        assert!(tl.contains("- Resolved: not yet"));
        let imp = impact(&f);
        assert!(imp.contains("still open") && imp.contains("**Customer-facing:** no"), "{imp}");
        assert!(!imp.contains("mitigate"));
    }

    #[test]
    fn several_incidents_are_told_apart_and_hostile_links_stay_text() {
        let mut f = facts();
        f.incidents.push(IncidentFacts { number: 13, title: "Payments".into(), severity: "SEV2".into() });
        assert!(timeline_section(&f).contains("· #12 Rolled back"));
        let mut a = f.action_items[0].clone();
        a.ticket_url = Some("javascript:alert(1)".into());
        let line = action_item_line(&a, chrono_tz::UTC);
        assert!(line.ends_with("· OPS-7") && !line.contains("javascript"), "{line}");
        a.done = true;
        assert!(action_item_line(&a, chrono_tz::UTC).starts_with("- Done:"));
    }
}
