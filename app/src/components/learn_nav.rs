//! The "Learn" area's sub-navigation: insights (MTTx metrics), postmortems, action items and
//! readiness share one bottom tab; this row of links moves between them.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_location;

/// Links between the Learn pages; the current one is marked for assistive technology.
#[component]
pub fn LearnNav() -> impl IntoView {
    let location = use_location();
    let current = move |p: &'static str| if location.pathname.get().starts_with(p) { "page" } else { "false" };
    view! {
        <nav class="subnav" aria-label="Learn">
            <A href="/insights" attr:aria-current=move || current("/insights")>"Insights"</A>
            <A href="/action-items" attr:aria-current=move || current("/action-items")>"Action items"</A>
            <A href="/readiness" attr:aria-current=move || current("/readiness")>"Readiness"</A>
        </nav>
    }
}
