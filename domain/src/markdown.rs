//! Safe Markdown: the small subset responders write in notes, summaries, checklist steps and
//! status updates, parsed into plain data that a UI renders element by element.
//!
//! Supported: paragraphs (a newline inside one is a line break), `#`…`######` headings,
//! `**bold**`, `*italic*` / `_italic_`, `` `code` ``, fenced code blocks, `-`/`*`/`+` and `1.`
//! lists, `[text](url)` links and `\`-escapes. There is no HTML: raw HTML in the input is
//! ordinary text, and a link whose URL is not `http(s)://` or `mailto:` stays as its source
//! text, so `javascript:` and `data:` URLs can never reach an `href`.

/// A block of the document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Block {
    Paragraph(Vec<Inline>),
    /// Level 1..=6 and its text.
    Heading(u8, Vec<Inline>),
    /// A fenced code block's lines, verbatim.
    Code(String),
    /// A list; `ordered` lists number from `start`.
    List { ordered: bool, start: u32, items: Vec<Vec<Inline>> },
}

/// Text inside a block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Inline {
    Text(String),
    Strong(Vec<Inline>),
    Emphasis(Vec<Inline>),
    Code(String),
    /// `href` is always `http://`, `https://` or `mailto:`.
    Link { href: String, children: Vec<Inline> },
    LineBreak,
}

/// Nesting deeper than this (`***…` bombs) is shown as text.
const MAX_DEPTH: usize = 6;

/// Parses `src` into blocks. Never fails: what is not understood is text.
pub fn parse(src: &str) -> Vec<Block> {
    let lines: Vec<&str> = src.lines().collect();
    let mut blocks = Vec::new();
    let mut para: Vec<&str> = Vec::new();
    let mut list: Option<(bool, u32, Vec<Vec<&str>>)> = None;
    let mut i = 0;
    let flush_para = |para: &mut Vec<&str>, blocks: &mut Vec<Block>| {
        if !para.is_empty() {
            blocks.push(Block::Paragraph(lines_inline(para)));
            para.clear();
        }
    };
    let flush_list = |list: &mut Option<(bool, u32, Vec<Vec<&str>>)>, blocks: &mut Vec<Block>| {
        if let Some((ordered, start, items)) = list.take() {
            blocks.push(Block::List { ordered, start, items: items.iter().map(|l| lines_inline(l)).collect() });
        }
    };
    while i < lines.len() {
        let line = lines[i];
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        if indent < 4 && (trimmed.starts_with("```") || trimmed.starts_with("~~~")) {
            flush_para(&mut para, &mut blocks);
            flush_list(&mut list, &mut blocks);
            let fence = &trimmed[..3];
            let mut code = Vec::new();
            i += 1;
            while i < lines.len() && !lines[i].trim_start().starts_with(fence) {
                code.push(lines[i]);
                i += 1;
            }
            blocks.push(Block::Code(code.join("\n")));
            i += 1;
            continue;
        }
        if trimmed.is_empty() {
            flush_para(&mut para, &mut blocks);
            flush_list(&mut list, &mut blocks);
        } else if let Some((level, text)) = heading(trimmed).filter(|_| indent < 4) {
            flush_para(&mut para, &mut blocks);
            flush_list(&mut list, &mut blocks);
            blocks.push(Block::Heading(level, inline(text, 0)));
        } else if let Some((ordered, number, text)) = list_item(trimmed).filter(|_| indent < 4) {
            flush_para(&mut para, &mut blocks);
            if list.as_ref().is_some_and(|(o, _, _)| *o != ordered) {
                flush_list(&mut list, &mut blocks);
            }
            list.get_or_insert_with(|| (ordered, number, Vec::new())).2.push(vec![text]);
        } else if let Some(item) = list.as_mut().and_then(|(_, _, items)| items.last_mut()) {
            // A line under a list item continues it.
            item.push(trimmed);
        } else {
            para.push(trimmed);
        }
        i += 1;
    }
    flush_para(&mut para, &mut blocks);
    flush_list(&mut list, &mut blocks);
    blocks
}

