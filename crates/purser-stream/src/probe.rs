//! Is the cluster reachable, and does it know our topics?

use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, Consumer};

use crate::config::KafkaConfig;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClusterInfo {
    pub brokers: Vec<String>,
    /// (topic, partitions) for every topic asked about that exists.
    pub topics: Vec<(String, usize)>,
    pub missing_topics: Vec<String>,
}

/// Connects, authenticates and reads metadata within `timeout`.
pub fn probe(cfg: &KafkaConfig, topics: &[&str], timeout: Duration) -> Result<ClusterInfo, String> {
    cfg.validate().map_err(|e| e.to_string())?;
    let consumer: BaseConsumer<crate::context::QuietContext> = cfg
        .client_config()
        .set("allow.auto.create.topics", "false")
        .create_with_context(crate::context::QuietContext)
        .map_err(|e| format!("cannot create a Kafka client: {e}"))?;
    let md = consumer
        .fetch_metadata(None, timeout)
        .map_err(|e| format!("cannot reach Kafka at {}: {e}", cfg.bootstrap_servers))?;
    let brokers = md
        .brokers()
        .iter()
        .map(|b| format!("{}:{} (id {})", b.host(), b.port(), b.id()))
        .collect();
    let mut found = Vec::new();
    let mut missing = Vec::new();
    for t in topics {
        match md
            .topics()
            .iter()
            .find(|m| m.name() == *t && m.error().is_none())
        {
            Some(m) => found.push(((*t).to_string(), m.partitions().len())),
            None => missing.push((*t).to_string()),
        }
    }
    Ok(ClusterInfo {
        brokers,
        topics: found,
        missing_topics: missing,
    })
}
