//! First-run setup against a real broker process: the connection test the setup screen
//! and `purser init --test-connection` run (reachable, unreachable, SCRAM credentials
//! right and wrong, TLS against a plaintext listener, which topics exist), and
//! `purser init` setting up a till with its first manager.

mod common;

use std::io::Write;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use common::Broker;
use purser_app::config::Config;
use purser_app::setup::test_kafka;
use purser_stream::{KafkaConfig, SecurityProtocol, Topics};

fn closed_port() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    format!("127.0.0.1:{}", l.local_addr().unwrap().port())
}

/// Topic names of their own, so a shared Kafka (PURSER_TEST_KAFKA) can run this again.
fn unique_topics() -> Topics {
    let n = uuid::Uuid::now_v7().simple().to_string();
    let t = |base: &str| format!("{base}.setup-{}", &n[n.len() - 10..]);
    Topics {
        payments: t("pos.payments"),
        tills: t("pos.tills"),
        loyalty: t("pos.loyalty"),
        inventory: t("pos.inventory"),
        catalog: t("pos.catalog"),
        loyalty_accounts: t("pos.loyalty-accounts"),
        reconciliation: t("pos.reconciliation"),
    }
}

#[test]
fn the_connection_test_reaches_a_real_broker_and_tells_which_topics_exist() {
    let broker = Broker::start();
    let k = KafkaConfig {
        bootstrap_servers: broker.bootstrap().to_string(),
        ..Default::default()
    };
    let topics = unique_topics();
    let t = test_kafka(&k, &topics, Duration::from_secs(20));
    assert!(t.ok, "{}", t.message);
    assert!(!t.brokers.is_empty());
    assert_eq!(t.topics_missing.len(), 6, "{t:?}");
    assert!(t.message.contains("purser topics ensure"), "{}", t.message);

    let specs = purser_stream::admin::store_topic_specs(&topics, 1, 1);
    purser_stream::admin::ensure_topics(&k, &specs, Duration::from_secs(20)).unwrap();
    let t = test_kafka(&k, &topics, Duration::from_secs(20));
    assert!(t.ok, "{}", t.message);
    assert_eq!(t.topics_missing, Vec::<String>::new());
    assert_eq!(t.topics_found.len(), 6);

    let nobody = KafkaConfig {
        bootstrap_servers: closed_port(),
        ..Default::default()
    };
    let t = test_kafka(&nobody, &topics, Duration::from_secs(20));
    assert!(!t.ok);
    assert_eq!(t.failure.as_deref(), Some("unreachable"), "{}", t.message);
}

#[test]
fn tls_spoken_to_a_plaintext_listener_is_reported_as_a_tls_failure() {
    // A Kafka PLAINTEXT listener reads the TLS hello as an absurd request size and hangs
    // up (tansu instead waits for the rest, so this listener plays Kafka's part).
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        for conn in l.incoming() {
            let Ok(mut c) = conn else { break };
            let mut buf = [0u8; 512];
            let _ = std::io::Read::read(&mut c, &mut buf);
        }
    });
    let tls = KafkaConfig {
        bootstrap_servers: addr,
        security_protocol: SecurityProtocol::Ssl,
        ..Default::default()
    };
    let t = test_kafka(&tls, &Topics::default(), Duration::from_secs(20));
    assert!(!t.ok);
    assert_eq!(t.failure.as_deref(), Some("tls"), "{}", t.message);
    assert!(t.message.contains("TLS handshake"), "{}", t.message);
}

/// The three-node Apache Kafka cluster of the edge kit (SASL_SSL with SCRAM-SHA-512), shared
/// by this binary's tests, with one SCRAM user created by the kit's `acls.sh`.
struct ScramBroker {
    bootstrap: String,
    ca: std::path::PathBuf,
}

impl ScramBroker {
    fn start(user: &str, password: &str) -> ScramBroker {
        static CLUSTER: std::sync::OnceLock<purser_testkit::kafka::KafkaCluster> =
            std::sync::OnceLock::new();
        let cluster = CLUSTER.get_or_init(purser_testkit::kafka::KafkaCluster::three);
        let pw = cluster.dir().join(format!("{user}.pw"));
        std::fs::write(&pw, password).unwrap();
        let out = cluster.run_acls_sh(&[
            "--scram-user",
            user,
            "--password-file",
            pw.to_str().unwrap(),
        ]);
        assert!(
            out.status.success(),
            "acls.sh --scram-user {user}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        ScramBroker {
            bootstrap: cluster.bootstrap(),
            ca: cluster.ca_cert().to_path_buf(),
        }
    }
}

