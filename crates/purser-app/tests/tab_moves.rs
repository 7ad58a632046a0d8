//! A tab moving from one till of the store to another, on real till databases and
//! reporting stores (no Kafka: each till's `report.db` is fed the records of both tills'
//! outboxes, as the manager's consumer would bring them from `pos.payments.v1`).
//!
//! The protocol (`purser_app::tabs`): T2 asks (`tab.move_requested`), T1 hands over
//! (`tab.moved`, its row closed in the same transaction), T2 takes over (`tab.opened` with
//! `moved_from`). Each step is decided by the rows of the till doing it, so copies,
//! arrival order, restarts and kills between steps repeat nothing and lose nothing.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use purser_app::report::Reports;
use purser_app::tabs::{OpenTab, TabContent, TabRef, TabRequest};
use purser_app::till::{SaleOptions, Till};
use purser_app::ErrorCode;
use purser_core::cart::{Cart, Quantity};
use purser_core::catalog::{Product, SoldBy};
use purser_core::clock::Clock;
use purser_core::events::{Event, EventBody};
use purser_core::money::Money;
use purser_core::report::parse_event;
use purser_core::tab::TabKind;
use purser_core::tender::TenderInput;
use purser_store::{ReportRecord, Store, TabRow};
use purser_testkit::till::{records_of, till_at, TestClock};

struct Bar {
    _dirs: Vec<tempfile::TempDir>,
    clock: Arc<TestClock>,
    t1: Till,
    t2: Till,
    r1: Reports,
    r2: Reports,
    db1: PathBuf,
    db2: PathBuf,
    catalog: Vec<Product>,
}

fn drink(catalog: &[Product], i: usize) -> Product {
    catalog
        .iter()
        .filter(|p| p.sold_by == SoldBy::Unit)
        .nth(i)
        .unwrap()
        .clone()
}

/// Two tills of store S1 with a shift open each, and their reporting stores.
fn bar() -> Bar {
    let (d1, d2) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let catalog = purser_app::demo::demo_catalog();
    let (clock, mut t1) = till_at(&d1, "T1", "");
    let (_, mut t2) = till_at(&d2, "T2", "");
    for t in [&mut t1, &mut t2] {
        t.import_products(&catalog).unwrap();
        t.open_shift("ana", Money(10_000)).unwrap();
    }
    let r1 = Reports::open(t1.settings()).unwrap();
    let r2 = Reports::open(t2.settings()).unwrap();
    Bar {
        db1: d1.path().join("till.db"),
        db2: d2.path().join("till.db"),
        _dirs: vec![d1, d2],
        clock,
        t1,
        t2,
        r1,
        r2,
        catalog,
    }
}

/// Both tills' outboxes as the manager's consumer reads them (offsets renumbered).
fn records(dbs: &[&Path]) -> Vec<ReportRecord> {
    let mut all: Vec<ReportRecord> = dbs.iter().flat_map(|db| records_of(db, "S1")).collect();
    for (i, r) in all.iter_mut().enumerate() {
        r.offset = i64::try_from(i).unwrap();
    }
    all
}

impl Bar {
    /// The store's cluster is up: every till's events reach both reporting stores.
    fn sync(&mut self) {
        let recs = records(&[&self.db1, &self.db2]);
        let now = self.clock.now();
        self.r1.store().apply(&recs, now).unwrap();
        self.r2.store().apply(&recs, now).unwrap();
    }

    fn open_tab(&mut self, label: &str) -> TabRow {
        let mut cart = Cart::new();
        cart.add(&drink(&self.catalog, 0), Quantity::Units(2))
            .unwrap();
        let tab = self
            .t1
            .open_tab(&OpenTab {
                kind: TabKind::Tab,
                label: label.into(),
                content: TabContent {
                    cart: cart.clone(),
                    ..Default::default()
                },
                served_by: "ana".into(),
            })
            .unwrap();
        self.clock.advance(900);
        cart.add(&drink(&self.catalog, 1), Quantity::Units(1))
            .unwrap();
        self.t1
            .update_tab(
                TabRef::of(&tab),
                &TabContent {
                    cart,
                    ..Default::default()
                },
                "ana",
            )
            .unwrap()
    }

