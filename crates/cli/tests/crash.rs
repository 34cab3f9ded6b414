//! A kill -9 at any moment of an import leaves the store consistent: the earlier pins are
//! intact and complete, the killed import is either wholly pinned or not reachable at all,
//! and garbage collection then removes whatever it had written.

mod common;

use std::path::Path;
use std::time::Duration;

use common::{cmd, json, ok, run, s, write_vector};

fn pack_bytes(repo: &Path) -> u64 {
    std::fs::read_dir(repo.join("db/packs"))
        .map(|d| {
            d.filter_map(|e| e.ok()?.metadata().ok())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

/// Starts an import and SIGKILLs it once the packs have grown by `after` bytes (or when it
/// exits by itself first). Returns whether it was killed.
fn import_and_kill(repo: &Path, file: &Path, after: u64) -> bool {
    let base = pack_bytes(repo);
    let mut child = cmd(repo)
        .args(["client", "import", "-q", s(file)])
        .spawn()
        .unwrap();
    loop {
        if child.try_wait().unwrap().is_some() {
            return false;
        }
        if pack_bytes(repo) >= base + after {
            child.kill().unwrap(); // SIGKILL
            child.wait().unwrap();
            return true;
        }
        std::thread::sleep(Duration::from_micros(200));
    }
}

#[test]
fn kill_9_during_import_leaves_a_consistent_store() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    let small = write_vector(&tmp.path().join("small.bin"), 21, 300_000);
    let big = write_vector(&tmp.path().join("big.bin"), 22, 96 << 20);
    let small_cid = ok(&repo, &["client", "import", "-q", s(&small)])
        .trim()
        .to_owned();
    let big_cid = ok(&repo, &["client", "import", "-q", "--only-hash", s(&big)])
        .trim()
        .to_owned();

    let mut kills = 0;
    for after in [
        0,
        1 << 20,
        8 << 20,
        32 << 20,
        64 << 20,
        90 << 20,
        95 << 20,
        96 << 20,
    ] {
        let killed = import_and_kill(&repo, &big, after);
        kills += usize::from(killed);
        let pins: Vec<String> = json(&repo, &["client", "ls", "--json"])
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["cid"].as_str().unwrap().to_owned())
            .collect();
        assert!(
            pins.contains(&small_cid),
            "earlier pin lost after kill at {after}"
        );
        assert!(
            pins.len() == 1 || (pins.len() == 2 && pins.contains(&big_cid)),
            "{pins:?}"
        );
        let verify = json(&repo, &["client", "verify", "--json"]);
        assert_eq!(verify["ok"], true, "after kill at {after}: {verify}");
        if pins.len() == 2 {
            // Completed (or killed after its commit): unpin for the next round.
            ok(&repo, &["client", "rm", &big_cid]);
        }
        // Recovery cut every uncommitted append: the packs hold exactly the indexed records
        // (and the holes of collected ones).
        let stat = json(&repo, &["client", "stat", "--json"]);
        assert!(pack_bytes(&repo) >= stat["live_bytes"].as_u64().unwrap());
    }
    assert!(
        kills >= 4,
        "only {kills} imports were killed before finishing"
    );

    // Whatever the killed imports wrote is garbage; GC removes it all.
    ok(&repo, &["client", "gc"]);
    let stat = json(&repo, &["client", "stat", "--json"]);
    assert_eq!(stat["pins"], 1);
    assert_eq!(
        stat["blocks"], 3,
        "only the small file's two leaves and root remain: {stat}"
    );

    // And the store still takes the big file whole.
    ok(&repo, &["client", "import", "-q", s(&big)]);
    assert_eq!(
        run(&repo, &["client", "cat", &big_cid]).stdout,
        std::fs::read(&big).unwrap()
    );
    assert_eq!(json(&repo, &["client", "verify", "--json"])["ok"], true);
}
