//! The desktop window's use cases: who is signed in, the ticket being rung up, payment,
//! refunds and the till's status. One `Desk` per window; the Tauri shell holds it behind a
//! mutex and calls `ipc::dispatch`. Every recording goes through `Till` (the durable record
//! and the outbox), exactly as the `purser` command does.

use std::path::PathBuf;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};

use purser_core::cart::{Cart, Discount, PricedCart, Quantity};
use purser_core::catalog::{Product, SoldBy};
use purser_core::events::{Envelope, Event, EventBody, SaleCompleted, SaleRefunded};
use purser_core::money::Money;
use purser_core::sale::{refundable, RefundRequestLine};
use purser_core::shift::{ReportKind, ShiftReport};
use purser_core::tender::{AccountKind, CardPayment, Tender, TenderInput};
use purser_store::{ShiftRow, StockLevel};
use purser_stream::inbound::TopicStatus;
use purser_stream::report::ReportConsumerStatus;
use purser_stream::RelayStatus;

use crate::error::{AppError, AppResult, ErrorCode};
use crate::input::{parse_discount, parse_quantity};
use crate::ipc::*;
use crate::loyalty::MemberInfo;
use crate::printout::{self, Printout};
use crate::receipt;
use crate::report::{self as reports, ReportQuery, Reports, ShiftsKind};
use crate::till::{RefundRequest, RefundScope, SaleOptions, Till};
use crate::users::{Role, UserInfo};

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

#[derive(Clone, Debug, Default)]
struct PrinterState {
    last_ok: Option<DateTime<Utc>>,
    last_error: Option<String>,
}

/// Receipts go to the printer from a thread of their own: a printer that is off never
/// holds up the next customer.
struct PrinterQueue {
    addr: String,
    jobs: mpsc::Sender<Vec<u8>>,
    state: Arc<Mutex<PrinterState>>,
}

impl PrinterQueue {
    fn start(addr: String) -> PrinterQueue {
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

    fn submit(&self, bytes: Vec<u8>) -> bool {
        self.jobs.send(bytes).is_ok()
    }
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
    discount_approval: Option<(crate::users::Approver, i64)>,
    /// The manager's figures (the reporting store), when the shell opened one.
    reports: Option<Reports>,
}

impl std::fmt::Debug for Desk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Desk").field("till", &self.till).finish()
    }
}

/// ESC/POS "generate pulse" on drawer pin 2: opens the cash drawer wired to the printer.
const DRAWER_KICK: [u8; 5] = [0x1b, b'p', 0, 25, 250];

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn stock_view(s: &StockLevel) -> StockView {
    let state = if s.on_hand <= 0 {
        "out"
    } else if s.on_hand <= s.low_stock_at {
        "low"
    } else {
        "ok"
    };
    StockView {
        on_hand: s.on_hand,
        low_stock_at: s.low_stock_at,
        state: state.into(),
    }
}

fn role_name(r: Role) -> String {
    match r {
        Role::Cashier => "cashier",
        Role::Supervisor => "supervisor",
        Role::Manager => "manager",
    }
    .into()
}

fn user_view(u: &UserInfo) -> UserView {
    UserView {
        user_id: u.user_id.clone(),
        name: u.name.clone(),
        role: role_name(u.role),
        active: u.active,
        locked_until: u.locked_until.map(ts),
    }
}

fn shift_view(s: &ShiftRow) -> ShiftView {
    ShiftView {
        shift_id: s.shift_id.to_string(),
        cashier_id: s.cashier_id.clone(),
        business_date: s.business_date.to_string(),
        opened_at: ts(s.opened_at),
        opening_float: s.opening_float.0,
    }
}

fn discount_label(d: &Discount, s: &crate::Settings) -> String {
    match d {
        Discount::Percent { bp } => format!("-{}%", receipt::pct(*bp)),
        Discount::Amount { amount } => format!("-{}", s.money(*amount)),
    }
}

/// A discount as basis points of what it applies to.
fn discount_bp(d: &Discount, base: Money) -> i64 {
    match d {
        Discount::Percent { bp } => i64::from(*bp),
        Discount::Amount { amount } => {
            if base.0 <= 0 {
                10_000
            } else {
                amount.0.saturating_mul(10_000) / base.0
            }
        }
    }
}

/// A report's tender totals as the window shows them.
fn tender_mix(tenders: &[purser_core::shift::TenderTotal]) -> Vec<TenderMixView> {
    tenders
        .iter()
        .map(|t| TenderMixView {
            kind: t.kind.clone(),
            count: t.count,
            amount: t.amount.0,
        })
        .collect()
}

fn report_view(s: &crate::Settings, r: &ShiftReport) -> ReportView {
    ReportView {
        kind: if r.kind == ReportKind::Z { "Z" } else { "X" }.into(),
        text: receipt::report_text(s, r),
        net_sales: r.net_sales.0,
        sales_count: r.sales_count,
        expected_cash: r.expected_cash.0,
        counted_cash: r.counted_cash.map(|m| m.0),
        over_short: r.over_short.map(|m| m.0),
    }
}

