//! The worker's routes as `handle` in worker/src/http/mod.rs matches them, read from the source
//! at test time, so suites that must cover every route (the OpenAPI document) notice a new one.

/// Every `([...], Method) =>` arm of `handle`: (METHOD, route) with `{name}` for bound segments
/// and `{name..}` for a rest pattern (`doc @ ..`).
pub fn worker_routes() -> Vec<(String, String)> {
    let file = crate::instance::root().join("worker/src/http/mod.rs");
    let src = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let body = src.split("pub async fn handle(").nth(1).expect("fn handle in worker/src/http/mod.rs");
    let body = body.split("\n}\n").next().unwrap();
    let methods = [("Get", "GET"), ("Post", "POST"), ("Put", "PUT"), ("Patch", "PATCH"), ("Delete", "DELETE")];
    let unparsed = |line: &str| -> ! { panic!("tests/src/routes.rs cannot read this arm of handle; teach worker_routes() its shape:\n{line}") };
    let mut routes = Vec::new();
    for line in body.lines() {
        let Some(rest) = line.trim_start().strip_prefix("([") else { continue };
        let (segs, after) = rest.split_once("], ").unwrap_or_else(|| unparsed(line));
        let (method, tail) = after.split_once(')').unwrap_or_else(|| unparsed(line));
        let tail = tail.trim_start();
        if segs.contains('|') || !(tail.starts_with("=>") || tail.starts_with("if ")) {
            unparsed(line);
        }
        let method = methods.iter().find(|(m, _)| *m == method).map(|(_, m)| *m).unwrap_or_else(|| unparsed(line));
        let path: Vec<String> = segs
            .split(", ")
            .map(|s| match s.trim() {
                s if s.starts_with('"') => s.trim_matches('"').to_string(),
                s if s.ends_with(" @ ..") => format!("{{{}..}}", s.trim_end_matches(" @ ..")),
                s => format!("{{{s}}}"),
            })
            .collect();
        routes.push((method.to_string(), format!("/{}", path.join("/"))));
    }
    for (word, method) in methods {
        let arms = body.matches(&format!(", {word})")).count();
        let read = routes.iter().filter(|(m, _)| m == method).count();
        assert_eq!(arms, read, "handle has {arms} `, {word})` arms but worker_routes() read {read}: teach it the new shape");
    }
    assert!(routes.len() > 40, "read only {} routes from {}", routes.len(), file.display());
    routes
}

/// A route with its bound segments unnamed (`{id}` and `{sid}` are the same shape; a rest
/// pattern is `{..}`).
pub fn shape(route: &str) -> String {
    route.split('/').map(|s| if s.ends_with("..}") { "{..}" } else if s.starts_with('{') { "{}" } else { s }).collect::<Vec<_>>().join("/")
}
