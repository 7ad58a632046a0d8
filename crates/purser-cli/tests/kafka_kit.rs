//! The edge Kafka kit in packaging/kafka: its scripts and MirrorMaker 2 configuration agree
//! with what the tills expect, without a broker (`security_e2e.rs` runs `acls.sh` and
//! `topics.sh` against Apache Kafka).

use std::path::{Path, PathBuf};
use std::process::Command;

use purser_stream::admin::{inbound_topic_specs, till_topic_specs};
use purser_stream::Topics;

fn kit() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../packaging/kafka")
}

fn dry_run(script: &str, args: &[&str]) -> Vec<String> {
    let out = Command::new("bash")
        .arg(kit().join(script))
        .args(args)
        .arg("--dry-run")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{script}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn topics_script_creates_what_purser_topics_ensure_creates() {
    let lines = dry_run(
        "topics.sh",
        &["--bootstrap", "kafka-1:9092", "--replication", "3"],
    );
    let topics = Topics::default();
    let mut specs = till_topic_specs(&topics, 3, 3);
    specs.extend(inbound_topic_specs(&topics, 3, 3));
    assert_eq!(lines.len(), specs.len());
    for spec in &specs {
        let line = lines
            .iter()
            .find(|l| l.contains(&format!("--topic {} ", spec.name)))
            .unwrap_or_else(|| panic!("no {} in {lines:#?}", spec.name));
        assert!(line.contains("--if-not-exists"), "{line}");
        assert!(line.contains("--replication-factor 3"), "{line}");
        for (k, v) in &spec.config {
            assert!(
                line.contains(&format!("--config {k}={v}")),
                "{} should have {k}={v}: {line}",
                spec.name
            );
        }
    }
    assert!(lines
        .iter()
        .filter(|l| l.contains("cleanup.policy=delete"))
        .all(|l| l.contains("min.insync.replicas=2")));
}

fn mm2() -> Vec<(String, String)> {
    std::fs::read_to_string(kit().join("mm2.properties"))
        .unwrap()
        .lines()
        .filter(|l| !l.trim_start().starts_with('#') && l.contains('='))
        .map(|l| {
            let (k, v) = l.split_once('=').unwrap();
            (k.trim().to_string(), v.trim().to_string())
        })
        .collect()
}

/// MirrorMaker 2 reads `topics` and `topics.exclude` as comma-separated lists of regexes;
/// a topic matches if any of them matches it whole.
struct Patterns(Vec<regex::Regex>);

impl Patterns {
    fn is_match(&self, topic: &str) -> bool {
        self.0.iter().any(|r| r.is_match(topic))
    }
}

fn pattern(props: &[(String, String)], key: &str) -> Patterns {
    let v = &props
        .iter()
        .find(|(k, _)| k == key)
        .unwrap_or_else(|| panic!("{key} missing"))
        .1;
    Patterns(
        v.split(',')
            .map(|p| regex::Regex::new(&format!("^(?:{})$", p.trim())).unwrap())
            .collect(),
    )
}

#[test]
fn mirror_maker_sends_each_topic_one_way_only() {
    let props = mm2();
    let t = Topics::default();
    let till = [&t.payments, &t.tills, &t.loyalty];
    let reference = [&t.catalog, &t.inventory, &t.loyalty_accounts];
    let up = pattern(&props, "edge->cloud.topics");
    let down = pattern(&props, "cloud->edge.topics");
    let down_exclude = pattern(&props, "cloud->edge.topics.exclude");
    for topic in till {
        assert!(up.is_match(topic), "{topic} must go edge -> cloud");
        assert!(!down.is_match(topic), "{topic} must not come back down");
    }
    for topic in reference {
        assert!(down.is_match(topic), "{topic} must come cloud -> edge");
        assert!(!up.is_match(topic), "{topic} must not go up");
    }
    // The store's events as they appear in the cloud are never copied back to a store.
    assert!(down_exclude.is_match("edge.pos.payments.v1"));
    assert!(down_exclude.is_match("ship-aurora.pos.payments.v1"));
    assert!(props
        .iter()
        .any(|(k, v)| k == "cloud->edge.replication.policy.class"
            && v.ends_with("IdentityReplicationPolicy")));
}

/// The topics one `kafka-acls.sh` line grants `op` on (every `--topic` of the line).
fn granted(lines: &[String], op: &str) -> Vec<String> {
    lines
        .iter()
        .filter(|l| l.contains(&format!("--operation {op} ")))
        .flat_map(|l| {
            l.split("--topic ")
                .skip(1)
                .map(|t| t.split_whitespace().next().unwrap_or_default().to_string())
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn acls_grant_a_till_only_what_it_needs() {
    let lines = dry_run(
        "acls.sh",
        &[
            "--bootstrap",
            "kafka-1:9094",
            "--principal",
            "User:till-S042-T3",
        ],
    );
    let t = Topics::default();
    let till = vec![t.payments.clone(), t.tills.clone(), t.loyalty.clone()];
    // The reference topics, and headquarters' reconciliation the manager's view reads.
    let reference = vec![
        t.catalog.clone(),
        t.inventory.clone(),
        t.loyalty_accounts.clone(),
        t.reconciliation.clone(),
    ];
    assert_eq!(granted(&lines, "Write"), till);
    assert_eq!(
        granted(&lines, "Read"),
        reference,
        "no reading of till topics"
    );
    let both: Vec<String> = till.iter().chain(&reference).cloned().collect();
    assert_eq!(granted(&lines, "Describe"), both);
    // `purser doctor` checks cleanup policies; the till reads delete.retention.ms.
    assert_eq!(granted(&lines, "DescribeConfigs"), both);
    // Kafka 3+ gives a producer id to a principal with Write on any topic (KIP-679); the
    // security end-to-end test proves it on Apache Kafka.
    assert!(!lines.iter().any(|l| l.contains("--cluster")), "{lines:?}");
    assert!(lines.iter().all(|l| l.contains("User:till-S042-T3")));
    assert!(
        !lines.iter().any(|l| l.contains("--group")),
        "tills need no consumer-group rights"
    );
}

#[test]
fn acls_store_view_adds_reading_the_till_topics_only() {
    let lines = dry_run(
        "acls.sh",
        &[
            "--bootstrap",
            "kafka-1:9094",
            "--principal",
            "User:till-S042-T3",
            "--store-view",
        ],
    );
    let t = Topics::default();
    assert_eq!(
        granted(&lines, "Read"),
        vec![
            t.catalog.clone(),
            t.inventory.clone(),
            t.loyalty_accounts.clone(),
            t.reconciliation.clone(),
            t.payments.clone(),
            t.tills.clone(),
            t.loyalty.clone()
        ]
    );
    assert_eq!(
        granted(&lines, "Write"),
        vec![t.payments.clone(), t.tills.clone(), t.loyalty.clone()]
    );
    assert!(!lines.iter().any(|l| l.contains("--group")));
}
