//! Tabs and parked tickets on a real till database: durable from their first line (a
//! till reopened on the same file finds them as they were), every change one `tab.*`
//! event in the journal and the outbox, paid by a sale in the same transaction, never
//! paid twice, never cancelled with lines on it.

use purser_app::tabs::{OpenTab, TabContent, TabRef};
use purser_app::till::{SaleOptions, Till};
use purser_app::ErrorCode;
use purser_core::cart::{Cart, Quantity};
use purser_core::events::EventBody;
use purser_core::money::Money;
use purser_core::report::parse_event;
use purser_core::tab::{TabChange, TabKind, TabOutcome};
use purser_core::tender::TenderInput;
use purser_store::Store;
use purser_testkit::till::{new_till, TestClock};

fn setup() -> (
    tempfile::TempDir,
    std::sync::Arc<TestClock>,
    Till,
    Vec<purser_core::catalog::Product>,
) {
    let dir = tempfile::tempdir().unwrap();
    let (clock, mut till) = new_till(&dir, |_| {});
    let catalog = purser_app::demo::demo_catalog();
    till.import_products(&catalog).unwrap();
    till.open_shift("ana", Money(10_000)).unwrap();
    (dir, clock, till, catalog)
}

fn one(catalog: &[purser_core::catalog::Product], i: usize) -> purser_core::catalog::Product {
    catalog
        .iter()
        .filter(|p| p.sold_by == purser_core::catalog::SoldBy::Unit)
        .nth(i)
        .unwrap()
        .clone()
}

fn tab_events(db: &std::path::Path) -> Vec<(String, String, EventBody)> {
    let s = Store::open(db).unwrap();
    s.outbox_pending(0, 10_000)
        .unwrap()
        .into_iter()
        .filter(|r| r.event_type.starts_with("tab."))
        .map(|r| {
            let e = parse_event(&r.payload).unwrap();
            (r.topic, r.key, e.body)
        })
        .collect()
}

#[test]
fn a_tab_survives_the_till_closing_and_every_change_is_an_event() {
    let (dir, clock, mut till, catalog) = setup();
    let db = dir.path().join("till.db");
    let (beer, wine) = (one(&catalog, 0), one(&catalog, 1));
    let mut cart = Cart::new();
    cart.add(&beer, Quantity::Units(1)).unwrap();
    let tab = till
        .open_tab(&OpenTab {
            kind: TabKind::Tab,
            label: "  Table 7 ".into(),
            content: TabContent {
                cart: cart.clone(),
                ..Default::default()
            },
            served_by: "ana".into(),
        })
        .unwrap();
    assert_eq!((tab.label.as_str(), tab.version), ("Table 7", 1));
    clock.advance(600);
    cart.add(&wine, Quantity::Units(2)).unwrap();
    let content = TabContent {
        cart: cart.clone(),
        ..Default::default()
    };
    let t2 = till.update_tab(TabRef::of(&tab), &content, "ben").unwrap();
    assert_eq!(t2.version, 2);
    // Saving the same ticket again writes nothing.
    let same = till.update_tab(TabRef::of(&t2), &content, "ben").unwrap();
    assert_eq!(same.version, 2);
    let settings = till.settings().clone();
    drop(till);

    // The till comes back (after a crash or a power cut: nothing is kept in memory).
    let till = Till::open(
        settings,
        clock.clone(),
        std::sync::Arc::new(purser_app::runtime::UuidV7),
    )
    .unwrap();
    let open = till.open_tabs().unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].cart, cart, "the tab's lines, line numbers included");
    assert_eq!(open[0].served_by, "ben");
    assert_eq!(open[0].opened_by, "ana");
    let priced = cart
        .price(&till.settings().taxes, till.settings().tax_mode)
        .unwrap();
    assert_eq!(open[0].total, priced.total);

    let evs = tab_events(&db);
    assert_eq!(evs.len(), 2);
    for (topic, key, _) in &evs {
        assert_eq!((topic.as_str(), key.as_str()), ("pos.payments.v1", "T1"));
    }
    match &evs[1].2 {
        EventBody::TabUpdated(u) => {
            assert_eq!(u.version, 2);
            assert_eq!(u.change, TabChange::LineAdded { line_no: 2 });
            assert_eq!(u.ticket.lines, cart.lines);
            assert_eq!(u.total, priced.total);
            assert_eq!(u.served_by, "ben");
        }
        other => panic!("expected tab.updated, got {other:?}"),
    }
    assert!(till.verify_journal().unwrap().problems.is_empty());
}

