//! The manager's reports: the store's figures from the reporting store (every till's
//! events, read from the store's cluster by `purser_stream::report::ReportConsumer`),
//! folded by `purser_core::report`, rendered as text, CSV or PDF. The window's manager
//! screen and `purser report` both come here.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Timelike, Utc};
use serde::Serialize;

use purser_core::money::Money;
use purser_core::report::{derive_shifts, DateRange, DerivedShift, StoreTotals, Summary};
use purser_core::shift::ReportKind;
use purser_store::{EventFilter, Quarantined, ReportState, ReportStore, StockLevel, Store};
use purser_stream::inbound::InboundMode;
use purser_stream::report::ReportConsumer;

use crate::config::Settings;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::printout::{self, Printout};
use crate::receipt;

/// The reporting store's file: `report.db` beside the till database.
pub fn report_db_path(settings: &Settings) -> PathBuf {
    settings.config.database.with_file_name("report.db")
}

/// Which report figures to show: a business date range, a till, a cashier.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ReportQuery {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub till: Option<String>,
    pub cashier: Option<String>,
}

fn parse_date(s: &str) -> AppResult<NaiveDate> {
    s.trim().parse().map_err(|_| {
        AppError::invalid(format!(
            "'{}' is not a date: write it as YYYY-MM-DD",
            s.trim()
        ))
    })
}

fn nonempty(s: Option<&str>) -> Option<String> {
    s.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

impl ReportQuery {
    /// `date` alone is one day; `from`/`to` a range (a missing end is the other end);
    /// nothing at all is `today`.
    pub fn parse(
        date: Option<&str>,
        from: Option<&str>,
        to: Option<&str>,
        till: Option<&str>,
        cashier: Option<&str>,
        today: NaiveDate,
    ) -> AppResult<ReportQuery> {
        let date = nonempty(date);
        let from = nonempty(from);
        let to = nonempty(to);
        let (from, to) = match (date, from, to) {
            (Some(_), Some(_), _) | (Some(_), _, Some(_)) => {
                return Err(AppError::invalid(
                    "give either a date or a range (from/to), not both",
                ))
            }
            (Some(d), None, None) => {
                let d = parse_date(&d)?;
                (d, d)
            }
            (None, Some(f), Some(t)) => (parse_date(&f)?, parse_date(&t)?),
            (None, Some(f), None) => {
                let f = parse_date(&f)?;
                (f, f.max(today))
            }
            (None, None, Some(t)) => {
                let t = parse_date(&t)?;
                (t, t)
            }
            (None, None, None) => (today, today),
        };
        if from > to {
            return Err(AppError::invalid(format!(
                "the range starts ({from}) after it ends ({to})"
            )));
        }
        if (to - from).num_days() > 366 {
            return Err(AppError::invalid("a report covers at most 367 days"));
        }
        Ok(ReportQuery {
            from,
            to,
            till: nonempty(till),
            cashier: nonempty(cashier),
        })
    }

    pub fn dates(&self) -> DateRange {
        DateRange {
            from: self.from,
            to: self.to,
        }
    }

    fn label(&self) -> String {
        let mut s = if self.from == self.to {
            self.from.to_string()
        } else {
            format!("{} to {}", self.from, self.to)
        };
        if let Some(t) = &self.till {
            s.push_str(&format!(", till {t}"));
        }
        if let Some(c) = &self.cashier {
            s.push_str(&format!(", cashier {c}"));
        }
        s
    }
}

/// X (every shift as it stands, open ones as interim figures) or Z (the shifts the tills
/// closed, as printed, each checked against its events).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ShiftsKind {
    X,
    Z,
}

#[derive(Clone, Debug, Serialize)]
pub struct ShiftsReport {
    pub kind: ShiftsKind,
    pub query: ReportQuery,
    pub shifts: Vec<DerivedShift>,
    /// The store's total: of the figures from events (X) or of the printed reports (Z).
    pub store: StoreTotals,
    /// Shifts whose printed report disagrees with their events.
    pub disagreements: usize,
    /// Tills still with an open shift in the period (Z only).
    pub open_tills: Vec<String>,
    /// (till, first missing, last missing) `till_seq`: events not arrived yet.
    pub gaps: Vec<(String, u64, u64)>,
}

#[derive(Clone, Debug, Serialize)]
pub struct SummaryReport {
    pub query: ReportQuery,
    pub currency: String,
    pub summary: Summary,
    /// (till, first missing, last missing) `till_seq`: figures may still grow.
    pub gaps: Vec<(String, u64, u64)>,
}

