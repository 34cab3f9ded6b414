//! The chain's hot paths on a devnet whose one miner holds two 8 MiB sectors (sealed in the
//! setup), on the repository's disk store:
//!
//! - `produce`: the election, the Winning PoSt over an 8 MiB sector (66 challenges, read from
//!   disk) and the signed header;
//! - `validate`: every consensus rule on such a block (the Winning PoSt verification is most
//!   of it);
//! - `pool_to_blocks`: 500 signed transfers (one sender: the pool holds at most 1,000 per sender, and the miner sends its own) pushed into the message pool and mined into
//!   blocks until the pool is empty (validation and execution included).
//!
//! `cargo bench -p flowcoin-node --bench chain`; figures go to docs/BENCHMARKS.md.

use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use flowcoin_chain::genesis::{self, GenesisTemplate};
use flowcoin_consensus::produce::BlockInputs;
use flowcoin_crypto::message::sign_message;
use flowcoin_crypto::{SecretKey, bls, ed25519};
use flowcoin_dag::store::{DiskStore, MemoryBlockstore};
use flowcoin_miner::genesis::{PreSeal, pre_seal};
use flowcoin_miner::producer::produce_block;
use flowcoin_node::chain::{ChainService, parent_tipset};
use flowcoin_node::miner::{MinerConfig, MinerService, sector_store};
use flowcoin_state::state_tree::StateTree;
use flowcoin_types::{
    Address, Message, Network, NetworkParams, SectorSize, SignedMessage, TokenAmount,
};

const MINER: u64 = 1000;
const SIZE: SectorSize = SectorSize::Size8MiB;

fn owner_key() -> SecretKey {
    SecretKey::Ed25519(ed25519::SecretKey::from_seed(&[11; 32]))
}

fn worker_key() -> bls::SecretKey {
    bls::SecretKey::from_seed(&[12; 32]).unwrap()
}

/// A repository with a devnet genesis whose miner has two sealed 8 MiB sectors.
fn setup(repo: &Path) -> (ChainService, MinerService) {
    let owner = owner_key().public_key().address();
    let miner = pre_seal(
        &sector_store(repo),
        &PreSeal {
            miner: MINER,
            owner,
            worker: Address::from_bls_public_key(worker_key().public_key().to_bytes()),
            sector_size: SIZE,
            sectors: 2,
            expiration: 1_000_000,
        },
        |_| {},
    )
    .unwrap();
    let template = GenesisTemplate {
        network: Network::Devnet,
        timestamp: 1_700_000_000,
        premine: owner,
        team: Address::from_ed25519_public_key(&[2; 32]),
        super_nodes: genesis::devnet_super_node_addresses().unwrap(),
        miners: vec![miner],
    };
    let mut store = MemoryBlockstore::new();
    let built = genesis::build_genesis(&template, &NetworkParams::devnet(), &mut store).unwrap();
    genesis::write_car(&built, &store, &repo.join("genesis.car")).unwrap();
    let disk = Arc::new(DiskStore::open(repo.join("db")).unwrap());
    let chain = ChainService::open(repo, disk, Some(&repo.join("genesis.car"))).unwrap();
    let miner = MinerService::new(
        MinerConfig {
            id: MINER,
            worker: Arc::new(worker_key()),
            sender: Arc::new(owner_key()),
        },
        repo,
    );
    (chain, miner)
}

/// The block the miner makes at the next epoch (it wins almost every epoch: E = 5 and all
/// the power).
fn next_block(
    chain: &ChainService,
    sectors: &flowcoin_miner::sectors::SectorStore,
    height: u64,
) -> Option<(flowcoin_types::block::BlockHeader, Vec<SignedMessage>)> {
    let store = chain.store();
    let head = chain.head().unwrap();
    let parent = parent_tipset(store, head.key()).unwrap().unwrap();
    let disk = store.blocks().disk();
    let parent_state = StateTree::load(disk.clone(), &parent.state_root).unwrap();
    let lookback_root = store.lookback_state_root(&head, height).unwrap();
    let lookback = StateTree::load(disk, &lookback_root).unwrap();
    let randomness = store.randomness(head);
    let worker = worker_key();
    let params = chain.params().clone();
    let inputs = BlockInputs {
        params: &params,
        parent: &parent,
        parent_state: &parent_state,
        lookback_state: &lookback,
        randomness: &randomness,
        miner: MINER,
        worker: &worker,
        height,
    };
    produce_block(&inputs, sectors, Vec::new()).unwrap()
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path();
    let (mut chain, mut miner) = setup(repo);
    let sectors = sector_store(repo);
    // A few epochs of history first.
    for height in 1..=5 {
        miner.work(&mut chain, height).unwrap();
    }
    let mut group = c.benchmark_group("chain");
    group.sample_size(10);

    let height = chain.head().unwrap().height() + 1;
    group.bench_function("produce_8mib", |b| {
        b.iter(|| black_box(next_block(&chain, &sectors, height)))
    });
    let block = (height..height + 10)
        .find_map(|h| next_block(&chain, &sectors, h))
        .expect("the miner wins within 10 epochs");
    group.bench_function("validate_8mib", |b| {
        b.iter(|| chain.validate(black_box(&block.0), &block.1).unwrap())
    });

    // Messages through the pool into blocks: 500 transfers, mined until the pool is empty.
    const MESSAGES: u64 = 500;
    group.throughput(Throughput::Elements(MESSAGES));
    let owner = owner_key();
    let from = owner.public_key().address();
    let mut next_height = chain.head().unwrap().height() + 1;
    group.bench_function("pool_to_blocks_500", |b| {
        b.iter_custom(|iterations| {
            let mut total = std::time::Duration::ZERO;
            for _ in 0..iterations {
                // Signing is the wallet's work, not the node's: done before the clock starts.
                let start = chain.mpool().next_nonce(&from).unwrap();
                let messages: Vec<_> = (0..MESSAGES)
                    .map(|i| {
                        let message = Message {
                            from,
                            to: Address::from_ed25519_public_key(&[(i % 200) as u8; 32]),
                            nonce: start + i,
                            value: TokenAmount::from_atto(1),
                            gas_limit: 3_000_000,
                            gas_fee_cap: TokenAmount::from_atto(10_000_000_000),
                            gas_premium: TokenAmount::from_atto(1_000),
                            ..Message::default()
                        };
                        sign_message(&owner, &message).unwrap()
                    })
                    .collect();
                let clock = std::time::Instant::now();
                for m in messages {
                    chain.push_message(m).unwrap();
                }
                while chain.mpool().pending_count() > 0 {
                    miner.work(&mut chain, next_height).unwrap();
                    next_height += 1;
                }
                total += clock.elapsed();
            }
            total
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
