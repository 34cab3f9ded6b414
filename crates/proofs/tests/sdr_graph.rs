//! Known answers and properties of the SDR parent graph and its on-disk cache:
//! filecoin-spec §2.3 (parent-cache digests pinned in rust-fil-proofs'
//! `storage-proofs-porep/parent_cache.json`, reproduced by `reference/kat/kat_sdr_parents.py`).

use std::fs;
use std::time::Instant;

use flowcoin_proofs::sdr::cache::{CacheError, NODE_BYTES, ParentCache, known_digest};
use flowcoin_proofs::sdr::graph::{BASE_DEGREE, DEGREE, SdrGraph};
use flowcoin_proofs::sdr::label::label_layer;
use flowcoin_proofs::sdr::params::{
    ApiVersion, RegisteredSealProof, SdrParams, SealProofVersion, porep_id, replica_id,
};
use flowcoin_types::SectorSize;
use flowcoin_types::test_utils::{seal_input32, seal_sector_number, seal_vectors};
use proptest::prelude::*;
use proptest::test_runner::RngSeed;
use sha2::{Digest, Sha256};

fn graph(size: SectorSize, version: SealProofVersion) -> SdrGraph {
    SdrGraph::for_proof(RegisteredSealProof::new(size, version).unwrap()).unwrap()
}

/// SHA-256 of the cache bytes, computed from the graph alone (no file).
fn parents_digest(graph: &SdrGraph) -> String {
    let mut hasher = Sha256::new();
    for node in 0..graph.nodes() as u32 {
        for parent in graph.parents(node).unwrap() {
            hasher.update(parent.to_le_bytes());
        }
    }
    hex::encode(hasher.finalize())
}

/// Generates the cache in a fresh directory and returns its hex digest.
fn generated_digest(graph: &SdrGraph) -> String {
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let cache = ParentCache::generate(dir.path(), graph).unwrap();
    eprintln!(
        "{} nodes, API {}: generated in {:.2?}, SHA-256 {}",
        graph.nodes(),
        graph.api_version(),
        started.elapsed(),
        hex::encode(cache.digest())
    );
    assert_eq!(
        fs::metadata(cache.path()).unwrap().len(),
        graph.nodes() * NODE_BYTES as u64
    );
    hex::encode(cache.digest())
}

#[test]
fn example_parents_of_node_2() {
    let g = graph(SectorSize::Size2KiB, SealProofVersion::V1_1);
    assert_eq!(
        g.parents(2).unwrap(),
        [1, 1, 1, 0, 1, 0, 30, 28, 55, 63, 63, 36, 37, 36]
    );
    // API 1.0 samples the same parents and puts the predecessor last.
    let v1_0 = SdrGraph::new(64, &porep_id(5, 0), ApiVersion::V1_0_0).unwrap();
    assert_eq!(v1_0.base_parents(2).unwrap(), [1, 1, 0, 1, 0, 1]);
}

#[test]
fn cache_digest_2kib_v1() {
    let g = graph(SectorSize::Size2KiB, SealProofVersion::V1);
    let expected = "3da49221e2ed55371b86d0bf3d6526fcf128af61bed904f966428db1b531750d";
    assert_eq!(parents_digest(&g), expected);
    assert_eq!(generated_digest(&g), expected);
}

#[test]
fn cache_digest_2kib_v1_1() {
    let g = graph(SectorSize::Size2KiB, SealProofVersion::V1_1);
    let expected = "840057702eea7652cf97e04306c30fe57174714d90de156a25eddd6075c25b97";
    assert_eq!(parents_digest(&g), expected);
    assert_eq!(generated_digest(&g), expected);
}

#[test]
fn cache_digest_8mib_v1_1() {
    let g = graph(SectorSize::Size8MiB, SealProofVersion::V1_1);
    assert_eq!(
        generated_digest(&g),
        "03cd13565ded97c240a5f52e54295ad127bd0461b57904cb3a4d79b097bbecab"
    );
}

