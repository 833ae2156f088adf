//! Database rows → wire types (`tocsin_domain::api`).

use chrono::{DateTime, Utc};
use tocsin_domain::api::{self, Actor, ActorKind};
use tocsin_domain::ids::{AlertId, IncidentId, OrgId, ServiceId, UserId};

use crate::db::{AlertEventRow, AlertRow, ChangeEventRow, IncidentRow, ServiceRow, SnsSubscriptionRow, TimelineRow, UserRow};
use crate::error::{ApiError, ApiResult};

pub fn time(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

fn actor(json: Option<&str>) -> Option<Actor> {
    json.and_then(|j| serde_json::from_str(j).ok())
}

pub fn actor_json(a: &Actor) -> String {
    serde_json::to_string(a).unwrap_or_default()
}

pub fn user_actor(u: &UserRow) -> Actor {
    Actor { kind: ActorKind::User, id: Some(u.id.clone()), name: u.name.clone() }
}

pub fn user(u: &UserRow) -> ApiResult<api::User> {
    Ok(api::User {
        id: UserId(u.id.clone()),
        email: u.email.clone(),
        name: u.name.clone(),
        role: u.role.parse()?,
        active: u.password_hash.is_some() && u.deactivated_at.is_none(),
        created_at: time(u.created_at),
        deactivated_at: u.deactivated_at.map(time),
        expertise: u.expertise.as_deref().map(tocsin_domain::expertise::parse_stored).unwrap_or_default(),
        teams: Vec::new(),
    })
}

pub fn me(u: &UserRow, role: tocsin_domain::auth::Role) -> ApiResult<api::Me> {
    Ok(api::Me {
        user: user(u)?,
        organization: api::Organization { id: OrgId(u.org_id.clone()), name: u.org_name.clone() },
        role,
    })
}

/// A service as `role` may see it (the integration key for admins only).
pub fn service(s: &ServiceRow, role: tocsin_domain::auth::Role) -> api::Service {
    api::Service {
        id: ServiceId(s.id.clone()),
        name: s.name.clone(),
        description: s.description.clone(),
        runbook_url: s.runbook_url.clone(),
        integration_key: tocsin_domain::auth::sees_integration_keys(role).then(|| s.integration_key.clone()),
        created_at: time(s.created_at),
        updated_at: time(s.updated_at),
        open_incidents: s.open_incidents.max(0) as u64,
        grouping: serde_json::from_str(&s.grouping).unwrap_or_default(),
        auto_resolve: s.auto_resolve != 0,
        webhook_secret_set: s.webhook_secret.as_deref().is_some_and(|w| !w.is_empty()),
        escalation_policy_id: s.escalation_policy_id.clone(),
        unack_timeout_minutes: s.unack_timeout_minutes,
        allowed_senders: s.allowed_senders.as_deref().and_then(|j| serde_json::from_str(j).ok()),
        expertise: s.expertise.as_deref().map(tocsin_domain::expertise::parse_stored).unwrap_or_default(),
        team_id: s.team_id.clone(),
        sns_topic_arn: s.sns_topic_arn.clone(),
    }
}

pub fn event_log(e: &AlertEventRow) -> api::AlertEventLog {
    api::AlertEventLog {
        id: e.id.clone(),
        received_at: time(e.received_at),
        vendor: e.vendor.clone(),
        action: e.action.clone(),
        dedup_key: e.dedup_key.clone(),
        result: e.result.clone(),
        message: e.message.clone(),
        alert_id: e.alert_id.clone().map(AlertId),
        incident_id: e.incident_id.clone().map(IncidentId),
        raw: e.raw.clone(),
    }
}

pub fn change(c: &ChangeEventRow) -> api::ChangeEvent {
    api::ChangeEvent {
        id: c.id.clone(),
        summary: c.summary.clone(),
        source: c.source.clone(),
        at: time(c.at),
        details: serde_json::from_str(&c.details).unwrap_or_default(),
        links: serde_json::from_str(&c.links).unwrap_or_default(),
    }
}

/// A subscription as the panel shows it: its confirmation link (which confirms the topic at
/// SNS) only to those who see the integration key (`shown`), as for the stored payloads.
pub fn sns_subscription(s: &SnsSubscriptionRow, shown: bool) -> api::SnsSubscription {
    api::SnsSubscription {
        topic_arn: s.topic_arn.clone(),
        subscribe_url: if shown { s.subscribe_url.clone() } else { String::new() },
        status: s.status.clone(),
        updated_at: time(s.updated_at),
    }
}

pub fn incident(r: &IncidentRow) -> ApiResult<api::Incident> {
    Ok(api::Incident {
        id: IncidentId(r.id.clone()),
        number: r.number,
        title: r.title.clone(),
        summary: r.summary.clone(),
        status: r.status.parse()?,
        severity: r.severity.parse()?,
        service: match (&r.service_id, &r.service_name) {
            (Some(id), Some(name)) => {
                Some(api::ServiceRef { id: ServiceId(id.clone()), name: name.clone(), runbook_url: r.runbook_url.clone() })
            }
            _ => None,
        },
        created_at: time(r.created_at),
        acknowledged_at: r.acknowledged_at.map(time),
        acknowledged_by: actor(r.acknowledged_by.as_deref()),
        resolved_at: r.resolved_at.map(time),
        resolved_by: actor(r.resolved_by.as_deref()),
        updated_at: time(r.updated_at),
        alert_count: r.alert_count.max(0) as u64,
        merged_into: match (&r.merged_into, r.merged_into_number) {
            (Some(id), Some(number)) => Some(api::IncidentRef { id: IncidentId(id.clone()), number }),
            _ => None,
        },
        noise: r.noise != 0,
    })
}

/// An alert with its latest events (taken from `events`, which may hold other alerts' too).
pub fn alert(a: &AlertRow, events: &[AlertEventRow]) -> ApiResult<api::Alert> {
    Ok(api::Alert {
        id: AlertId(a.id.clone()),
        status: a.status.parse().map_err(ApiError::from)?,
        summary: a.summary.clone(),
        severity: a.severity.parse()?,
        dedup_key: a.dedup_key.clone(),
        source: a.source.clone(),
        details: serde_json::from_str(&a.details).unwrap_or_default(),
        event_count: a.event_count,
        first_seen_at: time(a.first_seen_at),
        last_seen_at: time(a.last_seen_at),
        resolved_at: a.resolved_at.map(time),
        vendor: a.vendor.clone(),
        started_at: a.started_at.map(time),
        links: serde_json::from_str(&a.links).unwrap_or_default(),
        events: events.iter().filter(|e| e.alert_id.as_deref() == Some(a.id.as_str())).map(event_log).collect(),
    })
}

pub fn timeline(t: &TimelineRow) -> api::TimelineEntry {
    api::TimelineEntry {
        id: t.id.clone(),
        seq: t.seq.unwrap_or_default(),
        at: time(t.at),
        kind: t.kind.clone(),
        actor: actor(Some(&t.actor)).unwrap_or(Actor { kind: ActorKind::System, id: None, name: "Tocsin".into() }),
        message: t.message.clone(),
    }
}

/// A person named on a row (who ticked, owns, wrote…): `None` when the row names nobody; a
/// deleted person's name reads as empty.
pub fn person(id: Option<&String>, name: Option<&String>) -> Option<api::Person> {
    Some(api::Person { id: id?.clone().into(), name: name.cloned().unwrap_or_default() })
}
