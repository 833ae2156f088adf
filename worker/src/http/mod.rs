//! HTTP routing and the helpers every handler uses. Handlers stay short: authenticate, parse,
//! ask the domain, persist through `db`, answer.

mod auth;
mod health;
mod incidents;
mod services;
mod users;
mod views;
mod webhooks;

use serde::Serialize;
use worker::{Method, Request, Response};

use crate::auth::{caller, Caller};
use crate::db::Db;
use crate::error::{ApiError, ApiResult};

/// What a handler gets: the request, the database, and the request's "now".
pub struct Cx {
    pub req: Request,
    pub db: Db,
    pub now: i64,
}

impl Cx {
    pub async fn caller(&self) -> ApiResult<Caller> {
        caller(&self.req, &self.db, self.now).await
    }

    /// Reads the body, refusing more than `limit` bytes (checked before and after reading).
    pub async fn body(&mut self, limit: usize) -> ApiResult<Vec<u8>> {
        if let Some(len) = self.req.headers().get("Content-Length").ok().flatten() {
            if len.trim().parse::<usize>().map(|n| n > limit).unwrap_or(false) {
                return Err(ApiError::TooLarge { limit });
            }
        }
        let bytes = self.req.bytes().await.unwrap_or_default();
        if bytes.len() > limit {
            return Err(ApiError::TooLarge { limit });
        }
        Ok(bytes)
    }

    /// Reads a JSON body into a wire type; the error names the field at fault.
    pub async fn json<T: serde::de::DeserializeOwned>(&mut self) -> ApiResult<T> {
        let bytes = self.body(64 * 1024).await?;
        let value = tocsin_domain::validation::parse_json(&bytes)?;
        serde_json::from_value(value).map_err(|e| {
            let msg = e.to_string();
            // serde says "missing field `x`" / "unknown variant `y`, expected one of …"
            let field = msg.split('`').nth(1).filter(|_| msg.starts_with("missing field")).unwrap_or("body").to_string();
            ApiError::field(&field, msg)
        })
    }

    pub fn query(&self, name: &str) -> Option<String> {
        let url = self.req.url().ok()?;
        url.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
    }

    pub fn is_https(&self) -> bool {
        self.req.url().map(|u| u.scheme() == "https").unwrap_or(false)
    }

    pub fn origin(&self) -> String {
        self.req.url().map(|u| u.origin().ascii_serialization()).unwrap_or_default()
    }
}

pub fn json<T: Serialize>(status: u16, body: &T) -> ApiResult<Response> {
    let mut resp = Response::from_json(body)?.with_status(status);
    resp.headers_mut().set("Cache-Control", "no-store")?;
    Ok(resp)
}

pub async fn handle(req: Request, db: Db, now: i64) -> Response {
    let method = req.method();
    let path = req.path();
    let segs: Vec<String> = path.trim_matches('/').split('/').map(str::to_string).collect();
    let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
    let mut cx = Cx { req, db, now };
    use Method::*;
    let result = match (&method, segs.as_slice()) {
        (Get, ["healthz"]) => health::get(&cx).await,
        (Get, ["api", "setup"]) => auth::setup_state(&cx).await,
        (Post, ["api", "setup"]) => auth::setup(&mut cx).await,
        (Post, ["api", "auth", "login"]) => auth::login(&mut cx).await,
        (Post, ["api", "auth", "logout"]) => auth::logout(&cx).await,
        (Post, ["api", "invites", "accept"]) => auth::accept_invite(&mut cx).await,
        (Get, ["api", "me"]) => auth::me(&cx).await,
        (Post, ["api", "users"]) => users::create(&mut cx).await,
        (Post, ["api", "tokens"]) => users::create_token(&mut cx).await,
        (Get, ["api", "services"]) => services::list(&cx).await,
        (Post, ["api", "services"]) => services::create(&mut cx).await,
        (Get, ["api", "services", id]) => services::get(&cx, id).await,
        (Patch, ["api", "services", id]) => services::patch(&mut cx, id).await,
        (Post, ["api", "services", id, "rotate-key"]) => services::rotate_key(&cx, id).await,
        (Get, ["api", "incidents"]) => incidents::list(&cx).await,
        (Post, ["api", "incidents"]) => incidents::declare(&mut cx).await,
        (Get, ["api", "incidents", id]) => incidents::get(&cx, id).await,
        (Post, ["api", "incidents", id, "acknowledge"]) => incidents::acknowledge(&cx, id).await,
        (Post, ["api", "incidents", id, "resolve"]) => incidents::resolve(&cx, id).await,
        (Post, ["webhooks", "generic", key]) => webhooks::generic(&mut cx, key).await,
        (_, segs) => Err(not_routed(&method, segs)),
    };
    result.unwrap_or_else(ApiError::into_response)
}

/// 405 when the path exists with another method, 404 otherwise.
fn not_routed(method: &Method, segs: &[&str]) -> ApiError {
    let known: &[&[&str]] = &[
        &["healthz"],
        &["api", "setup"],
        &["api", "auth", "login"],
        &["api", "auth", "logout"],
        &["api", "invites", "accept"],
        &["api", "me"],
        &["api", "users"],
        &["api", "tokens"],
        &["api", "services"],
        &["api", "services", "*"],
        &["api", "services", "*", "rotate-key"],
        &["api", "incidents"],
        &["api", "incidents", "*"],
        &["api", "incidents", "*", "acknowledge"],
        &["api", "incidents", "*", "resolve"],
        &["webhooks", "generic", "*"],
    ];
    let matches = |pat: &[&str]| pat.len() == segs.len() && pat.iter().zip(segs).all(|(p, s)| *p == "*" || p == s);
    if known.iter().any(|p| matches(p)) {
        ApiError::MethodNotAllowed { method: method.to_string() }
    } else {
        ApiError::NotFound("route")
    }
}
