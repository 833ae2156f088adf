//! Moving from PagerDuty or Opsgenie in one step: the vendor's own REST answers (users, teams,
//! services, schedules, escalation policies, …) are read into an [`Export`] in Tocsin's terms
//! ([`pagerduty::read`], [`opsgenie::read`]), then [`plan`] decides, against what the
//! organisation already has, what will be created, what already exists (matched by e-mail, or
//! remembered from an earlier import by the vendor's id) and what cannot be mapped and why.
//! [`Plan::writes`] turns the plan into the rows to insert, all with their new ids resolved, for
//! the worker to write in one batch. Pure: time comes in as an argument, ids from the caller.

pub mod opsgenie;
pub mod pagerduty;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Utc, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::auth::Role;
use crate::escalation::{Level, Policy, Target};
use crate::ids::UserId;
use crate::schedule::{Layer, Override, Restriction, Turn};
use crate::validation::FieldError;

/// The most of each kind one import takes (one D1 batch holds everything).
pub const MAX_USERS: usize = 200;
pub const MAX_SCHEDULES: usize = 100;
pub const MAX_POLICIES: usize = 100;
pub const MAX_SERVICES: usize = 100;

/// Which vendor an export comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum Source {
    Pagerduty,
    Opsgenie,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Pagerduty => "pagerduty",
            Source::Opsgenie => "opsgenie",
        }
    }

    /// Reads a request body (the vendor's JSON) into an export.
    pub fn read(self, body: &serde_json::Value, now: DateTime<Utc>) -> Result<Export, FieldError> {
        match self {
            Source::Pagerduty => pagerduty::read(body, now),
            Source::Opsgenie => opsgenie::read(body, now),
        }
    }

    /// Where a sender of this vendor's format sends to Tocsin, said in the vendor's own terms.
    fn integration(self, base: &str, key: Option<&str>, kept: bool) -> Integration {
        let base = base.trim_end_matches('/');
        let shown = key.unwrap_or("<generated when applied>");
        match self {
            Source::Pagerduty => Integration {
                vendor: self,
                url: format!("{base}/v2/enqueue"),
                replaces: "https://events.pagerduty.com/v2/enqueue".into(),
                key: key.map(str::to_string),
                key_kept: kept,
                how: if kept {
                    format!("Events API v2: change only the URL to {base}/v2/enqueue (change events: {base}/v2/change/enqueue); the routing_key stays {shown}")
                } else {
                    format!("Events API v2: send to {base}/v2/enqueue with routing_key {shown} (the URL and the key change)")
                },
            },
            Source::Opsgenie => Integration {
                vendor: self,
                url: format!("{base}/v2/alerts"),
                replaces: "https://api.opsgenie.com/v2/alerts".into(),
                key: key.map(str::to_string),
                key_kept: kept,
                how: if kept {
                    format!("Alert API v2: change only the API URL from https://api.opsgenie.com to {base}; the header stays Authorization: GenieKey {shown}")
                } else {
                    format!("Alert API v2: send to {base}/v2/alerts with Authorization: GenieKey {shown} (the URL and the key change)")
                },
            },
        }
    }
}

impl std::str::FromStr for Source {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "pagerduty" => Ok(Source::Pagerduty),
            "opsgenie" => Ok(Source::Opsgenie),
            _ => Err(()),
        }
    }
}

// ---- What an export says, in Tocsin's terms (vendor ids kept as references) -----------------

/// A vendor export read into Tocsin's model. Layers, overrides and policies name the vendor's
/// user and schedule ids; [`Plan::writes`] swaps in Tocsin's.
#[derive(Clone, Debug, Default)]
pub struct Export {
    pub users: Vec<SourceUser>,
    pub schedules: Vec<SourceSchedule>,
    pub policies: Vec<SourcePolicy>,
    pub services: Vec<SourceService>,
    pub not_mapped: Vec<NotMapped>,
}

