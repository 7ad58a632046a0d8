//! Network namespaces for fault tests: a broker in a namespace of its own, reached from
//! this one over a veth pair, and a link that can be cut so that packets are DROPPED —
//! connections hang, as across a pulled cable or a dead switch, instead of being refused.
//!
//! [`Netns::create`] makes the namespace `purser-fault-<pid>-<n>`, a veth pair with one end
//! in it, a /30 of `10.254.254.0/24` that no interface here uses yet (this side `.1`, the
//! namespace `.2` of the /30), `lo` up inside, and permanent neighbour entries on both ends
//! (so a cut cannot end early in an ARP failure, which would fail connections fast with
//! "no route to host" instead of letting them hang). [`Netns::cut`] puts a `pfifo` queue
//! of length 0 on both ends of the pair — every packet either way is dropped as it is sent,
//! and TCP just retransmits; [`Netns::restore`] removes it. (This kernel has no `netem`
//! and the image no `iptables`/`nft`; a zero-length queue drops the same way.)
//!
//! Only namespaces made here are touched: dropping a [`Netns`] (also while a test panics)
//! deletes it, and creating one first deletes leftovers of this naming scheme whose process
//! is gone (a test killed with SIGKILL cannot run its destructors).

use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;

const PREFIX: &str = "purser-fault-";

#[derive(Debug, thiserror::Error)]
pub enum NetnsError {
    #[error(
        "network namespaces need root (this process runs as uid {0}); run the fault tests as root"
    )]
    NotRoot(u32),
    #[error("`{0}` was not found (install iproute2); the network-partition test needs it")]
    MissingTool(&'static str),
    #[error("{what} failed: {stderr}")]
    Command { what: String, stderr: String },
    #[error("no free /30 left in 10.254.254.0/24 for a test namespace")]
    NoFreeSubnet,
}

/// A network namespace with a veth link to this one; deleted on drop.
#[derive(Debug)]
pub struct Netns {
    name: String,
    host_if: String,
    ns_if: String,
    host_addr: Ipv4Addr,
    ns_addr: Ipv4Addr,
    cut: Mutex<bool>,
    ip: PathBuf,
    tc: PathBuf,
}

fn tool(name: &'static str) -> Result<PathBuf, NetnsError> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/sbin", "/usr/bin", "/bin"].map(PathBuf::from))
        .map(|d| d.join(name))
        .find(|p| p.is_file())
        .ok_or(NetnsError::MissingTool(name))
}

fn uid() -> u32 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(2))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(u32::MAX)
}

