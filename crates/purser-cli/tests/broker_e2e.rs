//! End to end against Apache Kafka: one node started here from the edge kit, or the
//! Kafka named by `PURSER_TEST_KAFKA`. The till sells through the `purser` command, the
//! relay sends, and an independent client (kafka-python) reads what arrived.

mod common;

use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::{unique_topics, Broker, TestTill};
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
    unique_topics(&t, &format!("e2e-{run}"));
    let (payments, tills) = (
        format!("e2e-{run}.payments.v1"),
        format!("e2e-{run}.tills.v1"),
    );
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

    t.add_supervisor("M1", "2468");
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
    t.ok_in(
        &[
            "refund",
            "--receipt",
            &receipts[3],
            "--all",
            "--reason",
            "faulty",
            "--approved-by",
            "M1",
        ],
        "2468\n",
    );
    t.ok_in(
        &[
            "void",
            "--receipt",
            &receipts[19],
            "--reason",
            "test",
            "--approved-by",
            "M1",
        ],
        "2468\n",
    );
    t.ok(&["shift", "close", "--counted", "300", "--end-of-day"]);
    let written = t.events_written();
    assert_eq!(written, 24);

    let relayed = t.run(&["relay", "--until-empty", "--timeout", "120"]);
    let (out, err) = (
        String::from_utf8_lossy(&relayed.stdout),
        String::from_utf8_lossy(&relayed.stderr),
    );
    assert!(relayed.status.success(), "relay failed: {err}\n{out}");
    assert!(out.contains("24 events sent"), "{out}");
    // librdkafka's notes on its own settings (CONFWARN: "enable.gapless.guarantee is
    // experimental") are not the installer's business: a relay start prints none.
    assert!(
        !err.contains("experimental") && !err.contains("CONFWARN"),
        "the relay printed librdkafka's configuration notes: {err}"
    );
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

fn publish_with_kafka_python(bootstrap: &str, topic: &str, lines: &[serde_json::Value]) {
    use std::io::Write;
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/kafka_publish.py");
    let mut child =
        Command::new(std::env::var("PURSER_PYTHON").unwrap_or_else(|_| "python3".into()))
            .arg(script)
            .args(["--bootstrap", bootstrap, "--topic", topic])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("python3 with kafka-python");
    let mut stdin = child.stdin.take().unwrap();
    for l in lines {
        writeln!(stdin, "{l}").unwrap();
    }
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "kafka_publish.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn reference_data_from_any_client_reaches_the_till_and_poison_is_quarantined() {
    let broker = Broker::start();
    let run = uuid::Uuid::now_v7().simple().to_string();
    let t = TestTill::new(broker.bootstrap());
    unique_topics(&t, &format!("e2e-{run}"));
    let topic = |n: &str| format!("e2e-{run}.{n}");
    let ensured = t.ok(&["topics", "ensure", "--partitions", "2"]);
    assert!(
        ensured.contains("compact") && ensured.contains("created"),
        "{ensured}"
    );

    // Headquarters' ERP (kafka-python): two products, a poison record, stock.
    let product = |sku: &str, name: &str, code: &str, price: i64| {
        serde_json::json!({"key": sku, "value": {"schema_version": 1, "sku": sku, "name": name, "barcodes": [code], "price": price,
            "currency": "EUR", "tax_class": "standard", "sold_by": "unit", "category": "Bar", "active": true, "updated_at": "2026-11-25T06:00:00Z"}})
    };
    publish_with_kafka_python(
        broker.bootstrap(),
        &topic("catalog.v1"),
        &[
            product("GIN", "Gin and tonic", "5000267024004", 850),
            product("RUM", "Rum and cola", "5010677850100", 820),
            serde_json::json!({"key": "BROKEN", "value": "{\"schema_version\": 1, \"sku\": ", "raw": true}),
        ],
    );
    publish_with_kafka_python(
        broker.bootstrap(),
        &topic("inventory.v1"),
        &[
            serde_json::json!({"key": "S1:GIN", "value": {"schema_version": 1, "store_id": "S1", "sku": "GIN", "on_hand": 2, "low_stock_at": 3, "updated_at": "2026-11-25T06:00:00Z"}}),
        ],
    );
    // And `purser publish` from a CSV.
    let csv = t.path().join("more.csv");
    std::fs::write(
        &csv,
        "sku,name,barcodes,price,tax_class\nTONIC,Tonic water,5000112637922,2.20,standard\n",
    )
    .unwrap();
    t.ok(&["publish", "catalog", csv.to_str().unwrap()]);

    let out = t.ok(&["streams", "run", "--until-caught-up", "--timeout", "60"]);
    assert!(out.contains("records applied"), "{out}");
    let gin = t.json(&["stock", "5000267024004"]);
    assert_eq!(gin["sku"], "GIN");
    // Amounts in minor units, as in the window and the events.
    assert_eq!(gin["price"], 850);
    assert_eq!(gin["stock"]["state"], "low");
    let found = t.json(&["catalog", "search", "tonic"]);
    assert!(
        found
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["sku"] == "TONIC"),
        "{found}"
    );
    let status = t.json(&["streams", "status"]);
    let catalog = status
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["kind"] == "catalog")
        .unwrap();
    assert_eq!(catalog["quarantined"], 1, "{status}");
    assert_eq!(catalog["lag"], 0, "{status}");
    let q = t.json(&["streams", "quarantine"]);
    assert!(q[0]["reason"].as_str().unwrap().contains("not JSON"), "{q}");

    // Delisting by tombstone, and a sale moving local stock until the stream's next value.
    t.ok(&["publish", "catalog", "--delete", "RUM"]);
    t.ok(&["shift", "open", "--cashier", "C1", "--float", "20"]);
    t.ok(&["sell", "--item", "GIN", "--tender", "cash:10"]);
    assert_eq!(t.json(&["stock", "GIN"])["stock"]["on_hand"], 1);
    let err = t.fails(&["sell", "--item", "GIN*2", "--tender", "cash:20"]);
    assert!(err.contains("out of stock (1 left)"), "{err}");
    t.ok(&["streams", "run", "--until-caught-up"]);
    assert!(t
        .fails(&["stock", "RUM"])
        .contains("no product with SKU 'RUM'"));
    t.ok(&["publish", "inventory", csv_stock(&t).to_str().unwrap()]);
    t.ok(&["streams", "run", "--until-caught-up"]);
    assert_eq!(
        t.json(&["stock", "GIN"])["stock"]["on_hand"],
        48,
        "the stream's newer value wins"
    );
}

