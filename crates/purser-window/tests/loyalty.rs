//! Loyalty at the till, through the window's JSON dispatcher on a real SQLite file:
//! members arriving from the accounts stream, earning, redeeming within balance and caps,
//! reversals on refunds and voids, enrolment offline, cabin charges with their limits, and
//! a balance update from the stream combined with the till's own unsynced points.

use purser_testkit::till::{new_till, TestClock};

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use purser_app::demo::ensure_demo_users;
use purser_app::Config;
use purser_core::catalog::{Product, SoldBy};
use purser_core::inbound::{ChargeAccount, Inbound, LoyaltyAccountRecord, MemberStatus};
use purser_core::tender::AccountKind;
use purser_core::Money;
use purser_store::{Consumed, Store};
use purser_window::desk::{Desk, Offline};
use purser_window::ipc::dispatch;
use purser_window::station::Station;

const ACCOUNTS: &str = "pos.loyalty-accounts.v1";

struct Fixture {
    dir: tempfile::TempDir,
    clock: Arc<TestClock>,
    station: Station,
    offset: i64,
}

fn products() -> Vec<Product> {
    let p = |sku: &str, name: &str, price: i64, cat: &str| {
        Product::new(
            sku,
            name,
            &[],
            Money(price),
            "standard",
            SoldBy::Unit,
            Some(cat),
            true,
        )
        .unwrap()
    };
    vec![
        p("COF", "Flat white", 450, "Coffee"),
        p("CAKE", "Carrot cake", 1250, "Bakery"),
        p("CIG", "Cigarillos", 900, "Tobacco"),
    ]
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let (clock, mut till) = new_till(&dir, |c: &mut Config| {
        c.loyalty.points_per_unit = 10;
        c.loyalty.tier_multiplier_percent = [("gold".to_string(), 200)].into_iter().collect();
        c.loyalty.excluded_categories = vec!["Tobacco".into()];
        c.loyalty.member_daily_cap = 1_000;
        c.loyalty.till_daily_cap = 1_500;
        c.store.point_value = 1;
        c.loyalty.rewards = [("COF".to_string(), 200)].into_iter().collect();
    });
    till.import_products(&products()).unwrap();
    ensure_demo_users(&mut till).unwrap();
    let mut f = Fixture {
        station: Station::Ready(Box::new(Desk::new(
            till,
            Box::new(Offline),
            dir.path().join("r"),
            true,
        ))),
        dir,
        clock,
        offset: 0,
    };
    f.publish(member("M1", "Ada Lovelace", "LC-0001", 2_000, "gold", None));
    f.publish(member(
        "M2",
        "Alan Turing",
        "LC-0002",
        100,
        "member",
        Some(("CABIN-7002", 10_000)),
    ));
    let mut closed = member(
        "M3",
        "Charles Babbage",
        "LC-0003",
        500,
        "member",
        Some(("CABIN-7003", 10_000)),
    );
    closed.status = MemberStatus::Closed;
    f.publish(closed);
    f.ok("sign_in", json!({"user_id": "ana", "pin": "1234"}));
    f.ok("open_shift", json!({"float": "100.00"}));
    f
}

fn member(
    id: &str,
    name: &str,
    card: &str,
    balance: i64,
    tier: &str,
    account: Option<(&str, i64)>,
) -> LoyaltyAccountRecord {
    LoyaltyAccountRecord {
        schema_version: 1,
        member_id: id.into(),
        name: name.into(),
        card_ids: vec![card.into()],
        phone: Some(format!("+44 20 7946 0{}", &id[1..])),
        email: Some(format!("{}@example.org", id.to_lowercase())),
        tier: tier.into(),
        points_balance: balance,
        status: MemberStatus::Active,
        charge_account: account.map(|(a, limit)| ChargeAccount {
            account_kind: AccountKind::Cabin,
            account_id: a.into(),
            offline_limit: Money(limit),
        }),
        updated_at: "2026-11-25T07:00:00Z".parse::<DateTime<Utc>>().unwrap(),
        applied_till_seq: BTreeMap::new(),
    }
}