/// The spec lists `a76604f2…25b502ce` for 8 MiB, presumably StackedDrg8MiBV1 (id 1, API 1.0).
#[test]
fn cache_digest_8mib_v1_truncated() {
    let g = graph(SectorSize::Size8MiB, SealProofVersion::V1);
    let digest = generated_digest(&g);
    assert!(
        digest.starts_with("a76604f2") && digest.ends_with("25b502ce"),
        "{digest}"
    );
    assert_eq!(hex::encode(known_digest(&g).unwrap()), digest);
}

/// The spec lists two truncated 512 MiB digests, `3adcc092…4e3018f5` and `b5877d19…b8dc173a`:
/// they are StackedDrg512MiBV1 (id 2, API 1.0) and V1_1 (id 7, API 1.1). Also times checking
/// the cache on open and reading it in order. Minutes; run in release:
/// `cargo test --release -p flowcoin-proofs --test sdr_graph -- --ignored --nocapture`.
#[test]
#[ignore = "generates two 896 MiB caches (minutes)"]
fn cache_digest_512mib_truncated() {
    for (version, head, tail) in [
        (SealProofVersion::V1, "3adcc092", "4e3018f5"),
        (SealProofVersion::V1_1, "b5877d19", "b8dc173a"),
    ] {
        let g = graph(SectorSize::Size512MiB, version);
        let dir = tempfile::tempdir().unwrap();
        let started = Instant::now();
        let cache = ParentCache::generate(dir.path(), &g).unwrap();
        let generated = started.elapsed();
        let digest = hex::encode(cache.digest());
        eprintln!("512 MiB {version:?}: generated in {generated:.2?}, SHA-256 {digest}");
        assert!(
            digest.starts_with(head) && digest.ends_with(tail),
            "{version:?}: {digest}"
        );
        assert_eq!(hex::encode(known_digest(&g).unwrap()), digest);

        let started = Instant::now();
        assert_eq!(ParentCache::open(dir.path(), &g).unwrap(), cache);
        eprintln!("  checked on open in {:.2?}", started.elapsed());
        let started = Instant::now();
        let mut reader = cache.reader().unwrap();
        let mut sum = 0u64;
        for node in 0..g.nodes() as u32 {
            sum += u64::from(reader.parents(node).unwrap()[DEGREE - 1]);
        }
        eprintln!("  read in order in {:.2?} ({sum})", started.elapsed());
    }
}

#[test]
fn known_digests_are_the_published_ones() {
    let pinned = [
        (SectorSize::Size2KiB, SealProofVersion::V1, "3da49221"),
        (SectorSize::Size2KiB, SealProofVersion::V1_1, "84005770"),
        (SectorSize::Size8MiB, SealProofVersion::V1, "a76604f2"),
        (SectorSize::Size8MiB, SealProofVersion::V1_1, "03cd1356"),
        (SectorSize::Size512MiB, SealProofVersion::V1, "3adcc092"),
        (SectorSize::Size512MiB, SealProofVersion::V1_1, "b5877d19"),
    ];
    for (size, version, head) in pinned {
        let digest = known_digest(&graph(size, version)).unwrap();
        assert!(hex::encode(digest).starts_with(head));
    }
    // 32 GiB is published but not reproduced here; another porep_id (nonce 1) or layout has no
    // published digest.
    assert!(known_digest(&graph(SectorSize::Size32GiB, SealProofVersion::V1_1)).is_none());
    assert!(
        known_digest(&SdrGraph::new(64, &porep_id(5, 1), ApiVersion::V1_1_0).unwrap()).is_none()
    );
    assert!(
        known_digest(&SdrGraph::new(64, &porep_id(5, 0), ApiVersion::V1_0_0).unwrap()).is_none()
    );
}

/// Checks the structural rules of a node's parents.
fn check_parents(g: &SdrGraph, node: u32) {
    let parents = g.parents(node).unwrap();
    let (base, expander) = parents.split_at(BASE_DEGREE);
    assert_eq!(base, g.base_parents(node).unwrap());
    assert_eq!(expander, g.expander_parents(node).unwrap());
    if node < 2 {
        assert_eq!(base, [0; BASE_DEGREE]);
    } else {
        assert!(base.iter().all(|&p| p < node), "{node}: {base:?}");
        let predecessor = if g.api_version().predecessor_first() {
            base[0]
        } else {
            base[BASE_DEGREE - 1]
        };
        assert_eq!(predecessor, node - 1);
    }
    assert!(
        expander.iter().all(|&p| u64::from(p) < g.nodes()),
        "{node}: {expander:?}"
    );
}

