//! The bodies outbound webhooks carry, one shape per receiver: Slack incoming-webhook JSON with
//! blocks, a Teams Workflows message with an Adaptive Card, and Tocsin's own JSON event.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Value};

use super::{DestinationKind, EventKind};
use crate::incident::{IncidentStatus, Severity};

/// The incident an event is about.
#[derive(Clone, Debug, PartialEq)]
pub struct EventIncident {
    pub id: String,
    pub number: i64,
    pub title: String,
    pub status: IncidentStatus,
    pub severity: Severity,
    /// `(id, name)`.
    pub service: Option<(String, String)>,
}

/// A published status-page update.
#[derive(Clone, Debug, PartialEq)]
pub struct EventStatusUpdate {
    pub status_incident_id: String,
    pub title: String,
    /// `investigating`, `identified`, `monitoring`, `resolved`, …
    pub status: String,
    pub body: String,
}

/// One event as every body is built from it.
#[derive(Clone, Debug, PartialEq)]
pub struct OutboundEvent {
    /// Stable across retries (receivers deduplicate on it).
    pub id: String,
    /// `None` for "send test".
    pub kind: Option<EventKind>,
    pub at: DateTime<Utc>,
    /// What happened, in words ("Acknowledged by Rosa").
    pub message: String,
    pub actor: Option<String>,
    pub incident: Option<EventIncident>,
    pub status_update: Option<EventStatusUpdate>,
    /// The app's address, for links (`https://tocsin.example.com`).
    pub app_url: String,
}

impl OutboundEvent {
    pub fn type_name(&self) -> &'static str {
        self.kind.map(EventKind::as_str).unwrap_or("test")
    }

    fn link(&self) -> String {
        let base = self.app_url.trim_end_matches('/');
        match (&self.incident, &self.status_update) {
            (Some(i), _) => format!("{base}/incidents/{}", i.id),
            (None, Some(u)) => format!("{base}/status/incidents/{}", u.status_incident_id),
            _ => format!("{base}/"),
        }
    }

    fn headline(&self) -> String {
        match (&self.incident, &self.status_update) {
            (Some(i), _) => format!("{} #{} {}", i.severity, i.number, i.title),
            (None, Some(u)) => format!("Status page: {}", u.title),
            _ => "Tocsin test message".into(),
        }
    }

    fn what(&self) -> &'static str {
        self.kind.map(EventKind::label).unwrap_or("Test")
    }
}

/// The request body for a destination of `kind`.
pub fn render(kind: DestinationKind, e: &OutboundEvent) -> Value {
    match kind {
        DestinationKind::Slack => slack(e),
        DestinationKind::Teams => teams(e),
        DestinationKind::Generic => generic(e),
    }
}

/// Slack's mrkdwn needs `&`, `<` and `>` escaped, or text could forge links and mentions.
fn slack_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max - 1).collect();
        t.push('…');
        t
    }
}

fn emoji(e: &OutboundEvent) -> &'static str {
    match (e.kind, e.incident.as_ref().map(|i| i.severity)) {
        (Some(EventKind::IncidentResolved), _) => "✅",
        (Some(EventKind::IncidentAcknowledged), _) => "👀",
        (_, Some(Severity::Sev1 | Severity::Sev2)) => "🔴",
        (_, Some(_)) => "🟠",
        _ => "🔔",
    }
}

fn slack(e: &OutboundEvent) -> Value {
    let headline = truncate(&format!("{} {}", emoji(e), e.headline()), 150);
    let mut fields = Vec::new();
    if let Some(i) = &e.incident {
        fields.push(json!({"type": "mrkdwn", "text": format!("*Status*\n{}", i.status.as_str())}));
        fields.push(json!({"type": "mrkdwn", "text": format!("*Severity*\n{}", i.severity)}));
        if let Some((_, name)) = &i.service {
            fields.push(json!({"type": "mrkdwn", "text": format!("*Service*\n{}", slack_escape(name))}));
        }
    }
    if let Some(u) = &e.status_update {
        fields.push(json!({"type": "mrkdwn", "text": format!("*Status*\n{}", slack_escape(&u.status))}));
    }
    let mut detail = format!("*{}* — {}", e.what(), slack_escape(&e.message));
    if let Some(u) = &e.status_update {
        detail.push_str(&format!("\n>{}", slack_escape(&truncate(&u.body, 2500)).replace('\n', "\n>")));
    }
    let mut section = json!({"type": "section", "text": {"type": "mrkdwn", "text": truncate(&detail, 3000)}});
    if !fields.is_empty() {
        section["fields"] = Value::Array(fields);
    }
    json!({
        "text": slack_escape(&format!("{} — {}: {}", e.headline(), e.what(), e.message)),
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": headline, "emoji": true}},
            section,
            {"type": "actions", "elements": [
                {"type": "button", "text": {"type": "plain_text", "text": "Open in Tocsin"}, "url": e.link()}
            ]},
            {"type": "context", "elements": [
                {"type": "mrkdwn", "text": format!("{} · {}", e.type_name(), e.at.to_rfc3339_opts(SecondsFormat::Secs, true))}
            ]}
        ]
    })
}

