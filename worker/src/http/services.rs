//! Services: create, list, read, edit, and rotate the integration key.

use serde_json::Value;
use tocsin_domain::api::{ServiceIntegrations, ServiceList};
use tocsin_domain::audit::Action;
use tocsin_domain::auth::{Permission, Role};
use tocsin_domain::grouping::GroupingRule;
use tocsin_domain::validation::{http_url, parse_json, FieldError, Fields};
use tocsin_domain::vendors::integrations::endpoints;
use worker::Response;

use super::auth::line;
use super::{json, views, Cx};
use crate::crypto::{new_id, new_integration_key};
use crate::db::{is_unique_violation, ServiceFields, ServiceRow};
use crate::error::{ApiError, ApiResult};

/// A service's editable settings, from a JSON body. When editing, absent fields keep their
/// `current` value; `null` or `""` clears the optional ones.
struct Settings {
    name: String,
    description: String,
    runbook_url: Option<String>,
    grouping: String,
    auto_resolve: bool,
    webhook_secret: Option<String>,
    unack_timeout_minutes: Option<i64>,
    allowed_senders: Option<String>,
    /// JSON array of normalised expertise tags.
    expertise: String,
    team_id: Option<String>,
    sns_topic_arn: Option<String>,
}

impl Settings {
    fn fields(&self) -> ServiceFields<'_> {
        ServiceFields {
            name: &self.name,
            description: &self.description,
            runbook_url: self.runbook_url.as_deref(),
            grouping: &self.grouping,
            auto_resolve: self.auto_resolve,
            webhook_secret: self.webhook_secret.as_deref(),
            unack_timeout_minutes: self.unack_timeout_minutes,
            allowed_senders: self.allowed_senders.as_deref(),
            expertise: &self.expertise,
            team_id: self.team_id.as_deref(),
            sns_topic_arn: self.sns_topic_arn.as_deref(),
        }
    }
}

/// Where a service's webhook secret is sealed (the sealing binds it to this service).
pub fn secret_place(service_id: &str) -> String {
    format!("svc-secret:{service_id}")
}

