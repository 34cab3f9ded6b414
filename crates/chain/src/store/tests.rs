use flowcoin_crypto::SecretKey;
use flowcoin_crypto::ed25519;
use flowcoin_crypto::message::sign_message;
use flowcoin_dag::store::MemoryBlockstore;
use flowcoin_state::receipt::ExitCode;
use flowcoin_types::Network;
use flowcoin_types::block::MessageList;

use super::*;
use crate::genesis::{self, GenesisTemplate};

/// Weight = parent weight + 1 per block (the real formula lives in flowcoin-consensus).
struct CountBlocks;

impl Weigher for CountBlocks {
    fn weight(&self, parent: ChainWeight, tipset: &Tipset, _power: StoragePower) -> ChainWeight {
        ChainWeight(parent.0 + tipset.blocks().len() as u128)
    }
}

struct Fixture {
    store: ChainStore<MemoryBlockstore>,
    premine_key: SecretKey,
    premine: Address,
    genesis_actors: genesis::GenesisActors,
}

fn premine_key() -> SecretKey {
    SecretKey::Ed25519(ed25519::SecretKey::from_seed(&[42; 32]))
}

fn fixture_at(index: Option<&Path>) -> Fixture {
    let key = premine_key();
    let premine = key.public_key().address();
    let template = GenesisTemplate {
        network: Network::Devnet,
        timestamp: 1_700_000_000,
        premine,
        team: Address::from_ed25519_public_key(&[2; 32]),
        super_nodes: genesis::devnet_super_node_addresses().unwrap(),
        miners: Vec::new(),
    };
    let params = NetworkParams::devnet();
    let mut blocks = MemoryBlockstore::new();
    let built = genesis::build_genesis(&template, &params, &mut blocks).unwrap();
    let store = ChainStore::open(index, blocks, &built.block, &built.cid, params).unwrap();
    Fixture {
        store,
        premine_key: key,
        premine,
        genesis_actors: built.actors,
    }
}

/// A block on `parent` at `height` by `miner` (ID of the premine account, standing in for a
/// miner: the reward goes to it) with `messages`; `ticket` varies the block.
fn block_on(
    store: &mut ChainStore<MemoryBlockstore>,
    parent: &Tipset,
    height: u64,
    miner: u64,
    ticket: u8,
    messages: &[SignedMessage],
) -> BlockHeader {
    let executed = store.execute(parent, &GasSchedule::default()).unwrap();
    let weight = store.meta(parent.key()).unwrap().unwrap().weight;
    let list = MessageList {
        messages: messages.iter().map(|m| m.cid().unwrap()).collect(),
    };
    let header = BlockHeader {
        miner: Address::Id(miner),
        ticket: Ticket {
            vrf_proof: Bytes(vec![ticket; 96]),
        },
        election_proof: ElectionProof {
            win_count: 1,
            vrf_proof: Bytes(vec![ticket; 96]),
        },
        win_post_proof: Bytes(Vec::new()),
        parents: parent.key().0.clone(),
        parent_weight: weight,
        height,
        parent_state_root: executed.state_root,
        parent_message_receipts: executed.receipts,
        messages: cbor_cid(&to_cbor("list", &list).unwrap()),
        timestamp: 1_700_000_000 + height * 2,
        parent_base_fee: executed.next_base_fee,
        block_sig: Bytes(Vec::new()),
    };
    store.put_block(&header, messages).unwrap();
    header
}

/// Forms, records and executes the tipset of `blocks`.
fn extend(store: &mut ChainStore<MemoryBlockstore>, blocks: Vec<BlockHeader>) -> Tipset {
    let ts = Tipset::new(blocks).unwrap();
    store.add_tipset(&ts, &CountBlocks).unwrap();
    store.execute(&ts, &GasSchedule::default()).unwrap();
    ts
}

fn transfer(f: &Fixture, nonce: u64, to: Address, flw: u64) -> SignedMessage {
    let message = Message {
        from: f.premine,
        to,
        nonce,
        value: TokenAmount::from_flw(flw),
        gas_limit: 3_000_000,
        gas_fee_cap: TokenAmount::from_atto(1_000_000_000),
        gas_premium: TokenAmount::from_atto(1_000),
        ..Message::default()
    };
    sign_message(&f.premine_key, &message).unwrap()
}

