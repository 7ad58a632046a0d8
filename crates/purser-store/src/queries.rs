//! Reads of sales and shifts for refunds, voids and shift reports.

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use uuid::Uuid;

use std::collections::HashMap;

use purser_core::events::{Envelope, SaleCompleted};
use purser_core::sale::SoldLine;
use purser_core::shift::{Document, Tally};
use purser_core::tender::Tender;
use purser_core::Money;

use crate::error::{Result, StoreError};
use crate::time::parse_ts;
use crate::Store;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShiftRow {
    pub shift_id: Uuid,
    pub cashier_id: String,
    pub business_date: NaiveDate,
    pub opened_at: DateTime<Utc>,
    pub opening_float: Money,
    pub closed_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredSale {
    pub sale_id: Uuid,
    pub receipt_no: String,
    pub shift_id: Uuid,
    pub total: Money,
    pub tax_total: Money,
    pub voided: bool,
    pub lines: Vec<SoldLine>,
    pub tenders: Vec<Tender>,
    /// The service charge the sale carried, if any.
    pub service_charge: Option<purser_core::cart::ServiceChargeLine>,
}

fn uuid(s: &str) -> Result<Uuid> {
    Uuid::parse_str(s).map_err(|e| StoreError::Corrupt(format!("bad id '{s}': {e}")))
}

impl Store {
    pub fn sale_by_receipt(&self, receipt_no: &str) -> Result<Option<StoredSale>> {
        sale_by_receipt(&self.conn, receipt_no)
    }
    /// The journal entry (the event as recorded) of a sale or refund by its receipt
    /// number, for reprints: `("sale" | "refund", event JSON)`.
    pub fn journal_entry_by_receipt(&self, receipt_no: &str) -> Result<Option<(String, String)>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT 'sale', j.body FROM sales s JOIN journal j ON j.till_seq = s.till_seq WHERE s.receipt_no = ?1
                 UNION ALL
                 SELECT 'refund', j.body FROM refunds r JOIN journal j ON j.till_seq = r.till_seq WHERE r.receipt_no = ?1",
            )?
            .query_row(params![receipt_no.trim()], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?)
    }
    pub fn refunded_quantities(&self, sale_id: Uuid) -> Result<Vec<(u32, i64)>> {
        refunded_quantities(&self.conn, sale_id)
    }
    /// The shift's sales, voids, refunds and drawer opens, added up by the X/Z formulas.
    pub fn shift_tally(&self, shift_id: Uuid) -> Result<Tally> {
        shift_tally(&self.conn, shift_id)
    }

    pub fn open_shift(&self) -> Result<Option<ShiftRow>> {
        let row = self
            .conn
            .prepare_cached("SELECT shift_id, cashier_id, business_date, opened_at, opening_float, closed_at FROM shifts WHERE closed_at IS NULL")?
            .query_row(
                [],
                |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, String>(3)?, r.get::<_, i64>(4)?, r.get::<_, Option<String>>(5)?)),
            )
            .optional()?;
        row.map(|(id, cashier_id, date, opened, float, closed)| {
            Ok(ShiftRow {
                shift_id: uuid(&id)?,
                cashier_id,
                business_date: date
                    .parse()
                    .map_err(|e| StoreError::Corrupt(format!("bad date '{date}': {e}")))?,
                opened_at: parse_ts(&opened)?,
                opening_float: Money(float),
                closed_at: closed.as_deref().map(parse_ts).transpose()?,
            })
        })
        .transpose()
    }
}

pub(crate) fn sale_by_receipt(conn: &Connection, receipt_no: &str) -> Result<Option<StoredSale>> {
    let row = conn
        .prepare_cached(
            "SELECT s.voided_at IS NOT NULL, j.body FROM sales s JOIN journal j ON j.till_seq = s.till_seq WHERE s.receipt_no = ?1",
        )?
        .query_row(params![receipt_no.trim()], |r| Ok((r.get::<_, bool>(0)?, r.get::<_, String>(1)?)))
        .optional()?;
    let Some((voided, body)) = row else {
        return Ok(None);
    };
    let sale: Envelope<SaleCompleted> = serde_json::from_str(&body)?;
    let shift_id = sale.header.shift_id.ok_or_else(|| {
        StoreError::Corrupt(format!("sale {} has no shift", sale.body.receipt_no))
    })?;
    Ok(Some(StoredSale {
        sale_id: sale.body.sale_id,
        receipt_no: sale.body.receipt_no,
        shift_id,
        total: sale.body.total,
        tax_total: sale.body.tax_total,
        voided,
        lines: sale.body.lines.iter().map(SoldLine::from).collect(),
        tenders: sale.body.tenders,
        service_charge: sale.body.service_charge,
    }))
}

