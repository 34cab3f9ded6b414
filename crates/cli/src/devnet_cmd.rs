//! `flowcoin devnet`: a local development network in one directory (docs/DEVNET.md).
//!
//! `up --nodes N --miners M` builds a fresh devnet genesis with M miners whose sectors it
//! seals on the spot, starts N `flowcoin daemon`s on it in the background (miner `t0100i` is
//! mined by node `i`, nodes M … N − 1 mine nothing), each told by its `config.toml` to listen
//! on a loopback port of its own and to dial all the others, and records what it started in
//! `DIR/devnet.json`; `status` shows each node; `down` stops them. The directory (default
//! `~/.flowcoin-devnet`, or `$FLOWCOIN_DEVNET_DIR`; `$FLOWCOIN_PATH` is not used) holds:
//!
//! ```text
//! devnet.json            what runs where (record.rs)
//! genesis.car            the genesis the nodes started from
//! genesis-template.json  the template it was built from
//! node0/                 the first node's repository: keystore (the funded keys, and its
//!                        miner's), db, sectors, config.toml, api (its URL while it runs),
//!                        daemon.log
//! node1/ …               the other nodes' repositories (keystore: their miner's keys)
//! ```
//!
//! The nodes find each other only once the daemon has its peer-to-peer network: until then
//! each mining node grows a chain of its own from the shared genesis.

mod down;
mod genesis;
mod net;
mod process;
mod record;
mod status;
mod summary;
mod up;

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use clap::{Args, Subcommand};
use flowcoin_node::auth::{self, JwtSecret, Permission, secret_path};
use flowcoin_node::client::ApiClient;
use flowcoin_node::rpc::{FlowcoinApiClient as _, HeadInfo};
use flowcoin_types::economics::EpochDuration;
use flowcoin_types::{NetworkParams, SectorSize};

use self::record::DevnetRecord;

