//! Shared fixtures: a small state with funded accounts, and balance bookkeeping.

#![allow(dead_code)]

use flowcoin_dag::store::MemoryBlockstore;
use flowcoin_state::actor::{AccountState, ActorCode, ActorId, ActorState};
use flowcoin_state::state_tree::StateTree;
use flowcoin_types::{Address, TokenAmount};

pub type Tree = StateTree<MemoryBlockstore>;

/// A tree with the singletons and the reward actor holding the whole mining pool under a
/// real reward state (what the miner actor's money formulas read).
pub fn tree_with_reward_pool(params: &flowcoin_types::NetworkParams) -> Tree {
    let mut tree = StateTree::with_singletons(MemoryBlockstore::new(), "devnet").unwrap();
    let head = tree
        .put_state(&flowcoin_state::actor::RewardState::new(
            params.epoch_duration,
        ))
        .unwrap();
    let id = flowcoin_state::actor::REWARD_ACTOR_ID;
    let mut reward = tree.get_actor(id).unwrap().unwrap();
    reward.head = head;
    reward.balance = flowcoin_types::economics::GenesisAllocation::MINING_POOL;
    tree.set_actor(id, reward).unwrap();
    tree
}

/// The ed25519 address of test key `n`.
pub fn key_address(n: u8) -> Address {
    Address::from_ed25519_public_key(&[n; 32])
}

/// Registers `address` and creates its account with `balance`.
pub fn add_account(tree: &mut Tree, address: Address, balance: TokenAmount) -> ActorId {
    let id = tree.register_new_address(&address).unwrap();
    let head = tree.put_state(&AccountState { address }).unwrap();
    let mut actor = ActorState::new(ActorCode::Account, head);
    actor.balance = balance;
    tree.set_actor(id, actor).unwrap();
    id
}

/// The sum of every actor's balance.
pub fn total_balance(tree: &Tree) -> TokenAmount {
    let mut total = TokenAmount::ZERO;
    tree.for_each_actor(|_, actor| total = total.checked_add(actor.balance).unwrap())
        .unwrap();
    total
}

/// The balance of actor `id` (zero if it does not exist).
pub fn balance(tree: &Tree, id: ActorId) -> TokenAmount {
    tree.get_actor(id)
        .unwrap()
        .map_or(TokenAmount::ZERO, |a| a.balance)
}

/// The nonce of actor `id`.
pub fn nonce(tree: &Tree, id: ActorId) -> u64 {
    tree.get_actor(id).unwrap().unwrap().nonce
}
