//! Review comments on a section: the list (open ones first, each with who and when, resolvable)
//! and a one-line form to add one.

use leptos::prelude::*;
use leptos::task::spawn_local;
use tocsin_domain::api::postmortems::{NewComment, Postmortem, PostmortemComment};

use crate::api;
use crate::components::clock;

#[component]
pub fn Comments(incident_id: String, section: String, pm: RwSignal<Option<Postmortem>>, reload: Callback<()>) -> impl IntoView {
    let text = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let error: RwSignal<Option<String>> = RwSignal::new(None);
    let (iid, key) = (StoredValue::new(incident_id), StoredValue::new(section.clone()));
    let list = move || {
        let mut c: Vec<PostmortemComment> = pm.with(|p| p.as_ref().map(|p| p.comments.iter().filter(|c| c.section == key.get_value()).cloned().collect()).unwrap_or_default());
        c.sort_by_key(|c| c.resolved);
        c
    };
    let can_edit = move || pm.with(|p| p.as_ref().is_some_and(|p| p.can_edit));
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = NewComment { section: key.get_value(), body: text.get_untracked().trim().to_string() };
        busy.set(true);
        spawn_local(async move {
            match api::pm_comment(&iid.get_value(), &body).await {
                Ok(_) => {
                    text.set(String::new());
                    error.set(None);
                    reload.run(());
                }
                Err(e) => error.set(Some(e.message)),
            }
            busy.set(false);
        });
    };
    let resolve = move |id: String, resolved: bool| {
        spawn_local(async move {
            match api::pm_resolve_comment(&iid.get_value(), &id, resolved).await {
                Ok(_) => reload.run(()),
                Err(e) => error.set(Some(e.message)),
            }
        });
    };
    let input_id = format!("pm-comment-{section}");
    view! {
        <div class="pm-comments">
            <ul class="pm-comment-list" aria-label="Review comments">
                {move || list().into_iter().map(|c| {
                    let id = c.id.clone();
                    let resolved = c.resolved;
                    view! {
                        <li class=if resolved { "pm-comment resolved" } else { "pm-comment" }>
                            <p class="card-meta">{format!("{} · {}{}", c.author.name, clock(c.at), if resolved { " · resolved" } else { "" })}</p>
                            <p>{c.body.clone()}</p>
                            <Show when=can_edit>
                                {
                                    let id = id.clone();
                                    view! {
                                        <button class="link-btn pm-comment-resolve" type="button" on:click=move |_| resolve(id.clone(), !resolved)>
                                            {if resolved { "Reopen" } else { "Resolve" }}
                                        </button>
                                    }
                                }
                            </Show>
                        </li>
                    }
                }).collect_view()}
            </ul>
            <Show when=can_edit>
                <form class="row pm-comment-form" on:submit=add novalidate aria-label="Add a review comment">
                    <label for=input_id.clone() class="sr-only">"Review comment"</label>
                    <input id=input_id.clone() placeholder="Comment on this section…" prop:value=move || text.get() on:input=move |e| text.set(event_target_value(&e))/>
                    <button class="btn" type="submit" disabled=move || busy.get() || text.with(|t| t.trim().is_empty())>"Comment"</button>
                </form>
            </Show>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        </div>
    }
}
