//! The relay against librdkafka's in-process mock cluster, with faults injected.
//! What arrives is read back with a consumer, audited (`event_id` dedupe, `till_seq`
//! gaps and order) and every value validated against its JSON Schema.

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use chrono::Utc;
use rdkafka::mocking::MockCluster;
use rdkafka::producer::DefaultProducerContext;
use rdkafka::types::{RDKafkaApiKey, RDKafkaRespErr};

use purser_core::cart::{Cart, Quantity};
use purser_core::catalog::{Product, SoldBy};
use purser_core::events::{
    audit_sequence, DrawerOpened, EventBody, EventContext, EventHeader, SaleCompleted,
    SequenceAudit,
};
use purser_core::money::Money;
use purser_core::tax::{TaxClass, TaxMode, TaxTable};
use purser_core::tender::{settle, TenderInput};
use purser_store::{Store, StoreError};
use purser_stream::config::ConfigError;
use purser_stream::readback::read_all;
use purser_stream::{KafkaConfig, Relay, RelayError, RelayOptions, RelayStatus, RunMode};

const TOPIC: &str = "pos.payments.v1";

struct Fixture {
    _dir: tempfile::TempDir,
    db: PathBuf,
    mock: MockCluster<'static, DefaultProducerContext>,
    kafka: KafkaConfig,
    written: u64,
}

fn fixture() -> Fixture {
    let (dir, db) = common::till_db();
    let mock = MockCluster::new(1).unwrap();
    mock.create_topic(TOPIC, 3, 1).unwrap();
    let kafka = KafkaConfig {
        bootstrap_servers: mock.bootstrap_servers(),
        ..Default::default()
    };
    Fixture {
        _dir: dir,
        db,
        mock,
        kafka,
        written: 0,
    }
}

fn sale_body(n: u64) -> SaleCompleted {
    let taxes = TaxTable {
        classes: vec![TaxClass {
            code: "standard".into(),
            rate_bp: 2000,
        }],
    };
    let p = Product::new(
        "SKU1",
        "Espresso",
        &[],
        Money(220 + i64::try_from(n % 7).unwrap()),
        "standard",
        SoldBy::Unit,
        None,
        true,
    )
    .unwrap();
    let mut cart = Cart::new();
    cart.add(&p, Quantity::Units(1 + i64::try_from(n % 3).unwrap()))
        .unwrap();
    let priced = cart.price(&taxes, TaxMode::Inclusive).unwrap();
    let s = settle(priced.total, &[TenderInput::Cash { tendered: None }], 1).unwrap();
    SaleCompleted::new(
        uuid::Uuid::now_v7(),
        format!("T1-{n:06}"),
        "EUR",
        None,
        priced,
        s,
        None,
    )
}

/// Records `n` business events (sales, every tenth a drawer open) as the till would.
fn sell(f: &mut Fixture, n: u64) {
    let mut s = Store::open(&f.db).unwrap();
    for _ in 0..n {
        f.written += 1;
        let k = f.written;
        let ctx = EventContext {
            store_id: "S1".into(),
            till_id: "T1".into(),
            occurred_at: Utc::now(),
            business_date: Utc::now().date_naive(),
            shift_id: Some(uuid::Uuid::now_v7()),
            cashier_id: Some("C1".into()),
        };
        let body = if k.is_multiple_of(10) {
            EventBody::DrawerOpened(DrawerOpened {
                reason: "change".into(),
                approved_by: Some("M1".into()),
            })
        } else {
            EventBody::SaleCompleted(sale_body(k))
        };
        s.act(Utc::now(), |a| -> Result<(), StoreError> {
            a.emit(&ctx, uuid::Uuid::now_v7(), body, TOPIC)?;
            Ok(())
        })
        .unwrap();
    }
}

fn options() -> RelayOptions {
    RelayOptions {
        backoff_min: Duration::from_millis(50),
        backoff_max: Duration::from_millis(500),
        ..Default::default()
    }
}

struct Running {
    stop: Arc<AtomicBool>,
    status: Arc<std::sync::Mutex<RelayStatus>>,
    handle: JoinHandle<u64>,
}

