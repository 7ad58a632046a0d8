//! `pos.reconciliation.v1`: what the cloud's reconciler knows of one till's business day.
//! Published by `purser-cloud reconcile` (compacted, key `<store_id>/<till_id>/<date>`),
//! mirrored back to the stores, and shown on the manager's Store screen and by
//! `purser report tills`.

use chrono::{DateTime, NaiveDate, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The worst thing known about a till's business day, first match wins: `conflict`,
/// `chain_broken`, `z_mismatch`, `waiting` (events missing, or a shift still open),
/// `complete`. Duplicates alone leave a day complete.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum DayState {
    Complete,
    Waiting,
    ZMismatch,
    ChainBroken,
    Conflict,
}

impl DayState {
    pub const ALL: [DayState; 5] = [
        DayState::Complete,
        DayState::Waiting,
        DayState::ZMismatch,
        DayState::ChainBroken,
        DayState::Conflict,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DayState::Complete => "complete",
            DayState::Waiting => "waiting",
            DayState::ZMismatch => "z_mismatch",
            DayState::ChainBroken => "chain_broken",
            DayState::Conflict => "conflict",
        }
    }

    pub fn parse(s: &str) -> Option<DayState> {
        DayState::ALL.into_iter().find(|d| d.as_str() == s)
    }
}

/// A printed Z that disagrees with the events of its shift.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ZMismatch {
    pub shift_id: Uuid,
    /// "net_sales: printed 1250, events 1150", amounts in minor units.
    pub differences: Vec<String>,
}

/// One store's till's business day, as far as the cloud can tell.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct DayStatus {
    pub store_id: String,
    pub till_id: String,
    pub business_date: NaiveDate,
    pub state: DayState,
    /// Distinct events of the day that arrived.
    pub events: u64,
    pub first_seq: u64,
    pub last_seq: u64,
    /// `till_seq` ranges `[first, last]` not arrived between the previous day's last event
    /// and this day's last.
    pub missing: Vec<(u64, u64)>,
    /// Shifts of the day with no `shift.closed` yet.
    pub open_shifts: Vec<Uuid>,
    /// Copies of the day's events that arrived more than once, byte for byte.
    pub duplicates: u64,
    /// Events that came again with other content, or two events claiming one `till_seq`.
    pub conflicts: Vec<String>,
    /// Compared once none of the day's events is missing.
    pub z_mismatches: Vec<ZMismatch>,
    /// The till's chain breaks at this `till_seq` (on this day or before it).
    pub chain_broken_from: Option<u64>,
    /// Some events carry no chain link (written before it was in the contract).
    pub chain_unverified: bool,
    /// Z reports rebuilt and matching what the till printed.
    pub z_matched: u64,
}

impl DayStatus {
    /// Sets `state` from what is known of the day (see [`DayState`]).
    pub fn settle(&mut self) {
        self.state = if !self.conflicts.is_empty() {
            DayState::Conflict
        } else if self.chain_broken_from.is_some() {
            DayState::ChainBroken
        } else if !self.z_mismatches.is_empty() {
            DayState::ZMismatch
        } else if !self.missing.is_empty() || !self.open_shifts.is_empty() {
            DayState::Waiting
        } else {
            DayState::Complete
        };
    }

    /// The record's key on `pos.reconciliation.v1`.
    pub fn key(&self) -> String {
        format!("{}/{}/{}", self.store_id, self.till_id, self.business_date)
    }

    /// Missing `till_seq` as "5, 9-12".
    pub fn missing_text(&self) -> String {
        self.missing
            .iter()
            .map(|(a, b)| {
                if a == b {
                    a.to_string()
                } else {
                    format!("{a}-{b}")
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// `pos.reconciliation.v1`, key = `<store_id>/<till_id>/<business_date>`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ReconciliationRecord {
    pub schema_version: u32,
    #[serde(flatten)]
    pub day: DayStatus,
    /// When the reconciler last changed this day's status.
    pub updated_at: DateTime<Utc>,
}
