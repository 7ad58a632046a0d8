//! Happy-hour prices: rules that lower some products' price during a window of the
//! store's local time ("cocktails 20 % off, Mon-Fri 17:00-19:00").
//!
//! * A rule applies to a product listed in its `skus` OR whose category is in its
//!   `categories`.
//! * Its window is `start..end` of store-local time on the listed `days` (empty = every
//!   day). When `end <= start` the window runs past midnight and belongs to the day it
//!   started on: a Friday 22:00-02:00 rule is active from Friday 22:00 to Saturday 02:00,
//!   not on Friday 01:00. `end == start` is a 24-hour window.
//! * The time is handed in as a `NaiveDateTime` in the store's time zone (`[store]
//!   timezone`); this crate reads no clock and knows no time zones.
//! * [`best_rule`] picks, among the rules active then that apply, the one giving the lowest
//!   price. A price never goes below zero; a rule that would not lower the catalog price
//!   (a fixed price at or above it) does not apply. Ties go to the smallest rule id.
//! * The price is captured on the cart line when it is rung up
//!   ([`crate::cart::Cart::add_with`]), so a line keeps its happy-hour price after the
//!   window closes, like any other price captured at the scan.

use chrono::{Datelike, NaiveDateTime, NaiveTime, Weekday};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::catalog::{valid_id, validate_sku, Product};
use crate::money::{div_round, Money, MAX_INPUT_MINOR};

/// How a rule changes the catalog price (per unit, or per kilogram for weighed products).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Adjustment {
    /// Percentage off in basis points (2000 = 20 %), rounded half away from zero.
    PercentOff { bp: u32 },
    /// A fixed amount off, in minor units; the price stops at zero.
    AmountOff { amount: Money },
    /// This price instead of the catalog's, in minor units; only when it is lower.
    FixedPrice { price: Money },
}

impl Adjustment {
    /// The price after this adjustment, never below zero (it may be above `price` for a
    /// fixed price; [`best_rule`] then leaves the rule out).
    pub fn apply(self, price: Money) -> Money {
        let p = match self {
            Adjustment::PercentOff { bp } => {
                let off = div_round(i128::from(price.0) * i128::from(bp), 10_000);
                i128::from(price.0) - off
            }
            Adjustment::AmountOff { amount } => i128::from(price.0) - i128::from(amount.0),
            Adjustment::FixedPrice { price } => i128::from(price.0),
        };
        Money(i64::try_from(p.max(0)).unwrap_or(i64::MAX))
    }
}

/// A happy-hour rule. See the module doc for the window and how rules combine.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PriceRule {
    /// 1-64 letters, digits, '-', '_' or '.'.
    pub id: String,
    /// Printed on the receipt beside the line it priced, e.g. "Happy hour".
    pub name: String,
    /// The days the window starts on; empty = every day.
    pub days: Vec<Weekday>,
    /// Store-local start of the window (inclusive).
    pub start: NaiveTime,
    /// Store-local end of the window (exclusive); `end <= start` runs past midnight.
    pub end: NaiveTime,
    /// SKUs the rule applies to.
    pub skus: Vec<String>,
    /// Categories the rule applies to (a product's `category`, compared exactly).
    pub categories: Vec<String>,
    pub adjustment: Adjustment,
}

/// What is wrong with a price rule, worded for whoever maintains them at headquarters.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PriceRuleError {
    #[error("price rule id must be 1-64 characters of letters, digits, '-', '_' or '.': '{0}'")]
    BadId(String),
    #[error("price rule {id}: name must not be empty (it is printed on receipts)")]
    EmptyName { id: String },
    #[error("price rule {id}: list at least one SKU or category it applies to")]
    NoProducts { id: String },
    #[error("price rule {id}: '{sku}' is not a SKU (1-64 letters, digits, '-', '_' or '.')")]
    BadSku { id: String, sku: String },
    #[error("price rule {id}: a category must not be empty")]
    EmptyCategory { id: String },
    #[error("price rule {id}: percent off must be 1-10000 basis points (0.01-100 %), got {bp}")]
    BadPercent { id: String, bp: u32 },
    #[error("price rule {id}: amount off must be between 1 and {max} minor units")]
    BadAmount { id: String, max: i64 },
    #[error("price rule {id}: fixed price must be between 0 and {max} minor units")]
    BadFixedPrice { id: String, max: i64 },
}

