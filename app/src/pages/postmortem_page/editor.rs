//! One editable part of the postmortem (a section, or the customer-facing text): a Markdown
//! textarea with a preview toggle, saved by itself after a pause in typing (with the version it
//! was based on), the blameless hints of the saved text under it, and — when someone else saved
//! first — their text and a choice, never a silent overwrite.

use std::rc::Rc;

use gloo_timers::callback::Timeout;
use leptos::prelude::*;
use leptos::task::spawn_local;
use tocsin_domain::api::postmortems::{SavePublicText, SaveSection};
use tocsin_domain::postmortem::hints::Hint;

use crate::api;
use crate::components::Markdown;

/// How long typing must pause before the text is saved.
const AUTOSAVE_MS: u32 = 1_200;

/// What an editor saves.
#[derive(Clone, Debug, PartialEq)]
pub enum Target {
    Section(String),
    Public,
}

impl Target {
    fn dom_key(&self) -> String {
        match self {
            Target::Section(k) => k.clone(),
            Target::Public => "public".into(),
        }
    }
}

/// What a save came to.
enum Outcome {
    Saved { body: String, version: i64, hints: Vec<Hint> },
    Conflict { body: String, version: i64, who: Option<String> },
}

async fn save(incident_id: &str, target: &Target, body: String, version: i64) -> Result<Outcome, api::ApiError> {
    Ok(match target {
        Target::Section(key) => match api::save_pm_section(incident_id, key, &SaveSection { body, version }).await? {
            Ok(s) => Outcome::Saved { body: s.section.body, version: s.section.version, hints: s.hints },
            Err(c) => Outcome::Conflict { body: c.current.body, version: c.current.version, who: c.current.updated_by.map(|p| p.name) },
        },
        Target::Public => match api::save_pm_public(incident_id, &SavePublicText { text: body, version }).await? {
            Ok(s) => Outcome::Saved { body: s.public_text, version: s.public_version, hints: s.hints },
            Err(c) => Outcome::Conflict { body: c.public_text, version: c.public_version, who: None },
        },
    })
}

/// Someone else's newer text.
#[derive(Clone, Debug, PartialEq)]
struct Theirs {
    body: String,
    version: i64,
    who: Option<String>,
}

