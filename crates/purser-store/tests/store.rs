//! The till record on real SQLite files in temporary folders.

use chrono::{TimeZone, Utc};
use purser_core::events::{DrawerOpened, EventBody, EventContext};
use purser_core::tax::TaxMode;
use purser_core::Currency;
use purser_store::{Ack, JournalProblem, Store, StoreError, TillIdentity};
use uuid::Uuid;

fn identity() -> TillIdentity {
    TillIdentity {
        store_id: "S1".into(),
        till_id: "T1".into(),
        currency: Currency::from_code("EUR").unwrap(),
        tax_mode: TaxMode::Inclusive,
    }
}

fn ctx() -> EventContext {
    EventContext {
        store_id: "S1".into(),
        till_id: "T1".into(),
        occurred_at: Utc.with_ymd_and_hms(2026, 11, 25, 10, 0, 0).unwrap(),
        business_date: chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap(),
        shift_id: None,
        cashier_id: None,
    }
}

fn body(n: u32) -> EventBody {
    EventBody::DrawerOpened(DrawerOpened {
        reason: format!("test {n}"),
        approved_by: None,
    })
}

fn new_store(dir: &tempfile::TempDir) -> Store {
    let mut s = Store::open(&dir.path().join("till.db")).unwrap();
    s.init_till(&identity(), Utc::now()).unwrap();
    s
}

fn emit_n(s: &mut Store, n: u32) {
    for i in 0..n {
        s.act(Utc::now(), |a| -> Result<(), StoreError> {
            a.emit(&ctx(), Uuid::now_v7(), body(i), "pos.payments.v1")?;
            Ok(())
        })
        .unwrap();
    }
}

fn raw(dir: &tempfile::TempDir) -> rusqlite::Connection {
    rusqlite::Connection::open(dir.path().join("till.db")).unwrap()
}

#[test]
fn wal_full_and_identity_fixed() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = new_store(&dir);
    let c = raw(&dir);
    let mode: String = c
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    // Re-init with the same identity is fine; another till is refused.
    s.init_till(&identity(), Utc::now()).unwrap();
    let mut other = identity();
    other.till_id = "T2".into();
    assert!(matches!(
        s.init_till(&other, Utc::now()),
        Err(StoreError::OtherTill { .. })
    ));
    let mut usd = identity();
    usd.currency = Currency::from_code("USD").unwrap();
    assert!(matches!(
        s.init_till(&usd, Utc::now()),
        Err(StoreError::Conflict(_))
    ));
}

#[test]
fn till_seq_is_gapless_and_survives_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = new_store(&dir);
    emit_n(&mut s, 5);
    drop(s);
    let mut s = Store::open(&dir.path().join("till.db")).unwrap();
    emit_n(&mut s, 3);
    let rows = s.outbox_pending(0, 100).unwrap();
    assert_eq!(
        rows.iter().map(|r| r.till_seq).collect::<Vec<_>>(),
        (1..=8).collect::<Vec<_>>()
    );
    assert!(rows.iter().all(|r| r.key == "T1"
        && r.headers
            .iter()
            .any(|(k, v)| k == "ce_id" && *v == r.event_id)));
    assert!(s.verify_journal().unwrap().ok());
}

#[test]
fn a_failed_action_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = new_store(&dir);
    emit_n(&mut s, 2);
    let r: Result<(), StoreError> = s.act(Utc::now(), |a| {
        a.emit(&ctx(), Uuid::now_v7(), body(9), "pos.payments.v1")?;
        let _ = a.next_receipt_no();
        Err(StoreError::Conflict("the business rule said no".into()))
    });
    assert!(r.is_err());
    emit_n(&mut s, 1);
    let seqs: Vec<u64> = s
        .outbox_pending(0, 100)
        .unwrap()
        .iter()
        .map(|r| r.till_seq)
        .collect();
    assert_eq!(
        seqs,
        vec![1, 2, 3],
        "the rolled-back action must not consume a till_seq"
    );
    let journal: i64 = raw(&dir)
        .query_row("SELECT count(*) FROM journal", [], |r| r.get(0))
        .unwrap();
    assert_eq!(journal, 3);
    assert!(s.verify_journal().unwrap().ok());
}

