//! Ship to shore with MirrorMaker 2 for real: two ships, each an Apache Kafka edge cluster
//! with its own alias and till, and a cloud cluster, all started from the edge kit's files;
//! MirrorMaker 2 runs the kit's own `packaging/kafka/mm2.properties` (aliases, addresses
//! and credentials substituted). At sea (MirrorMaker stopped) the tills sell, refund and
//! close their shifts; in harbour every till event reaches the cloud as
//! `<alias>.pos.*`, byte for byte, and the catalog headquarters publishes in the cloud
//! reaches both ships as `pos.catalog.v1`, which their tills apply — with no topic copied
//! back where it came from.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use common::TestTill;
use purser_stream::readback::{read_all, ConsumedRecord};
use purser_testkit::kafka::{Client, KafkaCluster};
use purser_testkit::mirror::{MirrorMaker, MirrorOptions};

const TILL_TOPICS: [&str; 3] = ["pos.payments.v1", "pos.tills.v1", "pos.loyalty.v1"];

fn plain(bootstrap: String) -> Client {
    Client {
        bootstrap,
        props: Vec::new(),
    }
}

fn kafka_config(bootstrap: &str) -> purser_stream::KafkaConfig {
    purser_stream::KafkaConfig {
        bootstrap_servers: bootstrap.to_string(),
        ..Default::default()
    }
}

fn topics(bootstrap: &str) -> BTreeSet<String> {
    purser_cloud::source::matching_topics(&kafka_config(bootstrap), ".*")
        .expect("cluster metadata")
        .into_iter()
        .collect()
}

fn read(bootstrap: &str, topic: &str) -> Vec<ConsumedRecord> {
    read_all(&kafka_config(bootstrap), &[topic], Duration::from_secs(20))
        .unwrap_or_else(|e| panic!("reading {topic} at {bootstrap}: {e}"))
}

/// As `read`, for a topic MirrorMaker may have just created (its partitions' leaders may
/// not answer yet): `None` until it can be read.
fn try_read(bootstrap: &str, topic: &str) -> Option<Vec<ConsumedRecord>> {
    read_all(&kafka_config(bootstrap), &[topic], Duration::from_secs(20)).ok()
}

/// A record as the cloud must see it: key, value and headers, without where it sits.
type Content = (Option<String>, Option<String>, Vec<(String, String)>);

fn contents(records: &[ConsumedRecord]) -> BTreeMap<String, Content> {
    records
        .iter()
        .map(|r| {
            let id = r
                .headers
                .iter()
                .find(|(k, _)| k == "ce_id")
                .map(|(_, v)| v.clone())
                .unwrap_or_else(|| panic!("a till record without ce_id: {r:?}"));
            // MirrorMaker adds no headers of its own to the records it copies; compare
            // the till's own.
            let mut headers: Vec<(String, String)> = r
                .headers
                .iter()
                .filter(|(k, _)| k.starts_with("ce_") || k == "content-type")
                .cloned()
                .collect();
            headers.sort();
            (id, (r.key.clone(), r.payload.clone(), headers))
        })
        .collect()
}

