//! The manager's consumer against Apache Kafka itself (one node started from the edge kit),
//! on the till topics as a real cluster leaves them and librdkafka's mock cluster cannot:
//! - retention that deleted what the manager had not read yet while it was away (its
//!   stored offset below the log start);
//! - a partition whose records were all deleted (`kafka-delete-records.sh`: low == high > 0);
//! - till events copied in by a transactional producer (as MirrorMaker 2 with exactly-once
//!   writes them), committed and aborted: commit markers end the partitions, so the high
//!   watermark - 1 is a record no consumer receives; and a transaction still open.
//!
//! The tills are real `Till`s selling (on the system clock: the relay stamps records with
//! their creation time, which retention goes by); their relay sends their outbox.
//!
//! Every catch-up has a deadline (`CATCH_UP`) and fails the test with the consumer's
//! timeout when it does not finish. These tests start their own node (they need Kafka's
//! tools and a broker override), whatever `PURSER_TEST_KAFKA` says.

use std::collections::BTreeSet;
use std::sync::atomic::AtomicBool;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};

use purser_app::demo::demo_catalog;
use purser_app::till::{LineRequest, SaleRequest};
use purser_app::{Config, Settings, Till};
use purser_core::cart::Quantity;
use purser_core::money::Money;
use purser_core::tender::TenderInput;
use purser_store::{ReportStore, Store};
use purser_stream::admin::{ensure_topics, TopicSpec};
use purser_stream::inbound::InboundMode;
use purser_stream::report::{ReportConsumer, ReportError};
use purser_stream::{KafkaConfig, Relay, RelayOptions, RunMode, Topics};
use purser_testkit::kafka::{ClusterOptions, KafkaCluster};

const CATCH_UP: Duration = Duration::from_secs(30);

