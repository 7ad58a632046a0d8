//! A till on a real SQLite file in a temporary folder, with a clock the test moves.

#![allow(dead_code)]

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, TimeZone, Utc};

use purser_app::runtime::UuidV7;
use purser_app::{Config, Till};
use purser_core::clock::Clock;

pub struct TestClock(Mutex<DateTime<Utc>>);

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}

impl TestClock {
    pub fn advance(&self, secs: i64) {
        *self.0.lock().unwrap() += Duration::seconds(secs);
    }
}

/// A new till (store S1, till T1, EUR, inclusive tax, UTC) at 2026-11-25 08:00, after
/// `edit` has had its say on the configuration.
pub fn new_till(dir: &tempfile::TempDir, edit: impl FnOnce(&mut Config)) -> (Arc<TestClock>, Till) {
    let mut cfg = Config::new_till(
        "S1",
        "T1",
        "EUR",
        "inclusive",
        "UTC",
        dir.path().join("till.db"),
    );
    edit(&mut cfg);
    let settings = cfg.settings().unwrap();
    let start = Utc.with_ymd_and_hms(2026, 11, 25, 8, 0, 0).unwrap();
    Till::init(&settings, start).unwrap();
    let clock = Arc::new(TestClock(Mutex::new(start)));
    let till = Till::open(settings, clock.clone(), Arc::new(UuidV7)).unwrap();
    (clock, till)
}
