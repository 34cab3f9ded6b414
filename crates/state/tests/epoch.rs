//! Applying a whole tipset: null rounds run deadline processing, a message in two blocks is
//! applied once, tips go to each block's producer, the epoch reward is shared by win count.

mod common;

use common::{add_account, balance, key_address, total_balance, tree_with_reward_pool};
use flowcoin_crypto::randomness::NoRandomness;
use flowcoin_state::actor::miner::{self, GenesisMiner, GenesisSector};
use flowcoin_state::actor::power::power_state;
use flowcoin_state::apply::Outcome;
use flowcoin_state::epoch::{BlockMessages, EpochError, EpochInput, apply_epoch};
use flowcoin_state::gas::GasSchedule;
use flowcoin_state::receipt::ExitCode;
use flowcoin_types::economics::RewardSchedule;
use flowcoin_types::{Address, Message, NetworkParams, SectorSize, StoragePower, TokenAmount};

#[test]
fn a_tipset_applies_messages_once_pays_rewards_and_runs_null_round_deadlines() {
    let params = NetworkParams::devnet();
    let gas = GasSchedule::default();
    let mut tree = tree_with_reward_pool(&params);
    let alice = add_account(&mut tree, key_address(1), TokenAmount::from_flw(100));
    add_account(
        &mut tree,
        Address::from_bls_public_key([9; 48]),
        TokenAmount::ZERO,
    );
    let miner_a = miner::create_genesis_miner(
        &mut tree,
        &params,
        &GenesisMiner {
            owner: key_address(1),
            worker: Address::from_bls_public_key([9; 48]),
            sector_size: SectorSize::Size2KiB,
            peer_id: Vec::new(),
            seed: b"a".to_vec(),
            sectors: vec![GenesisSector {
                sector_number: 0,
                comm_r: [1; 32],
                comm_d: [2; 32],
                expiration: 10_000,
            }],
        },
    )
    .unwrap();
    let miner_b = miner::create_genesis_miner(
        &mut tree,
        &params,
        &GenesisMiner {
            owner: key_address(1),
            worker: Address::from_bls_public_key([9; 48]),
            sector_size: SectorSize::Size2KiB,
            peer_id: Vec::new(),
            seed: b"b".to_vec(),
            sectors: Vec::new(),
        },
    )
    .unwrap();
    let total = total_balance(&tree);

    let send = |nonce: u64| Message {
        from: key_address(1),
        to: key_address(2),
        nonce,
        value: TokenAmount::ONE_FLW,
        gas_limit: 3_000_000,
        gas_fee_cap: TokenAmount::from_atto(300_000_000),
        gas_premium: TokenAmount::from_atto(1_000),
        ..Message::default()
    };
    let (m0, m1) = (send(0), send(1));
    let block_a = [m0.clone(), m1.clone()];
    let block_b = [m1.clone()];
    let blocks = [
        BlockMessages {
            producer: miner_a,
            win_count: 2,
            messages: &block_a,
        },
        BlockMessages {
            producer: miner_b,
            win_count: 1,
            messages: &block_b,
        },
    ];
    // Parent at epoch 0; epochs 1..=9 are null rounds, and 9 ends the first window.
    let input = EpochInput {
        parent_epoch: 0,
        epoch: 10,
        base_fee: params.initial_base_fee,
        blocks: &blocks,
        params: &params,
        gas: &gas,
        randomness: &NoRandomness,
        circulating_supply: TokenAmount::from_flw(1_000_000),
    };
    let out = apply_epoch(&mut tree, &input).unwrap();
    assert_eq!(out.receipts.len(), 2, "m1 is applied once");
    for (cid, ret) in &out.receipts {
        assert_eq!(ret.outcome, Outcome::Applied);
        assert_eq!(ret.receipt.exit_code, ExitCode::OK);
        assert!(*cid == m0.cid().unwrap() || *cid == m1.cid().unwrap());
    }
    assert_eq!(tree.get_actor(alice).unwrap().unwrap().nonce, 2);
    // Both tips went to miner A, whose block carried both messages first.
    let tips: TokenAmount = out
        .receipts
        .iter()
        .map(|(_, r)| r.gas.miner_tip)
        .fold(TokenAmount::ZERO, |a, b| a.checked_add(b).unwrap());
    let epoch_reward = RewardSchedule::new(params.epoch_duration).block_reward(10);
    let share_a = epoch_reward.mul_div_floor(2, 3).unwrap();
    let share_b = epoch_reward.mul_div_floor(1, 3).unwrap();
    assert_eq!(out.reward.payouts, [(miner_a, share_a), (miner_b, share_b)]);
    assert_eq!(balance(&tree, miner_a), share_a.checked_add(tips).unwrap());
    assert_eq!(balance(&tree, miner_b), share_b);
    // The null round 9 closed a deadline of both miners: miner A's unproven sector is faulty
    // if its deadline was the one closing.
    assert_eq!(
        out.deadlines.iter().filter(|r| r.miner == miner_a).count(),
        1
    );
    let faulted = out.deadlines.iter().any(|r| !r.detected_faults.is_empty());
    let power = power_state(&tree).unwrap().total_raw_power;
    assert_eq!(power.is_zero(), faulted);
    assert!(power == StoragePower::ZERO || power == StoragePower::from_bytes(2048));
    // Rewards come out of the pool: the sum of all balances is unchanged.
    assert_eq!(total_balance(&tree), total);
    assert_eq!(
        out.gas_used,
        out.receipts
            .iter()
            .map(|(_, r)| r.receipt.gas_used)
            .sum::<u64>()
    );

    // An epoch not after its parent is refused.
    let again = EpochInput {
        parent_epoch: 10,
        epoch: 10,
        ..input
    };
    assert!(matches!(
        apply_epoch(&mut tree, &again),
        Err(EpochError::NotAfterParent { .. })
    ));
}
