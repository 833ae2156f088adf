//! Browser-facing defences as rules: which security headers each kind of answer carries,
//! whether a cookie-authenticated write may proceed (CSRF), and what the app's static modules may
//! be named and sent as (content codings). The worker asks; nothing here reads a request or
//! writes a response.

/// What an answer is, for choosing its Content-Security-Policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AnswerKind {
    /// The responder app's HTML shell: its own scripts and the WebAssembly module only.
    App,
    /// The public status page's HTML: no scripts at all, its one inline stylesheet by hash.
    StatusPage,
    /// JSON, feeds, calendars, anything not meant to render as a document.
    Data,
}

/// The headers every answer of `kind` carries. `style_hash` is the base64 SHA-256 of the status
/// page's inline stylesheet; `frame_ancestors` is who may frame the status page (`'none'` by
/// default; the app and data are never framed).
pub fn headers(kind: AnswerKind, https: bool, style_hash: &str, frame_ancestors: &str) -> Vec<(&'static str, String)> {
    let csp = match kind {
        AnswerKind::App => "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; \
             connect-src 'self'; worker-src 'self'; manifest-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
             frame-ancestors 'none'"
            .to_string(),
        AnswerKind::StatusPage => format!(
            "default-src 'none'; style-src 'sha256-{style_hash}'; img-src 'self' data:; base-uri 'none'; form-action 'none'; \
             frame-ancestors {}",
            frame_ancestors_value(frame_ancestors)
        ),
        AnswerKind::Data => "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'".to_string(),
    };
    let mut out = vec![
        ("Content-Security-Policy", csp),
        ("X-Content-Type-Options", "nosniff".to_string()),
        ("Referrer-Policy", "strict-origin-when-cross-origin".to_string()),
    ];
    if kind != AnswerKind::StatusPage || frame_ancestors_value(frame_ancestors) == "'none'" {
        out.push(("X-Frame-Options", "DENY".to_string()));
    }
    if https {
        out.push(("Strict-Transport-Security", "max-age=31536000; includeSubDomains".to_string()));
    }
    out
}

/// A configured list of origins allowed to frame the status page (space-separated
/// `https://host` origins), or `'none'` when unset or when anything in it is not an origin.
pub fn frame_ancestors_value(configured: &str) -> String {
    let origins: Vec<&str> = configured.split_whitespace().collect();
    let is_origin = |o: &&str| {
        o.strip_prefix("https://").or_else(|| o.strip_prefix("http://")).is_some_and(|h| {
            !h.is_empty() && h.chars().all(|c| c.is_ascii_alphanumeric() || ".-:*".contains(c))
        })
    };
    if origins.is_empty() || !origins.iter().all(is_origin) {
        "'none'".to_string()
    } else {
        origins.join(" ")
    }
}

/// Why a cookie-authenticated write was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CsrfRefusal {
    /// Not `Content-Type: application/json` (a form or a "simple" cross-site request).
    NotJson,
    /// `Origin` names another site, or `Sec-Fetch-Site` says cross-site.
    CrossSite,
}

/// Whether a write that a browser could have sent with the session cookie may proceed.
/// Requests authenticated by a Bearer token carry no ambient credential and are not checked.
/// Browsers send `Origin` on every non-GET request (and `Sec-Fetch-Site`); a client that sends
/// neither is not a browser, so it cannot be the victim of cross-site request forgery.
pub fn check_write(bearer: bool, content_type: Option<&str>, origin: Option<&str>, sec_fetch_site: Option<&str>, own_origin: &str) -> Result<(), CsrfRefusal> {
    if bearer {
        return Ok(());
    }
    let json = content_type.and_then(|c| c.split(';').next()).is_some_and(|c| c.trim().eq_ignore_ascii_case("application/json"));
    if !json {
        return Err(CsrfRefusal::NotJson);
    }
    if let Some(o) = origin {
        if !o.eq_ignore_ascii_case(own_origin) {
            return Err(CsrfRefusal::CrossSite);
        }
    }
    if let Some(site) = sec_fetch_site {
        if !matches!(site.trim(), "same-origin" | "none") {
            return Err(CsrfRefusal::CrossSite);
        }
    }
    Ok(())
}

/// Whether a WebSocket handshake may proceed. A browser sends `Origin` on every handshake and
/// the cookie goes with it whatever the page, so a page of another origin (a sibling subdomain
/// counts: cookies are per site) could otherwise read the live record as its visitor
/// (cross-site WebSocket hijacking). Bearer-token clients and non-browsers are not checked.
pub fn check_socket(bearer: bool, origin: Option<&str>, own_origin: &str) -> Result<(), CsrfRefusal> {
    match origin {
        Some(o) if !bearer && !o.eq_ignore_ascii_case(own_origin) => Err(CsrfRefusal::CrossSite),
        _ => Ok(()),
    }
}

/// Whether an `Accept-Encoding` value takes `coding`: listed (by name, in any case) with a weight
/// above zero (`q`, in any case; a weight that does not parse counts as zero).
pub fn accepts_coding(accept: &str, coding: &str) -> bool {
    accept.split(',').any(|part| {
        let mut it = part.split(';');
        let name = it.next().unwrap_or("").trim();
        let q = it
            .find_map(|p| p.trim().split_once('=').filter(|(k, _)| k.trim().eq_ignore_ascii_case("q")).map(|(_, v)| v.trim().parse::<f32>().unwrap_or(0.0)))
            .unwrap_or(1.0);
        name.eq_ignore_ascii_case(coding) && q > 0.0
    })
}

