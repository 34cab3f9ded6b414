//! Message application: the exact fee split of a transfer, and every failure path with its
//! exit code and the balance changes it is allowed. Every test checks that the sum of all
//! balances (burnt funds included) is unchanged.

mod common;

use common::{Tree, add_account, balance, key_address, nonce, total_balance};
use flowcoin_dag::store::MemoryBlockstore;
use flowcoin_state::actor::{ActorId, BURNT_FUNDS_ACTOR_ID, INIT_ACTOR_ID};
use flowcoin_state::apply::{
    ApplyContext, ApplyError, ApplyRet, Outcome, Rejection, apply_message,
};
use flowcoin_state::gas::GasSchedule;
use flowcoin_state::receipt::ExitCode;
use flowcoin_state::state_tree::StateTree;
use flowcoin_types::{Address, Message, NetworkParams, TokenAmount};
use proptest::prelude::*;
use proptest::test_runner::RngSeed;

const BASE_FEE: u128 = 100;
const FEE_CAP: u128 = 150;
const PREMIUM: u128 = 20;

fn atto(a: u128) -> TokenAmount {
    TokenAmount::from_atto(a)
}

struct Fixture {
    tree: Tree,
    alice: ActorId,
    bob: ActorId,
    producer: ActorId,
    params: NetworkParams,
    gas: GasSchedule,
}

impl Fixture {
    fn new() -> Self {
        let mut tree = StateTree::with_singletons(MemoryBlockstore::new(), "test").unwrap();
        let alice = add_account(&mut tree, key_address(1), TokenAmount::from_flw(1000));
        let bob = add_account(&mut tree, key_address(2), TokenAmount::from_flw(5));
        let producer = add_account(&mut tree, key_address(3), TokenAmount::ZERO);
        tree.flush().unwrap();
        Self {
            tree,
            alice,
            bob,
            producer,
            params: NetworkParams::devnet(),
            gas: GasSchedule::default(),
        }
    }

    fn ctx(&self) -> ApplyContext<'_> {
        ApplyContext {
            epoch: 10,
            base_fee: atto(BASE_FEE),
            block_producer: self.producer,
            params: &self.params,
            gas: &self.gas,
            randomness: &flowcoin_crypto::randomness::NoRandomness,
            circulating_supply: TokenAmount::ZERO,
        }
    }

    /// A transfer of `value` from alice to `to` with a gas limit that fits it exactly.
    fn transfer(&self, to: Address, value: TokenAmount) -> Message {
        let mut m = Message {
            from: key_address(1),
            to,
            nonce: nonce(&self.tree, self.alice),
            value,
            // Same encoded size as the real limit (CBOR uint of 5 bytes), so measuring the
            // message below gives its final length.
            gas_limit: 1 << 20,
            gas_fee_cap: atto(FEE_CAP),
            gas_premium: atto(PREMIUM),
            ..Message::default()
        };
        m.gas_limit = self.transfer_gas(&m);
        m
    }

    /// The gas a successful transfer to an existing actor uses, per the schedule.
    fn transfer_gas(&self, m: &Message) -> u64 {
        let len = m.to_cbor().unwrap().len();
        let g = &self.gas;
        g.on_chain_message(len).unwrap()
            + g.send_base
            + g.actor_lookup
            + g.transfer_funds
            + g.actor_update
    }

    /// Applies `m`, checking the total supply is conserved.
    fn apply(&mut self, m: &Message) -> ApplyRet {
        let before = total_balance(&self.tree);
        let ctx = ApplyContext {
            epoch: 10,
            base_fee: atto(BASE_FEE),
            block_producer: self.producer,
            params: &self.params,
            gas: &self.gas,
            randomness: &flowcoin_crypto::randomness::NoRandomness,
            circulating_supply: TokenAmount::ZERO,
        };
        let ret = apply_message(&mut self.tree, m, &ctx).unwrap();
        assert_eq!(total_balance(&self.tree), before, "balances not conserved");
        ret
    }

    /// Applies a message that must be rejected: the state root must not change.
    fn apply_rejected(&mut self, m: &Message, code: ExitCode) -> Rejection {
        let root = self.tree.flush().unwrap();
        let ret = self.apply(m);
        assert_eq!(ret.receipt.exit_code, code);
        assert_eq!(ret.receipt.gas_used, 0);
        assert_eq!(
            self.tree.flush().unwrap(),
            root,
            "a rejected message changed the state"
        );
        match ret.outcome {
            Outcome::Rejected(r) => r,
            Outcome::Applied => panic!("expected a rejection"),
        }
    }

    /// Applies a message that fails after validation with `code`: checks that alice paid
    /// exactly the gas (burn + tip), nothing moved to the receiver, and her nonce went up.
    fn apply_failed(&mut self, m: &Message, code: ExitCode, expected_gas: u64) -> ApplyRet {
        let (alice, bob) = (
            balance(&self.tree, self.alice),
            balance(&self.tree, self.bob),
        );
        let burnt = balance(&self.tree, BURNT_FUNDS_ACTOR_ID);
        let tipped = balance(&self.tree, self.producer);
        let n = nonce(&self.tree, self.alice);
        let ret = self.apply(m);
        assert_eq!(ret.outcome, Outcome::Applied);
        assert_eq!(ret.receipt.exit_code, code);
        assert_eq!(ret.receipt.gas_used, expected_gas);
        let gas = u128::from(expected_gas);
        let burn = ret.gas.total_burn().unwrap();
        assert_eq!(ret.gas.base_fee_burn, atto(gas * BASE_FEE));
        assert_eq!(ret.gas.miner_tip, atto(gas * PREMIUM));
        assert_eq!(
            balance(&self.tree, self.alice),
            alice.checked_sub(ret.gas.sender_cost().unwrap()).unwrap()
        );
        assert_eq!(balance(&self.tree, self.bob), bob);
        assert_eq!(
            balance(&self.tree, BURNT_FUNDS_ACTOR_ID),
            burnt.checked_add(burn).unwrap()
        );
        assert_eq!(
            balance(&self.tree, self.producer),
            tipped.checked_add(ret.gas.miner_tip).unwrap()
        );
        assert_eq!(nonce(&self.tree, self.alice), n + 1);
        ret
    }
}