    /// T2 asks for the tab as its list of the store's open tabs shows it.
    fn t2_asks(&mut self, tab_id: uuid::Uuid) {
        let seen = self
            .r2
            .open_tabs()
            .unwrap()
            .into_iter()
            .find(|t| t.tab_id == tab_id)
            .expect("T2's list shows the tab");
        self.t2
            .request_tab(&TabRequest {
                tab_id,
                from_till: seen.till_id,
                version: seen.version,
                requested_by: "ben".into(),
            })
            .unwrap();
    }

    fn reopen_t1(&mut self) {
        self.t1 = reopen(&self.t1, &self.clock);
    }
    fn reopen_t2(&mut self) {
        self.t2 = reopen(&self.t2, &self.clock);
    }
}

/// The till killed and started again on the same file (nothing kept in memory).
fn reopen(t: &Till, clock: &Arc<TestClock>) -> Till {
    Till::open(
        t.settings().clone(),
        clock.clone(),
        Arc::new(purser_app::runtime::UuidV7),
    )
    .unwrap()
}

fn tab_events(db: &Path) -> Vec<Event> {
    Store::open(db)
        .unwrap()
        .outbox_pending(0, 100_000)
        .unwrap()
        .into_iter()
        .filter(|r| r.event_type.starts_with("tab."))
        .map(|r| parse_event(&r.payload).unwrap())
        .collect()
}

fn count(db: &Path, f: impl Fn(&EventBody) -> bool) -> usize {
    tab_events(db).iter().filter(|e| f(&e.body)).count()
}

fn moved(b: &EventBody) -> bool {
    matches!(b, EventBody::TabMoved(_))
}
fn taken_over(b: &EventBody) -> bool {
    matches!(b, EventBody::TabOpened(o) if o.moved_from.is_some())
}

