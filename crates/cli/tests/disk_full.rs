//! A full disk: imports fail with a clear message and keep nothing, earlier data stays intact,
//! and `client rm` (garbage collection) still works and makes room again.
//!
//! Needs a small file system: the test mounts a 48 MiB tmpfs, which requires root (as in CI
//! on this project's machines); elsewhere it says so and returns.

mod common;

use std::path::Path;
use std::process::Command;

use common::{fails, json, ok, s, write_vector};

struct Tmpfs<'a>(&'a Path);

impl Drop for Tmpfs<'_> {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.0).status();
    }
}

#[test]
fn a_full_disk_fails_cleanly_and_gc_still_frees_space() {
    let tmp = tempfile::tempdir().unwrap();
    let mnt = tmp.path().join("mnt");
    std::fs::create_dir(&mnt).unwrap();
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=48m", "tmpfs", s(&mnt)])
        .status();
    if !mounted.is_ok_and(|st| st.success()) {
        eprintln!("skipped: mounting a tmpfs needs root");
        return;
    }
    let _guard = Tmpfs(&mnt);
    let repo = mnt.join("repo");
    let first = write_vector(&tmp.path().join("first.bin"), 31, 4 << 20);
    let first_cid = ok(&repo, &["client", "import", "-q", s(&first)])
        .trim()
        .to_owned();

    // Fill the disk with imports until one fails.
    let mut pinned = vec![first_cid.clone()];
    let mut failure = None;
    for seed in 40..60 {
        let f = write_vector(&tmp.path().join(format!("f{seed}.bin")), seed, 6 << 20);
        let out = common::run(&repo, &["client", "import", "-q", s(&f)]);
        if out.status.success() {
            pinned.push(String::from_utf8(out.stdout).unwrap().trim().to_owned());
        } else {
            failure = Some(String::from_utf8_lossy(&out.stderr).into_owned());
            break;
        }
    }
    let failure = failure.expect("a 48 MiB disk fills up");
    assert!(failure.contains("no space left"), "{failure}");
    assert!(pinned.len() >= 3, "{pinned:?}");

    // Nothing of the failed import is kept; everything before it is intact.
    let verify = json(&repo, &["client", "verify", "--json"]);
    assert_eq!(verify["ok"], true, "{verify}");
    assert_eq!(
        json(&repo, &["client", "ls", "--json"])
            .as_array()
            .unwrap()
            .len(),
        pinned.len()
    );

    // Removing pins on the full disk works and frees the space.
    for cid in pinned.iter().skip(1).take(2) {
        let r = json(&repo, &["client", "rm", cid, "--json"]);
        assert!(r["bytes_removed"].as_u64().unwrap() >= 6 << 20, "{r}");
    }
    let again = write_vector(&tmp.path().join("again.bin"), 70, 6 << 20);
    ok(&repo, &["client", "import", "-q", s(&again)]);
    assert_eq!(json(&repo, &["client", "verify", "--json"])["ok"], true);
    let err = fails(&repo, &["client", "rm", &pinned[1]]);
    assert!(err.contains("not pinned"), "{err}");
    assert_eq!(
        common::run(&repo, &["client", "cat", &first_cid]).stdout,
        std::fs::read(&first).unwrap()
    );
}
