//! `flowcoin`: the Flowcoin node and command-line interface.
//!
//! Today it holds the data layer's commands (`client`, `car`, `bench`); node, chain, market and
//! miner commands arrive with their crates. Every command that prints a result has `--json`.

mod auth_cmd;
mod bench;
mod car_cmd;
mod chain_cmd;
mod client;
mod daemon_cmd;
mod devnet_cmd;
mod genesis_cmd;
mod key_cmd;
mod miner_cmd;
mod net_cmd;
mod node_api;
mod progress;
mod proofs_cmd;
mod repo;
mod state_cmd;
mod util;
mod wallet_cmd;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Flowcoin: decentralized storage with IPFS-compatible data and Filecoin-style proofs.
#[derive(Debug, Parser)]
#[command(name = "flowcoin", version, about, long_about = None, propagate_version = true)]
struct Cli {
    /// Data directory of the node (holds the blockstore under db/).
    #[arg(long, global = true, env = "FLOWCOIN_PATH", value_name = "DIR")]
    repo: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Store, list, read and remove data; compute piece commitments.
    #[command(subcommand)]
    Client(client::ClientCommand),
    /// Export, import and inspect CAR files.
    #[command(subcommand)]
    Car(car_cmd::CarCommand),
    /// Seal sectors, unseal them, and prove and verify replication and spacetime.
    #[command(subcommand)]
    Proofs(proofs_cmd::ProofsCommand),
    /// Measure throughput of the data layer and the proofs.
    #[command(subcommand)]
    Bench(bench::BenchCommand),
    /// Generate, list and remove keys in the node's keystore.
    #[command(subcommand)]
    Key(key_cmd::KeyCommand),
    /// Build a genesis file (optionally from a template with pre-sealed miners) and inspect one.
    #[command(subcommand)]
    Genesis(genesis_cmd::GenesisCommand),
    /// Run the node (today: the JSON-RPC API) until Ctrl-C or SIGTERM.
    Daemon(daemon_cmd::DaemonArgs),
    /// Run a local development network: a fresh genesis, a mining node in the background.
    #[command(subcommand)]
    Devnet(devnet_cmd::DevnetCommand),
    /// Mint tokens for the node's JSON-RPC API.
    #[command(subcommand)]
    Auth(auth_cmd::AuthCommand),
    /// Keys as accounts: balances, sending FLW (through the daemon), export and import.
    #[command(subcommand)]
    Wallet(wallet_cmd::WalletCommand),
    /// The daemon's chain: head, tipsets, blocks, messages, waiting for a message.
    #[command(subcommand)]
    Chain(chain_cmd::ChainCommand),
    /// The daemon's state at its head: actors, power, token supply.
    #[command(subcommand)]
    State(state_cmd::StateCommand),
    /// A miner's info, power, sectors and proving deadline; pledge a sector.
    #[command(subcommand)]
    Miner(miner_cmd::MinerCommand),
    /// The running daemon's peer-to-peer network: identity, peers, dialling, blocking.
    #[command(subcommand)]
    Net(net_cmd::NetCommand),
}

/// `println!` panics when stdout is a pipe whose reader has gone (`flowcoin … | head`). Like
/// other Unix tools, a command whose output nobody reads any more ends quietly instead.
fn end_quietly_on_closed_stdout() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or_default();
        if message.starts_with("failed printing to stdout") && message.contains("os error 32") {
            std::process::exit(0);
        }
        default(info);
    }));
}

fn main() -> ExitCode {
    end_quietly_on_closed_stdout();
    let cli = Cli::parse();
    let repo = repo::Repo::new(cli.repo);
    let result = match cli.command {
        Command::Client(c) => client::run(&repo, c),
        Command::Car(c) => car_cmd::run(&repo, c),
        Command::Proofs(c) => proofs_cmd::run(&repo, c),
        Command::Bench(c) => bench::run(&repo, c),
        Command::Key(c) => key_cmd::run(&repo, c),
        Command::Genesis(c) => genesis_cmd::run(&repo, c),
        Command::Daemon(c) => daemon_cmd::run(&repo, c),
        Command::Devnet(c) => devnet_cmd::run(c),
        Command::Auth(c) => auth_cmd::run(&repo, c),
        Command::Wallet(c) => wallet_cmd::run(&repo, c),
        Command::Chain(c) => chain_cmd::run(&repo, c),
        Command::State(c) => state_cmd::run(&repo, c),
        Command::Miner(c) => miner_cmd::run(&repo, c),
        Command::Net(c) => net_cmd::run(&repo, c),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if let Some(io) = e.downcast_ref::<std::io::Error>()
                && io.kind() == std::io::ErrorKind::BrokenPipe
            {
                return ExitCode::SUCCESS;
            }
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
