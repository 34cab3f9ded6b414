//! The network on loopback, with real nodes: block propagation, chain sync and bitswap.
//!
//! Each measurement takes seconds to minutes, so this is not a criterion bench
//! (`harness = false`): every figure is timed once with [`Instant`] and printed as a table.
//!
//! - `propagation`: a [`TestNetwork`] of five nodes, node0 mining on the wall clock (2 s
//!   epochs); for each of the next N blocks node0 makes, the time from node0's head becoming
//!   the block to each other node's head including it. A thread per node polls its chain's head
//!   every few milliseconds: the polling interval is the method's resolution.
//! - `sync`: a chain of E epochs built on node A without the wall clock (one miner with two
//!   pre-sealed sectors, `MinerService::work` per epoch, so every Window PoSt deadline is
//!   proven too), then a fresh node B on the same genesis bootstraps to A and syncs it over
//!   chain exchange; timed until B's head is A's.
//! - `bitswap`: a random file of M MiB imported into A's block store (CIDv1, raw leaves, 1 MiB
//!   and Kubo's 256 KiB chunks), fetched by B with `fetch_dag` into its own store, against a
//!   plain TCP copy of the same file on loopback (file to socket to file, fsync at the end).
//!
//! ```text
//! cargo bench -p flowcoin-testkit --bench network [propagation] [sync] [bitswap]
//! ```
//!
//! | variable | default | what |
//! |---|---|---|
//! | `FLOWCOIN_BENCH_BLOCKS` | 20 | blocks measured by `propagation` |
//! | `FLOWCOIN_BENCH_POLL_MS` | 2 | head polling interval of `propagation` |
//! | `FLOWCOIN_BENCH_SYNC_EPOCHS` | 10000 | length of the chain `sync` builds and syncs |
//! | `FLOWCOIN_BENCH_BITSWAP_MIB` | 100 | size of the file `bitswap` moves |
//! | `FLOWCOIN_BENCH_BITSWAP_SWEEP` | 0 | 1: also fetch with other wants in flight and write batches |

use std::collections::{HashSet, VecDeque};
use std::io::{BufReader, Read as _, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::Context as _;
use cid::Cid;
use flowcoin_dag::store::{
    BlockSink as _, Blockstore, DiskStore, MemoryBlockstore, PinInfo, PinKind, now_secs,
};
use flowcoin_dag::unixfs::{CidVersion, Exporter, ImportOptions, import_path};
use flowcoin_net::{Keypair, Multiaddr, NetConfig, NetHandle};
use flowcoin_node::chain::ChainService;
use flowcoin_node::miner::{MinerConfig, MinerService};
use flowcoin_testkit::{GenesisSpec, TestNetwork, build_genesis};
use flowcoin_types::NetworkParams;
use flowcoin_types::tipset::{Tipset, TipsetKey};
use futures::StreamExt as _;
use futures::stream::FuturesUnordered;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

const MIB: u64 = 1 << 20;
const LOOPBACK: &str = "/ip4/127.0.0.1/tcp/0";

fn main() -> anyhow::Result<()> {
    // `cargo bench` passes `--bench`; everything else names the benchmarks to run.
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let selected = |name: &str| filters.is_empty() || filters.iter().any(|f| name.contains(f));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    println!("# Flowcoin network benchmarks ({cores} cores, a tokio runtime with {cores} workers)");
    if selected("propagation") {
        let blocks = env_or("FLOWCOIN_BENCH_BLOCKS", 20usize)?;
        let poll = Duration::from_millis(env_or("FLOWCOIN_BENCH_POLL_MS", 2u64)?);
        runtime.block_on(propagation(blocks, poll))?;
    }
    if selected("sync") {
        sync(&runtime, env_or("FLOWCOIN_BENCH_SYNC_EPOCHS", 10_000u64)?)?;
    }
    if selected("bitswap") {
        let mib = env_or("FLOWCOIN_BENCH_BITSWAP_MIB", 100u64)?;
        let sweep = env_or("FLOWCOIN_BENCH_BITSWAP_SWEEP", 0u8)? != 0;
        runtime.block_on(bitswap(mib, sweep))?;
    }
    Ok(())
}

fn env_or<T: FromStr>(name: &str, default: T) -> anyhow::Result<T>
where
    T::Err: std::fmt::Display,
{
    match std::env::var(name) {
        Ok(text) => text
            .parse()
            .map_err(|e| anyhow::anyhow!("{name}={text:?} is not a valid value: {e}")),
        Err(_) => Ok(default),
    }
}

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1e3)
}

