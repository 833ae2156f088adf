//! The workspace's parts a responder opens on demand — every tab but the timeline, and the
//! bottom sheets — as lazy functions: wasm-split (scripts/build.sh) cuts each into a chunk
//! fetched the first time it opens, so an incident opens with its header, timeline and action
//! bar only. `show` draws "Loading…" while a part's chunk arrives (once; later opens are instant).

use leptos::lazy;
use leptos::prelude::*;
use tocsin_domain::api::IncidentNotifications;

use super::{checklist, command, people, sheets, Details, Ws};

/// Draws a lazily loaded part once its code is there.
pub(super) fn show(part: impl std::future::Future<Output = AnyView> + Send + 'static) -> AnyView {
    view! { <Suspense fallback=|| view! { <p class="muted" aria-live="polite">"Loading…"</p> }>{Suspend::new(part)}</Suspense> }.into_any()
}

#[lazy]
pub(super) fn checklist_tab(ws: Ws) -> AnyView {
    view! { <checklist::ChecklistTab ws=ws/> }.into_any()
}

#[lazy]
pub(super) fn responders_tab(ws: Ws) -> AnyView {
    view! { <people::RespondersTab ws=ws/> }.into_any()
}

#[lazy]
pub(super) fn roles_tab(ws: Ws) -> AnyView {
    view! { <people::RolesTab ws=ws/> }.into_any()
}

#[lazy]
pub(super) fn details_tab(ws: Ws, escalation: RwSignal<Option<IncidentNotifications>>) -> AnyView {
    view! { <Details ws=ws escalation=escalation/> }.into_any()
}

#[lazy]
pub(super) fn add_responders_sheet(ws: Ws) -> AnyView {
    view! { <sheets::AddRespondersSheet ws=ws/> }.into_any()
}

#[lazy]
pub(super) fn post_update_sheet(ws: Ws) -> AnyView {
    view! { <sheets::PostUpdateSheet ws=ws/> }.into_any()
}

#[lazy]
pub(super) fn links_sheet(ws: Ws) -> AnyView {
    view! { <command::LinksSheet ws=ws/> }.into_any()
}
