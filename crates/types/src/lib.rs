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
//! Flowcoin's shared domain types.
//!
//! This crate is layer 0: it depends on no other Flowcoin crate, does no I/O and holds no global
//! state. It grows with the protocol (epochs, chain objects come next); today it holds:
//!
//! - [`TokenAmount`]: FLW amounts in attoFLW (u128), checked arithmetic only, exact text
//!   (`1.5 FLW`) and Filecoin's BigInt byte form;
//! - [`Address`] ([`address`]): Filecoin-style addresses (ID, ed25519 key hash, actor, BLS key)
//!   with their checksummed text form per [`Network`] (`f…` mainnet, `t…` devnet) and on-chain
//!   byte form;
//! - [`economics`]: the FLW supply schedule as pure functions (genesis allocation, halving
//!   block rewards, team vesting, circulating supply);
//! - [`PaddedPieceSize`] and [`UnpaddedPieceSize`]: validated piece sizes (a power of two ≥ 128
//!   bytes, and 127/128 of that), with conversions both ways;
//! - [`SectorSize`]: the sector sizes the protocol seals;
//! - [`parse_byte_size`]: human sizes such as `"512MiB"` for the CLI and config files.
//!
//! Its decoders take untrusted input (addresses and amounts from peers and users), so its
//! non-test code is denied panicking constructs and unchecked arithmetic.
//!
//! It is not the place for algorithms over those types (commitments, proofs): they live in the
//! crates that own them.
//!
//! ```
//! use flowcoin_types::{
//!     Address, NetworkAddress, PaddedPieceSize, SectorSize, TokenAmount, UnpaddedPieceSize,
//! };
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
//!
//! let amount: TokenAmount = "1.5 FLW".parse()?;
//! assert_eq!(amount.atto(), 1_500_000_000_000_000_000);
//! let miner: NetworkAddress = "f01024".parse()?;
//! assert_eq!(miner.address, Address::Id(1024));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Test helpers (deterministic known-answer inputs) live in `test_utils` behind the
//! `test-utils` feature.

pub mod address;
mod base32;
pub mod block;
mod cbor_tuple;
pub mod economics;
pub mod message;
mod network_params;
mod piece_size;
pub mod power;
mod sector_size;
mod size_text;
mod text;
pub mod tipset;
mod token;

pub use address::{
    Address, AddressBytesError, AddressParseError, Network, NetworkAddress, Protocol,
};
pub use message::{Message, SignedMessage};
pub use network_params::{MinerParams, NetworkParams, NetworkParamsError, Ratio};
pub use piece_size::{PaddedPieceSize, PieceSizeError, UnpaddedPieceSize};
pub use power::StoragePower;
pub use sector_size::{SectorSize, SectorSizeError};
pub use size_text::{SizeParseError, parse_byte_size};
pub use token::{TokenAmount, TokenBytesError, TokenParseError};

#[cfg(any(test, feature = "test-utils"))]
pub mod test_utils;
