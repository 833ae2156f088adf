//! First run: name the organisation and create the first admin.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_navigate;
use tocsin_domain::api::SetupRequest;
use tocsin_domain::auth::MIN_PASSWORD_CHARS;

use crate::api;
use crate::components::{ErrorNote, Field};
use crate::state::{session, Session};

#[component]
pub fn SetupPage() -> impl IntoView {
    let session = session();
    let navigate = use_navigate();
    let organization = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None);
    let busy = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let req = SetupRequest { organization: organization.get(), email: email.get(), password: password.get(), name: name.get() };
        let navigate = navigate.clone();
        busy.set(true);
        spawn_local(async move {
            match api::setup(&req).await {
                Ok(me) => {
                    session.set(Session::LoggedIn(me));
                    navigate("/services", Default::default());
                }
                Err(e) if e.status == 409 => session.set(Session::LoggedOut),
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };
    let hint = format!("At least {MIN_PASSWORD_CHARS} characters. A passphrase is best.");
    view! {
        <main class="centered narrow">
            <h1>"Welcome to Tocsin"</h1>
            <p class="muted">"Set up your organisation and its first admin. You can invite your team afterwards."</p>
            <form on:submit=submit novalidate>
                <Field name="organization" label="Organisation name" autocomplete="organization" required=true value=organization error=error/>
                <Field name="name" label="Your name" autocomplete="name" required=true value=name error=error/>
                <Field name="email" label="E-mail" kind="email" autocomplete="email" required=true value=email error=error/>
                <Field name="password" label="Password" kind="password" autocomplete="new-password" hint=hint required=true value=password error=error/>
                <ErrorNote error=error/>
                <button class="btn primary wide" type="submit" disabled=move || busy.get()>
                    {move || if busy.get() { "Creating…" } else { "Create organisation" }}
                </button>
            </form>
        </main>
    }
}
