//! The persistent store: atomic batches, pins, reading back, garbage collection, recovery.

use std::os::unix::fs::MetadataExt;

use flowcoin_dag::Cid;
use flowcoin_dag::store::{BlockSink, Blockstore, DiskStore, PinInfo, PinKind, StoreOptions};
use flowcoin_dag::unixfs::{Exporter, ImportOptions, import_reader};
use flowcoin_types::test_utils::vector_bytes;

fn pin(name: &str) -> PinInfo {
    PinInfo {
        name: name.into(),
        kind: PinKind::File,
        size: 0,
        dag_size: 0,
        created: 0,
    }
}

fn import(store: &DiskStore, data: &[u8], opts: &ImportOptions) -> Cid {
    let mut batch = store.batch().unwrap();
    let root = import_reader(data, opts, &mut batch, &mut |_| {}).unwrap();
    batch.pin(root.cid, pin("f"));
    batch.commit().unwrap();
    root.cid
}

fn read_all(store: &DiskStore, cid: &Cid) -> Vec<u8> {
    let mut out = Vec::new();
    Exporter::new(store)
        .read_file(cid, 0, None, &mut out)
        .unwrap();
    out
}

fn pack_bytes_on_disk(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir.join("packs"))
        .unwrap()
        .map(|e| e.unwrap().metadata().unwrap().blocks() * 512)
        .sum()
}

#[test]
fn committed_imports_survive_reopen_and_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let data = vector_bytes(1, 3_000_000);
    let cid = {
        let store = DiskStore::open(dir.path()).unwrap();
        import(&store, &data, &ImportOptions::default())
    };
    let store = DiskStore::open(dir.path()).unwrap();
    assert_eq!(read_all(&store, &cid), data);
    let pins = store.pins().unwrap();
    assert_eq!(pins.len(), 1);
    assert_eq!(pins[0].0, cid);
    let stats = store.stats().unwrap();
    assert_eq!(stats.pins, 1);
    assert_eq!(stats.blocks, 13, "12 leaves + 1 root");
    // A range in the middle, across a chunk boundary.
    let mut part = Vec::new();
    Exporter::new(&store)
        .read_file(&cid, 262_000, Some(1000), &mut part)
        .unwrap();
    assert_eq!(part, &data[262_000..263_000]);
}

#[test]
fn a_dropped_batch_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = DiskStore::open(dir.path()).unwrap();
    let kept = import(&store, b"kept", &ImportOptions::default());
    let before = store.stats().unwrap();
    let data = vector_bytes(2, 2_000_000);
    let root = {
        let mut batch = store.batch().unwrap();
        let root = import_reader(
            &data[..],
            &ImportOptions::default(),
            &mut batch,
            &mut |_| {},
        )
        .unwrap();
        batch.pin(root.cid, pin("dropped"));
        root.cid
        // dropped without commit
    };
    assert!(!store.contains(&root).unwrap());
    assert_eq!(store.stats().unwrap(), before);
    assert_eq!(read_all(&store, &kept), b"kept");
    drop(store);
    let store = DiskStore::open(dir.path()).unwrap();
    assert_eq!(store.stats().unwrap(), before);
    assert_eq!(read_all(&store, &kept), b"kept");
}

#[test]
fn identical_blocks_are_stored_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = DiskStore::open(dir.path()).unwrap();
    let zeros = vec![0u8; 5 * 262_144];
    import(&store, &zeros, &ImportOptions::default());
    assert_eq!(
        store.stats().unwrap().blocks,
        2,
        "one distinct leaf and the root"
    );
    // The same leaf as CIDv1 dag-pb shares the block (the index is keyed by multihash); only
    // the root differs, because it links to CIDv1s.
    let v1 = ImportOptions {
        cid_version: flowcoin_dag::unixfs::CidVersion::V1,
        ..ImportOptions::default()
    };
    let root = import(&store, &zeros, &v1);
    assert_eq!(store.stats().unwrap().blocks, 3);
    assert_eq!(read_all(&store, &root), zeros);
}

