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

#[cfg(unix)]
#[test]
fn the_database_its_wal_and_a_folder_made_for_it_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("data").join("till.db");
    let store = Store::open(&db).unwrap();
    drop(store);
    // An existing database another tool left readable by all is made private on open.
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
    let _store = Store::open(&db).unwrap();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(db.parent().unwrap()), 0o700);
    assert_eq!(mode(&db), 0o600);
    for suffix in ["-wal", "-shm"] {
        let p = std::path::PathBuf::from(format!("{}{suffix}", db.display()));
        if p.exists() {
            assert_eq!(mode(&p), 0o600, "{}", p.display());
        }
    }
}
