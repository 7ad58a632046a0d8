//! MirrorMaker 2 for tests, run from the edge kit's own `packaging/kafka/mm2.properties`.
//!
//! [`MirrorMaker::start`] copies the kit's file with only the aliases (`edge` becomes the
//! ship's or store's alias), the two clusters' addresses and the cloud's credentials
//! substituted, plus a block of TEST-ONLY overrides appended at the end (the last value of
//! a key wins): replication factors of 1 for single-node test clusters and short refresh
//! intervals. It runs `packaging/kafka/bin/connect-mirror-maker.sh` — MirrorMaker's
//! dedicated mode, as a store runs it — under a shell guard that kills it when the test
//! process goes away. [`MirrorMaker::stop`] stops it as a ship leaving harbour does
//! (SIGTERM: it commits what it copied and exits).

use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command};
use std::time::{Duration, Instant};

use crate::kafka::{kit, spawn_guarded, Client};

/// What to mirror.
#[derive(Debug, Clone)]
pub struct MirrorOptions {
    /// The store's or ship's alias: the prefix of its topics in the cloud.
    pub alias: String,
    /// How MirrorMaker reaches the store's (edge) cluster.
    pub edge: Client,
    /// How it reaches the cloud cluster (address and credentials).
    pub cloud: Client,
    /// TEST-ONLY settings appended after the kit's own (see the module docs).
    pub test_overrides: Vec<(String, String)>,
    pub heap: String,
}

impl MirrorOptions {
    /// Single-node test clusters on both sides: replication factors of 1, and topics and
    /// configurations looked for every few seconds instead of every ten minutes.
    pub fn single_node(alias: &str, edge: Client, cloud: Client) -> MirrorOptions {
        let overrides = [
            ("replication.factor", "1"),
            ("offset-syncs.topic.replication.factor", "1"),
            ("heartbeats.topic.replication.factor", "1"),
            ("checkpoints.topic.replication.factor", "1"),
            ("config.storage.replication.factor", "1"),
            ("offset.storage.replication.factor", "1"),
            ("status.storage.replication.factor", "1"),
            ("refresh.topics.interval.seconds", "3"),
            ("refresh.groups.interval.seconds", "3"),
            ("sync.topic.configs.interval.seconds", "5"),
            ("offset.flush.interval.ms", "1000"),
        ];
        MirrorOptions {
            alias: alias.to_string(),
            edge,
            cloud,
            test_overrides: overrides
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            heap: "-Xms64m -Xmx384m".into(),
        }
    }
}

/// A running MirrorMaker 2.
#[derive(Debug)]
pub struct MirrorMaker {
    pub options: MirrorOptions,
    /// The substituted copy of the kit's `mm2.properties` it runs.
    pub properties: PathBuf,
    pub log: PathBuf,
    proc: Option<(Child, Option<ChildStdin>, u32)>,
    _dir: tempfile::TempDir,
}

/// The kit's `mm2.properties` with the alias, addresses and cloud credentials of `o`.
pub fn mm2_properties(kit_file: &Path, o: &MirrorOptions) -> String {
    let text =
        std::fs::read_to_string(kit_file).unwrap_or_else(|e| panic!("{}: {e}", kit_file.display()));
    let alias = &o.alias;
    assert!(
        !alias.is_empty()
            && alias
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
        "an alias is letters, digits, '-' or '_': {alias:?}"
    );
    let mut out = String::new();
    let mut cloud_credentials_done = false;
    for line in text.lines() {
        let t = line.trim();
        let Some((key, value)) = t.split_once('=').filter(|_| !t.starts_with('#')) else {
            out.push_str(line);
            out.push('\n');
            continue;
        };
        let key = if let Some(rest) = key.strip_prefix("edge->cloud.") {
            format!("{alias}->cloud.{rest}")
        } else if let Some(rest) = key.strip_prefix("cloud->edge.") {
            format!("cloud->{alias}.{rest}")
        } else if let Some(rest) = key.strip_prefix("edge.") {
            format!("{alias}.{rest}")
        } else {
            key.to_string()
        };
        let value = match key.as_str() {
            "clusters" => {
                assert_eq!(value, "edge,cloud", "the kit's clusters line changed");
                format!("{alias},cloud")
            }
            k if k == format!("{alias}.bootstrap.servers") => o.edge.bootstrap.clone(),
            "cloud.bootstrap.servers" => o.cloud.bootstrap.clone(),
            k if k.starts_with("cloud.security.")
                || k.starts_with("cloud.sasl.")
                || k.starts_with("cloud.ssl.") =>
            {
                // The cloud's credentials: the test cloud's own, once.
                if !cloud_credentials_done {
                    out.push_str(&client_lines("cloud", &o.cloud));
                    cloud_credentials_done = true;
                }
                continue;
            }
            _ => value.to_string(),
        };
        out.push_str(&format!("{key}={value}\n"));
    }
    if !cloud_credentials_done {
        out.push_str(&client_lines("cloud", &o.cloud));
    }
    out.push_str(&client_lines(alias, &o.edge));
    for left in ["store.local", "cloud.example", "edge->", "->edge"] {
        assert!(
            !out
                .lines()
                .filter(|l| !l.trim_start().starts_with('#'))
                .any(|l| l.contains(left)),
            "{} names `{left}` where the test harness substitutes nothing: teach crates/purser-testkit/src/mirror.rs",
            kit_file.display()
        );
    }
    if !o.test_overrides.is_empty() {
        out.push_str(
            "\n# --- TEST-ONLY overrides (purser-testkit MirrorOptions::test_overrides), not part of the kit ---\n",
        );
        for (k, v) in &o.test_overrides {
            out.push_str(&format!("{k}={v}\n"));
        }
    }
    out
}

