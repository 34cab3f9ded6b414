//! One task per connected peer: serves the peer's wantlist and carries our wants to it.
//!
//! The peer task keeps the peer's wants (at most [`MAX_PEER_WANTS`], first come first served),
//! reads the wanted blocks from the store on a blocking thread, and builds messages of about
//! [`TARGET_BYTES`] of blocks (never more than [`MAX_MESSAGE_BYTES`]); a writer task beside it
//! sends each message on our stream to the peer while the next one is read. The stream is
//! opened when there is something to send and closed after [`STREAM_IDLE`] (Helia drops
//! streams idle for 10 s); a failed write is tried once more on a fresh stream. Messages held
//! for sending, from all peers together, are bounded by [`MESSAGES_IN_FLIGHT`].

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use cid::Cid;
use futures::AsyncWriteExt as _;
use libp2p::PeerId;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};

use super::message::{MAX_MESSAGE_BYTES, MAX_WANTLIST, Message, Presence, RawBlock, WantType};
use super::{Input, MAX_PEER_WANTS, PROTOCOL, ToPeer};

/// Capacity of a peer task's input.
const PEER_QUEUE: usize = 256;
/// Block bytes a message aims at before it is sent.
pub const TARGET_BYTES: usize = 1 << 20;
/// Room kept in a message for its wantlist and presences.
const OVERHEAD_BYTES: usize = 256 << 10;
/// Largest block this node can serve (it must fit in one message).
pub const MAX_BLOCK_BYTES: usize = MAX_MESSAGE_BYTES - OVERHEAD_BYTES;
/// Wants handed to one blocking read.
const READ_BATCH: usize = 64;
/// Our own wants per message (the rest go in the next one).
const OURS_PER_MESSAGE: usize = MAX_WANTLIST / 2;
/// An idle stream is closed after this.
pub const STREAM_IDLE: Duration = Duration::from_secs(5);
/// How long opening a stream may take.
const OPEN_TIMEOUT: Duration = Duration::from_secs(10);
/// How long writing one message may take.
const SEND_TIMEOUT: Duration = Duration::from_secs(30);
/// Messages built and not yet sent, all peers together.
pub const MESSAGES_IN_FLIGHT: usize = 64;

/// Starts the tasks for `peer`; dropping the returned sender stops them.
pub(super) fn spawn(
    peer: PeerId,
    control: libp2p_stream::Control,
    store: Arc<dyn flowcoin_dag::store::Blockstore + Send + Sync>,
    engine: mpsc::Sender<Input>,
    in_flight: Arc<Semaphore>,
) -> (mpsc::Sender<ToPeer>, tokio::task::JoinHandle<()>) {
    let (tx, rx) = mpsc::channel(PEER_QUEUE);
    let (out_tx, out_rx) = mpsc::channel(1);
    tokio::spawn(write_loop(peer, control, engine, out_rx));
    let task = PeerTask {
        store,
        rx,
        in_flight,
        out: out_tx,
        ours: HashMap::new(),
        theirs: HashMap::new(),
        queue: VecDeque::new(),
        carry: None,
    };
    (tx, tokio::spawn(task.run()))
}

type Store = Arc<dyn flowcoin_dag::store::Blockstore + Send + Sync>;

/// A want of the peer's: its type and whether it asked for DONT_HAVE.
type TheirWant = (WantType, bool);

struct PeerTask {
    store: Store,
    rx: mpsc::Receiver<ToPeer>,
    /// Shared by every peer task: bounds the messages held for sending.
    in_flight: Arc<Semaphore>,
    out: mpsc::Sender<(Vec<u8>, OwnedSemaphorePermit)>,
    /// Our wants and cancels not yet sent (the last word per CID).
    ours: HashMap<Cid, super::message::WantEntry>,
    /// The peer's wants not yet served.
    theirs: HashMap<Cid, TheirWant>,
    /// Their wants in arrival order (entries no longer in `theirs` are skipped).
    queue: VecDeque<Cid>,
    /// A block read that did not fit in the last message.
    carry: Option<(Cid, Vec<u8>)>,
}

