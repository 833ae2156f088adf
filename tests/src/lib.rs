//! Test support: a real `wrangler dev` with a fresh local D1 per run, an HTTP client for the
//! API, and a small WebDriver client for headless Chromium at a phone viewport.
//!
//! `./tocsin test` builds the worker and app first and sets TOCSIN_ROOT and TOCSIN_NODE_BIN.

pub mod browser;
pub mod http;
pub mod peer;
pub mod receiver;
pub mod routes;
pub mod serve;
pub mod tickets;
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

/// Runs a suite's tests one at a time (they share one instance, but each builds its own
/// fixtures), prints the test runner's summary, shows `diagnostics` when something failed, stops
/// the instance, and exits with the suite's status.
///
/// `TOCSIN_TEST_SHUFFLE=<seed>` (or `random`) runs them in a seeded random order, printed so a
/// failing order can be replayed: no test may depend on another having run before it.
pub fn run_suite<C: Send + Sync + 'static>(ctx: C, tests: &[(&'static str, fn(&C))], diagnostics: impl FnOnce(&C)) -> ! {
    let mut args = libtest_mimic::Arguments::from_args();
    args.test_threads = Some(1);
    let ctx = std::sync::Arc::new(ctx);
    let mut order: Vec<(&'static str, fn(&C))> = tests.to_vec();
    if let Some(seed) = shuffle_seed() {
        shuffle(&mut order, seed);
        eprintln!("TOCSIN_TEST_SHUFFLE={seed}: {}", order.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", "));
    }
    let trials = order
        .into_iter()
        .map(|(name, f)| {
            let ctx = ctx.clone();
            libtest_mimic::Trial::test(name, move || {
                // How long each test took, on its own line's end (`test x ... (12.3 s) ok`):
                // where the test command's minutes go.
                let started = std::time::Instant::now();
                f(&ctx);
                print!("({:.1} s) ", started.elapsed().as_secs_f64());
                let _ = std::io::Write::flush(&mut std::io::stdout());
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

/// The seed from `TOCSIN_TEST_SHUFFLE`: a number, or `random` for one taken from the clock.
fn shuffle_seed() -> Option<u64> {
    let v = std::env::var("TOCSIN_TEST_SHUFFLE").ok().filter(|v| !v.is_empty())?;
    Some(match v.parse::<u64>() {
        Ok(n) => n,
        Err(_) => std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(1),
    })
}

/// Fisher–Yates with splitmix64: the same seed gives the same order on every machine.
fn shuffle<T>(items: &mut [T], seed: u64) {
    let mut state = seed;
    let mut next = move || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    for i in (1..items.len()).rev() {
        let j = (next() % (i as u64 + 1)) as usize;
        items.swap(i, j);
    }
}

/// A name no other test (or earlier run against the same instance) has used: fixtures are
/// made per test, so tests pass alone and in any order.
pub fn unique(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    format!("{prefix}-{}-{:x}", N.fetch_add(1, Ordering::Relaxed), nanos)
}

/// Milliseconds since the Unix epoch (the test machine's clock, which the instance shares).
pub fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64
}

/// Fires the scheduled handler with `time` as its clock, as Cloudflare's cron would.
pub fn cron(base: &str, at_ms: i64) {
    let r = Api::new(base).get(&format!("/cdn-cgi/handler/scheduled?cron=*+*+*+*+*&time={at_ms}"));
    assert!(r.status < 300, "cron trigger: {} {}", r.status, r.text);
}

/// An RFC 3339 UTC time (`…Z`) → milliseconds since the epoch, read by the system's `date`
/// (independent of the code under test).
pub fn rfc3339_ms(s: &str) -> i64 {
    let out = std::process::Command::new("date").args(["-u", "-d", s, "+%s%3N"]).output().expect("date");
    String::from_utf8(out.stdout).unwrap().trim().parse().unwrap_or_else(|_| panic!("not a time: {s}"))
}

/// Milliseconds since the epoch → RFC 3339 UTC (`…Z`, whole seconds), by the system's `date`.
pub fn ms_rfc3339(ms: i64) -> String {
    let out = std::process::Command::new("date").args(["-u", "-d", &format!("@{}", ms.div_euclid(1000)), "+%Y-%m-%dT%H:%M:%SZ"]).output().expect("date");
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// The UTC offset (`+02:00`) of `zone` at `ms`, from the system's zoneinfo (not chrono-tz).
pub fn zone_offset(zone: &str, ms: i64) -> String {
    let out = std::process::Command::new("date").env("TZ", zone).args(["-d", &format!("@{}", ms.div_euclid(1000)), "+%:z"]).output().expect("date");
    String::from_utf8(out.stdout).unwrap().trim().to_string()
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