fn csv_stock(t: &TestTill) -> std::path::PathBuf {
    let p = t.path().join("stock.csv");
    std::fs::write(&p, "sku,on_hand,low_stock_at\nGIN,48,3\n").unwrap();
    p
}

fn doctor(t: &TestTill) -> (i32, Vec<serde_json::Value>) {
    let out = t.run(&["--json", "doctor"]);
    let checks: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    (out.status.code().unwrap(), checks)
}

fn verdict(checks: &[serde_json::Value], name: &str) -> String {
    checks
        .iter()
        .find(|c| c["name"] == name)
        .map(|c| c["verdict"].as_str().unwrap().to_string())
        .unwrap_or_else(|| format!("no check {name} in {checks:?}"))
}

#[test]
fn doctor_tells_a_healthy_till_from_broken_ones() {
    let broker = Broker::start();
    let id = uuid::Uuid::now_v7().simple().to_string();

    // Healthy: topics ensured, streams read.
    let healthy = TestTill::new(broker.bootstrap());
    unique_topics(&healthy, &format!("ok-{id}"));
    healthy.ok(&["topics", "ensure"]);
    healthy.ok(&["streams", "run", "--until-caught-up"]);
    let (code, checks) = doctor(&healthy);
    assert_eq!(code, 0, "{checks:#?}");
    assert!(checks.iter().all(|c| c["verdict"] != "fail"), "{checks:#?}");
    assert_eq!(
        verdict(&checks, &format!("topic ok-{id}.catalog.v1")),
        "pass"
    );

    // A reference topic created with the wrong cleanup policy.
    let wrong = TestTill::new(broker.bootstrap());
    unique_topics(&wrong, &format!("bad-{id}"));
    let kafka = purser_stream::KafkaConfig {
        bootstrap_servers: broker.bootstrap().into(),
        ..Default::default()
    };
    let spec = purser_stream::admin::TopicSpec {
        name: format!("bad-{id}.catalog.v1"),
        partitions: 1,
        replication: 1,
        config: vec![("cleanup.policy".into(), "delete".into())],
    };
    purser_stream::admin::ensure_topics(&kafka, &[spec], Duration::from_secs(10)).unwrap();
    wrong.ok(&["topics", "ensure"]);
    let (code, checks) = doctor(&wrong);
    assert_eq!(code, 1);
    assert_eq!(
        verdict(&checks, &format!("topic bad-{id}.catalog.v1")),
        "fail",
        "{checks:#?}"
    );
    assert_eq!(
        verdict(&checks, &format!("topic bad-{id}.inventory.v1")),
        "pass"
    );

    // Topics never created.
    let bare = TestTill::new(broker.bootstrap());
    unique_topics(&bare, &format!("none-{id}"));
    let (code, checks) = doctor(&bare);
    assert_eq!(code, 1);
    assert_eq!(
        verdict(&checks, &format!("topic none-{id}.payments.v1")),
        "fail",
        "{checks:#?}"
    );

    // The broker cannot be reached.
    let away = TestTill::new("127.0.0.1:1");
    let (code, checks) = doctor(&away);
    assert_eq!(code, 1);
    assert_eq!(verdict(&checks, "kafka"), "fail");
    assert_eq!(
        verdict(&checks, "journal"),
        "pass",
        "the local checks still run"
    );

    // A tampered journal.
    healthy.ok(&["shift", "open", "--cashier", "C1", "--float", "10"]);
    rusqlite::Connection::open(&healthy.db)
        .unwrap()
        .execute("UPDATE journal SET body = replace(body, 'C1', 'C9')", [])
        .unwrap();
    let (code, checks) = doctor(&healthy);
    assert_eq!(code, 1);
    assert_eq!(verdict(&checks, "journal"), "fail");
}

