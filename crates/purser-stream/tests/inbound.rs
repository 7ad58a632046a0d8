//! Streams in against librdkafka's mock cluster: initial load, updates, tombstones,
//! poison records, restarts, out-of-range offsets and a broker that goes away.

mod common;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use rdkafka::mocking::MockCluster;
use rdkafka::producer::DefaultProducerContext;

use purser_store::Store;
use purser_stream::inbound::{InboundConsumer, InboundMode, InboundOptions};
use purser_stream::publish::publish;
use purser_stream::{KafkaConfig, Topics};

struct Fixture {
    _dir: tempfile::TempDir,
    db: PathBuf,
    mock: MockCluster<'static, DefaultProducerContext>,
    kafka: KafkaConfig,
    topics: Topics,
}

fn fixture() -> Fixture {
    let (dir, db) = common::till_db();
    let mock = MockCluster::new(1).unwrap();
    let topics = Topics::default();
    for t in [&topics.catalog, &topics.inventory, &topics.loyalty_accounts] {
        mock.create_topic(t, 3, 1).unwrap();
    }
    let kafka = KafkaConfig {
        bootstrap_servers: mock.bootstrap_servers(),
        ..Default::default()
    };
    Fixture {
        _dir: dir,
        db,
        mock,
        kafka,
        topics,
    }
}

fn product(sku: &str, name: &str, barcode: &str, price: i64) -> (String, Option<Vec<u8>>) {
    let v = serde_json::json!({"schema_version": 1, "sku": sku, "name": name, "barcodes": [barcode], "price": price, "currency": "EUR",
        "tax_class": "standard", "sold_by": "unit", "category": "Bar", "active": true, "updated_at": Utc::now()});
    (sku.to_string(), Some(serde_json::to_vec(&v).unwrap()))
}

fn stock(store: &str, sku: &str, on_hand: i64) -> (String, Option<Vec<u8>>) {
    let v = serde_json::json!({"schema_version": 1, "store_id": store, "sku": sku, "on_hand": on_hand, "low_stock_at": 2, "updated_at": Utc::now()});
    (
        format!("{store}:{sku}"),
        Some(serde_json::to_vec(&v).unwrap()),
    )
}

fn member(id: &str, card: &str, status: &str) -> (String, Option<Vec<u8>>) {
    let v = serde_json::json!({"schema_version": 1, "member_id": id, "name": "Grace Hopper", "card_ids": [card], "phone": null, "email": null,
        "tier": "gold", "points_balance": 1200, "status": status,
        "charge_account": {"account_kind": "cabin", "account_id": "CABIN-7012", "offline_limit": 50000}, "updated_at": Utc::now()});
    (id.to_string(), Some(serde_json::to_vec(&v).unwrap()))
}

fn send(f: &Fixture, topic: &str, records: &[(String, Option<Vec<u8>>)]) {
    publish(&f.kafka, topic, records, Duration::from_secs(20)).unwrap();
}

fn catch_up(f: &Fixture) -> u64 {
    let mut c = InboundConsumer::new(
        &f.db,
        f.kafka.clone(),
        &f.topics,
        "S1",
        "EUR",
        InboundOptions::default(),
    )
    .unwrap();
    c.run(
        &AtomicBool::new(false),
        InboundMode::CatchUp {
            deadline: Duration::from_secs(30),
        },
    )
    .unwrap()
}

fn store(f: &Fixture) -> Store {
    Store::open(&f.db).unwrap()
}

