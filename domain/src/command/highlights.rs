//! Highlighted timeline rows (the postmortem is built from them): the sentence marking or
//! unmarking one leaves on the timeline, quoting the start of the row.

use super::Person;

pub const ADDED: &str = "highlight.added";
pub const REMOVED: &str = "highlight.removed";
/// How much of the highlighted row the message quotes.
pub const QUOTE_CHARS: usize = 80;

/// The start of `message` on one line, at most [`QUOTE_CHARS`] characters (… when cut).
pub fn quote(message: &str) -> String {
    let line = message.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() <= QUOTE_CHARS {
        line
    } else {
        let cut: String = line.chars().take(QUOTE_CHARS - 1).collect();
        format!("{}…", cut.trim_end())
    }
}

pub fn message(by: Person<'_>, added: bool, seq: i64, highlighted: &str) -> String {
    let verb = if added { "highlighted" } else { "removed the highlight from" };
    format!("{} {verb} #{seq}: “{}”", by.name, quote(highlighted))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_the_start_of_the_row() {
        let ann = Person { id: "u1", name: "Ann" };
        assert_eq!(message(ann, true, 4, "Rolled back\n the deploy"), "Ann highlighted #4: “Rolled back the deploy”");
        assert_eq!(message(ann, false, 4, "x"), "Ann removed the highlight from #4: “x”");
        let long = "word ".repeat(40);
        let q = quote(&long);
        assert_eq!(q.chars().count(), QUOTE_CHARS);
        assert!(q.ends_with("word…"), "{q}");
        assert_eq!(quote(&"é".repeat(QUOTE_CHARS)), "é".repeat(QUOTE_CHARS));
    }
}
