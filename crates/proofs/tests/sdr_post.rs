//! Proof-of-Spacetime: challenges equal rust-fil-proofs' for every seal vector; Winning and
//! Window PoSt proofs of honest sectors verify; mutations, other randomness, faults and
//! corrupted replicas are caught.

use flowcoin_proofs::fr32;
use flowcoin_proofs::sdr::params::{
    ApiVersion, PoStProofKind, RegisteredPoStProof, RegisteredSealProof,
};
use flowcoin_proofs::sdr::post::{
    PostProof, PrivateSector, PublicSector, leaf_challenges, prove_window, prove_winning,
    verify_window, verify_winning, winning_sector_index,
};
use flowcoin_proofs::sdr::seal::{NoProgress, SealInputs, SealedSector, SectorCache, seal};
use flowcoin_proofs::sdr::tree_file::Levels;
use flowcoin_types::test_utils::{seal_input32, seal_sector_number, seal_stream, seal_vectors};

fn nums(v: &serde_json::Value) -> Vec<u64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap())
        .collect()
}

#[test]
fn challenges_match_the_vectors() {
    let doc = seal_vectors();
    for v in doc["vectors"].as_array().unwrap() {
        let seed = v["seed"].as_u64().unwrap();
        let name = format!("{} seed {seed}", v["sector_size_label"]);
        let prover = seal_input32(seed, "prover_id");
        let randomness = seal_input32(seed, "post_randomness");
        let nodes = v["nodes"].as_u64().unwrap();
        let w = &v["winning_post"];
        let set = nums(&w["sector_set"]);
        let index = winning_sector_index(&prover, &randomness, set.len()).unwrap();
        assert_eq!(
            index as u64,
            w["challenged_sector_index"].as_u64().unwrap(),
            "{name}"
        );
        assert_eq!(
            set[index],
            w["challenged_sector"].as_u64().unwrap(),
            "{name}"
        );
        let api = RegisteredPoStProof::from_id(w["registered_post_proof_id"].as_u64().unwrap())
            .unwrap()
            .api_version();
        assert_eq!(api, ApiVersion::V1_0_0);
        let got = leaf_challenges(&randomness, set[index], 0, 66, nodes, api);
        assert_eq!(got, nums(&w["challenged_sector_challenges"]), "{name}");
        let sealed_sector = seal_sector_number(seed);
        assert_eq!(
            leaf_challenges(&randomness, sealed_sector, 0, 66, nodes, api),
            nums(&w["sealed_sector_challenges"]),
            "{name}"
        );
        let win = &v["window_post"];
        let api = RegisteredPoStProof::from_id(win["registered_post_proof_id"].as_u64().unwrap())
            .unwrap()
            .api_version();
        assert_eq!(api, ApiVersion::V1_2_0);
        assert_eq!(
            leaf_challenges(&randomness, sealed_sector, 0, 10, nodes, api),
            nums(&win["challenges"]),
            "{name}"
        );
    }
}

/// Seals `count` 2 KiB sectors with different data; returns their private and public views.
fn seal_sectors(dir: &std::path::Path, count: u64) -> Vec<(PrivateSector, PublicSector)> {
    let proof = RegisteredSealProof::from_id(5).unwrap();
    (0..count)
        .map(|i| {
            let sub = dir.join(format!("s{i}"));
            std::fs::create_dir_all(&sub).unwrap();
            let unsealed = sub.join("unsealed");
            std::fs::write(
                &unsealed,
                fr32::pad(&seal_stream(100 + i, "data", 2032)).unwrap(),
            )
            .unwrap();
            let inputs = SealInputs {
                proof,
                prover_id: [7; 32],
                sector_number: 1000 + i,
                ticket: [i as u8; 32],
            };
            let cache = SectorCache::new(sub.join("cache"));
            let replica = sub.join("sealed");
            let s: SealedSector = seal(
                &inputs,
                &unsealed,
                &replica,
                &cache,
                &dir.join("parents"),
                &mut NoProgress,
            )
            .unwrap();
            (
                PrivateSector {
                    sector_number: 1000 + i,
                    replica,
                    tree_r: cache.tree_r(),
                    comm_c: s.comm_c,
                    comm_r_last: s.comm_r_last,
                },
                PublicSector {
                    sector_number: 1000 + i,
                    comm_r: s.comm_r,
                },
            )
        })
        .collect()
}

fn winning() -> RegisteredPoStProof {
    RegisteredPoStProof::new(flowcoin_types::SectorSize::Size2KiB, PoStProofKind::Winning).unwrap()
}

fn window() -> RegisteredPoStProof {
    RegisteredPoStProof::new(
        flowcoin_types::SectorSize::Size2KiB,
        PoStProofKind::WindowV1_1,
    )
    .unwrap()
}

