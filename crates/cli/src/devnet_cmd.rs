//! `flowcoin devnet`: a local development network in one directory (docs/DEVNET.md).
//!
//! `up` builds a fresh devnet genesis with a miner whose sectors it seals on the spot, starts
//! `flowcoin daemon` on it in the background and records what it started in
//! `DIR/devnet.json`; `status` shows each node; `down` stops them. The directory (default
//! `~/.flowcoin-devnet`, or `$FLOWCOIN_DEVNET_DIR`; `$FLOWCOIN_PATH` is not used) holds:
//!
//! ```text
//! devnet.json            what runs where (record.rs)
//! genesis.car            the genesis the nodes started from
//! genesis-template.json  the template it was built from
//! node0/                 the node's repository: keystore (the funded keys), db, sectors,
//!                        api (its URL while it runs), daemon.log
//! ```
//!
//! One node, one miner for now: more nodes need the network, and a daemon mines for one miner.

mod down;
mod genesis;
mod process;
mod record;
mod status;
mod up;

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use clap::{Args, Subcommand};
use flowcoin_node::auth::{self, JwtSecret, Permission, secret_path};
use flowcoin_node::client::ApiClient;
use flowcoin_node::rpc::{FlowcoinApiClient as _, HeadInfo};
use flowcoin_types::SectorSize;

use self::record::DevnetRecord;

/// The directory's name under `$HOME` when no `--dir` is given.
const DEFAULT_DIR_NAME: &str = ".flowcoin-devnet";
/// The only node's name (and its repository's, in the directory).
const NODE0: &str = "node0";
/// The genesis CAR in the directory.
const GENESIS_CAR: &str = "genesis.car";
/// The genesis template in the directory.
const TEMPLATE: &str = "genesis-template.json";
/// The daemon's log, in its repository.
const DAEMON_LOG: &str = "daemon.log";
/// How long `up` waits for a new daemon's API to answer.
const API_WAIT: Duration = Duration::from_secs(120);
/// How long one API call may take.
const CALL_TIMEOUT: Duration = Duration::from_secs(10);
/// How long `down` waits for a daemon to exit after SIGTERM (and again after SIGKILL).
const STOP_GRACE: Duration = Duration::from_secs(30);

/// Devnet commands.
#[derive(Debug, Subcommand)]
pub enum DevnetCommand {
    /// Build a fresh devnet (a genesis with a pre-sealed miner) and start its node in the
    /// background; prints the API endpoint and an admin token.
    Up(UpArgs),
    /// Show each node of the devnet: whether it runs, its chain head and its peers.
    Status {
        #[command(flatten)]
        dir: DirArg,
        /// Print JSON: {"dir", "nodes": [{"name", "repo", "api", "pid", "running", "height",
        /// "head", "miners", "peers", "error"}]}.
        #[arg(long)]
        json: bool,
    },
    /// Stop the devnet's nodes (SIGTERM; SIGKILL if one has not exited 30 s later).
    Down {
        #[command(flatten)]
        dir: DirArg,
        /// Also remove the devnet's files (chain, keys, sectors, logs) and the directory if
        /// nothing else is in it.
        #[arg(long)]
        clean: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Where the devnet lives.
#[derive(Debug, Clone, Args)]
pub struct DirArg {
    /// The devnet's directory [default: ~/.flowcoin-devnet]. Each node has its repository
    /// inside (FLOWCOIN_PATH and --repo are not used).
    #[arg(long, env = "FLOWCOIN_DEVNET_DIR", value_name = "DIR")]
    dir: Option<PathBuf>,
}

impl DirArg {
    /// The directory as given, or the default.
    fn path(&self) -> PathBuf {
        self.dir.clone().unwrap_or_else(|| {
            std::env::var_os("HOME").map_or_else(
                || PathBuf::from(DEFAULT_DIR_NAME),
                |home| PathBuf::from(home).join(DEFAULT_DIR_NAME),
            )
        })
    }

    /// ` --dir DIR` for the commands suggested to the user, empty for the default.
    fn flag(&self, resolved: &Path) -> String {
        match self.dir {
            Some(_) => format!(" --dir {}", shell_word(resolved)),
            None => String::new(),
        }
    }
}

/// Options of `devnet up`.
#[derive(Debug, Args)]
pub struct UpArgs {
    #[command(flatten)]
    dir: DirArg,
    /// Nodes to run (one for now: more need the network).
    #[arg(long, default_value_t = 1, value_name = "N")]
    nodes: usize,
    /// Genesis miners (one for now: the node mines for one miner).
    #[arg(long, default_value_t = 1, value_name = "M")]
    miners: usize,
    /// The miner's sector size (2KiB, 8MiB or 512MiB on the devnet).
    #[arg(long, default_value = "2KiB")]
    sector_size: SectorSize,
    /// Sectors the miner starts with (sealed before the node starts).
    #[arg(long, default_value_t = 2, value_name = "N")]
    sectors: u64,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// Runs a devnet command.
pub fn run(command: DevnetCommand) -> anyhow::Result<()> {
    match command {
        DevnetCommand::Up(args) => up::up(&args),
        DevnetCommand::Status { dir, json } => status::status(&dir, json),
        DevnetCommand::Down { dir, clean, json } => down::down(&dir, clean, json),
    }
}

/// A runtime for the API calls.
fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

/// A token with `permission`, minted from the secret in `repo` (as `flowcoin auth`).
fn mint(repo: &Path, permission: Permission) -> anyhow::Result<String> {
    let path = secret_path(repo);
    let secret = JwtSecret::load(&path)
        .with_context(|| format!("loading the API secret {}", path.display()))?;
    Ok(auth::create_token(&secret, permission)?)
}

/// `Flowcoin.ChainHead` of the node at `url`, with a read token from `repo`.
async fn chain_head(url: &str, repo: &Path) -> anyhow::Result<HeadInfo> {
    let token = mint(repo, Permission::Read)?;
    let client =
        ApiClient::connect(url, Some(&token)).with_context(|| format!("connecting to {url}"))?;
    tokio::time::timeout(CALL_TIMEOUT, client.chain_head())
        .await
        .map_err(|_| anyhow::anyhow!("{url} did not answer within {} s", CALL_TIMEOUT.as_secs()))?
        .with_context(|| format!("Flowcoin.ChainHead at {url}"))
}

/// The devnet in the directory of `dir_arg`, which must exist.
fn existing(dir_arg: &DirArg) -> anyhow::Result<(PathBuf, DevnetRecord)> {
    let given = dir_arg.path();
    let missing = || {
        anyhow::anyhow!(
            "no devnet in {} (no {}): start one with `flowcoin devnet up{}`",
            given.display(),
            record::RECORD_FILE,
            dir_arg.flag(&given)
        )
    };
    let Ok(dir) = given.canonicalize() else {
        return Err(missing());
    };
    let record = DevnetRecord::load(&dir)?.ok_or_else(missing)?;
    Ok((dir, record))
}

/// `path` as one shell word (quoted if needed), for commands shown to the user.
fn shell_word(path: &Path) -> String {
    let text = path.display().to_string();
    let plain = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+:@%=,".contains(c));
    if plain {
        text
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_quoted_for_the_shell_when_needed() {
        assert_eq!(shell_word(Path::new("/tmp/dn")), "/tmp/dn");
        assert_eq!(shell_word(Path::new("/tmp/my dn")), "'/tmp/my dn'");
        assert_eq!(shell_word(Path::new("/tmp/it's")), r"'/tmp/it'\''s'");
    }
}