fn teams(e: &OutboundEvent) -> Value {
    let mut facts = Vec::new();
    if let Some(i) = &e.incident {
        facts.push(json!({"title": "Status", "value": i.status.as_str()}));
        facts.push(json!({"title": "Severity", "value": i.severity.as_str()}));
        if let Some((_, name)) = &i.service {
            facts.push(json!({"title": "Service", "value": name}));
        }
    }
    if let Some(u) = &e.status_update {
        facts.push(json!({"title": "Status", "value": u.status}));
    }
    facts.push(json!({"title": "Event", "value": e.type_name()}));
    let mut body = vec![
        json!({"type": "TextBlock", "text": format!("{} {}", emoji(e), e.headline()), "weight": "Bolder", "size": "Medium", "wrap": true}),
        json!({"type": "TextBlock", "text": format!("{}: {}", e.what(), e.message), "wrap": true}),
    ];
    if let Some(u) = &e.status_update {
        body.push(json!({"type": "TextBlock", "text": u.body, "wrap": true, "isSubtle": true}));
    }
    body.push(json!({"type": "FactSet", "facts": facts}));
    json!({
        "type": "message",
        "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "contentUrl": null,
            "content": {
                "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                "type": "AdaptiveCard",
                "version": "1.4",
                "body": body,
                "actions": [{"type": "Action.OpenUrl", "title": "Open in Tocsin", "url": e.link()}]
            }
        }]
    })
}

