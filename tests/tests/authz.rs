//! Authorization, route by route. Every route of the worker's `handle` (worker/src/http/mod.rs)
//! has a row here saying what each caller gets — anonymous, observer, responder and admin with a
//! session, and observer, responder and admin API tokens (which must get exactly what their role
//! gets) — and the exact status of a success. Each attempt gets fixtures of its own that would
//! let an allowed caller succeed (existing ids, a valid body), so a 401/403 is about the caller
//! and nothing else; after a refused attempt, what the request would have changed is read again
//! and must be as it was.
//!
//! The table is checked against the routes themselves: `mod.rs` is read at test time and every
//! `([...], Method) =>` arm must have a row (and every row a route), so a new route without a
//! rule fails here.

use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::sync::OnceLock;
use std::time::Duration;
use tocsin_tests::receiver::{Receiver, TestSubscription};
use tocsin_tests::{ms_rfc3339, now_ms, unique, wait_for, Api, Instance, Reply};

// ---------------------------------------------------------------------------------------------
// Who calls.

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Role {
    Anonymous = 0,
    Observer = 1,
    Responder = 2,
    Admin = 3,
}

/// How a request proves who it is.
#[derive(Clone, Debug)]
enum Auth {
    None,
    /// `tocsin_session=…`, as a browser sends it.
    Cookie(String),
    /// An API token's secret, sent as `Authorization: Bearer …`.
    Bearer(String),
}

/// A person with a session (logged in once, at the start).
#[derive(Clone)]
struct Person {
    name: String,
    id: String,
    email: String,
    password: String,
    cookie: String,
}

impl Person {
    fn auth(&self) -> Auth {
        Auth::Cookie(self.cookie.clone())
    }
}

/// One caller of the matrix: its role (the table's column), its credentials and whose identity
/// it acts with (API tokens here are the admin's, acting with a lesser role).
struct Caller {
    label: String,
    role: Role,
    auth: Auth,
    me: Option<Person>,
}

impl Caller {
    /// The person whose own things ("one's own device") this caller works on; anonymous callers
    /// are pointed at the admin's.
    fn owner<'p>(&'p self, p: &'p People) -> &'p Person {
        self.me.as_ref().unwrap_or(&p.admin)
    }

    /// Another person with a session than the one this caller acts as.
    fn someone_else<'p>(&self, p: &'p People) -> &'p Person {
        let mine = self.me.as_ref().map(|m| m.id.clone());
        [&p.responder, &p.observer, &p.admin].into_iter().find(|x| Some(&x.id) != mine.as_ref()).unwrap()
    }
}

struct People {
    admin: Person,
    observer: Person,
    responder: Person,
    /// Logged in only by the login row (its password is checked there).
    lou: Person,
    /// Never logs in, has no devices: the person escalations and reassignments page.
    pat: String,
}

struct Ctx {
    inst: Instance,
    rx: Receiver,
    people: OnceLock<People>,
}

impl Ctx {
    /// The organisation and its people, made once per instance on first use (setup can only
    /// happen once); every role logs in once here and the session is reused.
    fn people(&self) -> &People {
        self.people.get_or_init(|| {
            let base = &self.inst.base;
            let admin_api = Api::setup(base, "Acme", "ada@authz.example.com", "ada's long password", "Ada Admin");
            let me = admin_api.get("/api/me");
            assert_eq!(me.status, 200, "{}", me.text);
            let admin = Person {
                name: "Ada".into(),
                id: me.json["user"]["id"].as_str().unwrap().into(),
                email: "ada@authz.example.com".into(),
                password: "ada's long password".into(),
                cookie: admin_api.cookie().expect("setup logs the admin in"),
            };
            let user = |name: &str, role: &str, login: bool| -> Person {
                let email = format!("{}@authz.example.com", name.to_lowercase());
                let password = format!("{name}'s long password");
                let r = admin_api.post("/api/users", json!({"email": email, "name": name, "role": role, "password": password}));
                assert_eq!(r.status, 201, "{}", r.text);
                let cookie = if login {
                    let api = Api::new(base);
                    let r = api.post("/api/auth/login", json!({"email": email, "password": password}));
                    assert_eq!(r.status, 200, "{}", r.text);
                    api.cookie().expect("login sets a cookie")
                } else {
                    String::new()
                };
                Person { name: name.into(), id: r.json["user"]["id"].as_str().unwrap().into(), email, password, cookie }
            };
            let observer = user("Olive", "observer", true);
            let responder = user("Rex", "responder", true);
            let lou = user("Lou", "responder", false);
            let r = admin_api.post("/api/users", json!({"email": "pat@authz.example.com", "name": "Pat", "role": "responder", "password": "pat has a password"}));
            assert_eq!(r.status, 201, "{}", r.text);
            People { admin, observer, responder, lou, pat: r.json["user"]["id"].as_str().unwrap().into() }
        })
    }
}

fn session_callers(p: &People) -> Vec<Caller> {
    let session = |role: Role, who: &Person| Caller { label: format!("{} ({})", role_name(role), who.name), role, auth: who.auth(), me: Some(who.clone()) };
    vec![
        Caller { label: "anonymous".into(), role: Role::Anonymous, auth: Auth::None, me: None },
        session(Role::Observer, &p.observer),
        session(Role::Responder, &p.responder),
        session(Role::Admin, &p.admin),
    ]
}

/// API tokens made by the admin with each role: the token's user is the admin, its role the
/// token's.
/// Plus an admin token that has expired: it must get exactly what anonymous gets.
fn token_callers(w: &World) -> Vec<Caller> {
    let mut callers: Vec<Caller> = w
        .tokens
        .iter()
        .map(|(role, secret)| Caller { label: format!("{} API token", role_name(*role)), role: *role, auth: Auth::Bearer(secret.clone()), me: Some(w.p.admin.clone()) })
        .collect();
    callers.push(Caller { label: "expired admin API token".into(), role: Role::Anonymous, auth: Auth::Bearer(w.expired_token.clone()), me: None });
    // An admin who was deactivated: the session and the token they had get what anonymous gets.
    callers.push(Caller { label: "deactivated admin's session".into(), role: Role::Anonymous, auth: w.deactivated.0.clone(), me: None });
    callers.push(Caller { label: "deactivated admin's API token".into(), role: Role::Anonymous, auth: w.deactivated.1.clone(), me: None });
    callers
}

fn role_name(r: Role) -> &'static str {
    ["anonymous", "observer", "responder", "admin"][r as usize]
}

// ---------------------------------------------------------------------------------------------
// The table.

/// Expected status for [anonymous, observer, responder, admin]; API tokens use their role's.
type Expect = [u16; 4];

fn admin_only(ok: u16) -> Expect {
    [401, 403, 403, ok]
}
fn responders(ok: u16) -> Expect {
    [401, 403, ok, ok]
}
fn any_user(ok: u16) -> Expect {
    [401, ok, ok, ok]
}
/// Public by design: the caller's session or token plays no part.
fn anyone(status: u16) -> Expect {
    [status; 4]
}

struct Row {
    method: &'static str,
    /// The route as `handle` matches it, with `{name}` for bound segments.
    route: &'static str,
    case: &'static str,
    expect: Expect,
    /// Whether 401/403 answers are Tocsin's error body (`unauthenticated` / `forbidden`);
    /// the Opsgenie-compatible routes answer in Opsgenie's shape.
    codes: bool,
    /// What API tokens get, where it differs from their role's column (see [`signed_in_only`]).
    by_token: Option<Expect>,
    prepare: fn(&World, &Caller) -> Attempt,
}

fn row(method: &'static str, route: &'static str, case: &'static str, expect: Expect, prepare: fn(&World, &Caller) -> Attempt) -> Row {
    Row { method, route, case, expect, codes: true, by_token: None, prepare }
}

/// A row only a signed-in person may do: an API token of any role gets 403 (a live one) or 401.
fn signed_in_only(r: Row) -> Row {
    Row { by_token: Some([401, 403, 403, 403]), ..r }
}

fn opsgenie_row(method: &'static str, route: &'static str, case: &'static str, expect: Expect, prepare: fn(&World, &Caller) -> Attempt) -> Row {
    Row { codes: false, ..row(method, route, case, expect, prepare) }
}

/// Cells whose rule looks wrong today: (method, route, case, role, status the worker gives
/// today). The table states what they SHOULD give; these cells are asserted to still give
/// today's status, so fixing the worker fails this test until the entry is removed.
/// (Empty: calendar feeds were the last; they are now revoked only by whoever made them, the
/// person whose own feed it is, or an admin.)
const KNOWN_WRONG: &[(&str, &str, &str, Role, u16)] = &[];

fn known_wrong(row: &Row, role: Role) -> Option<u16> {
    KNOWN_WRONG.iter().find(|k| k.0 == row.method && k.1 == row.route && k.2 == row.case && k.3 == role).map(|k| k.4)
}

