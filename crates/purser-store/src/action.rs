//! One business action = one SQLite transaction.
//!
//! `Store::act` opens an IMMEDIATE transaction and hands the closure an `Action`. Whatever
//! the closure writes — sale rows, journal entries and outbox rows through `emit`, the
//! till's counters — commits together or not at all. An error from the closure rolls
//! everything back: nothing is half-written.

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{params, OptionalExtension, Transaction, TransactionBehavior};
use uuid::Uuid;

use purser_core::events::{Event, EventBody, EventContext, SaleCompleted, SaleRefunded};
use purser_core::tender::Tender;
use purser_core::Money;

use crate::error::{Result, StoreError};
use crate::journal::chain_hash;
use crate::time::format_ts;
use crate::{Store, TillIdentity};

pub struct Action<'c> {
    tx: Transaction<'c>,
    identity: TillIdentity,
    next_till_seq: u64,
    next_receipt_no: u64,
    head_seq: u64,
    head_hash: String,
    recorded_at: DateTime<Utc>,
    max_event_bytes: usize,
}

/// Room left in a record for what the relay adds around key, payload and headers.
const RECORD_OVERHEAD: usize = 128;

impl Store {
    /// Runs one business action in one transaction; see the module docs.
    pub fn act<T, E: From<StoreError>>(
        &mut self,
        recorded_at: DateTime<Utc>,
        f: impl FnOnce(&mut Action<'_>) -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E> {
        let identity = self.require_identity()?;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(StoreError::from)?;
        let (next_till_seq, next_receipt_no, head_seq, head_hash) = tx
            .prepare_cached("SELECT next_till_seq, next_receipt_no, journal_head_seq, journal_head_hash FROM till WHERE id = 1")
            .and_then(|mut stmt| {
                stmt.query_row([], |r| Ok((r.get::<_, u64>(0)?, r.get::<_, u64>(1)?, r.get::<_, u64>(2)?, r.get::<_, String>(3)?)))
            })
            .map_err(StoreError::from)?;
        let mut action = Action {
            tx,
            identity,
            next_till_seq,
            next_receipt_no,
            head_seq,
            head_hash,
            recorded_at,
            max_event_bytes: self.max_event_bytes,
        };
        let out = f(&mut action)?;
        action.commit()?;
        Ok(out)
    }
}

impl Action<'_> {
    pub fn identity(&self) -> &TillIdentity {
        &self.identity
    }

    /// Raw access for queries inside the action (reads see the action's own writes).
    pub fn conn(&self) -> &rusqlite::Connection {
        &self.tx
    }

    pub fn sale_by_receipt(&self, receipt_no: &str) -> Result<Option<crate::StoredSale>> {
        crate::queries::sale_by_receipt(&self.tx, receipt_no)
    }
    pub fn refunded_quantities(&self, sale_id: Uuid) -> Result<Vec<(u32, i64)>> {
        crate::queries::refunded_quantities(&self.tx, sale_id)
    }
    /// The shift's documents added up, inside the action (a Z closes on what it counted).
    pub fn shift_tally(&self, shift_id: Uuid) -> Result<purser_core::shift::Tally> {
        crate::queries::shift_tally(&self.tx, shift_id)
    }
    /// Offline card payments taken in the shift on sales not voided.
    pub fn offline_card_total(&self, shift_id: Uuid) -> Result<purser_core::Money> {
        crate::queries::offline_card_total(&self.tx, shift_id)
    }

    /// Fails with [`StoreError::ShiftClosed`] unless `shift_id` is still open as this
    /// transaction sees it: another process (`purser shift close`, a second window) may
    /// have closed it, and computed its Z, since the caller read it.
    pub fn require_open_shift(&self, shift_id: Uuid) -> Result<()> {
        // Some(None): the shift exists and has no closing time.
        let closed_at: Option<Option<String>> = self
            .tx
            .prepare_cached("SELECT closed_at FROM shifts WHERE shift_id = ?1")?
            .query_row(params![shift_id.to_string()], |r| r.get(0))
            .optional()?;
        match closed_at {
            Some(None) => Ok(()),
            _ => Err(StoreError::ShiftClosed),
        }
    }

    /// The next receipt number of this till, e.g. `T1-000042`.
    pub fn next_receipt_no(&mut self) -> String {
        let n = self.next_receipt_no;
        self.next_receipt_no += 1;
        format!("{}-{n:06}", self.identity.till_id)
    }

