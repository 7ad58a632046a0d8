//! The manager's figures against the tills' own journals: two tills of one store sell a
//! day (sales with discounts, split tenders, refunds, a void, a no-sale, an X hand-over and
//! a Z), their events reach the reporting store — first without Kafka (records as the
//! consumer builds them, duplicated and out of order), then through librdkafka's mock
//! cluster with the real relay and the real consumer — and every figure must equal what the
//! tills recorded and printed, to the cent.

mod common;

use std::sync::atomic::AtomicBool;
use std::time::Duration;

use chrono::NaiveDate;

use purser_app::demo::{demo_catalog, demo_sale, Lcg};
use purser_app::report::{self, ReportQuery, Reports, ShiftsKind};
use purser_app::till::{RefundRequest, RefundScope};
use purser_app::{Config, Settings, Till};
use purser_core::money::Money;
use purser_core::report::{decode_till_event, Decoded};
use purser_core::shift::{ReportKind, ShiftReport};
use purser_core::tender::{CardPayment, TenderInput};
use purser_store::{ReportItem, ReportRecord, Store};
use purser_stream::embedded::EmbeddedBroker;
use purser_stream::inbound::InboundMode;
use purser_stream::report::ReportConsumer;
use purser_stream::{Relay, RelayOptions, RunMode};

const DAY: &str = "2026-11-25";

/// What a till did and printed, for comparing with the manager's figures.
#[derive(Default)]
struct Day {
    printed: Vec<ShiftReport>,
    /// The X report of the shift still open at the end, as the till shows it.
    open_x: Option<ShiftReport>,
}

fn cash() -> TenderInput {
    TenderInput::Cash { tendered: None }
}

