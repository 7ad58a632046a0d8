//! Benchmark of the cloud's services: synthetic till events of many stores × tills × days
//! (the contract's example day of 13 events — sales, a refund, a void, a drawer, the shift
//! and its Z, a heartbeat, loyalty — with fresh ids, each till's `till_seq` and hash chain
//! continued across its days) on an Apache Kafka node from the edge kit, read by the
//! reconciler with one and with two instances and by the loyalty ledger, into a
//! PostgreSQL server of Debian's package with fsync on. Prints throughput and the ratio to
//! a raw consumer reading the same topics in the same run.
//!
//! ```sh
//! cargo run --release -p purser-cloud --example bench -- --events 1000000
//! cargo run --release -p purser-cloud --example bench -- --events 10000000 --instances 1
//! ```
//!
//! Each reconciler configuration keeps every event in its own database (about 1.3 KB an
//! event): mind the disk at 10,000,000.
//!
//! `PURSER_TEST_KAFKA` / `PURSER_TEST_POSTGRES` point it at a cluster and a server of
//! one's own. See `docs/benchmarks.md`.

#![allow(clippy::float_arithmetic)] // figures for people to read, not money

use std::collections::HashMap;
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::{Offset, TopicPartitionList};

use purser_cloud::days::Days;
use purser_cloud::ledger::Ledger;
use purser_cloud::service::{self, Control, Job, ServiceOptions};
use purser_stream::admin::{ensure_topics, TopicSpec};
use purser_stream::KafkaConfig;
use purser_testkit::kafka::TestKafka;
use purser_testkit::postgres::{PgOptions, PostgresServer};

const PARTITIONS: i32 = 6;

fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

/// Makes the events: `tills` tills per store, as many stores and days as `events` needs.
fn generate(alias: &str, events: u64, tills: u64, days: u64, p: &BaseProducer) -> (u64, u64) {
    let template: Vec<serde_json::Value> = purser_core::contract::example_day()
        .into_iter()
        .map(|(_, r)| serde_json::from_str(&r).expect("an example"))
        .collect();
    let uuid = regex::Regex::new(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
        .expect("a regex");
    let per_till = days * template.len() as u64;
    let stores = events.div_ceil(per_till * tills).max(1);
    let (mut n, mut loyalty) = (0u64, 0u64);
    let base = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).expect("a date");
    for s in 0..stores {
        for t in 0..tills {
            let (store, till) = (format!("B{s:04}"), format!("T{t}"));
            let mut prev = String::new();
            let mut seq = 0u64;
            for d in 0..days {
                let mut ids: HashMap<String, String> = HashMap::new();
                let date = (base + chrono::Days::new(d)).to_string();
                for ev in &template {
                    seq += 1;
                    let text = ev.to_string();
                    let text = uuid.replace_all(&text, |c: &regex::Captures| {
                        ids.entry(c[0].to_string())
                            .or_insert_with(|| uuid::Uuid::now_v7().to_string())
                            .clone()
                    });
                    let mut v: serde_json::Value = serde_json::from_str(&text).expect("still JSON");
                    v["store_id"] = store.clone().into();
                    v["till_id"] = till.clone().into();
                    v["till_seq"] = seq.into();
                    v["business_date"] = date.clone().into();
                    v["prev_hash"] = prev.clone().into();
                    let body = v.to_string();
                    let ty = v["event_type"].as_str().expect("a type").to_string();
                    prev = purser_core::chain::chain_hash(
                        &prev,
                        seq,
                        v["event_id"].as_str().expect("an id"),
                        &ty,
                        &body,
                    );
                    let (stream, key) = if ty.starts_with("loyalty.") {
                        loyalty += 1;
                        (
                            "loyalty",
                            v["member_id"].as_str().unwrap_or(&till).to_string(),
                        )
                    } else if ty.starts_with("shift.") || ty.starts_with("till.") {
                        ("tills", till.clone())
                    } else {
                        ("payments", till.clone())
                    };
                    let topic = format!("{alias}.pos.{stream}.v1");
                    loop {
                        match p.send(BaseRecord::to(&topic).key(&key).payload(&body)) {
                            Ok(()) => break,
                            Err(_) => {
                                p.poll(Duration::from_millis(20));
                            }
                        }
                    }
                    n += 1;
                }
            }
        }
    }
    p.flush(Duration::from_secs(300))
        .expect("the cluster took every event");
    (n, loyalty)
}

/// A raw consumer reading the topics to their ends: records per second.
fn raw_read(kafka: &KafkaConfig, topics: &[String], total: u64) -> f64 {
    let c: BaseConsumer = kafka
        .client_config()
        .set("group.id", "bench-raw")
        .set("enable.auto.commit", "false")
        .create()
        .expect("a consumer");
    let mut tpl = TopicPartitionList::new();
    for t in topics {
        for p in 0..PARTITIONS {
            tpl.add_partition_offset(t, p, Offset::Beginning)
                .expect("a partition");
        }
    }
    c.assign(&tpl).expect("assigned");
    let t0 = Instant::now();
    let mut n = 0u64;
    while n < total && t0.elapsed() < Duration::from_secs(600) {
        if let Some(Ok(_)) = c.poll(Duration::from_millis(100)) {
            n += 1;
        }
    }
    n as f64 / t0.elapsed().as_secs_f64()
}

