//! `purser-cloud`: the cloud's side of Purser's event contract (see `docs/cloud.md`).
//!
//! - `purser-cloud reconcile`: the reconciler service, a consumer group over every
//!   store's replicated till topics; each till's days in PostgreSQL and on
//!   `pos.reconciliation.v1`.
//! - `purser-cloud ledger`: the loyalty ledger service; balances in PostgreSQL, published on
//!   `pos.loyalty-accounts.v1`.
//! - `purser-cloud report --store S --date D`: the days as the reconciler stored them.
//! - `purser-cloud members import FILE`: headquarters' members into the ledger.
//! - `purser-cloud check`: reads the till topics once and reconciles in memory (no database).
//! - `purser-cloud migrate`: brings the database to this version's schema.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand, ValueEnum};

use purser_cloud::days::{self, Days};
use purser_cloud::db;
use purser_cloud::ledger::{self, Ledger, LOYALTY_TOPICS};
use purser_cloud::reconcile::{DayState, DayStatus, Reconciler};
use purser_cloud::service::{self, Control, Job, ServiceOptions};
use purser_cloud::source::{read_into, TILL_TOPICS};
use purser_stream::KafkaConfig;

#[derive(Parser)]
#[command(
    name = "purser-cloud",
    version,
    about = "Reconciles every store's till events and keeps the loyalty ledger, from the cloud's Kafka cluster"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Text,
    Json,
    Csv,
}

#[derive(Args, Clone)]
struct KafkaArgs {
    /// The cloud cluster (`host:port[,host:port…]`).
    #[arg(long, env = "PURSER_CLOUD_BOOTSTRAP")]
    bootstrap: Option<String>,
    /// A TOML file with a `[kafka]` table as in the till's configuration (security
    /// protocol, SASL, TLS files, extra librdkafka properties); `--bootstrap` overrides
    /// its addresses.
    #[arg(long, env = "PURSER_CLOUD_KAFKA_CONFIG")]
    kafka_config: Option<PathBuf>,
}

#[derive(Args, Clone)]
struct PgArgs {
    /// PostgreSQL connection string (`postgres://user:password@host:port/db`).
    #[arg(long, env = "PURSER_CLOUD_POSTGRES")]
    postgres: String,
}

#[derive(Args, Clone)]
struct ServiceArgs {
    #[command(flatten)]
    kafka: KafkaArgs,
    #[command(flatten)]
    pg: PgArgs,
    /// Consumer group shared by every instance.
    #[arg(long)]
    group: Option<String>,
    /// Which topics to read (a regular expression).
    #[arg(long)]
    pattern: Option<String>,
    /// Where the results go.
    #[arg(long)]
    topic: Option<String>,
    /// Stop after this many seconds with nothing to read (default: run until SIGTERM).
    #[arg(long)]
    idle_exit: Option<u64>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the reconciler service until SIGTERM or SIGINT.
    Reconcile(ServiceArgs),
    /// Run the loyalty ledger service until SIGTERM or SIGINT.
    Ledger(ServiceArgs),
    /// Print the days the reconciler has stored.
    Report {
        #[command(flatten)]
        pg: PgArgs,
        #[arg(long)]
        store: Option<String>,
        /// YYYY-MM-DD
        #[arg(long)]
        date: Option<NaiveDate>,
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
        /// Exit with status 3 when a day shown is not complete (or none is shown).
        #[arg(long)]
        strict: bool,
    },
    /// Headquarters' member records for the ledger.
    Members {
        #[command(subcommand)]
        command: MembersCommand,
    },
    /// Bring the database to this version's schema.
    Migrate {
        #[command(flatten)]
        pg: PgArgs,
    },
    /// Read the till topics once and print each till's days (no database).
    Check {
        #[command(flatten)]
        kafka: KafkaArgs,
        /// Which topics are till topics (a regular expression).
        #[arg(long, default_value = TILL_TOPICS)]
        pattern: String,
        /// Only this store.
        #[arg(long)]
        store: Option<String>,
        /// Only this business day (YYYY-MM-DD).
        #[arg(long)]
        date: Option<NaiveDate>,
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
        /// Seconds to read for at most.
        #[arg(long, default_value_t = 120)]
        timeout: u64,
        /// Exit with status 3 when a day shown is not complete.
        #[arg(long)]
        strict: bool,
    },
}

#[derive(Subcommand)]
enum MembersCommand {
    /// Load `pos.loyalty-accounts.v1` records (one JSON per line; `-` for stdin).
    Import {
        #[command(flatten)]
        pg: PgArgs,
        file: PathBuf,
    },
    /// Print one member's account as the ledger publishes it.
    Show {
        #[command(flatten)]
        pg: PgArgs,
        member_id: String,
    },
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("PURSER_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("purser-cloud: {e}");
            ExitCode::from(1)
        }
    }
}

