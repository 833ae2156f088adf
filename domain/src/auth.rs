//! Who may do what: roles, the password policy, and how repeated login failures are slowed down.

use crate::incident::UnknownValue;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A user's (or API token's) role. Ordered by power: observer < responder < admin.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Reads everything, changes nothing.
    Observer,
    /// Works incidents: acknowledge, resolve, declare, post.
    Responder,
    /// Also manages users, services, tokens and settings.
    Admin,
}

impl Role {
    pub const ALL: [Role; 3] = [Self::Admin, Self::Responder, Self::Observer];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Responder => "responder",
            Self::Observer => "observer",
        }
    }

    /// A role may act with its own power or less, never more (API tokens, invitations).
    pub fn may_grant(self, other: Role) -> bool {
        other <= self
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = UnknownValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| UnknownValue::new("role", s, "admin, responder, observer"))
    }
}

/// What a request wants to do, checked against the caller's role in one place.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Permission {
    Read,
    /// Change incidents and their records.
    Respond,
    /// Manage users, services, tokens, settings.
    Administer,
}

/// Who may revoke a calendar feed: whoever made it, the person whose own shifts it shows, or an
/// admin (`made_by` is unknown for feeds made before it was recorded).
pub fn may_revoke_feed(role: Role, me: &str, made_by: Option<&str>, personal_feed_of: Option<&str>) -> bool {
    role == Role::Admin || made_by == Some(me) || personal_feed_of == Some(me)
}

/// Integration keys (and the URLs that carry them) open, resolve and page: admins only.
pub fn sees_integration_keys(role: Role) -> bool {
    allows(role, Permission::Administer)
}

pub fn allows(role: Role, needed: Permission) -> bool {
    match needed {
        Permission::Read => true,
        Permission::Respond => role >= Role::Responder,
        Permission::Administer => role == Role::Admin,
    }
}

pub const MIN_PASSWORD_CHARS: usize = 10;
pub const MAX_PASSWORD_BYTES: usize = 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PasswordProblem {
    #[error("must be at least {MIN_PASSWORD_CHARS} characters")]
    TooShort,
    #[error("must be at most {MAX_PASSWORD_BYTES} bytes")]
    TooLong,
}

/// Length is what matters (NIST 800-63B): at least 10 characters, no composition rules.
pub fn check_password(pw: &str) -> Result<(), PasswordProblem> {
    if pw.chars().count() < MIN_PASSWORD_CHARS {
        Err(PasswordProblem::TooShort)
    } else if pw.len() > MAX_PASSWORD_BYTES {
        Err(PasswordProblem::TooLong)
    } else {
        Ok(())
    }
}

/// A session ends 30 days after login, or after this long unused (default; `SESSION_IDLE_HOURS`).
/// Long enough that a responder paged at night opens the incident without logging in again
/// (acknowledging from the notification needs no session at all), short enough that a lost
/// phone's session does not live for a month.
pub const DEFAULT_SESSION_IDLE_HOURS: i64 = 7 * 24;
/// `last_seen_at` is written at most this often (not on every request).
pub const SESSION_TOUCH_EVERY_MS: i64 = 10 * 60 * 1000;

/// Whether a session is still alive: not revoked, before its absolute expiry, used recently.
pub fn session_alive(expires_at_ms: i64, last_seen_ms: i64, idle_ms: i64, revoked: bool, now_ms: i64) -> bool {
    !revoked && now_ms < expires_at_ms && now_ms - last_seen_ms < idle_ms
}

/// Whether a token (not revoked) still works at `now`.
pub fn token_alive(expires_at_ms: Option<i64>, now_ms: i64) -> bool {
    expires_at_ms.is_none_or(|e| now_ms < e)
}

/// A token's expiry from `expires_in_days` (1–365), or `Err` naming the limit.
pub fn token_expiry(created_ms: i64, expires_in_days: Option<u32>) -> Result<Option<i64>, &'static str> {
    match expires_in_days {
        None => Ok(None),
        Some(d) if (1..=365).contains(&d) => Ok(Some(created_ms + i64::from(d) * 86_400_000)),
        Some(_) => Err("must be from 1 to 365 days"),
    }
}

