//! Flowcoin's peer-to-peer network: the libp2p swarm and every protocol on it.
//!
//! One swarm per node, on TCP with Noise and Yamux, carrying:
//!
//! | protocol | what for |
//! |---|---|
//! | `/ipfs/id/1.0.0` (identify), `/ipfs/ping/1.0.0` | addresses, protocols, liveness |
//! | Kademlia (`/ipfs/kad/1.0.0` by default) | peer discovery, provider records for pinned roots |
//! | gossipsub: `/flowcoin/<net>/blocks`, `/flowcoin/<net>/msgs` | new blocks and messages |
//! | `/flowcoin/<net>/hello/1` | heads exchanged when peers connect |
//! | `/flowcoin/<net>/chain-xchg/1` | tipsets (blocks and messages) fetched by syncing nodes |
//! | `/ipfs/bitswap/1.2.0` | blocks of content DAGs, with IPFS peers too |
//!
//! This crate moves bytes and keeps peers in check; it does not know what a block means. The
//! node receives [`NetEvent`]s (gossip to validate, hellos, chain-exchange requests to answer)
//! and drives the network through a [`NetHandle`] (publish, request, fetch a block, report a
//! misbehaving peer). Everything is bounded: the command and event queues, pending requests
//! and answers, bitswap queries, the peer score table, connections (`NetConfig::limits`), and
//! every payload a peer may send (see [`Limits`]).
//!
//! Gossip is validated before it is forwarded: the node reports each message's verdict
//! ([`NetHandle::report`]); a peer that sends invalid blocks, messages or data is scored down
//! ([`scores`]) and, at the ban score, disconnected and refused for a while.

pub mod bitswap;
mod codec;
pub mod scores;
mod service;

use std::path::Path;
use std::time::Duration;

pub use libp2p::identity::Keypair;
pub use libp2p::{Multiaddr, PeerId, multiaddr};
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, oneshot};

pub use scores::Misbehaviour;
pub use service::spawn;

/// Connection and payload bounds.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Most established connections in all.
    pub max_connections: u32,
    /// Most connections being set up at once, each way.
    pub max_pending: u32,
    /// Largest gossip message (a block with its messages, or one message), in bytes.
    pub max_gossip_bytes: usize,
    /// Largest chain-exchange response, in bytes.
    pub max_xchg_response_bytes: u64,
    /// Most requests this node has in flight (chain exchange and bitswap, each).
    pub max_outbound_requests: usize,
    /// Most peer requests waiting for the node's answer.
    pub max_inbound_requests: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_connections: 128,
            max_pending: 32,
            max_gossip_bytes: 4 << 20,
            max_xchg_response_bytes: 32 << 20,
            max_outbound_requests: 1024,
            max_inbound_requests: 64,
        }
    }
}

/// What the network is started with (the `[net]` section of `config.toml`, plus the key and
/// the network's name).
#[derive(Debug, Clone)]
pub struct NetConfig {
    /// The network's name, in protocol ids and gossip topics (`devnet`, `mainnet`).
    pub network: String,
    /// The node's identity.
    pub keypair: Keypair,
    /// Addresses to listen on.
    pub listen: Vec<Multiaddr>,
    /// Peers dialled at start (with or without `/p2p/<id>`).
    pub bootstrap: Vec<Multiaddr>,
    /// Bounds.
    pub limits: Limits,
    /// The Kademlia protocol id.
    pub kad_protocol: String,
}

impl NetConfig {
    /// A configuration for `network` with the default bounds and the IPFS DHT's protocol.
    pub fn new(network: impl Into<String>, keypair: Keypair) -> Self {
        Self {
            network: network.into(),
            keypair,
            listen: Vec::new(),
            bootstrap: Vec::new(),
            limits: Limits::default(),
            kad_protocol: "/ipfs/kad/1.0.0".into(),
        }
    }
}

