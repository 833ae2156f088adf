//! A recording HTTP receiver on 127.0.0.1 playing a push service (RFC 8030) or a webhook
//! receiver (Slack, Teams, a generic endpoint): it keeps every request with its headers, body
//! and arrival time, and answers as scripted per path prefix — a status, extra response headers
//! (`Retry-After`) and a delay (a slow push service, or one that never answers in time) —
//! otherwise 201 at once.
//!
//! [`TestSubscription`] is what a browser holds for one push subscription: a real P-256 key
//! pair and auth secret, so a test can decrypt what Tocsin sent (RFC 8291) like the browser would.

use std::collections::{HashMap, VecDeque};
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Value};

#[derive(Debug, Clone)]
pub struct Received {
    pub method: String,
    pub path: String,
    /// Header names in lower case.
    pub headers: HashMap<String, String>,
    pub body: Vec<u8>,
    pub at: Instant,
    pub wall: SystemTime,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(&name.to_ascii_lowercase()).map(String::as_str)
    }
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

/// One scripted answer: a status, extra response headers, and how long to wait before answering
/// (on top of [`Receiver::slow_down`]).
#[derive(Debug, Clone)]
pub struct Scripted {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub delay: Duration,
}

impl Scripted {
    /// `status` at once, with no extra headers.
    pub fn status(status: u16) -> Scripted {
        Scripted { status, headers: Vec::new(), delay: Duration::ZERO }
    }

    /// With a response header (`Retry-After`, …).
    pub fn header(mut self, name: &str, value: &str) -> Scripted {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    /// Answered only after `delay` (the request itself is recorded when it arrives).
    pub fn after(mut self, delay: Duration) -> Scripted {
        self.delay = delay;
        self
    }
}

#[derive(Default)]
struct State {
    received: Vec<Received>,
    /// Path prefix → answers to give, in order (then 201).
    script: Vec<(String, VecDeque<Scripted>)>,
    /// How long to wait before answering every request (a slow push service).
    delay: Duration,
}

pub struct Receiver {
    pub base: String,
    state: Arc<Mutex<State>>,
    connections: Arc<std::sync::atomic::AtomicUsize>,
    keep_alive: bool,
}

impl Receiver {
    pub fn start() -> Receiver {
        Self::listen(false)
    }

    /// The benches' push service: connections kept open unless `TOCSIN_RX_CLOSE=1` asks for one
    /// per message (see [`Receiver::connection_policy`]).
    pub fn for_bench() -> Receiver {
        Self::listen(std::env::var("TOCSIN_RX_CLOSE").map_or(true, |v| v != "1"))
    }

    /// Whether it keeps connections open, as a line for a bench's table.
    pub fn connection_policy(&self) -> String {
        let how = if self.keep_alive { "keeps connections open" } else { "closes each connection (TOCSIN_RX_CLOSE=1)" };
        format!("{how} ({} connections in all)", self.connections())
    }

    fn listen(keep_alive: bool) -> Receiver {
        let state = Arc::new(Mutex::new(State::default()));
        let st = state.clone();
        let close = if keep_alive { "" } else { "Connection: close\r\n" };
        let handle = move |req: crate::serve::Request, stream: std::net::TcpStream| {
            let crate::serve::Request { method, path, headers, body } = req;
            let (answer, delay) = {
                let mut s = st.lock().unwrap();
                let delay = s.delay;
                s.received.push(Received { method, path: path.clone(), headers, body, at: Instant::now(), wall: SystemTime::now() });
                let answer = s
                    .script
                    .iter_mut()
                    .find(|(p, q)| path.starts_with(p.as_str()) && !q.is_empty())
                    .and_then(|(_, q)| q.pop_front())
                    .unwrap_or_else(|| Scripted::status(201));
                (answer, delay)
            };
            std::thread::sleep(delay + answer.delay);
            let extra: String = answer.headers.iter().map(|(k, v)| format!("{k}: {v}\r\n")).collect();
            let mut s = stream;
            let _ = write!(s, "HTTP/1.1 {} Scripted\r\n{extra}Content-Length: 0\r\n{close}\r\n", answer.status);
        };
        let (base, connections) = crate::serve::spawn_with(keep_alive, handle);
        Receiver { base, state, connections, keep_alive }
    }

