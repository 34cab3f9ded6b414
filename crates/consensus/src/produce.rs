//! Producing a block: the miner's side of [`validate_block`](crate::validate::validate_block),
//! for the miner service and for tests.
//!
//! [`produce_block`] runs the election of one miner at one height on a parent tipset and, if
//! the miner wins, has the caller prove the challenged sector, then fills every header field
//! and signs it. It reads what validation reads, from the same states, so a block it returns
//! passes validation on a node that agrees on the parent:
//!
//! - from the parent's execution result ([`ParentTipset`]): parents, parent weight, state
//!   root, receipts and base fee; the timestamp from the parent's and the height
//!   ([`block_timestamp`]);
//! - from the parent state: the miner exists and owes no fee debt;
//! - from the lookback state (the state after the tipset at [`lookback_epoch`]`(height,
//!   parent height, power_lookback)`, the caller loads it): eligibility, the worker key (the
//!   secret key given must be its), the election power and the Winning PoSt sector set;
//! - from the chain randomness ending at the parent: ticket, election proof, Winning PoSt
//!   challenge.
//!
//! Proving is the caller's: this crate is below the miner (`flowcoin_miner::post` proves from
//! the sector store; tests call `flowcoin_proofs::sdr::post::prove_winning`). The closure gets
//! a [`WinningPostTask`] — the challenged sector, the randomness, the prover ID and the proof
//! type — only once the miner has won, and returns the encoded proof
//! (`PostProof::encode(false)`). [`run_election`] and [`assemble_block`] are the two halves,
//! for a caller that proves elsewhere.
//!
//! Messages are the caller's choice (the message pool selects them for the parent state); the
//! producer only checks they fit a block ([`check_message_bounds`]).
//!
//! [`lookback_epoch`]: crate::validate::lookback_epoch

use flowcoin_crypto::bls;
use flowcoin_crypto::randomness::{RANDOMNESS_LEN, RandomnessSource};
use flowcoin_dag::store::Blockstore;
use flowcoin_proofs::sdr::params::RegisteredPoStProof;
use flowcoin_proofs::sdr::post::PublicSector;
use flowcoin_state::actor::ActorId;
use flowcoin_state::actor::miner::prover_id;
use flowcoin_state::state_tree::StateTree;
use flowcoin_types::block::{BlockHeader, ElectionProof, Ticket};
use flowcoin_types::message::{Bytes, CborError};
use flowcoin_types::{Address, NetworkParams, SignedMessage};

use crate::block_sig::{BlockSigError, sign_block};
use crate::election::{ElectionError, make_election_proof, make_ticket};
use crate::validate::{
    BlockError, ContextError, ParentTipset, block_timestamp, check_message_bounds,
    check_parent_miner, lookback_epoch, lookback_miner, message_list_cid,
};
use crate::winning_post::{
    WinningPostError, challenged_sector, winning_post_randomness, winning_post_type,
};

/// What a block is produced from.
pub struct BlockInputs<'a, S> {
    /// The network's parameters.
    pub params: &'a NetworkParams,
    /// The parent tipset with its weight and execution result.
    pub parent: &'a ParentTipset,
    /// The state executing the parent gives (`parent.state_root`).
    pub parent_state: &'a StateTree<S>,
    /// The state after the tipset at [`lookback_epoch`] on the parent's chain.
    pub lookback_state: &'a StateTree<S>,
    /// Randomness from the chain ending at the parent (answering for later epochs too).
    pub randomness: &'a dyn RandomnessSource,
    /// The producing miner.
    pub miner: ActorId,
    /// Its worker's secret key.
    pub worker: &'a bls::SecretKey,
    /// The epoch of the block (above the parent's; the caller derives it from the clock).
    pub height: u64,
}

impl<S> std::fmt::Debug for BlockInputs<'_, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlockInputs")
            .field("parent", self.parent.tipset.key())
            .field("miner", &self.miner)
            .field("height", &self.height)
            .finish_non_exhaustive()
    }
}

/// What the caller must prove once the miner has won: Winning PoSt over `sector`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WinningPostTask {
    /// The proof type of the miner's sector size.
    pub proof_type: RegisteredPoStProof,
    /// The miner's prover ID.
    pub prover_id: [u8; 32],
    /// The Winning PoSt randomness of the block (masked to a field element).
    pub randomness: [u8; RANDOMNESS_LEN],
    /// The challenged sector (number and CommR) in the lookback sector set.
    pub sector: PublicSector,
}

/// A won election: the header's ticket and election proof, and what to prove.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ElectionWin {
    /// The block's ticket.
    pub ticket: Ticket,
    /// The election proof (win count ≥ 1).
    pub election_proof: ElectionProof,
    /// The Winning PoSt to prove.
    pub winning_post: WinningPostTask,
}

