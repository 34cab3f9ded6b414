//! The FLW supply schedule, as pure functions of the epoch.
//!
//! The supply is fixed at 310,000,000 FLW ([`TokenAmount::TOTAL_SUPPLY`]):
//!
//! | bucket | FLW | how it is released |
//! |---|---|---|
//! | mining pool | 217,000,000 | minted per epoch to block winners, halving every 4-year era ([`RewardSchedule`]) |
//! | premine | 31,000,000 | one genesis account |
//! | super nodes | 46,500,000 | 50 genesis accounts of 930,000 |
//! | team | 15,500,000 | locked at genesis, 155,000 (1 %) released at each 30-day month boundary for 100 months ([`TeamVesting`]) |
//!
//! Epochs are counted from genesis (epoch 0) as `u64`. The schedule depends on the epoch length
//! ([`EpochDuration`]: 30 s on mainnet, shorter on the devnet) because eras and months are
//! fixed in seconds.
//!
//! ```
//! use flowcoin_types::TokenAmount;
//! use flowcoin_types::economics::{EpochDuration, GenesisAllocation, RewardSchedule, genesis_total};
//!
//! let schedule = RewardSchedule::new(EpochDuration::MAINNET);
//! assert_eq!(schedule.epochs_per_era(), 4_204_800);
//! assert!(schedule.block_reward(0).to_string().starts_with("25.80384"));
//! assert!(schedule.total_minted_through(u64::MAX) < GenesisAllocation::MINING_POOL);
//! assert_eq!(
//!     genesis_total().checked_add(GenesisAllocation::MINING_POOL),
//!     Some(TokenAmount::TOTAL_SUPPLY)
//! );
//! ```

use std::num::NonZeroU64;

use crate::TokenAmount;

/// Seconds in a halving era: 4 · 365 days.
pub const SECONDS_PER_ERA: u64 = 126_144_000;
/// Seconds in a vesting month: 30 days.
pub const SECONDS_PER_VESTING_MONTH: u64 = 2_592_000;
/// Every valid epoch length divides this: the greatest common divisor of an era and a vesting
/// month (10 days).
const EPOCH_SECS_MODULUS: u64 = 864_000;

/// `dividend / divisor`, in a `const fn` (where `u64: Div<NonZeroU64>` is not available).
const fn quotient(dividend: u64, divisor: NonZeroU64) -> u64 {
    match dividend.checked_div(divisor.get()) {
        Some(quotient) => quotient,
        // The divisor is not zero.
        None => 0,
    }
}

/// The amounts allocated at genesis, and the mining pool minted after it.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct GenesisAllocation;

impl GenesisAllocation {
    /// Minted over time as block rewards: 217,000,000 FLW.
    pub const MINING_POOL: TokenAmount = TokenAmount::from_flw(217_000_000);
    /// To one genesis account: 31,000,000 FLW.
    pub const PREMINE: TokenAmount = TokenAmount::from_flw(31_000_000);
    /// Number of super-node genesis accounts.
    pub const SUPER_NODE_COUNT: u64 = 50;
    /// To each super node: 930,000 FLW.
    pub const PER_SUPER_NODE: TokenAmount = TokenAmount::from_flw(930_000);
    /// To all super nodes together: 46,500,000 FLW.
    pub const SUPER_NODES: TokenAmount = TokenAmount::from_flw(46_500_000);
    /// Locked in the team vesting actor: 15,500,000 FLW.
    pub const TEAM: TokenAmount = TokenAmount::from_flw(15_500_000);
    /// Team tokens released at each month boundary: 155,000 FLW (1 % of the team pool).
    pub const TEAM_MONTHLY_RELEASE: TokenAmount = TokenAmount::from_flw(155_000);
    /// Months until the team pool is fully released.
    pub const TEAM_VESTING_MONTHS: u64 = 100;
}

/// Everything allocated at genesis: premine + super nodes + team = 93,000,000 FLW. With the
/// mining pool this is exactly [`TokenAmount::TOTAL_SUPPLY`].
pub const fn genesis_total() -> TokenAmount {
    // Evaluated at compile time: an overflow here would fail the build, not panic.
    const TOTAL: TokenAmount = TokenAmount::from_atto(
        GenesisAllocation::PREMINE.atto()
            + GenesisAllocation::SUPER_NODES.atto()
            + GenesisAllocation::TEAM.atto(),
    );
    TOTAL
}

