//! The cart and its pricing: quantities, weighed items, modifiers, happy-hour prices, line
//! and cart discounts, tax and the service charge.
//!
//! A line's unit price is fixed when it is rung up ([`Cart::add`], [`Cart::add_with`]):
//! the happy-hour price of the best rule active then ([`crate::pricing::best_rule`]) or
//! the catalog price, plus the price changes of the chosen modifiers, never below zero.
//!
//! [`Cart::price_with`] prices the cart:
//! * gross = unit price × quantity; net = gross − line discount − share of the cart
//!   discount (split over the lines by largest remainder);
//! * the service charge ([`ServiceCharge`]) is `div_round(base × rate_bp, 10000)` where
//!   `base` is the net of the eligible lines (after every discount); it is its own line on
//!   the receipt ([`ServiceChargeLine`]), and each eligible line carries its share
//!   ([`PricedLine::service_charge`], largest remainder by net) so refunds and split bills
//!   take it back or share it out line by line;
//! * tax is computed once per tax class over the class's nets, plus the service charge when
//!   it is taxable at that class, then allocated back by largest remainder (see `tax`);
//! * `total` = Σ line totals + the service charge's total, where a line's total is its net
//!   (+ its tax when prices exclude tax) and the service charge's total is its amount
//!   (+ its tax when prices exclude tax). `subtotal` and `discount_total` are the lines'
//!   only; `tax_total` = Σ `taxes[].tax` = Σ line tax + the service charge's tax.

use chrono::NaiveDateTime;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::catalog::{Product, SoldBy};
use crate::money::{allocate, div_round, Money, MAX_INPUT_MINOR};
use crate::pricing::{best_rule, PriceRule};
use crate::tax::{tax_on, TaxMode, TaxTable};

/// Most units on one line, and most grams on one weighed line (1 tonne).
pub const MAX_UNITS: i64 = 100_000;
pub const MAX_GRAMS: i64 = 1_000_000;
/// The most one ticket may come to before discounts, in minor units (a trillion in a
/// two-decimal currency). Every line and the ticket's sum are checked against it, so the
/// tax arithmetic and the sums of a shift's tickets stay far inside `i64` instead of
/// wrapping.
pub const MAX_TICKET_MINOR: i64 = 100_000_000_000_000;

/// A line quantity: whole units, or grams for weighed products.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Quantity {
    Units(i64),
    Grams(i64),
}

impl Quantity {
    pub fn amount(self) -> i64 {
        match self {
            Quantity::Units(n) | Quantity::Grams(n) => n,
        }
    }
    pub fn same_kind(self, other: Quantity) -> bool {
        matches!(
            (self, other),
            (Quantity::Units(_), Quantity::Units(_)) | (Quantity::Grams(_), Quantity::Grams(_))
        )
    }
    pub fn with_amount(self, n: i64) -> Quantity {
        match self {
            Quantity::Units(_) => Quantity::Units(n),
            Quantity::Grams(_) => Quantity::Grams(n),
        }
    }
    pub fn validate(self) -> Result<(), CartError> {
        match self {
            Quantity::Units(n) if n <= 0 => Err(CartError::NonPositiveQuantity(self)),
            Quantity::Grams(n) if n <= 0 => Err(CartError::NonPositiveQuantity(self)),
            Quantity::Units(n) if n > MAX_UNITS => Err(CartError::QuantityTooLarge(self)),
            Quantity::Grams(n) if n > MAX_GRAMS => Err(CartError::QuantityTooLarge(self)),
            _ => Ok(()),
        }
    }
}

impl std::fmt::Display for Quantity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Quantity::Units(n) => write!(f, "{n}"),
            Quantity::Grams(g) => write!(f, "{}.{:03} kg", g / 1000, g % 1000),
        }
    }
}

/// A discount on a line or on the whole cart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Discount {
    /// Percentage in basis points: 1000 = 10 %.
    Percent { bp: u32 },
    /// A fixed amount off, in minor units.
    Amount { amount: Money },
}

impl Discount {
    pub fn validate(self) -> Result<(), CartError> {
        match self {
            Discount::Percent { bp } if bp == 0 || bp > 10_000 => Err(CartError::BadDiscount(self)),
            Discount::Amount { amount } if amount.0 <= 0 || amount.0 > MAX_INPUT_MINOR => {
                Err(CartError::BadDiscount(self))
            }
            _ => Ok(()),
        }
    }

