//! `purser`: the headless till. Installers, kiosks and tests script against it; it calls
//! the same use cases (purser-app) as the desktop window.

mod bench;
mod demo;
mod report;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use purser_app::config::{default_config_path, default_database_path, Config};
use purser_app::error::{AppError, AppResult, ErrorCode};
use purser_app::input::{parse_item, parse_quantity, parse_tender};
use purser_app::receipt;
use purser_app::runtime::{open_till, SystemClock};
use purser_app::till::{LineRequest, RefundRequest, RefundScope, SaleRequest};
use purser_app::users::Role;
use purser_app::{Settings, Till};
use purser_core::clock::Clock;
use purser_core::sale::RefundRequestLine;
use purser_core::shift::ReportKind;
use purser_core::tender::TenderInput;
use purser_stream::{Relay, RelayOptions, RunMode};
use purser_window::views::{MemberView, ProductView, UserView};

#[derive(Parser, Debug)]
#[command(
    name = "purser",
    version,
    about = "Purser point of sale: the headless till"
)]
struct Cli {
    /// Configuration file [default: $PURSER_CONFIG or ~/.config/purser/purser.toml]
    #[arg(long, global = true, env = "PURSER_CONFIG")]
    config: Option<PathBuf>,
    /// Output format
    #[arg(long, global = true, value_enum, default_value = "text")]
    format: Format,
    /// Shorthand for --format json
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    Text,
    Json,
    /// `purser report` only
    Csv,
    /// `purser report` only
    Pdf,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Set up this till: store, till, currency, tax mode, database and Kafka settings.
    Init(Box<InitArgs>),
    /// The till's product catalog.
    #[command(subcommand)]
    Catalog(CatalogCmd),
    /// Open, report on, or close the cashier's shift.
    #[command(subcommand)]
    Shift(ShiftCmd),
    /// Ring up and pay a sale.
    Sell(SellArgs),
    /// Refund all or part of an earlier sale.
    Refund(RefundArgs),
    /// Post-void a sale of the open shift.
    Void(VoidArgs),
    /// What the sell screen shows for one product: price, tax class, stock, delisted or not.
    Stock {
        /// SKU or barcode
        code: String,
    },
    /// Loyalty members: find, show, enrol (as the till's window does).
    #[command(subcommand)]
    Member(MemberCmd),
    /// The cash drawer.
    #[command(subcommand)]
    Drawer(DrawerCmd),
    /// The till's users: who signs in, with which PIN and role.
    #[command(subcommand)]
    User(UserCmd),
    /// Events waiting to be sent to the store's Kafka cluster.
    #[command(subcommand)]
    Outbox(OutboxCmd),
    /// Send the outbox to Kafka (runs until stopped, or until empty).
    Relay(RelayArgs),
    /// Publish reference data to the store's cluster (catalog, stock or loyalty accounts).
    Publish(PublishArgs),
    /// Create the store's topics with their cleanup policies and retention (idempotent).
    #[command(subcommand)]
    Topics(TopicsCmd),
    /// Read the catalog, inventory and loyalty-account topics into the till.
    #[command(subcommand)]
    Streams(StreamsCmd),
    /// Check this till: configuration, database, journal, disk, clock, outbox, Kafka,
    /// topics and their policies, streams. Exit 1 if anything fails.
    Doctor {
        /// Seconds to wait for the cluster
        #[arg(long, default_value_t = 5)]
        timeout: u64,
    },
    /// The hash-chained journal.
    #[command(subcommand)]
    Journal(JournalCmd),
    /// A whole scripted day on an embedded broker, printed as it goes.
    Demo(demo::DemoArgs),
    /// Benchmarks that print figures (see docs/benchmarks.md).
    #[command(subcommand)]
    Bench(bench::BenchCmd),
    /// The manager's reports for the whole store (every till), read from the store's
    /// cluster: first catches up, then prints. `--format text|json|csv|pdf`.
    #[command(subcommand)]
    Report(report::ReportCmd),
}

#[derive(Args, Debug)]
struct InitArgs {
    #[arg(long)]
    store: String,
    #[arg(long)]
    till: String,
    #[arg(long, default_value = "EUR")]
    currency: String,
    /// inclusive (VAT) or exclusive (sales tax)
    #[arg(long, default_value = "inclusive")]
    tax_mode: String,
    /// IANA time zone deciding the business date
    #[arg(long, default_value = "UTC")]
    timezone: String,
    /// Till database [default: ~/.local/share/purser/till.db]
    #[arg(long)]
    db: Option<PathBuf>,
    /// Cash rounding increment in minor units (5 = round cash to 0.05)
    #[arg(long, default_value_t = 1)]
    cash_rounding: i64,
    /// Kafka bootstrap servers, host:port[,host:port]
    #[arg(long, env = "PURSER_KAFKA_BOOTSTRAP", default_value = "")]
    bootstrap: String,
    /// plaintext, ssl, sasl_ssl or sasl_plaintext
    #[arg(long, default_value = "plaintext")]
    security_protocol: String,
    /// SCRAM-SHA-256, SCRAM-SHA-512 or PLAIN
    #[arg(long)]
    sasl_mechanism: Option<String>,
    #[arg(long)]
    sasl_username: Option<String>,
    /// SASL password (prefer the environment variable)
    #[arg(long, env = "PURSER_KAFKA_SASL_PASSWORD", hide_env_values = true)]
    sasl_password: Option<String>,
    /// CA bundle (PEM) that signed the brokers' certificates
    #[arg(long)]
    ssl_ca: Option<PathBuf>,
    /// Client certificate (PEM) for SSL client authentication
    #[arg(long)]
    ssl_cert: Option<PathBuf>,
    /// Client key (PEM) for SSL client authentication
    #[arg(long)]
    ssl_key: Option<PathBuf>,
    /// Password of the client key (prefer the environment variable)
    #[arg(long, env = "PURSER_KAFKA_SSL_KEY_PASSWORD", hide_env_values = true)]
    ssl_key_password: Option<String>,
    /// ESC/POS network receipt printer, host:port (port 9100 by default)
    #[arg(long)]
    printer: Option<String>,
    /// The window's language: en or de
    #[arg(long, default_value = "en")]
    language: String,
    /// Add the till's first manager with this user id (with --manager-name and a PIN)
    #[arg(long, requires = "manager_name")]
    manager: Option<String>,
    /// The first manager's name
    #[arg(long, requires = "manager")]
    manager_name: Option<String>,
    /// Read the first manager's PIN from the first line of standard input
    #[arg(long, requires = "manager")]
    manager_pin_stdin: bool,
    /// Connect to Kafka with these settings first, and refuse to set up if it fails
    #[arg(long)]
    test_connection: bool,
    /// Replace an existing configuration file
    #[arg(long)]
    force: bool,
}

