//! Runbook checklists: the limits of a service's template and of ad hoc steps, and how an
//! incident gets its own copy of the template when it opens (positions and step ids). The worker
//! copies the template with one `INSERT … SELECT` in the batch that inserts the incident; that
//! statement follows [`instantiate`] exactly (the API tests compare the two).

use crate::api::checklists::{ChecklistTemplate, TemplateStep};
use crate::validation::FieldError;

/// At most this many steps in a template.
pub const MAX_STEPS: usize = 50;
/// At most this many characters in one step's text.
pub const MAX_STEP_CHARS: usize = 2000;
/// At most this many steps in an incident's checklist (its template copy and ad hoc steps).
pub const MAX_INCIDENT_STEPS: usize = 200;

/// One step of an incident's checklist as it is first written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewStep {
    pub id: String,
    pub position: i64,
    pub text: String,
}

/// A step's text: trimmed, 1..=2000 characters; `field` names it in the error.
pub fn step_text(field: &str, text: &str) -> Result<String, FieldError> {
    let t = text.trim();
    if t.is_empty() {
        return Err(FieldError::new(field, "must not be empty"));
    }
    let n = t.chars().count();
    if n > MAX_STEP_CHARS {
        return Err(FieldError::new(field, format!("must be at most {MAX_STEP_CHARS} characters (it has {n})")));
    }
    Ok(t.to_string())
}

/// A template as it is stored: at most [`MAX_STEPS`] steps, each text valid (the error names
/// `steps[i].text`). An empty list clears the template.
pub fn validate_template(t: &ChecklistTemplate) -> Result<ChecklistTemplate, FieldError> {
    if t.steps.len() > MAX_STEPS {
        return Err(FieldError::new("steps", format!("must have at most {MAX_STEPS} steps (it has {})", t.steps.len())));
    }
    let steps = t
        .steps
        .iter()
        .enumerate()
        .map(|(i, s)| step_text(&format!("steps[{i}].text"), &s.text).map(|text| TemplateStep { text }))
        .collect::<Result<_, _>>()?;
    Ok(ChecklistTemplate { steps })
}

/// The id of an incident's step at `position`: `<incident id>.<position>`. Positions never
/// repeat within an incident (the table holds them unique), so neither do ids, and a retried
/// copy cannot write a step twice.
pub fn step_id(incident_id: &str, position: i64) -> String {
    format!("{incident_id}.{position}")
}

/// An incident's copy of its service's template: the same texts in the same order at positions
/// 1, 2, 3, …, none ticked. Ad hoc steps go after the last position ([`next_position`]).
pub fn instantiate(incident_id: &str, template: &ChecklistTemplate) -> Vec<NewStep> {
    template
        .steps
        .iter()
        .zip(1..)
        .map(|(s, position)| NewStep { id: step_id(incident_id, position), position, text: s.text.clone() })
        .collect()
}

/// Where an ad hoc step goes: after the highest position the incident has.
pub fn next_position(existing: impl IntoIterator<Item = i64>) -> i64 {
    existing.into_iter().max().unwrap_or(0) + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template(texts: &[&str]) -> ChecklistTemplate {
        ChecklistTemplate { steps: texts.iter().map(|t| TemplateStep { text: t.to_string() }).collect() }
    }

    #[test]
    fn a_template_keeps_its_order_and_trims() {
        let t = validate_template(&template(&["  Check **dashboards** ", "Page the DBA"])).unwrap();
        assert_eq!(t, template(&["Check **dashboards**", "Page the DBA"]));
        assert_eq!(validate_template(&template(&[])).unwrap(), template(&[]));
    }

    #[test]
    fn a_bad_step_is_named_by_its_index() {
        let e = validate_template(&template(&["a", "b", "c", "   "])).unwrap_err();
        assert_eq!(e.field, "steps[3].text");
        let long = "x".repeat(MAX_STEP_CHARS + 1);
        let e = validate_template(&template(&["a", &long])).unwrap_err();
        assert_eq!(e.field, "steps[1].text");
        assert!(e.message.contains("2000"), "{}", e.message);
        // Exactly at the limit (counted in characters, not bytes) is fine.
        let at_limit = "é".repeat(MAX_STEP_CHARS);
        assert!(validate_template(&template(&[&at_limit])).is_ok());
    }

    #[test]
    fn at_most_fifty_steps() {
        let fifty: Vec<String> = (0..MAX_STEPS).map(|i| format!("step {i}")).collect();
        let refs: Vec<&str> = fifty.iter().map(String::as_str).collect();
        assert!(validate_template(&template(&refs)).is_ok());
        let mut more = refs.clone();
        more.push("one too many");
        assert_eq!(validate_template(&template(&more)).unwrap_err().field, "steps");
    }

    #[test]
    fn an_incident_gets_numbered_copies_with_ids_of_its_own() {
        let t = template(&["First", "Second", "Third"]);
        let a = instantiate("inc-a", &t);
        assert_eq!(
            a,
            vec![
                NewStep { id: "inc-a.1".into(), position: 1, text: "First".into() },
                NewStep { id: "inc-a.2".into(), position: 2, text: "Second".into() },
                NewStep { id: "inc-a.3".into(), position: 3, text: "Third".into() },
            ]
        );
        // Another incident from the same template shares no id with the first.
        let b = instantiate("inc-b", &t);
        assert!(a.iter().all(|s| b.iter().all(|o| o.id != s.id)));
        assert!(instantiate("inc-c", &template(&[])).is_empty());
    }

    #[test]
    fn ad_hoc_steps_go_after_the_last() {
        assert_eq!(next_position([]), 1);
        assert_eq!(next_position([1, 2, 3]), 4);
        assert_eq!(next_position([3, 1]), 4);
    }
}
