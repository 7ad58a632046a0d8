//! The till's use cases. Each business action is one `Store::act` transaction that writes
//! the business rows, the journal entry and the outbox row together (see purser-store).
//!
//! Where a sale is recorded: `Till::sell`.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use purser_core::barcode::Gtin;
use purser_core::cart::{Cart, Discount, Quantity};
use purser_core::catalog::{Product, SoldBy};
use purser_core::clock::{Clock, IdGen};
use purser_core::events::{
    DrawerOpened, Event, EventBody, EventContext, SaleCompleted, SaleRefunded, SaleVoided,
    ShiftClosed, ShiftOpened, TillHeartbeat,
};
use purser_core::money::Money;
use purser_core::sale::{
    check_void, plan_refund, refund_service_charge, refundable, RefundError, RefundRequestLine,
};
use purser_core::shift::{ReportKind, ShiftHead, ShiftReport, Tally};
use purser_core::tender::{settle, settle_with_tip, Tender, TenderInput, TipInput};
use purser_store::{Action, JournalReport, OutboxStatus, ShiftRow, Store, TillIdentity};

use crate::config::Settings;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::loyalty::LoyaltyCtx;

/// A line to ring up: a SKU or barcode, a quantity (default 1 unit) and a discount.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineRequest {
    pub code: String,
    pub quantity: Option<Quantity>,
    pub discount: Option<Discount>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SaleRequest {
    pub lines: Vec<LineRequest>,
    pub discount: Option<Discount>,
    pub tenders: Vec<TenderInput>,
    pub member_id: Option<String>,
    /// The cashier confirmed selling items the till believes are out of stock.
    pub confirm_out_of_stock: bool,
    /// A supervisor's PIN approved redeeming points above the till's offline caps.
    pub loyalty_approver: Option<crate::users::Approver>,
    /// A supervisor's PIN approved discounts above the cashier's limit.
    pub discount_approver: Option<crate::users::Approver>,
}

/// How a cart is sold: the member on the sale and what the cashier confirmed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SaleOptions {
    pub member_id: Option<String>,
    pub confirm_out_of_stock: bool,
    /// A supervisor's PIN approved redeeming points above the till's offline caps.
    pub loyalty_approver: Option<crate::users::Approver>,
    /// Ticket lines given as rewards for points (free on the ticket; see
    /// `[loyalty] rewards`).
    pub rewards: Vec<u32>,
    /// A supervisor's PIN approved discounts above `[till] discount_approval_percent`.
    pub discount_approver: Option<crate::users::Approver>,
    /// The tab this sale pays, at the version the cart was read from: it is closed in the
    /// sale's own transaction (`crate::tabs`).
    pub tab: Option<crate::tabs::TabRef>,
    /// The user signed in at the till, when it is not the shift's cashier.
    pub served_by: Option<String>,
    /// A tip on top of the total, paid by the tenders of its kind.
    pub tip: Option<TipInput>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RefundScope {
    /// Everything still refundable on the receipt.
    All,
    Lines(Vec<RefundRequestLine>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefundRequest {
    pub receipt_no: String,
    pub scope: RefundScope,
    /// How the money goes back; `Cash { tendered: None }` for cash.
    pub tender: TenderInput,
    pub reason: String,
    /// The supervisor or manager whose PIN approved the refund ([`Till::approver`]).
    pub approver: crate::users::Approver,
}

/// A recorded event with its typed body, as the CLI and the window show it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recorded<T> {
    pub event: Event,
    pub body: T,
}

pub struct Till {
    settings: Settings,
    store: Store,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGen>,
    /// The key of the users' PIN hashes, read from `pin.key` when first needed.
    pin_key: std::sync::OnceLock<crate::users::PinKey>,
}

impl std::fmt::Debug for Till {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Till").field("store", &self.store).finish()
    }
}

fn identity(settings: &Settings) -> TillIdentity {
    TillIdentity {
        store_id: settings.config.store.store_id.clone(),
        till_id: settings.config.store.till_id.clone(),
        currency: settings.currency.clone(),
        tax_mode: settings.tax_mode,
    }
}

impl Till {
    /// Creates (or confirms) the till database for these settings.
    pub fn init(settings: &Settings, now: DateTime<Utc>) -> AppResult<()> {
        let mut store = Store::open(&settings.config.database)?;
        store.init_till(&identity(settings), now)?;
        Ok(())
    }

