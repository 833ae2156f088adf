//! Statuspage API v2 JSON (`/api/v2/*.json`), field for field, so tools that read Atlassian
//! Statuspage pages read Tocsin's. Times carry the page's UTC offset, as Statuspage's do.

use chrono::{DateTime, SecondsFormat, Utc};
use chrono_tz::Tz;
use serde_json::{json, Value};

use super::{Component, Maintenance, MaintenanceStatus, PublicIncident, Snapshot, Update};

fn tz(s: &Snapshot) -> Tz {
    s.page.time_zone.parse().unwrap_or(chrono_tz::UTC)
}

pub fn time(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz).to_rfc3339_opts(SecondsFormat::Millis, false)
}

fn opt_time(t: Option<DateTime<Utc>>, tz: Tz) -> Value {
    t.map_or(Value::Null, |t| json!(time(t, tz)))
}

pub fn page(s: &Snapshot) -> Value {
    json!({"id": s.page.id, "name": s.page.name, "url": s.page.url, "time_zone": s.page.time_zone, "updated_at": time(s.page.updated_at, tz(s))})
}

fn component(s: &Snapshot, c: &Component) -> Value {
    json!({
        "id": c.id, "name": c.name, "status": c.status.as_str(), "created_at": time(c.created_at, tz(s)),
        "updated_at": time(c.updated_at, tz(s)), "position": c.position,
        "description": if c.description.is_empty() { Value::Null } else { json!(c.description) },
        "showcase": true, "start_date": c.created_at.with_timezone(&tz(s)).date_naive().to_string(),
        "group_id": c.group_id, "page_id": s.page.id, "group": false, "only_show_if_degraded": false,
    })
}

/// Components and groups, as Statuspage lists them (a group is a component with `group: true`
/// and the ids of its members).
pub fn components_list(s: &Snapshot) -> Vec<Value> {
    let mut out: Vec<(i64, Value)> = s.components.iter().map(|c| (c.position, component(s, c))).collect();
    for g in &s.groups {
        let members: Vec<&str> = s.components.iter().filter(|c| c.group_id.as_deref() == Some(g.id.as_str())).map(|c| c.id.as_str()).collect();
        let status = super::worst(s.components.iter().filter(|c| c.group_id.as_deref() == Some(g.id.as_str())).map(|c| c.status));
        out.push((
            g.position,
            json!({
                "id": g.id, "name": g.name, "status": status.as_str(), "created_at": time(g.created_at, tz(s)),
                "updated_at": time(g.updated_at, tz(s)), "position": g.position, "description": null, "showcase": false,
                "start_date": null, "group_id": null, "page_id": s.page.id, "group": true, "only_show_if_degraded": false,
                "components": members,
            }),
        ));
    }
    out.sort_by_key(|(p, _)| *p);
    out.into_iter().map(|(_, v)| v).collect()
}

fn update(s: &Snapshot, u: &Update, parent_id: &str) -> Value {
    let affected: Vec<Value> = u
        .affected
        .iter()
        .map(|a| json!({"code": a.code, "name": a.name, "old_status": a.old_status.as_str(), "new_status": a.new_status.as_str()}))
        .collect();
    json!({
        "id": u.id, "status": u.status, "body": u.body, "incident_id": parent_id,
        "created_at": time(u.created_at, tz(s)), "updated_at": time(u.edited_at.unwrap_or(u.created_at), tz(s)), "display_at": time(u.created_at, tz(s)),
        "affected_components": if affected.is_empty() { Value::Null } else { json!(affected) },
        "deliver_notifications": true, "custom_tweet": null, "tweet_id": null,
    })
}

fn listed_components(s: &Snapshot, ids: &[String]) -> Vec<Value> {
    s.components.iter().filter(|c| ids.contains(&c.id)).map(|c| component(s, c)).collect()
}

pub fn incident(s: &Snapshot, i: &PublicIncident) -> Value {
    json!({
        "id": i.id, "name": i.name, "status": i.status.as_str(), "created_at": time(i.created_at, tz(s)),
        "updated_at": time(i.updated_at, tz(s)), "monitoring_at": opt_time(i.monitoring_at, tz(s)),
        "resolved_at": opt_time(i.resolved_at, tz(s)), "impact": i.impact.as_str(),
        "shortlink": format!("{}/status/incidents/{}", s.page.site(), i.id),
        "started_at": time(i.created_at, tz(s)), "page_id": s.page.id,
        "incident_updates": i.updates.iter().map(|u| update(s, u, &i.id)).collect::<Vec<_>>(),
        "components": listed_components(s, &i.component_ids),
        // Statuspage's postmortem fields (null until one is published).
        "postmortem_body": i.postmortem_body,
        "postmortem_body_last_updated_at": i.postmortem_body.as_ref().map(|_| time(i.updated_at, tz(s))),
        "postmortem_published_at": opt_time(i.postmortem_published_at, tz(s)),
        "postmortem_ignored": false,
        "postmortem_notified_subscribers": false,
        "postmortem_notified_twitter": false,
    })
}

