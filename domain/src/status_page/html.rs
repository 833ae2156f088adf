//! The public status page as HTML: no JavaScript, inline CSS, readable at 320 px, light and dark,
//! landmarks and headings, status in words as well as colour. Everything from the snapshot is
//! escaped.

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use std::fmt::Write;

use super::{Component, Indicator, Maintenance, MaintenanceStatus, PublicIncident, Snapshot, Update, UpdateStatus};

/// Escapes text for HTML and XML (content and attribute values).
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The page's one stylesheet, inline (one request on a slow phone); the worker allows it in the
/// Content-Security-Policy by its SHA-256.
pub const CSS: &str = "\
:root{--bg:#fff;--fg:#1a1c21;--mu:#555b66;--bd:#dde0e5;--ok:#15803d;--mi:#a16207;--ma:#c2410c;--cr:#b91c1c;--mt:#1d4ed8}\
@media(prefers-color-scheme:dark){:root{--bg:#111317;--fg:#eceef2;--mu:#a9afba;--bd:#343944;--ok:#4ade80;--mi:#facc15;--ma:#fb923c;--cr:#f87171;--mt:#93c5fd}}\
*{box-sizing:border-box}body{margin:0;font:16px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;background:var(--bg);color:var(--fg)}\
main,header,footer{max-width:760px;margin:0 auto;padding:0 14px}header{padding-top:18px}h1{font-size:1.4rem;margin:0 0 12px}\
h2{font-size:1.1rem;margin:26px 0 8px}h3{font-size:1rem;margin:0}a{color:var(--mt)}\
.banner{padding:14px 16px;border-radius:10px;font-weight:700;color:#fff;background:var(--ok)}\
.i-minor{background:var(--mi);color:#111}.i-major{background:var(--ma);color:#111}.i-critical{background:var(--cr)}.i-maintenance{background:var(--mt);color:#111}\
ul{list-style:none;margin:0;padding:0}.c{border:1px solid var(--bd);border-radius:10px;padding:10px 12px;margin:8px 0}\
.row{display:flex;justify-content:space-between;gap:8px;flex-wrap:wrap}.s{font-weight:600}\
.operational{color:var(--ok)}.degraded_performance{color:var(--mi)}.partial_outage{color:var(--ma)}.major_outage{color:var(--cr)}.under_maintenance{color:var(--mt)}\
.bars{display:flex;gap:1px;height:22px;margin:6px 0 2px}.bars i{flex:1;border-radius:1px;background:var(--ok)}\
.bars .n{background:var(--bd)}.bars .p{background:var(--mi)}.bars .d{background:var(--cr)}\
.m{color:var(--mu);font-size:.875rem}.u{margin:8px 0 0}.u b{margin-right:6px}.grp>h3{margin:14px 0 0}\
footer{margin-top:30px;padding-bottom:30px;color:var(--mu);font-size:.875rem}";

fn tz(s: &Snapshot) -> Tz {
    s.page.time_zone.parse().unwrap_or(chrono_tz::UTC)
}

fn when(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz).format("%b %-d, %H:%M %Z").to_string()
}

fn head(out: &mut String, title: &str, s: &Snapshot) {
    // Escaped like every other value written into an attribute (the URL is validated too).
    let base = esc(s.page.site());
    let _ = write!(
        out,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <meta name=\"color-scheme\" content=\"light dark\"><title>{}</title>\
         <link rel=\"alternate\" type=\"application/atom+xml\" href=\"{base}/history.atom\" title=\"Status history (Atom)\">\
         <link rel=\"alternate\" type=\"application/rss+xml\" href=\"{base}/history.rss\" title=\"Status history (RSS)\">\
         <style>{CSS}</style></head><body>",
        esc(title)
    );
}

fn foot(out: &mut String, s: &Snapshot) {
    let _ = write!(
        out,
        "<footer><p><a href=\"/status\">{}</a> · <a href=\"/status/history\">History</a> · <a href=\"/history.atom\">Atom</a> · \
         <a href=\"/history.rss\">RSS</a> · <a href=\"/api/v2/summary.json\">JSON</a></p><p>Times in {}. Powered by Tocsin.</p></footer></body></html>",
        esc(&s.page.name),
        esc(&s.page.time_zone)
    );
}