    /// Opens an initialised till; refuses a database that belongs to another till.
    pub fn open(settings: Settings, clock: Arc<dyn Clock>, ids: Arc<dyn IdGen>) -> AppResult<Till> {
        let mut store = Store::open(&settings.config.database)?;
        // An event larger than the cluster takes would block every later one: refuse it at
        // the till instead.
        store.set_max_event_bytes(settings.config.kafka.max_message_bytes());
        let want = identity(&settings);
        match store.identity()? {
            None => {
                return Err(AppError::new(
                    ErrorCode::NotConfigured,
                    format!("{} is not set up: run `purser init`", settings.config.database.display()),
                ))
            }
            Some(have) if have != want => {
                return Err(AppError::new(
                    ErrorCode::InvalidConfig,
                    format!(
                        "the database {} belongs to store {} till {} ({} {}), but the configuration says store {} till {} ({} {})",
                        settings.config.database.display(),
                        have.store_id,
                        have.till_id,
                        have.currency.code,
                        have.tax_mode.as_str(),
                        want.store_id,
                        want.till_id,
                        want.currency.code,
                        want.tax_mode.as_str()
                    ),
                ))
            }
            Some(_) => {}
        }
        Ok(Till {
            settings,
            store,
            clock,
            ids,
            pin_key: std::sync::OnceLock::new(),
        })
    }

    /// The till's PIN key (see `users`), made on first use.
    pub(crate) fn pin_key(&self) -> AppResult<crate::users::PinKey> {
        if let Some(k) = self.pin_key.get() {
            return Ok(k.clone());
        }
        let path = crate::users::pin_key_path(&self.settings.config.database);
        let key = crate::users::PinKey::load_or_create(&path)?;
        Ok(self.pin_key.get_or_init(|| key).clone())
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }
    pub fn database_path(&self) -> &std::path::Path {
        self.store.path()
    }
    /// The till's store, for use cases kept in other modules (`users.rs`).
    pub(crate) fn store(&self) -> &Store {
        &self.store
    }
    pub(crate) fn store_mut(&mut self) -> &mut Store {
        &mut self.store
    }

    fn business_date(&self, at: DateTime<Utc>) -> NaiveDate {
        at.with_timezone(&self.settings.timezone).date_naive()
    }

    pub(crate) fn ctx(&self, at: DateTime<Utc>, shift: Option<&ShiftRow>) -> EventContext {
        EventContext {
            store_id: self.settings.config.store.store_id.clone(),
            till_id: self.settings.config.store.till_id.clone(),
            occurred_at: at,
            business_date: shift
                .map(|s| s.business_date)
                .unwrap_or_else(|| self.business_date(at)),
            shift_id: shift.map(|s| s.shift_id),
            cashier_id: shift.map(|s| s.cashier_id.clone()),
        }
    }

    fn topic(&self, body: &EventBody) -> String {
        self.settings
            .config
            .topics
            .for_stream(body.stream())
            .to_string()
    }

    pub(crate) fn require_shift(&self) -> AppResult<ShiftRow> {
        self.store.open_shift()?.ok_or_else(|| {
            AppError::new(
                ErrorCode::NoOpenShift,
                "no shift is open on this till: open one with a cash float first",
            )
        })
    }

    pub fn current_shift(&self) -> AppResult<Option<ShiftRow>> {
        Ok(self.store.open_shift()?)
    }

    pub fn import_products(&mut self, products: &[Product]) -> AppResult<usize> {
        Ok(self.store.upsert_products(products, self.clock.now())?)
    }

    /// Finds a product by SKU, or by barcode (with check-digit validation).
    pub fn lookup(&self, code: &str) -> AppResult<Product> {
        let code = code.trim();
        if code.is_empty() {
            return Err(AppError::invalid("empty SKU or barcode"));
        }
        let looks_like_barcode =
            code.bytes().all(|b| b.is_ascii_digit()) && matches!(code.len(), 8 | 12 | 13 | 14);
        if !looks_like_barcode {
            if let Some(p) = self.store.product_by_sku(code)? {
                return Ok(p);
            }
            // Not barcode-shaped: a SKU that does not exist (numeric SKUs are common).
            return Err(AppError::not_found(format!("no product with SKU '{code}'")));
        }
        let gtin = Gtin::parse(code)?;
        if let Some(p) = self.store.product_by_gtin(gtin.as_str())? {
            return Ok(p);
        }
        if let Some(p) = self.store.product_by_sku(code)? {
            return Ok(p);
        }
        Err(AppError::not_found(format!(
            "no product with barcode {}",
            gtin.display()
        )))
    }

