//! Directories and import options against the real Kubo 0.22 (testdata/kubo/, produced by
//! scripts/interop/make_dir_vectors.py): root CIDs and `ipfs dag export` bytes.

use std::path::Path;

use serde_json::Value;
use sha2::{Digest, Sha256};

use flowcoin_dag::car::export_car;
use flowcoin_dag::store::MemoryBlockstore;
use flowcoin_dag::unixfs::{CidVersion, ImportOptions, import_path, import_reader};
use flowcoin_types::test_utils::{testdata_dir, vector_bytes};

fn load(name: &str) -> Value {
    let path = testdata_dir().join("kubo").join(name);
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn options(o: &Value) -> ImportOptions {
    ImportOptions {
        cid_version: if o["cid_version"].as_u64() == Some(1) {
            CidVersion::V1
        } else {
            CidVersion::V0
        },
        raw_leaves: o["raw_leaves"].as_bool().unwrap(),
        chunk_size: ImportOptions::parse_chunker(o["chunker"].as_str().unwrap()).unwrap(),
        max_links: o["max_links"].as_u64().unwrap() as usize,
        hidden: o["hidden"].as_bool().unwrap_or(false),
        wrap: o["wrap"].as_bool().unwrap_or(false),
        ..ImportOptions::default()
    }
}

fn content(c: &Value, index: u64) -> Vec<u8> {
    let size = c["size"].as_u64().unwrap_or(0) as usize;
    match c["kind"].as_str().unwrap() {
        "random" => {
            let seed = c["seed"]
                .as_u64()
                .or_else(|| c["seed_base"].as_u64().map(|b| b + index))
                .unwrap();
            vector_bytes(seed, size)
        }
        "zeros" => vec![0; size],
        "text" => c["text"].as_str().unwrap().as_bytes().to_vec(),
        other => panic!("unknown content kind {other}"),
    }
}

fn build_tree(root: &Path, entries: &[Value]) {
    std::fs::create_dir_all(root).unwrap();
    for e in entries {
        match e["kind"].as_str().unwrap() {
            "dir" => std::fs::create_dir_all(root.join(e["path"].as_str().unwrap())).unwrap(),
            "symlink" => {
                let p = root.join(e["path"].as_str().unwrap());
                std::fs::create_dir_all(p.parent().unwrap()).unwrap();
                std::os::unix::fs::symlink(e["target"].as_str().unwrap(), p).unwrap();
            }
            "series" => {
                let dir = root.join(e["dir"].as_str().unwrap());
                std::fs::create_dir_all(&dir).unwrap();
                let width = e["width"].as_u64().unwrap() as usize;
                let name_len = e["name_len"].as_u64().unwrap() as usize;
                let fill = e["fill"].as_str().unwrap();
                for i in 0..e["count"].as_u64().unwrap() {
                    let mut name = format!("{}{:0width$}", e["prefix"].as_str().unwrap(), i);
                    while name.len() < name_len {
                        name.push_str(fill);
                    }
                    std::fs::write(dir.join(name), content(&e["content"], i)).unwrap();
                }
            }
            _ => {
                let p = root.join(e["path"].as_str().unwrap());
                std::fs::create_dir_all(p.parent().unwrap()).unwrap();
                std::fs::write(p, content(e, 0)).unwrap();
            }
        }
    }
}

fn check_car(store: &MemoryBlockstore, root: &flowcoin_dag::Cid, expect: &Value, what: &str) {
    if expect["car_sha256"].is_null() {
        return;
    }
    let mut car = Vec::new();
    let stats = export_car(store, root, &mut car).unwrap();
    assert_eq!(
        stats.blocks,
        expect["car_blocks"].as_u64().unwrap(),
        "{what}"
    );
    assert_eq!(
        car.len() as u64,
        expect["car_bytes"].as_u64().unwrap(),
        "{what}"
    );
    assert_eq!(
        hex::encode(Sha256::digest(&car)),
        expect["car_sha256"].as_str().unwrap(),
        "{what}"
    );
}

#[test]
fn directory_trees_match_kubo() {
    let doc = load("dir-vectors.json");
    let tmp = tempfile::tempdir().unwrap();
    let mut checked = 0;
    for tree in doc["trees"].as_array().unwrap() {
        let name = tree["name"].as_str().unwrap();
        let root = tmp.path().join(name);
        build_tree(&root, tree["entries"].as_array().unwrap());
        for result in tree["results"].as_array().unwrap() {
            let opts = options(&result["options"]);
            let mut store = MemoryBlockstore::new();
            let entry = import_path(&root, &opts, &mut store, &mut |_| {}).unwrap();
            let what = format!("{name} with `{}`", result["kubo"].as_str().unwrap());
            assert_eq!(
                entry.cid.to_string(),
                result["root"].as_str().unwrap(),
                "{what}"
            );
            check_car(&store, &entry.cid, result, &what);
            checked += 1;
        }
    }
    assert!(checked >= 50, "only {checked} results");
}

#[test]
fn file_options_match_kubo() {
    let doc = load("file-vectors.json");
    let mut checked = 0;
    for v in doc["vectors"].as_array().unwrap() {
        let data = content(v, 0);
        for result in v["results"].as_array().unwrap() {
            let opts = options(&result["options"]);
            let mut store = MemoryBlockstore::new();
            let entry = import_reader(&data[..], &opts, &mut store, &mut |_| {}).unwrap();
            let what = format!(
                "{} bytes with `{}`",
                data.len(),
                result["kubo"].as_str().unwrap()
            );
            assert_eq!(
                entry.cid.to_string(),
                result["root"].as_str().unwrap(),
                "{what}"
            );
            check_car(&store, &entry.cid, result, &what);
            checked += 1;
        }
    }
    assert!(checked >= 30, "only {checked} results");
}
