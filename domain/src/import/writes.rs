//! The rows applying a plan inserts ([`Plan::writes`]), with Tocsin's new ids swapped in for the
//! vendor's throughout.

use chrono::{DateTime, Utc};

use super::{Action, Counts, Existing, Kind, Plan};
use crate::auth::Role;
use crate::escalation::{Level, Policy, Target};
use crate::ids::UserId;
use crate::schedule::Layer;

#[derive(Clone, Debug, PartialEq)]
pub struct NewUser {
    pub id: String,
    pub source_id: String,
    pub email: String,
    pub name: String,
    pub role: Role,
}

#[derive(Clone, Debug, PartialEq)]
pub struct NewSchedule {
    pub id: String,
    pub source_id: String,
    pub name: String,
    pub time_zone: String,
    pub layers: Vec<Layer>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct NewOverride {
    pub id: String,
    pub schedule_id: String,
    pub user_id: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct NewPolicy {
    pub id: String,
    pub source_id: String,
    pub name: String,
    pub policy: Policy,
}

#[derive(Clone, Debug, PartialEq)]
pub struct NewService {
    pub id: String,
    pub source_id: String,
    pub name: String,
    pub description: String,
    /// `None`: the worker generates one.
    pub key: Option<String>,
    pub policy_id: Option<String>,
}

/// Everything applying a plan inserts, Tocsin ids throughout.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Writes {
    pub users: Vec<NewUser>,
    pub schedules: Vec<NewSchedule>,
    pub overrides: Vec<NewOverride>,
    pub policies: Vec<NewPolicy>,
    pub services: Vec<NewService>,
    /// What an earlier import made that has since been deleted (made again now): its memory
    /// row is replaced, (kind, source id, the old Tocsin id).
    pub forget: Vec<(Kind, String, String)>,
}

impl Writes {
    pub fn counts(&self) -> Counts {
        Counts { users: self.users.len(), schedules: self.schedules.len(), overrides: self.overrides.len(), escalation_policies: self.policies.len(), services: self.services.len() }
    }
}

impl Plan {
    /// The rows that applying this plan inserts; `new_id` gives each new row its id.
    pub fn writes(&self, existing: &Existing, mut new_id: impl FnMut() -> String) -> Writes {
        let mut w = Writes::default();
        let mut forget = |kind: Kind, source_id: &str| {
            if let Some(i) = existing.remembered(kind, source_id).filter(|i| !i.alive) {
                w.forget.push((kind, source_id.to_string(), i.tocsin_id.clone()));
            }
        };
        let mut user_ids: Vec<(String, String)> = Vec::new();
        let mut new_users = Vec::new();
        for u in &self.users {
            let id = match &u.tocsin_id {
                Some(id) => id.clone(),
                None => {
                    forget(Kind::User, &u.source_id);
                    let id = new_id();
                    new_users.push(NewUser { id: id.clone(), source_id: u.source_id.clone(), email: u.email.clone(), name: u.name.clone(), role: u.role });
                    id
                }
            };
            user_ids.push((u.source_id.clone(), id));
        }
        let user = |source: &str| user_ids.iter().find(|(s, _)| s == source).map(|(_, id)| UserId(id.clone()));
        let mut schedule_ids: Vec<(String, String)> = Vec::new();
        let (mut schedules, mut overrides) = (Vec::new(), Vec::new());
        for s in &self.schedules {
            if let Some(id) = &s.tocsin_id {
                schedule_ids.push((s.source_id.clone(), id.clone()));
                continue;
            }
            forget(Kind::Schedule, &s.source_id);
            let id = new_id();
            let layers = s
                .source
                .layers
                .iter()
                .map(|l| Layer { participants: l.participants.iter().filter_map(|p| user(p.as_str())).collect(), ..l.clone() })
                .collect();
            for o in &s.source.overrides {
                if let Some(u) = user(o.user.as_str()) {
                    overrides.push(NewOverride { id: new_id(), schedule_id: id.clone(), user_id: u.0, start: o.start, end: o.end });
                }
            }
            schedules.push(NewSchedule { id: id.clone(), source_id: s.source_id.clone(), name: s.name.clone(), time_zone: s.time_zone.clone(), layers });
            schedule_ids.push((s.source_id.clone(), id));
        }
        let mut policy_ids: Vec<(String, String)> = Vec::new();
        let mut policies = Vec::new();
        for p in &self.escalation_policies {
            if let Some(id) = &p.tocsin_id {
                policy_ids.push((p.source_id.clone(), id.clone()));
                continue;
            }
            forget(Kind::EscalationPolicy, &p.source_id);
            let id = new_id();
            let levels = p
                .source
                .levels
                .iter()
                .map(|l| Level {
                    delay_minutes: l.delay_minutes,
                    targets: l
                        .targets
                        .iter()
                        .filter_map(|t| match t {
                            Target::User(u) => user(u.as_str()).map(Target::User),
                            Target::Schedule(s) => schedule_ids.iter().find(|(x, _)| x == s).map(|(_, id)| Target::Schedule(id.clone())),
                        })
                        .collect(),
                })
                .collect();
            policies.push(NewPolicy { id: id.clone(), source_id: p.source_id.clone(), name: p.name.clone(), policy: Policy { levels, repeats: p.repeats } });
            policy_ids.push((p.source_id.clone(), id));
        }
        let mut services = Vec::new();
        for s in self.services.iter().filter(|s| s.action == Action::Create) {
            forget(Kind::Service, &s.source_id);
            let policy_id = s.escalation_policy.as_ref().and_then(|p| policy_ids.iter().find(|(x, _)| x == p)).map(|(_, id)| id.clone());
            services.push(NewService {
                id: new_id(),
                source_id: s.source_id.clone(),
                name: s.name.clone(),
                description: s.description.clone(),
                key: s.integration.key.clone().filter(|_| s.integration.key_kept),
                policy_id,
            });
        }
        w.users = new_users;
        w.schedules = schedules;
        w.overrides = overrides;
        w.policies = policies;
        w.services = services;
        w
    }
}
