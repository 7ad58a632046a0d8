//! Shift reports (X mid-shift / Z end of day) and the expected cash in the drawer.

use chrono::{DateTime, NaiveDate, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::money::Money;
use crate::tender::Tip;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum ReportKind {
    /// Mid-day: a cashier hand-over or an interim read; the business day goes on.
    X,
    /// End of business day.
    Z,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TenderTotal {
    /// cash, card, account or points
    pub kind: String,
    pub count: i64,
    /// Net of refunds and voids.
    pub amount: Money,
}

/// Figures of one shift, as printed at the till and carried by `shift.closed`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ShiftReport {
    pub kind: ReportKind,
    pub shift_id: Uuid,
    pub currency: String,
    pub cashier_id: String,
    pub business_date: NaiveDate,
    pub opened_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub opening_float: Money,
    pub sales_count: i64,
    pub sales_total: Money,
    pub refunds_count: i64,
    pub refunds_total: Money,
    pub voids_count: i64,
    pub voids_total: Money,
    /// sales − refunds − voids
    pub net_sales: Money,
    pub tax_total: Money,
    pub discount_total: Money,
    pub cash_rounding: Money,
    pub drawer_opens: i64,
    pub tenders: Vec<TenderTotal>,
    /// float + cash taken − cash refunded − cash of voided sales
    pub expected_cash: Money,
    pub counted_cash: Option<Money>,
    /// counted − expected: positive is over, negative short
    pub over_short: Option<Money>,
    /// Service charge of kept sales minus service charge refunded (its `amount`: without
    /// the tax added on top when prices exclude tax, which is in `tax_total`). Included in
    /// `sales_total` and `net_sales`.
    #[serde(default, skip_serializing_if = "crate::money::is_zero")]
    pub service_charge_total: Money,
    /// Tips on kept sales, per kind of tender that paid them (cash, card, account). Not in
    /// the sales figures; included in `tenders` (and cash tips in `expected_cash`), since
    /// the tenders took them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tips: Vec<TenderTotal>,
}

impl ShiftReport {
    pub fn with_count(mut self, counted: Money) -> ShiftReport {
        self.counted_cash = Some(counted);
        self.over_short = Some(counted - self.expected_cash);
        self
    }
}

/// The money figures of a sale, a refund or a void as a shift report counts them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Document {
    pub total: Money,
    pub tax_total: Money,
    pub discount_total: Money,
    pub cash_rounding: Money,
    /// The service charge's `amount` charged (a sale) or given back (a refund).
    pub service_charge: Money,
    /// A sale's tips (a refund gives none back).
    pub tips: Vec<Tip>,
}

/// What a shift's documents add up to: the one place the X/Z formulas live. The till feeds
/// it from its own rows (`purser_store`'s `shift_tally`), the manager's view and the cloud
/// from the shift's events (`report::derive_shift`); `report::Summary` counts the same way.
///
/// * Every sale, voided or not, counts in `sales_count`/`sales_total`, its discount in
///   `discount_total`; a voided one also in `voids_*`.
/// * A void whose sale is not among the documents (its event has not arrived) still counts
///   as a sale and its void.
/// * Cash rounding and tenders are those of kept sales, minus those of refunds.
/// * Net sales and tax: sales − voids − refunds.
/// * Service charge: that of kept sales minus that refunded. Tips: those of kept sales
///   (refunds give none back), counted apart from the sales; the tenders include them.
/// * Expected cash: the opening float plus the net cash.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub sales_count: i64,
    pub sales_total: Money,
    pub sales_tax: Money,
    pub discount_total: Money,
    /// Discounts of the sales not voided (the manager's "discounts given").
    pub kept_discount: Money,
    pub voids_count: i64,
    pub voids_total: Money,
    pub voids_tax: Money,
    pub refunds_count: i64,
    pub refunds_total: Money,
    pub refunds_tax: Money,
    pub cash_rounding: Money,
    pub drawer_opens: i64,
    /// kind → (tenders on kept sales, net amount).
    pub tenders: std::collections::BTreeMap<String, (i64, Money)>,
    /// Service charge of kept sales minus service charge refunded.
    pub service_charge: Money,
    /// Tender kind → (tips on kept sales, amount).
    pub tips: std::collections::BTreeMap<String, (i64, Money)>,
}

impl Tally {
    /// A sale and its tenders (kind, amount); `voided` when its void is known.
    pub fn sale<'a>(
        &mut self,
        d: &Document,
        voided: bool,
        tenders: impl IntoIterator<Item = (&'a str, Money)>,
    ) {
        self.sales_count += 1;
        self.sales_total += d.total;
        self.sales_tax += d.tax_total;
        self.discount_total += d.discount_total;
        if voided {
            self.voids_count += 1;
            self.voids_total += d.total;
            self.voids_tax += d.tax_total;
            return;
        }
        self.kept_discount += d.discount_total;
        self.cash_rounding += d.cash_rounding;
        self.service_charge += d.service_charge;
        for tip in &d.tips {
            let t = self
                .tips
                .entry(tip.tender_kind.as_str().to_string())
                .or_default();
            t.0 += 1;
            t.1 += tip.amount;
        }
        for (kind, amount) in tenders {
            let t = self.tenders.entry(kind.to_string()).or_default();
            t.0 += 1;
            t.1 += amount;
        }
    }

