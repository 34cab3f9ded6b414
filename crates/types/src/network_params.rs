//! `NetworkParams`: every protocol constant a network fixes at genesis.
//!
//! Two presets: [`NetworkParams::mainnet`] uses Filecoin's values (30 s epochs, a 2880-epoch
//! proving period in 48 deadlines, a 150-epoch seal seed delay, 900-epoch finality, five
//! expected leaders per epoch); [`NetworkParams::devnet`] shrinks the clocks and sector sizes so
//! a whole import → deal → seal → prove cycle runs in well under a minute on a laptop. Genesis
//! records the parameters, so every node of a network applies the same ones; they are checked
//! for consistency by [`NetworkParams::validate`].
//!
//! Amounts that depend on the miner and market actors (deposits, pledges, fees) are defined
//! with those actors, from formulas over these parameters.
//!
//! ```
//! use flowcoin_types::{NetworkParams, SectorSize};
//!
//! let main = NetworkParams::mainnet();
//! assert_eq!(main.challenge_window(), 60);
//! let dev = NetworkParams::devnet();
//! assert!(dev.sector_sizes.contains(&SectorSize::Size2KiB));
//! dev.validate()?;
//! # Ok::<(), flowcoin_types::NetworkParamsError>(())
//! ```

use crate::address::Network;
use crate::economics::EpochDuration;
use crate::sector_size::SectorSize;
use crate::token::TokenAmount;

/// The protocol constants of one network.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct NetworkParams {
    /// Which network (address prefix, genesis).
    pub network: Network,
    /// Length of an epoch (also sets the reward era and vesting month in epochs).
    pub epoch_duration: EpochDuration,
    /// Sector sizes miners may seal on this network.
    pub sector_sizes: Vec<SectorSize>,
    /// Epochs between a sector's pre-commit and the epoch whose randomness seeds its seal proof
    /// (Filecoin's PreCommitChallengeDelay).
    pub pre_commit_challenge_delay: u64,
    /// The most epochs a pre-committed sector may wait for its prove-commit before its deposit
    /// is forfeited.
    pub max_prove_commit_delay: u64,
    /// Epochs in a Window PoSt proving period.
    pub proving_period: u64,
    /// Deadlines per proving period (sectors are assigned to deadlines).
    pub deadlines: u64,
    /// How far before a deadline opens its challenge randomness is drawn.
    pub wpost_challenge_lookback: u64,
    /// Epochs a sector may stay faulty before it is terminated.
    pub fault_max_age: u64,
    /// Raw power (bytes of proven sectors) below which a miner cannot win blocks.
    pub min_miner_power: u64,
    /// Epochs after which the chain does not reorganise.
    pub finality: u64,
    /// How many epochs back the election reads the power table and sector set (Filecoin's
    /// WinningPoStSectorSetLookback on mainnet).
    pub power_lookback: u64,
    /// The expected number of winning tickets per epoch (E of Expected Consensus).
    pub expected_leaders_per_epoch: u64,
    /// The most gas the messages of one block may use.
    pub block_gas_limit: u64,
    /// The base fee of the genesis epoch, per unit of gas.
    pub initial_base_fee: TokenAmount,
    /// The base fee never falls below this.
    pub min_base_fee: TokenAmount,
    /// The base fee moves by at most 1/`base_fee_max_change_denom` per epoch.
    pub base_fee_max_change_denom: u64,
    /// The shortest storage deal, in epochs.
    pub deal_min_duration: u64,
    /// The longest storage deal, in epochs.
    pub deal_max_duration: u64,
}