impl PriceRule {
    pub fn validate(&self) -> Result<(), PriceRuleError> {
        let id = || self.id.clone();
        if !valid_id(&self.id) {
            return Err(PriceRuleError::BadId(self.id.clone()));
        }
        if self.name.trim().is_empty() {
            return Err(PriceRuleError::EmptyName { id: id() });
        }
        if self.skus.is_empty() && self.categories.is_empty() {
            return Err(PriceRuleError::NoProducts { id: id() });
        }
        if let Some(sku) = self.skus.iter().find(|s| validate_sku(s).is_err()) {
            return Err(PriceRuleError::BadSku {
                id: id(),
                sku: sku.clone(),
            });
        }
        if self.categories.iter().any(|c| c.trim().is_empty()) {
            return Err(PriceRuleError::EmptyCategory { id: id() });
        }
        match self.adjustment {
            Adjustment::PercentOff { bp } if bp == 0 || bp > 10_000 => {
                Err(PriceRuleError::BadPercent { id: id(), bp })
            }
            Adjustment::AmountOff { amount } if amount.0 <= 0 || amount.0 > MAX_INPUT_MINOR => {
                Err(PriceRuleError::BadAmount {
                    id: id(),
                    max: MAX_INPUT_MINOR,
                })
            }
            Adjustment::FixedPrice { price } if price.0 < 0 || price.0 > MAX_INPUT_MINOR => {
                Err(PriceRuleError::BadFixedPrice {
                    id: id(),
                    max: MAX_INPUT_MINOR,
                })
            }
            _ => Ok(()),
        }
    }

    /// The product is listed by SKU, or by its category.
    pub fn applies_to(&self, product: &Product) -> bool {
        self.skus.contains(&product.sku)
            || product
                .category
                .as_ref()
                .is_some_and(|c| self.categories.iter().any(|k| k == c))
    }

    /// The window is open at this store-local time (see the module doc).
    pub fn is_active_at(&self, local: NaiveDateTime) -> bool {
        let t = local.time();
        let today = local.date().weekday();
        let on = |day: Weekday| self.days.is_empty() || self.days.contains(&day);
        if self.start < self.end {
            on(today) && self.start <= t && t < self.end
        } else {
            // Past midnight: the evening part belongs to today, the early hours to the day
            // before.
            (t >= self.start && on(today)) || (t < self.end && on(today.pred()))
        }
    }
}

