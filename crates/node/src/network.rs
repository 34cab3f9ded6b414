//! The node on the network: what its chain says to peers and does with what they say.
//!
//! [`start`] runs `flowcoin-net`'s swarm and a driver task between it and the chain:
//!
//! - **hello**: every peer learns our genesis, head and weight when it connects (both sides
//!   send theirs and answer the other's); a peer on another genesis is banned (another
//!   network); a heavier peer is synced from;
//! - **gossip**: blocks (`GossipBlock`: header and messages) and messages are checked before
//!   they are forwarded: a valid block is accepted into the chain; a block whose parent is
//!   unknown makes the node sync from the peer that sent it; a block or message breaking a
//!   rule is rejected and its sender scored down (banned at once for a block);
//! - **chain exchange**: peers ask for up to `MAX_XCHG_TIPSETS` tipsets walking back from a
//!   key; answers are bounded by size as well (the messages are in
//!   `flowcoin_chain::wire`);
//! - **sync**: one worker thread runs [`sync_from`] against a peer through chain exchange,
//!   one target at a time (a bounded queue; targets already known are skipped);
//! - **announcements**: blocks the miner makes, messages local senders push and messages of
//!   a branch a reorganisation abandoned are gossiped; pinned roots are announced as DHT
//!   provider records.
//!
//! Chain work runs on blocking threads (the chain is a `Mutex`), at most
//! [`MAX_CONCURRENT_CHECKS`] gossip checks at once: beyond that, gossip is ignored (not
//! forwarded) rather than queued.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cid::Cid;
use flowcoin_chain::mpool::AddError;
use flowcoin_chain::wire::{GossipBlock, Hello, MAX_XCHG_TIPSETS, XchgRequest, XchgResponse};
use flowcoin_dag::store::{DiskStore, PinKind};
use flowcoin_net::{
    InboundId, Misbehaviour, NetConfig, NetEvent, NetHandle, PeerId, Topic, Verdict,
};
use flowcoin_types::SignedMessage;
use flowcoin_types::block::BlockHeader;
use flowcoin_types::message::to_cbor;
use flowcoin_types::tipset::{Tipset, TipsetKey};
use tokio::sync::Semaphore;

use crate::chain::{ChainService, ChainServiceError};
use crate::sync::{ChainSource, SyncError, TipsetBlocks, sync_from};

/// How far back from a peer's head a sync walks to meet our chain (a longer gap, or a deeper
/// fork, is not followed).
pub const SYNC_WINDOW: u64 = 20_000;
/// Most gossip checks running at once.
pub const MAX_CONCURRENT_CHECKS: usize = 16;
/// Most sync targets waiting.
const SYNC_QUEUE: usize = 16;
/// The budget of an answer's encoded tipsets (the transport refuses answers over 32 MiB).
const XCHG_ANSWER_BUDGET: usize = 24 << 20;
/// How often the hello is refreshed from the head.
const HELLO_REFRESH: Duration = Duration::from_secs(1);
/// The file listing the node's peer addresses while it runs.
pub const NET_FILE: &str = "net";

/// Where the node's networking stands (for the API).
#[derive(Debug, Default)]
pub struct NetStatus {
    /// A sync is running.
    pub syncing: AtomicBool,
}

/// The running network: the handle the API and the miner use.
#[derive(Debug, Clone)]
pub struct Network {
    /// Drives the swarm.
    pub handle: NetHandle,
    /// Shared status.
    pub status: Arc<NetStatus>,
}

impl Network {
    /// Gossips a block this node made.
    pub fn announce_block(&self, header: &BlockHeader, messages: &[SignedMessage]) {
        match to_cbor(
            "gossip block",
            &GossipBlock(header.clone(), messages.to_vec()),
        ) {
            Ok(bytes) => {
                if let Err(e) = self.handle.try_publish(Topic::Blocks, bytes) {
                    tracing::warn!(height = header.height, "block not announced: {e}");
                }
            }
            Err(e) => tracing::warn!("block not announced: {e}"),
        }
    }
}

