//! The till's users: plain row access. PIN hashing and the lockout rules live in
//! purser-app (`users.rs`); this module never sees a PIN.

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension, Row};

use crate::error::{Result, StoreError};
use crate::time::{format_ts, parse_ts};
use crate::Store;

/// A user as stored. `pin_hash` is a PHC string written by purser-app.
#[derive(Clone, PartialEq, Eq)]
pub struct UserRow {
    pub user_id: String,
    pub name: String,
    /// `cashier`, `supervisor` or `manager` (the table checks it).
    pub role: String,
    pub pin_hash: String,
    pub active: bool,
    /// Wrong PINs in a row since the last success.
    pub failed_attempts: u32,
    pub locked_until: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// When the name, PIN or active flag last changed (sign-ins do not count).
    pub updated_at: DateTime<Utc>,
}

impl std::fmt::Debug for UserRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserRow")
            .field("user_id", &self.user_id)
            .field("name", &self.name)
            .field("role", &self.role)
            .field("active", &self.active)
            .field("failed_attempts", &self.failed_attempts)
            .field("locked_until", &self.locked_until)
            .finish_non_exhaustive()
    }
}

/// What `Store::insert_user` needs.
#[derive(Clone, Copy)]
pub struct NewUser<'a> {
    pub user_id: &'a str,
    pub name: &'a str,
    pub role: &'a str,
    pub pin_hash: &'a str,
}

impl std::fmt::Debug for NewUser<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewUser")
            .field("user_id", &self.user_id)
            .field("name", &self.name)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

const SELECT_USER: &str = "SELECT user_id, name, role, pin_hash, active, failed_attempts, locked_until, created_at, updated_at FROM users";

type RawUser = (
    String,
    String,
    String,
    String,
    bool,
    u32,
    Option<String>,
    String,
    String,
);

fn raw_user(r: &Row<'_>) -> rusqlite::Result<RawUser> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
        r.get(8)?,
    ))
}

fn user_from_raw(raw: RawUser) -> Result<UserRow> {
    let (user_id, name, role, pin_hash, active, failed_attempts, locked, created, updated) = raw;
    Ok(UserRow {
        user_id,
        name,
        role,
        pin_hash,
        active,
        failed_attempts,
        locked_until: locked.as_deref().map(parse_ts).transpose()?,
        created_at: parse_ts(&created)?,
        updated_at: parse_ts(&updated)?,
    })
}

fn is_primary_key_clash(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _)
        if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY)
}

impl Store {
    /// Adds a user; an existing `user_id` is a `StoreError::Conflict`.
    pub fn insert_user(&mut self, user: &NewUser<'_>, now: DateTime<Utc>) -> Result<()> {
        let at = format_ts(now);
        self.conn
            .execute(
                "INSERT INTO users (user_id, name, role, pin_hash, active, failed_attempts, locked_until, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, 1, 0, NULL, ?5, ?5)",
                params![user.user_id, user.name, user.role, user.pin_hash, at],
            )
            .map_err(|e| {
                if is_primary_key_clash(&e) {
                    StoreError::Conflict(format!(
                        "a user with id '{}' already exists on this till",
                        user.user_id
                    ))
                } else {
                    StoreError::from(e)
                }
            })?;
        Ok(())
    }

    pub fn user_by_id(&self, user_id: &str) -> Result<Option<UserRow>> {
        let sql = format!("{SELECT_USER} WHERE user_id = ?1");
        self.conn
            .prepare_cached(&sql)?
            .query_row(params![user_id], raw_user)
            .optional()?
            .map(user_from_raw)
            .transpose()
    }

    /// Every user, by id.
    pub fn list_users(&self) -> Result<Vec<UserRow>> {
        let sql = format!("{SELECT_USER} ORDER BY user_id");
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let raws = stmt
            .query_map([], raw_user)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        raws.into_iter().map(user_from_raw).collect()
    }

    /// Replaces a user's PIN hash and clears the failure count and any lock.
    /// `false` when there is no such user.
    pub fn set_pin_hash(
        &mut self,
        user_id: &str,
        pin_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let n = self.conn.execute(
            "UPDATE users SET pin_hash = ?2, failed_attempts = 0, locked_until = NULL, updated_at = ?3
             WHERE user_id = ?1",
            params![user_id, pin_hash, format_ts(now)],
        )?;
        Ok(n == 1)
    }

    /// Enables or disables a user. `false` when there is no such user.
    pub fn set_active(&mut self, user_id: &str, active: bool, now: DateTime<Utc>) -> Result<bool> {
        let n = self.conn.execute(
            "UPDATE users SET active = ?2, updated_at = ?3 WHERE user_id = ?1",
            params![user_id, active, format_ts(now)],
        )?;
        Ok(n == 1)
    }

    /// Records a wrong PIN: the new count of failures in a row and the lock, if any.
    /// `false` when there is no such user.
    pub fn record_failure(
        &mut self,
        user_id: &str,
        failed_attempts: u32,
        locked_until: Option<DateTime<Utc>>,
    ) -> Result<bool> {
        let n = self.conn.execute(
            "UPDATE users SET failed_attempts = ?2, locked_until = ?3 WHERE user_id = ?1",
            params![user_id, failed_attempts, locked_until.map(format_ts)],
        )?;
        Ok(n == 1)
    }

    /// Records a right PIN: clears the failures and the lock. Writes only when there is
    /// something to clear, so an ordinary sign-in costs no commit.
    pub fn record_success(&mut self, user_id: &str) -> Result<()> {
        self.conn.execute(
            "UPDATE users SET failed_attempts = 0, locked_until = NULL
             WHERE user_id = ?1 AND (failed_attempts <> 0 OR locked_until IS NOT NULL)",
            params![user_id],
        )?;
        Ok(())
    }
}
