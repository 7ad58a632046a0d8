//! The till's users: who may sign in, with which PIN, and who may approve.
//!
//! * A PIN is 4 to 8 digits, not one digit repeated. It is stored only as an argon2id PHC
//!   string (m = 19456 KiB, t = 2, p = 1, OWASP's minimum) with a random salt and the
//!   till's PIN key as argon2's secret input; it is never logged, printed or kept.
//! * The PIN key ([`PinKey`]: 32 random bytes in `pin.key` beside the database, readable
//!   by the till's user only) is not in the database: a copied `till.db` alone does not let
//!   anyone try the 10^4–10^8 PINs offline. Hashes written before the key existed (no
//!   `k1$` prefix) still verify and are rewritten with the key at the next right PIN. A
//!   lost `pin.key` locks everyone out until `purser user set-pin` gives new PINs.
//! * Lockout: after 5 wrong PINs in a row the user is locked for 30 s; each further wrong
//!   PIN doubles the lock (60 s, 120 s, … at most 15 min). A right PIN, or a new PIN set by
//!   a manager, clears it. While locked, the PIN is not even checked.
//! * A wrong PIN, an unknown user and a disabled user get the same answer
//!   (`ErrorCode::WrongPin`, "wrong user or PIN"), after the same amount of hashing work,
//!   so the answer does not tell whether a user exists.
//!
//! The functions work on a `Store`; `Till` has the same operations as methods (at the
//! end of this file) with its clock.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use purser_store::{NewUser, Store, UserRow};

use crate::error::{AppError, AppResult, ErrorCode};
use crate::till::Till;

/// What a user may do. Ordered: `Manager > Supervisor > Cashier`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Cashier,
    Supervisor,
    Manager,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Cashier, Role::Supervisor, Role::Manager];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Cashier => "cashier",
            Role::Supervisor => "supervisor",
            Role::Manager => "manager",
        }
    }

    /// `cashier`, `supervisor` or `manager` (any case, surrounding blanks ignored).
    pub fn parse(s: &str) -> Option<Role> {
        let s = s.trim();
        Role::ALL
            .into_iter()
            .find(|r| r.as_str().eq_ignore_ascii_case(s))
    }

    /// Supervisors and managers approve refunds, voids and drawer opens.
    pub fn can_approve(self) -> bool {
        self >= Role::Supervisor
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A user as callers see it: never the PIN hash.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UserInfo {
    pub user_id: String,
    pub name: String,
    pub role: Role,
    pub active: bool,
    /// Set while (or since) the user was locked out by wrong PINs; see `is_locked`.
    pub locked_until: Option<DateTime<Utc>>,
}

impl UserInfo {
    pub fn is_locked(&self, now: DateTime<Utc>) -> bool {
        self.locked_until.is_some_and(|t| t > now)
    }
}

/// Wrong PINs in a row before the first lock.
pub const FAILURES_BEFORE_LOCK: u32 = 5;
/// The first lock; each further wrong PIN doubles it.
pub const FIRST_LOCK_SECS: i64 = 30;
/// The longest lock.
pub const MAX_LOCK_SECS: i64 = 15 * 60;

/// How long the `failures`-th wrong PIN in a row locks the user (0: not at all).
/// A supervisor or manager who proved an approval with their PIN. Only
/// [`Till::approver`](crate::Till::approver) makes one, so a use case that takes an
/// `Approver` knows the PIN was checked, whoever calls it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Approver {
    user_id: String,
}

impl Approver {
    pub fn user_id(&self) -> &str {
        &self.user_id
    }
}

pub fn lock_secs(failures: u32) -> i64 {
    if failures < FAILURES_BEFORE_LOCK {
        return 0;
    }
    let doublings = (failures - FAILURES_BEFORE_LOCK).min(16);
    FIRST_LOCK_SECS
        .saturating_mul(1_i64 << doublings)
        .min(MAX_LOCK_SECS)
}

fn row_info(row: &UserRow) -> AppResult<UserInfo> {
    Ok(UserInfo {
        user_id: row.user_id.clone(),
        name: row.name.clone(),
        role: Role::parse(&row.role).ok_or_else(|| {
            AppError::new(
                ErrorCode::Storage,
                format!("user {} has an unknown role '{}'", row.user_id, row.role),
            )
        })?,
        active: row.active,
        locked_until: row.locked_until,
    })
}

