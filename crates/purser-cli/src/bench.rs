//! Benchmarks: programs that print figures, each against a baseline measured in the same
//! run. See docs/benchmarks.md for what they mean and the figures measured here.
#![allow(clippy::float_arithmetic, clippy::cast_precision_loss)]

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::{Args, Subcommand};
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};

use purser_app::config::Config;
use purser_app::demo::{demo_catalog, Lcg};
use purser_app::error::{AppError, AppResult, ErrorCode};
use purser_app::runtime::{open_till, SystemClock, UuidV7};
use purser_app::till::{LineRequest, SaleRequest};
use purser_app::Till;
use purser_core::cart::Quantity;
use purser_core::catalog::SoldBy;
use purser_core::clock::{Clock, IdGen};
use purser_core::events::{EventBody, EventContext};
use purser_core::money::Money;
use purser_core::tender::{CardPayment, TenderInput};
use purser_store::{Action, Store};
use purser_stream::embedded::EmbeddedBroker;
use purser_stream::{Relay, RelayOptions, RunMode};

#[derive(Subcommand, Debug)]
pub enum BenchCmd {
    /// Durable sale commit latency vs a bare SQLite FULL commit of the same bytes.
    Sale(SaleBench),
    /// Relay drain rate of an outbox backlog vs the raw idempotent producer.
    Relay(RelayBench),
    /// Catalog load from scratch and records/s applied vs a raw consumer.
    Streams(StreamsBench),
    /// Product search (FTS5) latency on a large catalog vs the old LIKE scan.
    Search(SearchBench),
    /// Time from a sale on a till to its appearance in the manager's figures (p50/p95),
    /// with the real relay, broker and manager's consumer.
    ReportLatency(ReportLatencyBench),
}

