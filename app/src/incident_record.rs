//! The incident as the workspace holds it. What the screen draws first — the incident, its
//! timeline, roles, links, highlights and status updates, and the tabs' counts — is decoded when
//! the answer arrives; the parts only a tab or a sheet shows (alerts, recent changes, responders,
//! the checklist, the affected services) stay in the answer's text until that part's own code,
//! fetched on demand, decodes them ([`Record::rest_of`]). Their decoders are then not in the
//! screen's first download.

use std::sync::Arc;

use serde::de::IgnoredAny;
use serde::Deserialize;
use tocsin_domain::api::checklists::ChecklistStep;
use tocsin_domain::api::responders::Responder;
use tocsin_domain::api::status_updates::StatusUpdate;
use tocsin_domain::api::{Alert, ChangeEvent, Incident, IncidentLink, RoleHolder, ServiceRef, TimelineEntry};

/// `GET /api/incidents/{id}` (an `IncidentDetail`) as the first screen needs it.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Record {
    pub incident: Incident,
    pub timeline: Vec<TimelineEntry>,
    #[serde(default)]
    pub roles: Vec<RoleHolder>,
    #[serde(default)]
    pub links: Vec<IncidentLink>,
    #[serde(default)]
    pub highlights: Vec<i64>,
    #[serde(default)]
    pub updates: Vec<StatusUpdate>,
    /// The checklist's steps, only whether each is done (the tab's count).
    #[serde(default, rename = "checklist")]
    steps: Vec<StepDone>,
    /// The people asked to help, only counted.
    #[serde(default, rename = "responders")]
    asked: Vec<IgnoredAny>,
    /// The whole answer, for [`Record::rest_of`].
    #[serde(skip)]
    pub text: Arc<str>,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
struct StepDone {
    #[serde(default)]
    done_at: Option<IgnoredAny>,
}

/// One answer's text, equal only to itself: a tab's data is decoded again for a new answer, not
/// compared byte by byte with the last one.
#[derive(Clone, Debug)]
pub struct Answer(pub Arc<str>);

impl PartialEq for Answer {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

/// What only the tabs and sheets show.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct Rest {
    #[serde(default)]
    pub alerts: Vec<Alert>,
    #[serde(default)]
    pub recent_changes: Vec<ChangeEvent>,
    #[serde(default)]
    pub responders: Vec<Responder>,
    #[serde(default)]
    pub checklist: Vec<ChecklistStep>,
    #[serde(default)]
    pub services: Vec<ServiceRef>,
}

impl Record {
    /// Decodes an answer, keeping its text.
    pub fn from_text(text: String) -> serde_json::Result<Record> {
        let mut r: Record = tocsin_domain::json_maps::from_str(&text)?;
        r.text = text.into();
        Ok(r)
    }

    /// The parts only tabs and sheets show, decoded from an answer's text (call it from their
    /// code). An answer they cannot read shows them empty, and says why in the console.
    pub fn rest_of(text: &str) -> Rest {
        tocsin_domain::json_maps::from_str(text).unwrap_or_else(|e| {
            leptos::logging::error!("the incident's tabs could not read its answer: {e}");
            Rest::default()
        })
    }

    /// Checklist steps done, and in all.
    pub fn checklist_count(&self) -> (usize, usize) {
        (self.steps.iter().filter(|s| s.done_at.is_some()).count(), self.steps.len())
    }

    /// How many people were asked to help.
    pub fn responders_count(&self) -> usize {
        self.asked.len()
    }
}
