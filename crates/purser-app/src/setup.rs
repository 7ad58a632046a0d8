//! First-run setup of a till: what the window's setup screen and `purser init` both do.
//!
//! 1. `plan` checks every field of a `SetupForm` and turns it into the `Config` to write
//!    (each problem a `FieldIssue` naming its field; the rules are `config::check_*`,
//!    `KafkaConfig::validate` and `users::check_*`, the same ones the loader and
//!    `purser user add` apply).
//! 2. `test_kafka` connects to the store's cluster with the entered security settings and
//!    reports reachability, an authentication or TLS failure, and which of the store's
//!    topics exist; `test_printer` opens a connection to the receipt printer.
//! 3. `save` creates the till database, adds the first manager, and only then writes the
//!    configuration, with user-only permissions (it holds the SASL password and the key
//!    password): a setup that fails half-way leaves no configuration behind, so the
//!    window shows the setup screen again.
//!
//! Secrets stay in the configuration file (mode 0600, its folder 0700 when setup creates
//! it); no OS keyring is used, because a till's relay runs headless (`purser relay`) where
//! no keyring is unlocked.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use purser_stream::config::ConfigError;
use purser_stream::probe::{check_connection, check_write, Access, ProbeFailure};
use purser_stream::{KafkaConfig, SecurityProtocol, Topics};

use crate::config::{
    check_currency, check_id, check_language, check_printer, check_tax_mode, check_timezone, Config,
};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::users::{check_name, check_pin, check_user_id, Role};

/// Everything the setup screen asks, as typed. Empty text means "not given".
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, TS)]
pub struct SetupForm {
    pub store_id: String,
    pub till_id: String,
    /// ISO 4217, e.g. EUR
    pub currency: String,
    /// inclusive (VAT) or exclusive (sales tax)
    pub tax_mode: String,
    /// IANA zone deciding the business date, e.g. Europe/Berlin
    pub timezone: String,
    /// en or de
    pub language: String,
    /// host:port[,host:port…]
    pub bootstrap_servers: String,
    /// plaintext, sasl_ssl, ssl or sasl_plaintext
    pub security_protocol: String,
    /// SCRAM-SHA-256, SCRAM-SHA-512 or PLAIN (SASL only)
    pub sasl_mechanism: String,
    pub sasl_username: String,
    pub sasl_password: String,
    /// CA bundle (PEM) that signed the brokers' certificates; empty = the system's.
    pub ssl_ca: String,
    /// Client certificate and key (PEM) for SSL client authentication.
    pub ssl_cert: String,
    pub ssl_key: String,
    pub ssl_key_password: String,
    /// host:port of the ESC/POS network receipt printer; empty = none.
    pub printer: String,
    pub manager_id: String,
    pub manager_name: String,
    pub manager_pin: String,
    pub manager_pin_repeat: String,
}

/// One problem with one field of the form.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
pub struct FieldIssue {
    /// The `SetupForm` field, `kafka` for the connection as a whole, or `form` for a
    /// problem no single field explains.
    pub field: String,
    /// Which rule: required, id, currency, tax_mode, timezone, language, bootstrap,
    /// protocol, mechanism, file, cert_key_pair, printer, user_id, user_name, pin,
    /// pin_repeat, user_taken or kafka_untested. The window shows its own text for it.
    pub rule: String,
    /// The same in English, with the details (what `purser init` prints).
    pub message: String,
}

fn issue(field: &str, rule: &str, message: impl Into<String>) -> FieldIssue {
    FieldIssue {
        field: field.into(),
        rule: rule.into(),
        message: message.into(),
    }
}

/// What a setup must include: the window insists on Kafka and a manager; `purser init`
/// leaves both optional (a till can be rolled out before its cluster exists).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Needs {
    pub kafka: bool,
    pub manager: bool,
}

/// The first manager, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Manager {
    pub user_id: String,
    pub name: String,
    pub pin: String,
}

/// A setup that passed every check: the configuration to write and the manager to add.
#[derive(Clone, Debug)]
pub struct Plan {
    pub config: Config,
    pub manager: Option<Manager>,
}

fn opt(v: &str) -> Option<String> {
    let v = v.trim();
    (!v.is_empty()).then(|| v.to_string())
}