#[test]
fn winning_and_window_post_verify_and_reject_mutations() {
    let dir = tempfile::tempdir().unwrap();
    let sectors = seal_sectors(dir.path(), 3);
    let (private, public): (Vec<_>, Vec<_>) = sectors.into_iter().unzip();
    let prover = [7u8; 32];
    let randomness = [0x42u8; 32];

    let proof = prove_winning(winning(), &prover, &randomness, &private).unwrap();
    assert_eq!(
        verify_winning(winning(), &prover, &randomness, &public, &proof),
        Ok(())
    );
    let bytes = proof.encode(false);
    assert_eq!(PostProof::decode(&bytes, false).unwrap(), proof);
    assert!(
        PostProof::decode(&bytes, true).is_err(),
        "kind byte is checked"
    );
    // Every byte of the header, the sector's commitments and the first two openings, then
    // every 61st byte of the rest (each field of every later opening is the same layout).
    use rayon::prelude::*;
    let accepted: Vec<usize> = (0..bytes.len())
        .into_par_iter()
        .filter(|&i| i < 1100 || i % 61 == 0)
        .filter(|&i| {
            let mut bad = bytes.clone();
            bad[i] ^= 0x01;
            PostProof::decode(&bad, false)
                .is_ok_and(|p| verify_winning(winning(), &prover, &randomness, &public, &p).is_ok())
        })
        .collect();
    assert!(accepted.is_empty(), "flipped bytes accepted: {accepted:?}");
    let mut other = randomness;
    other[0] ^= 1;
    assert!(verify_winning(winning(), &prover, &other, &public, &proof).is_err());
    assert!(
        verify_winning(winning(), &[8; 32], &randomness, &public, &proof).is_err(),
        "another miner"
    );
    let mut wrong_comm_r = public.clone();
    for s in &mut wrong_comm_r {
        s.comm_r[0] ^= 1;
    }
    assert!(verify_winning(winning(), &prover, &randomness, &wrong_comm_r, &proof).is_err());

    // Window PoSt over a partition of two sectors, then with one declared faulty.
    let partition = &private[..2];
    let pub_partition = &public[..2];
    let proof = prove_window(window(), &randomness, partition, &[]).unwrap();
    assert_eq!(
        verify_window(window(), &randomness, pub_partition, &proof),
        Ok(())
    );
    assert_eq!(PostProof::decode(&proof.encode(true), true).unwrap(), proof);
    let faulty = prove_window(window(), &randomness, partition, &[1001]).unwrap();
    assert_eq!(faulty.skipped, vec![1001]);
    assert_eq!(faulty.sectors.len(), 1);
    assert_eq!(
        verify_window(window(), &randomness, pub_partition, &faulty),
        Ok(())
    );
    // Dropping a sector without declaring it, or proving another sector, is caught.
    let mut hidden = proof.clone();
    hidden.sectors.pop();
    assert!(verify_window(window(), &randomness, pub_partition, &hidden).is_err());
    let mut swapped = proof.clone();
    swapped.sectors.swap(0, 1);
    assert!(verify_window(window(), &randomness, pub_partition, &swapped).is_err());
    assert!(verify_window(window(), &other, pub_partition, &proof).is_err());
}

#[test]
fn a_replica_with_ten_percent_corrupted_nodes_fails_at_the_predicted_rate() {
    use rand_chacha::ChaCha8Rng;
    use rand_core::{RngCore, SeedableRng};
    let dir = tempfile::tempdir().unwrap();
    let (private, public) = seal_sectors(dir.path(), 1).pop().unwrap();
    let mut replica = std::fs::read(&private.replica).unwrap();
    let nodes = replica.len() / 32;
    let mut rng = ChaCha8Rng::seed_from_u64(2026);
    let mut corrupted = vec![false; nodes];
    let mut count = 0;
    while count < nodes / 10 {
        let i = (rng.next_u64() % nodes as u64) as usize;
        if !corrupted[i] {
            corrupted[i] = true;
            replica[i * 32] ^= 1;
            count += 1;
        }
    }
    std::fs::write(&private.replica, &replica).unwrap();
    // A challenged leaf verifies only if its whole group of 8 leaves (read from the replica to
    // open TreeR's lowest level) is intact.
    let groups_intact = (0..nodes / 8)
        .filter(|g| !corrupted[g * 8..g * 8 + 8].iter().any(|&c| c))
        .count();
    let p_leaf = groups_intact as f64 / (nodes / 8) as f64;
    let mut leaves_ok = 0u32;
    let mut leaves = 0u32;
    let mut proofs_ok = 0;
    for trial in 0..300u32 {
        let mut randomness = [0u8; 32];
        randomness[..4].copy_from_slice(&trial.to_le_bytes());
        let proof = prove_winning(
            winning(),
            &[7; 32],
            &randomness,
            std::slice::from_ref(&private),
        )
        .unwrap();
        if verify_winning(
            winning(),
            &[7; 32],
            &randomness,
            std::slice::from_ref(&public),
            &proof,
        )
        .is_ok()
        {
            proofs_ok += 1;
        }
        // Count the leaves that verify on their own (a one-leaf proof per challenge).
        for o in &proof.sectors[0].openings {
            leaves += 1;
            let group = (o.index / 8) as usize;
            let intact = !corrupted[group * 8..group * 8 + 8].iter().any(|&c| c);
            let one = PostProof {
                sectors: vec![flowcoin_proofs::sdr::post::SectorPostProof {
                    openings: vec![o.clone()],
                    ..proof.sectors[0].clone()
                }],
                skipped: vec![],
            };
            let verifies = flowcoin_proofs::sdr::post::verify_sector_openings(
                &one.sectors[0],
                &public,
                &[o.index],
                &Levels::uniform(nodes as u64, 8).unwrap(),
            )
            .is_ok();
            assert_eq!(verifies, intact, "leaf {}", o.index);
            leaves_ok += u32::from(verifies);
        }
    }
    // Whole proofs: 66 leaves must all be intact: p_leaf^66 is negligible here.
    let p_proof = p_leaf.powi(66);
    assert!(p_proof < 1e-6, "{p_proof}");
    assert_eq!(proofs_ok, 0);
    // Per leaf, the observed rate is within 5 standard deviations of the predicted one.
    let rate = f64::from(leaves_ok) / f64::from(leaves);
    let sigma = (p_leaf * (1.0 - p_leaf) / f64::from(leaves)).sqrt();
    assert!(
        (rate - p_leaf).abs() < 5.0 * sigma,
        "observed {rate}, predicted {p_leaf} ± {sigma}"
    );
}