/// Starts the swarm over `disk` and the driver between it and `chain`; announces the pinned
/// roots and makes `chain` announce the messages local senders push.
///
/// # Errors
/// The swarm could not start (e.g. a listen address is taken).
pub fn start(
    config: &NetConfig,
    chain: Arc<Mutex<ChainService>>,
    disk: Arc<DiskStore>,
    repo: &Path,
) -> Result<Network, flowcoin_net::NetError> {
    let (handle, events) = flowcoin_net::spawn(config, disk.clone())?;
    let status = Arc::new(NetStatus::default());
    let network = Network {
        handle: handle.clone(),
        status: Arc::clone(&status),
    };
    let genesis = {
        let mut c = chain.lock().map_err(|_| flowcoin_net::NetError::Stopped)?;
        let announcer = handle.clone();
        c.set_announcer(Box::new(move |m: &SignedMessage| match m.to_cbor() {
            Ok(bytes) => {
                if let Err(e) = announcer.try_publish(Topic::Messages, bytes) {
                    tracing::warn!("message not announced: {e}");
                }
            }
            Err(e) => tracing::warn!("message not announced: {e}"),
        }));
        c.store().genesis().key().0.first().copied()
    }
    .ok_or(flowcoin_net::NetError::Stopped)?;

    let (sync_tx, sync_rx) = std::sync::mpsc::sync_channel::<SyncTarget>(SYNC_QUEUE);
    {
        let chain = Arc::clone(&chain);
        let handle = handle.clone();
        let status = Arc::clone(&status);
        std::thread::Builder::new()
            .name("sync".into())
            .spawn(move || sync_worker(&chain, &handle, &status, &sync_rx))
            .map_err(|e| flowcoin_net::NetError::Build(format!("sync thread: {e}")))?;
    }
    let driver = Driver {
        chain,
        handle: handle.clone(),
        genesis,
        sync: sync_tx,
        checks: Arc::new(Semaphore::new(MAX_CONCURRENT_CHECKS)),
        net_file: repo.join(NET_FILE),
        listening: Vec::new(),
        last_hello: None,
    };
    tokio::spawn(republish(Arc::downgrade(&driver.chain)));
    tokio::spawn(driver.run(events));
    tokio::spawn(announce_pins(disk, handle));
    Ok(network)
}

/// How often pending local messages are gossiped again: longer than gossipsub remembers a
/// message (120 s), so peers take the repeat.
pub const REPUBLISH: Duration = Duration::from_secs(180);

/// Republishes pending local messages every [`REPUBLISH`] until the chain is dropped (held
/// weakly: this task must not keep the chain, and so the store, open).
async fn republish(chain: std::sync::Weak<Mutex<ChainService>>) {
    let mut tick = tokio::time::interval(REPUBLISH);
    tick.tick().await;
    loop {
        tick.tick().await;
        let Some(chain) = chain.upgrade() else {
            return;
        };
        // The chain lock may be held by a sync step: wait for it off the runtime.
        let count = tokio::task::spawn_blocking(move || {
            chain.lock().map(|mut c| c.republish()).unwrap_or(0)
        })
        .await
        .unwrap_or(0);
        if count > 0 {
            tracing::debug!(count, "pending local messages republished");
        }
    }
}

/// Announces every pinned DAG root (not the chain's own pins).
async fn announce_pins(disk: Arc<DiskStore>, handle: NetHandle) {
    let pins = match tokio::task::spawn_blocking(move || disk.pins()).await {
        Ok(Ok(pins)) => pins,
        Ok(Err(e)) => return tracing::warn!("listing pins to announce: {e}"),
        Err(_) => return,
    };
    for (cid, info) in pins {
        if info.kind != PinKind::Dag || info.name != "chain head" {
            let _ = handle.provide(cid).await;
        }
    }
}

struct SyncTarget {
    peer: PeerId,
    key: TipsetKey,
    height: u64,
}

struct Driver {
    chain: Arc<Mutex<ChainService>>,
    handle: NetHandle,
    genesis: Cid,
    sync: std::sync::mpsc::SyncSender<SyncTarget>,
    checks: Arc<Semaphore>,
    net_file: PathBuf,
    listening: Vec<String>,
    last_hello: Option<Hello>,
}

impl Driver {
    async fn run(mut self, mut events: tokio::sync::mpsc::Receiver<NetEvent>) {
        let mut refresh = tokio::time::interval(HELLO_REFRESH);
        loop {
            tokio::select! {
                event = events.recv() => match event {
                    Some(event) => self.on_event(event).await,
                    None => break,
                },
                _ = refresh.tick() => self.refresh_hello().await,
            }
        }
        let _ = std::fs::remove_file(&self.net_file);
    }

