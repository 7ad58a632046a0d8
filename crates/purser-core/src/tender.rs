//! Tenders and settlement: cash with change and optional cash rounding, cards from an
//! external terminal, cabin/room charges, loyalty points, and splits across them.
//!
//! Tips ([`settle_with_tip`]) are not revenue and not taxed: they are not in the sale's
//! total. A tip is paid by a tender of its kind, and that tender's amount includes it:
//! the card's amount is what the terminal charged (bill part + tip), a cabin charge's what
//! was posted to the folio, and cash covers it from what was handed over (less change). So
//! Σ tender amounts == total + cash_rounding + Σ tips, exactly.
//!
//! Tips ([`settle_with_tip`]) are not revenue and not taxed: they are not in the sale's
//! total. A tip is paid by a tender of its kind, and that tender's amount includes it:
//! the card's amount is what the terminal charged (bill part + tip), a cabin charge's what
//! was posted to the folio, and cash covers it from what was handed over (less change). So
//! Σ tender amounts == total + cash_rounding + Σ tips, exactly.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::money::{div_round, Money, MAX_INPUT_MINOR};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AccountKind {
    Cabin,
    Room,
}

/// A card payment taken on the external terminal. Only what the terminal's slip shows is
/// kept: never a full card number or a CVV.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CardPayment {
    pub brand: String,
    pub last4: String,
    pub approval_code: String,
    pub terminal_ref: String,
    /// The terminal approved it offline (stand-in); such payments have limits.
    pub offline: bool,
}

/// A tender as the cashier enters it. `amount: None` means "the rest of the balance".
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TenderInput {
    /// `tendered`: what the customer handed over; `None` = exact amount.
    Cash { tendered: Option<Money> },
    Card {
        card: CardPayment,
        amount: Option<Money>,
    },
    Account {
        account_kind: AccountKind,
        account_id: String,
        amount: Option<Money>,
    },
    Points {
        member_id: String,
        points: i64,
        amount: Money,
    },
}

/// A tender as applied to a sale: the amount it settled.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Tender {
    Cash {
        amount: Money,
        tendered: Money,
        change: Money,
    },
    Card {
        amount: Money,
        card: CardPayment,
    },
    Account {
        amount: Money,
        account_kind: AccountKind,
        account_id: String,
    },
    Points {
        amount: Money,
        member_id: String,
        points: i64,
    },
}

impl Tender {
    pub fn amount(&self) -> Money {
        match self {
            Tender::Cash { amount, .. }
            | Tender::Card { amount, .. }
            | Tender::Account { amount, .. }
            | Tender::Points { amount, .. } => *amount,
        }
    }
    pub fn kind(&self) -> &'static str {
        match self {
            Tender::Cash { .. } => "cash",
            Tender::Card { .. } => "card",
            Tender::Account { .. } => "account",
            Tender::Points { .. } => "points",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TenderError {
    #[error(
        "that looks like a full card number; enter only the last 4 digits from the terminal slip"
    )]
    LooksLikeCardNumber,
    #[error("card last 4 must be exactly 4 digits")]
    BadLast4,
    #[error("card brand must be 1-20 letters (e.g. VISA, MASTERCARD)")]
    BadBrand,
    #[error("approval code must be 1-12 letters or digits")]
    BadApprovalCode,
    #[error("terminal reference must be 1-40 characters")]
    BadTerminalRef,
    #[error("account id must be 1-40 letters, digits or '-'")]
    BadAccountId,
    #[error("a {kind} tender must be a positive amount")]
    NonPositive { kind: &'static str },
    #[error("a {kind} tender of {amount:?} is more than the {due:?} still due; only cash can give change")]
    Overpaid {
        kind: &'static str,
        amount: Money,
        due: Money,
    },
    #[error("cash handed over beyond the amount due must be the last tender")]
    ChangeNotLast,
    #[error("{due:?} is still due")]
    Underpaid { due: Money },
    #[error("the sale is already paid; remove the extra tender")]
    AlreadyPaid,
    #[error("no tender given")]
    NoTender,
    #[error("points must be positive")]
    BadPoints,
    #[error("offline card payment of {amount:?} is above the per-payment limit of {limit:?}")]
    OfflineCardPaymentLimit { amount: Money, limit: Money },
    #[error(
        "offline card payments this shift would reach {total:?}, above the limit of {limit:?}"
    )]
    OfflineCardShiftLimit { total: Money, limit: Money },
    #[error("a tip cannot be negative")]
    NegativeTip,
    #[error("a tip of {tip:?} is more than {most:?}, the most a tip on this bill may be; check the amount")]
    TipTooLarge { tip: Money, most: Money },
    #[error("a {kind} tip needs a {kind} tender to pay it")]
    TipWithoutTender { kind: &'static str },
    #[error("the {kind} tenders come to {covered:?}, less than the {kind} tip of {tip:?}")]
    TipNotCovered {
        kind: &'static str,
        tip: Money,
        covered: Money,
    },
}

