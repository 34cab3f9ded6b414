//! The node's data directory (`$FLOWCOIN_PATH`, default `~/.flowcoin`).

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use flowcoin_dag::store::DiskStore;

/// The data directory and what lives in it.
#[derive(Debug)]
pub struct Repo {
    root: PathBuf,
}

impl Repo {
    /// The repository at `path`, or `$HOME/.flowcoin`.
    pub fn new(path: Option<PathBuf>) -> Self {
        let root = path.unwrap_or_else(|| {
            std::env::var_os("HOME").map_or_else(
                || PathBuf::from(".flowcoin"),
                |h| PathBuf::from(h).join(".flowcoin"),
            )
        });
        Repo { root }
    }

    /// The repository directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Opens the blockstore under `db/`, which must exist (commands that only read or remove
    /// data should not create a repository as a side effect).
    pub fn existing_store(&self) -> anyhow::Result<DiskStore> {
        if !self.root.join("db").join("index.redb").exists() {
            anyhow::bail!(
                "no Flowcoin repository at {} (import something first, or set FLOWCOIN_PATH / --repo)",
                self.root.display()
            );
        }
        self.store()
    }

    /// Opens (creating if needed) the blockstore under `db/`.
    pub fn store(&self) -> anyhow::Result<DiskStore> {
        let dir = self.root.join("db");
        DiskStore::open(&dir)
            .with_context(|| format!("opening the blockstore in {}", dir.display()))
    }
}
