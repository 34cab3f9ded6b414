//! The node's data directory (`$FLOWCOIN_PATH`, default `~/.flowcoin`).

use std::path::PathBuf;

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

    /// Opens (creating if needed) the blockstore under `db/`.
    pub fn store(&self) -> anyhow::Result<DiskStore> {
        let dir = self.root.join("db");
        DiskStore::open(&dir)
            .with_context(|| format!("opening the blockstore in {}", dir.display()))
    }
}
