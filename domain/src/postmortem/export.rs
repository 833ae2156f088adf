//! Exports: the postmortem as one Markdown file, and as a print-ready HTML page (no scripts, one
//! inline stylesheet allowed by its hash, everything escaped; section bodies rendered from the safe
//! Markdown subset of `crate::markdown`, so raw HTML in them stays text). The same Markdown →
//! HTML rendering shows a published postmortem on the public status page.

use std::fmt::Write;

use super::timeline::{md_escape, TimelineItem};
use crate::markdown::{self, Block, Inline};
use crate::status_page::html::esc;

/// What an export shows.
#[derive(Clone, Debug)]
pub struct Document {
    pub title: String,
    /// `Draft`, `In review`, `Published`.
    pub status: String,
    /// `#12 Checkout errors`, one per incident covered.
    pub incidents: Vec<String>,
    pub time_zone: String,
    /// (title, Markdown body) in order; an empty body prints as "—".
    pub sections: Vec<(String, String)>,
    /// The full record, when asked for (`?timeline=all`).
    pub appendix: Option<Vec<TimelineItem>>,
}

fn inline_html(out: &mut String, nodes: &[Inline]) {
    for n in nodes {
        match n {
            Inline::Text(t) => out.push_str(&esc(t)),
            Inline::Strong(c) => {
                out.push_str("<strong>");
                inline_html(out, c);
                out.push_str("</strong>");
            }
            Inline::Emphasis(c) => {
                out.push_str("<em>");
                inline_html(out, c);
                out.push_str("</em>");
            }
            Inline::Code(c) => {
                let _ = write!(out, "<code>{}</code>", esc(c));
            }
            Inline::Link { href, children } => {
                // `href` is http(s) or mailto (the parser's rule) and is escaped like any value.
                let _ = write!(out, "<a href=\"{}\" rel=\"noopener noreferrer\">", esc(href));
                inline_html(out, children);
                out.push_str("</a>");
            }
            Inline::LineBreak => out.push_str("<br>"),
        }
    }
}

/// Markdown → HTML, every text escaped; headings written `#` inside a section start at
/// `h{1 + shift}` (capped at `h6`).
pub fn markdown_html(src: &str, shift: u8) -> String {
    let mut out = String::new();
    for b in markdown::parse(src) {
        match b {
            Block::Paragraph(n) => {
                out.push_str("<p>");
                inline_html(&mut out, &n);
                out.push_str("</p>");
            }
            Block::Heading(level, n) => {
                let h = (level + shift).min(6);
                let _ = write!(out, "<h{h}>");
                inline_html(&mut out, &n);
                let _ = write!(out, "</h{h}>");
            }
            Block::Code(c) => {
                let _ = write!(out, "<pre><code>{}</code></pre>", esc(&c));
            }
            Block::List { ordered, start, items } => {
                if ordered {
                    let _ = write!(out, "<ol start=\"{start}\">");
                } else {
                    out.push_str("<ul>");
                }
                for i in items {
                    out.push_str("<li>");
                    inline_html(&mut out, &i);
                    out.push_str("</li>");
                }
                out.push_str(if ordered { "</ol>" } else { "</ul>" });
            }
        }
    }
    out
}

/// The whole document as Markdown.
pub fn to_markdown(d: &Document) -> String {
    let mut out = format!("# {}\n\n", md_escape(&d.title));
    let meta = format!("Status: {} · Incidents: {} · Times in {}", d.status, d.incidents.join(", "), d.time_zone);
    let _ = writeln!(out, "_{}_\n", md_escape(&meta));
    for (title, body) in &d.sections {
        let body = body.trim();
        let _ = writeln!(out, "## {}\n\n{}\n", md_escape(title), if body.is_empty() { "—" } else { body });
    }
    if let Some(rows) = &d.appendix {
        out.push_str("## Full record\n\n");
        let several = d.incidents.len() > 1;
        for r in rows {
            out.push_str(&super::timeline::item_line(r, several));
            out.push('\n');
        }
    }
    out
}