/// Why an epoch length cannot carry the supply schedule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EpochDurationError {
    /// The epoch length is zero.
    #[error("the epoch length is 0 s; it must be at least 1 s (mainnet uses 30 s)")]
    Zero,
    /// The epoch length does not divide an era and a vesting month into whole epochs.
    #[error(
        "an epoch length of {secs} s does not divide the 4-year era (126144000 s) and the \
         30-day vesting month (2592000 s) into whole epochs (use a divisor of 864000 s, such as \
         1, 2, 5, 10, 30 or 60)"
    )]
    NotADivisor {
        /// The rejected length in seconds.
        secs: u64,
    },
}

/// The length of an epoch, validated so that an era and a vesting month are whole numbers of
/// epochs (the length divides 864,000 s). A length that does not would make the schedule
/// depend on how partial epochs are rounded, so it is rejected instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EpochDuration(NonZeroU64);

impl EpochDuration {
    /// Mainnet's 30-second epochs.
    pub const MAINNET: Self = match NonZeroU64::new(30) {
        Some(secs) => Self(secs),
        None => Self(NonZeroU64::MIN),
    };

    /// Validates an epoch length in seconds.
    pub fn from_secs(secs: u64) -> Result<Self, EpochDurationError> {
        let secs = NonZeroU64::new(secs).ok_or(EpochDurationError::Zero)?;
        if EPOCH_SECS_MODULUS % secs != 0 {
            return Err(EpochDurationError::NotADivisor { secs: secs.get() });
        }
        Ok(Self(secs))
    }

    /// The length in seconds.
    pub const fn secs(self) -> u64 {
        self.0.get()
    }

    /// Epochs in a 4-year halving era: 126,144,000 / secs (4,204,800 on mainnet).
    pub const fn epochs_per_era(self) -> u64 {
        quotient(SECONDS_PER_ERA, self.0)
    }

    /// Epochs in a 30-day vesting month: 2,592,000 / secs (86,400 on mainnet).
    pub const fn epochs_per_month(self) -> u64 {
        quotient(SECONDS_PER_VESTING_MONTH, self.0)
    }
}

/// Epochs per era for an epoch length in seconds; an error if the length is 0 or does not
/// divide both an era and a vesting month evenly (see [`EpochDuration::from_secs`]).
pub fn epochs_per_era(epoch_secs: u64) -> Result<u64, EpochDurationError> {
    EpochDuration::from_secs(epoch_secs).map(EpochDuration::epochs_per_era)
}

/// The mining reward schedule: era k (k = 0, 1, 2, …) pays `MINING_POOL / 2^(k+1)`, rounded
/// down to an attoFLW, spread evenly over its epochs, each epoch's reward rounded down to an
/// attoFLW. The rounding dust is never minted, so the total stays below the mining pool forever.
///
/// The schedule gives the reward *allotted* to each epoch; an epoch without a block (genesis,
/// null rounds) mints nothing, so what is actually minted is at most
/// [`total_minted_through`](Self::total_minted_through).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RewardSchedule {
    epochs_per_era: NonZeroU64,
}

impl RewardSchedule {
    /// The schedule for epochs of the given length.
    pub const fn new(epoch: EpochDuration) -> Self {
        // At most 126,144,000 and at least 146 (864,000 s epochs), so never zero.
        let epochs_per_era = match NonZeroU64::new(epoch.epochs_per_era()) {
            Some(epochs) => epochs,
            None => NonZeroU64::MIN,
        };
        Self { epochs_per_era }
    }

    /// Epochs in an era.
    pub const fn epochs_per_era(&self) -> u64 {
        self.epochs_per_era.get()
    }

    /// The era an epoch belongs to (0 for the first 4 years).
    pub const fn era_of(&self, epoch: u64) -> u64 {
        quotient(epoch, self.epochs_per_era)
    }

