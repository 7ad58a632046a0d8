//! Receipts and reports as text, 42 columns wide (80 mm printers; 58 mm ones wrap).

use chrono::{DateTime, Utc};

use purser_core::cart::Quantity;
use purser_core::events::{Event, SaleCompleted, SaleRefunded, SaleVoided};
use purser_core::money::Money;
use purser_core::shift::{ReportKind, ShiftReport};
use purser_core::tender::Tender;

use crate::config::Settings;

const WIDTH: usize = 42;

fn row(out: &mut String, left: &str, right: &str) {
    let l: String = left
        .chars()
        .take(WIDTH.saturating_sub(right.chars().count() + 1))
        .collect();
    let pad = WIDTH.saturating_sub(l.chars().count() + right.chars().count());
    out.push_str(&l);
    out.push_str(&" ".repeat(pad));
    out.push_str(right);
    out.push('\n');
}

fn rule(out: &mut String) {
    out.push_str(&"-".repeat(WIDTH));
    out.push('\n');
}

fn local(s: &Settings, t: DateTime<Utc>) -> String {
    t.with_timezone(&s.timezone)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

fn header(out: &mut String, s: &Settings, e: &Event, title: &str, number: &str) {
    let h = &e.header;
    out.push_str(&format!(
        "{:^WIDTH$}\n",
        format!("Store {} - Till {}", h.store_id, h.till_id)
    ));
    row(out, &format!("{title} {number}"), &local(s, h.occurred_at));
    row(
        out,
        &format!("Cashier {}", h.cashier_id.as_deref().unwrap_or("-")),
        &format!("#{}", h.till_seq),
    );
    rule(out);
}

fn tender_label(t: &Tender) -> String {
    match t {
        Tender::Cash { .. } => "Cash".into(),
        Tender::Card { card, .. } => format!(
            "{} ****{} {}{}",
            card.brand,
            card.last4,
            card.approval_code,
            if card.offline { " (offline)" } else { "" }
        ),
        Tender::Account {
            account_kind,
            account_id,
            ..
        } => format!("{account_kind:?} charge {account_id}"),
        Tender::Points {
            points, member_id, ..
        } => format!("{points} points ({member_id})"),
    }
}

pub fn sale_text(s: &Settings, e: &Event, sale: &SaleCompleted) -> String {
    let m = |v: Money| s.money(v);
    let mut out = String::new();
    header(&mut out, s, e, "Receipt", &sale.receipt_no);
    for l in &sale.lines {
        row(&mut out, &l.name, &m(l.gross));
        let detail = match l.quantity {
            Quantity::Units(1) => None,
            Quantity::Units(n) => Some(format!("  {n} x {}", m(l.unit_price))),
            Quantity::Grams(_) => Some(format!("  {} @ {}/kg", l.quantity, m(l.unit_price))),
        };
        if let Some(d) = detail {
            row(&mut out, &d, "");
        }
        for c in &l.modifiers {
            let price = if c.price_delta.is_zero() {
                String::new()
            } else {
                m(c.price_delta)
            };
            row(&mut out, &format!("  + {}", c.name), &price);
        }
        if let Some(r) = &l.price_rule {
            row(
                &mut out,
                &format!("  {} (was {})", r.name, m(r.list_price)),
                "",
            );
        }
        if !l.line_discount.is_zero() {
            row(&mut out, "  discount", &m(-l.line_discount));
        }
    }
    rule(&mut out);
    row(&mut out, "Subtotal", &m(sale.subtotal));
    if !sale.discount_total.is_zero() {
        row(&mut out, "Discounts", &m(-sale.discount_total));
    }
    if let Some(c) = &sale.service_charge {
        row(
            &mut out,
            &format!("Service charge {}%", pct(c.rate_bp)),
            &m(c.amount),
        );
    }
    if sale.tax_mode == purser_core::tax::TaxMode::Exclusive {
        row(&mut out, "Tax", &m(sale.tax_total));
    }
    row(
        &mut out,
        &format!("TOTAL {}", sale.currency),
        &m(sale.total),
    );
    if !sale.cash_rounding.is_zero() {
        row(&mut out, "Cash rounding", &m(sale.cash_rounding));
    }
    for t in &sale.tenders {
        let shown = match t {
            Tender::Cash { tendered, .. } => *tendered,
            other => other.amount(),
        };
        row(&mut out, &tender_label(t), &m(shown));
    }
    for t in &sale.tips {
        row(
            &mut out,
            &format!("  of which tip ({})", t.tender_kind.as_str()),
            &m(t.amount),
        );
    }
    if !sale.change.is_zero() {
        row(&mut out, "Change", &m(sale.change));
    }
    rule(&mut out);
    for t in &sale.taxes {
        let label = match sale.tax_mode {
            purser_core::tax::TaxMode::Inclusive => {
                format!("incl. {} {}% of {}", t.tax_class, pct(t.rate_bp), m(t.base))
            }
            purser_core::tax::TaxMode::Exclusive => {
                format!("{} {}% on {}", t.tax_class, pct(t.rate_bp), m(t.base))
            }
        };
        row(&mut out, &label, &m(t.tax));
    }
    if let Some(member) = &sale.member_id {
        row(&mut out, "Member", member);
    }
    if let Some(by) = &sale.served_by {
        row(&mut out, "Served by", by);
    }
    out
}

/// Basis points as a percentage without the sign: 2000 → "20", 550 → "5.50".
pub fn pct(bp: u32) -> String {
    if bp.is_multiple_of(100) {
        format!("{}", bp / 100)
    } else {
        format!("{}.{:02}", bp / 100, bp % 100)
    }
}

pub fn refund_text(s: &Settings, e: &Event, r: &SaleRefunded) -> String {
    let m = |v: Money| s.money(v);
    let mut out = String::new();
    header(&mut out, s, e, "REFUND", &r.receipt_no);
    row(
        &mut out,
        &format!("Against receipt {}", r.original_receipt_no),
        "",
    );
    for l in &r.lines {
        row(
            &mut out,
            &format!("{} ({})", l.name, l.quantity),
            &m(-l.amount),
        );
        for c in &l.modifiers {
            row(&mut out, &format!("  + {}", c.name), "");
        }
    }
    if let Some(c) = &r.service_charge {
        row(&mut out, "Service charge", &m(-c.total));
    }
    rule(&mut out);
    row(&mut out, &format!("REFUND {}", r.currency), &m(-r.total));
    if !r.cash_rounding.is_zero() {
        row(&mut out, "Cash rounding", &m(-r.cash_rounding));
    }
    for t in &r.tenders {
        row(
            &mut out,
            &format!("Paid back: {}", tender_label(t)),
            &m(-t.amount()),
        );
    }
    row(&mut out, &format!("Reason: {}", r.reason), "");
    if let Some(by) = &r.approved_by {
        row(&mut out, &format!("Approved by {by}"), "");
    }
    out
}

pub fn void_text(s: &Settings, e: &Event, v: &SaleVoided) -> String {
    let mut out = String::new();
    header(&mut out, s, e, "VOID of", &v.receipt_no);
    row(
        &mut out,
        &format!("VOIDED {}", v.currency),
        &s.money(-v.total),
    );
    row(&mut out, &format!("Reason: {}", v.reason), "");
    if let Some(by) = &v.approved_by {
        row(&mut out, &format!("Approved by {by}"), "");
    }
    out
}

pub fn report_text(s: &Settings, r: &ShiftReport) -> String {
    let m = |v: Money| s.money(v);
    let mut out = String::new();
    let title = match (r.kind, r.closed_at) {
        (ReportKind::Z, _) => "Z REPORT (end of day)",
        (ReportKind::X, Some(_)) => "X REPORT (shift closed)",
        (ReportKind::X, None) => "X REPORT (interim)",
    };
    out.push_str(&format!("{title:^WIDTH$}\n"));
    row(&mut out, "Business date", &r.business_date.to_string());
    row(&mut out, "Cashier", &r.cashier_id);
    row(&mut out, "Opened", &local(s, r.opened_at));
    if let Some(c) = r.closed_at {
        row(&mut out, "Closed", &local(s, c));
    }
    rule(&mut out);
    row(
        &mut out,
        &format!("Sales ({})", r.sales_count),
        &m(r.sales_total),
    );
    row(
        &mut out,
        &format!("Voids ({})", r.voids_count),
        &m(-r.voids_total),
    );
    row(
        &mut out,
        &format!("Refunds ({})", r.refunds_count),
        &m(-r.refunds_total),
    );
    row(&mut out, "NET SALES", &m(r.net_sales));
    row(&mut out, "of which tax", &m(r.tax_total));
    if !r.service_charge_total.is_zero() {
        row(
            &mut out,
            "of which service charge",
            &m(r.service_charge_total),
        );
    }
    row(&mut out, "Discounts given", &m(r.discount_total));
    if !r.cash_rounding.is_zero() {
        row(&mut out, "Cash rounding", &m(r.cash_rounding));
    }
    row(
        &mut out,
        "No-sale drawer opens",
        &r.drawer_opens.to_string(),
    );
    rule(&mut out);
    for t in &r.tenders {
        row(&mut out, &format!("{} ({})", t.kind, t.count), &m(t.amount));
    }
    for t in &r.tips {
        row(
            &mut out,
            &format!("  tips by {} ({})", t.kind, t.count),
            &m(t.amount),
        );
    }
    rule(&mut out);
    row(&mut out, "Opening float", &m(r.opening_float));
    row(&mut out, "Expected cash", &m(r.expected_cash));
    if let (Some(c), Some(o)) = (r.counted_cash, r.over_short) {
        row(&mut out, "Counted cash", &m(c));
        let label = if o.is_negative() {
            "SHORT"
        } else if o.is_zero() {
            "Balanced"
        } else {
            "OVER"
        };
        row(&mut out, label, &m(o));
    }
    out
}

/// The loyalty lines at the foot of a receipt.
pub fn loyalty_text(l: &crate::loyalty::ReceiptLoyalty) -> String {
    let mut out = String::new();
    rule(&mut out);
    row(&mut out, &format!("Member {}", l.name), "");
    row(&mut out, &format!("  {}", l.member_id), "");
    if l.redeemed > 0 {
        row(&mut out, "Points redeemed", &format!("-{}", l.redeemed));
    }
    if l.earned > 0 {
        row(&mut out, "Points earned", &format!("+{}", l.earned));
    }
    if l.returned > 0 {
        row(&mut out, "Points returned", &format!("+{}", l.returned));
    }
    if l.reversed > 0 {
        row(&mut out, "Points taken back", &format!("-{}", l.reversed));
    }
    row(&mut out, "Points balance", &l.balance.to_string());
    out
}
