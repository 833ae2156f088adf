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
/// Both questions are asked at once (one round trip before the first screen, not two).
pub async fn resolve_session() -> Session {
    let (setup, me) = both(api::setup_state(), api::me()).await;
    match setup {
        Ok(s) if s.needs_setup => return Session::NeedsSetup,
        Ok(_) => {}
        Err(e) => return Session::Unreachable(e.message),
    }
    match me {
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

/// Runs two futures concurrently and returns both outputs.
async fn both<A: std::future::Future, B: std::future::Future>(a: A, b: B) -> (A::Output, B::Output) {
    use std::task::Poll;
    let (mut a, mut b) = (std::pin::pin!(a), std::pin::pin!(b));
    let (mut ra, mut rb) = (None, None);
    std::future::poll_fn(|cx| {
        if ra.is_none() {
            if let Poll::Ready(v) = a.as_mut().poll(cx) {
                ra = Some(v);
            }
        }
        if rb.is_none() {
            if let Poll::Ready(v) = b.as_mut().poll(cx) {
                rb = Some(v);
            }
        }
        if ra.is_some() && rb.is_some() { Poll::Ready(()) } else { Poll::Pending }
    })
    .await;
    (ra.unwrap(), rb.unwrap())
}
