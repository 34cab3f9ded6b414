//! Known answers for the SDR parameter table, registered proof numbers, porep_id, replica_id
//! and the interactive PoRep challenges: filecoin-spec §2.1–2.2, §2.7, §3 and every vector of
//! `testdata/vectors/seal-vectors.json` (rust-fil-proofs 19.1).

use flowcoin_proofs::sdr::params::{
    ApiVersion, MAX_CHALLENGES_PER_PARTITION, MAX_POREP_CHALLENGES, ParamsError, PoStProofKind,
    RegisteredPoStProof, RegisteredSealProof, SdrParams, SealProofVersion, porep_challenges,
    porep_id, replica_id,
};
use flowcoin_types::SectorSize;
use flowcoin_types::test_utils::{seal_input32, seal_sector_number, seal_vectors};
use serde_json::Value;

fn hex32(value: &Value) -> [u8; 32] {
    hex::decode(value.as_str().unwrap())
        .unwrap()
        .try_into()
        .unwrap()
}

#[test]
fn parameter_table() {
    // size, nodes, layers, shape, partitions, min challenges, per partition, WindowPoSt sectors
    let table = [
        (SectorSize::Size2KiB, 1u64 << 6, 2, (8, 0, 0), 1, 2, 2, 2),
        (SectorSize::Size8MiB, 1 << 18, 2, (8, 0, 0), 1, 2, 2, 2),
        (SectorSize::Size512MiB, 1 << 24, 2, (8, 0, 0), 1, 2, 2, 2),
        (
            SectorSize::Size32GiB,
            1 << 30,
            11,
            (8, 8, 0),
            10,
            176,
            18,
            2349,
        ),
        (
            SectorSize::Size64GiB,
            1 << 31,
            11,
            (8, 8, 2),
            10,
            176,
            18,
            2300,
        ),
    ];
    assert_eq!(table.len(), SectorSize::ALL.len());
    for (size, nodes, layers, shape, partitions, min, cpp, window) in table {
        let p = SdrParams::for_sector(size).unwrap();
        assert_eq!(p.sector_size, size);
        assert_eq!(p.nodes, nodes, "{size}");
        assert_eq!(p.layers, layers, "{size}");
        let t = p.tree_shape;
        assert_eq!((t.base_arity, t.sub_arity, t.top_arity), shape, "{size}");
        assert_eq!(p.porep_partitions, partitions, "{size}");
        assert_eq!(p.porep_min_challenges, min, "{size}");
        assert_eq!(p.porep_challenges_per_partition, cpp, "{size}");
        // cpp = ceil(min / partitions) ≤ 18.
        assert_eq!(cpp, min.div_ceil(partitions), "{size}");
        assert!(cpp <= MAX_CHALLENGES_PER_PARTITION);
        assert_eq!(p.porep_challenges_total(), partitions * cpp);
        assert_eq!(p.window_post_sectors_per_partition, window, "{size}");
        assert_eq!(p.winning_post_sector_count, 1);
        assert_eq!(p.winning_post_challenge_count, 66);
        assert_eq!(p.window_post_challenge_count, 10);
    }
    assert_eq!(
        SdrParams::for_sector(SectorSize::Size32GiB)
            .unwrap()
            .porep_challenges_total(),
        180
    );
    // The sub-trees of 32 GiB hold 2^27 nodes each (8 of them), as do 64 GiB's (2 × 8).
    for size in [SectorSize::Size32GiB, SectorSize::Size64GiB] {
        let p = SdrParams::for_sector(size).unwrap();
        let t = p.tree_shape;
        let trees = u64::from(t.sub_arity) * u64::from(t.top_arity.max(1));
        assert_eq!(p.nodes / trees, 1 << 27);
    }
}

