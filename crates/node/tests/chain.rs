//! The node's chain service end to end, in one process, on the repository's disk store: a
//! devnet genesis with one miner holding two real pre-sealed 2 KiB sectors; the miner wins
//! blocks (election, Winning PoSt from its sector store, signed headers), proves every
//! Window PoSt deadline through the message pool, keeps its power, earns block rewards; a
//! transfer pushed into the pool lands; a restart resumes from the stored head.

use std::path::Path;
use std::sync::Arc;

use flowcoin_chain::genesis::{self, GenesisMinerTemplate, GenesisSectorTemplate, GenesisTemplate};
use flowcoin_crypto::SecretKey;
use flowcoin_crypto::message::sign_message;
use flowcoin_crypto::{bls, ed25519};
use flowcoin_dag::store::{DiskStore, MemoryBlockstore};
use flowcoin_miner::producer::{ProduceInputs, produce_block};
use flowcoin_miner::scheduler::{Action, PostScheduler};
use flowcoin_miner::sectors::SectorStore;
use flowcoin_node::chain::ChainService;
use flowcoin_state::actor::miner::{
    METHOD_DECLARE_FAULTS, METHOD_DECLARE_FAULTS_RECOVERED, METHOD_SUBMIT_WINDOWED_POST,
};
use flowcoin_state::actor::power::power_state;
use flowcoin_state::state_tree::StateTree;
use flowcoin_types::message::to_cbor;
use flowcoin_types::{
    Address, Message, Network, NetworkParams, SectorSize, StoragePower, TokenAmount,
};

const MINER: u64 = 1000;

struct Keys {
    owner: SecretKey,
    worker: bls::SecretKey,
}

fn keys() -> Keys {
    Keys {
        owner: SecretKey::Ed25519(ed25519::SecretKey::from_seed(&[11; 32])),
        worker: bls::SecretKey::from_seed(&[12; 32]).unwrap(),
    }
}

/// Seals the miner's sectors into `repo/sectors` and writes `repo/genesis.car`.
fn make_genesis(repo: &Path, keys: &Keys) -> SectorStore {
    let sectors = SectorStore::new(repo.join("sectors"), repo.join("cache").join("parents"));
    let metas: Vec<_> = (0..2)
        .map(|n| {
            sectors
                .seal_cc(MINER, n, SectorSize::Size2KiB, [n as u8 + 7; 32])
                .unwrap()
        })
        .collect();
    let owner = keys.owner.public_key().address();
    let template = GenesisTemplate {
        network: Network::Devnet,
        timestamp: 1_700_000_000,
        premine: owner,
        team: Address::from_ed25519_public_key(&[2; 32]),
        super_nodes: genesis::devnet_super_node_addresses().unwrap(),
        miners: vec![GenesisMinerTemplate {
            id: MINER,
            owner,
            worker: Address::from_bls_public_key(keys.worker.public_key().to_bytes()),
            sector_size: SectorSize::Size2KiB,
            peer_id: Vec::new(),
            sectors: metas
                .iter()
                .map(|m| GenesisSectorTemplate {
                    sector_number: m.sector_number,
                    comm_r: m.comm_r_cid.parse().unwrap(),
                    comm_d: m.comm_d_cid.parse().unwrap(),
                    expiration: 100_000,
                })
                .collect(),
        }],
    };
    let mut store = MemoryBlockstore::new();
    let built = genesis::build_genesis(&template, &NetworkParams::devnet(), &mut store).unwrap();
    genesis::write_car(&built, &store, &repo.join("genesis.car")).unwrap();
    sectors
}

