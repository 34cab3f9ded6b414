//! Where blocks live: the [`Blockstore`] read interface, the [`BlockSink`] write interface, an
//! in-memory store, and the persistent [`DiskStore`].

use std::collections::HashMap;
use std::sync::RwLock;

use cid::Cid;

mod disk;
mod gc;
mod packs;
mod verify;

pub use disk::{DiskStore, ImportBatch, PinInfo, PinKind, StoreOptions, StoreStats, now_secs};
pub use gc::GcReport;
pub use verify::VerifyReport;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// A file of the store could not be read or written.
    #[error("blockstore I/O error on {path}: {source}")]
    Io {
        /// The file involved.
        path: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The embedded database failed.
    #[error("blockstore database error: {0}")]
    Db(String),
    /// The store's files disagree with each other (damage from outside, or a bug).
    #[error("blockstore is corrupt: {0}")]
    Corrupt(String),
    /// Another process holds the store.
    #[error(
        "the store at {0} is in use by another flowcoin process (stop the daemon or the other command first)"
    )]
    Locked(String),
    /// The disk is full.
    #[error(
        "no space left on the device holding {path} (free space, or run `flowcoin client rm` to collect garbage)"
    )]
    NoSpace {
        /// The file being written.
        path: String,
    },
    /// A block a caller asked for is not in the store.
    #[error("block {0} is not in the store")]
    NotFound(Cid),
    /// A block given to the store cannot be decoded under its codec.
    #[error("invalid block: {0}")]
    Invalid(String),
    /// A block given to the store does not match its CID.
    #[error(transparent)]
    Verify(#[from] crate::hash::VerifyError),
}

impl StoreError {
    /// Wraps an I/O error on `path`, telling a full disk apart.
    pub fn io(path: impl AsRef<std::path::Path>, source: std::io::Error) -> Self {
        let path = path.as_ref().display().to_string();
        if source.raw_os_error() == Some(rustix::io::Errno::NOSPC.raw_os_error()) {
            return StoreError::NoSpace { path };
        }
        StoreError::Io { path, source }
    }

    /// Whether this error means the disk is full.
    pub fn is_no_space(&self) -> bool {
        matches!(self, StoreError::NoSpace { .. })
    }
}

/// Read access to blocks by CID.
pub trait Blockstore {
    /// The block's bytes, or `None` if the store does not have it.
    fn get(&self, cid: &Cid) -> Result<Option<Vec<u8>>, StoreError>;

    /// Whether the store has the block.
    fn has(&self, cid: &Cid) -> Result<bool, StoreError> {
        Ok(self.get(cid)?.is_some())
    }

    /// The block's bytes; an error if it is missing.
    fn get_required(&self, cid: &Cid) -> Result<Vec<u8>, StoreError> {
        self.get(cid)?.ok_or(StoreError::NotFound(*cid))
    }
}

/// Write access: where an importer or a CAR reader puts the blocks it produces.
pub trait BlockSink {
    /// Stores a block. The caller guarantees `data` hashes to `cid`.
    fn put(&mut self, cid: &Cid, data: &[u8]) -> Result<(), StoreError>;

    /// Stores a block given as consecutive `parts` (for example a protobuf header, a chunk of
    /// file data and a trailer), so callers need not copy them together. `links`, when the
    /// caller built the block and knows them, spares the sink from decoding it.
    fn put_parts(
        &mut self,
        cid: &Cid,
        parts: &[&[u8]],
        links: Option<&[Cid]>,
    ) -> Result<(), StoreError> {
        let _ = links;
        self.put(cid, &parts.concat())
    }
}

impl<T: Blockstore + ?Sized> Blockstore for &T {
    fn get(&self, cid: &Cid) -> Result<Option<Vec<u8>>, StoreError> {
        (**self).get(cid)
    }
    fn has(&self, cid: &Cid) -> Result<bool, StoreError> {
        (**self).has(cid)
    }
}

impl<T: Blockstore + ?Sized> Blockstore for &mut T {
    fn get(&self, cid: &Cid) -> Result<Option<Vec<u8>>, StoreError> {
        (**self).get(cid)
    }
    fn has(&self, cid: &Cid) -> Result<bool, StoreError> {
        (**self).has(cid)
    }
}

impl<T: BlockSink + ?Sized> BlockSink for &mut T {
    fn put(&mut self, cid: &Cid, data: &[u8]) -> Result<(), StoreError> {
        (**self).put(cid, data)
    }
    fn put_parts(
        &mut self,
        cid: &Cid,
        parts: &[&[u8]],
        links: Option<&[Cid]>,
    ) -> Result<(), StoreError> {
        (**self).put_parts(cid, parts, links)
    }
}

/// A sink that drops every block: computing CIDs only (`--only-hash`).
#[derive(Debug, Default, Clone, Copy)]
pub struct NullSink;

impl BlockSink for NullSink {
    fn put(&mut self, _cid: &Cid, _data: &[u8]) -> Result<(), StoreError> {
        Ok(())
    }
    fn put_parts(&mut self, _: &Cid, _: &[&[u8]], _: Option<&[Cid]>) -> Result<(), StoreError> {
        Ok(())
    }
}

/// A blockstore in memory, for tests, tools and staging small DAGs.
#[derive(Debug, Default)]
pub struct MemoryBlockstore {
    blocks: RwLock<HashMap<Cid, Vec<u8>>>,
}

impl MemoryBlockstore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of distinct blocks held.
    pub fn len(&self) -> usize {
        self.blocks.read().map_or(0, |b| b.len())
    }

    /// Whether the store holds no block.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Inserts a block (shared-reference version of [`BlockSink::put`]).
    pub fn insert(&self, cid: Cid, data: Vec<u8>) {
        if let Ok(mut b) = self.blocks.write() {
            b.insert(cid, data);
        }
    }

    /// Removes a block; returns whether it was there.
    pub fn remove(&self, cid: &Cid) -> bool {
        self.blocks
            .write()
            .is_ok_and(|mut b| b.remove(cid).is_some())
    }

    /// Every CID held, in no particular order.
    pub fn cids(&self) -> Vec<Cid> {
        self.blocks
            .read()
            .map_or_else(|_| Vec::new(), |b| b.keys().copied().collect())
    }
}

impl Blockstore for MemoryBlockstore {
    fn get(&self, cid: &Cid) -> Result<Option<Vec<u8>>, StoreError> {
        let blocks = self
            .blocks
            .read()
            .map_err(|_| StoreError::Db("lock poisoned".into()))?;
        Ok(blocks.get(cid).cloned())
    }
}

impl BlockSink for MemoryBlockstore {
    fn put(&mut self, cid: &Cid, data: &[u8]) -> Result<(), StoreError> {
        self.insert(*cid, data.to_vec());
        Ok(())
    }
}
