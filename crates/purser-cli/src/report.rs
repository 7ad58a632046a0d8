//! `purser report summary|x|z|tills`: the manager's reports from the command line. It
//! first catches up from the store's cluster into the reporting store (`report.db` beside
//! the till database), so it runs on any machine of the store with a configuration.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Subcommand};

use purser_app::error::{AppError, AppResult, ErrorCode};
use purser_app::report::{self, ReportQuery, Reports, ShiftsKind};
use purser_app::Settings;

use crate::Format;

#[derive(Subcommand, Debug)]
pub enum ReportCmd {
    /// Today at a glance (or any date/range): net sales, transactions, basket, hours,
    /// tenders, top products, tills, cashiers, refunds/voids/no-sales/discounts.
    Summary(ReportArgs),
    /// X report per till and for the store: every shift's figures from the events, open
    /// shifts as they stand.
    X(ReportArgs),
    /// Z report per till and for the store: the reports the tills printed, each checked
    /// against the sum of its events.
    Z(ReportArgs),
    /// Sync health of every till (last heartbeat, outbox backlog, oldest waiting, gaps),
    /// low stock and quarantined records.
    Tills(CommonArgs),
}

#[derive(Args, Debug)]
pub struct ReportArgs {
    /// One business date, YYYY-MM-DD [default: today in the store's time zone]
    #[arg(long, conflicts_with_all = ["from", "to"])]
    date: Option<String>,
    /// First business date of a range
    #[arg(long)]
    from: Option<String>,
    /// Last business date of a range
    #[arg(long)]
    to: Option<String>,
    /// Only this till
    #[arg(long)]
    till: Option<String>,
    /// Only this cashier
    #[arg(long)]
    cashier: Option<String>,
    #[command(flatten)]
    common: CommonArgs,
}

#[derive(Args, Debug)]
pub struct CommonArgs {
    /// Write the report to this file (a PDF goes to `report-<name>.pdf` when not given)
    #[arg(long, short)]
    output: Option<PathBuf>,
    /// Report from what is stored, without asking the cluster first
    #[arg(long)]
    no_catch_up: bool,
    /// Seconds to wait for the cluster when catching up
    #[arg(long, default_value_t = 20)]
    timeout: u64,
}

fn write_out(path: &PathBuf, bytes: &[u8]) -> AppResult<()> {
    std::fs::write(path, bytes).map_err(|e| {
        AppError::new(
            ErrorCode::Storage,
            format!("cannot write {}: {e}", path.display()),
        )
    })
}

fn catch_up(s: &Settings, c: &CommonArgs) {
    if c.no_catch_up {
        return;
    }
    if s.config.kafka.bootstrap_servers.trim().is_empty() {
        eprintln!("purser: no Kafka cluster configured: reporting from what is stored");
        return;
    }
    match report::catch_up(s, Duration::from_secs(c.timeout)) {
        Ok(n) => tracing::info!(events = n, "caught up from the store's cluster"),
        Err(e) => eprintln!(
            "purser: could not catch up from the store's cluster ({}): reporting from what is stored",
            e.message
        ),
    }
}

fn emit(
    format: Format,
    c: &CommonArgs,
    name: &str,
    json: impl FnOnce() -> AppResult<String>,
    text: impl FnOnce() -> String,
    csv: impl FnOnce() -> AppResult<String>,
) -> AppResult<()> {
    let out = match format {
        Format::Json => json()?.into_bytes(),
        Format::Text => text().into_bytes(),
        Format::Csv => csv()?.into_bytes(),
        Format::Pdf => {
            let bytes = report::to_pdf(name, &text());
            let path = c
                .output
                .clone()
                .unwrap_or_else(|| PathBuf::from(format!("report-{name}.pdf")));
            write_out(&path, &bytes)?;
            println!("{}", path.display());
            return Ok(());
        }
    };
    match &c.output {
        Some(p) => write_out(p, &out),
        None => {
            use std::io::Write as _;
            std::io::stdout().write_all(&out).map_err(|e| {
                AppError::new(ErrorCode::Internal, format!("cannot write output: {e}"))
            })
        }
    }
}

fn json(v: &impl serde::Serialize) -> AppResult<String> {
    Ok(format!("{}\n", serde_json::to_string_pretty(v)?))
}

fn query(r: &Reports, a: &ReportArgs) -> AppResult<ReportQuery> {
    ReportQuery::parse(
        a.date.as_deref(),
        a.from.as_deref(),
        a.to.as_deref(),
        a.till.as_deref(),
        a.cashier.as_deref(),
        r.today(chrono::Utc::now()),
    )
}

pub fn run(s: &Settings, format: Format, cmd: &ReportCmd) -> AppResult<ExitCode> {
    match cmd {
        ReportCmd::Summary(a) => {
            catch_up(s, &a.common);
            let r = Reports::open(s)?;
            let q = query(&r, a)?;
            let rep = r.summary(&q)?;
            emit(
                format,
                &a.common,
                &format!("summary-{}", q.from),
                || json(&rep),
                || report::summary_text(s, &rep),
                || report::summary_csv(s, &rep),
            )?;
        }
        ReportCmd::X(a) | ReportCmd::Z(a) => {
            let kind = if matches!(cmd, ReportCmd::X(_)) {
                ShiftsKind::X
            } else {
                ShiftsKind::Z
            };
            catch_up(s, &a.common);
            let r = Reports::open(s)?;
            let q = query(&r, a)?;
            let rep = r.shifts(kind, &q)?;
            let name = format!(
                "{}-{}",
                if kind == ShiftsKind::X { "x" } else { "z" },
                q.from
            );
            emit(
                format,
                &a.common,
                &name,
                || json(&rep),
                || report::shifts_text(s, &rep),
                || report::shifts_csv(s, &rep),
            )?;
        }
        ReportCmd::Tills(c) => {
            catch_up(s, c);
            let r = Reports::open(s)?;
            let rep = r.tills(chrono::Utc::now())?;
            emit(
                format,
                c,
                "tills",
                || json(&rep),
                || report::tills_text(&rep),
                || report::tills_csv(&rep),
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
