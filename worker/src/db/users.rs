//! Organisations, users, sessions, API tokens, invitations and failed-login records.

use serde::Deserialize;

use super::{args, changes, Audit, Db};
use crate::error::ApiResult;

#[derive(Debug, Clone, Deserialize)]
pub struct UserRow {
    pub id: String,
    pub org_id: String,
    pub email: String,
    pub name: String,
    pub role: String,
    pub password_hash: Option<String>,
    pub created_at: i64,
    pub org_name: String,
    #[serde(default)]
    pub deactivated_at: Option<i64>,
    /// JSON array of expertise tags.
    #[serde(default)]
    pub expertise: Option<String>,
}

const USER_COLS: &str = "u.id, u.org_id, u.email, u.name, u.role, u.password_hash, u.created_at, o.name AS org_name, u.deactivated_at, u.expertise";

/// A user authenticated by a session or a token, with the role the request acts with.
#[derive(Debug, Clone, Deserialize)]
pub struct AuthRow {
    #[serde(flatten)]
    pub user: UserRow,
    pub acting_role: String,
    /// The session's or token's own lifetime fields (rules: `domain::auth`).
    #[serde(default)]
    pub cred_expires_at: Option<i64>,
    #[serde(default)]
    pub cred_last_seen_at: Option<i64>,
    /// An API token's id and name (None for a session).
    #[serde(default)]
    pub cred_id: Option<String>,
    #[serde(default)]
    pub cred_name: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct TokenRow {
    pub id: String,
    pub name: String,
    pub role: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub expires_at: Option<i64>,
    pub user_name: String,
}

pub struct NewUser<'a> {
    pub id: &'a str,
    pub org_id: &'a str,
    pub email: &'a str,
    pub name: &'a str,
    pub role: &'a str,
    pub password_hash: Option<&'a str>,
}

impl Db {
    pub async fn user_count(&self) -> ApiResult<i64> {
        let n: Option<i64> = self.first_n("SELECT COUNT(*) AS n FROM users", &[]).await?;
        Ok(n.unwrap_or(0))
    }