/// A till away longer than the topic keeps its tombstones rebuilds that view; how long is
/// read from the broker (`delete.retention.ms`), not assumed.
#[test]
fn a_topic_with_short_tombstone_retention_rebuilds_after_a_shorter_absence() {
    let broker = Broker::start();
    let run = uuid::Uuid::now_v7().simple().to_string();
    let t = TestTill::new(broker.bootstrap());
    unique_topics(&t, &format!("ret-{run}"));
    let catalog = format!("ret-{run}.catalog.v1");
    // Headquarters made the catalog topic with one hour of tombstone retention
    // (kafka-python's admin client); `topics ensure` leaves it as it is.
    let script = format!(
        "from kafka.admin import KafkaAdminClient, NewTopic\n\
         a = KafkaAdminClient(bootstrap_servers='{}')\n\
         a.create_topics([NewTopic('{}', 1, 1, topic_configs={{'cleanup.policy': 'compact', 'delete.retention.ms': '3600000'}})])\n",
        broker.bootstrap(),
        catalog
    );
    let out = Command::new(std::env::var("PURSER_PYTHON").unwrap_or_else(|_| "python3".into()))
        .args(["-c", &script])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    t.ok(&["topics", "ensure", "--partitions", "1"]);
    let csv = t.path().join("p.csv");
    std::fs::write(
        &csv,
        "sku,name,barcodes,price,tax_class\nGIN,Gin,5000267024004,8.50,standard\n",
    )
    .unwrap();
    t.ok(&["publish", "catalog", csv.to_str().unwrap()]);
    t.ok(&["streams", "run", "--until-caught-up", "--timeout", "60"]);
    let rebuilds = |t: &TestTill| -> (i64, i64) {
        let s = t.json(&["streams", "status"]);
        let get = |kind: &str| {
            s.as_array()
                .unwrap()
                .iter()
                .find(|x| x["kind"] == kind)
                .unwrap()["rebuilds"]
                .as_i64()
                .unwrap()
        };
        (get("catalog"), get("inventory"))
    };
    let (c0, i0) = rebuilds(&t);
    // Two hours away: past the catalog's retention, well inside the inventory's 24 h.
    let two_hours_ago = purser_store::format_ts(chrono::Utc::now() - chrono::Duration::hours(2));
    rusqlite::Connection::open(&t.db)
        .unwrap()
        .execute(
            "UPDATE stream_state SET last_applied_at = ?1",
            [&two_hours_ago],
        )
        .unwrap();
    t.ok(&["streams", "run", "--until-caught-up", "--timeout", "60"]);
    let (c1, i1) = rebuilds(&t);
    assert_eq!(c1, c0 + 1, "the catalog view was rebuilt");
    assert_eq!(i1, i0, "the inventory view was not");
    assert_eq!(t.json(&["stock", "GIN"])["sku"], "GIN");
}

