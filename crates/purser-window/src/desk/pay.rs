//! Payment, receipts, reprints and PDFs.

use chrono::{DateTime, Utc};

use purser_core::events::{Envelope, Event, EventBody, SaleCompleted, SaleRefunded};
use purser_core::money::Money;
use purser_core::tender::{Tender, TenderInput};

use super::Desk;
use crate::ipc::*;
use purser_app::error::{AppError, AppResult, ErrorCode};
use purser_app::input::TenderFields;
use purser_app::printout::{self};
use purser_app::receipt;
use purser_app::till::SaleOptions;

/// The tender a cashier entered, as the domain takes it (`purser_app::input::tender`,
/// the same rules as `purser sell --tender`). A card's terminal reference is the till
/// and the time; points are the attached member's.
pub fn tender_input(
    t: &TenderArg,
    s: &purser_app::Settings,
    now: DateTime<Utc>,
    member: Option<&str>,
) -> AppResult<TenderInput> {
    let text = |v: &Option<String>| v.as_deref().unwrap_or("").trim().to_string();
    let (brand, last4, approval, account, points) = (
        text(&t.brand),
        text(&t.last4),
        text(&t.approval_code),
        text(&t.account_id),
        text(&t.points),
    );
    let terminal_ref = format!("{}-{}", s.config.store.till_id, now.timestamp());
    // A cash part of a split is what the customer hands over for it.
    let amount = if t.kind.trim().eq_ignore_ascii_case("cash") {
        t.tendered
            .as_deref()
            .filter(|v| !v.trim().is_empty())
            .or(t.amount.as_deref())
    } else {
        t.amount.as_deref()
    };
    purser_app::input::tender(
        &TenderFields {
            kind: &t.kind,
            amount,
            brand: &brand,
            last4: &last4,
            approval_code: &approval,
            terminal_ref: &terminal_ref,
            offline: t.offline,
            account_id: &account,
            member_id: member,
            points: &points,
        },
        &s.currency,
        s.config.store.point_value,
    )
}

impl Desk {
    /// The receipt screen's view of a recorded sale, refund or void, queued for the
    /// printer when `print` (a cash tender also kicks the drawer).
    pub(super) fn receipt_view(
        &self,
        kind: &str,
        receipt_no: &str,
        total: Money,
        text: String,
        tenders: &[Tender],
        print: bool,
    ) -> ReceiptView {
        let change: Money = tenders
            .iter()
            .map(|t| match t {
                Tender::Cash { change, .. } => *change,
                _ => Money(0),
            })
            .sum();
        let cash = tenders.iter().any(|t| matches!(t, Tender::Cash { .. }));
        let loyalty = self
            .till
            .receipt_loyalty(receipt_no, kind != "sale")
            .ok()
            .flatten();
        let mut text = text;
        if let Some(l) = &loyalty {
            text.push_str(&receipt::loyalty_text(l));
        }
        let title = match kind {
            "sale" => "Receipt",
            "refund" => "Refund",
            _ => "Void",
        };
        let printed = if print {
            self.print(&self.printout_for(title, receipt_no, text.clone()), cash)
        } else {
            None
        };
        ReceiptView {
            kind: kind.into(),
            receipt_no: receipt_no.to_string(),
            total: total.0,
            change: change.0,
            text,
            printed,
            print_error: None,
            opens_drawer: cash,
            loyalty: loyalty.map(|l| LoyaltyReceiptView {
                member_id: l.member_id,
                name: l.name,
                earned: l.earned,
                redeemed: l.redeemed,
                reversed: l.reversed,
                returned: l.returned,
                balance: l.balance,
            }),
        }
    }

    pub(super) fn sale_receipt(
        &self,
        event: &Event,
        body: &SaleCompleted,
        print: bool,
    ) -> ReceiptView {
        let text = receipt::sale_text(self.settings(), event, body);
        self.receipt_view(
            "sale",
            &body.receipt_no,
            body.total,
            text,
            &body.tenders,
            print,
        )
    }

    pub(super) fn refund_receipt(
        &self,
        event: &Event,
        body: &SaleRefunded,
        print: bool,
    ) -> ReceiptView {
        let text = receipt::refund_text(self.settings(), event, body);
        self.receipt_view(
            "refund",
            &body.receipt_no,
            body.total,
            text,
            &body.tenders,
            print,
        )
    }

    /// The receipt as recorded in the journal.
    pub(super) fn recorded_receipt(&self, receipt_no: &str, print: bool) -> AppResult<ReceiptView> {
        let (kind, body) = self
            .till
            .journal_entry_by_receipt(receipt_no)?
            .ok_or_else(|| {
                AppError::not_found(format!(
                    "no receipt number {} on this till",
                    receipt_no.trim()
                ))
            })?;
        let internal = |e: serde_json::Error| AppError::new(ErrorCode::Storage, e.to_string());
        if kind == "sale" {
            let env: Envelope<SaleCompleted> = serde_json::from_str(&body).map_err(internal)?;
            let event = Event {
                header: env.header,
                body: EventBody::SaleCompleted(env.body.clone()),
            };
            Ok(self.sale_receipt(&event, &env.body, print))
        } else {
            let env: Envelope<SaleRefunded> = serde_json::from_str(&body).map_err(internal)?;
            let event = Event {
                header: env.header,
                body: EventBody::SaleRefunded(env.body.clone()),
            };
            Ok(self.refund_receipt(&event, &env.body, print))
        }
    }

