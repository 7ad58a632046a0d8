//! The open shift is read inside the action's transaction: another process closing the
//! shift (and computing its Z) between the till's read and its commit leaves nothing in
//! the closed shift.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, TimeZone, Utc};

use purser_app::runtime::UuidV7;
use purser_app::till::{LineRequest, SaleRequest};
use purser_app::{Config, ErrorCode, Settings, Till};
use purser_core::clock::Clock;
use purser_core::money::Money;
use purser_core::shift::ReportKind;
use purser_core::tender::TenderInput;

/// A clock that, once armed, lets "another process" (a second till handle on the same
/// database) close the shift the next time the till asks it the time — which the till
/// does after reading the open shift and before its transaction.
struct Interloper {
    at: DateTime<Utc>,
    settings: Settings,
    armed: AtomicBool,
    closed: Mutex<Option<Money>>,
}

struct Fixed(DateTime<Utc>);
impl Clock for Fixed {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
}

impl Clock for Interloper {
    fn now(&self) -> DateTime<Utc> {
        if self.armed.swap(false, Ordering::SeqCst) {
            let mut other = Till::open(
                self.settings.clone(),
                Arc::new(Fixed(self.at)),
                Arc::new(UuidV7),
            )
            .unwrap();
            let z = other.close_shift(Money(10_000), ReportKind::Z).unwrap();
            *self.closed.lock().unwrap() = Some(z.body.report.net_sales);
        }
        self.at
    }
}

#[test]
fn a_shift_closed_by_another_process_mid_action_takes_no_sale_refund_void_or_drawer() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = Config::new_till(
        "S1",
        "T1",
        "EUR",
        "inclusive",
        "UTC",
        dir.path().join("till.db"),
    );
    let settings = cfg.settings().unwrap();
    let at = Utc.with_ymd_and_hms(2026, 11, 25, 8, 0, 0).unwrap();
    Till::init(&settings, at).unwrap();
    let clock = Arc::new(Interloper {
        at,
        settings: settings.clone(),
        armed: AtomicBool::new(false),
        closed: Mutex::new(None),
    });
    let mut till = Till::open(settings, clock.clone(), Arc::new(UuidV7)).unwrap();
    till.import_products(&purser_app::demo::demo_catalog())
        .unwrap();
    let sku = purser_app::demo::demo_catalog()[0].sku.clone();
    let sale = SaleRequest {
        lines: vec![LineRequest {
            code: sku,
            quantity: None,
            discount: None,
        }],
        tenders: vec![TenderInput::Cash { tendered: None }],
        confirm_out_of_stock: true,
        ..SaleRequest::default()
    };

    till.open_shift("C1", Money(10_000)).unwrap();
    let first = till.sell(&sale).unwrap();
    let events = till.outbox_status().unwrap().total_written;

    // The shift is closed between the till's read of it and its transaction.
    clock.armed.store(true, Ordering::SeqCst);
    let err = till.sell(&sale).unwrap_err();
    assert_eq!(err.code, ErrorCode::NoOpenShift, "{err:?}");
    let z_net = clock
        .closed
        .lock()
        .unwrap()
        .expect("the other process closed the shift");
    assert_eq!(
        z_net, first.body.total,
        "the Z has the one sale, not the second"
    );
    // Nothing else was recorded: the Z is the only event after the first sale.
    assert_eq!(till.outbox_status().unwrap().total_written, events + 1);

    // The same for a refund, a void and a drawer opening, approved by a supervisor.
    purser_app::demo::ensure_demo_users(&mut till).unwrap();
    let ben = purser_app::demo::demo_approver(&mut till, "ben").unwrap();
    till.open_shift("C1", Money(10_000)).unwrap();
    let s = till.sell(&sale).unwrap();
    let receipt = s.body.receipt_no.clone();
    let events = till.outbox_status().unwrap().total_written;
    clock.armed.store(true, Ordering::SeqCst);
    assert_eq!(
        till.void(&receipt, "wrong", &ben).unwrap_err().code,
        ErrorCode::NoOpenShift
    );
    till.open_shift("C1", Money(10_000)).unwrap();
    clock.armed.store(true, Ordering::SeqCst);
    assert_eq!(
        till.open_drawer("change", &ben).unwrap_err().code,
        ErrorCode::NoOpenShift
    );
    // Two Z reports and two shift openings, nothing else.
    assert_eq!(till.outbox_status().unwrap().total_written, events + 3);
}
