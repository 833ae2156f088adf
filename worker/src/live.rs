//! The live record: one Durable Object per incident (`IncidentLive`) holds the WebSockets of
//! everyone watching it, hibernated while idle (an idle watcher costs no running object). D1 is
//! the record; the object never keeps rows of its own. Each socket carries, as its attachment,
//! the last sequence number it was sent; when told that the incident changed it reads the rows
//! after the lowest of those from D1 and sends each socket exactly the rows it has not had. A
//! socket that reconnects names the last number it saw (`?after=N`, or a `{"after":N}` message)
//! and gets the rest: no gaps, no doubles, whichever isolate wrote the rows.
//!
//! Who tells it: the delivery pump (`deliver`), for the incidents of the timeline rows it marks
//! as dispatched. Every timeline row is marked exactly once, by whichever isolate gets there,
//! so every change reaches the watchers through the same path as webhooks do. The pump only
//! calls objects whose incident is in `live_watchers`: the object adds it when a socket
//! connects (before its catch-up read, so no row falls between) and removes it when told of a
//! change with no socket left.
//!
//! A socket keeps the session or API token it was opened with (by its stored hash) and is sent
//! nothing once that no longer lets its person in: each round checks every socket's credential
//! in one D1 read first, and closes those that fail with 4401 (a logout, "log out everywhere", a
//! password change, a revoked or expired token or a deactivated person ends the watching too,
//! not only the next request).

use serde::{Deserialize, Serialize};
use tocsin_domain::api::timeline::TimelinePage;
use worker::{durable_object, DurableObject, Env, Method, Request, RequestInit, Response, Result, State, WebSocket, WebSocketIncomingMessage, WebSocketPair};

use crate::auth::Credential;
use crate::db::Db;

pub const BINDING: &str = "INCIDENT_LIVE";

/// The close code of a socket whose session or token no longer lets its person in.
pub const SIGNED_OUT: u16 = tocsin_domain::api::incidents_live::SIGNED_OUT;

/// What a socket remembers across hibernation.
#[derive(Serialize, Deserialize, Default, Clone)]
struct Seen {
    org_id: String,
    incident_id: String,
    seq: i64,
    /// What it was opened with; `None` (a socket from before this was kept) is closed at the
    /// next round, and its client reconnects with its credential.
    #[serde(default)]
    credential: Option<Credential>,
}

/// The sockets among `sockets` (with what each holds) whose credential still lets its person
/// in; the others are closed with [`SIGNED_OUT`]. `None` when D1 cannot say (logged): nothing is
/// sent unchecked, and the caller keeps what it was to send for a later round.
pub async fn still_signed_in<T>(env: &Env, db: &Db, sockets: Vec<(WebSocket, T)>, credential: impl Fn(&T) -> Option<&Credential>) -> Option<Vec<(WebSocket, T)>> {
    let creds: Vec<&Credential> = sockets.iter().filter_map(|(_, t)| credential(t)).collect();
    let idle_ms = crate::auth::session_idle_ms(env.var("SESSION_IDLE_HOURS").ok().map(|v| v.to_string()));
    let alive = match db.credentials_alive(&creds, worker::Date::now().as_millis() as i64, idle_ms).await {
        Ok(a) => a,
        Err(e) => {
            worker::console_error!("live: checking credentials: {e}");
            return None;
        }
    };
    let (keep, close): (Vec<_>, Vec<_>) = sockets.into_iter().partition(|(_, t)| credential(t).is_some_and(|c| alive.contains(c)));
    for (ws, _) in close {
        let _ = ws.close(Some(SIGNED_OUT), Some("signed out"));
    }
    Some(keep)
}

#[durable_object]
pub struct IncidentLive {
    state: State,
    env: Env,
    /// One round of sending at a time: the object's events interleave at every D1 await, and two
    /// rounds reading the same attachment would send a row twice. A request that arrives during
    /// a round asks for one more instead.
    busy: std::cell::Cell<bool>,
    again: std::cell::Cell<bool>,
}

