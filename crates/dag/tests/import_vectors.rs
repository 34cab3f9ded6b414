//! Root CIDs must equal Kubo's for every known-answer file (testdata/vectors/import-vectors.json)
//! and every published UnixFS answer in its `external_known_answers`.

use flowcoin_dag::store::NullSink;
use flowcoin_dag::unixfs::{CidVersion, ImportOptions, import_reader};
use flowcoin_types::test_utils::{import_vectors, known_answer_content, vector_entry_reader};

fn profile(name: &str) -> ImportOptions {
    match name {
        "kubo-default" => ImportOptions::default(),
        "cidv1-raw" => ImportOptions {
            chunk_size: 1_048_576,
            max_links: 1024,
            ..ImportOptions::cid_v1()
        },
        "kubo-cidv1" => ImportOptions::cid_v1(),
        other => panic!("unknown profile {other}"),
    }
}

#[test]
fn every_vector_file_gets_kubos_root_cid() {
    let doc = import_vectors();
    let vectors = doc["vectors"].as_array().unwrap();
    assert!(vectors.len() >= 46);
    let mut checked = 0;
    for v in vectors {
        for prof in ["kubo-default", "cidv1-raw"] {
            let expected = v[prof]["cid"].as_str().unwrap();
            let opts = profile(prof);
            let root =
                import_reader(vector_entry_reader(v), &opts, &mut NullSink, &mut |_| {}).unwrap();
            assert_eq!(root.cid.to_string(), expected, "{} under {prof}", v["name"]);
            assert_eq!(root.size, v["size"].as_u64().unwrap());
            checked += 1;
        }
    }
    assert_eq!(checked, vectors.len() * 2);
}

#[test]
fn published_unixfs_answers() {
    let doc = import_vectors();
    for ka in doc["external_known_answers"]["unixfs"].as_array().unwrap() {
        let content = known_answer_content(&ka["content"]);
        let opts = profile(ka["profile"].as_str().unwrap());
        let root = import_reader(&content[..], &opts, &mut NullSink, &mut |_| {}).unwrap();
        assert_eq!(
            root.cid.to_string(),
            ka["cid"].as_str().unwrap(),
            "{}",
            ka["source"]
        );
    }
}

#[test]
fn cid_v1_root_uses_base32_and_v0_base58() {
    let v0 = import_reader(
        &b"x"[..],
        &ImportOptions::default(),
        &mut NullSink,
        &mut |_| {},
    )
    .unwrap();
    assert!(v0.cid.to_string().starts_with("Qm"));
    let opts = ImportOptions {
        cid_version: CidVersion::V1,
        raw_leaves: false,
        ..ImportOptions::default()
    };
    let v1 = import_reader(&b"x"[..], &opts, &mut NullSink, &mut |_| {}).unwrap();
    assert!(v1.cid.to_string().starts_with("bafy"));
    assert_eq!(v0.cid.hash(), v1.cid.hash());
}
