//! The blockstore bitswap serves from: the node's block store, read-only.
//!
//! beetswap only reads through this adapter (it does not store what it fetches; the node
//! verifies and stores fetched blocks itself, see `NetHandle::get_block`). Writes are
//! refused so that nothing reaches the store unverified.

use std::sync::Arc;

use cid::CidGeneric;
use flowcoin_dag::store::Blockstore as DagStore;

/// A read-only view of a Flowcoin block store for bitswap.
pub struct BitswapStore {
    inner: Arc<dyn DagStore + Send + Sync>,
}

impl std::fmt::Debug for BitswapStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BitswapStore")
    }
}

impl BitswapStore {
    /// Serves the blocks of `inner`.
    pub fn new(inner: Arc<dyn DagStore + Send + Sync>) -> Self {
        Self { inner }
    }
}

/// Our CIDs are `cid::Cid` (64-byte multihashes); beetswap's are generic over the size.
fn to_cid<const S: usize>(cid: &CidGeneric<S>) -> blockstore::Result<cid::Cid> {
    cid::Cid::try_from(cid.to_bytes().as_slice()).map_err(|_| blockstore::Error::CidTooLarge)
}

impl blockstore::Blockstore for BitswapStore {
    async fn get<const S: usize>(
        &self,
        cid: &CidGeneric<S>,
    ) -> blockstore::Result<Option<Vec<u8>>> {
        let cid = to_cid(cid)?;
        // A local read (an index lookup and a file read); short enough to run in place.
        self.inner
            .get(&cid)
            .map_err(|e| blockstore::Error::FatalDatabaseError(e.to_string()))
    }

    async fn has<const S: usize>(&self, cid: &CidGeneric<S>) -> blockstore::Result<bool> {
        let cid = to_cid(cid)?;
        self.inner
            .has(&cid)
            .map_err(|e| blockstore::Error::FatalDatabaseError(e.to_string()))
    }

    async fn put_keyed<const S: usize>(
        &self,
        _cid: &CidGeneric<S>,
        _data: &[u8],
    ) -> blockstore::Result<()> {
        Err(blockstore::Error::StoredDataError(
            "bitswap's store is read-only: fetched blocks are verified and stored by the node"
                .into(),
        ))
    }

    async fn remove<const S: usize>(&self, _cid: &CidGeneric<S>) -> blockstore::Result<()> {
        Err(blockstore::Error::StoredDataError(
            "bitswap's store is read-only".into(),
        ))
    }

    async fn close(self) -> blockstore::Result<()> {
        Ok(())
    }
}
