//! Miner and power actor methods with arbitrary params, method numbers and epochs, applied
//! to a state holding a miner with live sectors: message application must never fail as a
//! node fault, never panic, and never change the sum of all balances; deadline processing
//! at the same epoch neither.
#![no_main]

use flowcoin_crypto::randomness::FixedRandomness;
use flowcoin_dag::store::MemoryBlockstore;
use flowcoin_state::actor::miner::cron::end_of_epoch;
use flowcoin_state::actor::miner::{GenesisMiner, GenesisSector, create_genesis_miner};
use flowcoin_state::actor::power::STORAGE_POWER_ACTOR_ID;
use flowcoin_state::actor::{
    AccountState, ActorCode, ActorState, REWARD_ACTOR_ID, RewardState,
};
use flowcoin_state::apply::{ApplyContext, apply_message};
use flowcoin_state::gas::GasSchedule;
use flowcoin_state::state_tree::StateTree;
use flowcoin_types::economics::GenesisAllocation;
use flowcoin_types::{Address, Message, NetworkParams, SectorSize, TokenAmount};
use libfuzzer_sys::fuzz_target;

type Tree = StateTree<MemoryBlockstore>;

fn account(tree: &mut Tree, address: Address, balance: TokenAmount) -> u64 {
    let id = tree.register_new_address(&address).unwrap();
    let head = tree.put_state(&AccountState { address }).unwrap();
    let mut actor = ActorState::new(ActorCode::Account, head);
    actor.balance = balance;
    tree.set_actor(id, actor).unwrap();
    id
}

fn total(tree: &Tree) -> u128 {
    let mut sum = 0u128;
    tree.for_each_actor(|_, a| sum += a.balance.atto()).unwrap();
    sum
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let Some((epoch_bytes, params_bytes)) = rest.split_first_chunk::<2>() else {
        return;
    };
    let epoch = u64::from(u16::from_le_bytes(*epoch_bytes)) % 2_000 + 1;
    let params = NetworkParams::devnet();
    let mut tree = StateTree::with_singletons(MemoryBlockstore::new(), "devnet").unwrap();
    let head = tree.put_state(&RewardState::new(params.epoch_duration)).unwrap();
    let mut reward = tree.get_actor(REWARD_ACTOR_ID).unwrap().unwrap();
    reward.head = head;
    reward.balance = GenesisAllocation::MINING_POOL;
    tree.set_actor(REWARD_ACTOR_ID, reward).unwrap();
    let owner = Address::from_ed25519_public_key(&[1; 32]);
    let worker = Address::from_bls_public_key([2; 48]);
    account(&mut tree, owner, TokenAmount::from_flw(1_000));
    account(&mut tree, worker, TokenAmount::ZERO);
    let producer = account(&mut tree, Address::from_ed25519_public_key(&[3; 32]), TokenAmount::ZERO);
    let miner = create_genesis_miner(
        &mut tree,
        &params,
        &GenesisMiner {
            owner,
            worker,
            sector_size: SectorSize::Size2KiB,
            peer_id: Vec::new(),
            seed: b"fuzz".to_vec(),
            sectors: (0..3)
                .map(|n| GenesisSector {
                    sector_number: n,
                    comm_r: [n as u8 + 1; 32],
                    comm_d: [0; 32],
                    expiration: 1_000,
                })
                .collect(),
        },
    )
    .unwrap();
    let before = total(&tree);
    // Method 2–8 of the miner, or CreateMiner on the power actor.
    let (to, method) = match selector % 8 {
        0 => (Address::Id(STORAGE_POWER_ACTOR_ID), 2),
        m => (Address::Id(miner), u64::from(m) + 1),
    };
    let message = Message {
        from: owner,
        to,
        value: TokenAmount::from_atto(u128::from(selector) << 56),
        method,
        params: params_bytes.to_vec(),
        gas_limit: 1_000_000_000,
        gas_fee_cap: TokenAmount::from_atto(200_000_000),
        ..Message::default()
    };
    let gas = GasSchedule::default();
    let randomness = FixedRandomness::new(b"fuzz".to_vec());
    let ctx = ApplyContext {
        epoch,
        base_fee: params.initial_base_fee,
        block_producer: producer,
        params: &params,
        gas: &gas,
        randomness: &randomness,
        circulating_supply: TokenAmount::from_flw(1_000_000),
    };
    apply_message(&mut tree, &message, &ctx).expect("a message never causes a node fault");
    assert_eq!(total(&tree), before);
    end_of_epoch(&mut tree, &params, epoch, TokenAmount::from_flw(1_000_000)).unwrap();
    assert_eq!(total(&tree), before);
    tree.flush().unwrap();
});
