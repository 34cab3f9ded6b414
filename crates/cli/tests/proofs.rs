//! `flowcoin proofs …` end to end on 2 KiB sectors: seal, verify, unseal, Winning and Window
//! PoSt; and the errors users meet (wrong sizes, truncated or corrupt files, missing caches).

mod common;

use std::path::Path;

use common::{fails, json, ok, s};

fn hex32(b: u8) -> String {
    hex::encode([b; 32])
}

fn seal(repo: &Path, data: &Path, out: &Path, sector: u64) -> serde_json::Value {
    json(
        repo,
        &[
            "proofs",
            "seal",
            "--sector-size",
            "2KiB",
            "--prover-id",
            &hex32(1),
            "--sector-number",
            &sector.to_string(),
            "--ticket",
            &hex32(sector as u8),
            "--seed",
            &hex32(3),
            "--data",
            s(data),
            "--out",
            s(out),
            "--json",
        ],
    )
}

#[test]
fn seal_verify_unseal_and_post_from_the_cli() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    let data = tmp.path().join("data.bin");
    let bytes = flowcoin_types::test_utils::vector_bytes(40, 1500);
    std::fs::write(&data, &bytes).unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    let sealed = seal(&repo, &data, &a, 10);
    for key in ["comm_d", "comm_r"] {
        assert_eq!(
            sealed[key].as_str().unwrap().len(),
            64,
            "{key} is 32 bytes of hex"
        );
    }
    assert!(
        sealed["comm_r_cid"]
            .as_str()
            .unwrap()
            .starts_with("bagboea4b5abc")
    );
    for phase in ["pc1", "pc2", "labels", "tree_c", "tree_r", "commit"] {
        assert!(sealed["timings_ms"][phase].is_number(), "{phase}");
    }
    seal(&repo, &data, &b, 11);
    assert_eq!(
        json(
            &repo,
            &["proofs", "verify-seal", "--sector", s(&a), "--json"]
        )["valid"],
        true
    );

    // Unseal all, a range, and with the key regenerated.
    let out = tmp.path().join("back.bin");
    ok(
        &repo,
        &["proofs", "unseal", "--sector", s(&a), "-o", s(&out)],
    );
    assert_eq!(std::fs::read(&out).unwrap(), bytes);
    let part = tmp.path().join("part.bin");
    ok(
        &repo,
        &[
            "proofs",
            "unseal",
            "--sector",
            s(&a),
            "-o",
            s(&part),
            "--offset",
            "100",
            "--length",
            "300",
            "--no-cache",
        ],
    );
    assert_eq!(std::fs::read(&part).unwrap(), &bytes[100..400]);

    // PoSt over both sectors.
    let win = tmp.path().join("win.proof");
    let r = hex32(9);
    ok(
        &repo,
        &[
            "proofs",
            "post",
            "--kind",
            "winning",
            "--randomness",
            &r,
            "--sectors",
            s(&a),
            s(&b),
            "-o",
            s(&win),
        ],
    );
    ok(
        &repo,
        &[
            "proofs",
            "verify-post",
            "--kind",
            "winning",
            "--randomness",
            &r,
            "--sectors",
            s(&a),
            s(&b),
            "--proof",
            s(&win),
        ],
    );
    let err = fails(
        &repo,
        &[
            "proofs",
            "verify-post",
            "--kind",
            "winning",
            "--randomness",
            &hex32(8),
            "--sectors",
            s(&a),
            s(&b),
            "--proof",
            s(&win),
        ],
    );
    assert!(err.contains("invalid"), "{err}");
    let window = tmp.path().join("window.proof");
    ok(
        &repo,
        &[
            "proofs",
            "post",
            "--kind",
            "window",
            "--randomness",
            &r,
            "--sectors",
            s(&a),
            s(&b),
            "--faulty",
            "11",
            "-o",
            s(&window),
        ],
    );
    let v = json(
        &repo,
        &[
            "proofs",
            "verify-post",
            "--kind",
            "window",
            "--randomness",
            &r,
            "--sectors",
            s(&a),
            s(&b),
            "--proof",
            s(&window),
            "--json",
        ],
    );
    assert_eq!(v["valid"], true);
    let err = fails(
        &repo,
        &[
            "proofs",
            "verify-post",
            "--kind",
            "winning",
            "--randomness",
            &r,
            "--sectors",
            s(&a),
            s(&b),
            "--proof",
            s(&window),
        ],
    );
    assert!(err.contains("not a Winning PoSt proof"), "{err}");
}

