//! Reads of sales and shifts for refunds, voids and shift reports.

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use uuid::Uuid;

use purser_core::events::{Envelope, SaleCompleted};
use purser_core::sale::SoldLine;
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
}

/// Aggregates of one shift, from the till's own rows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ShiftFigures {
    pub sales_count: i64,
    pub sales_total: Money,
    pub sales_tax: Money,
    pub discount_total: Money,
    pub cash_rounding: Money,
    pub voids_count: i64,
    pub voids_total: Money,
    pub voids_tax: Money,
    pub refunds_count: i64,
    pub refunds_total: Money,
    pub refunds_tax: Money,
    pub drawer_opens: i64,
    /// (kind, count, net amount): sale tenders of non-voided sales minus refund tenders.
    pub tenders: Vec<(String, i64, Money)>,
    pub offline_card_total: Money,
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
    pub fn shift_figures(&self, shift_id: Uuid) -> Result<ShiftFigures> {
        shift_figures(&self.conn, shift_id)
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

pub(crate) fn shift_figures(c: &Connection, shift_id: Uuid) -> Result<ShiftFigures> {
    let id = shift_id.to_string();
    let mut f = ShiftFigures::default();
    c.query_row(
            "SELECT count(*), coalesce(sum(total),0), coalesce(sum(tax_total),0), coalesce(sum(discount_total),0),
                    coalesce(sum(CASE WHEN voided_at IS NULL THEN cash_rounding ELSE 0 END),0),
                    coalesce(sum(voided_at IS NOT NULL),0),
                    coalesce(sum(CASE WHEN voided_at IS NOT NULL THEN total ELSE 0 END),0),
                    coalesce(sum(CASE WHEN voided_at IS NOT NULL THEN tax_total ELSE 0 END),0)
             FROM sales WHERE shift_id = ?1",
            params![id],
            |r| {
                f.sales_count = r.get(0)?;
                f.sales_total = Money(r.get(1)?);
                f.sales_tax = Money(r.get(2)?);
                f.discount_total = Money(r.get(3)?);
                f.cash_rounding = Money(r.get(4)?);
                f.voids_count = r.get(5)?;
                f.voids_total = Money(r.get(6)?);
                f.voids_tax = Money(r.get(7)?);
                Ok(())
            },
        )?;
    c.query_row(
            "SELECT count(*), coalesce(sum(total),0), coalesce(sum(tax_total),0), coalesce(sum(cash_rounding),0) FROM refunds WHERE shift_id = ?1",
            params![id],
            |r| {
                f.refunds_count = r.get(0)?;
                f.refunds_total = Money(r.get(1)?);
                f.refunds_tax = Money(r.get(2)?);
                f.cash_rounding -= Money(r.get(3)?);
                Ok(())
            },
        )?;
    f.drawer_opens = c.query_row(
        "SELECT count(*) FROM drawer_opens WHERE shift_id = ?1",
        params![id],
        |r| r.get(0),
    )?;
    let mut stmt = c.prepare_cached(
        "SELECT t.kind,
                    sum(CASE WHEN t.owner_kind = 'sale' THEN 1 ELSE 0 END),
                    sum(CASE WHEN t.owner_kind = 'sale' THEN t.amount ELSE -t.amount END)
             FROM tenders t LEFT JOIN sales s ON t.owner_kind = 'sale' AND s.sale_id = t.owner_id
             WHERE t.shift_id = ?1 AND (t.owner_kind = 'refund' OR s.voided_at IS NULL)
             GROUP BY t.kind ORDER BY t.kind",
    )?;
    f.tenders = stmt
        .query_map(params![id], |r| {
            Ok((r.get(0)?, r.get(1)?, Money(r.get(2)?)))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    f.offline_card_total = Money(c.query_row(
            "SELECT coalesce(sum(t.amount),0) FROM tenders t JOIN sales s ON s.sale_id = t.owner_id
             WHERE t.shift_id = ?1 AND t.owner_kind = 'sale' AND t.offline_card = 1 AND s.voided_at IS NULL",
            params![id],
            |r| r.get(0),
        )?);
    Ok(f)
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
