//! Purser's desktop window: a thin Tauri shell over `purser-app`.
//!
//! The shell finds the till's configuration (or sets up the embedded demo store), opens
//! the till, starts the relay and the inbound streams beside it, and answers the window's
//! one IPC command, `call`, with `purser_app::ipc::dispatch`. Nothing here is worth
//! testing on its own: the use cases live in `purser_app::desk`.
//!
//! Usage: `purser-desktop [--demo] [--config FILE]`. `PURSER_LOG` sets the log level
//! (default `info`); logs roll daily in `<data dir>/logs`.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use purser_app::background::Background;
use purser_app::config::{default_config_path, Config};
use purser_app::desk::{Desk, Links, Offline};
use purser_app::error::{AppError, ErrorCode};
use purser_app::runtime::{open_till, SystemClock};
use purser_app::Till;
use purser_stream::embedded::EmbeddedBroker;

use purser_core::clock::Clock as _;

struct Shell {
    desk: Result<Mutex<Desk>, AppError>,
}

#[tauri::command]
async fn call(
    state: tauri::State<'_, Shell>,
    name: String,
    args: serde_json::Value,
) -> Result<serde_json::Value, AppError> {
    let desk = state.desk.as_ref().map_err(Clone::clone)?;
    let mut desk = desk.lock().map_err(|_| {
        AppError::new(
            ErrorCode::Internal,
            "the till's state is poisoned: restart the app",
        )
    })?;
    purser_app::ipc::dispatch(&mut desk, &name, args)
}

fn data_dir() -> PathBuf {
    std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
        .unwrap_or_else(|| PathBuf::from("."))
        .join("purser")
}