#[derive(Args, Debug)]
pub struct ReportLatencyBench {
    #[arg(long, default_value_t = 200)]
    sales: usize,
    /// Pause between sales (ms): a till's pace, so each sale is measured on its own
    #[arg(long, default_value_t = 50)]
    interval_ms: u64,
    /// A Kafka cluster instead of the embedded broker
    #[arg(long, env = "PURSER_BENCH_BOOTSTRAP")]
    bootstrap: Option<String>,
    #[arg(long)]
    dir: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct SearchBench {
    #[arg(long, default_value_t = 100_000)]
    products: usize,
    /// Queries per run, spread over 1-, 2-, 3-letter prefixes and multi-word queries
    #[arg(long, default_value_t = 2000)]
    queries: usize,
    /// Results asked for, as the search box does
    #[arg(long, default_value_t = 20)]
    limit: usize,
    #[arg(long)]
    dir: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct SaleBench {
    #[arg(long, default_value_t = 2000)]
    sales: usize,
    /// A bar's ticket: an 18 % service charge, a spirit with two modifiers on every sale,
    /// and a card tip.
    #[arg(long)]
    bar: bool,
    /// Folder for the databases (default: a temporary folder on the same disk as /tmp)
    #[arg(long)]
    dir: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct StreamsBench {
    /// Catalog size. The embedded (mock) broker keeps only about 48,000 messages per
    /// partition set; use --bootstrap with a real broker for 100,000.
    #[arg(long, default_value_t = 40_000)]
    products: usize,
    #[arg(long, env = "PURSER_BENCH_BOOTSTRAP")]
    bootstrap: Option<String>,
    #[arg(long)]
    dir: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct RelayBench {
    #[arg(long, default_value_t = 100_000)]
    events: usize,
    /// Kafka to measure against (default: the embedded broker)
    #[arg(long, env = "PURSER_BENCH_BOOTSTRAP")]
    bootstrap: Option<String>,
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Repetitions of (raw, relay), alternating
    #[arg(long, default_value_t = 2)]
    rounds: usize,
    /// Also measure Kafka's own producer benchmark (`kafka-producer-perf-test.sh`, e.g.
    /// packaging/kafka/bin/kafka-producer-perf-test.sh) each round: the same number of
    /// records, payloads taken from the same events, acks=all, idempotence, lz4, linger 5 ms
    #[arg(long)]
    kafka_perf: Option<PathBuf>,
}

fn err(e: impl std::fmt::Display) -> AppError {
    AppError::new(ErrorCode::Internal, e.to_string())
}

fn pct(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)].as_secs_f64() * 1000.0
}

fn work_dir(dir: &Option<PathBuf>) -> AppResult<PathBuf> {
    let d = match dir {
        Some(d) => d.clone(),
        None => tempfile::Builder::new()
            .prefix("purser-bench-")
            .tempdir()
            .map_err(err)?
            .keep(),
    };
    std::fs::create_dir_all(&d).map_err(err)?;
    Ok(d)
}

fn bench_till(dir: &Path, name: &str, bootstrap: &str) -> AppResult<(Config, Till)> {
    let mut cfg = Config::new_till(
        "BENCH",
        name,
        "EUR",
        "inclusive",
        "UTC",
        dir.join(format!("{name}.db")),
    );
    cfg.kafka.bootstrap_servers = bootstrap.to_string();
    let settings = cfg.settings()?;
    Till::init(&settings, SystemClock.now())?;
    let mut till = open_till(settings)?;
    let catalog = demo_catalog();
    till.import_products(&catalog)?;
    // Stock for every product, as the inventory stream gives a real till: each sale then
    // also moves stock in its transaction.
    let now = SystemClock.now();
    let stock: Vec<purser_store::Consumed> = catalog
        .iter()
        .enumerate()
        .map(|(i, p)| purser_store::Consumed {
            partition: 0,
            offset: i as i64,
            key: Some(p.sku.clone()),
            outcome: Ok(purser_core::inbound::Inbound::Stock(
                purser_core::inbound::InventoryRecord {
                    schema_version: 1,
                    store_id: "BENCH".into(),
                    sku: p.sku.clone(),
                    on_hand: 1_000_000,
                    low_stock_at: 5,
                    updated_at: now,
                },
            )),
            excerpt: None,
        })
        .collect();
    Store::open(&cfg.database)?.apply_inbound("pos.inventory.v1", &stock, now)?;
    Ok((cfg, till))
}

fn three_item_sale(rng: &mut Lcg, codes: &[String], n: usize) -> SaleRequest {
    let lines = (0..3)
        .map(|_| LineRequest {
            code: codes[rng.below(codes.len() as u64) as usize].clone(),
            quantity: Some(Quantity::Units(1)),
            discount: None,
        })
        .collect();
    SaleRequest {
        lines,
        discount: None,
        discount_approver: None,
        tenders: vec![TenderInput::Card {
            card: CardPayment {
                brand: "VISA".into(),
                last4: "4242".into(),
                approval_code: format!("A{n}"),
                terminal_ref: format!("R{n}"),
                offline: false,
            },
            amount: None,
        }],
        member_id: None,
        confirm_out_of_stock: false,
        loyalty_approver: None,
    }
}

fn sale_bench(a: &SaleBench) -> AppResult<()> {
    let dir = work_dir(&a.dir)?;
    let (cfg, mut till) = bench_till(&dir, "T1", "127.0.0.1:9")?;
    if a.bar {
        let mut bar = cfg.clone();
        bar.bar.service_charge_percent = "18".into();
        drop(till);
        till = open_till(bar.settings()?)?;
    }
    till.open_shift("bench", Money(10_000))?;
    // A spirit with modifiers, for the bar's tickets.
    let spirit = demo_catalog()
        .into_iter()
        .find(|p| p.modifier_groups.len() >= 2)
        .ok_or_else(|| err("the demo catalog has a spirit with modifiers"))?;
    let choices = [
        ("ice".to_string(), "rocks".to_string()),
        ("mixer".to_string(), "tonic".to_string()),
    ];
    let bar_sale =
        |till: &mut Till,
         req: &SaleRequest|
         -> AppResult<purser_app::till::Recorded<purser_core::events::SaleCompleted>> {
            let mut cart = till.build_cart(req)?;
            till.ring_up(&mut cart, &spirit, Quantity::Units(1), &choices)?;
            till.sell_cart(
                &cart,
                &req.tenders,
                &purser_app::till::SaleOptions {
                    tip: Some(purser_core::tender::TipInput {
                        amount: Money(100),
                        kind: purser_core::tender::TipKind::Card,
                    }),
                    ..Default::default()
                },
            )
        };
    let codes: Vec<String> = demo_catalog()
        .iter()
        .filter(|p| p.sold_by == SoldBy::Unit)
        .map(|p| p.barcodes[0].trim_start_matches('0').to_string())
        .collect();
    // The baseline: a bare table in its own database on the same disk, same pragmas.
    let bare = rusqlite::Connection::open(dir.join("bare.db")).map_err(err)?;
    bare.execute_batch("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; CREATE TABLE blobs (id INTEGER PRIMARY KEY, body BLOB NOT NULL);").map_err(err)?;
    let mut rng = Lcg::new(1);
    for n in 0..50 {
        till.sell(&three_item_sale(&mut rng, &codes, n))?;
    }
    // As in the app, a background connection checkpoints both databases every second
    // (the relay does this for the till), so neither commit pays for a checkpoint inline.
    bare.pragma_update(None, "wal_autocheckpoint", 16_384)
        .map_err(err)?;
    let stop = Arc::new(AtomicBool::new(false));
    let checkpointer = {
        let (stop, till_db, bare_db) = (stop.clone(), dir.join("T1.db"), dir.join("bare.db"));
        std::thread::spawn(move || -> Result<(), String> {
            let till = Store::open_for_relay(&till_db).map_err(|e| e.to_string())?;
            let bare = rusqlite::Connection::open(bare_db).map_err(|e| e.to_string())?;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                std::thread::sleep(Duration::from_secs(1));
                till.checkpoint().map_err(|e| e.to_string())?;
                bare.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
                    .map_err(|e| e.to_string())?;
            }
            Ok(())
        })
    };
    let mut cart_t = Vec::with_capacity(a.sales);
    let mut sale_t = Vec::with_capacity(a.sales);
    let mut bare_t = Vec::with_capacity(a.sales);
    let mut bytes = 0usize;
    for n in 0..a.sales {
        let req = three_item_sale(&mut rng, &codes, n);
        let t = Instant::now();
        till.settings().price(&till.build_cart(&req)?)?;
        cart_t.push(t.elapsed());
        let t0 = Instant::now();
        let r = if a.bar {
            bar_sale(&mut till, &req)?
        } else {
            till.sell(&req)?
        };
        sale_t.push(t0.elapsed());
        // The same bytes the sale put in the journal and the outbox, committed bare.
        let body = r.event.to_json().map_err(err)?;
        let payload = format!("{body}{body}");
        bytes += payload.len();
        let t1 = Instant::now();
        bare.execute("INSERT INTO blobs (body) VALUES (?1)", [payload.as_bytes()])
            .map_err(err)?;
        bare_t.push(t1.elapsed());
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    checkpointer
        .join()
        .map_err(|_| err("checkpointer panicked"))?
        .map_err(err)?;
    sale_t.sort();
    bare_t.sort();
    cart_t.sort();
    let (s50, s99, b50, b99) = (
        pct(&sale_t, 0.5),
        pct(&sale_t, 0.99),
        pct(&bare_t, 0.5),
        pct(&bare_t, 0.99),
    );
    let what = if a.bar {
        "3 scanned items and a spirit with 2 modifiers, 18 % service charge, paid by card with a tip"
    } else {
        "3 scanned items paid by card"
    };
    println!(
        "durable sale commit, {} sales of {what} ({} bytes of event JSON each, x2)",
        a.sales,
        bytes / a.sales / 2
    );
    println!("  folder: {}", dir.display());
    println!(
        "  {:<34} {:>8} {:>8} {:>8}",
        "", "p50 ms", "p99 ms", "max ms"
    );
    println!(
        "  {:<34} {:>8.3} {:>8.3} {:>8.3}",
        "Till::sell (lookup, price, commit)",
        s50,
        s99,
        pct(&sale_t, 1.0)
    );
    println!(
        "  {:<34} {:>8.3} {:>8.3} {:>8.3}",
        "  of which lookup + pricing",
        pct(&cart_t, 0.5),
        pct(&cart_t, 0.99),
        pct(&cart_t, 1.0)
    );
    println!(
        "  {:<34} {:>8.3} {:>8.3} {:>8.3}",
        "bare SQLite FULL insert+commit",
        b50,
        b99,
        pct(&bare_t, 1.0)
    );
    println!(
        "  ratio sale/bare: p50 {:.2}x, p99 {:.2}x",
        s50 / b50,
        s99 / b99
    );
    Ok(())
}

/// Fills a till's outbox with `n` realistic sale events, in transactions of 1000.
fn fill_outbox(cfg: &Config, n: usize, topic: &str) -> AppResult<()> {
    let mut store = Store::open(&cfg.database)?;
    let till = open_till(cfg.settings()?)?;
    let codes: Vec<String> = demo_catalog()
        .iter()
        .filter(|p| p.sold_by == SoldBy::Unit)
        .map(|p| p.sku.clone())
        .collect();
    let mut rng = Lcg::new(3);
    let template = {
        let req = three_item_sale(&mut rng, &codes, 0);
        let cart = till.build_cart(&req)?;
        cart.price(&till.settings().taxes, till.settings().tax_mode)?
    };
    let card = CardPayment {
        brand: "VISA".into(),
        last4: "4242".into(),
        approval_code: "A1".into(),
        terminal_ref: "R1".into(),
        offline: false,
    };
    let settlement = purser_core::tender::settle(
        template.total,
        &[TenderInput::Card { card, amount: None }],
        1,
    )?;
    let ids = UuidV7;
    let mut written = 0;
    while written < n {
        let now = SystemClock.now();
        let ctx = EventContext {
            store_id: "BENCH".into(),
            till_id: cfg.store.till_id.clone(),
            occurred_at: now,
            business_date: now.date_naive(),
            shift_id: Some(ids.new_id()),
            cashier_id: Some("bench".into()),
        };
        let batch = (n - written).min(1000);
        store.act(now, |a: &mut Action<'_>| -> AppResult<()> {
            for _ in 0..batch {
                let body = purser_core::events::SaleCompleted::new(
                    ids.new_id(),
                    a.next_receipt_no(),
                    "EUR",
                    None,
                    template.clone(),
                    settlement.clone(),
                    None,
                );
                a.emit(&ctx, ids.new_id(), EventBody::SaleCompleted(body), topic)?;
            }
            Ok(())
        })?;
        written += batch;
    }
    Ok(())
}

fn raw_produce(cfg: &Config, topic: &str, rows: &[purser_store::OutboxRow]) -> AppResult<Duration> {
    let producer: BaseProducer =
        purser_stream::relay::producer_config(&cfg.kafka, RelayOptions::default().max_in_flight)
            .set("statistics.interval.ms", "0")
            .create()
            .map_err(err)?;
    let t0 = Instant::now();
    for row in rows {
        let mut headers = OwnedHeaders::new_with_capacity(row.headers.len());
        for (k, v) in &row.headers {
            headers = headers.insert(Header {
                key: k,
                value: Some(v.as_bytes()),
            });
        }
        let mut rec = BaseRecord::to(topic)
            .key(row.key.as_bytes())
            .payload(row.payload.as_bytes())
            .headers(headers);
        loop {
            match producer.send(rec) {
                Ok(()) => break,
                Err((_, back)) => {
                    producer.poll(Duration::from_millis(1));
                    rec = back;
                }
            }
        }
        producer.poll(Duration::ZERO);
    }
    producer.flush(Duration::from_secs(300)).map_err(err)?;
    Ok(t0.elapsed())
}

fn relay_bench(a: &RelayBench) -> AppResult<()> {
    let dir = work_dir(&a.dir)?;
    let embedded = match &a.bootstrap {
        Some(_) => None,
        None => Some(EmbeddedBroker::start(&Default::default()).map_err(err)?),
    };
    let bootstrap = match (&a.bootstrap, &embedded) {
        (Some(b), _) => b.clone(),
        (None, Some(e)) => e.bootstrap_servers(),
        (None, None) => return Err(err("no broker")),
    };
    let kafka = purser_stream::KafkaConfig {
        bootstrap_servers: bootstrap.clone(),
        ..Default::default()
    };
    println!("relay drain of a {}-event backlog to {bootstrap}", a.events);
    let mut raw_rates = Vec::new();
    let mut relay_rates = Vec::new();
    for round in 0..a.rounds {
        let name = format!("R{round}-{}", std::process::id());
        let relay_topic = format!("bench.relay.{name}");
        let raw_topic = format!("bench.raw.{name}");
        let specs: Vec<_> = [&relay_topic, &raw_topic]
            .iter()
            .map(|t| purser_stream::admin::TopicSpec {
                name: (*t).clone(),
                partitions: 3,
                replication: 1,
                config: vec![],
            })
            .collect();
        match &embedded {
            // The embedded (mock) broker has no CreateTopics API; it creates topics itself.
            Some(e) => {
                for t in &specs {
                    e.cluster()
                        .create_topic(&t.name, t.partitions, t.replication)
                        .map_err(err)?;
                }
            }
            None => {
                purser_stream::admin::ensure_topics(&kafka, &specs, Duration::from_secs(10))
                    .map_err(err)?;
            }
        }
        let (cfg, _till) = bench_till(&dir, &name, &bootstrap)?;
        fill_outbox(&cfg, a.events, &relay_topic)?;
        let rows = Store::open(&cfg.database)?.outbox_pending(0, a.events)?;
        let java = match &a.kafka_perf {
            Some(tool) => Some(kafka_perf(tool, &kafka, &dir, &name, &rows)?),
            None => None,
        };
        let raw = raw_produce(&cfg, &raw_topic, &rows)?;
        drop(rows);
        let mut relay =
            Relay::new(&cfg.database, cfg.kafka.clone(), RelayOptions::default()).map_err(err)?;
        let stop = Arc::new(AtomicBool::new(false));
        let t0 = Instant::now();
        let sent = relay
            .run(
                &stop,
                RunMode::UntilEmpty {
                    deadline: Some(Duration::from_secs(600)),
                },
            )
            .map_err(err)?;
        let relay_time = t0.elapsed();
        if sent as usize != a.events {
            return Err(err(format!("relay sent {sent} of {} events", a.events)));
        }
        let raw_rate = a.events as f64 / raw.as_secs_f64();
        let relay_rate = a.events as f64 / relay_time.as_secs_f64();
        println!(
            "  round {}: raw producer {:>8.0} events/s ({:.2} s)   relay {:>8.0} events/s ({:.2} s)   ratio {:.2}",
            round + 1,
            raw_rate,
            raw.as_secs_f64(),
            relay_rate,
            relay_time.as_secs_f64(),
            relay_rate / raw_rate
        );
        if let Some(j) = java {
            println!(
                "           Kafka's producer perf tool {j:>8.0} records/s   relay / tool {:.2}",
                relay_rate / j
            );
        }
        raw_rates.push(raw_rate);
        relay_rates.push(relay_rate);
    }
    let raw_mean = raw_rates.iter().sum::<f64>() / raw_rates.len() as f64;
    let relay_mean = relay_rates.iter().sum::<f64>() / relay_rates.len() as f64;
    println!(
        "  mean: raw {raw_mean:.0} events/s, relay {relay_mean:.0} events/s, relay/raw = {:.2}",
        relay_mean / raw_mean
    );
    Ok(())
}

/// Runs Kafka's own producer benchmark (Java client) with `rows.len()` records whose
/// payloads are drawn from the first 10,000 of `rows`, to a topic of its own; returns its
/// records/s. It sends no keys or headers (the tool has none), so it is a little lighter.
fn kafka_perf(
    tool: &Path,
    kafka: &purser_stream::KafkaConfig,
    dir: &Path,
    name: &str,
    rows: &[purser_store::OutboxRow],
) -> AppResult<f64> {
    let topic = format!("bench.java.{name}");
    purser_stream::admin::ensure_topics(
        kafka,
        &[purser_stream::admin::TopicSpec {
            name: topic.clone(),
            partitions: 3,
            replication: 1,
            config: vec![],
        }],
        Duration::from_secs(10),
    )
    .map_err(err)?;
    let payloads = dir.join(format!("{name}.payloads"));
    let mut text = String::new();
    for r in rows.iter().take(10_000) {
        text.push_str(&r.payload);
        text.push('\n');
    }
    std::fs::write(&payloads, text).map_err(err)?;
    let out = std::process::Command::new(tool)
        .args(["--topic", &topic, "--num-records", &rows.len().to_string()])
        .args(["--throughput", "-1", "--payload-file"])
        .arg(&payloads)
        .arg("--producer-props")
        .arg(format!("bootstrap.servers={}", kafka.bootstrap_servers))
        .args([
            "acks=all",
            "enable.idempotence=true",
            "compression.type=lz4",
            "linger.ms=5",
            "max.in.flight.requests.per.connection=5",
        ])
        .output()
        .map_err(|e| err(format!("cannot run {}: {e}", tool.display())))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(err(format!(
            "{} failed: {}{}",
            tool.display(),
            stdout,
            String::from_utf8_lossy(&out.stderr)
        )));
    }
    // The last line: "N records sent, R records/sec (M MB/sec), …".
    stdout
        .lines()
        .rev()
        .find_map(|l| {
            let (_, rest) = l.split_once("records sent, ")?;
            rest.split_whitespace().next()?.parse::<f64>().ok()
        })
        .ok_or_else(|| {
            err(format!(
                "no \"records sent\" line from the perf tool: {stdout}"
            ))
        })
}

