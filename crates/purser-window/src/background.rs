//! What runs beside the window's till: the outbox relay (with heartbeats), the inbound
//! stream consumer, the manager's consumer (every till's events into the reporting
//! store) and the tab hand-overs between tills (`tab_moves_loop`), each on threads of
//! their own so selling never waits for Kafka or for another till.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use purser_stream::inbound::{InboundConsumer, InboundMode, InboundOptions, TopicStatus};
use purser_stream::report::{ReportConsumer, ReportConsumerStatus};
use purser_stream::{RelayOptions, RelayStatus};

use crate::desk::Links;
use purser_app::config::Settings;
use purser_app::error::{AppError, AppResult, ErrorCode};
use purser_app::runtime::RelayHandle;

/// The running consumer's own status (each restart brings a new consumer and status).
type SharedStatus = Arc<Mutex<Option<Arc<Mutex<Vec<TopicStatus>>>>>>;
type SharedReportStatus = Arc<Mutex<Option<Arc<Mutex<ReportConsumerStatus>>>>>;

pub struct Background {
    relay: RelayHandle,
    stop: Arc<AtomicBool>,
    streams: SharedStatus,
    version: Arc<AtomicU64>,
    report: SharedReportStatus,
    report_version: Arc<AtomicU64>,
    threads: Vec<JoinHandle<()>>,
}

impl std::fmt::Debug for Background {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Background").finish()
    }
}

impl Background {
    /// Starts the relay and the inbound consumer for this till.
    pub fn start(settings: &Settings) -> AppResult<Background> {
        let relay = RelayHandle::start(settings, RelayOptions::default())?;
        let stop = Arc::new(AtomicBool::new(false));
        let streams: SharedStatus = Arc::default();
        let version = Arc::new(AtomicU64::new(0));
        let (tx, rx) = std::sync::mpsc::channel();
        let mut threads = Vec::new();
        let v = version.clone();
        threads.push(
            std::thread::Builder::new()
                .name("purser-changes".into())
                .spawn(move || {
                    for _ in rx {
                        v.fetch_add(1, Ordering::Relaxed);
                    }
                })
                .map_err(|e| AppError::new(ErrorCode::Internal, e.to_string()))?,
        );
        let (s, st, stp) = (settings.clone(), streams.clone(), stop.clone());
        threads.push(
            std::thread::Builder::new()
                .name("purser-streams".into())
                .spawn(move || inbound_loop(&s, &st, &stp, tx))
                .map_err(|e| AppError::new(ErrorCode::Internal, e.to_string()))?,
        );
        let report: SharedReportStatus = Arc::default();
        let report_version = Arc::new(AtomicU64::new(0));
        let (s, st, stp, v) = (
            settings.clone(),
            report.clone(),
            stop.clone(),
            report_version.clone(),
        );
        threads.push(
            std::thread::Builder::new()
                .name("purser-report".into())
                .spawn(move || report_loop(&s, &st, &stp, &v))
                .map_err(|e| AppError::new(ErrorCode::Internal, e.to_string()))?,
        );
        let (s, stp, v, waker) = (
            settings.clone(),
            stop.clone(),
            report_version.clone(),
            relay.waker(),
        );
        threads.push(
            std::thread::Builder::new()
                .name("purser-tab-moves".into())
                .spawn(move || tab_moves_loop(&s, &stp, &v, &waker))
                .map_err(|e| AppError::new(ErrorCode::Internal, e.to_string()))?,
        );
        Ok(Background {
            relay,
            stop,
            streams,
            version,
            report,
            report_version,
            threads,
        })
    }
}

