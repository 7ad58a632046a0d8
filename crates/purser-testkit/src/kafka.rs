//! Apache Kafka clusters for tests, started from the edge kit's own files.
//!
//! [`KafkaCluster::start`] formats each node's storage with Kafka's storage tool and starts
//! it with `packaging/kafka/bin/kafka-server-start.sh`, from
//! `packaging/kafka/kraft/single-node/server.properties` (one node, PLAINTEXT) or
//! `packaging/kafka/kraft/three-node/broker-{1,2,3}.properties` (three nodes: SASL_SSL with
//! SCRAM-SHA-512 and mutual TLS for tills, mutual TLS between the nodes, ACLs on,
//! `min.insync.replicas=2`). Only ports, addresses and folders are substituted; a test
//! fails if a kit file names an address or folder the substitution does not know.
//!
//! Each node runs under a small shell guard that kills it when the test process goes away
//! (the guard's stdin is a pipe from this process), so a panicking or killed test leaves
//! no broker behind. Every wait here has a deadline and fails with the node's log.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::ClientConfig;

use crate::ports::free_ports;
use crate::tls::{Ca, Issued, KEYSTORE_PASSWORD};

/// The admin's SCRAM-SHA-512 secret on three-node clusters (created at format time).
pub const ADMIN_USER: &str = "admin";
pub const ADMIN_PASSWORD: &str = "admin-secret";

/// How long a cluster (or a restarted node) may take to be ready.
const READY_TIMEOUT: Duration = Duration::from_secs(180);

/// What to start.
#[derive(Debug, Clone)]
pub struct ClusterOptions {
    /// 1 (the single-node kit file) or 3 (the three-node kit files).
    pub nodes: usize,
    /// The address the nodes listen on and advertise.
    pub host: String,
    /// Run the nodes inside this network namespace (`ip netns exec NS …`); `host` must then
    /// be an address of that namespace that this one can reach.
    pub netns: Option<String>,
    /// The JVM heap of each node.
    pub heap: String,
    /// Partitions of the topics `topics.sh` creates.
    pub partitions: u32,
    /// TEST-ONLY broker settings, appended to each node's copy of the kit's properties
    /// (the last value of a key wins), e.g. `log.cleaner.backoff.ms` so a test sees the
    /// log cleaner within seconds. The kit's own files are never changed; a deployment
    /// gets exactly what `packaging/kafka/` says. Empty by default.
    pub test_overrides: Vec<(String, String)>,
}

impl Default for ClusterOptions {
    fn default() -> ClusterOptions {
        ClusterOptions {
            nodes: 1,
            host: "127.0.0.1".into(),
            netns: None,
            heap: "-Xms96m -Xmx384m".into(),
            partitions: 3,
            test_overrides: Vec::new(),
        }
    }
}

/// The ports of one node.
#[derive(Debug, Clone, Copy)]
pub struct NodePorts {
    /// Where tills connect: PLAINTEXT (one node) or SASL_SSL (three nodes).
    pub client: u16,
    /// Mutual TLS for tills (three nodes only).
    pub mtls: Option<u16>,
    pub controller: u16,
    /// The nodes' own listener (three nodes only).
    pub replication: Option<u16>,
}

#[derive(Debug)]
struct NodeProc {
    guard: Child,
    stdin: Option<ChildStdin>,
    pid: u32,
}

/// One Kafka node (broker and KRaft controller in one process).
#[derive(Debug)]
pub struct Node {
    pub id: u32,
    pub ports: NodePorts,
    pub properties: PathBuf,
    pub log: PathBuf,
    data: PathBuf,
    proc: Option<NodeProc>,
}

/// The TLS material of a secured (three-node) cluster.
#[derive(Debug)]
pub struct ClusterTls {
    /// The store's CA: signed every node's certificate; tills trust it.
    pub ca: Ca,
    /// The folder that stands for the kit's `/etc/kafka/tls`.
    pub dir: PathBuf,
}

/// How a client connects: a bootstrap list and librdkafka properties.
#[derive(Debug, Clone)]
pub struct Client {
    pub bootstrap: String,
    pub props: Vec<(String, String)>,
}

