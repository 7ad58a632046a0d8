//! Time and identity come from outside: the core never reads the clock or a random source.

use chrono::{DateTime, Utc};
use uuid::Uuid;

pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

pub trait IdGen: Send + Sync {
    /// A new UUIDv7.
    fn new_id(&self) -> Uuid;
}
