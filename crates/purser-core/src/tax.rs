//! Tax classes and the store's tax mode.
//!
//! Rounding rule (documented in docs/ARCHITECTURE.md, tested below and in `cart`):
//! tax is computed once per tax class over the sum of that class's discounted line amounts
//! ("per rate on the receipt", as EU VAT invoices do), rounded half away from zero to the
//! minor unit; each class's tax is then allocated to its lines by the largest-remainder
//! method so that line taxes add up exactly to the receipt's tax.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::money::{div_round, Money};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TaxMode {
    /// Shelf prices include tax (VAT, GST). The total is the sum of the prices.
    Inclusive,
    /// Tax is added on top of shelf prices (US sales tax).
    Exclusive,
}

impl TaxMode {
    pub fn parse(s: &str) -> Option<TaxMode> {
        match s.trim().to_ascii_lowercase().as_str() {
            "inclusive" | "vat" => Some(TaxMode::Inclusive),
            "exclusive" | "sales-tax" | "sales_tax" => Some(TaxMode::Exclusive),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            TaxMode::Inclusive => "inclusive",
            TaxMode::Exclusive => "exclusive",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TaxClass {
    pub code: String,
    /// Rate in basis points: 2000 = 20 %.
    pub rate_bp: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TaxTable {
    pub classes: Vec<TaxClass>,
}

impl TaxTable {
    pub fn rate_of(&self, code: &str) -> Option<u32> {
        self.classes
            .iter()
            .find(|c| c.code == code)
            .map(|c| c.rate_bp)
    }
}

/// The tax contained in (inclusive) or due on (exclusive) `base` at `rate_bp`.
pub fn tax_on(base: Money, rate_bp: u32, mode: TaxMode) -> Money {
    let rate = i128::from(rate_bp);
    let b = i128::from(base.0);
    let t = match mode {
        TaxMode::Inclusive => div_round(b * rate, 10_000 + rate),
        TaxMode::Exclusive => div_round(b * rate, 10_000),
    };
    Money(i64::try_from(t).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inclusive_and_exclusive() {
        // 12.00 including 20 % VAT contains 2.00 of tax.
        assert_eq!(tax_on(Money(1200), 2000, TaxMode::Inclusive), Money(200));
        // 10.00 plus 8.875 % sales tax: 0.8875 -> 0.89.
        assert_eq!(tax_on(Money(1000), 888, TaxMode::Exclusive), Money(89));
        // Half away from zero: 0.05 at 10 % exclusive = 0.005 -> 0.01.
        assert_eq!(tax_on(Money(5), 1000, TaxMode::Exclusive), Money(1));
        assert_eq!(tax_on(Money(999), 0, TaxMode::Inclusive), Money(0));
    }
}
