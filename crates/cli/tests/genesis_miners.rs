//! A devnet genesis with a miner from pre-sealed sectors, end to end: two real 2 KiB sectors
//! sealed with `proofs seal --miner t01000`, `genesis template`, `genesis add-miner` (which
//! refuses another miner's sector and a damaged seal proof), `genesis new --template` and
//! `genesis inspect --json` showing the miner's power.

mod common;

use std::path::{Path, PathBuf};

use common::{fails, json, ok, s, write_vector};

const TOTAL_ATTO: &str = "310000000000000000000000000";

fn hex32(b: u8) -> String {
    hex::encode([b; 32])
}

/// Seals a 2 KiB sector of `data` numbered `number` for `miner` into `out`.
fn seal(repo: &Path, data: &Path, miner: &str, number: u8, out: &Path) -> serde_json::Value {
    json(
        repo,
        &[
            "proofs",
            "seal",
            "--sector-size",
            "2KiB",
            "--miner",
            miner,
            "--sector-number",
            &number.to_string(),
            "--ticket",
            &hex32(number),
            "--seed",
            &hex32(9),
            "--data",
            s(data),
            "--out",
            s(out),
            "--json",
        ],
    )
}

fn strs(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}

/// A copy of the public part of sector `dir` (what add-miner reads) with its seal proof
/// damaged.
fn damaged_copy(dir: &Path, to: PathBuf) -> PathBuf {
    std::fs::create_dir_all(&to).unwrap();
    std::fs::copy(dir.join("sector.json"), to.join("sector.json")).unwrap();
    let mut proof = std::fs::read(dir.join("seal-proof")).unwrap();
    proof[200] ^= 1;
    std::fs::write(to.join("seal-proof"), proof).unwrap();
    to
}

