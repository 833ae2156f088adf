//! Wire types of an incident's responders: suggestions by expertise, requests (to people, to
//! whoever is on call on a schedule, to the first level of a policy) and the answers
//! (join / decline / no answer).

#[allow(unused_imports)]
use super::*;
pub use crate::responders::ResponderState;

/// A person as a responder list names them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct PersonRef {
    pub id: UserId,
    pub name: String,
}

/// One person asked to help on an incident, and where their answer stands.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct Responder {
    pub user: PersonRef,
    pub state: ResponderState,
    /// Who asked.
    pub requested_by: Actor,
    pub requested_at: DateTime<Utc>,
    /// When they joined or declined, or when the request ran out (`no_answer`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answered_at: Option<DateTime<Utc>>,
    /// What the requester wrote with the request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// `GET /api/incidents/{id}/responders`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ResponderList {
    pub responders: Vec<Responder>,
}

/// One suggested person and why.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ResponderSuggestion {
    pub user: PersonRef,
    /// Names of the schedules they are on call for now (empty: not on call).
    pub on_call: Vec<String>,
    /// The incident's expertise tags they hold.
    pub matches: Vec<String>,
    /// Human reasons, e.g. `on call for Primary`, `matches "postgres"`.
    pub reasons: Vec<String>,
}

/// `GET /api/incidents/{id}/responder-suggestions`: best first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ResponderSuggestions {
    /// The expertise the incident's services declare.
    pub expertise: Vec<String>,
    pub suggestions: Vec<ResponderSuggestion>,
}

/// `POST /api/incidents/{id}/responders`: exactly one of `user_ids`, `schedule_id` (whoever is
/// on call on it now) or `policy_id` (the first level's targets), and an optional message.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RequestRespondersRequest {
    #[serde(default)]
    pub user_ids: Option<Vec<UserId>>,
    #[serde(default)]
    pub schedule_id: Option<String>,
    #[serde(default)]
    pub policy_id: Option<String>,
    /// At most 500 characters; shown in the page and on the timeline.
    #[serde(default)]
    pub message: Option<String>,
}

/// The answer to a request: who was asked now, and who was already asked or responding (asked
/// again: nothing happens, nobody is paged twice).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct RespondersRequested {
    pub requested: Vec<PersonRef>,
    pub already: Vec<PersonRef>,
    /// The incident's responders after the request.
    pub responders: Vec<Responder>,
}

/// `POST /api/incidents/{id}/responders/{user_id}/join|decline`: with a session the person
/// answers for themself (empty body `{}`); from a notification the body carries its action token.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ResponderAnswerRequest {
    #[serde(default)]
    pub token: Option<String>,
}

/// The answer to join / decline.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ResponderAnswered {
    pub responder: Responder,
    /// False when the same answer was already recorded (a retried tap).
    pub changed: bool,
}
