//! Tocsin's OpenAPI 3.1 document, built from the route table in [`routes`] and JSON Schemas
//! (draft 2020-12, OpenAPI 3.1's dialect) that `schemars` derives from tocsin-domain's wire
//! types, the same types the worker's handlers read and write. Native only: the worker's build
//! script calls [`document_json`] and embeds the result, so the worker's wasm carries no schema
//! code. `tests/tests/openapi.rs` checks that every route of worker/src/http/mod.rs is here (and
//! nothing else), and runs schemathesis against a live instance with this document.

pub mod routes;

use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde_json::{json, Map, Value};
use tocsin_domain::api::ErrorBody;

/// A JSON object whose shape another document defines (Statuspage's v2 JSON, this document).
#[derive(JsonSchema)]
pub struct JsonObject(#[allow(dead_code)] Map<String, Value>);

/// Makes the schema of one wire type (a `$ref` into `components/schemas`).
pub type SchemaFn = fn(&mut SchemaGenerator) -> Schema;

fn schema_of<T: JsonSchema>(g: &mut SchemaGenerator) -> Schema {
    g.subschema_for::<T>()
}

/// Who may call an operation (shown as `x-tocsin-role` and in the security requirements).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Who {
    /// No credentials: public pages, first-run setup, login, health.
    Anyone,
    /// A service's integration key (in the path, the body's `routing_key`, or `GenieKey`).
    Integration,
    /// Any member, with a session cookie or an API token.
    Observer,
    /// Responders and admins.
    Responder,
    /// Admins only.
    Admin,
}

impl Who {
    fn role(self) -> &'static str {
        match self {
            Who::Anyone => "anyone",
            Who::Integration => "integration",
            Who::Observer => "observer",
            Who::Responder => "responder",
            Who::Admin => "admin",
        }
    }
    fn member(self) -> bool {
        matches!(self, Who::Observer | Who::Responder | Who::Admin)
    }
}