impl Client {
    pub fn config(&self) -> ClientConfig {
        let mut c = ClientConfig::new();
        c.set("bootstrap.servers", &self.bootstrap);
        for (k, v) in &self.props {
            c.set(k, v);
        }
        c
    }

    /// The same properties as a Java client's properties file (for Kafka's own tools).
    pub fn java_properties(&self) -> String {
        let mut s = format!("bootstrap.servers={}\n", self.bootstrap);
        for (k, v) in &self.props {
            let (k, v) = match k.as_str() {
                "sasl.username" | "sasl.password" => continue,
                "ssl.ca.location" => ("ssl.truststore.location".to_string(), v.clone()),
                "ssl.certificate.location" | "ssl.key.location" => continue,
                _ => (k.clone(), v.clone()),
            };
            s.push_str(&format!("{k}={v}\n"));
        }
        if self.props.iter().any(|(k, _)| k == "ssl.ca.location") {
            s.push_str("ssl.truststore.type=PEM\n");
        }
        let user = self.prop("sasl.username");
        let pw = self.prop("sasl.password");
        if let (Some(u), Some(p)) = (user, pw) {
            s.push_str(&format!(
                "sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username=\"{u}\" password=\"{p}\";\n"
            ));
        }
        s
    }

    pub fn prop(&self, key: &str) -> Option<&str> {
        self.props
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// A running Apache Kafka cluster.
#[derive(Debug)]
pub struct KafkaCluster {
    pub options: ClusterOptions,
    pub nodes: Vec<Node>,
    pub tls: Option<ClusterTls>,
    /// `--command-config` for Kafka's tools (the admin over SASL_SSL), three nodes only.
    pub admin_properties: Option<PathBuf>,
    root: PathBuf,
    _dir: Option<tempfile::TempDir>,
}

/// Where the kit lives and where Kafka's jars are.
#[derive(Debug, Clone)]
pub struct Kit {
    pub root: PathBuf,
    pub bin: PathBuf,
    pub libs: PathBuf,
}

impl Kit {
    pub fn find() -> Kit {
        let root = crate::repo_root().join("packaging/kafka");
        let bin = root.join("bin");
        let libs = match std::env::var_os("KAFKA_LIBS") {
            Some(l) if !l.is_empty() => PathBuf::from(l),
            _ => {
                let out = Command::new(root.join("fetch-jars.sh"))
                    .output()
                    .unwrap_or_else(|e| panic!("cannot run packaging/kafka/fetch-jars.sh: {e}"));
                assert!(
                    out.status.success(),
                    "packaging/kafka/fetch-jars.sh failed (run scripts/setup.sh --test): {}",
                    String::from_utf8_lossy(&out.stderr)
                );
                PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
            }
        };
        Kit { root, bin, libs }
    }

    /// A command for one of the kit's scripts (`topics.sh`, `acls.sh`) or of its
    /// `bin/` wrappers (`kafka-topics.sh`, …), with the jars and `KAFKA_BIN` set.
    pub fn command(&self, script: &str) -> Command {
        let path = if self.root.join(script).is_file() {
            self.root.join(script)
        } else {
            self.bin.join(script)
        };
        let mut c = Command::new(path);
        c.env("KAFKA_LIBS", &self.libs).env("KAFKA_BIN", &self.bin);
        c
    }
}

/// The kit, found once per test process (finding it runs `fetch-jars.sh`).
pub(crate) fn kit() -> &'static Kit {
    static KIT: OnceLock<Kit> = OnceLock::new();
    KIT.get_or_init(Kit::find)
}

/// Starts `program` (with `env`) in the background under a shell guard, its output appended
/// to `log`. The guard prints the program's pid and kills it as soon as its stdin — the
/// returned pipe — reaches its end, so a test that panics or is killed leaves nothing
/// running. Returns the guard, that pipe and the pid.
pub(crate) fn spawn_guarded(
    log: &Path,
    program: &[std::ffi::OsString],
    env: &[(&str, &std::ffi::OsStr)],
) -> (Child, Option<ChildStdin>, u32) {
    let script = r#"log="$1"; shift; "$@" >>"$log" 2>&1 & p=$!; echo "$p"; while read -r _; do :; done; kill -9 "$p" 2>/dev/null; wait "$p" 2>/dev/null; exit 0"#;
    let mut cmd = Command::new("bash");
    cmd.arg("-c")
        .arg(script)
        .arg("guard")
        .arg(log)
        .args(program);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut guard = cmd.spawn().expect("bash starts the guard");
    let stdin = guard.stdin.take();
    let mut line = String::new();
    let mut out = std::io::BufReader::new(guard.stdout.take().expect("piped"));
    std::io::BufRead::read_line(&mut out, &mut line).expect("the guard prints the pid");
    let pid: u32 = line
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("the guard printed {line:?} instead of a pid"));
    (guard, stdin, pid)
}

