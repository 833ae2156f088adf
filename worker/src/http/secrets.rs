//! `POST /api/admin/reseal`: one bounded step of re-sealing after a key rotation (admins only;
//! `./tocsin reseal` calls it until nothing remains).

use tocsin_domain::auth::Permission;
use worker::Response;

use super::{json, Cx};
use crate::error::ApiResult;

/// Values re-sealed per request: a few D1 round trips each, well within a request's budget.
const BATCH: i64 = 100;

pub async fn reseal(cx: &Cx) -> ApiResult<Response> {
    let caller = cx.caller().await?;
    caller.require(Permission::Administer)?;
    json(200, &crate::reseal::step(&cx.db, BATCH).await?)
}
