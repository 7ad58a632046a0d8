//! The loop both cloud services run: a Kafka consumer group over a topic pattern, each
//! batch applied to PostgreSQL together with the offsets it consumed, then published.
//!
//! - **Pattern subscription**: `^…` topics, with metadata refreshed every few seconds, so a
//!   new ship's `<alias>.pos.payments.v1` is picked up without a restart.
//! - **Several instances** share the partitions (one group id). On every assignment the
//!   partitions start from the offsets PostgreSQL holds for them; each batch locks its
//!   partitions' offset rows (`SELECT … FOR UPDATE`) and skips records below them, so a
//!   restarted, added or briefly doubled instance neither loses nor counts twice.
//!   Offsets are committed to Kafka too, after PostgreSQL, only as a hint for tools.
//! - **Publishing** is an outbox: a job marks what changed as unpublished in the batch's
//!   transaction and [`Job::publish`] sends and then marks it published, so a crash in
//!   between publishes it again (compacted topics keep the last copy).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use postgres::{Client, Transaction};
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext};
use rdkafka::message::Message;
use rdkafka::producer::{BaseProducer, BaseRecord, DeliveryResult, Producer, ProducerContext};
use rdkafka::types::RDKafkaRespErr;
use rdkafka::{ClientContext, Offset, TopicPartitionList};

use purser_stream::KafkaConfig;

use crate::db::{self, CloudError, Result};

/// One record as a job sees it.
#[derive(Clone, Debug)]
pub struct Record {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    pub key: Option<String>,
    pub value: Option<String>,
}

/// What a job did with one batch.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Applied {
    pub new: u64,
    pub duplicates: u64,
    pub conflicts: u64,
    pub unreadable: u64,
    /// Records not for this job (another stream's event type), offsets still advance.
    pub ignored: u64,
}

impl Applied {
    fn add(&mut self, o: &Applied) {
        self.new += o.new;
        self.duplicates += o.duplicates;
        self.conflicts += o.conflicts;
        self.unreadable += o.unreadable;
        self.ignored += o.ignored;
    }
}

/// The services' producer: counts records the cluster refused, so a publisher never marks
/// as published what did not arrive.
#[derive(Default)]
pub struct Deliveries {
    failed: std::sync::atomic::AtomicU64,
    last_error: Mutex<Option<String>>,
}

impl ClientContext for Deliveries {}

impl ProducerContext for Deliveries {
    type DeliveryOpaque = ();
    fn delivery(&self, result: &DeliveryResult<'_>, _: ()) {
        if let Err((e, _)) = result {
            self.failed.fetch_add(1, Ordering::SeqCst);
            *self.last_error.lock().unwrap_or_else(|p| p.into_inner()) = Some(e.to_string());
        }
    }
}

pub type Publisher = BaseProducer<Deliveries>;

