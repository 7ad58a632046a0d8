//! The reconciler and the loyalty ledger as services, on real PostgreSQL (Debian's server,
//! started by the test kit) and, where a cluster is needed, Apache Kafka from the edge kit.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use purser_cloud::days::{self, Days};
use purser_cloud::ledger::{self, Ledger};
use purser_cloud::reconcile::DayState;
use purser_cloud::service::{apply_batch, Control, Record, ServiceOptions};
use purser_cloud::{db, service};
use purser_core::events::Stream;
use purser_core::report::parse_event;
use purser_stream::admin::{ensure_topics, TopicSpec};
use purser_stream::publish::publish;
use purser_stream::readback::read_all;
use purser_stream::KafkaConfig;
use purser_testkit::kafka::TestKafka;
use purser_testkit::postgres::TestPostgres;

fn day() -> Vec<String> {
    purser_core::contract::example_day()
        .into_iter()
        .map(|(_, r)| r)
        .collect()
}

fn stream_of(raw: &str) -> &'static str {
    match parse_event(raw).unwrap().body.stream() {
        Stream::Payments => "payments",
        Stream::Tills => "tills",
        Stream::Loyalty => "loyalty",
    }
}

/// Records as a consumer would hand them over, one partition per stream.
fn records(alias: &str, raws: &[String], first_offset: i64) -> Vec<Record> {
    raws.iter()
        .enumerate()
        .map(|(i, raw)| Record {
            topic: format!("{alias}.pos.{}.v1", stream_of(raw)),
            partition: 0,
            offset: first_offset + i as i64,
            key: None,
            value: Some(raw.clone()),
        })
        .collect()
}

fn pg(name: &str) -> postgres::Client {
    let url = TestPostgres::shared().database(name);
    let mut c = db::connect(&url).unwrap();
    db::migrate(&mut c).unwrap();
    c
}

#[test]
fn migrations_run_once_and_twice_is_a_no_op() {
    let url = TestPostgres::shared().database("migrate");
    let mut a = db::connect(&url).unwrap();
    let mut b = db::connect(&url).unwrap();
    let t = std::thread::spawn(move || db::migrate(&mut b).unwrap());
    assert_eq!(db::migrate(&mut a).unwrap(), 1);
    assert_eq!(t.join().unwrap(), 1);
    let n: i64 = a
        .query_one("SELECT count(*) FROM schema_migrations", &[])
        .unwrap()
        .get(0);
    assert_eq!(n, 1);
}

#[test]
fn a_batch_applied_twice_counts_once_and_replays_are_duplicates() {
    let mut c = pg("twice");
    let raws = day();
    let mut job = Days::default();
    let batch = records("aurora", &raws, 0);
    let (applied, skipped, _) = apply_batch(&mut c, &mut job, &batch).unwrap();
    assert_eq!((applied.new, skipped), (16, 0));
    // The same records again (the instance died before committing to Kafka): skipped.
    let (applied, skipped, _) = apply_batch(&mut c, &mut job, &batch).unwrap();
    assert_eq!((applied.new, applied.duplicates, skipped), (0, 0, 16));
    let report = days::report(&mut c, None, None).unwrap();
    assert_eq!(report.len(), 1);
    let d = &report[0].0;
    assert_eq!(d.state, DayState::Complete, "{d:?}");
    assert_eq!((d.events, d.duplicates, d.z_matched), (16, 0, 1));
    // Replayed at later offsets (a producer sent them again): duplicates, still complete.
    let replay = records("aurora", &raws[..3], 100);
    let (applied, _, _) = apply_batch(&mut c, &mut job, &replay).unwrap();
    assert_eq!((applied.new, applied.duplicates), (0, 3));
    let d = days::report(&mut c, None, None).unwrap()[0].0.clone();
    assert_eq!((d.state, d.duplicates), (DayState::Complete, 3));
}

