//! The incidents list, live, in the app: a WebSocket to `/api/incidents/live` that hands the
//! page each incident of the organisation that was opened or changed. Whenever the socket opens
//! (the first time and after every reconnect, with the incident record's backoff,
//! `crate::live::backoff_ms`) the page refetches the list, so nothing is missed across a gap.
//! A socket closed because its session ended is not reopened (`crate::live::unless_signed_out`).

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use leptos::prelude::*;
use tocsin_domain::api::incidents_live::ListMessage;
use tocsin_domain::api::Incident;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{CloseEvent, MessageEvent, WebSocket};

use crate::live::{backoff_ms, socket_url, unless_signed_out, Live};
use crate::state::Session;

struct Watch {
    socket: RefCell<Option<WebSocket>>,
    stopped: Cell<bool>,
    retries: Cell<u32>,
}

struct Handlers {
    opened: Box<dyn Fn()>,
    changed: Box<dyn Fn(Vec<Incident>)>,
}

/// Watches the organisation's incidents: `opened` runs each time the socket opens (refetch the
/// list then), `changed` with each batch of opened or changed incidents. Stops when the page goes.
pub fn watch_list(opened: impl Fn() + 'static, changed: impl Fn(Vec<Incident>) + 'static) -> RwSignal<Live> {
    let state = RwSignal::new(Live::Connecting);
    let w = Rc::new(Watch { socket: RefCell::new(None), stopped: Cell::new(false), retries: Cell::new(0) });
    connect(w.clone(), state, crate::state::session(), Rc::new(Handlers { opened: Box::new(opened), changed: Box::new(changed) }));
    crate::live::stop_when_the_page_goes(w, |w| {
        w.stopped.set(true);
        w.socket.borrow_mut().take()
    });
    state
}

fn connect(w: Rc<Watch>, state: RwSignal<Live>, session: RwSignal<Session>, h: Rc<Handlers>) {
    if w.stopped.get() {
        return;
    }
    let Some(url) = socket_url("/api/incidents/live") else { return };
    let Ok(socket) = WebSocket::new(&url) else {
        state.set(Live::Lost);
        return;
    };
    // Whether this socket ever opened (one refused at the upgrade closes without opening).
    let opened = Rc::new(Cell::new(false));
    let (w_open, h_open, opened_now) = (w.clone(), h.clone(), opened.clone());
    let on_open = Closure::<dyn FnMut()>::new(move || {
        opened_now.set(true);
        w_open.retries.set(0);
        state.set(Live::Live);
        (h_open.opened)();
    });
    socket.set_onopen(Some(on_open.as_ref().unchecked_ref()));
    on_open.forget();
    let h_msg = h.clone();
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
        let Some(text) = e.data().as_string() else { return };
        if let Ok(ListMessage::Incidents { incidents }) = tocsin_domain::json_maps::from_str::<ListMessage>(&text) {
            (h_msg.changed)(incidents);
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
        let n = w_close.retries.get();
        w_close.retries.set(n + 1);
        let (w2, h2) = (w_close.clone(), h.clone());
        unless_signed_out(&e, opened.get(), session, move || {
            gloo_timers::callback::Timeout::new(backoff_ms(n), move || connect(w2, state, session, h2)).forget();
        });
    });
    socket.set_onclose(Some(on_close.as_ref().unchecked_ref()));
    on_close.forget();
    *w.socket.borrow_mut() = Some(socket);
}

/// Puts `incident` into `list` as the live list says it is now: replaces the row with its id
/// (unless the row is newer), adds it when `shown` (it belongs under the current filter), and
/// drops it when it no longer does. Open incidents first, newest first within each group.
pub fn apply(list: &mut Vec<Incident>, incident: Incident, shown: bool) {
    match list.iter().position(|i| i.id == incident.id) {
        Some(at) if list[at].updated_at > incident.updated_at => return,
        Some(at) if shown => list[at] = incident,
        Some(at) => {
            list.remove(at);
        }
        None if shown => list.push(incident),
        None => return,
    }
    list.sort_by(|a, b| (!a.status.is_open()).cmp(&!b.status.is_open()).then(b.created_at.cmp(&a.created_at)).then(b.id.as_str().cmp(a.id.as_str())));
}