#[derive(Subcommand, Debug)]
enum CatalogCmd {
    /// Import products from CSV or JSON (all or nothing).
    Import { file: PathBuf },
    /// Find active products by name or SKU, or one product by barcode.
    Search {
        text: String,
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
}

#[derive(Subcommand, Debug)]
enum ShiftCmd {
    /// Open a shift with a counted cash float.
    Open {
        #[arg(long)]
        cashier: String,
        #[arg(long = "float")]
        float: String,
    },
    /// Print the X report of the open shift without closing it.
    Report,
    /// Close the shift with the counted cash; prints the X or Z report.
    Close {
        #[arg(long)]
        counted: String,
        /// End of the business day: a Z report (default: X, a hand-over)
        #[arg(long)]
        end_of_day: bool,
    },
}

#[derive(Args, Debug)]
struct SellArgs {
    /// CODE[*QTY][@DISCOUNT]: SKU or barcode, quantity (3, 0.350kg, 350g), discount (10%, 1.50)
    #[arg(long = "item", required = true)]
    items: Vec<String>,
    /// cash[:AMOUNT] | card:BRAND:LAST4:APPROVAL:REF[:AMOUNT][:offline] | cabin:ACCOUNT[:AMOUNT] | room:ACCOUNT[:AMOUNT] | points:MEMBER:POINTS
    #[arg(long = "tender", required = true)]
    tenders: Vec<String>,
    /// Discount on the whole cart (10% or 1.50)
    #[arg(long)]
    discount: Option<String>,
    #[arg(long)]
    member: Option<String>,
    /// Sell items the till's count says are out of stock (when the store only warns)
    #[arg(long)]
    confirm_out_of_stock: bool,
    /// Supervisor or manager approving points redeemed above the till's offline caps;
    /// their PIN is read from the first line of standard input
    #[arg(long, value_name = "USER")]
    approved_by: Option<String>,
    /// Supervisor or manager approving discounts above `[till] discount_approval_percent`;
    /// their PIN is read from standard input (the next line when --approved-by names
    /// someone else)
    #[arg(long, value_name = "USER")]
    discount_approved_by: Option<String>,
}

#[derive(Subcommand, Debug)]
enum MemberCmd {
    /// Members whose name, phone number, e-mail, card or id matches TEXT.
    Find { text: String },
    /// One member by card, member id or cabin/room account, with the points available here.
    Show { key: String },
    /// Enrol a new member at this till (works offline).
    Enrol {
        #[arg(long)]
        name: String,
        #[arg(long)]
        phone: Option<String>,
        #[arg(long)]
        email: Option<String>,
        /// Loyalty card or QR code to give the member
        #[arg(long)]
        card: Option<String>,
    },
}

#[derive(Args, Debug)]
struct RefundArgs {
    #[arg(long)]
    receipt: String,
    /// LINE[*QTY] of the original receipt (QTY defaults to what is left)
    #[arg(long = "line")]
    lines: Vec<String>,
    /// Refund everything still refundable
    #[arg(long, conflicts_with = "lines")]
    all: bool,
    /// How the money goes back (default: cash)
    #[arg(long, default_value = "cash")]
    tender: String,
    #[arg(long)]
    reason: String,
    /// Supervisor or manager approving the refund; their PIN is read from the first line
    /// of standard input
    #[arg(long, value_name = "USER")]
    approved_by: String,
}

#[derive(Args, Debug)]
struct VoidArgs {
    #[arg(long)]
    receipt: String,
    #[arg(long)]
    reason: String,
    /// Supervisor or manager approving the void; their PIN is read from the first line of
    /// standard input
    #[arg(long, value_name = "USER")]
    approved_by: String,
}

#[derive(Subcommand, Debug)]
enum DrawerCmd {
    /// Open the drawer without a sale (journaled).
    Open {
        #[arg(long)]
        reason: String,
        /// Supervisor or manager approving the no-sale; their PIN is read from the first
        /// line of standard input
        #[arg(long, value_name = "USER")]
        approved_by: String,
    },
}

/// A PIN typed on the command line. Its `Debug` never shows it.
#[derive(Clone)]
struct Pin(String);

impl std::fmt::Debug for Pin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pin(***)")
    }
}

impl std::str::FromStr for Pin {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Pin, Self::Err> {
        Ok(Pin(s.to_string()))
    }
}

#[derive(Args, Debug)]
#[group(required = true, multiple = false)]
struct PinArgs {
    /// The PIN, 4 to 8 digits (visible to other users of this computer: prefer --pin-stdin)
    #[arg(long)]
    pin: Option<Pin>,
    /// Read the PIN from the first line of standard input
    #[arg(long)]
    pin_stdin: bool,
}

impl PinArgs {
    fn read(&self) -> AppResult<String> {
        if let Some(Pin(p)) = &self.pin {
            return Ok(p.clone());
        }
        read_pin_line()
    }
}

#[derive(Subcommand, Debug)]
enum UserCmd {
    /// Add a user with a role and a PIN.
    Add {
        /// 1 to 40 letters, digits, '.', '_' or '-'
        id: String,
        #[arg(long)]
        name: String,
        /// cashier, supervisor (approves refunds, voids, drawer opens) or manager
        #[arg(long, value_parser = parse_role)]
        role: Role,
        #[command(flatten)]
        pin: PinArgs,
    },
    /// Give a user a new PIN (also lifts a lockout after wrong PINs).
    SetPin {
        id: String,
        #[command(flatten)]
        pin: PinArgs,
    },
    /// Stop a user signing in or approving.
    Disable { id: String },
    /// Let a disabled user sign in again.
    Enable { id: String },
    /// Every user: id, name, role, active, locked.
    List,
}

fn parse_role(s: &str) -> Result<Role, String> {
    Role::parse(s).ok_or_else(|| format!("'{s}' is not a role: cashier, supervisor or manager"))
}

#[derive(Subcommand, Debug)]
enum OutboxCmd {
    /// Backlog, oldest waiting event, last error; --probe also tries the cluster.
    Status {
        #[arg(long)]
        probe: bool,
    },
}