#[test]
fn gc_removes_exactly_what_no_pin_reaches_and_frees_disk() {
    let dir = tempfile::tempdir().unwrap();
    let store = DiskStore::open(dir.path()).unwrap();
    let a = vector_bytes(3, 4_000_000);
    let mut b = a.clone();
    b.extend_from_slice(&vector_bytes(4, 20_000_000));
    let ca = import(&store, &a, &ImportOptions::default());
    let cb = import(&store, &b, &ImportOptions::default());
    let before = pack_bytes_on_disk(dir.path());
    let blocks_before = store.stats().unwrap().blocks;

    assert!(store.unpin(&cb).unwrap());
    assert!(!store.unpin(&cb).unwrap());
    let report = store.gc().unwrap();
    // b has 92 leaves and shares its first 15 with a (4_000_000 / 262_144 = 15 full chunks):
    // its 77 other leaves and its root go.
    assert_eq!(
        report.blocks_removed,
        blocks_before - store.stats().unwrap().blocks
    );
    assert_eq!(report.blocks_removed, 78);
    assert_eq!(read_all(&store, &ca), a);
    assert!(!store.contains(&cb).unwrap());
    let after = pack_bytes_on_disk(dir.path());
    assert!(after < before - 15_000_000, "disk use {before} -> {after}");

    // Removing the last pin empties the store and deletes the packs.
    store.unpin(&ca).unwrap();
    let report = store.gc().unwrap();
    assert_eq!(store.stats().unwrap().blocks, 0);
    assert!(report.packs_deleted >= 1);
    assert_eq!(pack_bytes_on_disk(dir.path()), 0);
    // And the store keeps working.
    let c = import(&store, b"again", &ImportOptions::default());
    drop(store);
    let store = DiskStore::open(dir.path()).unwrap();
    assert_eq!(read_all(&store, &c), b"again");
}

#[test]
fn recovery_cuts_uncommitted_appends_and_unknown_packs() {
    let dir = tempfile::tempdir().unwrap();
    let cid = {
        let store = DiskStore::open(dir.path()).unwrap();
        import(&store, b"committed", &ImportOptions::default())
    };
    // Simulate a crash after appends that were never committed: garbage at the end of the pack
    // and a stray pack file.
    let packs = dir.path().join("packs");
    let first = std::fs::read_dir(&packs)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let len = std::fs::metadata(&first).unwrap().len();
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&first)
        .unwrap();
    std::io::Write::write_all(&mut f, &[0xAB; 5000]).unwrap();
    std::fs::write(packs.join("00000099.pack"), b"stray").unwrap();
    let store = DiskStore::open(dir.path()).unwrap();
    assert_eq!(std::fs::metadata(&first).unwrap().len(), len);
    assert!(!packs.join("00000099.pack").exists());
    assert_eq!(read_all(&store, &cid), b"committed");
}

#[test]
fn a_second_open_is_refused_while_the_first_is_live() {
    let dir = tempfile::tempdir().unwrap();
    let _store = DiskStore::open(dir.path()).unwrap();
    let err = DiskStore::open(dir.path()).unwrap_err();
    assert!(err.to_string().contains("in use"), "{err}");
}

#[test]
fn invalid_dag_pb_blocks_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = DiskStore::open(dir.path()).unwrap();
    let bad = [0xffu8, 0x01];
    let cid = Cid::new_v0(flowcoin_dag::hash::HashFn::Sha2_256.digest(&bad)).unwrap();
    let mut batch = store.batch().unwrap();
    let err = batch.put(&cid, &bad).unwrap_err();
    assert!(err.to_string().contains("dag-pb"), "{err}");
}

#[test]
fn get_of_a_missing_block_is_none() {
    let dir = tempfile::tempdir().unwrap();
    let store = DiskStore::open(dir.path()).unwrap();
    let cid = Cid::new_v1(0x55, flowcoin_dag::hash::HashFn::Sha2_256.digest(b"nope"));
    assert_eq!(store.get(&cid).unwrap(), None);
    assert!(
        store
            .get_required(&cid)
            .unwrap_err()
            .to_string()
            .contains("not in the store")
    );
}

#[test]
fn small_packs_rotate_and_gc_deletes_whole_dead_packs() {
    let dir = tempfile::tempdir().unwrap();
    let options = StoreOptions {
        pack_target: 1 << 20,
    };
    let (a, b) = (vector_bytes(5, 3_000_000), vector_bytes(6, 3_000_000));
    let (ca, cb) = {
        let store = DiskStore::open_with(dir.path(), options).unwrap();
        let ca = import(&store, &a, &ImportOptions::default());
        let cb = import(&store, &b, &ImportOptions::default());
        (ca, cb)
    };
    let store = DiskStore::open_with(dir.path(), options).unwrap();
    let packs = store.stats().unwrap().packs;
    assert!(packs >= 6, "{packs} packs for 6 MB in 1 MiB packs");
    assert_eq!(read_all(&store, &ca), a);
    assert_eq!(read_all(&store, &cb), b);
    store.unpin(&ca).unwrap();
    let report = store.gc().unwrap();
    assert!(report.packs_deleted >= 2, "{report:?}");
    assert_eq!(read_all(&store, &cb), b);
    let files = std::fs::read_dir(dir.path().join("packs")).unwrap().count() as u64;
    assert_eq!(files, store.stats().unwrap().packs);
}