#[test]
fn a_tab_asked_for_at_t2_is_handed_over_by_t1_taken_over_and_paid_at_t2() {
    let mut b = bar();
    let tab = b.open_tab("Cabin 7012");
    b.sync();
    let seen = b.r2.open_tabs().unwrap();
    assert_eq!(seen.len(), 1);
    assert_eq!((seen[0].till_id.as_str(), seen[0].version), ("T1", 2));

    b.t2_asks(tab.tab_id);
    // Nothing moves before T1 sees the request.
    assert!(!b.t1.step_tab_moves(&b.r1).unwrap().wrote());
    assert!(!b.t2.step_tab_moves(&b.r2).unwrap().wrote());
    b.sync();
    let seen = b.r2.open_tabs().unwrap();
    assert_eq!(seen[0].asked_by, vec!["T2".to_string()]);
    assert_eq!(seen[0].version, 2, "a request changes no version");

    // T1 hands it over: its row closes with the tab.moved, in one transaction.
    let step = b.t1.step_tab_moves(&b.r1).unwrap();
    assert_eq!(step.handed_over.len(), 1);
    let m = &step.handed_over[0];
    assert_eq!((m.to_till.as_str(), m.version), ("T2", 3));
    assert_eq!(m.ticket.lines, tab.cart.lines);
    let row = b.t1.tab(tab.tab_id).unwrap();
    assert_eq!(row.outcome.as_deref(), Some("moved"));
    assert_eq!(row.moved_to.as_deref(), Some("T2"));
    assert!(b.t1.open_tabs().unwrap().is_empty());
    // Again (the request is still unanswered in T1's report.db until its own tab.moved
    // comes back): nothing more.
    assert!(!b.t1.step_tab_moves(&b.r1).unwrap().wrote());

    // T1's window still shows the tab: its next save is refused, recording nothing.
    let mut more = tab.cart.clone();
    more.add(&drink(&b.catalog, 2), Quantity::Units(1)).unwrap();
    let e =
        b.t1.update_tab(
            TabRef::of(&tab),
            &TabContent {
                cart: more,
                ..Default::default()
            },
            "ana",
        )
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::TabMoved);
    assert!(
        e.message.contains("moved to T2: recall it there"),
        "{}",
        e.message
    );
    let e =
        b.t1.sell_cart(
            &tab.cart,
            &[TenderInput::Cash { tendered: None }],
            &SaleOptions {
                tab: Some(TabRef::of(&tab)),
                ..Default::default()
            },
        )
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::TabMoved);
    assert_eq!(Store::open(&b.db1).unwrap().lifetime_totals().unwrap().0, 0);

    b.sync();
    let seen = b.r2.open_tabs().unwrap();
    assert_eq!(
        (seen[0].till_id.as_str(), seen[0].moving_to.as_deref()),
        ("T1", Some("T2")),
        "moving T1 → T2"
    );
    let text = purser_app::report::tills_text(&b.r2.tills(b.clock.now()).unwrap());
    assert!(
        text.contains("T1 Cabin 7012 (tab)") && text.contains("moving T1 -> T2"),
        "{text}"
    );
    // T2 takes it over, once.
    b.clock.advance(60);
    let step = b.t2.step_tab_moves(&b.r2).unwrap();
    assert_eq!(step.taken_over.len(), 1);
    let here = b.t2.tab(tab.tab_id).unwrap();
    assert_eq!(here.version, 4);
    assert_eq!(here.cart, tab.cart, "every line, line numbers included");
    assert_eq!((here.total, here.held_since), (tab.total, 4));
    assert_eq!(here.moved_from.as_deref(), Some("T1"));
    assert_eq!(
        (here.opened_at, here.opened_by.as_str()),
        (tab.opened_at, "ana")
    );
    assert_eq!(here.served_by, "ben");
    assert!(!b.t2.step_tab_moves(&b.r2).unwrap().wrote());
    assert!(!b.t1.step_tab_moves(&b.r1).unwrap().wrote());
    b.sync();
    let seen = b.r1.open_tabs().unwrap();
    assert_eq!(
        (seen[0].till_id.as_str(), seen[0].moving_to.as_deref()),
        ("T2", None)
    );
    assert_eq!(seen[0].opened_at, tab.opened_at);
    assert!(seen[0].asked_by.is_empty());
    assert!(!b.t1.step_tab_moves(&b.r1).unwrap().wrote());
    assert!(!b.t2.step_tab_moves(&b.r2).unwrap().wrote());

    // Records arriving twice and backwards at a third reporting store change nothing.
    let dm = tempfile::tempdir().unwrap();
    let mut rm = Reports::open_at(b.t2.settings(), &dm.path().join("report.db")).unwrap();
    let mut recs = records(&[&b.db2, &b.db1]);
    recs.reverse();
    rm.store().apply(&recs, b.clock.now()).unwrap();
    rm.store()
        .apply(&records(&[&b.db1, &b.db2]), b.clock.now())
        .unwrap();
    assert_eq!(rm.open_tabs().unwrap(), b.r1.open_tabs().unwrap());
    assert!(!b.t1.step_tab_moves(&rm).unwrap().wrote());
    assert!(!b.t2.step_tab_moves(&rm).unwrap().wrote());

    // At T2 the guest has one more, and pays: the sale closes the tab.
    let mut cart = here.cart.clone();
    let third = cart.add(&drink(&b.catalog, 2), Quantity::Units(1)).unwrap();
    assert_eq!(third, 3);
    let here =
        b.t2.update_tab(
            TabRef::of(&here),
            &TabContent {
                cart: cart.clone(),
                member_id: here.member_id.clone(),
                rewards: here.rewards.clone(),
            },
            "ben",
        )
        .unwrap();
    let sale =
        b.t2.sell_cart(
            &cart,
            &[TenderInput::Cash { tendered: None }],
            &SaleOptions {
                tab: Some(TabRef::of(&here)),
                served_by: Some("ben".into()),
                ..Default::default()
            },
        )
        .unwrap();
    let sold: Vec<(String, Quantity)> = sale
        .body
        .lines
        .iter()
        .map(|l| (l.sku.clone(), l.quantity))
        .collect();
    let rung: Vec<(String, Quantity)> = cart
        .lines
        .iter()
        .map(|l| (l.sku.clone(), l.quantity))
        .collect();
    assert_eq!(sold, rung, "no line lost, none twice");
    assert_eq!(sold.len(), 3);
    assert!(b.t2.open_tabs().unwrap().is_empty());
    b.sync();
    assert!(b.r1.open_tabs().unwrap().is_empty());
    assert!(b.r2.open_tabs().unwrap().is_empty());

    // Exactly one hand-over and one take-over, one sale, in the whole store.
    let (db1, db2) = (b.db1.clone(), b.db2.clone());
    assert_eq!(count(&db1, moved) + count(&db2, moved), 1);
    assert_eq!(count(&db1, taken_over) + count(&db2, taken_over), 1);
    assert_eq!(
        count(&db2, |e| matches!(e, EventBody::TabMoveRequested(_))),
        1
    );
    let (s1, s2) = (
        Store::open(&db1).unwrap().lifetime_totals().unwrap().0,
        Store::open(&db2).unwrap().lifetime_totals().unwrap().0,
    );
    assert_eq!((s1, s2), (0, 1));
    assert!(!b.t1.step_tab_moves(&b.r1).unwrap().wrote());
    assert!(!b.t2.step_tab_moves(&b.r2).unwrap().wrote());
    for t in [&b.t1, &b.t2] {
        assert!(t.verify_journal().unwrap().problems.is_empty());
    }
}

