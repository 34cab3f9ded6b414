//! How commands reach the running daemon's JSON-RPC API (docs/API.md), and the formatting
//! they share.
//!
//! The API is found as Lotus's commands find it:
//! - `FLOWCOIN_API_INFO=<token>:<url>` (what `flowcoin auth api-info` prints), if set;
//! - otherwise the URL the daemon wrote to `<repo>/api`, with a token minted locally from the
//!   repository's secret (`<repo>/keystore/jwt-secret`) granting just what the command needs.
//!   A command run on the daemon's own data directory needs no token from the user.

use std::future::Future;

use anyhow::Context as _;
use flowcoin_node::auth::{self, JwtSecret, Permission, secret_path};
use flowcoin_node::client::ApiClient;
use flowcoin_node::node;
use flowcoin_node::rpc::FlowcoinApiClient as _;
use flowcoin_node::rpc::errors::NOT_FOUND_CODE;
use flowcoin_types::{Address, Network, NetworkAddress, TokenAmount};
use jsonrpsee::core::ClientError;

use crate::repo::Repo;

/// The environment variable that names a daemon and a token: `<token>:<url>`.
pub const API_INFO_ENV: &str = "FLOWCOIN_API_INFO";

/// A connection to the daemon's API, with a runtime to call it from synchronous commands.
pub struct Api {
    client: ApiClient,
    runtime: tokio::runtime::Runtime,
    url: String,
    /// The network the daemon runs (for addresses' text form).
    pub network: Network,
    /// Seconds per epoch.
    pub block_delay: u64,
}

impl std::fmt::Debug for Api {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Api").field("url", &self.url).finish()
    }
}

impl Api {
    /// Connects to the daemon of `repo` with a token granting `permission`, and asks it for its
    /// network.
    pub fn connect(repo: &Repo, permission: Permission) -> anyhow::Result<Self> {
        Self::connect_with(repo, permission, None)
    }

    /// [`connect`](Self::connect) for calls that may run long (importing or fetching a large
    /// DAG): each may take up to `timeout`.
    pub fn connect_long(
        repo: &Repo,
        permission: Permission,
        timeout: std::time::Duration,
    ) -> anyhow::Result<Self> {
        Self::connect_with(repo, permission, Some(timeout))
    }

