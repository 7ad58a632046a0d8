//! Refunds against an original sale and post-void rules.
//!
//! Refunds are computed cumulatively: what the refunded quantity so far is worth, minus
//! what earlier refunds already returned, so refunding in parts never returns more than
//! was sold and refunding everything returns exactly the sale. The service charge comes
//! back the same way, line by line, with the goods it was charged on
//! ([`refund_service_charge`]). Tips are not refunded with the goods: they were the
//! staff's, not the sale's (a tip given back is a matter for the manager, outside a
//! refund).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::cart::{Quantity, ServiceChargeLine};
use crate::money::{div_round, Money};

/// A line of a completed sale, as needed to refund it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SoldLine {
    pub line_no: u32,
    pub sku: String,
    pub name: String,
    pub quantity: Quantity,
    pub total: Money,
    pub tax: Money,
    pub tax_class: String,
    /// The line's share of the sale's service charge (`PricedLine::service_charge`).
    #[serde(default, skip_serializing_if = "crate::money::is_zero")]
    pub service_charge: Money,
    /// The choices it was sold with, as the sale recorded them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub modifiers: Vec<crate::cart::ChosenModifier>,
}

impl From<&crate::cart::PricedLine> for SoldLine {
    fn from(l: &crate::cart::PricedLine) -> SoldLine {
        SoldLine {
            line_no: l.line_no,
            sku: l.sku.clone(),
            name: l.name.clone(),
            quantity: l.quantity,
            total: l.total,
            tax: l.tax,
            tax_class: l.tax_class.clone(),
            service_charge: l.service_charge,
            modifiers: l.modifiers.clone(),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RefundRequestLine {
    pub line_no: u32,
    pub quantity: Quantity,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RefundLine {
    pub line_no: u32,
    pub sku: String,
    pub name: String,
    pub quantity: Quantity,
    /// Refunded amount including tax.
    pub amount: Money,
    pub tax: Money,
    pub tax_class: String,
    /// The choices the line was sold with ("Double", "On the rocks").
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub modifiers: Vec<crate::cart::ChosenModifier>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RefundError {
    #[error("the original sale has no line {0}")]
    NoSuchLine(u32),
    #[error("line {0} is named twice in the refund")]
    DuplicateLine(u32),
    #[error("line {line_no}: the quantity must be given in the unit it was sold in")]
    WrongKind { line_no: u32 },
    #[error(
        "line {line_no}: {requested} requested but only {remaining} of {sold} is left to refund"
    )]
    Exceeds {
        line_no: u32,
        sold: i64,
        remaining: i64,
        requested: i64,
    },
    #[error("refund quantity must be positive")]
    NonPositive,
    #[error("nothing to refund")]
    Nothing,
    #[error("this sale was voided; it cannot be refunded")]
    Voided,
}

/// How much of `line_no` earlier refunds returned.
pub fn refunded_so_far(already_refunded: &[(u32, i64)], line_no: u32) -> i64 {
    already_refunded
        .iter()
        .filter(|(l, _)| *l == line_no)
        .map(|(_, q)| *q)
        .sum()
}

/// What is left to refund on a sold line.
pub fn refundable(line: &SoldLine, already_refunded: &[(u32, i64)]) -> Quantity {
    line.quantity
        .with_amount(line.quantity.amount() - refunded_so_far(already_refunded, line.line_no))
}

/// The refund's lines. Amounts are computed cumulatively — what the refunded quantity so
/// far is worth, minus what earlier refunds already returned — so refunding a line in
/// several parts returns exactly its total, never a cent more.
pub fn plan_refund(
    sold: &[SoldLine],
    already_refunded: &[(u32, i64)],
    request: &[RefundRequestLine],
) -> Result<Vec<RefundLine>, RefundError> {
    if request.is_empty() {
        return Err(RefundError::Nothing);
    }
    let mut out = Vec::with_capacity(request.len());
    for (i, req) in request.iter().enumerate() {
        if request[..i].iter().any(|r| r.line_no == req.line_no) {
            return Err(RefundError::DuplicateLine(req.line_no));
        }
        let line = sold
            .iter()
            .find(|l| l.line_no == req.line_no)
            .ok_or(RefundError::NoSuchLine(req.line_no))?;
        if !line.quantity.same_kind(req.quantity) {
            return Err(RefundError::WrongKind {
                line_no: req.line_no,
            });
        }
        if req.quantity.amount() <= 0 {
            return Err(RefundError::NonPositive);
        }
        let sold_q = line.quantity.amount();
        let before = refunded_so_far(already_refunded, req.line_no);
        let after = before + req.quantity.amount();
        if after > sold_q {
            return Err(RefundError::Exceeds {
                line_no: req.line_no,
                sold: sold_q,
                remaining: sold_q - before,
                requested: req.quantity.amount(),
            });
        }
        let share = |v: Money, q: i64| -> i64 {
            i64::try_from(div_round(
                i128::from(v.0) * i128::from(q),
                i128::from(sold_q),
            ))
            .unwrap_or(0)
        };
        out.push(RefundLine {
            line_no: line.line_no,
            sku: line.sku.clone(),
            name: line.name.clone(),
            quantity: req.quantity,
            amount: Money(share(line.total, after) - share(line.total, before)),
            tax: Money(share(line.tax, after) - share(line.tax, before)),
            tax_class: line.tax_class.clone(),
            modifiers: line.modifiers.clone(),
        });
    }
    Ok(out)
}

/// The part of a sale's service charge a refund gives back, with the same meanings as the
/// sale's [`ServiceChargeLine`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ServiceChargeRefund {
    /// Of the service charge's `amount` (what shift figures count as service charge).
    pub amount: Money,
    /// Of its tax.
    pub tax: Money,
    /// What the customer gets back for it: `amount`, + `tax` when prices exclude tax.
    pub total: Money,
}

/// The service charge a refund gives back, beside [`plan_refund`] and with the same
/// arguments (call it once `plan_refund` has accepted the request). Computed cumulatively:
/// each line's share of the service charge (`SoldLine::service_charge`) in proportion to
/// its quantity refunded so far, minus what earlier refunds gave back; its tax and total
/// in proportion to that. So refunding in parts never gives back more than was charged,
/// and refunding every line in full gives back exactly `charged.amount`, `tax` and
/// `total`. A line without a share (not eligible) gives back nothing.
pub fn refund_service_charge(
    charged: &ServiceChargeLine,
    sold: &[SoldLine],
    already_refunded: &[(u32, i64)],
    request: &[RefundRequestLine],
) -> ServiceChargeRefund {
    let requested = |line_no: u32| -> i64 {
        request
            .iter()
            .filter(|r| r.line_no == line_no)
            .map(|r| r.quantity.amount().max(0))
            .sum()
    };
    // Σ over lines of share × refunded quantity / sold quantity, before and after.
    let (mut before, mut after) = (0i128, 0i128);
    for l in sold {
        let q = l.quantity.amount();
        if q <= 0 || l.service_charge.is_zero() {
            continue;
        }
        let b = refunded_so_far(already_refunded, l.line_no).clamp(0, q);
        let a = (b + requested(l.line_no)).min(q);
        let share = |n: i64| {
            div_round(
                i128::from(l.service_charge.0) * i128::from(n),
                i128::from(q),
            )
        };
        before += share(b);
        after += share(a);
    }
    let cap = i128::from(charged.amount.0);
    let (before, after) = (before.min(cap), after.min(cap));
    let part = |of: Money, x: i128| -> i128 {
        if cap <= 0 {
            0
        } else {
            div_round(i128::from(of.0) * x, cap)
        }
    };
    let money = |v: i128| Money(i64::try_from(v).unwrap_or(0));
    ServiceChargeRefund {
        amount: money(after - before),
        tax: money(part(charged.tax, after) - part(charged.tax, before)),
        total: money(part(charged.total, after) - part(charged.total, before)),
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VoidError {
    #[error("this sale is already voided")]
    AlreadyVoided,
    #[error("this sale has refunds against it; refund the rest instead of voiding")]
    HasRefunds,
    #[error("a sale can only be voided during the shift it was rung up in; refund it instead")]
    OtherShift,
}

/// Post-void is allowed for a sale of the open shift with no refunds against it.
pub fn check_void(voided: bool, has_refunds: bool, same_shift: bool) -> Result<(), VoidError> {
    if voided {
        Err(VoidError::AlreadyVoided)
    } else if has_refunds {
        Err(VoidError::HasRefunds)
    } else if !same_shift {
        Err(VoidError::OtherShift)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cart::tests::{arb_cart, table};
    use proptest::prelude::*;

    fn sold_from(priced: &crate::cart::PricedCart) -> Vec<SoldLine> {
        priced.lines.iter().map(SoldLine::from).collect()
    }

    #[test]
    fn partial_then_rest() {
        let sold = vec![SoldLine {
            line_no: 1,
            sku: "A".into(),
            name: "A".into(),
            quantity: Quantity::Units(3),
            total: Money(1000),
            tax: Money(167),
            tax_class: "standard".into(),
            service_charge: Money::ZERO,
            modifiers: Vec::new(),
        }];
        let first = plan_refund(
            &sold,
            &[],
            &[RefundRequestLine {
                line_no: 1,
                quantity: Quantity::Units(1),
            }],
        )
        .unwrap();
        assert_eq!(first[0].amount, Money(333));
        let second = plan_refund(
            &sold,
            &[(1, 1)],
            &[RefundRequestLine {
                line_no: 1,
                quantity: Quantity::Units(2),
            }],
        )
        .unwrap();
        assert_eq!(first[0].amount + second[0].amount, Money(1000));
        assert_eq!(first[0].tax + second[0].tax, Money(167));
        assert!(matches!(
            plan_refund(
                &sold,
                &[(1, 3)],
                &[RefundRequestLine {
                    line_no: 1,
                    quantity: Quantity::Units(1)
                }]
            ),
            Err(RefundError::Exceeds { remaining: 0, .. })
        ));
        assert!(matches!(
            plan_refund(
                &sold,
                &[],
                &[RefundRequestLine {
                    line_no: 9,
                    quantity: Quantity::Units(1)
                }]
            ),
            Err(RefundError::NoSuchLine(9))
        ));
        assert!(matches!(
            plan_refund(
                &sold,
                &[],
                &[RefundRequestLine {
                    line_no: 1,
                    quantity: Quantity::Grams(1)
                }]
            ),
            Err(RefundError::WrongKind { .. })
        ));
        assert!(matches!(
            plan_refund(
                &sold,
                &[],
                &[RefundRequestLine {
                    line_no: 1,
                    quantity: Quantity::Units(-1)
                }]
            ),
            Err(RefundError::NonPositive)
        ));
    }

    #[test]
    fn void_rules() {
        assert_eq!(check_void(false, false, true), Ok(()));
        assert_eq!(check_void(true, false, true), Err(VoidError::AlreadyVoided));
        assert_eq!(check_void(false, true, true), Err(VoidError::HasRefunds));
        assert_eq!(check_void(false, false, false), Err(VoidError::OtherShift));
    }

    #[test]
    fn the_service_charge_comes_back_with_the_goods() {
        use crate::cart::{Cart, ServiceCharge};
        use crate::catalog::{Product, SoldBy};
        use crate::tax::TaxMode;
        let drink = |sku: &str, price: i64, cat: &str| {
            Product::new(
                sku,
                sku,
                &[],
                Money(price),
                "standard",
                SoldBy::Unit,
                Some(cat),
                true,
            )
            .unwrap()
        };
        let mut cart = Cart::new();
        cart.add(&drink("GT", 1000, "Drinks"), Quantity::Units(3))
            .unwrap();
        cart.add(&drink("NUTS", 400, "Snacks"), Quantity::Units(1))
            .unwrap();
        let sc = ServiceCharge {
            rate_bp: 1500,
            categories: vec!["Drinks".into()],
            taxable: true,
            tax_class: Some("standard".into()),
        };
        let priced = cart
            .price_with(&table(), TaxMode::Exclusive, Some(&sc))
            .unwrap();
        let charged = priced.service_charge.clone().unwrap();
        assert_eq!(
            (charged.base, charged.amount, charged.tax, charged.total),
            (Money(3000), Money(450), Money(90), Money(540))
        );
        let sold = sold_from(&priced);
        let one = |line_no: u32, n: i64| {
            [RefundRequestLine {
                line_no,
                quantity: Quantity::Units(n),
            }]
        };
        // The nuts were not charged: nothing comes back with them.
        assert_eq!(
            refund_service_charge(&charged, &sold, &[], &one(2, 1)),
            ServiceChargeRefund::default()
        );
        // One G&T of three, then the other two.
        let first = refund_service_charge(&charged, &sold, &[], &one(1, 1));
        assert_eq!(
            first,
            ServiceChargeRefund {
                amount: Money(150),
                tax: Money(30),
                total: Money(180)
            }
        );
        let rest = refund_service_charge(&charged, &sold, &[(1, 1)], &one(1, 2));
        assert_eq!(first.total + rest.total, charged.total);
        assert_eq!(first.tax + rest.tax, charged.tax);
        // Nothing more once everything is back.
        assert_eq!(
            refund_service_charge(&charged, &sold, &[(1, 3)], &one(1, 1)),
            ServiceChargeRefund::default()
        );
    }

    proptest! {
        /// Refunding a sale in any sequence of parts gives back exactly its service charge
        /// (amount, tax and total) in the end, and never more at any point.
        #[test]
        fn the_service_charge_is_refunded_exactly_once(
            (cart, mode) in crate::cart::tests::arb_bar_cart(),
            sc in crate::cart::tests::arb_service_charge(),
            chunks in prop::collection::vec((0usize..12, 1i64..4), 1..30),
        ) {
            let Ok(priced) = cart.price_with(&table(), mode, Some(&sc)) else { return Ok(()) };
            let Some(charged) = priced.service_charge.clone() else { return Ok(()) };
            let sold = sold_from(&priced);
            let mut done: Vec<(u32, i64)> = Vec::new();
            let mut back = ServiceChargeRefund::default();
            let left = |done: &[(u32, i64)], l: &SoldLine| l.quantity.amount() - refunded_so_far(done, l.line_no);
            // The parts asked for, then whatever is left, line by line.
            let mut steps: Vec<(usize, i64)> = chunks.clone();
            steps.extend((0..sold.len()).map(|i| (i, i64::MAX)));
            for (pick, n) in steps {
                let l = &sold[pick % sold.len()];
                let q = n.min(left(&done, l));
                if q <= 0 { continue; }
                let req = [RefundRequestLine { line_no: l.line_no, quantity: l.quantity.with_amount(q) }];
                prop_assert!(plan_refund(&sold, &done, &req).is_ok());
                let r = refund_service_charge(&charged, &sold, &done, &req);
                prop_assert!(r.amount.0 >= 0 && r.tax.0 >= 0 && r.total.0 >= 0);
                back.amount += r.amount;
                back.tax += r.tax;
                back.total += r.total;
                prop_assert!(back.amount <= charged.amount && back.tax <= charged.tax && back.total <= charged.total);
                done.push((l.line_no, q));
            }
            prop_assert_eq!(back, ServiceChargeRefund { amount: charged.amount, tax: charged.tax, total: charged.total });
        }

        /// Refunding a sale in arbitrary chunks never returns more than was sold, and
        /// refunding everything returns exactly the sale's total and tax.
        #[test]
        fn refunds_never_exceed_the_sale((cart, mode) in arb_cart(), chunks in prop::collection::vec(1i64..5, 1..8)) {
            let Ok(priced) = cart.price(&table(), mode) else { return Ok(()) };
            let sold = sold_from(&priced);
            let mut done: Vec<(u32, i64)> = Vec::new();
            let mut refunded = Money::ZERO;
            let mut refunded_tax = Money::ZERO;
            for chunk in chunks.iter().cycle().take(200) {
                let mut req = Vec::new();
                for l in &sold {
                    let before: i64 = done.iter().filter(|(n, _)| *n == l.line_no).map(|(_, q)| *q).sum();
                    let left = l.quantity.amount() - before;
                    if left > 0 {
                        let q = (*chunk * (l.quantity.amount() / 4 + 1)).min(left);
                        req.push(RefundRequestLine { line_no: l.line_no, quantity: l.quantity.with_amount(q) });
                    }
                }
                if req.is_empty() { break; }
                let lines = plan_refund(&sold, &done, &req).unwrap();
                for r in &lines {
                    prop_assert!(r.amount.0 >= 0);
                    refunded += r.amount;
                    refunded_tax += r.tax;
                    done.push((r.line_no, r.quantity.amount()));
                }
                prop_assert!(refunded <= priced.total);
            }
            prop_assert_eq!(refunded, priced.total);
            prop_assert_eq!(refunded_tax, priced.tax_total);
            // One more unit of anything is refused.
            let extra = plan_refund(&sold, &done, &[RefundRequestLine { line_no: sold[0].line_no, quantity: sold[0].quantity.with_amount(1) }]);
            let is_exceeds = matches!(extra, Err(RefundError::Exceeds { .. }));
            prop_assert!(is_exceeds);
        }
    }
}
