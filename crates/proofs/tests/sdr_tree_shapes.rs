//! Trees on disk with per-level arities: Filecoin's compound shapes (8-8-0, 8-8-2) built by
//! `sdr::tree_file` agree with the independent in-memory `poseidon::tree`, their paths verify
//! and paths of the wrong shape are refused; the parameter table gives each size its shape.

use flowcoin_proofs::fr::{Fr, node_from_fr};
use flowcoin_proofs::poseidon::{TreeShape, tree_root};
use flowcoin_proofs::sdr::params::SdrParams;
use flowcoin_proofs::sdr::tree_file::{
    Levels, PoseidonTree, Sha256Tree, TreeError, TreeFile, path_index, root_from_path,
};
use flowcoin_types::SectorSize;

/// `count` canonical leaves (small field elements derived from the index).
fn leaves(count: u64) -> Vec<u8> {
    (0..count)
        .flat_map(|i| node_from_fr(&Fr::from(i.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 8)))
        .collect()
}

#[test]
fn compound_shapes_match_the_in_memory_tree_and_their_paths_verify() {
    // (base arity, sub, top) as Filecoin writes shapes, with a few base levels.
    for (base_levels, sub, top) in [(2usize, 8usize, 2usize), (2, 8, 0), (3, 0, 0), (1, 8, 2)] {
        let mut arities = vec![8; base_levels];
        arities.extend([sub, top].into_iter().filter(|&a| a != 0));
        let count: u64 = arities.iter().map(|&a| a as u64).product();
        let levels = Levels::new(count, arities.clone()).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let leaf_file = dir.path().join("leaves");
        let data = leaves(count);
        std::fs::write(&leaf_file, &data).unwrap();
        let tree =
            TreeFile::build(&leaf_file, &levels, &PoseidonTree, &dir.path().join("t")).unwrap();

        let shape = TreeShape::new(count, 8, sub, top).unwrap();
        let expected = tree_root(&shape, &data[..]).unwrap();
        assert_eq!(tree.root(), expected, "{arities:?}");
        let reopened = TreeFile::open(&dir.path().join("t"), &levels).unwrap();
        assert_eq!(reopened.root(), expected);

        for leaf in [0, 1, count / 2 + 5, count - 1] {
            let path = tree.path(&leaf_file, leaf).unwrap();
            assert_eq!(path.len(), arities.len());
            for (level, &arity) in path.iter().zip(&arities) {
                assert_eq!(level.siblings.len(), arity - 1);
            }
            let at = (leaf * 32) as usize;
            let node: [u8; 32] = data[at..at + 32].try_into().unwrap();
            assert_eq!(path_index(&path, &levels), Some(leaf));
            assert_eq!(
                root_from_path(&node, &path, &levels, &PoseidonTree),
                Some(expected)
            );
            // The same path read as a uniform oct-tree of the same height is refused or wrong.
            if top != 0 {
                let uniform =
                    Levels::new(8u64.pow(arities.len() as u32), vec![8; arities.len()]).unwrap();
                assert_eq!(root_from_path(&node, &path, &uniform, &PoseidonTree), None);
                // A top level with 7 siblings instead of 1 does not fit the 8-8-2 shape.
                let mut wide = path.clone();
                let last = wide.last_mut().unwrap();
                last.siblings = vec![last.siblings[0]; 7];
                assert_eq!(root_from_path(&node, &wide, &levels, &PoseidonTree), None);
            }
        }
    }
}

#[test]
fn shapes_that_do_not_multiply_to_the_leaf_count_are_refused() {
    assert!(matches!(
        Levels::new(1024, vec![8, 8, 8]),
        Err(TreeError::Shape { leaves: 1024, .. })
    ));
    assert!(Levels::new(16, vec![8, 1, 2]).is_err());
    assert!(Levels::new(1, vec![]).is_err());
    assert!(Levels::uniform(1 << 10, 8).is_err());
    assert!(Levels::uniform(1 << 9, 8).is_ok());
    // A hasher that cannot combine an arity is refused before anything is written.
    let dir = tempfile::tempdir().unwrap();
    let leaf_file = dir.path().join("leaves");
    std::fs::write(&leaf_file, leaves(64)).unwrap();
    let levels = Levels::uniform(64, 8).unwrap();
    let out = dir.path().join("t");
    assert!(TreeFile::build(&leaf_file, &levels, &Sha256Tree, &out).is_err());
    assert!(!out.exists());
}

#[test]
fn every_sector_size_has_its_filecoin_tree_shape() {
    let expect = [
        (SectorSize::Size2KiB, vec![8; 2]),
        (SectorSize::Size8MiB, vec![8; 6]),
        (SectorSize::Size512MiB, vec![8; 8]),
        (SectorSize::Size32GiB, vec![8; 10]),
        (SectorSize::Size64GiB, [vec![8; 9], vec![8, 2]].concat()),
    ];
    for (size, arities) in expect {
        let params = SdrParams::for_sector(size).unwrap();
        let r = params.tree_r_levels().unwrap();
        assert_eq!(r.arities(), &arities[..], "{size}");
        assert_eq!(r.leaves(), params.nodes);
        let d = params.tree_d_levels().unwrap();
        assert_eq!(d.height(), params.nodes.trailing_zeros() as usize);
        // The in-memory shape of the same size agrees on the height.
        let shape = TreeShape::for_sector(size).unwrap();
        assert_eq!(shape.height(), r.height(), "{size}");
    }
}
