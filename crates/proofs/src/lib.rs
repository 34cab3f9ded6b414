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
//! Flowcoin's storage proofs, Filecoin-compatible bit for bit.
//!
//! Today this crate holds the piece-commitment layer:
//!
//! - [`fr32`]: Fr32 padding (127 → 128 bytes per quad) and its inverse, on slices and streams;
//! - [`hasher`]: the sha256-trunc254 node hash shared by every binary tree (commP, TreeD, and
//!   later SDR), with a fast fixed-size path and layer hashers;
//! - [`merkle`]: zero-subtree commitments and in-memory subtree roots;
//! - commP: [`CommpWriter`] and [`commp_of_bytes`], [`commp_of_reader`], [`commp_of_file`],
//!   which stream any payload and hash it on every core in bounded memory;
//! - piece CIDs: [`PieceCommitment`] with piece CID v1 (`baga6ea4seaq…`) and v2
//!   (`bafkzcib…`, FRC-0069), and panic-free decoders of untrusted CIDs ([`parse_piece_cid`],
//!   [`decode_piece_cid`]);
//! - [`comm_d`]: a sector's CommD from the commitments of the pieces in it.
//!
//! SDR PoRep and PoSt come next, on the same hasher and trees. The crate does no network I/O
//! and holds no global state other than the lazily computed zero-commitment table. It verifies
//! untrusted input, so its non-test code is denied panicking constructs and unchecked
//! arithmetic.
//!
//! ```
//! use flowcoin_proofs::{comm_d, commp_of_bytes, parse_piece_cid, PieceCid};
//! use flowcoin_types::SectorSize;
//!
//! let commp = commp_of_bytes(&[0xcc; 1024])?;
//! assert_eq!(commp.padded_size().bytes(), 2048);
//! let v1 = commp.piece_cid_v1().to_string();
//! assert_eq!(v1, "baga6ea4seaqdlpnhgsndrgjeu4p46hahlsr4lybg6du4d56ooppdpxhcofxeuoi");
//! assert_eq!(parse_piece_cid(&v1)?, PieceCid::V1 { root: *commp.root() });
//!
//! // A 2 KiB sector filled by this one piece has the piece's root as its CommD.
//! let sector = comm_d(SectorSize::Size2KiB, &[(commp.padded_size(), *commp.root())])?;
//! assert_eq!(&sector, commp.root());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The design (how commP is parallelised, what each CID holds) and how to run the benchmark
//! are in the crate's `README.md`.

pub mod fr;
pub mod fr32;
pub mod hasher;
pub mod merkle;
pub mod poseidon;
pub mod sdr;

mod comm_d;
mod commp;
mod piece_cid;

pub use comm_d::{CommDError, comm_d};
pub use commp::{
    BATCH_PAYLOAD, CHUNK_PAYLOAD, CommpError, CommpWriter, commp_of_bytes, commp_of_file,
    commp_of_file_with_progress, commp_of_reader,
};
pub use piece_cid::{
    FIL_COMMITMENT_SEALED, FIL_COMMITMENT_UNSEALED, FR32_SHA256_TRUNC254_PADBINTREE,
    MAX_PIECE_CID_BYTES, MAX_PIECE_CID_TEXT, POSEIDON_BLS12_381_A2_FC1, PieceCid, PieceCidError,
    PieceCommitment, RAW, SHA2_256_TRUNC254_PADDED, decode_cid, decode_piece_cid, parse_piece_cid,
    sealed_cid, unsealed_cid,
};
