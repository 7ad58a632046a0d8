//! Shared helpers for the `purser` binary's tests: a till in a temporary folder, driven
//! through the real command line.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub const CATALOG_CSV: &str = "sku,name,barcodes,price,tax_class,sold_by,category,active
ESP,Espresso,4006381333931,2.20,standard,unit,Coffee,true
CRO,Croissant,036000291452,1.80,reduced,unit,Bakery,true
BAN,Bananas,96385074,1.99,reduced,weight,Fruit,true
IPA,IPA bottle,5012345678900,5.90,standard,unit,Beer,true
OLD,Old stock,,3.00,standard,unit,Misc,false
";

pub struct TestTill {
    pub dir: tempfile::TempDir,
    pub config: PathBuf,
    pub db: PathBuf,
}

pub fn purser() -> Command {
    Command::new(env!("CARGO_BIN_EXE_purser"))
}

impl TestTill {
    /// A till set up with `purser init` and the small catalog above.
    pub fn new(bootstrap: &str) -> TestTill {
        TestTill::new_named(bootstrap, "T1")
    }

    /// A till of store S1 named `till`, set up as `new` does.
    pub fn new_named(bootstrap: &str, till: &str) -> TestTill {
        TestTill::with_init_args(bootstrap, till, &[])
    }

    /// A till set up as `new_named` does, with more `purser init` arguments (e.g. the
    /// security settings of a SASL_SSL cluster).
    pub fn with_init_args(bootstrap: &str, till: &str, extra: &[&str]) -> TestTill {
        TestTill::init(bootstrap, "S1", till, extra)
    }

    /// A till `till` of store `store` (a ship of its own), set up as `new` does.
    pub fn at(bootstrap: &str, store: &str, till: &str) -> TestTill {
        TestTill::init(bootstrap, store, till, &[])
    }

    fn init(bootstrap: &str, store: &str, till: &str, extra: &[&str]) -> TestTill {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("purser.toml");
        let db = dir.path().join("till.db");
        let t = TestTill { dir, config, db };
        t.ok(&[
            "init",
            "--store",
            store,
            "--till",
            till,
            "--currency",
            "EUR",
            "--tax-mode",
            "inclusive",
            "--timezone",
            "Europe/Paris",
            "--db",
            t.db.to_str().unwrap(),
            "--bootstrap",
            bootstrap,
        ]
        .iter()
        .chain(extra)
        .copied()
        .collect::<Vec<_>>());
        let csv = t.dir.path().join("catalog.csv");
        std::fs::write(&csv, CATALOG_CSV).unwrap();
        t.ok(&["catalog", "import", csv.to_str().unwrap()]);
        t
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.run_in(args, "")
    }

    /// Runs `purser` with `input` on its standard input (an approver's PIN, say).
    pub fn run_in(&self, args: &[&str], input: &str) -> Output {
        use std::io::Write as _;
        let mut child = purser()
            .arg("--config")
            .arg(&self.config)
            .args(args)
            .env_remove("PURSER_KAFKA_BOOTSTRAP")
            .env_remove("PURSER_DB")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        // A command that does not read its input may have exited already.
        let _ = stdin.write_all(input.as_bytes());
        drop(stdin);
        child.wait_with_output().unwrap()
    }

    pub fn ok(&self, args: &[&str]) -> String {
        self.ok_in(args, "")
    }

    pub fn ok_in(&self, args: &[&str], input: &str) -> String {
        let out = self.run_in(args, input);
        assert!(
            out.status.success(),
            "purser {args:?} failed: {}\n{}",
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&out.stdout)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        self.json_in(args, "")
    }

    pub fn json_in(&self, args: &[&str], input: &str) -> serde_json::Value {
        let mut a = vec!["--format", "json"];
        a.extend_from_slice(args);
        serde_json::from_str(&self.ok_in(&a, input)).unwrap()
    }

    /// Runs a command that must fail; returns its error message.
    pub fn fails(&self, args: &[&str]) -> String {
        self.fails_in(args, "")
    }

    pub fn fails_in(&self, args: &[&str], input: &str) -> String {
        let out = self.run_in(args, input);
        assert!(
            !out.status.success(),
            "purser {args:?} should have failed but printed:\n{}",
            String::from_utf8_lossy(&out.stdout)
        );
        assert_eq!(
            out.status.code(),
            Some(1),
            "errors exit with 1 (2 is for usage)"
        );
        String::from_utf8(out.stderr).unwrap()
    }

    /// Adds a supervisor who approves refunds, voids and no-sales with `pin`.
    pub fn add_supervisor(&self, id: &str, pin: &str) {
        self.ok_in(
            &[
                "user",
                "add",
                id,
                "--name",
                id,
                "--role",
                "supervisor",
                "--pin-stdin",
            ],
            &format!("{pin}\n"),
        );
    }

    pub fn sql<T: rusqlite::types::FromSql>(&self, q: &str) -> T {
        rusqlite::Connection::open(&self.db)
            .unwrap()
            .query_row(q, [], |r| r.get(0))
            .unwrap()
    }

    pub fn events_written(&self) -> i64 {
        self.sql("SELECT count(*) FROM journal")
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

/// The broker of this test process: `PURSER_TEST_KAFKA` (any Kafka, e.g. `broker:9092`),
/// else one Apache Kafka node started from the edge kit (`purser_testkit`), shared by the
/// tests of this binary; each test uses topics of its own (`unique_topics`).
pub struct Broker {
    bootstrap: String,
}

impl Broker {
    pub fn start() -> Broker {
        Broker {
            bootstrap: purser_testkit::kafka::TestKafka::shared().bootstrap(),
        }
    }

    pub fn bootstrap(&self) -> &str {
        &self.bootstrap
    }
}

/// Points a till's configuration at topics named `<run>.payments.v1` and so on, so a
/// shared external Kafka can run a test repeatedly.
pub fn unique_topics(t: &TestTill, run: &str) {
    let mut cfg = std::fs::read_to_string(&t.config).unwrap();
    for n in [
        "payments.v1",
        "tills.v1",
        "loyalty.v1",
        "catalog.v1",
        "inventory.v1",
        "loyalty-accounts.v1",
    ] {
        cfg = cfg.replace(&format!("\"pos.{n}\""), &format!("\"{run}.{n}\""));
    }
    std::fs::write(&t.config, cfg).unwrap();
}
