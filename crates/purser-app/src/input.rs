//! Parsing what a cashier or a script types: quantities, discounts, tenders, item specs.
//! Shared by the CLI and the desktop shell so both accept and refuse the same things.

use purser_core::cart::{Discount, Quantity};
use purser_core::money::Money;
use purser_core::tender::{AccountKind, CardPayment, TenderInput};
use purser_core::Currency;

use crate::error::{AppError, AppResult};

/// `3` (units), `0.350kg`, `350g`.
pub fn parse_quantity(s: &str) -> AppResult<Quantity> {
    let t = s.trim().to_ascii_lowercase();
    if t.starts_with('-') {
        return Err(AppError::invalid(format!(
            "quantity '{s}' is negative; quantities must be positive"
        )));
    }
    let q = if let Some(kg) = t.strip_suffix("kg") {
        let grams = Currency {
            code: "KG".into(),
            exponent: 3,
        }
        .parse_amount(kg)
        .map_err(|_| AppError::invalid(format!("'{s}' is not a weight (e.g. 0.350kg or 350g)")))?;
        Quantity::Grams(grams.0)
    } else if let Some(g) = t.strip_suffix('g') {
        Quantity::Grams(
            g.trim()
                .parse()
                .map_err(|_| AppError::invalid(format!("'{s}' is not a weight (e.g. 350g)")))?,
        )
    } else {
        Quantity::Units(t.parse().map_err(|_| {
            AppError::invalid(format!(
                "'{s}' is not a quantity (a whole number, or a weight such as 0.350kg)"
            ))
        })?)
    };
    q.validate()?;
    Ok(q)
}

/// `10%`, `12.5%` or an amount such as `1.50`.
pub fn parse_discount(s: &str, currency: &Currency) -> AppResult<Discount> {
    let t = s.trim();
    let d = if let Some(p) = t.strip_suffix('%') {
        let bp = Currency {
            code: "PCT".into(),
            exponent: 2,
        }
        .parse_amount(p)
        .map_err(|_| AppError::invalid(format!("'{s}' is not a percentage (e.g. 10% or 12.5%)")))?;
        Discount::Percent {
            bp: u32::try_from(bp.0)
                .map_err(|_| AppError::invalid(format!("'{s}' is too large")))?,
        }
    } else {
        Discount::Amount {
            amount: currency.parse_amount(t)?,
        }
    };
    d.validate()?;
    Ok(d)
}

/// One item of a scripted sale: `CODE[*QTY][@DISCOUNT]`, e.g. `4006381333931*2@10%`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ItemSpec {
    pub code: String,
    pub quantity: Option<Quantity>,
    pub discount: Option<Discount>,
}

pub fn parse_item(s: &str, currency: &Currency) -> AppResult<ItemSpec> {
    let (rest, discount) = match s.split_once('@') {
        Some((r, d)) => (r, Some(parse_discount(d, currency)?)),
        None => (s, None),
    };
    let (code, quantity) = match rest.split_once('*') {
        Some((c, q)) => (c, Some(parse_quantity(q)?)),
        None => (rest, None),
    };
    let code = code.trim();
    if code.is_empty() {
        return Err(AppError::invalid(format!(
            "item '{s}' has no SKU or barcode"
        )));
    }
    Ok(ItemSpec {
        code: code.to_string(),
        quantity,
        discount,
    })
}