    /// A void whose sale is not among the documents: what it took back is all there is.
    pub fn void_of_unseen_sale(&mut self, total: Money, tax_total: Money) {
        self.sales_count += 1;
        self.sales_total += total;
        self.sales_tax += tax_total;
        self.voids_count += 1;
        self.voids_total += total;
        self.voids_tax += tax_total;
    }

    /// A refund and the tenders it paid back (kind, amount).
    pub fn refund<'a>(
        &mut self,
        d: &Document,
        tenders: impl IntoIterator<Item = (&'a str, Money)>,
    ) {
        self.refunds_count += 1;
        self.refunds_total += d.total;
        self.refunds_tax += d.tax_total;
        self.cash_rounding -= d.cash_rounding;
        self.service_charge -= d.service_charge;
        for (kind, amount) in tenders {
            self.tenders.entry(kind.to_string()).or_default().1 -= amount;
        }
    }

    pub fn drawer_open(&mut self) {
        self.drawer_opens += 1;
    }

    /// sales − voids − refunds
    pub fn net_sales(&self) -> Money {
        self.sales_total - self.voids_total - self.refunds_total
    }

    /// Tax of kept sales minus tax refunded.
    pub fn tax_total(&self) -> Money {
        self.sales_tax - self.voids_tax - self.refunds_tax
    }

    /// Cash taken on kept sales minus cash refunded.
    pub fn net_cash(&self) -> Money {
        self.tenders.get("cash").map_or(Money::ZERO, |t| t.1)
    }

    pub fn tender_totals(&self) -> Vec<TenderTotal> {
        totals(&self.tenders)
    }

    /// Tips per kind of tender, in kind order.
    pub fn tip_totals(&self) -> Vec<TenderTotal> {
        totals(&self.tips)
    }

    /// The shift's report (no count yet: see `ShiftReport::with_count`).
    pub fn report(
        &self,
        shift: &ShiftHead,
        kind: ReportKind,
        closed_at: Option<DateTime<Utc>>,
    ) -> ShiftReport {
        ShiftReport {
            kind,
            shift_id: shift.shift_id,
            currency: shift.currency.clone(),
            cashier_id: shift.cashier_id.clone(),
            business_date: shift.business_date,
            opened_at: shift.opened_at,
            closed_at,
            opening_float: shift.opening_float,
            sales_count: self.sales_count,
            sales_total: self.sales_total,
            refunds_count: self.refunds_count,
            refunds_total: self.refunds_total,
            voids_count: self.voids_count,
            voids_total: self.voids_total,
            net_sales: self.net_sales(),
            tax_total: self.tax_total(),
            discount_total: self.discount_total,
            cash_rounding: self.cash_rounding,
            drawer_opens: self.drawer_opens,
            tenders: self.tender_totals(),
            expected_cash: shift.opening_float + self.net_cash(),
            counted_cash: None,
            over_short: None,
            service_charge_total: self.service_charge,
            tips: self.tip_totals(),
        }
    }
}

fn totals(m: &std::collections::BTreeMap<String, (i64, Money)>) -> Vec<TenderTotal> {
    m.iter()
        .map(|(kind, (count, amount))| TenderTotal {
            kind: kind.clone(),
            count: *count,
            amount: *amount,
        })
        .collect()
}

