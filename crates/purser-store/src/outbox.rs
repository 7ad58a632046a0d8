//! The transactional outbox, as the relay sees it.

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
    /// Last error recorded on a pending row.
    pub last_error: Option<String>,
    /// Every row the till ever wrote (= the last till_seq).
    pub total_written: u64,
}

impl Store {
    /// Unpublished rows after `after_seq`, in `till_seq` order.
    pub fn outbox_pending(&self, after_seq: u64, limit: usize) -> Result<Vec<OutboxRow>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT till_seq, event_id, topic, key, event_type, payload, headers, created_at, attempts
             FROM outbox WHERE published_at IS NULL AND till_seq > ?1 ORDER BY till_seq LIMIT ?2",
        )?;
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

    /// Marks rows published, in one transaction.
    pub fn mark_published(&mut self, acks: &[Ack], at: DateTime<Utc>) -> Result<()> {
        if acks.is_empty() {
            return Ok(());
        }
        let at = format_ts(at);
        let tx = self.conn.transaction()?;
        {
            let mut stmt = tx.prepare_cached(
                "UPDATE outbox SET published_at = ?2, partition = ?3, \"offset\" = ?4, attempts = attempts + 1, last_error = NULL
                 WHERE till_seq = ?1 AND published_at IS NULL",
            )?;
            for a in acks {
                stmt.execute(params![a.till_seq, at, a.partition, a.offset])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Records failed delivery attempts; the rows stay pending and are sent again.
    pub fn mark_failed(&mut self, failures: &[(u64, String)]) -> Result<()> {
        if failures.is_empty() {
            return Ok(());
        }
        let tx = self.conn.transaction()?;
        {
            let mut stmt = tx.prepare_cached(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ?2 WHERE till_seq = ?1 AND published_at IS NULL",
            )?;
            for (seq, err) in failures {
                stmt.execute(params![seq, err])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    pub fn outbox_status(&self) -> Result<OutboxStatus> {
        let (pending, first_pending_seq, oldest): (u64, Option<u64>, Option<String>) = self.conn.query_row(
            "SELECT count(*), min(till_seq), min(created_at) FROM outbox WHERE published_at IS NULL",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?;
        let last_published: Option<(u64, String)> = self
            .conn
            .query_row(
                "SELECT till_seq, published_at FROM outbox WHERE published_at IS NOT NULL ORDER BY published_at DESC, till_seq DESC LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let last_error: Option<String> = self
            .conn
            .query_row(
                "SELECT last_error FROM outbox WHERE published_at IS NULL AND last_error IS NOT NULL ORDER BY till_seq LIMIT 1",
                [],
                |r| r.get(0),
            )
            .optional()?;
        let total_written: u64 = self
            .conn
            .query_row("SELECT next_till_seq - 1 FROM till WHERE id = 1", [], |r| {
                r.get(0)
            })
            .optional()?
            .unwrap_or(0);
        Ok(OutboxStatus {
            pending,
            oldest_pending_at: oldest.as_deref().map(parse_ts).transpose()?,
            first_pending_seq,
            last_published_at: last_published
                .as_ref()
                .map(|(_, t)| parse_ts(t))
                .transpose()?,
            last_published_seq: last_published.map(|(s, _)| s),
            last_error,
            total_written,
        })
    }

    /// Deletes published rows older than `before` (the journal keeps the till's copy).
    pub fn prune_published(&mut self, before: DateTime<Utc>) -> Result<usize> {
        Ok(self.conn.execute(
            "DELETE FROM outbox WHERE published_at IS NOT NULL AND published_at < ?1",
            params![format_ts(before)],
        )?)
    }
}
