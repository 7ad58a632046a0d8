//! Streams in: the catalog, inventory and loyalty-account topics, read into the till's
//! SQLite views.
//!
//! * Partitions are assigned explicitly; the consumed offsets live in SQLite and are
//!   written in the same transaction as the rows they produced (exactly-once
//!   application; no consumer group commits).
//! * A first load, an out-of-range stored offset (`auto.offset.reset=error`), or a till
//!   that has been away longer than the topic's `delete.retention.ms` (read from the
//!   broker; `rebuild_after` when the broker cannot say), so deletions may have been
//!   compacted away, rebuilds the view from the start of the
//!   topic: everything up to the high watermark is read first, then swapped in with one
//!   transaction, so a half-built view is never served.
//! * A record that cannot be decoded is quarantined with its reason; consumption goes on.
//! * "Read to the high watermark" (a rebuild, a catch-up run) ends by the rule of
//!   `crate::ends`: the last offset of a partition may be a transaction marker no consumer
//!   receives, or records may have been deleted (low == high > 0), so the consumer's
//!   position and the log start count, not only the records delivered. Aborted
//!   transactions are never applied (`isolation.level=read_committed`).
//! * Every loop has a deadline in catch-up mode and honours `stop` in both modes.

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{BorrowedMessage, Message};
use rdkafka::{Offset, TopicPartitionList};
use serde::Serialize;

use purser_core::inbound::{decode, InboundKind};
use purser_store::{Consumed, Store, StoreError};

use crate::config::{KafkaConfig, Topics};
use crate::context::QuietContext;
use crate::ends::Ends;

#[derive(Clone, Debug)]
pub struct InboundOptions {
    /// Records applied per SQLite transaction at most.
    pub batch: usize,
    /// A till away longer than this rebuilds its views (Kafka's default
    /// `delete.retention.ms` is 24 hours).
    pub rebuild_after: chrono::Duration,
    /// How long to wait for metadata and watermarks.
    pub timeout: Duration,
    /// How often a running consumer asks whether partitions were added to its topics.
    pub layout_check: Duration,
}

impl Default for InboundOptions {
    fn default() -> InboundOptions {
        InboundOptions {
            batch: 20_000,
            rebuild_after: chrono::Duration::hours(24),
            timeout: Duration::from_secs(10),
            layout_check: Duration::from_secs(60),
        }
    }
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct TopicStatus {
    pub topic: String,
    pub kind: String,
    pub applied: u64,
    pub quarantined: u64,
    pub rebuilds: u64,
    /// Records on the broker not yet applied (None while the broker cannot be asked).
    pub lag: Option<i64>,
    pub last_applied_at: Option<chrono::DateTime<Utc>>,
}

#[derive(Debug, thiserror::Error)]
pub enum InboundError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("Kafka: {0}")]
    Kafka(String),
    #[error("not caught up after {0:?}: the store's cluster did not answer in time")]
    Timeout(Duration),
    /// The cluster's ACLs refuse this till reading a reference topic.
    #[error("not authorised to read {topic} (TOPIC_AUTHORIZATION_FAILED): grant this till's principal Read on the reference topics with packaging/kafka/acls.sh")]
    NotAuthorised { topic: String },
}

/// A consumer error that says nothing about the records: the consumer-group coordinator
/// refused (tills have no group rights and use none; librdkafka asks anyway).
fn is_group_noise(e: &KafkaError) -> bool {
    e.rdkafka_error_code() == Some(RDKafkaErrorCode::GroupAuthorizationFailed)
}

fn refused(e: &KafkaError) -> bool {
    e.rdkafka_error_code() == Some(RDKafkaErrorCode::TopicAuthorizationFailed)
}

impl From<KafkaError> for InboundError {
    fn from(e: KafkaError) -> InboundError {
        InboundError::Kafka(e.to_string())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InboundMode {
    Forever,
    /// Return once every partition has reached the high watermark seen at start.
    CatchUp {
        deadline: Duration,
    },
}

pub struct InboundConsumer {
    store: Store,
    kafka: KafkaConfig,
    topics: Vec<(InboundKind, String)>,
    store_id: String,
    currency: String,
    opts: InboundOptions,
    status: Arc<Mutex<Vec<TopicStatus>>>,
    changes: Option<mpsc::Sender<InboundKind>>,
    /// Each topic's tombstone retention as the broker reported it (asked once).
    retention: Mutex<Retention>,
    /// The question, asked in the background from the moment the consumer is made (a
    /// broker that cannot answer, like the mock cluster, takes its whole timeout).
    retention_job: Mutex<Option<std::thread::JoinHandle<Retention>>>,
}

impl std::fmt::Debug for InboundConsumer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InboundConsumer")
            .field("topics", &self.topics)
            .finish()
    }
}

