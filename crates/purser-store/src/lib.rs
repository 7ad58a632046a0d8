//! The till's local record: one SQLite file per till.
//!
//! * WAL journal mode and `synchronous=FULL` on the selling connection: once `Store::act`
//!   returns, the action survives power loss.
//! * One business action = one `Store::act` call = one SQLite transaction holding the
//!   business rows, the hash-chained journal entry, the outbox row and the till's next
//!   `till_seq` (see `action`).
//! * The relay opens its own connection (`Store::open_for_relay`) with
//!   `synchronous=NORMAL`: losing a "published" mark in a power cut only means the event is
//!   sent again, which consumers deduplicate; it keeps the relay's commits off the sale path.
//!   The relay's connection also runs the WAL checkpoints, so a sale never waits for one.

mod action;
mod browse;
mod catalog;
mod error;
mod inbound;
mod journal;
mod loyalty;
pub mod migrations;
mod outbox;
mod queries;
pub mod report;
mod tabs;
mod time;
mod users;

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, OptionalExtension};

pub use action::Action;
pub use error::{Result, StoreError};
pub use inbound::{Applied, Consumed, Quarantined, StockLevel, StreamState};
pub use journal::{JournalProblem, JournalReport};
pub use loyalty::{LedgerEntry, LedgerKind, MemberRow, SaleLoyalty};
pub use outbox::{Ack, BlockedEvent, OutboxRow, OutboxStatus, BLOCKED_AFTER_ATTEMPTS};
pub use queries::{ShiftRow, StoredSale};
pub use report::{
    EventFilter, ReportApplied, ReportItem, ReportRecord, ReportState, ReportStore, TillSeen,
};
pub use tabs::TabRow;
pub use time::{format_ts, parse_ts};
pub use users::{NewUser, UserRow};

use purser_core::tax::TaxMode;
use purser_core::Currency;

/// Identity of the till this database belongs to. Fixed at `init`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TillIdentity {
    pub store_id: String,
    pub till_id: String,
    pub currency: Currency,
    pub tax_mode: TaxMode,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Durability {
    /// fsync the WAL on every commit: for recording business actions.
    Full,
    /// fsync at checkpoints only: for bookkeeping that is safe to redo (relay marks).
    Normal,
}

pub struct Store {
    conn: Connection,
    path: PathBuf,
    /// The till's identity never changes once set: read once, then kept.
    identity: std::cell::OnceCell<TillIdentity>,
    /// The largest event (key, payload and headers) `Action::emit` records: one the store's
    /// cluster could never accept would block every later event in the outbox.
    max_event_bytes: usize,
}

/// The default for [`Store::set_max_event_bytes`]: librdkafka's own `message.max.bytes`.
pub const DEFAULT_MAX_EVENT_BYTES: usize = 1_000_000;

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

impl Store {
    /// Opens (creating if needed) the till database for recording, running migrations.
    pub fn open(path: &Path) -> Result<Store> {
        Store::open_with(path, Durability::Full)
    }

    /// Opens a second connection for the relay (see the crate docs).
    pub fn open_for_relay(path: &Path) -> Result<Store> {
        Store::open_with(path, Durability::Normal)
    }

