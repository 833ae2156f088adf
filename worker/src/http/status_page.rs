//! The public status page: `/status` (HTML without JavaScript), `/status/incidents/{id}`,
//! `/status/history`, Statuspage v2 JSON under `/api/v2/`, and `/history.atom` / `/history.rss`.
//! No login; only the public snapshot is read; answers are cached (Workers Cache API, purged on
//! every change) and carry ETag / Last-Modified for CDNs and conditional requests.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use tocsin_domain::status_page::{self as sp, feeds, html, statuspage, uptime};
use worker::{Cache, Response};

use super::{json, views::time, Cx};
use crate::db::{Db, SnapshotRows};
use crate::error::{ApiError, ApiResult};

const DAY_MS: i64 = 86_400_000;
const HISTORY_PAGE: i64 = 20;
/// How long a cached answer may be served before it is built again (changes purge it at once).
pub const MAX_AGE_SECS: u32 = 30;

/// The public paths this module answers, for purging after a change.
pub const PURGE_PATHS: &[&str] = &[
    "/status",
    "/status/history",
    "/history.atom",
    "/history.rss",
    "/api/v2/summary.json",
    "/api/v2/status.json",
    "/api/v2/components.json",
    "/api/v2/incidents.json",
    "/api/v2/incidents/unresolved.json",
    "/api/v2/scheduled-maintenances.json",
    "/api/v2/scheduled-maintenances/upcoming.json",
    "/api/v2/scheduled-maintenances/active.json",
];

fn list(json_text: &str) -> Vec<String> {
    serde_json::from_str(json_text).unwrap_or_default()
}

/// Rows → the domain's public snapshot (statuses parsed, uptime computed in the page's zone).
pub fn snapshot(r: SnapshotRows, now: i64, origin: &str) -> sp::Snapshot {
    let now_t: DateTime<Utc> = time(now);
    let tz = uptime::tz_or_utc(&r.page.time_zone);
    let updates_of = |parent: &str| -> Vec<sp::Update> {
        r.updates
            .iter()
            .filter(|u| u.parent_id == parent)
            .map(|u| sp::Update {
                id: u.id.clone(),
                status: u.status.clone(),
                body: u.body.clone(),
                created_at: time(u.created_at),
                edited_at: u.edited_at.map(time),
                affected: serde_json::from_str(&u.affected).unwrap_or_default(),
            })
            .collect()
    };
    let components = r
        .components
        .iter()
        .map(|c| {
            let history: Vec<uptime::StatusChange> = r
                .changes
                .iter()
                .filter(|h| h.component_id == c.id)
                .filter_map(|h| Some(uptime::StatusChange { at_ms: h.at, status: h.status.parse().ok()? }))
                .collect();
            sp::Component {
                id: c.id.clone(),
                name: c.name.clone(),
                description: c.description.clone(),
                status: c.status.parse().unwrap_or(sp::ComponentStatus::Operational),
                position: c.position,
                group_id: c.group_id.clone(),
                created_at: time(c.created_at),
                updated_at: time(c.updated_at),
                uptime: uptime::daily(c.created_at, &history, tz, now_t, 90),
            }
        })
        .collect();
    let url = r.page.url.clone().filter(|u| !u.is_empty()).unwrap_or_else(|| format!("{origin}/status"));
    sp::Snapshot {
        page: sp::Page { id: r.page.org_id.clone(), name: r.page.name.clone(), url, time_zone: r.page.time_zone.clone(), updated_at: time(r.page.updated_at) },
        groups: r.groups.iter().map(|g| sp::Group { id: g.id.clone(), name: g.name.clone(), position: g.position, created_at: time(g.created_at), updated_at: time(g.updated_at) }).collect(),
        components,
        incidents: r
            .incidents
            .iter()
            .filter_map(|i| {
                Some(sp::PublicIncident {
                    id: i.id.clone(),
                    name: i.name.clone(),
                    status: i.status.parse().ok()?,
                    impact: i.impact.parse().ok()?,
                    created_at: time(i.created_at),
                    updated_at: time(i.updated_at),
                    monitoring_at: i.monitoring_at.map(time),
                    resolved_at: i.resolved_at.map(time),
                    component_ids: list(&i.component_ids),
                    updates: updates_of(&i.id),
                    postmortem_body: i.postmortem_body.clone().filter(|_| i.postmortem_published_at.is_some()),
                    postmortem_published_at: i.postmortem_published_at.map(time),
                })
            })
            .collect(),
        maintenances: r
            .maintenances
            .iter()
            .filter_map(|m| {
                Some(sp::Maintenance {
                    id: m.id.clone(),
                    name: m.name.clone(),
                    status: m.status.parse().ok()?,
                    impact: m.impact.parse().ok()?,
                    scheduled_for: time(m.scheduled_for),
                    scheduled_until: time(m.scheduled_until),
                    created_at: time(m.created_at),
                    updated_at: time(m.updated_at),
                    component_ids: list(&m.component_ids),
                    updates: updates_of(&m.id),
                })
            })
            .collect(),
        now: now_t,
    }
}

