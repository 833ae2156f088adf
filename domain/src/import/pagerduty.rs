//! Reading a PagerDuty export: the REST API v2 answers, as returned, in one object —
//! `{"users": [...], "teams": [...], "services": [...], "schedules": [...], "escalation_policies": [...]}`
//! where `users`, `teams` and `escalation_policies` are the lists of `GET /users`, `GET /teams`
//! and `GET /escalation_policies`, `services` that of `GET /services?include[]=integrations`, and
//! each schedule is the `schedule` of `GET /schedules/{id}` (with `schedule_layers`), optionally
//! with `overrides` (the list of `GET /schedules/{id}/overrides`); without it the overrides are
//! read from `overrides_subschedule.rendered_schedule_entries`.
//!
//! PagerDuty's rules as mapped here: `GET /schedules/{id}` lists layers highest priority first
//! (the reverse of the order they are created in, which is Tocsin's order); a layer's turns are
//! counted from `rotation_virtual_start` in the schedule's time zone; restrictions are windows in
//! that time zone (`daily_restriction`, or `weekly_restriction` from `start_day_of_week`,
//! 1 = Monday) during which the layer applies, its rotation going on underneath; overrides win
//! over every layer. An escalation rule's `escalation_delay_in_minutes` is the wait before the
//! next rule (and, after the last, before the next loop); `num_loops` is how often it repeats.

use chrono::{DateTime, FixedOffset, NaiveTime, Utc, Weekday};
use chrono_tz::Tz;
use serde::Deserialize;
use serde_json::Value;

use super::{check_sizes, check_top_level, list, parse, turn_of_seconds, Export, NotMapped, SourcePolicy, SourceSchedule, SourceService, SourceUser};
use crate::auth::Role;
use crate::escalation::{Level, Policy, Target};
use crate::ids::UserId;
use crate::schedule::{Layer, Override};
use crate::validation::FieldError;

const LISTS: [&str; 5] = ["users", "teams", "services", "schedules", "escalation_policies"];

#[derive(Deserialize)]
struct User {
    id: String,
    name: String,
    email: String,
    #[serde(default)]
    role: Option<String>,
}

#[derive(Deserialize)]
struct Team {
    id: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    summary: Option<String>,
}

#[derive(Deserialize)]
struct Reference {
    id: String,
    #[serde(rename = "type", default)]
    kind: Option<String>,
}

#[derive(Deserialize)]
struct Service {
    id: String,
    name: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    escalation_policy: Option<Reference>,
    #[serde(default)]
    integrations: Vec<Integration>,
}

#[derive(Deserialize)]
struct Integration {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    summary: Option<String>,
    #[serde(default)]
    integration_key: Option<String>,
}

#[derive(Deserialize)]
struct Schedule {
    id: String,
    name: String,
    time_zone: String,
    schedule_layers: Vec<ScheduleLayer>,
    #[serde(default)]
    overrides: Option<Vec<ScheduleOverride>>,
    #[serde(default)]
    overrides_subschedule: Option<Subschedule>,
}

#[derive(Deserialize)]
struct ScheduleLayer {
    name: String,
    start: DateTime<FixedOffset>,
    #[serde(default)]
    end: Option<DateTime<FixedOffset>>,
    rotation_virtual_start: DateTime<FixedOffset>,
    rotation_turn_length_seconds: i64,
    users: Vec<LayerUser>,
    #[serde(default)]
    restrictions: Vec<PdRestriction>,
}

#[derive(Deserialize)]
struct LayerUser {
    user: Reference,
}

#[derive(Deserialize)]
struct PdRestriction {
    #[serde(rename = "type")]
    kind: String,
    start_time_of_day: String,
    duration_seconds: i64,
    #[serde(default)]
    start_day_of_week: Option<u32>,
}

#[derive(Deserialize)]
struct ScheduleOverride {
    start: DateTime<FixedOffset>,
    end: DateTime<FixedOffset>,
    user: Reference,
}

#[derive(Deserialize)]
struct Subschedule {
    #[serde(default)]
    rendered_schedule_entries: Vec<ScheduleOverride>,
}

