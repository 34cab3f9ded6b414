//! The data layer from the command line, end to end, with known answers where the outside
//! world has them.

mod common;

use common::{fails, json, ok, run, s, write_vector};
use flowcoin_types::test_utils::{import_vectors, vector_entry_reader};

#[test]
fn import_file_and_directory_give_kubos_cids() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    let hello = tmp.path().join("hello.txt");
    std::fs::write(&hello, "hello world\n").unwrap();
    let out = ok(&repo, &["client", "import", s(&hello)]);
    assert!(
        out.contains("QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o"),
        "{out}"
    );
    let v1 = json(
        &repo,
        &[
            "client",
            "import",
            "--cid-version",
            "1",
            "--json",
            s(&hello),
        ],
    );
    assert_eq!(
        v1["root"],
        "bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4"
    );
    assert_eq!(v1["size"], 12);

    // The "single-file" tree of testdata/kubo/dir-vectors.json.
    let dir = tmp.path().join("single-file");
    std::fs::create_dir(&dir).unwrap();
    std::fs::copy(&hello, dir.join("hello.txt")).unwrap();
    let d = json(&repo, &["client", "import", "--json", s(&dir)]);
    assert_eq!(d["root"], "QmfLiVjH2vujCVP2e75zyzBYmpcjktmDeU1YBz6Ct8BBsc");
    assert_eq!(d["kind"], "directory");
    let only = ok(
        &repo,
        &[
            "client",
            "import",
            "-q",
            "--only-hash",
            "--cid-version",
            "1",
            s(&dir),
        ],
    );
    assert_eq!(
        only.trim(),
        "bafybeidhkumeonuwkebh2i4fc7o7lguehauradvlk57gzake6ggjsy372a"
    );

    let ls = json(&repo, &["client", "ls", "--json"]);
    let cids: Vec<&str> = ls
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["cid"].as_str().unwrap())
        .collect();
    assert_eq!(cids.len(), 3, "--only-hash pins nothing: {cids:?}");
    assert!(cids.contains(&"QmfLiVjH2vujCVP2e75zyzBYmpcjktmDeU1YBz6Ct8BBsc"));
    let hello_cat = ok(
        &repo,
        &[
            "client",
            "cat",
            "QmfLiVjH2vujCVP2e75zyzBYmpcjktmDeU1YBz6Ct8BBsc/hello.txt",
        ],
    );
    assert_eq!(hello_cat, "hello world\n");
}

#[test]
fn vector_files_through_the_cli() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    let doc = import_vectors();
    for v in doc["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["size"].as_u64().unwrap() <= 10_485_760)
    {
        let file = tmp.path().join(v["name"].as_str().unwrap());
        std::io::copy(
            &mut vector_entry_reader(v),
            &mut std::fs::File::create(&file).unwrap(),
        )
        .unwrap();
        let kubo = json(&repo, &["client", "import", "--json", s(&file)]);
        assert_eq!(kubo["root"], v["kubo-default"]["cid"], "{}", v["name"]);
        let raw = json(
            &repo,
            &[
                "client",
                "import",
                "--json",
                "--only-hash",
                "--cid-version",
                "1",
                "--chunker",
                "size-1048576",
                "--max-links",
                "1024",
                s(&file),
            ],
        );
        assert_eq!(raw["root"], v["cidv1-raw"]["cid"], "{}", v["name"]);
        let commp = json(&repo, &["client", "commp", "--json", s(&file)]);
        for key in ["piece_cid_v1", "piece_cid_v2"] {
            assert_eq!(commp[key], v["commp"][key], "{} {key}", v["name"]);
        }
        assert_eq!(commp["padded_size"], v["commp"]["padded_piece_size"]);
        assert_eq!(commp["unpadded_size"], v["commp"]["unpadded_piece_size"]);

        // The exported CAR is the one `ipfs dag export` writes, and its commP is the vector's.
        let car = tmp.path().join("out.car");
        let _ = std::fs::remove_file(&car);
        ok(
            &repo,
            &[
                "car",
                "export",
                kubo["root"].as_str().unwrap(),
                "-o",
                s(&car),
            ],
        );
        assert_eq!(
            std::fs::metadata(&car).unwrap().len(),
            v["kubo-default"]["car_bytes"].as_u64().unwrap()
        );
        let car_commp = json(&repo, &["client", "commp", "--json", s(&car)]);
        assert_eq!(
            car_commp["piece_cid_v1"],
            v["kubo-default"]["car_piece_cid_v1"]
        );
        assert_eq!(
            car_commp["piece_cid_v2"],
            v["kubo-default"]["car_piece_cid_v2"]
        );
    }
}

