//! The API's description. `GET /api/openapi.json` is an OpenAPI 3.1 document (checked by
//! openapi-spec-validator) that describes exactly the routes of worker/src/http/mod.rs, whose
//! `x-tocsin-role` agrees with the authorization matrix of tests/tests/authz.rs; and
//! schemathesis, run over every operation of the document with an admin API token (coverage,
//! fuzzing and stateful phases, following the document's links), finds no 5xx and no answer
//! that disagrees with the document (status, content type, headers, body schema).
//!
//! The document is generated from the route table in openapi/src/routes.rs; a new route needs
//! one line there (see tests/README.md).

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;
use std::sync::OnceLock;
use tocsin_tests::routes::{shape, worker_routes};
use tocsin_tests::{unique, Api, Instance};

struct Ctx {
    inst: Instance,
    doc: OnceLock<Value>,
}

impl Ctx {
    /// The document as the worker serves it.
    fn doc(&self) -> &Value {
        self.doc.get_or_init(|| {
            let r = Api::new(&self.inst.base).get("/api/openapi.json");
            assert_eq!(r.status, 200, "{}", r.text);
            assert!(r.header("content-type").is_some_and(|t| t.starts_with("application/json")), "{:?}", r.headers);
            r.json
        })
    }
}

fn main() {
    let ctx = Ctx { inst: Instance::start("openapi"), doc: OnceLock::new() };
    let tests: &[(&str, fn(&Ctx))] = &[
        ("the_document_is_valid_openapi_3_1", valid_document),
        ("every_route_is_described_and_nothing_else", every_route_described),
        ("roles_agree_with_the_authorization_matrix", roles_agree_with_authz),
        ("schemathesis_finds_no_server_error_and_no_schema_mismatch", schemathesis),
    ];
    tocsin_tests::run_suite(ctx, tests, |c| eprintln!("--- wrangler log ---\n{}", c.inst.log()))
}

/// (METHOD, path) of every operation in the document.
fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let paths = doc["paths"].as_object().expect("paths");
    let mut ops = Vec::new();
    for (path, item) in paths {
        for (method, op) in item.as_object().expect("path item") {
            ops.push((method.to_uppercase(), path.clone(), op.clone()));
        }
    }
    assert!(ops.len() > 40, "only {} operations", ops.len());
    ops
}

