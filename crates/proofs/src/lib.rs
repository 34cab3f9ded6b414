//! Flowcoin proofs (placeholder while the crate is written).