/// Whether a path segment under `/pkg/` could be one the build wrote: letters, digits, `_`, `-`
/// and `.`, and no `..`.
pub fn is_build_file_name(s: &str) -> bool {
    !s.is_empty() && !s.contains("..") && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get<'a>(h: &'a [(&'static str, String)], name: &str) -> Option<&'a str> {
        h.iter().find(|(k, _)| *k == name).map(|(_, v)| v.as_str())
    }

    #[test]
    fn sockets_refuse_other_origins_unless_bearer() {
        let own = "https://tocsin.example.com";
        assert_eq!(check_socket(false, Some(own), own), Ok(()));
        assert_eq!(check_socket(false, None, own), Ok(()));
        assert_eq!(check_socket(false, Some("https://evil.example.com"), own), Err(CsrfRefusal::CrossSite));
        assert_eq!(check_socket(false, Some("https://status.tocsin.example.com"), own), Err(CsrfRefusal::CrossSite));
        assert_eq!(check_socket(true, Some("https://evil.example.com"), own), Ok(()));
    }

    #[test]
    fn every_kind_gets_the_basics_and_hsts_only_on_https() {
        for kind in [AnswerKind::App, AnswerKind::StatusPage, AnswerKind::Data] {
            let h = headers(kind, false, "abc", "");
            assert_eq!(get(&h, "X-Content-Type-Options"), Some("nosniff"));
            assert_eq!(get(&h, "Referrer-Policy"), Some("strict-origin-when-cross-origin"));
            assert!(get(&h, "Content-Security-Policy").unwrap().contains("frame-ancestors 'none'"), "{kind:?}");
            assert_eq!(get(&h, "Strict-Transport-Security"), None);
            assert!(get(&headers(kind, true, "abc", ""), "Strict-Transport-Security").unwrap().starts_with("max-age="));
        }
    }

    #[test]
    fn the_app_may_run_wasm_and_nothing_inline() {
        let csp = headers(AnswerKind::App, true, "", "").remove(0).1;
        assert!(csp.contains("script-src 'self' 'wasm-unsafe-eval'"));
        assert!(!csp.contains("unsafe-inline"));
    }

    #[test]
    fn the_status_page_allows_only_its_stylesheet_and_configured_framers() {
        let h = headers(AnswerKind::StatusPage, false, "HASH=", "https://example.com https://www.example.com");
        let csp = get(&h, "Content-Security-Policy").unwrap();
        assert!(csp.contains("style-src 'sha256-HASH='") && csp.contains("default-src 'none'"), "{csp}");
        assert!(csp.ends_with("frame-ancestors https://example.com https://www.example.com"), "{csp}");
        assert_eq!(get(&h, "X-Frame-Options"), None, "framing allowed for the configured origins");
        // Anything that is not an origin falls back to 'none' (no header injection).
        assert_eq!(frame_ancestors_value("https://x.io; script-src *"), "'none'");
        assert_eq!(frame_ancestors_value("*"), "'none'");
    }

    #[test]
    fn cookie_writes_must_be_json_and_same_origin() {
        let own = "https://tocsin.example";
        assert_eq!(check_write(false, Some("application/json"), Some(own), Some("same-origin"), own), Ok(()));
        assert_eq!(check_write(false, Some("application/json; charset=utf-8"), None, None, own), Ok(()), "curl with a cookie jar");
        assert_eq!(check_write(false, Some("text/plain"), Some(own), None, own), Err(CsrfRefusal::NotJson));
        assert_eq!(check_write(false, None, Some(own), None, own), Err(CsrfRefusal::NotJson));
        assert_eq!(check_write(false, Some("application/x-www-form-urlencoded"), None, None, own), Err(CsrfRefusal::NotJson));
        assert_eq!(check_write(false, Some("application/json"), Some("https://evil.example"), None, own), Err(CsrfRefusal::CrossSite));
        assert_eq!(check_write(false, Some("application/json"), None, Some("cross-site"), own), Err(CsrfRefusal::CrossSite));
        assert_eq!(check_write(false, Some("application/json"), None, Some("same-site"), own), Err(CsrfRefusal::CrossSite));
        assert_eq!(check_write(true, None, Some("https://evil.example"), Some("cross-site"), own), Ok(()), "Bearer tokens are not ambient");
    }

    #[test]
    fn a_coding_is_taken_when_listed_with_a_weight_above_zero() {
        assert!(accepts_coding("gzip, deflate, br, zstd", "zstd"));
        assert!(accepts_coding("ZSTD;q=0.5", "zstd"));
        assert!(!accepts_coding("gzip, br", "zstd"));
        assert!(!accepts_coding("zstd;q=0, gzip", "zstd"));
        assert!(!accepts_coding("zstd;Q=0", "zstd"));
        assert!(!accepts_coding("zstd; q = 0.0", "zstd"));
        assert!(!accepts_coding("zstd;q=nonsense", "zstd"));
        assert!(!accepts_coding("zstdx, xzstd", "zstd"));
        assert!(!accepts_coding("", "zstd"));
    }

    #[test]
    fn build_file_names_are_plain() {
        assert!(is_build_file_name("tocsin_app_bg.wasm"));
        assert!(is_build_file_name("bundle_split___incident_screen_view_11371655458197556821.wasm"));
        assert!(is_build_file_name("e08c8eb4b296"));
        for bad in ["", "..", "a..b", "a/b", "a\\b", "a%2Fb", "a b", "é.wasm"] {
            assert!(!is_build_file_name(bad), "{bad}");
        }
    }
}
