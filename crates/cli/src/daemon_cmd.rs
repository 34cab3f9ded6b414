//! `flowcoin daemon`: runs the node until Ctrl-C or SIGTERM.
//!
//! Today the node serves the JSON-RPC API (docs/API.md); chain, network and miner services
//! join it in `flowcoin_node::Node`. Once listening it prints `API listening on <url>` on
//! stdout and writes the URL to `<repo>/api`; on SIGINT or SIGTERM it removes the file, stops
//! and exits with status 0.

use std::io::Write as _;
use std::net::SocketAddr;

use anyhow::Context as _;
use clap::Args;
use flowcoin_node::{ApiConfig, Node, NodeConfig};
use flowcoin_types::{Network, NetworkParams};
use tokio::signal::unix::{SignalKind, signal};

use crate::key_cmd::NetworkArg;
use crate::repo::Repo;

/// Options of `flowcoin daemon`.
#[derive(Debug, Args)]
pub struct DaemonArgs {
    /// Address of the JSON-RPC API (port 0 picks a free port; the URL is printed and written
    /// to <repo>/api).
    #[arg(long, value_name = "ADDR", default_value_t = flowcoin_node::server::DEFAULT_API_ADDR)]
    api: SocketAddr,
    /// Let requests without a token call read methods (off: every call needs a token).
    #[arg(long)]
    api_anonymous_read: bool,
    /// The network to run on.
    #[arg(long, value_enum, default_value = "devnet")]
    network: NetworkArg,
}

/// Runs the daemon until it is told to stop.
pub fn run(repo: &Repo, args: DaemonArgs) -> anyhow::Result<()> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?
        .block_on(serve(repo, args))
}

async fn serve(repo: &Repo, args: DaemonArgs) -> anyhow::Result<()> {
    // Listen for signals before announcing the address: whoever reads it may stop us at once.
    let mut interrupt = signal(SignalKind::interrupt()).context("installing a SIGINT handler")?;
    let mut terminate = signal(SignalKind::terminate()).context("installing a SIGTERM handler")?;
    let params = match Network::from(args.network) {
        Network::Mainnet => NetworkParams::mainnet(),
        Network::Devnet => NetworkParams::devnet(),
    };
    let config = NodeConfig {
        repo: repo.root().to_path_buf(),
        params,
        api: ApiConfig {
            listen: args.api,
            allow_anonymous_read: args.api_anonymous_read,
            ..ApiConfig::default()
        },
    };
    let node = Node::start(config).await.context("starting the node")?;
    if !node.api_addr().ip().is_loopback() {
        eprintln!(
            "warning: the API listens on {}, reachable from other hosts",
            node.api_addr()
        );
    }
    println!("API listening on {}", node.api_url());
    std::io::stdout().flush().context("writing to stdout")?;
    let signal = tokio::select! {
        _ = interrupt.recv() => "SIGINT",
        _ = terminate.recv() => "SIGTERM",
    };
    eprintln!("{signal} received, stopping");
    node.stop().await.context("stopping the node")?;
    Ok(())
}
