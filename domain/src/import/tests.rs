//! The import's tests: the plan and its writes for a small export, turns and windows, and each
//! vendor's fixture putting the same people on call as the vendor renders.

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc, Weekday};

use super::*;
use crate::auth::Role;
use crate::escalation::{Level, Policy, Target};
use crate::ids::UserId;
use crate::schedule::{Layer, Override, Restriction, Turn};

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
