//! Field multiplication and Poseidon throughput (one core), Poseidon tree building (every
//! core): `cargo bench -p flowcoin-proofs --bench poseidon`.

use std::hint::black_box;
use std::ops::MulAssign;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use flowcoin_proofs::fr::Fr;
use flowcoin_proofs::poseidon::field::MontFr;
use flowcoin_proofs::poseidon::{ColumnLeaves, TreeShape, hash, hash_node_bytes_many, tree_root};

/// Multiplications per iteration of the field benchmarks: ns per multiplication is the
/// reported time divided by this.
const CHAIN: u64 = 1000;

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

/// A dependent chain of multiplications (each uses the previous product): latency, the cost
/// that bounds the partial rounds.
fn field_mul(c: &mut Criterion) {
    let mut group = c.benchmark_group("fr_mul_chain");
    group.throughput(Throughput::Elements(CHAIN));
    let (a, b) = (
        Fr::from(0x1234_5678_9abc_def0u64),
        Fr::from(0x0fed_cba9_8765_4321u64),
    );
    group.bench_function("blstrs", |bench| {
        bench.iter(|| {
            let mut x = black_box(a);
            for _ in 0..CHAIN {
                x.mul_assign(&b);
            }
            x
        })
    });
    let (a, b) = (MontFr::from_fr(&a), MontFr::from_fr(&b));
    group.bench_function("montfr", |bench| {
        bench.iter(|| {
            let mut x = black_box(a);
            for _ in 0..CHAIN {
                x = x.mul(&b);
            }
            x
        })
    });
    group.bench_function("montfr_square", |bench| {
        bench.iter(|| {
            let mut x = black_box(a);
            for _ in 0..CHAIN {
                x = x.square();
            }
            x
        })
    });
    group.finish();

    // Four independent chains: throughput, what the full rounds and batched hashes see.
    let mut group = c.benchmark_group("fr_mul_4_chains");
    group.throughput(Throughput::Elements(4 * CHAIN));
    let (fa, fb) = (a.to_fr(), b.to_fr());
    group.bench_function("blstrs", |bench| {
        bench.iter(|| {
            let mut x = black_box([fa, fb, fa, fb]);
            for _ in 0..CHAIN {
                x.iter_mut().for_each(|x| x.mul_assign(&fb));
            }
            x
        })
    });
    group.bench_function("montfr", |bench| {
        bench.iter(|| {
            let mut x = black_box([a, b, a, b]);
            for _ in 0..CHAIN {
                x.iter_mut().for_each(|x| *x = x.mul(&b));
            }
            x
        })
    });
    group.finish();
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

/// Many hashes of one arity in one call (eight at a time where the CPU has AVX-512 IFMA): time
/// per hash is the reported time per element, to compare with `poseidon_hash`.
fn many_hashes(c: &mut Criterion) {
    const GROUPS: usize = 4096;
    let mut group = c.benchmark_group("poseidon_many");
    group.sample_size(10);
    group.throughput(Throughput::Elements(GROUPS as u64));
    for arity in [2usize, 8, 11] {
        let children = nodes(GROUPS * arity, arity as u64);
        let mut out = vec![[0u8; 32]; GROUPS];
        group.bench_with_input(
            BenchmarkId::from_parameter(arity),
            &children,
            |b, children| b.iter(|| hash_node_bytes_many(arity, children, &mut out)),
        );
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

criterion_group!(benches, field_mul, single_hash, many_hashes, trees);
criterion_main!(benches);
