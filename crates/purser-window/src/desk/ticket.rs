//! The ticket being rung up: items by barcode or search, quantities, discounts, rewards.

use purser_core::cart::{Discount, PricedCart, Quantity};
use purser_core::catalog::{Product, SoldBy};

use super::views::*;
use super::Desk;
use crate::ipc::*;
use purser_app::error::{AppError, AppResult, ErrorCode};
use purser_app::input::{parse_discount, parse_quantity};
use purser_app::receipt;

impl Desk {
    pub(super) fn priced(&self) -> AppResult<PricedCart> {
        let s = self.settings();
        Ok(s.price(&self.ticket)?)
    }

    pub(super) fn ticket_view(&self) -> AppResult<TicketView> {
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
                tab: self.tab_tag(),
                service_charge: None,
            });
        }
        let priced = self.priced()?;
        let mut lines = Vec::with_capacity(priced.lines.len());
        let mut price_changed = Vec::new();
        let mut items: i64 = 0;
        for (pl, cl) in priced.lines.iter().zip(&self.ticket.lines) {
            let stock = self.till.stock(&pl.sku)?.as_ref().map(StockView::of);
            // The catalog price the line was rung up at (before its rule and choices).
            let list = match &pl.price_rule {
                Some(r) => r.list_price,
                None => pl.unit_price - pl.modifiers.iter().map(|c| c.price_delta).sum(),
            };
            if let Ok(now_p) = self.till.lookup(&pl.sku) {
                if now_p.price != list && !price_changed.contains(&pl.name) {
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
                modifiers: pl
                    .modifiers
                    .iter()
                    .map(|c| ModifierChoiceView {
                        group: c.group_name.clone(),
                        name: c.name.clone(),
                        price_delta: c.price_delta.0,
                    })
                    .collect(),
                price_rule: pl.price_rule.as_ref().map(|r| r.name.clone()),
                list_price: pl.price_rule.as_ref().map(|r| r.list_price.0),
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
            tab: self.tab_tag(),
            service_charge: priced.service_charge.as_ref().map(|c| ServiceChargeView {
                rate: format!("{}%", receipt::pct(c.rate_bp)),
                base: c.base.0,
                amount: c.amount.0,
                total: c.total.0,
            }),
        })
    }

    pub(super) fn product_view(&self, p: &Product) -> AppResult<ProductView> {
        Ok(ProductView::of(p, self.till.stock(&p.sku)?.as_ref()))
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
        let choices: Vec<(String, String)> = a
            .choices
            .unwrap_or_default()
            .into_iter()
            .map(|c| (c.group_id, c.option_id))
            .collect();
        // Scanning the same item again adds to its line (unless that line has a discount,
        // choices or a happy-hour price, a rule prices the item now, or the price changed).
        let rules = self.till.price_rules()?;
        let ruled =
            purser_core::pricing::best_rule(&product, &rules, self.till.local_now()).is_some();
        let same = self.ticket.lines.last().and_then(|l| {
            (l.sku == product.sku
                && !ruled
                && choices.is_empty()
                && l.modifiers.is_empty()
                && l.price_rule.is_none()
                && l.discount.is_none()
                && l.unit_price == product.price
                && matches!(
                    (l.quantity, quantity),
                    (Quantity::Units(_), Quantity::Units(_))
                ))
            .then_some((l.line_no, l.quantity.amount()))
        });
        let before = self.before();
        match same {
            Some((line_no, had)) => self
                .ticket
                .set_quantity(line_no, Quantity::Units(had + quantity.amount()))?,
            None => {
                self.till
                    .ring_up_with(&mut self.ticket, &product, quantity, &choices, &rules)?;
            }
        }
        self.save_tab(before)?;
        self.ticket_view()
    }

    pub fn product(&mut self, a: CodeArgs) -> AppResult<ProductView> {
        self.user()?;
        let p = self.till.lookup(&a.code)?;
        self.product_view(&p)
    }

    pub fn set_quantity(&mut self, a: SetQuantityArgs) -> AppResult<TicketView> {
        self.user()?;
        let q = parse_quantity(&a.quantity)?;
        let before = self.before();
        self.ticket.set_quantity(a.line_no, q)?;
        self.save_tab(before)?;
        self.ticket_view()
    }

    pub fn void_line(&mut self, a: LineArgs) -> AppResult<TicketView> {
        self.user()?;
        let before = self.before();
        self.ticket.void_line(a.line_no)?;
        self.rewards.remove(&a.line_no);
        self.save_tab(before)?;
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
        let before = self.before();
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
        self.save_tab(before)?;
        self.ticket_view()
    }

    /// A new ticket. A tab on the screen is not emptied: it stays open, as it was saved.
    pub fn clear_ticket(&mut self, _: Empty) -> AppResult<TicketView> {
        self.user()?;
        self.fresh_ticket();
        self.ticket_view()
    }

    /// Gives a ticket line to the member as a reward for points (free on the ticket), or
    /// takes the reward back.
    pub fn redeem_reward(&mut self, a: LineArgs) -> AppResult<TicketView> {
        self.user()?;
        let before = self.before();
        if self.rewards.remove(&a.line_no) {
            self.ticket.set_line_discount(a.line_no, None)?;
            self.save_tab(before)?;
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
        self.save_tab(before)?;
        self.ticket_view()
    }

    /// Points the ticket's rewards cost.
    pub(super) fn reward_points(&self) -> AppResult<i64> {
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
        let found = self.till.products_in_category(&a.name, 200)?;
        found.iter().map(|p| self.product_view(p)).collect()
    }
}