#[test]
fn gaps_late_events_conflicts_edits_and_bad_records_are_found_across_batches() {
    let mut c = pg("faults");
    let raws = day();
    let mut job = Days::default();
    // Event 5 held back: the day waits for it, in any batch split.
    let mut holed = raws.clone();
    let late = holed.remove(4);
    let (first, second) = holed.split_at(6);
    apply_batch(&mut c, &mut job, &records("a", first, 0)).unwrap();
    apply_batch(&mut c, &mut job, &records("a", second, 50)).unwrap();
    let d = days::report(&mut c, None, None).unwrap()[0].0.clone();
    assert_eq!(d.state, DayState::Waiting, "{d:?}");
    assert_eq!(d.missing, vec![(5, 5)]);
    assert!(
        d.z_mismatches.is_empty(),
        "a Z waits for its missing events"
    );
    apply_batch(&mut c, &mut job, &records("a", &[late], 200)).unwrap();
    let d = days::report(&mut c, None, None).unwrap()[0].0.clone();
    assert_eq!(d.state, DayState::Complete, "{d:?}");

    // An altered copy of event 3 and an unreadable record.
    let altered = raws[2].replace("\"receipt_no\":\"", "\"receipt_no\":\"X");
    let mut bad = records("a", &[altered], 300);
    bad.push(Record {
        topic: "a.pos.payments.v1".into(),
        partition: 0,
        offset: 301,
        key: None,
        value: Some("{not json".into()),
    });
    let (applied, _, _) = apply_batch(&mut c, &mut job, &bad).unwrap();
    assert_eq!((applied.conflicts, applied.unreadable), (1, 1));
    let d = days::report(&mut c, None, None).unwrap()[0].0.clone();
    assert_eq!(d.state, DayState::Conflict, "{d:?}");
    let q: i64 = c
        .query_one("SELECT count(*) FROM quarantine", &[])
        .unwrap()
        .get(0);
    assert_eq!(q, 1, "the unreadable record is kept");

    // Another store's till whose event 3 was edited and republished under its own
    // recomputed hash: the chain breaks at event 4.
    let other: Vec<String> = raws
        .iter()
        .map(|r| r.replace("\"store_id\":\"S042\"", "\"store_id\":\"S043\""))
        .collect();
    // Re-chain the renamed store's day as its till would have written it.
    let other = rechain(&other, None);
    let mut edited = other.clone();
    edited[2] = edited[2].replace("\"receipt_no\":\"", "\"receipt_no\":\"X");
    apply_batch(&mut c, &mut job, &records("b", &edited, 0)).unwrap();
    let d = days::report(&mut c, Some("S043"), None).unwrap()[0]
        .0
        .clone();
    assert_eq!(d.state, DayState::ChainBroken, "{d:?}");
    assert_eq!(d.chain_broken_from, Some(4));
}

/// The events re-linked from `till_seq` 1 (after their content was changed), except the
/// index given, which keeps its old link.
fn rechain(raws: &[String], keep: Option<usize>) -> Vec<String> {
    let mut prev = String::new();
    let mut out = Vec::new();
    for (i, raw) in raws.iter().enumerate() {
        let mut v: serde_json::Value = serde_json::from_str(raw).unwrap();
        if keep != Some(i) {
            v["prev_hash"] = prev.clone().into();
        }
        let body = v.to_string();
        prev = purser_core::chain::chain_hash(
            v["prev_hash"].as_str().unwrap(),
            v["till_seq"].as_u64().unwrap(),
            v["event_id"].as_str().unwrap(),
            v["event_type"].as_str().unwrap(),
            &body,
        );
        out.push(body);
    }
    out
}

