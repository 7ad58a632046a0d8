//! The window's use cases through the IPC dispatcher, exactly as the window calls them:
//! JSON in, JSON or `{code, message}` out, on a real till database.

use purser_testkit::till::{new_till, TestClock};

use std::path::PathBuf;
use std::sync::Arc;

use chrono::Utc;
use serde_json::{json, Value};

use purser_app::demo::{demo_catalog, ensure_demo_users};
use purser_app::{AppError, Config};
use purser_core::catalog::{Product, SoldBy};
use purser_core::money::Money;
use purser_window::desk::{Desk, Offline};
use purser_window::ipc::dispatch;
use purser_window::station::Station;

struct Fixture {
    dir: tempfile::TempDir,
    clock: Arc<TestClock>,
    station: Station,
}

/// A till with the demo catalog and users, behind a desk with no relay or streams.
fn desk_fixture(edit: impl FnOnce(&mut Config)) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let (clock, mut till) = new_till(&dir, edit);
    till.import_products(&demo_catalog()).unwrap();
    ensure_demo_users(&mut till).unwrap();
    let receipts = dir.path().join("receipts");
    Fixture {
        station: Station::Ready(Box::new(Desk::new(till, Box::new(Offline), receipts, true))),
        dir,
        clock,
    }
}

fn fixture() -> Fixture {
    desk_fixture(|_| {})
}

impl Fixture {
    fn call(&mut self, name: &str, args: Value) -> Result<Value, AppError> {
        dispatch(&mut self.station, name, args)
    }
    fn ok(&mut self, name: &str, args: Value) -> Value {
        self.call(name, args)
            .unwrap_or_else(|e| panic!("{name} failed: {e:?}"))
    }
    fn refused(&mut self, name: &str, args: Value) -> (String, String) {
        let e = self
            .call(name, args)
            .expect_err(&format!("{name} should have been refused"));
        let v = serde_json::to_value(&e).unwrap();
        (
            v["code"].as_str().unwrap().to_string(),
            v["message"].as_str().unwrap().to_string(),
        )
    }
    fn advance(&self, secs: i64) {
        self.clock.advance(secs);
    }
    fn signed_in_with_shift(&mut self) {
        self.ok("sign_in", json!({"user_id": "ana", "pin": "1234"}));
        self.ok("open_shift", json!({"float": "150.00"}));
    }
}

fn barcode(p: &Product) -> String {
    // Stored as GTIN-14; a scanner reads the EAN-13.
    p.barcodes[0].trim_start_matches('0').to_string()
}

fn unit_products() -> Vec<Product> {
    demo_catalog()
        .into_iter()
        .filter(|p| {
            p.sold_by == SoldBy::Unit && !p.barcodes.is_empty() && p.barcodes[0].starts_with('0')
        })
        .collect()
}

#[test]
fn nothing_happens_before_sign_in_and_wrong_pins_are_refused() {
    let mut f = fixture();
    let info = f.ok("app_info", json!({}));
    assert_eq!(info["currency"], "EUR");
    assert_eq!(info["demo"], true);
    let (code, _) = f.refused("ticket", json!({}));
    assert_eq!(code, "sign_in_required");
    let (code, msg) = f.refused("sign_in", json!({"user_id": "ana", "pin": "9999"}));
    assert_eq!(code, "wrong_pin");
    assert!(!msg.contains("ana") || msg.contains("wrong"));
    let (code, _) = f.refused("sign_in", json!({"user_id": "nobody", "pin": "1234"}));
    assert_eq!(code, "wrong_pin");
    let s = f.ok("sign_in", json!({"user_id": "ana", "pin": "1234"}));
    assert_eq!(s["user"]["role"], "cashier");
    assert!(s["shift"].is_null());
    let (code, _) = f.refused("add_item", json!({"code": "X", "quantity": null}));
    assert_eq!(code, "no_open_shift");
}