#[derive(Clone, Debug)]
pub struct SourceUser {
    pub id: String,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub notes: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct SourceSchedule {
    pub id: String,
    pub name: String,
    pub time_zone: Tz,
    /// Lowest priority first, participants by the vendor's user ids.
    pub layers: Vec<Layer>,
    pub overrides: Vec<Override>,
    pub notes: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct SourcePolicy {
    pub id: String,
    pub name: String,
    /// Targets by the vendor's user and schedule ids.
    pub policy: Policy,
    pub notes: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct SourceService {
    pub id: String,
    pub name: String,
    pub description: String,
    /// The vendor's escalation policy id.
    pub policy: Option<String>,
    /// The vendor's integration key, kept when it is strong enough and free.
    pub key: Option<String>,
    pub notes: Vec<String>,
}

/// Something of the export that will not be imported, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct NotMapped {
    /// `user`, `team`, `schedule`, `escalation_policy`, `service`, `heartbeat`, …
    pub kind: String,
    pub source_id: String,
    pub name: String,
    pub reason: String,
}

impl NotMapped {
    pub fn new(kind: &str, source_id: &str, name: &str, reason: impl Into<String>) -> Self {
        Self { kind: kind.into(), source_id: source_id.into(), name: name.into(), reason: reason.into() }
    }
}

// ---- What the organisation already has ---------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    User,
    Schedule,
    EscalationPolicy,
    Service,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::User => "user",
            Kind::Schedule => "schedule",
            Kind::EscalationPolicy => "escalation_policy",
            Kind::Service => "service",
        }
    }
}

impl std::str::FromStr for Kind {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        Ok(match s {
            "user" => Kind::User,
            "schedule" => Kind::Schedule,
            "escalation_policy" => Kind::EscalationPolicy,
            "service" => Kind::Service,
            _ => return Err(()),
        })
    }
}

/// What an earlier import from the same vendor made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Imported {
    pub kind: Kind,
    pub source_id: String,
    pub tocsin_id: String,
    /// False when it has been deleted since (it is then made again).
    pub alive: bool,
}

#[derive(Clone, Debug, Default)]
pub struct Existing {
    /// The organisation's people: (id, e-mail).
    pub users: Vec<(String, String)>,
    pub imported: Vec<Imported>,
    /// The organisation's services: (id, name, integration key).
    pub services: Vec<(String, String, String)>,
    /// Integration keys of the export already used by some service anywhere (keys are unique).
    pub keys_in_use: Vec<String>,
}

impl Existing {
    fn remembered(&self, kind: Kind, source_id: &str) -> Option<&Imported> {
        self.imported.iter().find(|i| i.kind == kind && i.source_id == source_id)
    }
}

// ---- The plan ----------------------------------------------------------------------------------

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
    source: SourceSchedule,
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
    source: Policy,
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

// ---- Rows to write -------------------------------------------------------------------------

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

// ---- Shared by both vendors ------------------------------------------------------------------

/// A turn length in seconds as Tocsin counts turns (wall-clock days, weeks or whole hours).
pub(crate) fn turn_of_seconds(secs: i64) -> Result<Turn, String> {
    match secs {
        86_400 => Ok(Turn::Daily),
        604_800 => Ok(Turn::Weekly),
        s if s > 0 && s % 3600 == 0 && s / 3600 <= 168 => Ok(Turn::Hours { hours: (s / 3600) as u32 }),
        s => Err(format!("turns of {s} seconds: Tocsin turns are whole hours up to a week (or a day, or a week)")),
    }
}

/// A window of `minutes` from `start` (on `day` for weekly windows) as a restriction; `None`
/// when it covers the whole day (or week), i.e. does not restrict.
pub(crate) fn window(day: Option<Weekday>, start: NaiveTime, minutes: i64) -> Result<Option<Restriction>, String> {
    if minutes <= 0 {
        return Err(format!("a window of {minutes} minutes"));
    }
    let whole = if day.is_some() { 7 * 1440 } else { 1440 };
    if minutes >= whole {
        return Ok(None);
    }
    // Any Monday serves as the reference week.
    let monday = NaiveDate::from_ymd_opt(2024, 1, 1).expect("a date");
    let from = (monday + Duration::days(i64::from(day.map_or(0, |d| d.num_days_from_monday())))).and_time(start);
    let to = from + Duration::minutes(minutes);
    Ok(Some(match day {
        None => Restriction::Daily { start, end: to.time() },
        Some(d) => Restriction::Weekly { start_day: d, start, end_day: to.weekday(), end: to.time() },
    }))
}

