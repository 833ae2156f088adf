//! Incident roles: the three built in (commander, communications lead, scribe) and the ones an
//! organisation defines; validating a new role; every role as a slot on an incident (held or
//! empty); and the sentences a hand-over leaves on the timeline.

use chrono::{DateTime, Utc};

use super::Person;
use crate::api::{CreateIncidentRole, IncidentRole, RoleHolder, RoleHolderUser};
use crate::ids::UserId;
use crate::validation::FieldError;

pub const MAX_NAME: usize = 60;
pub const MAX_DESCRIPTION: usize = 500;
/// At most this many organisation-defined roles (the slots are shown on a phone).
pub const MAX_CUSTOM: usize = 20;

/// Timeline kinds.
pub const ASSIGNED: &str = "role.assigned";
pub const UNASSIGNED: &str = "role.unassigned";

/// The commander's id: who leads the response, and owns the postmortem.
pub const COMMANDER: &str = "commander";

/// Whether handing `role_id` over needs an admin: the commander of a resolved incident owns its
/// postmortem (publishing it, on the status page too), so after the response nobody else takes
/// that role, or they would gain those rights.
pub fn handover_needs_admin(role_id: &str, incident_resolved: bool) -> bool {
    role_id == COMMANDER && incident_resolved
}

/// The built-in roles, in the order they are shown: (id, name, description).
pub const BUILT_IN: [(&str, &str, &str); 3] = [
    (COMMANDER, "Incident commander", "Leads the response: decides, delegates and keeps everyone on one plan."),
    ("communications", "Communications lead", "Keeps stakeholders and customers informed with regular status updates."),
    ("scribe", "Scribe", "Keeps the record: notes decisions, findings and actions as they happen."),
];

pub fn built_in() -> Vec<IncidentRole> {
    BUILT_IN
        .iter()
        .map(|(id, name, description)| IncidentRole { id: id.to_string(), name: name.to_string(), description: description.to_string(), built_in: true })
        .collect()
}

pub fn is_built_in(id: &str) -> bool {
    BUILT_IN.iter().any(|(b, _, _)| *b == id)
}

