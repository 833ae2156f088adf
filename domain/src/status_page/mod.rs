//! The public status page: component statuses and how they add up to the page's indicator,
//! public incidents and their updates, scheduled maintenance and its automatic transitions, and
//! daily uptime in the page's time zone. Rendering lives beside it: `statuspage` (the
//! Statuspage v2 JSON that status tools read), `html` (the no-JavaScript page) and `feeds`
//! (Atom and RSS). Everything here is public by construction: the snapshot types hold only what
//! may be shown.

pub mod feeds;
pub mod html;
pub mod statuspage;
pub mod uptime;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::incident::{Severity, UnknownValue};

macro_rules! text_enum {
    ($(#[$doc:meta])* $name:ident, $field:literal { $($(#[$vdoc:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vdoc])* $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl std::str::FromStr for $name {
            type Err = UnknownValue;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(UnknownValue::new($field, s, concat!($($text, " "),+))),
                }
            }
        }
    };
}

text_enum!(
    /// A component's status, as Statuspage spells it.
    ComponentStatus, "status" {
        Operational = "operational",
        DegradedPerformance = "degraded_performance",
        PartialOutage = "partial_outage",
        MajorOutage = "major_outage",
        UnderMaintenance = "under_maintenance",
    }
);

impl ComponentStatus {
    /// How bad it is, for "the worst of them": maintenance is planned, so it ranks just above
    /// operational and below any outage.
    pub fn rank(self) -> u8 {
        match self {
            Self::Operational => 0,
            Self::UnderMaintenance => 1,
            Self::DegradedPerformance => 2,
            Self::PartialOutage => 3,
            Self::MajorOutage => 4,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Operational => "Operational",
            Self::DegradedPerformance => "Degraded performance",
            Self::PartialOutage => "Partial outage",
            Self::MajorOutage => "Major outage",
            Self::UnderMaintenance => "Under maintenance",
        }
    }

    /// Counts against uptime.
    pub fn is_outage(self) -> bool {
        matches!(self, Self::PartialOutage | Self::MajorOutage)
    }
}

/// The worst of several statuses (operational when there are none).
pub fn worst(statuses: impl IntoIterator<Item = ComponentStatus>) -> ComponentStatus {
    statuses.into_iter().max_by_key(|s| s.rank()).unwrap_or(ComponentStatus::Operational)
}

text_enum!(
    /// How bad a public incident is.
    Impact, "impact" { None = "none", Minor = "minor", Major = "major", Critical = "critical" }
);

impl Impact {
    fn rank(self) -> u8 {
        self as u8
    }
}

text_enum!(
    /// The page's overall indicator.
    Indicator, "indicator" { None = "none", Minor = "minor", Major = "major", Critical = "critical", Maintenance = "maintenance" }
);

impl Indicator {
    pub fn description(self) -> &'static str {
        match self {
            Self::None => "All Systems Operational",
            Self::Minor => "Minor Service Outage",
            Self::Major => "Partial System Outage",
            Self::Critical => "Major System Outage",
            Self::Maintenance => "Service Under Maintenance",
        }
    }
}

/// The page's indicator: the worse of what its components show and what its unresolved
/// incidents declare; maintenance shows only when nothing is broken.
pub fn indicator(components: &[ComponentStatus], unresolved_impacts: &[Impact], maintenance_in_progress: bool) -> Indicator {
    let from_components = match worst(components.iter().copied()) {
        ComponentStatus::MajorOutage => Impact::Critical,
        ComponentStatus::PartialOutage => Impact::Major,
        ComponentStatus::DegradedPerformance => Impact::Minor,
        _ => Impact::None,
    };
    let impact = unresolved_impacts.iter().copied().chain([from_components]).max_by_key(|i| i.rank()).unwrap_or(Impact::None);
    match impact {
        Impact::Critical => Indicator::Critical,
        Impact::Major => Indicator::Major,
        Impact::Minor => Indicator::Minor,
        Impact::None if maintenance_in_progress || components.contains(&ComponentStatus::UnderMaintenance) => Indicator::Maintenance,
        Impact::None => Indicator::None,
    }
}

/// The status an open internal incident suggests for a component linked to its service.
pub fn suggested_status(open_incident_severities: &[Severity]) -> ComponentStatus {
    match open_incident_severities.iter().min() {
        Some(Severity::Sev1) => ComponentStatus::MajorOutage,
        Some(Severity::Sev2) => ComponentStatus::PartialOutage,
        Some(_) => ComponentStatus::DegradedPerformance,
        None => ComponentStatus::Operational,
    }
}