#[test]
fn transfer_moves_value_burns_base_fee_tips_producer_and_refunds_the_rest() {
    let mut f = Fixture::new();
    let value = TokenAmount::from_flw(7);
    let m = f.transfer(Address::Id(f.bob), value);
    let gas_used = m.gas_limit;
    let (alice, bob) = (balance(&f.tree, f.alice), balance(&f.tree, f.bob));
    let ret = f.apply(&m);
    assert_eq!(ret.receipt.exit_code, ExitCode::OK);
    assert_eq!(ret.outcome, Outcome::Applied);
    assert_eq!(ret.receipt.gas_used, gas_used);
    let burn = u128::from(gas_used) * BASE_FEE;
    let tip = u128::from(gas_used) * PREMIUM;
    assert_eq!(ret.gas.base_fee_burn, atto(burn));
    assert_eq!(ret.gas.over_estimation_burn, TokenAmount::ZERO);
    assert_eq!(ret.gas.miner_tip, atto(tip));
    // Reserved gas_limit × fee_cap; refunded all but burn and tip.
    assert_eq!(
        ret.gas.refund,
        atto(u128::from(gas_used) * FEE_CAP - burn - tip)
    );
    assert_eq!(
        balance(&f.tree, f.alice),
        alice
            .checked_sub(value)
            .unwrap()
            .checked_sub(atto(burn + tip))
            .unwrap()
    );
    assert_eq!(balance(&f.tree, f.bob), bob.checked_add(value).unwrap());
    assert_eq!(balance(&f.tree, BURNT_FUNDS_ACTOR_ID), atto(burn));
    assert_eq!(balance(&f.tree, f.producer), atto(tip));
    assert_eq!(nonce(&f.tree, f.alice), 1);
    // The next message needs nonce 1.
    let m = f.transfer(Address::Id(f.bob), value);
    assert_eq!(m.nonce, 1);
    assert_eq!(f.apply(&m).receipt.exit_code, ExitCode::OK);
}

#[test]
fn over_estimated_gas_is_partly_burnt() {
    let mut f = Fixture::new();
    let mut m = f.transfer(Address::Id(f.bob), TokenAmount::ONE_FLW);
    let used = m.gas_limit;
    m.gas_limit = used * 3;
    let ret = f.apply(&m);
    assert_eq!(ret.receipt.exit_code, ExitCode::OK);
    assert_eq!(ret.receipt.gas_used, used);
    // Over = min(3u − 1.1u, u) = u: all of the unused 2u is burnt.
    assert_eq!(ret.gas.gas_burned, used * 2);
    assert_eq!(
        ret.gas.over_estimation_burn,
        atto(u128::from(used * 2) * BASE_FEE)
    );
    assert_eq!(
        balance(&f.tree, BURNT_FUNDS_ACTOR_ID),
        ret.gas.total_burn().unwrap()
    );
}

