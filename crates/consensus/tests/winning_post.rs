//! A real Winning PoSt: a genesis miner whose two 2 KiB sectors are sealed here proves the
//! sector its randomness challenges; the proof verifies against the sector set read from the
//! state, and fails for another miner, height, chain, sector set or mutated bytes. Then the
//! whole of a block's consensus fields: ticket, election proof, Winning PoSt, signature,
//! weight.

mod support;

use flowcoin_consensus::block_sig::{sign_block, verify_block_signature};
use flowcoin_consensus::election::{
    ElectionPower, make_election_proof, make_ticket, verify_election_proof, verify_ticket,
};
use flowcoin_consensus::weight::{tipset_weight, weight_power};
use flowcoin_consensus::winning_post::{
    WinningPostChallenge, WinningPostError, challenged_sector, verify_winning_post,
    winning_post_randomness, winning_post_type,
};
use flowcoin_crypto::bls;
use flowcoin_crypto::randomness::FixedRandomness;
use flowcoin_dag::store::MemoryBlockstore;
use flowcoin_proofs::sdr::post::{
    PostProof, PostVerifyError, PrivateSector, PublicSector, prove_winning,
};
use flowcoin_state::actor::miner::{
    self, GenesisMiner, GenesisSector, miner_state, provable_sectors,
};
use flowcoin_state::actor::power::miner_power;
use flowcoin_state::actor::{AccountState, ActorCode, ActorId, ActorState};
use flowcoin_state::state_tree::StateTree;
use flowcoin_types::block::{BlockHeader, ChainWeight};
use flowcoin_types::message::{Bytes, cbor_cid};
use flowcoin_types::tipset::Tipset;
use flowcoin_types::{Address, NetworkParams, SectorSize, StoragePower, TokenAmount};
use support::{SIZE, seal_sector};

type Tree = StateTree<MemoryBlockstore>;

fn add_account(tree: &mut Tree, address: Address) -> ActorId {
    let id = tree.register_new_address(&address).unwrap();
    let head = tree.put_state(&AccountState { address }).unwrap();
    tree.set_actor(id, ActorState::new(ActorCode::Account, head))
        .unwrap();
    id
}

/// A state with one genesis miner holding two sealed 2 KiB sectors.
struct Fixture {
    _dir: tempfile::TempDir,
    tree: Tree,
    params: NetworkParams,
    miner: ActorId,
    worker: bls::SecretKey,
    private: Vec<PrivateSector>,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let params = NetworkParams::devnet();
    let mut tree = StateTree::with_singletons(MemoryBlockstore::new(), "devnet").unwrap();
    let worker = bls::SecretKey::from_seed(&[42; 32]).unwrap();
    let worker_address = Address::Bls(worker.public_key().to_bytes());
    add_account(&mut tree, Address::from_ed25519_public_key(&[1; 32]));
    let worker_id = add_account(&mut tree, worker_address);
    // The miner is the next actor: seal for its prover ID before creating it.
    let miner_id = worker_id + 1;
    let sealed: Vec<_> = (0..2)
        .map(|n| seal_sector(dir.path(), miner_id, n))
        .collect();
    let genesis = GenesisMiner {
        owner: Address::from_ed25519_public_key(&[1; 32]),
        worker: worker_address,
        sector_size: SIZE,
        peer_id: Vec::new(),
        seed: b"consensus test miner".to_vec(),
        sectors: sealed
            .iter()
            .map(|(s, p)| GenesisSector {
                sector_number: p.sector_number,
                comm_r: s.comm_r,
                comm_d: s.comm_d,
                expiration: 10_000,
            })
            .collect(),
    };
    let created = miner::create_genesis_miner(&mut tree, &params, &genesis).unwrap();
    assert_eq!(created, miner_id);
    Fixture {
        _dir: dir,
        tree,
        params,
        miner: miner_id,
        worker,
        private: sealed.into_iter().map(|(_, p)| p).collect(),
    }
}

