//! Editing a running incident's record: its title, its summary ("what we know now") and its
//! severity (a change of severity needs a reason). Owns the limits and turns an edit into the
//! list of changes it makes, each a timeline row the worker writes in the edit's batch.

use serde::{Deserialize, Serialize};

use crate::incident::Severity;

pub const MAX_TITLE: usize = 255;
pub const MAX_SUMMARY: usize = 4000;
pub const MAX_REASON: usize = 500;

/// `PATCH /api/incidents/{id}`: what is absent stays.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct IncidentEdit {
    #[serde(default)]
    pub title: Option<String>,
    /// Markdown, at most 4 000 characters; `""` clears it.
    #[serde(default)]
    pub summary: Option<String>,
    #[serde(default)]
    pub severity: Option<Severity>,
    /// Why the severity changes (required with a new severity).
    #[serde(default)]
    pub reason: Option<String>,
    /// Marked as noise: left out of the metrics (and counted apart); `false` unmarks it.
    #[serde(default)]
    pub noise: Option<bool>,
}

/// The editable part of an incident as it is now.
#[derive(Clone, Debug, PartialEq)]
pub struct Editable {
    pub title: String,
    pub summary: String,
    pub severity: Severity,
    pub noise: bool,
}

/// One change an edit makes (a timeline row each).
#[derive(Clone, Debug, PartialEq)]
pub enum Change {
    Title { to: String },
    Summary { to: String },
    Severity { from: Severity, to: Severity, reason: String },
    Noise { to: bool },
}

impl Change {
    pub fn kind(&self) -> &'static str {
        match self {
            Change::Title { .. } => "incident.title_changed",
            Change::Summary { .. } => "incident.summary_updated",
            Change::Severity { .. } => "incident.severity_changed",
            Change::Noise { to: true } => "incident.noise_marked",
            Change::Noise { to: false } => "incident.noise_cleared",
        }
    }

    /// The timeline row's text.
    pub fn message(&self, by: &str) -> String {
        match self {
            Change::Title { to } => format!("{by} renamed the incident: {to}"),
            Change::Summary { to } if to.is_empty() => format!("{by} cleared the summary"),
            Change::Summary { to } => format!("{by} updated the summary: {to}"),
            Change::Severity { from, to, reason } => format!("{by} changed severity {} → {}: {reason}", from.as_str(), to.as_str()),
            Change::Noise { to: true } => format!("{by} marked the incident as noise (left out of the metrics)"),
            Change::Noise { to: false } => format!("{by} unmarked the incident as noise (counted in the metrics again)"),
        }
    }
}

/// The incident after the edit and the changes it makes (none when nothing differs), or the
/// field at fault.
pub fn edit(now: &Editable, e: &IncidentEdit) -> Result<(Editable, Vec<Change>), (&'static str, String)> {
    let mut next = now.clone();
    let mut changes = Vec::new();
    if let Some(t) = &e.title {
        let t = t.trim();
        if t.is_empty() || t.chars().count() > MAX_TITLE {
            return Err(("title", format!("must be 1 to {MAX_TITLE} characters")));
        }
        if t.chars().any(crate::validation::not_in_a_line) {
            return Err(("title", "must be one line, without control characters".into()));
        }
        if t != now.title {
            next.title = t.to_string();
            changes.push(Change::Title { to: t.to_string() });
        }
    }
    if let Some(s) = &e.summary {
        let s = s.trim();
        if s.chars().count() > MAX_SUMMARY {
            return Err(("summary", format!("must be at most {MAX_SUMMARY} characters")));
        }
        if s != now.summary {
            next.summary = s.to_string();
            changes.push(Change::Summary { to: s.to_string() });
        }
    }
    let reason = e.reason.as_deref().map(str::trim).filter(|r| !r.is_empty());
    match e.severity {
        Some(to) if to != now.severity => {
            let reason = reason.ok_or(("reason", "say why the severity changes".to_string()))?;
            if reason.chars().count() > MAX_REASON {
                return Err(("reason", format!("must be at most {MAX_REASON} characters")));
            }
            next.severity = to;
            changes.push(Change::Severity { from: now.severity, to, reason: reason.to_string() });
        }
        _ if reason.is_some() && e.severity.is_none() => return Err(("reason", "goes with a new severity".to_string())),
        _ => {}
    }
    if let Some(noise) = e.noise.filter(|n| *n != now.noise) {
        next.noise = noise;
        changes.push(Change::Noise { to: noise });
    }
    Ok((next, changes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Editable {
        Editable { title: "Checkout errors".into(), summary: String::new(), severity: Severity::Sev2, noise: false }
    }

    #[test]
    fn each_change_is_one_row_and_the_same_value_is_none() {
        let e = IncidentEdit { title: Some(" Checkout 500s ".into()), summary: Some("Deploy 142 broke card payments".into()), severity: Some(Severity::Sev1), reason: Some("customers affected".into()), noise: None };
        let (next, changes) = edit(&now(), &e).unwrap();
        assert_eq!(next, Editable { title: "Checkout 500s".into(), summary: "Deploy 142 broke card payments".into(), severity: Severity::Sev1, noise: false });
        assert_eq!(changes.iter().map(Change::kind).collect::<Vec<_>>(), ["incident.title_changed", "incident.summary_updated", "incident.severity_changed"]);
        assert_eq!(changes[2].message("Ana"), "Ana changed severity SEV2 → SEV1: customers affected");
        let same = IncidentEdit { title: Some("Checkout errors".into()), severity: Some(Severity::Sev2), ..Default::default() };
        assert_eq!(edit(&now(), &same).unwrap().1, vec![], "nothing differs, nothing recorded");
    }

    #[test]
    fn limits_and_reasons_name_the_field() {
        let bad = |e: IncidentEdit| edit(&now(), &e).unwrap_err().0;
        assert_eq!(bad(IncidentEdit { title: Some("  ".into()), ..Default::default() }), "title");
        assert_eq!(bad(IncidentEdit { title: Some("x".repeat(256)), ..Default::default() }), "title");
        assert_eq!(bad(IncidentEdit { title: Some("Checkout\rdown".into()), ..Default::default() }), "title");
        assert_eq!(bad(IncidentEdit { summary: Some("x".repeat(4001)), ..Default::default() }), "summary");
        assert_eq!(bad(IncidentEdit { severity: Some(Severity::Sev1), ..Default::default() }), "reason");
        assert_eq!(bad(IncidentEdit { severity: Some(Severity::Sev1), reason: Some(" ".into()), ..Default::default() }), "reason");
        assert_eq!(bad(IncidentEdit { reason: Some("because".into()), ..Default::default() }), "reason");
        let cleared = edit(&Editable { summary: "old".into(), ..now() }, &IncidentEdit { summary: Some(String::new()), ..Default::default() }).unwrap();
        assert_eq!(cleared.1[0].message("Ana"), "Ana cleared the summary");
    }

    #[test]
    fn marking_as_noise_is_a_change_once() {
        let (next, changes) = edit(&now(), &IncidentEdit { noise: Some(true), ..Default::default() }).unwrap();
        assert!(next.noise);
        assert_eq!(changes, vec![Change::Noise { to: true }]);
        assert_eq!(changes[0].kind(), "incident.noise_marked");
        assert!(edit(&next, &IncidentEdit { noise: Some(true), ..Default::default() }).unwrap().1.is_empty());
        assert_eq!(edit(&next, &IncidentEdit { noise: Some(false), ..Default::default() }).unwrap().1[0].kind(), "incident.noise_cleared");
    }
}
