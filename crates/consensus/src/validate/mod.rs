//! Block validation (filecoin-spec §4.4, Lotus `FilecoinEC.ValidateBlock`) over explicit
//! inputs: [`validate_block`] checks a header and its messages against what a
//! [`ValidationContext`] — the node's view of its chain — supplies.
//!
//! This crate cannot read the chain store (both are layer 3), so the context is a small trait
//! the node implements over its `ChainStore` (`crates/consensus/tests/validate.rs` has one).
//!
//! | # | rule | refused with |
//! |---|---|---|
//! | 1 | the miner is an ID address | [`MinerNotId`](BlockError::MinerNotId) |
//! | 2 | the parent tipset is known (and executed); height > its height | [`UnknownParent`](BlockError::UnknownParent), [`HeightNotAboveParent`](BlockError::HeightNotAboveParent) |
//! | 3 | timestamp = parent's smallest timestamp + epoch length × (height − parent height), exactly, and ≤ now + drift ([`ALLOWABLE_CLOCK_DRIFT_SECS`] by default) | [`TimestampMismatch`](BlockError::TimestampMismatch), [`TimestampInFuture`](BlockError::TimestampInFuture) |
//! | 4 | parent weight, state root, receipts and base fee are the parent's (its weight in the index, what executing it gave) | [`ParentWeightMismatch`](BlockError::ParentWeightMismatch), [`ParentStateRootMismatch`](BlockError::ParentStateRootMismatch), [`ParentReceiptsMismatch`](BlockError::ParentReceiptsMismatch), [`ParentBaseFeeMismatch`](BlockError::ParentBaseFeeMismatch) |
//! | 5 | ≤ [`MAX_BLOCK_MESSAGES`] messages, listed by the header, gas limits ≤ block gas limit | [`TooManyMessages`](BlockError::TooManyMessages), [`MessageListMismatch`](BlockError::MessageListMismatch), [`BlockGasLimit`](BlockError::BlockGasLimit) |
//! | 6 | in the parent state the miner is a miner with a power claim and owes no fee debt | [`NotAMiner`](BlockError::NotAMiner), [`FeeDebt`](BlockError::FeeDebt) |
//! | 7 | at the lookback state it had a claim and power ≥ the minimum (see [`lookback_miner`]) | [`NoClaimAtLookback`](BlockError::NoClaimAtLookback), [`BelowMinimumPower`](BlockError::BelowMinimumPower) |
//! | 8 | the block signature is the (lookback) worker's | [`BadBlockSignature`](BlockError::BadBlockSignature) |
//! | 9 | the ticket is the worker's VRF over `TicketProduction` randomness at h − 1 | [`BadTicket`](BlockError::BadTicket) |
//! | 10 | the election proof is the worker's VRF over `ElectionProofProduction` randomness at h, and its win count, recomputed from the lookback power (miner raw power / eligible total), is the claimed one and ≥ 1 | [`BadElectionProof`](BlockError::BadElectionProof), [`WinCountMismatch`](BlockError::WinCountMismatch), [`ZeroWinCount`](BlockError::ZeroWinCount) |
//! | 11 | the Winning PoSt proves the sector its randomness challenges in the lookback sector set | [`NoProvableSectors`](BlockError::NoProvableSectors), [`BadWinningPost`](BlockError::BadWinningPost) |
//! | 12 | each message against the parent state: gas covers its cost, fee cap ≥ base fee, the sender is an account, nonces follow on per sender, the signature is the sender's ([`messages`]) | [`MessageGasBelowMinimum`](BlockError::MessageGasBelowMinimum), [`MessageFeeCapBelowBaseFee`](BlockError::MessageFeeCapBelowBaseFee), [`UnknownSender`](BlockError::UnknownSender), [`SenderNotAccount`](BlockError::SenderNotAccount), [`MessageNonce`](BlockError::MessageNonce), [`MessageSignature`](BlockError::MessageSignature) |
//!
//! Cheap checks run first, proofs last but the messages'; the first failure is returned.
//!
//! **Which state.** The *parent state* is the state executing the parent tipset gives (the
//! header's `parent_state_root` once rule 4 holds): the miner's existence, fee debt, and the
//! message senders are read there. The *lookback state* is the state after the tipset at
//! [`lookback_epoch`] `= min(h − power_lookback, parent height)` on the parent's chain (the
//! last tipset at or before it over null rounds, genesis when h ≤ power_lookback), Lotus's
//! `GetLookbackTipSetForRound`: the worker key, the powers of the election and the Winning PoSt
//! sector set are read there, so that a miner cannot change them after seeing the randomness.
//!
//! **Randomness.** [`ValidationContext::randomness`] draws from the tickets of the chain ending
//! at the parent, and must also answer for epochs *after* the parent: the election and the
//! Winning PoSt draw at h, and the ticket at h − 1 is a null round when the parent is older.
//! Those epochs draw on the parent's smallest ticket (`ChainStore::randomness` does this).
//!
//! **Departures from Lotus.** No beacon entries (Flowcoin's randomness is the chain's
//! tickets) and no BLS aggregate (every message carries its own signature). The minimum power
//! applies strictly (no `CONSENSUS_MINER_MIN_MINERS` exception, see [`lookback_miner`]).
//! Flowcoin has no consensus-fault slashing yet, so nothing checks for it. Message versions
//! and premiums are left to the message pool: the chain applies either without harm.
//!
//! **Wiring in the node.** For a block received on parents `P`: make sure `P` is known, added
//! and executed (`ChainStore::add_tipset`, `ChainStore::execute`), call [`validate_block`] with
//! a context over the chain store, then `put_block`, form the tipset with the other valid
//! blocks of the same parents and height, record it with `add_tipset` and a weigher that calls
//! [`weight`](crate::weight::weight) (a newtype implementing `flowcoin_chain`'s `Weigher` as
//! `weight(parent_weight, power, tipset.total_win_count(), E)`, as the node's `EcWeigher`
//! does), execute it, and move the head when
//! [`compare_tipsets`](crate::weight::compare_tipsets) prefers it to the current one.
//!
//! ```
//! use flowcoin_consensus::validate::{ValidationContext, validate_block};
//! use flowcoin_types::SignedMessage;
//! use flowcoin_types::block::BlockHeader;
//!
//! /// What the node does with a block from the network.
//! fn on_block(ctx: &dyn ValidationContext, header: &BlockHeader, messages: &[SignedMessage]) {
//!     match validate_block(header, messages, ctx) {
//!         Ok(()) => { /* store it, form its tipset, weigh it, maybe move the head */ }
//!         Err(e) if e.is_block_fault() => { /* mark the block bad, penalise the peer */ }
//!         Err(_) => { /* retry later: a missing parent, the clock, the store */ }
//!     }
//! }
//! ```

