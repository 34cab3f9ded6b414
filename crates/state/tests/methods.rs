//! Actor methods and block rewards on a genesis-like state holding the whole 310,000,000 FLW:
//! vesting `Withdraw` through message application (month boundaries, refusals, gas and nonce
//! on failure), and [`award_block_reward`] (exact shares, minted totals, the pool's cap).
//! Every test checks the sum of all balances stays the total supply.

mod common;

use common::{Tree, add_account, balance, key_address, nonce, total_balance};
use flowcoin_dag::store::MemoryBlockstore;
use flowcoin_state::actor::{
    ActorCode, ActorId, ActorState, METHOD_WITHDRAW, REWARD_ACTOR_ID, RewardError, RewardState,
    VestingState, WithdrawParams, award_block_reward,
};
use flowcoin_state::apply::{ApplyContext, ApplyRet, Outcome, apply_message};
use flowcoin_state::gas::GasSchedule;
use flowcoin_state::receipt::ExitCode;
use flowcoin_state::state_tree::StateTree;
use flowcoin_types::economics::{EpochDuration, GenesisAllocation, RewardSchedule};
use flowcoin_types::message::to_cbor;
use flowcoin_types::{Address, Message, NetworkParams, TokenAmount};

const BASE_FEE: u128 = 100;
const FEE_CAP: u128 = 150;
const GAS_LIMIT: u64 = 3_000_000;
/// What the team account gets at genesis (taken from the premine) to pay for gas.
const TEAM_GAS_MONEY: TokenAmount = TokenAmount::from_flw(10);

fn flw(n: u64) -> TokenAmount {
    TokenAmount::from_flw(n)
}

/// A state shaped like genesis: the reward pool, a premine account, one account holding the
/// super nodes' allocation, the team account (beneficiary) and the team vesting actor.
struct Genesis {
    tree: Tree,
    premine: ActorId,
    team: ActorId,
    vesting: ActorId,
    producer: ActorId,
    params: NetworkParams,
    gas: GasSchedule,
}

impl Genesis {
    fn new(epoch: EpochDuration) -> Self {
        let mut tree = StateTree::with_singletons(MemoryBlockstore::new(), "test").unwrap();
        let reward_head = tree.put_state(&RewardState::new(epoch)).unwrap();
        let mut reward = tree.get_actor(REWARD_ACTOR_ID).unwrap().unwrap();
        reward.head = reward_head;
        reward.balance = GenesisAllocation::MINING_POOL;
        tree.set_actor(REWARD_ACTOR_ID, reward).unwrap();

        let premine = GenesisAllocation::PREMINE
            .checked_sub(TEAM_GAS_MONEY)
            .unwrap();
        let premine = add_account(&mut tree, key_address(1), premine);
        let team = add_account(&mut tree, key_address(2), TEAM_GAS_MONEY);
        add_account(&mut tree, key_address(3), GenesisAllocation::SUPER_NODES);
        let producer = add_account(&mut tree, key_address(4), TokenAmount::ZERO);

        let vesting = tree
            .register_new_address(&Address::new_actor(b"team vesting"))
            .unwrap();
        let head = tree
            .put_state(&VestingState {
                beneficiary: Address::Id(team),
                total: GenesisAllocation::TEAM,
                start_epoch: 0,
                epoch_duration_secs: epoch.secs(),
                withdrawn: TokenAmount::ZERO,
            })
            .unwrap();
        let mut actor = ActorState::new(ActorCode::Vesting, head);
        actor.balance = GenesisAllocation::TEAM;
        tree.set_actor(vesting, actor).unwrap();
        tree.flush().unwrap();

        let genesis = Self {
            tree,
            premine,
            team,
            vesting,
            producer,
            params: NetworkParams::devnet(),
            gas: GasSchedule::default(),
        };
        genesis.assert_total_supply();
        genesis
    }

    fn assert_total_supply(&self) {
        assert_eq!(total_balance(&self.tree), TokenAmount::TOTAL_SUPPLY);
    }

    fn vesting_state(&self) -> VestingState {
        let actor = self.tree.get_actor(self.vesting).unwrap().unwrap();
        self.tree.get_state("vesting", &actor.head).unwrap()
    }

