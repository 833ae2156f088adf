//! Gentle blameless-language hints: phrases that point at people rather than conditions
//! ("human error", "should have", "careless", "failed to", …), each with a suggestion. Matching is
//! case-insensitive, on word boundaries ("blameless" is not "blame", "default" is not "fault"),
//! and spaces inside a phrase may be any run of whitespace. Hints never block saving: they come
//! back with the saved text for the editor to show.

use serde::{Deserialize, Serialize};

/// One flagged phrase.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct Hint {
    /// The section's key (`public` for the customer-facing text).
    pub section: String,
    /// The phrase as written.
    pub phrase: String,
    /// Character offsets (Unicode scalar values) of the phrase in the section's text: `start`
    /// inclusive, `end` exclusive.
    pub start: usize,
    pub end: usize,
    /// 1-based line of the phrase.
    pub line: usize,
    pub suggestion: String,
}

/// Phrase forms (lower case, words separated by one space) and the suggestion they share.
const RULES: &[(&[&str], &str)] = &[
    (&["human error", "human errors", "operator error", "user error"], "Describe what in the system made this action possible or likely (a missing guardrail, an unclear tool, time pressure) rather than labelling it an error."),
    (&["should have", "should've", "shouldn't have", "should not have"], "Hindsight: say what happened and what would make the better path easier next time."),
    (&["could have", "could've"], "Hindsight: describe what people knew at the time, and what would have helped them."),
    (&["careless", "carelessly", "carelessness", "sloppy", "lazy", "negligent", "negligence", "incompetent"], "Describe the conditions (fatigue, pressure, unclear signals) rather than judging a person."),
    (&["failed to", "fail to", "fails to", "failure to"], "Say what did not happen and why the system allowed it: \"the check did not run because…\"."),
    (&["blame", "blamed", "blames", "blaming", "to blame"], "A postmortem looks for contributing factors, not someone to blame."),
    (&["fault", "faults", "at fault", "his fault", "her fault", "their fault", "my fault"], "Name contributing factors rather than whose fault it was."),
    (&["mistake", "mistakes", "mistakenly"], "Describe the decision and the information available then; what made it reasonable at the time?"),
    (&["obviously", "obvious", "clearly"], "What is obvious in hindsight was not at the time; describe what people saw then."),
    (&["just", "simply"], "\"Just\" and \"simply\" hide effort; say what the step involves."),
    (&["root cause"], "Incidents rarely have one cause; list the contributing factors."),
    (&["why didn't", "why did not"], "Ask \"what made it hard to…\" instead of \"why didn't they…\"."),
];

/// Every rule as (phrase forms, suggestion), for documentation and the UI.
pub fn rules() -> impl Iterator<Item = (&'static [&'static str], &'static str)> {
    RULES.iter().copied()
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

fn same(a: char, b: char) -> bool {
    let a = if a == '\u{2019}' { '\'' } else { a };
    a.to_lowercase().eq(b.to_lowercase())
}

/// Tries `form` at `i`; returns the end index (exclusive) when it matches there.
fn match_at(chars: &[char], i: usize, form: &str) -> Option<usize> {
    let mut j = i;
    let mut words = form.split(' ').peekable();
    while let Some(word) = words.next() {
        for w in word.chars() {
            if j >= chars.len() || !same(chars[j], w) {
                return None;
            }
            j += 1;
        }
        if words.peek().is_some() {
            let ws = j;
            while j < chars.len() && chars[j].is_whitespace() {
                j += 1;
            }
            if j == ws {
                return None;
            }
        }
    }
    if j < chars.len() && (is_word(chars[j]) || chars[j] == '\'' || chars[j] == '\u{2019}') {
        return None;
    }
    Some(j)
}

