//! `flowcoin net`: the running daemon's peer-to-peer network: its identity and addresses, the
//! connected peers, dialling and blocking peers.

use clap::Subcommand;
use flowcoin_node::auth::Permission;
use flowcoin_node::rpc::FlowcoinApiClient as _;

use crate::node_api::{Api, print_json};
use crate::repo::Repo;

/// Network commands.
#[derive(Debug, Subcommand)]
pub enum NetCommand {
    /// This node's peer id and listen addresses.
    Id {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// The connected peers: id, addresses, agent, score.
    Peers {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Dial a peer (a multiaddr, with or without /p2p/<id>).
    Connect {
        /// The peer's address.
        addr: String,
    },
    /// Disconnect a peer and refuse it until `net unblock` (e.g. to split a test network).
    Block {
        /// The peer id.
        peer: String,
    },
    /// Accept a blocked peer again and dial it.
    Unblock {
        /// The peer id.
        peer: String,
    },
    /// Whether the node is syncing, its height and how many peers it has.
    Sync {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Runs a network command.
pub fn run(repo: &Repo, command: NetCommand) -> anyhow::Result<()> {
    match command {
        NetCommand::Id { json } => {
            let api = Api::connect(repo, Permission::Read)?;
            let info = api.call(|c| c.net_addrs_listen())?;
            if json {
                return print_json(&info);
            }
            println!("{}", info.peer_id);
            for addr in &info.addrs {
                println!("  {addr}");
            }
            Ok(())
        }
        NetCommand::Peers { json } => {
            let api = Api::connect(repo, Permission::Read)?;
            let peers = api.call(|c| c.net_peers())?;
            if json {
                return print_json(&peers);
            }
            if peers.is_empty() {
                println!("no peers");
            }
            for p in &peers {
                let agent = p.agent.as_deref().unwrap_or("?");
                println!(
                    "{}  {}  {agent}  score {}",
                    p.peer_id,
                    p.addrs.join(","),
                    p.score
                );
            }
            Ok(())
        }
        NetCommand::Connect { addr } => {
            let api = Api::connect(repo, Permission::Write)?;
            api.call(|c| c.net_connect(addr.clone()))?;
            println!("dialling {addr}");
            Ok(())
        }
        NetCommand::Block { peer } => {
            let api = Api::connect(repo, Permission::Admin)?;
            api.call(|c| c.net_block_add(peer.clone()))?;
            println!("blocked {peer}");
            Ok(())
        }
        NetCommand::Unblock { peer } => {
            let api = Api::connect(repo, Permission::Admin)?;
            api.call(|c| c.net_block_remove(peer.clone()))?;
            println!("unblocked {peer}");
            Ok(())
        }
        NetCommand::Sync { json } => {
            let api = Api::connect(repo, Permission::Read)?;
            let state = api.call(|c| c.sync_state())?;
            if json {
                return print_json(&state);
            }
            println!(
                "height {}, {} peers{}",
                state.height,
                state.peers,
                if state.syncing { ", syncing" } else { "" }
            );
            Ok(())
        }
    }
}