impl Fixture {
    fn sector_set(&self) -> Vec<PublicSector> {
        let (_, state) = miner_state(&self.tree, self.miner).unwrap().unwrap();
        provable_sectors(&self.tree, &state).unwrap()
    }

    /// The producer's side: draw, pick the challenged sector, prove it from its files.
    fn prove(&self, source: &FixedRandomness, miner: ActorId, height: u64) -> Vec<u8> {
        let randomness = winning_post_randomness(source, miner, height).unwrap();
        let chosen = challenged_sector(miner, &randomness, &self.sector_set()).unwrap();
        let private = self
            .private
            .iter()
            .find(|p| p.sector_number == chosen.sector_number)
            .unwrap();
        prove_winning(
            winning_post_type(SIZE).unwrap(),
            &miner::prover_id(miner),
            &randomness,
            std::slice::from_ref(private),
        )
        .unwrap()
        .encode(false)
    }
}

#[test]
fn a_real_winning_post_verifies_and_fails_for_other_challenges() {
    let f = fixture();
    let set = f.sector_set();
    assert_eq!(set.len(), 2);
    let chain = FixedRandomness::new(b"winning post chain".to_vec());
    let height = 77;
    let proof = f.prove(&chain, f.miner, height);
    let challenge = WinningPostChallenge {
        miner: f.miner,
        height,
        randomness: &chain,
        sector_size: SIZE,
        sector_set: &set,
    };
    verify_winning_post(&challenge, &proof).unwrap();

    // The challenged sector moves with the randomness: over a few heights both sectors are
    // drawn, and each height's proof verifies.
    let mut drawn = std::collections::BTreeSet::new();
    for h in 1..=12 {
        let r = winning_post_randomness(&chain, f.miner, h).unwrap();
        drawn.insert(challenged_sector(f.miner, &r, &set).unwrap().sector_number);
    }
    assert_eq!(
        drawn.len(),
        2,
        "both sectors are challenged within 12 epochs"
    );

    let invalid = |c: &WinningPostChallenge<'_>, bytes: &[u8]| {
        matches!(
            verify_winning_post(c, bytes),
            Err(WinningPostError::Invalid(_))
        )
    };
    // Another miner (other entropy, other prover ID), height or chain draws other leaves.
    let other_miner = WinningPostChallenge {
        miner: f.miner + 1,
        ..challenge
    };
    assert!(invalid(&other_miner, &proof));
    let other_height = WinningPostChallenge {
        height: height + 1,
        ..challenge
    };
    assert!(invalid(&other_height, &proof));
    let other_chain_source = FixedRandomness::new(b"another chain".to_vec());
    let other_chain = WinningPostChallenge {
        randomness: &other_chain_source,
        ..challenge
    };
    assert!(invalid(&other_chain, &proof));

    // The proof of another miner over the same sectors does not pass for this one either.
    let foreign = f.prove(&chain, f.miner + 1, height);
    assert!(invalid(&challenge, &foreign));

    // A sector set whose CommR differs, or that lacks the proven sector, refuses the proof.
    let decoded = PostProof::decode(&proof, false).unwrap();
    let proven = decoded.sectors[0].sector_number;
    let forged: Vec<PublicSector> = set
        .iter()
        .map(|s| PublicSector {
            comm_r: [7; 32],
            ..*s
        })
        .collect();
    assert_eq!(
        verify_winning_post(
            &WinningPostChallenge {
                sector_set: &forged,
                ..challenge
            },
            &proof
        ),
        Err(WinningPostError::Invalid(PostVerifyError::CommR(proven)))
    );
    let without: Vec<PublicSector> = set
        .iter()
        .copied()
        .filter(|s| s.sector_number != proven)
        .collect();
    assert!(invalid(
        &WinningPostChallenge {
            sector_set: &without,
            ..challenge
        },
        &proof
    ));

    // Mutated proofs: every 97th byte flipped, truncations; never a panic, never a pass.
    for i in (0..proof.len()).step_by(97) {
        let mut bad = proof.clone();
        bad[i] ^= 0x01;
        assert!(
            verify_winning_post(&challenge, &bad).is_err(),
            "flipped byte {i} of {}",
            proof.len()
        );
    }
    for cut in [0, 1, proof.len() / 2, proof.len() - 1] {
        assert!(matches!(
            verify_winning_post(&challenge, &proof[..cut]),
            Err(WinningPostError::Decode(_))
        ));
    }
    // A Window PoSt encoding is not a Winning PoSt.
    assert!(matches!(
        verify_winning_post(&challenge, &decoded.encode(true)),
        Err(WinningPostError::Decode(_))
    ));
}

