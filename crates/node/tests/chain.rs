//! The node's chain service end to end, in one process, on the repository's disk store: a
//! devnet genesis with one miner holding two real pre-sealed 2 KiB sectors; the miner wins
//! blocks with the node's miner service (election, Winning PoSt from its sector store,
//! signed headers), proves every Window PoSt deadline through the message pool, keeps its
//! power, earns block rewards; a pledged sector is sealed, pre-committed and proven; a
//! transfer pushed into the pool lands; a restart resumes from the stored head.

use std::path::Path;
use std::sync::Arc;

use cid::Cid;
use flowcoin_chain::genesis::{self, GenesisTemplate};
use flowcoin_crypto::SecretKey;
use flowcoin_crypto::message::sign_message;
use flowcoin_crypto::{bls, ed25519};
use flowcoin_dag::store::{DiskStore, MemoryBlockstore};
use flowcoin_miner::genesis::{PreSeal, pre_seal};
use flowcoin_node::chain::{ChainService, ChainServiceError};
use flowcoin_node::miner::{MinerConfig, MinerService, sector_store};
use flowcoin_node::sync::{ChainSource, SyncError, TipsetBlocks, sync_from};
use flowcoin_state::actor::power::power_state;
use flowcoin_state::actor::{REWARD_ACTOR_ID, RewardState};
use flowcoin_state::state_tree::StateTree;
use flowcoin_types::economics::{GenesisAllocation, RewardSchedule};
use flowcoin_types::tipset::TipsetKey;
use flowcoin_types::{
    Address, Message, Network, NetworkParams, SectorSize, StoragePower, TokenAmount,
};

const MINER: u64 = 1000;

struct Keys {
    owner: SecretKey,
}

fn keys() -> Keys {
    Keys {
        owner: SecretKey::Ed25519(ed25519::SecretKey::from_seed(&[11; 32])),
    }
}

/// The worker key of miner `1000 + index`.
fn worker(index: u8) -> bls::SecretKey {
    bls::SecretKey::from_seed(&[12 + index; 32]).unwrap()
}

/// Seals two sectors for each of `miners` miners (f01000, f01001, …, workers [`worker`])
/// into `repo/sectors` and writes `repo/genesis.car`; the owner (the premine) owns them all.
fn make_genesis_with(repo: &Path, keys: &Keys, miners: u8) {
    let sectors = sector_store(repo);
    let owner = keys.owner.public_key().address();
    let miners = (0..miners)
        .map(|index| {
            pre_seal(
                &sectors,
                &PreSeal {
                    miner: MINER + u64::from(index),
                    owner,
                    worker: Address::from_bls_public_key(worker(index).public_key().to_bytes()),
                    sector_size: SectorSize::Size2KiB,
                    sectors: 2,
                    expiration: 100_000,
                },
                |_| {},
            )
            .unwrap()
        })
        .collect();
    let template = GenesisTemplate {
        network: Network::Devnet,
        timestamp: 1_700_000_000,
        premine: owner,
        team: Address::from_ed25519_public_key(&[2; 32]),
        super_nodes: genesis::devnet_super_node_addresses().unwrap(),
        miners,
    };
    let mut store = MemoryBlockstore::new();
    let built = genesis::build_genesis(&template, &NetworkParams::devnet(), &mut store).unwrap();
    genesis::write_car(&built, &store, &repo.join("genesis.car")).unwrap();
}

/// One miner's genesis.
fn make_genesis(repo: &Path, keys: &Keys) {
    make_genesis_with(repo, keys, 1);
}

