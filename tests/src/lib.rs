//! Test support: a real `wrangler dev` with a fresh local D1 per run, an HTTP client for the
//! API, and a small WebDriver client for headless Chromium at a phone viewport.
//!
//! `./tocsin test` builds the worker and app first and sets TOCSIN_ROOT and TOCSIN_NODE_BIN.

pub mod browser;
pub mod http;
pub mod peer;
pub mod receiver;
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

/// Runs a suite's tests in order (one at a time: they share one instance), prints the test
/// runner's summary, shows `diagnostics` when something failed, stops the instance, and exits
/// with the suite's status.
pub fn run_suite<C: Send + Sync + 'static>(ctx: C, tests: &[(&'static str, fn(&C))], diagnostics: impl FnOnce(&C)) -> ! {
    let mut args = libtest_mimic::Arguments::from_args();
    args.test_threads = Some(1);
    let ctx = std::sync::Arc::new(ctx);
    let trials = tests
        .iter()
        .map(|&(name, f)| {
            let ctx = ctx.clone();
            libtest_mimic::Trial::test(name, move || {
                f(&ctx);
                Ok(())
            })
        })
        .collect();
    let conclusion = libtest_mimic::run(&args, trials);
    if conclusion.has_failed() {
        diagnostics(&ctx);
    }
    drop(ctx);
    conclusion.exit()
}

impl Api {
    /// First-run setup on a fresh instance; the returned client is logged in as the admin.
    pub fn setup(base: &str, organization: &str, email: &str, password: &str, name: &str) -> Api {
        let api = Api::new(base);
        let r = api.post("/api/setup", serde_json::json!({"organization": organization, "email": email, "password": password, "name": name}));
        assert_eq!(r.status, 201, "setup: {}", r.text);
        api
    }
}
