//! Coverage: a deactivated person stays on the rota — named on their future turns, their history
//! kept — but pages nobody. This owns the two rules that follow: who of the people on call can
//! be paged, and when a shift (or "who is on call now") is uncovered.

use crate::api::oncall::OnCallPerson;
use crate::ids::UserId;

/// The people on call who can be paged, in their order.
pub fn reachable<'a>(on_call: &'a [UserId], is_active: impl Fn(&UserId) -> bool + 'a) -> impl Iterator<Item = &'a UserId> + 'a {
    on_call.iter().filter(move |u| is_active(u))
}

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
    fn deactivated_people_are_skipped_and_a_shift_of_only_them_is_uncovered() {
        let active = |u: &UserId| u.as_str() != "ana";
        assert_eq!(reachable(&ids(&["ana", "bo"]), active).map(UserId::as_str).collect::<Vec<_>>(), ["bo"]);
        assert!(!uncovered(&ids(&["ana", "bo"]), active), "Bo still answers");
        assert!(uncovered(&ids(&["ana"]), active), "only Ana, and she is deactivated");
        assert!(uncovered(&[], active), "nobody on call at all");
        assert!(!uncovered(&ids(&["bo"]), active));
        assert_eq!(reachable(&ids(&["ana"]), active).count(), 0);
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