/// Reads `topic` from the beginning to its high watermarks with a plain consumer.
fn raw_read(kafka: &purser_stream::KafkaConfig, topic: &str) -> AppResult<(usize, Duration)> {
    use rdkafka::consumer::{BaseConsumer, Consumer};
    let t0 = Instant::now();
    let c: BaseConsumer<purser_stream::context::QuietContext> = kafka
        .client_config()
        .set("group.id", "bench-raw")
        .set("enable.auto.commit", "false")
        .set("fetch.wait.max.ms", "100")
        .create_with_context(purser_stream::context::QuietContext)
        .map_err(err)?;
    let md = c
        .fetch_metadata(Some(topic), Duration::from_secs(10))
        .map_err(err)?;
    let mut tpl = rdkafka::TopicPartitionList::new();
    let mut remaining = Vec::new();
    for p in md.topics()[0].partitions() {
        let (_, high) = c
            .fetch_watermarks(topic, p.id(), Duration::from_secs(10))
            .map_err(err)?;
        if high > 0 {
            tpl.add_partition_offset(topic, p.id(), rdkafka::Offset::Beginning)
                .map_err(err)?;
            remaining.push((p.id(), high));
        }
    }
    c.assign(&tpl).map_err(err)?;
    let mut n = 0;
    while !remaining.is_empty() {
        if let Some(m) = c.poll(Duration::from_millis(200)) {
            let m = m.map_err(err)?;
            use rdkafka::Message;
            n += 1;
            remaining.retain(|(p, high)| !(*p == m.partition() && m.offset() + 1 >= *high));
        }
    }
    Ok((n, t0.elapsed()))
}