fn write_rows() -> Vec<Row> {
    vec![
        // ---- the status page, edited
        row("PUT", "/api/status/page", "name and time zone", admin_only(200), |w, _| {
            Attempt::new("/api/status/page").json(json!({"name": unique("Status"), "time_zone": "UTC"})).probe(w.admin(), "/api/status", "/page", at)
        }),
        row("POST", "/api/status/groups", "a group", admin_only(201), |_, _| Attempt::new("/api/status/groups").json(json!({"name": unique("Group")}))),
        row("POST", "/api/status/components", "a component", admin_only(201), |_, _| {
            Attempt::new("/api/status/components").json(json!({"name": unique("Component")}))
        }),
        row("PATCH", "/api/status/components/{id}", "its status only (the one-tap suggestion)", responders(200), |w, _| {
            let id = w.component();
            Attempt::new(format!("/api/status/components/{id}"))
                .json(json!({"status": "degraded_performance"}))
                .probe(w.admin(), "/api/status", format!("/components {id}"), item)
        }),
        row("PATCH", "/api/status/components/{id}", "its name (structure)", admin_only(200), |w, _| {
            let id = w.component();
            Attempt::new(format!("/api/status/components/{id}")).json(json!({"name": unique("Renamed")})).probe(w.admin(), "/api/status", format!("/components {id}"), item)
        }),
        row("POST", "/api/status/incidents", "publish one", responders(201), |_, _| {
            Attempt::new("/api/status/incidents").json(json!({"name": unique("Public incident"), "body": "We are looking into it."}))
        }),
        row("POST", "/api/status/incidents/{id}/updates", "an update", responders(201), |w, _| {
            Attempt::new(format!("/api/status/incidents/{}/updates", w.public_incident)).json(json!({"status": "identified", "body": "Found it."}))
        }),
        row("PATCH", "/api/status/updates/{id}", "correct a published update's text", responders(200), |w, _| {
            Attempt::new(format!("/api/status/updates/{}", w.public_update)).json(json!({"body": unique("Looking into it (corrected).")}))
        }),
        row("POST", "/api/status/maintenances", "schedule one", responders(201), |_, _| {
            let from = now_ms() + 2 * 86_400_000;
            Attempt::new("/api/status/maintenances").json(json!({"name": unique("Maintenance"), "scheduled_for": ms_rfc3339(from), "scheduled_until": ms_rfc3339(from + 3_600_000)}))
        }),
        row("POST", "/api/status/maintenances/{id}/updates", "an update", responders(201), |w, _| {
            Attempt::new(format!("/api/status/maintenances/{}/updates", w.maintenance)).json(json!({"body": "Still on schedule."}))
        }),
        // ---- setup, sessions, people, tokens
        row("POST", "/api/setup", "once set up, for no one", anyone(409), |_, _| {
            Attempt::new("/api/setup").json(json!({"organization": "Evil", "email": format!("{}@example.com", unique("evil")), "password": "0123456789", "name": "E"}))
        }),
        row("POST", "/api/auth/login", "the right e-mail and password", anyone(200), |w, _| {
            Attempt::new("/api/auth/login").json(json!({"email": w.p.lou.email, "password": w.p.lou.password}))
        }),
        row("POST", "/api/auth/logout", "ends the session it is sent with", anyone(204), |w, c| {
            let a = Attempt::new("/api/auth/logout").json(json!({}));
            match (&c.auth, &c.me) {
                // A session of its own (logging in again), so that the caller's stays.
                (Auth::Cookie(_), Some(me)) => {
                    let fresh = w.login(me);
                    a.auth(fresh.clone()).probe(fresh, "/api/me", "", status_of)
                }
                _ => a,
            }
        }),
        row("POST", "/api/invites/accept", "a fresh invitation", anyone(200), |w, _| {
            let r = w.admin_ok("POST", "/api/users", json!({"email": format!("{}@example.com", unique("invitee")), "name": "Invitee", "role": "observer"}));
            let token = r["invite_url"].as_str().unwrap().split_once("/invite#").unwrap().1.to_string();
            Attempt::new("/api/invites/accept").json(json!({"token": token, "password": "invitee's password"}))
        }),
        signed_in_only(row("POST", "/api/users", "invite someone", admin_only(201), |_, _| {
            Attempt::new("/api/users").json(json!({"email": format!("{}@example.com", unique("new")), "name": "New", "role": "responder"}))
        })),
        row("PATCH", "/api/users/{id}", "one's own name", any_user(200), |w, c| {
            let who = c.owner(w.p);
            let path = format!("/api/users/{}", who.id);
            Attempt::new(&path).json(json!({"name": unique(&who.name)})).probe(w.admin(), "/api/users", format!("/users {}", who.id), item)
        }),
        row("PATCH", "/api/users/{id}", "someone else's role", admin_only(200), |w, _| {
            let (who, _) = w.stand_in(Role::Observer, false);
            Attempt::new(format!("/api/users/{}", who.id)).json(json!({"role": "responder"})).probe(w.admin(), "/api/users", format!("/users {}", who.id), item)
        }),
        row("POST", "/api/users/{id}/deactivate", "someone", admin_only(200), |w, _| {
            let (who, cred) = w.stand_in(Role::Responder, false);
            Attempt::new(format!("/api/users/{}/deactivate", who.id)).json(json!({})).probe(cred, "/api/me", "", status_of)
        }),
        signed_in_only(row("POST", "/api/tokens", "with the caller's own role", any_user(201), |w, _| {
            let name = unique("token");
            Attempt::new("/api/tokens").json(json!({"name": name})).probe(w.admin(), "/api/tokens", name, token_named)
        })),
        signed_in_only(row("POST", "/api/tokens", "with role admin", [401, 403, 403, 201], |w, _| {
            let name = unique("token");
            Attempt::new("/api/tokens").json(json!({"name": name, "role": "admin"})).probe(w.admin(), "/api/tokens", name, token_named)
        })),
        row("DELETE", "/api/tokens/{id}", "one's own", any_user(204), |w, c| w.token_attempt(c.owner(w.p))),
        row("DELETE", "/api/tokens/{id}", "someone else's", [401, 404, 404, 204], |w, c| w.token_attempt(c.someone_else(w.p))),
        row("POST", "/api/auth/logout-everywhere", "ends every session of the caller", any_user(204), |w, c| {
            let a = Attempt::new("/api/auth/logout-everywhere").json(json!({}));
            match &c.auth {
                _ if c.role == Role::Anonymous => a,
                // A stand-in of the same role and kind of credential, so the shared sessions stay.
                auth => {
                    let (who, cred) = w.stand_in(c.role, matches!(auth, Auth::Bearer(_)));
                    a.auth(cred).probe(who.auth(), "/api/me", "", status_of)
                }
            }
        }),
        row("POST", "/api/users/me/password", "with the current password", any_user(204), |w, c| {
            let (who, cred) = match &c.auth {
                _ if c.role == Role::Anonymous => (w.p.lou.clone(), Auth::None),
                auth => w.stand_in(c.role, matches!(auth, Auth::Bearer(_))),
            };
            // Done: the stand-in's other session ends.
            let other = if c.role == Role::Anonymous { Auth::None } else { w.login(&who) };
            let a = Attempt::new("/api/users/me/password").json(json!({"current_password": who.password, "new_password": unique("a new password")}));
            if c.role == Role::Anonymous { a.auth(c.auth.clone()) } else { a.auth(cred).probe(other, "/api/me", "", status_of) }
        }),
        // ---- services
        row("POST", "/api/services", "create", admin_only(201), |_, _| Attempt::new("/api/services").json(json!({"name": unique("Service")}))),
        row("PATCH", "/api/services/{id}", "edit", admin_only(200), |w, _| {
            let path = format!("/api/services/{}", w.edit_service);
            Attempt::new(&path).json(json!({"description": unique("description")})).probe(w.admin(), &path, "", at)
        }),
        row("POST", "/api/services/{id}/rotate-key", "rotate the integration key", admin_only(200), |w, _| {
            Attempt::new(format!("/api/services/{}/rotate-key", w.edit_service)).json(json!({})).probe(
                w.admin(),
                format!("/api/services/{}", w.edit_service),
                "/integration_key",
                at,
            )
        }),
        row("PUT", "/api/services/{id}/escalation-policy", "set or clear it", admin_only(200), |w, _| {
            let path = format!("/api/services/{}", w.edit_service);
            let current = w.admin_ok("GET", &path, Value::Null)["escalation_policy_id"].clone();
            let next = if current.is_null() { json!(w.edit_policy) } else { Value::Null };
            Attempt::new(format!("{path}/escalation-policy")).json(json!({"policy_id": next})).probe(w.admin(), &path, "/escalation_policy_id", at)
        }),
        // ---- moving from PagerDuty and Opsgenie (each attempt imports a schedule of its own)
        row("POST", "/api/import/pagerduty", "dry run (the default)", admin_only(200), |_, _| Attempt::new("/api/import/pagerduty").json(import_body("pagerduty"))),
        signed_in_only(row("POST", "/api/import/pagerduty", "apply", admin_only(200), |w, _| {
            Attempt::new("/api/import/pagerduty?apply=true").json(import_body("pagerduty")).probe(w.admin(), "/api/schedules", "/schedules", count)
        })),
        row("POST", "/api/import/opsgenie", "dry run (the default)", admin_only(200), |_, _| Attempt::new("/api/import/opsgenie").json(import_body("opsgenie"))),
        signed_in_only(row("POST", "/api/import/opsgenie", "apply", admin_only(200), |w, _| {
            Attempt::new("/api/import/opsgenie?apply=true").json(import_body("opsgenie")).probe(w.admin(), "/api/schedules", "/schedules", count)
        })),
        // ---- incidents
        row("POST", "/api/incidents", "declare one", responders(201), |_, _| {
            Attempt::new("/api/incidents").json(json!({"title": unique("Declared"), "severity": "SEV4"}))
        }),
        row("PATCH", "/api/incidents/{id}", "its summary", responders(200), |w, _| {
            let id = w.declare();
            Attempt::new(format!("/api/incidents/{id}")).json(json!({"summary": unique("What we know")})).probe(w.admin(), format!("/api/incidents/{id}"), "/incident/summary", at)
        }),
        row("POST", "/api/incidents/{id}/acknowledge", "a triggered incident", responders(200), |w, _| {
            let id = w.declare();
            Attempt::new(format!("/api/incidents/{id}/acknowledge")).json(json!({})).probe(w.admin(), format!("/api/incidents/{id}"), "/incident/status", at)
        }),
        row("POST", "/api/incidents/{id}/resolve", "a triggered incident", responders(200), |w, _| {
            let id = w.declare();
            Attempt::new(format!("/api/incidents/{id}/resolve")).json(json!({})).probe(w.admin(), format!("/api/incidents/{id}"), "/incident/status", at)
        }),
        row("POST", "/api/incidents/{id}/escalate", "with a level left to run", responders(200), |w, _| {
            let id = w.fire(&w.esc_key, "warning");
            Attempt::new(format!("/api/incidents/{id}/escalate")).json(json!({})).probe(
                w.admin(),
                format!("/api/incidents/{id}/notifications"),
                "/notifications",
                count,
            )
        }),
        row("POST", "/api/incidents/{id}/reassign", "to a person", responders(200), |w, _| {
            let id = w.declare();
            Attempt::new(format!("/api/incidents/{id}/reassign")).json(json!({"user_id": w.p.pat})).probe(
                w.admin(),
                format!("/api/incidents/{id}/notifications"),
                "/notifications",
                count,
            )
        }),
        row("POST", "/api/incidents/{id}/notes", "a note", responders(201), |w, _| {
            Attempt::new(format!("/api/incidents/{}/notes", w.incident)).json(json!({"body": unique("note")})).probe(
                w.admin(),
                format!("/api/incidents/{}", w.incident),
                "/timeline",
                count,
            )
        }),
        // ---- command: incident roles, links, affected services, merge, highlights
        row("POST", "/api/incident-roles", "define one", admin_only(201), |w, _| {
            Attempt::new("/api/incident-roles").json(json!({"name": unique("Liaison")})).probe(w.admin(), "/api/incident-roles", "/roles", count)
        }),
        row("DELETE", "/api/incident-roles/{id}", "an organisation-defined one", admin_only(204), |w, _| {
            let id = w.admin_ok("POST", "/api/incident-roles", json!({"name": unique("Liaison")}))["id"].as_str().unwrap().to_string();
            Attempt::new(format!("/api/incident-roles/{id}")).probe(w.admin(), "/api/incident-roles", format!("/roles {id}"), has_item)
        }),
        row("PUT", "/api/incidents/{id}/roles/{role}", "give the commander role", responders(200), |w, _| {
            let id = w.declare();
            Attempt::new(format!("/api/incidents/{id}/roles/commander")).json(json!({"user_id": w.p.pat})).probe(w.admin(), format!("/api/incidents/{id}"), "/roles/0/holder", at)
        }),
        row("PUT", "/api/incidents/{id}/roles/{role}", "the commander of a resolved incident (owns its postmortem)", admin_only(200), |w, _| {
            let id = w.declare();
            w.admin_ok("POST", &format!("/api/incidents/{id}/resolve"), json!({}));
            Attempt::new(format!("/api/incidents/{id}/roles/commander")).json(json!({"user_id": w.p.pat})).probe(w.admin(), format!("/api/incidents/{id}"), "/roles/0/holder", at)
        }),
        row("DELETE", "/api/incidents/{id}/roles/{role}", "a held role", responders(200), |w, _| {
            let id = w.declare();
            w.admin_ok("PUT", &format!("/api/incidents/{id}/roles/scribe"), json!({"user_id": w.p.pat}));
            Attempt::new(format!("/api/incidents/{id}/roles/scribe")).probe(w.admin(), format!("/api/incidents/{id}"), "/roles/2/holder", at)
        }),
        row("POST", "/api/incidents/{id}/links", "a chat link", responders(201), |w, _| {
            let id = w.declare();
            Attempt::new(format!("/api/incidents/{id}/links"))
                .json(json!({"kind": "chat", "url": format!("https://chat.example.com/{}", unique("c"))}))
                .probe(w.admin(), format!("/api/incidents/{id}"), "/links", count)
        }),
        row("DELETE", "/api/incidents/{id}/links/{link}", "a link", responders(200), |w, _| {
            let id = w.declare();
            let d = w.admin_ok("POST", &format!("/api/incidents/{id}/links"), json!({"kind": "ticket", "url": "https://tickets.example.com/1"}));
            let link = d["links"][0]["id"].as_str().unwrap().to_string();
            Attempt::new(format!("/api/incidents/{id}/links/{link}")).probe(w.admin(), format!("/api/incidents/{id}"), "/links", count)
        }),
        row("PUT", "/api/incidents/{id}/services", "add an affected service", responders(200), |w, _| {
            let id = w.declare();
            Attempt::new(format!("/api/incidents/{id}/services")).json(json!({"service_ids": [w.alert_service]})).probe(w.admin(), format!("/api/incidents/{id}"), "/services", count)
        }),
        row("POST", "/api/incidents/{id}/merge", "into another open incident", responders(200), |w, _| {
            let (source, target) = (w.declare(), w.declare());
            Attempt::new(format!("/api/incidents/{source}/merge")).json(json!({"into": target})).probe(w.admin(), format!("/api/incidents/{source}"), "/incident/status", at)
        }),
        row("PUT", "/api/incidents/{id}/highlights/{seq}", "the first row", responders(200), |w, _| {
            let id = w.declare();
            Attempt::new(format!("/api/incidents/{id}/highlights/1")).json(json!({})).probe(w.admin(), format!("/api/incidents/{id}"), "/highlights", count)
        }),
        row("DELETE", "/api/incidents/{id}/highlights/{seq}", "a highlighted row", responders(200), |w, _| {
            let id = w.declare();
            w.admin_ok("PUT", &format!("/api/incidents/{id}/highlights/1"), json!({}));
            Attempt::new(format!("/api/incidents/{id}/highlights/1")).probe(w.admin(), format!("/api/incidents/{id}"), "/highlights", count)
        }),
        // ---- responders and teams
        row("POST", "/api/incidents/{id}/responders", "ask a person", responders(200), |w, _| {
            let id = w.declare();
            Attempt::new(format!("/api/incidents/{id}/responders")).json(json!({"user_ids": [w.p.pat]})).probe(
                w.admin(),
                format!("/api/incidents/{id}/responders"),
                "/responders",
                count,
            )
        }),
        row("POST", "/api/incidents/{id}/responders/{uid}/join", "one's own request", responders(200), |w, c| {
            let (id, who) = w.asked(c);
            Attempt::new(format!("/api/incidents/{id}/responders/{who}/join")).json(json!({})).probe(w.admin(), format!("/api/incidents/{id}/responders"), "/responders/0/state", at)
        }),
        row("POST", "/api/incidents/{id}/responders/{uid}/decline", "one's own request", responders(200), |w, c| {
            let (id, who) = w.asked(c);
            Attempt::new(format!("/api/incidents/{id}/responders/{who}/decline")).json(json!({})).probe(w.admin(), format!("/api/incidents/{id}/responders"), "/responders/0/state", at)
        }),
        row("POST", "/api/teams", "create", admin_only(201), |_, _| Attempt::new("/api/teams").json(json!({"name": unique("Team")}))),
        row("PATCH", "/api/teams/{id}", "describe", admin_only(200), |w, _| {
            let id = w.admin_ok("POST", "/api/teams", json!({"name": unique("Team")}))["id"].as_str().unwrap().to_string();
            Attempt::new(format!("/api/teams/{id}")).json(json!({"description": unique("About")})).probe(w.admin(), "/api/teams", format!("/teams {id}"), item)
        }),
        row("DELETE", "/api/teams/{id}", "delete", admin_only(204), |w, _| {
            let id = w.admin_ok("POST", "/api/teams", json!({"name": unique("Team")}))["id"].as_str().unwrap().to_string();
            Attempt::new(format!("/api/teams/{id}")).probe(w.admin(), "/api/teams", format!("/teams {id}"), has_item)
        }),
        // ---- runbook checklists and status updates
        row("PUT", "/api/services/{id}/checklist", "replace the template", admin_only(200), |w, _| {
            let path = format!("/api/services/{}/checklist", w.edit_service);
            Attempt::new(&path).json(json!({"steps": [{"text": unique("Check the dashboards")}]})).probe(w.admin(), &path, "/steps", at)
        }),
        row("POST", "/api/incidents/{id}/checklist", "an ad hoc step", responders(201), |w, _| {
            Attempt::new(format!("/api/incidents/{}/checklist", w.incident)).json(json!({"text": unique("Restart the worker")})).probe(
                w.admin(),
                format!("/api/incidents/{}/checklist", w.incident),
                "/steps",
                count,
            )
        }),
        row("POST", "/api/incidents/{id}/checklist/{step}/tick", "an open step", responders(200), |w, _| {
            let step = w.admin_ok("POST", &format!("/api/incidents/{}/checklist", w.incident), json!({"text": unique("Step")}));
            let id = step["id"].as_str().unwrap().to_string();
            Attempt::new(format!("/api/incidents/{}/checklist/{id}/tick", w.incident)).json(json!({})).probe(
                w.admin(),
                format!("/api/incidents/{}/checklist", w.incident),
                format!("/steps {id}"),
                item,
            )
        }),
        row("POST", "/api/incidents/{id}/checklist/{step}/untick", "a ticked step", responders(200), |w, _| {
            let step = w.admin_ok("POST", &format!("/api/incidents/{}/checklist", w.incident), json!({"text": unique("Step")}));
            let id = step["id"].as_str().unwrap().to_string();
            w.admin_ok("POST", &format!("/api/incidents/{}/checklist/{id}/tick", w.incident), json!({}));
            Attempt::new(format!("/api/incidents/{}/checklist/{id}/untick", w.incident)).json(json!({})).probe(
                w.admin(),
                format!("/api/incidents/{}/checklist", w.incident),
                format!("/steps {id}"),
                item,
            )
        }),
        row("POST", "/api/incidents/{id}/updates", "an internal update", responders(201), |w, _| {
            Attempt::new(format!("/api/incidents/{}/updates", w.incident))
                .json(json!({"status": "investigating", "message": unique("Looking into it")}))
                .probe(w.admin(), format!("/api/incidents/{}/updates", w.incident), "/updates", count)
        }),
        // ---- schedules, overrides, policies, calendar feeds
        row("POST", "/api/schedules", "create", admin_only(201), |w, _| {
            Attempt::new("/api/schedules").json(json!({"name": unique("Schedule"), "time_zone": "UTC", "layers": w.layers()}))
        }),
        row("PUT", "/api/schedules/{id}", "replace", admin_only(200), |w, _| {
            Attempt::new(format!("/api/schedules/{}", w.edit_schedule))
                .json(json!({"name": unique("Schedule"), "time_zone": "Europe/Berlin", "layers": w.layers()}))
                .probe(w.admin(), "/api/schedules", format!("/schedules {}", w.edit_schedule), item)
        }),
        row("DELETE", "/api/schedules/{id}", "delete", admin_only(204), |w, _| {
            let id = w.new_schedule();
            Attempt::new(format!("/api/schedules/{id}")).probe(w.admin(), "/api/schedules", format!("/schedules {id}"), has_item)
        }),
        row("POST", "/api/schedules/{id}/overrides", "covering for oneself", responders(201), |w, _| {
            let (start, end) = w.span();
            Attempt::new(format!("/api/schedules/{}/overrides", w.schedule)).json(json!({"start": start, "end": end}))
        }),
        row("POST", "/api/schedules/{id}/overrides", "putting someone else on call", admin_only(201), |w, c| {
            let (start, end) = w.span();
            Attempt::new(format!("/api/schedules/{}/overrides", w.schedule)).json(json!({"user_id": c.someone_else(w.p).id, "start": start, "end": end}))
        }),
        row("DELETE", "/api/schedules/{sid}/overrides/{id}", "one's own override", responders(204), |w, c| {
            let path = w.new_override(&c.owner(w.p).id);
            Attempt::new(&path).confirm(w.admin(), "DELETE", &path, 404, 204)
        }),
        row("DELETE", "/api/schedules/{sid}/overrides/{id}", "someone else's override", [401, 403, 404, 204], |w, c| {
            let path = w.new_override(&c.someone_else(w.p).id);
            Attempt::new(&path).confirm(w.admin(), "DELETE", &path, 404, 204)
        }),
        row("POST", "/api/escalation-policies", "create", admin_only(201), |w, _| Attempt::new("/api/escalation-policies").json(w.policy_body(&w.p.pat, 1))),
        row("PUT", "/api/escalation-policies/{id}", "replace", admin_only(200), |w, _| {
            Attempt::new(format!("/api/escalation-policies/{}", w.edit_policy)).json(w.policy_body(&w.p.pat, 1)).probe(
                w.admin(),
                "/api/escalation-policies",
                format!("/escalation_policies {}", w.edit_policy),
                item,
            )
        }),
        row("DELETE", "/api/escalation-policies/{id}", "delete", admin_only(204), |w, _| {
            let id = w.admin_ok("POST", "/api/escalation-policies", w.policy_body(&w.p.pat, 1))["id"].as_str().unwrap().to_string();
            Attempt::new(format!("/api/escalation-policies/{id}")).probe(w.admin(), "/api/escalation-policies", format!("/escalation_policies {id}"), has_item)
        }),
        signed_in_only(row("POST", "/api/schedules/{id}/calendar-feed", "subscribe to a schedule", any_user(201), |w, _| {
            Attempt::new(format!("/api/schedules/{}/calendar-feed", w.schedule)).json(json!({}))
        })),
        signed_in_only(row("POST", "/api/users/me/calendar-feed", "subscribe to one's own shifts", any_user(201), |_, _| {
            Attempt::new("/api/users/me/calendar-feed").json(json!({}))
        })),
        row("DELETE", "/api/calendar-feeds/{id}", "one's own personal feed", any_user(204), |w, c| w.feed_attempt(c.owner(w.p), None)),
        row("DELETE", "/api/calendar-feeds/{id}", "a schedule feed one made", any_user(204), |w, c| w.feed_attempt(c.owner(w.p), Some(&w.schedule))),
        row("DELETE", "/api/calendar-feeds/{id}", "someone else's personal feed", [401, 403, 403, 204], |w, c| w.feed_attempt(c.someone_else(w.p), None)),
        row("DELETE", "/api/calendar-feeds/{id}", "a schedule feed someone else made", [401, 403, 403, 204], |w, c| {
            w.feed_attempt(c.someone_else(w.p), Some(&w.schedule))
        }),
        // ---- paging: devices, the notification's action, contact preferences
        signed_in_only(row("POST", "/api/push/subscriptions", "a new device", any_user(201), |w, c| {
            let owner = c.owner(w.p).auth();
            Attempt::new("/api/push/subscriptions").json(TestSubscription::new(&w.c.rx, "authz").json("Authz phone")).probe(owner, "/api/push/subscriptions", "/devices", count)
        })),
        row("DELETE", "/api/push/subscriptions/{id}", "one's own device", any_user(204), |w, c| w.device_attempt(c.owner(w.p), "DELETE", "")),
        row("DELETE", "/api/push/subscriptions/{id}", "someone else's device", [401, 404, 404, 404], |w, c| {
            w.device_attempt(c.someone_else(w.p), "DELETE", "")
        }),
        row("POST", "/api/push/subscriptions/{id}/test", "one's own device", any_user(202), |w, c| w.device_attempt(c.owner(w.p), "POST", "/test")),
        row("POST", "/api/push/subscriptions/{id}/test", "someone else's device", [401, 404, 404, 404], |w, c| {
            w.device_attempt(c.someone_else(w.p), "POST", "/test")
        }),
        row("POST", "/api/actions/acknowledge", "a responder's page token (no session needed)", anyone(200), |w, _| {
            let (incident, token) = w.page_token(&w.rex_key, &w.rex_device);
            Attempt::new("/api/actions/acknowledge").json(json!({"token": token})).probe(w.admin(), format!("/api/incidents/{incident}"), "/incident/status", at)
        }),
        row("POST", "/api/actions/acknowledge", "an observer's page token", anyone(403), |w, _| {
            let (incident, token) = w.page_token(&w.olive_key, &w.olive_device);
            Attempt::new("/api/actions/acknowledge").json(json!({"token": token})).probe(w.admin(), format!("/api/incidents/{incident}"), "/incident/status", at)
        }),
        row("POST", "/api/actions/acknowledge", "a forged token", anyone(401), |_, _| Attempt::new("/api/actions/acknowledge").json(json!({"token": "v1.e30.AAAA"}))),
        row("PUT", "/api/users/me/contact-preferences", "one's own", any_user(200), |w, c| {
            let owner = c.owner(w.p).auth();
            let current = w.ok(&owner, "GET", "/api/users/me/contact-preferences", Value::Null);
            let every = current["repeat"]["every_minutes"].as_u64().unwrap_or(5) % 120 + 1;
            Attempt::new("/api/users/me/contact-preferences")
                .json(json!({"push": true, "repeat": {"every_minutes": every, "min_severity": "SEV1"}}))
                .probe(owner, "/api/users/me/contact-preferences", "", at)
        }),
        signed_in_only(row("PUT", "/api/users/me/contact-preferences", "a personal webhook's kind changed (address kept)", any_user(200), |w, c| {
            let owner = c.owner(w.p).auth();
            let current = w.ok(&owner, "GET", "/api/users/me/contact-preferences", Value::Null);
            if current["webhook"].is_null() {
                w.ok(&owner, "PUT", "/api/users/me/contact-preferences", json!({"push": true, "webhook": {"kind": "slack", "url": w.c.rx.url(&format!("/personal/{}", unique("hook")))}}));
            }
            let current = w.ok(&owner, "GET", "/api/users/me/contact-preferences", Value::Null);
            let kind = if current["webhook"]["kind"] == "generic" { "slack" } else { "generic" };
            Attempt::new("/api/users/me/contact-preferences").json(json!({"push": true, "webhook": {"kind": kind}})).probe(owner, "/api/users/me/contact-preferences", "/webhook/kind", at)
        })),
        signed_in_only(row("PUT", "/api/users/me/contact-preferences", "a new personal webhook address", any_user(200), |w, c| {
            let owner = c.owner(w.p).auth();
            Attempt::new("/api/users/me/contact-preferences")
                .json(json!({"push": true, "webhook": {"kind": "generic", "url": w.c.rx.url(&format!("/personal/{}", unique("hook")))}}))
                .probe(owner, "/api/users/me/contact-preferences", "/webhook", at)
        })),
        // ---- outbound webhook destinations
        signed_in_only(row("POST", "/api/webhook-destinations", "create", admin_only(201), |w, _| Attempt::new("/api/webhook-destinations").json(w.destination_body()))),
        signed_in_only(row("PUT", "/api/webhook-destinations/{id}", "replace (a new address)", admin_only(200), |w, _| {
            Attempt::new(format!("/api/webhook-destinations/{}", w.destination)).json(w.destination_body()).probe(
                w.admin(),
                "/api/webhook-destinations",
                format!("/destinations {}", w.destination),
                item,
            )
        })),
        row("PUT", "/api/webhook-destinations/{id}", "rename (address and kind kept)", admin_only(200), |w, _| {
            let mut body = w.destination_body();
            body.as_object_mut().unwrap().remove("url");
            Attempt::new(format!("/api/webhook-destinations/{}", w.destination)).json(body).probe(
                w.admin(),
                "/api/webhook-destinations",
                format!("/destinations {}", w.destination),
                item,
            )
        }),
        row("DELETE", "/api/webhook-destinations/{id}", "delete", admin_only(204), |w, _| {
            let id = w.admin_ok("POST", "/api/webhook-destinations", w.destination_body())["destination"]["id"].as_str().unwrap().to_string();
            Attempt::new(format!("/api/webhook-destinations/{id}")).probe(w.admin(), "/api/webhook-destinations", format!("/destinations {id}"), has_item)
        }),
        row("POST", "/api/webhook-destinations/{id}/test", "send a test message", admin_only(202), |w, _| {
            Attempt::new(format!("/api/webhook-destinations/{}/test", w.destination)).json(json!({}))
        }),
        // ---- secrets at rest: one re-seal step after a key rotation (nothing to re-seal here)
        row("POST", "/api/admin/reseal", "re-seal a batch", admin_only(200), |_, _| Attempt::new("/api/admin/reseal").json(json!({}))),
        // ---- action items and ticket systems (issue 14)
        row("POST", "/api/action-items", "a standalone item", responders(201), |w, _| {
            Attempt::new("/api/action-items").json(json!({"title": unique("Write the runbook")})).probe(w.admin(), "/api/action-items?status=open", "/items", count)
        }),
        row("POST", "/api/incidents/{id}/action-items", "an item on the incident", responders(201), |w, _| {
            let path = format!("/api/incidents/{}/action-items", w.incident);
            Attempt::new(&path).json(json!({"title": unique("Add an alert"), "priority": "high", "kind": "monitoring"})).probe(w.admin(), &path, "/items", count)
        }),
        row("PATCH", "/api/action-items/{id}", "tick it done", responders(200), |w, _| {
            let id = w.admin_ok("POST", "/api/action-items", json!({"title": unique("Fix it")}))["id"].as_str().unwrap().to_string();
            Attempt::new(format!("/api/action-items/{id}")).json(json!({"status": "done"})).probe(w.admin(), format!("/api/action-items/{id}"), "/status", at)
        }),
        row("POST", "/api/action-items/{id}/ticket", "no such ticket system configured", responders(400), |w, _| {
            let id = w.admin_ok("POST", "/api/action-items", json!({"title": unique("Ticket me")}))["id"].as_str().unwrap().to_string();
            // The hook row below configures GitHub; this row is about an organisation without it.
            w.call(&w.admin(), "DELETE", "/api/ticketing/github", None, &[]);
            Attempt::new(format!("/api/action-items/{id}/ticket")).json(json!({"system": "github"})).probe(w.admin(), format!("/api/action-items/{id}"), "/ticket", at)
        }),
        row("PUT", "/api/ticketing/{system}", "configure Jira", admin_only(200), |w, _| {
            Attempt::new("/api/ticketing/jira")
                .json(json!({"base_url": "http://127.0.0.1:9/", "email": "bot@authz.example.com", "project_key": "OPS", "api_token": unique("token")}))
                .probe(w.admin(), "/api/ticketing", "/configs", at)
        }),
        row("DELETE", "/api/ticketing/{system}", "remove Jira", admin_only(204), |w, _| {
            w.admin_ok("PUT", "/api/ticketing/jira", json!({"base_url": "http://127.0.0.1:9/", "email": "bot@authz.example.com", "project_key": "OPS", "api_token": "t0ken"}));
            Attempt::new("/api/ticketing/jira").probe(w.admin(), "/api/ticketing", "/configs", at)
        }),
        row("POST", "/hooks/jira/{id}", "without a signature", anyone(401), |w, _| {
            let cfg = w.admin_ok("PUT", "/api/ticketing/jira", json!({"base_url": "http://127.0.0.1:9/", "email": "bot@authz.example.com", "project_key": "OPS", "api_token": "t0ken"}));
            Attempt::new(cfg["config"]["webhook_path"].as_str().unwrap()).json(json!({"webhookEvent": "jira:issue_updated", "issue": {"key": "OPS-1"}}))
        }),
        row("POST", "/hooks/github/{id}", "with a wrong signature", anyone(401), |w, _| {
            let cfg = w.admin_ok("PUT", "/api/ticketing/github", json!({"owner": "acme", "repo": "api", "base_url": "http://127.0.0.1:9", "api_token": "t0ken"}));
            Attempt::new(cfg["config"]["webhook_path"].as_str().unwrap())
                .json(json!({"action": "closed", "issue": {"number": 1}, "repository": {"full_name": "acme/api"}}))
                .header("X-GitHub-Event", "issues".into())
                .header("X-Hub-Signature-256", format!("sha256={}", "0".repeat(64)))
        }),
        // ---- readiness (issue 14)
        row("POST", "/api/services/{id}/checklist/review", "mark the runbook reviewed", admin_only(200), |w, _| {
            let path = format!("/api/services/{}/checklist/review", w.edit_service);
            Attempt::new(&path).json(json!({})).probe(w.admin(), &path, "/reviewed_at", at)
        }),
        // ---- monitoring tools: the integration key is the credential, not the session
        row("POST", "/webhooks/{vendor}/{key}", "the service's integration key", anyone(202), |w, _| {
            Attempt::new(format!("/webhooks/generic/{}", w.alert_key)).json(json!({"summary": unique("Alert"), "severity": "info", "dedup_key": unique("d")}))
        }),
        row("POST", "/webhooks/{vendor}/{key}", "an unknown integration key", anyone(404), |_, _| {
            Attempt::new("/webhooks/generic/0123456789abcdef0123456789abcdef").json(json!({"summary": "x", "severity": "info"}))
        }),
        row("POST", "/v2/enqueue", "the routing key", anyone(202), |w, _| {
            Attempt::new("/v2/enqueue").json(json!({"routing_key": w.alert_key, "event_action": "trigger", "dedup_key": unique("pd"),
                "payload": {"summary": unique("PD alert"), "source": "authz", "severity": "info"}}))
        }),
        row("POST", "/v2/change/enqueue", "the routing key", anyone(202), |w, _| {
            Attempt::new("/v2/change/enqueue").json(json!({"routing_key": w.alert_key, "payload": {"summary": unique("Deployed"), "source": "authz"}}))
        }),
        opsgenie_row("POST", "/v2/alerts", "with GenieKey", anyone(202), |w, _| {
            Attempt::new("/v2/alerts").json(json!({"message": unique("OG alert"), "alias": unique("og")})).header("Authorization", format!("GenieKey {}", w.alert_key))
        }),
        opsgenie_row("POST", "/v2/alerts", "without GenieKey", anyone(401), |_, _| Attempt::new("/v2/alerts").json(json!({"message": unique("OG alert")}))),
        opsgenie_row("POST", "/v2/alerts/{id}/close", "with GenieKey", anyone(202), |w, _| {
            let alias = w.opsgenie_alert();
            Attempt::new(format!("/v2/alerts/{alias}/close?identifierType=alias")).header("Authorization", format!("GenieKey {}", w.alert_key))
        }),
        opsgenie_row("POST", "/v2/alerts/{id}/acknowledge", "with GenieKey", anyone(202), |w, _| {
            let alias = w.opsgenie_alert();
            Attempt::new(format!("/v2/alerts/{alias}/acknowledge?identifierType=alias")).header("Authorization", format!("GenieKey {}", w.alert_key))
        }),
        // ---- postmortems (issue 14): each attempt on a new incident with a postmortem the admin started
        row("POST", "/api/incidents/{id}/postmortem", "start one", responders(201), |w, _| {
            let id = w.declare();
            let path = format!("/api/incidents/{id}/postmortem");
            Attempt::new(&path).json(json!({})).probe(w.admin(), &path, "", status_of)
        }),
        row("PUT", "/api/incidents/{id}/postmortem/sections/{key}", "save a section", responders(200), |w, _| {
            let id = w.declare();
            w.admin_ok("POST", &format!("/api/incidents/{id}/postmortem"), json!({}));
            Attempt::new(format!("/api/incidents/{id}/postmortem/sections/summary"))
                .json(json!({"body": unique("What happened"), "version": 1}))
                .probe(w.admin(), format!("/api/incidents/{id}/postmortem"), "/sections/0/body", at)
        }),
        row("PUT", "/api/incidents/{id}/postmortem/public", "the customer-facing text", responders(200), |w, _| {
            let id = w.declare();
            w.admin_ok("POST", &format!("/api/incidents/{id}/postmortem"), json!({}));
            Attempt::new(format!("/api/incidents/{id}/postmortem/public"))
                .json(json!({"text": unique("We are sorry"), "version": 1}))
                .probe(w.admin(), format!("/api/incidents/{id}/postmortem"), "/public_text", at)
        }),
        row("POST", "/api/incidents/{id}/postmortem/status", "ask for a review", responders(200), |w, _| {
            let id = w.declare();
            w.admin_ok("POST", &format!("/api/incidents/{id}/postmortem"), json!({}));
            Attempt::new(format!("/api/incidents/{id}/postmortem/status"))
                .json(json!({"status": "in_review"}))
                .probe(w.admin(), format!("/api/incidents/{id}/postmortem"), "/status", at)
        }),
        row("POST", "/api/incidents/{id}/postmortem/status", "publish (not the commander)", admin_only(200), |w, _| {
            let id = w.declare();
            w.admin_ok("POST", &format!("/api/incidents/{id}/postmortem"), json!({}));
            w.admin_ok("POST", &format!("/api/incidents/{id}/postmortem/status"), json!({"status": "in_review"}));
            Attempt::new(format!("/api/incidents/{id}/postmortem/status"))
                .json(json!({"status": "published"}))
                .probe(w.admin(), format!("/api/incidents/{id}/postmortem"), "/status", at)
        }),
        row("POST", "/api/incidents/{id}/postmortem/comments", "comment on a section", responders(201), |w, _| {
            let id = w.declare();
            w.admin_ok("POST", &format!("/api/incidents/{id}/postmortem"), json!({}));
            Attempt::new(format!("/api/incidents/{id}/postmortem/comments"))
                .json(json!({"section": "summary", "body": unique("Say more")}))
                .probe(w.admin(), format!("/api/incidents/{id}/postmortem"), "/comments", count)
        }),
        row("POST", "/api/incidents/{id}/postmortem/comments/{c}/resolve", "an open comment", responders(200), |w, _| {
            let id = w.declare();
            w.admin_ok("POST", &format!("/api/incidents/{id}/postmortem"), json!({}));
            let c = w.admin_ok("POST", &format!("/api/incidents/{id}/postmortem/comments"), json!({"section": "summary", "body": unique("Numbers?")}));
            let cid = c["comment"]["id"].as_str().unwrap().to_string();
            Attempt::new(format!("/api/incidents/{id}/postmortem/comments/{cid}/resolve"))
                .json(json!({}))
                .probe(w.admin(), format!("/api/incidents/{id}/postmortem"), "/comments/0/resolved", at)
        }),
        row("POST", "/api/incidents/{id}/postmortem/comments/{c}/reopen", "a resolved comment", responders(200), |w, _| {
            let id = w.declare();
            w.admin_ok("POST", &format!("/api/incidents/{id}/postmortem"), json!({}));
            let c = w.admin_ok("POST", &format!("/api/incidents/{id}/postmortem/comments"), json!({"section": "summary", "body": unique("Numbers?")}));
            let cid = c["comment"]["id"].as_str().unwrap().to_string();
            w.admin_ok("POST", &format!("/api/incidents/{id}/postmortem/comments/{cid}/resolve"), json!({}));
            Attempt::new(format!("/api/incidents/{id}/postmortem/comments/{cid}/reopen"))
                .json(json!({}))
                .probe(w.admin(), format!("/api/incidents/{id}/postmortem"), "/comments/0/resolved", at)
        }),
        row("POST", "/api/incidents/{id}/postmortem/publish-public", "to the status page (not the commander)", admin_only(200), |w, _| {
            let id = w.declare();
            w.admin_ok("POST", &format!("/api/incidents/{id}/updates"), json!({"status": "investigating", "message": unique("Looking into it"), "publish": true}));
            w.admin_ok("POST", &format!("/api/incidents/{id}/resolve"), json!({}));
            let pm = format!("/api/incidents/{id}/postmortem");
            w.admin_ok("POST", &pm, json!({}));
            w.admin_ok("PUT", &format!("{pm}/public"), json!({"text": unique("What happened, for customers"), "version": 1}));
            w.admin_ok("POST", &format!("{pm}/status"), json!({"status": "in_review"}));
            w.admin_ok("POST", &format!("{pm}/status"), json!({"status": "published"}));
            Attempt::new(format!("{pm}/publish-public")).json(json!({})).probe(w.admin(), &pm, "/public_published_at", at)
        }),
        row("PUT", "/api/postmortem-template", "the organisation's template", admin_only(200), |w, _| {
            // Keeps the "summary" section: other rows comment on it in postmortems made from this template.
            let body = json!({"name": unique("Template"), "sections": [{"key": "summary", "title": "Summary", "prompt": ""}, {"key": "timeline", "title": "Timeline"}]});
            Attempt::new("/api/postmortem-template").json(body).probe(w.admin(), "/api/postmortem-template", "/name", at)
        }),
    ]
}

