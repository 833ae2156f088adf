//! `GET /healthz`: liveness plus a real round trip to D1.

use tocsin_domain::api::Health;
use worker::Response;

use super::{json, Cx};
use crate::error::ApiResult;

pub async fn get(cx: &Cx) -> ApiResult<Response> {
    let (status, db, code) = match cx.db.ping().await {
        Ok(()) => ("ok", "ok".to_string(), 200),
        // The database's own words stay in the log: they can name tables, queries or paths.
        Err(e) => {
            worker::console_error!("healthz: {e}");
            ("degraded", "error".to_string(), 503)
        }
    };
    json(code, &Health { status: status.into(), version: env!("CARGO_PKG_VERSION").into(), db })
}
