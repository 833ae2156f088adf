//! Expertise tags on people and services: free text normalised to one spelling ("Postgres " →
//! `postgres`, "K8s" → `k8s`, "Site reliability" → `site-reliability`), so that a service's
//! declared expertise and a person's tags can be matched by equality.

use crate::validation::FieldError;

/// Longest tag, in characters, after normalisation.
pub const MAX_TAG_CHARS: usize = 40;
/// Most tags one person or service holds.
pub const MAX_TAGS: usize = 20;

/// One tag: trimmed, lowercased, inner whitespace runs → `-`; only `a-z 0-9 - + . #` remain
/// allowed (anything else is refused, not dropped, so nobody is surprised by what was stored).
pub fn normalize_tag(raw: &str) -> Result<String, String> {
    let lower = raw.trim().to_lowercase();
    let tag = lower.split_whitespace().collect::<Vec<_>>().join("-");
    if tag.is_empty() {
        return Err("tags must not be empty".into());
    }
    if tag.chars().count() > MAX_TAG_CHARS {
        return Err(format!("\"{}\" is longer than {MAX_TAG_CHARS} characters", tag.chars().take(MAX_TAG_CHARS).collect::<String>()));
    }
    if let Some(bad) = tag.chars().find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | '#'))) {
        return Err(format!("\"{tag}\" holds '{bad}'; tags use letters a-z, digits and - + . # only"));
    }
    Ok(tag)
}

/// A holder's whole list: each tag normalised, duplicates (after normalisation) dropped keeping
/// the first, at most [`MAX_TAGS`]. Errors name `field` (e.g. `expertise`).
pub fn normalize_tags(field: &str, raw: &[String]) -> Result<Vec<String>, FieldError> {
    let mut out: Vec<String> = Vec::new();
    for (i, r) in raw.iter().enumerate() {
        let tag = normalize_tag(r).map_err(|m| FieldError::new(format!("{field}[{i}]"), m))?;
        if !out.contains(&tag) {
            out.push(tag);
        }
    }
    if out.len() > MAX_TAGS {
        return Err(FieldError::new(field, format!("at most {MAX_TAGS} tags")));
    }
    Ok(out)
}

/// Tags as stored (a JSON array; anything unreadable counts as none).
pub fn parse_stored(json: &str) -> Vec<String> {
    serde_json::from_str(json).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn tags_are_normalised_to_one_spelling() {
        assert_eq!(normalize_tag("Postgres ").unwrap(), "postgres");
        assert_eq!(normalize_tag("K8s").unwrap(), "k8s");
        assert_eq!(normalize_tag("  Site   Reliability\t").unwrap(), "site-reliability");
        assert_eq!(normalize_tag("C#").unwrap(), "c#");
        assert_eq!(normalize_tag("c++").unwrap(), "c++");
        assert_eq!(normalize_tag("node.js").unwrap(), "node.js");
    }

    #[test]
    fn bad_tags_are_refused_with_a_reason() {
        assert!(normalize_tag("   ").is_err());
        assert!(normalize_tag("<script>").unwrap_err().contains('<'));
        assert!(normalize_tag("café").is_err(), "non-ASCII letters are refused, not mangled");
        assert!(normalize_tag("a/b").is_err());
        assert!(normalize_tag(&"x".repeat(MAX_TAG_CHARS)).is_ok());
        assert!(normalize_tag(&"x".repeat(MAX_TAG_CHARS + 1)).is_err());
    }

    #[test]
    fn lists_are_deduplicated_after_normalising_and_bounded() {
        assert_eq!(normalize_tags("expertise", &tags(&["Postgres", "postgres ", "K8s", "POSTGRES"])).unwrap(), tags(&["postgres", "k8s"]));
        let e = normalize_tags("expertise", &tags(&["ok", "not ok!"])).unwrap_err();
        assert_eq!(e.field, "expertise[1]");
        let many: Vec<String> = (0..=MAX_TAGS).map(|i| format!("t{i}")).collect();
        assert_eq!(normalize_tags("expertise", &many).unwrap_err().field, "expertise");
        let same: Vec<String> = (0..50).map(|_| "Rust".to_string()).collect();
        assert_eq!(normalize_tags("expertise", &same).unwrap(), tags(&["rust"]), "duplicates do not count towards the limit");
        assert_eq!(normalize_tags("expertise", &[]).unwrap(), Vec::<String>::new());
    }

    #[test]
    fn stored_lists_read_back() {
        assert_eq!(parse_stored(r#"["a","b"]"#), tags(&["a", "b"]));
        assert_eq!(parse_stored("garbage"), Vec::<String>::new());
    }
}
