//! Property tests: whatever is imported reads back identically, through the store, through a
//! CAR, by range and by path, for random sizes, chunkers, layouts and directory shapes
//! (including HAMT-sharded directories, forced with small thresholds).

use std::collections::BTreeMap;
use std::path::Path;

use proptest::prelude::*;

use flowcoin_dag::car::{CarReader, export_car};
use flowcoin_dag::store::{BlockSink, MemoryBlockstore};
use flowcoin_dag::unixfs::{CidVersion, Exporter, ImportOptions, import_path, import_reader};

fn arb_options() -> impl Strategy<Value = ImportOptions> {
    (
        any::<bool>(),
        any::<bool>(),
        1usize..70_000,
        2usize..40,
        100usize..4000,
    )
        .prop_map(|(v1, raw, chunk, links, hamt)| ImportOptions {
            cid_version: if v1 { CidVersion::V1 } else { CidVersion::V0 },
            raw_leaves: raw,
            chunk_size: chunk,
            max_links: links,
            hamt_threshold: hamt,
            ..ImportOptions::default()
        })
}

fn bytes_for(seed: u64, len: usize) -> Vec<u8> {
    flowcoin_types::test_utils::vector_bytes(seed, len)
}

/// Re-reads every block of a CAR into a fresh store.
fn through_car(store: &MemoryBlockstore, root: &flowcoin_dag::Cid) -> MemoryBlockstore {
    let mut car = Vec::new();
    export_car(store, root, &mut car).unwrap();
    let mut fresh = MemoryBlockstore::new();
    let mut r = CarReader::new(&car[..]).unwrap();
    assert_eq!(r.header().roots, vec![*root]);
    while let Some((cid, data, _)) = r.next_block().unwrap() {
        fresh.put(&cid, &data).unwrap();
    }
    assert_eq!(fresh.len(), store.len(), "the CAR holds every block once");
    fresh
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn files_round_trip(opts in arb_options(), len in 0usize..400_000, seed in 0u64..1000,
                        start in 0usize..400_000, span in 0usize..100_000) {
        let data = bytes_for(seed, len);
        let mut store = MemoryBlockstore::new();
        let root = import_reader(&data[..], &opts, &mut store, &mut |_| {}).unwrap();
        prop_assert_eq!(root.size, len as u64);
        let copy = through_car(&store, &root.cid);
        let ex = Exporter::new(&copy);
        let mut out = Vec::new();
        ex.read_file(&root.cid, 0, None, &mut out).unwrap();
        prop_assert_eq!(&out, &data);
        let start = start.min(len);
        let mut part = Vec::new();
        ex.read_file(&root.cid, start as u64, Some(span as u64), &mut part).unwrap();
        prop_assert_eq!(&part[..], &data[start..(start + span).min(len)]);
    }
}

/// A random directory tree: path → file content (or None for an empty directory).
fn arb_tree() -> impl Strategy<Value = BTreeMap<String, Option<(u64, usize)>>> {
    let name = "[a-zA-Z0-9 _äé-]{1,12}";
    let path = proptest::collection::vec(name, 1..4).prop_map(|parts| parts.join("/"));
    let entry = proptest::option::weighted(0.9, (0u64..1000, 0usize..3000));
    proptest::collection::btree_map(path, entry, 1..40)
}

fn write_tree(
    root: &Path,
    tree: &BTreeMap<String, Option<(u64, usize)>>,
) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    for (path, entry) in tree {
        let p = root.join(path);
        // A path may be both a file and a prefix of another path: keep the first kind that wins.
        if p.ancestors().skip(1).any(|a| a.is_file()) || p.exists() {
            continue;
        }
        match entry {
            None => std::fs::create_dir_all(&p).unwrap(),
            Some((seed, len)) => {
                std::fs::create_dir_all(p.parent().unwrap()).unwrap();
                let data = bytes_for(*seed, *len);
                std::fs::write(&p, &data).unwrap();
                files.insert(path.clone(), data);
            }
        }
    }
    files
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn directories_round_trip(opts in arb_options(), tree in arb_tree()) {
        let tmp = tempfile::tempdir().unwrap();
        let src = tmp.path().join("src");
        std::fs::create_dir(&src).unwrap();
        let files = write_tree(&src, &tree);
        let mut store = MemoryBlockstore::new();
        let root = import_path(&src, &opts, &mut store, &mut |_| {}).unwrap();
        let copy = through_car(&store, &root.cid);
        let ex = Exporter::new(&copy);
        // Every file resolves by path and reads back.
        for (path, data) in &files {
            let cid = ex.resolve(&root.cid, path).unwrap();
            let mut out = Vec::new();
            ex.read_file(&cid, 0, None, &mut out).unwrap();
            prop_assert_eq!(&out, data, "{}", path);
        }
        // And the whole tree comes back out identical.
        let out = tmp.path().join("out");
        ex.get(&root.cid, &out).unwrap();
        for entry in walk(&src) {
            let rel = entry.strip_prefix(&src).unwrap();
            let back = out.join(rel);
            if entry.is_dir() {
                prop_assert!(back.is_dir(), "{}", rel.display());
            } else {
                prop_assert_eq!(std::fs::read(&entry).unwrap(), std::fs::read(&back).unwrap());
            }
        }
        prop_assert_eq!(walk(&src).len(), walk(&out).len());
    }
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        }
        out.push(p);
    }
    out
}

/// A reader that fails after `left` bytes.
struct Failing {
    left: usize,
}

impl std::io::Read for Failing {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.left == 0 {
            return Err(std::io::Error::other("disk on fire"));
        }
        let n = buf.len().min(self.left);
        buf[..n].fill(7);
        self.left -= n;
        Ok(n)
    }
}

#[test]
fn read_errors_in_the_middle_of_a_file_are_reported_not_hung() {
    for left in [0, 100, 262_144, 3_000_000] {
        let mut store = MemoryBlockstore::new();
        let err = import_reader(
            Failing { left },
            &ImportOptions::default(),
            &mut store,
            &mut |_| {},
        )
        .unwrap_err();
        assert!(err.to_string().contains("disk on fire"), "{err}");
    }
}
