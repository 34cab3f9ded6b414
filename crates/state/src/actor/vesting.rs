//! The vesting actor's state: tokens locked at genesis for a beneficiary and released on the
//! team schedule ([`TeamVesting`]: 155,000 FLW at each 30-day month boundary after
//! `start_epoch`, for 100 months).

use flowcoin_types::economics::{EpochDuration, EpochDurationError, TeamVesting};
use flowcoin_types::{Address, TokenAmount};

use crate::cbor_tuple::cbor_tuple;

/// A vesting actor's state:
/// `[beneficiary, total, start_epoch, epoch_duration_secs, withdrawn]`. The actor's balance
/// is `total − withdrawn`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VestingState {
    /// Who may withdraw what has vested: an ID address (the team account at genesis).
    pub beneficiary: Address,
    /// The tokens locked at the start.
    pub total: TokenAmount,
    /// The epoch the schedule counts months from (0 at genesis).
    pub start_epoch: u64,
    /// The network's epoch length in seconds (fixes a month in epochs).
    pub epoch_duration_secs: u64,
    /// What the beneficiary has withdrawn so far.
    pub withdrawn: TokenAmount,
}

cbor_tuple!(VestingState {
    beneficiary: Address,
    total: TokenAmount,
    start_epoch: u64,
    epoch_duration_secs: u64,
    withdrawn: TokenAmount,
});

impl VestingState {
    /// The schedule the release follows; an error if the stored epoch length is not a valid
    /// one (a state not written by this crate).
    pub fn schedule(&self) -> Result<TeamVesting, EpochDurationError> {
        EpochDuration::from_secs(self.epoch_duration_secs).map(TeamVesting::new)
    }

    /// What has vested by `epoch`: [`TeamVesting::vested_at`] of the months since
    /// `start_epoch` (nothing before it), never more than `total`.
    pub fn unlocked_at(&self, epoch: u64) -> Result<TokenAmount, EpochDurationError> {
        let elapsed = epoch.saturating_sub(self.start_epoch);
        let vested = self.schedule()?.vested_at(elapsed);
        Ok(vested.min(self.total))
    }

    /// What the beneficiary may still withdraw at `epoch`: unlocked minus withdrawn.
    pub fn withdrawable_at(&self, epoch: u64) -> Result<TokenAmount, EpochDurationError> {
        Ok(self.unlocked_at(epoch)?.saturating_sub(self.withdrawn))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flowcoin_types::economics::GenesisAllocation;
    use flowcoin_types::message::{from_cbor, to_cbor};

    fn team(start_epoch: u64) -> VestingState {
        VestingState {
            beneficiary: Address::Id(101),
            total: GenesisAllocation::TEAM,
            start_epoch,
            epoch_duration_secs: 30,
            withdrawn: TokenAmount::ZERO,
        }
    }

    #[test]
    fn round_trips_as_a_five_tuple() {
        let state = team(0);
        let bytes = to_cbor("vesting", &state).unwrap();
        assert_eq!(bytes[0], 0x85);
        assert_eq!(
            from_cbor::<VestingState>("vesting", &bytes, 256).unwrap(),
            state
        );
    }

    #[test]
    fn releases_one_percent_per_month_from_the_start_epoch() {
        let month = 86_400;
        let state = team(10);
        assert_eq!(state.unlocked_at(0).unwrap(), TokenAmount::ZERO);
        assert_eq!(state.unlocked_at(month + 9).unwrap(), TokenAmount::ZERO);
        assert_eq!(
            state.unlocked_at(month + 10).unwrap(),
            GenesisAllocation::TEAM_MONTHLY_RELEASE
        );
        assert_eq!(
            state.unlocked_at(u64::MAX).unwrap(),
            GenesisAllocation::TEAM
        );
        let spent = VestingState {
            withdrawn: TokenAmount::from_flw(100_000),
            ..state
        };
        assert_eq!(
            spent.withdrawable_at(month + 10).unwrap(),
            TokenAmount::from_flw(55_000)
        );
        let small = VestingState {
            total: TokenAmount::from_flw(1),
            ..state
        };
        assert_eq!(
            small.unlocked_at(u64::MAX).unwrap(),
            TokenAmount::from_flw(1)
        );
        let bad = VestingState {
            epoch_duration_secs: 0,
            ..team(0)
        };
        assert!(bad.unlocked_at(1).is_err());
    }
}
