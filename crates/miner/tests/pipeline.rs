//! The sealing pipeline against the real miner actor: pledge seals a 2 KiB committed-capacity
//! sector, the pipeline pre-commits it (paying the deposit the miner lacks), waits for the
//! seed, proves the seal and prove-commits it (paying the pledge); the sector gains power.
//! A new pipeline over the same disk and state (a restart) sees the same stages.

use flowcoin_crypto::randomness::FixedRandomness;
use flowcoin_dag::store::MemoryBlockstore;
use flowcoin_miner::pipeline::{Pipeline, PipelineAction, SectorStage};
use flowcoin_miner::sectors::SectorStore;
use flowcoin_state::actor::miner::{
    self, GenesisMiner, METHOD_PRE_COMMIT_SECTOR, METHOD_PROVE_COMMIT_SECTOR,
};
use flowcoin_state::actor::power::power_state;
use flowcoin_state::actor::{AccountState, ActorCode, ActorState, REWARD_ACTOR_ID, RewardState};
use flowcoin_state::apply::{ApplyContext, apply_message};
use flowcoin_state::gas::GasSchedule;
use flowcoin_state::receipt::ExitCode;
use flowcoin_state::state_tree::StateTree;
use flowcoin_types::economics::GenesisAllocation;
use flowcoin_types::message::to_cbor;
use flowcoin_types::{Address, Message, NetworkParams, SectorSize, StoragePower, TokenAmount};

type Tree = StateTree<MemoryBlockstore>;
const MINER: u64 = 1000;
const CIRCULATING: TokenAmount = TokenAmount::from_flw(80_000_000);

fn owner() -> Address {
    Address::from_ed25519_public_key(&[1; 32])
}

fn account(tree: &mut Tree, address: Address, balance: TokenAmount) {
    let id = tree.register_new_address(&address).unwrap();
    let head = tree.put_state(&AccountState { address }).unwrap();
    let mut actor = ActorState::new(ActorCode::Account, head);
    actor.balance = balance;
    tree.set_actor(id, actor).unwrap();
}

fn apply(
    tree: &mut Tree,
    params: &NetworkParams,
    r: &FixedRandomness,
    epoch: u64,
    action: PipelineAction,
) {
    let (method, bytes, value) = match action {
        PipelineAction::PreCommit(p, v) => (METHOD_PRE_COMMIT_SECTOR, to_cbor("p", &p).unwrap(), v),
        PipelineAction::ProveCommit(p, v) => {
            (METHOD_PROVE_COMMIT_SECTOR, to_cbor("p", &p).unwrap(), v)
        }
    };
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
        randomness: r,
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

#[test]
fn pledge_seals_pre_commits_waits_and_proves_a_sector() {
    let dir = tempfile::tempdir().unwrap();
    let store = SectorStore::new(dir.path().join("sectors"), dir.path().join("parents"));
    let params = NetworkParams::devnet();
    let randomness = FixedRandomness::new(b"pipeline".to_vec());
    let mut tree = StateTree::with_singletons(MemoryBlockstore::new(), "devnet").unwrap();
    let head = tree
        .put_state(&RewardState::new(params.epoch_duration))
        .unwrap();
    let mut reward = tree.get_actor(REWARD_ACTOR_ID).unwrap().unwrap();
    reward.head = head;
    reward.balance = GenesisAllocation::MINING_POOL;
    tree.set_actor(REWARD_ACTOR_ID, reward).unwrap();
    account(&mut tree, owner(), TokenAmount::from_flw(1_000));
    account(
        &mut tree,
        Address::from_bls_public_key([9; 48]),
        TokenAmount::ZERO,
    );
    tree.flush().unwrap();
    tree.skip_ids_to(MINER).unwrap();
    miner::create_genesis_miner(
        &mut tree,
        &params,
        &GenesisMiner {
            owner: owner(),
            worker: Address::from_bls_public_key([9; 48]),
            sector_size: SectorSize::Size2KiB,
            peer_id: Vec::new(),
            seed: b"pipeline".to_vec(),
            sectors: Vec::new(),
        },
    )
    .unwrap();

    let mut pipeline = Pipeline::new(MINER, store.clone());
    let number = pipeline.pledge(&tree, 10, &randomness).unwrap();
    assert_eq!(number, 0);
    assert_eq!(
        pipeline.stages(&tree, &params, 10).unwrap(),
        [(0, SectorStage::Sealed)]
    );

    // Pre-commit: the miner has nothing, so the message carries the deposit.
    let actions = pipeline
        .on_epoch(&tree, &params, 10, CIRCULATING, &randomness)
        .unwrap();
    let [PipelineAction::PreCommit(pre, value)] = actions.as_slice() else {
        panic!("expected one pre-commit, got {actions:?}")
    };
    assert_eq!(pre.seal_rand_epoch, 9);
    assert!(!value.is_zero());
    apply(&mut tree, &params, &randomness, 10, actions[0].clone());
    // Not sent twice, then waiting for the seed (drawn at 10 + 3).
    assert!(
        pipeline
            .on_epoch(&tree, &params, 11, CIRCULATING, &randomness)
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        pipeline.stages(&tree, &params, 12).unwrap(),
        [(0, SectorStage::WaitSeed(13))]
    );

    // After the seed: the seal proof is made for the chain's seed and prove-committed.
    let actions = pipeline
        .on_epoch(&tree, &params, 14, CIRCULATING, &randomness)
        .unwrap();
    assert!(
        matches!(actions.as_slice(), [PipelineAction::ProveCommit(p, _)] if p.sector_number == 0)
    );
    apply(&mut tree, &params, &randomness, 14, actions[0].clone());
    assert_eq!(
        power_state(&tree).unwrap().total_raw_power,
        StoragePower::from_bytes(2048)
    );

    // A restarted pipeline sees the sector proving and does nothing.
    let mut restarted = Pipeline::new(MINER, store);
    assert_eq!(
        restarted.stages(&tree, &params, 20).unwrap(),
        [(0, SectorStage::Proving)]
    );
    assert!(
        restarted
            .on_epoch(&tree, &params, 20, CIRCULATING, &randomness)
            .unwrap()
            .is_empty()
    );

    // A second pledge takes the next number; a ticket left too long goes stale.
    let next = restarted.pledge(&tree, 30, &randomness).unwrap();
    assert_eq!(next, 1);
    let late = 30 + params.miner.max_seal_ticket_age + 1;
    assert_eq!(
        restarted.stages(&tree, &params, late).unwrap()[1],
        (1, SectorStage::Stale)
    );
    assert!(
        restarted
            .on_epoch(&tree, &params, late, CIRCULATING, &randomness)
            .unwrap()
            .is_empty()
    );
}