fn start(db: &Path, kafka: KafkaConfig, opts: RelayOptions) -> Running {
    let mut relay = Relay::new(db, kafka, opts).unwrap();
    let status = relay.status();
    let stop = Arc::new(AtomicBool::new(false));
    let s = stop.clone();
    let handle = std::thread::spawn(move || relay.run(&s, RunMode::Forever).unwrap());
    Running {
        stop,
        status,
        handle,
    }
}

impl Running {
    fn status(&self) -> RelayStatus {
        self.status.lock().unwrap().clone()
    }
    fn stop(self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        self.handle.join().unwrap()
    }
}

fn pending(db: &Path) -> u64 {
    Store::open(db).unwrap().outbox_status().unwrap().pending
}

fn wait_until(what: &str, timeout: Duration, mut cond: impl FnMut() -> bool) {
    let t0 = Instant::now();
    while !cond() {
        assert!(t0.elapsed() < timeout, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn validators() -> HashMap<String, jsonschema::Validator> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schemas");
    let mut out = HashMap::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        if let Some(stem) = name.strip_suffix(".v1.schema.json") {
            let schema: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
            out.insert(
                stem.to_string(),
                jsonschema::validator_for(&schema).unwrap(),
            );
        }
    }
    out
}

/// Reads the topic back and audits it; every value must validate and carry CloudEvents headers.
fn audit(f: &Fixture) -> SequenceAudit {
    let records = read_all(&f.kafka, &[TOPIC], Duration::from_secs(30)).unwrap();
    let validators = validators();
    let mut parsed = Vec::new();
    for r in &records {
        let payload = r.payload.clone().expect("a value");
        let value: serde_json::Value = serde_json::from_str(&payload).expect("JSON value");
        let h: EventHeader = serde_json::from_value(value.clone()).expect("event header");
        let v = validators
            .get(&h.event_type)
            .unwrap_or_else(|| panic!("no schema for {}", h.event_type));
        let errors: Vec<String> = v.iter_errors(&value).map(|e| e.to_string()).collect();
        assert!(
            errors.is_empty(),
            "{} does not validate: {errors:?}",
            h.event_type
        );
        assert_eq!(r.key.as_deref(), Some("T1"));
        let header = |k: &str| {
            r.headers
                .iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.clone())
        };
        assert_eq!(header("ce_id"), Some(h.event_id.to_string()));
        assert_eq!(
            header("ce_type"),
            Some(format!("io.purser.{}.v1", h.event_type))
        );
        assert_eq!(header("ce_source").as_deref(), Some("/stores/S1/tills/T1"));
        assert_eq!(header("content-type").as_deref(), Some("application/json"));
        parsed.push((format!("{}/{}", r.topic, r.partition), h, payload));
    }
    audit_sequence(parsed.iter().map(|(k, h, p)| (k.as_str(), h, p.as_str())))
}

fn assert_exactly_once_in_order(a: &SequenceAudit, n: u64) {
    assert_eq!(a.distinct as u64, n, "{a:?}");
    assert!(a.gaps.is_empty(), "gaps: {:?}", a.gaps);
    assert!(
        a.out_of_order.is_empty(),
        "out of order: {:?}",
        a.out_of_order
    );
    assert!(
        a.conflicts.is_empty(),
        "conflicting duplicates: {:?}",
        a.conflicts
    );
    assert_eq!(a.tills, vec![("T1".to_string(), n)]);
}

#[test]
fn sales_made_while_the_broker_is_down_arrive_once_and_in_order() {
    let mut f = fixture();
    sell(&mut f, 20);
    let relay = start(&f.db, f.kafka.clone(), options());
    wait_until(
        "the first events to be sent",
        Duration::from_secs(30),
        || pending(&f.db) == 0,
    );
    assert!(relay.status().connected);

    f.mock.broker_down(1).unwrap();
    wait_until(
        "the relay to notice the broker is gone",
        Duration::from_secs(30),
        || !relay.status().connected,
    );
    sell(&mut f, 300);
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(
        pending(&f.db),
        300,
        "nothing can be acknowledged while the broker is down"
    );

    f.mock.broker_up(1).unwrap();
    wait_until("the backlog to drain", Duration::from_secs(60), || {
        pending(&f.db) == 0
    });
    assert!(relay.status().connected);
    relay.stop();
    let a = audit(&f);
    assert_exactly_once_in_order(&a, 320);
    assert_eq!(a.duplicates, 0);
}