#[test]
fn cat_ranges_and_get_trees() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    let dir = tmp.path().join("tree");
    std::fs::create_dir_all(dir.join("sub/deeper")).unwrap();
    let data = flowcoin_types::test_utils::vector_bytes(11, 700_000);
    std::fs::write(dir.join("sub/deeper/big.bin"), &data).unwrap();
    std::fs::write(dir.join("a.txt"), "alpha").unwrap();
    std::fs::create_dir(dir.join("empty")).unwrap();
    std::os::unix::fs::symlink("a.txt", dir.join("link")).unwrap();
    std::fs::write(dir.join(".secret"), "hidden").unwrap();
    let root = json(&repo, &["client", "import", "--json", s(&dir)])["root"]
        .as_str()
        .unwrap()
        .to_owned();

    let range = run(
        &repo,
        &[
            "client",
            "cat",
            &format!("{root}/sub/deeper/big.bin"),
            "--offset",
            "262000",
            "--length",
            "5000",
        ],
    );
    assert!(range.status.success());
    assert_eq!(range.stdout, &data[262_000..267_000]);
    let tail = run(
        &repo,
        &[
            "client",
            "cat",
            &format!("/ipfs/{root}/sub/deeper/big.bin"),
            "--offset",
            "699990",
        ],
    );
    assert_eq!(tail.stdout, &data[699_990..]);
    let err = fails(&repo, &["client", "cat", &format!("{root}/nope")]);
    assert!(err.contains("no entry \"nope\""), "{err}");
    let err = fails(&repo, &["client", "cat", &format!("{root}/sub")]);
    assert!(err.contains("not a file"), "{err}");
    let err = fails(
        &repo,
        &["client", "cat", &format!("{root}/a.txt"), "--offset", "6"],
    );
    assert!(err.contains("past the end"), "{err}");
    let err = fails(&repo, &["client", "cat", "not-a-cid"]);
    assert!(err.contains("not a valid CID"), "{err}");

    let out = tmp.path().join("out");
    ok(&repo, &["client", "get", &root, "-o", s(&out)]);
    assert_eq!(std::fs::read(out.join("sub/deeper/big.bin")).unwrap(), data);
    assert_eq!(std::fs::read_to_string(out.join("a.txt")).unwrap(), "alpha");
    assert!(out.join("empty").is_dir());
    assert_eq!(
        std::fs::read_link(out.join("link")).unwrap().to_str(),
        Some("a.txt")
    );
    assert!(
        !out.join(".secret").exists(),
        "hidden files are skipped without --hidden"
    );
    let err = fails(&repo, &["client", "get", &root, "-o", s(&out)]);
    assert!(err.contains("exists already"), "{err}");
    let single = tmp.path().join("single.bin");
    ok(
        &repo,
        &[
            "client",
            "get",
            &format!("{root}/sub/deeper/big.bin"),
            "-o",
            s(&single),
        ],
    );
    assert_eq!(std::fs::read(&single).unwrap(), data);
}

#[test]
fn car_export_import_and_inspect_round_trip() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    let file = write_vector(&tmp.path().join("f.bin"), 12, 3_000_000);
    let root = json(&a, &["client", "import", "--json", s(&file)])["root"]
        .as_str()
        .unwrap()
        .to_owned();
    let car = tmp.path().join("f.car");
    ok(&a, &["car", "export", &root, "-o", s(&car)]);
    let info = json(&a, &["car", "inspect", "--json", s(&car)]);
    assert_eq!(info["roots"][0], root.as_str());
    assert_eq!(info["complete"], true);
    assert_eq!(info["blocks"], 13);

    let imported = json(&b, &["car", "import", "--json", s(&car)]);
    assert_eq!(imported["roots"][0], root.as_str());
    assert_eq!(imported["new_blocks"], 13);
    let back = run(&b, &["client", "cat", &root]);
    assert_eq!(back.stdout, std::fs::read(&file).unwrap());
    let verify = json(&b, &["client", "verify", "--json"]);
    assert_eq!(verify["ok"], true);
    assert_eq!(verify["blocks"], 13);
}

