//! Outbound HTTP: fetching SNS signing certificates (cached per isolate), visiting SNS
//! subscription-confirmation URLs, and POSTing deliveries (push, webhooks) with a time limit.
//! Redirects are never followed: every URL here was checked (a pinned host, a destination an
//! admin set), and the place a redirect names was not; a 3xx is the answer.

use std::cell::RefCell;
use std::collections::HashMap;
use worker::{Fetch, Url};

use crate::error::{ApiError, ApiResult};

thread_local! {
    static CERTS: RefCell<HashMap<String, String>> = RefCell::new(HashMap::new());
}

pub async fn sns_certificate(url: &str) -> ApiResult<String> {
    if let Some(pem) = CERTS.with(|c| c.borrow().get(url).cloned()) {
        return Ok(pem);
    }
    let parsed = Url::parse(url).map_err(|_| ApiError::Unauthenticated("SigningCertURL is not a URL"))?;
    let mut init = worker::RequestInit::new();
    init.with_method(worker::Method::Get).with_redirect(worker::RequestRedirect::Manual);
    let req = worker::Request::new_with_init(parsed.as_str(), &init).map_err(|_| ApiError::Unauthenticated("SigningCertURL is not a URL"))?;
    let mut resp = Fetch::Request(req).send().await.map_err(|_| ApiError::Unauthenticated("the SNS signing certificate could not be fetched"))?;
    if resp.status_code() != 200 {
        return Err(ApiError::Unauthenticated("the SNS signing certificate could not be fetched"));
    }
    let pem = resp.text().await.map_err(|_| ApiError::Unauthenticated("the SNS signing certificate could not be read"))?;
    CERTS.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() > 64 {
            c.clear();
        }
        c.insert(url.to_string(), pem.clone());
    });
    Ok(pem)
}

/// GETs a URL and reports whether it answered 2xx.
pub async fn visit(url: &str) -> bool {
    let mut init = worker::RequestInit::new();
    init.with_method(worker::Method::Get).with_redirect(worker::RequestRedirect::Manual);
    let Ok(req) = worker::Request::new_with_init(url, &init) else { return false };
    matches!(Fetch::Request(req).send().await, Ok(r) if (200..300).contains(&r.status_code()))
}

/// What a receiver answered: its status and `Retry-After` (seconds), or why there was no answer.
pub struct Answer {
    pub status: Option<u16>,
    pub retry_after_secs: Option<i64>,
    pub error: Option<String>,
}

/// POSTs `body` with `headers`, giving up after `timeout_ms` (then `status` is `None`).
pub async fn post(url: &str, headers: &[(&str, String)], body: Vec<u8>, timeout_ms: u64) -> Answer {
    use futures_util::future::{select, Either};
    let fail = |e: String| Answer { status: None, retry_after_secs: None, error: Some(e) };
    let h = worker::Headers::new();
    for (k, v) in headers {
        if h.set(k, v).is_err() {
            return fail(format!("header {k} is not valid"));
        }
    }
    let mut init = worker::RequestInit::new();
    let bytes = js_sys::Uint8Array::from(body.as_slice());
    init.with_method(worker::Method::Post).with_headers(h).with_body(Some(bytes.into())).with_redirect(worker::RequestRedirect::Manual);
    let req = match worker::Request::new_with_init(url, &init) {
        Ok(r) => r,
        Err(_) => return fail("the URL cannot be requested".into()),
    };
    let controller = worker::AbortController::default();
    let signal = controller.signal();
    let fetch = Fetch::Request(req);
    // The answer and its body within the time limit: a receiver that trickles its body cannot
    // hold a send past its lease.
    let sending = Box::pin(async {
        let mut resp = fetch.send_with_signal(&signal).await?;
        let retry_after_secs = resp.headers().get("Retry-After").ok().flatten().and_then(|v| v.trim().parse().ok());
        let _ = resp.bytes().await;
        Ok::<_, worker::Error>((resp.status_code(), retry_after_secs))
    });
    let timer = Box::pin(worker::Delay::from(std::time::Duration::from_millis(timeout_ms)));
    let raced = select(sending, timer).await;
    match raced {
        Either::Left((Ok((status, retry_after_secs)), _)) => Answer { status: Some(status), retry_after_secs, error: None },
        // Fixed words: a fetch error's text can hold the URL, which is a secret for chat webhooks.
        Either::Left((Err(_), _)) => fail("connection failed".into()),
        Either::Right(_) => {
            controller.abort();
            fail(format!("no answer within {} s", timeout_ms / 1000))
        }
    }
}
