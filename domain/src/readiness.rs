//! Readiness: what the next incident will trip over, as findings over plain facts about an
//! organisation (its services, escalation policies, schedules, people, action items) at an
//! instant `now`. No IO, no clock: the worker loads the facts, this decides.
//!
//! Rules (each a function below, each finding linking to the app page where it is fixed):
//! - a service without an escalation policy (or with one that no longer exists): blocking;
//! - a schedule a policy pages with a minute in the next 14 days where nobody *active* is on call
//!   (deactivated people count as a gap, as `crate::coverage` says): blocking, or a warning when
//!   the policy also pages an active person directly (someone is reached, later); the first gap's
//!   start and end are reported in the organisation's time zone;
//! - a person on call in the next 14 days (or named directly by a policy) with no working way to
//!   be paged — no push device without a failure (push on), and no personal webhook: blocking;
//! - a runbook checklist that is empty, never reviewed, or last reviewed over 90 days ago
//!   (exactly 90 days is still fine): warning;
//! - an open action item past its due instant: warning;
//! - a service's integration that has not received an event in over 30 days, or never: warning.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;

use crate::api::readiness::{Finding, FindingKind, FindingSeverity, FindingSubject, KindCount, ReadinessReport, SubjectKind};
use crate::escalation::{Policy, Target};
use crate::ids::UserId;
use crate::schedule::{shifts, Schedule};

/// How far ahead schedules are checked for gaps and people on call.
pub const HORIZON_DAYS: i64 = 14;
/// A runbook checklist reviewed longer ago than this is flagged.
pub const REVIEW_MAX_AGE_DAYS: i64 = 90;
/// An integration quiet for longer than this is flagged.
pub const QUIET_DAYS: i64 = 30;

