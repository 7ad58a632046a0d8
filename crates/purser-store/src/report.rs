//! The manager's reporting store: every till's events of the store, as read from the
//! store's cluster, in a SQLite file of its own (`report.db`, beside the till database).
//!
//! * One row per `event_id`: a duplicated delivery is ignored (and counted), a second copy
//!   with different content is quarantined as a conflict.
//! * The consumed offsets are written in the same transaction as the events they brought
//!   (exactly-once application, no consumer-group commits), as the inbound streams do.
//! * A record the consumer could not read is quarantined with its reason.
//!
//! Reports are not stored: they are folded from the events on demand
//! (`purser_core::report`), so a figure can never disagree with the events it came from.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{params, Connection, OpenFlags, OptionalExtension};

use purser_core::events::{Event, EventBody, TillHeartbeat};
use purser_core::reconciliation::ReconciliationRecord;
use purser_core::report::{parse_event, DateRange};

use crate::error::{Result, StoreError};
use crate::time::{format_ts, parse_ts};

const MIGRATIONS: &[&str] = &[
    r#"
    CREATE TABLE events (
        event_id      TEXT PRIMARY KEY,
        event_type    TEXT NOT NULL,
        till_id       TEXT NOT NULL,
        till_seq      INTEGER NOT NULL,
        business_date TEXT NOT NULL,
        occurred_at   TEXT NOT NULL,
        shift_id      TEXT,
        cashier_id    TEXT,
        topic         TEXT NOT NULL,
        partition     INTEGER NOT NULL,
        "offset"      INTEGER NOT NULL,
        received_at   TEXT NOT NULL,
        payload       TEXT NOT NULL
    );
    CREATE INDEX events_date ON events(business_date, till_id);
    CREATE INDEX events_shift ON events(shift_id);
    CREATE INDEX events_till_seq ON events(till_id, till_seq);
    CREATE INDEX events_type_till ON events(event_type, till_id, till_seq);
    CREATE TABLE offsets (
        topic       TEXT NOT NULL,
        partition   INTEGER NOT NULL,
        next_offset INTEGER NOT NULL,
        PRIMARY KEY (topic, partition)
    );
    CREATE TABLE quarantine (
        id          INTEGER PRIMARY KEY,
        topic       TEXT NOT NULL,
        partition   INTEGER NOT NULL,
        "offset"    INTEGER NOT NULL,
        key         TEXT,
        reason      TEXT NOT NULL,
        excerpt     TEXT,
        received_at TEXT NOT NULL,
        UNIQUE (topic, partition, "offset")
    );
    CREATE TABLE consumer_state (
        id              INTEGER PRIMARY KEY CHECK (id = 1),
        applied         INTEGER NOT NULL DEFAULT 0,
        duplicates      INTEGER NOT NULL DEFAULT 0,
        skipped         INTEGER NOT NULL DEFAULT 0,
        last_applied_at TEXT
    );
    INSERT INTO consumer_state (id) VALUES (1);
"#,
    r#"
    -- pos.reconciliation.v1 for this store: what headquarters has confirmed per till and day.
    CREATE TABLE hq_days (
        till_id       TEXT NOT NULL,
        business_date TEXT NOT NULL,
        state         TEXT NOT NULL,
        record        TEXT NOT NULL,
        updated_at    TEXT NOT NULL,
        received_at   TEXT NOT NULL,
        PRIMARY KEY (till_id, business_date)
    );
"#,
    r#"
    -- Open tabs: a tab's events found by its id (`open_tab_events`).
    CREATE INDEX events_tab ON events(json_extract(payload, '$.tab_id'), event_type)
        WHERE event_type IN ('tab.opened', 'tab.updated', 'tab.closed');
"#,
    r#"
    -- Tabs moving between tills: every tab event by its tab's id (a query uses a partial
    -- index only when it repeats the index's WHERE term, hence `TAB_EVENTS` in the
    -- queries), the requests by the till asked and the hand-overs by the till receiving.
    DROP INDEX events_tab;
    CREATE INDEX events_tab ON events(json_extract(payload, '$.tab_id'), event_type)
        WHERE event_type IN ('tab.opened', 'tab.updated', 'tab.closed', 'tab.move_requested', 'tab.moved');
    CREATE INDEX events_tab_requests ON events(json_extract(payload, '$.from_till'))
        WHERE event_type = 'tab.move_requested';
    CREATE INDEX events_tab_moves ON events(json_extract(payload, '$.to_till'))
        WHERE event_type = 'tab.moved';
