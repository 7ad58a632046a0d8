//! The manager's consumer: every till's events of the store (`pos.payments.v1` and
//! `pos.tills.v1`) into the reporting store (`purser_store::ReportStore`).
//!
//! The same rules as the inbound streams: partitions are assigned explicitly; the consumed
//! offsets live in SQLite and are written in the same transaction as the events they
//! brought; a record that cannot be read is quarantined and consumption goes on. Events
//! are deduplicated on `event_id` by the store. These are delete-policy topics, so there
//! is nothing to rebuild: a first start reads from the beginning, and an offset the broker
//! no longer holds (retention moved on) restarts at the earliest one it does.
//!
//! A catch-up ends by the rule of `crate::ends` (a partition may end in transaction
//! markers no consumer receives, or have had all its records deleted), and reads
//! committed records only (`isolation.level=read_committed`): a copy of the store's
//! events written by a transactional producer (MirrorMaker 2 with exactly-once) counts
//! only once it is committed.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::{Offset, TopicPartitionList};
use serde::Serialize;

use purser_core::report::{decode_till_event, Decoded};
use purser_store::{ReportItem, ReportRecord, ReportStore, StoreError};

use crate::config::{KafkaConfig, Topics};
use crate::context::QuietContext;
use crate::ends::Ends;
use crate::inbound::InboundMode;

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("Kafka: {0}")]
    Kafka(String),
    #[error("not caught up after {0:?}: the store's cluster did not answer in time")]
    Timeout(Duration),
    /// The cluster's ACLs refuse this till reading the till topics.
    #[error("not authorised to read {topics} (TOPIC_AUTHORIZATION_FAILED): the manager's view reads every till's events; grant this till's principal Read on them with packaging/kafka/acls.sh --store-view")]
    NotAuthorised { topics: String },
}

impl From<rdkafka::error::KafkaError> for ReportError {
    fn from(e: rdkafka::error::KafkaError) -> ReportError {
        ReportError::Kafka(e.to_string())
    }
}

/// What the manager's window shows about the consumer.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ReportConsumerStatus {
    pub connected: bool,
    /// Records on the broker not yet applied (None while the broker cannot be asked).
    pub lag: Option<i64>,
    pub last_applied_at: Option<chrono::DateTime<Utc>>,
    pub last_error: Option<String>,
}

pub struct ReportConsumer {
    store: ReportStore,
    kafka: KafkaConfig,
    topics: Vec<String>,
    /// `pos.reconciliation.v1`: read when it exists, looked for again while it does not.
    hq_topic: String,
    hq_assigned: bool,
    store_id: String,
    timeout: Duration,
    status: Arc<Mutex<ReportConsumerStatus>>,
    changes: Option<mpsc::Sender<()>>,
}

impl std::fmt::Debug for ReportConsumer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReportConsumer")
            .field("topics", &self.topics)
            .finish()
    }
}

fn excerpt(v: Option<&[u8]>) -> Option<String> {
    v.map(|b| String::from_utf8_lossy(&b[..b.len().min(512)]).into_owned())
}

impl ReportConsumer {
    pub fn new(
        report_db: &Path,
        kafka: KafkaConfig,
        topics: &Topics,
        store_id: &str,
    ) -> Result<ReportConsumer, ReportError> {
        kafka
            .validate()
            .map_err(|e| ReportError::Kafka(e.to_string()))?;
        Ok(ReportConsumer {
            store: ReportStore::open(report_db)?,
            kafka,
            topics: vec![
                topics.payments.clone(),
                topics.tills.clone(),
                topics.loyalty.clone(),
            ],
            hq_topic: topics.reconciliation.clone(),
            hq_assigned: false,
            store_id: store_id.to_string(),
            timeout: Duration::from_secs(10),
            status: Arc::default(),
            changes: None,
        })
    }

    /// Each applied batch sends a signal here (the window's live figures).
    pub fn notify(&mut self, tx: mpsc::Sender<()>) {
        self.changes = Some(tx);
    }

    pub fn status(&self) -> Arc<Mutex<ReportConsumerStatus>> {
        self.status.clone()
    }

    fn set_status(&self, f: impl FnOnce(&mut ReportConsumerStatus)) {
        if let Ok(mut s) = self.status.lock() {
            f(&mut s);
        }
    }

    fn consumer(&self) -> Result<BaseConsumer<QuietContext>, ReportError> {
        Ok(self
            .kafka
            .client_config()
            // Needed by librdkafka to assign partitions; never joined, nothing committed.
            .set("group.id", format!("purser-report-{}", self.store_id))
            .set("enable.auto.commit", "false")
            .set("enable.auto.offset.store", "false")
            // Delete-policy topics: an offset retention has removed restarts at the
            // earliest the broker still holds.
            .set("auto.offset.reset", "earliest")
            .set("isolation.level", "read_committed")
            .set("enable.partition.eof", "false")
            .set("reconnect.backoff.max.ms", "2000")
            .set("fetch.wait.max.ms", "50")
            .set("fetch.error.backoff.ms", "100")
            .create_with_context(QuietContext)?)
    }

