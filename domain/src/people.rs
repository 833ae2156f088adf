//! People of an organisation: listing, editing name and role, and deactivation. Owns the rules
//! of who may change whom (an organisation never loses its last active admin; a deactivated
//! person cannot be edited back into power) and the wire types of `/api/users`.

use serde::{Deserialize, Serialize};

use crate::api::User;
use crate::auth::Role;

/// `GET /api/users`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct UserList {
    pub users: Vec<User>,
}

/// `PATCH /api/users/{id}`: what is absent stays.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct PatchUserRequest {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub role: Option<Role>,
    /// The whole list of expertise tags (normalised; at most 20): one's own, or anyone's by an admin.
    #[serde(default)]
    pub expertise: Option<Vec<String>>,
    /// The whole list of team ids the person belongs to (admins only).
    #[serde(default)]
    pub teams: Option<Vec<String>>,
}

/// `POST /api/users/{id}/deactivate`: how many credentials ended with it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct Deactivated {
    pub user: User,
    pub sessions_revoked: u32,
    pub tokens_revoked: u32,
}

/// Why a change to a person is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Only admins change roles or other people's names.
    NotAllowed,
    /// The organisation would be left without an active admin.
    LastAdmin,
    /// The person is deactivated; their record is history.
    Deactivated,
}

impl Refusal {
    pub fn message(self) -> &'static str {
        match self {
            Refusal::NotAllowed => "only admins can change roles, teams or other people's names and expertise",
            Refusal::LastAdmin => "the organisation must keep at least one active admin",
            Refusal::Deactivated => "this person is deactivated; their record is kept as history",
        }
    }
}

/// The person being changed, as the rules need them.
#[derive(Clone, Copy, Debug)]
pub struct Target {
    pub role: Role,
    pub deactivated: bool,
    pub is_caller: bool,
    /// Has a password (an invited admin who never set one does not keep the organisation run).
    pub can_log_in: bool,
}

/// May `caller` (acting with `caller_role`) make this edit, given how many active admins the
/// organisation has now?
pub fn check_edit(caller_role: Role, target: Target, new_role: Option<Role>, renames: bool, active_admins: u32) -> Result<(), Refusal> {
    if target.deactivated {
        return Err(Refusal::Deactivated);
    }
    let changes_role = new_role.is_some_and(|r| r != target.role);
    if caller_role != Role::Admin && (changes_role || renames && !target.is_caller) {
        return Err(Refusal::NotAllowed);
    }
    if changes_role && target.role == Role::Admin && target.can_log_in && active_admins <= 1 {
        return Err(Refusal::LastAdmin);
    }
    Ok(())
}

/// May an admin deactivate this person? (Admins only; never the last active admin.)
pub fn check_deactivate(caller_role: Role, target: Target, active_admins: u32) -> Result<(), Refusal> {
    if caller_role != Role::Admin {
        return Err(Refusal::NotAllowed);
    }
    if target.deactivated {
        return Err(Refusal::Deactivated);
    }
    if target.role == Role::Admin && target.can_log_in && active_admins <= 1 {
        return Err(Refusal::LastAdmin);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use Role::*;

    fn t(role: Role) -> Target {
        Target { role, deactivated: false, is_caller: false, can_log_in: true }
    }

    #[test]
    fn people_rename_themselves_admins_change_anyone() {
        let me = Target { is_caller: true, ..t(Observer) };
        assert_eq!(check_edit(Observer, me, None, true, 1), Ok(()));
        assert_eq!(check_edit(Observer, me, Some(Observer), true, 1), Ok(()), "the same role is no change");
        assert_eq!(check_edit(Observer, me, Some(Admin), false, 1), Err(Refusal::NotAllowed), "no promoting oneself");
        assert_eq!(check_edit(Responder, t(Observer), None, true, 1), Err(Refusal::NotAllowed));
        assert_eq!(check_edit(Admin, t(Observer), Some(Responder), true, 1), Ok(()));
    }

    #[test]
    fn the_last_active_admin_stays() {
        let last = Target { is_caller: true, ..t(Admin) };
        assert_eq!(check_edit(Admin, last, Some(Responder), false, 1), Err(Refusal::LastAdmin));
        assert_eq!(check_edit(Admin, last, Some(Responder), false, 2), Ok(()));
        assert_eq!(check_deactivate(Admin, t(Admin), 1), Err(Refusal::LastAdmin));
        assert_eq!(check_deactivate(Admin, t(Admin), 2), Ok(()));
        assert_eq!(check_deactivate(Admin, t(Responder), 1), Ok(()));
        assert_eq!(check_deactivate(Responder, t(Observer), 3), Err(Refusal::NotAllowed));
    }

    #[test]
    fn an_invited_admin_does_not_count_as_the_one_who_keeps_it_running() {
        let invited = Target { can_log_in: false, ..t(Admin) };
        assert_eq!(check_deactivate(Admin, invited, 1), Ok(()), "the one active admin may remove an invited one");
        assert_eq!(check_edit(Admin, invited, Some(Observer), false, 1), Ok(()));
    }

    #[test]
    fn deactivated_people_are_history() {
        let gone = Target { deactivated: true, ..t(Responder) };
        assert_eq!(check_edit(Admin, gone, Some(Admin), false, 1), Err(Refusal::Deactivated));
        assert_eq!(check_edit(Admin, gone, None, true, 1), Err(Refusal::Deactivated));
        assert_eq!(check_deactivate(Admin, gone, 1), Err(Refusal::Deactivated));
    }
}
