//! PostgreSQL for the cloud's tests and benchmarks: Debian's own server binaries
//! (`/usr/lib/postgresql/<version>/bin`, installed by `scripts/setup.sh --test`), a fresh
//! cluster in a temporary folder, listening on a free loopback port, stopped (fast
//! shutdown) when dropped and killed by its shell guard if the test process dies.
//!
//! PostgreSQL refuses to run as root: when the tests run as root (as `.ci/run` does), the
//! cluster's folder is handed to the `postgres` user Debian's package creates (or `nobody`)
//! and the server runs as that user through `setpriv`.
//!
//! `PURSER_TEST_POSTGRES=postgres://user:pass@host:port/db` points the tests at a server of
//! one's own instead; each [`TestPostgres::database`] is then a new database on it.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use crate::kafka::{run_ok, spawn_guarded};
use crate::ports::free_port;

/// One PostgreSQL server started for a test (see the module docs).
pub struct PostgresServer {
    dir: tempfile::TempDir,
    port: u16,
    bin: PathBuf,
    run_as: Option<(u32, u32)>,
    proc: Option<(Child, Option<ChildStdin>, u32)>,
}

/// Options of a test server.
#[derive(Clone, Debug)]
pub struct PgOptions {
    /// `fsync=off`: a crash may lose the cluster; tests do not care, benchmarks do.
    pub no_fsync: bool,
    /// `shared_buffers`, e.g. "256MB".
    pub shared_buffers: String,
}

impl Default for PgOptions {
    fn default() -> Self {
        PgOptions {
            no_fsync: true,
            shared_buffers: "128MB".into(),
        }
    }
}

/// Debian's newest installed server binaries, or `PURSER_PG_BIN`.
pub fn pg_bin() -> PathBuf {
    if let Some(b) = std::env::var_os("PURSER_PG_BIN") {
        return PathBuf::from(b);
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let v: u32 = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("postgres").is_file().then_some((v, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, b)| b).unwrap_or_else(|| {
        panic!(
            "no PostgreSQL server in /usr/lib/postgresql/*/bin: run scripts/setup.sh --test \
             (Debian's postgresql package), or set PURSER_PG_BIN or PURSER_TEST_POSTGRES"
        )
    })
}

/// Folders of servers whose test process ended without dropping them (a process-wide
/// server): no live postmaster, older than a minute.
fn remove_stale_folders() {
    let tmp = std::env::temp_dir();
    for e in std::fs::read_dir(&tmp).into_iter().flatten().flatten() {
        let name = e.file_name();
        if !name.to_string_lossy().starts_with("purser-pg-") {
            continue;
        }
        let dir = e.path();
        let old = e
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|a| a > Duration::from_secs(60));
        let pid = std::fs::read_to_string(dir.join("data/postmaster.pid"))
            .ok()
            .and_then(|s| s.lines().next().map(str::to_string));
        let alive = pid.is_some_and(|p| Path::new(&format!("/proc/{p}")).exists());
        if old && !alive {
            let _ = std::fs::remove_dir_all(&dir);
        }
    }
}

/// The user a root test process runs the server as: `postgres`, else `nobody`.
fn unprivileged() -> (u32, u32) {
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    let find = |name: &str| {
        passwd.lines().find_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            if f.len() > 3 && f[0] == name {
                Some((f[2].parse().ok()?, f[3].parse().ok()?))
            } else {
                None
            }
        })
    };
    find("postgres")
        .or_else(|| find("nobody"))
        .unwrap_or((65534, 65534))
}

fn is_root() -> bool {
    std::fs::metadata("/proc/self")
        .map(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0)
        .unwrap_or(false)
}