#[derive(Deserialize)]
struct EscalationPolicy {
    id: String,
    name: String,
    escalation_rules: Vec<Rule>,
    #[serde(default)]
    num_loops: u32,
}

#[derive(Deserialize)]
struct Rule {
    escalation_delay_in_minutes: u32,
    targets: Vec<Reference>,
}

/// PagerDuty roles in Tocsin's three; an unknown role gets the least power.
fn role(r: Option<&str>) -> (Role, Option<String>) {
    match r.unwrap_or("user") {
        "owner" | "admin" => (Role::Admin, None),
        "user" | "limited_user" => (Role::Responder, None),
        "observer" | "read_only_user" | "read_only_limited_user" | "restricted_access" => (Role::Observer, None),
        other => (Role::Observer, Some(format!("PagerDuty role {other:?} is imported as observer (the least power); change it if needed"))),
    }
}

/// Reads the export (shape errors name the field); what cannot be mapped is listed, not refused.
pub fn read(body: &Value, now: DateTime<Utc>) -> Result<Export, FieldError> {
    check_top_level(body, &LISTS)?;
    let users: Vec<User> = items(body, "users")?;
    let teams: Vec<Team> = items(body, "teams")?;
    let services: Vec<Service> = items(body, "services")?;
    let schedules: Vec<Schedule> = items(body, "schedules")?;
    let policies: Vec<EscalationPolicy> = items(body, "escalation_policies")?;
    check_sizes(users.len(), schedules.len(), policies.len(), services.len(), "escalation_policies")?;
    let mut out = Export::default();

    for (i, u) in users.into_iter().enumerate() {
        let email = crate::validation::email(&format!("users[{i}].email"), &u.email)?;
        let (role, note) = role(u.role.as_deref());
        out.users.push(SourceUser { id: u.id, email, name: crate::validation::one_line_lossy(&u.name, 100), role, notes: note.into_iter().collect() });
    }
    for t in teams {
        let name = t.name.or(t.summary).unwrap_or_default();
        out.not_mapped.push(NotMapped::new("team", &t.id, &name, "Tocsin has no teams yet: its members are imported as people, and policies and services keep working without it"));
    }
    for s in schedules {
        match schedule(&s, now) {
            Ok(mapped) => out.schedules.push(mapped),
            Err(reason) => out.not_mapped.push(NotMapped::new("schedule", &s.id, &s.name, reason)),
        }
    }
    for p in policies {
        let mut notes = Vec::new();
        let levels = p
            .escalation_rules
            .iter()
            .enumerate()
            .map(|(i, r)| Level {
                delay_minutes: r.escalation_delay_in_minutes.max(1),
                targets: r
                    .targets
                    .iter()
                    .filter_map(|t| match t.kind.as_deref().unwrap_or("") {
                        "user" | "user_reference" => Some(Target::User(UserId(t.id.clone()))),
                        "schedule" | "schedule_reference" => Some(Target::Schedule(t.id.clone())),
                        other => {
                            notes.push(format!("level {}: target {} of type {other:?} left out: Tocsin pages people and schedules", i + 1, t.id));
                            None
                        }
                    })
                    .collect(),
            })
            .collect();
        let repeats = p.num_loops.min(9);
        if p.num_loops > 9 {
            notes.push(format!("it loops {} times; Tocsin repeats a policy at most 9 times", p.num_loops));
        }
        out.policies.push(SourcePolicy { id: p.id, name: crate::validation::one_line_lossy(&p.name, 100), policy: Policy { levels, repeats }, notes });
    }
    for s in services {
        let mut notes = Vec::new();
        if s.status.as_deref() == Some("disabled") {
            notes.push("disabled in PagerDuty: imported enabled (Tocsin services have no off switch)".into());
        }
        let events_v2: Vec<&Integration> = s.integrations.iter().filter(|i| i.kind == "events_api_v2_inbound_integration").collect();
        let key = events_v2.iter().find_map(|i| i.integration_key.clone());
        for i in &s.integrations {
            let label = i.name.clone().or_else(|| i.summary.clone()).unwrap_or_else(|| i.id.clone());
            match i.kind.as_str() {
                "events_api_v2_inbound_integration" if i.integration_key.is_some() && i.integration_key != key => {
                    notes.push(format!("integration {label:?} has its own routing key: its senders change the URL and the routing key to this service's"))
                }
                "events_api_v2_inbound_integration" => {}
                "generic_events_api_inbound_integration" => notes.push(format!(
                    "integration {label:?} speaks Events API v1, which Tocsin does not: move its senders to Events API v2 (or a Tocsin webhook)"
                )),
                "generic_email_inbound_integration" => notes.push(format!("integration {label:?} receives e-mail, which Tocsin does not: use a webhook instead")),
                other => notes.push(format!("integration {label:?} ({other}): point that tool at this service's endpoint for it (the service's Integrations page)")),
            }
        }
        out.services.push(SourceService {
            id: s.id,
            name: crate::validation::one_line_lossy(&s.name, 100),
            description: s.description.unwrap_or_default().chars().take(2000).collect(),
            policy: s.escalation_policy.map(|p| p.id),
            key,
            notes,
        });
    }
    Ok(out)
}

