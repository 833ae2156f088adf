//! Tocsin's responder app: Leptos, client-side rendered, mobile first.
//!
//! `api` is the one typed client, `state` holds the session, `pages` are screens and
//! `components` small reusable pieces. Rules come from `tocsin_domain`, never re-implemented here.

mod live;
mod live_list;
mod api;
mod components;
mod incident_record;
mod pages;
mod push;
mod screens;
mod state;

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::{Route, Router, Routes, A};
use leptos_router::hooks::use_location;
use leptos_router::{path, Lazy};

use pages::{InvitePage, LoginPage, SetupPage};
use screens::*;
use state::{resolve_session, Session};

/// Slack at the end of the app's read-only data for wasm-split (scripts/build.sh). It moves each
/// screen's constants (strings, tables) into that screen's chunk, re-packing them per chunk with
/// alignment padding; when the re-packed data would be longer than the linker's, it gives up and
/// keeps ALL constants in the main module (~60 KB gzipped more on every first load). This array is
/// kept by the linker (`#[used]`) but referenced by no code, so no chunk takes it and its bytes are
/// the room the re-packing needs. Non-zero so that it lands in `.rodata`, not `.bss`.
#[used]
static SPLIT_DATA_SLACK: [u8; 4096] = [0xA5; 4096];

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(App);
}

#[component]
fn App() -> impl IntoView {
    let session = RwSignal::new(Session::Loading);
    provide_context(session);
    spawn_local(async move { session.set(resolve_session().await) });
    view! {
        <Router>
            <Shell/>
        </Router>
    }
}

/// Chooses the screen: first-run setup, login (or invitation), or the app itself.
#[component]
fn Shell() -> impl IntoView {
    let session = state::session();
    let location = use_location();
    move || match session.get() {
        Session::Loading => view! { <main class="centered"><p class="muted" aria-live="polite">"Loading…"</p></main> }.into_any(),
        Session::Unreachable(msg) => view! {
            <main class="centered">
                <h1>"Tocsin is unreachable"</h1>
                <p role="alert">{msg}</p>
                <button class="btn" on:click=move |_| spawn_local(async move { session.set(resolve_session().await) })>"Try again"</button>
            </main>
        }
        .into_any(),
        Session::NeedsSetup => view! { <SetupPage/> }.into_any(),
        Session::LoggedOut if location.pathname.get() == "/invite" => view! { <InvitePage/> }.into_any(),
        Session::LoggedOut => view! { <LoginPage/> }.into_any(),
        Session::LoggedIn(me) => view! {
            <Header org=me.organization.name.clone() user=me.user.name.clone()/>
            <OfflineBanner/>
            <main id="main">
                <Routes fallback=|| view! { <h1>"Not found"</h1><p><A href="/">"Back to incidents"</A></p> }>
                    <Route path=path!("/") view={Lazy::<IncidentsScreen>::new()}/>
                    <Route path=path!("/incidents/:id") view={Lazy::<IncidentScreen>::new()}/>
                    <Route path=path!("/incidents/:id/postmortem") view={Lazy::<PostmortemScreen>::new()}/>
                    <Route path=path!("/services") view={Lazy::<ServicesScreen>::new()}/>
                    <Route path=path!("/services/:id") view={Lazy::<ServiceScreen>::new()}/>
                    <Route path=path!("/status-admin") view={Lazy::<StatusAdminScreen>::new()}/>
                    <Route path=path!("/schedules/:id") view={Lazy::<ScheduleScreen>::new()}/>
                    <Route path=path!("/escalation-policies") view={Lazy::<PoliciesScreen>::new()}/>
                    <Route path=path!("/me") view={Lazy::<MeScreen>::new()}/>
                    <Route path=path!("/settings/webhooks") view={Lazy::<WebhooksScreen>::new()}/>
                    <Route path=path!("/settings/audit") view={Lazy::<AuditScreen>::new()}/>
                    <Route path=path!("/readiness") view={Lazy::<ReadinessScreen>::new()}/>
                    <Route path=path!("/insights") view={Lazy::<InsightsScreen>::new()}/>
                    <Route path=path!("/action-items") view={Lazy::<ActionItemsScreen>::new()}/>
                    <Route path=path!("/invite") view={Lazy::<IncidentsScreen>::new()}/>
                </Routes>
            </main>
            <NavBar/>
        }
        .into_any(),
    }
}