/// Runs a command with a deadline; panics with its output if it fails or overruns.
pub fn run_ok(mut cmd: Command, what: &str, timeout: Duration) -> Output {
    let out = run_with_timeout(&mut cmd, timeout).unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Runs a command, killing it after `timeout`.
pub fn run_with_timeout(cmd: &mut Command, timeout: Duration) -> Result<Output, String> {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {cmd:?}: {e}"))?;
    // Drain the pipes on threads so a chatty tool cannot block on a full pipe.
    let mut so = child.stdout.take().expect("piped");
    let mut se = child.stderr.take().expect("piped");
    let to = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = std::io::Read::read_to_end(&mut so, &mut b);
        b
    });
    let te = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = std::io::Read::read_to_end(&mut se, &mut b);
        b
    });
    let t0 = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().map_err(|e| e.to_string())? {
            break s;
        }
        if t0.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("{cmd:?} did not finish within {timeout:?}"));
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Ok(Output {
        status,
        stdout: to.join().unwrap_or_default(),
        stderr: te.join().unwrap_or_default(),
    })
}

/// A KRaft cluster id: 16 random-enough bytes, base64url without padding (22 characters).
fn cluster_id() -> String {
    loop {
        let id = cluster_id_candidate();
        // Kafka's storage tool would read a leading '-' as an option.
        if !id.starts_with('-') {
            return id;
        }
    }
}