#[test]
fn corrupt_cars_are_refused_and_nothing_is_kept() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    let file = write_vector(&tmp.path().join("f.bin"), 13, 600_000);
    let root = json(&a, &["client", "import", "--json", s(&file)])["root"]
        .as_str()
        .unwrap()
        .to_owned();
    let car = tmp.path().join("f.car");
    ok(&a, &["car", "export", &root, "-o", s(&car)]);
    let good = std::fs::read(&car).unwrap();

    let bad = tmp.path().join("bad.car");
    let mut flipped = good.clone();
    let last = flipped.len() - 10;
    flipped[last] ^= 0xff;
    std::fs::write(&bad, &flipped).unwrap();
    let err = fails(&b, &["car", "import", s(&bad)]);
    assert!(
        err.contains("does not match its data") && err.contains("at byte"),
        "{err}"
    );
    let err = fails(&b, &["car", "inspect", s(&bad)]);
    assert!(err.contains("at byte"), "{err}");

    std::fs::write(&bad, &good[..good.len() - 1000]).unwrap();
    let err = fails(&b, &["car", "import", s(&bad)]);
    assert!(err.contains("truncated"), "{err}");

    std::fs::write(&bad, b"\x05hello").unwrap();
    let err = fails(&b, &["car", "import", s(&bad)]);
    assert!(err.contains("header"), "{err}");

    assert_eq!(json(&b, &["client", "ls", "--json"]), serde_json::json!([]));
    let stats_blocks = json(&b, &["client", "verify", "--json"])["blocks"].clone();
    assert_eq!(stats_blocks, 0);
}

#[test]
fn pieces_split_a_dag_and_restore_it() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    let file = write_vector(&tmp.path().join("f.bin"), 14, 5_000_000);
    let root = json(&a, &["client", "import", "--json", s(&file)])["root"]
        .as_str()
        .unwrap()
        .to_owned();
    let dir = tmp.path().join("pieces");
    let manifest = json(
        &a,
        &[
            "client",
            "pieces",
            &root,
            "--max-piece-size",
            "2MiB",
            "-o",
            s(&dir),
            "--json",
        ],
    );
    let pieces = manifest["pieces"].as_array().unwrap();
    assert!(pieces.len() >= 3, "{manifest}");
    let mut files = Vec::new();
    let mut blocks = 0;
    for p in pieces {
        let path = dir.join(p["file"].as_str().unwrap());
        let len = std::fs::metadata(&path).unwrap().len();
        assert_eq!(len, p["car_bytes"].as_u64().unwrap());
        assert!(
            len <= 2 * 1024 * 1024 * 127 / 128,
            "piece of {len} bytes does not fit"
        );
        // Each piece's commP, computed independently, is the manifest's.
        let c = json(&a, &["client", "commp", "--json", s(&path)]);
        assert_eq!(c["piece_cid_v1"], p["piece_cid_v1"]);
        assert!(c["padded_size"].as_u64().unwrap() <= 2 * 1024 * 1024);
        blocks += p["blocks"].as_u64().unwrap();
        files.push(path);
    }
    assert_eq!(blocks, 21, "20 leaves and the root, each once");
    assert_eq!(
        std::fs::read_to_string(dir.join("manifest.json"))
            .map(|t| t.contains(&root))
            .ok(),
        Some(true)
    );

    // One piece alone is an incomplete DAG.
    let err = fails(&b, &["car", "import", s(&files[1])]);
    assert!(
        err.contains("incomplete DAG") && err.contains("import all of them"),
        "{err}"
    );
    // All of them together restore it.
    let mut args = vec!["car", "import"];
    args.extend(files.iter().map(|f| s(f)));
    ok(&b, &args);
    assert_eq!(
        run(&b, &["client", "cat", &root]).stdout,
        std::fs::read(&file).unwrap()
    );

    let err = fails(
        &a,
        &[
            "client",
            "pieces",
            &root,
            "--max-piece-size",
            "3000",
            "-o",
            s(&tmp.path().join("x")),
        ],
    );
    assert!(err.contains("power of two"), "{err}");
    let err = fails(
        &a,
        &[
            "client",
            "pieces",
            &root,
            "--max-piece-size",
            "128KiB",
            "-o",
            s(&tmp.path().join("y")),
        ],
    );
    assert!(err.contains("larger piece size"), "{err}");
}