async fn load(db: &Db, now: i64, origin: &str, limit: i64, skip: i64) -> ApiResult<sp::Snapshot> {
    let org = db.public_org().await?.ok_or(ApiError::NotFound("status page (Tocsin is not set up yet)"))?;
    let rows = db.status_snapshot(&org, now - 91 * DAY_MS, now - 14 * DAY_MS, limit, skip).await?.ok_or(ApiError::NotFound("status page"))?;
    Ok(snapshot(rows, now, origin))
}

/// The public answer for `path`, built from a fresh snapshot.
async fn build(cx: &Cx, path: &str) -> ApiResult<Response> {
    let origin = cx.origin();
    if let Some(doc) = path.strip_prefix("/api/v2/") {
        let s = load(&cx.db, cx.now, &origin, 50, 0).await?;
        let v = statuspage::document(&s, doc).ok_or(ApiError::NotFound("Statuspage document"))?;
        return public(cx, json(200, &v)?, "application/json", &s);
    }
    match path {
        "/status" => {
            let s = load(&cx.db, cx.now, &origin, 50, 0).await?;
            public(cx, Response::from_html(html::page(&s))?, "text/html; charset=utf-8", &s)
        }
        "/status/history" => {
            let page_no = history_page(cx.req.url()?.query());
            let mut s = load(&cx.db, cx.now, &origin, page_no * HISTORY_PAGE + 1, 0).await?;
            let mut all = std::mem::take(&mut s.incidents);
            all.sort_by(|a, b| b.created_at.cmp(&a.created_at));
            let has_more = all.len() as i64 > page_no * HISTORY_PAGE && page_no < MAX_HISTORY_PAGES;
            s.incidents = all.into_iter().skip(((page_no - 1) * HISTORY_PAGE) as usize).take(HISTORY_PAGE as usize).collect();
            public(cx, Response::from_html(html::history(&s, page_no as u32, has_more))?, "text/html; charset=utf-8", &s)
        }
        "/history.atom" => {
            let s = load(&cx.db, cx.now, &origin, 50, 0).await?;
            public(cx, Response::ok(feeds::atom(&s))?, "application/atom+xml; charset=utf-8", &s)
        }
        "/history.rss" => {
            let s = load(&cx.db, cx.now, &origin, 50, 0).await?;
            public(cx, Response::ok(feeds::rss(&s))?, "application/rss+xml; charset=utf-8", &s)
        }
        p => {
            let one = |prefix: &str| p.strip_prefix(prefix).filter(|id| !id.is_empty() && !id.contains('/')).map(str::to_string);
            let (id, render, what): (String, Render, &'static str) = match (one("/status/incidents/"), one("/status/maintenance/")) {
                (Some(id), _) => (id, html::incident, "incident"),
                (_, Some(id)) => (id, html::maintenance, "maintenance"),
                _ => return Err(ApiError::NotFound("page")),
            };
            let s = load(&cx.db, cx.now, &origin, 200, 0).await?;
            let page = render(&s, &id).ok_or(ApiError::NotFound(what))?;
            public(cx, Response::from_html(page)?, "text/html; charset=utf-8", &s)
        }
    }
}

/// Draws one public incident's or maintenance's page (`None`: not on the page).
type Render = fn(&sp::Snapshot, &str) -> Option<String>;

/// Headers every public answer carries: type, CORS, CDN caching, validators.
fn public(cx: &Cx, mut resp: Response, content_type: &str, s: &sp::Snapshot) -> ApiResult<Response> {
    let h = resp.headers_mut();
    h.set("Content-Type", content_type)?;
    h.set("Access-Control-Allow-Origin", "*")?;
    if content_type.starts_with("text/html") {
        // No scripts; the one inline stylesheet by its hash; framed only where configured.
        let framers = cx.var("STATUS_PAGE_FRAME_ANCESTORS").unwrap_or_default();
        for (name, value) in tocsin_domain::web_security::headers(tocsin_domain::web_security::AnswerKind::StatusPage, false, &css_hash(), &framers) {
            if name == "Content-Security-Policy" || name == "X-Frame-Options" {
                h.set(name, &value)?;
            }
        }
    }
    // Browsers revalidate every time (a cheap 304 from the cache); CDNs may keep it briefly.
    h.set("Cache-Control", &format!("public, max-age=0, s-maxage={MAX_AGE_SECS}, must-revalidate"))?;
    let modified = s.incidents.iter().map(|i| i.updated_at).chain(s.maintenances.iter().map(|m| m.updated_at)).chain([s.page.updated_at]).max().unwrap_or(s.now);
    h.set("Last-Modified", &modified.format("%a, %d %b %Y %H:%M:%S GMT").to_string())?;
    Ok(resp)
}

/// Base64 SHA-256 of the status page's inline stylesheet, for its Content-Security-Policy.
fn css_hash() -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(Sha256::digest(html::CSS.as_bytes()))
}

