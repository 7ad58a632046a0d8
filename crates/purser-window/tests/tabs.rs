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
