//! Split bills: one ticket, priced once, shared between guests who then each pay their
//! share with their own tenders (`tender::settle` per share; cash rounding, if any, is per
//! payment).
//!
//! * [`split_evenly`]: the total in equal parts, the odd minor units going to the first
//!   guests (largest remainder), so the parts add up to the total exactly.
//! * [`split_by_items`]: each line to one guest. A guest pays their lines' totals plus
//!   their share of the service charge: the shares the lines carry
//!   (`PricedLine::service_charge`), the service charge's total and tax split in that
//!   proportion by largest remainder. The guests' amounts add up to the ticket's total
//!   exactly.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::cart::PricedCart;
use crate::money::{allocate, Money};

/// Most guests one bill is split between.
pub const MAX_GUESTS: u32 = 100;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SplitError {
    #[error("a bill can be split between 1 and {MAX_GUESTS} guests, not {0}")]
    BadGuests(u32),
    #[error("a bill to split cannot be negative")]
    NegativeTotal,
    #[error("there is no line {0} on this bill")]
    NoSuchLine(u32),
    #[error("line {0} is given to more than one guest")]
    LineAssignedTwice(u32),
    #[error("line {0} is not given to any guest")]
    LineNotAssigned(u32),
}

/// The total in `guests` parts that differ by at most one minor unit, the larger ones
/// first; they add up to `total` exactly.
pub fn split_evenly(total: Money, guests: u32) -> Result<Vec<Money>, SplitError> {
    if guests == 0 || guests > MAX_GUESTS {
        return Err(SplitError::BadGuests(guests));
    }
    if total.is_negative() {
        return Err(SplitError::NegativeTotal);
    }
    let n = usize::try_from(guests).map_err(|_| SplitError::BadGuests(guests))?;
    Ok(allocate(total.0, &vec![1; n])
        .into_iter()
        .map(Money)
        .collect())
}

/// One guest's part of a bill split by items.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct GuestShare {
    pub guest: u32,
    /// Their line numbers, in the ticket's order.
    pub lines: Vec<u32>,
    /// What the guest pays: their lines' totals + `service_charge_share`.
    pub amount: Money,
    /// Their part of the service charge's total (its tax included when prices exclude
    /// tax).
    pub service_charge_share: Money,
    /// The tax in `amount`: their lines' tax + their part of the service charge's tax.
    pub tax_share: Money,
}

