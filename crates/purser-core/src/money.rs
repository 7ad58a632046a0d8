//! Money in integer minor units of one ISO 4217 currency. No floats anywhere.

use std::fmt;
use std::ops::{Add, AddAssign, Neg, Sub, SubAssign};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// An amount in minor units (cents, pence, yen). The currency is the store's and travels
/// beside the amount in every event (`currency` field), never inside it.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    JsonSchema,
)]
#[serde(transparent)]
pub struct Money(pub i64);

impl Money {
    pub const ZERO: Money = Money(0);

    pub fn minor(self) -> i64 {
        self.0
    }
    pub fn is_negative(self) -> bool {
        self.0 < 0
    }
    pub fn is_zero(self) -> bool {
        self.0 == 0
    }
    pub fn abs(self) -> Money {
        Money(self.0.abs())
    }
}

/// `amount.is_zero()` by reference, for `#[serde(skip_serializing_if = ...)]`.
pub fn is_zero(amount: &Money) -> bool {
    amount.0 == 0
}

impl Add for Money {
    type Output = Money;
    fn add(self, rhs: Money) -> Money {
        Money(self.0 + rhs.0)
    }
}
impl AddAssign for Money {
    fn add_assign(&mut self, rhs: Money) {
        self.0 += rhs.0;
    }
}
impl Sub for Money {
    type Output = Money;
    fn sub(self, rhs: Money) -> Money {
        Money(self.0 - rhs.0)
    }
}
impl SubAssign for Money {
    fn sub_assign(&mut self, rhs: Money) {
        self.0 -= rhs.0;
    }
}
impl Neg for Money {
    type Output = Money;
    fn neg(self) -> Money {
        Money(-self.0)
    }
}
impl std::iter::Sum for Money {
    fn sum<I: Iterator<Item = Money>>(iter: I) -> Money {
        Money(iter.map(|m| m.0).sum())
    }
}

/// Largest amount a single input may carry: 10^12 minor units (ten billion in a
/// two-decimal currency). Keeps every product of amount × quantity well inside i64.
pub const MAX_INPUT_MINOR: i64 = 1_000_000_000_000;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("unknown currency code '{0}' (expected an ISO 4217 code such as EUR or USD)")]
    UnknownCurrency(String),
    #[error("'{0}' is not an amount (expected digits with an optional decimal point, e.g. 12.50)")]
    NotAnAmount(String),
    #[error("amounts cannot be negative: '{0}'")]
    Negative(String),
    #[error("'{input}' has more decimals than {code} allows ({exponent})")]
    TooManyDecimals {
        input: String,
        code: String,
        exponent: u8,
    },
    #[error("'{0}' is too large")]
    TooLarge(String),
}

/// An ISO 4217 currency with its number of minor-unit digits.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub struct Currency {
    pub code: String,
    pub exponent: u8,
}

/// ISO 4217 codes Purser knows, with their minor-unit exponent.
const CURRENCIES: &[(&str, u8)] = &[
    ("AED", 2),
    ("ARS", 2),
    ("AUD", 2),
    ("BHD", 3),
    ("BRL", 2),
    ("CAD", 2),
    ("CHF", 2),
    ("CLP", 0),
    ("CNY", 2),
    ("CZK", 2),
    ("DKK", 2),
    ("EUR", 2),
    ("GBP", 2),
    ("HKD", 2),
    ("HUF", 2),
    ("IDR", 2),
    ("ILS", 2),
    ("INR", 2),
    ("ISK", 0),
    ("JOD", 3),
    ("JPY", 0),
    ("KRW", 0),
    ("KWD", 3),
    ("MXN", 2),
    ("MYR", 2),
    ("NOK", 2),
    ("NZD", 2),
    ("OMR", 3),
    ("PHP", 2),
    ("PLN", 2),
    ("RON", 2),
    ("SAR", 2),
    ("SEK", 2),
    ("SGD", 2),
    ("THB", 2),
    ("TND", 3),
    ("TRY", 2),
    ("TWD", 2),
    ("UAH", 2),
    ("USD", 2),
    ("VND", 0),
    ("ZAR", 2),
];

