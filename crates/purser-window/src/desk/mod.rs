//! One window's till: who is signed in, the ticket being rung up, payment, refunds and the
//! manager's screens. One `Desk` per window; the Tauri shell holds it in the `Station` and
//! calls `ipc::dispatch`. Every recording goes through `Till` (the durable record and the
//! outbox), exactly as the `purser` command does; the rules live there, not here.
//!
//! By screen: `session` (sign-in, shift), `ticket` (items, quantities, discounts,
//! rewards, search), `tabs` (tabs and parked tickets), `members`, `pay` (payment, receipts, PDFs), `refunds` (refund, void,
//! drawer), `manager` (status, users, the store's figures); `printer` is the receipt
//! printer's queue, `views` turns domain values into the `ipc` view types.

use std::path::PathBuf;

use chrono::{DateTime, Utc};

use purser_core::cart::Cart;
use purser_stream::inbound::TopicStatus;
use purser_stream::report::ReportConsumerStatus;
use purser_stream::RelayStatus;

use crate::ipc::*;
use purser_app::error::{AppError, AppResult, ErrorCode};
use purser_app::report::Reports;
use purser_app::till::Till;
use purser_app::users::UserInfo;

mod manager;
mod members;
mod pay;
mod printer;
mod refunds;
mod session;
mod tabs;
mod ticket;
mod views;

pub use pay::tender_input;
use printer::PrinterQueue;

/// What the window learns from the threads beside the till: the relay and the inbound
/// streams. The shell passes the real ones; tests pass `Offline`.
pub trait Links: Send {
    fn relay(&self) -> Option<RelayStatus>;
    fn streams(&self) -> Vec<TopicStatus>;
    /// Grows whenever the inbound streams applied something.
    fn data_version(&self) -> u64;
    /// A sale was recorded: send it now.
    fn wake(&self);
    /// Grows whenever the manager's consumer applied events from the store's cluster.
    fn report_version(&self) -> u64 {
        0
    }
    /// The manager's consumer, when one runs beside the window.
    fn report_status(&self) -> Option<ReportConsumerStatus> {
        None
    }
}

/// No relay, no streams (tests, or a till whose Kafka settings are missing).
#[derive(Debug, Default)]
pub struct Offline;

impl Links for Offline {
    fn relay(&self) -> Option<RelayStatus> {
        None
    }
    fn streams(&self) -> Vec<TopicStatus> {
        Vec::new()
    }
    fn data_version(&self) -> u64 {
        0
    }
    fn wake(&self) {}
}

#[derive(Clone, Debug)]
struct Session {
    user: UserInfo,
    locked: bool,
}

pub struct Desk {
    till: Till,
    links: Box<dyn Links>,
    session: Option<Session>,
    ticket: Cart,
    last_activity: DateTime<Utc>,
    demo: bool,
    receipts_dir: PathBuf,
    printer: Option<PrinterQueue>,
    /// The category grid as of a `data_version` (categories change only with the catalog).
    categories: Option<(u64, Vec<CategoryView>)>,
    /// The loyalty member on the ticket (member id).
    member: Option<String>,
    /// Ticket lines given as rewards for points (free on the ticket).
    rewards: std::collections::BTreeSet<u32>,
    /// Who approved a discount above the limit on this ticket, and the largest discount
    /// (basis points) that approval covered: the sale is checked again when recorded.
    discount_approval: Option<(purser_app::users::Approver, i64)>,
    /// The manager's figures (the reporting store), when the shell opened one.
    reports: Option<Reports>,
    /// The tab or parked ticket whose ticket is on the screen (`tabs`).
    tab: Option<tabs::OnScreen>,
}

impl std::fmt::Debug for Desk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Desk").field("till", &self.till).finish()
    }
}

impl Desk {
    pub fn new(till: Till, links: Box<dyn Links>, receipts_dir: PathBuf, demo: bool) -> Desk {
        let printer = till
            .settings()
            .config
            .till
            .printer
            .clone()
            .map(PrinterQueue::start);
        let now = till.now();
        Desk {
            till,
            links,
            session: None,
            ticket: Cart::new(),
            last_activity: now,
            demo,
            receipts_dir,
            printer,
            categories: None,
            member: None,
            rewards: Default::default(),
            discount_approval: None,
            reports: None,
            tab: None,
        }
    }

    /// Gives the window the manager's figures (the reporting store the consumer fills).
    pub fn with_reports(mut self, reports: Reports) -> Desk {
        self.reports = Some(reports);
        self
    }

    pub fn till(&self) -> &Till {
        &self.till
    }

    fn settings(&self) -> &purser_app::Settings {
        self.till.settings()
    }

    /// The signed-in user, after the inactivity check; counts as activity.
    /// Locks the session once it has been idle for `[till] auto_lock_minutes`.
    fn lock_if_idle(&mut self, now: DateTime<Utc>) {
        let lock_after = i64::from(self.settings().config.till.auto_lock_minutes) * 60;
        if lock_after > 0 && (now - self.last_activity).num_seconds() >= lock_after {
            if let Some(s) = self.session.as_mut() {
                s.locked = true;
            }
        }
    }

    fn user(&mut self) -> AppResult<UserInfo> {
        let now = self.till.now();
        self.lock_if_idle(now);
        let Some(session) = self.session.as_ref() else {
            return Err(AppError::new(
                ErrorCode::SignInRequired,
                "sign in with your user id and PIN",
            ));
        };
        if session.locked {
            return Err(AppError::new(
                ErrorCode::SignInRequired,
                format!(
                    "the till locked itself: {} or another user signs in again",
                    session.user.user_id
                ),
            ));
        }
        self.last_activity = now;
        Ok(session.user.clone())
    }

    /// A supervisor's or manager's PIN approving an action, proven by the till.
    fn approver(&mut self, a: &Approval) -> AppResult<purser_app::users::Approver> {
        self.till.approver(a.user_id.trim(), &a.pin)
    }
}

/// The manager's figures beside a till's desk: the reporting store next to the till
/// database, filled by the manager's consumer that `Background` runs. A till without one
/// still sells.
pub fn with_reports(desk: Desk, settings: &purser_app::Settings) -> Desk {
    match purser_app::report::Reports::open(settings) {
        Ok(r) => desk.with_reports(r),
        Err(e) => {
            tracing::warn!("the manager's figures are not available: {e}");
            desk
        }
    }
}
