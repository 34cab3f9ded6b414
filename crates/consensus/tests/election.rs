//! Tickets, election proofs and block signatures with real BLS keys: honest ones verify, and
//! every tampering (proof bytes, win count, key, miner, epoch, randomness, header field) is
//! refused with its own error.

use flowcoin_consensus::block_sig::{
    BlockSigError, block_signature, sign_block, signing_bytes, verify_block_signature,
};
use flowcoin_consensus::election::{
    ElectionError, ElectionPower, VrfUse, election_input, make_election_proof, make_ticket,
    ticket_input, verify_election_proof, verify_ticket,
};
use flowcoin_consensus::worker::WorkerKeyError;
use flowcoin_crypto::bls;
use flowcoin_crypto::randomness::{FixedRandomness, RandomnessError};
use flowcoin_crypto::vrf::{VrfError, vrf_output};
use flowcoin_types::block::{BlockHeader, ChainWeight, ElectionProof, Ticket};
use flowcoin_types::message::{Bytes, cbor_cid};
use flowcoin_types::{Address, StoragePower, TokenAmount};

const MINER: u64 = 1000;

fn worker(seed: u8) -> bls::SecretKey {
    bls::SecretKey::from_seed(&[seed; 32]).unwrap()
}

fn address_of(sk: &bls::SecretKey) -> Address {
    Address::Bls(sk.public_key().to_bytes())
}

fn chain() -> FixedRandomness {
    FixedRandomness::new(b"flowcoin test chain".to_vec())
}

fn power(miner: u128, total: u128) -> ElectionPower {
    ElectionPower {
        miner_power: StoragePower(miner),
        total_power: StoragePower(total),
        expected_leaders: 5,
    }
}

/// The first height ≥ 1 at which the miner wins with `power`, and its proof.
fn winning_epoch(sk: &bls::SecretKey, power: &ElectionPower) -> (u64, ElectionProof) {
    (1..200)
        .find_map(|h| {
            make_election_proof(sk, &chain(), MINER, h, power)
                .unwrap()
                .map(|p| (h, p))
        })
        .expect("a miner with a fifth of the power wins within 200 epochs")
}

/// Byte positions to flip in a 96-byte proof: the compression flags, the start, the middle,
/// the end.
const FLIPS: [usize; 6] = [0, 1, 17, 47, 48, 95];

#[test]
fn tickets_verify_and_tampered_ones_do_not() {
    let sk = worker(1);
    let key = address_of(&sk);
    let source = chain();
    let ticket = make_ticket(&sk, &source, MINER, 42).unwrap();
    assert_eq!(ticket.vrf_proof.0.len(), 96);
    verify_ticket(&key, &source, MINER, 42, &ticket).unwrap();
    // The ticket is the VRF over the randomness of epoch 41: deterministic.
    assert_eq!(make_ticket(&sk, &source, MINER, 42).unwrap(), ticket);
    assert_eq!(
        ticket.vrf_proof.0,
        sk.sign(&ticket_input(&source, MINER, 42).unwrap())
            .to_bytes()
            .to_vec()
    );

    let bad_vrf = |r: Result<(), ElectionError>| {
        matches!(
            r,
            Err(ElectionError::BadVrf {
                what: VrfUse::Ticket,
                ..
            })
        )
    };
    // Another epoch, miner, key or chain.
    assert!(bad_vrf(verify_ticket(&key, &source, MINER, 43, &ticket)));
    assert!(bad_vrf(verify_ticket(
        &key,
        &source,
        MINER + 1,
        42,
        &ticket
    )));
    assert!(bad_vrf(verify_ticket(
        &address_of(&worker(2)),
        &source,
        MINER,
        42,
        &ticket
    )));
    let other_chain = FixedRandomness::new(b"another chain".to_vec());
    assert!(bad_vrf(verify_ticket(
        &key,
        &other_chain,
        MINER,
        42,
        &ticket
    )));
    // Every flipped bit position, truncated, extended and empty proofs.
    for i in FLIPS {
        for bit in [0x01, 0x80] {
            let mut t = ticket.clone();
            t.vrf_proof.0[i] ^= bit;
            assert!(
                bad_vrf(verify_ticket(&key, &source, MINER, 42, &t)),
                "byte {i} bit {bit:#x}"
            );
        }
    }
    for bytes in [
        Vec::new(),
        ticket.vrf_proof.0[..95].to_vec(),
        [ticket.vrf_proof.0.clone(), vec![0]].concat(),
        vec![0; 96],
    ] {
        let t = Ticket {
            vrf_proof: Bytes(bytes),
        };
        assert!(bad_vrf(verify_ticket(&key, &source, MINER, 42, &t)));
    }
    // An election proof's VRF is not a ticket (domain separation).
    let election = sk.sign(&election_input(&source, MINER, 42).unwrap());
    let swapped = Ticket {
        vrf_proof: Bytes(election.to_bytes().to_vec()),
    };
    assert!(bad_vrf(verify_ticket(&key, &source, MINER, 42, &swapped)));
}

