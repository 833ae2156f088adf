//! Wire types of readiness (`GET /api/readiness`): what the next incident will trip over, each
//! finding with what it is about and the app page where it is fixed; and a service's runbook
//! checklist review (`GET/POST /api/services/{id}/checklist/review`). The rules live in
//! `crate::readiness`.

#[allow(unused_imports)]
use super::*;

/// What kind of gap a finding is. Listed (and shown) in this order within a severity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// A service with no escalation policy: its incidents page nobody.
    ServiceWithoutPolicy,
    /// A schedule a policy pages has minutes with nobody (active) on call in the next 14 days.
    ScheduleGap,
    /// Someone on call (or paged directly) in the next 14 days with no working device or webhook.
    PersonUnreachable,
    /// A service whose runbook checklist is empty, never reviewed or reviewed over 90 days ago.
    RunbookStale,
    /// An open action item past its due date.
    ActionItemOverdue,
    /// A service's integration has not sent an event in 30 days, or never.
    IntegrationSilent,
}

impl FindingKind {
    pub const ALL: [FindingKind; 6] = [
        FindingKind::ServiceWithoutPolicy,
        FindingKind::ScheduleGap,
        FindingKind::PersonUnreachable,
        FindingKind::RunbookStale,
        FindingKind::ActionItemOverdue,
        FindingKind::IntegrationSilent,
    ];

    /// A heading for a group of findings of this kind.
    pub fn title(self) -> &'static str {
        match self {
            FindingKind::ServiceWithoutPolicy => "Services without an escalation policy",
            FindingKind::ScheduleGap => "Gaps in on-call schedules",
            FindingKind::PersonUnreachable => "People on call who cannot be reached",
            FindingKind::RunbookStale => "Runbook checklists to write or review",
            FindingKind::ActionItemOverdue => "Action items past due",
            FindingKind::IntegrationSilent => "Integrations that have gone quiet",
        }
    }
}

/// Blocking: the next incident will not reach anyone (or reaches someone who cannot act).
/// Warning: it will be slower or harder than it needs to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum FindingSeverity {
    Blocking,
    Warning,
}

/// What a finding is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum SubjectKind {
    Service,
    Policy,
    Schedule,
    Person,
    ActionItem,
    /// A service's integration key (the subject's id and name are the service's).
    Integration,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct FindingSubject {
    pub kind: SubjectKind,
    pub id: String,
    pub name: String,
}

/// One thing to fix.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct Finding {
    pub kind: FindingKind,
    pub severity: FindingSeverity,
    pub subject: FindingSubject,
    /// A sentence saying what is wrong (times in the organisation's time zone).
    pub message: String,
    /// The app page where it is fixed (a path such as `/services/…`).
    pub fix_path: String,
    /// The schedule with the gap (`schedule_gap`), or the other thing involved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub related: Option<FindingSubject>,
    /// `schedule_gap`: the first minute nobody is on call; `action_item_overdue`: when it was due;
    /// `integration_silent`: the last event received; `runbook_stale`: the last review.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<DateTime<Utc>>,
    /// `schedule_gap`: when that first gap ends (or the end of the 14 days looked at).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct KindCount {
    pub kind: FindingKind,
    pub count: usize,
}

/// `GET /api/readiness`: blocking findings first, then by kind and subject name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ReadinessReport {
    pub generated_at: DateTime<Utc>,
    /// The organisation's time zone (its status page's), used for the times in the messages.
    pub time_zone: String,
    /// Every kind, with how many findings it has (zero included).
    pub counts: Vec<KindCount>,
    pub blocking: usize,
    pub warnings: usize,
    pub findings: Vec<Finding>,
}

/// `GET /api/services/{id}/checklist/review` and the answer of `POST …` ("mark reviewed").
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ChecklistReview {
    /// How many steps the template has.
    pub steps: usize,
    /// When the template was last saved or marked reviewed; absent: never.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reviewed_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reviewed_by: Option<Person>,
    /// When readiness starts to flag it (90 days after the review); absent when never reviewed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review_due_at: Option<DateTime<Utc>>,
}
