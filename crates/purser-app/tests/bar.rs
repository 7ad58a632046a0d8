//! The bar's money at a real till: `[bar]`'s service charge priced on eligible lines as
//! its own line, a tip on top paid by the card, who served on the sale, a part refund giving
//! back the service charge in proportion, and the X report counting service charge and
//! tips — all from the till's own rows, equal to what the events say.

use purser_app::till::{LineRequest, RefundRequest, RefundScope, SaleOptions, SaleRequest};
use purser_app::ErrorCode;
use purser_core::cart::Quantity;
use purser_core::catalog::SoldBy;
use purser_core::money::Money;
use purser_core::sale::RefundRequestLine;
use purser_core::tender::{CardPayment, TenderInput, TipInput, TipKind};
use purser_testkit::till::new_till;

fn card() -> TenderInput {
    TenderInput::Card {
        card: CardPayment {
            brand: "VISA".into(),
            last4: "4242".into(),
            approval_code: "A1B2C3".into(),
            terminal_ref: "TRM-1".into(),
            offline: false,
        },
        amount: None,
    }
}

#[test]
fn service_charge_tip_and_a_part_refund_at_the_bar() {
    let dir = tempfile::tempdir().unwrap();
    let (_clock, mut till) = new_till(&dir, |c| {
        c.bar.service_charge_percent = "18".into();
        c.bar.service_charge_categories = vec!["Wine".into(), "Beer & cider".into()];
    });
    let catalog = purser_app::demo::demo_catalog();
    till.import_products(&catalog).unwrap();
    purser_app::demo::ensure_demo_users(&mut till).unwrap();
    till.open_shift("ana", Money(10_000)).unwrap();
    let in_cat = |cat: &str| {
        catalog
            .iter()
            .find(|p| p.category.as_deref() == Some(cat) && p.sold_by == SoldBy::Unit)
            .unwrap()
            .clone()
    };
    let (wine, snack) = (in_cat("Wine"), in_cat("Snacks"));
    let req = SaleRequest {
        lines: vec![
            LineRequest {
                code: wine.sku.clone(),
                quantity: Some(Quantity::Units(2)),
                discount: None,
            },
            LineRequest {
                code: snack.sku.clone(),
                quantity: None,
                discount: None,
            },
        ],
        ..Default::default()
    };
    let cart = till.build_cart(&req).unwrap();
    let tip = TipInput {
        amount: Money(300),
        kind: TipKind::Card,
    };
    let sold = till
        .sell_cart(
            &cart,
            &[card()],
            &SaleOptions {
                served_by: Some("ben".into()),
                tip: Some(tip),
                ..Default::default()
            },
        )
        .unwrap();
    let s = &sold.body;
    // 18 % on the wine only (snacks are not a bar category), as its own line.
    let charge = s.service_charge.as_ref().expect("a service charge line");
    assert_eq!(charge.base, Money(2 * wine.price.0));
    assert_eq!(charge.amount, Money((2 * wine.price.0 * 18 + 50) / 100));
    assert_eq!(
        s.total,
        Money(2 * wine.price.0 + snack.price.0) + charge.total
    );
    // The card took the total and the tip; the tip is not revenue.
    assert_eq!(s.tenders[0].amount(), s.total + Money(300));
    assert_eq!(s.tips.len(), 1);
    assert_eq!(s.served_by.as_deref(), Some("ben"));

    // A tip the card does not cover is refused, and nothing is recorded.
    let e = till
        .sell_cart(
            &cart,
            &[TenderInput::Cash { tendered: None }],
            &SaleOptions {
                tip: Some(tip),
                ..Default::default()
            },
        )
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::PaymentRefused, "{}", e.message);

    // One of the two wines comes back: half the service charge with it.
    let ben = purser_app::demo::demo_approver(&mut till, "ben").unwrap();
    let refund = till
        .refund(&RefundRequest {
            receipt_no: s.receipt_no.clone(),
            scope: RefundScope::Lines(vec![RefundRequestLine {
                line_no: 1,
                quantity: Quantity::Units(1),
            }]),
            tender: TenderInput::Cash { tendered: None },
            reason: "corked".into(),
            approver: ben.clone(),
        })
        .unwrap();
    let back = refund
        .body
        .service_charge
        .expect("service charge given back");
    assert_eq!(back.amount + back.amount, charge.amount);
    assert_eq!(refund.body.total, wine.price + back.total);
    // The rest of the sale: the other wine and the snack, and the other half of the charge.
    let rest = till
        .refund(&RefundRequest {
            receipt_no: s.receipt_no.clone(),
            scope: RefundScope::All,
            tender: TenderInput::Cash { tendered: None },
            reason: "left".into(),
            approver: ben,
        })
        .unwrap();
    assert_eq!(
        back.amount + rest.body.service_charge.unwrap().amount,
        charge.amount,
        "exactly the service charge comes back, never more"
    );

    // The X report from the till's rows: service charge kept net of refunds (none left),
    // the card tip counted once, outside the sales figures.
    let x = till.shift_report().unwrap();
    assert_eq!(x.service_charge_total, Money::ZERO);
    assert_eq!(x.tips.len(), 1);
    assert_eq!(
        (x.tips[0].kind.as_str(), x.tips[0].amount),
        ("card", Money(300))
    );
    assert_eq!(x.net_sales, Money::ZERO);
}

