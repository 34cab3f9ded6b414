//! The vesting actor's state: tokens locked at genesis for a beneficiary and released on the
//! team schedule ([`TeamVesting`]: 155,000 FLW at each 30-day month boundary after
//! `start_epoch`, for 100 months), and its one method, [`METHOD_WITHDRAW`].
//!
//! `Withdraw` (method 2, params `[amount]` with the amount in Filecoin big-integer bytes)
//! moves `amount` from the vesting actor's balance to the beneficiary and adds it to
//! `withdrawn`. It fails, changing nothing but the caller's gas and nonce, with
//!
//! | condition | exit code |
//! |---|---|
//! | params are not the canonical `[amount]` | [`ExitCode::ERR_ILLEGAL_ARGUMENT`] |
//! | the caller is not the beneficiary (compared by actor ID) | [`ExitCode::ERR_FORBIDDEN`] |
//! | `amount` > unlocked at the message's epoch − withdrawn | [`ExitCode::ERR_INSUFFICIENT_FUNDS`] |
//! | `amount` > the actor's balance, or an invalid stored epoch length | [`ExitCode::ERR_ILLEGAL_STATE`] |

use flowcoin_types::economics::{EpochDuration, EpochDurationError, TeamVesting};
use flowcoin_types::message::from_cbor;
use flowcoin_types::{Address, TokenAmount};

use super::{ActorId, MethodError};
use crate::receipt::ExitCode;
use flowcoin_types::cbor_tuple;

/// The method number of `Withdraw` ([`WithdrawParams`]); 0 is the plain send, 1 is kept for a
/// constructor as in Filecoin.
pub const METHOD_WITHDRAW: u64 = 2;

/// The largest encoded [`WithdrawParams`]: the array header, a byte-string header and the
/// at most 17 bytes of a token amount.
const MAX_WITHDRAW_PARAMS_BYTES: usize = 32;

/// The parameters of `Withdraw`: `[amount]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WithdrawParams {
    /// What to withdraw, at most what has vested and is not yet withdrawn.
    pub amount: TokenAmount,
}

cbor_tuple!(WithdrawParams {
    amount: TokenAmount
});

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

/// Who is calling `Withdraw` and when, resolved by message application.
#[derive(Debug, Clone, Copy)]
pub(crate) struct WithdrawCall {
    /// The sender's actor ID.
    pub caller: ActorId,
    /// The beneficiary's actor ID (`None`: its address resolves to no actor).
    pub beneficiary: Option<ActorId>,
    /// The epoch of the message.
    pub epoch: u64,
    /// The vesting actor's balance.
    pub balance: TokenAmount,
}

impl VestingState {
    /// Decides `Withdraw` with encoded `params`: the amount to move to the beneficiary and the
    /// state after it. Changes nothing; message application writes the result.
    pub(crate) fn plan_withdraw(
        &self,
        call: WithdrawCall,
        params: &[u8],
    ) -> Result<(TokenAmount, VestingState), MethodError> {
        let WithdrawParams { amount } =
            from_cbor("withdraw params", params, MAX_WITHDRAW_PARAMS_BYTES).map_err(|e| {
                MethodError::new(
                    ExitCode::ERR_ILLEGAL_ARGUMENT,
                    format!("{e} (Withdraw takes the DAG-CBOR array [amount])"),
                )
            })?;
        if call.beneficiary != Some(call.caller) {
            return Err(MethodError::new(
                ExitCode::ERR_FORBIDDEN,
                format!(
                    "only the beneficiary {:?} may withdraw, not actor {}",
                    self.beneficiary, call.caller
                ),
            ));
        }
        let withdrawable = self.withdrawable_at(call.epoch).map_err(|e| {
            MethodError::new(ExitCode::ERR_ILLEGAL_STATE, format!("vesting state: {e}"))
        })?;
        if amount > withdrawable {
            return Err(MethodError::new(
                ExitCode::ERR_INSUFFICIENT_FUNDS,
                format!(
                    "cannot withdraw {amount} at epoch {}: only {withdrawable} has \
                     vested and not been withdrawn",
                    call.epoch
                ),
            ));
        }
        let withdrawn = self.withdrawn.checked_add(amount);
        let Some(withdrawn) = withdrawn.filter(|_| amount <= call.balance) else {
            return Err(MethodError::new(
                ExitCode::ERR_ILLEGAL_STATE,
                format!(
                    "the vesting actor holds {}, less than the {amount} asked for",
                    call.balance
                ),
            ));
        };
        Ok((
            amount,
            VestingState {
                withdrawn,
                ..self.clone()
            },
        ))
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
