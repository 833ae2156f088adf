//! The app's screens as lazy routes: each screen's code (its page, and what only it uses) is cut
//! by wasm-split (scripts/build.sh) into a chunk of its own that the router fetches when the
//! screen is first opened, so a phone downloads the shell plus the screen it opens, not the whole
//! app. `data()` is empty: every page loads its own data through `api`.

use leptos::prelude::*;
use leptos_router::{lazy_route, LazyRoute};

use crate::pages;

pub struct IncidentsScreen;

#[lazy_route]
impl LazyRoute for IncidentsScreen {
    fn data() -> Self {
        Self
    }

    fn view(_this: Self) -> AnyView {
        pages::IncidentsPage().into_any()
    }
}

pub struct IncidentScreen;

#[lazy_route]
impl LazyRoute for IncidentScreen {
    fn data() -> Self {
        Self
    }

    fn view(_this: Self) -> AnyView {
        pages::IncidentPage().into_any()
    }
}

pub struct PostmortemScreen;

#[lazy_route]
impl LazyRoute for PostmortemScreen {
    fn data() -> Self {
        Self
    }

    fn view(_this: Self) -> AnyView {
        pages::PostmortemPage().into_any()
    }
}

pub struct ServicesScreen;

#[lazy_route]
impl LazyRoute for ServicesScreen {
    fn data() -> Self {
        Self
    }

    fn view(_this: Self) -> AnyView {
        pages::ServicesPage().into_any()
    }
}

pub struct ServiceScreen;

#[lazy_route]
impl LazyRoute for ServiceScreen {
    fn data() -> Self {
        Self
    }

    fn view(_this: Self) -> AnyView {
        pages::ServicePage().into_any()
    }
}

pub struct StatusAdminScreen;

#[lazy_route]
impl LazyRoute for StatusAdminScreen {
    fn data() -> Self {
        Self
    }

    fn view(_this: Self) -> AnyView {
        pages::StatusAdminPage().into_any()
    }
}

pub struct ScheduleScreen;

#[lazy_route]
impl LazyRoute for ScheduleScreen {
    fn data() -> Self {
        Self
    }

    fn view(_this: Self) -> AnyView {
        pages::SchedulePage().into_any()
    }
}

pub struct PoliciesScreen;

#[lazy_route]
impl LazyRoute for PoliciesScreen {
    fn data() -> Self {
        Self
    }

    fn view(_this: Self) -> AnyView {
        pages::PoliciesPage().into_any()
    }
}

pub struct MeScreen;

#[lazy_route]
impl LazyRoute for MeScreen {
    fn data() -> Self {
        Self
    }

    fn view(_this: Self) -> AnyView {
        pages::MePage().into_any()
    }
}

pub struct WebhooksScreen;

#[lazy_route]
impl LazyRoute for WebhooksScreen {
    fn data() -> Self {
        Self
    }

    fn view(_this: Self) -> AnyView {
        pages::WebhooksPage().into_any()
    }
}

pub struct AuditScreen;

#[lazy_route]
impl LazyRoute for AuditScreen {
    fn data() -> Self {
        Self
    }

    fn view(_this: Self) -> AnyView {
        pages::AuditPage().into_any()
    }
}

pub struct ReadinessScreen;

#[lazy_route]
impl LazyRoute for ReadinessScreen {
    fn data() -> Self {
        Self
    }

    fn view(_this: Self) -> AnyView {
        pages::ReadinessPage().into_any()
    }
}

pub struct InsightsScreen;

#[lazy_route]
impl LazyRoute for InsightsScreen {
    fn data() -> Self {
        Self
    }

    fn view(_this: Self) -> AnyView {
        pages::InsightsPage().into_any()
    }
}

pub struct ActionItemsScreen;

#[lazy_route]
impl LazyRoute for ActionItemsScreen {
    fn data() -> Self {
        Self
    }

    fn view(_this: Self) -> AnyView {
        pages::ActionItemsPage().into_any()
    }
}
