//! Poseidon trees: roots against a naive reference, builders against each other, proofs valid
//! and every mutated proof rejected.

use flowcoin_proofs::fr::{Fr, MODULUS_LE, node_from_fr};
use flowcoin_proofs::poseidon::{
    ColumnLeaves, FileLeaves, InclusionProof, LeafSource, PoseidonTree, ProofError, TreeConfig,
    TreeError, TreeShape, column_hash, hash_node_bytes, tree_root,
};
use flowcoin_types::SectorSize;
use proptest::prelude::*;
use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};

/// Canonical pseudo-random leaves (top two bits clear), seeded.
fn leaves(count: u64, seed: u64) -> Vec<u8> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut bytes = vec![0u8; count as usize * 32];
    rng.fill_bytes(&mut bytes);
    for node in bytes.chunks_exact_mut(32) {
        node[31] &= 0x3f;
    }
    bytes
}

/// The root by the definition: hash each level's runs of `arity` nodes, bottom up.
fn naive_root(shape: &TreeShape, leaves: &[u8]) -> [u8; 32] {
    let mut level = leaves.to_vec();
    for arity in shape.arities() {
        level = level
            .chunks_exact(arity * 32)
            .flat_map(|children| hash_node_bytes(children).unwrap())
            .collect();
    }
    level.try_into().unwrap()
}

fn small_shapes() -> Vec<TreeShape> {
    [
        (8, 8, 0, 0),
        (64, 8, 0, 0),   // 2 KiB
        (128, 8, 2, 0),  // 4 KiB
        (512, 8, 8, 0),  // 16 KiB
        (1024, 8, 8, 2), // 32 KiB
        (16, 2, 0, 0),
        (32, 4, 2, 0),
        (4096, 8, 0, 0),
    ]
    .into_iter()
    .map(|(n, b, s, t)| TreeShape::new(n, b, s, t).unwrap())
    .collect()
}

#[test]
fn roots_equal_the_naive_definition() {
    for (i, shape) in small_shapes().iter().enumerate() {
        let data = leaves(shape.leaves(), i as u64);
        let expected = naive_root(shape, &data);
        assert_eq!(tree_root(shape, &data[..]).unwrap(), expected, "{shape:?}");
        let tree = PoseidonTree::build(*shape, &data[..], TreeConfig::default()).unwrap();
        assert_eq!(tree.root(), expected, "{shape:?}");
    }
}

/// More leaves than one chunk (2^15): the chunk roots are joined above the chunks, and a
/// compound shape puts its sub and top levels there.
#[test]
fn roots_across_several_chunks() {
    for (n, b, s, t) in [(1u64 << 16, 8, 2, 0), (1 << 16, 4, 0, 0)] {
        let shape = TreeShape::new(n, b, s, t).unwrap();
        let data = leaves(n, n);
        let expected = naive_root(&shape, &data);
        assert_eq!(tree_root(&shape, &data[..]).unwrap(), expected, "{shape:?}");
        let tree = PoseidonTree::build(shape, &data[..], TreeConfig { discard_rows: 2 }).unwrap();
        assert_eq!(tree.root(), expected);
        for leaf in [0, 1, n / 3, n - 1] {
            let proof = tree.prove(leaf, &data[..]).unwrap();
            proof.verify(&shape, leaf, &expected).unwrap();
        }
    }
}

#[test]
fn every_level_above_the_leaves_is_kept_by_default() {
    let n = 1u64 << 15;
    let shape = TreeShape::new(n, 8, 0, 0).unwrap();
    let data = leaves(n, 7);
    let tree = PoseidonTree::build(shape, &data[..], TreeConfig::default()).unwrap();
    // Level k holds n / 8^k nodes; all of them together about n/7 nodes.
    for level in 1..=shape.height() {
        assert_eq!(
            tree.level(level).unwrap().len() as u64,
            (n >> (3 * level)) * 32
        );
    }
    assert!(tree.level(0).is_none() && tree.level(shape.height() + 1).is_none());
    assert_eq!(tree.level(shape.height()).unwrap(), &tree.root()[..]);
    let kept: u64 = (1..=5).map(|k| n >> (3 * k)).sum::<u64>() * 32;
    assert_eq!(tree.kept_bytes() as u64, kept);
}

