//! The swarm and the task that runs it.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt as _;
use libp2p::multiaddr::Protocol;
use libp2p::request_response::{self, OutboundRequestId, ProtocolSupport, ResponseChannel};
use libp2p::swarm::dial_opts::DialOpts;
use libp2p::swarm::{ConnectionId, NetworkBehaviour, SwarmEvent};
use libp2p::{
    Multiaddr, PeerId, StreamProtocol, Swarm, allow_block_list, connection_limits, gossipsub,
    identify, kad, noise, ping, tcp, yamux,
};
use sha2::Digest as _;
use tokio::sync::{mpsc, oneshot};

use crate::codec::BoundedBytes;
use crate::scores::Scores;
use crate::{
    AddrInfo, Command, GossipId, InboundId, Misbehaviour, NetConfig, NetError, NetEvent, NetHandle,
    PeerInfo, Topic, Verdict,
};

/// Capacity of the command queue (handle → network).
const COMMAND_QUEUE: usize = 1024;
/// Capacity of the event queue (network → node).
const EVENT_QUEUE: usize = 1024;
/// Largest hello, each way.
const MAX_HELLO_BYTES: u64 = 4096;
/// Largest chain-exchange request.
const MAX_XCHG_REQUEST_BYTES: u64 = 4096;
/// How long a request may take before it fails.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Housekeeping period: bans expire, queries time out, bootstrap peers are redialled.
const TICK: Duration = Duration::from_secs(2);
/// How often unreachable bootstrap peers are dialled again.
const REDIAL: Duration = Duration::from_secs(10);
/// Most provider lookups at once.
const MAX_PROVIDER_QUERIES: usize = 64;
/// Most providers collected per lookup.
const MAX_PROVIDERS: usize = 64;
/// Identify's protocol: the IPFS one, so IPFS peers understand us.
const IDENTIFY_PROTOCOL: &str = "/ipfs/id/1.0.0";
/// What identify says we run.
const AGENT: &str = concat!("flowcoin/", env!("CARGO_PKG_VERSION"));

#[derive(NetworkBehaviour)]
struct Behaviour {
    limits: connection_limits::Behaviour,
    blocked: allow_block_list::Behaviour<allow_block_list::BlockedPeers>,
    identify: identify::Behaviour,
    ping: ping::Behaviour,
    kad: kad::Behaviour<kad::store::MemoryStore>,
    gossip: gossipsub::Behaviour,
    hello: request_response::Behaviour<BoundedBytes>,
    xchg: request_response::Behaviour<BoundedBytes>,
    stream: libp2p_stream::Behaviour,
}

fn protocol(text: String) -> Result<StreamProtocol, NetError> {
    StreamProtocol::try_from_owned(text).map_err(|e| NetError::Build(e.to_string()))
}

