//! The append-only, hash-chained journal and its verification.

use rusqlite::params;

use crate::error::Result;
use crate::Store;

pub use purser_core::chain::chain_hash;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JournalProblem {
    /// An entry's stored hash does not match its content: it was edited.
    Edited { till_seq: u64 },
    /// An entry does not link to the one before it: something between was removed or replaced.
    BrokenLink { till_seq: u64 },
    /// Sequence numbers jump: entries are missing.
    Missing { from: u64, to: u64 },
    /// The journal ends before the till's recorded head: entries at the end were removed.
    Truncated { last_present: u64, head: u64 },
    /// The last entry is not the one the till recorded as its head.
    HeadMismatch { till_seq: u64 },
}

impl std::fmt::Display for JournalProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            JournalProblem::Edited { till_seq } => write!(f, "entry {till_seq} was altered (its hash does not match its content)"),
            JournalProblem::BrokenLink { till_seq } => write!(f, "entry {till_seq} does not follow from the entry before it"),
            JournalProblem::Missing { from, to } => write!(f, "entries {from} to {to} are missing"),
            JournalProblem::Truncated { last_present, head } => write!(f, "the journal stops at entry {last_present}, but the till recorded entries up to {head}"),
            JournalProblem::HeadMismatch { till_seq } => write!(f, "the last entry ({till_seq}) is not the one the till recorded"),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JournalReport {
    pub entries: u64,
    pub head_seq: u64,
    pub problems: Vec<JournalProblem>,
}

impl JournalReport {
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

impl Store {
    /// Walks the whole journal, recomputing every hash and link.
    pub fn verify_journal(&self) -> Result<JournalReport> {
        let (head_seq, head_hash): (u64, String) = self
            .conn
            .query_row(
                "SELECT journal_head_seq, journal_head_hash FROM till WHERE id = 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap_or((0, String::new()));
        let mut stmt = self.conn.prepare(
            "SELECT till_seq, event_id, event_type, body, prev_hash, hash FROM journal ORDER BY till_seq",
        )?;
        let mut rows = stmt.query(params![])?;
        let mut problems = Vec::new();
        let mut expected_seq = 1u64;
        let mut prev_hash = String::new();
        let mut entries = 0u64;
        let mut last_hash = String::new();
        while let Some(r) = rows.next()? {
            let seq: u64 = r.get(0)?;
            let event_id: String = r.get(1)?;
            let event_type: String = r.get(2)?;
            let body: String = r.get(3)?;
            let stored_prev: String = r.get(4)?;
            let stored_hash: String = r.get(5)?;
            entries += 1;
            if seq != expected_seq {
                problems.push(JournalProblem::Missing {
                    from: expected_seq,
                    to: seq - 1,
                });
            }
            if chain_hash(&stored_prev, seq, &event_id, &event_type, &body) != stored_hash {
                problems.push(JournalProblem::Edited { till_seq: seq });
            }
            if stored_prev != prev_hash {
                problems.push(JournalProblem::BrokenLink { till_seq: seq });
            }
            prev_hash = stored_hash.clone();
            last_hash = stored_hash;
            expected_seq = seq + 1;
        }
        let last_present = expected_seq - 1;
        if last_present < head_seq {
            problems.push(JournalProblem::Truncated {
                last_present,
                head: head_seq,
            });
        } else if last_present > 0 && (last_present != head_seq || last_hash != head_hash) {
            problems.push(JournalProblem::HeadMismatch {
                till_seq: last_present,
            });
        }
        Ok(JournalReport {
            entries,
            head_seq,
            problems,
        })
    }
}
