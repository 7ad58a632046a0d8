//! `purser demo`: a whole day at a bar till, on an embedded broker, printed as it goes.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::Args;

use purser_app::demo::{demo_catalog, demo_sale, Lcg};
use purser_app::error::{AppError, AppResult, ErrorCode};
use purser_app::receipt;
use purser_app::runtime::{open_till, RelayHandle, SystemClock};
use purser_app::till::{RefundRequest, RefundScope};
use purser_app::Till;
use purser_core::clock::Clock;
use purser_core::money::Money;
use purser_core::sale::RefundRequestLine;
use purser_core::shift::ReportKind;
use purser_core::tender::TenderInput;
use purser_stream::embedded::EmbeddedBroker;
use purser_stream::RelayOptions;

#[derive(Args, Debug)]
pub struct DemoArgs {
    /// Number of sales in the day
    #[arg(long, default_value_t = 40)]
    sales: u64,
    /// Use this Kafka cluster instead of the embedded broker
    #[arg(long, env = "PURSER_DEMO_BOOTSTRAP")]
    bootstrap: Option<String>,
    /// Keep the till's files here (default: a new temporary folder, kept afterwards)
    #[arg(long)]
    dir: Option<PathBuf>,
    /// No pauses between sales
    #[arg(long)]
    fast: bool,
    /// Random seed for the day's baskets
    #[arg(long, default_value_t = 7)]
    seed: u64,
}

fn err(e: impl std::fmt::Display) -> AppError {
    AppError::new(ErrorCode::Internal, e.to_string())
}