pub fn maintenance(s: &Snapshot, m: &Maintenance) -> Value {
    json!({
        "id": m.id, "name": m.name, "status": m.status.as_str(), "created_at": time(m.created_at, tz(s)),
        "updated_at": time(m.updated_at, tz(s)), "monitoring_at": null,
        "resolved_at": if m.status == MaintenanceStatus::Completed { json!(time(m.scheduled_until.min(s.now), tz(s))) } else { Value::Null },
        "impact": m.impact.as_str(),
        "shortlink": format!("{}/status/maintenance/{}", s.page.site(), m.id),
        "started_at": time(m.scheduled_for, tz(s)), "page_id": s.page.id,
        "incident_updates": m.updates.iter().map(|u| update(s, u, &m.id)).collect::<Vec<_>>(),
        "components": listed_components(s, &m.component_ids),
        "scheduled_for": time(m.scheduled_for, tz(s)), "scheduled_until": time(m.scheduled_until, tz(s)),
    })
}

pub fn status_value(s: &Snapshot) -> Value {
    let i = s.indicator();
    json!({"indicator": i.as_str(), "description": i.description()})
}

/// The documents under `/api/v2/`, by file name; `None` for names Statuspage does not have.
pub fn document(s: &Snapshot, name: &str) -> Option<Value> {
    let ms = s.effective_maintenances();
    let pick = |f: &dyn Fn(&Maintenance) -> bool| ms.iter().filter(|m| f(m)).map(|m| maintenance(s, m)).collect::<Vec<_>>();
    let upcoming = || pick(&|m| m.status == MaintenanceStatus::Scheduled);
    let active = || pick(&|m| matches!(m.status, MaintenanceStatus::InProgress | MaintenanceStatus::Verifying));
    let unresolved = || s.unresolved_incidents().into_iter().map(|i| incident(s, i)).collect::<Vec<_>>();
    Some(match name {
        "summary.json" => {
            let mut sched = active();
            sched.extend(upcoming());
            json!({"page": page(s), "components": components_list(s), "incidents": unresolved(), "scheduled_maintenances": sched, "status": status_value(s)})
        }
        "status.json" => json!({"page": page(s), "status": status_value(s)}),
        "components.json" => json!({"page": page(s), "components": components_list(s)}),
        "incidents.json" => json!({"page": page(s), "incidents": s.incidents.iter().take(50).map(|i| incident(s, i)).collect::<Vec<_>>()}),
        "incidents/unresolved.json" => json!({"page": page(s), "incidents": unresolved()}),
        "scheduled-maintenances.json" => json!({"page": page(s), "scheduled_maintenances": pick(&|_| true)}),
        "scheduled-maintenances/upcoming.json" => json!({"page": page(s), "scheduled_maintenances": upcoming()}),
        "scheduled-maintenances/active.json" => json!({"page": page(s), "scheduled_maintenances": active()}),
        _ => return None,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::super::*;
    use super::*;

    pub fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    /// A page with two components in a group, one unresolved and one resolved incident, and
    /// maintenance in each state.
    pub fn sample() -> Snapshot {
        let now = t("2026-11-24T12:00:00Z");
        let comp = |id: &str, name: &str, status, group: Option<&str>, position| Component {
            id: id.into(), name: name.into(), description: String::new(), status, position, group_id: group.map(str::to_string),
            created_at: t("2026-01-01T00:00:00Z"), updated_at: now, uptime: vec![Some(1.0); 90],
        };
        let upd = |id: &str, status: &str, body: &str, at: &str| Update { id: id.into(), status: status.into(), body: body.into(), created_at: t(at), edited_at: None, affected: vec![] };
        Snapshot {
            page: Page { id: "page1".into(), name: "Acme Status".into(), url: "https://status.acme.test".into(), time_zone: "Europe/Berlin".into(), updated_at: now },
            groups: vec![Group { id: "g1".into(), name: "Checkout".into(), position: 1, created_at: now, updated_at: now }],
            components: vec![
                comp("c1", "API", ComponentStatus::PartialOutage, Some("g1"), 2),
                comp("c2", "Payments", ComponentStatus::Operational, Some("g1"), 3),
                comp("c3", "Website", ComponentStatus::Operational, None, 0),
            ],
            incidents: vec![
                PublicIncident {
                    id: "i2".into(), name: "Elevated API errors".into(), status: UpdateStatus::Identified, impact: Impact::Major,
                    created_at: t("2026-11-24T10:00:00Z"), updated_at: t("2026-11-24T10:30:00Z"), monitoring_at: None, resolved_at: None,
                    component_ids: vec!["c1".into()],
                    postmortem_body: None,
                    postmortem_published_at: None,
                    updates: vec![
                        Update { affected: vec![AffectedComponent { code: "c1".into(), name: "API".into(), old_status: ComponentStatus::Operational, new_status: ComponentStatus::PartialOutage }],
                                 ..upd("u2", "identified", "A bad deploy; rolling back.", "2026-11-24T10:30:00Z") },
                        upd("u1", "investigating", "We are looking into errors.", "2026-11-24T10:00:00Z"),
                    ],
                },
                PublicIncident {
                    id: "i1".into(), name: "Slow logins".into(), status: UpdateStatus::Resolved, impact: Impact::Minor,
                    created_at: t("2026-11-20T08:00:00Z"), updated_at: t("2026-11-20T09:00:00Z"), monitoring_at: Some(t("2026-11-20T08:40:00Z")),
                    resolved_at: Some(t("2026-11-20T09:00:00Z")), component_ids: vec!["c3".into()],
                    postmortem_body: None, postmortem_published_at: None,
                    updates: vec![upd("u3", "resolved", "Fixed.", "2026-11-20T09:00:00Z")],
                },
            ],
            maintenances: vec![
                Maintenance {
                    id: "m1".into(), name: "Database upgrade".into(), status: MaintenanceStatus::Scheduled, impact: Impact::Minor,
                    scheduled_for: t("2026-11-24T11:00:00Z"), scheduled_until: t("2026-11-24T13:00:00Z"), created_at: t("2026-11-20T00:00:00Z"),
                    updated_at: t("2026-11-20T00:00:00Z"), component_ids: vec!["c2".into()], updates: vec![upd("mu1", "scheduled", "Upgrading Postgres.", "2026-11-20T00:00:00Z")],
                },
                Maintenance {
                    id: "m2".into(), name: "Network work".into(), status: MaintenanceStatus::Scheduled, impact: Impact::None,
                    scheduled_for: t("2026-12-01T01:00:00Z"), scheduled_until: t("2026-12-01T02:00:00Z"), created_at: t("2026-11-21T00:00:00Z"),
                    updated_at: t("2026-11-21T00:00:00Z"), component_ids: vec![], updates: vec![],
                },
            ],
            now,
        }
    }

    #[test]
    fn summary_has_statuspage_shapes() {
        let s = sample();
        let v = document(&s, "summary.json").unwrap();
        assert_eq!(v["page"]["time_zone"], "Europe/Berlin");
        assert_eq!(v["page"]["updated_at"], "2026-11-24T13:00:00.000+01:00", "times carry the page's offset");
        assert_eq!(v["status"], json!({"indicator": "major", "description": "Partial System Outage"}));
        let comps = v["components"].as_array().unwrap();
        let names: Vec<&str> = comps.iter().map(|c| c["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["Website", "Checkout", "API", "Payments"], "by position, groups included");
        let group = &comps[1];
        assert_eq!((group["group"].as_bool(), group["status"].as_str()), (Some(true), Some("partial_outage")));
        assert_eq!(group["components"], json!(["c1", "c2"]));
        assert_eq!(comps[2]["group_id"], "g1");
        let incidents = v["incidents"].as_array().unwrap();
        assert_eq!(incidents.len(), 1, "only unresolved incidents in the summary");
        let i = &incidents[0];
        for key in ["id", "name", "status", "created_at", "updated_at", "monitoring_at", "resolved_at", "impact", "shortlink", "started_at", "page_id", "incident_updates", "components"] {
            assert!(i.get(key).is_some(), "incident lacks {key}");
        }
        assert_eq!(i["incident_updates"][0]["affected_components"][0]["new_status"], "partial_outage");
        assert_eq!(i["incident_updates"][1]["affected_components"], Value::Null);
        let sched = v["scheduled_maintenances"].as_array().unwrap();
        assert_eq!(sched[0]["status"], "in_progress", "started by now, whatever was stored");
        assert_eq!(sched[1]["status"], "scheduled");
    }

    #[test]
    fn every_document() {
        let s = sample();
        let len = |name: &str, key: &str| document(&s, name).unwrap()[key].as_array().unwrap().len();
        assert_eq!(len("incidents.json", "incidents"), 2);
        assert_eq!(len("incidents/unresolved.json", "incidents"), 1);
        assert_eq!(len("scheduled-maintenances.json", "scheduled_maintenances"), 2);
        assert_eq!(len("scheduled-maintenances/upcoming.json", "scheduled_maintenances"), 1);
        assert_eq!(len("scheduled-maintenances/active.json", "scheduled_maintenances"), 1);
        assert_eq!(len("components.json", "components"), 4);
        assert!(document(&s, "status.json").unwrap()["status"]["indicator"].is_string());
        assert!(document(&s, "secrets.json").is_none());
    }
}
