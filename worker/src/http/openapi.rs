//! `GET /api/openapi.json`: the OpenAPI 3.1 document, generated natively at build time from the
//! route table in openapi/src/routes.rs and the domain's wire types (worker/build.rs).

use worker::Response;

use crate::error::ApiResult;

const DOCUMENT: &str = include_str!(concat!(env!("OUT_DIR"), "/openapi.json"));

pub fn get() -> ApiResult<Response> {
    let mut resp = Response::ok(DOCUMENT)?;
    let h = resp.headers_mut();
    h.set("Content-Type", "application/json")?;
    h.set("Cache-Control", "public, max-age=300")?;
    h.set("Access-Control-Allow-Origin", "*")?;
    Ok(resp)
}
