use flowcoin_dag::store::MemoryBlockstore;
use flowcoin_types::economics::GenesisAllocation;
use proptest::prelude::*;

use super::*;

pub(super) fn template() -> GenesisTemplate {
    GenesisTemplate {
        network: Network::Devnet,
        timestamp: 1_700_000_000,
        premine: Address::from_ed25519_public_key(&[1; 32]),
        team: Address::from_ed25519_public_key(&[2; 32]),
        super_nodes: devnet_super_node_addresses().unwrap(),
        miners: Vec::new(),
    }
}

fn build(template: &GenesisTemplate) -> (Genesis, MemoryBlockstore) {
    let mut store = MemoryBlockstore::new();
    let genesis = build_genesis(template, &NetworkParams::devnet(), &mut store).unwrap();
    (genesis, store)
}

fn refused(template: &GenesisTemplate) -> GenesisError {
    build_genesis(
        template,
        &NetworkParams::devnet(),
        &mut MemoryBlockstore::new(),
    )
    .unwrap_err()
}

fn written(template: &GenesisTemplate) -> (tempfile::TempDir, std::path::PathBuf, Genesis) {
    let (genesis, store) = build(template);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("genesis.car");
    write_car(&genesis, &store, &path).unwrap();
    (dir, path, genesis)
}

#[test]
fn building_twice_gives_the_same_cid() {
    let (a, _) = build(&template());
    let (b, _) = build(&template());
    assert_eq!(a, b);
    let mut later = template();
    later.timestamp += 1;
    assert_ne!(build(&later).0.cid, a.cid);
    let mut main = template();
    main.network = Network::Mainnet;
    let mut store = MemoryBlockstore::new();
    let on_main = build_genesis(&main, &NetworkParams::mainnet(), &mut store).unwrap();
    assert_ne!(on_main.block.state_root, a.block.state_root);
    assert_eq!(on_main.block.network_name, "mainnet");
}

#[test]
fn totals_are_exact_in_atto() {
    let (genesis, store) = build(&template());
    let report = inspect_store(&store, &genesis.cid).unwrap();
    let flw = |n: u128| n * 1_000_000_000_000_000_000;
    assert_eq!(report.premine.amount.atto(), flw(31_000_000));
    assert_eq!(report.premine.address, template().premine);
    assert_eq!(report.premine.id, genesis.actors.premine);
    assert_eq!(report.super_nodes.members.len(), 50);
    assert_eq!(report.super_nodes.each().unwrap().atto(), flw(930_000));
    assert_eq!(report.super_nodes.total.atto(), flw(46_500_000));
    let addresses: Vec<_> = report
        .super_nodes
        .members
        .iter()
        .map(|m| m.address)
        .collect();
    assert_eq!(addresses, template().super_nodes);
    assert_eq!(report.team.total.atto(), flw(15_500_000));
    assert_eq!(report.team.balance.atto(), flw(15_500_000));
    assert_eq!(report.team.unlocked_at_genesis, TokenAmount::ZERO);
    assert_eq!(report.team.monthly_step.atto(), flw(155_000));
    assert_eq!(report.team.epochs_per_month, 1_296_000);
    assert_eq!(report.team.beneficiary.address, template().team);
    assert_eq!(report.team.beneficiary.amount, TokenAmount::ZERO);
    assert_eq!(report.mining_pool.atto(), flw(217_000_000));
    assert_eq!(report.total.atto(), flw(310_000_000));
    let sum = report.premine.amount.atto()
        + report.super_nodes.total.atto()
        + report.team.balance.atto()
        + report.mining_pool.atto()
        + report.others.iter().map(|o| o.balance.atto()).sum::<u128>();
    assert_eq!(sum, flw(310_000_000));
    let other_ids: Vec<_> = report.others.iter().map(|o| o.id).collect();
    assert!(other_ids.contains(&0) && other_ids.contains(&1) && other_ids.contains(&99));
    assert!(other_ids.contains(&genesis.actors.super_node_registry));
    assert_eq!(
        report.block.params,
        ParamsSummary::of(&NetworkParams::devnet())
    );
}