/// Where two layers both apply (every half hour of a reference week): the first such local time.
pub(crate) fn overlap(a: &Layer, b: &Layer) -> Option<NaiveDateTime> {
    let applies = |l: &Layer, t: NaiveDateTime| l.restrictions.is_empty() || l.restrictions.iter().any(|r| r.contains(t));
    let monday = NaiveDate::from_ymd_opt(2024, 1, 1).expect("a date").and_hms_opt(0, 0, 0).expect("a time");
    (0..7 * 48).map(|i| monday + Duration::minutes(30 * i)).find(|t| applies(a, *t) && applies(b, *t))
}

/// Validates the sizes of an export's lists.
pub(crate) fn check_sizes(users: usize, schedules: usize, policies: usize, services: usize, policies_field: &str) -> Result<(), FieldError> {
    for (n, max, field) in [(users, MAX_USERS, "users"), (schedules, MAX_SCHEDULES, "schedules"), (policies, MAX_POLICIES, policies_field), (services, MAX_SERVICES, "services")] {
        if n > max {
            return Err(FieldError::new(field, format!("at most {max} per import (this has {n}): import in parts")));
        }
    }
    Ok(())
}

/// Deserializes one value, naming the exact field at fault (`schedules[0].schedule_layers[1].users`).
pub(crate) fn parse<T: serde::de::DeserializeOwned>(v: &serde_json::Value, at: &str) -> Result<T, FieldError> {
    serde_path_to_error::deserialize(v).map_err(|e| {
        let path = e.path().to_string();
        let msg = e.inner().to_string();
        let missing = msg.split('`').nth(1).filter(|_| msg.starts_with("missing field"));
        let inner = match (path.as_str(), missing) {
            (".", Some(m)) => m.to_string(),
            (".", None) => String::new(),
            (p, Some(m)) => format!("{p}.{m}"),
            (p, None) => p.to_string(),
        };
        let field = match (at, inner.as_str()) {
            ("", i) => i.to_string(),
            (a, "") => a.to_string(),
            (a, i) if i.starts_with('[') => format!("{a}{i}"),
            (a, i) => format!("{a}.{i}"),
        };
        FieldError::new(field, msg)
    })
}

/// The body must be an object holding only the vendor's lists, each a JSON array.
pub(crate) fn check_top_level(body: &serde_json::Value, known: &[&str]) -> Result<(), FieldError> {
    let obj = body.as_object().ok_or_else(|| FieldError::new("body", "must be a JSON object holding the vendor's lists"))?;
    for (k, v) in obj {
        if !known.contains(&k.as_str()) {
            return Err(FieldError::new(k.clone(), format!("is not one of {}", known.join(", "))));
        }
        if !v.is_array() && !v.is_null() {
            return Err(FieldError::new(k.clone(), "must be a JSON array (the vendor's list as its API returns it)"));
        }
    }
    if obj.values().all(|v| v.as_array().is_none_or(|a| a.is_empty())) {
        return Err(FieldError::new("body", format!("nothing to import: give at least one of {}", known.join(", "))));
    }
    Ok(())
}

