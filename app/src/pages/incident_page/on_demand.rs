//! The workspace's parts a responder opens on demand — every tab but the timeline, the bottom
//! sheets, the note form under the timeline and the summary's edit form — as lazy functions: wasm-split (scripts/build.sh) cuts each into a chunk
//! fetched the first time it opens, so an incident opens with its header, timeline and action
//! bar only. `crate::components::lazy_part` draws "Loading…" while a part's chunk arrives (once;
//! later opens are instant).

use leptos::lazy;
use leptos::prelude::*;

use super::{checklist, command, people, sheets, timeline, Details, SummaryForm, Ws};

#[lazy]
pub(super) fn incident_checklist_tab(ws: Ws) -> AnyView {
    view! { <checklist::ChecklistTab ws=ws/> }.into_any()
}

#[lazy]
pub(super) fn incident_responders_tab(ws: Ws) -> AnyView {
    view! { <people::RespondersTab ws=ws/> }.into_any()
}

#[lazy]
pub(super) fn incident_roles_tab(ws: Ws) -> AnyView {
    view! { <people::RolesTab ws=ws/> }.into_any()
}

#[lazy]
pub(super) fn incident_details_tab(ws: Ws) -> AnyView {
    view! { <Details ws=ws/> }.into_any()
}

#[lazy]
pub(super) fn incident_add_responders_sheet(ws: Ws) -> AnyView {
    view! { <sheets::AddRespondersSheet ws=ws/> }.into_any()
}

#[lazy]
pub(super) fn incident_post_update_sheet(ws: Ws) -> AnyView {
    view! { <sheets::PostUpdateSheet ws=ws/> }.into_any()
}

#[lazy]
pub(super) fn incident_links_sheet(ws: Ws) -> AnyView {
    view! { <command::LinksSheet ws=ws/> }.into_any()
}

#[lazy]
pub(super) fn incident_note_form(ws: Ws) -> AnyView {
    view! { <timeline::NoteForm ws=ws/> }.into_any()
}

#[lazy]
pub(super) fn incident_summary_form(ws: Ws, editing: RwSignal<bool>) -> AnyView {
    view! { <SummaryForm ws=ws editing=editing/> }.into_any()
}
