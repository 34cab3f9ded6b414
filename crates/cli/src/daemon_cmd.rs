//! `flowcoin daemon`: runs the node until Ctrl-C or SIGTERM.
//!
//! The node runs the chain from the data directory (the genesis given with `--genesis` on the
//! first start), mines with `--miner` (keys from the keystore, sectors under
//! `<repo>/sectors`), joins the peer-to-peer network (`[net]` in `<repo>/config.toml`,
//! `--listen`, `--bootstrap`; docs/NETWORK.md), and serves the JSON-RPC API (docs/API.md). Once listening it prints `API listening on <url>` on
//! stdout and writes the URL to `<repo>/api`; on SIGINT or SIGTERM it removes the file, stops
//! and exits with status 0.

use std::io::Write as _;
use std::net::SocketAddr;

use anyhow::Context as _;
use clap::Args;
use std::path::PathBuf;
use std::sync::Arc;

use flowcoin_crypto::{Keystore, SecretKey};
use flowcoin_node::miner::MinerConfig;
use flowcoin_node::{ApiConfig, ChainConfig, Node, NodeConfig};
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
    /// The network to run on when no chain runs (with a chain, the genesis decides).
    #[arg(long, value_enum, default_value = "devnet")]
    network: NetworkArg,
    /// The genesis CAR to start the chain from (`flowcoin genesis new`); needed on the first
    /// start only, the data directory remembers it.
    #[arg(long, value_name = "FILE")]
    genesis: Option<PathBuf>,
    /// Serve the API without a chain (for tools that only need tokens).
    #[arg(long, conflicts_with_all = ["genesis", "miner"])]
    no_chain: bool,
    /// Mine as this miner (`t01000`, `f01000` or `1000`); its sectors are under
    /// <repo>/sectors.
    #[arg(long, value_name = "ID")]
    miner: Option<String>,
    /// The keystore name of the miner's worker key (BLS).
    #[arg(
        long,
        value_name = "NAME",
        requires = "miner",
        default_value = "worker"
    )]
    worker_key: String,
    /// The keystore name of the key that sends the miner's messages and pays their gas
    /// (default: the worker key).
    #[arg(long, value_name = "NAME", requires = "miner")]
    sender_key: Option<String>,
    /// Listen for peers on this multiaddr (repeatable; replaces config.toml's `[net] listen`,
    /// default /ip4/0.0.0.0/tcp/0: a free port).
    #[arg(long, value_name = "MULTIADDR")]
    listen: Vec<String>,
    /// Dial this peer at start (repeatable; added to config.toml's `[net] bootstrap`).
    #[arg(long, value_name = "MULTIADDR")]
    bootstrap: Vec<String>,
    /// Run without the peer-to-peer network (a chain of one node).
    #[arg(long, conflicts_with_all = ["listen", "bootstrap"])]
    no_net: bool,
}

/// The daemon's configuration file, `<repo>/config.toml`. Only `[net]` is read today; other
/// sections are refused so that a typo does not pass silently.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
struct ConfigFile {
    net: flowcoin_node::NetSettings,
}

/// The configuration file's name in the repository.
pub const CONFIG_FILE: &str = "config.toml";

/// `[net]` from `<repo>/config.toml` (defaults if there is none), with the flags applied.
fn net_settings(
    repo: &Repo,
    args: &DaemonArgs,
) -> anyhow::Result<Option<flowcoin_node::NetSettings>> {
    let path = repo.root().join(CONFIG_FILE);
    let mut settings = match std::fs::read_to_string(&path) {
        Ok(text) => {
            toml::from_str::<ConfigFile>(&text)
                .with_context(|| format!("reading {}", path.display()))?
                .net
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => flowcoin_node::NetSettings::default(),
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    // Read (and so checked) even when unused: a broken file is reported, not ignored.
    if args.no_net || args.no_chain {
        return Ok(None);
    }
    if !args.listen.is_empty() {
        settings.listen.clone_from(&args.listen);
    }
    settings.bootstrap.extend(args.bootstrap.iter().cloned());
    Ok(Some(settings))
}

/// The miner the daemon runs, from the keystore.
fn miner_config(repo: &Repo, args: &DaemonArgs) -> anyhow::Result<Option<MinerConfig>> {
    let Some(miner) = &args.miner else {
        return Ok(None);
    };
    let id = crate::proofs_cmd::parse_miner_id(miner)?;
    let dir = repo.root().join("keystore");
    let store = Keystore::open(&dir).with_context(|| format!("opening {}", dir.display()))?;
    let passphrase = crate::key_cmd::passphrase(None)?;
    let worker = match store
        .load(&args.worker_key, passphrase.as_deref())
        .with_context(|| format!("loading the worker key {:?}", args.worker_key))?
    {
        SecretKey::Bls(key) => key,
        _ => anyhow::bail!(
            "the worker key {:?} is not a BLS key (the worker signs election tickets)",
            args.worker_key
        ),
    };
    let sender = match &args.sender_key {
        Some(name) => store
            .load(name, passphrase.as_deref())
            .with_context(|| format!("loading the sender key {name:?}"))?,
        None => store.load(&args.worker_key, passphrase.as_deref())?,
    };
    Ok(Some(MinerConfig {
        id,
        worker: Arc::new(worker),
        sender: Arc::new(sender),
    }))
}

/// Runs the daemon until it is told to stop. Logs go to stderr, filtered by `RUST_LOG`
/// (default `info`).
pub fn run(repo: &Repo, args: DaemonArgs) -> anyhow::Result<()> {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // A second initialisation (tests running the daemon in-process) keeps the first.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
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
    let chain = if args.no_chain {
        None
    } else {
        Some(ChainConfig {
            genesis: args.genesis.clone(),
            miner: miner_config(repo, &args)?,
        })
    };
    let config = NodeConfig {
        repo: repo.root().to_path_buf(),
        params,
        api: ApiConfig {
            listen: args.api,
            allow_anonymous_read: args.api_anonymous_read,
            ..ApiConfig::default()
        },
        chain,
        net: net_settings(repo, &args)?,
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