#[test]
fn journal_verify_detects_edits_removals_and_truncation() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = new_store(&dir);
    emit_n(&mut s, 6);
    assert!(s.verify_journal().unwrap().ok());
    let c = raw(&dir);

    // An edited amount.
    c.execute(
        "UPDATE journal SET body = replace(body, 'test 2', 'test 9') WHERE till_seq = 3",
        [],
    )
    .unwrap();
    let r = s.verify_journal().unwrap();
    assert!(
        r.problems.contains(&JournalProblem::Edited { till_seq: 3 }),
        "{:?}",
        r.problems
    );
    c.execute(
        "UPDATE journal SET body = replace(body, 'test 9', 'test 2') WHERE till_seq = 3",
        [],
    )
    .unwrap();
    assert!(s.verify_journal().unwrap().ok());

    // An edit that also recomputes that entry's hash still breaks the next link.
    let (prev, b, eid): (String, String, String) = c
        .query_row(
            "SELECT prev_hash, body, event_id FROM journal WHERE till_seq = 3",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    let forged_body = b.replace("test 2", "test 7");
    let forged = {
        use sha2::Digest;
        let mut h = sha2::Sha256::new();
        h.update(format!("{prev}|3|{eid}|drawer.opened|{forged_body}").as_bytes());
        hex::encode(h.finalize())
    };
    c.execute(
        "UPDATE journal SET body = ?1, hash = ?2 WHERE till_seq = 3",
        rusqlite::params![forged_body, forged],
    )
    .unwrap();
    let r = s.verify_journal().unwrap();
    assert!(
        r.problems
            .contains(&JournalProblem::BrokenLink { till_seq: 4 }),
        "{:?}",
        r.problems
    );

    // A removed entry in the middle.
    let dir2 = tempfile::tempdir().unwrap();
    let mut s2 = new_store(&dir2);
    emit_n(&mut s2, 6);
    raw(&dir2)
        .execute("DELETE FROM journal WHERE till_seq = 4", [])
        .unwrap();
    let r = s2.verify_journal().unwrap();
    assert!(
        r.problems
            .contains(&JournalProblem::Missing { from: 4, to: 4 }),
        "{:?}",
        r.problems
    );

    // Entries removed from the end.
    let dir3 = tempfile::tempdir().unwrap();
    let mut s3 = new_store(&dir3);
    emit_n(&mut s3, 6);
    raw(&dir3)
        .execute("DELETE FROM journal WHERE till_seq > 4", [])
        .unwrap();
    let r = s3.verify_journal().unwrap();
    assert!(
        r.problems.contains(&JournalProblem::Truncated {
            last_present: 4,
            head: 6
        }),
        "{:?}",
        r.problems
    );
}

#[test]
fn a_newer_database_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    drop(new_store(&dir));
    raw(&dir).execute_batch("PRAGMA user_version = 99").unwrap();
    match Store::open(&dir.path().join("till.db")) {
        Err(e @ StoreError::NewerSchema { found: 99, .. }) => {
            assert!(e.to_string().contains("never downgrade"), "{e}");
        }
        other => panic!("expected NewerSchema, got {other:?}"),
    }
    let v: i64 = raw(&dir)
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(v, 99);
}