#[test]
fn the_car_round_trips_through_inspect() {
    let (_dir, path, genesis) = written(&template());
    let report = inspect(&path).unwrap();
    assert_eq!(report.genesis_cid, genesis.cid);
    assert_eq!(report.state_root(), genesis.block.state_root);
    assert_eq!(report.network, Network::Devnet);
    assert_eq!(report.block.timestamp, 1_700_000_000);
    assert!(report.blocks > 50, "{}", report.blocks);
    assert_eq!(report.total, TokenAmount::TOTAL_SUPPLY);
    // The header's only root is the genesis block.
    let reader = flowcoin_dag::car::CarReader::new(std::fs::File::open(&path).unwrap()).unwrap();
    assert_eq!(reader.header().roots, vec![genesis.cid]);
    // No temporary file is left behind.
    let names: Vec<_> = std::fs::read_dir(path.parent().unwrap()).unwrap().collect();
    assert_eq!(names.len(), 1);
}

#[test]
fn bad_templates_are_refused_clearly() {
    let mut short = template();
    short.super_nodes.pop();
    let err = refused(&short);
    assert!(
        matches!(err, GenesisError::SuperNodeCount { found: 49 }),
        "{err}"
    );
    assert!(err.to_string().contains("exactly 50"), "{err}");

    let mut duplicate = template();
    duplicate.super_nodes[7] = duplicate.premine;
    let err = refused(&duplicate);
    assert!(
        matches!(err, GenesisError::DuplicateAddress { .. }),
        "{err}"
    );
    assert!(err.to_string().contains("super node 7"), "{err}");

    let mut same_node = template();
    same_node.super_nodes[3] = same_node.super_nodes[2];
    assert!(matches!(
        refused(&same_node),
        GenesisError::DuplicateAddress {
            first: GenesisRole::SuperNode(2),
            second: GenesisRole::SuperNode(3),
            ..
        }
    ));

    let mut id = template();
    id.team = Address::Id(5);
    let err = refused(&id);
    assert!(matches!(err, GenesisError::NotAKeyAddress { .. }), "{err}");
    assert!(err.to_string().contains("t05"), "{err}");

    let mut actor = template();
    actor.premine = Address::new_actor(b"x");
    assert!(matches!(
        refused(&actor),
        GenesisError::NotAKeyAddress { .. }
    ));

    let mut main = template();
    main.network = Network::Mainnet;
    let err = refused(&main);
    assert!(matches!(err, GenesisError::WrongNetwork { .. }), "{err}");
    assert!(err.to_string().contains("mainnet"), "{err}");
}

#[test]
fn a_truncated_car_is_refused() {
    let (_dir, path, _) = written(&template());
    let bytes = std::fs::read(&path).unwrap();
    for cut in [1, 10, bytes.len() / 2, bytes.len() - 1] {
        std::fs::write(&path, &bytes[..cut]).unwrap();
        let err = inspect(&path).unwrap_err();
        assert!(
            matches!(
                err,
                GenesisCarError::Car { .. }
                    | GenesisCarError::Malformed { .. }
                    | GenesisCarError::MissingBlock { .. }
            ),
            "cut at {cut}: {err}"
        );
    }
    // Cut at a section boundary: the CAR reads, but the state is incomplete.
    let reader = flowcoin_dag::car::CarReader::new(bytes.as_slice()).unwrap();
    let (mut at, mut last) = (usize::try_from(reader.position()).unwrap(), 0);
    while at < bytes.len() {
        let (len, used) = flowcoin_dag::varint::decode(&bytes[at..]).unwrap();
        last = at;
        at += used + usize::try_from(len).unwrap();
    }
    std::fs::write(&path, &bytes[..last]).unwrap();
    let err = inspect(&path).unwrap_err();
    assert!(matches!(err, GenesisCarError::MissingBlock { .. }), "{err}");
    assert!(err.to_string().contains("missing from the CAR"), "{err}");
}