/// Why a set of parameters is inconsistent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NetworkParamsError {
    /// A value that must be positive is zero.
    #[error("{0} must be greater than zero")]
    Zero(&'static str),
    /// The proving period does not split into whole deadlines.
    #[error(
        "the proving period of {period} epochs does not split into {deadlines} equal deadlines"
    )]
    Deadlines {
        /// The proving period.
        period: u64,
        /// The deadline count.
        deadlines: u64,
    },
    /// The network allows no sector size.
    #[error("the network allows no sector size")]
    NoSectorSizes,
    /// The minimum base fee exceeds the initial one.
    #[error("min_base_fee ({min}) must not exceed initial_base_fee ({initial})")]
    BaseFee {
        /// The minimum base fee.
        min: TokenAmount,
        /// The initial base fee.
        initial: TokenAmount,
    },
    /// Two values must be ordered and are not.
    #[error("{smaller} ({a}) must not exceed {larger} ({b})")]
    Order {
        /// The name of the value that must be smaller.
        smaller: &'static str,
        /// Its value.
        a: u64,
        /// The name of the value that must be larger.
        larger: &'static str,
        /// Its value.
        b: u64,
    },
}

/// Days in epochs of `duration` (whole epochs; every valid epoch length divides a day).
fn days(duration: EpochDuration, days: u64) -> u64 {
    days.saturating_mul(86_400)
        .checked_div(duration.secs())
        .unwrap_or(0)
}

impl NetworkParams {
    /// Filecoin's values.
    pub fn mainnet() -> Self {
        let epoch = EpochDuration::MAINNET;
        Self {
            network: Network::Mainnet,
            epoch_duration: epoch,
            sector_sizes: vec![SectorSize::Size32GiB, SectorSize::Size64GiB],
            pre_commit_challenge_delay: 150,
            max_prove_commit_delay: days(epoch, 30).saturating_add(150),
            proving_period: 2880,
            deadlines: 48,
            wpost_challenge_lookback: 20,
            fault_max_age: days(epoch, 42),
            min_miner_power: 10 << 40,
            finality: 900,
            power_lookback: 10,
            expected_leaders_per_epoch: 5,
            block_gas_limit: 10_000_000_000,
            initial_base_fee: TokenAmount::from_atto(100_000_000),
            min_base_fee: TokenAmount::from_atto(100),
            base_fee_max_change_denom: 8,
            deal_min_duration: days(epoch, 180),
            deal_max_duration: days(epoch, 540),
        }
    }

    /// A local development network: 2 s epochs, small sectors, short clocks.
    pub fn devnet() -> Self {
        // 2 divides 864,000, so the reward era and vesting month are whole epochs.
        let epoch = EpochDuration::from_secs(2).unwrap_or(EpochDuration::MAINNET);
        Self {
            network: Network::Devnet,
            epoch_duration: epoch,
            sector_sizes: vec![
                SectorSize::Size2KiB,
                SectorSize::Size8MiB,
                SectorSize::Size512MiB,
            ],
            pre_commit_challenge_delay: 3,
            max_prove_commit_delay: 300,
            proving_period: 60,
            deadlines: 6,
            wpost_challenge_lookback: 2,
            fault_max_age: 600,
            min_miner_power: SectorSize::Size2KiB.bytes(),
            finality: 20,
            power_lookback: 5,
            expected_leaders_per_epoch: 5,
            block_gas_limit: 10_000_000_000,
            initial_base_fee: TokenAmount::from_atto(100_000_000),
            min_base_fee: TokenAmount::from_atto(100),
            base_fee_max_change_denom: 8,
            deal_min_duration: 10,
            deal_max_duration: days(epoch, 540),
        }
    }

    /// The preset for `network`.
    pub fn for_network(network: Network) -> Self {
        match network {
            Network::Mainnet => Self::mainnet(),
            Network::Devnet => Self::devnet(),
        }
    }

    /// Epochs in one deadline's challenge window (proving period / deadlines).
    pub fn challenge_window(&self) -> u64 {
        self.proving_period.checked_div(self.deadlines).unwrap_or(0)
    }

