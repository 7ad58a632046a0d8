//! Streams in against Apache Kafka itself (one node started from the edge kit, with the
//! log cleaner's back-off shortened for the test), on the partitions a real cluster makes
//! and librdkafka's mock cluster cannot:
//! - the log cleaner really compacting a topic: superseded records and, after
//!   `delete.retention.ms`, tombstones gone; a till away longer than that rebuilds and ends
//!   with exactly the live records;
//! - a partition whose records were all deleted (`kafka-delete-records.sh`: low == high > 0);
//! - records of a transactional producer, committed and aborted (the commit markers sit at
//!   the end of the partition: high watermark - 1 is a record no consumer receives), and a
//!   transaction still open.
//!
//! Every catch-up here has a deadline (`CATCH_UP`); one that does not finish fails with the
//! consumer's own timeout error. These tests always start their own node (they need the
//! broker override and Kafka's tools), whatever `PURSER_TEST_KAFKA` says.

mod common;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use chrono::Utc;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};

use purser_stream::admin::{ensure_topics, TopicSpec};
use purser_stream::inbound::{InboundConsumer, InboundError, InboundMode, InboundOptions};
use purser_stream::publish::publish;
use purser_stream::readback::{read_all, ConsumedRecord};
use purser_stream::{KafkaConfig, Topics};
use purser_testkit::kafka::{ClusterOptions, KafkaCluster};

/// How long any one catch-up may take before the test fails.
const CATCH_UP: Duration = Duration::from_secs(30);

/// One node for this test binary, with the log cleaner looking for work every 200 ms
/// instead of every 15 s (a TEST-ONLY broker override; the kit's file is untouched).
fn cluster() -> &'static KafkaCluster {
    static CLUSTER: OnceLock<KafkaCluster> = OnceLock::new();
    CLUSTER.get_or_init(|| {
        KafkaCluster::start(ClusterOptions {
            test_overrides: vec![("log.cleaner.backoff.ms".into(), "200".into())],
            ..ClusterOptions::default()
        })
    })
}

fn kafka() -> KafkaConfig {
    KafkaConfig {
        bootstrap_servers: cluster().bootstrap(),
        ..Default::default()
    }
}

/// Topics of this test only: `<run>.catalog.v1` and so on.
fn topics(run: &str) -> Topics {
    let run = format!("{run}-{}", uuid::Uuid::now_v7().simple());
    let n = |t: &str| format!("{run}.{t}");
    Topics {
        payments: n("payments.v1"),
        tills: n("tills.v1"),
        loyalty: n("loyalty.v1"),
        inventory: n("inventory.v1"),
        catalog: n("catalog.v1"),
        loyalty_accounts: n("loyalty-accounts.v1"),
        reconciliation: n("reconciliation.v1"),
    }
}

/// The three reference topics with `partitions` partitions, compacted; the catalog with
/// `catalog` settings (its `cleanup.policy` is `compact` unless they say otherwise).
fn create(t: &Topics, partitions: i32, catalog: &[(&str, &str)]) {
    let policy = if catalog.iter().any(|(k, _)| *k == "cleanup.policy") {
        None
    } else {
        Some(("cleanup.policy", "compact"))
    };
    let mut specs = vec![TopicSpec {
        name: t.catalog.clone(),
        partitions,
        replication: 1,
        config: policy
            .into_iter()
            .chain(catalog.iter().copied())
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    }];
    for name in [&t.inventory, &t.loyalty_accounts] {
        specs.push(TopicSpec {
            name: name.clone(),
            partitions,
            replication: 1,
            config: vec![("cleanup.policy".into(), "compact".into())],
        });
    }
    ensure_topics(&kafka(), &specs, Duration::from_secs(30)).expect("topics created");
}

type Rec = (String, Option<Vec<u8>>);

fn product(sku: &str, price: i64) -> Rec {
    let v = serde_json::json!({"schema_version": 1, "sku": sku, "name": format!("Product {sku}"),
        "barcodes": ["4006381333931"], "price": price, "currency": "EUR", "tax_class": "standard",
        "sold_by": "unit", "category": "Bar", "active": true, "updated_at": Utc::now()});
    (sku.to_string(), Some(serde_json::to_vec(&v).unwrap()))
}

fn send(topic: &str, records: &[Rec]) {
    publish(&kafka(), topic, records, Duration::from_secs(30)).expect("published");
}

/// A till's database and the topics it reads.
struct Till {
    _dir: tempfile::TempDir,
    db: PathBuf,
    topics: Topics,
}

