//! The transactional outbox, as the relay sees it.
//!
//! Outbox rows are written once, with the business action (`Action::emit`), and never
//! rewritten on success: an acknowledgement is a narrow row appended to `outbox_acks`, and
//! `till.outbox_acked_through` is the low-water mark below which every row is
//! acknowledged. So marking is cheap, and the pending rows are found from that mark on,
//! however long the till's history. The view `outbox_rows` shows the outbox with its
//! `published_at` (null until acknowledged), as the design brief describes it.

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension};

use crate::error::Result;
use crate::time::{format_ts, parse_ts};
use crate::Store;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutboxRow {
    pub till_seq: u64,
    pub event_id: String,
    pub topic: String,
    pub key: String,
    pub event_type: String,
    pub payload: String,
    pub headers: Vec<(String, String)>,
    pub created_at: DateTime<Utc>,
    /// Failed delivery attempts so far.
    pub attempts: u32,
}

/// A delivery report that said the broker persisted the row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ack {
    pub till_seq: u64,
    pub partition: i32,
    pub offset: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct OutboxStatus {
    /// Rows not yet acknowledged by the broker.
    pub pending: u64,
    pub oldest_pending_at: Option<DateTime<Utc>>,
    pub first_pending_seq: Option<u64>,
    pub last_published_at: Option<DateTime<Utc>>,
    pub last_published_seq: Option<u64>,
    /// The relay's last delivery error, while rows are pending.
    pub last_error: Option<String>,
    /// Every row the till ever wrote (= the last till_seq).
    pub total_written: u64,
    /// The first waiting event, once the cluster has refused it
    /// [`BLOCKED_AFTER_ATTEMPTS`] times: every later event waits behind it.
    pub blocked: Option<BlockedEvent>,
}

/// Failed deliveries after which the first waiting event is reported as blocking.
pub const BLOCKED_AFTER_ATTEMPTS: u32 = 3;

/// An event the cluster keeps refusing, and why (its last delivery error).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct BlockedEvent {
    pub till_seq: u64,
    pub event_id: String,
    pub event_type: String,
    pub topic: String,
    pub attempts: u32,
    pub error: String,
}

impl std::fmt::Display for BlockedEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "event {} ({}, till_seq {}) for {} was refused {} times: {}; the events after it wait behind it",
            self.event_id, self.event_type, self.till_seq, self.topic, self.attempts, self.error
        )
    }
}

const PENDING: &str = "SELECT o.till_seq, o.event_id, o.topic, o.key, o.event_type, o.payload, o.headers, o.created_at, o.attempts
     FROM outbox o
     WHERE o.till_seq > max(?1, (SELECT outbox_acked_through FROM till WHERE id = 1))
       AND NOT EXISTS (SELECT 1 FROM outbox_acks a WHERE a.till_seq = o.till_seq)
     ORDER BY o.till_seq LIMIT ?2";

impl Store {
    /// Unacknowledged rows after `after_seq`, in `till_seq` order.
    pub fn outbox_pending(&self, after_seq: u64, limit: usize) -> Result<Vec<OutboxRow>> {
        let mut stmt = self.conn.prepare_cached(PENDING)?;
        let rows = stmt.query_map(
            params![after_seq, i64::try_from(limit).unwrap_or(i64::MAX)],
            |r| {
                Ok((
                    r.get::<_, u64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, String>(6)?,
                    r.get::<_, String>(7)?,
                    r.get::<_, u32>(8)?,
                ))
            },
        )?;
        let mut out = Vec::new();
        for row in rows {
            let (
                till_seq,
                event_id,
                topic,
                key,
                event_type,
                payload,
                headers,
                created_at,
                attempts,
            ) = row?;
            out.push(OutboxRow {
                till_seq,
                event_id,
                topic,
                key,
                event_type,
                payload,
                headers: serde_json::from_str(&headers)?,
                created_at: parse_ts(&created_at)?,
                attempts,
            });
        }
        Ok(out)
    }

