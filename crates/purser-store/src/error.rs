use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the till database {path} is at schema version {found}, but this Purser only knows up to version {supported}: install the newer Purser that wrote it (never downgrade a till)")]
    NewerSchema {
        path: PathBuf,
        found: i64,
        supported: i64,
    },
    #[error("cannot open the till database {path}: {source}")]
    Open {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("the disk holding the till database is full: nothing was recorded; free space and try again")]
    DiskFull,
    #[error("the till database is busy (another Purser process holds it); try again")]
    Busy,
    #[error("the till database is damaged: {0}")]
    Corrupt(String),
    #[error("this till database is not set up yet: run `purser init`")]
    NotInitialised,
    #[error("this till database belongs to store {store_id} till {till_id}; it cannot be re-used for store {want_store} till {want_till}")]
    OtherTill {
        store_id: String,
        till_id: String,
        want_store: String,
        want_till: String,
    },
    #[error("a shift is already open on this till; close it first")]
    ShiftAlreadyOpen,
    #[error("the shift was closed meanwhile (by another Purser process on this till): nothing was recorded; open a new shift")]
    ShiftClosed,
    #[error("{0}")]
    Conflict(String),
    #[error("this {event_type} would be a {bytes}-byte event, more than the {limit} bytes the store's cluster accepts (message.max.bytes): nothing was recorded; split it (e.g. the ticket into two)")]
    EventTooLarge {
        event_type: String,
        bytes: usize,
        limit: usize,
    },
    #[error("database error: {0}")]
    Sqlite(rusqlite::Error),
    #[error("stored JSON is invalid: {0}")]
    Json(#[from] serde_json::Error),
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> StoreError {
        use rusqlite::ErrorCode;
        match e.sqlite_error_code() {
            Some(ErrorCode::DiskFull) => StoreError::DiskFull,
            Some(ErrorCode::DatabaseBusy) | Some(ErrorCode::DatabaseLocked) => StoreError::Busy,
            Some(ErrorCode::DatabaseCorrupt) | Some(ErrorCode::NotADatabase) => {
                StoreError::Corrupt(e.to_string())
            }
            _ => StoreError::Sqlite(e),
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;