fn items<T: serde::de::DeserializeOwned>(body: &Value, field: &str) -> Result<Vec<T>, FieldError> {
    list(body, field).iter().enumerate().map(|(i, v)| parse(v, &format!("{field}[{i}]"))).collect()
}

fn schedule(s: &Schedule, now: DateTime<Utc>) -> Result<SourceSchedule, String> {
    let tz: Tz = s.time_zone.parse().map_err(|_| format!("time zone {:?} is not an IANA time zone Tocsin knows", s.time_zone))?;
    let mut notes = Vec::new();
    let mut layers = Vec::new();
    // PagerDuty answers the highest layer first; Tocsin lists the lowest first.
    for l in s.schedule_layers.iter().rev() {
        if let Some(end) = l.end {
            if end.with_timezone(&Utc) <= now {
                notes.push(format!("layer {:?} ended {end}: left out", l.name));
                continue;
            }
            notes.push(format!("layer {:?} ends {end} in PagerDuty; Tocsin layers do not end: remove it then", l.name));
        }
        let turn = turn_of_seconds(l.rotation_turn_length_seconds).map_err(|e| format!("layer {:?}: {e}", l.name))?;
        let mut restrictions = Vec::new();
        let mut always = false;
        for r in &l.restrictions {
            let start = NaiveTime::parse_from_str(&r.start_time_of_day, "%H:%M:%S")
                .map_err(|_| format!("layer {:?}: restriction start {:?} is not HH:MM:SS", l.name, r.start_time_of_day))?;
            let day = match (r.kind.as_str(), r.start_day_of_week) {
                ("daily_restriction", _) => None,
                ("weekly_restriction", Some(d @ 1..=7)) => Some(weekday(d)),
                ("weekly_restriction", _) => return Err(format!("layer {:?}: a weekly restriction without a start_day_of_week from 1 to 7", l.name)),
                (other, _) => return Err(format!("layer {:?}: restriction type {other:?} is not daily_restriction or weekly_restriction", l.name)),
            };
            match super::window(day, start, r.duration_seconds.div_euclid(60)).map_err(|e| format!("layer {:?}: restriction of {e}", l.name))? {
                Some(w) => restrictions.push(w),
                None => always = true,
            }
        }
        if always {
            restrictions.clear();
        }
        let start = l.rotation_virtual_start.with_timezone(&tz).naive_local();
        if l.start > l.rotation_virtual_start && l.start.with_timezone(&Utc) > now {
            notes.push(format!("layer {:?} starts {}; Tocsin starts it at its rotation's virtual start {}", l.name, l.start, l.rotation_virtual_start));
        }
        if l.users.is_empty() {
            notes.push(format!("layer {:?} has nobody on it: left out", l.name));
            continue;
        }
        layers.push(Layer { name: crate::validation::one_line_lossy(&l.name, 100), participants: l.users.iter().map(|u| UserId(u.user.id.clone())).collect(), start, turn, restrictions });
    }
    let overrides = match (&s.overrides, &s.overrides_subschedule) {
        (Some(list), _) => list.iter().collect::<Vec<_>>(),
        (None, Some(sub)) => sub.rendered_schedule_entries.iter().collect(),
        (None, None) => Vec::new(),
    };
    let overrides = overrides
        .into_iter()
        .filter(|o| o.end.with_timezone(&Utc) > now && o.end > o.start)
        .map(|o| Override { user: UserId(o.user.id.clone()), start: o.start.with_timezone(&Utc), end: o.end.with_timezone(&Utc) })
        .collect();
    Ok(SourceSchedule { id: s.id.clone(), name: crate::validation::one_line_lossy(&s.name, 100), time_zone: tz, layers, overrides, notes })
}

