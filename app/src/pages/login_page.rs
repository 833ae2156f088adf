//! Logging in, and accepting an invitation (choosing a first password).

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_navigate;
use tocsin_domain::api::{AcceptInviteRequest, LoginRequest};

use crate::api::{self, ApiError};
use crate::components::{ErrorNote, Field};
use crate::state::{session, Session};

#[component]
pub fn LoginPage() -> impl IntoView {
    let session = session();
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let error: RwSignal<Option<ApiError>> = RwSignal::new(None);
    let busy = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let req = LoginRequest { email: email.get(), password: password.get() };
        busy.set(true);
        spawn_local(async move {
            match api::login(&req).await {
                Ok(me) => session.set(Session::LoggedIn(me)),
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };
    view! {
        <main class="centered narrow">
            <h1>"Log in to Tocsin"</h1>
            <form on:submit=submit novalidate>
                <Field name="email" label="E-mail" kind="email" autocomplete="username" required=true value=email error=error/>
                <Field name="password" label="Password" kind="password" autocomplete="current-password" required=true value=password error=error/>
                <ErrorNote error=error/>
                <button class="btn primary wide" type="submit" disabled=move || busy.get()>
                    {move || if busy.get() { "Logging in…" } else { "Log in" }}
                </button>
            </form>
        </main>
    }
}

/// `/invite#<token>`: the token stays in the fragment, so it never reaches a server log.
#[component]
pub fn InvitePage() -> impl IntoView {
    let session = session();
    let navigate = use_navigate();
    let token = window().location().hash().unwrap_or_default().trim_start_matches('#').to_string();
    let password = RwSignal::new(String::new());
    let error: RwSignal<Option<ApiError>> = RwSignal::new(None);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let req = AcceptInviteRequest { token: token.clone(), password: password.get() };
        let navigate = navigate.clone();
        spawn_local(async move {
            match api::accept_invite(&req).await {
                Ok(me) => {
                    session.set(Session::LoggedIn(me));
                    navigate("/", Default::default());
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    view! {
        <main class="centered narrow">
            <h1>"Join your team on Tocsin"</h1>
            <p class="muted">"Choose a password to finish setting up your account."</p>
            <form on:submit=submit novalidate>
                <Field name="password" label="New password" kind="password" autocomplete="new-password" hint="At least 10 characters." required=true value=password error=error/>
                <ErrorNote error=error/>
                <button class="btn primary wide" type="submit">"Set password and continue"</button>
            </form>
        </main>
    }
}