fn streams_bench(a: &StreamsBench) -> AppResult<()> {
    let dir = work_dir(&a.dir)?;
    let suffix = std::process::id();
    let topics = purser_stream::Topics {
        catalog: format!("bench.catalog.{suffix}"),
        inventory: format!("bench.inventory.{suffix}"),
        loyalty_accounts: format!("bench.accounts.{suffix}"),
        ..Default::default()
    };
    let embedded = match &a.bootstrap {
        Some(_) => None,
        None => Some(EmbeddedBroker::start(&topics).map_err(err)?),
    };
    let bootstrap = a
        .bootstrap
        .clone()
        .or_else(|| embedded.as_ref().map(EmbeddedBroker::bootstrap_servers))
        .unwrap_or_default();
    let kafka = purser_stream::KafkaConfig {
        bootstrap_servers: bootstrap.clone(),
        ..Default::default()
    };
    if embedded.is_none() {
        purser_stream::admin::ensure_topics(
            &kafka,
            &purser_stream::admin::inbound_topic_specs(&topics, 3, 1),
            Duration::from_secs(15),
        )
        .map_err(err)?;
    }
    let now = SystemClock.now();
    let record = |i: usize, price: i64| -> (String, Option<Vec<u8>>) {
        let body = format!("2{:011}", i);
        let code = purser_core::barcode::ean13_from_body(&body).unwrap_or_default();
        let rec = purser_core::inbound::CatalogRecord {
            schema_version: 1,
            sku: format!("SKU{i:06}"),
            name: format!("Product number {i} of the big catalog"),
            barcodes: vec![code],
            price: Money(price),
            currency: "EUR".into(),
            tax_class: "standard".into(),
            sold_by: SoldBy::Unit,
            category: Some(format!("Category {}", i % 40)),
            active: true,
            updated_at: now,
            modifier_groups: vec![],
        };
        (rec.sku.clone(), serde_json::to_vec(&rec).ok())
    };
    let first: Vec<_> = (0..a.products)
        .map(|i| record(i, 100 + (i as i64 % 900)))
        .collect();
    purser_stream::publish::publish(&kafka, &topics.catalog, &first, Duration::from_secs(120))
        .map_err(err)?;
    println!(
        "streams in: {} catalog records on {} at {bootstrap}",
        a.products, topics.catalog
    );

    let (raw_n, raw_t) = raw_read(&kafka, &topics.catalog)?;
    let (mut cfg, _) = bench_till(&dir, "S1", &bootstrap)?;
    cfg.store.store_id = "BENCH".into();
    let mut c = purser_stream::inbound::InboundConsumer::new(
        &cfg.database,
        kafka.clone(),
        &topics,
        "BENCH",
        "EUR",
        Default::default(),
    )
    .map_err(err)?;
    let t0 = Instant::now();
    c.run(
        &AtomicBool::new(false),
        purser_stream::inbound::InboundMode::CatchUp {
            deadline: Duration::from_secs(300),
        },
    )
    .map_err(err)?;
    let load = t0.elapsed();
    let count = Store::open(&cfg.database)?.product_count()?;
    println!(
        "  load from scratch:  {count} products in {:.2} s ({:.0} records/s)",
        load.as_secs_f64(),
        count as f64 / load.as_secs_f64()
    );
    println!(
        "  raw consumer:       {raw_n} records read in {:.2} s ({:.0} records/s)",
        raw_t.as_secs_f64(),
        raw_n as f64 / raw_t.as_secs_f64()
    );

    // Steady state: a full price update of every product, applied incrementally.
    let second: Vec<_> = (0..a.products)
        .map(|i| record(i, 200 + (i as i64 % 900)))
        .collect();
    purser_stream::publish::publish(&kafka, &topics.catalog, &second, Duration::from_secs(120))
        .map_err(err)?;
    let (raw2_n, raw2_t) = raw_read(&kafka, &topics.catalog)?;
    let t1 = Instant::now();
    let applied = c
        .run(
            &AtomicBool::new(false),
            purser_stream::inbound::InboundMode::CatchUp {
                deadline: Duration::from_secs(300),
            },
        )
        .map_err(err)?;
    let upd = t1.elapsed();
    let rate = applied as f64 / upd.as_secs_f64();
    let raw_rate = raw2_n as f64 / raw2_t.as_secs_f64();
    println!(
        "  updates applied:    {applied} in {:.2} s ({rate:.0} records/s)",
        upd.as_secs_f64()
    );
    println!(
        "  raw consumer:       {raw2_n} records read in {:.2} s ({raw_rate:.0} records/s)",
        raw2_t.as_secs_f64()
    );
    println!("  applied / raw: {:.2}", rate / raw_rate);
    Ok(())
}