/// `## Title` → (2, "Title").
fn heading(line: &str) -> Option<(u8, &str)> {
    let hashes = line.bytes().take_while(|b| *b == b'#').count();
    let rest = &line[hashes..];
    ((1..=6).contains(&hashes) && (rest.is_empty() || rest.starts_with(' '))).then(|| (hashes as u8, rest.trim().trim_end_matches('#').trim_end()))
}

/// `- item` → (false, 1, "item"); `3. item` → (true, 3, "item").
fn list_item(line: &str) -> Option<(bool, u32, &str)> {
    for bullet in ["- ", "* ", "+ "] {
        if let Some(rest) = line.strip_prefix(bullet) {
            return Some((false, 1, rest.trim_start()));
        }
    }
    let digits = line.bytes().take_while(u8::is_ascii_digit).count();
    if (1..=9).contains(&digits) {
        let rest = &line[digits..];
        if let Some(text) = rest.strip_prefix(". ").or_else(|| rest.strip_prefix(") ")) {
            return Some((true, line[..digits].parse().ok()?, text.trim_start()));
        }
    }
    None
}

/// The lines of a paragraph or list item, joined by line breaks.
fn lines_inline(lines: &[&str]) -> Vec<Inline> {
    let mut out = Vec::new();
    for (n, l) in lines.iter().enumerate() {
        if n > 0 {
            out.push(Inline::LineBreak);
        }
        out.extend(inline(l.trim_end(), 0));
    }
    out
}

/// Whether a link target may become an `href`.
pub fn is_safe_href(url: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    let scheme_ok = (lower.starts_with("https://") || lower.starts_with("http://")) && url.len() > lower.find("//").unwrap_or(0) + 2
        || lower.starts_with("mailto:") && url.len() > 7;
    scheme_ok && !url.chars().any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>' || c == '"')
}

/// Parses one line of inline text.
fn inline(s: &str, depth: usize) -> Vec<Inline> {
    let mut out: Vec<Inline> = Vec::new();
    let mut text = String::new();
    let push_text = |text: &mut String, out: &mut Vec<Inline>| {
        if !text.is_empty() {
            out.push(Inline::Text(std::mem::take(text)));
        }
    };
    let mut i = 0;
    while i < s.len() {
        let rest = &s[i..];
        let c = rest.chars().next().unwrap_or_default();
        // `\*` and friends are the character itself.
        if c == '\\' {
            if let Some(next) = rest[1..].chars().next().filter(|n| n.is_ascii_punctuation()) {
                text.push(next);
                i += 1 + next.len_utf8();
                continue;
            }
        }
        if c == '`' {
            let ticks = rest.bytes().take_while(|b| *b == b'`').count();
            let fence = &rest[..ticks];
            if let Some(end) = rest[ticks..].find(fence) {
                push_text(&mut text, &mut out);
                out.push(Inline::Code(rest[ticks..ticks + end].trim().to_string()));
                i += ticks + end + ticks;
                continue;
            }
            text.push_str(fence);
            i += ticks;
            continue;
        }
        if depth < MAX_DEPTH {
            if let Some((node, used)) = delimited(s, i, depth) {
                push_text(&mut text, &mut out);
                out.push(node);
                i += used;
                continue;
            }
            if c == '[' {
                if let Some((node, used)) = link(rest, depth) {
                    push_text(&mut text, &mut out);
                    out.push(node);
                    i += used;
                    continue;
                }
            }
        }
        text.push(c);
        i += c.len_utf8();
    }
    push_text(&mut text, &mut out);
    out
}

/// The longest emphasis looked for, in bytes.
const MAX_SPAN: usize = 1024;

