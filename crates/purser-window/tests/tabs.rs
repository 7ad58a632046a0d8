//! Tabs and parked tickets through the IPC dispatcher, as the window calls them: every
//! change on a tab's ticket is saved before the screen shows it, a window opened again on
//! the same till database finds the tab as it was, and paying it closes it.

use std::sync::Arc;

use serde_json::{json, Value};

use purser_app::demo::{demo_catalog, ensure_demo_users};
use purser_app::AppError;
use purser_core::catalog::{Product, SoldBy};
use purser_window::desk::{Desk, Offline};
use purser_window::ipc::dispatch;
use purser_window::station::Station;

fn call(s: &mut Station, name: &str, args: Value) -> Result<Value, AppError> {
    dispatch(s, name, args)
}
fn ok(s: &mut Station, name: &str, args: Value) -> Value {
    call(s, name, args).unwrap_or_else(|e| panic!("{name} failed: {e:?}"))
}
fn refused(s: &mut Station, name: &str, args: Value) -> String {
    let e = call(s, name, args).expect_err(&format!("{name} should have been refused"));
    serde_json::to_value(&e).unwrap()["code"]
        .as_str()
        .unwrap()
        .to_string()
}

fn drinks() -> Vec<Product> {
    demo_catalog()
        .into_iter()
        .filter(|p| p.sold_by == SoldBy::Unit)
        .take(4)
        .collect()
}

fn add(s: &mut Station, p: &Product, q: &str) -> Value {
    ok(s, "add_item", json!({"code": p.sku, "quantity": q}))
}

#[test]
fn a_tab_is_saved_with_every_change_recalled_after_a_restart_and_closed_by_paying() {
    let dir = tempfile::tempdir().unwrap();
    let (clock, mut till) = purser_testkit::till::new_till(&dir, |_| {});
    till.import_products(&demo_catalog()).unwrap();
    ensure_demo_users(&mut till).unwrap();
    let settings = till.settings().clone();
    let receipts = dir.path().join("receipts");
    let mut s = Station::Ready(Box::new(Desk::new(
        till,
        Box::new(Offline),
        receipts.clone(),
        true,
    )));
    ok(&mut s, "sign_in", json!({"user_id": "ana", "pin": "1234"}));
    ok(&mut s, "open_shift", json!({"float": "150.00"}));
    let d = drinks();

    // Nothing to park yet; a tab needs a name (or a member).
    assert_eq!(
        refused(&mut s, "park_ticket", json!({"label": null})),
        "invalid_input"
    );
    add(&mut s, &d[0], "2");
    assert_eq!(
        refused(&mut s, "open_tab", json!({"label": " "})),
        "invalid_input"
    );
    let t = ok(&mut s, "open_tab", json!({"label": "Table 7"}));
    assert_eq!(t["tab"]["label"], "Table 7");
    assert_eq!(t["tab"]["kind"], "tab");
    assert_eq!(
        refused(&mut s, "open_tab", json!({"label": "Again"})),
        "not_allowed"
    );
    add(&mut s, &d[1], "1");

    // Park the tab; serve a walk-in whose ticket is parked too.
    let t = ok(&mut s, "park_ticket", json!({"label": null}));
    assert!(t["tab"].is_null() && t["lines"].as_array().unwrap().is_empty());
    add(&mut s, &d[2], "1");
    ok(&mut s, "park_ticket", json!({"label": null}));
    let tabs = ok(&mut s, "tabs", json!({}));
    let tabs = tabs.as_array().unwrap();
    assert_eq!(tabs.len(), 2);
    assert_eq!(tabs[0]["label"], "Table 7");
    assert_eq!(tabs[0]["items"], 3);
    assert_eq!(tabs[1]["kind"], "parked");
    assert_eq!(
        tabs[1]["label"], "08:00",
        "a parked ticket is named by its time"
    );
    let tab_id = tabs[0]["tab_id"].as_str().unwrap().to_string();
    let total = tabs[0]["total"].as_i64().unwrap();
    assert_eq!(total, 2 * d[0].price.0 + d[1].price.0);

    // A ticket on the screen that is not a tab must be finished before a recall.
    add(&mut s, &d[3], "1");
    assert_eq!(
        refused(&mut s, "recall_tab", json!({"tab_id": tab_id})),
        "not_allowed"
    );
    ok(&mut s, "clear_ticket", json!({}));
    let t = ok(&mut s, "recall_tab", json!({"tab_id": tab_id}));
    assert_eq!(t["total"], total);
    ok(&mut s, "void_line", json!({"line_no": 2}));
    ok(
        &mut s,
        "set_quantity",
        json!({"line_no": 1, "quantity": "3"}),
    );

    // The window dies: a new one on the same database finds the tab as it was last shown.
    drop(s);
    let till =
        purser_app::Till::open(settings, clock, Arc::new(purser_app::runtime::UuidV7)).unwrap();
    let mut s = Station::Ready(Box::new(Desk::new(till, Box::new(Offline), receipts, true)));
    ok(&mut s, "sign_in", json!({"user_id": "ben", "pin": "2468"}));
    let tabs = ok(&mut s, "tabs", json!({}));
    assert_eq!(tabs[0]["total"], 3 * d[0].price.0);
    assert_eq!(tabs[0]["served_by"], "ana");
    let t = ok(&mut s, "recall_tab", json!({"tab_id": tab_id}));
    assert_eq!(t["lines"].as_array().unwrap().len(), 1);
    assert_eq!(t["lines"][0]["quantity"], "3");
    assert_eq!(t["tab"]["tab_id"], tab_id.as_str());

    let cash = json!({"kind": "cash", "amount": null, "tendered": null, "brand": null, "last4": null, "approval_code": null, "offline": false, "account_id": null});
    let r = ok(
        &mut s,
        "pay",
        json!({"confirm_out_of_stock": true, "tenders": [cash]}),
    );
    assert_eq!(r["total"], 3 * d[0].price.0);
    let tabs = ok(&mut s, "tabs", json!({}));
    assert_eq!(
        tabs.as_array().unwrap().len(),
        1,
        "only the parked walk-in is left"
    );
    assert!(ok(&mut s, "ticket", json!({}))["tab"].is_null());

    // The parked ticket, emptied, can be cancelled; with lines it cannot.
    let parked = tabs[0]["tab_id"].as_str().unwrap().to_string();
    ok(&mut s, "recall_tab", json!({"tab_id": parked}));
    assert_eq!(refused(&mut s, "cancel_tab", json!({})), "not_allowed");
    ok(&mut s, "void_line", json!({"line_no": 1}));
    ok(&mut s, "cancel_tab", json!({}));
    assert!(ok(&mut s, "tabs", json!({})).as_array().unwrap().is_empty());
}

