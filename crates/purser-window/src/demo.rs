//! The embedded demo store the window opens with `--demo` (and the README's first
//! command): a till on an in-process broker, headquarters' reference data published to
//! it, the demo users, and the relay and streams running. The demo data itself (catalog,
//! users, sales) is `purser_app::demo`, which the `purser demo` commands share.

/// The embedded demo store in `dir`, ready for the window: a till on an in-process
/// broker (or on `PURSER_DEMO_BOOTSTRAP`'s cluster) that headquarters' catalog, stock and
/// members are published to, with the demo users, the relay and the streams running.
/// The in-process broker lives on a thread of its own until the program ends.
pub fn open_demo_desk(dir: &std::path::Path) -> purser_app::AppResult<crate::desk::Desk> {
    use purser_app::error::{AppError, ErrorCode};
    use purser_core::clock::Clock as _;
    std::fs::create_dir_all(dir).map_err(|e| {
        AppError::new(
            ErrorCode::Storage,
            format!("cannot create {}: {e}", dir.display()),
        )
    })?;
    let till_id = std::env::var("PURSER_DEMO_TILL").unwrap_or_else(|_| "TILL-1".into());
    let probe = purser_app::demo::demo_config(dir, &till_id, "");
    let bootstrap = match std::env::var("PURSER_DEMO_BOOTSTRAP") {
        Ok(b) if !b.trim().is_empty() => {
            let mut cfg = probe.clone();
            cfg.kafka.bootstrap_servers = b.clone();
            let specs = purser_stream::admin::store_topic_specs(&cfg.topics, 3, 1);
            // Another demo window's embedded broker (librdkafka's mock cluster) has the
            // topics already and does not answer CreateTopics: ask only when missing.
            let names: Vec<&str> = specs.iter().map(|t| t.name.as_str()).collect();
            let present =
                purser_stream::probe::probe(&cfg.kafka, &names, std::time::Duration::from_secs(5))
                    .map(|p| p.missing_topics.is_empty())
                    .unwrap_or(false);
            if !present {
                purser_stream::admin::ensure_topics(
                    &cfg.kafka,
                    &specs,
                    std::time::Duration::from_secs(10),
                )
                .map_err(|e| AppError::new(ErrorCode::KafkaUnreachable, e))?;
            }
            b
        }
        _ => {
            let b = embedded_broker(&probe.topics)?;
            // A second till (or a headless `purser`) joins this demo store's broker with
            // PURSER_DEMO_BOOTSTRAP=$(cat <data dir>/demo/broker.txt); see the README.
            if let Err(e) = std::fs::write(dir.join("broker.txt"), format!("{b}\n")) {
                tracing::warn!("broker address not written: {e}");
            }
            b
        }
    };
    let cfg = purser_app::demo::demo_config(dir, &till_id, &bootstrap);
    cfg.save(&dir.join("purser.toml"))?;
    let settings = cfg.settings()?;
    purser_app::Till::init(&settings, purser_app::runtime::SystemClock.now())?;
    let mut till = purser_app::runtime::open_till(settings.clone())?;
    purser_app::demo::ensure_demo_users(&mut till)?;
    // Headquarters publishes while the window comes up; the till picks it up from the
    // topics like any other update.
    let s = settings.clone();
    std::thread::spawn(move || {
        if let Err(e) =
            purser_app::demo::publish_demo_reference(&s, 7, std::time::Duration::from_secs(30))
        {
            tracing::error!("demo reference data not published: {e}");
        }
    });
    let links = Box::new(crate::background::Background::start(&settings)?);
    Ok(crate::desk::with_reports(
        crate::desk::Desk::new(till, links, dir.join("receipts"), true),
        &settings,
    ))
}

/// Starts the in-process broker on a thread that keeps it (it is not `Send`) for the rest
/// of the program; returns its bootstrap address.
fn embedded_broker(topics: &purser_stream::Topics) -> purser_app::AppResult<String> {
    use purser_app::error::{AppError, ErrorCode};
    let (tx, rx) = std::sync::mpsc::channel();
    let topics = topics.clone();
    std::thread::Builder::new()
        .name("purser-demo-broker".into())
        .spawn(
            move || match purser_stream::embedded::EmbeddedBroker::start(&topics) {
                Ok(broker) => {
                    let _ = tx.send(Ok(broker.bootstrap_servers()));
                    loop {
                        std::thread::park();
                    }
                }
                Err(e) => {
                    let _ = tx.send(Err(e));
                }
            },
        )
        .map_err(|e| AppError::new(ErrorCode::Internal, e.to_string()))?;
    rx.recv()
        .map_err(|e| AppError::new(ErrorCode::Internal, e.to_string()))?
        .map_err(|e| AppError::new(ErrorCode::KafkaUnreachable, e))
}
