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
//! Flowcoin's storage miner: the sector store on disk ([`sectors`]), pre-sealing genesis
//! miners ([`genesis`]), proving space-time from
//! it ([`post`]), the Window PoSt scheduler and fault detector ([`scheduler`]) and the sealing
//! pipeline for committed-capacity sectors ([`pipeline`]), and the block producer
//! ([`producer`]).

pub mod genesis;
pub mod pipeline;
pub mod post;
pub mod producer;
pub mod scheduler;
pub mod sectors;
