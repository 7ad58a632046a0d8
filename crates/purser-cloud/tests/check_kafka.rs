//! `purser-cloud check`, the binary, against Apache Kafka started from the edge kit: a
//! store's replicated till topics hold the contract's example day of one till, then the
//! same day with an event missing, a duplicate and an altered copy.

use std::process::Command;
use std::time::Duration;

use purser_core::events::Stream;
use purser_core::report::parse_event;
use purser_stream::admin::{ensure_topics, TopicSpec};
use purser_stream::publish::publish;
use purser_stream::KafkaConfig;
use purser_testkit::kafka::TestKafka;

fn topic(alias: &str, raw: &str) -> String {
    let e = parse_event(raw).unwrap();
    let s = match e.body.stream() {
        Stream::Payments => "payments",
        Stream::Tills => "tills",
        Stream::Loyalty => "loyalty",
    };
    format!("{alias}.pos.{s}.v1")
}

fn send(kafka: &KafkaConfig, alias: &str, raws: &[&str]) {
    for raw in raws {
        let key = parse_event(raw).unwrap().key();
        publish(
            kafka,
            &topic(alias, raw),
            &[(key, Some(raw.as_bytes().to_vec()))],
            Duration::from_secs(20),
        )
        .unwrap();
    }
}

fn check(bootstrap: &str, alias: &str, extra: &[&str]) -> (i32, serde_json::Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_purser-cloud"))
        .args([
            "check",
            "--bootstrap",
            bootstrap,
            "--format",
            "json",
            "--strict",
        ])
        .args([
            "--pattern",
            &format!(r"^{alias}\.pos\.(payments|tills|loyalty)\.v1$"),
        ])
        .args(extra)
        .output()
        .unwrap();
    let v = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap_or(-1), v)
}

#[test]
fn check_tells_a_complete_day_from_a_gap_a_duplicate_and_an_altered_copy() {
    let bootstrap = TestKafka::shared().bootstrap();
    let kafka = KafkaConfig {
        bootstrap_servers: bootstrap.clone(),
        ..Default::default()
    };
    let run = uuid::Uuid::now_v7().simple().to_string();
    let (clean, broken) = (
        format!("clean{}", &run[..12]),
        format!("broken{}", &run[..12]),
    );
    let specs: Vec<TopicSpec> = [&clean, &broken]
        .iter()
        .flat_map(|a| {
            ["payments", "tills", "loyalty"].map(|s| TopicSpec {
                name: format!("{a}.pos.{s}.v1"),
                partitions: 1,
                replication: 1,
                config: Vec::new(),
            })
        })
        .collect();
    ensure_topics(&kafka, &specs, Duration::from_secs(30)).unwrap();
    let d = purser_core::contract::example_day();
    let raws: Vec<&str> = d.iter().map(|(_, r)| r.as_str()).collect();

    send(&kafka, &clean, &raws);
    let (code, v) = check(&bootstrap, &clean, &[]);
    assert_eq!(code, 0, "{v:#}");
    let days = v["days"].as_array().unwrap();
    assert_eq!(days.len(), 1);
    assert_eq!(days[0]["state"], "complete", "{v:#}");
    assert_eq!(days[0]["events"], 16);
    assert_eq!(days[0]["z_matched"], 1);

    // Event 5 missing, event 2 twice: waiting for 5, one duplicate.
    let mut holed: Vec<&str> = raws.clone();
    holed.remove(4);
    holed.push(raws[1]);
    send(&kafka, &broken, &holed);
    let (code, v) = check(&bootstrap, &broken, &["--date", "2026-11-25"]);
    assert_eq!(code, 3, "not complete under --strict: {v:#}");
    let day0 = &v["days"][0];
    assert_eq!(day0["state"], "waiting", "{v:#}");
    assert_eq!(day0["missing"], serde_json::json!([[5, 5]]));
    assert_eq!(day0["duplicates"], 1);
    // The missing event arrives, and an altered copy of event 3 with it.
    let altered = raws[2].replace("\"receipt_no\":\"", "\"receipt_no\":\"X");
    send(&kafka, &broken, &[raws[4], &altered]);
    let (_, v) = check(&bootstrap, &broken, &[]);
    assert_eq!(v["days"][0]["state"], "conflict", "{v:#}");
    assert_eq!(v["read"]["conflicts"], 1);
    // Another store's day is not in a filtered report.
    let (_, v) = check(&bootstrap, &broken, &["--store", "NOPE"]);
    assert_eq!(v["days"], serde_json::json!([]));
}