fn excerpt(v: Option<&[u8]>) -> Option<String> {
    v.map(|b| String::from_utf8_lossy(&b[..b.len().min(512)]).into_owned())
}

impl InboundConsumer {
    pub fn new(
        db: &Path,
        kafka: KafkaConfig,
        topics: &Topics,
        store_id: &str,
        currency: &str,
        opts: InboundOptions,
    ) -> Result<InboundConsumer, InboundError> {
        kafka
            .validate()
            .map_err(|e| InboundError::Kafka(e.to_string()))?;
        let kafka_for_job = kafka.clone();
        let names = vec![
            topics.catalog.clone(),
            topics.inventory.clone(),
            topics.loyalty_accounts.clone(),
        ];
        Ok(InboundConsumer {
            store: Store::open_for_relay(db)?,
            kafka,
            topics: vec![
                (InboundKind::Catalog, topics.catalog.clone()),
                (InboundKind::Inventory, topics.inventory.clone()),
                (
                    InboundKind::LoyaltyAccounts,
                    topics.loyalty_accounts.clone(),
                ),
            ],
            store_id: store_id.to_string(),
            currency: currency.to_string(),
            opts,
            status: Arc::default(),
            changes: None,
            retention: Mutex::default(),
            retention_job: Mutex::new(Some(ask_retention(&kafka_for_job, names))),
        })
    }

    /// Each applied batch sends its kind here (for live updates of a window).
    pub fn notify(&mut self, tx: mpsc::Sender<InboundKind>) {
        self.changes = Some(tx);
    }

    pub fn status(&self) -> Arc<Mutex<Vec<TopicStatus>>> {
        self.status.clone()
    }

    fn consumer(&self) -> Result<BaseConsumer<QuietContext>, InboundError> {
        Ok(self
            .kafka
            .client_config()
            // librdkafka needs a group id to assign partitions; the group is never joined and
            // nothing is committed to it.
            .set("group.id", format!("purser-till-{}", self.store_id))
            .set("enable.auto.commit", "false")
            .set("enable.auto.offset.store", "false")
            .set("auto.offset.reset", "error")
            // Records of aborted transactions are never applied (librdkafka's default,
            // stated because the views depend on it).
            .set("isolation.level", "read_committed")
            .set("enable.partition.eof", "false")
            .set("reconnect.backoff.max.ms", "2000")
            // Short long-polls: live changes arrive sooner, and the lag queries that
            // share the connection are not held behind a waiting fetch.
            .set("fetch.wait.max.ms", "100")
            .create_with_context(QuietContext)?)
    }

    fn partitions(
        &self,
        c: &BaseConsumer<QuietContext>,
        topic: &str,
    ) -> Result<Vec<i32>, InboundError> {
        let md = c.fetch_metadata(Some(topic), self.opts.timeout)?;
        let t = md
            .topics()
            .first()
            .ok_or_else(|| InboundError::Kafka(format!("no metadata for {topic}")))?;
        if let Some(e) = t.error() {
            if e == rdkafka::types::RDKafkaRespErr::RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED {
                return Err(InboundError::NotAuthorised {
                    topic: topic.to_string(),
                });
            }
            return Err(InboundError::Kafka(format!(
                "topic {topic}: {e:?} (run `purser topics ensure`)"
            )));
        }
        Ok(t.partitions().iter().map(|p| p.id()).collect())
    }

    fn decode(&self, kind: InboundKind, m: &BorrowedMessage<'_>) -> Consumed {
        let outcome = decode(kind, m.key(), m.payload(), &self.store_id, &self.currency);
        Consumed {
            partition: m.partition(),
            offset: m.offset(),
            key: m.key().map(|k| String::from_utf8_lossy(k).into_owned()),
            excerpt: if outcome.is_err() {
                excerpt(m.payload())
            } else {
                None
            },
            outcome,
        }
    }

