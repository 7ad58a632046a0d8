//! The manager's figures against the tills' own journals: two tills of one store sell a
//! day (sales with discounts, split tenders, refunds, a void, a no-sale, an X hand-over and
//! a Z), their events reach the reporting store — first without Kafka (records as the
//! consumer builds them, duplicated and out of order), then through librdkafka's mock
//! cluster with the real relay and the real consumer — and every figure must equal what the
//! tills recorded and printed, to the cent.

use std::sync::atomic::AtomicBool;
use std::time::Duration;

use chrono::NaiveDate;

use purser_app::report::{self, ReportQuery, Reports, ShiftsKind};
use purser_app::{Config, Settings};
use purser_core::money::Money;
use purser_core::shift::{ReportKind, ShiftReport};
use purser_store::{ReportItem, ReportRecord};
use purser_stream::embedded::EmbeddedBroker;
use purser_stream::inbound::InboundMode;
use purser_stream::report::ReportConsumer;
use purser_stream::{Relay, RelayOptions, RunMode};
use purser_testkit::till::{journal_net, records_of, sell_a_day, till_at, DAY};

fn day_query(till: Option<&str>) -> ReportQuery {
    let d: NaiveDate = DAY.parse().unwrap();
    ReportQuery::parse(None, None, None, till, None, d).unwrap()
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
    // These tills sent events but never a heartbeat (as a headless till relayed with
    // `purser relay --until-empty` does): not "offline, last heartbeat never".
    assert!(
        tills
            .tills
            .iter()
            .all(|t| t.link == report::TillLink::NoHeartbeats && t.heartbeat_age_secs.is_none()),
        "{:?}",
        tills.tills.iter().map(|t| t.link).collect::<Vec<_>>()
    );
    let text = report::tills_text(&tills);
    assert!(
        text.contains("no heartbeats") && !text.contains("OFFLINE"),
        "{text}"
    );
    assert!(text.contains("last event received"), "{text}");
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
