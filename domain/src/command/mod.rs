//! Running an incident: who holds which incident role (and the hand-over sentences), links on
//! the incident, its affected services, merging one incident into another, and highlighted
//! timeline rows. Pure rules: validation, plans and the timeline messages the worker writes in
//! the same batch as each change.

pub mod highlights;
pub mod links;
pub mod merge;
pub mod notes;
pub mod roles;
pub mod services;

/// A person as a message names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Person<'a> {
    pub id: &'a str,
    pub name: &'a str,
}