/// (line_no, quantity) already refunded against a sale.
pub(crate) fn refunded_quantities(conn: &Connection, sale_id: Uuid) -> Result<Vec<(u32, i64)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT line_no, sum(qty) FROM refund_lines WHERE sale_id = ?1 GROUP BY line_no",
    )?;
    let rows = stmt.query_map(params![sale_id.to_string()], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// Reads the shift's documents from the till's rows and counts them with `Tally` (the
/// formulas live there, not in SQL).
pub(crate) fn shift_tally(c: &Connection, shift_id: Uuid) -> Result<Tally> {
    let id = shift_id.to_string();
    // (owner kind, owner id) → tenders (kind, amount), in the order they were taken.
    let mut tenders: HashMap<(String, String), Vec<(String, Money)>> = HashMap::new();
    let mut stmt = c.prepare_cached(
        "SELECT owner_kind, owner_id, kind, amount FROM tenders WHERE shift_id = ?1 ORDER BY owner_id, idx",
    )?;
    let rows = stmt.query_map(params![id], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            Money(r.get(3)?),
        ))
    })?;
    for row in rows {
        let (owner_kind, owner_id, kind, amount) = row?;
        tenders
            .entry((owner_kind, owner_id))
            .or_default()
            .push((kind, amount));
    }
    let mut t = Tally::default();
    let mut stmt = c.prepare_cached(
        "SELECT sale_id, total, tax_total, discount_total, cash_rounding, voided_at IS NOT NULL, service_charge, tips
         FROM sales WHERE shift_id = ?1 ORDER BY till_seq",
    )?;
    let rows = stmt.query_map(params![id], |r| {
        Ok((
            r.get::<_, String>(0)?,
            Document {
                total: Money(r.get(1)?),
                tax_total: Money(r.get(2)?),
                discount_total: Money(r.get(3)?),
                cash_rounding: Money(r.get(4)?),
                service_charge: Money(r.get(6)?),
                tips: Vec::new(),
            },
            r.get::<_, bool>(5)?,
            r.get::<_, String>(7)?,
        ))
    })?;
    for row in rows {
        let (sale_id, mut d, voided, tips) = row?;
        d.tips = serde_json::from_str(&tips)?;
        let paid = tenders
            .remove(&("sale".to_string(), sale_id))
            .unwrap_or_default();
        t.sale(&d, voided, paid.iter().map(|(k, m)| (k.as_str(), *m)));
    }
    let mut stmt = c.prepare_cached(
        "SELECT refund_id, total, tax_total, cash_rounding, service_charge FROM refunds WHERE shift_id = ?1 ORDER BY till_seq",
    )?;
    let rows = stmt.query_map(params![id], |r| {
        Ok((
            r.get::<_, String>(0)?,
            Document {
                total: Money(r.get(1)?),
                tax_total: Money(r.get(2)?),
                discount_total: Money::ZERO,
                cash_rounding: Money(r.get(3)?),
                service_charge: Money(r.get(4)?),
                tips: Vec::new(),
            },
        ))
    })?;
    for row in rows {
        let (refund_id, d) = row?;
        let paid = tenders
            .remove(&("refund".to_string(), refund_id))
            .unwrap_or_default();
        t.refund(&d, paid.iter().map(|(k, m)| (k.as_str(), *m)));
    }
    let opens: i64 = c.query_row(
        "SELECT count(*) FROM drawer_opens WHERE shift_id = ?1",
        params![id],
        |r| r.get(0),
    )?;
    for _ in 0..opens {
        t.drawer_open();
    }
    Ok(t)
}

/// Offline card payments taken in the shift on sales not voided (the offline card limit).
pub(crate) fn offline_card_total(c: &Connection, shift_id: Uuid) -> Result<Money> {
    Ok(Money(c.query_row(
        "SELECT coalesce(sum(t.amount),0) FROM tenders t JOIN sales s ON s.sale_id = t.owner_id
         WHERE t.shift_id = ?1 AND t.owner_kind = 'sale' AND t.offline_card = 1 AND s.voided_at IS NULL",
        params![shift_id.to_string()],
        |r| r.get(0),
    )?))
}

impl Store {
    /// All sale and refund totals ever recorded (for reconciliation tests and `purser doctor`).
    pub fn lifetime_totals(&self) -> Result<(i64, Money, i64, Money)> {
        let (sales, sales_total): (i64, i64) = self.conn.query_row(
            "SELECT count(*), coalesce(sum(total),0) FROM sales WHERE voided_at IS NULL",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let (refunds, refunds_total): (i64, i64) = self.conn.query_row(
            "SELECT count(*), coalesce(sum(total),0) FROM refunds",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok((sales, Money(sales_total), refunds, Money(refunds_total)))
    }
}
