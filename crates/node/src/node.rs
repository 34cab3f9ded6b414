//! The node: its state, the services it runs, and the files it keeps in the data directory.
//!
//! Today the only service is the API server; the chain, network and miner join as their
//! crates are wired in. [`NodeState`] is what the RPC methods read (through an `Arc`);
//! [`Node`] owns the running services and stops them.
//!
//! While it runs, the node writes the API's URL to `<repo>/api` (one line,
//! `http://127.0.0.1:1234/rpc/v0`), so that commands find the daemon as Lotus's do; it
//! removes the file when it stops.

use std::fs;
use std::io::{self, Write as _};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use flowcoin_types::NetworkParams;

use std::sync::Mutex;

use crate::auth::{JwtSecret, SecretError, secret_path};
use crate::chain::{ChainService, ChainServiceError};
use crate::miner::{MinerConfig, MinerService};
use crate::network::Network;
use crate::server::{self, ApiConfig, ServeError, ServerHandle};

/// Name of the file holding the running API's URL, in the data directory.
pub const API_FILE: &str = "api";
/// Largest `api` file read.
const MAX_API_FILE_LEN: u64 = 1024;

/// The `api` file of the repository at `repo`.
pub fn api_file(repo: &Path) -> PathBuf {
    repo.join(API_FILE)
}

/// The URL a running daemon wrote to `<repo>/api`, or `None` if the file does not exist.
///
/// # Errors
/// [`NodeError::ApiFile`] if it cannot be read or is not one line of text.
pub fn read_api_url(repo: &Path) -> Result<Option<String>, NodeError> {
    use std::io::Read as _;
    let path = api_file(repo);
    let api_err = |source| NodeError::ApiFile {
        path: path.clone(),
        source,
    };
    let file = match fs::File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(api_err(e)),
    };
    let mut text = String::new();
    file.take(MAX_API_FILE_LEN)
        .read_to_string(&mut text)
        .map_err(api_err)?;
    let url = text.trim();
    if url.is_empty() || url.contains(char::is_whitespace) {
        return Err(api_err(io::Error::new(
            io::ErrorKind::InvalidData,
            "expected one URL",
        )));
    }
    Ok(Some(url.to_owned()))
}

/// What the node is started with.
#[derive(Debug, Clone)]
pub struct NodeConfig {
    /// The data directory (`$FLOWCOIN_PATH`).
    pub repo: PathBuf,
    /// The network's constants (replaced by the genesis's network when a chain runs).
    pub params: NetworkParams,
    /// The API server.
    pub api: ApiConfig,
    /// The chain to run; `None` serves the API alone.
    pub chain: Option<ChainConfig>,
    /// The peer-to-peer network (with a chain only); `None` runs the node alone.
    pub net: Option<NetSettings>,
}

/// The `[net]` section of `<repo>/config.toml`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NetSettings {
    /// Addresses to listen on (multiaddrs, e.g. `/ip4/0.0.0.0/tcp/4001`).
    pub listen: Vec<String>,
    /// Peers to dial at start and whenever they are not connected (with or without
    /// `/p2p/<id>`).
    pub bootstrap: Vec<String>,
    /// Connection and payload bounds (`[net.limits]`).
    pub limits: flowcoin_net::Limits,
}

impl Default for NetSettings {
    fn default() -> Self {
        Self {
            listen: vec![DEFAULT_LISTEN.into()],
            bootstrap: Vec::new(),
            limits: flowcoin_net::Limits::default(),
        }
    }
}

/// Where a node listens for peers unless `config.toml` says otherwise: every interface, a
/// port the system picks (as Lotus); `flowcoin net id` tells which.
pub const DEFAULT_LISTEN: &str = "/ip4/0.0.0.0/tcp/0";

/// The file holding the node's peer identity (an ed25519 key, mode 0600).
pub const PEER_KEY_FILE: &str = "libp2p.key";

/// The chain a node runs.
#[derive(Debug, Clone, Default)]
pub struct ChainConfig {
    /// The genesis CAR to start from (needed on the first start only).
    pub genesis: Option<PathBuf>,
    /// Mine as this miner.
    pub miner: Option<MinerConfig>,
}