/// One node for this binary; the retention check runs every 250 ms from the start instead
/// of every 5 minutes after a 30 s delay (TEST-ONLY broker overrides).
fn cluster() -> &'static KafkaCluster {
    static CLUSTER: OnceLock<KafkaCluster> = OnceLock::new();
    CLUSTER.get_or_init(|| {
        KafkaCluster::start(ClusterOptions {
            test_overrides: vec![
                ("log.retention.check.interval.ms".into(), "250".into()),
                ("log.initial.task.delay.ms".into(), "0".into()),
            ],
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

/// The till topics of this test only, delete policy, 3 partitions; `payments` gets `extra`.
fn topics(run: &str, extra: &[(&str, &str)]) -> Topics {
    let run = format!("{run}-{}", uuid::Uuid::now_v7().simple());
    let n = |t: &str| format!("{run}.{t}");
    let t = Topics {
        payments: n("payments.v1"),
        tills: n("tills.v1"),
        loyalty: n("loyalty.v1"),
        inventory: n("inventory.v1"),
        catalog: n("catalog.v1"),
        loyalty_accounts: n("loyalty-accounts.v1"),
        reconciliation: n("reconciliation.v1"),
    };
    let spec = |name: &str, extra: &[(&str, &str)]| TopicSpec {
        name: name.to_string(),
        partitions: 3,
        replication: 1,
        config: std::iter::once(("cleanup.policy", "delete"))
            .chain(extra.iter().copied())
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    };
    ensure_topics(
        &kafka(),
        &[
            spec(&t.payments, extra),
            spec(&t.tills, &[]),
            spec(&t.loyalty, &[]),
        ],
        Duration::from_secs(30),
    )
    .expect("topics created");
    t
}

/// A till of store S1 selling on `topics`, its relay pointed at the test's node.
struct TestTill {
    dir: tempfile::TempDir,
    till: Till,
    n: u64,
}

impl TestTill {
    fn new(id: &str, topics: &Topics) -> TestTill {
        let dir = tempfile::tempdir().unwrap();
        let mut cfg = Config::new_till(
            "S1",
            id,
            "EUR",
            "inclusive",
            "UTC",
            dir.path().join("till.db"),
        );
        cfg.kafka = kafka();
        cfg.topics = topics.clone();
        let settings = cfg.settings().unwrap();
        Till::init(&settings, chrono::Utc::now()).unwrap();
        let mut till = purser_app::runtime::open_till(settings).unwrap();
        till.import_products(&demo_catalog()).unwrap();
        till.open_shift("ana", Money(10_000)).unwrap();
        TestTill { dir, till, n: 0 }
    }

    /// `n` cash sales of one or two demo items.
    fn sell(&mut self, n: usize) {
        let codes: Vec<String> = demo_catalog().into_iter().map(|p| p.sku).collect();
        for _ in 0..n {
            self.n += 1;
            let code = |k: u64| codes[(k as usize) % codes.len()].clone();
            let lines = (0..1 + self.n % 2)
                .map(|k| LineRequest {
                    code: code(self.n * 7 + k),
                    quantity: Some(Quantity::Units(1)),
                    discount: None,
                })
                .collect();
            self.till
                .sell(&SaleRequest {
                    lines,
                    discount: None,
                    tenders: vec![TenderInput::Cash { tendered: None }],
                    member_id: None,
                    confirm_out_of_stock: true,
                    loyalty_approver: None,
                    discount_approver: None,
                })
                .unwrap();
        }
    }

    fn db(&self) -> std::path::PathBuf {
        self.dir.path().join("till.db")
    }

    /// The relay sends everything in the outbox (60 s at most).
    fn relay(&self) {
        Relay::new(&self.db(), kafka(), RelayOptions::default())
            .unwrap()
            .run(
                &AtomicBool::new(false),
                RunMode::UntilEmpty {
                    deadline: Some(Duration::from_secs(60)),
                },
            )
            .expect("the relay empties the outbox");
    }

    /// The outbox rows (topic, key, payload, headers) not sent yet, in `till_seq` order.
    fn rows(&self) -> Vec<purser_store::OutboxRow> {
        Store::open(&self.db())
            .unwrap()
            .outbox_pending(0, 100_000)
            .unwrap()
    }

    fn event_ids(&self) -> BTreeSet<String> {
        let conn = rusqlite::Connection::open(self.db()).unwrap();
        let mut stmt = conn.prepare("SELECT event_id FROM journal").unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    }
}

/// A manager (a reporting store of its own) of store S1.
struct Manager {
    dir: tempfile::TempDir,
    settings: Settings,
}

impl Manager {
    fn new(topics: &Topics) -> Manager {
        let dir = tempfile::tempdir().unwrap();
        let mut cfg = Config::new_till(
            "S1",
            "M1",
            "EUR",
            "inclusive",
            "UTC",
            dir.path().join("mgr.db"),
        );
        cfg.kafka = kafka();
        cfg.topics = topics.clone();
        let settings = cfg.settings().unwrap();
        Manager { dir, settings }
    }

    fn report_db(&self) -> std::path::PathBuf {
        purser_app::report::report_db_path(&self.settings)
    }

    /// One catch-up; fails the test (naming `what`) when it does not finish in time.
    fn catch_up(&self, what: &str) -> u64 {
        let _ = &self.dir;
        let t0 = Instant::now();
        let mut c = ReportConsumer::new(
            &self.report_db(),
            kafka(),
            &self.settings.config.topics,
            "S1",
        )
        .unwrap();
        match c.run(
            &AtomicBool::new(false),
            InboundMode::CatchUp { deadline: CATCH_UP },
        ) {
            Ok(n) => {
                println!(
                    "{what}: caught up in {:?}, {n} events applied",
                    t0.elapsed()
                );
                n
            }
            Err(e @ ReportError::Timeout(_)) => panic!(
                "{what}: the manager's catch-up never finished (gave up after {:?}): {e}",
                t0.elapsed()
            ),
            Err(e) => panic!("{what}: {e}"),
        }
    }

    fn store(&self) -> ReportStore {
        ReportStore::open(&self.report_db()).unwrap()
    }

    fn has_all(&self, ids: &BTreeSet<String>) -> bool {
        let s = self.store();
        ids.iter()
            .all(|id| s.has_event(&id.parse().unwrap()).unwrap())
    }
}

fn watermarks(topic: &str) -> Vec<(i32, i64, i64)> {
    let c: BaseConsumer = kafka()
        .client_config()
        .set("group.id", "purser-test-watermarks")
        .create()
        .unwrap();
    (0..3)
        .map(|p| {
            let (lo, hi) = c
                .fetch_watermarks(topic, p, Duration::from_secs(10))
                .unwrap();
            (p, lo, hi)
        })
        .collect()
}

/// The partition a till's events went to (from the broker's acknowledgements).
fn partition_of(t: &TestTill, topic: &str) -> i32 {
    let conn = rusqlite::Connection::open(t.db()).unwrap();
    conn.query_row(
        "SELECT DISTINCT partition FROM outbox_rows WHERE topic = ?1 AND partition IS NOT NULL",
        [topic],
        |r| r.get(0),
    )
    .unwrap()
}

fn set_retention(topic: &str, ms: u64) {
    cluster().tool(
        "kafka-configs.sh",
        &[
            "--alter",
            "--entity-type",
            "topics",
            "--entity-name",
            topic,
            "--add-config",
            &format!("retention.ms={ms}"),
        ],
    );
}

/// Retention deleted, while the manager was away, events it had not read yet: the next
/// catch-up starts at the earliest the broker holds, finishes, and the report shows what
/// was lost as a gap in the till's `till_seq`.
#[test]
fn retention_that_overtook_the_manager_is_caught_up() {
    let topics = topics("retention", &[("segment.ms", "100")]);
    let mut t1 = TestTill::new("T1", &topics);
    t1.sell(10);
    t1.relay();
    let mgr = Manager::new(&topics);
    mgr.catch_up("first catch-up");
    assert!(mgr.has_all(&t1.event_ids()));

    // The manager is away; the till sells on; retention (shortened to a second for the
    // test) removes every segment of the till's partition, read or not.
    t1.sell(5);
    t1.relay();
    let p = partition_of(&t1, &topics.payments);
    set_retention(&topics.payments, 1000);
    let t0 = Instant::now();
    loop {
        let (_, low, high) = watermarks(&topics.payments)[p as usize];
        if low == high {
            println!(
                "retention emptied partition {p} up to {high} after {:?}",
                t0.elapsed()
            );
            break;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(60),
            "retention did not delete partition {p}'s segments within 60 s (low {low}, high {high})"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    // From now on the topic keeps what it gets.
    set_retention(&topics.payments, 86_400_000);
    t1.sell(3);
    t1.relay();
    assert_eq!(
        mgr.catch_up("back after retention overtook the stored offset"),
        3
    );
    let seen = mgr.store().tills().unwrap();
    let t1_seen = seen.iter().find(|t| t.till_id == "T1").expect("T1 seen");
    println!(
        "T1 as the manager sees it: {} events, gaps {:?}",
        t1_seen.events, t1_seen.gaps
    );
    // shift.opened + 10 sales read before; sales 11..15 deleted unread; 16..18 read now.
    assert_eq!(t1_seen.highest_seq, 19);
    assert_eq!(
        t1_seen.gaps,
        vec![(12, 16)],
        "what retention took shows as a gap"
    );
    assert_eq!(mgr.catch_up("nothing new"), 0);
}

/// A partition whose records were all deleted (low == high > 0): a new manager and one
/// whose stored offset the deletion overtook both finish, and later events still arrive.
#[test]
fn a_partition_whose_records_were_all_deleted_is_caught_up() {
    let topics = topics("deleted", &[]);
    let mut t1 = TestTill::new("T1", &topics);
    t1.sell(6);
    t1.relay();
    let early = Manager::new(&topics);
    early.catch_up("first catch-up");
    t1.sell(4);
    t1.relay();

    let p = partition_of(&t1, &topics.payments);
    let (_, _, high) = watermarks(&topics.payments)[p as usize];
    cluster().delete_records(&topics.payments, p, high);
    let marks = watermarks(&topics.payments);
    println!("payments watermarks (partition, low, high) after deleting {p}: {marks:?}");
    assert_eq!((marks[p as usize].1, marks[p as usize].2), (high, high));

    let fresh = Manager::new(&topics);
    fresh.catch_up("a new manager after the deletion");
    early.catch_up("a manager the deletion overtook");
    assert_eq!(fresh.catch_up("nothing new"), 0);
    assert_eq!(early.catch_up("nothing new"), 0);
    // A sale after the deletion reaches both.
    t1.sell(1);
    t1.relay();
    let last: String = rusqlite::Connection::open(t1.db())
        .unwrap()
        .query_row(
            "SELECT event_id FROM journal ORDER BY till_seq DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    for (m, name) in [(&fresh, "fresh"), (&early, "early")] {
        assert_eq!(m.catch_up(&format!("{name}: a sale after the deletion")), 1);
        assert!(m.has_all(&BTreeSet::from([last.clone()])));
    }
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

/// Copies outbox rows to their topics as a transactional producer would (same key, value
/// and CloudEvents headers); `edit` may change a value (a forged copy).
fn copy(p: &BaseProducer, rows: &[purser_store::OutboxRow], edit: impl Fn(&str) -> String) {
    for r in rows {
        let mut headers = OwnedHeaders::new();
        for (k, v) in &r.headers {
            headers = headers.insert(Header {
                key: k,
                value: Some(v.as_bytes()),
            });
        }
        let payload = edit(&r.payload);
        p.send(
            BaseRecord::to(&r.topic)
                .key(r.key.as_bytes())
                .payload(payload.as_bytes())
                .headers(headers),
        )
        .map_err(|(e, _)| e)
        .expect("queued");
    }
    p.flush(Duration::from_secs(30)).expect("flushed");
}

/// Till T2's events copied in by a transactional producer: committed ones count once,
/// aborted (forged) ones never, the markers ending the partitions hold no catch-up, nor
/// does a transaction still open.
#[test]
fn transactional_till_events_are_caught_up_and_aborted_ones_never_count() {
    let topics = topics("txn", &[]);
    let mut t1 = TestTill::new("T1", &topics);
    t1.sell(4);
    t1.relay();
    // T2's events reach the store's cluster through a transactional copy.
    let mut t2 = TestTill::new("T2", &topics);
    t2.sell(6);
    let rows = t2.rows();
    let p = transactional_producer(&format!("copy-{}", topics.payments));
    p.begin_transaction().unwrap();
    copy(&p, &rows[..3], str::to_string);
    p.commit_transaction(Duration::from_secs(30)).unwrap();
    p.begin_transaction().unwrap();
    copy(&p, &rows[3..], |v| {
        v.replace("\"cashier_id\":\"ana\"", "\"cashier_id\":\"mallory\"")
    });
    p.abort_transaction(Duration::from_secs(30)).unwrap();
    p.begin_transaction().unwrap();
    copy(&p, &rows[3..], str::to_string);
    p.commit_transaction(Duration::from_secs(30)).unwrap();
    println!(
        "payments watermarks (partition, low, high): {:?}",
        watermarks(&topics.payments)
    );

    let mgr = Manager::new(&topics);
    mgr.catch_up("first catch-up of transactional events");
    assert!(mgr.has_all(&t1.event_ids()), "T1's relayed events");
    assert!(mgr.has_all(&t2.event_ids()), "T2's committed events");
    let st = mgr.store().state().unwrap();
    println!("reporting store: {st:?}");
    assert_eq!(
        st.events as usize,
        t1.event_ids().len() + t2.event_ids().len()
    );
    assert_eq!(st.quarantined, 0, "no forged (aborted) copy was read");
    assert_eq!(st.duplicates, 0, "aborted copies are not delivered at all");
    let seen = mgr.store().tills().unwrap();
    assert!(seen.iter().all(|t| t.gaps.is_empty()), "{seen:?}");
    assert_eq!(mgr.catch_up("nothing new after the markers"), 0);

    // A transaction left open: the catch-up ends at the last stable offset.
    t2.sell(1);
    let new = t2.rows().split_off(rows.len());
    p.begin_transaction().unwrap();
    copy(&p, &new, str::to_string);
    assert_eq!(mgr.catch_up("a transaction still open"), 0);
    p.commit_transaction(Duration::from_secs(30)).unwrap();
    assert_eq!(mgr.catch_up("the open transaction committed"), 1);
    assert!(mgr.has_all(&t2.event_ids()));
}

/// Headquarters' reconciliation, mirrored to the store: this store's days reach the
/// manager's tills report (the latest status per day wins; other stores' are skipped; an
/// unreadable record is quarantined), also when the topic appears after the manager
/// started reading.
#[test]
fn headquarters_confirmation_reaches_the_tills_report() {
    use purser_core::reconciliation::{DayState, DayStatus, ReconciliationRecord};
    let t = topics("hq", &[]);
    let mut t1 = TestTill::new("T1", &t);
    t1.sell(2);
    t1.relay();
    let mgr = Manager::new(&t);
    mgr.catch_up("before headquarters published anything");
    let r = purser_app::report::Reports::open(&mgr.settings)
        .unwrap()
        .tills(chrono::Utc::now())
        .unwrap();
    assert!(r.tills[0].hq_days.is_empty());
    assert!(purser_app::report::tills_text(&r).contains("nothing confirmed yet"));

    ensure_topics(
        &kafka(),
        &[TopicSpec {
            name: t.reconciliation.clone(),
            partitions: 2,
            replication: 1,
            config: vec![("cleanup.policy".into(), "compact".into())],
        }],
        Duration::from_secs(30),
    )
    .unwrap();
    let date = chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
    let rec = |store: &str, state: DayState, missing: Vec<(u64, u64)>, at: &str| {
        let mut day = DayStatus {
            store_id: store.into(),
            till_id: "T1".into(),
            business_date: date,
            state,
            events: 40,
            first_seq: 1,
            last_seq: 42,
            missing,
            open_shifts: vec![],
            duplicates: 0,
            conflicts: vec![],
            z_mismatches: vec![],
            chain_broken_from: None,
            chain_unverified: false,
            z_matched: 1,
        };
        day.settle();
        let key = day.key();
        let r = ReconciliationRecord {
            schema_version: 1,
            day,
            updated_at: at.parse().unwrap(),
        };
        (key, serde_json::to_string(&r).unwrap())
    };
    let p: BaseProducer = kafka().client_config().create().unwrap();
    let send = |k: &str, v: &str| {
        p.send(BaseRecord::to(&t.reconciliation).key(k).payload(v))
            .unwrap();
    };
    let (k, waiting) = rec(
        "S1",
        DayState::Waiting,
        vec![(5, 5), (9, 12)],
        "2026-11-26T01:00:00Z",
    );
    send(&k, &waiting);
    let (ko, other) = rec("S2", DayState::Conflict, vec![], "2026-11-26T01:00:00Z");
    send(&ko, &other);
    send("S1/T1/not-a-date", "{}");
    p.flush(Duration::from_secs(10)).unwrap();
    mgr.catch_up("headquarters waits for two ranges");
    let reports = purser_app::report::Reports::open(&mgr.settings).unwrap();
    let r = reports.tills(chrono::Utc::now()).unwrap();
    let hq = &r.tills[0].hq_days;
    assert_eq!(hq.len(), 1, "{hq:?}");
    assert_eq!(hq[0].state, DayState::Waiting);
    assert_eq!(hq[0].missing, "5, 9-12");
    let text = purser_app::report::tills_text(&r);
    assert!(text.contains("waiting for #5, #9-12"), "{text}");
    assert!(
        r.quarantined
            .iter()
            .any(|q| q.reason.contains("not-a-date")),
        "{:?}",
        r.quarantined
    );
    // The rest arrives in the cloud: complete. An older copy replayed later changes nothing.
    let (_, done) = rec("S1", DayState::Complete, vec![], "2026-11-26T03:00:00Z");
    send(&k, &done);
    send(&k, &waiting);
    p.flush(Duration::from_secs(10)).unwrap();
    mgr.catch_up("headquarters confirms the day");
    let r = reports.tills(chrono::Utc::now()).unwrap();
    assert_eq!(r.tills[0].hq_days[0].state, DayState::Complete);
    let text = purser_app::report::tills_text(&r);
    assert!(text.contains("confirmed complete"), "{text}");
    let csv = purser_app::report::tills_csv(&r).unwrap();
    assert!(
        csv.contains("hq_day,T1 2026-11-25,,,complete missing -"),
        "{csv}"
    );
}
