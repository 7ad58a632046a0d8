//! Two processes opening an old till database at once must both succeed.

use std::sync::{Arc, Barrier};
use std::time::Duration;

use purser_store::Store;

#[test]
fn two_openers_of_an_old_database_take_turns_at_migrating_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("till.db");
    // An old (here: empty, version 0) WAL database, whose write lock a third process holds
    // while both openers start: both see version 0 before either can migrate.
    let blocker = rusqlite::Connection::open(&db).unwrap();
    let mode: String = blocker
        .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    blocker.execute_batch("BEGIN IMMEDIATE").unwrap();
    let start = Arc::new(Barrier::new(3));
    let openers: Vec<_> = (0..2)
        .map(|_| {
            let (db, start) = (db.clone(), start.clone());
            std::thread::spawn(move || {
                start.wait();
                Store::open(&db).map(|_| ())
            })
        })
        .collect();
    start.wait();
    std::thread::sleep(Duration::from_millis(700));
    blocker.execute_batch("COMMIT").unwrap();
    for o in openers {
        o.join()
            .unwrap()
            .expect("each opener gets an up-to-date database");
    }
    let v: i64 = rusqlite::Connection::open(&db)
        .unwrap()
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(v, purser_store::migrations::latest_version());
}