/// How names are compared for uniqueness: trimmed, inner spaces collapsed, lower case.
pub fn name_key(name: &str) -> String {
    name.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

/// A new organisation-defined role, validated: (name, description).
pub fn validate_new(r: &CreateIncidentRole) -> Result<(String, String), FieldError> {
    let name = r.name.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.is_empty() || name.chars().count() > MAX_NAME {
        return Err(FieldError::new("name", format!("must be 1 to {MAX_NAME} characters")));
    }
    if name.chars().any(char::is_control) {
        return Err(FieldError::new("name", "must not contain control characters"));
    }
    let description = r.description.trim().to_string();
    if description.chars().count() > MAX_DESCRIPTION {
        return Err(FieldError::new("description", format!("must be at most {MAX_DESCRIPTION} characters")));
    }
    Ok((name, description))
}

/// Whether `name` is taken by a built-in role or one of `existing` (names, any case).
pub fn name_taken(name: &str, existing: &[&str]) -> bool {
    let key = name_key(name);
    BUILT_IN.iter().map(|(_, n, _)| *n).chain(existing.iter().copied()).any(|n| name_key(n) == key)
}

/// Every role as a slot on an incident, in the order of `roles`, with its holder if any.
/// Holders of roles not in `roles` (deleted meanwhile) are left out.
pub fn slots(roles: &[IncidentRole], holders: &[(String, String, String, DateTime<Utc>)]) -> Vec<RoleHolder> {
    roles
        .iter()
        .map(|r| RoleHolder {
            role_id: r.id.clone(),
            role_name: r.name.clone(),
            built_in: r.built_in,
            holder: holders
                .iter()
                .find(|(role_id, ..)| *role_id == r.id)
                .map(|(_, user_id, name, since)| RoleHolderUser { user_id: UserId(user_id.clone()), name: name.clone(), since: *since }),
        })
        .collect()
}

/// The timeline sentence of giving `role` to `to`, `from` having held it (if anyone did).
pub fn assigned_message(by: Person<'_>, role: &str, from: Option<Person<'_>>, to: Person<'_>) -> String {
    match from {
        Some(f) if f.id == by.id => format!("{} handed {role} to {}", by.name, to.name),
        Some(f) if to.id == by.id => format!("{} took over {role} from {}", by.name, f.name),
        Some(f) => format!("{} handed {role} from {} to {}", by.name, f.name, to.name),
        None if to.id == by.id => format!("{} took {role}", by.name),
        None => format!("{} made {} {role}", by.name, to.name),
    }
}

/// The timeline sentence of leaving `role` empty (it was `from`'s).
pub fn unassigned_message(by: Person<'_>, role: &str, from: Person<'_>) -> String {
    if from.id == by.id {
        format!("{} stepped down as {role}", by.name)
    } else {
        format!("{} removed {} as {role}", by.name, from.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_admin_hands_over_a_resolved_incidents_commander() {
        assert!(handover_needs_admin(COMMANDER, true));
        assert!(!handover_needs_admin(COMMANDER, false), "during the response anyone may lead");
        assert!(!handover_needs_admin("scribe", true));
    }

    const ANN: Person<'static> = Person { id: "u1", name: "Ann Lee" };
    const BOB: Person<'static> = Person { id: "u2", name: "Bob" };
    const CARA: Person<'static> = Person { id: "u3", name: "Cara" };

    #[test]
    fn hand_over_names_who_handed_what_to_whom() {
        assert_eq!(assigned_message(ANN, "Incident commander", Some(BOB), CARA), "Ann Lee handed Incident commander from Bob to Cara");
        assert_eq!(assigned_message(BOB, "Incident commander", Some(BOB), CARA), "Bob handed Incident commander to Cara");
        assert_eq!(assigned_message(CARA, "Scribe", Some(BOB), CARA), "Cara took over Scribe from Bob");
        assert_eq!(assigned_message(ANN, "Scribe", None, CARA), "Ann Lee made Cara Scribe");
        assert_eq!(assigned_message(ANN, "Scribe", None, ANN), "Ann Lee took Scribe");
        assert_eq!(unassigned_message(ANN, "Scribe", BOB), "Ann Lee removed Bob as Scribe");
        assert_eq!(unassigned_message(BOB, "Scribe", BOB), "Bob stepped down as Scribe");
    }

    #[test]
    fn new_roles_are_validated_and_names_unique_in_any_case() {
        let r = |name: &str, d: &str| CreateIncidentRole { name: name.into(), description: d.into() };
        assert_eq!(validate_new(&r("  Customer   liaison ", " talks ")).unwrap(), ("Customer liaison".into(), "talks".into()));
        assert_eq!(validate_new(&r("  ", "")).unwrap_err().field, "name");
        assert_eq!(validate_new(&r(&"x".repeat(MAX_NAME + 1), "")).unwrap_err().field, "name");
        assert!(validate_new(&r(&"x".repeat(MAX_NAME), "")).is_ok());
        assert_eq!(validate_new(&r("a\u{7}b", "")).unwrap_err().field, "name");
        assert_eq!(validate_new(&r("ok", &"d".repeat(MAX_DESCRIPTION + 1))).unwrap_err().field, "description");
        assert!(name_taken("incident COMMANDER", &[]));
        assert!(name_taken("customer  liaison", &["Customer liaison"]));
        assert!(!name_taken("Customer liaison", &["Vendor liaison"]));
    }

    #[test]
    fn every_role_is_a_slot_held_or_empty() {
        let mut roles = built_in();
        roles.push(IncidentRole { id: "r9".into(), name: "Liaison".into(), description: String::new(), built_in: false });
        let at = DateTime::from_timestamp_millis(1_000).unwrap();
        let holders = vec![
            ("scribe".to_string(), "u2".to_string(), "Bob".to_string(), at),
            ("gone".to_string(), "u3".to_string(), "Cara".to_string(), at),
        ];
        let s = slots(&roles, &holders);
        assert_eq!(s.iter().map(|r| r.role_id.as_str()).collect::<Vec<_>>(), ["commander", "communications", "scribe", "r9"]);
        assert_eq!(s[2].holder.as_ref().map(|h| h.name.as_str()), Some("Bob"));
        assert!(s[0].holder.is_none() && s[1].holder.is_none() && s[3].holder.is_none());
        assert!(s[0].built_in && !s[3].built_in);
        assert!(is_built_in("scribe") && !is_built_in("r9"));
    }
}
