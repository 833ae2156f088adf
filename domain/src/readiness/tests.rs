//! Unit tests of the readiness rules, with their edges: exactly 90 / 30 days, a gap at the
//! 14-day boundary, a gap across a DST change, deactivated people.

use super::*;
use crate::escalation::Level;
use crate::schedule::{Layer, Override, Restriction, Turn};
use chrono::{NaiveDateTime, NaiveTime};

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}
fn u(s: &str) -> UserId {
    UserId(s.into())
}
fn berlin() -> Tz {
    "Europe/Berlin".parse().unwrap()
}
fn person(id: &str, devices: usize) -> PersonFacts {
    PersonFacts { id: u(id), name: id.to_uppercase(), active: true, push_enabled: true, devices, failing_devices: 0, webhook: false }
}
fn service(id: &str) -> ServiceFacts {
    ServiceFacts { id: id.into(), name: format!("svc-{id}"), policy_id: Some("pol".into()), checklist_steps: 3, checklist_reviewed_at: None, last_event_at: None }
}
fn policy(targets: Vec<Target>) -> PolicyFacts {
    PolicyFacts { id: "pol".into(), name: "Default".into(), policy: Policy { levels: vec![Level { targets, delay_minutes: 5 }], repeats: 0 } }
}
/// A daily rotation of `people` from 2026-01-01 09:00 local, optionally only 09:00–17:00.
fn schedule(people: &[&str], office_hours: bool) -> ScheduleFacts {
    let t = |h| NaiveTime::from_hms_opt(h, 0, 0).unwrap();
    let layer = Layer {
        name: "L".into(),
        participants: people.iter().map(|p| u(p)).collect(),
        start: NaiveDateTime::parse_from_str("2026-01-01 09:00", "%Y-%m-%d %H:%M").unwrap(),
        turn: Turn::Daily,
        restrictions: if office_hours { vec![Restriction::Daily { start: t(9), end: t(17) }] } else { vec![] },
    };
    ScheduleFacts { id: "sch".into(), name: "Primary".into(), schedule: Schedule { time_zone: berlin(), layers: vec![layer], overrides: vec![] } }
}
fn facts(now: &str) -> Facts {
    Facts { now: utc(now), time_zone: berlin(), services: vec![], policies: vec![], schedules: vec![], people: vec![], action_items: vec![] }
}

#[test]
fn a_service_without_a_policy_or_with_a_deleted_one_is_blocking() {
    let mut f = facts("2026-12-02T12:00:00Z");
    f.policies = vec![policy(vec![Target::User(u("ana"))])];
    let mut none = service("a");
    none.policy_id = None;
    let mut gone = service("b");
    gone.policy_id = Some("deleted".into());
    f.services = vec![none, gone, service("c")];
    let x = services_without_policy(&f);
    assert_eq!(x.iter().map(|x| x.subject.id.as_str()).collect::<Vec<_>>(), ["a", "b"]);
    assert!(x.iter().all(|x| x.severity == FindingSeverity::Blocking && x.kind == FindingKind::ServiceWithoutPolicy));
    assert_eq!(x[0].fix_path, "/services/a");
    assert_eq!(x[0].subject, FindingSubject { kind: SubjectKind::Service, id: "a".into(), name: "svc-a".into() });
    assert!(x[1].message.contains("no longer exists"), "{}", x[1].message);
}

#[test]
fn office_hours_leave_a_nightly_gap_reported_in_the_org_time_zone() {
    // 12:00Z = 13:00 CET: covered until 17:00 CET (16:00Z), then nobody until 09:00 CET.
    let mut f = facts("2026-12-02T12:00:00Z");
    f.people = vec![person("ana", 1)];
    f.schedules = vec![schedule(&["ana"], true)];
    f.policies = vec![policy(vec![Target::Schedule("sch".into())])];
    let x = schedule_gaps(&f);
    assert_eq!(x.len(), 1);
    let g = &x[0];
    assert_eq!((g.kind, g.severity), (FindingKind::ScheduleGap, FindingSeverity::Blocking));
    assert_eq!(g.subject, FindingSubject { kind: SubjectKind::Policy, id: "pol".into(), name: "Default".into() });
    assert_eq!(g.related.as_ref().map(|r| (r.kind, r.id.as_str())), Some((SubjectKind::Schedule, "sch")));
    assert_eq!((g.since, g.until), (Some(utc("2026-12-02T16:00:00Z")), Some(utc("2026-12-03T08:00:00Z"))));
    assert_eq!(g.fix_path, "/schedules/sch");
    assert!(g.message.contains("from Wed 2 Dec 17:00 to Thu 3 Dec 09:00 (Europe/Berlin time)"), "{}", g.message);
}