#[test]
fn a_bad_service_charge_configuration_is_refused_by_line() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = purser_app::Config::new_till(
        "S1",
        "T1",
        "EUR",
        "inclusive",
        "UTC",
        dir.path().join("t.db"),
    );
    for (pct, taxable, class, want) in [
        ("18%", false, None, "service_charge_percent"),
        ("101", false, None, "service charge rate"),
        ("12.345", false, None, "service_charge_percent"),
        ("18", true, Some("nope"), "service_charge_tax_class"),
        ("18", true, None, "tax class"),
    ] {
        cfg.bar.service_charge_percent = pct.into();
        cfg.bar.service_charge_taxable = taxable;
        cfg.bar.service_charge_tax_class = class.map(str::to_string);
        let e = cfg.settings().unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidConfig, "{pct}: {}", e.message);
        assert!(e.message.contains(want), "{pct}: {}", e.message);
    }
    cfg.bar.service_charge_percent = "12.5".into();
    cfg.bar.service_charge_taxable = true;
    cfg.bar.service_charge_tax_class = Some("standard".into());
    let s = cfg.settings().unwrap();
    assert_eq!(s.service_charge.unwrap().rate_bp, 1250);
}

#[test]
fn modifiers_and_happy_hour_from_the_catalog_stream_price_the_lines() {
    use purser_core::catalog::{ModifierGroup, ModifierOption, Product};
    use purser_core::inbound::Inbound;
    use purser_core::pricing::{Adjustment, PriceRule};
    use purser_store::{Consumed, Store};

    let dir = tempfile::tempdir().unwrap();
    let (clock, mut till) = new_till(&dir, |_| {});
    till.open_shift("ana", Money(10_000)).unwrap();
    let option = |id: &str, delta: i64| ModifierOption {
        id: id.into(),
        name: id.to_uppercase(),
        price_delta: Money(delta),
    };
    let whisky = Product::new(
        "WHISKY",
        "Whisky",
        &[],
        Money(1100),
        "standard",
        SoldBy::Unit,
        Some("Spirits"),
        true,
    )
    .unwrap()
    .with_modifier_groups(vec![
        ModifierGroup {
            id: "size".into(),
            name: "Size".into(),
            min: 1,
            max: 1,
            options: vec![option("single", 0), option("double", 400)],
        },
        ModifierGroup {
            id: "mixer".into(),
            name: "Mixer".into(),
            min: 0,
            max: 1,
            options: vec![option("tonic", 150)],
        },
    ])
    .unwrap();
    let rule = PriceRule {
        id: "happy".into(),
        name: "Happy hour".into(),
        days: vec![],
        start: chrono::NaiveTime::from_hms_opt(16, 0, 0).unwrap(),
        end: chrono::NaiveTime::from_hms_opt(18, 0, 0).unwrap(),
        skus: vec![],
        categories: vec!["Spirits".into()],
        adjustment: Adjustment::PercentOff { bp: 2000 },
    };
    let rec = |offset: i64, outcome: Inbound| Consumed {
        partition: 0,
        offset,
        key: None,
        outcome: Ok(outcome),
        excerpt: None,
    };
    Store::open(&dir.path().join("till.db"))
        .unwrap()
        .apply_inbound(
            "pos.catalog.v1",
            &[
                rec(0, Inbound::Product(whisky.clone())),
                rec(1, Inbound::PriceRule(rule)),
            ],
            chrono::Utc::now(),
        )
        .unwrap();
    let stored = till.lookup("WHISKY").unwrap();
    assert_eq!(
        stored.modifier_groups, whisky.modifier_groups,
        "kept with the product"
    );

    // The size is required: rung up without it, the till says which choice it needs.
    let mut cart = purser_core::cart::Cart::new();
    let e = till
        .ring_up(&mut cart, &stored, Quantity::Units(1), &[])
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::ChoicesRequired, "{}", e.message);
    assert!(e.message.contains("Size"), "{}", e.message);

    // 08:00, no happy hour: a double with tonic is 11.00 + 4.00 + 1.50.
    let choice = |g: &str, o: &str| (g.to_string(), o.to_string());
    till.ring_up(
        &mut cart,
        &stored,
        Quantity::Units(1),
        &[choice("size", "double"), choice("mixer", "tonic")],
    )
    .unwrap();
    assert_eq!(cart.lines[0].unit_price, Money(1650));
    assert!(cart.lines[0].price_rule.is_none());
    // 16:30: 20 % off the whisky, the choices at their own price.
    clock.advance(8 * 3600 + 1800);
    till.ring_up(
        &mut cart,
        &stored,
        Quantity::Units(1),
        &[choice("size", "single")],
    )
    .unwrap();
    assert_eq!(cart.lines[1].unit_price, Money(880));
    assert_eq!(
        cart.lines[1].price_rule.as_ref().unwrap().name,
        "Happy hour"
    );
    // 18:30, the rule has ended: the line rung up at 16:30 keeps its price when paid.
    clock.advance(2 * 3600);
    let sale = till
        .sell_cart(
            &cart,
            &[TenderInput::Cash { tendered: None }],
            &SaleOptions::default(),
        )
        .unwrap();
    assert_eq!(sale.body.total, Money(1650 + 880));
    assert_eq!(sale.body.lines[0].modifiers.len(), 2);
    assert_eq!(
        sale.body.lines[1].price_rule.as_ref().unwrap().list_price,
        Money(1100)
    );
    let text = purser_app::receipt::sale_text(till.settings(), &sale.event, &sale.body);
    assert!(
        text.contains("+ DOUBLE") && text.contains("Happy hour (was"),
        "{text}"
    );
}