/// A cloud service's work on its records.
pub trait Job {
    /// Its name in the `consumed` table and its default consumer group.
    fn service(&self) -> &'static str;
    /// Applies records whose offsets this service has not applied yet, inside `tx`.
    fn apply(&mut self, tx: &mut Transaction<'_>, records: &[Record]) -> Result<Applied>;
    /// Publishes what `apply` left unpublished; returns how many records went out.
    fn publish(&mut self, client: &mut Client, producer: &Publisher, topic: &str) -> Result<u64>;
}

/// How a service runs.
#[derive(Clone, Debug)]
pub struct ServiceOptions {
    pub kafka: KafkaConfig,
    /// Regular expression over topic names (anchored with `^` by the service).
    pub pattern: String,
    pub group: String,
    pub postgres: String,
    /// Where the results go (`pos.reconciliation.v1`, `pos.loyalty-accounts.v1`).
    pub output_topic: String,
    pub batch_max: usize,
    pub batch_wait: Duration,
    /// How often new topics matching the pattern are looked for.
    pub metadata_refresh: Duration,
    /// Ends the loop once nothing arrived for this long (benchmarks and one-shot runs).
    pub idle_exit: Option<Duration>,
}

impl ServiceOptions {
    pub fn new(kafka: KafkaConfig, postgres: &str, pattern: &str, group: &str, out: &str) -> Self {
        ServiceOptions {
            kafka,
            pattern: pattern.to_string(),
            group: group.to_string(),
            postgres: postgres.to_string(),
            output_topic: out.to_string(),
            // Large batches: the reconciler's cost is mostly per till and batch (a few
            // round trips each), so more events per till per batch is faster. A batch of
            // 100,000 events holds about 150 MB.
            batch_max: 100_000,
            batch_wait: Duration::from_secs(1),
            metadata_refresh: Duration::from_secs(5),
            idle_exit: None,
        }
    }
}

/// Totals of a run, and what it is doing now (shared with whoever watches it).
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Progress {
    pub records: u64,
    pub skipped: u64,
    pub applied: Applied,
    pub published: u64,
    pub batches: u64,
    pub assigned: Vec<(String, i32)>,
    pub last_error: Option<String>,
}

struct Ctx {
    pg: Mutex<Client>,
    service: &'static str,
    assigned: Mutex<Vec<(String, i32)>>,
}

impl ClientContext for Ctx {}

impl ConsumerContext for Ctx {
    fn rebalance(
        &self,
        consumer: &BaseConsumer<Self>,
        err: RDKafkaRespErr,
        tpl: &mut TopicPartitionList,
    ) {
        match err {
            RDKafkaRespErr::RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS => {
                let parts: Vec<(String, i32)> = tpl
                    .elements()
                    .iter()
                    .map(|e| (e.topic().to_string(), e.partition()))
                    .collect();
                // Start where PostgreSQL says; without a row, where Kafka's committed
                // offset (or the earliest record) says.
                let stored = {
                    let mut pg = self.pg.lock().unwrap_or_else(|p| p.into_inner());
                    db::stored_offsets(&mut pg, self.service, &parts)
                };
                match stored {
                    Ok(rows) => {
                        for (t, p, o) in rows {
                            let _ = tpl.set_partition_offset(&t, p, Offset::Offset(o));
                        }
                    }
                    Err(e) => tracing::warn!(
                        "could not read the stored offsets ({e}); records already applied are skipped"
                    ),
                }
                if let Err(e) = consumer.assign(tpl) {
                    tracing::error!("assigning partitions failed: {e}");
                }
                *self.assigned.lock().unwrap_or_else(|p| p.into_inner()) = parts;
            }
            _ => {
                if let Err(e) = consumer.unassign() {
                    tracing::error!("revoking partitions failed: {e}");
                }
                self.assigned
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .clear();
            }
        }
    }
}

/// A running service's handle: stop it, read its progress.
#[derive(Clone, Default)]
pub struct Control {
    stop: Arc<AtomicBool>,
    progress: Arc<Mutex<Progress>>,
}

impl Control {
    pub fn stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
    }
    pub fn stopped(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }
    pub fn progress(&self) -> Progress {
        self.progress
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
    /// The flag a signal handler sets.
    pub fn flag(&self) -> Arc<AtomicBool> {
        self.stop.clone()
    }
}

fn pattern_regex(p: &str) -> Result<String> {
    let anchored = if p.starts_with('^') {
        p.to_string()
    } else {
        format!("^{p}")
    };
    regex::Regex::new(&anchored)?;
    Ok(anchored)
}

/// Runs `job` until `control` is stopped (or idle for `idle_exit`).
pub fn run(job: &mut dyn Job, opts: &ServiceOptions, control: &Control) -> Result<Progress> {
    let pattern = pattern_regex(&opts.pattern)?;
    let mut pg = db::connect(&opts.postgres)?;
    db::migrate(&mut pg)?;
    let ctx = Ctx {
        pg: Mutex::new(db::connect(&opts.postgres)?),
        service: job.service(),
        assigned: Mutex::new(Vec::new()),
    };
    let mut cc = opts.kafka.client_config();
    cc.set("group.id", &opts.group)
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        .set("auto.offset.reset", "earliest")
        .set(
            "topic.metadata.refresh.interval.ms",
            opts.metadata_refresh.as_millis().to_string(),
        )
        .set("enable.partition.eof", "false");
    let consumer: BaseConsumer<Ctx> = cc.create_with_context(ctx)?;
    ensure_output(opts, &consumer)?;
    consumer.subscribe(&[pattern.as_str()])?;
    let mut pc = opts.kafka.client_config();
    pc.set("enable.idempotence", "true")
        .set("acks", "all")
        .set("linger.ms", "20");
    let producer: Publisher = pc.create_with_context(Deliveries::default())?;

    let mut progress = Progress::default();
    let mut idle_since = Instant::now();
    let mut pending: Vec<Record> = Vec::new();
    while !control.stopped() {
        if pending.is_empty() {
            pending = poll_batch(&consumer, opts);
        }
        if !pending.is_empty() {
            idle_since = Instant::now();
            match apply_batch(&mut pg, job, &pending) {
                Ok((applied, skipped, next)) => {
                    progress.records += pending.len() as u64;
                    progress.skipped += skipped;
                    progress.applied.add(&applied);
                    progress.batches += 1;
                    progress.last_error = None;
                    let mut tpl = TopicPartitionList::new();
                    for ((t, p), o) in &next {
                        let _ = tpl.add_partition_offset(t, *p, Offset::Offset(*o));
                    }
                    // A hint for tools; PostgreSQL holds the truth.
                    let _ = consumer.commit(&tpl, CommitMode::Async);
                    pending.clear();
                }
                Err(e) => {
                    tracing::warn!("batch not applied, retrying: {e}");
                    progress.last_error = Some(e.to_string());
                    std::thread::sleep(Duration::from_millis(500));
                    if pg.is_closed() {
                        if let Ok(c) = db::connect(&opts.postgres) {
                            pg = c;
                        }
                    }
                }
            }
        }
        match job.publish(&mut pg, &producer, &opts.output_topic) {
            Ok(n) => progress.published += n,
            Err(e) => {
                tracing::warn!("publishing to {} failed, retrying: {e}", opts.output_topic);
                progress.last_error = Some(e.to_string());
            }
        }
        progress.assigned = consumer
            .context()
            .assigned
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        *control.progress.lock().unwrap_or_else(|p| p.into_inner()) = progress.clone();
        if let Some(idle) = opts.idle_exit {
            if pending.is_empty() && idle_since.elapsed() >= idle {
                break;
            }
        }
    }
    let _ = producer.flush(Duration::from_secs(10));
    drop(consumer);
    Ok(progress)
}

/// Creates the compacted output topic if the cluster has none (replicated three times,
/// or on every broker of a smaller cluster).
fn ensure_output(opts: &ServiceOptions, consumer: &BaseConsumer<Ctx>) -> Result<()> {
    let md = consumer.fetch_metadata(Some(&opts.output_topic), Duration::from_secs(15))?;
    let exists = md.topics().iter().any(|t| {
        t.name() == opts.output_topic && t.error().is_none() && !t.partitions().is_empty()
    });
    if exists {
        return Ok(());
    }
    let brokers = md.brokers().len().max(1) as i32;
    purser_stream::admin::ensure_topics(
        &opts.kafka,
        &[purser_stream::admin::TopicSpec {
            name: opts.output_topic.clone(),
            partitions: 6,
            replication: brokers.min(3),
            config: vec![
                ("cleanup.policy".into(), "compact".into()),
                ("min.insync.replicas".into(), brokers.min(2).to_string()),
            ],
        }],
        Duration::from_secs(30),
    )
    .map_err(CloudError::Kafka)?;
    Ok(())
}

fn poll_batch(consumer: &BaseConsumer<Ctx>, opts: &ServiceOptions) -> Vec<Record> {
    let mut batch = Vec::new();
    let deadline = Instant::now() + opts.batch_wait;
    while batch.len() < opts.batch_max {
        let left = deadline.saturating_duration_since(Instant::now());
        match consumer.poll(left) {
            None => break,
            Some(Ok(m)) => batch.push(Record {
                topic: m.topic().to_string(),
                partition: m.partition(),
                offset: m.offset(),
                key: m.key().map(|k| String::from_utf8_lossy(k).into_owned()),
                value: m.payload().map(|v| String::from_utf8_lossy(v).into_owned()),
            }),
            Some(Err(e)) => {
                tracing::warn!("consumer: {e}");
                break;
            }
        }
        if left.is_zero() {
            break;
        }
    }
    batch
}

type NextOffsets = BTreeMap<(String, i32), i64>;

/// Applies one batch: offsets locked, records below them skipped, the rest given to the
/// job, offsets advanced, all in one transaction.
pub fn apply_batch(
    pg: &mut Client,
    job: &mut dyn Job,
    batch: &[Record],
) -> Result<(Applied, u64, NextOffsets)> {
    let mut tx = pg.transaction()?;
    let mut parts: NextOffsets = BTreeMap::new();
    for r in batch {
        let e = parts.entry((r.topic.clone(), r.partition)).or_insert(-1);
        *e = (*e).max(r.offset + 1);
    }
    let mut from = BTreeMap::new();
    for (t, p) in parts.keys() {
        from.insert(
            (t.clone(), *p),
            db::lock_offset(&mut tx, job.service(), t, *p)?,
        );
    }
    let fresh: Vec<Record> = batch
        .iter()
        .filter(|r| r.offset >= from[&(r.topic.clone(), r.partition)])
        .cloned()
        .collect();
    let skipped = (batch.len() - fresh.len()) as u64;
    let applied = if fresh.is_empty() {
        Applied::default()
    } else {
        job.apply(&mut tx, &fresh)?
    };
    for ((t, p), next) in &parts {
        db::advance_offset(&mut tx, job.service(), t, *p, *next)?;
    }
    tx.commit()?;
    Ok((applied, skipped, parts))
}

/// Sends `records` (key, value) and waits until the cluster has every one.
pub fn send_all(producer: &Publisher, topic: &str, records: &[(String, String)]) -> Result<()> {
    let failed_before = producer.context().failed.load(Ordering::SeqCst);
    for (k, v) in records {
        loop {
            match producer.send(BaseRecord::to(topic).key(k).payload(v)) {
                Ok(()) => break,
                Err((e, _))
                    if e.rdkafka_error_code()
                        == Some(rdkafka::types::RDKafkaErrorCode::QueueFull) =>
                {
                    producer.poll(Duration::from_millis(50));
                }
                Err((e, _)) => return Err(CloudError::Kafka(e.to_string())),
            }
        }
    }
    producer
        .flush(Duration::from_secs(30))
        .map_err(|e| CloudError::Kafka(format!("{topic} did not take the records: {e}")))?;
    if producer.context().failed.load(Ordering::SeqCst) != failed_before {
        let why = producer
            .context()
            .last_error
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .unwrap_or_default();
        return Err(CloudError::Kafka(format!("{topic} refused records: {why}")));
    }
    Ok(())
}
