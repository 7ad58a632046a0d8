//! The real clock and id generator, and the relay running beside a till.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use uuid::Uuid;

use purser_core::clock::{Clock, IdGen};
use purser_stream::{Relay, RelayError, RelayOptions, RelayStatus, RunMode, Waker};

use crate::config::Settings;
use crate::error::AppResult;
use crate::till::Till;

#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// UUIDv7 from the system clock and a random source.
#[derive(Clone, Copy, Debug, Default)]
pub struct UuidV7;

impl IdGen for UuidV7 {
    fn new_id(&self) -> Uuid {
        Uuid::now_v7()
    }
}

/// Opens the till with the real clock and ids.
pub fn open_till(settings: Settings) -> AppResult<Till> {
    Till::open(settings, Arc::new(SystemClock), Arc::new(UuidV7))
}

/// The relay on its own thread, plus a heartbeat writer while the cluster is reachable.
pub struct RelayHandle {
    stop: Arc<AtomicBool>,
    status: Arc<Mutex<RelayStatus>>,
    waker: Waker,
    relay: Option<JoinHandle<Result<u64, RelayError>>>,
    heartbeat: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for RelayHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RelayHandle").finish()
    }
}

impl RelayHandle {
    pub fn start(settings: &Settings, options: RelayOptions) -> AppResult<RelayHandle> {
        let mut relay = Relay::new(
            &settings.config.database,
            settings.config.kafka.clone(),
            options,
        )
        .map_err(|e| {
            crate::error::AppError::new(crate::error::ErrorCode::InvalidConfig, e.to_string())
        })?;
        let stop = Arc::new(AtomicBool::new(false));
        let status = relay.status();
        let waker = relay.waker();
        let s = stop.clone();
        let thread_status = status.clone();
        let relay_thread = std::thread::Builder::new()
            .name("purser-relay".into())
            .spawn(move || {
                let r = relay.run(&s, RunMode::Forever);
                if let Err(e) = &r {
                    tracing::error!("the relay stopped: {e}");
                    if let Ok(mut st) = thread_status.lock() {
                        st.stopped = Some(e.to_string());
                    }
                }
                r
            })
            .map_err(|e| {
                crate::error::AppError::new(crate::error::ErrorCode::Internal, e.to_string())
            })?;
        let hb_every = Duration::from_secs(settings.config.outbox.heartbeat_secs.max(1));
        let retention = chrono::Duration::days(i64::from(settings.config.outbox.retention_days));
        let hb_settings = settings.clone();
        let hb_stop = stop.clone();
        let hb_status = status.clone();
        let hb_waker = waker.clone();
        let heartbeat = std::thread::Builder::new()
            .name("purser-heartbeat".into())
            .spawn(move || {
                heartbeat_loop(
                    hb_settings,
                    hb_stop,
                    hb_status,
                    hb_waker,
                    hb_every,
                    retention,
                )
            })
            .map_err(|e| {
                crate::error::AppError::new(crate::error::ErrorCode::Internal, e.to_string())
            })?;
        Ok(RelayHandle {
            stop,
            status,
            waker,
            relay: Some(relay_thread),
            heartbeat: Some(heartbeat),
        })
    }

    pub fn status(&self) -> RelayStatus {
        self.status.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// Why the relay thread ended, if it did while it was meant to run (an error, or a
    /// panic): nothing is sent any more, so whoever runs it must say so and exit.
    pub fn ended(&mut self) -> Option<String> {
        if !self.relay.as_ref().is_some_and(JoinHandle::is_finished)
            || self.stop.load(Ordering::Relaxed)
        {
            return None;
        }
        let h = self.relay.take()?;
        let why = match h.join() {
            Ok(Ok(n)) => format!("the relay ended after sending {n} events"),
            Ok(Err(e)) => e.to_string(),
            Err(_) => "the relay thread panicked (see the log)".to_string(),
        };
        if let Ok(mut st) = self.status.lock() {
            st.stopped = Some(why.clone());
        }
        Some(why)
    }

    /// Wakes the relay at once (call after recording a sale).
    pub fn wake(&self) {
        self.waker.wake();
    }

    /// The relay's waker, for a thread of its own that records events (tab hand-overs).
    pub fn waker(&self) -> purser_stream::Waker {
        self.waker.clone()
    }

    /// Stops both threads, letting in-flight rows settle (at most a few seconds).
    pub fn stop(mut self) -> Result<u64, RelayError> {
        self.shutdown()
    }

    fn shutdown(&mut self) -> Result<u64, RelayError> {
        self.stop.store(true, Ordering::Relaxed);
        self.waker.wake();
        if let Some(h) = self.heartbeat.take() {
            let _ = h.join();
        }
        match self.relay.take() {
            Some(h) => h.join().unwrap_or(Ok(0)),
            None => Ok(0),
        }
    }
}

impl Drop for RelayHandle {
    fn drop(&mut self) {
        let _ = self.shutdown();
    }
}

fn heartbeat_loop(
    settings: Settings,
    stop: Arc<AtomicBool>,
    status: Arc<Mutex<RelayStatus>>,
    waker: Waker,
    every: Duration,
    retention: chrono::Duration,
) {
    let mut till = match open_till(settings) {
        Ok(t) => t,
        Err(e) => {
            tracing::warn!("heartbeat disabled: {e}");
            return;
        }
    };
    // The first heartbeat goes out once the cluster is reachable.
    let mut last: Option<Instant> = None;
    let mut last_prune = Instant::now();
    while !stop.load(Ordering::Relaxed) {
        let connected = status.lock().map(|s| s.connected).unwrap_or(false);
        if connected && last.is_none_or(|l| l.elapsed() >= every) {
            match till.heartbeat() {
                Ok(_) => {
                    waker.wake();
                    last = Some(Instant::now());
                }
                Err(e) => tracing::warn!("heartbeat not written: {e}"),
            }
        }
        if last_prune.elapsed() > Duration::from_secs(3600) {
            let cutoff = till.now() - retention;
            if let Err(e) = prune(&till, cutoff) {
                tracing::warn!("outbox prune failed: {e}");
            }
            last_prune = Instant::now();
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn prune(till: &Till, cutoff: DateTime<Utc>) -> AppResult<usize> {
    let mut store = purser_store::Store::open_for_relay(&PathBuf::from(till.database_path()))?;
    Ok(store.prune_published(cutoff)?)
}