#[derive(Args, Debug)]
struct RelayArgs {
    /// Exit once every event is acknowledged
    #[arg(long)]
    until_empty: bool,
    /// With --until-empty: give up (exit 1) after this many seconds
    #[arg(long)]
    timeout: Option<u64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum PublishKind {
    Catalog,
    Inventory,
    Accounts,
}

#[derive(Args, Debug)]
struct PublishArgs {
    #[arg(value_enum)]
    kind: PublishKind,
    /// CSV or JSON file (catalog: as `catalog import`; inventory: sku,on_hand,low_stock_at; accounts: JSON array)
    file: Option<PathBuf>,
    /// Publish a tombstone for this SKU or member id (delist, forget)
    #[arg(long = "delete")]
    delete: Vec<String>,
    /// Store whose stock this is (inventory; default: this till's store)
    #[arg(long)]
    store: Option<String>,
}

#[derive(Subcommand, Debug)]
enum TopicsCmd {
    /// Create missing topics: till topics (delete policy) and reference topics (compacted).
    Ensure {
        #[arg(long, default_value_t = 3)]
        partitions: i32,
        #[arg(long, default_value_t = 1)]
        replication: i32,
    },
}

#[derive(Subcommand, Debug)]
enum StreamsCmd {
    /// Consume into the till's views (runs until stopped, or --until-caught-up).
    Run {
        #[arg(long)]
        until_caught_up: bool,
        /// With --until-caught-up: give up after this many seconds
        #[arg(long, default_value_t = 120)]
        timeout: u64,
    },
    /// Per topic: records applied, lag, last update, quarantined, rebuilds.
    Status,
    /// Records that could not be applied, newest first, with why.
    Quarantine {
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
}

#[derive(Subcommand, Debug)]
enum JournalCmd {
    /// Check every entry's hash and link; exit 1 if anything was edited or removed.
    Verify,
}

fn config_path(cli: &Cli) -> PathBuf {
    cli.config.clone().unwrap_or_else(default_config_path)
}

fn load_settings(cli: &Cli) -> AppResult<Settings> {
    Config::load(&config_path(cli))?.settings()
}

fn till(cli: &Cli) -> AppResult<Till> {
    open_till(load_settings(cli)?)
}

fn print_json(v: &impl serde::Serialize) -> AppResult<()> {
    println!("{}", serde_json::to_string_pretty(v)?);
    Ok(())
}

fn print_event(
    format: Format,
    event: &purser_core::events::Event,
    text: impl FnOnce() -> String,
) -> AppResult<()> {
    match format {
        Format::Json => println!("{}", event.to_json()?),
        Format::Text | Format::Csv | Format::Pdf => print!("{}", text()),
    }
    Ok(())
}

/// `purser init`: the same checks and steps as the window's setup screen
/// (`purser_app::setup`), with Kafka and the manager optional.
fn init(cli: &Cli, a: &InitArgs) -> AppResult<()> {
    use purser_app::setup::{self, Needs, SetupForm};
    let path = config_path(cli);
    if path.exists() && !a.force {
        return Err(AppError::new(
            ErrorCode::InvalidConfig,
            format!(
                "{} already exists; use --force to replace it (the till database is kept)",
                path.display()
            ),
        ));
    }
    let pin = if a.manager.is_some() {
        if !a.manager_pin_stdin {
            return Err(AppError::invalid(
                "--manager needs --manager-pin-stdin (the PIN on the first line of standard input)",
            ));
        }
        read_pin_line()?
    } else {
        String::new()
    };
    let text = |p: &Option<PathBuf>| {
        p.as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_default()
    };
    let form = SetupForm {
        store_id: a.store.clone(),
        till_id: a.till.clone(),
        currency: a.currency.clone(),
        tax_mode: a.tax_mode.clone(),
        timezone: a.timezone.clone(),
        language: a.language.clone(),
        bootstrap_servers: a.bootstrap.clone(),
        security_protocol: a.security_protocol.clone(),
        sasl_mechanism: a.sasl_mechanism.clone().unwrap_or_default(),
        sasl_username: a.sasl_username.clone().unwrap_or_default(),
        sasl_password: a.sasl_password.clone().unwrap_or_default(),
        ssl_ca: text(&a.ssl_ca),
        ssl_cert: text(&a.ssl_cert),
        ssl_key: text(&a.ssl_key),
        ssl_key_password: a.ssl_key_password.clone().unwrap_or_default(),
        printer: a.printer.clone().unwrap_or_default(),
        manager_id: a.manager.clone().unwrap_or_default(),
        manager_name: a.manager_name.clone().unwrap_or_default(),
        manager_pin: pin.clone(),
        manager_pin_repeat: pin,
    };
    let needs = Needs {
        kafka: a.test_connection,
        manager: false,
    };
    let database = a.db.clone().unwrap_or_else(default_database_path);
    let refused = |issues: Vec<setup::FieldIssue>| {
        AppError::new(
            ErrorCode::InvalidConfig,
            issues
                .iter()
                .map(|i| i.message.as_str())
                .collect::<Vec<_>>()
                .join("; "),
        )
    };
    let mut plan = setup::plan(&form, database, needs).map_err(refused)?;
    plan.config.store.cash_rounding = a.cash_rounding;
    plan.config.settings()?;
    let cfg = &plan.config;
    if a.test_connection {
        let t = setup::test_kafka(&cfg.kafka, &cfg.topics, std::time::Duration::from_secs(10));
        if !t.ok {
            return Err(AppError::new(ErrorCode::KafkaUnreachable, t.message));
        }
        if cli.format == Format::Text {
            println!("Kafka: {}", t.message);
        }
    }
    setup::save(&plan, &path, a.force, SystemClock.now())?.map_err(refused)?;
    match cli.format {
        Format::Json => print_json(&serde_json::json!({
            "config": path,
            "database": cfg.database,
            "manager": plan.manager.as_ref().map(|m| m.user_id.clone()),
        }))?,
        Format::Text | Format::Csv | Format::Pdf => {
            println!(
                "Till {} of store {} set up.",
                cfg.store.till_id, cfg.store.store_id
            );
            println!("  configuration: {}", path.display());
            println!("  database:      {}", cfg.database.display());
            if cfg.kafka.bootstrap_servers.is_empty() {
                println!("  Kafka:         not set (sales are kept in the outbox until it is)");
            } else {
                println!("  Kafka:         {}", cfg.kafka.bootstrap_servers);
            }
            if let Some(m) = &plan.manager {
                println!("  manager:       {} ({})", m.user_id, m.name);
            }
        }
    }
    Ok(())
}

/// The approval of `user`, proven by the PIN on the next line of standard input: the
/// till checks the PIN (a wrong one counts towards the lockout) and the role.
fn approver_from_stdin(t: &mut Till, user: &str) -> AppResult<purser_app::users::Approver> {
    let pin = read_pin_line()?;
    t.approver(user.trim(), &pin)
}

/// The first line of standard input, without its line end.
fn read_pin_line() -> AppResult<String> {
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .map_err(|e| AppError::invalid(format!("cannot read the PIN from standard input: {e}")))?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

fn catalog(cli: &Cli, cmd: &CatalogCmd) -> AppResult<()> {
    let mut t = till(cli)?;
    match cmd {
        CatalogCmd::Import { file } => {
            let classes: Vec<String> = t
                .settings()
                .taxes
                .classes
                .iter()
                .map(|c| c.code.clone())
                .collect();
            let products =
                purser_app::catalog_io::read_catalog(file, &t.settings().currency, &classes)?;
            let n = t.import_products(&products)?;
            match cli.format {
                Format::Json => print_json(&serde_json::json!({"imported": n}))?,
                Format::Text | Format::Csv | Format::Pdf => println!("Imported {n} products."),
            }
        }
        CatalogCmd::Search { text, limit } => {
            let found = t.search_products(text, *limit)?;
            match cli.format {
                Format::Json => print_json(
                    &found
                        .iter()
                        .map(|p| Ok(ProductView::of(p, t.stock(&p.sku)?.as_ref())))
                        .collect::<AppResult<Vec<_>>>()?,
                )?,
                Format::Text | Format::Csv | Format::Pdf => {
                    for p in &found {
                        let unit = if p.sold_by == purser_core::catalog::SoldBy::Weight {
                            "/kg"
                        } else {
                            ""
                        };
                        println!(
                            "{:<10} {:<36} {:>9}{unit}  {}{}",
                            p.sku,
                            p.name,
                            t.settings().money(p.price),
                            p.tax_class,
                            if p.active { "" } else { "  (delisted)" }
                        );
                    }
                    if found.is_empty() {
                        println!("No products match '{text}'.");
                    }
                }
            }
        }
    }
    Ok(())
}

fn shift(cli: &Cli, cmd: &ShiftCmd) -> AppResult<()> {
    let mut t = till(cli)?;
    let cur = t.settings().currency.clone();
    match cmd {
        ShiftCmd::Open { cashier, float } => {
            let r = t.open_shift(cashier, cur.parse_amount(float)?)?;
            print_event(cli.format, &r.event, || {
                format!(
                    "Shift opened for {} with a float of {} {}.\n",
                    cashier,
                    cur.code,
                    cur.format(r.body.opening_float)
                )
            })?;
        }
        ShiftCmd::Report => {
            let r = t.shift_report()?;
            match cli.format {
                Format::Json => print_json(&r)?,
                Format::Text | Format::Csv | Format::Pdf => {
                    print!("{}", receipt::report_text(t.settings(), &r))
                }
            }
        }
        ShiftCmd::Close {
            counted,
            end_of_day,
        } => {
            let kind = if *end_of_day {
                ReportKind::Z
            } else {
                ReportKind::X
            };
            let r = t.close_shift(cur.parse_amount(counted)?, kind)?;
            print_event(cli.format, &r.event, || {
                receipt::report_text(t.settings(), &r.body.report)
            })?;
        }
    }
    Ok(())
}

fn sell(cli: &Cli, a: &SellArgs) -> AppResult<()> {
    let mut t = till(cli)?;
    let s = t.settings().clone();
    let mut req = SaleRequest {
        member_id: a.member.clone(),
        confirm_out_of_stock: a.confirm_out_of_stock,
        ..Default::default()
    };
    if let Some(user) = &a.approved_by {
        req.loyalty_approver = Some(approver_from_stdin(&mut t, user)?);
    }
    for i in &a.items {
        let spec = parse_item(i, &s.currency)?;
        req.lines.push(LineRequest {
            code: spec.code,
            quantity: spec.quantity,
            discount: spec.discount,
        });
    }
    for tnd in &a.tenders {
        req.tenders
            .push(parse_tender(tnd, &s.currency, s.config.store.point_value)?);
    }
    if let Some(d) = &a.discount {
        req.discount = Some(purser_app::input::parse_discount(d, &s.currency)?);
    }
    if let Some(user) = &a.discount_approved_by {
        req.discount_approver = match &req.loyalty_approver {
            Some(by) if by.user_id() == user.trim() => Some(by.clone()),
            _ => Some(approver_from_stdin(&mut t, user)?),
        };
    }
    let r = t.sell(&req)?;
    let loyalty = t.receipt_loyalty(&r.body.receipt_no, false)?;
    print_event(cli.format, &r.event, || {
        let mut text = receipt::sale_text(&s, &r.event, &r.body);
        if let Some(l) = &loyalty {
            text.push_str(&receipt::loyalty_text(l));
        }
        text
    })
}

fn member_line(t: &Till, m: &purser_app::loyalty::MemberInfo) -> String {
    let r = &m.member;
    let mut line = format!(
        "{}  {}  {}  {} points available ({} published, {} estimated)",
        r.member_id, r.name, r.tier, m.available, m.published, m.estimated
    );
    if !r.active {
        line.push_str("  CLOSED");
    }
    if r.local_only {
        line.push_str("  enrolled here, not yet published");
    }
    if let Some((kind, id, limit)) = &r.account {
        line.push_str(&format!(
            "\n    {kind} {id}: offline limit {}, {} charged here unconfirmed",
            t.settings().money(*limit),
            t.settings().money(m.unconfirmed_charges)
        ));
    }
    for (label, v) in [("phone", &r.phone), ("e-mail", &r.email)] {
        if let Some(v) = v {
            line.push_str(&format!("\n    {label} {v}"));
        }
    }
    if !r.card_ids.is_empty() {
        line.push_str(&format!("\n    cards {}", r.card_ids.join(", ")));
    }
    line
}

fn member(cli: &Cli, c: &MemberCmd) -> AppResult<()> {
    let mut t = till(cli)?;
    match c {
        MemberCmd::Find { text } => {
            let found = t.find_members(text, 50)?;
            match cli.format {
                Format::Json => print_json(
                    &found
                        .iter()
                        .map(|m| MemberView::of(m, t.settings()))
                        .collect::<Vec<_>>(),
                )?,
                _ if found.is_empty() => println!("no member matches '{}'", text.trim()),
                Format::Text | Format::Csv | Format::Pdf => {
                    for m in &found {
                        println!("{}", member_line(&t, m));
                    }
                }
            }
        }
        MemberCmd::Show { key } => {
            let m = t.member(key)?;
            match cli.format {
                Format::Json => print_json(&MemberView::of(&m, t.settings()))?,
                Format::Text | Format::Csv | Format::Pdf => println!("{}", member_line(&t, &m)),
            }
        }
        MemberCmd::Enrol {
            name,
            phone,
            email,
            card,
        } => {
            let r = t.enrol(name, phone.as_deref(), email.as_deref(), card.as_deref())?;
            print_event(cli.format, &r.event, || {
                format!("enrolled {} as member {}\n", r.body.name, r.body.member_id)
            })?;
        }
    }
    Ok(())
}

fn refund(cli: &Cli, a: &RefundArgs) -> AppResult<()> {
    let mut t = till(cli)?;
    let s = t.settings().clone();
    let scope = if a.all || a.lines.is_empty() {
        RefundScope::All
    } else {
        let (sale, done) = t.sale_with_refunds(&a.receipt)?;
        let mut lines = Vec::new();
        for spec in &a.lines {
            let (n, q) = match spec.split_once('*') {
                Some((n, q)) => (n, Some(parse_quantity(q)?)),
                None => (spec.as_str(), None),
            };
            let line_no: u32 = n
                .trim()
                .parse()
                .map_err(|_| AppError::invalid(format!("'{spec}' is not LINE[*QTY]")))?;
            let sold = sale
                .lines
                .iter()
                .find(|l| l.line_no == line_no)
                .ok_or_else(|| {
                    AppError::not_found(format!("receipt {} has no line {line_no}", a.receipt))
                })?;
            let quantity = match q {
                Some(q) => q,
                None => {
                    let left = purser_core::sale::refundable(sold, &done);
                    left.with_amount(left.amount().max(1))
                }
            };
            lines.push(RefundRequestLine { line_no, quantity });
        }
        RefundScope::Lines(lines)
    };
    let tender = parse_tender(&a.tender, &s.currency, s.config.store.point_value)?;
    let tender = match tender {
        TenderInput::Cash { .. } => TenderInput::Cash { tendered: None },
        other => other,
    };
    let approver = approver_from_stdin(&mut t, &a.approved_by)?;
    let r = t.refund(&RefundRequest {
        receipt_no: a.receipt.clone(),
        scope,
        tender,
        reason: a.reason.clone(),
        approver,
    })?;
    print_event(cli.format, &r.event, || {
        receipt::refund_text(&s, &r.event, &r.body)
    })
}

fn user(cli: &Cli, cmd: &UserCmd) -> AppResult<()> {
    let mut t = till(cli)?;
    let (done, text) = match cmd {
        UserCmd::Add {
            id,
            name,
            role,
            pin,
        } => {
            let u = t.add_user(id, name, *role, &pin.read()?)?;
            let text = format!("User {} ({}) added as {}.", u.user_id, u.name, u.role);
            (Some(u), text)
        }
        UserCmd::SetPin { id, pin } => {
            t.set_user_pin(id, &pin.read()?)?;
            let u = t.users()?.into_iter().find(|u| u.user_id == id.trim());
            (u, format!("New PIN set for {}.", id.trim()))
        }
        UserCmd::Disable { id } => {
            let u = t.set_user_active(id, false)?;
            let text = format!("User {} disabled: they can no longer sign in.", u.user_id);
            (Some(u), text)
        }
        UserCmd::Enable { id } => {
            let u = t.set_user_active(id, true)?;
            let text = format!("User {} enabled.", u.user_id);
            (Some(u), text)
        }
        UserCmd::List => {
            let now = t.now();
            let users = t.users()?;
            match cli.format {
                Format::Json => print_json(
                    &users
                        .iter()
                        .map(|u| UserView::of(u, now))
                        .collect::<Vec<_>>(),
                )?,
                Format::Text | Format::Csv | Format::Pdf => {
                    if users.is_empty() {
                        println!("No users yet: add one with `purser user add`.");
                    } else {
                        println!(
                            "{:<20} {:<28} {:<10} {:<8} locked",
                            "id", "name", "role", "active"
                        );
                    }
                    for u in &users {
                        println!(
                            "{:<20} {:<28} {:<10} {:<8} {}",
                            u.user_id,
                            u.name,
                            u.role,
                            if u.active { "yes" } else { "no" },
                            match u.locked_until.filter(|l| *l > now) {
                                Some(l) => format!("until {}", l.format("%H:%M:%S UTC")),
                                None => "no".into(),
                            }
                        );
                    }
                }
            }
            return Ok(());
        }
    };
    match cli.format {
        Format::Json => print_json(&done.map(|u| UserView::of(&u, t.now())))?,
        Format::Text | Format::Csv | Format::Pdf => println!("{text}"),
    }
    Ok(())
}

fn kafka_err(e: impl std::fmt::Display) -> AppError {
    AppError::new(ErrorCode::KafkaUnreachable, e.to_string())
}

fn publish(cli: &Cli, a: &PublishArgs) -> AppResult<()> {
    use purser_app::reference;
    use purser_core::inbound::InboundKind;
    let s = load_settings(cli)?;
    let now = SystemClock.now();
    let store_id = a
        .store
        .clone()
        .unwrap_or_else(|| s.config.store.store_id.clone());
    let (kind, topic) = match a.kind {
        PublishKind::Catalog => (InboundKind::Catalog, s.config.topics.catalog.clone()),
        PublishKind::Inventory => (InboundKind::Inventory, s.config.topics.inventory.clone()),
        PublishKind::Accounts => (
            InboundKind::LoyaltyAccounts,
            s.config.topics.loyalty_accounts.clone(),
        ),
    };
    let mut records = match (&a.file, a.kind) {
        (None, _) => Vec::new(),
        (Some(f), PublishKind::Catalog) => {
            let classes: Vec<String> = s.taxes.classes.iter().map(|c| c.code.clone()).collect();
            reference::catalog_records(
                &purser_app::catalog_io::read_catalog(f, &s.currency, &classes)?,
                &s,
                now,
            )?
        }
        (Some(f), PublishKind::Inventory) => reference::inventory_records(f, &store_id, now)?,
        (Some(f), PublishKind::Accounts) => reference::account_records(f, now)?,
    };
    for key in &a.delete {
        let key = if a.kind == PublishKind::Inventory {
            format!("{store_id}:{key}")
        } else {
            key.clone()
        };
        records.push((key, None));
    }
    if records.is_empty() {
        return Err(AppError::invalid(
            "nothing to publish: give a file or --delete KEY",
        ));
    }
    reference::check(kind, &records, &store_id, &s.currency.code)?;
    let n =
        purser_stream::publish::publish(&s.config.kafka, &topic, &records, Duration::from_secs(30))
            .map_err(kafka_err)?;
    match cli.format {
        Format::Json => print_json(&serde_json::json!({"topic": topic, "published": n}))?,
        Format::Text | Format::Csv | Format::Pdf => println!("Published {n} records to {topic}."),
    }
    Ok(())
}

fn topics_ensure(cli: &Cli, partitions: i32, replication: i32) -> AppResult<()> {
    let s = load_settings(cli)?;
    let specs = purser_stream::admin::store_topic_specs(&s.config.topics, partitions, replication);
    let created =
        purser_stream::admin::ensure_topics(&s.config.kafka, &specs, Duration::from_secs(15))
            .map_err(kafka_err)?;
    match cli.format {
        Format::Json => print_json(
            &serde_json::json!({"created": created, "topics": specs.iter().map(|t| &t.name).collect::<Vec<_>>()}),
        )?,
        Format::Text | Format::Csv | Format::Pdf => {
            for t in &specs {
                let policy = t
                    .config
                    .iter()
                    .find(|(k, _)| k == "cleanup.policy")
                    .map(|(_, v)| v.as_str())
                    .unwrap_or("delete");
                let state = if created.contains(&t.name) {
                    "created"
                } else {
                    "exists"
                };
                println!(
                    "{:<28} {:<8} {} partitions  {state}",
                    t.name, policy, t.partitions
                );
            }
        }
    }
    Ok(())
}

fn inbound_consumer(s: &Settings) -> AppResult<purser_stream::inbound::InboundConsumer> {
    purser_stream::inbound::InboundConsumer::new(
        &s.config.database,
        s.config.kafka.clone(),
        &s.config.topics,
        &s.config.store.store_id,
        &s.currency.code,
        purser_stream::inbound::InboundOptions::default(),
    )
    .map_err(kafka_err)
}

fn streams(cli: &Cli, cmd: &StreamsCmd) -> AppResult<()> {
    let s = load_settings(cli)?;
    // Make sure the database is this till's and migrated before a consumer touches it.
    drop(open_till(s.clone())?);
    match cmd {
        StreamsCmd::Run {
            until_caught_up,
            timeout,
        } => {
            let mut c = inbound_consumer(&s)?;
            let stop = Arc::new(AtomicBool::new(false));
            register_signals(&stop);
            let mode = if *until_caught_up {
                purser_stream::inbound::InboundMode::CatchUp {
                    deadline: Duration::from_secs(*timeout),
                }
            } else {
                eprintln!(
                    "Reading {}, {}, {} into {} (Ctrl-C to stop)",
                    s.config.topics.catalog,
                    s.config.topics.inventory,
                    s.config.topics.loyalty_accounts,
                    s.config.database.display()
                );
                purser_stream::inbound::InboundMode::Forever
            };
            let n = c.run(&stop, mode).map_err(kafka_err)?;
            match cli.format {
                Format::Json => {
                    print_json(&serde_json::json!({"applied": n, "topics": c.snapshot()}))?
                }
                Format::Text | Format::Csv | Format::Pdf => {
                    println!("{n} records applied; the till's views are up to date.")
                }
            }
        }
        StreamsCmd::Status => {
            let st = inbound_consumer(&s)?.snapshot();
            match cli.format {
                Format::Json => print_json(&st)?,
                Format::Text | Format::Csv | Format::Pdf => {
                    for t in &st {
                        println!(
                            "{:<26} applied {:>7}  lag {:>6}  last update {:<20} quarantined {:>4}  rebuilds {}",
                            t.topic,
                            t.applied,
                            t.lag.map(|l| l.to_string()).unwrap_or_else(|| "?".into()),
                            t.last_applied_at.map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string()).unwrap_or_else(|| "never".into()),
                            t.quarantined,
                            t.rebuilds
                        );
                    }
                }
            }
        }
        StreamsCmd::Quarantine { limit } => {
            let store = purser_store::Store::open(&s.config.database)?;
            let q = store.quarantined(*limit)?;
            match cli.format {
                Format::Json => print_json(&q)?,
                Format::Text | Format::Csv | Format::Pdf => {
                    if q.is_empty() {
                        println!("Nothing quarantined.");
                    }
                    for r in &q {
                        println!(
                            "{} {}/{}@{} key {:?}: {}",
                            r.received_at.format("%Y-%m-%d %H:%M"),
                            r.topic,
                            r.partition,
                            r.offset,
                            r.key.as_deref().unwrap_or("-"),
                            r.reason
                        );
                    }
                }
            }
        }
    }
    Ok(())
}

fn stock(cli: &Cli, code: &str) -> AppResult<()> {
    let t = till(cli)?;
    let p = t.lookup(code)?;
    let level = t.stock(&p.sku)?;
    let state = match &level {
        None => "not tracked",
        Some(l) if l.on_hand <= 0 => "out of stock",
        Some(l) if l.on_hand <= l.low_stock_at => "low stock",
        Some(_) => "in stock",
    };
    match cli.format {
        Format::Json => {
            print_json(&ProductView::of(&p, level.as_ref()))?;
        }
        Format::Text | Format::Csv | Format::Pdf => {
            let unit = if p.sold_by == purser_core::catalog::SoldBy::Weight {
                " g"
            } else {
                ""
            };
            println!(
                "{} {}  {} {}  tax {}{}",
                p.sku,
                p.name,
                t.settings().currency.code,
                t.settings().money(p.price),
                p.tax_class,
                if p.active { "" } else { "  (delisted)" }
            );
            match level {
                Some(l) => println!(
                    "  {state}: {}{unit} on hand (low at {}), as of {}",
                    l.on_hand,
                    l.low_stock_at,
                    l.updated_at.format("%Y-%m-%d %H:%M UTC")
                ),
                None => println!("  stock {state}"),
            }
        }
    }
    Ok(())
}

fn outbox(cli: &Cli, cmd: &OutboxCmd) -> AppResult<()> {
    let OutboxCmd::Status { probe } = cmd;
    let t = till(cli)?;
    let st = t.outbox_status()?;
    let now = t.now();
    let probe_result = if *probe {
        let topics = &t.settings().config.topics;
        let kafka = &t.settings().config.kafka;
        let reached = purser_stream::probe::probe(
            kafka,
            &[&topics.payments, &topics.tills, &topics.loyalty],
            Duration::from_secs(5),
        );
        // Reachable: may this till write at all (a producer id; nothing is written)?
        Some(reached.map(|info| {
            let write = purser_stream::probe::check_write(kafka, Duration::from_secs(5));
            (info, write)
        }))
    } else {
        None
    };
    // The rows' own last error says why they wait; a refusal by the cluster's ACLs is
    // named as such.
    let refused = st.last_error.as_deref().is_some_and(|e| {
        let e = e.to_ascii_lowercase();
        e.contains("not authorised") || e.contains("authorization_failed")
    });
    match cli.format {
        Format::Json => print_json(&serde_json::json!({
            "pending": st.pending,
            "oldest_pending_at": st.oldest_pending_at,
            "oldest_pending_age_secs": st.oldest_pending_at.map(|t| (now - t).num_seconds()),
            "first_pending_seq": st.first_pending_seq,
            "last_published_at": st.last_published_at,
            "last_published_seq": st.last_published_seq,
            "last_error": st.last_error,
            "not_authorised": refused,
            "total_written": st.total_written,
            "blocked": st.blocked,
            "broker": probe_result.as_ref().map(|r| match r {
                Ok((info, write)) => serde_json::json!({
                    "reachable": true,
                    "brokers": info.brokers,
                    "missing_topics": info.missing_topics,
                    "refused_topics": info.refused_topics,
                    "write": access_json(write),
                }),
                Err(e) => serde_json::json!({"reachable": false, "error": e}),
            }),
        }))?,
        Format::Text | Format::Csv | Format::Pdf => {
            if st.pending == 0 {
                println!("All {} events sent.", st.total_written);
            } else {
                let age = st
                    .oldest_pending_at
                    .map(|t| human_age(now - t))
                    .unwrap_or_default();
                println!(
                    "{} events waiting, oldest {} ago (from till_seq {}).",
                    st.pending,
                    age,
                    st.first_pending_seq.unwrap_or(0)
                );
            }
            if let Some(t) = st.last_published_at {
                println!(
                    "Last event acknowledged {} ago (till_seq {}).",
                    human_age(now - t),
                    st.last_published_seq.unwrap_or(0)
                );
            }
            if let Some(e) = &st.last_error {
                if refused && st.pending > 0 {
                    println!("Not authorised: the cluster refuses this till's events; they wait.");
                }
                println!("Last error: {e}");
            }
            if let Some(b) = &st.blocked {
                println!("BLOCKED: {b}.");
            }
            match probe_result {
                Some(Ok((info, write))) => {
                    println!("Kafka reachable: {}", info.brokers.join(", "));
                    if !info.missing_topics.is_empty() {
                        println!("Missing topics: {}", info.missing_topics.join(", "));
                    }
                    if !info.refused_topics.is_empty() {
                        println!(
                            "Not authorised for topics: {} (the cluster's ACLs)",
                            info.refused_topics.join(", ")
                        );
                    }
                    match write {
                        purser_stream::probe::Access::Granted => {
                            println!("Write: allowed (the cluster gives this till a producer id).")
                        }
                        purser_stream::probe::Access::Refused(code) => println!(
                            "Write: NOT AUTHORISED ({code}): the cluster refuses this till a producer id; grant its rights with packaging/kafka/acls.sh."
                        ),
                        purser_stream::probe::Access::Unknown(why) => {
                            println!("Write: could not tell ({why}).")
                        }
                    }
                }
                Some(Err(e)) => println!("Kafka NOT reachable: {e}"),
                None => {}
            }
        }
    }
    Ok(())
}

fn access_json(a: &purser_stream::probe::Access) -> serde_json::Value {
    use purser_stream::probe::Access;
    match a {
        Access::Granted => serde_json::json!({"allowed": true}),
        Access::Refused(code) => serde_json::json!({"allowed": false, "error": code}),
        Access::Unknown(why) => serde_json::json!({"allowed": null, "error": why}),
    }
}

pub fn human_age(d: chrono::Duration) -> String {
    let s = d.num_seconds().max(0);
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m {}s", s / 60, s % 60),
        3600..=86_399 => format!("{}h {}m", s / 3600, (s % 3600) / 60),
        _ => format!("{}d {}h", s / 86_400, (s % 86_400) / 3600),
    }
}

fn relay(cli: &Cli, a: &RelayArgs) -> AppResult<()> {
    let settings = load_settings(cli)?;
    if a.until_empty {
        let mut relay = Relay::new(
            &settings.config.database,
            settings.config.kafka.clone(),
            RelayOptions::default(),
        )
        .map_err(|e| AppError::new(ErrorCode::InvalidConfig, e.to_string()))?;
        let stop = Arc::new(AtomicBool::new(false));
        register_signals(&stop);
        let deadline = a.timeout.map(Duration::from_secs);
        let n = relay
            .run(&stop, RunMode::UntilEmpty { deadline })
            .map_err(|e| AppError::new(ErrorCode::KafkaUnreachable, e.to_string()))?;
        match cli.format {
            Format::Json => print_json(&serde_json::json!({"published": n}))?,
            Format::Text | Format::Csv | Format::Pdf => println!("Outbox empty: {n} events sent."),
        }
        return Ok(());
    }
    let stop = Arc::new(AtomicBool::new(false));
    register_signals(&stop);
    let mut handle = purser_app::runtime::RelayHandle::start(&settings, RelayOptions::default())?;
    eprintln!(
        "Relaying {} to {} (Ctrl-C to stop)",
        settings.config.database.display(),
        settings.config.kafka.bootstrap_servers
    );
    let mut last_connected = None;
    let mut last_refused = None;
    let mut last_store_error = None;
    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(250));
        // A relay that stopped sends nothing more: say why and exit non-zero, so the
        // service manager restarts it (or someone looks).
        if let Some(why) = handle.ended() {
            return Err(AppError::new(
                ErrorCode::Internal,
                format!("the relay stopped; events wait in the outbox: {why}"),
            ));
        }
        let st = handle.status();
        if last_store_error.as_ref() != Some(&st.store_error) {
            match &st.store_error {
                Some(e) => eprintln!("{e}"),
                None if last_store_error.is_some() => {
                    eprintln!("the till database answers again: sending")
                }
                None => {}
            }
            last_store_error = Some(st.store_error.clone());
        }
        if last_refused.as_ref() != Some(&st.refused) {
            match &st.refused {
                Some(r) => eprintln!("{r}"),
                None if last_refused.is_some() => eprintln!("authorised again: sending"),
                None => {}
            }
            last_refused = Some(st.refused.clone());
        }
        if last_connected != Some(st.connected) {
            eprintln!(
                "{}",
                if st.connected {
                    "online"
                } else {
                    "offline: events wait in the outbox"
                }
            );
            last_connected = Some(st.connected);
        }
    }
    let n = handle
        .stop()
        .map_err(|e| AppError::new(ErrorCode::KafkaUnreachable, e.to_string()))?;
    eprintln!("Stopped; {n} events sent.");
    Ok(())
}