/// Splits `priced` by items: `assignment` gives each line (by `line_no`) to a guest (any
/// number naming them). Every line must be given to exactly one guest. The shares come
/// back in ascending guest order and add up to `priced.total` exactly.
pub fn split_by_items(
    priced: &PricedCart,
    assignment: &[(u32, u32)],
) -> Result<Vec<GuestShare>, SplitError> {
    for (i, (line_no, _)) in assignment.iter().enumerate() {
        if !priced.lines.iter().any(|l| l.line_no == *line_no) {
            return Err(SplitError::NoSuchLine(*line_no));
        }
        if assignment[..i].iter().any(|(l, _)| l == line_no) {
            return Err(SplitError::LineAssignedTwice(*line_no));
        }
    }
    if let Some(l) = priced
        .lines
        .iter()
        .find(|l| !assignment.iter().any(|(n, _)| *n == l.line_no))
    {
        return Err(SplitError::LineNotAssigned(l.line_no));
    }
    let mut guests: Vec<u32> = assignment.iter().map(|(_, g)| *g).collect();
    guests.sort_unstable();
    guests.dedup();
    if guests.len() > usize::try_from(MAX_GUESTS).unwrap_or(usize::MAX) {
        return Err(SplitError::BadGuests(
            u32::try_from(guests.len()).unwrap_or(u32::MAX),
        ));
    }
    let mut shares: Vec<GuestShare> = guests
        .iter()
        .map(|g| GuestShare {
            guest: *g,
            lines: Vec::new(),
            amount: Money::ZERO,
            service_charge_share: Money::ZERO,
            tax_share: Money::ZERO,
        })
        .collect();
    // Each guest's lines, and their lines' service-charge shares (the weights below).
    let mut weights = vec![0i64; shares.len()];
    let mut fallback = vec![0i64; shares.len()];
    for line in &priced.lines {
        let guest = assignment
            .iter()
            .find(|(n, _)| *n == line.line_no)
            .map(|(_, g)| *g)
            .ok_or(SplitError::LineNotAssigned(line.line_no))?;
        let k = guests.binary_search(&guest).unwrap_or(0);
        let s = &mut shares[k];
        s.lines.push(line.line_no);
        s.amount += line.total;
        s.tax_share += line.tax;
        weights[k] += line.service_charge.0;
        fallback[k] += line.total.0;
    }
    if let Some(sc) = &priced.service_charge {
        // A ticket whose lines carry no shares (priced before they did): by line totals.
        let w = if weights.iter().all(|w| *w == 0) {
            &fallback
        } else {
            &weights
        };
        let totals = allocate(sc.total.0, w);
        let taxes = allocate(sc.tax.0, w);
        for (k, s) in shares.iter_mut().enumerate() {
            s.service_charge_share = Money(totals[k]);
            s.amount += Money(totals[k]);
            s.tax_share += Money(taxes[k]);
        }
    }
    Ok(shares)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cart::tests::{arb_bar_cart, arb_service_charge, table};
    use crate::cart::{Cart, CartError, Quantity, ServiceCharge};
    use crate::catalog::{Product, SoldBy};
    use crate::tax::TaxMode;
    use proptest::prelude::*;

    #[test]
    fn evenly_with_the_odd_cents_first() {
        assert_eq!(
            split_evenly(Money(1000), 3).unwrap(),
            vec![Money(334), Money(333), Money(333)]
        );
        assert_eq!(split_evenly(Money(0), 2).unwrap(), vec![Money(0), Money(0)]);
        assert_eq!(split_evenly(Money(5), 1).unwrap(), vec![Money(5)]);
        assert_eq!(split_evenly(Money(5), 0), Err(SplitError::BadGuests(0)));
        assert_eq!(
            split_evenly(Money(5), MAX_GUESTS + 1),
            Err(SplitError::BadGuests(MAX_GUESTS + 1))
        );
        assert_eq!(split_evenly(Money(-5), 2), Err(SplitError::NegativeTotal));
    }

    #[test]
    fn by_items_with_the_service_charge_shared_by_what_each_had() {
        let drink = |sku: &str, price: i64, category: &str| {
            Product::new(
                sku,
                sku,
                &[],
                Money(price),
                "standard",
                SoldBy::Unit,
                Some(category),
                true,
            )
            .unwrap()
        };
        let mut cart = Cart::new();
        cart.add(&drink("GT", 1000, "Drinks"), Quantity::Units(2))
            .unwrap();
        cart.add(&drink("WINE", 700, "Drinks"), Quantity::Units(1))
            .unwrap();
        cart.add(&drink("NUTS", 400, "Snacks"), Quantity::Units(1))
            .unwrap();
        let sc = ServiceCharge {
            rate_bp: 1000,
            categories: vec!["Drinks".into()],
            taxable: true,
            tax_class: Some("standard".into()),
        };
        let priced = cart
            .price_with(&table(), TaxMode::Exclusive, Some(&sc))
            .unwrap();
        // Guest 7 had the G&Ts, guest 2 the wine and the nuts.
        let shares = split_by_items(&priced, &[(1, 7), (2, 2), (3, 2)]).unwrap();
        assert_eq!(
            shares.iter().map(|s| s.guest).collect::<Vec<_>>(),
            vec![2, 7]
        );
        assert_eq!(shares[0].lines, vec![2, 3]);
        // 10 % service on drinks: 2.00 on the G&Ts, 0.70 on the wine; 20 % tax on it.
        assert_eq!(shares[1].service_charge_share, Money(240));
        assert_eq!(shares[0].service_charge_share, Money(84));
        assert_eq!(shares[1].amount, Money(2000 + 400 + 240));
        assert_eq!(shares[0].amount, Money(700 + 140 + 400 + 80 + 84));
        assert_eq!(shares.iter().map(|s| s.amount).sum::<Money>(), priced.total);
        assert_eq!(
            shares.iter().map(|s| s.tax_share).sum::<Money>(),
            priced.tax_total
        );

        assert_eq!(
            split_by_items(&priced, &[(1, 1), (2, 1)]),
            Err(SplitError::LineNotAssigned(3))
        );
        assert_eq!(
            split_by_items(&priced, &[(1, 1), (2, 1), (3, 1), (1, 2)]),
            Err(SplitError::LineAssignedTwice(1))
        );
        assert_eq!(
            split_by_items(&priced, &[(1, 1), (2, 1), (3, 1), (9, 2)]),
            Err(SplitError::NoSuchLine(9))
        );
    }

    proptest! {
        #[test]
        fn even_parts_add_up(total in 0i64..1_000_000_000, guests in 1u32..=MAX_GUESTS) {
            let parts = split_evenly(Money(total), guests).unwrap();
            prop_assert_eq!(parts.len(), guests as usize);
            prop_assert_eq!(parts.iter().copied().sum::<Money>(), Money(total));
            prop_assert!(parts.iter().all(|p| p.0 >= 0));
            let (lo, hi) = (parts.iter().min().unwrap(), parts.iter().max().unwrap());
            prop_assert!(hi.0 - lo.0 <= 1);
        }

        /// Any assignment of lines to guests: the amounts add up to the total exactly, the
        /// service-charge shares to its total and the tax shares to the tax; none is
        /// negative.
        #[test]
        fn item_shares_add_up(
            (cart, mode) in arb_bar_cart(),
            sc in prop::option::of(arb_service_charge()),
            guests in prop::collection::vec(0u32..6, 12),
        ) {
            let priced = match cart.price_with(&table(), mode, sc.as_ref()) {
                Ok(p) => p,
                Err(CartError::DiscountExceedsAmount { .. }) => return Ok(()),
                Err(e) => return Err(TestCaseError::fail(e.to_string())),
            };
            let assignment: Vec<(u32, u32)> = priced
                .lines
                .iter()
                .enumerate()
                .map(|(i, l)| (l.line_no, guests[i % guests.len()]))
                .collect();
            let shares = split_by_items(&priced, &assignment).unwrap();
            prop_assert_eq!(shares.iter().map(|s| s.amount).sum::<Money>(), priced.total);
            prop_assert_eq!(shares.iter().map(|s| s.tax_share).sum::<Money>(), priced.tax_total);
            prop_assert_eq!(
                shares.iter().map(|s| s.service_charge_share).sum::<Money>(),
                priced.service_charge.as_ref().map_or(Money::ZERO, |s| s.total)
            );
            prop_assert!(shares.iter().all(|s| s.amount.0 >= 0 && s.service_charge_share.0 >= 0 && s.tax_share.0 >= 0));
            prop_assert_eq!(shares.iter().map(|s| s.lines.len()).sum::<usize>(), priced.lines.len());
            // And the same total split evenly.
            let even = split_evenly(priced.total, u32::try_from(shares.len()).unwrap()).unwrap();
            prop_assert_eq!(even.iter().copied().sum::<Money>(), priced.total);
        }
    }
}
