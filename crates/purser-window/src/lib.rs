//! The window's backend: everything the desktop window asks of a till, and nothing the
//! headless `purser` needs. The rules that must hold for every caller live one layer
//! down, in `purser_app` (`Till`, loyalty, users); this crate turns them into screens.
//!
//! * `ipc` — the window's commands, their argument and view types (the wire), the
//!   dispatcher the Tauri shell calls, and the generated `ui/src/lib/bindings.ts`.
//!   **A new window command goes in `ipc::commands!` and as a method on `Desk`.**
//! * `desk` — one window's till: `Desk`, split by screen (`session`, `ticket`,
//!   `members`, `pay`, `refunds`, `manager`) with the printer queue and view helpers.
//! * `station` — what the window has: a till that is set up (a `Desk`), the first-run
//!   setup, or a till that failed to open.
//! * `background` — the threads beside the till: the relay, the inbound streams and the
//!   manager's consumer (`Links` is what the desk sees of them).
//! * `demo` — the embedded demo store the window opens with `--demo`.
//! * `views` — products, members and users as the window and `purser --format json`
//!   show them.
//! * `shell` — how the Tauri shell answers calls: the station behind its lock, the
//!   connection tests run without it.

pub mod background;
pub mod demo;
pub mod desk;
pub mod ipc;
pub mod shell;
pub mod station;
pub mod views;
