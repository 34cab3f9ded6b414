//! The miner actor's amounts, each a formula over [`MinerParams`] (see its documentation):
//! expected reward `BR(p, d)`, pre-commit deposit, initial pledge, fault fee and termination
//! fee. All arithmetic is checked; `None` means an overflow no real input reaches.

use flowcoin_types::{MinerParams, Ratio, StoragePower, TokenAmount};

/// Seconds in a day.
const DAY_SECS: u128 = 86_400;

/// What the amounts depend on besides the sector: the epoch's reward, the network's power,
/// the circulating supply and the epoch length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RewardEnv {
    /// The block reward of the current epoch (all its winners together).
    pub epoch_reward: TokenAmount,
    /// The network's raw power.
    pub network_power: StoragePower,
    /// The circulating supply.
    pub circulating_supply: TokenAmount,
    /// Seconds per epoch.
    pub epoch_secs: u64,
}

/// `floor(a · b / c)` without overflow where the result fits (`None` for `c = 0` or a result
/// beyond `u128`).
pub fn mul_div(a: u128, b: u128, c: u128) -> Option<u128> {
    if c == 0 {
        return None;
    }
    if let Some(product) = a.checked_mul(b) {
        return product.checked_div(c);
    }
    // a·b/c = (a/c)·b + (a%c)·b/c, with (a%c)·b < c·b.
    let whole = a.checked_div(c)?.checked_mul(b)?;
    let rest = a.checked_rem(c)?.checked_mul(b)?.checked_div(c)?;
    whole.checked_add(rest)
}

/// `amount · ratio`, rounded down.
pub fn apply_ratio(amount: TokenAmount, ratio: Ratio) -> Option<TokenAmount> {
    mul_div(amount.atto(), u128::from(ratio.num), u128::from(ratio.den)).map(TokenAmount::from_atto)
}

/// The power a share is taken of: the network's, but at least the baseline.
fn share_denominator(env: &RewardEnv, params: &MinerParams) -> u128 {
    env.network_power
        .0
        .max(u128::from(params.pledge_baseline_power))
}

/// `BR(p, days)`: the expected block reward of `power` bytes over `days` days.
pub fn expected_reward(
    env: &RewardEnv,
    params: &MinerParams,
    power: u64,
    days: Ratio,
) -> Option<TokenAmount> {
    let secs = u128::from(days.num).checked_mul(DAY_SECS)?;
    let per_secs = u128::from(days.den).checked_mul(u128::from(env.epoch_secs))?;
    let over_period = mul_div(env.epoch_reward.atto(), secs, per_secs)?;
    mul_div(
        over_period,
        u128::from(power),
        share_denominator(env, params),
    )
    .map(TokenAmount::from_atto)
}

/// The pre-commit deposit of a sector of `power` bytes: `BR(p, pre_commit_deposit_days)`.
pub fn pre_commit_deposit(
    env: &RewardEnv,
    params: &MinerParams,
    power: u64,
) -> Option<TokenAmount> {
    expected_reward(
        env,
        params,
        power,
        Ratio::new(params.pre_commit_deposit_days, 1),
    )
}

/// The initial pledge of a sector of `power` bytes:
/// `BR(p, initial_pledge_days) + initial_pledge_supply_share · circulating · share(p)`.
pub fn initial_pledge(env: &RewardEnv, params: &MinerParams, power: u64) -> Option<TokenAmount> {
    let reward = expected_reward(
        env,
        params,
        power,
        Ratio::new(params.initial_pledge_days, 1),
    )?;
    let supply = apply_ratio(env.circulating_supply, params.initial_pledge_supply_share)?;
    let supply_part = mul_div(
        supply.atto(),
        u128::from(power),
        share_denominator(env, params),
    )?;
    reward.checked_add(TokenAmount::from_atto(supply_part))
}

/// The fee a faulty sector of `power` bytes pays each proving period: `BR(p, fault_fee_days)`.
pub fn fault_fee(env: &RewardEnv, params: &MinerParams, power: u64) -> Option<TokenAmount> {
    expected_reward(env, params, power, params.fault_fee_days)
}