    /// A message from key `from` to the vesting actor calling `method` with `params`.
    fn call(&self, from: u8, method: u64, params: Vec<u8>) -> Message {
        let sender = self.tree.lookup_id(&key_address(from)).unwrap().unwrap();
        Message {
            from: key_address(from),
            to: Address::Id(self.vesting),
            nonce: nonce(&self.tree, sender),
            gas_limit: GAS_LIMIT,
            gas_fee_cap: TokenAmount::from_atto(FEE_CAP),
            gas_premium: TokenAmount::from_atto(10),
            method,
            params,
            ..Message::default()
        }
    }

    fn withdraw(&self, from: u8, amount: TokenAmount) -> Message {
        let params = to_cbor("params", &WithdrawParams { amount }).unwrap();
        self.call(from, METHOD_WITHDRAW, params)
    }

    /// Applies `m` at `epoch`, checking the supply is conserved and the message was applied.
    fn apply(&mut self, m: &Message, epoch: u64) -> ApplyRet {
        let ctx = ApplyContext {
            epoch,
            base_fee: TokenAmount::from_atto(BASE_FEE),
            block_producer: self.producer,
            params: &self.params,
            gas: &self.gas,
            randomness: &flowcoin_crypto::randomness::NoRandomness,
            circulating_supply: TokenAmount::ZERO,
        };
        let ret = apply_message(&mut self.tree, m, &ctx).unwrap();
        assert_eq!(ret.outcome, Outcome::Applied);
        self.assert_total_supply();
        ret
    }

    /// The gas of a `Withdraw` call: dispatch, lookup and the state read, plus the writes if
    /// it moves tokens.
    fn withdraw_gas(&self, m: &Message, moves_tokens: bool) -> u64 {
        let g = &self.gas;
        let base = g.on_chain_message(m.to_cbor().unwrap().len()).unwrap()
            + g.send_base
            + 2 * g.actor_lookup;
        if moves_tokens {
            base + g.transfer_funds + 2 * g.actor_update
        } else {
            base
        }
    }

    /// Applies a call that must fail with `code` after validation: the sender pays exactly
    /// its gas and its nonce goes up, the vesting actor does not change.
    fn apply_failing(&mut self, m: &Message, epoch: u64, code: ExitCode, gas: u64) -> ApplyRet {
        let sender = self.tree.lookup_id(&m.from).unwrap().unwrap();
        let before_balance = balance(&self.tree, sender);
        let before_nonce = nonce(&self.tree, sender);
        let before_vesting = self.tree.get_actor(self.vesting).unwrap();
        let ret = self.apply(m, epoch);
        assert_eq!(ret.receipt.exit_code, code);
        assert_eq!(ret.receipt.gas_used, gas);
        assert_eq!(
            balance(&self.tree, sender),
            before_balance
                .checked_sub(ret.gas.sender_cost().unwrap())
                .unwrap()
        );
        assert_eq!(nonce(&self.tree, sender), before_nonce + 1);
        assert_eq!(self.tree.get_actor(self.vesting).unwrap(), before_vesting);
        ret
    }

    /// Applies a withdrawal that must succeed: the team gets `amount` minus its gas.
    fn withdraw_ok(&mut self, amount: TokenAmount, epoch: u64) {
        let m = self.withdraw(2, amount);
        let team_before = balance(&self.tree, self.team);
        let vesting_before = balance(&self.tree, self.vesting);
        let withdrawn_before = self.vesting_state().withdrawn;
        let ret = self.apply(&m, epoch);
        assert_eq!(
            ret.receipt.exit_code,
            ExitCode::OK,
            "{:?}",
            ret.failure_reason
        );
        assert_eq!(
            ret.receipt.gas_used,
            self.withdraw_gas(&m, !amount.is_zero())
        );
        let cost = ret.gas.sender_cost().unwrap();
        assert_eq!(
            balance(&self.tree, self.team),
            team_before
                .checked_add(amount)
                .unwrap()
                .checked_sub(cost)
                .unwrap()
        );
        assert_eq!(
            balance(&self.tree, self.vesting),
            vesting_before.checked_sub(amount).unwrap()
        );
        assert_eq!(
            self.vesting_state().withdrawn,
            withdrawn_before.checked_add(amount).unwrap()
        );
    }
}

