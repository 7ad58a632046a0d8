//! The replicated till topics of a cloud cluster, read once to their ends.

use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, Consumer};
use regex::Regex;

use purser_stream::readback::read_all;
use purser_stream::KafkaConfig;

use crate::reconcile::{Reconciler, Taken};

/// The till topics MirrorMaker 2 names `<alias>.pos.<stream>.v1` in the cloud; the edge's
/// own `pos.<stream>.v1` too, so the same program reconciles a store's cluster.
pub const TILL_TOPICS: &str = r"^([A-Za-z0-9_-]+\.)?pos\.(payments|tills|loyalty)\.v1$";

#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("the topic pattern is not a regular expression: {0}")]
    Pattern(#[from] regex::Error),
    #[error("Kafka: {0}")]
    Kafka(String),
}

/// What one pass over the topics found.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Pass {
    pub topics: Vec<String>,
    pub records: u64,
    pub new: u64,
    pub duplicates: u64,
    pub conflicts: u64,
    /// Records that are no readable Purser event (topic, partition, offset, why).
    pub unreadable: Vec<(String, i32, i64, String)>,
}

/// The cluster's topics that match `pattern`, sorted.
pub fn matching_topics(kafka: &KafkaConfig, pattern: &str) -> Result<Vec<String>, SourceError> {
    let re = Regex::new(pattern)?;
    let c: BaseConsumer = kafka
        .client_config()
        .create()
        .map_err(|e| SourceError::Kafka(e.to_string()))?;
    let md = c
        .fetch_metadata(None, Duration::from_secs(10))
        .map_err(|e| SourceError::Kafka(e.to_string()))?;
    let mut topics: Vec<String> = md
        .topics()
        .iter()
        .map(|t| t.name().to_string())
        .filter(|t| re.is_match(t))
        .collect();
    topics.sort();
    Ok(topics)
}

/// Reads every record of the matching topics into `r`.
pub fn read_into(
    kafka: &KafkaConfig,
    pattern: &str,
    r: &mut Reconciler,
    timeout: Duration,
) -> Result<Pass, SourceError> {
    let topics = matching_topics(kafka, pattern)?;
    let mut pass = Pass {
        topics: topics.clone(),
        ..Pass::default()
    };
    if topics.is_empty() {
        return Ok(pass);
    }
    let names: Vec<&str> = topics.iter().map(String::as_str).collect();
    let records = read_all(kafka, &names, timeout).map_err(SourceError::Kafka)?;
    for rec in records {
        pass.records += 1;
        let Some(value) = rec.payload.as_deref() else {
            pass.unreadable
                .push((rec.topic, rec.partition, rec.offset, "no value".into()));
            continue;
        };
        match r.take(value) {
            Ok(Taken::New) => pass.new += 1,
            Ok(Taken::Duplicate) => pass.duplicates += 1,
            Ok(Taken::Conflict(_)) => pass.conflicts += 1,
            Err(why) => pass
                .unreadable
                .push((rec.topic, rec.partition, rec.offset, why)),
        }
    }
    Ok(pass)
}