/// The value at quantile `q` (nearest rank) of sorted `values`.
fn quantile(sorted: &[Duration], q: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = (q * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted[rank.min(sorted.len()) - 1]
}

fn lock<T>(m: &Mutex<T>) -> anyhow::Result<std::sync::MutexGuard<'_, T>> {
    m.lock().map_err(|_| anyhow::anyhow!("lock poisoned"))
}

// ---------------------------------------------------------------------------------------------
// propagation

/// One node's head changes, as its poller saw them.
#[derive(Default)]
struct HeadLog {
    changes: Vec<(Instant, Tipset)>,
    polls: u64,
}

/// Polls `chain`'s head every `every` until `stop`, logging each change with when it was seen.
fn spawn_poller(
    chain: Arc<Mutex<ChainService>>,
    log: Arc<Mutex<HeadLog>>,
    stop: Arc<AtomicBool>,
    every: Duration,
) -> std::thread::JoinHandle<anyhow::Result<()>> {
    std::thread::spawn(move || {
        let mut last: Option<TipsetKey> = None;
        while !stop.load(Ordering::Relaxed) {
            let head = lock(&chain)?.head()?;
            let seen = Instant::now();
            let mut log = lock(&log)?;
            log.polls += 1;
            if last.as_ref() != Some(head.key()) {
                last = Some(head.key().clone());
                log.changes.push((seen, head));
            }
            drop(log);
            std::thread::sleep(every);
        }
        Ok(())
    })
}

/// Whether node0 has made `blocks` blocks since polling began and every node has caught up.
fn propagated(logs: &[Arc<Mutex<HeadLog>>], blocks: usize) -> anyhow::Result<bool> {
    let Some(first) = logs.first() else {
        return Ok(false);
    };
    let Some(target) = lock(first)?.changes.get(blocks).map(|(_, t)| t.height()) else {
        return Ok(false);
    };
    for log in logs {
        let height = lock(log)?.changes.last().map_or(0, |(_, t)| t.height());
        if height < target {
            return Ok(false);
        }
    }
    Ok(true)
}

/// When node `i` first had a head that includes `block` (the tipset or a descendant).
async fn first_including(
    net: &TestNetwork,
    i: usize,
    changes: &[(Instant, Tipset)],
    block: &Tipset,
) -> anyhow::Result<Option<Instant>> {
    let height = block.height();
    for (seen, head) in changes {
        if head.height() < height || (head.height() == height && head.key() != block.key()) {
            continue;
        }
        if head.key() == block.key() {
            return Ok(Some(*seen));
        }
        let (from, wanted) = (head.key().clone(), block.key().clone());
        let descends = net
            .with_chain(i, move |c| {
                let mut cursor = c.store().load_tipset(&from)?;
                while cursor.height() > height {
                    cursor = c.store().load_tipset(&cursor.parents())?;
                }
                Ok(cursor.key() == &wanted)
            })
            .await?;
        if descends {
            return Ok(Some(*seen));
        }
    }
    Ok(None)
}