fn api_version() -> impl Strategy<Value = ApiVersion> {
    prop_oneof![
        Just(ApiVersion::V1_0_0),
        Just(ApiVersion::V1_1_0),
        Just(ApiVersion::V1_2_0),
    ]
}

proptest! {
    // Fixed seed: the same cases on every run (STYLE: deterministic tests).
    #![proptest_config(ProptestConfig {
        cases: 64,
        rng_seed: RngSeed::Fixed(0x5d12_9a7e),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// Base parents precede the node (v − 1 in the API's slot), expander parents are nodes, and
    /// a rebuilt graph gives the same parents; for any porep_id and node count, also odd ones.
    #[test]
    fn parent_rules(
        porep in any::<[u8; 32]>(),
        api in api_version(),
        nodes in prop_oneof![1u64..300, Just(1 << 30), Just(1 << 31), Just(1 << 32)],
        picks in proptest::collection::vec(any::<u32>(), 8),
    ) {
        let g = SdrGraph::new(nodes, &porep, api).unwrap();
        let again = SdrGraph::new(nodes, &porep, api).unwrap();
        let last = (nodes - 1) as u32;
        for node in picks.into_iter().map(|p| (u64::from(p) % nodes) as u32).chain([0, 1.min(last), last]) {
            check_parents(&g, node);
            prop_assert_eq!(g.parents(node).unwrap(), again.parents(node).unwrap());
        }
        prop_assert!(g.parents(last.wrapping_add(1)).is_err() || nodes == 1 << 32);
    }

    /// API 1.0 and 1.1 sample the same five base parents and differ only in where v − 1 sits.
    #[test]
    fn layouts_share_samples(porep in any::<[u8; 32]>(), node in 2u32..1 << 20) {
        let v1_0 = SdrGraph::new(1 << 20, &porep, ApiVersion::V1_0_0).unwrap();
        let v1_1 = SdrGraph::new(1 << 20, &porep, ApiVersion::V1_1_0).unwrap();
        let a = v1_0.parents(node).unwrap();
        let b = v1_1.parents(node).unwrap();
        prop_assert_eq!(&a[..5], &b[1..6]);
        prop_assert_eq!(a[5], b[0]);
        prop_assert_eq!(&a[6..], &b[6..]);
    }
}

/// Every node of a whole 2 KiB graph in each layout.
#[test]
fn whole_small_graphs_follow_the_rules() {
    for version in [SealProofVersion::V1, SealProofVersion::V1_1] {
        let g = graph(SectorSize::Size2KiB, version);
        for node in 0..64 {
            check_parents(&g, node);
        }
    }
}

/// Reads every node through windows of several sizes, in order and out of order.
#[test]
fn cache_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let g = SdrGraph::new(1000, &[3; 32], ApiVersion::V1_1_0).unwrap();
    let cache = ParentCache::open_or_generate(dir.path(), &g).unwrap();
    assert_eq!(cache.nodes(), 1000);
    assert_eq!(cache.path(), dir.path().join(ParentCache::file_name(&g)));
    let expected: Vec<[u32; DEGREE]> = (0..1000).map(|v| g.parents(v).unwrap()).collect();
    for window in [1, 7, 999, 1000, 1 << 20] {
        let mut reader = cache.reader_with_window(window).unwrap();
        for (node, parents) in expected.iter().enumerate() {
            assert_eq!(
                &reader.parents(node as u32).unwrap(),
                parents,
                "window {window}"
            );
        }
        // Backwards, and the iterator after a rewind, twice (as for two layers).
        for node in (0..1000).rev().step_by(37) {
            assert_eq!(reader.parents(node).unwrap(), expected[node as usize]);
        }
        for _layer in 0..2 {
            reader.seek(0).unwrap();
            let all: Vec<_> = reader.by_ref().map(Result::unwrap).collect();
            assert_eq!(all, expected);
        }
        reader.seek(990).unwrap();
        assert_eq!(reader.by_ref().count(), 10);
        assert!(reader.seek(1001).is_err());
        assert!(matches!(
            reader.parents(1000),
            Err(CacheError::NodeOutOfRange {
                node: 1000,
                nodes: 1000
            })
        ));
    }
    // Reopening checks and reuses the file (same digest, no rewrite).
    let modified = fs::metadata(cache.path()).unwrap().modified().unwrap();
    let reopened = ParentCache::open_or_generate(dir.path(), &g).unwrap();
    assert_eq!(reopened, cache);
    assert_eq!(
        fs::metadata(cache.path()).unwrap().modified().unwrap(),
        modified
    );
    // No temporary files are left behind.
    let names: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
}