/// Who opened a shift, when and with what float: the head of its report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShiftHead {
    pub shift_id: Uuid,
    pub currency: String,
    pub cashier_id: String,
    pub business_date: NaiveDate,
    pub opened_at: DateTime<Utc>,
    pub opening_float: Money,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn doc(total: i64, tax: i64, rounding: i64) -> Document {
        Document {
            total: Money(total),
            tax_total: Money(tax),
            discount_total: Money(total / 10),
            cash_rounding: Money(rounding),
            ..Document::default()
        }
    }

    #[test]
    fn service_charge_and_tips_are_counted_apart_from_the_sales() {
        use crate::tender::TipKind;
        let mut t = Tally::default();
        let tab = Document {
            total: Money(5_500),
            tax_total: Money(900),
            service_charge: Money(500),
            tips: vec![Tip {
                tender_kind: TipKind::Card,
                amount: Money(700),
            }],
            ..Document::default()
        };
        // The card took the bill and the tip.
        t.sale(&tab, false, [("card", Money(6_200))]);
        // A voided tab: neither its service charge nor its tip counts.
        t.sale(&tab, true, [("card", Money(6_200))]);
        let cash_tab = Document {
            tips: vec![Tip {
                tender_kind: TipKind::Cash,
                amount: Money(300),
            }],
            ..tab.clone()
        };
        t.sale(&cash_tab, false, [("cash", Money(5_800))]);
        // A refund gives back part of the service charge, and no tip.
        let back = Document {
            total: Money(1_100),
            tax_total: Money(180),
            service_charge: Money(100),
            ..Document::default()
        };
        t.refund(&back, [("card", Money(1_100))]);
        let head = ShiftHead {
            shift_id: Uuid::nil(),
            currency: "EUR".into(),
            cashier_id: "ana".into(),
            business_date: NaiveDate::from_ymd_opt(2026, 12, 2).unwrap_or_default(),
            opened_at: DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default(),
            opening_float: Money(10_000),
        };
        let r = t.report(&head, ReportKind::X, None);
        assert_eq!(r.service_charge_total, Money(500 + 500 - 100));
        assert_eq!(
            r.tips,
            vec![
                TenderTotal {
                    kind: "card".into(),
                    count: 1,
                    amount: Money(700)
                },
                TenderTotal {
                    kind: "cash".into(),
                    count: 1,
                    amount: Money(300)
                },
            ]
        );
        // Sales figures without tips; the drawer holds the cash tip.
        assert_eq!(r.net_sales, Money(5_500 * 2 - 1_100));
        assert_eq!(r.expected_cash, Money(10_000 + 5_800));
        // An old shift.closed without the new fields still reads, and writes as before.
        let mut v = serde_json::to_value(&r).unwrap();
        v.as_object_mut().map(|o| {
            o.remove("service_charge_total");
            o.remove("tips")
        });
        let old: ShiftReport = serde_json::from_value(v).unwrap();
        assert_eq!(old.service_charge_total, Money::ZERO);
        assert!(old.tips.is_empty());
        let json = serde_json::to_value(&old).unwrap();
        assert!(json.get("tips").is_none() && json.get("service_charge_total").is_none());
    }

    proptest! {
        /// Net sales, tax and the drawer's cash are what the kept sales took minus what the
        /// refunds gave back, however sales, voids and refunds interleave.
        #[test]
        fn a_tally_nets_kept_sales_against_refunds(
            sales in prop::collection::vec((1i64..100_000, any::<bool>(), any::<bool>(), -2i64..=2), 0..40),
            refunds in prop::collection::vec((1i64..50_000, any::<bool>(), -2i64..=2), 0..10),
            float in 0i64..50_000,
        ) {
            let mut t = Tally::default();
            let (mut kept, mut kept_tax, mut cash, mut rounding) = (0i64, 0i64, 0i64, 0i64);
            for &(total, voided, by_cash, r) in &sales {
                let kind = if by_cash { "cash" } else { "card" };
                t.sale(&doc(total, total / 5, r), voided, [(kind, Money(total + r))]);
                if !voided {
                    kept += total;
                    kept_tax += total / 5;
                    rounding += r;
                    if by_cash { cash += total + r; }
                }
            }
            let mut refunded = 0i64;
            for &(total, by_cash, r) in &refunds {
                let kind = if by_cash { "cash" } else { "card" };
                t.refund(&doc(total, total / 5, r), [(kind, Money(total + r))]);
                refunded += total;
                kept_tax -= total / 5;
                rounding -= r;
                if by_cash { cash -= total + r; }
            }
            let head = ShiftHead {
                shift_id: Uuid::nil(),
                currency: "EUR".into(),
                cashier_id: "ana".into(),
                business_date: NaiveDate::from_ymd_opt(2026, 12, 2).unwrap_or_default(),
                opened_at: DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default(),
                opening_float: Money(float),
            };
            let r = t.report(&head, ReportKind::X, None);
            prop_assert_eq!(r.net_sales, Money(kept - refunded));
            prop_assert_eq!(r.tax_total, Money(kept_tax));
            prop_assert_eq!(r.cash_rounding, Money(rounding));
            prop_assert_eq!(r.expected_cash, Money(float + cash));
            prop_assert_eq!(r.sales_count, sales.len() as i64);
            prop_assert_eq!(r.voids_count, sales.iter().filter(|s| s.1).count() as i64);
            let kept_tenders: i64 = sales.iter().filter(|s| !s.1).count() as i64;
            prop_assert_eq!(r.tenders.iter().map(|x| x.count).sum::<i64>(), kept_tenders);
            prop_assert_eq!(
                r.tenders.iter().map(|x| x.amount).sum::<Money>(),
                Money(kept + sales.iter().filter(|s| !s.1).map(|s| s.3).sum::<i64>() - refunded - refunds.iter().map(|x| x.2).sum::<i64>())
            );
        }
    }

    #[test]
    fn a_void_whose_sale_has_not_arrived_counts_as_sale_and_void() {
        let mut t = Tally::default();
        t.void_of_unseen_sale(Money(1_250), Money(200));
        assert_eq!((t.sales_count, t.voids_count), (1, 1));
        assert_eq!(t.net_sales(), Money::ZERO);
        assert_eq!(t.tax_total(), Money::ZERO);
        assert!(t.tenders.is_empty());
    }
}
