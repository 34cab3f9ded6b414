//! Sealing against the rust-fil-proofs known answers of testdata/vectors/seal-vectors.json:
//! each stage is checked as soon as it exists.

use sha2::{Digest, Sha256};

use flowcoin_proofs::fr32;
use flowcoin_proofs::sdr::tree_file::{Sha256Tree, TreeFile, path_index, root_from_path};
use flowcoin_types::test_utils::{seal_stream, seal_vectors};

/// The unsealed sector of a vector: its data, Fr32-padded to the sector size.
fn unsealed(v: &serde_json::Value) -> Vec<u8> {
    let size = v["sector_size"].as_u64().unwrap() as usize;
    let data = seal_stream(v["seed"].as_u64().unwrap(), "data", size / 128 * 127);
    assert_eq!(hex::encode(Sha256::digest(&data)), v["inputs"]["data_sha256"].as_str().unwrap());
    fr32::pad(&data).unwrap()
}

#[test]
fn unsealed_sector_and_tree_d_match_comm_d() {
    let doc = seal_vectors();
    for v in doc["vectors"].as_array().unwrap() {
        let name = format!("{} seed {}", v["sector_size_label"], v["seed"]);
        let sector = unsealed(v);
        assert_eq!(hex::encode(Sha256::digest(&sector)), v["unsealed_sector_sha256"].as_str().unwrap(), "{name}");
        let dir = tempfile::tempdir().unwrap();
        let data_path = dir.path().join("unsealed");
        std::fs::write(&data_path, &sector).unwrap();
        let nodes = (sector.len() / 32) as u64;
        let tree = TreeFile::build(&data_path, nodes, &Sha256Tree, &dir.path().join("tree-d")).unwrap();
        assert_eq!(hex::encode(tree.root()), v["comm_d"].as_str().unwrap(), "{name}");
        let reopened = TreeFile::open(&dir.path().join("tree-d"), nodes, 2).unwrap();
        assert_eq!(reopened.root(), tree.root());
        for leaf in [0, 1, nodes / 2 + 3, nodes - 1] {
            let path = tree.path(&data_path, leaf).unwrap();
            assert_eq!(path_index(&path, 2), Some(leaf));
            let at = (leaf * 32) as usize;
            let node: [u8; 32] = sector[at..at + 32].try_into().unwrap();
            assert_eq!(root_from_path(&node, &path, &Sha256Tree), Some(tree.root()));
            let mut bad = path.clone();
            bad[0].siblings[0][0] ^= 1;
            assert_ne!(root_from_path(&node, &bad, &Sha256Tree), Some(tree.root()));
            let mut bad = path.clone();
            bad[1].position = 2;
            assert_eq!(root_from_path(&node, &bad, &Sha256Tree), None);
        }
    }
}
