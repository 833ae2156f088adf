//! The few lines of HTTP/1.1 the tests' local stand-ins need (the push/webhook receiver and the
//! Jira/GitHub stand-in): accept connections on 127.0.0.1, read a request (method, path,
//! lower-cased headers, a `Content-Length` body) and hand it to a handler that writes the
//! answer; one request per connection, or as many as the client sends with keep-alive. Real clients (the worker's `fetch`) talk to it; nothing here is a mock of
//! Tocsin.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// One request as it arrived.
pub struct Request {
    pub method: String,
    pub path: String,
    pub headers: HashMap<String, String>,
    pub body: Vec<u8>,
}

/// Listens on a free port of 127.0.0.1 and runs `handle` on its own thread for each request
/// (the handler writes the answer to the stream). Returns the base URL (`http://127.0.0.1:PORT`).
pub fn spawn(handle: impl Fn(Request, TcpStream) + Send + Sync + Clone + 'static) -> String {
    spawn_with(false, handle).0
}

/// As [`spawn`], and with `keep_alive` a connection stays open for the client's next request
/// once an answer is written (HTTP/1.1 keep-alive, as real push services keep theirs; the handler
/// then answers with a `Content-Length` and without `Connection: close`). Also returns the count
/// of connections accepted so far.
pub fn spawn_with(keep_alive: bool, handle: impl Fn(Request, TcpStream) + Send + Sync + Clone + 'static) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let connections = Arc::new(AtomicUsize::new(0));
    let accepted = connections.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            accepted.fetch_add(1, Ordering::Relaxed);
            let handle = handle.clone();
            std::thread::spawn(move || {
                let Ok(read_half) = stream.try_clone() else { return };
                let mut reader = BufReader::new(read_half);
                // A kept-alive connection may sit idle between messages for up to two minutes
                // (longer than a sender keeps an idle one), then it is closed.
                let idle = Duration::from_secs(if keep_alive { 120 } else { 10 });
                while let Some(req) = read_request(&stream, &mut reader, idle) {
                    let Ok(answer) = stream.try_clone() else { return };
                    handle(req, answer);
                    if !keep_alive {
                        return;
                    }
                }
            });
        }
    });
    (base, connections)
}

/// Reads one request; `None` when the peer closed or sent something unreadable (then the
/// connection is closed: with keep-alive, bytes of a request half read must not be taken for the
/// next one). `idle`: how long to wait for a request to begin (a kept-alive connection waits
/// between messages); once begun, 10 s.
fn read_request(stream: &TcpStream, reader: &mut BufReader<TcpStream>, idle: Duration) -> Option<Request> {
    let _ = stream.set_read_timeout(Some(idle));
    let mut line = String::new();
    // Empty lines before a request line are skipped (RFC 9112 §2.2).
    while line.trim().is_empty() {
        line.clear();
        if reader.read_line(&mut line).map(|n| n == 0).unwrap_or(true) {
            return None;
        }
    }
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_string();
    let path = parts.next().unwrap_or("/").to_string();
    let mut headers = HashMap::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).map(|n| n == 0).unwrap_or(true) {
            return None;
        }
        if h == "\r\n" || h == "\n" {
            break;
        }
        if let Some((k, v)) = h.trim_end().split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    // Only `Content-Length` bodies are read: anything else would leave the stream out of step.
    if headers.contains_key("transfer-encoding") {
        return None;
    }
    let len: usize = headers.get("content-length").and_then(|l| l.parse().ok()).unwrap_or(0);
    let mut body = vec![0u8; len];
    reader.read_exact(&mut body).ok()?;
    Some(Request { method, path, headers, body })
}
