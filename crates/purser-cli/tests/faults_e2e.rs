//! Faults against Apache Kafka itself (started from the edge kit's own files), while a till
//! sells through `purser sell` and `purser relay` drains a backlog of a few thousand events:
//! 1. the only node SIGKILLed mid-drain, then restarted on the same data and ports;
//! 2. three nodes (SASL_SSL + SCRAM, `min.insync.replicas=2`, `acks=all`): the leader of the
//!    till's partition SIGKILLed mid-drain — the drain goes on with the other two — then
//!    restarted;
//! 3. a network partition: the node in a network namespace of its own, the link cut so that
//!    packets are dropped (connections hang, nothing is refused) for over a minute
//!    (`PURSER_PARTITION_SECS`, default 70) while the till sells, then restored.
//!
//! After each, everything is read back twice — by librdkafka (`purser_stream::readback`)
//! and by kafka-python (`tests/kafka_read.py`, an independent implementation) — and audited:
//! every event of the till's journal arrives exactly once after `event_id` dedupe, no other
//! event, `till_seq` gapless and in order, no two copies that differ; the test prints the
//! duplicates it saw on the wire. Every wait has a deadline and fails saying what it waited
//! for. These tests start their own clusters (they kill nodes), whatever
//! `PURSER_TEST_KAFKA` says.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use common::{purser, TestTill};
use purser_core::events::{audit_sequence, EventHeader};
use purser_stream::{KafkaConfig, SecurityProtocol};
use purser_testkit::kafka::{ClusterOptions, KafkaCluster, ADMIN_PASSWORD, ADMIN_USER};
use purser_testkit::netns::Netns;

const TOPICS: [&str; 3] = ["pos.payments.v1", "pos.tills.v1", "pos.loyalty.v1"];

/// Polls `cond` every 20 ms until it holds; fails with `what` after `limit`.
fn wait_for(what: &str, limit: Duration, mut cond: impl FnMut() -> bool) -> Duration {
    let t0 = Instant::now();
    while !cond() {
        assert!(t0.elapsed() < limit, "waited {limit:?} for {what}, in vain");
        std::thread::sleep(Duration::from_millis(20));
    }
    t0.elapsed()
}

/// Rows of the till's outbox the broker acknowledged, and rows still waiting.
fn acked(t: &TestTill) -> i64 {
    t.sql("SELECT count(*) FROM outbox_rows WHERE published_at IS NOT NULL")
}

fn pending(t: &TestTill) -> i64 {
    t.sql("SELECT count(*) FROM outbox_rows WHERE published_at IS NULL")
}

/// A backlog: `n` sales recorded by the till while no relay runs (in-process, through the
/// same use case `purser sell` calls; thousands of processes would take minutes).
fn backlog(t: &TestTill, n: usize) {
    let t0 = Instant::now();
    let settings = purser_app::Config::load(&t.config)
        .unwrap()
        .settings()
        .unwrap();
    let mut till = purser_app::runtime::open_till(settings).unwrap();
    for i in 0..n {
        till.sell(&purser_app::till::SaleRequest {
            lines: vec![purser_app::till::LineRequest {
                code: ["ESP", "CRO", "IPA"][i % 3].into(),
                quantity: Some(purser_core::cart::Quantity::Units(1 + (i % 2) as i64)),
                discount: None,
            }],
            discount: None,
            tenders: vec![purser_core::tender::TenderInput::Cash { tendered: None }],
            member_id: None,
            confirm_out_of_stock: true,
            loyalty_approver: None,
            discount_approver: None,
        })
        .unwrap();
    }
    println!("backlog: {n} sales recorded in {:?}", t0.elapsed());
}

/// `purser sell` in a loop until stopped: what a cashier does while the faults happen.
struct Seller {
    stop: Arc<AtomicBool>,
    handle: JoinHandle<Vec<String>>,
}