fn wait_for(what: &str, timeout: Duration, mm: &[&MirrorMaker], mut done: impl FnMut() -> bool) {
    let t0 = Instant::now();
    while !done() {
        if t0.elapsed() > timeout {
            let logs: Vec<String> = mm.iter().map(|m| m.log_tail()).collect();
            panic!(
                "timed out after {timeout:?} waiting for {what}; MirrorMaker logs:\n{}",
                logs.join("\n-----\n")
            );
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

struct Ship {
    alias: &'static str,
    cluster: KafkaCluster,
    till: TestTill,
    mm: MirrorMaker,
}

fn sell_a_day(t: &TestTill, n: usize) {
    t.ok(&["shift", "open", "--cashier", "C1", "--float", "100"]);
    let mut receipts = Vec::new();
    for i in 0..n {
        let tender = if i % 2 == 0 {
            "cash:20"
        } else {
            "card:visa:4242:OK:TRM-1"
        };
        let s = t.json(&[
            "sell", "--item", "ESP*2", "--item", "CRO", "--tender", tender,
        ]);
        receipts.push(s["receipt_no"].as_str().unwrap().to_string());
    }
    t.ok(&[
        "refund",
        "--receipt",
        &receipts[0],
        "--all",
        "--reason",
        "spilt",
        "--approved-by",
        "M1",
    ]);
    t.ok(&["shift", "close", "--counted", "130.00", "--end-of-day"]);
    t.ok(&["relay", "--until-empty", "--timeout", "60"]);
}

#[test]
fn two_ships_replicate_to_the_cloud_in_harbour_and_take_the_cloud_catalog_home() {
    // Three single-node clusters and two MirrorMakers: five JVMs on two cores, started
    // in parallel.
    let (cloud, mut ships) = std::thread::scope(|s| {
        let cloud = s.spawn(KafkaCluster::single);
        let a = s.spawn(KafkaCluster::single);
        let b = s.spawn(KafkaCluster::single);
        (
            cloud.join().unwrap(),
            vec![
                ("aurora", a.join().unwrap()),
                ("borealis", b.join().unwrap()),
            ],
        )
    });
    cloud.run_topics_sh();
    let hq = TestTill::new_named(&cloud.bootstrap(), "HQ");
    let ships: Vec<Ship> = ships
        .drain(..)
        .enumerate()
        .map(|(i, (alias, cluster))| {
            cluster.run_topics_sh();
            let till = TestTill::new_named(&cluster.bootstrap(), &format!("T{}", i + 1));
            let mut mm = MirrorMaker::start(MirrorOptions::single_node(
                alias,
                plain(cluster.bootstrap()),
                plain(cloud.bootstrap()),
            ));
            // Out at sea to begin with: no link to the cloud.
            mm.stop();
            Ship {
                alias,
                cluster,
                till,
                mm,
            }
        })
        .collect();

    // At sea: each till sells, refunds and closes its shift; the events reach the ship's
    // own cluster and go no further.
    for (i, ship) in ships.iter().enumerate() {
        sell_a_day(&ship.till, 4 + i);
    }
    let cloud_topics = topics(&cloud.bootstrap());
    assert!(
        !cloud_topics.iter().any(|t| t.contains(".pos.")),
        "nothing crosses while at sea: {cloud_topics:?}"
    );
    // Headquarters publishes a new product in the cloud meanwhile.
    let csv = hq.path().join("new.csv");
    std::fs::write(
        &csv,
        "sku,name,barcodes,price,tax_class\nRUM,Dark rum,5000267024004,7.50,standard\n",
    )
    .unwrap();
    hq.ok(&["publish", "catalog", csv.to_str().unwrap()]);

    // In harbour.
    let mut ships = ships;
    for ship in &mut ships {
        ship.mm.restart();
    }
    let mms: Vec<&MirrorMaker> = ships.iter().map(|s| &s.mm).collect();
    for ship in &ships {
        for topic in TILL_TOPICS {
            let at_sea = contents(&read(&ship.cluster.bootstrap(), topic));
            let remote = format!("{}.{topic}", ship.alias);
            wait_for(
                &format!("{remote} to hold the {} events of {topic}", at_sea.len()),
                Duration::from_secs(240),
                &mms,
                || {
                    topics(&cloud.bootstrap()).contains(&remote)
                        && try_read(&cloud.bootstrap(), &remote)
                            .is_some_and(|r| contents(&r).len() >= at_sea.len())
                },
            );
            // Every event once (by event_id), key, value and headers as the till wrote them.
            let in_cloud = contents(&read(&cloud.bootstrap(), &remote));
            assert_eq!(in_cloud, at_sea, "{remote} differs from the ship's {topic}");
        }
        // The till's hash chain checks end to end from what arrived in the cloud: every
        // event of the till, across its three topics, in till_seq order.
        let mut all: Vec<(u64, String, String, Option<String>, String)> = TILL_TOPICS
            .iter()
            .flat_map(|t| read(&cloud.bootstrap(), &format!("{}.{t}", ship.alias)))
            .map(|r| {
                let payload = r.payload.expect("a till event has a value");
                let v: serde_json::Value = serde_json::from_str(&payload).unwrap();
                (
                    v["till_seq"].as_u64().unwrap(),
                    v["event_id"].as_str().unwrap().to_string(),
                    v["event_type"].as_str().unwrap().to_string(),
                    v["prev_hash"].as_str().map(str::to_string),
                    payload,
                )
            })
            .collect();
        all.sort_by_key(|e| e.0);
        all.dedup_by_key(|e| e.0);
        let written = ship.till.events_written();
        assert_eq!(all.len() as i64, written, "every event of the till, once");
        let (broken, last) = purser_core::chain::verify_chain(
            None,
            all.iter()
                .map(|(s, i, t, p, b)| (*s, i.as_str(), t.as_str(), p.as_deref(), b.as_str())),
        );
        assert_eq!(broken, None, "{}: the chain breaks", ship.alias);
        let head: String = ship
            .till
            .sql("SELECT journal_head_hash FROM till WHERE id = 1");
        assert_eq!(
            last.as_deref(),
            Some(head.as_str()),
            "the cloud's chain ends at the till's head"
        );
        // The cloud's catalog reached the ship under the name its till reads, and the till
        // applies it.
        wait_for(
            &format!("the cloud catalog to reach {}", ship.alias),
            Duration::from_secs(240),
            &mms,
            || {
                try_read(&ship.cluster.bootstrap(), "pos.catalog.v1").is_some_and(|rs| {
                    rs.iter()
                        .any(|r| r.key.as_deref().is_some_and(|k| k.ends_with("RUM")))
                })
            },
        );
        ship.till
            .ok(&["streams", "run", "--until-caught-up", "--timeout", "60"]);
        let rum = ship.till.json(&["stock", "5000267024004"]);
        assert_eq!(rum["sku"], "RUM", "{rum}");
        assert_eq!(rum["price"], "7.50");
    }

    // The cloud's reconciler over everything that arrived: each ship's till, its day
    // complete (every till_seq, the Z rebuilt from the events equal to the printed one,
    // the chain intact).
    let mut rec = purser_cloud::reconcile::Reconciler::new();
    let pass = purser_cloud::source::read_into(
        &kafka_config(&cloud.bootstrap()),
        purser_cloud::source::TILL_TOPICS,
        &mut rec,
        Duration::from_secs(60),
    )
    .unwrap();
    assert!(pass.unreadable.is_empty(), "{:?}", pass.unreadable);
    assert_eq!(pass.conflicts, 0);
    let days = rec.days();
    assert_eq!(days.len(), 2, "one day per ship's till: {days:?}");
    for d in &days {
        assert_eq!(
            d.state,
            purser_cloud::reconcile::DayState::Complete,
            "{d:?}"
        );
        assert_eq!(d.z_matched, 1, "{d:?}");
    }

    // Nothing copied back where it came from, and no ship's events on another ship.
    let cloud_topics = topics(&cloud.bootstrap());
    for ship in &ships {
        let here = topics(&ship.cluster.bootstrap());
        for t in &here {
            assert!(
                !t.contains(".pos.") && !t.starts_with("cloud.pos"),
                "{}: {t} was copied back (all: {here:?})",
                ship.alias
            );
        }
        for t in [
            "pos.catalog.v1",
            "pos.loyalty-accounts.v1",
            "pos.inventory.v1",
        ] {
            assert!(
                !cloud_topics.contains(&format!("{}.{t}", ship.alias)),
                "{t} went from {} to the cloud: {cloud_topics:?}",
                ship.alias
            );
        }
    }

    // Out again, more sales, back in harbour: only the new events come on top, each once.
    for ship in &mut ships {
        ship.mm.stop();
    }
    for ship in &ships {
        ship.till
            .ok(&["shift", "open", "--cashier", "C1", "--float", "100"]);
        ship.till
            .ok(&["sell", "--item", "RUM", "--tender", "cash:10"]);
        ship.till.ok(&["relay", "--until-empty", "--timeout", "60"]);
    }
    for ship in &mut ships {
        ship.mm.restart();
    }
    let mms: Vec<&MirrorMaker> = ships.iter().map(|s| &s.mm).collect();
    for ship in &ships {
        let at_sea = contents(&read(&ship.cluster.bootstrap(), "pos.payments.v1"));
        let remote = format!("{}.pos.payments.v1", ship.alias);
        wait_for(
            &format!("the second voyage's sale in {remote}"),
            Duration::from_secs(240),
            &mms,
            || {
                try_read(&cloud.bootstrap(), &remote)
                    .is_some_and(|r| contents(&r).len() >= at_sea.len())
            },
        );
        let records = read(&cloud.bootstrap(), &remote);
        assert_eq!(contents(&records), at_sea);
        // MirrorMaker committed what it had copied before it stopped: at most a handful
        // of records come twice (consumers deduplicate on event_id anyway).
        assert!(
            records.len() <= at_sea.len() + 2,
            "{} copies of {} events in {remote}",
            records.len(),
            at_sea.len()
        );
    }
}
