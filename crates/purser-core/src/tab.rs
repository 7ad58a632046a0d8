//! Tabs and parked tickets: a ticket kept open on the till across customers and hours.
//!
//! A *tab* belongs to a guest (a loyalty or cabin card, or a name or table) and grows over
//! the afternoon; a *parked* ticket is any ticket put aside to serve someone else and
//! recalled later. Both are the same thing to the till: a cart with an id, a label and a
//! version that grows with every change. Each change is one event (`tab.opened`,
//! `tab.updated`, `tab.closed`) carrying the whole ticket as it now stands, so the last
//! event of a tab is enough to show it (the manager's list) or to take it over.
//!
//! One till holds a tab at a time. Another till gets it by hand-over: it asks
//! (`tab.move_requested`), the holder closes its row and writes `tab.moved` with the whole
//! ticket, and the asking till opens it at the next version (`tab.opened` with
//! `moved_from`); `purser_app::tabs` keeps the rules.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::cart::{Cart, CartLine, Discount};
use crate::tender::looks_like_card_number;

/// The longest label a tab may have (what fits a button on the till).
pub const MAX_LABEL_CHARS: usize = 40;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TabKind {
    /// A guest's tab, opened on purpose and paid when the guest leaves.
    Tab,
    /// A ticket put aside to serve another customer, recalled later.
    Parked,
}

impl TabKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TabKind::Tab => "tab",
            TabKind::Parked => "parked",
        }
    }
    pub fn parse(s: &str) -> Option<TabKind> {
        match s {
            "tab" => Some(TabKind::Tab),
            "parked" => Some(TabKind::Parked),
            _ => None,
        }
    }
}

/// What one `tab.updated` changed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TabChange {
    LineAdded {
        line_no: u32,
    },
    LineRemoved {
        line_no: u32,
    },
    QuantityChanged {
        line_no: u32,
    },
    LineDiscount {
        line_no: u32,
    },
    CartDiscount,
    /// The member on the tab changed (a card scanned, or taken off).
    Member,
    /// Several changes at once (e.g. a ticket rung up before it became a tab).
    Lines,
}

impl TabChange {
    /// What changed between two versions of a ticket, named by the first difference.
    pub fn between(before: &Cart, after: &Cart) -> TabChange {
        let added: Vec<&CartLine> = after
            .lines
            .iter()
            .filter(|l| !before.lines.iter().any(|b| b.line_no == l.line_no))
            .collect();
        let removed: Vec<&CartLine> = before
            .lines
            .iter()
            .filter(|b| !after.lines.iter().any(|l| l.line_no == b.line_no))
            .collect();
        match (added.as_slice(), removed.as_slice()) {
            ([a], []) => return TabChange::LineAdded { line_no: a.line_no },
            ([], [r]) => return TabChange::LineRemoved { line_no: r.line_no },
            ([], []) => {}
            _ => return TabChange::Lines,
        }
        let changed: Vec<(&CartLine, &CartLine)> = after
            .lines
            .iter()
            .filter_map(|l| {
                let b = before.lines.iter().find(|b| b.line_no == l.line_no)?;
                (b != l).then_some((b, l))
            })
            .collect();
        match changed.as_slice() {
            [(b, l)] if b.quantity != l.quantity && b.discount == l.discount => {
                TabChange::QuantityChanged { line_no: l.line_no }
            }
            [(b, l)] if b.quantity == l.quantity && b.discount != l.discount => {
                TabChange::LineDiscount { line_no: l.line_no }
            }
            [] if before.discount != after.discount => TabChange::CartDiscount,
            _ => TabChange::Lines,
        }
    }
}

/// How a tab ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TabOutcome {
    /// Paid: the sale that settled it, recorded in the same transaction.
    Paid {
        sale_id: uuid::Uuid,
        receipt_no: String,
    },
    /// Closed with nothing on it (its lines were voided first, each one journaled).
    Cancelled,
}

