//! Tocsin's Cloudflare Worker: the IO shell around `tocsin_domain`.
//!
//! `http` routes requests, `auth` resolves callers, `ingest` applies alert events, `db` is the
//! only code that speaks SQL, `crypto` owns randomness and hashing, `outbound` makes requests. Business rules live in the domain crate.

mod auth;
mod crypto;
mod db;
mod error;
mod http;
mod ingest;
mod outbound;

use worker::{event, Context, Date, Env, Request, Response, Result};

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    let now = Date::now().as_millis() as i64;
    let db = match env.d1("DB") {
        Ok(d1) => db::Db::new(d1),
        Err(e) => return Ok(error::ApiError::Internal(format!("D1 binding DB missing: {e}")).into_response()),
    };
    Ok(http::handle(req, db, env, now).await)
}