fn tender(kind: &str, extra: Value) -> Value {
    let mut t = json!({"kind": kind, "amount": null, "tendered": null, "brand": null, "last4": null,
        "approval_code": null, "offline": false, "account_id": null, "points": null});
    for (k, v) in extra.as_object().unwrap() {
        t[k] = v.clone();
    }
    t
}

impl Fixture {
    /// Applies a record as the accounts stream consumer would, on its own connection.
    fn publish(&mut self, rec: LoyaltyAccountRecord) {
        let mut store = Store::open(&self.dir.path().join("till.db")).unwrap();
        self.offset += 1;
        store
            .apply_inbound(
                ACCOUNTS,
                &[Consumed {
                    partition: 0,
                    offset: self.offset,
                    key: Some(rec.member_id.clone()),
                    outcome: Ok(Inbound::Member(rec)),
                    excerpt: None,
                }],
                Utc::now(),
            )
            .unwrap();
    }
    fn call(&mut self, name: &str, args: Value) -> Result<Value, purser_app::AppError> {
        dispatch(&mut self.station, name, args)
    }
    fn ok(&mut self, name: &str, args: Value) -> Value {
        self.call(name, args)
            .unwrap_or_else(|e| panic!("{name} failed: {e:?}"))
    }
    fn refused(&mut self, name: &str, args: Value) -> (String, String) {
        let e = self
            .call(name, args)
            .expect_err(&format!("{name} should be refused"));
        let v = serde_json::to_value(&e).unwrap();
        (
            v["code"].as_str().unwrap().into(),
            v["message"].as_str().unwrap().into(),
        )
    }
    fn ring(&mut self, codes: &[&str]) -> Value {
        let mut t = Value::Null;
        for c in codes {
            t = self.ok("add_item", json!({"code": c, "quantity": null}));
        }
        t
    }
    fn pay(&mut self, tenders: Vec<Value>, approval: Value) -> Result<Value, (String, String)> {
        let args = json!({"confirm_out_of_stock": false, "tenders": tenders, "approval": approval});
        self.call("pay", args).map_err(|e| {
            let v = serde_json::to_value(&e).unwrap();
            (
                v["code"].as_str().unwrap().into(),
                v["message"].as_str().unwrap().into(),
            )
        })
    }
    fn member(&mut self, key: &str) -> Value {
        let found = self.ok("find_members", json!({"text": key}));
        assert_eq!(found.as_array().unwrap().len(), 1, "{key}: {found}");
        found[0].clone()
    }
    fn outbox(&self) -> Vec<purser_store::OutboxRow> {
        Store::open(&self.dir.path().join("till.db"))
            .unwrap()
            .outbox_pending(0, 1000)
            .unwrap()
    }
}

