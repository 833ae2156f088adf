//! Coverage: a deactivated person stays on the rota — named on their future turns, their history
//! kept — but pages nobody. This owns when a shift (or "who is on call now") is therefore
//! uncovered, and how its people are shown; escalation (`crate::escalation`) skips them.

use crate::api::oncall::OnCallPerson;
use crate::ids::UserId;

/// Nobody on it can be paged: everyone on call is deactivated, or nobody is on call at all.
pub fn uncovered(on_call: &[UserId], is_active: impl Fn(&UserId) -> bool) -> bool {
    !on_call.iter().any(is_active)
}

/// The people on call as the API shows them (deactivated ones named and flagged), and whether
/// the shift is uncovered.
pub fn on_call_people(users: Vec<UserId>, name: impl Fn(&UserId) -> String, is_active: impl Fn(&UserId) -> bool) -> (Vec<OnCallPerson>, bool) {
    let uncovered = uncovered(&users, &is_active);
    let people = users.into_iter().map(|u| OnCallPerson { name: name(&u), deactivated: !is_active(&u), id: u }).collect();
    (people, uncovered)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(v: &[&str]) -> Vec<UserId> {
        v.iter().map(|s| UserId((*s).into())).collect()
    }

    #[test]
    fn a_shift_of_only_deactivated_people_is_uncovered() {
        let active = |u: &UserId| u.as_str() != "ana";
        assert!(!uncovered(&ids(&["ana", "bo"]), active), "Bo still answers");
        assert!(uncovered(&ids(&["ana"]), active), "only Ana, and she is deactivated");
        assert!(uncovered(&[], active), "nobody on call at all");
        assert!(!uncovered(&ids(&["bo"]), active));
    }

    #[test]
    fn the_api_keeps_deactivated_people_named_and_flags_them() {
        let active = |u: &UserId| u.as_str() != "ana";
        let name = |u: &UserId| u.as_str().to_uppercase();
        let (people, uncovered) = on_call_people(ids(&["ana"]), name, active);
        assert!(uncovered);
        assert_eq!(people, [OnCallPerson { id: UserId("ana".into()), name: "ANA".into(), deactivated: true }]);
        let (people, uncovered) = on_call_people(ids(&["ana", "bo"]), name, active);
        assert!(!uncovered);
        assert_eq!(people.iter().map(|p| (p.name.as_str(), p.deactivated)).collect::<Vec<_>>(), [("ANA", true), ("BO", false)]);
    }
}
