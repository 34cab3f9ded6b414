//! The sector store with real 2 KiB sectors: seal committed capacity, prove the seal for a
//! seed (the chain's verifier accepts it), prove Window PoSt partitions (a deleted or
//! corrupted sector is skipped and reported, the proof still verifies), prove Winning PoSt,
//! adopt a sector sealed elsewhere.

use flowcoin_consensus::produce::WinningPostTask;
use flowcoin_miner::post::prove_partition;
use flowcoin_miner::producer::prove_task;
use flowcoin_miner::sectors::{SectorFault, SectorStore};
use flowcoin_proofs::sdr::commit::{SealPublicInputs, verify_seal};
use flowcoin_proofs::sdr::params::{
    PoStProofKind, RegisteredPoStProof, RegisteredSealProof, SealProofVersion,
};
use flowcoin_proofs::sdr::post::{
    PostProof, PublicSector, verify_window, verify_winning, winning_sector_index,
};
use flowcoin_proofs::sdr::proof::SealProof;
use flowcoin_state::actor::miner::prover_id;
use flowcoin_types::SectorSize;

const SIZE: SectorSize = SectorSize::Size2KiB;
const MINER: u64 = 1000;

fn store(dir: &tempfile::TempDir) -> SectorStore {
    SectorStore::new(dir.path().join("sectors"), dir.path().join("parents"))
}

fn public(store: &SectorStore, number: u64) -> PublicSector {
    PublicSector {
        sector_number: number,
        comm_r: store.meta(MINER, number).unwrap().comm_r().unwrap(),
    }
}

#[test]
fn sealed_cc_sectors_prove_their_seal_and_spacetime() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(&dir);
    for n in 0..3 {
        s.seal_cc(MINER, n, SIZE, [n as u8 + 1; 32]).unwrap();
    }
    assert!(s.seal_cc(MINER, 1, SIZE, [9; 32]).is_err(), "sealed twice");

    // Seal proof for a seed: what ProveCommitSector verifies.
    let seed = [5u8; 32];
    let proof = s.prove_commit(MINER, 0, seed).unwrap();
    let meta = s.meta(MINER, 0).unwrap();
    assert_eq!(meta.seed, hex::encode(seed));
    assert_eq!(meta.miner_id, Some(MINER));
    let public_inputs = SealPublicInputs {
        proof: RegisteredSealProof::new(SIZE, SealProofVersion::V1_1).unwrap(),
        prover_id: prover_id(MINER),
        sector_number: 0,
        ticket: [1; 32],
        seed,
        comm_d: meta.comm_d().unwrap(),
        comm_r: meta.comm_r().unwrap(),
    };
    verify_seal(&public_inputs, &SealProof::decode(&proof).unwrap()).unwrap();

    // Window PoSt over a partition of sectors 0 and 1.
    let window = RegisteredPoStProof::new(SIZE, PoStProofKind::WindowV1_1).unwrap();
    let randomness = [7u8; 32];
    let partition = [public(&s, 0), public(&s, 1)];
    let all = prove_partition(&s, MINER, SIZE, &randomness, &partition, &[]).unwrap();
    assert!(all.skipped.is_empty());
    let decoded = PostProof::decode(&all.proof, true).unwrap();
    verify_window(window, &randomness, &partition, &decoded).unwrap();

    // Sector 1's replica disappears: it is skipped and reported; the proof still verifies.
    std::fs::remove_file(s.sector_dir(MINER, 1).join("sealed")).unwrap();
    let partial = prove_partition(&s, MINER, SIZE, &randomness, &partition, &[]).unwrap();
    assert_eq!(
        partial.skipped,
        [SectorFault::Missing {
            number: 1,
            file: "the replica"
        }]
    );
    let decoded = PostProof::decode(&partial.proof, true).unwrap();
    assert_eq!(decoded.skipped, [1]);
    verify_window(window, &randomness, &partition, &decoded).unwrap();
    // Damaged bytes in sector 0's replica (same size: the detector cannot see it): the
    // prover finds out, skips it, and the proof still verifies.
    let replica0 = s.sector_dir(MINER, 0).join("sealed");
    let original = std::fs::read(&replica0).unwrap();
    let mut damaged = original.clone();
    for byte in damaged.iter_mut() {
        *byte ^= 0x01;
    }
    std::fs::write(&replica0, &damaged).unwrap();
    let corrupt = prove_partition(&s, MINER, SIZE, &randomness, &partition, &[]).unwrap();
    assert!(
        corrupt.skipped.contains(&SectorFault::Corrupt(0)),
        "{:?}",
        corrupt.skipped
    );
    let decoded = PostProof::decode(&corrupt.proof, true).unwrap();
    assert!(decoded.skipped.contains(&0));
    verify_window(window, &randomness, &partition, &decoded).unwrap();
    std::fs::write(&replica0, &original).unwrap();
    // A CommR that is not the chain's is a fault too.
    let wrong = [PublicSector {
        sector_number: 2,
        comm_r: [0; 32],
    }];
    let p = prove_partition(&s, MINER, SIZE, &randomness, &wrong, &[]).unwrap();
    assert_eq!(p.skipped, [SectorFault::CommR(2)]);
    // Declared faults are skipped without being checked.
    let p = prove_partition(&s, MINER, SIZE, &randomness, &partition, &[1]).unwrap();
    assert!(p.skipped.is_empty());

    // Winning PoSt over the provable set {0, 2}.
    let provable = [public(&s, 0), public(&s, 2)];
    let winning = RegisteredPoStProof::new(SIZE, PoStProofKind::Winning).unwrap();
    let chosen = winning_sector_index(&prover_id(MINER), &randomness, provable.len())
        .and_then(|i| provable.get(i))
        .copied()
        .unwrap();
    let task = WinningPostTask {
        proof_type: winning,
        prover_id: prover_id(MINER),
        randomness,
        sector: chosen,
    };
    let proof = prove_task(&s, MINER, &task).unwrap();
    let decoded = PostProof::decode(&proof, false).unwrap();
    verify_winning(winning, &prover_id(MINER), &randomness, &provable, &decoded).unwrap();
    assert!(
        verify_winning(
            winning,
            &prover_id(MINER + 1),
            &randomness,
            &provable,
            &decoded
        )
        .is_err()
    );
}

#[test]
fn sectors_sealed_elsewhere_are_adopted_only_for_their_miner() {
    let dir = tempfile::tempdir().unwrap();
    let elsewhere = SectorStore::new(dir.path().join("other"), dir.path().join("parents"));
    elsewhere.seal_cc(MINER, 4, SIZE, [3; 32]).unwrap();
    let s = store(&dir);
    assert!(s.adopt(MINER + 1, &elsewhere.sector_dir(MINER, 4)).is_err());
    let meta = s.adopt(MINER, &elsewhere.sector_dir(MINER, 4)).unwrap();
    assert_eq!(meta.sector_number, 4);
    s.check(MINER, 4, &meta.comm_r().unwrap()).unwrap();
    assert!(
        s.adopt(MINER, &elsewhere.sector_dir(MINER, 4)).is_err(),
        "twice"
    );
}
