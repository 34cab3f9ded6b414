//! Bitswap 1.2 (`/ipfs/bitswap/1.2.0`), client and server, on plain libp2p streams.
//!
//! Three kinds of task, none of them the swarm's:
//!
//! - **the engine** ([`Engine`]) keeps this node's wants: who was asked for what, who said
//!   HAVE or DONT_HAVE, who is waiting for which block. A new want goes as want-block to the
//!   peer that delivered a block most recently (the likely holder of the rest of a DAG) and as
//!   want-have to the others; a HAVE earns a want-block when no asked peer is left; every
//!   [`REBROADCAST`] unanswered wants go as want-block to every peer. A delivered block
//!   cancels the want everywhere else.
//! - **a peer task** per connected peer ([`peer`]) owns the stream we send on and that peer's
//!   wantlist: it reads the blocks the peer wants from the store off the async runtime and
//!   sends them in messages of at most [`message::MAX_MESSAGE_BYTES`] as they are read, with
//!   HAVE / DONT_HAVE answers; our own wants ride in the same messages.
//! - **a reader task** per inbound stream reads length-prefixed messages (at most 4 MiB each),
//!   decodes them and hashes every block off the async runtime: a block's CID is what its bytes
//!   hash to, so nothing unverified reaches the engine. A peer whose message does not decode is
//!   scored down ([`crate::Misbehaviour::MalformedData`]) and the stream dropped.
//!
//! Every queue is bounded: the engine's input, each peer task's input, a peer's wantlist
//! ([`MAX_PEER_WANTS`]), inbound streams ([`MAX_INBOUND_STREAMS`], [`MAX_STREAMS_PER_PEER`]),
//! and this node's open wants (`Limits::max_outbound_requests`).

pub mod message;
mod peer;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cid::Cid;
use futures::{AsyncReadExt as _, StreamExt as _};
use libp2p::{PeerId, StreamProtocol};
use tokio::sync::{mpsc, oneshot};

use crate::{Command, Misbehaviour, NetError};
use message::{Message, MessageError, Presence, WantEntry, WantType};

/// The protocol id.
pub const PROTOCOL: StreamProtocol = StreamProtocol::new("/ipfs/bitswap/1.2.0");
/// Capacity of the engine's input queue.
const ENGINE_QUEUE: usize = 4096;
/// Most wants kept for one peer (Helia's default wantlist size).
pub const MAX_PEER_WANTS: usize = 1024;
/// Most inbound bitswap streams read at once, from all peers.
pub const MAX_INBOUND_STREAMS: usize = 256;
/// Most inbound bitswap streams read at once from one peer.
pub const MAX_STREAMS_PER_PEER: usize = 8;
/// Most bytes of received messages held at once (being read, hashed, or handed over), in
/// KiB: a message's whole length is reserved before its body is read, and readers wait for
/// room (their peers' streams stall) rather than allocate past it.
const INBOUND_BUDGET_KIB: usize = 256 << 10;
/// How often wants nobody answered are sent again, as want-block, to every peer.
pub const REBROADCAST: Duration = Duration::from_secs(10);
/// How recently a peer must have delivered a block to be asked first.
const RECENT_PROVIDER: Duration = Duration::from_secs(30);
/// Engine housekeeping period (timeouts, rebroadcasts).
const TICK: Duration = Duration::from_millis(500);
/// How long the rest of a message may take to arrive once its length has.
const FRAME_TIMEOUT: Duration = Duration::from_secs(60);

type Reply = oneshot::Sender<Result<Vec<u8>, NetError>>;

/// What the engine is told.
pub(crate) enum Input {
    /// The node wants a block.
    Get {
        cid: Cid,
        deadline: Instant,
        reply: Reply,
    },
    /// A peer connected (first connection).
    Connected(PeerId),
    /// A peer's last connection closed.
    Disconnected(PeerId),
    /// A peer does not speak bitswap.
    Unsupported(PeerId),
    /// A decoded message whose blocks were checked.
    Received(PeerId, Verified),
    /// The network is stopping.
    Shutdown,
}

/// A received message after decoding and hashing.
pub(crate) struct Verified {
    wants: Vec<WantEntry>,
    full: bool,
    /// Blocks under the CIDs their bytes hash to.
    blocks: Vec<(Cid, Vec<u8>)>,
    presences: Vec<(Cid, Presence)>,
    /// The message's share of the inbound budget, held until the engine has taken it.
    _budget: Option<tokio::sync::OwnedSemaphorePermit>,
}

