//! Starts an Apache Kafka cluster from the edge kit's own files for a person or a test
//! written in another language (the WebDriver tests, the benchmarks), prints how to reach
//! it, and keeps it running until its standard input ends (Ctrl-D, or the parent process
//! going away) or it is sent SIGTERM/SIGINT.
//!
//! Lines on stdin control it: `kill N` SIGKILLs node N, `restart N` starts it again on the
//! same data and ports and waits until the cluster has it; each is answered with a line
//! `ok kill N` / `ok restart N` on stdout (or `error …`).
//!
//!   purser-test-kafka [--nodes 1|3] [--topics] [--partitions N] [--json]
//!
//! `--topics` runs the kit's `topics.sh` once the cluster is up. With `--json` the first
//! line on stdout is one JSON object: bootstrap, mtls_bootstrap, admin (librdkafka
//! properties), ca, dir, nodes (id, pid, ports).

use std::io::BufRead;

use purser_testkit::kafka::{ClusterOptions, KafkaCluster};

fn main() {
    let mut opts = ClusterOptions::default();
    let mut topics = false;
    let mut json = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--nodes" => {
                opts.nodes = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .filter(|n| *n == 1 || *n == 3)
                    .unwrap_or_else(|| usage("--nodes takes 1 or 3"))
            }
            "--partitions" => {
                opts.partitions = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .filter(|n| *n >= 1)
                    .unwrap_or_else(|| usage("--partitions takes a number ≥ 1"))
            }
            "--heap" => {
                opts.heap = args
                    .next()
                    .unwrap_or_else(|| usage("--heap takes JVM options"))
            }
            "--topics" => topics = true,
            "--json" => json = true,
            "-h" | "--help" => {
                println!("usage: purser-test-kafka [--nodes 1|3] [--topics] [--partitions N] [--heap '-Xmx384m'] [--json]");
                return;
            }
            other => usage(&format!("unknown option {other}")),
        }
    }
    let mut cluster = KafkaCluster::start(opts);
    if topics {
        cluster.run_topics_sh();
    }
    let admin = cluster.admin_client();
    if json {
        let nodes: Vec<serde_json::Value> = cluster
            .nodes
            .iter()
            .map(|n| {
                serde_json::json!({
                    "id": n.id, "pid": cluster.pid(n.id), "client_port": n.ports.client,
                    "mtls_port": n.ports.mtls, "log": n.log,
                })
            })
            .collect();
        let v = serde_json::json!({
            "bootstrap": cluster.bootstrap(),
            "mtls_bootstrap": cluster.mtls_bootstrap(),
            "admin": admin.props.iter().cloned().collect::<std::collections::BTreeMap<_, _>>(),
            "admin_properties": cluster.admin_properties,
            "ca": cluster.tls.as_ref().map(|t| t.ca.cert.clone()),
            "dir": cluster.dir(),
            "nodes": nodes,
        });
        println!("{v}");
    } else {
        println!("Apache Kafka is up: bootstrap {}", cluster.bootstrap());
        if let Some(p) = &cluster.admin_properties {
            println!(
                "admin: SASL_SSL SCRAM-SHA-512 user admin; Kafka tools: --command-config {}",
                p.display()
            );
            println!("mutual TLS listeners: {}", cluster.mtls_bootstrap());
        }
        println!(
            "folder: {}  (Ctrl-D or Ctrl-C stops it)",
            cluster.dir().display()
        );
    }
    // Until stdin ends; SIGINT/SIGTERM end the process, and the nodes' guards see their
    // pipes close and stop the nodes.
    let stdin = std::io::stdin();
    for line in stdin.lock().lines() {
        let Ok(line) = line else { break };
        let words: Vec<&str> = line.split_whitespace().collect();
        let node = words.get(1).and_then(|n| n.parse::<u32>().ok());
        let known = node.is_some_and(|n| cluster.nodes.iter().any(|x| x.id == n));
        match (words.first().copied(), node) {
            (Some("kill"), Some(n)) if known => {
                cluster.kill(n);
                println!("ok kill {n}");
            }
            (Some("restart"), Some(n)) if known && !cluster.is_running(n) => {
                cluster.restart(n);
                println!("ok restart {n}");
            }
            (None, _) => {}
            _ => println!(
                "error: expected `kill N` or `restart N` of a node that is (not) running: {line}"
            ),
        }
    }
    drop(cluster);
}

fn usage(msg: &str) -> ! {
    eprintln!("purser-test-kafka: {msg} (see --help)");
    std::process::exit(2);
}
