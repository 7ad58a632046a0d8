//! The published contract: JSON Schemas of every event type, generated from the Rust
//! types, and example events built by the domain code itself (fixed ids and clock). The
//! files under `schemas/` are these, committed; a test fails when they drift.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use schemars::JsonSchema;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::cart::{Cart, Discount, Quantity};
use crate::catalog::{Product, SoldBy};
use crate::events::*;
use crate::money::Money;
use crate::sale::{plan_refund, RefundRequestLine, SoldLine};
use crate::shift::{ReportKind, ShiftReport, TenderTotal};
use crate::tax::{TaxClass, TaxMode, TaxTable};
use crate::tender::{settle, AccountKind, CardPayment, TenderInput};

fn schema_of<T: JsonSchema>(
    event_type: &str,
    stream: Stream,
    version: u32,
    description: &str,
) -> Value {
    let mut v = serde_json::to_value(schemars::schema_for!(Envelope<T>)).unwrap_or(Value::Null);
    if let Some(obj) = v.as_object_mut() {
        obj.insert(
            "$id".into(),
            json!(format!(
                "https://schemas.purser.invalid/{event_type}.v{version}.schema.json"
            )),
        );
        obj.insert("title".into(), json!(format!("{event_type} v{version}")));
        obj.insert("description".into(), json!(description));
        let (topic, key) = match stream {
            Stream::Payments => ("pos.payments.v1", "till_id"),
            Stream::Tills => ("pos.tills.v1", "till_id"),
            Stream::Loyalty => ("pos.loyalty.v1", "member_id"),
        };
        obj.insert("x-topic".into(), json!(topic));
        obj.insert("x-key".into(), json!(key));
        obj.insert("x-ce-type".into(), json!(ce_type(event_type, version)));
        if let Some(props) = obj.get_mut("properties").and_then(Value::as_object_mut) {
            props.insert(
                "event_type".into(),
                json!({"const": event_type, "description": "The event type."}),
            );
            props.insert(
                "schema_version".into(),
                json!({"const": version, "description": "Version of this event type's schema."}),
            );
        }
    }
    v
}

fn record_schema<T: JsonSchema>(
    name: &str,
    topic: &str,
    key: &str,
    description: &str,
) -> (String, Value) {
    let mut v = serde_json::to_value(schemars::schema_for!(T)).unwrap_or(Value::Null);
    if let Some(obj) = v.as_object_mut() {
        obj.insert(
            "$id".into(),
            json!(format!(
                "https://schemas.purser.invalid/{name}.v1.schema.json"
            )),
        );
        obj.insert("title".into(), json!(format!("{name} v1")));
        obj.insert("description".into(), json!(description));
        obj.insert("x-topic".into(), json!(topic));
        obj.insert("x-key".into(), json!(key));
        // A record type built with `#[serde(flatten)]` cannot deny unknown fields in serde;
        // its schema still does, like every other record's.
        obj.entry("additionalProperties").or_insert(json!(false));
        obj.insert(
            "x-tombstone".into(),
            json!("a record with this key and no value deletes it"),
        );
        if let Some(props) = obj.get_mut("properties").and_then(Value::as_object_mut) {
            props.insert(
                "schema_version".into(),
                json!({"const": 1, "description": "Version of this record's schema."}),
            );
        }
    }
    (format!("{name}.v1.schema.json"), v)
}

/// (file name, schema) for every event type and inbound record type.
pub fn schemas() -> Vec<(String, Value)> {
    let mut all = event_schemas();
    all.push(record_schema::<crate::inbound::CatalogRecord>(
        "catalog.product",
        "pos.catalog.v1",
        "sku",
        "A product as the store's catalog publishes it (compacted, keyed by SKU).",
    ));
    all.push(record_schema::<crate::inbound::PriceRuleRecord>(
        "catalog.price_rule",
        "pos.catalog.v1",
        "price-rule:<id>",
        "A happy-hour price rule as the store's catalog publishes it (compacted, on the catalog topic keyed price-rule:<id>; a product's key never holds a ':').",
    ));
    all.push(record_schema::<crate::inbound::InventoryRecord>(
        "inventory.level",
        "pos.inventory.v1",
        "store_id:sku",
        "Stock on hand of one SKU in one store (compacted).",
    ));
    all.push(record_schema::<crate::inbound::LoyaltyAccountRecord>("loyalty.account", "pos.loyalty-accounts.v1", "member_id", "A loyalty member, with cards, balance, tier and an optional cabin/room charge account (compacted)."));
    all.push(record_schema::<crate::reconciliation::ReconciliationRecord>(
        "reconciliation.day",
        "pos.reconciliation.v1",
        "<store_id>/<till_id>/<business_date>",
        "What the cloud's reconciler knows of one till's business day: complete, waiting (which till_seq are missing), Z mismatches, conflicts, where the hash chain breaks (compacted; published by purser-cloud reconcile).",
    ));
    all
}