/// Two windows of the store: T2 brings a tab open at T1 over, while T1 still shows it.
/// The store's cluster is played by feeding both tills' outboxes into both reporting
/// stores; the background's step by a second `Till` on each database.
#[test]
fn a_tab_at_another_till_is_brought_here_and_leaves_the_other_screen() {
    use purser_app::report::Reports;
    use purser_testkit::till::{records_of, till_at};
    let (d1, d2) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let open = |dir: &tempfile::TempDir, id: &str| {
        let (clock, mut till) = till_at(dir, id, "");
        till.import_products(&demo_catalog()).unwrap();
        ensure_demo_users(&mut till).unwrap();
        let settings = till.settings().clone();
        let reports = Reports::open(&settings).unwrap();
        let s = Station::Ready(Box::new(
            Desk::new(till, Box::new(Offline), dir.path().join("receipts"), true)
                .with_reports(reports),
        ));
        (clock, settings, s)
    };
    let (clock, set1, mut s1) = open(&d1, "T1");
    let (_, set2, mut s2) = open(&d2, "T2");
    let dbs = [d1.path().join("till.db"), d2.path().join("till.db")];
    let sync = || {
        let mut recs: Vec<_> = dbs.iter().flat_map(|db| records_of(db, "S1")).collect();
        for (i, r) in recs.iter_mut().enumerate() {
            r.offset = i64::try_from(i).unwrap();
        }
        for set in [&set1, &set2] {
            Reports::open(set)
                .unwrap()
                .store()
                .apply(&recs, chrono::Utc::now())
                .unwrap();
        }
    };
    // The background's step, on its own connections.
    let step = |set: &purser_app::Settings| {
        let mut till = purser_app::Till::open(
            set.clone(),
            clock.clone(),
            Arc::new(purser_app::runtime::UuidV7),
        )
        .unwrap();
        till.step_tab_moves(&Reports::open(set).unwrap()).unwrap()
    };
    let d = drinks();

    ok(&mut s1, "sign_in", json!({"user_id": "ana", "pin": "1234"}));
    ok(&mut s1, "open_shift", json!({"float": "150.00"}));
    add(&mut s1, &d[0], "2");
    let t = ok(&mut s1, "open_tab", json!({"label": "Table 7"}));
    let tab_id = t["tab"]["tab_id"].as_str().unwrap().to_string();
    add(&mut s1, &d[1], "1");
    ok(&mut s2, "sign_in", json!({"user_id": "ben", "pin": "2468"}));
    ok(&mut s2, "open_shift", json!({"float": "100.00"}));
    sync();

    let at1 = ok(&mut s1, "store_tabs", json!({}));
    assert_eq!(at1[0]["here"], true);
    let at2 = ok(&mut s2, "store_tabs", json!({}));
    assert_eq!(at2.as_array().unwrap().len(), 1);
    assert_eq!(
        (&at2[0]["till_id"], &at2[0]["here"], &at2[0]["items"]),
        (&json!("T1"), &json!(false), &json!(3))
    );
    assert_eq!(
        refused(&mut s1, "request_tab", json!({"tab_id": tab_id})),
        "not_allowed",
        "it is at T1 already"
    );
    assert_eq!(ok(&mut s2, "request_tab", json!({"tab_id": tab_id})), true);
    sync();
    assert_eq!(ok(&mut s2, "store_tabs", json!({}))[0]["asked_here"], true);
    // Asking again while T1 has not answered writes nothing more.
    assert_eq!(ok(&mut s2, "request_tab", json!({"tab_id": tab_id})), true);
    let requests = |db: &std::path::Path| {
        purser_store::Store::open(db)
            .unwrap()
            .outbox_pending(0, 10_000)
            .unwrap()
            .iter()
            .filter(|r| r.event_type == "tab.move_requested")
            .count()
    };
    assert_eq!(requests(&dbs[1]), 1);

    // T1's background hands it over while T1's screen shows it.
    assert_eq!(step(&set1).handed_over.len(), 1);
    let e = call(
        &mut s1,
        "add_item",
        json!({"code": d[2].sku, "quantity": "1"}),
    )
    .unwrap_err();
    let e = serde_json::to_value(&e).unwrap();
    assert_eq!(e["code"], "tab_moved");
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("moved to T2: recall it there"),
        "{e}"
    );
    let screen = ok(&mut s1, "ticket", json!({}));
    assert!(screen["tab"].is_null() && screen["lines"].as_array().unwrap().is_empty());
    assert!(ok(&mut s1, "tabs", json!({}))
        .as_array()
        .unwrap()
        .is_empty());
    assert_eq!(
        refused(&mut s1, "recall_tab", json!({"tab_id": tab_id})),
        "tab_moved"
    );

    sync();
    let at2 = ok(&mut s2, "store_tabs", json!({}));
    assert_eq!(at2[0]["moving_to"], "T2");
    assert_eq!(step(&set2).taken_over.len(), 1);
    assert_eq!(step(&set2).taken_over.len(), 0, "taken over once");
    let mine = ok(&mut s2, "tabs", json!({}));
    assert_eq!(mine[0]["tab_id"], tab_id.as_str());
    assert_eq!(mine[0]["items"], 3);
    assert_eq!(mine[0]["opened_by"], "ana");
    ok(&mut s2, "recall_tab", json!({"tab_id": tab_id}));
    let t = add(&mut s2, &d[2], "1");
    assert_eq!(t["lines"].as_array().unwrap().len(), 3);
    let total = t["total"].as_i64().unwrap();
    assert_eq!(total, 2 * d[0].price.0 + d[1].price.0 + d[2].price.0);
    let cash = json!({"kind": "cash", "amount": null, "tendered": null, "brand": null, "last4": null, "approval_code": null, "offline": false, "account_id": null});
    let r = ok(
        &mut s2,
        "pay",
        json!({"confirm_out_of_stock": true, "tenders": [cash]}),
    );
    assert_eq!(r["total"], total);
    sync();
    assert!(ok(&mut s2, "store_tabs", json!({}))
        .as_array()
        .unwrap()
        .is_empty());
    assert!(ok(&mut s1, "store_tabs", json!({}))
        .as_array()
        .unwrap()
        .is_empty());
    assert!(!step(&set1).wrote() && !step(&set2).wrote());
}