#[component]
pub fn Editor(
    incident_id: String,
    target: Target,
    title: String,
    #[prop(optional)] prompt: String,
    body: String,
    version: i64,
    hints: Vec<Hint>,
    /// Sections may be changed (draft or in review, and the caller may edit).
    editable: Signal<bool>,
    /// The timeline section's "refill from the record" text.
    #[prop(optional_no_strip)]
    suggested: Option<Signal<String>>,
    /// Shown under the editor (review comments).
    #[prop(optional)]
    children: Option<Children>,
) -> impl IntoView {
    let key = target.dom_key();
    let text = RwSignal::new(body.clone());
    let saved = RwSignal::new(body);
    let version = RwSignal::new(version);
    let hints = RwSignal::new(hints);
    let theirs: RwSignal<Option<Theirs>> = RwSignal::new(None);
    let state = RwSignal::new("");
    let preview = RwSignal::new(false);
    let pending: StoredValue<Option<Timeout>, LocalStorage> = StoredValue::new_local(None);
    // One save at a time: a second one sent before the first answers would carry the same
    // version and meet our own text as a 409. Text typed meanwhile is saved after it answers.
    let in_flight = StoredValue::new(false);
    let resave: StoredValue<Option<Rc<dyn Fn()>>, LocalStorage> = StoredValue::new_local(None);
    let (incident_id, target) = (StoredValue::new(incident_id), StoredValue::new(target));
    let save_now = move || {
        if in_flight.get_value() || theirs.with_untracked(Option::is_some) || text.with_untracked(|t| saved.with_untracked(|s| t == s)) {
            return;
        }
        in_flight.set_value(true);
        let (body, v) = (text.get_untracked(), version.get_untracked());
        state.set("Saving…");
        spawn_local(async move {
            let answer = save(&incident_id.get_value(), &target.get_value(), body, v).await;
            in_flight.set_value(false);
            match answer {
                Ok(Outcome::Saved { body, version: nv, hints: h }) => {
                    saved.set(body);
                    version.set(nv);
                    hints.set(h);
                    if text.with_untracked(|t| saved.with_untracked(|s| t != s)) {
                        state.set("Editing…");
                        if let Some(again) = resave.get_value() {
                            again();
                        }
                    } else {
                        state.set("Saved");
                    }
                }
                Ok(Outcome::Conflict { body, version: nv, who }) => {
                    theirs.set(Some(Theirs { body, version: nv, who }));
                    state.set("Not saved");
                }
                Err(e) => state.set(if e.status == 0 { "Offline — not saved yet" } else { "Not saved" }),
            }
        });
    };
    let schedule = move || {
        let t = Timeout::new(AUTOSAVE_MS, save_now);
        pending.update_value(|p| *p = Some(t));
    };
    resave.set_value(Some(Rc::new(schedule)));
    // Saving at once (leaving the field, "Keep mine") cancels the pending autosave.
    let save_at_once = move || {
        pending.update_value(|p| *p = None);
        save_now();
    };
    let on_input = move |e: leptos::ev::Event| {
        text.set(event_target_value(&e));
        state.set("Editing…");
        schedule();
    };
    let take_theirs = move |_| {
        if let Some(t) = theirs.get_untracked() {
            text.set(t.body.clone());
            saved.set(t.body);
            version.set(t.version);
            theirs.set(None);
            state.set("Their text");
        }
    };
    let keep_mine = move |_| {
        if let Some(t) = theirs.get_untracked() {
            // An explicit choice: save mine over theirs, based on their version.
            version.set(t.version);
            saved.set(t.body);
            theirs.set(None);
            save_at_once();
        }
    };
    let refill = move |_| {
        if let Some(s) = suggested {
            text.set(s.get_untracked());
            schedule();
        }
    };
    let label = format!("{title} (Markdown)");
    let area_id = format!("pm-{key}");
    let hint_id = format!("pm-hints-{key}");
    let heading_id = format!("pm-h-{key}");
    let (heading_for, hint_list) = (heading_id.clone(), hint_id.clone());
    view! {
        <section class="panel pm-section" id=format!("pm-section-{key}") aria-labelledby=heading_for>
            <div class="row pm-section-head">
                <h2 id=heading_id>{title}</h2>
                <span class="pm-save-state muted" aria-live="polite">{move || state.get()}</span>
            </div>
            {move || {
                if preview.get() || !editable.get() {
                    let t = text.get();
                    if t.trim().is_empty() {
                        view! { <p class="muted pm-preview">"Nothing written yet."</p> }.into_any()
                    } else {
                        view! { <div class="pm-preview"><Markdown text=t/></div> }.into_any()
                    }
                } else {
                    view! {
                        <label for=area_id.clone() class="sr-only">{label.clone()}</label>
                        <textarea id=area_id.clone() rows="6" placeholder=prompt.clone() aria-describedby=hint_id.clone()
                            prop:value=move || text.get() on:input=on_input on:blur=move |_| save_at_once()></textarea>
                    }.into_any()
                }
            }}
            <div class="row pm-tools">
                <Show when=move || editable.get()>
                    <button class="link-btn pm-preview-toggle" type="button" aria-pressed=move || preview.get().to_string()
                        on:click=move |_| preview.update(|p| *p = !*p)>
                        {move || if preview.get() { "Edit" } else { "Preview" }}
                    </button>
                    {suggested.map(|_| view! { <button class="link-btn pm-refill" type="button" on:click=refill>"Refill from the record"</button> })}
                </Show>
            </div>
            {move || theirs.get().map(|t| view! {
                <div class="pm-conflict notice" role="alert">
                    <p><strong>{format!("Someone else saved — here is their text{}", t.who.map(|w| format!(" ({w})")).unwrap_or_default())}</strong></p>
                    <div class="pm-theirs"><Markdown text=t.body.clone()/></div>
                    <div class="row">
                        <button class="btn primary pm-take-theirs" type="button" on:click=take_theirs>"Use their text"</button>
                        <button class="btn pm-keep-mine" type="button" on:click=keep_mine>"Keep mine"</button>
                    </div>
                </div>
            })}
            <ul class="pm-hints" id=hint_list aria-label="Blameless wording hints">
                {move || hints.get().into_iter().map(|h| view! {
                    <li><strong>{format!("“{}”", h.phrase)}</strong>{format!(" (line {}) — {}", h.line, h.suggestion)}</li>
                }).collect_view()}
            </ul>
            {children.map(|c| c())}
        </section>
    }
}