    async fn refresh_hello(&mut self) {
        let chain = Arc::clone(&self.chain);
        let genesis = self.genesis;
        let hello = tokio::task::spawn_blocking(move || -> Option<Hello> {
            let c = chain.lock().ok()?;
            let head = c.head().ok()?;
            let weight = c.store().meta(head.key()).ok()??.weight;
            Some(Hello(genesis, head.key().0.clone(), head.height(), weight))
        })
        .await
        .ok()
        .flatten();
        if let Some(hello) = hello
            && self.last_hello.as_ref() != Some(&hello)
            && let Ok(bytes) = to_cbor("hello", &hello)
        {
            let _ = self.handle.set_hello(bytes).await;
            self.last_hello = Some(hello);
        }
    }

    fn queue_sync(&self, target: SyncTarget) {
        if self.sync.try_send(target).is_err() {
            tracing::debug!(
                "sync queue full; target dropped (a later hello or block brings it back)"
            );
        }
    }

    async fn on_event(&mut self, event: NetEvent) {
        match event {
            NetEvent::Listening(addr) => {
                self.listening.push(addr.to_string());
                let text = self.listening.join("\n") + "\n";
                if let Err(e) = crate::node::write_atomically(&self.net_file, text.as_bytes()) {
                    tracing::warn!("writing {}: {e}", self.net_file.display());
                }
            }
            NetEvent::Connected(peer) => tracing::info!(%peer, "peer connected"),
            NetEvent::Disconnected(peer) => tracing::info!(%peer, "peer disconnected"),
            NetEvent::Banned(peer) => tracing::warn!(%peer, "peer banned"),
            NetEvent::Hello { peer, payload } => self.on_hello(peer, &payload).await,
            NetEvent::Gossip { topic, id, data } => {
                let Ok(permit) = Arc::clone(&self.checks).try_acquire_owned() else {
                    let _ = self.handle.report(id, Verdict::Ignore).await;
                    return;
                };
                let chain = Arc::clone(&self.chain);
                let handle = self.handle.clone();
                let sync = self.sync.clone();
                let source = id.source;
                tokio::spawn(async move {
                    let verdict = tokio::task::spawn_blocking(move || {
                        let _permit = permit;
                        match topic {
                            Topic::Blocks => check_block(&chain, &data, source, &sync),
                            Topic::Messages => check_message(&chain, &data),
                        }
                    })
                    .await
                    .unwrap_or(Verdict::Ignore);
                    let _ = handle.report(id, verdict).await;
                });
            }
            NetEvent::ChainRequest { peer, id, payload } => {
                let chain = Arc::clone(&self.chain);
                let handle = self.handle.clone();
                tokio::spawn(async move {
                    let answer =
                        tokio::task::spawn_blocking(move || serve_xchg(&chain, &payload)).await;
                    match answer {
                        Ok(Ok(bytes)) => {
                            let _ = handle.respond(id, bytes).await;
                        }
                        Ok(Err(bad)) => {
                            tracing::debug!(%peer, "bad chain request: {bad}");
                            let _ = handle.penalize(peer, Misbehaviour::MalformedData).await;
                            respond_empty(&handle, id).await;
                        }
                        Err(_) => respond_empty(&handle, id).await,
                    }
                });
            }
            _ => {}
        }
    }

    async fn on_hello(&mut self, peer: PeerId, payload: &[u8]) {
        if payload.is_empty() {
            // The peer has just started and has no hello yet; it sends one when it has.
            return;
        }
        let hello = match Hello::decode(payload) {
            Ok(h) => h,
            Err(e) => {
                tracing::info!(%peer, "bad hello: {e}");
                let _ = self
                    .handle
                    .penalize(peer, Misbehaviour::MalformedData)
                    .await;
                return;
            }
        };
        let Hello(genesis, key, height, weight) = hello;
        if genesis != self.genesis {
            tracing::warn!(%peer, theirs = %genesis, ours = %self.genesis, "peer on another chain");
            let _ = self.handle.penalize(peer, Misbehaviour::WrongNetwork).await;
            return;
        }
        let ours = self.last_hello.as_ref().map(|h| h.3).unwrap_or_default();
        if weight > ours {
            self.queue_sync(SyncTarget {
                peer,
                key: TipsetKey(key),
                height,
            });
        }
    }
}

