//! `NetworkParams`: every protocol constant a network fixes at genesis.
//!
//! Two presets: [`NetworkParams::mainnet`] uses Filecoin's values (30 s epochs, a 2880-epoch
//! proving period in 48 deadlines, a 150-epoch seal seed delay, 900-epoch finality, five
//! expected leaders per epoch); [`NetworkParams::devnet`] shrinks the clocks and sector sizes so
//! a whole import → deal → seal → prove cycle runs in well under a minute on a laptop. Genesis
//! records the parameters, so every node of a network applies the same ones; they are checked
//! for consistency by [`NetworkParams::validate`].
//!
//! The miner actor's deposits, pledges and fees come from formulas over [`MinerParams`]
//! (documented there and in `flowcoin_state::actor::miner`).
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
    /// The miner actor's clocks and money formulas.
    pub miner: MinerParams,
}

/// A fraction `num / den` of an amount (rounded down where it is applied).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ratio {
    /// Numerator.
    pub num: u64,
    /// Denominator (never zero in valid parameters).
    pub den: u64,
}

impl Ratio {
    /// `num / den`.
    pub const fn new(num: u64, den: u64) -> Self {
        Self { num, den }
    }
}

/// The miner actor's constants. Money is computed from the expected block reward of a
/// sector's power over some days (Filecoin's `BR(d)`, `actors/miner/src/monies.rs`):
///
/// ```text
/// share(p)  = p / max(network raw power, pledge_baseline_power)
/// BR(p, d)  = block_reward(epoch) · epochs_in(d days) · share(p)
/// deposit   = BR(p, pre_commit_deposit_days)                       (pre-commit, returned at prove-commit)
/// pledge    = BR(p, initial_pledge_days) + initial_pledge_supply_share · circulating · share(p)
/// fault fee = BR(p, fault_fee_days)                                 (each proving period a sector is faulty)
/// termination fee = max(min(simple, simple · age / ramp), floor_pledge · pledge, floor_fault · fault fee)
///           simple = termination_simple · pledge, ramp = termination_ramp_days in epochs,
///           age = epochs since activation                               (FIP-0098)
/// ```
///
/// The baseline power keeps the share of the first sectors of a young network from being 1
/// (Filecoin's baseline plays that part): without it, the first sector of a devnet would owe
/// 20 days of the whole network's reward as its deposit.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MinerParams {
    /// Faults and recoveries for a deadline must be declared at least this many epochs before
    /// it opens (Filecoin's FAULT_DECLARATION_CUTOFF).
    pub fault_declaration_cutoff: u64,
    /// How old a pre-commit's seal ticket epoch may be (Filecoin's
    /// MAX_PRE_COMMIT_RANDOMNESS_LOOKBACK).
    pub max_seal_ticket_age: u64,
    /// The shortest sector commitment, activation to expiration, in epochs.
    pub min_sector_lifetime: u64,
    /// The longest sector commitment, in epochs.
    pub max_sector_lifetime: u64,
    /// The power below which a sector's share is computed against this instead of the network.
    pub pledge_baseline_power: u64,
    /// Days of expected reward held as the pre-commit deposit.
    pub pre_commit_deposit_days: u64,
    /// Days of expected reward in the initial pledge.
    pub initial_pledge_days: u64,
    /// The share of the circulating supply in the initial pledge (× the sector's share).
    pub initial_pledge_supply_share: Ratio,
    /// Days of expected reward a faulty sector pays per proving period (3.51 in Filecoin).
    pub fault_fee_days: Ratio,
    /// The termination fee before the age ramp, as a share of the pledge (8.5 %).
    pub termination_simple: Ratio,
    /// The sector age, in days, at which the termination fee reaches its simple value.
    pub termination_ramp_days: u64,
    /// The least termination fee as a share of the pledge (2 %).
    pub termination_floor_pledge: Ratio,
    /// The least termination fee as a multiple of the fault fee (1.05).
    pub termination_floor_fault_fee: Ratio,
}

impl MinerParams {
    /// Filecoin's values (as of FIP-0098).
    fn filecoin(epoch: EpochDuration) -> Self {
        Self {
            fault_declaration_cutoff: 70,
            max_seal_ticket_age: days(epoch, 1).saturating_add(900),
            min_sector_lifetime: days(epoch, 180),
            max_sector_lifetime: days(epoch, 5 * 365),
            // Filecoin's initial baseline: 2.5 EiB.
            pledge_baseline_power: (5 << 60) / 2,
            pre_commit_deposit_days: 20,
            initial_pledge_days: 20,
            initial_pledge_supply_share: Ratio::new(3, 10),
            fault_fee_days: Ratio::new(351, 100),
            termination_simple: Ratio::new(85, 1000),
            termination_ramp_days: 140,
            termination_floor_pledge: Ratio::new(2, 100),
            termination_floor_fault_fee: Ratio::new(105, 100),
        }
    }
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
            miner: MinerParams::filecoin(epoch),
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
            miner: MinerParams {
                fault_declaration_cutoff: 3,
                max_seal_ticket_age: 200,
                min_sector_lifetime: 60,
                max_sector_lifetime: days(epoch, 540),
                // 1 TiB: a 2 KiB sector pledges ~0.04 FLW, a 512 MiB one ~11,000 FLW.
                pledge_baseline_power: 1 << 40,
                ..MinerParams::filecoin(epoch)
            },
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
            ("miner.min_sector_lifetime", self.miner.min_sector_lifetime),
            (
                "miner.pledge_baseline_power",
                self.miner.pledge_baseline_power,
            ),
            (
                "miner.termination_ramp_days",
                self.miner.termination_ramp_days,
            ),
        ] {
            if value == 0 {
                return Err(NetworkParamsError::Zero(name));
            }
        }
        for (name, ratio) in [
            (
                "miner.initial_pledge_supply_share",
                self.miner.initial_pledge_supply_share,
            ),
            ("miner.fault_fee_days", self.miner.fault_fee_days),
            ("miner.termination_simple", self.miner.termination_simple),
            (
                "miner.termination_floor_pledge",
                self.miner.termination_floor_pledge,
            ),
            (
                "miner.termination_floor_fault_fee",
                self.miner.termination_floor_fault_fee,
            ),
        ] {
            if ratio.den == 0 {
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
            (
                "miner.min_sector_lifetime",
                self.miner.min_sector_lifetime,
                "miner.max_sector_lifetime",
                self.miner.max_sector_lifetime,
            ),
            (
                "miner.fault_declaration_cutoff",
                self.miner.fault_declaration_cutoff,
                "proving_period",
                self.proving_period,
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
        assert_eq!(p.miner.fault_declaration_cutoff, 70);
        assert_eq!(p.miner.max_seal_ticket_age, 3780);
        assert_eq!(p.miner.fault_fee_days, Ratio::new(351, 100));
        assert_eq!(p.miner.pledge_baseline_power, 2_882_303_761_517_117_440);
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
        let mut p = NetworkParams::devnet();
        p.miner.fault_fee_days.den = 0;
        assert_eq!(
            p.validate(),
            Err(NetworkParamsError::Zero("miner.fault_fee_days"))
        );
        let mut p = NetworkParams::devnet();
        p.miner.min_sector_lifetime = p.miner.max_sector_lifetime + 1;
        assert!(p.validate().is_err());
    }
}