/// The elements of a top-level list (absent or null: none).
pub(crate) fn list<'a>(body: &'a serde_json::Value, field: &str) -> &'a [serde_json::Value] {
    body.get(field).and_then(|v| v.as_array()).map(Vec::as_slice).unwrap_or(&[])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn export() -> Export {
        let user = |id: &str, email: &str| SourceUser { id: id.into(), email: email.into(), name: id.into(), role: Role::Responder, notes: vec![] };
        let t = |h| NaiveTime::from_hms_opt(h, 0, 0).unwrap();
        let layer = Layer {
            name: "L".into(),
            participants: vec![UserId("PA".into()), UserId("PB".into())],
            start: NaiveDate::from_ymd_opt(2030, 1, 7).unwrap().and_time(t(9)),
            turn: Turn::Weekly,
            restrictions: vec![],
        };
        Export {
            users: vec![user("PA", "a@example.com"), user("PB", "b@example.com")],
            schedules: vec![SourceSchedule {
                id: "S1".into(),
                name: "Primary".into(),
                time_zone: chrono_tz::UTC,
                layers: vec![layer],
                overrides: vec![Override { user: UserId("PB".into()), start: DateTime::from_timestamp(1_900_000_000, 0).unwrap(), end: DateTime::from_timestamp(1_900_003_600, 0).unwrap() }],
                notes: vec![],
            }],
            policies: vec![SourcePolicy {
                id: "P1".into(),
                name: "Esc".into(),
                policy: Policy {
                    levels: vec![
                        Level { targets: vec![Target::Schedule("S1".into())], delay_minutes: 10 },
                        Level { targets: vec![Target::User(UserId("PA".into())), Target::Schedule("GONE".into())], delay_minutes: 5 },
                        Level { targets: vec![Target::User(UserId("NOBODY".into()))], delay_minutes: 5 },
                    ],
                    repeats: 1,
                },
                notes: vec![],
            }],
            services: vec![SourceService { id: "SV1".into(), name: "API".into(), description: String::new(), policy: Some("P1".into()), key: Some("0123456789abcdef0123456789abcdef".into()), notes: vec![] }],
            not_mapped: vec![],
        }
    }

    fn counter() -> impl FnMut() -> String {
        let mut n = 0;
        move || {
            n += 1;
            format!("id{n}")
        }
    }

    #[test]
    fn a_fresh_organisation_gets_everything_with_tocsin_ids_resolved() {
        let e = export();
        let p = plan(Source::Pagerduty, &e, &Existing::default(), "https://t.example/");
        assert_eq!(p.summary.create, Counts { users: 2, schedules: 1, overrides: 1, escalation_policies: 1, services: 1 });
        assert_eq!(p.schedules[0].layers[0].participants, ["a@example.com", "b@example.com"]);
        assert_eq!(p.escalation_policies[0].levels.len(), 2, "the level naming nobody imported is left out");
        assert!(p.escalation_policies[0].notes.iter().any(|n| n.contains("schedule GONE")), "{:?}", p.escalation_policies[0].notes);
        let i = &p.services[0].integration;
        assert_eq!((i.url.as_str(), i.key_kept, i.key.as_deref()), ("https://t.example/v2/enqueue", true, Some("0123456789abcdef0123456789abcdef")));
        let w = p.writes(&Existing::default(), counter());
        let ids: Vec<&str> = w.users.iter().map(|u| u.id.as_str()).collect();
        assert_eq!(ids, ["id1", "id2"]);
        assert_eq!(w.schedules[0].layers[0].participants, [UserId("id1".into()), UserId("id2".into())]);
        assert_eq!(w.overrides[0].user_id, "id2");
        assert_eq!(w.overrides[0].schedule_id, w.schedules[0].id);
        assert_eq!(w.policies[0].policy.levels[0].targets, [Target::Schedule(w.schedules[0].id.clone())]);
        assert_eq!(w.policies[0].policy.levels[1].targets, [Target::User(UserId("id1".into()))]);
        assert_eq!(w.services[0].policy_id.as_deref(), Some(w.policies[0].id.as_str()));
        assert_eq!(w.services[0].key.as_deref(), Some("0123456789abcdef0123456789abcdef"));
    }

    #[test]
    fn what_exists_is_matched_and_nothing_is_made_twice() {
        let e = export();
        let existing = Existing {
            users: vec![("u-a".into(), "A@Example.com".into())],
            imported: vec![
                Imported { kind: Kind::User, source_id: "PB".into(), tocsin_id: "u-b".into(), alive: true },
                Imported { kind: Kind::Schedule, source_id: "S1".into(), tocsin_id: "s-1".into(), alive: true },
                Imported { kind: Kind::EscalationPolicy, source_id: "P1".into(), tocsin_id: "p-1".into(), alive: false },
                Imported { kind: Kind::Service, source_id: "SV1".into(), tocsin_id: "sv-1".into(), alive: true },
            ],
            services: vec![("sv-1".into(), "API".into(), "0123456789abcdef0123456789abcdef".into())],
            keys_in_use: vec!["0123456789abcdef0123456789abcdef".into()],
        };
        let p = plan(Source::Opsgenie, &e, &existing, "https://t.example");
        assert_eq!(p.summary.create, Counts { users: 0, schedules: 0, overrides: 0, escalation_policies: 1, services: 0 });
        assert_eq!(p.users[0].tocsin_id.as_deref(), Some("u-a"), "matched by e-mail, whatever its case");
        assert_eq!(p.services[0].integration.url, "https://t.example/v2/alerts");
        assert!(p.services[0].integration.key_kept);
        let w = p.writes(&existing, counter());
        assert_eq!((w.users.len(), w.schedules.len(), w.services.len()), (0, 0, 0));
        assert_eq!(w.policies[0].policy.levels[0].targets, [Target::Schedule("s-1".into())], "the existing schedule is used");
        assert_eq!(w.forget, [(Kind::EscalationPolicy, "P1".to_string(), "p-1".to_string())], "the deleted one is made again");
    }

    #[test]
    fn a_taken_name_or_key_is_said_not_hidden() {
        let e = export();
        let mut existing = Existing { services: vec![("x".into(), "api".into(), "k".into())], ..Default::default() };
        let p = plan(Source::Pagerduty, &e, &existing, "https://t.example");
        assert!(p.services.is_empty());
        assert_eq!(p.not_mapped[0].kind, "service");
        existing.services.clear();
        existing.keys_in_use = vec!["0123456789abcdef0123456789abcdef".into()];
        let p = plan(Source::Pagerduty, &e, &existing, "https://t.example");
        assert!(!p.services[0].integration.key_kept && p.services[0].integration.key.is_none());
        assert!(p.services[0].notes[0].contains("already used"));
        assert!(!key_is_strong("short"));
        assert!(key_is_strong("eb243592-faa2-4ba2-a551q-1afdf565c889".replace('q', "").as_str()));
    }

    #[test]
    fn a_schedule_naming_someone_unknown_is_not_mapped() {
        let mut e = export();
        e.schedules[0].layers[0].participants.push(UserId("PX".into()));
        let p = plan(Source::Pagerduty, &e, &Existing::default(), "https://t.example");
        assert!(p.schedules.is_empty());
        assert!(p.not_mapped.iter().any(|n| n.kind == "schedule" && n.reason.contains("PX")));
        assert!(p.escalation_policies[0].notes.iter().any(|n| n.contains("schedule S1")), "its policy loses the schedule");
    }

    #[test]
    fn windows_and_turns() {
        let t = |h, m| NaiveTime::from_hms_opt(h, m, 0).unwrap();
        assert_eq!(window(None, t(9, 0), 540).unwrap(), Some(Restriction::Daily { start: t(9, 0), end: t(18, 0) }));
        assert_eq!(window(None, t(22, 0), 600).unwrap(), Some(Restriction::Daily { start: t(22, 0), end: t(8, 0) }));
        assert_eq!(window(None, t(0, 0), 1440).unwrap(), None);
        assert_eq!(
            window(Some(Weekday::Fri), t(18, 0), 63 * 60).unwrap(),
            Some(Restriction::Weekly { start_day: Weekday::Fri, start: t(18, 0), end_day: Weekday::Mon, end: t(9, 0) })
        );
        assert!(window(None, t(9, 0), 0).is_err());
        assert_eq!(turn_of_seconds(86_400), Ok(Turn::Daily));
        assert_eq!(turn_of_seconds(43_200), Ok(Turn::Hours { hours: 12 }));
        assert!(turn_of_seconds(5_400).is_err());
        assert!(turn_of_seconds(1_209_600).is_err(), "two weeks");
    }

    /// The test fixtures (tests/fixtures/import/, also imported end to end) read, planned and
    /// written, then compared minute by minute for their 30 days with the vendors' own rendered
    /// entries held in them (PagerDuty's `final_schedule`, Opsgenie's `finalTimeline`).
    #[test]
    fn the_fixtures_put_the_same_people_on_call_as_the_vendors_render() {
        use crate::schedule::{on_call, Schedule};
        let now = DateTime::parse_from_rfc3339("2026-12-01T00:00:00Z").unwrap().with_timezone(&Utc);
        let at = |v: &serde_json::Value| DateTime::parse_from_rfc3339(v.as_str().unwrap()).unwrap().with_timezone(&Utc);
        let check = |source: Source, body: &str, rendered: Vec<(String, Vec<(DateTime<Utc>, DateTime<Utc>, String)>)>| {
            let body: serde_json::Value = serde_json::from_str(body).unwrap();
            let export = source.read(&body, now).unwrap();
            let p = plan(source, &export, &Existing::default(), "https://t.example");
            let w = p.writes(&Existing::default(), counter());
            assert!(!rendered.is_empty());
            for (schedule_source, entries) in rendered {
                let new = w.schedules.iter().find(|s| s.source_id == schedule_source).unwrap_or_else(|| panic!("{schedule_source} imported"));
                let s = Schedule {
                    time_zone: new.time_zone.parse().unwrap(),
                    layers: new.layers.clone(),
                    overrides: w.overrides.iter().filter(|o| o.schedule_id == new.id).map(|o| Override { user: UserId(o.user_id.clone()), start: o.start, end: o.end }).collect(),
                };
                let vendor_id = |tocsin: &UserId| w.users.iter().find(|u| u.id == tocsin.0).map(|u| u.source_id.clone()).unwrap();
                let (from, to) = (entries[0].0, entries.last().unwrap().1);
                assert_eq!((to - from).num_days(), 30);
                let mut t = from;
                let mut checked = 0;
                while t < to {
                    let mut want: Vec<String> = entries.iter().filter(|(a, b, _)| *a <= t && t < *b).map(|(_, _, u)| u.clone()).collect();
                    want.sort();
                    let got: Vec<String> = on_call(&s, t).iter().map(vendor_id).collect();
                    assert_eq!(got, want, "{schedule_source} at {t}");
                    t += Duration::minutes(1);
                    checked += 1;
                }
                assert_eq!(checked, 30 * 1440);
            }
        };
        let pd: serde_json::Value = serde_json::from_str(include_str!("../../../tests/fixtures/import/pagerduty.json")).unwrap();
        let rendered = pd["schedules"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| !s["final_schedule"]["rendered_schedule_entries"].as_array().unwrap().is_empty())
            .map(|s| {
                let e = s["final_schedule"]["rendered_schedule_entries"].as_array().unwrap().iter().map(|e| (at(&e["start"]), at(&e["end"]), e["user"]["id"].as_str().unwrap().to_string())).collect();
                (s["id"].as_str().unwrap().to_string(), e)
            })
            .collect();
        check(Source::Pagerduty, include_str!("../../../tests/fixtures/import/pagerduty.json"), rendered);
        let og: serde_json::Value = serde_json::from_str(include_str!("../../../tests/fixtures/import/opsgenie_timeline.json")).unwrap();
        let rendered = og
            .as_array()
            .unwrap()
            .iter()
            .map(|answer| {
                let d = &answer["data"];
                let mut e: Vec<_> = d["finalTimeline"]["rotations"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .flat_map(|r| r["periods"].as_array().unwrap().iter())
                    .map(|p| (at(&p["startDate"]), at(&p["endDate"]), p["recipient"]["id"].as_str().unwrap().to_string()))
                    .collect();
                e.sort_by_key(|x| x.0);
                // The window is the answer's own (entries may start later or end earlier).
                e.insert(0, (at(&d["startDate"]), at(&d["startDate"]), String::new()));
                e.push((at(&d["endDate"]), at(&d["endDate"]), String::new()));
                (d["_parent"]["id"].as_str().unwrap().to_string(), e)
            })
            .collect();
        check(Source::Opsgenie, include_str!("../../../tests/fixtures/import/opsgenie.json"), rendered);
    }
}