/// What an answer (or a request) carries.
#[derive(Clone)]
pub enum Content {
    Json(SchemaFn),
    /// One of several JSON shapes.
    JsonOneOf(Vec<SchemaFn>),
    /// A text document of this media type (HTML, Atom, RSS, iCalendar).
    Text(&'static str),
    Empty,
}

#[derive(Clone)]
pub struct Answer {
    pub status: u16,
    pub description: &'static str,
    pub content: Content,
}

#[derive(Clone)]
pub struct Param {
    pub name: &'static str,
    pub required: bool,
    pub schema: Value,
    pub description: &'static str,
}

/// One operation: a method and path of worker/src/http/mod.rs with who may call it, what it
/// takes and what it answers. Made with [`get`], [`post`], … and the builder methods.
#[derive(Clone)]
pub struct Op {
    pub method: &'static str,
    pub path: &'static str,
    pub who: Who,
    pub summary: &'static str,
    pub notes: Vec<&'static str>,
    pub body: Option<Content>,
    pub answers: Vec<Answer>,
    pub query: Vec<Param>,
    pub path_enums: Vec<(&'static str, &'static [&'static str])>,
    /// The shape of error answers when it is not Tocsin's `Error` (vendor-compatible routes).
    pub error_shape: Option<SchemaFn>,
    /// Overrides the security requirement implied by `who`.
    pub security: Option<Value>,
    /// OpenAPI links from the first success answer: (operationId, [(parameter, expression)]),
    /// which schemathesis's stateful phase follows (create, then use what was created).
    pub links: Vec<(&'static str, Vec<(&'static str, &'static str)>)>,
}

fn op(method: &'static str, path: &'static str, who: Who, summary: &'static str) -> Op {
    Op { method, path, who, summary, notes: vec![], body: None, answers: vec![], query: vec![], path_enums: vec![], error_shape: None, security: None, links: vec![] }
}
pub fn get(path: &'static str, who: Who, summary: &'static str) -> Op {
    op("get", path, who, summary)
}
pub fn post(path: &'static str, who: Who, summary: &'static str) -> Op {
    op("post", path, who, summary)
}
pub fn put(path: &'static str, who: Who, summary: &'static str) -> Op {
    op("put", path, who, summary)
}
pub fn patch(path: &'static str, who: Who, summary: &'static str) -> Op {
    op("patch", path, who, summary)
}
pub fn delete(path: &'static str, who: Who, summary: &'static str) -> Op {
    op("delete", path, who, summary)
}

impl Op {
    /// A JSON request body of type `T`.
    pub fn body<T: JsonSchema>(mut self) -> Self {
        self.body = Some(Content::Json(schema_of::<T>));
        self
    }
    /// A JSON answer of type `T` with this status.
    pub fn ok<T: JsonSchema>(self, status: u16) -> Self {
        self.answer(status, "Success", Content::Json(schema_of::<T>))
    }
    pub fn answer(mut self, status: u16, description: &'static str, content: Content) -> Self {
        self.answers.push(Answer { status, description, content });
        self
    }
    /// `204 No Content`.
    pub fn no_content(self) -> Self {
        self.answer(204, "Done; no body", Content::Empty)
    }
    /// A text document (HTML, feeds, iCalendar).
    pub fn text(self, status: u16, media: &'static str) -> Self {
        self.answer(status, "The document", Content::Text(media))
    }
    pub fn query<T: JsonSchema>(mut self, name: &'static str, description: &'static str) -> Self {
        let schema = SchemaSettings::draft2020_12().with(|s| s.inline_subschemas = true).into_generator().into_root_schema_for::<T>();
        let mut schema = schema.to_value();
        if let Some(o) = schema.as_object_mut() {
            o.remove("$schema");
            o.remove("title");
        }
        self.query.push(Param { name, required: false, schema, description });
        self
    }
    pub fn note(mut self, text: &'static str) -> Self {
        self.notes.push(text);
        self
    }
    pub fn path_enum(mut self, name: &'static str, values: &'static [&'static str]) -> Self {
        self.path_enums.push((name, values));
        self
    }
    /// Errors in a vendor's own shape instead of Tocsin's `Error`.
    pub fn errors_as<T: JsonSchema>(mut self) -> Self {
        self.error_shape = Some(schema_of::<T>);
        self
    }
    pub fn security(mut self, requirement: Value) -> Self {
        self.security = Some(requirement);
        self
    }

    /// Links the success answer to operations that take `param` from it (a runtime expression
    /// such as `$response.body#/id`).
    pub fn links(mut self, operation_ids: &[&'static str], param: &'static str, expression: &'static str) -> Self {
        for id in operation_ids {
            self.links.push((id, vec![(param, expression)]));
        }
        self
    }

    fn path_params(&self) -> Vec<&'static str> {
        self.path.split('/').filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}'))).collect()
    }

    fn operation_id(&self) -> String {
        let mut id = self.method.to_string();
        for seg in self.path.split('/').filter(|s| !s.is_empty()) {
            let seg = seg.trim_start_matches('{').trim_end_matches('}');
            id.push('_');
            id.extend(seg.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }));
        }
        id
    }

    fn tag(&self) -> &'static str {
        let segs: Vec<&str> = self.path.split('/').filter(|s| !s.is_empty()).collect();
        match segs.as_slice() {
            ["api", "v2", ..] | ["status", ..] | ["history.atom" | "history.rss"] | [] => "status page (public)",
            ["api", "status", ..] => "status page",
            ["api", "setup" | "auth" | "me" | "invites", ..] => "auth",
            ["api", "users" | "tokens", ..] => "users",
            ["api", "services", ..] => "services",
            ["api", "incidents" | "incident-roles", ..] => "incidents",
            ["api", "schedules" | "oncall" | "escalation-policies" | "calendar-feeds", ..] => "on-call",
            ["api", "push" | "actions" | "webhook-destinations", ..] => "paging",
            ["webhooks", ..] | ["v2", ..] => "ingestion",
            _ => "other",
        }
    }
}

fn error_statuses(o: &Op) -> Vec<(u16, &'static str)> {
    let write = o.method != "get";
    let mut v = Vec::new();
    if o.body.is_some() || !o.query.is_empty() || !o.path_enums.is_empty() {
        v.push((400, "Invalid input; `field` names the field at fault"));
    }
    if o.who != Who::Anyone {
        v.push((401, "No valid credentials"));
    }
    if o.who.member() && (o.who != Who::Observer || write) || o.who == Who::Integration || write && o.path.starts_with("/api/") {
        v.push((403, "The caller's role may not do this (or a cross-site write was refused)"));
    }
    if !o.path_params().is_empty() || o.who == Who::Integration {
        v.push((404, "No such resource (in the caller's organisation)"));
    }
    if write {
        v.push((409, "Conflict or invalid transition"));
    }
    if o.body.is_some() {
        v.push((413, "Request body too large"));
    }
    if write && o.path.starts_with("/api/") {
        v.push((415, "A cookie-authenticated write must be `Content-Type: application/json`"));
    }
    v.push((429, "Too many requests; see `Retry-After`"));
    v.push((503, "The deployment lacks a worker secret (`not_configured`)"));
    v
}

fn error_response(description: &str, status: u16, schema: Value) -> Value {
    let mut r = json!({"description": description, "content": {"application/json": {"schema": schema}}});
    if matches!(status, 429 | 503) {
        r["headers"] = json!({"Retry-After": {"description": "Seconds to wait (429; 503 `busy`)", "schema": {"type": "integer"}}});
    }
    r
}

fn error_response_name(status: u16) -> String {
    format!("Error{status}")
}

/// `components/responses`: Tocsin's error answers, one per status, all in the `ErrorBody` shape.
fn error_responses(g: &mut SchemaGenerator) -> Map<String, Value> {
    let schema = g.subschema_for::<ErrorBody>().to_value();
    let mut m = Map::new();
    let all = [
        (400, "Invalid input; `field` names the field at fault (`invalid_request`)"),
        (401, "No valid credentials (`unauthenticated`)"),
        (403, "The caller may not do this, or a cross-site write was refused (`forbidden`)"),
        (404, "No such resource in the caller's organisation (`not_found`)"),
        (409, "Conflict or invalid transition (`conflict`)"),
        (413, "Request body or a field too large (`payload_too_large`)"),
        (415, "A cookie-authenticated write must be `Content-Type: application/json` (`unsupported_media_type`)"),
        (429, "Too many requests; see `Retry-After` (`rate_limited`)"),
        (503, "The deployment lacks a worker secret (`not_configured`, naming it), or an alert met contention a retry resolves (`busy`, with `Retry-After`)"),
    ];
    for (status, description) in all {
        m.insert(error_response_name(status), error_response(description, status, schema.clone()));
    }
    m.insert("Error".into(), error_response("Any other error (e.g. 405 `method_not_allowed`, 500 `internal`)", 0, schema));
    m
}

fn content_value(c: &Content, g: &mut SchemaGenerator) -> Option<Value> {
    match c {
        Content::Json(f) => Some(json!({"application/json": {"schema": f(g).to_value()}})),
        Content::JsonOneOf(fs) => {
            let all: Vec<Value> = fs.iter().map(|f| f(g).to_value()).collect();
            Some(json!({"application/json": {"schema": {"oneOf": all}}}))
        }
        Content::Text(media) => Some(json!({ *media: {"schema": {"type": "string"}} })),
        Content::Empty => None,
    }
}

fn security_of(o: &Op) -> Value {
    if let Some(s) = &o.security {
        return s.clone();
    }
    if o.who.member() {
        json!([{"session": []}, {"bearer": []}])
    } else {
        json!([])
    }
}

fn role_text(who: Who) -> &'static str {
    match who {
        Who::Anyone => "Anyone (no credentials).",
        Who::Integration => "Whoever holds the service's integration key.",
        Who::Observer => "Any member (observer, responder, admin), by session cookie or API token.",
        Who::Responder => "Responders and admins (observers get 403).",
        Who::Admin => "Admins only (others get 403).",
    }
}

