//! On-call wire types: schedules and overrides, escalation policies, reassignment and calendar
//! feeds (request bodies and the answers the handlers build).

use crate::escalation::Level;
use crate::ids::{ServiceId, UserId};
use crate::schedule::Layer;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// `POST /api/schedules`, `PUT /api/schedules/{id}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ScheduleRequest {
    /// 1–100 characters.
    pub name: String,
    /// IANA time zone (default UTC).
    #[serde(default)]
    pub time_zone: Option<String>,
    /// Lowest priority first; each needs at least one participant.
    pub layers: Vec<Layer>,
    /// The owning team (`PUT`: absent keeps it, `null` clears it).
    #[serde(default)]
    pub team_id: Option<String>,
}

/// A schedule as `GET /api/schedules` lists it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ScheduleView {
    pub id: String,
    pub name: String,
    pub time_zone: String,
    pub layers: Vec<Layer>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ScheduleList {
    pub schedules: Vec<ScheduleView>,
}

/// The answer to creating or replacing a schedule, policy, status group or component.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct Named {
    pub id: String,
    pub name: String,
}

/// `POST /api/schedules/{id}/overrides`: someone covers `start`–`end` (RFC 3339).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct OverrideRequest {
    /// Who covers (default: the caller; only admins may name someone else).
    #[serde(default)]
    pub user_id: Option<UserId>,
    pub start: DateTime<Utc>,
    /// After `start`.
    pub end: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct OverrideCreated {
    pub id: String,
    pub user_id: UserId,
}

/// `POST /api/escalation-policies`, `PUT /api/escalation-policies/{id}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct PolicyRequest {
    pub name: String,
    /// Every target must be a user or schedule of the organisation.
    pub levels: Vec<Level>,
    /// How many times the whole policy runs again when nobody acknowledges.
    #[serde(default)]
    pub repeats: u32,
    /// The owning team (`PUT`: absent keeps it, `null` clears it).
    #[serde(default)]
    pub team_id: Option<String>,
}

/// `PUT /api/services/{id}/escalation-policy`; `null` clears it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ServicePolicyRequest {
    #[serde(default)]
    pub policy_id: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ServicePolicy {
    pub service_id: ServiceId,
    pub policy_id: Option<String>,
}

/// `POST /api/incidents/{id}/escalate`: how many escalation steps ran.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct EscalationRun {
    pub steps: u64,
}

/// `POST /api/incidents/{id}/reassign`: exactly one of the two.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ReassignRequest {
    /// Page this person now, nothing further.
    #[serde(default)]
    pub user_id: Option<UserId>,
    /// Run this policy from level 1.
    #[serde(default)]
    pub policy_id: Option<String>,
}

/// A new calendar subscription; its token is in `url` and shown only here.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct CalendarFeed {
    pub id: String,
    pub url: String,
}

/// What a calendar feed shows: one schedule, or one person's shifts across schedules.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum FeedKind {
    Schedule,
    User,
}

impl FeedKind {
    /// As stored (`calendar_feeds.kind`) and on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Schedule => "schedule",
            Self::User => "user",
        }
    }

    /// The person whose own shifts a feed of this kind about `subject` shows (`None`: a schedule's).
    pub fn personal(self, subject: &str) -> Option<&str> {
        (self == Self::User).then_some(subject)
    }
}

/// A live calendar feed as `GET /api/calendar-feeds` lists it: never its link (the token in it
/// is shown once, when the feed is made).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct CalendarFeedView {
    pub id: String,
    pub kind: FeedKind,
    /// The schedule's or the person's id.
    pub subject_id: String,
    /// The schedule's or the person's name.
    pub subject_name: String,
    pub created_at: DateTime<Utc>,
    /// Who made it; `None` for a feed made before makers were recorded (an admin revokes those).
    pub created_by: Option<String>,
}

/// `GET /api/calendar-feeds`: the live feeds the caller may revoke — the ones they made and the
/// one of their own shifts; an admin: every feed of the organisation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct CalendarFeedList {
    pub feeds: Vec<CalendarFeedView>,
}

/// Someone on call (in `GET /api/oncall` and a schedule's timeline). A deactivated person keeps
/// their turns and stays named, but is never paged: their shifts are uncovered.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct OnCallPerson {
    pub id: UserId,
    pub name: String,
    #[serde(default)]
    pub deactivated: bool,
}

#[cfg(test)]
mod tests {
    use super::FeedKind;

    #[test]
    fn a_feed_kind_is_stored_as_it_is_sent() {
        for k in [FeedKind::Schedule, FeedKind::User] {
            assert_eq!(serde_json::to_value(k).unwrap(), serde_json::Value::String(k.as_str().into()));
            assert_eq!(serde_json::from_value::<FeedKind>(k.as_str().into()).unwrap(), k);
        }
        assert_eq!(FeedKind::User.personal("u1"), Some("u1"));
        assert_eq!(FeedKind::Schedule.personal("s1"), None);
    }
}
