//! Loyalty against the Kafka protocol (librdkafka's mock cluster): the accounts stream
//! brings the member in, the till earns and redeems while the broker is down, the outbox
//! drains once it is back, and the cloud's next balance (with this till's watermark) is
//! combined with what the till still holds without counting anything twice.

use purser_testkit::till::new_till;

use std::sync::atomic::AtomicBool;
use std::time::Duration;

use chrono::Utc;
use serde_json::Value;

use purser_app::till::{LineRequest, SaleRequest};
use purser_app::Config;
use purser_core::catalog::SoldBy;
use purser_core::inbound::{CatalogRecord, LoyaltyAccountRecord, MemberStatus};
use purser_core::tender::TenderInput;
use purser_core::Money;
use purser_stream::embedded::EmbeddedBroker;
use purser_stream::inbound::{InboundConsumer, InboundMode, InboundOptions};
use purser_stream::publish::publish;
use purser_stream::readback::{audit, read_all};
use purser_stream::relay::{Relay, RelayOptions, RunMode};
use purser_stream::Topics;

fn account(balance: i64, applied: Option<u64>) -> LoyaltyAccountRecord {
    LoyaltyAccountRecord {
        schema_version: 1,
        member_id: "M-1".into(),
        name: "Ada Lovelace".into(),
        card_ids: vec!["LC-1".into()],
        phone: None,
        email: None,
        tier: "member".into(),
        points_balance: balance,
        status: MemberStatus::Active,
        charge_account: None,
        // Before the till's (test) clock: the watermark, not the time, decides below.
        updated_at: "2026-11-25T07:00:00Z".parse().unwrap(),
        applied_till_seq: applied
            .map(|s| [("T1".to_string(), s)].into_iter().collect())
            .unwrap_or_default(),
    }
}

fn sale(points: Option<i64>) -> SaleRequest {
    let mut tenders = Vec::new();
    if let Some(p) = points {
        tenders.push(TenderInput::Points {
            member_id: "M-1".into(),
            points: p,
            amount: Money(p),
        });
    }
    tenders.push(TenderInput::Cash { tendered: None });
    SaleRequest {
        lines: vec![LineRequest {
            code: "CAKE".into(),
            quantity: None,
            discount: None,
        }],
        tenders,
        member_id: Some("M-1".into()),
        ..SaleRequest::default()
    }
}

#[test]
fn earn_and_redeem_offline_drain_then_combine_the_clouds_balance() {
    let topics = Topics::default();
    let broker = EmbeddedBroker::start(&topics).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let bootstrap = broker.bootstrap_servers();
    let (_clock, mut till) = new_till(&dir, |c: &mut Config| {
        c.kafka.bootstrap_servers = bootstrap.clone();
        c.loyalty.points_per_unit = 10;
    });
    let settings = till.settings().clone();
    let kafka = settings.config.kafka.clone();
    let db = settings.config.database.clone();
    let stop = AtomicBool::new(false);
    let consume = || {
        InboundConsumer::new(
            &db,
            kafka.clone(),
            &topics,
            "S1",
            "EUR",
            InboundOptions::default(),
        )
        .unwrap()
        .run(
            &stop,
            InboundMode::CatchUp {
                deadline: Duration::from_secs(30),
            },
        )
        .unwrap()
    };
    let send_account = |rec: &LoyaltyAccountRecord| {
        publish(
            &kafka,
            &topics.loyalty_accounts,
            &[(
                rec.member_id.clone(),
                Some(serde_json::to_vec(rec).unwrap()),
            )],
            Duration::from_secs(10),
        )
        .unwrap();
    };

    // Head office publishes the cake and the member; the till reads them from the stream.
    let cake = CatalogRecord {
        schema_version: 1,
        sku: "CAKE".into(),
        name: "Carrot cake".into(),
        barcodes: vec![],
        price: Money(1250),
        currency: "EUR".into(),
        tax_class: "standard".into(),
        sold_by: SoldBy::Unit,
        category: Some("Bakery".into()),
        active: true,
        updated_at: Utc::now(),
        modifier_groups: vec![],
    };
    publish(
        &kafka,
        &topics.catalog,
        &[("CAKE".into(), Some(serde_json::to_vec(&cake).unwrap()))],
        Duration::from_secs(10),
    )
    .unwrap();
    send_account(&account(1_000, None));
    consume();
    assert_eq!(till.member("LC-1").unwrap().available, 1_000);
    till.open_shift("ana", Money(0)).unwrap();

    // The broker goes down: the till earns (125) and redeems (300, earning 95) all the same.
    broker.set_down(true).unwrap();
    till.sell(&sale(None)).unwrap();
    till.sell(&sale(Some(300))).unwrap();
    let m = till.member("M-1").unwrap();
    assert_eq!((m.published, m.available, m.estimated), (1_000, 700, 920));
    assert!(till.outbox_status().unwrap().pending >= 6);

    // Back up: the outbox drains; every event arrives, loyalty keyed by member.
    broker.set_down(false).unwrap();
    let mut relay = Relay::new(&db, kafka.clone(), RelayOptions::default()).unwrap();
    relay
        .run(
            &stop,
            RunMode::UntilEmpty {
                deadline: Some(Duration::from_secs(60)),
            },
        )
        .unwrap();
    let records = read_all(
        &kafka,
        &[&topics.payments, &topics.tills, &topics.loyalty],
        Duration::from_secs(20),
    )
    .unwrap();
    let a = audit(&records).unwrap();
    assert!(a.gaps.is_empty() && a.conflicts.is_empty(), "{a:?}");
    let loyalty: Vec<(String, Value)> = records
        .iter()
        .filter(|r| r.topic == topics.loyalty)
        .map(|r| {
            (
                r.key.clone().unwrap(),
                serde_json::from_str(r.payload.as_deref().unwrap()).unwrap(),
            )
        })
        .collect();
    let kinds: Vec<&str> = loyalty
        .iter()
        .map(|(_, v)| v["event_type"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "loyalty.points_earned",
            "loyalty.points_redeemed",
            "loyalty.points_earned"
        ]
    );
    assert!(loyalty.iter().all(|(k, _)| k == "M-1"));
    let redeemed_seq = loyalty[1].1["till_seq"].as_u64().unwrap();
    let first_earn_seq = loyalty[0].1["till_seq"].as_u64().unwrap();
    assert!(first_earn_seq < redeemed_seq);

    // The cloud has applied this till's events up to the redemption (1000 + 125 - 300);
    // the last earning (95) is still the till's own. Nothing is counted twice.
    send_account(&account(825, Some(redeemed_seq)));
    consume();
    let m = till.member("M-1").unwrap();
    assert_eq!((m.published, m.available, m.estimated), (825, 825, 920));

    // Another till spent 500 meanwhile; the cloud's next record says so and includes all.
    let last_seq = loyalty[2].1["till_seq"].as_u64().unwrap();
    send_account(&account(420, Some(last_seq)));
    consume();
    let m = till.member("M-1").unwrap();
    assert_eq!((m.published, m.available, m.estimated), (420, 420, 420));
}