#[test]
fn registered_proof_numbers() {
    for (index, size) in SectorSize::ALL.into_iter().enumerate() {
        let index = index as u64;
        for (version, base, api) in [
            (SealProofVersion::V1, 0, ApiVersion::V1_0_0),
            (SealProofVersion::V1_1, 5, ApiVersion::V1_1_0),
        ] {
            let proof = RegisteredSealProof::new(size, version).unwrap();
            assert_eq!(proof.id(), base + index);
            assert_eq!(RegisteredSealProof::from_id(base + index).unwrap(), proof);
            assert_eq!(proof.sector_size(), size);
            assert_eq!(proof.version(), version);
            assert_eq!(proof.api_version(), api);
            assert_eq!(proof.porep_id(), porep_id(base + index, 0));
        }
        for (kind, base, api) in [
            (PoStProofKind::Winning, 0, ApiVersion::V1_0_0),
            (PoStProofKind::WindowV1, 5, ApiVersion::V1_0_0),
            (PoStProofKind::WindowV1_1, 10, ApiVersion::V1_2_0),
        ] {
            let proof = RegisteredPoStProof::new(size, kind).unwrap();
            assert_eq!(proof.id(), base + index);
            assert_eq!(RegisteredPoStProof::from_id(base + index).unwrap(), proof);
            assert_eq!(proof.sector_size(), size);
            assert_eq!(proof.kind(), kind);
            assert_eq!(proof.api_version(), api);
        }
    }
    // Synthetic (10–19) and NI (15–19) PoRep are Filecoin's, not sealed here.
    for id in [10, 15, 19, 20, u64::MAX] {
        assert_eq!(
            RegisteredSealProof::from_id(id),
            Err(ParamsError::UnknownSealProof { id })
        );
    }
    for id in [15, u64::MAX] {
        assert_eq!(
            RegisteredPoStProof::from_id(id),
            Err(ParamsError::UnknownPoStProof { id })
        );
    }
}

#[test]
fn api_version_text() {
    for (version, text) in [
        (ApiVersion::V1_0_0, "1.0.0"),
        (ApiVersion::V1_1_0, "1.1.0"),
        (ApiVersion::V1_2_0, "1.2.0"),
    ] {
        assert_eq!(version.to_string(), text);
        assert_eq!(text.parse::<ApiVersion>(), Ok(version));
    }
    assert!("1.3.0".parse::<ApiVersion>().is_err());
    assert!(ApiVersion::V1_0_0 < ApiVersion::V1_1_0);
    assert!(!ApiVersion::V1_0_0.predecessor_first());
    assert!(ApiVersion::V1_1_0.predecessor_first() && ApiVersion::V1_2_0.predecessor_first());
}

#[test]
fn porep_id_examples() {
    assert_eq!(
        hex::encode(porep_id(6, 0)),
        "0600000000000000000000000000000000000000000000000000000000000000"
    );
    assert_eq!(
        hex::encode(porep_id(3, 0x0102)),
        "0300000000000000020100000000000000000000000000000000000000000000"
    );
}

/// The registered proofs of seal-vectors.json: seal id, porep_id and API versions of the seal,
/// Winning and Window proofs of each size.
#[test]
fn seal_vector_registered_proofs() {
    let doc = seal_vectors();
    let registered = doc["registered_proofs"].as_object().unwrap();
    assert!(!registered.is_empty());
    for (label, entry) in registered {
        let size: SectorSize = label.parse().unwrap();
        let seal = RegisteredSealProof::new(size, SealProofVersion::V1_1).unwrap();
        assert_eq!(
            seal.id(),
            entry["registered_seal_proof_id"].as_u64().unwrap()
        );
        assert_eq!(
            hex::encode(seal.porep_id()),
            entry["porep_id"].as_str().unwrap()
        );
        assert_eq!(
            seal.api_version().to_string(),
            entry["api_version"].as_str().unwrap()
        );
        for (key, kind) in [
            ("winning_post", PoStProofKind::Winning),
            ("window_post", PoStProofKind::WindowV1_1),
        ] {
            let post = RegisteredPoStProof::new(size, kind).unwrap();
            let expected = &entry[key];
            assert_eq!(
                post.id(),
                expected["registered_post_proof_id"].as_u64().unwrap(),
                "{label} {key}"
            );
            assert_eq!(
                post.api_version().to_string(),
                expected["api_version"].as_str().unwrap(),
                "{label} {key}"
            );
        }
    }
}