/// The ticket a tab holds, as its events carry it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TabTicket {
    pub lines: Vec<CartLine>,
    pub cart_discount: Option<Discount>,
    /// Lines given to the member as rewards for points (free on the ticket).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rewards: Vec<u32>,
}

impl TabTicket {
    pub fn of(cart: &Cart, rewards: &[u32]) -> TabTicket {
        TabTicket {
            lines: cart.lines.clone(),
            cart_discount: cart.discount,
            rewards: rewards.to_vec(),
        }
    }

    /// The ticket as a cart again (a moved tab at the till that took it over).
    pub fn to_cart(&self, next_line_no: u32) -> Cart {
        Cart::restore(self.lines.clone(), self.cart_discount, next_line_no)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TabError {
    #[error("give the tab a name or table (or put a member's card on it)")]
    NoLabel,
    #[error("a tab's name may have at most {MAX_LABEL_CHARS} characters")]
    LabelTooLong,
    #[error("a tab's name must not look like a card number")]
    CardNumber,
}

/// The label a tab is shown by: the one typed, trimmed, or the member's name.
pub fn tab_label(typed: &str, member_name: Option<&str>) -> Result<String, TabError> {
    let typed = typed.split_whitespace().collect::<Vec<_>>().join(" ");
    let label = if typed.is_empty() {
        member_name.map(str::trim).unwrap_or("").to_string()
    } else {
        typed
    };
    if label.is_empty() {
        return Err(TabError::NoLabel);
    }
    if label.chars().count() > MAX_LABEL_CHARS {
        return Err(TabError::LabelTooLong);
    }
    if looks_like_card_number(&label) {
        return Err(TabError::CardNumber);
    }
    Ok(label)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cart::tests::product;
    use crate::cart::Quantity;
    use crate::catalog::SoldBy;

    #[test]
    fn a_change_is_named_by_what_differs() {
        let beer = product("BEER", 650, "standard", SoldBy::Unit);
        let mut a = Cart::new();
        let l1 = a.add(&beer, Quantity::Units(1)).unwrap();
        let mut b = a.clone();
        let l2 = b.add(&beer, Quantity::Units(1)).unwrap();
        assert_eq!(
            TabChange::between(&a, &b),
            TabChange::LineAdded { line_no: l2 }
        );
        assert_eq!(
            TabChange::between(&b, &a),
            TabChange::LineRemoved { line_no: l2 }
        );
        let mut c = a.clone();
        c.set_quantity(l1, Quantity::Units(3)).unwrap();
        assert_eq!(
            TabChange::between(&a, &c),
            TabChange::QuantityChanged { line_no: l1 }
        );
        let mut d = a.clone();
        d.set_line_discount(l1, Some(Discount::Percent { bp: 1000 }))
            .unwrap();
        assert_eq!(
            TabChange::between(&a, &d),
            TabChange::LineDiscount { line_no: l1 }
        );
        let mut e = a.clone();
        e.set_cart_discount(Some(Discount::Percent { bp: 500 }))
            .unwrap();
        assert_eq!(TabChange::between(&a, &e), TabChange::CartDiscount);
        assert_eq!(TabChange::between(&Cart::new(), &b), TabChange::Lines);
    }

    #[test]
    fn labels_are_trimmed_bounded_and_never_card_numbers() {
        assert_eq!(tab_label("  pool   bar 4 ", None).unwrap(), "pool bar 4");
        assert_eq!(tab_label("", Some("Ada Lovelace")).unwrap(), "Ada Lovelace");
        assert_eq!(tab_label("Table 7", Some("Ada")).unwrap(), "Table 7");
        assert_eq!(tab_label(" ", None), Err(TabError::NoLabel));
        assert_eq!(
            tab_label(&"x".repeat(41), None),
            Err(TabError::LabelTooLong)
        );
        assert_eq!(
            tab_label("4111 1111 1111 1111", None),
            Err(TabError::CardNumber)
        );
    }
}
