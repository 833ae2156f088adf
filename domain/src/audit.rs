//! The audit log: every change that is not an incident timeline row (people, roles, tokens,
//! sessions, services and their keys, schedules, overrides, policies, destinations, the status
//! page, settings) leaves an append-only row saying who did it, what, the state before and after
//! (secrets redacted) and from which address. This module owns the vocabulary (actors, actions),
//! the redaction rule, the query filters and the wire types; the worker writes the row in the same
//! D1 batch as the change it describes.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Who made a change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Actor {
    /// A person with a browser session.
    User { user_id: String, name: String },
    /// An API token, acting for its user.
    Token { token_id: String, token_name: String, user_id: String, user_name: String },
    /// A monitoring tool with a service's integration key.
    Integration { service_id: String, vendor: String },
    /// Tocsin itself (the cron, first-run setup).
    System,
}

impl Actor {
    pub fn kind(&self) -> &'static str {
        match self {
            Actor::User { .. } => "user",
            Actor::Token { .. } => "token",
            Actor::Integration { .. } => "integration",
            Actor::System => "system",
        }
    }

    /// The user the change is attributed to (a token's owner), if any.
    pub fn user_id(&self) -> Option<&str> {
        match self {
            Actor::User { user_id, .. } | Actor::Token { user_id, .. } => Some(user_id),
            _ => None,
        }
    }

    /// The id of the credential or thing that acted (user, token, service).
    pub fn id(&self) -> Option<&str> {
        match self {
            Actor::User { user_id, .. } => Some(user_id),
            Actor::Token { token_id, .. } => Some(token_id),
            Actor::Integration { service_id, .. } => Some(service_id),
            Actor::System => None,
        }
    }

    /// How the actor is shown: "Ada", "deploy bot (token of Ada)", "grafana", "Tocsin".
    pub fn label(&self) -> String {
        match self {
            Actor::User { name, .. } => name.clone(),
            Actor::Token { token_name, user_name, .. } => format!("{token_name} (token of {user_name})"),
            Actor::Integration { vendor, .. } => vendor.clone(),
            Actor::System => "Tocsin".into(),
        }
    }
}

macro_rules! actions {
    ($($variant:ident => $name:literal),* $(,)?) => {
        /// What was done. The part before the dot is the kind of thing changed.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum Action { $($variant),* }

        impl Action {
            pub const ALL: &'static [Action] = &[$(Action::$variant),*];

            pub fn as_str(self) -> &'static str {
                match self { $(Action::$variant => $name),* }
            }
        }
    };
}

actions! {
    OrganizationCreated => "organization.created",
    UserCreated => "user.created",
    UserInvited => "user.invited",
    UserInviteAccepted => "user.invite_accepted",
    UserUpdated => "user.updated",
    UserDeactivated => "user.deactivated",
    UserPasswordChanged => "user.password_changed",
    SessionCreated => "session.created",
    SessionEnded => "session.ended",
    SessionsRevoked => "session.revoked_all",
    TokenCreated => "token.created",
    TokenRevoked => "token.revoked",
    ServiceCreated => "service.created",
    ServiceUpdated => "service.updated",
    ServiceKeyRotated => "service.key_rotated",
    ServicePolicySet => "service.escalation_policy_set",
    ServiceChecklistUpdated => "service.checklist_updated",
    ServiceChecklistReviewed => "service.checklist_reviewed",
    ScheduleCreated => "schedule.created",
    ScheduleUpdated => "schedule.updated",
    ScheduleDeleted => "schedule.deleted",
    OverrideCreated => "override.created",
    OverrideDeleted => "override.deleted",
    CalendarFeedCreated => "calendar_feed.created",
    CalendarFeedRevoked => "calendar_feed.revoked",
    PolicyCreated => "escalation_policy.created",
    PolicyUpdated => "escalation_policy.updated",
    PolicyDeleted => "escalation_policy.deleted",
    DestinationCreated => "webhook_destination.created",
    DestinationUpdated => "webhook_destination.updated",
    DestinationDeleted => "webhook_destination.deleted",
    DeviceSubscribed => "device.subscribed",
    DeviceRemoved => "device.removed",
    ContactPreferencesUpdated => "contact_preferences.updated",
    StatusPageUpdated => "status_page.updated",
    StatusGroupCreated => "status_group.created",
    StatusComponentCreated => "status_component.created",
    StatusComponentUpdated => "status_component.updated",
    StatusIncidentPublished => "status_incident.published",
    StatusIncidentUpdated => "status_incident.updated",
    MaintenanceScheduled => "maintenance.scheduled",
    MaintenanceUpdated => "maintenance.updated",
    PublicUpdateEdited => "public_update.edited",
    SecretsResealed => "secrets.resealed",
    ImportApplied => "import.applied",
    TeamCreated => "team.created",
    TeamUpdated => "team.updated",
    TeamDeleted => "team.deleted",
    IncidentRoleCreated => "incident_role.created",
    IncidentRoleDeleted => "incident_role.deleted",
    PostmortemTemplateUpdated => "postmortem_template.updated",
    TicketingConfigured => "ticketing.configured",
    TicketingRemoved => "ticketing.removed",
}