#[test]
fn scan_a_card_earn_redeem_and_see_the_balance() {
    let mut f = fixture();
    // Scanning a loyalty card puts the member on the sale; phone and e-mail find them.
    let t = f.ring(&["LC-0001"]);
    assert_eq!(t["member"]["name"], "Ada Lovelace");
    assert_eq!(t["member"]["tier"], "gold");
    assert_eq!(t["member"]["available"], 2_000);
    assert_eq!(f.member("7946 01")["member_id"], "M1");
    assert_eq!(f.member("m1@EXAMPLE.org")["member_id"], "M1");
    assert_eq!(f.member("lovel")["member_id"], "M1");

    // 4.50 coffee + 12.50 cake + 9.00 tobacco (excluded): 17.00 × 10 points × gold 200 %.
    f.ring(&["COF", "CAKE", "CIG"]);
    let r = f
        .pay(
            vec![tender(
                "card",
                json!({"brand": "VISA", "last4": "4242", "approval_code": "A1"}),
            )],
            Value::Null,
        )
        .unwrap();
    assert_eq!(r["loyalty"]["earned"], 340);
    assert_eq!(r["loyalty"]["balance"], 2_340);
    let text = r["text"].as_str().unwrap();
    assert!(
        text.contains("Points earned") && text.contains("+340") && text.contains("2340"),
        "{text}"
    );
    // Unsynced earnings do not count as available by default.
    assert_eq!(f.member("M1")["available"], 2_000);
    assert_eq!(f.member("M1")["balance"], 2_340);

    // Next sale: 300 points pay 3.00 of a 12.50 cake, the rest by card; 9.50 earns.
    f.ring(&["LC-0001", "CAKE"]);
    let r = f
        .pay(
            vec![
                tender("points", json!({"points": "300"})),
                tender(
                    "card",
                    json!({"brand": "VISA", "last4": "4242", "approval_code": "A2"}),
                ),
            ],
            Value::Null,
        )
        .unwrap();
    assert_eq!(r["loyalty"]["redeemed"], 300);
    assert_eq!(r["loyalty"]["earned"], 190);
    assert_eq!(f.member("M1")["available"], 1_700);
    assert_eq!(f.member("M1")["balance"], 2_230);

    // Loyalty events are keyed by member on pos.loyalty.v1, in till_seq order with the sale.
    let rows = f.outbox();
    let loyalty: Vec<_> = rows
        .iter()
        .filter(|r| r.topic == "pos.loyalty.v1")
        .collect();
    assert_eq!(
        loyalty
            .iter()
            .map(|r| r.event_type.as_str())
            .collect::<Vec<_>>(),
        [
            "loyalty.points_earned",
            "loyalty.points_redeemed",
            "loyalty.points_earned"
        ]
    );
    assert!(loyalty.iter().all(|r| r.key == "M1"));
    let sale = rows
        .iter()
        .rfind(|r| r.event_type == "sale.completed")
        .unwrap();
    let v: Value = serde_json::from_str(&sale.payload).unwrap();
    assert_eq!(v["member_id"], "M1");
    assert_eq!(v["tenders"][0]["kind"], "points");
}

#[test]
fn redemptions_within_balance_and_caps_with_supervisor_override() {
    let mut f = fixture();
    f.ring(&["LC-0001", "CAKE"]);
    // More than the balance: refused, even with approval.
    let (code, msg) = f
        .pay(
            vec![tender("points", json!({"points": "2500"}))],
            Value::Null,
        )
        .unwrap_err();
    assert_eq!(code, "payment_refused", "{msg}");
    // More than the sale: refused.
    let (code, _) = f
        .pay(
            vec![tender("points", json!({"points": "1300"}))],
            Value::Null,
        )
        .unwrap_err();
    assert_eq!(code, "payment_refused");
    // Above the member's daily cap (1000): a supervisor must approve; a cashier cannot.
    let (code, msg) = f
        .pay(
            vec![
                tender("points", json!({"points": "1100"})),
                tender("cash", json!({})),
            ],
            Value::Null,
        )
        .unwrap_err();
    assert_eq!(code, "approval_required", "{msg}");
    let (code, _) = f
        .pay(
            vec![
                tender("points", json!({"points": "1100"})),
                tender("cash", json!({})),
            ],
            json!({"user_id": "ana", "pin": "1234"}),
        )
        .unwrap_err();
    assert_eq!(code, "not_allowed");
    let r = f
        .pay(
            vec![
                tender("points", json!({"points": "1100"})),
                tender("cash", json!({})),
            ],
            json!({"user_id": "ben", "pin": "2468"}),
        )
        .unwrap();
    assert_eq!(r["loyalty"]["redeemed"], 1100);
    let ev = f
        .outbox()
        .into_iter()
        .find(|r| r.event_type == "loyalty.points_redeemed")
        .unwrap();
    let v: Value = serde_json::from_str(&ev.payload).unwrap();
    assert_eq!(v["approved_by"], "ben");
    assert_eq!(v["available_before"], 2_000);

    // Points without a member on the sale, and a closed member, are refused.
    f.ring(&["COF"]);
    let (code, _) = f
        .pay(vec![tender("points", json!({"points": "10"}))], Value::Null)
        .unwrap_err();
    assert_eq!(code, "not_allowed");
    let (code, msg) = f.refused("attach_member", json!({"key": "LC-0003"}));
    assert_eq!(code, "not_allowed", "{msg}");
    for bad in ["-5", "0", "ten", "1.5"] {
        f.ok("attach_member", json!({"key": "M2"}));
        let (code, _) = f
            .pay(vec![tender("points", json!({"points": bad}))], Value::Null)
            .unwrap_err();
        assert_eq!(code, "invalid_input", "{bad}");
    }
    // Nothing was recorded by the refusals.
    assert_eq!(
        f.outbox()
            .iter()
            .filter(|r| r.event_type == "sale.completed")
            .count(),
        1
    );
}

