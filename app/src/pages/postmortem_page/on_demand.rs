//! The postmortem's writing surface as a part loaded on demand: the section editors (Markdown,
//! preview, autosave, conflicts, hints), their review comments, the customer-facing text and the
//! action items. wasm-split (scripts/build.sh) cuts it into a chunk of its own, so the screen
//! draws its head and the record's key times first and the editors arrive right after.

use leptos::lazy;
use leptos::prelude::*;
use tocsin_domain::api::postmortems::{Postmortem, PostmortemSection};

use super::editor::{Editor, Target};
use super::review::Comments;

/// What the writing surface needs from the page.
#[derive(Clone)]
pub(super) struct Body {
    pub incident_id: String,
    /// The sections as first read: the editors are made once and keep their own state.
    pub sections: Vec<PostmortemSection>,
    pub pm: RwSignal<Option<Postmortem>>,
    pub editable: Signal<bool>,
    pub suggested: Signal<String>,
    pub reload: Callback<()>,
}

#[lazy]
pub(super) fn postmortem_body(b: Body) -> AnyView {
    let Body { incident_id, sections, pm, editable, suggested, reload } = b;
    let iid = StoredValue::new(incident_id);
    let p = pm.get_untracked().expect("the body is drawn once the postmortem is loaded");
    let hints = p.hints.clone();
    let editors = sections
        .into_iter()
        .map(|s| {
            let own: Vec<_> = hints.iter().filter(|h| h.section == s.key).cloned().collect();
            let timeline = (s.key == "timeline").then_some(suggested);
            view! {
                <Editor incident_id=iid.get_value() target=Target::Section(s.key.clone()) title=s.title.clone() prompt=s.prompt.clone()
                    body=s.body.clone() version=s.version hints=own editable=editable suggested=timeline>
                    <Comments incident_id=iid.get_value() section=s.key.clone() pm=pm reload=reload/>
                </Editor>
            }
        })
        .collect_view();
    let public_hints: Vec<_> = hints.iter().filter(|h| h.section == "public").cloned().collect();
    view! {
        {editors}
        <Editor incident_id=iid.get_value() target=Target::Public title="Customer-facing summary (status page)".to_string()
            prompt="What customers read on the status page once published: what they saw, when, and what we changed. Nothing internal.".to_string()
            body=p.public_text.clone() version=p.public_version hints=public_hints editable=editable/>
        <crate::components::action_items::ActionItemsPanel incident_id=iid.get_value() postmortem_id=p.id.clone()/>
    }
    .into_any()
}