/// Lengths of a payment card's number (ISO/IEC 7812 primary account numbers in use).
const PAN_DIGITS: std::ops::RangeInclusive<usize> = 13..=19;
/// Separators between digit groups that still join them into one number: up to this many
/// characters that are neither letters nor digits (spaces, `-`, `.`, `/`, `_`, ...).
const MAX_GAP: usize = 3;

/// The Luhn check of a number's digits (its last digit the check digit).
pub fn luhn_valid(digits: &[u8]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| {
            let d = u32::from(*d);
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 {
                    x - 9
                } else {
                    x
                }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// Whether a run of digit groups (the digits between separators) holds a card number:
/// consecutive whole groups, 13-19 digits together, that pass the Luhn check. A number
/// typed with separators fills whole groups, so digits around it in the same run (an
/// amount after it) do not hide it, and no part of a longer group is taken for one. A
/// valid GTIN (a product or loyalty barcode) is not a card number.
fn run_holds_card_number(groups: &[Vec<u8>]) -> bool {
    (0..groups.len()).any(|first| {
        let mut digits: Vec<u8> = Vec::new();
        groups[first..].iter().any(|g| {
            digits.extend_from_slice(g);
            PAN_DIGITS.contains(&digits.len()) && luhn_valid(&digits) && !is_gtin(&digits)
        })
    })
}

fn is_gtin(digits: &[u8]) -> bool {
    matches!(digits.len(), 13 | 14) && {
        let text: String = digits.iter().map(|d| char::from(b'0' + d)).collect();
        crate::barcode::Gtin::parse(&text).is_ok()
    }
}

/// True when the text holds what looks like a payment card's number, whatever the field
/// it was typed into: 13-19 digits passing the Luhn check, the groups joined by
/// separators of any kind (`4111 1111-1111.1111`). Letters end a number.
pub fn looks_like_card_number(s: &str) -> bool {
    let mut groups: Vec<Vec<u8>> = Vec::new();
    let mut group: Vec<u8> = Vec::new();
    let mut gap = 0;
    for c in s.chars() {
        if c.is_ascii_digit() {
            group.push(c as u8 - b'0');
            gap = 0;
            continue;
        }
        if !group.is_empty() {
            groups.push(std::mem::take(&mut group));
        }
        if groups.is_empty() {
            continue;
        }
        gap += 1;
        if c.is_alphanumeric() || gap > MAX_GAP {
            if run_holds_card_number(&groups) {
                return true;
            }
            groups.clear();
            gap = 0;
        }
    }
    if !group.is_empty() {
        groups.push(group);
    }
    run_holds_card_number(&groups)
}

/// Refuses free text that will be published (a reason, a name, a note) when it holds a
/// card number: it would reach the store's cluster and the cloud.
pub fn refuse_card_number(text: &str) -> Result<(), TenderError> {
    if looks_like_card_number(text) {
        Err(TenderError::LooksLikeCardNumber)
    } else {
        Ok(())
    }
}

impl CardPayment {
    pub fn validate(&self) -> Result<(), TenderError> {
        for field in [
            &self.brand,
            &self.last4,
            &self.approval_code,
            &self.terminal_ref,
        ] {
            if looks_like_card_number(field) {
                return Err(TenderError::LooksLikeCardNumber);
            }
        }
        if self.last4.len() != 4 || !self.last4.bytes().all(|b| b.is_ascii_digit()) {
            return Err(TenderError::BadLast4);
        }
        let b = self.brand.trim();
        if b.is_empty() || b.len() > 20 || !b.chars().all(|c| c.is_ascii_alphabetic() || c == ' ') {
            return Err(TenderError::BadBrand);
        }
        let a = self.approval_code.trim();
        if a.is_empty() || a.len() > 12 || !a.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(TenderError::BadApprovalCode);
        }
        let t = self.terminal_ref.trim();
        if t.is_empty() || t.len() > 40 {
            return Err(TenderError::BadTerminalRef);
        }
        Ok(())
    }
}

pub fn validate_account_id(id: &str) -> Result<(), TenderError> {
    let ok = !id.is_empty()
        && id.len() <= 40
        && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    if ok && !looks_like_card_number(id) {
        Ok(())
    } else if looks_like_card_number(id) {
        Err(TenderError::LooksLikeCardNumber)
    } else {
        Err(TenderError::BadAccountId)
    }
}

/// Limits for card payments the terminal approved offline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfflineCardLimits {
    pub per_payment: Money,
    pub per_shift: Money,
}

