//! `flowcoin-testkit`: the devnet of `flowcoin devnet up`, in one process, for tests.
//!
//! [`TestNetwork::start`] builds a fresh devnet genesis whose miners hold pre-sealed 2 KiB
//! sectors (timestamped now, so epochs run on the wall clock, 2 s each), then starts real
//! [`Node`]s — chain, miner, API and libp2p swarm on 127.0.0.1 — each in a repository of its
//! own under a temporary directory; every node dials the first one. Tests then watch the
//! nodes' chains, push messages, stop and restart nodes, and split the network with the
//! operators' peer blocks.
//!
//! Nothing is mocked: the nodes are the daemon's, minus the process.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::Context as _;
use flowcoin_chain::genesis::{self, GenesisTemplate, devnet_super_node_key, genesis_miner_id};
use flowcoin_crypto::message::sign_message;
use flowcoin_crypto::{SecretKey, bls, ed25519};
use flowcoin_dag::store::MemoryBlockstore;
use flowcoin_miner::genesis::{PreSeal, pre_seal};
use flowcoin_node::chain::ChainService;
use flowcoin_node::miner::{MinerConfig, sector_store};
use flowcoin_node::{ApiConfig, ChainConfig, NetSettings, Node, NodeConfig};
use flowcoin_types::tipset::Tipset;
use flowcoin_types::{Address, Message, Network, NetworkParams, SectorSize, TokenAmount};

/// The premine's key (funded with 31,000,000 FLW at genesis).
pub fn premine_key() -> SecretKey {
    SecretKey::Ed25519(ed25519::SecretKey::from_seed(&[11; 32]))
}

/// The worker key of genesis miner `index`.
fn worker_key(index: usize) -> anyhow::Result<bls::SecretKey> {
    let seed = u8::try_from(index)
        .context("too many miners")?
        .wrapping_add(40);
    Ok(bls::SecretKey::from_seed(&[seed; 32])?)
}

/// The key that owns genesis miner `index` and pays its gas: the premine for the first, a
/// devnet super-node key (930,000 FLW) for the others, so that no two nodes send from one
/// account.
pub fn owner_key(index: usize) -> anyhow::Result<SecretKey> {
    match index.checked_sub(1) {
        None => Ok(premine_key()),
        Some(i) => Ok(devnet_super_node_key(i as u64)?),
    }
}

/// A node of the test network: running, or stopped with what restarts it.
pub struct TestNode {
    /// Its repository.
    pub repo: PathBuf,
    config: NodeConfig,
    running: Option<Node>,
}

/// Several nodes on loopback sharing a fresh genesis.
pub struct TestNetwork {
    _dir: tempfile::TempDir,
    nodes: Vec<TestNode>,
}

impl TestNetwork {
    /// Starts `nodes` nodes, the first `miners` of them mining for genesis miners t01000…
    ///
    /// # Errors
    /// Sealing, the genesis or a node failed.
    pub async fn start(nodes: usize, miners: usize) -> anyhow::Result<Self> {
        anyhow::ensure!(nodes >= 1 && miners <= nodes, "need 1 <= miners <= nodes");
        let dir = tempfile::tempdir()?;
        let repos: Vec<PathBuf> = (0..nodes)
            .map(|i| dir.path().join(format!("node{i}")))
            .collect();
        let car = dir.path().join("genesis.car");
        let miner_configs = tokio::task::spawn_blocking({
            let repos = repos.clone();
            let car = car.clone();
            move || {
                let timestamp = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
                let spec = GenesisSpec {
                    miners,
                    sectors: 1,
                    timestamp,
                    expiration: 100_000,
                };
                build_genesis(&repos, &spec, &car)
            }
        })
        .await??;
        let mut configs = Vec::with_capacity(nodes);
        for (i, repo) in repos.iter().enumerate() {
            configs.push(NodeConfig {
                repo: repo.clone(),
                params: NetworkParams::devnet(),
                api: ApiConfig {
                    listen: "127.0.0.1:0".parse()?,
                    ..ApiConfig::default()
                },
                chain: Some(ChainConfig {
                    genesis: Some(car.clone()),
                    miner: miner_configs.get(i).cloned(),
                }),
                net: Some(NetSettings {
                    listen: vec!["/ip4/127.0.0.1/tcp/0".into()],
                    ..NetSettings::default()
                }),
            });
        }
        let mut network = Self {
            _dir: dir,
            nodes: Vec::with_capacity(nodes),
        };
        for config in configs {
            let mut config = config;
            if let Some(first) = network.nodes.first() {
                let addr = first
                    .running
                    .as_ref()
                    .context("node0 stopped")?
                    .state()
                    .net()
                    .context("node0 runs no network")?
                    .handle
                    .addrs()
                    .await?
                    .addrs;
                if let Some(net) = config.net.as_mut() {
                    net.bootstrap = addr;
                }
            }
            let node = Node::start(config.clone()).await?;
            wait_listening(&node).await?;
            network.nodes.push(TestNode {
                repo: config.repo.clone(),
                config,
                running: Some(node),
            });
        }
        Ok(network)
    }

