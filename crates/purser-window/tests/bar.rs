//! The bar at the window, through the IPC dispatcher: a ticket with a service charge is
//! split between guests (evenly, or each paying their own drinks with their part of the
//! service charge), paid with one card per guest and a tip, and the shares always add up.

use serde_json::{json, Value};

use purser_app::demo::{demo_catalog, ensure_demo_users};
use purser_core::catalog::SoldBy;
use purser_window::desk::{Desk, Offline};
use purser_window::ipc::dispatch;
use purser_window::station::Station;

fn ok(s: &mut Station, name: &str, args: Value) -> Value {
    dispatch(s, name, args).unwrap_or_else(|e| panic!("{name} failed: {e:?}"))
}

fn card(amount: &str) -> Value {
    json!({"kind": "card", "amount": amount, "tendered": null, "brand": "VISA", "last4": "4242",
           "approval_code": "OK1", "offline": false, "account_id": null, "points": null})
}

/// A window on a till with the demo catalog and users, Ana signed in with a shift open.
fn bar(edit: impl FnOnce(&mut purser_app::Config)) -> (tempfile::TempDir, Station) {
    let dir = tempfile::tempdir().unwrap();
    let (_clock, mut till) = purser_testkit::till::new_till(&dir, edit);
    till.import_products(&demo_catalog()).unwrap();
    ensure_demo_users(&mut till).unwrap();
    let mut s = Station::Ready(Box::new(Desk::new(
        till,
        Box::new(Offline),
        dir.path().join("receipts"),
        false,
    )));
    ok(&mut s, "sign_in", json!({"user_id": "ana", "pin": "1234"}));
    ok(&mut s, "open_shift", json!({"float": "100.00"}));
    (dir, s)
}

#[test]
fn a_ticket_is_split_between_guests_and_paid_with_a_tip() {
    let (_dir, mut s) = bar(|c| c.bar.service_charge_percent = "18".into());
    let drinks: Vec<_> = demo_catalog()
        .into_iter()
        .filter(|p| p.sold_by == SoldBy::Unit && p.modifier_groups.is_empty())
        .take(3)
        .collect();
    for p in &drinks {
        ok(
            &mut s,
            "add_item",
            json!({"code": p.sku, "quantity": null, "choices": null}),
        );
    }
    let t = ok(&mut s, "ticket", json!({}));
    let total = t["total"].as_i64().unwrap();
    assert!(t["service_charge"]["amount"].as_i64().unwrap() > 0);

    let even = ok(&mut s, "split_bill", json!({"guests": 3, "lines": null}));
    let amounts: Vec<i64> = even
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["amount"].as_i64().unwrap())
        .collect();
    assert_eq!(amounts.iter().sum::<i64>(), total);
    assert!(amounts.iter().max().unwrap() - amounts.iter().min().unwrap() <= 1);

    // By item: a line left out, or given to a guest that is not there, is refused.
    let e = dispatch(
        &mut s,
        "split_bill",
        json!({"guests": 2, "lines": [{"line_no": 1, "guest": 1}]}),
    )
    .unwrap_err();
    assert!(
        e.message.contains('3') || e.message.contains("not"),
        "{}",
        e.message
    );
    let e = dispatch(
        &mut s,
        "split_bill",
        json!({"guests": 2, "lines": [
        {"line_no": 1, "guest": 1}, {"line_no": 2, "guest": 3}, {"line_no": 3, "guest": 2}]}),
    )
    .unwrap_err();
    assert!(e.message.contains("guest 3"), "{}", e.message);
    let by_item = ok(
        &mut s,
        "split_bill",
        json!({"guests": 2, "lines": [
        {"line_no": 1, "guest": 1}, {"line_no": 2, "guest": 2}, {"line_no": 3, "guest": 2}]}),
    );
    let g1 = by_item[0]["amount"].as_i64().unwrap();
    let g2 = by_item[1]["amount"].as_i64().unwrap();
    assert_eq!(g1 + g2, total);
    assert_eq!(by_item[1]["lines"], json!([2, 3]));
    assert!(
        g1 > drinks[0].price.0,
        "guest 1 pays their drink and its service charge"
    );

    // Guest 1 pays their share by card; guest 2 the rest with a 2.00 tip on their card.
    let major = |m: i64| format!("{}.{:02}", m / 100, m % 100);
    let r = ok(
        &mut s,
        "pay",
        json!({
            "tenders": [card(&major(g1)), card(&major(g2 + 200))],
            "confirm_out_of_stock": true, "approval": null,
            "tip": {"amount": "2.00", "kind": "card"}
        }),
    );
    assert_eq!(r["total"], total);
    let text = r["text"].as_str().unwrap();
    assert!(
        text.contains("Service charge 18%") && text.contains("of which tip (card)"),
        "{text}"
    );
    let x = ok(&mut s, "shift_report", json!({}));
    assert!(
        x["text"].as_str().unwrap().contains("tips by card"),
        "{}",
        x["text"]
    );
}

#[test]
fn a_drink_is_rung_up_with_the_choices_from_the_picker() {
    let (_dir, mut s) = bar(|_| {});
    let whisky = demo_catalog()
        .into_iter()
        .find(|p| p.name == "Whisky single malt")
        .unwrap();
    let view = ok(&mut s, "product", json!({"code": whisky.sku}));
    assert_eq!(view["modifier_groups"].as_array().unwrap().len(), 2);
    let t = ok(
        &mut s,
        "add_item",
        json!({"code": whisky.sku, "quantity": null, "choices": [
            {"group_id": "ice", "option_id": "rocks"}, {"group_id": "mixer", "option_id": "tonic"}]}),
    );
    assert_eq!(t["lines"].as_array().unwrap().len(), 1, "{t}");
    assert_eq!(t["lines"][0]["unit_price"], whisky.price.0 + 150);
    assert_eq!(t["lines"][0]["modifiers"][0]["name"], "On the rocks");
    let e = dispatch(
        &mut s,
        "add_item",
        json!({"code": whisky.sku, "quantity": null, "choices": [{"group_id": "ice", "option_id": "shaken"}]}),
    )
    .unwrap_err();
    assert!(e.message.contains("shaken"), "{}", e.message);
}