/// The lowest price any rule gives `product` at store-local time `local`, and the rule that
/// gives it: among the valid rules that apply to the product and are active then, those
/// that lower its catalog price; ties go to the smallest rule id. `None` when no rule
/// lowers the price.
pub fn best_rule<'a>(
    product: &Product,
    rules: &'a [PriceRule],
    local: NaiveDateTime,
) -> Option<(Money, &'a PriceRule)> {
    rules
        .iter()
        .filter(|r| r.validate().is_ok() && r.applies_to(product) && r.is_active_at(local))
        .map(|r| (r.adjustment.apply(product.price), r))
        .filter(|(price, _)| *price < product.price)
        .min_by(|(pa, ra), (pb, rb)| pa.cmp(pb).then_with(|| ra.id.cmp(&rb.id)))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::catalog::SoldBy;
    use chrono::NaiveDate;

    pub(crate) fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .and_then(|d| d.and_hms_opt(h, min, 0))
            .unwrap()
    }

    fn hm(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    pub(crate) fn rule(
        id: &str,
        days: &[Weekday],
        start: (u32, u32),
        end: (u32, u32),
        adjustment: Adjustment,
    ) -> PriceRule {
        PriceRule {
            id: id.into(),
            name: format!("Happy hour {id}"),
            days: days.to_vec(),
            start: hm(start.0, start.1),
            end: hm(end.0, end.1),
            skus: vec![],
            categories: vec!["Cocktails".into()],
            adjustment,
        }
    }

    fn mojito(price: i64) -> Product {
        Product::new(
            "MOJ",
            "Mojito",
            &[],
            Money(price),
            "standard",
            SoldBy::Unit,
            Some("Cocktails"),
            true,
        )
        .unwrap()
    }

    // 2026-11-27 is a Friday.
    #[test]
    fn a_window_on_some_days() {
        let r = rule(
            "hh",
            &[Weekday::Mon, Weekday::Fri],
            (17, 0),
            (19, 0),
            Adjustment::PercentOff { bp: 2000 },
        );
        assert!(
            r.is_active_at(at(2026, 11, 27, 17, 0)),
            "start is inclusive"
        );
        assert!(r.is_active_at(at(2026, 11, 27, 18, 59)));
        assert!(!r.is_active_at(at(2026, 11, 27, 19, 0)), "end is exclusive");
        assert!(!r.is_active_at(at(2026, 11, 27, 16, 59)));
        assert!(!r.is_active_at(at(2026, 11, 28, 18, 0)), "Saturday");
        assert!(r.is_active_at(at(2026, 11, 30, 18, 0)), "Monday");
        let every_day = rule(
            "hh",
            &[],
            (17, 0),
            (19, 0),
            Adjustment::PercentOff { bp: 2000 },
        );
        assert!(every_day.is_active_at(at(2026, 11, 28, 18, 0)));
    }

    #[test]
    fn a_window_past_midnight_belongs_to_the_day_it_started() {
        let r = rule(
            "late",
            &[Weekday::Fri],
            (22, 0),
            (2, 0),
            Adjustment::AmountOff { amount: Money(100) },
        );
        assert!(r.is_active_at(at(2026, 11, 27, 22, 0)), "Friday evening");
        assert!(
            r.is_active_at(at(2026, 11, 28, 1, 59)),
            "Saturday early hours"
        );
        assert!(!r.is_active_at(at(2026, 11, 28, 2, 0)));
        assert!(
            !r.is_active_at(at(2026, 11, 27, 1, 0)),
            "Friday early hours are Thursday's"
        );
        assert!(
            !r.is_active_at(at(2026, 11, 28, 22, 30)),
            "Saturday evening"
        );
        assert!(!r.is_active_at(at(2026, 11, 27, 21, 59)));
        // end == start: a whole day from the start.
        let day = rule(
            "day",
            &[Weekday::Fri],
            (6, 0),
            (6, 0),
            Adjustment::PercentOff { bp: 1 },
        );
        assert!(day.is_active_at(at(2026, 11, 27, 6, 0)));
        assert!(day.is_active_at(at(2026, 11, 28, 5, 59)));
        assert!(!day.is_active_at(at(2026, 11, 28, 6, 0)));
        assert!(!day.is_active_at(at(2026, 11, 27, 5, 59)));
    }

    #[test]
    fn the_window_is_read_in_store_local_time() {
        use chrono::{FixedOffset, TimeZone, Utc};
        let r = rule(
            "hh",
            &[Weekday::Fri],
            (17, 0),
            (19, 0),
            Adjustment::PercentOff { bp: 2000 },
        );
        // 15:30 UTC is 18:30 on a ship keeping UTC+3: inside the window there.
        let instant = Utc.with_ymd_and_hms(2026, 11, 27, 15, 30, 0).unwrap();
        let ship = FixedOffset::east_opt(3 * 3600).unwrap();
        assert!(r.is_active_at(instant.with_timezone(&ship).naive_local()));
        assert!(!r.is_active_at(instant.naive_utc()));
        // 23:30 UTC Friday is 01:30 Saturday at UTC+2: a Friday-only rule is closed.
        let late = Utc.with_ymd_and_hms(2026, 11, 27, 23, 30, 0).unwrap();
        let all_evening = rule(
            "e",
            &[Weekday::Fri],
            (12, 0),
            (23, 59),
            Adjustment::PercentOff { bp: 1 },
        );
        assert!(all_evening.is_active_at(late.naive_utc()));
        let plus2 = FixedOffset::east_opt(2 * 3600).unwrap();
        assert!(!all_evening.is_active_at(late.with_timezone(&plus2).naive_local()));
    }

    #[test]
    fn the_lowest_price_wins_never_below_zero_never_above_the_catalog() {
        let friday_6pm = at(2026, 11, 27, 18, 0);
        let p = mojito(1000);
        let pct = rule(
            "b-pct",
            &[],
            (17, 0),
            (19, 0),
            Adjustment::PercentOff { bp: 2000 },
        );
        let amt = rule(
            "a-amt",
            &[],
            (17, 0),
            (19, 0),
            Adjustment::AmountOff { amount: Money(200) },
        );
        let fixed = rule(
            "c-fix",
            &[],
            (17, 0),
            (19, 0),
            Adjustment::FixedPrice { price: Money(700) },
        );
        let rules = vec![pct.clone(), amt.clone(), fixed.clone()];
        let (price, r) = best_rule(&p, &rules, friday_6pm).unwrap();
        assert_eq!((price, r.id.as_str()), (Money(700), "c-fix"));
        // 20 % off and 2.00 off both give 8.00: the smaller id wins, whatever the order.
        let tie = vec![pct.clone(), amt.clone()];
        assert_eq!(best_rule(&p, &tie, friday_6pm).unwrap().1.id, "a-amt");
        let tie_rev = vec![amt.clone(), pct.clone()];
        assert_eq!(best_rule(&p, &tie_rev, friday_6pm).unwrap().1.id, "a-amt");
        // An amount off larger than the price stops at zero.
        let big = rule(
            "big",
            &[],
            (17, 0),
            (19, 0),
            Adjustment::AmountOff {
                amount: Money(5000),
            },
        );
        assert_eq!(best_rule(&p, &[big], friday_6pm).unwrap().0, Money(0));
        // A fixed price above (or at) the catalog price does not apply.
        let dear = rule(
            "dear",
            &[],
            (17, 0),
            (19, 0),
            Adjustment::FixedPrice { price: Money(1200) },
        );
        let same = rule(
            "same",
            &[],
            (17, 0),
            (19, 0),
            Adjustment::FixedPrice { price: Money(1000) },
        );
        assert_eq!(best_rule(&p, &[dear, same], friday_6pm), None);
        // Outside the window, or for another product, nothing applies.
        assert_eq!(best_rule(&p, &rules, at(2026, 11, 27, 20, 0)), None);
        let mut beer = mojito(500);
        beer.sku = "BEER".into();
        beer.category = Some("Beer".into());
        assert_eq!(best_rule(&beer, &rules, friday_6pm), None);
        // Listed by SKU instead of category.
        let mut by_sku = amt.clone();
        by_sku.categories.clear();
        by_sku.skus = vec!["BEER".into()];
        assert_eq!(
            best_rule(&beer, &[by_sku], friday_6pm).unwrap().0,
            Money(300)
        );
        // An invalid rule is never used.
        let broken = rule("x", &[], (17, 0), (19, 0), Adjustment::PercentOff { bp: 0 });
        assert_eq!(best_rule(&p, &[broken], friday_6pm), None);
    }

    #[test]
    fn rules_are_validated() {
        let ok = rule(
            "hh",
            &[],
            (17, 0),
            (19, 0),
            Adjustment::PercentOff { bp: 2000 },
        );
        assert_eq!(ok.validate(), Ok(()));
        let with = |f: &dyn Fn(&mut PriceRule)| {
            let mut r = ok.clone();
            f(&mut r);
            r.validate().unwrap_err()
        };
        assert_eq!(
            with(&|r| r.id = "happy hour".into()),
            PriceRuleError::BadId("happy hour".into())
        );
        assert_eq!(
            with(&|r| r.name = " ".into()),
            PriceRuleError::EmptyName { id: "hh".into() }
        );
        assert_eq!(
            with(&|r| r.categories.clear()),
            PriceRuleError::NoProducts { id: "hh".into() }
        );
        assert_eq!(
            with(&|r| r.skus = vec!["A B".into()]),
            PriceRuleError::BadSku {
                id: "hh".into(),
                sku: "A B".into()
            }
        );
        assert_eq!(
            with(&|r| r.categories = vec![String::new()]),
            PriceRuleError::EmptyCategory { id: "hh".into() }
        );
        assert_eq!(
            with(&|r| r.adjustment = Adjustment::PercentOff { bp: 10_001 }),
            PriceRuleError::BadPercent {
                id: "hh".into(),
                bp: 10_001
            }
        );
        assert!(matches!(
            with(&|r| r.adjustment = Adjustment::AmountOff { amount: Money(0) }),
            PriceRuleError::BadAmount { .. }
        ));
        assert!(matches!(
            with(&|r| r.adjustment = Adjustment::FixedPrice { price: Money(-1) }),
            PriceRuleError::BadFixedPrice { .. }
        ));
        assert_eq!(
            with(&|r| r.adjustment = Adjustment::PercentOff { bp: 0 }).to_string(),
            "price rule hh: percent off must be 1-10000 basis points (0.01-100 %), got 0"
        );
    }

    #[test]
    fn adjustments_round_half_away_from_zero() {
        assert_eq!(
            Adjustment::PercentOff { bp: 2500 }.apply(Money(1002)),
            Money(751)
        ); // 250.5 -> 251 off
        assert_eq!(
            Adjustment::PercentOff { bp: 10_000 }.apply(Money(999)),
            Money(0)
        );
        assert_eq!(
            Adjustment::AmountOff { amount: Money(50) }.apply(Money(20)),
            Money(0)
        );
        assert_eq!(
            Adjustment::FixedPrice { price: Money(650) }.apply(Money(20)),
            Money(650)
        );
    }
}
