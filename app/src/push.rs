//! This browser and Web Push: can it receive pages, and turning them on (service worker,
//! permission, the organisation's VAPID key, `pushManager.subscribe`, register with Tocsin).

use tocsin_domain::api::{PushDevice, PushSubscriptionRequest};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Notification, NotificationPermission, PushManager, PushSubscriptionOptionsInit, ServiceWorkerRegistration};

use crate::api;

/// Whether this browser can be paged, in the words the profile screen uses.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum DeviceState {
    /// No service worker, Push API or notifications here.
    Unsupported,
    /// iPhone/iPad in a Safari tab: push works only in the app added to the Home Screen.
    IosNeedsHomeScreen,
    /// The person (or a policy) blocked notifications for Tocsin.
    Blocked,
    Off,
    /// Permission granted and this browser holds a push subscription.
    On,
}

fn has(obj: &JsValue, key: &str) -> bool {
    js_sys::Reflect::has(obj, &JsValue::from_str(key)).unwrap_or(false)
}

fn user_agent() -> String {
    web_sys::window().and_then(|w| w.navigator().user_agent().ok()).unwrap_or_default()
}

pub fn is_ios() -> bool {
    let ua = user_agent();
    let touch_mac = ua.contains("Macintosh")
        && web_sys::window().is_some_and(|w| w.navigator().max_touch_points() > 1);
    ua.contains("iPhone") || ua.contains("iPad") || ua.contains("iPod") || touch_mac
}

/// Running as the installed app (Home Screen), not in a browser tab.
pub fn standalone() -> bool {
    let Some(w) = web_sys::window() else { return false };
    let ios_standalone = js_sys::Reflect::get(&w.navigator(), &JsValue::from_str("standalone")).ok().and_then(|v| v.as_bool()).unwrap_or(false);
    ios_standalone || w.match_media("(display-mode: standalone)").ok().flatten().is_some_and(|m| m.matches())
}

fn supported() -> bool {
    let Some(w) = web_sys::window() else { return false };
    has(&w.navigator(), "serviceWorker") && has(&w, "PushManager") && has(&w, "Notification")
}

/// A name the person will recognise in the device list, from the user agent (the domain's rule;
/// an iPad's Safari says "Macintosh" but has a touch screen).
pub fn default_device_name() -> String {
    let ua = user_agent();
    tocsin_domain::notification::device_name(&ua, ua.contains("Macintosh") && is_ios())
}

/// A JavaScript error in words: `NotAllowedError: Registration failed - permission denied`.
fn describe(e: JsValue) -> String {
    let get = |k: &str| js_sys::Reflect::get(&e, &JsValue::from_str(k)).ok().and_then(|v| v.as_string()).filter(|s| !s.is_empty());
    match (get("name"), get("message")) {
        (Some(n), Some(m)) => format!("{n}: {m}"),
        (None, Some(m)) => m,
        _ => e.as_string().unwrap_or_else(|| format!("{e:?}")),
    }
}

async fn registration() -> Result<ServiceWorkerRegistration, String> {
    let sw = web_sys::window().ok_or("no window")?.navigator().service_worker();
    JsFuture::from(sw.register("/sw.js")).await.map_err(|e| format!("Could not start Tocsin's service worker ({}).", describe(e)))?;
    let ready = sw.ready().map_err(describe)?;
    let reg = JsFuture::from(ready).await.map_err(describe)?;
    Ok(reg.unchecked_into())
}

async fn current_subscription(pm: &PushManager) -> Option<JsValue> {
    let sub = JsFuture::from(pm.get_subscription().ok()?).await.ok()?;
    (!sub.is_null() && !sub.is_undefined()).then_some(sub)
}

