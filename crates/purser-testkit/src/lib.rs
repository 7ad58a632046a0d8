//! Test support shared by the crates' broker tests, the WebDriver tests (through the
//! `purser-test-kafka` binary) and the benchmarks.
//!
//! - [`kafka`]: Apache Kafka clusters started from `packaging/kafka/` — the kit's own KRaft
//!   files with only ports, addresses and folders substituted, its `topics.sh` and
//!   `acls.sh` run with Kafka's own admin tools — plus [`kafka::TestKafka`], which honours
//!   `PURSER_TEST_KAFKA`.
//! - [`mirror`]: MirrorMaker 2 run from the kit's own `mm2.properties` (aliases, addresses
//!   and credentials substituted), stopped and started as a ship leaves and enters harbour.
//! - [`netns`]: a network namespace linked to this one by a veth pair whose link can be
//!   cut so packets are dropped (a broker runs inside with [`kafka::ClusterOptions::netns`]).
//! - [`tls`]: a store CA, node and till certificates (valid, expired, from another CA),
//!   made with `openssl` at test time.
//! - [`postgres`]: a PostgreSQL server of Debian's package in a temporary folder, or
//!   `PURSER_TEST_POSTGRES`'s, for the cloud's reconciler and loyalty ledger.
//! - [`ports`]: free loopback ports that do not collide with each other.
//! - [`till`] (feature `till`): a till on a real SQLite file with a clock the test moves,
//!   the cabin guest and demo members it knows, a day of sales at it, and its outbox as
//!   the manager's consumer would read it.

pub mod kafka;
pub mod mirror;
pub mod netns;
pub mod ports;
pub mod postgres;
#[cfg(feature = "till")]
pub mod till;
pub mod tls;

use std::path::PathBuf;

/// The repository's root folder (where `packaging/` is).
pub fn repo_root() -> PathBuf {
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    here.ancestors()
        .find(|p| p.join("packaging/kafka/topics.sh").is_file())
        .map(PathBuf::from)
        .unwrap_or_else(|| panic!("no packaging/kafka/topics.sh above {}", here.display()))
}