#[test]
fn the_ledger_applies_each_loyalty_event_once_and_keys_watermarks_by_store_and_till() {
    let mut c = pg("ledger");
    let raws: Vec<String> = day()
        .into_iter()
        .filter(|r| stream_of(r) == "loyalty")
        .collect();
    assert!(raws.len() >= 2, "the example day has loyalty events");
    // Headquarters knows the day's member with a balance of 12,480.
    let member = parse_event(&raws[0])
        .unwrap()
        .body
        .member_id()
        .unwrap()
        .to_string();
    let known: Vec<String> = purser_core::contract::examples()
        .into_iter()
        .filter(|(stem, _, _)| stem == "loyalty.account.v1")
        .map(|(_, name, mut v)| {
            if name == "gold-member-with-cabin-folio" {
                v["member_id"] = member.clone().into();
            }
            v.to_string()
        })
        .collect();
    assert_eq!(
        ledger::import_members(&mut c, &known.join("\n")).unwrap(),
        2
    );
    assert!(ledger::import_members(&mut c, "{\"member_id\": 1}").is_err());
    let mut job = Ledger;
    let batch = records("aurora", &raws, 0);
    let (applied, _, _) = apply_batch(&mut c, &mut job, &batch).unwrap();
    assert_eq!(applied.new, raws.len() as u64);
    // Replayed at other offsets: the event ids are known, nothing counted twice.
    let (applied, _, _) = apply_batch(&mut c, &mut job, &records("aurora", &raws, 10)).unwrap();
    assert_eq!((applied.new, applied.duplicates), (0, raws.len() as u64));
    // What the ledger must hold: the opening balance, each event in till order, never
    // below zero.
    let mut expected: BTreeMap<String, i64> = BTreeMap::new();
    expected.insert(member.clone(), 12_480);
    let mut seqs: BTreeMap<String, u64> = BTreeMap::new();
    for raw in &raws {
        let e = parse_event(raw).unwrap();
        let (m, d) = match &e.body {
            purser_core::events::EventBody::PointsEarned(b) => (b.member_id.clone(), b.points),
            purser_core::events::EventBody::PointsRedeemed(b) => (b.member_id.clone(), -b.points),
            purser_core::events::EventBody::PointsReversed(b) => (
                b.member_id.clone(),
                b.redeemed_returned - b.earned_reversed - b.earned_shortfall,
            ),
            purser_core::events::EventBody::MemberEnrolled(b) => (b.member_id.clone(), 0),
            _ => continue,
        };
        let bal = expected.entry(m.clone()).or_default();
        *bal = (*bal + d).max(0);
        seqs.insert(m, e.header.till_seq);
    }
    assert!(expected.len() >= 2, "{expected:?}");
    for (m, points) in &expected {
        let acc = ledger::account(&mut c, m).unwrap().unwrap();
        assert_eq!(acc.points_balance, *points, "{acc:?}");
        assert_eq!(
            acc.applied_till_seq.get("S042/T3").copied(),
            Some(seqs[m]),
            "{acc:?}"
        );
        if *m == member {
            assert_eq!(acc.name, "Ada Lovelace", "headquarters' record is kept");
            assert!(acc.charge_account.is_some());
        }
    }
}

fn topics(kafka: &KafkaConfig, aliases: &[&str], partitions: i32) {
    let specs: Vec<TopicSpec> = aliases
        .iter()
        .flat_map(|a| {
            ["payments", "tills", "loyalty"].map(|s| TopicSpec {
                name: format!("{a}.pos.{s}.v1"),
                partitions,
                replication: 1,
                config: Vec::new(),
            })
        })
        .collect();
    ensure_topics(kafka, &specs, Duration::from_secs(30)).unwrap();
}

fn send(kafka: &KafkaConfig, alias: &str, raws: &[String]) {
    type Keyed = Vec<(String, Option<Vec<u8>>)>;
    let mut by_topic: BTreeMap<String, Keyed> = BTreeMap::new();
    for raw in raws {
        let key = parse_event(raw).unwrap().key();
        by_topic
            .entry(format!("{alias}.pos.{}.v1", stream_of(raw)))
            .or_default()
            .push((key, Some(raw.as_bytes().to_vec())));
    }
    for (t, recs) in by_topic {
        publish(kafka, &t, &recs, Duration::from_secs(20)).unwrap();
    }
}

fn wait_for(what: &str, timeout: Duration, mut ok: impl FnMut() -> bool) {
    let t0 = Instant::now();
    while !ok() {
        assert!(t0.elapsed() < timeout, "{what}: not within {timeout:?}");
        std::thread::sleep(Duration::from_millis(300));
    }
}