/// Runs the miner for epochs `from..=to`: PoSt duties into the pool, then a block if it wins.
/// Returns how many blocks it made.
fn mine(
    service: &mut ChainService,
    keys: &Keys,
    sectors: &SectorStore,
    scheduler: &mut PostScheduler,
    from: u64,
    to: u64,
) -> u64 {
    let params = service.params().clone();
    let owner = keys.owner.public_key().address();
    let mut made = 0;
    for height in from..=to {
        let head = service.head().unwrap();
        let executed = service.head_executed().unwrap();
        // Window PoSt duties, sent by the owner (the worker holds no FLW for gas).
        let head_tree =
            StateTree::load(service.store().blocks().disk(), &executed.state_root).unwrap();
        let actions = scheduler
            .on_epoch(
                &head_tree,
                &params,
                height,
                &service.store().randomness(head.clone()),
            )
            .unwrap();
        for action in actions {
            let (method, bytes) = match action {
                Action::SubmitPost(p) => (METHOD_SUBMIT_WINDOWED_POST, to_cbor("p", &p).unwrap()),
                Action::DeclareFaults(p, _) => (METHOD_DECLARE_FAULTS, to_cbor("p", &p).unwrap()),
                Action::DeclareRecoveries(p) => {
                    (METHOD_DECLARE_FAULTS_RECOVERED, to_cbor("p", &p).unwrap())
                }
            };
            let nonce = service.mpool().next_nonce(&owner).unwrap();
            let message = Message {
                from: owner,
                to: Address::Id(MINER),
                nonce,
                method,
                params: bytes,
                gas_limit: 300_000_000,
                gas_fee_cap: TokenAmount::from_atto(1_000_000_000),
                gas_premium: TokenAmount::from_atto(100_000),
                ..Message::default()
            };
            service
                .push_message(sign_message(&keys.owner, &message).unwrap())
                .unwrap();
        }
        // The election.
        let randomness = service.store().randomness(head.clone());
        let lookback_root = service.store().lookback_state_root(&head, height).unwrap();
        let lookback = StateTree::load(service.store().blocks().disk(), &lookback_root).unwrap();
        let weight = service.store().meta(head.key()).unwrap().unwrap().weight;
        let messages = service
            .mpool()
            .select(params.block_gas_limit, executed.next_base_fee);
        let block = produce_block(ProduceInputs {
            miner: MINER,
            worker: &keys.worker,
            sectors,
            parent: &head,
            parent_executed: &executed,
            parent_weight: weight,
            lookback: &lookback,
            randomness: &randomness,
            height,
            params: &params,
            messages,
        })
        .unwrap();
        drop(randomness);
        if let Some(block) = block {
            assert!(
                service.accept(&[block]).unwrap(),
                "our own block extends the head"
            );
            made += 1;
        }
    }
    made
}

#[test]
fn a_single_miner_devnet_makes_blocks_keeps_its_power_and_moves_flw() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path();
    let keys = keys();
    let sectors = make_genesis(repo, &keys);
    let disk = Arc::new(DiskStore::open(repo.join("db")).unwrap());
    let mut service =
        ChainService::open(repo, disk.clone(), Some(&repo.join("genesis.car"))).unwrap();
    assert_eq!(service.head().unwrap().height(), 0);
    let mut scheduler = PostScheduler::new(MINER, sectors.clone());

    // Two proving periods: every deadline is proven, so the power stays.
    let period = service.params().proving_period;
    let made = mine(&mut service, &keys, &sectors, &mut scheduler, 1, 2 * period);
    let head = service.head().unwrap();
    assert!(
        made >= 2 * period * 9 / 10,
        "{made} blocks in {} epochs",
        2 * period
    );
    assert!(head.height() > 2 * period - 5);
    let executed = service.head_executed().unwrap();
    let tree = StateTree::load(service.store().blocks().disk(), &executed.state_root).unwrap();
    assert_eq!(
        power_state(&tree).unwrap().total_raw_power,
        StoragePower::from_bytes(2 * 2048),
        "the miner proved every deadline"
    );
    let miner_balance = tree.get_actor(MINER).unwrap().unwrap().balance;
    assert!(!miner_balance.is_zero(), "block rewards arrive");

    // A transfer through the pool.
    let owner = keys.owner.public_key().address();
    let bob = Address::from_ed25519_public_key(&[77; 32]);
    let transfer = Message {
        from: owner,
        to: bob,
        nonce: service.mpool().next_nonce(&owner).unwrap(),
        value: TokenAmount::from_flw(42),
        gas_limit: 3_000_000,
        gas_fee_cap: TokenAmount::from_atto(1_000_000_000),
        gas_premium: TokenAmount::from_atto(1_000),
        ..Message::default()
    };
    service
        .push_message(sign_message(&keys.owner, &transfer).unwrap())
        .unwrap();
    let from = head.height() + 1;
    mine(
        &mut service,
        &keys,
        &sectors,
        &mut scheduler,
        from,
        from + 5,
    );
    let executed = service.head_executed().unwrap();
    let tree = StateTree::load(service.store().blocks().disk(), &executed.state_root).unwrap();
    let bob_id = tree
        .lookup_id(&bob)
        .unwrap()
        .expect("bob's account was created");
    assert_eq!(
        tree.get_actor(bob_id).unwrap().unwrap().balance,
        TokenAmount::from_flw(42)
    );

    // Restart: the head is back, no --genesis needed.
    let head = service.head().unwrap();
    drop(service);
    let service = ChainService::open(repo, disk, None).unwrap();
    assert_eq!(service.head().unwrap(), head);
}
