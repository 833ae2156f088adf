//! Wire types of runbook checklists: a service's template (`GET/PUT /api/services/{id}/checklist`)
//! and an incident's own copy of it with ad hoc steps (`/api/incidents/{id}/checklist…`).
//! The rules (limits, copying the template) live in `crate::checklist`.

use serde::{Deserialize, Serialize};

use super::Person;
use chrono::{DateTime, Utc};

/// One step of a service's runbook checklist template.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct TemplateStep {
    /// Markdown, 1–2000 characters.
    pub text: String,
}

/// `PUT /api/services/{id}/checklist` (and its answer, and `GET`): the steps in order, at most 50.
/// Incidents opened on the service afterwards get a copy; running incidents keep theirs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ChecklistTemplate {
    pub steps: Vec<TemplateStep>,
}

/// One step of an incident's checklist.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ChecklistStep {
    pub id: String,
    /// 1, 2, 3, … in the order shown (template steps first, ad hoc steps after).
    pub position: i64,
    /// Markdown.
    pub text: String,
    /// When it was ticked; absent while it is open.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub done_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub done_by: Option<Person>,
    /// Who added it (ad hoc steps); absent for steps copied from the service's template.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub added_by: Option<Person>,
    /// Added during the incident rather than copied from the template.
    pub ad_hoc: bool,
}

/// `GET /api/incidents/{id}/checklist`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct IncidentChecklist {
    pub steps: Vec<ChecklistStep>,
}

/// `POST /api/incidents/{id}/checklist`: an ad hoc step at the end.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct AddStepRequest {
    /// Markdown, 1–2000 characters.
    pub text: String,
}
