//! App-wide state: who is logged in (or whether Tocsin still needs its first-run setup).

use leptos::prelude::*;
use tocsin_domain::api::Me;

use crate::api::{self, ApiError};

#[derive(Clone, Debug, PartialEq)]
pub enum Session {
    Loading,
    NeedsSetup,
    LoggedOut,
    LoggedIn(Me),
    /// The server could not be reached at start.
    Unreachable(String),
}

pub fn session() -> RwSignal<Session> {
    expect_context::<RwSignal<Session>>()
}

/// Works out the session at start: first-run setup, logged in, or not.
pub async fn resolve_session() -> Session {
    match api::setup_state().await {
        Ok(s) if s.needs_setup => return Session::NeedsSetup,
        Ok(_) => {}
        Err(e) => return Session::Unreachable(e.message),
    }
    match api::me().await {
        Ok(me) => Session::LoggedIn(me),
        Err(e) if e.is_unauthenticated() => Session::LoggedOut,
        Err(e) => Session::Unreachable(e.message),
    }
}

/// A failed call: an expired session sends the user back to login; other errors are shown.
pub fn handle_error(session: RwSignal<Session>, e: &ApiError) {
    if e.is_unauthenticated() {
        session.set(Session::LoggedOut);
    }
}
