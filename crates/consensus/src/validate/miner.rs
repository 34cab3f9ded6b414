//! What the election needs to know about the block's miner, read from two states: the parent
//! state (the miner exists and owes no fee debt) and the lookback state (its worker key, its
//! power against the eligible total, its provable sectors).

use flowcoin_dag::store::Blockstore;
use flowcoin_proofs::sdr::post::PublicSector;
use flowcoin_state::actor::ActorId;
use flowcoin_state::actor::miner::{miner_state, provable_sectors};
use flowcoin_state::actor::power::miner_power;
use flowcoin_state::state_tree::StateTree;
use flowcoin_types::{Address, NetworkParams, SectorSize, StoragePower};

use super::error::BlockError;
use crate::election::ElectionPower;
use crate::worker::worker_public_key;

/// The miner as the election of a block sees it, from the lookback state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LookbackMiner {
    /// The worker key address (BLS): it signs the ticket, the election proof and the block.
    pub worker_key: Address,
    /// The miner's sector size.
    pub sector_size: SectorSize,
    /// Its raw power against the eligible network total, and E.
    pub power: ElectionPower,
    /// Its provable sectors (live, not faulty), in sector number order: Winning PoSt's set.
    pub sector_set: Vec<PublicSector>,
}

/// Checks `miner` in the parent state: a miner actor with a power claim (Lotus
/// `minerIsValid`) and no fee debt (Lotus `MinerEligibleToMine`: a miner that owes penalties
/// may not win until it has paid them).
///
/// # Errors
/// [`BlockError::NotAMiner`], [`BlockError::FeeDebt`]; [`BlockError::State`] when the state
/// cannot be read.
pub fn check_parent_miner<S: Blockstore>(
    parent_state: &StateTree<S>,
    miner: ActorId,
) -> Result<(), BlockError> {
    let claim = miner_power(parent_state, miner, 0)
        .map_err(BlockError::state("parent state's power claims"))?;
    let state = miner_state(parent_state, miner)
        .map_err(BlockError::state("parent state's miner actor"))?;
    let (Some(_), Some((_, state))) = (claim, state) else {
        return Err(BlockError::NotAMiner { miner });
    };
    if !state.fee_debt.is_zero() {
        return Err(BlockError::FeeDebt {
            miner,
            debt: state.fee_debt,
        });
    }
    Ok(())
}

/// Reads `miner` from the lookback state (the state after the tipset at `lookback_epoch`) and
/// checks it is eligible there: it has a claim, and its raw power is positive and at least
/// `params.min_miner_power`.
///
/// Flowcoin applies the minimum strictly. Filecoin lets any miner with positive power win
/// while fewer than `CONSENSUS_MINER_MIN_MINERS` (4) miners meet the minimum; Flowcoin's power
/// actor keeps only miners at or above the minimum in `total_eligible_power`, the election's
/// denominator, so a miner below it has no share of that total to win with. A network must
/// therefore start with genesis miners that meet its minimum (devnet: one 2 KiB sector).
///
/// # Errors
/// [`BlockError::NoClaimAtLookback`], [`BlockError::BelowMinimumPower`],
/// [`BlockError::InvalidMinerInfo`]; [`BlockError::State`] when the state cannot be read.
pub fn lookback_miner<S: Blockstore>(
    lookback_state: &StateTree<S>,
    miner: ActorId,
    params: &NetworkParams,
    lookback_epoch: u64,
) -> Result<LookbackMiner, BlockError> {
    let claim = miner_power(lookback_state, miner, params.min_miner_power)
        .map_err(BlockError::state("lookback state's power claims"))?;
    let state = miner_state(lookback_state, miner)
        .map_err(BlockError::state("lookback state's miner actor"))?;
    let (Some(claim), Some((_, state))) = (claim, state) else {
        return Err(BlockError::NoClaimAtLookback {
            miner,
            lookback_epoch,
        });
    };
    if !claim.eligible || claim.raw_power == StoragePower::ZERO {
        return Err(BlockError::BelowMinimumPower {
            miner,
            power: claim.raw_power,
            minimum: params.min_miner_power,
            lookback_epoch,
        });
    }
    worker_public_key(&state.info.worker_key).map_err(|e| BlockError::InvalidMinerInfo {
        miner,
        reason: e.to_string(),
    })?;
    let sector_size = state
        .sector_size()
        .ok_or_else(|| BlockError::InvalidMinerInfo {
            miner,
            reason: format!("{} bytes is not a sector size", state.info.sector_size),
        })?;
    let sector_set = provable_sectors(lookback_state, &state)
        .map_err(BlockError::state("lookback state's sectors"))?;
    Ok(LookbackMiner {
        worker_key: state.info.worker_key,
        sector_size,
        power: ElectionPower {
            miner_power: claim.raw_power,
            total_power: claim.total_eligible_power,
            expected_leaders: params.expected_leaders_per_epoch,
        },
        sector_set,
    })
}
