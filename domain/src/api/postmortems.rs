//! Wire types of postmortems (`/api/incidents/{id}/postmortem…`, `/api/postmortem-template`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{ErrorDetail, Person};
use crate::postmortem::hints::Hint;
use crate::postmortem::timeline::{KeyTime, TimelineItem};
use crate::postmortem::PostmortemStatus;

/// An incident a postmortem covers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct PostmortemIncident {
    pub id: String,
    pub number: i64,
    pub title: String,
    pub status: String,
}

/// One section of the document.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct PostmortemSection {
    pub key: String,
    pub title: String,
    /// The template's guidance (shown while the section is empty).
    #[serde(default)]
    pub prompt: String,
    /// Markdown.
    pub body: String,
    /// Send it back with the next save of this section.
    pub version: i64,
    pub updated_at: DateTime<Utc>,
    pub updated_by: Option<Person>,
}

/// A reviewer's comment on a section.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct PostmortemComment {
    pub id: String,
    pub section: String,
    pub author: Person,
    pub at: DateTime<Utc>,
    pub body: String,
    pub resolved: bool,
    pub resolved_by: Option<Person>,
    pub resolved_at: Option<DateTime<Utc>>,
}

/// The record as the postmortem sees it: key timestamps, highlighted rows, and — with
/// `?timeline=all` — every other row (`rest`); `rest_count` says how many there are.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct PostmortemTimeline {
    /// The organisation's time zone (the status page's), in which `absolute` times are written.
    pub time_zone: String,
    /// The instant `T+0:00` counts from (impact started, else detected, else opened).
    pub t0: DateTime<Utc>,
    pub key_times: Vec<KeyTime>,
    pub highlights: Vec<TimelineItem>,
    pub rest_count: usize,
    #[serde(default)]
    pub rest: Option<Vec<TimelineItem>>,
    /// The timeline section as it would be filled now (Markdown), for "refill from the record".
    pub suggested: String,
}

/// `GET /api/incidents/{id}/postmortem`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct Postmortem {
    pub id: String,
    /// The incident it was created from.
    pub incident_id: String,
    /// Every incident it covers, the primary one first.
    pub incidents: Vec<PostmortemIncident>,
    pub title: String,
    pub status: PostmortemStatus,
    /// Grows with every change to the document.
    pub version: i64,
    pub template: String,
    pub sections: Vec<PostmortemSection>,
    /// Blameless-language hints over every section and the public text.
    pub hints: Vec<Hint>,
    pub comments: Vec<PostmortemComment>,
    /// The customer-facing version (Markdown); only this reaches the status page.
    pub public_text: String,
    pub public_version: i64,
    /// The public status-page incident it was (or would be) published to.
    pub public_incident_id: Option<String>,
    pub public_published_at: Option<DateTime<Utc>>,
    pub created_by: Person,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub status_changed_at: Option<DateTime<Utc>>,
    pub status_changed_by: Option<Person>,
    pub published_at: Option<DateTime<Utc>>,
    pub timeline: PostmortemTimeline,
    /// The caller may publish, reopen and publish to the status page (an admin or the
    /// incident commander).
    pub can_publish: bool,
    /// The caller may edit and comment (responders and admins).
    pub can_edit: bool,
}

/// `POST /api/incidents/{id}/postmortem`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct CreatePostmortem {
    /// Other incidents this postmortem also covers (related incidents, at most 19).
    #[serde(default)]
    pub related_incident_ids: Vec<String>,
    /// Defaults to "Postmortem: <incident title>".
    #[serde(default)]
    pub title: Option<String>,
}

/// `PUT /api/incidents/{id}/postmortem/sections/{key}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct SaveSection {
    pub body: String,
    /// The section's version this text was based on.
    pub version: i64,
}

/// The answer to a save: the section as stored, the document's version and the section's hints.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct SectionSaved {
    pub section: PostmortemSection,
    pub version: i64,
    pub hints: Vec<Hint>,
}

/// 409 to a save based on an older version: nothing was written; `current` is the newer text.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct SectionConflict {
    pub error: ErrorDetail,
    pub current: PostmortemSection,
    pub hints: Vec<Hint>,
}

/// `PUT /api/incidents/{id}/postmortem/public`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct SavePublicText {
    pub text: String,
    /// The `public_version` this text was based on.
    pub version: i64,
}

/// The answer to a public-text save (and, with status 409, the newer text).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct PublicTextSaved {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorDetail>,
    pub public_text: String,
    pub public_version: i64,
    pub hints: Vec<Hint>,
}

/// `POST /api/incidents/{id}/postmortem/status`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ChangeStatus {
    pub status: PostmortemStatus,
}

/// `POST /api/incidents/{id}/postmortem/comments`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct NewComment {
    /// The section's key.
    pub section: String,
    pub body: String,
}

/// `POST /api/incidents/{id}/postmortem/comments/{comment}/resolve` (and `…/reopen`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct CommentAnswer {
    pub comment: PostmortemComment,
}

/// `POST /api/incidents/{id}/postmortem/publish-public`: what the status page now shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct PublicPublished {
    pub public_incident_id: String,
    pub postmortem_published_at: DateTime<Utc>,
    /// Where the public can read it.
    pub url: String,
}