#[test]
fn sector_shapes_are_filecoins() {
    let arities = |size| {
        TreeShape::for_sector(size)
            .unwrap()
            .arities()
            .collect::<Vec<_>>()
    };
    assert_eq!(arities(SectorSize::Size2KiB), vec![8, 8]);
    assert_eq!(arities(SectorSize::Size8MiB), vec![8; 6]);
    assert_eq!(arities(SectorSize::Size512MiB), vec![8; 8]);
    let mut g32 = vec![8; 9];
    g32.push(8);
    assert_eq!(arities(SectorSize::Size32GiB), g32);
    let mut g64 = vec![8; 9];
    g64.extend([8, 2]);
    assert_eq!(arities(SectorSize::Size64GiB), g64);
    let s64 = TreeShape::for_sector(SectorSize::Size64GiB).unwrap();
    assert_eq!(
        (s64.base_arity(), s64.sub_tree_arity(), s64.top_tree_arity()),
        (8, 8, 2)
    );
    assert_eq!(s64.base_height(), 9);
    assert_eq!(s64.height(), 11);
    assert_eq!(s64.leaves(), 1 << 31);
    assert_eq!(s64.nodes_at(10), Some(2));
    assert_eq!(s64.nodes_at(11), Some(1));
    assert_eq!(s64.nodes_at(12), None);
    assert_eq!(s64.leaves_under(10), Some(1 << 30));
}

#[test]
fn invalid_shapes_are_refused() {
    for (n, b, s, t) in [
        (0u64, 8, 0, 0),
        (1, 8, 0, 0),   // a base tree needs at least one level
        (16, 8, 0, 0),  // not a power of 8
        (64, 3, 0, 0),  // arity 3
        (64, 16, 0, 0), // arity 16 is not a tree arity here
        (128, 8, 0, 2), // top without sub
        (128, 8, 4, 0), // 128 / 4 = 32 is not a power of 8
    ] {
        let r = TreeShape::new(n, b, s, t);
        assert!(
            matches!(r, Err(TreeError::InvalidShape { .. })),
            "{n} {b} {s} {t}"
        );
    }
    // Two base trees of one level each.
    assert_eq!(TreeShape::new(16, 8, 2, 0).unwrap().height(), 2);
    // The largest leaf count a u64 holds.
    assert_eq!(TreeShape::new(1 << 63, 2, 0, 0).unwrap().height(), 63);
}

#[test]
fn builder_takes_leaves_in_any_pieces() {
    let shape = TreeShape::new(1 << 16, 8, 2, 0).unwrap();
    let data = leaves(shape.leaves(), 3);
    let config = TreeConfig { discard_rows: 1 };
    let reference = PoseidonTree::build(shape, &data[..], config).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let mut builder = PoseidonTree::builder(shape, config).unwrap();
    let mut at = 0usize;
    while at < data.len() {
        // Pieces from 1 byte to several batches, splitting nodes.
        let len = match rng.next_u32() % 4 {
            0 => 1 + rng.next_u32() as usize % 100,
            1 => 1 + rng.next_u32() as usize % (1 << 20),
            _ => 1 + rng.next_u32() as usize % (3 << 20),
        };
        let end = (at + len).min(data.len());
        builder.push(&data[at..end]).unwrap();
        at = end;
    }
    let built = builder.finish().unwrap();
    assert_eq!(built.root(), reference.root());
    for level in 2..=shape.height() {
        assert_eq!(built.level(level), reference.level(level), "level {level}");
    }
}

#[test]
fn builder_refuses_too_few_or_too_many_leaves() {
    let shape = TreeShape::new(64, 8, 0, 0).unwrap();
    let data = leaves(64, 1);
    let mut b = PoseidonTree::builder(shape, TreeConfig::default()).unwrap();
    b.push(&data[..63 * 32]).unwrap();
    assert!(matches!(
        b.finish(),
        Err(TreeError::LeafCount {
            expected: 64,
            got: 63
        })
    ));
    let mut b = PoseidonTree::builder(shape, TreeConfig::default()).unwrap();
    b.push(&data).unwrap();
    assert!(matches!(b.push(&[0]), Err(TreeError::LeafCount { .. })));
    // A non-canonical leaf is reported with its index.
    let mut bad = data.clone();
    bad[17 * 32..18 * 32].copy_from_slice(&MODULUS_LE);
    let mut b = PoseidonTree::builder(shape, TreeConfig::default()).unwrap();
    b.push(&bad).unwrap();
    assert!(matches!(
        b.finish(),
        Err(TreeError::NonCanonicalLeaf { index: 17, .. })
    ));
    assert!(matches!(
        tree_root(&shape, &bad[..]),
        Err(TreeError::NonCanonicalLeaf { index: 17, .. })
    ));
    assert!(matches!(
        tree_root(&shape, &data[..32 * 8]),
        Err(TreeError::LeafCount {
            expected: 64,
            got: 8
        })
    ));
    assert!(matches!(
        tree_root(&shape, &data[..33]),
        Err(TreeError::NotWholeNodes { len: 33 })
    ));
}