impl PeerTask {
    fn has_work(&self) -> bool {
        !self.ours.is_empty() || !self.theirs.is_empty() || self.carry.is_some()
    }

    async fn run(mut self) {
        loop {
            if !self.has_work() {
                match self.rx.recv().await {
                    Some(m) => self.apply(m),
                    None => return,
                }
            }
            loop {
                match self.rx.try_recv() {
                    Ok(m) => self.apply(m),
                    Err(mpsc::error::TryRecvError::Empty) => break,
                    Err(mpsc::error::TryRecvError::Disconnected) => return,
                }
            }
            let Ok(permit) = Arc::clone(&self.in_flight).acquire_owned().await else {
                return;
            };
            let message = self.next_message().await;
            if message.is_empty() {
                continue;
            }
            if self
                .out
                .send((message.encode_framed(), permit))
                .await
                .is_err()
            {
                // The writer ended: the peer does not speak bitswap.
                return;
            }
        }
    }

    fn apply(&mut self, m: ToPeer) {
        match m {
            ToPeer::Ours(entries) => {
                for e in entries {
                    self.ours.insert(e.cid, e);
                }
            }
            ToPeer::Theirs { wants, full } => {
                if full {
                    self.theirs.clear();
                    self.queue.clear();
                }
                for e in wants {
                    if e.cancel {
                        self.theirs.remove(&e.cid);
                    } else if let Some(w) = self.theirs.get_mut(&e.cid) {
                        // A want-have upgraded to want-block (never the other way).
                        if e.want_type == WantType::Block {
                            w.0 = WantType::Block;
                        }
                        w.1 |= e.send_dont_have;
                    } else if self.theirs.len() < MAX_PEER_WANTS {
                        self.theirs.insert(e.cid, (e.want_type, e.send_dont_have));
                        self.queue.push_back(e.cid);
                    } else {
                        tracing::debug!(cid = %e.cid, "peer's wantlist is full; want ignored");
                    }
                }
                // Cancelled entries linger in the queue; drop them before it grows.
                if self.queue.len() > MAX_PEER_WANTS.saturating_mul(2) {
                    let theirs = &self.theirs;
                    let mut seen = std::collections::HashSet::new();
                    self.queue
                        .retain(|c| theirs.contains_key(c) && seen.insert(*c));
                }
            }
        }
    }

    async fn next_message(&mut self) -> Message {
        let mut m = Message::default();
        let keys: Vec<Cid> = self.ours.keys().take(OURS_PER_MESSAGE).copied().collect();
        for k in keys {
            if let Some(e) = self.ours.remove(&k) {
                m.wants.push(e);
            }
        }
        let mut used = 0usize;
        if let Some((cid, data)) = self.carry.take() {
            used = data.len();
            m.blocks.push(RawBlock {
                prefix: super::message::prefix_of(&cid),
                data,
            });
        }
        let mut batch = Vec::new();
        while batch.len() < READ_BATCH
            && used < TARGET_BYTES
            && let Some(cid) = self.queue.pop_front()
        {
            if let Some(w) = self.theirs.remove(&cid) {
                batch.push((cid, w));
            }
        }
        if batch.is_empty() {
            return m;
        }
        let store = Arc::clone(&self.store);
        let read = tokio::task::spawn_blocking(move || read_batch(&store, batch, used)).await;
        let Ok(read) = read else {
            return m;
        };
        for served in read.served {
            match served {
                Served::Block(cid, data) => m.blocks.push(RawBlock {
                    prefix: super::message::prefix_of(&cid),
                    data,
                }),
                Served::Presence(cid, p) => m.presences.push((cid, p)),
            }
        }
        self.carry = read.carry;
        // Unread wants go back to the front, in order.
        for (cid, w) in read.leftover.into_iter().rev() {
            self.theirs.insert(cid, w);
            self.queue.push_front(cid);
        }
        m
    }
}

enum Served {
    Block(Cid, Vec<u8>),
    Presence(Cid, Presence),
}

struct Read {
    served: Vec<Served>,
    carry: Option<(Cid, Vec<u8>)>,
    leftover: Vec<(Cid, TheirWant)>,
}