/// What a peer task is told.
pub(crate) enum ToPeer {
    /// Our wants and cancels, to send.
    Ours(Vec<WantEntry>),
    /// The peer's wantlist update, to serve.
    Theirs { wants: Vec<WantEntry>, full: bool },
}

/// Starts bitswap on `control`: returns the engine's input (for the swarm's connection events
/// and the handle's block requests).
pub(crate) fn spawn(
    mut control: libp2p_stream::Control,
    store: Arc<dyn flowcoin_dag::store::Blockstore + Send + Sync>,
    commands: mpsc::WeakSender<Command>,
    max_wants: usize,
) -> Result<mpsc::Sender<Input>, NetError> {
    let incoming = control
        .accept(PROTOCOL)
        .map_err(|e| NetError::Build(format!("bitswap: {e}")))?;
    let (tx, rx) = mpsc::channel(ENGINE_QUEUE);
    tokio::spawn(accept_streams(incoming, tx.clone(), Penalties(commands)));
    let engine = Engine {
        inputs: rx,
        me: tx.clone(),
        control,
        store,
        in_flight: Arc::new(tokio::sync::Semaphore::new(peer::MESSAGES_IN_FLIGHT)),
        peers: HashMap::new(),
        wants: HashMap::new(),
        max_wants,
    };
    tokio::spawn(engine.run());
    Ok(tx)
}

/// Reports misbehaving peers to the swarm task without keeping it alive.
#[derive(Clone)]
struct Penalties(mpsc::WeakSender<Command>);

impl Penalties {
    fn penalize(&self, peer: PeerId, what: Misbehaviour) {
        if let Some(commands) = self.0.upgrade() {
            let _ = commands.try_send(Command::Penalize(peer, what));
        }
    }
}

struct PeerEntry {
    tx: mpsc::Sender<ToPeer>,
    /// The peer task (it reads the store: shutdown waits for it).
    task: tokio::task::JoinHandle<()>,
    /// When the peer last delivered a block we wanted.
    last_block: Option<Instant>,
}

struct Want {
    waiters: Vec<(Reply, Instant)>,
    /// Peers sent want-block and not (yet) answered DONT_HAVE.
    block_asked: HashSet<PeerId>,
    /// Peers sent anything about this CID (they get the cancel).
    told: HashSet<PeerId>,
    /// Peers that said HAVE.
    haves: Vec<PeerId>,
    last_broadcast: Instant,
}

struct Engine {
    inputs: mpsc::Receiver<Input>,
    me: mpsc::Sender<Input>,
    control: libp2p_stream::Control,
    store: Arc<dyn flowcoin_dag::store::Blockstore + Send + Sync>,
    in_flight: Arc<tokio::sync::Semaphore>,
    peers: HashMap<PeerId, PeerEntry>,
    wants: HashMap<Cid, Want>,
    max_wants: usize,
}