async fn respond_empty(handle: &NetHandle, id: InboundId) {
    if let Ok(bytes) = to_cbor("chain exchange", &XchgResponse(Vec::new())) {
        let _ = handle.respond(id, bytes).await;
    }
}

/// Checks a gossiped block and accepts it into the chain.
fn check_block(
    chain: &Mutex<ChainService>,
    data: &[u8],
    source: PeerId,
    sync: &std::sync::mpsc::SyncSender<SyncTarget>,
) -> Verdict {
    let Ok(GossipBlock(header, messages)) = GossipBlock::decode(data) else {
        return Verdict::Reject(Misbehaviour::MalformedData);
    };
    let Ok(cid) = header.cid() else {
        return Verdict::Reject(Misbehaviour::MalformedData);
    };
    let Ok(mut c) = chain.lock() else {
        return Verdict::Ignore;
    };
    match c.has_block(&cid) {
        Ok(true) => return Verdict::Ignore,
        Ok(false) => {}
        Err(_) => return Verdict::Ignore,
    }
    let parent_known = c
        .store()
        .meta(&TipsetKey(header.parents.clone()))
        .ok()
        .flatten()
        .is_some_and(|m| m.executed.is_some());
    if !parent_known {
        // Not the sender's fault: we are behind. Fetch the chain up to this block from it.
        let _ = sync.try_send(SyncTarget {
            peer: source,
            key: TipsetKey(vec![cid]),
            height: header.height,
        });
        return Verdict::Ignore;
    }
    match c.accept(&[(header, messages)]) {
        Ok(_) => Verdict::Accept,
        Err(ChainServiceError::InvalidBlock { cid, source: why }) => {
            tracing::warn!(block = %cid, peer = %source, "invalid block from gossip: {why}");
            Verdict::Reject(Misbehaviour::InvalidBlock)
        }
        Err(e) => {
            tracing::warn!(block = %cid, "gossiped block not taken: {e}");
            Verdict::Ignore
        }
    }
}

/// Checks a gossiped message and adds it to the pool.
fn check_message(chain: &Mutex<ChainService>, data: &[u8]) -> Verdict {
    let Ok(message) = SignedMessage::from_cbor(data) else {
        return Verdict::Reject(Misbehaviour::MalformedData);
    };
    let Ok(mut c) = chain.lock() else {
        return Verdict::Ignore;
    };
    match c.add_gossiped_message(message) {
        Ok(flowcoin_chain::mpool::Added::Pending { .. }) => Verdict::Accept,
        Ok(_) => Verdict::Ignore,
        // Forged or malformed: the sender's fault.
        Err(
            AddError::BadSignature { .. }
            | AddError::SignerNotSender { .. }
            | AddError::Malformed { .. }
            | AddError::TooLarge { .. },
        ) => Verdict::Reject(Misbehaviour::InvalidMessage),
        // Valid but not (or no longer) wanted here: a nonce already used, a gap, a fee too
        // low, a balance spent since.
        Err(_) => Verdict::Ignore,
    }
}

/// Answers a chain-exchange request from the chain store.
fn serve_xchg(chain: &Mutex<ChainService>, payload: &[u8]) -> Result<Vec<u8>, String> {
    let XchgRequest(start, count) = XchgRequest::decode(payload).map_err(|e| e.to_string())?;
    let count = count.min(MAX_XCHG_TIPSETS);
    let c = chain
        .lock()
        .map_err(|_| "chain lock poisoned".to_string())?;
    let store = c.store();
    let mut key = TipsetKey(start);
    let mut out = Vec::new();
    let mut size = 0usize;
    for _ in 0..count {
        let Ok(tipset) = store.load_tipset(&key) else {
            break;
        };
        let mut blocks = Vec::new();
        for header in tipset.blocks() {
            let Ok(messages) = store.block_messages(header) else {
                return to_cbor("chain exchange", &XchgResponse(out)).map_err(|e| e.to_string());
            };
            size = size.saturating_add(estimate(header, &messages));
            blocks.push((header.clone(), messages));
        }
        if size > XCHG_ANSWER_BUDGET && !out.is_empty() {
            break;
        }
        out.push(blocks);
        if tipset.height() == 0 {
            break;
        }
        key = tipset.parents();
    }
    to_cbor("chain exchange", &XchgResponse(out)).map_err(|e| e.to_string())
}

