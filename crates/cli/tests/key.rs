//! `flowcoin key`: keys are created 0600 in a 0700 keystore, listed with their addresses
//! without a passphrase, refused when exposed, and removed.

mod common;

use std::os::unix::fs::PermissionsExt;

use common::{fails, json, ok, s};

#[test]
fn keys_are_created_listed_and_removed() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    let bls = json(&repo, &["key", "new", "--json"]);
    let address = bls[0]["address"].as_str().unwrap().to_owned();
    assert!(address.starts_with("t3"), "{address}");
    assert_eq!(bls[0]["public_key"].as_str().unwrap().len(), 96);

    let pass = dir.path().join("pass");
    std::fs::write(&pass, "correct horse\n").unwrap();
    let alice = json(
        &repo,
        &[
            "key",
            "new",
            "--type",
            "ed25519",
            "--name",
            "alice",
            "--passphrase-file",
            s(&pass),
            "--network",
            "mainnet",
            "--json",
        ],
    );
    assert!(alice[0]["address"].as_str().unwrap().starts_with("f1"));
    assert_eq!(alice[0]["encrypted"], true);

    let keystore = repo.join("keystore");
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&keystore), 0o700);
    assert_eq!(mode(&keystore.join("alice.json")), 0o600);

    let list = json(&repo, &["key", "list", "--json"]);
    assert_eq!(list.as_array().unwrap().len(), 2);
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .any(|k| k["address"] == address.as_str())
    );

    let err = fails(&repo, &["key", "new", "--name", "alice"]);
    assert!(err.contains("already exists"), "{err}");
    let err = fails(&repo, &["key", "new", "--name", "Not Valid"]);
    assert!(err.to_lowercase().contains("name"), "{err}");

    std::fs::set_permissions(
        keystore.join("alice.json"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    let err = fails(&repo, &["key", "list"]);
    assert!(err.contains("chmod"), "{err}");
    std::fs::set_permissions(
        keystore.join("alice.json"),
        std::fs::Permissions::from_mode(0o600),
    )
    .unwrap();

    ok(&repo, &["key", "remove", "alice"]);
    assert_eq!(
        json(&repo, &["key", "list", "--json"])
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert!(fails(&repo, &["key", "remove", "alice"]).contains("alice"));
}