#[test]
fn a_devnet_starts_with_a_miner_from_pre_sealed_sectors() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    let data = write_vector(&dir.path().join("data"), 7, 1500);

    // --miner replaces --prover-id; both at once is refused before any work.
    let err = fails(
        &repo,
        &[
            "proofs",
            "seal",
            "--sector-size",
            "2KiB",
            "--miner",
            "t01000",
            "--prover-id",
            &hex32(1),
            "--sector-number",
            "1",
            "--ticket",
            &hex32(1),
            "--seed",
            &hex32(9),
            "--data",
            s(&data),
            "--out",
            s(&dir.path().join("never")),
        ],
    );
    assert!(err.contains("cannot be used with"), "{err}");

    let s1 = dir.path().join("s1");
    let s2 = dir.path().join("s2");
    let other = dir.path().join("other");
    let sealed1 = seal(&repo, &data, "t01000", 1, &s1);
    let sealed2 = seal(&repo, &data, "1000", 2, &s2);
    seal(&repo, &data, "f01001", 3, &other);
    // The prover id is the LEB128 of 1000 (e8 07), zero-padded; sector.json records the ID.
    let mut expected = [0u8; 32];
    expected[..2].copy_from_slice(&[0xe8, 0x07]);
    assert_eq!(sealed1["prover_id"], hex::encode(expected));
    assert_eq!(sealed1["miner_id"], 1000);
    let meta: serde_json::Value =
        serde_json::from_slice(&std::fs::read(s2.join("sector.json")).unwrap()).unwrap();
    assert_eq!(meta["miner_id"], 1000);
    assert_eq!(meta["prover_id"], hex::encode(expected));

    // add-miner wants an existing template and says how to make one.
    let template = dir.path().join("template.json");
    let err = fails(
        &repo,
        &[
            "genesis",
            "add-miner",
            "--template",
            s(&template),
            "--owner",
            "t01",
            "--worker",
            "t01",
            "--sector",
            s(&s1),
        ],
    );
    assert!(
        err.contains("flowcoin genesis template --network devnet"),
        "{err}"
    );
    let err = fails(
        &repo,
        &[
            "genesis",
            "template",
            "--network",
            "mainnet",
            "-o",
            s(&template),
        ],
    );
    assert!(err.contains("by hand"), "{err}");

    let written = json(
        &repo,
        &[
            "genesis",
            "template",
            "--network",
            "devnet",
            "-o",
            s(&template),
            "--timestamp",
            "7",
            "--json",
        ],
    );
    assert_eq!(written["keys"]["premine"], "genesis-premine");
    let owner = written["premine"].as_str().unwrap().to_owned();
    let err = fails(
        &repo,
        &[
            "genesis",
            "template",
            "--network",
            "devnet",
            "-o",
            s(&template),
        ],
    );
    assert!(err.contains("exists already"), "{err}");
    let key = |name: &str, scheme: &str| {
        json(
            &repo,
            &["key", "new", "--name", name, "--type", scheme, "--json"],
        )[0]["address"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let worker = key("worker", "bls");
    let ed_worker = key("ed-worker", "ed25519");

    let add = |worker: &str, sectors: &[&Path]| {
        let mut args = vec![
            "genesis".to_owned(),
            "add-miner".to_owned(),
            "--template".to_owned(),
            s(&template).to_owned(),
            "--owner".to_owned(),
            owner.clone(),
            "--worker".to_owned(),
            worker.to_owned(),
        ];
        for sector in sectors {
            args.extend(["--sector".to_owned(), s(sector).to_owned()]);
        }
        args
    };

    // Refused, leaving the template as it was: a sector sealed for another miner, a damaged
    // seal proof, a worker without a BLS key.
    let before = std::fs::read(&template).unwrap();
    let err = fails(&repo, &strs(&add(&worker, &[&s1, &other])));
    assert!(err.contains("sealed for miner t01001"), "{err}");
    assert!(err.contains("--miner t01000"), "{err}");
    let bad = damaged_copy(&s2, dir.path().join("bad"));
    let err = fails(&repo, &strs(&add(&worker, &[&s1, &bad])));
    assert!(
        err.contains("seal proof") && err.contains("invalid"),
        "{err}"
    );
    let err = fails(&repo, &strs(&add(&ed_worker, &[&s1, &s2])));
    assert!(err.contains("not a BLS key"), "{err}");
    let err = fails(&repo, &strs(&add(&worker, &[&s1, &s1])));
    assert!(err.contains("sector 1 twice"), "{err}");
    assert_eq!(std::fs::read(&template).unwrap(), before);

    let mut args = add(&worker, &[&s1, &s2]);
    args.push("--json".to_owned());
    let added = json(&repo, &strs(&args));
    assert_eq!(added["id"], "t01000");
    assert_eq!(added["raw_power"], "4096");
    assert_eq!(added["next_miner"], "t01001");
    assert_eq!(added["sectors"][0]["comm_r"], sealed1["comm_r_cid"]);
    assert_eq!(added["sectors"][1]["comm_d"], sealed2["comm_d_cid"]);
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.contains("tmp"))
        .collect();
    assert!(names.is_empty(), "temporary files left: {names:?}");

    let car = dir.path().join("genesis.car");
    let built = json(
        &repo,
        &[
            "genesis",
            "new",
            "--network",
            "devnet",
            "--template",
            s(&template),
            "-o",
            s(&car),
            "--json",
        ],
    );
    let report = json(&repo, &["genesis", "inspect", s(&car), "--json"]);
    assert_eq!(report["genesis_cid"], built["genesis_cid"]);
    assert_eq!(report["total"], TOTAL_ATTO);
    let miners = report["miners"].as_array().unwrap();
    assert_eq!(miners.len(), 1);
    let miner = &miners[0];
    assert_eq!(miner["id"], 1000);
    assert_eq!(miner["address"], "t01000");
    assert_eq!(miner["raw_power"], "4096");
    assert_eq!(miner["sectors"], 2);
    assert_eq!(miner["sector_size"], 2048);
    assert_eq!(miner["owner"]["address"], owner.as_str());
    assert_eq!(
        miner["owner"]["id"], 100,
        "the owner is the premine account"
    );
    assert_eq!(miner["worker"]["address"], worker.as_str());
    assert_eq!(report["power"]["total_raw_power"], "4096");
    assert_eq!(report["power"]["miner_count"], 1);
    assert_eq!(report["premine"]["address"], owner.as_str());

    let text = ok(&repo, &["genesis", "inspect", s(&car)]);
    assert!(text.contains("miner         t01000"), "{text}");
    assert!(text.contains("4096 B raw in total"), "{text}");
}
