use proptest::prelude::*;
use proptest::test_runner::RngSeed;

use super::*;

const FLW: u128 = 1_000_000_000_000_000_000;
const POOL_ATTO: u128 = 217_000_000 * FLW;

fn flw(amount: u64) -> TokenAmount {
    TokenAmount::from_flw(amount)
}

fn duration(secs: u64) -> EpochDuration {
    EpochDuration::from_secs(secs).unwrap()
}

/// Independent of `total_minted_through`'s closed form: whole eras summed one by one from the
/// definition, with plain u128 arithmetic.
fn minted_by_end_of_era(era_count: u64, epochs_per_era: u64) -> u128 {
    (0..era_count)
        .map(|era| {
            let era_total = POOL_ATTO.checked_shr(era as u32 + 1).unwrap_or(0);
            era_total / u128::from(epochs_per_era) * u128::from(epochs_per_era)
        })
        .sum()
}

#[test]
fn allocation_adds_up_to_the_total_supply() {
    assert_eq!(genesis_total(), flw(93_000_000));
    assert_eq!(
        genesis_total().checked_add(GenesisAllocation::MINING_POOL),
        Some(TokenAmount::TOTAL_SUPPLY)
    );
    assert_eq!(
        GenesisAllocation::PER_SUPER_NODE
            .checked_mul(u128::from(GenesisAllocation::SUPER_NODE_COUNT)),
        Some(GenesisAllocation::SUPER_NODES)
    );
    assert_eq!(
        GenesisAllocation::TEAM_MONTHLY_RELEASE
            .checked_mul(u128::from(GenesisAllocation::TEAM_VESTING_MONTHS)),
        Some(GenesisAllocation::TEAM)
    );
    // 1 % of the team pool per month.
    assert_eq!(
        GenesisAllocation::TEAM.checked_div(100),
        Some(GenesisAllocation::TEAM_MONTHLY_RELEASE)
    );
}

#[test]
fn epoch_lengths() {
    assert_eq!(EpochDuration::MAINNET.secs(), 30);
    assert_eq!(epochs_per_era(30), Ok(4_204_800));
    assert_eq!(EpochDuration::MAINNET.epochs_per_month(), 86_400);
    assert_eq!(epochs_per_era(1), Ok(126_144_000));
    assert_eq!(epochs_per_era(864_000), Ok(146));
    assert_eq!(epochs_per_era(0), Err(EpochDurationError::Zero));
    for bad in [7, 11, 864_001, 2_592_000, u64::MAX] {
        assert_eq!(
            epochs_per_era(bad),
            Err(EpochDurationError::NotADivisor { secs: bad })
        );
    }
    // Divides the era (126,144,000 = 4 · 365 · 86,400) but not the 30-day month.
    assert_eq!(SECONDS_PER_ERA % 73, 0);
    assert!(EpochDuration::from_secs(73).is_err());
    let message = EpochDuration::from_secs(7).unwrap_err().to_string();
    assert!(message.contains("7 s does not divide"), "{message}");
}

#[test]
fn first_era_at_30_seconds() {
    let schedule = RewardSchedule::new(EpochDuration::MAINNET);
    assert_eq!(RewardSchedule::era_total(0), flw(108_500_000));
    // floor(108,500,000 · 10^18 / 4,204,800).
    let per_epoch = TokenAmount::from_atto(25_803_843_226_788_432_267);
    assert_eq!(per_epoch.atto(), 108_500_000 * FLW / 4_204_800);
    assert_eq!(schedule.block_reward(0), per_epoch);
    assert_eq!(schedule.block_reward(4_204_799), per_epoch);
    assert_eq!(per_epoch.to_string(), "25.803843226788432267 FLW");
    // Era 1 pays half (floored again).
    assert_eq!(schedule.era_of(4_204_800), 1);
    assert_eq!(
        schedule.block_reward(4_204_800).atto(),
        54_250_000 * FLW / 4_204_800
    );
    assert_eq!(schedule.total_minted_through(0), per_epoch);
    assert_eq!(
        schedule.total_minted_through(9),
        per_epoch.checked_mul(10).unwrap()
    );
}

#[test]
fn era_totals_halve_until_zero() {
    assert_eq!(RewardSchedule::era_total(1).atto(), POOL_ATTO / 4);
    assert!(!RewardSchedule::era_total(86).is_zero());
    assert!(RewardSchedule::era_total(87).is_zero());
    assert!(RewardSchedule::era_total(126).is_zero());
    assert!(RewardSchedule::era_total(127).is_zero());
    assert!(RewardSchedule::era_total(u64::MAX).is_zero());
}