#[test]
fn a_full_disk_is_reported_and_nothing_is_half_written() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = new_store(&dir);
    emit_n(&mut s, 2);
    // Cap the database at its current size: the next action hits SQLITE_FULL, as on a full disk.
    s.set_page_limit(s.page_count().unwrap()).unwrap();
    let big = "x".repeat(256 * 1024);
    let r = s.act(Utc::now(), |a| -> Result<(), StoreError> {
        a.emit(
            &ctx(),
            Uuid::now_v7(),
            EventBody::DrawerOpened(DrawerOpened {
                reason: big.clone(),
                approved_by: None,
            }),
            "pos.payments.v1",
        )?;
        Ok(())
    });
    let err = r.unwrap_err();
    assert!(matches!(err, StoreError::DiskFull), "{err:?}");
    assert!(err.to_string().contains("nothing was recorded"));
    s.set_page_limit(1 << 30).unwrap();
    assert_eq!(s.outbox_status().unwrap().total_written, 2);
    assert!(s.verify_journal().unwrap().ok());
    // Space is back: the till carries on with the next till_seq.
    emit_n(&mut s, 1);
    assert_eq!(s.outbox_pending(0, 10).unwrap().last().unwrap().till_seq, 3);
}

#[test]
fn outbox_marks_failures_and_prunes() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = new_store(&dir);
    emit_n(&mut s, 4);
    s.mark_failed(&[(1, "broker down".into())]).unwrap();
    let st = s.outbox_status().unwrap();
    assert_eq!(
        (st.pending, st.first_pending_seq, st.last_error.as_deref()),
        (4, Some(1), Some("broker down"))
    );
    let long_ago = Utc::now() - chrono::Duration::days(40);
    s.mark_published(
        &[
            Ack {
                till_seq: 1,
                partition: 0,
                offset: 10,
            },
            Ack {
                till_seq: 2,
                partition: 0,
                offset: 11,
            },
        ],
        long_ago,
    )
    .unwrap();
    s.mark_published(
        &[Ack {
            till_seq: 3,
            partition: 0,
            offset: 12,
        }],
        Utc::now(),
    )
    .unwrap();
    let st = s.outbox_status().unwrap();
    assert_eq!(
        (st.pending, st.first_pending_seq, st.last_published_seq),
        (1, Some(4), Some(3))
    );
    assert_eq!(s.outbox_pending(0, 10).unwrap().len(), 1);
    assert_eq!(
        s.prune_published(Utc::now() - chrono::Duration::days(30))
            .unwrap(),
        2
    );
    // The journal keeps everything.
    assert_eq!(s.verify_journal().unwrap().entries, 4);
}

#[test]
fn acknowledgements_out_of_order_move_the_mark_only_when_the_gap_fills() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = new_store(&dir);
    emit_n(&mut s, 5);
    let ack = |seq| Ack {
        till_seq: seq,
        partition: 0,
        offset: i64::try_from(seq).unwrap(),
    };
    s.mark_published(&[ack(2), ack(3), ack(5)], Utc::now())
        .unwrap();
    let st = s.outbox_status().unwrap();
    assert_eq!((st.pending, st.first_pending_seq), (2, Some(1)));
    assert_eq!(
        s.outbox_pending(0, 10)
            .unwrap()
            .iter()
            .map(|r| r.till_seq)
            .collect::<Vec<_>>(),
        vec![1, 4]
    );
    // Nothing above the gap can be pruned: the mark is still at 0.
    assert_eq!(
        s.prune_published(Utc::now() + chrono::Duration::days(1))
            .unwrap(),
        0
    );
    s.mark_published(&[ack(1)], Utc::now()).unwrap();
    let mark: u64 = raw(&dir)
        .query_row("SELECT outbox_acked_through FROM till", [], |r| r.get(0))
        .unwrap();
    assert_eq!(
        mark, 3,
        "1 fills the gap; 2 and 3 were acknowledged earlier"
    );
    s.mark_published(&[ack(4), ack(4)], Utc::now()).unwrap();
    let st = s.outbox_status().unwrap();
    assert_eq!(
        (st.pending, st.first_pending_seq, st.last_published_seq),
        (0, None, Some(5))
    );
    // The brief's view of the outbox: published_at is set on every row now.
    let unpublished: i64 = raw(&dir)
        .query_row(
            "SELECT count(*) FROM outbox_rows WHERE published_at IS NULL",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(unpublished, 0);
    assert_eq!(
        s.prune_published(Utc::now() + chrono::Duration::days(1))
            .unwrap(),
        5
    );
    assert_eq!(s.outbox_status().unwrap().total_written, 5);
}