fn build_behaviour(
    config: &NetConfig,
    key: &libp2p::identity::Keypair,
) -> Result<Behaviour, NetError> {
    let net = &config.network;
    let limits = &config.limits;
    let peer_id = key.public().to_peer_id();

    let connection_limits = connection_limits::ConnectionLimits::default()
        .with_max_established(Some(limits.max_connections))
        .with_max_pending_incoming(Some(limits.max_pending))
        .with_max_pending_outgoing(Some(limits.max_pending))
        .with_max_established_per_peer(Some(2));

    let identify = identify::Behaviour::new(
        identify::Config::new(IDENTIFY_PROTOCOL.into(), key.public())
            .with_agent_version(AGENT.into()),
    );

    let mut kad_config = kad::Config::new(protocol(config.kad_protocol.clone())?);
    kad_config.set_query_timeout(Duration::from_secs(30));
    let store_config = kad::store::MemoryStoreConfig {
        max_records: 1024,
        max_value_bytes: 64 * 1024,
        max_providers_per_key: MAX_PROVIDERS,
        max_provided_keys: 100_000,
    };
    let mut kad = kad::Behaviour::with_config(
        peer_id,
        kad::store::MemoryStore::with_config(peer_id, store_config),
        kad_config,
    );
    // Nodes on private or loopback addresses never get an external address confirmed, and a
    // DHT in client mode answers no one: serve always.
    kad.set_mode(Some(kad::Mode::Server));

    let gossip_config = gossipsub::ConfigBuilder::default()
        .validation_mode(gossipsub::ValidationMode::Strict)
        .validate_messages()
        .max_transmit_size(limits.max_gossip_bytes)
        .message_id_fn(|m: &gossipsub::Message| {
            gossipsub::MessageId::from(sha2::Sha256::digest(&m.data).to_vec())
        })
        .duplicate_cache_time(Duration::from_secs(120))
        .build()
        .map_err(|e| NetError::Build(format!("gossipsub: {e}")))?;
    let mut gossip = gossipsub::Behaviour::new(
        gossipsub::MessageAuthenticity::Signed(key.clone()),
        gossip_config,
    )
    .map_err(|e| NetError::Build(format!("gossipsub: {e}")))?;
    for topic in [Topic::Blocks, Topic::Messages] {
        gossip
            .subscribe(&topic_of(net, topic))
            .map_err(|e| NetError::Build(format!("gossipsub: {e}")))?;
    }

    let rr_config = request_response::Config::default().with_request_timeout(REQUEST_TIMEOUT);
    let hello = request_response::Behaviour::with_codec(
        BoundedBytes {
            max_request: MAX_HELLO_BYTES,
            max_response: MAX_HELLO_BYTES,
        },
        [(
            protocol(format!("/flowcoin/{net}/hello/1"))?,
            ProtocolSupport::Full,
        )],
        rr_config.clone(),
    );
    let xchg = request_response::Behaviour::with_codec(
        BoundedBytes {
            max_request: MAX_XCHG_REQUEST_BYTES,
            max_response: limits.max_xchg_response_bytes,
        },
        [(
            protocol(format!("/flowcoin/{net}/chain-xchg/1"))?,
            ProtocolSupport::Full,
        )],
        rr_config.with_max_concurrent_streams(limits.max_inbound_requests),
    );

    Ok(Behaviour {
        limits: connection_limits::Behaviour::new(connection_limits),
        blocked: allow_block_list::Behaviour::default(),
        identify,
        ping: ping::Behaviour::default(),
        kad,
        gossip,
        hello,
        xchg,
        stream: libp2p_stream::Behaviour::new(),
    })
}

fn topic_of(network: &str, topic: Topic) -> gossipsub::IdentTopic {
    let name = match topic {
        Topic::Blocks => "blocks",
        Topic::Messages => "msgs",
    };
    gossipsub::IdentTopic::new(format!("/flowcoin/{network}/{name}"))
}

/// Yamux with a fixed 256 KiB receive window per stream.
///
/// libp2p-yamux 0.47's default (yamux 0.13) grows a busy stream's window past 1 MiB but
/// refuses any frame over 1 MiB and closes the whole connection; go and js peers send frames
/// as large as the window, so a Helia or Kubo peer sending a few MiB of blocks got us to drop
/// the connection ("frame body is too large (2097140)"). The fixed window (yamux 0.12 inside
/// the same crate, chosen through the only setter that selects it) keeps every frame a peer
/// may send at 256 KiB. Recorded in docs/ARCHITECTURE.md.
const YAMUX_WINDOW: u32 = 1 << 20;

fn yamux_config() -> yamux::Config {
    let mut config = yamux::Config::default();
    #[allow(deprecated)]
    config
        .set_receive_window_size(YAMUX_WINDOW)
        .set_max_buffer_size(YAMUX_WINDOW as usize + (64 << 10));
    config
}