    /// Records acknowledgements and moves the low-water mark, in one transaction.
    pub fn mark_published(&mut self, acks: &[Ack], at: DateTime<Utc>) -> Result<()> {
        if acks.is_empty() {
            return Ok(());
        }
        let at = format_ts(at);
        let tx = self.conn.transaction()?;
        {
            let mut insert = tx.prepare_cached(
                "INSERT OR IGNORE INTO outbox_acks (till_seq, published_at, partition, \"offset\") VALUES (?1, ?2, ?3, ?4)",
            )?;
            for a in acks {
                insert.execute(params![a.till_seq, at, a.partition, a.offset])?;
            }
            let mut seqs: Vec<u64> = acks.iter().map(|a| a.till_seq).collect();
            seqs.sort_unstable();
            let mut mark: u64 = tx.query_row(
                "SELECT outbox_acked_through FROM till WHERE id = 1",
                [],
                |r| r.get(0),
            )?;
            let mut acked_earlier =
                tx.prepare_cached("SELECT 1 FROM outbox_acks WHERE till_seq = ?1")?;
            let mut i = 0;
            loop {
                while i < seqs.len() && seqs[i] <= mark {
                    i += 1;
                }
                if i < seqs.len() && seqs[i] == mark + 1 {
                    mark += 1;
                } else if acked_earlier.exists(params![mark + 1])? {
                    // Acknowledged in an earlier batch, beyond a gap that is now filled.
                    mark += 1;
                } else {
                    break;
                }
            }
            tx.prepare_cached(
                "UPDATE till SET outbox_acked_through = ?1, outbox_last_error = NULL WHERE id = 1",
            )?
            .execute(params![mark])?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Records failed delivery attempts; the rows stay pending and are sent again.
    pub fn mark_failed(&mut self, failures: &[(u64, String)]) -> Result<()> {
        let Some((_, last)) = failures.last() else {
            return Ok(());
        };
        let tx = self.conn.transaction()?;
        {
            let mut stmt = tx.prepare_cached(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ?2 WHERE till_seq = ?1",
            )?;
            for (seq, err) in failures {
                stmt.execute(params![seq, err])?;
            }
            tx.execute(
                "UPDATE till SET outbox_last_error = ?1 WHERE id = 1",
                params![last],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    pub fn outbox_status(&self) -> Result<OutboxStatus> {
        let Some((next, mark, last_error)) = self
            .conn
            .prepare_cached("SELECT next_till_seq, outbox_acked_through, outbox_last_error FROM till WHERE id = 1")?
            .query_row([], |r| Ok((r.get::<_, u64>(0)?, r.get::<_, u64>(1)?, r.get::<_, Option<String>>(2)?)))
            .optional()?
        else {
            return Ok(OutboxStatus::default());
        };
        let total_written = next - 1;
        let acked_beyond: u64 = self
            .conn
            .prepare_cached("SELECT count(*) FROM outbox_acks WHERE till_seq > ?1")?
            .query_row(params![mark], |r| r.get(0))?;
        let pending = total_written.saturating_sub(mark + acked_beyond);
        type First = (u64, String, BlockedEvent, Option<String>);
        let first: Option<First> = self
            .conn
            .prepare_cached(
                "SELECT o.till_seq, o.created_at, o.event_id, o.event_type, o.topic, o.attempts, o.last_error
                   FROM outbox o WHERE o.till_seq > ?1
                   AND NOT EXISTS (SELECT 1 FROM outbox_acks a WHERE a.till_seq = o.till_seq)
                 ORDER BY o.till_seq LIMIT 1",
            )?
            .query_row(params![mark], |r| {
                let seq: u64 = r.get(0)?;
                Ok((
                    seq,
                    r.get(1)?,
                    BlockedEvent {
                        till_seq: seq,
                        event_id: r.get(2)?,
                        event_type: r.get(3)?,
                        topic: r.get(4)?,
                        attempts: r.get(5)?,
                        error: String::new(),
                    },
                    r.get(6)?,
                ))
            })
            .optional()?;
        let last: Option<(u64, String)> = self
            .conn
            .prepare_cached(
                "SELECT till_seq, published_at FROM outbox_acks ORDER BY till_seq DESC LIMIT 1",
            )?
            .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        let blocked = first.as_ref().and_then(|(_, _, b, error)| {
            let error = error.clone()?;
            (b.attempts >= BLOCKED_AFTER_ATTEMPTS).then(|| BlockedEvent { error, ..b.clone() })
        });
        Ok(OutboxStatus {
            pending,
            oldest_pending_at: first.as_ref().map(|(_, t, ..)| parse_ts(t)).transpose()?,
            first_pending_seq: first.map(|(s, ..)| s),
            blocked,
            last_published_at: last.as_ref().map(|(_, t)| parse_ts(t)).transpose()?,
            last_published_seq: last.map(|(s, _)| s),
            last_error: if pending > 0 { last_error } else { None },
            total_written,
        })
    }

    /// Deletes acknowledged rows published before `before` (the journal keeps the till's
    /// copy). Only rows below the low-water mark go, so the counts above stay exact.
    pub fn prune_published(&mut self, before: DateTime<Utc>) -> Result<usize> {
        Ok(self.conn.execute(
            "DELETE FROM outbox WHERE till_seq <= (SELECT outbox_acked_through FROM till WHERE id = 1)
               AND till_seq IN (SELECT till_seq FROM outbox_acks WHERE published_at < ?1)",
            params![format_ts(before)],
        )?)
    }
}