/// Why a block could not be produced.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProduceError {
    /// The miner may not produce on this parent at this height (not above the parent, not a
    /// miner, fee debt, below the minimum power at the lookback state, no provable sector);
    /// the error is the one validation would give.
    #[error("miner {miner} cannot produce at this height on this parent: {source}")]
    Ineligible {
        /// The miner.
        miner: ActorId,
        /// The rule it fails.
        source: BlockError,
    },
    /// The secret key is not the miner's worker key at the lookback state.
    #[error(
        "the secret key given is not miner {miner}'s worker key {expected:?} (use the worker's \
         key from the keystore)"
    )]
    WrongWorker {
        /// The miner.
        miner: ActorId,
        /// The worker key address in the lookback state.
        expected: Address,
    },
    /// The ticket or the election proof could not be made (no randomness).
    #[error(transparent)]
    Election(#[from] ElectionError),
    /// The Winning PoSt challenge could not be drawn.
    #[error(transparent)]
    WinningPost(#[from] WinningPostError),
    /// The caller's prover failed.
    #[error("the Winning PoSt could not be proven: {0}")]
    Prove(ContextError),
    /// The messages do not fit a block.
    #[error("the messages do not fit a block: {0}")]
    Messages(BlockError),
    /// The header could not be signed.
    #[error(transparent)]
    Sign(#[from] BlockSigError),
    /// An object could not be encoded.
    #[error(transparent)]
    Encode(#[from] CborError),
}

/// Runs the election of `inputs.miner` at `inputs.height`: `None` if it does not win, else its
/// ticket, election proof and the Winning PoSt to prove.
///
/// # Errors
/// [`ProduceError::Ineligible`], [`ProduceError::WrongWorker`], [`ProduceError::Election`],
/// [`ProduceError::WinningPost`].
pub fn run_election<S: Blockstore>(
    inputs: &BlockInputs<'_, S>,
) -> Result<Option<ElectionWin>, ProduceError> {
    let miner = inputs.miner;
    let ineligible = |source| ProduceError::Ineligible { miner, source };
    let parent_height = inputs.parent.tipset.height();
    if inputs.height <= parent_height {
        return Err(ineligible(BlockError::HeightNotAboveParent {
            height: inputs.height,
            parent_height,
        }));
    }
    check_parent_miner(inputs.parent_state, miner).map_err(ineligible)?;
    let lookback = lookback_epoch(inputs.height, parent_height, inputs.params.power_lookback);
    let view = lookback_miner(inputs.lookback_state, miner, inputs.params, lookback)
        .map_err(ineligible)?;
    let own_key = Address::Bls(inputs.worker.public_key().to_bytes());
    if own_key != view.worker_key {
        return Err(ProduceError::WrongWorker {
            miner,
            expected: view.worker_key,
        });
    }
    let Some(election_proof) = make_election_proof(
        inputs.worker,
        inputs.randomness,
        miner,
        inputs.height,
        &view.power,
    )?
    else {
        return Ok(None);
    };
    let ticket = make_ticket(inputs.worker, inputs.randomness, miner, inputs.height)?;
    let randomness = winning_post_randomness(inputs.randomness, miner, inputs.height)?;
    let sector = challenged_sector(miner, &randomness, &view.sector_set).map_err(|_| {
        ineligible(BlockError::NoProvableSectors {
            miner,
            lookback_epoch: lookback,
        })
    })?;
    Ok(Some(ElectionWin {
        ticket,
        election_proof,
        winning_post: WinningPostTask {
            proof_type: winning_post_type(view.sector_size)?,
            prover_id: prover_id(miner),
            randomness,
            sector,
        },
    }))
}

/// Fills the header of a won election with the parent's results, the timestamp, the proof
/// `win_post_proof` and the list of `messages`, and signs it.
///
/// # Errors
/// [`ProduceError::Messages`] (too many, too much gas), [`ProduceError::Ineligible`] for a
/// height whose timestamp overflows, [`ProduceError::Sign`], [`ProduceError::Encode`].
pub fn assemble_block<S>(
    inputs: &BlockInputs<'_, S>,
    win: ElectionWin,
    win_post_proof: Vec<u8>,
    messages: Vec<SignedMessage>,
) -> Result<(BlockHeader, Vec<SignedMessage>), ProduceError> {
    check_message_bounds(&messages, inputs.params).map_err(ProduceError::Messages)?;
    let parent = inputs.parent;
    let timestamp = block_timestamp(&parent.tipset, inputs.height, inputs.params.epoch_duration)
        .ok_or(ProduceError::Ineligible {
            miner: inputs.miner,
            source: BlockError::HeightOutOfRange {
                height: inputs.height,
            },
        })?;
    let mut header = BlockHeader {
        miner: Address::Id(inputs.miner),
        ticket: win.ticket,
        election_proof: win.election_proof,
        win_post_proof: Bytes(win_post_proof),
        parents: parent.tipset.key().0.clone(),
        parent_weight: parent.weight,
        height: inputs.height,
        parent_state_root: parent.state_root,
        parent_message_receipts: parent.receipts,
        messages: message_list_cid(&messages)?,
        timestamp,
        parent_base_fee: parent.next_base_fee,
        block_sig: Bytes(Vec::new()),
    };
    sign_block(inputs.worker, &mut header)?;
    Ok((header, messages))
}

/// Produces `inputs.miner`'s block at `inputs.height` with `messages`: `None` if it does not
/// win; else `prove` is called once with the Winning PoSt to prove, and the signed header is
/// returned with the messages.
///
/// # Errors
/// As [`run_election`] and [`assemble_block`]; [`ProduceError::Prove`] when `prove` fails.
pub fn produce_block<S, F>(
    inputs: &BlockInputs<'_, S>,
    messages: Vec<SignedMessage>,
    prove: F,
) -> Result<Option<(BlockHeader, Vec<SignedMessage>)>, ProduceError>
where
    S: Blockstore,
    F: FnOnce(&WinningPostTask) -> Result<Vec<u8>, ContextError>,
{
    let Some(win) = run_election(inputs)? else {
        return Ok(None);
    };
    let proof = prove(&win.winning_post).map_err(ProduceError::Prove)?;
    assemble_block(inputs, win, proof, messages).map(Some)
}