/// A day at one till: a shift handed over with an X, a second shift with refunds, a void
/// and a no-sale closed with a Z; then (when `leave_open`) a third shift left open.
fn sell_a_day(till: &mut Till, clock: &common::TestClock, seed: u64, leave_open: bool) -> Day {
    let catalog = demo_catalog();
    till.import_products(&catalog).unwrap();
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
                approved_by: Some("ben".into()),
            })
            .unwrap();
            till.refund(&RefundRequest {
                receipt_no: receipts[n - 7].clone(),
                scope: RefundScope::All,
                tender: cash(),
                reason: "wrong order".into(),
                approved_by: Some("mia".into()),
            })
            .unwrap();
            till.void(&receipts[n - 1], "rang twice", Some("ben"))
                .unwrap();
            till.open_drawer("change for the float", Some("ben"))
                .unwrap();
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
fn records_of(db: &std::path::Path, store: &str) -> Vec<ReportRecord> {
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

fn till_at(
    dir: &tempfile::TempDir,
    till_id: &str,
    bootstrap: &str,
) -> (std::sync::Arc<common::TestClock>, Till) {
    let out = common::new_till(dir, |c: &mut Config| {
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

fn day_query(till: Option<&str>) -> ReportQuery {
    let d: NaiveDate = DAY.parse().unwrap();
    ReportQuery::parse(None, None, None, till, None, d).unwrap()
}

/// Net sales the till itself recorded (kept sales minus refunds), from its own tables.
fn journal_net(db: &std::path::Path) -> (i64, Money) {
    let s = Store::open(db).unwrap();
    let (sales, sales_total, _, refunds_total) = s.lifetime_totals().unwrap();
    (sales, sales_total - refunds_total)
}

fn manager_settings(dir: &tempfile::TempDir, bootstrap: &str) -> Settings {
    let mut cfg = Config::new_till(
        "S1",
        "M1",
        "EUR",
        "inclusive",
        "UTC",
        dir.path().join("mgr.db"),
    );
    cfg.kafka.bootstrap_servers = bootstrap.into();
    cfg.settings().unwrap()
}

#[test]
fn store_figures_equal_both_tills_journals_and_printed_reports() {
    let (d1, d2, dm) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    let (c1, mut t1) = till_at(&d1, "T1", "");
    let (c2, mut t2) = till_at(&d2, "T2", "");
    let day1 = sell_a_day(&mut t1, &c1, 1, true);
    let day2 = sell_a_day(&mut t2, &c2, 2, false);
    let settings = manager_settings(&dm, "");
    let mut reports = Reports::open(&settings).unwrap();

    // T2's events arrive first and twice; one of T1's sales is held back (not arrived).
    let r1 = records_of(&d1.path().join("till.db"), "S1");
    let r2 = records_of(&d2.path().join("till.db"), "S1");
    let held = r1
        .iter()
        .position(|r| matches!(&r.outcome, Ok(ReportItem::Event { event, .. }) if event.header.event_type == "sale.completed" && event.header.till_seq > 30))
        .unwrap();
    let held_seq = match &r1[held].outcome {
        Ok(ReportItem::Event { event, .. }) => event.header.till_seq,
        _ => unreachable!(),
    };
    let now = chrono::Utc::now();
    let a = reports.store().apply(&r2, now).unwrap();
    assert_eq!(a.applied as usize, r2.len());
    let again = reports.store().apply(&r2, now).unwrap();
    assert_eq!(
        (again.applied, again.duplicates as usize),
        (0, r2.len()),
        "a duplicated delivery is not counted twice"
    );
    let first: Vec<ReportRecord> = r1
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != held)
        .map(|(_, r)| r.clone())
        .collect();
    reports.store().apply(&first, now).unwrap();

    // With one sale missing: a gap, and T1's printed Z or X disagrees (or the open X lacks it).
    let z = reports.shifts(ShiftsKind::Z, &day_query(None)).unwrap();
    assert_eq!(z.gaps, vec![("T1".to_string(), held_seq, held_seq)]);
    let summary_missing = reports.summary(&day_query(None)).unwrap();

    // It arrives late: the figures catch up and agree.
    reports.store().apply(&r1[held..=held], now).unwrap();
    let summary = reports.summary(&day_query(None)).unwrap();
    assert!(summary.gaps.is_empty(), "{:?}", summary.gaps);
    assert_eq!(
        summary.summary.transactions,
        summary_missing.summary.transactions + 1
    );

    let (n1, net1) = journal_net(&d1.path().join("till.db"));
    let (n2, net2) = journal_net(&d2.path().join("till.db"));
    let s = &summary.summary;
    assert_eq!(
        s.net_sales,
        net1 + net2,
        "net sales = both journals, refunds and voids included"
    );
    assert_eq!(s.transactions, n1 + n2);
    assert_eq!(s.voids_count, 2);
    assert_eq!(s.refunds_count, 4);
    assert_eq!(s.drawer_opens, 2);
    assert_eq!(s.tills.iter().map(|g| g.net).sum::<Money>(), s.net_sales);
    assert_eq!(s.cashiers.iter().map(|g| g.net).sum::<Money>(), s.net_sales);
    assert_eq!(s.by_hour.iter().map(|h| h.net).sum::<Money>(), s.net_sales);
    assert_eq!(
        s.by_hour.iter().map(|h| h.transactions).sum::<i64>(),
        s.transactions
    );
    assert_eq!(s.products.iter().map(|p| p.net).sum::<Money>(), s.net_sales);
    assert_eq!(
        s.tenders.iter().map(|t| t.amount).sum::<Money>(),
        s.net_sales,
        "tenders: taken minus refunded (no cash rounding here)"
    );
    let approvals: Vec<_> = s
        .exceptions
        .iter()
        .filter(|e| e.kind == "refund")
        .map(|e| e.approved_by.clone().unwrap())
        .collect();
    assert!(approvals.contains(&"mia".to_string()) && approvals.contains(&"ben".to_string()));
    // Per till and cashier filters add up to the store.
    let only_t2 = reports.summary(&day_query(Some("T2"))).unwrap();
    assert_eq!(only_t2.summary.net_sales, net2);
    let ana = ReportQuery::parse(
        Some(DAY),
        None,
        None,
        None,
        Some("ana"),
        DAY.parse().unwrap(),
    )
    .unwrap();
    let ben = ReportQuery::parse(
        Some(DAY),
        None,
        None,
        None,
        Some("ben"),
        DAY.parse().unwrap(),
    )
    .unwrap();
    assert_eq!(
        reports.summary(&ana).unwrap().summary.net_sales
            + reports.summary(&ben).unwrap().summary.net_sales,
        s.net_sales
    );

    // Z: each printed report as the till printed it, and each agrees with its events.
    let z = reports.shifts(ShiftsKind::Z, &day_query(None)).unwrap();
    assert_eq!(
        z.disagreements,
        0,
        "{:?}",
        z.shifts.iter().map(|d| &d.differences).collect::<Vec<_>>()
    );
    let printed: Vec<&ShiftReport> = z.shifts.iter().filter_map(|d| d.printed.as_ref()).collect();
    assert_eq!(printed.len(), 4);
    for p in day1.printed.iter().chain(&day2.printed) {
        assert!(
            printed.contains(&p),
            "the till's printed report is the manager's"
        );
        let d = z
            .shifts
            .iter()
            .find(|d| d.report.shift_id == p.shift_id)
            .unwrap();
        assert_eq!(
            &d.report, p,
            "rebuilt from events = printed, field by field"
        );
    }
    assert_eq!(z.open_tills, vec!["T1".to_string()]);
    assert_eq!(
        z.store.net_sales,
        day1.printed
            .iter()
            .chain(&day2.printed)
            .map(|r| r.net_sales)
            .sum::<Money>()
    );
    // X: the open shift as T1 shows it right now.
    let x = reports
        .shifts(ShiftsKind::X, &day_query(Some("T1")))
        .unwrap();
    let open = x.shifts.iter().find(|d| d.printed.is_none()).unwrap();
    assert_eq!(Some(&open.report), day1.open_x.as_ref());
    assert_eq!(
        x.store.net_sales,
        day1.printed.iter().map(|r| r.net_sales).sum::<Money>() + open.report.net_sales
    );

    // Sync health: both tills known, no gaps; CSV and PDF render.
    let tills = reports.tills(now).unwrap();
    assert_eq!(tills.tills.len(), 2);
    assert!(tills.tills.iter().all(|t| t.gaps.is_empty()));
    assert_eq!(tills.consumer.duplicates as usize, r2.len());
    let csv = report::summary_csv(&settings, &summary).unwrap();
    assert!(csv.starts_with("section,name,count,amount,detail\n"));
    assert!(
        csv.contains(&format!(
            "total,net_sales,{},{}",
            s.transactions,
            settings.money(s.net_sales)
        )),
        "{csv}"
    );
    let pdf = report::to_pdf("summary", &report::shifts_text(&settings, &z));
    assert!(pdf.starts_with(b"%PDF-1.4"));
}

#[test]
fn a_printed_report_that_disagrees_with_its_events_is_flagged() {
    let (d1, dm) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (c1, mut t1) = till_at(&d1, "T1", "");
    sell_a_day(&mut t1, &c1, 3, false);
    let settings = manager_settings(&dm, "");
    let mut reports = Reports::open(&settings).unwrap();
    let mut recs = records_of(&d1.path().join("till.db"), "S1");
    // A Z whose net sales were altered after the fact (a till bug, or tampering).
    for r in &mut recs {
        if let Ok(ReportItem::Event { event, raw }) = &mut r.outcome {
            if let purser_core::events::EventBody::ShiftClosed(c) = &mut event.body {
                if c.report.kind == ReportKind::Z {
                    c.report.net_sales += Money(1);
                    *raw = event.to_json().unwrap();
                }
            }
        }
    }
    reports.store().apply(&recs, chrono::Utc::now()).unwrap();
    let z = reports.shifts(ShiftsKind::Z, &day_query(None)).unwrap();
    assert_eq!(z.disagreements, 1);
    let bad = z.shifts.iter().find(|d| !d.differences.is_empty()).unwrap();
    assert_eq!(bad.printed.as_ref().unwrap().kind, ReportKind::Z);
    assert!(
        bad.differences[0].starts_with("net_sales: printed"),
        "{:?}",
        bad.differences
    );
    assert!(report::shifts_text(&settings, &z).contains("DISAGREES"));
}

fn relay_until_empty(settings: &Settings) {
    let mut relay = Relay::new(
        &settings.config.database,
        settings.config.kafka.clone(),
        RelayOptions::default(),
    )
    .unwrap();
    relay
        .run(
            &AtomicBool::new(false),
            RunMode::UntilEmpty {
                deadline: Some(Duration::from_secs(60)),
            },
        )
        .unwrap();
}

#[test]
fn through_the_mock_cluster_duplicates_do_not_count_and_a_late_till_catches_up() {
    let topics = purser_stream::Topics::default();
    let broker = EmbeddedBroker::start(&topics).unwrap();
    let b = broker.bootstrap_servers();
    let (d1, d2, dm) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    let (c1, mut t1) = till_at(&d1, "T1", &b);
    let (c2, mut t2) = till_at(&d2, "T2", &b);
    sell_a_day(&mut t1, &c1, 4, true);
    sell_a_day(&mut t2, &c2, 5, false);
    let settings = manager_settings(&dm, &b);
    let catch_up = || report::catch_up(&settings, Duration::from_secs(30)).unwrap();

    // T1 is online, T2 has been offline all day.
    let written = records_of(&d1.path().join("till.db"), "S1").len();
    relay_until_empty(t1.settings());
    assert_eq!(catch_up() as usize, written);
    let reports = Reports::open(&settings).unwrap();
    let before = reports.summary(&day_query(None)).unwrap().summary;
    let (_, net1) = journal_net(&d1.path().join("till.db"));
    let (_, net2) = journal_net(&d2.path().join("till.db"));
    assert_eq!(before.net_sales, net1);
    assert_eq!(before.tills.len(), 1);

    // T2 comes back: its day arrives late and the store's figures catch up.
    relay_until_empty(t2.settings());
    catch_up();
    let after = reports.summary(&day_query(None)).unwrap().summary;
    assert_eq!(after.net_sales, net1 + net2);
    assert_eq!(after.tills.len(), 2);

    // Every payments record delivered a second time (a resend after a lost ack).
    let kafka = settings.config.kafka.clone();
    let all =
        purser_stream::readback::read_all(&kafka, &[&topics.payments], Duration::from_secs(20))
            .unwrap();
    let again: Vec<(String, Option<Vec<u8>>)> = all
        .iter()
        .map(|r| {
            (
                r.key.clone().unwrap(),
                r.payload.clone().map(String::into_bytes),
            )
        })
        .collect();
    purser_stream::publish::publish(&kafka, &topics.payments, &again, Duration::from_secs(20))
        .unwrap();
    assert_eq!(catch_up(), 0, "nothing new applied");
    let state = Reports::open(&settings)
        .unwrap()
        .tills(chrono::Utc::now())
        .unwrap()
        .consumer;
    assert_eq!(state.duplicates as usize, all.len());
    assert_eq!(reports.summary(&day_query(None)).unwrap().summary, after);
    let z = reports.shifts(ShiftsKind::Z, &day_query(None)).unwrap();
    assert_eq!(z.disagreements, 0);
    assert_eq!(z.shifts.len(), 4);

    // A poison record is quarantined and consumption goes on; a restart resumes at the
    // stored offsets (nothing is read twice).
    purser_stream::publish::publish(
        &kafka,
        &topics.tills,
        &[("T9".to_string(), Some(b"{not an event".to_vec()))],
        Duration::from_secs(20),
    )
    .unwrap();
    let mut consumer = ReportConsumer::new(
        &report::report_db_path(&settings),
        kafka.clone(),
        &topics,
        "S1",
    )
    .unwrap();
    assert_eq!(
        consumer
            .run(
                &AtomicBool::new(false),
                InboundMode::CatchUp {
                    deadline: Duration::from_secs(30)
                }
            )
            .unwrap(),
        0
    );
    let tills = reports.tills(chrono::Utc::now()).unwrap();
    assert_eq!(tills.quarantined.len(), 1);
    assert!(
        tills.quarantined[0].reason.contains("not a Purser event"),
        "{:?}",
        tills.quarantined
    );
    assert_eq!(catch_up(), 0);
    drop(broker);
}

#[test]
fn the_window_shows_the_store_to_managers_only() {
    use purser_app::desk::{Desk, Offline};
    use purser_app::ipc::dispatch;
    use serde_json::json;

    let (d1, d2) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (c2, mut t2) = till_at(&d2, "T2", "");
    sell_a_day(&mut t2, &c2, 6, false);
    let (_c1, mut t1) = till_at(&d1, "T1", "");
    purser_app::demo::ensure_demo_users(&mut t1).unwrap();
    let settings = t1.settings().clone();
    // What the manager's consumer would have brought in from the store's cluster.
    Reports::open(&settings)
        .unwrap()
        .store()
        .apply(
            &records_of(&d2.path().join("till.db"), "S1"),
            chrono::Utc::now(),
        )
        .unwrap();
    let reports = Reports::open(&settings).unwrap();
    let mut station = purser_app::station::Station::Ready(Box::new(
        Desk::new(t1, Box::new(Offline), d1.path().join("receipts"), true).with_reports(reports),
    ));
    let mut call = |name: &str, args: serde_json::Value| dispatch(&mut station, name, args);

    call("sign_in", json!({"user_id": "ana", "pin": "1234"})).unwrap();
    let refused = call("report_summary", json!({})).unwrap_err();
    assert_eq!(
        serde_json::to_value(&refused).unwrap()["code"],
        "not_allowed"
    );
    call("sign_out", json!({})).unwrap();
    call("sign_in", json!({"user_id": "mia", "pin": "1357"})).unwrap();

    let opts = call("report_options", json!({})).unwrap();
    assert_eq!(opts["tills"], json!(["T2"]));
    let (_, net2) = journal_net(&d2.path().join("till.db"));
    let s = call("report_summary", json!({"date": DAY})).unwrap();
    assert_eq!(s["net_sales"], net2.0);
    assert_eq!(s["by_hour"].as_array().unwrap().len(), 24);
    assert!(s["top_products"].as_array().unwrap().len() <= 10);
    assert_eq!(s["tills"][0]["id"], "T2");
    let x = call(
        "report_shifts",
        json!({"kind": "x", "filter": {"date": DAY, "till": "T2"}}),
    )
    .unwrap();
    assert_eq!(x["store"]["net_sales"], net2.0);
    let z = call(
        "report_shifts",
        json!({"kind": "z", "filter": {"date": DAY}}),
    )
    .unwrap();
    assert!(
        z["shifts"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["agrees"] == true),
        "{z}"
    );
    let bad = call("report_shifts", json!({"kind": "q", "filter": {}})).unwrap_err();
    assert_eq!(serde_json::to_value(&bad).unwrap()["code"], "invalid_input");
    let tills = call("report_tills", json!({})).unwrap();
    assert_eq!(tills["tills"][0]["till_id"], "T2");
    for (report, format) in [("summary", "csv"), ("z", "pdf"), ("tills", "csv")] {
        let out = call(
            "report_export",
            json!({"report": report, "format": format, "filter": {"date": DAY}}),
        )
        .unwrap();
        let path = std::path::PathBuf::from(out["path"].as_str().unwrap());
        assert!(path.starts_with(d1.path().join("reports")), "{path:?}");
        assert!(std::fs::metadata(&path).unwrap().len() > 0);
    }
    let wrong = call(
        "report_summary",
        json!({"from": "2026-11-30", "to": "2026-11-01"}),
    )
    .unwrap_err();
    assert_eq!(
        serde_json::to_value(&wrong).unwrap()["code"],
        "invalid_input"
    );
}