fn kafka_config(a: &KafkaArgs) -> Result<KafkaConfig, String> {
    #[derive(serde::Deserialize)]
    struct File {
        kafka: KafkaConfig,
    }
    let mut k = match &a.kafka_config {
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .map_err(|e| format!("cannot read {}: {e}", p.display()))?;
            // The TOML error can quote the file's line, which may hold a password.
            let f: File = toml::from_str(&text).map_err(|e| {
                format!(
                    "{} is not a valid [kafka] table: {}",
                    p.display(),
                    e.message()
                )
            })?;
            f.kafka
        }
        None => KafkaConfig::default(),
    };
    if let Some(b) = &a.bootstrap {
        k.bootstrap_servers = b.clone();
    }
    if k.bootstrap_servers.trim().is_empty() {
        return Err("no cluster: give --bootstrap HOST:PORT or --kafka-config FILE".into());
    }
    k.validate().map_err(|e| e.to_string())?;
    Ok(k)
}

fn run_service(
    job: &mut dyn Job,
    a: &ServiceArgs,
    pattern: &str,
    topic: &str,
) -> Result<ExitCode, String> {
    let kafka = kafka_config(&a.kafka)?;
    let mut opts = ServiceOptions::new(
        kafka,
        &a.pg.postgres,
        a.pattern.as_deref().unwrap_or(pattern),
        a.group
            .as_deref()
            .unwrap_or(&format!("purser-{}", job.service())),
        a.topic.as_deref().unwrap_or(topic),
    );
    opts.idle_exit = a.idle_exit.map(Duration::from_secs);
    let control = Control::default();
    for sig in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        signal_hook::flag::register(sig, control.flag()).map_err(|e| e.to_string())?;
    }
    eprintln!(
        "purser-cloud {}: reading /{}/ as group {}, results on {}",
        job.service(),
        opts.pattern,
        opts.group,
        opts.output_topic
    );
    let p = service::run(job, &opts, &control).map_err(|e| e.to_string())?;
    eprintln!(
        "purser-cloud {}: stopped after {} records ({} new, {} duplicates, {} conflicts, {} unreadable, {} skipped as applied before), {} published",
        job.service(),
        p.records,
        p.applied.new,
        p.applied.duplicates,
        p.applied.conflicts,
        p.applied.unreadable,
        p.skipped,
        p.published
    );
    Ok(ExitCode::SUCCESS)
}