"#,
];

/// The WHERE term of the `events_tab` index, repeated by the queries that probe it.
const TAB_EVENTS: &str =
    "event_type IN ('tab.opened', 'tab.updated', 'tab.closed', 'tab.move_requested', 'tab.moved')";

/// One record of a till topic and what the decoder made of it.
#[derive(Clone, Debug)]
pub struct ReportRecord {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    pub key: Option<String>,
    pub outcome: std::result::Result<ReportItem, String>,
    /// The first bytes of a quarantined value.
    pub excerpt: Option<String>,
}

#[derive(Clone, Debug)]
pub enum ReportItem {
    /// A decoded event and its value as it arrived.
    Event { event: Box<Event>, raw: String },
    /// Another store's event: the offset moves on, nothing is stored.
    Skip,
    /// Headquarters' status of one of this store's till days (`pos.reconciliation.v1`).
    HqDay(Box<ReconciliationRecord>),
    /// A tombstone on `pos.reconciliation.v1` (key `<store>/<till>/<date>`).
    HqDayRemoved {
        till_id: String,
        business_date: NaiveDate,
    },
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReportApplied {
    pub applied: u64,
    pub duplicates: u64,
    pub quarantined: u64,
    pub skipped: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct ReportState {
    pub events: u64,
    pub duplicates: u64,
    pub skipped: u64,
    pub quarantined: u64,
    pub last_applied_at: Option<DateTime<Utc>>,
}

/// What a till last said about itself, and what has arrived from it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct TillSeen {
    pub till_id: String,
    pub events: u64,
    pub highest_seq: u64,
    /// When its latest event (by `till_seq`) happened at the till.
    pub last_event_at: DateTime<Utc>,
    pub last_received_at: DateTime<Utc>,
    /// The latest heartbeat (by `till_seq`): when it was written, and its figures.
    pub heartbeat_at: Option<DateTime<Utc>>,
    pub heartbeat: Option<TillHeartbeat>,
    /// (first, last) missing `till_seq`.
    pub gaps: Vec<(u64, u64)>,
}

/// Which events a report reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventFilter {
    pub dates: DateRange,
    pub till: Option<String>,
    pub cashier: Option<String>,
}

pub struct ReportStore {
    conn: Connection,
    path: PathBuf,
}

impl std::fmt::Debug for ReportStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReportStore")
            .field("path", &self.path)
            .finish()
    }
}

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

