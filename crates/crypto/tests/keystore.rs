//! The keystore directory: permissions, round trips, passphrases, corruption, names.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use flowcoin_crypto::keystore::{KdfParams, KeyName, Keystore, KeystoreError};
use flowcoin_crypto::signature::{KeyType, SecretKey};
use flowcoin_crypto::{bls, ed25519};

fn cheap() -> KdfParams {
    KdfParams::new(8, 1, 1).unwrap()
}

fn open(root: &Path) -> Keystore {
    Keystore::open(root.join("keystore"))
        .unwrap()
        .with_kdf_params(cheap())
}

fn mode(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

fn chmod(path: &Path, mode: u32) {
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

#[test]
fn directory_is_0700_and_files_0600() {
    let root = tempfile::tempdir().unwrap();
    let ks = open(&root.path().join("nested"));
    assert_eq!(mode(ks.dir()), 0o700);
    let info = ks.generate(KeyType::Bls, Some("worker"), None).unwrap();
    assert_eq!(info.path, ks.dir().join("worker.json"));
    assert_eq!(mode(&info.path), 0o600);
    let enc = ks.generate(KeyType::Ed25519, None, Some("pw")).unwrap();
    assert_eq!(mode(&enc.path), 0o600);
    // No temporary files are left behind.
    let entries: Vec<_> = fs::read_dir(ks.dir()).unwrap().collect();
    assert_eq!(entries.len(), 2);
}

#[test]
fn plain_round_trip_and_file_format() {
    let root = tempfile::tempdir().unwrap();
    let ks = open(root.path());
    for key_type in KeyType::ALL {
        let info = ks.generate(key_type, None, None).unwrap();
        assert_eq!(info.name, KeyName::for_public_key(&info.public_key));
        assert!(!info.encrypted);
        let sk = ks.load(info.name.as_str(), None).unwrap();
        assert_eq!(sk.public_key(), info.public_key);

        let json: serde_json::Value =
            serde_json::from_str(&fs::read_to_string(&info.path).unwrap()).unwrap();
        assert_eq!(json["version"], 1);
        assert_eq!(json["type"], key_type.as_str());
        assert_eq!(json["public_key"], hex::encode(info.public_key.to_bytes()));
        assert_eq!(json["secret"]["kind"], "plain");
        assert_eq!(json["secret"]["key"], hex::encode(sk.to_bytes().as_slice()));
    }
}

#[test]
fn encrypted_round_trip_and_wrong_passphrase() {
    let root = tempfile::tempdir().unwrap();
    let ks = open(root.path());
    let secret = SecretKey::Bls(bls::SecretKey::from_seed(&[5; 32]).unwrap());
    let info = ks
        .import(&secret, Some("owner"), Some("correct horse"))
        .unwrap();
    assert!(info.encrypted);

    let text = fs::read_to_string(&info.path).unwrap();
    assert!(!text.contains(&hex::encode(secret.to_bytes().as_slice())));
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(json["secret"]["kind"], "argon2id-xchacha20poly1305");
    assert_eq!(json["secret"]["m_cost"], 8);
    assert_eq!(json["secret"]["salt"].as_str().unwrap().len(), 32);
    assert_eq!(json["secret"]["nonce"].as_str().unwrap().len(), 48);

    let loaded = ks.load("owner", Some("correct horse")).unwrap();
    assert_eq!(loaded.public_key(), secret.public_key());
    assert_eq!(loaded.to_bytes(), secret.to_bytes());

    assert!(matches!(
        ks.load("owner", Some("wrong horse")),
        Err(KeystoreError::WrongPassphrase { path }) if path == info.path
    ));
    assert!(matches!(
        ks.load("owner", None),
        Err(KeystoreError::PassphraseRequired { .. })
    ));
    assert!(matches!(
        ks.import(&secret, Some("owner2"), Some("")),
        Err(KeystoreError::EmptyPassphrase)
    ));
}

#[test]
fn tampered_ciphertext_or_public_key_is_rejected() {
    let root = tempfile::tempdir().unwrap();
    let ks = open(root.path());
    let info = ks
        .generate(KeyType::Ed25519, Some("k"), Some("pw"))
        .unwrap();
    let original = fs::read_to_string(&info.path).unwrap();
    let json: serde_json::Value = serde_json::from_str(&original).unwrap();

    // One flipped bit of the ciphertext.
    let ct = json["secret"]["ciphertext"].as_str().unwrap();
    let mut ct_bytes = hex::decode(ct).unwrap();
    ct_bytes[3] ^= 1;
    let tampered = original.replace(ct, &hex::encode(&ct_bytes));
    rewrite(&info.path, &tampered);
    assert!(matches!(
        ks.load("k", Some("pw")),
        Err(KeystoreError::WrongPassphrase { .. })
    ));

    // Another valid public key: the ciphertext is bound to the key it claims to be.
    let pk = json["public_key"].as_str().unwrap();
    let other = hex::encode(
        ed25519::SecretKey::from_seed(&[1; 32])
            .public_key()
            .to_bytes(),
    );
    rewrite(&info.path, &original.replace(pk, &other));
    assert!(ks.load("k", Some("pw")).is_err());

    // A plain key whose stored public key is another key's: the mismatch is caught.
    let plain = ks.generate(KeyType::Bls, Some("plain"), None).unwrap();
    let text = fs::read_to_string(&plain.path).unwrap();
    let other_bls = hex::encode(
        bls::SecretKey::from_seed(&[2; 32])
            .unwrap()
            .public_key()
            .to_bytes(),
    );
    let stored = hex::encode(plain.public_key.to_bytes());
    rewrite(&plain.path, &text.replace(&stored, &other_bls));
    assert!(matches!(
        ks.load("plain", None),
        Err(KeystoreError::KeyMismatch { path }) if path == plain.path
    ));
}

fn rewrite(path: &Path, contents: &str) {
    fs::write(path, contents).unwrap();
    chmod(path, 0o600);
}

#[test]
fn group_or_world_readable_files_are_refused() {
    let root = tempfile::tempdir().unwrap();
    let ks = open(root.path());
    let info = ks.generate(KeyType::Bls, Some("k"), None).unwrap();
    chmod(&info.path, 0o644);
    let err = ks.load("k", None).unwrap_err();
    assert!(matches!(
        err,
        KeystoreError::InsecureFilePermissions { mode: 0o644, .. }
    ));
    let message = err.to_string();
    assert!(
        message.contains("0644") && message.contains("chmod 600"),
        "{message}"
    );
    assert!(ks.list().is_err());
    chmod(&info.path, 0o600);
    ks.load("k", None).unwrap();

    // An existing directory readable by others is refused too.
    chmod(ks.dir(), 0o755);
    let err = Keystore::open(ks.dir()).unwrap_err();
    assert!(matches!(
        err,
        KeystoreError::InsecureDirectoryPermissions { mode: 0o755, .. }
    ));
    assert!(err.to_string().contains("chmod 700"));
}

#[test]
fn corrupt_files_are_reported_with_their_path() {
    let root = tempfile::tempdir().unwrap();
    let ks = open(root.path());
    let info = ks.generate(KeyType::Bls, Some("k"), Some("pw")).unwrap();
    let text = fs::read_to_string(&info.path).unwrap();
    let path_text = info.path.display().to_string();

    let cases: Vec<(String, &str)> = vec![
        (
            text[..text.len() / 2].to_owned(),
            "not a keystore JSON object",
        ),
        (String::new(), "not a keystore JSON object"),
        ("[1, 2]".to_owned(), "not a keystore JSON object"),
        (text.replace("\"bls\"", "\"rsa\""), "unknown variant"),
        (
            text.replace("\"salt\"", "\"pepper\""),
            "not a version 1 key file",
        ),
        (
            text.replace("\"public_key\": \"", "\"public_key\": \"zz"),
            "public_key is not hex",
        ),
        (
            text.replace("\"public_key\": \"", "\"public_key\": \"00"),
            "public_key",
        ),
    ];
    for (contents, expected) in cases {
        rewrite(&info.path, &contents);
        let err = ks.load("k", Some("pw")).unwrap_err();
        let message = err.to_string();
        assert!(matches!(err, KeystoreError::Corrupt { .. }), "{message}");
        assert!(message.contains(&path_text), "{message}");
        assert!(message.contains(expected), "{expected:?} not in {message}");
    }

    rewrite(
        &info.path,
        &text.replace("\"version\": 1", "\"version\": 2"),
    );
    assert!(matches!(
        ks.load("k", Some("pw")),
        Err(KeystoreError::UnsupportedVersion { version: 2, .. })
    ));

    rewrite(&info.path, &" ".repeat(20_000));
    assert!(matches!(
        ks.load("k", Some("pw")),
        Err(KeystoreError::FileTooLarge { .. })
    ));
}

#[test]
fn a_derived_name_must_match_the_file_contents() {
    let root = tempfile::tempdir().unwrap();
    let ks = open(root.path());
    let a = ks.generate(KeyType::Ed25519, None, None).unwrap();
    let b = ks.generate(KeyType::Ed25519, None, None).unwrap();
    fs::copy(&a.path, &b.path).unwrap();
    let err = ks.load(b.name.as_str(), None).unwrap_err();
    assert!(matches!(err, KeystoreError::Corrupt { .. }));
    assert!(err.to_string().contains("file name"), "{err}");
}

#[test]
fn list_needs_no_passphrase_and_remove_works() {
    let root = tempfile::tempdir().unwrap();
    let ks = open(root.path());
    let a = ks
        .generate(KeyType::Bls, Some("a-worker"), Some("pw"))
        .unwrap();
    let b = ks
        .generate(KeyType::Ed25519, Some("b_owner"), None)
        .unwrap();
    let c = ks.generate(KeyType::Bls, None, None).unwrap();
    // Unrelated files are ignored.
    fs::write(ks.dir().join("README.txt"), "notes").unwrap();
    fs::write(ks.dir().join(".x.json.tmp-00"), "partial").unwrap();

    let listed = ks.list().unwrap();
    let mut expected = vec![a.clone(), b, c];
    expected.sort_by(|x, y| x.name.cmp(&y.name));
    assert_eq!(listed, expected);
    assert!(listed[0].encrypted && !listed[1].encrypted);
    assert_eq!(listed[0].key_type(), KeyType::Bls);

    ks.remove("a-worker").unwrap();
    assert!(!a.path.exists());
    assert!(matches!(
        ks.load("a-worker", Some("pw")),
        Err(KeystoreError::NotFound { .. })
    ));
    assert!(matches!(
        ks.remove("a-worker"),
        Err(KeystoreError::NotFound { .. })
    ));
    assert_eq!(ks.list().unwrap().len(), 2);
}

#[test]
fn names_are_validated_and_never_overwritten() {
    let root = tempfile::tempdir().unwrap();
    let ks = open(root.path());
    for bad in ["", "Upper", "../escape", "a/b", "dot.json", &"x".repeat(65)] {
        assert!(
            matches!(
                ks.generate(KeyType::Bls, Some(bad), None),
                Err(KeystoreError::InvalidName { .. })
            ),
            "{bad:?}"
        );
        assert!(matches!(
            ks.load(bad, None),
            Err(KeystoreError::InvalidName { .. })
        ));
        assert!(matches!(
            ks.remove(bad),
            Err(KeystoreError::InvalidName { .. })
        ));
    }
    let first = ks.generate(KeyType::Bls, Some("k"), None).unwrap();
    assert!(matches!(
        ks.generate(KeyType::Ed25519, Some("k"), None),
        Err(KeystoreError::AlreadyExists { .. })
    ));
    assert_eq!(ks.load("k", None).unwrap().public_key(), first.public_key);
    // Importing the same key twice under its derived name is refused as well.
    let secret = SecretKey::Ed25519(ed25519::SecretKey::from_seed(&[8; 32]));
    ks.import(&secret, None, None).unwrap();
    assert!(matches!(
        ks.import(&secret, None, None),
        Err(KeystoreError::AlreadyExists { .. })
    ));
}

#[test]
fn symlinks_are_refused() {
    let root = tempfile::tempdir().unwrap();
    let ks = open(root.path());
    let info = ks.generate(KeyType::Bls, Some("real"), None).unwrap();
    std::os::unix::fs::symlink(&info.path, ks.dir().join("link.json")).unwrap();
    assert!(matches!(
        ks.load("link", None),
        Err(KeystoreError::NotARegularFile { .. })
    ));
}

#[test]
fn kdf_params_are_bounded() {
    assert!(KdfParams::new(8, 1, 1).is_ok());
    assert!(KdfParams::new(7, 1, 1).is_err());
    assert!(KdfParams::new(8, 0, 1).is_err());
    assert!(KdfParams::new(64, 1, 0).is_err());
    assert!(KdfParams::new(KdfParams::MAX_M_COST + 1, 1, 1).is_err());
    assert!(KdfParams::new(1024, KdfParams::MAX_T_COST + 1, 1).is_err());
    assert!(KdfParams::new(1024, 1, 17).is_err());

    // A file asking for more than the bound is refused before any allocation.
    let root = tempfile::tempdir().unwrap();
    let ks = open(root.path());
    let info = ks.generate(KeyType::Bls, Some("k"), Some("pw")).unwrap();
    let text = fs::read_to_string(&info.path).unwrap();
    rewrite(
        &info.path,
        &text.replace("\"m_cost\": 8", "\"m_cost\": 4294967295"),
    );
    assert!(matches!(
        ks.load("k", Some("pw")),
        Err(KeystoreError::InvalidKdfParams { .. })
    ));
}

/// The one test with the default (interactive) Argon2id parameters: 64 MiB, 3 passes.
#[test]
fn default_kdf_params_round_trip() {
    let root = tempfile::tempdir().unwrap();
    let ks = Keystore::open(root.path().join("keystore")).unwrap();
    let info = ks
        .generate(KeyType::Ed25519, Some("default"), Some("pw"))
        .unwrap();
    let json: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&info.path).unwrap()).unwrap();
    assert_eq!(json["secret"]["m_cost"], 65536);
    assert_eq!(json["secret"]["t_cost"], 3);
    assert_eq!(json["secret"]["p_cost"], 1);
    assert_eq!(
        ks.load("default", Some("pw")).unwrap().public_key(),
        info.public_key
    );
}