/// Each kind of damage is detected by `open` and repaired by `open_or_generate`.
#[test]
fn damaged_caches_are_detected_and_regenerated() {
    let dir = tempfile::tempdir().unwrap();
    let g = graph(SectorSize::Size2KiB, SealProofVersion::V1_1);
    let good = ParentCache::open_or_generate(dir.path(), &g).unwrap();
    let path = good.path().to_owned();
    let digest_path = {
        let mut p = path.clone().into_os_string();
        p.push(".sha256");
        std::path::PathBuf::from(p)
    };
    let bytes = fs::read(&path).unwrap();
    let digest_text = fs::read(&digest_path).unwrap();

    type Damage = fn(&std::path::Path, &std::path::Path, &[u8], &[u8]);
    let damages: [(&str, Damage); 7] = [
        ("flipped bit", |p, _, b, _| {
            let mut b = b.to_vec();
            b[100] ^= 1;
            fs::write(p, b).unwrap();
        }),
        ("truncated", |p, _, b, _| {
            fs::write(p, &b[..b.len() - 1]).unwrap()
        }),
        ("extended", |p, _, b, _| {
            fs::write(p, [b, &[0]].concat()).unwrap()
        }),
        ("cache deleted", |p, _, _, _| fs::remove_file(p).unwrap()),
        ("digest deleted", |_, d, _, _| fs::remove_file(d).unwrap()),
        ("digest garbled", |_, d, _, _| {
            fs::write(d, "not hex\n").unwrap()
        }),
        // A consistent pair that is not Filecoin's graph: caught by the published digest.
        ("consistent but wrong", |p, d, b, _| {
            let mut b = b.to_vec();
            b[100] ^= 1;
            fs::write(d, format!("{}\n", hex::encode(Sha256::digest(&b)))).unwrap();
            fs::write(p, b).unwrap();
        }),
    ];
    for (what, damage) in damages {
        damage(&path, &digest_path, &bytes, &digest_text);
        let err = ParentCache::open(dir.path(), &g).unwrap_err();
        assert!(
            matches!(err, CacheError::Corrupt { .. } | CacheError::Missing { .. }),
            "{what}: {err}"
        );
        let repaired = ParentCache::open_or_generate(dir.path(), &g).unwrap();
        assert_eq!(repaired, good, "{what}");
        assert_eq!(fs::read(&path).unwrap(), bytes, "{what}");
        assert_eq!(fs::read(&digest_path).unwrap(), digest_text, "{what}");
    }
}

/// A graph without a published digest is protected by its digest file alone.
#[test]
fn unpublished_graph_detects_corruption() {
    let dir = tempfile::tempdir().unwrap();
    let g = SdrGraph::new(300, &[9; 32], ApiVersion::V1_0_0).unwrap();
    let cache = ParentCache::generate(dir.path(), &g).unwrap();
    let mut bytes = fs::read(cache.path()).unwrap();
    bytes[NODE_BYTES * 200] ^= 0x80;
    fs::write(cache.path(), &bytes).unwrap();
    let err = ParentCache::open(dir.path(), &g).unwrap_err();
    assert!(err.to_string().contains("is corrupt"), "{err}");
    assert_eq!(
        ParentCache::open_or_generate(dir.path(), &g).unwrap(),
        cache
    );
}