#[test]
fn a_whole_sale_with_discount_approval_split_tender_refund_void_and_z_report() {
    let mut f = fixture();
    f.signed_in_with_shift();
    let items = unit_products();
    for p in &items[..3] {
        f.ok("add_item", json!({"code": barcode(p), "quantity": null}));
    }
    // Scanning the first item again adds to its line... only when it is the last line.
    let t = f.ok(
        "add_item",
        json!({"code": barcode(&items[2]), "quantity": null}),
    );
    assert_eq!(t["lines"].as_array().unwrap().len(), 3);
    assert_eq!(t["lines"][2]["quantity"], "2");
    let expected: i64 = items[0].price.0 + items[1].price.0 + 2 * items[2].price.0;
    assert_eq!(t["total"], expected);

    // 5 % is within the cashier's limit; 20 % needs a supervisor; a cashier cannot approve.
    let t = f.ok(
        "set_discount",
        json!({"line_no": 1, "discount": "5%", "approval": null}),
    );
    assert!(t["lines"][0]["line_discount"].as_i64().unwrap() > 0);
    let (code, _) = f.refused(
        "set_discount",
        json!({"line_no": null, "discount": "20%", "approval": null}),
    );
    assert_eq!(code, "approval_required");
    let (code, _) = f.refused(
        "set_discount",
        json!({"line_no": null, "discount": "20%", "approval": {"user_id": "ana", "pin": "1234"}}),
    );
    assert_eq!(code, "not_allowed");
    let t = f.ok(
        "set_discount",
        json!({"line_no": null, "discount": "20%", "approval": {"user_id": "ben", "pin": "2468"}}),
    );
    let total = t["total"].as_i64().unwrap();
    assert!(total < expected);
    assert_eq!(t["cart_discount_label"], "-20%");

    // Split: 1.00 cash, the rest by card.
    let r = f.ok(
        "pay",
        json!({"confirm_out_of_stock": false, "tenders": [
            {"kind": "cash", "amount": null, "tendered": "1.00", "brand": null, "last4": null, "approval_code": null, "offline": false, "account_id": null},
            {"kind": "card", "amount": null, "tendered": null, "brand": "visa", "last4": "4242", "approval_code": "A1B2C3", "offline": false, "account_id": null}
        ]}),
    );
    assert_eq!(r["kind"], "sale");
    assert_eq!(r["total"], total);
    assert_eq!(r["change"], 0);
    assert!(r["text"].as_str().unwrap().contains("VISA ****4242"));
    let receipt_no = r["receipt_no"].as_str().unwrap().to_string();
    // The ticket is empty for the next customer.
    assert_eq!(
        f.ok("ticket", json!({}))["lines"].as_array().unwrap().len(),
        0
    );

    // Refund one unit of line 3 with a supervisor's PIN; never more than sold.
    let sale = f.ok("find_sale", json!({"receipt_no": receipt_no}));
    assert_eq!(sale["can_void"], true);
    assert_eq!(sale["lines"][2]["refundable"], 2);
    let approval = json!({"user_id": "ben", "pin": "2468"});
    let cash = json!({"kind": "cash", "amount": null, "tendered": null, "brand": null, "last4": null, "approval_code": null, "offline": false, "account_id": null});
    let (code, _) = f.refused(
        "refund",
        json!({"receipt_no": receipt_no, "lines": [{"line_no": 3, "quantity": 3}], "tender": cash, "reason": "broken", "approval": approval}),
    );
    assert_eq!(code, "not_allowed");
    let (code, _) = f.refused(
        "refund",
        json!({"receipt_no": receipt_no, "lines": [{"line_no": 3, "quantity": 1}], "tender": cash, "reason": "broken", "approval": {"user_id": "ben", "pin": "0000"}}),
    );
    assert_eq!(code, "wrong_pin");
    let refund = f.ok(
        "refund",
        json!({"receipt_no": receipt_no, "lines": [{"line_no": 3, "quantity": 1}], "tender": cash, "reason": "broken", "approval": approval}),
    );
    assert_eq!(refund["kind"], "refund");
    assert!(refund["text"].as_str().unwrap().contains("ben"));
    let sale = f.ok("find_sale", json!({"receipt_no": receipt_no}));
    assert_eq!(sale["lines"][2]["refunded"], 1);
    assert_eq!(sale["can_void"], false);

    // A second sale, post-voided.
    f.ok(
        "add_item",
        json!({"code": barcode(&items[4]), "quantity": "3"}),
    );
    let r2 = f.ok(
        "pay",
        json!({"confirm_out_of_stock": false, "tenders": [cash]}),
    );
    let void = f.ok(
        "void_sale",
        json!({"receipt_no": r2["receipt_no"], "reason": "rang up twice", "approval": approval}),
    );
    assert_eq!(void["kind"], "void");
    f.ok(
        "open_drawer",
        json!({"reason": "change for a note", "approval": approval}),
    );

    // Z: expected cash = float + 1.00 cash - the refund; counted 1.00 short.
    let refund_total = refund["total"].as_i64().unwrap();
    let expected_cash = 15_000 + 100 - refund_total;
    let x = f.ok("shift_report", json!({}));
    assert_eq!(x["expected_cash"], expected_cash);
    let counted = Money(expected_cash - 100);
    let z = f.ok(
        "close_shift",
        json!({"counted": format!("{}.{:02}", counted.0 / 100, counted.0 % 100), "kind": "z"}),
    );
    assert_eq!(z["kind"], "Z");
    assert_eq!(z["over_short"], -100);
    assert_eq!(z["net_sales"], total - refund_total);
    assert!(z["text"].as_str().unwrap().contains("Z"));

    // Reprint and PDF from the journal.
    let again = f.ok("reprint", json!({"receipt_no": receipt_no}));
    assert_eq!(again["text"], r["text"]);
    assert!(again["printed"].is_null(), "no printer configured");
    let pdf = f.ok("receipt_pdf", json!({"receipt_no": receipt_no}));
    let bytes = std::fs::read(PathBuf::from(pdf["path"].as_str().unwrap())).unwrap();
    assert!(bytes.starts_with(b"%PDF-"));
    assert!(pdf["path"]
        .as_str()
        .unwrap()
        .starts_with(f.dir.path().to_str().unwrap()));
}