#[derive(Clone, Debug, Serialize)]
pub struct TillHealth {
    pub till_id: String,
    pub last_heartbeat_at: Option<DateTime<Utc>>,
    /// Seconds since the last heartbeat was written at the till.
    pub heartbeat_age_secs: Option<i64>,
    /// Events the till held in its outbox at its last heartbeat.
    pub outbox_backlog: Option<u64>,
    pub oldest_waiting_at: Option<DateTime<Utc>>,
    pub oldest_waiting_age_secs: Option<i64>,
    pub last_event_at: DateTime<Utc>,
    pub last_received_at: DateTime<Utc>,
    /// Seconds since the manager's consumer last received one of the till's events.
    pub received_age_secs: i64,
    pub events: u64,
    pub highest_seq: u64,
    pub gaps: Vec<(u64, u64)>,
    /// What the heartbeats say of the till's link to the store's cluster.
    pub link: TillLink,
    pub app_version: Option<String>,
    /// What headquarters' reconciler has said of this till's latest days
    /// (`pos.reconciliation.v1`), newest first; empty until the cloud has published.
    pub hq_days: Vec<HqDay>,
}

/// A till's link to the store's cluster, as its heartbeats tell it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TillLink {
    /// A heartbeat within three heartbeat intervals.
    Online,
    /// Its last heartbeat is older than three intervals.
    Offline,
    /// Events arrive but no heartbeat ever did: a headless till whose outbox is sent
    /// with `purser relay --until-empty`, which writes none. Not known to be offline.
    NoHeartbeats,
}

impl TillLink {
    pub fn text(self) -> &'static str {
        match self {
            TillLink::Online => "online",
            TillLink::Offline => "offline",
            TillLink::NoHeartbeats => "no heartbeats",
        }
    }
}

/// Headquarters' word on one till's business day.
#[derive(Clone, Debug, Serialize)]
pub struct HqDay {
    pub business_date: NaiveDate,
    pub state: purser_core::reconciliation::DayState,
    /// `till_seq` headquarters is still waiting for, as "5, 9-12".
    pub missing: String,
    /// Conflicts, Z mismatches, where the chain breaks, open shifts: one line each.
    pub problems: Vec<String>,
    pub updated_at: DateTime<Utc>,
}

impl HqDay {
    fn from_record(r: &purser_core::reconciliation::ReconciliationRecord) -> HqDay {
        let d = &r.day;
        let mut problems: Vec<String> = d.conflicts.clone();
        problems.extend(d.z_mismatches.iter().map(|z| {
            format!(
                "Z of shift {} disagrees with its events: {}",
                z.shift_id,
                z.differences.join("; ")
            )
        }));
        if let Some(b) = d.chain_broken_from {
            problems.push(format!("hash chain broken from #{b}"));
        }
        if !d.open_shifts.is_empty() {
            problems.push(format!("{} shift(s) without a Z yet", d.open_shifts.len()));
        }
        HqDay {
            business_date: d.business_date,
            state: d.state,
            missing: d.missing_text(),
            problems,
            updated_at: r.updated_at,
        }
    }

    /// "complete", "waiting for #5, #9-12", …
    pub fn summary(&self) -> String {
        use purser_core::reconciliation::DayState;
        match self.state {
            DayState::Complete => "confirmed complete".into(),
            DayState::Waiting if !self.missing.is_empty() => {
                format!("waiting for #{}", self.missing.replace(", ", ", #"))
            }
            DayState::Waiting => "waiting for a Z".into(),
            DayState::ZMismatch => "Z mismatch".into(),
            DayState::ChainBroken => "chain broken".into(),
            DayState::Conflict => "conflict".into(),
        }
    }
}

/// How many of each till's latest days the manager sees headquarters' word on.
const HQ_DAYS_PER_TILL: usize = 7;

#[derive(Clone, Debug, Serialize)]
pub struct LowStock {
    pub sku: String,
    pub name: Option<String>,
    pub on_hand: i64,
    pub low_stock_at: i64,
    pub updated_at: DateTime<Utc>,
}

#[derive(Clone, Debug, Serialize)]
pub struct TillsReport {
    pub now: DateTime<Utc>,
    pub tills: Vec<TillHealth>,
    pub consumer: ReportState,
    /// Low stock from this till's inventory view (empty where there is no till database).
    pub low_stock: Vec<LowStock>,
    /// Records nobody could read: the manager's consumer's, then the till's inbound ones.
    pub quarantined: Vec<Quarantined>,
    /// Tabs and parked tickets open at the store's tills, oldest first.
    pub open_tabs: Vec<purser_core::report::OpenTabSeen>,
    /// The store's currency, for the amounts above.
    pub currency: purser_core::Currency,
}

/// Reads the store's cluster into the reporting store until it has what the cluster had
/// when it started (`purser report` does this first).
pub fn catch_up(settings: &Settings, deadline: Duration) -> AppResult<u64> {
    let cfg = &settings.config;
    let mut c = ReportConsumer::new(
        &report_db_path(settings),
        cfg.kafka.clone(),
        &cfg.topics,
        &cfg.store.store_id,
    )
    .map_err(|e| AppError::new(ErrorCode::KafkaUnreachable, e.to_string()))?;
    c.run(&AtomicBool::new(false), InboundMode::CatchUp { deadline })
        .map_err(|e| AppError::new(ErrorCode::KafkaUnreachable, e.to_string()))
}

pub struct Reports {
    store: ReportStore,
    settings: Settings,
    /// The till database (low stock, inbound quarantine), when there is one.
    till_db: Option<PathBuf>,
}

