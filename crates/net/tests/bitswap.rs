//! Bitswap as another implementation sees it: a bare libp2p peer ("the wire") that speaks
//! `/ipfs/bitswap/1.2.0` by hand with the message codec, against a real Flowcoin network
//! service on loopback. It checks what the wire carries (message sizes, block prefixes,
//! HAVE / DONT_HAVE), not only what our own client makes of it.
//!
//! Waits are bounded by `within` (a guard against hanging, not a timing assertion).

use std::time::Duration;

use cid::Cid;
use flowcoin_dag::hash::{HashFn, RAW};
use flowcoin_net::bitswap::PROTOCOL;
use flowcoin_net::bitswap::message::{
    MAX_MESSAGE_BYTES, Message, Presence, RawBlock, WantEntry, WantType, block_cid, prefix_of,
};
use flowcoin_net::{NetEvent, PeerId};
use futures::{AsyncReadExt as _, AsyncWriteExt as _, StreamExt as _};
use libp2p::{noise, tcp, yamux};

mod common;
use common::{GUARD, Peer as Node, start, wait_for, within};

async fn node() -> Node {
    start(Vec::new()).await
}

/// A bare libp2p peer with only raw streams.
struct Wire {
    id: PeerId,
    control: libp2p_stream::Control,
    incoming: libp2p_stream::IncomingStreams,
}

async fn wire(node: &mut Node) -> Wire {
    let mut swarm = libp2p::SwarmBuilder::with_new_identity()
        .with_tokio()
        .with_tcp(
            tcp::Config::default(),
            noise::Config::new,
            yamux::Config::default,
        )
        .unwrap()
        .with_behaviour(|_| libp2p_stream::Behaviour::new())
        .unwrap()
        .with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(120)))
        .build();
    let mut control = swarm.behaviour().new_control();
    let incoming = control.accept(PROTOCOL).unwrap();
    swarm.dial(node.addr.clone()).unwrap();
    let id = *swarm.local_peer_id();
    tokio::spawn(async move {
        loop {
            swarm.select_next_some().await;
        }
    });
    wait_for(node, "wire connects", |e| {
        matches!(e, NetEvent::Connected(p) if p == id).then_some(())
    })
    .await;
    Wire {
        id,
        control,
        incoming,
    }
}

impl Wire {
    async fn send(&mut self, to: PeerId, framed: &[u8]) {
        self.try_send(to, framed).await.unwrap();
    }

    /// Sends on a fresh stream; the write or close may fail if the node hangs up first.
    async fn try_send(&mut self, to: PeerId, framed: &[u8]) -> std::io::Result<()> {
        let mut s = within("stream opens", self.control.open_stream(to, PROTOCOL))
            .await
            .expect("the node speaks bitswap");
        s.write_all(framed).await?;
        s.close().await
    }

    /// Reads messages from the node's streams until `done` says enough; returns each
    /// message with its encoded size.
    async fn receive(&mut self, mut done: impl FnMut(&[Message]) -> bool) -> Vec<(usize, Message)> {
        let (tx, mut rx) = tokio::sync::mpsc::channel(64);
        let mut got: Vec<(usize, Message)> = Vec::new();
        within("messages from the node", async {
            loop {
                tokio::select! {
                    Some((_, mut stream)) = self.incoming.next() => {
                        let tx = tx.clone();
                        tokio::spawn(async move {
                            while let Some(frame) = read_frame(&mut stream).await {
                                if tx.send(frame).await.is_err() {
                                    return;
                                }
                            }
                        });
                    }
                    Some(frame) = rx.recv() => {
                        let m = Message::decode(&frame).expect("the node sends valid messages");
                        got.push((frame.len(), m));
                        let messages: Vec<Message> = got.iter().map(|(_, m)| m.clone()).collect();
                        if done(&messages) {
                            return;
                        }
                    }
                }
            }
        })
        .await;
        got
    }
}

async fn read_frame(stream: &mut libp2p::Stream) -> Option<Vec<u8>> {
    let mut len = 0u64;
    for shift in (0..64).step_by(7) {
        let mut b = [0u8; 1];
        stream.read_exact(&mut b).await.ok()?;
        len |= u64::from(b[0] & 0x7f) << shift;
        if b[0] & 0x80 == 0 {
            break;
        }
    }
    let mut buf = vec![0u8; usize::try_from(len).ok()?];
    stream.read_exact(&mut buf).await.ok()?;
    Some(buf)
}