fn balance_at(store: &ChainStore<MemoryBlockstore>, root: &Cid, address: &Address) -> TokenAmount {
    let tree = StateTree::load(store.blocks(), root).unwrap();
    match tree.lookup_id(address).unwrap() {
        Some(id) => tree.get_actor(id).unwrap().unwrap().balance,
        None => TokenAmount::ZERO,
    }
}

#[test]
fn a_chain_of_tipsets_executes_messages_and_pays_rewards() {
    let mut f = fixture_at(None);
    let genesis = f.store.genesis().clone();
    assert_eq!(f.store.head().unwrap(), genesis);
    let bob = Address::from_ed25519_public_key(&[7; 32]);
    let producer = f.genesis_actors.premine;

    let m0 = transfer(&f, 0, bob, 5);
    let b1 = block_on(
        &mut f.store,
        &genesis,
        1,
        producer,
        1,
        std::slice::from_ref(&m0),
    );
    let ts1 = extend(&mut f.store, vec![b1]);
    f.store.set_head(&ts1).unwrap();
    // Height 2 is a null round; height 3 has two blocks sharing a message.
    let m1 = transfer(&f, 1, bob, 7);
    let m2 = transfer(&f, 2, bob, 1);
    let a = block_on(&mut f.store, &ts1, 3, producer, 2, &[m1, m2.clone()]);
    let b = block_on(
        &mut f.store,
        &ts1,
        3,
        producer,
        3,
        std::slice::from_ref(&m2),
    );
    let ts3 = extend(&mut f.store, vec![a, b]);
    let change = f.store.set_head(&ts3).unwrap();
    assert_eq!(change.applied, vec![ts3.clone()]);
    assert!(change.reverted.is_empty());

    let done = f.store.execute(&ts3, &GasSchedule::default()).unwrap();
    assert_eq!(
        balance_at(&f.store, &done.state_root, &bob),
        TokenAmount::from_flw(13)
    );
    let receipts = f.store.receipts(&done).unwrap();
    assert_eq!(receipts.len(), 2, "m2 applied once");
    assert!(receipts.iter().all(|r| r.exit_code == ExitCode::OK));
    assert!(done.gas_used > 0);
    // Executing again returns the recorded result.
    assert_eq!(
        f.store.execute(&ts3, &GasSchedule::default()).unwrap(),
        done
    );
    // The canonical index skips the null round.
    assert_eq!(f.store.canonical_at(2).unwrap(), None);
    assert_eq!(f.store.canonical_at(3).unwrap().as_ref(), Some(ts3.key()));
    let at2 = f.store.tipset_at_or_before(&ts3, 2).unwrap().unwrap();
    assert_eq!(at2, ts1);
    assert_eq!(f.store.tipset_at_or_before(&ts3, 4).unwrap(), None);
    assert_eq!(
        f.store.meta(ts3.key()).unwrap().unwrap().weight,
        ChainWeight(3)
    );

    // A block naming another parent state is refused when executed.
    let mut bad = block_on(&mut f.store, &ts3, 4, producer, 4, &[]);
    bad.parent_state_root = genesis.parent_state_root().unwrap();
    f.store.put_block(&bad, &[]).unwrap();
    let bad_ts = Tipset::new(vec![bad]).unwrap();
    f.store.add_tipset(&bad_ts, &CountBlocks).unwrap();
    assert!(matches!(
        f.store.execute(&bad_ts, &GasSchedule::default()),
        Err(ChainError::ParentStateMismatch { height: 4, .. })
    ));
}

