//! A till on a real SQLite file in a temporary folder, with a clock the test moves; the
//! guests it knows; a day of sales at it; its outbox as the manager's consumer reads it.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, TimeZone, Utc};

use purser_app::demo::{demo_catalog, demo_sale, Lcg};
use purser_app::runtime::UuidV7;
use purser_app::till::{RefundRequest, RefundScope};
use purser_app::{Config, Till};
use purser_core::clock::Clock;
use purser_core::money::Money;
use purser_core::report::{decode_till_event, Decoded};
use purser_core::shift::{ReportKind, ShiftReport};
use purser_core::tender::{CardPayment, TenderInput};
use purser_store::{ReportItem, ReportRecord, Store};

/// The day `new_till` starts on, as the report queries write it.
pub const DAY: &str = "2026-11-25";

/// A clock that moves only when the test says so.
pub struct TestClock(Mutex<DateTime<Utc>>);

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}

impl TestClock {
    pub fn advance(&self, secs: i64) {
        *self.0.lock().unwrap() += Duration::seconds(secs);
    }
}

/// A new till (store S1, till T1, EUR, inclusive tax, UTC) at 2026-11-25 08:00, after
/// `edit` has had its say on the configuration.
pub fn new_till(dir: &tempfile::TempDir, edit: impl FnOnce(&mut Config)) -> (Arc<TestClock>, Till) {
    let mut cfg = Config::new_till(
        "S1",
        "T1",
        "EUR",
        "inclusive",
        "UTC",
        dir.path().join("till.db"),
    );
    edit(&mut cfg);
    let settings = cfg.settings().unwrap();
    let start = Utc.with_ymd_and_hms(2026, 11, 25, 8, 0, 0).unwrap();
    Till::init(&settings, start).unwrap();
    let clock = Arc::new(TestClock(Mutex::new(start)));
    let till = Till::open(settings, clock.clone(), Arc::new(UuidV7)).unwrap();
    (clock, till)
}

/// What a till did and printed, for comparing with the manager's figures.
#[derive(Default)]
pub struct Day {
    pub printed: Vec<ShiftReport>,
    /// The X report of the shift still open at the end, as the till shows it.
    pub open_x: Option<ShiftReport>,
}

pub fn cash() -> TenderInput {
    TenderInput::Cash { tendered: None }
}

/// A day at one till: a shift handed over with an X, a second shift with refunds, a void
/// and a no-sale closed with a Z; then (when `leave_open`) a third shift left open.
pub fn sell_a_day(till: &mut Till, clock: &TestClock, seed: u64, leave_open: bool) -> Day {
    let catalog = demo_catalog();
    till.import_products(&catalog).unwrap();
    // Ben (supervisor) and Mia (manager) approve the refunds, the void and the no-sale.
    purser_app::demo::ensure_demo_users(till).unwrap();
    let ben = purser_app::demo::demo_approver(till, "ben").unwrap();
    let mia = purser_app::demo::demo_approver(till, "mia").unwrap();
    let mut rng = Lcg::new(seed);
    let mut day = Day::default();
    let mut receipts = Vec::new();
    for (shift_no, cashier) in ["ana", "ben"].iter().enumerate() {
        till.open_shift(cashier, Money(15_000)).unwrap();
        for n in 0..12u64 {
            clock.advance(600);
            let mut req = demo_sale(&catalog, &mut rng, n, |_| None);
            req.confirm_out_of_stock = true;
            req.tenders = match n % 3 {
                0 => vec![cash()],
                1 => vec![
                    TenderInput::Card {
                        card: CardPayment {
                            brand: "VISA".into(),
                            last4: "4242".into(),
                            approval_code: format!("A{n}"),
                            terminal_ref: format!("T{seed}-{n}"),
                            offline: false,
                        },
                        amount: Some(Money(100)),
                    },
                    cash(),
                ],
                _ => vec![TenderInput::Account {
                    account_kind: purser_core::tender::AccountKind::Cabin,
                    account_id: "C-101".into(),
                    amount: None,
                }],
            };
            let sale = till.sell(&req).unwrap();
            receipts.push(sale.body.receipt_no.clone());
        }
        if shift_no == 1 {
            let n = receipts.len();
            clock.advance(60);
            till.refund(&RefundRequest {
                receipt_no: receipts[n - 5].clone(),
                scope: RefundScope::All,
                tender: cash(),
                reason: "spilled".into(),
                approver: ben.clone(),
            })
            .unwrap();
            till.refund(&RefundRequest {
                receipt_no: receipts[n - 7].clone(),
                scope: RefundScope::All,
                tender: cash(),
                reason: "wrong order".into(),
                approver: mia.clone(),
            })
            .unwrap();
            till.void(&receipts[n - 1], "rang twice", &ben).unwrap();
            till.open_drawer("change for the float", &ben).unwrap();
        }
        clock.advance(60);
        let kind = if shift_no == 0 {
            ReportKind::X
        } else {
            ReportKind::Z
        };
        let expected = till.shift_report().unwrap().expected_cash;
        let closed = till
            .close_shift(
                expected - Money(35 * i64::try_from(shift_no).unwrap()),
                kind,
            )
            .unwrap();
        day.printed.push(closed.body.report);
    }
    if leave_open {
        till.open_shift("ana", Money(10_000)).unwrap();
        for n in 0..4 {
            clock.advance(300);
            let mut req = demo_sale(&catalog, &mut rng, 100 + n, |_| None);
            req.confirm_out_of_stock = true;
            req.tenders = vec![cash()];
            till.sell(&req).unwrap();
        }
        day.open_x = Some(till.shift_report().unwrap());
    }
    day
}