/// Why the network could not start, or a request failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NetError {
    /// A listen address could not be used.
    #[error("cannot listen on {addr}: {reason}")]
    Listen {
        /// The address.
        addr: Multiaddr,
        /// Why.
        reason: String,
    },
    /// The swarm could not be built.
    #[error("building the swarm: {0}")]
    Build(String),
    /// The network task has stopped.
    #[error("the network has stopped")]
    Stopped,
    /// Too many requests in flight.
    #[error("too many requests in flight ({0}); try again")]
    Busy(usize),
    /// The peer failed to answer, or the request timed out.
    #[error("request to {peer} failed: {reason}")]
    Request {
        /// The peer asked.
        peer: PeerId,
        /// Why.
        reason: String,
    },
    /// No connected peer had the block in time.
    #[error("block {0} not found on the network in time")]
    BlockTimeout(cid::Cid),
    /// A dial failed.
    #[error("dialing {0}: {1}")]
    Dial(Multiaddr, String),
    /// The identity key file could not be read or written.
    #[error("identity key {path}: {reason}")]
    Key {
        /// The file.
        path: std::path::PathBuf,
        /// Why.
        reason: String,
    },
}

/// Which gossip topic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Topic {
    /// New blocks.
    Blocks,
    /// New messages.
    Messages,
}

/// A gossip message's verdict, reported by the node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Valid: forward it.
    Accept,
    /// Not forwarded, not the sender's fault (a duplicate, a block whose parent is unknown).
    Ignore,
    /// Invalid: not forwarded; the sender is penalised for `Misbehaviour`.
    Reject(Misbehaviour),
}

/// Identifies a gossip message for [`NetHandle::report`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GossipId {
    pub(crate) id: libp2p::gossipsub::MessageId,
    /// The peer that forwarded it.
    pub source: PeerId,
}

/// Identifies a peer's request waiting for [`NetHandle::respond`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct InboundId(pub(crate) u64);

/// What the network tells the node.
#[derive(Debug)]
#[non_exhaustive]
pub enum NetEvent {
    /// Listening on a new address (with `/p2p/<our id>`).
    Listening(Multiaddr),
    /// A peer connected (first connection).
    Connected(PeerId),
    /// A peer's last connection closed.
    Disconnected(PeerId),
    /// A peer's hello (its answer to ours, or its request, which was answered with ours).
    Hello {
        /// The peer.
        peer: PeerId,
        /// Its hello, undecoded.
        payload: Vec<u8>,
    },
    /// A gossip message to validate; report its verdict with [`NetHandle::report`].
    Gossip {
        /// The topic.
        topic: Topic,
        /// Its id and forwarder.
        id: GossipId,
        /// The payload.
        data: Vec<u8>,
    },
    /// A chain-exchange request; answer with [`NetHandle::respond`].
    ChainRequest {
        /// The peer.
        peer: PeerId,
        /// To pass to `respond`.
        id: InboundId,
        /// The request, undecoded.
        payload: Vec<u8>,
    },
    /// A peer was banned for misbehaving (and disconnected).
    Banned(PeerId),
}

/// A connected peer.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct PeerInfo {
    /// Its id.
    pub peer_id: String,
    /// The addresses of its connections.
    pub addrs: Vec<String>,
    /// What it says it runs (identify's agent version), once known.
    pub agent: Option<String>,
    /// Its score (0 unless it misbehaved).
    pub score: i32,
}

/// Our identity and addresses.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct AddrInfo {
    /// Our peer id.
    pub peer_id: String,
    /// Our listen addresses, each with `/p2p/<id>`.
    pub addrs: Vec<String>,
}

pub(crate) enum Command {
    Publish(Topic, Vec<u8>),
    Report(GossipId, Verdict),
    SetHello(Vec<u8>),
    ChainRequest {
        peer: PeerId,
        payload: Vec<u8>,
        reply: oneshot::Sender<Result<Vec<u8>, NetError>>,
    },
    Respond(InboundId, Vec<u8>),
    Penalize(PeerId, Misbehaviour),
    Dial(Multiaddr, oneshot::Sender<Result<(), NetError>>),
    Block(PeerId),
    Unblock(PeerId),
    Peers(oneshot::Sender<Vec<PeerInfo>>),
    Addrs(oneshot::Sender<AddrInfo>),
    Provide(cid::Cid),
    FindProviders(cid::Cid, oneshot::Sender<Vec<PeerId>>),
    Shutdown,
}

/// Drives the network; cheap to clone. Methods fail with [`NetError::Stopped`] once the
/// network task has ended.
#[derive(Debug, Clone)]
pub struct NetHandle {
    commands: mpsc::Sender<Command>,
    bitswap: mpsc::Sender<bitswap::Input>,
    local_peer_id: PeerId,
}

impl std::fmt::Debug for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Command")
    }
}

impl NetHandle {
    /// Our peer id.
    pub fn local_peer_id(&self) -> PeerId {
        self.local_peer_id
    }

