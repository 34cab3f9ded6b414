//! Chain sync, independent of the transport: catching up with a peer's chain.
//!
//! A peer is anything that implements [`ChainSource`] (the network's chain-exchange protocol
//! will; tests use another node's chain service). [`sync_from`]:
//!
//! 1. asks the peer for its head;
//! 2. walks back from it, fetching each tipset's blocks with their messages, until it reaches
//!    a tipset this node has already executed (at most `max_epochs` back: a peer cannot make
//!    the node fetch an unbounded history, and forks deeper than that are refused);
//! 3. accepts the fetched tipsets oldest first through [`ChainService::accept`], which checks
//!    every block against the consensus rules before storing it, executes the tipset, and
//!    moves the head if the chain is heavier.
//!
//! The chain is locked only for each check and each accepted tipset, never while the peer
//! is being asked: the miner and the API go on during a long sync.
//!
//! The first invalid block stops the sync with its error; what was accepted before it stays
//! (it was valid), nothing after it is stored.

use flowcoin_types::SignedMessage;
use flowcoin_types::block::BlockHeader;
use flowcoin_types::tipset::{Tipset, TipsetKey};

use std::sync::Mutex;

use crate::chain::{ChainService, ChainServiceError};

/// A tipset as a peer sends it: every block with its messages.
pub type TipsetBlocks = Vec<(BlockHeader, Vec<SignedMessage>)>;

/// What a peer offers to a syncing node.
pub trait ChainSource {
    /// The key and height of the peer's head.
    ///
    /// # Errors
    /// The peer's or the transport's failure, as text.
    fn head(&self) -> Result<(TipsetKey, u64), String>;

    /// The blocks of tipset `key`, each with its messages.
    ///
    /// # Errors
    /// The peer does not have it, or the transport failed.
    fn tipset(&self, key: &TipsetKey) -> Result<TipsetBlocks, String>;
}

/// What a sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// Tipsets fetched from the peer.
    pub fetched: u64,
    /// Tipsets accepted (validated, stored, executed).
    pub accepted: u64,
    /// Whether the head moved.
    pub head_moved: bool,
    /// The head's height afterwards.
    pub height: u64,
}

/// Why a sync stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SyncError {
    /// The peer failed or misbehaved (a tipset it sent does not match what it was asked for).
    #[error("peer: {0}")]
    Peer(String),
    /// The peer's chain does not meet ours within the bound.
    #[error(
        "the peer's chain does not join ours within {0} epochs (a fork deeper than that is not followed)"
    )]
    TooDeep(u64),
    /// A block broke a consensus rule, or the chain store failed.
    #[error(transparent)]
    Chain(#[from] ChainServiceError),
    /// Another thread panicked while holding the chain.
    #[error("the chain's lock is poisoned")]
    Poisoned,
}

fn lock(chain: &Mutex<ChainService>) -> Result<std::sync::MutexGuard<'_, ChainService>, SyncError> {
    chain.lock().map_err(|_| SyncError::Poisoned)
}

/// Catches `chain` up with `peer`'s chain (see the module documentation).
///
/// # Errors
/// [`SyncError`]; tipsets accepted before the error stay.
pub fn sync_from(
    chain: &Mutex<ChainService>,
    peer: &dyn ChainSource,
    max_epochs: u64,
) -> Result<SyncReport, SyncError> {
    let (mut key, peer_height) = peer.head().map_err(SyncError::Peer)?;
    let start_height = lock(chain)?.head()?.height();
    let mut fetched: Vec<TipsetBlocks> = Vec::new();
    loop {
        let known = lock(chain)?
            .store()
            .meta(&key)
            .map_err(ChainServiceError::from)?
            .is_some_and(|m| m.executed.is_some());
        if known {
            break;
        }
        let blocks = peer.tipset(&key).map_err(SyncError::Peer)?;
        let tipset = Tipset::new(blocks.iter().map(|(h, _)| h.clone()).collect())
            .map_err(|e| SyncError::Peer(format!("tipset {key:?}: {e}")))?;
        if tipset.key() != &key {
            return Err(SyncError::Peer(format!(
                "asked for tipset {key:?}, got {:?}",
                tipset.key()
            )));
        }
        if peer_height.saturating_sub(tipset.height()) > max_epochs {
            return Err(SyncError::TooDeep(max_epochs));
        }
        key = tipset.parents();
        fetched.push(blocks);
    }
    let mut report = SyncReport {
        fetched: fetched.len() as u64,
        ..SyncReport::default()
    };
    for blocks in fetched.iter().rev() {
        let moved = lock(chain)?.accept(blocks)?;
        // The lock is not fair: without a pause between tipsets, a thread waiting for the
        // chain (an API call, the miner) could wait for the whole sync. 0.1 ms per tipset
        // costs about 1 s per 10,000 epochs.
        std::thread::sleep(std::time::Duration::from_micros(100));
        report.accepted = report.accepted.saturating_add(1);
        report.head_moved |= moved;
    }
    report.height = lock(chain)?.head()?.height();
    report.head_moved |= report.height != start_height;
    Ok(report)
}