#[test]
fn paying_a_tab_closes_it_in_the_sales_transaction_and_never_twice() {
    let (dir, _clock, mut till, catalog) = setup();
    let db = dir.path().join("till.db");
    let mut cart = Cart::new();
    cart.add(&one(&catalog, 2), Quantity::Units(3)).unwrap();
    let tab = till
        .open_tab(&OpenTab {
            kind: TabKind::Parked,
            label: "10:15".into(),
            content: TabContent {
                cart: cart.clone(),
                ..Default::default()
            },
            served_by: "ana".into(),
        })
        .unwrap();
    let opts = SaleOptions {
        tab: Some(TabRef::of(&tab)),
        served_by: Some("ana".into()),
        ..Default::default()
    };
    // A ticket that is not the tab as it stands is refused, and nothing is recorded.
    let mut other = cart.clone();
    other.set_quantity(1, Quantity::Units(1)).unwrap();
    let e = till
        .sell_cart(&other, &[TenderInput::Cash { tendered: None }], &opts)
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::NotAllowed);
    assert_eq!(Store::open(&db).unwrap().lifetime_totals().unwrap().0, 0);

    let sale = till
        .sell_cart(&cart, &[TenderInput::Cash { tendered: None }], &opts)
        .unwrap();
    assert!(till.open_tabs().unwrap().is_empty());
    let closed = till.tab(tab.tab_id).unwrap();
    assert_eq!(closed.outcome.as_deref(), Some("paid"));
    assert_eq!(closed.sale_id, Some(sale.body.sale_id));
    // The sale and the tab's closing are consecutive events of one transaction.
    let evs = tab_events(&db);
    match &evs.last().unwrap().2 {
        EventBody::TabClosed(c) => assert_eq!(
            c.outcome,
            TabOutcome::Paid {
                sale_id: sale.body.sale_id,
                receipt_no: sale.body.receipt_no.clone()
            }
        ),
        other => panic!("expected tab.closed, got {other:?}"),
    }
    // Paying it again (a second window, a retry) is refused and records nothing.
    let e = till
        .sell_cart(&cart, &[TenderInput::Cash { tendered: None }], &opts)
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::NotAllowed);
    assert!(e.message.contains("closed already"), "{}", e.message);
    assert_eq!(Store::open(&db).unwrap().lifetime_totals().unwrap().0, 1);
}

#[test]
fn a_stale_change_is_refused_and_a_tab_with_lines_is_not_cancelled() {
    let (_dir, _clock, mut till, catalog) = setup();
    let mut cart = Cart::new();
    cart.add(&one(&catalog, 0), Quantity::Units(1)).unwrap();
    let tab = till
        .open_tab(&OpenTab {
            kind: TabKind::Tab,
            label: "Pool 4".into(),
            content: TabContent {
                cart: cart.clone(),
                ..Default::default()
            },
            served_by: "ana".into(),
        })
        .unwrap();
    let v1 = TabRef::of(&tab);
    let mut more = cart.clone();
    more.add(&one(&catalog, 1), Quantity::Units(1)).unwrap();
    let content = |c: &Cart| TabContent {
        cart: c.clone(),
        ..Default::default()
    };
    let t2 = till.update_tab(v1, &content(&more), "ana").unwrap();
    // Another window still holding version 1 cannot overwrite version 2.
    let e = till.update_tab(v1, &content(&cart), "ben").unwrap_err();
    assert_eq!(e.code, ErrorCode::NotAllowed);
    assert!(e.message.contains("changed meanwhile"), "{}", e.message);
    assert_eq!(till.tab(tab.tab_id).unwrap().cart, more);

    let e = till.cancel_tab(TabRef::of(&t2), "ana").unwrap_err();
    assert_eq!(e.code, ErrorCode::NotAllowed);
    let empty = till
        .update_tab(TabRef::of(&t2), &content(&Cart::new()), "ana")
        .unwrap();
    assert_eq!(empty.total, Money::ZERO);
    let done = till.cancel_tab(TabRef::of(&empty), "ana").unwrap();
    assert_eq!(done.outcome.as_deref(), Some("cancelled"));
    assert!(till.open_tabs().unwrap().is_empty());
}