fn banner(out: &mut String, i: Indicator) {
    let _ = write!(out, "<p class=\"banner i-{}\" role=\"status\">{}</p>", i.as_str(), i.description());
}

fn updates(out: &mut String, list: &[Update], tz: Tz, label: impl Fn(&str) -> String) {
    for u in list {
        let _ = write!(
            out,
            "<li class=\"u\"><b>{}</b>{}<br><span class=\"m\">{}</span></li>",
            esc(&label(&u.status)),
            esc(&u.body),
            esc(&when(u.created_at, tz))
        );
    }
}

fn incident_label(s: &str) -> String {
    s.parse::<UpdateStatus>().map(|u| u.label().to_string()).unwrap_or_else(|_| s.to_string())
}

fn maintenance_label(s: &str) -> String {
    s.parse::<MaintenanceStatus>().map(|u| u.label().to_string()).unwrap_or_else(|_| s.to_string())
}

fn incident_block(out: &mut String, i: &PublicIncident, tz: Tz, heading: &str) {
    let _ = write!(
        out,
        "<article class=\"c\"><{heading}><a href=\"/status/incidents/{}\">{}</a></{heading}><p class=\"m\">{} · impact {} · since {}</p><ul>",
        esc(&i.id),
        esc(&i.name),
        i.status.label(),
        i.impact.as_str(),
        esc(&when(i.created_at, tz))
    );
    updates(out, &i.updates, tz, incident_label);
    out.push_str("</ul></article>");
}

fn maintenance_block(out: &mut String, m: &Maintenance, tz: Tz, heading: &str) {
    let _ = write!(
        out,
        "<article class=\"c\"><{heading}><a href=\"/status/maintenance/{}\">{}</a></{heading}><p class=\"m\">{} · {} – {}</p><ul>",
        esc(&m.id),
        esc(&m.name),
        m.status.label(),
        esc(&when(m.scheduled_for, tz)),
        esc(&when(m.scheduled_until, tz))
    );
    updates(out, &m.updates, tz, maintenance_label);
    out.push_str("</ul></article>");
}

fn component_block(out: &mut String, c: &Component) {
    let days: Vec<f64> = c.uptime.iter().flatten().copied().collect();
    let avg = if days.is_empty() { None } else { Some(days.iter().sum::<f64>() / days.len() as f64 * 100.0) };
    let _ = write!(
        out,
        "<li class=\"c\"><div class=\"row\"><span>{}</span><span class=\"s {}\">{}</span></div>",
        esc(&c.name),
        c.status.as_str(),
        c.status.label()
    );
    if !c.uptime.is_empty() {
        out.push_str("<div class=\"bars\" aria-hidden=\"true\">");
        for d in &c.uptime {
            out.push_str(match d {
                None => "<i class=n></i>",
                Some(u) if *u >= 0.999 => "<i></i>",
                Some(u) if *u >= 0.95 => "<i class=p></i>",
                Some(_) => "<i class=d></i>",
            });
        }
        out.push_str("</div>");
        if let Some(a) = avg {
            let _ = write!(out, "<p class=\"m\">{a:.2}% uptime over the last {} days</p>", c.uptime.len());
        }
    }
    out.push_str("</li>");
}