text_enum!(
    /// The state a public incident update announces.
    UpdateStatus, "status" {
        Investigating = "investigating",
        Identified = "identified",
        Monitoring = "monitoring",
        Resolved = "resolved",
        Postmortem = "postmortem",
    }
);

impl UpdateStatus {
    pub fn label(self) -> &'static str {
        match self {
            Self::Investigating => "Investigating",
            Self::Identified => "Identified",
            Self::Monitoring => "Monitoring",
            Self::Resolved => "Resolved",
            Self::Postmortem => "Postmortem",
        }
    }

    pub fn is_resolved(self) -> bool {
        matches!(self, Self::Resolved | Self::Postmortem)
    }

    /// A starting text for a responder posting from a phone.
    pub fn template(self) -> &'static str {
        match self {
            Self::Investigating => "We are investigating reports of problems. We will post an update as soon as we know more.",
            Self::Identified => "We have identified the cause and are working on a fix.",
            Self::Monitoring => "A fix has been applied and we are monitoring the results.",
            Self::Resolved => "This incident has been resolved. Thank you for your patience.",
            Self::Postmortem => "We have published a postmortem for this incident.",
        }
    }
}

text_enum!(
    /// Where a scheduled maintenance is.
    MaintenanceStatus, "status" { Scheduled = "scheduled", InProgress = "in_progress", Verifying = "verifying", Completed = "completed" }
);

impl MaintenanceStatus {
    pub fn label(self) -> &'static str {
        match self {
            Self::Scheduled => "Scheduled",
            Self::InProgress => "In progress",
            Self::Verifying => "Verifying",
            Self::Completed => "Completed",
        }
    }
}

/// Maintenance moves by itself: scheduled → in progress at its start, and anything not yet
/// completed → completed at its end. People may set `verifying` in between.
pub fn maintenance_status(stored: MaintenanceStatus, starts_ms: i64, ends_ms: i64, now_ms: i64) -> MaintenanceStatus {
    use MaintenanceStatus::*;
    match stored {
        Completed => Completed,
        _ if now_ms >= ends_ms => Completed,
        Scheduled if now_ms >= starts_ms => InProgress,
        s => s,
    }
}

/// What a maintenance moving to `to` does to one of its components now at `current`: taken
/// under maintenance when work starts (if it was operational — an outage is not hidden), and
/// given back when it completes (if it is still under maintenance).
pub fn maintenance_component_status(to: MaintenanceStatus, current: ComponentStatus) -> Option<ComponentStatus> {
    match (to, current) {
        (MaintenanceStatus::InProgress, ComponentStatus::Operational) => Some(ComponentStatus::UnderMaintenance),
        (MaintenanceStatus::Completed, ComponentStatus::UnderMaintenance) => Some(ComponentStatus::Operational),
        _ => None,
    }
}

/// The status an incident update sets on the incident's components: the one asked for, else
/// operational when the update resolves the incident, else none (left as they are).
pub fn update_component_status(update: UpdateStatus, asked: Option<ComponentStatus>) -> Option<ComponentStatus> {
    asked.or(update.is_resolved().then_some(ComponentStatus::Operational))
}

/// What a correction of a published update's text does (`PATCH /api/status/updates/{id}`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Correction {
    /// Write the new text (guarded on `current` still being there).
    Write,
    /// The same text again: nothing to write, audit or date.
    Unchanged,
    /// The editor corrected older words than the update holds now: refuse (409) with this message.
    Stale(String),
}

/// Decides a correction: `previous` is the text the editor showed (when it says), `current` the
/// text stored, `new` the corrected one (both trimmed as stored).
pub fn correction(current: &str, previous: Option<&str>, new: &str) -> Correction {
    if previous.is_some_and(|p| p != current) {
        Correction::Stale(stale_correction(current))
    } else if new == current {
        Correction::Unchanged
    } else {
        Correction::Write
    }
}

/// The 409's message for a correction of words someone else corrected since: what the update
/// reads now (its first 120 characters).
pub fn stale_correction(now: &str) -> String {
    let start: String = now.chars().take(120).collect();
    let more = if now.chars().count() > 120 { "…" } else { "" };
    format!("someone corrected this update since you opened it; it now reads \"{start}{more}\". Reload the page and correct it again if needed")
}

/// What automatically entering a maintenance state says on the page.
pub fn maintenance_transition_text(to: MaintenanceStatus) -> &'static str {
    match to {
        MaintenanceStatus::InProgress => "Scheduled maintenance is currently in progress. We will provide updates as necessary.",
        MaintenanceStatus::Completed => "The scheduled maintenance has been completed.",
        MaintenanceStatus::Verifying => "Maintenance work is done and we are verifying the results.",
        MaintenanceStatus::Scheduled => "Maintenance has been scheduled.",
    }
}

