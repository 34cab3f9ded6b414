//! The network and client methods: peers, connecting and blocking them, importing local
//! files into the node's store and fetching DAGs from the network.

use std::path::PathBuf;
use std::sync::Arc;

use flowcoin_dag::store::{Blockstore as _, DiskStore, StoreError};
use flowcoin_dag::unixfs::{CidVersion, Exporter, ImportOptions, import_path};
use jsonrpsee::core::RpcResult;
use jsonrpsee::types::ErrorObjectOwned;
use serde::{Deserialize, Serialize};

use super::errors::{UNAVAILABLE_CODE, error, internal, invalid};
use crate::network::Network;
use crate::node::NodeState;

/// How `Flowcoin.ClientImport` builds the DAG (the options of `flowcoin client import`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ImportParams {
    /// 0 or 1.
    pub cid_version: u8,
    /// Raw leaves.
    pub raw_leaves: bool,
    /// Bytes per leaf.
    pub chunk_size: usize,
    /// Most links per node.
    pub max_links: usize,
    /// `sha2-256`, `sha2-512` or `blake3`.
    pub hash: String,
    /// Include dot files.
    pub hidden: bool,
    /// Wrap in a directory.
    pub wrap: bool,
}

impl Default for ImportParams {
    fn default() -> Self {
        let d = ImportOptions::default();
        Self {
            cid_version: 0,
            raw_leaves: d.raw_leaves,
            chunk_size: d.chunk_size,
            max_links: d.max_links,
            hash: "sha2-256".into(),
            hidden: d.hidden,
            wrap: d.wrap,
        }
    }
}

/// What `Flowcoin.ClientImport` returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportInfo {
    /// The root CID.
    pub root: String,
    /// Bytes of file content.
    pub size: u64,
    /// Bytes of the DAG.
    pub dag_size: u64,
    /// `file`, `directory` or `symlink`.
    pub kind: String,
}

impl ImportInfo {
    /// What an import made.
    pub fn of(entry: &flowcoin_dag::unixfs::Entry) -> Self {
        Self {
            root: entry.cid.to_string(),
            size: entry.size,
            dag_size: entry.tsize,
            kind: entry.kind.name().into(),
        }
    }
}

pub(crate) fn net(state: &NodeState) -> RpcResult<&Network> {
    state.net().ok_or_else(|| {
        error(
            UNAVAILABLE_CODE,
            "this node runs no network (start the daemon with a chain and without --no-net)",
        )
    })
}

fn disk(state: &NodeState) -> RpcResult<Arc<DiskStore>> {
    state.disk().cloned().ok_or_else(super::errors::no_chain)
}

fn stopped(e: flowcoin_net::NetError) -> ErrorObjectOwned {
    internal(e)
}

pub(crate) fn parse_peer(text: &str) -> RpcResult<flowcoin_net::PeerId> {
    text.parse()
        .map_err(|e| invalid(format!("{text:?} is not a peer id: {e}")))
}

pub(crate) fn parse_multiaddr(text: &str) -> RpcResult<flowcoin_net::Multiaddr> {
    text.parse()
        .map_err(|e| invalid(format!("{text:?} is not a multiaddr: {e}")))
}

pub(crate) async fn addrs(state: &NodeState) -> RpcResult<flowcoin_net::AddrInfo> {
    net(state)?.handle.addrs().await.map_err(stopped)
}

pub(crate) async fn peers(state: &NodeState) -> RpcResult<Vec<flowcoin_net::PeerInfo>> {
    let mut peers = net(state)?.handle.peers().await.map_err(stopped)?;
    peers.sort_by(|a, b| a.peer_id.cmp(&b.peer_id));
    Ok(peers)
}

pub(crate) async fn connect(state: &NodeState, addr: &str) -> RpcResult<()> {
    let addr = parse_multiaddr(addr)?;
    net(state)?
        .handle
        .dial(addr)
        .await
        .map_err(|e| invalid(e.to_string()))
}

pub(crate) async fn block(state: &NodeState, peer: &str, blocked: bool) -> RpcResult<()> {
    let peer = parse_peer(peer)?;
    let handle = &net(state)?.handle;
    if blocked {
        handle.block(peer).await
    } else {
        handle.unblock(peer).await
    }
    .map_err(stopped)
}

fn import_options(p: &ImportParams) -> RpcResult<ImportOptions> {
    let hash: flowcoin_dag::hash::HashFn = p
        .hash
        .parse()
        .map_err(|e| invalid(format!("hash {:?}: {e}", p.hash)))?;
    let cid_version = match p.cid_version {
        0 if hash == flowcoin_dag::hash::HashFn::Sha2_256 => CidVersion::V0,
        0 | 1 => CidVersion::V1,
        v => return Err(invalid(format!("cid_version {v}: 0 or 1"))),
    };
    let opts = ImportOptions {
        cid_version,
        raw_leaves: p.raw_leaves,
        chunk_size: p.chunk_size,
        max_links: p.max_links,
        hash,
        hidden: p.hidden,
        wrap: p.wrap,
        ..ImportOptions::default()
    };
    opts.validate().map_err(|e| invalid(e.to_string()))?;
    Ok(opts)
}

