//! Ship to shore with MirrorMaker 2 for real: two ships, each an Apache Kafka edge cluster
//! with its own alias and till, and a cloud cluster, all started from the edge kit's files;
//! MirrorMaker 2 runs the kit's own `packaging/kafka/mm2.properties` (aliases, addresses
//! and credentials substituted). At sea (MirrorMaker stopped) the tills sell, refund and
//! close their shifts; in harbour every till event reaches the cloud as
//! `<alias>.pos.*`, byte for byte, and the catalog headquarters publishes in the cloud
//! reaches both ships as `pos.catalog.v1`, which their tills apply — with no topic copied
//! back where it came from.
//!
//! Then the cloud's side runs as a data team would run it (`purser-cloud`'s reconciler and
//! loyalty ledger, consumer groups on the cloud cluster with their state in PostgreSQL):
//! every till's day is confirmed complete and the confirmation reaches the ships' managers;
//! a guest earns on one ship and redeems on the other, and both ships and the cloud agree
//! on the balance; faults injected into the topics (an event deleted before replication,
//! replays, an altered copy, an edited entry republished with its hash recomputed, a Z
//! that disagrees with its sales) are each found and named, and a clean day raises nothing.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use common::TestTill;
use purser_cloud::days::{self, Days};
use purser_cloud::ledger::{self, Ledger, LOYALTY_TOPICS};
use purser_cloud::reconcile::DayState;
use purser_cloud::service::{self, Control, ServiceOptions};
use purser_stream::readback::{read_all, ConsumedRecord};
use purser_testkit::kafka::{Client, KafkaCluster};
use purser_testkit::mirror::{MirrorMaker, MirrorOptions};
use purser_testkit::postgres::TestPostgres;

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

/// `purser-cloud reconcile` and `purser-cloud ledger`, each a thread running the service.
struct CloudServices {
    controls: Vec<Control>,
    threads: Vec<std::thread::JoinHandle<purser_cloud::db::Result<service::Progress>>>,
}

impl CloudServices {
    fn start(bootstrap: &str, postgres: &str) -> CloudServices {
        let mut s = CloudServices {
            controls: Vec::new(),
            threads: Vec::new(),
        };
        for reconciler in [true, false] {
            let (pattern, group, out) = if reconciler {
                (
                    purser_cloud::source::TILL_TOPICS,
                    "purser-reconciler",
                    "pos.reconciliation.v1",
                )
            } else {
                (
                    LOYALTY_TOPICS,
                    "purser-loyalty-ledger",
                    "pos.loyalty-accounts.v1",
                )
            };
            let mut opts =
                ServiceOptions::new(kafka_config(bootstrap), postgres, pattern, group, out);
            opts.metadata_refresh = Duration::from_secs(2);
            opts.batch_wait = Duration::from_millis(200);
            let control = Control::default();
            let ctl = control.clone();
            s.threads.push(std::thread::spawn(move || {
                if reconciler {
                    service::run(&mut Days::default(), &opts, &ctl)
                } else {
                    service::run(&mut Ledger, &opts, &ctl)
                }
            }));
            s.controls.push(control);
        }
        s
    }

    fn stop(self) {
        for c in &self.controls {
            c.stop();
        }
        for t in self.threads {
            t.join().unwrap().expect("the service ran without error");
        }
    }
}

/// The contract's example day of one till, moved to `store` and chained again as that
/// store's till would have written it.
fn example_day_of(store: &str) -> Vec<String> {
    let raws: Vec<String> = purser_core::contract::example_day()
        .into_iter()
        .map(|(_, r)| {
            r.replace(
                "\"store_id\":\"S042\"",
                &format!("\"store_id\":\"{store}\""),
            )
        })
        .collect();
    rechain(&raws)
}

fn rechain(raws: &[String]) -> Vec<String> {
    let mut prev = String::new();
    raws.iter()
        .map(|raw| {
            let mut v: serde_json::Value = serde_json::from_str(raw).unwrap();
            v["prev_hash"] = prev.clone().into();
            let body = v.to_string();
            prev = purser_core::chain::chain_hash(
                &prev,
                v["till_seq"].as_u64().unwrap(),
                v["event_id"].as_str().unwrap(),
                v["event_type"].as_str().unwrap(),
                &body,
            );
            body
        })
        .collect()
}

