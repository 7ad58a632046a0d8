//! Purser's pure domain. No I/O: no files, no network, no clock, no randomness. Time and
//! ids are passed in (`clock`), so every function here is deterministic and unit-testable.

pub mod barcode;
pub mod cart;
pub mod catalog;
pub mod chain;
pub mod clock;
pub mod contract;
pub mod events;
pub mod inbound;
pub mod loyalty;
pub mod money;
pub mod pricing;
pub mod reconciliation;
pub mod report;
pub mod sale;
pub mod shift;
pub mod split;
pub mod tab;
pub mod tax;
pub mod tender;

pub use money::{Currency, Money};
