//! Security end to end on Apache Kafka: the edge kit's three-node cluster (SASL_SSL with
//! SCRAM-SHA-512 on the tills' `client` listener, mutual TLS on the `mtls` listener, the
//! StandardAuthorizer with `allow.everyone.if.no.acl.found=false`), its topics from the
//! kit's `topics.sh` and each till's rights from the kit's `acls.sh`. Tills are driven
//! through the real `purser` binary with the default `pos.*` topics; what arrived is read
//! back as the admin and audited (each event once, `till_seq` gapless and in order); the
//! window's status bar is read through `ipc::dispatch` as the window calls it.
//!
//! One cluster for the whole binary (three JVMs take a minute to start here); every test
//! has principals and tills of its own, so they run side by side.

mod common;

use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::process::Output;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use common::{purser, TestTill, CATALOG_CSV};
use purser_app::setup::{test_kafka, KafkaTestView};
use purser_stream::readback::{read_all, ConsumedRecord};
use purser_stream::{KafkaConfig, SecurityProtocol, Topics};
use purser_testkit::kafka::{Client, KafkaCluster, ADMIN_PASSWORD, ADMIN_USER};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::producer::{BaseProducer, BaseRecord, DeliveryResult, Producer, ProducerContext};
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::ClientContext;

const STORE: &str = "S1";
const TILL_TOPICS: [&str; 3] = ["pos.payments.v1", "pos.tills.v1", "pos.loyalty.v1"];
const REFERENCE_TOPICS: [&str; 3] = [
    "pos.catalog.v1",
    "pos.inventory.v1",
    "pos.loyalty-accounts.v1",
];

/// The kit's three-node cluster with the kit's topics, shared by this binary's tests.
fn cluster() -> &'static KafkaCluster {
    static CLUSTER: OnceLock<KafkaCluster> = OnceLock::new();
    CLUSTER.get_or_init(|| {
        let c = KafkaCluster::three();
        c.run_topics_sh();
        c
    })
}