impl std::fmt::Debug for Reports {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reports")
            .field("store", &self.store)
            .finish()
    }
}

fn store_err(e: purser_store::StoreError) -> AppError {
    AppError::from(e)
}

impl Reports {
    pub fn open(settings: &Settings) -> AppResult<Reports> {
        Reports::open_at(settings, &report_db_path(settings))
    }

    pub fn open_at(settings: &Settings, path: &Path) -> AppResult<Reports> {
        let till_db = Some(settings.config.database.clone()).filter(|p| p.exists());
        Ok(Reports {
            store: ReportStore::open(path).map_err(store_err)?,
            settings: settings.clone(),
            till_db,
        })
    }

    pub fn store(&mut self) -> &mut ReportStore {
        &mut self.store
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Today's business date in the store's time zone.
    pub fn today(&self, now: DateTime<Utc>) -> NaiveDate {
        now.with_timezone(&self.settings.timezone).date_naive()
    }

    fn gaps(&self, till: Option<&str>) -> AppResult<Vec<(String, u64, u64)>> {
        let (tills, _) = self.store.tills_and_cashiers().map_err(store_err)?;
        let mut out = Vec::new();
        for t in tills
            .iter()
            .filter(|t| till.is_none_or(|want| want == t.as_str()))
        {
            for (a, b) in self.store.gaps(t).map_err(store_err)? {
                out.push((t.clone(), a, b));
            }
        }
        Ok(out)
    }

    pub fn summary(&self, q: &ReportQuery) -> AppResult<SummaryReport> {
        let events = self
            .store
            .events(&EventFilter {
                dates: q.dates(),
                till: q.till.clone(),
                cashier: q.cashier.clone(),
            })
            .map_err(store_err)?;
        let tz = self.settings.timezone;
        let summary = Summary::fold(&events, &|t: DateTime<Utc>| t.with_timezone(&tz).hour());
        Ok(SummaryReport {
            query: q.clone(),
            currency: self.settings.currency.code.clone(),
            summary,
            gaps: self.gaps(q.till.as_deref())?,
        })
    }

    pub fn shifts(&self, kind: ShiftsKind, q: &ReportQuery) -> AppResult<ShiftsReport> {
        let events = self
            .store
            .shift_events(q.dates(), q.till.as_deref())
            .map_err(store_err)?;
        let currency = self.settings.currency.code.clone();
        let cashier = q.cashier.clone();
        let all = derive_shifts(&events, &currency, &|d: &DerivedShift| {
            cashier.as_ref().is_none_or(|c| *c == d.report.cashier_id)
        });
        let open_tills: Vec<String> = {
            let mut v: Vec<String> = all
                .iter()
                .filter(|d| d.printed.is_none())
                .map(|d| d.till_id.clone())
                .collect();
            v.dedup();
            v
        };
        let shifts: Vec<DerivedShift> = match kind {
            ShiftsKind::X => all,
            ShiftsKind::Z => all.into_iter().filter(|d| d.printed.is_some()).collect(),
        };
        let store = match kind {
            ShiftsKind::X => StoreTotals::add_up(shifts.iter().map(|d| &d.report)),
            ShiftsKind::Z => StoreTotals::add_up(shifts.iter().filter_map(|d| d.printed.as_ref())),
        };
        Ok(ShiftsReport {
            kind,
            query: q.clone(),
            disagreements: shifts.iter().filter(|d| !d.differences.is_empty()).count(),
            store,
            shifts,
            open_tills: if kind == ShiftsKind::Z {
                open_tills
            } else {
                Vec::new()
            },
            gaps: self.gaps(q.till.as_deref())?,
        })
    }

    pub fn tills(&self, now: DateTime<Utc>) -> AppResult<TillsReport> {
        let beat = i64::try_from(self.settings.config.outbox.heartbeat_secs.max(1)).unwrap_or(60);
        let hq = self.store.hq_days(2_000).map_err(store_err)?;
        let tills = self
            .store
            .tills()
            .map_err(store_err)?
            .into_iter()
            .map(|t| {
                let age = t.heartbeat_at.map(|h| (now - h).num_seconds().max(0));
                let hb = t.heartbeat.as_ref();
                let oldest = hb.and_then(|h| h.oldest_unsent_at);
                TillHealth {
                    link: match age {
                        None => TillLink::NoHeartbeats,
                        Some(a) if a > 3 * beat => TillLink::Offline,
                        Some(_) => TillLink::Online,
                    },
                    last_heartbeat_at: t.heartbeat_at,
                    heartbeat_age_secs: age,
                    outbox_backlog: hb.map(|h| h.outbox_backlog),
                    oldest_waiting_at: oldest,
                    oldest_waiting_age_secs: oldest.map(|o| (now - o).num_seconds().max(0)),
                    last_event_at: t.last_event_at,
                    last_received_at: t.last_received_at,
                    received_age_secs: (now - t.last_received_at).num_seconds().max(0),
                    events: t.events,
                    highest_seq: t.highest_seq,
                    gaps: t.gaps,
                    app_version: hb.map(|h| h.app_version.clone()),
                    hq_days: hq
                        .iter()
                        .filter(|r| r.day.till_id == t.till_id)
                        .take(HQ_DAYS_PER_TILL)
                        .map(HqDay::from_record)
                        .collect(),
                    till_id: t.till_id,
                }
            })
            .collect();
        let mut quarantined = self.store.quarantined(50).map_err(store_err)?;
        let mut low_stock = Vec::new();
        if let Some(db) = &self.till_db {
            // A read of the till's own views; a till database that cannot be opened (a
            // newer schema, another process's lock) only leaves these lists empty.
            match Store::open_for_relay(db) {
                Ok(till) => {
                    low_stock = till
                        .low_stock(100)
                        .map_err(store_err)?
                        .into_iter()
                        .map(|(s, name): (StockLevel, Option<String>)| LowStock {
                            sku: s.sku,
                            name,
                            on_hand: s.on_hand,
                            low_stock_at: s.low_stock_at,
                            updated_at: s.updated_at,
                        })
                        .collect();
                    quarantined.extend(till.quarantined(50).map_err(store_err)?);
                }
                Err(e) => tracing::warn!("low stock not read from {}: {e}", db.display()),
            }
        }
        let open_tabs = self.open_tabs()?;
        Ok(TillsReport {
            now,
            tills,
            consumer: self.store.state().map_err(store_err)?,
            low_stock,
            quarantined,
            open_tabs,
            currency: self.settings.currency.clone(),
        })
    }

    /// The tabs and parked tickets open at the store's tills (moving ones too), oldest
    /// first, as their events in the reporting store show them.
    pub fn open_tabs(&self) -> AppResult<Vec<purser_core::report::OpenTabSeen>> {
        Ok(purser_core::report::open_tabs(
            &self.store.open_tab_events().map_err(store_err)?,
        ))
    }

    /// Requests for a tab, addressed to `holder`, not answered yet (`ReportStore::tab_requests_to`).
    pub fn tab_requests_to(&self, holder: &str) -> AppResult<Vec<purser_core::events::Event>> {
        self.store.tab_requests_to(holder).map_err(store_err)
    }

    /// Tabs handed over to `till`, not taken over yet (`ReportStore::tab_moves_to`).
    pub fn tab_moves_to(&self, till: &str) -> AppResult<Vec<purser_core::events::Event>> {
        self.store.tab_moves_to(till).map_err(store_err)
    }

    /// Known tills and cashiers (for the filters) and the latest business date seen.
    pub fn options(&self) -> AppResult<(Vec<String>, Vec<String>, Option<NaiveDate>)> {
        let (t, c) = self.store.tills_and_cashiers().map_err(store_err)?;
        Ok((t, c, self.store.latest_business_date().map_err(store_err)?))
    }
}

// ----- rendering --------------------------------------------------------------------------

const W: usize = 42;

fn row(out: &mut String, left: &str, right: &str) {
    let l: String = left
        .chars()
        .take(W.saturating_sub(right.chars().count() + 1))
        .collect();
    let pad = W.saturating_sub(l.chars().count() + right.chars().count());
    out.push_str(&l);
    out.push_str(&" ".repeat(pad));
    out.push_str(right);
    out.push('\n');
}

fn rule(out: &mut String) {
    out.push_str(&"-".repeat(W));
    out.push('\n');
}

fn title(out: &mut String, s: &Settings, t: &str, q: &ReportQuery) {
    out.push_str(&format!("{t:^W$}\n"));
    out.push_str(&format!(
        "{:^W$}\n",
        format!("Store {}", s.config.store.store_id)
    ));
    out.push_str(&format!("{:^W$}\n", q.label()));
    rule(out);
}

/// How much of a product was sold, as every report and the manager's screen write it:
/// units, kilograms, or both for a product sold both ways in the period.
pub fn sold_quantity(units: i64, grams: i64) -> String {
    match (units, grams) {
        (u, 0) => u.to_string(),
        (0, g) => format!("{}.{:03} kg", g / 1000, (g % 1000).abs()),
        (u, g) => format!("{u} + {}.{:03} kg", g / 1000, (g % 1000).abs()),
    }
}

fn gaps_text(out: &mut String, gaps: &[(String, u64, u64)]) {
    for (t, a, b) in gaps {
        let range = if a == b {
            format!("#{a}")
        } else {
            format!("#{a}-#{b}")
        };
        row(out, &format!("! Till {t}: not arrived"), &range);
    }
}

pub fn summary_text(s: &Settings, r: &SummaryReport) -> String {
    let m = |v: Money| s.money(v);
    let x = &r.summary;
    let mut out = String::new();
    title(&mut out, s, "STORE SUMMARY", &r.query);
    row(&mut out, "NET SALES", &m(x.net_sales));
    row(&mut out, "Transactions", &x.transactions.to_string());
    row(&mut out, "Average basket", &m(x.average_basket));
    row(&mut out, "Items sold", &x.items_sold.to_string());
    row(
        &mut out,
        &format!("Sales ({})", x.sales_count),
        &m(x.sales_total),
    );
    row(
        &mut out,
        &format!("Voids ({})", x.voids_count),
        &m(-x.voids_total),
    );
    row(
        &mut out,
        &format!("Refunds ({})", x.refunds_count),
        &m(-x.refunds_total),
    );
    row(&mut out, "of which tax", &m(x.tax_total));
    row(&mut out, "Discounts given", &m(x.discount_total));
    row(
        &mut out,
        "No-sale drawer opens",
        &x.drawer_opens.to_string(),
    );
    row(&mut out, "Sales to members", &x.member_sales.to_string());
    row(&mut out, "Members enrolled", &x.enrolments.to_string());
    row(&mut out, "Points issued", &x.points_issued.to_string());
    row(&mut out, "Points redeemed", &x.points_redeemed.to_string());
    gaps_text(&mut out, &r.gaps);
    rule(&mut out);
    out.push_str("TENDERS\n");
    for t in &x.tenders {
        row(&mut out, &format!("{} ({})", t.kind, t.count), &m(t.amount));
    }
    rule(&mut out);
    out.push_str("SALES BY HOUR\n");
    for h in x
        .by_hour
        .iter()
        .filter(|h| h.transactions > 0 || !h.net.is_zero())
    {
        row(
            &mut out,
            &format!("{:02}:00  ({})", h.hour, h.transactions),
            &m(h.net),
        );
    }
    rule(&mut out);
    out.push_str("TOP PRODUCTS\n");
    for p in x.products.iter().take(10) {
        row(
            &mut out,
            &format!("{} x{}", p.name, sold_quantity(p.units, p.grams)),
            &m(p.net),
        );
    }
    rule(&mut out);
    out.push_str("PER TILL\n");
    for g in &x.tills {
        row(
            &mut out,
            &format!("{} ({})", g.id, g.transactions),
            &m(g.net),
        );
    }
    out.push_str("PER CASHIER\n");
    for g in &x.cashiers {
        row(
            &mut out,
            &format!("{} ({})", g.id, g.transactions),
            &m(g.net),
        );
        if !g.service_charge.is_zero() || !g.tips.is_zero() {
            row(
                &mut out,
                &format!("  service {} / tips", m(g.service_charge)),
                &m(g.tips),
            );
        }
    }
    rule(&mut out);
    out.push_str("REFUNDS, VOIDS, NO-SALES, DISCOUNTS\n");
    for e in &x.exceptions {
        let local = e.occurred_at.with_timezone(&s.timezone).format("%H:%M");
        row(
            &mut out,
            &format!(
                "{local} {} {} {}",
                e.till_id,
                e.kind,
                e.receipt_no.as_deref().unwrap_or("")
            ),
            &m(e.amount),
        );
        let who = format!(
            "  by {}{}",
            e.cashier_id.as_deref().unwrap_or("-"),
            e.approved_by
                .as_deref()
                .map(|a| format!(", approved {a}"))
                .unwrap_or_default()
        );
        row(&mut out, &who, "");
        if let Some(reason) = &e.reason {
            row(&mut out, &format!("  {reason}"), "");
        }
    }
    out
}

fn totals_text(out: &mut String, s: &Settings, t: &StoreTotals) {
    let m = |v: Money| s.money(v);
    row(out, "Shifts", &t.shifts.to_string());
    row(
        out,
        &format!("Sales ({})", t.sales_count),
        &m(t.sales_total),
    );
    row(
        out,
        &format!("Voids ({})", t.voids_count),
        &m(-t.voids_total),
    );
    row(
        out,
        &format!("Refunds ({})", t.refunds_count),
        &m(-t.refunds_total),
    );
    row(out, "NET SALES", &m(t.net_sales));
    row(out, "of which tax", &m(t.tax_total));
    row(out, "Discounts given", &m(t.discount_total));
    if !t.cash_rounding.is_zero() {
        row(out, "Cash rounding", &m(t.cash_rounding));
    }
    row(out, "No-sale drawer opens", &t.drawer_opens.to_string());
    for x in &t.tenders {
        row(out, &format!("{} ({})", x.kind, x.count), &m(x.amount));
    }
    row(out, "Opening floats", &m(t.opening_float));
    row(out, "Expected cash", &m(t.expected_cash));
    row(out, "Counted cash", &m(t.counted_cash));
    row(out, "Over / short", &m(t.over_short));
}

pub fn shifts_text(s: &Settings, r: &ShiftsReport) -> String {
    let mut out = String::new();
    let name = match r.kind {
        ShiftsKind::X => "STORE X REPORT",
        ShiftsKind::Z => "STORE Z REPORT",
    };
    title(&mut out, s, name, &r.query);
    for d in &r.shifts {
        out.push_str(&format!("{:^W$}\n", format!("Till {}", d.till_id)));
        let shown = match r.kind {
            ShiftsKind::Z => d.printed.as_ref().unwrap_or(&d.report),
            ShiftsKind::X => &d.report,
        };
        out.push_str(&receipt::report_text(s, shown));
        if d.printed.is_some() {
            if d.differences.is_empty() {
                row(&mut out, "Agrees with its events", "OK");
            } else {
                out.push_str("! DISAGREES WITH ITS EVENTS\n");
                for x in &d.differences {
                    out.push_str(&format!("  {x}\n"));
                }
            }
        }
        if !d.opened_seen {
            out.push_str("! shift.opened not arrived yet\n");
        }
        rule(&mut out);
    }
    out.push_str(&format!("{:^W$}\n", "STORE TOTAL"));
    totals_text(&mut out, s, &r.store);
    if r.disagreements > 0 {
        row(
            &mut out,
            "! Reports disagreeing with events",
            &r.disagreements.to_string(),
        );
    }
    for t in &r.open_tills {
        row(&mut out, &format!("! Till {t}: shift still open"), "");
    }
    gaps_text(&mut out, &r.gaps);
    out
}

fn age(secs: Option<i64>) -> String {
    match secs {
        None => "never".into(),
        Some(s) if s < 60 => format!("{s}s ago"),
        Some(s) if s < 3600 => format!("{}m {}s ago", s / 60, s % 60),
        Some(s) if s < 86_400 => format!("{}h {}m ago", s / 3600, (s % 3600) / 60),
        Some(s) => format!("{}d {}h ago", s / 86_400, (s % 86_400) / 3600),
    }
}

pub fn tills_text(r: &TillsReport) -> String {
    let mut out = String::new();
    out.push_str(&format!("{:^W$}\n", "TILLS: SYNC HEALTH"));
    rule(&mut out);
    for t in &r.tills {
        row(
            &mut out,
            &format!("Till {}", t.till_id),
            &match t.link {
                TillLink::Offline => "OFFLINE".to_string(),
                other => other.text().to_string(),
            },
        );
        row(&mut out, "  last heartbeat", &age(t.heartbeat_age_secs));
        row(
            &mut out,
            "  last event received",
            &age(Some(t.received_age_secs)),
        );
        row(
            &mut out,
            "  outbox backlog",
            &t.outbox_backlog
                .map(|b| b.to_string())
                .unwrap_or_else(|| "-".into()),
        );
        row(
            &mut out,
            "  oldest waiting",
            &match t.oldest_waiting_age_secs {
                Some(_) => age(t.oldest_waiting_age_secs),
                None => "-".into(),
            },
        );
        row(
            &mut out,
            "  events received",
            &format!("{} (to #{})", t.events, t.highest_seq),
        );
        for (a, b) in &t.gaps {
            row(&mut out, "  ! not arrived", &format!("#{a}-#{b}"));
        }
        if t.hq_days.is_empty() {
            row(&mut out, "  headquarters", "nothing confirmed yet");
        }
        for d in &t.hq_days {
            row(&mut out, &format!("  HQ {}", d.business_date), &d.summary());
            for p in &d.problems {
                out.push_str(&format!("    ! {p}\n"));
            }
        }
    }
    rule(&mut out);
    row(
        &mut out,
        "Events in the report store",
        &r.consumer.events.to_string(),
    );
    row(
        &mut out,
        "Duplicates ignored",
        &r.consumer.duplicates.to_string(),
    );
    row(&mut out, "Quarantined", &r.quarantined.len().to_string());
    if !r.open_tabs.is_empty() {
        rule(&mut out);
        out.push_str("OPEN TABS\n");
        for t in &r.open_tabs {
            row(
                &mut out,
                &format!("{} {} ({})", t.till_id, t.label, t.kind.as_str()),
                &r.currency.format(t.total),
            );
            out.push_str(&format!(
                "    {} items, opened {}, last served by {}\n",
                t.items,
                age(Some((r.now - t.opened_at).num_seconds().max(0))),
                t.served_by
            ));
            if let Some(to) = &t.moving_to {
                out.push_str(&format!("    moving {} -> {to}\n", t.till_id));
            }
        }
    }
    if !r.low_stock.is_empty() {
        rule(&mut out);
        out.push_str("LOW STOCK\n");
        for l in &r.low_stock {
            row(
                &mut out,
                l.name.as_deref().unwrap_or(&l.sku),
                &format!("{} (low at {})", l.on_hand, l.low_stock_at),
            );
        }
    }
    if !r.quarantined.is_empty() {
        rule(&mut out);
        out.push_str("QUARANTINED RECORDS\n");
        for q in &r.quarantined {
            out.push_str(&format!(
                "{}/{}@{}: {}\n",
                q.topic, q.partition, q.offset, q.reason
            ));
        }
    }
    out
}

/// A text cell a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, a tab or a
/// carriage return first: a product name, a reason or a cashier's name from the till) is
/// written with a leading `'`, so it shows as the text it is. Counts and amounts are not
/// text cells and keep their sign.
fn no_formula(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => std::borrow::Cow::Owned(format!("'{cell}")),
        _ => std::borrow::Cow::Borrowed(cell),
    }
}

