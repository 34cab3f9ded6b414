//! Import throughput: root CID only (Kubo defaults and CIDv1 raw leaves), import into a fresh
//! disk store (including the final fsync and commit), and CAR export from the store.
//!
//! `cargo bench -p flowcoin-dag --bench import`; figures go to docs/BENCHMARKS.md.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

use flowcoin_dag::car::export_car;
use flowcoin_dag::store::{DiskStore, NullSink, PinInfo, PinKind};
use flowcoin_dag::unixfs::{ImportOptions, import_reader};

const SIZES: [usize; 2] = [1 << 20, 100 << 20];

fn data(size: usize) -> Vec<u8> {
    flowcoin_types::test_utils::vector_bytes(1, size)
}

fn cid_only(c: &mut Criterion) {
    let mut g = c.benchmark_group("cid_only");
    g.sample_size(10);
    for size in SIZES {
        let bytes = data(size);
        g.throughput(Throughput::Bytes(size as u64));
        for (name, opts) in [
            ("kubo-default", ImportOptions::default()),
            ("cidv1-raw", ImportOptions::cid_v1()),
        ] {
            g.bench_with_input(BenchmarkId::new(name, size), &bytes, |b, bytes| {
                b.iter(|| import_reader(&bytes[..], &opts, &mut NullSink, &mut |_| {}).unwrap());
            });
        }
    }
    g.finish();
}

fn into_store(c: &mut Criterion) {
    let mut g = c.benchmark_group("import_to_store");
    g.sample_size(10);
    for size in SIZES {
        let bytes = data(size);
        g.throughput(Throughput::Bytes(size as u64));
        g.bench_with_input(
            BenchmarkId::new("kubo-default", size),
            &bytes,
            |b, bytes| {
                b.iter_with_setup(
                    || tempfile::tempdir().unwrap(),
                    |dir| {
                        let store = DiskStore::open(dir.path()).unwrap();
                        let mut batch = store.batch().unwrap();
                        let opts = ImportOptions::default();
                        let e = import_reader(&bytes[..], &opts, &mut batch, &mut |_| {}).unwrap();
                        let info = PinInfo {
                            name: "b".into(),
                            kind: PinKind::File,
                            size: e.size,
                            dag_size: e.tsize,
                            created: 0,
                        };
                        batch.pin(e.cid, info);
                        batch.commit().unwrap();
                        dir
                    },
                );
            },
        );
    }
    g.finish();
}

fn car_export(c: &mut Criterion) {
    let mut g = c.benchmark_group("car_export");
    g.sample_size(10);
    let size = 100 << 20;
    let dir = tempfile::tempdir().unwrap();
    let store = DiskStore::open(dir.path()).unwrap();
    let mut batch = store.batch().unwrap();
    let e = import_reader(
        &data(size)[..],
        &ImportOptions::default(),
        &mut batch,
        &mut |_| {},
    )
    .unwrap();
    batch.pin(
        e.cid,
        PinInfo {
            name: "b".into(),
            kind: PinKind::File,
            size: e.size,
            dag_size: e.tsize,
            created: 0,
        },
    );
    batch.commit().unwrap();
    g.throughput(Throughput::Bytes(size as u64));
    g.bench_function("kubo-default/104857600", |b| {
        b.iter(|| export_car(&store, &e.cid, std::io::sink()).unwrap());
    });
    g.finish();
}

criterion_group!(benches, cid_only, into_store, car_export);
criterion_main!(benches);