impl PostgresServer {
    /// Starts a fresh server and waits until it accepts connections.
    pub fn start(options: PgOptions) -> PostgresServer {
        remove_stale_folders();
        let bin = pg_bin();
        let dir = tempfile::Builder::new()
            .prefix("purser-pg-")
            .tempdir()
            .expect("a temporary folder");
        let run_as = is_root().then(unprivileged);
        if let Some((uid, gid)) = run_as {
            std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid))
                .expect("hand the cluster's folder to the server's user");
        }
        let data = dir.path().join("data");
        let mut initdb = Self::command(&bin, run_as, "initdb");
        initdb
            .arg("-D")
            .arg(&data)
            .args(["-U", "purser", "--auth=trust", "-E", "UTF8", "--locale=C"])
            .arg("--no-sync");
        run_ok(initdb, "initdb", Duration::from_secs(120));
        let mut server = PostgresServer {
            dir,
            port: free_port(),
            bin,
            run_as,
            proc: None,
        };
        server.spawn(&options);
        server
    }

    fn command(bin: &Path, run_as: Option<(u32, u32)>, tool: &str) -> Command {
        let program = Self::program(bin, run_as, tool);
        let mut c = Command::new(&program[0]);
        c.args(&program[1..]);
        c
    }

    fn program(bin: &Path, run_as: Option<(u32, u32)>, tool: &str) -> Vec<OsString> {
        let mut p: Vec<OsString> = Vec::new();
        if let Some((uid, gid)) = run_as {
            p.extend(
                [
                    "setpriv".to_string(),
                    format!("--reuid={uid}"),
                    format!("--regid={gid}"),
                    "--clear-groups".to_string(),
                ]
                .map(OsString::from),
            );
        }
        p.push(bin.join(tool).into_os_string());
        p
    }

    fn spawn(&mut self, options: &PgOptions) {
        let data = self.dir.path().join("data");
        let mut program = Self::program(&self.bin, self.run_as, "postgres");
        program.push("-D".into());
        program.push(data.into_os_string());
        let settings = [
            format!("port={}", self.port),
            "listen_addresses=127.0.0.1".into(),
            format!("unix_socket_directories={}", self.dir.path().display()),
            format!("fsync={}", if options.no_fsync { "off" } else { "on" }),
            format!(
                "synchronous_commit={}",
                if options.no_fsync { "off" } else { "on" }
            ),
            "full_page_writes=off".into(),
            format!("shared_buffers={}", options.shared_buffers),
            "max_connections=50".into(),
        ];
        for s in settings {
            program.push("-c".into());
            program.push(s.into());
        }
        let log = self.dir.path().join("postgres.log");
        let (guard, stdin, pid) = spawn_guarded(&log, &program, &[]);
        self.proc = Some((guard, stdin, pid));
        self.wait_ready();
    }

    fn wait_ready(&self) {
        let t0 = Instant::now();
        loop {
            let mut ready = Self::command(&self.bin, None, "pg_isready");
            ready.args(["-h", "127.0.0.1", "-p", &self.port.to_string(), "-q"]);
            if ready.status().is_ok_and(|s| s.success()) {
                return;
            }
            if t0.elapsed() > Duration::from_secs(60) {
                panic!(
                    "PostgreSQL did not start in 60 s; its log:\n{}",
                    std::fs::read_to_string(self.dir.path().join("postgres.log"))
                        .unwrap_or_default()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// A connection string for `db` on this server.
    pub fn url(&self, db: &str) -> String {
        format!("postgres://purser@127.0.0.1:{}/{db}", self.port)
    }

    /// The server's log so far (for a failing test's message).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("postgres.log")).unwrap_or_default()
    }

    /// Stops the server with a fast shutdown (SIGINT) and waits for it.
    pub fn stop(&mut self) {
        if let Some((mut guard, stdin, pid)) = self.proc.take() {
            let _ = Command::new("kill")
                .args(["-INT", &pid.to_string()])
                .status();
            let t0 = Instant::now();
            while Path::new(&format!("/proc/{pid}")).exists()
                && t0.elapsed() < Duration::from_secs(20)
            {
                std::thread::sleep(Duration::from_millis(50));
            }
            drop(stdin);
            let _ = guard.wait();
        }
    }
}

impl Drop for PostgresServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The tests' PostgreSQL: a server of their own, or `PURSER_TEST_POSTGRES`'s.
pub enum TestPostgres {
    External(String),
    Local(Box<PostgresServer>),
}

impl TestPostgres {
    /// The process-wide server (killed by its guard when the test process ends; its folder
    /// is removed by the next start).
    pub fn shared() -> &'static TestPostgres {
        static SHARED: std::sync::OnceLock<TestPostgres> = std::sync::OnceLock::new();
        SHARED.get_or_init(TestPostgres::start)
    }

    /// A server of the tests' own, or the one `PURSER_TEST_POSTGRES` names.
    pub fn start() -> TestPostgres {
        match std::env::var("PURSER_TEST_POSTGRES") {
            Ok(u) if !u.trim().is_empty() => TestPostgres::External(u.trim().to_string()),
            _ => TestPostgres::Local(Box::new(PostgresServer::start(PgOptions::default()))),
        }
    }

    /// Creates a new, empty database and returns its connection string.
    pub fn database(&self, name_hint: &str) -> String {
        static N: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "purser_{}_{}_{}",
            name_hint
                .chars()
                .filter(|c| c.is_ascii_alphanumeric())
                .collect::<String>()
                .to_lowercase(),
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        );
        let admin = self.url_for("postgres");
        let bin = match self {
            TestPostgres::Local(s) => Some(s.bin.join("psql")),
            TestPostgres::External(_) => None,
        };
        let psql = bin.unwrap_or_else(|| PathBuf::from("psql"));
        let mut c = Command::new(psql);
        c.args(["-q", "-v", "ON_ERROR_STOP=1", &admin, "-c"])
            .arg(format!("CREATE DATABASE {name}"));
        run_ok(c, "psql CREATE DATABASE", Duration::from_secs(60));
        self.url_for(&name)
    }

    fn url_for(&self, db: &str) -> String {
        match self {
            TestPostgres::Local(s) => s.url(db),
            TestPostgres::External(u) => {
                // Replace the database part of the URL.
                let base = match u.rfind('/') {
                    Some(i) if i > "postgres://".len() => &u[..i],
                    _ => u.as_str(),
                };
                let query = u.find('?').map(|i| &u[i..]).unwrap_or("");
                format!("{base}/{db}{query}")
            }
        }
    }

    /// The local server, if the tests started one (restart tests need it).
    pub fn local(&mut self) -> Option<&mut PostgresServer> {
        match self {
            TestPostgres::Local(s) => Some(s),
            TestPostgres::External(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_external_url_gets_each_test_database_in_place_of_its_own() {
        let t =
            TestPostgres::External("postgres://u:p@db.example:5433/main?sslmode=require".into());
        assert_eq!(
            t.url_for("purser_x"),
            "postgres://u:p@db.example:5433/purser_x?sslmode=require"
        );
    }
}