/// One CSV writer for every report: `section,name,count,amount,detail` rows, amounts in
/// major units with the currency's decimals (no symbol), so a spreadsheet adds them up.
struct Csv {
    w: csv::Writer<Vec<u8>>,
}

impl Csv {
    fn new() -> Csv {
        let mut w = csv::Writer::from_writer(Vec::new());
        let _ = w.write_record(["section", "name", "count", "amount", "detail"]);
        Csv { w }
    }
    fn row(
        &mut self,
        section: &str,
        name: &str,
        count: Option<i64>,
        amount: Option<String>,
        detail: &str,
    ) {
        let count = count.map(|c| c.to_string()).unwrap_or_default();
        let _ = self.w.write_record([
            no_formula(section).as_ref(),
            no_formula(name).as_ref(),
            count.as_str(),
            amount.as_deref().unwrap_or(""),
            no_formula(detail).as_ref(),
        ]);
    }
    fn finish(self) -> AppResult<String> {
        let bytes = self
            .w
            .into_inner()
            .map_err(|e| AppError::new(ErrorCode::Internal, e.to_string()))?;
        String::from_utf8(bytes).map_err(|e| AppError::new(ErrorCode::Internal, e.to_string()))
    }
}

pub fn summary_csv(s: &Settings, r: &SummaryReport) -> AppResult<String> {
    let m = |v: Money| Some(s.money(v));
    let x = &r.summary;
    let mut c = Csv::new();
    c.row(
        "total",
        "net_sales",
        Some(x.transactions),
        m(x.net_sales),
        "",
    );
    c.row("total", "sales", Some(x.sales_count), m(x.sales_total), "");
    c.row("total", "voids", Some(x.voids_count), m(x.voids_total), "");
    c.row(
        "total",
        "refunds",
        Some(x.refunds_count),
        m(x.refunds_total),
        "",
    );
    c.row("total", "average_basket", None, m(x.average_basket), "");
    c.row("total", "tax", None, m(x.tax_total), "");
    c.row("total", "discounts", None, m(x.discount_total), "");
    c.row("total", "items_sold", Some(x.items_sold), None, "");
    c.row("total", "drawer_opens", Some(x.drawer_opens), None, "");
    c.row("total", "member_sales", Some(x.member_sales), None, "");
    c.row("total", "enrolments", Some(x.enrolments), None, "");
    c.row("total", "points_issued", Some(x.points_issued), None, "");
    c.row(
        "total",
        "points_redeemed",
        Some(x.points_redeemed),
        None,
        "",
    );
    for h in &x.by_hour {
        c.row(
            "hour",
            &format!("{:02}", h.hour),
            Some(h.transactions),
            m(h.net),
            "",
        );
    }
    for t in &x.tenders {
        c.row("tender", &t.kind, Some(t.count), m(t.amount), "");
    }
    for p in &x.products {
        c.row(
            "product",
            &p.sku,
            Some(if p.grams != 0 { p.grams } else { p.units }),
            m(p.net),
            &format!("{}{}", p.name, if p.grams != 0 { " (grams)" } else { "" }),
        );
    }
    for g in &x.tills {
        c.row("till", &g.id, Some(g.transactions), m(g.net), "");
    }
    for g in &x.cashiers {
        c.row("cashier", &g.id, Some(g.transactions), m(g.net), "");
        if !g.service_charge.is_zero() || !g.tips.is_zero() {
            c.row(
                "cashier_service_charge",
                &g.id,
                None,
                m(g.service_charge),
                "",
            );
            c.row("cashier_tips", &g.id, None, m(g.tips), "");
        }
    }
    for e in &x.exceptions {
        c.row(
            &e.kind,
            e.receipt_no.as_deref().unwrap_or(""),
            None,
            m(e.amount),
            &format!(
                "{} till {} cashier {} approved {} {}",
                e.occurred_at
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                e.till_id,
                e.cashier_id.as_deref().unwrap_or("-"),
                e.approved_by.as_deref().unwrap_or("-"),
                e.reason.as_deref().unwrap_or("")
            ),
        );
    }
    for (t, a, b) in &r.gaps {
        c.row(
            "gap",
            t,
            None,
            None,
            &format!("till_seq {a}-{b} not arrived"),
        );
    }
    c.finish()
}