    /// Assigns every partition at its stored offset (the beginning when none); returns the
    /// partitions still to read to their high watermarks.
    fn assign(&mut self, c: &BaseConsumer<QuietContext>) -> Result<Ends, ReportError> {
        let mut tpl = TopicPartitionList::new();
        let mut targets = Ends::default();
        self.hq_assigned = false;
        let hq = (!self.hq_topic.is_empty()).then(|| self.hq_topic.clone());
        for topic in self.topics.iter().chain(hq.iter()) {
            let optional = Some(topic) == hq.as_ref();
            let md = c.fetch_metadata(Some(topic), self.timeout)?;
            let t = md
                .topics()
                .first()
                .ok_or_else(|| ReportError::Kafka(format!("no metadata for {topic}")))?;
            if optional {
                if t.error().is_some() || t.partitions().is_empty() {
                    // Not mirrored from the cloud yet (or not readable): nothing
                    // confirmed to show; looked for again later.
                    continue;
                }
                self.hq_assigned = true;
            }
            if let Some(e) = t.error() {
                if e == rdkafka::types::RDKafkaRespErr::RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED
                {
                    return Err(ReportError::NotAuthorised {
                        topics: topic.clone(),
                    });
                }
                return Err(ReportError::Kafka(format!(
                    "topic {topic}: {e:?} (run `purser topics ensure`)"
                )));
            }
            let stored = self.store.offsets(topic)?;
            for p in t.partitions() {
                let p = p.id();
                let next = stored.iter().find(|(sp, _)| *sp == p).map(|(_, o)| *o);
                let (low, high) = c.fetch_watermarks(topic, p, self.timeout)?;
                let from = match next {
                    Some(n) if n >= low && n <= high => Offset::Offset(n),
                    Some(n) => {
                        tracing::warn!(
                            topic,
                            partition = p,
                            next = n,
                            low,
                            high,
                            "stored offset is outside the topic: reading from the earliest held"
                        );
                        Offset::Beginning
                    }
                    None => Offset::Beginning,
                };
                tpl.add_partition_offset(topic, p, from)?;
                targets.want(topic, p, next.unwrap_or(low).max(low), high);
            }
        }
        c.assign(&tpl)?;
        Ok(targets)
    }

    fn decode(&self, m: &rdkafka::message::BorrowedMessage<'_>) -> ReportRecord {
        if m.topic() == self.hq_topic {
            return self.decode_hq(m);
        }
        let outcome = decode_till_event(m.key(), m.payload(), &self.store_id);
        ReportRecord {
            topic: m.topic().to_string(),
            partition: m.partition(),
            offset: m.offset(),
            key: m.key().map(|k| String::from_utf8_lossy(k).into_owned()),
            excerpt: if outcome.is_err() {
                excerpt(m.payload())
            } else {
                None
            },
            outcome: match outcome {
                Ok(Decoded::Event(event)) => Ok(ReportItem::Event {
                    raw: String::from_utf8_lossy(m.payload().unwrap_or_default()).into_owned(),
                    event,
                }),
                Ok(Decoded::OtherStore) => Ok(ReportItem::Skip),
                Err(reason) => Err(reason),
            },
        }
    }

    /// A `pos.reconciliation.v1` record: this store's days only.
    fn decode_hq(&self, m: &rdkafka::message::BorrowedMessage<'_>) -> ReportRecord {
        let key = m.key().map(|k| String::from_utf8_lossy(k).into_owned());
        let outcome = decode_hq_day(key.as_deref(), m.payload(), &self.store_id);
        ReportRecord {
            topic: m.topic().to_string(),
            partition: m.partition(),
            offset: m.offset(),
            excerpt: if outcome.is_err() {
                excerpt(m.payload())
            } else {
                None
            },
            key,
            outcome,
        }
    }

    fn lag(&self, c: &BaseConsumer<QuietContext>) -> Option<i64> {
        let mut total = 0;
        // Past the stored offset when the last offsets were transaction markers.
        let positions = crate::ends::positions(c);
        for topic in &self.topics {
            let stored = self.store.offsets(topic).ok()?;
            let md = c.fetch_metadata(Some(topic), Duration::from_secs(2)).ok()?;
            for p in md.topics().first()?.partitions() {
                let (low, high) = c
                    .fetch_watermarks(topic, p.id(), Duration::from_secs(2))
                    .ok()?;
                let next = stored
                    .iter()
                    .find(|(sp, _)| *sp == p.id())
                    .map(|(_, o)| *o)
                    .unwrap_or(low);
                let pos = positions
                    .get(&(topic.clone(), p.id()))
                    .copied()
                    .unwrap_or(0);
                total += (high - next.max(low).max(pos)).max(0);
            }
        }
        Some(total)
    }

