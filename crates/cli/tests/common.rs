//! Running the `flowcoin` binary in tests.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A `flowcoin` command with its repository at `repo`.
pub fn cmd(repo: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_flowcoin"));
    c.env("FLOWCOIN_PATH", repo).env_remove("HOME");
    c
}

/// Runs `flowcoin ARGS` and returns its output, whatever the exit status.
pub fn run(repo: &Path, args: &[&str]) -> Output {
    cmd(repo).args(args).output().expect("flowcoin runs")
}

/// Runs `flowcoin ARGS`, asserts success and returns stdout.
pub fn ok(repo: &Path, args: &[&str]) -> String {
    let out = run(repo, args);
    assert!(
        out.status.success(),
        "flowcoin {args:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

/// Runs `flowcoin ARGS --json` (args must include --json) and parses stdout.
pub fn json(repo: &Path, args: &[&str]) -> serde_json::Value {
    serde_json::from_str(&ok(repo, args)).expect("JSON output")
}

/// Runs `flowcoin ARGS`, asserts failure and returns stderr.
pub fn fails(repo: &Path, args: &[&str]) -> String {
    let out = run(repo, args);
    assert!(!out.status.success(), "flowcoin {args:?} should fail");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Writes a file of `size` vector bytes for `seed`.
pub fn write_vector(path: &Path, seed: u64, size: usize) -> PathBuf {
    std::fs::write(path, flowcoin_types::test_utils::vector_bytes(seed, size)).unwrap();
    path.to_path_buf()
}

/// `path` as &str.
pub fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}
