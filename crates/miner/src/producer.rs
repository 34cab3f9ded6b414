//! The block producer: run the election for an epoch and, on a win, assemble and sign the
//! block.
//!
//! For a block at `height` on `parent`:
//!
//! 1. power from the lookback state (the state after the tipset `power_lookback` epochs back,
//!    `ChainStore::lookback_state_root`): the miner must be eligible (at least
//!    `min_miner_power`), and its raw power over the network's eligible power is its share;
//! 2. the election VRF (worker key, DST 2 randomness at `height`): no block when it draws no
//!    win;
//! 3. the ticket (DST 1 at `height − 1`), the Winning PoSt over the lookback's provable
//!    sectors (DST 3), read from the sector store;
//! 4. the header: the parent's key, weight, executed state root, receipts and next base fee,
//!    the timestamp `parent.min_timestamp + epoch_secs × (height − parent height)`, the
//!    message list; signed by the worker key.

use cid::Cid;
use flowcoin_chain::store::Executed;
use flowcoin_consensus::block_sig::sign_block;
use flowcoin_consensus::election::{ElectionPower, make_election_proof, make_ticket};
use flowcoin_consensus::winning_post::winning_post_randomness;
use flowcoin_crypto::bls;
use flowcoin_crypto::randomness::RandomnessSource;
use flowcoin_dag::store::Blockstore;
use flowcoin_state::actor::ActorId;
use flowcoin_state::actor::miner::{miner_state, provable_sectors};
use flowcoin_state::actor::power::miner_power;
use flowcoin_state::state_tree::StateTree;
use flowcoin_types::block::{BlockHeader, ChainWeight, MessageList};
use flowcoin_types::message::{Bytes, cbor_cid, to_cbor};
use flowcoin_types::tipset::Tipset;
use flowcoin_types::{Address, NetworkParams, SignedMessage};

use crate::post::prove_winning_post;
use crate::sectors::SectorStore;

/// What a block is produced from.
pub struct ProduceInputs<'a, S> {
    /// The miner.
    pub miner: ActorId,
    /// Its worker's BLS key.
    pub worker: &'a bls::SecretKey,
    /// Its sectors on disk.
    pub sectors: &'a SectorStore,
    /// The parent tipset.
    pub parent: &'a Tipset,
    /// What executing the parent gave.
    pub parent_executed: &'a Executed,
    /// The parent's weight.
    pub parent_weight: ChainWeight,
    /// The lookback state (power and sector set).
    pub lookback: &'a StateTree<S>,
    /// The chain's randomness, anchored at the parent.
    pub randomness: &'a dyn RandomnessSource,
    /// The epoch of the new block.
    pub height: u64,
    /// The network's constants.
    pub params: &'a NetworkParams,
    /// The messages to include (already selected from the pool).
    pub messages: Vec<SignedMessage>,
}

/// Why a block could not be produced (losing the election is not an error).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProduceError {
    /// The state could not be read.
    #[error(transparent)]
    State(#[from] flowcoin_state::state_tree::StateError),
    /// The election could not run.
    #[error(transparent)]
    Election(#[from] flowcoin_consensus::election::ElectionError),
    /// The Winning PoSt randomness could not be drawn.
    #[error(transparent)]
    WinningPost(#[from] flowcoin_consensus::winning_post::WinningPostError),
    /// The Winning PoSt could not be proven from disk.
    #[error("winning PoSt: {0}")]
    Prove(#[from] crate::sectors::SectorError),
    /// A chain object could not be encoded.
    #[error(transparent)]
    Cbor(#[from] flowcoin_types::message::CborError),
    /// The block could not be signed.
    #[error(transparent)]
    Sign(#[from] flowcoin_consensus::block_sig::BlockSigError),
    /// The miner is not in the lookback state.
    #[error("miner f0{0} is not a miner in the lookback state")]
    NoMiner(ActorId),
}

/// Produces `inputs.miner`'s block at `inputs.height`, or `None` when it does not win (or is
/// not eligible).
pub fn produce_block<S: Blockstore>(
    inputs: ProduceInputs<'_, S>,
) -> Result<Option<(BlockHeader, Vec<SignedMessage>)>, ProduceError> {
    let params = inputs.params;
    let Some(power) = miner_power(inputs.lookback, inputs.miner, params.min_miner_power)? else {
        return Ok(None);
    };
    if !power.eligible {
        return Ok(None);
    }
    let election = make_election_proof(
        inputs.worker,
        inputs.randomness,
        inputs.miner,
        inputs.height,
        &ElectionPower {
            miner_power: power.raw_power,
            total_power: power.total_eligible_power,
            expected_leaders: params.expected_leaders_per_epoch,
        },
    )?;
    let Some(election_proof) = election else {
        return Ok(None);
    };
    let ticket = make_ticket(
        inputs.worker,
        inputs.randomness,
        inputs.miner,
        inputs.height,
    )?;
    let (_, state) =
        miner_state(inputs.lookback, inputs.miner)?.ok_or(ProduceError::NoMiner(inputs.miner))?;
    let size = state
        .sector_size()
        .ok_or(ProduceError::NoMiner(inputs.miner))?;
    let provable = provable_sectors(inputs.lookback, &state)?;
    let post_randomness = winning_post_randomness(inputs.randomness, inputs.miner, inputs.height)?;
    let win_post_proof = prove_winning_post(
        inputs.sectors,
        inputs.miner,
        size,
        &post_randomness,
        &provable,
    )?;
    let list = MessageList {
        messages: inputs
            .messages
            .iter()
            .map(SignedMessage::cid)
            .collect::<Result<Vec<Cid>, _>>()?,
    };
    let elapsed = inputs.height.saturating_sub(inputs.parent.height());
    let mut header = BlockHeader {
        miner: Address::Id(inputs.miner),
        ticket,
        election_proof,
        win_post_proof: Bytes(win_post_proof),
        parents: inputs.parent.key().0.clone(),
        parent_weight: inputs.parent_weight,
        height: inputs.height,
        parent_state_root: inputs.parent_executed.state_root,
        parent_message_receipts: inputs.parent_executed.receipts,
        messages: cbor_cid(&to_cbor("message list", &list)?),
        timestamp: inputs
            .parent
            .min_timestamp()
            .saturating_add(params.epoch_duration.secs().saturating_mul(elapsed)),
        parent_base_fee: inputs.parent_executed.next_base_fee,
        block_sig: Bytes(Vec::new()),
    };
    sign_block(inputs.worker, &mut header)?;
    Ok(Some((header, inputs.messages)))
}