fn read_rows() -> Vec<Row> {
    vec![
        // ---- public by design
        row("GET", "/healthz", "", anyone(200), |_, _| Attempt::new("/healthz")),
        row("GET", "/api/openapi.json", "the API's description", anyone(200), |_, _| Attempt::new("/api/openapi.json")),
        row("GET", "/", "the app (the status page on its own domain)", anyone(200), |_, _| Attempt::new("/")),
        row("GET", "/pkg/{build}/{file}", "the app's modules", anyone(200), |_, _| {
            let build = std::fs::read_to_string(tocsin_tests::instance::root().join("dist/app/pkg/.current")).unwrap();
            Attempt::new(format!("/pkg/{}/tocsin_app_bg.wasm", build.trim()))
        }),
        row("GET", "/status", "", anyone(200), |_, _| Attempt::new("/status")),
        row("GET", "/status/history", "", anyone(200), |_, _| Attempt::new("/status/history")),
        row("GET", "/status/incidents/{id}", "a published incident", anyone(200), |w, _| Attempt::new(format!("/status/incidents/{}", w.public_incident))),
        row("GET", "/status/maintenance/{id}", "a scheduled maintenance", anyone(200), |w, _| Attempt::new(format!("/status/maintenance/{}", w.maintenance))),
        row("GET", "/history.atom", "", anyone(200), |_, _| Attempt::new("/history.atom")),
        row("GET", "/history.rss", "", anyone(200), |_, _| Attempt::new("/history.rss")),
        row("GET", "/api/v2/{doc..}", "summary.json", anyone(200), |_, _| Attempt::new("/api/v2/summary.json")),
        row("GET", "/api/setup", "", anyone(200), |_, _| Attempt::new("/api/setup")),
        row("GET", "/api/schedules/{id}/calendar.ics", "with the feed's token", anyone(200), |w, _| Attempt::new(&w.schedule_feed)),
        row("GET", "/api/schedules/{id}/calendar.ics", "without a token", anyone(404), |w, _| Attempt::new(format!("/api/schedules/{}/calendar.ics", w.schedule))),
        row("GET", "/api/users/{id}/oncall.ics", "with the feed's token", anyone(200), |w, _| Attempt::new(&w.user_feed)),
        row("GET", "/api/users/{id}/oncall.ics", "without a token", anyone(404), |w, _| Attempt::new(format!("/api/users/{}/oncall.ics", w.p.admin.id))),
        opsgenie_row("GET", "/v2/alerts/requests/{id}", "with GenieKey", anyone(200), |w, _| {
            Attempt::new(format!("/v2/alerts/requests/{}", w.genie_request)).header("Authorization", format!("GenieKey {}", w.alert_key))
        }),
        opsgenie_row("GET", "/v2/alerts/requests/{id}", "without GenieKey", anyone(401), |w, _| Attempt::new(format!("/v2/alerts/requests/{}", w.genie_request))),
        // ---- any user, observers included
        row("GET", "/api/status", "", any_user(200), |_, _| Attempt::new("/api/status")),
        row("GET", "/api/me", "", any_user(200), |_, _| Attempt::new("/api/me")),
        row("GET", "/api/users", "", any_user(200), |_, _| Attempt::new("/api/users")),
        row("GET", "/api/audit", "", admin_only(200), |_, _| Attempt::new("/api/audit?limit=5")),
        // ---- runtime figures for the benches (issue 15)
        row("GET", "/api/admin/runtime", "the isolate's wasm memory", admin_only(200), |_, _| Attempt::new("/api/admin/runtime")),
        row("GET", "/api/services", "", any_user(200), |_, _| Attempt::new("/api/services")),
        row("GET", "/api/services/{id}", "", any_user(200), |w, _| Attempt::new(format!("/api/services/{}", w.alert_service))),
        row("GET", "/api/services/{id}/integrations", "", any_user(200), |w, _| Attempt::new(format!("/api/services/{}/integrations", w.alert_service))),
        row("GET", "/api/incidents", "", any_user(200), |_, _| Attempt::new("/api/incidents?status=open")),
        row("GET", "/api/incidents/{id}", "", any_user(200), |w, _| Attempt::new(format!("/api/incidents/{}", w.incident))),
        row("GET", "/api/incidents/{id}/notifications", "", any_user(200), |w, _| Attempt::new(format!("/api/incidents/{}/notifications", w.incident))),
        row("GET", "/api/services/{id}/checklist", "", any_user(200), |w, _| Attempt::new(format!("/api/services/{}/checklist", w.alert_service))),
        row("GET", "/api/incidents/{id}/checklist", "", any_user(200), |w, _| Attempt::new(format!("/api/incidents/{}/checklist", w.incident))),
        row("GET", "/api/incidents/{id}/updates", "", any_user(200), |w, _| Attempt::new(format!("/api/incidents/{}/updates", w.incident))),
        row("GET", "/api/incidents/{id}/responders", "", any_user(200), |w, _| Attempt::new(format!("/api/incidents/{}/responders", w.incident))),
        row("GET", "/api/incidents/{id}/responder-suggestions", "", any_user(200), |w, _| Attempt::new(format!("/api/incidents/{}/responder-suggestions", w.incident))),
        row("GET", "/api/teams", "", any_user(200), |_, _| Attempt::new("/api/teams")),
        row("GET", "/api/incident-roles", "", any_user(200), |_, _| Attempt::new("/api/incident-roles")),
        row("GET", "/api/incidents/{id}/timeline", "after a sequence number", any_user(200), |w, _| Attempt::new(format!("/api/incidents/{}/timeline?after=1", w.incident))),
        // Without `Upgrade: websocket` a member is told to upgrade (400); the upgrade itself is
        // tested in tests/api.rs (a real WebSocket client).
        row("GET", "/api/incidents/{id}/live", "without the upgrade", [401, 400, 400, 400], |w, _| Attempt::new(format!("/api/incidents/{}/live", w.incident))),
        row("GET", "/api/incidents/live", "without the upgrade", [401, 400, 400, 400], |_, _| Attempt::new("/api/incidents/live")),
        row("GET", "/api/schedules", "", any_user(200), |_, _| Attempt::new("/api/schedules")),
        row("GET", "/api/oncall", "", any_user(200), |_, _| Attempt::new("/api/oncall")),
        row("GET", "/api/schedules/{id}/timeline", "", any_user(200), |w, _| Attempt::new(format!("/api/schedules/{}/timeline", w.schedule))),
        row("GET", "/api/escalation-policies", "", any_user(200), |_, _| Attempt::new("/api/escalation-policies")),
        row("GET", "/api/push/vapid-public-key", "", any_user(200), |_, _| Attempt::new("/api/push/vapid-public-key")),
        row("GET", "/api/push/subscriptions", "one's own devices", any_user(200), |_, _| Attempt::new("/api/push/subscriptions")),
        row("GET", "/api/push/deliveries", "one's own deliveries", any_user(200), |_, _| Attempt::new("/api/push/deliveries")),
        row("GET", "/api/users/me/contact-preferences", "one's own", any_user(200), |_, _| Attempt::new("/api/users/me/contact-preferences")),
        row("GET", "/api/tokens", "one's own (an admin's: everyone's)", any_user(200), |_, _| Attempt::new("/api/tokens")),
        row("GET", "/api/calendar-feeds", "one's own (an admin's: everyone's)", any_user(200), |_, _| Attempt::new("/api/calendar-feeds")),
        // ---- action items and ticket systems (issue 14)
        row("GET", "/api/action-items", "overdue ones", any_user(200), |_, _| Attempt::new("/api/action-items?filter=overdue")),
        row("GET", "/api/action-items/{id}", "", any_user(200), |w, _| {
            let id = w.admin_ok("POST", "/api/action-items", json!({"title": unique("Read me")}))["id"].as_str().unwrap().to_string();
            Attempt::new(format!("/api/action-items/{id}"))
        }),
        row("GET", "/api/incidents/{id}/action-items", "", any_user(200), |w, _| Attempt::new(format!("/api/incidents/{}/action-items", w.incident))),
        row("GET", "/api/ticketing", "never the secrets", admin_only(200), |_, _| Attempt::new("/api/ticketing")),
        // ---- metrics (issue 14)
        row("GET", "/api/metrics", "a year by service", any_user(200), |_, _| Attempt::new("/api/metrics?group_by=service&from=2026-01-01&to=2026-12-31")),
        row("GET", "/api/metrics.csv", "", any_user(200), |_, _| Attempt::new("/api/metrics.csv?group_by=month")),
        row("GET", "/api/metrics/oncall-load", "", any_user(200), |_, _| Attempt::new("/api/metrics/oncall-load")),
        // ---- readiness (issue 14)
        row("GET", "/api/readiness", "", any_user(200), |_, _| Attempt::new("/api/readiness")),
        row("GET", "/api/services/{id}/checklist/review", "", any_user(200), |w, _| Attempt::new(format!("/api/services/{}/checklist/review", w.alert_service))),
        // ---- postmortems (issue 14)
        row("GET", "/api/incidents/{id}/postmortem", "with the full record", any_user(200), |w, _| {
            let id = w.declare();
            w.admin_ok("POST", &format!("/api/incidents/{id}/postmortem"), json!({}));
            Attempt::new(format!("/api/incidents/{id}/postmortem?timeline=all"))
        }),
        row("GET", "/api/incidents/{id}/postmortem.md", "", any_user(200), |w, _| {
            let id = w.declare();
            w.admin_ok("POST", &format!("/api/incidents/{id}/postmortem"), json!({}));
            Attempt::new(format!("/api/incidents/{id}/postmortem.md"))
        }),
        row("GET", "/api/incidents/{id}/postmortem.html", "", any_user(200), |w, _| {
            let id = w.declare();
            w.admin_ok("POST", &format!("/api/incidents/{id}/postmortem"), json!({}));
            Attempt::new(format!("/api/incidents/{id}/postmortem.html"))
        }),
        row("GET", "/api/postmortem-template", "", any_user(200), |_, _| Attempt::new("/api/postmortem-template")),
        // ---- admins only
        row("GET", "/api/webhook-destinations", "", admin_only(200), |_, _| Attempt::new("/api/webhook-destinations")),
        row("GET", "/api/webhook-destinations/{id}/deliveries", "", admin_only(200), |w, _| {
            Attempt::new(format!("/api/webhook-destinations/{}/deliveries", w.destination))
        }),
    ]
}

