//! Sealing against the rust-fil-proofs known answers of testdata/vectors/seal-vectors.json:
//! each stage is checked as soon as it exists.

use sha2::{Digest, Sha256};

use flowcoin_proofs::fr32;
use flowcoin_proofs::sdr::tree_file::{Levels, Sha256Tree, TreeFile, path_index, root_from_path};
use flowcoin_types::test_utils::{seal_stream, seal_vectors};

/// The unsealed sector of a vector: its data, Fr32-padded to the sector size.
fn unsealed(v: &serde_json::Value) -> Vec<u8> {
    let size = v["sector_size"].as_u64().unwrap() as usize;
    let data = seal_stream(v["seed"].as_u64().unwrap(), "data", size / 128 * 127);
    assert_eq!(
        hex::encode(Sha256::digest(&data)),
        v["inputs"]["data_sha256"].as_str().unwrap()
    );
    fr32::pad(&data).unwrap()
}

#[test]
fn unsealed_sector_and_tree_d_match_comm_d() {
    let doc = seal_vectors();
    for v in doc["vectors"].as_array().unwrap() {
        let name = format!("{} seed {}", v["sector_size_label"], v["seed"]);
        let sector = unsealed(v);
        assert_eq!(
            hex::encode(Sha256::digest(&sector)),
            v["unsealed_sector_sha256"].as_str().unwrap(),
            "{name}"
        );
        let dir = tempfile::tempdir().unwrap();
        let data_path = dir.path().join("unsealed");
        std::fs::write(&data_path, &sector).unwrap();
        let nodes = (sector.len() / 32) as u64;
        let levels = Levels::uniform(nodes, 2).unwrap();
        let tree =
            TreeFile::build(&data_path, &levels, &Sha256Tree, &dir.path().join("tree-d")).unwrap();
        assert_eq!(
            hex::encode(tree.root()),
            v["comm_d"].as_str().unwrap(),
            "{name}"
        );
        let reopened = TreeFile::open(&dir.path().join("tree-d"), &levels).unwrap();
        assert_eq!(reopened.root(), tree.root());
        for leaf in [0, 1, nodes / 2 + 3, nodes - 1] {
            let path = tree.path(&data_path, leaf).unwrap();
            assert_eq!(path_index(&path, &levels), Some(leaf));
            let at = (leaf * 32) as usize;
            let node: [u8; 32] = sector[at..at + 32].try_into().unwrap();
            assert_eq!(
                root_from_path(&node, &path, &levels, &Sha256Tree),
                Some(tree.root())
            );
            let mut bad = path.clone();
            bad[0].siblings[0][0] ^= 1;
            assert_ne!(
                root_from_path(&node, &bad, &levels, &Sha256Tree),
                Some(tree.root())
            );
            let mut bad = path.clone();
            bad[1].position = 2;
            assert_eq!(root_from_path(&node, &bad, &levels, &Sha256Tree), None);
            let short = &path[..path.len() - 1];
            assert_eq!(root_from_path(&node, short, &levels, &Sha256Tree), None);
            assert_eq!(path_index(short, &levels), None);
        }
    }
}

mod labels {
    use super::*;
    use flowcoin_proofs::sdr::graph::SdrGraph;
    use flowcoin_proofs::sdr::label::{DEGREE, LabelError, ParentSource, label_layer};
    use flowcoin_proofs::sdr::params::{RegisteredSealProof, replica_id};

    /// Parents straight from the graph (no cache): enough for test sizes.
    struct FromGraph<'g>(&'g SdrGraph);
    impl ParentSource for FromGraph<'_> {
        fn parents(&mut self, v: u64) -> Result<[u32; DEGREE], LabelError> {
            self.0
                .parents(v as u32)
                .map_err(|e| LabelError::Parents(e.to_string()))
        }
        fn rewind(&mut self) -> Result<(), LabelError> {
            Ok(())
        }
    }

    fn arr(hex_str: &str) -> [u8; 32] {
        hex::decode(hex_str).unwrap().try_into().unwrap()
    }

    #[test]
    fn label_layers_match_the_vectors() {
        let doc = seal_vectors();
        for v in doc["vectors"].as_array().unwrap() {
            let name = format!("{} seed {}", v["sector_size_label"], v["seed"]);
            let proof =
                RegisteredSealProof::from_id(v["registered_seal_proof_id"].as_u64().unwrap())
                    .unwrap();
            let graph = SdrGraph::for_proof(proof).unwrap();
            let inputs = &v["inputs"];
            let rid = replica_id(
                &arr(inputs["prover_id"].as_str().unwrap()),
                inputs["sector_number"].as_u64().unwrap(),
                &arr(inputs["ticket"].as_str().unwrap()),
                &arr(v["comm_d"].as_str().unwrap()),
                &proof.porep_id(),
            );
            assert_eq!(
                hex::encode(rid),
                v["replica_id"].as_str().unwrap(),
                "{name}"
            );
            let nodes = v["nodes"].as_u64().unwrap() as usize;
            let mut prev: Option<Vec<u8>> = None;
            for layer in v["label_layers"].as_array().unwrap() {
                let l = layer["layer"].as_u64().unwrap() as u32;
                let mut out = vec![0u8; nodes * 32];
                label_layer(
                    &rid,
                    l,
                    &mut FromGraph(&graph),
                    prev.as_deref(),
                    &mut out,
                    &mut |_| {},
                )
                .unwrap();
                assert_eq!(
                    hex::encode(&out[..32]),
                    layer["first_label"].as_str().unwrap(),
                    "{name} layer {l}"
                );
                assert_eq!(
                    hex::encode(&out[out.len() - 32..]),
                    layer["last_label"].as_str().unwrap(),
                    "{name} layer {l}"
                );
                assert_eq!(
                    hex::encode(Sha256::digest(&out)),
                    layer["sha256"].as_str().unwrap(),
                    "{name} layer {l}"
                );
                prev = Some(out);
            }
        }
    }
}

