//! Flowcoin's shared domain types.
//!
//! This crate is layer 0: it depends on no other Flowcoin crate, does no I/O and holds no global
//! state. It grows with the protocol (addresses, token amounts, epochs, chain objects); today it
//! holds what the data layer and the piece commitments share:
//!
//! - [`PaddedPieceSize`] and [`UnpaddedPieceSize`]: validated piece sizes (a power of two ≥ 128
//!   bytes, and 127/128 of that), with conversions both ways;
//! - [`SectorSize`]: the sector sizes the protocol seals;
//! - [`parse_byte_size`]: human sizes such as `"512MiB"` for the CLI and config files.
//!
//! It is not the place for algorithms over those types (commitments, proofs): they live in the
//! crates that own them.
//!
//! ```
//! use flowcoin_types::{PaddedPieceSize, SectorSize, UnpaddedPieceSize};
//!
//! let piece = PaddedPieceSize::for_payload(1000)?;
//! assert_eq!(piece.bytes(), 1024);
//! assert_eq!(piece.unpadded(), UnpaddedPieceSize::new(1016)?);
//!
//! let sector: SectorSize = "32GiB".parse()?;
//! assert_eq!(sector.bytes(), 32 << 30);
//! assert!(piece <= sector.padded_piece_size());
//!
//! let err = "3000".parse::<PaddedPieceSize>().unwrap_err();
//! assert!(err.to_string().contains("the nearest valid sizes are 2048 and 4096"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Test helpers (deterministic known-answer inputs) live in `test_utils` behind the
//! `test-utils` feature.

mod piece_size;
mod sector_size;
mod size_text;

pub use piece_size::{PaddedPieceSize, PieceSizeError, UnpaddedPieceSize};
pub use sector_size::{SectorSize, SectorSizeError};
pub use size_text::{SizeParseError, parse_byte_size};

#[cfg(any(test, feature = "test-utils"))]
pub mod test_utils;
