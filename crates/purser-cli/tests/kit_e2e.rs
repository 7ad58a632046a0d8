//! The edge kit run for real: Apache Kafka started from `packaging/kafka/kraft/*` (by
//! `purser_testkit`), the kit's `topics.sh` run with Kafka's own admin tool against it, and
//! a till's `purser doctor` agreeing with what it created.

mod common;

use std::time::Duration;

use purser_stream::admin::{inbound_topic_specs, till_topic_specs, topic_configs};
use purser_stream::{KafkaConfig, Topics};
use purser_testkit::kafka::KafkaCluster;
use rdkafka::consumer::{BaseConsumer, Consumer};

#[test]
fn topics_sh_creates_the_store_topics_on_apache_kafka_as_purser_expects() {
    let cluster = KafkaCluster::single();
    let out = cluster.run_topics_sh();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Created topic pos.payments.v1"), "{text}");
    // Idempotent: a second run creates nothing and fails on nothing.
    let again = cluster.run_topics_sh();
    assert!(
        !String::from_utf8_lossy(&again.stdout).contains("Created topic"),
        "{}",
        String::from_utf8_lossy(&again.stdout)
    );

    let kafka = KafkaConfig {
        bootstrap_servers: cluster.bootstrap(),
        ..Default::default()
    };
    let topics = Topics::default();
    let mut specs = till_topic_specs(&topics, 3, 1);
    specs.extend(inbound_topic_specs(&topics, 3, 1));
    let names: Vec<&str> = specs.iter().map(|s| s.name.as_str()).collect();
    let configs = topic_configs(&kafka, &names, Duration::from_secs(20)).unwrap();
    let consumer: BaseConsumer = cluster.admin_client().config().create().unwrap();
    for spec in &specs {
        let (_, cfg) = configs.iter().find(|(t, _)| t == &spec.name).unwrap();
        let cfg = cfg
            .as_ref()
            .unwrap_or_else(|e| panic!("{}: {e}", spec.name));
        for (k, v) in &spec.config {
            assert_eq!(
                cfg.get(k),
                Some(v),
                "{}: {k} on the broker, as `purser topics ensure` would set it",
                spec.name
            );
        }
        let md = consumer
            .fetch_metadata(Some(&spec.name), Duration::from_secs(10))
            .unwrap();
        assert_eq!(md.topics()[0].partitions().len(), 3, "{}", spec.name);
    }

    // A till on this cluster: doctor finds every topic with its policy.
    let t = common::TestTill::new(&cluster.bootstrap());
    let checks = t.json(&["doctor", "--timeout", "20"]);
    let checks = checks.as_array().expect("doctor lists its checks");
    let failed: Vec<_> = checks.iter().filter(|c| c["verdict"] == "fail").collect();
    assert!(failed.is_empty(), "doctor on a kit cluster: {failed:#?}");
    let topics_check = checks
        .iter()
        .find(|c| c["name"].as_str().is_some_and(|n| n.contains("topic")))
        .unwrap_or_else(|| panic!("no topics check in {checks:#?}"));
    assert_eq!(topics_check["verdict"], "pass", "{topics_check}");
}