#[test]
fn rm_unpins_and_collects_only_unshared_blocks() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    let a = write_vector(&tmp.path().join("a.bin"), 15, 1_000_000);
    let b = write_vector(&tmp.path().join("b.bin"), 16, 1_000_000);
    let dir = tmp.path().join("d");
    std::fs::create_dir(&dir).unwrap();
    std::fs::copy(&a, dir.join("a.bin")).unwrap();
    let ca = json(&repo, &["client", "import", "--json", s(&a)])["root"]
        .as_str()
        .unwrap()
        .to_owned();
    let cb = json(&repo, &["client", "import", "--json", s(&b)])["root"]
        .as_str()
        .unwrap()
        .to_owned();
    let cd = json(&repo, &["client", "import", "--json", s(&dir)])["root"]
        .as_str()
        .unwrap()
        .to_owned();

    // The directory holds a's blocks, so removing a's pin frees nothing.
    let r = json(&repo, &["client", "rm", &ca, "--json"]);
    assert_eq!(r["blocks_removed"], 0, "{r}");
    assert_eq!(
        run(&repo, &["client", "cat", &ca]).stdout,
        std::fs::read(&a).unwrap()
    );
    let r = json(&repo, &["client", "rm", &cb, "--json"]);
    assert_eq!(r["blocks_removed"], 5, "4 leaves and the root of b: {r}");
    let err = fails(&repo, &["client", "cat", &cb]);
    assert!(err.contains("not in the store"), "{err}");
    let err = fails(&repo, &["client", "rm", &cb]);
    assert!(err.contains("not pinned"), "{err}");
    let ls = json(&repo, &["client", "ls", "--json"]);
    assert_eq!(ls.as_array().unwrap().len(), 1);
    assert_eq!(ls[0]["cid"], cd.as_str());
    assert_eq!(ls[0]["size"], 1_000_000);
    assert_eq!(json(&repo, &["client", "verify", "--json"])["ok"], true);
}

#[test]
fn bad_options_give_clear_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    let f = write_vector(&tmp.path().join("f"), 1, 10);
    let err = fails(&repo, &["client", "import", "--chunker", "rabin", s(&f)]);
    assert!(err.contains("size-N"), "{err}");
    let err = fails(
        &repo,
        &["client", "import", "--chunker", "size-2000000", s(&f)],
    );
    assert!(err.contains("1048576"), "{err}");
    let err = fails(&repo, &["client", "import", "--max-links", "1", s(&f)]);
    assert!(err.contains("at least 2"), "{err}");
    let err = fails(&repo, &["client", "import", s(&tmp.path().join("missing"))]);
    assert!(err.contains("missing"), "{err}");
    let err = fails(&repo, &["client", "commp", s(tmp.path())]);
    assert!(err.contains("directory"), "{err}");
}

#[test]
fn read_commands_do_not_create_a_repository() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("nothing-here");
    for args in [
        &["client", "ls"][..],
        &[
            "client",
            "cat",
            "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o",
        ],
        &["client", "verify"],
        &[
            "car",
            "export",
            "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o",
            "-o",
            "x.car",
        ],
    ] {
        let err = fails(&repo, args);
        assert!(err.contains("no Flowcoin repository"), "{args:?}: {err}");
    }
    assert!(!repo.exists());
}

/// `flowcoin … | head`: output into a pipe nobody reads any more ends the command quietly
/// (no panic message), with success.
#[test]
fn a_closed_stdout_ends_a_command_quietly() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    let file = write_vector(&tmp.path().join("f"), 9, 10_000);
    let mut child = common::cmd(&repo)
        .args(["client", "import", s(&file)])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The reader goes away before the command prints anything.
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(out.status.success(), "{:?}: {stderr}", out.status);
}