    /// Reads a whole topic up to its high watermarks and swaps it in as the new view.
    /// `None` when `stop` was set first (nothing is swapped in); a timeout names `budget`.
    fn rebuild(
        &mut self,
        kind: InboundKind,
        topic: &str,
        stop: &AtomicBool,
        deadline: Instant,
        budget: Duration,
    ) -> Result<Option<u64>, InboundError> {
        let started = Instant::now();
        let (records, ends) = loop {
            match self.read_topic(kind, topic, stop, deadline, budget)? {
                Read::Done(records, ends) => break (records, ends),
                Read::Stopped => return Ok(None),
                // Records were deleted under the read (the log start passed its position):
                // read again from the new start.
                Read::Moved => {
                    tracing::info!(topic, "log start moved during a rebuild: reading again")
                }
            }
        };
        tracing::debug!(
            topic,
            records = records.len(),
            ms = started.elapsed().as_millis() as u64,
            "topic read for rebuild"
        );
        let applied = self
            .store
            .rebuild_inbound(kind, topic, &records, &ends, Utc::now())?;
        tracing::info!(
            topic,
            records = records.len(),
            quarantined = applied.quarantined,
            "view rebuilt from the start of the topic"
        );
        if let Some(tx) = &self.changes {
            let _ = tx.send(kind);
        }
        Ok(Some(applied.applied))
    }

    /// One read of a whole topic, from each partition's log start to its high watermark.
    fn read_topic(
        &self,
        kind: InboundKind,
        topic: &str,
        stop: &AtomicBool,
        deadline: Instant,
        budget: Duration,
    ) -> Result<Read, InboundError> {
        // A consumer of its own, assigned once: librdkafka asserts when an assignment is
        // replaced before all of its partitions have started, so rebuilds never re-point
        // a consumer.
        let consumer = self.consumer()?;
        let c = &consumer;
        let mut ends = Vec::new();
        let mut want = Ends::default();
        let mut tpl = TopicPartitionList::new();
        for p in self.partitions(c, topic)? {
            let (low, high) = c.fetch_watermarks(topic, p, self.opts.timeout)?;
            ends.push((p, high));
            if high > low {
                tpl.add_partition_offset(topic, p, Offset::Beginning)?;
            }
            want.want(topic, p, low, high);
        }
        let mut records = Vec::new();
        if tpl.count() > 0 {
            c.assign(&tpl)?;
        }
        while !want.is_empty() {
            if stop.load(Ordering::Relaxed) {
                return Ok(Read::Stopped);
            }
            if Instant::now() > deadline {
                tracing::warn!(topic, left = ?want.left(), "rebuild not finished by its deadline");
                return Err(InboundError::Timeout(budget));
            }
            match c.poll(Duration::from_millis(200)) {
                None => want.settle(c),
                Some(Ok(m)) => {
                    records.push(self.decode(kind, &m));
                    want.delivered(topic, m.partition(), m.offset());
                }
                Some(Err(KafkaError::MessageConsumption(
                    RDKafkaErrorCode::AutoOffsetReset | RDKafkaErrorCode::OffsetOutOfRange,
                ))) => return Ok(Read::Moved),
                Some(Err(e)) if is_group_noise(&e) => want.settle(c),
                Some(Err(e)) if refused(&e) => {
                    return Err(InboundError::NotAuthorised {
                        topic: topic.to_string(),
                    })
                }
                Some(Err(e)) => return Err(e.into()),
            }
        }
        Ok(Read::Done(records, ends))
    }

