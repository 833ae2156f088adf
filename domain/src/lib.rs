//! Tocsin's domain: the types and rules of incident management as plain data and pure functions.
//!
//! Nothing in this crate reads a clock, a database, the network or the environment: time comes in
//! as an argument and decisions go out as values that the worker (IO shell) and the app carry out.

#[cfg(feature = "vendors")]
pub mod action_token;
pub mod action_items;
pub mod alert;
pub mod api;
pub mod audit;
pub mod auth;
pub mod checklist;
pub mod command;
pub mod coverage;
pub mod escalation;
pub mod expertise;
pub mod grouping;
pub mod ics;
pub mod ids;
#[cfg(feature = "vendors")]
pub mod import;
pub mod incident;
pub mod incident_edit;
pub mod json_maps;
pub mod key_times;
pub mod markdown;
pub mod metrics;
pub mod notification;
pub mod outbound;
pub mod people;
pub mod postmortem;
pub mod rate_limit;
pub mod readiness;
pub mod responders;
pub mod schedule;
#[cfg(feature = "vendors")]
pub mod sealed;
pub mod status_page;
pub mod status_update;
#[cfg(feature = "vendors")]
pub mod ticketing;
pub mod validation;
pub mod web_security;
pub mod workspace;
#[cfg(feature = "vendors")]
pub mod vendors;
#[cfg(feature = "vendors")]
pub mod webpush;