#[test]
fn a_price_change_mid_sale_keeps_the_rung_up_price() {
    let mut f = fixture();
    f.signed_in_with_shift();
    let mut p = unit_products()[0].clone();
    let old = p.price;
    f.ok("add_item", json!({"code": p.sku, "quantity": null}));
    p.price = Money(old.0 + 50);
    f.desk_import(&p);
    let t = f.ok("ticket", json!({}));
    assert_eq!(t["lines"][0]["unit_price"], old.0);
    assert_eq!(t["price_changed"][0], p.name.as_str());
    // The next scan uses the new price, on a line of its own.
    let t = f.ok("add_item", json!({"code": p.sku, "quantity": null}));
    assert_eq!(t["lines"].as_array().unwrap().len(), 2);
    assert_eq!(t["lines"][1]["unit_price"], old.0 + 50);
    let cash = json!({"kind": "cash", "amount": null, "tendered": null, "brand": null, "last4": null, "approval_code": null, "offline": false, "account_id": null});
    let r = f.ok(
        "pay",
        json!({"confirm_out_of_stock": false, "tenders": [cash]}),
    );
    assert_eq!(r["total"], 2 * old.0 + 50);
}

trait Import {
    fn desk_import(&mut self, p: &Product);
}
impl Import for Fixture {
    fn desk_import(&mut self, p: &Product) {
        // Headquarters' update, as the inbound stream would write it.
        let db = self.dir.path().join("till.db");
        let mut store = purser_store::Store::open(&db).unwrap();
        store
            .upsert_products(std::slice::from_ref(p), Utc::now())
            .unwrap();
    }
}

#[test]
fn the_till_locks_itself_after_inactivity_and_keeps_the_ticket() {
    let mut f = fixture();
    f.signed_in_with_shift();
    let p = unit_products()[0].clone();
    f.ok("add_item", json!({"code": p.sku, "quantity": null}));
    f.advance(4 * 60);
    f.ok("ticket", json!({}));
    f.advance(5 * 60 + 1);
    let st = f.ok("status", json!({}));
    assert_eq!(st["locked"], true);
    assert_eq!(st["signed_in"], false);
    let (code, _) = f.refused("add_item", json!({"code": p.sku, "quantity": null}));
    assert_eq!(code, "sign_in_required");
    f.ok("sign_in", json!({"user_id": "ana", "pin": "1234"}));
    let t = f.ok("ticket", json!({}));
    assert_eq!(t["lines"].as_array().unwrap().len(), 1);
    // Lock at once, by hand.
    f.ok("lock", json!({}));
    assert_eq!(f.refused("ticket", json!({})).0, "sign_in_required");
}