/// Tocsin's JSON event (documented in the README: "Outbound webhooks").
fn generic(e: &OutboundEvent) -> Value {
    let incident = e.incident.as_ref().map(|i| {
        json!({
            "id": i.id,
            "number": i.number,
            "title": i.title,
            "status": i.status.as_str(),
            "severity": i.severity.as_str(),
            "service": i.service.as_ref().map(|(id, name)| json!({"id": id, "name": name})),
            "url": e.link(),
        })
    });
    let update = e.status_update.as_ref().map(|u| {
        if e.kind == Some(EventKind::IncidentStatusUpdate) {
            // An incident's own update: its state and words; `status_incident_id` only when it
            // was also published to the public page.
            let public = (!u.status_incident_id.is_empty()).then_some(u.status_incident_id.as_str());
            json!({"status": u.status, "body": u.body, "status_incident_id": public, "url": e.link()})
        } else {
            json!({"status_incident_id": u.status_incident_id, "title": u.title, "status": u.status, "body": u.body, "url": e.link()})
        }
    });
    json!({
        "id": e.id,
        "type": e.type_name(),
        "created_at": e.at.to_rfc3339_opts(SecondsFormat::Millis, true),
        "message": e.message,
        "actor": e.actor,
        "incident": incident,
        "status_update": update,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn event(kind: EventKind) -> OutboundEvent {
        OutboundEvent {
            id: "evt-1".into(),
            kind: Some(kind),
            at: Utc.with_ymd_and_hms(2026, 12, 1, 3, 4, 5).unwrap(),
            message: "Acknowledged by Rosa <rosa@example.com> & co".into(),
            actor: Some("Rosa".into()),
            incident: Some(EventIncident {
                id: "inc-1".into(),
                number: 7,
                title: "Checkout <b>down</b>".into(),
                status: IncidentStatus::Acknowledged,
                severity: Severity::Sev1,
                service: Some(("svc-1".into(), "Checkout API".into())),
            }),
            status_update: None,
            app_url: "https://tocsin.example.com/".into(),
        }
    }

    #[test]
    fn slack_has_text_blocks_escaping_and_a_link() {
        let b = render(DestinationKind::Slack, &event(EventKind::IncidentAcknowledged));
        assert!(b["text"].as_str().unwrap().contains("SEV1 #7"));
        assert!(b["text"].as_str().unwrap().contains("Checkout &lt;b&gt;down&lt;/b&gt;"), "fallback text escaped too: {}", b["text"]);
        let blocks = b["blocks"].as_array().unwrap();
        assert_eq!(blocks[0]["type"], "header");
        assert_eq!(blocks[0]["text"]["type"], "plain_text");
        let section = blocks[1]["text"]["text"].as_str().unwrap();
        assert!(section.contains("&lt;rosa@example.com&gt; &amp; co"), "{section}");
        assert!(!section.contains("<rosa"));
        assert_eq!(blocks[2]["elements"][0]["url"], "https://tocsin.example.com/incidents/inc-1");
        assert_eq!(blocks[1]["fields"].as_array().unwrap().len(), 3);
    }

    #[test]
    fn teams_is_a_message_with_an_adaptive_card() {
        let b = render(DestinationKind::Teams, &event(EventKind::IncidentResolved));
        assert_eq!(b["type"], "message");
        let a = &b["attachments"][0];
        assert_eq!(a["contentType"], "application/vnd.microsoft.card.adaptive");
        assert_eq!(a["content"]["type"], "AdaptiveCard");
        assert_eq!(a["content"]["version"], "1.4");
        assert_eq!(a["content"]["actions"][0]["type"], "Action.OpenUrl");
        let facts = a["content"]["body"].as_array().unwrap().iter().find(|x| x["type"] == "FactSet").unwrap();
        assert!(facts["facts"].as_array().unwrap().iter().any(|f| f["title"] == "Service" && f["value"] == "Checkout API"));
    }

    #[test]
    fn generic_is_tocsins_event() {
        let b = render(DestinationKind::Generic, &event(EventKind::IncidentOpened));
        assert_eq!(b["id"], "evt-1");
        assert_eq!(b["type"], "incident.opened");
        assert_eq!(b["created_at"], "2026-12-01T03:04:05.000Z");
        assert_eq!(b["incident"]["number"], 7);
        assert_eq!(b["incident"]["service"]["name"], "Checkout API");
        assert_eq!(b["incident"]["url"], "https://tocsin.example.com/incidents/inc-1");
        assert!(b["status_update"].is_null());
        let mut t = event(EventKind::IncidentOpened);
        t.kind = None;
        t.incident = None;
        assert_eq!(render(DestinationKind::Generic, &t)["type"], "test");
    }

    #[test]
    fn status_updates_link_to_the_public_page() {
        let mut e = event(EventKind::StatusUpdatePublished);
        e.incident = None;
        e.status_update = Some(EventStatusUpdate {
            status_incident_id: "si-1".into(),
            title: "Checkout degraded".into(),
            status: "identified".into(),
            body: "We found it.\nFix rolling out.".into(),
        });
        let b = render(DestinationKind::Generic, &e);
        assert_eq!(b["status_update"]["url"], "https://tocsin.example.com/status/incidents/si-1");
        let s = render(DestinationKind::Slack, &e);
        assert!(s["blocks"][1]["text"]["text"].as_str().unwrap().contains(">We found it.\n>Fix rolling out."));
    }

    #[test]
    fn an_incidents_status_update_carries_its_state_and_words() {
        let mut e = event(EventKind::IncidentStatusUpdate);
        e.message = "Rosa posted a status update — Identified: Bad deploy".into();
        e.status_update = Some(EventStatusUpdate { status_incident_id: String::new(), title: String::new(), status: "identified".into(), body: "Bad *deploy* <rolled back>".into() });
        let g = render(DestinationKind::Generic, &e);
        assert_eq!(g["type"], "incident.status_update");
        assert_eq!(g["status_update"]["status"], "identified");
        assert_eq!(g["status_update"]["body"], "Bad *deploy* <rolled back>");
        assert!(g["status_update"]["status_incident_id"].is_null());
        assert_eq!(g["incident"]["url"], "https://tocsin.example.com/incidents/inc-1");
        let s = render(DestinationKind::Slack, &e);
        let section = s["blocks"][1]["text"]["text"].as_str().unwrap();
        assert!(section.starts_with("*Incident status update*"), "{section}");
        assert!(section.contains(">Bad *deploy* &lt;rolled back&gt;"), "{section}");
        let t = render(DestinationKind::Teams, &e);
        let body = t["attachments"][0]["content"]["body"].as_array().unwrap();
        assert!(body.iter().any(|b| b["text"] == "Bad *deploy* <rolled back>"));
        e.status_update.as_mut().unwrap().status_incident_id = "pub-1".into();
        assert_eq!(render(DestinationKind::Generic, &e)["status_update"]["status_incident_id"], "pub-1");
    }
}