/// The print-ready page's one stylesheet (allowed by its hash in the page's
/// Content-Security-Policy).
pub const CSS: &str = "\
:root{color-scheme:light}*{box-sizing:border-box}\
body{margin:0;font:15px/1.5 Georgia,'Times New Roman',serif;color:#111;background:#fff}\
main{max-width:760px;margin:0 auto;padding:24px 16px 48px}\
h1{font:700 1.7rem/1.2 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0 0 6px}\
h2{font:700 1.15rem/1.3 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:28px 0 8px;padding-top:8px;border-top:1px solid #ccc}\
h3,h4,h5,h6{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;font-size:1rem;margin:16px 0 4px}\
.meta{color:#444;font:.9rem/1.4 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0 0 8px}\
.empty{color:#666}pre{white-space:pre-wrap;background:#f4f4f4;padding:8px;border-radius:4px}\
code{font:.9em ui-monospace,Menlo,Consolas,monospace}a{color:#1d4ed8}\
ul,ol{padding-left:1.4em}li{margin:2px 0}\
@page{margin:18mm 16mm}@media print{main{max-width:none;padding:0}h2{break-after:avoid}a{color:#111}}";

/// The whole document as a print-ready HTML page.
pub fn to_html(d: &Document) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{}</title><style>{CSS}</style></head><body><main><h1>{}</h1>\
         <p class=\"meta\">Status: {} · Incidents: {} · Times in {}</p>",
        esc(&d.title),
        esc(&d.title),
        esc(&d.status),
        d.incidents.iter().map(|i| esc(i)).collect::<Vec<_>>().join(", "),
        esc(&d.time_zone)
    );
    for (title, body) in &d.sections {
        let _ = write!(out, "<section><h2>{}</h2>", esc(title));
        if body.trim().is_empty() {
            out.push_str("<p class=\"empty\">—</p>");
        } else {
            out.push_str(&markdown_html(body, 2));
        }
        out.push_str("</section>");
    }
    if let Some(rows) = &d.appendix {
        out.push_str("<section><h2>Full record</h2><ul>");
        for r in rows {
            let from = if d.incidents.len() > 1 { format!("#{} ", r.incident_number) } else { String::new() };
            let _ = write!(out, "<li><strong>{}</strong> ({}) · {}{}</li>", esc(&r.absolute), esc(&r.relative), esc(&from), esc(&r.message));
        }
        out.push_str("</ul></section>");
    }
    out.push_str("</main></body></html>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn doc() -> Document {
        Document {
            title: "Checkout <script>alert(1)</script> errors".into(),
            status: "Published".into(),
            incidents: vec!["#12 Checkout \"errors\"".into()],
            time_zone: "Europe/Berlin".into(),
            sections: vec![
                ("Summary".into(), "We rolled back **deploy 42**.\n\n<script>alert('x')</script>\n\n[evil](javascript:alert(1)) [docs](https://example.com/a?b=1&c=2)".into()),
                ("What went <b>well</b>".into(), "# Detection\n- alert fired\n- `<img src=x onerror=alert(1)>`".into()),
                ("Where we got lucky".into(), "  ".into()),
            ],
            appendix: Some(vec![TimelineItem {
                incident_number: 12,
                seq: 3,
                at: Utc::now(),
                absolute: "2025-12-02 15:04".into(),
                relative: "T+0:04".into(),
                kind: "note.added".into(),
                message: "<script>note</script> *star*".into(),
                highlighted: false,
            }]),
        }
    }

    #[test]
    fn html_escapes_everything_and_renders_safe_markdown() {
        let h = to_html(&doc());
        assert!(h.starts_with("<!doctype html>"));
        assert!(!h.contains("<script"), "no script element can come from any value: {h}");
        assert!(!h.contains("<img") && !h.contains("<b>"), "{h}");
        assert!(h.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "the title is escaped");
        assert!(h.contains("<p>&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;</p>"), "raw HTML in a section is text");
        assert!(h.contains("<strong>deploy 42</strong>"));
        assert!(!h.contains("href=\"javascript"), "unsafe links stay text");
        assert!(h.contains("<a href=\"https://example.com/a?b=1&amp;c=2\" rel=\"noopener noreferrer\">docs</a>"), "{h}");
        assert!(h.contains("<h3>Detection</h3>"), "a section's # heading sits under its h2");
        assert!(h.contains("<h2>What went &lt;b&gt;well&lt;/b&gt;</h2>"));
        assert!(h.contains("<p class=\"empty\">—</p>"));
        assert!(h.contains("&lt;script&gt;note&lt;/script&gt; *star*"), "appendix rows are text");
        assert!(h.contains("#12 Checkout &quot;errors&quot;"));
        assert!(h.contains("@media print"));
    }

    #[test]
    fn markdown_export() {
        let m = to_markdown(&doc());
        assert!(m.starts_with("# Checkout <script>alert(1)</script> errors\n"), "{m}");
        assert!(m.contains("## Summary\n\nWe rolled back **deploy 42**."));
        assert!(m.contains("## Where we got lucky\n\n—\n"));
        assert!(m.contains("## Full record\n\n- **2025-12-02 15:04** (T+0:04) · <script>note</script> \\*star\\*"));
        assert!(m.contains("_Status: Published · Incidents: #12 Checkout \"errors\" · Times in Europe/Berlin_"));
        // Whatever a Markdown reader makes of it, our own renderer keeps it text.
        let rendered = markdown_html(&m, 0);
        assert!(!rendered.contains("<script"), "{rendered}");
    }

    #[test]
    fn ordered_lists_and_code_blocks() {
        let h = markdown_html("3. three\n4. four\n\n```\n<b>x</b>\n```", 0);
        assert_eq!(h, "<ol start=\"3\"><li>three</li><li>four</li></ol><pre><code>&lt;b&gt;x&lt;/b&gt;</code></pre>");
    }
}

