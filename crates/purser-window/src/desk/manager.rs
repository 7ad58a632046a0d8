//! The manager's screens: the till's status, users, and the store's figures.

use std::path::PathBuf;

use purser_core::shift::ReportKind;

use super::views::*;
use super::Desk;
use crate::ipc::*;
use purser_app::error::{AppError, AppResult, ErrorCode};
use purser_app::receipt;
use purser_app::report::{self as reports, ReportQuery, Reports, ShiftsKind};
use purser_app::users::Role;

pub(super) fn shifts_kind(s: &str) -> AppResult<ShiftsKind> {
    match s.trim().to_lowercase().as_str() {
        "x" => Ok(ShiftsKind::X),
        "z" => Ok(ShiftsKind::Z),
        other => Err(AppError::invalid(format!(
            "'{other}' is not a report kind: use x or z"
        ))),
    }
}

pub(super) fn group_view(g: &purser_core::report::GroupFigure) -> GroupView {
    GroupView {
        id: g.id.clone(),
        transactions: g.transactions,
        net: g.net.0,
        refunds_count: g.refunds_count,
        refunds_total: g.refunds_total.0,
        voids_count: g.voids_count,
        voids_total: g.voids_total.0,
        service_charge: g.service_charge.0,
        tips: g.tips.0,
    }
}

pub(super) fn gap_views(gaps: &[(String, u64, u64)]) -> Vec<GapView> {
    gaps.iter()
        .map(|(t, a, b)| GapView {
            till_id: t.clone(),
            first: *a,
            last: *b,
        })
        .collect()
}

impl Desk {
    pub fn status(&mut self, _: Empty) -> AppResult<StatusView> {
        let now = self.till.now();
        let outbox = self.till.outbox_status()?;
        let relay = self.links.relay();
        self.lock_if_idle(now);
        let printer = self
            .printer
            .as_ref()
            .and_then(|q| q.state.lock().ok().map(|s| (q.addr.clone(), s.clone())));
        Ok(StatusView {
            // A refusal is an answer: the cluster is there, it will not take the events.
            online: relay
                .as_ref()
                .is_some_and(|r| r.connected || r.refused.is_some()),
            last_error: outbox
                .last_error
                .clone()
                .or_else(|| relay.as_ref().and_then(|r| r.last_error.clone())),
            outbox_pending: outbox.pending,
            oldest_pending_secs: outbox
                .oldest_pending_at
                .map(|t| (now - t).num_seconds().max(0)),
            last_sent_at: outbox.last_published_at.map(ts),
            streams: self
                .links
                .streams()
                .into_iter()
                .map(|t| StreamView {
                    topic: t.topic,
                    kind: t.kind,
                    lag: t.lag,
                    last_applied_at: t.last_applied_at.map(ts),
                    quarantined: t.quarantined,
                })
                .collect(),
            data_version: self.links.data_version(),
            signed_in: self.session.as_ref().is_some_and(|s| !s.locked),
            locked: self.session.as_ref().is_some_and(|s| s.locked),
            printer_error: printer
                .and_then(|(addr, s)| s.last_error.map(|e| format!("{addr}: {e}"))),
            report_version: self.links.report_version(),
            write_refused: relay
                .as_ref()
                .and_then(|r| r.refused.as_ref())
                .map(|r| RefusedView {
                    topic: r.topic.clone(),
                    error: r.error.clone(),
                }),
            relay_problem: relay.as_ref().and_then(|r| {
                r.stopped
                    .clone()
                    .map(|m| RelayProblemView {
                        stopped: true,
                        message: m,
                    })
                    .or_else(|| {
                        r.store_error.clone().map(|m| RelayProblemView {
                            stopped: false,
                            message: m,
                        })
                    })
            }),
            blocked: outbox.blocked.map(|b| BlockedView {
                till_seq: b.till_seq,
                event_type: b.event_type,
                topic: b.topic,
                attempts: b.attempts,
                error: b.error,
            }),
        })
    }

