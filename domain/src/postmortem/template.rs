//! Postmortem templates: the built-in blameless one (used when an organisation stores none) and
//! the check of an organisation's own. Sections with the keys `impact`, `timeline` and
//! `action_items` are filled from the incident's record when a postmortem is created.

use serde::{Deserialize, Serialize};

use super::{section_key, MAX_SECTIONS};
use crate::validation::FieldError;

/// One section of a template.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct TemplateSection {
    /// `a-z 0-9 _`, unique in the template.
    pub key: String,
    pub title: String,
    /// Guidance shown in the empty section.
    #[serde(default)]
    pub prompt: String,
}

/// A whole template.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct Template {
    pub name: String,
    pub sections: Vec<TemplateSection>,
    /// True for the built-in template (the organisation stores none).
    #[serde(default)]
    pub built_in: bool,
}

/// The built-in blameless template (after Google's SRE book, PagerDuty's and incident.io's
/// guides): several contributing factors rather than one root cause, and room for what went
/// well and where we got lucky.
pub fn blameless() -> Template {
    let s = |key: &str, title: &str, prompt: &str| TemplateSection { key: key.into(), title: title.into(), prompt: prompt.into() };
    Template {
        name: "Blameless postmortem".into(),
        built_in: true,
        sections: vec![
            s("summary", "Summary", "Two or three sentences: what happened, how customers were affected, how it ended."),
            s("impact", "Impact", "How long, which services and components, who noticed, whether customers were affected."),
            s("timeline", "Timeline", "What happened when, from the incident's record (highlights first)."),
            s(
                "contributing_factors",
                "Contributing factors",
                "Several factors, not one root cause: what in the system, tools and circumstances made this possible? Describe conditions, not people.",
            ),
            s("what_went_well", "What went well", "What helped us detect, respond and recover?"),
            s("what_was_hard", "What was hard", "Where did people struggle: missing information, confusing tools, slow steps?"),
            s("where_we_got_lucky", "Where we got lucky", "What could have made this worse, and did not by chance?"),
            s("action_items", "Action items", "What we will change, each with an owner and a due date."),
        ],
    }
}

/// Checks an organisation's template: a name, 1..=MAX_SECTIONS sections, keys valid and unique,
/// titles 1–100 characters, prompts at most 1 000.
pub fn validate(t: &Template) -> Result<Template, FieldError> {
    let name = t.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(FieldError::new("name", "must be 1–100 characters"));
    }
    if t.sections.is_empty() || t.sections.len() > MAX_SECTIONS {
        return Err(FieldError::new("sections", format!("must have 1–{MAX_SECTIONS} sections")));
    }
    let mut out = Vec::with_capacity(t.sections.len());
    for (i, s) in t.sections.iter().enumerate() {
        let key = section_key(&format!("sections[{i}].key"), s.key.trim())?;
        if out.iter().any(|o: &TemplateSection| o.key == key) {
            return Err(FieldError::new(format!("sections[{i}].key"), "is used twice"));
        }
        let title = s.title.trim();
        if title.is_empty() || title.chars().count() > 100 {
            return Err(FieldError::new(format!("sections[{i}].title"), "must be 1–100 characters"));
        }
        if s.prompt.chars().count() > 1_000 {
            return Err(FieldError::new(format!("sections[{i}].prompt"), "must be at most 1000 characters"));
        }
        out.push(TemplateSection { key, title: title.into(), prompt: s.prompt.trim().into() });
    }
    Ok(Template { name: name.into(), sections: out, built_in: false })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_blameless_template_has_every_part() {
        let t = blameless();
        let keys: Vec<&str> = t.sections.iter().map(|s| s.key.as_str()).collect();
        assert_eq!(
            keys,
            ["summary", "impact", "timeline", "contributing_factors", "what_went_well", "what_was_hard", "where_we_got_lucky", "action_items"]
        );
        assert!(t.sections.iter().all(|s| !s.title.is_empty() && !s.prompt.is_empty()));
        assert!(!t.sections.iter().any(|s| s.key.contains("root")), "contributing factors, not a root cause");
        assert_eq!(validate(&t).unwrap().sections, t.sections, "the built-in template passes its own check");
    }

    #[test]
    fn organisation_templates_are_checked() {
        let mut t = blameless();
        t.sections[1].key = "summary".into();
        assert_eq!(validate(&t).unwrap_err().field, "sections[1].key");
        let mut t = blameless();
        t.sections[2].title = "  ".into();
        assert_eq!(validate(&t).unwrap_err().field, "sections[2].title");
        let t = Template { name: "x".into(), sections: vec![], built_in: false };
        assert_eq!(validate(&t).unwrap_err().field, "sections");
        let t = Template { name: " ".into(), sections: blameless().sections, built_in: false };
        assert_eq!(validate(&t).unwrap_err().field, "name");
        let t = Template { name: " Ours ".into(), sections: vec![TemplateSection { key: " notes ".into(), title: " Notes ".into(), prompt: String::new() }], built_in: true };
        let v = validate(&t).unwrap();
        assert_eq!((v.name.as_str(), v.sections[0].key.as_str(), v.sections[0].title.as_str(), v.built_in), ("Ours", "notes", "Notes", false));
    }
}