#[test]
fn tickets_cannot_be_made_or_checked_without_randomness() {
    let sk = worker(1);
    // Height 0 would draw epoch −1.
    assert_eq!(
        make_ticket(&sk, &chain(), MINER, 0),
        Err(ElectionError::Randomness {
            what: VrfUse::Ticket,
            source: RandomnessError::NegativeEpoch { epoch: -1 }
        })
    );
    let ticket = make_ticket(&sk, &chain(), MINER, 1).unwrap();
    assert!(matches!(
        verify_ticket(
            &address_of(&sk),
            &flowcoin_crypto::randomness::NoRandomness,
            MINER,
            1,
            &ticket
        ),
        Err(ElectionError::Randomness { .. })
    ));
    assert_eq!(
        verify_ticket(&Address::Id(7), &chain(), MINER, 1, &ticket),
        Err(ElectionError::WorkerKey(WorkerKeyError::NotBls {
            protocol: flowcoin_types::address::Protocol::Id
        }))
    );
}

#[test]
fn election_proofs_verify_and_tampered_ones_do_not() {
    let sk = worker(3);
    let key = address_of(&sk);
    let source = chain();
    let p = power(1, 5);
    let (h, proof) = winning_epoch(&sk, &p);
    assert!(proof.win_count >= 1 && proof.win_count <= 15);
    assert_eq!(proof.win_count, p.win_count(&proof.vrf_proof.0));
    verify_election_proof(&key, &source, MINER, h, &p, &proof).unwrap();

    // The claimed win count must be the computed one, and at least 1.
    for claimed in [proof.win_count + 1, proof.win_count - 1, 15, 16, u64::MAX] {
        let tampered = ElectionProof {
            win_count: claimed,
            ..proof.clone()
        };
        let got = verify_election_proof(&key, &source, MINER, h, &p, &tampered);
        if claimed == 0 {
            assert_eq!(got, Err(ElectionError::ZeroWinCount));
        } else {
            assert_eq!(
                got,
                Err(ElectionError::WinCountMismatch {
                    claimed,
                    computed: proof.win_count
                })
            );
        }
    }
    // Other powers recompute another count (or none).
    assert_eq!(
        verify_election_proof(&key, &source, MINER, h, &power(0, 5), &proof),
        Err(ElectionError::WinCountMismatch {
            claimed: proof.win_count,
            computed: 0
        })
    );

    let bad_vrf = |r: Result<(), ElectionError>| {
        matches!(
            r,
            Err(ElectionError::BadVrf {
                what: VrfUse::Election,
                ..
            })
        )
    };
    assert!(bad_vrf(verify_election_proof(
        &key,
        &source,
        MINER,
        h + 1,
        &p,
        &proof
    )));
    assert!(bad_vrf(verify_election_proof(
        &key,
        &source,
        MINER + 1,
        h,
        &p,
        &proof
    )));
    assert!(bad_vrf(verify_election_proof(
        &address_of(&worker(4)),
        &source,
        MINER,
        h,
        &p,
        &proof
    )));
    for i in FLIPS {
        let mut t = proof.clone();
        t.vrf_proof.0[i] ^= 0x01;
        assert!(
            bad_vrf(verify_election_proof(&key, &source, MINER, h, &p, &t)),
            "byte {i}"
        );
    }
    // A ticket of the next epoch signs the same epoch's randomness under another tag: refused.
    let ticket = make_ticket(&sk, &source, MINER, h + 1).unwrap();
    let swapped = ElectionProof {
        win_count: p.win_count(&ticket.vrf_proof.0).max(1),
        vrf_proof: ticket.vrf_proof,
    };
    assert!(bad_vrf(verify_election_proof(
        &key, &source, MINER, h, &p, &swapped
    )));
    // A malformed proof claiming 0 wins is refused for the claim first, before any pairing.
    let zero = ElectionProof {
        win_count: 0,
        vrf_proof: Bytes(vec![1, 2, 3]),
    };
    assert_eq!(
        verify_election_proof(&key, &source, MINER, h, &p, &zero),
        Err(ElectionError::ZeroWinCount)
    );
    let malformed = ElectionProof {
        win_count: 1,
        vrf_proof: Bytes(vec![1, 2, 3]),
    };
    assert!(matches!(
        verify_election_proof(&key, &source, MINER, h, &p, &malformed),
        Err(ElectionError::BadVrf {
            source: VrfError::InvalidProof(_),
            ..
        })
    ));
}