// Word lists for generated product names, separated by "|" (an empty entry: no flavour).
const BRANDS: &str = concat!(
    "Alpina|Bergmann|Cascade|Dalia|Edelweiss|Fjord|Granja|Highland|Isola|Jardin|Kestrel|",
    "Lindqvist|Maison Blanc|Nordic|Oakridge|Provence|Quinta|Riviera|Sierra|Tuscany|",
    "Umbria|Valdor|Westbrook|Yorkshire|Zephyr|Aurora|Baltic|Coastal|Delft|Emerald|Fiordo|",
    "Golden Sands|Harbour|Iberia|Juniper|Kilimanjaro|Lagoon|Meridian|Neptune|Olympia|",
    "Pacifica|Queen's|Royal Crest|Saint-Émile|Tivoli|Unity|Vesuvio|Windmill|Xanadu|",
    "Yarrow|Zanzibar|Atlas|Brisa|Crème d'Or|Dolomiti|Éclair|Farmhouse|Glacier|Hacienda|",
    "Islander",
);
const DESCRIPTORS: &str = concat!(
    "organic|smoked|sparkling|still|dark|milk|white|whole|light|spicy|mild|classic|",
    "premium|roasted|salted|unsalted|sweet|sour|fresh|frozen|dried|crispy|creamy|crunchy|",
    "zesty|aged|young|extra virgin|wholegrain|gluten-free|vegan|low-fat|sugar-free|decaf|",
    "double|single origin|wild|free-range|hand-made|stone-baked|slow-cooked|chilled|iced|",
    "hot|mini|family size|traditional|rustic|artisan|golden|red|green|black|rosé|brut|",
    "dry|medium|strong|pure",
);
const GOODS: &str = concat!(
    "coffee|espresso|tea|chocolate|biscuits|cookies|crackers|crisps|cheddar|gouda|brie|",
    "camembert|parmesan|mozzarella|yoghurt|butter|milk|cream|ice cream|sorbet|lemonade|",
    "cola|tonic|soda water|mineral water|orange juice|apple juice|cider|lager|ale|stout|",
    "IPA|pilsner|wine|champagne|prosecco|gin|vodka|rum|whisky|brandy|liqueur|olive oil|",
    "vinegar|mustard|ketchup|mayonnaise|pesto|pasta|spaghetti|penne|rice|couscous|quinoa|",
    "oats|granola|muesli|cereal|bread|baguette|croissant|brioche|muffin|bagel|pretzel|",
    "cake|brownie|tart|pie|pizza|lasagne|soup|salad|sandwich|wrap|burger|sausages|bacon|",
    "ham|salami|chorizo|chicken|turkey|salmon|tuna|sardines|prawns|mussels|hummus|olives|",
    "peanuts|almonds|cashews|pistachios|walnuts|raisins|honey|jam|marmalade|syrup|sugar|",
    "flour|salt|pepper|paprika|cinnamon|vanilla pods|tomatoes|potatoes|carrots|onions|",
    "garlic|mushrooms|bananas|apples|pears|grapes|strawberries|blueberries|lemons|limes|",
    "oranges|melon|pineapple|mango|avocado|sunscreen|toothpaste|shampoo|soap|tissues|",
    "batteries|postcard|playing cards|sunglasses|beach towel|flip-flops",
);
const FLAVOURS: &str = concat!(
    "||||vanilla|lemon|mint|hazelnut|caramel|raspberry|cherry|peach|coconut|ginger|",
    "chilli|garlic|herb|truffle|sea salt|honey|cinnamon|orange|lime|elderflower|",
    "blackcurrant|pomegranate|pistachio|espresso|cocoa|maple|smoky bbq|sour cream|",
    "cheese & onion|jalapeño",
);
const SIZES: &str = concat!(
    "100 g|150 g|200 g|250 g|400 g|500 g|1 kg|33 cl|50 cl|75 cl|1 l|1.5 l|6 x 33 cl|",
    "4 pack|12 pack|single|large|small|each",
);

