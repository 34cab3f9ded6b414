//! `devnet down`: stops the nodes, and with `--clean` removes the devnet's files.

use std::path::Path;

use anyhow::Context as _;
use flowcoin_node::node::api_file;
use serde_json::json;

use super::process::{self, Stopped};
use super::record::{self, DevnetRecord, NodeRecord, ProcessRecord};
use super::{DAEMON_LOG, DirArg, STOP_GRACE, TEMPLATE, existing};
use crate::util::print_json;

/// `devnet down`.
pub(super) fn down(dir_arg: &DirArg, clean: bool, json: bool) -> anyhow::Result<()> {
    let (dir, mut record) = existing(dir_arg)?;
    let mut stopped = Vec::new();
    let mut messages = Vec::new();
    for index in 0..record.nodes.len() {
        let Some(node) = record.nodes.get(index) else {
            continue;
        };
        let Some(process) = node.process.clone() else {
            continue;
        };
        let (message, how) = match stop_node(&dir, node, &process) {
            Ok(outcome) => outcome,
            Err(e) => {
                // Keep what was stopped so far recorded as stopped.
                record.save(&dir)?;
                return Err(e);
            }
        };
        if let Some(how) = how {
            stopped.push(json!({"name": node.name, "pid": process.pid, "how": how}));
        }
        messages.push(message);
        if let Some(node) = record.nodes.get_mut(index) {
            node.process = None;
        }
    }
    record.save(&dir)?;
    if clean {
        remove_files(&dir, &record, true)?;
    }
    if json {
        return print_json(&json!({
            "dir": dir.display().to_string(),
            "stopped": stopped,
            "removed": clean,
        }));
    }
    if stopped.is_empty() && messages.is_empty() {
        println!(
            "the devnet in {} is not running: nothing to stop",
            dir.display()
        );
    }
    for message in messages {
        println!("{message}");
    }
    if clean {
        println!("removed the devnet in {}", dir.display());
    }
    Ok(())
}

/// Stops `node`'s daemon `process`: what to tell the user, and how it was stopped (`None`
/// if it had already exited).
fn stop_node(
    dir: &Path,
    node: &NodeRecord,
    process: &ProcessRecord,
) -> anyhow::Result<(String, Option<&'static str>)> {
    let repo = dir.join(&node.repo);
    let log = repo.join(DAEMON_LOG);
    let stopped =
        process::stop(process, STOP_GRACE).with_context(|| format!("stopping {}", node.name))?;
    if stopped != Stopped::Terminated {
        // A killed or crashed daemon could not remove its API file.
        let _ = std::fs::remove_file(api_file(&repo));
    }
    Ok(match stopped {
        Stopped::Terminated => (
            format!("stopped {} (pid {})", node.name, process.pid),
            Some("sigterm"),
        ),
        Stopped::Killed => {
            eprintln!(
                "warning: {} (pid {}) did not exit within {} s of SIGTERM and was killed; see {}",
                node.name,
                process.pid,
                STOP_GRACE.as_secs(),
                log.display()
            );
            (
                format!("killed {} (pid {})", node.name, process.pid),
                Some("sigkill"),
            )
        }
        Stopped::AlreadyGone => (
            format!(
                "{} was not running (it had exited on its own; see {})",
                node.name,
                log.display()
            ),
            None,
        ),
    })
}

/// Removes what `up` made in `dir` (the record last), then, with `remove_dir`, `dir` itself
/// if that empties it.
pub(super) fn remove_files(
    dir: &Path,
    record: &DevnetRecord,
    remove_dir: bool,
) -> anyhow::Result<()> {
    let remove = |path: &Path| -> anyhow::Result<()> {
        let removed = match std::fs::symlink_metadata(path) {
            Ok(meta) if meta.is_dir() => std::fs::remove_dir_all(path),
            Ok(_) => std::fs::remove_file(path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e),
        };
        removed.with_context(|| format!("removing {}", path.display()))
    };
    for node in &record.nodes {
        remove(&dir.join(&node.repo))?;
    }
    remove(&dir.join(&record.genesis))?;
    remove(&dir.join(TEMPLATE))?;
    remove(&dir.join(record::RECORD_FILE))?;
    if remove_dir {
        // Fails if the user keeps other files there: then the directory stays.
        let _ = std::fs::remove_dir(dir);
    }
    Ok(())
}