impl IncidentLive {
    /// Brings every socket up to date, in rounds, until nothing more was asked meanwhile. With
    /// `only` (a socket that just connected), the first round is that socket's alone: the others
    /// are up to date unless someone asked meanwhile (then a full round follows), so a burst of
    /// connections costs one read each rather than one per socket already there.
    async fn sync(&self, only: Option<WebSocket>) {
        if self.busy.replace(true) {
            self.again.set(true);
            return;
        }
        let mut only = only;
        loop {
            self.again.set(false);
            let sockets = match only.take() {
                Some(ws) => vec![ws],
                None => self.state.get_websockets(),
            };
            let sockets: Vec<(WebSocket, Option<Credential>)> = sockets.into_iter().filter_map(|ws| ws.deserialize_attachment::<Seen>().ok().flatten().map(|s| (ws, s.credential))).collect();
            // When D1 cannot say, nothing is sent: each socket's attachment still names the last
            // row it had, so the next round (or its `{"after":N}`) sends the rest.
            let sockets = match self.db() {
                Ok(db) if !sockets.is_empty() => still_signed_in(&self.env, &db, sockets, Option::as_ref).await.unwrap_or_default(),
                _ => Vec::new(),
            };
            for (ws, _) in sockets {
                // Read again after the check's await: an `{"after":N}` that came meanwhile counts.
                let Ok(Some(seen)) = ws.deserialize_attachment::<Seen>() else { continue };
                if let Err(e) = self.catch_up(&ws, seen).await {
                    worker::console_error!("live: {e}");
                }
            }
            if !self.again.get() {
                break;
            }
        }
        self.busy.set(false);
    }

    /// Adds the incident to the watched ones; false when D1 refused (logged).
    async fn mark_watched(&self, incident_id: &str) -> bool {
        let now = worker::Date::now().as_millis() as i64;
        let marked = match self.db() {
            Ok(db) => db.live_watch(incident_id, now).await.map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        if let Err(e) = &marked {
            worker::console_error!("live: marking {incident_id} watched: {e}");
        }
        marked.is_ok()
    }

    /// Told of a change with no socket left: the incident stops being watched, so the pump stops
    /// calling. A socket that connected while the row was being deleted marks it again (the
    /// check after the delete sees it) and gets a round: rows the pump skipped while the row was
    /// gone are read after the mark, so none is missed.
    async fn unmark_if_unwatched(&self, incident_id: Option<String>) {
        let (Some(id), Ok(db)) = (incident_id, self.db()) else { return };
        if let Err(e) = db.live_unwatch(&id).await {
            worker::console_error!("live: unmarking {id}: {e}");
            return;
        }
        if !self.state.get_websockets().is_empty() {
            self.mark_watched(&id).await;
            self.sync(None).await;
        }
    }

    fn db(&self) -> Result<Db> {
        Ok(Db::new(self.env.d1("DB")?))
    }

    /// Sends `ws` the rows after what it has seen (in pages), and remembers the last one.
    async fn catch_up(&self, ws: &WebSocket, mut seen: Seen) -> Result<()> {
        let db = self.db()?;
        loop {
            let (rows, last_seq) = db.timeline_after(&seen.org_id, &seen.incident_id, seen.seq, 200).await.map_err(|e| worker::Error::RustError(e.to_string()))?;
            let more = rows.last().is_some_and(|r| r.seq.unwrap_or_default() < last_seq);
            if let Some(last) = rows.last().and_then(|r| r.seq) {
                seen.seq = last;
            }
            let page = TimelinePage { entries: rows.iter().map(crate::http::timeline_view).collect(), last_seq, more };
            ws.send(&Message::Timeline(page))?;
            ws.serialize_attachment(&seen)?;
            if !more {
                return Ok(());
            }
        }
    }
}

/// What the server sends: `{"type":"timeline","entries":[…],"last_seq":N,"more":false}`.
#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Message {
    Timeline(TimelinePage),
    Pong,
}

/// What a client may send: `{"after":N}` (send me what follows N) or `{"type":"ping"}`.
#[derive(Deserialize)]
struct ClientMessage {
    #[serde(default)]
    after: Option<i64>,
    #[serde(default, rename = "type")]
    kind: Option<String>,
}

impl DurableObject for IncidentLive {
    fn new(state: State, env: Env) -> Self {
        Self { state, env, busy: Default::default(), again: Default::default() }
    }