/// Runs the miner service for epochs `from..=to`; returns how many blocks it made.
fn mine(service: &mut ChainService, miner: &mut MinerService, from: u64, to: u64) -> u64 {
    let mut made = 0;
    for height in from..=to {
        if miner.work(service, height).unwrap().block {
            made += 1;
        }
        // Pledged sectors seal in the background: wait, so the next epoch sees them.
        miner.wait_sealed();
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
    // Rewards follow the schedule: the reward actor minted exactly the scheduled reward of
    // every epoch with a block (the one miner takes each whole), and the miner holds it (plus
    // the tips of the blocks it made).
    let schedule = RewardSchedule::new(service.params().epoch_duration);
    let mut expected = TokenAmount::ZERO;
    let mut cursor = service.head().unwrap();
    while cursor.height() > 0 {
        expected = expected
            .checked_add(schedule.block_reward(cursor.height()))
            .unwrap();
        cursor = service.store().load_tipset(&cursor.parents()).unwrap();
    }
    let reward_actor = tree.get_actor(REWARD_ACTOR_ID).unwrap().unwrap();
    let minted: RewardState = tree.get_state("reward", &reward_actor.head).unwrap();
    assert_eq!(minted.total_minted, expected);
    assert_eq!(
        reward_actor.balance,
        GenesisAllocation::MINING_POOL
            .checked_sub(expected)
            .unwrap()
    );
    let miner_balance = tree.get_actor(MINER).unwrap().unwrap().balance;
    assert!(miner_balance >= expected, "block rewards arrive");

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
    let announced: Arc<std::sync::Mutex<Vec<Cid>>> = Arc::default();
    let sink = Arc::clone(&announced);
    service.set_announcer(Box::new(move |m| {
        sink.lock().unwrap().push(m.cid().unwrap())
    }));
    let added = service
        .push_message(sign_message(&keys.owner, &transfer).unwrap())
        .unwrap();
    let flowcoin_chain::mpool::Added::Pending {
        cid: transfer_cid, ..
    } = added
    else {
        panic!("the transfer is not pending: {added:?}");
    };
    let times = |cid: Cid| {
        announced
            .lock()
            .unwrap()
            .iter()
            .filter(|c| **c == cid)
            .count()
    };
    assert_eq!(times(transfer_cid), 1, "a local message is announced");
    // While pending it is republished; once in a block, no longer.
    assert!(service.republish() >= 1);
    assert_eq!(
        times(transfer_cid),
        2,
        "a pending local message is republished"
    );
    // And a pledged committed-capacity sector: sealed, pre-committed, proven.
    miner.pledge();
    let from = head.height() + 1;
    mine(&mut service, &mut miner, from, from + 10);
    service.republish();
    assert_eq!(
        times(transfer_cid),
        2,
        "an included message is not republished"
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

/// The service of miner `1000 + index`, its messages paid by the owner.
fn miner_service(repo: &Path, index: u8) -> MinerService {
    MinerService::new(
        MinerConfig {
            id: MINER + u64::from(index),
            worker: Arc::new(worker(index)),
            sender: Arc::new(SecretKey::Ed25519(ed25519::SecretKey::from_seed(&[11; 32]))),
        },
        repo,
    )
}

#[test]
fn a_miner_whose_rival_block_arrived_first_still_joins_the_tipset() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path();
    let keys = keys();
    make_genesis_with(repo, &keys, 2);
    let disk = Arc::new(DiskStore::open(repo.join("db")).unwrap());
    let mut chain = ChainService::open(repo, disk, Some(&repo.join("genesis.car"))).unwrap();
    let mut first = miner_service(repo, 0);
    let mut second = miner_service(repo, 1);
    // Each epoch the first miner's block becomes the head before the second miner works the
    // epoch (as when its block arrives over the network first): the second still produces on
    // the same parent when it wins, and its block joins the head's tipset.
    let mut joined = 0;
    for height in 1..=12 {
        let a = first.work(&mut chain, height).unwrap();
        let b = second.work(&mut chain, height).unwrap();
        let head = chain.head().unwrap();
        if a.produced.is_some() && b.produced.is_some() {
            assert_eq!(head.height(), height);
            assert_eq!(head.blocks().len(), 2, "epoch {height}");
            joined += 1;
        }
        // Once its block is in the head, working the epoch again makes nothing.
        assert!(second.work(&mut chain, height).unwrap().produced.is_none());
    }
    assert!(joined >= 3, "only {joined} epochs with both blocks");
    // An older epoch is never worked again.
    let head = chain.head().unwrap().height();
    assert!(first.work(&mut chain, head - 1).unwrap().produced.is_none());
}

#[test]
fn a_tipset_met_as_a_sibling_of_the_head_is_still_recorded_as_given() {
    // B's head is one miner's block; the other miner's block of the same epoch on the same
    // parent arrives (as in a sync after a partition), and then a child built on that block
    // alone. The child's parent must be known as it was given, not only merged into B's head.
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("a");
    let repo_b = dir.path().join("b");
    std::fs::create_dir_all(&repo).unwrap();
    std::fs::create_dir_all(&repo_b).unwrap();
    let keys = keys();
    make_genesis_with(&repo, &keys, 2);
    let car = repo.join("genesis.car");
    let open = |r: &Path| {
        let disk = Arc::new(DiskStore::open(r.join("db")).unwrap());
        ChainService::open(r, disk, Some(&car)).unwrap()
    };
    let mut a = open(&repo);
    let mut b = open(&repo_b);
    let miners = [miner_service(&repo, 0), miner_service(&repo, 1)];
    let genesis = a.head().unwrap();
    let (x, h1, height) = (1..50)
        .find_map(|height| {
            let x = miners[0].produce_on(&a, &genesis, height).unwrap()?;
            let h1 = miners[1].produce_on(&a, &genesis, height).unwrap()?;
            Some((x, h1, height))
        })
        .expect("both miners win an epoch on the genesis within 50");
    assert!(a.accept(std::slice::from_ref(&x)).unwrap());
    let only_x = a.head().unwrap();
    let child = (height + 1..height + 50)
        .find_map(|h| miners[0].produce_on(&a, &only_x, h).unwrap())
        .expect("a child on X within 50 epochs");

    assert!(b.accept(std::slice::from_ref(&h1)).unwrap());
    b.accept(std::slice::from_ref(&x)).unwrap();
    assert_eq!(
        b.head().unwrap().blocks().len(),
        2,
        "X joins the head's tipset"
    );
    b.accept(std::slice::from_ref(&child))
        .expect("the child's parent, X alone, is known");
    assert!(
        b.store()
            .meta(only_x.key())
            .unwrap()
            .unwrap()
            .executed
            .is_some()
    );
}

#[test]
fn two_miners_share_tipsets_keep_their_power_and_a_heavier_fork_wins() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path();
    let keys = keys();
    make_genesis_with(repo, &keys, 2);
    let disk = Arc::new(DiskStore::open(repo.join("db")).unwrap());
    let mut chain = ChainService::open(repo, disk, Some(&repo.join("genesis.car"))).unwrap();
    let mut miners = [miner_service(repo, 0), miner_service(repo, 1)];
    let period = chain.params().proving_period;

    // Each epoch both miners do their duties and run the election on the same head; their
    // blocks form one tipset.
    let mut shared = 0;
    for height in 1..=period + period / 2 {
        for miner in &mut miners {
            miner.duties(&mut chain, height).unwrap();
        }
        let head = chain.head().unwrap();
        let blocks: Vec<_> = miners
            .iter()
            .filter_map(|m| m.produce_on(&chain, &head, height).unwrap())
            .collect();
        for block in &blocks {
            chain.accept(std::slice::from_ref(block)).unwrap();
        }
        let now = chain.head().unwrap();
        if !blocks.is_empty() {
            assert_eq!(now.blocks().len(), blocks.len(), "epoch {height}");
        }
        if now.blocks().len() == 2 {
            shared += 1;
        }
    }
    assert!(shared > period / 2, "only {shared} two-block tipsets");
    let executed = chain.head_executed().unwrap();
    let tree = StateTree::load(chain.store().blocks().disk(), &executed.state_root).unwrap();
    assert_eq!(
        power_state(&tree).unwrap().total_raw_power,
        StoragePower::from_bytes(4 * 2048),
        "both miners proved every deadline"
    );
    for id in [MINER, MINER + 1] {
        assert!(
            !tree.get_actor(id).unwrap().unwrap().balance.is_zero(),
            "miner {id} earned nothing"
        );
    }

    // A fork: on the head's parent, skip an epoch and have both miners win the next one. Two
    // wins on the same parent outweigh the head's tipset, so the head moves and the reorg
    // reverts the old head.
    let head = chain.head().unwrap();
    let parent = chain.store().load_tipset(&head.parents()).unwrap();
    let old_weight = chain.store().meta(head.key()).unwrap().unwrap().weight;
    let head_wins = head.total_win_count();
    let old_messages: Vec<_> = head
        .blocks()
        .iter()
        .flat_map(|b| chain.store().block_messages(b).unwrap())
        .collect();
    let mut fork = None;
    for height in head.height() + 1..head.height() + 50 {
        let blocks: Vec<_> = miners
            .iter()
            .filter_map(|m| m.produce_on(&chain, &parent, height).unwrap())
            .collect();
        let wins: u64 = blocks.iter().map(|(h, _)| h.election_proof.win_count).sum();
        if blocks.len() == 2 && wins > head_wins {
            fork = Some(blocks);
            break;
        }
    }
    let fork = fork.expect("both miners out-win the head on its parent within 50 epochs");
    assert!(
        chain.accept(&fork).unwrap(),
        "the heavier fork must take over"
    );
    let new_head = chain.head().unwrap();
    assert_eq!(new_head.blocks().len(), 2);
    assert_eq!(new_head.parents(), *parent.key());
    assert!(chain.store().meta(new_head.key()).unwrap().unwrap().weight > old_weight);
    // The reverted head's messages are back in the pool or in the new head.
    let included: Vec<_> = fork.iter().flat_map(|(_, m)| m.clone()).collect();
    for message in &old_messages {
        let cid = message.cid().unwrap();
        assert!(
            chain.mpool().get(&cid).is_some() || included.contains(message),
            "message {cid} of the reverted head was lost"
        );
    }
}

#[test]
fn a_miner_whose_sector_file_disappears_goes_faulty_pays_and_recovers() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path();
    let keys = keys();
    make_genesis(repo, &keys);
    let disk = Arc::new(DiskStore::open(repo.join("db")).unwrap());
    let mut chain = ChainService::open(repo, disk, Some(&repo.join("genesis.car"))).unwrap();
    let mut miner = miner_service(repo, 0);
    let period = chain.params().proving_period;
    let power = |chain: &ChainService| {
        let executed = chain.head_executed().unwrap();
        let tree = StateTree::load(chain.store().blocks().disk(), &executed.state_root).unwrap();
        power_state(&tree).unwrap().total_raw_power
    };
    // Penalties charged while mining `from..=to`.
    let run = |chain: &mut ChainService, miner: &mut MinerService, from: u64, to: u64| {
        let mut penalties = TokenAmount::ZERO;
        for height in from..=to {
            if miner.work(chain, height).unwrap().block {
                let done = chain.head_executed().unwrap();
                penalties = penalties.checked_add(done.penalties).unwrap();
            }
        }
        penalties
    };
    assert!(run(&mut chain, &mut miner, 1, 10).is_zero());
    assert_eq!(power(&chain), StoragePower::from_bytes(4096));

    // Sector 1's replica disappears: the fault detector declares it before its deadline,
    // the power drops, and every deadline end while it is faulty charges the fault fee.
    let replica = sector_store(repo).sector_dir(MINER, 1).join("sealed");
    let backup = repo.join("sealed.bak");
    std::fs::rename(&replica, &backup).unwrap();
    let fees = run(&mut chain, &mut miner, 11, 10 + period);
    assert_eq!(
        power(&chain),
        StoragePower::from_bytes(2048),
        "sector 1 is faulty"
    );
    assert!(!fees.is_zero(), "the faulty sector paid no fee");

    // The file is back: recovery is declared and proven, the power returns, fees stop.
    std::fs::rename(&backup, &replica).unwrap();
    run(&mut chain, &mut miner, 11 + period, 10 + 2 * period);
    assert_eq!(
        power(&chain),
        StoragePower::from_bytes(4096),
        "sector 1 recovered"
    );
    let after = run(&mut chain, &mut miner, 11 + 2 * period, 10 + 3 * period);
    assert!(after.is_zero(), "fees after recovery: {after}");
    assert_eq!(power(&chain), StoragePower::from_bytes(4096));
}