impl Till {
    fn new(topics: &Topics) -> Till {
        let (dir, db) = common::till_db();
        Till {
            _dir: dir,
            db,
            topics: topics.clone(),
        }
    }

    fn consumer(&self) -> InboundConsumer {
        InboundConsumer::new(
            &self.db,
            kafka(),
            &self.topics,
            "S1",
            "EUR",
            InboundOptions::default(),
        )
        .unwrap()
    }

    /// One catch-up run; fails the test with the consumer's error (a timeout names the
    /// deadline) when it does not finish.
    fn catch_up(&self, what: &str) -> u64 {
        let t0 = Instant::now();
        let r = self.consumer().run(
            &AtomicBool::new(false),
            InboundMode::CatchUp { deadline: CATCH_UP },
        );
        match r {
            Ok(n) => {
                println!(
                    "{what}: caught up in {:?}, {n} records applied",
                    t0.elapsed()
                );
                n
            }
            Err(e @ InboundError::Timeout(_)) => panic!(
                "{what}: the catch-up never finished (gave up after {:?}): {e}",
                t0.elapsed()
            ),
            Err(e) => panic!("{what}: {e}"),
        }
    }

    /// SKU → price of every product in the till's view.
    fn view(&self) -> BTreeMap<String, i64> {
        let conn = rusqlite::Connection::open(&self.db).unwrap();
        let mut stmt = conn.prepare("SELECT sku, price FROM products").unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    }

    fn rebuilds(&self) -> u64 {
        purser_store::Store::open(&self.db)
            .unwrap()
            .stream_state(&self.topics.catalog)
            .unwrap()
            .rebuilds
    }
}

fn prices(v: &[(&str, i64)]) -> BTreeMap<String, i64> {
    v.iter().map(|(s, p)| ((*s).to_string(), *p)).collect()
}

fn read(topic: &str) -> Vec<ConsumedRecord> {
    read_all(&kafka(), &[topic], CATCH_UP).expect("the topic reads back")
}

/// (low, high) of every partition of `topic`.
fn watermarks(topic: &str) -> Vec<(i32, i64, i64)> {
    let c: BaseConsumer = kafka()
        .client_config()
        .set("group.id", "purser-test-watermarks")
        .create()
        .unwrap();
    let md = c
        .fetch_metadata(Some(topic), Duration::from_secs(10))
        .unwrap();
    md.topics()[0]
        .partitions()
        .iter()
        .map(|p| {
            let (lo, hi) = c
                .fetch_watermarks(topic, p.id(), Duration::from_secs(10))
                .unwrap();
            (p.id(), lo, hi)
        })
        .collect()
}

/// The log cleaner really removes superseded records and, once `delete.retention.ms` has
/// passed, the tombstone; the till, away longer than that, rebuilds and ends with exactly
/// the live products (the delisted one gone, although no tombstone is left to say so).
#[test]
fn a_till_away_longer_than_the_tombstones_rebuilds_from_a_really_compacted_topic() {
    let t = topics("compact");
    create(
        &t,
        1,
        &[
            ("segment.ms", "100"),
            ("min.cleanable.dirty.ratio", "0.01"),
            ("delete.retention.ms", "2000"),
            ("min.compaction.lag.ms", "0"),
        ],
    );
    send(
        &t.catalog,
        &[
            product("A", 220),
            product("B", 180),
            product("C", 590),
            product("D", 300),
        ],
    );
    let till = Till::new(&t);
    assert_eq!(till.catch_up("first load"), 4);
    assert_eq!(till.rebuilds(), 1);

    // The till goes away. Headquarters changes A's price and delists D.
    send(&t.catalog, &[product("A", 250), ("D".into(), None)]);
    let tombstone_sent = Instant::now();
    // The cleaner never touches the active segment: each write after `segment.ms` rolls a
    // new one (B again, same content) so the older ones can be cleaned.
    let t0 = Instant::now();
    let mut fillers = 0;
    let mut saw_tombstone_kept = false;
    let log = loop {
        std::thread::sleep(Duration::from_millis(300));
        send(&t.catalog, &[product("B", 180)]);
        fillers += 1;
        let log = read(&t.catalog);
        let a = log.iter().filter(|r| r.key.as_deref() == Some("A")).count();
        let d = log.iter().filter(|r| r.key.as_deref() == Some("D")).count();
        let tombstones = log.iter().filter(|r| r.payload.is_none()).count();
        if a == 1 && d == 1 && tombstones == 1 {
            // Cleaned once: the superseded A and the old D are gone, the tombstone kept.
            saw_tombstone_kept = true;
        }
        if a == 1 && d == 0 && tombstones == 0 {
            break log;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(90),
            "the log cleaner did not remove the superseded records and the tombstone within 90 s \
             ({a} records of A, {d} of D, {tombstones} tombstones in {:?})",
            log.iter().map(|r| (&r.key, r.offset)).collect::<Vec<_>>()
        );
    };
    let gone_after = tombstone_sent.elapsed();
    println!(
        "compacted: {} records left of {} written; tombstone gone {gone_after:?} after it was sent \
         (delete.retention.ms 2 s), kept by an earlier cleaning: {saw_tombstone_kept}",
        log.len(),
        6 + fillers
    );
    assert!(
        gone_after >= Duration::from_secs(2),
        "a tombstone must outlive delete.retention.ms ({gone_after:?})"
    );
    assert!(
        log.iter().all(|r| r.key.as_deref() != Some("D")),
        "nothing on the topic says D was delisted any more"
    );

    // Back after longer than delete.retention.ms: the till rebuilds, and D is gone.
    till.catch_up("back after the tombstone was compacted away");
    assert_eq!(
        till.rebuilds(),
        2,
        "away longer than delete.retention.ms: rebuilt"
    );
    assert_eq!(
        till.view(),
        prices(&[("A", 250), ("B", 180), ("C", 590)]),
        "exactly the live records"
    );
}

