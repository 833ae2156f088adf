//! Sending: due deliveries claimed and sent (Web Push encrypted per RFC 8291 with VAPID,
//! webhooks to chat and ticketing), each attempt recorded under the domain's retry rule.

use super::*;

thread_local! {
    /// VAPID authorisations made lately, by (organisation's public key, subject, push service
    /// origin) → (signed at, in seconds; the header): one ES256 signature per push service every
    /// `webpush::VAPID_REUSE_SECS`, not one per message. Per isolate, like the keys above.
    static VAPID: RefCell<HashMap<VapidFor, (i64, String)>> = RefCell::new(HashMap::new());
}

/// Whom a VAPID authorisation is for: (organisation's public key, subject, push service origin).
type VapidFor = (String, String, String);

/// Claims the due deliveries and sends them (concurrently), recording the outcomes — awaited,
/// or in a task of its own (`spawn`). Returns how many were claimed.
pub(super) async fn send_due(db: &Db, now: &impl Fn() -> i64, spawn: Option<(&Context, &Env)>) -> ApiResult<usize> {
    let claimed = db.claim_deliveries(now(), LEASE_MS, BATCH).await?;
    let n = claimed.len();
    match (n, spawn) {
        (0, _) => {}
        (_, None) => send_claimed(db, claimed, now).await?,
        (_, Some((ctx, env))) => {
            let env = env.clone();
            ctx.wait_until(async move {
                let Ok(d1) = env.d1("DB") else { return };
                if let Err(e) = send_claimed(&Db::new(d1), claimed, &|| worker::Date::now().as_millis() as i64).await {
                    worker::console_error!("delivery: {e}");
                }
            });
        }
    }
    Ok(n)
}

async fn send_claimed(db: &Db, claimed: Vec<DeliveryRow>, now: &impl Fn() -> i64) -> ApiResult<()> {
    let push_ids: Vec<&str> = claimed.iter().filter(|d| d.channel == "push").map(|d| d.target_id.as_str()).collect();
    let page_incidents: Vec<&str> = claimed.iter().filter(|d| d.event == "page").filter_map(|d| d.incident_id.as_deref()).collect();
    // Both reads at once: a page waits for one round trip, not two.
    let (subs, statuses) = futures_util::future::join(db.subscriptions_by_id(&push_ids), db.incident_statuses(&page_incidents)).await;
    let subs: HashMap<String, SubscriptionRow> = subs?.into_iter().map(|s| (s.id.clone(), s)).collect();
    let statuses: HashMap<String, String> = statuses?.into_iter().collect();
    send_with(db, &claimed, &subs, &statuses, now).await;
    Ok(())
}

/// Sends claimed deliveries, all at once, given their push devices (by id) and the status of
/// the incidents they page about; each outcome is recorded, failures logged.
pub(super) async fn send_with(db: &Db, claimed: &[DeliveryRow], subs: &HashMap<String, SubscriptionRow>, statuses: &HashMap<String, String>, now: &impl Fn() -> i64) {
    let sends = claimed.iter().map(|d| send_one(db, d, subs, statuses, now));
    let results = futures_util::future::join_all(sends).await;
    for r in results {
        if let Err(e) = r {
            worker::console_error!("delivery: {e}");
        }
    }
}

/// Why a claimed delivery was not sent, and the state it ends in.
struct NotSent {
    state: &'static str,
    reason: String,
}

impl NotSent {
    fn failed(reason: impl Into<String>) -> Self {
        NotSent { state: "failed", reason: reason.into() }
    }
}

/// Anything that stops a send from being prepared (a key that will not open, say) ends the
/// delivery with the reason in its log, never leaving it claimed and pending.
impl From<ApiError> for NotSent {
    fn from(e: ApiError) -> Self {
        NotSent::failed(format!("could not be prepared: {e}"))
    }
}

async fn send_one(db: &Db, d: &DeliveryRow, subs: &HashMap<String, SubscriptionRow>, statuses: &HashMap<String, String>, now: &impl Fn() -> i64) -> ApiResult<()> {
    let started = now();
    match attempt(db, d, subs, statuses, started).await {
        Ok(answer) => {
            let finished = now();
            record(db, d, answer, started, finished).await
        }
        Err(n) => db.not_sent(d, &new_id(started), n.state, &n.reason, started).await,
    }
}

