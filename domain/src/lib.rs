//! Tocsin's domain: the types and rules of incident management as plain data and pure functions.
//!
//! Nothing in this crate reads a clock, a database, the network or the environment: time comes in
//! as an argument and decisions go out as values that the worker (IO shell) and the app carry out.

#[cfg(feature = "vendors")]
pub mod action_token;
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
pub mod markdown;
pub mod notification;
pub mod outbound;
pub mod people;
pub mod rate_limit;
pub mod responders;
pub mod schedule;
#[cfg(feature = "vendors")]
pub mod sealed;
pub mod status_page;
pub mod status_update;
pub mod validation;
pub mod web_security;
pub mod workspace;
#[cfg(feature = "vendors")]
pub mod vendors;
#[cfg(feature = "vendors")]
pub mod webpush;