/// A partition whose records were all deleted (low == high > 0): a first load, a till whose
/// stored offset the deletion overtook, and a till already at the end all finish.
///
/// Kafka refuses DeleteRecords on a purely compacted topic (PolicyViolationException), so
/// this catalog is `compact,delete` — compacted and also bounded by retention, which leaves
/// a partition in the same state when its records all expire.
#[test]
fn a_partition_whose_records_were_all_deleted_is_caught_up() {
    let t = topics("deleted");
    create(&t, 3, &[("cleanup.policy", "compact,delete")]);
    let skus: Vec<String> = (0..12).map(|i| format!("P{i:02}")).collect();
    let first: Vec<Rec> = skus.iter().map(|s| product(s, 100)).collect();
    send(&t.catalog, &first);
    let early = Till::new(&t);
    assert_eq!(early.catch_up("first load"), 12);

    // The partition holding P00 gets an update, then everything on it is deleted.
    let part_of: BTreeMap<String, i32> = read(&t.catalog)
        .into_iter()
        .map(|r| (r.key.unwrap(), r.partition))
        .collect();
    let p = part_of["P00"];
    send(&t.catalog, &[product("P00", 111)]);
    let (_, _, high) = watermarks(&t.catalog)[p as usize];
    cluster().delete_records(&t.catalog, p, high);
    let marks = watermarks(&t.catalog);
    println!("watermarks (partition, low, high) after deleting partition {p}: {marks:?}");
    assert_eq!(
        (marks[p as usize].1, marks[p as usize].2),
        (high, high),
        "low == high > 0"
    );
    let live: BTreeMap<String, i64> = skus
        .iter()
        .filter(|s| part_of[*s] != p)
        .map(|s| (s.clone(), 100))
        .collect();

    let fresh = Till::new(&t);
    fresh.catch_up("first load after the deletion");
    assert_eq!(
        fresh.view(),
        live,
        "the deleted partition's products are not on the topic"
    );

    // The early till's stored offset for that partition is below the new log start.
    early.catch_up("a till the deletion overtook");
    assert_eq!(
        early.rebuilds(),
        2,
        "an offset below the log start rebuilds"
    );
    assert_eq!(early.view(), live);

    // Both are now at the end of the empty partition; a run with nothing new finishes too.
    assert_eq!(fresh.catch_up("nothing new"), 0);
    assert_eq!(early.catch_up("nothing new"), 0);
    // And a record written to it afterwards arrives.
    send(&t.catalog, &[product("P00", 120)]);
    assert_eq!(early.catch_up("a new record on the emptied partition"), 1);
    assert_eq!(early.view()["P00"], 120);
}

fn transactional_producer(id: &str) -> BaseProducer {
    let p: BaseProducer = kafka()
        .client_config()
        .set("transactional.id", id)
        .set("partitioner", "murmur2_random")
        .create()
        .unwrap();
    p.init_transactions(Duration::from_secs(30))
        .expect("init_transactions");
    p
}

fn send_in_transaction(p: &BaseProducer, topic: &str, records: &[Rec]) {
    for (key, value) in records {
        let mut rec: BaseRecord<'_, [u8], [u8]> = BaseRecord::to(topic).key(key.as_bytes());
        if let Some(v) = value {
            rec = rec.payload(v.as_slice());
        }
        p.send(rec).map_err(|(e, _)| e).expect("queued");
    }
    p.flush(Duration::from_secs(30)).expect("flushed");
}

