//! CAR export must match `ipfs dag export` byte for byte (the vectors give byte counts and
//! SHA-256); the reader must accept CARv1 and CARv2 and reject every kind of corruption with
//! the offset or CID of the problem.

use sha2::{Digest, Sha256};

use flowcoin_dag::Cid;
use flowcoin_dag::car::{CarReader, export_car, header_bytes, import_cars, inspect};
use flowcoin_dag::store::{DiskStore, MemoryBlockstore};
use flowcoin_dag::unixfs::{Exporter, ImportOptions, import_reader};
use flowcoin_types::test_utils::{import_vectors, vector_bytes, vector_entry_reader};

fn profile(name: &str) -> ImportOptions {
    match name {
        "kubo-default" => ImportOptions::default(),
        "cidv1-raw" => ImportOptions {
            chunk_size: 1_048_576,
            max_links: 1024,
            ..ImportOptions::cid_v1()
        },
        other => panic!("unknown profile {other}"),
    }
}

struct HashWriter(Sha256, u64);
impl std::io::Write for HashWriter {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.update(b);
        self.1 += b.len() as u64;
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn exports_match_ipfs_dag_export_for_every_vector() {
    let doc = import_vectors();
    let mut checked = 0;
    for v in doc["vectors"].as_array().unwrap() {
        for prof in ["kubo-default", "cidv1-raw"] {
            let expect = &v[prof];
            let mut store = MemoryBlockstore::new();
            let root = import_reader(
                vector_entry_reader(v),
                &profile(prof),
                &mut store,
                &mut |_| {},
            )
            .unwrap();
            let mut h = HashWriter(Sha256::new(), 0);
            let stats = export_car(&store, &root.cid, &mut h).unwrap();
            let name = format!("{} {prof}", v["name"]);
            assert_eq!(
                stats.blocks,
                expect["car_blocks"].as_u64().unwrap(),
                "{name}"
            );
            assert_eq!(stats.bytes, expect["car_bytes"].as_u64().unwrap(), "{name}");
            assert_eq!(h.1, stats.bytes, "{name}");
            assert_eq!(
                hex::encode(h.0.finalize()),
                expect["car_sha256"].as_str().unwrap(),
                "{name}"
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 92);
}

fn small_car() -> (Vec<u8>, Cid, Vec<u8>) {
    let data = vector_bytes(7, 600_000);
    let mut store = MemoryBlockstore::new();
    let root = import_reader(
        &data[..],
        &ImportOptions::default(),
        &mut store,
        &mut |_| {},
    )
    .unwrap();
    let mut car = Vec::new();
    export_car(&store, &root.cid, &mut car).unwrap();
    (car, root.cid, data)
}

fn read_all(bytes: &[u8]) -> Result<u64, flowcoin_dag::car::CarError> {
    let mut r = CarReader::new(bytes)?;
    let mut n = 0;
    while r.next_block()?.is_some() {
        n += 1;
    }
    Ok(n)
}

#[test]
fn car_round_trips_through_the_disk_store() {
    let (car, root, data) = small_car();
    let report = inspect(&car[..]).unwrap();
    assert_eq!(report.roots, vec![root]);
    assert_eq!(report.blocks, 4);
    assert!(report.missing.is_empty());
    assert_eq!(report.file_bytes, car.len() as u64);

    let dir = tempfile::tempdir().unwrap();
    let store = DiskStore::open(dir.path()).unwrap();
    let r = import_cars(&store, vec![("x.car".to_string(), &car[..])]).unwrap();
    assert_eq!(r.roots, vec![root]);
    assert_eq!(r.new_blocks, 4);
    let mut out = Vec::new();
    Exporter::new(&store)
        .read_file(&root, 0, None, &mut out)
        .unwrap();
    assert_eq!(out, data);
    let pins = store.pins().unwrap();
    assert_eq!(pins[0].1.size, data.len() as u64);
    // Re-export is byte-identical.
    let mut again = Vec::new();
    export_car(&store, &root, &mut again).unwrap();
    assert_eq!(again, car);
}

/// Wraps a CARv1 into a CARv2 with `pad` zero bytes between header and payload.
fn to_v2(v1: &[u8], pad: usize) -> Vec<u8> {
    let mut out = vec![
        0x0a, 0xa1, 0x67, b'v', b'e', b'r', b's', b'i', b'o', b'n', 0x02,
    ];
    let data_offset = 11 + 40 + pad as u64;
    out.extend_from_slice(&[0u8; 16]);
    out.extend_from_slice(&data_offset.to_le_bytes());
    out.extend_from_slice(&(v1.len() as u64).to_le_bytes());
    out.extend_from_slice(&0u64.to_le_bytes());
    out.extend(std::iter::repeat_n(0u8, pad));
    out.extend_from_slice(v1);
    // An index would follow; readers must stop at the data size.
    out.extend_from_slice(b"index bytes that are not sections");
    out
}

#[test]
fn carv2_is_read_and_imported() {
    let (car, root, data) = small_car();
    let v2 = to_v2(&car, 13);
    let report = inspect(&v2[..]).unwrap();
    assert_eq!(report.version, 2);
    assert_eq!(report.roots, vec![root]);
    assert_eq!(report.blocks, 4);
    let dir = tempfile::tempdir().unwrap();
    let store = DiskStore::open(dir.path()).unwrap();
    import_cars(&store, vec![("v2.car".to_string(), &v2[..])]).unwrap();
    let mut out = Vec::new();
    Exporter::new(&store)
        .read_file(&root, 0, None, &mut out)
        .unwrap();
    assert_eq!(out, data);
}

fn expect_rejected(bytes: &[u8], needle: &str) {
    let err = read_all(bytes).unwrap_err().to_string();
    assert!(err.contains(needle), "expected {needle:?} in {err:?}");
    // And nothing is kept by an import.
    let dir = tempfile::tempdir().unwrap();
    let store = DiskStore::open(dir.path()).unwrap();
    assert!(import_cars(&store, vec![("bad.car".to_string(), bytes)]).is_err());
    let stats = store.stats().unwrap();
    assert_eq!((stats.blocks, stats.pins, stats.live_bytes), (0, 0, 0));
}

#[test]
fn corrupt_cars_are_rejected_with_their_offset_and_nothing_is_kept() {
    let (car, root, _) = small_car();
    let header_len = header_bytes(&[root]).len();
    // Empty file.
    expect_rejected(&[], "empty file");
    // Bad header varint (continuation bits to the end).
    expect_rejected(&[0xff, 0xff], "at byte 0");
    // Header that is not CBOR.
    expect_rejected(&[0x02, 0xff, 0xff], "header");
    // Header of the wrong version.
    let mut v3 = header_bytes(&[root]);
    let last = v3.len() - 1;
    v3[last] = 0x03;
    expect_rejected(&v3, "unsupported CAR version 3");
    // Truncated block: cut in the middle of the second section.
    let mut r = CarReader::new(&car[..]).unwrap();
    r.next_block().unwrap();
    let second = r.next_block().unwrap().unwrap().2 as usize;
    expect_rejected(
        &car[..second + 1000],
        &format!("at byte {second}: truncated block section"),
    );
    // Hash mismatch: flip a byte in the first block's data.
    let mut flipped = car.clone();
    flipped[header_len + 60] ^= 1;
    expect_rejected(&flipped, &format!("at byte {header_len}: block"));
    // Bad section varint.
    let mut bad_varint = car[..header_len].to_vec();
    bad_varint.extend_from_slice(&[0xff; 11]);
    expect_rejected(&bad_varint, &format!("at byte {header_len}: bad varint"));
    // Section with a broken CID.
    let mut bad_cid = car[..header_len].to_vec();
    bad_cid.extend_from_slice(&[0x03, 0x01, 0x99, 0x99]);
    expect_rejected(&bad_cid, "section CID");
    // Section larger than the limit.
    let mut huge = car[..header_len].to_vec();
    huge.extend_from_slice(&[0x80, 0x80, 0x80, 0x80, 0x01]);
    expect_rejected(&huge, "exceeds");
}

#[test]
fn incomplete_dags_are_refused_naming_the_missing_block() {
    let (car, root, _) = small_car();
    // Drop the last section (a leaf): parse sections and rebuild without it.
    let mut r = CarReader::new(&car[..]).unwrap();
    let mut blocks = Vec::new();
    while let Some((cid, data, _)) = r.next_block().unwrap() {
        blocks.push((cid, data));
    }
    let (missing, _) = blocks.pop().unwrap();
    let mut w = flowcoin_dag::car::CarWriter::new(Vec::new(), &[root]).unwrap();
    for (c, d) in &blocks {
        w.write_block(c, d).unwrap();
    }
    let partial = w.finish().unwrap();
    let report = inspect(&partial[..]).unwrap();
    assert_eq!(report.missing, vec![missing]);
    let dir = tempfile::tempdir().unwrap();
    let store = DiskStore::open(dir.path()).unwrap();
    let err = import_cars(&store, vec![("p.car".to_string(), &partial[..])])
        .unwrap_err()
        .to_string();
    assert!(err.contains(&missing.to_string()), "{err}");
    assert_eq!(store.stats().unwrap().blocks, 0);
}

#[test]
fn blocks_whose_links_cannot_be_read_are_refused() {
    // A dag-json block: GC could not see what it links to, so the store must not take it.
    let block = b"{}";
    let cid = Cid::new_v1(0x0129, flowcoin_dag::hash::HashFn::Sha2_256.digest(block));
    let mut w = flowcoin_dag::car::CarWriter::new(Vec::new(), &[cid]).unwrap();
    w.write_block(&cid, block).unwrap();
    let car = w.finish().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = DiskStore::open(dir.path()).unwrap();
    let err = import_cars(&store, vec![("j.car".to_string(), &car[..])])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("cannot follow") && err.contains(&cid.to_string()),
        "{err}"
    );
    assert_eq!(store.stats().unwrap().blocks, 0);
    assert!(
        inspect(&car[..])
            .unwrap_err()
            .to_string()
            .contains("cannot follow")
    );
}
