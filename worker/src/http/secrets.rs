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
    let report = crate::reseal::step(&cx.db, BATCH).await?;
    if report.resealed > 0 {
        // The values are re-sealed one by one (each a guarded compare-and-swap); the step is
        // recorded once, after them.
        let audit = cx.audit(&caller, tocsin_domain::audit::Action::SecretsResealed, None).after(serde_json::json!({"resealed": report.resealed, "remaining": report.remaining, "new_key_id": report.key_id}));
        cx.db.record_audit(&audit).await?;
    }
    json(200, &report)
}