async fn attempt(db: &Db, d: &DeliveryRow, subs: &HashMap<String, crate::db::SubscriptionRow>, statuses: &HashMap<String, String>, now: i64) -> Result<Answer, NotSent> {
    if d.event == "page" {
        // A page is for a triggered incident, while it is fresh: retries and repeats stop too.
        let status = d.incident_id.as_ref().and_then(|i| statuses.get(i)).and_then(|s| s.parse::<IncidentStatus>().ok());
        notification::page_wanted(status, time(d.created_at), time(now)).map_err(|why| NotSent { state: "skipped", reason: why.to_string() })?;
    }
    match d.channel.as_str() {
        "push" => {
            let sub = subs.get(&d.target_id).ok_or(NotSent { state: "gone", reason: "the device was removed".into() })?;
            let keys = keys(db, &d.org_id).await?.ok_or_else(|| NotSent::failed("the organisation has no push keys"))?;
            send_push(&keys, sub, d, now).await
        }
        "webhook" => {
            let dest = db.destination(&d.org_id, &d.target_id).await?.ok_or_else(|| NotSent::failed("not sent: the destination was deleted"))?;
            if dest.enabled == 0 {
                return Err(NotSent::failed("not sent: the destination is paused"));
            }
            let kind = dest.kind.parse::<DestinationKind>().unwrap_or(DestinationKind::Generic);
            let url = open(&dest.url, &format!("dest-url:{}", dest.id))?;
            let secret = dest.secret.as_deref().map(|s| open(s, &format!("dest-secret:{}", dest.id))).transpose()?;
            Ok(send_webhook(kind, &url, secret.as_deref(), d, now).await)
        }
        _ => {
            let prefs = db.preferences(&d.target_id).await?;
            let (kind, url) = prefs
                .as_ref()
                .and_then(|p| Some((p.webhook_kind.as_deref()?.parse::<DestinationKind>().ok()?, p.webhook_url.clone()?)))
                .ok_or_else(|| NotSent::failed("not sent: the personal webhook was removed"))?;
            let url = open(&url, &format!("pref-url:{}", d.target_id))?;
            let secret = prefs.as_ref().and_then(|p| p.webhook_secret.as_deref()).map(|s| open(s, &format!("pref-secret:{}", d.target_id))).transpose()?;
            Ok(send_webhook(kind, &url, secret.as_deref(), d, now).await)
        }
    }
}

/// Writes what an answer means under the retry rule.
async fn record(db: &Db, d: &DeliveryRow, answer: Answer, started: i64, finished: i64) -> ApiResult<()> {
    let attempt = u32::try_from(d.attempts + 1).unwrap_or(u32::MAX);
    let outcome = retry::classify(answer.status);
    let (state, next) = match retry::after_attempt(outcome, attempt, answer.retry_after_secs, time(finished)) {
        Next::Done => ("sent", None),
        Next::RetryAt(at) => ("pending", Some(at.timestamp_millis())),
        Next::GiveUp => ("failed", None),
        Next::Forget => (if d.channel == "push" { "gone" } else { "failed" }, None),
    };
    let words = match (&answer.error, state) {
        (Some(e), "pending") => format!("{e}; will retry"),
        (Some(e), _) => format!("{e}; gave up after {attempt} attempts"),
        (None, "failed") if outcome == retry::Outcome::Retry => format!("{}; gave up after {attempt} attempts", answer.status.unwrap_or(0)),
        (None, "gone") => format!("{}: the push service says this subscription is gone; removed", answer.status.unwrap_or(0)),
        (None, _) => retry::describe(answer.status),
    };
    db.record_attempt(d, &new_id(finished), answer.status, &words, finished - started, state, next, finished).await
}

/// A page's payload with its action token for the delivery's person and incident, minted at
/// send time (a token in a payload queued by an earlier version is replaced too). It expires
/// `LIFETIME_SECS` after the page was queued, so every retry sends the same message.
fn with_action_token(keys: &OrgKeysRow, d: &DeliveryRow, mut payload: notification::PushPayload) -> Result<notification::PushPayload, NotSent> {
    if payload.kind != "page" {
        return Ok(payload);
    }
    let (Some(incident_id), Some(user_id)) = (d.incident_id.clone(), d.user_id.clone()) else {
        return Err(NotSent::failed("the stored page names no incident or person"));
    };
    let claims = Claims { purpose: Purpose::Acknowledge, org_id: d.org_id.clone(), incident_id, user_id, expires_at: d.created_at / 1000 + action_token::LIFETIME_SECS };
    payload.token = Some(action_token::issue(&decode(&keys.action_key)?, &claims));
    Ok(payload)
}

/// A responder request's push with its action token (purpose `Respond`, for the person asked
/// and the incident), minted at send time like a page's: Join and Decline work from the lock
/// screen without a session.
fn responder_with_token(keys: &OrgKeysRow, d: &DeliveryRow) -> Result<tocsin_domain::responders::ResponderPush, NotSent> {
    let mut p: tocsin_domain::responders::ResponderPush = serde_json::from_str(&d.payload).map_err(|_| NotSent::failed("the stored message is not a responder request"))?;
    let (Some(incident_id), Some(user_id)) = (d.incident_id.clone(), d.user_id.clone()) else {
        return Err(NotSent::failed("the stored request names no incident or person"));
    };
    let claims = Claims { purpose: Purpose::Respond, org_id: d.org_id.clone(), incident_id, user_id, expires_at: d.created_at / 1000 + action_token::LIFETIME_SECS };
    p.base.token = Some(action_token::issue(&decode(&keys.action_key)?, &claims));
    Ok(p)
}