fn register_signals(stop: &Arc<AtomicBool>) {
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        if let Err(e) = signal_hook::flag::register(sig, stop.clone()) {
            tracing::warn!("cannot handle signal {sig}: {e}");
        }
    }
}

fn journal(cli: &Cli) -> AppResult<bool> {
    let t = till(cli)?;
    let r = t.verify_journal()?;
    match cli.format {
        Format::Json => print_json(&serde_json::json!({
            "ok": r.ok(), "entries": r.entries, "head_seq": r.head_seq,
            "problems": r.problems.iter().map(ToString::to_string).collect::<Vec<_>>(),
        }))?,
        Format::Text | Format::Csv | Format::Pdf => {
            if r.ok() {
                println!(
                    "Journal OK: {} entries, hash chain intact up to till_seq {}.",
                    r.entries, r.head_seq
                );
            } else {
                println!(
                    "JOURNAL TAMPERED: {} problem(s) in {} entries:",
                    r.problems.len(),
                    r.entries
                );
                for p in &r.problems {
                    println!("  - {p}");
                }
            }
        }
    }
    Ok(r.ok())
}

fn run(cli: &Cli) -> AppResult<ExitCode> {
    match &cli.command {
        Command::Init(a) => init(cli, a)?,
        Command::Catalog(c) => catalog(cli, c)?,
        Command::Shift(c) => shift(cli, c)?,
        Command::Sell(a) => sell(cli, a)?,
        Command::Refund(a) => refund(cli, a)?,
        Command::Void(a) => {
            let mut t = till(cli)?;
            let approver = approver_from_stdin(&mut t, &a.approved_by)?;
            let r = t.void(&a.receipt, &a.reason, &approver)?;
            print_event(cli.format, &r.event, || {
                receipt::void_text(t.settings(), &r.event, &r.body)
            })?;
        }
        Command::Drawer(DrawerCmd::Open {
            reason,
            approved_by,
        }) => {
            let mut t = till(cli)?;
            let approver = approver_from_stdin(&mut t, approved_by)?;
            let r = t.open_drawer(reason, &approver)?;
            print_event(cli.format, &r.event, || {
                format!("Drawer opened (no sale): {reason}\n")
            })?;
        }
        Command::User(c) => user(cli, c)?,
        Command::Outbox(c) => outbox(cli, c)?,
        Command::Doctor { timeout } => {
            let checks =
                purser_app::doctor::doctor(&config_path(cli), Duration::from_secs(*timeout));
            let failed = checks
                .iter()
                .any(|c| c.verdict == purser_app::doctor::Verdict::Fail);
            match cli.format {
                Format::Json => print_json(&checks)?,
                Format::Text | Format::Csv | Format::Pdf => {
                    for c in &checks {
                        let mark = match c.verdict {
                            purser_app::doctor::Verdict::Pass => "PASS",
                            purser_app::doctor::Verdict::Warn => "WARN",
                            purser_app::doctor::Verdict::Fail => "FAIL",
                        };
                        println!("{mark}  {:<30} {}", c.name, c.detail);
                        if let Some(fix) = &c.fix {
                            if c.verdict != purser_app::doctor::Verdict::Pass {
                                println!("      {:<30} fix: {fix}", "");
                            }
                        }
                    }
                }
            }
            if failed {
                return Ok(ExitCode::from(1));
            }
        }
        Command::Publish(a) => publish(cli, a)?,
        Command::Topics(TopicsCmd::Ensure {
            partitions,
            replication,
        }) => topics_ensure(cli, *partitions, *replication)?,
        Command::Streams(c) => streams(cli, c)?,
        Command::Stock { code } => stock(cli, code)?,
        Command::Member(c) => member(cli, c)?,
        Command::Relay(a) => relay(cli, a)?,
        Command::Journal(JournalCmd::Verify) => {
            if !journal(cli)? {
                return Ok(ExitCode::from(1));
            }
        }
        Command::Demo(a) => demo::run(a)?,
        Command::Bench(b) => bench::run(b)?,
        Command::Report(r) => return report::run(&load_settings(cli)?, cli.format, r),
    }
    Ok(ExitCode::SUCCESS)
}