    /// A first load, a till away longer than tombstones are kept, or a stored offset
    /// outside what the broker holds (the topic was recreated, or the log start moved on).
    fn needs_rebuild(
        &self,
        c: &BaseConsumer<QuietContext>,
        topic: &str,
    ) -> Result<bool, InboundError> {
        let st = self.store.stream_state(topic)?;
        if st.offsets.is_empty() || st.last_applied_at.is_none() {
            return Ok(true);
        }
        let away_limit = self.tombstone_retention(topic);
        if st
            .last_applied_at
            .is_none_or(|t| Utc::now() - t > away_limit)
        {
            tracing::info!(
                topic,
                hours = away_limit.num_hours(),
                "away longer than the topic keeps tombstones: rebuilding"
            );
            return Ok(true);
        }
        for (p, next) in &st.offsets {
            let (low, high) = c.fetch_watermarks(topic, *p, self.opts.timeout)?;
            if *next < low || *next > high {
                tracing::warn!(
                    topic,
                    partition = p,
                    next,
                    low,
                    high,
                    "stored offset is outside the topic: rebuilding"
                );
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// How long the broker keeps `topic`'s tombstones (`delete.retention.ms`), asked once;
    /// `rebuild_after` when it cannot say (an old broker, the mock cluster, no ACL).
    fn tombstone_retention(&self, topic: &str) -> chrono::Duration {
        let mut cache = match self.retention.lock() {
            Ok(c) => c,
            Err(_) => return self.opts.rebuild_after,
        };
        if cache.is_empty() {
            let job = self.retention_job.lock().ok().and_then(|mut j| j.take());
            let answers = match job {
                Some(h) => h.join().unwrap_or_default(),
                None => {
                    let names = self.topics.iter().map(|(_, t)| t.clone()).collect();
                    ask_retention(&self.kafka, names).join().unwrap_or_default()
                }
            };
            cache.extend(answers);
        }
        let known = cache.get(topic).copied().flatten();
        known.unwrap_or(self.opts.rebuild_after)
    }

    fn refresh_status(&self, c: &BaseConsumer<QuietContext>, with_lag: bool) {
        let mut out = Vec::new();
        // Where the consumer stands: past the stored offset when the last offsets were
        // transaction markers, which carry nothing to store but are not lag either.
        let positions = if with_lag {
            crate::ends::positions(c)
        } else {
            HashMap::new()
        };
        for (kind, topic) in &self.topics {
            let Ok(st) = self.store.stream_state(topic) else {
                continue;
            };
            let lag = if with_lag {
                let mut total = 0i64;
                let mut ok = true;
                for (p, next) in &st.offsets {
                    let pos = positions.get(&(topic.clone(), *p)).copied().unwrap_or(0);
                    match c.fetch_watermarks(topic, *p, Duration::from_secs(2)) {
                        Ok((low, high)) => total += (high - (*next).max(low).max(pos)).max(0),
                        Err(_) => ok = false,
                    }
                }
                ok.then_some(total)
            } else {
                self.status
                    .lock()
                    .ok()
                    .and_then(|s| s.iter().find(|t| t.topic == *topic).and_then(|t| t.lag))
            };
            out.push(TopicStatus {
                topic: topic.clone(),
                kind: kind.as_str().to_string(),
                applied: st.applied_total,
                quarantined: st.quarantined,
                rebuilds: st.rebuilds,
                lag,
                last_applied_at: st.last_applied_at,
            });
        }
        if let Ok(mut s) = self.status.lock() {
            *s = out;
        }
    }

    /// The status of every inbound topic now, with lag asked of the broker (None when it
    /// cannot be reached).
    pub fn snapshot(&self) -> Vec<TopicStatus> {
        match self.consumer() {
            Ok(c) => self.refresh_status(&c, true),
            Err(_) => return Vec::new(),
        }
        self.status.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// Assigns every partition at its stored offset. Returns, in catch-up mode, the
    /// partitions still to read to their high watermarks, and the partitions per topic.
    fn assign(
        &self,
        c: &BaseConsumer<QuietContext>,
        topics: &[(InboundKind, String)],
        mode: InboundMode,
    ) -> Result<(Ends, HashMap<String, usize>), InboundError> {
        let mut tpl = TopicPartitionList::new();
        let mut targets = Ends::default();
        let mut counts = HashMap::new();
        for (_, topic) in topics {
            let stored = self.store.stream_offsets(topic)?;
            let partitions = self.partitions(c, topic)?;
            counts.insert(topic.clone(), partitions.len());
            for p in partitions {
                let next = stored
                    .iter()
                    .find(|(sp, _)| *sp == p)
                    .map(|(_, o)| *o)
                    .unwrap_or(0);
                tpl.add_partition_offset(topic, p, Offset::Offset(next))?;
                if matches!(mode, InboundMode::CatchUp { .. }) {
                    let (low, high) = c.fetch_watermarks(topic, p, self.opts.timeout)?;
                    targets.want(topic, p, next.max(low), high);
                }
            }
        }
        c.assign(&tpl)?;
        Ok((targets, counts))
    }

    /// Runs the consumers; see the module docs. Returns the records applied.
    pub fn run(&mut self, stop: &AtomicBool, mode: InboundMode) -> Result<u64, InboundError> {
        let started = Instant::now();
        let budget = match mode {
            InboundMode::CatchUp { deadline } => deadline,
            InboundMode::Forever => Duration::from_secs(365 * 86_400),
        };
        let deadline = started + budget;
        let mut total = 0u64;
        let topics = self.topics.clone();
        // The run's consumer: watermark queries first, then one assignment after the
        // rebuilds (see `rebuild`).
        let mut c = self.consumer()?;
        for (kind, topic) in &topics {
            if self.needs_rebuild(&c, topic)? {
                match self.rebuild(*kind, topic, stop, deadline, budget)? {
                    Some(n) => total += n,
                    None => return Ok(total),
                }
            }
        }
        tracing::debug!(ms = started.elapsed().as_millis() as u64, "views checked");
        let kind_of: HashMap<String, InboundKind> =
            topics.iter().map(|(k, t)| (t.clone(), *k)).collect();
        let (mut targets, mut assigned) = self.assign(&c, &topics, mode)?;
        tracing::debug!(ms = started.elapsed().as_millis() as u64, "assigned");
        // The lag (a watermark query per partition, tens of milliseconds each) is asked
        // every 2 s while running, not before the first records are applied; a catch-up
        // run knows its lag is zero when it returns.
        let mut last_status = Instant::now();
        let mut last_layout_check = Instant::now();
        loop {
            if stop.load(Ordering::Relaxed) {
                return Ok(total);
            }
            if let InboundMode::CatchUp { deadline: d } = mode {
                if targets.is_empty() {
                    // Caught up: the lag is zero by construction, no need to ask.
                    self.refresh_status(&c, false);
                    if let Ok(mut st) = self.status.lock() {
                        st.iter_mut().for_each(|t| t.lag = Some(0));
                    }
                    tracing::debug!(
                        total,
                        ms = started.elapsed().as_millis() as u64,
                        "caught up"
                    );
                    return Ok(total);
                }
                if started.elapsed() > d {
                    tracing::warn!(left = ?targets.left(), "catch-up not finished by its deadline");
                    return Err(InboundError::Timeout(d));
                }
            }
            // Gather a batch per topic.
            let mut batches: HashMap<String, Vec<Consumed>> = HashMap::new();
            let mut n = 0;
            let mut rebuild: Option<String> = None;
            let batch_started = Instant::now();
            while n < self.opts.batch && batch_started.elapsed() < Duration::from_millis(50) {
                match c.poll(Duration::from_millis(if n == 0 { 100 } else { 5 })) {
                    // Idle: nothing arrived in 100 ms. Otherwise keep filling the batch until
                    // its window closes, so one transaction carries many records.
                    None if n == 0 => break,
                    None => {}
                    Some(Ok(m)) => {
                        let topic = m.topic().to_string();
                        let Some(kind) = kind_of.get(&topic) else {
                            continue;
                        };
                        let d = self.decode(*kind, &m);
                        targets.delivered(&topic, m.partition(), m.offset());
                        batches.entry(topic).or_default().push(d);
                        n += 1;
                    }
                    Some(Err(KafkaError::MessageConsumption(
                        RDKafkaErrorCode::AutoOffsetReset,
                    )))
                    | Some(Err(KafkaError::MessageConsumption(
                        RDKafkaErrorCode::OffsetOutOfRange,
                    ))) => {
                        // Which topic is not in the error; find the partition whose stored
                        // offset is outside the broker's range.
                        for (_, topic) in &topics {
                            for (p, next) in self.store.stream_offsets(topic)? {
                                if let Ok((low, high)) =
                                    c.fetch_watermarks(topic, p, self.opts.timeout)
                                {
                                    if next < low || next > high {
                                        rebuild = Some(topic.clone());
                                    }
                                }
                            }
                        }
                        break;
                    }
                    Some(Err(e)) if refused(&e) && matches!(mode, InboundMode::CatchUp { .. }) => {
                        // Which topic is not in the error: the ones still to reach.
                        let mut topics: Vec<&str> =
                            targets.left().iter().map(|t| t.0.as_str()).collect();
                        topics.dedup();
                        return Err(InboundError::NotAuthorised {
                            topic: topics.join(", "),
                        });
                    }
                    Some(Err(e)) => {
                        tracing::debug!("consumer: {e}");
                        break;
                    }
                }
            }
            let gathered = batch_started.elapsed();
            if matches!(mode, InboundMode::CatchUp { .. }) {
                // Markers and deleted ranges deliver nothing: ask the position.
                targets.settle(&c);
            }
            for (topic, records) in batches {
                let t_apply = Instant::now();
                let applied = self.store.apply_inbound(&topic, &records, Utc::now())?;
                tracing::trace!(
                    topic,
                    n = records.len(),
                    gather_ms = gathered.as_millis() as u64,
                    apply_ms = t_apply.elapsed().as_millis() as u64,
                    "batch"
                );
                total += applied.applied;
                // The status (last update, counts) follows at once; lag is refreshed below.
                self.refresh_status(&c, false);
                if let (Some(tx), Some(kind)) = (&self.changes, kind_of.get(&topic)) {
                    let _ = tx.send(*kind);
                }
            }
            if let Some(topic) = rebuild {
                let kind = kind_of[&topic];
                tracing::warn!(
                    topic,
                    "stored offset is out of the topic's range: rebuilding the view"
                );
                match self.rebuild(kind, &topic, stop, deadline, budget)? {
                    Some(n) => total += n,
                    None => return Ok(total),
                }
                (targets, assigned) = self.assign(&c, &topics, mode)?;
            }
            if matches!(mode, InboundMode::Forever)
                && last_status.elapsed() > Duration::from_secs(2)
            {
                self.refresh_status(&c, true);
                last_status = Instant::now();
            }
            // Partitions added to a topic while the till runs: a fresh consumer takes the
            // whole assignment again (never re-pointing one, see `rebuild`), new
            // partitions from their start.
            if last_layout_check.elapsed() > self.opts.layout_check {
                last_layout_check = Instant::now();
                let now = self.partition_counts(&c, &topics);
                if grew(&assigned, &now) {
                    tracing::info!(?assigned, ?now, "partitions were added: reassigning");
                    c = self.consumer()?;
                    (targets, assigned) = self.assign(&c, &topics, mode)?;
                }
            }
        }
    }

    /// Partitions per topic as the broker describes them now (topics it cannot describe
    /// are left out).
    fn partition_counts(
        &self,
        c: &BaseConsumer<QuietContext>,
        topics: &[(InboundKind, String)],
    ) -> HashMap<String, usize> {
        topics
            .iter()
            .filter_map(|(_, t)| self.partitions(c, t).ok().map(|p| (t.clone(), p.len())))
            .collect()
    }
}

/// How one read of a whole topic ended.
enum Read {
    /// Every partition read to its high watermark: the records and those ends.
    Done(Vec<Consumed>, Vec<(i32, i64)>),
    Stopped,
    /// The log start passed the read's position (records deleted meanwhile).
    Moved,
}

/// Each topic's tombstone retention, `None` when the broker could not say.
type Retention = HashMap<String, Option<chrono::Duration>>;

/// Asks the broker for the topics' `delete.retention.ms` on a thread of its own: one
/// request for all of them, answered in milliseconds by a broker; one that cannot describe
/// configs (librdkafka's mock cluster) costs at most a second.
fn ask_retention(kafka: &KafkaConfig, names: Vec<String>) -> std::thread::JoinHandle<Retention> {
    let kafka = kafka.clone();
    std::thread::spawn(move || {
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let described =
            crate::admin::topic_configs(&kafka, &refs, Duration::from_secs(1)).unwrap_or_default();
        names
            .iter()
            .map(|name| {
                let ms = described
                    .iter()
                    .find(|(t, _)| t == name)
                    .and_then(|(_, r)| r.as_ref().ok())
                    .and_then(|entries| entries.get("delete.retention.ms"))
                    .and_then(|v| v.parse::<i64>().ok())
                    .filter(|ms| *ms > 0)
                    .map(chrono::Duration::milliseconds);
                (name.clone(), ms)
            })
            .collect()
    })
}

/// Whether any topic now has more partitions than were assigned.
fn grew(assigned: &HashMap<String, usize>, now: &HashMap<String, usize>) -> bool {
    now.iter()
        .any(|(t, n)| assigned.get(t).is_some_and(|a| n > a))
}

#[cfg(test)]
mod tests {
    use super::grew;
    use std::collections::HashMap;

    #[test]
    fn only_added_partitions_trigger_a_reassignment() {
        let m = |v: &[(&str, usize)]| -> HashMap<String, usize> {
            v.iter().map(|(t, n)| ((*t).to_string(), *n)).collect()
        };
        let before = m(&[("catalog", 3), ("inventory", 3)]);
        assert!(!grew(&before, &before));
        // A topic the broker could not describe this time is not a change.
        assert!(!grew(&before, &m(&[("catalog", 3)])));
        assert!(grew(&before, &m(&[("catalog", 3), ("inventory", 6)])));
        // Kafka never removes partitions; a smaller answer is a broker glitch, not a cue.
        assert!(!grew(&before, &m(&[("catalog", 2), ("inventory", 3)])));
    }
}