mod error;
pub mod messages;
mod miner;

use cid::Cid;
use flowcoin_crypto::randomness::RandomnessSource;
use flowcoin_dag::store::Blockstore;
use flowcoin_state::actor::ActorId;
use flowcoin_state::gas::GasSchedule;
use flowcoin_state::state_tree::StateTree;
use flowcoin_types::block::{BlockHeader, ChainWeight};
use flowcoin_types::economics::EpochDuration;
use flowcoin_types::tipset::{Tipset, TipsetKey};
use flowcoin_types::{NetworkParams, SignedMessage, TokenAmount};

pub use error::{BlockError, ContextError};
pub use messages::{
    check_message_bounds, check_message_list, check_messages_against_state, message_list_cid,
};
pub use miner::{LookbackMiner, check_parent_miner, lookback_miner};

use crate::block_sig::verify_block_signature;
use crate::election::{ElectionError, verify_election_proof, verify_ticket};
use crate::winning_post::{WinningPostChallenge, WinningPostError, verify_winning_post};

pub use flowcoin_types::block::MAX_BLOCK_MESSAGES;

/// How far ahead of the local clock a block's timestamp may be (Lotus
/// `AllowableClockDriftSecs`).
pub const ALLOWABLE_CLOCK_DRIFT_SECS: u64 = 1;

