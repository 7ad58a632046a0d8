//! The receipt printer: a queue on a thread of its own, so a printer that is off never
//! holds up the next customer; printouts and the cash drawer's kick.

use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::Desk;
use purser_app::printout::{self, Printout};

#[derive(Clone, Debug, Default)]
pub(super) struct PrinterState {
    pub(super) last_ok: Option<DateTime<Utc>>,
    pub(super) last_error: Option<String>,
}

/// Receipts go to the printer from a thread of their own: a printer that is off never
/// holds up the next customer.
pub(super) struct PrinterQueue {
    pub(super) addr: String,
    jobs: mpsc::Sender<Vec<u8>>,
    pub(super) state: Arc<Mutex<PrinterState>>,
}

impl PrinterQueue {
    pub(super) fn start(addr: String) -> PrinterQueue {
        let (jobs, rx) = mpsc::channel::<Vec<u8>>();
        let state = Arc::new(Mutex::new(PrinterState::default()));
        let st = state.clone();
        let a = addr.clone();
        let spawned = std::thread::Builder::new()
            .name("purser-printer".into())
            .spawn(move || {
                for bytes in rx {
                    let r = printout::send_to_printer(&a, &bytes, Duration::from_secs(3));
                    if let Ok(mut s) = st.lock() {
                        match r {
                            Ok(()) => {
                                s.last_ok = Some(Utc::now());
                                s.last_error = None;
                            }
                            Err(e) => {
                                tracing::warn!("receipt printer: {e}");
                                s.last_error = Some(e.to_string());
                            }
                        }
                    }
                }
            });
        if let Err(e) = spawned {
            tracing::error!("printer thread not started: {e}");
        }
        PrinterQueue { addr, jobs, state }
    }

    pub(super) fn submit(&self, bytes: Vec<u8>) -> bool {
        self.jobs.send(bytes).is_ok()
    }
}

/// ESC/POS "generate pulse" on drawer pin 2: opens the cash drawer wired to the printer.
pub(super) const DRAWER_KICK: [u8; 5] = [0x1b, b'p', 0, 25, 250];

impl Desk {
    pub(super) fn printout_for(&self, kind: &str, receipt_no: &str, text: String) -> Printout {
        Printout {
            title: format!("{} {}", kind, receipt_no),
            text,
            barcode: Some(receipt_no.to_string()),
        }
    }

    pub(super) fn print(&self, p: &Printout, open_drawer: bool) -> Option<bool> {
        self.printer
            .as_ref()
            .map(|q| q.submit(printout::to_escpos(p, open_drawer)))
    }
}