    /// Creates the first organisation and its admin, only while no user exists at all.
    /// Returns false (and writes nothing) when someone got there first.
    pub async fn create_first_org(&self, org_id: &str, org_name: &str, admin: &NewUser<'_>, now: i64, audit: &Audit) -> ApiResult<bool> {
        let res = self
            .batch_audited(vec![
                self.stmt(
                    "INSERT INTO organizations (id, name, created_at) SELECT ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM users)",
                    args![org_id, org_name, now],
                )?,
                self.stmt(
                    "INSERT INTO users (id, org_id, email, name, role, password_hash, created_at)
                     SELECT ?, ?, ?, ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM users)",
                    args![admin.id, admin.org_id, admin.email, admin.name, admin.role, admin.password_hash, now],
                )?,
            ], audit)
            .await?;
        Ok(changes(&res[1]) == 1)
    }

    pub async fn insert_user(&self, u: &NewUser<'_>, now: i64, audit: &Audit) -> ApiResult<()> {
        self.run_audited(
            "INSERT INTO users (id, org_id, email, name, role, password_hash, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            args![u.id, u.org_id, u.email, u.name, u.role, u.password_hash, now],
            audit,
        )
        .await?;
        Ok(())
    }

    /// Inserts an invited user and their one-time link in one transaction.
    pub async fn insert_invited_user(&self, u: &NewUser<'_>, invite_hash: &str, expires_at: i64, now: i64, audit: &Audit) -> ApiResult<()> {
        self.batch_audited(vec![
            self.stmt(
                "INSERT INTO users (id, org_id, email, name, role, password_hash, created_at) VALUES (?, ?, ?, ?, ?, NULL, ?)",
                args![u.id, u.org_id, u.email, u.name, u.role, now],
            )?,
            self.stmt(
                "INSERT INTO invites (token_hash, org_id, user_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
                args![invite_hash, u.org_id, u.id, now, expires_at],
            )?,
        ], audit)
        .await?;
        Ok(())
    }

    pub async fn user_by_email(&self, email: &str) -> ApiResult<Option<UserRow>> {
        self.first(
            &format!("SELECT {USER_COLS} FROM users u JOIN organizations o ON o.id = u.org_id WHERE u.email = ?"),
            args![email],
        )
        .await
    }

    pub async fn user_by_id(&self, org_id: &str, id: &str) -> ApiResult<Option<UserRow>> {
        self.first(
            &format!("SELECT {USER_COLS} FROM users u JOIN organizations o ON o.id = u.org_id WHERE u.org_id = ? AND u.id = ?"),
            args![org_id, id],
        )
        .await
    }

    pub async fn insert_session(&self, token_hash: &str, user: &UserRow, now: i64, expires_at: i64, audit: &Audit) -> ApiResult<()> {
        self.run_audited(
            "INSERT INTO sessions (token_hash, org_id, user_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
            args![token_hash, &user.org_id, &user.id, now, expires_at],
            audit,
        )
        .await?;
        Ok(())
    }

    pub async fn session_user(&self, token_hash: &str, now: i64) -> ApiResult<Option<AuthRow>> {
        self.first(
            &format!(
                "SELECT {USER_COLS}, u.role AS acting_role, s.expires_at AS cred_expires_at,
                        COALESCE(s.last_seen_at, s.created_at) AS cred_last_seen_at FROM sessions s
                 JOIN users u ON u.id = s.user_id JOIN organizations o ON o.id = u.org_id
                 WHERE s.token_hash = ? AND s.revoked_at IS NULL AND s.expires_at > ? AND u.deactivated_at IS NULL"
            ),
            args![token_hash, now],
        )
        .await
    }

    /// Records that a session was used (callers do it at most every few minutes).
    pub async fn touch_session(&self, token_hash: &str, now: i64) -> ApiResult<()> {
        self.run("UPDATE sessions SET last_seen_at = ? WHERE token_hash = ?", args![now, token_hash]).await?;
        Ok(())
    }

    /// Ends every session of a user, or every one but `keep` (after a password change).
    pub async fn revoke_sessions_of(&self, user_id: &str, keep: Option<&str>, now: i64, audit: &Audit) -> ApiResult<usize> {
        self.run_audited(
            "UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL AND token_hash != ?",
            args![now, user_id, keep.unwrap_or("")],
            audit,
        )
        .await
    }

    /// Live tokens of a user, or of the whole organisation (`user_id` None), newest first.
    pub async fn tokens(&self, org_id: &str, user_id: Option<&str>) -> ApiResult<Vec<TokenRow>> {
        self.all(
            "SELECT t.id, t.name, t.role, t.created_at, t.last_used_at, t.expires_at, t.user_id, u.name AS user_name
             FROM api_tokens t JOIN users u ON u.id = t.user_id
             WHERE t.org_id = ? AND t.revoked_at IS NULL AND (? IS NULL OR t.user_id = ?) ORDER BY t.created_at DESC LIMIT 500",
            args![org_id, user_id, user_id],
        )
        .await
    }

    /// Revokes a token of the organisation (of `user_id` only, unless None). True when one was live.
    pub async fn revoke_token(&self, org_id: &str, id: &str, user_id: Option<&str>, now: i64, audit: &Audit) -> ApiResult<bool> {
        Ok(self
            .run_audited(
                "UPDATE api_tokens SET revoked_at = ? WHERE org_id = ? AND id = ? AND revoked_at IS NULL AND (? IS NULL OR user_id = ?)",
                args![now, org_id, id, user_id, user_id],
                audit,
            )
            .await?
            == 1)
    }

    /// A new password and the end of every other session, in one batch: a changed password never
    /// leaves the old sessions alive because the second write failed.
    pub async fn set_password_ending_other_sessions(&self, user_id: &str, hash: &str, keep: Option<&str>, now: i64, audit: &Audit) -> ApiResult<()> {
        self.batch_audited(vec![
            self.stmt(
                "UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL AND token_hash != ?",
                args![now, user_id, keep.unwrap_or("")],
            )?,
            self.stmt("UPDATE users SET password_hash = ? WHERE id = ?", args![hash, user_id])?,
        ], audit)
        .await?;
        Ok(())
    }

    /// Ends one session; the audit row is about the session's user (found in the same batch).
    pub async fn revoke_session(&self, token_hash: &str, now: i64) -> ApiResult<()> {
        #[derive(Deserialize)]
        struct S {
            org_id: String,
            user_id: String,
            name: String,
        }
        let s: Option<S> = self
            .first(
                "SELECT s.org_id, s.user_id, u.name FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ? AND s.revoked_at IS NULL",
                args![token_hash],
            )
            .await?;
        let Some(s) = s else { return Ok(()) };
        let actor = tocsin_domain::audit::Actor::User { user_id: s.user_id.clone(), name: s.name };
        let audit = Audit {
            id: crate::crypto::new_id(now),
            org_id: s.org_id,
            at: now,
            address: None,
            entry: tocsin_domain::audit::Entry::new(actor, tocsin_domain::audit::Action::SessionEnded, Some(&s.user_id)),
        };
        self.run_audited("UPDATE sessions SET revoked_at = ? WHERE token_hash = ? AND revoked_at IS NULL", args![now, token_hash], &audit)
            .await?;
        Ok(())
    }

    /// A token acts with the lower of its own role and its user's current role.
    pub async fn token_user(&self, token_hash: &str, now: i64) -> ApiResult<Option<AuthRow>> {
        let row: Option<AuthRow> = self
            .first(
                &format!(
                    "SELECT {USER_COLS}, t.role AS acting_role, t.expires_at AS cred_expires_at, t.id AS cred_id, t.name AS cred_name
                     FROM api_tokens t JOIN users u ON u.id = t.user_id JOIN organizations o ON o.id = u.org_id
                     WHERE t.token_hash = ? AND t.revoked_at IS NULL AND u.deactivated_at IS NULL"
                ),
                args![token_hash],
            )
            .await?;
        if row.is_some() {
            self.run(
                "UPDATE api_tokens SET last_used_at = ? WHERE token_hash = ? AND (last_used_at IS NULL OR last_used_at < ?)",
                args![now, token_hash, now - 60_000],
            )
            .await?;
        }
        Ok(row)
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn insert_token(&self, id: &str, org_id: &str, user_id: &str, name: &str, role: &str, token_hash: &str, now: i64, expires_at: Option<i64>, audit: &Audit) -> ApiResult<()> {
        self.run_audited(
            "INSERT INTO api_tokens (id, org_id, user_id, name, role, token_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            args![id, org_id, user_id, name, role, token_hash, now, expires_at],
            audit,
        )
        .await?;
        Ok(())
    }

    /// Whether an invitation token is unused and unexpired (checked before hashing a password).
    pub async fn invite_is_open(&self, invite_hash: &str, now: i64) -> ApiResult<bool> {
        let row: Option<serde_json::Value> =
            self.first("SELECT 1 AS ok FROM invites WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?", args![invite_hash, now]).await?;
        Ok(row.is_some())
    }

    /// Sets the password of an invited user and spends the invitation. Returns the user when the
    /// link was valid, unused and unexpired.
    /// `audit` makes the audit row from the invited user's (id, organisation, name).
    pub async fn accept_invite(&self, invite_hash: &str, password_hash: &str, now: i64, audit: impl FnOnce(&str, &str, &str) -> Audit) -> ApiResult<Option<UserRow>> {
        #[derive(Deserialize)]
        struct Inv {
            user_id: String,
            org_id: String,
            name: String,
        }
        let inv: Option<Inv> = self
            .first(
                "SELECT i.user_id, i.org_id, u.name FROM invites i JOIN users u ON u.id = i.user_id
                 WHERE i.token_hash = ? AND i.used_at IS NULL AND i.expires_at > ? AND u.deactivated_at IS NULL",
                args![invite_hash, now],
            )
            .await?;
        let Some(inv) = inv else { return Ok(None) };
        let audit = audit(&inv.user_id, &inv.org_id, &inv.name);
        let res = self
            .batch_audited(vec![
                self.stmt("UPDATE invites SET used_at = ? WHERE token_hash = ? AND used_at IS NULL", args![now, invite_hash])?,
                self.stmt(
                    "UPDATE users SET password_hash = ? WHERE id = ? AND password_hash IS NULL
                     AND EXISTS (SELECT 1 FROM invites WHERE token_hash = ? AND used_at = ?)",
                    args![password_hash, &inv.user_id, invite_hash, now],
                )?,
            ], &audit)
            .await?;
        if changes(&res[1]) != 1 {
            return Ok(None);
        }
        self.user_by_id(&inv.org_id, &inv.user_id).await
    }

    /// Everyone in the organisation (active, invited and deactivated), by name.
    pub async fn org_users(&self, org_id: &str) -> ApiResult<Vec<UserRow>> {
        self.all(
            &format!("SELECT {USER_COLS} FROM users u JOIN organizations o ON o.id = u.org_id WHERE u.org_id = ? ORDER BY u.name COLLATE NOCASE, u.id LIMIT 1000"),
            args![org_id],
        )
        .await
    }

    /// How many admins of the organisation are not deactivated.
    pub async fn active_admins(&self, org_id: &str) -> ApiResult<u32> {
        let n = self.first_n("SELECT COUNT(*) AS n FROM users WHERE org_id = ? AND role = 'admin' AND deactivated_at IS NULL AND password_hash IS NOT NULL", args![org_id]).await?;
        Ok(n.unwrap_or(0) as u32)
    }

    /// Renames and/or changes the role of an active person. A demotion of an admin only happens
    /// while another active admin remains (checked in the same statement, so two admins
    /// demoting each other at once cannot both succeed). True when the row changed.
    pub async fn update_user(&self, org_id: &str, id: &str, name: &str, role: &str, audit: &Audit) -> ApiResult<bool> {
        Ok(self
            .run_audited(
                "UPDATE users SET name = ?, role = ? WHERE org_id = ? AND id = ? AND deactivated_at IS NULL
                   AND (role != 'admin' OR ?2 = 'admin' OR password_hash IS NULL
                        OR (SELECT COUNT(*) FROM users WHERE org_id = ?3 AND role = 'admin' AND deactivated_at IS NULL AND password_hash IS NOT NULL) > 1)",
                args![name, role, org_id, id],
                audit,
            )
            .await?
            == 1)
    }

    /// Deactivates a person and ends their sessions, tokens and open invitation in one batch
    /// (never the last active admin, checked in the same statement). Returns (sessions, tokens)
    /// revoked, or None when nothing changed.
    pub async fn deactivate_user(&self, org_id: &str, id: &str, now: i64, audit: &Audit) -> ApiResult<Option<(u32, u32)>> {
        let res = self
            .batch_audited(
                vec![
                    self.stmt(
                        "UPDATE users SET deactivated_at = ? WHERE org_id = ? AND id = ? AND deactivated_at IS NULL
                           AND (role != 'admin' OR password_hash IS NULL OR (SELECT COUNT(*) FROM users WHERE org_id = ?2 AND role = 'admin' AND deactivated_at IS NULL AND password_hash IS NOT NULL) > 1)",
                        args![now, org_id, id],
                    )?,
                    self.stmt(
                        "UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL
                           AND EXISTS (SELECT 1 FROM users WHERE id = ?2 AND deactivated_at = ?1)",
                        args![now, id],
                    )?,
                    self.stmt(
                        "UPDATE api_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL
                           AND EXISTS (SELECT 1 FROM users WHERE id = ?2 AND deactivated_at = ?1)",
                        args![now, id],
                    )?,
                    self.stmt(
                        "UPDATE invites SET used_at = ? WHERE user_id = ? AND used_at IS NULL
                           AND EXISTS (SELECT 1 FROM users WHERE id = ?2 AND deactivated_at = ?1)",
                        args![now, id],
                    )?,
                    // Their phones and personal webhook page them no more, and their calendar
                    // feeds stop (a person who left must not keep receiving incident details).
                    self.stmt(
                        "DELETE FROM push_subscriptions WHERE user_id = ?2 AND EXISTS (SELECT 1 FROM users WHERE id = ?2 AND deactivated_at = ?1)",
                        args![now, id],
                    )?,
                    self.stmt(
                        "DELETE FROM contact_preferences WHERE user_id = ?2 AND EXISTS (SELECT 1 FROM users WHERE id = ?2 AND deactivated_at = ?1)",
                        args![now, id],
                    )?,
                    self.stmt(
                        "UPDATE calendar_feeds SET revoked_at = ?1 WHERE revoked_at IS NULL AND (created_by = ?2 OR (kind = 'user' AND subject_id = ?2))
                           AND EXISTS (SELECT 1 FROM users WHERE id = ?2 AND deactivated_at = ?1)",
                        args![now, id],
                    )?,
                    // Their overrides end now (and future ones go), as PagerDuty does: an override
                    // wins over the rotation, so one left for a person who is gone would leave the
                    // schedule with nobody to page.
                    self.stmt(
                        "DELETE FROM schedule_overrides WHERE user_id = ?2 AND starts_at >= ?1 AND EXISTS (SELECT 1 FROM users WHERE id = ?2 AND deactivated_at = ?1)",
                        args![now, id],
                    )?,
                    self.stmt(
                        "UPDATE schedule_overrides SET ends_at = ?1 WHERE user_id = ?2 AND ends_at > ?1 AND EXISTS (SELECT 1 FROM users WHERE id = ?2 AND deactivated_at = ?1)",
                        args![now, id],
                    )?,
                    // The audit row follows this statement: it changes one row exactly when the
                    // person was deactivated by this request.
                    self.stmt("UPDATE users SET deactivated_at = deactivated_at WHERE id = ? AND deactivated_at = ?", args![id, now])?,
                ],
                audit,
            )
            .await?;
        if changes(&res[0]) != 1 {
            return Ok(None);
        }
        Ok(Some((changes(&res[1]) as u32, changes(&res[2]) as u32)))
    }

    /// Failed logins for a key within the window: (count, latest time).
    /// Counts an attempt against each key *before* it is checked, in one batch (D1 runs a batch
    /// as one transaction): each key's failures before this attempt are read, then this attempt
    /// is recorded as a failure. Parallel guesses therefore each see the ones before them and
    /// cannot all pass a check made before any was recorded. A successful attempt takes its
    /// records back ([`Db::forget_login_attempt`]).
    /// Returns each key's (failures before, latest failure) and the recorded rows' ids.
    pub async fn reserve_login_attempt(&self, keys: &[&str], now: i64, since: i64) -> ApiResult<(Vec<(u32, i64)>, Vec<i64>)> {
        #[derive(Deserialize)]
        struct F {
            n: i64,
            last: Option<i64>,
        }
        #[derive(Deserialize)]
        struct Id {
            id: i64,
        }
        let mut stmts = vec![self.stmt("DELETE FROM login_failures WHERE at <= ?", args![since])?];
        for k in keys {
            stmts.push(self.stmt("SELECT COUNT(*) AS n, MAX(at) AS last FROM login_failures WHERE key = ? AND at > ?", args![*k, since])?);
        }
        for k in keys {
            stmts.push(self.stmt("INSERT INTO login_failures (key, at) VALUES (?, ?) RETURNING rowid AS id", args![*k, now])?);
        }
        let res = self.batch(stmts).await?;
        let mut seen = Vec::with_capacity(keys.len());
        for r in &res[1..=keys.len()] {
            let f: Option<F> = super::rows::<F>(r)?.into_iter().next();
            seen.push(f.map(|f| (f.n as u32, f.last.unwrap_or(0))).unwrap_or((0, 0)));
        }
        let mut ids = Vec::with_capacity(keys.len());
        for r in &res[1 + keys.len()..] {
            ids.extend(super::rows::<Id>(r)?.into_iter().map(|i| i.id));
        }
        Ok((seen, ids))
    }

    /// Takes back rows [`Db::reserve_login_attempt`] recorded (by their ids: attempts in the same
    /// millisecond are told apart).
    pub async fn forget_login_attempt(&self, ids: &[i64]) -> ApiResult<()> {
        let stmts = ids.iter().map(|id| self.stmt("DELETE FROM login_failures WHERE rowid = ?", args![*id])).collect::<ApiResult<Vec<_>>>()?;
        if !stmts.is_empty() {
            self.batch(stmts).await?;
        }
        Ok(())
    }

    /// After a successful login: forgets the keys' failures and takes back the reserved rows, in
    /// one round trip.
    pub async fn login_succeeded(&self, clear: &[&str], reserved: &[i64]) -> ApiResult<()> {
        let mut stmts = Vec::new();
        for k in clear {
            stmts.push(self.stmt("DELETE FROM login_failures WHERE key = ?", args![*k])?);
        }
        for id in reserved {
            stmts.push(self.stmt("DELETE FROM login_failures WHERE rowid = ?", args![*id])?);
        }
        if !stmts.is_empty() {
            self.batch(stmts).await?;
        }
        Ok(())
    }

    pub async fn clear_login_failures(&self, key: &str) -> ApiResult<()> {
        self.run("DELETE FROM login_failures WHERE key = ?", args![key]).await?;
        Ok(())
    }
}