fn pick(rng: &mut Lcg, from: &'static str) -> &'static str {
    let n = from.split('|').count() as u64;
    from.split('|')
        .nth(rng.below(n) as usize)
        .unwrap_or_default()
}

/// A plausible shop product name: brand, descriptor, goods, maybe a flavour, a size.
fn product_name(rng: &mut Lcg) -> String {
    let flavour = pick(rng, FLAVOURS);
    let mut name = format!(
        "{} {} {}",
        pick(rng, BRANDS),
        pick(rng, DESCRIPTORS),
        pick(rng, GOODS)
    );
    if !flavour.is_empty() {
        name.push(' ');
        name.push_str(flavour);
    }
    name.push(' ');
    name.push_str(pick(rng, SIZES));
    name
}

fn search_catalog(n: usize) -> Vec<purser_core::catalog::Product> {
    let mut rng = Lcg::new(42);
    (0..n)
        .map(|i| {
            let body = format!("3{:011}", i);
            purser_core::catalog::Product {
                sku: format!("P{i:06}"),
                name: product_name(&mut rng),
                barcodes: vec![format!(
                    "0{}",
                    purser_core::barcode::ean13_from_body(&body).unwrap_or_default()
                )],
                price: Money(50 + rng.below(5000) as i64),
                tax_class: if i % 3 == 0 { "reduced" } else { "standard" }.into(),
                sold_by: SoldBy::Unit,
                category: None,
                // About one in fifty is delisted but still on file.
                active: i % 50 != 0,
                modifier_groups: vec![],
            }
        })
        .collect()
}

/// The search box's query mix: what a cashier types, a word at a time.
fn search_queries(n: usize) -> Vec<(&'static str, String)> {
    let mut rng = Lcg::new(7);
    let word = |rng: &mut Lcg| -> String {
        let all = [BRANDS, DESCRIPTORS, GOODS, FLAVOURS];
        let list = all[rng.below(all.len() as u64) as usize];
        let w = pick(rng, list);
        let w = w.split(' ').next().unwrap_or(w);
        if w.chars().count() < 3 {
            "choc".to_string()
        } else {
            w.to_lowercase()
        }
    };
    let prefix = |w: &str, n: usize| -> String { w.chars().take(n).collect() };
    (0..n)
        .map(|i| match i % 4 {
            0 => ("1 letter", prefix(&word(&mut rng), 1)),
            1 => ("2 letters", prefix(&word(&mut rng), 2)),
            2 => ("3 letters", prefix(&word(&mut rng), 3)),
            _ => {
                // A brand or descriptor, then goods, one of them in part: "riviera choc",
                // "smok salmon".
                let list = if rng.below(2) == 0 {
                    BRANDS
                } else {
                    DESCRIPTORS
                };
                let first = pick(&mut rng, list);
                let first = first.split(' ').next().unwrap_or(first).to_lowercase();
                let goods = pick(&mut rng, GOODS).to_lowercase();
                let cut = 3 + rng.below(3) as usize;
                let q = if rng.below(3) == 0 {
                    format!("{} {}", prefix(&first, cut), goods)
                } else {
                    format!("{first} {}", prefix(&goods, cut))
                };
                ("multi-word", q)
            }
        })
        .collect()
}

/// The search as it was before FTS5 (the baseline): a LIKE scan over name and SKU.
fn like_search(conn: &rusqlite::Connection, text: &str, limit: usize) -> AppResult<usize> {
    let pattern = format!(
        "%{}%",
        text.replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    );
    let mut stmt = conn
        .prepare_cached(
            "SELECT p.sku, p.name, p.price, p.tax_class, p.sold_by, p.category, p.active,
               (SELECT group_concat(gtin, ',') FROM product_barcodes b WHERE b.sku = p.sku) FROM products p
             WHERE p.active = 1 AND (p.name LIKE ?1 ESCAPE '\\' OR p.sku LIKE ?1 ESCAPE '\\') ORDER BY p.name LIMIT ?2",
        )
        .map_err(err)?;
    let rows = stmt
        .query_map(rusqlite::params![pattern, limit as i64], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, Option<String>>(7)?,
            ))
        })
        .map_err(err)?;
    let mut n = 0;
    for row in rows {
        row.map_err(err)?;
        n += 1;
    }
    Ok(n)
}