/// The tender a cashier entered, as the domain takes it.
pub fn tender_input(
    t: &TenderArg,
    s: &crate::Settings,
    now: DateTime<Utc>,
    member: Option<&str>,
) -> AppResult<TenderInput> {
    let money = |v: &Option<String>| -> AppResult<Option<Money>> {
        match v.as_deref().map(str::trim) {
            None | Some("") => Ok(None),
            Some(a) => Ok(Some(s.currency.parse_amount(a)?)),
        }
    };
    let text = |v: &Option<String>| v.as_deref().unwrap_or("").trim().to_string();
    match t.kind.as_str() {
        "cash" => {
            // A cash part of a split is what the customer hands over for it.
            let tendered = money(&t.tendered)?.or(money(&t.amount)?);
            Ok(TenderInput::Cash { tendered })
        }
        "card" => Ok(TenderInput::Card {
            card: CardPayment {
                brand: text(&t.brand).to_ascii_uppercase(),
                last4: text(&t.last4),
                approval_code: text(&t.approval_code),
                terminal_ref: format!("{}-{}", s.config.store.till_id, now.timestamp()),
                offline: t.offline,
            },
            amount: money(&t.amount)?,
        }),
        kind @ ("cabin" | "room") => {
            let account_id = text(&t.account_id);
            if account_id.is_empty() {
                return Err(AppError::invalid(format!(
                    "a {kind} charge needs the guest's account number"
                )));
            }
            Ok(TenderInput::Account {
                account_kind: if kind == "cabin" {
                    AccountKind::Cabin
                } else {
                    AccountKind::Room
                },
                account_id,
                amount: money(&t.amount)?,
            })
        }
        "points" => {
            let Some(member_id) = member else {
                return Err(AppError::new(
                    ErrorCode::NotAllowed,
                    "scan the member's card before paying with points",
                ));
            };
            let points: i64 = text(&t.points)
                .parse()
                .map_err(|_| AppError::invalid("points to redeem must be a whole number"))?;
            if points <= 0 {
                return Err(AppError::invalid("points to redeem must be positive"));
            }
            Ok(TenderInput::Points {
                member_id: member_id.to_string(),
                points,
                amount: Money(points.saturating_mul(s.config.store.point_value)),
            })
        }
        other => Err(AppError::invalid(format!(
            "'{other}' is not a tender: use cash, card, cabin, room or points"
        ))),
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

    fn settings(&self) -> &crate::Settings {
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

    fn approver(&mut self, a: &Approval) -> AppResult<UserInfo> {
        self.till.approve(a.user_id.trim(), &a.pin)
    }

    fn session_view(&self, user: &UserInfo) -> AppResult<SessionView> {
        Ok(SessionView {
            user: user_view(user),
            shift: self.till.current_shift()?.as_ref().map(shift_view),
        })
    }

    fn priced(&self) -> AppResult<PricedCart> {
        let s = self.settings();
        Ok(self.ticket.price(&s.taxes, s.tax_mode)?)
    }

    fn member_view(&self, m: &MemberInfo) -> MemberView {
        let r = &m.member;
        MemberView {
            member_id: r.member_id.clone(),
            name: r.name.clone(),
            tier: r.tier.clone(),
            phone: r.phone.clone(),
            email: r.email.clone(),
            card_ids: r.card_ids.clone(),
            active: r.active,
            local_only: r.local_only,
            available: m.available,
            balance: m.estimated,
            published: m.published,
            point_value: self.settings().config.store.point_value,
            account: r.account.as_ref().map(|(kind, id, limit)| AccountView {
                kind: kind.clone(),
                account_id: id.clone(),
                offline_limit: limit.0,
                unconfirmed: m.unconfirmed_charges.0,
                chargeable: (*limit - m.unconfirmed_charges).0.max(0),
            }),
        }
    }

    fn ticket_view(&self) -> AppResult<TicketView> {
        let s = self.settings();
        let member = match &self.member {
            Some(id) => Some(self.member_view(&self.till.member(id)?)),
            None => None,
        };
        if self.ticket.lines.is_empty() {
            return Ok(TicketView {
                lines: Vec::new(),
                subtotal: 0,
                discount_total: 0,
                cart_discount_label: None,
                tax_total: 0,
                taxes: Vec::new(),
                tax_mode: s.tax_mode.as_str().into(),
                total: 0,
                items: 0,
                price_changed: Vec::new(),
                member,
                reward_points: 0,
            });
        }
        let priced = self.priced()?;
        let mut lines = Vec::with_capacity(priced.lines.len());
        let mut price_changed = Vec::new();
        let mut items: i64 = 0;
        for (pl, cl) in priced.lines.iter().zip(&self.ticket.lines) {
            let stock = self.till.stock(&pl.sku)?.as_ref().map(stock_view);
            if let Ok(now_p) = self.till.lookup(&pl.sku) {
                if now_p.price != pl.unit_price && !price_changed.contains(&pl.name) {
                    price_changed.push(pl.name.clone());
                }
            }
            items += match pl.quantity {
                Quantity::Units(n) => n,
                Quantity::Grams(_) => 1,
            };
            lines.push(TicketLine {
                line_no: pl.line_no,
                sku: pl.sku.clone(),
                name: pl.name.clone(),
                quantity: pl.quantity.to_string(),
                weighed: matches!(pl.quantity, Quantity::Grams(_)),
                unit_price: pl.unit_price.0,
                gross: pl.gross.0,
                line_discount: pl.line_discount.0,
                discount_label: cl.discount.as_ref().map(|d| discount_label(d, s)),
                cart_discount: pl.cart_discount.0,
                tax: pl.tax.0,
                total: pl.total.0,
                stock,
                reward_cost: s.config.loyalty.rewards.get(&pl.sku).copied(),
                reward: self.rewards.contains(&pl.line_no),
            });
        }
        Ok(TicketView {
            lines,
            subtotal: priced.subtotal.0,
            discount_total: priced.discount_total.0,
            cart_discount_label: self.ticket.discount.as_ref().map(|d| discount_label(d, s)),
            tax_total: priced.tax_total.0,
            taxes: priced
                .taxes
                .iter()
                .map(|t| TaxView {
                    tax_class: t.tax_class.clone(),
                    rate: format!("{}%", receipt::pct(t.rate_bp)),
                    base: t.base.0,
                    tax: t.tax.0,
                })
                .collect(),
            tax_mode: s.tax_mode.as_str().into(),
            total: priced.total.0,
            items: u32::try_from(items).unwrap_or(u32::MAX),
            price_changed,
            member,
            reward_points: self.reward_points()?,
        })
    }

    fn product_view(&self, p: &Product) -> AppResult<ProductView> {
        Ok(ProductView {
            sku: p.sku.clone(),
            name: p.name.clone(),
            price: p.price.0,
            weighed: p.sold_by == SoldBy::Weight,
            category: p.category.clone(),
            tax_class: p.tax_class.clone(),
            barcode: p.barcodes.first().map(|b| {
                // Stored as GTIN-14; show the EAN-13 or UPC the package carries.
                b.strip_prefix('0').unwrap_or(b).to_string()
            }),
            stock: self.till.stock(&p.sku)?.as_ref().map(stock_view),
        })
    }

    fn printout_for(&self, kind: &str, receipt_no: &str, text: String) -> Printout {
        Printout {
            title: format!("{} {}", kind, receipt_no),
            text,
            barcode: Some(receipt_no.to_string()),
        }
    }

    fn print(&self, p: &Printout, open_drawer: bool) -> Option<bool> {
        self.printer
            .as_ref()
            .map(|q| q.submit(printout::to_escpos(p, open_drawer)))
    }

    /// The receipt screen's view of a recorded sale, refund or void, queued for the
    /// printer when `print` (a cash tender also kicks the drawer).
    fn receipt_view(
        &self,
        kind: &str,
        receipt_no: &str,
        total: Money,
        text: String,
        tenders: &[Tender],
        print: bool,
    ) -> ReceiptView {
        let change: Money = tenders
            .iter()
            .map(|t| match t {
                Tender::Cash { change, .. } => *change,
                _ => Money(0),
            })
            .sum();
        let cash = tenders.iter().any(|t| matches!(t, Tender::Cash { .. }));
        let loyalty = self
            .till
            .receipt_loyalty(receipt_no, kind != "sale")
            .ok()
            .flatten();
        let mut text = text;
        if let Some(l) = &loyalty {
            text.push_str(&receipt::loyalty_text(l));
        }
        let title = match kind {
            "sale" => "Receipt",
            "refund" => "Refund",
            _ => "Void",
        };
        let printed = if print {
            self.print(&self.printout_for(title, receipt_no, text.clone()), cash)
        } else {
            None
        };
        ReceiptView {
            kind: kind.into(),
            receipt_no: receipt_no.to_string(),
            total: total.0,
            change: change.0,
            text,
            printed,
            print_error: None,
            opens_drawer: cash,
            loyalty: loyalty.map(|l| LoyaltyReceiptView {
                member_id: l.member_id,
                name: l.name,
                earned: l.earned,
                redeemed: l.redeemed,
                reversed: l.reversed,
                returned: l.returned,
                balance: l.balance,
            }),
        }
    }

    fn sale_receipt(&self, event: &Event, body: &SaleCompleted, print: bool) -> ReceiptView {
        let text = receipt::sale_text(self.settings(), event, body);
        self.receipt_view(
            "sale",
            &body.receipt_no,
            body.total,
            text,
            &body.tenders,
            print,
        )
    }

    fn refund_receipt(&self, event: &Event, body: &SaleRefunded, print: bool) -> ReceiptView {
        let text = receipt::refund_text(self.settings(), event, body);
        self.receipt_view(
            "refund",
            &body.receipt_no,
            body.total,
            text,
            &body.tenders,
            print,
        )
    }

    /// The receipt as recorded in the journal.
    fn recorded_receipt(&self, receipt_no: &str, print: bool) -> AppResult<ReceiptView> {
        let (kind, body) = self
            .till
            .store()
            .journal_entry_by_receipt(receipt_no)?
            .ok_or_else(|| {
                AppError::not_found(format!(
                    "no receipt number {} on this till",
                    receipt_no.trim()
                ))
            })?;
        let internal = |e: serde_json::Error| AppError::new(ErrorCode::Storage, e.to_string());
        if kind == "sale" {
            let env: Envelope<SaleCompleted> = serde_json::from_str(&body).map_err(internal)?;
            let event = Event {
                header: env.header,
                body: EventBody::SaleCompleted(env.body.clone()),
            };
            Ok(self.sale_receipt(&event, &env.body, print))
        } else {
            let env: Envelope<SaleRefunded> = serde_json::from_str(&body).map_err(internal)?;
            let event = Event {
                header: env.header,
                body: EventBody::SaleRefunded(env.body.clone()),
            };
            Ok(self.refund_receipt(&event, &env.body, print))
        }
    }

    // ----- commands (one per entry of `ipc::commands!`) ------------------------------

    pub fn app_info(&mut self, _: Empty) -> AppResult<AppInfo> {
        let s = self.settings();
        Ok(AppInfo {
            store_id: s.config.store.store_id.clone(),
            till_id: s.config.store.till_id.clone(),
            currency: s.currency.code.clone(),
            currency_exponent: u32::from(s.currency.exponent),
            cash_rounding: s.config.store.cash_rounding,
            tax_mode: s.tax_mode.as_str().into(),
            version: env!("CARGO_PKG_VERSION").into(),
            demo: self.demo,
            printer: s.config.till.printer.clone(),
            auto_lock_secs: s.config.till.auto_lock_minutes.saturating_mul(60),
            discount_approval_percent: s.config.till.discount_approval_percent,
            language: s.config.till.language.clone(),
        })
    }

    pub fn sign_in(&mut self, a: SignInArgs) -> AppResult<SessionView> {
        let user = self.till.sign_in(a.user_id.trim(), &a.pin)?;
        tracing::info!(user = %user.user_id, "signed in");
        self.last_activity = self.till.now();
        self.session = Some(Session {
            user: user.clone(),
            locked: false,
        });
        self.session_view(&user)
    }

    pub fn sign_out(&mut self, _: Empty) -> AppResult<bool> {
        if let Some(s) = self.session.take() {
            tracing::info!(user = %s.user.user_id, "signed out");
        }
        Ok(true)
    }

    pub fn lock(&mut self, _: Empty) -> AppResult<bool> {
        if let Some(s) = self.session.as_mut() {
            s.locked = true;
        }
        Ok(true)
    }

    pub fn session(&mut self, _: Empty) -> AppResult<SessionView> {
        let user = self.user()?;
        self.session_view(&user)
    }

    pub fn open_shift(&mut self, a: OpenShiftArgs) -> AppResult<ShiftView> {
        let user = self.user()?;
        let float = self.settings().currency.parse_amount(a.float.trim())?;
        self.till.open_shift(&user.user_id, float)?;
        self.links.wake();
        let shift = self.till.current_shift()?.ok_or_else(|| {
            AppError::new(
                ErrorCode::Internal,
                "the shift was opened but cannot be read back",
            )
        })?;
        Ok(shift_view(&shift))
    }

    pub fn shift_report(&mut self, _: Empty) -> AppResult<ReportView> {
        self.user()?;
        let r = self.till.shift_report()?;
        Ok(report_view(self.settings(), &r))
    }

    pub fn close_shift(&mut self, a: CloseShiftArgs) -> AppResult<ReportView> {
        self.user()?;
        if !self.ticket.lines.is_empty() {
            return Err(AppError::new(
                ErrorCode::NotAllowed,
                "finish or clear the open ticket before closing the shift",
            ));
        }
        let kind = match a.kind.to_ascii_lowercase().as_str() {
            "x" => ReportKind::X,
            "z" => ReportKind::Z,
            other => {
                return Err(AppError::invalid(format!(
                    "'{other}' is not a report: X or Z"
                )))
            }
        };
        let counted = self.settings().currency.parse_amount(a.counted.trim())?;
        let r = self.till.close_shift(counted, kind)?;
        self.links.wake();
        let view = report_view(self.settings(), &r.body.report);
        let p = Printout {
            title: format!("{} report", view.kind),
            text: view.text.clone(),
            barcode: None,
        };
        self.print(&p, false);
        Ok(view)
    }

    pub fn ticket(&mut self, _: Empty) -> AppResult<TicketView> {
        self.user()?;
        self.ticket_view()
    }

    pub fn add_item(&mut self, a: AddItemArgs) -> AppResult<TicketView> {
        self.user()?;
        if self.till.current_shift()?.is_none() {
            return Err(AppError::new(
                ErrorCode::NoOpenShift,
                "open a shift with a cash float before selling",
            ));
        }
        let product = match self.till.lookup(&a.code) {
            Ok(p) => p,
            Err(e) if e.code == ErrorCode::NotFound => {
                // Not a product: a loyalty card scanned at any time puts the member on
                // the sale.
                if let Ok(m) = self.till.member(&a.code) {
                    if m.member.card_ids.iter().any(|c| c == a.code.trim()) {
                        return self.attach_member(MemberArgs { key: a.code });
                    }
                }
                return Err(e);
            }
            Err(e) => return Err(e),
        };
        let quantity = match (a.quantity.as_deref().map(str::trim), product.sold_by) {
            (Some(q), _) if !q.is_empty() => parse_quantity(q)?,
            (_, SoldBy::Unit) => Quantity::Units(1),
            (_, SoldBy::Weight) => {
                return Err(AppError::new(
                    ErrorCode::NeedsWeight,
                    format!(
                        "{} is sold by weight: weigh it and enter the weight",
                        product.name
                    ),
                ))
            }
        };
        // Scanning the same item again adds to its line (unless that line has a discount
        // or the price changed in between).
        let same = self.ticket.lines.last().and_then(|l| {
            (l.sku == product.sku
                && l.discount.is_none()
                && l.unit_price == product.price
                && matches!(
                    (l.quantity, quantity),
                    (Quantity::Units(_), Quantity::Units(_))
                ))
            .then_some((l.line_no, l.quantity.amount()))
        });
        match same {
            Some((line_no, had)) => self
                .ticket
                .set_quantity(line_no, Quantity::Units(had + quantity.amount()))?,
            None => {
                self.ticket.add(&product, quantity)?;
            }
        }
        self.ticket_view()
    }

    pub fn set_quantity(&mut self, a: SetQuantityArgs) -> AppResult<TicketView> {
        self.user()?;
        let q = parse_quantity(&a.quantity)?;
        self.ticket.set_quantity(a.line_no, q)?;
        self.ticket_view()
    }

    pub fn void_line(&mut self, a: LineArgs) -> AppResult<TicketView> {
        self.user()?;
        self.ticket.void_line(a.line_no)?;
        self.rewards.remove(&a.line_no);
        self.ticket_view()
    }

    pub fn set_discount(&mut self, a: DiscountArgs) -> AppResult<TicketView> {
        self.user()?;
        let discount = match a.discount.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(d) => Some(parse_discount(d, &self.settings().currency)?),
        };
        if let Some(d) = &discount {
            let priced = self.priced()?;
            let base = match a.line_no {
                Some(n) => priced
                    .lines
                    .iter()
                    .find(|l| l.line_no == n)
                    .map(|l| l.gross)
                    .ok_or_else(|| AppError::not_found(format!("no line {n} on the ticket")))?,
                None => priced.lines.iter().map(|l| l.gross - l.line_discount).sum(),
            };
            let limit = i64::from(self.settings().config.till.discount_approval_percent) * 100;
            if discount_bp(d, base) > limit {
                let Some(approval) = &a.approval else {
                    return Err(AppError::new(
                        ErrorCode::ApprovalRequired,
                        format!("a discount above {}% needs a supervisor's PIN", limit / 100),
                    ));
                };
                let by = self.till.approver(approval.user_id.trim(), &approval.pin)?;
                tracing::info!(approved_by = %by.user_id(), "discount above the limit approved");
                let bp =
                    discount_bp(d, base).max(self.discount_approval.as_ref().map_or(0, |a| a.1));
                self.discount_approval = Some((by, bp));
            }
        }
        match a.line_no {
            Some(n) => {
                self.ticket.set_line_discount(n, discount)?;
                // A new discount on a reward line ends the reward.
                self.rewards.remove(&n);
            }
            None => self.ticket.set_cart_discount(discount)?,
        }
        // A discount that cannot apply (more than the line) is refused here, not at payment.
        if let Err(e) = self.priced() {
            match a.line_no {
                Some(n) => self.ticket.set_line_discount(n, None)?,
                None => self.ticket.set_cart_discount(None)?,
            }
            return Err(e);
        }
        self.ticket_view()
    }

    pub fn clear_ticket(&mut self, _: Empty) -> AppResult<TicketView> {
        self.user()?;
        self.ticket = Cart::new();
        self.member = None;
        self.rewards.clear();
        self.discount_approval = None;
        self.ticket_view()
    }

    /// Gives a ticket line to the member as a reward for points (free on the ticket), or
    /// takes the reward back.
    pub fn redeem_reward(&mut self, a: LineArgs) -> AppResult<TicketView> {
        self.user()?;
        if self.rewards.remove(&a.line_no) {
            self.ticket.set_line_discount(a.line_no, None)?;
            return self.ticket_view();
        }
        let Some(member) = self.member.clone() else {
            return Err(AppError::new(
                ErrorCode::NotAllowed,
                "scan the member's card before giving a reward",
            ));
        };
        let line = self
            .ticket
            .lines
            .iter()
            .find(|l| l.line_no == a.line_no)
            .ok_or_else(|| AppError::not_found(format!("no line {} on the ticket", a.line_no)))?;
        let Some(cost) = self
            .settings()
            .config
            .loyalty
            .rewards
            .get(&line.sku)
            .copied()
        else {
            return Err(AppError::new(
                ErrorCode::NotAllowed,
                format!("{} is not a reward item", line.name),
            ));
        };
        let Quantity::Units(q) = line.quantity else {
            return Err(AppError::new(
                ErrorCode::NotAllowed,
                format!("{} is weighed: it cannot be a reward", line.name),
            ));
        };
        let wanted = cost.saturating_mul(q) + self.reward_points()?;
        let available = self.till.member(&member)?.available;
        if wanted > available {
            return Err(AppError::new(
                ErrorCode::PaymentRefused,
                format!("the rewards need {wanted} points; the member has {available} available"),
            ));
        }
        self.ticket
            .set_line_discount(a.line_no, Some(Discount::Percent { bp: 10_000 }))?;
        self.rewards.insert(a.line_no);
        self.ticket_view()
    }

    /// Points the ticket's rewards cost.
    fn reward_points(&self) -> AppResult<i64> {
        let rewards = &self.settings().config.loyalty.rewards;
        Ok(self
            .ticket
            .lines
            .iter()
            .filter(|l| self.rewards.contains(&l.line_no))
            .map(|l| {
                rewards
                    .get(&l.sku)
                    .copied()
                    .unwrap_or(0)
                    .saturating_mul(l.quantity.amount())
            })
            .sum())
    }

    pub fn find_members(&mut self, a: FindMembersArgs) -> AppResult<Vec<MemberView>> {
        self.user()?;
        let found = self.till.find_members(&a.text, 20)?;
        Ok(found.iter().map(|m| self.member_view(m)).collect())
    }

    pub fn attach_member(&mut self, a: MemberArgs) -> AppResult<TicketView> {
        self.user()?;
        let m = self.till.member(&a.key)?;
        if !m.member.active {
            return Err(AppError::new(
                ErrorCode::NotAllowed,
                format!(
                    "{}'s membership ({}) is closed: it cannot earn or redeem points",
                    m.member.name, m.member.member_id
                ),
            ));
        }
        self.member = Some(m.member.member_id);
        self.ticket_view()
    }

    pub fn detach_member(&mut self, _: Empty) -> AppResult<TicketView> {
        self.user()?;
        self.member = None;
        // Rewards were the member's: their lines go back to full price.
        for line_no in std::mem::take(&mut self.rewards) {
            self.ticket.set_line_discount(line_no, None)?;
        }
        self.ticket_view()
    }

    pub fn enrol_member(&mut self, a: EnrolArgs) -> AppResult<TicketView> {
        self.user()?;
        let r = self.till.enrol(
            &a.name,
            a.phone.as_deref(),
            a.email.as_deref(),
            a.card_id.as_deref(),
        )?;
        self.links.wake();
        self.member = Some(r.body.member_id);
        self.ticket_view()
    }

    pub fn search(&mut self, a: SearchArgs) -> AppResult<Vec<ProductView>> {
        self.user()?;
        let limit = usize::try_from(a.limit.clamp(1, 200)).unwrap_or(50);
        let found = match self.till.search_products(&a.text, limit) {
            Ok(f) => f,
            // A half-typed barcode is not an error while searching.
            Err(e) if matches!(e.code, ErrorCode::InvalidBarcode | ErrorCode::NotFound) => {
                Vec::new()
            }
            Err(e) => return Err(e),
        };
        found.iter().map(|p| self.product_view(p)).collect()
    }

    pub fn categories(&mut self, _: Empty) -> AppResult<Vec<CategoryView>> {
        self.user()?;
        let version = self.links.data_version();
        if let Some((v, cached)) = &self.categories {
            if *v == version && !cached.is_empty() {
                return Ok(cached.clone());
            }
        }
        let fresh: Vec<CategoryView> = self
            .till
            .store()
            .categories()?
            .into_iter()
            .map(|(name, n)| CategoryView {
                name,
                products: u32::try_from(n).unwrap_or(u32::MAX),
            })
            .collect();
        self.categories = Some((version, fresh.clone()));
        Ok(fresh)
    }

    pub fn category_products(&mut self, a: CategoryArgs) -> AppResult<Vec<ProductView>> {
        self.user()?;
        let found = self.till.store().products_in_category(&a.name, 200)?;
        found.iter().map(|p| self.product_view(p)).collect()
    }

    pub fn pay(&mut self, a: PayArgs) -> AppResult<ReceiptView> {
        self.user()?;
        let free = !self.ticket.lines.is_empty() && self.priced()?.total.is_zero();
        if a.tenders.is_empty() && !free {
            return Err(AppError::invalid("choose how the customer pays"));
        }
        let member = self.member.clone();
        let tenders = a
            .tenders
            .iter()
            .filter(|_| !free)
            .map(|t| tender_input(t, self.settings(), self.till.now(), member.as_deref()))
            .collect::<AppResult<Vec<_>>>()?;
        // One supervisor's PIN at payment approves what the sale needs: points above the
        // offline caps, and discounts above the limit not covered by an earlier approval.
        let proven = match &a.approval {
            Some(ap) => Some(self.till.approver(ap.user_id.trim(), &ap.pin)?),
            None => None,
        };
        let approver = proven.as_ref().map(|p| p.user_id().to_string());
        let rewards: Vec<u32> = self.rewards.iter().copied().collect();
        let given = crate::till::max_discount_bp(&self.ticket, &self.priced()?, &rewards);
        let discount_approver = match &self.discount_approval {
            Some((by, covered)) if given <= *covered => Some(by.clone()),
            _ => proven.clone(),
        };
        let recorded = self.till.sell_cart(
            &self.ticket,
            &tenders,
            &SaleOptions {
                member_id: member,
                confirm_out_of_stock: a.confirm_out_of_stock,
                loyalty_approved_by: approver,
                rewards,
                discount_approver,
            },
        )?;
        // Durable from here on: the next customer can be served.
        self.ticket = Cart::new();
        self.member = None;
        self.rewards.clear();
        self.discount_approval = None;
        self.links.wake();
        Ok(self.sale_receipt(&recorded.event, &recorded.body, true))
    }

    pub fn reprint(&mut self, a: ReceiptArgs) -> AppResult<ReceiptView> {
        self.user()?;
        let mut r = self.recorded_receipt(&a.receipt_no, false)?;
        let p = self.printout_for("Copy of receipt", &r.receipt_no, r.text.clone());
        r.printed = self.print(&p, false);
        if r.printed.is_none() {
            r.print_error = Some("no receipt printer is configured: save it as a PDF".into());
        }
        Ok(r)
    }

    pub fn receipt_pdf(&mut self, a: ReceiptArgs) -> AppResult<PdfView> {
        self.user()?;
        let r = self.recorded_receipt(&a.receipt_no, false)?;
        let p = self.printout_for(
            if r.kind == "sale" {
                "Receipt"
            } else {
                "Refund"
            },
            &r.receipt_no,
            r.text,
        );
        std::fs::create_dir_all(&self.receipts_dir).map_err(|e| {
            AppError::new(
                ErrorCode::Storage,
                format!("cannot create {}: {e}", self.receipts_dir.display()),
            )
        })?;
        let safe: String = r
            .receipt_no
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let path = self.receipts_dir.join(format!("receipt-{safe}.pdf"));
        std::fs::write(&path, printout::to_pdf(&p)).map_err(|e| {
            let code = if e.raw_os_error() == Some(28) {
                ErrorCode::DiskFull
            } else {
                ErrorCode::Storage
            };
            AppError::new(code, format!("cannot write {}: {e}", path.display()))
        })?;
        Ok(PdfView {
            path: path.display().to_string(),
        })
    }

    pub fn find_sale(&mut self, a: ReceiptArgs) -> AppResult<SaleLookup> {
        self.user()?;
        let (sale, done) = self.till.sale_with_refunds(&a.receipt_no)?;
        let shift = self.till.current_shift()?;
        let lines = sale
            .lines
            .iter()
            .map(|l| {
                let refunded = done
                    .iter()
                    .find(|(n, _)| *n == l.line_no)
                    .map(|(_, q)| *q)
                    .unwrap_or(0);
                SoldLineView {
                    line_no: l.line_no,
                    sku: l.sku.clone(),
                    name: l.name.clone(),
                    weighed: matches!(l.quantity, Quantity::Grams(_)),
                    sold: l.quantity.amount(),
                    refunded,
                    refundable: refundable(l, &done).amount(),
                    total: l.total.0,
                }
            })
            .collect();
        Ok(SaleLookup {
            receipt_no: sale.receipt_no.clone(),
            total: sale.total.0,
            voided: sale.voided,
            can_void: !sale.voided
                && done.is_empty()
                && shift.is_some_and(|s| s.shift_id == sale.shift_id),
            lines,
        })
    }

    pub fn refund(&mut self, a: RefundArgs) -> AppResult<ReceiptView> {
        self.user()?;
        let approver = self.approver(&a.approval)?;
        let mut tender = tender_input(&a.tender, self.settings(), self.till.now(), None)?;
        // The money goes back in full: no "tendered" amount on a refund.
        if let TenderInput::Cash { tendered } = &mut tender {
            *tendered = None;
        }
        let scope = match &a.lines {
            None => RefundScope::All,
            Some(lines) => {
                let (sale, _) = self.till.sale_with_refunds(&a.receipt_no)?;
                let mut out = Vec::new();
                for l in lines.iter().filter(|l| l.quantity != 0) {
                    let sold = sale
                        .lines
                        .iter()
                        .find(|s| s.line_no == l.line_no)
                        .ok_or_else(|| {
                            AppError::not_found(format!(
                                "receipt {} has no line {}",
                                sale.receipt_no, l.line_no
                            ))
                        })?;
                    if l.quantity < 0 {
                        return Err(AppError::invalid("a refund quantity cannot be negative"));
                    }
                    out.push(RefundRequestLine {
                        line_no: l.line_no,
                        quantity: sold.quantity.with_amount(l.quantity),
                    });
                }
                if out.is_empty() {
                    return Err(AppError::invalid("choose at least one item to refund"));
                }
                RefundScope::Lines(out)
            }
        };
        let r = self.till.refund(&RefundRequest {
            receipt_no: a.receipt_no.trim().to_string(),
            scope,
            tender,
            reason: a.reason,
            approved_by: Some(approver.user_id),
        })?;
        self.links.wake();
        Ok(self.refund_receipt(&r.event, &r.body, true))
    }

    pub fn void_sale(&mut self, a: VoidArgs) -> AppResult<ReceiptView> {
        self.user()?;
        let approver = self.approver(&a.approval)?;
        let r = self
            .till
            .void(&a.receipt_no, &a.reason, Some(&approver.user_id))?;
        self.links.wake();
        let text = receipt::void_text(self.settings(), &r.event, &r.body);
        // A void gives no change and opens no drawer: no tenders on its receipt view.
        Ok(self.receipt_view("void", &r.body.receipt_no, r.body.total, text, &[], true))
    }

    pub fn open_drawer(&mut self, a: DrawerArgs) -> AppResult<bool> {
        self.user()?;
        let approver = self.approver(&a.approval)?;
        self.till.open_drawer(&a.reason, Some(&approver.user_id))?;
        self.links.wake();
        if let Some(q) = &self.printer {
            q.submit(DRAWER_KICK.to_vec());
        }
        Ok(true)
    }

    pub fn status(&mut self, _: Empty) -> AppResult<StatusView> {
        let now = self.till.now();
        let outbox = self.till.outbox_status()?;
        let relay = self.links.relay();
        self.lock_if_idle(now);
        let printer = self
            .printer
            .as_ref()
            .and_then(|q| q.state.lock().ok().map(|s| (q.addr.clone(), s.clone())));
        Ok(StatusView {
            // A refusal is an answer: the cluster is there, it will not take the events.
            online: relay
                .as_ref()
                .is_some_and(|r| r.connected || r.refused.is_some()),
            last_error: outbox
                .last_error
                .clone()
                .or_else(|| relay.as_ref().and_then(|r| r.last_error.clone())),
            outbox_pending: outbox.pending,
            oldest_pending_secs: outbox
                .oldest_pending_at
                .map(|t| (now - t).num_seconds().max(0)),
            last_sent_at: outbox.last_published_at.map(ts),
            streams: self
                .links
                .streams()
                .into_iter()
                .map(|t| StreamView {
                    topic: t.topic,
                    kind: t.kind,
                    lag: t.lag,
                    last_applied_at: t.last_applied_at.map(ts),
                    quarantined: t.quarantined,
                })
                .collect(),
            data_version: self.links.data_version(),
            signed_in: self.session.as_ref().is_some_and(|s| !s.locked),
            locked: self.session.as_ref().is_some_and(|s| s.locked),
            printer_error: printer
                .and_then(|(addr, s)| s.last_error.map(|e| format!("{addr}: {e}"))),
            report_version: self.links.report_version(),
            write_refused: relay
                .as_ref()
                .and_then(|r| r.refused.as_ref())
                .map(|r| RefusedView {
                    topic: r.topic.clone(),
                    error: r.error.clone(),
                }),
            relay_problem: relay.as_ref().and_then(|r| {
                r.stopped
                    .clone()
                    .map(|m| RelayProblemView {
                        stopped: true,
                        message: m,
                    })
                    .or_else(|| {
                        r.store_error.clone().map(|m| RelayProblemView {
                            stopped: false,
                            message: m,
                        })
                    })
            }),
            blocked: outbox.blocked.map(|b| BlockedView {
                till_seq: b.till_seq,
                event_type: b.event_type,
                topic: b.topic,
                attempts: b.attempts,
                error: b.error,
            }),
        })
    }

    pub fn users(&mut self, _: Empty) -> AppResult<Vec<UserView>> {
        let me = self.user()?;
        if me.role != Role::Manager {
            return Err(AppError::new(
                ErrorCode::NotAllowed,
                "only a manager can see the till's users",
            ));
        }
        Ok(self.till.users()?.iter().map(user_view).collect())
    }

    fn manager_reports(&mut self) -> AppResult<&Reports> {
        let me = self.user()?;
        if me.role != Role::Manager {
            return Err(AppError::new(
                ErrorCode::NotAllowed,
                "only a manager can see the store's figures",
            ));
        }
        self.reports.as_ref().ok_or_else(|| {
            AppError::new(
                ErrorCode::InvalidConfig,
                "the store's figures are not available on this till (no reporting store)",
            )
        })
    }

    fn report_query(&mut self, a: &ReportArgs) -> AppResult<ReportQuery> {
        let now = self.till.now();
        let r = self.manager_reports()?;
        ReportQuery::parse(
            a.date.as_deref(),
            a.from.as_deref(),
            a.to.as_deref(),
            a.till.as_deref(),
            a.cashier.as_deref(),
            r.today(now),
        )
    }

    pub fn report_options(&mut self, _: Empty) -> AppResult<ReportOptionsView> {
        let now = self.till.now();
        let r = self.manager_reports()?;
        let (tills, cashiers, _) = r.options()?;
        Ok(ReportOptionsView {
            today: r.today(now).to_string(),
            tills,
            cashiers,
        })
    }

    pub fn report_summary(&mut self, a: ReportArgs) -> AppResult<SummaryView> {
        let q = self.report_query(&a)?;
        let r = self.manager_reports()?.summary(&q)?;
        let s = self.settings();
        let x = &r.summary;
        Ok(SummaryView {
            from: q.from.to_string(),
            to: q.to.to_string(),
            till: q.till.clone(),
            cashier: q.cashier.clone(),
            net_sales: x.net_sales.0,
            transactions: x.transactions,
            average_basket: x.average_basket.0,
            sales_count: x.sales_count,
            sales_total: x.sales_total.0,
            voids_count: x.voids_count,
            voids_total: x.voids_total.0,
            refunds_count: x.refunds_count,
            refunds_total: x.refunds_total.0,
            tax_total: x.tax_total.0,
            discount_total: x.discount_total.0,
            items_sold: x.items_sold,
            drawer_opens: x.drawer_opens,
            member_sales: x.member_sales,
            points_redeemed: x.points_redeemed,
            points_issued: x.points_issued,
            enrolments: x.enrolments,
            by_hour: x
                .by_hour
                .iter()
                .map(|h| HourView {
                    hour: h.hour,
                    transactions: h.transactions,
                    net: h.net.0,
                })
                .collect(),
            tenders: x
                .tenders
                .iter()
                .map(|t| TenderMixView {
                    kind: t.kind.clone(),
                    count: t.count,
                    amount: t.amount.0,
                })
                .collect(),
            top_products: x
                .products
                .iter()
                .take(10)
                .map(|p| ProductSalesView {
                    sku: p.sku.clone(),
                    name: p.name.clone(),
                    quantity: if p.grams != 0 && p.units == 0 {
                        Quantity::Grams(p.grams).to_string()
                    } else {
                        p.units.to_string()
                    },
                    net: p.net.0,
                })
                .collect(),
            tills: x.tills.iter().map(group_view).collect(),
            cashiers: x.cashiers.iter().map(group_view).collect(),
            exceptions: x
                .exceptions
                .iter()
                .map(|e| ExceptionView {
                    kind: e.kind.clone(),
                    till_id: e.till_id.clone(),
                    cashier_id: e.cashier_id.clone(),
                    at: e
                        .occurred_at
                        .with_timezone(&s.timezone)
                        .format("%Y-%m-%d %H:%M")
                        .to_string(),
                    receipt_no: e.receipt_no.clone(),
                    amount: e.amount.0,
                    reason: e.reason.clone(),
                    approved_by: e.approved_by.clone(),
                })
                .collect(),
            gaps: gap_views(&r.gaps),
        })
    }

    pub fn report_shifts(&mut self, a: ShiftsArgs) -> AppResult<ShiftsView> {
        let kind = shifts_kind(&a.kind)?;
        let q = self.report_query(&a.filter)?;
        let r = self.manager_reports()?.shifts(kind, &q)?;
        let s = self.settings();
        let shifts = r
            .shifts
            .iter()
            .map(|d| {
                let rep = match kind {
                    ShiftsKind::Z => d.printed.as_ref().unwrap_or(&d.report),
                    ShiftsKind::X => &d.report,
                };
                ShiftReportView {
                    till_id: d.till_id.clone(),
                    shift_id: rep.shift_id.to_string(),
                    kind: if rep.kind == ReportKind::Z { "Z" } else { "X" }.into(),
                    interim: d.printed.is_none(),
                    cashier_id: rep.cashier_id.clone(),
                    business_date: rep.business_date.to_string(),
                    opened_at: ts(rep.opened_at),
                    closed_at: rep.closed_at.map(ts),
                    opening_float: rep.opening_float.0,
                    sales_count: rep.sales_count,
                    sales_total: rep.sales_total.0,
                    voids_count: rep.voids_count,
                    voids_total: rep.voids_total.0,
                    refunds_count: rep.refunds_count,
                    refunds_total: rep.refunds_total.0,
                    net_sales: rep.net_sales.0,
                    tax_total: rep.tax_total.0,
                    discount_total: rep.discount_total.0,
                    drawer_opens: rep.drawer_opens,
                    tenders: tender_mix(&rep.tenders),
                    expected_cash: rep.expected_cash.0,
                    counted_cash: rep.counted_cash.map(|m| m.0),
                    over_short: rep.over_short.map(|m| m.0),
                    agrees: d.printed.as_ref().map(|_| d.differences.is_empty()),
                    differences: d.differences.clone(),
                    text: receipt::report_text(s, rep),
                }
            })
            .collect();
        let t = &r.store;
        Ok(ShiftsView {
            kind: a.kind.trim().to_lowercase(),
            from: q.from.to_string(),
            to: q.to.to_string(),
            shifts,
            store: StoreTotalsView {
                shifts: t.shifts,
                sales_count: t.sales_count,
                sales_total: t.sales_total.0,
                voids_count: t.voids_count,
                voids_total: t.voids_total.0,
                refunds_count: t.refunds_count,
                refunds_total: t.refunds_total.0,
                net_sales: t.net_sales.0,
                tax_total: t.tax_total.0,
                discount_total: t.discount_total.0,
                drawer_opens: t.drawer_opens,
                tenders: tender_mix(&t.tenders),
                opening_float: t.opening_float.0,
                expected_cash: t.expected_cash.0,
                counted_cash: t.counted_cash.0,
                over_short: t.over_short.0,
            },
            disagreements: u32::try_from(r.disagreements).unwrap_or(u32::MAX),
            open_tills: r.open_tills.clone(),
            gaps: gap_views(&r.gaps),
        })
    }

    pub fn report_tills(&mut self, _: Empty) -> AppResult<TillsView> {
        let now = self.till.now();
        let consumer = self.links.report_status();
        let r = self.manager_reports()?.tills(now)?;
        Ok(TillsView {
            tills: r
                .tills
                .iter()
                .map(|t| TillHealthView {
                    till_id: t.till_id.clone(),
                    online: !t.offline,
                    last_heartbeat_at: t.last_heartbeat_at.map(ts),
                    heartbeat_age_secs: t.heartbeat_age_secs,
                    outbox_backlog: t.outbox_backlog,
                    oldest_waiting_secs: t.oldest_waiting_age_secs,
                    last_event_at: ts(t.last_event_at),
                    events: t.events,
                    highest_seq: t.highest_seq,
                    gaps: t
                        .gaps
                        .iter()
                        .map(|(a, b)| GapView {
                            till_id: t.till_id.clone(),
                            first: *a,
                            last: *b,
                        })
                        .collect(),
                    app_version: t.app_version.clone(),
                    hq_days: t
                        .hq_days
                        .iter()
                        .map(|d| HqDayView {
                            business_date: d.business_date.to_string(),
                            state: d.state.into(),
                            missing: d.missing.clone(),
                            problems: d.problems.clone(),
                            updated_at: ts(d.updated_at),
                        })
                        .collect(),
                })
                .collect(),
            connected: consumer.as_ref().is_some_and(|c| c.connected),
            lag: consumer.as_ref().and_then(|c| c.lag),
            events: r.consumer.events,
            duplicates: r.consumer.duplicates,
            low_stock: r
                .low_stock
                .iter()
                .map(|l| LowStockView {
                    sku: l.sku.clone(),
                    name: l.name.clone(),
                    on_hand: l.on_hand,
                    low_stock_at: l.low_stock_at,
                })
                .collect(),
            quarantined: r
                .quarantined
                .iter()
                .map(|q| QuarantineView {
                    topic: q.topic.clone(),
                    partition: q.partition,
                    offset: q.offset,
                    reason: q.reason.clone(),
                    received_at: ts(q.received_at),
                })
                .collect(),
        })
    }

    pub fn report_export(&mut self, a: ExportArgs) -> AppResult<ExportView> {
        let format = a.format.trim().to_lowercase();
        if format != "csv" && format != "pdf" {
            return Err(AppError::invalid(format!(
                "'{}' is not an export format: use csv or pdf",
                a.format
            )));
        }
        let now = self.till.now();
        let which = a.report.trim().to_lowercase();
        let (name, text, csv) = match which.as_str() {
            "summary" => {
                let q = self.report_query(&a.filter)?;
                let r = self.manager_reports()?.summary(&q)?;
                let s = self.settings();
                (
                    format!("summary-{}", q.from),
                    reports::summary_text(s, &r),
                    reports::summary_csv(s, &r)?,
                )
            }
            "x" | "z" => {
                let kind = shifts_kind(&which)?;
                let q = self.report_query(&a.filter)?;
                let r = self.manager_reports()?.shifts(kind, &q)?;
                let s = self.settings();
                (
                    format!("{which}-{}", q.from),
                    reports::shifts_text(s, &r),
                    reports::shifts_csv(s, &r)?,
                )
            }
            "tills" => {
                let r = self.manager_reports()?.tills(now)?;
                (
                    format!("tills-{}", now.format("%Y-%m-%d")),
                    reports::tills_text(&r),
                    reports::tills_csv(&r)?,
                )
            }
            other => {
                return Err(AppError::invalid(format!(
                    "'{other}' is not a report: use summary, x, z or tills"
                )))
            }
        };
        let dir = self
            .receipts_dir
            .parent()
            .map(|p| p.join("reports"))
            .unwrap_or_else(|| PathBuf::from("reports"));
        std::fs::create_dir_all(&dir).map_err(|e| {
            AppError::new(
                ErrorCode::Storage,
                format!("cannot create {}: {e}", dir.display()),
            )
        })?;
        let stamp = now.format("%H%M%S");
        let path = dir.join(format!("{name}-{stamp}.{format}"));
        let bytes = if format == "pdf" {
            reports::to_pdf(&name, &text)
        } else {
            csv.into_bytes()
        };
        std::fs::write(&path, bytes).map_err(|e| {
            AppError::new(
                ErrorCode::Storage,
                format!("cannot write {}: {e}", path.display()),
            )
        })?;
        Ok(ExportView {
            path: path.display().to_string(),
        })
    }
}

fn shifts_kind(s: &str) -> AppResult<ShiftsKind> {
    match s.trim().to_lowercase().as_str() {
        "x" => Ok(ShiftsKind::X),
        "z" => Ok(ShiftsKind::Z),
        other => Err(AppError::invalid(format!(
            "'{other}' is not a report kind: use x or z"
        ))),
    }
}

fn group_view(g: &purser_core::report::GroupFigure) -> GroupView {
    GroupView {
        id: g.id.clone(),
        transactions: g.transactions,
        net: g.net.0,
        refunds_count: g.refunds_count,
        refunds_total: g.refunds_total.0,
        voids_count: g.voids_count,
        voids_total: g.voids_total.0,
    }
}

fn gap_views(gaps: &[(String, u64, u64)]) -> Vec<GapView> {
    gaps.iter()
        .map(|(t, a, b)| GapView {
            till_id: t.clone(),
            first: *a,
            last: *b,
        })
        .collect()
}