/// Committed and aborted transactions: the markers at the end of each partition are never
/// delivered, yet a rebuild and every later catch-up finish; aborted records are never
/// applied; a transaction still open holds nothing up and is applied once committed.
#[test]
fn transactional_records_and_their_markers_are_caught_up() {
    let t = topics("txn");
    create(&t, 3, &[]);
    let p = transactional_producer(&format!("hq-{}", t.catalog));
    p.begin_transaction().unwrap();
    send_in_transaction(
        &p,
        &t.catalog,
        &[product("A", 220), product("B", 180), product("C", 590)],
    );
    p.commit_transaction(Duration::from_secs(30)).unwrap();
    p.begin_transaction().unwrap();
    send_in_transaction(&p, &t.catalog, &[product("A", 999), product("X", 1)]);
    p.abort_transaction(Duration::from_secs(30)).unwrap();
    p.begin_transaction().unwrap();
    send_in_transaction(&p, &t.catalog, &[product("D", 300)]);
    p.commit_transaction(Duration::from_secs(30)).unwrap();

    // What makes these partitions special: the last offset is a marker nobody receives.
    let records = read(&t.catalog);
    let marks = watermarks(&t.catalog);
    let mut ends_in_marker = 0;
    for (part, _, high) in &marks {
        let last = records
            .iter()
            .filter(|r| r.partition == *part)
            .map(|r| r.offset)
            .max();
        println!("partition {part}: last record delivered at {last:?}, high watermark {high}");
        if *high > 0 && last.is_none_or(|l| l + 1 < *high) {
            ends_in_marker += 1;
        }
    }
    assert!(
        ends_in_marker > 0,
        "at least one partition ends in a transaction marker: {marks:?}"
    );
    assert!(
        records.iter().all(|r| r.key.as_deref() != Some("X")),
        "a read_committed reader never sees aborted records"
    );

    let till = Till::new(&t);
    till.catch_up("first load of transactional records");
    assert_eq!(
        till.view(),
        prices(&[("A", 220), ("B", 180), ("C", 590), ("D", 300)]),
        "committed records only: no X, A not at the aborted 999"
    );

    p.begin_transaction().unwrap();
    send_in_transaction(&p, &t.catalog, &[product("B", 190)]);
    p.commit_transaction(Duration::from_secs(30)).unwrap();
    assert_eq!(till.catch_up("an update in a transaction"), 1);
    assert_eq!(till.view()["B"], 190);
    // The till stored the offset after B; the marker after it is still "lag" to the
    // high watermark, and is never delivered.
    assert_eq!(till.catch_up("nothing new after a marker"), 0);

    // A transaction left open (its producer has not committed yet): the catch-up ends at
    // the last stable offset instead of waiting for it.
    p.begin_transaction().unwrap();
    send_in_transaction(&p, &t.catalog, &[product("E", 450)]);
    assert_eq!(till.catch_up("a transaction still open"), 0);
    assert!(!till.view().contains_key("E"), "not committed yet");
    p.commit_transaction(Duration::from_secs(30)).unwrap();
    assert_eq!(till.catch_up("the open transaction committed"), 1);
    assert_eq!(till.view()["E"], 450);
}

/// A consumer running for good on such partitions still stops when asked.
#[test]
fn a_running_consumer_on_marker_ended_partitions_stops_when_asked() {
    let t = topics("stop");
    create(&t, 3, &[]);
    let p = transactional_producer(&format!("hq-{}", t.catalog));
    p.begin_transaction().unwrap();
    send_in_transaction(&p, &t.catalog, &[product("A", 220), product("B", 180)]);
    p.commit_transaction(Duration::from_secs(30)).unwrap();
    let till = Till::new(&t);
    let mut c = till.consumer();
    let stop = Arc::new(AtomicBool::new(false));
    let (tx, rx) = std::sync::mpsc::channel();
    let s2 = stop.clone();
    std::thread::spawn(move || {
        let _ = tx.send(c.run(&s2, InboundMode::Forever));
    });
    let t0 = Instant::now();
    while till.view().len() < 2 {
        assert!(
            t0.elapsed() < CATCH_UP,
            "the running consumer never applied the committed records"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    stop.store(true, Ordering::Relaxed);
    let r = rx
        .recv_timeout(Duration::from_secs(10))
        .expect("a running consumer must stop within 10 s of being asked");
    r.expect("and stop cleanly");
}
