//! The live record in the app: a WebSocket to `/api/incidents/{id}/live` that hands the page
//! every new timeline row, reconnecting with the last sequence number it saw (the server then
//! sends exactly what was missed). The page keeps a slow refresh as a safety net. A socket the
//! server closes because its session ended (`SIGNED_OUT`: a logout elsewhere, "log out
//! everywhere", a password change, a deactivation) is not reopened: the app shows the login screen
//! (`unless_signed_out`).

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use leptos::prelude::*;
use tocsin_domain::api::TimelineEntry;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{CloseEvent, MessageEvent, WebSocket};

use crate::state::Session;

/// What the page says about the connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Live {
    Connecting,
    /// Connected and caught up.
    Live,
    /// Lost; reconnecting (the page still refreshes now and then).
    Lost,
    /// Connected again after a loss, and caught up with every row missed meanwhile (for
    /// `CAUGHT_UP_MS`, then `Live`).
    CaughtUp,
}

impl Live {
    /// `data-state` on the banner: `connecting`, `live` (also after catching up) or `lost`.
    pub fn data_state(self) -> &'static str {
        match self {
            Self::Connecting => "connecting",
            Self::Live | Self::CaughtUp => "live",
            Self::Lost => "lost",
        }
    }
}

struct Watch {
    socket: RefCell<Option<WebSocket>>,
    last_seq: Cell<i64>,
    stopped: Cell<bool>,
    retries: Cell<u32>,
    /// Lost at least once since the page opened.
    was_lost: Cell<bool>,
}

/// When the page goes: `stop` marks the watch stopped and hands over its socket, which is closed.
/// (The page's cleanup may not hold an `Rc`; it reaches the watch through local storage.)
pub(crate) fn stop_when_the_page_goes<W: 'static>(w: Rc<W>, stop: fn(&W) -> Option<WebSocket>) {
    let stored = StoredValue::new_local(w);
    on_cleanup(move || {
        if let Some(s) = stored.with_value(|w| stop(w)) {
            let _ = s.close();
        }
    });
}

/// Watches incident `id`; `rows` gets every batch of rows (the whole record first, then each
/// change; after a reconnect exactly the rows missed). Stops when the page goes.
pub fn watch(id: String, rows: impl Fn(Vec<TimelineEntry>) + 'static) -> RwSignal<Live> {
    let state = RwSignal::new(Live::Connecting);
    let w = Rc::new(Watch { socket: RefCell::new(None), last_seq: Cell::new(0), stopped: Cell::new(false), retries: Cell::new(0), was_lost: Cell::new(false) });
    let changed: Rc<dyn Fn(Vec<TimelineEntry>)> = Rc::new(rows);
    connect(w.clone(), id, state, crate::state::session(), changed);
    stop_when_the_page_goes(w, |w| {
        w.stopped.set(true);
        w.socket.borrow_mut().take()
    });
    state
}

