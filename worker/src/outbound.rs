//! Outbound HTTP: fetching SNS signing certificates (cached per isolate) and visiting SNS
//! subscription-confirmation URLs.

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
    let mut resp = Fetch::Url(parsed).send().await.map_err(|_| ApiError::Unauthenticated("the SNS signing certificate could not be fetched"))?;
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
    let Ok(parsed) = Url::parse(url) else { return false };
    matches!(Fetch::Url(parsed).send().await, Ok(r) if (200..300).contains(&r.status_code()))
}