#[derive(Clone, Debug, PartialEq)]
pub struct ServiceFacts {
    pub id: String,
    pub name: String,
    pub policy_id: Option<String>,
    pub checklist_steps: usize,
    pub checklist_reviewed_at: Option<DateTime<Utc>>,
    /// The last alert or change event received on the service's integration key.
    pub last_event_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct PolicyFacts {
    pub id: String,
    pub name: String,
    pub policy: Policy,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ScheduleFacts {
    pub id: String,
    pub name: String,
    pub schedule: Schedule,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PersonFacts {
    pub id: UserId,
    pub name: String,
    /// Not deactivated (deactivated people are never paged: they are schedule gaps instead).
    pub active: bool,
    /// Push turned on in their contact preferences (the default).
    pub push_enabled: bool,
    /// Their push devices, and how many of them failed on their last delivery.
    pub devices: usize,
    pub failing_devices: usize,
    /// A personal webhook (Slack, Teams, generic) is set.
    pub webhook: bool,
}

impl PersonFacts {
    /// Whether a page can reach them: a device that did not fail last time (push on), or a webhook.
    pub fn reachable(&self) -> bool {
        self.webhook || (self.push_enabled && self.devices > self.failing_devices)
    }

    fn why_unreachable(&self) -> &'static str {
        if self.devices == 0 {
            "has no device for notifications and no webhook"
        } else if !self.push_enabled {
            "has push notifications turned off and no webhook"
        } else {
            "has no working device (every device failed its last notification) and no webhook"
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActionItemFacts {
    pub id: String,
    pub title: String,
    pub open: bool,
    pub due_at: Option<DateTime<Utc>>,
    pub owner: Option<String>,
}

/// Everything the rules look at.
#[derive(Clone, Debug)]
pub struct Facts {
    pub now: DateTime<Utc>,
    /// The organisation's time zone, for the times written in messages.
    pub time_zone: Tz,
    pub services: Vec<ServiceFacts>,
    pub policies: Vec<PolicyFacts>,
    pub schedules: Vec<ScheduleFacts>,
    pub people: Vec<PersonFacts>,
    pub action_items: Vec<ActionItemFacts>,
}

fn subject(kind: SubjectKind, id: &str, name: &str) -> FindingSubject {
    FindingSubject { kind, id: id.to_string(), name: name.to_string() }
}

fn finding(kind: FindingKind, severity: FindingSeverity, subject: FindingSubject, message: String, fix_path: String) -> Finding {
    Finding { kind, severity, subject, message, fix_path, related: None, since: None, until: None }
}

/// "Tue 8 Dec 18:00" in `tz`.
pub fn local_time(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz).format("%a %-d %b %H:%M").to_string()
}

/// "8 Dec 2026" in `tz`.
pub fn local_date(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz).format("%-d %b %Y").to_string()
}

/// Services whose incidents would page nobody.
pub fn services_without_policy(f: &Facts) -> Vec<Finding> {
    f.services
        .iter()
        .filter_map(|s| {
            let message = match &s.policy_id {
                None => format!("{} has no escalation policy: its incidents page nobody.", s.name),
                Some(p) if !f.policies.iter().any(|x| &x.id == p) => format!("{}'s escalation policy no longer exists: its incidents page nobody.", s.name),
                Some(_) => return None,
            };
            Some(finding(FindingKind::ServiceWithoutPolicy, FindingSeverity::Blocking, subject(SubjectKind::Service, &s.id, &s.name), message, format!("/services/{}", s.id)))
        })
        .collect()
}

/// The first stretch in `[from, to)` with nobody active on call, and when it ends (looking up to
/// `look_to` for the end; `None`: still nobody then). Deactivated people on call are a gap.
pub fn first_gap(s: &Schedule, is_active: impl Fn(&UserId) -> bool, from: DateTime<Utc>, to: DateTime<Utc>, look_to: DateTime<Utc>) -> Option<(DateTime<Utc>, Option<DateTime<Utc>>)> {
    let covered: Vec<(DateTime<Utc>, DateTime<Utc>)> =
        shifts(s, from, look_to.max(to)).into_iter().filter(|sh| sh.users.iter().any(&is_active)).map(|sh| (sh.start, sh.end)).collect();
    // Walk the covered stretches in order; the first hole before `to` is the gap.
    let mut cursor = from;
    let mut gap_start = None;
    for (start, end) in &covered {
        if *start > cursor {
            gap_start = Some(cursor);
            break;
        }
        cursor = cursor.max(*end);
    }
    let start = match gap_start {
        Some(g) => g,
        None if cursor < look_to.max(to) => cursor,
        None => return None,
    };
    if start >= to {
        return None;
    }
    let end = covered.iter().map(|(s, _)| *s).find(|s| *s > start);
    Some((start, end))
}

/// Policies whose schedules leave minutes uncovered in the next 14 days: one finding per policy
/// and schedule, with the first gap.
pub fn schedule_gaps(f: &Facts) -> Vec<Finding> {
    let active: HashMap<&UserId, bool> = f.people.iter().map(|p| (&p.id, p.active)).collect();
    let is_active = |u: &UserId| active.get(u).copied().unwrap_or(false);
    let horizon = f.now + Duration::days(HORIZON_DAYS);
    let look_to = horizon + Duration::days(HORIZON_DAYS);
    let mut gaps: HashMap<&str, Option<(DateTime<Utc>, Option<DateTime<Utc>>)>> = HashMap::new();
    let mut out = Vec::new();
    for p in &f.policies {
        let direct = p.policy.levels.iter().flat_map(|l| &l.targets).any(|t| matches!(t, Target::User(u) if is_active(u)));
        let mut seen: Vec<&str> = Vec::new();
        for t in p.policy.levels.iter().flat_map(|l| &l.targets) {
            let Target::Schedule(sid) = t else { continue };
            if seen.contains(&sid.as_str()) {
                continue;
            }
            seen.push(sid);
            let sched = f.schedules.iter().find(|s| &s.id == sid);
            let gap = *gaps.entry(sid.as_str()).or_insert_with(|| match sched {
                Some(s) => first_gap(&s.schedule, is_active, f.now, horizon, look_to),
                None => Some((f.now, None)),
            });
            let Some((start, end)) = gap else { continue };
            let sched_name = sched.map_or("a deleted schedule", |s| s.name.as_str());
            let when = match (start == f.now, end) {
                (true, Some(e)) => format!("right now, until {}", local_time(e, f.time_zone)),
                (true, None) => "right now, and for the next 4 weeks".to_string(),
                (false, Some(e)) => format!("from {} to {}", local_time(start, f.time_zone), local_time(e, f.time_zone)),
                (false, None) => format!("from {} on", local_time(start, f.time_zone)),
            };
            let then = if direct { "reaches only the people it names directly" } else { "pages nobody from it" };
            let message = format!("Nobody is on call in {sched_name} {when} ({} time), so policy {} {then}.", f.time_zone.name(), p.name);
            let mut x = finding(
                FindingKind::ScheduleGap,
                if direct { FindingSeverity::Warning } else { FindingSeverity::Blocking },
                subject(SubjectKind::Policy, &p.id, &p.name),
                message,
                match sched {
                    Some(_) => format!("/schedules/{sid}"),
                    None => "/escalation-policies".to_string(),
                },
            );
            x.related = Some(subject(SubjectKind::Schedule, sid, sched_name));
            x.since = Some(start);
            x.until = end;
            out.push(x);
        }
    }
    out
}

/// Active people on call in some schedule in the next 14 days (with their first turn and its
/// schedule), or named directly by a policy.
fn people_on_call(f: &Facts) -> BTreeMap<&UserId, (DateTime<Utc>, String)> {
    let horizon = f.now + Duration::days(HORIZON_DAYS);
    let mut out: BTreeMap<&UserId, (DateTime<Utc>, String)> = BTreeMap::new();
    for s in &f.schedules {
        for sh in shifts(&s.schedule, f.now, horizon) {
            for u in &sh.users {
                let Some(p) = f.people.iter().find(|p| &p.id == u && p.active) else { continue };
                let entry = out.entry(&p.id).or_insert((sh.start, s.name.clone()));
                if sh.start < entry.0 {
                    *entry = (sh.start, s.name.clone());
                }
            }
        }
    }
    for pol in &f.policies {
        for t in pol.policy.levels.iter().flat_map(|l| &l.targets) {
            let Target::User(u) = t else { continue };
            let Some(p) = f.people.iter().find(|p| &p.id == u && p.active) else { continue };
            out.entry(&p.id).or_insert((f.now, format!("policy {}", pol.name)));
        }
    }
    out
}

/// People who would be paged in the next 14 days but cannot be reached.
pub fn unreachable_people(f: &Facts) -> Vec<Finding> {
    people_on_call(f)
        .into_iter()
        .filter_map(|(id, (first, via))| {
            let p = f.people.iter().find(|p| &p.id == id)?;
            if p.reachable() {
                return None;
            }
            let when = if first <= f.now { "now".to_string() } else { format!("from {}", local_time(first, f.time_zone)) };
            let message = format!("{} is on call ({via}) {when} but {}: they should turn on notifications on their phone (Me).", p.name, p.why_unreachable());
            let mut x = finding(FindingKind::PersonUnreachable, FindingSeverity::Blocking, subject(SubjectKind::Person, id.as_str(), &p.name), message, "/me".to_string());
            x.since = Some(first);
            Some(x)
        })
        .collect()
}

/// Runbook checklists that are empty, never reviewed, or reviewed over 90 days ago.
pub fn stale_runbooks(f: &Facts) -> Vec<Finding> {
    f.services
        .iter()
        .filter_map(|s| {
            let message = if s.checklist_steps == 0 {
                format!("{} has no runbook checklist: responders start from nothing.", s.name)
            } else {
                match s.checklist_reviewed_at {
                    None => format!("{}'s runbook checklist has never been reviewed.", s.name),
                    Some(at) if f.now - at > Duration::days(REVIEW_MAX_AGE_DAYS) => {
                        format!("{}'s runbook checklist was last reviewed on {}, over {REVIEW_MAX_AGE_DAYS} days ago.", s.name, local_date(at, f.time_zone))
                    }
                    Some(_) => return None,
                }
            };
            let mut x = finding(FindingKind::RunbookStale, FindingSeverity::Warning, subject(SubjectKind::Service, &s.id, &s.name), message, format!("/services/{}#runbook", s.id));
            x.since = s.checklist_reviewed_at.filter(|_| s.checklist_steps > 0);
            Some(x)
        })
        .collect()
}

/// Open action items whose due instant has passed.
pub fn overdue_action_items(f: &Facts) -> Vec<Finding> {
    f.action_items
        .iter()
        .filter_map(|a| {
            let due = a.due_at.filter(|d| a.open && *d < f.now)?;
            let owner = a.owner.as_deref().map(|o| format!(" (owner: {o})")).unwrap_or_else(|| " (no owner)".to_string());
            let message = format!("“{}” was due on {}{owner} and is still open.", a.title, local_date(due, f.time_zone));
            let mut x = finding(FindingKind::ActionItemOverdue, FindingSeverity::Warning, subject(SubjectKind::ActionItem, &a.id, &a.title), message, "/action-items".to_string());
            x.since = Some(due);
            Some(x)
        })
        .collect()
}

/// Integrations with no event in over 30 days, or none ever.
pub fn silent_integrations(f: &Facts) -> Vec<Finding> {
    f.services
        .iter()
        .filter_map(|s| {
            let message = match s.last_event_at {
                None => format!("{}'s integration has never received an event: is its monitoring connected?", s.name),
                Some(at) if f.now - at > Duration::days(QUIET_DAYS) => {
                    format!("{}'s integration has not received an event since {} (over {QUIET_DAYS} days).", s.name, local_date(at, f.time_zone))
                }
                Some(_) => return None,
            };
            let mut x = finding(FindingKind::IntegrationSilent, FindingSeverity::Warning, subject(SubjectKind::Integration, &s.id, &s.name), message, format!("/services/{}#int-h", s.id));
            x.since = s.last_event_at;
            Some(x)
        })
        .collect()
}

/// Every finding: blocking first, then by kind, then by subject name.
pub fn findings(f: &Facts) -> Vec<Finding> {
    let mut all: Vec<Finding> = [services_without_policy(f), schedule_gaps(f), unreachable_people(f), stale_runbooks(f), overdue_action_items(f), silent_integrations(f)].concat();
    all.sort_by(|a, b| (a.severity, a.kind, a.subject.name.to_lowercase(), &a.subject.id).cmp(&(b.severity, b.kind, b.subject.name.to_lowercase(), &b.subject.id)));
    all
}

/// The `GET /api/readiness` answer.
pub fn report(f: &Facts) -> ReadinessReport {
    let findings = findings(f);
    let counts = FindingKind::ALL.iter().map(|k| KindCount { kind: *k, count: findings.iter().filter(|x| x.kind == *k).count() }).collect();
    let blocking = findings.iter().filter(|x| x.severity == FindingSeverity::Blocking).count();
    ReadinessReport { generated_at: f.now, time_zone: f.time_zone.name().to_string(), counts, blocking, warnings: findings.len() - blocking, findings }
}

#[cfg(test)]
mod tests;
