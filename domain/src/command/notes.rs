//! Notes on the incident record: Markdown, at most 16 KB (over it is "too large", 413, not
//! merely invalid), never empty.

use crate::validation::FieldError;

pub const MAX_NOTE_BYTES: usize = 16 * 1024;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NoteProblem {
    /// Empty or blank (400).
    Invalid(FieldError),
    /// Over [`MAX_NOTE_BYTES`] once trimmed (413).
    TooLarge(FieldError),
}

/// The note as stored: trimmed.
pub fn body(raw: &str) -> Result<String, NoteProblem> {
    let b = raw.trim();
    if b.is_empty() {
        Err(NoteProblem::Invalid(FieldError::new("body", "is required")))
    } else if b.len() > MAX_NOTE_BYTES {
        Err(NoteProblem::TooLarge(FieldError::new("body", format!("is {} bytes; a note holds at most {MAX_NOTE_BYTES} bytes (16 KB)", b.len()))))
    } else {
        Ok(b.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sixteen_kilobytes_fit_one_more_byte_does_not() {
        assert_eq!(body(&format!("  {}\n", "a".repeat(MAX_NOTE_BYTES))).unwrap().len(), MAX_NOTE_BYTES);
        assert!(matches!(body(&"a".repeat(MAX_NOTE_BYTES + 1)), Err(NoteProblem::TooLarge(f)) if f.field == "body"));
        // Bytes, not characters: 8 193 two-byte characters are over.
        assert!(matches!(body(&"é".repeat(MAX_NOTE_BYTES / 2 + 1)), Err(NoteProblem::TooLarge(_))));
        assert!(matches!(body(" \n "), Err(NoteProblem::Invalid(f)) if f.field == "body"));
    }
}