/// Bytes an import writes per store transaction: the store has one writer, and the chain
/// must not wait for a whole large import to write its blocks.
const IMPORT_COMMIT_BYTES: u64 = 16 << 20;

/// A block sink over the store that commits every [`IMPORT_COMMIT_BYTES`]. Blocks of an
/// import that fails or is killed halfway stay unpinned (garbage collection removes them);
/// the root is pinned in the last transaction.
struct CommittingSink<'a> {
    disk: &'a DiskStore,
    batch: Option<flowcoin_dag::store::ImportBatch<'a>>,
    bytes: u64,
}

impl<'a> CommittingSink<'a> {
    fn batch(&mut self) -> Result<&mut flowcoin_dag::store::ImportBatch<'a>, StoreError> {
        if self.bytes >= IMPORT_COMMIT_BYTES
            && let Some(full) = self.batch.take()
        {
            full.commit()?;
            self.bytes = 0;
        }
        match &mut self.batch {
            Some(batch) => Ok(batch),
            slot => Ok(slot.insert(self.disk.batch()?)),
        }
    }

    /// The open transaction (for the pin), the others committed.
    fn finish(mut self) -> Result<flowcoin_dag::store::ImportBatch<'a>, StoreError> {
        match self.batch.take() {
            Some(batch) => Ok(batch),
            None => self.disk.batch(),
        }
    }
}

impl flowcoin_dag::store::BlockSink for CommittingSink<'_> {
    fn put(&mut self, cid: &cid::Cid, data: &[u8]) -> Result<(), StoreError> {
        self.bytes = self.bytes.saturating_add(data.len() as u64);
        self.batch()?.put(cid, data)
    }

    fn put_parts(
        &mut self,
        cid: &cid::Cid,
        parts: &[&[u8]],
        links: Option<&[cid::Cid]>,
    ) -> Result<(), StoreError> {
        let len = parts.iter().map(|p| p.len() as u64).sum::<u64>();
        self.bytes = self.bytes.saturating_add(len);
        self.batch()?.put_parts(cid, parts, links)
    }
}

/// Imports `path` (on the node's machine) into the node's store, pins it and announces it.
pub(crate) async fn import(
    state: &NodeState,
    path: String,
    params: ImportParams,
) -> RpcResult<ImportInfo> {
    let path = PathBuf::from(path);
    if !path.is_absolute() {
        return Err(invalid(format!(
            "{}: the node needs an absolute path (it may run in another directory)",
            path.display()
        )));
    }
    let opts = import_options(&params)?;
    let disk = disk(state)?;
    let entry = tokio::task::spawn_blocking(move || -> RpcResult<_> {
        let mut sink = CommittingSink {
            disk: &disk,
            batch: None,
            bytes: 0,
        };
        let entry = import_path(&path, &opts, &mut sink, &mut |_| {})
            .map_err(|e| invalid(format!("importing {}: {e}", path.display())))?;
        let mut batch = sink.finish().map_err(internal)?;
        batch.pin(entry.cid, entry.pin_info(&path, &opts));
        batch.commit().map_err(internal)?;
        Ok(entry)
    })
    .await
    .map_err(internal)??;
    if let Some(net) = state.net() {
        let _ = net.handle.provide(entry.cid).await;
    }
    Ok(ImportInfo::of(&entry))
}

/// Fetches the DAG under `target` (`CID` or `CID/path`; from the store, or from the network:
/// DHT, then bitswap), pins the root, and writes the target to `output` (on the node's
/// machine) when given.
pub(crate) async fn retrieve(
    state: &NodeState,
    target: String,
    output: Option<String>,
) -> RpcResult<crate::fetch::FetchReport> {
    let text = target.trim_start_matches("/ipfs/");
    let (cid, _) = text.split_once('/').unwrap_or((text, ""));
    let cid = cid.to_owned();
    let root = super::errors::parse_cid(&cid)?;
    let output = output.map(PathBuf::from);
    if let Some(out) = &output {
        if !out.is_absolute() {
            return Err(invalid(format!(
                "{}: the node needs an absolute path",
                out.display()
            )));
        }
        if std::fs::symlink_metadata(out).is_ok() {
            return Err(invalid(format!("{} already exists", out.display())));
        }
    }
    let disk = disk(state)?;
    let report = match state.net() {
        Some(net) => crate::fetch::fetch_dag(&net.handle, &disk, root, cid.clone())
            .await
            .map_err(|e| error(super::errors::NOT_FOUND_CODE, e.to_string()))?,
        None => {
            let d = Arc::clone(&disk);
            let has = tokio::task::spawn_blocking(move || d.has(&root))
                .await
                .map_err(internal)?
                .map_err(internal)?;
            if !has {
                return Err(error(
                    UNAVAILABLE_CODE,
                    format!("{root} is not in the store and this node runs no network"),
                ));
            }
            crate::fetch::FetchReport {
                root: cid,
                ..Default::default()
            }
        }
    };
    if let Some(out) = output {
        tokio::task::spawn_blocking(move || {
            let ex = Exporter::new(&*disk);
            let cid = ex
                .resolve_str(&target)
                .map_err(|e| invalid(format!("{target}: {e}")))?;
            ex.get(&cid, &out)
                .map_err(|e| internal(format!("writing {}: {e}", out.display())))
        })
        .await
        .map_err(internal)??;
    }
    Ok(report)
}