// ---------------------------------------------------------------------------------------------
// One attempt: the request, and how to tell afterwards whether it changed anything.

struct Attempt {
    path: String,
    body: Option<Value>,
    headers: Vec<(String, String)>,
    /// Sent instead of the caller's credentials (a fresh session of the same person).
    auth: Option<Auth>,
    /// Read before and after: equal when the attempt was refused, different when it succeeded.
    probe: Option<Probe>,
    /// One request afterwards and its expected status when the attempt succeeded / was refused.
    confirm: Option<Confirm>,
}

type Pick = fn(&Reply, &str) -> Value;

struct Probe {
    auth: Auth,
    path: String,
    arg: String,
    pick: Pick,
}

struct Confirm {
    auth: Auth,
    method: &'static str,
    path: String,
    if_done: u16,
    if_refused: u16,
}

impl Attempt {
    fn new(path: impl Into<String>) -> Attempt {
        Attempt { path: path.into(), body: None, headers: vec![], auth: None, probe: None, confirm: None }
    }
    fn json(mut self, body: Value) -> Attempt {
        self.body = Some(body);
        self
    }
    fn header(mut self, name: &str, value: String) -> Attempt {
        self.headers.push((name.to_string(), value));
        self
    }
    fn auth(mut self, auth: Auth) -> Attempt {
        self.auth = Some(auth);
        self
    }
    fn probe(mut self, auth: Auth, path: impl Into<String>, arg: impl Into<String>, pick: Pick) -> Attempt {
        self.probe = Some(Probe { auth, path: path.into(), arg: arg.into(), pick });
        self
    }
    fn confirm(mut self, auth: Auth, method: &'static str, path: &str, if_done: u16, if_refused: u16) -> Attempt {
        self.confirm = Some(Confirm { auth, method, path: path.to_string(), if_done, if_refused });
        self
    }
}