#[cfg(test)]
mod lifetime_tests {
    #[test]
    fn feeds_are_revoked_by_their_maker_their_person_or_an_admin() {
        assert!(may_revoke_feed(Role::Observer, "u1", Some("u1"), None), "the maker");
        assert!(may_revoke_feed(Role::Observer, "u1", None, Some("u1")), "their own shifts");
        assert!(may_revoke_feed(Role::Admin, "u9", Some("u1"), Some("u1")), "an admin");
        assert!(!may_revoke_feed(Role::Responder, "u2", Some("u1"), None), "someone else's schedule feed");
        assert!(!may_revoke_feed(Role::Responder, "u2", None, Some("u1")), "someone else's personal feed");
    }

    use super::*;

    #[test]
    fn sessions_end_when_revoked_expired_or_idle() {
        let (exp, idle) = (1_000_000, 100);
        assert!(session_alive(exp, 500, idle, false, 550));
        assert!(!session_alive(exp, 500, idle, true, 550), "revoked");
        assert!(!session_alive(exp, 500, idle, false, 600), "idle for exactly the limit");
        assert!(!session_alive(exp, 999_990, idle, false, 1_000_000), "past the absolute expiry");
    }

    #[test]
    fn token_expiry_is_bounded() {
        assert_eq!(token_expiry(0, None), Ok(None));
        assert_eq!(token_expiry(0, Some(1)), Ok(Some(86_400_000)));
        assert!(token_expiry(0, Some(0)).is_err() && token_expiry(0, Some(366)).is_err());
    }
}

/// Failed logins are counted over this window, per account and per client address.
pub const FAILURE_WINDOW_MS: i64 = 15 * 60 * 1000;
/// Failures allowed in the window before attempts are slowed down.
pub const FREE_FAILURES_PER_ACCOUNT: u32 = 5;
pub const FREE_FAILURES_PER_IP: u32 = 20;
pub const MAX_DELAY_SECS: i64 = 15 * 60;

/// Recent failed logins for one key (an account or an address).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Failures {
    /// Failures within [`FAILURE_WINDOW_MS`] before now.
    pub count: u32,
    /// When the latest of them happened (ms since the epoch).
    pub last_at_ms: i64,
}

/// Whether a login attempt may be checked now, or must wait: after the free failures each further
/// failure doubles the wait (1 s, 2 s, 4 s … up to 15 min) counted from the last failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoginGate {
    Allow,
    RetryAfter { secs: i64 },
}

/// Failures for one account from anywhere before it is slowed down for everyone: high, so a
/// stranger cannot lock a responder out, but a botnet spreading guesses over many addresses
/// still meets a wall.
pub const FREE_FAILURES_PER_ACCOUNT_ANYWHERE: u32 = 50;

/// The address a login is throttled by: IPv4 as it is, IPv6 by its /64 (one subscriber's
/// network, which can hand out countless addresses).
pub fn client_key(addr: &str) -> String {
    match addr.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V6(v6)) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        _ => addr.to_string(),
    }
}

/// The gate for one account's failures from everywhere (see [`FREE_FAILURES_PER_ACCOUNT_ANYWHERE`]).
pub fn account_gate(account_anywhere: Failures, now_ms: i64) -> LoginGate {
    gate(&[(account_anywhere, FREE_FAILURES_PER_ACCOUNT_ANYWHERE)], now_ms)
}

/// The stricter of two gates.
pub fn stricter(a: LoginGate, b: LoginGate) -> LoginGate {
    match (a, b) {
        (LoginGate::Allow, x) | (x, LoginGate::Allow) => x,
        (LoginGate::RetryAfter { secs: x }, LoginGate::RetryAfter { secs: y }) => LoginGate::RetryAfter { secs: x.max(y) },
    }
}

fn gate(keys: &[(Failures, u32)], now_ms: i64) -> LoginGate {
    let wait = |f: Failures, free: u32| -> i64 {
        if f.count < free {
            return 0;
        }
        let exp = (f.count - free).min(20);
        let delay_ms = (1000i64 << exp).min(MAX_DELAY_SECS * 1000);
        (f.last_at_ms + delay_ms - now_ms).max(0)
    };
    let ms = keys.iter().map(|(f, free)| wait(*f, *free)).max().unwrap_or(0);
    if ms == 0 {
        LoginGate::Allow
    } else {
        LoginGate::RetryAfter { secs: (ms + 999) / 1000 }
    }
}

