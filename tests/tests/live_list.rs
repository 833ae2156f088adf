//! The incidents list, live (`GET /api/incidents/live`), against a real `wrangler dev`: a
//! WebSocket client (tungstenite) hears each incident of the organisation that is opened or
//! changes in a way the list shows, whoever made the change (a monitoring tool, a person);
//! refusals happen before the upgrade; client frames other than a ping are ignored; a watcher
//! whose session or token ended is closed (4401) and sent nothing more.

use serde_json::{json, Value};
use std::sync::OnceLock;
use std::time::{Duration, Instant};
use tocsin_tests::{Api, Instance};

type Socket = tungstenite::WebSocket<std::net::TcpStream>;

struct Ctx {
    inst: Instance,
    admin: OnceLock<Api>,
}

impl Ctx {
    fn admin(&self) -> &Api {
        self.admin.get_or_init(|| Api::setup(&self.inst.base, "Acme", "ana@example.com", "correct horse battery", "Ana Admin"))
    }

    fn user(&self, role: &str) -> Api {
        let email = format!("{}@example.com", tocsin_tests::unique(role));
        let r = self.admin().post("/api/users", json!({"email": email, "name": role, "role": role, "password": "a long enough pw"}));
        assert_eq!(r.status, 201, "{}", r.text);
        let api = Api::new(&self.inst.base);
        assert_eq!(api.post("/api/auth/login", json!({"email": email, "password": "a long enough pw"})).status, 200);
        api
    }

    fn integration_key(&self) -> String {
        let r = self.admin().post("/api/services", json!({"name": tocsin_tests::unique("Live list")}));
        assert_eq!(r.status, 201, "{}", r.text);
        r.json["integration_key"].as_str().unwrap().to_string()
    }

    fn hook(&self, key: &str, body: Value) -> Value {
        let r = Api::new(&self.inst.base).post(&format!("/webhooks/generic/{key}"), body);
        assert_eq!(r.status, 202, "{}", r.text);
        r.json
    }

