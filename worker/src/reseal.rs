//! Re-sealing after a key rotation: moves every sealed value still under the previous key (or
//! in the legacy `s1` format) to the current key, in bounded steps — a few each cron tick, and
//! a batch per `POST /api/admin/reseal` (which `./tocsin reseal` calls until nothing remains).
//! Also clears the action tokens that payloads queued by earlier versions hold in the clear.

use tocsin_domain::api::secrets::ResealReport;
use tocsin_domain::sealed::PREFIX;

use crate::db::{Db, SealedColumn};
use crate::error::{ApiError, ApiResult};

/// The place a column's value is sealed for, from its row's key (the same places the code that
/// writes each column uses; see `tocsin_domain::sealed`).
pub fn place(column: SealedColumn, row_key: &str) -> String {
    match column {
        SealedColumn::VapidPrivate => format!("vapid:{row_key}"),
        SealedColumn::ActionKey => format!("action:{row_key}"),
        SealedColumn::DestinationUrl => format!("dest-url:{row_key}"),
        SealedColumn::DestinationSecret => format!("dest-secret:{row_key}"),
        SealedColumn::PreferenceUrl => format!("pref-url:{row_key}"),
        SealedColumn::PreferenceSecret => format!("pref-secret:{row_key}"),
        SealedColumn::ServiceSecret => crate::http::service_secret_place(row_key),
        SealedColumn::TicketingToken => crate::http::ticketing::token_place(row_key),
        SealedColumn::TicketingSecret => crate::http::ticketing::secret_place(row_key),
    }
}

/// Re-seals up to `limit` values under the current key and reports what is left. A value that
/// will not open is counted as failed and left as it is.
pub async fn step(db: &Db, limit: i64) -> ApiResult<ResealReport> {
    let (current, previous) = crate::crypto::key_ids()?;
    let current_prefix = format!("{PREFIX}{current}.");
    let previous_prefix = previous.as_ref().map(|p| format!("{PREFIX}{p}."));
    let (resealed, failed) = reseal_some(db, previous_prefix.as_deref(), limit).await?;
    let counts = db.count_sealed(&current_prefix, previous_prefix.as_deref()).await?;
    Ok(ResealReport {
        resealed,
        remaining: counts.stale.max(0) as u64,
        failed: failed + counts.unknown.max(0) as u64,
        key_id: current,
        previous_key_id: previous,
    })
}

/// Re-seals up to `limit` values under the legacy format or the previous key; returns how many
/// were re-sealed and how many would not open.
async fn reseal_some(db: &Db, previous_prefix: Option<&str>, limit: i64) -> ApiResult<(u64, u64)> {
    let (mut resealed, mut failed) = (0u64, 0u64);
    for (column, cell) in db.stale_sealed(previous_prefix, limit).await? {
        let place = place(column, &cell.row_key);
        match crate::crypto::reseal(&cell.value, &place) {
            Ok(Some(new)) => {
                if db.replace_sealed(column, &cell.row_key, &cell.value, &new).await? {
                    resealed += 1;
                }
            }
            Ok(None) => {}
            Err(e @ (ApiError::Misconfigured(_) | ApiError::Db(_))) => return Err(e),
            Err(e) => {
                worker::console_error!("re-seal {column:?} of {}: {e}", cell.row_key);
                failed += 1;
            }
        }
    }
    Ok((resealed, failed))
}

/// The cron's share: clears queued tokens left by earlier versions, seals service secrets they
/// stored in the clear, and re-seals a few values. Nothing to do without a sealing key.
pub async fn sweep(db: &Db, now: i64) {
    let Ok((_, previous)) = crate::crypto::key_ids() else { return };
    // Tokens older than their lifetime no longer work; newer ones are cleared.
    let since = now - tocsin_domain::action_token::LIFETIME_SECS * 1000 - 60_000;
    if let Err(e) = db.clear_queued_tokens(since).await {
        worker::console_error!("scheduled: clearing queued action tokens failed: {e}");
    }
    // Webhook secrets stored in the clear by an earlier version are sealed.
    if let Ok(list) = db.unsealed_service_secrets(100).await {
        for (id, plain) in list {
            match crate::crypto::seal(&plain, &crate::http::service_secret_place(&id)) {
                Ok(sealed) => {
                    if let Err(e) = db.seal_service_secret(&id, &plain, &sealed).await {
                        worker::console_error!("scheduled: sealing a webhook secret failed: {e}");
                    }
                }
                Err(_) => break,
            }
        }
    }
    // A few values a tick (no counting: nobody reads the report here).
    let previous_prefix = previous.map(|p| format!("{PREFIX}{p}."));
    if let Err(e) = reseal_some(db, previous_prefix.as_deref(), 50).await {
        worker::console_error!("scheduled: re-sealing failed: {e}");
    }
}