fn run(cli: Cli) -> Result<ExitCode, String> {
    match cli.command {
        Command::Reconcile(a) => run_service(
            &mut Days::default(),
            &a,
            TILL_TOPICS,
            "pos.reconciliation.v1",
        ),
        Command::Ledger(a) => {
            run_service(&mut Ledger, &a, LOYALTY_TOPICS, "pos.loyalty-accounts.v1")
        }
        Command::Migrate { pg } => {
            let mut c = db::connect(&pg.postgres).map_err(|e| e.to_string())?;
            let v = db::migrate(&mut c).map_err(|e| e.to_string())?;
            println!("database at schema version {v}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Members { command } => match command {
            MembersCommand::Import { pg, file } => {
                let text = if file.as_os_str() == "-" {
                    std::io::read_to_string(std::io::stdin()).map_err(|e| e.to_string())?
                } else {
                    std::fs::read_to_string(&file)
                        .map_err(|e| format!("cannot read {}: {e}", file.display()))?
                };
                let mut c = db::connect(&pg.postgres).map_err(|e| e.to_string())?;
                db::migrate(&mut c).map_err(|e| e.to_string())?;
                let n = ledger::import_members(&mut c, &text).map_err(|e| e.to_string())?;
                println!("{n} members loaded; the ledger publishes them on its next pass");
                Ok(ExitCode::SUCCESS)
            }
            MembersCommand::Show { pg, member_id } => {
                let mut c = db::connect(&pg.postgres).map_err(|e| e.to_string())?;
                match ledger::account(&mut c, &member_id).map_err(|e| e.to_string())? {
                    Some(rec) => {
                        println!(
                            "{}",
                            serde_json::to_string_pretty(&rec).map_err(|e| e.to_string())?
                        );
                        Ok(ExitCode::SUCCESS)
                    }
                    None => Err(format!("no member {member_id} in the ledger")),
                }
            }
        },
        Command::Report {
            pg,
            store,
            date,
            format,
            strict,
        } => {
            let mut c = db::connect(&pg.postgres).map_err(|e| e.to_string())?;
            let rows = days::report(&mut c, store.as_deref(), date).map_err(|e| e.to_string())?;
            let list: Vec<DayStatus> = rows.iter().map(|(d, _)| d.clone()).collect();
            print_days(&list, format, None)?;
            if strict && (list.is_empty() || list.iter().any(|d| d.state != DayState::Complete)) {
                return Ok(ExitCode::from(3));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Check {
            kafka,
            pattern,
            store,
            date,
            format,
            timeout,
            strict,
        } => {
            let kafka = kafka_config(&kafka)?;
            let mut r = Reconciler::new();
            let pass = read_into(&kafka, &pattern, &mut r, Duration::from_secs(timeout))
                .map_err(|e| e.to_string())?;
            let days: Vec<DayStatus> = r
                .days()
                .into_iter()
                .filter(|d| store.as_ref().is_none_or(|s| &d.store_id == s))
                .filter(|d| date.is_none_or(|x| d.business_date == x))
                .collect();
            if let Format::Text = format {
                println!(
                    "{} records from {} topics: {} events, {} duplicates, {} conflicts, {} unreadable",
                    pass.records,
                    pass.topics.len(),
                    pass.new,
                    pass.duplicates,
                    pass.conflicts,
                    pass.unreadable.len()
                );
                for (t, p, o, why) in &pass.unreadable {
                    println!("  unreadable {t}/{p}@{o}: {why}");
                }
            }
            print_days(
                &days,
                format,
                Some(serde_json::to_value(&pass).map_err(|e| e.to_string())?),
            )?;
            if strict && days.iter().any(|d| d.state != DayState::Complete) {
                return Ok(ExitCode::from(3));
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn print_days(
    days: &[DayStatus],
    format: Format,
    read: Option<serde_json::Value>,
) -> Result<(), String> {
    match format {
        Format::Json => {
            let v = match read {
                Some(r) => serde_json::json!({"read": r, "days": days}),
                None => serde_json::json!({"days": days}),
            };
            println!(
                "{}",
                serde_json::to_string_pretty(&v).map_err(|e| e.to_string())?
            );
        }
        Format::Csv => {
            println!("store_id,till_id,business_date,state,events,first_seq,last_seq,missing,open_shifts,duplicates,conflicts,z_mismatches,chain_broken_from");
            for d in days {
                println!(
                    "{},{},{},{},{},{},{},{},{},{},{},{},{}",
                    csv(&d.store_id),
                    csv(&d.till_id),
                    d.business_date,
                    d.state.as_str(),
                    d.events,
                    d.first_seq,
                    d.last_seq,
                    d.missing_text().replace(", ", " "),
                    d.open_shifts.len(),
                    d.duplicates,
                    d.conflicts.len(),
                    d.z_mismatches.len(),
                    d.chain_broken_from
                        .map(|s| s.to_string())
                        .unwrap_or_default()
                );
            }
        }
        Format::Text => {
            if days.is_empty() {
                println!("no days");
            }
            for d in days {
                println!("{}", describe(d));
            }
        }
    }
    Ok(())
}

/// A CSV field: quoted when needed, and never a spreadsheet formula.
fn csv(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

fn describe(d: &DayStatus) -> String {
    let mut s = format!(
        "{} {} {}: {} ({} events, till_seq {}-{}",
        d.store_id,
        d.till_id,
        d.business_date,
        d.state.as_str().replace('_', " "),
        d.events,
        d.first_seq,
        d.last_seq
    );
    if d.duplicates > 0 {
        s.push_str(&format!(", {} duplicates seen", d.duplicates));
    }
    if d.z_matched > 0 {
        s.push_str(&format!(", {} Z matched", d.z_matched));
    }
    s.push(')');
    if !d.missing.is_empty() {
        s.push_str(&format!("\n  waiting for till_seq {}", d.missing_text()));
    }
    for id in &d.open_shifts {
        s.push_str(&format!("\n  shift {id} has no Z yet"));
    }
    for c in &d.conflicts {
        s.push_str(&format!("\n  conflict: {c}"));
    }
    for z in &d.z_mismatches {
        s.push_str(&format!(
            "\n  Z of shift {} disagrees with its events: {}",
            z.shift_id,
            z.differences.join("; ")
        ));
    }
    if let Some(b) = d.chain_broken_from {
        s.push_str(&format!("\n  hash chain broken from till_seq {b}"));
    }
    if d.chain_unverified {
        s.push_str("\n  some events carry no chain link (older tills): chain not checked");
    }
    s
}