#[test]
fn totals_at_era_boundaries_match_the_sum_of_eras() {
    for secs in [1, 30, 864_000] {
        let schedule = RewardSchedule::new(duration(secs));
        let epochs = schedule.epochs_per_era();
        for era in 1..=90u64 {
            let last_epoch_of_previous = era * epochs - 1;
            assert_eq!(
                schedule.total_minted_through(last_epoch_of_previous).atto(),
                minted_by_end_of_era(era, epochs),
                "{secs} s, end of era {}",
                era - 1
            );
            // One epoch into the next era adds that era's per-epoch reward.
            let first_of_era = era * epochs;
            assert_eq!(
                schedule.total_minted_through(first_of_era).atto(),
                minted_by_end_of_era(era, epochs) + (POOL_ATTO >> (era + 1)) / u128::from(epochs),
            );
        }
    }
}

#[test]
fn total_never_reaches_the_pool_and_dust_is_bounded() {
    for secs in [1, 2, 30, 60, 864_000] {
        let schedule = RewardSchedule::new(duration(secs));
        let epochs = u128::from(schedule.epochs_per_era());
        for last in [i64::MAX as u64, u64::MAX, u64::MAX - 1] {
            let total = schedule.total_minted_through(last);
            assert!(total < GenesisAllocation::MINING_POOL, "{secs} s");
            let dust = POOL_ATTO - total.atto();
            // Per-epoch flooring loses < epochs_per_era in each of the 87 eras that pay
            // anything; halving with floors loses popcount(pool) = 37 attoFLW more.
            assert_eq!(POOL_ATTO.count_ones(), 37);
            assert!(dust < 87 * epochs + 37, "{secs} s: dust {dust}");
            assert_eq!(
                total.atto(),
                minted_by_end_of_era(128, schedule.epochs_per_era())
            );
        }
    }
    // At 30 s the dust is a few hundredths of a microFLW.
    let mainnet = RewardSchedule::new(EpochDuration::MAINNET);
    let dust =
        GenesisAllocation::MINING_POOL.saturating_sub(mainnet.total_minted_through(u64::MAX));
    assert!(dust < "0.001 milliFLW".parse().unwrap(), "{dust}");
}

#[test]
fn winners_share_pro_rata() {
    let reward = RewardSchedule::new(EpochDuration::MAINNET).block_reward(0);
    let wins = [1u64, 1, 3];
    let shares: Vec<_> = wins
        .iter()
        .map(|&count| reward_for_winner(reward, count, 5).unwrap())
        .collect();
    assert_eq!(shares[0].atto(), reward.atto() / 5);
    assert_eq!(shares[2].atto(), reward.atto() * 3 / 5);
    let paid = TokenAmount::checked_sum(shares).unwrap();
    assert!(paid <= reward);
    assert!(reward.atto() - paid.atto() < 3);
    assert_eq!(reward_for_winner(reward, 5, 5), Ok(reward));
    assert_eq!(reward_for_winner(reward, 0, 5), Ok(TokenAmount::ZERO));
    assert_eq!(
        reward_for_winner(reward, 1, 0),
        Err(RewardSplitError::NoWins)
    );
    assert_eq!(
        reward_for_winner(reward, 6, 5),
        Err(RewardSplitError::WinCountExceedsTotal {
            win_count: 6,
            total_wins: 5
        })
    );
    assert_eq!(
        reward_for_winner(TokenAmount::TOTAL_SUPPLY, u64::MAX - 1, u64::MAX)
            .unwrap()
            .atto(),
        TokenAmount::TOTAL_SUPPLY.atto()
            - TokenAmount::TOTAL_SUPPLY.atto() / u128::from(u64::MAX)
            - 1
    );
}

#[test]
fn team_vesting_steps_at_month_boundaries() {
    let vesting = TeamVesting::new(EpochDuration::MAINNET);
    let month = vesting.epochs_per_month();
    assert_eq!(month, 86_400);
    assert_eq!(vesting.vested_at(0), TokenAmount::ZERO);
    assert_eq!(vesting.locked_at(0), GenesisAllocation::TEAM);
    for m in 1..=100u64 {
        assert_eq!(
            vesting.vested_at(m * month - 1),
            flw(155_000 * (m - 1)),
            "month {m}"
        );
        assert_eq!(vesting.vested_at(m * month), flw(155_000 * m), "month {m}");
        assert_eq!(
            vesting.locked_at(m * month),
            flw(15_500_000 - 155_000 * m),
            "month {m}"
        );
    }
    for epoch in [101 * month, 1_000 * month, u64::MAX] {
        assert_eq!(vesting.vested_at(epoch), GenesisAllocation::TEAM);
        assert_eq!(vesting.locked_at(epoch), TokenAmount::ZERO);
        assert_eq!(vesting.months_vested(epoch), 100);
    }
    // Devnet: 1 s epochs make a month 2,592,000 epochs.
    let devnet = TeamVesting::new(duration(1));
    assert_eq!(devnet.vested_at(2_592_000), flw(155_000));
    assert_eq!(devnet.vested_at(2_591_999), TokenAmount::ZERO);
}