/// Starts the network: listens, dials the bootstrap peers, and runs until every
/// [`NetHandle`] is dropped. Events arrive on the returned receiver (bounded: when the node
/// falls behind, gossip is ignored rather than queued without end).
///
/// Must be called inside a tokio runtime.
///
/// # Errors
/// [`NetError::Build`] or [`NetError::Listen`].
pub fn spawn(
    config: &NetConfig,
    store: Arc<dyn flowcoin_dag::store::Blockstore + Send + Sync>,
) -> Result<(NetHandle, mpsc::Receiver<NetEvent>), NetError> {
    let mut behaviour_error = None;
    let mut swarm = libp2p::SwarmBuilder::with_existing_identity(config.keypair.clone())
        .with_tokio()
        .with_tcp(
            tcp::Config::default().nodelay(true),
            noise::Config::new,
            yamux_config,
        )
        .map_err(|e| NetError::Build(e.to_string()))?
        .with_dns()
        .map_err(|e| NetError::Build(e.to_string()))?
        .with_behaviour(|key| match build_behaviour(config, key) {
            Ok(b) => Ok(b),
            Err(e) => {
                let text = e.to_string();
                behaviour_error = Some(e);
                Err(text.into())
            }
        })
        .map_err(|e| {
            behaviour_error
                .take()
                .unwrap_or(NetError::Build(e.to_string()))
        })?
        .with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(120)))
        .build();

    for addr in &config.listen {
        swarm
            .listen_on(addr.clone())
            .map_err(|e| NetError::Listen {
                addr: addr.clone(),
                reason: e.to_string(),
            })?;
    }
    let local_peer_id = *swarm.local_peer_id();
    let (commands_tx, commands) = mpsc::channel(COMMAND_QUEUE);
    let bitswap = crate::bitswap::spawn(
        swarm.behaviour().stream.new_control(),
        store,
        commands_tx.downgrade(),
        config.limits.max_outbound_requests,
    )?;
    let (events, events_rx) = mpsc::channel(EVENT_QUEUE);
    let mut service = Service {
        topics: [
            (Topic::Blocks, topic_of(&config.network, Topic::Blocks)),
            (Topic::Messages, topic_of(&config.network, Topic::Messages)),
        ],
        limits: config.limits.clone(),
        swarm,
        commands,
        events,
        hello: Vec::new(),
        hello_owed: Vec::new(),
        pending_xchg: HashMap::new(),
        inbound: HashMap::new(),
        next_inbound: 0,
        bitswap: bitswap.clone(),
        provider_queries: HashMap::new(),
        scores: Scores::default(),
        operator_blocked: HashSet::new(),
        connections: HashMap::new(),
        agents: HashMap::new(),
        listen_addrs: Vec::new(),
        bootstrap: config.bootstrap.iter().map(|a| (a.clone(), None)).collect(),
        last_redial: Instant::now(),
    };
    service.dial_bootstrap();
    tokio::spawn(service.run());
    Ok((
        NetHandle {
            commands: commands_tx,
            bitswap,
            local_peer_id,
        },
        events_rx,
    ))
}

/// Where an answer goes.
type Reply<T> = oneshot::Sender<Result<T, NetError>>;

struct ProviderQuery {
    reply: oneshot::Sender<Vec<PeerId>>,
    found: Vec<PeerId>,
}

struct Service {
    topics: [(Topic, gossipsub::IdentTopic); 2],
    limits: crate::Limits,
    swarm: Swarm<Behaviour>,
    commands: mpsc::Receiver<Command>,
    events: mpsc::Sender<NetEvent>,
    /// Empty until the node sets it (answered as is: empty means "not ready").
    hello: Vec<u8>,
    /// Peers dialled before the hello was set.
    hello_owed: Vec<PeerId>,
    pending_xchg: HashMap<OutboundRequestId, (PeerId, Reply<Vec<u8>>)>,
    inbound: HashMap<u64, (ResponseChannel<Vec<u8>>, Instant)>,
    next_inbound: u64,
    /// Bitswap's engine (told of connections).
    bitswap: mpsc::Sender<crate::bitswap::Input>,
    provider_queries: HashMap<kad::QueryId, ProviderQuery>,
    scores: Scores,
    operator_blocked: HashSet<PeerId>,
    connections: HashMap<PeerId, Vec<(ConnectionId, Multiaddr)>>,
    agents: HashMap<PeerId, String>,
    listen_addrs: Vec<Multiaddr>,
    /// Bootstrap addresses and the peer each led to.
    bootstrap: Vec<(Multiaddr, Option<PeerId>)>,
    last_redial: Instant,
}