    async fn send(&self, command: Command) -> Result<(), NetError> {
        self.commands
            .send(command)
            .await
            .map_err(|_| NetError::Stopped)
    }

    async fn ask<T>(
        &self,
        make: impl FnOnce(oneshot::Sender<T>) -> Command,
    ) -> Result<T, NetError> {
        let (tx, rx) = oneshot::channel();
        self.send(make(tx)).await?;
        rx.await.map_err(|_| NetError::Stopped)
    }

    /// Gossips `data` on `topic` (no error if no peer listens yet).
    ///
    /// # Errors
    /// [`NetError::Stopped`].
    pub async fn publish(&self, topic: Topic, data: Vec<u8>) -> Result<(), NetError> {
        self.send(Command::Publish(topic, data)).await
    }

    /// [`publish`](Self::publish) from a thread outside the runtime; does not wait if the
    /// command queue is full (the message is dropped, with an error).
    ///
    /// # Errors
    /// [`NetError::Stopped`] or [`NetError::Busy`].
    pub fn try_publish(&self, topic: Topic, data: Vec<u8>) -> Result<(), NetError> {
        self.commands
            .try_send(Command::Publish(topic, data))
            .map_err(|e| match e {
                mpsc::error::TrySendError::Full(_) => NetError::Busy(self.commands.max_capacity()),
                mpsc::error::TrySendError::Closed(_) => NetError::Stopped,
            })
    }

    /// Reports a gossip message's verdict (once per message).
    ///
    /// # Errors
    /// [`NetError::Stopped`].
    pub async fn report(&self, id: GossipId, verdict: Verdict) -> Result<(), NetError> {
        self.send(Command::Report(id, verdict)).await
    }

    /// Sets the hello this node sends and answers with.
    ///
    /// # Errors
    /// [`NetError::Stopped`].
    pub async fn set_hello(&self, payload: Vec<u8>) -> Result<(), NetError> {
        self.send(Command::SetHello(payload)).await
    }

    /// Sends a chain-exchange request to `peer` and waits for its answer.
    ///
    /// # Errors
    /// [`NetError::Request`] (failure, timeout, too large), [`NetError::Busy`],
    /// [`NetError::Stopped`].
    pub async fn chain_request(&self, peer: PeerId, payload: Vec<u8>) -> Result<Vec<u8>, NetError> {
        self.ask(|reply| Command::ChainRequest {
            peer,
            payload,
            reply,
        })
        .await?
    }

    /// [`chain_request`](Self::chain_request) from a thread outside the runtime (a sync worker).
    ///
    /// # Errors
    /// As [`chain_request`](Self::chain_request).
    pub fn blocking_chain_request(
        &self,
        peer: PeerId,
        payload: Vec<u8>,
    ) -> Result<Vec<u8>, NetError> {
        let (reply, rx) = oneshot::channel();
        self.commands
            .blocking_send(Command::ChainRequest {
                peer,
                payload,
                reply,
            })
            .map_err(|_| NetError::Stopped)?;
        rx.blocking_recv().map_err(|_| NetError::Stopped)?
    }

    /// Answers a peer's chain-exchange request.
    ///
    /// # Errors
    /// [`NetError::Stopped`].
    pub async fn respond(&self, id: InboundId, payload: Vec<u8>) -> Result<(), NetError> {
        self.send(Command::Respond(id, payload)).await
    }

    /// Records a peer's misbehaviour (banned at the ban score).
    ///
    /// # Errors
    /// [`NetError::Stopped`].
    pub async fn penalize(&self, peer: PeerId, what: Misbehaviour) -> Result<(), NetError> {
        self.send(Command::Penalize(peer, what)).await
    }

    /// [`penalize`](Self::penalize) from outside the runtime; dropped if the queue is full.
    pub fn try_penalize(&self, peer: PeerId, what: Misbehaviour) {
        let _ = self.commands.try_send(Command::Penalize(peer, what));
    }

    /// Dials `addr` (with or without `/p2p/<id>`); returns once the dial started.
    ///
    /// # Errors
    /// [`NetError::Dial`], [`NetError::Stopped`].
    pub async fn dial(&self, addr: Multiaddr) -> Result<(), NetError> {
        self.ask(|reply| Command::Dial(addr, reply)).await?
    }

