//! Parsing what a cashier or a script types: quantities, discounts, tenders, item specs.
//! Shared by the CLI and the desktop shell so both accept and refuse the same things.

use purser_core::cart::{Discount, Quantity};
use purser_core::money::Money;
use purser_core::tender::{AccountKind, CardPayment, TenderInput, TipInput, TipKind};
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
/// A tip as typed: an amount ("2.50") and how it is paid (cash, card, or cabin/room/account
/// charge). An empty or zero amount is no tip. The window and `purser sell --tip` use this.
pub fn parse_tip(amount: &str, kind: &str, currency: &Currency) -> AppResult<Option<TipInput>> {
    let amount = amount.trim();
    if amount.is_empty() {
        return Ok(None);
    }
    let amount = currency.parse_amount(amount)?;
    if amount.is_negative() {
        return Err(AppError::invalid("a tip cannot be negative"));
    }
    if amount.is_zero() {
        return Ok(None);
    }
    let kind = match kind.trim().to_ascii_lowercase().as_str() {
        "cash" => TipKind::Cash,
        "card" => TipKind::Card,
        "cabin" | "room" | "account" => TipKind::Account,
        other => {
            return Err(AppError::invalid(format!(
                "a tip is paid in cash, by card or on the cabin/room account, not '{other}'"
            )))
        }
    };
    Ok(Some(TipInput { amount, kind }))
}

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

/// One tender as a cashier gave it, field by field, before it is checked: the window's
/// payment form and `purser sell --tender` text both become one, and [`tender`] turns it
/// into the domain's `TenderInput` with the same rules and messages for both.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TenderFields<'a> {
    /// cash, card, cabin, room or points
    pub kind: &'a str,
    /// What this tender pays (cash: what the customer hands over); none = the rest.
    pub amount: Option<&'a str>,
    pub brand: &'a str,
    pub last4: &'a str,
    pub approval_code: &'a str,
    pub terminal_ref: &'a str,
    /// Card approved by the terminal without reaching the bank.
    pub offline: bool,
    /// The guest's cabin or room account.
    pub account_id: &'a str,
    /// The member paying with points.
    pub member_id: Option<&'a str>,
    pub points: &'a str,
}

/// The tender the fields describe.
pub fn tender(
    f: &TenderFields<'_>,
    currency: &Currency,
    point_value: i64,
) -> AppResult<TenderInput> {
    let amount = match f.amount.map(str::trim) {
        None | Some("") => None,
        Some(a) => Some(currency.parse_amount(a)?),
    };
    match f.kind.trim().to_ascii_lowercase().as_str() {
        "cash" => Ok(TenderInput::Cash { tendered: amount }),
        "card" => Ok(TenderInput::Card {
            card: CardPayment {
                brand: f.brand.trim().to_ascii_uppercase(),
                last4: f.last4.trim().to_string(),
                approval_code: f.approval_code.trim().to_string(),
                terminal_ref: f.terminal_ref.trim().to_string(),
                offline: f.offline,
            },
            amount,
        }),
        kind @ ("cabin" | "room") => {
            let account_id = f.account_id.trim();
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
                account_id: account_id.to_string(),
                amount,
            })
        }
        "points" => {
            let Some(member_id) = f.member_id.map(str::trim).filter(|m| !m.is_empty()) else {
                return Err(AppError::new(
                    crate::error::ErrorCode::NotAllowed,
                    "scan the member's card before paying with points",
                ));
            };
            let points: i64 = f
                .points
                .trim()
                .parse()
                .map_err(|_| AppError::invalid("points to redeem must be a whole number"))?;
            if points <= 0 {
                return Err(AppError::invalid("points to redeem must be positive"));
            }
            Ok(TenderInput::Points {
                member_id: member_id.to_string(),
                points,
                amount: Money(points.saturating_mul(point_value)),
            })
        }
        other => Err(AppError::invalid(format!(
            "'{other}' is not a tender: use cash, card, cabin, room or points"
        ))),
    }
}

/// Tenders as `purser sell --tender` takes them:
/// `cash`, `cash:20.00`;
/// `card:BRAND:LAST4:APPROVAL:TERMINAL_REF[:AMOUNT][:offline]`;
/// `cabin:ACCOUNT[:AMOUNT]`, `room:ACCOUNT[:AMOUNT]`;
/// `points:MEMBER:POINTS`.
pub fn parse_tender(s: &str, currency: &Currency, point_value: i64) -> AppResult<TenderInput> {
    let parts: Vec<&str> = s.split(':').map(str::trim).collect();
    let get = |i: usize| parts.get(i).copied().unwrap_or("");
    let kind = parts[0].to_ascii_lowercase();
    let fields = match kind.as_str() {
        "cash" if parts.len() <= 2 => TenderFields {
            kind: "cash",
            amount: parts.get(1).copied(),
            ..Default::default()
        },
        "card" if (5..=7).contains(&parts.len()) => {
            let offline = parts.last().is_some_and(|p| p.eq_ignore_ascii_case("offline")) && parts.len() > 5;
            if parts.len() == 7 && !offline {
                return Err(AppError::invalid(format!(
                    "card tender '{s}': the last field may only be 'offline'"
                )));
            }
            let amount = (parts.len() >= 6 && !get(5).eq_ignore_ascii_case("offline")).then(|| get(5));
            TenderFields {
                kind: "card",
                amount,
                brand: get(1),
                last4: get(2),
                approval_code: get(3),
                terminal_ref: get(4),
                offline,
                ..Default::default()
            }
        }
        "cabin" | "room" if (2..=3).contains(&parts.len()) => TenderFields {
            kind: &kind,
            amount: parts.get(2).copied(),
            account_id: get(1),
            ..Default::default()
        },
        "points" if parts.len() == 3 => TenderFields {
            kind: "points",
            member_id: Some(get(1)),
            points: get(2),
            ..Default::default()
        },
        _ => {
            return Err(AppError::invalid(format!(
                "tender '{s}' not understood; use cash[:AMOUNT], card:BRAND:LAST4:APPROVAL:REF[:AMOUNT][:offline], cabin:ACCOUNT[:AMOUNT], room:ACCOUNT[:AMOUNT] or points:MEMBER:POINTS"
            )))
        }
    };
    tender(&fields, currency, point_value)
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