impl ReportStore {
    /// Opens (creating if needed) the reporting store. WAL with `synchronous=NORMAL`: what
    /// a power cut loses is read again from the cluster (the offsets go with the rows).
    pub fn open(path: &Path) -> Result<ReportStore> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| StoreError::Open {
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
        crate::private_file_modes(path);
        conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get::<_, String>(0))?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.set_prepared_statement_cache_capacity(32);
        // The window's consumer thread and its readers open the file at the same time:
        // the version is read inside the migration's write transaction, so only one of
        // them migrates.
        let supported = i64::try_from(MIGRATIONS.len()).unwrap_or(i64::MAX);
        loop {
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let current: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
            if current > supported {
                return Err(StoreError::NewerSchema {
                    path: path.to_path_buf(),
                    found: current,
                    supported,
                });
            }
            let Some(sql) = MIGRATIONS.get(usize::try_from(current).unwrap_or(usize::MAX)) else {
                break;
            };
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", current + 1)?;
            tx.commit()?;
        }
        Ok(ReportStore {
            conn,
            path: path.to_path_buf(),
        })
    }

    /// Headquarters' statuses of this store's till days, newest days first.
    pub fn hq_days(&self, limit: usize) -> Result<Vec<ReconciliationRecord>> {
        let mut st = self.conn.prepare_cached(
            "SELECT record FROM hq_days ORDER BY business_date DESC, till_id LIMIT ?1",
        )?;
        let rows = st.query_map(params![i64::try_from(limit).unwrap_or(i64::MAX)], |r| {
            r.get::<_, String>(0)
        })?;
        let mut out = Vec::new();
        for raw in rows {
            if let Ok(rec) = serde_json::from_str(&raw?) {
                out.push(rec);
            }
        }
        Ok(out)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Applies consumed records and their offsets in one transaction.
    pub fn apply(&mut self, records: &[ReportRecord], now: DateTime<Utc>) -> Result<ReportApplied> {
        let mut st = ReportApplied::default();
        if records.is_empty() {
            return Ok(st);
        }
        let at = format_ts(now);
        let tx = self.conn.transaction()?;
        {
            let mut insert = tx.prepare_cached(
                "INSERT OR IGNORE INTO events (event_id, event_type, till_id, till_seq, business_date, occurred_at, shift_id, cashier_id, topic, partition, \"offset\", received_at, payload)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
            )?;
            let mut existing =
                tx.prepare_cached("SELECT payload FROM events WHERE event_id = ?1")?;
            let mut quarantine = tx.prepare_cached(
                "INSERT OR IGNORE INTO quarantine (topic, partition, \"offset\", key, reason, excerpt, received_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?;
            let mut offsets = tx.prepare_cached(
                "INSERT INTO offsets (topic, partition, next_offset) VALUES (?1, ?2, ?3)
                 ON CONFLICT(topic, partition) DO UPDATE SET next_offset = max(next_offset, excluded.next_offset)",
            )?;
            for r in records {
                match &r.outcome {
                    Ok(ReportItem::Event { event, raw }) => {
                        let h = &event.header;
                        let n = insert.execute(params![
                            h.event_id.to_string(),
                            h.event_type,
                            h.till_id,
                            i64::try_from(h.till_seq).unwrap_or(i64::MAX),
                            h.business_date.to_string(),
                            format_ts(h.occurred_at),
                            h.shift_id.map(|s| s.to_string()),
                            h.cashier_id,
                            r.topic,
                            r.partition,
                            r.offset,
                            at,
                            raw
                        ])?;
                        if n == 1 {
                            st.applied += 1;
                        } else {
                            let before: String = existing
                                .query_row(params![h.event_id.to_string()], |row| row.get(0))?;
                            let same =
                                before == *raw || parse_event(&before).is_ok_and(|b| b == **event);
                            if same {
                                st.duplicates += 1;
                            } else {
                                quarantine.execute(params![
                                    r.topic,
                                    r.partition,
                                    r.offset,
                                    r.key,
                                    format!(
                                        "conflicting duplicate: event {} arrived before with different content",
                                        h.event_id
                                    ),
                                    raw.chars().take(512).collect::<String>(),
                                    at
                                ])?;
                                st.quarantined += 1;
                            }
                        }
                    }
                    Ok(ReportItem::Skip) => st.skipped += 1,
                    Ok(ReportItem::HqDay(rec)) => {
                        let d = &rec.day;
                        // Compacted and replayed: an older status never replaces a newer.
                        tx.prepare_cached(
                            "INSERT INTO hq_days (till_id, business_date, state, record, updated_at, received_at)
                             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                             ON CONFLICT (till_id, business_date) DO UPDATE SET state = excluded.state,
                                 record = excluded.record, updated_at = excluded.updated_at,
                                 received_at = excluded.received_at
                             WHERE excluded.updated_at >= hq_days.updated_at",
                        )?
                        .execute(params![
                            d.till_id,
                            d.business_date.to_string(),
                            d.state.as_str(),
                            serde_json::to_string(&**rec).unwrap_or_default(),
                            format_ts(rec.updated_at),
                            at
                        ])?;
                    }
                    Ok(ReportItem::HqDayRemoved {
                        till_id,
                        business_date,
                    }) => {
                        tx.prepare_cached(
                            "DELETE FROM hq_days WHERE till_id = ?1 AND business_date = ?2",
                        )?
                        .execute(params![till_id, business_date.to_string()])?;
                    }
                    Err(reason) => {
                        quarantine.execute(params![
                            r.topic,
                            r.partition,
                            r.offset,
                            r.key,
                            reason,
                            r.excerpt,
                            at
                        ])?;
                        st.quarantined += 1;
                        tracing::warn!(
                            topic = r.topic,
                            partition = r.partition,
                            offset = r.offset,
                            "report consumer quarantined a record: {reason}"
                        );
                    }
                }
                offsets.execute(params![r.topic, r.partition, r.offset + 1])?;
            }
        }
        tx.execute(
            "UPDATE consumer_state SET applied = applied + ?1, duplicates = duplicates + ?2, skipped = skipped + ?3, last_applied_at = ?4 WHERE id = 1",
            params![st.applied, st.duplicates, st.skipped, at],
        )?;
        tx.commit()?;
        Ok(st)
    }

    /// (partition, next offset) stored for a topic.
    pub fn offsets(&self, topic: &str) -> Result<Vec<(i32, i64)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT partition, next_offset FROM offsets WHERE topic = ?1 ORDER BY partition",
        )?;
        let rows = stmt.query_map(params![topic], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    pub fn state(&self) -> Result<ReportState> {
        let (events, duplicates, skipped, last): (u64, u64, u64, Option<String>) =
            self.conn.query_row(
                "SELECT (SELECT count(*) FROM events), duplicates, skipped, last_applied_at FROM consumer_state WHERE id = 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )?;
        let quarantined: u64 = self
            .conn
            .query_row("SELECT count(*) FROM quarantine", [], |r| r.get(0))?;
        Ok(ReportState {
            events,
            duplicates,
            skipped,
            quarantined,
            last_applied_at: last.as_deref().map(parse_ts).transpose()?,
        })
    }

    fn parse_rows(&self, sql: &str, args: &[&dyn rusqlite::ToSql]) -> Result<Vec<Event>> {
        let mut stmt = self.conn.prepare_cached(sql)?;
        let rows = stmt.query_map(args, |r| r.get::<_, String>(0))?;
        let mut out = Vec::new();
        for raw in rows {
            out.push(parse_event(&raw?).map_err(corrupt)?);
        }
        Ok(out)
    }

    /// The `tab.*` events of the tabs whose closing has not arrived (any date): what
    /// `purser_core::report::open_tabs` folds into the store's open tabs.
    pub fn open_tab_events(&self) -> Result<Vec<Event>> {
        self.parse_rows(
            &format!(
                "SELECT payload FROM events e
                 WHERE event_type IN ('tab.opened', 'tab.updated', 'tab.move_requested', 'tab.moved')
                   AND NOT EXISTS (SELECT 1 FROM events c
                       WHERE c.{TAB_EVENTS} AND c.event_type = 'tab.closed'
                         AND json_extract(c.payload, '$.tab_id') = json_extract(e.payload, '$.tab_id'))
                 ORDER BY till_id, till_seq"
            ),
            &[],
        )
    }

    /// The `tab.move_requested` events that ask `holder` for a tab and that `holder` has not
    /// answered (no `tab.moved` of it from `holder` at a later version, no `tab.closed`),
    /// oldest first. Whether `holder` still holds the tab is its own database's to say.
    pub fn tab_requests_to(&self, holder: &str) -> Result<Vec<Event>> {
        self.parse_rows(
            &format!(
                "SELECT payload FROM events r
                 WHERE r.event_type = 'tab.move_requested'
                   AND json_extract(r.payload, '$.from_till') = ?1
                   AND NOT EXISTS (SELECT 1 FROM events c
                       WHERE c.{TAB_EVENTS} AND c.event_type = 'tab.closed'
                         AND json_extract(c.payload, '$.tab_id') = json_extract(r.payload, '$.tab_id'))
                   AND NOT EXISTS (SELECT 1 FROM events m
                       WHERE m.{TAB_EVENTS} AND m.event_type = 'tab.moved'
                         AND json_extract(m.payload, '$.tab_id') = json_extract(r.payload, '$.tab_id')
                         AND m.till_id = ?1
                         AND json_extract(m.payload, '$.version') > json_extract(r.payload, '$.version'))
                 ORDER BY r.occurred_at, r.till_id, r.till_seq"
            ),
            &[&holder],
        )
    }

    /// The `tab.moved` events that hand a tab over to `till` and that no later event of
    /// the tab follows yet (no `tab.opened` of it at `till`, no `tab.closed`), oldest
    /// first. Whether `till` took it over already is its own database's to say.
    pub fn tab_moves_to(&self, till: &str) -> Result<Vec<Event>> {
        self.parse_rows(
            &format!(
                "SELECT payload FROM events m
                 WHERE m.event_type = 'tab.moved'
                   AND json_extract(m.payload, '$.to_till') = ?1
                   AND NOT EXISTS (SELECT 1 FROM events n
                       WHERE n.{TAB_EVENTS}
                         AND n.event_type IN ('tab.opened', 'tab.updated', 'tab.closed', 'tab.moved')
                         AND json_extract(n.payload, '$.tab_id') = json_extract(m.payload, '$.tab_id')
                         AND json_extract(n.payload, '$.version') > json_extract(m.payload, '$.version'))
                 ORDER BY m.occurred_at, m.till_id, m.till_seq"
            ),
            &[&till],
        )
    }

    /// The events of a date range, for a till and a cashier if given (heartbeats left out).
    pub fn events(&self, f: &EventFilter) -> Result<Vec<Event>> {
        self.parse_rows(
            "SELECT payload FROM events
             WHERE business_date BETWEEN ?1 AND ?2 AND event_type <> 'till.heartbeat'
               AND (?3 IS NULL OR till_id = ?3) AND (?4 IS NULL OR cashier_id = ?4)
             ORDER BY till_id, till_seq",
            &[
                &f.dates.from.to_string(),
                &f.dates.to.to_string(),
                &f.till,
                &f.cashier,
            ],
        )
    }

    /// Every event of the shifts that have an event in the date range (for a till if
    /// given): a shift's report needs all of it, whatever the date of each event.
    pub fn shift_events(&self, dates: DateRange, till: Option<&str>) -> Result<Vec<Event>> {
        self.parse_rows(
            "SELECT payload FROM events WHERE shift_id IN (
                 SELECT DISTINCT shift_id FROM events
                 WHERE business_date BETWEEN ?1 AND ?2 AND shift_id IS NOT NULL
                   AND (?3 IS NULL OR till_id = ?3))
               AND event_type <> 'till.heartbeat'
             ORDER BY till_id, till_seq",
            &[&dates.from.to_string(), &dates.to.to_string(), &till],
        )
    }

    /// Every till the store has heard from, with its latest heartbeat and its gaps.
    pub fn tills(&self) -> Result<Vec<TillSeen>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT till_id, count(*), max(till_seq), max(received_at) FROM events GROUP BY till_id ORDER BY till_id",
        )?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, u64>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, String>(3)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let mut out = Vec::new();
        for (till_id, events, highest, received) in rows {
            let last_event_at: String = self.conn.query_row(
                "SELECT occurred_at FROM events WHERE till_id = ?1 ORDER BY till_seq DESC LIMIT 1",
                params![till_id],
                |r| r.get(0),
            )?;
            let hb: Option<String> = self
                .conn
                .query_row(
                    "SELECT payload FROM events WHERE event_type = 'till.heartbeat' AND till_id = ?1 ORDER BY till_seq DESC LIMIT 1",
                    params![till_id],
                    |r| r.get(0),
                )
                .optional()?;
            let (heartbeat_at, heartbeat) = match hb {
                Some(raw) => {
                    let e = parse_event(&raw).map_err(corrupt)?;
                    match e.body {
                        EventBody::TillHeartbeat(b) => (Some(e.header.occurred_at), Some(b)),
                        _ => (None, None),
                    }
                }
                None => (None, None),
            };
            out.push(TillSeen {
                events,
                highest_seq: u64::try_from(highest).unwrap_or(0),
                last_event_at: parse_ts(&last_event_at)?,
                last_received_at: parse_ts(&received)?,
                heartbeat_at,
                heartbeat,
                gaps: self.gaps(&till_id)?,
                till_id,
            });
        }
        Ok(out)
    }

    /// Missing `till_seq` ranges of one till: each received number whose predecessor has
    /// not arrived (an index walk, not a load of every number).
    pub fn gaps(&self, till_id: &str) -> Result<Vec<(u64, u64)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT prev, till_seq FROM (
                 SELECT till_seq, lag(till_seq, 1, 0) OVER (ORDER BY till_seq) AS prev
                 FROM events WHERE till_id = ?1)
             WHERE till_seq > prev + 1 ORDER BY till_seq",
        )?;
        let rows = stmt.query_map(params![till_id], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (prev, seq) = row?;
            out.push((
                u64::try_from(prev + 1).unwrap_or(0),
                u64::try_from(seq - 1).unwrap_or(0),
            ));
        }
        Ok(out)
    }

    /// Distinct tills and cashiers seen, for the filters.
    pub fn tills_and_cashiers(&self) -> Result<(Vec<String>, Vec<String>)> {
        let list = |sql: &str| -> Result<Vec<String>> {
            let mut stmt = self.conn.prepare_cached(sql)?;
            let rows = stmt.query_map([], |r| r.get(0))?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        };
        Ok((
            list("SELECT DISTINCT till_id FROM events ORDER BY till_id")?,
            list("SELECT DISTINCT cashier_id FROM events WHERE cashier_id IS NOT NULL ORDER BY cashier_id")?,
        ))
    }

    /// The latest business date with an event, if any.
    pub fn latest_business_date(&self) -> Result<Option<NaiveDate>> {
        let d: Option<String> =
            self.conn
                .query_row("SELECT max(business_date) FROM events", [], |r| r.get(0))?;
        d.map(|s| s.parse().map_err(corrupt)).transpose()
    }

    /// Records the consumer could not read, newest first.
    pub fn quarantined(&self, limit: usize) -> Result<Vec<crate::Quarantined>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT topic, partition, \"offset\", key, reason, excerpt, received_at FROM quarantine ORDER BY id DESC LIMIT ?1",
        )?;
        let rows = stmt
            .query_map(params![i64::try_from(limit).unwrap_or(100)], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i32>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, Option<String>>(5)?,
                    r.get::<_, String>(6)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        rows.into_iter()
            .map(|(topic, partition, offset, key, reason, excerpt, at)| {
                Ok(crate::Quarantined {
                    topic,
                    partition,
                    offset,
                    key,
                    reason,
                    excerpt,
                    received_at: parse_ts(&at)?,
                })
            })
            .collect()
    }

    /// Whether an event has arrived (for tests and the latency bench).
    pub fn has_event(&self, event_id: &uuid::Uuid) -> Result<bool> {
        Ok(self
            .conn
            .prepare_cached("SELECT 1 FROM events WHERE event_id = ?1")?
            .query_row(params![event_id.to_string()], |_| Ok(()))
            .optional()?
            .is_some())
    }
}