    /// Disconnects `peer` and refuses it until [`unblock`](Self::unblock) (an operator's
    /// decision, e.g. to split a test network).
    ///
    /// # Errors
    /// [`NetError::Stopped`].
    pub async fn block(&self, peer: PeerId) -> Result<(), NetError> {
        self.send(Command::Block(peer)).await
    }

    /// Lifts [`block`](Self::block).
    ///
    /// # Errors
    /// [`NetError::Stopped`].
    pub async fn unblock(&self, peer: PeerId) -> Result<(), NetError> {
        self.send(Command::Unblock(peer)).await
    }

    /// The connected peers.
    ///
    /// # Errors
    /// [`NetError::Stopped`].
    pub async fn peers(&self) -> Result<Vec<PeerInfo>, NetError> {
        self.ask(Command::Peers).await
    }

    /// Our peer id and listen addresses.
    ///
    /// # Errors
    /// [`NetError::Stopped`].
    pub async fn addrs(&self) -> Result<AddrInfo, NetError> {
        self.ask(Command::Addrs).await
    }

    /// Fetches one block over bitswap from the connected peers (and those that connect
    /// before `timeout`). The bytes are the block `cid` names: bitswap hashes every block it
    /// receives and files it under the CID of that hash. Nothing is stored.
    ///
    /// # Errors
    /// [`NetError::BlockTimeout`], [`NetError::Busy`], [`NetError::Stopped`].
    pub async fn get_block(&self, cid: cid::Cid, timeout: Duration) -> Result<Vec<u8>, NetError> {
        let (reply, answer) = oneshot::channel();
        let deadline = std::time::Instant::now()
            .checked_add(timeout)
            .unwrap_or_else(std::time::Instant::now);
        self.bitswap
            .send(bitswap::Input::Get {
                cid,
                deadline,
                reply,
            })
            .await
            .map_err(|_| NetError::Stopped)?;
        answer.await.map_err(|_| NetError::Stopped)?
    }

    /// Announces in the DHT that this node provides `cid`.
    ///
    /// # Errors
    /// [`NetError::Stopped`].
    pub async fn provide(&self, cid: cid::Cid) -> Result<(), NetError> {
        self.send(Command::Provide(cid)).await
    }

    /// Stops the network (every connection closes; handles fail with
    /// [`NetError::Stopped`] afterwards).
    pub async fn shutdown(&self) {
        let _ = self.send(Command::Shutdown).await;
        // Bitswap's tasks read the block store and end after the swarm: wait for them, so the
        // store is free (a node can be reopened) when this returns.
        let _ = tokio::time::timeout(Duration::from_secs(10), self.bitswap.closed()).await;
    }

    /// Looks up the providers of `cid` in the DHT.
    ///
    /// # Errors
    /// [`NetError::Stopped`].
    pub async fn find_providers(&self, cid: cid::Cid) -> Result<Vec<PeerId>, NetError> {
        self.ask(|reply| Command::FindProviders(cid, reply)).await
    }
}

/// Loads the node's identity from `path` (protobuf-encoded, as libp2p writes it), creating
/// a new ed25519 key there if the file does not exist.
///
/// # Errors
/// [`NetError::Key`] if the file cannot be read, parsed or written.
pub fn load_or_create_keypair(path: &Path) -> Result<Keypair, NetError> {
    let err = |reason: String| NetError::Key {
        path: path.to_path_buf(),
        reason,
    };
    match std::fs::read(path) {
        Ok(bytes) => Keypair::from_protobuf_encoding(&bytes).map_err(|e| err(e.to_string())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = Keypair::generate_ed25519();
            let bytes = key.to_protobuf_encoding().map_err(|e| err(e.to_string()))?;
            write_private(path, &bytes).map_err(|e| err(e.to_string()))?;
            Ok(key)
        }
        Err(e) => Err(err(e.to_string())),
    }
}

/// Writes a private file (mode 0600) via a temporary file and a rename.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let tmp = path.with_extension("tmp");
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_identity_is_created_once_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("libp2p.key");
        let a = load_or_create_keypair(&path).unwrap();
        let b = load_or_create_keypair(&path).unwrap();
        assert_eq!(a.public().to_peer_id(), b.public().to_peer_id());
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        std::fs::write(&path, b"garbage").unwrap();
        let err = load_or_create_keypair(&path).unwrap_err();
        assert!(err.to_string().contains("libp2p.key"), "{err}");
    }
}