impl OfflineCardLimits {
    pub fn check(&self, amount: Money, shift_total_so_far: Money) -> Result<(), TenderError> {
        if amount > self.per_payment {
            return Err(TenderError::OfflineCardPaymentLimit {
                amount,
                limit: self.per_payment,
            });
        }
        let total = shift_total_so_far + amount;
        if total > self.per_shift {
            return Err(TenderError::OfflineCardShiftLimit {
                total,
                limit: self.per_shift,
            });
        }
        Ok(())
    }
}

/// Rounds an amount to the nearest cash increment (e.g. 5 for 0.05), half away from zero.
pub fn round_cash(amount: Money, increment: i64) -> Money {
    if increment <= 1 {
        return amount;
    }
    let units = div_round(i128::from(amount.0), i128::from(increment));
    Money(i64::try_from(units * i128::from(increment)).unwrap_or(i64::MAX))
}

/// The tender that pays a tip.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TipKind {
    Cash,
    Card,
    /// A cabin or room charge.
    Account,
}

impl TipKind {
    /// The kind of tender that pays it, as [`Tender::kind`] names it.
    pub fn as_str(self) -> &'static str {
        match self {
            TipKind::Cash => "cash",
            TipKind::Card => "card",
            TipKind::Account => "account",
        }
    }
}

/// A tip as the cashier enters it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TipInput {
    pub amount: Money,
    pub kind: TipKind,
}

/// A tip as recorded with a sale: paid by the tenders of `tender_kind`, whose amounts
/// include it. Not part of the sale's total, not taxed, not refunded with the goods.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Tip {
    pub tender_kind: TipKind,
    pub amount: Money,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Settlement {
    /// Their amounts include the tips.
    pub tenders: Vec<Tender>,
    pub change: Money,
    /// Cash rounding applied when cash settled the balance (positive: customer paid more).
    pub cash_rounding: Money,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tips: Vec<Tip>,
}

impl Settlement {
    /// What the tenders brought in net of change: total + cash_rounding + tips (the
    /// money in the drawer, on the card batch and on the folios for this sale).
    pub fn collected(&self) -> Money {
        self.tenders.iter().map(Tender::amount).sum()
    }

    /// Σ tips.
    pub fn tip_total(&self) -> Money {
        self.tips.iter().map(|t| t.amount).sum()
    }

    /// What the tenders paid towards the sale itself: collected − tips = total +
    /// cash_rounding.
    pub fn collected_for_sale(&self) -> Money {
        self.collected() - self.tip_total()
    }
}

/// Like [`settle`], with a tip on top of `total`. The tenders are applied to total + tip:
/// an amount left out (`None`) is the rest of that, and a given amount is what the tender
/// took in all (the card slip's total). The tenders of the tip's kind must come to at least
/// the tip. Cash rounding applies to what cash settles, tip included. A tip of zero (or
/// none) is no tip; a negative one, or one above the bill's total, is refused.
pub fn settle_with_tip(
    total: Money,
    inputs: &[TenderInput],
    cash_increment: i64,
    tip: Option<TipInput>,
) -> Result<Settlement, TenderError> {
    let Some(tip) = tip.filter(|t| !t.amount.is_zero()) else {
        return settle(total, inputs, cash_increment);
    };
    if tip.amount.is_negative() {
        return Err(TenderError::NegativeTip);
    }
    let most = total.min(Money(MAX_INPUT_MINOR));
    if tip.amount > most {
        return Err(TenderError::TipTooLarge {
            tip: tip.amount,
            most,
        });
    }
    let mut s = settle(total + tip.amount, inputs, cash_increment)?;
    let kind = tip.kind.as_str();
    let carriers: Vec<Money> = s
        .tenders
        .iter()
        .filter(|t| t.kind() == kind)
        .map(Tender::amount)
        .collect();
    if carriers.is_empty() {
        return Err(TenderError::TipWithoutTender { kind });
    }
    let covered: Money = carriers.into_iter().sum();
    if covered < tip.amount {
        return Err(TenderError::TipNotCovered {
            kind,
            tip: tip.amount,
            covered,
        });
    }
    s.tips.push(Tip {
        tender_kind: tip.kind,
        amount: tip.amount,
    });
    Ok(s)
}

