//! The first-run setup as the window drives it: through `ipc::dispatch` on a `Station`
//! that starts with no configuration, against librdkafka's in-process broker, writing
//! real files. (The connection test against a real broker process, with SCRAM, is in
//! `crates/purser-cli/tests/setup_e2e.rs`.)

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{json, Value};

use purser_app::config::Config;
use purser_app::setup::{self, Needs, SetupForm};
use purser_app::users::Role;
use purser_app::AppError;
use purser_stream::embedded::EmbeddedBroker;
use purser_stream::{SecurityProtocol, Topics};
use purser_testkit::till::setup_form as form;
use purser_window::ipc::dispatch;
use purser_window::station::{Paths, Station};

#[cfg(unix)]
fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

fn code(e: &AppError) -> String {
    serde_json::to_value(e).unwrap()["code"]
        .as_str()
        .unwrap()
        .to_string()
}

fn issues(v: &Value) -> Vec<(String, String)> {
    v["issues"]
        .as_array()
        .or(v.as_array())
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["field"].as_str().unwrap().to_string(),
                i["rule"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn closed_port() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    format!("127.0.0.1:{}", l.local_addr().unwrap().port())
}

#[test]
fn a_first_run_setup_tests_kafka_saves_a_private_configuration_and_opens_the_till() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config").join("purser.toml");
    let mut station = Station::start(Paths {
        config: config.clone(),
        data: dir.path().join("data"),
    });
    let mut call = |name: &str, args: Value| dispatch(&mut station, name, args);

    // Not set up: the till's commands say so, the setup's answer.
    assert_eq!(
        code(&call("app_info", json!({})).unwrap_err()),
        "not_configured"
    );
    let d = call("setup_defaults", json!({})).unwrap();
    assert_eq!(
        PathBuf::from(d["database"].as_str().unwrap()),
        dir.path().join("data").join("till.db")
    );
    assert!(d["timezones"]
        .as_array()
        .unwrap()
        .contains(&json!("Europe/Berlin")));
    assert!(d["currencies"].as_array().unwrap().contains(&json!("EUR")));

    // Field checks name their fields.
    let mut bad = form("kafka-without-port");
    bad["store_id"] = json!("S 42");
    bad["manager_pin_repeat"] = json!("2589");
    let got = issues(&call("setup_check", bad).unwrap());
    assert_eq!(
        got,
        vec![
            ("store_id".to_string(), "id".to_string()),
            ("bootstrap_servers".into(), "bootstrap".into()),
            ("manager_pin_repeat".into(), "pin_repeat".into())
        ]
    );

    let broker = EmbeddedBroker::start(&Topics::default()).unwrap();
    let good = form(&broker.bootstrap_servers());
    assert_eq!(issues(&call("setup_check", good.clone()).unwrap()), vec![]);

    // Saving needs a successful connection test of the very settings saved.
    let r = call("setup_save", good.clone()).unwrap();
    assert_eq!(r["saved"], json!(false));
    assert_eq!(
        issues(&r),
        vec![("kafka".to_string(), "kafka_untested".to_string())]
    );
    let down = call("setup_test_kafka", form(&closed_port())).unwrap();
    assert_eq!(down["ok"], json!(false));
    assert_eq!(down["failure"], json!("unreachable"));
    let t = call("setup_test_kafka", good.clone()).unwrap();
    assert_eq!(t["ok"], json!(true), "{t}");
    assert_eq!(t["topics_missing"], json!([]));
    assert_eq!(t["topics_found"].as_array().unwrap().len(), 6);
    let mut other = good.clone();
    other["bootstrap_servers"] = json!(closed_port());
    let r = call("setup_save", other).unwrap();
    assert_eq!(
        r["saved"],
        json!(false),
        "tested settings differ from saved"
    );
    assert!(!config.exists(), "a refused save writes nothing");

    let r = call("setup_save", good).unwrap();
    assert_eq!(r["saved"], json!(true), "{r}");

    // The till is open at once: the new manager signs in and opens a shift.
    let info = call("app_info", json!({})).unwrap();
    assert_eq!(info["store_id"], json!("S042"));
    assert_eq!(info["demo"], json!(false));
    let s = call("sign_in", json!({"user_id": "mia", "pin": "2580"})).unwrap();
    assert_eq!(s["user"]["role"], json!("manager"));
    call("open_shift", json!({"float": "100.00"})).unwrap();
    assert_eq!(
        code(&call("setup_defaults", json!({})).unwrap_err()),
        "not_allowed"
    );

    // What was written: a private file the loader reads back as entered.
    #[cfg(unix)]
    {
        assert_eq!(mode(&config), 0o600);
        assert_eq!(mode(config.parent().unwrap()), 0o700);
    }
    let cfg = Config::load(&config).unwrap();
    let settings = cfg.settings().unwrap();
    assert_eq!(cfg.store.till_id, "T3");
    assert_eq!(cfg.store.timezone, "Europe/Berlin");
    assert_eq!(cfg.kafka.bootstrap_servers, broker.bootstrap_servers());
    assert_eq!(cfg.database, dir.path().join("data").join("till.db"));
    assert_eq!(settings.currency.code, "EUR");
    drop(station);
}

