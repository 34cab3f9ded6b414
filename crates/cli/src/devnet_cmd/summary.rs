//! What `devnet up` reports once the nodes answer: for people, or as JSON.

use std::path::{Path, PathBuf};

use flowcoin_node::auth::Permission;
use flowcoin_types::SectorSize;
use serde_json::json;

use super::genesis::PREMINE_KEY;
use super::record::MinerRecord;
use super::{GENESIS_CAR, NODE0, shell_word};

/// A node that started and answers.
pub(super) struct NodeSummary {
    pub name: String,
    pub repo: PathBuf,
    pub log: PathBuf,
    pub config: PathBuf,
    pub pid: u32,
    pub api: String,
    pub height: u64,
    /// An admin token for its API (each node has its own secret).
    pub token: String,
    pub miner: Option<String>,
    pub p2p: Option<String>,
}

impl NodeSummary {
    fn to_json(&self) -> serde_json::Value {
        json!({
            "name": self.name,
            "repo": self.repo.display().to_string(),
            "api": self.api,
            "pid": self.pid,
            "height": self.height,
            "log": self.log.display().to_string(),
            "token": self.token,
            "miner": self.miner,
            "p2p": self.p2p,
            "config": self.config.display().to_string(),
        })
    }
}

/// What `up` reports.
pub(super) struct UpSummary<'a> {
    pub dir: &'a Path,
    pub flag: &'a str,
    /// The nodes, node0 first.
    pub nodes: Vec<NodeSummary>,
    pub premine: String,
    pub premine_amount: String,
    pub miners: &'a [MinerRecord],
    pub genesis_cid: String,
    pub block_time_secs: u64,
}

impl UpSummary<'_> {
    pub(super) fn to_json(&self) -> serde_json::Value {
        json!({
            "dir": self.dir.display().to_string(),
            "nodes": self.nodes.iter().map(NodeSummary::to_json).collect::<Vec<_>>(),
            // node0's, as before there were several nodes.
            "token": self.nodes.first().map(|n| &n.token),
            "permission": Permission::Admin,
            "premine": {"key": PREMINE_KEY, "address": self.premine, "amount": self.premine_amount},
            "miners": self.miners.iter().map(|m| json!({
                "id": m.id,
                "node": m.node,
                "owner": m.owner,
                "owner_key": m.sender_key,
                "worker": m.worker,
                "sector_size": m.sector_size,
                "sectors": m.sectors,
            })).collect::<Vec<_>>(),
            "genesis": {
                "cid": self.genesis_cid,
                "car": self.dir.join(GENESIS_CAR).display().to_string(),
            },
            "block_time_secs": self.block_time_secs,
        })
    }

    pub(super) fn print(&self) {
        println!("devnet running in {}", self.dir.display());
        for node in &self.nodes {
            println!(
                "  {:<9} pid {}, API {}, height {}, p2p {}",
                node.name,
                node.pid,
                node.api,
                node.height,
                node.p2p.as_deref().unwrap_or("-")
            );
        }
        for m in self.miners {
            let size = SectorSize::try_from(m.sector_size)
                .map_or_else(|_| format!("{} B", m.sector_size), |s| s.to_string());
            println!(
                "  miner     {} (worker {}), {} sectors of {size}, mined by {} (pays gas with key {})",
                m.id,
                m.worker,
                m.sectors.len(),
                m.node,
                m.sender_key
            );
        }
        println!(
            "  premine   key {PREMINE_KEY} in {NODE0}'s keystore: {} holds {}",
            self.premine, self.premine_amount
        );
        println!(
            "  genesis   {} ({})",
            self.genesis_cid,
            self.dir.join(GENESIS_CAR).display()
        );
        for node in &self.nodes {
            println!("  log       {}", node.log.display());
        }
        println!();
        self.print_tokens();
        println!();
        self.print_usage();
    }

    fn print_tokens(&self) {
        match self.nodes.as_slice() {
            [node] => {
                println!("Admin token for the API (send it as `Authorization: Bearer TOKEN`):");
                println!("{}", node.token);
            }
            nodes => {
                println!(
                    "Admin tokens for the APIs (send one as `Authorization: Bearer TOKEN`; each node has its own):"
                );
                for node in nodes {
                    println!("  {}  {}", node.name, node.token);
                }
            }
        }
    }

    fn print_usage(&self) {
        let Some(first) = self.nodes.first() else {
            return;
        };
        let repo = shell_word(&first.repo);
        println!(
            "Use {} from the command line (a new block every {} s):",
            first.name, self.block_time_secs
        );
        println!("  export FLOWCOIN_PATH={repo}");
        println!("  flowcoin chain head");
        println!("  flowcoin wallet send --from {PREMINE_KEY} ADDRESS \"1 FLW\"");
        if self.nodes.len() > 1 {
            println!(
                "(another node: FLOWCOIN_PATH={})",
                shell_word(&self.dir.join("nodeN"))
            );
        }
        println!("or call the API directly:");
        println!(
            "  curl -H \"Authorization: Bearer $(FLOWCOIN_PATH={repo} flowcoin auth create-token --perm read)\" \\"
        );
        println!(
            "    -d '{{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"Flowcoin.ChainHead\",\"params\":[]}}' {}",
            first.api
        );
        println!("Watch it:  flowcoin devnet status{}", self.flag);
        println!("Stop it:   flowcoin devnet down{} [--clean]", self.flag);
    }
}