/// `GET /status`.
pub fn page(s: &Snapshot) -> String {
    let tz = tz(s);
    let mut out = String::with_capacity(16 * 1024);
    head(&mut out, &format!("{} status", s.page.name), s);
    let _ = write!(out, "<header><h1>{}</h1>", esc(&s.page.name));
    banner(&mut out, s.indicator());
    out.push_str("</header><main>");
    let active = s.unresolved_incidents();
    if !active.is_empty() {
        out.push_str("<section aria-labelledby=\"a\"><h2 id=\"a\">Active incidents</h2>");
        for i in active {
            incident_block(&mut out, i, tz, "h3");
        }
        out.push_str("</section>");
    }
    let ms = s.effective_maintenances();
    let current: Vec<&Maintenance> = ms.iter().filter(|m| m.status != MaintenanceStatus::Completed).collect();
    if !current.is_empty() {
        out.push_str("<section aria-labelledby=\"mt\"><h2 id=\"mt\">Scheduled maintenance</h2>");
        for m in current {
            maintenance_block(&mut out, m, tz, "h3");
        }
        out.push_str("</section>");
    }
    out.push_str("<section aria-labelledby=\"cp\"><h2 id=\"cp\">Components</h2><ul>");
    let mut top: Vec<(i64, Option<&super::Group>, Option<&Component>)> = s.components.iter().filter(|c| c.group_id.is_none()).map(|c| (c.position, None, Some(c))).collect();
    top.extend(s.groups.iter().map(|g| (g.position, Some(g), None)));
    top.sort_by_key(|(p, _, _)| *p);
    for (_, g, c) in top {
        match (g, c) {
            (_, Some(c)) => component_block(&mut out, c),
            (Some(g), None) => {
                let members: Vec<&Component> = s.components.iter().filter(|c| c.group_id.as_deref() == Some(g.id.as_str())).collect();
                let status = super::worst(members.iter().map(|c| c.status));
                let _ = write!(out, "<li class=\"grp\"><h3>{} <span class=\"s {}\">· {}</span></h3><ul>", esc(&g.name), status.as_str(), status.label());
                for c in members {
                    component_block(&mut out, c);
                }
                out.push_str("</ul></li>");
            }
            _ => {}
        }
    }
    out.push_str("</ul></section><section aria-labelledby=\"h\"><h2 id=\"h\">Past incidents</h2>");
    let today = s.now.with_timezone(&tz).date_naive();
    for back in 0..14 {
        let day = today - Duration::days(back);
        let _ = write!(out, "<h3>{}</h3>", day.format("%b %-d, %Y"));
        let on_day: Vec<&PublicIncident> = s.incidents.iter().filter(|i| i.created_at.with_timezone(&tz).date_naive() == day).collect();
        if on_day.is_empty() {
            out.push_str("<p class=\"m\">No incidents reported.</p>");
        }
        for i in on_day {
            let _ = write!(
                out,
                "<p><a href=\"/status/incidents/{}\">{}</a> <span class=\"m\">· {}</span></p>",
                esc(&i.id),
                esc(&i.name),
                i.status.label()
            );
        }
    }
    out.push_str("<p><a href=\"/status/history\">Incident history</a></p></section></main>");
    foot(&mut out, s);
    out
}

/// `GET /status/incidents/{id}`.
pub fn incident(s: &Snapshot, id: &str) -> Option<String> {
    let i = s.incidents.iter().find(|i| i.id == id)?;
    let tz = tz(s);
    let mut out = String::new();
    head(&mut out, &format!("{} · {}", i.name, s.page.name), s);
    let _ = write!(out, "<header><p><a href=\"/status\">← {}</a></p></header><main>", esc(&s.page.name));
    incident_block(&mut out, i, tz, "h1");
    affected(&mut out, s, &i.component_ids);
    // A published postmortem: the customer-facing text only, from the safe Markdown subset.
    if let (Some(body), Some(at)) = (&i.postmortem_body, i.postmortem_published_at) {
        let _ = write!(
            out,
            "<section class=\"c\" aria-labelledby=\"pm\"><h2 id=\"pm\">Postmortem</h2><p class=\"m\">Published {}</p>{}</section>",
            esc(&when(at, tz)),
            crate::postmortem::export::markdown_html(body, 2)
        );
    }
    out.push_str("</main>");
    foot(&mut out, s);
    Some(out)
}

/// `GET /status/maintenance/{id}`: one scheduled maintenance with its updates (the feeds' and the
/// Statuspage JSON's link for it), while the page still shows it, in its state now.
pub fn maintenance(s: &Snapshot, id: &str) -> Option<String> {
    // Its state now (as the page and the JSON say it), not as last stored by the cron.
    let m = s.effective_maintenances().into_iter().find(|m| m.id == id)?;
    let mut out = String::new();
    head(&mut out, &format!("{} · {}", m.name, s.page.name), s);
    let _ = write!(out, "<header><p><a href=\"/status\">← {}</a></p></header><main>", esc(&s.page.name));
    maintenance_block(&mut out, &m, tz(s), "h1");
    affected(&mut out, s, &m.component_ids);
    out.push_str("</main>");
    foot(&mut out, s);
    Some(out)
}

