//! The status history as feeds: Atom 1.0 (`/history.atom`) and RSS 2.0 (`/history.rss`), one entry
//! per incident or maintenance with its updates.

use chrono::{DateTime, SecondsFormat, Utc};
use std::fmt::Write;

use super::html::esc;
use super::{Snapshot, Update};

/// One feed entry, from an incident or a maintenance.
struct Entry<'a> {
    id: &'a str,
    kind: &'static str,
    title: &'a str,
    published: DateTime<Utc>,
    updated: DateTime<Utc>,
    updates: &'a [Update],
}

fn entries(s: &Snapshot) -> Vec<Entry<'_>> {
    let mut out: Vec<Entry<'_>> = s
        .incidents
        .iter()
        .map(|i| Entry { id: &i.id, kind: "incidents", title: &i.name, published: i.created_at, updated: i.updated_at, updates: &i.updates })
        .chain(s.maintenances.iter().map(|m| Entry {
            id: &m.id,
            kind: "maintenance",
            title: &m.name,
            published: m.created_at,
            updated: m.updated_at,
            updates: &m.updates,
        }))
        .collect();
    out.sort_by(|a, b| b.updated.cmp(&a.updated));
    out.truncate(50);
    out
}

/// The updates as an HTML fragment (escaped once more when placed in the feed).
fn content(e: &Entry<'_>, tz: chrono_tz::Tz) -> String {
    let mut html = String::new();
    for u in e.updates {
        let _ = write!(
            html,
            "<p><small>{}</small><br><strong>{}</strong> - {}</p>",
            esc(&u.created_at.with_timezone(&tz).format("%b %-d, %H:%M %Z").to_string()),
            esc(&u.status),
            esc(&u.body)
        );
    }
    html
}

/// The page's base URL, escaped for XML (it is written into elements and attributes).
fn base(s: &Snapshot) -> String {
    esc(s.page.site())
}

/// Whether XML 1.0 can carry `c` at all: not even as a character reference can a document hold
/// other control characters (ESC from pasted terminal output, a form feed), and one would make
/// every reader refuse the whole feed. Updates are checked when posted; this keeps older ones,
/// and anything else written into a feed, from breaking it.
fn xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

pub fn atom(s: &Snapshot) -> String {
    let tz = s.page.time_zone.parse().unwrap_or(chrono_tz::UTC);
    let base = base(s);
    let list = entries(s);
    let updated = list.iter().map(|e| e.updated).max().unwrap_or(s.page.updated_at);
    let mut out = String::new();
    let _ = write!(
        out,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"en\">\
         <id>{base}/history.atom</id><title>{} status history</title><updated>{}</updated>\
         <link rel=\"alternate\" type=\"text/html\" href=\"{base}/status\"/><link rel=\"self\" type=\"application/atom+xml\" href=\"{base}/history.atom\"/>\
         <author><name>{}</name></author>",
        esc(&s.page.name),
        updated.to_rfc3339_opts(SecondsFormat::Secs, true),
        esc(&s.page.name)
    );
    for e in &list {
        let _ = write!(
            out,
            "<entry><id>{base}/status/{kind}/{id}</id><title>{title}</title><published>{p}</published><updated>{u}</updated>\
             <link rel=\"alternate\" type=\"text/html\" href=\"{base}/status/{kind}/{id}\"/><content type=\"html\">{c}</content></entry>",
            kind = e.kind,
            id = esc(e.id),
            title = esc(e.title),
            p = e.published.to_rfc3339_opts(SecondsFormat::Secs, true),
            u = e.updated.to_rfc3339_opts(SecondsFormat::Secs, true),
            c = esc(&content(e, tz)),
        );
    }
    out.push_str("</feed>\n");
    out.retain(xml_char);
    out
}