/// Another node's chain service as a peer (what the network's chain exchange will carry).
struct Peer<'a>(&'a ChainService);

impl ChainSource for Peer<'_> {
    fn head(&self) -> Result<(TipsetKey, u64), String> {
        let head = self.0.head().map_err(|e| e.to_string())?;
        Ok((head.key().clone(), head.height()))
    }

    fn tipset(&self, key: &TipsetKey) -> Result<TipsetBlocks, String> {
        let store = self.0.store();
        let tipset = store.load_tipset(key).map_err(|e| e.to_string())?;
        tipset
            .blocks()
            .iter()
            .map(|b| {
                Ok((
                    b.clone(),
                    store.block_messages(b).map_err(|e| e.to_string())?,
                ))
            })
            .collect()
    }
}

/// A peer that announces a forged head: its real head's blocks with one more win claimed
/// (consistent keys, so only validation can tell), the rest of its chain honest.
struct Liar<'a>(Peer<'a>);

impl Liar<'_> {
    fn forged(&self) -> TipsetBlocks {
        let (key, _) = self.0.head().unwrap();
        let mut blocks = self.0.tipset(&key).unwrap();
        for (header, _) in &mut blocks {
            header.election_proof.win_count += 1;
        }
        blocks
    }

    fn forged_key(&self) -> TipsetKey {
        let headers = self.forged().into_iter().map(|(h, _)| h).collect();
        flowcoin_types::tipset::Tipset::new(headers)
            .unwrap()
            .key()
            .clone()
    }
}