fn operation(o: &Op, g: &mut SchemaGenerator) -> Value {
    let mut params: Vec<Value> = o
        .path_params()
        .into_iter()
        .map(|name| {
            let schema = match o.path_enums.iter().find(|(n, _)| *n == name) {
                Some((_, values)) => json!({"type": "string", "enum": values}),
                None => json!({"type": "string", "minLength": 1}),
            };
            json!({"name": name, "in": "path", "required": true, "schema": schema})
        })
        .collect();
    params.extend(o.query.iter().map(|p| json!({"name": p.name, "in": "query", "required": p.required, "schema": p.schema, "description": p.description})));
    let mut responses = Map::new();
    let first_success = o.answers.iter().map(|a| a.status).filter(|s| (200..300).contains(s)).min();
    for a in &o.answers {
        let mut r = json!({"description": a.description});
        if let Some(c) = content_value(&a.content, g) {
            r["content"] = c;
        }
        if Some(a.status) == first_success && !o.links.is_empty() {
            let links: Map<String, Value> = o
                .links
                .iter()
                .map(|(id, params)| (id.to_string(), json!({"operationId": id, "parameters": params.iter().map(|(k, v)| (k.to_string(), json!(v))).collect::<Map<_, _>>()})))
                .collect();
            r["links"] = Value::Object(links);
        }
        responses.insert(a.status.to_string(), r);
    }
    for (status, description) in error_statuses(o) {
        if !responses.contains_key(&status.to_string()) {
            let r = match o.error_shape {
                // Tocsin's own errors are shared components (`components/responses`).
                None => json!({"$ref": format!("#/components/responses/{}", error_response_name(status))}),
                Some(shape) => error_response(description, status, shape(g).to_value()),
            };
            responses.insert(status.to_string(), r);
        }
    }
    // Whatever else goes wrong is still answered in the error shape.
    let default = match o.error_shape {
        None => json!({"$ref": "#/components/responses/Error"}),
        Some(shape) => error_response("Error", 0, shape(g).to_value()),
    };
    responses.insert("default".into(), default);
    let mut description = role_text(o.who).to_string();
    for n in &o.notes {
        description.push_str("\n\n");
        description.push_str(n);
    }
    let mut v = json!({
        "operationId": o.operation_id(),
        "summary": o.summary,
        "description": description,
        "tags": [o.tag()],
        "x-tocsin-role": o.who.role(),
        "security": security_of(o),
        "responses": responses,
    });
    if !params.is_empty() {
        v["parameters"] = Value::Array(params);
    }
    if let Some(c) = o.body.as_ref().and_then(|c| content_value(c, g)) {
        v["requestBody"] = json!({"required": true, "content": c});
    }
    v
}