    /// What era `era` pays in total before the per-epoch rounding: `floor(MINING_POOL /
    /// 2^(era+1))` (108,500,000 FLW for era 0; zero from era 87 on).
    pub const fn era_total(era: u64) -> TokenAmount {
        let pool = GenesisAllocation::MINING_POOL.atto();
        let shifted = if era < 127 {
            // era + 1 ≤ 127: the cast and the shift are exact.
            pool >> (era as u32).wrapping_add(1)
        } else {
            0
        };
        TokenAmount::from_atto(shifted)
    }

    /// The reward of every epoch of `era`: `floor(era_total(era) / epochs_per_era)`.
    pub const fn reward_per_epoch_in_era(&self, era: u64) -> TokenAmount {
        let per_epoch = Self::era_total(era)
            .atto()
            .checked_div(self.epochs_per_era.get() as u128);
        match per_epoch {
            Some(atto) => TokenAmount::from_atto(atto),
            // The divisor is not zero.
            None => TokenAmount::ZERO,
        }
    }

    /// The reward of epoch `epoch`, shared by its winners with [`reward_for_winner`]
    /// (25.803843226788432267 FLW in the first era at 30 s epochs).
    pub const fn block_reward(&self, epoch: u64) -> TokenAmount {
        self.reward_per_epoch_in_era(self.era_of(epoch))
    }

    /// The sum of [`block_reward`](Self::block_reward) over epochs `0..=epoch`, in closed form
    /// (one term per era, at most 128). Always below [`GenesisAllocation::MINING_POOL`], for
    /// every `epoch` up to `u64::MAX`.
    pub fn total_minted_through(&self, epoch: u64) -> TokenAmount {
        let epochs_per_era = self.epochs_per_era.get();
        let full_eras = epoch / self.epochs_per_era;
        // Epochs of the current era up to and including `epoch`: 1 ..= epochs_per_era.
        let epochs_into_era = (epoch % self.epochs_per_era).saturating_add(1);
        // Eras from 127 on pay nothing, so at most 127 full-era terms.
        let paying_full_eras = full_eras.min(127);
        // Every term is at most its era's total, and the era totals sum to less than the pool
        // (< 2^88), so the saturating operations never saturate.
        let full = (0..paying_full_eras).fold(0u128, |sum, era| {
            let era_minted = self
                .reward_per_epoch_in_era(era)
                .atto()
                .saturating_mul(u128::from(epochs_per_era));
            sum.saturating_add(era_minted)
        });
        let current = self
            .reward_per_epoch_in_era(full_eras)
            .atto()
            .saturating_mul(u128::from(epochs_into_era));
        TokenAmount::from_atto(full.saturating_add(current))
    }
}

/// Why an epoch reward cannot be split among its winners.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RewardSplitError {
    /// The epoch has no wins to share the reward among.
    #[error("the epoch's total win count is 0, so there is no winner to reward")]
    NoWins,
    /// A winner claims more wins than the epoch has in total.
    #[error("a win count of {win_count} exceeds the epoch's total of {total_wins} wins")]
    WinCountExceedsTotal {
        /// The winner's win count.
        win_count: u64,
        /// The epoch's total win count.
        total_wins: u64,
    },
}

/// One winner's share of an epoch's reward, pro rata to its win count:
/// `floor(epoch_reward · win_count / total_wins)`. The shares of all winners add up to at most
/// `epoch_reward`; the rounding remainder is not minted.
///
/// ```
/// use flowcoin_types::TokenAmount;
/// use flowcoin_types::economics::reward_for_winner;
/// let reward = TokenAmount::from_atto(100);
/// assert_eq!(reward_for_winner(reward, 1, 3), Ok(TokenAmount::from_atto(33)));
/// assert_eq!(reward_for_winner(reward, 2, 3), Ok(TokenAmount::from_atto(66)));
/// ```
pub fn reward_for_winner(
    epoch_reward: TokenAmount,
    win_count: u64,
    total_wins: u64,
) -> Result<TokenAmount, RewardSplitError> {
    if total_wins == 0 {
        return Err(RewardSplitError::NoWins);
    }
    if win_count > total_wins {
        return Err(RewardSplitError::WinCountExceedsTotal {
            win_count,
            total_wins,
        });
    }
    // Cannot fail: the divisor is not zero and the share is at most the reward.
    Ok(epoch_reward
        .mul_div_floor(win_count, total_wins)
        .unwrap_or(TokenAmount::ZERO))
}