fn cluster_id_candidate() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let seed = now.as_nanos() ^ (u128::from(std::process::id()) << 64) ^ (u128::from(n) << 96);
    let mut x = seed | 1;
    let mut bytes = [0u8; 16];
    for b in bytes.iter_mut() {
        // xorshift: uniqueness, not secrecy, is what a test cluster id needs.
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        *b = (x >> 56) as u8;
    }
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    let mut acc = 0u32;
    let mut bits = 0;
    for b in bytes {
        acc = (acc << 8) | u32::from(b);
        bits += 8;
        while bits >= 6 {
            bits -= 6;
            out.push(A[((acc >> bits) & 63) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(A[((acc << (6 - bits)) & 63) as usize] as char);
    }
    out
}

/// The properties appended for [`ClusterOptions::test_overrides`] (nothing when empty).
fn test_overrides_block(overrides: &[(String, String)]) -> String {
    if overrides.is_empty() {
        return String::new();
    }
    let mut s = String::from(
        "\n# --- TEST-ONLY overrides (purser-testkit ClusterOptions::test_overrides), not part of the kit ---\n",
    );
    for (k, v) in overrides {
        assert!(
            !k.is_empty() && !k.contains(['=', '\n']) && !v.contains('\n'),
            "a broker override is one `key=value` line: {k:?}={v:?}"
        );
        s.push_str(&format!("{k}={v}\n"));
    }
    s
}

/// Substitutes the kit's addresses and folders; panics if any are left unsubstituted.
fn substitute(text: &str, subs: &[(String, String)], file: &Path) -> String {
    let mut s = text.to_string();
    for (from, to) in subs {
        s = s.replace(from, to);
    }
    for left in [
        "0.0.0.0:",
        "store.local:",
        "localhost:",
        "/var/lib/kafka",
        "/etc/kafka",
    ] {
        assert!(
            !s.contains(left),
            "{} names `{left}…` where the test harness substitutes nothing: teach crates/purser-testkit/src/kafka.rs the new address or folder",
            file.display()
        );
    }
    s
}

impl KafkaCluster {
    /// One node from `kraft/single-node/server.properties`, PLAINTEXT.
    pub fn single() -> KafkaCluster {
        KafkaCluster::start(ClusterOptions::default())
    }

    /// Three nodes from `kraft/three-node/`, SASL_SSL + mTLS, ACLs, `min.insync.replicas=2`.
    pub fn three() -> KafkaCluster {
        KafkaCluster::start(ClusterOptions {
            nodes: 3,
            ..ClusterOptions::default()
        })
    }

    pub fn start(options: ClusterOptions) -> KafkaCluster {
        assert!(
            options.nodes == 1 || options.nodes == 3,
            "the kit has one- and three-node files"
        );
        let dir = tempfile::Builder::new()
            .prefix("purser-kafka-")
            .tempdir()
            .expect("a temporary folder");
        let root = dir.path().to_path_buf();
        let kit = kit();
        let h = options.host.clone();
        let n = options.nodes;
        let per_node = if n == 1 { 2 } else { 4 };
        let ports = free_ports(n * per_node);
        let node_ports: Vec<NodePorts> = (0..n)
            .map(|i| {
                let p = &ports[i * per_node..(i + 1) * per_node];
                if n == 1 {
                    NodePorts {
                        client: p[0],
                        mtls: None,
                        controller: p[1],
                        replication: None,
                    }
                } else {
                    NodePorts {
                        client: p[0],
                        mtls: Some(p[1]),
                        controller: p[2],
                        replication: Some(p[3]),
                    }
                }
            })
            .collect();

        let tls = (n == 3).then(|| {
            let tls_dir = root.join("tls");
            let ca = Ca::new(&tls_dir, "store-ca");
            let mut sans = vec!["DNS:localhost".to_string(), format!("IP:{h}")];
            if h != "127.0.0.1" {
                sans.push("IP:127.0.0.1".into());
            }
            for i in 1..=3 {
                let mut s = sans.clone();
                s.push(format!("DNS:kafka-{i}.store.local"));
                ca.node_keystore(
                    &format!("kafka-{i}.store.local"),
                    &s,
                    &tls_dir.join(format!("kafka-{i}.p12")),
                );
            }
            std::fs::write(
                tls_dir.join("secrets.properties"),
                format!("keystore.password={KEYSTORE_PASSWORD}\n"),
            )
            .unwrap();
            ClusterTls { ca, dir: tls_dir }
        });

        let mut nodes = Vec::new();
        for i in 0..n {
            let id = (i + 1) as u32;
            let node_dir = root.join(format!("node-{id}"));
            let data = node_dir.join("data");
            std::fs::create_dir_all(&data).unwrap();
            let p = node_ports[i];
            let (src, subs) = if n == 1 {
                (
                    kit.root.join("kraft/single-node/server.properties"),
                    vec![
                        ("0.0.0.0:9092".to_string(), format!("{h}:{}", p.client)),
                        (
                            "localhost:9093".to_string(),
                            format!("{h}:{}", p.controller),
                        ),
                        (
                            "kafka.store.local:9092".to_string(),
                            format!("{h}:{}", p.client),
                        ),
                        (
                            "/var/lib/kafka/data".to_string(),
                            data.display().to_string(),
                        ),
                    ],
                )
            } else {
                let mut subs = vec![
                    ("0.0.0.0:9094".to_string(), format!("{h}:{}", p.client)),
                    (
                        "0.0.0.0:9095".to_string(),
                        format!("{h}:{}", p.mtls.expect("three nodes")),
                    ),
                    ("0.0.0.0:9093".to_string(), format!("{h}:{}", p.controller)),
                    (
                        "0.0.0.0:9092".to_string(),
                        format!("{h}:{}", p.replication.expect("three nodes")),
                    ),
                ];
                for (j, q) in node_ports.iter().enumerate() {
                    let name = format!("kafka-{}.store.local", j + 1);
                    subs.push((format!("{name}:9094"), format!("{h}:{}", q.client)));
                    subs.push((
                        format!("{name}:9095"),
                        format!("{h}:{}", q.mtls.expect("three nodes")),
                    ));
                    subs.push((format!("{name}:9093"), format!("{h}:{}", q.controller)));
                    subs.push((
                        format!("{name}:9092"),
                        format!("{h}:{}", q.replication.expect("three nodes")),
                    ));
                }
                let tls_dir = &tls.as_ref().expect("three nodes have TLS").dir;
                subs.push(("/etc/kafka/tls".to_string(), tls_dir.display().to_string()));
                subs.push((
                    "/var/lib/kafka/data".to_string(),
                    data.display().to_string(),
                ));
                (
                    kit.root
                        .join(format!("kraft/three-node/broker-{id}.properties")),
                    subs,
                )
            };
            let text =
                std::fs::read_to_string(&src).unwrap_or_else(|e| panic!("{}: {e}", src.display()));
            let properties = node_dir.join("server.properties");
            let mut text = substitute(&text, &subs, &src);
            text.push_str(&test_overrides_block(&options.test_overrides));
            std::fs::write(&properties, text).unwrap();
            nodes.push(Node {
                id,
                ports: p,
                properties,
                log: node_dir.join("server.log"),
                data,
                proc: None,
            });
        }

        // Format every node's storage with one cluster id (in parallel: a JVM each).
        let id = cluster_id();
        std::thread::scope(|s| {
            for node in &nodes {
                let id = &id;
                s.spawn(move || {
                    let mut cmd = kit.command("kafka-storage.sh");
                    cmd.args(["format", "-t", id, "-c"]).arg(&node.properties);
                    if n == 3 {
                        cmd.args([
                            "--add-scram",
                            &format!("SCRAM-SHA-512=[name={ADMIN_USER},password={ADMIN_PASSWORD}]"),
                        ]);
                    }
                    run_ok(
                        cmd,
                        &format!("formatting node {}", node.id),
                        Duration::from_secs(120),
                    );
                });
            }
        });

        let admin_properties = tls.as_ref().map(|t| {
            let p = root.join("admin.properties");
            let c = Client {
                bootstrap: String::new(),
                props: scram_props(ADMIN_USER, ADMIN_PASSWORD, &t.ca.cert),
            };
            let text = c
                .java_properties()
                .lines()
                .filter(|l| !l.starts_with("bootstrap.servers="))
                .collect::<Vec<_>>()
                .join("\n");
            std::fs::write(&p, text + "\n").unwrap();
            p
        });

        let mut cluster = KafkaCluster {
            options,
            nodes,
            tls,
            admin_properties,
            root,
            _dir: Some(dir),
        };
        if std::env::var_os("PURSER_KEEP_KAFKA").is_some() {
            if let Some(d) = cluster._dir.take() {
                let _ = d.keep();
            }
        }
        for i in 0..cluster.nodes.len() {
            cluster.spawn_node(i);
        }
        cluster.wait_ready();
        cluster
    }

    /// The cluster's folder (node folders, logs, TLS material).
    pub fn dir(&self) -> &Path {
        &self.root
    }

    fn spawn_node(&mut self, i: usize) {
        let kit = kit();
        let heap = self.options.heap.clone();
        let netns = self.options.netns.clone();
        let node = &mut self.nodes[i];
        assert!(node.proc.is_none(), "node {} is already running", node.id);
        let mut program = Vec::new();
        if let Some(ns) = &netns {
            program.extend(["ip", "netns", "exec", ns].map(std::ffi::OsString::from));
        }
        program.push(kit.bin.join("kafka-server-start.sh").into());
        program.push(node.properties.clone().into());
        let (guard, stdin, pid) = spawn_guarded(
            &node.log,
            &program,
            &[
                ("KAFKA_LIBS", kit.libs.as_os_str()),
                ("KAFKA_HEAP_OPTS", heap.as_ref()),
            ],
        );
        node.proc = Some(NodeProc { guard, stdin, pid });
    }

    /// Waits until every running node answers and the cluster knows all of them.
    pub fn wait_ready(&self) {
        let t0 = Instant::now();
        let running: Vec<&Node> = self.nodes.iter().filter(|n| n.proc.is_some()).collect();
        for node in &running {
            let addr = format!("{}:{}", self.options.host, node.ports.client);
            while std::net::TcpStream::connect_timeout(
                &addr.parse().expect("host:port"),
                Duration::from_millis(500),
            )
            .is_err()
            {
                self.check_deadline(t0, &format!("node {} to listen on {addr}", node.id));
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        let consumer: BaseConsumer = self
            .admin_client()
            .config()
            .create()
            .expect("a metadata client");
        loop {
            if let Ok(md) = consumer.fetch_metadata(None, Duration::from_secs(5)) {
                if md.brokers().len() >= running.len() {
                    return;
                }
            }
            self.check_deadline(t0, "every node to register with the cluster");
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    fn check_deadline(&self, t0: Instant, what: &str) {
        if t0.elapsed() < READY_TIMEOUT {
            return;
        }
        let mut logs = String::new();
        for n in &self.nodes {
            let text = std::fs::read_to_string(&n.log).unwrap_or_default();
            let tail: Vec<&str> = text.lines().rev().take(30).collect();
            logs.push_str(&format!(
                "\n--- node {} ({}):\n{}",
                n.id,
                n.log.display(),
                tail.into_iter().rev().collect::<Vec<_>>().join("\n")
            ));
        }
        panic!("Kafka: waited {READY_TIMEOUT:?} for {what}{logs}");
    }

    /// SIGKILLs node `id` (1-based), as a power cut would.
    pub fn kill(&mut self, id: u32) {
        let node = self.node_mut(id);
        if let Some(mut p) = node.proc.take() {
            let _ = Command::new("kill")
                .args(["-9", &p.pid.to_string()])
                .status();
            drop(p.stdin.take());
            let _ = p.guard.wait();
        }
    }

    /// Starts node `id` again on its data and ports, and waits until the cluster has it.
    pub fn restart(&mut self, id: u32) {
        let i = self.index(id);
        self.spawn_node(i);
        self.wait_ready();
    }

    /// Whether node `id` is running.
    pub fn is_running(&self, id: u32) -> bool {
        self.nodes[self.index(id)].proc.is_some()
    }

    /// The node's process id (the JVM), while it runs.
    pub fn pid(&self, id: u32) -> Option<u32> {
        self.nodes[self.index(id)].proc.as_ref().map(|p| p.pid)
    }

    fn index(&self, id: u32) -> usize {
        self.nodes
            .iter()
            .position(|n| n.id == id)
            .unwrap_or_else(|| panic!("no node {id}"))
    }

    fn node_mut(&mut self, id: u32) -> &mut Node {
        let i = self.index(id);
        &mut self.nodes[i]
    }

    /// The folder of node `id`'s log segments.
    pub fn data_dir(&self, id: u32) -> &Path {
        &self.nodes[self.index(id)].data
    }

    fn list(&self, port: impl Fn(&NodePorts) -> Option<u16>) -> String {
        self.nodes
            .iter()
            .filter_map(|n| port(&n.ports).map(|p| format!("{}:{p}", self.options.host)))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// The tills' listener: PLAINTEXT on one node, SASL_SSL on three.
    pub fn bootstrap(&self) -> String {
        self.list(|p| Some(p.client))
    }

    /// Mutual TLS listeners (three nodes).
    pub fn mtls_bootstrap(&self) -> String {
        self.list(|p| p.mtls)
    }

    /// A client with every right: PLAINTEXT on one node, the SCRAM admin on three.
    pub fn admin_client(&self) -> Client {
        match &self.tls {
            None => Client {
                bootstrap: self.bootstrap(),
                props: vec![],
            },
            Some(_) => self.scram_client(ADMIN_USER, ADMIN_PASSWORD),
        }
    }

    /// A SCRAM-SHA-512 client over SASL_SSL (three nodes).
    pub fn scram_client(&self, user: &str, password: &str) -> Client {
        let tls = self
            .tls
            .as_ref()
            .expect("SCRAM needs the three-node cluster");
        Client {
            bootstrap: self.bootstrap(),
            props: scram_props(user, password, &tls.ca.cert),
        }
    }

    /// A mutual-TLS client presenting `cert`, trusting `ca` (three nodes).
    pub fn mtls_client(&self, cert: &Issued, ca: &Path) -> Client {
        Client {
            bootstrap: self.mtls_bootstrap(),
            props: vec![
                ("security.protocol".into(), "ssl".into()),
                ("ssl.ca.location".into(), ca.display().to_string()),
                (
                    "ssl.certificate.location".into(),
                    cert.cert.display().to_string(),
                ),
                ("ssl.key.location".into(), cert.key.display().to_string()),
            ],
        }
    }

    /// The store's CA certificate (three nodes).
    pub fn ca_cert(&self) -> &Path {
        &self.tls.as_ref().expect("three nodes have a CA").ca.cert
    }

    /// A till certificate `CN=<cn>,OU=tills,O=Purser tests` from the store's CA.
    pub fn till_cert(&self, cn: &str) -> Issued {
        let tls = self.tls.as_ref().expect("three nodes have a CA");
        tls.ca.issue(
            &format!("till-{cn}"),
            &format!("/O=Purser tests/OU=tills/CN={cn}"),
            &[],
            None,
        )
    }

    /// Runs `topics.sh` of the kit against this cluster (replication = node count).
    pub fn run_topics_sh(&self) -> Output {
        let mut cmd = kit().command("topics.sh");
        cmd.args(["--bootstrap", &self.bootstrap()])
            .args(["--replication", &self.nodes.len().to_string()])
            .args(["--partitions", &self.options.partitions.to_string()]);
        if let Some(p) = &self.admin_properties {
            cmd.arg("--command-config").arg(p);
        }
        run_ok(cmd, "packaging/kafka/topics.sh", Duration::from_secs(300))
    }

    /// Runs `acls.sh` of the kit against this cluster with `args` (e.g. `--scram-user`).
    pub fn run_acls_sh(&self, args: &[&str]) -> Output {
        let mut cmd = self.acls_sh_command(args);
        run_with_timeout(&mut cmd, Duration::from_secs(300))
            .unwrap_or_else(|e| panic!("packaging/kafka/acls.sh: {e}"))
    }

    fn acls_sh_command(&self, args: &[&str]) -> Command {
        let mut cmd = kit().command("acls.sh");
        cmd.args(["--bootstrap", &self.bootstrap()]);
        if let Some(p) = &self.admin_properties {
            cmd.arg("--command-config").arg(p);
        }
        cmd.args(args);
        cmd
    }

    /// Runs one of Kafka's tools (`kafka-topics.sh`, …) as the admin; `--bootstrap-server`
    /// and `--command-config` are added.
    pub fn tool(&self, script: &str, args: &[&str]) -> Output {
        let mut cmd = kit().command(script);
        cmd.args(["--bootstrap-server", &self.bootstrap()]);
        if let Some(p) = &self.admin_properties {
            cmd.arg("--command-config").arg(p);
        }
        cmd.args(args);
        run_ok(cmd, script, Duration::from_secs(300))
    }

    /// Deletes the records of `topic`'s `partition` below `offset` with Kafka's own
    /// `kafka-delete-records.sh` (its log start offset moves to `offset`). Panics with the
    /// tool's answer when the broker refuses (the tool itself exits 0 then), e.g. on a
    /// purely compacted topic, where Kafka does not allow it.
    pub fn delete_records(&self, topic: &str, partition: i32, offset: i64) {
        let json = self
            .root
            .join(format!("delete-records-{topic}-{partition}-{offset}.json"));
        let spec = serde_json::json!({
            "version": 1,
            "partitions": [{"topic": topic, "partition": partition, "offset": offset}],
        });
        std::fs::write(&json, spec.to_string()).expect("the offsets file is written");
        let out = self.tool(
            "kafka-delete-records.sh",
            &["--offset-json-file", &json.display().to_string()],
        );
        let said = String::from_utf8_lossy(&out.stdout);
        assert!(
            said.contains("low_watermark") && !said.contains("error:"),
            "kafka-delete-records.sh did not delete {topic}[{partition}] below {offset}:\n{said}{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// The node leading `topic`'s `partition` now.
    pub fn leader_of(&self, topic: &str, partition: i32) -> u32 {
        let consumer: BaseConsumer = self.admin_client().config().create().expect("a client");
        let t0 = Instant::now();
        loop {
            if let Ok(md) = consumer.fetch_metadata(Some(topic), Duration::from_secs(5)) {
                if let Some(p) = md
                    .topics()
                    .first()
                    .and_then(|t| t.partitions().iter().find(|p| p.id() == partition))
                {
                    if p.leader() >= 0 {
                        return p.leader() as u32;
                    }
                }
            }
            self.check_deadline(t0, &format!("a leader of {topic}[{partition}]"));
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

fn scram_props(user: &str, password: &str, ca: &Path) -> Vec<(String, String)> {
    vec![
        ("security.protocol".into(), "sasl_ssl".into()),
        ("sasl.mechanism".into(), "SCRAM-SHA-512".into()),
        ("sasl.username".into(), user.into()),
        ("sasl.password".into(), password.into()),
        ("ssl.ca.location".into(), ca.display().to_string()),
    ]
}

impl Drop for KafkaCluster {
    fn drop(&mut self) {
        for n in &mut self.nodes {
            if let Some(mut p) = n.proc.take() {
                let _ = Command::new("kill")
                    .args(["-9", &p.pid.to_string()])
                    .status();
                if let Some(mut s) = p.stdin.take() {
                    let _ = s.flush();
                }
                let _ = p.guard.wait();
            }
        }
    }
}

/// The broker a test talks to: `PURSER_TEST_KAFKA` (any Kafka, PLAINTEXT) when set, else
/// an Apache Kafka node started from the kit for this test process and shared by its
/// tests (each uses topics of its own).
#[derive(Debug)]
pub enum TestKafka {
    External(String),
    Local(Box<KafkaCluster>),
}

impl TestKafka {
    /// The process-wide broker.
    pub fn shared() -> &'static TestKafka {
        static SHARED: OnceLock<TestKafka> = OnceLock::new();
        SHARED.get_or_init(|| match std::env::var("PURSER_TEST_KAFKA") {
            Ok(b) if !b.trim().is_empty() => TestKafka::External(b.trim().to_string()),
            _ => TestKafka::Local(Box::new(KafkaCluster::single())),
        })
    }

    pub fn bootstrap(&self) -> String {
        match self {
            TestKafka::External(b) => b.clone(),
            TestKafka::Local(c) => c.bootstrap(),
        }
    }

    /// The local cluster, if the tests started one (fault tests need it).
    pub fn local(&self) -> Option<&KafkaCluster> {
        match self {
            TestKafka::External(_) => None,
            TestKafka::Local(c) => Some(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cluster_ids_are_22_base64url_characters() {
        for _ in 0..1000 {
            let id = cluster_id();
            assert_eq!(id.len(), 22, "{id}");
            assert!(!id.starts_with('-'), "{id}");
        }
        let id = cluster_id();
        assert!(id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
    }

    #[test]
    fn test_overrides_come_after_the_kit_and_are_marked() {
        assert_eq!(test_overrides_block(&[]), "");
        let b = test_overrides_block(&[("log.cleaner.backoff.ms".into(), "200".into())]);
        assert!(b.contains("TEST-ONLY"), "{b}");
        assert!(b.ends_with("log.cleaner.backoff.ms=200\n"), "{b}");
        let r = std::panic::catch_unwind(|| test_overrides_block(&[("a=b".into(), "c".into())]));
        assert!(r.is_err(), "a key with `=` is refused");
    }

    #[test]
    fn an_unknown_address_in_a_kit_file_fails_loudly() {
        let r = std::panic::catch_unwind(|| {
            substitute(
                "listeners=PLAINTEXT://0.0.0.0:9099",
                &[],
                Path::new("x.properties"),
            )
        });
        assert!(r.is_err());
        let ok = substitute(
            "listeners=PLAINTEXT://0.0.0.0:9092",
            &[("0.0.0.0:9092".into(), "127.0.0.1:1".into())],
            Path::new("x.properties"),
        );
        assert_eq!(ok, "listeners=PLAINTEXT://127.0.0.1:1");
    }
}
