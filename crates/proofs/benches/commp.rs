//! commP throughput at 1 MiB and 100 MiB of payload in memory: `cargo bench -p flowcoin-proofs`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use flowcoin_proofs::commp_of_bytes;

/// Deterministic, incompressible-looking payload (xorshift64*).
fn payload(len: usize) -> Vec<u8> {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        out.extend_from_slice(&state.wrapping_mul(0x2545_f491_4f6c_dd1d).to_le_bytes());
    }
    out.truncate(len);
    out
}

fn commp_throughput(c: &mut Criterion) {
    let mut group = c.benchmark_group("commp");
    for (name, len, samples) in [("1MiB", 1 << 20, 50), ("100MiB", 100 << 20, 10)] {
        let data = payload(len);
        group.throughput(Throughput::Bytes(len as u64));
        group.sample_size(samples);
        group.bench_function(name, |b| b.iter(|| commp_of_bytes(&data)));
    }
    group.finish();
}

criterion_group!(benches, commp_throughput);
criterion_main!(benches);