impl ChainSource for Liar<'_> {
    fn head(&self) -> Result<(TipsetKey, u64), String> {
        let (_, height) = self.0.head()?;
        Ok((self.forged_key(), height))
    }

    fn tipset(&self, key: &TipsetKey) -> Result<TipsetBlocks, String> {
        if *key == self.forged_key() {
            return Ok(self.forged());
        }
        self.0.tipset(key)
    }
}

#[test]
fn a_late_node_syncs_from_a_peer_and_refuses_a_lying_one() {
    let dir = tempfile::tempdir().unwrap();
    let repo_a = dir.path().join("a");
    let repo_b = dir.path().join("b");
    std::fs::create_dir_all(&repo_a).unwrap();
    std::fs::create_dir_all(&repo_b).unwrap();
    let keys = keys();
    make_genesis(&repo_a, &keys);
    let car = repo_a.join("genesis.car");
    let open = |repo: &Path| {
        let disk = Arc::new(DiskStore::open(repo.join("db")).unwrap());
        ChainService::open(repo, disk, Some(&car)).unwrap()
    };
    let mut a = open(&repo_a);
    let mut miner = miner_service(&repo_a, 0);
    mine(&mut a, &mut miner, 1, 30);
    let b = std::sync::Mutex::new(open(&repo_b));
    assert_eq!(b.lock().unwrap().head().unwrap().height(), 0);

    // A lying peer: its honest history is accepted, its forged head is refused by validation
    // and not stored.
    let lie = sync_from(&b, &Liar(Peer(&a)), 1_000).unwrap_err();
    assert!(
        matches!(
            lie,
            SyncError::Chain(ChainServiceError::InvalidBlock { .. })
        ),
        "{lie}"
    );
    assert_eq!(
        b.lock().unwrap().head().unwrap().key(),
        &a.head().unwrap().parents()
    );

    // The honest peer: B catches up to A's head and state.
    let report = sync_from(&b, &Peer(&a), 1_000).unwrap();
    assert!(report.head_moved);
    assert_eq!(b.lock().unwrap().head().unwrap(), a.head().unwrap());
    assert_eq!(
        b.lock().unwrap().head_executed().unwrap().state_root,
        a.head_executed().unwrap().state_root
    );
    assert_eq!(report.fetched, report.accepted);

    // A mines on; B follows incrementally, fetching only what is new.
    let from = a.head().unwrap().height() + 1;
    mine(&mut a, &mut miner, from, from + 9);
    let again = sync_from(&b, &Peer(&a), 1_000).unwrap();
    assert!(again.fetched <= 10 && again.fetched > 0, "{again:?}");
    assert_eq!(b.lock().unwrap().head().unwrap(), a.head().unwrap());
    // Nothing new: nothing fetched.
    let idle = sync_from(&b, &Peer(&a), 1_000).unwrap();
    assert_eq!(idle.fetched, 0);

    // A peer too far ahead for the bound is not followed.
    let from = a.head().unwrap().height() + 1;
    mine(&mut a, &mut miner, from, from + 9);
    assert!(matches!(
        sync_from(&b, &Peer(&a), 3),
        Err(SyncError::TooDeep(3))
    ));
}

#[test]
fn another_genesis_is_refused_and_the_chain_stays_usable() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("node");
    let other = dir.path().join("other");
    std::fs::create_dir_all(&repo).unwrap();
    std::fs::create_dir_all(&other).unwrap();
    let keys = keys();
    make_genesis(&repo, &keys);
    make_genesis_with(&other, &keys, 2);
    let disk = Arc::new(DiskStore::open(repo.join("db")).unwrap());
    let first = ChainService::open(&repo, disk.clone(), Some(&repo.join("genesis.car"))).unwrap();
    let genesis = first.head().unwrap();
    drop(first);
    let refused = ChainService::open(&repo, disk.clone(), Some(&other.join("genesis.car")));
    assert!(
        matches!(
            refused,
            Err(ChainServiceError::Chain(
                flowcoin_chain::store::ChainError::OtherGenesis { .. }
            ))
        ),
        "{refused:?}"
    );
    // Without --genesis the node opens its own chain, as before.
    let again = ChainService::open(&repo, disk, None).unwrap();
    assert_eq!(again.head().unwrap(), genesis);
}
