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
//! Flowcoin's Expected Consensus (filecoin-spec §4), its pure core: who may produce a block
//! at an epoch, how its proofs are checked, and how heavy a chain is.
//!
//! This crate is layer 3, beside `flowcoin-chain`: it reads nothing by itself — no network,
//! no clock, no global state. Randomness comes in as a
//! [`RandomnessSource`](flowcoin_crypto::randomness::RandomnessSource), powers and sector sets
//! as values the caller read from the right state. Everything it checks comes from peers, so
//! non-test code never panics and does only checked or saturating arithmetic.
//!
//! - [`wincount`]: Lotus's `ComputeWinCount`, bit for bit — λ = E·p/P in Q.256, e^−λ by a
//!   rational approximation, the inverse Poisson CDF; `BLAKE2b-256(VRF proof)` as a draw in
//!   [0, 1) wins j times while it is below P(X > j − 1), at most 3E.
//! - [`election`]: tickets (VRF over `randomness(TicketProduction, h − 1)`) and election
//!   proofs (VRF over `randomness(ElectionProofProduction, h)`, with the win count), made and
//!   verified with the miner's worker BLS key.
//! - [`winning_post`]: the Winning PoSt randomness (`WinningPoStChallengeSeed`, masked to a
//!   field element), the challenged sector, and verification of the block's proof.
//! - [`weight`](mod@weight): w(ts) = w(parent) + 256·log2P + ⌊256·log2P·ΣWinCount / 2E⌋.
//! - [`block_sig`]: the worker's signature over the header's signing CID.
//! - [`worker`]: the worker key address as a BLS public key.
//! - [`validate`]: block validation as a whole (filecoin-spec §4.4) over a
//!   [`ValidationContext`] the node implements over its chain store; one [`BlockError`]
//!   variant per rule.
//! - [`produce`]: the producer's side — run the election, have the caller prove the
//!   challenged sector, fill and sign the header.
//!
//! Randomness is always drawn with the miner's ID address (DAG-CBOR) as entropy.
//!
//! **Departures from Filecoin.** Randomness comes from the chain's own tickets through
//! `RandomnessSource`, not from the drand beacon (blocks carry no beacon entries). Power is
//! raw-byte power, not quality-adjusted power (Flowcoin has no verified deals). The weight of a
//! network without power is defined (log2P = 0). The minimum power applies strictly, without
//! Filecoin's "fewer than 4 miners meet it" exception, and there is no consensus-fault
//! slashing yet ([`validate`] says which states each rule reads).
//!
//! Not here: the chain store and tipset bookkeeping (`flowcoin-chain`, which this crate may
//! not depend on: validation reads the chain through a trait), mining loops, proving (the
//! producer runs `flowcoin_proofs::sdr::post::prove_winning` over its sector files).
//!
//! ```
//! use flowcoin_consensus::election::{
//!     ElectionPower, make_election_proof, make_ticket, verify_election_proof, verify_ticket,
//! };
//! use flowcoin_consensus::weight::weight;
//! use flowcoin_consensus::wincount::win_count;
//! use flowcoin_crypto::bls;
//! use flowcoin_crypto::randomness::FixedRandomness;
//! use flowcoin_types::block::ChainWeight;
//! use flowcoin_types::{Address, StoragePower};
//!
//! // Lotus's arithmetic: 96 zero bytes win twice with a fifth of the power and E = 5.
//! assert_eq!(win_count(&[0; 96], 1, 5, 5), 2);
//!
//! // Miner f01000 with half the network's power runs the election of epoch 10.
//! let worker = bls::SecretKey::from_seed(&[1; 32])?;
//! let worker_key = Address::Bls(worker.public_key().to_bytes());
//! let chain = FixedRandomness::new(b"genesis ticket".to_vec());
//! let power = ElectionPower {
//!     miner_power: StoragePower(1 << 20),
//!     total_power: StoragePower(1 << 21),
//!     expected_leaders: 5,
//! };
//! let ticket = make_ticket(&worker, &chain, 1000, 10)?;
//! verify_ticket(&worker_key, &chain, 1000, 10, &ticket)?;
//! if let Some(proof) = make_election_proof(&worker, &chain, 1000, 10, &power)? {
//!     verify_election_proof(&worker_key, &chain, 1000, 10, &power, &proof)?;
//!     // A tipset of this one block on a parent of weight 0, 2 MiB of power in the network.
//!     let w = weight(ChainWeight(0), StoragePower(1 << 21), proof.win_count, 5);
//!     assert!(w > ChainWeight(256 * 21));
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod block_sig;
mod draw;
pub mod election;
pub mod produce;
pub mod validate;
pub mod weight;
pub mod wincount;
pub mod winning_post;
pub mod worker;

pub use block_sig::{BlockSigError, sign_block, verify_block_signature};
pub use election::{
    ElectionError, ElectionPower, election_input, make_election_proof, make_ticket, ticket_input,
    verify_election_proof, verify_ticket,
};
pub use produce::{
    BlockInputs, ElectionWin, ProduceError, WinningPostTask, assemble_block, produce_block,
    run_election,
};
pub use validate::{BlockError, ParentTipset, ValidationContext, validate_block};
pub use weight::{compare_tipsets, tipset_weight, weight};
pub use wincount::win_count;
pub use winning_post::{
    WinningPostChallenge, WinningPostError, challenged_sector, verify_winning_post,
    winning_post_randomness,
};
pub use worker::{WorkerKeyError, worker_public_key};
