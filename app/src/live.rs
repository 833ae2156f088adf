//! The live record in the app: a WebSocket to `/api/incidents/{id}/live` that says when the
//! incident changed, reconnecting with the last sequence number it saw (the server then sends
//! exactly what was missed). The page keeps a slow refresh as a safety net.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use leptos::prelude::*;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{MessageEvent, WebSocket};

/// What the page says about the connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Live {
    Connecting,
    /// Connected and caught up.
    Live,
    /// Lost; reconnecting (the page still refreshes now and then).
    Lost,
}

struct Watch {
    socket: RefCell<Option<WebSocket>>,
    last_seq: Cell<i64>,
    stopped: Cell<bool>,
    retries: Cell<u32>,
}

/// Watches incident `id`; `changed` runs for every batch of new rows. Stops when the page goes.
pub fn watch(id: String, changed: impl Fn() + 'static) -> RwSignal<Live> {
    let state = RwSignal::new(Live::Connecting);
    let w = Rc::new(Watch { socket: RefCell::new(None), last_seq: Cell::new(0), stopped: Cell::new(false), retries: Cell::new(0) });
    let changed: Rc<dyn Fn()> = Rc::new(changed);
    connect(w.clone(), id, state, changed);
    // The page's cleanup may not hold an `Rc`; it reaches the watch through local storage.
    let stored = StoredValue::new_local(w);
    on_cleanup(move || {
        stored.with_value(|w| {
            w.stopped.set(true);
            if let Some(s) = w.socket.borrow_mut().take() {
                let _ = s.close();
            }
        })
    });
    state
}

fn connect(w: Rc<Watch>, id: String, state: RwSignal<Live>, changed: Rc<dyn Fn()>) {
    if w.stopped.get() {
        return;
    }
    let Some(location) = web_sys::window().map(|win| win.location()) else { return };
    let scheme = if location.protocol().ok().as_deref() == Some("https:") { "wss" } else { "ws" };
    let host = location.host().unwrap_or_default();
    let url = format!("{scheme}://{host}/api/incidents/{}/live?after={}", js_sys::encode_uri_component(&id), w.last_seq.get());
    let Ok(socket) = WebSocket::new(&url) else {
        state.set(Live::Lost);
        return;
    };
    let (w_msg, changed_msg) = (w.clone(), changed.clone());
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
        let Some(text) = e.data().as_string() else { return };
        let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) else { return };
        if v["type"] != "timeline" {
            return;
        }
        let first = w_msg.last_seq.get() == 0;
        let last = v["entries"].as_array().and_then(|e| e.last()).and_then(|e| e["seq"].as_i64());
        if let Some(last) = last {
            w_msg.last_seq.set(last);
            // The first page is what the page already loaded; later ones are changes.
            if !first || w_msg.retries.get() > 0 {
                changed_msg();
            }
        }
        if !v["more"].as_bool().unwrap_or(false) {
            w_msg.retries.set(0);
            state.set(Live::Live);
        }
    });
    socket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    let w_close = w.clone();
    let on_close = Closure::<dyn FnMut()>::new(move || {
        if w_close.stopped.get() {
            return;
        }
        state.set(Live::Lost);
        // Back off: 1, 2, 4 … 30 s.
        let n = w_close.retries.get();
        w_close.retries.set(n + 1);
        let delay = (1000u32 << n.min(5)).min(30_000);
        let (w2, id2, changed2) = (w_close.clone(), id.clone(), changed.clone());
        gloo_timers::callback::Timeout::new(delay, move || connect(w2, id2, state, changed2)).forget();
    });
    socket.set_onclose(Some(on_close.as_ref().unchecked_ref()));
    on_close.forget();
    *w.socket.borrow_mut() = Some(socket);
}