pub fn run(a: &DemoArgs) -> AppResult<()> {
    let dir = match &a.dir {
        Some(d) => d.clone(),
        None => tempfile::Builder::new()
            .prefix("purser-demo-")
            .tempdir()
            .map_err(err)?
            .keep(),
    };
    std::fs::create_dir_all(&dir).map_err(err)?;
    let db = dir.join("till.db");
    if db.exists() {
        return Err(AppError::new(
            ErrorCode::InvalidConfig,
            format!(
                "{} already holds a till; give an empty --dir",
                dir.display()
            ),
        ));
    }
    let mut cfg = purser_app::demo::demo_config(&dir, "TILL-1", "");
    let broker = match &a.bootstrap {
        Some(b) => {
            cfg.kafka.bootstrap_servers = b.clone();
            let specs = purser_stream::admin::store_topic_specs(&cfg.topics, 3, 1);
            purser_stream::admin::ensure_topics(&cfg.kafka, &specs, Duration::from_secs(10))
                .map_err(|e| AppError::new(ErrorCode::KafkaUnreachable, e))?;
            None
        }
        None => {
            let b = EmbeddedBroker::start(&cfg.topics)
                .map_err(|e| AppError::new(ErrorCode::KafkaUnreachable, e))?;
            cfg.kafka.bootstrap_servers = b.bootstrap_servers();
            Some(b)
        }
    };
    cfg.save(&dir.join("purser.toml"))?;
    let settings = cfg.settings()?;
    Till::init(&settings, SystemClock.now())?;
    let mut till = open_till(settings.clone())?;
    purser_app::demo::ensure_demo_users(&mut till)?;
    // Ben, the demo store's supervisor, approves the refund and the void with his PIN.
    let ben = purser_app::demo::demo_approver(&mut till, "ben")?;
    let catalog = demo_catalog();
    println!("Purser demo: store DEMO-STORE, till TILL-1");
    println!("  files:  {}", dir.display());
    println!(
        "  broker: {} ({})",
        cfg.kafka.bootstrap_servers,
        if broker.is_some() {
            "embedded Kafka-protocol broker"
        } else {
            "external"
        }
    );
    println!();

    // Headquarters publishes the catalog, stock and members; the till reads them from the
    // store's cluster like any other till would.
    let t = Duration::from_secs(30);
    purser_app::demo::publish_demo_reference(&settings, a.seed, t)?;
    let publish = |topic: &str, records: &[(String, Option<Vec<u8>>)]| {
        purser_stream::publish::publish(&cfg.kafka, topic, records, t)
            .map_err(|e| AppError::new(ErrorCode::KafkaUnreachable, e))
    };
    let mut rng = Lcg::new(a.seed);
    let mut inbound = purser_stream::inbound::InboundConsumer::new(
        &cfg.database,
        cfg.kafka.clone(),
        &cfg.topics,
        &cfg.store.store_id,
        &settings.currency.code,
        purser_stream::inbound::InboundOptions::default(),
    )
    .map_err(err)?;
    let (changes_tx, changes) = std::sync::mpsc::channel();
    inbound.notify(changes_tx);
    let loaded = Instant::now();
    inbound
        .run(
            &std::sync::atomic::AtomicBool::new(false),
            purser_stream::inbound::InboundMode::CatchUp { deadline: t },
        )
        .map_err(err)?;
    println!(
        "  {} products, stock for {} SKUs and {} members arrived through {}, {} and {} in {} ms",
        catalog.len(),
        catalog.len(),
        purser_app::reference::demo_members(SystemClock.now()).len(),
        cfg.topics.catalog,
        cfg.topics.inventory,
        cfg.topics.loyalty_accounts,
        loaded.elapsed().as_millis()
    );
    let inbound_stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let inbound_thread = {
        let stop = inbound_stop.clone();
        std::thread::spawn(move || inbound.run(&stop, purser_stream::inbound::InboundMode::Forever))
    };
    while changes.try_recv().is_ok() {}
    println!();

    let relay = RelayHandle::start(&settings, RelayOptions::default())?;
    let opened = till.open_shift("alice", Money(15_000))?;
    println!(
        "09:00  shift opened by alice, float EUR 150.00 (event till_seq {})",
        opened.event.header.till_seq
    );

    let pause = if a.fast {
        Duration::ZERO
    } else {
        Duration::from_millis(120)
    };
    let outage = (a.sales / 3, a.sales / 3 + a.sales / 5);
    let mut receipts = Vec::new();
    let mut first_receipt = None;
    for n in 1..=a.sales {
        if broker.is_some() && n == outage.0 {
            broker
                .as_ref()
                .map(|b| b.set_down(true))
                .transpose()
                .map_err(err)?;
            println!("       --- the store's Kafka goes down: selling goes on, events wait in the outbox ---");
        }
        if broker.is_some() && n == outage.1 {
            broker
                .as_ref()
                .map(|b| b.set_down(false))
                .transpose()
                .map_err(err)?;
            let backlog = till.outbox_status()?.pending;
            println!("       --- Kafka is back with {backlog} events waiting ---");
            let back = Instant::now();
            while till.outbox_status()?.pending > 0 && back.elapsed() < Duration::from_secs(30) {
                relay.wake();
                std::thread::sleep(Duration::from_millis(50));
            }
            println!(
                "       --- the relay reconnected and sent the backlog in order, in {} ms ---",
                back.elapsed().as_millis()
            );
        }
        if n == a.sales * 4 / 5 {
            // Headquarters changes a price mid-day; the till picks it up within a second.
            let mut p = catalog[0].clone();
            p.price += Money(30);
            let published = Instant::now();
            publish(
                &cfg.topics.catalog,
                &purser_app::reference::catalog_records(
                    std::slice::from_ref(&p),
                    &settings,
                    SystemClock.now(),
                )?,
            )?;
            let applied = changes.recv_timeout(Duration::from_secs(10)).is_ok();
            let seen = till.lookup(&p.sku)?.price;
            println!(
                "       --- price of {} changed to {} at headquarters: {} at the till {} ms later ---",
                p.name,
                settings.money(p.price),
                if applied && seen == p.price { "live" } else { "NOT yet" },
                published.elapsed().as_millis()
            );
        }
        let req = demo_sale(&catalog, &mut rng, n, |r| {
            till.build_cart(r)
                .ok()
                .and_then(|c| {
                    c.price(&till.settings().taxes, till.settings().tax_mode)
                        .ok()
                })
                .map(|p| p.total)
        });
        let started = Instant::now();
        let sale = till.sell(&req)?;
        let took = started.elapsed();
        relay.wake();
        let tender = sale
            .body
            .tenders
            .iter()
            .map(|t| t.kind())
            .collect::<Vec<_>>()
            .join("+");
        let st = till.outbox_status()?;
        let rs = relay.status();
        println!(
            "{}  {:>2} items  EUR {:>7}  {:<10} recorded in {:>2}.{} ms   outbox: {:>3} waiting  [{}]",
            sale.body.receipt_no,
            sale.body.lines.len(),
            settings.money(sale.body.total),
            tender,
            took.as_millis(),
            took.as_micros() % 1000 / 100,
            st.pending,
            if rs.connected { "online" } else { "OFFLINE" }
        );
        if first_receipt.is_none() {
            first_receipt = Some(receipt::sale_text(&settings, &sale.event, &sale.body));
        }
        receipts.push(sale.body);
        std::thread::sleep(pause);
    }
    if let Some(text) = first_receipt {
        println!("\nThe first receipt of the day:\n{text}");
    }

    // A customer brings one item of the second sale back; a supervisor approves.
    let unit_line = |s: &&purser_core::events::SaleCompleted| {
        s.lines
            .iter()
            .any(|l| matches!(l.quantity, purser_core::cart::Quantity::Units(_)))
    };
    if let Some(sale) = receipts.iter().skip(1).find(unit_line) {
        let line = sale
            .lines
            .iter()
            .find(|l| matches!(l.quantity, purser_core::cart::Quantity::Units(_)))
            .unwrap_or(&sale.lines[0]);
        let r = till.refund(&RefundRequest {
            receipt_no: sale.receipt_no.clone(),
            scope: RefundScope::Lines(vec![RefundRequestLine {
                line_no: line.line_no,
                quantity: line.quantity.with_amount(1),
            }]),
            tender: TenderInput::Cash { tendered: None },
            reason: "customer changed their mind".into(),
            approver: ben.clone(),
        })?;
        println!(
            "{}  refund of 1 x {} from {}: EUR -{}",
            r.body.receipt_no,
            line.name,
            sale.receipt_no,
            settings.money(r.body.total)
        );
    }
    if let Some(sale) = receipts.last() {
        let v = till.void(&sale.receipt_no, "rung up on the wrong till", &ben)?;
        println!(
            "{}  post-voided (EUR -{})",
            v.body.receipt_no,
            settings.money(v.body.total)
        );
    }
    till.open_drawer("change for the tips jar", &ben)?;
    println!("       no-sale drawer open, approved by sam");

    let x = till.shift_report()?;
    let counted = x.expected_cash - Money(50);
    let z = till.close_shift(counted, ReportKind::Z)?;
    println!("\n{}", receipt::report_text(&settings, &z.body.report));

    // Let the relay deliver everything, then check what the cluster holds.
    let deadline = Instant::now() + Duration::from_secs(60);
    while till.outbox_status()?.pending > 0 && Instant::now() < deadline {
        relay.wake();
        std::thread::sleep(Duration::from_millis(100));
    }
    inbound_stop.store(true, std::sync::atomic::Ordering::Relaxed);
    inbound_thread
        .join()
        .map_err(|_| err("the stream consumer stopped unexpectedly"))?
        .map_err(err)?;
    let relay_stats = relay.status();
    drop(relay);
    let st = till.outbox_status()?;
    println!(
        "Outbox: {} of {} events acknowledged by the broker, {} waiting.",
        st.total_written - st.pending,
        st.total_written,
        st.pending
    );
    let topics = [
        cfg.topics.payments.as_str(),
        cfg.topics.tills.as_str(),
        cfg.topics.loyalty.as_str(),
    ];
    let records = purser_stream::readback::read_all(&cfg.kafka, &topics, Duration::from_secs(20))
        .map_err(err)?;
    let audit = purser_stream::readback::audit(&records).map_err(err)?;
    for t in topics {
        println!(
            "  {t}: {} records",
            records.iter().filter(|r| r.topic == t).count()
        );
    }
    println!(
        "  distinct events {}, duplicates on the wire {}, gaps {}, out of order {}, producer sessions {}",
        audit.distinct,
        audit.duplicates,
        audit.gaps.len(),
        audit.out_of_order.len(),
        relay_stats.producer_builds
    );
    let journal = till.verify_journal()?;
    println!(
        "  journal: {} entries, hash chain {}",
        journal.entries,
        if journal.ok() { "intact" } else { "BROKEN" }
    );
    if !audit.gaps.is_empty() || st.pending > 0 || !journal.ok() {
        return Err(AppError::new(
            ErrorCode::Internal,
            "the demo day did not reconcile; see above",
        ));
    }
    println!("\nEvery sale is in the till's journal and on the store's cluster, once, in order.");
    println!(
        "Try it yourself: purser --config {} outbox status",
        dir.join("purser.toml").display()
    );
    Ok(())
}