    pub fn users(&mut self, _: Empty) -> AppResult<Vec<UserView>> {
        let me = self.user()?;
        if me.role != Role::Manager {
            return Err(AppError::new(
                ErrorCode::NotAllowed,
                "only a manager can see the till's users",
            ));
        }
        let now = self.till.now();
        Ok(self
            .till
            .users()?
            .iter()
            .map(|u| UserView::of(u, now))
            .collect())
    }

    pub(super) fn manager_reports(&mut self) -> AppResult<&Reports> {
        let me = self.user()?;
        if me.role != Role::Manager {
            return Err(AppError::new(
                ErrorCode::NotAllowed,
                "only a manager can see the store's figures",
            ));
        }
        self.reports.as_ref().ok_or_else(|| {
            AppError::new(
                ErrorCode::InvalidConfig,
                "the store's figures are not available on this till (no reporting store)",
            )
        })
    }

    pub(super) fn report_query(&mut self, a: &ReportArgs) -> AppResult<ReportQuery> {
        let now = self.till.now();
        let r = self.manager_reports()?;
        ReportQuery::parse(
            a.date.as_deref(),
            a.from.as_deref(),
            a.to.as_deref(),
            a.till.as_deref(),
            a.cashier.as_deref(),
            r.today(now),
        )
    }

    pub fn report_options(&mut self, _: Empty) -> AppResult<ReportOptionsView> {
        let now = self.till.now();
        let r = self.manager_reports()?;
        let (tills, cashiers, _) = r.options()?;
        Ok(ReportOptionsView {
            today: r.today(now).to_string(),
            tills,
            cashiers,
        })
    }

    pub fn report_summary(&mut self, a: ReportArgs) -> AppResult<SummaryView> {
        let q = self.report_query(&a)?;
        let r = self.manager_reports()?.summary(&q)?;
        let s = self.settings();
        let x = &r.summary;
        Ok(SummaryView {
            from: q.from.to_string(),
            to: q.to.to_string(),
            till: q.till.clone(),
            cashier: q.cashier.clone(),
            net_sales: x.net_sales.0,
            transactions: x.transactions,
            average_basket: x.average_basket.0,
            sales_count: x.sales_count,
            sales_total: x.sales_total.0,
            voids_count: x.voids_count,
            voids_total: x.voids_total.0,
            refunds_count: x.refunds_count,
            refunds_total: x.refunds_total.0,
            tax_total: x.tax_total.0,
            discount_total: x.discount_total.0,
            items_sold: x.items_sold,
            drawer_opens: x.drawer_opens,
            member_sales: x.member_sales,
            points_redeemed: x.points_redeemed,
            points_issued: x.points_issued,
            enrolments: x.enrolments,
            by_hour: x
                .by_hour
                .iter()
                .map(|h| HourView {
                    hour: h.hour,
                    transactions: h.transactions,
                    net: h.net.0,
                })
                .collect(),
            tenders: x
                .tenders
                .iter()
                .map(|t| TenderMixView {
                    kind: t.kind.clone(),
                    count: t.count,
                    amount: t.amount.0,
                })
                .collect(),
            top_products: x
                .products
                .iter()
                .take(10)
                .map(|p| ProductSalesView {
                    sku: p.sku.clone(),
                    name: p.name.clone(),
                    quantity: purser_app::report::sold_quantity(p.units, p.grams),
                    net: p.net.0,
                })
                .collect(),
            tills: x.tills.iter().map(group_view).collect(),
            cashiers: x.cashiers.iter().map(group_view).collect(),
            exceptions: x
                .exceptions
                .iter()
                .map(|e| ExceptionView {
                    kind: e.kind.clone(),
                    till_id: e.till_id.clone(),
                    cashier_id: e.cashier_id.clone(),
                    at: e
                        .occurred_at
                        .with_timezone(&s.timezone)
                        .format("%Y-%m-%d %H:%M")
                        .to_string(),
                    receipt_no: e.receipt_no.clone(),
                    amount: e.amount.0,
                    reason: e.reason.clone(),
                    approved_by: e.approved_by.clone(),
                })
                .collect(),
            gaps: gap_views(&r.gaps),
        })
    }