impl Service {
    async fn run(mut self) {
        let mut tick = tokio::time::interval(TICK);
        loop {
            tokio::select! {
                command = self.commands.recv() => match command {
                    Some(Command::Shutdown) | None => break,
                    Some(command) => self.on_command(command),
                },
                event = self.swarm.select_next_some() => self.on_swarm_event(event),
                _ = tick.tick() => self.housekeeping(Instant::now()),
            }
        }
        let _ = self.bitswap.send(crate::bitswap::Input::Shutdown).await;
        tracing::debug!("network stopped");
    }

    fn tell_bitswap(&self, input: crate::bitswap::Input) {
        if let Err(e) = self.bitswap.try_send(input) {
            tracing::warn!("bitswap is behind: connection event dropped ({e})");
        }
    }

    fn emit(&self, event: NetEvent) -> bool {
        match self.events.try_send(event) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Full(event)) => {
                tracing::warn!(?event, "the node is behind: network event dropped");
                false
            }
            Err(mpsc::error::TrySendError::Closed(_)) => false,
        }
    }

    fn topic_hash(&self, topic: Topic) -> gossipsub::TopicHash {
        self.topics
            .iter()
            .find(|(t, _)| *t == topic)
            .map(|(_, i)| i.hash())
            .unwrap_or_else(|| gossipsub::TopicHash::from_raw(""))
    }

    fn dial_bootstrap(&mut self) {
        let connected: HashSet<PeerId> = self.connections.keys().copied().collect();
        let targets: Vec<Multiaddr> = self
            .bootstrap
            .iter()
            .filter(|(addr, peer)| {
                let peer = peer.or_else(|| peer_of(addr));
                peer.is_none_or(|p| !connected.contains(&p) && !self.operator_blocked.contains(&p))
            })
            .map(|(a, _)| a.clone())
            .collect();
        for addr in targets {
            if let Err(e) = self.swarm.dial(addr.clone()) {
                tracing::debug!(%addr, error = %e, "bootstrap dial");
            }
        }
    }

    fn housekeeping(&mut self, now: Instant) {
        for peer in self.scores.expire(now) {
            if !self.operator_blocked.contains(&peer) {
                self.swarm.behaviour_mut().blocked.unblock_peer(peer);
                tracing::info!(%peer, "ban ended");
            }
        }
        let stale = now.checked_sub(REQUEST_TIMEOUT * 2);
        self.inbound
            .retain(|_, (_, since)| stale.is_none_or(|s| *since > s));
        if now.duration_since(self.last_redial) >= REDIAL {
            self.last_redial = now;
            self.dial_bootstrap();
        }
    }

    fn penalize(&mut self, peer: PeerId, what: Misbehaviour) {
        tracing::info!(%peer, ?what, score = self.scores.score(&peer), "peer misbehaved");
        if self.scores.penalize(peer, what, Instant::now()) {
            tracing::warn!(%peer, ?what, "peer banned");
            let b = self.swarm.behaviour_mut();
            b.blocked.block_peer(peer);
            b.kad.remove_peer(&peer);
            self.emit(NetEvent::Banned(peer));
        }
    }

    fn on_command(&mut self, command: Command) {
        match command {
            Command::Publish(topic, data) => {
                let hash = self.topic_hash(topic);
                match self.swarm.behaviour_mut().gossip.publish(hash, data) {
                    Ok(_) | Err(gossipsub::PublishError::NoPeersSubscribedToTopic) => {}
                    Err(gossipsub::PublishError::Duplicate) => {}
                    Err(e) => tracing::warn!(?topic, error = %e, "gossip publish failed"),
                }
            }
            Command::Report(id, verdict) => {
                let acceptance = match verdict {
                    Verdict::Accept => gossipsub::MessageAcceptance::Accept,
                    Verdict::Ignore => gossipsub::MessageAcceptance::Ignore,
                    Verdict::Reject(_) => gossipsub::MessageAcceptance::Reject,
                };
                self.swarm
                    .behaviour_mut()
                    .gossip
                    .report_message_validation_result(&id.id, &id.source, acceptance);
                if let Verdict::Reject(what) = verdict {
                    self.penalize(id.source, what);
                }
            }
            Command::SetHello(payload) => {
                self.hello = payload;
                // Peers we dialled before the node had a hello get it now.
                for peer in std::mem::take(&mut self.hello_owed) {
                    if self.connections.contains_key(&peer) {
                        let hello = self.hello.clone();
                        self.swarm.behaviour_mut().hello.send_request(&peer, hello);
                    }
                }
            }
            Command::ChainRequest {
                peer,
                payload,
                reply,
            } => {
                if self.pending_xchg.len() >= self.limits.max_outbound_requests {
                    let _ = reply.send(Err(NetError::Busy(self.pending_xchg.len())));
                    return;
                }
                let id = self.swarm.behaviour_mut().xchg.send_request(&peer, payload);
                self.pending_xchg.insert(id, (peer, reply));
            }
            Command::Respond(InboundId(id), payload) => {
                if let Some((channel, _)) = self.inbound.remove(&id) {
                    let _ = self
                        .swarm
                        .behaviour_mut()
                        .xchg
                        .send_response(channel, payload);
                }
            }
            Command::Penalize(peer, what) => self.penalize(peer, what),
            Command::Dial(addr, reply) => {
                let result = self
                    .swarm
                    .dial(addr.clone())
                    .map_err(|e| NetError::Dial(addr, e.to_string()));
                let _ = reply.send(result);
            }
            Command::Block(peer) => {
                self.operator_blocked.insert(peer);
                self.swarm.behaviour_mut().blocked.block_peer(peer);
            }
            Command::Unblock(peer) => {
                if self.operator_blocked.remove(&peer)
                    && !self.scores.is_banned(&peer, Instant::now())
                {
                    self.swarm.behaviour_mut().blocked.unblock_peer(peer);
                    let _ = self.swarm.dial(DialOpts::peer_id(peer).build());
                }
            }
            Command::Peers(reply) => {
                let peers = self
                    .connections
                    .iter()
                    .map(|(peer, conns)| PeerInfo {
                        peer_id: peer.to_string(),
                        addrs: conns.iter().map(|(_, a)| a.to_string()).collect(),
                        agent: self.agents.get(peer).cloned(),
                        score: self.scores.score(peer),
                    })
                    .collect();
                let _ = reply.send(peers);
            }
            Command::Addrs(reply) => {
                let _ = reply.send(AddrInfo {
                    peer_id: self.swarm.local_peer_id().to_string(),
                    addrs: self.listen_addrs.iter().map(ToString::to_string).collect(),
                });
            }
            Command::Provide(cid) => {
                let key = kad::RecordKey::new(&cid.hash().to_bytes());
                if let Err(e) = self.swarm.behaviour_mut().kad.start_providing(key) {
                    tracing::warn!(%cid, error = %e, "cannot announce provider record");
                }
            }
            Command::Shutdown => {}
            Command::FindProviders(cid, reply) => {
                if self.provider_queries.len() >= MAX_PROVIDER_QUERIES {
                    let _ = reply.send(Vec::new());
                    return;
                }
                let key = kad::RecordKey::new(&cid.hash().to_bytes());
                let id = self.swarm.behaviour_mut().kad.get_providers(key);
                self.provider_queries.insert(
                    id,
                    ProviderQuery {
                        reply,
                        found: Vec::new(),
                    },
                );
            }
        }
    }

    fn on_swarm_event(&mut self, event: SwarmEvent<BehaviourEvent>) {
        match event {
            SwarmEvent::NewListenAddr { address, .. } => {
                let full = address
                    .with_p2p(*self.swarm.local_peer_id())
                    .unwrap_or_else(|a| a);
                tracing::info!(addr = %full, "listening");
                self.listen_addrs.push(full.clone());
                self.emit(NetEvent::Listening(full));
            }
            SwarmEvent::ExpiredListenAddr { address, .. } => {
                self.listen_addrs
                    .retain(|a| transport_part(a) != transport_part(&address));
            }
            SwarmEvent::ConnectionEstablished {
                peer_id,
                connection_id,
                endpoint,
                num_established,
                ..
            } => {
                let remote = endpoint.get_remote_address().clone();
                if endpoint.is_dialer() {
                    for (addr, peer) in &mut self.bootstrap {
                        if peer.is_none() && transport_part(addr) == transport_part(&remote) {
                            *peer = Some(peer_id);
                        }
                    }
                }
                self.connections
                    .entry(peer_id)
                    .or_default()
                    .push((connection_id, remote));
                if num_established.get() == 1 {
                    tracing::debug!(peer = %peer_id, "connected");
                    // Both sides say hello (whoever dialled): a side whose node has no
                    // hello yet answers with nothing, and sends its own once it has one.
                    if self.hello.is_empty() {
                        if self.hello_owed.len() < self.limits.max_connections as usize {
                            self.hello_owed.push(peer_id);
                        }
                    } else {
                        let hello = self.hello.clone();
                        self.swarm
                            .behaviour_mut()
                            .hello
                            .send_request(&peer_id, hello);
                    }
                    self.tell_bitswap(crate::bitswap::Input::Connected(peer_id));
                    self.emit(NetEvent::Connected(peer_id));
                    if self.connections.len() == 1 {
                        let _ = self.swarm.behaviour_mut().kad.bootstrap();
                    }
                }
            }
            SwarmEvent::ConnectionClosed {
                peer_id,
                connection_id,
                num_established,
                cause,
                ..
            } => {
                if let Some(cause) = cause {
                    tracing::debug!(peer = %peer_id, %cause, "connection closed");
                }
                if let Some(conns) = self.connections.get_mut(&peer_id) {
                    conns.retain(|(id, _)| *id != connection_id);
                }
                if num_established == 0 {
                    self.connections.remove(&peer_id);
                    self.agents.remove(&peer_id);
                    tracing::debug!(peer = %peer_id, "disconnected");
                    self.tell_bitswap(crate::bitswap::Input::Disconnected(peer_id));
                    self.emit(NetEvent::Disconnected(peer_id));
                }
            }
            SwarmEvent::Behaviour(event) => self.on_behaviour_event(event),
            _ => {}
        }
    }

    fn on_behaviour_event(&mut self, event: BehaviourEvent) {
        match event {
            BehaviourEvent::Identify(identify::Event::Received { peer_id, info, .. }) => {
                let kad_protocol = self.swarm.behaviour().kad.protocol_names().first().cloned();
                if kad_protocol.is_some_and(|p| info.protocols.contains(&p)) {
                    for addr in info.listen_addrs.iter().take(16) {
                        self.swarm
                            .behaviour_mut()
                            .kad
                            .add_address(&peer_id, addr.clone());
                    }
                }
                let mut agent = info.agent_version;
                agent.truncate(128);
                self.agents.insert(peer_id, agent);
            }
            BehaviourEvent::Gossip(gossipsub::Event::Message {
                propagation_source,
                message_id,
                message,
            }) => {
                let topic = self
                    .topics
                    .iter()
                    .find(|(_, t)| t.hash() == message.topic)
                    .map(|(t, _)| *t);
                let id = GossipId {
                    id: message_id,
                    source: propagation_source,
                };
                let Some(topic) = topic else {
                    self.report_now(&id, gossipsub::MessageAcceptance::Ignore);
                    return;
                };
                let event = NetEvent::Gossip {
                    topic,
                    id: id.clone(),
                    data: message.data,
                };
                if !self.emit(event) {
                    self.report_now(&id, gossipsub::MessageAcceptance::Ignore);
                }
            }
            BehaviourEvent::Hello(request_response::Event::Message { peer, message, .. }) => {
                match message {
                    request_response::Message::Request {
                        request, channel, ..
                    } => {
                        let hello = self.hello.clone();
                        let _ = self
                            .swarm
                            .behaviour_mut()
                            .hello
                            .send_response(channel, hello);
                        // Empty: the peer has no hello yet (it sends one when it has).
                        if !request.is_empty() {
                            self.emit(NetEvent::Hello {
                                peer,
                                payload: request,
                            });
                        }
                    }
                    request_response::Message::Response { response, .. } => {
                        if !response.is_empty() {
                            self.emit(NetEvent::Hello {
                                peer,
                                payload: response,
                            });
                        }
                    }
                }
            }
            BehaviourEvent::Hello(request_response::Event::OutboundFailure {
                peer, error, ..
            }) => {
                // IPFS peers do not speak hello; that is not misbehaviour.
                tracing::debug!(%peer, %error, "hello failed");
            }
            BehaviourEvent::Xchg(request_response::Event::Message { peer, message, .. }) => {
                match message {
                    request_response::Message::Request {
                        request, channel, ..
                    } => {
                        if self.inbound.len() >= self.limits.max_inbound_requests {
                            tracing::debug!(%peer, "too many chain requests waiting; dropped");
                            return;
                        }
                        let id = self.next_inbound;
                        self.next_inbound = self.next_inbound.wrapping_add(1);
                        self.inbound.insert(id, (channel, Instant::now()));
                        let event = NetEvent::ChainRequest {
                            peer,
                            id: InboundId(id),
                            payload: request,
                        };
                        if !self.emit(event) {
                            self.inbound.remove(&id);
                        }
                    }
                    request_response::Message::Response {
                        request_id,
                        response,
                    } => {
                        if let Some((_, reply)) = self.pending_xchg.remove(&request_id) {
                            let _ = reply.send(Ok(response));
                        }
                    }
                }
            }
            BehaviourEvent::Xchg(request_response::Event::OutboundFailure {
                peer,
                request_id,
                error,
                ..
            }) => {
                if let Some((_, reply)) = self.pending_xchg.remove(&request_id) {
                    let _ = reply.send(Err(NetError::Request {
                        peer,
                        reason: error.to_string(),
                    }));
                }
            }
            BehaviourEvent::Kad(kad::Event::OutboundQueryProgressed {
                id,
                result: kad::QueryResult::GetProviders(result),
                step,
                ..
            }) => {
                let Some(q) = self.provider_queries.get_mut(&id) else {
                    return;
                };
                if let Ok(kad::GetProvidersOk::FoundProviders { providers, .. }) = result {
                    for p in providers {
                        if q.found.len() < MAX_PROVIDERS && !q.found.contains(&p) {
                            q.found.push(p);
                        }
                    }
                }
                if step.last
                    && let Some(q) = self.provider_queries.remove(&id)
                {
                    let _ = q.reply.send(q.found);
                }
            }
            _ => {}
        }
    }

    fn report_now(&mut self, id: &GossipId, acceptance: gossipsub::MessageAcceptance) {
        self.swarm
            .behaviour_mut()
            .gossip
            .report_message_validation_result(&id.id, &id.source, acceptance);
    }
}

/// The peer id at the end of `addr`, if it has one.
fn peer_of(addr: &Multiaddr) -> Option<PeerId> {
    addr.iter().find_map(|p| match p {
        Protocol::P2p(id) => Some(id),
        _ => None,
    })
}

/// `addr` without its `/p2p/<id>` parts.
fn transport_part(addr: &Multiaddr) -> Multiaddr {
    addr.iter()
        .filter(|p| !matches!(p, Protocol::P2p(_)))
        .collect()
}
