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
    esc(s.page.url.trim_end_matches('/').trim_end_matches("/status"))
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
}