/// The names of the components among `ids`, if any.
fn affected(out: &mut String, s: &Snapshot, ids: &[String]) {
    let names: Vec<String> = s.components.iter().filter(|c| ids.contains(&c.id)).map(|c| esc(&c.name)).collect();
    if !names.is_empty() {
        let _ = write!(out, "<p class=\"m\">Affected: {}</p>", names.join(", "));
    }
}

/// `GET /status/history?page=N`: `incidents` is the page's slice (newest first).
pub fn history(s: &Snapshot, page_no: u32, has_more: bool) -> String {
    let tz = tz(s);
    let mut out = String::new();
    head(&mut out, &format!("History · {}", s.page.name), s);
    let _ = write!(out, "<header><p><a href=\"/status\">← {}</a></p><h1>Incident history</h1></header><main>", esc(&s.page.name));
    if s.incidents.is_empty() {
        out.push_str("<p class=\"m\">No incidents.</p>");
    }
    for i in &s.incidents {
        incident_block(&mut out, i, tz, "h2");
    }
    out.push_str("<nav aria-label=\"Pages\"><p>");
    if page_no > 1 {
        let _ = write!(out, "<a href=\"/status/history?page={}\">Newer</a> ", page_no - 1);
    }
    if has_more {
        let _ = write!(out, "<a href=\"/status/history?page={}\">Older</a>", page_no + 1);
    }
    out.push_str("</p></nav></main>");
    foot(&mut out, s);
    out
}

#[cfg(test)]
mod tests {
    use super::super::statuspage::tests::sample;
    use super::*;

    #[test]
    fn escapes_everything_it_prints() {
        assert_eq!(esc("<script>alert('x')</script> & \"y\""), "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;y&quot;");
        let mut s = sample();
        s.incidents[0].name = "<img src=x onerror=alert(1)>".into();
        s.incidents[0].updates[0].body = "<b>bold</b>".into();
        let html = page(&s);
        assert!(!html.contains("<img src=x"), "{html}");
        assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"));
        assert!(html.contains("&lt;b&gt;bold&lt;/b&gt;"));
    }

    #[test]
    fn page_shows_status_incidents_maintenance_components_and_history() {
        let html = page(&sample());
        assert!(html.contains("role=\"status\">Partial System Outage</p>"));
        assert!(html.contains("Elevated API errors") && html.contains("Identified"));
        assert!(html.contains("Database upgrade") && html.contains("In progress"));
        assert!(html.contains("Partial outage"), "status in words");
        assert!(html.contains("100.00% uptime over the last 90 days"));
        assert!(html.contains("Nov 20, 2026") && html.contains("Slow logins"));
        assert!(!html.contains("<script"), "no JavaScript");
        assert!(html.contains("<main>") && html.contains("<header>") && html.contains("<footer>"));
    }

    #[test]
    fn a_hostile_page_url_is_escaped_in_every_attribute() {
        // Stored before validation was strict, or written straight into D1: still inert.
        let mut s = sample();
        s.page.url = "https://x.io/\"><script>alert(1)</script>".into();
        for out in [page(&s), history(&s, 1, false), maintenance(&s, &s.maintenances[0].id).unwrap(), super::super::feeds::atom(&s), super::super::feeds::rss(&s)] {
            assert!(!out.contains("<script>"), "{out}");
            assert!(!out.contains("x.io/\">"), "no attribute is closed early");
        }
    }

    #[test]
    fn incident_and_history_pages() {
        let s = sample();
        assert!(incident(&s, "i2").unwrap().contains("A bad deploy; rolling back."));
        assert!(incident(&s, "nope").is_none());
        let m = &s.maintenances[0];
        let page_of_m = maintenance(&s, &m.id).unwrap();
        assert!(page_of_m.contains(&format!("<h1><a href=\"/status/maintenance/{}\">{}</a></h1>", m.id, m.name)), "{page_of_m}");
        assert!(page_of_m.contains(&m.updates[0].body), "its updates");
        assert!(page(&s).contains(&format!("href=\"/status/maintenance/{}\"", m.id)), "the page links to it");
        assert!(maintenance(&s, "nope").is_none());
        let h = history(&s, 2, true);
        assert!(h.contains("page=1\">Newer") && h.contains("page=3\">Older"));
    }
}
