//! Services: create, list, read, edit, and rotate the integration key.

use serde_json::Value;
use tocsin_domain::api::ServiceList;
use tocsin_domain::auth::Permission;
use tocsin_domain::validation::{http_url, parse_json, Fields};
use worker::Response;

use super::auth::text;
use super::{json, views, Cx};
use crate::crypto::{new_id, new_integration_key};
use crate::db::{is_unique_violation, ServiceFields, ServiceRow};
use crate::error::{ApiError, ApiResult};

/// Name, description and runbook from a JSON body. When editing, absent fields keep their
/// `current` value; `null` or `""` clears the optional ones.
fn fields(body: &Value, current: Option<&ServiceRow>) -> ApiResult<(String, String, Option<String>)> {
    let f = Fields::new(body)?;
    let keep = |key: &str| current.filter(|_| body.get(key).is_none());
    let name = match (f.opt_str("name", 100)?, keep("name")) {
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
    Ok((text("name", &name, 100)?, description, runbook_url))
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
    let services = cx.db.services(caller.org_id()).await?.iter().map(views::service).collect();
    json(200, &ServiceList { services })
}

pub async fn create(cx: &mut Cx) -> ApiResult<Response> {
    let caller = cx.caller().await?;
    caller.require(Permission::Administer)?;
    let body = parse_json(&cx.body(64 * 1024).await?)?;
    let (name, description, runbook_url) = fields(&body, None)?;
    let id = new_id(cx.now);
    let f = ServiceFields { name: &name, description: &description, runbook_url: runbook_url.as_deref() };
    cx.db.insert_service(&id, caller.org_id(), &f, &new_integration_key(), cx.now).await.map_err(name_taken(&name))?;
    let row = cx.db.service(caller.org_id(), &id).await?.ok_or(ApiError::Internal("service vanished".into()))?;
    json(201, &views::service(&row))
}

async fn load(cx: &Cx, org_id: &str, id: &str) -> ApiResult<ServiceRow> {
    cx.db.service(org_id, id).await?.ok_or(ApiError::NotFound("service"))
}

pub async fn get(cx: &Cx, id: &str) -> ApiResult<Response> {
    let caller = cx.caller().await?;
    json(200, &views::service(&load(cx, caller.org_id(), id).await?))
}

pub async fn patch(cx: &mut Cx, id: &str) -> ApiResult<Response> {
    let caller = cx.caller().await?;
    caller.require(Permission::Administer)?;
    let current = load(cx, caller.org_id(), id).await?;
    let body = parse_json(&cx.body(64 * 1024).await?)?;
    let (name, description, runbook_url) = fields(&body, Some(&current))?;
    let f = ServiceFields { name: &name, description: &description, runbook_url: runbook_url.as_deref() };
    cx.db.update_service(caller.org_id(), id, &f, cx.now).await.map_err(name_taken(&name))?;
    json(200, &views::service(&load(cx, caller.org_id(), id).await?))
}

/// Issues a new integration key; the old one stops working at once.
pub async fn rotate_key(cx: &Cx, id: &str) -> ApiResult<Response> {
    let caller = cx.caller().await?;
    caller.require(Permission::Administer)?;
    load(cx, caller.org_id(), id).await?;
    cx.db.rotate_integration_key(caller.org_id(), id, &new_integration_key(), cx.now).await?;
    json(200, &views::service(&load(cx, caller.org_id(), id).await?))
}
