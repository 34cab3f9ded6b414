//! The reward actor's state (singleton ID 2).
//!
//! The mining pool is the actor's balance: 217,000,000 FLW at genesis
//! ([`GenesisAllocation::MINING_POOL`](flowcoin_types::economics::GenesisAllocation)). Each
//! epoch with blocks pays its winners the reward [`RewardSchedule::block_reward`] allots to
//! that epoch (halving every 4-year era) out of this balance, and adds it to
//! [`RewardState::total_minted`]; the schedule never allots more than the pool, so the balance
//! never runs out.
//!
//! Paying is not a message: the chain calls [`award_block_reward`] once per epoch with blocks.

use flowcoin_dag::store::Blockstore;
use flowcoin_types::TokenAmount;
use flowcoin_types::economics::{
    EpochDuration, EpochDurationError, RewardSchedule, RewardSplitError, reward_for_winner,
};

use super::{ActorCode, ActorId, REWARD_ACTOR_ID};
use crate::state_tree::{StateError, StateTree};
use flowcoin_types::cbor_tuple;

/// The reward actor's state: `[epoch_duration_secs, total_minted]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RewardState {
    /// The network's epoch length in seconds (fixes the eras of the [`RewardSchedule`]).
    pub epoch_duration_secs: u64,
    /// Everything paid out as block rewards so far (0 at genesis).
    pub total_minted: TokenAmount,
}

cbor_tuple!(RewardState {
    epoch_duration_secs: u64,
    total_minted: TokenAmount,
});

impl RewardState {
    /// The state at genesis: nothing minted yet.
    pub fn new(epoch: EpochDuration) -> Self {
        Self {
            epoch_duration_secs: epoch.secs(),
            total_minted: TokenAmount::ZERO,
        }
    }

    /// The schedule the minting follows; an error if the stored epoch length is not a valid
    /// one (a state not written by this crate).
    pub fn schedule(&self) -> Result<RewardSchedule, EpochDurationError> {
        EpochDuration::from_secs(self.epoch_duration_secs).map(RewardSchedule::new)
    }
}

/// What [`award_block_reward`] paid in one epoch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockRewardPaid {
    /// The reward the schedule allots to the epoch (capped at the pool's balance).
    pub epoch_reward: TokenAmount,
    /// Each winner's share, in the order given.
    pub payouts: Vec<(ActorId, TokenAmount)>,
    /// The sum of the shares, added to [`RewardState::total_minted`]; the rest of the epoch's
    /// reward (rounding dust) stays in the pool.
    pub total_paid: TokenAmount,
}