#[test]
fn tills_killed_between_the_steps_finish_the_move_once() {
    let mut b = bar();
    let tab = b.open_tab("Table 9");
    b.sync();
    b.t2_asks(tab.tab_id);
    b.sync();
    // T1 is killed before it answers (an uncommitted hand-over is no hand-over): on
    // restart it still holds the tab and answers the request it finds again.
    b.reopen_t1();
    assert_eq!(b.t1.open_tabs().unwrap().len(), 1);
    assert_eq!(b.t1.step_tab_moves(&b.r1).unwrap().handed_over.len(), 1);
    // Killed after committing tab.moved, before relaying it: the outbox still has it,
    // and the request found again is not answered twice.
    b.reopen_t1();
    assert!(!b.t1.step_tab_moves(&b.r1).unwrap().wrote());
    assert_eq!(count(&b.db1.clone(), moved), 1);
    b.sync();
    // T2 is killed before it takes the tab over, then after.
    b.reopen_t2();
    assert_eq!(b.t2.step_tab_moves(&b.r2).unwrap().taken_over.len(), 1);
    b.reopen_t2();
    assert!(!b.t2.step_tab_moves(&b.r2).unwrap().wrote());
    b.sync();
    assert!(!b.t2.step_tab_moves(&b.r2).unwrap().wrote());
    assert!(!b.t1.step_tab_moves(&b.r1).unwrap().wrote());
    let (db1, db2) = (b.db1.clone(), b.db2.clone());
    assert_eq!(count(&db1, moved) + count(&db2, moved), 1);
    assert_eq!(count(&db1, taken_over) + count(&db2, taken_over), 1);
    let here = b.t2.open_tabs().unwrap();
    assert_eq!(here.len(), 1);
    assert_eq!((here[0].cart.clone(), here[0].version), (tab.cart, 4));
}

#[test]
fn a_request_for_a_tab_paid_meanwhile_moves_nothing() {
    let mut b = bar();
    let tab = b.open_tab("Pool 4");
    b.sync();
    b.t2_asks(tab.tab_id);
    // T1 is paid before the request reaches it.
    b.t1.sell_cart(
        &tab.cart,
        &[TenderInput::Cash { tendered: None }],
        &SaleOptions {
            tab: Some(TabRef::of(&tab)),
            ..Default::default()
        },
    )
    .unwrap();
    b.sync();
    for _ in 0..2 {
        assert!(!b.t1.step_tab_moves(&b.r1).unwrap().wrote());
        assert!(!b.t2.step_tab_moves(&b.r2).unwrap().wrote());
    }
    let (db1, db2) = (b.db1.clone(), b.db2.clone());
    assert_eq!(count(&db1, moved) + count(&db2, moved), 0);
    assert!(b.t2.open_tabs().unwrap().is_empty());
    assert!(b.r2.open_tabs().unwrap().is_empty());
    assert_eq!(
        b.t1.tab(tab.tab_id).unwrap().outcome.as_deref(),
        Some("paid")
    );
}

