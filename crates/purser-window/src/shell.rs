//! How the desktop shell answers the window's calls. The station sits behind one lock;
//! each call runs on the caller's thread (the shell's blocking pool, never its async
//! runtime) and holds the lock only while it works on the till. The calls that wait on the
//! network — the setup screen's connection tests to Kafka and to the printer — run without
//! the lock: the window's other calls go on meanwhile. (Selling never waits on the network:
//! the relay, the streams and the printer queue are threads of their own, see
//! `background` and `desk::printer`.)

use std::sync::{Arc, Mutex, MutexGuard};

use purser_app::error::{AppError, AppResult, ErrorCode};
use purser_app::setup::SetupForm;

use crate::ipc::{self, parse_args};
use crate::station::{PrinterArgs, PrinterTest, Station};

/// The window's station, shared by the shell's threads.
#[derive(Clone, Debug)]
pub struct Shared {
    station: Arc<Mutex<Station>>,
}

impl Shared {
    pub fn new(station: Station) -> Shared {
        Shared {
            station: Arc::new(Mutex::new(station)),
        }
    }

    fn lock(&self) -> AppResult<MutexGuard<'_, Station>> {
        self.station.lock().map_err(|_| {
            AppError::new(
                ErrorCode::Internal,
                "the till's state is poisoned: restart the app",
            )
        })
    }

    /// Answers one call of the window: `name` is one of `ipc::COMMANDS`, `args` its JSON.
    /// Blocks (up to a connection test's timeout): call it from a blocking thread.
    pub fn call(&self, name: &str, args: serde_json::Value) -> AppResult<serde_json::Value> {
        match name {
            "setup_test_kafka" => {
                let form: SetupForm = parse_args(name, args)?;
                let test = match self.lock()?.kafka_test_plan(&form)? {
                    Ok(test) => test,
                    Err(invalid) => return to_json(invalid),
                };
                let (kafka, view) = test.run();
                self.lock()?.kafka_tested(kafka, &view);
                to_json(view)
            }
            "setup_test_printer" => {
                let a: PrinterArgs = parse_args(name, args)?;
                // Only the setup screen tests printers.
                self.lock()?.setup_mut()?;
                to_json(PrinterTest(a.printer).run())
            }
            _ => ipc::dispatch(&mut *self.lock()?, name, args),
        }
    }
}

fn to_json<T: serde::Serialize>(v: T) -> AppResult<serde_json::Value> {
    serde_json::to_value(v).map_err(|e| AppError::new(ErrorCode::Internal, e.to_string()))
}
