#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing,
        clippy::arithmetic_side_effects
    )
)]
// Errors carry the CIDs they are about (a CID is ~100 bytes inline); they are built on cold
// paths only, so a larger `Result` costs nothing that matters.
#![allow(clippy::result_large_err)]
//! Content-addressed data for Flowcoin, compatible with IPFS to the byte.
//!
//! - [`hash`]: CIDs and the hash functions blocks are checked with.
//! - [`dagpb`]: the dag-pb codec.
//! - [`unixfs`]: files and directories as UnixFS DAGs, built exactly as Kubo's `ipfs add` builds
//!   them, and read back ([`unixfs::Exporter`]).
//! - [`car`]: CARv1 writing and CARv1/CARv2 reading, with every block verified.
//! - [`store`]: the [`store::Blockstore`] interface and the persistent, crash-safe [`store::DiskStore`].
//! - [`pieces`]: splitting a DAG into CAR pieces that each fit a sector.
//!
//! This crate does no network I/O. It is not the place for piece commitments (that is
//! `flowcoin-proofs`) or for deals.
//!
//! ```
//! use flowcoin_dag::store::MemoryBlockstore;
//! use flowcoin_dag::unixfs::{Exporter, ImportOptions, import_reader};
//!
//! let mut store = MemoryBlockstore::new();
//! let root = import_reader(&b"hello world\n"[..], &ImportOptions::default(), &mut store, &mut |_| {})?;
//! assert_eq!(root.cid.to_string(), "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o");
//! let mut out = Vec::new();
//! Exporter::new(&store).read_file(&root.cid, 0, None, &mut out)?;
//! assert_eq!(out, b"hello world\n");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod car;
pub mod cbor;
pub mod dagpb;
pub mod hash;
pub mod links;
pub mod pieces;
pub mod store;
pub mod unixfs;
pub mod varint;

pub use cid::Cid;
