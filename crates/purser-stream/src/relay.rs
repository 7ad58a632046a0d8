//! The outbox relay: sends unpublished outbox rows to Kafka in `till_seq` order and marks
//! a row published only when the broker's delivery report says it was persisted.
//!
//! Ordering and duplicates:
//! * Rows are produced in `till_seq` order, keyed by till, with an idempotent producer
//!   (`acks=all`, at most 5 requests in flight), so within one producer session librdkafka
//!   delivers each row once and in order, retrying transient errors itself.
//! * `message.timeout.ms` is 0 (never give up): a row cannot time out while a later row
//!   goes through, which is the one way order could break inside a session. A finite
//!   timeout (or `delivery.timeout.ms`), another partitioner, or any of the settings above
//!   in `[kafka.extra]` is refused as a configuration error (`KafkaConfig::check_extra`).
//! * Any failed report: the relay stops dispatching, waits for everything in flight to
//!   settle, records the failures, rebuilds the producer if librdkafka calls the error
//!   fatal, backs off, and resends from the first unacknowledged row.
//! * A row that was persisted but whose report was lost (crash, restart, rebuild) is sent
//!   again: duplicates on the wire are possible and consumers deduplicate on `event_id`.
//!   Resends restart at the first unacknowledged row and go forward, so the first copy of
//!   each event still arrives in `till_seq` order.
//!
//! The till database: an error from SQLite (another process holding the write lock past
//! the busy timeout, a full disk) never ends the relay. It is shown in
//! [`RelayStatus::store_error`], the relay keeps the acknowledgements it could not record
//! yet, backs off (up to [`STORE_BACKOFF_MAX`]) and tries again; once the database answers,
//! it records them and goes on where it was, so nothing is sent twice because of it.
//!
//! Authorization: a broker whose ACLs refuse this till's writes answers
//! TOPIC_AUTHORIZATION_FAILED for a topic (fatal to an idempotent producer with the gapless
//! guarantee) or CLUSTER_AUTHORIZATION_FAILED for its producer id (no Write on any topic).
//! Either is recorded on the rows and in [`RelayStatus::refused`] in words an installer can
//! act on ([`Refusal`]); the relay rebuilds the producer and keeps trying with back-off, so
//! the rows go as soon as the rights are granted.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use rdkafka::client::ClientContext;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Header, Message, OwnedHeaders};
use rdkafka::producer::{BaseProducer, BaseRecord, DeliveryResult, Producer, ProducerContext};
use rdkafka::ClientConfig;
use serde::Serialize;

use purser_store::{Ack, Store, StoreError};

use crate::config::KafkaConfig;

#[derive(Clone, Debug)]
pub struct RelayOptions {
    /// Rows read from SQLite at a time.
    pub read_batch: usize,
    /// Most rows handed to librdkafka and not yet acknowledged.
    pub max_in_flight: usize,
    /// Acknowledgements are written to SQLite at least this often.
    pub mark_interval: Duration,
    /// How often an idle relay looks for new rows (a `Waker` wakes it sooner).
    pub idle_poll: Duration,
    pub backoff_min: Duration,
    pub backoff_max: Duration,
    /// Rows in flight with no report for this long while a broker is up: rebuild the
    /// producer and resend them.
    pub stall_timeout: Duration,
    /// How long a statement on the till database waits for another process's write lock.
    pub store_busy_timeout: Duration,
}

/// Longest wait between two attempts to use a till database that failed.
pub const STORE_BACKOFF_MAX: Duration = Duration::from_secs(5);

impl Default for RelayOptions {
    fn default() -> RelayOptions {
        RelayOptions {
            read_batch: 5_000,
            max_in_flight: 20_000,
            mark_interval: Duration::from_millis(25),
            idle_poll: Duration::from_millis(100),
            backoff_min: Duration::from_millis(200),
            backoff_max: Duration::from_secs(30),
            stall_timeout: Duration::from_secs(120),
            store_busy_timeout: Duration::from_secs(10),
        }
    }
}

