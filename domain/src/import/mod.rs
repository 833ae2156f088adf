//! Moving from PagerDuty or Opsgenie in one step: the vendor's own REST answers (users, teams,
//! services, schedules, escalation policies, …) are read into an [`Export`] in Tocsin's terms
//! ([`pagerduty::read`], [`opsgenie::read`]), then [`plan`] decides, against what the
//! organisation already has, what will be created, what already exists (matched by e-mail, or
//! remembered from an earlier import by the vendor's id) and what cannot be mapped and why.
//! [`Plan::writes`] turns the plan into the rows to insert, all with their new ids resolved, for
//! the worker to write in one batch. Pure: time comes in as an argument, ids from the caller.

pub mod opsgenie;
pub mod pagerduty;
mod plan;
mod shared;
#[cfg(test)]
mod tests;
mod writes;

pub use plan::*;
pub(crate) use shared::{check_sizes, check_top_level, list, overlap, parse, turn_of_seconds, window};
pub use writes::*;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::auth::Role;
use crate::escalation::Policy;
use crate::schedule::{Layer, Override};
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