impl Engine {
    async fn run(mut self) {
        let mut tick = tokio::time::interval(TICK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                input = self.inputs.recv() => match input {
                    None | Some(Input::Shutdown) => break,
                    Some(input) => self.on_input(input),
                },
                _ = tick.tick() => self.housekeeping(Instant::now()),
            }
        }
        for (_, want) in self.wants.drain() {
            for (reply, _) in want.waiters {
                let _ = reply.send(Err(NetError::Stopped));
            }
        }
        // Peer tasks read the store: they end (their queues closed) before the engine's input
        // closes, which is what `NetHandle::shutdown` waits for.
        let Engine {
            inputs,
            store,
            peers,
            ..
        } = self;
        let tasks: Vec<_> = peers.into_values().map(|p| p.task).collect();
        let _ =
            tokio::time::timeout(Duration::from_secs(5), futures::future::join_all(tasks)).await;
        drop(store);
        drop(inputs);
        tracing::debug!("bitswap stopped");
    }

    fn on_input(&mut self, input: Input) {
        match input {
            Input::Get {
                cid,
                deadline,
                reply,
            } => self.get(cid, deadline, reply),
            Input::Connected(peer) => self.connected(peer),
            Input::Disconnected(peer) | Input::Unsupported(peer) => self.disconnected(peer),
            Input::Received(peer, message) => self.received(peer, message),
            Input::Shutdown => {}
        }
    }

    /// Sends `entries` to `peer`'s task; a full queue drops them (the rebroadcast repairs
    /// lost wants; a peer whose task cannot keep up is not worth waiting for).
    fn tell(&self, peer: &PeerId, entries: Vec<WantEntry>) {
        if let Some(p) = self.peers.get(peer)
            && let Err(e) = p.tx.try_send(ToPeer::Ours(entries))
        {
            tracing::debug!(%peer, "bitswap peer queue: {e}");
        }
    }

    fn get(&mut self, cid: Cid, deadline: Instant, reply: Reply) {
        if let Some(want) = self.wants.get_mut(&cid) {
            want.waiters.push((reply, deadline));
            return;
        }
        if self.wants.len() >= self.max_wants {
            let _ = reply.send(Err(NetError::Busy(self.wants.len())));
            return;
        }
        let now = Instant::now();
        let recent = now.checked_sub(RECENT_PROVIDER);
        let best = self
            .peers
            .iter()
            .filter_map(|(p, e)| e.last_block.map(|t| (t, *p)))
            .filter(|(t, _)| recent.is_none_or(|r| *t >= r))
            .max()
            .map(|(_, p)| p);
        let mut want = Want {
            waiters: vec![(reply, deadline)],
            block_asked: HashSet::new(),
            told: HashSet::new(),
            haves: Vec::new(),
            last_broadcast: now,
        };
        let peers: Vec<PeerId> = self.peers.keys().copied().collect();
        for peer in peers {
            // With a likely holder, the others are only asked whether they have it (so
            // the bytes come once); without one, everyone is asked for the block.
            let want_type = if best.is_none_or(|b| b == peer) {
                want.block_asked.insert(peer);
                WantType::Block
            } else {
                WantType::Have
            };
            want.told.insert(peer);
            self.tell(&peer, vec![WantEntry::want(cid, want_type)]);
        }
        self.wants.insert(cid, want);
    }

    fn connected(&mut self, peer: PeerId) {
        if self.peers.contains_key(&peer) {
            return;
        }
        let (tx, task) = peer::spawn(
            peer,
            self.control.clone(),
            Arc::clone(&self.store),
            self.me.clone(),
            Arc::clone(&self.in_flight),
        );
        self.peers.insert(
            peer,
            PeerEntry {
                tx,
                task,
                last_block: None,
            },
        );
        let mut entries = Vec::new();
        for (cid, want) in &mut self.wants {
            want.told.insert(peer);
            entries.push(WantEntry::want(*cid, WantType::Have));
        }
        if !entries.is_empty() {
            self.tell(&peer, entries);
        }
    }

    fn disconnected(&mut self, peer: PeerId) {
        if self.peers.remove(&peer).is_none() {
            return;
        }
        let cids: Vec<Cid> = self.wants.keys().copied().collect();
        for cid in cids {
            if let Some(want) = self.wants.get_mut(&cid) {
                want.told.remove(&peer);
                want.haves.retain(|p| *p != peer);
                if want.block_asked.remove(&peer) {
                    self.ask_a_holder(cid);
                }
            }
        }
    }

    /// When nobody asked for `cid`'s block is left, asks a peer that said HAVE.
    fn ask_a_holder(&mut self, cid: Cid) {
        let Some(want) = self.wants.get_mut(&cid) else {
            return;
        };
        if !want.block_asked.is_empty() {
            return;
        }
        if let Some(holder) = want.haves.pop() {
            want.block_asked.insert(holder);
            self.tell(&holder, vec![WantEntry::want(cid, WantType::Block)]);
        }
    }

    fn received(&mut self, peer: PeerId, message: Verified) {
        if !self.peers.contains_key(&peer) {
            // A message can beat the connection event; the peer is connected.
            self.connected(peer);
        }
        let now = Instant::now();
        for (cid, data) in message.blocks {
            let Some(want) = self.wants.remove(&cid) else {
                tracing::trace!(%peer, %cid, "unwanted block");
                continue;
            };
            if let Some(p) = self.peers.get_mut(&peer) {
                p.last_block = Some(now);
            }
            for other in want.told.iter().filter(|p| **p != peer) {
                self.tell(other, vec![WantEntry::cancel(cid)]);
            }
            let last = want.waiters.len().saturating_sub(1);
            let mut data = Some(data);
            for (i, (reply, _)) in want.waiters.into_iter().enumerate() {
                let bytes = if i == last { data.take() } else { data.clone() };
                let _ = reply.send(Ok(bytes.unwrap_or_default()));
            }
        }
        for (cid, presence) in message.presences {
            let Some(want) = self.wants.get_mut(&cid) else {
                continue;
            };
            match presence {
                Presence::Have => {
                    if !want.haves.contains(&peer) && !want.block_asked.contains(&peer) {
                        want.haves.push(peer);
                    }
                }
                Presence::DontHave => {
                    want.haves.retain(|p| *p != peer);
                    want.block_asked.remove(&peer);
                }
            }
            self.ask_a_holder(cid);
        }
        if (message.full || !message.wants.is_empty())
            && let Some(p) = self.peers.get(&peer)
            && let Err(e) = p.tx.try_send(ToPeer::Theirs {
                wants: message.wants,
                full: message.full,
            })
        {
            tracing::debug!(%peer, "bitswap peer queue full, wantlist update dropped: {e}");
        }
    }

    fn housekeeping(&mut self, now: Instant) {
        let mut gone = Vec::new();
        for (cid, want) in &mut self.wants {
            let (expired, live): (Vec<_>, Vec<_>) =
                want.waiters.drain(..).partition(|(_, d)| *d <= now);
            want.waiters = live;
            for (reply, _) in expired {
                let _ = reply.send(Err(NetError::BlockTimeout(*cid)));
            }
            want.waiters.retain(|(reply, _)| !reply.is_closed());
            if want.waiters.is_empty() {
                gone.push(*cid);
            }
        }
        for cid in gone {
            if let Some(want) = self.wants.remove(&cid) {
                for peer in &want.told {
                    self.tell(peer, vec![WantEntry::cancel(cid)]);
                }
            }
        }
        let peers: Vec<PeerId> = self.peers.keys().copied().collect();
        let mut rebroadcast: Vec<Cid> = Vec::new();
        for (cid, want) in &mut self.wants {
            if now.duration_since(want.last_broadcast) >= REBROADCAST {
                want.last_broadcast = now;
                want.block_asked.extend(peers.iter().copied());
                want.told.extend(peers.iter().copied());
                rebroadcast.push(*cid);
            }
        }
        if !rebroadcast.is_empty() {
            tracing::debug!(wants = rebroadcast.len(), "bitswap rebroadcast");
            for peer in &peers {
                let entries = rebroadcast
                    .iter()
                    .map(|c| WantEntry::want(*c, WantType::Block))
                    .collect();
                self.tell(peer, entries);
            }
        }
    }
}

