//! Test support: a real `wrangler dev` with a fresh local D1 per run, an HTTP client for the
//! API, and a small WebDriver client for headless Chromium at a phone viewport.
//!
//! `./tocsin test` builds the worker and app first and sets TOCSIN_ROOT and TOCSIN_NODE_BIN.

pub mod browser;
pub mod http;
pub mod peer;
pub mod instance;

pub use http::{Api, Reply};
pub use instance::Instance;

use std::time::{Duration, Instant};

/// Polls `f` until it returns `Some`, or panics with `what` after `timeout`.
pub fn wait_for<T>(what: &str, timeout: Duration, mut f: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        if start.elapsed() > timeout {
            panic!("timed out after {timeout:?} waiting for {what}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A free TCP port on 127.0.0.1.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}
