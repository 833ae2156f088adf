//! Structured status updates on an incident: what a valid update is, when its promised next
//! update falls due, when that is overdue and whom to remind (once), and what publishing it to
//! the public status page shows — only the update's own words, never the internal incident's
//! title or notes.
//!
//! Posting `resolved` announces the state; it does not resolve the internal incident (as on
//! PagerDuty, where status updates and incident state are separate: responders resolve the
//! incident themselves, alerts may still be firing).

use chrono::{DateTime, Duration, Utc};

use crate::api::status_updates::{StatusUpdateRequest, UpdateState};
use crate::incident::Severity;
use crate::notification::PushPayload;
use crate::status_page::{Impact, UpdateStatus};
use crate::validation::FieldError;

pub const MAX_MESSAGE_CHARS: usize = 4000;
pub const MIN_NEXT_MINUTES: i64 = 1;
pub const MAX_NEXT_MINUTES: i64 = 1440;
/// A public incident created from an update is named after the message's first line, cut here.
pub const PUBLIC_NAME_CHARS: usize = 80;

/// An update that passed validation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidUpdate {
    pub status: UpdateState,
    pub message: String,
    pub next_update_minutes: Option<i64>,
    pub publish: bool,
}

/// Checks an update; the error names the field (`message`, `next_update_minutes`).
pub fn validate(r: &StatusUpdateRequest) -> Result<ValidUpdate, FieldError> {
    let message = r.message.trim();
    if message.is_empty() {
        return Err(FieldError::new("message", "must not be empty: say what is happening"));
    }
    let n = message.chars().count();
    if n > MAX_MESSAGE_CHARS {
        return Err(FieldError::new("message", format!("must be at most {MAX_MESSAGE_CHARS} characters (it has {n})")));
    }
    // Published (status page, feeds): no control characters but line breaks and tabs. An internal
    // one may hold pasted terminal output.
    let message = if r.publish { crate::validation::text("message", message.to_string())? } else { message.to_string() };
    if let Some(m) = r.next_update_minutes {
        if !(MIN_NEXT_MINUTES..=MAX_NEXT_MINUTES).contains(&m) {
            return Err(FieldError::new("next_update_minutes", format!("must be from {MIN_NEXT_MINUTES} to {MAX_NEXT_MINUTES} minutes")));
        }
    }
    Ok(ValidUpdate { status: r.status, message, next_update_minutes: r.next_update_minutes, publish: r.publish })
}

/// When the next update is due: `minutes` after it was posted.
pub fn next_update_at(posted_at: DateTime<Utc>, minutes: Option<i64>) -> Option<DateTime<Utc>> {
    minutes.map(|m| posted_at + Duration::minutes(m))
}

/// The incident's latest update, as the overdue check sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Latest {
    pub next_update_at: Option<DateTime<Utc>>,
    pub reminded: bool,
    pub incident_resolved: bool,
}

/// Overdue: the latest update promised a next one by a time that has come (at that very
/// instant), no newer update was posted (only the latest counts), nobody was reminded yet, and
/// the incident is still running.
pub fn overdue(latest: &Latest, now: DateTime<Utc>) -> bool {
    !latest.reminded && !latest.incident_resolved && latest.next_update_at.is_some_and(|due| now >= due)
}

/// Whom to remind: the communications lead when the incident has one, else whoever posted the
/// overdue update.
pub fn remind_whom<'a>(communications_lead: Option<&'a str>, poster: &'a str) -> &'a str {
    communications_lead.unwrap_or(poster)
}

/// The timeline row of a posted update.
pub fn posted_message(by: &str, u: &ValidUpdate) -> String {
    let published = if u.publish { " (also on the public status page)" } else { "" };
    format!("{by} posted a status update — {}{published}: {}", u.status.label(), u.message)
}

/// The timeline row of a reminder.
pub fn overdue_message(reminded: &str, was_due: DateTime<Utc>) -> String {
    format!("Status update overdue (was due {}); reminded {reminded}", was_due.format("%H:%M UTC"))
}

/// The push that reminds: not a page (no Acknowledge action), tagged per incident.
pub fn reminder_payload(incident_id: &str, number: i64, severity: Severity, was_due: DateTime<Utc>) -> PushPayload {
    PushPayload {
        kind: "update_due".into(),
        title: format!("{severity} #{number}: status update overdue"),
        body: format!("The next status update was due at {}. Post one to keep stakeholders informed.", was_due.format("%H:%M UTC")),
        tag: format!("update-due-{incident_id}"),
        url: format!("/incidents/{incident_id}"),
        incident_id: Some(incident_id.to_string()),
        number: Some(number),
        severity: Some(severity),
        service: None,
        token: None,
        renotify: false,
    }
}

/// The public page's word for the state.
pub fn public_status(s: UpdateState) -> UpdateStatus {
    match s {
        UpdateState::Investigating => UpdateStatus::Investigating,
        UpdateState::Identified => UpdateStatus::Identified,
        UpdateState::Monitoring => UpdateStatus::Monitoring,
        UpdateState::Resolved => UpdateStatus::Resolved,
    }
}

/// The impact a public incident created from an update starts with, from the internal severity.
pub fn public_impact(s: Severity) -> Impact {
    match s {
        Severity::Sev1 => Impact::Critical,
        Severity::Sev2 => Impact::Major,
        Severity::Sev3 | Severity::Sev4 => Impact::Minor,
    }
}