fn search_bench(a: &SearchBench) -> AppResult<()> {
    let dir = work_dir(&a.dir)?;
    let catalog = search_catalog(a.products);
    let queries = search_queries(a.queries);
    println!(
        "product search over {} products ({} active), {} queries, limit {}",
        a.products,
        catalog.iter().filter(|p| p.active).count(),
        queries.len(),
        a.limit
    );
    println!("  folder: {}", dir.display());

    // Two tills with the same catalog: one as shipped (FTS5 index kept by triggers), one
    // with the triggers dropped first, as a till was before the index (the import baseline).
    let open = |name: &str| -> AppResult<(Config, Till)> {
        let cfg = Config::new_till(
            "BENCH",
            name,
            "EUR",
            "inclusive",
            "UTC",
            dir.join(format!("{name}.db")),
        );
        let settings = cfg.settings()?;
        Till::init(&settings, SystemClock.now())?;
        Ok((cfg, open_till(settings)?))
    };
    let (plain_cfg, mut plain) = open("NOFTS")?;
    rusqlite::Connection::open(&plain_cfg.database)
        .and_then(|c| {
            c.execute_batch(
                "DROP TRIGGER products_fts_insert; DROP TRIGGER products_fts_update; DROP TRIGGER products_fts_delete;",
            )
        })
        .map_err(err)?;
    let t0 = Instant::now();
    plain.import_products(&catalog)?;
    let plain_import = t0.elapsed();
    drop(plain);
    let (cfg, mut till) = open("FTS")?;
    let t0 = Instant::now();
    till.import_products(&catalog)?;
    let fts_import = t0.elapsed();
    println!(
        "  import of {} products, one transaction: {:.2} s with the search index, {:.2} s without ({:.2}x)",
        a.products,
        fts_import.as_secs_f64(),
        plain_import.as_secs_f64(),
        fts_import.as_secs_f64() / plain_import.as_secs_f64()
    );

    let like = rusqlite::Connection::open(&cfg.database).map_err(err)?;
    // Warm both paths (page cache, prepared statements) before measuring.
    for (_, q) in queries.iter().take(50) {
        till.search_products(q, a.limit)?;
        like_search(&like, q, a.limit)?;
    }
    let classes = ["1 letter", "2 letters", "3 letters", "multi-word"];
    let mut fts_t: Vec<Vec<Duration>> = vec![Vec::new(); classes.len()];
    let mut like_t: Vec<Vec<Duration>> = vec![Vec::new(); classes.len()];
    let mut fts_hits = vec![0usize; classes.len()];
    let mut like_hits = vec![0usize; classes.len()];
    for (class, q) in &queries {
        let c = classes.iter().position(|k| k == class).unwrap_or(0);
        let t = Instant::now();
        let found = till.search_products(q, a.limit)?;
        fts_t[c].push(t.elapsed());
        fts_hits[c] += found.len();
        let t = Instant::now();
        like_hits[c] += like_search(&like, q, a.limit)?;
        like_t[c].push(t.elapsed());
    }
    println!(
        "  {:<12} {:>7} {:>9} {:>9} {:>9}   {:>9} {:>9} {:>9}",
        "", "queries", "FTS p50", "FTS p99", "results", "LIKE p50", "LIKE p99", "results"
    );
    let mut all_fts = Vec::new();
    let mut all_like = Vec::new();
    for (c, class) in classes.iter().enumerate() {
        let n = fts_t[c].len().max(1);
        fts_t[c].sort();
        like_t[c].sort();
        println!(
            "  {:<12} {:>7} {:>6.3} ms {:>6.3} ms {:>9.1}   {:>6.3} ms {:>6.3} ms {:>9.1}",
            class,
            fts_t[c].len(),
            pct(&fts_t[c], 0.5),
            pct(&fts_t[c], 0.99),
            fts_hits[c] as f64 / n as f64,
            pct(&like_t[c], 0.5),
            pct(&like_t[c], 0.99),
            like_hits[c] as f64 / n as f64,
        );
        all_fts.extend_from_slice(&fts_t[c]);
        all_like.extend_from_slice(&like_t[c]);
    }
    all_fts.sort();
    all_like.sort();
    println!(
        "  {:<12} {:>7} {:>6.3} ms {:>6.3} ms {:>9}   {:>6.3} ms {:>6.3} ms  (max FTS {:.3} ms, LIKE {:.3} ms)",
        "all",
        all_fts.len(),
        pct(&all_fts, 0.5),
        pct(&all_fts, 0.99),
        "",
        pct(&all_like, 0.5),
        pct(&all_like, 0.99),
        pct(&all_fts, 1.0),
        pct(&all_like, 1.0),
    );
    println!("  (results: mean rows returned; LIKE matches the typed text as one substring)");

    // The catalog stream's rebuild of the whole view goes through the same triggers.
    let now = SystemClock.now();
    let records: Vec<purser_store::Consumed> = catalog
        .iter()
        .enumerate()
        .map(|(i, p)| purser_store::Consumed {
            partition: 0,
            offset: i as i64,
            key: Some(p.sku.clone()),
            outcome: Ok(purser_core::inbound::Inbound::Product(p.clone())),
            excerpt: None,
        })
        .collect();
    let mut store = Store::open(&cfg.database)?;
    let t0 = Instant::now();
    store.rebuild_inbound(
        purser_core::inbound::InboundKind::Catalog,
        "bench.catalog",
        &records,
        &[(0, records.len() as i64)],
        now,
    )?;
    let rebuild = t0.elapsed();
    let mut plain_store = Store::open(&plain_cfg.database)?;
    let t0 = Instant::now();
    plain_store.rebuild_inbound(
        purser_core::inbound::InboundKind::Catalog,
        "bench.catalog",
        &records,
        &[(0, records.len() as i64)],
        now,
    )?;
    let plain_rebuild = t0.elapsed();
    println!(
        "  stream view rebuild of {} products (delete all, apply all): {:.2} s with the index, {:.2} s without",
        records.len(),
        rebuild.as_secs_f64(),
        plain_rebuild.as_secs_f64()
    );
    let check = till.search_products(&queries[3].1, a.limit)?.len();
    println!("  after the rebuild, '{}' finds {check}", queries[3].1);
    Ok(())
}