#[test]
fn bad_labels_are_refused_with_nothing_written() {
    let (dir, _clock, mut till, _catalog) = setup();
    let open = |label: &str| OpenTab {
        kind: TabKind::Tab,
        label: label.into(),
        content: TabContent::default(),
        served_by: "ana".into(),
    };
    assert_eq!(
        till.open_tab(&open("  ")).unwrap_err().code,
        ErrorCode::InvalidInput
    );
    assert_eq!(
        till.open_tab(&open("4111-1111-1111-1111"))
            .unwrap_err()
            .code,
        ErrorCode::CardNumberRefused
    );
    assert_eq!(
        till.open_tab(&open(&"x".repeat(41))).unwrap_err().code,
        ErrorCode::InvalidInput
    );
    let mut no_user = open("Table 1");
    no_user.served_by = String::new();
    assert_eq!(
        till.open_tab(&no_user).unwrap_err().code,
        ErrorCode::SignInRequired
    );
    assert!(tab_events(&dir.path().join("till.db")).is_empty());
}

#[test]
fn the_manager_sees_the_open_tabs_of_every_till_with_age_and_amount() {
    use purser_app::report::{tills_csv, tills_text, Reports};
    use purser_core::clock::Clock;
    use purser_testkit::till::{records_of, till_at};
    let (d1, d2, dm) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    let catalog = purser_app::demo::demo_catalog();
    let tabs_at = |dir: &tempfile::TempDir, till_id: &str, label: &str, paid: bool| {
        let (clock, mut till) = till_at(dir, till_id, "");
        till.import_products(&catalog).unwrap();
        till.open_shift("ana", Money(10_000)).unwrap();
        let mut cart = Cart::new();
        cart.add(&one(&catalog, 0), Quantity::Units(2)).unwrap();
        let tab = till
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
        clock.advance(1800);
        cart.add(&one(&catalog, 1), Quantity::Units(1)).unwrap();
        let tab = till
            .update_tab(
                TabRef::of(&tab),
                &TabContent {
                    cart: cart.clone(),
                    ..Default::default()
                },
                "ben",
            )
            .unwrap();
        if paid {
            till.sell_cart(
                &cart,
                &[TenderInput::Cash { tendered: None }],
                &SaleOptions {
                    tab: Some(TabRef::of(&tab)),
                    ..Default::default()
                },
            )
            .unwrap();
        }
        (clock, tab)
    };
    let (clock, open) = tabs_at(&d1, "T1", "Cabin 7012", false);
    tabs_at(&d2, "T2", "Table 3", true);

    let mut cfg = purser_app::Config::new_till(
        "S1",
        "M1",
        "EUR",
        "inclusive",
        "UTC",
        dm.path().join("mgr.db"),
    );
    cfg.kafka.bootstrap_servers = String::new();
    let settings = cfg.settings().unwrap();
    let mut reports = Reports::open(&settings).unwrap();
    let mut records = records_of(&d2.path().join("till.db"), "S1");
    // T1's events arrive out of order and twice.
    let mut r1 = records_of(&d1.path().join("till.db"), "S1");
    r1.reverse();
    records.extend(r1.clone());
    records.extend(r1);
    for (i, r) in records.iter_mut().enumerate() {
        r.offset = i64::try_from(i).unwrap();
    }
    reports.store().apply(&records, clock.now()).unwrap();

    clock.advance(600);
    let tills = reports.tills(clock.now()).unwrap();
    assert_eq!(tills.open_tabs.len(), 1, "T2's tab was paid");
    let t = &tills.open_tabs[0];
    assert_eq!((t.till_id.as_str(), t.label.as_str()), ("T1", "Cabin 7012"));
    assert_eq!((t.total, t.items, t.version), (open.total, 3, 2));
    assert_eq!((clock.now() - t.opened_at).num_seconds(), 2400);
    assert_eq!(t.served_by, "ben");
    let text = tills_text(&tills);
    assert!(
        text.contains("OPEN TABS") && text.contains("T1 Cabin 7012 (tab)"),
        "{text}"
    );
    assert!(
        text.contains("opened 40m 0s ago, last served by ben"),
        "{text}"
    );
    let csv = tills_csv(&tills).unwrap();
    assert!(csv.contains("open_tab,T1 Cabin 7012,3,"), "{csv}");
}
