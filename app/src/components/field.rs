//! A labelled form field that shows the server's error for it, linked for screen readers.

use leptos::prelude::*;

use crate::api::ApiError;

#[component]
pub fn Field(
    /// The API field name; also the input's name, and its id unless `id` is given.
    name: &'static str,
    /// A page-unique id, where two forms on one page share field names.
    #[prop(optional, into)] id: Option<String>,
    label: &'static str,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional)] autocomplete: &'static str,
    #[prop(optional, into)] hint: String,
    #[prop(optional)] required: bool,
    value: RwSignal<String>,
    error: RwSignal<Option<ApiError>>,
) -> impl IntoView {
    let id = id.unwrap_or_else(|| name.to_string());
    let err_id = format!("{id}-error");
    let hint_id = format!("{id}-hint");
    let my_error = move || error.get().filter(|e| e.field.as_deref() == Some(name)).map(|e| e.message);
    let described = {
        let (err_id, hint_id, has_hint) = (err_id.clone(), hint_id.clone(), !hint.is_empty());
        move || {
            let mut ids = Vec::new();
            if has_hint {
                ids.push(hint_id.clone());
            }
            if my_error().is_some() {
                ids.push(err_id.clone());
            }
            ids.join(" ")
        }
    };
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            {if kind == "textarea" {
                view! {
                    <textarea
                        id=id.clone()
                        name=name
                        rows="4"
                        required=required
                        aria-invalid=move || if my_error().is_some() { "true" } else { "false" }
                        aria-describedby=described.clone()
                        prop:value=move || value.get()
                        on:input=move |ev| value.set(event_target_value(&ev))
                    ></textarea>
                }
                .into_any()
            } else {
                view! {
                    <input
                        id=id.clone()
                        name=name
                        type=kind
                        autocomplete=autocomplete
                        required=required
                        aria-invalid=move || if my_error().is_some() { "true" } else { "false" }
                        aria-describedby=described.clone()
                        prop:value=move || value.get()
                        on:input=move |ev| value.set(event_target_value(&ev))
                    />
                }
                .into_any()
            }}
            {(!hint.is_empty()).then(|| view! { <p class="hint" id=hint_id.clone()>{hint.clone()}</p> })}
            {move || my_error().map(|m| view! { <p class="field-error" id=err_id.clone()>{m}</p> })}
        </div>
    }
}

/// A form-level error (one not tied to a field), announced to screen readers.
#[component]
pub fn ErrorNote(error: RwSignal<Option<ApiError>>) -> impl IntoView {
    move || {
        // Errors about one field are shown beside that field.
        error.get().filter(|e| e.field.as_deref().is_none_or(|f| f == "body")).map(|e| {
            view! { <p class="error-note" role="alert">{e.message}</p> }
        })
    }
}
