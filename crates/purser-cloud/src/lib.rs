//! Purser's cloud side: the reference implementation of what a data team does with the
//! topics MirrorMaker 2 brings from every store or ship.
//!
//! - [`reconcile`]: pure reconciliation of every till's events (each once by `event_id`,
//!   gaps by `till_seq`, each Z rebuilt with the till's own formulas, the hash chain).
//! - [`source`]: reads the replicated till topics of a cluster once, found by pattern
//!   (`<alias>.pos.payments.v1` and the like), into a [`reconcile::Reconciler`]
//!   (`purser-cloud check`, no database).
//! - [`service`]: the consumer-group loop both services run, results and consumed offsets
//!   committed together in PostgreSQL ([`db`]: connection, migrations, offsets).
//! - [`days`]: the reconciler service (`purser-cloud reconcile`), each till's days in
//!   PostgreSQL and on `pos.reconciliation.v1`; `purser-cloud report` prints them.
//! - [`ledger`]: the loyalty ledger (`purser-cloud ledger`), balances exactly once per
//!   `event_id`, published on `pos.loyalty-accounts.v1` with each till's watermark.

pub mod days;
pub mod db;
pub mod ledger;
pub mod reconcile;
pub mod service;
pub mod source;