fn block(seed: u8, len: usize) -> (Cid, Vec<u8>) {
    let data: Vec<u8> = (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect();
    (Cid::new_v1(RAW, HashFn::Sha2_256.digest(&data)), data)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_node_serves_wants_in_messages_of_at_most_4_mib_with_presences() {
    let mut node = node().await;
    let big: Vec<(Cid, Vec<u8>)> = (0..6).map(|i| block(i, (1 << 20) + 100)).collect();
    for (cid, data) in &big {
        node.store.insert(*cid, data.clone());
    }
    let (small, small_data) = block(50, 300);
    node.store.insert(small, small_data);
    let (missing, _) = block(51, 10);

    let mut wire = wire(&mut node).await;
    let mut wants: Vec<WantEntry> = big
        .iter()
        .map(|(c, _)| WantEntry::want(*c, WantType::Block))
        .collect();
    wants.push(WantEntry::want(small, WantType::Have));
    wants.push(WantEntry::want(missing, WantType::Block));
    let ask = Message {
        wants,
        ..Message::default()
    };
    let me = node.handle.local_peer_id();
    wire.send(me, &ask.encode_framed()).await;

    let got = wire
        .receive(|ms| {
            let blocks: usize = ms.iter().map(|m| m.blocks.len()).sum();
            let presences: usize = ms.iter().map(|m| m.presences.len()).sum();
            blocks == big.len() && presences == 2
        })
        .await;
    // 6 MiB of blocks cannot go in one message: several, none over the limit.
    assert!(got.len() >= 2, "{} messages", got.len());
    for (len, _) in &got {
        assert!(*len <= MAX_MESSAGE_BYTES, "a {len}-byte message");
    }
    let blocks: Vec<RawBlock> = got.iter().flat_map(|(_, m)| m.blocks.clone()).collect();
    for (cid, data) in &big {
        let b = blocks
            .iter()
            .find(|b| b.data == *data)
            .unwrap_or_else(|| panic!("block {cid} not sent"));
        assert_eq!(b.prefix, prefix_of(cid));
        assert_eq!(block_cid(b).unwrap(), *cid);
    }
    let presences: Vec<(Cid, Presence)> =
        got.iter().flat_map(|(_, m)| m.presences.clone()).collect();
    assert!(
        presences.contains(&(small, Presence::Have)),
        "{presences:?}"
    );
    assert!(
        presences.contains(&(missing, Presence::DontHave)),
        "{presences:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_node_asks_the_wire_and_takes_the_block_it_sends() {
    let mut node = node().await;
    let mut wire = wire(&mut node).await;
    let me = node.handle.local_peer_id();
    let (cid, data) = block(7, 5000);
    let handle = node.handle.clone();
    let fetch = tokio::spawn(async move { handle.get_block(cid, GUARD).await });

    // The only peer: asked for the block itself, with DONT_HAVE wanted.
    let got = wire
        .receive(|ms| ms.iter().any(|m| m.wants.iter().any(|w| w.cid == cid)))
        .await;
    let want = got
        .iter()
        .flat_map(|(_, m)| m.wants.clone())
        .find(|w| w.cid == cid)
        .unwrap();
    assert_eq!(want.want_type, WantType::Block);
    assert!(want.send_dont_have && !want.cancel);

    // A block nobody asked for first (ignored), then the one wanted.
    let (_, other) = block(8, 100);
    let answer = Message {
        blocks: vec![
            RawBlock {
                prefix: prefix_of(&cid),
                data: other,
            },
            RawBlock {
                prefix: prefix_of(&cid),
                data: data.clone(),
            },
        ],
        ..Message::default()
    };
    wire.send(me, &answer.encode_framed()).await;
    let fetched = within("get_block", fetch).await.unwrap().unwrap();
    assert_eq!(fetched, data);
    assert!(node.store.is_empty(), "bitswap itself stores nothing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_sending_malformed_messages_is_banned() {
    let mut node = node().await;
    let mut wire = wire(&mut node).await;
    let me = node.handle.local_peer_id();
    let id = wire.id;
    // Field 1 (the wantlist) as a varint: not a bitswap message.
    // (The node drops the stream on reading it, so our close may fail.)
    let _ = wire.try_send(me, &[0x02, 0x08, 0x01]).await;
    // A length over 4 MiB.
    let mut huge = Vec::new();
    flowcoin_dag::varint::encode((MAX_MESSAGE_BYTES + 1) as u64, &mut huge);
    // The node bans on reading the length and may close the connection before our close.
    let _ = wire.try_send(me, &huge).await;
    wait_for(&mut node, "the wire is banned", |e| {
        matches!(e, NetEvent::Banned(p) if p == id).then_some(())
    })
    .await;
}
