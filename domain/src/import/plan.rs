//! The plan: what applying an export to an organisation creates, what already exists and what
//! cannot be mapped ([`plan`]), as the dry run and the apply answer show it.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Existing, Export, Kind, NotMapped, Source, SourceSchedule};
use crate::auth::Role;
use crate::escalation::{Level, Policy, Target};
use crate::schedule::{Restriction, Turn};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Applying creates it.
    Create,
    /// Already there (same e-mail, or made by an earlier import of the same vendor id): untouched.
    Exists,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct Counts {
    pub users: usize,
    pub schedules: usize,
    pub overrides: usize,
    pub escalation_policies: usize,
    pub services: usize,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct Summary {
    pub create: Counts,
    pub existing: Counts,
    pub not_mapped: usize,
}

/// What an import will do (dry run) or did: deterministic for the same export and state.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct Plan {
    pub source: Source,
    pub summary: Summary,
    pub users: Vec<PlannedUser>,
    pub schedules: Vec<PlannedSchedule>,
    pub escalation_policies: Vec<PlannedPolicy>,
    pub services: Vec<PlannedService>,
    pub not_mapped: Vec<NotMapped>,
}

#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct PlannedUser {
    pub source_id: String,
    pub action: Action,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tocsin_id: Option<String>,
    pub email: String,
    pub name: String,
    pub role: Role,
    /// Created without a password: applying answers a one-time invitation link for each.
    pub invite: bool,
    pub notes: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct PlannedSchedule {
    pub source_id: String,
    pub action: Action,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tocsin_id: Option<String>,
    pub name: String,
    pub time_zone: String,
    /// Lowest priority first, as Tocsin orders them (a later layer wins where it applies).
    pub layers: Vec<PlannedLayer>,
    pub overrides: Vec<PlannedOverride>,
    pub notes: Vec<String>,
    #[serde(skip)]
    pub(super) source: SourceSchedule,
}

#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct PlannedLayer {
    pub name: String,
    pub turn: Turn,
    /// The first handoff, in the schedule's local time.
    pub start: NaiveDateTime,
    pub restrictions: Vec<Restriction>,
    /// By e-mail, in turn order.
    pub participants: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct PlannedOverride {
    pub user: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct PlannedPolicy {
    pub source_id: String,
    pub action: Action,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tocsin_id: Option<String>,
    pub name: String,
    pub repeats: u32,
    pub levels: Vec<PlannedLevel>,
    pub notes: Vec<String>,
    #[serde(skip)]
    pub(super) source: Policy,
}

#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct PlannedLevel {
    pub delay_minutes: u32,
    /// `user: <e-mail>` or `schedule: <name>`.
    pub targets: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct PlannedService {
    pub source_id: String,
    pub action: Action,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tocsin_id: Option<String>,
    pub name: String,
    pub description: String,
    /// The vendor's id of the escalation policy it will use.
    pub escalation_policy: Option<String>,
    pub integration: Integration,
    pub notes: Vec<String>,
}

/// The service's new endpoint in the vendor's own format: switching a sender is changing its URL.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct Integration {
    pub vendor: Source,
    pub url: String,
    /// What the URL replaces.
    pub replaces: String,
    /// The integration key (routing key / GenieKey); `None` until a new one is generated.
    pub key: Option<String>,
    /// True when the vendor's own key is kept, so only the URL changes.
    pub key_kept: bool,
    pub how: String,
}

/// The answer of `POST /api/import/{vendor}`: the plan (a dry run), or after `?apply=true` what
/// was created, the invitation links of the people created (shown once) and the plan as it now
/// stands (everything `exists`, with Tocsin ids and integration keys).
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ImportAnswer {
    pub applied: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<Counts>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub invites: Vec<Invite>,
    pub plan: Plan,
}

/// A one-time link for an imported person to choose a password (as `POST /api/users` gives).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct Invite {
    pub email: String,
    pub invite_url: String,
    pub expires_at: DateTime<Utc>,
}

