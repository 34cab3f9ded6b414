//! `flowcoin genesis`: a devnet genesis is built with new keys, inspected with exact totals,
//! and refused when its keys exist already or when mainnet has no template.

mod common;

use std::os::unix::fs::PermissionsExt;

use common::{fails, json, ok, s};

const TOTAL_ATTO: &str = "310000000000000000000000000";

#[test]
fn devnet_genesis_is_built_and_inspected() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    let car = dir.path().join("g.car");
    let built = json(
        &repo,
        &[
            "genesis",
            "new",
            "--network",
            "devnet",
            "-o",
            s(&car),
            "--json",
        ],
    );
    assert_eq!(built["total_atto"], TOTAL_ATTO);
    assert_eq!(built["keys"]["premine"], "genesis-premine");

    let report = json(&repo, &["genesis", "inspect", s(&car), "--json"]);
    assert_eq!(report["genesis_cid"], built["genesis_cid"]);
    assert_eq!(report["state_root"], built["state_root"]);
    assert_eq!(report["total"], TOTAL_ATTO);
    assert_eq!(report["total_matches_supply"], true);
    assert_eq!(report["premine"]["amount"], "31000000000000000000000000");
    assert_eq!(report["super_nodes"]["count"], 50);
    assert_eq!(report["super_nodes"]["each"], "930000000000000000000000");
    assert_eq!(report["super_nodes"]["total"], "46500000000000000000000000");
    assert_eq!(report["team"]["total"], "15500000000000000000000000");
    assert_eq!(report["team"]["unlocked_at_genesis"], "0");
    assert_eq!(report["team"]["monthly_step"], "155000000000000000000000");
    assert_eq!(report["mining_pool"], "217000000000000000000000000");
    for (key, value) in report.as_object().unwrap() {
        assert_eq!(&built[key], value, "field {key}");
    }

    // The generated keys are in the keystore, 0600, and their addresses got the allocations.
    let keystore = repo.join("keystore");
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&keystore.join("genesis-premine.json")), 0o600);
    assert_eq!(mode(&keystore.join("genesis-team.json")), 0o600);
    let keys = json(&repo, &["key", "list", "--json"]);
    let address_of = |name: &str| {
        keys.as_array()
            .unwrap()
            .iter()
            .find(|k| k["name"] == name)
            .unwrap()["address"]
            .clone()
    };
    assert_eq!(report["premine"]["address"], address_of("genesis-premine"));
    assert_eq!(
        report["team"]["beneficiary"]["address"],
        address_of("genesis-team")
    );

    let text = ok(&repo, &["genesis", "inspect", s(&car)]);
    assert!(text.contains("310000000 FLW"), "{text}");
    assert!(text.contains("fixed supply"), "{text}");

    // A second genesis would make new keys: refused while the old ones are there.
    let err = fails(
        &repo,
        &[
            "genesis",
            "new",
            "--network",
            "devnet",
            "-o",
            s(&dir.path().join("h.car")),
        ],
    );
    assert!(err.contains("genesis-premine already exists"), "{err}");
    assert!(err.contains("flowcoin key remove"), "{err}");
    assert!(!dir.path().join("h.car").exists());
}

#[test]
fn mainnet_needs_a_template() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    let car = dir.path().join("m.car");
    let err = fails(
        &repo,
        &["genesis", "new", "--network", "mainnet", "-o", s(&car)],
    );
    assert!(err.contains("--template"), "{err}");
    assert!(!car.exists());
    assert!(!repo.join("keystore").join("genesis-premine.json").exists());
}

#[test]
fn a_template_is_used_and_a_damaged_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    // Borrow the devnet genesis's addresses for a template.
    let first = dir.path().join("first.car");
    ok(
        &repo,
        &[
            "genesis",
            "new",
            "--network",
            "devnet",
            "-o",
            s(&first),
            "--timestamp",
            "5",
        ],
    );
    let report = json(&repo, &["genesis", "inspect", s(&first), "--json"]);
    let nodes: Vec<_> = report["super_nodes"]["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["address"].clone())
        .collect();
    let template = serde_json::json!({
        "network": "devnet",
        "timestamp": 5,
        "premine": report["premine"]["address"],
        "team": report["team"]["beneficiary"]["address"],
        "super_nodes": nodes,
    });
    let path = dir.path().join("template.json");
    std::fs::write(&path, template.to_string()).unwrap();
    let car = dir.path().join("t.car");
    let built = json(
        &repo,
        &[
            "genesis",
            "new",
            "--network",
            "devnet",
            "-o",
            s(&car),
            "--template",
            s(&path),
            "--json",
        ],
    );
    // Same addresses and time: the same genesis.
    assert_eq!(built["genesis_cid"], report["genesis_cid"]);
    assert_eq!(built["keys"], serde_json::Value::Null);

    let err = fails(
        &repo,
        &[
            "genesis",
            "new",
            "--network",
            "mainnet",
            "-o",
            s(&car),
            "--template",
            s(&path),
        ],
    );
    assert!(err.contains("not mainnet"), "{err}");

    let mut bytes = std::fs::read(&car).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x40;
    std::fs::write(&car, &bytes).unwrap();
    let err = fails(&repo, &["genesis", "inspect", s(&car)]);
    assert!(err.contains("not a valid genesis CAR"), "{err}");
}