fn settings(body: &Value, current: Option<&ServiceRow>, id: &str) -> ApiResult<Settings> {
    let f = Fields::new(body)?;
    let keep = |key: &str| current.filter(|_| body.get(key).is_none());
    let name = match (f.opt_line("name", 100)?, keep("name")) {
        (Some(n), _) => n,
        (None, Some(c)) => c.name.clone(),
        (None, None) => return Err(ApiError::field("name", "is required")),
    };
    let description = match (f.opt_str("description", 2000)?, keep("description")) {
        (Some(d), _) => d,
        (None, Some(c)) => c.description.clone(),
        (None, None) => String::new(),
    };
    let runbook_url = match (f.opt_str("runbook_url", 2048)?, keep("runbook_url")) {
        (Some(u), _) => Some(http_url("runbook_url", &u)?),
        (None, Some(c)) => c.runbook_url.clone(),
        (None, None) => None,
    };
    let grouping = match (body.get("grouping"), keep("grouping")) {
        (Some(v), _) if !v.is_null() => {
            let rule: GroupingRule = serde_json::from_value(v.clone()).map_err(|e| {
                FieldError::new("grouping", format!("must be {{\"type\":\"none\"}}, {{\"type\":\"time_window\",\"minutes\":N}} or {{\"type\":\"by_field\",\"field\":\"label\"}} ({e})"))
            })?;
            rule.validate()?;
            serde_json::to_string(&rule)?
        }
        (_, Some(c)) => c.grouping.clone(),
        _ => serde_json::to_string(&GroupingRule::None)?,
    };
    let auto_resolve = match (f.opt_bool("auto_resolve")?, keep("auto_resolve")) {
        (Some(b), _) => b,
        (None, Some(c)) => c.auto_resolve != 0,
        (None, None) => true,
    };
    let webhook_secret = match (f.opt_str("webhook_secret", 200)?, keep("webhook_secret")) {
        (Some(s), _) if s.chars().count() < 16 => return Err(ApiError::field("webhook_secret", "must be at least 16 characters")),
        // Sealed at rest like every other secret (it is read back to check signatures).
        (Some(s), _) => Some(crate::crypto::seal(&s, &secret_place(id))?),
        (None, Some(c)) => c.webhook_secret.clone(),
        (None, None) => None,
    };
    let unack_timeout_minutes = match (body.get("unack_timeout_minutes"), keep("unack_timeout_minutes")) {
        (Some(Value::Null), _) => None,
        (Some(v), _) => Some(v.as_i64().filter(|m| (1..=1440).contains(m)).ok_or_else(|| ApiError::field("unack_timeout_minutes", "must be from 1 to 1440 minutes, or null"))?),
        (None, Some(c)) => c.unack_timeout_minutes,
        (None, None) => None,
    };
    let allowed_senders = match (body.get("allowed_senders"), keep("allowed_senders")) {
        (Some(Value::Null), _) => None,
        (Some(Value::Array(items)), _) => {
            let mut names = Vec::new();
            for (i, item) in items.iter().enumerate() {
                let v: tocsin_domain::vendors::Vendor = item.as_str().and_then(|s| s.parse().ok()).ok_or_else(|| {
                    ApiError::field(&format!("allowed_senders[{i}]"), "must be one of generic, alertmanager, grafana, datadog, cloudwatch, sentry, pagerduty, opsgenie")
                })?;
                if !names.contains(&v.as_str()) {
                    names.push(v.as_str());
                }
            }
            Some(serde_json::to_string(&names)?)
        }
        (Some(_), _) => return Err(ApiError::field("allowed_senders", "must be a list of sender names, or null")),
        (None, Some(c)) => c.allowed_senders.clone(),
        (None, None) => None,
    };
    let expertise = match (body.get("expertise"), keep("expertise")) {
        (Some(Value::Null), _) => "[]".to_string(),
        (Some(Value::Array(items)), _) => {
            let raw = items
                .iter()
                .enumerate()
                .map(|(i, v)| v.as_str().map(str::to_string).ok_or_else(|| ApiError::field(&format!("expertise[{i}]"), "must be a string")))
                .collect::<ApiResult<Vec<String>>>()?;
            serde_json::to_string(&tocsin_domain::expertise::normalize_tags("expertise", &raw)?)?
        }
        (Some(_), _) => return Err(ApiError::field("expertise", "must be a list of tags, or null")),
        (None, Some(c)) => c.expertise.clone().unwrap_or_else(|| "[]".into()),
        (None, None) => "[]".to_string(),
    };
    let team_id = match (body.get("team_id"), keep("team_id")) {
        (Some(Value::Null), _) => None,
        (Some(Value::String(t)), _) => Some(t.clone()),
        (Some(_), _) => return Err(ApiError::field("team_id", "must be a team id, or null")),
        (None, Some(c)) => c.team_id.clone(),
        (None, None) => None,
    };
    let sns_topic_arn = match (body.get("sns_topic_arn"), keep("sns_topic_arn")) {
        (Some(Value::Null), _) => None,
        (Some(Value::String(t)), _) if t.trim().is_empty() => None,
        (Some(Value::String(t)), _) => Some(tocsin_domain::vendors::cloudwatch::topic_arn(t).map_err(|why| ApiError::field("sns_topic_arn", why))?),
        (Some(_), _) => return Err(ApiError::field("sns_topic_arn", "must be an SNS topic ARN, or null")),
        (None, Some(c)) => c.sns_topic_arn.clone(),
        (None, None) => None,
    };
    Ok(Settings { name: line("name", &name, 100)?, description, runbook_url, grouping, auto_resolve, webhook_secret, unack_timeout_minutes, allowed_senders, expertise, team_id, sns_topic_arn })
}

/// A service's settings as the audit log keeps them (the secret only as set or not).
fn audited(s: &Settings) -> Value {
    serde_json::json!({
        "name": s.name, "description": s.description, "runbook_url": s.runbook_url, "grouping": serde_json::from_str::<Value>(&s.grouping).unwrap_or_default(),
        "auto_resolve": s.auto_resolve, "has_webhook_secret": s.webhook_secret.is_some(), "unack_timeout_minutes": s.unack_timeout_minutes,
        "allowed_senders": s.allowed_senders.as_deref().and_then(|a| serde_json::from_str::<Value>(a).ok()),
        "expertise": serde_json::from_str::<Value>(&s.expertise).unwrap_or_default(), "team_id": s.team_id, "sns_topic_arn": s.sns_topic_arn,
    })
}

fn name_taken(name: &str) -> impl Fn(ApiError) -> ApiError + '_ {
    move |e| {
        if is_unique_violation(&e) {
            ApiError::Conflict(format!("a service named {name:?} already exists"))
        } else {
            e
        }
    }
}

pub async fn list(cx: &Cx) -> ApiResult<Response> {
    let caller = cx.caller().await?;
    let services = cx.db.services(caller.org_id()).await?.iter().map(|s| views::service(s, caller.role)).collect();
    json(200, &ServiceList { services })
}