    pub fn report_shifts(&mut self, a: ShiftsArgs) -> AppResult<ShiftsView> {
        let kind = shifts_kind(&a.kind)?;
        let q = self.report_query(&a.filter)?;
        let r = self.manager_reports()?.shifts(kind, &q)?;
        let s = self.settings();
        let shifts = r
            .shifts
            .iter()
            .map(|d| {
                let rep = match kind {
                    ShiftsKind::Z => d.printed.as_ref().unwrap_or(&d.report),
                    ShiftsKind::X => &d.report,
                };
                ShiftReportView {
                    till_id: d.till_id.clone(),
                    shift_id: rep.shift_id.to_string(),
                    kind: if rep.kind == ReportKind::Z { "Z" } else { "X" }.into(),
                    interim: d.printed.is_none(),
                    cashier_id: rep.cashier_id.clone(),
                    business_date: rep.business_date.to_string(),
                    opened_at: ts(rep.opened_at),
                    closed_at: rep.closed_at.map(ts),
                    opening_float: rep.opening_float.0,
                    sales_count: rep.sales_count,
                    sales_total: rep.sales_total.0,
                    voids_count: rep.voids_count,
                    voids_total: rep.voids_total.0,
                    refunds_count: rep.refunds_count,
                    refunds_total: rep.refunds_total.0,
                    net_sales: rep.net_sales.0,
                    tax_total: rep.tax_total.0,
                    discount_total: rep.discount_total.0,
                    drawer_opens: rep.drawer_opens,
                    tenders: tender_mix(&rep.tenders),
                    expected_cash: rep.expected_cash.0,
                    counted_cash: rep.counted_cash.map(|m| m.0),
                    over_short: rep.over_short.map(|m| m.0),
                    agrees: d.printed.as_ref().map(|_| d.differences.is_empty()),
                    differences: d.differences.clone(),
                    text: receipt::report_text(s, rep),
                }
            })
            .collect();
        let t = &r.store;
        Ok(ShiftsView {
            kind: a.kind.trim().to_lowercase(),
            from: q.from.to_string(),
            to: q.to.to_string(),
            shifts,
            store: StoreTotalsView {
                shifts: t.shifts,
                sales_count: t.sales_count,
                sales_total: t.sales_total.0,
                voids_count: t.voids_count,
                voids_total: t.voids_total.0,
                refunds_count: t.refunds_count,
                refunds_total: t.refunds_total.0,
                net_sales: t.net_sales.0,
                tax_total: t.tax_total.0,
                discount_total: t.discount_total.0,
                drawer_opens: t.drawer_opens,
                tenders: tender_mix(&t.tenders),
                opening_float: t.opening_float.0,
                expected_cash: t.expected_cash.0,
                counted_cash: t.counted_cash.0,
                over_short: t.over_short.0,
            },
            disagreements: u32::try_from(r.disagreements).unwrap_or(u32::MAX),
            open_tills: r.open_tills.clone(),
            gaps: gap_views(&r.gaps),
        })
    }