/// `**strong**`, `*em*` or `_em_` starting at byte `i` of `s`: the node and the bytes it used.
fn delimited(s: &str, i: usize, depth: usize) -> Option<(Inline, usize)> {
    let rest = &s[i..];
    let delim = ["**", "__", "*", "_"].into_iter().find(|d| rest.starts_with(d))?;
    let underscore = delim.starts_with('_');
    let before = s[..i].chars().next_back();
    // `snake_case_names` are not emphasis; neither is `2 * 3`.
    if underscore && before.is_some_and(char::is_alphanumeric) {
        return None;
    }
    let inner_start = delim.len();
    let first = rest[inner_start..].chars().next()?;
    if first.is_whitespace() {
        return None;
    }
    // The closer is looked for within MAX_SPAN bytes: an opener that never closes then costs a
    // bounded scan, so a long note full of stray `*` stays linear to render.
    let mut limit = rest.len().min(MAX_SPAN);
    while !rest.is_char_boundary(limit) {
        limit -= 1;
    }
    let mut from = inner_start;
    while let Some(pos) = rest.get(from..limit).and_then(|w| w.find(delim)) {
        let mut end = from + pos;
        // `***` closing `**…*…***`: the strong closes on the run's last two.
        if delim.len() == 2 {
            while rest[end + 2..].starts_with(&delim[..1]) {
                end += 1;
            }
        }
        let after = rest[end + delim.len()..].chars().next();
        let last = rest[..end].chars().next_back();
        // A single `*` must not close on half of a `**`.
        let doubled = delim.len() == 1 && (after == Some(delim.chars().next().unwrap_or_default()) || last == delim.chars().next());
        let closes = end > inner_start && !last.is_some_and(char::is_whitespace) && !(underscore && after.is_some_and(char::is_alphanumeric)) && !doubled;
        if closes {
            let children = inline(&rest[inner_start..end], depth + 1);
            let node = if delim.len() == 2 { Inline::Strong(children) } else { Inline::Emphasis(children) };
            return Some((node, end + delim.len()));
        }
        from = end + delim.len();
    }
    None
}

/// `[text](url)` at the start of `rest`, when the URL is safe.
fn link(rest: &str, depth: usize) -> Option<(Inline, usize)> {
    let close = rest.find("](")?;
    let label = &rest[1..close];
    if label.is_empty() || label.contains('[') {
        return None;
    }
    let url_start = close + 2;
    let url_len = rest[url_start..].find(')')?;
    let url = rest[url_start..url_start + url_len].trim();
    if !is_safe_href(url) {
        return None;
    }
    Some((Inline::Link { href: url.to_string(), children: inline(label, depth + 1) }, url_start + url_len + 1))
}