/// A one-person, one-schedule export of the vendor's shape, with ids and address of its own.
fn import_body(vendor: &str) -> Value {
    let (user, schedule) = (unique("src-user"), unique("src-schedule"));
    let email = format!("{user}@import.example.com");
    match vendor {
        "pagerduty" => json!({
            "users": [{"id": user, "name": "Imported", "email": email, "role": "user"}],
            "schedules": [{"id": schedule, "name": schedule, "time_zone": "UTC", "schedule_layers": [{"name": "L", "start": "2030-01-01T00:00:00Z",
                "rotation_virtual_start": "2030-01-01T00:00:00Z", "rotation_turn_length_seconds": 86400, "users": [{"user": {"id": user, "type": "user_reference"}}]}]}]
        }),
        _ => json!({
            "users": [{"id": user, "username": email, "fullName": "Imported", "role": {"name": "User"}}],
            "schedules": [{"id": schedule, "name": schedule, "timezone": "UTC", "enabled": true,
                "rotations": [{"name": "R", "startDate": "2030-01-01T00:00:00Z", "type": "daily", "length": 1, "participants": [{"type": "user", "id": user}]}]}]
        }),
    }
}

fn read_ok(r: &Reply) {
    assert_eq!(r.status, 200, "a probe read failed: {}", r.text);
}

