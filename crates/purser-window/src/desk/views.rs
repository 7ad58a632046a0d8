//! Domain values as the window shows them (the `ipc` view types).

use purser_core::cart::Discount;
use purser_core::money::Money;
use purser_core::shift::{ReportKind, ShiftReport};
use purser_store::ShiftRow;

use crate::ipc::*;
use purser_app::receipt;

pub(super) use crate::views::ts;

pub(super) fn shift_view(s: &ShiftRow) -> ShiftView {
    ShiftView {
        shift_id: s.shift_id.to_string(),
        cashier_id: s.cashier_id.clone(),
        business_date: s.business_date.to_string(),
        opened_at: ts(s.opened_at),
        opening_float: s.opening_float.0,
    }
}

/// A tab open at one of the store's tills, as this till (`me`) shows it.
pub(super) fn store_tab_view(
    t: &purser_core::report::OpenTabSeen,
    now: chrono::DateTime<chrono::Utc>,
    me: &str,
) -> StoreTabView {
    StoreTabView {
        tab_id: t.tab_id.to_string(),
        till_id: t.till_id.clone(),
        kind: t.kind.into(),
        label: t.label.clone(),
        items: t.items,
        total: t.total.0,
        opened_at: ts(t.opened_at),
        age_secs: (now - t.opened_at).num_seconds().max(0),
        served_by: t.served_by.clone(),
        here: t.till_id == me && t.moving_to.is_none(),
        moving_to: t.moving_to.clone(),
        asked_here: t.asked_by.iter().any(|a| a == me),
    }
}

pub(super) fn discount_label(d: &Discount, s: &purser_app::Settings) -> String {
    match d {
        Discount::Percent { bp } => format!("-{}%", receipt::pct(*bp)),
        Discount::Amount { amount } => format!("-{}", s.money(*amount)),
    }
}

/// A discount as basis points of what it applies to.
pub(super) fn discount_bp(d: &Discount, base: Money) -> i64 {
    match d {
        Discount::Percent { bp } => i64::from(*bp),
        Discount::Amount { amount } => {
            if base.0 <= 0 {
                10_000
            } else {
                amount.0.saturating_mul(10_000) / base.0
            }
        }
    }
}

/// A report's tender totals as the window shows them.
pub(super) fn tender_mix(tenders: &[purser_core::shift::TenderTotal]) -> Vec<TenderMixView> {
    tenders
        .iter()
        .map(|t| TenderMixView {
            kind: t.kind.clone(),
            count: t.count,
            amount: t.amount.0,
        })
        .collect()
}

pub(super) fn report_view(s: &purser_app::Settings, r: &ShiftReport) -> ReportView {
    ReportView {
        kind: if r.kind == ReportKind::Z { "Z" } else { "X" }.into(),
        text: receipt::report_text(s, r),
        net_sales: r.net_sales.0,
        sales_count: r.sales_count,
        expected_cash: r.expected_cash.0,
        counted_cash: r.counted_cash.map(|m| m.0),
        over_short: r.over_short.map(|m| m.0),
    }
}
