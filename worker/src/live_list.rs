//! The incidents list, live: one Durable Object per organisation (`OrgLive`) holds the
//! WebSockets of everyone watching the organisation's incidents list, hibernated while idle. It
//! keeps no rows: when incidents of the organisation were opened or changed in a way the list
//! shows (`tocsin_domain::api::incidents_live::changes_list`), it reads them from D1 and sends
//! every socket `{"type":"incidents","incidents":[…]}`. A client fetches the list whenever its
//! socket opens (first time and after a reconnect), so nothing is missed across a gap.
//!
//! Who tells it: the delivery pump (`deliver`), next to the incidents' own live records, for the
//! timeline rows it marks as dispatched — each row is marked once, by whichever isolate gets
//! there, so a change made on any isolate reaches the list watchers.
//!
//! Like the live record, each socket keeps the session or token it was opened with and is sent
//! nothing once that no longer lets its person in (`crate::live::still_signed_in`).

use tocsin_domain::api::incidents_live::{ListClientMessage, ListMessage};
use worker::{durable_object, DurableObject, Env, Method, Request, RequestInit, Response, Result, State, WebSocket, WebSocketIncomingMessage, WebSocketPair};

use crate::auth::Credential;
use crate::db::Db;

pub const BINDING: &str = "ORG_LIVE";

/// What a socket remembers across hibernation: what it was opened with (`None`: a socket from
/// before this was kept, closed at the next round; its client reconnects).
#[derive(serde::Serialize, serde::Deserialize, Default)]
struct Watcher {
    #[serde(default)]
    credential: Option<Credential>,
}

#[durable_object]
pub struct OrgLive {
    state: State,
    env: Env,
    /// Incidents to announce, and whether a round is sending: rounds run one at a time (the
    /// object's events interleave at every D1 await), so a later message never carries an older
    /// state than an earlier one.
    pending: std::cell::RefCell<std::collections::BTreeSet<String>>,
    busy: std::cell::Cell<bool>,
}

impl OrgLive {
    /// Sends every watcher the current state of these incidents of organisation `org`, in rounds,
    /// until nothing more was asked meanwhile.
    async fn announce(&self, org: &str, ids: &[&str]) {
        if self.state.get_websockets().is_empty() {
            return;
        }
        self.pending.borrow_mut().extend(ids.iter().map(|i| i.to_string()));
        if self.busy.replace(true) {
            return;
        }
        loop {
            let ids: Vec<String> = std::mem::take(&mut *self.pending.borrow_mut()).into_iter().collect();
            if ids.is_empty() {
                break;
            }
            if let Err(e) = self.send_round(org, &ids).await {
                // Left for the next change to announce with its own (a failing D1 is not asked
                // again and again here).
                worker::console_error!("live list: {e}");
                break;
            }
        }
        self.busy.set(false);
    }

    async fn send_round(&self, org: &str, ids: &[String]) -> Result<()> {
        let sockets = self.state.get_websockets();
        if sockets.is_empty() {
            return Ok(());
        }
        let db = Db::new(self.env.d1("DB")?);
        let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
        let rows = db.incidents_by_id(org, &ids).await.map_err(|e| worker::Error::RustError(e.to_string()))?;
        let incidents = rows.iter().filter_map(|r| crate::http::incident_view(r).ok()).collect::<Vec<_>>();
        if incidents.is_empty() {
            return Ok(());
        }
        let text = serde_json::to_string(&ListMessage::Incidents { incidents })?;
        let sockets: Vec<(WebSocket, Watcher)> = sockets.into_iter().map(|ws| {
            let w = ws.deserialize_attachment::<Watcher>().ok().flatten().unwrap_or_default();
            (ws, w)
        }).collect();
        let Some(sockets) = crate::live::still_signed_in(&self.env, &db, sockets, |w| w.credential.as_ref()).await else {
            self.pending.borrow_mut().extend(ids.iter().map(|i| i.to_string()));
            return Err(worker::Error::RustError("the watchers' credentials could not be checked; kept for the next round".into()));
        };
        for (ws, _) in sockets {
            // A socket that is closing just misses it; it refetches when it reconnects.
            let _ = ws.send_with_str(&text);
        }
        Ok(())
    }
}