#[test]
fn a_block_from_a_genesis_miner_passes_every_consensus_check() {
    let f = fixture();
    let chain = FixedRandomness::new(b"block chain".to_vec());
    let key = Address::Bls(f.worker.public_key().to_bytes());
    let claim = miner_power(&f.tree, f.miner, f.params.min_miner_power)
        .unwrap()
        .unwrap();
    assert!(claim.eligible);
    // The only miner: all the power, λ = E, it wins almost every epoch.
    let power = ElectionPower {
        miner_power: claim.raw_power,
        total_power: claim.total_eligible_power,
        expected_leaders: f.params.expected_leaders_per_epoch,
    };
    assert_eq!(power.miner_power, StoragePower(2 * SIZE.bytes() as u128));
    let (height, election) = (1..20)
        .find_map(|h| {
            make_election_proof(&f.worker, &chain, f.miner, h, &power)
                .unwrap()
                .map(|p| (h, p))
        })
        .unwrap();
    let ticket = make_ticket(&f.worker, &chain, f.miner, height).unwrap();
    let parent_power = weight_power(&f.tree).unwrap();
    assert_eq!(parent_power, StoragePower(4096));
    let mut header = BlockHeader {
        miner: Address::Id(f.miner),
        ticket,
        election_proof: election,
        win_post_proof: Bytes(f.prove(&chain, f.miner, height)),
        parents: vec![cbor_cid(b"genesis")],
        parent_weight: ChainWeight(0),
        height,
        parent_state_root: cbor_cid(b"parent state"),
        parent_message_receipts: cbor_cid(b"receipts"),
        messages: cbor_cid(b"messages"),
        timestamp: 1_700_000_000 + 30 * height,
        parent_base_fee: TokenAmount::from_atto(100),
        block_sig: Bytes(Vec::new()),
    };
    sign_block(&f.worker, &mut header).unwrap();

    // What a validator checks, from the header and the (lookback) state.
    let header = BlockHeader::from_cbor(&header.to_cbor().unwrap()).unwrap();
    let Address::Id(miner) = header.miner else {
        panic!("the miner is an ID address")
    };
    let (_, state) = miner_state(&f.tree, miner).unwrap().unwrap();
    assert_eq!(state.info.worker_key, key);
    verify_block_signature(&state.info.worker_key, &header).unwrap();
    verify_ticket(
        &state.info.worker_key,
        &chain,
        miner,
        header.height,
        &header.ticket,
    )
    .unwrap();
    verify_election_proof(
        &state.info.worker_key,
        &chain,
        miner,
        header.height,
        &power,
        &header.election_proof,
    )
    .unwrap();
    let set = provable_sectors(&f.tree, &state).unwrap();
    verify_winning_post(
        &WinningPostChallenge {
            miner,
            height: header.height,
            randomness: &chain,
            sector_size: SectorSize::try_from(state.info.sector_size).unwrap(),
            sector_set: &set,
        },
        &header.win_post_proof.0,
    )
    .unwrap();

    // Its tipset's weight: log2(4096) = 12, 256·12 = 3072, plus ⌊3072·wins/10⌋.
    let wins = header.election_proof.win_count;
    let tipset = Tipset::new(vec![header]).unwrap();
    assert_eq!(
        tipset_weight(&tipset, parent_power, 5),
        ChainWeight(3072 + 3072 * u128::from(wins) / 10)
    );
}
