use chrono::{DateTime, SecondsFormat, Utc};

use crate::error::{Result, StoreError};

/// Timestamps are stored as fixed-width RFC 3339 UTC text with microseconds, so they
/// sort as text.
pub fn format_ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

pub fn parse_ts(s: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| StoreError::Corrupt(format!("bad timestamp '{s}': {e}")))
}
