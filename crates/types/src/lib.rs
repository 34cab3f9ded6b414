//! Flowcoin's shared domain types.
//!
//! This crate is layer 0: it depends on no other Flowcoin crate, does no I/O and holds no global
//! state. It grows with the protocol (addresses, token amounts, epochs, chain objects); today it
//! holds what the data layer and the piece commitments share.
//!
//! Test helpers (deterministic known-answer inputs) live in [`test_utils`] behind the
//! `test-utils` feature.

#[cfg(any(test, feature = "test-utils"))]
pub mod test_utils;