/// The plain text of inline nodes (for previews and accessible names).
pub fn plain_text(nodes: &[Inline]) -> String {
    let mut out = String::new();
    for n in nodes {
        match n {
            Inline::Text(t) | Inline::Code(t) => out.push_str(t),
            Inline::Strong(c) | Inline::Emphasis(c) | Inline::Link { children: c, .. } => out.push_str(&plain_text(c)),
            Inline::LineBreak => out.push(' '),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use Inline::*;

    fn t(s: &str) -> Inline {
        Text(s.into())
    }

    #[test]
    fn paragraphs_and_line_breaks() {
        assert_eq!(
            parse("first line\nsecond line\n\nnext paragraph"),
            vec![Block::Paragraph(vec![t("first line"), LineBreak, t("second line")]), Block::Paragraph(vec![t("next paragraph")])]
        );
        assert_eq!(parse(""), vec![]);
        assert_eq!(parse("\n\n  \n"), vec![]);
    }

    #[test]
    fn bold_italic_and_code() {
        assert_eq!(
            parse("**db-1** is *down*, see `pg_stat` and _this_"),
            vec![Block::Paragraph(vec![Strong(vec![t("db-1")]), t(" is "), Emphasis(vec![t("down")]), t(", see "), Code("pg_stat".into()), t(" and "), Emphasis(vec![t("this")])])]
        );
        // Nesting works, and what is inside code is literal.
        assert_eq!(parse("**very *bad***"), vec![Block::Paragraph(vec![Strong(vec![t("very "), Emphasis(vec![t("bad")])])])]);
        assert_eq!(parse("`**not bold**`"), vec![Block::Paragraph(vec![Code("**not bold**".into())])]);
    }

    #[test]
    fn things_that_look_like_emphasis_but_are_not() {
        assert_eq!(parse("snake_case_name"), vec![Block::Paragraph(vec![t("snake_case_name")])]);
        assert_eq!(parse("2 * 3 * 4"), vec![Block::Paragraph(vec![t("2 * 3 * 4")])]);
        assert_eq!(parse("**unclosed"), vec![Block::Paragraph(vec![t("**unclosed")])]);
        assert_eq!(parse("a `stray backtick"), vec![Block::Paragraph(vec![t("a `stray backtick")])]);
        assert_eq!(parse(r"\*literal\*"), vec![Block::Paragraph(vec![t("*literal*")])]);
    }

    #[test]
    fn raw_html_is_text() {
        let src = "<script>alert(1)</script> <img src=x onerror=alert(1)>";
        assert_eq!(parse(src), vec![Block::Paragraph(vec![t(src)])]);
    }

    #[test]
    fn links_only_with_safe_schemes() {
        assert_eq!(
            parse("see [the dashboard](https://grafana.example/d/1) or [mail](mailto:ops@example.com)"),
            vec![Block::Paragraph(vec![
                t("see "),
                Link { href: "https://grafana.example/d/1".into(), children: vec![t("the dashboard")] },
                t(" or "),
                Link { href: "mailto:ops@example.com".into(), children: vec![t("mail")] },
            ])]
        );
        for bad in ["[x](javascript:alert(1))", "[x](JavaScript:alert(1))", "[x](data:text/html,hi)", "[x](vbscript:x)", "[x](/relative)", "[x](https://)", "[x](http://a b)"] {
            let blocks = parse(bad);
            let Block::Paragraph(inl) = &blocks[0] else { panic!("{blocks:?}") };
            assert!(!inl.iter().any(|n| matches!(n, Link { .. })), "{bad} must not become a link: {inl:?}");
            assert_eq!(plain_text(inl), bad, "{bad} is shown as it was written");
        }
        assert!(is_safe_href("HTTPS://example.com/a?b=c"));
        assert!(!is_safe_href("https://example.com/\"onmouseover=x"));
    }

    #[test]
    fn headings_lists_and_code_blocks() {
        let src = "## What we know\n- db-1 is **full**\n- failover\n  started 10:02\n\n1. page DBA\n2. rotate logs\n\n```\nSELECT 1;\n<b>raw</b>\n```\n#nospace";
        assert_eq!(
            parse(src),
            vec![
                Block::Heading(2, vec![t("What we know")]),
                Block::List { ordered: false, start: 1, items: vec![vec![t("db-1 is "), Strong(vec![t("full")])], vec![t("failover"), LineBreak, t("started 10:02")]] },
                Block::List { ordered: true, start: 1, items: vec![vec![t("page DBA")], vec![t("rotate logs")]] },
                Block::Code("SELECT 1;\n<b>raw</b>".into()),
                Block::Paragraph(vec![t("#nospace")]),
            ]
        );
        assert_eq!(parse("3) third"), vec![Block::List { ordered: true, start: 3, items: vec![vec![t("third")]] }]);
        // An unclosed fence runs to the end.
        assert_eq!(parse("```\nlog line"), vec![Block::Code("log line".into())]);
    }

    #[test]
    fn deep_nesting_and_odd_input_do_not_panic() {
        let bomb = "*".repeat(5000) + "x" + &"*".repeat(5000);
        let _ = parse(&bomb);
        let _ = parse(&"[".repeat(3000));
        let _ = parse("é**ü*ß*ö**`ñ`\\é_ä_");
        assert_eq!(plain_text(&[Strong(vec![t("a")]), LineBreak, Code("b".into())]), "a b");
    }

    #[test]
    fn stray_openers_cost_a_bounded_scan_and_far_closers_are_text() {
        // 16 KB of openers that never close: each looks at most MAX_SPAN bytes ahead.
        let note = "*a ".repeat(16 * 1024 / 3);
        let blocks = parse(&note);
        assert_eq!(plain_text(&match &blocks[0] { Block::Paragraph(p) => p.clone(), other => panic!("{other:?}") }), note.trim_end());
        // Emphasis closing within the span still works; one spanning more is left as text.
        assert_eq!(parse(&format!("*{}*", "x".repeat(100))), vec![Block::Paragraph(vec![Emphasis(vec![t(&"x".repeat(100))])])]);
        let far = format!("*{}*", "x".repeat(MAX_SPAN + 10));
        assert_eq!(parse(&far), vec![Block::Paragraph(vec![t(&far)])]);
    }
}