    /// Records an event: allocates the till's next `till_seq`, appends the hash-chained
    /// journal entry and the outbox row. Returns the event as written.
    pub fn emit(
        &mut self,
        ctx: &EventContext,
        event_id: Uuid,
        body: EventBody,
        topic: &str,
    ) -> Result<Event> {
        let seq = self.next_till_seq;
        let mut event = Event::new(ctx, event_id, seq, body);
        // The chain link goes out with the event, so consumers can check the chain.
        event.header.prev_hash = Some(self.head_hash.clone());
        let payload = event.to_json()?;
        let headers = event.cloudevents_headers();
        let key = event.key();
        let bytes = payload.len()
            + key.len()
            + headers
                .iter()
                .map(|(k, v)| k.len() + v.len())
                .sum::<usize>()
            + RECORD_OVERHEAD;
        if bytes > self.max_event_bytes {
            return Err(StoreError::EventTooLarge {
                event_type: event.header.event_type.clone(),
                bytes,
                limit: self.max_event_bytes,
            });
        }
        let hash = chain_hash(
            &self.head_hash,
            seq,
            &event_id.to_string(),
            &event.header.event_type,
            &payload,
        );
        let recorded = format_ts(self.recorded_at);
        self.tx
            .prepare_cached(
                "INSERT INTO journal (till_seq, event_id, event_type, recorded_at, body, prev_hash, hash)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![seq, event_id.to_string(), event.header.event_type, recorded, payload, self.head_hash, hash])?;
        let headers = serde_json::to_string(&headers)?;
        self.tx
            .prepare_cached(
                "INSERT INTO outbox (till_seq, event_id, topic, key, event_type, payload, headers, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?
            .execute(params![seq, event_id.to_string(), topic, key, event.header.event_type, payload, headers, recorded])?;
        self.next_till_seq += 1;
        self.head_seq = seq;
        self.head_hash = hash;
        Ok(event)
    }

    pub fn open_shift(
        &mut self,
        shift_id: Uuid,
        cashier_id: &str,
        business_date: NaiveDate,
        opened_at: DateTime<Utc>,
        float: Money,
    ) -> Result<()> {
        let r = self.tx.execute(
            "INSERT INTO shifts (shift_id, cashier_id, business_date, opened_at, opening_float) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![shift_id.to_string(), cashier_id, business_date.to_string(), format_ts(opened_at), float.0],
        );
        match r {
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::ConstraintViolation =>
            {
                Err(StoreError::Conflict(
                    "a shift is already open on this till; close it first".into(),
                ))
            }
            other => other.map(|_| ()).map_err(StoreError::from),
        }
    }

    pub fn close_shift(
        &mut self,
        shift_id: Uuid,
        closed_at: DateTime<Utc>,
        counted: Money,
        kind: &str,
        report_json: &str,
    ) -> Result<()> {
        let n = self.tx.execute(
            "UPDATE shifts SET closed_at = ?2, counted_cash = ?3, report_kind = ?4, report = ?5 WHERE shift_id = ?1 AND closed_at IS NULL",
            params![shift_id.to_string(), format_ts(closed_at), counted.0, kind, report_json],
        )?;
        if n != 1 {
            return Err(StoreError::Conflict("that shift is not open".into()));
        }
        Ok(())
    }

    fn insert_tenders(
        &mut self,
        owner_id: &str,
        owner_kind: &str,
        shift_id: &str,
        tenders: &[Tender],
    ) -> Result<()> {
        let mut stmt = self.tx.prepare_cached(
            "INSERT INTO tenders (owner_id, owner_kind, idx, shift_id, kind, amount, offline_card, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?;
        for (i, t) in tenders.iter().enumerate() {
            let offline = matches!(t, Tender::Card { card, .. } if card.offline);
            stmt.execute(params![
                owner_id,
                owner_kind,
                i,
                shift_id,
                t.kind(),
                t.amount().0,
                offline,
                serde_json::to_string(t)?
            ])?;
        }
        Ok(())
    }

    /// Moves local stock by `delta` (negative for a sale). A SKU the inventory stream has
    /// not described has no stock row and is left alone; the stream's next value wins.
    fn adjust_stock(&mut self, sku: &str, delta: i64) -> Result<()> {
        self.tx
            .prepare_cached("UPDATE stock SET on_hand = on_hand + ?2 WHERE sku = ?1")?
            .execute(params![sku, delta])?;
        Ok(())
    }

    /// Current stock of a SKU as this action sees it: (on hand, low-stock threshold).
    pub fn stock(&self, sku: &str) -> Result<Option<(i64, i64)>> {
        use rusqlite::OptionalExtension;
        Ok(self
            .tx
            .prepare_cached("SELECT on_hand, low_stock_at FROM stock WHERE sku = ?1")?
            .query_row(params![sku], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?)
    }

    pub fn insert_sale(&mut self, event: &Event, sale: &SaleCompleted) -> Result<()> {
        let h = &event.header;
        let shift = h.shift_id.map(|s| s.to_string()).unwrap_or_default();
        let sale_id = sale.sale_id.to_string();
        self.tx
            .prepare_cached(
                "INSERT INTO sales (sale_id, receipt_no, shift_id, cashier_id, occurred_at, business_date, total, tax_total, discount_total, cash_rounding, change_given, till_seq, service_charge, tips)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
            )?
            .execute(params![
                sale_id,
                sale.receipt_no,
                shift,
                h.cashier_id.clone().unwrap_or_default(),
                format_ts(h.occurred_at),
                h.business_date.to_string(),
                sale.total.0,
                sale.tax_total.0,
                sale.discount_total.0,
                sale.cash_rounding.0,
                sale.change.0,
                h.till_seq,
                sale.service_charge.as_ref().map_or(0, |c| c.amount.0),
                serde_json::to_string(&sale.tips)?,
            ])?;
        for l in &sale.lines {
            self.adjust_stock(&l.sku, -l.quantity.amount())?;
        }
        self.insert_tenders(&sale_id, "sale", &shift, &sale.tenders)
    }

    pub fn insert_refund(&mut self, event: &Event, refund: &SaleRefunded) -> Result<()> {
        let h = &event.header;
        let shift = h.shift_id.map(|s| s.to_string()).unwrap_or_default();
        let refund_id = refund.refund_id.to_string();
        let sale_id = refund.original_sale_id.to_string();
        self.tx.execute(
            "INSERT INTO refunds (refund_id, receipt_no, sale_id, shift_id, occurred_at, total, tax_total, cash_rounding, reason, approved_by, till_seq, service_charge)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            params![
                refund_id,
                refund.receipt_no,
                sale_id,
                shift,
                format_ts(h.occurred_at),
                refund.total.0,
                refund.tax_total.0,
                refund.cash_rounding.0,
                refund.reason,
                refund.approved_by,
                h.till_seq,
                refund.service_charge.map_or(0, |c| c.amount.0),
            ],
        )?;
        {
            let mut stmt = self.tx.prepare_cached(
                "INSERT INTO refund_lines (refund_id, sale_id, line_no, qty, amount, tax) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            for l in &refund.lines {
                stmt.execute(params![
                    refund_id,
                    sale_id,
                    l.line_no,
                    l.quantity.amount(),
                    l.amount.0,
                    l.tax.0
                ])?;
            }
        }
        for l in &refund.lines {
            self.adjust_stock(&l.sku, l.quantity.amount())?;
        }
        self.insert_tenders(&refund_id, "refund", &shift, &refund.tenders)
    }

    /// Marks a sale voided and puts what it sold back into local stock.
    pub fn void_sale(
        &mut self,
        sale: &crate::StoredSale,
        at: DateTime<Utc>,
        reason: &str,
        approved_by: Option<&str>,
    ) -> Result<()> {
        let n = self.tx.execute(
            "UPDATE sales SET voided_at = ?2, void_reason = ?3, voided_by = ?4 WHERE sale_id = ?1 AND voided_at IS NULL",
            params![sale.sale_id.to_string(), format_ts(at), reason, approved_by],
        )?;
        if n != 1 {
            return Err(StoreError::Conflict("that sale is already voided".into()));
        }
        for l in &sale.lines {
            self.adjust_stock(&l.sku, l.quantity.amount())?;
        }
        Ok(())
    }

    pub fn insert_drawer_open(
        &mut self,
        event: &Event,
        reason: &str,
        approved_by: Option<&str>,
    ) -> Result<()> {
        let h = &event.header;
        self.tx.execute(
            "INSERT INTO drawer_opens (event_id, shift_id, occurred_at, reason, approved_by) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                h.event_id.to_string(),
                h.shift_id.map(|s| s.to_string()).unwrap_or_default(),
                format_ts(h.occurred_at),
                reason,
                approved_by
            ],
        )?;
        Ok(())
    }

    fn commit(self) -> Result<()> {
        self.tx
            .prepare_cached(
                "UPDATE till SET next_till_seq = ?1, next_receipt_no = ?2, journal_head_seq = ?3, journal_head_hash = ?4 WHERE id = 1",
            )?
            .execute(params![self.next_till_seq, self.next_receipt_no, self.head_seq, self.head_hash])?;
        self.tx.commit()?;
        Ok(())
    }
}
