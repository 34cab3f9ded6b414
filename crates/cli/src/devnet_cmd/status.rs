//! `devnet status`: each node's process, and its chain head and peers through its API.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use flowcoin_node::node::read_api_url;
use flowcoin_node::rpc::HeadInfo;
use jsonrpsee::core::ClientError;
use jsonrpsee::core::client::ClientT as _;
use jsonrpsee::core::params::ArrayParams;
use jsonrpsee::types::error::METHOD_NOT_FOUND_CODE;
use serde::Deserialize;
use serde_json::json;

use super::process;
use super::record::NodeRecord;
use super::{DAEMON_LOG, DirArg, chain_head, existing, read_client, runtime, within_timeout};
use crate::util::print_json;

/// The method that lists a node's peers: a JSON array of objects with at least `peer_id`.
const NET_PEERS: &str = "Flowcoin.NetPeers";

/// One entry of [`NET_PEERS`]'s answer (other fields are ignored).
#[derive(Debug, Deserialize)]
struct PeerEntry {
    peer_id: String,
}

/// The IDs of the peers of the node at `url` (read token from `repo`), or `None` if the
/// daemon has no [`NET_PEERS`] (one built before the network).
async fn net_peers(url: &str, repo: &Path) -> anyhow::Result<Option<Vec<String>>> {
    let client = read_client(url, repo)?;
    let answer = within_timeout(
        url,
        client.request::<Vec<PeerEntry>, _>(NET_PEERS, ArrayParams::new()),
    )
    .await?;
    match answer {
        Ok(peers) => Ok(Some(peers.into_iter().map(|p| p.peer_id).collect())),
        Err(ClientError::Call(e)) if e.code() == METHOD_NOT_FOUND_CODE => Ok(None),
        Err(e) => Err(e).with_context(|| format!("{NET_PEERS} at {url}")),
    }
}

/// What `status` found out about one node.
struct NodeStatus {
    name: String,
    repo: PathBuf,
    miner: Option<String>,
    p2p: Option<String>,
    pid: Option<u32>,
    api: Option<String>,
    running: bool,
    head: Option<HeadInfo>,
    /// Its peers' IDs; `None` while unknown (stopped, or a daemon without the network).
    peers: Option<Vec<String>>,
    error: Option<String>,
}

impl NodeStatus {
    fn to_json(&self) -> serde_json::Value {
        json!({
            "name": self.name,
            "repo": self.repo.display().to_string(),
            "api": self.api,
            "pid": self.pid,
            "running": self.running,
            "height": self.head.as_ref().map(|h| h.height),
            "head": self.head.as_ref().map(|h| &h.cids),
            "miners": self.head.as_ref().map(|h| &h.miners),
            "miner": self.miner,
            "p2p": self.p2p,
            "peers": self.peers.as_ref().map(Vec::len),
            "peer_ids": self.peers,
            "error": self.error,
        })
    }
}

/// Looks at one node: its process, then its API.
fn node_status(runtime: &tokio::runtime::Runtime, dir: &Path, node: &NodeRecord) -> NodeStatus {
    let repo = dir.join(&node.repo);
    let process = node.process.as_ref().filter(|p| process::is_running(p));
    let mut status = NodeStatus {
        name: node.name.clone(),
        miner: node.miner.clone(),
        p2p: node.p2p.clone(),
        pid: process.map(|p| p.pid),
        api: process.and_then(|p| p.api.clone()),
        running: process.is_some(),
        head: None,
        peers: None,
        error: None,
        repo,
    };
    if process.is_none() {
        if node.process.is_some() {
            status.error = Some(format!(
                "the daemon exited on its own; see {}",
                status.repo.join(DAEMON_LOG).display()
            ));
        }
        return status;
    }
    let url = match read_api_url(&status.repo) {
        Ok(Some(url)) => url,
        Ok(None) => {
            status.error = Some("the daemon has not written its API address yet".to_owned());
            return status;
        }
        Err(e) => {
            status.error = Some(e.to_string());
            return status;
        }
    };
    match runtime.block_on(chain_head(&url, &status.repo)) {
        Ok(head) => status.head = Some(head),
        Err(e) => status.error = Some(format!("{e:#}")),
    }
    if status.error.is_none() {
        match runtime.block_on(net_peers(&url, &status.repo)) {
            Ok(peers) => status.peers = peers,
            Err(e) => status.error = Some(format!("{e:#}")),
        }
    }
    status.api = Some(url);
    status
}

/// `devnet status`.
pub(super) fn status(dir_arg: &DirArg, json: bool) -> anyhow::Result<()> {
    let (dir, record) = existing(dir_arg)?;
    let runtime = runtime()?;
    let nodes: Vec<NodeStatus> = record
        .nodes
        .iter()
        .map(|node| node_status(&runtime, &dir, node))
        .collect();
    if json {
        return print_json(&json!({
            "dir": dir.display().to_string(),
            "nodes": nodes.iter().map(NodeStatus::to_json).collect::<Vec<_>>(),
        }));
    }
    println!(
        "devnet in {} (genesis {})",
        dir.display(),
        record.genesis_cid.as_deref().unwrap_or("not built")
    );
    for node in &nodes {
        let state = if node.running { "running" } else { "stopped" };
        let pid = node.pid.map_or_else(|| "-".to_owned(), |p| p.to_string());
        let peers = node
            .peers
            .as_ref()
            .map_or_else(|| "?".to_owned(), |p| p.len().to_string());
        println!(
            "  {}  {state}  pid {pid}  peers {peers}  API {}  p2p {}  mines {}",
            node.name,
            node.api.as_deref().unwrap_or("-"),
            node.p2p.as_deref().unwrap_or("-"),
            node.miner.as_deref().unwrap_or("nothing")
        );
        if let Some(head) = &node.head {
            println!(
                "    height {}  head {}  miners {}",
                head.height,
                head.cids.join(","),
                if head.miners.is_empty() {
                    "-".to_owned()
                } else {
                    head.miners.join(",")
                }
            );
        }
        if let Some(error) = &node.error {
            println!("    {error}");
        }
    }
    Ok(())
}