/// The name of a public incident created from an update: the message's first non-empty line
/// (without Markdown heading marks), at most [`PUBLIC_NAME_CHARS`] characters. Only the
/// update's own words — the internal title may say things the public must not read.
pub fn public_name(message: &str) -> String {
    // One line whatever the message holds (a lone CR, U+2028): a name is written into one-line places.
    let line = message
        .lines()
        .map(|l| crate::validation::one_line_lossy(l.trim().trim_start_matches('#'), usize::MAX))
        .find(|l| !l.is_empty())
        .unwrap_or_else(|| "Service disruption".to_string());
    if line.chars().count() <= PUBLIC_NAME_CHARS {
        line
    } else {
        let mut s: String = line.chars().take(PUBLIC_NAME_CHARS - 1).collect();
        s.push('…');
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn req(message: &str, minutes: Option<i64>) -> StatusUpdateRequest {
        StatusUpdateRequest { status: UpdateState::Identified, message: message.into(), next_update_minutes: minutes, publish: false }
    }

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 29, h, m, 0).unwrap()
    }

    #[test]
    fn bad_updates_name_the_field() {
        assert_eq!(validate(&req("   ", None)).unwrap_err().field, "message");
        assert_eq!(validate(&req(&"x".repeat(MAX_MESSAGE_CHARS + 1), None)).unwrap_err().field, "message");
        assert!(validate(&req(&"x".repeat(MAX_MESSAGE_CHARS), None)).is_ok());
        for bad in [0, -5, 1441] {
            assert_eq!(validate(&req("ok", Some(bad))).unwrap_err().field, "next_update_minutes", "{bad}");
        }
        for good in [1, 30, 1440] {
            assert_eq!(validate(&req(" ok ", Some(good))).unwrap().next_update_minutes, Some(good));
        }
        assert_eq!(validate(&req(" ok ", None)).unwrap().message, "ok");
    }

    #[test]
    fn unknown_states_are_refused_by_name() {
        let e = serde_json::from_str::<StatusUpdateRequest>(r#"{"status":"postmortem","message":"x"}"#).unwrap_err();
        assert!(e.to_string().contains("postmortem"), "{e}");
        assert_eq!("monitoring".parse::<UpdateState>().unwrap(), UpdateState::Monitoring);
        assert_eq!("fixed".parse::<UpdateState>().unwrap_err().field, "status");
    }

    #[test]
    fn the_next_update_falls_due_minutes_after_posting() {
        assert_eq!(next_update_at(at(10, 0), Some(30)), Some(at(10, 30)));
        assert_eq!(next_update_at(at(23, 50), Some(20)), Some(Utc.with_ymd_and_hms(2026, 3, 30, 0, 10, 0).unwrap()));
        assert_eq!(next_update_at(at(10, 0), None), None);
    }

    #[test]
    fn overdue_exactly_at_the_due_time_once_and_only_while_running() {
        let due = Latest { next_update_at: Some(at(10, 30)), reminded: false, incident_resolved: false };
        assert!(!overdue(&due, at(10, 30) - Duration::milliseconds(1)));
        assert!(overdue(&due, at(10, 30)));
        assert!(overdue(&due, at(12, 0)));
        assert!(!overdue(&Latest { reminded: true, ..due.clone() }, at(12, 0)));
        assert!(!overdue(&Latest { incident_resolved: true, ..due.clone() }, at(12, 0)));
        assert!(!overdue(&Latest { next_update_at: None, ..due }, at(12, 0)));
    }

    #[test]
    fn the_communications_lead_is_reminded_else_the_poster() {
        assert_eq!(remind_whom(Some("lead"), "poster"), "lead");
        assert_eq!(remind_whom(None, "poster"), "poster");
    }

    #[test]
    fn a_published_message_with_a_control_character_is_refused() {
        let pasted = "Deploy log:\n\u{1b}[31mERROR\u{1b}[0m";
        assert!(validate(&req(pasted, None)).is_ok(), "an internal update may hold pasted terminal output");
        let e = validate(&StatusUpdateRequest { publish: true, ..req(pasted, None) }).unwrap_err();
        assert_eq!(e.field, "message", "a published one may not");
        assert!(validate(&req("Line one\r\n\tline two", None)).is_ok());
    }

    #[test]
    fn publishing_shows_only_the_updates_words() {
        assert_eq!(public_name("## Checkout is slow\nWe are on it"), "Checkout is slow");
        assert_eq!(public_name("\n\n  Payments failing  "), "Payments failing");
        assert_eq!(public_name("Checkout\rEND:VEVENT\u{2028}x\nmore"), "Checkout END:VEVENT x");
        let long = public_name(&"y".repeat(200));
        assert_eq!(long.chars().count(), PUBLIC_NAME_CHARS);
        assert!(long.ends_with('…'));
        assert_eq!(public_status(UpdateState::Resolved), UpdateStatus::Resolved);
        assert_eq!(public_status(UpdateState::Investigating), UpdateStatus::Investigating);
        assert_eq!(public_impact(Severity::Sev1), Impact::Critical);
        assert_eq!(public_impact(Severity::Sev4), Impact::Minor);
    }

    #[test]
    fn the_reminder_is_a_push_without_an_action() {
        let p = reminder_payload("inc1", 7, Severity::Sev2, at(10, 30));
        assert_eq!(p.kind, "update_due");
        assert!(p.token.is_none());
        assert_eq!(p.url, "/incidents/inc1");
        assert!(p.body.contains("10:30 UTC"), "{}", p.body);
    }
}
