//! Purser's Kafka side. The relay moves the till's outbox to the store's cluster;
//! `config` holds the client settings every Kafka client of the till shares.

pub mod admin;
pub mod config;
pub mod context;
pub mod embedded;
mod ends;
pub mod inbound;
pub mod probe;
pub mod publish;
pub mod readback;
pub mod relay;
pub mod report;

pub use config::{KafkaConfig, SecurityProtocol, Topics};
pub use relay::{Relay, RelayError, RelayOptions, RelayStatus, RunMode, Waker};