impl Action {
    /// The kind of thing the action changes (`service` for `service.key_rotated`).
    pub fn target_kind(self) -> &'static str {
        self.as_str().split('.').next().unwrap_or_default()
    }
}

/// One change to record: the worker adds the id, time, organisation and address.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub actor: Actor,
    pub action: Action,
    pub target_id: Option<String>,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

impl Entry {
    pub fn new(actor: Actor, action: Action, target_id: Option<&str>) -> Self {
        Entry { actor, action, target_id: target_id.map(str::to_string), before: None, after: None }
    }

    /// The state before the change (redacted here, so no caller can forget).
    pub fn before(mut self, v: Value) -> Self {
        self.before = Some(redacted(v));
        self
    }

    /// The state after the change (redacted).
    pub fn after(mut self, v: Value) -> Self {
        self.after = Some(redacted(v));
        self
    }
}

/// What stands in for a secret in the log.
pub const REDACTED: &str = "[redacted]";

/// Whether a field of that name holds a secret: credentials, keys, signing secrets and URLs that
/// carry credentials in them (chat webhooks, push endpoints). Ids and hints of secrets stay.
pub fn is_secret_field(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    if n.ends_with("_id") || n.ends_with("_hint") || n.ends_with("_name") || n.ends_with("_at") || n == "id" || n == "name" {
        return false;
    }
    const SECRET_PARTS: [&str; 10] = ["secret", "password", "passphrase", "token", "key", "private", "p256dh", "endpoint", "credential", "signature"];
    n == "auth" || n == "url" || n.ends_with("_url") && n != "runbook_url" && n != "page_url" || SECRET_PARTS.iter().any(|p| n.contains(p))
}

/// A copy of a value with every secret field (at any depth) replaced by [`REDACTED`].
pub fn redacted(mut v: Value) -> Value {
    redact(&mut v);
    v
}

fn redact(v: &mut Value) {
    match v {
        Value::Object(map) => {
            for (k, field) in map.iter_mut() {
                if is_secret_field(k) && !field.is_null() && !field.is_boolean() {
                    *field = Value::String(REDACTED.into());
                } else {
                    redact(field);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact),
        _ => {}
    }
}

/// At most this many rows per page of `GET /api/audit`.
pub const MAX_PAGE: u32 = 200;
pub const DEFAULT_PAGE: u32 = 50;

/// The filters of `GET /api/audit`, validated.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Query {
    /// Rows attributed to this user (their session or their tokens).
    pub actor_user_id: Option<String>,
    /// `user`, `token`, `integration` or `system`.
    pub actor_kind: Option<String>,
    /// An action (`service.updated`) or a kind of thing (`service`).
    pub action: Option<String>,
    pub target_id: Option<String>,
    pub from_ms: Option<i64>,
    pub to_ms: Option<i64>,
    /// Rows older than this row id (the `next_cursor` of the previous page).
    pub before_id: Option<String>,
    pub limit: u32,
}

/// Checks the filters of `GET /api/audit`; the error names the parameter at fault.
#[allow(clippy::too_many_arguments)]
pub fn query(
    actor_user_id: Option<String>,
    actor_kind: Option<String>,
    action: Option<String>,
    target_id: Option<String>,
    from_ms: Option<i64>,
    to_ms: Option<i64>,
    cursor: Option<String>,
    limit: Option<&str>,
) -> Result<Query, (&'static str, String)> {
    if let Some(k) = actor_kind.as_deref() {
        if !["user", "token", "integration", "system"].contains(&k) {
            return Err(("actor_kind", format!("must be user, token, integration or system, not {k:?}")));
        }
    }
    if let Some(a) = action.as_deref() {
        let known = Action::ALL.iter().any(|x| x.as_str() == a || x.target_kind() == a);
        if !known {
            return Err(("action", format!("{a:?} is neither an action (like service.updated) nor a kind of thing (like service)")));
        }
    }
    if let (Some(f), Some(t)) = (from_ms, to_ms) {
        if f > t {
            return Err(("from", "must not be after `to`".into()));
        }
    }
    if let Some(c) = cursor.as_deref() {
        if c.len() != 36 || !c.chars().all(|ch| ch.is_ascii_hexdigit() || ch == '-') {
            return Err(("cursor", "is not a cursor this API gave".into()));
        }
    }
    let limit = match limit {
        None => DEFAULT_PAGE,
        Some(l) => match l.parse::<u32>() {
            Ok(n) if (1..=MAX_PAGE).contains(&n) => n,
            _ => return Err(("limit", format!("must be a whole number from 1 to {MAX_PAGE}"))),
        },
    };
    Ok(Query { actor_user_id, actor_kind, action, target_id, from_ms, to_ms, before_id: cursor, limit })
}

/// Who, as the API shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct AuditActor {
    /// `user`, `token`, `integration` or `system`.
    pub kind: String,
    pub id: Option<String>,
    /// The user a token acts for (and the user themself for `user`).
    pub user_id: Option<String>,
    pub name: String,
}