/// The Kafka part of the form as the till's client settings, checked.
pub fn kafka_config(form: &SetupForm, required: bool) -> Result<KafkaConfig, Vec<FieldIssue>> {
    let bootstrap = form.bootstrap_servers.trim();
    if bootstrap.is_empty() {
        return if required {
            Err(vec![issue(
                "bootstrap_servers",
                "required",
                "the store's Kafka bootstrap servers are needed (host:port)",
            )])
        } else {
            Ok(KafkaConfig::default())
        };
    }
    let protocol_text = if form.security_protocol.trim().is_empty() {
        "plaintext"
    } else {
        form.security_protocol.trim()
    };
    let Some(protocol) = SecurityProtocol::parse(protocol_text) else {
        return Err(vec![issue(
            "security_protocol",
            "protocol",
            format!(
                "security protocol '{protocol_text}' must be plaintext, ssl, sasl_ssl or sasl_plaintext"
            ),
        )]);
    };
    let sasl = matches!(
        protocol,
        SecurityProtocol::SaslSsl | SecurityProtocol::SaslPlaintext
    );
    let tls = matches!(protocol, SecurityProtocol::Ssl | SecurityProtocol::SaslSsl);
    let k = KafkaConfig {
        bootstrap_servers: bootstrap
            .split(',')
            .map(str::trim)
            .collect::<Vec<_>>()
            .join(","),
        security_protocol: protocol,
        sasl_mechanism: if sasl {
            opt(&form.sasl_mechanism).map(|m| m.to_ascii_uppercase())
        } else {
            None
        },
        sasl_username: if sasl { opt(&form.sasl_username) } else { None },
        // A password is taken as typed: blanks may be part of it.
        sasl_password: (sasl && !form.sasl_password.is_empty()).then(|| form.sasl_password.clone()),
        ssl_ca_location: if tls {
            opt(&form.ssl_ca).map(PathBuf::from)
        } else {
            None
        },
        ssl_certificate_location: if tls {
            opt(&form.ssl_cert).map(PathBuf::from)
        } else {
            None
        },
        ssl_key_location: if tls {
            opt(&form.ssl_key).map(PathBuf::from)
        } else {
            None
        },
        ssl_key_password: (tls && !form.ssl_key_password.is_empty())
            .then(|| form.ssl_key_password.clone()),
        extra: Default::default(),
    };
    k.validate().map_err(|e| vec![kafka_issue(&k, &e)])?;
    Ok(k)
}

fn kafka_issue(k: &KafkaConfig, e: &ConfigError) -> FieldIssue {
    let message = e.to_string();
    match e {
        ConfigError::NoBootstrap => issue("bootstrap_servers", "required", message),
        ConfigError::BadBootstrap(_) => issue("bootstrap_servers", "bootstrap", message),
        ConfigError::BadMechanism(_) => issue("sasl_mechanism", "mechanism", message),
        ConfigError::Missing { what, .. } if what.contains("user name") => {
            issue("sasl_username", "required", message)
        }
        ConfigError::Missing { what, .. } if what.contains("password") => {
            issue("sasl_password", "required", message)
        }
        ConfigError::Missing { .. } => {
            let field = if k.ssl_certificate_location.is_none() {
                "ssl_cert"
            } else {
                "ssl_key"
            };
            issue(field, "cert_key_pair", message)
        }
        ConfigError::Unreadable { what, .. } => {
            let field = match *what {
                "CA" => "ssl_ca",
                "client certificate" => "ssl_cert",
                _ => "ssl_key",
            };
            issue(field, "file", message)
        }
        // The form writes no [kafka.extra]; a hand-edited one is named as it is.
        ConfigError::OrderBreaking { .. } | ConfigError::BadMaxBytes(_) => {
            issue("bootstrap_servers", "extra", message)
        }
    }
}