fn event_schemas() -> Vec<(String, Value)> {
    let doc =
        |t: &str, s: Stream, v: u32, d: &str, schema: fn(&str, Stream, u32, &str) -> Value| {
            (format!("{t}.v{v}.schema.json"), schema(t, s, v, d))
        };
    vec![
        doc(
            "sale.completed",
            Stream::Payments,
            1,
            "A sale paid in full at a till: lines, discounts, taxes and tenders.",
            schema_of::<SaleCompleted>,
        ),
        doc(
            "sale.refunded",
            Stream::Payments,
            1,
            "Money given back against an earlier sale of the same till.",
            schema_of::<SaleRefunded>,
        ),
        doc(
            "sale.voided",
            Stream::Payments,
            1,
            "A sale of the open shift cancelled in full (post-void).",
            schema_of::<SaleVoided>,
        ),
        doc(
            "drawer.opened",
            Stream::Payments,
            1,
            "The cash drawer opened without a sale, with who approved it.",
            schema_of::<DrawerOpened>,
        ),
        doc(
            "shift.opened",
            Stream::Tills,
            1,
            "A cashier's shift opened with a counted float.",
            schema_of::<ShiftOpened>,
        ),
        doc(
            "shift.closed",
            Stream::Tills,
            1,
            "A shift closed with its X or Z report and the counted cash.",
            schema_of::<ShiftClosed>,
        ),
        doc(
            "till.heartbeat",
            Stream::Tills,
            1,
            "A till's periodic sign of life with its outbox backlog.",
            schema_of::<TillHeartbeat>,
        ),
        doc(
            "loyalty.enrolled",
            Stream::Loyalty,
            1,
            "A member enrolled at a till, offline too, with the keys that let the cloud merge a person enrolled twice.",
            schema_of::<MemberEnrolled>,
        ),
        doc(
            "loyalty.points_earned",
            Stream::Loyalty,
            1,
            "Points a member earned on a sale, per line, so refunds reverse exactly these.",
            schema_of::<PointsEarned>,
        ),
        doc(
            "loyalty.points_redeemed",
            Stream::Loyalty,
            1,
            "Points a member spent as a tender, with the balance the till relied on and any supervisor approval above its offline caps.",
            schema_of::<PointsRedeemed>,
        ),
        doc(
            "loyalty.points_reversed",
            Stream::Loyalty,
            1,
            "A refund or void taking back earned points and giving back redeemed ones.",
            schema_of::<PointsReversed>,
        ),
        doc(
            "tab.opened",
            Stream::Payments,
            1,
            "A guest's tab or a parked ticket opened at a till, with the ticket it holds so far.",
            schema_of::<TabOpened>,
        ),
        doc(
            "tab.updated",
            Stream::Payments,
            1,
            "A change to an open tab (a line added, removed or changed, a discount, the member): the whole ticket as it now stands, so the latest event of a tab shows it.",
            schema_of::<TabUpdated>,
        ),
        doc(
            "tab.closed",
            Stream::Payments,
            1,
            "A tab ended: paid by the named sale (recorded in the same transaction), or cancelled with nothing on it.",
            schema_of::<TabClosed>,
        ),
        doc(
            "tab.move_requested",
            Stream::Payments,
            1,
            "A till asks the till holding a tab for it (the guest pays or goes on at the asking till). Changes nothing by itself: the holder answers with tab.moved while it still holds the tab open.",
            schema_of::<TabMoveRequested>,
        ),
        doc(
            "tab.moved",
            Stream::Payments,
            1,
            "The till holding a tab hands it over to the till that asked: closed there, in the same transaction, with the whole ticket as it stood. The receiving till opens it with tab.opened (moved_from) at the next version.",
            schema_of::<TabMoved>,
        ),
    ]
}

fn id(n: u128) -> Uuid {
    // Fixed UUIDv7-shaped ids: 2026-11-25 timestamp prefix, version 7, variant 10.
    Uuid::from_u128(0x019a_b9f0_0000_7000_8000_0000_0000_0000 | n)
}

fn at(h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, h, m, 0)
        .single()
        .unwrap_or_default()
}

fn ctx(h: u32, m: u32) -> EventContext {
    EventContext {
        store_id: "S042".into(),
        till_id: "T3".into(),
        occurred_at: at(h, m),
        business_date: NaiveDate::from_ymd_opt(2026, 11, 25).unwrap_or_default(),
        shift_id: Some(id(1)),
        cashier_id: Some("C017".into()),
    }
}

fn taxes() -> TaxTable {
    TaxTable {
        classes: vec![
            TaxClass {
                code: "standard".into(),
                rate_bp: 2000,
            },
            TaxClass {
                code: "reduced".into(),
                rate_bp: 550,
            },
        ],
    }
}

