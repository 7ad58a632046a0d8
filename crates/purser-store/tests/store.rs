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

#[test]
fn users_are_plain_rows_with_failures_and_locks() {
    use purser_store::NewUser;
    let dir = tempfile::tempdir().unwrap();
    let mut s = new_store(&dir);
    let t0 = Utc.with_ymd_and_hms(2026, 11, 25, 8, 0, 0).unwrap();
    let ana = NewUser {
        user_id: "ana",
        name: "Ana Lopes",
        role: "cashier",
        pin_hash: "$argon2id$fake-1",
    };
    s.insert_user(&ana, t0).unwrap();
    s.insert_user(
        &NewUser {
            user_id: "bo",
            name: "Bo",
            role: "manager",
            pin_hash: "$argon2id$fake-2",
        },
        t0,
    )
    .unwrap();
    // The same id again is a conflict that says what clashed; the first row is untouched.
    match s.insert_user(
        &NewUser {
            name: "Other",
            ..ana
        },
        t0,
    ) {
        Err(StoreError::Conflict(m)) => assert!(m.contains("'ana' already exists"), "{m}"),
        other => panic!("expected a conflict, got {other:?}"),
    }
    // A role the table does not know is refused by its CHECK.
    assert!(s
        .insert_user(
            &NewUser {
                user_id: "cy",
                role: "owner",
                ..ana
            },
            t0
        )
        .is_err());
    let u = s.user_by_id("ana").unwrap().unwrap();
    assert_eq!(
        (
            u.name.as_str(),
            u.role.as_str(),
            u.active,
            u.failed_attempts
        ),
        ("Ana Lopes", "cashier", true, 0)
    );
    assert_eq!((u.created_at, u.updated_at, u.locked_until), (t0, t0, None));
    assert!(s.user_by_id("nobody").unwrap().is_none());
    assert_eq!(
        s.list_users()
            .unwrap()
            .iter()
            .map(|u| u.user_id.as_str())
            .collect::<Vec<_>>(),
        ["ana", "bo"]
    );
    // The PIN hash never shows in debug output.
    assert!(!format!("{u:?}").contains("fake-1"));

    let t1 = t0 + chrono::Duration::minutes(5);
    let until = t1 + chrono::Duration::seconds(30);
    assert!(s.record_failure("ana", 5, Some(until)).unwrap());
    let u = s.user_by_id("ana").unwrap().unwrap();
    assert_eq!((u.failed_attempts, u.locked_until), (5, Some(until)));
    assert_eq!(u.updated_at, t0, "a failed sign-in is not a profile change");
    s.record_success("ana").unwrap();
    let u = s.user_by_id("ana").unwrap().unwrap();
    assert_eq!((u.failed_attempts, u.locked_until), (0, None));

    // A new PIN clears failures and the lock too.
    s.record_failure("ana", 7, Some(until)).unwrap();
    assert!(s.set_pin_hash("ana", "$argon2id$fake-3", t1).unwrap());
    let u = s.user_by_id("ana").unwrap().unwrap();
    assert_eq!(
        (
            u.pin_hash.as_str(),
            u.failed_attempts,
            u.locked_until,
            u.updated_at
        ),
        ("$argon2id$fake-3", 0, None, t1)
    );
    assert!(s.set_active("ana", false, t1).unwrap());
    assert!(!s.user_by_id("ana").unwrap().unwrap().active);
    // Unknown users: nothing changes, and the caller is told.
    assert!(!s.set_pin_hash("nobody", "x", t1).unwrap());
    assert!(!s.set_active("nobody", true, t1).unwrap());
    assert!(!s.record_failure("nobody", 1, None).unwrap());
    // Survives reopening.
    drop(s);
    let s = Store::open(&dir.path().join("till.db")).unwrap();
    assert!(!s.user_by_id("ana").unwrap().unwrap().active);
}

fn product(sku: &str, name: &str, active: bool) -> purser_core::catalog::Product {
    purser_core::catalog::Product {
        sku: sku.into(),
        name: name.into(),
        barcodes: vec![],
        price: purser_core::Money(100),
        tax_class: "standard".into(),
        sold_by: purser_core::catalog::SoldBy::Unit,
        category: None,
        active,
        modifier_groups: vec![],
    }
}

fn found(s: &Store, text: &str) -> Vec<String> {
    s.search_products(text, 50)
        .unwrap_or_else(|e| panic!("search {text:?} failed: {e}"))
        .into_iter()
        .map(|p| p.sku)
        .collect()
}

