//! Purser's desktop window: a thin Tauri shell over `purser-window`.
//!
//! The shell finds the till's configuration (or sets up the embedded demo store), lets
//! `purser_window::station::Station` open the till with the relay and the inbound streams
//! beside it (or wait for the first-run setup when no configuration exists), and answers
//! the window's one IPC command, `call`, with `purser_window::shell::Shared::call` on a
//! blocking thread. Nothing here is
//! worth testing on its own: the window's backend is `purser-window` (`desk`, `ipc`,
//! `station`), the use cases below it `purser-app`.
//!
//! Usage: `purser-desktop [--demo] [--config FILE]`. `PURSER_LOG` sets the log level
//! (default `info`); logs roll daily in `<data dir>/logs`.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use std::path::{Path, PathBuf};

use purser_app::config::{default_config_path, default_data_dir};
use purser_app::error::{AppError, ErrorCode};
use purser_window::shell::Shared;
use purser_window::station::{Paths, Station};

/// The window's one command. It runs on the blocking pool, never on the async runtime:
/// a call may wait on the disk (a sale's commit) or, for the setup's connection tests, on
/// the network (`Shared::call` does not hold the station's lock meanwhile).
#[tauri::command]
async fn call(
    state: tauri::State<'_, Shared>,
    name: String,
    args: serde_json::Value,
) -> Result<serde_json::Value, AppError> {
    let shared = state.inner().clone();
    tauri::async_runtime::spawn_blocking(move || shared.call(&name, args))
        .await
        .map_err(|e| AppError::new(ErrorCode::Internal, format!("the call failed: {e}")))?
}

/// The window's idle memory (the target: ≤ 220 MB PSS with WebKit's processes; see
/// docs/benchmarks.md, "The till window"). Set before any thread exists, so that WebKit's
/// processes inherit them. `PURSER_MEMORY_TUNING=0` leaves them out, to measure against.
fn lean_webkit() {
    if std::env::var("PURSER_MEMORY_TUNING").is_ok_and(|v| v == "0") {
        return;
    }
    let settings = [
        // The DMA-BUF renderer hands the web process's frames to the window through GL
        // buffers; with compositing off the window draws them in software anyway, and the
        // older path needs ~5 MB less. (JavaScriptCore without its JIT, JSC_useJIT=false,
        // saves ~8 MB more but doubles a search's p99 past its 50 ms target: left out.)
        ("WEBKIT_DISABLE_DMABUF_RENDERER", "1"),
    ];
    for (k, v) in settings {
        if std::env::var_os(k).is_none() {
            std::env::set_var(k, v);
        }
    }
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

fn main() {
    // The till's files (database, logs, receipts, exports) are its user's alone.
    purser_app::private_files();
    // WebKitGTK's accelerated compositing costs ~100 MB in the web process (software GL
    // where there is no GPU) and buys nothing for a till's flat screens. Set
    // PURSER_WEBKIT_COMPOSITING=1 to keep it. Done first, before any thread exists.
    if std::env::var_os("PURSER_WEBKIT_COMPOSITING").is_none()
        && std::env::var_os("WEBKIT_DISABLE_COMPOSITING_MODE").is_none()
    {
        std::env::set_var("WEBKIT_DISABLE_COMPOSITING_MODE", "1");
    }
    lean_webkit();
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
    let data = default_data_dir();
    let _log_guard = init_logging(&data);
    tracing::info!(version = env!("CARGO_PKG_VERSION"), demo, "starting");

    // No configuration (and no --demo): the window opens on the first-run setup.
    let station = if demo {
        match purser_window::demo::open_demo_desk(&data.join("demo")) {
            Ok(d) => Station::Ready(Box::new(d)),
            Err(e) => {
                tracing::error!("the demo store could not be opened: {e}");
                Station::Failed(e)
            }
        }
    } else {
        Station::start(Paths { config, data })
    };
    let result = tauri::Builder::default()
        .manage(Shared::new(station))
        .invoke_handler(tauri::generate_handler![call])
        .run(tauri::generate_context!());
    if let Err(e) = result {
        tracing::error!("the window failed: {e}");
        eprintln!("purser-desktop: {e}");
        std::process::exit(1);
    }
}