/// Checks every field; on success, the configuration to write (the database at
/// `database`) and the manager to add.
pub fn plan(form: &SetupForm, database: PathBuf, needs: Needs) -> Result<Plan, Vec<FieldIssue>> {
    let mut issues = Vec::new();
    let mut field = |name: &str, rule: &str, value: &str, check: &dyn Fn(&str) -> AppResult<()>| {
        let v = value.trim();
        if v.is_empty() {
            issues.push(issue(name, "required", format!("{name} is needed")));
        } else if let Err(e) = check(v) {
            issues.push(issue(name, rule, e.message));
        }
    };
    field("store_id", "id", &form.store_id, &|v| {
        check_id("store_id", v)
    });
    field("till_id", "id", &form.till_id, &|v| check_id("till_id", v));
    field("currency", "currency", &form.currency, &|v| {
        check_currency(v).map(|_| ())
    });
    field("tax_mode", "tax_mode", &form.tax_mode, &|v| {
        check_tax_mode(v).map(|_| ())
    });
    field("timezone", "timezone", &form.timezone, &|v| {
        check_timezone(v).map(|_| ())
    });
    let language = opt(&form.language).unwrap_or_else(|| "en".into());
    if let Err(e) = check_language(&language) {
        issues.push(issue("language", "language", e.message));
    }
    let printer = opt(&form.printer);
    if let Some(p) = &printer {
        if let Err(e) = check_printer(p) {
            issues.push(issue("printer", "printer", e.message));
        }
    }
    let kafka = match kafka_config(form, needs.kafka) {
        Ok(k) => Some(k),
        Err(mut e) => {
            issues.append(&mut e);
            None
        }
    };
    let manager = manager(form, needs.manager, &mut issues);
    if !issues.is_empty() {
        return Err(issues);
    }
    let mut config = Config::new_till(
        form.store_id.trim(),
        form.till_id.trim(),
        &form.currency.trim().to_ascii_uppercase(),
        &form.tax_mode.trim().to_ascii_lowercase(),
        form.timezone.trim(),
        database,
    );
    config.kafka = kafka.unwrap_or_default();
    config.till.printer = printer;
    config.till.language = language;
    // Whatever check_* accepted, the loader accepts too; if not, that is a bug here.
    config
        .settings()
        .map_err(|e| vec![issue("form", "invalid", e.message)])?;
    Ok(Plan { config, manager })
}

fn manager(form: &SetupForm, required: bool, issues: &mut Vec<FieldIssue>) -> Option<Manager> {
    let given = [
        &form.manager_id,
        &form.manager_name,
        &form.manager_pin,
        &form.manager_pin_repeat,
    ]
    .iter()
    .any(|v| !v.trim().is_empty());
    if !required && !given {
        return None;
    }
    let before = issues.len();
    let id = form.manager_id.trim();
    if id.is_empty() {
        issues.push(issue(
            "manager_id",
            "required",
            "the manager's user id is needed",
        ));
    } else if let Err(e) = check_user_id(id) {
        issues.push(issue("manager_id", "user_id", e.message));
    }
    let name = match check_name(&form.manager_name) {
        Ok(n) => n,
        Err(e) => {
            let rule = if form.manager_name.trim().is_empty() {
                "required"
            } else {
                "user_name"
            };
            issues.push(issue("manager_name", rule, e.message));
            String::new()
        }
    };
    if form.manager_pin.is_empty() {
        issues.push(issue(
            "manager_pin",
            "required",
            "the manager's PIN is needed",
        ));
    } else if let Err(e) = check_pin(&form.manager_pin) {
        issues.push(issue("manager_pin", "pin", e.message));
    } else if form.manager_pin != form.manager_pin_repeat {
        issues.push(issue(
            "manager_pin_repeat",
            "pin_repeat",
            "the two PINs differ: type the same PIN twice",
        ));
    }
    (issues.len() == before).then(|| Manager {
        user_id: id.to_string(),
        name,
        pin: form.manager_pin.clone(),
    })
}

/// What a connection test found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
pub struct KafkaTestView {
    /// Reachable and the credentials accepted (topics may still be missing).
    pub ok: bool,
    /// When not ok: invalid (the settings; see `issues`), unreachable, authentication or tls.
    pub failure: Option<String>,
    pub message: String,
    pub brokers: Vec<String>,
    /// The store's topics the cluster has, and those it lacks.
    pub topics_found: Vec<String>,
    pub topics_missing: Vec<String>,
    /// The store's topics the cluster will not show this till (not authorised: its ACLs).
    pub topics_refused: Vec<String>,
    /// The cluster refused this till a producer id (Kafka's error name): it may write
    /// nothing, its sales would wait in the outbox.
    pub write_refused: Option<String>,
    pub issues: Vec<FieldIssue>,
}

fn topic_names(t: &Topics) -> Vec<&str> {
    vec![
        &t.payments,
        &t.tills,
        &t.loyalty,
        &t.catalog,
        &t.inventory,
        &t.loyalty_accounts,
    ]
    .into_iter()
    .map(String::as_str)
    .collect()
}