/// What the relay knows about its link to the cluster, for status bars and `outbox status`.
#[derive(Clone, Debug, Default, Serialize)]
pub struct RelayStatus {
    /// A broker connection is up (from librdkafka's statistics and delivery reports).
    pub connected: bool,
    /// Last time a delivery report said the broker persisted a row.
    pub last_ack_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub last_error_at: Option<DateTime<Utc>>,
    /// Rows acknowledged since this relay started.
    pub published: u64,
    pub failed_attempts: u64,
    pub producer_builds: u64,
    pub in_flight: u64,
    /// The broker refuses this till's writes (its ACLs), from the last failed delivery until
    /// a row is acknowledged again.
    pub refused: Option<Refusal>,
    /// The relay cannot use the till database (busy, disk full…) and is retrying; `None`
    /// once it answers again.
    pub store_error: Option<String>,
    /// The relay has stopped for good, and why (set by whoever runs it on a thread).
    pub stopped: Option<String>,
}

/// The cluster's authorization refused this till's writes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Refusal {
    /// The topic refused (TOPIC_AUTHORIZATION_FAILED), or `None` when the cluster refused
    /// the producer itself (CLUSTER_AUTHORIZATION_FAILED: no Write on any topic).
    pub topic: Option<String>,
    /// Kafka's error name.
    pub error: String,
}