fn valid_document(c: &Ctx) {
    let doc = c.doc();
    assert_eq!(doc["openapi"], "3.1.0");
    let file = c.inst.state.join("openapi.json");
    std::fs::write(&file, serde_json::to_vec(doc).unwrap()).unwrap();
    let python = std::env::var("TOCSIN_OPENAPI_PYTHON").expect("TOCSIN_OPENAPI_PYTHON: run with ./tocsin test");
    let out = Command::new(python)
        .arg(tocsin_tests::instance::root().join("tests/clients/validate_openapi.py"))
        .arg(&file)
        .output()
        .expect("run openapi-spec-validator");
    assert!(out.status.success(), "openapi-spec-validator: {}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "valid 3.1.0");
    // One error shape, shared: every Tocsin error answer refers to it.
    assert!(doc.pointer("/components/schemas/ErrorBody/properties/error").is_some(), "ErrorBody schema");
    for (status, name) in [(400, "Error400"), (401, "Error401"), (403, "Error403"), (404, "Error404")] {
        let r = doc.pointer(&format!("/components/responses/{name}/content/application~1json/schema/$ref"));
        assert_eq!(r.and_then(Value::as_str), Some("#/components/schemas/ErrorBody"), "{status}");
    }
    let schemes = doc["components"]["securitySchemes"].as_object().expect("securitySchemes");
    assert_eq!(schemes["session"]["in"], "cookie");
    assert_eq!(schemes["session"]["name"], "tocsin_session");
    assert_eq!(schemes["bearer"]["scheme"], "bearer");
    for (method, path, op) in operations(doc) {
        let role = op["x-tocsin-role"].as_str().unwrap_or_else(|| panic!("{method} {path}: no x-tocsin-role"));
        let security = op["security"].as_array().unwrap_or_else(|| panic!("{method} {path}: no security"));
        let member = matches!(role, "observer" | "responder" | "admin");
        assert_eq!(member, !security.is_empty() && security.iter().any(|s| s.get("bearer").is_some()), "{method} {path}: role {role} vs security {security:?}");
        assert!(op["responses"].as_object().is_some_and(|r| r.keys().any(|k| k.starts_with('2') || k.starts_with('3') || k == "101")), "{method} {path}: no success answer (101 for a WebSocket)");
    }
}

fn every_route_described(c: &Ctx) {
    let routes = worker_routes();
    let doc_ops: BTreeSet<(String, String)> = operations(c.doc()).into_iter().map(|(m, p, _)| (m, shape(&p))).collect();
    let route_shapes: BTreeSet<(String, String)> = routes.iter().map(|(m, r)| (m.clone(), shape(r))).collect();
    // A rest pattern (`/api/v2/{doc..}`: the Statuspage documents) is described by the paths it
    // serves, each a `.json` under its prefix.
    let rest: Vec<(String, String)> = route_shapes.iter().filter(|(_, r)| r.ends_with("/{..}")).map(|(m, r)| (m.clone(), r.trim_end_matches("{..}").to_string())).collect();
    let covered_by_rest = |m: &str, p: &str| rest.iter().any(|(rm, prefix)| rm == m && p.starts_with(prefix.as_str()) && p.ends_with(".json"));
    let mut msg = String::new();
    for (m, r) in &route_shapes {
        let described = if r.ends_with("/{..}") { doc_ops.iter().any(|(dm, dp)| covered_by_rest(dm, dp) && dm == m) } else { doc_ops.contains(&(m.clone(), r.clone())) };
        if !described {
            msg += &format!("  {m} {r}: a route of worker/src/http/mod.rs missing from openapi/src/routes.rs\n");
        }
    }
    for (m, p) in &doc_ops {
        if !route_shapes.contains(&(m.clone(), p.clone())) && !covered_by_rest(m, p) {
            msg += &format!("  {m} {p}: in the OpenAPI document but not a route of worker/src/http/mod.rs\n");
        }
    }
    assert!(msg.is_empty(), "the OpenAPI document and the routes disagree:\n{msg}");
}

/// The least role (0 anonymous … 3 admin) that the rows of tests/tests/authz.rs let succeed
/// (2xx), per (METHOD, route shape).
fn authz_least_roles() -> BTreeMap<(String, String), usize> {
    let file = tocsin_tests::instance::root().join("tests/tests/authz.rs");
    let src = std::fs::read_to_string(&file).unwrap();
    let mut least = BTreeMap::new();
    let mut rows = 0;
    for line in src.lines() {
        let Some(at) = line.find("row(\"") else { continue };
        let mut rest = &line[at + 4..];
        let mut strings = Vec::new();
        for _ in 0..3 {
            let Some(s) = quoted(rest) else { break };
            strings.push(s.0);
            rest = s.1.trim_start_matches(", ");
        }
        let [method, route, _case] = &strings[..] else { continue };
        let expect: Option<[u16; 4]> = if let Some(list) = rest.strip_prefix('[') {
            let nums: Vec<u16> = list.split(']').next().unwrap().split(',').filter_map(|n| n.trim().parse().ok()).collect();
            nums.try_into().ok()
        } else {
            let (name, arg) = rest.split_once('(').unwrap_or(("", ""));
            let n: u16 = arg.split(')').next().unwrap_or("").parse().unwrap_or(0);
            match name {
                "admin_only" => Some([401, 403, 403, n]),
                "responders" => Some([401, 403, n, n]),
                "any_user" => Some([401, n, n, n]),
                "anyone" => Some([n; 4]),
                _ => None,
            }
        };
        let expect = expect.unwrap_or_else(|| panic!("cannot read the expectation of this authz.rs row:\n{line}"));
        rows += 1;
        if let Some(role) = expect.iter().position(|s| (200..300).contains(s)) {
            let e = least.entry((method.clone(), shape(route))).or_insert(role);
            *e = (*e).min(role);
        }
    }
    assert!(rows > 60, "read only {rows} rows of {}", file.display());
    least
}

/// A Rust string literal at the start of `s`: its text and what follows it.
fn quoted(s: &str) -> Option<(String, &str)> {
    let s = s.strip_prefix('"')?;
    let mut out = String::new();
    let mut chars = s.char_indices();
    while let Some((i, ch)) = chars.next() {
        match ch {
            '\\' => out.extend(chars.next().map(|(_, c)| c)),
            '"' => return Some((out, &s[i + 1..])),
            c => out.push(c),
        }
    }
    None
}

fn roles_agree_with_authz(c: &Ctx) {
    let least = authz_least_roles();
    let rank = |role: &str| match role {
        "anyone" | "integration" => 0,
        "observer" => 1,
        "responder" => 2,
        "admin" => 3,
        other => panic!("unknown x-tocsin-role {other}"),
    };
    let mut compared = 0;
    let mut msg = String::new();
    for (method, path, op) in operations(c.doc()) {
        let role = op["x-tocsin-role"].as_str().unwrap();
        // The Statuspage documents share one row (`/api/v2/{doc..}`).
        let key = if path.starts_with("/api/v2/") { (method.clone(), "/api/v2/{..}".to_string()) } else { (method.clone(), shape(&path)) };
        let Some(&want) = least.get(&key) else { continue };
        compared += 1;
        if rank(role) != want {
            msg += &format!("  {method} {path}: the document says {role}, authz.rs lets role #{want} (0 anonymous … 3 admin) succeed first\n");
        }
    }
    assert!(compared > 50, "compared only {compared} operations");
    assert!(msg.is_empty(), "x-tocsin-role disagrees with tests/tests/authz.rs:\n{msg}");
}

/// Runs schemathesis over every operation with an admin API token. Nothing is excluded: the
/// operations that end sessions (logout, logout everywhere, password change) end cookie
/// sessions, not the Bearer token the run uses, and links only ever delete what the run itself
/// created. The seed is fixed (TOCSIN_SCHEMATHESIS_SEED overrides it) so a failure replays.
fn schemathesis(c: &Ctx) {
    let admin = Api::setup(&c.inst.base, "Acme", "ada@openapi.example.com", "ada's long password", "Ada Admin");
    let t = admin.post("/api/tokens", serde_json::json!({"name": unique("schemathesis"), "role": "admin"}));
    assert_eq!(t.status, 201, "{}", t.text);
    let secret = t.json["secret"].as_str().unwrap().to_string();
    // Something for the read-only and public operations to show.
    let s = admin.post("/api/services", serde_json::json!({"name": unique("Service")}));
    assert_eq!(s.status, 201, "{}", s.text);
    let key = s.json["integration_key"].as_str().unwrap();
    let hook = Api::new(&c.inst.base).post(&format!("/webhooks/generic/{key}"), serde_json::json!({"summary": "Disk full", "severity": "critical"}));
    assert_eq!(hook.status, 202, "{}", hook.text);
    let published = admin.post("/api/status/incidents", serde_json::json!({"name": "Slow checkout", "body": "Looking into it"}));
    assert_eq!(published.status, 201, "{}", published.text);

    let seed = std::env::var("TOCSIN_SCHEMATHESIS_SEED").unwrap_or_else(|_| "20261202".into());
    let bin = std::env::var("TOCSIN_SCHEMATHESIS").expect("TOCSIN_SCHEMATHESIS: run with ./tocsin test");
    let report = c.inst.state.join("schemathesis");
    // The document as served (read once by this suite), from a file: the run and the count
    // below are about the same document.
    let file = c.inst.state.join("openapi-run.json");
    std::fs::write(&file, serde_json::to_vec(c.doc()).unwrap()).unwrap();
    let out = Command::new(bin)
        .arg("run")
        .arg(&file)
        .args(["--url", &c.inst.base])
        .args(["--header", &format!("Authorization: Bearer {secret}")])
        .args(["--checks", "not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance"])
        .args(["--phases", "examples,coverage,fuzzing,stateful"])
        // One worker: with two, hypothesis describes strategies from two threads at once and
        // CPython 3.11's parser can fail ("AST constructor recursion depth mismatch"), an error
        // of the tool, not of Tocsin, seen once in this suite.
        .args(["--max-examples", "20", "--seed", &seed, "--workers", "1", "--request-timeout", "20"])
        .args(["--report", "junit", "--report-dir"])
        .arg(&report)
        .env("NO_COLOR", "1")
        .current_dir(&c.inst.state)
        .output()
        .expect("run schemathesis");
    let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    println!("schemathesis (seed {seed}):\n{}", text.lines().filter(|l| !l.trim().is_empty()).rev().take(25).collect::<Vec<_>>().into_iter().rev().collect::<Vec<_>>().join("\n"));
    assert!(out.status.success(), "schemathesis found problems (seed {seed}; replay with TOCSIN_SCHEMATHESIS_SEED={seed}):\n{text}");
    // It really ran every operation.
    let total = operations(c.doc()).len();
    let tested = text.lines().find_map(|l| l.trim().strip_prefix("Tested: ")).and_then(|n| n.trim().parse::<usize>().ok());
    assert_eq!(tested, Some(total), "schemathesis should test all {total} operations:\n{text}");
}