/// Connects to the cluster with exactly these settings and reads its metadata.
pub fn test_kafka(k: &KafkaConfig, topics: &Topics, timeout: Duration) -> KafkaTestView {
    let names = topic_names(topics);
    match check_connection(k, &names, timeout) {
        Ok(info) => {
            let mut message = if info.missing_topics.is_empty() && info.refused_topics.is_empty() {
                format!(
                    "reachable ({} broker(s)); all {} topics of the store exist",
                    info.brokers.len(),
                    names.len()
                )
            } else if info.missing_topics.is_empty() {
                format!("reachable ({} broker(s))", info.brokers.len())
            } else {
                format!(
                    "reachable ({} broker(s)); missing topics: {} (create them with `purser topics ensure` or packaging/kafka/topics.sh)",
                    info.brokers.len(),
                    info.missing_topics.join(", ")
                )
            };
            if !info.refused_topics.is_empty() {
                message.push_str(&format!(
                    "; not authorised for: {} (the cluster's ACLs; packaging/kafka/acls.sh grants a till its rights)",
                    info.refused_topics.join(", ")
                ));
            }
            let write_refused = match check_write(k, timeout.min(Duration::from_secs(5))) {
                Access::Refused(code) => {
                    message.push_str(&format!(
                        "; not authorised to write ({code}): this till's sales would wait in the outbox"
                    ));
                    Some(code)
                }
                Access::Granted | Access::Unknown(_) => None,
            };
            KafkaTestView {
                ok: true,
                failure: None,
                message,
                brokers: info.brokers,
                topics_found: info.topics.into_iter().map(|(t, _)| t).collect(),
                topics_missing: info.missing_topics,
                topics_refused: info.refused_topics,
                write_refused,
                issues: Vec::new(),
            }
        }
        Err(e) => KafkaTestView {
            ok: false,
            failure: Some(
                match e.failure {
                    ProbeFailure::Invalid => "invalid",
                    ProbeFailure::Unreachable => "unreachable",
                    ProbeFailure::Authentication => "authentication",
                    ProbeFailure::Tls => "tls",
                }
                .into(),
            ),
            message: e.message,
            brokers: Vec::new(),
            topics_found: Vec::new(),
            topics_missing: Vec::new(),
            topics_refused: Vec::new(),
            write_refused: None,
            issues: Vec::new(),
        },
    }
}

/// Whether the receipt printer answered.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
pub struct PrinterTestView {
    pub ok: bool,
    pub message: String,
}

/// Opens a connection to the printer and closes it (prints nothing), as `purser doctor`.
pub fn test_printer(addr: &str, timeout: Duration) -> PrinterTestView {
    let addr = addr.trim();
    if let Err(e) = check_printer(addr) {
        return PrinterTestView {
            ok: false,
            message: e.message,
        };
    }
    match crate::printout::send_to_printer(addr, &[], timeout) {
        Ok(()) => PrinterTestView {
            ok: true,
            message: format!("{addr} answers"),
        },
        Err(e) => PrinterTestView {
            ok: false,
            message: e.to_string(),
        },
    }
}

/// Carries out a plan: creates (or reopens) the till database, adds the manager, then
/// writes the configuration at `config_path` with user-only permissions. Refuses to
/// replace an existing configuration unless `replace`. A manager id the database already
/// has comes back as a `FieldIssue`.
pub fn save(
    plan: &Plan,
    config_path: &Path,
    replace: bool,
    now: DateTime<Utc>,
) -> AppResult<Result<(), Vec<FieldIssue>>> {
    if config_path.exists() && !replace {
        return Err(AppError::new(
            ErrorCode::NotAllowed,
            format!(
                "{} already exists; this till is set up (use --force to replace it; the till database is kept)",
                config_path.display()
            ),
        ));
    }
    let settings = plan.config.settings()?;
    crate::Till::init(&settings, now)?;
    if let Some(m) = &plan.manager {
        let mut till = crate::runtime::open_till(settings)?;
        let taken = till.users()?.iter().any(|u| u.user_id == m.user_id);
        if taken {
            return Ok(Err(vec![issue(
                "manager_id",
                "user_taken",
                format!(
                    "this till's database already has a user '{}': choose another id",
                    m.user_id
                ),
            )]));
        }
        till.add_user(&m.user_id, &m.name, Role::Manager, &m.pin)?;
    }
    plan.config.save(config_path)?;
    tracing::info!(
        store = %plan.config.store.store_id,
        till = %plan.config.store.till_id,
        config = %config_path.display(),
        "till set up"
    );
    Ok(Ok(()))
}