#[test]
fn till_cap_bounds_all_members_together() {
    let mut f = fixture();
    f.publish(member(
        "M4",
        "Grace Hopper",
        "LC-0004",
        5_000,
        "member",
        None,
    ));
    for (card, pts) in [("LC-0001", "900"), ("LC-0004", "500")] {
        f.ring(&[card, "CAKE"]);
        f.pay(
            vec![
                tender("points", json!({"points": pts})),
                tender("cash", json!({})),
            ],
            Value::Null,
        )
        .unwrap();
    }
    // 1400 of the till's 1500 are used: 200 more needs approval even for a fresh member.
    f.publish(member(
        "M5",
        "Edsger Dijkstra",
        "LC-0005",
        5_000,
        "member",
        None,
    ));
    f.ring(&["LC-0005", "CAKE"]);
    let (code, msg) = f
        .pay(
            vec![
                tender("points", json!({"points": "200"})),
                tender("cash", json!({})),
            ],
            Value::Null,
        )
        .unwrap_err();
    assert_eq!(code, "approval_required");
    assert!(msg.contains("this till"), "{msg}");
    f.pay(
        vec![
            tender("points", json!({"points": "100"})),
            tender("cash", json!({})),
        ],
        Value::Null,
    )
    .unwrap();
}

#[test]
fn stream_update_after_local_redemptions_is_not_counted_twice() {
    let mut f = fixture();
    f.ring(&["LC-0001", "CAKE"]);
    f.pay(
        vec![
            tender("points", json!({"points": "500"})),
            tender("cash", json!({})),
        ],
        Value::Null,
    )
    .unwrap();
    let m = f.member("M1");
    assert_eq!(
        (m["available"].as_i64(), m["balance"].as_i64()),
        (Some(1_500), Some(1_650))
    );
    let seqs: Vec<u64> = f
        .outbox()
        .iter()
        .filter(|r| r.topic == "pos.loyalty.v1")
        .map(|r| r.till_seq)
        .collect();
    assert_eq!(seqs.len(), 2); // redeemed, earned

    // The cloud applied the redemption only (watermark = its till_seq): the new balance
    // already holds -500; the earning is still this till's own.
    let mut rec = member("M1", "Ada Lovelace", "LC-0001", 1_500, "gold", None);
    rec.applied_till_seq.insert("T1".into(), seqs[0]);
    f.publish(rec.clone());
    let m = f.member("M1");
    assert_eq!(m["published"], 1_500);
    assert_eq!(m["available"], 1_500);
    assert_eq!(m["balance"], 1_650);

    // The cloud's ledger keys watermarks by store and till: another store's T1 (every
    // ship has one) is not this till, even with a watermark above all of its events.
    let mut elsewhere = rec.clone();
    elsewhere.applied_till_seq.clear();
    elsewhere
        .applied_till_seq
        .insert("S-OTHER/T1".into(), 1_000_000);
    elsewhere.updated_at = chrono::DateTime::UNIX_EPOCH;
    f.publish(elsewhere);
    assert_eq!(
        f.member("M1")["balance"],
        1_500 - 500 + 150,
        "both of the till's own events count as unsynced"
    );
    let mut qualified = rec.clone();
    qualified.applied_till_seq.clear();
    qualified.applied_till_seq.insert("S1/T1".into(), seqs[0]);
    f.publish(qualified);
    let m = f.member("M1");
    assert_eq!(
        (m["published"].as_i64(), m["balance"].as_i64()),
        (Some(1_500), Some(1_650))
    );

    // Then both: the balance the cloud publishes is the whole truth.
    rec.points_balance = 1_650;
    rec.applied_till_seq.insert("T1".into(), seqs[1]);
    f.publish(rec.clone());
    let m = f.member("M1");
    assert_eq!(
        (m["available"].as_i64(), m["balance"].as_i64()),
        (Some(1_650), Some(1_650))
    );

    // Another ship spent 1000 of them meanwhile: the stream says so, the till follows.
    rec.points_balance = 650;
    f.publish(rec.clone());
    assert_eq!(f.member("M1")["available"], 650);

    // Without a watermark, a record newer than the till's events counts as including them.
    f.ring(&["LC-0001", "COF"]);
    f.pay(
        vec![
            tender("points", json!({"points": "50"})),
            tender("cash", json!({})),
        ],
        Value::Null,
    )
    .unwrap();
    assert_eq!(f.member("M1")["available"], 600);
    f.clock.advance(60);
    let mut newer = member("M1", "Ada Lovelace", "LC-0001", 600, "gold", None);
    newer.updated_at = f.station.desk_mut().unwrap().till().now();
    f.publish(newer);
    assert_eq!(f.member("M1")["available"], 600);
}