/// The value at a JSON pointer.
fn at(r: &Reply, pointer: &str) -> Value {
    read_ok(r);
    r.json.pointer(pointer).cloned().unwrap_or(Value::Null)
}

/// The length of the array at a JSON pointer.
fn count(r: &Reply, pointer: &str) -> Value {
    read_ok(r);
    json!(r.json.pointer(pointer).and_then(Value::as_array).map(Vec::len))
}

/// `"<pointer> <id>"`: the item with that id in the array at the pointer (null when absent).
fn item(r: &Reply, arg: &str) -> Value {
    read_ok(r);
    let (pointer, id) = arg.split_once(' ').unwrap();
    let list = r.json.pointer(pointer).and_then(Value::as_array).unwrap_or_else(|| panic!("no list at {pointer}: {}", r.text));
    list.iter().find(|x| x["id"] == id).cloned().unwrap_or(Value::Null)
}

fn has_item(r: &Reply, arg: &str) -> Value {
    json!(!item(r, arg).is_null())
}

/// Whether the admin's token list holds a token of that name.
fn token_named(r: &Reply, name: &str) -> Value {
    read_ok(r);
    json!(r.json["tokens"].as_array().is_some_and(|l| l.iter().any(|t| t["name"] == name)))
}

fn status_of(r: &Reply, _: &str) -> Value {
    json!(r.status)
}

// ---------------------------------------------------------------------------------------------
// Fixtures.

/// Requests as anyone, and fixtures that need nothing but the people.
struct Env<'a> {
    c: &'a Ctx,
    p: &'a People,
}

