//! Seal-commit vanilla proofs: the challenges equal rust-fil-proofs', a proof of an honest
//! replica verifies, and every mutation of it (any flipped byte, swapped openings, other
//! public inputs) is rejected.

use std::sync::OnceLock;

use flowcoin_proofs::fr32;
use flowcoin_proofs::sdr::commit::{SealPublicInputs, prove_seal, verify_seal};
use flowcoin_proofs::sdr::params::RegisteredSealProof;
use flowcoin_proofs::sdr::proof::SealProof;
use flowcoin_proofs::sdr::seal::{NoProgress, SealInputs, SealedSector, SectorCache, seal};
use flowcoin_types::test_utils::{seal_input32, seal_sector_number, seal_stream, seal_vectors};

struct Sealed {
    _dir: tempfile::TempDir,
    sealed: SealedSector,
    public: SealPublicInputs,
    proof: SealProof,
    vector: serde_json::Value,
}

/// The first 2 KiB vector, sealed and proven once for all tests.
fn sealed_2k() -> &'static Sealed {
    static S: OnceLock<Sealed> = OnceLock::new();
    S.get_or_init(|| {
        let doc = seal_vectors();
        let v = doc["vectors"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["sector_size"] == 2048)
            .unwrap()
            .clone();
        let seed = v["seed"].as_u64().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let unsealed = dir.path().join("unsealed");
        std::fs::write(
            &unsealed,
            fr32::pad(&seal_stream(seed, "data", 2032)).unwrap(),
        )
        .unwrap();
        let inputs = SealInputs {
            proof: RegisteredSealProof::from_id(v["registered_seal_proof_id"].as_u64().unwrap())
                .unwrap(),
            prover_id: seal_input32(seed, "prover_id"),
            sector_number: seal_sector_number(seed),
            ticket: seal_input32(seed, "ticket"),
        };
        let replica = dir.path().join("sealed");
        let cache = SectorCache::new(dir.path().join("cache"));
        let sealed = seal(
            &inputs,
            &unsealed,
            &replica,
            &cache,
            &dir.path().join("parents"),
            &mut NoProgress,
        )
        .unwrap();
        let interactive = seal_input32(seed, "seed");
        let proof = prove_seal(&sealed, &interactive, &unsealed, &replica, &cache).unwrap();
        let public = SealPublicInputs {
            proof: inputs.proof,
            prover_id: inputs.prover_id,
            sector_number: inputs.sector_number,
            ticket: inputs.ticket,
            seed: interactive,
            comm_d: sealed.comm_d,
            comm_r: sealed.comm_r,
        };
        Sealed {
            _dir: dir,
            sealed,
            public,
            proof,
            vector: v,
        }
    })
}

#[test]
fn challenges_are_rust_fil_proofs_and_the_proof_verifies() {
    let s = sealed_2k();
    let expected: Vec<u64> = s.vector["porep_challenges"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p.as_array().unwrap().iter().map(|c| c.as_u64().unwrap()))
        .collect();
    let got: Vec<u64> = s.proof.challenges.iter().map(|c| c.node).collect();
    assert_eq!(got, expected);
    assert_eq!(verify_seal(&s.public, &s.proof), Ok(()));
    let bytes = s.proof.encode();
    assert_eq!(SealProof::decode(&bytes).unwrap(), s.proof);
}

#[test]
fn every_flipped_byte_is_rejected() {
    use rayon::prelude::*;
    let s = sealed_2k();
    let bytes = s.proof.encode();
    // One bit in every byte, and the top bit of every byte of the header and the first
    // challenge's data opening (where a field element's high bits live).
    let accepted: Vec<(usize, u8)> = (0..bytes.len())
        .into_par_iter()
        .flat_map_iter(|i| {
            let bits: &[u8] = if i < 200 { &[0x01, 0x80] } else { &[0x01] };
            bits.iter().map(move |&b| (i, b)).collect::<Vec<_>>()
        })
        .filter(|&(i, bit)| {
            let mut bad = bytes.clone();
            bad[i] ^= bit;
            SealProof::decode(&bad).is_ok_and(|p| verify_seal(&s.public, &p).is_ok())
        })
        .collect();
    assert!(
        accepted.is_empty(),
        "mutations accepted at {accepted:?} of {} bytes",
        bytes.len()
    );
}

#[test]
fn truncations_and_trailing_bytes_are_rejected() {
    let s = sealed_2k();
    let bytes = s.proof.encode();
    for len in [0, 3, 6, 70, bytes.len() / 2, bytes.len() - 1] {
        assert!(SealProof::decode(&bytes[..len]).is_err(), "{len}");
    }
    let mut long = bytes;
    long.push(0);
    assert!(
        SealProof::decode(&long)
            .unwrap_err()
            .to_string()
            .contains("trailing")
    );
}

#[test]
fn swapped_openings_are_rejected() {
    let s = sealed_2k();
    let mut p = s.proof.clone();
    p.challenges.swap(0, 1);
    assert!(verify_seal(&s.public, &p).is_err());
    let mut p = s.proof.clone();
    let c = &mut p.challenges[0];
    if let Some(k) = (1..c.parents.len()).find(|&k| c.parents[k].index != c.parents[0].index) {
        c.parents.swap(0, k);
        assert!(verify_seal(&s.public, &p).is_err());
    }
    let mut p = s.proof.clone();
    let (a, b) = p.challenges.split_at_mut(1);
    std::mem::swap(&mut a[0].replica, &mut b[0].replica);
    assert!(verify_seal(&s.public, &p).is_err());
    let mut p = s.proof.clone();
    let c = &mut p.challenges[0];
    std::mem::swap(&mut c.data, &mut c.replica);
    assert!(verify_seal(&s.public, &p).is_err());
}

#[test]
fn other_public_inputs_are_rejected() {
    let s = sealed_2k();
    type Mutation = (&'static str, fn(&mut SealPublicInputs));
    let mutate: [Mutation; 6] = [
        ("comm_r", |p| p.comm_r[0] ^= 1),
        ("comm_d", |p| p.comm_d[0] ^= 1),
        ("seed", |p| p.seed[0] ^= 1),
        ("ticket", |p| p.ticket[0] ^= 1),
        ("prover (another miner)", |p| p.prover_id[0] ^= 1),
        ("sector number (another sector)", |p| p.sector_number += 1),
    ];
    for (what, f) in mutate {
        let mut public = s.public;
        f(&mut public);
        assert!(verify_seal(&public, &s.proof).is_err(), "{what}");
    }
    let _ = &s.sealed;
}