#[test]
fn a_policy_that_also_pages_someone_directly_makes_the_gap_a_warning() {
    let mut f = facts("2026-12-02T12:00:00Z");
    f.people = vec![person("ana", 1), person("bo", 1)];
    f.schedules = vec![schedule(&["ana"], true)];
    f.policies = vec![policy(vec![Target::Schedule("sch".into()), Target::User(u("bo"))])];
    assert_eq!(schedule_gaps(&f)[0].severity, FindingSeverity::Warning);
    // … but not when the person named directly is deactivated.
    f.people[1].active = false;
    assert_eq!(schedule_gaps(&f)[0].severity, FindingSeverity::Blocking);
}

#[test]
fn a_fully_covered_schedule_has_no_gap_and_deactivated_people_are_gaps() {
    let mut f = facts("2026-12-02T12:00:00Z");
    f.people = vec![person("ana", 1), person("bo", 1)];
    f.schedules = vec![schedule(&["ana", "bo"], false)];
    f.policies = vec![policy(vec![Target::Schedule("sch".into())])];
    assert!(schedule_gaps(&f).is_empty());
    // Bo is deactivated: his turns (every other day, 09:00 to 09:00 CET; today is his) are gaps.
    f.people[1].active = false;
    let g = &schedule_gaps(&f)[0];
    assert_eq!((g.since, g.until), (Some(f.now), Some(utc("2026-12-03T08:00:00Z"))));
    assert!(g.message.contains("right now, until Thu 3 Dec 09:00"), "{}", g.message);
    // Ana deactivated instead: the first gap is her next turn, a whole day.
    f.people[1].active = true;
    f.people[0].active = false;
    let g = &schedule_gaps(&f)[0];
    assert_eq!((g.since, g.until), (Some(utc("2026-12-03T08:00:00Z")), Some(utc("2026-12-04T08:00:00Z"))));
}

#[test]
fn a_gap_is_reported_only_when_it_starts_inside_the_14_days() {
    let now = utc("2026-12-02T12:00:00Z");
    let horizon = now + Duration::days(HORIZON_DAYS);
    let covered_until = |end: DateTime<Utc>| {
        let mut f = facts("2026-12-02T12:00:00Z");
        f.people = vec![person("ana", 1)];
        let mut s = schedule(&[], false);
        s.schedule.overrides = vec![Override { user: u("ana"), start: now - Duration::days(1), end }];
        f.schedules = vec![s];
        f.policies = vec![policy(vec![Target::Schedule("sch".into())])];
        schedule_gaps(&f)
    };
    assert!(covered_until(horizon).is_empty(), "covered for exactly the 14 days: the gap after is not ours yet");
    let x = covered_until(horizon - Duration::minutes(1));
    assert_eq!(x.len(), 1, "a gap starting in the last minute counts");
    assert_eq!((x[0].since, x[0].until), (Some(horizon - Duration::minutes(1)), None));
    assert!(x[0].message.contains("from Wed 16 Dec 12:59 on"), "{}", x[0].message);
}

#[test]
fn a_gap_across_the_spring_dst_change_ends_at_local_0900() {
    // Saturday 28 March 2026, 19:00 CET: nobody until Sunday 09:00 CEST (07:00Z), an hour shorter.
    let mut f = facts("2026-03-28T18:00:00Z");
    f.people = vec![person("ana", 1)];
    f.schedules = vec![schedule(&["ana"], true)];
    f.policies = vec![policy(vec![Target::Schedule("sch".into())])];
    let g = &schedule_gaps(&f)[0];
    assert_eq!((g.since, g.until), (Some(utc("2026-03-28T18:00:00Z")), Some(utc("2026-03-29T07:00:00Z"))));
    assert!(g.message.contains("right now, until Sun 29 Mar 09:00"), "{}", g.message);
}