pub fn shifts_csv(s: &Settings, r: &ShiftsReport) -> AppResult<String> {
    let m = |v: Money| Some(s.money(v));
    let mut c = Csv::new();
    for d in &r.shifts {
        let rep = match r.kind {
            ShiftsKind::Z => d.printed.as_ref().unwrap_or(&d.report),
            ShiftsKind::X => &d.report,
        };
        let section = format!(
            "{}:{}",
            d.till_id,
            match (rep.kind, rep.closed_at) {
                (ReportKind::Z, _) => "Z",
                (ReportKind::X, Some(_)) => "X",
                (ReportKind::X, None) => "X-interim",
            }
        );
        let detail = format!(
            "shift {} cashier {} {}",
            rep.shift_id,
            rep.cashier_id,
            if d.differences.is_empty() {
                String::new()
            } else {
                format!("DISAGREES: {}", d.differences.join("; "))
            }
        );
        c.row(
            &section,
            "sales",
            Some(rep.sales_count),
            m(rep.sales_total),
            &detail,
        );
        c.row(
            &section,
            "voids",
            Some(rep.voids_count),
            m(rep.voids_total),
            "",
        );
        c.row(
            &section,
            "refunds",
            Some(rep.refunds_count),
            m(rep.refunds_total),
            "",
        );
        c.row(&section, "net_sales", None, m(rep.net_sales), "");
        c.row(&section, "tax", None, m(rep.tax_total), "");
        c.row(&section, "discounts", None, m(rep.discount_total), "");
        c.row(&section, "drawer_opens", Some(rep.drawer_opens), None, "");
        for t in &rep.tenders {
            c.row(
                &section,
                &format!("tender:{}", t.kind),
                Some(t.count),
                m(t.amount),
                "",
            );
        }
        c.row(&section, "expected_cash", None, m(rep.expected_cash), "");
        if let Some(counted) = rep.counted_cash {
            c.row(&section, "counted_cash", None, m(counted), "");
        }
    }
    let t = &r.store;
    c.row("store", "sales", Some(t.sales_count), m(t.sales_total), "");
    c.row("store", "voids", Some(t.voids_count), m(t.voids_total), "");
    c.row(
        "store",
        "refunds",
        Some(t.refunds_count),
        m(t.refunds_total),
        "",
    );
    c.row("store", "net_sales", None, m(t.net_sales), "");
    c.row("store", "tax", None, m(t.tax_total), "");
    for x in &t.tenders {
        c.row(
            "store",
            &format!("tender:{}", x.kind),
            Some(x.count),
            m(x.amount),
            "",
        );
    }
    c.row("store", "expected_cash", None, m(t.expected_cash), "");
    c.row("store", "counted_cash", None, m(t.counted_cash), "");
    for (till, a, b) in &r.gaps {
        c.row(
            "gap",
            till,
            None,
            None,
            &format!("till_seq {a}-{b} not arrived"),
        );
    }
    c.finish()
}