async fn send_push(keys: &OrgKeysRow, sub: &crate::db::SubscriptionRow, d: &DeliveryRow, now: i64) -> Result<Answer, NotSent> {
    // What cannot be sent now never can: these fail at once rather than retry.
    let (payload, plaintext) = if d.event == "responder" {
        let p = responder_with_token(keys, d)?;
        let bytes = serde_json::to_vec(&p).map_err(|e| NotSent::failed(e.to_string()))?;
        (p.base, bytes)
    } else {
        let payload: notification::PushPayload = serde_json::from_str(&d.payload).map_err(|_| NotSent::failed("the stored message is not a push payload"))?;
        let payload = with_action_token(keys, d, payload)?;
        let bytes = serde_json::to_vec(&payload).map_err(|e| NotSent::failed(e.to_string()))?;
        (payload, bytes)
    };
    let origin = webpush::endpoint_origin(&sub.endpoint).ok_or_else(|| NotSent::failed("the subscription's endpoint is not an http(s) URL"))?;
    // A compressed p256dh (accepted when subscribing) is sent as the point it names.
    let ua_public = webpush::uncompressed_key(&decode(&sub.p256dh)?).map_err(|e| NotSent::failed(e.to_string()))?;
    let auth = decode(&sub.auth)?;
    // The key agreement natively (a fresh key pair per message), the rest in the domain. The
    // runtime failing is not the message's fault: answered like a network failure, so retried.
    let agreed = match crate::webcrypto::ephemeral_ecdh(&ua_public).await {
        Ok(a) => a,
        Err(e) => return Ok(Answer { status: None, retry_after_secs: None, error: Some(format!("key agreement: {e}")) }),
    };
    let salt: [u8; 16] = random_bytes();
    let body = webpush::encrypt_agreed(&plaintext, &ua_public, &auth, &agreed.public, &agreed.secret, &salt).map_err(|e| NotSent::failed(e.to_string()))?;
    let authorization = vapid_authorization(keys, origin, now / 1000)?;
    // Topic: a newer message about the same incident replaces an undelivered older one.
    let topic: String = payload.incident_id.as_deref().unwrap_or("tocsin-test").chars().filter(|c| c.is_ascii_alphanumeric()).take(32).collect();
    let headers = [
        ("Authorization", authorization),
        ("Content-Encoding", "aes128gcm".to_string()),
        ("Content-Type", "application/octet-stream".to_string()),
        ("TTL", notification::PUSH_TTL_SECS.to_string()),
        ("Urgency", notification::urgency(payload.severity).to_string()),
        ("Topic", topic),
    ];
    Ok(post(&sub.endpoint, &headers, body, SEND_TIMEOUT_MS).await)
}

/// The `Authorization` header for a push service: the one signed for it in the last
/// `webpush::VAPID_REUSE_SECS` on this isolate, else a fresh one.
fn vapid_authorization(keys: &OrgKeysRow, origin: String, now_secs: i64) -> Result<String, NotSent> {
    let key = (keys.vapid_public.clone(), keys.vapid_subject.clone(), origin);
    let reuse = VAPID.with(|c| c.borrow().get(&key).filter(|(at, _)| webpush::vapid_reusable(*at, now_secs)).map(|(_, h)| h.clone()));
    if let Some(header) = reuse {
        return Ok(header);
    }
    let header = webpush::vapid_authorization(&key.2, &keys.vapid_subject, &decode(&keys.vapid_private)?, now_secs).map_err(|e| NotSent::failed(e.to_string()))?;
    VAPID.with(|c| {
        let mut c = c.borrow_mut();
        // Stale entries go with the next new one; a handful of push services per organisation.
        c.retain(|_, (at, _)| webpush::vapid_reusable(*at, now_secs));
        c.insert(key, (now_secs, header.clone()));
    });
    Ok(header)
}

async fn send_webhook(kind: DestinationKind, url: &str, secret: Option<&str>, d: &DeliveryRow, now: i64) -> Answer {
    let body = d.payload.clone().into_bytes();
    let mut headers = vec![
        ("Content-Type", "application/json".to_string()),
        ("User-Agent", format!("Tocsin-Webhooks/{}", env!("CARGO_PKG_VERSION"))),
    ];
    if kind == DestinationKind::Generic {
        headers.push(("Tocsin-Event", d.event.clone()));
        headers.push(("Tocsin-Delivery", d.id.clone()));
        if let Some(s) = secret {
            headers.push((out::signature::HEADER, out::signature::sign(s, now / 1000, &body)));
        }
    }
    post(url, &headers, body, SEND_TIMEOUT_MS).await
}