/// An integration key Tocsin keeps as it is: at least 128 bits' worth of URL-safe characters.
pub fn key_is_strong(key: &str) -> bool {
    (32..=128).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Decides what applying `export` to an organisation holding `existing` does. `base` is this
/// Tocsin's origin (for the integration URLs).
pub fn plan(source: Source, export: &Export, existing: &Existing, base: &str) -> Plan {
    let mut not_mapped = export.not_mapped.clone();
    let mut summary = Summary { create: Counts::default(), existing: Counts::default(), not_mapped: 0 };

    // People: by e-mail first (an address is one person), then by what an earlier import made.
    let mut users = Vec::new();
    for u in &export.users {
        let by_email = existing.users.iter().find(|(_, e)| e.eq_ignore_ascii_case(&u.email)).map(|(id, _)| id.clone());
        let by_source = existing.remembered(Kind::User, &u.id).filter(|i| i.alive).map(|i| i.tocsin_id.clone());
        let tocsin_id = by_email.or(by_source);
        let action = if tocsin_id.is_some() { Action::Exists } else { Action::Create };
        users.push(PlannedUser {
            source_id: u.id.clone(),
            action,
            invite: action == Action::Create,
            tocsin_id,
            email: u.email.clone(),
            name: u.name.clone(),
            role: u.role,
            notes: u.notes.clone(),
        });
    }
    let email_of = |id: &str| users.iter().find(|u| u.source_id == id).map(|u| u.email.clone());

    // Schedules: every participant must be one of the imported people.
    let mut schedules = Vec::new();
    for s in &export.schedules {
        let missing = s.layers.iter().flat_map(|l| l.participants.iter()).find(|p| email_of(p.as_str()).is_none());
        if let Some(p) = missing {
            not_mapped.push(NotMapped::new("schedule", &s.id, &s.name, format!("it names user {p}, who is not among the users of the export (add the vendor's users answer)")));
            continue;
        }
        let mut notes = s.notes.clone();
        let overrides: Vec<PlannedOverride> = s
            .overrides
            .iter()
            .filter_map(|o| match email_of(o.user.as_str()) {
                Some(email) => Some(PlannedOverride { user: email, start: o.start, end: o.end }),
                None => {
                    notes.push(format!("override {} – {} by user {} left out: not among the users of the export", o.start, o.end, o.user));
                    None
                }
            })
            .collect();
        let remembered = existing.remembered(Kind::Schedule, &s.id).filter(|i| i.alive);
        let action = if remembered.is_some() { Action::Exists } else { Action::Create };
        schedules.push(PlannedSchedule {
            source_id: s.id.clone(),
            action,
            tocsin_id: remembered.map(|i| i.tocsin_id.clone()),
            name: s.name.clone(),
            time_zone: s.time_zone.name().to_string(),
            layers: s
                .layers
                .iter()
                .map(|l| PlannedLayer {
                    name: l.name.clone(),
                    turn: l.turn,
                    start: l.start,
                    restrictions: l.restrictions.clone(),
                    participants: l.participants.iter().filter_map(|p| email_of(p.as_str())).collect(),
                })
                .collect(),
            overrides,
            notes,
            source: s.clone(),
        });
    }

    // Policies: targets must be imported people or schedules; what is left must still page someone.
    let mut policies = Vec::new();
    for p in &export.policies {
        let mut notes = p.notes.clone();
        let mut levels = Vec::new();
        let mut kept = Vec::new();
        for (i, l) in p.policy.levels.iter().enumerate() {
            let mut targets = Vec::new();
            let mut labels = Vec::new();
            for t in &l.targets {
                let label = match t {
                    Target::User(u) => email_of(u.as_str()).map(|e| format!("user: {e}")),
                    Target::Schedule(s) => schedules.iter().find(|x| x.source_id == *s).map(|x| format!("schedule: {}", x.name)),
                };
                match label {
                    Some(label) => {
                        targets.push(t.clone());
                        labels.push(label);
                    }
                    None => notes.push(format!("level {}: {} left out: it is not imported", i + 1, describe(t))),
                }
            }
            if targets.is_empty() {
                notes.push(format!("level {} left out: none of its targets is imported", i + 1));
                continue;
            }
            levels.push(PlannedLevel { delay_minutes: l.delay_minutes, targets: labels });
            kept.push(Level { targets, delay_minutes: l.delay_minutes });
        }
        if kept.is_empty() {
            not_mapped.push(NotMapped::new("escalation_policy", &p.id, &p.name, format!("none of its levels pages anyone Tocsin imports ({})", notes.join("; "))));
            continue;
        }
        let remembered = existing.remembered(Kind::EscalationPolicy, &p.id).filter(|i| i.alive);
        let action = if remembered.is_some() { Action::Exists } else { Action::Create };
        policies.push(PlannedPolicy {
            source_id: p.id.clone(),
            action,
            tocsin_id: remembered.map(|i| i.tocsin_id.clone()),
            name: p.name.clone(),
            repeats: p.policy.repeats,
            levels,
            notes,
            source: Policy { levels: kept, repeats: p.policy.repeats },
        });
    }

    // Services: names are unique in an organisation; the vendor's key is kept when it can be.
    let mut services = Vec::new();
    let mut keys_taken: Vec<&str> = Vec::new();
    for s in &export.services {
        let mut notes = s.notes.clone();
        let remembered = existing.remembered(Kind::Service, &s.id).filter(|i| i.alive);
        if let Some(r) = remembered {
            let key = existing.services.iter().find(|(id, _, _)| *id == r.tocsin_id).map(|(_, _, k)| k.as_str());
            let kept = key.is_some() && key == s.key.as_deref();
            services.push(PlannedService {
                source_id: s.id.clone(),
                action: Action::Exists,
                tocsin_id: Some(r.tocsin_id.clone()),
                name: s.name.clone(),
                description: s.description.clone(),
                escalation_policy: s.policy.clone().filter(|p| policies.iter().any(|x| x.source_id == *p)),
                integration: source.integration(base, key, kept),
                notes,
            });
            continue;
        }
        if existing.services.iter().any(|(_, n, _)| n.eq_ignore_ascii_case(&s.name)) {
            not_mapped.push(NotMapped::new("service", &s.id, &s.name, "a service with this name already exists in Tocsin (not made by an import of this export): rename one of them and import again"));
            continue;
        }
        let key = match s.key.as_deref() {
            Some(k) if !key_is_strong(k) => {
                notes.push("its integration key is too short to keep (Tocsin keys have at least 128 bits): a new key is generated".into());
                None
            }
            Some(k) if existing.keys_in_use.iter().any(|x| x == k) || keys_taken.contains(&k) => {
                notes.push("its integration key is already used by another Tocsin service: a new key is generated".into());
                None
            }
            Some(k) => {
                keys_taken.push(k);
                Some(k.to_string())
            }
            None => None,
        };
        let policy = match &s.policy {
            Some(p) if policies.iter().any(|x| x.source_id == *p) => Some(p.clone()),
            Some(p) => {
                notes.push(format!("its escalation policy {p} is not imported: the service pages nobody until it gets one"));
                None
            }
            None => None,
        };
        let kept = key.is_some();
        services.push(PlannedService {
            source_id: s.id.clone(),
            action: Action::Create,
            tocsin_id: None,
            name: s.name.clone(),
            description: s.description.clone(),
            escalation_policy: policy,
            integration: source.integration(base, key.as_deref(), kept),
            notes,
        });
    }

    for u in &users {
        bump(&mut summary, u.action, |c| &mut c.users, 1);
    }
    for s in &schedules {
        bump(&mut summary, s.action, |c| &mut c.schedules, 1);
        bump(&mut summary, s.action, |c| &mut c.overrides, s.overrides.len());
    }
    for p in &policies {
        bump(&mut summary, p.action, |c| &mut c.escalation_policies, 1);
    }
    for s in &services {
        bump(&mut summary, s.action, |c| &mut c.services, 1);
    }
    summary.not_mapped = not_mapped.len();
    Plan { source, summary, users, schedules, escalation_policies: policies, services, not_mapped }
}

fn bump(summary: &mut Summary, action: Action, field: impl Fn(&mut Counts) -> &mut usize, n: usize) {
    let counts = match action {
        Action::Create => &mut summary.create,
        Action::Exists => &mut summary.existing,
    };
    *field(counts) += n;
}

fn describe(t: &Target) -> String {
    match t {
        Target::User(u) => format!("user {u}"),
        Target::Schedule(s) => format!("schedule {s}"),
    }
}