#[test]
fn bad_inputs_and_damaged_sectors_give_clear_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    let data = tmp.path().join("data.bin");
    std::fs::write(&data, vec![7u8; 3000]).unwrap();
    let out = tmp.path().join("x");
    let err = fails(
        &repo,
        &[
            "proofs",
            "seal",
            "--sector-size",
            "2KiB",
            "--prover-id",
            &hex32(1),
            "--sector-number",
            "1",
            "--ticket",
            &hex32(2),
            "--seed",
            &hex32(3),
            "--data",
            s(&data),
            "--out",
            s(&out),
        ],
    );
    assert!(err.contains("more than a 2KiB sector holds"), "{err}");
    let err = fails(
        &repo,
        &[
            "proofs",
            "seal",
            "--sector-size",
            "3KiB",
            "--prover-id",
            &hex32(1),
            "--sector-number",
            "1",
            "--ticket",
            &hex32(2),
            "--seed",
            &hex32(3),
            "--data",
            s(&data),
            "--out",
            s(&out),
        ],
    );
    assert!(err.contains("2KiB"), "{err}");
    let err = fails(
        &repo,
        &[
            "proofs",
            "seal",
            "--sector-size",
            "2KiB",
            "--prover-id",
            "abcd",
            "--sector-number",
            "1",
            "--ticket",
            &hex32(2),
            "--seed",
            &hex32(3),
            "--data",
            s(&data),
            "--out",
            s(&out),
        ],
    );
    assert!(
        err.contains("--prover-id") && err.contains("32 needed"),
        "{err}"
    );

    std::fs::write(&data, vec![7u8; 2000]).unwrap();
    let a = tmp.path().join("a");
    seal(&repo, &data, &a, 5);
    let err = fails(
        &repo,
        &[
            "proofs",
            "seal",
            "--sector-size",
            "2KiB",
            "--prover-id",
            &hex32(1),
            "--sector-number",
            "5",
            "--ticket",
            &hex32(2),
            "--seed",
            &hex32(3),
            "--data",
            s(&data),
            "--out",
            s(&a),
        ],
    );
    assert!(err.contains("already holds"), "{err}");

    // A corrupt proof file, a truncated one, and one for another sector.
    let proof = std::fs::read(a.join("seal-proof")).unwrap();
    let bad = tmp.path().join("bad.proof");
    std::fs::write(&bad, &proof[..proof.len() / 2]).unwrap();
    let err = fails(
        &repo,
        &[
            "proofs",
            "verify-seal",
            "--sector",
            s(&a),
            "--proof",
            s(&bad),
        ],
    );
    assert!(err.contains("truncated"), "{err}");
    let mut flipped = proof;
    flipped[200] ^= 1;
    std::fs::write(&bad, &flipped).unwrap();
    let err = fails(
        &repo,
        &[
            "proofs",
            "verify-seal",
            "--sector",
            s(&a),
            "--proof",
            s(&bad),
        ],
    );
    assert!(err.contains("invalid"), "{err}");
    let b = tmp.path().join("b");
    seal(&repo, &data, &b, 6);
    let err = fails(
        &repo,
        &[
            "proofs",
            "verify-seal",
            "--sector",
            s(&a),
            "--proof",
            s(&b.join("seal-proof")),
        ],
    );
    assert!(err.contains("invalid"), "{err}");

    // A truncated replica, a missing cache, not a sector directory.
    let full = std::fs::read(a.join("sealed")).unwrap();
    std::fs::write(a.join("sealed"), &full[..1000]).unwrap();
    let err = fails(
        &repo,
        &[
            "proofs",
            "unseal",
            "--sector",
            s(&a),
            "-o",
            s(&tmp.path().join("o")),
        ],
    );
    assert!(err.contains("1000 bytes") || err.contains("1000"), "{err}");
    std::fs::write(a.join("sealed"), &full).unwrap();
    std::fs::remove_file(a.join("cache").join("tree-r")).unwrap();
    let err = fails(
        &repo,
        &[
            "proofs",
            "post",
            "--kind",
            "winning",
            "--randomness",
            &hex32(9),
            "--sectors",
            s(&a),
            "-o",
            s(&tmp.path().join("p")),
        ],
    );
    assert!(err.contains("tree-r"), "{err}");
    let err = fails(&repo, &["proofs", "verify-seal", "--sector", s(tmp.path())]);
    assert!(err.contains("not a sealed sector directory"), "{err}");
}
