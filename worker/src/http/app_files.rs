//! The app's first-load pieces, compressed ahead of time: `GET /pkg/<build>/<file>` for the main
//! module, its JS glue, the split loader and the per-screen bundles. The build writes a
//! `<file>.zst` beside each (scripts/precompress.mjs, Zstandard level 19); a browser that accepts
//! `zstd` (Chrome 123+, Firefox 126+) gets it as is (`Content-Encoding: zstd`, the runtime told not
//! to encode it again): ~12 % fewer bytes than gzip for the wasm, what a responder on a weak phone
//! connection waits for. Any other file under `/pkg/`, or another browser, gets the static file.
//!
//! Why Zstandard and not Brotli (which packs these files ~7 % smaller still): Cloudflare's front
//! line, as `wrangler dev` reproduces it (miniflare's entry worker, `ensureAcceptableEncoding`),
//! re-encodes a worker's gzip or br answer to whichever of those two the client lists first —
//! gzip for Chrome, which sends `gzip, deflate, br, zstd` — and passes any other coding through.
//! A Brotli copy would reach Chrome re-encoded as gzip; a Zstandard one arrives as built. The
//! client's own `Accept-Encoding` is in `request.cf.clientAcceptEncoding` (the worker sees
//! `br, gzip`, set by the front line).

use worker::{EncodeBody, Headers, RequestInit, Response};

use tocsin_domain::web_security::{accepts_coding, is_build_file_name};

use super::Cx;
use crate::error::{ApiError, ApiResult};

/// Whether the build wrote a Zstandard copy of this file (the same names as scripts/build.sh). The
/// chunks (`chunk_*`, `split_*`) never reach the worker (wrangler.toml `run_worker_first`); any
/// other name under `/pkg/` does, and is not found.
fn precompressed(file: &str) -> Option<&'static str> {
    match file {
        "tocsin_app_bg.wasm" => Some("application/wasm"),
        "tocsin_app.js" | "__wasm_split.js" => Some("text/javascript; charset=utf-8"),
        f if f.starts_with("bundle_") && f.ends_with(".wasm") => Some("application/wasm"),
        _ => None,
    }
}

/// `GET /pkg/<build>/<file>` for the names above: the Zstandard copy when the browser takes it
/// (with its own ETag, and 304 when the browser already holds it), else the file; 404 when the
/// build has no such file (not the app's page, which a module loader would try to run).
pub async fn get(cx: &Cx, build: &str, file: &str) -> ApiResult<Response> {
    let assets = cx.env.assets("ASSETS")?;
    let is_page = |r: &Response| r.headers().get("Content-Type").ok().flatten().is_some_and(|t| t.starts_with("text/html"));
    let (Some(content_type), true) = (precompressed(file), is_build_file_name(build) && is_build_file_name(file)) else {
        return Err(ApiError::NotFound("file"));
    };
    if accepts_coding(&cx.req.client_accept_encoding(), "zstd") {
        let url = cx.req.url()?.join(&format!("/pkg/{build}/{file}.zst")).map_err(|e| ApiError::Internal(e.to_string()))?;
        let conditional = Headers::new();
        if let Some(tag) = cx.header("If-None-Match") {
            conditional.set("If-None-Match", &tag)?;
        }
        let copy = assets.fetch(url.to_string(), Some(RequestInit { headers: conditional, ..RequestInit::new() })).await?;
        // A missing copy answers with the app's page (single-page fallback): not a copy.
        if matches!(copy.status_code(), 200 | 304) && !is_page(&copy) {
            let headers = Headers::new();
            if let Some(tag) = copy.headers().get("ETag")? {
                headers.set("ETag", &tag)?;
            }
            headers.set("Vary", "Accept-Encoding")?;
            // Named by the build's hash: never changes.
            headers.set("Cache-Control", "public, max-age=31536000, immutable")?;
            if copy.status_code() == 304 {
                return Ok(Response::empty()?.with_status(304).with_headers(headers));
            }
            headers.set("Content-Type", content_type)?;
            headers.set("Content-Encoding", "zstd")?;
            return Ok(copy.with_headers(headers).with_encode_body(EncodeBody::Manual));
        }
    }
    let file_answer = assets.fetch_request(cx.req.to_worker()).await?;
    if is_page(&file_answer) {
        return Err(ApiError::NotFound("file"));
    }
    // The same URL answers in two codings: caches must keep them apart.
    let headers = Headers::new();
    for (name, value) in file_answer.headers().entries() {
        headers.set(&name, &value)?;
    }
    headers.set("Vary", "Accept-Encoding")?;
    Ok(file_answer.with_headers(headers))
}