#[test]
fn loyalty_from_the_command_line_on_a_real_broker() {
    let broker = Broker::start();
    let run = uuid::Uuid::now_v7().simple().to_string();
    let t = TestTill::new(broker.bootstrap());
    unique_topics(&t, &format!("e2e-{run}"));
    let topic = |n: &str| format!("e2e-{run}.{n}");
    t.ok(&["topics", "ensure", "--partitions", "2"]);

    // Head office: a product and a member with a cabin, by `purser publish`.
    let csv = t.path().join("bar.csv");
    std::fs::write(
        &csv,
        "sku,name,barcodes,price,tax_class\nGIN,Gin and tonic,5000267024004,8.50,standard\n",
    )
    .unwrap();
    t.ok(&["publish", "catalog", csv.to_str().unwrap()]);
    let accounts = t.path().join("members.json");
    std::fs::write(
        &accounts,
        r#"[{"member_id": "M-7", "name": "Ada Lovelace", "card_ids": ["LC-7"], "phone": "+44 20 7946 0007",
             "email": "ada@example.org", "tier": "gold", "points_balance": 600,
             "charge_account": {"account_kind": "cabin", "account_id": "CABIN-7007", "offline_limit": 5000}}]"#,
    )
    .unwrap();
    t.ok(&["publish", "accounts", accounts.to_str().unwrap()]);
    t.ok(&["streams", "run", "--until-caught-up", "--timeout", "60"]);

    // Found by phone, shown by card, with the points available here.
    let found = t.json(&["member", "find", "7946 0007"]);
    assert_eq!(found[0]["member_id"], "M-7", "{found}");
    let shown = t.json(&["member", "show", "LC-7"]);
    assert_eq!(shown["available"], 600);
    assert_eq!(shown["account"]["account_id"], "CABIN-7007");

    // Earn, redeem as a tender, charge the cabin; the same rules as the window.
    t.ok(&["shift", "open", "--cashier", "C1", "--float", "20"]);
    let text = t.ok(&[
        "sell", "--member", "M-7", "--item", "GIN", "--tender", "cash:10",
    ]);
    assert!(text.contains("Points earned"), "{text}");
    let err = t.fails(&[
        "sell",
        "--member",
        "M-7",
        "--item",
        "GIN",
        "--tender",
        "points:M-7:900",
    ]);
    assert!(
        err.contains("more than") || err.contains("available"),
        "{err}"
    );
    t.ok(&[
        "sell",
        "--member",
        "M-7",
        "--item",
        "GIN",
        "--tender",
        "points:M-7:500",
        "--tender",
        "cabin:CABIN-7007",
    ]);
    let err = t.fails(&["sell", "--item", "GIN*6", "--tender", "cabin:CABIN-7007"]);
    assert!(err.contains("offline limit"), "{err}");
    assert_eq!(t.json(&["member", "show", "M-7"])["available"], 100);
    let enrolled = t.json(&[
        "member",
        "enrol",
        "--name",
        "Grace Hopper",
        "--email",
        "grace@example.org",
        "--card",
        "LC-8",
    ]);
    let grace = enrolled["member_id"].as_str().unwrap().to_string();
    assert_eq!(t.json(&["member", "show", "LC-8"])["local_only"], true);

    // Everything reaches the broker; loyalty events keyed by member, valid by their schemas.
    t.ok(&["relay", "--until-empty", "--timeout", "60"]);
    let v = validators();
    let loyalty = read_with_kafka_python(broker.bootstrap(), &[&topic("loyalty.v1")]);
    let types: Vec<(String, String)> = loyalty
        .iter()
        .map(|r| {
            let value: serde_json::Value = match &r["value"] {
                serde_json::Value::String(s) => serde_json::from_str(s).unwrap(),
                other => other.clone(),
            };
            let ty = value["event_type"].as_str().unwrap().to_string();
            let errors: Vec<String> = v[&ty].iter_errors(&value).map(|e| e.to_string()).collect();
            assert!(errors.is_empty(), "{ty}: {errors:?}");
            (r["key"].as_str().unwrap().to_string(), ty)
        })
        .collect();
    for (key, ty) in [
        ("M-7", "loyalty.points_earned"),
        ("M-7", "loyalty.points_redeemed"),
        (grace.as_str(), "loyalty.enrolled"),
    ] {
        assert!(
            types.iter().any(|(k, t)| k == key && t == ty),
            "{key} {ty} in {types:?}"
        );
    }
}