/// A parent tipset as the node knows it once it has executed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParentTipset {
    /// The tipset.
    pub tipset: Tipset,
    /// Its weight (the chain index's, computed when it was added).
    pub weight: ChainWeight,
    /// The state root executing it gives: its children's `parent_state_root`.
    pub state_root: Cid,
    /// The receipts root executing it gives: its children's `parent_message_receipts`.
    pub receipts: Cid,
    /// The base fee its gas use leads to: its children's `parent_base_fee`.
    pub next_base_fee: TokenAmount,
}

/// What block validation reads from the node: its chain as a set of tipsets with their
/// execution results, states by root, randomness, the clock and the parameters.
///
/// Implementations answer from local data only and return an error for a failure of their
/// own (a store read), never to judge the block.
pub trait ValidationContext {
    /// The network's parameters.
    fn params(&self) -> &NetworkParams;

    /// The gas prices messages are applied with.
    fn gas(&self) -> &GasSchedule;

    /// The local clock, seconds since the Unix epoch.
    fn now(&self) -> u64;

    /// How many seconds ahead of [`now`](Self::now) a timestamp may be.
    fn max_clock_drift(&self) -> u64 {
        ALLOWABLE_CLOCK_DRIFT_SECS
    }

    /// The blockstore states are read from.
    fn blockstore(&self) -> &dyn Blockstore;

    /// The tipset of `key` with its weight and execution result; `None` if the node does not
    /// know it. A known tipset that is not executed yet should be executed here, or reported as
    /// an error.
    ///
    /// # Errors
    /// The context's own failure.
    fn parent(&self, key: &TipsetKey) -> Result<Option<ParentTipset>, ContextError>;

    /// The lookback state of a block at `height` on `parent`: the state root after executing
    /// the tipset at [`lookback_epoch`]`(height, parent height, power_lookback)` on the chain
    /// ending at `parent`, or the last one before it over null rounds
    /// (`ChainStore::lookback_state_root`).
    ///
    /// # Errors
    /// The context's own failure.
    fn lookback_state_root(&self, parent: &Tipset, height: u64) -> Result<Cid, ContextError>;

    /// Randomness from the tickets of the chain ending at `parent`; epochs after `parent`
    /// draw on `parent`'s smallest ticket (see the module documentation;
    /// `ChainStore::randomness(parent)` does both).
    ///
    /// # Errors
    /// The context's own failure.
    fn randomness<'a>(
        &'a self,
        parent: &Tipset,
    ) -> Result<Box<dyn RandomnessSource + 'a>, ContextError>;
}

/// The epoch whose state the election of a block at `height` on a parent at `parent_height`
/// reads: `height − power_lookback` (0 near genesis), or the parent's own when more null rounds
/// than the lookback separate them.
pub fn lookback_epoch(height: u64, parent_height: u64, power_lookback: u64) -> u64 {
    height.saturating_sub(power_lookback).min(parent_height)
}

/// The timestamp of a block at `height` on `parent`: the parent's smallest timestamp plus one
/// epoch length per epoch since it (`None` if `height` is not above the parent or overflows).
pub fn block_timestamp(parent: &Tipset, height: u64, epoch: EpochDuration) -> Option<u64> {
    let epochs = height.checked_sub(parent.height()).filter(|&e| e > 0)?;
    epoch
        .secs()
        .checked_mul(epochs)
        .and_then(|secs| parent.min_timestamp().checked_add(secs))
}