fn catalog_record(offset: i64, p: purser_core::catalog::Product) -> purser_store::Consumed {
    purser_store::Consumed {
        partition: 0,
        offset,
        key: Some(p.sku.clone()),
        outcome: Ok(purser_core::inbound::Inbound::Product(p)),
        excerpt: None,
    }
}

fn tombstone(offset: i64, sku: &str) -> purser_store::Consumed {
    purser_store::Consumed {
        partition: 0,
        offset,
        key: Some(sku.into()),
        outcome: Ok(purser_core::inbound::Inbound::Delist { sku: sku.into() }),
        excerpt: None,
    }
}

#[test]
fn product_search_matches_word_prefixes_and_follows_the_catalog_stream() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = new_store(&dir);
    s.upsert_products(
        &[
            product("ESP", "Espresso", true),
            product("ESP-DBL", "Double espresso", true),
            product("CRO", "Croissant au beurre", true),
            product("CAFE", "Café crème", true),
            product("IPA", "IPA bottle 33cl", true),
            product("OLD", "Old espresso blend", false),
        ],
        Utc::now(),
    )
    .unwrap();
    // Prefixes of any word of the name or the SKU, case- and accent-insensitive, AND-ed.
    assert_eq!(found(&s, "esp"), ["ESP", "ESP-DBL"], "inactive excluded");
    assert_eq!(found(&s, "ESPRESSO"), ["ESP", "ESP-DBL"]);
    assert_eq!(found(&s, "dou esp"), ["ESP-DBL"]);
    assert_eq!(found(&s, "cafe creme"), ["CAFE"]);
    assert_eq!(found(&s, "CRÈME"), ["CAFE"]);
    assert_eq!(found(&s, "beu"), ["CRO"]);
    let mut cr = found(&s, "cr");
    cr.sort();
    assert_eq!(cr, ["CAFE", "CRO"]);
    assert_eq!(found(&s, "esp-dbl"), ["ESP-DBL"], "a SKU with a dash");
    assert_eq!(found(&s, "33"), ["IPA"]);
    assert!(found(&s, "tea").is_empty());
    assert!(found(&s, "esp tea").is_empty(), "every word must match");
    // Blank text lists active products by name, as before.
    assert_eq!(found(&s, "  "), ["CAFE", "CRO", "ESP-DBL", "ESP", "IPA"]);
    assert_eq!(s.search_products("", 2).unwrap().len(), 2);
    assert_eq!(s.search_products("e", 1).unwrap().len(), 1, "limit");

    // The catalog stream: a rename, a price change, a delisting by flag, one by tombstone.
    let now = Utc::now();
    let mut renamed = product("CRO", "Pain au chocolat", true);
    renamed.price = purser_core::Money(150);
    let mut delisted = product("IPA", "IPA bottle 33cl", false);
    delisted.price = purser_core::Money(590);
    s.apply_inbound(
        "pos.catalog.v1",
        &[
            catalog_record(0, renamed),
            catalog_record(1, delisted),
            tombstone(2, "ESP-DBL"),
            catalog_record(3, product("TEA", "Green tea", true)),
        ],
        now,
    )
    .unwrap();
    assert!(found(&s, "croissant").is_empty(), "the old name is gone");
    assert_eq!(found(&s, "choc"), ["CRO"]);
    assert!(found(&s, "ipa").is_empty(), "inactive: not offered");
    assert!(found(&s, "double").is_empty(), "tombstoned: gone");
    assert_eq!(found(&s, "esp"), ["ESP"]);
    assert_eq!(found(&s, "gre te"), ["TEA"]);

    // A rebuild replaces the whole view: search follows it.
    s.rebuild_inbound(
        purser_core::inbound::InboundKind::Catalog,
        "pos.catalog.v1",
        &[
            catalog_record(0, product("ESP", "Espresso", true)),
            catalog_record(1, product("LAT", "Caffè latte", true)),
            tombstone(2, "LAT"),
            catalog_record(3, product("MOC", "Mocha", true)),
        ],
        &[(0, 4)],
        now,
    )
    .unwrap();
    assert_eq!(found(&s, "esp"), ["ESP"]);
    assert_eq!(found(&s, "moc"), ["MOC"]);
    assert!(found(&s, "tea").is_empty() && found(&s, "choc").is_empty());
    assert!(found(&s, "latte").is_empty());
    // The index agrees with the table, row for row, and the triggers are back on.
    let check = || {
        let c = raw(&dir);
        c.execute_batch(
            "INSERT INTO products_fts (products_fts, rank) VALUES ('integrity-check', 1)",
        )
        .unwrap();
        let triggers: i64 = c
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'products'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(triggers, 3);
    };
    check();

    // A large import writes the products, then indexes them in one pass.
    let many: Vec<_> = (0..1500)
        .map(|i| product(&format!("B{i:04}"), &format!("Bulk item {i}"), true))
        .collect();
    s.upsert_products(&many, now).unwrap();
    check();
    assert_eq!(found(&s, "bulk 1499"), ["B1499"]);
    assert_eq!(found(&s, "mocha"), ["MOC"]);
    s.apply_inbound("pos.catalog.v1", &[tombstone(4, "B1499")], now)
        .unwrap();
    assert!(found(&s, "bulk 1499").is_empty());
    // An index out of step (here: emptied behind the store's back) is rebuilt whole.
    raw(&dir)
        .execute_batch("INSERT INTO products_fts (products_fts) VALUES ('delete-all')")
        .unwrap();
    assert!(found(&s, "mocha").is_empty());
    s.rebuild_search_index().unwrap();
    assert_eq!(found(&s, "mocha"), ["MOC"]);
    check();
}