impl Seller {
    fn start(t: &TestTill) -> Seller {
        let stop = Arc::new(AtomicBool::new(false));
        let (s, config) = (stop.clone(), t.config.clone());
        let handle = std::thread::spawn(move || {
            let mut printed = Vec::new();
            let mut n = 0;
            while !s.load(Ordering::Relaxed) {
                n += 1;
                let out = purser()
                    .arg("--config")
                    .arg(&config)
                    .args(["--format", "json", "sell", "--item", "ESP"])
                    .args(["--tender", &format!("card:visa:4242:OK{n}:R{n}")])
                    .env_remove("PURSER_KAFKA_BOOTSTRAP")
                    .env_remove("PURSER_DB")
                    .output()
                    .unwrap();
                assert!(
                    out.status.success(),
                    "a sale failed while the cluster was in trouble: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
                let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
                printed.push(v["event_id"].as_str().unwrap().to_string());
            }
            printed
        });
        Seller { stop, handle }
    }

    /// Stops selling; the event ids of the receipts printed.
    fn stop(self) -> Vec<String> {
        self.stop.store(true, Ordering::Relaxed);
        self.handle.join().expect("the seller thread")
    }
}

/// `purser relay` (the headless relay with its heartbeats), its stderr kept in a file.
struct RelayProc {
    child: Child,
    log: PathBuf,
}

impl RelayProc {
    fn start(t: &TestTill) -> RelayProc {
        let log = t.path().join("relay.log");
        let child = purser()
            .arg("--config")
            .arg(&t.config)
            .arg("relay")
            .env_remove("PURSER_KAFKA_BOOTSTRAP")
            .env_remove("PURSER_DB")
            .env("PURSER_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        RelayProc { child, log }
    }

    /// SIGTERM (the relay finishes what is in flight), SIGKILL after 20 s; returns its log.
    fn stop(mut self) -> String {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let t0 = Instant::now();
        while self.child.try_wait().unwrap().is_none() {
            if t0.elapsed() > Duration::from_secs(20) {
                let _ = self.child.kill();
                let _ = self.child.wait();
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for RelayProc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// How the audit reads the cluster back: librdkafka settings and kafka-python arguments.
struct Reader {
    kafka: KafkaConfig,
    python_args: Vec<String>,
    python_env: Vec<(String, String)>,
}

impl Reader {
    fn plaintext(bootstrap: &str) -> Reader {
        Reader {
            kafka: KafkaConfig {
                bootstrap_servers: bootstrap.into(),
                ..Default::default()
            },
            python_args: vec!["--bootstrap".into(), bootstrap.into()],
            python_env: vec![],
        }
    }

    /// The cluster's SCRAM admin over SASL_SSL (the till itself may not read its topics).
    fn admin(c: &KafkaCluster) -> Reader {
        let ca = c.ca_cert().display().to_string();
        Reader {
            kafka: KafkaConfig {
                bootstrap_servers: c.bootstrap(),
                security_protocol: SecurityProtocol::SaslSsl,
                sasl_mechanism: Some("SCRAM-SHA-512".into()),
                sasl_username: Some(ADMIN_USER.into()),
                sasl_password: Some(ADMIN_PASSWORD.into()),
                ssl_ca_location: Some(c.ca_cert().to_path_buf()),
                ..Default::default()
            },
            python_args: [
                "--bootstrap",
                &c.bootstrap(),
                "--security-protocol",
                "SASL_SSL",
                "--sasl-mechanism",
                "SCRAM-SHA-512",
                "--sasl-username",
                ADMIN_USER,
                "--sasl-password-env",
                "PURSER_TEST_KAFKA_PASSWORD",
                "--ssl-cafile",
                &ca,
            ]
            .map(String::from)
            .to_vec(),
            python_env: vec![("PURSER_TEST_KAFKA_PASSWORD".into(), ADMIN_PASSWORD.into())],
        }
    }

    /// (topic/partition, value) of every record, read by kafka-python.
    fn kafka_python(&self) -> Vec<(String, String)> {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/kafka_read.py");
        let python = std::env::var("PURSER_PYTHON").unwrap_or_else(|_| "python3".into());
        let mut cmd = Command::new(&python);
        cmd.arg(script)
            .args(&self.python_args)
            .args(["--timeout", "120"]);
        for t in TOPICS {
            cmd.args(["--topic", t]);
        }
        for (k, v) in &self.python_env {
            cmd.env(k, v);
        }
        let out = purser_testkit::kafka::run_with_timeout(&mut cmd, Duration::from_secs(180))
            .unwrap_or_else(|e| panic!("kafka_read.py ({python}; PURSER_PYTHON names a python with kafka-python and lz4): {e}"));
        assert!(
            out.status.success(),
            "kafka_read.py failed ({python}; PURSER_PYTHON names a python with kafka-python and lz4): {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|l| {
                let r: serde_json::Value = serde_json::from_str(l).unwrap();
                (
                    format!("{}/{}", r["topic"].as_str().unwrap(), r["partition"]),
                    r["value"].to_string(),
                )
            })
            .collect()
    }

    /// The same, read by librdkafka.
    fn librdkafka(&self) -> Vec<(String, String)> {
        purser_stream::readback::read_all(&self.kafka, &TOPICS, Duration::from_secs(120))
            .expect("the topics read back")
            .into_iter()
            .map(|r| {
                (
                    format!("{}/{}", r.topic, r.partition),
                    r.payload.expect("every event has a value"),
                )
            })
            .collect()
    }
}

/// The audit after a fault: both readers see every journal event exactly once after
/// dedupe, in order, gapless; prints the wire duplicates.
fn audit(what: &str, t: &TestTill, reader: &Reader, printed: &[String]) {
    let conn = rusqlite::Connection::open(&t.db).unwrap();
    let mut stmt = conn.prepare("SELECT event_id FROM journal").unwrap();
    let journal: BTreeSet<String> = stmt
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let mut counts = Vec::new();
    for (client, records) in [
        ("librdkafka", reader.librdkafka()),
        ("kafka-python", reader.kafka_python()),
    ] {
        let parsed: Vec<(String, EventHeader, String)> = records
            .into_iter()
            .map(|(at, v)| {
                let h: EventHeader = serde_json::from_str(&v)
                    .unwrap_or_else(|e| panic!("{at}: not a Purser event ({e}): {v}"));
                (at, h, v)
            })
            .collect();
        let a = audit_sequence(parsed.iter().map(|(k, h, p)| (k.as_str(), h, p.as_str())));
        let on_wire: BTreeSet<String> = parsed
            .iter()
            .map(|(_, h, _)| h.event_id.to_string())
            .collect();
        println!(
            "{what}: {client} read {} records: {} distinct events, {} wire duplicates (journal: {} events)",
            parsed.len(),
            a.distinct,
            a.duplicates,
            journal.len()
        );
        assert!(
            a.gaps.is_empty(),
            "{what} ({client}): till_seq gaps {:?}",
            a.gaps
        );
        assert!(
            a.out_of_order.is_empty(),
            "{what} ({client}): out of order {:?}",
            a.out_of_order
        );
        assert!(
            a.conflicts.is_empty(),
            "{what} ({client}): one event_id, two contents {:?}",
            a.conflicts
        );
        assert_eq!(
            on_wire, journal,
            "{what} ({client}): the cluster holds exactly the till's journal"
        );
        assert_eq!(a.tills, vec![("T1".to_string(), journal.len() as u64)]);
        for id in printed {
            assert!(
                on_wire.contains(id),
                "{what}: printed receipt {id} never reached the cluster"
            );
        }
        counts.push(parsed.len());
    }
    assert_eq!(
        counts[0], counts[1],
        "{what}: both clients read the same records"
    );
}

/// Waits until the relay has drained at least `at_least` rows and some are still waiting
/// (the fault must land mid-drain); returns the rows acknowledged then.
fn mid_drain(t: &TestTill, at_least: i64) -> i64 {
    wait_for(
        &format!("the relay to acknowledge {at_least} rows of the backlog"),
        Duration::from_secs(120),
        || acked(t) >= at_least,
    );
    let (a, p) = (acked(t), pending(t));
    assert!(
        p > 0,
        "the drain finished before the fault ({a} acknowledged, none waiting): the backlog is too small"
    );
    println!("mid-drain: {a} rows acknowledged, {p} waiting");
    a
}

/// With no broker reachable, no row is marked published: acknowledgements stand still
/// (checked after `settle`, which lets in-flight reports and batched marks land).
fn acks_stand_still(t: &TestTill, settle: Duration, watch: Duration) -> i64 {
    std::thread::sleep(settle);
    let before = acked(t);
    std::thread::sleep(watch);
    let after = acked(t);
    assert_eq!(
        before, after,
        "rows were marked published while no broker could be reached"
    );
    after
}

/// The end of each scenario: stop selling, let the relay drain everything, stop it.
fn drain_and_stop(t: &TestTill, seller: Seller, relay: RelayProc, limit: Duration) -> Vec<String> {
    let printed = seller.stop();
    let took = wait_for(
        "the relay to drain the outbox after the fault",
        limit,
        || pending(t) == 0,
    );
    let log = relay.stop();
    println!(
        "{} sales printed during the run; outbox drained {took:?} after the seller stopped; relay said: {:?}",
        printed.len(),
        log.lines().collect::<Vec<_>>()
    );
    printed
}

#[test]
fn one_node_killed_mid_drain_and_restarted_loses_and_doubles_nothing() {
    let t_start = Instant::now();
    let mut cluster = KafkaCluster::single();
    let t = TestTill::new(&cluster.bootstrap());
    t.ok(&["topics", "ensure"]);
    t.ok(&["shift", "open", "--cashier", "C1", "--float", "100"]);
    // A one-node cluster takes 3,000 events in well under a second, which a CI run once
    // drained before the test saw it mid-way: a backlog four times larger.
    backlog(&t, 12_000);
    let relay = RelayProc::start(&t);
    let seller = Seller::start(&t);

    mid_drain(&t, 300);
    cluster.kill(1);
    let t_kill = Instant::now();
    let frozen = acks_stand_still(&t, Duration::from_secs(1), Duration::from_secs(4));
    println!("node 1 SIGKILLed; acknowledgements stood at {frozen} while it was down");
    cluster.restart(1);
    println!("node 1 restarted after {:?}", t_kill.elapsed());
    let resumed = wait_for(
        "acknowledgements to resume after the restart",
        Duration::from_secs(120),
        || acked(&t) > frozen,
    );
    println!("drain resumed {resumed:?} after the restart");
    let printed = drain_and_stop(&t, seller, relay, Duration::from_secs(120));
    audit(
        "single node killed",
        &t,
        &Reader::plaintext(&cluster.bootstrap()),
        &printed,
    );
    println!("single node killed: {:?} in all", t_start.elapsed());
}

#[test]
fn the_leader_of_the_tills_partition_killed_mid_drain_the_other_two_carry_on() {
    let t_start = Instant::now();
    let mut cluster = KafkaCluster::three();
    // The store's topics as `purser topics ensure` makes them (one admin request instead
    // of topics.sh's six JVMs; kafka_kit.rs checks the two agree), replicated three
    // times; the kit's brokers require two in sync.
    let admin = Reader::admin(&cluster).kafka;
    purser_stream::admin::ensure_topics(
        &admin,
        &purser_stream::admin::store_topic_specs(&purser_stream::Topics::default(), 3, 3),
        Duration::from_secs(60),
    )
    .expect("the store's topics");
    let described =
        purser_stream::admin::topic_configs(&admin, &["pos.payments.v1"], Duration::from_secs(30))
            .expect("pos.payments.v1 described");
    let isr = described[0]
        .1
        .as_ref()
        .map(|c| c.get("min.insync.replicas").cloned());
    assert_eq!(
        isr,
        Ok(Some("2".to_string())),
        "acks=all needs two of three in sync"
    );
    let pw = cluster.dir().join("till-T1.pw");
    std::fs::write(&pw, "till-secret").unwrap();
    let out = cluster.run_acls_sh(&[
        "--scram-user",
        "till-T1",
        "--password-file",
        pw.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "acls.sh: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    println!(
        "three nodes with topics and the till's SCRAM user after {:?}",
        t_start.elapsed()
    );
    let ca = cluster.ca_cert().display().to_string();
    let t = TestTill::with_init_args(
        &cluster.bootstrap(),
        "T1",
        &[
            "--security-protocol",
            "sasl_ssl",
            "--sasl-mechanism",
            "SCRAM-SHA-512",
            "--sasl-username",
            "till-T1",
            "--sasl-password",
            "till-secret",
            "--ssl-ca",
            &ca,
        ],
    );
    t.ok(&["shift", "open", "--cashier", "C1", "--float", "100"]);
    // A longer backlog: more of it is drained while only two nodes run.
    backlog(&t, 5000);
    let relay = RelayProc::start(&t);
    let seller = Seller::start(&t);

    mid_drain(&t, 300);
    let partition: i32 = t.sql(
        "SELECT partition FROM outbox_rows WHERE topic = 'pos.payments.v1' AND partition IS NOT NULL LIMIT 1",
    );
    let leader = cluster.leader_of("pos.payments.v1", partition);
    cluster.kill(leader);
    let t_kill = Instant::now();
    println!("T1's partition pos.payments.v1[{partition}]: leader node {leader} SIGKILLed");
    // The controller moves the leadership once the node's session times out.
    let mut new_leader = leader;
    wait_for(
        "another node to lead the till's partition",
        Duration::from_secs(120),
        || {
            new_leader = cluster.leader_of("pos.payments.v1", partition);
            new_leader != leader
        },
    );
    println!(
        "node {new_leader} leads pos.payments.v1[{partition}] {:?} after the kill",
        t_kill.elapsed()
    );
    // The drain goes on with the other two nodes (two in sync satisfy acks=all): rows
    // acknowledged from now on were written while the third was down.
    std::thread::sleep(Duration::from_secs(1));
    let with_two = acked(&t);
    let took = wait_for(
        "the drain to go on with two nodes (300 more rows acknowledged)",
        Duration::from_secs(120),
        || acked(&t) >= with_two + 300,
    );
    assert!(!cluster.is_running(leader), "node {leader} is still down");
    println!(
        "with two nodes: 300 more rows acknowledged in {took:?} (from {with_two}), {} waiting",
        pending(&t)
    );
    cluster.restart(leader);
    println!(
        "node {leader} restarted {:?} after the kill",
        t_kill.elapsed()
    );
    let printed = drain_and_stop(&t, seller, relay, Duration::from_secs(120));
    audit("leader killed", &t, &Reader::admin(&cluster), &printed);
    println!("leader killed: {:?} in all", t_start.elapsed());
}

#[test]
fn a_network_partition_of_over_a_minute_loses_and_doubles_nothing() {
    let t_start = Instant::now();
    let secs: u64 = std::env::var("PURSER_PARTITION_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(70);
    // Declared before the cluster, so the cluster goes first when the test ends or fails.
    let ns = Netns::create().unwrap_or_else(|e| {
        panic!("the network-partition test needs a network namespace and cannot run here: {e}")
    });
    let cluster = KafkaCluster::start(ClusterOptions {
        host: ns.addr().to_string(),
        netns: Some(ns.name().to_string()),
        ..ClusterOptions::default()
    });
    println!(
        "node in namespace {} at {} (this side {})",
        ns.name(),
        cluster.bootstrap(),
        ns.host_addr()
    );
    let t = TestTill::new(&cluster.bootstrap());
    t.ok(&["topics", "ensure"]);
    t.ok(&["shift", "open", "--cashier", "C1", "--float", "100"]);
    backlog(&t, 3000);
    let relay = RelayProc::start(&t);
    let seller = Seller::start(&t);

    mid_drain(&t, 300);
    ns.cut().expect("the link is cut");
    let t_cut = Instant::now();
    // Packets vanish: a connection attempt hangs until its own timeout.
    let addr: std::net::SocketAddr = cluster.bootstrap().parse().unwrap();
    let err = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(2))
        .expect_err("a cut link must not connect");
    assert_eq!(
        err.kind(),
        std::io::ErrorKind::TimedOut,
        "the partition must drop packets, not refuse them: {err}"
    );
    let waiting_at_cut = pending(&t);
    let frozen = acks_stand_still(
        &t,
        Duration::from_secs(2),
        Duration::from_secs(secs.saturating_sub(2).max(1)),
    );
    let waiting = pending(&t);
    assert!(
        waiting > waiting_at_cut,
        "the till sold on during the partition ({waiting_at_cut} waiting at the cut, {waiting} now)"
    );
    ns.restore().expect("the link is restored");
    println!(
        "link cut for {:?}: acknowledgements stood at {frozen}, {waiting} rows waiting",
        t_cut.elapsed()
    );
    let t_restore = Instant::now();
    wait_for(
        "acknowledgements to resume after the link came back",
        Duration::from_secs(180),
        || acked(&t) > frozen,
    );
    println!(
        "drain resumed {:?} after the link came back",
        t_restore.elapsed()
    );
    let printed = drain_and_stop(&t, seller, relay, Duration::from_secs(180));
    audit(
        "network partition",
        &t,
        &Reader::plaintext(&cluster.bootstrap()),
        &printed,
    );
    println!("network partition: {:?} in all", t_start.elapsed());
}
