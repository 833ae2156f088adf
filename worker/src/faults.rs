//! Fault injection for end-to-end tests: `wrangler dev --var TOCSIN_TEST_FAULT:<name>` makes the
//! named step fail, so a test can show that what must survive a crash between two writes does.
//! Unset in every real deployment (the variable is not in wrangler.toml); a no-op then.

use std::cell::RefCell;

thread_local! {
    static FAULT: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Reads `TOCSIN_TEST_FAULT` (once per request, like the sealing key).
pub fn load(env: &worker::Env) {
    let v = env.var("TOCSIN_TEST_FAULT").ok().map(|v| v.to_string()).filter(|v| !v.is_empty());
    FAULT.with(|f| *f.borrow_mut() = v);
}

/// Whether the step `name` should fail now.
pub fn at(name: &str) -> bool {
    FAULT.with(|f| f.borrow().as_deref() == Some(name))
}
