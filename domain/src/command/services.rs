//! An incident's affected services: the requested set replaces the others, the incident's own
//! service always stays (first); what changed becomes one timeline row.

use super::Person;

/// At most this many affected services on one incident.
pub const MAX_SERVICES: usize = 20;

pub const CHANGED: &str = "services.changed";

/// What setting the affected services does.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ServicesPlan {
    /// The services stored besides the incident's own, in request order, without repeats.
    pub others: Vec<String>,
    pub added: Vec<String>,
    pub removed: Vec<String>,
}

impl ServicesPlan {
    pub fn is_change(&self) -> bool {
        !self.added.is_empty() || !self.removed.is_empty()
    }
}

/// `own`: the incident's service; `current`: the others stored now; `requested`: the new set
/// (may hold `own` or not). Too many, or an empty id, names `service_ids`.
pub fn plan(own: Option<&str>, current: &[String], requested: &[String]) -> Result<ServicesPlan, (&'static str, String)> {
    if requested.len() > MAX_SERVICES {
        return Err(("service_ids", format!("must hold at most {MAX_SERVICES} services")));
    }
    if requested.iter().any(|s| s.trim().is_empty()) {
        return Err(("service_ids", "must not hold an empty id".into()));
    }
    let mut others: Vec<String> = Vec::new();
    for s in requested {
        if Some(s.as_str()) != own && !others.contains(s) {
            others.push(s.clone());
        }
    }
    let added = others.iter().filter(|s| !current.contains(s)).cloned().collect();
    let removed = current.iter().filter(|s| !others.contains(s) && Some(s.as_str()) != own).cloned().collect();
    Ok(ServicesPlan { others, added, removed })
}

/// The timeline sentence; `added` and `removed` are names.
pub fn message(by: Person<'_>, added: &[&str], removed: &[&str]) -> String {
    match (added.is_empty(), removed.is_empty()) {
        (false, true) => format!("{} added affected services: {}", by.name, added.join(", ")),
        (true, false) => format!("{} removed affected services: {}", by.name, removed.join(", ")),
        _ => format!("{} changed the affected services: added {}; removed {}", by.name, added.join(", "), removed.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn the_set_replaces_the_others_and_the_own_service_stays() {
        let p = plan(Some("own"), &v(&["a", "b"]), &v(&["b", "c", "c", "own"])).unwrap();
        assert_eq!(p, ServicesPlan { others: v(&["b", "c"]), added: v(&["c"]), removed: v(&["a"]) });
        // Leaving the own service out does not remove it.
        let p = plan(Some("own"), &v(&["a"]), &v(&[])).unwrap();
        assert_eq!((p.others, p.removed, p.added), (v(&[]), v(&["a"]), v(&[])));
        // The same set again changes nothing (a retry is safe).
        let p = plan(Some("own"), &v(&["a", "b"]), &v(&["own", "b", "a"])).unwrap();
        assert!(!p.is_change());
        assert_eq!(plan(None, &[], &v(&["a"])).unwrap().added, v(&["a"]));
        assert_eq!(plan(None, &[], &v(&[" "])).unwrap_err().0, "service_ids");
        let many: Vec<String> = (0..=MAX_SERVICES).map(|i| i.to_string()).collect();
        assert_eq!(plan(None, &[], &many).unwrap_err().0, "service_ids");
    }

    #[test]
    fn the_message_names_added_and_removed() {
        let ann = Person { id: "u1", name: "Ann" };
        assert_eq!(message(ann, &["API"], &[]), "Ann added affected services: API");
        assert_eq!(message(ann, &[], &["DB", "Web"]), "Ann removed affected services: DB, Web");
        assert_eq!(message(ann, &["API"], &["DB"]), "Ann changed the affected services: added API; removed DB");
    }
}