#[test]
fn injected_produce_errors_are_retried_without_loss_or_duplicates() {
    let mut f = fixture();
    sell(&mut f, 500);
    f.mock.request_errors(
        RDKafkaApiKey::Produce,
        &[
            RDKafkaRespErr::RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION,
            RDKafkaRespErr::RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT,
            RDKafkaRespErr::RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS,
            RDKafkaRespErr::RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE,
            RDKafkaRespErr::RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND,
        ],
    );
    let mut relay = Relay::new(&f.db, f.kafka.clone(), options()).unwrap();
    let sent = relay
        .run(
            &AtomicBool::new(false),
            RunMode::UntilEmpty {
                deadline: Some(Duration::from_secs(60)),
            },
        )
        .unwrap();
    assert_eq!(sent, 500);
    let a = audit(&f);
    assert_exactly_once_in_order(&a, 500);
    assert_eq!(
        a.duplicates, 0,
        "the idempotent producer must not duplicate on retries"
    );
}

#[test]
fn a_finite_delivery_timeout_is_refused_before_anything_is_sent() {
    // A finite message.timeout.ms (or its alias delivery.timeout.ms) lets a row time out
    // while a later one goes through; a partitioner other than murmur2 moves a till's
    // events to another partition. Both would break per-till order.
    let mut f = fixture();
    sell(&mut f, 3);
    for (k, v) in [
        ("message.timeout.ms", "1500"),
        ("delivery.timeout.ms", "300000"),
        ("partitioner", "consistent_random"),
    ] {
        let mut kafka = f.kafka.clone();
        kafka.extra.insert(k.into(), v.into());
        let err = Relay::new(&f.db, kafka, options()).unwrap_err();
        assert!(
            matches!(err, RelayError::Config(ConfigError::OrderBreaking { .. })),
            "{k}: {err:?}"
        );
        assert!(err.to_string().contains(k), "{err}");
    }
    assert_eq!(pending(&f.db), 3, "nothing was sent or lost");
}

#[test]
fn a_fatal_producer_error_rebuilds_the_producer_and_resumes_in_order() {
    let mut f = fixture();
    sell(&mut f, 200);
    // The idempotent producer's first InitProducerId is refused with an authorization
    // error, which librdkafka treats as fatal for the producer instance.
    f.mock.request_errors(
        RDKafkaApiKey::InitProducerId,
        &[RDKafkaRespErr::RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED],
    );
    let mut relay = Relay::new(&f.db, f.kafka.clone(), options()).unwrap();
    let status = relay.status();
    let sent = relay
        .run(
            &AtomicBool::new(false),
            RunMode::UntilEmpty {
                deadline: Some(Duration::from_secs(60)),
            },
        )
        .unwrap();
    assert_eq!(sent, 200);
    let st = status.lock().unwrap().clone();
    assert!(
        st.producer_builds >= 2,
        "the producer must have been rebuilt: {st:?}"
    );
    let err = st.last_error.unwrap_or_default();
    assert!(
        err.contains("not authorised to write") && err.contains("CLUSTER_AUTHORIZATION_FAILED"),
        "the refusal is named, not librdkafka's 'Fatal error': {err}"
    );
    assert_eq!(st.refused, None, "over once rows are acknowledged");
    let a = audit(&f);
    assert_exactly_once_in_order(&a, 200);
}

