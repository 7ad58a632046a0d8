//! Two windows of the store with their threads beside them (`Background`: relay, the
//! manager's consumer, the hand-overs) on librdkafka's mock cluster: a tab opened at T1
//! travels to T2 through the store's cluster, as in the bar, and leaves T1's screen.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use purser_app::demo::{demo_catalog, ensure_demo_users};
use purser_app::report::Reports;
use purser_app::AppError;
use purser_core::catalog::SoldBy;
use purser_stream::embedded::EmbeddedBroker;
use purser_testkit::till::till_at;
use purser_window::background::Background;
use purser_window::desk::Desk;
use purser_window::ipc::dispatch;
use purser_window::station::Station;

fn call(s: &mut Station, name: &str, args: Value) -> Result<Value, AppError> {
    dispatch(s, name, args)
}
fn ok(s: &mut Station, name: &str, args: Value) -> Value {
    call(s, name, args).unwrap_or_else(|e| panic!("{name} failed: {e:?}"))
}

/// Polls until `f` gives something (the threads beside the window take their time).
fn wait<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(
            start.elapsed() < Duration::from_secs(90),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A till's window with its threads. The catalog comes from the store's cluster, as in a
/// shop (an empty catalog topic, once read to its end, would empty the till's products).
fn window(dir: &tempfile::TempDir, till_id: &str, bootstrap: &str) -> Station {
    let (_clock, mut till) = till_at(dir, till_id, bootstrap);
    ensure_demo_users(&mut till).unwrap();
    let settings = till.settings().clone();
    if till_id == "T1" {
        purser_app::demo::publish_demo_reference(&settings, 7, Duration::from_secs(30)).unwrap();
    }
    let links = Background::start(&settings).unwrap();
    let sku = demo_catalog()[0].sku.clone();
    wait("the catalog from the store's cluster", || {
        purser_store::Store::open(&settings.config.database)
            .unwrap()
            .product_by_sku(&sku)
            .unwrap()
            .map(|_| ())
    });
    Station::Ready(Box::new(
        Desk::new(till, Box::new(links), dir.path().join("receipts"), true)
            .with_reports(Reports::open(&settings).unwrap()),
    ))
}

#[test]
fn a_tab_travels_from_t1_to_t2_through_the_store_cluster() {
    let broker = EmbeddedBroker::start(&purser_stream::Topics::default()).unwrap();
    let b = broker.bootstrap_servers();
    let (d1, d2) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut s1 = window(&d1, "T1", &b);
    let mut s2 = window(&d2, "T2", &b);
    let drinks: Vec<_> = demo_catalog()
        .into_iter()
        .filter(|p| p.sold_by == SoldBy::Unit)
        .take(3)
        .collect();

    ok(&mut s1, "sign_in", json!({"user_id": "ana", "pin": "1234"}));
    ok(&mut s1, "open_shift", json!({"float": "150.00"}));
    ok(&mut s2, "sign_in", json!({"user_id": "ben", "pin": "2468"}));
    ok(&mut s2, "open_shift", json!({"float": "100.00"}));
    ok(
        &mut s1,
        "add_item",
        json!({"code": drinks[0].sku, "quantity": "2"}),
    );
    let t = ok(&mut s1, "open_tab", json!({"label": "Cabin 7012"}));
    let tab_id = t["tab"]["tab_id"].as_str().unwrap().to_string();
    ok(
        &mut s1,
        "add_item",
        json!({"code": drinks[1].sku, "quantity": "1"}),
    );

    // T2's list of the store's tabs shows it at T1 once T1's events came round.
    wait("T2 to see the tab at T1", || {
        let v = ok(&mut s2, "store_tabs", json!({}));
        (v[0]["till_id"] == "T1" && v[0]["items"] == 3).then_some(())
    });
    // "Bring here" (refused while T2's relay has not reached the cluster yet).
    wait("T2 to ask", || {
        match call(&mut s2, "request_tab", json!({"tab_id": tab_id})) {
            Ok(v) => Some(v),
            Err(e) if serde_json::to_value(&e).unwrap()["code"] == "kafka_unreachable" => None,
            Err(e) => panic!("request_tab: {e:?}"),
        }
    });
    // T1's background hands it over, T2's takes it over: it is in T2's own list.
    let mine = wait("the tab at T2", || {
        let v = ok(&mut s2, "tabs", json!({}));
        (v[0]["tab_id"] == tab_id.as_str()).then_some(v)
    });
    assert_eq!(mine[0]["items"], 3);
    assert_eq!(mine[0]["opened_by"], "ana");

    // T1's screen still showed it: its next line is refused and the screen let go of it.
    let e = call(
        &mut s1,
        "add_item",
        json!({"code": drinks[2].sku, "quantity": "1"}),
    )
    .unwrap_err();
    let e = serde_json::to_value(&e).unwrap();
    assert_eq!(e["code"], "tab_moved", "{e}");
    assert!(ok(&mut s1, "ticket", json!({}))["tab"].is_null());

    ok(&mut s2, "recall_tab", json!({"tab_id": tab_id}));
    let t = ok(
        &mut s2,
        "add_item",
        json!({"code": drinks[2].sku, "quantity": "1"}),
    );
    let total = t["total"].as_i64().unwrap();
    assert_eq!(
        total,
        2 * drinks[0].price.0 + drinks[1].price.0 + drinks[2].price.0
    );
    let cash = json!({"kind": "cash", "amount": null, "tendered": null, "brand": null, "last4": null, "approval_code": null, "offline": false, "account_id": null});
    let r = ok(
        &mut s2,
        "pay",
        json!({"confirm_out_of_stock": true, "tenders": [cash]}),
    );
    assert_eq!(r["total"], total);
    // Closed everywhere once T2's payment came round.
    wait("the tab closed in T1's list", || {
        ok(&mut s1, "store_tabs", json!({}))
            .as_array()
            .unwrap()
            .is_empty()
            .then_some(())
    });
    drop(s1);
    drop(s2);
    // One hand-over and one take-over in the whole store, as T1's reporting store has it.
    let all = purser_store::ReportStore::open(&d1.path().join("report.db"))
        .unwrap()
        .events(&purser_store::EventFilter {
            dates: purser_core::report::DateRange {
                from: chrono::NaiveDate::from_ymd_opt(2000, 1, 1).unwrap(),
                to: chrono::NaiveDate::from_ymd_opt(2100, 1, 1).unwrap(),
            },
            till: None,
            cashier: None,
        })
        .unwrap();
    let count = |t: &str| all.iter().filter(|e| e.header.event_type == t).count();
    assert_eq!(count("tab.move_requested"), 1);
    assert_eq!(count("tab.moved"), 1);
    assert_eq!(count("tab.opened"), 2);
    assert_eq!(count("tab.closed"), 1);
    assert_eq!(count("sale.completed"), 1);
}
