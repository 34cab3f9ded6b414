//! CommC and CommRLast of the rust-fil-proofs seal vectors, computed by `poseidon::PoseidonTree`
//! from the label layers and the replica that `sdr::seal` writes (whose own commitments
//! `sdr_seal.rs` checks), and inclusion proofs of the vectors' PoRep challenges in both trees.

use flowcoin_proofs::fr32;
use flowcoin_proofs::poseidon::{
    ColumnLeaves, FileLeaves, PoseidonTree, TreeConfig, TreeShape, comm_r, tree_root,
};
use flowcoin_proofs::sdr::params::RegisteredSealProof;
use flowcoin_proofs::sdr::seal::{NoProgress, SealInputs, SectorCache, seal};
use flowcoin_types::SectorSize;
use flowcoin_types::test_utils::{seal_input32, seal_sector_number, seal_stream, seal_vectors};

fn node(v: &serde_json::Value, key: &str) -> [u8; 32] {
    hex::decode(v[key].as_str().unwrap())
        .unwrap()
        .try_into()
        .unwrap()
}

/// Every 2 KiB vector and the first 8 MiB one (2^18 leaves: eight chunks of 2^15).
#[test]
fn tree_c_and_tree_r_roots_of_the_seal_vectors() {
    let doc = seal_vectors();
    let parents = tempfile::tempdir().unwrap();
    let mut checked_8mib = false;
    for v in doc["vectors"].as_array().unwrap() {
        let bytes = v["sector_size"].as_u64().unwrap();
        if bytes != 2048 && checked_8mib {
            continue;
        }
        checked_8mib |= bytes != 2048;
        let name = format!("{} seed {}", v["sector_size_label"], v["seed"]);
        let seed = v["seed"].as_u64().unwrap();
        let size = *SectorSize::ALL.iter().find(|s| s.bytes() == bytes).unwrap();
        let shape = TreeShape::for_sector(size).unwrap();

        let dir = tempfile::tempdir().unwrap();
        let unsealed = dir.path().join("unsealed");
        let data = seal_stream(seed, "data", bytes as usize / 128 * 127);
        std::fs::write(&unsealed, fr32::pad(&data).unwrap()).unwrap();
        let inputs = SealInputs {
            proof: RegisteredSealProof::from_id(v["registered_seal_proof_id"].as_u64().unwrap())
                .unwrap(),
            prover_id: seal_input32(seed, "prover_id"),
            sector_number: seal_sector_number(seed),
            ticket: seal_input32(seed, "ticket"),
        };
        let replica = dir.path().join("sealed");
        let cache = SectorCache::new(dir.path().join("cache"));
        seal(
            &inputs,
            &unsealed,
            &replica,
            &cache,
            parents.path(),
            &mut NoProgress,
        )
        .unwrap();

        // TreeC over the columns of every layer's labels.
        let layers: Vec<Vec<u8>> = (1..=v["layers"].as_u64().unwrap() as u32)
            .map(|l| std::fs::read(cache.layer(l)).unwrap())
            .collect();
        let refs: Vec<&[u8]> = layers.iter().map(Vec::as_slice).collect();
        let columns = ColumnLeaves::new(&refs).unwrap();
        let tree_c = PoseidonTree::build(shape, &columns, TreeConfig::default()).unwrap();
        assert_eq!(
            hex::encode(tree_c.root()),
            v["comm_c"].as_str().unwrap(),
            "{name}"
        );

        // TreeR over the replica, read from its file, with rust-fil-proofs' two discarded
        // rows where the tree is tall enough.
        let leaves = FileLeaves::open(&replica).unwrap();
        let discard_rows = if shape.height() > 2 { 2 } else { 0 };
        let tree_r = PoseidonTree::build(shape, &leaves, TreeConfig { discard_rows }).unwrap();
        assert_eq!(
            hex::encode(tree_r.root()),
            v["comm_r_last"].as_str().unwrap(),
            "{name}"
        );
        assert_eq!(tree_root(&shape, &leaves).unwrap(), tree_r.root());
        assert_eq!(
            comm_r(&tree_c.root(), &tree_r.root()).unwrap(),
            node(v, "comm_r"),
            "{name}"
        );

        // The PoRep challenges open in both trees.
        for partition in v["porep_challenges"].as_array().unwrap() {
            for challenge in partition.as_array().unwrap() {
                let c = challenge.as_u64().unwrap();
                let proof_c = tree_c.prove(c, &columns).unwrap();
                proof_c.verify(&shape, c, &node(v, "comm_c")).unwrap();
                let proof_r = tree_r.prove(c, &leaves).unwrap();
                proof_r.verify(&shape, c, &node(v, "comm_r_last")).unwrap();
                let replica_bytes = std::fs::read(&replica).unwrap();
                let at = c as usize * 32;
                assert_eq!(&proof_r.leaf[..], &replica_bytes[at..at + 32]);
            }
        }
    }
    assert!(checked_8mib);
}