    /// Splits the ticket between guests: evenly, or each paying their own lines with their
    /// part of the service charge. The shares always add up to the ticket's total.
    pub fn split_bill(&mut self, a: SplitArgs) -> AppResult<Vec<GuestShareView>> {
        self.user()?;
        if a.guests < 2 {
            return Err(AppError::invalid(
                "a bill is split between 2 or more guests",
            ));
        }
        let priced = self.priced()?;
        let split_err = |e: purser_core::split::SplitError| AppError::invalid(e.to_string());
        match a.lines {
            None => Ok(purser_core::split::split_evenly(priced.total, a.guests)
                .map_err(split_err)?
                .into_iter()
                .zip(1..)
                .map(|(amount, guest)| GuestShareView {
                    guest,
                    amount: amount.0,
                    lines: Vec::new(),
                    service_charge: 0,
                })
                .collect()),
            Some(lines) => {
                if let Some(l) = lines.iter().find(|l| l.guest == 0 || l.guest > a.guests) {
                    return Err(AppError::invalid(format!(
                        "line {} is given to guest {}, not one of 1-{}",
                        l.line_no, l.guest, a.guests
                    )));
                }
                let assignment: Vec<(u32, u32)> =
                    lines.iter().map(|l| (l.line_no, l.guest)).collect();
                let shares =
                    purser_core::split::split_by_items(&priced, &assignment).map_err(split_err)?;
                Ok((1..=a.guests)
                    .map(|guest| {
                        let s = shares.iter().find(|s| s.guest == guest);
                        GuestShareView {
                            guest,
                            amount: s.map_or(0, |s| s.amount.0),
                            lines: s.map(|s| s.lines.clone()).unwrap_or_default(),
                            service_charge: s.map_or(0, |s| s.service_charge_share.0),
                        }
                    })
                    .collect())
            }
        }
    }

    pub fn pay(&mut self, a: PayArgs) -> AppResult<ReceiptView> {
        self.user()?;
        let free = !self.ticket.lines.is_empty() && self.priced()?.total.is_zero();
        if a.tenders.is_empty() && !free {
            return Err(AppError::invalid("choose how the customer pays"));
        }
        let member = self.member.clone();
        let tenders = a
            .tenders
            .iter()
            .filter(|_| !free)
            .map(|t| tender_input(t, self.settings(), self.till.now(), member.as_deref()))
            .collect::<AppResult<Vec<_>>>()?;
        // One supervisor's PIN at payment approves what the sale needs: points above the
        // offline caps, and discounts above the limit not covered by an earlier approval.
        let proven = match &a.approval {
            Some(ap) => Some(self.till.approver(ap.user_id.trim(), &ap.pin)?),
            None => None,
        };
        let tip = match &a.tip {
            Some(t) => purser_app::input::parse_tip(&t.amount, &t.kind, &self.settings().currency)?,
            None => None,
        };
        let rewards: Vec<u32> = self.rewards.iter().copied().collect();
        let given = purser_app::till::max_discount_bp(&self.ticket, &self.priced()?, &rewards);
        let discount_approver = match &self.discount_approval {
            Some((by, covered)) if given <= *covered => Some(by.clone()),
            _ => proven.clone(),
        };
        let recorded = self
            .till
            .sell_cart(
            &self.ticket,
            &tenders,
            &SaleOptions {
                member_id: member,
                confirm_out_of_stock: a.confirm_out_of_stock,
                loyalty_approver: proven.clone(),
                rewards,
                discount_approver,
                tab: self.tab.as_ref().map(|t| t.r),
                served_by: self.session.as_ref().map(|s| s.user.user_id.clone()),
                tip,
            },
        )
            .map_err(|e| {
                if e.code == ErrorCode::TabMoved {
                    AppError::new(
                        e.code,
                        format!(
                            "{}. Nothing was paid here: reverse any card payment the terminal took for it",
                            e.message
                        ),
                    )
                } else {
                    e
                }
            })
            .map_err(|e| self.left_for_another_till(e))?;
        // Durable from here on (a tab closed with it): the next customer can be served.
        self.fresh_ticket();
        self.links.wake();
        Ok(self.sale_receipt(&recorded.event, &recorded.body, true))
    }

    pub fn reprint(&mut self, a: ReceiptArgs) -> AppResult<ReceiptView> {
        self.user()?;
        let mut r = self.recorded_receipt(&a.receipt_no, false)?;
        let p = self.printout_for("Copy of receipt", &r.receipt_no, r.text.clone());
        r.printed = self.print(&p, false);
        if r.printed.is_none() {
            r.print_error = Some("no receipt printer is configured: save it as a PDF".into());
        }
        Ok(r)
    }

    pub fn receipt_pdf(&mut self, a: ReceiptArgs) -> AppResult<PdfView> {
        self.user()?;
        let r = self.recorded_receipt(&a.receipt_no, false)?;
        let p = self.printout_for(
            if r.kind == "sale" {
                "Receipt"
            } else {
                "Refund"
            },
            &r.receipt_no,
            r.text,
        );
        std::fs::create_dir_all(&self.receipts_dir).map_err(|e| {
            AppError::new(
                ErrorCode::Storage,
                format!("cannot create {}: {e}", self.receipts_dir.display()),
            )
        })?;
        let safe: String = r
            .receipt_no
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let path = self.receipts_dir.join(format!("receipt-{safe}.pdf"));
        std::fs::write(&path, printout::to_pdf(&p)).map_err(|e| {
            let code = if e.raw_os_error() == Some(28) {
                ErrorCode::DiskFull
            } else {
                ErrorCode::Storage
            };
            AppError::new(code, format!("cannot write {}: {e}", path.display()))
        })?;
        Ok(PdfView {
            path: path.display().to_string(),
        })
    }
}