fn weekday(iso: u32) -> Weekday {
    [Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Fri, Weekday::Sat, Weekday::Sun][(iso - 1) as usize]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::{on_call, Restriction, Turn};
    use serde_json::json;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2030-03-01T00:00:00Z").unwrap().with_timezone(&Utc)
    }

    fn body() -> Value {
        json!({
            "users": [
                {"id": "PA", "type": "user", "name": "Ana", "email": "Ana@Example.com", "role": "admin", "time_zone": "America/New_York"},
                {"id": "PB", "type": "user", "name": "Ben", "email": "ben@example.com", "role": "limited_user"},
                {"id": "PC", "type": "user", "name": "Cy", "email": "cy@example.com", "role": "team_wizard"}
            ],
            "teams": [{"id": "PT", "type": "team", "name": "Checkout", "summary": "Checkout"}],
            "schedules": [{
                "id": "PS", "name": "Primary", "time_zone": "America/New_York",
                "schedule_layers": [
                    {"id": "L2", "name": "Business hours", "start": "2030-01-01T09:00:00-05:00", "end": null,
                     "rotation_virtual_start": "2030-01-01T09:00:00-05:00", "rotation_turn_length_seconds": 86400,
                     "users": [{"user": {"id": "PC", "type": "user_reference"}}],
                     "restrictions": [{"type": "weekly_restriction", "start_day_of_week": 1, "start_time_of_day": "09:00:00", "duration_seconds": 32400}]},
                    {"id": "L1", "name": "Weekly", "start": "2030-01-07T09:00:00-05:00", "end": null,
                     "rotation_virtual_start": "2030-01-07T09:00:00-05:00", "rotation_turn_length_seconds": 604800,
                     "users": [{"user": {"id": "PA", "type": "user_reference"}}, {"user": {"id": "PB", "type": "user_reference"}}],
                     "restrictions": []}
                ],
                "overrides": [{"id": "PO", "start": "2030-03-20T13:00:00-04:00", "end": "2030-03-21T09:00:00-04:00", "user": {"id": "PB", "type": "user_reference"}}]
            }, {
                "id": "PX", "name": "Odd", "time_zone": "UTC",
                "schedule_layers": [{"name": "L", "start": "2030-01-01T00:00:00Z", "rotation_virtual_start": "2030-01-01T00:00:00Z",
                    "rotation_turn_length_seconds": 5400, "users": [{"user": {"id": "PA"}}]}]
            }],
            "escalation_policies": [{"id": "PE", "name": "Checkout", "num_loops": 12, "escalation_rules": [
                {"escalation_delay_in_minutes": 15, "targets": [{"id": "PS", "type": "schedule_reference"}]},
                {"escalation_delay_in_minutes": 30, "targets": [{"id": "PA", "type": "user_reference"}]}
            ]}],
            "services": [{"id": "PV", "name": "Checkout API", "status": "active", "escalation_policy": {"id": "PE", "type": "escalation_policy_reference"},
                "integrations": [
                    {"id": "PI", "type": "events_api_v2_inbound_integration", "name": "Prometheus", "integration_key": "0123456789abcdef0123456789abcdef"},
                    {"id": "PM", "type": "generic_email_inbound_integration", "name": "Mail"}
                ]}]
        })
    }

    #[test]
    fn layers_come_lowest_first_with_restrictions_and_overrides() {
        let e = read(&body(), now()).unwrap();
        assert_eq!(e.users[0].email, "ana@example.com");
        assert_eq!(e.users.iter().map(|u| u.role).collect::<Vec<_>>(), [Role::Admin, Role::Responder, Role::Observer]);
        assert!(!e.users[2].notes.is_empty());
        let s = &e.schedules[0];
        assert_eq!(s.layers.iter().map(|l| l.name.as_str()).collect::<Vec<_>>(), ["Weekly", "Business hours"]);
        assert_eq!(s.layers[0].turn, Turn::Weekly);
        let nine = NaiveTime::from_hms_opt(9, 0, 0).unwrap();
        assert_eq!(s.layers[1].restrictions, [Restriction::Weekly { start_day: Weekday::Mon, start: nine, end_day: Weekday::Mon, end: NaiveTime::from_hms_opt(18, 0, 0).unwrap() }]);
        assert_eq!(s.overrides.len(), 1);
        let sched = crate::schedule::Schedule { time_zone: s.time_zone, layers: s.layers.clone(), overrides: s.overrides.clone() };
        let at = |t: &str| on_call(&sched, DateTime::parse_from_rfc3339(t).unwrap().with_timezone(&Utc));
        // Monday 2030-03-04 (EST): business hours are Cy's, the rest the weekly rotation's.
        assert_eq!(at("2030-03-04T14:00:00Z"), [UserId("PC".into())]);
        // Mar 4 09:00 is turn 8 of the weekly rotation from Jan 7: 8 mod 2 = 0, Ana.
        assert_eq!(at("2030-03-04T23:30:00Z"), [UserId("PA".into())]);
        assert_eq!(at("2030-03-20T18:00:00Z"), [UserId("PB".into())], "the override");
        assert_eq!(e.not_mapped.iter().map(|n| (n.kind.as_str(), n.source_id.as_str())).collect::<Vec<_>>(), [("team", "PT"), ("schedule", "PX")]);
        assert!(e.not_mapped[1].reason.contains("5400 seconds"));
    }

    #[test]
    fn policies_services_and_keys() {
        let e = read(&body(), now()).unwrap();
        let p = &e.policies[0];
        assert_eq!(p.policy.repeats, 9);
        assert!(p.notes[0].contains("12 times"));
        assert_eq!(p.policy.levels[0], Level { targets: vec![Target::Schedule("PS".into())], delay_minutes: 15 });
        let s = &e.services[0];
        assert_eq!(s.key.as_deref(), Some("0123456789abcdef0123456789abcdef"));
        assert_eq!(s.policy.as_deref(), Some("PE"));
        assert!(s.notes.iter().any(|n| n.contains("e-mail")), "{:?}", s.notes);
    }

    #[test]
    fn shape_errors_name_the_field() {
        let mut b = body();
        b["schedules"][0]["schedule_layers"][1].as_object_mut().unwrap().remove("rotation_turn_length_seconds");
        let err = read(&b, now()).unwrap_err();
        assert_eq!(err.field, "schedules[0].schedule_layers[1].rotation_turn_length_seconds");
        let err = read(&json!({"users": [], "schedule": []}), now()).unwrap_err();
        assert_eq!(err.field, "schedule");
        let err = read(&json!({"users": {"id": "x"}}), now()).unwrap_err();
        assert_eq!(err.field, "users");
        let err = read(&json!({"users": [{"id": "PA", "name": "A", "email": "not an address"}]}), now()).unwrap_err();
        assert_eq!(err.field, "users[0].email");
        let err = read(&json!({}), now()).unwrap_err();
        assert_eq!(err.field, "body");
        let mut b = body();
        b["services"][0]["integrations"][0]["type"] = json!(7);
        assert_eq!(read(&b, now()).unwrap_err().field, "services[0].integrations[0].type");
    }

    #[test]
    fn an_ended_layer_is_left_out_and_said() {
        let mut b = body();
        b["schedules"][0]["schedule_layers"][0]["end"] = json!("2030-02-01T00:00:00Z");
        let e = read(&b, now()).unwrap();
        assert_eq!(e.schedules[0].layers.len(), 1);
        assert!(e.schedules[0].notes[0].contains("ended"));
    }
}