impl DurableObject for OrgLive {
    fn new(state: State, env: Env) -> Self {
        Self { state, env, pending: Default::default(), busy: Default::default() }
    }

    async fn fetch(&self, req: Request) -> Result<Response> {
        let url = req.url()?;
        let q = |k: &str| url.query_pairs().find(|(n, _)| n == k).map(|(_, v)| v.into_owned());
        match url.path() {
            // A watcher (the worker checked who it is; the object is its organisation's).
            "/connect" => {
                let pair = WebSocketPair::new()?;
                self.state.accept_web_socket(&pair.server);
                pair.server.serialize_attachment(&Watcher { credential: q("credential").as_deref().and_then(Credential::from_param) })?;
                Response::from_websocket(pair.client)
            }
            // Incidents of the organisation changed: everyone gets their new state.
            "/changed" => {
                let (org, ids) = (q("org").unwrap_or_default(), q("incidents").unwrap_or_default());
                let ids: Vec<&str> = ids.split(',').filter(|i| !i.is_empty()).collect();
                self.announce(&org, &ids).await;
                Response::ok("sent")
            }
            _ => Response::error("not found", 404),
        }
    }

    async fn websocket_message(&self, ws: WebSocket, message: WebSocketIncomingMessage) -> Result<()> {
        let WebSocketIncomingMessage::String(text) = message else { return Ok(()) };
        match ListClientMessage::parse(&text) {
            Some(ListClientMessage::Ping) => ws.send(&ListMessage::Pong),
            None => Ok(()),
        }
    }

    async fn websocket_close(&self, ws: WebSocket, code: usize, _reason: String, _was_clean: bool) -> Result<()> {
        let code = if (1000..=4999).contains(&code) && code != 1005 && code != 1006 { code as u16 } else { 1000 };
        let _ = ws.close(Some(code), Some("bye"));
        Ok(())
    }

    async fn websocket_error(&self, ws: WebSocket, _error: worker::Error) -> Result<()> {
        let _ = ws.close(Some(1011), Some("error"));
        Ok(())
    }
}

/// Opens a watcher's socket on its organisation's object (the caller was checked by the route;
/// `credential` is what it came with).
pub async fn connect(env: &Env, org_id: &str, credential: &Credential) -> Result<Response> {
    let stub = env.durable_object(BINDING)?.id_from_name(org_id)?.get_stub()?;
    let mut url = worker::Url::parse("https://live/connect").map_err(|e| worker::Error::RustError(e.to_string()))?;
    url.query_pairs_mut().append_pair("credential", &credential.to_param());
    let mut init = RequestInit::new();
    let headers = worker::Headers::new();
    headers.set("Upgrade", "websocket")?;
    init.with_method(Method::Get).with_headers(headers);
    stub.fetch_with_request(Request::new_with_init(url.as_str(), &init)?).await
}

/// Tells each organisation's object which of its incidents changed (`(org_id, incident_id)`
/// pairs; best effort: a watcher that missed it refetches the list when it reconnects).
pub async fn changed(env: &Env, changes: &[(String, String)]) {
    if changes.is_empty() {
        return;
    }
    let Ok(ns) = env.durable_object(BINDING) else { return };
    let mut orgs: Vec<&str> = changes.iter().map(|(o, _)| o.as_str()).collect();
    orgs.sort_unstable();
    orgs.dedup();
    for org in orgs {
        let mut ids: Vec<&str> = changes.iter().filter(|(o, _)| o == org).map(|(_, i)| i.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        let Ok(stub) = ns.id_from_name(org).and_then(|i| i.get_stub()) else { continue };
        let Ok(mut url) = worker::Url::parse("https://live/changed") else { return };
        url.query_pairs_mut().append_pair("org", org).append_pair("incidents", &ids.join(","));
        let mut init = RequestInit::new();
        init.with_method(Method::Post);
        if let Ok(req) = Request::new_with_init(url.as_str(), &init) {
            if let Err(e) = stub.fetch_with_request(req).await {
                worker::console_error!("live list: telling {org}: {e}");
            }
        }
    }
}