/// Why the node could not start or stop.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NodeError {
    /// The token-signing secret could not be loaded or created.
    #[error(transparent)]
    Secret(#[from] SecretError),
    /// The API server could not start, or failed.
    #[error(transparent)]
    Serve(#[from] ServeError),
    /// The block store could not be opened.
    #[error("block store: {0}")]
    Store(#[from] flowcoin_dag::store::StoreError),
    /// The chain could not be opened.
    #[error(transparent)]
    Chain(#[from] ChainServiceError),
    /// The network could not start.
    #[error("network: {0}")]
    Net(#[from] flowcoin_net::NetError),
    /// A `[net]` setting is wrong.
    #[error("config: {0}")]
    Config(String),
    /// The `api` file could not be written, read or removed.
    #[error("API file {path}: {source}")]
    ApiFile {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
}

/// The state the node's services share; RPC methods read it through an `Arc`.
#[derive(Debug)]
pub struct NodeState {
    params: NetworkParams,
    jwt_secret: JwtSecret,
    chain: Option<Arc<Mutex<ChainService>>>,
    miner: Option<Arc<Mutex<MinerService>>>,
    net: Option<Network>,
    disk: Option<Arc<flowcoin_dag::store::DiskStore>>,
}

impl NodeState {
    /// State for a node on the network of `params`, signing API tokens with `jwt_secret`.
    pub fn new(params: NetworkParams, jwt_secret: JwtSecret) -> Self {
        Self {
            params,
            jwt_secret,
            chain: None,
            miner: None,
            net: None,
            disk: None,
        }
    }

    /// The network, if the node runs one.
    pub fn net(&self) -> Option<&Network> {
        self.net.as_ref()
    }

    /// The repository's block store, if the node runs a chain.
    pub fn disk(&self) -> Option<&Arc<flowcoin_dag::store::DiskStore>> {
        self.disk.as_ref()
    }

    /// The same state with a chain (and optionally a miner) attached.
    pub fn with_chain(
        mut self,
        chain: Arc<Mutex<ChainService>>,
        miner: Option<Arc<Mutex<MinerService>>>,
    ) -> Self {
        self.chain = Some(chain);
        self.miner = miner;
        self
    }

    /// The chain service, if the node runs a chain.
    pub fn chain(&self) -> Option<&Arc<Mutex<ChainService>>> {
        self.chain.as_ref()
    }

    /// The miner service, if the node mines.
    pub fn miner(&self) -> Option<&Arc<Mutex<MinerService>>> {
        self.miner.as_ref()
    }

    /// The network's constants.
    pub fn params(&self) -> &NetworkParams {
        &self.params
    }

    /// The key API tokens are signed with.
    pub fn jwt_secret(&self) -> &JwtSecret {
        &self.jwt_secret
    }
}

/// A running node: owns its services.
#[derive(Debug)]
pub struct Node {
    state: Arc<NodeState>,
    api: ServerHandle,
    api_file: PathBuf,
    stop_miner: Option<tokio::sync::watch::Sender<bool>>,
    miner_task: Option<tokio::task::JoinHandle<()>>,
    state_repo: PathBuf,
}

impl Node {
    /// Loads (or creates) the token secret, starts the API server and writes `<repo>/api`.
    ///
    /// # Errors
    /// [`NodeError::Secret`], [`NodeError::Serve`] (e.g. the address is taken) or
    /// [`NodeError::ApiFile`].
    pub async fn start(config: NodeConfig) -> Result<Self, NodeError> {
        let jwt_secret = JwtSecret::load_or_create(&secret_path(&config.repo))?;
        let mut state = NodeState::new(config.params, jwt_secret);
        let mut mining = None;
        if let Some(chain_config) = &config.chain {
            let disk = Arc::new(flowcoin_dag::store::DiskStore::open(
                config.repo.join("db"),
            )?);
            let service =
                ChainService::open(&config.repo, disk.clone(), chain_config.genesis.as_deref())?;
            state.params = service.params().clone();
            let network_name = service.params().network.to_string();
            let chain = Arc::new(Mutex::new(service));
            if let Some(settings) = &config.net {
                let net_config = net_config(&config.repo, &network_name, settings)?;
                state.net = Some(crate::network::start(
                    &net_config,
                    Arc::clone(&chain),
                    disk.clone(),
                    &config.repo,
                )?);
            }
            state.disk = Some(disk);
            let miner = chain_config
                .miner
                .clone()
                .map(|miner| Arc::new(Mutex::new(MinerService::new(miner, &config.repo))));
            if let Some(miner) = &miner {
                mining = Some((Arc::clone(&chain), Arc::clone(miner)));
            }
            state = state.with_chain(chain, miner);
        }
        let state = Arc::new(state);
        let api = server::serve(&config.api, Arc::clone(&state)).await?;
        let api_file = api_file(&config.repo);
        // On failure the handle is dropped, which stops the server.
        write_atomically(&api_file, format!("{}\n", api.http_url()).as_bytes()).map_err(
            |source| NodeError::ApiFile {
                path: api_file.clone(),
                source,
            },
        )?;
        let (stop_miner, miner_task) = match mining {
            Some((chain, miner)) => {
                let (stop, stopped) = tokio::sync::watch::channel(false);
                let task =
                    tokio::spawn(crate::miner::run(chain, miner, state.net.clone(), stopped));
                (Some(stop), Some(task))
            }
            None => (None, None),
        };
        Ok(Self {
            state,
            api,
            api_file,
            stop_miner,
            miner_task,
            state_repo: config.repo.clone(),
        })
    }

    /// The state the services share.
    pub fn state(&self) -> &Arc<NodeState> {
        &self.state
    }

    /// The API server's address.
    pub fn api_addr(&self) -> SocketAddr {
        self.api.local_addr()
    }

    /// The API server's HTTP URL (what `<repo>/api` holds).
    pub fn api_url(&self) -> String {
        self.api.http_url()
    }

    /// Removes `<repo>/api` and stops the services.
    ///
    /// # Errors
    /// [`NodeError::ApiFile`] if the file cannot be removed (the services are stopped
    /// anyway), or the server's error.
    pub async fn stop(self) -> Result<(), NodeError> {
        if let Some(stop) = &self.stop_miner {
            let _ = stop.send(true);
        }
        if let Some(task) = self.miner_task {
            let _ = task.await;
        }
        if let Some(net) = self.state.net() {
            net.handle.shutdown().await;
            let _ = fs::remove_file(self.state_repo.join(crate::network::NET_FILE));
        }
        let removed = match fs::remove_file(&self.api_file) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(source) => Err(NodeError::ApiFile {
                path: self.api_file.clone(),
                source,
            }),
        };
        self.api.stop().await?;
        removed
    }
}

/// The network's configuration from the `[net]` settings and the repository's peer key.
fn net_config(
    repo: &Path,
    network: &str,
    settings: &NetSettings,
) -> Result<flowcoin_net::NetConfig, NodeError> {
    let parse = |what: &str, text: &String| {
        text.parse::<flowcoin_net::Multiaddr>().map_err(|e| {
            NodeError::Config(format!("[net] {what}: {text:?} is not a multiaddr: {e}"))
        })
    };
    let keypair = flowcoin_net::load_or_create_keypair(&repo.join(PEER_KEY_FILE))?;
    let mut config = flowcoin_net::NetConfig::new(network, keypair);
    config.listen = settings
        .listen
        .iter()
        .map(|a| parse("listen", a))
        .collect::<Result<_, _>>()?;
    config.bootstrap = settings
        .bootstrap
        .iter()
        .map(|a| parse("bootstrap", a))
        .collect::<Result<_, _>>()?;
    config.limits = settings.limits.clone();
    Ok(config)
}

/// Writes `contents` to `path` via a temporary file and a rename, so readers never see half
/// a file.
pub(crate) fn write_atomically(path: &Path, contents: &[u8]) -> io::Result<()> {
    let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
    let written = fs::File::create(&tmp).and_then(|mut f| {
        f.write_all(contents)?;
        f.sync_all()
    });
    let renamed = written.and_then(|()| fs::rename(&tmp, path));
    if renamed.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    renamed
}