/// Runs the kit's `acls.sh` with `args`; it must succeed.
fn acls_sh(args: &[&str]) {
    let out = cluster().run_acls_sh(args);
    assert!(
        out.status.success(),
        "acls.sh {args:?}: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A SCRAM user with the kit's rights for a till (`acls.sh --scram-user`).
fn scram_till_user(user: &str, password: &str) {
    let pw = cluster().dir().join(format!("{user}.pw"));
    std::fs::write(&pw, password).unwrap();
    acls_sh(&[
        "--scram-user",
        user,
        "--password-file",
        pw.to_str().unwrap(),
    ]);
}

/// The admin's librdkafka settings as a till configuration would hold them.
fn admin_kafka() -> KafkaConfig {
    let c = cluster();
    KafkaConfig {
        bootstrap_servers: c.bootstrap(),
        security_protocol: SecurityProtocol::SaslSsl,
        sasl_mechanism: Some("SCRAM-SHA-512".into()),
        sasl_username: Some(ADMIN_USER.into()),
        sasl_password: Some(ADMIN_PASSWORD.into()),
        ssl_ca_location: Some(c.ca_cert().to_path_buf()),
        ..Default::default()
    }
}

/// A till of store S1 set up with `purser init` and the given Kafka flags, with the small
/// catalog of the CLI tests.
fn till(id: &str, kafka: &[&str]) -> TestTill {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("purser.toml");
    let db = dir.path().join("till.db");
    let t = TestTill { dir, config, db };
    let mut args = vec![
        "init",
        "--store",
        STORE,
        "--till",
        id,
        "--currency",
        "EUR",
        "--tax-mode",
        "inclusive",
        "--timezone",
        "Europe/Paris",
        "--db",
        t.db.to_str().unwrap(),
    ];
    args.extend_from_slice(kafka);
    t.ok(&args);
    let csv = t.path().join("catalog.csv");
    std::fs::write(&csv, CATALOG_CSV).unwrap();
    t.ok(&["catalog", "import", csv.to_str().unwrap()]);
    t
}

fn scram_till(id: &str, user: &str, password: &str) -> TestTill {
    let c = cluster();
    till(
        id,
        &[
            "--bootstrap",
            &c.bootstrap(),
            "--security-protocol",
            "sasl_ssl",
            "--sasl-mechanism",
            "SCRAM-SHA-512",
            "--sasl-username",
            user,
            "--sasl-password",
            password,
            "--ssl-ca",
            c.ca_cert().to_str().unwrap(),
        ],
    )
}

/// `purser` on the till's configuration with extra environment (e.g. another password).
fn run_env(t: &TestTill, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = purser();
    c.arg("--config")
        .arg(&t.config)
        .args(args)
        .env_remove("PURSER_KAFKA_BOOTSTRAP")
        .env_remove("PURSER_DB")
        .env_remove("PURSER_KAFKA_SASL_PASSWORD");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap()
}

fn json_env(t: &TestTill, args: &[&str], env: &[(&str, &str)]) -> serde_json::Value {
    let mut a = vec!["--format", "json"];
    a.extend_from_slice(args);
    let out = run_env(t, &a, env);
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "purser {a:?}: not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// `purser doctor --json`: every check by name (the process exits 1 when one fails).
fn doctor(t: &TestTill, env: &[(&str, &str)]) -> BTreeMap<String, serde_json::Value> {
    let checks = json_env(t, &["doctor", "--timeout", "15"], env);
    checks
        .as_array()
        .unwrap_or_else(|| panic!("doctor printed {checks}"))
        .iter()
        .map(|c| (c["name"].as_str().unwrap().to_string(), c.clone()))
        .collect()
}

fn verdict<'a>(checks: &'a BTreeMap<String, serde_json::Value>, name: &str) -> &'a str {
    checks
        .get(name)
        .unwrap_or_else(|| panic!("no doctor check {name:?} in {checks:#?}"))["verdict"]
        .as_str()
        .unwrap()
}

fn detail(checks: &BTreeMap<String, serde_json::Value>, name: &str) -> String {
    checks[name].to_string()
}

fn pending(t: &TestTill) -> i64 {
    t.json(&["outbox", "status"])["pending"].as_i64().unwrap()
}

/// Opens a shift and sells `n` sales; returns the events the till wrote.
fn sell(t: &TestTill, n: usize) -> i64 {
    if t.sql::<i64>("SELECT count(*) FROM journal WHERE event_type = 'shift.opened'") == 0 {
        t.ok(&["shift", "open", "--cashier", "C1", "--float", "100"]);
    }
    for i in 0..n {
        let tender = if i % 2 == 0 {
            "cash:20".to_string()
        } else {
            format!("card:visa:4242:OK{i}:TRM-1")
        };
        t.ok(&[
            "sell", "--item", "ESP*2", "--item", "CRO", "--tender", &tender,
        ]);
    }
    t.events_written()
}

/// Waits until `what` holds, or fails saying what it waited for.
fn wait_until(what: &str, deadline: Duration, mut f: impl FnMut() -> bool) {
    let t0 = Instant::now();
    while !f() {
        assert!(t0.elapsed() < deadline, "waited {deadline:?} for {what}");
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// Reads the till topics back as the admin and checks that exactly the till's journal
/// arrived: every event once, on its own topic, `till_seq` gapless and in order.
fn assert_delivered_once(t: &TestTill, till_id: &str) {
    let records = read_all(&admin_kafka(), &TILL_TOPICS, Duration::from_secs(60))
        .expect("the admin reads the till topics back");
    let mine: Vec<ConsumedRecord> = records
        .into_iter()
        .filter(|r| {
            let v: serde_json::Value =
                serde_json::from_str(r.payload.as_deref().unwrap_or("null")).unwrap_or_default();
            v["store_id"] == STORE && v["till_id"] == till_id
        })
        .collect();
    let audit = purser_stream::readback::audit(&mine).unwrap();
    let conn = rusqlite::Connection::open(&t.db).unwrap();
    let mut stmt = conn.prepare("SELECT event_id, topic FROM outbox").unwrap();
    let journal: BTreeMap<String, String> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(journal.len() as i64, t.events_written());
    let on_wire: BTreeMap<String, String> = mine
        .iter()
        .map(|r| {
            let v: serde_json::Value = serde_json::from_str(r.payload.as_deref().unwrap()).unwrap();
            (v["event_id"].as_str().unwrap().to_string(), r.topic.clone())
        })
        .collect();
    assert_eq!(
        on_wire, journal,
        "the cluster holds exactly the till's journal, each on its topic"
    );
    assert_eq!(audit.duplicates, 0, "each event once: {audit:?}");
    assert_eq!(audit.distinct, journal.len(), "{audit:?}");
    assert!(
        audit.gaps.is_empty() && audit.out_of_order.is_empty() && audit.conflicts.is_empty(),
        "{audit:?}"
    );
    assert_eq!(
        audit.tills,
        vec![(till_id.to_string(), journal.len() as u64)]
    );
}

// ----- raw clients for the negative checks ----------------------------------------------

#[derive(Default)]
struct Reports(Mutex<Vec<Result<(), KafkaError>>>);

impl ClientContext for Reports {}

impl ProducerContext for Reports {
    type DeliveryOpaque = ();
    fn delivery(&self, r: &DeliveryResult<'_>, _: ()) {
        let r = r.as_ref().map(|_| ()).map_err(|(e, _)| e.clone());
        self.0.lock().unwrap().push(r);
    }
}

/// Produces one record to `topic` with a plain (non-idempotent) producer as `client`;
/// returns the delivery report's error code, if any.
fn produce_as(client: &Client, topic: &str) -> Option<RDKafkaErrorCode> {
    let p: BaseProducer<Reports> = client
        .config()
        .set("acks", "all")
        .set("enable.idempotence", "false")
        .set("message.timeout.ms", "30000")
        .create_with_context(Reports::default())
        .expect("a producer");
    p.send(
        BaseRecord::to(topic)
            .key("probe")
            .payload("{\"not\":\"an event\"}"),
    )
    .map_err(|(e, _)| e)
    .expect("queued");
    let t0 = Instant::now();
    loop {
        p.poll(Duration::from_millis(100));
        if let Some(r) = p.context().0.lock().unwrap().pop() {
            return r.err().and_then(|e| e.rdkafka_error_code());
        }
        assert!(
            t0.elapsed() < Duration::from_secs(40),
            "no delivery report for a record to {topic} within 40 s"
        );
    }
}

/// Fetches `topic` partition 0 from its start as `client`: Ok once a record or the end
/// arrives, Err(code) when the cluster refuses the fetch (or to describe the topic at all:
/// then librdkafka never fetches, it only reports the topic's metadata error).
fn fetch_as(client: &Client, topic: &str) -> Result<(), RDKafkaErrorCode> {
    let c: BaseConsumer = client
        .config()
        .set("group.id", "security-e2e")
        .set("enable.auto.commit", "false")
        .set("enable.partition.eof", "true")
        .create()
        .expect("a consumer");
    let md = c
        .fetch_metadata(Some(topic), Duration::from_secs(30))
        .unwrap_or_else(|e| panic!("no metadata answer for {topic} within 30 s: {e}"));
    if let Some(e) = md.topics().first().and_then(|t| t.error()) {
        return Err(RDKafkaErrorCode::from(e));
    }
    let mut tpl = rdkafka::TopicPartitionList::new();
    tpl.add_partition_offset(topic, 0, rdkafka::Offset::Beginning)
        .unwrap();
    c.assign(&tpl).unwrap();
    let t0 = Instant::now();
    loop {
        match c.poll(Duration::from_millis(200)) {
            Some(Ok(_)) | Some(Err(KafkaError::PartitionEOF(_))) => return Ok(()),
            Some(Err(e))
                if e.rdkafka_error_code() == Some(RDKafkaErrorCode::TopicAuthorizationFailed) =>
            {
                return Err(RDKafkaErrorCode::TopicAuthorizationFailed)
            }
            // The group is never joined; its coordinator's refusal is not the topic's.
            Some(Err(_)) | None => {}
        }
        assert!(
            t0.elapsed() < Duration::from_secs(40),
            "neither records, the end, nor a refusal from {topic} within 40 s"
        );
    }
}

fn kafka_of(t: &TestTill, env: &[(&str, &str)]) -> KafkaConfig {
    let mut k = purser_app::config::Config::load(&t.config).unwrap().kafka;
    for (key, v) in env {
        if *key == "PURSER_KAFKA_SASL_PASSWORD" {
            k.sasl_password = Some((*v).to_string());
        }
    }
    k
}

fn connection_test(k: &KafkaConfig) -> KafkaTestView {
    test_kafka(k, &Topics::default(), Duration::from_secs(30))
}

// ----- 1. SASL_SSL with SCRAM-SHA-512 ------------------------------------------------------

#[test]
fn a_scram_till_delivers_and_a_wrong_password_is_told_and_waits() {
    scram_till_user("till-S1-T1", "right-horse-battery");
    let t = scram_till("T1", "till-S1-T1", "right-horse-battery");
    let written = sell(&t, 5);
    let out = t.ok(&["relay", "--until-empty", "--timeout", "120"]);
    assert!(out.contains(&format!("{written} events sent")), "{out}");
    assert_delivered_once(&t, "T1");

    // The right password: the connection test and every doctor check of the cluster pass.
    let right = connection_test(&kafka_of(&t, &[]));
    assert!(right.ok, "{}", right.message);
    assert_eq!(right.topics_missing, Vec::<String>::new());
    assert_eq!(right.topics_refused, Vec::<String>::new());
    assert_eq!(right.write_refused, None);
    let checks = doctor(&t, &[]);
    for name in ["kafka", "write"]
        .into_iter()
        .map(String::from)
        .chain(
            TILL_TOPICS
                .iter()
                .chain(&REFERENCE_TOPICS)
                .map(|n| format!("topic {n}")),
        )
        .chain(REFERENCE_TOPICS.iter().map(|n| format!("read {n}")))
    {
        assert_eq!(
            verdict(&checks, &name),
            "pass",
            "{}",
            detail(&checks, &name)
        );
    }

    // A wrong password: a sale waits; everything says authentication; nothing is lost.
    let wrong = [("PURSER_KAFKA_SASL_PASSWORD", "wrong-horse")];
    let before = t.events_written();
    let written = sell(&t, 2);
    let waiting = written - before;
    let st = json_env(&t, &["outbox", "status", "--probe"], &wrong);
    assert_eq!(st["pending"], waiting, "{st}");
    assert_eq!(st["broker"]["reachable"], false, "{st}");
    let err = st["broker"]["error"].as_str().unwrap();
    assert!(err.contains("refused the credentials"), "{err}");
    let checks = doctor(&t, &wrong);
    assert_eq!(verdict(&checks, "kafka"), "fail");
    let d = detail(&checks, "kafka").to_lowercase();
    assert!(
        d.contains("refused the credentials") && d.contains("sasl"),
        "{d}"
    );
    let view = connection_test(&kafka_of(&t, &wrong));
    assert!(!view.ok);
    assert_eq!(
        view.failure.as_deref(),
        Some("authentication"),
        "{}",
        view.message
    );
    let out = run_env(&t, &["relay", "--until-empty", "--timeout", "5"], &wrong);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("events still waiting"), "{err}");
    assert_eq!(pending(&t), waiting, "the events wait");

    // The right password again: they go, once.
    t.ok(&["relay", "--until-empty", "--timeout", "120"]);
    assert_eq!(t.events_written(), written);
    assert_delivered_once(&t, "T1");
}

// ----- 2. SSL with client certificates (mutual TLS) ----------------------------------------

/// Points the till's configuration at other TLS files (as an installer would get wrong).
fn set_tls(t: &TestTill, ca: &Path, cert: &Path, key: &Path) {
    let mut c = purser_app::config::Config::load(&t.config).unwrap();
    c.kafka.ssl_ca_location = Some(ca.to_path_buf());
    c.kafka.ssl_certificate_location = Some(cert.to_path_buf());
    c.kafka.ssl_key_location = Some(key.to_path_buf());
    c.save(&t.config).unwrap();
}

#[test]
fn an_mtls_till_delivers_and_a_wrong_ca_a_foreign_or_expired_certificate_are_refused() {
    let c = cluster();
    let ca = c.ca_cert().to_path_buf();
    // CN=till-S1-T2,OU=tills,O=Purser tests is User:till-S1-T2 by the brokers' mapping rule.
    let cert = c.till_cert("till-S1-T2");
    acls_sh(&["--principal", "User:till-S1-T2"]);
    let t = till(
        "T2",
        &[
            "--bootstrap",
            &c.mtls_bootstrap(),
            "--security-protocol",
            "ssl",
            "--ssl-ca",
            ca.to_str().unwrap(),
            "--ssl-cert",
            cert.cert.to_str().unwrap(),
            "--ssl-key",
            cert.key.to_str().unwrap(),
        ],
    );
    let written = sell(&t, 3);
    let out = t.ok(&["relay", "--until-empty", "--timeout", "120"]);
    assert!(out.contains(&format!("{written} events sent")), "{out}");
    assert_delivered_once(&t, "T2");
    let good = connection_test(&kafka_of(&t, &[]));
    assert!(good.ok, "{}", good.message);
    assert_eq!(good.write_refused, None, "{}", good.message);
    let checks = doctor(&t, &[]);
    for name in [
        "kafka",
        "write",
        "read pos.catalog.v1",
        "topic pos.payments.v1",
    ] {
        assert_eq!(verdict(&checks, name), "pass", "{}", detail(&checks, name));
    }

    // Three ways to get it wrong; each time a sale waits and nothing is lost.
    let tls = c.tls.as_ref().unwrap();
    let other = purser_testkit::tls::Ca::new(&t.path().join("other-ca"), "other-ca");
    let subject = "/O=Purser tests/OU=tills/CN=till-S1-T2";
    let foreign = other.issue("till-foreign", subject, &[], None);
    let expired = tls.ca.issue(
        "till-S1-T2-expired",
        subject,
        &[],
        Some(("20240101000000Z", "20240201000000Z")),
    );
    let before = t.events_written();
    let cases: [(&str, &Path, &purser_testkit::tls::Issued, &str); 3] = [
        (
            "the till trusts another CA",
            &other.cert,
            &cert,
            "does not trust the broker's certificate",
        ),
        (
            "a client certificate from another CA",
            &ca,
            &foreign,
            "refused this till's client certificate",
        ),
        (
            "an expired client certificate",
            &ca,
            &expired,
            "refused this till's client certificate",
        ),
    ];
    for (what, trust, issued, hint) in cases {
        set_tls(&t, trust, &issued.cert, &issued.key);
        sell(&t, 1);
        let view = connection_test(&kafka_of(&t, &[]));
        assert!(!view.ok, "{what}: {}", view.message);
        assert_eq!(
            view.failure.as_deref(),
            Some("tls"),
            "{what}: {}",
            view.message
        );
        assert!(view.message.contains(hint), "{what}: {}", view.message);
        let checks = doctor(&t, &[]);
        assert_eq!(verdict(&checks, "kafka"), "fail", "{what}");
        let d = detail(&checks, "kafka");
        assert!(
            d.contains("TLS handshake") && d.contains(hint),
            "{what}: {d}"
        );
        assert!(
            d.contains("ssl_ca_location"),
            "{what}: the fix names the settings: {d}"
        );
        let st = t.json(&["outbox", "status", "--probe"]);
        assert_eq!(st["broker"]["reachable"], false, "{what}: {st}");
    }
    // The relay with an expired certificate waits and says why; the events stay.
    let out = t.run(&["relay", "--until-empty", "--timeout", "5"]);
    assert_eq!(out.status.code(), Some(1));
    let waiting = t.events_written() - before;
    assert_eq!(pending(&t), waiting, "every sale made meanwhile waits");

    // The till's own certificate again: everything goes, once.
    set_tls(&t, &ca, &cert.cert, &cert.key);
    t.ok(&["relay", "--until-empty", "--timeout", "120"]);
    assert_delivered_once(&t, "T2");
}

// ----- 3. What acls.sh grants: the till's topics to write, the reference topics to read ---

#[test]
fn acls_let_a_till_write_its_topics_and_read_the_reference_topics_and_nothing_else() {
    let c = cluster();
    scram_till_user("till-S1-T3", "t3-secret");
    let t = scram_till("T3", "till-S1-T3", "t3-secret");

    // Writes: a sale and a shift (payments, tills) and an enrolment (loyalty).
    sell(&t, 2);
    let enrolled = t.json(&[
        "member",
        "enrol",
        "--name",
        "Grace Hopper",
        "--card",
        "LC-T3",
    ]);
    assert!(enrolled["member_id"].is_string(), "{enrolled}");
    t.ok(&["relay", "--until-empty", "--timeout", "120"]);
    let topics: HashSet<String> = {
        let conn = rusqlite::Connection::open(&t.db).unwrap();
        let mut s = conn.prepare("SELECT DISTINCT topic FROM outbox").unwrap();
        s.query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    assert_eq!(
        topics,
        TILL_TOPICS
            .iter()
            .map(|s| s.to_string())
            .collect::<HashSet<_>>(),
        "the till wrote to each of its three topics"
    );
    assert_delivered_once(&t, "T3");

    // Reads: head office publishes (as the admin); the till's inbound consumer applies it.
    let admin_env = [
        ("PURSER_KAFKA_SASL_USERNAME", ADMIN_USER),
        ("PURSER_KAFKA_SASL_PASSWORD", ADMIN_PASSWORD),
    ];
    let csv = t.path().join("tea.csv");
    std::fs::write(
        &csv,
        "sku,name,barcodes,price,tax_class,sold_by,category,active\nTEA-T3,Green tea T3,,3.10,standard,unit,Tea,true\n",
    )
    .unwrap();
    let out = run_env(
        &t,
        &["publish", "catalog", csv.to_str().unwrap()],
        &admin_env,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stock = t.path().join("stock.csv");
    std::fs::write(&stock, "sku,on_hand,low_stock_at\nTEA-T3,42,5\n").unwrap();
    let out = run_env(
        &t,
        &["publish", "inventory", stock.to_str().unwrap()],
        &admin_env,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let members = t.path().join("members.json");
    std::fs::write(
        &members,
        r#"[{"member_id": "M-T3", "name": "Ada Lovelace", "card_ids": ["LC-AT3"], "tier": "gold", "points_balance": 600}]"#,
    )
    .unwrap();
    let out = run_env(
        &t,
        &["publish", "accounts", members.to_str().unwrap()],
        &admin_env,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    t.ok(&["streams", "run", "--until-caught-up", "--timeout", "60"]);
    let found = t.json(&["catalog", "search", "Green tea T3"]);
    assert_eq!(
        found[0]["sku"], "TEA-T3",
        "the published product reached the till: {found}"
    );
    assert_eq!(t.json(&["stock", "TEA-T3"])["stock"]["on_hand"], 42);
    assert_eq!(t.json(&["member", "show", "LC-AT3"])["member_id"], "M-T3");

    // What the till may not do, tried with a raw client and its own credentials.
    let raw = c.scram_client("till-S1-T3", "t3-secret");
    for topic in TILL_TOPICS {
        assert_eq!(produce_as(&raw, topic), None, "the till may write {topic}");
        assert_eq!(
            fetch_as(&raw, topic),
            Err(RDKafkaErrorCode::TopicAuthorizationFailed),
            "without --store-view the till may not read {topic} (every till's sales)"
        );
    }
    for topic in REFERENCE_TOPICS {
        assert_eq!(fetch_as(&raw, topic), Ok(()), "the till may read {topic}");
        assert_eq!(
            produce_as(&raw, topic),
            Some(RDKafkaErrorCode::TopicAuthorizationFailed),
            "the till may not write the reference topic {topic}"
        );
    }
    // Any other topic: neither.
    c.tool(
        "kafka-topics.sh",
        &[
            "--create",
            "--topic",
            "pos.audit.v1",
            "--if-not-exists",
            "--partitions",
            "1",
            "--replication-factor",
            "3",
        ],
    );
    assert_eq!(
        fetch_as(&raw, "pos.audit.v1"),
        Err(RDKafkaErrorCode::TopicAuthorizationFailed)
    );
    assert_eq!(
        produce_as(&raw, "pos.audit.v1"),
        Some(RDKafkaErrorCode::TopicAuthorizationFailed)
    );

    // The doctor sees the same: cleanup policies described (DescribeConfigs), write and
    // reference reads allowed, the manager's view not (optional: a warning).
    let checks = doctor(&t, &[]);
    for topic in TILL_TOPICS.iter().chain(&REFERENCE_TOPICS) {
        let name = format!("topic {topic}");
        assert_eq!(
            verdict(&checks, &name),
            "pass",
            "{}",
            detail(&checks, &name)
        );
    }
    assert_eq!(verdict(&checks, "write"), "pass");
    for topic in REFERENCE_TOPICS {
        assert_eq!(verdict(&checks, &format!("read {topic}")), "pass");
    }
    for topic in TILL_TOPICS {
        let name = format!("read {topic}");
        assert_eq!(
            verdict(&checks, &name),
            "warn",
            "{}",
            detail(&checks, &name)
        );
        assert!(detail(&checks, &name).contains("--store-view"));
    }

    // The manager's Store screen on this till: refused, then granted with --store-view.
    let out = t.run(&[
        "--format",
        "json",
        "report",
        "summary",
        "--till",
        "T3",
        "--timeout",
        "30",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("not authorised to read") && err.contains("--store-view"),
        "{err}"
    );
    acls_sh(&["--principal", "User:till-S1-T3", "--store-view"]);
    let s = t.json(&["report", "summary", "--till", "T3", "--timeout", "60"]);
    assert_eq!(
        s["summary"]["transactions"], 2,
        "the manager's view read the till's sales: {s}"
    );
    for topic in TILL_TOPICS {
        assert_eq!(
            fetch_as(&raw, topic),
            Ok(()),
            "--store-view lets the till read {topic}"
        );
    }
    for topic in REFERENCE_TOPICS {
        assert_eq!(
            produce_as(&raw, topic),
            Some(RDKafkaErrorCode::TopicAuthorizationFailed),
            "--store-view grants no writing of {topic}"
        );
    }
}

// ----- 4. A till whose principal lacks Write ------------------------------------------------

/// The window's status bar, as the window asks for it.
fn status(station: &mut purser_window::station::Station) -> serde_json::Value {
    purser_window::ipc::dispatch(station, "status", serde_json::json!({})).expect("status")
}

#[test]
fn a_till_without_write_is_told_not_authorised_everywhere_and_its_events_go_once_granted() {
    let c = cluster();
    let user = "till-S1-T4";
    // The credential and the reference reads, and Describe on the till topics: no Write.
    c.tool(
        "kafka-configs.sh",
        &[
            "--alter",
            "--entity-type",
            "users",
            "--entity-name",
            user,
            "--add-config",
            "SCRAM-SHA-512=[iterations=8192,password=t4-secret]",
        ],
    );
    let principal = format!("User:{user}");
    let mut describe = vec![
        "--add",
        "--allow-principal",
        &principal,
        "--operation",
        "Describe",
    ];
    for t in TILL_TOPICS {
        describe.extend(["--topic", t]);
    }
    c.tool("kafka-acls.sh", &describe);
    let mut read = vec![
        "--add",
        "--allow-principal",
        &principal,
        "--operation",
        "Read",
        "--operation",
        "Describe",
    ];
    for t in REFERENCE_TOPICS {
        read.extend(["--topic", t]);
    }
    c.tool("kafka-acls.sh", &read);
    let t = scram_till("T4", user, "t4-secret");
    sell(&t, 3);

    // The connection test: reachable, but not authorised to write.
    let view = connection_test(&kafka_of(&t, &[]));
    assert!(view.ok, "{}", view.message);
    assert_eq!(
        view.write_refused.as_deref(),
        Some("CLUSTER_AUTHORIZATION_FAILED"),
        "{}",
        view.message
    );
    assert!(
        view.message.contains("not authorised to write"),
        "{}",
        view.message
    );

    // The window: its relay runs; the status bar says the cluster refuses the till.
    let mut station = purser_window::station::Station::Ready(Box::new(
        purser_window::station::open_configured(&t.config, t.path().join("receipts")).unwrap(),
    ));
    let mut last = serde_json::Value::Null;
    wait_until(
        "the status bar to say the cluster refuses the till",
        Duration::from_secs(90),
        || {
            last = status(&mut station);
            !last["write_refused"].is_null()
        },
    );
    assert_eq!(
        last["write_refused"]["error"], "CLUSTER_AUTHORIZATION_FAILED",
        "{last}"
    );
    assert_eq!(
        last["write_refused"]["topic"],
        serde_json::Value::Null,
        "{last}"
    );
    assert!(
        last["last_error"]
            .as_str()
            .unwrap()
            .contains("not authorised to write"),
        "{last}"
    );
    assert_eq!(
        last["online"], true,
        "the cluster answers; it refuses: {last}"
    );
    let waiting = last["outbox_pending"].as_u64().unwrap();
    assert!(
        waiting >= 5,
        "shift, three sales (and heartbeats) wait: {last}"
    );

    // `purser outbox status` and `purser doctor`, beside the running window.
    let st = t.json(&["outbox", "status", "--probe"]);
    assert_eq!(st["not_authorised"], true, "{st}");
    assert!(
        st["last_error"]
            .as_str()
            .unwrap()
            .contains("CLUSTER_AUTHORIZATION_FAILED"),
        "{st}"
    );
    assert_eq!(st["broker"]["write"]["allowed"], false, "{st}");
    assert_eq!(
        st["broker"]["write"]["error"], "CLUSTER_AUTHORIZATION_FAILED",
        "{st}"
    );
    let text = t.ok(&["outbox", "status"]);
    assert!(text.contains("Not authorised"), "{text}");
    let checks = doctor(&t, &[]);
    assert_eq!(verdict(&checks, "write"), "fail");
    assert!(detail(&checks, "write").contains("CLUSTER_AUTHORIZATION_FAILED"));
    assert_eq!(
        verdict(&checks, "outbox"),
        "fail",
        "{}",
        detail(&checks, "outbox")
    );
    assert!(detail(&checks, "outbox").contains("not authorised to write"));
    assert_eq!(verdict(&checks, "read pos.catalog.v1"), "pass");

    // Write on the shift and loyalty topics only: now the payments topic is named.
    let mut some = vec![
        "--add",
        "--allow-principal",
        &principal,
        "--operation",
        "Write",
    ];
    some.extend(["--topic", "pos.tills.v1", "--topic", "pos.loyalty.v1"]);
    c.tool("kafka-acls.sh", &some);
    wait_until(
        "the status bar to name the refused topic",
        Duration::from_secs(120),
        || {
            last = status(&mut station);
            last["write_refused"]["topic"] == "pos.payments.v1"
        },
    );
    assert_eq!(
        last["write_refused"]["error"], "TOPIC_AUTHORIZATION_FAILED",
        "{last}"
    );
    let checks = doctor(&t, &[]);
    assert_eq!(
        verdict(&checks, "write"),
        "pass",
        "{}",
        detail(&checks, "write")
    );
    assert_eq!(verdict(&checks, "outbox"), "fail");
    assert!(
        detail(&checks, "outbox").contains("not authorised to write pos.payments.v1"),
        "{}",
        detail(&checks, "outbox")
    );
    let st = t.json(&["outbox", "status"]);
    assert!(
        st["last_error"]
            .as_str()
            .unwrap()
            .contains("pos.payments.v1"),
        "{st}"
    );
    assert!(
        st["pending"].as_u64().unwrap() >= 3,
        "the sales still wait: {st}"
    );

    // The kit's rights, granted while the relay runs: it recovers by itself.
    acls_sh(&["--principal", &principal]);
    wait_until(
        "the window's relay to send everything once granted",
        Duration::from_secs(180),
        || {
            last = status(&mut station);
            last["outbox_pending"] == 0 && last["write_refused"].is_null()
        },
    );
    assert_eq!(last["online"], true);
    drop(station);
    // A heartbeat the window wrote as it closed may still wait: the CLI relay sends it.
    t.ok(&["relay", "--until-empty", "--timeout", "60"]);
    assert_delivered_once(&t, "T4");
}