/// The directory's name under `$HOME` when no `--dir` is given.
const DEFAULT_DIR_NAME: &str = ".flowcoin-devnet";
/// The first node's name (and its repository's, in the directory): it holds the funded
/// keys.
const NODE0: &str = "node0";
/// The most nodes a devnet runs (each is a daemon on this machine).
const MAX_NODES: usize = 16;
/// The longest block time `up` accepts: longer epochs only make a devnet slow.
const MAX_BLOCK_TIME_SECS: u64 = 60;
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
    /// Build a fresh devnet (a genesis with pre-sealed miners) and start its nodes in the
    /// background; prints each node's API endpoint and an admin token. On a stopped devnet,
    /// start it again as it was.
    ///
    /// With --json: {"dir", "nodes": [{"name", "repo", "api", "pid", "height", "log",
    /// "token", "miner", "p2p", "config"}], "token" (node0's), "permission", "premine": {"key",
    /// "address", "amount"}, "miners": [{"id", "node", "owner", "owner_key", "worker",
    /// "sector_size", "sectors"}], "genesis": {"cid", "car"}, "block_time_secs"}.
    Up(UpArgs),
    /// Show each node of the devnet: whether it runs, its chain head and its peers.
    Status {
        #[command(flatten)]
        dir: DirArg,
        /// Print JSON: {"dir", "nodes": [{"name", "repo", "api", "pid", "running", "height",
        /// "head", "miners", "miner", "p2p", "peers", "peer_ids", "error"}]}; "peers" and
        /// "peer_ids" are null where the node cannot tell (a daemon without the network).
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

/// Options of `devnet up`. The ones that shape a new devnet are options without defaults
/// here, so that restarting a stopped devnet can tell them apart from what was given.
#[derive(Debug, Args)]
pub struct UpArgs {
    #[command(flatten)]
    dir: DirArg,
    /// Nodes to run, 1 to 16 [default: 1].
    #[arg(long, value_name = "N")]
    nodes: Option<usize>,
    /// Genesis miners, 1 to --nodes: miner t0100i is mined by node i [default: 1].
    #[arg(long, value_name = "M")]
    miners: Option<usize>,
    /// The miners' sector size (2KiB, 8MiB or 512MiB on the devnet) [default: 2KiB].
    #[arg(long)]
    sector_size: Option<SectorSize>,
    /// Sectors each miner starts with (sealed before the nodes start) [default: 2].
    #[arg(long, value_name = "N")]
    sectors: Option<u64>,
    /// The time between blocks (the epoch length), whole seconds: "2s", "2000ms", "1m"
    /// [default: 2s].
    #[arg(long, value_name = "DURATION", value_parser = parse_block_time)]
    block_time: Option<EpochDuration>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

impl UpArgs {
    fn nodes(&self) -> usize {
        self.nodes.unwrap_or(1)
    }

    fn miners(&self) -> usize {
        self.miners.unwrap_or(1)
    }

    fn sector_size(&self) -> SectorSize {
        self.sector_size.unwrap_or(SectorSize::Size2KiB)
    }

    fn sectors(&self) -> u64 {
        self.sectors.unwrap_or(2)
    }

    fn block_time(&self) -> EpochDuration {
        self.block_time
            .unwrap_or(NetworkParams::devnet().epoch_duration)
    }
}

/// Parses a block time: one whole number and a unit (`ms`, `s`, `m`), a whole number of
/// seconds from 1 s to [`MAX_BLOCK_TIME_SECS`] that the epoch schedule accepts.
fn parse_block_time(text: &str) -> Result<EpochDuration, String> {
    let text = text.trim();
    let digits = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(digits);
    if number.is_empty() {
        return Err(format!(
            "{text:?} is not a duration (write it as 2s, 2000ms or 1m)"
        ));
    }
    let number: u64 = number
        .parse()
        .map_err(|_| format!("{text} is far too long"))?;
    let millis_per_unit: u64 = match unit.trim() {
        "ms" => 1,
        "s" | "sec" | "secs" => 1_000,
        "m" | "min" | "mins" => 60_000,
        "" => return Err(format!("{text:?} has no unit (write {text}s for seconds)")),
        other => return Err(format!("unknown unit {other:?} (use ms, s or m)")),
    };
    let millis = number
        .checked_mul(millis_per_unit)
        .ok_or_else(|| format!("{text} is far too long"))?;
    if millis == 0 {
        return Err("a block time of 0 would make every epoch at once (use 1s or more)".into());
    }
    if millis % 1_000 != 0 {
        return Err(format!(
            "{text}: epochs are whole seconds (block timestamps are in seconds); use 1s or more"
        ));
    }
    let secs = millis / 1_000;
    if secs > MAX_BLOCK_TIME_SECS {
        return Err(format!(
            "{text} is more than {MAX_BLOCK_TIME_SECS} s between blocks, which only makes a devnet slow (mainnet's is 30 s)"
        ));
    }
    EpochDuration::from_secs(secs).map_err(|e| e.to_string())
}

/// Runs a devnet command.
pub fn run(command: DevnetCommand) -> anyhow::Result<()> {
    match command {
        DevnetCommand::Up(args) => up::up(&args),
        DevnetCommand::Status { dir, json } => status::status(&dir, json),
        DevnetCommand::Down { dir, clean, json } => down::down(&dir, clean, json),
    }
}

/// The name (and repository, in the directory) of node `index`.
fn node_name(index: usize) -> String {
    format!("node{index}")
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

/// A client of the node at `url` sending a read token minted from the secret in `repo`.
fn read_client(url: &str, repo: &Path) -> anyhow::Result<ApiClient> {
    let token = mint(repo, Permission::Read)?;
    ApiClient::connect(url, Some(&token)).with_context(|| format!("connecting to {url}"))
}

/// `call`, given at most [`CALL_TIMEOUT`].
async fn within_timeout<T>(url: &str, call: impl Future<Output = T>) -> anyhow::Result<T> {
    tokio::time::timeout(CALL_TIMEOUT, call)
        .await
        .map_err(|_| anyhow::anyhow!("{url} did not answer within {} s", CALL_TIMEOUT.as_secs()))
}

/// `Flowcoin.ChainHead` of the node at `url`, with a read token from `repo`.
async fn chain_head(url: &str, repo: &Path) -> anyhow::Result<HeadInfo> {
    let client = read_client(url, repo)?;
    within_timeout(url, client.chain_head())
        .await?
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

    #[test]
    fn block_times_are_whole_seconds_within_bounds() {
        let secs = |text: &str| parse_block_time(text).map(EpochDuration::secs);
        assert_eq!(secs("2s"), Ok(2));
        assert_eq!(secs("2000ms"), Ok(2));
        assert_eq!(secs("1m"), Ok(60));
        assert_eq!(secs(" 5 sec"), Ok(5));
        for (bad, why) in [
            ("0s", "a block time of 0"),
            ("500ms", "whole seconds"),
            ("2", "no unit"),
            ("2h", "unknown unit"),
            ("fast", "not a duration"),
            ("61s", "more than 60 s"),
            ("99999999999999999999s", "far too long"),
            ("7s", "does not divide"),
        ] {
            let err = parse_block_time(bad).unwrap_err();
            assert!(err.contains(why), "{bad}: {err}");
        }
    }
}