/// A client's security settings as `<alias>.`-prefixed MirrorMaker lines (no bootstrap).
fn client_lines(alias: &str, c: &Client) -> String {
    let mut s = String::new();
    let props = c.java_properties();
    let mut protocol = false;
    for l in props.lines() {
        if l.starts_with("bootstrap.servers=") || l.trim().is_empty() {
            continue;
        }
        protocol |= l.starts_with("security.protocol=");
        s.push_str(&format!("{alias}.{l}\n"));
    }
    if !protocol {
        s.push_str(&format!("{alias}.security.protocol=PLAINTEXT\n"));
    }
    s
}

impl MirrorMaker {
    pub fn start(options: MirrorOptions) -> MirrorMaker {
        let kit = kit();
        let dir = tempfile::Builder::new()
            .prefix("purser-mm2-")
            .tempdir()
            .expect("a temporary folder");
        let properties = dir.path().join("mm2.properties");
        std::fs::write(
            &properties,
            mm2_properties(&kit.root.join("mm2.properties"), &options),
        )
        .unwrap();
        let log = dir.path().join("mm2.log");
        let mut mm = MirrorMaker {
            options,
            properties,
            log,
            proc: None,
            _dir: dir,
        };
        mm.spawn();
        mm
    }

    fn spawn(&mut self) {
        let kit = kit();
        let program = [
            kit.bin.join("connect-mirror-maker.sh").into(),
            self.properties.clone().into(),
        ];
        self.proc = Some(spawn_guarded(
            &self.log,
            &program,
            &[
                ("KAFKA_LIBS", kit.libs.as_os_str()),
                ("KAFKA_HEAP_OPTS", self.options.heap.as_ref()),
            ],
        ));
    }

    /// Starts it again after [`MirrorMaker::stop`] (the ship is back in harbour).
    pub fn restart(&mut self) {
        assert!(self.proc.is_none(), "MirrorMaker is already running");
        self.spawn();
    }

    pub fn is_running(&self) -> bool {
        self.proc
            .as_ref()
            .is_some_and(|(_, _, pid)| Path::new(&format!("/proc/{pid}")).exists())
    }

    /// The end of its log, for a failing test's message.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(60)..].join("\n")
    }

    /// SIGTERM, and up to 30 s for it to commit and exit (then SIGKILL).
    pub fn stop(&mut self) {
        let Some((mut guard, stdin, pid)) = self.proc.take() else {
            return;
        };
        let _ = Command::new("kill").arg(pid.to_string()).status();
        let t0 = Instant::now();
        while Path::new(&format!("/proc/{pid}")).exists() && t0.elapsed() < Duration::from_secs(30)
        {
            // A zombie has no cmdline: it has exited.
            if std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| c.is_empty()) {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        drop(stdin);
        let _ = guard.wait();
    }
}

impl Drop for MirrorMaker {
    fn drop(&mut self) {
        if let Some((mut guard, stdin, _)) = self.proc.take() {
            drop(stdin);
            let _ = guard.wait();
        }
    }
}