/// Produces events into `<alias>.pos.<stream>.v1` of a cluster, keyed as the till keys.
fn produce(bootstrap: &str, alias: &str, raws: &[String]) {
    for raw in raws {
        let e = purser_core::report::parse_event(raw).unwrap();
        let stream = match e.body.stream() {
            purser_core::events::Stream::Payments => "payments",
            purser_core::events::Stream::Tills => "tills",
            purser_core::events::Stream::Loyalty => "loyalty",
        };
        purser_stream::publish::publish(
            &kafka_config(bootstrap),
            &format!("{alias}.pos.{stream}.v1"),
            &[(e.key(), Some(raw.as_bytes().to_vec()))],
            Duration::from_secs(20),
        )
        .unwrap();
    }
}

fn day_of(
    pg: &mut purser_cloud::db::Client,
    store: &str,
) -> Vec<purser_cloud::reconcile::DayStatus> {
    days::report(pg, Some(store), None)
        .unwrap()
        .into_iter()
        .map(|(d, _)| d)
        .collect()
}

struct Ship {
    alias: &'static str,
    cluster: KafkaCluster,
    till: TestTill,
    mm: MirrorMaker,
}

fn sell_a_day(t: &TestTill, n: usize) {
    t.add_supervisor("M1", "2468");
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
    t.ok_in(
        &[
            "refund",
            "--receipt",
            &receipts[0],
            "--all",
            "--reason",
            "spilt",
            "--approved-by",
            "M1",
        ],
        "2468\n",
    );
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
            // Every ship has a till T1: the cloud tells them apart by their store.
            let _ = i;
            let till = TestTill::at(&cluster.bootstrap(), &alias[..3].to_uppercase(), "T1");
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
        assert_eq!(rum["price"], 750, "minor units");
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

    // The cloud's services, as a data team runs them: the reconciler confirms each ship's
    // day complete, and the confirmation reaches the ship's manager.
    let pg_url = TestPostgres::shared().database("voyage");
    let mut pg = purser_cloud::db::connect(&pg_url).unwrap();
    purser_cloud::db::migrate(&mut pg).unwrap();
    let services = CloudServices::start(&cloud.bootstrap(), &pg_url);
    for ship in &ships {
        let store = ship.alias[..3].to_uppercase();
        wait_for(
            &format!("the reconciler to confirm {store}'s day"),
            Duration::from_secs(120),
            &mms,
            || {
                day_of(&mut pg, &store)
                    .iter()
                    .any(|d| d.state == DayState::Complete)
            },
        );
        wait_for(
            &format!("headquarters' confirmation to reach {}", ship.alias),
            Duration::from_secs(240),
            &mms,
            || {
                try_read(&ship.cluster.bootstrap(), "pos.reconciliation.v1").is_some_and(|rs| {
                    rs.iter().any(|r| {
                        r.key
                            .as_deref()
                            .is_some_and(|k| k.starts_with(&format!("{store}/T1/")))
                            && r.payload
                                .as_deref()
                                .is_some_and(|p| p.contains("\"complete\""))
                    })
                })
            },
        );
        let tills = ship.till.ok(&["report", "tills"]);
        assert!(
            tills.contains("confirmed complete"),
            "{}: {tills}",
            ship.alias
        );
    }

    // A guest headquarters knows with 1,000 points earns on one ship and, after the
    // ledger has it, redeems on the other: both ships and the cloud agree.
    let guest = r#"{"schema_version":1,"member_id":"G-1","name":"Grace Hopper","card_ids":["LC-9001"],"phone":null,"email":null,"tier":"standard","points_balance":1000,"status":"active","charge_account":null,"updated_at":"2026-11-01T00:00:00Z"}"#;
    assert_eq!(ledger::import_members(&mut pg, guest).unwrap(), 1);
    let published = |t: &TestTill| {
        t.ok(&["streams", "run", "--until-caught-up", "--timeout", "60"]);
        let out = t.run(&["--format", "json", "member", "show", "G-1"]);
        serde_json::from_slice::<serde_json::Value>(&out.stdout)
            .ok()
            .and_then(|m| m["published"].as_i64())
    };
    for ship in &ships {
        wait_for(
            &format!("the ledger's guest to reach {}", ship.alias),
            Duration::from_secs(240),
            &mms,
            || published(&ship.till) == Some(1_000),
        );
    }
    let (a, b) = (&ships[0].till, &ships[1].till);
    a.ok(&["shift", "open", "--cashier", "C1", "--float", "100"]);
    a.ok(&[
        "sell", "--member", "G-1", "--item", "RUM*2", "--tender", "cash:20",
    ]);
    a.ok(&["relay", "--until-empty", "--timeout", "60"]);
    let after_a = a.json(&["member", "show", "G-1"])["balance"]
        .as_i64()
        .unwrap();
    assert!(after_a > 1_000, "points earned on {}", ships[0].alias);
    wait_for(
        &format!(
            "{} to know what the guest earned on {}",
            ships[1].alias, ships[0].alias
        ),
        Duration::from_secs(240),
        &mms,
        || published(b) == Some(after_a),
    );
    b.ok(&["shift", "open", "--cashier", "C1", "--float", "100"]);
    b.ok(&[
        "sell",
        "--member",
        "G-1",
        "--item",
        "RUM*2",
        "--tender",
        "points:G-1:200",
        "--tender",
        "cash:20",
    ]);
    b.ok(&["relay", "--until-empty", "--timeout", "60"]);
    let after_b = b.json(&["member", "show", "G-1"])["balance"]
        .as_i64()
        .unwrap();
    assert!(
        after_b < after_a,
        "200 points redeemed on {}",
        ships[1].alias
    );
    wait_for(
        "the ledger to apply both ships",
        Duration::from_secs(120),
        &mms,
        || {
            ledger::account(&mut pg, "G-1")
                .unwrap()
                .is_some_and(|acc| acc.points_balance == after_b && acc.applied_till_seq.len() == 2)
        },
    );
    let acc = ledger::account(&mut pg, "G-1").unwrap().unwrap();
    assert!(
        acc.applied_till_seq.contains_key("AUR/T1") && acc.applied_till_seq.contains_key("BOR/T1"),
        "{acc:?}"
    );
    for ship in &ships {
        wait_for(
            &format!("the ledger's balance to reach {}", ship.alias),
            Duration::from_secs(240),
            &mms,
            || published(&ship.till) == Some(after_b),
        );
        let m = ship.till.json(&["member", "show", "G-1"]);
        assert_eq!(m["balance"], after_b, "{}: {m}", ship.alias);
        assert_eq!(m["available"], after_b, "{}: {m}", ship.alias);
    }

    // Faults injected into the cloud's topics under a new alias (picked up by the running
    // reconciler without a restart), each day in a store of its own.
    purser_stream::admin::ensure_topics(
        &kafka_config(&cloud.bootstrap()),
        &TILL_TOPICS.map(|t| purser_stream::admin::TopicSpec {
            name: format!("faults.{t}"),
            partitions: 1,
            replication: 1,
            config: Vec::new(),
        }),
        Duration::from_secs(30),
    )
    .unwrap();
    let clean = example_day_of("F-CLEAN");
    produce(&cloud.bootstrap(), "faults", &clean);
    let dup = example_day_of("F-DUP");
    produce(&cloud.bootstrap(), "faults", &dup);
    produce(&cloud.bootstrap(), "faults", &dup[..3]);
    let alt = example_day_of("F-ALT");
    produce(&cloud.bootstrap(), "faults", &alt);
    produce(
        &cloud.bootstrap(),
        "faults",
        &[alt[2].replace("\"receipt_no\":\"", "\"receipt_no\":\"X")],
    );
    let mut edit = example_day_of("F-EDIT");
    edit[2] = edit[2].replace("\"receipt_no\":\"", "\"receipt_no\":\"X");
    produce(&cloud.bootstrap(), "faults", &edit);
    let mut z: Vec<serde_json::Value> = example_day_of("F-Z")
        .iter()
        .map(|r| serde_json::from_str(r).unwrap())
        .collect();
    let zi = z
        .iter()
        .position(|v| v["event_type"] == "shift.closed")
        .unwrap();
    let net = z[zi]["report"]["net_sales"].as_i64().unwrap();
    z[zi]["report"]["net_sales"] = (net + 100).into();
    produce(
        &cloud.bootstrap(),
        "faults",
        &rechain(&z.iter().map(|v| v.to_string()).collect::<Vec<_>>()),
    );
    let expect = [
        ("F-CLEAN", DayState::Complete),
        ("F-DUP", DayState::Complete),
        ("F-ALT", DayState::Conflict),
        ("F-EDIT", DayState::ChainBroken),
        ("F-Z", DayState::ZMismatch),
    ];
    let events = clean.len() as u64;
    for (store, state) in expect {
        wait_for(
            &format!("{store} to be {}", state.as_str()),
            Duration::from_secs(120),
            &mms,
            || {
                day_of(&mut pg, store)
                    .first()
                    .is_some_and(|d| d.state == state && d.events == events)
            },
        );
    }
    let mut d = |s: &str| day_of(&mut pg, s).remove(0);
    let c = d("F-CLEAN");
    assert!(
        c.missing.is_empty()
            && c.conflicts.is_empty()
            && c.z_mismatches.is_empty()
            && c.duplicates == 0
            && c.chain_broken_from.is_none(),
        "a clean day raises nothing: {c:?}"
    );
    assert_eq!(d("F-DUP").duplicates, 3);
    assert!(d("F-ALT").conflicts[0].contains("other content"));
    assert_eq!(d("F-EDIT").chain_broken_from, Some(4));
    assert!(d("F-Z").z_mismatches[0]
        .differences
        .iter()
        .any(|f| f.starts_with("net_sales")));

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
    let b_before: BTreeSet<String> =
        contents(&read(&ships[1].cluster.bootstrap(), "pos.payments.v1"))
            .into_keys()
            .collect();
    for ship in &ships {
        ship.till
            .ok(&["sell", "--item", "RUM", "--tender", "cash:10"]);
        ship.till
            .ok(&["sell", "--item", "RUM", "--tender", "cash:10"]);
        ship.till.ok(&["shift", "close", "--counted", "120.00"]);
        ship.till.ok(&["relay", "--until-empty", "--timeout", "60"]);
    }
    // On the second ship, the voyage's first sale is deleted from the cluster before
    // MirrorMaker copies it (a retention or an operator's mistake): the cloud must name it.
    let b_payments = read(&ships[1].cluster.bootstrap(), "pos.payments.v1");
    let lost = b_payments
        .iter()
        .filter(|r| {
            let id = r
                .headers
                .iter()
                .find(|(k, _)| k == "ce_id")
                .map(|(_, v)| v.as_str());
            id.is_some_and(|id| !b_before.contains(id))
                && r.payload
                    .as_deref()
                    .is_some_and(|p| p.contains("\"sale.completed\""))
        })
        .min_by_key(|r| r.offset)
        .expect("the second voyage's first sale")
        .clone();
    let lost_value: serde_json::Value =
        serde_json::from_str(lost.payload.as_deref().unwrap()).unwrap();
    let lost_seq = lost_value["till_seq"].as_u64().unwrap();
    let lost_id = lost_value["event_id"].as_str().unwrap().to_string();
    ships[1]
        .cluster
        .delete_records("pos.payments.v1", lost.partition, lost.offset + 1);
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
                try_read(&cloud.bootstrap(), &remote).is_some_and(|r| {
                    let c = contents(&r);
                    at_sea.keys().all(|id| c.contains_key(id))
                })
            },
        );
        let records = read(&cloud.bootstrap(), &remote);
        let in_cloud = contents(&records);
        if ship.alias == ships[1].alias {
            // What the ship still holds arrived; the deleted sale never did.
            assert!(at_sea.iter().all(|(id, c)| in_cloud.get(id) == Some(c)));
            assert!(!in_cloud.contains_key(&lost_id));
            continue;
        }
        assert_eq!(in_cloud, at_sea);
        // MirrorMaker committed what it had copied before it stopped: at most a handful
        // of records come twice (consumers deduplicate on event_id anyway).
        assert!(
            records.len() <= at_sea.len() + 2,
            "{} copies of {} events in {remote}",
            records.len(),
            at_sea.len()
        );
    }
    // The reconciler names the missing sale, and the ship's manager sees what
    // headquarters still waits for.
    wait_for(
        "the reconciler to name the lost sale",
        Duration::from_secs(120),
        &mms,
        || {
            day_of(&mut pg, "BOR")
                .iter()
                .any(|d| d.state == DayState::Waiting && d.missing == vec![(lost_seq, lost_seq)])
        },
    );
    let aurora = day_of(&mut pg, "AUR");
    assert!(
        aurora.iter().all(|d| d.state == DayState::Complete),
        "{aurora:?}"
    );
    let waiting = format!("waiting for #{lost_seq}");
    wait_for(
        "the ship's manager to see it",
        Duration::from_secs(240),
        &mms,
        || ships[1].till.ok(&["report", "tills"]).contains(&waiting),
    );
    services.stop();
}