fn product(
    sku: &str,
    name: &str,
    barcode: &str,
    price: i64,
    class: &str,
    sold_by: SoldBy,
) -> Product {
    Product::new(
        sku,
        name,
        &[barcode],
        Money(price),
        class,
        sold_by,
        None,
        true,
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

fn card(approval: &str) -> CardPayment {
    CardPayment {
        brand: "VISA".into(),
        last4: "4242".into(),
        approval_code: approval.into(),
        terminal_ref: "TRM3-000981".into(),
        offline: false,
    }
}

fn sale(
    cart: &Cart,
    mode: TaxMode,
    tenders: &[TenderInput],
    rounding: i64,
    sale_id: Uuid,
    receipt: &str,
) -> SaleCompleted {
    let priced = cart.price(&taxes(), mode).unwrap_or_else(|e| panic!("{e}"));
    let s = settle(priced.total, tenders, rounding).unwrap_or_else(|e| panic!("{e}"));
    SaleCompleted {
        sale_id,
        receipt_no: receipt.into(),
        currency: "EUR".into(),
        tax_mode: mode,
        lines: priced.lines,
        cart_discount: cart.discount,
        subtotal: priced.subtotal,
        discount_total: priced.discount_total,
        tax_total: priced.tax_total,
        taxes: priced.taxes,
        total: priced.total,
        cash_rounding: s.cash_rounding,
        tenders: s.tenders,
        change: s.change,
        member_id: None,
        discount_approved_by: None,
        served_by: None,
        service_charge: None,
        tips: vec![],
    }
}

/// The example events of one till's day (T3: a shift with sales, a refund, a void, its
/// Z, a heartbeat, loyalty events and a tab it hands over to T4), hash-chained, as
/// `(till_seq, value as published)` in `till_seq` order: a consumer's test fixture. The bar
/// till's examples (T7, [`bar_examples`]) and T4's are chains of their own, not part of it.
pub fn example_day() -> Vec<(u64, String)> {
    let mut evs: Vec<(u64, String)> = examples()
        .into_iter()
        .filter(|(_, _, v)| v.get("till_id").and_then(Value::as_str) == Some("T3"))
        .filter_map(|(_, _, v)| Some((v.get("till_seq")?.as_u64()?, v.to_string())))
        .collect();
    evs.sort();
    evs
}

/// (schema file stem, example name, event value) built by the domain code.
pub fn examples() -> Vec<(String, String, Value)> {
    let espresso = product(
        "D0101",
        "Espresso",
        "4006381333931",
        220,
        "standard",
        SoldBy::Unit,
    );
    let croissant = product(
        "D0701",
        "Croissant",
        "036000291452",
        180,
        "reduced",
        SoldBy::Unit,
    );
    let grapes = product(
        "D1003",
        "Grapes red",
        "96385074",
        549,
        "reduced",
        SoldBy::Weight,
    );

    let mut c1 = Cart::new();
    let _ = c1.add(&espresso, Quantity::Units(2));
    let _ = c1.add(&croissant, Quantity::Units(1));
    let s1 = sale(
        &c1,
        TaxMode::Inclusive,
        &[TenderInput::Cash {
            tendered: Some(Money(1000)),
        }],
        5,
        id(10),
        "T3-000101",
    );

    let mut c2 = Cart::new();
    let l = c2.add(&espresso, Quantity::Units(3)).unwrap_or(1);
    let _ = c2.set_line_discount(l, Some(Discount::Percent { bp: 1000 }));
    let _ = c2.add(&grapes, Quantity::Grams(640));
    let _ = c2.set_cart_discount(Some(Discount::Amount { amount: Money(50) }));
    let s2 = sale(
        &c2,
        TaxMode::Exclusive,
        &[
            TenderInput::Cash {
                tendered: Some(Money(500)),
            },
            TenderInput::Card {
                card: card("A7Q2K9"),
                amount: None,
            },
        ],
        1,
        id(11),
        "T3-000102",
    );

    let mut c3 = Cart::new();
    let _ = c3.add(&croissant, Quantity::Units(4));
    let s3 = sale(
        &c3,
        TaxMode::Inclusive,
        &[TenderInput::Account {
            account_kind: AccountKind::Cabin,
            account_id: "CABIN-7012".into(),
            amount: None,
        }],
        1,
        id(12),
        "T3-000103",
    );

    let sold: Vec<SoldLine> = s1.lines.iter().map(SoldLine::from).collect();
    let refund_lines = plan_refund(
        &sold,
        &[],
        &[RefundRequestLine {
            line_no: 1,
            quantity: Quantity::Units(1),
        }],
    )
    .unwrap_or_default();
    let refund_total: Money = refund_lines.iter().map(|l| l.amount).sum();
    let refund_tax: Money = refund_lines.iter().map(|l| l.tax).sum();
    let refund_settle = settle(refund_total, &[TenderInput::Cash { tendered: None }], 5)
        .unwrap_or_else(|e| panic!("{e}"));

    let report = ShiftReport {
        kind: ReportKind::Z,
        shift_id: id(1),
        currency: "EUR".into(),
        cashier_id: "C017".into(),
        business_date: NaiveDate::from_ymd_opt(2026, 11, 25).unwrap_or_default(),
        opened_at: at(7, 55),
        closed_at: Some(at(17, 5)),
        opening_float: Money(15000),
        sales_count: 3,
        sales_total: s1.total + s2.total + s3.total,
        refunds_count: 1,
        refunds_total: refund_total,
        voids_count: 1,
        voids_total: s3.total,
        net_sales: s1.total + s2.total - refund_total,
        tax_total: s1.tax_total + s2.tax_total - refund_tax,
        discount_total: s2.discount_total,
        cash_rounding: s1.cash_rounding - refund_settle.cash_rounding,
        drawer_opens: 1,
        tenders: vec![
            TenderTotal {
                kind: "card".into(),
                count: 1,
                amount: s2.tenders[1].amount(),
            },
            TenderTotal {
                kind: "cash".into(),
                count: 2,
                amount: s1.tenders[0].amount() + s2.tenders[0].amount() - refund_settle.collected(),
            },
        ],
        expected_cash: Money(15000) + s1.tenders[0].amount() + s2.tenders[0].amount()
            - refund_settle.collected(),
        counted_cash: None,
        over_short: None,
        service_charge_total: Money::ZERO,
        tips: vec![],
    }
    .with_count(
        Money(15000) + s1.tenders[0].amount() + s2.tenders[0].amount()
            - refund_settle.collected()
            - Money(20),
    );

    let mut seq = 0u64;
    let mut prev = String::new();
    let mut ev = |h: u32, m: u32, body: EventBody| -> Value {
        seq += 1;
        let mut e = Event::new(&ctx(h, m), id(100 + u128::from(seq)), seq, body);
        e.header.prev_hash = Some(prev.clone());
        let json = e.to_json().unwrap_or_default();
        prev = crate::chain::chain_hash(
            &prev,
            seq,
            &e.header.event_id.to_string(),
            &e.header.event_type,
            &json,
        );
        serde_json::from_str(&json).unwrap_or(Value::Null)
    };
    let mut out = vec![
        (
            "shift.opened.v1",
            "float-150",
            ev(
                7,
                55,
                EventBody::ShiftOpened(ShiftOpened {
                    currency: "EUR".into(),
                    opening_float: Money(15000),
                }),
            ),
        ),
        (
            "sale.completed.v1",
            "cash-with-change-and-rounding",
            ev(9, 12, EventBody::SaleCompleted(s1.clone())),
        ),
        (
            "sale.completed.v1",
            "split-cash-card-sales-tax-with-discounts",
            ev(9, 30, EventBody::SaleCompleted(s2.clone())),
        ),
        (
            "sale.completed.v1",
            "cabin-charge",
            ev(10, 2, EventBody::SaleCompleted(s3.clone())),
        ),
        (
            "sale.refunded.v1",
            "one-espresso-back-in-cash",
            ev(
                10,
                40,
                EventBody::SaleRefunded(SaleRefunded {
                    refund_id: id(20),
                    receipt_no: "T3-000104".into(),
                    original_sale_id: s1.sale_id,
                    original_receipt_no: s1.receipt_no.clone(),
                    currency: "EUR".into(),
                    lines: refund_lines,
                    total: refund_total,
                    tax_total: refund_tax,
                    cash_rounding: refund_settle.cash_rounding,
                    tenders: refund_settle.tenders.clone(),
                    reason: "spilled".into(),
                    approved_by: Some("M002".into()),
                    service_charge: None,
                }),
            ),
        ),
        (
            "sale.voided.v1",
            "wrong-cabin",
            ev(
                10,
                45,
                EventBody::SaleVoided(SaleVoided {
                    sale_id: s3.sale_id,
                    receipt_no: s3.receipt_no.clone(),
                    currency: "EUR".into(),
                    total: s3.total,
                    tax_total: s3.tax_total,
                    tenders: s3.tenders.clone(),
                    reason: "charged to the wrong cabin".into(),
                    approved_by: Some("M002".into()),
                }),
            ),
        ),
        (
            "drawer.opened.v1",
            "change-for-float",
            ev(
                12,
                0,
                EventBody::DrawerOpened(DrawerOpened {
                    reason: "change for the float".into(),
                    approved_by: Some("M002".into()),
                }),
            ),
        ),
        (
            "shift.closed.v1",
            "z-report-short",
            ev(17, 5, EventBody::ShiftClosed(ShiftClosed { report })),
        ),
        (
            "till.heartbeat.v1",
            "offline-backlog",
            ev(
                17,
                6,
                EventBody::TillHeartbeat(TillHeartbeat {
                    app_version: "0.1.0".into(),
                    outbox_backlog: 12,
                    oldest_unsent_at: Some(at(16, 20)),
                    last_published_at: Some(at(16, 19)),
                }),
            ),
        ),
    ];
    out.extend(loyalty_examples(&s2, &mut ev));
    out.extend(tab_examples(&mut ev));
    out.extend(record_examples());
    out.extend(bar_examples());
    out.drain(..)
        .map(|(t, n, v)| (t.to_string(), n.to_string(), v))
        .collect()
}

/// A cabin guest's tab at the pool bar (T3): opened with a first drink, a second one
/// added; the guest moves to the beach bar (T4), which asks for the tab; T3 hands it over,
/// T4 opens it where T3 left it and the guest pays there (sale `T4-000031`).
fn tab_examples(
    ev: &mut impl FnMut(u32, u32, EventBody) -> Value,
) -> Vec<(&'static str, &'static str, Value)> {
    use crate::tab::{TabChange, TabKind, TabOutcome, TabTicket};
    let spritz = product(
        "B0310",
        "Aperol Spritz",
        "4000177010013",
        950,
        "standard",
        SoldBy::Unit,
    );
    let water = product(
        "B0020",
        "Still water 0.5 l",
        "4005906003014",
        350,
        "reduced",
        SoldBy::Unit,
    );
    let mut cart = Cart::new();
    cart.add(&spritz, Quantity::Units(1))
        .unwrap_or_else(|e| panic!("{e}"));
    let total = |c: &Cart| {
        c.price(&taxes(), TaxMode::Inclusive)
            .map(|p| p.total)
            .unwrap_or_else(|e| panic!("{e}"))
    };
    let tab_id = id(700);
    let member = Some("M-000417".to_string());
    let opened = EventBody::TabOpened(TabOpened {
        tab_id,
        kind: TabKind::Tab,
        label: "Grace Hopper".into(),
        member_id: member.clone(),
        version: 1,
        ticket: TabTicket::of(&cart, &[]),
        total: total(&cart),
        served_by: "C017".into(),
        moved_from: None,
    });
    let before = cart.clone();
    cart.add(&water, Quantity::Units(2))
        .unwrap_or_else(|e| panic!("{e}"));
    let updated = EventBody::TabUpdated(TabUpdated {
        tab_id,
        kind: TabKind::Tab,
        label: "Grace Hopper".into(),
        member_id: member.clone(),
        version: 2,
        change: TabChange::between(&before, &cart),
        ticket: TabTicket::of(&cart, &[]),
        total: total(&cart),
        served_by: "C021".into(),
    });
    // The beach bar's request, as T4 wrote it (its own chain: `beach_bar`).
    let request_id = id(801);
    let requested = EventBody::TabMoveRequested(TabMoveRequested {
        tab_id,
        from_till: "T3".into(),
        to_till: "T4".into(),
        version: 2,
        requested_by: "C033".into(),
    });
    let moved = TabMoved {
        tab_id,
        from_till: "T3".into(),
        to_till: "T4".into(),
        version: 3,
        request_id,
        requested_by: "C033".into(),
        kind: TabKind::Tab,
        label: "Grace Hopper".into(),
        member_id: member.clone(),
        ticket: TabTicket::of(&cart, &[]),
        next_line_no: cart.next_line_no(),
        total: total(&cart),
        opened_at: at(14, 5),
        opened_by: "C017".into(),
        served_by: "C021".into(),
    };
    let adopted = EventBody::TabOpened(TabOpened {
        tab_id,
        kind: TabKind::Tab,
        label: "Grace Hopper".into(),
        member_id: member,
        version: 4,
        ticket: moved.ticket.clone(),
        total: moved.total,
        served_by: "C033".into(),
        moved_from: Some(MovedFrom {
            till_id: "T3".into(),
            version: 3,
        }),
    });
    let closed = EventBody::TabClosed(TabClosed {
        tab_id,
        kind: TabKind::Tab,
        label: "Grace Hopper".into(),
        version: 5,
        outcome: TabOutcome::Paid {
            sale_id: id(701),
            receipt_no: "T4-000031".into(),
        },
        served_by: "C033".into(),
    });
    let mut t4 = beach_bar();
    vec![
        (
            "tab.opened.v1",
            "cabin-guest-at-the-pool-bar",
            ev(14, 5, opened),
        ),
        ("tab.updated.v1", "two-waters-added", ev(15, 40, updated)),
        (
            "tab.move_requested.v1",
            "asked-for-at-the-beach-bar",
            t4(request_id, 16, 10, requested),
        ),
        (
            "tab.moved.v1",
            "handed-over-to-the-beach-bar",
            ev(16, 10, EventBody::TabMoved(moved)),
        ),
        (
            "tab.opened.v1",
            "taken-over-at-the-beach-bar",
            t4(id(802), 16, 11, adopted),
        ),
        ("tab.closed.v1", "paid", t4(id(803), 17, 55, closed)),
    ]
}

/// The events of a second till of the store, T4 at the beach bar, hash-chained from its
/// 57th event (its shift and sales before are not among the examples).
fn beach_bar() -> impl FnMut(Uuid, u32, u32, EventBody) -> Value {
    let mut seq = 56u64;
    let mut prev = "5b7d0c0b6b2f4b1e8a0c5f3e9d2a7c4b1e6f8a3d5c7b9e1f2a4c6d8e0b3f5a7c".to_string();
    move |event_id: Uuid, h: u32, m: u32, body: EventBody| -> Value {
        seq += 1;
        let mut c = ctx(h, m);
        c.till_id = "T4".into();
        c.shift_id = Some(id(2));
        c.cashier_id = Some("C033".into());
        let mut e = Event::new(&c, event_id, seq, body);
        e.header.prev_hash = Some(prev.clone());
        let json = e.to_json().unwrap_or_default();
        prev = crate::chain::chain_hash(
            &prev,
            seq,
            &e.header.event_id.to_string(),
            &e.header.event_type,
            &json,
        );
        serde_json::from_str(&json).unwrap_or(Value::Null)
    }
}

/// Loyalty events of a gold member: enrolment, points earned on a sale, points redeemed
/// as a tender, and a refund reversing both.
fn loyalty_examples(
    sale: &SaleCompleted,
    ev: &mut impl FnMut(u32, u32, EventBody) -> Value,
) -> Vec<(&'static str, &'static str, Value)> {
    use crate::loyalty::{earned_reversed_through, EarnLine, EarnRules, Enrolment};
    let enrolment = Enrolment::new(
        "Grace Hopper",
        Some("+1 (555) 010-0042"),
        Some("Grace@Example.org"),
        Some("LC-100042"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let rules = EarnRules {
        points_per_unit: 1,
        tier_multiplier_percent: [("gold".to_string(), 200)].into_iter().collect(),
        excluded_skus: Default::default(),
        excluded_categories: Default::default(),
        promotions: vec![],
    };
    let lines: Vec<EarnLine> = sale
        .lines
        .iter()
        .map(|l| EarnLine {
            line_no: l.line_no,
            sku: l.sku.clone(),
            category: None,
            total: l.total,
        })
        .collect();
    let paid_with_points = Money(300);
    let earning = rules.earn(
        &lines,
        "gold",
        NaiveDate::from_ymd_opt(2026, 11, 25).unwrap_or_default(),
        paid_with_points,
        2,
    );
    let sold: Vec<(u32, i64)> = sale
        .lines
        .iter()
        .map(|l| (l.line_no, l.quantity.amount()))
        .collect();
    let first = &sale.lines[0];
    let reversed = earned_reversed_through(
        &earning.lines,
        &sold,
        &[(first.line_no, first.quantity.amount())],
    );
    let member = "019ab9f0-0000-7000-8000-000000000042".to_string();
    vec![
        (
            "loyalty.enrolled.v1",
            "enrolled-offline-at-the-bar",
            ev(
                9,
                28,
                EventBody::MemberEnrolled(MemberEnrolled {
                    member_id: member.clone(),
                    name: enrolment.name.clone(),
                    phone: enrolment.phone.clone(),
                    email: enrolment.email.clone(),
                    card_ids: enrolment.card_id.iter().cloned().collect(),
                    tier: "member".into(),
                    match_keys: enrolment.match_keys(),
                }),
            ),
        ),
        (
            "loyalty.points_redeemed.v1",
            "300-points-as-a-tender",
            ev(
                9,
                30,
                EventBody::PointsRedeemed(PointsRedeemed {
                    member_id: "M-000417".into(),
                    sale_id: sale.sale_id,
                    receipt_no: sale.receipt_no.clone(),
                    points: 300,
                    currency: "EUR".into(),
                    amount: paid_with_points,
                    available_before: 12_480,
                    approved_by: None,
                    rewards: vec![],
                }),
            ),
        ),
        (
            "loyalty.points_earned.v1",
            "gold-double-points",
            ev(
                9,
                30,
                EventBody::PointsEarned(PointsEarned {
                    member_id: "M-000417".into(),
                    sale_id: sale.sale_id,
                    receipt_no: sale.receipt_no.clone(),
                    points: earning.points,
                    currency: "EUR".into(),
                    base: earning.base,
                    tier: "gold".into(),
                    tier_multiplier_percent: earning.tier_multiplier_percent,
                    promotions: earning.promotions.clone(),
                    lines: earning.lines.clone(),
                }),
            ),
        ),
        (
            "loyalty.points_reversed.v1",
            "first-line-refunded",
            ev(
                11,
                15,
                EventBody::PointsReversed(PointsReversed {
                    member_id: "M-000417".into(),
                    original_sale_id: sale.sale_id,
                    original_receipt_no: sale.receipt_no.clone(),
                    receipt_no: "T3-000105".into(),
                    reason: "refund".into(),
                    earned_reversed: reversed,
                    earned_shortfall: 0,
                    redeemed_returned: 0,
                }),
            ),
        ),
    ]
}

fn json(v: &impl serde::Serialize) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

fn record_examples() -> Vec<(&'static str, &'static str, Value)> {
    use crate::inbound::*;
    let catalog = |sku: &str,
                   name: &str,
                   code: &str,
                   price: i64,
                   class: &str,
                   sold_by: SoldBy,
                   category: &str,
                   active: bool| CatalogRecord {
        schema_version: 1,
        sku: sku.into(),
        name: name.into(),
        barcodes: vec![code.to_string()],
        price: Money(price),
        currency: "EUR".into(),
        tax_class: class.into(),
        sold_by,
        category: Some(category.into()),
        active,
        updated_at: at(6, 0),
        modifier_groups: vec![],
    };
    let espresso = catalog(
        "D0101",
        "Espresso",
        "4006381333931",
        220,
        "standard",
        SoldBy::Unit,
        "Coffee bar",
        true,
    );
    let grapes = catalog(
        "D1003",
        "Grapes red",
        "96385074",
        549,
        "reduced",
        SoldBy::Weight,
        "Fruit & deli",
        true,
    );
    let croissant = catalog(
        "D0701",
        "Croissant",
        "036000291452",
        180,
        "reduced",
        SoldBy::Unit,
        "Bakery",
        false,
    );
    let stock = InventoryRecord {
        schema_version: 1,
        store_id: "S042".into(),
        sku: "D0101".into(),
        on_hand: 3,
        low_stock_at: 5,
        updated_at: at(6, 30),
    };
    let gold = LoyaltyAccountRecord {
        schema_version: 1,
        member_id: "M-000417".into(),
        name: "Ada Lovelace".into(),
        card_ids: vec!["LC-000417".into()],
        phone: Some("+44 20 7946 0958".into()),
        email: Some("ada@example.org".into()),
        tier: "gold".into(),
        points_balance: 12_480,
        status: MemberStatus::Active,
        charge_account: Some(ChargeAccount {
            account_kind: AccountKind::Cabin,
            account_id: "CABIN-7012".into(),
            offline_limit: Money(50_000),
        }),
        updated_at: at(5, 45),
        applied_till_seq: [("T3".to_string(), 96)].into_iter().collect(),
    };
    let closed = LoyaltyAccountRecord {
        member_id: "M-000012".into(),
        name: "Charles Babbage".into(),
        card_ids: vec!["LC-000012".into()],
        phone: None,
        email: None,
        tier: "silver".into(),
        points_balance: 0,
        status: MemberStatus::Closed,
        charge_account: None,
        applied_till_seq: Default::default(),
        ..gold.clone()
    };
    vec![
        ("catalog.product.v1", "espresso", json(&espresso)),
        ("catalog.product.v1", "weighed-grapes", json(&grapes)),
        ("catalog.product.v1", "delisted-but-kept", json(&croissant)),
        ("inventory.level.v1", "low-stock", json(&stock)),
        (
            "loyalty.account.v1",
            "gold-member-with-cabin-folio",
            json(&gold),
        ),
        ("loyalty.account.v1", "closed-member", json(&closed)),
        (
            "reconciliation.day.v1",
            "complete",
            json(&reconciliation_example(false)),
        ),
        (
            "reconciliation.day.v1",
            "waiting-for-two-events",
            json(&reconciliation_example(true)),
        ),
    ]
}

fn reconciliation_example(waiting: bool) -> crate::reconciliation::ReconciliationRecord {
    use crate::reconciliation::{DayState, DayStatus, ReconciliationRecord};
    let mut day = DayStatus {
        store_id: "S042".into(),
        till_id: "T3".into(),
        business_date: chrono::NaiveDate::from_ymd_opt(2026, 3, 14).expect("a date"),
        state: DayState::Complete,
        events: 412,
        first_seq: 1187,
        last_seq: 1598,
        missing: vec![],
        open_shifts: vec![],
        duplicates: 3,
        conflicts: vec![],
        z_mismatches: vec![],
        chain_broken_from: None,
        chain_unverified: false,
        z_matched: 2,
    };
    if waiting {
        day.events = 410;
        day.missing = vec![(1203, 1203), (1590, 1590)];
        day.z_matched = 1;
    }
    day.settle();
    ReconciliationRecord {
        schema_version: 1,
        day,
        updated_at: "2026-03-15T02:10:00Z".parse().expect("a time"),
    }
}

/// The cruise ship's bar (till T7, its own hash chain): a gin and tonic with modifiers and
/// the happy-hour rule, both as the catalog publishes them, then a shift with a tab priced
/// at happy hour with a service charge and a card tip, one drink refunded with its share of
/// the service charge, and the shift's Z with the service charge and tips.
pub fn bar_examples() -> Vec<(&'static str, &'static str, Value)> {
    use crate::cart::ServiceCharge;
    use crate::catalog::{ModifierGroup, ModifierOption};
    use crate::inbound::{CatalogRecord, PriceRuleRecord};
    use crate::pricing::{Adjustment, PriceRule};
    use crate::sale::refund_service_charge;
    use crate::shift::{ShiftHead, Tally};
    use crate::tender::{settle_with_tip, TipInput, TipKind};
    use chrono::{NaiveTime, Weekday};

    let option = |id: &str, name: &str, delta: i64| ModifierOption {
        id: id.into(),
        name: name.into(),
        price_delta: Money(delta),
    };
    let groups = vec![
        ModifierGroup {
            id: "size".into(),
            name: "Size".into(),
            min: 1,
            max: 1,
            options: vec![
                option("single", "Single", 0),
                option("double", "Double", 400),
            ],
        },
        ModifierGroup {
            id: "ice".into(),
            name: "Ice".into(),
            min: 0,
            max: 1,
            options: vec![
                option("neat", "Neat", 0),
                option("rocks", "On the rocks", 0),
            ],
        },
        ModifierGroup {
            id: "mixer".into(),
            name: "Mixer".into(),
            min: 0,
            max: 1,
            options: vec![
                option("tonic", "Tonic", 150),
                option("slim", "Slimline tonic", 150),
            ],
        },
    ];
    let gt_record = CatalogRecord {
        schema_version: 1,
        sku: "B0301".into(),
        name: "Gin & tonic".into(),
        barcodes: vec![],
        price: Money(900),
        currency: "EUR".into(),
        tax_class: "standard".into(),
        sold_by: SoldBy::Unit,
        category: Some("Cocktails".into()),
        active: true,
        updated_at: at(6, 0),
        modifier_groups: groups.clone(),
    };
    let rule_record = PriceRuleRecord {
        schema_version: 1,
        id: "happy-hour-cocktails".into(),
        name: "Happy hour".into(),
        days: vec![
            Weekday::Mon,
            Weekday::Tue,
            Weekday::Wed,
            Weekday::Thu,
            Weekday::Fri,
        ],
        start: NaiveTime::from_hms_opt(17, 0, 0).unwrap_or_default(),
        end: NaiveTime::from_hms_opt(19, 0, 0).unwrap_or_default(),
        skus: vec![],
        categories: vec!["Cocktails".into()],
        adjustment: Adjustment::PercentOff { bp: 2000 },
        currency: "EUR".into(),
        updated_at: at(6, 0),
    };
    let rules: Vec<PriceRule> = vec![rule_record.rule()];
    let bar_product = |sku: &str, name: &str, price: i64, class: &str, category: &str| {
        Product::new(
            sku,
            name,
            &[],
            Money(price),
            class,
            SoldBy::Unit,
            Some(category),
            true,
        )
        .unwrap_or_else(|e| panic!("{e}"))
    };
    let gin_tonic = bar_product("B0301", "Gin & tonic", 900, "standard", "Cocktails")
        .with_modifier_groups(groups)
        .unwrap_or_else(|e| panic!("{e}"));
    let mojito = bar_product("B0310", "Mojito", 1100, "standard", "Cocktails");
    let lager = bar_product("B0201", "Lager", 650, "standard", "Beer");
    let nuts = bar_product("B0901", "Salted nuts", 400, "reduced", "Snacks");

    // A tab rung up at 18:40 ship's time (a Wednesday), paid by card with a 5.00 tip.
    let local = NaiveDate::from_ymd_opt(2026, 11, 25)
        .and_then(|d| d.and_hms_opt(18, 40, 0))
        .unwrap_or_default();
    let choice = |g: &str, o: &str| (g.to_string(), o.to_string());
    let mut tab = Cart::new();
    let _ = tab.add_with(
        &gin_tonic,
        Quantity::Units(2),
        &[
            choice("size", "double"),
            choice("ice", "rocks"),
            choice("mixer", "tonic"),
        ],
        &rules,
        local,
    );
    let _ = tab.add_with(&mojito, Quantity::Units(1), &[], &rules, local);
    let _ = tab.add_with(&lager, Quantity::Units(2), &[], &rules, local);
    let _ = tab.add_with(&nuts, Quantity::Units(1), &[], &rules, local);
    let service = ServiceCharge {
        rate_bp: 1250,
        categories: vec!["Cocktails".into(), "Beer".into()],
        taxable: true,
        tax_class: Some("standard".into()),
    };
    let priced = tab
        .price_with(&taxes(), TaxMode::Inclusive, Some(&service))
        .unwrap_or_else(|e| panic!("{e}"));
    let paid = settle_with_tip(
        priced.total,
        &[TenderInput::Card {
            card: card("K4Q7Z1"),
            amount: None,
        }],
        1,
        Some(TipInput {
            amount: Money(500),
            kind: TipKind::Card,
        }),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let sale = SaleCompleted::new(id(30), "T7-000051".into(), "EUR", None, priced, paid, None);

    // One gin and tonic back (knocked over), with its share of the service charge.
    let sold: Vec<SoldLine> = sale.lines.iter().map(SoldLine::from).collect();
    let request = [RefundRequestLine {
        line_no: 1,
        quantity: Quantity::Units(1),
    }];
    let lines = plan_refund(&sold, &[], &request).unwrap_or_default();
    let sc_back = sale
        .service_charge
        .as_ref()
        .map(|charged| refund_service_charge(charged, &sold, &[], &request));
    let back_total =
        lines.iter().map(|l| l.amount).sum::<Money>() + sc_back.map_or(Money::ZERO, |s| s.total);
    let back_tax =
        lines.iter().map(|l| l.tax).sum::<Money>() + sc_back.map_or(Money::ZERO, |s| s.tax);
    let back_paid = settle(
        back_total,
        &[TenderInput::Card {
            card: card("R2M8P5"),
            amount: None,
        }],
        1,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let refund = SaleRefunded {
        refund_id: id(31),
        receipt_no: "T7-000052".into(),
        original_sale_id: sale.sale_id,
        original_receipt_no: sale.receipt_no.clone(),
        currency: "EUR".into(),
        lines,
        total: back_total,
        tax_total: back_tax,
        cash_rounding: back_paid.cash_rounding,
        tenders: back_paid.tenders.clone(),
        reason: "knocked over".into(),
        approved_by: Some("M002".into()),
        service_charge: sc_back,
    };

    // The shift's Z, added up by the one set of shift formulas.
    let head = ShiftHead {
        shift_id: id(2),
        currency: "EUR".into(),
        cashier_id: "C021".into(),
        business_date: NaiveDate::from_ymd_opt(2026, 11, 25).unwrap_or_default(),
        opened_at: at(16, 0),
        opening_float: Money(10_000),
    };
    let mut tally = Tally::default();
    tally.sale(
        &sale.document(),
        false,
        sale.tenders.iter().map(|t| (t.kind(), t.amount())),
    );
    tally.refund(
        &refund.document(),
        refund.tenders.iter().map(|t| (t.kind(), t.amount())),
    );
    let report = tally
        .report(&head, ReportKind::Z, Some(at(23, 30)))
        .with_count(Money(10_000));

    let mut seq = 0u64;
    let mut prev = String::new();
    let mut ev = |h: u32, m: u32, body: EventBody| -> Value {
        seq += 1;
        let ctx = EventContext {
            store_id: "S042".into(),
            till_id: "T7".into(),
            occurred_at: at(h, m),
            business_date: head.business_date,
            shift_id: Some(head.shift_id),
            cashier_id: Some(head.cashier_id.clone()),
        };
        let mut e = Event::new(&ctx, id(200 + u128::from(seq)), seq, body);
        e.header.prev_hash = Some(prev.clone());
        let json = e.to_json().unwrap_or_default();
        prev = crate::chain::chain_hash(
            &prev,
            seq,
            &e.header.event_id.to_string(),
            &e.header.event_type,
            &json,
        );
        serde_json::from_str(&json).unwrap_or(Value::Null)
    };
    vec![
        (
            "catalog.product.v1",
            "gin-and-tonic-with-modifiers",
            json(&gt_record),
        ),
        (
            "catalog.price_rule.v1",
            "happy-hour-cocktails",
            json(&rule_record),
        ),
        (
            "shift.opened.v1",
            "bar-float-100",
            ev(
                16,
                0,
                EventBody::ShiftOpened(ShiftOpened {
                    currency: "EUR".into(),
                    opening_float: head.opening_float,
                }),
            ),
        ),
        (
            "sale.completed.v1",
            "bar-tab-happy-hour-service-charge-card-tip",
            ev(18, 40, EventBody::SaleCompleted(sale)),
        ),
        (
            "sale.refunded.v1",
            "one-drink-back-with-its-service-charge",
            ev(19, 5, EventBody::SaleRefunded(refund)),
        ),
        (
            "shift.closed.v1",
            "bar-z-with-service-charge-and-tips",
            ev(23, 30, EventBody::ShiftClosed(ShiftClosed { report })),
        ),
    ]
}