pub fn login_gate(account: Failures, ip: Failures, now_ms: i64) -> LoginGate {
    gate(&[(account, FREE_FAILURES_PER_ACCOUNT), (ip, FREE_FAILURES_PER_IP)], now_ms)
}

#[cfg(test)]
mod address_tests {
    use super::*;

    #[test]
    fn ipv6_by_its_64_and_accounts_from_anywhere() {
        assert_eq!(client_key("2001:db8:1:2:aaaa::1"), client_key("2001:db8:1:2:ffff::9"));
        assert_ne!(client_key("2001:db8:1:2::1"), client_key("2001:db8:1:3::1"));
        assert_eq!(client_key("203.0.113.7"), "203.0.113.7");
        assert_eq!(client_key("unknown"), "unknown");
        let now = 1_000_000;
        assert_eq!(account_gate(Failures { count: 49, last_at_ms: now }, now), LoginGate::Allow);
        assert_eq!(account_gate(Failures { count: 50, last_at_ms: now }, now), LoginGate::RetryAfter { secs: 1 });
        assert_eq!(stricter(LoginGate::Allow, LoginGate::RetryAfter { secs: 3 }), LoginGate::RetryAfter { secs: 3 });
        assert_eq!(stricter(LoginGate::RetryAfter { secs: 5 }, LoginGate::RetryAfter { secs: 3 }), LoginGate::RetryAfter { secs: 5 });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_order_and_permissions() {
        use Permission::*;
        use Role::*;
        assert!(Admin.may_grant(Observer) && Admin.may_grant(Admin));
        assert!(Responder.may_grant(Observer) && !Responder.may_grant(Admin));
        assert!(!Observer.may_grant(Responder));
        let table = [
            (Observer, [true, false, false]),
            (Responder, [true, true, false]),
            (Admin, [true, true, true]),
        ];
        for (role, want) in table {
            let got = [allows(role, Read), allows(role, Respond), allows(role, Administer)];
            assert_eq!(got, want, "{role}");
        }
        assert_eq!("observer".parse::<Role>().unwrap(), Observer);
        assert!("root".parse::<Role>().is_err());
    }

    #[test]
    fn password_policy() {
        assert_eq!(check_password("short"), Err(PasswordProblem::TooShort));
        assert_eq!(check_password("123456789"), Err(PasswordProblem::TooShort));
        assert_eq!(check_password("1234567890"), Ok(()));
        assert_eq!(check_password("ééééééééééé"), Ok(()), "counts characters, not bytes");
        assert_eq!(check_password(&"x".repeat(1025)), Err(PasswordProblem::TooLong));
    }

    #[test]
    fn login_gate_slows_down_after_free_failures() {
        let now = 1_000_000_000;
        let f = |count, ago_ms| Failures { count, last_at_ms: now - ago_ms };
        let none = Failures::default();
        assert_eq!(login_gate(f(4, 0), none, now), LoginGate::Allow);
        assert_eq!(login_gate(f(5, 0), none, now), LoginGate::RetryAfter { secs: 1 });
        assert_eq!(login_gate(f(5, 1000), none, now), LoginGate::Allow);
        assert_eq!(login_gate(f(8, 0), none, now), LoginGate::RetryAfter { secs: 8 });
        assert_eq!(login_gate(f(8, 3000), none, now), LoginGate::RetryAfter { secs: 5 });
        assert_eq!(login_gate(f(60, 0), none, now), LoginGate::RetryAfter { secs: MAX_DELAY_SECS });
        // Per address: many accounts from one IP.
        assert_eq!(login_gate(none, f(19, 0), now), LoginGate::Allow);
        assert_eq!(login_gate(none, f(21, 0), now), LoginGate::RetryAfter { secs: 2 });
        // The stricter of the two wins.
        assert_eq!(login_gate(f(6, 0), f(20, 0), now), LoginGate::RetryAfter { secs: 2 });
    }
}