#[test]
fn file_leaves_equal_memory_leaves() {
    let shape = TreeShape::new(1 << 16, 8, 2, 0).unwrap();
    let data = leaves(shape.leaves(), 5);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("replica");
    std::fs::write(&path, &data).unwrap();
    let file = FileLeaves::open(&path).unwrap();
    assert_eq!(file.leaf_count().unwrap(), shape.leaves());
    let tree = PoseidonTree::build(shape, &file, TreeConfig { discard_rows: 2 }).unwrap();
    assert_eq!(tree.root(), naive_root(&shape, &data));
    let proof = tree.prove(12345, &file).unwrap();
    proof.verify(&shape, 12345, &tree.root()).unwrap();
    std::fs::write(&path, &data[..100]).unwrap();
    assert!(matches!(
        FileLeaves::open(&path),
        Err(TreeError::NotWholeNodes { .. })
    ));
}

/// TreeC: leaf v is the Poseidon hash (arity = layers) of node v's labels.
#[test]
fn column_leaves_hash_the_labels_of_each_node() {
    for layers in [2usize, 11] {
        let shape = TreeShape::new(64, 8, 0, 0).unwrap();
        let labels: Vec<Vec<u8>> = (0..layers).map(|l| leaves(64, 100 + l as u64)).collect();
        let refs: Vec<&[u8]> = labels.iter().map(Vec::as_slice).collect();
        let columns = ColumnLeaves::new(&refs).unwrap();
        let expected_leaves: Vec<u8> = (0..64)
            .flat_map(|v| {
                let column: Vec<[u8; 32]> = labels
                    .iter()
                    .map(|l| l[v * 32..v * 32 + 32].try_into().unwrap())
                    .collect();
                column_hash(&column).unwrap()
            })
            .collect();
        let tree = PoseidonTree::build(shape, &columns, TreeConfig::default()).unwrap();
        assert_eq!(tree.root(), naive_root(&shape, &expected_leaves));
        let proof = tree.prove(37, &columns).unwrap();
        assert_eq!(&proof.leaf[..], &expected_leaves[37 * 32..38 * 32]);
        proof.verify(&shape, 37, &tree.root()).unwrap();
    }
    let a = leaves(8, 1);
    let b = leaves(16, 2);
    assert!(matches!(
        ColumnLeaves::new(&[&a, &b]),
        Err(TreeError::Columns { .. })
    ));
    assert!(matches!(
        ColumnLeaves::new(&[&a, &a, &a]),
        Err(TreeError::Columns { .. })
    ));
    let mut bad = a.clone();
    bad[32..64].copy_from_slice(&[0xff; 32]);
    let columns = ColumnLeaves::new(&[&a, &bad]).unwrap();
    assert!(matches!(
        tree_root(&TreeShape::new(8, 8, 0, 0).unwrap(), &columns),
        Err(TreeError::NonCanonicalLabel {
            layer: 2,
            node: 1,
            ..
        })
    ));
}

/// Every leaf of every small shape, with every number of discarded rows allowed.
#[test]
fn every_proof_verifies_and_designates_its_leaf() {
    for (i, shape) in small_shapes().iter().enumerate() {
        let data = leaves(shape.leaves(), 50 + i as u64);
        let root = naive_root(shape, &data);
        for discard_rows in 0..shape.height() {
            let config = TreeConfig { discard_rows };
            let tree = match PoseidonTree::build(*shape, &data[..], config) {
                Ok(tree) => tree,
                Err(TreeError::DiscardRows { .. }) => break,
                Err(e) => panic!("{e}"),
            };
            // Every leaf of the small trees, a sample of the larger ones.
            let step = (shape.leaves() / 64).max(1);
            for leaf in (0..shape.leaves())
                .step_by(step as usize)
                .chain([shape.leaves() - 1])
            {
                let proof = tree.prove(leaf, &data[..]).unwrap();
                assert_eq!(proof.path.len(), shape.height());
                assert_eq!(
                    &proof.leaf[..],
                    &data[leaf as usize * 32..leaf as usize * 32 + 32]
                );
                assert_eq!(proof.leaf_index(shape).unwrap(), leaf);
                assert_eq!(proof.root(shape).unwrap(), root);
                proof.verify(shape, leaf, &root).unwrap();
            }
            assert!(matches!(
                tree.prove(shape.leaves(), &data[..]),
                Err(TreeError::LeafIndex { .. })
            ));
        }
    }
}