#[test]
fn a_policy_naming_a_deleted_schedule_has_a_gap_now() {
    let mut f = facts("2026-12-02T12:00:00Z");
    f.policies = vec![policy(vec![Target::Schedule("gone".into())])];
    let g = &schedule_gaps(&f)[0];
    assert_eq!((g.since, g.until), (Some(f.now), None));
    assert_eq!(g.fix_path, "/escalation-policies");
}

#[test]
fn people_on_call_without_a_working_device_or_webhook_are_flagged() {
    let mut f = facts("2026-12-02T12:00:00Z");
    let mut failing = person("cy", 2);
    failing.failing_devices = 2;
    let mut push_off = person("di", 1);
    push_off.push_enabled = false;
    let mut hook = person("ed", 0);
    hook.webhook = true;
    let mut gone = person("fi", 0);
    gone.active = false;
    let half = PersonFacts { failing_devices: 1, ..person("gu", 2) };
    f.people = vec![person("ana", 0), person("bo", 1), failing, push_off, hook, gone, half, person("idle", 0), person("direct", 0)];
    f.schedules = vec![schedule(&["ana", "bo", "cy", "di", "ed", "fi", "gu"], false)];
    f.policies = vec![policy(vec![Target::Schedule("sch".into()), Target::User(u("direct"))])];
    let x = unreachable_people(&f);
    let ids: Vec<&str> = x.iter().map(|x| x.subject.id.as_str()).collect();
    assert_eq!(ids, ["ana", "cy", "di", "direct"], "bo, ed and gu can be reached; fi is deactivated (a gap); idle is never on call");
    assert!(x.iter().all(|x| x.fix_path == "/me" && x.subject.kind == SubjectKind::Person && x.severity == FindingSeverity::Blocking));
    assert!(x[0].message.contains("no device"), "{}", x[0].message);
    assert!(x[1].message.contains("every device failed"), "{}", x[1].message);
    assert!(x[2].message.contains("turned off"), "{}", x[2].message);
    // The rotation is at turn 335 today (Gu's); Ana's next turn is tomorrow, Cy's on Saturday.
    assert!(x[0].message.contains("from Thu 3 Dec 09:00"), "{}", x[0].message);
    assert!(x[1].message.contains("from Sat 5 Dec 09:00"), "{}", x[1].message);
    assert_eq!(x[3].since, Some(f.now), "named directly by a policy: reachable now or never");
}

#[test]
fn someone_on_call_only_after_the_14_days_is_not_flagged() {
    let now = utc("2026-12-02T12:00:00Z");
    let mut f = facts("2026-12-02T12:00:00Z");
    f.people = vec![person("later", 0)];
    let mut s = schedule(&[], false);
    s.schedule.overrides = vec![Override { user: u("later"), start: now + Duration::days(HORIZON_DAYS), end: now + Duration::days(20) }];
    f.schedules = vec![s.clone()];
    assert!(unreachable_people(&f).is_empty());
    s.schedule.overrides[0].start -= Duration::minutes(1);
    f.schedules = vec![s];
    assert_eq!(unreachable_people(&f).len(), 1);
}

#[test]
fn runbooks_empty_never_reviewed_or_reviewed_over_90_days_ago() {
    let mut f = facts("2026-12-02T12:00:00Z");
    let at = |d: i64, ms: i64| Some(f.now - Duration::days(d) - Duration::milliseconds(ms));
    let mut empty = service("empty");
    empty.checklist_steps = 0;
    empty.checklist_reviewed_at = at(1, 0);
    let never = service("never");
    let exactly = ServiceFacts { checklist_reviewed_at: at(REVIEW_MAX_AGE_DAYS, 0), ..service("exactly") };
    let over = ServiceFacts { checklist_reviewed_at: at(REVIEW_MAX_AGE_DAYS, 1), ..service("over") };
    let fresh = ServiceFacts { checklist_reviewed_at: at(3, 0), ..service("fresh") };
    f.services = vec![empty, never, exactly, over.clone(), fresh];
    let x = stale_runbooks(&f);
    assert_eq!(x.iter().map(|x| x.subject.id.as_str()).collect::<Vec<_>>(), ["empty", "never", "over"]);
    assert!(x[0].message.contains("no runbook checklist"));
    assert!(x[1].message.contains("never been reviewed"));
    assert!(x[2].message.contains("last reviewed on 3 Sep 2026"), "{}", x[2].message);
    assert_eq!(x[2].since, over.checklist_reviewed_at);
    assert_eq!(x[2].fix_path, "/services/over#runbook");
    assert!(x.iter().all(|x| x.severity == FindingSeverity::Warning));
}

