//! Publishing reference data (catalog, stock, accounts) to the store's cluster: for the
//! demo, for tests, and for small stores without an ERP. Not the till's outbox: these are
//! headquarters' records, not the till's own events.

use std::time::Duration;

use rdkafka::producer::{BaseProducer, BaseRecord, Producer};

use crate::config::KafkaConfig;

/// Sends (key, value) records in order with the idempotent producer and waits until the
/// broker has them all. `None` as value is a tombstone.
pub fn publish(
    cfg: &KafkaConfig,
    topic: &str,
    records: &[(String, Option<Vec<u8>>)],
    timeout: Duration,
) -> Result<usize, String> {
    cfg.validate().map_err(|e| e.to_string())?;
    let producer: BaseProducer<crate::context::QuietContext> = cfg
        .client_config()
        .set("enable.idempotence", "true")
        .set("acks", "all")
        .set("partitioner", "murmur2_random")
        .set("linger.ms", "5")
        .set("message.timeout.ms", timeout.as_millis().to_string())
        .create_with_context(crate::context::QuietContext)
        .map_err(|e| format!("cannot create a Kafka producer: {e}"))?;
    for (key, value) in records {
        let mut rec: BaseRecord<'_, [u8], [u8]> = BaseRecord::to(topic).key(key.as_bytes());
        if let Some(v) = value {
            rec = rec.payload(v.as_slice());
        }
        loop {
            match producer.send(rec) {
                Ok(()) => break,
                Err((
                    rdkafka::error::KafkaError::MessageProduction(
                        rdkafka::types::RDKafkaErrorCode::QueueFull,
                    ),
                    back,
                )) => {
                    producer.poll(Duration::from_millis(10));
                    rec = back;
                }
                Err((e, _)) => return Err(format!("cannot send to {topic}: {e}")),
            }
        }
        producer.poll(Duration::ZERO);
    }
    producer.flush(timeout).map_err(|e| {
        format!("{topic}: not all records were acknowledged within {timeout:?}: {e}")
    })?;
    Ok(records.len())
}
