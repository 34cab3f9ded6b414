//! The wallet, chain, state and miner commands against a running daemon, end to end: a devnet
//! genesis with miner t01000 from two sectors sealed by `proofs seal`, the sectors placed
//! where the miner service reads them, `flowcoin daemon --genesis … --miner t01000`; then FLW
//! sent with `wallet send` from the premine to a new key, waited for with `chain wait-msg`,
//! seen by `wallet balance`; the miner's power, info, sectors and deadline; `wallet export`
//! and `wallet import` between keystores; SIGTERM.
//!
//! No timing is asserted: the test polls until the chain has grown, with a generous bound.

mod common;

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use common::{fails, json, ok, s, write_vector};
use serde_json::Value;

/// How long the chain may take to reach the heights waited for (the machine may be busy).
const GROWTH_TIMEOUT: Duration = Duration::from_secs(300);

/// Kills the daemon if the test fails before it is stopped.
struct Daemon(Child);

impl Drop for Daemon {
    fn drop(&mut self) {
        if matches!(self.0.try_wait(), Ok(None)) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// Seals a 2 KiB sector numbered `number` for t01000 into `out`.
fn seal(repo: &Path, data: &Path, number: u8, out: &Path) {
    json(
        repo,
        &[
            "proofs",
            "seal",
            "--sector-size",
            "2KiB",
            "--miner",
            "t01000",
            "--sector-number",
            &number.to_string(),
            "--ticket",
            &hex::encode([number; 32]),
            "--seed",
            &hex::encode([9u8; 32]),
            "--data",
            s(data),
            "--out",
            s(out),
            "--json",
        ],
    );
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Builds the genesis (premine and team keys, worker key, miner t01000 with two sectors) in
/// `repo`'s keystore and sector store; returns the genesis CAR.
fn devnet_genesis(repo: &Path, dir: &Path) -> std::path::PathBuf {
    let data = write_vector(&dir.join("data"), 7, 1500);
    let template = dir.join("template.json");
    // The genesis time is now: the daemon's first epochs follow at once.
    let written = json(
        repo,
        &[
            "genesis",
            "template",
            "--network",
            "devnet",
            "-o",
            s(&template),
            "--json",
        ],
    );
    let premine = written["premine"].as_str().unwrap().to_owned();
    let worker = json(
        repo,
        &["key", "new", "--name", "worker", "--type", "bls", "--json"],
    )[0]["address"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut add = vec![
        "genesis",
        "add-miner",
        "--template",
        s(&template),
        "--owner",
        &premine,
        "--worker",
        &worker,
    ];
    let sectors: Vec<_> = (1u8..=2).map(|n| (n, dir.join(format!("s{n}")))).collect();
    for (number, out) in &sectors {
        seal(repo, &data, *number, out);
        copy_dir(
            out,
            &repo.join("sectors").join("f01000").join(number.to_string()),
        );
    }
    for (_, out) in &sectors {
        add.extend(["--sector", s(out)]);
    }
    ok(repo, &add);
    let car = dir.join("genesis.car");
    ok(
        repo,
        &[
            "genesis",
            "new",
            "--network",
            "devnet",
            "--template",
            s(&template),
            "-o",
            s(&car),
        ],
    );
    car
}

/// Polls `chain head --json` until the head is at least `height`.
fn wait_for_height(repo: &Path, height: u64) -> Value {
    let start = Instant::now();
    loop {
        let out = common::run(repo, &["chain", "head", "--json"]);
        if out.status.success() {
            let head: Value = serde_json::from_slice(&out.stdout).unwrap();
            if head["Height"].as_u64().unwrap() >= height {
                return head;
            }
        }
        assert!(
            start.elapsed() < GROWTH_TIMEOUT,
            "the head did not reach {height}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}

#[test]
fn wallet_send_reaches_the_chain_and_the_miner_is_visible() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    let car = devnet_genesis(&repo, tmp.path());

    // Without a daemon, API commands say how to start one.
    let err = fails(&repo, &["chain", "head"]);
    assert!(err.contains("no running daemon"), "{err}");

    let log = std::fs::File::create(tmp.path().join("daemon.log")).unwrap();
    let mut child = common::cmd(&repo)
        .args([
            "daemon",
            "--genesis",
            s(&car),
            "--miner",
            "t01000",
            "--worker-key",
            "worker",
            "--sender-key",
            "genesis-premine",
            "--api",
            "127.0.0.1:0",
        ])
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()
        .expect("flowcoin daemon starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let mut daemon = Daemon(child);
    assert!(line.starts_with("API listening on "), "{line:?}");

    let head = wait_for_height(&repo, 3);
    assert_eq!(head["Miners"][0], "t01000");
    let text = ok(&repo, &["chain", "head"]);
    assert!(text.contains("next base fee"), "{text}");
    let tipset = json(&repo, &["chain", "tipset", "1", "--json"]);
    assert!(tipset["Height"].as_u64().unwrap() <= 1);
    let block = json(
        &repo,
        &[
            "chain",
            "block",
            head["Cids"][0].as_str().unwrap(),
            "--json",
        ],
    );
    assert_eq!(block["Miner"], "t01000");

    // Send 1.5 FLW from the premine to a new key, and wait for it.
    let bob = json(
        &repo,
        &[
            "wallet", "new", "--name", "bob", "--type", "ed25519", "--json",
        ],
    )[0]["address"]
        .as_str()
        .unwrap()
        .to_owned();
    let listed = json(&repo, &["wallet", "list", "--json"]);
    assert!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .any(|k| k["name"] == "bob"),
        "{listed}"
    );
    let err = fails(
        &repo,
        &["wallet", "send", "--from", "nobody", &bob, "1.5 FLW"],
    );
    assert!(err.contains("no key \"nobody\""), "{err}");
    let err = fails(
        &repo,
        &["wallet", "send", "--from", "genesis-premine", "f01000", "1"],
    );
    assert!(err.contains("mainnet"), "{err}");
    let cid = ok(
        &repo,
        &[
            "wallet",
            "send",
            "--from",
            "genesis-premine",
            &bob,
            "1.5 FLW",
        ],
    )
    .trim()
    .to_owned();
    assert!(cid.starts_with("bafy2bz"), "{cid:?}");
    let message = json(&repo, &["chain", "message", &cid, "--json"]);
    assert_eq!(message["To"], bob.as_str());
    assert_eq!(message["Value"], "1500000000000000000");
    let waited = json(
        &repo,
        &["chain", "wait-msg", &cid, "--timeout", "300s", "--json"],
    );
    assert_eq!(waited["Message"], cid.as_str());
    assert_eq!(waited["Receipt"]["ExitCode"], 0);
    assert!(waited["Receipt"]["GasUsed"].as_u64().unwrap() > 0);
    let text = ok(&repo, &["chain", "wait-msg", &cid]);
    assert!(text.contains("exit code  0 (Ok)"), "{text}");

    let balance = json(&repo, &["wallet", "balance", &bob, "--json"]);
    assert_eq!(balance["balance"], "1500000000000000000");
    assert_eq!(ok(&repo, &["wallet", "balance", "bob"]).trim(), "1.5 FLW");
    let all = ok(&repo, &["wallet", "balance"]);
    assert!(all.contains(&format!("{bob}  1.5 FLW  bob")), "{all}");
    let actor = json(&repo, &["state", "actor", &bob, "--json"]);
    assert_eq!(actor["Code"], "flw/1/account");
    assert_eq!(actor["KeyAddress"], bob.as_str());

    // The miner and the network.
    let power = json(&repo, &["state", "power", "t01000", "--json"]);
    assert_eq!(power["RawPower"], "4096");
    assert_eq!(power["HasMinPower"], true);
    let network = json(&repo, &["state", "power", "--json"]);
    assert_eq!(network["TotalRawPower"], "4096");
    assert_eq!(network["MinerCount"], 1);
    let supply = json(&repo, &["state", "supply", "--json"]);
    assert_eq!(supply["Total"], "310000000000000000000000000");
    let text = ok(&repo, &["state", "supply"]);
    assert!(
        text.contains("circulating") && text.contains("FLW"),
        "{text}"
    );
    let info = json(&repo, &["miner", "info", "--json"]);
    assert_eq!(info["Miner"], "t01000");
    assert_eq!(info["SectorSize"], 2048);
    assert!(info["WorkerKey"].as_str().unwrap().starts_with("t3"));
    let sectors = json(&repo, &["miner", "sectors", "--miner", "t01000", "--json"]);
    let numbers: Vec<_> = sectors["Sectors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["SectorNumber"].as_u64().unwrap())
        .collect();
    assert_eq!(numbers, [1, 2]);
    let proving = json(&repo, &["miner", "proving", "--json"]);
    assert!(proving["Index"].as_u64().unwrap() < proving["Deadlines"].as_u64().unwrap());
    assert!(proving["Open"].as_u64() <= proving["CurrentEpoch"].as_u64());
    let power = json(&repo, &["miner", "power", "--json"]);
    assert_eq!(power["RawPower"], "4096");
    let text = ok(&repo, &["miner", "info"]);
    assert!(
        text.contains("sector size         2048 B (2.0 KiB)"),
        "{text}"
    );

    // Export and import: the key file, and the hex secret through stdin.
    let exported = ok(&repo, &["wallet", "export", "bob"]);
    assert!(exported.trim_start().starts_with('{'), "{exported}");
    let other = tmp.path().join("other");
    let file = tmp.path().join("bob.json");
    std::fs::write(&file, &exported).unwrap();
    let imported = json(
        &other,
        &["wallet", "import", s(&file), "--name", "bob", "--json"],
    );
    assert_eq!(imported["address"], bob.as_str());
    let hex = ok(&repo, &["wallet", "export", "bob", "--hex"]);
    assert!(hex.starts_with("ed25519:"), "{hex}");
    let third = tmp.path().join("third");
    let mut import = common::cmd(&third)
        .args(["wallet", "import", "--json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    import
        .stdin
        .take()
        .unwrap()
        .write_all(hex.as_bytes())
        .unwrap();
    let out = import.wait_with_output().unwrap();
    assert!(out.status.success());
    let imported: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(imported["address"], bob.as_str());
    let err = fails(&other, &["wallet", "import", s(&file), "--name", "bob"]);
    assert!(err.contains("already exists"), "{err}");

    let status = std::process::Command::new("kill")
        .args(["-TERM", &daemon.0.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let status = daemon.0.wait().unwrap();
    let mut log = String::new();
    std::fs::File::open(tmp.path().join("daemon.log"))
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    assert!(status.success(), "{status}: {log}");
    assert!(!repo.join("api").exists());
}