/// Tenders:
/// `cash`, `cash:20.00`;
/// `card:BRAND:LAST4:APPROVAL:TERMINAL_REF[:AMOUNT][:offline]`;
/// `cabin:ACCOUNT[:AMOUNT]`, `room:ACCOUNT[:AMOUNT]`;
/// `points:MEMBER:POINTS`.
pub fn parse_tender(s: &str, currency: &Currency, point_value: i64) -> AppResult<TenderInput> {
    let parts: Vec<&str> = s.split(':').map(str::trim).collect();
    let amount = |p: Option<&&str>| -> AppResult<Option<Money>> {
        match p {
            None => Ok(None),
            Some(&"") => Ok(None),
            Some(a) => Ok(Some(currency.parse_amount(a)?)),
        }
    };
    match parts[0].to_ascii_lowercase().as_str() {
        "cash" if parts.len() <= 2 => Ok(TenderInput::Cash { tendered: amount(parts.get(1))? }),
        "card" if (5..=7).contains(&parts.len()) => {
            let offline = parts.len() == 7 && parts[6].eq_ignore_ascii_case("offline")
                || parts.len() == 6 && parts[5].eq_ignore_ascii_case("offline");
            let amt = if parts.len() >= 6 && !parts[5].eq_ignore_ascii_case("offline") { amount(parts.get(5))? } else { None };
            if parts.len() == 7 && !offline {
                return Err(AppError::invalid(format!("card tender '{s}': the last field may only be 'offline'")));
            }
            Ok(TenderInput::Card {
                card: CardPayment {
                    brand: parts[1].to_ascii_uppercase(),
                    last4: parts[2].to_string(),
                    approval_code: parts[3].to_string(),
                    terminal_ref: parts[4].to_string(),
                    offline,
                },
                amount: amt,
            })
        }
        kind @ ("cabin" | "room") if (2..=3).contains(&parts.len()) => Ok(TenderInput::Account {
            account_kind: if kind == "cabin" { AccountKind::Cabin } else { AccountKind::Room },
            account_id: parts[1].to_string(),
            amount: amount(parts.get(2))?,
        }),
        "points" if parts.len() == 3 => {
            let points: i64 = parts[2]
                .parse()
                .map_err(|_| AppError::invalid(format!("points tender '{s}': points must be a whole number")))?;
            if points <= 0 {
                return Err(AppError::invalid("points must be positive"));
            }
            Ok(TenderInput::Points { member_id: parts[1].to_string(), points, amount: Money(points.saturating_mul(point_value)) })
        }
        _ => Err(AppError::invalid(format!(
            "tender '{s}' not understood; use cash[:AMOUNT], card:BRAND:LAST4:APPROVAL:REF[:AMOUNT][:offline], cabin:ACCOUNT[:AMOUNT], room:ACCOUNT[:AMOUNT] or points:MEMBER:POINTS"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    fn eur() -> Currency {
        Currency::from_code("EUR").unwrap()
    }

    #[test]
    fn items() {
        assert_eq!(
            parse_item("4006381333931*2@10%", &eur()).unwrap(),
            ItemSpec {
                code: "4006381333931".into(),
                quantity: Some(Quantity::Units(2)),
                discount: Some(Discount::Percent { bp: 1000 })
            }
        );
        assert_eq!(
            parse_item("BAN*0.35kg", &eur()).unwrap().quantity,
            Some(Quantity::Grams(350))
        );
        assert_eq!(
            parse_item("BAN*350g", &eur()).unwrap().quantity,
            Some(Quantity::Grams(350))
        );
        assert_eq!(
            parse_item("X@1.50", &eur()).unwrap().discount,
            Some(Discount::Amount { amount: Money(150) })
        );
        assert_eq!(
            parse_item("X*-2", &eur()).unwrap_err().code,
            ErrorCode::InvalidInput
        );
        assert_eq!(
            parse_item("X*0", &eur()).unwrap_err().code,
            ErrorCode::InvalidInput
        );
        assert_eq!(
            parse_item("X*two", &eur()).unwrap_err().code,
            ErrorCode::InvalidInput
        );
        assert_eq!(
            parse_item("*2", &eur()).unwrap_err().code,
            ErrorCode::InvalidInput
        );
        assert_eq!(
            parse_item("X@150%", &eur()).unwrap_err().code,
            ErrorCode::InvalidInput
        );
    }

    #[test]
    fn tenders() {
        assert_eq!(
            parse_tender("cash", &eur(), 1).unwrap(),
            TenderInput::Cash { tendered: None }
        );
        assert_eq!(
            parse_tender("cash:20", &eur(), 1).unwrap(),
            TenderInput::Cash {
                tendered: Some(Money(2000))
            }
        );
        match parse_tender("card:visa:4242:AB12:T-9:5.00:offline", &eur(), 1).unwrap() {
            TenderInput::Card { card, amount } => {
                assert!(card.offline);
                assert_eq!(card.brand, "VISA");
                assert_eq!(amount, Some(Money(500)));
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            parse_tender("card:visa:4242:AB12:T-9", &eur(), 1).unwrap(),
            TenderInput::Card { amount: None, .. }
        ));
        assert!(matches!(
            parse_tender("cabin:C-7012", &eur(), 1).unwrap(),
            TenderInput::Account {
                account_kind: AccountKind::Cabin,
                ..
            }
        ));
        assert_eq!(
            parse_tender("points:M1:250", &eur(), 2).unwrap(),
            TenderInput::Points {
                member_id: "M1".into(),
                points: 250,
                amount: Money(500)
            }
        );
        assert_eq!(
            parse_tender("cheque:12", &eur(), 1).unwrap_err().code,
            ErrorCode::InvalidInput
        );
        assert_eq!(
            parse_tender("cash:-5", &eur(), 1).unwrap_err().code,
            ErrorCode::InvalidInput
        );
    }
}