/// Output piped into `head` or `less` that closes early ends the process quietly, as
/// with any Unix tool, instead of a panic on the broken pipe.
#[allow(unsafe_code)]
fn default_sigpipe() {
    // SAFETY: called once at start-up, before any thread exists; SIG_DFL is a valid
    // disposition for SIGPIPE.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

fn main() -> ExitCode {
    default_sigpipe();
    // The till's files (database, receipts, exports, logs) are its user's alone.
    purser_app::private_files();
    let filter = tracing_subscriber::EnvFilter::try_from_env("PURSER_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    let mut cli = Cli::parse();
    if cli.json {
        cli.format = Format::Json;
    }
    if matches!(cli.format, Format::Csv | Format::Pdf) && !matches!(cli.command, Command::Report(_))
    {
        eprintln!("purser: --format csv and pdf are for `purser report`; use text or json");
        return ExitCode::from(2);
    }
    match run(&cli) {
        Ok(code) => code,
        Err(e) => {
            match cli.format {
                Format::Json => eprintln!(
                    "{}",
                    serde_json::to_string(&e).unwrap_or_else(|_| e.message.clone())
                ),
                Format::Text | Format::Csv | Format::Pdf => eprintln!("purser: {}", e.message),
            }
            ExitCode::from(1)
        }
    }
}