#[test]
fn discarding_too_many_rows_is_refused() {
    let shape = TreeShape::for_sector(SectorSize::Size8MiB).unwrap();
    let data = leaves(64, 0);
    let small = TreeShape::new(64, 8, 0, 0).unwrap();
    // 2 KiB: one row may go (the root stays).
    assert!(PoseidonTree::build(small, &data[..], TreeConfig { discard_rows: 1 }).is_ok());
    assert!(matches!(
        PoseidonTree::build(small, &data[..], TreeConfig { discard_rows: 2 }),
        Err(TreeError::DiscardRows { max: 1, .. })
    ));
    // An oct-tree can rehash at most 8^5 leaves per proof: 4 rows.
    assert!(matches!(
        PoseidonTree::builder(shape, TreeConfig { discard_rows: 5 }),
        Err(TreeError::DiscardRows { max: 4, .. })
    ));
    assert!(PoseidonTree::builder(shape, TreeConfig { discard_rows: 4 }).is_ok());
}

#[test]
fn proving_with_other_leaves_is_detected() {
    let shape = TreeShape::new(512, 8, 8, 0).unwrap();
    let data = leaves(512, 77);
    let mut other = data.clone();
    other[300 * 32] ^= 1;
    for discard_rows in [0, 1, 2] {
        let tree = PoseidonTree::build(shape, &data[..], TreeConfig { discard_rows }).unwrap();
        for leaf in [300, 301, 256] {
            let r = tree.prove(leaf, &other[..]);
            // The proof rehashes the 8^(discard_rows + 1) leaves under the leaf's lowest kept
            // ancestor: the change is caught when it is among them.
            let span_bits = 3 * (discard_rows + 1);
            if leaf >> span_bits == 300 >> span_bits {
                assert!(
                    matches!(r, Err(TreeError::LeavesChanged { .. })),
                    "{leaf} {discard_rows}"
                );
            } else {
                r.unwrap().verify(&shape, leaf, &tree.root()).unwrap();
            }
        }
        // Leaves whose kept ancestor is not above the change still prove.
        if discard_rows < 2 {
            tree.prove(3, &other[..]).unwrap();
        }
    }
}

fn sample_proof() -> (TreeShape, u64, [u8; 32], InclusionProof) {
    let shape = TreeShape::new(1024, 8, 8, 2).unwrap();
    let data = leaves(1024, 11);
    let tree = PoseidonTree::build(shape, &data[..], TreeConfig::default()).unwrap();
    let leaf = 777;
    let proof = tree.prove(leaf, &data[..]).unwrap();
    (shape, leaf, tree.root(), proof)
}