#[test]
fn losing_epochs_make_no_proof_and_wins_follow_the_vrf_output() {
    let sk = worker(5);
    let p = power(1, 100);
    let mut wins = 0u64;
    let mut losses = 0u64;
    for h in 1..=40 {
        let input = election_input(&chain(), MINER, h).unwrap();
        let vrf = flowcoin_crypto::vrf::vrf_prove(&sk, &input);
        let expected = p.win_count(&vrf.to_bytes());
        match make_election_proof(&sk, &chain(), MINER, h, &p).unwrap() {
            Some(proof) => {
                assert_eq!(proof.win_count, expected);
                assert_eq!(vrf_output(&vrf).len(), 32);
                wins += 1;
            }
            None => {
                assert_eq!(expected, 0);
                losses += 1;
            }
        }
    }
    // λ = 0.05: most epochs lose.
    assert!(losses > wins, "{wins} wins, {losses} losses");
}

/// A change to one header field.
type Tamper = fn(&mut BlockHeader);

fn header(miner: u64, height: u64) -> BlockHeader {
    BlockHeader {
        miner: Address::Id(miner),
        ticket: Ticket {
            vrf_proof: Bytes(vec![1; 96]),
        },
        election_proof: ElectionProof {
            win_count: 1,
            vrf_proof: Bytes(vec![2; 96]),
        },
        win_post_proof: Bytes(vec![3; 16]),
        parents: vec![cbor_cid(b"parent")],
        parent_weight: ChainWeight(4096),
        height,
        parent_state_root: cbor_cid(b"state"),
        parent_message_receipts: cbor_cid(b"receipts"),
        messages: cbor_cid(b"messages"),
        timestamp: 1_700_000_000,
        parent_base_fee: TokenAmount::from_atto(100),
        block_sig: Bytes(Vec::new()),
    }
}

#[test]
fn block_signatures_verify_and_tampered_headers_do_not() {
    let sk = worker(6);
    let key = address_of(&sk);
    let mut h = header(MINER, 9);
    assert!(matches!(
        verify_block_signature(&key, &h),
        Err(BlockSigError::Missing)
    ));
    sign_block(&sk, &mut h).unwrap();
    assert_eq!(h.block_sig.0.len(), 96);
    verify_block_signature(&key, &h).unwrap();
    // What is signed is the binary signing CID, and signing is deterministic.
    assert_eq!(
        signing_bytes(&h).unwrap(),
        h.signing_cid().unwrap().to_bytes()
    );
    assert_eq!(
        block_signature(&sk, &h).unwrap().to_bytes().to_vec(),
        h.block_sig.0
    );
    // The signature survives a round trip through the wire encoding.
    let decoded = BlockHeader::from_cbor(&h.to_cbor().unwrap()).unwrap();
    verify_block_signature(&key, &decoded).unwrap();

    let invalid = |header: &BlockHeader| {
        matches!(
            verify_block_signature(&key, header),
            Err(BlockSigError::Invalid)
        )
    };
    let tampered: [(&str, Tamper); 13] = [
        ("height", |h| h.height += 1),
        ("miner", |h| h.miner = Address::Id(MINER + 1)),
        ("ticket", |h| h.ticket.vrf_proof.0[0] ^= 1),
        ("win count", |h| h.election_proof.win_count = 2),
        ("election VRF", |h| h.election_proof.vrf_proof.0[5] ^= 1),
        ("winning post", |h| h.win_post_proof.0.push(0)),
        ("parents", |h| h.parents.push(cbor_cid(b"x"))),
        ("weight", |h| h.parent_weight = ChainWeight(4097)),
        ("state", |h| h.parent_state_root = cbor_cid(b"s2")),
        ("receipts", |h| h.parent_message_receipts = cbor_cid(b"r2")),
        ("messages", |h| h.messages = cbor_cid(b"m2")),
        ("timestamp", |h| h.timestamp += 30),
        ("base fee", |h| {
            h.parent_base_fee = TokenAmount::from_atto(101)
        }),
    ];
    for (field, change) in tampered {
        let mut t = h.clone();
        change(&mut t);
        assert!(invalid(&t), "changed {field}");
    }
    // Another key, a flipped signature bit, a truncated or foreign signature.
    assert!(matches!(
        verify_block_signature(&address_of(&worker(7)), &h),
        Err(BlockSigError::Invalid)
    ));
    for i in FLIPS {
        let mut t = h.clone();
        t.block_sig.0[i] ^= 0x01;
        assert!(
            matches!(
                verify_block_signature(&key, &t),
                Err(BlockSigError::Invalid | BlockSigError::Malformed(_))
            ),
            "byte {i}"
        );
    }
    let mut t = h.clone();
    t.block_sig.0.truncate(95);
    assert!(matches!(
        verify_block_signature(&key, &t),
        Err(BlockSigError::Malformed(_))
    ));
    let mut other = header(MINER, 10);
    sign_block(&sk, &mut other).unwrap();
    let mut t = h.clone();
    t.block_sig = other.block_sig;
    assert!(invalid(&t));
    // Non-BLS worker keys cannot sign blocks.
    assert!(matches!(
        verify_block_signature(&Address::from_ed25519_public_key(&[1; 32]), &h),
        Err(BlockSigError::WorkerKey(WorkerKeyError::NotBls { .. }))
    ));
}