/// Serves a public path: from the cache when possible, else built, validated and cached.
pub async fn serve(cx: &Cx, path: &str) -> ApiResult<Response> {
    let cache = Cache::default();
    // Only what changes the answer varies the cache: the history's page number (normalised);
    // any other query string is ignored, so `?x=1`, `?x=2`, … cannot each miss and hit D1.
    let key = match path {
        "/status/history" => cache_key(path, Some(&format!("page={}", history_page(cx.req.url()?.query())))),
        _ => cache_key(path, None),
    };
    let resp = match cache.get(key.as_str(), false).await.ok().flatten() {
        Some(hit) => {
            let headers = hit.headers().clone();
            headers.set("X-Tocsin-Cache", "hit").ok();
            hit.with_headers(headers)
        }
        None => {
            let mut built = build(cx, path).await?;
            let body = built.bytes().await?;
            let etag = format!("\"{}\"", Sha256::digest(&body).iter().take(12).map(|b| format!("{b:02x}")).collect::<String>());
            let headers = built.headers().clone();
            headers.set("ETag", &etag)?;
            let fresh = Response::from_bytes(body)?.with_headers(headers).with_status(built.status_code());
            let mut fresh = fresh;
            let _ = cache.put(key.as_str(), fresh.cloned()?).await;
            fresh.headers_mut().set("X-Tocsin-Cache", "miss").ok();
            fresh
        }
    };
    let etag = resp.headers().get("ETag").ok().flatten();
    if let (Some(etag), Some(asked)) = (etag, cx.header("If-None-Match")) {
        if asked.split(',').any(|t| t.trim() == etag) {
            let headers = resp.headers().clone();
            return Ok(Response::empty()?.with_status(304).with_headers(headers));
        }
    }
    Ok(resp)
}

/// `?page=N` of the history, 1..=MAX_HISTORY_PAGES (anything else is page 1): at most
/// `MAX_HISTORY_PAGES × 20` incidents are ever loaded for it.
fn history_page(query: Option<&str>) -> i64 {
    let n = query.into_iter().flat_map(|q| q.split('&')).find_map(|kv| kv.strip_prefix("page=")).and_then(|p| p.parse::<i64>().ok());
    n.filter(|p| (1..=MAX_HISTORY_PAGES).contains(p)).unwrap_or(1)
}

/// How far back the history pages go (20 incidents each).
pub const MAX_HISTORY_PAGES: i64 = 25;

/// Cached answers are keyed by path and query only, so that a change made anywhere (a request,
/// the cron) can purge them. (Set the page's URL so that links in cached answers are right for
/// every hostname the instance answers on.)
fn cache_key(path: &str, query: Option<&str>) -> String {
    match query {
        Some(q) if !q.is_empty() => format!("https://tocsin-status.cache{path}?{q}"),
        _ => format!("https://tocsin-status.cache{path}"),
    }
}

/// After any change to what the page shows: drop the cached answers.
pub async fn purge() {
    purge_with(&[]).await;
}

/// Same, and the pages of the public incidents or maintenances `changed` (their own pages show
/// their updates).
pub async fn purge_with(changed: &[&str]) {
    let cache = Cache::default();
    for p in PURGE_PATHS {
        let _ = cache.delete(cache_key(p, None), false).await;
    }
    for n in 1..=MAX_HISTORY_PAGES {
        let _ = cache.delete(cache_key("/status/history", Some(&format!("page={n}"))), false).await;
    }
    for id in changed {
        let _ = cache.delete(cache_key(&format!("/status/incidents/{id}"), None), false).await;
        let _ = cache.delete(cache_key(&format!("/status/maintenance/{id}"), None), false).await;
    }
}

thread_local! {
    /// The public page's configured URL host, looked up at most every 30 s per isolate.
    static PAGE_HOST: std::cell::RefCell<Option<(i64, Option<String>)>> = const { std::cell::RefCell::new(None) };
}

async fn page_host(db: &Db, now: i64) -> ApiResult<Option<String>> {
    if let Some((at, host)) = PAGE_HOST.with(|h| h.borrow().clone()) {
        if now - at < 30_000 {
            return Ok(host);
        }
    }
    let host = match db.public_org().await? {
        Some(org) => db.status_page_url(&org).await?.and_then(|u| worker::Url::parse(&u).ok()).and_then(|u| u.host_str().map(str::to_string)),
        None => None,
    };
    PAGE_HOST.with(|h| *h.borrow_mut() = Some((now, host.clone())));
    Ok(host)
}

/// `GET /`: the status page when the request arrives on the page's own domain (its configured
/// URL's host), the responder app otherwise.
pub async fn root(cx: &Cx) -> ApiResult<Response> {
    let host = cx.req.url()?.host_str().map(str::to_string);
    if host.is_some() && page_host(&cx.db, cx.now).await? == host {
        return serve(cx, "/status").await;
    }
    Ok(cx.env.assets("ASSETS")?.fetch_request(cx.req.to_worker()).await?)
}

/// Forget the cached page host (after the page's settings change).
pub fn forget_page_host() {
    PAGE_HOST.with(|h| *h.borrow_mut() = None);
}