/// Every vector: the inputs from the generator, its replica_id and its PoRep challenges.
#[test]
fn seal_vector_replica_ids_and_challenges() {
    let doc = seal_vectors();
    let vectors = doc["vectors"].as_array().unwrap();
    assert_eq!(vectors.len(), 5);
    for v in vectors {
        let name = format!("{} seed {}", v["sector_size_label"], v["seed"]);
        let seed_number = v["seed"].as_u64().unwrap();
        let inputs = &v["inputs"];
        let prover_id = seal_input32(seed_number, "prover_id");
        let ticket = seal_input32(seed_number, "ticket");
        let seed = seal_input32(seed_number, "seed");
        let sector_number = seal_sector_number(seed_number);
        assert_eq!(prover_id, hex32(&inputs["prover_id"]), "{name}");
        assert_eq!(ticket, hex32(&inputs["ticket"]), "{name}");
        assert_eq!(seed, hex32(&inputs["seed"]), "{name}");
        assert_eq!(
            sector_number,
            inputs["sector_number"].as_u64().unwrap(),
            "{name}"
        );

        let size: SectorSize = v["sector_size_label"].as_str().unwrap().parse().unwrap();
        let proof =
            RegisteredSealProof::from_id(v["registered_seal_proof_id"].as_u64().unwrap()).unwrap();
        assert_eq!(proof.sector_size(), size, "{name}");
        assert_eq!(
            hex::encode(proof.porep_id()),
            v["porep_id"].as_str().unwrap()
        );
        let params = SdrParams::for_sector(size).unwrap();
        assert_eq!(params.nodes, v["nodes"].as_u64().unwrap(), "{name}");
        assert_eq!(u64::from(params.layers), v["layers"].as_u64().unwrap());
        assert_eq!(
            u64::from(params.porep_partitions),
            v["porep_partitions"].as_u64().unwrap()
        );
        assert_eq!(
            u64::from(params.porep_challenges_per_partition),
            v["porep_challenges_per_partition"].as_u64().unwrap()
        );

        let comm_d = hex32(&v["comm_d"]);
        let id = replica_id(
            &prover_id,
            sector_number,
            &ticket,
            &comm_d,
            &proof.porep_id(),
        );
        assert_eq!(hex::encode(id), v["replica_id"].as_str().unwrap(), "{name}");

        let expected: Vec<Vec<u64>> =
            serde_json::from_value(v["porep_challenges"].clone()).unwrap();
        assert_eq!(
            params.porep_challenges(&id, &seed).unwrap(),
            expected,
            "{name}"
        );
        assert_eq!(
            porep_challenges(
                &id,
                &seed,
                params.nodes,
                params.porep_partitions,
                params.porep_challenges_per_partition
            )
            .unwrap(),
            expected
        );
    }
}

/// Challenges fall in 1..N, partitions are independent prefixes of one sequence j = cpp·k + i.
#[test]
fn challenge_layout() {
    let replica = [0x11; 32];
    let seed = [0x22; 32];
    let one = porep_challenges(&replica, &seed, 1 << 30, 1, 180).unwrap();
    let ten = porep_challenges(&replica, &seed, 1 << 30, 10, 18).unwrap();
    assert_eq!(ten.len(), 10);
    assert_eq!(ten.concat(), one[0]);
    for &c in &one[0] {
        assert!((1..1 << 30).contains(&c));
    }
    // N = 2: the only node that can be challenged is 1.
    let two = porep_challenges(&replica, &seed, 2, 2, 5).unwrap();
    assert!(two.iter().flatten().all(|&c| c == 1));
    for nodes in [0, 1] {
        assert_eq!(
            porep_challenges(&replica, &seed, nodes, 1, 1),
            Err(ParamsError::TooFewNodes { nodes })
        );
    }
    assert!(matches!(
        porep_challenges(&replica, &seed, 64, 1 << 16, 1 << 16),
        Err(ParamsError::TooManyChallenges { .. })
    ));
    assert!(matches!(
        porep_challenges(&replica, &seed, 64, 2, MAX_POREP_CHALLENGES / 2 + 1),
        Err(ParamsError::TooManyChallenges { .. })
    ));
    assert_eq!(
        porep_challenges(&replica, &seed, 64, 1, MAX_POREP_CHALLENGES).unwrap()[0].len(),
        MAX_POREP_CHALLENGES as usize
    );
    assert_eq!(
        porep_challenges(&replica, &seed, 64, 0, 18).unwrap().len(),
        0
    );
}

/// replica_id masks only the top two bits, and every input changes it.
#[test]
fn replica_id_inputs() {
    let base = replica_id(&[1; 32], 7, &[2; 32], &[3; 32], &[4; 32]);
    assert!(base[31] <= 0x3f);
    let variants = [
        replica_id(&[9; 32], 7, &[2; 32], &[3; 32], &[4; 32]),
        replica_id(&[1; 32], 8, &[2; 32], &[3; 32], &[4; 32]),
        replica_id(&[1; 32], 7, &[9; 32], &[3; 32], &[4; 32]),
        replica_id(&[1; 32], 7, &[2; 32], &[9; 32], &[4; 32]),
        replica_id(&[1; 32], 7, &[2; 32], &[3; 32], &[9; 32]),
    ];
    for v in variants {
        assert_ne!(v, base);
    }
}