/// Runs the consumer for as long as the window is open; a Kafka failure restarts it after
/// a pause (the views keep serving what they hold meanwhile).
fn inbound_loop(
    s: &Settings,
    status: &SharedStatus,
    stop: &AtomicBool,
    tx: std::sync::mpsc::Sender<purser_core::inbound::InboundKind>,
) {
    while !stop.load(Ordering::Relaxed) {
        let consumer = InboundConsumer::new(
            &s.config.database,
            s.config.kafka.clone(),
            &s.config.topics,
            &s.config.store.store_id,
            &s.currency.code,
            InboundOptions::default(),
        );
        match consumer {
            Ok(mut c) => {
                c.notify(tx.clone());
                if let Ok(mut s) = status.lock() {
                    *s = Some(c.status());
                }
                let r = c.run(stop, InboundMode::Forever);
                if let Err(e) = r {
                    tracing::warn!("inbound streams stopped: {e}; retrying in 2 s");
                }
            }
            Err(e) => tracing::warn!("inbound streams not started: {e}; retrying in 2 s"),
        }
        for _ in 0..20 {
            if stop.load(Ordering::Relaxed) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// The manager's consumer for as long as the window is open, restarted after a pause on
/// failure; each applied batch moves `version` (the manager's screen refreshes on it).
fn report_loop(
    s: &Settings,
    status: &SharedReportStatus,
    stop: &AtomicBool,
    version: &Arc<AtomicU64>,
) {
    while !stop.load(Ordering::Relaxed) {
        let consumer = ReportConsumer::new(
            &purser_app::report::report_db_path(s),
            s.config.kafka.clone(),
            &s.config.topics,
            &s.config.store.store_id,
        );
        match consumer {
            Ok(mut c) => {
                let (tx, rx) = std::sync::mpsc::channel();
                c.notify(tx);
                let v = version.clone();
                let counter = std::thread::Builder::new()
                    .name("purser-report-changes".into())
                    .spawn(move || {
                        for () in rx {
                            v.fetch_add(1, Ordering::Relaxed);
                        }
                    });
                if let Err(e) = counter {
                    tracing::warn!("report change counter not started: {e}");
                }
                if let Ok(mut s) = status.lock() {
                    *s = Some(c.status());
                }
                if let Err(e) = c.run(stop, InboundMode::Forever) {
                    tracing::warn!("the manager's consumer stopped: {e}; retrying in 2 s");
                }
            }
            Err(e) => tracing::warn!("the manager's consumer not started: {e}; retrying in 2 s"),
        }
        for _ in 0..20 {
            if stop.load(Ordering::Relaxed) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// How often the tab hand-overs are looked at when the manager's consumer brings nothing
/// (a step that failed is tried again then).
const TAB_MOVES_EVERY: Duration = Duration::from_secs(2);

/// The tab hand-overs between this till and the store's others
/// (`purser_app::Till::step_tab_moves`): after each batch the manager's consumer applies,
/// and every `TAB_MOVES_EVERY`. It has its own connections to the till database and the
/// reporting store (SQLite in WAL mode with a busy timeout takes turns with the window's),
/// so it never waits for the window's lock, nor the window for it.
fn tab_moves_loop(
    s: &Settings,
    stop: &AtomicBool,
    report_version: &AtomicU64,
    waker: &purser_stream::Waker,
) {
    let mut open: Option<(purser_app::Till, purser_app::report::Reports)> = None;
    let mut seen: Option<u64> = None;
    let mut last = std::time::Instant::now();
    while !stop.load(Ordering::Relaxed) {
        let v = report_version.load(Ordering::Relaxed);
        if seen != Some(v) || last.elapsed() >= TAB_MOVES_EVERY {
            seen = Some(v);
            last = std::time::Instant::now();
            if open.is_none() {
                let till = purser_app::runtime::open_till(s.clone());
                let reports = purser_app::report::Reports::open(s);
                match (till, reports) {
                    (Ok(t), Ok(r)) => open = Some((t, r)),
                    (Err(e), _) | (_, Err(e)) => {
                        tracing::warn!("tab hand-overs not looked at: {e}; retrying");
                    }
                }
            }
            if let Some((till, reports)) = open.as_mut() {
                match till.step_tab_moves(reports) {
                    Ok(step) => {
                        for m in &step.handed_over {
                            tracing::info!(tab = %m.tab_id, to = %m.to_till, "tab handed over");
                        }
                        for t in &step.taken_over {
                            tracing::info!(tab = %t.tab_id, from = ?t.moved_from, "tab taken over");
                        }
                        if step.wrote() {
                            waker.wake();
                        }
                    }
                    Err(e) => tracing::warn!("tab hand-overs not looked at: {e}; retrying"),
                }
            }
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

impl Links for Background {
    fn relay(&self) -> Option<RelayStatus> {
        Some(self.relay.status())
    }
    fn streams(&self) -> Vec<TopicStatus> {
        let current = self.streams.lock().ok().and_then(|s| s.clone());
        current
            .and_then(|c| c.lock().ok().map(|v| v.clone()))
            .unwrap_or_default()
    }
    fn data_version(&self) -> u64 {
        self.version.load(Ordering::Relaxed)
    }
    fn wake(&self) {
        self.relay.wake();
    }
    fn report_version(&self) -> u64 {
        self.report_version.load(Ordering::Relaxed)
    }
    fn report_status(&self) -> Option<ReportConsumerStatus> {
        let current = self.report.lock().ok().and_then(|s| s.clone());
        current.and_then(|c| c.lock().ok().map(|v| v.clone()))
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // The changes thread ends when the consumer (its last sender) is gone.
        for t in self.threads.drain(..).rev() {
            let _ = t.join();
        }
    }
}