#[test]
fn initial_load_then_updates_and_tombstones() {
    let f = fixture();
    send(
        &f,
        &f.topics.catalog,
        &[
            product("ESP", "Espresso", "4006381333931", 220),
            product("CRO", "Croissant", "036000291452", 180),
            product("IPA", "IPA", "5012345678900", 590),
        ],
    );
    send(
        &f,
        &f.topics.inventory,
        &[
            stock("S1", "ESP", 40),
            stock("S1", "IPA", 5),
            stock("S2", "ESP", 999),
        ],
    );
    send(
        &f,
        &f.topics.loyalty_accounts,
        &[
            member("M1", "LC-1", "active"),
            member("M2", "LC-2", "active"),
        ],
    );
    assert_eq!(
        catch_up(&f),
        7,
        "3 products, 2 stock levels of this store, 2 members"
    );
    let s = store(&f);
    assert_eq!(s.product_count().unwrap(), 3);
    assert_eq!(
        s.stock_of("ESP").unwrap().unwrap().on_hand,
        40,
        "another store's stock is skipped"
    );
    assert_eq!(s.member_count().unwrap(), 2);
    assert_eq!(
        s.stream_state(&f.topics.catalog).unwrap().rebuilds,
        1,
        "the first load is a rebuild: all or nothing"
    );

    // A price change, a delisting (tombstone), a stock update and a closed member.
    send(
        &f,
        &f.topics.catalog,
        &[
            product("ESP", "Espresso", "4006381333931", 240),
            ("CRO".into(), None),
        ],
    );
    send(&f, &f.topics.inventory, &[stock("S1", "IPA", 1)]);
    send(&f, &f.topics.loyalty_accounts, &[("M2".into(), None)]);
    assert_eq!(catch_up(&f), 4);
    let s = store(&f);
    assert_eq!(s.product_by_sku("ESP").unwrap().unwrap().price.0, 240);
    assert!(
        s.product_by_sku("CRO").unwrap().is_none(),
        "a delisted product disappears"
    );
    assert!(
        s.product_by_gtin("00036000291452").unwrap().is_none(),
        "and so do its barcodes"
    );
    assert!(s.search_products("Croissant", 10).unwrap().is_empty());
    assert_eq!(s.stock_of("IPA").unwrap().unwrap().on_hand, 1);
    assert_eq!(s.member_count().unwrap(), 1);
    assert_eq!(
        s.stream_state(&f.topics.catalog).unwrap().rebuilds,
        1,
        "updates are applied in place"
    );
}

#[test]
fn poison_records_are_quarantined_and_consumption_goes_on() {
    let f = fixture();
    let v2 = product("X2", "Future", "4006381333931", 1).1.map(|b| {
        String::from_utf8(b)
            .unwrap()
            .replace("\"schema_version\":1", "\"schema_version\":2")
            .into_bytes()
    });
    send(
        &f,
        &f.topics.catalog,
        &[
            ("BAD".into(), Some(b"{this is not json".to_vec())),
            ("X2".into(), v2),
            (
                String::new(),
                product("NOKEY", "No key", "4006381333931", 1).1,
            ),
            ("BIG".into(), Some(vec![b' '; 300 * 1024])),
            (
                "OTHER".into(),
                product("ESP", "Mismatch", "4006381333931", 1).1,
            ),
            product("BADCODE", "Bad barcode", "4006381333932", 100),
            product("ESP", "Espresso", "4006381333931", 220),
        ],
    );
    assert_eq!(catch_up(&f), 1);
    let s = store(&f);
    assert_eq!(
        s.product_count().unwrap(),
        1,
        "the good record after the poison ones is applied"
    );
    let q = s.quarantined(20).unwrap();
    assert_eq!(q.len(), 6, "{q:#?}");
    let reasons: Vec<&str> = q.iter().map(|r| r.reason.as_str()).collect();
    for expected in [
        "not JSON",
        "unknown schema version 2",
        "no key",
        "above the",
        "does not match the record",
        "check digit",
    ] {
        assert!(
            reasons.iter().any(|r| r.contains(expected)),
            "no quarantine reason with '{expected}' in {reasons:?}"
        );
    }
    assert!(q
        .iter()
        .all(|r| r.topic == f.topics.catalog && r.offset >= 0));
    assert_eq!(s.stream_state(&f.topics.catalog).unwrap().quarantined, 6);
    // Quarantined records are not retried: the next run starts after them.
    assert_eq!(catch_up(&f), 0);
    assert_eq!(store(&f).quarantined(20).unwrap().len(), 6);
}

#[test]
fn a_restart_resumes_exactly_at_the_stored_offset() {
    let f = fixture();
    let batch = |from: u32, n: u32| -> Vec<(String, Option<Vec<u8>>)> {
        (from..from + n)
            .map(|i| {
                product(
                    &format!("P{i}"),
                    &format!("Product {i}"),
                    "4006381333931",
                    100 + i64::from(i),
                )
            })
            .collect()
    };
    send(&f, &f.topics.catalog, &batch(0, 10));
    assert_eq!(catch_up(&f), 10);
    send(&f, &f.topics.catalog, &batch(10, 5));
    assert_eq!(catch_up(&f), 5, "only the new records are applied");
    let st = store(&f).stream_state(&f.topics.catalog).unwrap();
    assert_eq!(st.applied_total, 15);
    assert_eq!(
        st.offsets.iter().map(|(_, o)| o).sum::<i64>(),
        15,
        "offsets stored with the rows"
    );
    assert_eq!(catch_up(&f), 0);
}

