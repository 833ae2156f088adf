//! Drawing a part of a screen whose code arrives on demand (a `#[lazy]` function that wasm-split
//! cuts into its own chunk): "Loading…" while the chunk is fetched the first time, the part after.

use leptos::prelude::*;

/// Draws a lazily loaded part once its code is there.
pub fn lazy_part(part: impl std::future::Future<Output = AnyView> + Send + 'static) -> AnyView {
    view! { <Suspense fallback=|| view! { <p class="muted" aria-live="polite">"Loading…"</p> }>{Suspend::new(part)}</Suspense> }.into_any()
}