impl Currency {
    /// Every ISO 4217 code the till knows, alphabetically.
    pub fn known_codes() -> impl Iterator<Item = &'static str> {
        CURRENCIES.iter().map(|(c, _)| *c)
    }

    pub fn from_code(code: &str) -> Result<Currency, MoneyError> {
        let upper = code.trim().to_ascii_uppercase();
        CURRENCIES
            .iter()
            .find(|(c, _)| *c == upper)
            .map(|(c, e)| Currency {
                code: (*c).to_string(),
                exponent: *e,
            })
            .ok_or_else(|| MoneyError::UnknownCurrency(code.to_string()))
    }

    fn scale(&self) -> i64 {
        10_i64.pow(u32::from(self.exponent))
    }

    /// Parses a non-negative decimal amount such as `12.5`, `12.50` or `1200` into minor
    /// units. Refuses signs, exponents, thousands separators and excess decimals.
    pub fn parse_amount(&self, input: &str) -> Result<Money, MoneyError> {
        let s = input.trim();
        if s.starts_with('-') {
            return Err(MoneyError::Negative(input.to_string()));
        }
        let (int_part, frac_part) = match s.split_once('.') {
            Some((i, f)) => (i, f),
            None => (s, ""),
        };
        let all_digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
        if (int_part.is_empty() && frac_part.is_empty())
            || !all_digits(int_part)
            || !all_digits(frac_part)
            || (s.contains('.') && frac_part.is_empty() && int_part.is_empty())
        {
            return Err(MoneyError::NotAnAmount(input.to_string()));
        }
        if frac_part.len() > usize::from(self.exponent) {
            return Err(MoneyError::TooManyDecimals {
                input: input.to_string(),
                code: self.code.clone(),
                exponent: self.exponent,
            });
        }
        if int_part.len() > 13 {
            return Err(MoneyError::TooLarge(input.to_string()));
        }
        let int_value: i64 = if int_part.is_empty() {
            0
        } else {
            int_part
                .parse()
                .map_err(|_| MoneyError::NotAnAmount(input.to_string()))?
        };
        let mut frac_value: i64 = if frac_part.is_empty() {
            0
        } else {
            frac_part
                .parse()
                .map_err(|_| MoneyError::NotAnAmount(input.to_string()))?
        };
        for _ in frac_part.len()..usize::from(self.exponent) {
            frac_value *= 10;
        }
        let minor = int_value
            .checked_mul(self.scale())
            .and_then(|v| v.checked_add(frac_value))
            .filter(|v| *v <= MAX_INPUT_MINOR)
            .ok_or_else(|| MoneyError::TooLarge(input.to_string()))?;
        Ok(Money(minor))
    }

    /// Formats an amount with the currency's decimals, e.g. `-12.50`.
    pub fn format(&self, amount: Money) -> String {
        let scale = self.scale();
        let sign = if amount.0 < 0 { "-" } else { "" };
        let abs = amount.0.unsigned_abs();
        let scale_u = scale.unsigned_abs();
        if self.exponent == 0 {
            format!("{sign}{abs}")
        } else {
            format!(
                "{sign}{}.{:0width$}",
                abs / scale_u,
                abs % scale_u,
                width = usize::from(self.exponent)
            )
        }
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.code)
    }
}

/// Divides with rounding half away from zero ("commercial rounding"), the one rounding rule
/// used for every computed amount in Purser.
pub fn div_round(numerator: i128, denominator: i128) -> i128 {
    assert!(denominator > 0, "div_round needs a positive denominator");
    let q = numerator / denominator;
    let r = numerator % denominator;
    if 2 * r.abs() >= denominator {
        q + numerator.signum()
    } else {
        q
    }
}