fn connect(w: Rc<Watch>, id: String, state: RwSignal<Live>, session: RwSignal<Session>, changed: Rc<dyn Fn(Vec<TimelineEntry>)>) {
    if w.stopped.get() {
        return;
    }
    let Some(url) = socket_url(&format!("/api/incidents/{}/live?after={}", js_sys::encode_uri_component(&id), w.last_seq.get())) else { return };
    let Ok(socket) = WebSocket::new(&url) else {
        state.set(Live::Lost);
        return;
    };
    // Whether this socket ever opened (one refused at the upgrade closes without opening).
    let opened = Rc::new(Cell::new(false));
    let opened_now = opened.clone();
    let on_open = Closure::<dyn FnMut()>::new(move || opened_now.set(true));
    socket.set_onopen(Some(on_open.as_ref().unchecked_ref()));
    on_open.forget();
    let (w_msg, changed_msg) = (w.clone(), changed.clone());
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
        let Some(text) = e.data().as_string() else { return };
        let Ok(v) = tocsin_domain::json_maps::from_str::<serde_json::Value>(&text) else { return };
        if v["type"] != "timeline" {
            return;
        }
        let entries: Vec<TimelineEntry> = tocsin_domain::json_maps::from_value(v["entries"].clone()).unwrap_or_default();
        // Only rows after the last one seen count (a resent batch changes nothing).
        let seen = w_msg.last_seq.get();
        let fresh: Vec<TimelineEntry> = entries.into_iter().filter(|e| e.seq > seen).collect();
        if let Some(last) = fresh.last().map(|e| e.seq) {
            w_msg.last_seq.set(last);
            changed_msg(fresh);
        }
        // The first complete batch after connecting: live (or caught up, said for a few seconds).
        if !v["more"].as_bool().unwrap_or(false) && matches!(state.try_get_untracked(), Some(Live::Connecting | Live::Lost)) {
            w_msg.retries.set(0);
            if w_msg.was_lost.get() {
                state.set(Live::CaughtUp);
                gloo_timers::callback::Timeout::new(CAUGHT_UP_MS, move || {
                    if state.try_get_untracked() == Some(Live::CaughtUp) {
                        state.try_set(Live::Live);
                    }
                })
                .forget();
            } else {
                state.set(Live::Live);
            }
        }
    });
    socket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    let w_close = w.clone();
    let on_close = Closure::<dyn FnMut(CloseEvent)>::new(move |e: CloseEvent| {
        if w_close.stopped.get() {
            return;
        }
        state.set(Live::Lost);
        w_close.was_lost.set(true);
        let n = w_close.retries.get();
        w_close.retries.set(n + 1);
        let delay = backoff_ms(n);
        let (w2, id2, changed2) = (w_close.clone(), id.clone(), changed.clone());
        unless_signed_out(&e, opened.get(), session, move || {
            gloo_timers::callback::Timeout::new(delay, move || connect(w2, id2, state, session, changed2)).forget();
        });
    });
    socket.set_onclose(Some(on_close.as_ref().unchecked_ref()));
    on_close.forget();
    *w.socket.borrow_mut() = Some(socket);
}

/// Runs `reconnect` unless the session has ended. When the server closed the socket because its
/// session ended (`SIGNED_OUT`), or the socket closed without ever opening (a 401 at the upgrade
/// reaches the page as 1006), `/api/me` says who this browser is now:
/// - 401: the session ended. The offline copies are forgotten (the service worker drops them only
///   on a 401 it sees) and the login screen shown, as a request answered 401 does; no reconnect.
/// - the same person (signed in again in another tab): reconnect, with the new cookie.
/// - someone else (another person signed in, in another tab): the app becomes theirs (it is
///   drawn again for them); this page's socket is not reopened for the one before.
/// - no answer (offline, a 5xx): reconnect, with the caller's back-off, and ask again if it fails.
pub(crate) fn unless_signed_out(e: &CloseEvent, opened: bool, session: RwSignal<Session>, reconnect: impl FnOnce() + 'static) {
    if opened && e.code() != tocsin_domain::api::incidents_live::SIGNED_OUT {
        reconnect();
        return;
    }
    leptos::task::spawn_local(async move {
        // The check leaves the offline mark as it was: an answer from the offline copy would
        // otherwise date the screen by when `/api/me` was stored, not by what the screen shows.
        let mark = crate::api::stale().get_untracked();
        let me = crate::api::me().await;
        crate::api::stale().try_set(mark);
        match me {
            Err(e) if e.is_unauthenticated() => {
                crate::api::forget_offline_copies().await;
                session.try_set(Session::LoggedOut);
            }
            Ok(me) if !matches!(session.get_untracked(), Session::LoggedIn(was) if was.user.id == me.user.id) => {
                session.try_set(Session::LoggedIn(me));
            }
            _ => reconnect(),
        }
    });
}

/// How long "caught up" is said after a reconnect before the banner says plain "live".
pub const CAUGHT_UP_MS: u32 = 6_000;

/// The WebSocket address of an API path on this origin (`wss:` under https).
pub fn socket_url(path: &str) -> Option<String> {
    let location = web_sys::window()?.location();
    let scheme = if location.protocol().ok().as_deref() == Some("https:") { "wss" } else { "ws" };
    Some(format!("{scheme}://{}{path}", location.host().ok()?))
}

/// How long to wait before reconnecting after `retries` failed attempts: 1, 2, 4 … 30 s.
pub fn backoff_ms(retries: u32) -> u32 {
    (1000u32 << retries.min(5)).min(30_000)
}