#[test]
fn scram_credentials_are_tried_on_the_broker() {
    let broker = ScramBroker::start("till-t3", "s3cret");
    let sasl = |password: &str| KafkaConfig {
        bootstrap_servers: broker.bootstrap.clone(),
        security_protocol: SecurityProtocol::SaslSsl,
        sasl_mechanism: Some("SCRAM-SHA-512".into()),
        sasl_username: Some("till-t3".into()),
        sasl_password: Some(password.into()),
        ssl_ca_location: Some(broker.ca.clone()),
        ..Default::default()
    };
    let topics = Topics::default();
    let right = test_kafka(&sasl("s3cret"), &topics, Duration::from_secs(20));
    assert!(right.ok, "{}", right.message);
    let wrong = test_kafka(&sasl("guess"), &topics, Duration::from_secs(20));
    assert!(!wrong.ok);
    assert_eq!(
        wrong.failure.as_deref(),
        Some("authentication"),
        "{}",
        wrong.message
    );
    // No credentials at all: the broker does not answer metadata requests.
    let none = KafkaConfig {
        bootstrap_servers: broker.bootstrap.clone(),
        ..Default::default()
    };
    let t = test_kafka(&none, &topics, Duration::from_secs(5));
    assert!(!t.ok, "{}", t.message);
}

#[test]
fn purser_init_tests_the_connection_and_adds_the_first_manager() {
    let broker = Broker::start();
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("etc").join("purser.toml");
    let init = |bootstrap: &str, pin: &str| {
        let mut c = common::purser();
        c.arg("--config")
            .arg(&cfg)
            .args(["init", "--store", "S7", "--till", "T2", "--currency", "USD"])
            .args(["--tax-mode", "exclusive", "--timezone", "America/New_York"])
            .arg("--db")
            .arg(dir.path().join("till.db"))
            .args(["--bootstrap", bootstrap, "--test-connection"])
            .args(["--printer", "10.0.0.9:9100", "--language", "de"])
            .args(["--manager", "mia", "--manager-name", "Mia Meyer"])
            .arg("--manager-pin-stdin")
            .env_remove("PURSER_KAFKA_BOOTSTRAP")
            .env_remove("PURSER_DB")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = c.spawn().unwrap();
        writeln!(child.stdin.take().unwrap(), "{pin}").unwrap();
        child.wait_with_output().unwrap()
    };

    let out = init(&closed_port(), "2580");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot reach Kafka"), "{err}");
    assert!(!cfg.exists(), "nothing written when the test fails");

    let out = init(broker.bootstrap(), "1111");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("same digit"), "the window's PIN rule: {err}");
    assert!(!cfg.exists());

    let out = init(broker.bootstrap(), "2580");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Kafka: reachable"), "{text}");
    assert!(text.contains("manager:       mia (Mia Meyer)"), "{text}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&cfg), 0o600);
        assert_eq!(mode(cfg.parent().unwrap()), 0o700);
    }
    let c = Config::load(&cfg).unwrap();
    assert_eq!(c.till.printer.as_deref(), Some("10.0.0.9:9100"));
    assert_eq!(c.till.language, "de");
    assert_eq!(c.kafka.bootstrap_servers, broker.bootstrap());
    let users = common::purser()
        .arg("--config")
        .arg(&cfg)
        .args(["--format", "json", "user", "list"])
        .env_remove("PURSER_DB")
        .output()
        .unwrap();
    let users: serde_json::Value = serde_json::from_slice(&users.stdout).unwrap();
    let mia = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["user_id"] == "mia")
        .expect("mia was added");
    assert_eq!(mia["role"], "manager");
}

#[test]
fn doctor_tells_a_wrong_password_from_a_right_one() {
    let broker = ScramBroker::start("till-t9", "s3cret");
    let t = common::TestTill::new(&broker.bootstrap);
    // The store's CA, as `purser init --ssl-ca` writes it.
    let cfg = std::fs::read_to_string(&t.config).unwrap();
    let line = cfg
        .lines()
        .find(|l| l.starts_with("bootstrap_servers"))
        .expect("a bootstrap line")
        .to_string();
    let cfg = cfg.replace(
        &line,
        &format!(
            "{line}\nssl_ca_location = {:?}",
            broker.ca.display().to_string()
        ),
    );
    std::fs::write(&t.config, cfg).unwrap();
    let doctor = |password: &str| -> Vec<serde_json::Value> {
        let out = common::purser()
            .arg("--config")
            .arg(&t.config)
            .args(["--json", "doctor", "--timeout", "10"])
            .env_remove("PURSER_KAFKA_BOOTSTRAP")
            .env_remove("PURSER_DB")
            .env("PURSER_KAFKA_SECURITY_PROTOCOL", "sasl_ssl")
            .env("PURSER_KAFKA_SASL_MECHANISM", "SCRAM-SHA-512")
            .env("PURSER_KAFKA_SASL_USERNAME", "till-t9")
            .env("PURSER_KAFKA_SASL_PASSWORD", password)
            .output()
            .unwrap();
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let kafka = |checks: &[serde_json::Value]| {
        checks
            .iter()
            .find(|c| c["name"] == "kafka")
            .cloned()
            .unwrap_or_else(|| panic!("no kafka check in {checks:?}"))
    };
    let right = kafka(&doctor("s3cret"));
    assert_eq!(right["verdict"], "pass", "{right}");
    let wrong = kafka(&doctor("guess"));
    assert_eq!(wrong["verdict"], "fail", "{wrong}");
    let text = wrong.to_string().to_lowercase();
    assert!(
        text.contains("authentication") || text.contains("password"),
        "{wrong}"
    );
}