    fn connect_with(
        repo: &Repo,
        permission: Permission,
        timeout: Option<std::time::Duration>,
    ) -> anyhow::Result<Self> {
        let (url, token) = match std::env::var(API_INFO_ENV) {
            Ok(info) if !info.trim().is_empty() => {
                let (token, url) = info.trim().split_once(':').with_context(|| {
                    format!("{API_INFO_ENV} is not <token>:<url> (see `flowcoin auth api-info`)")
                })?;
                (url.to_owned(), token.to_owned())
            }
            _ => {
                let url = node::read_api_url(repo.root())?.with_context(|| {
                    format!(
                        "no running daemon: {} does not exist (start one with `flowcoin daemon`, \
                         or set {API_INFO_ENV})",
                        node::api_file(repo.root()).display()
                    )
                })?;
                (url, mint(repo, permission)?)
            }
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("starting the async runtime")?;
        let client = match timeout {
            Some(t) => ApiClient::connect_with_timeout(&url, Some(&token), t),
            None => ApiClient::connect(&url, Some(&token)),
        }
        .with_context(|| format!("connecting to the API at {url}"))?;
        let version = runtime
            .block_on(client.version())
            .map_err(|e| call_error(&url, e))?;
        let network = match version.network.as_str() {
            "mainnet" => Network::Mainnet,
            "devnet" => Network::Devnet,
            other => anyhow::bail!("the daemon at {url} runs an unknown network {other:?}"),
        };
        Ok(Self {
            client,
            runtime,
            url,
            network,
            block_delay: version.block_delay,
        })
    }

    /// Calls the API: `call` gets the client and returns the call's future.
    pub fn call<'a, T, F, Fut>(&'a self, call: F) -> anyhow::Result<T>
    where
        F: FnOnce(&'a ApiClient) -> Fut,
        Fut: Future<Output = Result<T, ClientError>> + 'a,
    {
        self.try_call(call).map_err(|e| call_error(&self.url, e))
    }

    /// Like [`call`](Self::call), but returns the client's error for the caller to inspect.
    pub fn try_call<'a, T, F, Fut>(&'a self, call: F) -> Result<T, ClientError>
    where
        F: FnOnce(&'a ApiClient) -> Fut,
        Fut: Future<Output = Result<T, ClientError>> + 'a,
    {
        self.runtime.block_on(call(&self.client))
    }

    /// Reads an address given on the command line, checking it is for the daemon's network.
    pub fn parse_address(&self, text: &str) -> anyhow::Result<Address> {
        Ok(Address::from_str_checked(text.trim(), self.network)?)
    }

    /// The text form of `address` on the daemon's network.
    pub fn text(&self, address: Address) -> String {
        address.display(self.network).to_string()
    }
}

/// Whether `error` is the API's "not found" (an unknown actor, block or message).
pub fn is_not_found(error: &ClientError) -> bool {
    matches!(error, ClientError::Call(e) if e.code() == NOT_FOUND_CODE)
}

/// An API error for people.
fn call_error(url: &str, error: ClientError) -> anyhow::Error {
    match error {
        ClientError::Call(e) => anyhow::anyhow!("{}", e.message()),
        ClientError::Transport(e) => anyhow::anyhow!(
            "cannot reach the daemon's API at {url}: {e} (is `flowcoin daemon` running?)"
        ),
        e => anyhow::anyhow!("calling the API at {url}: {e}"),
    }
}

/// A token granting `permission`, signed with the repository's secret.
fn mint(repo: &Repo, permission: Permission) -> anyhow::Result<String> {
    let path = secret_path(repo.root());
    let secret = JwtSecret::load(&path)
        .with_context(|| format!("loading the API secret {}", path.display()))?;
    Ok(auth::create_token(&secret, permission)?)
}

/// Reads an attoFLW decimal string from the API.
pub fn atto(text: &str) -> anyhow::Result<TokenAmount> {
    text.parse::<u128>()
        .map(TokenAmount::from_atto)
        .with_context(|| format!("the API returned {text:?} where an amount was expected"))
}

/// An attoFLW decimal string from the API, for people: `1.5 FLW`.
pub fn flw(text: &str) -> String {
    atto(text).map_or_else(|_| format!("{text} attoFLW"), |a| a.to_string())
}

/// A gas price (attoFLW per unit of gas, a decimal string) from the API, for people:
/// `100000 attoFLW/gas`.
pub fn per_gas(text: &str) -> String {
    format!("{text} attoFLW/gas")
}

/// A power (bytes, a decimal string) from the API, for people: `4096 B (4.0 KiB)`.
pub fn power(text: &str) -> String {
    match text.parse::<u64>() {
        Ok(bytes) if bytes >= 1024 => {
            format!("{bytes} B ({})", crate::util::human_bytes(bytes))
        }
        _ => format!("{text} B"),
    }
}

/// Prints `value` as pretty JSON.
pub fn print_json<T: serde::Serialize>(value: &T) -> anyhow::Result<()> {
    crate::util::print_json(&serde_json::to_value(value).context("encoding JSON")?)
}

/// A miner given with `--miner`, or the one the daemon mines as.
pub fn miner_or_node(api: &Api, miner: Option<&str>) -> anyhow::Result<String> {
    if let Some(miner) = miner {
        let parsed: NetworkAddress = miner.trim().parse()?;
        anyhow::ensure!(
            parsed.network == api.network,
            "{miner} is a {} address; the daemon runs {}",
            parsed.network,
            api.network
        );
        return Ok(api.text(parsed.address));
    }
    api.call(|c| c.miner_address())?
        .context("the daemon does not mine: name the miner with --miner (e.g. --miner t01000)")
}