/// Counts inbound streams, globally and per peer.
#[derive(Default)]
struct StreamCounts {
    total: usize,
    per_peer: HashMap<PeerId, usize>,
}

/// Releases a stream's count when its reader ends.
struct StreamSlot {
    counts: Arc<Mutex<StreamCounts>>,
    peer: PeerId,
}

impl StreamSlot {
    fn take(counts: &Arc<Mutex<StreamCounts>>, peer: PeerId) -> Option<StreamSlot> {
        let mut c = counts.lock().unwrap_or_else(|e| e.into_inner());
        let mine = c.per_peer.get(&peer).copied().unwrap_or(0);
        if c.total >= MAX_INBOUND_STREAMS || mine >= MAX_STREAMS_PER_PEER {
            return None;
        }
        c.total = c.total.saturating_add(1);
        c.per_peer.insert(peer, mine.saturating_add(1));
        Some(StreamSlot {
            counts: Arc::clone(counts),
            peer,
        })
    }
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        let mut c = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        c.total = c.total.saturating_sub(1);
        if let Some(n) = c.per_peer.get_mut(&self.peer) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                c.per_peer.remove(&self.peer);
            }
        }
    }
}

async fn accept_streams(
    mut incoming: libp2p_stream::IncomingStreams,
    engine: mpsc::Sender<Input>,
    penalties: Penalties,
) {
    let counts = Arc::new(Mutex::new(StreamCounts::default()));
    let budget = Arc::new(tokio::sync::Semaphore::new(INBOUND_BUDGET_KIB));
    while let Some((peer, stream)) = incoming.next().await {
        let Some(slot) = StreamSlot::take(&counts, peer) else {
            tracing::debug!(%peer, "too many bitswap streams; one dropped");
            continue;
        };
        tokio::spawn(read_stream(
            peer,
            stream,
            engine.clone(),
            penalties.clone(),
            Arc::clone(&budget),
            slot,
        ));
        if engine.is_closed() {
            break;
        }
    }
}