    /// How many nodes.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Node `i`, if it runs.
    pub fn node(&self, i: usize) -> Option<&Node> {
        self.nodes.get(i).and_then(|n| n.running.as_ref())
    }

    fn running(&self, i: usize) -> anyhow::Result<&Node> {
        self.node(i)
            .with_context(|| format!("node{i} is not running"))
    }

    /// Node `i`'s chain.
    ///
    /// # Errors
    /// The node is stopped.
    pub fn chain(&self, i: usize) -> anyhow::Result<Arc<Mutex<ChainService>>> {
        self.running(i)?
            .state()
            .chain()
            .cloned()
            .context("the node runs no chain")
    }

    /// Node `i`'s network handle.
    ///
    /// # Errors
    /// The node is stopped.
    pub fn net(&self, i: usize) -> anyhow::Result<flowcoin_net::NetHandle> {
        Ok(self
            .running(i)?
            .state()
            .net()
            .context("the node runs no network")?
            .handle
            .clone())
    }

    /// Runs `f` on node `i`'s chain on a blocking thread.
    ///
    /// # Errors
    /// The node is stopped, or `f` failed.
    pub async fn with_chain<T: Send + 'static>(
        &self,
        i: usize,
        f: impl FnOnce(&mut ChainService) -> anyhow::Result<T> + Send + 'static,
    ) -> anyhow::Result<T> {
        let chain = self.chain(i)?;
        tokio::task::spawn_blocking(move || {
            let mut c = chain
                .lock()
                .map_err(|_| anyhow::anyhow!("chain lock poisoned"))?;
            f(&mut c)
        })
        .await?
    }

    /// Node `i`'s head.
    ///
    /// # Errors
    /// As [`with_chain`](Self::with_chain).
    pub async fn head(&self, i: usize) -> anyhow::Result<Tipset> {
        self.with_chain(i, |c| Ok(c.head()?)).await
    }

    /// The heads of the running nodes.
    ///
    /// # Errors
    /// As [`with_chain`](Self::with_chain).
    pub async fn heads(&self) -> anyhow::Result<Vec<Tipset>> {
        let mut heads = Vec::new();
        for i in 0..self.nodes.len() {
            if self.node(i).is_some() {
                heads.push(self.head(i).await?);
            }
        }
        Ok(heads)
    }

    /// Waits until every running node has the same head, at least at `min_height`; returns
    /// it. `guard` bounds the wait (a test's protection against hanging, not a measurement).
    ///
    /// # Errors
    /// The guard ran out (the error shows every head), or a node failed.
    pub async fn wait_agree(&self, min_height: u64, guard: Duration) -> anyhow::Result<Tipset> {
        let start = Instant::now();
        loop {
            let heads = self.heads().await?;
            if let Some(first) = heads.first()
                && first.height() >= min_height
                && heads.iter().all(|h| h == first)
            {
                return Ok(first.clone());
            }
            if start.elapsed() > guard {
                let shown: Vec<String> = heads
                    .iter()
                    .map(|h| format!("{}@{:?}", h.height(), h.key()))
                    .collect();
                anyhow::bail!("no agreement at height >= {min_height} after {guard:?}: {shown:?}");
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// Waits until `check` holds (polled), or fails after `guard`.
    ///
    /// # Errors
    /// The guard ran out, or `check` failed.
    pub async fn wait_until<F, Fut>(
        &self,
        what: &str,
        guard: Duration,
        mut check: F,
    ) -> anyhow::Result<()>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = anyhow::Result<bool>>,
    {
        let start = Instant::now();
        while !check().await? {
            anyhow::ensure!(start.elapsed() <= guard, "{what}: not after {guard:?}");
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        Ok(())
    }

    /// Stops node `i` (its files stay).
    ///
    /// # Errors
    /// The node failed to stop.
    pub async fn stop(&mut self, i: usize) -> anyhow::Result<()> {
        let node = self
            .nodes
            .get_mut(i)
            .and_then(|n| n.running.take())
            .with_context(|| format!("node{i} is not running"))?;
        node.stop().await?;
        Ok(())
    }

    /// Starts stopped node `i` again from its repository.
    ///
    /// # Errors
    /// The node failed to start.
    pub async fn restart(&mut self, i: usize) -> anyhow::Result<()> {
        let bootstrap = match self.node(0) {
            Some(first) if i != 0 => {
                first
                    .state()
                    .net()
                    .context("no network")?
                    .handle
                    .addrs()
                    .await?
                    .addrs
            }
            _ => Vec::new(),
        };
        let entry = self
            .nodes
            .get_mut(i)
            .with_context(|| format!("no node{i}"))?;
        anyhow::ensure!(entry.running.is_none(), "node{i} is running");
        let mut config = entry.config.clone();
        if let Some(net) = config.net.as_mut()
            && !bootstrap.is_empty()
        {
            net.bootstrap = bootstrap;
        }
        let node = Node::start(config).await?;
        wait_listening(&node).await?;
        entry.running = Some(node);
        Ok(())
    }

    /// Splits the network: every node of `a` blocks every node of `b` and the other way.
    ///
    /// # Errors
    /// A node is stopped.
    pub async fn partition(&self, a: &[usize], b: &[usize]) -> anyhow::Result<()> {
        self.set_blocks(a, b, true).await
    }

    /// Lifts [`partition`](Self::partition).
    ///
    /// # Errors
    /// A node is stopped.
    pub async fn heal(&self, a: &[usize], b: &[usize]) -> anyhow::Result<()> {
        self.set_blocks(a, b, false).await
    }

    async fn set_blocks(&self, a: &[usize], b: &[usize], block: bool) -> anyhow::Result<()> {
        for &x in a {
            for &y in b {
                for (from, to) in [(x, y), (y, x)] {
                    let peer = self.net(to)?.local_peer_id();
                    let handle = self.net(from)?;
                    if block {
                        handle.block(peer).await?;
                    } else {
                        handle.unblock(peer).await?;
                    }
                }
            }
        }
        Ok(())
    }

    /// Signs a transfer of `value` from `from` to `to` with the next nonce node `i`'s pool
    /// gives and pushes it there (the node gossips it); returns its CID.
    ///
    /// # Errors
    /// The pool refused it.
    pub async fn transfer(
        &self,
        i: usize,
        from: SecretKey,
        to: Address,
        value: TokenAmount,
    ) -> anyhow::Result<cid::Cid> {
        self.with_chain(i, move |c| {
            let sender = from.public_key().address();
            let nonce = c.mpool().next_nonce(&sender).context("unknown sender")?;
            let fee_cap = c
                .head_executed()?
                .next_base_fee
                .checked_mul(4)
                .context("fee")?;
            let message = Message {
                from: sender,
                to,
                nonce,
                value,
                gas_limit: 10_000_000,
                gas_fee_cap: fee_cap,
                gas_premium: TokenAmount::from_atto(1_000),
                ..Message::default()
            };
            let signed = sign_message(&from, &message)?;
            let cid = signed.cid()?;
            c.push_message(signed)?;
            Ok(cid)
        })
        .await
    }

    /// Stops every node.
    ///
    /// # Errors
    /// A node failed to stop.
    pub async fn shutdown(mut self) -> anyhow::Result<()> {
        for i in 0..self.nodes.len() {
            if self.node(i).is_some() {
                self.stop(i).await?;
            }
        }
        Ok(())
    }
}

async fn wait_listening(node: &Node) -> anyhow::Result<()> {
    let handle = &node.state().net().context("no network")?.handle;
    let start = Instant::now();
    while handle.addrs().await?.addrs.is_empty() {
        anyhow::ensure!(
            start.elapsed() < Duration::from_secs(30),
            "the node never listened"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(())
}

/// A devnet genesis to build: who mines, with how many sectors, and when it starts.
#[derive(Debug, Clone, Copy)]
pub struct GenesisSpec {
    /// Genesis miners t01000… (one per repository, in order).
    pub miners: usize,
    /// 2 KiB sectors each miner starts with.
    pub sectors: u64,
    /// The genesis timestamp (Unix seconds); epochs run on the wall clock from it.
    pub timestamp: u64,
    /// The epoch the sectors expire at.
    pub expiration: u64,
}

/// Seals each miner's 2 KiB sectors into the first `spec.miners` repositories and writes the
/// genesis CAR to `car`; returns each miner's configuration (worker key, and the owner key of
/// [`owner_key`] paying its gas).
///
/// # Errors
/// Sealing or the genesis failed.
pub fn build_genesis(
    repos: &[PathBuf],
    spec: &GenesisSpec,
    car: &Path,
) -> anyhow::Result<Vec<MinerConfig>> {
    let premine = premine_key().public_key().address();
    let mut templates = Vec::with_capacity(spec.miners);
    let mut configs = Vec::with_capacity(spec.miners);
    for (index, repo) in repos.iter().take(spec.miners).enumerate() {
        let id = genesis_miner_id(index).context("too many miners")?;
        let worker = worker_key(index)?;
        let owner = owner_key(index)?;
        templates.push(pre_seal(
            &sector_store(repo),
            &PreSeal {
                miner: id,
                owner: owner.public_key().address(),
                worker: Address::from_bls_public_key(worker.public_key().to_bytes()),
                sector_size: SectorSize::Size2KiB,
                sectors: spec.sectors,
                expiration: spec.expiration,
            },
            |_| {},
        )?);
        configs.push(MinerConfig {
            id,
            worker: Arc::new(worker),
            sender: Arc::new(owner),
        });
    }
    let template = GenesisTemplate {
        network: Network::Devnet,
        timestamp: spec.timestamp,
        premine,
        team: Address::from_ed25519_public_key(&[2; 32]),
        super_nodes: genesis::devnet_super_node_addresses()?,
        miners: templates,
    };
    let mut store = MemoryBlockstore::new();
    let built = genesis::build_genesis(&template, &NetworkParams::devnet(), &mut store)?;
    genesis::write_car(&built, &store, car)?;
    Ok(configs)
}