    async fn fetch(&self, req: Request) -> Result<Response> {
        let url = req.url()?;
        let q = |k: &str| url.query_pairs().find(|(n, _)| n == k).map(|(_, v)| v.into_owned());
        match url.path() {
            // A watcher (the worker checked who it is and that the incident is theirs).
            "/connect" => {
                let seen = Seen {
                    org_id: q("org").unwrap_or_default(),
                    incident_id: q("incident").unwrap_or_default(),
                    seq: q("after").and_then(|a| a.parse().ok()).unwrap_or(0),
                    credential: q("credential").as_deref().and_then(Credential::from_param),
                };
                let pair = WebSocketPair::new()?;
                self.state.accept_web_socket(&pair.server);
                pair.server.serialize_attachment(&seen)?;
                // Watched from here on: the pump tells this object of every row marked after the
                // mark, and the catch-up below (read after it) sends every row before.
                if !self.mark_watched(&seen.incident_id).await {
                    // Unmarked, nobody would tell this socket of changes: the client reconnects
                    // (with back-off) rather than show a record that silently stopped.
                    let _ = pair.server.close(Some(1011), Some("try again"));
                    return Response::from_websocket(pair.client);
                }
                self.sync(Some(pair.server.clone())).await;
                Response::from_websocket(pair.client)
            }
            // The incident changed: everyone gets what they have not seen.
            "/changed" => {
                if self.state.get_websockets().is_empty() {
                    self.unmark_if_unwatched(q("incident")).await;
                    return Response::ok("nobody watching");
                }
                self.sync(None).await;
                Response::ok("sent")
            }
            _ => Response::error("not found", 404),
        }
    }

    async fn websocket_message(&self, ws: WebSocket, message: WebSocketIncomingMessage) -> Result<()> {
        let WebSocketIncomingMessage::String(text) = message else { return Ok(()) };
        let Ok(m) = serde_json::from_str::<ClientMessage>(&text) else { return Ok(()) };
        if m.kind.as_deref() == Some("ping") {
            return ws.send(&Message::Pong);
        }
        if let (Some(after), Ok(Some(mut seen))) = (m.after, ws.deserialize_attachment::<Seen>()) {
            seen.seq = after.max(0);
            ws.serialize_attachment(&seen)?;
            self.sync(None).await;
        }
        Ok(())
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

/// Opens a watcher's socket on the incident's object (the caller was checked by the route;
/// `credential` is what it came with).
pub async fn connect(env: &Env, org_id: &str, incident_id: &str, after: i64, credential: &Credential) -> Result<Response> {
    let stub = env.durable_object(BINDING)?.id_from_name(incident_id)?.get_stub()?;
    let mut url = worker::Url::parse("https://live/connect").map_err(|e| worker::Error::RustError(e.to_string()))?;
    url.query_pairs_mut()
        .append_pair("org", org_id)
        .append_pair("incident", incident_id)
        .append_pair("after", &after.to_string())
        .append_pair("credential", &credential.to_param());
    let mut init = RequestInit::new();
    let headers = worker::Headers::new();
    headers.set("Upgrade", "websocket")?;
    init.with_method(Method::Get).with_headers(headers);
    stub.fetch_with_request(Request::new_with_init(url.as_str(), &init)?).await
}

/// Tells the objects of these incidents that their records grew (best effort: a watcher that
/// missed it catches up when it next sends `{"after":N}` or reconnects).
pub async fn changed(env: &Env, incident_ids: &[String]) {
    let Ok(ns) = env.durable_object(BINDING) else { return };
    for id in incident_ids {
        let Ok(stub) = ns.id_from_name(id).and_then(|i| i.get_stub()) else { continue };
        let mut init = RequestInit::new();
        init.with_method(Method::Post);
        let Ok(mut url) = worker::Url::parse("https://live/changed") else { return };
        url.query_pairs_mut().append_pair("incident", id);
        if let Ok(req) = Request::new_with_init(url.as_str(), &init) {
            if let Err(e) = stub.fetch_with_request(req).await {
                worker::console_error!("live: telling {id}: {e}");
            }
        }
    }
}

