//! Fetching a whole DAG from the network into the block store: providers from the DHT, then
//! blocks over bitswap, each checked against its CID before it is stored.
//!
//! The walk is breadth-first with up to [`PARALLEL_WANTS`] blocks wanted at once; blocks the
//! store already has are not fetched again (their links are still followed, so an
//! interrupted fetch resumes). Fetched blocks are written in batches of [`WRITE_BATCH`]; the
//! root is pinned only once every block is stored, so a fetch that fails or is killed halfway
//! leaves unpinned blocks that garbage collection removes, never a pin on a partial DAG.

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use cid::Cid;
use flowcoin_dag::links::links;
use flowcoin_dag::store::{Blockstore as _, DiskStore, PinInfo, PinKind, now_secs};
use flowcoin_net::{NetHandle, PeerId};
use futures::StreamExt as _;
use futures::stream::FuturesUnordered;
use serde::{Deserialize, Serialize};

/// Most blocks wanted at once.
pub const PARALLEL_WANTS: usize = 32;
/// Blocks written per store transaction.
pub const WRITE_BATCH: usize = 64;
/// How long one block may take to arrive.
pub const BLOCK_TIMEOUT: Duration = Duration::from_secs(60);

/// What a fetch did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FetchReport {
    /// The root.
    pub root: String,
    /// Blocks in the DAG.
    pub blocks: u64,
    /// Blocks fetched from peers (the rest were already stored).
    pub fetched: u64,
    /// Bytes fetched.
    pub bytes: u64,
    /// The providers the DHT named.
    pub providers: Vec<String>,
}

/// Why a fetch failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FetchError {
    /// The network failed or no peer had a block in time.
    #[error(transparent)]
    Net(#[from] flowcoin_net::NetError),
    /// The block store failed.
    #[error(transparent)]
    Store(#[from] flowcoin_dag::store::StoreError),
    /// A block does not decode (its links cannot be followed).
    #[error("block {cid}: {reason}")]
    Block {
        /// The block.
        cid: Cid,
        /// Why.
        reason: String,
    },
    /// A storage thread failed.
    #[error("{0}")]
    Task(String),
}

/// Fetches the DAG under `root` into `disk` and pins it as `name`.
///
/// # Errors
/// [`FetchError`]; blocks stored before the error stay (unpinned).
pub async fn fetch_dag(
    net: &NetHandle,
    disk: &Arc<DiskStore>,
    root: Cid,
    name: String,
) -> Result<FetchReport, FetchError> {
    let mut report = FetchReport {
        root: root.to_string(),
        ..FetchReport::default()
    };
    if !has(disk, root).await? {
        let providers = net.find_providers(root).await?;
        let me = net.local_peer_id();
        for peer in providers.iter().filter(|p| **p != me) {
            report.providers.push(peer.to_string());
            dial_peer(net, *peer).await;
        }
    }
    let mut queue: VecDeque<Cid> = VecDeque::from([root]);
    let mut seen: HashSet<Cid> = HashSet::from([root]);
    let mut in_flight = FuturesUnordered::new();
    let mut pending_writes: Vec<(Cid, Vec<u8>)> = Vec::new();
    loop {
        while in_flight.len() < PARALLEL_WANTS
            && let Some(cid) = queue.pop_front()
        {
            let net = net.clone();
            let disk = Arc::clone(disk);
            in_flight.push(async move { get(&net, &disk, cid).await.map(|r| (cid, r)) });
        }
        let Some(result) = in_flight.next().await else {
            break;
        };
        let (cid, (data, fetched)) = result?;
        report.blocks = report.blocks.saturating_add(1);
        let children = links(&cid, &data).map_err(|e| FetchError::Block {
            cid,
            reason: e.to_string(),
        })?;
        for child in children {
            if seen.insert(child) {
                queue.push_back(child);
            }
        }
        if fetched {
            report.fetched = report.fetched.saturating_add(1);
            report.bytes = report.bytes.saturating_add(data.len() as u64);
            pending_writes.push((cid, data));
            if pending_writes.len() >= WRITE_BATCH {
                write(disk, std::mem::take(&mut pending_writes), None).await?;
            }
        }
    }
    let pin = PinInfo {
        name,
        kind: PinKind::Dag,
        size: 0,
        dag_size: 0,
        created: now_secs(),
    };
    write(disk, pending_writes, Some((root, pin))).await?;
    let _ = net.provide(root).await;
    Ok(report)
}

async fn dial_peer(net: &NetHandle, peer: PeerId) {
    let addr = flowcoin_net::Multiaddr::empty().with(flowcoin_net::multiaddr::Protocol::P2p(peer));
    if let Err(e) = net.dial(addr).await {
        tracing::debug!(%peer, "dialing a provider: {e}");
    }
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, FetchError> + Send + 'static,
) -> Result<T, FetchError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| FetchError::Task(e.to_string()))?
}

async fn has(disk: &Arc<DiskStore>, cid: Cid) -> Result<bool, FetchError> {
    let disk = Arc::clone(disk);
    blocking(move || Ok(disk.has(&cid)?)).await
}

/// The block's bytes, and whether they came from the network.
async fn get(
    net: &NetHandle,
    disk: &Arc<DiskStore>,
    cid: Cid,
) -> Result<(Vec<u8>, bool), FetchError> {
    let local = {
        let disk = Arc::clone(disk);
        blocking(move || Ok(disk.get(&cid)?)).await?
    };
    if let Some(data) = local {
        return Ok((data, false));
    }
    // Checked against the CID by the network layer before it is returned.
    Ok((net.get_block(cid, BLOCK_TIMEOUT).await?, true))
}

async fn write(
    disk: &Arc<DiskStore>,
    blocks: Vec<(Cid, Vec<u8>)>,
    pin: Option<(Cid, PinInfo)>,
) -> Result<(), FetchError> {
    let disk = Arc::clone(disk);
    blocking(move || {
        use flowcoin_dag::store::BlockSink as _;
        let mut batch = disk.batch()?;
        for (cid, data) in &blocks {
            batch.put(cid, data)?;
        }
        if let Some((root, info)) = pin {
            batch.pin(root, info);
        }
        batch.commit()?;
        Ok(())
    })
    .await
}