impl Env<'_> {
    /// One request with `auth` from a client of its own (so cookies set by the answer stay
    /// with it). An `Authorization` header in `headers` (a vendor's key) replaces a Bearer token.
    fn call(&self, auth: &Auth, method: &str, path: &str, body: Option<&Value>, headers: &[(String, String)]) -> Reply {
        let api = Api::new(&self.c.inst.base);
        let mut h: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let bearer;
        match auth {
            Auth::None => {}
            Auth::Cookie(c) => h.push(("Cookie", c)),
            Auth::Bearer(t) => {
                if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("authorization")) {
                    bearer = format!("Bearer {t}");
                    h.push(("Authorization", &bearer));
                }
            }
        }
        api.send(method, path, body.map(|b| b.to_string().into_bytes()), &h)
    }

    /// A request that must succeed; its JSON.
    fn ok(&self, auth: &Auth, method: &str, path: &str, body: Value) -> Value {
        let body = (!body.is_null()).then_some(body);
        let r = self.call(auth, method, path, body.as_ref(), &[]);
        assert!((200..300).contains(&r.status), "fixture {method} {path}: {} {}", r.status, r.text);
        r.json
    }

    fn admin(&self) -> Auth {
        self.p.admin.auth()
    }

    fn admin_ok(&self, method: &str, path: &str, body: Value) -> Value {
        self.ok(&self.admin(), method, path, body)
    }

    /// A new person with `role`, logged in, and the credential to act as them: their session,
    /// or (`bearer`) an API token of theirs with that role. For rows that end every session of
    /// the caller, which must not end the shared ones.
    fn stand_in(&self, role: Role, bearer: bool) -> (Person, Auth) {
        let name = unique("Stand-in");
        let email = format!("{}@authz.example.com", name.to_lowercase());
        let password = format!("{name}'s long password");
        let r = self.admin_ok("POST", "/api/users", json!({"email": email, "name": name, "role": role_name(role), "password": password}));
        let mut who = Person { name: name.clone(), id: r["user"]["id"].as_str().unwrap().into(), email, password, cookie: String::new() };
        let Auth::Cookie(cookie) = self.login(&who) else { unreachable!() };
        who.cookie = cookie;
        let cred = if bearer {
            let t = self.ok(&who.auth(), "POST", "/api/tokens", json!({"name": unique("stand-in token")}));
            Auth::Bearer(t["secret"].as_str().unwrap().into())
        } else {
            self.login(&who)
        };
        (who, cred)
    }

    /// Revoking an API token `who` made; the probe lists `who`'s tokens.
    fn token_attempt(&self, who: &Person) -> Attempt {
        let t = self.ok(&who.auth(), "POST", "/api/tokens", json!({"name": unique("to revoke")}));
        let id = t["id"].as_str().unwrap().to_string();
        Attempt::new(format!("/api/tokens/{id}")).probe(who.auth(), "/api/tokens", format!("/tokens {id}"), has_item)
    }

    /// A new session of `who` (for the logout row, so that the shared one stays).
    fn login(&self, who: &Person) -> Auth {
        let api = Api::new(&self.c.inst.base);
        let r = api.post("/api/auth/login", json!({"email": who.email, "password": who.password}));
        assert_eq!(r.status, 200, "{}", r.text);
        Auth::Cookie(api.cookie().unwrap())
    }

    fn service(&self, policy: Option<&str>) -> (String, String) {
        let s = self.admin_ok("POST", "/api/services", json!({"name": unique("Authz service")}));
        let id = s["id"].as_str().unwrap().to_string();
        if let Some(p) = policy {
            self.admin_ok("PUT", &format!("/api/services/{id}/escalation-policy"), json!({"policy_id": p}));
        }
        (id, s["integration_key"].as_str().unwrap().to_string())
    }

    /// `levels` levels paging `user`, 30 minutes apart.
    fn policy_body(&self, user: &str, levels: usize) -> Value {
        let level = json!({"targets": [{"type": "user", "id": user}], "delay_minutes": 30});
        json!({"name": unique("Policy"), "repeats": 0, "levels": vec![level; levels]})
    }

    fn policy(&self, user: &str, levels: usize) -> String {
        self.admin_ok("POST", "/api/escalation-policies", self.policy_body(user, levels))["id"].as_str().unwrap().to_string()
    }

    fn layers(&self) -> Value {
        json!([{"name": "Week", "participants": [self.p.pat], "start": "2026-01-01T09:00:00", "turn": {"type": "weekly"}}])
    }

    fn new_schedule(&self) -> String {
        let body = json!({"name": unique("Schedule"), "time_zone": "UTC", "layers": self.layers()});
        self.admin_ok("POST", "/api/schedules", body)["id"].as_str().unwrap().to_string()
    }

    /// A future hour for an override.
    fn span(&self) -> (String, String) {
        let start = now_ms() + 86_400_000;
        (ms_rfc3339(start), ms_rfc3339(start + 3_600_000))
    }

    /// A new incident on which the caller's own person (the admin for anonymous callers and
    /// API tokens) was asked to respond — unless that person is an observer, who cannot be.
    fn asked(&self, c: &Caller) -> (String, String) {
        let id = self.declare();
        let who = c.owner(self.p).clone();
        if who.id != self.p.observer.id {
            self.admin_ok("POST", &format!("/api/incidents/{id}/responders"), json!({"user_ids": [who.id]}));
        }
        (id, who.id)
    }

    fn declare(&self) -> String {
        let r = self.admin_ok("POST", "/api/incidents", json!({"title": unique("Incident"), "severity": "SEV4"}));
        r["incident"]["id"].as_str().unwrap().to_string()
    }

    /// An alert to the service with `key`; the incident it opened.
    fn fire(&self, key: &str, severity: &str) -> String {
        let r = self.ok(&Auth::None, "POST", &format!("/webhooks/generic/{key}"), json!({"summary": unique("Alert"), "severity": severity, "dedup_key": unique("k")}));
        r["incident_id"].as_str().unwrap().to_string()
    }

    /// A push subscription of `who` on the test's push service.
    fn subscribe(&self, who: &Person) -> (TestSubscription, String) {
        let s = TestSubscription::new(&self.c.rx, "authz");
        let id = self.ok(&who.auth(), "POST", "/api/push/subscriptions", s.json("Authz phone"))["id"].as_str().unwrap().to_string();
        (s, id)
    }
}

/// What one test works on, made by that test with unique names (besides the people).
struct World<'a> {
    e: Env<'a>,
    /// The admin's API tokens with each role.
    tokens: Vec<(Role, String)>,
    /// An admin API token whose expiry has passed (moved into the past in D1).
    expired_token: String,
    /// The session and an admin API token of an admin who was then deactivated.
    deactivated: (Auth, Auth),
    alert_service: String,
    alert_key: String,
    edit_service: String,
    quiet_service: String,
    /// Two levels paging Pat: "escalate now" has a level to run.
    esc_key: String,
    /// Paging Rex / Olive, whose phones are on the test's push service.
    rex_key: String,
    rex_device: TestSubscription,
    olive_key: String,
    olive_device: TestSubscription,
    schedule: String,
    edit_schedule: String,
    edit_policy: String,
    public_incident: String,
    /// The public incident's first update.
    public_update: String,
    maintenance: String,
    incident: String,
    destination: String,
    schedule_feed: String,
    user_feed: String,
    genie_request: String,
}

impl<'a> std::ops::Deref for World<'a> {
    type Target = Env<'a>;
    fn deref(&self) -> &Env<'a> {
        &self.e
    }
}

