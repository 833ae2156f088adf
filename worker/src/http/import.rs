//! `POST /api/import/pagerduty` and `POST /api/import/opsgenie` (admins): the vendor's own REST
//! answers in, a plan out (a dry run, the default), or with `?apply=true` everything the plan
//! creates written in one D1 batch. The mapping is the domain's (`tocsin_domain::import`); this
//! loads what exists, asks it, and writes.

use tocsin_domain::auth::Permission;
use tocsin_domain::import::{self, ImportAnswer, Invite, Source};
use tocsin_domain::validation::parse_json;
use worker::Response;

use super::{json, views, Cx};
use crate::crypto::{new_id, new_integration_key, new_secret, sha256_hex};
use crate::db::{is_unique_violation, ImportInvite};
use crate::error::{ApiError, ApiResult};

/// Exports with rendered schedule entries are larger than other bodies.
const BODY_LIMIT: usize = 4 * 1024 * 1024;
const INVITE_TTL_MS: i64 = 7 * 24 * 3600 * 1000;
/// D1 runs a batch as one transaction; keep one import well inside its statement limits.
const MAX_STATEMENTS: usize = 900;

pub async fn import(cx: &mut Cx, source: Source) -> ApiResult<Response> {
    let caller = cx.caller().await?;
    caller.require(Permission::Administer)?;
    let apply = match cx.query("apply").as_deref() {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => return Err(ApiError::field("apply", "must be true (apply) or false (dry run, the default)")),
    };
    // Applying adds people (with invitation links in the answer) and more, which outlive the token.
    if apply {
        caller.require_signed_in("an API token cannot apply an import (it adds people): sign in to apply it; a dry run is allowed")?;
    }
    let body = parse_json(&cx.body(BODY_LIMIT).await?)?;
    let export = source.read(&body, views::time(cx.now))?;
    let org = caller.org_id().to_string();
    let keys: Vec<&str> = export.services.iter().filter_map(|s| s.key.as_deref()).collect();
    let existing = cx.db.import_state(&org, source.as_str(), &keys).await?;
    let base = cx.origin();
    let plan = import::plan(source, &export, &existing, &base);
    if !apply {
        return json(200, &ImportAnswer { applied: false, created: None, invites: Vec::new(), plan });
    }

    let now = cx.now;
    let writes = plan.writes(&existing, || new_id(now));
    let statements = writes.forget.len() + writes.users.len() * 3 + writes.schedules.len() * 2 + writes.overrides.len() + writes.policies.len() * 2 + writes.services.len() * 2;
    if statements > MAX_STATEMENTS {
        return Err(ApiError::field("body", format!("too much for one atomic import ({statements} rows): import in parts, e.g. users first")));
    }
    let keys: Vec<(String, String)> = writes.services.iter().map(|s| (s.id.clone(), s.key.clone().unwrap_or_else(new_integration_key))).collect();
    let expires_at = now + INVITE_TTL_MS;
    let mut invites = Vec::new();
    let mut links = Vec::new();
    for u in &writes.users {
        let secret = new_secret("tci_");
        invites.push(ImportInvite { user_id: u.id.clone(), token_hash: sha256_hex(&secret), expires_at });
        // The secret travels in the fragment, so it never reaches server or proxy logs.
        links.push(Invite { email: u.email.clone(), invite_url: format!("{base}/invite#{secret}"), expires_at: views::time(expires_at) });
    }
    let audit = cx
        .audit(&caller, tocsin_domain::audit::Action::ImportApplied, None)
        .after(serde_json::json!({"source": source.as_str(), "created": writes.counts()}));
    cx.db.apply_import(&org, source.as_str(), &writes, &keys, &invites, &caller.user.id, now, &audit).await.map_err(|e| {
        if is_unique_violation(&e) {
            ApiError::Conflict("another import or change made some of the same things meanwhile: nothing was written; run the import again (it creates only what is still missing)".into())
        } else {
            e
        }
    })?;
    let keys: Vec<&str> = export.services.iter().filter_map(|s| s.key.as_deref()).collect();
    let after = cx.db.import_state(&org, source.as_str(), &keys).await?;
    let plan = import::plan(source, &export, &after, &base);
    json(200, &ImportAnswer { applied: true, created: Some(writes.counts()), invites: links, plan })
}