// ---- The public snapshot: everything a public endpoint may show, and nothing else. ----

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct Page {
    pub id: String,
    pub name: String,
    /// Absolute URL of the page (for links in feeds and JSON).
    pub url: String,
    /// IANA time zone the page shows days in.
    pub time_zone: String,
    pub updated_at: DateTime<Utc>,
}

impl Page {
    /// Where the public routes are: the page's URL without a trailing `/status` (the page is
    /// `{site}/status`, an incident `{site}/status/incidents/{id}`, a maintenance
    /// `{site}/status/maintenance/{id}`, the feeds `{site}/history.atom` and `.rss`), the same for
    /// the HTML, the feeds and the Statuspage JSON.
    pub fn site(&self) -> &str {
        self.url.trim_end_matches('/').trim_end_matches("/status").trim_end_matches('/')
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct Component {
    pub id: String,
    pub name: String,
    pub description: String,
    pub status: ComponentStatus,
    pub position: i64,
    pub group_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Last 90 days, oldest first; `None` for days before the component existed.
    #[serde(default)]
    pub uptime: Vec<Option<f64>>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct Group {
    pub id: String,
    pub name: String,
    pub position: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct Update {
    pub id: String,
    /// `UpdateStatus` for incidents, `MaintenanceStatus` for maintenance (as text).
    pub status: String,
    pub body: String,
    pub created_at: DateTime<Utc>,
    /// When its text was last corrected; `None`: as posted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edited_at: Option<DateTime<Utc>>,
    /// Components whose status this update changed.
    #[serde(default)]
    pub affected: Vec<AffectedComponent>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct AffectedComponent {
    pub code: String,
    pub name: String,
    pub old_status: ComponentStatus,
    pub new_status: ComponentStatus,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct PublicIncident {
    pub id: String,
    pub name: String,
    pub status: UpdateStatus,
    pub impact: Impact,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub monitoring_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub component_ids: Vec<String>,
    /// Newest first.
    pub updates: Vec<Update>,
    /// The customer-facing postmortem (Markdown), once published (Statuspage's `postmortem_body`).
    #[serde(default)]
    pub postmortem_body: Option<String>,
    #[serde(default)]
    pub postmortem_published_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct Maintenance {
    pub id: String,
    pub name: String,
    pub status: MaintenanceStatus,
    pub impact: Impact,
    pub scheduled_for: DateTime<Utc>,
    pub scheduled_until: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub component_ids: Vec<String>,
    /// Newest first.
    pub updates: Vec<Update>,
}

/// Everything the public endpoints render, read in one go.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct Snapshot {
    pub page: Page,
    pub groups: Vec<Group>,
    pub components: Vec<Component>,
    /// Newest first.
    pub incidents: Vec<PublicIncident>,
    /// Soonest first.
    pub maintenances: Vec<Maintenance>,
    pub now: DateTime<Utc>,
}

impl Snapshot {
    /// Maintenance with its status as of `now` (the cron sweep persists the same transitions).
    pub fn effective_maintenances(&self) -> Vec<Maintenance> {
        self.maintenances
            .iter()
            .map(|m| Maintenance {
                status: maintenance_status(m.status, m.scheduled_for.timestamp_millis(), m.scheduled_until.timestamp_millis(), self.now.timestamp_millis()),
                ..m.clone()
            })
            .collect()
    }

    pub fn unresolved_incidents(&self) -> Vec<&PublicIncident> {
        self.incidents.iter().filter(|i| !i.status.is_resolved()).collect()
    }

    pub fn indicator(&self) -> Indicator {
        let statuses: Vec<ComponentStatus> = self.components.iter().map(|c| c.status).collect();
        let impacts: Vec<Impact> = self.unresolved_incidents().iter().map(|i| i.impact).collect();
        let in_progress = self.effective_maintenances().iter().any(|m| m.status == MaintenanceStatus::InProgress);
        indicator(&statuses, &impacts, in_progress)
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn a_correction_of_older_words_is_stale_and_the_same_words_change_nothing() {
        assert_eq!(correction("Old.", None, "New."), Correction::Write);
        assert_eq!(correction("Old.", Some("Old."), "New."), Correction::Write);
        assert_eq!(correction("Old.", Some("Old."), "Old."), Correction::Unchanged);
        let Correction::Stale(m) = correction("Newer.", Some("Old."), "Mine.") else { panic!("stale") };
        assert!(m.contains("\"Newer.\""), "{m}");
        let long = stale_correction(&"é".repeat(200));
        assert!(long.contains(&format!("{}…\"", "é".repeat(120))) && !long.contains(&"é".repeat(121)), "{long}");
    }

    use super::*;
    use ComponentStatus::*;

    #[test]
    fn worst_status_wins() {
        assert_eq!(worst([]), Operational);
        assert_eq!(worst([Operational, DegradedPerformance, Operational]), DegradedPerformance);
        assert_eq!(worst([UnderMaintenance, PartialOutage]), PartialOutage);
        assert_eq!(worst([UnderMaintenance, Operational]), UnderMaintenance);
        assert_eq!(worst([MajorOutage, PartialOutage, DegradedPerformance]), MajorOutage);
    }

    #[test]
    fn indicator_from_components_incidents_and_maintenance() {
        assert_eq!(indicator(&[Operational, Operational], &[], false), Indicator::None);
        assert_eq!(indicator(&[DegradedPerformance], &[], false), Indicator::Minor);
        assert_eq!(indicator(&[PartialOutage], &[], false), Indicator::Major);
        assert_eq!(indicator(&[MajorOutage, DegradedPerformance], &[], false), Indicator::Critical);
        assert_eq!(indicator(&[Operational], &[Impact::Major], false), Indicator::Major, "an incident's impact counts");
        assert_eq!(indicator(&[MajorOutage], &[Impact::Minor], false), Indicator::Critical, "the worse of the two");
        assert_eq!(indicator(&[UnderMaintenance], &[], false), Indicator::Maintenance);
        assert_eq!(indicator(&[Operational], &[], true), Indicator::Maintenance);
        assert_eq!(indicator(&[DegradedPerformance], &[], true), Indicator::Minor, "outages outrank maintenance");
        assert_eq!(Indicator::None.description(), "All Systems Operational");
    }

    #[test]
    fn maintenance_moves_at_its_times() {
        use MaintenanceStatus::*;
        let (start, end) = (1_000, 2_000);
        assert_eq!(maintenance_status(Scheduled, start, end, 999), Scheduled);
        assert_eq!(maintenance_status(Scheduled, start, end, 1_000), InProgress);
        assert_eq!(maintenance_status(InProgress, start, end, 1_500), InProgress);
        assert_eq!(maintenance_status(Verifying, start, end, 1_500), Verifying, "set by a person, kept");
        assert_eq!(maintenance_status(Verifying, start, end, 2_000), Completed);
        assert_eq!(maintenance_status(Scheduled, start, end, 5_000), Completed, "a missed start still completes");
        assert_eq!(maintenance_status(Completed, start, end, 1_500), Completed, "completed early stays completed");
    }

    #[test]
    fn maintenance_takes_components_and_gives_them_back() {
        use MaintenanceStatus::*;
        assert_eq!(maintenance_component_status(InProgress, Operational), Some(UnderMaintenance));
        assert_eq!(maintenance_component_status(InProgress, MajorOutage), None, "an outage stays visible");
        assert_eq!(maintenance_component_status(Completed, UnderMaintenance), Some(Operational));
        assert_eq!(maintenance_component_status(Completed, PartialOutage), None);
        assert_eq!(maintenance_component_status(Verifying, Operational), None);
        assert_eq!(update_component_status(UpdateStatus::Resolved, None), Some(Operational));
        assert_eq!(update_component_status(UpdateStatus::Monitoring, None), None);
        assert_eq!(update_component_status(UpdateStatus::Resolved, Some(DegradedPerformance)), Some(DegradedPerformance));
    }

    #[test]
    fn suggestions_follow_the_worst_open_incident() {
        assert_eq!(suggested_status(&[]), Operational);
        assert_eq!(suggested_status(&[Severity::Sev3, Severity::Sev2]), PartialOutage);
        assert_eq!(suggested_status(&[Severity::Sev1]), MajorOutage);
        assert_eq!(suggested_status(&[Severity::Sev4]), DegradedPerformance);
    }

    #[test]
    fn text_forms_round_trip() {
        for s in ComponentStatus::ALL {
            assert_eq!(s.as_str().parse::<ComponentStatus>().unwrap(), *s);
            assert_eq!(serde_json::to_string(s).unwrap(), format!("\"{}\"", s.as_str()));
        }
        for s in MaintenanceStatus::ALL {
            assert_eq!(s.as_str().parse::<MaintenanceStatus>().unwrap(), *s);
        }
        assert!("broken".parse::<ComponentStatus>().is_err());
        assert_eq!(UpdateStatus::Monitoring.as_str(), "monitoring");
    }
}