pub async fn state() -> DeviceState {
    if is_ios() && !standalone() {
        return DeviceState::IosNeedsHomeScreen;
    }
    if !supported() {
        return DeviceState::Unsupported;
    }
    match Notification::permission() {
        NotificationPermission::Denied => return DeviceState::Blocked,
        NotificationPermission::Granted => {}
        _ => return DeviceState::Off,
    }
    let sw = web_sys::window().map(|w| w.navigator().service_worker());
    let reg = match sw {
        Some(sw) => JsFuture::from(sw.get_registration()).await.ok().filter(|r| !r.is_undefined()),
        None => None,
    };
    let Some(pm) = reg.and_then(|r| r.unchecked_into::<ServiceWorkerRegistration>().push_manager().ok()) else {
        return DeviceState::Off;
    };
    if current_subscription(&pm).await.is_some() {
        DeviceState::On
    } else {
        DeviceState::Off
    }
}

/// base64url (with or without padding) to bytes; `None` on anything else.
fn base64url(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in s.trim_end_matches('=').bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' | b'+' => 62,
            b'_' | b'/' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Some(out)
}

const SUBSCRIBE_TIMEOUT_MS: i32 = 20_000;
const TIMED_OUT: &str = "tocsin: timed out";

/// A promise that rejects with [`TIMED_OUT`] after `ms`: a push service that never answers
/// (no connection, or none at all) must not leave the button spinning.
fn timeout(ms: i32) -> js_sys::Promise {
    js_sys::Promise::new(&mut |_resolve, reject| {
        let reject: js_sys::Function = reject.bind1(&JsValue::NULL, &JsValue::from_str(TIMED_OUT)).unchecked_into();
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&reject, ms);
        }
    })
}

/// Turns pages on for this browser; every step's failure comes back as a sentence.
pub async fn enable(device: String) -> Result<PushDevice, String> {
    if is_ios() && !standalone() {
        return Err("On iPhone and iPad, add Tocsin to your Home Screen first and open it from there.".into());
    }
    if !supported() {
        return Err("This browser cannot receive push notifications.".into());
    }
    // The permission is asked first, in the tap's own task: Safari and Firefox show the prompt
    // only shortly after a user gesture, and on a first visit the service worker may still be
    // installing (app/boot.js registers it once the page is idle) when the button is tapped.
    let answer = JsFuture::from(Notification::request_permission().map_err(describe)?).await.map_err(describe)?;
    match answer.as_string().as_deref() {
        Some("granted") => {}
        Some("denied") => return Err("Notifications are blocked for Tocsin. Allow them in the browser's site settings, then try again.".into()),
        _ => return Err("Notifications were not allowed. Tap the button again and choose Allow.".into()),
    }
    let reg = registration().await?;
    let pm = reg.push_manager().map_err(describe)?;
    let sub = match current_subscription(&pm).await {
        Some(sub) => sub,
        None => {
            let key = api::vapid_public_key().await.map_err(|e| format!("Could not get Tocsin's push key: {}", e.message))?;
            let bytes = base64url(&key.public_key).ok_or("Tocsin's push key is not valid base64url.")?;
            let opts = PushSubscriptionOptionsInit::new();
            opts.set_user_visible_only(true);
            opts.set_application_server_key(&js_sys::Uint8Array::from(bytes.as_slice()));
            let promise = pm.subscribe_with_options(&opts).map_err(describe)?;
            JsFuture::from(js_sys::Promise::race(&js_sys::Array::of2(&promise, &timeout(SUBSCRIBE_TIMEOUT_MS))))
                .await
                .map_err(|e| match e.as_string() {
                    Some(t) if t == TIMED_OUT => format!(
                        "The browser's push service did not answer within {} seconds. Check the connection and try again; some browsers (and headless ones) have no push service.",
                        SUBSCRIBE_TIMEOUT_MS / 1000
                    ),
                    _ => format!("The browser's push service refused the subscription ({}). This browser may not support push.", describe(e)),
                })?
        }
    };
    let json = js_sys::JSON::stringify(&sub).map_err(describe)?.as_string().unwrap_or_default();
    let mut body: PushSubscriptionRequest = tocsin_domain::json_maps::from_str(&json).map_err(|e| format!("Unexpected subscription from the browser: {e}"))?;
    let device = device.trim();
    body.device = Some(if device.is_empty() { default_device_name() } else { device.to_string() });
    api::add_push_device(&body).await.map_err(|e| format!("Tocsin did not register this device: {}", e.message))
}