    /// The amount this discount takes off `base`; an amount discount may not exceed it.
    pub fn off(self, base: Money) -> Result<Money, CartError> {
        match self {
            Discount::Percent { bp } => Ok(Money(
                i64::try_from(div_round(i128::from(base.0) * i128::from(bp), 10_000))
                    .unwrap_or(i64::MAX),
            )),
            Discount::Amount { amount } if amount > base => Err(CartError::DiscountExceedsAmount {
                discount: amount,
                base,
            }),
            Discount::Amount { amount } => Ok(amount),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CartError {
    #[error("quantity must be positive, got {0:?}")]
    NonPositiveQuantity(Quantity),
    #[error("quantity {0:?} is too large for one line")]
    QuantityTooLarge(Quantity),
    #[error("{sku} is sold by {expected}; give the quantity in that form")]
    WrongQuantityKind { sku: String, expected: &'static str },
    #[error("{0} is no longer sold (delisted)")]
    Inactive(String),
    #[error("discount {0:?} is not valid (percent must be 0.01-100 %, amount positive)")]
    BadDiscount(Discount),
    #[error("discount of {discount:?} is more than the amount it applies to ({base:?})")]
    DiscountExceedsAmount { discount: Money, base: Money },
    #[error("no line {0} in the cart")]
    NoSuchLine(u32),
    #[error("tax class '{0}' is not configured for this store")]
    UnknownTaxClass(String),
    #[error("the cart is empty")]
    Empty,
    #[error("the ticket would come to more than a till can record in one sale")]
    AmountTooLarge,
    #[error("{product} has no choice '{group}'")]
    UnknownModifierGroup { product: String, group: String },
    #[error("'{option}' is not one of the choices of {group} for {product}")]
    UnknownModifierOption {
        product: String,
        group: String,
        option: String,
    },
    #[error("{option} is chosen twice for {group} on {product}")]
    DuplicateModifier {
        product: String,
        group: String,
        option: String,
    },
    #[error("{product} needs a choice of {group}: choose at least {min} ({chosen} chosen)")]
    ChoiceRequired {
        product: String,
        group: String,
        min: u32,
        chosen: u32,
    },
    #[error("{product}: choose at most {max} of {group} ({chosen} chosen)")]
    TooManyChoices {
        product: String,
        group: String,
        max: u32,
        chosen: u32,
    },
    #[error("{0}")]
    ServiceCharge(#[from] ServiceChargeError),
}

/// A modifier option chosen for a line, captured when it was rung up.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ChosenModifier {
    pub group_id: String,
    /// e.g. "Size"
    pub group_name: String,
    pub option_id: String,
    /// e.g. "double"
    pub name: String,
    /// Added to the line's unit price (already included in `unit_price`).
    pub price_delta: Money,
}

/// The happy-hour rule that priced a line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct AppliedRule {
    pub rule_id: String,
    /// e.g. "Happy hour", for the receipt.
    pub name: String,
    /// The catalog price the rule's price replaced (per unit, or per kilogram).
    pub list_price: Money,
}

/// A line as rung up: the product's price and tax class are captured when scanned, so a
/// price change arriving mid-sale does not change lines already in the cart.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CartLine {
    pub line_no: u32,
    pub sku: String,
    pub name: String,
    pub quantity: Quantity,
    /// Per unit, or per kilogram for weighed lines: the happy-hour or catalog price plus
    /// the modifiers' price changes, never below zero.
    pub unit_price: Money,
    pub tax_class: String,
    pub discount: Option<Discount>,
    /// The options chosen, in the product's group and option order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub modifiers: Vec<ChosenModifier>,
    /// The product's category when rung up (service-charge eligibility).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// The happy-hour rule that gave the price, if one did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_rule: Option<AppliedRule>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Cart {
    pub lines: Vec<CartLine>,
    pub discount: Option<Discount>,
    next_line_no: u32,
}

impl Cart {
    pub fn new() -> Cart {
        Cart {
            lines: Vec::new(),
            discount: None,
            next_line_no: 1,
        }
    }

    /// A cart as a tab's events carry it (a ticket another till handed over): its lines,
    /// its discount and the number its next line gets, never one already on it.
    pub fn restore(lines: Vec<CartLine>, discount: Option<Discount>, next_line_no: u32) -> Cart {
        let after_last = lines
            .iter()
            .map(|l| l.line_no)
            .max()
            .unwrap_or(0)
            .saturating_add(1);
        Cart {
            lines,
            discount,
            next_line_no: next_line_no.max(after_last),
        }
    }

    /// The number the next line added gets.
    pub fn next_line_no(&self) -> u32 {
        self.next_line_no.max(1)
    }

    /// Adds a product at its catalog price, with no modifiers; returns the new line
    /// number. A product with a required modifier group is refused
    /// ([`CartError::ChoiceRequired`]): ring it up with [`Cart::add_with`].
    pub fn add(&mut self, product: &Product, quantity: Quantity) -> Result<u32, CartError> {
        Self::check_product(product, quantity)?;
        let modifiers = choose(product, &[])?;
        self.push_line(product, quantity, modifiers, None)
    }

    /// Adds a product with the chosen modifier options — (group id, option id) pairs, in
    /// any order — at the best happy-hour price of `rules` at store-local time `local`
    /// ([`best_rule`]), or at the catalog price when none applies. The choices are checked
    /// against the product's groups (known group and option, no option twice, between the
    /// group's min and max). Each call makes a new line, so the same product with other
    /// choices is another line. Returns the new line number.
    pub fn add_with(
        &mut self,
        product: &Product,
        quantity: Quantity,
        choices: &[(String, String)],
        rules: &[PriceRule],
        local: NaiveDateTime,
    ) -> Result<u32, CartError> {
        Self::check_product(product, quantity)?;
        let modifiers = choose(product, choices)?;
        let rule = best_rule(product, rules, local);
        self.push_line(product, quantity, modifiers, rule)
    }

    fn check_product(product: &Product, quantity: Quantity) -> Result<(), CartError> {
        quantity.validate()?;
        if !product.active {
            return Err(CartError::Inactive(product.sku.clone()));
        }
        let expected = match product.sold_by {
            SoldBy::Unit => matches!(quantity, Quantity::Units(_)),
            SoldBy::Weight => matches!(quantity, Quantity::Grams(_)),
        };
        if !expected {
            return Err(CartError::WrongQuantityKind {
                sku: product.sku.clone(),
                expected: match product.sold_by {
                    SoldBy::Unit => "the unit",
                    SoldBy::Weight => "weight (grams or kg)",
                },
            });
        }
        Ok(())
    }

    fn push_line(
        &mut self,
        product: &Product,
        quantity: Quantity,
        modifiers: Vec<ChosenModifier>,
        rule: Option<(Money, &PriceRule)>,
    ) -> Result<u32, CartError> {
        let base = rule.map_or(product.price, |(price, _)| price);
        let unit = i128::from(base.0)
            + modifiers
                .iter()
                .map(|m| i128::from(m.price_delta.0))
                .sum::<i128>();
        let unit_price = within_ticket_limit(unit.max(0))?;
        let line_no = self.next_line_no.max(1);
        self.next_line_no = line_no + 1;
        self.lines.push(CartLine {
            line_no,
            sku: product.sku.clone(),
            name: product.name.clone(),
            quantity,
            unit_price,
            tax_class: product.tax_class.clone(),
            discount: None,
            modifiers,
            category: product.category.clone(),
            price_rule: rule.map(|(_, r)| AppliedRule {
                rule_id: r.id.clone(),
                name: r.name.clone(),
                list_price: product.price,
            }),
        });
        Ok(line_no)
    }

    fn line_mut(&mut self, line_no: u32) -> Result<&mut CartLine, CartError> {
        self.lines
            .iter_mut()
            .find(|l| l.line_no == line_no)
            .ok_or(CartError::NoSuchLine(line_no))
    }

    pub fn set_quantity(&mut self, line_no: u32, quantity: Quantity) -> Result<(), CartError> {
        quantity.validate()?;
        let line = self.line_mut(line_no)?;
        if !line.quantity.same_kind(quantity) {
            return Err(CartError::WrongQuantityKind {
                sku: line.sku.clone(),
                expected: match line.quantity {
                    Quantity::Units(_) => "the unit",
                    Quantity::Grams(_) => "weight (grams or kg)",
                },
            });
        }
        line.quantity = quantity;
        Ok(())
    }

    pub fn set_line_discount(
        &mut self,
        line_no: u32,
        d: Option<Discount>,
    ) -> Result<(), CartError> {
        if let Some(d) = d {
            d.validate()?;
        }
        self.line_mut(line_no)?.discount = d;
        Ok(())
    }

    pub fn set_cart_discount(&mut self, d: Option<Discount>) -> Result<(), CartError> {
        if let Some(d) = d {
            d.validate()?;
        }
        self.discount = d;
        Ok(())
    }

    /// Voids (removes) a line before payment.
    pub fn void_line(&mut self, line_no: u32) -> Result<CartLine, CartError> {
        let idx = self
            .lines
            .iter()
            .position(|l| l.line_no == line_no)
            .ok_or(CartError::NoSuchLine(line_no))?;
        Ok(self.lines.remove(idx))
    }

    /// Prices the cart without a service charge: `price_with(taxes, mode, None)`.
    pub fn price(&self, taxes: &TaxTable, mode: TaxMode) -> Result<PricedCart, CartError> {
        self.price_with(taxes, mode, None)
    }

    /// Prices the cart, with the service charge when one is given. See the module doc for
    /// how the figures add up, and `tax` for the rounding rule.
    pub fn price_with(
        &self,
        taxes: &TaxTable,
        mode: TaxMode,
        service: Option<&ServiceCharge>,
    ) -> Result<PricedCart, CartError> {
        if self.lines.is_empty() {
            return Err(CartError::Empty);
        }
        let mut gross = Vec::with_capacity(self.lines.len());
        let mut line_disc = Vec::with_capacity(self.lines.len());
        for line in &self.lines {
            line.quantity.validate()?;
            let g = extended_price(line.unit_price, line.quantity)?;
            let d = match line.discount {
                Some(d) => {
                    d.validate()?;
                    d.off(g)?
                }
                None => Money::ZERO,
            };
            gross.push(g);
            line_disc.push(d);
        }
        within_ticket_limit(gross.iter().map(|g| i128::from(g.0)).sum())?;
        let after_line: Vec<i64> = gross
            .iter()
            .zip(&line_disc)
            .map(|(g, d)| (*g - *d).0)
            .collect();
        let base: Money = Money(after_line.iter().sum());
        let cart_disc = match self.discount {
            Some(d) => {
                d.validate()?;
                d.off(base)?
            }
            None => Money::ZERO,
        };
        let shares = allocate(cart_disc.0, &after_line);
        let nets: Vec<i64> = after_line.iter().zip(&shares).map(|(a, s)| a - s).collect();

        // The service charge on the eligible lines' nets, shared back over them.
        let mut sc_shares = vec![0i64; self.lines.len()];
        let mut charge: Option<(&ServiceCharge, Money, Money)> = None;
        if let Some(s) = service {
            s.validate()?;
            let weights: Vec<i64> = self
                .lines
                .iter()
                .zip(&nets)
                .map(|(l, n)| {
                    if s.applies_to(l.category.as_deref()) {
                        *n
                    } else {
                        0
                    }
                })
                .collect();
            let base = within_ticket_limit(weights.iter().map(|w| i128::from(*w)).sum())?;
            let amount = within_ticket_limit(div_round(
                i128::from(base.0) * i128::from(s.rate_bp),
                10_000,
            ))?;
            if !amount.is_zero() {
                sc_shares = allocate(amount.0, &weights);
                charge = Some((s, base, amount));
            }
        }
        // The tax class the service charge is taxed at, when it is.
        let sc_class: Option<&str> = charge
            .and_then(|(s, _, _)| s.taxable.then_some(s.tax_class.as_deref()))
            .flatten();

        // Tax per class, then allocated back to lines (and the service charge).
        let mut classes: Vec<(String, u32)> = Vec::new();
        for code in self
            .lines
            .iter()
            .map(|l| l.tax_class.as_str())
            .chain(sc_class)
        {
            let rate = taxes
                .rate_of(code)
                .ok_or_else(|| CartError::UnknownTaxClass(code.to_string()))?;
            if !classes.iter().any(|(c, _)| c == code) {
                classes.push((code.to_string(), rate));
            }
        }
        let mut line_tax = vec![0i64; self.lines.len()];
        let mut sc_tax = Money::ZERO;
        let mut tax_lines = Vec::with_capacity(classes.len());
        for (code, rate) in &classes {
            let idx: Vec<usize> = (0..self.lines.len())
                .filter(|i| self.lines[*i].tax_class == *code)
                .collect();
            let mut weights: Vec<i64> = idx.iter().map(|i| nets[*i]).collect();
            let with_charge = sc_class == Some(code.as_str());
            if let (true, Some((_, _, amount))) = (with_charge, charge) {
                weights.push(amount.0);
            }
            let class_base = Money(weights.iter().sum());
            let class_tax = tax_on(class_base, *rate, mode);
            let parts = allocate(class_tax.0, &weights);
            for (k, part) in parts.iter().enumerate() {
                match idx.get(k) {
                    Some(i) => line_tax[*i] = *part,
                    None => sc_tax = Money(*part),
                }
            }
            tax_lines.push(TaxLine {
                tax_class: code.clone(),
                rate_bp: *rate,
                base: class_base,
                tax: class_tax,
            });
        }

        let lines: Vec<PricedLine> = self
            .lines
            .iter()
            .enumerate()
            .map(|(i, l)| {
                let net = Money(nets[i]);
                let tax = Money(line_tax[i]);
                PricedLine {
                    line_no: l.line_no,
                    sku: l.sku.clone(),
                    name: l.name.clone(),
                    quantity: l.quantity,
                    unit_price: l.unit_price,
                    modifiers: l.modifiers.clone(),
                    price_rule: l.price_rule.clone(),
                    tax_class: l.tax_class.clone(),
                    tax_rate_bp: taxes.rate_of(&l.tax_class).unwrap_or(0),
                    gross: gross[i],
                    line_discount: line_disc[i],
                    cart_discount: Money(shares[i]),
                    net,
                    tax,
                    total: match mode {
                        TaxMode::Inclusive => net,
                        TaxMode::Exclusive => net + tax,
                    },
                    service_charge: Money(sc_shares[i]),
                }
            })
            .collect();
        let service_charge = charge.map(|(s, base, amount)| ServiceChargeLine {
            rate_bp: s.rate_bp,
            base,
            amount,
            tax_class: sc_class.map(str::to_string),
            tax: sc_tax,
            total: match mode {
                TaxMode::Inclusive => amount,
                TaxMode::Exclusive => amount + sc_tax,
            },
        });
        let subtotal: Money = gross.iter().copied().sum();
        let discount_total = line_disc.iter().copied().sum::<Money>() + cart_disc;
        let tax_total: Money = tax_lines.iter().map(|t| t.tax).sum();
        let total: Money = lines.iter().map(|l| l.total).sum::<Money>()
            + service_charge.as_ref().map_or(Money::ZERO, |s| s.total);
        Ok(PricedCart {
            tax_mode: mode,
            lines,
            subtotal,
            discount_total,
            tax_total,
            taxes: tax_lines,
            total,
            service_charge,
        })
    }
}

/// The chosen options of `product`'s modifier groups, checked and in the product's
/// group and option order.
fn choose(
    product: &Product,
    choices: &[(String, String)],
) -> Result<Vec<ChosenModifier>, CartError> {
    for (i, (group_id, option_id)) in choices.iter().enumerate() {
        let group = product
            .modifier_groups
            .iter()
            .find(|g| g.id == *group_id)
            .ok_or_else(|| CartError::UnknownModifierGroup {
                product: product.name.clone(),
                group: group_id.clone(),
            })?;
        let option = group
            .option(option_id)
            .ok_or_else(|| CartError::UnknownModifierOption {
                product: product.name.clone(),
                group: group.name.clone(),
                option: option_id.clone(),
            })?;
        if choices[..i]
            .iter()
            .any(|c| c.0 == *group_id && c.1 == *option_id)
        {
            return Err(CartError::DuplicateModifier {
                product: product.name.clone(),
                group: group.name.clone(),
                option: option.name.clone(),
            });
        }
    }
    let mut chosen = Vec::new();
    for g in &product.modifier_groups {
        let picked: Vec<_> = g
            .options
            .iter()
            .filter(|o| choices.iter().any(|c| c.0 == g.id && c.1 == o.id))
            .collect();
        let n = u32::try_from(picked.len()).unwrap_or(u32::MAX);
        if n < g.min {
            return Err(CartError::ChoiceRequired {
                product: product.name.clone(),
                group: g.name.clone(),
                min: g.min,
                chosen: n,
            });
        }
        if n > g.max {
            return Err(CartError::TooManyChoices {
                product: product.name.clone(),
                group: g.name.clone(),
                max: g.max,
                chosen: n,
            });
        }
        chosen.extend(picked.into_iter().map(|o| ChosenModifier {
            group_id: g.id.clone(),
            group_name: g.name.clone(),
            option_id: o.id.clone(),
            name: o.name.clone(),
            price_delta: o.price_delta,
        }));
    }
    Ok(chosen)
}

/// An automatic service charge on the ticket, e.g. 15 % on drinks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ServiceCharge {
    /// Rate in basis points: 1500 = 15 %. 1-10000.
    pub rate_bp: u32,
    /// Categories of the lines it applies to (a line's `category`, compared exactly);
    /// empty = every line.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub categories: Vec<String>,
    /// Taxed at `tax_class` (then required), or not taxed at all.
    pub taxable: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_class: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ServiceChargeError {
    #[error("service charge rate must be 1-10000 basis points (0.01-100 %), got {0}")]
    BadRate(u32),
    #[error("a service charge category must not be empty")]
    EmptyCategory,
    #[error("a taxable service charge needs the tax class it is taxed at")]
    NoTaxClass,
    #[error("a service charge that is not taxable must not name a tax class ('{0}')")]
    TaxClassWithoutTax(String),
}

impl ServiceCharge {
    pub fn validate(&self) -> Result<(), ServiceChargeError> {
        if self.rate_bp == 0 || self.rate_bp > 10_000 {
            return Err(ServiceChargeError::BadRate(self.rate_bp));
        }
        if self.categories.iter().any(|c| c.trim().is_empty()) {
            return Err(ServiceChargeError::EmptyCategory);
        }
        match (&self.tax_class, self.taxable) {
            (None, true) => Err(ServiceChargeError::NoTaxClass),
            (Some(c), true) if c.trim().is_empty() => Err(ServiceChargeError::NoTaxClass),
            (Some(c), false) => Err(ServiceChargeError::TaxClassWithoutTax(c.clone())),
            _ => Ok(()),
        }
    }

    /// A line of this category is charged.
    pub fn applies_to(&self, category: Option<&str>) -> bool {
        self.categories.is_empty()
            || category.is_some_and(|c| self.categories.iter().any(|k| k == c))
    }
}

/// The service charge as priced on a ticket.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ServiceChargeLine {
    pub rate_bp: u32,
    /// The eligible lines' net, after every discount (tax included when prices include
    /// tax).
    pub base: Money,
    /// div_round(base × rate_bp, 10000).
    pub amount: Money,
    /// The class it is taxed at; absent when it is not taxed.
    pub tax_class: Option<String>,
    /// Its tax: contained in `amount` when prices include tax, added on top when they do
    /// not; zero when not taxed. Counted in that class's `TaxLine`.
    pub tax: Money,
    /// What the customer pays for it: `amount`, + `tax` when prices exclude tax.
    pub total: Money,
}

/// Unit price × quantity; weighed lines are price-per-kg × grams / 1000, rounded.
/// Refused above [`MAX_TICKET_MINOR`].
pub fn extended_price(unit_price: Money, q: Quantity) -> Result<Money, CartError> {
    let v = match q {
        Quantity::Units(n) => i128::from(unit_price.0) * i128::from(n),
        Quantity::Grams(g) => div_round(i128::from(unit_price.0) * i128::from(g), 1000),
    };
    within_ticket_limit(v)
}

/// `v` as an amount, when it is within [`MAX_TICKET_MINOR`] either way.
fn within_ticket_limit(v: i128) -> Result<Money, CartError> {
    if v.abs() > i128::from(MAX_TICKET_MINOR) {
        return Err(CartError::AmountTooLarge);
    }
    i64::try_from(v)
        .map(Money)
        .map_err(|_| CartError::AmountTooLarge)
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PricedLine {
    pub line_no: u32,
    pub sku: String,
    pub name: String,
    pub quantity: Quantity,
    pub unit_price: Money,
    pub tax_class: String,
    pub tax_rate_bp: u32,
    /// unit price × quantity, before discounts
    pub gross: Money,
    pub line_discount: Money,
    /// this line's share of the cart discount
    pub cart_discount: Money,
    /// gross − discounts; includes tax in an inclusive store
    pub net: Money,
    pub tax: Money,
    /// what the customer pays for this line
    pub total: Money,
    /// The options chosen (their price changes are in `unit_price`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub modifiers: Vec<ChosenModifier>,
    /// The happy-hour rule that priced the line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_rule: Option<AppliedRule>,
    /// This line's share of the service charge's `amount` (largest remainder by net over
    /// the eligible lines); not part of `total`.
    #[serde(default, skip_serializing_if = "crate::money::is_zero")]
    pub service_charge: Money,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TaxLine {
    pub tax_class: String,
    pub rate_bp: u32,
    pub base: Money,
    pub tax: Money,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PricedCart {
    pub tax_mode: TaxMode,
    pub lines: Vec<PricedLine>,
    pub subtotal: Money,
    pub discount_total: Money,
    pub tax_total: Money,
    pub taxes: Vec<TaxLine>,
    /// Σ line totals + the service charge's total.
    pub total: Money,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_charge: Option<ServiceChargeLine>,
}

#[cfg(test)]
pub(crate) mod tests {

    use super::*;
    use crate::tax::TaxClass;
    use proptest::prelude::*;

    pub(crate) fn table() -> TaxTable {
        TaxTable {
            classes: vec![
                TaxClass {
                    code: "standard".into(),
                    rate_bp: 2000,
                },
                TaxClass {
                    code: "reduced".into(),
                    rate_bp: 550,
                },
                TaxClass {
                    code: "zero".into(),
                    rate_bp: 0,
                },
            ],
        }
    }

    pub(crate) fn product(sku: &str, price: i64, class: &str, sold_by: SoldBy) -> Product {
        Product::new(sku, sku, &[], Money(price), class, sold_by, None, true).unwrap()
    }

    #[test]
    fn a_ticket_too_large_to_record_is_refused_not_wrapped() {
        let mut cart = Cart::new();
        let p = product("GOLD", 1_000_000_000_000, "standard", SoldBy::Unit);
        // 100 lines of 10^17 minor units each would overflow i64 when summed.
        for _ in 0..100 {
            cart.add(&p, Quantity::Units(MAX_UNITS)).unwrap();
        }
        let taxes = table();
        assert!(matches!(
            cart.price(&taxes, TaxMode::Inclusive),
            Err(CartError::AmountTooLarge)
        ));
        // Within the limit, the same product prices as before.
        let mut small = Cart::new();
        small.add(&p, Quantity::Units(2)).unwrap();
        assert_eq!(
            small.price(&taxes, TaxMode::Inclusive).unwrap().total,
            Money(2_000_000_000_000)
        );
    }

    #[test]
    fn inclusive_receipt() {
        let mut cart = Cart::new();
        cart.add(
            &product("COFFEE", 350, "standard", SoldBy::Unit),
            Quantity::Units(2),
        )
        .unwrap();
        cart.add(
            &product("BANANA", 199, "reduced", SoldBy::Weight),
            Quantity::Grams(1234),
        )
        .unwrap();
        let priced = cart.price(&table(), TaxMode::Inclusive).unwrap();
        assert_eq!(priced.lines[1].gross, Money(246)); // 1.99/kg × 1.234 kg = 2.4557 -> 2.46
        assert_eq!(priced.total, Money(700 + 246));
        assert_eq!(priced.taxes[0].tax, Money(117)); // 7.00 × 20/120 = 1.1667
        assert_eq!(priced.taxes[1].tax, Money(13)); // 2.46 × 5.5/105.5 = 0.1282
    }

    #[test]
    fn exclusive_receipt_with_discounts() {
        let mut cart = Cart::new();
        let a = cart
            .add(
                &product("A", 1000, "standard", SoldBy::Unit),
                Quantity::Units(3),
            )
            .unwrap();
        cart.add(&product("B", 999, "zero", SoldBy::Unit), Quantity::Units(1))
            .unwrap();
        cart.set_line_discount(a, Some(Discount::Percent { bp: 1000 }))
            .unwrap();
        cart.set_cart_discount(Some(Discount::Amount { amount: Money(500) }))
            .unwrap();
        let p = cart.price(&table(), TaxMode::Exclusive).unwrap();
        assert_eq!(p.subtotal, Money(3999));
        assert_eq!(p.lines[0].line_discount, Money(300));
        // 500 split over 2700 and 999 by weight: 364.8 and 135.0 -> 365 and 135.
        assert_eq!(
            p.lines[0].cart_discount + p.lines[1].cart_discount,
            Money(500)
        );
        assert_eq!(p.discount_total, Money(800));
        assert_eq!(
            p.tax_total,
            tax_on(p.lines[0].net, 2000, TaxMode::Exclusive)
        );
        assert_eq!(p.total, Money(3999 - 800) + p.tax_total);
    }

    #[test]
    fn refuses_bad_input() {
        let mut cart = Cart::new();
        let p = product("A", 100, "standard", SoldBy::Unit);
        assert!(matches!(
            cart.add(&p, Quantity::Units(-1)),
            Err(CartError::NonPositiveQuantity(_))
        ));
        assert!(matches!(
            cart.add(&p, Quantity::Units(0)),
            Err(CartError::NonPositiveQuantity(_))
        ));
        assert!(matches!(
            cart.add(&p, Quantity::Grams(10)),
            Err(CartError::WrongQuantityKind { .. })
        ));
        let l = cart.add(&p, Quantity::Units(1)).unwrap();
        assert!(matches!(
            cart.set_line_discount(l, Some(Discount::Amount { amount: Money(101) }))
                .and_then(|_| cart.price(&table(), TaxMode::Inclusive).map(|_| ())),
            Err(CartError::DiscountExceedsAmount { .. })
        ));
        assert!(matches!(
            cart.set_line_discount(l, Some(Discount::Percent { bp: 10_001 })),
            Err(CartError::BadDiscount(_))
        ));
        let mut dead = p.clone();
        dead.active = false;
        assert!(matches!(
            cart.add(&dead, Quantity::Units(1)),
            Err(CartError::Inactive(_))
        ));
        let mut c2 = Cart::new();
        c2.add(&product("X", 1, "nope", SoldBy::Unit), Quantity::Units(1))
            .unwrap();
        assert!(matches!(
            c2.price(&table(), TaxMode::Inclusive),
            Err(CartError::UnknownTaxClass(_))
        ));
        assert!(matches!(
            Cart::new().price(&table(), TaxMode::Inclusive),
            Err(CartError::Empty)
        ));
    }

    #[test]
    fn voided_lines_leave_the_total() {
        let mut cart = Cart::new();
        let a = cart
            .add(
                &product("A", 100, "standard", SoldBy::Unit),
                Quantity::Units(1),
            )
            .unwrap();
        cart.add(
            &product("B", 250, "standard", SoldBy::Unit),
            Quantity::Units(1),
        )
        .unwrap();
        cart.void_line(a).unwrap();
        assert_eq!(
            cart.price(&table(), TaxMode::Inclusive).unwrap().total,
            Money(250)
        );
        // Line numbers are never reused within a cart.
        let c = cart
            .add(
                &product("C", 1, "standard", SoldBy::Unit),
                Quantity::Units(1),
            )
            .unwrap();
        assert_eq!(c, 3);
    }

    #[test]
    fn a_price_change_mid_sale_keeps_the_lines_already_rung_up() {
        let mut espresso = product("ESP", 220, "standard", SoldBy::Unit);
        let mut cart = Cart::new();
        cart.add(&espresso, Quantity::Units(1)).unwrap();
        // The catalog stream delivers a new price while the customer is at the till.
        espresso.price = Money(260);
        cart.add(&espresso, Quantity::Units(1)).unwrap();
        let priced = cart.price(&table(), TaxMode::Inclusive).unwrap();
        assert_eq!(
            priced.lines[0].unit_price,
            Money(220),
            "already rung up: old price"
        );
        assert_eq!(
            priced.lines[1].unit_price,
            Money(260),
            "next scan: new price"
        );
        assert_eq!(priced.total, Money(480));
    }

    pub(crate) fn arb_cart() -> impl Strategy<Value = (Cart, TaxMode)> {
        let line = (
            1i64..50_000,
            prop_oneof![Just("standard"), Just("reduced"), Just("zero")],
            any::<bool>(),
            1i64..2_000,
            prop::option::of(prop_oneof![
                (1u32..=10_000).prop_map(|bp| Discount::Percent { bp }),
                (1i64..500).prop_map(|a| Discount::Amount { amount: Money(a) }),
            ]),
        );
        (
            prop::collection::vec(line, 1..12),
            prop::option::of(prop_oneof![
                (1u32..=10_000).prop_map(|bp| Discount::Percent { bp }),
                (1i64..300).prop_map(|a| Discount::Amount { amount: Money(a) }),
            ]),
            prop_oneof![Just(TaxMode::Inclusive), Just(TaxMode::Exclusive)],
        )
            .prop_map(|(lines, cart_disc, mode)| {
                let mut cart = Cart::new();
                for (i, (price, class, weighed, qty, disc)) in lines.into_iter().enumerate() {
                    let sold_by = if weighed {
                        SoldBy::Weight
                    } else {
                        SoldBy::Unit
                    };
                    let q = if weighed {
                        Quantity::Grams(qty)
                    } else {
                        Quantity::Units(qty % 20 + 1)
                    };
                    let p = product(&format!("P{i}"), price, class, sold_by);
                    let l = cart.add(&p, q).unwrap();
                    // Amount discounts larger than the line are refused; keep only valid ones.
                    let g = extended_price(p.price, q).unwrap();
                    let d = disc.filter(|d| d.off(g).is_ok());
                    cart.set_line_discount(l, d).unwrap();
                }
                cart.discount = cart_disc;
                (cart, mode)
            })
    }

    use crate::catalog::tests::{group, opt};
    use crate::pricing::tests::{at, rule};
    use crate::pricing::Adjustment;

    fn gin_tonic() -> Product {
        Product::new(
            "GT",
            "Gin & tonic",
            &[],
            Money(900),
            "standard",
            SoldBy::Unit,
            Some("Drinks"),
            true,
        )
        .unwrap()
        .with_modifier_groups(vec![
            named(
                group("size", 1, 1, vec![opt("single", 0), opt("double", 400)]),
                "Size",
            ),
            named(
                group("ice", 0, 1, vec![opt("neat", 0), opt("rocks", 0)]),
                "Ice",
            ),
            named(
                group(
                    "mixer",
                    0,
                    2,
                    vec![opt("tonic", 150), opt("slim", 150), opt("none", -100)],
                ),
                "Mixer",
            ),
        ])
        .unwrap()
    }

    /// A test group with a display name.
    fn named(mut g: crate::catalog::ModifierGroup, name: &str) -> crate::catalog::ModifierGroup {
        g.name = name.into();
        g
    }

    fn c(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(g, o)| (g.to_string(), o.to_string()))
            .collect()
    }

    fn noon() -> NaiveDateTime {
        at(2026, 11, 27, 12, 0)
    }

    #[test]
    fn modifiers_are_chosen_checked_and_priced() {
        let gt = gin_tonic();
        let mut cart = Cart::new();
        let a = cart
            .add_with(
                &gt,
                Quantity::Units(2),
                &c(&[("mixer", "tonic"), ("size", "double"), ("ice", "rocks")]),
                &[],
                noon(),
            )
            .unwrap();
        let b = cart
            .add_with(
                &gt,
                Quantity::Units(1),
                &c(&[("size", "single")]),
                &[],
                noon(),
            )
            .unwrap();
        assert_ne!(a, b, "other choices, another line");
        let line = &cart.lines[0];
        assert_eq!(line.unit_price, Money(900 + 400 + 150));
        assert_eq!(line.category.as_deref(), Some("Drinks"));
        // In the product's group order, whatever order they were chosen in.
        let names: Vec<(&str, &str)> = line
            .modifiers
            .iter()
            .map(|m| (m.group_name.as_str(), m.name.as_str()))
            .collect();
        assert_eq!(
            names,
            vec![("Size", "double"), ("Ice", "rocks"), ("Mixer", "tonic")]
        );
        assert_eq!(cart.lines[1].unit_price, Money(900));
        let priced = cart.price(&table(), TaxMode::Inclusive).unwrap();
        assert_eq!(priced.lines[0].modifiers.len(), 3);
        assert_eq!(priced.total, Money(2 * 1450 + 900));

        let err = |choices: &[(&str, &str)]| {
            cart.clone()
                .add_with(&gt, Quantity::Units(1), &c(choices), &[], noon())
                .unwrap_err()
        };
        assert_eq!(
            Cart::new().add(&gt, Quantity::Units(1)).unwrap_err(),
            CartError::ChoiceRequired {
                product: "Gin & tonic".into(),
                group: "Size".into(),
                min: 1,
                chosen: 0
            }
        );
        assert_eq!(
            Cart::new()
                .add(&gt, Quantity::Units(1))
                .unwrap_err()
                .to_string(),
            "Gin & tonic needs a choice of Size: choose at least 1 (0 chosen)"
        );
        assert_eq!(
            err(&[("ice", "rocks")]),
            CartError::ChoiceRequired {
                product: "Gin & tonic".into(),
                group: "Size".into(),
                min: 1,
                chosen: 0
            }
        );
        assert_eq!(
            err(&[("size", "single"), ("garnish", "lime")]),
            CartError::UnknownModifierGroup {
                product: "Gin & tonic".into(),
                group: "garnish".into()
            }
        );
        assert_eq!(
            err(&[("size", "triple")]),
            CartError::UnknownModifierOption {
                product: "Gin & tonic".into(),
                group: "Size".into(),
                option: "triple".into()
            }
        );
        assert_eq!(
            err(&[("size", "single"), ("size", "single")]),
            CartError::DuplicateModifier {
                product: "Gin & tonic".into(),
                group: "Size".into(),
                option: "single".into()
            }
        );
        assert_eq!(
            err(&[("size", "single"), ("size", "double")]),
            CartError::TooManyChoices {
                product: "Gin & tonic".into(),
                group: "Size".into(),
                max: 1,
                chosen: 2
            }
        );
        assert!(matches!(
            err(&[
                ("size", "single"),
                ("mixer", "tonic"),
                ("mixer", "slim"),
                ("mixer", "none")
            ]),
            CartError::TooManyChoices {
                max: 2,
                chosen: 3,
                ..
            }
        ));
        // Optional groups only: plain add works.
        let mut cola = product("COLA", 300, "standard", SoldBy::Unit)
            .with_modifier_groups(vec![group("ice", 0, 1, vec![opt("no-ice", 0)])])
            .unwrap();
        cola.category = Some("Drinks".into());
        assert!(Cart::new().add(&cola, Quantity::Units(1)).is_ok());
    }

    #[test]
    fn a_unit_price_never_goes_below_zero() {
        let water = product("WATER", 50, "standard", SoldBy::Unit)
            .with_modifier_groups(vec![group("glass", 0, 1, vec![opt("own-cup", -100)])])
            .unwrap();
        let mut cart = Cart::new();
        cart.add_with(
            &water,
            Quantity::Units(3),
            &c(&[("glass", "own-cup")]),
            &[],
            noon(),
        )
        .unwrap();
        assert_eq!(cart.lines[0].unit_price, Money(0));
        assert_eq!(
            cart.price(&table(), TaxMode::Exclusive).unwrap().total,
            Money(0)
        );
    }

    #[test]
    fn happy_hour_prices_the_line_and_the_line_keeps_it_after_the_rule_ends() {
        let gt = gin_tonic();
        let mut hh = rule(
            "hh",
            &[],
            (17, 0),
            (19, 0),
            Adjustment::PercentOff { bp: 5000 },
        );
        hh.categories = vec!["Drinks".into()];
        let rules = vec![hh];
        let mut cart = Cart::new();
        // 18:55: half price, plus the double's 4.00 at full price.
        cart.add_with(
            &gt,
            Quantity::Units(1),
            &c(&[("size", "double")]),
            &rules,
            at(2026, 11, 27, 18, 55),
        )
        .unwrap();
        let l = &cart.lines[0];
        assert_eq!(l.unit_price, Money(450 + 400));
        assert_eq!(
            l.price_rule,
            Some(AppliedRule {
                rule_id: "hh".into(),
                name: "Happy hour hh".into(),
                list_price: Money(900)
            })
        );
        // 19:05: the rule has ended; the next round is at the catalog price.
        cart.add_with(
            &gt,
            Quantity::Units(1),
            &c(&[("size", "double")]),
            &rules,
            at(2026, 11, 27, 19, 5),
        )
        .unwrap();
        assert_eq!(cart.lines[1].unit_price, Money(1300));
        assert_eq!(cart.lines[1].price_rule, None);
        // Priced (paid) after the rule ended: the first line keeps its happy-hour price.
        let priced = cart.price(&table(), TaxMode::Inclusive).unwrap();
        assert_eq!(priced.lines[0].unit_price, Money(850));
        assert_eq!(
            priced.lines[0].price_rule.as_ref().map(|r| r.list_price),
            Some(Money(900))
        );
        assert_eq!(priced.total, Money(850 + 1300));
        // And through a serialised ticket (the window keeps one) too.
        let back: Cart = serde_json::from_str(&serde_json::to_string(&cart).unwrap()).unwrap();
        assert_eq!(back.price(&table(), TaxMode::Inclusive).unwrap(), priced);
    }

    #[test]
    fn an_old_ticket_without_the_new_fields_still_reads() {
        let json = r#"{"lines":[{"line_no":1,"sku":"A","name":"A","quantity":{"units":2},"unit_price":150,"tax_class":"standard","discount":null}],"discount":null,"next_line_no":2}"#;
        let cart: Cart = serde_json::from_str(json).unwrap();
        assert!(cart.lines[0].modifiers.is_empty() && cart.lines[0].category.is_none());
        let priced = cart.price(&table(), TaxMode::Inclusive).unwrap();
        let v = serde_json::to_value(&priced).unwrap();
        assert!(v.get("service_charge").is_none());
        assert!(
            v["lines"][0].get("modifiers").is_none()
                && v["lines"][0].get("service_charge").is_none()
        );
    }

    fn drinks_and_snacks() -> Cart {
        let mut cart = Cart::new();
        let mut beer = product("BEER", 650, "standard", SoldBy::Unit);
        beer.category = Some("Drinks".into());
        let mut crisps = product("CRISPS", 300, "reduced", SoldBy::Unit);
        crisps.category = Some("Snacks".into());
        cart.add(&beer, Quantity::Units(2)).unwrap();
        cart.add(&crisps, Quantity::Units(1)).unwrap();
        cart
    }

    fn charge(rate_bp: u32, categories: &[&str], tax_class: Option<&str>) -> ServiceCharge {
        ServiceCharge {
            rate_bp,
            categories: categories.iter().map(|c| c.to_string()).collect(),
            taxable: tax_class.is_some(),
            tax_class: tax_class.map(str::to_string),
        }
    }

    #[test]
    fn a_taxable_service_charge_inclusive_is_taxed_with_its_class() {
        let cart = drinks_and_snacks();
        let sc = charge(1000, &["Drinks"], Some("standard"));
        let p = cart
            .price_with(&table(), TaxMode::Inclusive, Some(&sc))
            .unwrap();
        let line = p.service_charge.clone().unwrap();
        // 10 % of the drinks' 13.00 = 1.30, VAT included; standard's base is 13.00 + 1.30.
        assert_eq!(
            (line.base, line.amount, line.total),
            (Money(1300), Money(130), Money(130))
        );
        let standard = p.taxes.iter().find(|t| t.tax_class == "standard").unwrap();
        assert_eq!(standard.base, Money(1430));
        assert_eq!(standard.tax, tax_on(Money(1430), 2000, TaxMode::Inclusive));
        assert_eq!(p.lines[0].tax + line.tax, standard.tax);
        assert_eq!(line.tax, Money(22)); // 1.30 × 20/120 = 0.2167
        assert_eq!(p.total, Money(1300 + 300 + 130));
        assert_eq!(
            (p.lines[0].service_charge, p.lines[1].service_charge),
            (Money(130), Money(0))
        );
        // subtotal and discounts are the lines' only.
        assert_eq!(p.subtotal, Money(1600));
    }

    #[test]
    fn an_untaxed_service_charge_exclusive_is_added_untaxed() {
        let cart = drinks_and_snacks();
        let sc = charge(1250, &[], None);
        let p = cart
            .price_with(&table(), TaxMode::Exclusive, Some(&sc))
            .unwrap();
        let line = p.service_charge.clone().unwrap();
        // 12.5 % of 16.00 = 2.00, every line eligible.
        assert_eq!(
            (line.base, line.amount, line.tax, line.total),
            (Money(1600), Money(200), Money(0), Money(200))
        );
        assert_eq!(line.tax_class, None);
        let without = cart.price(&table(), TaxMode::Exclusive).unwrap();
        assert_eq!(p.tax_total, without.tax_total);
        assert_eq!(p.taxes, without.taxes);
        assert_eq!(p.total, without.total + Money(200));
    }

    #[test]
    fn a_service_charge_taxed_at_a_class_no_line_has_gets_its_own_tax_line() {
        let cart = drinks_and_snacks();
        let mut taxes = table();
        taxes.classes.push(crate::tax::TaxClass {
            code: "service".into(),
            rate_bp: 1000,
        });
        let sc = charge(1000, &["Drinks"], Some("service"));
        let p = cart
            .price_with(&taxes, TaxMode::Exclusive, Some(&sc))
            .unwrap();
        let t = p.taxes.last().unwrap();
        assert_eq!(
            (t.tax_class.as_str(), t.base, t.tax),
            ("service", Money(130), Money(13))
        );
        assert_eq!(p.service_charge.as_ref().unwrap().total, Money(143));
        // An unknown class is refused like a line's.
        let bad = charge(1000, &[], Some("nope"));
        assert_eq!(
            cart.price_with(&table(), TaxMode::Exclusive, Some(&bad)),
            Err(CartError::UnknownTaxClass("nope".into()))
        );
    }

    #[test]
    fn the_service_charge_is_on_the_net_after_discounts_and_absent_when_nothing_is_eligible() {
        let mut cart = drinks_and_snacks();
        cart.set_line_discount(1, Some(Discount::Percent { bp: 5000 }))
            .unwrap();
        cart.set_cart_discount(Some(Discount::Amount { amount: Money(100) }))
            .unwrap();
        let sc = charge(1000, &["Drinks"], None);
        let p = cart
            .price_with(&table(), TaxMode::Inclusive, Some(&sc))
            .unwrap();
        let line = p.service_charge.clone().unwrap();
        assert_eq!(line.base, p.lines[0].net);
        assert_eq!(
            line.amount,
            Money(i64::try_from(div_round(i128::from(p.lines[0].net.0) * 1000, 10_000)).unwrap())
        );
        let cocktails_only = charge(1000, &["Cocktails"], None);
        let none = cart
            .price_with(&table(), TaxMode::Inclusive, Some(&cocktails_only))
            .unwrap();
        assert_eq!(none.service_charge, None);
        assert_eq!(none, cart.price(&table(), TaxMode::Inclusive).unwrap());
    }

    #[test]
    fn service_charges_are_validated() {
        let ok = charge(1500, &["Drinks"], Some("standard"));
        assert_eq!(ok.validate(), Ok(()));
        assert_eq!(
            charge(0, &[], None).validate(),
            Err(ServiceChargeError::BadRate(0))
        );
        assert_eq!(
            charge(10_001, &[], None).validate(),
            Err(ServiceChargeError::BadRate(10_001))
        );
        assert_eq!(charge(10_000, &[], None).validate(), Ok(()));
        assert_eq!(
            charge(1000, &[" "], None).validate(),
            Err(ServiceChargeError::EmptyCategory)
        );
        let mut no_class = ok.clone();
        no_class.tax_class = None;
        assert_eq!(no_class.validate(), Err(ServiceChargeError::NoTaxClass));
        no_class.tax_class = Some(String::new());
        assert_eq!(no_class.validate(), Err(ServiceChargeError::NoTaxClass));
        let mut untaxed_with_class = ok.clone();
        untaxed_with_class.taxable = false;
        assert_eq!(
            untaxed_with_class.validate(),
            Err(ServiceChargeError::TaxClassWithoutTax("standard".into()))
        );
        // price_with refuses an invalid one.
        assert_eq!(
            drinks_and_snacks().price_with(
                &table(),
                TaxMode::Inclusive,
                Some(&charge(0, &[], None))
            ),
            Err(CartError::ServiceCharge(ServiceChargeError::BadRate(0)))
        );
    }

    /// Carts of bar products: a required size (single, or double at a price change that may
    /// be negative), weighed items, categories, happy-hour prices, line and cart discounts.
    pub(crate) fn arb_bar_cart() -> impl Strategy<Value = (Cart, TaxMode)> {
        let line = (
            (1i64..50_000, -2_000i64..2_000),
            prop_oneof![Just("standard"), Just("reduced"), Just("zero")],
            prop_oneof![Just(Some("Drinks")), Just(Some("Snacks")), Just(None)],
            any::<bool>(),
            1i64..2_000,
            prop::option::of(prop_oneof![
                (1u32..=10_000).prop_map(|bp| Discount::Percent { bp }),
                (1i64..500).prop_map(|a| Discount::Amount { amount: Money(a) }),
            ]),
            (any::<bool>(), any::<bool>()),
        );
        (
            prop::collection::vec(line, 1..12),
            prop::option::of(prop_oneof![
                (1u32..=10_000).prop_map(|bp| Discount::Percent { bp }),
                (1i64..300).prop_map(|a| Discount::Amount { amount: Money(a) }),
            ]),
            prop_oneof![Just(TaxMode::Inclusive), Just(TaxMode::Exclusive)],
        )
            .prop_map(|(lines, cart_disc, mode)| {
                let mut hh = rule(
                    "hh",
                    &[],
                    (17, 0),
                    (19, 0),
                    Adjustment::PercentOff { bp: 2500 },
                );
                hh.categories.clear();
                let mut cart = Cart::new();
                let mut products = Vec::new();
                for (i, ((price, delta), class, category, weighed, qty, disc, (double, happy))) in
                    lines.into_iter().enumerate()
                {
                    let sold_by = if weighed {
                        SoldBy::Weight
                    } else {
                        SoldBy::Unit
                    };
                    let q = if weighed {
                        Quantity::Grams(qty)
                    } else {
                        Quantity::Units(qty % 20 + 1)
                    };
                    let sku = format!("P{i}");
                    let mut p = product(&sku, price, class, sold_by)
                        .with_modifier_groups(vec![group(
                            "size",
                            1,
                            1,
                            vec![opt("single", 0), opt("double", delta)],
                        )])
                        .unwrap();
                    p.category = category.map(str::to_string);
                    if happy {
                        hh.skus.push(sku);
                    }
                    products.push((p, q, disc, double));
                }
                let rules = vec![hh];
                for (p, q, disc, double) in products {
                    let size = if double { "double" } else { "single" };
                    let l = cart
                        .add_with(
                            &p,
                            q,
                            &c(&[("size", size)]),
                            &rules,
                            at(2026, 11, 27, 18, 0),
                        )
                        .unwrap();
                    let g =
                        extended_price(cart.lines.last().map_or(Money::ZERO, |l| l.unit_price), q)
                            .unwrap();
                    cart.set_line_discount(l, disc.filter(|d| d.off(g).is_ok()))
                        .unwrap();
                }
                cart.discount = cart_disc;
                (cart, mode)
            })
    }

    pub(crate) fn arb_service_charge() -> impl Strategy<Value = ServiceCharge> {
        (
            prop_oneof![1u32..3_000, Just(10_000u32), 1u32..=10_000],
            prop_oneof![
                Just(vec![]),
                Just(vec!["Drinks".to_string()]),
                Just(vec!["Drinks".to_string(), "Snacks".to_string()]),
            ],
            prop::option::of(prop_oneof![Just("standard"), Just("reduced"), Just("zero")]),
        )
            .prop_map(|(rate_bp, categories, class)| ServiceCharge {
                rate_bp,
                categories,
                taxable: class.is_some(),
                tax_class: class.map(str::to_string),
            })
    }

    proptest! {
        /// With a service charge (taxable or not, prices with or without tax) and modifiers:
        /// Σ line totals + service charge (+ its tax when exclusive) == total;
        /// Σ line tax + service-charge tax == tax_total == Σ TaxLine.tax; nothing negative.
        #[test]
        fn totals_reconcile_with_a_service_charge((cart, mode) in arb_bar_cart(), sc in arb_service_charge()) {
            let priced = match cart.price_with(&table(), mode, Some(&sc)) {
                Ok(p) => p,
                Err(CartError::DiscountExceedsAmount { .. }) => return Ok(()),
                Err(e) => return Err(TestCaseError::fail(e.to_string())),
            };
            let line_sum: Money = priced.lines.iter().map(|l| l.total).sum();
            let nets: Money = priced.lines.iter().map(|l| l.net).sum();
            let line_tax: Money = priced.lines.iter().map(|l| l.tax).sum();
            let class_tax: Money = priced.taxes.iter().map(|t| t.tax).sum();
            let class_base: Money = priced.taxes.iter().map(|t| t.base).sum();
            let eligible: Money = cart
                .lines
                .iter()
                .zip(&priced.lines)
                .filter(|(c, _)| sc.applies_to(c.category.as_deref()))
                .map(|(_, p)| p.net)
                .sum();
            let expected = Money(i64::try_from(div_round(i128::from(eligible.0) * i128::from(sc.rate_bp), 10_000)).unwrap());
            match &priced.service_charge {
                None => {
                    prop_assert!(expected.is_zero());
                    prop_assert_eq!(line_sum, priced.total);
                    prop_assert_eq!(line_tax, priced.tax_total);
                    prop_assert_eq!(class_base, nets);
                }
                Some(s) => {
                    prop_assert_eq!(s.base, eligible);
                    prop_assert_eq!(s.amount, expected);
                    prop_assert!(s.amount.0 > 0 && s.tax.0 >= 0);
                    let extra = if mode == TaxMode::Exclusive { s.tax } else { Money::ZERO };
                    prop_assert_eq!(s.total, s.amount + extra);
                    prop_assert_eq!(line_sum + s.amount + extra, priced.total);
                    prop_assert_eq!(line_tax + s.tax, priced.tax_total);
                    prop_assert_eq!(
                        priced.lines.iter().map(|l| l.service_charge).sum::<Money>(),
                        s.amount
                    );
                    if sc.taxable {
                        prop_assert_eq!(s.tax_class.as_deref(), sc.tax_class.as_deref());
                        prop_assert_eq!(class_base, nets + s.amount);
                        if mode == TaxMode::Inclusive { prop_assert!(s.tax <= s.amount); }
                    } else {
                        prop_assert_eq!(s.tax, Money::ZERO);
                        prop_assert_eq!(s.tax_class.clone(), None);
                        prop_assert_eq!(class_base, nets);
                    }
                }
            }
            prop_assert_eq!(class_tax, priced.tax_total);
            prop_assert_eq!(priced.subtotal - priced.discount_total, nets);
            for l in &priced.lines {
                prop_assert!(l.net.0 >= 0 && l.tax.0 >= 0 && l.total.0 >= 0 && l.service_charge.0 >= 0);
                prop_assert_eq!(l.gross - l.line_discount - l.cart_discount, l.net);
            }
            // Each class's tax is computed once over its base.
            for t in &priced.taxes {
                prop_assert_eq!(t.tax, tax_on(t.base, t.rate_bp, mode));
            }
            prop_assert!(priced.total.0 >= 0);
            // Without the service charge, the lines price exactly as before.
            let plain = cart.price(&table(), mode).unwrap();
            prop_assert_eq!(plain.subtotal, priced.subtotal);
            prop_assert_eq!(plain.discount_total, priced.discount_total);
            prop_assert_eq!(plain.lines.iter().map(|l| l.net).collect::<Vec<_>>(), priced.lines.iter().map(|l| l.net).collect::<Vec<_>>());
        }

        #[test]
        fn totals_reconcile((cart, mode) in arb_cart()) {
            let priced = match cart.price(&table(), mode) {
                Ok(p) => p,
                // A cart amount discount larger than the cart is refused; nothing to check.
                Err(CartError::DiscountExceedsAmount { .. }) => return Ok(()),
                Err(e) => return Err(TestCaseError::fail(e.to_string())),
            };
            let line_sum: Money = priced.lines.iter().map(|l| l.total).sum();
            prop_assert_eq!(line_sum, priced.total);
            let line_tax: Money = priced.lines.iter().map(|l| l.tax).sum();
            prop_assert_eq!(line_tax, priced.tax_total);
            let class_base: Money = priced.taxes.iter().map(|t| t.base).sum();
            let nets: Money = priced.lines.iter().map(|l| l.net).sum();
            prop_assert_eq!(class_base, nets);
            prop_assert_eq!(priced.subtotal - priced.discount_total, nets);
            for l in &priced.lines {
                prop_assert!(l.net.0 >= 0 && l.tax.0 >= 0);
                prop_assert_eq!(l.gross - l.line_discount - l.cart_discount, l.net);
                if mode == TaxMode::Inclusive { prop_assert!(l.tax <= l.net); }
            }
            prop_assert!(priced.total.0 >= 0);
        }
    }
}
