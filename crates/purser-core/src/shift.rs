//! Shift reports (X mid-shift / Z end of day) and the expected cash in the drawer.

use chrono::{DateTime, NaiveDate, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::money::Money;

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
}

impl ShiftReport {
    pub fn with_count(mut self, counted: Money) -> ShiftReport {
        self.counted_cash = Some(counted);
        self.over_short = Some(counted - self.expected_cash);
        self
    }
}