    pub fn report_tills(&mut self, _: Empty) -> AppResult<TillsView> {
        let now = self.till.now();
        let me = self.settings().config.store.till_id.clone();
        let consumer = self.links.report_status();
        let r = self.manager_reports()?.tills(now)?;
        Ok(TillsView {
            tills: r
                .tills
                .iter()
                .map(|t| TillHealthView {
                    till_id: t.till_id.clone(),
                    link: t.link.into(),
                    received_age_secs: t.received_age_secs,
                    last_heartbeat_at: t.last_heartbeat_at.map(ts),
                    heartbeat_age_secs: t.heartbeat_age_secs,
                    outbox_backlog: t.outbox_backlog,
                    oldest_waiting_secs: t.oldest_waiting_age_secs,
                    last_event_at: ts(t.last_event_at),
                    events: t.events,
                    highest_seq: t.highest_seq,
                    gaps: t
                        .gaps
                        .iter()
                        .map(|(a, b)| GapView {
                            till_id: t.till_id.clone(),
                            first: *a,
                            last: *b,
                        })
                        .collect(),
                    app_version: t.app_version.clone(),
                    hq_days: t
                        .hq_days
                        .iter()
                        .map(|d| HqDayView {
                            business_date: d.business_date.to_string(),
                            state: d.state.into(),
                            missing: d.missing.clone(),
                            problems: d.problems.clone(),
                            updated_at: ts(d.updated_at),
                        })
                        .collect(),
                })
                .collect(),
            connected: consumer.as_ref().is_some_and(|c| c.connected),
            lag: consumer.as_ref().and_then(|c| c.lag),
            events: r.consumer.events,
            duplicates: r.consumer.duplicates,
            low_stock: r
                .low_stock
                .iter()
                .map(|l| LowStockView {
                    sku: l.sku.clone(),
                    name: l.name.clone(),
                    on_hand: l.on_hand,
                    low_stock_at: l.low_stock_at,
                })
                .collect(),
            quarantined: r
                .quarantined
                .iter()
                .map(|q| QuarantineView {
                    topic: q.topic.clone(),
                    partition: q.partition,
                    offset: q.offset,
                    reason: q.reason.clone(),
                    received_at: ts(q.received_at),
                })
                .collect(),
            open_tabs: r
                .open_tabs
                .iter()
                .map(|t| super::views::store_tab_view(t, now, &me))
                .collect(),
        })
    }

    pub fn report_export(&mut self, a: ExportArgs) -> AppResult<ExportView> {
        let format = a.format.trim().to_lowercase();
        if format != "csv" && format != "pdf" {
            return Err(AppError::invalid(format!(
                "'{}' is not an export format: use csv or pdf",
                a.format
            )));
        }
        let now = self.till.now();
        let which = a.report.trim().to_lowercase();
        let (name, text, csv) = match which.as_str() {
            "summary" => {
                let q = self.report_query(&a.filter)?;
                let r = self.manager_reports()?.summary(&q)?;
                let s = self.settings();
                (
                    format!("summary-{}", q.from),
                    reports::summary_text(s, &r),
                    reports::summary_csv(s, &r)?,
                )
            }
            "x" | "z" => {
                let kind = shifts_kind(&which)?;
                let q = self.report_query(&a.filter)?;
                let r = self.manager_reports()?.shifts(kind, &q)?;
                let s = self.settings();
                (
                    format!("{which}-{}", q.from),
                    reports::shifts_text(s, &r),
                    reports::shifts_csv(s, &r)?,
                )
            }
            "tills" => {
                let r = self.manager_reports()?.tills(now)?;
                (
                    format!("tills-{}", now.format("%Y-%m-%d")),
                    reports::tills_text(&r),
                    reports::tills_csv(&r)?,
                )
            }
            other => {
                return Err(AppError::invalid(format!(
                    "'{other}' is not a report: use summary, x, z or tills"
                )))
            }
        };
        let dir = self
            .receipts_dir
            .parent()
            .map(|p| p.join("reports"))
            .unwrap_or_else(|| PathBuf::from("reports"));
        std::fs::create_dir_all(&dir).map_err(|e| {
            AppError::new(
                ErrorCode::Storage,
                format!("cannot create {}: {e}", dir.display()),
            )
        })?;
        let stamp = now.format("%H%M%S");
        let path = dir.join(format!("{name}-{stamp}.{format}"));
        let bytes = if format == "pdf" {
            reports::to_pdf(&name, &text)
        } else {
            csv.into_bytes()
        };
        std::fs::write(&path, bytes).map_err(|e| {
            AppError::new(
                ErrorCode::Storage,
                format!("cannot write {}: {e}", path.display()),
            )
        })?;
        Ok(ExportView {
            path: path.display().to_string(),
        })
    }
}
