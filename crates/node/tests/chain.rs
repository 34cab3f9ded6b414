//! The node's chain service end to end, in one process, on the repository's disk store: a
//! devnet genesis with one miner holding two real pre-sealed 2 KiB sectors; the miner wins
//! blocks with the node's miner service (election, Winning PoSt from its sector store,
//! signed headers), proves every Window PoSt deadline through the message pool, keeps its
//! power, earns block rewards; a pledged sector is sealed, pre-committed and proven; a
//! transfer pushed into the pool lands; a restart resumes from the stored head.

use std::path::Path;
use std::sync::Arc;

use flowcoin_chain::genesis::{self, GenesisMinerTemplate, GenesisSectorTemplate, GenesisTemplate};
use flowcoin_crypto::SecretKey;
use flowcoin_crypto::message::sign_message;
use flowcoin_crypto::{bls, ed25519};
use flowcoin_dag::store::{DiskStore, MemoryBlockstore};
use flowcoin_node::chain::ChainService;
use flowcoin_node::miner::{MinerConfig, MinerService, sector_store};
use flowcoin_state::actor::power::power_state;
use flowcoin_state::state_tree::StateTree;
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
fn make_genesis(repo: &Path, keys: &Keys) {
    let sectors = sector_store(repo);
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
}

/// Runs the miner service for epochs `from..=to`; returns how many blocks it made.
fn mine(service: &mut ChainService, miner: &mut MinerService, from: u64, to: u64) -> u64 {
    let mut made = 0;
    for height in from..=to {
        if miner.work(service, height).unwrap().block {
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
    make_genesis(repo, &keys);
    let disk = Arc::new(DiskStore::open(repo.join("db")).unwrap());
    let mut service =
        ChainService::open(repo, disk.clone(), Some(&repo.join("genesis.car"))).unwrap();
    assert_eq!(service.head().unwrap().height(), 0);
    let mut miner = MinerService::new(
        MinerConfig {
            id: MINER,
            worker: Arc::new(bls::SecretKey::from_seed(&[12; 32]).unwrap()),
            // The owner pays the miner's gas (the worker holds no FLW).
            sender: Arc::new(SecretKey::Ed25519(ed25519::SecretKey::from_seed(&[11; 32]))),
        },
        repo,
    );

    // Two proving periods: every deadline is proven, so the power stays.
    let period = service.params().proving_period;
    let made = mine(&mut service, &mut miner, 1, 2 * period);
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
    // And a pledged committed-capacity sector: sealed, pre-committed, proven.
    miner.pledge();
    let from = head.height() + 1;
    mine(&mut service, &mut miner, from, from + 10);
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

    let state = flowcoin_state::actor::miner::miner_state(&tree, MINER)
        .unwrap()
        .unwrap()
        .1;
    let active = flowcoin_state::actor::miner::sectors(&tree, &state).unwrap();
    assert_eq!(active.len(), 3, "the pledged sector is active");
    assert_eq!(
        power_state(&tree).unwrap().total_raw_power,
        StoragePower::from_bytes(3 * 2048)
    );

    // Restart: the head is back, no --genesis needed.
    let head = service.head().unwrap();
    drop(service);
    let service = ChainService::open(repo, disk, None).unwrap();
    assert_eq!(service.head().unwrap(), head);
}