#[test]
fn product_search_never_fails_on_what_a_cashier_types() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = new_store(&dir);
    s.upsert_products(
        &[
            product("AND", "NEAR and OR not", true),
            product("Q", "Quote \"the\" * star", true),
            product("ZH", "绿茶 green tea", true),
        ],
        Utc::now(),
    )
    .unwrap();
    for text in [
        "\"",
        "\"\"",
        "'",
        "*",
        "**",
        "-",
        "+",
        "^",
        ":",
        "(",
        ")",
        "()",
        "{",
        "}",
        "[",
        "]",
        "AND",
        "OR",
        "NOT",
        "NEAR",
        "NEAR(a b, 2)",
        "a AND",
        "OR b",
        "NOT NOT",
        "a:b",
        "name:foo",
        "sku:*",
        "\"unterminated",
        "a\"b",
        "col : x",
        "{name sku}: x",
        "^start",
        "x*y",
        "*x",
        "%",
        "_",
        "\\",
        "\0",
        "\u{200b}",
        "🍺",
        "ﾟ･✿ヾ╲(｡◕‿◕｡)╱✿･ﾟ",
        "ि",
        "é",
        "e\u{301}",
        "İ",
        "ß",
        "ǅ",
        "\u{fffd}",
        "\t\n\r",
        "a\u{0}b",
        "'; DROP TABLE products; --",
    ] {
        s.search_products(text, 10)
            .unwrap_or_else(|e| panic!("search {text:?} failed: {e}"));
    }
    // Operators are ordinary words, not syntax.
    assert_eq!(found(&s, "near and"), ["AND"]);
    assert_eq!(found(&s, "OR"), ["AND"]);
    assert_eq!(found(&s, "\"the\" *"), ["Q"]);
    assert_eq!(found(&s, "绿茶"), ["ZH"]);
    let long = "abc ".repeat(2000);
    s.search_products(&long, 10).unwrap();
    proptest::proptest!(proptest::prelude::ProptestConfig::with_cases(2000), |(text in "\\PC{0,24}|[ -~]{0,24}")| {
        s.search_products(&text, 10).unwrap();
    });
}

#[test]
fn a_till_from_before_search_gets_its_products_indexed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("till.db");
    {
        // A database as version 2 left it, with products in it.
        let mut c = rusqlite::Connection::open(&path).unwrap();
        let tx = c.transaction().unwrap();
        for sql in &purser_store::migrations::MIGRATIONS[..2] {
            tx.execute_batch(sql).unwrap();
        }
        tx.execute_batch(
            "INSERT INTO products VALUES ('ESP', 'Espresso', 220, 'standard', 'unit', NULL, 1, '2026-01-01T00:00:00.000000Z');
             INSERT INTO products VALUES ('OLD', 'Old espresso', 220, 'standard', 'unit', NULL, 0, '2026-01-01T00:00:00.000000Z');
             PRAGMA user_version = 2;",
        )
        .unwrap();
        tx.commit().unwrap();
    }
    let s = Store::open(&path).unwrap();
    assert_eq!(
        s.schema_version().unwrap(),
        purser_store::migrations::latest_version()
    );
    assert_eq!(found(&s, "espr"), ["ESP"]);
}