pub fn run(cmd: &BenchCmd) -> AppResult<()> {
    match cmd {
        BenchCmd::Search(a) => search_bench(a),
        BenchCmd::Streams(a) => streams_bench(a),
        BenchCmd::Sale(a) => sale_bench(a),
        BenchCmd::Relay(a) => relay_bench(a),
        BenchCmd::ReportLatency(a) => report_latency_bench(a),
    }
}

/// A till sells at a steady pace with its relay running (woken after each sale, as the
/// window does); the manager's consumer runs beside it as in the window; the manager's
/// figures (`Reports::summary` for today, folded from the reporting store) are polled
/// every millisecond until the sale's transaction is counted. Two figures per sale: when
/// its event is committed in the reporting store, and when today's summary includes it.
fn report_latency_bench(a: &ReportLatencyBench) -> AppResult<()> {
    let dir = work_dir(&a.dir)?;
    let embedded = match &a.bootstrap {
        Some(_) => None,
        None => Some(
            EmbeddedBroker::start(&purser_stream::Topics::default())
                .map_err(|e| AppError::new(ErrorCode::KafkaUnreachable, e))?,
        ),
    };
    let bootstrap = match (&a.bootstrap, &embedded) {
        (Some(b), _) => b.clone(),
        (None, Some(e)) => e.bootstrap_servers(),
        (None, None) => return Err(err("no broker")),
    };
    let (cfg, mut till) = bench_till(&dir, "T1", &bootstrap)?;
    if a.bootstrap.is_some() {
        let specs = purser_stream::admin::store_topic_specs(&cfg.topics, 3, 1);
        purser_stream::admin::ensure_topics(&cfg.kafka, &specs, Duration::from_secs(20))
            .map_err(err)?;
    }
    let settings = cfg.settings()?;
    till.open_shift("bench", Money(10_000))?;
    let relay = purser_app::runtime::RelayHandle::start(&settings, RelayOptions::default())?;
    let stop = Arc::new(AtomicBool::new(false));
    let consumer = {
        let (stop, settings) = (stop.clone(), settings.clone());
        std::thread::spawn(move || -> Result<u64, String> {
            let mut c = purser_stream::report::ReportConsumer::new(
                &purser_app::report::report_db_path(&settings),
                settings.config.kafka.clone(),
                &settings.config.topics,
                &settings.config.store.store_id,
            )
            .map_err(|e| e.to_string())?;
            c.run(&stop, purser_stream::inbound::InboundMode::Forever)
                .map_err(|e| e.to_string())
        })
    };
    let reports = purser_app::report::Reports::open(&settings)?;
    let codes: Vec<String> = demo_catalog()
        .iter()
        .filter(|p| p.sold_by == SoldBy::Unit)
        .map(|p| p.barcodes[0].trim_start_matches('0').to_string())
        .collect();
    let mut rng = Lcg::new(7);
    let store = purser_store::ReportStore::open(&purser_app::report::report_db_path(&settings))?;
    // Warm-up: the first sale also waits for the consumer's assignment.
    let warm = till.sell(&three_item_sale(&mut rng, &codes, 0))?;
    relay.wake();
    let t0 = Instant::now();
    while !store.has_event(&warm.event.header.event_id)? {
        if consumer.is_finished() {
            let why = match consumer.join() {
                Ok(Err(e)) => e,
                _ => "it stopped".into(),
            };
            return Err(err(format!("the manager's consumer failed: {why}")));
        }
        if t0.elapsed() > Duration::from_secs(60) {
            return Err(err(format!(
                "the warm-up sale never reached the manager's figures (relay: {:?})",
                relay.status()
            )));
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let today = |r: &purser_app::report::Reports| -> AppResult<i64> {
        let q = purser_app::report::ReportQuery::parse(
            None,
            None,
            None,
            None,
            None,
            r.today(SystemClock.now()),
        )?;
        Ok(r.summary(&q)?.summary.transactions)
    };
    let mut stored_t = Vec::with_capacity(a.sales);
    let mut figures_t = Vec::with_capacity(a.sales);
    let mut fold_t = Vec::with_capacity(a.sales);
    for n in 1..=a.sales {
        let req = three_item_sale(&mut rng, &codes, n);
        let r = till.sell(&req)?;
        let t0 = Instant::now();
        relay.wake();
        let id = r.event.header.event_id;
        let mut stored = None;
        loop {
            if stored.is_none() && store.has_event(&id)? {
                stored = Some(t0.elapsed());
            }
            if stored.is_some() {
                let f = Instant::now();
                let counted = today(&reports)?;
                fold_t.push(f.elapsed());
                if counted >= i64::try_from(n + 1).unwrap_or(i64::MAX) {
                    figures_t.push(t0.elapsed());
                    break;
                }
            }
            if t0.elapsed() > Duration::from_secs(30) {
                return Err(err(format!(
                    "sale {n} did not reach the manager's figures in 30 s"
                )));
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        stored_t.push(stored.unwrap_or_default());
        std::thread::sleep(Duration::from_millis(a.interval_ms));
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let _ = consumer.join();
    let _ = relay.stop();
    stored_t.sort();
    figures_t.sort();
    fold_t.sort();
    println!(
        "report latency: {} sales on {} ({}), one every {} ms",
        a.sales,
        if a.bootstrap.is_some() {
            "a Kafka cluster"
        } else {
            "the embedded broker"
        },
        bootstrap,
        a.interval_ms
    );
    let line = |name: &str, v: &[Duration]| {
        println!(
            "  {name:<38} p50 {:>7.1} ms   p95 {:>7.1} ms   max {:>7.1} ms",
            pct(v, 0.5),
            pct(v, 0.95),
            pct(v, 1.0)
        );
    };
    line("sale -> event in the reporting store", &stored_t);
    line("sale -> counted in today's summary", &figures_t);
    line("  (one summary fold of today)", &fold_t);
    Ok(())
}