    pub fn open_shift(
        &mut self,
        cashier_id: &str,
        float: Money,
    ) -> AppResult<Recorded<ShiftOpened>> {
        let cashier = cashier_id.trim();
        if cashier.is_empty() || cashier.len() > 40 {
            return Err(AppError::invalid("cashier id must be 1-40 characters"));
        }
        // Published with every event of the shift.
        purser_core::tender::refuse_card_number(cashier)?;
        if float.is_negative() {
            return Err(AppError::invalid("the opening float cannot be negative"));
        }
        let now = self.clock.now();
        let shift = ShiftRow {
            shift_id: self.ids.new_id(),
            cashier_id: cashier.to_string(),
            business_date: self.business_date(now),
            opened_at: now,
            opening_float: float,
            closed_at: None,
        };
        let body = ShiftOpened {
            currency: self.settings.currency.code.clone(),
            opening_float: float,
        };
        let ctx = self.ctx(now, Some(&shift));
        let event_id = self.ids.new_id();
        let topic = self.topic(&EventBody::ShiftOpened(body.clone()));
        let event = self
            .store
            .act(now, |a: &mut Action<'_>| -> AppResult<Event> {
                a.open_shift(
                    shift.shift_id,
                    &shift.cashier_id,
                    shift.business_date,
                    now,
                    float,
                )?;
                Ok(a.emit(&ctx, event_id, EventBody::ShiftOpened(body.clone()), &topic)?)
            })?;
        Ok(Recorded { event, body })
    }

    /// Prices a cart from line requests (without recording anything).
    pub fn build_cart(&self, req: &SaleRequest) -> AppResult<Cart> {
        if req.lines.is_empty() {
            return Err(AppError::invalid("a sale needs at least one item"));
        }
        let mut cart = Cart::new();
        let rules = self.price_rules()?;
        for line in &req.lines {
            let product = self.lookup(&line.code)?;
            let q = match (line.quantity, product.sold_by) {
                (Some(q), _) => q,
                (None, SoldBy::Unit) => Quantity::Units(1),
                (None, SoldBy::Weight) => {
                    return Err(AppError::invalid(format!(
                        "{} is sold by weight: give its weight (e.g. 0.350kg)",
                        product.name
                    )))
                }
            };
            let n = self.ring_up_with(&mut cart, &product, q, &[], &rules)?;
            cart.set_line_discount(n, line.discount)?;
        }
        cart.set_cart_discount(req.discount)?;
        Ok(cart)
    }

    /// The store-local time now: what happy-hour rules are written in.
    pub fn local_now(&self) -> chrono::NaiveDateTime {
        self.clock
            .now()
            .with_timezone(&self.settings.timezone)
            .naive_local()
    }

    /// The happy-hour price rules the catalog stream brought.
    pub fn price_rules(&self) -> AppResult<Vec<purser_core::pricing::PriceRule>> {
        Ok(self.store.price_rules()?)
    }

    /// Rings a product up on a cart as this till prices it now: with the modifiers chosen
    /// (group id, option id), at the best happy-hour rule active at the store's local time.
    /// The line keeps that price for good, whenever it is paid.
    pub fn ring_up(
        &self,
        cart: &mut Cart,
        product: &Product,
        quantity: Quantity,
        choices: &[(String, String)],
    ) -> AppResult<u32> {
        self.ring_up_with(cart, product, quantity, choices, &self.price_rules()?)
    }

    /// [`Till::ring_up`] with the rules read once for a whole ticket or scan.
    pub fn ring_up_with(
        &self,
        cart: &mut Cart,
        product: &Product,
        quantity: Quantity,
        choices: &[(String, String)],
        rules: &[purser_core::pricing::PriceRule],
    ) -> AppResult<u32> {
        Ok(cart.add_with(product, quantity, choices, rules, self.local_now())?)
    }

    /// Records a completed sale: the sale, its lines and tenders, the journal entry and
    /// the outbox row, in one transaction. When this returns, the sale is durable.
    pub fn sell(&mut self, req: &SaleRequest) -> AppResult<Recorded<SaleCompleted>> {
        let cart = self.build_cart(req)?;
        self.sell_cart(
            &cart,
            &req.tenders,
            &SaleOptions {
                member_id: req.member_id.clone(),
                confirm_out_of_stock: req.confirm_out_of_stock,
                loyalty_approver: req.loyalty_approver.clone(),
                rewards: Vec::new(),
                discount_approver: req.discount_approver.clone(),
                tab: None,
                served_by: None,
                tip: None,
            },
        )
    }

    /// Records a sale of a cart rung up earlier (the window's ticket): the prices are the
    /// ones the cart was rung up at, even if the catalog changed since.
    pub fn sell_cart(
        &mut self,
        cart: &Cart,
        tenders: &[TenderInput],
        opts: &SaleOptions,
    ) -> AppResult<Recorded<SaleCompleted>> {
        let confirm_out_of_stock = opts.confirm_out_of_stock;
        let member_id = opts
            .member_id
            .as_deref()
            .map(str::trim)
            .filter(|m| !m.is_empty())
            .map(str::to_string);
        let approved_by = opts.loyalty_approver.as_ref().map(|a| a.user_id());
        let shift = self.require_shift()?;
        if cart.lines.is_empty() {
            return Err(AppError::invalid("a sale needs at least one item"));
        }
        let priced = self.settings.price(cart)?;
        let rewards = crate::loyalty::reward_lines(&self.settings, &priced, &opts.rewards)?;
        // The discount limit holds for the sale as it is recorded, whatever happened to
        // the ticket after a discount was typed (a line voided under a fixed discount).
        let limit_bp = i64::from(self.settings.config.till.discount_approval_percent) * 100;
        let given_bp = max_discount_bp(cart, &priced, &opts.rewards);
        let discount_approved_by = match &opts.discount_approver {
            _ if given_bp <= limit_bp => None,
            Some(a) => Some(a.user_id().to_string()),
            None => {
                return Err(AppError::new(
                    ErrorCode::ApprovalRequired,
                    format!(
                        "a discount of {}% is above the {}% a cashier may give: a supervisor's PIN must approve it",
                        crate::receipt::pct(u32::try_from(given_bp).unwrap_or(u32::MAX)),
                        limit_bp / 100
                    ),
                ))
            }
        };
        // A ticket that is all rewards costs nothing: no tender to take.
        let settlement = if priced.total.is_zero() && tenders.is_empty() {
            purser_core::tender::Settlement {
                tenders: Vec::new(),
                change: Money::ZERO,
                cash_rounding: Money::ZERO,
                tips: Vec::new(),
            }
        } else {
            settle_with_tip(
                priced.total,
                tenders,
                self.settings.config.store.cash_rounding,
                opts.tip,
            )?
        };
        let offline_cards: Money = settlement
            .tenders
            .iter()
            .filter(|t| matches!(t, Tender::Card { card, .. } if card.offline))
            .map(Tender::amount)
            .sum();
        let now = self.clock.now();
        let ctx = self.ctx(now, Some(&shift));
        let sale_id = self.ids.new_id();
        let event_id = self.ids.new_id();
        let limits = self.settings.offline_card;
        let currency = self.settings.currency.code.clone();
        let topic = self.settings.config.topics.payments.clone();
        let block_out_of_stock =
            self.settings.config.stock.out_of_stock == crate::config::OutOfStock::Block;
        let loyalty = LoyaltyCtx::new(&self.settings);
        let ids = self.ids.clone();
        let new_id = move || ids.new_id();
        let tab = opts.tab;
        let tab_event_id = self.ids.new_id();
        let served_by = opts
            .served_by
            .clone()
            .unwrap_or_else(|| shift.cashier_id.clone());
        let (event, body) = self.store.act(
            now,
            |a: &mut Action<'_>| -> AppResult<(Event, SaleCompleted)> {
                // The shift read above may have been closed since, by another process.
                a.require_open_shift(shift.shift_id)?;
                // Local stock as this transaction sees it (the sale below decrements it).
            let mut wanted: Vec<(String, String, i64)> = Vec::new();
            for l in &cart.lines {
                match wanted.iter_mut().find(|(sku, _, _)| *sku == l.sku) {
                    Some(w) => w.2 += l.quantity.amount(),
                    None => wanted.push((l.sku.clone(), l.name.clone(), l.quantity.amount())),
                }
            }
            for (sku, name, qty) in &wanted {
                if let Some((on_hand, _)) = a.stock(sku)? {
                    if on_hand < *qty {
                        let left = on_hand.max(0);
                        if block_out_of_stock {
                            return Err(AppError::new(ErrorCode::NotAllowed, format!("{name} is out of stock ({left} left); this store does not sell beyond its stock")));
                        }
                        if !confirm_out_of_stock {
                            return Err(AppError::new(ErrorCode::OutOfStock, format!("{name} is out of stock ({left} left): confirm to sell it anyway")));
                        }
                    }
                }
            }
            if !offline_cards.is_zero() {
                    let mut so_far = a.offline_card_total(shift.shift_id)?;
                    for t in settlement
                        .tenders
                        .iter()
                        .filter(|t| matches!(t, Tender::Card { card, .. } if card.offline))
                    {
                        limits.check(t.amount(), so_far)?;
                        so_far += t.amount();
                    }
                }
                let (member, available_before) = loyalty.check_sale(
                    a,
                    member_id.as_deref(),
                    &settlement.tenders,
                    &rewards,
                    ctx.business_date,
                    approved_by,
                )?;
                let mut body = SaleCompleted::new(
                    sale_id,
                    a.next_receipt_no(),
                    &currency,
                    cart.discount,
                    priced,
                    settlement,
                    member.as_ref().map(|m| m.member_id.clone()),
                );
                body.discount_approved_by = discount_approved_by;
                body.served_by = Some(served_by.clone());
                let event = a.emit(
                    &ctx,
                    event_id,
                    EventBody::SaleCompleted(body.clone()),
                    &topic,
                )?;
                a.insert_sale(&event, &body)?;
                loyalty.record_sale(
                    a,
                    &ctx,
                    event.header.till_seq,
                    &body,
                    member.as_ref(),
                    &rewards,
                    available_before,
                    approved_by,
                    &new_id,
                )?;
                if let Some(r) = tab {
                    crate::tabs::close_paid(a, &ctx, &topic, tab_event_id, r, cart, &body, &served_by)?;
                }
                Ok((event, body))
            },
        )?;
        Ok(Recorded { event, body })
    }

    /// Refunds all or part of an earlier sale of this till, never more than was sold.
    pub fn refund(&mut self, req: &RefundRequest) -> AppResult<Recorded<SaleRefunded>> {
        let shift = self.require_shift()?;
        if req.reason.trim().is_empty() {
            return Err(AppError::invalid("a refund needs a reason"));
        }
        purser_core::tender::refuse_card_number(&req.reason)?;
        let now = self.clock.now();
        let ctx = self.ctx(now, Some(&shift));
        let refund_id = self.ids.new_id();
        let event_id = self.ids.new_id();
        let currency = self.settings.currency.code.clone();
        let rounding = self.settings.config.store.cash_rounding;
        let topic = self.settings.config.topics.payments.clone();
        let loyalty = LoyaltyCtx::new(&self.settings);
        let point_value = self.settings.config.store.point_value;
        let ids = self.ids.clone();
        let new_id = move || ids.new_id();
        let (event, body) = self.store.act(
            now,
            |a: &mut Action<'_>| -> AppResult<(Event, SaleRefunded)> {
                // The shift read above may have been closed since, by another process.
                a.require_open_shift(shift.shift_id)?;
                let sale = a.sale_by_receipt(&req.receipt_no)?.ok_or_else(|| {
                    AppError::not_found(format!(
                        "no sale with receipt number {}",
                        req.receipt_no.trim()
                    ))
                })?;
                if sale.voided {
                    return Err(RefundError::Voided.into());
                }
                let done = a.refunded_quantities(sale.sale_id)?;
                let wanted: Vec<RefundRequestLine> = match &req.scope {
                    RefundScope::Lines(l) => l.clone(),
                    RefundScope::All => sale
                        .lines
                        .iter()
                        .map(|l| RefundRequestLine {
                            line_no: l.line_no,
                            quantity: refundable(l, &done),
                        })
                        .filter(|r| r.quantity.amount() > 0)
                        .collect(),
                };
                if wanted.is_empty() {
                    return Err(AppError::new(
                        ErrorCode::NotAllowed,
                        format!(
                            "everything on {} has already been refunded",
                            sale.receipt_no
                        ),
                    ));
                }
                let lines = plan_refund(&sale.lines, &done, &wanted)?;
                // The service charge goes back in proportion to the lines refunded.
                let service_charge = sale
                    .service_charge
                    .as_ref()
                    .map(|c| refund_service_charge(c, &sale.lines, &done, &wanted))
                    .filter(|r| !r.total.is_zero());
                let total: Money = lines.iter().map(|l| l.amount).sum::<Money>()
                    + service_charge.map_or(Money::ZERO, |c| c.total);
                let tax_total: Money = lines.iter().map(|l| l.tax).sum::<Money>()
                    + service_charge.map_or(Money::ZERO, |c| c.tax);
                // Points the sale redeemed go back as points, in proportion; the rest of
                // the money goes back the way the cashier chose.
                let mut refunded_after = done.clone();
                refunded_after.extend(lines.iter().map(|l| (l.line_no, l.quantity.amount())));
                let sale_loyalty = a.sale_loyalty(&sale.sale_id.to_string())?;
                let points_back = loyalty.refund_points(
                    a,
                    &sale_loyalty,
                    &sale,
                    total,
                    &done,
                    &refunded_after,
                )?;
                let mut tenders = Vec::with_capacity(2);
                let mut returned_points = 0;
                let mut money_back = total;
                if let Some((member_id, points, reward_points)) = points_back {
                    returned_points = points + reward_points;
                    if points > 0 {
                        let amount = Money(points.saturating_mul(point_value));
                        tenders.push(TenderInput::Points {
                            member_id,
                            points,
                            amount,
                        });
                        money_back -= amount;
                    }
                }
                if money_back.0 > 0 {
                    tenders.push(req.tender.clone());
                }
                // A free line (a reward) refunded on its own gives back no money.
                let settlement = if total.is_zero() {
                    purser_core::tender::Settlement {
                        tenders: Vec::new(),
                        change: Money::ZERO,
                        cash_rounding: Money::ZERO,
                        tips: Vec::new(),
                    }
                } else {
                    settle(total, &tenders, rounding)?
                };
                let body = SaleRefunded {
                    refund_id,
                    receipt_no: a.next_receipt_no(),
                    original_sale_id: sale.sale_id,
                    original_receipt_no: sale.receipt_no.clone(),
                    currency,
                    lines,
                    total,
                    tax_total,
                    cash_rounding: settlement.cash_rounding,
                    tenders: settlement.tenders,
                    reason: req.reason.trim().to_string(),
                    approved_by: Some(req.approver.user_id().to_string()),
                    service_charge,
                };
                let event = a.emit(
                    &ctx,
                    event_id,
                    EventBody::SaleRefunded(body.clone()),
                    &topic,
                )?;
                a.insert_refund(&event, &body)?;
                loyalty.record_reversal(
                    a,
                    &ctx,
                    event.header.till_seq,
                    &sale_loyalty,
                    &sale,
                    &body.receipt_no,
                    "refund",
                    &refunded_after,
                    returned_points,
                    &body.tenders,
                    &new_id,
                )?;
                Ok((event, body))
            },
        )?;
        Ok(Recorded { event, body })
    }

    /// Post-voids a sale of the open shift that has no refunds, as `approver`'s PIN
    /// approved.
    pub fn void(
        &mut self,
        receipt_no: &str,
        reason: &str,
        approver: &crate::users::Approver,
    ) -> AppResult<Recorded<SaleVoided>> {
        let approved_by = Some(approver.user_id());
        let shift = self.require_shift()?;
        if reason.trim().is_empty() {
            return Err(AppError::invalid("a void needs a reason"));
        }
        purser_core::tender::refuse_card_number(reason)?;
        let now = self.clock.now();
        let ctx = self.ctx(now, Some(&shift));
        let event_id = self.ids.new_id();
        let currency = self.settings.currency.code.clone();
        let topic = self.settings.config.topics.payments.clone();
        let loyalty = LoyaltyCtx::new(&self.settings);
        let ids = self.ids.clone();
        let new_id = move || ids.new_id();
        let (event, body) = self.store.act(
            now,
            |a: &mut Action<'_>| -> AppResult<(Event, SaleVoided)> {
                // The shift read above may have been closed since, by another process.
                a.require_open_shift(shift.shift_id)?;
                let sale = a.sale_by_receipt(receipt_no)?.ok_or_else(|| {
                    AppError::not_found(format!(
                        "no sale with receipt number {}",
                        receipt_no.trim()
                    ))
                })?;
                let has_refunds = !a.refunded_quantities(sale.sale_id)?.is_empty();
                check_void(sale.voided, has_refunds, sale.shift_id == shift.shift_id)?;
                let reason = reason.trim();
                a.void_sale(&sale, now, reason, approved_by)?;
                let body = SaleVoided {
                    sale_id: sale.sale_id,
                    receipt_no: sale.receipt_no.clone(),
                    currency,
                    total: sale.total,
                    tax_total: sale.tax_total,
                    tenders: sale.tenders.clone(),
                    reason: reason.to_string(),
                    approved_by: approved_by.map(str::to_string),
                };
                let event = a.emit(&ctx, event_id, EventBody::SaleVoided(body.clone()), &topic)?;
                // Everything the sale earned and redeemed goes back, and its charges.
                let all: Vec<(u32, i64)> = sale
                    .lines
                    .iter()
                    .map(|l| (l.line_no, l.quantity.amount()))
                    .collect();
                let sale_loyalty = a.sale_loyalty(&sale.sale_id.to_string())?;
                loyalty.record_reversal(
                    a,
                    &ctx,
                    event.header.till_seq,
                    &sale_loyalty,
                    &sale,
                    &body.receipt_no,
                    "void",
                    &all,
                    sale_loyalty.redeemed,
                    &sale.tenders,
                    &new_id,
                )?;
                Ok((event, body))
            },
        )?;
        Ok(Recorded { event, body })
    }

    /// A no-sale drawer open, journaled with the supervisor whose PIN approved it.
    pub fn open_drawer(
        &mut self,
        reason: &str,
        approver: &crate::users::Approver,
    ) -> AppResult<Recorded<DrawerOpened>> {
        let approved_by = Some(approver.user_id());
        let shift = self.require_shift()?;
        if reason.trim().is_empty() {
            return Err(AppError::invalid(
                "opening the drawer without a sale needs a reason",
            ));
        }
        purser_core::tender::refuse_card_number(reason)?;
        let now = self.clock.now();
        let ctx = self.ctx(now, Some(&shift));
        let event_id = self.ids.new_id();
        let body = DrawerOpened {
            reason: reason.trim().to_string(),
            approved_by: approved_by.map(str::to_string),
        };
        let topic = self.settings.config.topics.payments.clone();
        let event = self
            .store
            .act(now, |a: &mut Action<'_>| -> AppResult<Event> {
                a.require_open_shift(shift.shift_id)?;
                let event = a.emit(
                    &ctx,
                    event_id,
                    EventBody::DrawerOpened(body.clone()),
                    &topic,
                )?;
                a.insert_drawer_open(&event, &body.reason, approved_by)?;
                Ok(event)
            })?;
        Ok(Recorded { event, body })
    }

    /// The X report of the open shift, without closing it.
    pub fn shift_report(&self) -> AppResult<ShiftReport> {
        let shift = self.require_shift()?;
        let f = self.store.shift_tally(shift.shift_id)?;
        Ok(build_report(
            &self.settings.currency.code,
            &shift,
            &f,
            ReportKind::X,
            None,
        ))
    }

    /// Closes the open shift with the counted cash; X for a hand-over, Z at end of day.
    pub fn close_shift(
        &mut self,
        counted: Money,
        kind: ReportKind,
    ) -> AppResult<Recorded<ShiftClosed>> {
        let shift = self.require_shift()?;
        if counted.is_negative() {
            return Err(AppError::invalid("counted cash cannot be negative"));
        }
        let now = self.clock.now();
        let ctx = self.ctx(now, Some(&shift));
        let event_id = self.ids.new_id();
        let topic = self.settings.config.topics.tills.clone();
        let currency = self.settings.currency.code.clone();
        // Figures are read inside the closing transaction so no sale slips between them.
        let (event, report) = self.store.act(
            now,
            |a: &mut Action<'_>| -> AppResult<(Event, ShiftReport)> {
                let f = a.shift_tally(shift.shift_id)?;
                let report =
                    build_report(&currency, &shift, &f, kind, Some(now)).with_count(counted);
                let kind_code = if kind == ReportKind::Z { "Z" } else { "X" };
                a.close_shift(
                    shift.shift_id,
                    now,
                    counted,
                    kind_code,
                    &serde_json::to_string(&report)?,
                )?;
                let event = a.emit(
                    &ctx,
                    event_id,
                    EventBody::ShiftClosed(ShiftClosed {
                        report: report.clone(),
                    }),
                    &topic,
                )?;
                Ok((event, report))
            },
        )?;
        Ok(Recorded {
            event,
            body: ShiftClosed { report },
        })
    }

    /// Writes a till heartbeat (outbox backlog as of now) through the outbox.
    pub fn heartbeat(&mut self) -> AppResult<Event> {
        let now = self.clock.now();
        let shift = self.store.open_shift()?;
        let st = self.store.outbox_status()?;
        let body = TillHeartbeat {
            app_version: env!("CARGO_PKG_VERSION").to_string(),
            outbox_backlog: st.pending,
            oldest_unsent_at: st.oldest_pending_at,
            last_published_at: st.last_published_at,
        };
        let ctx = self.ctx(now, shift.as_ref());
        let event_id = self.ids.new_id();
        let topic = self.settings.config.topics.tills.clone();
        self.store
            .act(now, |a: &mut Action<'_>| -> AppResult<Event> {
                Ok(a.emit(&ctx, event_id, EventBody::TillHeartbeat(body), &topic)?)
            })
    }

    /// The till's local stock of a SKU, if the inventory stream describes it.
    pub fn stock(&self, sku: &str) -> AppResult<Option<purser_store::StockLevel>> {
        Ok(self.store.stock_of(sku)?)
    }

    /// Active products whose name or SKU contains `text`; a barcode finds its product.
    pub fn search_products(&self, text: &str, limit: usize) -> AppResult<Vec<Product>> {
        let found = self.store.search_products(text, limit)?;
        if found.is_empty()
            && !text.trim().is_empty()
            && text.trim().bytes().all(|b| b.is_ascii_digit())
        {
            return Ok(vec![self.lookup(text)?]);
        }
        Ok(found)
    }

    /// The catalog's categories with how many active products each holds.
    pub fn categories(&self) -> AppResult<Vec<(String, i64)>> {
        Ok(self.store.categories()?)
    }

    /// Active products of one category, by name.
    pub fn products_in_category(&self, category: &str, limit: usize) -> AppResult<Vec<Product>> {
        Ok(self.store.products_in_category(category, limit)?)
    }

    /// The journal's entry for a receipt number: its kind and the event's JSON.
    pub fn journal_entry_by_receipt(
        &self,
        receipt_no: &str,
    ) -> AppResult<Option<(String, String)>> {
        Ok(self.store.journal_entry_by_receipt(receipt_no)?)
    }

    /// An earlier sale of this till by receipt number, with what was already refunded.
    pub fn sale_with_refunds(
        &self,
        receipt_no: &str,
    ) -> AppResult<(purser_store::StoredSale, Vec<(u32, i64)>)> {
        let sale = self.store.sale_by_receipt(receipt_no)?.ok_or_else(|| {
            AppError::not_found(format!("no sale with receipt number {}", receipt_no.trim()))
        })?;
        let done = self.store.refunded_quantities(sale.sale_id)?;
        Ok((sale, done))
    }

    pub fn outbox_status(&self) -> AppResult<OutboxStatus> {
        Ok(self.store.outbox_status()?)
    }

    pub fn verify_journal(&self) -> AppResult<JournalReport> {
        Ok(self.store.verify_journal()?)
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    pub fn new_id(&self) -> Uuid {
        self.ids.new_id()
    }
}

