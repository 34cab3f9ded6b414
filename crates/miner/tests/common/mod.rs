//! Shared fixtures: a state with the reward pool, an owner and a worker account, and genesis
//! miner f01000; sending a message to it from the owner.

#![allow(dead_code)]

use flowcoin_crypto::randomness::RandomnessSource;
use flowcoin_dag::store::MemoryBlockstore;
use flowcoin_state::actor::miner::{self, GenesisMiner, GenesisSector};
use flowcoin_state::actor::{AccountState, ActorCode, ActorState, REWARD_ACTOR_ID, RewardState};
use flowcoin_state::apply::{ApplyContext, apply_message};
use flowcoin_state::gas::GasSchedule;
use flowcoin_state::receipt::ExitCode;
use flowcoin_state::state_tree::StateTree;
use flowcoin_types::economics::GenesisAllocation;
use flowcoin_types::{Address, Message, NetworkParams, SectorSize, TokenAmount};

pub type Tree = StateTree<MemoryBlockstore>;

/// The miner every test runs.
pub const MINER: u64 = 1000;
/// The circulating supply the tests assume.
pub const CIRCULATING: TokenAmount = TokenAmount::from_flw(80_000_000);

/// The owner's key address.
pub fn owner() -> Address {
    Address::from_ed25519_public_key(&[1; 32])
}

/// The worker's key address.
pub fn worker() -> Address {
    Address::from_bls_public_key([9; 48])
}

fn account(tree: &mut Tree, address: Address, balance: TokenAmount) {
    let id = tree.register_new_address(&address).unwrap();
    let head = tree.put_state(&AccountState { address }).unwrap();
    let mut actor = ActorState::new(ActorCode::Account, head);
    actor.balance = balance;
    tree.set_actor(id, actor).unwrap();
}

/// A state holding the reward pool, the owner with `owner_balance`, the worker, and miner
/// f01000 with `sectors` active from genesis.
pub fn miner_tree(
    params: &NetworkParams,
    owner_balance: TokenAmount,
    sectors: Vec<GenesisSector>,
) -> Tree {
    let mut tree = StateTree::with_singletons(MemoryBlockstore::new(), "devnet").unwrap();
    let head = tree
        .put_state(&RewardState::new(params.epoch_duration))
        .unwrap();
    let mut reward = tree.get_actor(REWARD_ACTOR_ID).unwrap().unwrap();
    reward.head = head;
    reward.balance = GenesisAllocation::MINING_POOL;
    tree.set_actor(REWARD_ACTOR_ID, reward).unwrap();
    account(&mut tree, owner(), owner_balance);
    account(&mut tree, worker(), TokenAmount::ZERO);
    tree.flush().unwrap();
    tree.skip_ids_to(MINER).unwrap();
    let id = miner::create_genesis_miner(
        &mut tree,
        params,
        &GenesisMiner {
            owner: owner(),
            worker: worker(),
            sector_size: SectorSize::Size2KiB,
            peer_id: Vec::new(),
            seed: b"miner tests".to_vec(),
            sectors,
        },
    )
    .unwrap();
    assert_eq!(id, MINER);
    tree
}

/// Applies method `method` of the miner with `params` and `value` from the owner at `epoch`;
/// the call must succeed.
pub fn send(
    tree: &mut Tree,
    params: &NetworkParams,
    randomness: &dyn RandomnessSource,
    epoch: u64,
    method: u64,
    bytes: Vec<u8>,
    value: TokenAmount,
) {
    let id = tree.lookup_id(&owner()).unwrap().unwrap();
    let nonce = tree.get_actor(id).unwrap().unwrap().nonce;
    let message = Message {
        from: owner(),
        to: Address::Id(MINER),
        nonce,
        value,
        method,
        params: bytes,
        gas_limit: 500_000_000,
        gas_fee_cap: TokenAmount::from_atto(200_000_000),
        ..Message::default()
    };
    let gas = GasSchedule::default();
    let ctx = ApplyContext {
        epoch,
        base_fee: params.initial_base_fee,
        block_producer: id,
        params,
        gas: &gas,
        randomness,
        circulating_supply: CIRCULATING,
    };
    let ret = apply_message(tree, &message, &ctx).unwrap();
    assert_eq!(
        ret.receipt.exit_code,
        ExitCode::OK,
        "{:?}",
        ret.failure_reason
    );
}
