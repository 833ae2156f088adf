//! Severity and status badges: always text plus colour, never colour alone.

use leptos::prelude::*;
use tocsin_domain::incident::{IncidentStatus, Severity};

#[component]
pub fn SeverityBadge(severity: Severity) -> impl IntoView {
    let class = format!("badge sev sev-{}", severity.as_str().to_ascii_lowercase());
    view! { <span class=class title=severity.description()>{severity.as_str()}</span> }
}

#[component]
pub fn StatusBadge(status: IncidentStatus) -> impl IntoView {
    let class = format!("badge status status-{}", status.as_str());
    let label = match status {
        IncidentStatus::Triggered => "Triggered",
        IncidentStatus::Acknowledged => "Acknowledged",
        IncidentStatus::Resolved => "Resolved",
    };
    view! { <span class=class data-status=status.as_str()>{label}</span> }
}