    /// Checks that the parameters are consistent.
    pub fn validate(&self) -> Result<(), NetworkParamsError> {
        for (name, value) in [
            (
                "pre_commit_challenge_delay",
                self.pre_commit_challenge_delay,
            ),
            ("proving_period", self.proving_period),
            ("deadlines", self.deadlines),
            ("finality", self.finality),
            (
                "expected_leaders_per_epoch",
                self.expected_leaders_per_epoch,
            ),
            ("block_gas_limit", self.block_gas_limit),
            ("base_fee_max_change_denom", self.base_fee_max_change_denom),
            ("deal_min_duration", self.deal_min_duration),
        ] {
            if value == 0 {
                return Err(NetworkParamsError::Zero(name));
            }
        }
        if self.sector_sizes.is_empty() {
            return Err(NetworkParamsError::NoSectorSizes);
        }
        if self.proving_period.checked_rem(self.deadlines) != Some(0) {
            return Err(NetworkParamsError::Deadlines {
                period: self.proving_period,
                deadlines: self.deadlines,
            });
        }
        let ordered = [
            (
                "pre_commit_challenge_delay",
                self.pre_commit_challenge_delay,
                "max_prove_commit_delay",
                self.max_prove_commit_delay,
            ),
            (
                "wpost_challenge_lookback",
                self.wpost_challenge_lookback,
                "challenge_window",
                self.challenge_window(),
            ),
            (
                "power_lookback",
                self.power_lookback,
                "finality",
                self.finality,
            ),
            (
                "deal_min_duration",
                self.deal_min_duration,
                "deal_max_duration",
                self.deal_max_duration,
            ),
        ];
        for (smaller, a, larger, b) in ordered {
            if a > b {
                return Err(NetworkParamsError::Order {
                    smaller,
                    a,
                    larger,
                    b,
                });
            }
        }
        if self.min_base_fee > self.initial_base_fee {
            return Err(NetworkParamsError::BaseFee {
                min: self.min_base_fee,
                initial: self.initial_base_fee,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mainnet_has_filecoins_proving_and_consensus_constants() {
        let p = NetworkParams::mainnet();
        assert_eq!(p.validate(), Ok(()));
        assert_eq!(p.epoch_duration.secs(), 30);
        assert_eq!(
            (p.proving_period, p.deadlines, p.challenge_window()),
            (2880, 48, 60)
        );
        assert_eq!(p.pre_commit_challenge_delay, 150);
        assert_eq!(p.finality, 900);
        assert_eq!(p.expected_leaders_per_epoch, 5);
        assert_eq!(p.fault_max_age, 42 * 2880);
        assert_eq!(p.deal_min_duration, 180 * 2880);
        assert_eq!(NetworkParams::for_network(Network::Mainnet), p);
    }

    #[test]
    fn devnet_is_consistent_and_fast() {
        let p = NetworkParams::devnet();
        assert_eq!(p.validate(), Ok(()));
        assert_eq!(p.network, Network::Devnet);
        assert_eq!(p.epoch_duration.secs(), 2);
        // Seal seed within 10 s, and a deadline every 20 s.
        assert!(p.pre_commit_challenge_delay * p.epoch_duration.secs() <= 10);
        assert_eq!(p.challenge_window() * p.epoch_duration.secs(), 20);
        assert_eq!(NetworkParams::for_network(Network::Devnet), p);
    }

    #[test]
    fn inconsistent_parameters_are_refused_with_the_reason() {
        let mut p = NetworkParams::devnet();
        p.deadlines = 7;
        assert_eq!(
            p.validate(),
            Err(NetworkParamsError::Deadlines {
                period: 60,
                deadlines: 7
            })
        );
        let mut p = NetworkParams::devnet();
        p.deadlines = 0;
        assert_eq!(p.validate(), Err(NetworkParamsError::Zero("deadlines")));
        let mut p = NetworkParams::devnet();
        p.sector_sizes.clear();
        assert_eq!(p.validate(), Err(NetworkParamsError::NoSectorSizes));
        let mut p = NetworkParams::devnet();
        p.wpost_challenge_lookback = 11;
        let e = p.validate().unwrap_err();
        assert!(
            e.to_string().contains("wpost_challenge_lookback (11)"),
            "{e}"
        );
        let mut p = NetworkParams::mainnet();
        p.min_base_fee = TokenAmount::from_atto(100_000_001);
        assert!(p.validate().is_err());
    }
}