fn init_logging(dir: &Path) -> Option<tracing_appender::non_blocking::WorkerGuard> {
    let filter = tracing_subscriber::EnvFilter::try_from_env("PURSER_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let logs = dir.join("logs");
    std::fs::create_dir_all(&logs).ok()?;
    let appender = tracing_appender::rolling::daily(&logs, "purser.log");
    let (writer, guard) = tracing_appender::non_blocking(appender);
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(false)
        .try_init()
        .ok()?;
    Some(guard)
}

/// Opens the till the configuration describes, with the relay and the streams beside it.
fn open_configured(config: &Path, receipts: PathBuf) -> Result<Desk, AppError> {
    let mut cfg = Config::load(config)?;
    cfg.apply_env();
    let settings = cfg.settings()?;
    let till = open_till(settings.clone())?;
    let links: Box<dyn Links> = match Background::start(&settings) {
        Ok(b) => Box::new(b),
        Err(e) => {
            tracing::warn!("relay and streams not started: {e}");
            Box::new(Offline)
        }
    };
    Ok(with_reports(
        Desk::new(till, links, receipts, false),
        &settings,
    ))
}

/// The manager's figures: the reporting store beside the till database, filled by the
/// manager's consumer that `Background` runs. A till without one still sells.
fn with_reports(desk: Desk, settings: &purser_app::Settings) -> Desk {
    match purser_app::report::Reports::open(settings) {
        Ok(r) => desk.with_reports(r),
        Err(e) => {
            tracing::warn!("the manager's figures are not available: {e}");
            desk
        }
    }
}

/// The embedded demo store: a till on an in-process broker that headquarters' catalog,
/// stock and members are published to, with the demo users.
/// `PURSER_DEMO_BOOTSTRAP=host:port` puts the demo store on that Kafka cluster instead.
fn open_demo(dir: &Path) -> Result<(Desk, Option<EmbeddedBroker>), AppError> {
    std::fs::create_dir_all(dir).map_err(|e| {
        AppError::new(
            ErrorCode::Storage,
            format!("cannot create {}: {e}", dir.display()),
        )
    })?;
    let till_id = std::env::var("PURSER_DEMO_TILL").unwrap_or_else(|_| "TILL-1".into());
    let probe = purser_app::demo::demo_config(dir, &till_id, "");
    let (broker, bootstrap) = match std::env::var("PURSER_DEMO_BOOTSTRAP") {
        Ok(b) if !b.trim().is_empty() => {
            let mut cfg = probe.clone();
            cfg.kafka.bootstrap_servers = b.clone();
            let specs = purser_stream::admin::store_topic_specs(&cfg.topics, 3, 1);
            // Another demo window's embedded broker (librdkafka's mock cluster) has the
            // topics already and does not answer CreateTopics: ask only when missing.
            let names: Vec<&str> = specs.iter().map(|t| t.name.as_str()).collect();
            let present =
                purser_stream::probe::probe(&cfg.kafka, &names, std::time::Duration::from_secs(5))
                    .map(|p| p.missing_topics.is_empty())
                    .unwrap_or(false);
            if !present {
                purser_stream::admin::ensure_topics(
                    &cfg.kafka,
                    &specs,
                    std::time::Duration::from_secs(10),
                )
                .map_err(|e| AppError::new(ErrorCode::KafkaUnreachable, e))?;
            }
            (None, b)
        }
        _ => {
            let broker = EmbeddedBroker::start(&probe.topics)
                .map_err(|e| AppError::new(ErrorCode::KafkaUnreachable, e))?;
            let b = broker.bootstrap_servers();
            // A second till (or a headless `purser`) joins this demo store's broker with
            // PURSER_DEMO_BOOTSTRAP=$(cat <data dir>/demo/broker.txt); see the README.
            if let Err(e) = std::fs::write(dir.join("broker.txt"), format!("{b}\n")) {
                tracing::warn!("broker address not written: {e}");
            }
            (Some(broker), b)
        }
    };
    let cfg = purser_app::demo::demo_config(dir, &till_id, &bootstrap);
    cfg.save(&dir.join("purser.toml"))?;
    let settings = cfg.settings()?;
    Till::init(&settings, SystemClock.now())?;
    let mut till = open_till(settings.clone())?;
    purser_app::demo::ensure_demo_users(&mut till)?;
    // Headquarters publishes while the window comes up; the till picks it up from the
    // topics like any other update.
    let s = settings.clone();
    std::thread::spawn(move || {
        if let Err(e) =
            purser_app::demo::publish_demo_reference(&s, 7, std::time::Duration::from_secs(30))
        {
            tracing::error!("demo reference data not published: {e}");
        }
    });
    let links: Box<dyn Links> = Box::new(Background::start(&settings)?);
    let desk = with_reports(
        Desk::new(till, links, dir.join("receipts"), true),
        &settings,
    );
    Ok((desk, broker))
}

fn main() {
    // WebKitGTK's accelerated compositing costs ~100 MB in the web process (software GL
    // where there is no GPU) and buys nothing for a till's flat screens. Set
    // PURSER_WEBKIT_COMPOSITING=1 to keep it. Done first, before any thread exists.
    if std::env::var_os("PURSER_WEBKIT_COMPOSITING").is_none()
        && std::env::var_os("WEBKIT_DISABLE_COMPOSITING_MODE").is_none()
    {
        std::env::set_var("WEBKIT_DISABLE_COMPOSITING_MODE", "1");
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    let demo =
        args.iter().any(|a| a == "--demo") || std::env::var("PURSER_DEMO").is_ok_and(|v| v == "1");
    let config = args
        .iter()
        .position(|a| a == "--config")
        .and_then(|i| args.get(i + 1))
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("PURSER_CONFIG").map(PathBuf::from))
        .unwrap_or_else(default_config_path);
    let data = std::env::var_os("PURSER_DATA_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(data_dir);
    let _log_guard = init_logging(&data);
    tracing::info!(version = env!("CARGO_PKG_VERSION"), demo, "starting");

    let (desk, broker) = if demo {
        match open_demo(&data.join("demo")) {
            Ok((d, b)) => (Ok(Mutex::new(d)), b),
            Err(e) => (Err(e), None),
        }
    } else {
        (
            open_configured(&config, data.join("receipts")).map(Mutex::new),
            None,
        )
    };
    if let Err(e) = &desk {
        tracing::error!("the till could not be opened: {e}");
    }
    // The demo store's in-process broker lives as long as the window (on this thread: it
    // is not Send).
    let _broker = broker;
    let result = tauri::Builder::default()
        .manage(Shell { desk })
        .invoke_handler(tauri::generate_handler![call])
        .run(tauri::generate_context!());
    if let Err(e) = result {
        tracing::error!("the window failed: {e}");
        eprintln!("purser-desktop: {e}");
        std::process::exit(1);
    }
}
