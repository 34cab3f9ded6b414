//! Applying one epoch's tipset to the parent state: what the chain calls per tipset.
//!
//! [`apply_epoch`] runs, in order (Filecoin's `ApplyBlocks`, with deadline processing in
//! place of its cron actor):
//!
//! 1. deadline processing ([`end_of_epoch`]) for every null round between the parent's epoch
//!    and this one;
//! 2. the messages of each block, blocks in tipset order, each message once (a message in two
//!    blocks of the tipset is applied where it first appears; its CID is the key), the
//!    block's producer receiving the tips of its own block's messages;
//! 3. the block reward of the epoch, shared by the blocks' producers pro rata to their win
//!    counts ([`award_block_reward`]);
//! 4. deadline processing of this epoch.
//!
//! Rejected messages (bad nonce, unpayable gas) get a receipt and change nothing; they count
//! no gas. The returned receipts, one per distinct message, are what the chain records.

use cid::Cid;
use flowcoin_crypto::randomness::RandomnessSource;
use flowcoin_dag::store::Blockstore;
use flowcoin_types::message::CborError;
use flowcoin_types::{Message, NetworkParams, TokenAmount};

use crate::actor::miner::cron::{DeadlineReport, end_of_epoch};
use crate::actor::{ActorId, BlockRewardPaid, RewardError, award_block_reward};
use crate::apply::{ApplyContext, ApplyError, ApplyRet, Outcome, apply_message};
use crate::gas::GasSchedule;

use crate::state_tree::StateTree;

/// One block of the tipset: who made it, how many times it won, and its messages.
#[derive(Debug, Clone, Copy)]
pub struct BlockMessages<'a> {
    /// The producer (a miner actor, or an account on a network without miners yet).
    pub producer: ActorId,
    /// Its election win count.
    pub win_count: u64,
    /// Its messages, in block order.
    pub messages: &'a [Message],
}

/// What an epoch is applied with.
#[derive(Clone, Copy)]
pub struct EpochInput<'a> {
    /// The parent tipset's epoch (epochs strictly between are null rounds).
    pub parent_epoch: u64,
    /// This tipset's epoch.
    pub epoch: u64,
    /// The base fee of this epoch.
    pub base_fee: TokenAmount,
    /// The blocks, in tipset order.
    pub blocks: &'a [BlockMessages<'a>],
    /// The network's constants.
    pub params: &'a NetworkParams,
    /// The gas prices.
    pub gas: &'a GasSchedule,
    /// The chain's randomness.
    pub randomness: &'a dyn RandomnessSource,
    /// The circulating supply of the parent state.
    pub circulating_supply: TokenAmount,
}

/// What applying an epoch did.
#[derive(Debug, Clone)]
pub struct EpochOutcome {
    /// Each distinct message's CID and result, in application order.
    pub receipts: Vec<(Cid, ApplyRet)>,
    /// Gas used by the applied messages.
    pub gas_used: u64,
    /// The block reward paid.
    pub reward: BlockRewardPaid,
    /// Deadlines closed (null rounds and this epoch).
    pub deadlines: Vec<DeadlineReport>,
}

/// Why an epoch could not be applied (a fault of the node's state or of the tipset's
/// structure, never of a message).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EpochError {
    /// The epoch does not follow its parent.
    #[error("epoch {epoch} does not follow its parent's epoch {parent}")]
    NotAfterParent {
        /// This epoch.
        epoch: u64,
        /// The parent's.
        parent: u64,
    },
    /// A message could not be applied.
    #[error(transparent)]
    Apply(#[from] ApplyError),
    /// The reward could not be paid.
    #[error(transparent)]
    Reward(#[from] RewardError),
    /// A message could not be encoded for its CID.
    #[error("message CID: {0}")]
    Cid(#[from] CborError),
}

/// Applies one tipset; see the [module documentation](self).
pub fn apply_epoch<S: Blockstore>(
    tree: &mut StateTree<S>,
    input: &EpochInput<'_>,
) -> Result<EpochOutcome, EpochError> {
    if input.epoch <= input.parent_epoch {
        return Err(EpochError::NotAfterParent {
            epoch: input.epoch,
            parent: input.parent_epoch,
        });
    }
    let mut deadlines = Vec::new();
    for null_round in input.parent_epoch.saturating_add(1)..input.epoch {
        deadlines.extend(end_of_epoch(
            tree,
            input.params,
            null_round,
            input.circulating_supply,
        )?);
    }
    let mut seen = std::collections::BTreeSet::new();
    let mut receipts = Vec::new();
    let mut gas_used = 0u64;
    for block in input.blocks {
        let ctx = ApplyContext {
            epoch: input.epoch,
            base_fee: input.base_fee,
            block_producer: block.producer,
            params: input.params,
            gas: input.gas,
            randomness: input.randomness,
            circulating_supply: input.circulating_supply,
        };
        for message in block.messages {
            let cid = message.cid()?;
            if !seen.insert(cid) {
                continue;
            }
            let ret = apply_message(tree, message, &ctx)?;
            if ret.outcome == Outcome::Applied {
                gas_used = gas_used.saturating_add(ret.receipt.gas_used);
            }
            receipts.push((cid, ret));
        }
    }
    let winners: Vec<(ActorId, u64)> = input
        .blocks
        .iter()
        .map(|b| (b.producer, b.win_count))
        .collect();
    let reward = award_block_reward(tree, input.epoch, &winners)?;
    deadlines.extend(end_of_epoch(
        tree,
        input.params,
        input.epoch,
        input.circulating_supply,
    )?);
    Ok(EpochOutcome {
        receipts,
        gas_used,
        reward,
        deadlines,
    })
}
