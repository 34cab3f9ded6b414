//! Sealing and proving: a whole 2 KiB seal, labeling one 8 MiB layer (PC1's inner loop),
//! seal-proof verification and Winning PoSt on 2 KiB.
//!
//! `cargo bench -p flowcoin-proofs --bench seal`; whole-sector phase times for larger sizes come
//! from `flowcoin bench seal --sector-size S` (docs/BENCHMARKS.md).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

use flowcoin_proofs::sdr::cache::ParentCache;
use flowcoin_proofs::sdr::commit::{SealPublicInputs, prove_seal, verify_seal};
use flowcoin_proofs::sdr::graph::SdrGraph;
use flowcoin_proofs::sdr::label::label_layer;
use flowcoin_proofs::sdr::params::{
    PoStProofKind, RegisteredPoStProof, RegisteredSealProof, SealProofVersion,
};
use flowcoin_proofs::sdr::post::{PrivateSector, PublicSector, prove_winning, verify_winning};
use flowcoin_proofs::sdr::seal::{NoProgress, SealInputs, SectorCache, seal};
use flowcoin_types::SectorSize;

fn sector(size: SectorSize, dir: &std::path::Path) -> std::path::PathBuf {
    let mut data = vec![0u8; size.bytes() as usize];
    let mut s = 0x9e37_79b9_7f4a_7c15u64;
    for node in data.chunks_mut(32) {
        for b in node.iter_mut() {
            s = s.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            *b = (s >> 56) as u8;
        }
        node[31] &= 0x3f;
    }
    let path = dir.join("unsealed");
    std::fs::write(&path, data).unwrap();
    path
}

fn benches(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let parents = dir.path().join("parents");
    let unsealed = sector(SectorSize::Size2KiB, dir.path());
    let proof = RegisteredSealProof::new(SectorSize::Size2KiB, SealProofVersion::V1_1).unwrap();
    let inputs = SealInputs {
        proof,
        prover_id: [1; 32],
        sector_number: 1,
        ticket: [2; 32],
    };
    let cache = SectorCache::new(dir.path().join("cache"));
    let replica = dir.path().join("sealed");
    c.bench_function("seal/2KiB", |b| {
        b.iter(|| {
            seal(
                &inputs,
                &unsealed,
                &replica,
                &cache,
                &parents,
                &mut NoProgress,
            )
            .unwrap()
        })
    });
    let sealed = seal(
        &inputs,
        &unsealed,
        &replica,
        &cache,
        &parents,
        &mut NoProgress,
    )
    .unwrap();
    let seal_proof = prove_seal(&sealed, &[3; 32], &unsealed, &replica, &cache).unwrap();
    let public = SealPublicInputs {
        proof,
        prover_id: [1; 32],
        sector_number: 1,
        ticket: [2; 32],
        seed: [3; 32],
        comm_d: sealed.comm_d,
        comm_r: sealed.comm_r,
    };
    c.bench_function("verify_seal/2KiB", |b| {
        b.iter(|| verify_seal(&public, &seal_proof).unwrap())
    });
    let post = RegisteredPoStProof::new(SectorSize::Size2KiB, PoStProofKind::Winning).unwrap();
    let private = [PrivateSector {
        sector_number: 1,
        replica,
        tree_r: cache.tree_r(),
        comm_c: sealed.comm_c,
        comm_r_last: sealed.comm_r_last,
    }];
    let set = [PublicSector {
        sector_number: 1,
        comm_r: sealed.comm_r,
    }];
    c.bench_function("winning_post_prove_verify/2KiB", |b| {
        b.iter(|| {
            let p = prove_winning(post, &[1; 32], &[4; 32], &private).unwrap();
            verify_winning(post, &[1; 32], &[4; 32], &set, &p).unwrap();
        })
    });

    // PC1's inner loop: one layer of an 8 MiB sector (2^18 labels of 20 compressions).
    let big = RegisteredSealProof::new(SectorSize::Size8MiB, SealProofVersion::V1_1).unwrap();
    let graph = SdrGraph::for_proof(big).unwrap();
    let parent_cache = ParentCache::open_or_generate(&parents, &graph).unwrap();
    let mut layer = vec![0u8; SectorSize::Size8MiB.bytes() as usize];
    let mut g = c.benchmark_group("labels");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(layer.len() as u64));
    g.bench_function("layer1/8MiB", |b| {
        b.iter(|| {
            let mut reader = parent_cache.reader().unwrap();
            label_layer(&[5; 32], 1, &mut reader, None, &mut layer, &mut |_| {}).unwrap();
        })
    });
    g.finish();
}

criterion_group!(seal_benches, benches);
criterion_main!(seal_benches);