pub fn tills_csv(r: &TillsReport) -> AppResult<String> {
    let mut c = Csv::new();
    for t in &r.tills {
        let count = t.outbox_backlog.and_then(|b| i64::try_from(b).ok());
        c.row(
            "till",
            &t.till_id,
            count,
            None,
            &format!(
                "{} last_heartbeat {} oldest_waiting {} events {} highest_seq {} gaps {}",
                t.link.text().replace(' ', "_"),
                t.last_heartbeat_at
                    .map(|x| x.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
                    .unwrap_or_else(|| "-".into()),
                t.oldest_waiting_at
                    .map(|x| x.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
                    .unwrap_or_else(|| "-".into()),
                t.events,
                t.highest_seq,
                t.gaps
                    .iter()
                    .map(|(a, b)| format!("{a}-{b}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            ),
        );
    }
    for t in &r.tills {
        for d in &t.hq_days {
            c.row(
                "hq_day",
                &format!("{} {}", t.till_id, d.business_date),
                None,
                None,
                format!(
                    "{} missing {} {}",
                    d.state.as_str(),
                    if d.missing.is_empty() {
                        "-"
                    } else {
                        &d.missing
                    },
                    d.problems.join("; ")
                )
                .trim_end(),
            );
        }
    }
    for l in &r.low_stock {
        c.row(
            "low_stock",
            &l.sku,
            Some(l.on_hand),
            None,
            &format!(
                "{} low at {}",
                l.name.as_deref().unwrap_or(""),
                l.low_stock_at
            ),
        );
    }
    for q in &r.quarantined {
        c.row(
            "quarantined",
            &format!("{}/{}@{}", q.topic, q.partition, q.offset),
            None,
            None,
            &q.reason,
        );
    }
    for t in &r.open_tabs {
        c.row(
            &format!("open_{}", t.kind.as_str()),
            &format!("{} {}", t.till_id, t.label),
            Some(t.items),
            Some(r.currency.format(t.total)),
            &match &t.moving_to {
                Some(to) => format!(
                    "opened {} last served by {} moving to {to}",
                    t.opened_at.to_rfc3339(),
                    t.served_by
                ),
                None => format!(
                    "opened {} last served by {}",
                    t.opened_at.to_rfc3339(),
                    t.served_by
                ),
            },
        );
    }
    c.finish()
}

/// A report's text as a PDF (the receipt printer's PDF writer, pages as wide as the text).
pub fn to_pdf(title: &str, text: &str) -> Vec<u8> {
    printout::to_pdf(&Printout {
        title: title.to_string(),
        text: text.to_string(),
        barcode: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_text_cells_cannot_carry_spreadsheet_formulas() {
        let mut c = Csv::new();
        c.row(
            "product",
            "=HYPERLINK(\"http://x\",\"y\")",
            Some(-2),
            Some("-1.50".into()),
            "@SUM(A1)",
        );
        c.row(
            "product",
            "Espresso",
            Some(3),
            Some("6.60".into()),
            "-refund",
        );
        let out = c.finish().unwrap();
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(
            lines[1],
            "product,\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",-2,-1.50,'@SUM(A1)"
        );
        assert_eq!(lines[2], "product,Espresso,3,6.60,'-refund");
    }
}