fn run(cmd: &mut Command, what: impl Into<String>) -> Result<String, NetnsError> {
    let what = what.into();
    let out = cmd.output().map_err(|e| NetnsError::Command {
        what: what.clone(),
        stderr: e.to_string(),
    })?;
    if !out.status.success() {
        return Err(NetnsError::Command {
            what,
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Serialises creation inside this process (subnet choice, names).
static CREATE: Mutex<()> = Mutex::new(());
static SERIAL: AtomicU32 = AtomicU32::new(0);

impl Netns {
    /// Makes a namespace and its link; see the module docs.
    pub fn create() -> Result<Netns, NetnsError> {
        let uid = uid();
        if uid != 0 {
            return Err(NetnsError::NotRoot(uid));
        }
        let ip = tool("ip")?;
        let tc = tool("tc")?;
        let _guard = CREATE.lock().unwrap_or_else(|e| e.into_inner());
        remove_stale(&ip);
        let pid = std::process::id();
        let n = SERIAL.fetch_add(1, Ordering::Relaxed);
        let name = format!("{PREFIX}{pid}-{n}");
        // Interface names have at most 15 bytes.
        let tag = format!("{}{n}", pid % 100_000);
        let (host_if, ns_if) = (format!("pf{tag}h"), format!("pf{tag}n"));
        let used = run(
            Command::new(&ip).args(["-o", "-4", "addr", "show"]),
            "ip addr show",
        )?;
        let k = (0u8..64)
            .find(|k| !used.contains(&format!("10.254.254.{}/", 4 * k + 1)))
            .ok_or(NetnsError::NoFreeSubnet)?;
        let host_addr = Ipv4Addr::new(10, 254, 254, 4 * k + 1);
        let ns_addr = Ipv4Addr::new(10, 254, 254, 4 * k + 2);
        let (host_mac, ns_mac) = (
            format!("02:00:0a:fe:fe:{:02x}", 4 * k + 1),
            format!("02:00:0a:fe:fe:{:02x}", 4 * k + 2),
        );
        run(
            Command::new(&ip).args(["netns", "add", &name]),
            format!("ip netns add {name}"),
        )?;
        // From here on, dropping `ns` cleans up whatever was made.
        let ns = Netns {
            name,
            host_if,
            ns_if,
            host_addr,
            ns_addr,
            cut: Mutex::new(false),
            ip,
            tc,
        };
        let steps: Vec<Vec<String>> = vec![
            vec![
                "link",
                "add",
                &ns.host_if,
                "address",
                &host_mac,
                "type",
                "veth",
                "peer",
                "name",
                &ns.ns_if,
                "address",
                &ns_mac,
                "netns",
                &ns.name,
            ]
            .into_iter()
            .map(String::from)
            .collect(),
            vec![
                "addr".into(),
                "add".into(),
                format!("{host_addr}/30"),
                "dev".into(),
                ns.host_if.clone(),
            ],
            vec!["link".into(), "set".into(), ns.host_if.clone(), "up".into()],
            vec![
                "-n".into(),
                ns.name.clone(),
                "addr".into(),
                "add".into(),
                format!("{ns_addr}/30"),
                "dev".into(),
                ns.ns_if.clone(),
            ],
            vec![
                "-n".into(),
                ns.name.clone(),
                "link".into(),
                "set".into(),
                ns.ns_if.clone(),
                "up".into(),
            ],
            vec![
                "-n".into(),
                ns.name.clone(),
                "link".into(),
                "set".into(),
                "lo".into(),
                "up".into(),
            ],
            vec![
                "neigh".into(),
                "replace".into(),
                ns_addr.to_string(),
                "lladdr".into(),
                ns_mac.clone(),
                "dev".into(),
                ns.host_if.clone(),
                "nud".into(),
                "permanent".into(),
            ],
            vec![
                "-n".into(),
                ns.name.clone(),
                "neigh".into(),
                "replace".into(),
                host_addr.to_string(),
                "lladdr".into(),
                host_mac.clone(),
                "dev".into(),
                ns.ns_if.clone(),
                "nud".into(),
                "permanent".into(),
            ],
        ];
        for args in steps {
            run(
                Command::new(&ns.ip).args(&args),
                format!("ip {}", args.join(" ")),
            )?;
        }
        Ok(ns)
    }

    /// The namespace's name (for `ip netns exec`, [`crate::kafka::ClusterOptions::netns`]).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The namespace's address, reachable from here while the link is up.
    pub fn addr(&self) -> Ipv4Addr {
        self.ns_addr
    }

    /// This side's address on the link.
    pub fn host_addr(&self) -> Ipv4Addr {
        self.host_addr
    }

    /// Cuts the link: from now on every packet either way is dropped.
    pub fn cut(&self) -> Result<(), NetnsError> {
        let mut cut = self.cut.lock().unwrap_or_else(|e| e.into_inner());
        for (netns, dev) in [(None, &self.host_if), (Some(&self.name), &self.ns_if)] {
            let mut c = self.tc_in(netns);
            c.args([
                "qdisc", "replace", "dev", dev, "root", "pfifo", "limit", "0",
            ]);
            run(
                &mut c,
                format!("tc qdisc replace dev {dev} root pfifo limit 0"),
            )?;
        }
        *cut = true;
        Ok(())
    }

    /// Restores the link cut by [`Netns::cut`].
    pub fn restore(&self) -> Result<(), NetnsError> {
        let mut cut = self.cut.lock().unwrap_or_else(|e| e.into_inner());
        for (netns, dev) in [(None, &self.host_if), (Some(&self.name), &self.ns_if)] {
            let mut c = self.tc_in(netns);
            c.args(["qdisc", "del", "dev", dev, "root"]);
            run(&mut c, format!("tc qdisc del dev {dev} root"))?;
        }
        *cut = false;
        Ok(())
    }

    /// Whether the link is cut now.
    pub fn is_cut(&self) -> bool {
        *self.cut.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn tc_in(&self, netns: Option<&String>) -> Command {
        match netns {
            None => Command::new(&self.tc),
            Some(ns) => {
                let mut c = Command::new(&self.ip);
                c.args(["netns", "exec", ns]).arg(&self.tc);
                c
            }
        }
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        // Deleting the namespace destroys its end of the pair and with it this end; the
        // explicit delete covers a namespace some process still holds open.
        let _ = Command::new(&self.ip)
            .args(["netns", "del", &self.name])
            .output();
        let _ = Command::new(&self.ip)
            .args(["link", "del", &self.host_if])
            .output();
    }
}

/// Deletes namespaces of this naming scheme whose creating process no longer exists.
fn remove_stale(ip: &PathBuf) {
    let Ok(out) = Command::new(ip).args(["netns", "list"]).output() else {
        return;
    };
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let name = line.split_whitespace().next().unwrap_or_default();
        let Some(rest) = name.strip_prefix(PREFIX) else {
            continue;
        };
        let Some(pid) = rest.split('-').next().and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        if !std::path::Path::new(&format!("/proc/{pid}")).exists() {
            let _ = Command::new(ip).args(["netns", "del", name]).output();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::ErrorKind;
    use std::net::{SocketAddr, TcpStream};
    use std::time::Duration;

    /// The cut really drops packets: a listener inside answers, then connecting hangs until
    /// the client's own timeout (not refused, not unreachable), then answers again.
    #[test]
    fn a_cut_link_drops_packets_and_a_restored_one_carries_them() {
        let ns = Netns::create().unwrap_or_else(|e| {
            panic!("this test needs network namespaces and cannot run here: {e}")
        });
        let addr = SocketAddr::from((ns.addr(), 7777));
        // A listener inside the namespace; the backlog accepts without an accept() call.
        let mut listener = Command::new(&ns.ip)
            .args(["netns", "exec", ns.name(), "python3", "-c"])
            .arg("import socket,sys,time\ns=socket.socket(); s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1); s.bind((sys.argv[1],7777)); s.listen(64); print('up',flush=True); time.sleep(60)")
            .arg(ns.addr().to_string())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("python3 runs a listener in the namespace");
        let mut line = String::new();
        std::io::BufRead::read_line(
            &mut std::io::BufReader::new(listener.stdout.take().unwrap()),
            &mut line,
        )
        .unwrap();
        assert_eq!(line.trim(), "up");
        let connect = || TcpStream::connect_timeout(&addr, Duration::from_secs(2));
        assert!(connect().is_ok(), "the link carries packets");
        ns.cut().unwrap();
        assert!(ns.is_cut());
        let err = connect().expect_err("a cut link must not connect");
        assert_eq!(
            err.kind(),
            ErrorKind::TimedOut,
            "packets must vanish (a hang), not be refused: {err}"
        );
        ns.restore().unwrap();
        assert!(connect().is_ok(), "the restored link carries packets again");
        let _ = listener.kill();
        let _ = listener.wait();
        let name = ns.name().to_string();
        drop(ns);
        let list = Command::new("ip").args(["netns", "list"]).output().unwrap();
        assert!(
            !String::from_utf8_lossy(&list.stdout).contains(&name),
            "the namespace is deleted on drop"
        );
    }
}