/// Answers `batch` from the store until about [`TARGET_BYTES`] of blocks (counting `used`
/// already in the message) are read.
fn read_batch(store: &Store, batch: Vec<(Cid, TheirWant)>, mut used: usize) -> Read {
    let mut read = Read {
        served: Vec::new(),
        carry: None,
        leftover: Vec::new(),
    };
    let mut entries = batch.into_iter();
    for (cid, (want_type, send_dont_have)) in entries.by_ref() {
        let dont_have = |read: &mut Read| {
            if send_dont_have {
                read.served.push(Served::Presence(cid, Presence::DontHave));
            }
        };
        match want_type {
            WantType::Have => match store.has(&cid) {
                Ok(true) => read.served.push(Served::Presence(cid, Presence::Have)),
                Ok(false) => dont_have(&mut read),
                Err(e) => {
                    tracing::warn!(%cid, "bitswap: reading the store: {e}");
                    dont_have(&mut read);
                }
            },
            WantType::Block => match store.get(&cid) {
                Ok(Some(data)) if data.len() > MAX_BLOCK_BYTES => {
                    tracing::warn!(%cid, len = data.len(), "block too large for bitswap");
                    dont_have(&mut read);
                }
                Ok(Some(data)) => {
                    let after = used.saturating_add(data.len());
                    if after > MAX_BLOCK_BYTES {
                        read.carry = Some((cid, data));
                        break;
                    }
                    used = after;
                    read.served.push(Served::Block(cid, data));
                }
                Ok(None) => dont_have(&mut read),
                Err(e) => {
                    tracing::warn!(%cid, "bitswap: reading the store: {e}");
                    dont_have(&mut read);
                }
            },
        }
        if used >= TARGET_BYTES {
            break;
        }
    }
    read.leftover = entries.collect();
    read
}

/// Sends framed messages to `peer` on one stream, opened on demand and closed when idle.
async fn write_loop(
    peer: PeerId,
    mut control: libp2p_stream::Control,
    engine: mpsc::Sender<Input>,
    mut messages: mpsc::Receiver<(Vec<u8>, OwnedSemaphorePermit)>,
) {
    let mut stream: Option<libp2p::Stream> = None;
    loop {
        let next = match stream {
            Some(_) => match tokio::time::timeout(STREAM_IDLE, messages.recv()).await {
                Ok(next) => next,
                Err(_) => {
                    close(stream.take()).await;
                    continue;
                }
            },
            None => messages.recv().await,
        };
        let Some((bytes, _permit)) = next else {
            break;
        };
        for attempt in 0..2 {
            let s = match stream.as_mut() {
                Some(s) => s,
                None => {
                    match tokio::time::timeout(OPEN_TIMEOUT, control.open_stream(peer, PROTOCOL))
                        .await
                    {
                        Ok(Ok(s)) => stream.insert(s),
                        Ok(Err(libp2p_stream::OpenStreamError::UnsupportedProtocol(_))) => {
                            tracing::debug!(%peer, "peer does not speak bitswap");
                            let _ = engine.send(Input::Unsupported(peer)).await;
                            return;
                        }
                        Ok(Err(e)) => {
                            tracing::debug!(%peer, "bitswap stream: {e}");
                            break;
                        }
                        Err(_) => {
                            tracing::debug!(%peer, "bitswap stream: open timed out");
                            break;
                        }
                    }
                }
            };
            let write = async {
                s.write_all(&bytes).await?;
                s.flush().await
            };
            match tokio::time::timeout(SEND_TIMEOUT, write).await {
                Ok(Ok(())) => break,
                Ok(Err(e)) => tracing::debug!(%peer, attempt, "bitswap send: {e}"),
                Err(_) => tracing::debug!(%peer, attempt, "bitswap send timed out"),
            }
            // The stream is broken (the peer may have dropped an idle one): a fresh one.
            stream = None;
        }
    }
    close(stream).await;
}

async fn close(stream: Option<libp2p::Stream>) {
    if let Some(mut s) = stream {
        let _ = tokio::time::timeout(Duration::from_secs(1), s.close()).await;
    }
}