#[test]
fn the_manager_sees_service_charge_and_tips_per_bartender() {
    use purser_app::report::{summary_csv, summary_text, ReportQuery, Reports};
    use purser_core::clock::Clock;
    use purser_testkit::till::{records_of, till_at};
    let (dir, dm) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (clock, till) = till_at(&dir, "T1", "");
    let mut settings_cfg = till.settings().config.clone();
    settings_cfg.bar.service_charge_percent = "10".into();
    let settings = settings_cfg.settings().unwrap();
    drop(till);
    let mut till = purser_app::Till::open(
        settings,
        clock.clone(),
        std::sync::Arc::new(purser_app::runtime::UuidV7),
    )
    .unwrap();
    let catalog = purser_app::demo::demo_catalog();
    till.import_products(&catalog).unwrap();
    till.open_shift("ana", Money(10_000)).unwrap();
    let p = catalog.iter().find(|p| p.sold_by == SoldBy::Unit).unwrap();
    // Ana's shift; Ben and Mia serve at it.
    for (who, tip) in [("ben", 200), ("mia", 0), ("ben", 100)] {
        let req = SaleRequest {
            lines: vec![LineRequest {
                code: p.sku.clone(),
                quantity: None,
                discount: None,
            }],
            ..Default::default()
        };
        let cart = till.build_cart(&req).unwrap();
        till.sell_cart(
            &cart,
            &[card()],
            &SaleOptions {
                served_by: Some(who.into()),
                tip: (tip > 0).then_some(TipInput {
                    amount: Money(tip),
                    kind: TipKind::Card,
                }),
                ..Default::default()
            },
        )
        .unwrap();
    }
    let mut cfg = purser_app::Config::new_till(
        "S1",
        "M1",
        "EUR",
        "inclusive",
        "UTC",
        dm.path().join("mgr.db"),
    );
    cfg.kafka.bootstrap_servers = String::new();
    let mgr = cfg.settings().unwrap();
    let mut reports = Reports::open(&mgr).unwrap();
    reports
        .store()
        .apply(&records_of(&dir.path().join("till.db"), "S1"), clock.now())
        .unwrap();
    let day = "2026-11-25".parse().unwrap();
    let q = ReportQuery::parse(None, None, None, None, None, day).unwrap();
    let r = reports.summary(&q).unwrap();
    let charge = Money((p.price.0 + 5) / 10);
    let ben = r.summary.cashiers.iter().find(|g| g.id == "ben").unwrap();
    assert_eq!(
        (ben.transactions, ben.service_charge, ben.tips),
        (2, Money(2 * charge.0), Money(300))
    );
    let mia = r.summary.cashiers.iter().find(|g| g.id == "mia").unwrap();
    assert_eq!(
        (mia.transactions, mia.service_charge, mia.tips),
        (1, charge, Money::ZERO)
    );
    assert!(
        !r.summary.cashiers.iter().any(|g| g.id == "ana"),
        "ana served nothing"
    );
    let text = summary_text(&mgr, &r);
    assert!(text.contains("service") && text.contains("tips"), "{text}");
    let csv = summary_csv(&mgr, &r).unwrap();
    assert!(csv.contains("cashier_tips,ben,,3.00,"), "{csv}");
}