#[test]
fn transfer_to_a_new_key_address_creates_an_account() {
    let mut f = Fixture::new();
    let carol = Address::from_bls_public_key([9; 48]);
    let mut m = f.transfer(carol, TokenAmount::ONE_FLW);
    m.gas_limit += f.gas.create_account;
    let ret = f.apply(&m);
    assert_eq!(ret.receipt.exit_code, ExitCode::OK);
    assert_eq!(ret.receipt.gas_used, m.gas_limit);
    let id = f.tree.lookup_id(&carol).unwrap().unwrap();
    assert_eq!(id, f.producer + 1);
    assert_eq!(balance(&f.tree, id), TokenAmount::ONE_FLW);
    // Sending to it again finds it.
    let m = f.transfer(carol, TokenAmount::ONE_FLW);
    assert_eq!(f.apply(&m).receipt.exit_code, ExitCode::OK);
    assert_eq!(balance(&f.tree, id), TokenAmount::from_flw(2));
    // And it survives a flush and reload.
    let root = f.tree.flush().unwrap();
    let reloaded = StateTree::load(f.tree.into_store(), &root).unwrap();
    assert_eq!(reloaded.lookup_id(&carol).unwrap(), Some(id));
}

#[test]
fn self_transfer_and_producer_as_sender_conserve_balances() {
    let mut f = Fixture::new();
    let m = f.transfer(key_address(1), TokenAmount::ONE_FLW);
    assert_eq!(f.apply(&m).receipt.exit_code, ExitCode::OK);
    f.producer = f.alice;
    let m = f.transfer(Address::Id(f.bob), TokenAmount::ONE_FLW);
    let ret = f.apply(&m);
    assert_eq!(ret.receipt.exit_code, ExitCode::OK);
}

#[test]
fn bad_nonce_is_rejected_without_change() {
    let mut f = Fixture::new();
    let mut m = f.transfer(Address::Id(f.bob), TokenAmount::ONE_FLW);
    m.nonce = 1;
    let r = f.apply_rejected(&m, ExitCode::SYS_SENDER_STATE_INVALID);
    assert_eq!(
        r,
        Rejection::NonceMismatch {
            expected: 0,
            found: 1
        }
    );
}

#[test]
fn insufficient_funds_for_value_charges_gas_only() {
    let mut f = Fixture::new();
    // Alice holds 1000 FLW; the value plus the gas reservation exceeds it.
    let m = f.transfer(Address::Id(f.bob), TokenAmount::from_flw(1000));
    let g = &f.gas;
    let len = m.to_cbor().unwrap().len();
    let expected = g.on_chain_message(len).unwrap() + g.send_base + g.actor_lookup;
    f.apply_failed(&m, ExitCode::SYS_INSUFFICIENT_FUNDS, expected);
}

#[test]
fn unknown_method_on_an_account_fails_and_moves_no_value() {
    let mut f = Fixture::new();
    let mut m = f.transfer(Address::Id(f.bob), TokenAmount::ONE_FLW);
    m.method = 2;
    let expected = f.transfer_gas(&m);
    m.gas_limit = expected;
    f.apply_failed(&m, ExitCode::SYS_INVALID_METHOD, expected);
}

#[test]
fn unknown_receiver_id_or_actor_address_fails() {
    let mut f = Fixture::new();
    for to in [Address::Id(5000), Address::new_actor(b"nobody")] {
        let m = f.transfer(to, TokenAmount::ONE_FLW);
        let g = &f.gas;
        let len = m.to_cbor().unwrap().len();
        let expected = g.on_chain_message(len).unwrap() + g.send_base + g.actor_lookup;
        f.apply_failed(&m, ExitCode::SYS_INVALID_RECEIVER, expected);
        assert_eq!(f.tree.get_actor(5000).unwrap(), None);
    }
}

#[test]
fn out_of_gas_charges_the_whole_limit() {
    let mut f = Fixture::new();
    let mut m = f.transfer(Address::Id(f.bob), TokenAmount::ONE_FLW);
    m.gas_limit -= 1;
    let limit = m.gas_limit;
    let ret = f.apply_failed(&m, ExitCode::SYS_OUT_OF_GAS, limit);
    assert_eq!(ret.gas.gas_burned, 0);
    // Creating an account that the limit cannot pay for creates nothing.
    let carol = key_address(77);
    let m = f.transfer(carol, TokenAmount::ONE_FLW);
    let limit = m.gas_limit;
    f.apply_failed(&m, ExitCode::SYS_OUT_OF_GAS, limit);
    assert_eq!(f.tree.lookup_id(&carol).unwrap(), None);
}

#[test]
fn fee_cap_below_base_fee_is_rejected() {
    let mut f = Fixture::new();
    let mut m = f.transfer(Address::Id(f.bob), TokenAmount::ONE_FLW);
    m.gas_fee_cap = atto(BASE_FEE - 1);
    f.apply_rejected(&m, ExitCode::SYS_FEE_CAP_TOO_LOW);
}

