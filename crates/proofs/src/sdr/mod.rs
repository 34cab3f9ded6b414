//! Stacked-DRG Proof-of-Replication, bit-compatible with Filecoin's V1_1 proofs.
//!
//! - [`params`]: the per-sector-size parameter table, `porep_id` and `replica_id`;
//! - [`graph`]: the DRG (6 base parents) and expander (8 parents) graph and its parent cache;
//! - [`cache`]: the on-disk parent cache (56 bytes per node) and its sequential reader;
//! - [`label`]: labeling (PC1), the sequential SHA-256 chain over the layers;
//! - [`tree_file`]: Merkle trees on disk (TreeD, TreeC, TreeR) and their inclusion paths;
//! - [`seal`]: sealing a sector (TreeD, labels, TreeC, replica, TreeR, CommR);
//! - [`commit`]: seal-commit vanilla proofs and their verification; [`proof`]: their encoding;
//! - [`post`]: Winning and Window PoSt challenges, vanilla proofs and verification;
//! - [`unseal`]: recovering the original bytes (or a range) from a replica.

pub mod cache;
pub mod commit;
pub mod graph;
pub mod label;
pub mod params;
pub mod post;
pub mod proof;
pub mod seal;
pub mod tree_file;
pub mod unseal;