/// The whole document.
pub fn document() -> Value {
    let mut g = SchemaSettings::draft2020_12().with(|s| s.definitions_path = "/components/schemas".into()).into_generator();
    let mut paths = Map::new();
    for o in routes::routes() {
        let op = operation(&o, &mut g);
        let item = paths.entry(o.path.to_string()).or_insert_with(|| json!({}));
        assert!(item.get(o.method).is_none(), "{} {} is in the route table twice", o.method, o.path);
        item[o.method] = op;
    }
    let responses = error_responses(&mut g);
    let schemas = g.take_definitions(true);
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Tocsin",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Incident management: alerts in by webhook, deduplicated into incidents, worked from a phone. \
Errors are always `{\"error\":{\"code\",\"message\",\"field\"?}}` (the `Error` schema) with the matching status, except on the \
PagerDuty- and Opsgenie-compatible routes, which answer in those vendors' shapes. `x-tocsin-role` on each operation says the \
least role that may call it (`anyone`, `integration`, `observer`, `responder`, `admin`). Writes to `/api/*` authenticated by the \
session cookie must be `Content-Type: application/json` from this origin; Bearer-token requests are not cookie-borne.",
            "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"}
        },
        "tags": [
            {"name": "auth"}, {"name": "users"}, {"name": "services"}, {"name": "incidents"}, {"name": "on-call"},
            {"name": "paging"}, {"name": "status page"}, {"name": "status page (public)"}, {"name": "ingestion"}, {"name": "other"}
        ],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "responses": responses,
            "securitySchemes": {
                "session": {"type": "apiKey", "in": "cookie", "name": "tocsin_session", "description": "Set by setup, login and accepting an invitation (HttpOnly, SameSite=Lax)."},
                "bearer": {"type": "http", "scheme": "bearer", "description": "An API token's secret (`POST /api/tokens`); acts with the token's role."},
                "genieKey": {"type": "apiKey", "in": "header", "name": "Authorization", "description": "`GenieKey <integration key>`, as Opsgenie clients send it."}
            }
        }
    })
}

pub fn document_json() -> String {
    serde_json::to_string(&document()).expect("the document serialises")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refs(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                if let Some(Value::String(r)) = m.get("$ref") {
                    out.push(r.clone());
                }
                m.values().for_each(|x| refs(x, out));
            }
            Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
            _ => {}
        }
    }

    #[test]
    fn every_reference_resolves() {
        let doc = document();
        let mut all = Vec::new();
        refs(&doc, &mut all);
        assert!(!all.is_empty());
        for r in all {
            let pointer = r.strip_prefix('#').unwrap_or_else(|| panic!("non-local $ref {r}"));
            assert!(doc.pointer(pointer).is_some(), "$ref {r} points nowhere");
        }
    }

    #[test]
    fn links_name_real_operations() {
        let doc = document();
        let ids: Vec<String> = doc["paths"].as_object().unwrap().values().flat_map(|i| i.as_object().unwrap().values().map(|o| o["operationId"].as_str().unwrap().to_string())).collect();
        let mut n = 0;
        for o in routes::routes() {
            for (id, _) in &o.links {
                n += 1;
                assert!(ids.iter().any(|x| x == id), "{} {} links to unknown operation {id}", o.method, o.path);
            }
        }
        assert!(n > 10);
    }

    #[test]
    fn operation_ids_are_unique_and_path_params_declared() {
        let doc = document();
        let mut ids = std::collections::BTreeSet::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                assert!(ids.insert(op["operationId"].as_str().unwrap().to_string()), "duplicate operationId at {method} {path}");
                for seg in path.split('/').filter(|s| s.starts_with('{')) {
                    let name = seg.trim_matches(|c| c == '{' || c == '}');
                    let declared = op["parameters"].as_array().is_some_and(|ps| ps.iter().any(|p| p["name"] == name && p["in"] == "path"));
                    assert!(declared, "{method} {path}: path parameter {name} not declared");
                }
            }
        }
    }
}