const MONTH: u64 = 86_400;
const RELEASE: TokenAmount = GenesisAllocation::TEAM_MONTHLY_RELEASE;

#[test]
fn withdraw_follows_the_month_boundaries() {
    let mut g = Genesis::new(EpochDuration::MAINNET);

    // One epoch before the first boundary nothing has vested.
    let m = g.withdraw(2, TokenAmount::from_atto(1));
    let gas = g.withdraw_gas(&m, false);
    let ret = g.apply_failing(&m, MONTH - 1, ExitCode::ERR_INSUFFICIENT_FUNDS, gas);
    assert!(ret.failure_reason.unwrap().contains("only 0 FLW"));

    // At the boundary exactly 155,000 FLW, and not one attoFLW more.
    g.withdraw_ok(flw(155_000), MONTH);
    let m = g.withdraw(2, TokenAmount::from_atto(1));
    let gas = g.withdraw_gas(&m, false);
    g.apply_failing(&m, MONTH, ExitCode::ERR_INSUFFICIENT_FUNDS, gas);

    // Three months in, the two further releases are cumulative; withdraw them in two steps.
    g.withdraw_ok(flw(100_000), 3 * MONTH);
    g.withdraw_ok(flw(210_000), 3 * MONTH + 5);
    assert_eq!(g.vesting_state().withdrawn, RELEASE.checked_mul(3).unwrap());
    let m = g.withdraw(2, TokenAmount::from_atto(1));
    let gas = g.withdraw_gas(&m, false);
    g.apply_failing(&m, 4 * MONTH - 1, ExitCode::ERR_INSUFFICIENT_FUNDS, gas);

    // Asking for more than unlocked in one go is refused whole, then a zero withdrawal is a
    // successful no-op.
    let m = g.withdraw(2, RELEASE.checked_mul(2).unwrap());
    let gas = g.withdraw_gas(&m, false);
    g.apply_failing(&m, 4 * MONTH, ExitCode::ERR_INSUFFICIENT_FUNDS, gas);
    g.withdraw_ok(TokenAmount::ZERO, 4 * MONTH);

    // After the last month everything can be withdrawn, leaving the vesting actor empty.
    let rest = GenesisAllocation::TEAM
        .checked_sub(RELEASE.checked_mul(3).unwrap())
        .unwrap();
    g.withdraw_ok(rest, 100 * MONTH);
    assert_eq!(balance(&g.tree, g.vesting), TokenAmount::ZERO);
}

#[test]
fn only_the_beneficiary_may_withdraw() {
    let mut g = Genesis::new(EpochDuration::MAINNET);
    let m = g.withdraw(1, flw(1));
    let gas = g.withdraw_gas(&m, false);
    let ret = g.apply_failing(&m, 10 * MONTH, ExitCode::ERR_FORBIDDEN, gas);
    assert!(ret.failure_reason.unwrap().contains("beneficiary"));
    assert_eq!(g.vesting_state().withdrawn, TokenAmount::ZERO);
    // The premine account got nothing but paid its gas.
    assert!(balance(&g.tree, g.premine) < GenesisAllocation::PREMINE);
}

#[test]
fn bad_params_and_unknown_methods_fail_with_gas_charged() {
    let mut g = Genesis::new(EpochDuration::MAINNET);
    for params in [Vec::new(), vec![0xff], vec![0x80], vec![0x81, 0x01]] {
        let m = g.call(2, METHOD_WITHDRAW, params);
        let gas = g.withdraw_gas(&m, false);
        let ret = g.apply_failing(&m, MONTH, ExitCode::ERR_ILLEGAL_ARGUMENT, gas);
        assert!(ret.failure_reason.unwrap().contains("[amount]"));
    }
    // A method the vesting actor does not define, and Withdraw sent to an account.
    let m = g.call(2, 3, Vec::new());
    let g_ = &g.gas;
    let gas =
        g_.on_chain_message(m.to_cbor().unwrap().len()).unwrap() + g_.send_base + g_.actor_lookup;
    let ret = g.apply_failing(&m, MONTH, ExitCode::SYS_INVALID_METHOD, gas);
    assert_eq!(ret.failure_reason, None);
    let mut m = g.withdraw(2, flw(1));
    m.to = key_address(1);
    let g_ = &g.gas;
    let gas =
        g_.on_chain_message(m.to_cbor().unwrap().len()).unwrap() + g_.send_base + g_.actor_lookup;
    g.apply_failing(&m, MONTH, ExitCode::SYS_INVALID_METHOD, gas);
}

