//! Shared by the stream tests: a set-up till database in a temporary folder.

use std::path::PathBuf;

use chrono::Utc;
use purser_core::tax::TaxMode;
use purser_core::Currency;
use purser_store::{Store, TillIdentity};

/// Store S1, till T1, EUR, tax-inclusive.
pub fn till_db() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("till.db");
    Store::open(&db)
        .unwrap()
        .init_till(
            &TillIdentity {
                store_id: "S1".into(),
                till_id: "T1".into(),
                currency: Currency::from_code("EUR").unwrap(),
                tax_mode: TaxMode::Inclusive,
            },
            Utc::now(),
        )
        .unwrap();
    (dir, db)
}