impl Refusal {
    /// The refusal an error code stands for, if it is one (`topic`: the record's topic).
    pub fn from_code(code: RDKafkaErrorCode, topic: Option<&str>) -> Option<Refusal> {
        match code {
            RDKafkaErrorCode::TopicAuthorizationFailed => Some(Refusal {
                topic: topic.map(str::to_string),
                error: "TOPIC_AUTHORIZATION_FAILED".into(),
            }),
            RDKafkaErrorCode::ClusterAuthorizationFailed => Some(Refusal {
                topic: None,
                error: "CLUSTER_AUTHORIZATION_FAILED".into(),
            }),
            _ => None,
        }
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.topic {
            Some(t) => write!(
                f,
                "not authorised to write {t} ({}): the cluster's ACLs do not let this till's principal write it; grant its rights with packaging/kafka/acls.sh (the events wait in the outbox)",
                self.error
            ),
            None => write!(
                f,
                "not authorised to write ({}): the cluster refuses this till's producer, its principal has no Write on any topic; grant its rights with packaging/kafka/acls.sh (the events wait in the outbox)",
                self.error
            ),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("Kafka settings: {0}")]
    Config(#[from] crate::config::ConfigError),
    #[error("gave up after {waited:?}: {pending} events still waiting to be sent (last error: {last_error})")]
    GaveUp {
        waited: Duration,
        pending: u64,
        last_error: String,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunMode {
    /// Run until the stop flag is set.
    Forever,
    /// Return once the outbox is empty (or fail at the deadline).
    UntilEmpty { deadline: Option<Duration> },
}

/// Wakes an idle relay when a new row is committed.
#[derive(Clone, Default, Debug)]
pub struct Waker(Arc<(Mutex<bool>, Condvar)>);

impl Waker {
    pub fn wake(&self) {
        let (m, c) = &*self.0;
        if let Ok(mut w) = m.lock() {
            *w = true;
            c.notify_all();
        }
    }
    fn wait(&self, timeout: Duration) {
        let (m, c) = &*self.0;
        if let Ok(guard) = m.lock() {
            if let Ok((mut w, _)) = c.wait_timeout_while(guard, timeout, |w| !*w) {
                *w = false;
            }
        }
    }
}

/// A delivery report: the row, and where it was persisted or why not.
type Report = (u64, Result<(i32, i64), (String, Option<Refusal>)>);

#[derive(Default)]
struct Shared {
    reports: Mutex<Vec<Report>>,
    connected: AtomicBool,
    last_client_error: Mutex<Option<String>>,
}

struct RelayContext {
    shared: Arc<Shared>,
}

impl ClientContext for RelayContext {
    /// librdkafka's statistics, read for one thing: is any broker connection up?
    fn stats_raw(&self, json: &[u8]) {
        #[derive(serde::Deserialize)]
        struct Broker {
            nodeid: i32,
            state: String,
        }
        #[derive(serde::Deserialize)]
        struct Stats {
            brokers: std::collections::HashMap<String, Broker>,
        }
        match serde_json::from_slice::<Stats>(json) {
            Ok(s) => {
                let up = s.brokers.values().any(|b| b.nodeid >= 0 && b.state == "UP");
                self.shared.connected.store(up, Ordering::Relaxed);
            }
            Err(e) => tracing::debug!("unreadable librdkafka statistics: {e}"),
        }
    }
    fn error(&self, error: KafkaError, reason: &str) {
        if error.rdkafka_error_code() == Some(RDKafkaErrorCode::AllBrokersDown) {
            self.shared.connected.store(false, Ordering::Relaxed);
        }
        tracing::debug!(%error, reason, "kafka client error");
        if let Ok(mut e) = self.shared.last_client_error.lock() {
            *e = Some(format!("{error}: {reason}"));
        }
    }
    fn log(&self, level: rdkafka::config::RDKafkaLogLevel, fac: &str, msg: &str) {
        crate::context::log_librdkafka(level, fac, msg);
    }
}

impl ProducerContext for RelayContext {
    type DeliveryOpaque = Box<u64>;
    fn delivery(&self, result: &DeliveryResult<'_>, seq: Box<u64>) {
        let r = match result {
            Ok(m) => Ok((m.partition(), m.offset())),
            Err((e, m)) => {
                let refusal = e
                    .rdkafka_error_code()
                    .and_then(|c| Refusal::from_code(c, Some(m.topic())));
                let text = refusal
                    .as_ref()
                    .map_or_else(|| e.to_string(), ToString::to_string);
                Err((text, refusal))
            }
        };
        if let Ok(mut reports) = self.shared.reports.lock() {
            reports.push((*seq, r));
        }
    }
}

/// The producer settings the relay insists on, over the site's own.
pub fn producer_config(kafka: &KafkaConfig, max_in_flight: usize) -> ClientConfig {
    let mut c = kafka.client_config();
    c.set("enable.idempotence", "true");
    c.set("acks", "all");
    c.set("max.in.flight.requests.per.connection", "5");
    c.set("enable.gapless.guarantee", "true");
    let defaults = [
        ("message.timeout.ms", "0".to_string()),
        // Same key → partition mapping as the Java client.
        ("partitioner", "murmur2_random".to_string()),
        ("linger.ms", "5".to_string()),
        ("compression.type", "lz4".to_string()),
        (
            "queue.buffering.max.messages",
            (max_in_flight * 2).max(100_000).to_string(),
        ),
        ("statistics.interval.ms", "500".to_string()),
        ("retry.backoff.max.ms", "2000".to_string()),
        // Notice a returning broker within a couple of seconds (default backoff reaches 10 s).
        ("reconnect.backoff.ms", "100".to_string()),
        ("reconnect.backoff.max.ms", "2000".to_string()),
    ];
    for (k, v) in defaults {
        if c.get(k).is_none() {
            c.set(k, v);
        }
    }
    c
}

pub struct Relay {
    store: Store,
    kafka: KafkaConfig,
    opts: RelayOptions,
    status: Arc<Mutex<RelayStatus>>,
    waker: Waker,
}

impl std::fmt::Debug for Relay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Relay").field("store", &self.store).finish()
    }
}

fn now() -> DateTime<Utc> {
    Utc::now()
}

impl Relay {
    pub fn new(db: &Path, kafka: KafkaConfig, opts: RelayOptions) -> Result<Relay, RelayError> {
        kafka.validate()?;
        let store = Store::open_for_relay(db)?;
        store.set_busy_timeout(opts.store_busy_timeout)?;
        Ok(Relay {
            store,
            kafka,
            opts,
            status: Arc::default(),
            waker: Waker::default(),
        })
    }

    pub fn status(&self) -> Arc<Mutex<RelayStatus>> {
        self.status.clone()
    }

    pub fn waker(&self) -> Waker {
        self.waker.clone()
    }

    fn update(&self, f: impl FnOnce(&mut RelayStatus)) {
        if let Ok(mut s) = self.status.lock() {
            f(&mut s);
        }
    }

    /// Records a failed use of the till database; the caller backs off and tries again.
    fn store_failed(&self, what: &str, e: &StoreError) {
        let msg = format!("the relay cannot {what} in the till database: {e}; retrying");
        tracing::warn!("{msg}");
        self.update(|s| {
            s.store_error = Some(msg.clone());
            s.last_error = Some(msg);
            s.last_error_at = Some(now());
        });
    }

    fn store_ok(&self) {
        self.update(|s| {
            if let Some(e) = s.store_error.take() {
                if s.last_error.as_ref() == Some(&e) {
                    s.last_error = None;
                }
            }
        });
    }

    /// Records acknowledgements; on failure they stay in `acks` for the next try.
    fn mark(&mut self, acks: &mut Vec<Ack>, published: &mut u64) -> bool {
        if acks.is_empty() {
            return true;
        }
        match self.store.mark_published(acks, now()) {
            Ok(()) => {
                let n = acks.len() as u64;
                *published += n;
                self.update(|s| s.published += n);
                acks.clear();
                self.store_ok();
                true
            }
            Err(e) => {
                self.store_failed("record what the cluster acknowledged", &e);
                false
            }
        }
    }

    fn build(&self, shared: &Arc<Shared>) -> Result<BaseProducer<RelayContext>, KafkaError> {
        producer_config(&self.kafka, self.opts.max_in_flight).create_with_context(RelayContext {
            shared: shared.clone(),
        })
    }

    /// Runs the relay; see the module docs. Returns the number of rows acknowledged.
    pub fn run(&mut self, stop: &AtomicBool, mode: RunMode) -> Result<u64, RelayError> {
        let started = Instant::now();
        let shared = Arc::new(Shared::default());
        let mut producer: Option<BaseProducer<RelayContext>> = None;
        let mut in_flight = 0usize;
        // Nothing was sent or acknowledged last time round (e.g. the broker is away with
        // rows in flight): wait longer in poll instead of re-reading the outbox 200 times
        // a second. A delivery report still ends the wait at once.
        let mut quiet = false;
        let mut cursor = 0u64;
        let mut acks: Vec<Ack> = Vec::new();
        let mut failures: Vec<(u64, String)> = Vec::new();
        let mut refusals: Vec<Refusal> = Vec::new();
        let mut last_mark = Instant::now();
        let mut last_progress = Instant::now();
        let mut backoff = self.opts.backoff_min;
        let mut published = 0u64;
        let mut stopping_since: Option<Instant> = None;
        let mut last_checkpoint = Instant::now();
        let mut store_backoff = self.opts.backoff_min;

        loop {
            if stop.load(Ordering::Relaxed) && stopping_since.is_none() {
                stopping_since = Some(Instant::now());
            }
            let stopping = stopping_since.is_some();
            if stopping
                && (in_flight == 0
                    || stopping_since.is_some_and(|s| s.elapsed() > Duration::from_secs(5)))
            {
                if !self.mark(&mut acks, &mut published) {
                    tracing::warn!(
                        unrecorded = acks.len(),
                        "stopping with acknowledgements the till database did not take; those events are sent again next time"
                    );
                }
                return Ok(published);
            }
            if let RunMode::UntilEmpty { deadline: Some(d) } = mode {
                if started.elapsed() > d {
                    self.mark(&mut acks, &mut published);
                    let st = self.store.outbox_status()?;
                    let last_error = self
                        .status
                        .lock()
                        .ok()
                        .and_then(|s| s.last_error.clone())
                        .or(st.last_error)
                        .unwrap_or_else(|| "broker unreachable".into());
                    return Err(RelayError::GaveUp {
                        waited: d,
                        pending: st.pending,
                        last_error,
                    });
                }
            }

            let Some(p) = producer.as_ref() else {
                match self.build(&shared) {
                    Ok(p) => {
                        producer = Some(p);
                        cursor = 0;
                        last_progress = Instant::now();
                        self.update(|s| s.producer_builds += 1);
                    }
                    Err(e) => {
                        let msg = format!("cannot create the Kafka producer: {e}");
                        tracing::warn!("{msg}");
                        self.update(|s| {
                            s.last_error = Some(msg);
                            s.last_error_at = Some(now());
                        });
                        std::thread::sleep(backoff);
                        backoff = (backoff * 2).min(self.opts.backoff_max);
                    }
                }
                continue;
            };

            // WAL checkpoints run here, off the sale path (see purser-store).
            if last_checkpoint.elapsed() >= Duration::from_secs(1) {
                if let Err(e) = self.store.checkpoint() {
                    tracing::debug!("checkpoint skipped: {e}");
                }
                last_checkpoint = Instant::now();
            }

            // Dispatch the next rows in till_seq order.
            let mut dispatched = 0usize;
            if failures.is_empty() && !stopping && in_flight < self.opts.max_in_flight {
                let room = (self.opts.max_in_flight - in_flight).min(self.opts.read_batch);
                let rows = match self.store.outbox_pending(cursor, room) {
                    Ok(rows) => rows,
                    Err(e) => {
                        self.store_failed("read the waiting events", &e);
                        std::thread::sleep(store_backoff);
                        store_backoff = (store_backoff * 2).min(STORE_BACKOFF_MAX);
                        Vec::new()
                    }
                };
                for row in &rows {
                    let mut headers = OwnedHeaders::new_with_capacity(row.headers.len());
                    for (k, v) in &row.headers {
                        headers = headers.insert(Header {
                            key: k,
                            value: Some(v.as_bytes()),
                        });
                    }
                    let record = BaseRecord::with_opaque_to(&row.topic, Box::new(row.till_seq))
                        .key(row.key.as_bytes())
                        .payload(row.payload.as_bytes())
                        .timestamp(row.created_at.timestamp_millis())
                        .headers(headers);
                    match p.send(record) {
                        Ok(()) => {
                            in_flight += 1;
                            dispatched += 1;
                            cursor = row.till_seq;
                        }
                        Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), _)) => {
                            break
                        }
                        Err((e, _)) => {
                            failures.push((row.till_seq, e.to_string()));
                            break;
                        }
                    }
                }
            }

            p.poll(if in_flight == 0 {
                Duration::ZERO
            } else if quiet && dispatched == 0 {
                Duration::from_millis(100)
            } else {
                Duration::from_millis(5)
            });
            let reports = shared
                .reports
                .lock()
                .map(|mut r| std::mem::take(&mut *r))
                .unwrap_or_default();
            quiet = dispatched == 0 && reports.is_empty();
            for (seq, result) in reports {
                in_flight = in_flight.saturating_sub(1);
                match result {
                    Ok((partition, offset)) => {
                        acks.push(Ack {
                            till_seq: seq,
                            partition,
                            offset,
                        });
                        last_progress = Instant::now();
                        // A persisted row proves a live connection; statistics take it away.
                        shared.connected.store(true, Ordering::Relaxed);
                    }
                    Err((e, refusal)) => {
                        failures.push((seq, e));
                        refusals.extend(refusal);
                    }
                }
            }
            let connected = shared.connected.load(Ordering::Relaxed);
            if !acks.is_empty()
                && (last_mark.elapsed() >= self.opts.mark_interval
                    || acks.len() >= 10_000
                    || in_flight == 0)
            {
                if self.mark(&mut acks, &mut published) {
                    let settled = failures.is_empty();
                    self.update(|s| {
                        s.last_ack_at = Some(now());
                        if settled {
                            s.refused = None;
                        }
                    });
                    last_mark = Instant::now();
                    backoff = self.opts.backoff_min;
                    store_backoff = self.opts.backoff_min;
                } else {
                    // librdkafka goes on delivering meanwhile; its reports wait for the
                    // next poll, and these acknowledgements for the next try.
                    std::thread::sleep(store_backoff);
                    store_backoff = (store_backoff * 2).min(STORE_BACKOFF_MAX);
                }
            }
            self.update(|s| {
                s.connected = connected;
                s.in_flight = in_flight as u64;
            });

            // A failure: let everything in flight settle, then rewind to the first
            // unacknowledged row (rebuilding the producer if the error was fatal).
            if !failures.is_empty() && in_flight == 0 {
                // What was acknowledged is recorded before anything is sent again.
                if !self.mark(&mut acks, &mut published) {
                    std::thread::sleep(store_backoff);
                    store_backoff = (store_backoff * 2).min(STORE_BACKOFF_MAX);
                    continue;
                }
                let fatal = p.client().fatal_error();
                // A refused producer id is fatal; a refused topic makes the gapless
                // guarantee fatal. Either way the refusal is what the rows and the status
                // say, not librdkafka's "Fatal error".
                let refused = refusals.first().cloned().or_else(|| {
                    fatal
                        .as_ref()
                        .and_then(|(code, _)| Refusal::from_code(*code, None))
                });
                let msg = match (&refused, &fatal) {
                    (Some(r), _) => r.to_string(),
                    (None, Some((code, reason))) => {
                        format!("fatal producer error {code:?}: {reason}")
                    }
                    (None, None) => failures[0].1.clone(),
                };
                if fatal.is_some() || refused.is_some() {
                    let own: Vec<String> = refusals.iter().map(ToString::to_string).collect();
                    for f in failures.iter_mut().filter(|f| !own.contains(&f.1)) {
                        f.1.clone_from(&msg);
                    }
                }
                refusals.clear();
                if let Err(e) = self.store.mark_failed(&failures) {
                    // Only the rows' attempt counts and last error are lost; they are
                    // resent all the same.
                    self.store_failed("record the failed deliveries", &e);
                }
                let first = failures.iter().map(|f| f.0).min().unwrap_or(0);
                tracing::warn!(
                    first_failed_seq = first,
                    failed = failures.len(),
                    "delivery failed: {msg}; will resend"
                );
                let n_failed = failures.len() as u64;
                self.update(|s| {
                    s.failed_attempts += n_failed;
                    s.last_error = Some(msg);
                    s.last_error_at = Some(now());
                    s.refused = refused;
                });
                failures.clear();
                if fatal.is_some() {
                    producer = None;
                }
                cursor = 0;
                std::thread::sleep(backoff);
                backoff = (backoff * 2).min(self.opts.backoff_max);
                continue;
            }

            // Rows in flight and no progress while a broker is up: the session is stuck.
            if in_flight > 0 && connected && last_progress.elapsed() > self.opts.stall_timeout {
                tracing::warn!(
                    in_flight,
                    "no delivery reports for {:?}; rebuilding the producer",
                    self.opts.stall_timeout
                );
                self.mark(&mut acks, &mut published);
                p.purge(rdkafka::producer::PurgeConfig::default().queue().inflight());
                p.poll(Duration::ZERO);
                shared.reports.lock().map(|mut r| r.clear()).ok();
                producer = None;
                in_flight = 0;
                continue;
            }

            if dispatched == 0 && in_flight == 0 && acks.is_empty() {
                if let RunMode::UntilEmpty { .. } = mode {
                    match self.store.outbox_status() {
                        Ok(st) if st.pending == 0 => return Ok(published),
                        Ok(_) => {}
                        Err(e) => self.store_failed("count the waiting events", &e),
                    }
                }
                if let Some(err) = shared
                    .last_client_error
                    .lock()
                    .ok()
                    .and_then(|mut e| e.take())
                {
                    self.update(|s| {
                        s.last_error = Some(err);
                        s.last_error_at = Some(now());
                    });
                }
                if let Some(p) = producer.as_ref() {
                    p.poll(Duration::ZERO);
                    // Refused before there was anything to send (the producer id): say so
                    // now; the next row rebuilds the producer.
                    if let Some((code, _)) = p.client().fatal_error() {
                        if let Some(r) = Refusal::from_code(code, None) {
                            self.update(|s| {
                                if s.refused.is_none() {
                                    s.last_error = Some(r.to_string());
                                    s.last_error_at = Some(now());
                                    s.refused = Some(r);
                                }
                            });
                        }
                    }
                }
                self.waker.wait(self.opts.idle_poll);
            }
        }
    }
}