impl<'a> World<'a> {
    fn new(c: &'a Ctx) -> World<'a> {
        let e = Env { c, p: c.people() };
        let p = e.p;
        let tokens = [Role::Observer, Role::Responder, Role::Admin]
            .into_iter()
            .map(|role| {
                let r = e.admin_ok("POST", "/api/tokens", json!({"name": unique("authz token"), "role": role_name(role)}));
                assert_eq!(r["role"], role_name(role));
                (role, r["secret"].as_str().unwrap().to_string())
            })
            .collect();
        let (alert_service, alert_key) = e.service(None);
        let (edit_service, _) = e.service(None);
        let (quiet_service, _) = e.service(None);
        let (_, esc_key) = e.service(Some(&e.policy(&p.pat, 2)));
        let (_, rex_key) = e.service(Some(&e.policy(&p.responder.id, 1)));
        let (_, olive_key) = e.service(Some(&e.policy(&p.observer.id, 1)));
        let (rex_device, _) = e.subscribe(&p.responder);
        let (olive_device, _) = e.subscribe(&p.observer);
        let schedule = e.new_schedule();
        let edit_schedule = e.new_schedule();
        let edit_policy = e.policy(&p.pat, 1);
        let public_incident =
            e.admin_ok("POST", "/api/status/incidents", json!({"name": unique("Public incident"), "body": "Looking into it."}))["id"].as_str().unwrap().to_string();
        let public_update = e.admin_ok("GET", "/api/status", Value::Null)["incidents"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"] == public_incident.as_str())
            .map(|i| i["updates"][0]["id"].as_str().unwrap().to_string())
            .expect("the public incident's update");
        let from = now_ms() + 3 * 86_400_000;
        let maintenance = e.admin_ok(
            "POST",
            "/api/status/maintenances",
            json!({"name": unique("Maintenance"), "scheduled_for": ms_rfc3339(from), "scheduled_until": ms_rfc3339(from + 3_600_000)}),
        )["id"]
            .as_str()
            .unwrap()
            .to_string();
        let incident = e.fire(&alert_key, "info");
        let feed_path = |v: Value| -> String {
            let url = v["url"].as_str().unwrap();
            url[url.find("/api/").unwrap()..].to_string()
        };
        let schedule_feed = feed_path(e.admin_ok("POST", &format!("/api/schedules/{schedule}/calendar-feed"), json!({})));
        let user_feed = feed_path(e.admin_ok("POST", "/api/users/me/calendar-feed", json!({})));
        let og = e.call(&Auth::None, "POST", "/v2/alerts", Some(&json!({"message": unique("OG")})), &[("Authorization".into(), format!("GenieKey {alert_key}"))]);
        assert_eq!(og.status, 202, "{}", og.text);
        let genie_request = og.json["requestId"].as_str().unwrap().to_string();
        let expired = e.admin_ok("POST", "/api/tokens", json!({"name": unique("expired token"), "role": "admin", "expires_in_days": 1}));
        let expired_token = expired["secret"].as_str().unwrap().to_string();
        e.c.inst.d1(&format!("UPDATE api_tokens SET expires_at = {} WHERE id = '{}'", now_ms() - 1000, expired["id"].as_str().unwrap()));
        let deactivated = {
            let (dee, session) = e.stand_in(Role::Admin, false);
            let token = e.ok(&dee.auth(), "POST", "/api/tokens", json!({"name": unique("deactivated admin's token"), "role": "admin"}));
            let token = Auth::Bearer(token["secret"].as_str().unwrap().into());
            assert_eq!(e.call(&token, "GET", "/api/audit", None, &[]).status, 200, "the token works before");
            e.admin_ok("POST", &format!("/api/users/{}/deactivate", dee.id), json!({}));
            (session, token)
        };
        let mut w = World {
            e,
            tokens,
            expired_token,
            deactivated,
            alert_service,
            alert_key,
            edit_service,
            quiet_service,
            esc_key,
            rex_key,
            rex_device,
            olive_key,
            olive_device,
            schedule,
            edit_schedule,
            edit_policy,
            public_incident,
            public_update,
            maintenance,
            incident,
            destination: String::new(),
            schedule_feed,
            user_feed,
            genie_request,
        };
        w.destination = w.admin_ok("POST", "/api/webhook-destinations", w.destination_body())["destination"]["id"].as_str().unwrap().to_string();
        w
    }

    fn component(&self) -> String {
        self.admin_ok("POST", "/api/status/components", json!({"name": unique("Component")}))["id"].as_str().unwrap().to_string()
    }

    /// A destination for a service that never has incidents (so it is never sent anything but
    /// its tests), on the test's receiver.
    fn destination_body(&self) -> Value {
        json!({"name": unique("Destination"), "kind": "slack", "url": self.c.rx.url("/hooks/authz"), "events": ["incident.opened"],
               "service_ids": [self.quiet_service]})
    }

    /// An override putting `user` on the shared schedule (made by the admin); its path.
    fn new_override(&self, user: &str) -> String {
        let (start, end) = self.span();
        let r = self.admin_ok("POST", &format!("/api/schedules/{}/overrides", self.schedule), json!({"user_id": user, "start": start, "end": end}));
        format!("/api/schedules/{}/overrides/{}", self.schedule, r["id"].as_str().unwrap())
    }

    /// Revoking a calendar feed `who` made (of a schedule, or of their own shifts); the probe
    /// fetches the calendar with its token, as a calendar app would.
    fn feed_attempt(&self, who: &Person, schedule: Option<&str>) -> Attempt {
        let path = match schedule {
            Some(s) => format!("/api/schedules/{s}/calendar-feed"),
            None => "/api/users/me/calendar-feed".into(),
        };
        let r = self.ok(&who.auth(), "POST", &path, json!({}));
        let url = r["url"].as_str().unwrap();
        Attempt::new(format!("/api/calendar-feeds/{}", r["id"].as_str().unwrap())).probe(Auth::None, &url[url.find("/api/").unwrap()..], "", status_of)
    }

    /// Removing (`DELETE`) or sending a test to (`POST` …`/test`) a new device of `who`; the
    /// probe counts `who`'s devices, or reads their newest push delivery.
    fn device_attempt(&self, who: &Person, method: &'static str, suffix: &str) -> Attempt {
        let (_, id) = self.subscribe(who);
        let a = Attempt::new(format!("/api/push/subscriptions/{id}{suffix}"));
        match method {
            "DELETE" => a.probe(who.auth(), "/api/push/subscriptions", "/devices", count),
            _ => a.json(json!({})).probe(who.auth(), "/api/push/deliveries", "/deliveries/0/id", at),
        }
    }

    /// Fires an alert on a service whose policy pages the owner of `device`, and waits for the
    /// page on the test's push service: the incident and the page's action token.
    fn page_token(&self, key: &str, device: &TestSubscription) -> (String, String) {
        let incident = self.fire(key, "warning");
        let token = wait_for("the page to reach the phone", Duration::from_secs(20), || {
            self.c.rx.received(&device.path).iter().map(|r| device.decrypt(r)).find(|p| p["incident_id"] == incident.as_str()).and_then(|p| p["token"].as_str().map(str::to_string))
        });
        (incident, token)
    }

    /// An Opsgenie alert on the alert service; its alias.
    fn opsgenie_alert(&self) -> String {
        let alias = unique("og");
        let r = self.call(&Auth::None, "POST", "/v2/alerts", Some(&json!({"message": unique("OG alert"), "alias": alias})), &[(
            "Authorization".into(),
            format!("GenieKey {}", self.alert_key),
        )]);
        assert_eq!(r.status, 202, "{}", r.text);
        alias
    }
}

// The routes of the worker are read from its source by `tocsin_tests::routes::worker_routes`.

/// A route with its bound segments unnamed (`{id}` and `{sid}` are the same shape).
use tocsin_tests::routes::shape;

/// Whether a concrete path (query ignored) is one `route` matches.
fn matches_route(route: &str, path: &str) -> bool {
    let path = path.split('?').next().unwrap();
    let pat: Vec<&str> = route.trim_matches('/').split('/').collect();
    let got: Vec<&str> = path.trim_matches('/').split('/').collect();
    let seg = |(p, g): (&&str, &&str)| if p.starts_with('{') { !g.is_empty() } else { p == g };
    match pat.split_last() {
        Some((last, head)) if last.ends_with("..}") => got.len() > head.len() && head.iter().zip(&got).all(seg),
        _ => pat.len() == got.len() && pat.iter().zip(&got).all(seg),
    }
}

/// The table has a row for every route with these methods, and no row for a route that is gone.
fn check_coverage(what: &str, rows: &[Row], methods: &[&str]) -> usize {
    let worker: BTreeSet<(String, String)> = tocsin_tests::routes::worker_routes().into_iter().filter(|(m, _)| methods.contains(&m.as_str())).collect();
    let shaped = |set: &BTreeSet<(String, String)>| -> BTreeSet<(String, String)> { set.iter().map(|(m, r)| (m.clone(), shape(r))).collect() };
    let table: BTreeSet<(String, String)> = rows.iter().map(|r| (r.method.to_string(), r.route.to_string())).collect();
    let (worker_shapes, table_shapes) = (shaped(&worker), shaped(&table));
    let missing: Vec<String> = worker.iter().filter(|(m, r)| !table_shapes.contains(&(m.clone(), shape(r)))).map(|(m, r)| format!("  {m} {r}")).collect();
    let stale: Vec<String> = table.iter().filter(|(m, r)| !worker_shapes.contains(&(m.clone(), shape(r)))).map(|(m, r)| format!("  {m} {r}")).collect();
    let mut msg = String::new();
    if !missing.is_empty() {
        msg += &format!(
            "{} {what} route(s) in worker/src/http/mod.rs have no row in tests/tests/authz.rs (say who may call them):\n{}\n",
            missing.len(),
            missing.join("\n")
        );
    }
    if !stale.is_empty() {
        msg += &format!("{} row(s) in tests/tests/authz.rs name a {what} route that no longer exists:\n{}\n", stale.len(), stale.join("\n"));
    }
    assert!(msg.is_empty(), "\n{msg}");
    worker.len()
}

// ---------------------------------------------------------------------------------------------
// The matrix.

fn short(s: &str) -> String {
    let s: String = s.chars().take(160).collect();
    s.replace('\n', " ")
}

fn run_matrix(w: &World, title: &str, rows: &[Row], callers: &[Caller]) {
    let mut failures = Vec::new();
    let (mut cells, mut known) = (0, 0);
    for row in rows {
        for caller in callers {
            cells += 1;
            let a = (row.prepare)(w, caller);
            assert!(matches_route(row.route, &a.path), "the row {} {} [{}] sends to {}, which is not that route", row.method, row.route, row.case, a.path);
            let before = a.probe.as_ref().map(|p| (p.pick)(&w.call(&p.auth, "GET", &p.path, None, &[]), &p.arg));
            let auth = a.auth.clone().unwrap_or_else(|| caller.auth.clone());
            let r = w.call(&auth, row.method, &a.path, a.body.as_ref(), &a.headers);
            let want = match (&caller.auth, row.by_token) {
                (Auth::Bearer(_), Some(e)) => e[caller.role as usize],
                _ => row.expect[caller.role as usize],
            };
            let mut why = Vec::new();
            match known_wrong(row, caller.role) {
                Some(_) if r.status == want => why.push(format!("now gives {want} as the table says: remove it from KNOWN_WRONG")),
                Some(today) if r.status != today => why.push(format!("KNOWN_WRONG says {today} today (the table says {want}), got {} {}", r.status, short(&r.text))),
                Some(_) => known += 1,
                None if r.status != want => why.push(format!("expected {want}, got {} {}", r.status, short(&r.text))),
                None => {}
            }
            let code = match r.status {
                401 => "unauthenticated",
                403 => "forbidden",
                _ => "",
            };
            if row.codes && !code.is_empty() && r.code() != code {
                why.push(format!("a {} answer should say code {code:?}: {}", r.status, short(&r.text)));
            }
            let done = (200..300).contains(&r.status);
            if let (Some(p), Some(before)) = (&a.probe, before) {
                let after = (p.pick)(&w.call(&p.auth, "GET", &p.path, None, &[]), &p.arg);
                match (done, before == after) {
                    (false, false) => why.push(format!("refused with {}, yet GET {} changed: {} → {}", r.status, p.path, short(&before.to_string()), short(&after.to_string()))),
                    (true, true) => why.push(format!("answered {} but GET {} did not change: {}", r.status, p.path, short(&after.to_string()))),
                    _ => {}
                }
            }
            if let Some(cf) = &a.confirm {
                let expected = if done { cf.if_done } else { cf.if_refused };
                let got = w.call(&cf.auth, cf.method, &cf.path, None, &[]);
                if got.status != expected {
                    why.push(format!("afterwards the admin's {} {} gave {}, expected {expected}", cf.method, cf.path, got.status));
                }
            }
            if !why.is_empty() {
                failures.push(format!("{} {} [{}] as {}: {}", row.method, row.route, row.case, caller.label, why.join("; ")));
            }
        }
    }
    let routes: BTreeSet<(&str, &str)> = rows.iter().map(|r| (r.method, r.route)).collect();
    eprintln!(
        "{title}: {} routes ({} rows) × {} callers = {cells} cells, {known} of them KNOWN_WRONG",
        routes.len(),
        rows.len(),
        callers.len()
    );
    assert!(failures.is_empty(), "{} of {cells} cells are not as the table says:\n  {}", failures.len(), failures.join("\n  "));
}

const WRITES: &[&str] = &["POST", "PUT", "PATCH", "DELETE"];

// ---------------------------------------------------------------------------------------------
// Tests.

fn every_route_has_a_rule(_: &Ctx) {
    let writes = check_coverage("write", &write_rows(), WRITES);
    let reads = check_coverage("read", &read_rows(), &["GET"]);
    let rows = write_rows().len() + read_rows().len();
    eprintln!("{writes} write routes and {reads} read routes, all with a rule ({rows} rows)");
    // The KNOWN_WRONG cells name rows that exist.
    for k in KNOWN_WRONG {
        assert!(write_rows().iter().chain(read_rows().iter()).any(|r| r.method == k.0 && r.route == k.1 && r.case == k.2), "KNOWN_WRONG names no row: {k:?}");
    }
}

fn writes_by_role(c: &Ctx) {
    let rows = write_rows();
    check_coverage("write", &rows, WRITES);
    let w = World::new(c);
    run_matrix(&w, "writes with a session", &rows, &session_callers(w.p));
}

fn writes_by_api_token(c: &Ctx) {
    let rows = write_rows();
    check_coverage("write", &rows, WRITES);
    let w = World::new(c);
    run_matrix(&w, "writes with an API token", &rows, &token_callers(&w));
}

fn reads_by_role_and_api_token(c: &Ctx) {
    let rows = read_rows();
    check_coverage("read", &rows, &["GET"]);
    let w = World::new(c);
    let mut callers = session_callers(w.p);
    callers.extend(token_callers(&w));
    run_matrix(&w, "reads", &rows, &callers);
}

fn main() {
    let rx = Receiver::start();
    let ctx = Ctx { inst: Instance::start("authz"), rx, people: OnceLock::new() };
    let tests: &[(&str, fn(&Ctx))] = &[
        ("every_route_has_a_rule", every_route_has_a_rule),
        ("writes_by_role", writes_by_role),
        ("writes_by_api_token", writes_by_api_token),
        ("reads_by_role_and_api_token", reads_by_role_and_api_token),
    ];
    tocsin_tests::run_suite(ctx, tests, |c| eprintln!("--- wrangler log ---\n{}", c.inst.log()))
}