/// Why a frame could not be read.
enum FrameError {
    Io(std::io::Error),
    TooLarge(u64),
    BadLength,
}

/// Reads one length-prefixed frame, with room for it reserved in `budget`; `None` at a clean
/// end of stream.
async fn read_frame(
    stream: &mut libp2p::Stream,
    budget: &Arc<tokio::sync::Semaphore>,
) -> Result<Option<(Vec<u8>, tokio::sync::OwnedSemaphorePermit)>, FrameError> {
    let mut len: u64 = 0;
    let mut shift = 0u32;
    let mut first = true;
    loop {
        let mut byte = [0u8; 1];
        match stream.read(&mut byte).await {
            Ok(0) if first => return Ok(None),
            Ok(0) => {
                return Err(FrameError::Io(std::io::ErrorKind::UnexpectedEof.into()));
            }
            Ok(_) => {}
            Err(e) => return Err(FrameError::Io(e)),
        }
        first = false;
        let [b] = byte;
        len |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            break;
        }
        shift = shift.saturating_add(7);
        if shift > 28 {
            return Err(FrameError::BadLength);
        }
    }
    if len > message::MAX_MESSAGE_BYTES as u64 {
        return Err(FrameError::TooLarge(len));
    }
    let len = usize::try_from(len).map_err(|_| FrameError::TooLarge(len))?;
    let kib = u32::try_from(len.div_ceil(1024)).map_err(|_| FrameError::BadLength)?;
    let permit = Arc::clone(budget)
        .acquire_many_owned(kib)
        .await
        .map_err(|_| FrameError::Io(std::io::ErrorKind::BrokenPipe.into()))?;
    let mut buf = vec![0u8; len];
    match tokio::time::timeout(FRAME_TIMEOUT, stream.read_exact(&mut buf)).await {
        Ok(Ok(())) => Ok(Some((buf, permit))),
        Ok(Err(e)) => Err(FrameError::Io(e)),
        Err(_) => Err(FrameError::Io(std::io::ErrorKind::TimedOut.into())),
    }
}

/// Decodes a message and hashes its blocks (blocking work).
fn verify(bytes: &[u8]) -> Result<Verified, MessageError> {
    let m = Message::decode(bytes)?;
    let mut blocks = Vec::with_capacity(m.blocks.len());
    for b in m.blocks {
        match message::block_cid(&b) {
            Ok(cid) => blocks.push((cid, b.data)),
            // Not the sender's fault: we cannot check it, so we do not use it.
            Err(MessageError::UnsupportedHash(code)) => {
                tracing::debug!(code, "bitswap block with a hash this node cannot compute");
            }
            Err(e) => return Err(e),
        }
    }
    Ok(Verified {
        wants: m.wants,
        full: m.full,
        blocks,
        presences: m.presences,
        _budget: None,
    })
}

async fn read_stream(
    peer: PeerId,
    mut stream: libp2p::Stream,
    engine: mpsc::Sender<Input>,
    penalties: Penalties,
    budget: Arc<tokio::sync::Semaphore>,
    _slot: StreamSlot,
) {
    loop {
        let (bytes, permit) = match read_frame(&mut stream, &budget).await {
            Ok(Some(frame)) => frame,
            Ok(None) => return,
            Err(FrameError::Io(e)) => {
                tracing::debug!(%peer, "bitswap stream: {e}");
                return;
            }
            Err(FrameError::TooLarge(len)) => {
                tracing::info!(%peer, len, "bitswap message over 4 MiB; stream dropped");
                penalties.penalize(peer, Misbehaviour::MalformedData);
                return;
            }
            Err(FrameError::BadLength) => {
                tracing::info!(%peer, "bitswap message length is not a varint; stream dropped");
                penalties.penalize(peer, Misbehaviour::MalformedData);
                return;
            }
        };
        let verified = match tokio::task::spawn_blocking(move || verify(&bytes)).await {
            Ok(Ok(v)) => Verified {
                _budget: Some(permit),
                ..v
            },
            Ok(Err(e)) => {
                tracing::info!(%peer, "{e}; stream dropped");
                penalties.penalize(peer, Misbehaviour::MalformedData);
                return;
            }
            Err(_) => return,
        };
        // Waits when the engine is busy: the peer's stream, not our memory, takes the
        // backlog.
        if engine.send(Input::Received(peer, verified)).await.is_err() {
            return;
        }
    }
}
