//! The reward actor's state (singleton ID 2).
//!
//! The mining pool is the actor's balance: 217,000,000 FLW at genesis
//! ([`GenesisAllocation::MINING_POOL`](flowcoin_types::economics::GenesisAllocation)). Each
//! epoch with blocks pays its winners the reward [`RewardSchedule::block_reward`] allots to
//! that epoch (halving every 4-year era) out of this balance, and adds it to
//! [`RewardState::total_minted`]; the schedule never allots more than the pool, so the balance
//! never runs out.

use flowcoin_types::TokenAmount;
use flowcoin_types::economics::{EpochDuration, EpochDurationError, RewardSchedule};

use crate::cbor_tuple::cbor_tuple;

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