#[test]
fn weighed_items_ask_for_a_weight_and_bad_input_is_refused_without_trace() {
    let mut f = fixture();
    f.signed_in_with_shift();
    let w = demo_catalog()
        .into_iter()
        .find(|p| p.sold_by == SoldBy::Weight)
        .unwrap();
    assert_eq!(
        f.refused("add_item", json!({"code": w.sku, "quantity": null}))
            .0,
        "needs_weight"
    );
    let t = f.ok("add_item", json!({"code": w.sku, "quantity": "0.350kg"}));
    assert_eq!(t["lines"][0]["quantity"], "0.350 kg");
    assert_eq!(t["lines"][0]["weighed"], true);
    let before = f.ok("ticket", json!({}));
    for (name, args, want) in [
        (
            "add_item",
            json!({"code": "4006381333932", "quantity": null}),
            "invalid_barcode",
        ),
        (
            "add_item",
            json!({"code": "NOPE-1", "quantity": null}),
            "not_found",
        ),
        (
            "add_item",
            json!({"code": w.sku, "quantity": "-1kg"}),
            "invalid_input",
        ),
        (
            "set_quantity",
            json!({"line_no": 1, "quantity": "-2"}),
            "invalid_input",
        ),
        (
            "set_quantity",
            json!({"line_no": 99, "quantity": "2"}),
            "not_found",
        ),
        (
            "set_discount",
            json!({"line_no": 1, "discount": "150%", "approval": null}),
            "invalid_input",
        ),
        ("add_item", json!({"code": 42}), "invalid_input"),
        ("no_such_command", json!({}), "invalid_input"),
        (
            "pay",
            json!({"confirm_out_of_stock": false, "tenders": [{"kind": "card", "amount": null, "tendered": null, "brand": "VISA", "last4": "4111111111111111", "approval_code": "X", "offline": false, "account_id": null}]}),
            "card_number_refused",
        ),
        (
            "pay",
            json!({"confirm_out_of_stock": false, "tenders": [{"kind": "cash", "amount": null, "tendered": "0.01", "brand": null, "last4": null, "approval_code": null, "offline": false, "account_id": null}]}),
            "payment_refused",
        ),
        (
            "pay",
            json!({"confirm_out_of_stock": false, "tenders": [{"kind": "cheque", "amount": null, "tendered": null, "brand": null, "last4": null, "approval_code": null, "offline": false, "account_id": null}]}),
            "invalid_input",
        ),
        ("open_shift", json!({"float": "10"}), "shift_already_open"),
        (
            "close_shift",
            json!({"counted": "10", "kind": "z"}),
            "not_allowed",
        ),
        ("users", json!({}), "not_allowed"),
    ] {
        assert_eq!(f.refused(name, args.clone()).0, want, "{name} {args}");
    }
    // Nothing of that changed the ticket or recorded anything.
    assert_eq!(f.ok("ticket", json!({})), before);
    assert_eq!(
        f.ok("status", json!({}))["outbox_pending"],
        1,
        "only the shift opening"
    );
}

#[test]
fn a_ticket_too_large_for_the_cluster_is_refused_at_the_till_and_nothing_is_recorded() {
    // Defect: an event larger than the cluster's message.max.bytes was recorded, then
    // refused by the cluster forever, and every later event waited behind it.
    let mut f = desk_fixture(|c| {
        c.kafka
            .extra
            .insert("message.max.bytes".into(), "4000".into());
    });
    f.signed_in_with_shift();
    let items = unit_products();
    for p in &items[..24] {
        f.ok("add_item", json!({"code": barcode(p), "quantity": null}));
    }
    let cash = json!({"confirm_out_of_stock": true, "tenders": [{"kind": "cash", "amount": null, "tendered": null, "brand": null, "last4": null, "approval_code": null, "offline": false, "account_id": null}]});
    let (code, msg) = f.refused("pay", cash.clone());
    assert_eq!(code, "too_large", "{msg}");
    assert!(
        msg.contains("sale.completed") && msg.contains("4000"),
        "{msg}"
    );
    // Nothing was recorded and the ticket is still there to be split.
    assert_eq!(f.ok("status", json!({}))["outbox_pending"], 1);
    assert_eq!(
        f.ok("ticket", json!({}))["lines"].as_array().unwrap().len(),
        24
    );
    for n in 1..=18 {
        f.ok("void_line", json!({"line_no": n}));
    }
    let r = f.ok("pay", cash);
    assert_eq!(r["kind"], "sale");
    assert_eq!(f.ok("status", json!({}))["outbox_pending"], 2);
}