/// A reader refuses a parent ≥ N even if the file changed after it was checked.
#[test]
fn reader_checks_parents() {
    let dir = tempfile::tempdir().unwrap();
    let g = SdrGraph::new(100, &[1; 32], ApiVersion::V1_1_0).unwrap();
    let cache = ParentCache::generate(dir.path(), &g).unwrap();
    let mut bytes = fs::read(cache.path()).unwrap();
    bytes[NODE_BYTES * 50 + 4 * 7..NODE_BYTES * 50 + 4 * 8].copy_from_slice(&100u32.to_le_bytes());
    fs::write(cache.path(), &bytes).unwrap();
    let mut reader = cache.reader().unwrap();
    assert!(reader.parents(49).is_ok());
    let err = reader.parents(50).unwrap_err();
    assert!(err.to_string().contains("node 50 has parent 100"), "{err}");
    // A file truncated under the reader fails the next load instead of returning stale parents.
    let mut reader = cache.reader_with_window(8).unwrap();
    fs::write(cache.path(), &bytes).unwrap();
    assert!(reader.parents(0).is_ok());
    fs::write(cache.path(), &bytes[..NODE_BYTES * 10]).unwrap();
    assert!(reader.parents(7).is_ok());
    assert!(matches!(reader.parents(12), Err(CacheError::Read { .. })));
    assert!(matches!(reader.parents(7), Err(CacheError::Read { .. })));
}

/// Generation into a path that cannot be a directory fails with the path in the message.
#[test]
fn generation_errors_name_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("file");
    fs::write(&blocker, b"x").unwrap();
    let g = SdrGraph::new(10, &[0; 32], ApiVersion::V1_1_0).unwrap();
    let err = ParentCache::open_or_generate(&blocker.join("parents"), &g).unwrap_err();
    assert!(matches!(err, CacheError::Write { .. }), "{err}");
    assert!(err.to_string().contains("file/parents"), "{err}");
}

/// End to end with the labeler: the layers of every seal vector, labeled with parents from the
/// cache (and for 2 KiB from the graph directly), have rust-fil-proofs' layer digests.
#[test]
fn seal_vector_layers_from_the_cache() {
    let doc = seal_vectors();
    let dir = tempfile::tempdir().unwrap();
    for v in doc["vectors"].as_array().unwrap() {
        let name = format!("{} seed {}", v["sector_size_label"], v["seed"]);
        let proof =
            RegisteredSealProof::from_id(v["registered_seal_proof_id"].as_u64().unwrap()).unwrap();
        let params = SdrParams::for_sector(proof.sector_size()).unwrap();
        let seed = v["seed"].as_u64().unwrap();
        let comm_d: [u8; 32] = hex::decode(v["comm_d"].as_str().unwrap())
            .unwrap()
            .try_into()
            .unwrap();
        let replica = replica_id(
            &seal_input32(seed, "prover_id"),
            seal_sector_number(seed),
            &seal_input32(seed, "ticket"),
            &comm_d,
            &proof.porep_id(),
        );
        let mut graph = SdrGraph::for_proof(proof).unwrap();
        let cache = ParentCache::open_or_generate(dir.path(), &graph).unwrap();
        let mut reader = cache.reader().unwrap();
        let bytes = params.nodes as usize * 32;
        let mut layers = vec![vec![0u8; bytes]; params.layers as usize];
        for (index, expected) in v["label_layers"].as_array().unwrap().iter().enumerate() {
            let (before, rest) = layers.split_at_mut(index);
            let prev = before.last().map(Vec::as_slice);
            let layer = index as u32 + 1;
            label_layer(
                &replica,
                layer,
                &mut reader,
                prev,
                &mut rest[0],
                &mut |_| {},
            )
            .unwrap();
            assert_eq!(
                hex::encode(Sha256::digest(&rest[0])),
                expected["sha256"].as_str().unwrap(),
                "{name} layer {layer}"
            );
            if params.nodes <= 64 {
                let mut direct = vec![0u8; bytes];
                label_layer(&replica, layer, &mut graph, prev, &mut direct, &mut |_| {}).unwrap();
                assert_eq!(direct, rest[0], "{name} layer {layer}");
            }
        }
    }
}
