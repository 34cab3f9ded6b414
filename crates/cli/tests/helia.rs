//! Interoperability with IPFS: Helia (the JavaScript IPFS implementation, from npm) and a
//! Flowcoin node exchange files over bitswap 1.2 on loopback, both ways, byte for byte.
//!
//! The Helia peer is `scripts/interop/helia/peer.mjs`, installed with its pinned packages into
//! `.interop/helia` by `scripts/interop/install.sh` (which `scripts/test`, the README's test
//! command, runs first).

mod common;

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use common::{json, ok, s, write_vector};
use serde_json::Value;

/// The installed harness.
fn harness() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let peer = root.join(".interop/helia/peer.mjs");
    assert!(
        peer.exists(),
        "{} is missing: run scripts/interop/install.sh (scripts/test does) to install the Helia peer",
        peer.display()
    );
    peer
}

/// Stops the devnet (and its daemons) when the test ends, whatever happens.
struct Devnet {
    dir: PathBuf,
    repo: PathBuf,
}

impl Drop for Devnet {
    fn drop(&mut self) {
        let _ = common::run(
            &self.repo,
            &["devnet", "down", "--dir", s(&self.dir), "--clean"],
        );
    }
}

/// Kills the Helia peer when the test ends.
struct Helia(Child);

impl Drop for Helia {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn helia_and_a_flowcoin_node_exchange_files_over_bitswap() {
    let peer = harness();
    let tmp = tempfile::tempdir().unwrap();
    let devnet = Devnet {
        dir: tmp.path().join("devnet"),
        repo: tmp.path().join("unused"),
    };
    json(
        &devnet.repo,
        &[
            "devnet",
            "up",
            "--dir",
            s(&devnet.dir),
            "--sectors",
            "1",
            "--json",
        ],
    );
    let node = devnet.dir.join("node0");
    let id = json(&node, &["net", "id", "--json"]);
    let addr = id["addrs"][0]
        .as_str()
        .expect("a listen address")
        .to_owned();
    assert!(addr.contains("/p2p/"), "{id}");

    // Helia fetches a file imported into the node: 20 MiB, 1 MiB leaves, so the node's
    // answers span many 4 MiB-bounded messages (Helia refuses larger ones).
    let ours = write_vector(&tmp.path().join("ours"), 3, (20 << 20) + 12_345);
    let cid = ok(
        &node,
        &["client", "import", s(&ours), "--cid-version", "1", "-q"],
    );
    let fetched = tmp.path().join("fetched-by-helia");
    let out = Command::new("node")
        .arg(&peer)
        .args(["get", &addr, cid.trim(), s(&fetched)])
        .output()
        .expect("node runs");
    assert!(
        out.status.success(),
        "helia get failed: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(
        std::fs::read(&fetched).unwrap(),
        std::fs::read(&ours).unwrap()
    );

    // The node fetches a file Helia added (Helia's own DAG layout and CID).
    let theirs = write_vector(&tmp.path().join("theirs"), 4, (12 << 20) + 777);
    let mut helia = Helia(
        Command::new("node")
            .arg(&peer)
            .args(["serve", s(&theirs)])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("node runs"),
    );
    let mut line = String::new();
    BufReader::new(helia.0.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    let served: Value = serde_json::from_str(&line).expect("serve prints one JSON line");
    let helia_cid = served["cid"].as_str().unwrap();
    let helia_addr = served["multiaddrs"][0].as_str().unwrap();
    ok(&node, &["net", "connect", helia_addr]);
    let got = tmp.path().join("fetched-from-helia");
    ok(&node, &["client", "get", helia_cid, "-o", s(&got)]);
    assert_eq!(
        std::fs::read(&got).unwrap(),
        std::fs::read(&theirs).unwrap()
    );
    // Helia's peer shows among the node's peers with its agent.
    let peers = json(&node, &["net", "peers", "--json"]);
    let helia_id = served["peer_id"].as_str().unwrap();
    assert!(
        peers
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["peer_id"] == helia_id),
        "{peers}"
    );
    drop(helia);
}