pub fn rss(s: &Snapshot) -> String {
    let tz = s.page.time_zone.parse().unwrap_or(chrono_tz::UTC);
    let base = base(s);
    let mut out = String::new();
    let _ = write!(
        out,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\" xmlns:atom=\"http://www.w3.org/2005/Atom\"><channel>\
         <title>{n} status history</title><link>{base}/status</link><description>Incidents and maintenance for {n}</description>\
         <atom:link href=\"{base}/history.rss\" rel=\"self\" type=\"application/rss+xml\"/><lastBuildDate>{d}</lastBuildDate>",
        n = esc(&s.page.name),
        d = s.now.to_rfc2822(),
    );
    for e in entries(s) {
        let _ = write!(
            out,
            "<item><title>{title}</title><link>{base}/status/{kind}/{id}</link><guid isPermaLink=\"false\">{base}/status/{kind}/{id}</guid>\
             <pubDate>{p}</pubDate><description>{c}</description></item>",
            kind = e.kind,
            id = esc(e.id),
            title = esc(e.title),
            p = e.published.to_rfc2822(),
            c = esc(&content(&e, tz)),
        );
    }
    out.push_str("</channel></rss>\n");
    out.retain(xml_char);
    out
}

#[cfg(test)]
mod tests {
    use super::super::statuspage::tests::sample;
    use super::*;

    #[test]
    fn atom_and_rss_list_incidents_and_maintenance_escaped() {
        let mut s = sample();
        s.incidents[0].name = "Errors & <timeouts>".into();
        let a = atom(&s);
        assert!(a.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\""));
        assert_eq!(a.matches("<entry>").count(), 4, "2 incidents + 2 maintenances");
        assert!(a.contains("<title>Errors &amp; &lt;timeouts&gt;</title>"));
        assert!(a.contains("&lt;strong&gt;identified&lt;/strong&gt; - A bad deploy; rolling back."), "{a}");
        assert!(a.contains("<author><name>Acme Status</name></author>"));
        let r = rss(&s);
        assert!(r.contains("<rss version=\"2.0\""));
        assert_eq!(r.matches("<item>").count(), 4);
        assert!(r.contains("<pubDate>Tue, 24 Nov 2026 10:00:00 +0000</pubDate>"), "{r}");
    }

    #[test]
    fn a_control_character_cannot_break_a_feed() {
        let mut s = sample();
        s.incidents[0].name = "Disk \u{c}full".into();
        s.incidents[0].updates[0].body = "\u{1b}[31mERROR\u{1b}[0m at\tdb-3\r\nline \u{2028}two \u{fffe}".into();
        for feed in [atom(&s), rss(&s)] {
            assert!(feed.chars().all(xml_char), "{feed:?}");
            assert!(feed.contains("Disk full"), "{feed}");
            assert!(feed.contains("[31mERROR[0m at\tdb-3\r\nline \u{2028}two"), "{feed}");
        }
    }

    #[test]
    fn links_are_under_the_site_whatever_the_page_url_ends_with() {
        for url in ["https://status.example.com", "https://status.example.com/", "https://status.example.com/status", "https://status.example.com/status/"] {
            let mut s = sample();
            s.page.url = url.into();
            let (a, r) = (atom(&s), rss(&s));
            let id = &s.incidents[0].id;
            assert!(a.contains(&format!("href=\"https://status.example.com/status/incidents/{id}\"")), "{url}: {a}");
            assert!(a.contains("href=\"https://status.example.com/history.atom\""), "{url}");
            assert!(r.contains("<atom:link href=\"https://status.example.com/history.rss\""), "{url}");
            assert!(a.contains(&format!("https://status.example.com/status/maintenance/{}", s.maintenances[0].id)), "{url}");
            let html = super::super::html::page(&s);
            assert!(html.contains("<link rel=\"alternate\" type=\"application/atom+xml\" href=\"https://status.example.com/history.atom\""), "{url}");
            let json = super::super::statuspage::incident(&s, &s.incidents[0]);
            assert_eq!(json["shortlink"], format!("https://status.example.com/status/incidents/{id}"), "{url}");
        }
    }
}