/// The system's IANA time zone (`$TZ`, `/etc/timezone`, the `/etc/localtime` link), if
/// it can tell; the setup screen offers it first.
pub fn system_timezone() -> Option<String> {
    let valid = |z: &str| {
        let z = z.trim().trim_start_matches(':');
        check_timezone(z).is_ok().then(|| z.to_string())
    };
    if let Some(z) = std::env::var("TZ").ok().and_then(|z| valid(&z)) {
        return Some(z);
    }
    if let Some(z) = std::fs::read_to_string("/etc/timezone")
        .ok()
        .and_then(|z| valid(&z))
    {
        return Some(z);
    }
    let link = std::fs::read_link("/etc/localtime").ok()?;
    let s = link.to_string_lossy();
    let (_, zone) = s.split_once("zoneinfo/")?;
    valid(zone)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn good() -> SetupForm {
        SetupForm {
            store_id: "S042".into(),
            till_id: "T3".into(),
            currency: "eur".into(),
            tax_mode: "inclusive".into(),
            timezone: "Europe/Berlin".into(),
            language: "de".into(),
            bootstrap_servers: "kafka-1:9092, kafka-2:9092".into(),
            security_protocol: "plaintext".into(),
            printer: "192.168.1.50:9100".into(),
            manager_id: "mia".into(),
            manager_name: "Mia Meyer".into(),
            manager_pin: "2580".into(),
            manager_pin_repeat: "2580".into(),
            ..SetupForm::default()
        }
    }

    const WINDOW: Needs = Needs {
        kafka: true,
        manager: true,
    };

    fn issues(form: &SetupForm, needs: Needs) -> Vec<(String, String)> {
        match plan(form, PathBuf::from("/tmp/x/till.db"), needs) {
            Ok(_) => Vec::new(),
            Err(v) => v.into_iter().map(|i| (i.field, i.rule)).collect(),
        }
    }

    fn pair(f: &str, r: &str) -> (String, String) {
        (f.to_string(), r.to_string())
    }

    #[test]
    fn a_good_form_becomes_a_configuration_the_loader_accepts() {
        let p = plan(&good(), PathBuf::from("/tmp/x/till.db"), WINDOW).unwrap();
        let c = &p.config;
        assert_eq!(c.store.store_id, "S042");
        assert_eq!(c.store.currency, "EUR");
        assert_eq!(c.kafka.bootstrap_servers, "kafka-1:9092,kafka-2:9092");
        assert_eq!(c.kafka.security_protocol, SecurityProtocol::Plaintext);
        assert_eq!(c.kafka.sasl_username, None);
        assert_eq!(c.till.printer.as_deref(), Some("192.168.1.50:9100"));
        assert_eq!(c.till.language, "de");
        assert!(c.settings().is_ok());
        assert_eq!(
            p.manager,
            Some(Manager {
                user_id: "mia".into(),
                name: "Mia Meyer".into(),
                pin: "2580".into()
            })
        );
    }

    #[test]
    fn every_bad_field_is_named_at_once() {
        let f = SetupForm {
            store_id: "S 42".into(),
            till_id: String::new(),
            currency: "EURO".into(),
            tax_mode: "vatish".into(),
            timezone: "Mars/Olympus".into(),
            language: "fr".into(),
            bootstrap_servers: "kafka-without-port".into(),
            printer: "my printer".into(),
            manager_id: "mia meyer".into(),
            manager_name: String::new(),
            manager_pin: "1111".into(),
            ..good()
        };
        let got = issues(&f, WINDOW);
        for want in [
            pair("store_id", "id"),
            pair("till_id", "required"),
            pair("currency", "currency"),
            pair("tax_mode", "tax_mode"),
            pair("timezone", "timezone"),
            pair("language", "language"),
            pair("bootstrap_servers", "bootstrap"),
            pair("printer", "printer"),
            pair("manager_id", "user_id"),
            pair("manager_name", "required"),
            pair("manager_pin", "pin"),
        ] {
            assert!(got.contains(&want), "{want:?} missing from {got:?}");
        }
    }

    #[test]
    fn the_pin_must_be_typed_twice_alike() {
        let f = SetupForm {
            manager_pin_repeat: "2581".into(),
            ..good()
        };
        assert_eq!(
            issues(&f, WINDOW),
            vec![pair("manager_pin_repeat", "pin_repeat")]
        );
    }

    #[test]
    fn security_settings_are_checked_field_by_field() {
        let sasl = SetupForm {
            security_protocol: "SASL_SSL".into(),
            sasl_mechanism: "scram-sha-256".into(),
            ..good()
        };
        assert_eq!(
            issues(&sasl, WINDOW),
            vec![pair("sasl_username", "required")]
        );
        let sasl = SetupForm {
            sasl_username: "till-t3".into(),
            ..sasl
        };
        assert_eq!(
            issues(&sasl, WINDOW),
            vec![pair("sasl_password", "required")]
        );
        let sasl = SetupForm {
            sasl_password: "s3cret pass".into(),
            ..sasl
        };
        let k = kafka_config(&sasl, true).unwrap();
        assert_eq!(k.security_protocol, SecurityProtocol::SaslSsl);
        assert_eq!(k.sasl_mechanism.as_deref(), Some("SCRAM-SHA-256"));
        assert_eq!(k.sasl_password.as_deref(), Some("s3cret pass"));
        let gssapi = SetupForm {
            sasl_mechanism: "GSSAPI".into(),
            ..sasl
        };
        assert_eq!(
            issues(&gssapi, WINDOW),
            vec![pair("sasl_mechanism", "mechanism")]
        );

        let dir = tempfile::tempdir().unwrap();
        let cert = dir.path().join("till.crt");
        std::fs::write(&cert, "PEM").unwrap();
        let ssl = SetupForm {
            security_protocol: "ssl".into(),
            ssl_cert: cert.display().to_string(),
            // SASL fields are ignored for SSL.
            sasl_username: "ignored".into(),
            ..good()
        };
        assert_eq!(issues(&ssl, WINDOW), vec![pair("ssl_key", "cert_key_pair")]);
        let ssl = SetupForm {
            ssl_key: dir.path().join("missing.key").display().to_string(),
            ..ssl
        };
        assert_eq!(issues(&ssl, WINDOW), vec![pair("ssl_key", "file")]);
        std::fs::write(dir.path().join("missing.key"), "PEM").unwrap();
        let k = kafka_config(&ssl, true).unwrap();
        assert_eq!(k.ssl_certificate_location.as_deref(), Some(cert.as_path()));
        assert_eq!(k.sasl_username, None);
        let bad = SetupForm {
            security_protocol: "carrier-pigeon".into(),
            ..good()
        };
        assert_eq!(
            issues(&bad, WINDOW),
            vec![pair("security_protocol", "protocol")]
        );
    }

    #[test]
    fn the_window_needs_kafka_and_a_manager_but_purser_init_does_not() {
        let bare = SetupForm {
            bootstrap_servers: String::new(),
            manager_id: String::new(),
            manager_name: String::new(),
            manager_pin: String::new(),
            manager_pin_repeat: String::new(),
            ..good()
        };
        let got = issues(&bare, WINDOW);
        assert!(
            got.contains(&pair("bootstrap_servers", "required")),
            "{got:?}"
        );
        assert!(got.contains(&pair("manager_id", "required")), "{got:?}");
        assert!(got.contains(&pair("manager_pin", "required")), "{got:?}");
        let cli = Needs {
            kafka: false,
            manager: false,
        };
        let p = plan(&bare, PathBuf::from("till.db"), cli).unwrap();
        assert_eq!(p.manager, None);
        assert_eq!(p.config.kafka, KafkaConfig::default());
        // A manager half given is still checked.
        let half = SetupForm {
            manager_id: "mia".into(),
            ..bare
        };
        let got = issues(&half, cli);
        assert!(got.contains(&pair("manager_name", "required")), "{got:?}");
    }

    #[test]
    fn a_printer_that_is_not_there_says_so() {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let down = test_printer(&format!("127.0.0.1:{port}"), Duration::from_secs(2));
        assert!(!down.ok);
        assert!(down.message.contains("refused"), "{}", down.message);
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let up = test_printer(&l.local_addr().unwrap().to_string(), Duration::from_secs(2));
        assert!(up.ok, "{}", up.message);
        let bad = test_printer("my printer", Duration::from_secs(2));
        assert!(!bad.ok);
        assert!(bad.message.contains("host:port"), "{}", bad.message);
    }
}
