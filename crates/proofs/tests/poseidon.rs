//! Known answers for Poseidon (neptune) and CommR.

use flowcoin_proofs::fr::{Fr, MODULUS_LE, fr_from_trunc254, node_from_fr};
use flowcoin_proofs::poseidon::{
    PoseidonError, SUPPORTED_ARITIES, column_hash, comm_r, hash, hash_node_bytes,
    hash_node_bytes_many, hash_nodes, hash_unoptimized, hash2, hash8, hash11,
};
use proptest::prelude::*;

fn be_hex(fr: &Fr) -> String {
    hex::encode(fr.to_bytes_be())
}

/// neptune 13 `poseidon::tests::hash_values` (Strength::Standard, HashType::MerkleTree, inputs
/// 0, 1, …, arity − 1), as big-endian hex.
const NEPTUNE_KATS: &[(usize, &str)] = &[
    (
        2,
        "396508d75e76a56b739e0fd902efe161a6fba9339d05a69d2e203c369a02e7ff",
    ),
    (
        4,
        "58a54b10a9e5848a00db3c6579229399fb6b4605bf1327ec019814ff6662075d",
    ),
    (
        8,
        "2394611da3a5de5512010042116770774b682e9d9cc4aed92a9934f56d38a5e6",
    ),
    (
        11,
        "0c0fc1b2e5227f286ca537e232ebe87a09f3dcd8ccb08fc1cee3bbc32b693163",
    ),
    (
        16,
        "2d3ae2663381ae8ac1c2fb5a6f871e635b8dbc6d30680a6f1291c74060266d37",
    ),
    (
        24,
        "63beb8831f11ae15066f39bf783f3d9fc3e779f6468815b1d7ef3569f585b321",
    ),
    (
        36,
        "699303082a6e5d5f540a30e03c10bbaa75cd368df8a8ac3c4473606dfa4e8140",
    ),
];

#[test]
fn neptune_known_answers() {
    for &(arity, expected) in NEPTUNE_KATS {
        let inputs: Vec<Fr> = (0..arity as u64).map(Fr::from).collect();
        assert_eq!(be_hex(&hash(&inputs).unwrap()), expected, "arity {arity}");
        assert_eq!(
            be_hex(&hash_unoptimized(&inputs).unwrap()),
            expected,
            "arity {arity} (plain)"
        );
    }
    assert_eq!(NEPTUNE_KATS.len(), SUPPORTED_ARITIES.len());
}

/// comm_r = Poseidon_arity2(comm_c, comm_r_last) for every seal vector (values are the
/// little-endian node bytes rust-fil-proofs stores).
#[test]
fn comm_r_of_every_seal_vector() {
    let vectors = flowcoin_types::test_utils::seal_vectors();
    let vectors = vectors["vectors"].as_array().unwrap();
    assert!(vectors.len() >= 5);
    for v in vectors {
        let node = |key: &str| -> [u8; 32] {
            hex::decode(v[key].as_str().unwrap())
                .unwrap()
                .try_into()
                .unwrap()
        };
        let got = comm_r(&node("comm_c"), &node("comm_r_last")).unwrap();
        assert_eq!(
            hex::encode(got),
            v["comm_r"].as_str().unwrap(),
            "{} seed {}",
            v["sector_size_label"],
            v["seed"]
        );
    }
}

#[test]
fn unsupported_arities_are_errors() {
    for arity in [0usize, 1, 3, 5, 7, 9, 10, 12, 37, 64] {
        let inputs = vec![Fr::from(1u64); arity];
        assert_eq!(
            hash(&inputs),
            Err(PoseidonError::UnsupportedArity { arity }),
            "arity {arity}"
        );
        assert!(hash_unoptimized(&inputs).is_err());
    }
}

#[test]
fn node_interfaces_agree_with_the_field_interface() {
    let frs: Vec<Fr> = (0..11u64).map(|i| Fr::from(i * 7 + 3)).collect();
    let nodes: Vec<[u8; 32]> = frs.iter().map(node_from_fr).collect();
    let bytes = nodes.concat();
    for arity in [2usize, 4, 8, 11] {
        let expected = node_from_fr(&hash(&frs[..arity]).unwrap());
        assert_eq!(hash_nodes(&nodes[..arity]).unwrap(), expected);
        assert_eq!(hash_node_bytes(&bytes[..arity * 32]).unwrap(), expected);
        assert_eq!(column_hash(&nodes[..arity]).unwrap(), expected);
    }
    let eight: [Fr; 8] = frs[..8].try_into().unwrap();
    let eleven: [Fr; 11] = frs[..11].try_into().unwrap();
    assert_eq!(hash8(&eight), hash(&eight).unwrap());
    assert_eq!(hash11(&eleven), hash(&eleven).unwrap());
    assert_eq!(hash2(&frs[0], &frs[1]), hash(&frs[..2]).unwrap());
}

#[test]
fn non_canonical_inputs_are_rejected_with_their_position() {
    let mut nodes = vec![node_from_fr(&Fr::from(1u64)); 8];
    nodes[5] = [0xff; 32];
    match hash_nodes(&nodes) {
        Err(PoseidonError::NonCanonicalInput { index: 5, .. }) => {}
        other => panic!("unexpected {other:?}"),
    }
    assert!(matches!(
        hash_node_bytes(&[0u8; 33]),
        Err(PoseidonError::NotWholeNodes { len: 33 })
    ));
    assert!(matches!(
        comm_r(&[0u8; 32], &MODULUS_LE),
        Err(PoseidonError::NonCanonicalInput { index: 1, .. })
    ));
}

/// Batched hashing (eight at a time on CPUs with AVX-512 IFMA) gives each group's digest, for
/// every supported arity and a partial last batch.
#[test]
fn many_hashes_equal_one_at_a_time() {
    for &arity in SUPPORTED_ARITIES {
        let groups = 11;
        let children: Vec<u8> = (0..(groups * arity) as u64)
            .flat_map(|i| node_from_fr(&-Fr::from(i.wrapping_mul(0x9e37_79b9_7f4a_7c15))))
            .collect();
        let mut out = vec![[0u8; 32]; groups];
        hash_node_bytes_many(arity, &children, &mut out).unwrap();
        for (group, digest) in children.chunks(arity * 32).zip(&out) {
            assert_eq!(*digest, hash_node_bytes(group).unwrap(), "arity {arity}");
        }
    }
    let mut bad = vec![0u8; 16 * 32];
    bad[9 * 32..10 * 32].copy_from_slice(&MODULUS_LE);
    assert!(matches!(
        hash_node_bytes_many(8, &bad, &mut [[0; 32]; 2]),
        Err(PoseidonError::NonCanonicalInput { index: 9, .. })
    ));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// The optimized rounds compute the same function as the definition, on random inputs.
    #[test]
    fn optimized_equals_definition(seed in any::<[u8; 32]>(), arity_index in 0usize..4) {
        let arity = [2usize, 4, 8, 11][arity_index];
        let inputs: Vec<Fr> = (0..arity)
            .map(|i| {
                let mut node = seed;
                node[0] ^= i as u8;
                fr_from_trunc254(&node)
            })
            .collect();
        prop_assert_eq!(hash(&inputs).unwrap(), hash_unoptimized(&inputs).unwrap());
    }
}
