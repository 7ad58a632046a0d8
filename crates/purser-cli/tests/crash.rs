//! Chaos: the headless till selling and the relay sending are killed with SIGKILL at
//! random instants, many times, for a bounded time (`PURSER_CRASH_SECS`, default 20).
//! Afterwards every sale whose receipt was printed is in SQLite and on the topic, the
//! broker holds exactly the till's journal, and `till_seq` arrives gapless and in order.

mod common;

use std::collections::HashSet;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rdkafka::mocking::MockCluster;

use common::{purser, TestTill};
use purser_core::events::EventHeader;

const CODES: &[&str] = &[
    "4006381333931",
    "036000291452",
    "5012345678900",
    "ESP",
    "CRO",
    "IPA",
];

fn spawn_relay(t: &TestTill) -> Child {
    purser()
        .arg("--config")
        .arg(&t.config)
        .arg("relay")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

#[test]
fn killing_the_till_and_the_relay_at_random_instants_loses_and_duplicates_nothing() {
    let secs: u64 = std::env::var("PURSER_CRASH_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    let seed: u64 = std::env::var("PURSER_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
        });
    println!("crash loop: {secs} s, seed {seed} (PURSER_CRASH_SEED={seed} repeats it)");
    let mut rng = StdRng::seed_from_u64(seed);

    let mock = MockCluster::new(1).unwrap();
    mock.create_topic("pos.payments.v1", 3, 1).unwrap();
    mock.create_topic("pos.tills.v1", 3, 1).unwrap();
    // Slow acknowledgements, so kills land while batches are in flight.
    mock.broker_round_trip_time(1, Duration::from_millis(40))
        .unwrap();
    let t = TestTill::new(&mock.bootstrap_servers());
    t.ok(&["shift", "open", "--cashier", "C1", "--float", "100"]);

    let mut relay = spawn_relay(&t);
    let mut printed: Vec<(String, String)> = Vec::new();
    let (mut sells_killed, mut relays_killed, mut attempts) = (0, 0, 0);
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut next_relay_kill = Instant::now() + Duration::from_millis(rng.random_range(200..1500));
    while Instant::now() < deadline {
        attempts += 1;
        let mut cmd = purser();
        cmd.arg("--config")
            .arg(&t.config)
            .args(["--format", "json", "sell"]);
        for _ in 0..rng.random_range(1..5) {
            cmd.args([
                "--item",
                &format!(
                    "{}*{}",
                    CODES[rng.random_range(0..CODES.len())],
                    rng.random_range(1..4)
                ),
            ]);
        }
        let tender = if rng.random_bool(0.5) {
            "cash:1000".to_string()
        } else {
            format!("card:visa:4242:OK{attempts}:R{attempts}")
        };
        cmd.args(["--tender", &tender])
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        let mut child = cmd.spawn().unwrap();
        if rng.random_bool(0.35) {
            std::thread::sleep(Duration::from_micros(rng.random_range(0..25_000)));
            let _ = child.kill();
            sells_killed += 1;
        }
        let out = child.wait_with_output().unwrap();
        // A receipt counts as printed only if the process finished and printed it whole.
        if out.status.success() {
            let v: serde_json::Value =
                serde_json::from_slice(&out.stdout).expect("a finished sale prints its receipt");
            printed.push((
                v["receipt_no"].as_str().unwrap().to_string(),
                v["event_id"].as_str().unwrap().to_string(),
            ));
        }
        if Instant::now() >= next_relay_kill {
            let _ = relay.kill();
            let _ = relay.wait();
            relays_killed += 1;
            relay = spawn_relay(&t);
            next_relay_kill = Instant::now() + Duration::from_millis(rng.random_range(200..1500));
        }
    }
    let _ = relay.kill();
    let _ = relay.wait();
    println!("{attempts} sales attempted, {} receipts printed, {sells_killed} tills killed, {relays_killed} relays killed", printed.len());
    assert!(
        sells_killed >= 3 && relays_killed >= 3,
        "the loop must really have crashed things"
    );

    // The record survived every kill.
    assert_eq!(t.sql::<String>("PRAGMA integrity_check"), "ok");
    assert!(t.ok(&["journal", "verify"]).contains("Journal OK"));
    for (receipt, _) in &printed {
        let n: i64 = t.sql(&format!(
            "SELECT count(*) FROM sales WHERE receipt_no = '{receipt}'"
        ));
        assert_eq!(n, 1, "printed receipt {receipt} is missing from SQLite");
    }

    // Everything is delivered once the relay may finish.
    mock.broker_round_trip_time(1, Duration::ZERO).unwrap();
    t.ok(&["relay", "--until-empty", "--timeout", "120"]);
    let kafka = purser_stream::KafkaConfig {
        bootstrap_servers: mock.bootstrap_servers(),
        ..Default::default()
    };
    let records = purser_stream::readback::read_all(
        &kafka,
        &["pos.payments.v1", "pos.tills.v1"],
        Duration::from_secs(60),
    )
    .unwrap();
    let audit = purser_stream::readback::audit(&records).unwrap();
    println!(
        "on the wire: {} records, {} distinct events, {} duplicates",
        records.len(),
        audit.distinct,
        audit.duplicates
    );
    assert!(audit.gaps.is_empty(), "gaps: {:?}", audit.gaps);
    assert!(
        audit.out_of_order.is_empty(),
        "out of order: {:?}",
        audit.out_of_order
    );
    assert!(
        audit.conflicts.is_empty(),
        "same event_id, different content: {:?}",
        audit.conflicts
    );

    let conn = rusqlite::Connection::open(&t.db).unwrap();
    let mut stmt = conn.prepare("SELECT event_id FROM journal").unwrap();
    let journal: HashSet<String> = stmt
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let on_wire: HashSet<String> = records
        .iter()
        .map(|r| {
            serde_json::from_str::<EventHeader>(r.payload.as_deref().unwrap())
                .unwrap()
                .event_id
                .to_string()
        })
        .collect();
    assert_eq!(
        on_wire, journal,
        "the broker must hold exactly the till's journal"
    );
    for (receipt, event_id) in &printed {
        assert!(
            on_wire.contains(event_id),
            "printed receipt {receipt} never reached the broker"
        );
    }
    assert_eq!(audit.tills, vec![("T1".to_string(), journal.len() as u64)]);
}
