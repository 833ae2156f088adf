//! A tiny HTTP server on 127.0.0.1 playing a remote peer (an SNS certificate host, a
//! subscription-confirmation endpoint): answers GETs from a fixed table and records every path.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

pub struct Peer {
    pub base: String,
    hits: Arc<Mutex<Vec<String>>>,
}

impl Peer {
    /// Serves `routes` (path prefix → body); anything else is 404.
    pub fn start(routes: Vec<(String, String)>) -> Peer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}/", listener.local_addr().unwrap());
        let hits = Arc::new(Mutex::new(Vec::new()));
        let seen = hits.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                if reader.read_line(&mut line).is_err() {
                    continue;
                }
                let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
                loop {
                    let mut h = String::new();
                    if reader.read_line(&mut h).map(|n| n == 0).unwrap_or(true) || h == "\r\n" {
                        break;
                    }
                }
                seen.lock().unwrap().push(path.clone());
                let (status, body) = match routes.iter().find(|(p, _)| path.starts_with(p.as_str())) {
                    Some((_, b)) => ("200 OK", b.clone()),
                    None => ("404 Not Found", "not found".to_string()),
                };
                let mut s = stream;
                let _ = write!(s, "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len());
            }
        });
        Peer { base, hits }
    }

    pub fn hits(&self) -> Vec<String> {
        self.hits.lock().unwrap().clone()
    }
}
