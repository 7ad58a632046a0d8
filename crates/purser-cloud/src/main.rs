//! `purser-cloud`: the cloud's side of Purser's event contract.
//!
//! `purser-cloud check --bootstrap HOST:PORT` reads every replicated till topic of the
//! cluster (`<alias>.pos.payments.v1` and the like) once to its end and prints, per store,
//! till and business day, whether the day is complete, which `till_seq` are missing,
//! duplicates and conflicts seen, Z mismatches and where a till's hash chain breaks.

use std::process::ExitCode;
use std::time::Duration;

use chrono::NaiveDate;
use clap::{Parser, Subcommand, ValueEnum};

use purser_cloud::reconcile::{DayState, DayStatus, Reconciler};
use purser_cloud::source::{read_into, TILL_TOPICS};
use purser_stream::KafkaConfig;

#[derive(Parser)]
#[command(
    name = "purser-cloud",
    version,
    about = "Reconciles every store's till events from the cloud's Kafka cluster"
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

#[derive(Subcommand)]
enum Command {
    /// Read the till topics once and print each till's days.
    Check {
        /// The cloud cluster (`host:port[,host:port…]`).
        #[arg(long, env = "PURSER_CLOUD_BOOTSTRAP")]
        bootstrap: String,
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

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("purser-cloud: {e}");
            ExitCode::from(1)
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode, String> {
    let Command::Check {
        bootstrap,
        pattern,
        store,
        date,
        format,
        timeout,
        strict,
    } = cli.command;
    let kafka = KafkaConfig {
        bootstrap_servers: bootstrap,
        ..Default::default()
    };
    kafka.validate().map_err(|e| e.to_string())?;
    let mut r = Reconciler::new();
    let pass = read_into(&kafka, &pattern, &mut r, Duration::from_secs(timeout))
        .map_err(|e| e.to_string())?;
    let days: Vec<DayStatus> = r
        .days()
        .into_iter()
        .filter(|d| store.as_ref().is_none_or(|s| &d.store_id == s))
        .filter(|d| date.is_none_or(|x| d.business_date == x))
        .collect();
    match format {
        Format::Json => {
            let v = serde_json::json!({"read": pass, "days": days});
            println!(
                "{}",
                serde_json::to_string_pretty(&v).map_err(|e| e.to_string())?
            );
        }
        Format::Csv => {
            println!("store_id,till_id,business_date,state,events,first_seq,last_seq,missing,open_shifts,duplicates,conflicts,z_mismatches,chain_broken_from");
            for d in &days {
                println!(
                    "{},{},{},{},{},{},{},{},{},{},{},{},{}",
                    d.store_id,
                    d.till_id,
                    d.business_date,
                    d.state.as_str(),
                    d.events,
                    d.first_seq,
                    d.last_seq,
                    ranges(&d.missing).replace(", ", " "),
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
            for d in &days {
                println!("{}", describe(d));
            }
        }
    }
    if strict && days.iter().any(|d| d.state != DayState::Complete) {
        return Ok(ExitCode::from(3));
    }
    Ok(ExitCode::SUCCESS)
}

fn ranges(r: &[(u64, u64)]) -> String {
    r.iter()
        .map(|(a, b)| {
            if a == b {
                a.to_string()
            } else {
                format!("{a}-{b}")
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
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
        s.push_str(&format!("\n  waiting for till_seq {}", ranges(&d.missing)));
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