/// The customer-facing postmortem on the public status page (Statuspage JSON and the incident page).
#[cfg(test)]
mod public_tests {
    use crate::status_page::{html, statuspage};

    #[test]
    fn a_published_postmortem_shows_in_statuspage_json_and_on_the_incident_page() {
        let mut s = statuspage::tests::sample();
        let v = statuspage::document(&s, "incidents.json").unwrap();
        assert_eq!(v["incidents"][1]["postmortem_body"], serde_json::Value::Null, "nothing until published");
        assert_eq!(v["incidents"][1]["postmortem_published_at"], serde_json::Value::Null);
        assert!(!html::incident(&s, "i1").unwrap().contains("Postmortem</h2>"));
        let i = &mut s.incidents[1];
        i.status = crate::status_page::UpdateStatus::Postmortem;
        i.postmortem_body = Some("We **changed** the login cache.\n\n<script>alert(1)</script>".into());
        i.postmortem_published_at = Some(statuspage::tests::t("2026-11-22T10:00:00Z"));
        let v = statuspage::document(&s, "incidents.json").unwrap();
        let inc = &v["incidents"][1];
        assert_eq!(inc["status"], "postmortem");
        assert_eq!(inc["postmortem_body"], "We **changed** the login cache.\n\n<script>alert(1)</script>");
        assert_eq!(inc["postmortem_published_at"], "2026-11-22T11:00:00.000+01:00", "in the page's offset");
        let page = html::incident(&s, "i1").unwrap();
        assert!(page.contains("<h2 id=\"pm\">Postmortem</h2>"), "{page}");
        assert!(page.contains("<strong>changed</strong>") && page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(!page.contains("<script>"));
        let unresolved = statuspage::document(&s, "incidents/unresolved.json").unwrap();
        assert!(unresolved["incidents"].as_array().unwrap().iter().all(|i| i["id"] != "i1"), "a postmortem is resolved");
    }
}