    pub fn open_with(path: &Path, durability: Durability) -> Result<Store> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            // A folder made here is the till user's alone (sales, PIN hashes, journal).
            let mut b = std::fs::DirBuilder::new();
            b.recursive(true);
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
            b.create(dir).map_err(|e| StoreError::Open {
                path: path.to_path_buf(),
                source: rusqlite::Error::InvalidPath(PathBuf::from(format!(
                    "{}: {e}",
                    dir.display()
                ))),
            })?;
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let mut conn =
            Connection::open_with_flags(path, flags).map_err(|source| StoreError::Open {
                path: path.to_path_buf(),
                source,
            })?;
        conn.busy_timeout(Duration::from_secs(10))?;
        // The database and its WAL and shared-memory files are readable by the till's user
        // only (SQLite gives new -wal/-shm files the database file's permissions).
        private_file_modes(path);
        let mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Conflict(format!(
                "could not switch {} to WAL (got {mode})",
                path.display()
            )));
        }
        conn.pragma_update(
            None,
            "synchronous",
            match durability {
                Durability::Full => "FULL",
                Durability::Normal => "NORMAL",
            },
        )?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        if durability == Durability::Full {
            // Checkpoints are the relay's job (`Store::checkpoint`, on its own thread), so
            // a sale's commit never pays for one; this is only a backstop for a till that
            // runs without a relay for a long time.
            conn.pragma_update(None, "wal_autocheckpoint", 16_384)?;
        }
        conn.set_prepared_statement_cache_capacity(64);
        migrations::migrate(&mut conn, path)?;
        Ok(Store {
            conn,
            path: path.to_path_buf(),
            identity: std::cell::OnceCell::new(),
            max_event_bytes: DEFAULT_MAX_EVENT_BYTES,
        })
    }

    /// How long a statement waits for another connection's write lock before it fails
    /// with [`StoreError::Busy`] (10 s unless set).
    pub fn set_busy_timeout(&self, timeout: Duration) -> Result<()> {
        Ok(self.conn.busy_timeout(timeout)?)
    }

    /// The largest event this till records (the cluster's `message.max.bytes`); a larger
    /// one is refused by `Action::emit` with [`StoreError::EventTooLarge`].
    pub fn set_max_event_bytes(&mut self, bytes: usize) {
        self.max_event_bytes = bytes;
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Schema version of the open database.
    pub fn schema_version(&self) -> Result<i64> {
        Ok(self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))?)
    }

    /// Sets the till's identity once. Re-running with the same identity is a no-op;
    /// a different one is refused.
    pub fn init_till(
        &mut self,
        id: &TillIdentity,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<()> {
        if let Some(existing) = self.identity()? {
            if existing.store_id != id.store_id || existing.till_id != id.till_id {
                return Err(StoreError::OtherTill {
                    store_id: existing.store_id,
                    till_id: existing.till_id,
                    want_store: id.store_id.clone(),
                    want_till: id.till_id.clone(),
                });
            }
            if existing.currency != id.currency || existing.tax_mode != id.tax_mode {
                return Err(StoreError::Conflict(format!(
                    "this till already records in {} ({}); currency and tax mode cannot change on a till with sales",
                    existing.currency.code,
                    existing.tax_mode.as_str()
                )));
            }
            return Ok(());
        }
        self.conn.execute(
            "INSERT INTO till (id, store_id, till_id, currency, currency_exponent, tax_mode, created_at)
             VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6)",
            rusqlite::params![
                id.store_id,
                id.till_id,
                id.currency.code,
                id.currency.exponent,
                id.tax_mode.as_str(),
                format_ts(now)
            ],
        )?;
        Ok(())
    }

    pub fn identity(&self) -> Result<Option<TillIdentity>> {
        if let Some(id) = self.identity.get() {
            return Ok(Some(id.clone()));
        }
        let row = self
            .conn
            .query_row(
                "SELECT store_id, till_id, currency, currency_exponent, tax_mode FROM till WHERE id = 1",
                [],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, u8>(3)?,
                        r.get::<_, String>(4)?,
                    ))
                },
            )
            .optional()?;
        match row {
            None => Ok(None),
            Some((store_id, till_id, code, exponent, mode)) => {
                let id = TillIdentity {
                    store_id,
                    till_id,
                    currency: Currency { code, exponent },
                    tax_mode: TaxMode::parse(&mode)
                        .ok_or_else(|| StoreError::Corrupt(format!("unknown tax mode '{mode}'")))?,
                };
                Ok(Some(self.identity.get_or_init(|| id).clone()))
            }
        }
    }

    pub fn require_identity(&self) -> Result<TillIdentity> {
        self.identity()?.ok_or(StoreError::NotInitialised)
    }

    /// Caps the database at `pages` pages (`PRAGMA max_page_count`) on this connection:
    /// writes beyond it fail as on a full disk. Lets an installer bound a till's disk use;
    /// tests use it to drive the full-disk path.
    pub fn set_page_limit(&self, pages: u64) -> Result<()> {
        self.conn.pragma_update(None, "max_page_count", pages)?;
        Ok(())
    }

    pub fn page_count(&self) -> Result<u64> {
        Ok(self.conn.query_row("PRAGMA page_count", [], |r| r.get(0))?)
    }

    /// Copies committed WAL frames into the database file without blocking the seller
    /// (a PASSIVE checkpoint). The relay calls it about once a second.
    pub fn checkpoint(&self) -> Result<()> {
        self.conn
            .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))?;
        Ok(())
    }

    /// SQLite's own integrity check ("ok" when healthy).
    pub fn integrity_check(&self) -> Result<String> {
        Ok(self
            .conn
            .query_row("PRAGMA quick_check", [], |r| r.get(0))?)
    }
}

/// Makes a database file and its `-wal`/`-shm` companions (those that exist) mode 0600.
pub fn private_file_modes(db: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mut names = vec![db.to_path_buf()];
        for suffix in ["-wal", "-shm"] {
            let mut n = db.as_os_str().to_owned();
            n.push(suffix);
            names.push(PathBuf::from(n));
        }
        for p in names.iter().filter(|p| p.exists()) {
            if let Err(e) = std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o600)) {
                tracing::warn!("cannot make {} private: {e}", p.display());
            }
        }
    }
    #[cfg(not(unix))]
    let _ = db;
}