#[test]
fn open_action_items_past_their_due_instant_are_overdue() {
    let mut f = facts("2026-12-02T12:00:00Z");
    let item = |id: &str, open: bool, due: Option<DateTime<Utc>>| ActionItemFacts { id: id.into(), title: format!("Fix {id}"), open, due_at: due, owner: Some("Ana".into()) };
    let now = f.now;
    f.action_items = vec![
        item("late", true, Some(now - Duration::milliseconds(1))),
        item("due-now", true, Some(now)),
        item("done", false, Some(now - Duration::days(3))),
        item("undated", true, None),
    ];
    let x = overdue_action_items(&f);
    assert_eq!(x.len(), 1);
    assert_eq!(x[0].subject, FindingSubject { kind: SubjectKind::ActionItem, id: "late".into(), name: "Fix late".into() });
    assert_eq!(x[0].fix_path, "/action-items");
    assert!(x[0].message.contains("owner: Ana"), "{}", x[0].message);
}

#[test]
fn integrations_quiet_for_over_30_days_or_never_heard_from() {
    let mut f = facts("2026-12-02T12:00:00Z");
    let ago = |d: i64, ms: i64| Some(f.now - Duration::days(d) - Duration::milliseconds(ms));
    f.services = vec![
        ServiceFacts { last_event_at: None, ..service("never") },
        ServiceFacts { last_event_at: ago(QUIET_DAYS, 0), ..service("exactly") },
        ServiceFacts { last_event_at: ago(QUIET_DAYS, 1), ..service("quiet") },
        ServiceFacts { last_event_at: ago(0, 5), ..service("busy") },
    ];
    let x = silent_integrations(&f);
    assert_eq!(x.iter().map(|x| x.subject.id.as_str()).collect::<Vec<_>>(), ["never", "quiet"]);
    assert!(x.iter().all(|x| x.subject.kind == SubjectKind::Integration));
    assert!(x[0].message.contains("never received"));
    assert!(x[1].message.contains("since 2 Nov 2026"), "{}", x[1].message);
    assert_eq!(x[1].fix_path, "/services/quiet#int-h");
}

#[test]
fn the_report_puts_blocking_first_and_counts_every_kind() {
    let mut f = facts("2026-12-02T12:00:00Z");
    let mut s = service("a");
    s.policy_id = None;
    s.checklist_steps = 0;
    f.services = vec![s];
    let r = report(&f);
    let kinds: Vec<FindingKind> = r.findings.iter().map(|x| x.kind).collect();
    assert_eq!(kinds, [FindingKind::ServiceWithoutPolicy, FindingKind::RunbookStale, FindingKind::IntegrationSilent]);
    assert_eq!((r.blocking, r.warnings), (1, 2));
    assert_eq!(r.counts.len(), FindingKind::ALL.len());
    assert_eq!(r.counts.iter().find(|c| c.kind == FindingKind::ScheduleGap).map(|c| c.count), Some(0));
    assert_eq!(r.time_zone, "Europe/Berlin");
    // A ready organisation: nothing at all.
    let mut ok = facts("2026-12-02T12:00:00Z");
    ok.people = vec![person("ana", 1)];
    ok.schedules = vec![schedule(&["ana"], false)];
    ok.policies = vec![policy(vec![Target::Schedule("sch".into())])];
    ok.services = vec![ServiceFacts { checklist_reviewed_at: Some(ok.now), last_event_at: Some(ok.now), ..service("a") }];
    let r = report(&ok);
    assert!(r.findings.is_empty(), "{:?}", r.findings);
    assert_eq!(r.blocking + r.warnings, 0);
}
