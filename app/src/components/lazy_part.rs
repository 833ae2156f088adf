//! Drawing a part of a screen whose code arrives on demand (a `#[lazy]` function that wasm-split
//! cuts into its own chunk): "Loading…" while the chunk is fetched the first time, the part after.
//!
//! A part's first load waits for the screen around it to be painted and the browser to have a
//! moment with nothing to do: its chunk's fetch and instantiation then come after what the
//! responder came to see (an incident's timeline, say), not before it. Once a part has been drawn its code is there, and it draws at once again.

use std::any::TypeId;
use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;

use leptos::prelude::*;

use super::turns::after_paint;

thread_local! {
    /// The parts drawn before (by their future's type: one per `#[lazy]` function; a handful).
    static DRAWN: RefCell<Vec<TypeId>> = const { RefCell::new(Vec::new()) };
}

/// Draws a lazily loaded part once its code is there.
pub fn lazy_part<F: Future<Output = AnyView> + Send + 'static>(part: F) -> AnyView {
    draw(TypeId::of::<F>(), Box::pin(part))
}

/// The one copy of the drawing (`lazy_part` is generic only to name the part).
#[inline(never)]
fn draw(key: TypeId, part: Pin<Box<dyn Future<Output = AnyView> + Send>>) -> AnyView {
    let painted = if DRAWN.with(|d| d.borrow().contains(&key)) { None } else { Some(after_paint()) };
    let part = async move {
        if let Some(painted) = painted {
            let _ = painted.await;
        }
        let view = part.await;
        DRAWN.with(|d| {
            let mut d = d.borrow_mut();
            if !d.contains(&key) {
                d.push(key);
            }
        });
        view
    };
    view! { <Suspense fallback=|| view! { <p class="muted" aria-live="polite">"Loading…"</p> }>{Suspend::new(part)}</Suspense> }.into_any()
}