/// 1 to 40 characters of letters, digits, '.', '_' or '-'.
pub fn check_user_id(id: &str) -> AppResult<()> {
    let ok = (1..=40).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(AppError::invalid(format!(
            "user id '{}' must be 1 to 40 letters, digits, '.', '_' or '-'",
            id.chars().take(60).collect::<String>()
        )))
    }
}

/// A user's display name, trimmed: 1 to 80 characters without control characters.
pub fn check_name(name: &str) -> AppResult<String> {
    let name = name.trim();
    let n = name.chars().count();
    if n == 0 || n > 80 || name.chars().any(char::is_control) {
        return Err(AppError::invalid(
            "a user's name must be 1 to 80 characters, without control characters",
        ));
    }
    Ok(name.to_string())
}

/// 4 to 8 digits, not one digit repeated. The message never repeats the PIN.
pub fn check_pin(pin: &str) -> AppResult<()> {
    if !(4..=8).contains(&pin.len()) || !pin.bytes().all(|b| b.is_ascii_digit()) {
        return Err(AppError::invalid("a PIN must be 4 to 8 digits"));
    }
    if pin.bytes().all(|b| Some(b) == pin.bytes().next()) {
        return Err(AppError::invalid(
            "a PIN must not be the same digit repeated: choose another",
        ));
    }
    Ok(())
}

/// The secret every PIN hash of a till is keyed with (see the module docs). Its `Debug`
/// never shows it.
#[derive(Clone)]
pub struct PinKey([u8; 32]);

impl std::fmt::Debug for PinKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PinKey(***)")
    }
}

/// Where a till keeps its PIN key: `pin.key` beside its database.
pub fn pin_key_path(database: &Path) -> PathBuf {
    database.with_file_name("pin.key")
}

impl PinKey {
    /// The key in `path` (64 hex digits), made with the OS's random source and written
    /// readable by the till's user only when there is none yet. Two processes starting
    /// at once end with the same key: only one of them can create the file.
    pub fn load_or_create(path: &Path) -> AppResult<PinKey> {
        let unreadable = |e: String| {
            AppError::new(
                ErrorCode::Storage,
                format!("the PIN key {} cannot be used: {e}", path.display()),
            )
        };
        for _ in 0..50 {
            match std::fs::read_to_string(path) {
                Ok(text) if text.trim().len() == 64 => {
                    let bytes = hex::decode(text.trim()).map_err(|e| unreadable(e.to_string()))?;
                    let key: [u8; 32] = bytes
                        .try_into()
                        .map_err(|_| unreadable("not 32 bytes".into()))?;
                    return Ok(PinKey(key));
                }
                // Another process is writing it this very moment.
                Ok(_) => std::thread::sleep(std::time::Duration::from_millis(20)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    let mut key = [0u8; 32];
                    argon2::password_hash::rand_core::RngCore::fill_bytes(&mut OsRng, &mut key);
                    let mut opts = std::fs::OpenOptions::new();
                    opts.write(true).create_new(true);
                    #[cfg(unix)]
                    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
                    match opts.open(path) {
                        Ok(mut f) => {
                            f.write_all(format!("{}\n", hex::encode(key)).as_bytes())
                                .and_then(|()| f.sync_all())
                                .map_err(|e| unreadable(e.to_string()))?;
                            tracing::info!(path = %path.display(), "PIN key created");
                            return Ok(PinKey(key));
                        }
                        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                        Err(e) => return Err(unreadable(e.to_string())),
                    }
                }
                Err(e) => return Err(unreadable(e.to_string())),
            }
        }
        Err(unreadable("it stays empty or is not 64 hex digits".into()))
    }
}

/// Marks a PHC string hashed with the till's PIN key.
const KEYED: &str = "k1$";

fn hasher(key: Option<&PinKey>) -> AppResult<Argon2<'_>> {
    let params = Params::new(19_456, 2, 1, None)
        .map_err(|e| AppError::new(ErrorCode::Internal, format!("argon2 parameters: {e}")))?;
    match key {
        Some(k) => Argon2::new_with_secret(&k.0, Algorithm::Argon2id, Version::V0x13, params)
            .map_err(|e| AppError::new(ErrorCode::Internal, format!("argon2 secret: {e}"))),
        None => Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params)),
    }
}