/// The hints in one section's text, in order of position. At most one hint per place: the
/// longest form found there wins ("should not have" over nothing shorter, "at fault" over "fault").
pub fn find(section: &str, text: &str) -> Vec<Hint> {
    let owned: Vec<char> = text.chars().collect();
    let chars: &[char] = &owned;
    let mut out = Vec::new();
    // Lines are counted up to `counted` (exclusive).
    let (mut line, mut counted) = (1, 0);
    let mut i = 0;
    while i < chars.len() {
        let boundary = i == 0 || !(is_word(chars[i - 1]) || chars[i - 1] == '\'' || chars[i - 1] == '\u{2019}');
        let best = if boundary {
            RULES
                .iter()
                .flat_map(|(forms, suggestion)| forms.iter().filter_map(move |f| match_at(chars, i, f).map(|end| (end, *suggestion))))
                .max_by_key(|(end, _)| *end)
        } else {
            None
        };
        match best {
            Some((end, suggestion)) => {
                while counted < i {
                    line += usize::from(chars[counted] == '\n');
                    counted += 1;
                }
                out.push(Hint { section: section.to_string(), phrase: chars[i..end].iter().collect(), start: i, end, line, suggestion: suggestion.to_string() });
                i = end;
            }
            None => i += 1,
        }
    }
    out
}

/// The hints of several sections, section by section.
pub fn find_all<'a>(sections: impl IntoIterator<Item = (&'a str, &'a str)>) -> Vec<Hint> {
    sections.into_iter().flat_map(|(key, text)| find(key, text)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phrases(text: &str) -> Vec<String> {
        find("s", text).into_iter().map(|h| h.phrase).collect()
    }

    #[test]
    fn flags_the_listed_phrases_with_a_suggestion() {
        let h = find("summary", "It was Human Error: Bob should have checked.");
        assert_eq!(h.len(), 2);
        assert_eq!(h[0].phrase, "Human Error");
        assert_eq!((h[0].start, h[0].end, h[0].line), (7, 18, 1));
        assert_eq!(h[0].section, "summary");
        assert!(h[0].suggestion.contains("guardrail"));
        assert_eq!(h[1].phrase, "should have");
        assert!(h[1].suggestion.contains("Hindsight"));
        for p in ["careless", "failed to", "blame", "fault", "obviously", "just", "root cause", "sloppy", "mistake"] {
            assert_eq!(phrases(&format!("x {p} y")), [p], "{p}");
        }
    }

    #[test]
    fn case_insensitive_and_on_word_boundaries_only() {
        assert_eq!(phrases("FAILED TO page; Failed To"), ["FAILED TO", "Failed To"]);
        assert!(phrases("a blameless review").is_empty(), "blameless is not blame");
        assert!(phrases("the default config was faulty").is_empty(), "default, faulty");
        assert!(phrases("justice adjusted justify").is_empty());
        assert!(phrases("unjust").is_empty());
        assert_eq!(phrases("(just) \"blame\"."), ["just", "blame"]);
        assert_eq!(phrases("it's just"), ["just"]);
        assert!(phrases("failed top").is_empty(), "to must be a whole word");
    }

    #[test]
    fn longest_form_and_whitespace_inside_phrases() {
        assert_eq!(phrases("they were at fault"), ["at fault"]);
        assert_eq!(phrases("we should not have"), ["should not have"]);
        assert_eq!(phrases("we should've known"), ["should've"]);
        assert_eq!(phrases("we should\u{2019}ve known"), ["should\u{2019}ve"], "typographic apostrophe");
        let h = find("s", "human\n  error");
        assert_eq!(h.len(), 1);
        assert_eq!((h[0].start, h[0].end, h[0].line), (0, 13, 1));
    }

    #[test]
    fn positions_are_characters_and_lines() {
        let h = find("timeline", "Ünïcode ok\nsecond line\n\n— then we just waited");
        assert_eq!(h.len(), 1);
        assert_eq!(h[0].line, 4);
        let text: Vec<char> = "Ünïcode ok\nsecond line\n\n— then we just waited".chars().collect();
        assert_eq!(text[h[0].start..h[0].end].iter().collect::<String>(), "just");
        let h = find("s", "human\nerror then\nblame");
        assert_eq!(h.iter().map(|h| h.line).collect::<Vec<_>>(), [1, 3]);
    }

    #[test]
    fn several_sections_and_nothing_in_clean_text() {
        assert!(find("s", "The deploy tool did not check the config; the alert fired 4 minutes later.").is_empty());
        let h = find_all([("a", "blame"), ("b", "ok"), ("c", "careless")]);
        assert_eq!(h.iter().map(|h| h.section.as_str()).collect::<Vec<_>>(), ["a", "c"]);
        assert!(rules().count() >= 10);
    }
}