#[test]
fn a_heavier_fork_becomes_canonical_and_reports_the_reorg() {
    let mut f = fixture_at(None);
    let genesis = f.store.genesis().clone();
    let producer = f.genesis_actors.premine;
    let a1 = block_on(&mut f.store, &genesis, 1, producer, 1, &[]);
    let ts_a1 = extend(&mut f.store, vec![a1]);
    let a2 = block_on(&mut f.store, &ts_a1, 2, producer, 2, &[]);
    let ts_a2 = extend(&mut f.store, vec![a2]);
    f.store.set_head(&ts_a2).unwrap();

    // A fork from genesis with two blocks at height 1.
    let b1 = block_on(&mut f.store, &genesis, 1, producer, 11, &[]);
    let b1x = block_on(&mut f.store, &genesis, 1, producer, 12, &[]);
    let ts_b1 = extend(&mut f.store, vec![b1, b1x]);
    let b3 = block_on(&mut f.store, &ts_b1, 3, producer, 13, &[]);
    let ts_b3 = extend(&mut f.store, vec![b3]);
    let change = f.store.set_head(&ts_b3).unwrap();
    assert_eq!(change.reverted, vec![ts_a2.clone(), ts_a1.clone()]);
    assert_eq!(change.applied, vec![ts_b1.clone(), ts_b3.clone()]);
    assert_eq!(f.store.head().unwrap(), ts_b3);
    assert_eq!(f.store.canonical_at(1).unwrap().as_ref(), Some(ts_b1.key()));
    assert_eq!(
        f.store.canonical_at(2).unwrap(),
        None,
        "a2's height is gone"
    );
    // Randomness follows the anchor's chain: the two forks differ at epoch 1.
    let tag = DomainSeparationTag::SealRandomness;
    let on_a = f
        .store
        .randomness(ts_a2.clone())
        .randomness(tag, 1, b"x")
        .unwrap();
    let on_b = f
        .store
        .randomness(ts_b3.clone())
        .randomness(tag, 1, b"x")
        .unwrap();
    assert_ne!(on_a, on_b);
    // Epoch 2 on fork b is a null round: it draws from the ticket of height 1 (same base).
    let r2 = f
        .store
        .randomness(ts_b3.clone())
        .randomness(tag, 2, b"x")
        .unwrap();
    let expected = draw_randomness(&ts_b1.blocks()[0].ticket.vrf_proof.0, tag, 2, b"x");
    assert_eq!(r2, expected);
    // Rounds after the anchor draw from the anchor's ticket, each round its own value.
    let r4 = f
        .store
        .randomness(ts_b3.clone())
        .randomness(tag, 4, b"x")
        .unwrap();
    let r5 = f
        .store
        .randomness(ts_b3.clone())
        .randomness(tag, 5, b"x")
        .unwrap();
    assert_eq!(
        r4,
        draw_randomness(&ts_b3.blocks()[0].ticket.vrf_proof.0, tag, 4, b"x")
    );
    assert_ne!(r4, r5);
}

#[test]
fn the_head_survives_reopening_and_another_genesis_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chain.redb");
    let (head, blocks) = {
        let mut f = fixture_at(Some(&path));
        let genesis = f.store.genesis().clone();
        let producer = f.genesis_actors.premine;
        let b1 = block_on(&mut f.store, &genesis, 1, producer, 1, &[]);
        let ts1 = extend(&mut f.store, vec![b1]);
        f.store.set_head(&ts1).unwrap();
        (ts1, f.store.into_blocks())
    };
    let template_genesis = {
        // Reopen with the same genesis: the head is back.
        let key = premine_key();
        let template = GenesisTemplate {
            network: Network::Devnet,
            timestamp: 1_700_000_000,
            premine: key.public_key().address(),
            team: Address::from_ed25519_public_key(&[2; 32]),
            super_nodes: genesis::devnet_super_node_addresses().unwrap(),
            miners: Vec::new(),
        };
        let mut scratch = MemoryBlockstore::new();
        genesis::build_genesis(&template, &NetworkParams::devnet(), &mut scratch).unwrap()
    };
    let store = ChainStore::open(
        Some(&path),
        blocks,
        &template_genesis.block,
        &template_genesis.cid,
        NetworkParams::devnet(),
    )
    .unwrap();
    assert_eq!(store.head().unwrap(), head);
    let blocks = store.into_blocks();
    let mut other = template_genesis.block;
    other.timestamp += 1;
    let other_cid = cbor_cid(&to_cbor("genesis", &other).unwrap());
    assert!(matches!(
        ChainStore::open(
            Some(&path),
            blocks,
            &other,
            &other_cid,
            NetworkParams::devnet()
        ),
        Err(ChainError::OtherGenesis { .. })
    ));
}

#[test]
fn blocks_whose_message_list_does_not_match_are_refused() {
    let mut f = fixture_at(None);
    let genesis = f.store.genesis().clone();
    let producer = f.genesis_actors.premine;
    let m0 = transfer(&f, 0, Address::from_ed25519_public_key(&[7; 32]), 1);
    let header = block_on(
        &mut f.store,
        &genesis,
        1,
        producer,
        1,
        std::slice::from_ref(&m0),
    );
    assert!(matches!(
        f.store.put_block(&header, &[]),
        Err(ChainError::MessagesMismatch { count: 0, .. })
    ));
    let cid = header.cid().unwrap();
    assert_eq!(f.store.block(&cid).unwrap(), header);
    assert_eq!(f.store.block_messages(&header).unwrap(), vec![m0]);
}