fn estimate(header: &BlockHeader, messages: &[SignedMessage]) -> usize {
    let h = header.to_cbor().map(|b| b.len()).unwrap_or(0);
    messages.iter().fold(h, |acc, m| {
        acc.saturating_add(m.to_cbor().map(|b| b.len()).unwrap_or(0))
    })
}

/// A peer's chain through chain exchange, for [`sync_from`]: asks for `MAX_XCHG_TIPSETS`
/// at a time and keeps the extra ones until they are asked for.
struct NetPeer<'a> {
    handle: &'a NetHandle,
    peer: PeerId,
    head: (TipsetKey, u64),
    cache: std::cell::RefCell<HashMap<TipsetKey, TipsetBlocks>>,
    /// Bytes of answers received so far (a sync holds what it fetched until it meets the
    /// chain, so this bounds its memory).
    received: std::cell::Cell<usize>,
}

/// Most bytes of chain-exchange answers one sync takes before it meets our chain.
pub const MAX_SYNC_BYTES: usize = 1 << 30;

impl ChainSource for NetPeer<'_> {
    fn head(&self) -> Result<(TipsetKey, u64), String> {
        Ok(self.head.clone())
    }

    fn tipset(&self, key: &TipsetKey) -> Result<TipsetBlocks, String> {
        if let Some(blocks) = self.cache.borrow_mut().remove(key) {
            return Ok(blocks);
        }
        let request = to_cbor(
            "chain exchange request",
            &XchgRequest(key.0.clone(), MAX_XCHG_TIPSETS),
        )
        .map_err(|e| e.to_string())?;
        let bytes = self
            .handle
            .blocking_chain_request(self.peer, request)
            .map_err(|e| e.to_string())?;
        let received = self.received.get().saturating_add(bytes.len());
        if received > MAX_SYNC_BYTES {
            return Err(format!(
                "the peer sent more than {MAX_SYNC_BYTES} bytes of chain without meeting ours"
            ));
        }
        self.received.set(received);
        let XchgResponse(tipsets) =
            XchgResponse::decode(&bytes).map_err(|e| format!("malformed answer: {e}"))?;
        let mut cache = self.cache.borrow_mut();
        cache.clear();
        let mut first = None;
        for blocks in tipsets {
            let tipset = Tipset::new(blocks.iter().map(|(h, _)| h.clone()).collect())
                .map_err(|e| format!("malformed tipset in the answer: {e}"))?;
            if first.is_none() {
                first = Some(blocks);
            } else {
                cache.insert(tipset.key().clone(), blocks);
            }
        }
        first.ok_or_else(|| format!("the peer does not have tipset {key:?}"))
    }
}

fn sync_worker(
    chain: &Mutex<ChainService>,
    handle: &NetHandle,
    status: &NetStatus,
    targets: &std::sync::mpsc::Receiver<SyncTarget>,
) {
    while let Ok(target) = targets.recv() {
        let known = chain
            .lock()
            .ok()
            .and_then(|c| c.store().meta(&target.key).ok().flatten())
            .is_some_and(|m| m.executed.is_some());
        if known {
            continue;
        }
        status.syncing.store(true, Ordering::SeqCst);
        let peer = NetPeer {
            handle,
            peer: target.peer,
            head: (target.key, target.height),
            cache: std::cell::RefCell::new(HashMap::new()),
            received: std::cell::Cell::new(0),
        };
        match sync_from(chain, &peer, SYNC_WINDOW) {
            Ok(report) => tracing::info!(
                peer = %target.peer,
                fetched = report.fetched,
                height = report.height,
                "synced"
            ),
            Err(SyncError::Chain(ChainServiceError::InvalidBlock { cid, source })) => {
                tracing::warn!(peer = %target.peer, block = %cid, "sync: invalid block: {source}");
                handle.try_penalize(target.peer, Misbehaviour::InvalidBlock);
            }
            Err(SyncError::Peer(e)) => {
                tracing::info!(peer = %target.peer, "sync: {e}");
                handle.try_penalize(target.peer, Misbehaviour::FailedRequest);
            }
            Err(e) => tracing::warn!(peer = %target.peer, "sync: {e}"),
        }
        status.syncing.store(false, Ordering::SeqCst);
    }
}