#[test]
fn a_refused_topic_is_named_on_the_rows_and_in_the_status_and_the_rows_go_once_allowed() {
    let mut f = fixture();
    sell(&mut f, 30);
    // The cluster's ACLs refuse the topic for a while (three produce requests), then
    // allow it, as when an installer grants the till's rights with acls.sh.
    f.mock.request_errors(
        RDKafkaApiKey::Produce,
        &[RDKafkaRespErr::RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED; 3],
    );
    let relay = start(&f.db, f.kafka.clone(), options());
    wait_until(
        "the refusal to be named in the status",
        Duration::from_secs(30),
        || relay.status().refused.is_some(),
    );
    let refused = relay.status().refused.unwrap();
    assert_eq!(refused.topic.as_deref(), Some(TOPIC));
    assert_eq!(refused.error, "TOPIC_AUTHORIZATION_FAILED");
    let err: String = rusqlite::Connection::open(&f.db)
        .unwrap()
        .query_row(
            "SELECT last_error FROM outbox WHERE last_error IS NOT NULL LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(
        err.starts_with(&format!(
            "not authorised to write {TOPIC} (TOPIC_AUTHORIZATION_FAILED)"
        )),
        "{err}"
    );
    wait_until(
        "the rows to go once the topic is allowed",
        Duration::from_secs(60),
        || pending(&f.db) == 0,
    );
    wait_until("the refusal to clear", Duration::from_secs(10), || {
        relay.status().refused.is_none()
    });
    assert!(
        relay.status().producer_builds >= 2,
        "rebuilt after the fatal refusal"
    );
    relay.stop();
    let a = audit(&f);
    assert_exactly_once_in_order(&a, 30);
    assert_eq!(a.duplicates, 0);
}

#[test]
fn lost_acknowledgements_only_cause_duplicates_that_dedupe_to_exactly_once() {
    let mut f = fixture();
    sell(&mut f, 150);
    let mut relay = Relay::new(&f.db, f.kafka.clone(), options()).unwrap();
    relay
        .run(
            &AtomicBool::new(false),
            RunMode::UntilEmpty {
                deadline: Some(Duration::from_secs(60)),
            },
        )
        .unwrap();
    // A power cut loses the "published" marks of rows 60..150 (the relay's connection does
    // not fsync them): those rows are sent again.
    rusqlite::Connection::open(&f.db)
        .unwrap()
        .execute_batch("DELETE FROM outbox_acks WHERE till_seq >= 60; UPDATE till SET outbox_acked_through = 59")
        .unwrap();
    sell(&mut f, 10);
    let sent = relay
        .run(
            &AtomicBool::new(false),
            RunMode::UntilEmpty {
                deadline: Some(Duration::from_secs(60)),
            },
        )
        .unwrap();
    assert_eq!(sent, 91 + 10);
    let a = audit(&f);
    assert_exactly_once_in_order(&a, 160);
    assert_eq!(a.duplicates, 91);
}

#[test]
fn an_unreachable_broker_makes_until_empty_give_up_with_a_clear_error() {
    let mut f = fixture();
    sell(&mut f, 5);
    let kafka = KafkaConfig {
        bootstrap_servers: "127.0.0.1:1".into(),
        ..Default::default()
    };
    let mut relay = Relay::new(&f.db, kafka, options()).unwrap();
    let err = relay
        .run(
            &AtomicBool::new(false),
            RunMode::UntilEmpty {
                deadline: Some(Duration::from_secs(3)),
            },
        )
        .unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("5 events still waiting"), "{msg}");
    assert_eq!(pending(&f.db), 5);
}

#[test]
fn a_stalled_producer_is_rebuilt_and_what_it_held_is_sent_again_in_order() {
    let mut f = fixture();
    sell(&mut f, 60);
    // Acknowledgements take 3 s; the relay gives a session 1 s without progress.
    f.mock
        .broker_round_trip_time(1, Duration::from_secs(3))
        .unwrap();
    let opts = RelayOptions {
        stall_timeout: Duration::from_secs(1),
        ..options()
    };
    let relay = start(&f.db, f.kafka.clone(), opts);
    wait_until(
        "a stalled session to be rebuilt",
        Duration::from_secs(30),
        || relay.status().producer_builds >= 2,
    );
    f.mock.broker_round_trip_time(1, Duration::ZERO).unwrap();
    wait_until("the outbox to drain", Duration::from_secs(60), || {
        pending(&f.db) == 0
    });
    relay.stop();
    let a = audit(&f);
    // Rows the stalled session had delivered may arrive twice; never lost, never reordered.
    assert_exactly_once_in_order(&a, 60);
}