async fn propagation(blocks: usize, poll: Duration) -> anyhow::Result<()> {
    const NODES: usize = 5;
    println!("\n## propagation: {NODES} nodes on loopback, node0 mines, {blocks} blocks\n");
    let setup = Instant::now();
    let net = TestNetwork::start(NODES, 1).await?;
    net.wait_agree(2, Duration::from_secs(300)).await?;
    let setup = setup.elapsed();

    let stop = Arc::new(AtomicBool::new(false));
    let logs: Vec<Arc<Mutex<HeadLog>>> = (0..NODES).map(|_| Arc::default()).collect();
    let mut pollers = Vec::with_capacity(NODES);
    for (i, log) in logs.iter().enumerate() {
        let chain = net.chain(i)?;
        pollers.push(spawn_poller(
            chain,
            Arc::clone(log),
            Arc::clone(&stop),
            poll,
        ));
    }
    let started = Instant::now();
    let guard = Duration::from_secs(120 + 6 * blocks as u64);
    while !propagated(&logs, blocks)? {
        anyhow::ensure!(
            started.elapsed() < guard,
            "node0 made fewer than {blocks} blocks, or they did not reach every node, in {guard:?}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    stop.store(true, Ordering::Relaxed);
    let window = started.elapsed();
    for poller in pollers {
        poller
            .join()
            .map_err(|_| anyhow::anyhow!("a poller panicked"))??;
    }
    let logs: Vec<HeadLog> = logs
        .iter()
        .map(|l| Ok(std::mem::take(&mut *lock(l)?)))
        .collect::<anyhow::Result<_>>()?;

    // Node0's first observation is the head it had when polling began: not a new block.
    let made = logs[0].changes.iter().skip(1).take(blocks);
    let mut per_node: Vec<Vec<Duration>> = vec![Vec::new(); NODES - 1];
    let mut last_node = Vec::new();
    let mut heights = Vec::new();
    for (made_at, block) in made {
        heights.push(block.height());
        let mut worst = Duration::ZERO;
        for i in 1..NODES {
            let seen = first_including(&net, i, &logs[i].changes, block)
                .await?
                .with_context(|| format!("node{i} never had block {}", block.height()))?;
            // The two polls are independent: a node may see the block within one interval
            // before node0's poller does (counted as 0).
            let delay = seen.saturating_duration_since(*made_at);
            per_node[i - 1].push(delay);
            worst = worst.max(delay);
        }
        last_node.push(worst);
    }
    last_node.sort();
    for d in &mut per_node {
        d.sort();
    }
    let mut peers = Vec::with_capacity(NODES);
    for i in 0..NODES {
        peers.push(net.net(i)?.peers().await?.len());
    }
    net.shutdown().await?;

    let period = |log: &HeadLog| window.as_secs_f64() * 1e3 / log.polls.max(1) as f64;
    let periods: Vec<f64> = logs.iter().map(period).collect();
    let max_period = periods.iter().copied().fold(0.0, f64::max);
    println!(
        "setup (sealing, genesis, {NODES} nodes, agreement at height 2): {:.1} s; measured \
         blocks at heights {}..={} over {:.1} s",
        setup.as_secs_f64(),
        heights.first().copied().unwrap_or(0),
        heights.last().copied().unwrap_or(0),
        window.as_secs_f64()
    );
    println!(
        "resolution: each head is polled every {} ms (measured mean period {:.2}..{:.2} ms, \
         including the chain lock); a delay is exact to about one period\n",
        poll.as_millis(),
        periods.iter().copied().fold(f64::INFINITY, f64::min),
        max_period
    );
    println!("| until the last node has it (ms) | min | median | p90 | max |");
    println!("|---|---|---|---|---|");
    println!(
        "| {} blocks | {} | {} | {} | {} |",
        last_node.len(),
        ms(quantile(&last_node, 0.0)),
        ms(quantile(&last_node, 0.5)),
        ms(quantile(&last_node, 0.9)),
        ms(quantile(&last_node, 1.0))
    );
    println!("\n| node | peers | median (ms) | min | max |");
    println!("|---|---|---|---|---|");
    println!("| node0 (miner) | {} | - | - | - |", peers[0]);
    for (i, d) in per_node.iter().enumerate() {
        println!(
            "| node{} | {} | {} | {} | {} |",
            i + 1,
            peers[i + 1],
            ms(quantile(d, 0.5)),
            ms(quantile(d, 0.0)),
            ms(quantile(d, 1.0))
        );
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// sync

/// Seals two 2 KiB sectors for one miner into `repo` and writes a devnet genesis to `car`,
/// timestamped so that all `epochs` epochs are already past; returns the miner's configuration.
fn sync_genesis(repo: &Path, car: &Path, epochs: u64) -> anyhow::Result<MinerConfig> {
    // Block timestamps may not be ahead of the clock (consensus rule 3): the last epoch must
    // be in the past, with an hour to spare.
    let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
    let span = epochs.saturating_mul(NetworkParams::devnet().epoch_duration.secs());
    let spec = GenesisSpec {
        miners: 1,
        sectors: 2,
        timestamp: now
            .checked_sub(span.saturating_add(3_600))
            .context("too many epochs")?,
        expiration: epochs.saturating_add(1_000).max(100_000),
    };
    build_genesis(&[repo.to_path_buf()], &spec, car)?
        .pop()
        .context("no miner built")
}

fn sync(runtime: &tokio::runtime::Runtime, epochs: u64) -> anyhow::Result<()> {
    println!("\n## sync: a {epochs}-epoch chain from node A to a fresh node B\n");
    anyhow::ensure!(epochs >= 1, "FLOWCOIN_BENCH_SYNC_EPOCHS must be at least 1");
    let dir = tempfile::tempdir()?;
    let (repo_a, repo_b) = (dir.path().join("a"), dir.path().join("b"));
    let car = dir.path().join("genesis.car");
    std::fs::create_dir_all(&repo_a)?;
    std::fs::create_dir_all(&repo_b)?;
    let miner = sync_genesis(&repo_a, &car, epochs)?;
    let disk_a = Arc::new(DiskStore::open(repo_a.join("db"))?);
    let mut chain_a = ChainService::open(&repo_a, Arc::clone(&disk_a), Some(&car))?;
    let mut miner = MinerService::new(miner, &repo_a);

    let started = Instant::now();
    let mut tipsets = 0u64;
    for height in 1..=epochs {
        if miner.work(&mut chain_a, height)?.block {
            tipsets += 1;
        }
        if height % 1_000 == 0 {
            eprintln!(
                "sync: built {height}/{epochs} epochs in {:.1} s",
                started.elapsed().as_secs_f64()
            );
        }
    }
    let production = started.elapsed();
    let target = chain_a.head()?;
    // The first block B will accept: the oldest tipset above genesis.
    let first_block = {
        let mut cursor = chain_a.store().load_tipset(target.key())?;
        loop {
            let parent = chain_a.store().load_tipset(&cursor.parents())?;
            if parent.height() == 0 {
                break;
            }
            cursor = parent;
        }
        *cursor.key().0.first().context("an empty tipset")?
    };
    let power = {
        let executed = chain_a.head_executed()?;
        let tree = flowcoin_state::state_tree::StateTree::load(
            chain_a.store().blocks().disk(),
            &executed.state_root,
        )?;
        flowcoin_state::actor::power::power_state(&tree)?.total_raw_power
    };
    let chain_a = Arc::new(Mutex::new(chain_a));
    let times = runtime.block_on(sync_over_network(
        (&repo_a, disk_a, chain_a),
        &repo_b,
        &car,
        (&target, first_block),
    ))?;

    let rate = |n: u64, d: Duration| n as f64 / d.as_secs_f64();
    println!(
        "chain: head at height {}, {tipsets} tipsets ({} null rounds); network power at the \
         head {power:?} (2 sectors of 2 KiB: every Window PoSt deadline was proven)\n",
        target.height(),
        epochs.saturating_sub(tipsets)
    );
    println!("| phase | time (s) | epochs/s | tipsets/s |");
    println!("|---|---|---|---|");
    println!(
        "| A builds the chain (`MinerService::work` per epoch, no network) | {:.1} | {:.0} | {:.0} |",
        production.as_secs_f64(),
        rate(epochs, production),
        rate(tipsets, production)
    );
    println!(
        "| B syncs it: start to head = A's head | {:.1} | {:.0} | {:.0} |",
        times.total.as_secs_f64(),
        rate(target.height(), times.total),
        rate(tipsets, times.total)
    );
    println!(
        "| … of which: connect and hello (until the sync starts) | {:.2} | | |",
        times.started.as_secs_f64()
    );
    println!(
        "| … fetch over chain exchange (until B has stored its first tipset) | {:.1} | | {:.0} |",
        times.fetched.saturating_sub(times.started).as_secs_f64(),
        rate(tipsets, times.fetched.saturating_sub(times.started))
    );
    println!(
        "| … validate, execute and store (until B's head is A's) | {:.1} | | {:.0} |",
        times.total.saturating_sub(times.fetched).as_secs_f64(),
        rate(tipsets, times.total.saturating_sub(times.fetched))
    );
    Ok(())
}

/// When (from B's start) the sync started, B stored its first tipset and B's head became A's.
struct SyncTimes {
    started: Duration,
    fetched: Duration,
    total: Duration,
}

async fn listen_addrs(handle: &NetHandle) -> anyhow::Result<Vec<Multiaddr>> {
    let start = Instant::now();
    loop {
        let addrs = handle.addrs().await?.addrs;
        if !addrs.is_empty() {
            return addrs.iter().map(|a| Ok(a.parse::<Multiaddr>()?)).collect();
        }
        anyhow::ensure!(start.elapsed() < Duration::from_secs(30), "never listened");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn net_config(bootstrap: Vec<Multiaddr>) -> anyhow::Result<NetConfig> {
    let mut config = NetConfig::new(
        NetworkParams::devnet().network.to_string(),
        Keypair::generate_ed25519(),
    );
    config.listen = vec![LOOPBACK.parse()?];
    config.bootstrap = bootstrap;
    Ok(config)
}

async fn sync_over_network(
    (repo_a, disk_a, chain_a): (&Path, Arc<DiskStore>, Arc<Mutex<ChainService>>),
    repo_b: &Path,
    car: &Path,
    (target, first_block): (&Tipset, Cid),
) -> anyhow::Result<SyncTimes> {
    let net_a = flowcoin_node::network::start(&net_config(Vec::new())?, chain_a, disk_a, repo_a)?;
    let addrs = listen_addrs(&net_a.handle).await?;
    let disk_b = Arc::new(DiskStore::open(repo_b.join("db"))?);
    let chain_b = Arc::new(Mutex::new(ChainService::open(
        repo_b,
        Arc::clone(&disk_b),
        Some(car),
    )?));

    let start = Instant::now();
    let net_b = flowcoin_node::network::start(
        &net_config(addrs)?,
        Arc::clone(&chain_b),
        Arc::clone(&disk_b),
        repo_b,
    )?;
    let guard = Duration::from_secs(1_800)
        .saturating_add(Duration::from_millis(target.height().saturating_mul(200)));
    let (mut started, mut fetched) = (None, None);
    loop {
        let now = start.elapsed();
        if started.is_none() && net_b.status.syncing.load(Ordering::SeqCst) {
            started = Some(now);
        }
        // The sync takes the chain's lock for each tipset it accepts, back to back: a waiting
        // poller would starve until the end. The block store tells, without that lock, when
        // the first tipset was accepted (the fetch is over); the head is read when the lock
        // is free.
        if fetched.is_none() && disk_b.contains(&first_block)? {
            fetched = Some(now);
        }
        let head = match chain_b.try_lock() {
            Ok(c) => Some(c.head()?),
            Err(std::sync::TryLockError::WouldBlock) => None,
            Err(std::sync::TryLockError::Poisoned(_)) => anyhow::bail!("B's chain lock poisoned"),
        };
        if head.as_ref().is_some_and(|h| h.key() == target.key()) {
            break;
        }
        anyhow::ensure!(
            now < guard,
            "B has not reached height {} after {now:?}",
            target.height()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let total = start.elapsed();
    net_b.handle.shutdown().await;
    net_a.handle.shutdown().await;
    let fetched = fetched.unwrap_or(total);
    Ok(SyncTimes {
        started: started.unwrap_or(fetched),
        fetched,
        total,
    })
}

// ---------------------------------------------------------------------------------------------
// bitswap

/// Writes `bytes` pseudo-random bytes (splitmix64, seeded: the same file every run).
fn write_random_file(path: &Path, bytes: u64) -> anyhow::Result<()> {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    let mut state = 0x5eed_f10c_u64;
    let mut buf = vec![0u8; MIB as usize];
    let mut left = bytes;
    while left > 0 {
        for word in buf.chunks_mut(8) {
            state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^= z >> 31;
            word.copy_from_slice(&z.to_le_bytes()[..word.len()]);
        }
        let n = left.min(MIB) as usize;
        out.write_all(&buf[..n])?;
        left -= n as u64;
    }
    out.into_inner()?.sync_all()?;
    Ok(())
}

/// A writer that checks what is written against a file, byte for byte.
struct SameAs {
    file: BufReader<std::fs::File>,
    buf: Vec<u8>,
    checked: u64,
}

impl SameAs {
    fn new(path: &Path) -> anyhow::Result<Self> {
        Ok(Self {
            file: BufReader::new(std::fs::File::open(path)?),
            buf: Vec::new(),
            checked: 0,
        })
    }

    /// Fails unless everything was written (the file is at its end).
    fn finish(mut self) -> anyhow::Result<u64> {
        let mut rest = [0u8; 1];
        anyhow::ensure!(
            self.file.read(&mut rest)? == 0,
            "only {} bytes arrived",
            self.checked
        );
        Ok(self.checked)
    }
}

impl Write for SameAs {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.resize(data.len(), 0);
        self.file.read_exact(&mut self.buf)?;
        if self.buf != data {
            return Err(std::io::Error::other(format!(
                "the copy differs within bytes {}..{}",
                self.checked,
                self.checked + data.len() as u64
            )));
        }
        self.checked += data.len() as u64;
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Copies `src` over a plain TCP connection on loopback into `dst` (file → socket → file,
/// fsync at the end, as a block store commit does), or into memory only if `dst` is `None`;
/// returns the time from connecting to the fsync.
async fn tcp_copy(src: &Path, dst: Option<&Path>) -> anyhow::Result<Duration> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let dst = dst.map(Path::to_path_buf);
    let start = Instant::now();
    let receiver = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await?;
        let mut file = match &dst {
            Some(path) => Some(tokio::fs::File::create(path).await?),
            None => None,
        };
        let mut buf = vec![0u8; MIB as usize];
        loop {
            let n = socket.read(&mut buf).await?;
            if n == 0 {
                break;
            }
            if let Some(file) = &mut file {
                file.write_all(&buf[..n]).await?;
            }
        }
        if let Some(mut file) = file {
            file.flush().await?;
            file.sync_all().await?;
        }
        anyhow::Ok(())
    });
    let mut socket = tokio::net::TcpStream::connect(addr).await?;
    socket.set_nodelay(true)?;
    let mut file = tokio::fs::File::open(src).await?;
    let mut buf = vec![0u8; MIB as usize];
    loop {
        let n = file.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        socket.write_all(&buf[..n]).await?;
    }
    socket.shutdown().await?;
    receiver.await??;
    Ok(start.elapsed())
}

/// Imports `file` into a new store in `dir` as CIDv1 with raw leaves of `chunk` bytes; returns
/// the store and the root.
fn import(dir: &Path, file: &Path, chunk: usize) -> anyhow::Result<(Arc<DiskStore>, Cid)> {
    let store = Arc::new(DiskStore::open(dir)?);
    let opts = ImportOptions {
        cid_version: CidVersion::V1,
        raw_leaves: true,
        chunk_size: chunk,
        ..ImportOptions::default()
    };
    let mut batch = store.batch()?;
    let entry = import_path(file, &opts, &mut batch, &mut |_: u64| {})?;
    batch.pin(
        entry.cid,
        PinInfo {
            name: "bench".into(),
            kind: PinKind::File,
            size: entry.size,
            dag_size: entry.tsize,
            created: now_secs(),
        },
    );
    batch.commit()?;
    Ok((store, entry.cid))
}

/// A swarm on loopback serving bitswap from `store`, its events drained.
async fn swarm(
    store: Arc<dyn Blockstore + Send + Sync>,
    bootstrap: Vec<Multiaddr>,
) -> anyhow::Result<NetHandle> {
    let (handle, mut events) = flowcoin_net::spawn(&net_config(bootstrap)?, store)?;
    tokio::spawn(async move { while events.recv().await.is_some() {} });
    Ok(handle)
}

/// A swarm over `store` connected to `server`.
async fn client(
    store: Arc<dyn Blockstore + Send + Sync>,
    server: &NetHandle,
) -> anyhow::Result<NetHandle> {
    let handle = swarm(store, listen_addrs(server).await?).await?;
    let id = server.local_peer_id().to_string();
    let start = Instant::now();
    while !handle.peers().await?.iter().any(|p| p.peer_id == id) {
        anyhow::ensure!(start.elapsed() < Duration::from_secs(30), "never connected");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    Ok(handle)
}

/// Checks that the file under `root` in `store` is `original`, byte for byte.
async fn verify_export(store: Arc<DiskStore>, root: Cid, original: PathBuf) -> anyhow::Result<()> {
    tokio::task::spawn_blocking(move || {
        let mut same = SameAs::new(&original)?;
        Exporter::new(&*store).read_file(&root, 0, None, &mut same)?;
        same.finish().map(drop)
    })
    .await?
}

/// `fetch_dag`'s walk with its two constants as parameters, to size them (`disk: None` keeps
/// the blocks in memory: the network alone). Returns the bytes fetched.
async fn walk(
    net: &NetHandle,
    disk: Option<&Arc<DiskStore>>,
    root: Cid,
    wants: usize,
    write_batch: usize,
) -> anyhow::Result<u64> {
    let mut queue = VecDeque::from([root]);
    let mut seen = HashSet::from([root]);
    let mut in_flight = FuturesUnordered::new();
    let mut pending: Vec<(Cid, Vec<u8>)> = Vec::new();
    let mut bytes = 0u64;
    loop {
        while in_flight.len() < wants
            && let Some(cid) = queue.pop_front()
        {
            let net = net.clone();
            in_flight.push(async move {
                let data = net.get_block(cid, Duration::from_secs(60)).await?;
                anyhow::Ok((cid, data))
            });
        }
        let Some(result) = in_flight.next().await else {
            break;
        };
        let (cid, data) = result?;
        for child in flowcoin_dag::links::links(&cid, &data)? {
            if seen.insert(child) {
                queue.push_back(child);
            }
        }
        bytes += data.len() as u64;
        if let Some(disk) = disk {
            pending.push((cid, data));
            if pending.len() >= write_batch {
                write_blocks(disk, std::mem::take(&mut pending)).await?;
            }
        }
    }
    if let Some(disk) = disk {
        write_blocks(disk, pending).await?;
    }
    Ok(bytes)
}

async fn write_blocks(disk: &Arc<DiskStore>, blocks: Vec<(Cid, Vec<u8>)>) -> anyhow::Result<()> {
    let disk = Arc::clone(disk);
    tokio::task::spawn_blocking(move || {
        let mut batch = disk.batch()?;
        for (cid, data) in &blocks {
            batch.put(cid, data)?;
        }
        batch.commit()?;
        anyhow::Ok(())
    })
    .await?
}

/// One row of the bitswap table.
struct Transfer {
    what: String,
    blocks: u64,
    time: Duration,
    tcp: Option<Duration>,
}

async fn bitswap(mib: u64, sweep: bool) -> anyhow::Result<()> {
    println!("\n## bitswap: a {mib} MiB random file on loopback, bitswap vs plain TCP\n");
    let dir = tempfile::tempdir()?;
    let source = dir.path().join("source.bin");
    let bytes = mib * MIB;
    {
        let source = source.clone();
        tokio::task::spawn_blocking(move || write_random_file(&source, bytes)).await??;
    }
    let mut rows = Vec::new();
    let mut notes = Vec::new();
    for chunk in [MIB as usize, 256 * 1024] {
        let label = if chunk == MIB as usize {
            "1 MiB"
        } else {
            "256 KiB"
        };
        // The baseline first, on the same file, verified like the fetch.
        let copy = dir.path().join("tcp-copy.bin");
        let tcp = tcp_copy(&source, Some(&copy)).await?;
        let mut same = SameAs::new(&source)?;
        std::io::copy(&mut std::fs::File::open(&copy)?, &mut same)?;
        same.finish()?;
        std::fs::remove_file(&copy)?;

        let (store_a, root) = {
            let (a, source) = (dir.path().join(format!("a-{chunk}")), source.clone());
            tokio::task::spawn_blocking(move || import(&a, &source, chunk)).await??
        };
        let dag_blocks = store_a.stats()?.blocks;
        let net_a = swarm(store_a.clone(), Vec::new()).await?;
        net_a.provide(root).await?;
        let store_b = Arc::new(DiskStore::open(dir.path().join(format!("b-{chunk}")))?);
        let net_b = client(store_b.clone(), &net_a).await?;
        let lookup = Instant::now();
        let providers = net_b.find_providers(root).await?;
        let lookup = lookup.elapsed();
        notes.push(format!(
            "{label}: the DHT provider lookup fetch_dag starts with took {} ms on its own \
             ({} provider(s) found); it is included in the fetch time",
            ms(lookup),
            providers.len()
        ));

        let start = Instant::now();
        let report =
            flowcoin_node::fetch::fetch_dag(&net_b, &store_b, root, "bench".into()).await?;
        let time = start.elapsed();
        verify_export(store_b.clone(), root, source.clone()).await?;
        anyhow::ensure!(report.blocks == dag_blocks, "fetched {report:?}");
        rows.push(Transfer {
            what: format!("bitswap `fetch_dag`, {label} chunks"),
            blocks: report.blocks,
            time,
            tcp: Some(tcp),
        });
        rows.push(Transfer {
            what: format!("plain TCP copy (before the {label} fetch)"),
            blocks: 0,
            time: tcp,
            tcp: None,
        });
        net_b.shutdown().await;

        if sweep {
            let time = tcp_copy(&source, None).await?;
            rows.push(Transfer {
                what: format!("  plain TCP, {label} round: into memory (no file, no fsync)"),
                blocks: 0,
                time,
                tcp: None,
            });
            for (wants, batch) in [
                (4, 0),
                (8, 0),
                (32, 0),
                (128, 0),
                (8, 64),
                (32, 64),
                (128, 64),
                (32, usize::MAX),
            ] {
                let (time, fetched) = sweep_one(&net_a, root, wants, batch, dir.path()).await?;
                anyhow::ensure!(fetched == report.bytes, "walk fetched {fetched} bytes");
                let store = match batch {
                    0 => "memory only".to_string(),
                    usize::MAX => "disk, one commit".to_string(),
                    n => format!("disk, commit every {n}"),
                };
                rows.push(Transfer {
                    what: format!("  walk, {label}: {wants} wants, {store}"),
                    blocks: dag_blocks,
                    time,
                    tcp: Some(tcp),
                });
            }
        }
        net_a.shutdown().await;
    }

    let rate = |d: Duration| bytes as f64 / MIB as f64 / d.as_secs_f64();
    println!("| transfer | blocks | time (s) | MiB/s | vs TCP |");
    println!("|---|---|---|---|---|");
    for row in &rows {
        let ratio = row.tcp.map_or("-".to_string(), |tcp| {
            format!(
                "{:.0} %",
                100.0 * tcp.as_secs_f64() / row.time.as_secs_f64()
            )
        });
        let blocks = if row.blocks == 0 {
            "-".to_string()
        } else {
            row.blocks.to_string()
        };
        println!(
            "| {} | {blocks} | {:.2} | {:.0} | {ratio} |",
            row.what,
            row.time.as_secs_f64(),
            rate(row.time)
        );
    }
    println!(
        "\nevery copy was checked byte for byte against the original (target: bitswap ≥ 50 % of TCP)"
    );
    for note in notes {
        println!("- {note}");
    }
    Ok(())
}

/// One sweep point on a fresh client (its bitswap store empty, so every block comes from A).
async fn sweep_one(
    server: &NetHandle,
    root: Cid,
    wants: usize,
    batch: usize,
    dir: &Path,
) -> anyhow::Result<(Duration, u64)> {
    let store_dir = tempfile::tempdir_in(dir)?;
    let disk = (batch > 0)
        .then(|| DiskStore::open(store_dir.path()).map(Arc::new))
        .transpose()?;
    let bitswap_store: Arc<dyn Blockstore + Send + Sync> = match &disk {
        Some(d) => d.clone(),
        None => Arc::new(MemoryBlockstore::new()),
    };
    let net = client(bitswap_store, server).await?;
    let start = Instant::now();
    let fetched = walk(&net, disk.as_ref(), root, wants, batch).await?;
    let time = start.elapsed();
    net.shutdown().await;
    Ok((time, fetched))
}
