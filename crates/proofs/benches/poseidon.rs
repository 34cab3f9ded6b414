//! Poseidon throughput (one core) and Poseidon tree building (every core):
//! `cargo bench -p flowcoin-proofs --bench poseidon`.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use flowcoin_proofs::fr::Fr;
use flowcoin_proofs::poseidon::{ColumnLeaves, TreeShape, hash, tree_root};

/// Deterministic canonical field elements.
fn elements(count: usize) -> Vec<Fr> {
    (0..count as u64)
        .map(|i| Fr::from(i.wrapping_mul(0x9e37_79b9_7f4a_7c15)))
        .collect()
}

/// Deterministic canonical 32-byte nodes (top two bits clear).
fn nodes(count: usize, seed: u64) -> Vec<u8> {
    let mut state = seed | 1;
    let mut out = Vec::with_capacity(count * 32);
    while out.len() < count * 32 {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        out.extend_from_slice(&state.wrapping_mul(0x2545_f491_4f6c_dd1d).to_le_bytes());
    }
    for node in out.chunks_exact_mut(32) {
        node[31] &= 0x3f;
    }
    out
}

fn single_hash(c: &mut Criterion) {
    let mut group = c.benchmark_group("poseidon_hash");
    for arity in [2usize, 4, 8, 11] {
        let inputs = elements(arity);
        group.throughput(Throughput::Elements(1));
        group.bench_with_input(BenchmarkId::from_parameter(arity), &inputs, |b, inputs| {
            b.iter(|| hash(inputs))
        });
    }
    group.finish();
}

fn trees(c: &mut Criterion) {
    let mut group = c.benchmark_group("poseidon_tree");
    group.sample_size(10);
    // TreeR of an 8 MiB sector: 2^18 leaves, 37,449 arity-8 hashes.
    let shape = TreeShape::new(1 << 18, 8, 0, 0).expect("8 MiB shape");
    let leaves = nodes(1 << 18, 1);
    group.throughput(Throughput::Elements(1 << 18));
    group.bench_function("tree_r_8MiB", |b| b.iter(|| tree_root(&shape, &leaves[..])));
    // TreeC of an 8 MiB sector: 2^18 arity-2 column hashes, then the same oct-tree.
    let layers = [nodes(1 << 18, 2), nodes(1 << 18, 3)];
    let refs: Vec<&[u8]> = layers.iter().map(Vec::as_slice).collect();
    let columns = ColumnLeaves::new(&refs).expect("two layers");
    group.bench_function("tree_c_8MiB", |b| b.iter(|| tree_root(&shape, &columns)));
    group.finish();
}

criterion_group!(benches, single_hash, trees);
criterion_main!(benches);