    /// Connections accepted so far (with keep-alive, fewer than the requests received).
    pub fn connections(&self) -> usize {
        self.connections.load(std::sync::atomic::Ordering::Relaxed)
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The next requests to paths starting with `prefix` are answered with `statuses`, in order.
    pub fn answer(&self, prefix: &str, statuses: &[u16]) {
        self.answer_with(prefix, &statuses.iter().map(|s| Scripted::status(*s)).collect::<Vec<_>>());
    }

    /// The next requests to paths starting with `prefix` get `answers` (status, headers, delay),
    /// in order; then 201 at once.
    pub fn answer_with(&self, prefix: &str, answers: &[Scripted]) {
        self.state.lock().unwrap().script.push((prefix.to_string(), answers.iter().cloned().collect()));
    }

    /// Answers every request only after `delay` from now on.
    pub fn slow_down(&self, delay: Duration) {
        self.state.lock().unwrap().delay = delay;
    }

    pub fn received(&self, prefix: &str) -> Vec<Received> {
        self.state.lock().unwrap().received.iter().filter(|r| r.path.starts_with(prefix)).cloned().collect()
    }

    /// Waits until at least `n` requests to `prefix` have arrived; returns them all.
    pub fn wait_for(&self, prefix: &str, n: usize, timeout: Duration) -> Vec<Received> {
        crate::wait_for(&format!("{n} request(s) to {prefix}"), timeout, || {
            let r = self.received(prefix);
            (r.len() >= n).then_some(r)
        })
    }
}

fn urandom<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    use std::io::Read as _;
    std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut b)).expect("/dev/urandom");
    b
}

/// One browser push subscription: endpoint on the receiver, with its own keys.
pub struct TestSubscription {
    pub endpoint: String,
    pub path: String,
    private: [u8; 32],
    pub p256dh: String,
    pub auth: [u8; 16],
}

impl TestSubscription {
    pub fn new(receiver: &Receiver, name: &str) -> TestSubscription {
        let (private, public) = loop {
            let k: [u8; 32] = urandom();
            if let Ok(p) = tocsin_domain::webpush::public_key_of(&k) {
                break (k, p);
            }
        };
        let path = format!("/push/{name}-{}", URL_SAFE_NO_PAD.encode(urandom::<6>()));
        TestSubscription { endpoint: receiver.url(&path), path, private, p256dh: URL_SAFE_NO_PAD.encode(public), auth: urandom() }
    }

    /// The subscription's private key (what only the browser has).
    pub fn private_key(&self) -> &[u8] {
        &self.private
    }

    /// The JSON `PushSubscription.toJSON()` gives, as the app posts it.
    pub fn json(&self, device: &str) -> Value {
        json!({"endpoint": self.endpoint, "expirationTime": null, "keys": {"p256dh": self.p256dh, "auth": URL_SAFE_NO_PAD.encode(self.auth)}, "device": device})
    }

    /// What the browser does with a push message: decrypt (RFC 8291) and parse the JSON.
    pub fn decrypt(&self, r: &Received) -> Value {
        assert_eq!(r.header("content-encoding"), Some("aes128gcm"), "push message content coding");
        let plain = tocsin_domain::webpush::decrypt(&r.body, &self.private, &self.auth).expect("the push message decrypts with the subscription's keys");
        serde_json::from_slice(&plain).expect("the push payload is JSON")
    }
}

/// Checks a push request's VAPID header (RFC 8292) against the organisation's public key:
/// `vapid t=<JWT>, k=<key>`, ES256 signature valid, `aud` the push service's origin, `exp`
/// within 24 hours, `sub` a mailto: or https: contact. Returns the claims.
pub fn check_vapid(r: &Received, vapid_public: &str, audience: &str) -> Value {
    use p256::ecdsa::signature::Verifier;
    let h = r.header("authorization").expect("Authorization header on the push request");
    let rest = h.strip_prefix("vapid t=").unwrap_or_else(|| panic!("not a vapid Authorization: {h}"));
    let (jwt, k) = rest.split_once(", k=").expect("t= and k=");
    assert_eq!(k, vapid_public, "k= is the organisation's VAPID public key");
    let parts: Vec<&str> = jwt.split('.').collect();
    assert_eq!(parts.len(), 3, "a JWT has three parts");
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
    assert_eq!(header["alg"], "ES256");
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    assert_eq!(claims["aud"], audience);
    let exp = claims["exp"].as_i64().unwrap();
    let now = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs() as i64;
    assert!(exp > now && exp <= now + 24 * 3600, "exp {exp} must be in the next 24 h (now {now})");
    let sub = claims["sub"].as_str().unwrap();
    assert!(sub.starts_with("mailto:") || sub.starts_with("https:"), "sub {sub}");
    let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(&URL_SAFE_NO_PAD.decode(vapid_public).unwrap()).unwrap();
    let sig = p256::ecdsa::Signature::from_slice(&URL_SAFE_NO_PAD.decode(parts[2]).unwrap()).unwrap();
    key.verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &sig).expect("the VAPID JWT's signature verifies with the public key");
    claims
}