/// Adversarial: every single-bit change of the leaf or a sibling, every other position, and
/// every structural change is rejected.
#[test]
fn every_mutated_proof_fails() {
    let (shape, leaf, root, proof) = sample_proof();
    proof.verify(&shape, leaf, &root).unwrap();

    for bit in 0..256 {
        let mut p = proof.clone();
        p.leaf[bit / 8] ^= 1 << (bit % 8);
        assert!(p.verify(&shape, leaf, &root).is_err(), "leaf bit {bit}");
    }
    for level in 0..proof.path.len() {
        for s in 0..proof.path[level].siblings.len() {
            for bit in [0, 1, 7, 8, 100, 200, 253, 254, 255] {
                let mut p = proof.clone();
                p.path[level].siblings[s][bit / 8] ^= 1 << (bit % 8);
                let r = p.verify(&shape, leaf, &root);
                assert!(
                    matches!(
                        r,
                        Err(ProofError::RootMismatch | ProofError::NonCanonical { .. })
                    ),
                    "level {level} sibling {s} bit {bit}: {r:?}"
                );
            }
        }
        let arity = shape.arity_at(level).unwrap();
        for position in 0..=255u8 {
            if position == proof.path[level].position {
                continue;
            }
            let mut p = proof.clone();
            p.path[level].position = position;
            let r = p.verify(&shape, leaf, &root);
            if (position as usize) < arity {
                assert!(matches!(r, Err(ProofError::LeafIndex { .. })), "{r:?}");
            } else {
                assert!(matches!(r, Err(ProofError::Position { .. })), "{r:?}");
            }
        }
        let mut p = proof.clone();
        p.path[level].siblings.pop();
        assert!(matches!(
            p.verify(&shape, leaf, &root),
            Err(ProofError::SiblingCount { .. })
        ));
        let mut p = proof.clone();
        p.path[level].siblings.push([0; 32]);
        assert!(matches!(
            p.verify(&shape, leaf, &root),
            Err(ProofError::SiblingCount { .. })
        ));
        let mut p = proof.clone();
        p.path.remove(level);
        assert!(matches!(
            p.verify(&shape, leaf, &root),
            Err(ProofError::PathLength { .. })
        ));
    }
    let mut p = proof.clone();
    p.path.push(p.path[0].clone());
    assert!(matches!(
        p.verify(&shape, leaf, &root),
        Err(ProofError::PathLength { .. })
    ));
    // Swapping two siblings changes the hash.
    let mut p = proof.clone();
    p.path[1].siblings.swap(0, 1);
    assert!(matches!(
        p.verify(&shape, leaf, &root),
        Err(ProofError::RootMismatch)
    ));
    // Right proof, wrong leaf index or wrong root.
    assert!(matches!(
        proof.verify(&shape, leaf + 1, &root),
        Err(ProofError::LeafIndex {
            expected: 778,
            proved: 777
        })
    ));
    assert!(matches!(
        proof.verify(&shape, leaf, &node_from_fr(&Fr::from(1u64))),
        Err(ProofError::RootMismatch)
    ));
    // A proof for another shape (8-2-0 over 1024 leaves has the same arities as 8-8-2, so the
    // same root and proofs: the shapes differ only in how Filecoin files the base trees).
    let same_levels = TreeShape::new(1024, 8, 2, 0).unwrap();
    proof.verify(&same_levels, leaf, &root).unwrap();
    let other = TreeShape::new(1024, 4, 4, 0).unwrap();
    assert!(matches!(
        proof.verify(&other, leaf, &root),
        Err(ProofError::PathLength { .. })
    ));
    // A non-canonical leaf is reported as such.
    let mut p = proof;
    p.leaf = MODULUS_LE;
    assert!(matches!(
        p.verify(&shape, leaf, &root),
        Err(ProofError::NonCanonical { level: 0, .. })
    ));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Arbitrary proofs never panic the verifier, and essentially never verify.
    #[test]
    fn random_proofs_are_rejected_without_panicking(
        leaf in any::<[u8; 32]>(),
        elements in prop::collection::vec(
            (any::<u8>(), prop::collection::vec(any::<[u8; 32]>(), 0..10)),
            0..6,
        ),
        index in any::<u64>(),
    ) {
        let (shape, _, root, _) = sample_proof_cached();
        let proof = InclusionProof {
            leaf,
            path: elements
                .into_iter()
                .map(|(position, siblings)| flowcoin_proofs::poseidon::PathElement { position, siblings })
                .collect(),
        };
        prop_assert!(proof.verify(&shape, index, &root).is_err());
        let _ = proof.leaf_index(&shape);
        let _ = proof.root(&shape);
    }

    /// Valid proofs with one random mutation fail.
    #[test]
    fn mutated_valid_proofs_fail(level in 0usize..4, which in any::<u16>(), byte in 0usize..32, bit in 0u8..8) {
        let (shape, leaf, root, mut p) = sample_proof_cached();
        let siblings = p.path[level].siblings.len();
        if (which as usize) % (siblings + 1) == siblings {
            p.leaf[byte] ^= 1 << bit;
        } else {
            p.path[level].siblings[which as usize % siblings][byte] ^= 1 << bit;
        }
        prop_assert!(p.verify(&shape, leaf, &root).is_err());
    }
}

fn sample_proof_cached() -> (TreeShape, u64, [u8; 32], InclusionProof) {
    static SAMPLE: std::sync::OnceLock<(TreeShape, u64, [u8; 32], InclusionProof)> =
        std::sync::OnceLock::new();
    SAMPLE.get_or_init(sample_proof).clone()
}