    /// Opens the live list with these request headers; the refusal's status otherwise.
    fn watch(&self, headers: &[(&'static str, String)]) -> Result<Socket, u16> {
        let url = format!("{}/api/incidents/live", self.inst.base.replace("http://", "ws://"));
        let mut req = tungstenite::client::IntoClientRequest::into_client_request(url.as_str()).unwrap();
        for (name, value) in headers {
            req.headers_mut().insert(*name, value.parse().unwrap());
        }
        let stream = std::net::TcpStream::connect(self.inst.base.trim_start_matches("http://")).unwrap();
        stream.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
        match tungstenite::client::client(req, stream) {
            Ok((ws, resp)) => {
                assert_eq!(resp.status().as_u16(), 101);
                Ok(ws)
            }
            Err(tungstenite::HandshakeError::Failure(tungstenite::Error::Http(resp))) => Err(resp.status().as_u16()),
            Err(e) => panic!("WebSocket handshake: {e}"),
        }
    }
}

/// The next message the socket receives before `deadline` (a text frame, parsed).
fn next_message(ws: &mut Socket, deadline: Instant) -> Option<Value> {
    while Instant::now() < deadline {
        match ws.read() {
            Ok(tungstenite::Message::Text(t)) => return Some(serde_json::from_str(&t).unwrap()),
            Ok(_) => {}
            Err(tungstenite::Error::Io(e)) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {}
            Err(e) => panic!("the live list closed: {e}"),
        }
    }
    None
}

/// Every message the socket receives within `within`.
fn messages(ws: &mut Socket, within: Duration) -> Vec<Value> {
    let end = Instant::now() + within;
    std::iter::from_fn(|| next_message(ws, end)).collect()
}

/// Reads until a message tells of incident `id` and returns that incident as sent (panics after
/// 15 s); messages about other incidents are passed over.
fn next_about(ws: &mut Socket, id: &str) -> Value {
    let end = Instant::now() + Duration::from_secs(15);
    while let Some(m) = next_message(ws, end) {
        assert_eq!(m["type"], "incidents", "{m}");
        if let Some(i) = m["incidents"].as_array().unwrap().iter().find(|i| i["id"] == id) {
            return i.clone();
        }
    }
    panic!("no message about incident {id} within 15 s");
}

fn a_new_incident_reaches_every_list_watcher(c: &Ctx) {
    let key = c.integration_key();
    let cookie = c.admin().cookie().unwrap();
    // Watchers: the admin's session, an observer's session, a responder's API token.
    let mut admin = c.watch(&[("Cookie", cookie)]).expect("the admin watches");
    let mut observer = c.watch(&[("Cookie", c.user("observer").cookie().unwrap())]).expect("observers may watch");
    let token = c.user("responder").post("/api/tokens", json!({"name": "list"}));
    assert_eq!(token.status, 201, "{}", token.text);
    let bearer = format!("Bearer {}", token.json["secret"].as_str().expect("the token's secret"));
    let mut scripted = c.watch(&[("Authorization", bearer)]).expect("API tokens may watch");
    // A monitoring tool opens an incident: every watcher hears of it, as the list shows it.
    let summary = tocsin_tests::unique("Checkout 500s");
    let opened = c.hook(&key, json!({"summary": summary, "severity": "critical", "dedup_key": "list"}));
    let id = opened["incident_id"].as_str().unwrap().to_string();
    for ws in [&mut admin, &mut observer, &mut scripted] {
        let i = next_about(ws, &id);
        assert_eq!((i["title"].as_str(), i["status"].as_str(), i["severity"].as_str()), (Some(summary.as_str()), Some("triggered"), Some("SEV1")), "{i}");
        assert_eq!(i, c.admin().get(&format!("/api/incidents/{id}")).json["incident"], "the list's own summary");
    }
    // A person acknowledges: the new status arrives.
    assert_eq!(c.admin().post(&format!("/api/incidents/{id}/acknowledge"), json!({})).status, 200);
    assert_eq!(next_about(&mut observer, &id)["status"], "acknowledged");
    // A note is not the list's business; the resolve that follows is the next thing heard.
    assert_eq!(c.admin().post(&format!("/api/incidents/{id}/notes"), json!({"body": "Rolling back"})).status, 201);
    c.hook(&key, json!({"summary": summary, "dedup_key": "list", "status": "resolved"}));
    assert_eq!(next_about(&mut observer, &id)["status"], "resolved", "nothing in between (the note sent nothing)");
    for ws in [&mut admin, &mut scripted] {
        assert_eq!(next_about(ws, &id)["status"], "acknowledged");
        assert_eq!(next_about(ws, &id)["status"], "resolved");
    }
    // A title edit (another change the list shows) arrives too.
    let r = c.admin().patch(&format!("/api/incidents/{id}"), json!({"title": "Checkout 500s after deploy 142"}));
    assert_eq!(r.status, 200, "{}", r.text);
    for ws in [&mut admin, &mut observer, &mut scripted] {
        let heard = until_about(ws, &id, |i| i["title"] != summary.as_str());
        assert_eq!((heard["title"].as_str(), heard["status"].as_str()), (Some("Checkout 500s after deploy 142"), Some("resolved")));
    }
}

/// Reads what the socket hears of incident `id` until `done` holds for it; what came before
/// may only repeat the state already seen (one change can be announced in two rounds).
fn until_about(ws: &mut Socket, id: &str, done: impl Fn(&Value) -> bool) -> Value {
    let mut before: Option<Value> = None;
    loop {
        let i = next_about(ws, id);
        if done(&i) {
            return i;
        }
        if let Some(b) = &before {
            assert_eq!(b, &i, "only repeats of the state already seen come before the change");
        }
        before = Some(i);
    }
}

fn only_a_ping_is_answered_and_refusals_come_before_the_upgrade(c: &Ctx) {
    let cookie = c.admin().cookie().unwrap();
    let mut ws = c.watch(&[("Cookie", cookie.clone())]).unwrap();
    // Frames that are not a documented message are ignored: no answer, the socket stays open.
    for frame in [json!({"after": 0}).to_string(), "hello".into(), json!({"type": "incidents", "incidents": []}).to_string()] {
        ws.send(tungstenite::Message::Text(frame.clone())).unwrap();
        let got = messages(&mut ws, Duration::from_millis(700));
        assert!(got.iter().all(|m| m["type"] == "incidents"), "{frame} was answered: {got:?}");
        assert!(!got.iter().any(|m| m["type"] == "pong"), "{frame}: {got:?}");
    }
    ws.send(tungstenite::Message::Text(json!({"type": "ping"}).to_string())).unwrap();
    let end = Instant::now() + Duration::from_secs(10);
    let mut pong = false;
    while !pong && Instant::now() < end {
        pong = messages(&mut ws, Duration::from_millis(200)).iter().any(|m| m["type"] == "pong");
    }
    assert!(pong, "a ping is answered with a pong");
    // Refused before the upgrade: no credentials, a revoked session; no upgrade; other methods.
    assert_eq!(c.watch(&[]).err(), Some(401));
    assert_eq!(c.watch(&[("Authorization", "Bearer not-a-token".into())]).err(), Some(401));
    let gone = c.user("responder");
    let gone_cookie = gone.cookie().unwrap();
    assert_eq!(gone.post("/api/auth/logout", json!({})).status, 204);
    assert_eq!(c.watch(&[("Cookie", gone_cookie)]).err(), Some(401), "a session that logged out");
    // A page of another origin (a sibling subdomain too) cannot ride the cookie (cross-site
    // WebSocket hijacking); the app's own origin and token clients can.
    for evil in ["http://evil.example", "http://status.127.0.0.1.nip.io"] {
        assert_eq!(c.watch(&[("Cookie", cookie.clone()), ("Origin", evil.into())]).err(), Some(403), "{evil}");
    }
    let own = c.inst.base.clone();
    assert!(c.watch(&[("Cookie", cookie.clone()), ("Origin", own)]).is_ok(), "the app's own origin");
    let token = c.admin().post("/api/tokens", json!({"name": "ws origin", "role": "observer"}));
    let bearer = format!("Bearer {}", token.json["secret"].as_str().unwrap());
    assert!(c.watch(&[("Authorization", bearer), ("Origin", "http://evil.example".into())]).is_ok(), "tokens are not cookies");
    let incident = c.hook(&c.integration_key(), json!({"summary": "origin check", "severity": "info"}));
    let one = format!("{}/api/incidents/{}/live", c.inst.base.replace("http://", "ws://"), incident["incident_id"].as_str().unwrap());
    let mut req = tungstenite::client::IntoClientRequest::into_client_request(one.as_str()).unwrap();
    req.headers_mut().insert("Cookie", cookie.parse().unwrap());
    req.headers_mut().insert("Origin", "http://evil.example".parse().unwrap());
    let stream = std::net::TcpStream::connect(c.inst.base.trim_start_matches("http://")).unwrap();
    match tungstenite::client::client(req, stream) {
        Err(tungstenite::HandshakeError::Failure(tungstenite::Error::Http(resp))) => assert_eq!(resp.status().as_u16(), 403),
        other => panic!("the incident's live record must refuse another origin too: {:?}", other.map(|(_, r)| r.status())),
    }
    let plain = c.admin().get("/api/incidents/live");
    assert_eq!((plain.status, plain.field()), (400, "Upgrade"), "{}", plain.text);
    for method in ["POST", "PATCH", "DELETE"] {
        let r = c.admin().send(method, "/api/incidents/live", Some(b"{}".to_vec()), &[]);
        assert_eq!(r.status, 405, "{method}: {}", r.text);
    }
}

/// Waits for the socket to be closed as signed out (4401), failing if incident `after` (opened
/// once the credential ended) is announced to it first. Other announcements may still be in
/// flight from before (one change can be announced in two rounds) and are passed over.
fn closed_as_signed_out(ws: &mut Socket, after: &str, who: &str) {
    let end = Instant::now() + Duration::from_secs(15);
    while Instant::now() < end {
        match ws.read() {
            Ok(tungstenite::Message::Text(t)) => assert!(!t.contains(after), "{who}: told of an incident opened after the credential ended: {t}"),
            Ok(tungstenite::Message::Close(frame)) => {
                assert_eq!(frame.map(|f| u16::from(f.code)), Some(4401), "{who}: closed as signed out");
                return;
            }
            Ok(_) => {}
            Err(tungstenite::Error::Io(e)) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {}
            Err(e) => panic!("{who}: the socket ended without a close frame: {e}"),
        }
    }
    panic!("{who}: still open 15 s after the credential ended");
}

/// A socket is sent nothing once the session or token it was opened with no longer lets its
/// person in: a logout, a revoked token, a deactivated person. Who is still signed in hears on.
fn a_watcher_signed_out_hears_nothing_more(c: &Ctx) {
    let key = c.integration_key();
    let stays = c.user("observer");
    let mut staying = c.watch(&[("Cookie", stays.cookie().unwrap())]).unwrap();
    let leaves = c.user("responder");
    let mut logged_out = c.watch(&[("Cookie", leaves.cookie().unwrap())]).unwrap();
    let owner = c.user("responder");
    let token = owner.post("/api/tokens", json!({"name": "revoked soon"}));
    assert_eq!(token.status, 201, "{}", token.text);
    let mut revoked = c.watch(&[("Authorization", format!("Bearer {}", token.json["secret"].as_str().unwrap()))]).unwrap();
    let fired = c.user("responder");
    let fired_id = fired.get("/api/me").json["user"]["id"].as_str().unwrap().to_string();
    let mut deactivated = c.watch(&[("Cookie", fired.cookie().unwrap())]).unwrap();
    // Each still hears an incident opened now (all four credentials are good).
    let first = c.hook(&key, json!({"summary": tocsin_tests::unique("Before"), "severity": "warning"}));
    for ws in [&mut staying, &mut logged_out, &mut revoked, &mut deactivated] {
        next_about(ws, first["incident_id"].as_str().unwrap());
    }
    assert_eq!(leaves.post("/api/auth/logout", json!({})).status, 204);
    assert_eq!(owner.send("DELETE", &format!("/api/tokens/{}", token.json["id"].as_str().unwrap()), None, &[]).status, 204);
    let r = c.admin().post(&format!("/api/users/{fired_id}/deactivate"), json!({}));
    assert_eq!(r.status, 200, "{}", r.text);
    let after = c.hook(&key, json!({"summary": tocsin_tests::unique("After"), "severity": "critical"}));
    let after = after["incident_id"].as_str().unwrap();
    next_about(&mut staying, after);
    closed_as_signed_out(&mut logged_out, after, "a session that logged out");
    closed_as_signed_out(&mut revoked, after, "a revoked API token");
    closed_as_signed_out(&mut deactivated, after, "a deactivated person's session");
}

type Test = fn(&Ctx);

fn main() {
    let tests: &[(&str, Test)] = &[
        ("a_new_incident_reaches_every_list_watcher", a_new_incident_reaches_every_list_watcher),
        ("only_a_ping_is_answered_and_refusals_come_before_the_upgrade", only_a_ping_is_answered_and_refusals_come_before_the_upgrade),
        ("a_watcher_signed_out_hears_nothing_more", a_watcher_signed_out_hears_nothing_more),
    ];
    let ctx = Ctx { inst: Instance::start("live_list"), admin: OnceLock::new() };
    tocsin_tests::run_suite(ctx, tests, |c| eprintln!("--- wrangler log ---\n{}", c.inst.log()))
}