#[component]
fn Header(org: String, user: String) -> impl IntoView {
    let session = state::session();
    // Why the last tap on "Log out" did not end the session (it still lets this phone in).
    let not_out = RwSignal::new(None::<String>);
    let logout = move |_| {
        spawn_local(async move {
            match api::logout().await {
                Ok(()) => session.set(Session::LoggedOut),
                Err(e) if e.is_unauthenticated() => session.set(Session::LoggedOut),
                Err(e) if e.status == 0 => not_out.set(Some("Not logged out: Tocsin cannot be reached, so this phone is still signed in. Try again when you are online.".into())),
                Err(e) => not_out.set(Some(format!("Not logged out ({}): this phone is still signed in. Try again.", e.message))),
            }
        })
    };
    view! {
        <header class="topbar">
            <a class="skip" href="#main">"Skip to content"</a>
            // The bell drawn inline (public/favicon.svg's shapes): an <img> of the favicon would be one
            // more request, revalidated on every cold start, and one more SVG document to build.
            <span class="brand">
                <svg viewBox="0 0 64 64" width="24" height="24" aria-hidden="true">
                    <rect width="64" height="64" rx="14" fill="#b91c1c"/>
                    <path d="M32 12c-9 0-15 7-15 16v10l-5 8h40l-5-8V28c0-9-6-16-15-16zm-6 38a6 6 0 0 0 12 0z" fill="#fff"/>
                </svg>
                "Tocsin"
            </span>
            <span class="org">{org}</span>
            <button class="link-btn" on:click=logout title=format!("Log out {user}")>"Log out"</button>
        </header>
        {move || not_out.get().map(|m| view! { <p class="error-note logout-failed" role="alert">{m}</p> })}
    }
}

/// Bottom navigation: within thumb reach on a phone.
#[component]
fn NavBar() -> impl IntoView {
    let location = use_location();
    let current = move |p: &'static str| {
        let path = location.pathname.get();
        // On-call pages (schedules, policies) hang off the incidents home screen.
        let home = path == "/" || ["/incidents", "/schedules", "/escalation-policies"].iter().any(|x| path.starts_with(x));
        let on = match p {
            "/" => home,
            "/me" => path.starts_with("/me") || path.starts_with("/settings"),
            "/insights" => ["/insights", "/action-items", "/readiness", "/postmortems"].iter().any(|x| path.starts_with(x)),
            _ => path.starts_with(p),
        };
        if on { "page" } else { "false" }
    };
    view! {
        <nav class="tabbar" aria-label="Main">
            <A href="/" attr:aria-current=move || current("/")>"Incidents"</A>
            <A href="/services" attr:aria-current=move || current("/services")>"Services"</A>
            <A href="/status-admin" attr:aria-current=move || current("/status-admin")>"Status"</A>
            <A href="/insights" attr:aria-current=move || current("/insights")>"Learn"</A>
            <A href="/me" attr:aria-current=move || current("/me")>"Me"</A>
        </nav>
    }
}

/// While the service worker answers from its copies (no network): say so, and since when.
#[component]
fn OfflineBanner() -> impl IntoView {
    let stale = api::stale();
    let location = use_location();
    move || {
        stale.get().map(|t| {
            let what = if location.pathname.get().starts_with("/incidents/") { "this incident" } else { "incidents" };
            view! {
                <p class="offline-banner" role="status">
                    <strong>"Offline"</strong>{format!(" — showing {what} as of {}. Acknowledge and resolve need the connection.", components::clock(t))}
                </p>
            }
        })
    }
}