#[test]
fn withdraw_out_of_gas_moves_nothing() {
    let mut g = Genesis::new(EpochDuration::MAINNET);
    let mut m = g.withdraw(2, flw(1));
    // Enough for the dispatch and the state read, not for the writes.
    m.gas_limit = g.withdraw_gas(&m, false);
    let limit = m.gas_limit;
    g.apply_failing(&m, MONTH, ExitCode::SYS_OUT_OF_GAS, limit);
}

#[test]
fn withdraw_with_a_value_keeps_the_value_in_the_vesting_actor() {
    let mut g = Genesis::new(EpochDuration::MAINNET);
    let mut m = g.withdraw(2, flw(155_000));
    m.value = flw(1);
    let ret = g.apply(&m, MONTH);
    assert_eq!(ret.receipt.exit_code, ExitCode::OK);
    assert_eq!(
        balance(&g.tree, g.vesting),
        GenesisAllocation::TEAM
            .checked_sub(flw(155_000))
            .and_then(|b| b.checked_add(flw(1)))
            .unwrap()
    );
}

fn reward_state(tree: &Tree) -> RewardState {
    let actor = tree.get_actor(REWARD_ACTOR_ID).unwrap().unwrap();
    tree.get_state("reward", &actor.head).unwrap()
}

#[test]
fn one_winner_gets_the_whole_block_reward() {
    let mut g = Genesis::new(EpochDuration::MAINNET);
    let schedule = RewardSchedule::new(EpochDuration::MAINNET);
    let before = balance(&g.tree, g.producer);
    let paid = award_block_reward(&mut g.tree, 1, &[(g.producer, 1)]).unwrap();
    assert_eq!(paid.epoch_reward, schedule.block_reward(1));
    assert_eq!(paid.total_paid, schedule.block_reward(1));
    assert_eq!(paid.payouts, vec![(g.producer, schedule.block_reward(1))]);
    assert_eq!(
        balance(&g.tree, g.producer),
        before.checked_add(schedule.block_reward(1)).unwrap()
    );
    assert_eq!(
        balance(&g.tree, REWARD_ACTOR_ID),
        GenesisAllocation::MINING_POOL
            .checked_sub(schedule.block_reward(1))
            .unwrap()
    );
    assert_eq!(reward_state(&g.tree).total_minted, schedule.block_reward(1));
    g.assert_total_supply();
}

#[test]
fn three_winners_share_pro_rata_and_the_dust_stays_in_the_pool() {
    let mut g = Genesis::new(EpochDuration::MAINNET);
    let reward = RewardSchedule::new(EpochDuration::MAINNET).block_reward(7);
    // 25.803843226788432267 FLW.
    assert_eq!(reward.atto(), 25_803_843_226_788_432_267);
    let winners = [(g.premine, 1), (g.team, 2), (g.producer, 3)];
    let before: Vec<_> = winners
        .iter()
        .map(|&(id, _)| balance(&g.tree, id))
        .collect();
    let paid = award_block_reward(&mut g.tree, 7, &winners).unwrap();
    // floor(r/6), floor(2r/6), floor(3r/6), exactly.
    let expected = [
        4_300_640_537_798_072_044u128,
        8_601_281_075_596_144_089,
        12_901_921_613_394_216_133,
    ];
    for (i, &(id, _)) in winners.iter().enumerate() {
        assert_eq!(paid.payouts[i], (id, TokenAmount::from_atto(expected[i])));
        assert_eq!(
            balance(&g.tree, id),
            before[i]
                .checked_add(TokenAmount::from_atto(expected[i]))
                .unwrap()
        );
    }
    let total: u128 = expected.iter().sum();
    assert_eq!(paid.total_paid.atto(), total);
    assert_eq!(reward.atto() - total, 1, "one attoFLW of dust");
    assert_eq!(reward_state(&g.tree).total_minted.atto(), total);
    assert_eq!(
        balance(&g.tree, REWARD_ACTOR_ID).atto(),
        GenesisAllocation::MINING_POOL.atto() - total
    );
    g.assert_total_supply();
}

