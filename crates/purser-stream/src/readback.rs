//! Reads whole topics back (from the beginning to the high watermark), independent of any
//! consumer group: for tests, the demo and reconciliation. Committed records only; the
//! end is decided by the rule of `crate::ends` (transaction markers, deleted records).

use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Headers, Message};
use rdkafka::{Offset, TopicPartitionList};

use crate::config::KafkaConfig;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsumedRecord {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    pub key: Option<String>,
    pub payload: Option<String>,
    pub headers: Vec<(String, String)>,
}

/// Audits records read back (in arrival order) by the consumer rule: deduplicate on
/// `event_id`, find gaps and disorder by `till_seq`. A value that is not an event is an error.
pub fn audit(records: &[ConsumedRecord]) -> Result<purser_core::events::SequenceAudit, String> {
    let mut parsed = Vec::with_capacity(records.len());
    for r in records {
        let payload = r
            .payload
            .as_deref()
            .ok_or_else(|| format!("{}/{}@{} has no value", r.topic, r.partition, r.offset))?;
        let header: purser_core::events::EventHeader =
            serde_json::from_str(payload).map_err(|e| {
                format!(
                    "{}/{}@{} is not a Purser event: {e}",
                    r.topic, r.partition, r.offset
                )
            })?;
        parsed.push((format!("{}/{}", r.topic, r.partition), header, payload));
    }
    Ok(purser_core::events::audit_sequence(
        parsed.iter().map(|(k, h, p)| (k.as_str(), h, *p)),
    ))
}

pub fn read_all(
    cfg: &KafkaConfig,
    topics: &[&str],
    timeout: Duration,
) -> Result<Vec<ConsumedRecord>, String> {
    let consumer: BaseConsumer<crate::context::QuietContext> = cfg
        .client_config()
        .set("group.id", "purser-readback")
        .set("enable.auto.commit", "false")
        .set("isolation.level", "read_committed")
        .set("enable.partition.eof", "false")
        .create_with_context(crate::context::QuietContext)
        .map_err(|e| e.to_string())?;
    let deadline = Instant::now() + timeout;
    let mut assignment = TopicPartitionList::new();
    let mut remaining = crate::ends::Ends::default();
    for t in topics {
        let md = consumer
            .fetch_metadata(Some(t), timeout)
            .map_err(|e| format!("metadata for {t}: {e}"))?;
        let tm = md
            .topics()
            .first()
            .ok_or_else(|| format!("no metadata for {t}"))?;
        if let Some(err) = tm.error() {
            return Err(format!("topic {t}: {err:?}"));
        }
        for p in tm.partitions() {
            let (low, high) = consumer
                .fetch_watermarks(t, p.id(), timeout)
                .map_err(|e| format!("watermarks of {t}/{}: {e}", p.id()))?;
            if high > low {
                assignment
                    .add_partition_offset(t, p.id(), Offset::Beginning)
                    .map_err(|e| e.to_string())?;
            }
            remaining.want(t, p.id(), low, high);
        }
    }
    let mut out = Vec::new();
    if remaining.is_empty() {
        return Ok(out);
    }
    consumer.assign(&assignment).map_err(|e| e.to_string())?;
    while !remaining.is_empty() {
        if Instant::now() > deadline {
            return Err(format!(
                "timed out reading back; still waiting on {:?}",
                remaining.left()
            ));
        }
        let Some(msg) = consumer.poll(Duration::from_millis(200)) else {
            remaining.settle(&consumer);
            continue;
        };
        let m = msg.map_err(|e| e.to_string())?;
        let headers = m
            .headers()
            .map(|h| {
                h.iter()
                    .map(|x| {
                        (
                            x.key.to_string(),
                            x.value
                                .map(|v| String::from_utf8_lossy(v).into_owned())
                                .unwrap_or_default(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        out.push(ConsumedRecord {
            topic: m.topic().to_string(),
            partition: m.partition(),
            offset: m.offset(),
            key: m.key().map(|k| String::from_utf8_lossy(k).into_owned()),
            payload: m.payload().map(|p| String::from_utf8_lossy(p).into_owned()),
            headers,
        });
        remaining.delivered(m.topic(), m.partition(), m.offset());
    }
    Ok(out)
}