#[test]
fn two_reconcilers_share_the_topics_pick_up_a_new_ship_and_survive_a_restart() {
    let bootstrap = TestKafka::shared().bootstrap();
    let kafka = KafkaConfig {
        bootstrap_servers: bootstrap,
        ..Default::default()
    };
    let run = uuid::Uuid::now_v7().simple().to_string();
    let (a, b) = (format!("ra{}", &run[20..]), format!("rb{}", &run[20..]));
    let out = format!("rec{}.reconciliation", &run[20..]);
    topics(&kafka, &[&a], 3);
    let url = TestPostgres::shared().database("group");
    let mut c = db::connect(&url).unwrap();
    db::migrate(&mut c).unwrap();
    let mut opts = ServiceOptions::new(
        kafka.clone(),
        &url,
        &format!(
            r"^(ra|rb){}\.pos\.(payments|tills|loyalty)\.v1$",
            &run[20..]
        ),
        &format!("g{run}"),
        &out,
    );
    opts.metadata_refresh = Duration::from_secs(2);
    opts.batch_wait = Duration::from_millis(100);
    let start = |opts: &ServiceOptions| {
        let control = Control::default();
        let (o, ctl) = (opts.clone(), control.clone());
        let h = std::thread::spawn(move || service::run(&mut Days::default(), &o, &ctl));
        (control, h)
    };
    let (c1, h1) = start(&opts);
    let (c2, h2) = start(&opts);
    let raws = day();
    send(&kafka, &a, &raws);
    let complete = |c: &mut postgres::Client, store: &str| {
        days::report(c, Some(store), None)
            .unwrap()
            .first()
            .map(|(d, _)| d.clone())
    };
    wait_for("ship A's day complete", Duration::from_secs(90), || {
        complete(&mut c, "S042").is_some_and(|d| d.state == DayState::Complete)
    });
    // Both instances hold partitions of the group.
    wait_for("both instances assigned", Duration::from_secs(60), || {
        !c1.progress().assigned.is_empty() && !c2.progress().assigned.is_empty()
    });

    // A new ship docks: its topics appear after the services started.
    topics(&kafka, &[&b], 1);
    let other: Vec<String> = rechain(
        &raws
            .iter()
            .map(|r| r.replace("\"store_id\":\"S042\"", "\"store_id\":\"S077\""))
            .collect::<Vec<_>>(),
        None,
    );
    send(&kafka, &b, &other);
    wait_for("ship B's day complete", Duration::from_secs(90), || {
        complete(&mut c, "S077").is_some_and(|d| d.state == DayState::Complete)
    });

    // One instance stops; ship A replays three events; the other takes over and counts
    // them as duplicates, once.
    c1.stop();
    h1.join().unwrap().unwrap();
    send(&kafka, &a, &raws[..3]);
    wait_for("the replays counted", Duration::from_secs(90), || {
        complete(&mut c, "S042").is_some_and(|d| d.duplicates == 3)
    });
    // And a restarted instance starts where PostgreSQL says: nothing counted again.
    let (c3, h3) = start(&opts);
    std::thread::sleep(Duration::from_secs(5));
    c2.stop();
    h2.join().unwrap().unwrap();
    wait_for(
        "the restarted instance holds the partitions",
        Duration::from_secs(60),
        || c3.progress().assigned.len() >= 4,
    );
    std::thread::sleep(Duration::from_secs(3));
    c3.stop();
    let p3 = h3.join().unwrap().unwrap();
    assert_eq!(p3.applied.new, 0, "{p3:?}");
    let d = complete(&mut c, "S042").unwrap();
    assert_eq!(
        (d.state, d.events, d.duplicates),
        (DayState::Complete, 16, 3)
    );
    let events: i64 = c
        .query_one("SELECT count(*) FROM till_events", &[])
        .unwrap()
        .get(0);
    assert_eq!(events, 26);

    // Every status is on the compacted topic, the latest per key.
    let recs = read_all(&kafka, &[&out], Duration::from_secs(30)).unwrap();
    let mut last: BTreeMap<String, serde_json::Value> = BTreeMap::new();
    for r in recs {
        let v: serde_json::Value = serde_json::from_str(r.payload.as_deref().unwrap()).unwrap();
        last.insert(r.key.clone().unwrap(), v);
    }
    let key = format!("S042/T3/{}", d.business_date);
    assert_eq!(last[&key]["state"], "complete", "{last:#?}");
    assert_eq!(last[&key]["duplicates"], 3);
    assert_eq!(last[&key]["schema_version"], 1);
    assert!(last.contains_key(&format!("S077/T3/{}", d.business_date)));
}