/// The till's outbox rows as the manager's consumer would build records from them.
pub fn records_of(db: &std::path::Path, store: &str) -> Vec<ReportRecord> {
    let s = Store::open(db).unwrap();
    s.outbox_pending(0, 100_000)
        .unwrap()
        .into_iter()
        .enumerate()
        .map(|(i, row)| {
            let outcome = match decode_till_event(
                Some(row.key.as_bytes()),
                Some(row.payload.as_bytes()),
                store,
            ) {
                Ok(Decoded::Event(event)) => Ok(ReportItem::Event {
                    event,
                    raw: row.payload.clone(),
                }),
                Ok(Decoded::OtherStore) => Ok(ReportItem::Skip),
                Err(e) => Err(e),
            };
            ReportRecord {
                topic: row.topic.clone(),
                partition: 0,
                offset: i64::try_from(i).unwrap(),
                key: Some(row.key),
                outcome,
                excerpt: None,
            }
        })
        .collect()
}

/// A till of store S1 with the cabin guest C-101 and the demo members on its accounts
/// stream, on `bootstrap`'s cluster (empty: none).
pub fn till_at(dir: &tempfile::TempDir, till_id: &str, bootstrap: &str) -> (Arc<TestClock>, Till) {
    let out = new_till(dir, |c: &mut Config| {
        c.store.till_id = till_id.into();
        c.kafka.bootstrap_servers = bootstrap.into();
    });
    // The guest whose cabin the days' account sales are charged to, as the accounts
    // stream would have brought it.
    let guest = purser_core::inbound::LoyaltyAccountRecord {
        schema_version: 1,
        member_id: "G-101".into(),
        name: "Guest in cabin 101".into(),
        card_ids: vec![],
        phone: None,
        email: None,
        tier: "member".into(),
        points_balance: 0,
        status: purser_core::inbound::MemberStatus::Active,
        charge_account: Some(purser_core::inbound::ChargeAccount {
            account_kind: purser_core::tender::AccountKind::Cabin,
            account_id: "C-101".into(),
            offline_limit: Money(10_000_000),
        }),
        updated_at: "2026-01-01T00:00:00Z".parse().unwrap(),
        applied_till_seq: Default::default(),
    };
    // And the demo members `demo_sale` puts on some sales.
    let mut members = purser_app::reference::demo_members("2026-01-01T00:00:00Z".parse().unwrap());
    members.push(guest);
    let records: Vec<purser_store::Consumed> = members
        .into_iter()
        .enumerate()
        .map(|(i, m)| purser_store::Consumed {
            partition: 0,
            offset: i as i64,
            key: Some(m.member_id.clone()),
            outcome: Ok(purser_core::inbound::Inbound::Member(m)),
            excerpt: None,
        })
        .collect();
    Store::open(&dir.path().join("till.db"))
        .unwrap()
        .apply_inbound("pos.loyalty-accounts.v1", &records, chrono::Utc::now())
        .unwrap();
    out
}

/// Net sales the till itself recorded (kept sales minus refunds), from its own tables.
pub fn journal_net(db: &std::path::Path) -> (i64, Money) {
    let s = Store::open(db).unwrap();
    let (sales, sales_total, _, refunds_total) = s.lifetime_totals().unwrap();
    (sales, sales_total - refunds_total)
}

/// The setup screen's form for a new till (store S042, till T3, manager mia with PIN
/// 2580) on `bootstrap`'s cluster, as the window sends it.
pub fn setup_form(bootstrap: &str) -> serde_json::Value {
    serde_json::json!({
        "store_id": "S042", "till_id": "T3", "currency": "EUR", "tax_mode": "inclusive",
        "timezone": "Europe/Berlin", "language": "en",
        "bootstrap_servers": bootstrap, "security_protocol": "plaintext",
        "sasl_mechanism": "", "sasl_username": "", "sasl_password": "",
        "ssl_ca": "", "ssl_cert": "", "ssl_key": "", "ssl_key_password": "",
        "printer": "",
        "manager_id": "mia", "manager_name": "Mia Meyer",
        "manager_pin": "2580", "manager_pin_repeat": "2580"
    })
}
