//! Purser's cloud side: the reference implementation of what a data team does with the
//! topics MirrorMaker 2 brings from every store or ship.
//!
//! - [`reconcile`]: pure reconciliation of every till's events (each once by `event_id`,
//!   gaps by `till_seq`, each Z rebuilt with the till's own formulas, the hash chain).
//! - [`source`]: reads the replicated till topics of a cluster, found by pattern
//!   (`<alias>.pos.payments.v1` and the like), into a [`reconcile::Reconciler`].

pub mod reconcile;
pub mod source;
