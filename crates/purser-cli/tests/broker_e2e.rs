//! End to end against a real Kafka-protocol broker process: `tansu` started here, or the
//! Kafka named by `PURSER_TEST_KAFKA`. The till sells through the `purser` command, the
//! relay sends, and an independent client (kafka-python) reads what arrived.

mod common;

use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::{Broker, TestTill};
use purser_core::events::{audit_sequence, EventHeader};

fn read_with_kafka_python(bootstrap: &str, topics: &[&str]) -> Vec<serde_json::Value> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/kafka_read.py");
    let mut cmd = Command::new(std::env::var("PURSER_PYTHON").unwrap_or_else(|_| "python3".into()));
    cmd.arg(script).args(["--bootstrap", bootstrap]);
    for t in topics {
        cmd.args(["--topic", t]);
    }
    let out = cmd
        .output()
        .expect("python3 with kafka-python (scripts/setup.sh installs it)");
    assert!(
        out.status.success(),
        "kafka_read.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn validators() -> BTreeMap<String, jsonschema::Validator> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schemas");
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| {
            let p = e.unwrap().path();
            let name = p.file_name()?.to_string_lossy().to_string();
            let stem = name.strip_suffix(".v1.schema.json")?.to_string();
            let schema: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
            Some((stem, jsonschema::validator_for(&schema).unwrap()))
        })
        .collect()
}

#[test]
fn sales_reach_a_real_broker_once_in_order_and_valid() {
    let broker = Broker::start();
    let run = uuid::Uuid::now_v7().simple().to_string();
    let t = TestTill::new(broker.bootstrap());
    // Unique topic names, so a shared external Kafka can run this test repeatedly.
    let cfg = std::fs::read_to_string(&t.config).unwrap();
    let cfg = cfg
        .replace("\"pos.payments.v1\"", &format!("\"e2e-{run}.payments\""))
        .replace("\"pos.tills.v1\"", &format!("\"e2e-{run}.tills\""));
    std::fs::write(&t.config, cfg).unwrap();
    let (payments, tills) = (format!("e2e-{run}.payments"), format!("e2e-{run}.tills"));
    let kafka = purser_stream::KafkaConfig {
        bootstrap_servers: broker.bootstrap().to_string(),
        ..Default::default()
    };
    let specs: Vec<_> = [&payments, &tills]
        .iter()
        .map(|n| purser_stream::admin::TopicSpec {
            name: (*n).clone(),
            partitions: 3,
            replication: 1,
            config: vec![("cleanup.policy".into(), "delete".into())],
        })
        .collect();
    purser_stream::admin::ensure_topics(&kafka, &specs, Duration::from_secs(20)).unwrap();

    t.ok(&["shift", "open", "--cashier", "C1", "--float", "150"]);
    let mut receipts = Vec::new();
    for i in 0..20 {
        let tender = if i % 2 == 0 {
            "cash:50".to_string()
        } else {
            format!("card:mastercard:5454:OK{i}:TRM-{i}")
        };
        let sale = t.json(&[
            "sell",
            "--item",
            "4006381333931*2",
            "--item",
            "CRO",
            "--tender",
            &tender,
        ]);
        receipts.push(sale["receipt_no"].as_str().unwrap().to_string());
    }
    t.ok(&[
        "refund",
        "--receipt",
        &receipts[3],
        "--all",
        "--reason",
        "faulty",
        "--approved-by",
        "M1",
    ]);
    t.ok(&[
        "void",
        "--receipt",
        &receipts[19],
        "--reason",
        "test",
        "--approved-by",
        "M1",
    ]);
    t.ok(&["shift", "close", "--counted", "300", "--end-of-day"]);
    let written = t.events_written();
    assert_eq!(written, 24);

    let out = t.ok(&["relay", "--until-empty", "--timeout", "120"]);
    assert!(out.contains("24 events sent"), "{out}");
    assert_eq!(t.json(&["outbox", "status"])["pending"], 0);

    let records = read_with_kafka_python(broker.bootstrap(), &[&payments, &tills]);
    let validators = validators();
    let mut parsed = Vec::new();
    for r in &records {
        let v = &r["value"];
        let h: EventHeader = serde_json::from_value(v.clone()).unwrap();
        let errors: Vec<String> = validators[&h.event_type]
            .iter_errors(v)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{}: {errors:?}", h.event_type);
        assert_eq!(r["key"], "T1", "keyed by till");
        assert_eq!(r["headers"]["ce_id"], h.event_id.to_string());
        assert_eq!(r["headers"]["ce_specversion"], "1.0");
        assert_eq!(r["headers"]["ce_source"], "/stores/S1/tills/T1");
        let expected_topic =
            if h.event_type.starts_with("shift.") || h.event_type.starts_with("till.") {
                &tills
            } else {
                &payments
            };
        assert_eq!(r["topic"].as_str().unwrap(), expected_topic.as_str());
        parsed.push((
            format!("{}/{}", r["topic"], r["partition"]),
            h,
            v.to_string(),
        ));
    }
    let audit = audit_sequence(parsed.iter().map(|(k, h, p)| (k.as_str(), h, p.as_str())));
    assert_eq!(audit.distinct, 24, "{audit:?}");
    assert!(
        audit.gaps.is_empty() && audit.out_of_order.is_empty(),
        "{audit:?}"
    );
    assert_eq!(audit.tills, vec![("T1".to_string(), 24)]);
    let on_wire: HashSet<String> = parsed
        .iter()
        .map(|(_, h, _)| h.event_id.to_string())
        .collect();
    let conn = rusqlite::Connection::open(&t.db).unwrap();
    let mut stmt = conn.prepare("SELECT event_id FROM journal").unwrap();
    let in_journal: HashSet<String> = stmt
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(
        on_wire, in_journal,
        "the broker holds exactly the till's journal"
    );
    // The broker's own offsets were recorded against each row.
    let unmarked: i64 =
        t.sql("SELECT count(*) FROM outbox_rows WHERE published_at IS NULL OR \"offset\" IS NULL OR partition IS NULL");
    assert_eq!(unmarked, 0);
}

#[test]
fn outbox_status_probe_tells_reachable_from_unreachable() {
    let broker = Broker::start();
    let t = TestTill::new(broker.bootstrap());
    let st = t.json(&["outbox", "status", "--probe"]);
    assert_eq!(st["broker"]["reachable"], true, "{st}");
    let down = TestTill::new("127.0.0.1:1");
    let st = down.json(&["outbox", "status", "--probe"]);
    assert_eq!(st["broker"]["reachable"], false, "{st}");
    assert!(st["broker"]["error"]
        .as_str()
        .unwrap()
        .contains("cannot reach Kafka"));
}