/// Applies tenders in order to `total`. Non-cash tenders never exceed what is still due;
/// cash may, giving change, but only as the last tender. With `cash_increment` > 1 the
/// balance that cash settles is rounded to that increment.
pub fn settle(
    total: Money,
    inputs: &[TenderInput],
    cash_increment: i64,
) -> Result<Settlement, TenderError> {
    if inputs.is_empty() {
        return Err(TenderError::NoTender);
    }
    let mut due = total;
    let mut tenders = Vec::with_capacity(inputs.len());
    let mut change = Money::ZERO;
    let mut rounding = Money::ZERO;
    let mut paid = total.is_zero();
    for (i, input) in inputs.iter().enumerate() {
        if paid {
            return Err(TenderError::AlreadyPaid);
        }
        let last = i + 1 == inputs.len();
        let non_cash =
            |kind: &'static str, amount: Option<Money>, due: Money| -> Result<Money, TenderError> {
                let a = amount.unwrap_or(due);
                if a.0 <= 0 {
                    return Err(TenderError::NonPositive { kind });
                }
                if a > due {
                    return Err(TenderError::Overpaid {
                        kind,
                        amount: a,
                        due,
                    });
                }
                Ok(a)
            };
        match input {
            TenderInput::Cash { tendered } => {
                let rounded_due = round_cash(due, cash_increment);
                let given = tendered.unwrap_or(rounded_due);
                if given.0 <= 0 {
                    return Err(TenderError::NonPositive { kind: "cash" });
                }
                if given >= rounded_due {
                    if given > rounded_due && !last {
                        return Err(TenderError::ChangeNotLast);
                    }
                    change = given - rounded_due;
                    rounding = rounded_due - due;
                    tenders.push(Tender::Cash {
                        amount: rounded_due,
                        tendered: given,
                        change,
                    });
                    due = Money::ZERO;
                } else {
                    tenders.push(Tender::Cash {
                        amount: given,
                        tendered: given,
                        change: Money::ZERO,
                    });
                    due -= given;
                }
            }
            TenderInput::Card { card, amount } => {
                card.validate()?;
                let a = non_cash("card", *amount, due)?;
                tenders.push(Tender::Card {
                    amount: a,
                    card: card.clone(),
                });
                due -= a;
            }
            TenderInput::Account {
                account_kind,
                account_id,
                amount,
            } => {
                validate_account_id(account_id)?;
                let a = non_cash("account", *amount, due)?;
                tenders.push(Tender::Account {
                    amount: a,
                    account_kind: *account_kind,
                    account_id: account_id.clone(),
                });
                due -= a;
            }
            TenderInput::Points {
                member_id,
                points,
                amount,
            } => {
                if *points <= 0 {
                    return Err(TenderError::BadPoints);
                }
                let a = non_cash("points", Some(*amount), due)?;
                tenders.push(Tender::Points {
                    amount: a,
                    member_id: member_id.clone(),
                    points: *points,
                });
                due -= a;
            }
        }
        paid = due.is_zero();
    }
    if !due.is_zero() {
        return Err(TenderError::Underpaid { due });
    }
    Ok(Settlement {
        tenders,
        change,
        cash_rounding: rounding,
        tips: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn card(amount: Option<i64>) -> TenderInput {
        TenderInput::Card {
            card: CardPayment {
                brand: "VISA".into(),
                last4: "4242".into(),
                approval_code: "A1B2C3".into(),
                terminal_ref: "T1-0001".into(),
                offline: false,
            },
            amount: amount.map(Money),
        }
    }

    #[test]
    fn cash_with_change() {
        let s = settle(
            Money(1234),
            &[TenderInput::Cash {
                tendered: Some(Money(2000)),
            }],
            1,
        )
        .unwrap();
        assert_eq!(s.change, Money(766));
        assert_eq!(s.collected(), Money(1234));
    }

    #[test]
    fn cash_rounding_to_five_cents() {
        let s = settle(Money(1232), &[TenderInput::Cash { tendered: None }], 5).unwrap();
        assert_eq!(s.tenders[0].amount(), Money(1230));
        assert_eq!(s.cash_rounding, Money(-2));
        let s = settle(
            Money(1233),
            &[TenderInput::Cash {
                tendered: Some(Money(1300)),
            }],
            5,
        )
        .unwrap();
        assert_eq!(s.tenders[0].amount(), Money(1235));
        assert_eq!(s.change, Money(65));
        // A card settles the exact amount; no rounding.
        let s = settle(Money(1233), &[card(None)], 5).unwrap();
        assert_eq!(s.cash_rounding, Money(0));
    }

    #[test]
    fn split_cash_then_card() {
        let s = settle(
            Money(5000),
            &[
                TenderInput::Cash {
                    tendered: Some(Money(2000)),
                },
                card(None),
            ],
            1,
        )
        .unwrap();
        assert_eq!(s.tenders[1].amount(), Money(3000));
        assert_eq!(s.change, Money(0));
    }

    #[test]
    fn refusals() {
        assert_eq!(
            settle(Money(100), &[card(Some(200))], 1).unwrap_err(),
            TenderError::Overpaid {
                kind: "card",
                amount: Money(200),
                due: Money(100)
            }
        );
        assert_eq!(
            settle(Money(100), &[card(Some(50))], 1).unwrap_err(),
            TenderError::Underpaid { due: Money(50) }
        );
        assert_eq!(
            settle(
                Money(100),
                &[
                    TenderInput::Cash {
                        tendered: Some(Money(500))
                    },
                    card(None)
                ],
                1
            )
            .unwrap_err(),
            TenderError::ChangeNotLast
        );
        assert_eq!(
            settle(Money(100), &[card(None), card(None)], 1).unwrap_err(),
            TenderError::AlreadyPaid
        );
        assert_eq!(
            settle(Money(100), &[], 1).unwrap_err(),
            TenderError::NoTender
        );
        let mut pan = CardPayment {
            brand: "VISA".into(),
            last4: "4111 1111 1111 1111".into(),
            approval_code: "A".into(),
            terminal_ref: "R".into(),
            offline: false,
        };
        assert_eq!(pan.validate(), Err(TenderError::LooksLikeCardNumber));
        pan.last4 = "4242".into();
        pan.terminal_ref = "ref 4111-1111-1111-1111".into();
        assert_eq!(pan.validate(), Err(TenderError::LooksLikeCardNumber));
        pan.terminal_ref = "R".into();
        pan.last4 = "424".into();
        assert_eq!(pan.validate(), Err(TenderError::BadLast4));
        assert_eq!(
            validate_account_id("4111111111111111"),
            Err(TenderError::LooksLikeCardNumber)
        );
        assert_eq!(
            validate_account_id("CABIN 7"),
            Err(TenderError::BadAccountId)
        );
    }

    #[test]
    fn card_numbers_are_found_by_luhn_with_any_separators() {
        for text in [
            "4111111111111111",
            "spilled on 4111 1111 1111 1111",
            "4111-1111-1111-1111",
            "4111.1111.1111.1111",
            "4111/1111/1111/1111",
            "4111_1111_1111_1111",
            "4111\u{a0}1111\u{a0}1111\u{a0}1111",
            "card 5500 0000 0000 0004 refunded",
            "amex 3782 822463 10005",
            "4111 1111 1111 1111 12",
        ] {
            assert!(looks_like_card_number(text), "{text:?}");
            assert_eq!(
                refuse_card_number(text),
                Err(TenderError::LooksLikeCardNumber)
            );
        }
        for text in [
            // Luhn fails: not a card number.
            "4111 1111 1111 1112",
            // Too short, or digits kept apart by letters or long gaps.
            "call 0151 2345 678",
            "4111 1111 x 1111 1111",
            "4111      1111      1111      1111",
            // A product barcode (EAN-13) in a reason.
            "returned 4006381333931",
            "table 12, 3 guests",
            "",
        ] {
            assert!(!looks_like_card_number(text), "{text:?}");
        }
        assert!(luhn_valid(&[7, 9, 9, 2, 7, 3, 9, 8, 7, 1, 3]));
        assert!(!luhn_valid(&[7, 9, 9, 2, 7, 3, 9, 8, 7, 1, 4]));
    }

    #[test]
    fn offline_limits() {
        let l = OfflineCardLimits {
            per_payment: Money(10000),
            per_shift: Money(25000),
        };
        assert!(l.check(Money(10000), Money(0)).is_ok());
        assert!(matches!(
            l.check(Money(10001), Money(0)),
            Err(TenderError::OfflineCardPaymentLimit { .. })
        ));
        assert!(matches!(
            l.check(Money(6000), Money(20000)),
            Err(TenderError::OfflineCardShiftLimit { .. })
        ));
    }

    fn tip(amount: i64, kind: TipKind) -> Option<TipInput> {
        Some(TipInput {
            amount: Money(amount),
            kind,
        })
    }

    #[test]
    fn a_card_tip_rides_on_the_card() {
        // 45.00 bill, 5.00 tip added on the terminal: the card took 50.00.
        let s = settle_with_tip(Money(4500), &[card(None)], 1, tip(500, TipKind::Card)).unwrap();
        assert_eq!(s.tenders[0].amount(), Money(5000));
        assert_eq!(
            s.tips,
            vec![Tip {
                tender_kind: TipKind::Card,
                amount: Money(500)
            }]
        );
        assert_eq!(s.collected(), Money(5000));
        assert_eq!(s.collected_for_sale(), Money(4500));
        // The slip's total typed in: the same.
        let typed =
            settle_with_tip(Money(4500), &[card(Some(5000))], 1, tip(500, TipKind::Card)).unwrap();
        assert_eq!(typed, s);
        // Cash first, the card pays the rest and the tip.
        let split = settle_with_tip(
            Money(4500),
            &[
                TenderInput::Cash {
                    tendered: Some(Money(2000)),
                },
                card(None),
            ],
            1,
            tip(500, TipKind::Card),
        )
        .unwrap();
        assert_eq!(split.tenders[1].amount(), Money(3000));
    }

    #[test]
    fn a_cash_tip_comes_out_of_the_change() {
        // 45.00 bill, 60.00 handed over, "keep 5": 10.00 change.
        let s = settle_with_tip(
            Money(4500),
            &[TenderInput::Cash {
                tendered: Some(Money(6000)),
            }],
            1,
            tip(500, TipKind::Cash),
        )
        .unwrap();
        assert_eq!(
            (s.tenders[0].amount(), s.change),
            (Money(5000), Money(1000))
        );
        // Rounded to 0.05, tip included: 45.03 + 5.00 -> 50.05.
        let r = settle_with_tip(
            Money(4503),
            &[TenderInput::Cash { tendered: None }],
            5,
            tip(500, TipKind::Cash),
        )
        .unwrap();
        assert_eq!(
            (r.tenders[0].amount(), r.cash_rounding),
            (Money(5005), Money(2))
        );
        assert_eq!(r.collected(), Money(4503) + r.cash_rounding + r.tip_total());
    }

    #[test]
    fn a_cabin_tip_is_charged_to_the_cabin() {
        let s = settle_with_tip(
            Money(1800),
            &[TenderInput::Account {
                account_kind: AccountKind::Cabin,
                account_id: "CABIN-7012".into(),
                amount: None,
            }],
            1,
            tip(200, TipKind::Account),
        )
        .unwrap();
        assert_eq!(s.tenders[0].amount(), Money(2000));
        assert_eq!(s.tenders[0].kind(), "account");
    }

    #[test]
    fn tips_are_refused_when_they_make_no_sense() {
        assert_eq!(
            settle_with_tip(Money(4500), &[card(None)], 1, tip(-1, TipKind::Card)),
            Err(TenderError::NegativeTip)
        );
        assert_eq!(
            settle_with_tip(Money(4500), &[card(None)], 1, tip(4501, TipKind::Card)),
            Err(TenderError::TipTooLarge {
                tip: Money(4501),
                most: Money(4500)
            })
        );
        assert_eq!(
            settle_with_tip(Money(4500), &[card(None)], 1, tip(500, TipKind::Cash)),
            Err(TenderError::TipWithoutTender { kind: "cash" })
        );
        // Points paid most of it: the card's 2.00 cannot hold a 5.00 tip.
        assert_eq!(
            settle_with_tip(
                Money(4500),
                &[
                    TenderInput::Points {
                        member_id: "M1".into(),
                        points: 4800,
                        amount: Money(4800)
                    },
                    card(None)
                ],
                1,
                tip(500, TipKind::Card)
            ),
            Err(TenderError::TipNotCovered {
                kind: "card",
                tip: Money(500),
                covered: Money(200)
            })
        );
        // Cash that does not cover the bill and the tip.
        assert_eq!(
            settle_with_tip(
                Money(4500),
                &[TenderInput::Cash {
                    tendered: Some(Money(4800))
                }],
                1,
                tip(500, TipKind::Cash)
            ),
            Err(TenderError::Underpaid { due: Money(200) })
        );
        // Zero is no tip at all.
        let none = settle_with_tip(Money(4500), &[card(None)], 1, tip(0, TipKind::Card)).unwrap();
        assert!(none.tips.is_empty());
        assert_eq!(none, settle(Money(4500), &[card(None)], 1).unwrap());
    }

    proptest! {
        /// Σ tenders == total + cash_rounding + Σ tips, change is never negative, and the
        /// tip's kind of tender carries at least the tip.
        #[test]
        fn settlement_with_tips_balances(
            total in 1i64..1_000_000,
            part in 0i64..1_000_000,
            tip_pct in 0i64..=100,
            over in 0i64..10_000,
            kind in prop_oneof![Just(TipKind::Cash), Just(TipKind::Card), Just(TipKind::Account)],
            cash_first in any::<bool>(),
            inc in prop_oneof![Just(1i64), Just(5), Just(10)],
        ) {
            let tip_amount = total * tip_pct / 100;
            let due = total + tip_amount;
            let first = part % due;
            let account = |amount: Option<i64>| TenderInput::Account {
                account_kind: AccountKind::Cabin,
                account_id: "CABIN-1".into(),
                amount: amount.map(Money),
            };
            let last = |rest: Money| match kind {
                TipKind::Cash => TenderInput::Cash {
                    tendered: Some(round_cash(rest, inc).max(Money(inc)) + Money(over)),
                },
                TipKind::Card => card(None),
                TipKind::Account => account(None),
            };
            let mut inputs = Vec::new();
            if first > 0 {
                // Cash before the last tender must not settle the bill (rounded): only
                // without rounding is a part payment in cash always short of it.
                inputs.push(if cash_first && kind != TipKind::Cash && inc == 1 {
                    TenderInput::Cash { tendered: Some(Money(first)) }
                } else {
                    card(Some(first))
                });
            }
            // The last tender pays the rest, tip included (so it covers the tip when the
            // first one left at least that much).
            inputs.push(last(Money(due - first)));
            let res = settle_with_tip(Money(total), &inputs, inc, tip(tip_amount, kind));
            let s = match res {
                Ok(s) => s,
                Err(TenderError::TipNotCovered { covered, .. }) => {
                    // Only when the first tender (of another kind) left less than the tip.
                    prop_assert!(covered.0 < tip_amount && due - first < tip_amount + inc);
                    return Ok(());
                }
                Err(e) => return Err(TestCaseError::fail(e.to_string())),
            };
            prop_assert_eq!(s.collected(), Money(total) + s.cash_rounding + s.tip_total());
            prop_assert_eq!(s.tip_total(), Money(tip_amount));
            prop_assert!(s.change.0 >= 0);
            let carried: Money = s.tenders.iter().filter(|t| t.kind() == kind.as_str()).map(Tender::amount).sum();
            prop_assert!(carried >= s.tip_total());
            for t in &s.tenders {
                if let Tender::Cash { amount, tendered, change } = t {
                    prop_assert_eq!(*tendered - *change, *amount);
                }
            }
        }

        #[test]
        fn settlement_balances(total in 1i64..1_000_000, card_part in 0i64..1_000_000, over in 0i64..10_000, inc in prop_oneof![Just(1i64), Just(5), Just(10)]) {
            let card_amount = card_part % total;
            let mut inputs = Vec::new();
            if card_amount > 0 { inputs.push(card(Some(card_amount))); }
            let cash_due = round_cash(Money(total - card_amount), inc);
            inputs.push(TenderInput::Cash { tendered: Some(cash_due + Money(over)) });
            let s = settle(Money(total), &inputs, inc).unwrap();
            prop_assert_eq!(s.collected(), Money(total) + s.cash_rounding);
            prop_assert_eq!(s.change, Money(over));
            prop_assert!(s.cash_rounding.0.abs() * 2 <= inc);
        }
    }
}