#[test]
fn zero_or_too_small_gas_limit_is_rejected() {
    let mut f = Fixture::new();
    let mut m = f.transfer(Address::Id(f.bob), TokenAmount::ONE_FLW);
    m.gas_limit = 0;
    let r = f.apply_rejected(&m, ExitCode::SYS_OUT_OF_GAS);
    assert!(matches!(
        r,
        Rejection::GasLimitBelowMinimum { gas_limit: 0, .. }
    ));
    let len = m.to_cbor().unwrap().len();
    m.gas_limit = f.gas.on_chain_message(len).unwrap() - 1;
    f.apply_rejected(&m, ExitCode::SYS_OUT_OF_GAS);
}

#[test]
fn gas_limit_above_block_limit_is_rejected() {
    let mut f = Fixture::new();
    let mut m = f.transfer(Address::Id(f.bob), TokenAmount::ONE_FLW);
    m.gas_limit = f.params.block_gas_limit + 1;
    f.apply_rejected(&m, ExitCode::SYS_ILLEGAL_ARGUMENT);
}

#[test]
fn invalid_sender_is_rejected() {
    let mut f = Fixture::new();
    let mut m = f.transfer(Address::Id(f.bob), TokenAmount::ONE_FLW);
    for from in [key_address(200), Address::Id(4242)] {
        m.from = from;
        let r = f.apply_rejected(&m, ExitCode::SYS_SENDER_INVALID);
        assert_eq!(r, Rejection::SenderNotFound);
    }
    // The init actor is not an account.
    m.from = Address::Id(INIT_ACTOR_ID);
    let r = f.apply_rejected(&m, ExitCode::SYS_SENDER_INVALID);
    assert!(matches!(r, Rejection::SenderNotAccount { .. }));
}

#[test]
fn balance_below_gas_reservation_is_rejected() {
    let mut f = Fixture::new();
    let mut m = f.transfer(Address::Id(f.alice), TokenAmount::ZERO);
    m.from = key_address(3); // the producer, with nothing
    let r = f.apply_rejected(&m, ExitCode::SYS_INSUFFICIENT_GAS_FUNDS);
    assert!(matches!(r, Rejection::InsufficientGasFunds { .. }));
    // A fee cap so large the reservation overflows.
    let mut m = f.transfer(Address::Id(f.bob), TokenAmount::ZERO);
    m.gas_fee_cap = TokenAmount::MAX;
    let r = f.apply_rejected(&m, ExitCode::SYS_INSUFFICIENT_GAS_FUNDS);
    assert_eq!(
        r,
        Rejection::InsufficientGasFunds {
            required: None,
            balance: TokenAmount::from_flw(1000)
        }
    );
}

#[test]
fn missing_burnt_funds_actor_is_a_node_fault() {
    let mut f = Fixture::new();
    f.tree.delete_actor(BURNT_FUNDS_ACTOR_ID).unwrap();
    let m = f.transfer(Address::Id(f.bob), TokenAmount::ONE_FLW);
    let ctx = f.ctx();
    let params = ctx.params.clone();
    let gas = ctx.gas.clone();
    let ctx = ApplyContext {
        params: &params,
        gas: &gas,
        randomness: &flowcoin_crypto::randomness::NoRandomness,
        ..ctx
    };
    let root_before = f.tree.flush().unwrap();
    let err = apply_message(&mut f.tree, &m, &ctx).unwrap_err();
    assert!(matches!(
        err,
        ApplyError::MissingActor {
            id: BURNT_FUNDS_ACTOR_ID,
            ..
        }
    ));
    assert_eq!(f.tree.flush().unwrap(), root_before);
}

fn any_address() -> impl Strategy<Value = Address> {
    prop_oneof![
        (0u64..110).prop_map(Address::Id),
        (0u8..6).prop_map(key_address),
        Just(Address::new_actor(b"x")),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 200,
        rng_seed: RngSeed::Fixed(0xa991_0001),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// Arbitrary messages never panic or error, conserve the total, and a rejected one
    /// changes nothing.
    #[test]
    fn arbitrary_messages_conserve_balances(
        messages in proptest::collection::vec((
            any_address(), any_address(), 0u64..3, 0u128..(2000u128 * 10u128.pow(18)),
            prop_oneof![Just(0u64), 0u64..2_000_000, Just(u64::MAX)],
            prop_oneof![0u128..300, Just(u128::MAX)], 0u128..300, 0u64..3,
        ), 1..12),
    ) {
        let mut f = Fixture::new();
        for (from, to, nonce, value, gas_limit, fee_cap, premium, method) in messages {
            let m = Message {
                from, to, nonce, value: atto(value), gas_limit,
                gas_fee_cap: atto(fee_cap), gas_premium: atto(premium), method,
                ..Message::default()
            };
            let root = f.tree.flush().unwrap();
            let ret = f.apply(&m);
            if let Outcome::Rejected(_) = ret.outcome {
                prop_assert_eq!(f.tree.flush().unwrap(), root);
            } else {
                prop_assert!(ret.receipt.gas_used <= m.gas_limit);
            }
        }
    }
}