#[test]
fn a_database_held_by_another_process_pauses_the_relay_which_then_goes_on() {
    // Defect: any SQLite error (here the busy timeout) ended the relay thread for good,
    // with events waiting and nothing ever sent again.
    let mut f = fixture();
    sell(&mut f, 7);
    // Another process holds the till database's write lock for longer than the relay's
    // busy timeout, so it cannot record the acknowledgements.
    let blocker = rusqlite::Connection::open(&f.db).unwrap();
    blocker.execute_batch("BEGIN IMMEDIATE").unwrap();
    let relay = start(
        &f.db,
        f.kafka.clone(),
        RelayOptions {
            store_busy_timeout: Duration::from_millis(200),
            ..options()
        },
    );
    wait_until(
        "the relay to say it cannot use the database",
        Duration::from_secs(30),
        || relay.status().store_error.is_some(),
    );
    let st = relay.status();
    let e = st.store_error.unwrap();
    assert!(e.contains("busy"), "{e}");
    assert_eq!(st.last_error.as_deref(), Some(e.as_str()));
    // It keeps trying rather than ending.
    std::thread::sleep(Duration::from_secs(2));
    assert!(!relay.handle.is_finished(), "the relay thread ended");
    blocker.execute_batch("COMMIT").unwrap();
    drop(blocker);
    wait_until(
        "the waiting events to be recorded as sent",
        Duration::from_secs(30),
        || pending(&f.db) == 0,
    );
    let st = relay.status();
    assert_eq!(st.store_error, None);
    assert_eq!(
        st.last_error, None,
        "the database's error is gone once it answers"
    );
    assert_eq!(st.published, 7);
    relay.stop();
    let a = audit(&f);
    assert_exactly_once_in_order(&a, 7);
    assert_eq!(a.duplicates, 0, "acknowledgements held back are not resent");
}

#[test]
fn an_event_the_cluster_keeps_refusing_is_named_in_the_status() {
    let mut f = fixture();
    sell(&mut f, 5);
    let first_id: String = rusqlite::Connection::open(&f.db)
        .unwrap()
        .query_row("SELECT event_id FROM outbox WHERE till_seq = 1", [], |r| {
            r.get(0)
        })
        .unwrap();
    f.mock.request_errors(
        RDKafkaApiKey::Produce,
        &[RDKafkaRespErr::RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE; 6],
    );
    let relay = start(&f.db, f.kafka.clone(), options());
    wait_until(
        "the first event to be reported as blocking",
        Duration::from_secs(30),
        || {
            Store::open(&f.db)
                .unwrap()
                .outbox_status()
                .unwrap()
                .blocked
                .is_some()
        },
    );
    let st = Store::open(&f.db).unwrap().outbox_status().unwrap();
    let b = st.blocked.clone().unwrap();
    assert_eq!(b.till_seq, 1);
    assert_eq!(b.event_id, first_id);
    assert_eq!(b.event_type, "sale.completed");
    assert_eq!(b.topic, TOPIC);
    assert!(b.attempts >= purser_store::BLOCKED_AFTER_ATTEMPTS);
    assert!(b.error.to_ascii_lowercase().contains("too large"), "{b:?}");
    assert!(b.to_string().contains("wait behind it"), "{b}");
    // Once the cluster takes it, it and the events behind it go, in order, and the
    // status no longer names it.
    wait_until("everything to be sent", Duration::from_secs(60), || {
        pending(&f.db) == 0
    });
    assert_eq!(
        Store::open(&f.db).unwrap().outbox_status().unwrap().blocked,
        None
    );
    relay.stop();
    assert_exactly_once_in_order(&audit(&f), 5);
}