#[test]
fn refunds_reverse_in_proportion_and_voids_in_full() {
    let mut f = fixture();
    // 3 coffees (13.50) + cake (12.50) = 26.00, 400 points pay 4.00; the 22.00 left earns
    // per line, rounded down (439).
    f.ring(&["LC-0001", "COF"]);
    f.ok("set_quantity", json!({"line_no": 1, "quantity": "3"}));
    f.ring(&["CAKE"]);
    let r = f
        .pay(
            vec![
                tender("points", json!({"points": "400"})),
                tender("cash", json!({})),
            ],
            Value::Null,
        )
        .unwrap();
    let earned = r["loyalty"]["earned"].as_i64().unwrap();
    let receipt = r["receipt_no"].as_str().unwrap().to_string();
    let approval = json!({"user_id": "ben", "pin": "2468"});
    let refund = |f: &mut Fixture, lines: Value| {
        f.ok(
            "refund",
            json!({"receipt_no": receipt, "lines": lines, "tender": tender("cash", json!({})),
                   "reason": "not wanted", "approval": approval}),
        )
    };
    // One coffee back: 4.50 of 26.00 → 69 of 400 redeemed points return as points, the
    // rest (3.81) in cash; earned points reversed for that coffee only.
    let r1 = refund(&mut f, json!([{"line_no": 1, "quantity": 1}]));
    assert_eq!(r1["total"], 450);
    assert_eq!(r1["loyalty"]["returned"], 69);
    let per_line: Vec<i64> = {
        let ev = f
            .outbox()
            .into_iter()
            .find(|r| r.event_type == "loyalty.points_earned")
            .unwrap();
        let v: Value = serde_json::from_str(&ev.payload).unwrap();
        v["lines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["points"].as_i64().unwrap())
            .collect()
    };
    assert_eq!(per_line.iter().sum::<i64>(), earned);
    assert_eq!(r1["loyalty"]["reversed"], per_line[0] / 3);
    assert!(r1["text"].as_str().unwrap().contains("Points returned"));
    // The rest: everything comes back exactly.
    let r2 = refund(&mut f, Value::Null);
    let reversed =
        r1["loyalty"]["reversed"].as_i64().unwrap() + r2["loyalty"]["reversed"].as_i64().unwrap();
    let returned =
        r1["loyalty"]["returned"].as_i64().unwrap() + r2["loyalty"]["returned"].as_i64().unwrap();
    assert_eq!((reversed, returned), (earned, 400));
    let m = f.member("M1");
    assert_eq!(
        (m["available"].as_i64(), m["balance"].as_i64()),
        (Some(2_000), Some(2_000))
    );
    // The refund tenders: points back as points, cash for the rest.
    let money_back: i64 = f
        .outbox()
        .iter()
        .filter(|r| r.event_type == "sale.refunded")
        .map(|r| serde_json::from_str::<Value>(&r.payload).unwrap())
        .flat_map(|v| v["tenders"].as_array().unwrap().clone())
        .map(|t| t["amount"].as_i64().unwrap())
        .sum();
    assert_eq!(money_back, 2_600);

    // A void takes back everything the sale earned and gives back everything it redeemed.
    f.ring(&["LC-0001", "CAKE"]);
    let r = f
        .pay(
            vec![
                tender("points", json!({"points": "250"})),
                tender("cash", json!({})),
            ],
            Value::Null,
        )
        .unwrap();
    let earned2 = r["loyalty"]["earned"].as_i64().unwrap();
    let v = f.ok(
        "void_sale",
        json!({"receipt_no": r["receipt_no"], "reason": "wrong member", "approval": approval}),
    );
    assert_eq!(v["loyalty"]["reversed"], earned2);
    assert_eq!(v["loyalty"]["returned"], 250);
    assert_eq!(f.member("M1")["balance"], 2_000);
}

#[test]
fn reversal_never_takes_a_balance_below_zero() {
    let mut f = fixture();
    // Alan earns 250 on two cakes; the cloud then publishes a balance of 0 that includes
    // them (spent on another ship). Refunding the cakes cannot take 250 from nothing: the
    // till takes what is there and reports the rest as a shortfall for the cloud.
    f.ring(&["LC-0002", "CAKE", "CAKE"]);
    let r = f.pay(vec![tender("cash", json!({}))], Value::Null).unwrap();
    assert_eq!(r["loyalty"]["earned"], 250);
    let first = r["receipt_no"].as_str().unwrap().to_string();
    let mut rec = member(
        "M2",
        "Alan Turing",
        "LC-0002",
        0,
        "member",
        Some(("CABIN-7002", 10_000)),
    );
    rec.applied_till_seq.insert("T1".into(), u64::MAX / 2);
    f.publish(rec);
    assert_eq!(f.member("M2")["balance"], 0);
    let r = f.ok(
        "refund",
        json!({"receipt_no": first, "lines": null, "tender": tender("cash", json!({})),
               "reason": "returned", "approval": {"user_id": "ben", "pin": "2468"}}),
    );
    assert_eq!(r["loyalty"]["reversed"], 0);
    let ev = f
        .outbox()
        .into_iter()
        .find(|r| r.event_type == "loyalty.points_reversed")
        .unwrap();
    let v: Value = serde_json::from_str(&ev.payload).unwrap();
    assert_eq!(
        (
            v["earned_reversed"].as_i64(),
            v["earned_shortfall"].as_i64()
        ),
        (Some(0), Some(250))
    );
    assert_eq!(f.member("M2")["balance"], 0);
}

#[test]
fn enrol_offline_then_the_cloud_publishes_the_member() {
    let mut f = fixture();
    let t = f.ok(
        "enrol_member",
        json!({"name": "  Grace   Hopper ", "phone": "+1 (555) 010-0042", "email": "Grace@Example.org", "card_id": "LC-9001"}),
    );
    let id = t["member"]["member_id"].as_str().unwrap().to_string();
    assert_eq!(uuid::Uuid::parse_str(&id).unwrap().get_version_num(), 7);
    assert_eq!(t["member"]["name"], "Grace Hopper");
    assert_eq!(t["member"]["local_only"], true);
    assert_eq!(t["member"]["tier"], "member");
    // Earns at once, found by card and phone.
    f.ring(&["CAKE"]);
    let r = f.pay(vec![tender("cash", json!({}))], Value::Null).unwrap();
    assert_eq!(r["loyalty"]["earned"], 125);
    assert_eq!(
        f.ok("attach_member", json!({"key": "LC-9001"}))["member"]["member_id"],
        id
    );
    assert_eq!(f.member("555 010 0042")["member_id"], id);
    let ev = f
        .outbox()
        .into_iter()
        .find(|r| r.event_type == "loyalty.enrolled")
        .unwrap();
    assert_eq!(ev.key, id);
    let v: Value = serde_json::from_str(&ev.payload).unwrap();
    assert_eq!(
        v["match_keys"],
        json!(["phone:+15550100042", "email:grace@example.org"])
    );

    // The same person again, a taken card, and bad input: refused, nothing recorded.
    let before = f.outbox().len();
    for (args, code) in [
        (
            json!({"name": "G. Hopper", "phone": "+1 555 010 0042", "email": null, "card_id": null}),
            "not_allowed",
        ),
        (
            json!({"name": "Someone", "phone": null, "email": null, "card_id": "LC-0001"}),
            "not_allowed",
        ),
        (
            json!({"name": "", "phone": "0123456789", "email": null, "card_id": null}),
            "invalid_input",
        ),
        (
            json!({"name": "Nobody", "phone": null, "email": null, "card_id": null}),
            "invalid_input",
        ),
        (
            json!({"name": "Bad Mail", "phone": null, "email": "bad@", "card_id": null}),
            "invalid_input",
        ),
        (
            json!({"name": "Card", "phone": null, "email": null, "card_id": "4111 1111 1111 1111"}),
            "invalid_input",
        ),
    ] {
        let (c, msg) = f.refused("enrol_member", args.clone());
        assert_eq!(c, code, "{args}: {msg}");
    }
    assert_eq!(f.outbox().len(), before);

    // The cloud publishes the member (with the points it has applied): the stream's
    // record replaces the local one.
    let mut rec = member(&id, "Grace Hopper", "LC-9001", 125, "member", None);
    rec.applied_till_seq.insert("T1".into(), u64::MAX / 2);
    f.publish(rec);
    let m = f.member("LC-9001");
    assert_eq!(m["local_only"], false);
    assert_eq!(
        (m["published"].as_i64(), m["balance"].as_i64()),
        (Some(125), Some(125))
    );
}

#[test]
fn cabin_charges_need_an_open_account_within_its_offline_limit() {
    let mut f = fixture();
    let cabin = |a: &str| tender("cabin", json!({"account_id": a}));
    f.ring(&["CAKE"]);
    let (code, _) = f.pay(vec![cabin("CABIN-9999")], Value::Null).unwrap_err();
    assert_eq!(code, "not_found");
    let (code, _) = f.pay(vec![cabin("CABIN-7003")], Value::Null).unwrap_err();
    assert_eq!(code, "not_allowed"); // closed account
    f.ok("clear_ticket", json!({}));
    // Limit 100.00: seven cakes (87.50) pass, two more (112.50) do not.
    let mut last = Value::Null;
    for _ in 0..7 {
        f.ring(&["CAKE"]);
        last = f.pay(vec![cabin("CABIN-7002")], Value::Null).unwrap()["receipt_no"].clone();
    }
    f.ring(&["CAKE", "CAKE"]);
    let (code, msg) = f.pay(vec![cabin("CABIN-7002")], Value::Null).unwrap_err();
    assert_eq!(code, "payment_refused", "{msg}");
    let m = f.ok("attach_member", json!({"key": "CABIN-7002"}))["member"].clone();
    assert_eq!(m["account"]["unconfirmed"], 8_750);
    assert_eq!(m["account"]["chargeable"], 1_250);
    f.ok("detach_member", json!({}));
    // Voiding a charge frees its part of the limit.
    f.ok("void_sale", json!({"receipt_no": last, "reason": "wrong cabin", "approval": {"user_id": "ben", "pin": "2468"}}));
    f.pay(vec![cabin("CABIN-7002")], Value::Null).unwrap();
}

#[test]
fn a_reward_item_for_points_and_its_refund() {
    let mut f = fixture();
    f.ring(&["COF", "CAKE"]);
    // No member, not a reward item, not enough points: refused.
    let (code, _) = f.refused("redeem_reward", json!({"line_no": 1}));
    assert_eq!(code, "not_allowed");
    f.ok("attach_member", json!({"key": "LC-0002"})); // 100 points
    let (code, _) = f.refused("redeem_reward", json!({"line_no": 1}));
    assert_eq!(code, "payment_refused");
    f.ok("attach_member", json!({"key": "LC-0001"})); // 2000 points
    let (code, _) = f.refused("redeem_reward", json!({"line_no": 2}));
    assert_eq!(code, "not_allowed");
    let t = f.ok("redeem_reward", json!({"line_no": 1}));
    assert_eq!(t["lines"][0]["reward"], true);
    assert_eq!(t["lines"][0]["total"], 0);
    assert_eq!(t["reward_points"], 200);
    assert_eq!(t["total"], 1250);
    let r = f.pay(vec![tender("cash", json!({}))], Value::Null).unwrap();
    assert_eq!(r["loyalty"]["redeemed"], 200);
    assert_eq!(r["loyalty"]["earned"], 250);
    let ev = f
        .outbox()
        .into_iter()
        .find(|r| r.event_type == "loyalty.points_redeemed")
        .unwrap();
    let v: Value = serde_json::from_str(&ev.payload).unwrap();
    assert_eq!(v["points"], 200);
    assert_eq!(v["amount"], 0);
    assert_eq!(
        v["rewards"],
        json!([{"line_no": 1, "sku": "COF", "quantity": 1, "points": 200}])
    );
    assert_eq!(f.member("M1")["available"], 1_800);

    // The free coffee comes back on its own: no money, the 200 points return.
    let receipt = r["receipt_no"].clone();
    let back = f.ok(
        "refund",
        json!({"receipt_no": receipt, "lines": [{"line_no": 1, "quantity": 1}], "tender": tender("cash", json!({})),
               "reason": "spilt", "approval": {"user_id": "ben", "pin": "2468"}}),
    );
    assert_eq!(back["total"], 0);
    assert_eq!(back["loyalty"]["returned"], 200);
    assert_eq!(back["loyalty"]["reversed"], 0);
    assert_eq!(f.member("M1")["available"], 2_000);

    // Removing the member takes their reward off the ticket.
    f.ring(&["LC-0001", "COF"]);
    f.ok("redeem_reward", json!({"line_no": 1}));
    let t = f.ok("detach_member", json!({}));
    assert_eq!(
        (t["total"].as_i64(), t["reward_points"].as_i64()),
        (Some(450), Some(0))
    );
    assert_eq!(t["lines"][0]["reward"], false);
    f.ok("clear_ticket", json!({}));

    // A reward taken back on the ticket is charged again; a voided reward sale returns all.
    f.ring(&["LC-0001", "COF"]);
    f.ok("redeem_reward", json!({"line_no": 1}));
    let t = f.ok("redeem_reward", json!({"line_no": 1}));
    assert_eq!(
        (t["total"].as_i64(), t["reward_points"].as_i64()),
        (Some(450), Some(0))
    );
    f.ok("redeem_reward", json!({"line_no": 1}));
    // Nothing to pay: the sale completes without a tender.
    let r = f
        .pay(vec![], Value::Null)
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(r["total"], 0);
    let v = f.ok("void_sale", json!({"receipt_no": r["receipt_no"], "reason": "wrong member", "approval": {"user_id": "ben", "pin": "2468"}}));
    assert_eq!(v["loyalty"]["returned"], 200);
    assert_eq!(f.member("M1")["available"], 2_000);
}
