//! Purser's use cases: what the desktop shell and the `purser` command both call.
//!
//! * `till::Till` — shift, sale, refund, void, drawer, reports, heartbeat. A sale is
//!   recorded in `Till::sell`.
//! * `config` — the till's configuration file and validated settings.
//! * `error` — the `{code, message}` error every caller sees.
//! * `runtime` — the real clock and ids; the relay thread with heartbeats.
//! * `loyalty` — members, enrolment, and the loyalty side of sales, refunds and voids.
//! * `users` — the till's users, their PINs (argon2id) and the sign-in lockout.
//! * `setup` — first-run setup (the window's setup screen and `purser init`).
//! * `tabs` — tabs and parked tickets, durable from their first line.
//! * `report` — the manager's figures (the reporting store the manager's consumer fills).
//!
//! Nothing here knows the window: its backend (the desk, its IPC contract, the station,
//! the threads beside the till) is the `purser-window` crate, one layer up.

pub mod catalog_io;
pub mod config;
pub mod demo;
pub mod doctor;
pub mod error;
pub mod input;
pub mod loyalty;
pub mod printout;
pub mod receipt;
pub mod reference;
pub mod report;
pub mod runtime;
pub mod setup;
pub mod tabs;
pub mod till;
pub mod users;

pub use config::{Config, Settings};
pub use error::{AppError, AppResult, ErrorCode};
pub use till::Till;

/// Makes every file and folder this process creates from now on private to the till's
/// user (umask 077): logs, receipts, exports, databases. The CLI and the desktop shell
/// call it first thing.
pub fn private_files() {
    #[cfg(unix)]
    {
        rustix::process::umask(rustix::fs::Mode::from_bits_truncate(0o077));
    }
}