#[test]
fn secrets_stay_in_a_user_only_file_and_a_taken_manager_id_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("new-folder").join("purser.toml");
    let f = SetupForm {
        store_id: "S1".into(),
        till_id: "T1".into(),
        currency: "CHF".into(),
        tax_mode: "exclusive".into(),
        timezone: "Europe/Zurich".into(),
        bootstrap_servers: "kafka-1.store.local:9093".into(),
        security_protocol: "sasl_ssl".into(),
        sasl_mechanism: "SCRAM-SHA-512".into(),
        sasl_username: "till-t1".into(),
        sasl_password: "s3cret with spaces ".into(),
        printer: "192.168.1.50".into(),
        manager_id: "boss".into(),
        manager_name: "Bo Boss".into(),
        manager_pin: "4711".into(),
        manager_pin_repeat: "4711".into(),
        ..SetupForm::default()
    };
    let needs = Needs {
        kafka: true,
        manager: true,
    };
    let plan = setup::plan(&f, dir.path().join("till.db"), needs).unwrap();
    setup::save(&plan, &config, false, chrono::Utc::now())
        .unwrap()
        .unwrap();
    #[cfg(unix)]
    {
        assert_eq!(mode(&config), 0o600, "it holds the SASL password");
        assert_eq!(mode(config.parent().unwrap()), 0o700);
    }
    let text = std::fs::read_to_string(&config).unwrap();
    assert!(text.contains("s3cret with spaces "));
    let cfg = Config::load(&config).unwrap();
    assert_eq!(cfg.kafka.security_protocol, SecurityProtocol::SaslSsl);
    assert_eq!(
        cfg.kafka.sasl_password.as_deref(),
        Some("s3cret with spaces ")
    );
    assert_eq!(cfg.till.printer.as_deref(), Some("192.168.1.50"));
    let mut till = purser_app::runtime::open_till(cfg.settings().unwrap()).unwrap();
    let users = till.users().unwrap();
    assert_eq!(users.len(), 1);
    assert_eq!(users[0].role, Role::Manager);
    assert_eq!(till.sign_in("boss", "4711").unwrap().name, "Bo Boss");
    drop(till);

    // Once set up, setup does not overwrite it; replacing it keeps the database, whose
    // users stay (the same manager id is refused, naming the field).
    let again = setup::save(&plan, &config, false, chrono::Utc::now()).unwrap_err();
    assert_eq!(code(&again), "not_allowed");
    let issues = setup::save(&plan, &config, true, chrono::Utc::now())
        .unwrap()
        .unwrap_err();
    assert_eq!(issues[0].field, "manager_id");
    assert_eq!(issues[0].rule, "user_taken");
}

#[test]
fn an_unreadable_configuration_is_not_mistaken_for_a_first_run() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("purser.toml");
    std::fs::write(&config, "this is = not [toml").unwrap();
    let mut station = Station::start(Paths {
        config,
        data: dir.path().join("data"),
    });
    assert!(matches!(station, Station::Failed(_)));
    let e = dispatch(&mut station, "app_info", json!({})).unwrap_err();
    assert_eq!(code(&e), "invalid_config");
    let e = dispatch(&mut station, "setup_defaults", json!({})).unwrap_err();
    assert_eq!(code(&e), "invalid_config", "no setup over a broken file");
}

#[test]
fn an_unreachable_cluster_is_reported_as_such() {
    let k = purser_stream::KafkaConfig {
        bootstrap_servers: closed_port(),
        ..Default::default()
    };
    let t = setup::test_kafka(&k, &Topics::default(), Duration::from_secs(10));
    assert!(!t.ok);
    assert_eq!(t.failure.as_deref(), Some("unreachable"));
    assert!(t.message.contains("cannot reach Kafka"), "{}", t.message);
}
