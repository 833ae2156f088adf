//! `GET /api/admin/runtime` (admins only): figures about the isolate that answered, read by
//! `./tocsin bench-ingest` to show whether the wasm linear memory stays flat under load, and by
//! both benches to show which statements the time went to.

use tocsin_domain::api::runtime::{RuntimeFigures, StatementCount};
use tocsin_domain::auth::Permission;
use worker::Response;

use super::{json, Cx};
use crate::error::ApiResult;

/// The linear memory's size now, in bytes (it never shrinks: the high-water mark).
fn wasm_memory_bytes() -> u64 {
    #[cfg(target_arch = "wasm32")]
    let pages = core::arch::wasm32::memory_size(0) as u64;
    // Native builds (cargo check, unit tests) have no linear memory.
    #[cfg(not(target_arch = "wasm32"))]
    let pages = 0;
    pages * 65_536
}

pub async fn get(cx: &Cx) -> ApiResult<Response> {
    cx.caller().await?.require(Permission::Administer)?;
    let (d1_round_trips, d1_statements) = crate::db::d1_calls();
    let list = |by_time: bool| crate::db::d1_top(if by_time { 60 } else { 15 }, by_time).into_iter().map(|(sql, round_trips, waited_ms)| StatementCount { sql, round_trips, waited_ms }).collect();
    json(200, &RuntimeFigures { wasm_memory_bytes: wasm_memory_bytes(), d1_round_trips, d1_statements, d1_top: list(false), d1_slowest: list(true) })
}