#[test]
fn a_wrong_total_is_refused() {
    let (genesis, mut store) = build(&template());
    let mut tree = StateTree::load(&store, &genesis.block.state_root).unwrap();
    let mut premine = tree.get_actor(genesis.actors.premine).unwrap().unwrap();
    premine.balance = premine
        .balance
        .checked_add(TokenAmount::from_atto(1))
        .unwrap();
    tree.set_actor(genesis.actors.premine, premine).unwrap();
    let mut sink = MemoryBlockstore::new();
    let state_root = tree.flush_to(&mut sink).unwrap();
    for cid in sink.cids() {
        store.put(&cid, &sink.get(&cid).unwrap().unwrap()).unwrap();
    }
    let block = GenesisBlock {
        state_root,
        ..genesis.block.clone()
    };
    let bytes = to_cbor("genesis block", &block).unwrap();
    let cid = cbor_cid(&bytes);
    store.put(&cid, &bytes).unwrap();
    let err = inspect_store(&store, &cid).unwrap_err();
    assert!(matches!(err, GenesisCarError::WrongTotal { .. }), "{err}");
    assert!(err.to_string().contains("310000000 FLW"), "{err}");
}

#[test]
fn devnet_keys_are_fixed_and_distinct() {
    let a = devnet_super_node_addresses().unwrap();
    assert_eq!(a, devnet_super_node_addresses().unwrap());
    let mut sorted = a.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), 50);
    assert!(a.iter().all(|x| x.protocol() == Protocol::Bls));
    assert_eq!(
        devnet_super_node_key(3).unwrap().public_key().address(),
        a[3]
    );
}

#[test]
fn the_genesis_block_is_a_five_tuple() {
    let (genesis, _) = build(&template());
    let bytes = to_cbor("genesis block", &genesis.block).unwrap();
    assert_eq!(bytes[0], 0x85);
    let back: GenesisBlock =
        flowcoin_types::message::from_cbor("genesis block", &bytes, MAX_GENESIS_BLOCK_BYTES)
            .unwrap();
    assert_eq!(back, genesis.block);
    assert_eq!(GenesisAllocation::SUPER_NODE_COUNT, 50);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Every single-byte change of a genesis CAR is refused.
    #[test]
    fn a_flipped_byte_is_refused(at in any::<prop::sample::Index>(), bit in 0u8..8) {
        let (dir, path, _) = written(&template());
        let mut bytes = std::fs::read(&path).unwrap();
        let at = at.index(bytes.len());
        bytes[at] ^= 1 << bit;
        let flipped = dir.path().join("flipped.car");
        std::fs::write(&flipped, &bytes).unwrap();
        prop_assert!(inspect(&flipped).is_err(), "flip at {} bit {} was accepted", at, bit);
    }
}

/// The circulating supply read from the state (balances minus the unminted pool, burnt funds
/// and the unvested team tokens) equals the economics formula (premine + super nodes + team
/// vested + minted − burnt), at month boundaries and after block rewards.
#[test]
fn circulating_supply_from_state_matches_the_economics_formula() {
    use flowcoin_state::actor::award_block_reward;
    use flowcoin_state::supply::circulating_supply;
    use flowcoin_types::economics::{self, EpochDuration, TeamVesting};

    let (genesis, store) = build(&template());
    let mut tree = StateTree::load(store, &genesis.block.state_root).unwrap();
    let epoch_duration = EpochDuration::from_secs(2).unwrap();
    let vesting = TeamVesting::new(epoch_duration);
    let month = epoch_duration.epochs_per_month();
    let formula = |epoch, minted| {
        economics::circulating_supply(
            &vesting,
            epoch,
            minted,
            TokenAmount::ZERO,
            TokenAmount::ZERO,
        )
        .unwrap()
    };
    let genesis_supply = GenesisAllocation::PREMINE
        .checked_add(GenesisAllocation::SUPER_NODES)
        .unwrap();
    assert_eq!(circulating_supply(&tree, 0).unwrap(), genesis_supply);
    for epoch in [0, month - 1, month, 3 * month + 5, 100 * month, 200 * month] {
        assert_eq!(
            circulating_supply(&tree, epoch).unwrap(),
            formula(epoch, TokenAmount::ZERO),
            "epoch {epoch}"
        );
    }
    let winner = genesis.actors.premine;
    let mut minted = TokenAmount::ZERO;
    for epoch in 1..=20 {
        let paid = award_block_reward(&mut tree, epoch, &[(winner, 1)]).unwrap();
        minted = minted.checked_add(paid.total_paid).unwrap();
    }
    assert!(!minted.is_zero());
    assert_eq!(circulating_supply(&tree, 20).unwrap(), formula(20, minted));
    assert_eq!(
        circulating_supply(&tree, 20).unwrap(),
        genesis_supply.checked_add(minted).unwrap()
    );
}