/// The termination fee of a sector with initial pledge `pledge`, `age` epochs after its
/// activation (FIP-0098): `max(min(simple, simple · age / ramp), max(floor_pledge · pledge,
/// floor_fault · fault_fee))` with `simple = termination_simple · pledge`.
pub fn termination_fee(
    env: &RewardEnv,
    params: &MinerParams,
    power: u64,
    pledge: TokenAmount,
    age: u64,
) -> Option<TokenAmount> {
    let simple = apply_ratio(pledge, params.termination_simple)?;
    let ramp = u128::from(params.termination_ramp_days)
        .checked_mul(DAY_SECS)?
        .checked_div(u128::from(env.epoch_secs))?;
    let ramped = mul_div(simple.atto(), u128::from(age), ramp)?;
    let base = simple.min(TokenAmount::from_atto(ramped));
    let floor_pledge = apply_ratio(pledge, params.termination_floor_pledge)?;
    let floor_fault = apply_ratio(
        fault_fee(env, params, power)?,
        params.termination_floor_fault_fee,
    )?;
    Some(base.max(floor_pledge).max(floor_fault))
}

#[cfg(test)]
mod tests {
    use super::*;
    use flowcoin_types::NetworkParams;

    fn env() -> RewardEnv {
        RewardEnv {
            epoch_reward: TokenAmount::from_flw(10),
            network_power: StoragePower::ZERO,
            circulating_supply: TokenAmount::from_flw(1_000_000),
            epoch_secs: 30,
        }
    }

    fn params() -> MinerParams {
        let mut p = NetworkParams::mainnet().miner;
        p.pledge_baseline_power = 1 << 20;
        p
    }

    #[test]
    fn mul_div_is_exact_and_survives_wide_products() {
        assert_eq!(mul_div(10, 3, 4), Some(7));
        assert_eq!(mul_div(1, 1, 0), None);
        assert_eq!(mul_div(u128::MAX, 2, 4), Some(u128::MAX / 2));
        assert_eq!(mul_div(u128::MAX, 3, 1), None);
    }

    #[test]
    fn expected_reward_follows_the_formula() {
        // 10 FLW per epoch, 2880 epochs a day, a quarter of the baseline: 20 days =
        // 10 · 2880 · 20 / 4 = 144,000 FLW.
        let e = env();
        let p = params();
        assert_eq!(
            pre_commit_deposit(&e, &p, 1 << 18),
            Some(TokenAmount::from_flw(144_000))
        );
        // The network's power counts once it exceeds the baseline.
        let big = RewardEnv {
            network_power: StoragePower(1 << 21),
            ..e
        };
        assert_eq!(
            pre_commit_deposit(&big, &p, 1 << 18),
            Some(TokenAmount::from_flw(72_000))
        );
        // 3.51 days: 10 · 2880 · 3.51 / 4 = 25,272 FLW.
        assert_eq!(
            fault_fee(&e, &p, 1 << 18),
            Some(TokenAmount::from_flw(25_272))
        );
    }

    #[test]
    fn initial_pledge_adds_the_supply_share() {
        // 144,000 + 0.3 · 1,000,000 / 4 = 219,000 FLW.
        assert_eq!(
            initial_pledge(&env(), &params(), 1 << 18),
            Some(TokenAmount::from_flw(219_000))
        );
    }

    #[test]
    fn termination_fee_ramps_with_age_between_its_floors() {
        let e = env();
        let p = params();
        let pledge = TokenAmount::from_flw(1_000_000);
        let power = 1 << 10;
        // Fault fee of 1 KiB: 10 · 2880 · 3.51 / 1024 = 98.71875 FLW; 1.05 × = 103.6546875.
        let ff = fault_fee(&e, &p, power).unwrap();
        assert_eq!(ff, TokenAmount::from_atto(98_718_750_000_000_000_000));
        // Young: the 2 % floor (20,000 FLW) wins.
        assert_eq!(
            termination_fee(&e, &p, power, pledge, 0),
            Some(TokenAmount::from_flw(20_000))
        );
        // Half the ramp: 8.5 % / 2 = 42,500 FLW.
        let half = 70 * 2880;
        assert_eq!(
            termination_fee(&e, &p, power, pledge, half),
            Some(TokenAmount::from_flw(42_500))
        );
        // Past the ramp: 8.5 %.
        assert_eq!(
            termination_fee(&e, &p, power, pledge, 10 * half),
            Some(TokenAmount::from_flw(85_000))
        );
        // No pledge (a genesis sector): 1.05 × the fault fee.
        assert_eq!(
            termination_fee(&e, &p, power, TokenAmount::ZERO, 0),
            Some(TokenAmount::from_atto(103_654_687_500_000_000_000))
        );
    }
}