pub async fn create(cx: &mut Cx) -> ApiResult<Response> {
    let caller = cx.caller().await?;
    caller.require(Permission::Administer)?;
    let body = parse_json(&cx.body(64 * 1024).await?)?;
    let id = new_id(cx.now);
    let s = settings(&body, None, &id)?;
    known_team(cx, caller.org_id(), s.team_id.as_deref()).await?;
    let audit = cx.audit(&caller, Action::ServiceCreated, Some(&id)).after(audited(&s));
    cx.db.insert_service(&id, caller.org_id(), &s.fields(), &new_integration_key(), cx.now, &audit).await.map_err(name_taken(&s.name))?;
    let row = cx.db.service(caller.org_id(), &id).await?.ok_or(ApiError::Internal("service vanished".into()))?;
    json(201, &views::service(&row, caller.role))
}

/// An owning team must be one of the organisation's (400 naming `team_id` otherwise).
pub async fn known_team(cx: &Cx, org_id: &str, team_id: Option<&str>) -> ApiResult<()> {
    match team_id {
        Some(t) if cx.db.team(org_id, t).await?.is_none() => Err(ApiError::field("team_id", "no such team")),
        _ => Ok(()),
    }
}

async fn load(cx: &Cx, org_id: &str, id: &str) -> ApiResult<ServiceRow> {
    cx.db.service(org_id, id).await?.ok_or(ApiError::NotFound("service"))
}

pub async fn get(cx: &Cx, id: &str) -> ApiResult<Response> {
    let caller = cx.caller().await?;
    json(200, &views::service(&load(cx, caller.org_id(), id).await?, caller.role))
}

pub async fn patch(cx: &mut Cx, id: &str) -> ApiResult<Response> {
    let caller = cx.caller().await?;
    caller.require(Permission::Administer)?;
    let current = load(cx, caller.org_id(), id).await?;
    let body = parse_json(&cx.body(64 * 1024).await?)?;
    let s = settings(&body, Some(&current), id)?;
    known_team(cx, caller.org_id(), s.team_id.as_deref()).await?;
    let before = serde_json::to_value(views::service(&current, Role::Admin))?;
    let audit = cx.audit(&caller, Action::ServiceUpdated, Some(id)).before(before).after(audited(&s));
    cx.db.update_service(caller.org_id(), id, &s.fields(), cx.now, &audit).await.map_err(name_taken(&s.name))?;
    json(200, &views::service(&load(cx, caller.org_id(), id).await?, caller.role))
}

/// Issues a new integration key; the old one stops working at once.
pub async fn rotate_key(cx: &Cx, id: &str) -> ApiResult<Response> {
    let caller = cx.caller().await?;
    caller.require(Permission::Administer)?;
    load(cx, caller.org_id(), id).await?;
    let audit = cx.audit(&caller, Action::ServiceKeyRotated, Some(id));
    cx.db.rotate_integration_key(caller.org_id(), id, &new_integration_key(), cx.now, &audit).await?;
    json(200, &views::service(&load(cx, caller.org_id(), id).await?, caller.role))
}

/// Where each monitoring tool sends for this service, ready-to-paste configuration, and the
/// latest events received with what became of them.
pub async fn integrations(cx: &Cx, id: &str) -> ApiResult<Response> {
    let caller = cx.caller().await?;
    let service = load(cx, caller.org_id(), id).await?;
    let events = cx.db.service_events(&service.id, 20).await?;
    let subs = cx.db.sns_subscriptions(&service.id).await?;
    let changes = cx.db.service_changes(&service.id, 10).await?;
    // Others see that the integrations exist and what arrived, never the key (raw payloads
    // such as PagerDuty's carry it as `routing_key`).
    let shown = tocsin_domain::auth::sees_integration_keys(caller.role);
    let key = if shown { service.integration_key.as_str() } else { "…" };
    let scrub = |mut e: tocsin_domain::api::AlertEventLog| {
        if !shown {
            e.raw = e.raw.replace(&service.integration_key, "…");
        }
        e
    };
    json(
        200,
        &ServiceIntegrations {
            endpoints: endpoints(&cx.origin(), key),
            key_hidden: !shown,
            recent_events: events.iter().map(views::event_log).map(scrub).collect(),
            sns_subscriptions: subs.iter().map(|s| views::sns_subscription(s, shown)).collect(),
            recent_changes: changes.iter().map(views::change).collect(),
        },
    )
}