/// The stored form of a PIN: `k1$` and the PHC string (argon2id, random salt, keyed).
fn hash_pin(pin: &str, key: &PinKey) -> AppResult<String> {
    let salt = SaltString::generate(&mut OsRng);
    hasher(Some(key))?
        .hash_password(pin.as_bytes(), &salt)
        .map(|h| format!("{KEYED}{h}"))
        .map_err(|e| AppError::new(ErrorCode::Internal, format!("cannot hash the PIN: {e}")))
}

/// Whether `pin` matches the stored hash (its own parameters and salt; keyed unless it
/// predates the PIN key).
fn pin_matches(pin: &str, stored: &str, key: &PinKey) -> bool {
    let (phc, key) = match stored.strip_prefix(KEYED) {
        Some(phc) => (phc, Some(key)),
        None => (stored, None),
    };
    let Ok(parsed) = PasswordHash::new(phc) else {
        tracing::error!("a stored PIN hash is not a PHC string");
        return false;
    };
    match hasher(key) {
        Ok(h) => h.verify_password(pin.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
}

/// Spends the same hashing work as a real check, for unknown or disabled users.
fn waste_a_check(pin: &str) {
    static DUMMY: OnceLock<Option<(PinKey, String)>> = OnceLock::new();
    let dummy = DUMMY.get_or_init(|| {
        let key = PinKey([7; 32]);
        hash_pin("402915", &key).ok().map(|h| (key, h))
    });
    if let Some((key, phc)) = dummy {
        let _ = pin_matches(pin, phc, key);
    }
}

fn wrong() -> AppError {
    AppError::new(ErrorCode::WrongPin, "wrong user or PIN")
}

fn locked(user_id: &str, until: DateTime<Utc>, now: DateTime<Utc>) -> AppError {
    let ms = (until - now)
        .num_milliseconds()
        .clamp(1, MAX_LOCK_SECS * 1000);
    let secs = (ms + 999) / 1000;
    let wait = if secs >= 60 {
        format!("{} min {} s", secs / 60, secs % 60)
    } else {
        format!("{secs} s")
    };
    AppError::new(
        ErrorCode::Locked,
        format!("too many wrong PINs for {user_id}: try again in {wait}"),
    )
}

fn no_such_user(id: &str) -> AppError {
    AppError::not_found(format!("no user '{id}' on this till"))
}

/// Adds a user who can sign in with `pin`. A taken id is refused (`NotAllowed`).
pub fn add_user(
    store: &mut Store,
    now: DateTime<Utc>,
    user_id: &str,
    name: &str,
    role: Role,
    pin: &str,
    key: &PinKey,
) -> AppResult<UserInfo> {
    let user_id = user_id.trim();
    check_user_id(user_id)?;
    let name = check_name(name)?;
    check_pin(pin)?;
    if store.user_by_id(user_id)?.is_some() {
        return Err(AppError::new(
            ErrorCode::NotAllowed,
            format!("a user with id '{user_id}' already exists on this till"),
        ));
    }
    let pin_hash = hash_pin(pin, key)?;
    store.insert_user(
        &NewUser {
            user_id,
            name: &name,
            role: role.as_str(),
            pin_hash: &pin_hash,
        },
        now,
    )?;
    tracing::info!(user_id, role = role.as_str(), "user added");
    Ok(UserInfo {
        user_id: user_id.to_string(),
        name,
        role,
        active: true,
        locked_until: None,
    })
}

/// Gives a user a new PIN; also lifts a lockout.
pub fn set_pin(
    store: &mut Store,
    now: DateTime<Utc>,
    user_id: &str,
    pin: &str,
    key: &PinKey,
) -> AppResult<()> {
    let user_id = user_id.trim();
    check_pin(pin)?;
    if store.user_by_id(user_id)?.is_none() {
        return Err(no_such_user(user_id));
    }
    let pin_hash = hash_pin(pin, key)?;
    if !store.set_pin_hash(user_id, &pin_hash, now)? {
        return Err(no_such_user(user_id));
    }
    tracing::info!(user_id, "PIN changed");
    Ok(())
}

/// Enables or disables a user. A disabled user cannot sign in or approve.
pub fn set_active(
    store: &mut Store,
    now: DateTime<Utc>,
    user_id: &str,
    active: bool,
) -> AppResult<UserInfo> {
    let user_id = user_id.trim();
    if !store.set_active(user_id, active, now)? {
        return Err(no_such_user(user_id));
    }
    tracing::info!(user_id, active, "user enabled or disabled");
    let row = store
        .user_by_id(user_id)?
        .ok_or_else(|| no_such_user(user_id))?;
    row_info(&row)
}

/// Every user of the till, by id.
pub fn list_users(store: &Store) -> AppResult<Vec<UserInfo>> {
    store.list_users()?.iter().map(row_info).collect()
}

/// Checks a user's PIN (see the module docs for the lockout). The right PIN of an
/// active, unlocked user returns who it is.
pub fn verify_pin(
    store: &mut Store,
    now: DateTime<Utc>,
    user_id: &str,
    pin: &str,
    key: &PinKey,
) -> AppResult<UserInfo> {
    let user_id = user_id.trim();
    let row = match store.user_by_id(user_id)? {
        Some(row) if row.active => row,
        _ => {
            waste_a_check(pin);
            return Err(wrong());
        }
    };
    if let Some(mut until) = row.locked_until.filter(|t| *t > now) {
        // A lock further away than the longest one means the clock was set back: keep
        // the longest lock from now instead of one nobody can wait out.
        let longest = now + Duration::seconds(MAX_LOCK_SECS);
        if until > longest {
            store.record_failure(&row.user_id, row.failed_attempts, Some(longest))?;
            until = longest;
        }
        return Err(locked(&row.user_id, until, now));
    }
    if pin_matches(pin, &row.pin_hash, key) {
        store.record_success(&row.user_id)?;
        if !row.pin_hash.starts_with(KEYED) {
            // Hashed before the till had a PIN key: keyed from now on.
            store.set_pin_hash(&row.user_id, &hash_pin(pin, key)?, now)?;
            tracing::info!(user_id = %row.user_id, "PIN hash rewritten with the PIN key");
        }
        let mut info = row_info(&row)?;
        info.locked_until = None;
        return Ok(info);
    }
    let failures = row.failed_attempts.saturating_add(1);
    let lock = lock_secs(failures);
    let until = (lock > 0).then(|| now + Duration::seconds(lock));
    store.record_failure(&row.user_id, failures, until)?;
    tracing::warn!(user_id = %row.user_id, failures, lock_secs = lock, "wrong PIN");
    match until {
        Some(until) => Err(locked(&row.user_id, until, now)),
        None => Err(wrong()),
    }
}

impl Till {
    /// Adds a user who signs in with `pin`.
    pub fn add_user(
        &mut self,
        user_id: &str,
        name: &str,
        role: Role,
        pin: &str,
    ) -> AppResult<UserInfo> {
        let now = self.now();
        let key = self.pin_key()?;
        add_user(self.store_mut(), now, user_id, name, role, pin, &key)
    }

    /// Gives a user a new PIN (and lifts a lockout).
    pub fn set_user_pin(&mut self, user_id: &str, pin: &str) -> AppResult<()> {
        let now = self.now();
        let key = self.pin_key()?;
        set_pin(self.store_mut(), now, user_id, pin, &key)
    }

    /// Enables or disables a user.
    pub fn set_user_active(&mut self, user_id: &str, active: bool) -> AppResult<UserInfo> {
        let now = self.now();
        set_active(self.store_mut(), now, user_id, active)
    }

    /// Every user of the till, by id.
    pub fn users(&self) -> AppResult<Vec<UserInfo>> {
        list_users(self.store())
    }

    /// Signs a user in with their PIN (wrong PINs count towards the lockout).
    pub fn sign_in(&mut self, user_id: &str, pin: &str) -> AppResult<UserInfo> {
        let now = self.now();
        let key = self.pin_key()?;
        verify_pin(self.store_mut(), now, user_id, pin, &key)
    }

    /// The proof that a supervisor or manager approved with their PIN, for the use cases
    /// that need one (see [`Approver`]).
    pub fn approver(&mut self, user_id: &str, pin: &str) -> AppResult<Approver> {
        self.approve(user_id, pin)
            .map(|u| Approver { user_id: u.user_id })
    }

    /// A supervisor's or manager's PIN approving an action. The PIN is checked first
    /// (and counts towards the lockout like a sign-in); then the role.
    pub fn approve(&mut self, user_id: &str, pin: &str) -> AppResult<UserInfo> {
        let user = self.sign_in(user_id, pin)?;
        if !user.role.can_approve() {
            return Err(AppError::new(
                ErrorCode::NotAllowed,
                format!(
                    "{} is a {} and cannot approve: a supervisor or manager must",
                    user.user_id, user.role
                ),
            ));
        }
        Ok(user)
    }
}