/// Splits `total` across `weights` in proportion, so that the parts sum exactly to `total`
/// (largest-remainder method; ties go to the earlier weight). Zero weights get nothing
/// unless every weight is zero, in which case the first part takes all.
pub fn allocate(total: i64, weights: &[i64]) -> Vec<i64> {
    if weights.is_empty() {
        return Vec::new();
    }
    let sum: i128 = weights.iter().map(|w| i128::from(*w)).sum();
    if sum == 0 {
        let mut parts = vec![0; weights.len()];
        parts[0] = total;
        return parts;
    }
    let total_i = i128::from(total);
    let mut parts: Vec<i128> = Vec::with_capacity(weights.len());
    let mut remainders: Vec<(i128, usize)> = Vec::with_capacity(weights.len());
    for (i, w) in weights.iter().enumerate() {
        let exact = total_i * i128::from(*w);
        let floor = exact.div_euclid(sum);
        parts.push(floor);
        remainders.push((exact.rem_euclid(sum), i));
    }
    let assigned: i128 = parts.iter().sum();
    let mut left = total_i - assigned;
    remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut k = 0;
    while left > 0 {
        parts[remainders[k % remainders.len()].1] += 1;
        left -= 1;
        k += 1;
    }
    parts
        .into_iter()
        .map(|p| i64::try_from(p).unwrap_or(i64::MAX))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eur() -> Currency {
        Currency::from_code("eur").unwrap()
    }

    #[test]
    fn parses_and_formats() {
        let c = eur();
        assert_eq!(c.parse_amount("12.5").unwrap(), Money(1250));
        assert_eq!(c.parse_amount("12.50").unwrap(), Money(1250));
        assert_eq!(c.parse_amount("0.07").unwrap(), Money(7));
        assert_eq!(c.parse_amount(".5").unwrap(), Money(50));
        assert_eq!(c.parse_amount("1200").unwrap(), Money(120000));
        assert_eq!(c.format(Money(120005)), "1200.05");
        assert_eq!(c.format(Money(-5)), "-0.05");
        let jpy = Currency::from_code("JPY").unwrap();
        assert_eq!(jpy.parse_amount("1200").unwrap(), Money(1200));
        assert!(matches!(
            jpy.parse_amount("12.5"),
            Err(MoneyError::TooManyDecimals { .. })
        ));
        assert_eq!(
            Currency::from_code("KWD").unwrap().format(Money(1234)),
            "1.234"
        );
    }

    #[test]
    fn refuses_bad_amounts() {
        let c = eur();
        for bad in ["", ".", "abc", "1,50", "1e3", "+3", "1.2.3", " 1 2"] {
            assert!(
                matches!(c.parse_amount(bad), Err(MoneyError::NotAnAmount(_))),
                "{bad}"
            );
        }
        assert!(matches!(
            c.parse_amount("-1.00"),
            Err(MoneyError::Negative(_))
        ));
        assert!(matches!(
            c.parse_amount("1.005"),
            Err(MoneyError::TooManyDecimals { .. })
        ));
        assert!(matches!(
            c.parse_amount("99999999999999"),
            Err(MoneyError::TooLarge(_))
        ));
        assert!(matches!(
            Currency::from_code("XYZ"),
            Err(MoneyError::UnknownCurrency(_))
        ));
    }

    #[test]
    fn rounds_half_away_from_zero() {
        assert_eq!(div_round(5, 10), 1);
        assert_eq!(div_round(4, 10), 0);
        assert_eq!(div_round(-5, 10), -1);
        assert_eq!(div_round(-4, 10), 0);
        assert_eq!(div_round(15, 10), 2);
    }

    #[test]
    fn allocation_sums_exactly() {
        assert_eq!(allocate(100, &[1, 1, 1]), vec![34, 33, 33]);
        assert_eq!(allocate(10, &[0, 0]), vec![10, 0]);
        assert_eq!(allocate(7, &[100, 0, 300]), vec![2, 0, 5]);
    }

    proptest::proptest! {
        #[test]
        fn allocation_property(total in 0i64..1_000_000, weights in proptest::collection::vec(0i64..1_000_000, 1..20)) {
            let parts = allocate(total, &weights);
            proptest::prop_assert_eq!(parts.iter().sum::<i64>(), total);
            proptest::prop_assert!(parts.iter().all(|p| *p >= 0));
        }

        #[test]
        fn parse_format_roundtrip(minor in 0i64..MAX_INPUT_MINOR) {
            let c = Currency::from_code("EUR").unwrap();
            proptest::prop_assert_eq!(c.parse_amount(&c.format(Money(minor))).unwrap(), Money(minor));
        }
    }
}
