//! `purser doctor`: every check an installer needs, each a pass / warn / fail line with
//! the fix. Nothing here changes the till.

use std::path::Path;
use std::time::Duration;

use serde::Serialize;

use crate::config::Config;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Pass,
    Warn,
    Fail,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Check {
    pub name: String,
    pub verdict: Verdict,
    pub detail: String,
    pub fix: Option<String>,
}

fn check(name: &str, verdict: Verdict, detail: impl Into<String>, fix: Option<&str>) -> Check {
    Check {
        name: name.into(),
        verdict,
        detail: detail.into(),
        fix: fix.map(str::to_string),
    }
}

fn age(d: chrono::Duration) -> String {
    let s = d.num_seconds().max(0);
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m", s / 60),
        3600..=86_399 => format!("{}h {}m", s / 3600, (s % 3600) / 60),
        _ => format!("{}d {}h", s / 86_400, (s % 86_400) / 3600),
    }
}

/// Runs every check against the till configured at `config_path`.
pub fn doctor(config_path: &Path, timeout: Duration) -> Vec<Check> {
    use Verdict::*;
    let mut out = Vec::new();
    let settings = match Config::load(config_path).and_then(|c| c.settings()) {
        Ok(s) => {
            out.push(check(
                "configuration",
                Pass,
                format!(
                    "{}: store {} till {}, {} {}",
                    config_path.display(),
                    s.config.store.store_id,
                    s.config.store.till_id,
                    s.currency.code,
                    s.tax_mode.as_str()
                ),
                None,
            ));
            s
        }
        Err(e) => {
            out.push(check(
                "configuration",
                Fail,
                e.message,
                Some("run `purser init` (or fix the file it names)"),
            ));
            return out;
        }
    };
    let cfg = &settings.config;

    // The receipt printer, when one is configured (a connection, nothing printed).
    if let Some(addr) = &cfg.till.printer {
        match crate::printout::send_to_printer(addr, &[], timeout.min(Duration::from_secs(3))) {
            Ok(()) => out.push(check("printer", Pass, format!("{addr} answers"), None)),
            Err(e) => out.push(check(
                "printer",
                Fail,
                e.to_string(),
                Some("switch the printer on, check its cable and IP address, or fix [till] printer; receipts can be saved as PDF meanwhile"),
            )),
        }
    }

    // The till's record.
    let store = match purser_store::Store::open(&cfg.database) {
        Ok(s) => s,
        Err(e) => {
            out.push(check("database", Fail, e.to_string(), Some("check the path and permissions in `database`; never replace a till database by hand")));
            return out;
        }
    };
    let version = store.schema_version().unwrap_or(0);
    let latest = purser_store::migrations::latest_version();
    match store.integrity_check() {
        Ok(ok) if ok == "ok" => out.push(check(
            "database",
            Pass,
            format!(
                "{} — schema v{version} (current v{latest}), integrity ok",
                cfg.database.display()
            ),
            None,
        )),
        Ok(problem) => out.push(check(
            "database",
            Fail,
            format!("integrity check: {problem}"),
            Some("stop selling on this till and restore the database from its backup"),
        )),
        Err(e) => out.push(check("database", Fail, e.to_string(), None)),
    }
    match crate::runtime::open_till(settings.clone()) {
        Ok(_) => {}
        Err(e) => {
            out.push(check("till identity", Fail, e.message, Some("point `database` at this till's own file, or re-run `purser init` for a new till")));
            return out;
        }
    }
    match store.verify_journal() {
        Ok(r) if r.ok() => out.push(check("journal", Pass, format!("{} entries, hash chain intact", r.entries), None)),
        Ok(r) => out.push(check(
            "journal",
            Fail,
            format!("{} problem(s): {}", r.problems.len(), r.problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")),
            Some("the till's record was altered: keep the file as evidence and tell the store manager"),
        )),
        Err(e) => out.push(check("journal", Fail, e.to_string(), None)),
    }

    // The machine.
    let dir = cfg
        .database
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    match rustix::fs::statvfs(dir) {
        Ok(v) => {
            let free = v.f_bavail.saturating_mul(v.f_frsize);
            let mib = free / (1024 * 1024);
            let text = format!("{mib} MiB free on the till database's disk");
            if mib < 100 {
                out.push(check(
                    "disk",
                    Fail,
                    text,
                    Some("free space now: a full disk stops recording sales"),
                ));
            } else if mib < 1024 {
                out.push(check(
                    "disk",
                    Warn,
                    text,
                    Some("free space soon; the outbox grows while the cluster is unreachable"),
                ));
            } else {
                out.push(check("disk", Pass, text, None));
            }
        }
        Err(e) => out.push(check(
            "disk",
            Warn,
            format!("cannot read free space: {e}"),
            None,
        )),
    }
    let now = chrono::Utc::now();
    let last = store
        .outbox_status()
        .ok()
        .and_then(|s| s.last_published_at.max(s.oldest_pending_at));
    if now.format("%Y").to_string().parse::<i32>().unwrap_or(0) < 2025 {
        out.push(check(
            "clock",
            Fail,
            format!("the clock says {now}"),
            Some("set the date and time (enable NTP); receipts and business dates depend on it"),
        ));
    } else if let Some(t) = last.filter(|t| *t > now + chrono::Duration::minutes(5)) {
        out.push(check(
            "clock",
            Fail,
            format!("the clock ({now}) is behind this till's own records ({t})"),
            Some("set the date and time (enable NTP)"),
        ));
    } else {
        out.push(check(
            "clock",
            Pass,
            format!("UTC {}", now.format("%Y-%m-%d %H:%M:%S")),
            None,
        ));
    }

    // The outbox.
    match store.outbox_status() {
        Ok(st) if st.pending == 0 => out.push(check(
            "outbox",
            Pass,
            format!("all {} events sent", st.total_written),
            None,
        )),
        Ok(st) => {
            let oldest = st
                .oldest_pending_at
                .map(|t| age(now - t))
                .unwrap_or_default();
            let detail = format!(
                "{} events waiting, oldest {oldest} ago{}",
                st.pending,
                st.last_error
                    .as_ref()
                    .map(|e| format!("; last error: {e}"))
                    .unwrap_or_default()
            );
            let denied = st.last_error.as_deref().is_some_and(|e| {
                let e = e.to_ascii_lowercase();
                e.contains("authoriz") || e.contains("authoris")
            });
            if denied {
                out.push(check("outbox", Fail, detail, Some("the cluster refuses this till's writes: grant its principal its rights with packaging/kafka/acls.sh (Write on the till topics); the events go by themselves once it may")));
            } else if let Some(b) = &st.blocked {
                let hint = if b.error.to_ascii_lowercase().contains("too large") {
                    "the topic's max.message.bytes (or the brokers' message.max.bytes) is smaller than this event: raise it to at least the till's [kafka.extra] message.max.bytes; the event and those behind it then go by themselves"
                } else {
                    "the cluster keeps refusing this event: fix what the error names; the event and those behind it then go by themselves, in order"
                };
                out.push(check(
                    "outbox",
                    Fail,
                    format!("{detail}; BLOCKED: {b}"),
                    Some(hint),
                ));
            } else if st
                .oldest_pending_at
                .is_some_and(|t| now - t > chrono::Duration::minutes(15))
            {
                out.push(check("outbox", Warn, detail, Some("check that `purser relay` (or the app) runs and the cluster is reachable; nothing is lost meanwhile")));
            } else {
                out.push(check("outbox", Pass, detail, None));
            }
        }
        Err(e) => out.push(check("outbox", Fail, e.to_string(), None)),
    }

    // The store's cluster.
    if cfg.kafka.bootstrap_servers.trim().is_empty() {
        out.push(check(
            "kafka",
            Warn,
            "no Kafka cluster configured: sales stay in the outbox",
            Some("set kafka.bootstrap_servers (purser init --bootstrap host:port)"),
        ));
        return out;
    }
    let t = &cfg.topics;
    let all = [
        &t.payments,
        &t.tills,
        &t.loyalty,
        &t.catalog,
        &t.inventory,
        &t.loyalty_accounts,
    ];
    let names: Vec<&str> = all.iter().map(|s| s.as_str()).collect();
    kafka_checks(cfg, &names, timeout, &mut out);

    // What the till has read.
    for topic in [&t.catalog, &t.inventory, &t.loyalty_accounts] {
        match store.stream_state(topic) {
            Ok(st) if st.last_applied_at.is_none() => out.push(check(
                &format!("stream {topic}"),
                Warn,
                "never read",
                Some("run `purser streams run --until-caught-up` (the app does this itself)"),
            )),
            Ok(st) if st.quarantined > 0 => out.push(check(
                &format!("stream {topic}"),
                Warn,
                format!(
                    "{} records applied, {} quarantined",
                    st.applied_total, st.quarantined
                ),
                Some("see `purser streams quarantine` and fix them at the source"),
            )),
            Ok(st) => out.push(check(
                &format!("stream {topic}"),
                Pass,
                format!(
                    "{} records applied, last {}",
                    st.applied_total,
                    st.last_applied_at
                        .map(|t| format!("{} ago", age(now - t)))
                        .unwrap_or_default()
                ),
                None,
            )),
            Err(e) => out.push(check(&format!("stream {topic}"), Fail, e.to_string(), None)),
        }
    }
    out
}

/// Who the cluster sees, for the fixes' texts.
fn principal(k: &purser_stream::KafkaConfig) -> String {
    use purser_stream::SecurityProtocol as P;
    match k.security_protocol {
        P::SaslSsl | P::SaslPlaintext => format!(
            "User:{}",
            k.sasl_username.as_deref().unwrap_or("<sasl_username>")
        ),
        P::Ssl => "User:<the CN of this till's certificate>".into(),
        P::Plaintext => "User:ANONYMOUS".into(),
    }
}

/// Reachability, authentication, each topic (there, visible to this till, its policy), and
/// the rights this till needs: write (a producer id), read on the reference topics, and
/// read on the till topics for the manager's view (optional).
fn kafka_checks(cfg: &Config, names: &[&str], timeout: Duration, out: &mut Vec<Check>) {
    use purser_stream::probe::{check_connection, check_read, check_write, Access, ProbeFailure};
    use Verdict::*;
    let t = &cfg.topics;
    let info = match check_connection(&cfg.kafka, names, timeout) {
        Ok(info) => info,
        Err(e) => {
            let fix = match e.failure {
                ProbeFailure::Authentication => "check kafka.sasl_username, kafka.sasl_mechanism and the password (PURSER_KAFKA_SASL_PASSWORD); the store's admin creates the user with packaging/kafka/acls.sh --scram-user; sales wait in the outbox meanwhile",
                ProbeFailure::Tls => "check kafka.ssl_ca_location (the store's CA) and, for mutual TLS, the till's certificate and key (signed by the store's CA, not expired); sales wait in the outbox meanwhile",
                ProbeFailure::Invalid | ProbeFailure::Unreachable => "check kafka.bootstrap_servers, the network, and the SASL/TLS settings; sales wait in the outbox meanwhile",
            };
            out.push(check("kafka", Fail, e.message, Some(fix)));
            return;
        }
    };
    let who = principal(&cfg.kafka);
    let grant = format!("grant {who} its rights: packaging/kafka/acls.sh --principal {who}");
    out.push(check(
        "kafka",
        Pass,
        format!(
            "reachable as {:?}: {}",
            cfg.kafka.security_protocol,
            info.brokers.join(", ")
        ),
        None,
    ));
    for m in &info.missing_topics {
        out.push(check(
            &format!("topic {m}"),
            Fail,
            "missing",
            Some("run `purser topics ensure` (or packaging/kafka's topic script)"),
        ));
    }
    for r in &info.refused_topics {
        out.push(check(
            &format!("topic {r}"),
            Fail,
            format!("not authorised: the cluster will not show {r} to this till (TOPIC_AUTHORIZATION_FAILED)"),
            Some(&grant),
        ));
    }
    let present: Vec<&str> = names
        .iter()
        .copied()
        .filter(|n| {
            !info.missing_topics.iter().any(|m| m == n)
                && !info.refused_topics.iter().any(|m| m == n)
        })
        .collect();
    let inbound_topics = [&t.catalog, &t.inventory, &t.loyalty_accounts];
    match purser_stream::admin::topic_configs(&cfg.kafka, &present, timeout) {
        Ok(configs) => {
            for (name, conf) in configs {
                let inbound = inbound_topics.iter().any(|x| **x == name);
                let want = if inbound { "compact" } else { "delete" };
                match conf {
                    Ok(c) => {
                        let policy = c
                            .get("cleanup.policy")
                            .cloned()
                            .unwrap_or_else(|| "delete".into());
                        let retention_days = c
                            .get("retention.ms")
                            .and_then(|v| v.parse::<i64>().ok())
                            .map(|ms| ms / 86_400_000);
                        if !policy.split(',').any(|p| p.trim() == want) {
                            out.push(check(
                                &format!("topic {name}"),
                                Fail,
                                format!("cleanup.policy={policy}, expected {want}"),
                                Some(if inbound {
                                    "reference topics must be compacted, or the till loses products on a rebuild: kafka-configs --alter --add-config cleanup.policy=compact"
                                } else {
                                    "till topics must not be compacted (events share a key): set cleanup.policy=delete"
                                }),
                            ));
                        } else if !inbound && retention_days.is_some_and(|d| (0..7).contains(&d)) {
                            out.push(check(
                                &format!("topic {name}"),
                                Warn,
                                format!("retention {} days: shorter than a long outage", retention_days.unwrap_or(0)),
                                Some("keep till topics longer than the longest expected outage plus replication lag (e.g. 400 days for payments)"),
                            ));
                        } else {
                            out.push(check(
                                &format!("topic {name}"),
                                Pass,
                                format!("cleanup.policy={policy}"),
                                None,
                            ));
                        }
                    }
                    Err(e) => out.push(check(&format!("topic {name}"), Warn, e, Some(&grant))),
                }
            }
        }
        Err(e) => out.push(check(
            "topics",
            Warn,
            format!("the broker does not describe topic configuration: {e}"),
            None,
        )),
    }

    // The rights: write (without writing anything), then read.
    match check_write(&cfg.kafka, timeout) {
        Access::Granted => out.push(check(
            "write",
            Pass,
            "the cluster gives this till an idempotent producer id (it may write; a topic that refuses its events shows under outbox)",
            None,
        )),
        Access::Refused(code) => out.push(check(
            "write",
            Fail,
            format!("not authorised to write ({code}): the cluster refuses this till an idempotent producer id, so none of its events can be sent; they wait in the outbox"),
            Some(&grant),
        )),
        Access::Unknown(why) => out.push(check("write", Warn, format!("could not tell: {why}"), None)),
    }
    let till_topics = [&t.payments, &t.tills, &t.loyalty];
    for topic in inbound_topics.iter().chain(till_topics.iter()) {
        if !present.contains(&topic.as_str()) {
            continue;
        }
        let reference = inbound_topics.contains(topic);
        let name = format!("read {topic}");
        match check_read(&cfg.kafka, topic, timeout) {
            Access::Granted => out.push(check(&name, Pass, "allowed", None)),
            Access::Refused(code) if reference => out.push(check(
                &name,
                Fail,
                format!("not authorised to read {topic} ({code}): the till cannot load the store's reference data from it"),
                Some(&grant),
            )),
            Access::Refused(code) => out.push(check(
                &name,
                Warn,
                format!("not authorised to read {topic} ({code}): the manager's Store screen on this till cannot show the store's figures"),
                Some(&format!("only if managers use this till's Store screen: packaging/kafka/acls.sh --principal {who} --store-view")),
            )),
            Access::Unknown(why) => out.push(check(&name, Warn, format!("could not tell: {why}"), None)),
        }
    }
}