mod full_seal {
    use super::*;
    use flowcoin_proofs::sdr::params::RegisteredSealProof;
    use flowcoin_proofs::sdr::seal::{NoProgress, SealInputs, SectorCache, seal};
    use flowcoin_proofs::sdr::unseal::{UnsealInputs, unseal_range};
    use flowcoin_types::test_utils::{seal_input32, seal_sector_number};

    #[test]
    fn seal_reproduces_every_commitment_and_the_replica() {
        let doc = seal_vectors();
        let parents = tempfile::tempdir().unwrap();
        for v in doc["vectors"].as_array().unwrap() {
            let name = format!("{} seed {}", v["sector_size_label"], v["seed"]);
            let seed = v["seed"].as_u64().unwrap();
            let dir = tempfile::tempdir().unwrap();
            let unsealed_path = dir.path().join("unsealed");
            std::fs::write(&unsealed_path, unsealed(v)).unwrap();
            let inputs = SealInputs {
                proof: RegisteredSealProof::from_id(
                    v["registered_seal_proof_id"].as_u64().unwrap(),
                )
                .unwrap(),
                prover_id: seal_input32(seed, "prover_id"),
                sector_number: seal_sector_number(seed),
                ticket: seal_input32(seed, "ticket"),
            };
            let replica = dir.path().join("sealed");
            let cache = SectorCache::new(dir.path().join("cache"));
            let sealed = seal(
                &inputs,
                &unsealed_path,
                &replica,
                &cache,
                parents.path(),
                &mut NoProgress,
            )
            .unwrap();
            assert_eq!(
                hex::encode(sealed.comm_d),
                v["comm_d"].as_str().unwrap(),
                "{name}"
            );
            assert_eq!(
                hex::encode(sealed.replica_id),
                v["replica_id"].as_str().unwrap(),
                "{name}"
            );
            assert_eq!(
                hex::encode(sealed.comm_c),
                v["comm_c"].as_str().unwrap(),
                "{name}"
            );
            assert_eq!(
                hex::encode(sealed.comm_r_last),
                v["comm_r_last"].as_str().unwrap(),
                "{name}"
            );
            assert_eq!(
                hex::encode(sealed.comm_r),
                v["comm_r"].as_str().unwrap(),
                "{name}"
            );
            let replica_bytes = std::fs::read(&replica).unwrap();
            assert_eq!(
                hex::encode(Sha256::digest(&replica_bytes)),
                v["sealed_sector_sha256"].as_str().unwrap(),
                "{name}"
            );
            for layer in v["label_layers"].as_array().unwrap() {
                let bytes =
                    std::fs::read(cache.layer(layer["layer"].as_u64().unwrap() as u32)).unwrap();
                assert_eq!(
                    hex::encode(Sha256::digest(&bytes)),
                    layer["sha256"].as_str().unwrap(),
                    "{name}"
                );
            }

            // Unsealing gives the data back: from the cache's key, and with the key regenerated.
            let data = seal_stream(
                seed,
                "data",
                v["sector_size"].as_u64().unwrap() as usize / 128 * 127,
            );
            let unseal_inputs = UnsealInputs {
                proof: inputs.proof,
                prover_id: inputs.prover_id,
                sector_number: inputs.sector_number,
                ticket: inputs.ticket,
                comm_d: sealed.comm_d,
            };
            let mut out = Vec::new();
            unseal_range(
                &unseal_inputs,
                &replica,
                Some(&cache),
                parents.path(),
                0,
                data.len() as u64,
                &mut out,
                &mut |_, _| {},
            )
            .unwrap();
            assert!(out == data, "{name}: unseal from cache");
            for (offset, len) in [
                (0u64, 1u64),
                (126, 3),
                (1000, 1),
                (data.len() as u64 - 5, 5),
            ] {
                let mut part = Vec::new();
                unseal_range(
                    &unseal_inputs,
                    &replica,
                    None,
                    parents.path(),
                    offset,
                    len,
                    &mut part,
                    &mut |_, _| {},
                )
                .unwrap();
                assert_eq!(
                    part,
                    &data[offset as usize..(offset + len) as usize],
                    "{name}: range {offset}+{len}"
                );
            }
            let mut wrong = unseal_inputs;
            wrong.ticket[0] ^= 1;
            let mut garbage = Vec::new();
            unseal_range(
                &wrong,
                &replica,
                None,
                parents.path(),
                0,
                127,
                &mut garbage,
                &mut |_, _| {},
            )
            .unwrap();
            assert_ne!(
                garbage,
                &data[..127],
                "{name}: a wrong ticket cannot unseal"
            );
            assert!(
                unseal_range(
                    &unseal_inputs,
                    &replica,
                    None,
                    parents.path(),
                    data.len() as u64,
                    1,
                    &mut Vec::new(),
                    &mut |_, _| {}
                )
                .is_err()
            );
        }
    }
}