/// Runs `instances` copies of a job in one group until they have read `total` records;
/// returns records per second.
fn run_services(
    make: fn() -> Box<dyn Job + Send>,
    instances: usize,
    kafka: &KafkaConfig,
    pg_url: &str,
    pattern: &str,
    out: &str,
    total: u64,
) -> (f64, Vec<u64>) {
    let group = format!("bench-{}", uuid::Uuid::now_v7().simple());
    let mut controls = Vec::new();
    let mut threads = Vec::new();
    let t0 = Instant::now();
    for _ in 0..instances {
        let mut opts = ServiceOptions::new(kafka.clone(), pg_url, pattern, &group, out);
        opts.batch_max = arg("--batch", opts.batch_max as u64) as usize;
        opts.batch_wait =
            Duration::from_millis(arg("--batch-wait-ms", opts.batch_wait.as_millis() as u64));
        let control = Control::default();
        let ctl = control.clone();
        threads.push(std::thread::spawn(move || {
            let mut job = make();
            service::run(job.as_mut(), &opts, &ctl)
        }));
        controls.push(control);
    }
    loop {
        let done: u64 = controls.iter().map(|c| c.progress().records).sum();
        if done >= total || t0.elapsed() > Duration::from_secs(3_600) {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let secs = t0.elapsed().as_secs_f64();
    let per: Vec<u64> = controls.iter().map(|c| c.progress().records).collect();
    for c in &controls {
        c.stop();
    }
    for t in threads {
        t.join().expect("joined").expect("the service ran");
    }
    (total as f64 / secs, per)
}

fn main() {
    let events = arg("--events", 1_000_000);
    let tills = arg("--tills", 4);
    let days = arg("--days", 30);
    let kafka_handle = TestKafka::shared();
    let kafka = KafkaConfig {
        bootstrap_servers: kafka_handle.bootstrap(),
        ..Default::default()
    };
    let pg_external = std::env::var("PURSER_TEST_POSTGRES").ok();
    let pg = pg_external.is_none().then(|| {
        PostgresServer::start(PgOptions {
            no_fsync: false,
            shared_buffers: "512MB".into(),
        })
    });
    let new_db = |name: &str| -> String {
        match &pg {
            Some(s) => {
                let mut c = purser_cloud::db::connect(&s.url("postgres")).expect("postgres");
                c.batch_execute(&format!("CREATE DATABASE {name}"))
                    .expect("created");
                s.url(name)
            }
            None => {
                let u = pg_external.clone().expect("a server");
                let mut c = purser_cloud::db::connect(&u).expect("postgres");
                c.batch_execute(&format!("CREATE DATABASE {name}"))
                    .expect("created");
                let base = &u[..u.rfind('/').expect("a database in the URL")];
                format!("{base}/{name}")
            }
        }
    };
    let run = uuid::Uuid::now_v7().simple().to_string();
    let alias = format!("bench{}", &run[24..]);
    let topics: Vec<String> = ["payments", "tills", "loyalty"]
        .iter()
        .map(|s| format!("{alias}.pos.{s}.v1"))
        .collect();
    ensure_topics(
        &kafka,
        &topics
            .iter()
            .map(|t| TopicSpec {
                name: t.clone(),
                partitions: PARTITIONS,
                replication: 1,
                config: Vec::new(),
            })
            .collect::<Vec<_>>(),
        Duration::from_secs(30),
    )
    .expect("topics");
    let p: BaseProducer = kafka
        .client_config()
        .set("linger.ms", "20")
        .set("batch.size", "1000000")
        .set("compression.type", "lz4")
        .set("queue.buffering.max.messages", "1000000")
        .create()
        .expect("a producer");
    let t0 = Instant::now();
    let (total, loyalty) = generate(&alias, events, tills, days, &p);
    println!(
        "generated {total} events ({loyalty} loyalty) of {} tills × {days} days in {:.1} s",
        total / (days * 13),
        t0.elapsed().as_secs_f64()
    );
    let raw = raw_read(&kafka, &topics, total);
    println!("raw consumer: {raw:.0} records/s");
    let pattern = format!(r"^{alias}\.pos\.(payments|tills|loyalty)\.v1$");
    let counts: Vec<usize> = std::env::args()
        .collect::<Vec<_>>()
        .windows(2)
        .find(|w| w[0] == "--instances")
        .map(|w| w[1].split(',').filter_map(|n| n.parse().ok()).collect())
        .unwrap_or_else(|| vec![1, 2]);
    for instances in counts {
        let db = new_db(&format!("bench_rec{instances}_{}", &run[24..]));
        let (rate, per) = run_services(
            || Box::new(Days::default()),
            instances,
            &kafka,
            &db,
            &pattern,
            &format!("{alias}.reconciliation{instances}"),
            total,
        );
        println!(
            "reconciler × {instances}: {rate:.0} events/s ({:.2}× raw), records per instance {per:?}",
            rate / raw
        );
    }
    let db = new_db(&format!("bench_ledger_{}", &run[24..]));
    let (rate, _) = run_services(
        || Box::new(Ledger),
        1,
        &kafka,
        &db,
        &format!(r"^{alias}\.pos\.loyalty\.v1$"),
        &format!("{alias}.accounts"),
        loyalty,
    );
    println!("ledger × 1: {rate:.0} loyalty events/s");
}