#[test]
fn an_out_of_range_offset_rebuilds_the_view_from_the_start() {
    let f = fixture();
    send(
        &f,
        &f.topics.catalog,
        &[
            product("ESP", "Espresso", "4006381333931", 220),
            product("IPA", "IPA", "5012345678900", 590),
        ],
    );
    catch_up(&f);
    // The topic was recreated or the till's record of it is stale.
    rusqlite::Connection::open(&f.db)
        .unwrap()
        .execute("UPDATE stream_offsets SET next_offset = 1000000", [])
        .unwrap();
    send(
        &f,
        &f.topics.catalog,
        &[product("ESP", "Espresso", "4006381333931", 250)],
    );
    catch_up(&f);
    let s = store(&f);
    let st = s.stream_state(&f.topics.catalog).unwrap();
    assert_eq!(st.rebuilds, 2);
    assert_eq!(s.product_by_sku("ESP").unwrap().unwrap().price.0, 250);
    assert_eq!(s.product_count().unwrap(), 2);
    assert!(st.offsets.iter().all(|(_, o)| *o < 1000));
}

#[test]
fn a_till_away_longer_than_tombstones_are_kept_rebuilds() {
    let f = fixture();
    send(
        &f,
        &f.topics.catalog,
        &[
            product("ESP", "Espresso", "4006381333931", 220),
            product("OLD", "Old", "5012345678900", 1),
        ],
    );
    catch_up(&f);
    // Two days away: the broker may have compacted tombstones away.
    rusqlite::Connection::open(&f.db)
        .unwrap()
        .execute(
            "UPDATE stream_state SET last_applied_at = '2020-01-01T00:00:00.000000Z'",
            [],
        )
        .unwrap();
    // Simulate a compacted-away tombstone: the till still has OLD, the topic no longer
    // mentions it (a fresh topic holding only ESP).
    rusqlite::Connection::open(&f.db)
        .unwrap()
        .execute("UPDATE stream_offsets SET next_offset = 0", [])
        .unwrap();
    catch_up(&f);
    assert_eq!(
        store(&f).stream_state(&f.topics.catalog).unwrap().rebuilds,
        2
    );
}

#[test]
fn the_consumer_rides_out_a_broker_outage() {
    let f = fixture();
    send(
        &f,
        &f.topics.catalog,
        &[product("ESP", "Espresso", "4006381333931", 220)],
    );
    let mut c = InboundConsumer::new(
        &f.db,
        f.kafka.clone(),
        &f.topics,
        "S1",
        "EUR",
        InboundOptions::default(),
    )
    .unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    c.notify(tx);
    let stop = Arc::new(AtomicBool::new(false));
    let s2 = stop.clone();
    let handle = std::thread::spawn(move || c.run(&s2, InboundMode::Forever));
    let wait_price = |price: i64| {
        let t0 = Instant::now();
        while store(&f).product_by_sku("ESP").unwrap().map(|p| p.price.0) != Some(price) {
            assert!(
                t0.elapsed() < Duration::from_secs(30),
                "price {price} never arrived"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        t0.elapsed()
    };
    wait_price(220);
    f.mock.broker_down(1).unwrap();
    std::thread::sleep(Duration::from_secs(2));
    // The till's view keeps serving while the cluster is away.
    assert_eq!(
        store(&f).product_by_sku("ESP").unwrap().unwrap().price.0,
        220
    );
    f.mock.broker_up(1).unwrap();
    send(
        &f,
        &f.topics.catalog,
        &[product("ESP", "Espresso", "4006381333931", 260)],
    );
    wait_price(260);
    // A live change, published while running, is applied and announced within a second.
    let t0 = Instant::now();
    send(
        &f,
        &f.topics.catalog,
        &[product("ESP", "Espresso", "4006381333931", 270)],
    );
    wait_price(270);
    let took = t0.elapsed();
    println!("published -> applied: {took:?}");
    assert!(
        rx.try_iter().count() >= 2,
        "applied batches are announced for live updates"
    );
    stop.store(true, Ordering::Relaxed);
    handle.join().unwrap().unwrap();
}