    /// Consumes until stopped (`Forever`) or until every partition has reached the high
    /// watermark seen at the start (`CatchUp`). Returns the events applied.
    pub fn run(&mut self, stop: &AtomicBool, mode: InboundMode) -> Result<u64, ReportError> {
        let started = Instant::now();
        let c = self.consumer()?;
        let mut targets = match self.assign(&c) {
            Ok(t) => t,
            Err(e) => {
                self.set_status(|s| {
                    s.connected = false;
                    s.last_error = Some(e.to_string());
                });
                return Err(e);
            }
        };
        self.set_status(|s| {
            s.connected = true;
            s.last_error = None;
        });
        let mut total = 0u64;
        let mut last_lag = Instant::now() - Duration::from_secs(10);
        let mut last_hq_look = Instant::now();
        loop {
            if stop.load(Ordering::Relaxed) {
                return Ok(total);
            }
            if matches!(mode, InboundMode::Forever)
                && !self.hq_assigned
                && last_hq_look.elapsed() > Duration::from_secs(15)
            {
                // The cloud's reconciliation may have been mirrored meanwhile: assign
                // again, every partition from its stored offset.
                last_hq_look = Instant::now();
                if let Err(e) = self.assign(&c) {
                    tracing::debug!("report consumer: looking for the reconciliation topic: {e}");
                }
            }
            if let InboundMode::CatchUp { deadline } = mode {
                if targets.is_empty() {
                    self.set_status(|s| s.lag = Some(0));
                    return Ok(total);
                }
                if started.elapsed() > deadline {
                    tracing::warn!(left = ?targets.left(), "catch-up not finished by its deadline");
                    return Err(ReportError::Timeout(deadline));
                }
            }
            let mut batch = Vec::new();
            let window = Instant::now();
            // The first record waits up to 100 ms; then the batch fills for at most 20 ms,
            // so a single sale is applied within a poll or two.
            while batch.len() < 5_000 && window.elapsed() < Duration::from_millis(20) {
                match c.poll(Duration::from_millis(if batch.is_empty() {
                    100
                } else {
                    5
                })) {
                    None if batch.is_empty() => break,
                    None => {}
                    Some(Ok(m)) => {
                        targets.delivered(m.topic(), m.partition(), m.offset());
                        batch.push(self.decode(&m));
                    }
                    Some(Err(e)) => {
                        tracing::debug!("report consumer: {e}");
                        if e.rdkafka_error_code()
                            == Some(rdkafka::types::RDKafkaErrorCode::TopicAuthorizationFailed)
                        {
                            // Refused fetches are retried by librdkafka: a grant takes
                            // effect by itself; a catch-up says so at once.
                            let refused = ReportError::NotAuthorised {
                                topics: self.topics.join(", "),
                            };
                            self.set_status(|s| s.last_error = Some(refused.to_string()));
                            if let InboundMode::CatchUp { .. } = mode {
                                return Err(refused);
                            }
                        }
                        break;
                    }
                }
            }
            if matches!(mode, InboundMode::CatchUp { .. }) {
                // Markers and deleted ranges deliver nothing: ask the position.
                targets.settle(&c);
            }
            if !batch.is_empty() {
                let applied = self.store.apply(&batch, Utc::now())?;
                total += applied.applied;
                self.set_status(|s| {
                    s.last_applied_at = Some(Utc::now());
                    s.connected = true;
                    s.last_error = None;
                });
                if let Some(tx) = &self.changes {
                    let _ = tx.send(());
                }
            }
            if last_lag.elapsed() > Duration::from_secs(2) {
                let lag = self.lag(&c);
                self.set_status(|s| {
                    s.connected = lag.is_some();
                    s.lag = lag;
                });
                last_lag = Instant::now();
            }
        }
    }
}

/// Decodes a `pos.reconciliation.v1` record (key `<store>/<till>/<date>`) for `store_id`.
pub fn decode_hq_day(
    key: Option<&str>,
    value: Option<&[u8]>,
    store_id: &str,
) -> Result<ReportItem, String> {
    let key = key.ok_or("record has no key")?;
    let mut parts = key.splitn(3, '/');
    let (Some(store), Some(till), Some(date)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(format!("key '{key}' is not <store>/<till>/<date>"));
    };
    if store != store_id {
        return Ok(ReportItem::Skip);
    }
    let business_date: chrono::NaiveDate = date
        .parse()
        .map_err(|_| format!("key '{key}' has no date after its till"))?;
    let Some(value) = value else {
        return Ok(ReportItem::HqDayRemoved {
            till_id: till.to_string(),
            business_date,
        });
    };
    let rec: purser_core::reconciliation::ReconciliationRecord =
        serde_json::from_slice(value).map_err(|e| format!("not a reconciliation record: {e}"))?;
    if rec.schema_version != 1 {
        return Err(format!(
            "reconciliation record schema version {} is not supported (this version reads 1)",
            rec.schema_version
        ));
    }
    if rec.day.store_id != store
        || rec.day.till_id != till
        || rec.day.business_date != business_date
    {
        return Err(format!(
            "key '{key}' does not match the record's store, till and date"
        ));
    }
    Ok(ReportItem::HqDay(Box::new(rec)))
}