#[test]
fn circulating_supply_at_a_few_epochs() {
    let vesting = TeamVesting::new(EpochDuration::MAINNET);
    let schedule = RewardSchedule::new(EpochDuration::MAINNET);
    let zero = TokenAmount::ZERO;
    // Genesis: premine and super nodes only.
    assert_eq!(
        circulating_supply(&vesting, 0, zero, zero, zero),
        Ok(flw(77_500_000))
    );
    // One month in, every epoch won: + 155,000 team + 86,400 epochs of reward (epochs 1 ..=
    // 86,400; genesis mints nothing).
    let month = 86_400;
    let minted = schedule
        .total_minted_through(month)
        .checked_sub(schedule.block_reward(0))
        .unwrap();
    let burnt = flw(1_000);
    let locked = flw(50_000);
    let expected = 77_500_000 * FLW + 155_000 * FLW + minted.atto() - 1_000 * FLW - 50_000 * FLW;
    assert_eq!(
        circulating_supply(&vesting, month, minted, burnt, locked).map(TokenAmount::atto),
        Ok(expected)
    );
    // After everything vested and the whole pool minted, nothing burnt or locked: the total.
    assert_eq!(
        circulating_supply(
            &vesting,
            u64::MAX,
            GenesisAllocation::MINING_POOL,
            zero,
            zero
        ),
        Ok(TokenAmount::TOTAL_SUPPLY)
    );
}

#[test]
fn circulating_supply_rejects_inconsistent_state() {
    let vesting = TeamVesting::new(EpochDuration::MAINNET);
    let zero = TokenAmount::ZERO;
    let too_much = GenesisAllocation::MINING_POOL
        .checked_add(TokenAmount::from_atto(1))
        .unwrap();
    assert_eq!(
        circulating_supply(&vesting, 0, too_much, zero, zero),
        Err(SupplyError::MintedExceedsPool { minted: too_much })
    );
    let err = circulating_supply(&vesting, 0, zero, flw(77_000_000), flw(600_000)).unwrap_err();
    assert!(matches!(err, SupplyError::RemovedExceedsIssued { .. }));
    assert_eq!(
        err.to_string(),
        "burnt 77000000 FLW plus locked 600000 FLW exceed the 77500000 FLW issued"
    );
    assert!(matches!(
        circulating_supply(&vesting, 0, zero, TokenAmount::MAX, TokenAmount::MAX),
        Err(SupplyError::RemovedExceedsIssued { .. })
    ));
}

proptest! {
    #![proptest_config(ProptestConfig {
        rng_seed: RngSeed::Fixed(0x0ec0_2017),
        ..ProptestConfig::default()
    })]

    #[test]
    fn each_epoch_adds_its_block_reward(
        secs in prop::sample::select(vec![1u64, 2, 30, 60, 864_000]),
        epoch in 1u64..,
    ) {
        let schedule = RewardSchedule::new(duration(secs));
        let before = schedule.total_minted_through(epoch - 1);
        let after = schedule.total_minted_through(epoch);
        prop_assert_eq!(after.checked_sub(before), Some(schedule.block_reward(epoch)));
        prop_assert!(after < GenesisAllocation::MINING_POOL);
    }

    #[test]
    fn epochs_near_era_boundaries_add_their_reward(
        era in 0u64..100,
        offset in 0u64..3,
    ) {
        let schedule = RewardSchedule::new(EpochDuration::MAINNET);
        let epoch = (era + 1) * schedule.epochs_per_era() - 1 + offset;
        let before = schedule.total_minted_through(epoch - 1);
        let after = schedule.total_minted_through(epoch);
        prop_assert_eq!(after.checked_sub(before), Some(schedule.block_reward(epoch)));
    }

    #[test]
    fn vesting_is_monotonic_and_sums_to_the_pool(epoch in any::<u64>()) {
        let vesting = TeamVesting::new(EpochDuration::MAINNET);
        let vested = vesting.vested_at(epoch);
        prop_assert!(vesting.vested_at(epoch.saturating_add(1)) >= vested);
        prop_assert_eq!(vested.checked_add(vesting.locked_at(epoch)), Some(GenesisAllocation::TEAM));
    }
}