#[test]
fn minted_total_follows_the_schedule_across_halvings() {
    // 10-day epochs: an era is 146 epochs, so 300 epochs cross two halvings.
    let epoch = EpochDuration::from_secs(864_000).unwrap();
    let schedule = RewardSchedule::new(epoch);
    assert_eq!(schedule.epochs_per_era(), 146);
    let mut g = Genesis::new(epoch);
    let mut paid_sum = TokenAmount::ZERO;
    for e in 1..=300 {
        // Epoch 100 is a null round: nothing minted.
        let winners: &[(ActorId, u64)] = if e == 100 { &[] } else { &[(g.producer, 1)] };
        let paid = award_block_reward(&mut g.tree, e, winners).unwrap();
        paid_sum = paid_sum.checked_add(paid.total_paid).unwrap();
    }
    let not_awarded = schedule
        .block_reward(0)
        .checked_add(schedule.block_reward(100))
        .unwrap();
    let expected = schedule
        .total_minted_through(300)
        .checked_sub(not_awarded)
        .unwrap();
    assert_eq!(paid_sum, expected);
    assert_eq!(reward_state(&g.tree).total_minted, expected);
    assert_eq!(balance(&g.tree, g.producer), expected);
    g.assert_total_supply();
}

#[test]
fn no_winners_is_a_no_op_and_bad_winners_change_nothing() {
    let mut g = Genesis::new(EpochDuration::MAINNET);
    let root = g.tree.flush().unwrap();
    let paid = award_block_reward(&mut g.tree, 5, &[]).unwrap();
    assert_eq!(paid.total_paid, TokenAmount::ZERO);
    assert!(paid.payouts.is_empty());
    assert_eq!(g.tree.flush().unwrap(), root);

    let err = award_block_reward(&mut g.tree, 5, &[(g.producer, 1), (g.team, 0)]).unwrap_err();
    assert!(matches!(err, RewardError::ZeroWinCount { id } if id == g.team));
    for bad in [9_999, g.vesting, REWARD_ACTOR_ID] {
        let err = award_block_reward(&mut g.tree, 5, &[(g.producer, 1), (bad, 1)]).unwrap_err();
        assert!(matches!(err, RewardError::InvalidWinner { id } if id == bad));
    }
    let err =
        award_block_reward(&mut g.tree, 5, &[(g.producer, u64::MAX), (g.team, 1)]).unwrap_err();
    assert!(matches!(err, RewardError::WinCountOverflow));
    assert_eq!(g.tree.flush().unwrap(), root);
}

#[test]
fn the_reward_never_exceeds_the_pool() {
    let mut g = Genesis::new(EpochDuration::MAINNET);
    // Move all but 10 attoFLW of the pool to the premine account (keeping the supply).
    let mut reward = g.tree.get_actor(REWARD_ACTOR_ID).unwrap().unwrap();
    let moved = reward
        .balance
        .checked_sub(TokenAmount::from_atto(10))
        .unwrap();
    reward.balance = TokenAmount::from_atto(10);
    g.tree.set_actor(REWARD_ACTOR_ID, reward).unwrap();
    let mut premine = g.tree.get_actor(g.premine).unwrap().unwrap();
    premine.balance = premine.balance.checked_add(moved).unwrap();
    g.tree.set_actor(g.premine, premine).unwrap();
    g.assert_total_supply();

    let paid = award_block_reward(&mut g.tree, 1, &[(g.producer, 1), (g.team, 2)]).unwrap();
    assert_eq!(paid.epoch_reward, TokenAmount::from_atto(10));
    assert_eq!(paid.total_paid, TokenAmount::from_atto(3 + 6));
    assert_eq!(balance(&g.tree, REWARD_ACTOR_ID), TokenAmount::from_atto(1));
    g.assert_total_supply();
}

#[test]
fn a_state_without_a_reward_state_is_an_error() {
    // with_singletons alone: the reward actor's head is a placeholder, not a RewardState.
    let mut tree = StateTree::with_singletons(MemoryBlockstore::new(), "test").unwrap();
    let id = add_account(&mut tree, key_address(1), TokenAmount::ZERO);
    assert!(matches!(
        award_block_reward(&mut tree, 1, &[(id, 1)]),
        Err(RewardError::State(_))
    ));
}