/// The team's vesting: [`GenesisAllocation::TEAM_MONTHLY_RELEASE`] becomes spendable at each
/// 30-day month boundary (epoch m · epochs_per_month, m = 1 … 100), in whole steps, not
/// linearly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TeamVesting {
    epochs_per_month: NonZeroU64,
}

impl TeamVesting {
    /// The vesting schedule for epochs of the given length.
    pub const fn new(epoch: EpochDuration) -> Self {
        // At least 3 (864,000 s epochs), so never zero.
        let epochs_per_month = match NonZeroU64::new(epoch.epochs_per_month()) {
            Some(epochs) => epochs,
            None => NonZeroU64::MIN,
        };
        Self { epochs_per_month }
    }

    /// Epochs in a vesting month.
    pub const fn epochs_per_month(&self) -> u64 {
        self.epochs_per_month.get()
    }

    /// Whole months elapsed at `epoch`, capped at 100.
    pub const fn months_vested(&self, epoch: u64) -> u64 {
        let months = quotient(epoch, self.epochs_per_month);
        if months < GenesisAllocation::TEAM_VESTING_MONTHS {
            months
        } else {
            GenesisAllocation::TEAM_VESTING_MONTHS
        }
    }

    /// Team tokens released by `epoch`: 155,000 FLW × min(100, ⌊epoch / epochs_per_month⌋).
    pub const fn vested_at(&self, epoch: u64) -> TokenAmount {
        // At most 100 × 155,000 FLW, far from overflowing.
        TokenAmount::from_atto(
            GenesisAllocation::TEAM_MONTHLY_RELEASE
                .atto()
                .saturating_mul(self.months_vested(epoch) as u128),
        )
    }

    /// Team tokens still locked at `epoch`: 15,500,000 FLW − [`vested_at`](Self::vested_at).
    pub const fn locked_at(&self, epoch: u64) -> TokenAmount {
        GenesisAllocation::TEAM.saturating_sub(self.vested_at(epoch))
    }
}

/// Why a circulating supply cannot be computed from the given state.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SupplyError {
    /// More was minted than the mining pool holds: the chain state is inconsistent.
    #[error(
        "minted {minted} exceeds the {} mining pool",
        GenesisAllocation::MINING_POOL
    )]
    MintedExceedsPool {
        /// The minted amount given.
        minted: TokenAmount,
    },
    /// More was burnt or locked than was ever issued: the chain state is inconsistent.
    #[error("burnt {burnt} plus locked {locked} exceed the {issued} issued")]
    RemovedExceedsIssued {
        /// Everything issued by the epoch.
        issued: TokenAmount,
        /// The burnt amount given.
        burnt: TokenAmount,
        /// The locked amount given.
        locked: TokenAmount,
    },
}

/// The circulating supply at `epoch`:
///
/// premine + super nodes + team vested at `epoch` + `minted` − `burnt` − `locked`
///
/// where `minted` is the block reward minted so far, `burnt` everything sent to the burn
/// address (base fees, penalties) and `locked` the pledge collateral and other funds locked in
/// actors. Errors when the inputs cannot come from a consistent chain state.
pub fn circulating_supply(
    vesting: &TeamVesting,
    epoch: u64,
    minted: TokenAmount,
    burnt: TokenAmount,
    locked: TokenAmount,
) -> Result<TokenAmount, SupplyError> {
    if minted > GenesisAllocation::MINING_POOL {
        return Err(SupplyError::MintedExceedsPool { minted });
    }
    let issued = TokenAmount::checked_sum([
        GenesisAllocation::PREMINE,
        GenesisAllocation::SUPER_NODES,
        vesting.vested_at(epoch),
        minted,
    ])
    .ok_or(SupplyError::MintedExceedsPool { minted })?;
    burnt
        .checked_add(locked)
        .and_then(|removed| issued.checked_sub(removed))
        .ok_or(SupplyError::RemovedExceedsIssued {
            issued,
            burnt,
            locked,
        })
}

#[cfg(test)]
mod tests;
