//! One module per screen.

mod action_items_page;
mod audit_page;
mod incident_page;
mod incidents_page;
mod login_page;
mod me_page;
mod policies_page;
mod postmortem_page;
mod readiness_page;
mod insights_page;
mod schedule_page;
mod service_page;
mod services_page;
mod setup_page;
mod status_admin_page;
mod webhooks_page;

pub use action_items_page::ActionItemsPage;
pub use audit_page::AuditPage;
pub use incident_page::IncidentPage;
pub use incidents_page::IncidentsPage;
pub use login_page::{InvitePage, LoginPage};
pub use me_page::MePage;
pub use policies_page::PoliciesPage;
pub use postmortem_page::PostmortemPage;
pub use readiness_page::ReadinessPage;
pub use insights_page::InsightsPage;
pub use schedule_page::SchedulePage;
pub use service_page::ServicePage;
pub use services_page::ServicesPage;
pub use setup_page::SetupPage;
pub use status_admin_page::StatusAdminPage;
pub use webhooks_page::WebhooksPage;

use leptos::prelude::*;
use std::time::Duration;

/// Calls `load` now and every `secs` seconds while the page is shown (live-ish updates).
pub fn poll(load: impl Fn() + 'static, secs: u64) {
    load();
    if let Ok(handle) = set_interval_with_handle(load, Duration::from_secs(secs)) {
        on_cleanup(move || handle.clear());
    }
}