/// Why an epoch's block reward could not be paid. Nothing was changed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RewardError {
    /// Reading or writing the state failed.
    #[error(transparent)]
    State(#[from] StateError),
    /// The reward actor is missing or is not a reward actor.
    #[error("actor {REWARD_ACTOR_ID} is not the reward actor in this state")]
    NoRewardActor,
    /// The reward state's epoch length is not a valid one.
    #[error("reward state: {0}")]
    Schedule(#[from] EpochDurationError),
    /// A winner does not exist, or is neither an account nor a miner.
    #[error("winner {id} is not an account or miner actor in this state (pass winners' ID)")]
    InvalidWinner {
        /// The winner's ID.
        id: ActorId,
    },
    /// A winner has a win count of 0 (leave it out).
    #[error("winner {id} has a win count of 0; only actors that won a block are paid")]
    ZeroWinCount {
        /// The winner's ID.
        id: ActorId,
    },
    /// The win counts add up to more than `u64::MAX`.
    #[error("the winners' win counts overflow u64")]
    WinCountOverflow,
    /// The split failed (cannot happen with a non-zero total).
    #[error(transparent)]
    Split(#[from] RewardSplitError),
    /// A balance or the minted total would overflow (impossible with the fixed supply).
    #[error("a balance or the minted total would overflow")]
    Overflow,
}

/// Pays epoch `epoch`'s block reward ([`RewardSchedule::block_reward`]) from the reward
/// actor's balance to `winners` (`(actor ID, win count)`, accounts or miners), each getting
/// [`reward_for_winner`] of its win count over the epoch's total, and adds what was paid to
/// [`RewardState::total_minted`]. The rounding dust stays in the pool; if the pool holds less
/// than the epoch's reward (a state genesis did not build), the reward is what it holds, so
/// the pool never goes negative and the sum of all balances never changes.
///
/// No winners (a null round) is a no-op that pays nothing. Errors leave the state unchanged:
/// everything is checked before the first write, except [`RewardError::Overflow`] of a
/// winner's balance, impossible with the fixed supply. A winner listed twice is paid twice,
/// each share on its own win count.
pub fn award_block_reward<S: Blockstore>(
    tree: &mut StateTree<S>,
    epoch: u64,
    winners: &[(ActorId, u64)],
) -> Result<BlockRewardPaid, RewardError> {
    let reward_actor = tree
        .get_actor(REWARD_ACTOR_ID)?
        .filter(|actor| actor.code == ActorCode::Reward)
        .ok_or(RewardError::NoRewardActor)?;
    let mut state: RewardState = tree.get_state("reward state", &reward_actor.head)?;
    let epoch_reward = state
        .schedule()?
        .block_reward(epoch)
        .min(reward_actor.balance);
    if winners.is_empty() {
        return Ok(BlockRewardPaid {
            epoch_reward,
            payouts: Vec::new(),
            total_paid: TokenAmount::ZERO,
        });
    }
    let mut total_wins = 0u64;
    for &(id, wins) in winners {
        let code = tree.get_actor(id)?.map(|actor| actor.code);
        if !matches!(code, Some(ActorCode::Account | ActorCode::Miner)) {
            return Err(RewardError::InvalidWinner { id });
        }
        if wins == 0 {
            return Err(RewardError::ZeroWinCount { id });
        }
        total_wins = total_wins
            .checked_add(wins)
            .ok_or(RewardError::WinCountOverflow)?;
    }
    let payouts = winners
        .iter()
        .map(|&(id, wins)| Ok((id, reward_for_winner(epoch_reward, wins, total_wins)?)))
        .collect::<Result<Vec<_>, RewardError>>()?;
    // The shares add up to at most the epoch's reward, itself at most the pool.
    let total_paid = TokenAmount::checked_sum(payouts.iter().map(|&(_, share)| share))
        .filter(|total| *total <= epoch_reward)
        .ok_or(RewardError::Overflow)?;
    state.total_minted = state
        .total_minted
        .checked_add(total_paid)
        .ok_or(RewardError::Overflow)?;

    let mut reward_actor = reward_actor;
    reward_actor.head = tree.put_state(&state)?;
    reward_actor.balance = reward_actor
        .balance
        .checked_sub(total_paid)
        .ok_or(RewardError::Overflow)?;
    tree.set_actor(REWARD_ACTOR_ID, reward_actor)?;
    for &(id, share) in &payouts {
        let mut winner = tree
            .get_actor(id)?
            .ok_or(RewardError::InvalidWinner { id })?;
        winner.balance = winner
            .balance
            .checked_add(share)
            .ok_or(RewardError::Overflow)?;
        tree.set_actor(id, winner)?;
    }
    Ok(BlockRewardPaid {
        epoch_reward,
        payouts,
        total_paid,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use flowcoin_types::message::{from_cbor, to_cbor};

    #[test]
    fn round_trips_as_a_pair_and_follows_the_schedule() {
        let state = RewardState::new(EpochDuration::MAINNET);
        let bytes = to_cbor("reward", &state).unwrap();
        assert_eq!(bytes[0], 0x82);
        assert_eq!(
            from_cbor::<RewardState>("reward", &bytes, 64).unwrap(),
            state
        );
        let schedule = state.schedule().unwrap();
        assert_eq!(schedule.epochs_per_era(), 4_204_800);
        let bad = RewardState {
            epoch_duration_secs: 7,
            ..state
        };
        assert!(bad.schedule().is_err());
    }
}