/// One row of the audit log.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct AuditEvent {
    pub id: String,
    pub at: DateTime<Utc>,
    pub actor: AuditActor,
    pub action: String,
    pub target_kind: String,
    pub target_id: Option<String>,
    pub before: Option<Value>,
    pub after: Option<Value>,
    /// The address the request came from (Cloudflare's `CF-Connecting-IP`), if any.
    pub address: Option<String>,
}

/// `GET /api/audit`: newest first; `next_cursor` fetches older rows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct AuditPage {
    pub events: Vec<AuditEvent>,
    pub next_cursor: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secrets_are_redacted_at_any_depth_and_ids_and_hints_stay() {
        let v = redacted(json!({
            "id": "d1", "name": "Slack", "url": "https://hooks.slack.com/services/T/B/x", "url_hint": "hooks.slack.com/…",
            "secret": "whsec", "webhook_secret": "s", "integration_key": "abc", "runbook_url": "https://wiki/run",
            "token_id": "t1", "keys": {"p256dh": "k", "auth": "a"}, "steps": [{"password": "pw", "delay_minutes": 5}],
            "expires_at": 5, "cleared": null, "has_webhook_secret": true
        }));
        assert_eq!(v["id"], "d1");
        assert_eq!(v["name"], "Slack");
        assert_eq!(v["url"], REDACTED);
        assert_eq!(v["url_hint"], "hooks.slack.com/…");
        assert_eq!(v["secret"], REDACTED);
        assert_eq!(v["webhook_secret"], REDACTED);
        assert_eq!(v["integration_key"], REDACTED);
        assert_eq!(v["runbook_url"], "https://wiki/run");
        assert_eq!(v["token_id"], "t1");
        assert_eq!(v["keys"], REDACTED, "a whole object under a secret name goes");
        assert_eq!(v["steps"][0]["password"], REDACTED);
        assert_eq!(v["steps"][0]["delay_minutes"], 5);
        assert_eq!(v["expires_at"], 5);
        assert!(v["cleared"].is_null(), "a cleared secret shows as cleared");
        assert_eq!(v["has_webhook_secret"], true, "whether a secret is set is not a secret");
        let text = v.to_string();
        for secret in ["hooks.slack.com/services", "whsec", "\"abc\"", "\"pw\""] {
            assert!(!text.contains(secret), "{secret} leaked: {text}");
        }
    }

    #[test]
    fn entries_redact_whatever_they_are_given() {
        let e = Entry::new(Actor::System, Action::DestinationUpdated, Some("d1")).before(json!({"secret": "old"})).after(json!({"secret": "new"}));
        assert_eq!(e.before.unwrap()["secret"], REDACTED);
        assert_eq!(e.after.unwrap()["secret"], REDACTED);
    }

    #[test]
    fn actions_name_their_kind_and_are_unique() {
        assert_eq!(Action::ServiceKeyRotated.target_kind(), "service");
        assert_eq!(Action::PolicyDeleted.as_str(), "escalation_policy.deleted");
        let mut names: Vec<_> = Action::ALL.iter().map(|a| a.as_str()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), Action::ALL.len());
        assert!(Action::ALL.iter().all(|a| a.as_str().split('.').count() == 2));
    }

    #[test]
    fn actors_are_labelled_and_attributed() {
        let t = Actor::Token { token_id: "t1".into(), token_name: "deploy bot".into(), user_id: "u1".into(), user_name: "Ada".into() };
        assert_eq!((t.kind(), t.id(), t.user_id(), t.label().as_str()), ("token", Some("t1"), Some("u1"), "deploy bot (token of Ada)"));
        assert_eq!(Actor::System.user_id(), None);
        assert_eq!(Actor::System.label(), "Tocsin");
    }

    #[test]
    fn query_filters_are_checked_and_name_the_parameter() {
        let ok = |a: Option<&str>, l: Option<&str>| query(None, None, a.map(String::from), None, None, None, None, l);
        assert_eq!(ok(None, None).unwrap().limit, DEFAULT_PAGE);
        assert!(ok(Some("service"), Some("200")).is_ok());
        assert!(ok(Some("service.updated"), Some("1")).is_ok());
        assert_eq!(ok(Some("service.exploded"), None).unwrap_err().0, "action");
        assert_eq!(ok(None, Some("0")).unwrap_err().0, "limit");
        assert_eq!(ok(None, Some("201")).unwrap_err().0, "limit");
        assert_eq!(ok(None, Some("ten")).unwrap_err().0, "limit");
        assert_eq!(query(None, Some("robot".into()), None, None, None, None, None, None).unwrap_err().0, "actor_kind");
        assert_eq!(query(None, None, None, None, Some(5), Some(4), None, None).unwrap_err().0, "from");
        assert_eq!(query(None, None, None, None, None, None, Some("'; DROP".into()), None).unwrap_err().0, "cursor");
        assert!(query(None, None, None, None, None, None, Some("0190c8a2-8e1b-7c3d-9a4b-1c2d3e4f5a6b".into()), None).is_ok());
    }
}