/// Validates `header` with its `messages` (in the header's order) against `ctx`: every rule
/// in the module documentation, in that order.
///
/// # Errors
/// The first rule that fails, as its [`BlockError`] variant;
/// [`BlockError::is_block_fault`] says whether the block is to blame.
pub fn validate_block(
    header: &BlockHeader,
    messages: &[SignedMessage],
    ctx: &dyn ValidationContext,
) -> Result<(), BlockError> {
    let params = ctx.params();
    let miner = header.miner.id().ok_or(BlockError::MinerNotId {
        protocol: header.miner.protocol(),
    })?;
    let parent = check_parent(header, ctx)?;
    check_timestamp(header, &parent.tipset, ctx)?;
    check_parent_results(header, &parent)?;
    check_message_list(header, messages, params)?;

    let store = ctx.blockstore();
    let parent_state =
        StateTree::load(store, &parent.state_root).map_err(BlockError::state("parent state"))?;
    check_parent_miner(&parent_state, miner)?;

    let lookback = lookback_epoch(header.height, parent.tipset.height(), params.power_lookback);
    let lookback_root = ctx
        .lookback_state_root(&parent.tipset, header.height)
        .map_err(BlockError::unavailable("lookback state root"))?;
    let lookback_state =
        StateTree::load(store, &lookback_root).map_err(BlockError::state("lookback state"))?;
    let view = lookback_miner(&lookback_state, miner, params, lookback)?;

    verify_block_signature(&view.worker_key, header).map_err(BlockError::BadBlockSignature)?;
    let randomness = ctx
        .randomness(&parent.tipset)
        .map_err(BlockError::unavailable("chain randomness"))?;
    check_election(header, miner, &view, randomness.as_ref())?;
    check_winning_post(header, miner, &view, lookback, randomness.as_ref())?;

    check_messages_against_state(&parent_state, messages, header.parent_base_fee, ctx.gas())
}

/// Rule 2: the parent is known and below the block.
fn check_parent(
    header: &BlockHeader,
    ctx: &dyn ValidationContext,
) -> Result<ParentTipset, BlockError> {
    let key = TipsetKey(header.parents.clone());
    let parent = ctx
        .parent(&key)
        .map_err(BlockError::unavailable("parent tipset"))?
        .ok_or(BlockError::UnknownParent { parents: key })?;
    let parent_height = parent.tipset.height();
    if header.height <= parent_height {
        return Err(BlockError::HeightNotAboveParent {
            height: header.height,
            parent_height,
        });
    }
    Ok(parent)
}

/// Rule 3: the timestamp is the height's, and not too far in the future.
fn check_timestamp(
    header: &BlockHeader,
    parent: &Tipset,
    ctx: &dyn ValidationContext,
) -> Result<(), BlockError> {
    let expected = block_timestamp(parent, header.height, ctx.params().epoch_duration).ok_or(
        BlockError::HeightOutOfRange {
            height: header.height,
        },
    )?;
    if header.timestamp != expected {
        return Err(BlockError::TimestampMismatch {
            expected,
            found: header.timestamp,
        });
    }
    let now = ctx.now();
    let max_drift = ctx.max_clock_drift();
    if header.timestamp > now.saturating_add(max_drift) {
        return Err(BlockError::TimestampInFuture {
            timestamp: header.timestamp,
            now,
            max_drift,
        });
    }
    Ok(())
}

/// Rule 4: the fields the block copies from its parent's weight and execution.
fn check_parent_results(header: &BlockHeader, parent: &ParentTipset) -> Result<(), BlockError> {
    if header.parent_weight != parent.weight {
        return Err(BlockError::ParentWeightMismatch {
            expected: parent.weight,
            found: header.parent_weight,
        });
    }
    if header.parent_state_root != parent.state_root {
        return Err(BlockError::ParentStateRootMismatch {
            expected: Box::new(parent.state_root),
            found: Box::new(header.parent_state_root),
        });
    }
    if header.parent_message_receipts != parent.receipts {
        return Err(BlockError::ParentReceiptsMismatch {
            expected: Box::new(parent.receipts),
            found: Box::new(header.parent_message_receipts),
        });
    }
    if header.parent_base_fee != parent.next_base_fee {
        return Err(BlockError::ParentBaseFeeMismatch {
            expected: parent.next_base_fee,
            found: header.parent_base_fee,
        });
    }
    Ok(())
}