#[test]
fn the_discount_limit_holds_when_the_sale_is_recorded_not_only_when_it_is_typed() {
    // Defect: a fixed cart discount within the cashier's 10 % became 100 % of a ticket
    // whose other line was voided afterwards, and the sale went through unapproved.
    let mut f = fixture();
    f.signed_in_with_shift();
    let items = unit_products();
    let (small, big) = (
        &items[0],
        items
            .iter()
            .find(|p| p.price.0 >= 4 * items[0].price.0)
            .unwrap(),
    );
    f.ok(
        "add_item",
        json!({"code": barcode(small), "quantity": null}),
    );
    f.ok("add_item", json!({"code": barcode(big), "quantity": null}));
    // Half the small item: within 10 % of both, half of what is left after the void.
    let d = small.price.0 / 2;
    let amount = format!("{}.{:02}", d / 100, d % 100);
    f.ok(
        "set_discount",
        json!({"line_no": null, "discount": amount, "approval": null}),
    );
    f.ok("void_line", json!({"line_no": 2}));
    let cash = |approval: Value| json!({"confirm_out_of_stock": true, "approval": approval, "tenders": [{"kind": "cash", "amount": null, "tendered": null, "brand": null, "last4": null, "approval_code": null, "offline": false, "account_id": null}]});
    let (code, msg) = f.refused("pay", cash(Value::Null));
    assert_eq!(code, "approval_required", "{msg}");
    assert!(msg.contains("above the 10%"), "{msg}");
    // A cashier cannot approve it; a supervisor's PIN can, and the sale says who.
    let (code, _) = f.refused("pay", cash(json!({"user_id": "ana", "pin": "1234"})));
    assert_eq!(code, "not_allowed");
    let r = f.ok("pay", cash(json!({"user_id": "ben", "pin": "2468"})));
    assert_eq!(r["kind"], "sale");
    let till_db = f.dir.path().join("till.db");
    let payload: String = rusqlite::Connection::open(till_db)
        .unwrap()
        .query_row(
            "SELECT payload FROM outbox WHERE event_type = 'sale.completed' ORDER BY till_seq DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let v: Value = serde_json::from_str(&payload).unwrap();
    assert_eq!(v["discount_approved_by"], "ben", "{v}");
}

#[test]
fn an_approved_discount_goes_through_at_payment_without_a_second_pin() {
    let mut f = fixture();
    f.signed_in_with_shift();
    let p = &unit_products()[0];
    f.ok("add_item", json!({"code": barcode(p), "quantity": null}));
    f.ok(
        "set_discount",
        json!({"line_no": 1, "discount": "20%", "approval": {"user_id": "ben", "pin": "2468"}}),
    );
    let r = f.ok("pay", json!({"confirm_out_of_stock": true, "approval": null, "tenders": [{"kind": "cash", "amount": null, "tendered": null, "brand": null, "last4": null, "approval_code": null, "offline": false, "account_id": null}]}));
    assert_eq!(r["kind"], "sale");
}

#[test]
fn managers_see_the_users() {
    let mut f = fixture();
    f.ok("sign_in", json!({"user_id": "mia", "pin": "1357"}));
    let users = f.ok("users", json!({}));
    let ids: Vec<&str> = users
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["user_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["ana", "ben", "mia"]);
    assert!(
        users.to_string().find("pin").is_none(),
        "no PIN hash leaves the till"
    );
}

#[test]
fn receipts_go_to_the_network_printer_and_a_dead_printer_never_blocks_a_sale() {
    use std::io::Read;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let mut f = desk_fixture(|cfg| cfg.till.printer = Some(addr.clone()));
    f.signed_in_with_shift();
    let p = unit_products()[0].clone();
    f.ok("add_item", json!({"code": p.sku, "quantity": null}));
    let cash = json!({"kind": "cash", "amount": null, "tendered": "50", "brand": null, "last4": null, "approval_code": null, "offline": false, "account_id": null});
    let r = f.ok(
        "pay",
        json!({"confirm_out_of_stock": false, "tenders": [cash]}),
    );
    assert_eq!(r["printed"], true, "queued for the printer");
    assert_eq!(r["opens_drawer"], true);
    let (mut conn, _) = listener.accept().unwrap();
    let mut bytes = Vec::new();
    conn.read_to_end(&mut bytes).unwrap();
    let receipt_no = r["receipt_no"].as_str().unwrap();
    assert!(bytes.starts_with(&[0x1b, b'@']), "ESC/POS initialise first");
    assert!(bytes
        .windows(receipt_no.len())
        .any(|w| w == receipt_no.as_bytes()));
    assert!(
        bytes.windows(5).any(|w| w == [0x1b, b'p', 0, 25, 250]),
        "cash sale kicks the drawer"
    );
    // The printer goes away: the next sale is recorded at once; the status bar says why
    // nothing printed.
    drop(conn);
    drop(listener);
    f.ok("add_item", json!({"code": p.sku, "quantity": null}));
    let second = f.ok(
        "pay",
        json!({"confirm_out_of_stock": false, "tenders": [cash]}),
    );
    assert_eq!(
        second["printed"], true,
        "queued; the sale itself is recorded"
    );
    let mut error = serde_json::Value::Null;
    for _ in 0..100 {
        error = f.ok("status", json!({}))["printer_error"].clone();
        if !error.is_null() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(error.as_str().unwrap().contains(&addr), "{error}");
}
