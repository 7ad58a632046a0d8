//! After the sale: looking a sale up, refunds, voids and opening the drawer.

use purser_core::cart::Quantity;
use purser_core::sale::{refundable, RefundRequestLine};
use purser_core::tender::TenderInput;

use super::pay::tender_input;
use super::printer::DRAWER_KICK;
use super::Desk;
use crate::ipc::*;
use purser_app::error::{AppError, AppResult};
use purser_app::receipt;
use purser_app::till::{RefundRequest, RefundScope};

impl Desk {
    pub fn find_sale(&mut self, a: ReceiptArgs) -> AppResult<SaleLookup> {
        self.user()?;
        let (sale, done) = self.till.sale_with_refunds(&a.receipt_no)?;
        let shift = self.till.current_shift()?;
        let lines = sale
            .lines
            .iter()
            .map(|l| {
                let refunded = done
                    .iter()
                    .find(|(n, _)| *n == l.line_no)
                    .map(|(_, q)| *q)
                    .unwrap_or(0);
                SoldLineView {
                    line_no: l.line_no,
                    sku: l.sku.clone(),
                    name: l.name.clone(),
                    weighed: matches!(l.quantity, Quantity::Grams(_)),
                    sold: l.quantity.amount(),
                    refunded,
                    refundable: refundable(l, &done).amount(),
                    total: l.total.0,
                }
            })
            .collect();
        Ok(SaleLookup {
            receipt_no: sale.receipt_no.clone(),
            total: sale.total.0,
            voided: sale.voided,
            can_void: !sale.voided
                && done.is_empty()
                && shift.is_some_and(|s| s.shift_id == sale.shift_id),
            lines,
        })
    }

    pub fn refund(&mut self, a: RefundArgs) -> AppResult<ReceiptView> {
        self.user()?;
        let approver = self.approver(&a.approval)?;
        let mut tender = tender_input(&a.tender, self.settings(), self.till.now(), None)?;
        // The money goes back in full: no "tendered" amount on a refund.
        if let TenderInput::Cash { tendered } = &mut tender {
            *tendered = None;
        }
        let scope = match &a.lines {
            None => RefundScope::All,
            Some(lines) => {
                let (sale, _) = self.till.sale_with_refunds(&a.receipt_no)?;
                let mut out = Vec::new();
                for l in lines.iter().filter(|l| l.quantity != 0) {
                    let sold = sale
                        .lines
                        .iter()
                        .find(|s| s.line_no == l.line_no)
                        .ok_or_else(|| {
                            AppError::not_found(format!(
                                "receipt {} has no line {}",
                                sale.receipt_no, l.line_no
                            ))
                        })?;
                    if l.quantity < 0 {
                        return Err(AppError::invalid("a refund quantity cannot be negative"));
                    }
                    out.push(RefundRequestLine {
                        line_no: l.line_no,
                        quantity: sold.quantity.with_amount(l.quantity),
                    });
                }
                if out.is_empty() {
                    return Err(AppError::invalid("choose at least one item to refund"));
                }
                RefundScope::Lines(out)
            }
        };
        let r = self.till.refund(&RefundRequest {
            receipt_no: a.receipt_no.trim().to_string(),
            scope,
            tender,
            reason: a.reason,
            approver,
        })?;
        self.links.wake();
        Ok(self.refund_receipt(&r.event, &r.body, true))
    }

    pub fn void_sale(&mut self, a: VoidArgs) -> AppResult<ReceiptView> {
        self.user()?;
        let approver = self.approver(&a.approval)?;
        let r = self.till.void(&a.receipt_no, &a.reason, &approver)?;
        self.links.wake();
        let text = receipt::void_text(self.settings(), &r.event, &r.body);
        // A void gives no change and opens no drawer: no tenders on its receipt view.
        Ok(self.receipt_view("void", &r.body.receipt_no, r.body.total, text, &[], true))
    }

    pub fn open_drawer(&mut self, a: DrawerArgs) -> AppResult<bool> {
        self.user()?;
        let approver = self.approver(&a.approval)?;
        self.till.open_drawer(&a.reason, &approver)?;
        self.links.wake();
        if let Some(q) = &self.printer {
            q.submit(DRAWER_KICK.to_vec());
        }
        Ok(true)
    }
}