/// Rules 9 and 10: the ticket, and the election proof with its recomputed win count.
fn check_election(
    header: &BlockHeader,
    miner: ActorId,
    view: &LookbackMiner,
    randomness: &dyn RandomnessSource,
) -> Result<(), BlockError> {
    let height = header.height;
    verify_ticket(&view.worker_key, randomness, miner, height, &header.ticket).map_err(
        |e| match e {
            ElectionError::HeightOutOfRange { height } => BlockError::HeightOutOfRange { height },
            other => BlockError::BadTicket(other),
        },
    )?;
    verify_election_proof(
        &view.worker_key,
        randomness,
        miner,
        height,
        &view.power,
        &header.election_proof,
    )
    .map_err(|e| match e {
        ElectionError::ZeroWinCount => BlockError::ZeroWinCount,
        ElectionError::WinCountMismatch { claimed, computed } => {
            BlockError::WinCountMismatch { claimed, computed }
        }
        ElectionError::HeightOutOfRange { height } => BlockError::HeightOutOfRange { height },
        other => BlockError::BadElectionProof(other),
    })
}

/// Rule 11: the Winning PoSt over the lookback sector set.
fn check_winning_post(
    header: &BlockHeader,
    miner: ActorId,
    view: &LookbackMiner,
    lookback_epoch: u64,
    randomness: &dyn RandomnessSource,
) -> Result<(), BlockError> {
    let challenge = WinningPostChallenge {
        miner,
        height: header.height,
        randomness,
        sector_size: view.sector_size,
        sector_set: &view.sector_set,
    };
    verify_winning_post(&challenge, &header.win_post_proof.0).map_err(|e| match e {
        WinningPostError::NoProvableSectors { miner } => BlockError::NoProvableSectors {
            miner,
            lookback_epoch,
        },
        WinningPostError::HeightOutOfRange { height } => BlockError::HeightOutOfRange { height },
        other => BlockError::BadWinningPost(other),
    })
}

#[cfg(test)]
mod tests {
    use flowcoin_types::Address;
    use flowcoin_types::block::{ElectionProof, Ticket};
    use flowcoin_types::message::{Bytes, cbor_cid};

    use super::*;

    #[test]
    fn the_lookback_epoch_stays_at_or_below_the_parent_and_genesis() {
        // Devnet: power_lookback 5.
        assert_eq!(lookback_epoch(20, 19, 5), 15);
        assert_eq!(
            lookback_epoch(3, 2, 5),
            0,
            "near genesis: the genesis state"
        );
        // More null rounds than the lookback: the parent's own state.
        assert_eq!(lookback_epoch(30, 12, 5), 12);
        assert_eq!(lookback_epoch(u64::MAX, 0, 0), 0);
    }

    #[test]
    fn block_timestamps_count_epochs_from_the_parents_smallest_timestamp() {
        let block = |height, timestamp| BlockHeader {
            miner: Address::Id(1000),
            ticket: Ticket {
                vrf_proof: Bytes(vec![u8::try_from(timestamp % 200).unwrap_or(0); 96]),
            },
            election_proof: ElectionProof {
                win_count: 1,
                vrf_proof: Bytes(Vec::new()),
            },
            win_post_proof: Bytes(Vec::new()),
            parents: Vec::new(),
            parent_weight: ChainWeight(0),
            height,
            parent_state_root: cbor_cid(b"s"),
            parent_message_receipts: cbor_cid(b"r"),
            messages: cbor_cid(b"m"),
            timestamp,
            parent_base_fee: TokenAmount::ZERO,
            block_sig: Bytes(Vec::new()),
        };
        let parent = Tipset::new(vec![block(10, 1_030), block(10, 1_031)]).unwrap();
        let thirty = EpochDuration::MAINNET;
        assert_eq!(block_timestamp(&parent, 11, thirty), Some(1_060));
        assert_eq!(block_timestamp(&parent, 13, thirty), Some(1_120));
        assert_eq!(block_timestamp(&parent, 10, thirty), None);
        assert_eq!(block_timestamp(&parent, 9, thirty), None);
        assert_eq!(block_timestamp(&parent, u64::MAX, thirty), None);
    }
}