#[test]
fn offline_the_tab_stays_usable_at_the_till_that_holds_it() {
    let mut b = bar();
    let tab = b.open_tab("Sun deck");
    b.sync();
    b.t2_asks(tab.tab_id);
    // T1's link is down: T2's request never reaches T1's report.db. T1 goes on selling.
    for _ in 0..3 {
        assert!(!b.t1.step_tab_moves(&b.r1).unwrap().wrote());
    }
    let mut cart = tab.cart.clone();
    cart.add(&drink(&b.catalog, 3), Quantity::Units(1)).unwrap();
    let tab =
        b.t1.update_tab(
            TabRef::of(&tab),
            &TabContent {
                cart: cart.clone(),
                ..Default::default()
            },
            "ana",
        )
        .unwrap();
    b.t1.sell_cart(
        &cart,
        &[TenderInput::Cash { tendered: None }],
        &SaleOptions {
            tab: Some(TabRef::of(&tab)),
            ..Default::default()
        },
    )
    .unwrap();
    assert!(b.t1.open_tabs().unwrap().is_empty());
    // Back online: the request is answered by what happened (paid), nothing moves.
    b.sync();
    assert!(!b.t1.step_tab_moves(&b.r1).unwrap().wrote());
    assert!(!b.t2.step_tab_moves(&b.r2).unwrap().wrote());
    assert!(b.r2.open_tabs().unwrap().is_empty());
}

#[test]
fn a_tab_moves_back_and_an_old_request_does_not_take_it_again() {
    let mut b = bar();
    let tab = b.open_tab("Table 2");
    b.sync();
    b.t2_asks(tab.tab_id);
    b.sync();
    b.t1.step_tab_moves(&b.r1).unwrap();
    b.sync();
    b.t2.step_tab_moves(&b.r2).unwrap();
    b.sync();
    // T1 asks for it back.
    let seen = b.r1.open_tabs().unwrap().remove(0);
    assert_eq!((seen.till_id.as_str(), seen.version), ("T2", 4));
    b.t1.request_tab(&TabRequest {
        tab_id: tab.tab_id,
        from_till: "T2".into(),
        version: seen.version,
        requested_by: "ana".into(),
    })
    .unwrap();
    b.sync();
    assert_eq!(b.t2.step_tab_moves(&b.r2).unwrap().handed_over.len(), 1);
    b.sync();
    let step = b.t1.step_tab_moves(&b.r1).unwrap();
    assert_eq!(step.taken_over.len(), 1);
    let back = b.t1.tab(tab.tab_id).unwrap();
    assert_eq!((back.version, back.held_since), (6, 6));
    assert_eq!(back.cart, tab.cart);
    assert_eq!(back.closed_at, None);
    b.sync();
    // T2's first request (made at version 2, before T1 got the tab back) is not answered
    // again, even handed to T1 directly.
    let old = tab_events(&b.db2.clone())
        .into_iter()
        .find(|e| matches!(e.body, EventBody::TabMoveRequested(_)))
        .unwrap();
    assert_eq!(b.t1.answer_tab_request(&old).unwrap(), None);
    assert!(!b.t1.step_tab_moves(&b.r1).unwrap().wrote());
    assert!(!b.t2.step_tab_moves(&b.r2).unwrap().wrote());
    let seen = b.r2.open_tabs().unwrap().remove(0);
    assert_eq!(
        (seen.till_id.as_str(), seen.version, seen.asked_by.len()),
        ("T1", 6, 0)
    );
    // Asking for a tab held here, or from this till itself, is refused.
    let e =
        b.t1.request_tab(&TabRequest {
            tab_id: tab.tab_id,
            from_till: "T2".into(),
            version: 6,
            requested_by: "ana".into(),
        })
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::NotAllowed);
    let e =
        b.t2.request_tab(&TabRequest {
            tab_id: tab.tab_id,
            from_till: "T2".into(),
            version: 6,
            requested_by: "ben".into(),
        })
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::NotAllowed);
}
