//! Topic administration: create the till topics with their policies when missing.

use std::time::Duration;

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::types::RDKafkaErrorCode;

use crate::config::KafkaConfig;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TopicSpec {
    pub name: String,
    pub partitions: i32,
    pub replication: i32,
    /// e.g. ("cleanup.policy", "compact")
    pub config: Vec<(String, String)>,
}

/// Creates each topic that does not exist yet; existing topics are left as they are.
/// Returns the names it created, once every partition of each has a leader: Apache Kafka
/// answers CreateTopics before the new partitions' leaders are known everywhere, and a
/// client that asks at once is told "not leader for partition".
pub fn ensure_topics(
    cfg: &KafkaConfig,
    topics: &[TopicSpec],
    timeout: Duration,
) -> Result<Vec<String>, String> {
    let admin: AdminClient<crate::context::QuietContext> = cfg
        .client_config()
        .create_with_context(crate::context::QuietContext)
        .map_err(|e| e.to_string())?;
    let new: Vec<NewTopic<'_>> = topics
        .iter()
        .map(|t| {
            let mut n = NewTopic::new(
                &t.name,
                t.partitions,
                TopicReplication::Fixed(t.replication),
            );
            for (k, v) in &t.config {
                n = n.set(k, v);
            }
            n
        })
        .collect();
    let opts = AdminOptions::new()
        .operation_timeout(Some(timeout))
        .request_timeout(Some(timeout));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let results = rt
        .block_on(admin.create_topics(new.iter(), &opts))
        .map_err(|e| format!("cannot create topics: {e}"))?;
    let mut created = Vec::new();
    for r in results {
        match r {
            Ok(name) => created.push(name),
            Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((name, code)) => return Err(format!("cannot create topic {name}: {code}")),
        }
    }
    if !created.is_empty() {
        wait_for_leaders(cfg, &created, timeout)?;
    }
    Ok(created)
}

/// Waits (at most `timeout`) until every partition of `topics` has a leader that answers
/// for it (the metadata names a leader a moment before that leader serves offsets).
fn wait_for_leaders(cfg: &KafkaConfig, topics: &[String], timeout: Duration) -> Result<(), String> {
    use rdkafka::consumer::{BaseConsumer, Consumer};
    let c: BaseConsumer<crate::context::QuietContext> = cfg
        .client_config()
        .create_with_context(crate::context::QuietContext)
        .map_err(|e| e.to_string())?;
    let deadline = std::time::Instant::now() + timeout;
    for topic in topics {
        loop {
            let ready = c
                .fetch_metadata(Some(topic), Duration::from_secs(2))
                .ok()
                .and_then(|md| {
                    let t = md.topics().first()?;
                    Some(
                        t.error().is_none()
                            && !t.partitions().is_empty()
                            && t.partitions().iter().all(|p| {
                                p.error().is_none()
                                    && p.leader() >= 0
                                    && c.fetch_watermarks(topic, p.id(), Duration::from_secs(2))
                                        .is_ok()
                            }),
                    )
                })
                .unwrap_or(false);
            if ready {
                break;
            }
            if std::time::Instant::now() >= deadline {
                return Err(format!(
                    "topic {topic} was created but its partitions have no leader after {timeout:?}"
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    Ok(())
}

/// The till's outgoing topics with the brief's defaults (delete policy, long retention).
pub fn till_topic_specs(
    topics: &crate::config::Topics,
    partitions: i32,
    replication: i32,
) -> Vec<TopicSpec> {
    let delete = |name: &str, retention_days: i64| TopicSpec {
        name: name.to_string(),
        partitions,
        replication,
        config: vec![
            ("cleanup.policy".into(), "delete".into()),
            (
                "retention.ms".into(),
                (retention_days * 86_400_000).to_string(),
            ),
        ],
    };
    vec![
        delete(&topics.payments, 400),
        delete(&topics.tills, 90),
        delete(&topics.loyalty, 400),
    ]
}

/// Every topic of a store: the tills' event topics and the reference topics.
pub fn store_topic_specs(
    topics: &crate::config::Topics,
    partitions: i32,
    replication: i32,
) -> Vec<TopicSpec> {
    let mut specs = till_topic_specs(topics, partitions, replication);
    specs.extend(inbound_topic_specs(topics, partitions, replication));
    specs
}

/// The reference topics the till reads: compacted, tombstones kept for a day (a till away
/// longer rebuilds its views from the start; see `inbound`).
pub fn inbound_topic_specs(
    topics: &crate::config::Topics,
    partitions: i32,
    replication: i32,
) -> Vec<TopicSpec> {
    [
        &topics.catalog,
        &topics.inventory,
        &topics.loyalty_accounts,
        &topics.reconciliation,
    ]
    .iter()
    .map(|name| TopicSpec {
        name: (*name).clone(),
        partitions,
        replication,
        config: vec![
            ("cleanup.policy".into(), "compact".into()),
            ("delete.retention.ms".into(), "86400000".into()),
            ("min.compaction.lag.ms".into(), "3600000".into()),
        ],
    })
    .collect()
}

/// Each topic's settings (name → value), or why the broker would not describe it.
pub type TopicConfigs = Vec<(
    String,
    Result<std::collections::BTreeMap<String, String>, String>,
)>;

/// The broker's configuration of each topic.
pub fn topic_configs(
    cfg: &KafkaConfig,
    topics: &[&str],
    timeout: Duration,
) -> Result<TopicConfigs, String> {
    use rdkafka::admin::{OwnedResourceSpecifier, ResourceSpecifier};
    let admin: AdminClient<crate::context::QuietContext> = cfg
        .client_config()
        .create_with_context(crate::context::QuietContext)
        .map_err(|e| e.to_string())?;
    let specs: Vec<ResourceSpecifier<'_>> =
        topics.iter().map(|t| ResourceSpecifier::Topic(t)).collect();
    let opts = AdminOptions::new().request_timeout(Some(timeout));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let results = rt
        .block_on(admin.describe_configs(specs.iter(), &opts))
        .map_err(|e| format!("cannot describe topics: {e}"))?;
    // rdkafka drops each resource's own error: a topic the broker would not describe
    // comes back with no entries at all (a described topic has dozens, defaults included).
    // Results are matched by name, not by position.
    let mut described: TopicConfigs = Vec::new();
    for r in results {
        match r {
            Ok(res) => {
                let name = match &res.specifier {
                    OwnedResourceSpecifier::Topic(t) => t.clone(),
                    _ => continue,
                };
                let entries: std::collections::BTreeMap<String, String> = res
                    .entries
                    .into_iter()
                    .filter_map(|e| e.value.map(|v| (e.name, v)))
                    .collect();
                let r = if entries.is_empty() {
                    Err(NOT_DESCRIBED.to_string())
                } else {
                    Ok(entries)
                };
                described.push((name, r));
            }
            Err(code) => described.push((String::new(), Err(code.to_string()))),
        }
    }
    Ok(topics
        .iter()
        .map(|t| {
            let r = described
                .iter()
                .find(|(n, _)| n == t)
                .map(|(_, r)| r.clone())
                .unwrap_or_else(|| Err(NOT_DESCRIBED.to_string()));
            ((*t).to_string(), r)
        })
        .collect())
}

/// Why a topic's configuration is unknown when the broker answered without it.
pub const NOT_DESCRIBED: &str = "the broker did not describe it: not authorised (DescribeConfigs on the topic is missing from this till's ACLs; packaging/kafka/acls.sh grants it)";