/// A shift's report from the till's own rows, added up by `purser_core::shift::Tally`.
pub fn build_report(
    currency: &str,
    shift: &ShiftRow,
    tally: &Tally,
    kind: ReportKind,
    closed_at: Option<DateTime<Utc>>,
) -> ShiftReport {
    let head = ShiftHead {
        shift_id: shift.shift_id,
        currency: currency.to_string(),
        cashier_id: shift.cashier_id.clone(),
        business_date: shift.business_date,
        opened_at: shift.opened_at,
        opening_float: shift.opening_float,
    };
    tally.report(&head, kind, closed_at)
}

/// The largest discount on a cart, in basis points of what it applies to, as the cashier
/// gave it: a percentage as typed, an amount against its line's gross (a line discount) or
/// against what the lines come to after theirs (the cart discount). Reward lines (free for
/// points) are not discounts.
pub fn max_discount_bp(
    cart: &Cart,
    priced: &purser_core::cart::PricedCart,
    rewards: &[u32],
) -> i64 {
    let bp = |d: &purser_core::cart::Discount, of: Money| -> i64 {
        match d {
            purser_core::cart::Discount::Percent { bp } => i64::from(*bp),
            purser_core::cart::Discount::Amount { amount } if amount.0 <= 0 => 0,
            purser_core::cart::Discount::Amount { .. } if of.0 <= 0 => 10_000,
            purser_core::cart::Discount::Amount { amount } => {
                i64::try_from(i128::from(amount.0) * 10_000 / i128::from(of.0)).unwrap_or(i64::MAX)
            }
        }
    };
    let mut most = 0;
    let mut after_lines = Money::ZERO;
    for l in priced
        .lines
        .iter()
        .filter(|l| !rewards.contains(&l.line_no))
    {
        if let Some(d) = cart
            .lines
            .iter()
            .find(|c| c.line_no == l.line_no)
            .and_then(|c| c.discount.as_ref())
        {
            most = most.max(bp(d, l.gross));
        }
        after_lines += l.gross - l.line_discount;
    }
    if let Some(d) = &cart.discount {
        most = most.max(bp(d, after_lines));
    }
    most
}
